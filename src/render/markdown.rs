//! Markdown → sanitised HTML, rendered once when content is written, never per request.
//!
//! CommonMark plus tables, footnotes, strikethrough, task lists and heading anchors, through
//! pulldown-cmark; the HTML then passes ammonia's allow-list, so raw HTML in a post cannot run
//! script or break the page. The admin preview, the API and the importer all call [`render`].
//!
//! Every stage is linear in the input once nesting is bounded: the HTML5 tree builder inside
//! ammonia walks the stack of open elements for many tags, so a post nesting block quotes,
//! lists or HTML elements thousands deep would cost seconds to minutes. Such a post is refused
//! ([`RenderError::TooDeep`]) before it reaches the sanitiser.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};

use crate::render::html_scan;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// Words per minute used for reading time, as in Ghost.
const WORDS_PER_MINUTE: usize = 275;
/// Longest generated excerpt, in characters.
const EXCERPT_CHARS: usize = 300;

/// Deepest nesting accepted: block quotes, lists and HTML elements inside one another. Real
/// writing rarely goes past ten; the bound keeps the sanitiser's cost linear in the input.
pub const MAX_NESTING: usize = 32;

/// Why Markdown was not rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error(
        "The post is nested more than {MAX_NESTING} levels deep (block quotes, lists or HTML elements inside one another); flatten it."
    )]
    TooDeep,
    /// Whoever asked for the render no longer waits for it.
    #[error("the render was cancelled")]
    Cancelled,
}

impl From<RenderError> for crate::error::Error {
    fn from(e: RenderError) -> Self {
        match e {
            RenderError::TooDeep => crate::error::Error::invalid("markdown", e.to_string()),
            RenderError::Cancelled => crate::error::Error::Other(e.into()),
        }
    }
}

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
pub fn render(markdown: &str) -> Result<Rendered, RenderError> {
    render_with_images(markdown, &|_| None)
}

/// At most this many renders run at once in a process, each on a thread of the blocking
/// pool, so that concurrent large posts queue instead of taking every core.
static RENDERS: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    tokio::sync::Semaphore::new((cores / 2).max(1))
});

/// [`render_with_images`] on the blocking pool, one of a bounded number at a time. Dropping
/// the future (a request timed out or its client left) stops the render at its next stage.
pub async fn render_off_thread(
    markdown: String,
    images: HashMap<String, ImageInfo>,
) -> Result<Rendered, RenderError> {
    let _permit = RENDERS
        .acquire()
        .await
        .map_err(|_| RenderError::Cancelled)?;
    let cancelled = Arc::new(AtomicBool::new(false));
    // set when this future is dropped, whether the render has finished or not
    struct CancelOnDrop(Arc<AtomicBool>);
    impl Drop for CancelOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let _cancel = CancelOnDrop(cancelled.clone());
    tokio::task::spawn_blocking(move || {
        render_stages(&markdown, &|url| images.get(url).cloned(), &cancelled)
    })
    .await
    .unwrap_or(Err(RenderError::Cancelled))
}

pub use crate::domain::image::ImageInfo;

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
/// Refuses Markdown nested more than [`MAX_NESTING`] deep.
pub fn render_with_images(
    markdown: &str,
    images: &dyn Fn(&str) -> Option<ImageInfo>,
) -> Result<Rendered, RenderError> {
    render_stages(markdown, images, &AtomicBool::new(false))
}

/// Checks Markdown as [`render`] would, without sanitising or keeping anything: for
/// validating many posts before writing any (the importer).
pub fn check(markdown: &str) -> Result<(), RenderError> {
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options()));
    check_nesting(&raw)
}

fn check_nesting(raw_html: &str) -> Result<(), RenderError> {
    if html_scan::nests_deeper_than(raw_html, MAX_NESTING) {
        Err(RenderError::TooDeep)
    } else {
        Ok(())
    }
}

