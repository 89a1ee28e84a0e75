//! A linear scan of HTML tags, without building a tree.
//!
//! Two uses: measuring how deeply HTML nests before an HTML5 tree builder (html5ever, inside
//! ammonia) sees it, since its scope checks walk the stack of open elements and so cost
//! depth × tags; and rewriting URL attributes of stored, already sanitised HTML for feeds.

use std::ops::Range;

/// One tag found in HTML: where it is and what it holds.
#[derive(Debug)]
pub struct Tag<'a> {
    /// Bytes of the whole tag, `<` to `>` inclusive.
    pub span: Range<usize>,
    /// The name as written (compare with `eq_ignore_ascii_case`).
    pub name: &'a str,
    /// `</name>`.
    pub closing: bool,
    pub attrs: Vec<Attr<'a>>,
}

/// One attribute of a [`Tag`].
#[derive(Debug)]
pub struct Attr<'a> {
    pub name: &'a str,
    /// Bytes of the value without its quotes, if the attribute has one.
    pub value: Option<Range<usize>>,
}

/// The tags of `html` in order, skipping comments, doctypes and processing instructions the
/// way an HTML5 tokenizer does, and honouring quoted attribute values (a `>` or a tag inside
/// quotes is not a tag). Text between tags is not reported.
pub fn tags(html: &str) -> Tags<'_> {
    Tags { html, pos: 0 }
}

/// The iterator returned by [`tags`].
pub struct Tags<'a> {
    html: &'a str,
    pos: usize,
}

impl<'a> Iterator for Tags<'a> {
    type Item = Tag<'a>;

    fn next(&mut self) -> Option<Tag<'a>> {
        let html = self.html;
        let b = html.as_bytes();
        loop {
            let lt = self.pos + memchr(b'<', &b[self.pos..])?;
            let after = &b[lt + 1..];
            match after.first() {
                Some(c) if c.is_ascii_alphabetic() => return Some(self.tag(lt, lt + 1, false)),
                Some(b'/') if after.get(1).is_some_and(u8::is_ascii_alphabetic) => {
                    return Some(self.tag(lt, lt + 2, true));
                }
                Some(b'!') if after.starts_with(b"!--") => {
                    // `<!-->` and `<!--->` are whole (empty) comments
                    let body = lt + 4;
                    self.pos = if b[body..].starts_with(b">") {
                        body + 1
                    } else if b[body..].starts_with(b"->") {
                        body + 2
                    } else {
                        let end = find(&b[body..], b"-->").map(|i| (i, 3));
                        let bang = find(&b[body..], b"--!>").map(|i| (i, 4));
                        match [end, bang].into_iter().flatten().min() {
                            Some((i, len)) => body + i + len,
                            None => b.len(),
                        }
                    };
                }
                // `<!doctype>`, `<?xml>`, `</3>`: bogus comments, up to the next `>`
                Some(b'!' | b'?' | b'/') => {
                    self.pos = memchr(b'>', &b[lt..]).map_or(b.len(), |i| lt + i + 1);
                }
                // a `<` that opens nothing is text
                _ => self.pos = lt + 1,
            }
        }
    }
}

impl<'a> Tags<'a> {
    /// Reads the tag that starts at `lt`, its name at `name_start`.
    fn tag(&mut self, lt: usize, name_start: usize, closing: bool) -> Tag<'a> {
        let html = self.html;
        let b = html.as_bytes();
        let mut i = name_start;
        while i < b.len() && !is_space(b[i]) && b[i] != b'/' && b[i] != b'>' {
            i += 1;
        }
        let name = &html[name_start..i];
        let mut attrs = Vec::new();
        loop {
            while i < b.len() && (is_space(b[i]) || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() {
                break;
            }
            if b[i] == b'>' {
                i += 1;
                break;
            }
            // an attribute name runs to a space, `/`, `>` or `=` (a leading `=` belongs to it)
            let name_start = i;
            i += 1;
            while i < b.len() && !is_space(b[i]) && !matches!(b[i], b'/' | b'>' | b'=') {
                i += 1;
            }
            let attr_name = &html[name_start..i];
            while i < b.len() && is_space(b[i]) {
                i += 1;
            }
            let mut value = None;
            if i < b.len() && b[i] == b'=' {
                i += 1;
                while i < b.len() && is_space(b[i]) {
                    i += 1;
                }
                match b.get(i) {
                    Some(&q @ (b'"' | b'\'')) => {
                        let start = i + 1;
                        let end = memchr(q, &b[start..]).map_or(b.len(), |n| start + n);
                        value = Some(start..end);
                        i = (end + 1).min(b.len());
                    }
                    Some(b'>') | None => value = Some(i..i),
                    Some(_) => {
                        let start = i;
                        while i < b.len() && !is_space(b[i]) && b[i] != b'>' {
                            i += 1;
                        }
                        value = Some(start..i);
                    }
                }
            }
            attrs.push(Attr {
                name: attr_name,
                value,
            });
        }
        self.pos = i;
        Tag {
            span: lt..i,
            name,
            closing,
            attrs,
        }
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&c| c == needle)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Elements without content: never pushed on the stack of open elements.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param",
    "source", "track", "wbr", "basefont", "bgsound", "frame", "image",
];

