//! Ghost's cards (images, galleries, embeds, callouts, ...) to Markdown. Lexical stores a card
//! as a node whose fields are the card's; Mobiledoc as a `[name, payload]` pair with the same
//! fields. Both come here.
//!
//! A card becomes Markdown where Markdown says the same thing (an image, a code fence, a link
//! for a button or a bookmark), and HTML where it cannot (a figure with a caption, a video, a
//! toggle). Cards that only make sense inside Ghost (email-only content, members' signup forms,
//! the paywall marker, dynamic collections) are left out.

use serde_json::{Map, Value};

use super::emit::{self, Inline};
use super::html;

/// Markdown for one card; `None` when it shows nothing.
pub fn render(kind: &str, card: &Map<String, Value>) -> Option<String> {
    match kind {
        "image" => image(card),
        "gallery" => gallery(card),
        "markdown" | "card-markdown" => {
            let md = text(card, "markdown").trim_end();
            (!md.trim().is_empty()).then(|| md.to_owned())
        }
        "html" => emit::html_block(text(card, "html")),
        "code" | "codeblock" => code(card),
        "hr" | "horizontalrule" => Some("---".to_owned()),
        "embed" => embed(card),
        "bookmark" => bookmark(card),
        "callout" => callout(card),
        "toggle" => toggle(card),
        "button" => button(text(card, "buttonText"), text(card, "buttonUrl")),
        "video" => video(card),
        "audio" => audio(card),
        "file" => file(card),
        "product" => product(card),
        "header" => header(card),
        "call-to-action" => call_to_action(card),
        // email-only content, members' forms and markers, lists that Ghost fills in itself
        "paywall" | "email" | "email-cta" | "signup" | "collection" | "transistor" => None,
        _ => match card.get("html").and_then(Value::as_str) {
            Some(h) if !h.trim().is_empty() => emit::html_block(h),
            _ => Some(format!(
                "<!-- Ghost card \"{}\" has no Markdown equivalent -->",
                kind.replace("--", "- -")
            )),
        },
    }
}

/// A string field, or `""`.
fn text<'a>(card: &'a Map<String, Value>, key: &str) -> &'a str {
    card.get(key).and_then(Value::as_str).unwrap_or("")
}

fn flag(card: &Map<String, Value>, key: &str) -> bool {
    match card.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n != 0.0),
        Some(Value::String(s)) => s == "true",
        _ => false,
    }
}

fn width_class(card: &Map<String, Value>) -> Option<&'static str> {
    match text(card, "cardWidth") {
        "wide" => Some("kg-width-wide"),
        "full" => Some("kg-width-full"),
        _ => None,
    }
}

/// `kg-card kg-NAME-card` with the width and caption classes Ghost would add.
fn card_class(name: &str, card: &Map<String, Value>, caption: &str) -> String {
    let mut class = format!("kg-card kg-{name}-card");
    if let Some(w) = width_class(card) {
        class.push(' ');
        class.push_str(w);
    }
    if !caption.trim().is_empty() {
        class.push_str(" kg-card-hascaption");
    }
    class
}

fn image(card: &Map<String, Value>) -> Option<String> {
    let src = text(card, "src");
    if src.trim().is_empty() {
        return None;
    }
    let title = Some(text(card, "title"));
    let mut md = emit::image(text(card, "alt"), src, title);
    let href = text(card, "href");
    if !href.trim().is_empty() {
        md = emit::link(&md, href, None);
    }
    let caption = text(card, "caption");
    // a plain image needs no figure; a caption or a wide layout does
    let class = if caption.trim().is_empty() && width_class(card).is_none() {
        String::new()
    } else {
        card_class("image", card, caption)
    };
    emit::figure(&class, &md, caption)
}

/// Images row by row, each row one paragraph, in a figure with the gallery's caption.
fn gallery(card: &Map<String, Value>) -> Option<String> {
    let images = card.get("images").and_then(Value::as_array)?;
    let mut rows: Vec<(i64, Vec<String>)> = Vec::new();
    for img in images.iter().filter_map(Value::as_object) {
        let src = text(img, "src");
        if src.trim().is_empty() {
            continue;
        }
        let row = img.get("row").and_then(Value::as_i64).unwrap_or(0);
        let md = emit::image(text(img, "alt"), src, Some(text(img, "title")));
        match rows.iter_mut().find(|(r, _)| *r == row) {
            Some((_, row)) => row.push(md),
            None => rows.push((row, vec![md])),
        }
    }
    if rows.is_empty() {
        return None;
    }
    rows.sort_by_key(|(r, _)| *r);
    let body = rows
        .into_iter()
        .map(|(_, imgs)| imgs.join("\n"))
        .collect::<Vec<_>>()
        .join("\n\n");
    let caption = text(card, "caption");
    let mut class = "kg-card kg-gallery-card kg-width-wide".to_owned();
    if !caption.trim().is_empty() {
        class.push_str(" kg-card-hascaption");
    }
    emit::figure(&class, &body, caption)
}