/// The render, giving up between stages once `cancelled` is set.
fn render_stages(
    markdown: &str,
    images: &dyn Fn(&str) -> Option<ImageInfo>,
    cancelled: &AtomicBool,
) -> Result<Rendered, RenderError> {
    let go_on = || {
        if cancelled.load(Ordering::Relaxed) {
            Err(RenderError::Cancelled)
        } else {
            Ok(())
        }
    };
    // Markdown's own nesting (each start tag is an element), checked as the events come so
    // that a deep document stops here; raw HTML is measured below with the rest
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut depth = 0usize;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(_) if depth == MAX_NESTING => return Err(RenderError::TooDeep),
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        events.push(event);
    }
    go_on()?;
    add_heading_anchors(&mut events);
    responsive_images(&mut events, images);

    let text = plain_text(&events);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, events.into_iter());
    go_on()?;
    // the whole document as the sanitiser will see it: Markdown's blocks and raw HTML alike
    check_nesting(&raw)?;
    let html = SANITIZER.clean(&raw).to_string();

    let word_count = text.split_whitespace().count();
    Ok(Rendered {
        html,
        excerpt: excerpt(&text, EXCERPT_CHARS),
        word_count: i32::try_from(word_count).unwrap_or(i32::MAX),
        reading_time: i32::try_from(word_count.div_ceil(WORDS_PER_MINUTE)).unwrap_or(i32::MAX),
    })
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_DEFINITION_LIST
        | Options::ENABLE_GFM
}

/// Gives every heading without an explicit `{#id}` an id made from its text, unique in the post.
/// Footnote definitions take their label as id, so a heading never takes a footnote's id: an
/// explicit one that would is numbered like a repeated heading (else the footnote's back link
/// would land on the heading).
fn add_heading_anchors(events: &mut [Event<'_>]) {
    let footnotes: HashSet<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Start(Tag::FootnoteDefinition(label)) => Some(label.to_string()),
            _ => None,
        })
        .collect();
    let mut used = footnotes.clone();
    for event in events.iter_mut() {
        if let Event::Start(Tag::Heading { id: Some(id), .. }) = event {
            if footnotes.contains(id.as_ref()) {
                let base = id.to_string();
                let mut n = 1;
                while used.contains(&format!("{base}-{n}")) {
                    n += 1;
                }
                *id = CowStr::from(format!("{base}-{n}"));
            }
            used.insert(id.to_string());
        }
    }
    let mut next_suffix: HashMap<String, usize> = HashMap::new();
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
            // the next suffix to try for each base, so that many equal headings cost linear time
            let n = next_suffix.entry(base.clone()).or_insert(1);
            let mut id = base.clone();
            while !used.insert(id.clone()) {
                id = format!("{base}-{n}");
                *n += 1;
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
/// becomes `https://site/about/`; `href`, `src`, `poster` and each URL of `srcset` are
/// rewritten. One pass over the tags, linear in the HTML: the HTML was sanitised when it was
/// rendered, so it is not parsed into a tree again.
pub fn absolutize(html: &str, base: &url::Url) -> String {
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let mut copied = 0;
    for tag in html_scan::tags(html) {
        if tag.closing {
            continue;
        }
        for attr in &tag.attrs {
            let Some(range) = attr.value.clone() else {
                continue;
            };
            let value = &html[range.clone()];
            let name = attr.name;
            let rewritten = if ["href", "src", "poster"]
                .iter()
                .any(|n| name.eq_ignore_ascii_case(n))
            {
                absolute_url(value, base)
            } else if name.eq_ignore_ascii_case("srcset") {
                absolute_srcset(value, base)
            } else {
                None
            };
            if let Some(new) = rewritten {
                out.push_str(&html[copied..range.start]);
                out.push_str(&new);
                copied = range.end;
            }
        }
    }
    out.push_str(&html[copied..]);
    out
}

/// An attribute value (escaped as in HTML) made absolute, if it was relative.
fn absolute_url(escaped: &str, base: &url::Url) -> Option<String> {
    let value = unescape_attr(escaped);
    let value = value.trim();
    match url::Url::parse(value) {
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            base.join(value).ok().map(|url| attr(url.as_str()))
        }
        _ => None,
    }
}