/// Formatting elements: the tree builder remembers them when a block closes over them and
/// opens them again in the next block ("reconstructing the active formatting elements"), so
/// they count until their own end tag.
const FORMATTING: &[&str] = &[
    "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u",
];

/// Elements that stop the search for an element "in scope".
const SCOPE: &[&str] = &[
    "applet", "caption", "html", "table", "td", "th", "marquee", "object", "template", "svg",
    "math",
];

/// Elements of the "special" category: an end tag of another element never closes them.
const SPECIAL: &[&str] = &[
    "address",
    "applet",
    "area",
    "article",
    "aside",
    "base",
    "basefont",
    "bgsound",
    "blockquote",
    "body",
    "br",
    "button",
    "caption",
    "center",
    "col",
    "colgroup",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "embed",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hgroup",
    "hr",
    "html",
    "iframe",
    "img",
    "input",
    "keygen",
    "li",
    "link",
    "listing",
    "main",
    "marquee",
    "menu",
    "meta",
    "nav",
    "noembed",
    "noframes",
    "noscript",
    "object",
    "ol",
    "p",
    "param",
    "plaintext",
    "pre",
    "script",
    "search",
    "section",
    "select",
    "source",
    "style",
    "summary",
    "table",
    "tbody",
    "td",
    "template",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "track",
    "ul",
    "wbr",
    "xmp",
];

/// Start tags that close an open `<p>` first.
const CLOSES_P: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "header",
    "hgroup",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "search",
    "section",
    "summary",
    "ul",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "listing",
    "form",
    "hr",
    "xmp",
];

fn is(list: &[&str], name: &str) -> bool {
    list.contains(&name)
}

/// Whether `html`, once parsed by an HTML5 tree builder, can nest elements more than `max`
/// deep. The estimate follows the tree builder's rules where they close elements (end tags
/// in scope, implied ends, `<p>` closed by blocks, `<li>` by `<li>`) and otherwise errs
/// towards deeper: what it cannot tell closes nothing, and formatting elements count until
/// their own end tag, as the tree builder reopens them. Linear in `html` for a fixed `max`.
pub fn nests_deeper_than(html: &str, max: usize) -> bool {
    // open elements other than formatting ones, lowercase
    let mut stack: Vec<String> = Vec::new();
    // formatting elements not yet closed by their own end tag
    let mut formatting: Vec<String> = Vec::new();
    for tag in tags(html) {
        let name = tag.name.to_ascii_lowercase();
        if tag.closing {
            if is(FORMATTING, &name) {
                if let Some(i) = formatting.iter().rposition(|f| *f == name) {
                    formatting.remove(i);
                }
            } else if let Some(i) = in_scope(&stack, &name) {
                stack.truncate(i);
            }
            continue;
        }
        if is(VOID, &name) {
            continue;
        }
        if is(FORMATTING, &name) {
            // a new `<a>` or `<nobr>` first ends the one still open
            if (name == "a" || name == "nobr")
                && let Some(i) = formatting.iter().rposition(|f| *f == name)
            {
                formatting.remove(i);
            }
            formatting.push(name);
        } else {
            if is(CLOSES_P, &name)
                && let Some(i) = in_scope(&stack, "p")
            {
                stack.truncate(i);
            }
            if matches!(name.as_str(), "li" | "dd" | "dt") {
                close_item(&mut stack, &name);
            }
            stack.push(name);
        }
        if stack.len() + formatting.len() > max {
            return true;
        }
    }
    false
}

