//! Markdown → sanitised HTML, rendered once when content is written, never per request.
//!
//! CommonMark plus tables, footnotes, strikethrough, task lists and heading anchors, through
//! pulldown-cmark, with fenced code highlighted ([`crate::render::highlight`]); the HTML then
//! passes ammonia's allow-list, so raw HTML in a post cannot run script or break the page. The
//! admin preview, the API and the importer all call [`render`].
//!
//! The output needs no inline style (the site's Content Security Policy forbids it): table
//! alignment and highlighting are classes the themes' stylesheets know.
//!
//! Every stage is linear in the input once nesting is bounded: the HTML5 tree builder inside
//! ammonia walks the stack of open elements for many tags, so a post nesting block quotes,
//! lists or HTML elements thousands deep would cost seconds to minutes. Such a post is refused
//! ([`RenderError::TooDeep`]) before it reaches the sanitiser.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};

use crate::render::{highlight, html_scan};

use pulldown_cmark::{Alignment, CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd, html};

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
    let footnote_ids = number_footnotes(&mut events);
    add_heading_anchors(&mut events, footnote_ids);
    responsive_images(&mut events, images);
    label_task_boxes(&mut events);
    align_table_cells(&mut events);
    highlight_code(&mut events);
    go_on()?;

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

/// Footnotes' ids: `fn-N` on the definition, `fnref-N` on the first reference to it, N the
/// footnote's number (in order of first appearance, as pulldown-cmark numbers them). Ids of
/// their own, so that no heading or label can take one. Writes the references and the
/// definitions' openings, with a link back to the text; returns the ids used.
fn number_footnotes(events: &mut [Event<'_>]) -> HashSet<String> {
    // numbers in order of first appearance, reference or definition alike
    let mut numbers: HashMap<String, usize> = HashMap::new();
    let mut referenced: HashSet<usize> = HashSet::new();
    for event in events.iter() {
        let next = numbers.len() + 1;
        match event {
            Event::FootnoteReference(label) => {
                referenced.insert(*numbers.entry(label.to_string()).or_insert(next));
            }
            Event::Start(Tag::FootnoteDefinition(label)) => {
                numbers.entry(label.to_string()).or_insert(next);
            }
            _ => {}
        }
    }
    let mut ids = HashSet::new();
    let mut open_definition: Option<usize> = None;
    for i in 0..events.len() {
        let event = &mut events[i];
        match event {
            Event::FootnoteReference(label) => {
                let n = numbers[label.as_ref()];
                // only the first reference takes the id the definition links back to
                let id = if ids.insert(format!("fnref-{n}")) {
                    format!(r#" id="fnref-{n}""#)
                } else {
                    String::new()
                };
                *event = Event::InlineHtml(CowStr::from(format!(
                    r##"<sup class="footnote-reference"{id}><a href="#fn-{n}">{n}</a></sup>"##
                )));
            }
            Event::Start(Tag::FootnoteDefinition(label)) => {
                let n = numbers[label.as_ref()];
                ids.insert(format!("fn-{n}"));
                open_definition = Some(n);
                *event = Event::Html(CowStr::from(format!(
                    "\n<div class=\"footnote-definition\" id=\"fn-{n}\"><sup class=\"footnote-definition-label\">{n}</sup>"
                )));
            }
            Event::End(TagEnd::FootnoteDefinition) => {
                // a definition nobody refers to has nothing to go back to
                let back = match open_definition.take() {
                    Some(n) if referenced.contains(&n) => format!(
                        r##"<a class="footnote-backref" href="#fnref-{n}" aria-label="Back to reference {n}">↩&#xfe0e;</a>"##
                    ),
                    _ => String::new(),
                };
                // at the end of the last paragraph when there is one, else on a line of its own
                if i > 0 && matches!(events[i - 1], Event::End(TagEnd::Paragraph)) {
                    events[i - 1] = Event::Html(CowStr::from(format!(" {back}</p>\n")));
                    events[i] = Event::Html(CowStr::from("</div>\n"));
                } else {
                    events[i] = Event::Html(CowStr::from(format!("{back}</div>\n")));
                }
            }
            _ => {}
        }
    }
    ids
}

/// Gives every heading an id unique in the post: headings without an explicit `{#id}` one
/// made from their text, numbered when it is taken; an explicit one that is already taken (by
/// an earlier heading or a footnote, whose ids are in `reserved`) is numbered alike.
fn add_heading_anchors(events: &mut [Event<'_>], reserved: HashSet<String>) {
    let mut used = reserved;
    for event in events.iter_mut() {
        if let Event::Start(Tag::Heading { id: Some(id), .. }) = event {
            if used.contains(id.as_ref()) {
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

/// Task-list boxes, disabled, each labelled with its task's text (the text up to the item's
/// nested list or end), so that a screen reader says "Buy milk, check box, checked" rather
/// than an unnamed box.
fn label_task_boxes(events: &mut [Event<'_>]) {
    /// Longest label, in characters; a task longer than that is read on after its box.
    const MAX_LABEL: usize = 200;
    for i in 0..events.len() {
        let Event::TaskListMarker(checked) = events[i] else {
            continue;
        };
        let mut text = String::new();
        let mut depth = 0usize;
        for event in &events[i + 1..] {
            match event {
                Event::Start(Tag::List(_)) | Event::End(TagEnd::Item) => break,
                Event::End(TagEnd::Paragraph) if depth == 0 => break,
                Event::Start(_) => depth += 1,
                Event::End(_) => depth = depth.saturating_sub(1),
                Event::Text(t) | Event::Code(t) => text.push_str(t),
                Event::SoftBreak | Event::HardBreak => text.push(' '),
                _ => {}
            }
        }
        let mut label = excerpt(&text, MAX_LABEL);
        if label.is_empty() {
            label = if checked { "Done" } else { "Not done" }.to_owned();
        }
        events[i] = Event::InlineHtml(CowStr::from(format!(
            r#"<input type="checkbox"{} disabled="" aria-label="{}"> "#,
            if checked { r#" checked="""# } else { "" },
            attr(&label)
        )));
    }
}

/// Table cells of aligned columns get a class (`align-left`, `align-center`, `align-right`)
/// instead of pulldown-cmark's inline `style`, which the Content Security Policy blocks.
fn align_table_cells(events: &mut [Event<'_>]) {
    let mut alignments: Vec<Alignment> = Vec::new();
    let mut in_head = false;
    let mut cell = 0;
    for event in events.iter_mut() {
        match event {
            Event::Start(Tag::Table(a)) => {
                alignments = std::mem::take(a);
            }
            Event::Start(Tag::TableHead) => {
                in_head = true;
                cell = 0;
            }
            Event::End(TagEnd::TableHead) => in_head = false,
            Event::Start(Tag::TableRow) => cell = 0,
            Event::Start(Tag::TableCell) => {
                let element = if in_head { "th" } else { "td" };
                let class = match alignments.get(cell) {
                    Some(Alignment::Left) => r#" class="align-left""#,
                    Some(Alignment::Center) => r#" class="align-center""#,
                    Some(Alignment::Right) => r#" class="align-right""#,
                    _ => "",
                };
                *event = Event::InlineHtml(CowStr::from(format!("<{element}{class}>")));
            }
            Event::End(TagEnd::TableCell) => {
                let element = if in_head { "th" } else { "td" };
                *event = Event::InlineHtml(CowStr::from(format!("</{element}>")));
                cell += 1;
            }
            _ => {}
        }
    }
}

/// Fenced code blocks in a language the highlighter knows become highlighted HTML; the rest
/// stay as pulldown-cmark writes them.
fn highlight_code(events: &mut Vec<Event<'_>>) {
    if !events
        .iter()
        .any(|e| matches!(e, Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_)))))
    {
        return;
    }
    let mut budget = highlight::Budget::default();
    let mut out = Vec::with_capacity(events.len());
    let mut iter = std::mem::take(events).into_iter();
    while let Some(event) = iter.next() {
        let Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) = &event else {
            out.push(event);
            continue;
        };
        let mut inner = Vec::new();
        let mut code = String::new();
        for e in iter.by_ref() {
            let end = matches!(e, Event::End(TagEnd::CodeBlock));
            if let Event::Text(t) = &e {
                code.push_str(t);
            }
            inner.push(e);
            if end {
                break;
            }
        }
        match highlight::highlight_block(info, &code, &mut budget) {
            Some(html) => out.push(Event::Html(CowStr::from(format!("{html}\n")))),
            None => {
                out.push(event);
                out.extend(inner);
            }
        }
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

/// Stored (sanitised) HTML whose first image loads at once and first (`loading="eager"`,
/// `fetchpriority="high"`): for a page whose first image is in its text. The stored HTML has
/// every image lazy, since where a post's text starts on a page is up to the page.
pub fn first_image_eager(html: &str) -> String {
    let Some(img) =
        html_scan::tags(html).find(|t| !t.closing && t.name.eq_ignore_ascii_case("img"))
    else {
        return html.to_owned();
    };
    let loading = img
        .attrs
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case("loading"))
        .and_then(|a| a.value.clone());
    let mut out = String::with_capacity(html.len() + 40);
    match loading {
        // the sanitiser writes values in double quotes
        Some(value) if html[..value.start].ends_with('"') => {
            out.push_str(&html[..value.start]);
            out.push_str(r#"eager" fetchpriority="high"#);
            out.push_str(&html[value.end..]);
        }
        _ => {
            let after_name = img.span.start + "<img".len();
            out.push_str(&html[..after_name]);
            out.push_str(r#" loading="eager" fetchpriority="high""#);
            out.push_str(&html[after_name..]);
        }
    }
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
    .add_tag_attributes("input", ["type", "checked", "disabled", "aria-label"])
    .add_tag_attributes("a", ["aria-label"])
    .add_tag_attributes("code", ["class"])
    // highlighted code (`hl-...`), checked below
    .add_tag_attributes("span", ["class"])
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
    .add_allowed_classes("a", ["footnote-backref"])
    // table alignment as classes: the Content Security Policy blocks inline styles
    .add_allowed_classes("th", ["align-left", "align-center", "align-right"])
    .add_allowed_classes("td", ["align-left", "align-center", "align-right"])
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
        ("span", "class") => value
            .split_whitespace()
            .all(highlight::is_highlight_class)
            .then(|| value.into()),
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
            r.html.contains(r#"<th class="align-center">b</th>"#),
            "{}",
            r.html
        );
        assert!(
            r.html.contains(r#"<td class="align-center">2</td>"#),
            "{}",
            r.html
        );
        assert!(!r.html.contains("style="), "{}", r.html);
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
    fn footnotes_have_ids_of_their_own_and_every_id_is_unique() {
        let r = render("# Note\n\nText[^note] and again[^note].\n\n## Sources {#sources}\n\nMore[^sources].\n\n## Fn 1\n\n## Twice {#sources}\n\n[^note]: A footnote.\n[^sources]: Another.\n[^unused]: Never cited.").unwrap();
        // headings keep the ids their text or author gave them
        assert!(r.html.contains(r#"<h1 id="note">"#), "{}", r.html);
        assert!(r.html.contains(r#"<h2 id="sources">"#), "{}", r.html);
        // footnotes have their own prefix, which headings cannot take
        assert!(
            r.html
                .contains(r##"<sup class="footnote-reference" id="fnref-1"><a href="#fn-1""##),
            "{}",
            r.html
        );
        assert!(
            r.html
                .contains(r#"<div class="footnote-definition" id="fn-1">"#),
            "{}",
            r.html
        );
        assert!(
            r.html.contains(r##"<p>A footnote. <a class="footnote-backref" href="#fnref-1" aria-label="Back to reference 1""##),
            "{}",
            r.html
        );
        assert!(r.html.contains(r#"<h2 id="fn-1-1">"#), "{}", r.html);
        assert!(r.html.contains(r#"<h2 id="sources-1">"#), "{}", r.html);
        // an unreferenced footnote has no link back
        assert!(r.html.contains(r#"id="fn-3""#), "{}", r.html);
        assert!(!r.html.contains("#fnref-3"), "{}", r.html);
        let ids: Vec<&str> = r
            .html
            .split(" id=\"")
            .skip(1)
            .map(|rest| &rest[..rest.find('"').unwrap()])
            .collect();
        let unique: HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(ids.len(), unique.len(), "{ids:?}");
    }

    #[test]
    fn task_boxes_are_disabled_and_labelled_with_their_task() {
        let r = render("- [x] Buy *milk*\n- [ ] Call \"Bob\"\n  - [ ] nested\n- [ ]\n").unwrap();
        assert!(
            r.html.contains(
                r#"<input type="checkbox" checked="" disabled="" aria-label="Buy milk">"#
            ),
            "{}",
            r.html
        );
        assert!(
            r.html.contains(
                r#"<input type="checkbox" disabled="" aria-label="Call &quot;Bob&quot;">"#
            ),
            "{}",
            r.html
        );
        assert!(r.html.contains(r#"aria-label="nested""#), "{}", r.html);
        assert_eq!(
            r.html.matches("<input").count(),
            r.html.matches("aria-label=").count()
        );
        assert_eq!(r.html.matches("disabled").count(), 4, "{}", r.html);
    }

    #[test]
    fn fenced_code_is_highlighted_and_stays_safe() {
        let r = render("```rust\nfn main() { println!(\"<script>alert(1)</script>\"); }\n```\n\n```nosuchlang\n<script>x</script> & y\n```\n\n```\nplain <b>\n```\n").unwrap();
        assert!(
            r.html.contains(
                r#"<pre><code class="language-rust"><span class="hl-keyword">fn </span>"#
            ),
            "{}",
            r.html
        );
        assert!(!r.html.contains("<script"), "{}", r.html);
        assert!(r.html.contains("&lt;script&gt;"), "{}", r.html);
        assert!(
            r.html.contains("<pre><code class=\"language-nosuchlang\">&lt;script&gt;x&lt;/script&gt; &amp; y\n</code></pre>"),
            "{}",
            r.html
        );
        assert!(
            r.html.contains("<pre><code>plain &lt;b&gt;\n</code></pre>"),
            "{}",
            r.html
        );
        // the code is not counted as words, highlighted or not
        assert_eq!(r.word_count, 0);
        let forged =
            render("<span class=\"hl-keyword evil\">a</span><span class=\"hl-string\">b</span>")
                .unwrap();
        assert!(!forged.html.contains("evil"), "{}", forged.html);
        assert!(
            forged.html.contains(r#"<span class="hl-string">b</span>"#),
            "{}",
            forged.html
        );
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
    fn only_the_first_image_is_made_eager() {
        let r = render("Text `<img loading=\"lazy\">`\n\n![a](/a.png)\n\n![b](/b.png)").unwrap();
        let html = first_image_eager(&r.html);
        assert_eq!(html.matches(r#"loading="eager""#).count(), 1, "{html}");
        assert_eq!(html.matches(r#"fetchpriority="high""#).count(), 1, "{html}");
        assert_eq!(html.matches(r#"loading="lazy" "#).count(), 1, "{html}");
        assert!(
            html.find(r#"loading="eager""#) < html.find("/b.png"),
            "{html}"
        );
        assert!(
            html.contains(r#"<img src="/a.png" alt="a" loading="eager" fetchpriority="high""#),
            "{html}"
        );
        assert_eq!(first_image_eager("<p>no image</p>"), "<p>no image</p>");
        assert_eq!(
            first_image_eager(r#"<img src="x">"#),
            r#"<img loading="eager" fetchpriority="high" src="x">"#
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
            (
                "```rust blocks",
                fill("```rust\nfn main() { let x = \"a\"; } // c\n```\n"),
            ),
            (
                "```js one block",
                format!(
                    "```js\n{}```\n",
                    "var a = [1, 'b', /c/g]; // d\n".repeat(64 * 1024 / 32)
                ),
            ),
            (
                "```html nesting",
                format!("```html\n{}\n```\n", "<div><span>".repeat(5_000)),
            ),
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
