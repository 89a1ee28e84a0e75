//! Markdown written from Ghost's editor formats: runs of formatted text, escaping, and the
//! block shapes (lists, quotes, fences, figures, embedded HTML) that the Lexical, Mobiledoc and
//! card converters share.
//!
//! Everything here produces Markdown that Quire's renderer reads back as the author wrote it:
//! text is escaped so that it never turns into markup, emphasis falls back to HTML tags where
//! CommonMark's delimiter rules would not apply (inside a word), and embedded HTML never holds a
//! blank line, which would end the HTML block in the middle.

/// Inline formats, as bits of Lexical's `format` (Mobiledoc's markups map onto the same bits).
pub mod format {
    pub const BOLD: u32 = 1;
    pub const ITALIC: u32 = 2;
    pub const STRIKETHROUGH: u32 = 4;
    pub const UNDERLINE: u32 = 8;
    pub const CODE: u32 = 16;
    pub const SUBSCRIPT: u32 = 32;
    pub const SUPERSCRIPT: u32 = 64;
    pub const HIGHLIGHT: u32 = 128;
}

/// A piece of inline content, as the editors describe it.
#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    /// Text with its [`format`] bits.
    Text(String, u32),
    /// A hard line break (Shift+Enter; Mobiledoc's `soft-return` atom).
    Break,
    Link {
        url: String,
        title: Option<String>,
        children: Vec<Inline>,
    },
}

/// The formats that open and close around text; code is written per run instead, since a code
/// span holds no other markup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Bold,
    Italic,
    Strikethrough,
    Underline,
    Highlight,
    Subscript,
    Superscript,
}

/// Outermost first: the order in which marks open around the same text.
const MARKS: [(Mark, u32); 7] = [
    (Mark::Bold, format::BOLD),
    (Mark::Italic, format::ITALIC),
    (Mark::Strikethrough, format::STRIKETHROUGH),
    (Mark::Underline, format::UNDERLINE),
    (Mark::Highlight, format::HIGHLIGHT),
    (Mark::Subscript, format::SUBSCRIPT),
    (Mark::Superscript, format::SUPERSCRIPT),
];

impl Mark {
    /// The Markdown delimiter, for the marks Markdown has.
    fn delimiter(self) -> Option<&'static str> {
        match self {
            Mark::Bold => Some("**"),
            // `_` rather than `*`, so that italic next to bold never merges into one `***` run
            Mark::Italic => Some("_"),
            Mark::Strikethrough => Some("~~"),
            _ => None,
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Mark::Bold => "strong",
            Mark::Italic => "em",
            Mark::Strikethrough => "del",
            Mark::Underline => "u",
            Mark::Highlight => "mark",
            Mark::Subscript => "sub",
            Mark::Superscript => "sup",
        }
    }

    fn bit(self) -> u32 {
        MARKS
            .iter()
            .find(|(m, _)| *m == self)
            .map_or(0, |(_, b)| *b)
    }
}

/// Inline content on its way to Markdown: text already escaped, and marks still to be written
/// as delimiters or tags once their neighbours are known.
#[derive(Debug)]
enum Piece {
    Text(String),
    Open(Mark),
    Close(Mark),
    Break,
}

/// Writes inline content as Markdown. Hard breaks become `\` line ends; breaks at either end
/// are dropped, since Markdown cannot end a paragraph with one.
pub fn inlines(items: &[Inline]) -> String {
    let items = normalize(items);
    let mut w = InlineWriter::default();
    for item in &items {
        w.item(item);
    }
    w.set_marks(0);
    w.finish()
}

/// Like [`inlines`], on one line: breaks become spaces (headings, table-free summaries).
pub fn inlines_one_line(items: &[Inline]) -> String {
    fn flatten(items: &[Inline]) -> Vec<Inline> {
        items
            .iter()
            .map(|i| match i {
                Inline::Break => Inline::Text(" ".into(), 0),
                Inline::Link {
                    url,
                    title,
                    children,
                } => Inline::Link {
                    url: url.clone(),
                    title: title.clone(),
                    children: flatten(children),
                },
                other => other.clone(),
            })
            .collect()
    }
    inlines(&flatten(items))
}

