//! Ghost's HTML to Markdown, through `htmd` in its faithful mode: what Markdown can say is
//! written as Markdown, anything else stays as HTML.
//!
//! Ghost decorates its HTML with attributes that carry no meaning once the theme is gone
//! (`id` on headings, `kg-image` classes, `white-space: pre-wrap` spans, `rel` on links). Those
//! are dropped first, so that a heading with an id is still a Markdown heading rather than a
//! block of HTML.

use std::sync::LazyLock;

use htmd::element_handler::{HandlerResult, Handlers};
use htmd::options::{BrStyle, BulletListMarker, HrStyle, Options, TranslationMode};
use htmd::{Element, HtmlToMarkdown};

use super::emit;

static CONVERTER: LazyLock<HtmlToMarkdown> = LazyLock::new(|| {
    HtmlToMarkdown::builder()
        .options(Options {
            translation_mode: TranslationMode::Faithful,
            bullet_list_marker: BulletListMarker::Dash,
            ul_bullet_spacing: 1,
            ol_number_spacing: 1,
            hr_style: HrStyle::Dashes,
            // `\` at the end of the line, as the editors' line breaks are written
            br_style: BrStyle::Backslash,
            ..Options::default()
        })
        .add_handler(
            vec![
                "h1",
                "h2",
                "h3",
                "h4",
                "h5",
                "h6",
                "p",
                "a",
                "img",
                "strong",
                "b",
                "em",
                "i",
                "code",
                "blockquote",
                "ul",
                "ol",
                "li",
                "pre",
                "br",
                "hr",
            ],
            without_decoration,
        )
        .add_handler(vec!["span"], plain_span)
        .add_handler(vec!["figure"], image_figure)
        .build()
});

/// Converts HTML (a whole post, or a card's field) to Markdown.
pub fn to_markdown(html: &str) -> String {
    let html = collapse_double_emphasis(&strip_card_comments(html));
    if html.trim().is_empty() {
        return String::new();
    }
    match CONVERTER.convert(&html) {
        Ok(md) => md.trim().to_owned(),
        // htmd reads from a string and does not fail on bad HTML; keep the HTML if it ever does
        Err(_) => emit::html_block(&html).unwrap_or_default(),
    }
}

/// Whether an attribute only dresses the element up for Ghost's themes.
fn decoration(tag: &str, name: &str, value: &str) -> bool {
    match name {
        "id" | "dir" => true,
        "style" => value
            .split(';')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .all(|d| d.replace(' ', "") == "white-space:pre-wrap"),
        "class" => match tag {
            "img" => value.split_whitespace().all(|c| c.starts_with("kg-")),
            // Ghost's editor marks its own emphasis (`<em class="italic">`)
            "strong" | "b" | "em" | "i" => true,
            _ => false,
        },
        "rel" | "target" => tag == "a",
        "loading" | "decoding" | "width" | "height" | "srcset" | "sizes" => tag == "img",
        "value" => tag == "li",
        _ => false,
    }
}

/// Drops decoration, then converts the element as htmd would.
fn without_decoration(handlers: &dyn Handlers, element: Element) -> Option<HandlerResult> {
    let kept: Vec<_> = element
        .attrs
        .iter()
        .filter(|a| !decoration(element.tag, &a.name.local, &a.value))
        .cloned()
        .collect();
    let mut element = element;
    element.attrs = &kept;
    handlers.fallback(element)
}

/// A span with nothing but decoration is just its content.
fn plain_span(handlers: &dyn Handlers, element: Element) -> Option<HandlerResult> {
    if element
        .attrs
        .iter()
        .all(|a| decoration("span", &a.name.local, &a.value))
    {
        Some(handlers.walk_children(element.node))
    } else {
        handlers.fallback(element)
    }
}

/// Ghost's image card (`<figure class="kg-card kg-image-card">`): the image as Markdown (so
/// that Quire serves it responsively), the caption as HTML, in a figure. Other figures stay
/// HTML.
fn image_figure(handlers: &dyn Handlers, element: Element) -> Option<HandlerResult> {
    let class = element
        .attrs
        .iter()
        .find(|a| &*a.name.local == "class")
        .map(|a| a.value.to_string())
        .unwrap_or_default();
    if !class.split_whitespace().any(|c| c == "kg-image-card") {
        return handlers.fallback(element);
    }
    let inner = handlers.walk_children(element.node).content;
    let inner = inner.trim();
    if !inner.contains("![") {
        return handlers.fallback(element);
    }
    let (image, caption) = match inner.find("<figcaption") {
        Some(at) => (inner[..at].trim(), inner[at..].trim()),
        None => (inner, ""),
    };
    let caption = caption
        .strip_prefix("<figcaption>")
        .and_then(|c| c.strip_suffix("</figcaption>"))
        .unwrap_or(caption);
    let width = class
        .split_whitespace()
        .filter(|c| matches!(*c, "kg-width-wide" | "kg-width-full"))
        .collect::<Vec<_>>()
        .join(" ");
    let class = match (width.is_empty(), caption.is_empty()) {
        (true, true) => String::new(),
        (true, false) => "kg-card kg-image-card kg-card-hascaption".to_owned(),
        (false, true) => format!("kg-card kg-image-card {width}"),
        (false, false) => format!("kg-card kg-image-card {width} kg-card-hascaption"),
    };
    let md = emit::figure(&class, image, caption)?;
    Some(format!("\n\n{md}\n\n").into())
}