/// `a.png 600w, b.png 2x` with each URL made absolute; `None` if none was relative.
fn absolute_srcset(escaped: &str, base: &url::Url) -> Option<String> {
    let mut changed = false;
    let candidates: Vec<String> = escaped
        .split(',')
        .map(|candidate| {
            let trimmed = candidate.trim_start();
            let (url, rest) = trimmed.split_at(
                trimmed
                    .find(|c: char| c.is_ascii_whitespace())
                    .unwrap_or(trimmed.len()),
            );
            match absolute_url(url, base) {
                Some(url) => {
                    changed = true;
                    format!(
                        "{}{url}{rest}",
                        &candidate[..candidate.len() - trimmed.len()]
                    )
                }
                None => candidate.to_owned(),
            }
        })
        .collect();
    changed.then(|| candidates.join(","))
}

/// Undoes the character references a serialiser writes in attribute values.
fn unescape_attr(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('&') {
        return s.into();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let reference = rest[1..]
            .find(';')
            .filter(|&n| n <= 10)
            .map(|n| &rest[1..=n]);
        let decoded = reference.and_then(|r| match r {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "nbsp" => Some('\u{a0}'),
            _ => {
                let code = match r.strip_prefix('#') {
                    Some(hex) if hex.starts_with(['x', 'X']) => {
                        u32::from_str_radix(&hex[1..], 16).ok()
                    }
                    Some(dec) => dec.parse().ok(),
                    None => None,
                };
                code.and_then(char::from_u32)
            }
        });
        match (reference, decoded) {
            (Some(r), Some(c)) => {
                out.push(c);
                rest = &rest[r.len() + 2..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out.into()
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
    // GitHub-style alerts (`> [!NOTE]`), as pulldown-cmark marks them
    .add_allowed_classes(
        "blockquote",
        [
            "markdown-alert-note",
            "markdown-alert-tip",
            "markdown-alert-important",
            "markdown-alert-warning",
            "markdown-alert-caution",
        ],
    )
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
        ).unwrap();
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
    fn definition_lists_and_alerts_are_rendered() {
        let r = render(
            "Term\n: Its definition\n\n> [!NOTE]\n> Read this.\n\n> [!CAUTION]\n> Mind the step.",
        )
        .unwrap();
        assert!(r.html.contains("<dl>"), "{}", r.html);
        assert!(r.html.contains("<dt>Term</dt>"), "{}", r.html);
        assert!(r.html.contains("<dd>Its definition</dd>"), "{}", r.html);
        assert!(
            r.html
                .contains(r#"<blockquote class="markdown-alert-note">"#),
            "{}",
            r.html
        );
        assert!(
            r.html
                .contains(r#"<blockquote class="markdown-alert-caution">"#),
            "{}",
            r.html
        );
        assert!(!r.html.contains("[!NOTE]"), "{}", r.html);
        let forged =
            render("<blockquote class=\"evil markdown-alert-tip\">x</blockquote>").unwrap();
        assert!(!forged.html.contains("evil"), "{}", forged.html);
    }

    #[test]
    fn headings_never_take_a_footnotes_id() {
        let r = render("# Note\n\nText[^note].\n\n## Sources {#sources}\n\nMore[^sources].\n\n[^note]: A footnote.\n[^sources]: Another.").unwrap();
        assert!(r.html.contains(r#"<h1 id="note-1">"#), "{}", r.html);
        assert!(r.html.contains(r#"<h2 id="sources-1">"#), "{}", r.html);
        assert_eq!(r.html.matches(r#"id="note""#).count(), 1, "{}", r.html);
        assert_eq!(r.html.matches(r#"id="sources""#).count(), 1, "{}", r.html);
    }

    #[test]
    fn headings_get_unique_anchors() {
        let r = render("# Hello, World!\n\n## Hello, World!\n\n## Custom {#mine}\n").unwrap();
        assert!(r.html.contains(r#"<h1 id="hello-world">"#), "{}", r.html);
        assert!(r.html.contains(r#"<h2 id="hello-world-1">"#), "{}", r.html);
        assert!(r.html.contains(r#"<h2 id="mine">"#), "{}", r.html);
    }

    #[test]
    fn script_and_event_handlers_are_removed() {
        let r = render(
            "Hi <script>alert(1)</script><img src=x onerror=alert(1)> <a href=\"javascript:alert(1)\">x</a>",
        ).unwrap();
        assert!(!r.html.contains("<script"), "{}", r.html);
        assert!(!r.html.contains("onerror"), "{}", r.html);
        assert!(!r.html.contains("javascript:"), "{}", r.html);
    }

    #[test]
    fn code_language_classes_survive_but_other_classes_do_not() {
        let r = render("```rust\nfn main() {}\n```\n\n<span class=\"evil\">x</span>").unwrap();
        assert!(r.html.contains(r#"class="language-rust""#), "{}", r.html);
        assert!(!r.html.contains("evil"), "{}", r.html);
    }

    #[test]
    fn word_count_reading_time_and_excerpt_come_from_the_text() {
        let words = "word ".repeat(600);
        let r = render(&format!(
            "# Title\n\n{words}\n\n```\nnot counted in code\n```\n"
        ))
        .unwrap();
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
        })
        .unwrap();
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
    fn nesting_beyond_the_limit_is_refused_whatever_makes_it() {
        for bomb in [
            ">".repeat(100_000),
            format!("{}x", "- ".repeat(50_000)),
            format!("{}x", "> 1. ".repeat(20_000)),
            "<div>".repeat(50_000),
            "<details><ul><li>".repeat(10_000),
            (0..5_000)
                .map(|i| format!("<p><b class=c{i}></p>"))
                .collect(),
        ] {
            assert_eq!(render(&bomb), Err(RenderError::TooDeep), "{}", &bomb[..40]);
            assert_eq!(check(&bomb), Err(RenderError::TooDeep));
        }
        // the paragraph inside counts as a level
        let deepest = format!("{}x", "> ".repeat(MAX_NESTING - 1));
        assert!(render(&deepest).is_ok());
        assert!(check(&deepest).is_ok());
        assert!(render(&format!("{}x", "> ".repeat(MAX_NESTING))).is_err());
    }

    #[test]
    fn many_equal_headings_get_numbered_anchors() {
        let r = render(&"# Same\n\n".repeat(20_000)).unwrap();
        assert!(r.html.contains(r#"<h1 id="same">"#));
        assert!(r.html.contains(r#"<h1 id="same-19999">"#));
        let r = render("# a\n\n## a-1\n\n# a\n").unwrap();
        assert!(r.html.contains(r#"<h2 id="a-1">"#), "{}", r.html);
        assert!(r.html.contains(r#"<h1 id="a-2">"#), "{}", r.html);
    }

    /// What absolutizing was before: the whole sanitiser again, rewriting relative URLs.
    fn absolutize_by_sanitising(html: &str, base: &url::Url) -> String {
        let mut b = sanitizer();
        b.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()));
        b.clean(html).to_string()
    }

    #[test]
    fn absolutize_rewrites_exactly_what_the_sanitiser_would() {
        let base = url::Url::parse("https://blog.example/post/").unwrap();
        let md = concat!(
            "[rel](../up/?a=1&b=2 \"t\") [abs](https://other.example/x?q=\"y\") [mail](mailto:a@b.example)\n\n",
            "[frag](#x) [proto](//cdn.example/p.js) [space](/a%20b) [q](?page=2)\n\n",
            "![pic](pic.png \"A > B\") ![remote](http://img.example/i.gif)\n\n",
            "A note[^1].\n\n[^1]: The note.\n\n",
            "<a title=\"href=/x\" href=\"/about/\">about</a> <video src=\"v.mp4\" poster=\"p.jpg\"></video>\n\n",
            "> <audio src=\"s.ogg\"><source src=\"s.mp3\" type=\"audio/mpeg\"></audio>\n\n",
            "`<a href=\"/not-a-link\">` and &lt;a href=\"/text\"&gt;\n",
        );
        let html = render(md).unwrap().html;
        assert_eq!(
            absolutize(&html, &base),
            absolutize_by_sanitising(&html, &base)
        );
        let out = absolutize(&html, &base);
        for expected in [
            r#"href="https://blog.example/up/?a=1&amp;b=2""#,
            r#"href="https://other.example/x?q=%22y%22""#,
            r#"href="mailto:a@b.example""#,
            r#"href="https://blog.example/post/#x""#,
            r#"href="https://cdn.example/p.js""#,
            r#"src="https://blog.example/post/pic.png""#,
            r#"href="https://blog.example/about/""#,
            r#"poster="https://blog.example/post/p.jpg""#,
            r#"src="https://blog.example/post/s.mp3""#,
        ] {
            assert!(out.contains(expected), "{expected} in {out}");
        }
        assert!(
            out.contains("/not-a-link"),
            "code is text, not a link: {out}"
        );
    }

    #[test]
    fn absolutize_makes_srcset_absolute_too() {
        let base = url::Url::parse("https://blog.example/post/").unwrap();
        let html = r#"<img src="/i/a.jpg" srcset="/i/a-600w.webp 600w, /i/a-1000w.webp 1000w, https://cdn.example/a.webp 2x" alt="">"#;
        assert_eq!(
            absolutize(html, &base),
            r#"<img src="https://blog.example/i/a.jpg" srcset="https://blog.example/i/a-600w.webp 600w, https://blog.example/i/a-1000w.webp 1000w, https://cdn.example/a.webp 2x" alt="">"#
        );
    }

    #[test]
    fn absolutize_is_linear_in_nested_html() {
        // the deepest nesting accepted, many times over: the sanitiser took seconds on this
        let unit = format!(
            "{}<a href=\"/x/\">x</a>{}",
            "<blockquote>".repeat(MAX_NESTING - 1),
            "</blockquote>".repeat(MAX_NESTING - 1)
        );
        let html = unit.repeat(2_000);
        let base = url::Url::parse("https://blog.example/post/").unwrap();
        let out = absolutize(&html, &base);
        assert_eq!(
            out.matches(r#"href="https://blog.example/x/""#).count(),
            2_000
        );
        assert_eq!(out.len(), html.len() + 2_000 * "https://blog.example".len());
    }

    #[test]
    fn excerpt_keeps_short_text_whole() {
        assert_eq!(excerpt("  a   short\ntext ", 100), "a short text");
        assert_eq!(excerpt("abc def", 5), "abc…");
    }
}

/// Timing of the worst inputs known, at the largest accepted size:
/// `cargo test --release --lib render::markdown::worst_case -- --ignored --nocapture`.
#[cfg(test)]
mod worst_case {
    use super::*;
    use std::time::Instant;

    #[test]
    #[ignore]
    fn timing() {
        let size = crate::editing::MAX_MARKDOWN;
        let fill = |unit: &str| unit.repeat(size / unit.len());
        let cases: Vec<(&str, String)> = vec![
            ("> nested", fill(">")),
            ("> spaced", fill("> ")),
            ("- lists", format!("{}x", fill("- "))),
            ("1. lists", format!("{}x", fill("1. "))),
            ("> - mixed", format!("{}x", fill("> - "))),
            ("<div>", fill("<div>")),
            ("<div></div>", fill("<div></div>")),
            ("<details>", fill("<details>")),
            ("<ul><li>", fill("<ul><li>")),
            ("<li><ul>", fill("<li><ul>")),
            ("<span><div></span>", fill("<span><div></span>")),
            ("<p><b>", fill("<p><b>")),
            (
                "<p><b class></p>",
                (0..size / 24)
                    .map(|i| format!("<p><b class=c{i}></p>"))
                    .collect(),
            ),
            ("<a>", fill("<a>")),
            ("<b>", fill("<b>")),
            ("<span>", fill("<span>")),
            ("<table><tr><td>", fill("<table><tr><td>")),
            ("*", fill("*")),
            ("*a", fill("*a")),
            ("_a *b", fill("_a *b ")),
            ("[", fill("[")),
            ("[](", fill("[](")),
            ("`", fill("`")),
            ("[^a]", fill("[^a]")),
            ("# h", fill("# h\n")),
            ("| table", format!("|a|b|\n|-|-|\n{}", fill("|x|y|\n"))),
            ("words", fill("word ")),
            ("![](x)", fill("![](x) ")),
            ("<!--", fill("<!--")),
            ("<a href=", fill("<a href='")),
        ];
        for (name, md) in cases {
            let start = Instant::now();
            let result = render(&md);
            eprintln!(
                "{name:20} {:>9} bytes {:>10.1?} {}",
                md.len(),
                start.elapsed(),
                match &result {
                    Ok(r) => format!("ok, {} bytes of HTML", r.html.len()),
                    Err(e) => format!("{e:?}"),
                }
            );
        }
    }
}