/// Merges neighbouring runs of the same format (two code spans side by side would read as one
/// odd span) and drops empty runs and breaks at the ends.
fn normalize(items: &[Inline]) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Inline::Text(t, _) if t.is_empty() => {}
            Inline::Text(t, f) => {
                let t = t.replace(['\r', '\n'], " ");
                if let Some(Inline::Text(prev, pf)) = out.last_mut()
                    && *pf == *f
                {
                    prev.push_str(&t);
                } else {
                    out.push(Inline::Text(t, *f));
                }
            }
            other => out.push(other.clone()),
        }
    }
    while matches!(out.first(), Some(Inline::Break)) {
        out.remove(0);
    }
    while matches!(out.last(), Some(Inline::Break)) {
        out.pop();
    }
    out
}

#[derive(Default)]
struct InlineWriter {
    pieces: Vec<Piece>,
    open: Vec<Mark>,
}

impl InlineWriter {
    fn item(&mut self, item: &Inline) {
        match item {
            Inline::Text(text, fmt) => self.text(text, *fmt),
            Inline::Break => self.pieces.push(Piece::Break),
            Inline::Link { url, children, .. } if url.trim().is_empty() => {
                // a link to nowhere is its text
                for child in children {
                    self.item(child);
                }
            }
            Inline::Link {
                url,
                title,
                children,
            } => {
                // Formats on the whole link go around it, the rest inside its text.
                let common = children
                    .iter()
                    .filter_map(|c| match c {
                        Inline::Text(t, f) if !t.trim().is_empty() => Some(*f),
                        _ => None,
                    })
                    .reduce(|a, b| a & b)
                    .unwrap_or(0)
                    & !format::CODE;
                let inner: Vec<Inline> = children
                    .iter()
                    .map(|c| match c {
                        Inline::Text(t, f) => Inline::Text(t.clone(), f & !common),
                        other => other.clone(),
                    })
                    .collect();
                self.set_marks(common);
                self.pieces
                    .push(Piece::Text(link(&inlines(&inner), url, title.as_deref())));
            }
        }
    }

    fn text(&mut self, text: &str, fmt: u32) {
        if text.trim().is_empty() {
            // whitespace changes no format: `**a** **b**` stays one bold run
            self.pieces.push(Piece::Text(text.to_owned()));
            return;
        }
        let core = text.trim_start();
        let lead = &text[..text.len() - core.len()];
        let core_trimmed = core.trim_end();
        let trail = &core[core_trimmed.len()..];
        if !lead.is_empty() {
            self.pieces.push(Piece::Text(lead.to_owned()));
        }
        self.set_marks(fmt & !format::CODE);
        let written = if fmt & format::CODE != 0 {
            // a code span keeps its inner spaces; only the outer ones moved out
            code_span(core_trimmed)
        } else {
            escape(core_trimmed)
        };
        self.pieces.push(Piece::Text(written));
        if !trail.is_empty() {
            self.pieces.push(Piece::Text(trail.to_owned()));
        }
    }

    /// Closes the open marks that `wanted` lacks (and every mark opened after them), then
    /// opens the missing ones.
    fn set_marks(&mut self, wanted: u32) {
        let keep = self
            .open
            .iter()
            .take_while(|m| wanted & m.bit() != 0)
            .count();
        if keep < self.open.len() {
            self.close_to(keep);
        }
        for (mark, bit) in MARKS {
            if wanted & bit != 0 && !self.open.contains(&mark) {
                self.pieces.push(Piece::Open(mark));
                self.open.push(mark);
            }
        }
    }