fn code(card: &Map<String, Value>) -> Option<String> {
    let code = text(card, "code");
    if code.trim().is_empty() {
        return None;
    }
    let language = Some(text(card, "language")).filter(|l| !l.is_empty());
    let fence = emit::code_block(code, language);
    let caption = text(card, "caption");
    if caption.trim().is_empty() {
        Some(fence)
    } else {
        emit::figure("kg-card kg-code-card", &fence, caption)
    }
}

fn embed(card: &Map<String, Value>) -> Option<String> {
    let caption = text(card, "caption");
    let url = text(card, "url");
    let body = match emit::html_block(text(card, "html")) {
        Some(html) => html,
        None if !url.trim().is_empty() => {
            let title = metadata(card, "title");
            let label = if title.is_empty() { url } else { title };
            emit::link(&emit::escape(label), url, None)
        }
        None => return None,
    };
    emit::figure(&card_class("embed", card, caption), &body, caption)
}

fn metadata<'a>(card: &'a Map<String, Value>, key: &str) -> &'a str {
    card.get("metadata")
        .and_then(Value::as_object)
        .map_or("", |m| text(m, key))
        .trim()
}

/// A link to the page with its title, description and publisher, one per line.
fn bookmark(card: &Map<String, Value>) -> Option<String> {
    let url = text(card, "url").trim();
    if url.is_empty() {
        return None;
    }
    let title = metadata(card, "title");
    let mut lines = vec![Inline::Link {
        url: url.to_owned(),
        title: None,
        children: vec![Inline::Text(
            if title.is_empty() { url } else { title }.to_owned(),
            emit::format::BOLD,
        )],
    }];
    let description = metadata(card, "description");
    if !description.is_empty() {
        lines.extend([Inline::Break, Inline::Text(description.to_owned(), 0)]);
    }
    let byline = [metadata(card, "publisher"), metadata(card, "author")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    if !byline.is_empty() {
        lines.extend([Inline::Break, Inline::Text(byline, emit::format::ITALIC)]);
    }
    let body = emit::inlines(&lines);
    let caption = text(card, "caption");
    if caption.trim().is_empty() {
        Some(body)
    } else {
        emit::figure(&card_class("bookmark", card, caption), &body, caption)
    }
}

/// A quote starting with the callout's emoji.
fn callout(card: &Map<String, Value>) -> Option<String> {
    let body = html::to_markdown(text(card, "calloutText"));
    let emoji = text(card, "calloutEmoji").trim();
    let md = match (emoji.is_empty(), body.is_empty()) {
        (true, true) => return None,
        (true, false) => body,
        (false, true) => emoji.to_owned(),
        (false, false) => format!("{emoji} {body}"),
    };
    emit::blockquote(&md)
}

/// `<details>` with the heading as its summary and the content as Markdown inside.
fn toggle(card: &Map<String, Value>) -> Option<String> {
    let heading = html::to_text(text(card, "heading"));
    let content = html::to_markdown(text(card, "content"));
    if heading.is_empty() && content.is_empty() {
        return None;
    }
    Some(format!(
        "<details class=\"kg-card kg-toggle-card\">\n<summary>{}</summary>\n\n{content}\n\n</details>",
        emit::escape_html(&heading)
    ))
}

fn button(label: &str, url: &str) -> Option<String> {
    let url = url.trim();
    if url.is_empty() {
        return None;
    }
    let label = html::to_text(label);
    let label = if label.is_empty() { url } else { &label };
    Some(emit::link(&emit::escape(label), url, None))
}

fn video(card: &Map<String, Value>) -> Option<String> {
    let src = text(card, "src").trim();
    if src.is_empty() {
        return None;
    }
    let mut tag = format!(
        "<video src=\"{}\" controls playsinline preload=\"metadata\"",
        emit::escape_html(src)
    );
    let poster = [text(card, "customThumbnailSrc"), text(card, "thumbnailSrc")]
        .into_iter()
        .map(str::trim)
        .find(|p| !p.is_empty());
    if let Some(poster) = poster {
        tag.push_str(&format!(" poster=\"{}\"", emit::escape_html(poster)));
    }
    for key in ["width", "height"] {
        if let Some(n) = card.get(key).and_then(Value::as_u64) {
            tag.push_str(&format!(" {key}=\"{n}\""));
        }
    }
    if flag(card, "loop") {
        tag.push_str(" loop muted");
    }
    tag.push_str("></video>");
    let caption = text(card, "caption");
    emit::figure(&card_class("video", card, caption), &tag, caption)
}

fn audio(card: &Map<String, Value>) -> Option<String> {
    let src = text(card, "src").trim();
    if src.is_empty() {
        return None;
    }
    let tag = format!(
        "<audio src=\"{}\" controls preload=\"metadata\"></audio>",
        emit::escape_html(src)
    );
    let title = emit::escape_html(text(card, "title").trim());
    emit::figure("kg-card kg-audio-card", &tag, &title)
}

/// A download link: the title, the caption, then the file's name and size.
fn file(card: &Map<String, Value>) -> Option<String> {
    let src = text(card, "src").trim();
    if src.is_empty() {
        return None;
    }
    let name = text(card, "fileName").trim();
    let title = match text(card, "fileTitle").trim() {
        "" if name.is_empty() => src,
        "" => name,
        t => t,
    };
    let mut md = emit::link(&emit::escape(title), src, None);
    let size = card.get("fileSize").and_then(|v| match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    });
    let details = [
        Some(name.to_owned()).filter(|n| !n.is_empty() && n != title),
        size.map(human_size),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>();
    if !details.is_empty() {
        md.push_str(&format!(" ({})", emit::escape(&details.join(", "))));
    }
    let caption = text(card, "fileCaption").trim();
    if !caption.is_empty() {
        md.push_str("\\\n");
        md.push_str(&emit::escape(caption));
    }
    Some(md)
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut size = bytes as f64 / 1024.0;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    format!("{size:.1} {}", UNITS[unit])
}

/// Image, name, description, rating and button, one block each.
fn product(card: &Map<String, Value>) -> Option<String> {
    let mut blocks = Vec::new();
    let src = text(card, "productImageSrc").trim();
    if !src.is_empty() {
        blocks.push(emit::image("", src, None));
    }
    let title = html::to_text(text(card, "productTitle"));
    if !title.is_empty() {
        blocks.push(emit::inlines(&[Inline::Text(title, emit::format::BOLD)]));
    }
    blocks.push(html::to_markdown(text(card, "productDescription")));
    if flag(card, "productRatingEnabled") {
        let stars = card
            .get("productStarRating")
            .and_then(Value::as_u64)
            .unwrap_or(5)
            .min(5) as usize;
        blocks.push(format!("{}{}", "★".repeat(stars), "☆".repeat(5 - stars)));
    }
    if flag(card, "productButtonEnabled")
        && let Some(b) = button(text(card, "productButton"), text(card, "productUrl"))
    {
        blocks.push(b);
    }
    let md = emit::join_blocks(blocks);
    (!md.is_empty()).then_some(md)
}

/// The header's text as a heading, its subheading, and its button. The background is left
/// out: it was decoration of Ghost's layout.
fn header(card: &Map<String, Value>) -> Option<String> {
    let mut blocks = Vec::new();
    let heading = html::to_text(text(card, "header"));
    if let Some(h) = emit::heading(2, &emit::escape(&heading)) {
        blocks.push(h);
    }
    blocks.push(html::to_markdown(text(card, "subheader")));
    if flag(card, "buttonEnabled")
        && let Some(b) = button(text(card, "buttonText"), text(card, "buttonUrl"))
    {
        blocks.push(b);
    }
    let md = emit::join_blocks(blocks);
    (!md.is_empty()).then_some(md)
}

fn call_to_action(card: &Map<String, Value>) -> Option<String> {
    let mut blocks = Vec::new();
    let image = text(card, "imageUrl").trim();
    if flag(card, "hasImage") && !image.is_empty() {
        blocks.push(emit::image("", image, None));
    }
    blocks.push(html::to_markdown(text(card, "textValue")));
    if flag(card, "showButton")
        && let Some(b) = button(text(card, "buttonText"), text(card, "buttonUrl"))
    {
        blocks.push(b);
    }
    let md = emit::join_blocks(blocks);
    (!md.is_empty()).then_some(md)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn card(kind: &str, v: Value) -> Option<String> {
        render(kind, v.as_object().unwrap())
    }

    #[test]
    fn file_sizes_read_like_ghost_shows_them() {
        assert_eq!(human_size(900), "900 bytes");
        assert_eq!(human_size(1536), "1.5 KB");
        assert_eq!(human_size(3 * 1024 * 1024), "3.0 MB");
    }

    #[test]
    fn a_linked_image_with_a_title_is_a_markdown_link_around_it() {
        assert_eq!(
            card(
                "image",
                json!({"src": "/a b.png", "alt": "An [x]", "title": "T", "href": "https://x.test", "cardWidth": ""})
            )
            .unwrap(),
            r#"[![An \[x\]](</a b.png> "T")](https://x.test)"#
        );
        assert_eq!(card("image", json!({"src": "", "alt": "nothing"})), None);
    }

    #[test]
    fn an_unknown_card_keeps_its_html_or_leaves_a_note() {
        assert_eq!(
            card("nft", json!({"html": "<div>token</div>"})).unwrap(),
            "<div>token</div>"
        );
        assert_eq!(
            card("mystery", json!({})).unwrap(),
            "<!-- Ghost card \"mystery\" has no Markdown equivalent -->"
        );
        assert_eq!(card("paywall", json!({})), None);
    }
}