/// Removes the comments Ghost puts around cards (`<!--kg-card-begin: html-->`) and its
/// members-only marker; they mean nothing outside Ghost.
fn strip_card_comments(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<!--") {
        let Some(len) = rest[start..].find("-->") else {
            break;
        };
        let comment = rest[start + 4..start + len].trim();
        out.push_str(&rest[..start]);
        if !(comment.starts_with("kg-card-") || comment == "members-only") {
            out.push_str(&rest[start..start + len + 3]);
        }
        rest = &rest[start + len + 3..];
    }
    out.push_str(rest);
    out
}

/// Ghost's editor writes bold as `<b><strong>` and italic as `<i><em>`; one of each is enough
/// (two would come out as `****`).
fn collapse_double_emphasis(html: &str) -> String {
    html.replace("<b><strong", "<strong")
        .replace("</strong></b>", "</strong>")
        .replace("<i><em", "<em")
        .replace("</em></i>", "</em>")
}

/// The text of an HTML fragment (a caption), without tags, entities decoded, whitespace
/// collapsed.
pub fn to_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        match rest[start..].find('>') {
            Some(end) => {
                let tag = &rest[start + 1..start + end];
                if tag.starts_with("br") || tag.starts_with("/p") {
                    text.push(' ');
                }
                rest = &rest[start + end + 1..];
            }
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    if !rest.starts_with('<') {
        text.push_str(rest);
    }
    decode_entities(&text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Decodes the character references a caption holds (`&amp;`, `&#39;`, `&#x2019;`, `&nbsp;`).
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &after[..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ghost_decoration_does_not_turn_markdown_into_html() {
        let md = to_markdown(
            r#"<h2 id="intro">Intro</h2><p><span style="white-space: pre-wrap;">Hello </span><a href="https://x.test" rel="noopener noreferrer" target="_blank">world</a></p>"#,
        );
        assert_eq!(md, "## Intro\n\nHello [world](https://x.test)");
    }

    #[test]
    fn image_cards_become_markdown_images_in_a_figure() {
        let md = to_markdown(
            r#"<figure class="kg-card kg-image-card kg-width-wide kg-card-hascaption"><img src="https://x.test/a.jpg" class="kg-image" alt="A cat" loading="lazy" width="600" height="400" srcset="https://x.test/a-600.jpg 600w"><figcaption>Photo by <a href="https://u.test">U</a></figcaption></figure>"#,
        );
        assert_eq!(
            md,
            "<figure class=\"kg-card kg-image-card kg-width-wide kg-card-hascaption\">\n\n![A cat](https://x.test/a.jpg)\n\n<figcaption>Photo by <a href=\"https://u.test\">U</a></figcaption>\n</figure>"
        );
        let plain = to_markdown(
            r#"<figure class="kg-card kg-image-card"><img src="/b.png" alt=""></figure>"#,
        );
        assert_eq!(plain, "![](/b.png)");
    }

    #[test]
    fn what_markdown_cannot_say_stays_html() {
        let md = to_markdown(
            "<p>a <u>b</u></p><!--kg-card-begin: html--><div class=\"x\">\n\n<b>raw</b></div><!--kg-card-end: html--><p>c</p>",
        );
        assert!(md.starts_with("a <u>b</u>\n\n<div class=\"x\">"), "{md}");
        assert!(!md.contains("kg-card-begin"), "{md}");
        assert!(md.ends_with("</div>\n\nc"), "{md}");
    }

    #[test]
    fn line_breaks_end_lines_with_a_backslash() {
        assert_eq!(to_markdown("<p>one<br>two</p>"), "one\\\ntwo");
    }

    #[test]
    fn captions_become_text() {
        assert_eq!(
            to_text("Photo by <a href=\"x\">Jane &amp; Joe</a> &#8212; <b>2020</b>"),
            "Photo by Jane & Joe \u{2014} 2020"
        );
        assert_eq!(to_text("a<br>b"), "a b");
    }
}