    /// Closes marks down to `n` open ones, before any trailing whitespace and breaks: a
    /// delimiter after a space (or at the start of the next line) would not close.
    fn close_to(&mut self, n: usize) {
        let mut tail = Vec::new();
        loop {
            match self.pieces.last() {
                Some(Piece::Break) => tail.push(self.pieces.pop().expect("last exists")),
                Some(Piece::Text(t)) if t.trim_end().len() < t.len() => {
                    let Some(Piece::Text(t)) = self.pieces.pop() else {
                        unreachable!("just matched a text piece")
                    };
                    let core = t.trim_end();
                    tail.push(Piece::Text(t[core.len()..].to_owned()));
                    if !core.is_empty() {
                        self.pieces.push(Piece::Text(core.to_owned()));
                        break;
                    }
                }
                _ => break,
            }
        }
        while self.open.len() > n {
            let mark = self.open.pop().expect("len > n");
            self.pieces.push(Piece::Close(mark));
        }
        self.pieces.extend(tail.into_iter().rev());
    }

    fn finish(self) -> String {
        let pieces = self.pieces;
        // Which marks can be written as Markdown delimiters: those whose outer neighbours are
        // whitespace or punctuation. Inside a word (`un**believ**able`) CommonMark's flanking
        // rules would not always apply, so those are written as HTML tags.
        let mut as_tag = vec![false; pieces.len()];
        let mut stack = Vec::new();
        for (i, p) in pieces.iter().enumerate() {
            match p {
                Piece::Open(_) => stack.push(i),
                Piece::Close(mark) => {
                    let open = stack.pop().expect("marks close in order");
                    let outside_ok = |c: Option<char>| {
                        c.is_none_or(|c| c.is_whitespace() || c.is_ascii_punctuation())
                    };
                    let tag = mark.delimiter().is_none()
                        || !outside_ok(char_before(&pieces, open))
                        || !outside_ok(char_after(&pieces, i));
                    as_tag[open] = tag;
                    as_tag[i] = tag;
                }
                _ => {}
            }
        }

        let mut out = String::new();
        let mut line_start = true;
        for (i, p) in pieces.iter().enumerate() {
            match p {
                Piece::Text(t) => {
                    if line_start {
                        let t = t.trim_start();
                        if t.is_empty() {
                            continue;
                        }
                        out.push_str(&escape_line_start(t));
                    } else {
                        out.push_str(t);
                    }
                    line_start = false;
                }
                Piece::Break => {
                    let kept = out.trim_end().len();
                    out.truncate(kept);
                    out.push_str("\\\n");
                    line_start = true;
                }
                Piece::Open(mark) | Piece::Close(mark) => {
                    let closing = matches!(p, Piece::Close(_));
                    match (as_tag[i], mark.delimiter()) {
                        (false, Some(d)) => out.push_str(d),
                        _ => {
                            out.push('<');
                            if closing {
                                out.push('/');
                            }
                            out.push_str(mark.tag());
                            out.push('>');
                        }
                    }
                    line_start = false;
                }
            }
        }
        out.trim_end().to_owned()
    }
}

/// The last character written before piece `i`, looking through marks (which are
/// punctuation whichever way they are written); `None` at the start.
fn char_before(pieces: &[Piece], i: usize) -> Option<char> {
    pieces[..i].iter().rev().find_map(|p| match p {
        Piece::Text(t) => t.chars().next_back(),
        Piece::Break => Some('\n'),
        _ => None,
    })
}

/// The first character written after piece `i`, looking through marks.
fn char_after(pieces: &[Piece], i: usize) -> Option<char> {
    pieces[i + 1..].iter().find_map(|p| match p {
        Piece::Text(t) => t.chars().next(),
        Piece::Break => Some('\\'),
        _ => None,
    })
}

/// Escapes text so that Markdown reads it back as the same text.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let escape = match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' | '|' => true,
            // only where it could open a tag, a comment or an autolink
            '<' => next.is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')),
            // only where it could start an entity (`&amp;`, `&#39;`)
            '&' => {
                let name: String = chars[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == '#')
                    .collect();
                !name.is_empty() && chars.get(i + 1 + name.chars().count()) == Some(&';')
            }
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Escapes what would start a block at the beginning of a line: `#`, `>`, `-`, `+`, `=` and
/// `1.`/`1)` list markers (text is already [`escape`]d).
fn escape_line_start(text: &str) -> String {
    let first = text.chars().next();
    if matches!(first, Some('#' | '>' | '-' | '+' | '=')) {
        return format!("\\{text}");
    }
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let rest = &text[digits..];
        if let Some(after) = rest.strip_prefix(['.', ')'])
            && (after.is_empty() || after.starts_with([' ', '\t']))
        {
            return format!("{}\\{}", &text[..digits], rest);
        }
    }
    text.to_owned()
}

