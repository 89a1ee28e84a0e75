//! Markdown → sanitised HTML, rendered once when content is written, never per request.
//!
//! CommonMark plus tables, footnotes, strikethrough, task lists and heading anchors, through
//! pulldown-cmark; the HTML then passes ammonia's allow-list, so raw HTML in a post cannot run
//! script or break the page. The admin preview, the API and the importer all call [`render`].

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// Words per minute used for reading time, as in Ghost.
const WORDS_PER_MINUTE: usize = 275;
/// Longest generated excerpt, in characters.
const EXCERPT_CHARS: usize = 300;

/// The result of rendering one post's Markdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Sanitised HTML, safe to insert into a page as is.
    pub html: String,
    /// The beginning of the text, without markup, cut at a word boundary.
    pub excerpt: String,
    pub word_count: i32,
    /// Minutes, at least 1 for any non-empty text.
    pub reading_time: i32,
}

/// Renders Markdown to sanitised HTML with excerpt, word count and reading time.
pub fn render(markdown: &str) -> Rendered {
    render_with_images(markdown, &|_| None)
}

/// What is known about an image that was uploaded here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageInfo {
    /// `url 600w, url 1000w, ...`
    pub srcset: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
}

/// Sizes of an image in the post's text column.
const CONTENT_IMAGE_SIZES: &str = "(min-width: 720px) 720px, 100vw";

/// The URLs of the images a post shows, in order.
pub fn image_urls(markdown: &str) -> Vec<String> {
    Parser::new_ext(markdown, options())
        .filter_map(|e| match e {
            Event::Start(Tag::Image { dest_url, .. }) => Some(dest_url.to_string()),
            _ => None,
        })
        .collect()
}

/// Like [`render`], with images looked up in `images`: known ones get `srcset`, `sizes` and
/// their dimensions; every image loads lazily.
pub fn render_with_images(markdown: &str, images: &dyn Fn(&str) -> Option<ImageInfo>) -> Rendered {
    let mut events: Vec<Event<'_>> = Parser::new_ext(markdown, options()).collect();
    add_heading_anchors(&mut events);
    responsive_images(&mut events, images);

    let text = plain_text(&events);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, events.into_iter());
    let html = SANITIZER.clean(&raw).to_string();

    let word_count = text.split_whitespace().count();
    Rendered {
        html,
        excerpt: excerpt(&text, EXCERPT_CHARS),
        word_count: i32::try_from(word_count).unwrap_or(i32::MAX),
        reading_time: i32::try_from(word_count.div_ceil(WORDS_PER_MINUTE)).unwrap_or(i32::MAX),
    }
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Gives every heading without an explicit `{#id}` an id made from its text, unique in the post.
fn add_heading_anchors(events: &mut [Event<'_>]) {
    let mut used: HashSet<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Start(Tag::Heading { id: Some(id), .. }) => Some(id.to_string()),
            _ => None,
        })
        .collect();
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { id: None, .. }) = &events[i] {
            let mut text = String::new();
            let mut j = i + 1;
            while j < events.len() && !matches!(events[j], Event::End(TagEnd::Heading(_))) {
                if let Event::Text(t) | Event::Code(t) = &events[j] {
                    text.push_str(t);
                }
                j += 1;
            }
            let base = match anchor_slug(&text) {
                s if s.is_empty() => "section".to_owned(),
                s => s,
            };
            let mut id = base.clone();
            let mut n = 1;
            while !used.insert(id.clone()) {
                id = format!("{base}-{n}");
                n += 1;
            }
            if let Event::Start(Tag::Heading { id: slot, .. }) = &mut events[i] {
                *slot = Some(CowStr::from(id));
            }
            i = j;
        }
        i += 1;
    }
}