/// Where the element `name` is open in scope: searching down from the current element, an
/// element of another name that the end tag cannot close stops the search.
fn in_scope(stack: &[String], name: &str) -> Option<usize> {
    let special = is(SPECIAL, name);
    for (i, open) in stack.iter().enumerate().rev() {
        if open == name {
            return Some(i);
        }
        let stops = if special {
            // an end tag of a block closes what it contains, up to a scope boundary
            is(SCOPE, open)
                || (name == "li" && matches!(open.as_str(), "ul" | "ol"))
                || (name == "p" && open == "button")
        } else {
            // any other end tag closes only what is not special
            is(SPECIAL, open)
        };
        if stops {
            return None;
        }
    }
    None
}

/// `<li>` ends an open `<li>` (and `<dd>`/`<dt>` each other) unless a block other than
/// `address`, `div` or `p` lies between.
fn close_item(stack: &mut Vec<String>, name: &str) {
    let ends: &[&str] = if name == "li" { &["li"] } else { &["dd", "dt"] };
    for i in (0..stack.len()).rev() {
        let open = stack[i].as_str();
        if is(ends, open) {
            stack.truncate(i);
            return;
        }
        if is(SPECIAL, open) && !matches!(open, "address" | "div" | "p") {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_honour_quotes_and_comments() {
        let html =
            r#"<a href="x>y" title='</div>'>t</a><!-- <div> --><!--><br/><p class=x>< 3</p>"#;
        let found: Vec<(String, bool)> =
            tags(html).map(|t| (t.name.to_owned(), t.closing)).collect();
        let expected = [
            ("a", false),
            ("a", true),
            ("br", false),
            ("p", false),
            ("p", true),
        ];
        assert_eq!(
            found,
            expected.map(|(n, c)| (n.to_owned(), c)).to_vec(),
            "{html}"
        );
        let a = tags(html).next().unwrap();
        assert_eq!(&html[a.attrs[0].value.clone().unwrap()], "x>y");
        assert_eq!(&html[a.attrs[1].value.clone().unwrap()], "</div>");
    }

    #[test]
    fn well_formed_and_sloppy_html_nest_as_a_browser_sees_it() {
        let flat = "<p>a <b>b</b> <i>c</i></p>".repeat(1000);
        assert!(!nests_deeper_than(&flat, 4));
        // unclosed paragraphs and list items close each other
        let sloppy = "<p>one<p>two<ul><li>a<li>b</ul><div><span>x</div>".repeat(1000);
        assert!(!nests_deeper_than(&sloppy, 4), "sloppy but flat");
        let deep = format!("{}{}", "<div>".repeat(5), "</div>".repeat(5));
        assert!(nests_deeper_than(&deep, 4));
        assert!(!nests_deeper_than(&deep, 5));
    }

    #[test]
    fn end_tags_the_tree_builder_ignores_close_nothing() {
        // `</span>` cannot close across a `<div>`, nor `</div>` across a table cell
        assert!(nests_deeper_than(&"<span><div></span>".repeat(20), 30));
        assert!(nests_deeper_than(&"<div><table><td></div>".repeat(20), 30));
        // `<li>` inside a nested list does not end the outer item
        assert!(nests_deeper_than(&"<li><ul>".repeat(20), 30));
        // a tag hidden in an attribute value closes nothing
        assert!(nests_deeper_than(&"<div><i title='</div>'>".repeat(20), 30));
    }

    #[test]
    fn formatting_elements_count_until_their_own_end_tag() {
        // the tree builder reopens each unclosed `<b>` in every later paragraph
        let reopened: String = (0..40).map(|i| format!("<p><b class=c{i}></p>")).collect();
        assert!(nests_deeper_than(&reopened, 30));
        let closed: String = (0..40)
            .map(|i| format!("<p><b class=c{i}></p></b>"))
            .collect();
        assert!(!nests_deeper_than(&closed, 30));
    }
}