/// A code span around `code`, fenced with more backticks than it holds in a row.
pub fn code_span(code: &str) -> String {
    let code = code.replace(['\r', '\n'], " ");
    let fence = "`".repeat(longest_run(&code, '`') + 1);
    let pad = code.starts_with('`')
        || code.ends_with('`')
        || (code.starts_with(' ') && code.ends_with(' ') && !code.trim().is_empty());
    let space = if pad { " " } else { "" };
    format!("{fence}{space}{code}{space}{fence}")
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in s.chars() {
        if ch == c {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// `[text](url "title")`; `text` is Markdown already.
pub fn link(text: &str, url: &str, title: Option<&str>) -> String {
    format!("[{text}]({}{})", destination(url), link_title(title))
}

/// `![alt](src "title")`.
pub fn image(alt: &str, src: &str, title: Option<&str>) -> String {
    let alt = escape(&alt.replace(['\r', '\n'], " "));
    format!("![{alt}]({}{})", destination(src), link_title(title))
}

/// A link destination, in `<...>` when it holds characters a bare one cannot.
fn destination(url: &str) -> String {
    let url = url.trim();
    if url.is_empty() {
        return "<>".to_owned();
    }
    if url.contains(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '<' | '>')) {
        let url = url
            .replace('<', "%3C")
            .replace('>', "%3E")
            .replace(['\r', '\n'], "");
        format!("<{url}>")
    } else {
        url.to_owned()
    }
}

fn link_title(title: Option<&str>) -> String {
    match title.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => format!(
            " \"{}\"",
            t.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace(['\r', '\n'], " ")
        ),
        None => String::new(),
    }
}

/// `## text`, with a trailing `#` escaped so that it is not read as a closing sequence.
pub fn heading(level: usize, text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut text = text.to_owned();
    if text.ends_with('#') && !text.ends_with("\\#") {
        let run = text.len() - text.trim_end_matches('#').len();
        text.insert(text.len() - run, '\\');
    }
    Some(format!("{} {text}", "#".repeat(level.clamp(1, 6))))
}

/// Every line of `md` prefixed with `> `.
pub fn blockquote(md: &str) -> Option<String> {
    let md = md.trim();
    if md.is_empty() {
        return None;
    }
    Some(
        md.lines()
            .map(|l| {
                if l.is_empty() {
                    ">".to_owned()
                } else {
                    format!("> {l}")
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// A fenced code block; the fence is longer than any backtick run in the code.
pub fn code_block(code: &str, language: Option<&str>) -> String {
    let code = code.replace("\r\n", "\n");
    let code = code.strip_suffix('\n').unwrap_or(&code);
    let fence = "`".repeat(longest_run(code, '`').max(2) + 1);
    // an info string holds no backticks; only its first word names the language
    let lang = language
        .and_then(|l| l.split_whitespace().next())
        .filter(|l| !l.contains('`'))
        .unwrap_or("");
    format!("{fence}{lang}\n{code}\n{fence}")
}

/// One item of a list: its marker (`-`, `3.`) and its Markdown, which may span lines.
pub struct ListItem {
    pub marker: String,
    pub content: String,
}

/// A tight list; lines after an item's first are indented to its content.
pub fn list(items: &[ListItem]) -> Option<String> {
    if items.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for item in items {
        let indent = " ".repeat(item.marker.len() + 1);
        let mut lines = item.content.lines();
        match lines.next() {
            Some(first) if !first.is_empty() => out.push(format!("{} {first}", item.marker)),
            _ => out.push(item.marker.clone()),
        }
        for line in lines {
            if line.is_empty() {
                out.push(String::new());
            } else {
                out.push(format!("{indent}{line}"));
            }
        }
    }
    Some(out.join("\n"))
}

/// HTML kept as one HTML block: it starts on a tag that opens a block (or is wrapped in a
/// `<div>`), and its blank lines are written as `&#10;`, which reads the same in HTML but does
/// not end the block.
pub fn html_block(html: &str) -> Option<String> {
    let html = html.trim();
    if html.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(html.len());
    let mut pending_blank = 0;
    for line in html.lines() {
        if line.trim().is_empty() {
            pending_blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        for _ in 0..pending_blank {
            out.push_str("&#10;");
        }
        pending_blank = 0;
        out.push_str(line);
    }
    if starts_html_block(&out) {
        Some(out)
    } else {
        Some(format!("<div>\n{out}\n</div>"))
    }
}

/// Whether CommonMark reads a line starting with `html` as an HTML block running to the next
/// blank line (its "type 6" start conditions), or a comment.
fn starts_html_block(html: &str) -> bool {
    const BLOCK_TAGS: &[&str] = &[
        "address",
        "article",
        "aside",
        "base",
        "basefont",
        "blockquote",
        "body",
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
        "hr",
        "html",
        "iframe",
        "legend",
        "li",
        "link",
        "main",
        "menu",
        "menuitem",
        "nav",
        "noframes",
        "ol",
        "optgroup",
        "option",
        "p",
        "param",
        "search",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "title",
        "tr",
        "track",
        "ul",
    ];
    let Some(rest) = html.strip_prefix('<') else {
        return false;
    };
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    let name: String = rest
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    let after = rest[name.len()..].chars().next();
    let ends_name = after.is_none_or(|c| c.is_whitespace() || c == '>' || c == '/');
    (ends_name && BLOCK_TAGS.contains(&name.as_str()))
        // a comment ends its block at `-->`, which is fine when it is the whole card
        || (html.starts_with("<!--") && html.trim_end().ends_with("-->") && !html.contains('\n'))
}

/// A `<figure>` around Markdown `body`, with a caption (HTML) when there is one. With neither
/// a caption nor a class, the body alone.
pub fn figure(class: &str, body: &str, caption: &str) -> Option<String> {
    let body = body.trim();
    let caption = caption.split_whitespace().collect::<Vec<_>>().join(" ");
    if body.is_empty() {
        return None;
    }
    if caption.is_empty() && class.is_empty() {
        return Some(body.to_owned());
    }
    let open = if class.is_empty() {
        "<figure>".to_owned()
    } else {
        format!("<figure class=\"{}\">", escape_html(class))
    };
    let mut out = format!("{open}\n\n{body}\n\n");
    if !caption.is_empty() {
        out.push_str(&format!("<figcaption>{caption}</figcaption>\n"));
    }
    out.push_str("</figure>");
    Some(out)
}

/// Joins blocks with blank lines. Two lists of the same kind in a row would read as one
/// list, so an empty comment goes between them.
pub fn join_blocks(blocks: impl IntoIterator<Item = String>) -> String {
    let mut out = String::new();
    let mut prev_list: Option<char> = None;
    for block in blocks {
        let block = block.trim_end();
        if block.trim().is_empty() {
            continue;
        }
        let list = list_kind(block);
        if !out.is_empty() {
            out.push_str("\n\n");
            if list.is_some() && list == prev_list {
                out.push_str("<!-- -->\n\n");
            }
        }
        out.push_str(block);
        prev_list = list;
    }
    out
}

/// `-` for a bullet list, `.` for an ordered one, as the block's first line shows.
fn list_kind(block: &str) -> Option<char> {
    if block.starts_with("- ") || block == "-" || block.starts_with("-\n") {
        return Some('-');
    }
    let digits = block.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0 && block[digits..].starts_with('.')).then_some('.')
}

/// Escapes text for HTML (content or a quoted attribute).
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