/// Replaces each image (start, alt text, end) by one `<img>` with responsive attributes.
fn responsive_images(events: &mut Vec<Event<'_>>, images: &dyn Fn(&str) -> Option<ImageInfo>) {
    let mut out = Vec::with_capacity(events.len());
    let mut iter = std::mem::take(events).into_iter();
    while let Some(event) = iter.next() {
        let Event::Start(Tag::Image {
            dest_url, title, ..
        }) = event
        else {
            out.push(event);
            continue;
        };
        let mut alt = String::new();
        let mut depth = 0;
        for inner in iter.by_ref() {
            match inner {
                Event::Start(Tag::Image { .. }) => depth += 1,
                Event::End(TagEnd::Image) if depth == 0 => break,
                Event::End(TagEnd::Image) => depth -= 1,
                Event::Text(t) | Event::Code(t) => alt.push_str(&t),
                _ => {}
            }
        }
        let mut tag = format!(r#"<img src="{}" alt="{}""#, attr(&dest_url), attr(&alt));
        if !title.is_empty() {
            tag.push_str(&format!(r#" title="{}""#, attr(&title)));
        }
        if let Some(info) = images(&dest_url) {
            if !info.srcset.is_empty() {
                tag.push_str(&format!(
                    r#" srcset="{}" sizes="{CONTENT_IMAGE_SIZES}""#,
                    attr(&info.srcset)
                ));
            }
            if let (Some(w), Some(h)) = (info.width, info.height) {
                tag.push_str(&format!(r#" width="{w}" height="{h}""#));
            }
        }
        tag.push_str(r#" loading="lazy" decoding="async">"#);
        out.push(Event::InlineHtml(CowStr::from(tag)));
    }
    *events = out;
}

/// Escapes an attribute value.
fn attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `Hello, World!` → `hello-world`; keeps letters and digits of any script.
fn anchor_slug(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// The text a reader reads: no markup, no code blocks, blocks separated by spaces.
fn plain_text(events: &[Event<'_>]) -> String {
    let mut text = String::new();
    let mut in_code_block = false;
    for event in events {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            Event::Text(t) | Event::Code(t) if !in_code_block => text.push_str(t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::TableCell,
            ) => text.push(' '),
            _ => {}
        }
    }
    text
}

/// At most `max` characters of `text`, whitespace collapsed, cut at a word boundary with `…`.
pub fn excerpt(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut chars = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if chars + len + usize::from(chars > 0) > max {
            out.push('…');
            return out;
        }
        if chars > 0 {
            out.push(' ');
            chars += 1;
        }
        out.push_str(word);
        chars += len;
    }
    out
}

/// Rewrites the relative URLs of stored (already sanitised) HTML against `base`, for feeds
/// whose readers show content away from the site. `#fn1` becomes `base#fn1`, `/about/`
/// becomes `https://site/about/`.
pub fn absolutize(html: &str, base: &url::Url) -> String {
    let mut b = sanitizer();
    b.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()));
    b.clean(html).to_string()
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(sanitizer);

fn sanitizer() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.add_tags([
        "input",
        "del",
        "s",
        "figure",
        "figcaption",
        "section",
        "details",
        "summary",
        "mark",
        "video",
        "audio",
        "source",
    ])
    .add_generic_attributes(["id", "title"])
    .add_tag_attributes("input", ["type", "checked", "disabled"])
    .add_tag_attributes("code", ["class"])
    .add_tag_attributes("th", ["style"])
    .add_tag_attributes("td", ["style"])
    .add_tag_attributes(
        "img",
        ["loading", "decoding", "width", "height", "srcset", "sizes"],
    )
    .add_tag_attributes(
        "video",
        [
            "src",
            "controls",
            "poster",
            "width",
            "height",
            "loop",
            "muted",
            "playsinline",
        ],
    )
    .add_tag_attributes("audio", ["src", "controls", "loop"])
    .add_tag_attributes("source", ["src", "type"])
    .add_tag_attributes("ol", ["start"])
    .add_allowed_classes("sup", ["footnote-reference", "footnote-definition-label"])
    .add_allowed_classes("div", ["footnote-definition"])
    .attribute_filter(|element, attribute, value| match (element, attribute) {
        // table alignment is the only inline style we let through
        ("th" | "td", "style") => {
            let allowed: HashMap<&str, &str> = [
                ("text-align: left", "text-align: left"),
                ("text-align: center", "text-align: center"),
                ("text-align: right", "text-align: right"),
            ]
            .into();
            allowed
                .get(value.trim().trim_end_matches(';'))
                .map(|v| (*v).into())
        }
        // task-list boxes only, and never clickable
        ("input", "type") => (value == "checkbox").then(|| value.into()),
        ("code", "class") => value
            .split_whitespace()
            .all(|c| c.starts_with("language-") && c.len() < 64)
            .then(|| value.into()),
        _ => Some(value.into()),
    });
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gfm_extensions_are_rendered() {
        let r = render(
            "| a | b |\n|---|:-:|\n| 1 | 2 |\n\n~~old~~\n\n- [x] done\n- [ ] todo\n\nA note[^1].\n\n[^1]: The note.\n",
        );
        assert!(r.html.contains("<table>"), "{}", r.html);
        assert!(
            r.html.contains(r#"style="text-align: center""#),
            "{}",
            r.html
        );
        assert!(r.html.contains("<del>old</del>"), "{}", r.html);
        assert!(r.html.contains(r#"type="checkbox""#), "{}", r.html);
        assert!(r.html.contains("footnote-reference"), "{}", r.html);
    }

    #[test]
    fn headings_get_unique_anchors() {
        let r = render("# Hello, World!\n\n## Hello, World!\n\n## Custom {#mine}\n");
        assert!(r.html.contains(r#"<h1 id="hello-world">"#), "{}", r.html);
        assert!(r.html.contains(r#"<h2 id="hello-world-1">"#), "{}", r.html);
        assert!(r.html.contains(r#"<h2 id="mine">"#), "{}", r.html);
    }

    #[test]
    fn script_and_event_handlers_are_removed() {
        let r = render(
            "Hi <script>alert(1)</script><img src=x onerror=alert(1)> <a href=\"javascript:alert(1)\">x</a>",
        );
        assert!(!r.html.contains("<script"), "{}", r.html);
        assert!(!r.html.contains("onerror"), "{}", r.html);
        assert!(!r.html.contains("javascript:"), "{}", r.html);
    }

    #[test]
    fn code_language_classes_survive_but_other_classes_do_not() {
        let r = render("```rust\nfn main() {}\n```\n\n<span class=\"evil\">x</span>");
        assert!(r.html.contains(r#"class="language-rust""#), "{}", r.html);
        assert!(!r.html.contains("evil"), "{}", r.html);
    }

    #[test]
    fn word_count_reading_time_and_excerpt_come_from_the_text() {
        let words = "word ".repeat(600);
        let r = render(&format!(
            "# Title\n\n{words}\n\n```\nnot counted in code\n```\n"
        ));
        assert_eq!(r.word_count, 601);
        assert_eq!(r.reading_time, 3);
        assert!(r.excerpt.starts_with("Title word word"));
        assert!(r.excerpt.ends_with('…'));
        assert!(r.excerpt.chars().count() <= EXCERPT_CHARS + 1);
    }

    #[test]
    fn absolutize_resolves_links_against_the_post() {
        let base = url::Url::parse("https://blog.example/post/").unwrap();
        let html = absolutize(
            r##"<a href="/about/">a</a> <a href="#x">b</a> <img src="pic.png" alt="">"##,
            &base,
        );
        assert!(
            html.contains(r#"href="https://blog.example/about/""#),
            "{html}"
        );
        assert!(
            html.contains(r#"href="https://blog.example/post/#x""#),
            "{html}"
        );
        assert!(
            html.contains(r#"src="https://blog.example/post/pic.png""#),
            "{html}"
        );
    }

    #[test]
    fn uploaded_images_get_srcset_and_every_image_loads_lazily() {
        let md = "![A \"cat\"](/content/images/cat.jpg \"Title\")\n\n![x](https://elsewhere.example/x.png)";
        let r = render_with_images(md, &|url| {
            (url == "/content/images/cat.jpg").then(|| ImageInfo {
                srcset: "/content/images/cat-600w.webp 600w".into(),
                width: Some(1200),
                height: Some(800),
            })
        });
        assert!(
            r.html
                .contains(r#"srcset="/content/images/cat-600w.webp 600w""#),
            "{}",
            r.html
        );
        assert!(
            r.html.contains(r#"width="1200" height="800""#),
            "{}",
            r.html
        );
        assert!(r.html.contains(r#"alt="A &quot;cat&quot;""#), "{}", r.html);
        assert_eq!(r.html.matches(r#"loading="lazy""#).count(), 2, "{}", r.html);
        assert_eq!(
            image_urls(md),
            ["/content/images/cat.jpg", "https://elsewhere.example/x.png"]
        );
    }

    #[test]
    fn excerpt_keeps_short_text_whole() {
        assert_eq!(excerpt("  a   short\ntext ", 100), "a short text");
        assert_eq!(excerpt("abc def", 5), "abc…");
    }
}
