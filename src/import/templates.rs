//! The template syntax of Hugo, Jekyll and Zola in a Markdown body, rendered the way the
//! generator would show it, so that none of it shows on the imported page.
//!
//! Built-ins with a Markdown or HTML equivalent are rendered: Hugo's `figure`, `highlight`,
//! `youtube`, `vimeo`, `gist`, `x`/`tweet`, `instagram`, `param`, `ref`, `relref`, `details` and
//! `qr`; Jekyll's `highlight`, `link`, `post_url`, `raw`, `include` (of files in `_includes/`)
//! and `include_relative` (never outside the site),
//! `{{ site.X }}`/`{{ page.X }}` with a few filters; Zola's `@/` links and its `youtube`,
//! `vimeo`, `streamable` and `gist` shortcodes. Embeds become links (a thumbnail link for
//! YouTube): the sanitiser strips iframes. Anything else is taken out of the page (the inner
//! text of a paired shortcode is kept) and reported as a [`Warning`] with its line.
//!
//! Code is content: fenced and indented code blocks and inline code are copied verbatim, but
//! for the generators' escapes (`{{</* x */>}}` and `{% raw %}`), which exist to show template
//! syntax in code and which the generator removes there too.

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;
use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser, Tag};
use regex::Regex;
use serde_json::{Map, Value};

use crate::domain::slug::Slug;

/// How deep `{% include %}` may nest (an include of itself stops here).
const MAX_INCLUDE_DEPTH: usize = 4;
/// Most includes rendered for one file, all depths together: includes that each include
/// another many times would otherwise multiply.
const MAX_INCLUDES: usize = 200;
/// Longest template tag read, delimiters aside: longer is taken for text that is not a tag.
const MAX_TAG: usize = 4096;

/// What a body's template tags may refer to.
pub struct Context<'a> {
    /// The site's configuration (`_config.yml` of Jekyll, the `[params]` of Hugo's), as JSON.
    pub site: &'a Value,
    /// The page's front matter.
    pub page: &'a Map<String, Value>,
    /// Jekyll's `_includes/` folder, when the site has one.
    pub includes: Option<&'a Path>,
    /// The folder of the file being read, for Jekyll's `{% include_relative %}`.
    pub dir: Option<&'a Path>,
}

/// A tag taken out of the page: 1-based line in the text given to [`render`], and what it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub line: usize,
    pub message: String,
}

/// The body with its template tags rendered, and a warning for each tag taken out.
pub fn render(text: &str, ctx: &Context<'_>) -> (String, Vec<Warning>) {
    let mut scanner = Scanner {
        ctx,
        text,
        code: code_ranges(text),
        line_starts: std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect(),
        out: String::with_capacity(text.len()),
        warnings: Vec::new(),
        include: None,
        depth: 0,
        unclosed: HashSet::new(),
        includes_left: MAX_INCLUDES,
    };
    scanner.run();
    (scanner.out, scanner.warnings)
}

/// The site path of the post a link to a source file names: `posts/x.md`, `/posts/x`,
/// `posts/x/index.md`, `_posts/2020-01-02-x.md`, `@/blog/x.md` and `x` all give `/x/`.
///
/// Quire's URLs are flat, so a post's path is its slug; the file name gives the slug the
/// import derives for it.
pub fn link_target(target: &str) -> Option<String> {
    link_target_in(target)
}

/// How a template tag's link to another page is written until every post's final address is
/// known: `quire-ref:TARGET`, which the link pass (`links::Links::rewrite`) turns into the
/// post's address (or, when nothing matches, what [`link_target`] guesses).
pub const PAGE_REF: &str = "quire-ref:";

/// The link a template tag writes for `target`: a page's reference for the link pass, or the
/// path of a file that is not a page (`assets/report.pdf`).
pub fn page_ref(target: &str) -> Option<String> {
    let guessed = link_target(target)?;
    if guessed.ends_with('/') {
        Some(format!("{PAGE_REF}{}", target.trim()))
    } else {
        Some(guessed)
    }
}

fn link_target_in(target: &str) -> Option<String> {
    static DATED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\d{4}-\d{2}-\d{2}-").unwrap());
    let target = target.trim().trim_start_matches("@/");
    let target = target.trim_end_matches('/');
    // a file that is not a page (`assets/report.pdf`) keeps its path
    let name = target.rsplit('/').next().unwrap_or(target);
    if let Some((_, ext)) = name.rsplit_once('.')
        && !["md", "markdown", "html"].contains(&ext.to_ascii_lowercase().as_str())
        && !name.starts_with('.')
    {
        return Some(format!("/{}", target.trim_start_matches('/')));
    }
    let target = [".md", ".markdown", ".html"]
        .iter()
        .find_map(|ext| target.strip_suffix(ext))
        .unwrap_or(target);
    let target = target
        .strip_suffix("/index")
        .or_else(|| target.strip_suffix("/_index"))
        .unwrap_or(target);
    if target.is_empty() || target == "_index" || target == "index" {
        return Some("/".into());
    }
    let name = target.rsplit('/').next().filter(|n| !n.is_empty())?;
    let name = DATED.find(name).map_or(name, |m| &name[m.end()..]);
    Some(format!("/{}/", Slug::from_title(name)))
}

/// Byte ranges of code: fenced and indented blocks and inline code spans.
fn code_ranges(text: &str) -> Vec<Range<usize>> {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_DEFINITION_LIST;
    let mut ranges: Vec<Range<usize>> = Vec::new();
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        if matches!(event, Event::Start(Tag::CodeBlock(_)) | Event::Code(_))
            && ranges.last().is_none_or(|last| last.end <= range.start)
        {
            ranges.push(range);
        }
    }
    ranges
}

struct Scanner<'a, 'c> {
    ctx: &'a Context<'c>,
    text: &'a str,
    code: Vec<Range<usize>>,
    line_starts: Vec<usize>,
    out: String,
    warnings: Vec<Warning>,
    /// Inside an included file: its name and the include's line, for warnings; its parameters.
    include: Option<(String, usize, Map<String, Value>)>,
    depth: usize,
    /// Closing tags known to be absent from the rest of the text: each is searched for once,
    /// so that many unclosed tags cost linear time.
    unclosed: HashSet<String>,
    /// Includes this file may still render.
    includes_left: usize,
}

/// One template tag found at a position.
enum Found<'t> {
    /// `{{< … >}}` or `{{% … %}}`: the inside, and the closing delimiter's length.
    Hugo(&'t str, usize),
    /// `{% … %}`
    Liquid(&'t str, usize),
    /// `{{ … }}`
    Expression(&'t str, usize),
}

impl Scanner<'_, '_> {
    fn line_of(&self, at: usize) -> usize {
        match &self.include {
            Some((_, line, _)) => *line,
            None => self.line_starts.partition_point(|&s| s <= at),
        }
    }

    fn warn(&mut self, at: usize, message: String) {
        let line = self.line_of(at);
        let message = match &self.include {
            Some((file, _, _)) => format!("{message} (in _includes/{file})"),
            None => message,
        };
        self.warnings.push(Warning { line, message });
    }

    /// The first match of a closing tag after `from`, as a range relative to `from`.
    fn find_close(&mut self, close: &Regex, from: usize) -> Option<Range<usize>> {
        if self.unclosed.contains(close.as_str()) {
            return None;
        }
        let found = close.find(&self.text[from..]).map(|m| m.range());
        if found.is_none() {
            self.unclosed.insert(close.as_str().to_owned());
        }
        found
    }

    /// Where the block opened by `{% name %}` ends, after its `{% endname %}`, nested ones
    /// counted.
    fn block_end(&mut self, from: usize, name: &str) -> Option<usize> {
        static TAG: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"\{%-?\s*(\w+)[^%]*?-?%\}").unwrap());
        let key = format!("end{name}");
        if self.unclosed.contains(&key) {
            return None;
        }
        let mut depth = 1;
        for c in TAG.captures_iter(&self.text[from..]) {
            let tag = &c[1];
            if tag == name {
                depth += 1;
            } else if tag == key {
                depth -= 1;
                if depth == 0 {
                    return Some(from + c.get(0).map_or(0, |m| m.end()));
                }
            }
        }
        self.unclosed.insert(key);
        None
    }

    fn run(&mut self) {
        let text = self.text;
        let mut i = 0;
        let mut next_code = 0;
        while i < text.len() {
            while next_code < self.code.len() && self.code[next_code].end <= i {
                next_code += 1;
            }
            let code_start = self.code.get(next_code).map_or(text.len(), |r| r.start);
            if code_start <= i {
                let end = self.code[next_code].end;
                let code = &text[i..end];
                self.out.push_str(&unescape_in_code(code));
                i = end;
                continue;
            }
            // the next `{` or `@` before the code
            let Some(at) = text[i..code_start].find(['{', '@']).map(|p| p + i) else {
                self.out.push_str(&text[i..code_start]);
                i = code_start;
                continue;
            };
            self.out.push_str(&text[i..at]);
            i = self.tag_at(at);
        }
    }

    /// Renders what starts at `at` (a `{` or `@`), returning where scanning goes on.
    fn tag_at(&mut self, at: usize) -> usize {
        let text = self.text;
        let rest = &text[at..];
        if rest.starts_with("@/") {
            return self.zola_link(at);
        }
        if rest.starts_with('@') {
            self.out.push('@');
            return at + 1;
        }
        let Some(found) = find_tag(rest) else {
            if rest.starts_with("{{") || rest.starts_with("{%") {
                self.warn(
                    at,
                    format!(
                        "unclosed template tag `{}` left as written",
                        first_line(rest, 40)
                    ),
                );
                let len = 2;
                self.out.push_str(&rest[..len]);
                return at + len;
            }
            self.out.push('{');
            return at + 1;
        };
        match found {
            Found::Hugo(inner, len) => self.hugo(at, inner, len),
            Found::Liquid(inner, len) => self.liquid(at, inner, len),
            Found::Expression(inner, len) => {
                self.expression(at, inner, len);
                at + len
            }
        }
    }

    /// `@/section/page.md#part` in a link: the post's path.
    fn zola_link(&mut self, at: usize) -> usize {
        let text = self.text;
        let before = text[..at].chars().next_back();
        let is_link = matches!(before, Some('(' | '<' | ' ' | '\t'));
        let end = text[at..]
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | '>' | '"' | '\''))
            .map_or(text.len(), |p| p + at);
        let target = &text[at..end];
        if !is_link || !target.contains(".md") {
            self.out.push('@');
            return at + 1;
        }
        let (path, fragment) = target.split_at(target.find('#').unwrap_or(target.len()));
        match page_ref(path) {
            Some(url) => {
                self.out.push_str(&url);
                self.out.push_str(fragment);
            }
            None => self.out.push_str(target),
        }
        end
    }

    // ---- Hugo -------------------------------------------------------------------------------

    fn hugo(&mut self, at: usize, inner: &str, len: usize) -> usize {
        let text = self.text;
        let end = at + len;
        let inner = inner.trim();
        if let Some(escaped) = inner.strip_prefix("/*").and_then(|s| s.strip_suffix("*/")) {
            // `{{</* x */>}}` shows `{{< x >}}`: as code, so that it reads as syntax
            let delim = &text[at + 2..at + 3];
            let close = if delim == "<" { ">" } else { "%" };
            let shown = format!("{{{{{delim} {} {close}}}}}", escaped.trim());
            self.out.push_str(&code_span(&shown));
            return end;
        }
        if let Some(name) = inner.strip_prefix('/') {
            // a closing tag: its opening one did what there was to do
            if name.trim() == "details" {
                self.out.push_str("\n\n</details>\n\n");
            }
            return end;
        }
        let inner = inner.strip_suffix('/').unwrap_or(inner).trim_end();
        let (name, args) = split_name(inner);
        let params = hugo_params(args);
        let get = |key: &str, pos: usize| params.named(key).or_else(|| params.positional(pos));
        match name {
            "figure" => {
                let src = params.named("src").unwrap_or_default();
                let alt = params
                    .named("alt")
                    .or_else(|| params.named("caption"))
                    .or_else(|| params.named("title"))
                    .unwrap_or_default();
                let src = src
                    .replace(' ', "%20")
                    .replace('(', "%28")
                    .replace(')', "%29");
                let mut image = format!("![{}]({src})", alt.replace(['[', ']'], ""));
                if let Some(link) = params.named("link") {
                    image = format!("[{image}]({link})");
                }
                let caption: Vec<String> = [params.named("title"), params.named("caption")]
                    .into_iter()
                    .flatten()
                    .filter(|c| !c.is_empty())
                    .collect();
                if caption.is_empty() {
                    self.out.push_str(&image);
                } else {
                    // Hugo renders the caption as Markdown (`markdownify`)
                    self.out.push_str(&format!(
                        "\n\n<figure>\n\n{image}\n\n<figcaption>{}</figcaption>\n</figure>\n\n",
                        inline_markdown(&caption.join(" — "))
                    ));
                }
            }
            "highlight" => {
                static CLOSE: LazyLock<Regex> = LazyLock::new(|| {
                    Regex::new(r"\{\{[<%]\s*/\s*highlight\s*[>%]\}\}").unwrap()
                });
                let lang = params.positional(0).unwrap_or_default();
                match self.find_close(&CLOSE, end) {
                    Some(m) => {
                        let code = &text[end..end + m.start];
                        self.out.push_str(&fence(&lang, code));
                        return end + m.end;
                    }
                    None => self.warn(at, "`highlight` without `{{< /highlight >}}`: taken out".into()),
                }
            }
            "youtube" => match get("id", 0) {
                Some(id) => {
                    let title = params.named("title").unwrap_or_else(|| "YouTube video".into());
                    let id = url_part(&id);
                    self.out.push_str(&format!(
                        "[![{}](https://i.ytimg.com/vi/{id}/hqdefault.jpg)](https://www.youtube.com/watch?v={id})",
                        title.replace(['[', ']'], "")
                    ));
                }
                None => self.warn(at, "`youtube` without a video id: taken out".into()),
            },
            "vimeo" => match get("id", 0) {
                Some(id) => {
                    let title = params.named("title").unwrap_or_else(|| "Vimeo video".into());
                    self.out
                        .push_str(&format!("[{title}](https://vimeo.com/{})", url_part(&id)));
                }
                None => self.warn(at, "`vimeo` without a video id: taken out".into()),
            },
            "gist" => match (get("user", 0), get("id", 1)) {
                (Some(user), Some(id)) => {
                    let file = get("file", 2)
                        .map(|f| format!(" ({f})"))
                        .unwrap_or_default();
                    self.out.push_str(&format!(
                        "[Gist {user}/{id}{file}](https://gist.github.com/{}/{})",
                        url_part(&user),
                        url_part(&id)
                    ));
                }
                _ => self.warn(at, "`gist` without a user and an id: taken out".into()),
            },
            "x" | "tweet" | "twitter" => {
                let id = params.named("id").or_else(|| params.positional(1)).or_else(|| {
                    params.positional(0).filter(|p| p.chars().all(|c| c.is_ascii_digit()))
                });
                let user = params
                    .named("user")
                    .or_else(|| params.positional(0).filter(|_| params.positional(1).is_some()));
                match id {
                    Some(id) => {
                        let (label, user) = match user {
                            Some(u) => (format!("Post by @{u} on X"), url_part(&u)),
                            None => ("Post on X".to_owned(), "i".to_owned()),
                        };
                        self.out.push_str(&format!(
                            "[{label}](https://x.com/{user}/status/{})",
                            url_part(&id)
                        ));
                    }
                    None => self.warn(at, format!("`{name}` without a post id: taken out")),
                }
            }
            "instagram" => match get("id", 0) {
                Some(id) => self.out.push_str(&format!(
                    "[Instagram post](https://www.instagram.com/p/{}/)",
                    url_part(&id)
                )),
                None => self.warn(at, "`instagram` without a post id: taken out".into()),
            },
            "param" => match get("name", 0) {
                Some(key) => match lookup(self.ctx.page, &key)
                    .or_else(|| self.ctx.site.as_object().and_then(|s| lookup(s, &key)))
                    .and_then(|v| scalar(&v))
                {
                    Some(value) => self.out.push_str(&value),
                    None => self.warn(
                        at,
                        format!("`{{{{< param {key} >}}}}`: no such parameter in the front matter or the site's params; taken out"),
                    ),
                },
                None => self.warn(at, "`param` without a name: taken out".into()),
            },
            "ref" | "relref" => match get("path", 0).as_deref().and_then(page_ref) {
                Some(url) => self.out.push_str(&url),
                None => self.warn(at, format!("`{name}` without a page: taken out")),
            },
            "details" => {
                let summary = params.named("summary").unwrap_or_else(|| "Details".into());
                self.out.push_str(&format!(
                    "\n\n<details>\n<summary>{}</summary>\n\n",
                    escape_html(&summary)
                ));
            }
            "qr" => {
                if let Some(text) = params.named("text") {
                    if text.starts_with("https://") || text.starts_with("http://") {
                        self.out.push_str(&format!("<{text}>"));
                    } else {
                        self.out.push_str(&text);
                    }
                }
                // paired: the inner text stays, as text
            }
            "comment" => {
                // Hugo's comment shortcode shows nothing, inner text included
                static CLOSE: LazyLock<Regex> = LazyLock::new(|| {
                    Regex::new(r"\{\{[<%]\s*/\s*comment\s*[>%]\}\}").unwrap()
                });
                if let Some(m) = self.find_close(&CLOSE, end) {
                    return end + m.end;
                }
            }
            _ => self.warn(
                at,
                format!(
                    "shortcode `{}` is not one Quire renders: taken out{}",
                    first_line(&text[at..end], 80),
                    " (its inner text, if any, is kept)"
                ),
            ),
        }
        end
    }

    // ---- Liquid and Zola's body shortcodes ---------------------------------------------------

    fn liquid(&mut self, at: usize, inner: &str, len: usize) -> usize {
        let text = self.text;
        let end = at + len;
        let inner = inner.trim_matches('-').trim();
        if let Some(escaped) = inner.strip_prefix("/*").and_then(|s| s.strip_suffix("*/")) {
            self.out
                .push_str(&code_span(&format!("{{% {} %}}", escaped.trim())));
            return end;
        }
        let (name, args) = split_name(inner);
        // Zola: `{% name(args) %}…{% end %}`
        if let Some(zola) = zola_call(inner) {
            self.warn(
                at,
                format!(
                    "shortcode `{}` is not one Quire renders: taken out (its inner text is kept)",
                    zola.0
                ),
            );
            return end;
        }
        match name {
            "end" => {}
            "highlight" => {
                static CLOSE: LazyLock<Regex> =
                    LazyLock::new(|| Regex::new(r"\{%-?\s*endhighlight\s*-?%\}").unwrap());
                let lang = args.split_whitespace().next().unwrap_or("");
                match self.find_close(&CLOSE, end) {
                    Some(m) => {
                        self.out.push_str(&fence(lang, &text[end..end + m.start]));
                        return end + m.end;
                    }
                    None => self.warn(at, "`highlight` without `endhighlight`: taken out".into()),
                }
            }
            "raw" => {
                static CLOSE: LazyLock<Regex> =
                    LazyLock::new(|| Regex::new(r"\{%-?\s*endraw\s*-?%\}").unwrap());
                match self.find_close(&CLOSE, end) {
                    Some(m) => {
                        self.out.push_str(&text[end..end + m.start]);
                        return end + m.end;
                    }
                    None => {
                        self.out.push_str(&text[end..]);
                        return text.len();
                    }
                }
            }
            "post_url" | "link" => {
                let target = args.trim().trim_matches(['"', '\'']);
                match page_ref(target) {
                    Some(url) => self.out.push_str(&url),
                    None => self.warn(at, format!("`{name}` without a target: taken out")),
                }
            }
            "include" => self.include(at, args, self.ctx.includes, "_includes/"),
            "include_relative" => self.include(at, args, self.ctx.dir, "the file's folder"),
            "comment" => {
                if let Some(after) = self.block_end(end, "comment") {
                    return after;
                }
            }
            "for" | "if" | "unless" | "case" | "capture" | "tablerow" => {
                let after = self.block_end(end, name).unwrap_or(end);
                self.warn(
                    at,
                    format!(
                        "Liquid `{{% {} %}}` block is not rendered by Quire: taken out with its contents",
                        first_line(inner, 60)
                    ),
                );
                return after;
            }
            _ => self.warn(
                at,
                format!(
                    "Liquid tag `{{% {} %}}` is not one Quire renders: taken out",
                    first_line(inner, 60)
                ),
            ),
        }
        end
    }

    /// `{% include file.md key="value" %}`: the file from `dir` (`_includes/`, or the post's
    /// folder for `include_relative`), rendered in turn. Only a relative path down from `dir`
    /// is read, as Jekyll does: an include never reads a file outside the site.
    fn include(&mut self, at: usize, args: &str, dir: Option<&Path>, dir_name: &str) {
        let (file, params) = split_name(args.trim());
        let below = !file.is_empty()
            && Path::new(file)
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
        let found = dir
            .filter(|_| below)
            .map(|dir| dir.join(file))
            .filter(|p| p.is_file());
        let Some(path) = found else {
            self.warn(
                at,
                format!("`{{% include {file} %}}`: no such file in {dir_name}; taken out"),
            );
            return;
        };
        if self.includes_left == 0 {
            self.warn(
                at,
                format!("`{{% include {file} %}}`: more than {MAX_INCLUDES} includes in one file; taken out"),
            );
            return;
        }
        self.includes_left -= 1;
        if self.depth >= MAX_INCLUDE_DEPTH {
            self.warn(
                at,
                format!("`{{% include {file} %}}` nests too deep; taken out"),
            );
            return;
        }
        let Ok(content) = std::fs::read_to_string(&path) else {
            self.warn(
                at,
                format!("`{{% include {file} %}}` is not readable text; taken out"),
            );
            return;
        };
        let mut vars = Map::new();
        let params = hugo_params(params);
        for (k, v) in params.named {
            vars.insert(k, Value::String(v));
        }
        let line = self.line_of(at);
        let line_starts = std::iter::once(0)
            .chain(content.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let mut inner = Scanner {
            ctx: self.ctx,
            text: &content,
            code: code_ranges(&content),
            line_starts,
            out: String::new(),
            warnings: Vec::new(),
            include: Some((file.to_owned(), line, vars)),
            depth: self.depth + 1,
            unclosed: HashSet::new(),
            includes_left: self.includes_left,
        };
        inner.run();
        self.includes_left = inner.includes_left;
        self.out.push_str(inner.out.trim_end_matches('\n'));
        self.warnings.append(&mut inner.warnings);
    }

    // ---- `{{ … }}`: Liquid output and Zola's inline shortcodes ------------------------------

    fn expression(&mut self, at: usize, inner: &str, len: usize) {
        let text = self.text;
        let inner = inner.trim_matches('-').trim();
        if let Some(escaped) = inner.strip_prefix("/*").and_then(|s| s.strip_suffix("*/")) {
            self.out
                .push_str(&code_span(&format!("{{{{ {} }}}}", escaped.trim())));
            return;
        }
        if let Some((name, args)) = zola_call(inner) {
            let params = zola_params(args);
            let get = |k: &str| params.get(k).cloned();
            let rendered = match name {
                "youtube" => get("id").map(|id| {
                    let id = url_part(&id);
                    format!("[![YouTube video](https://i.ytimg.com/vi/{id}/hqdefault.jpg)](https://www.youtube.com/watch?v={id})")
                }),
                "vimeo" => get("id").map(|id| format!("[Vimeo video](https://vimeo.com/{})", url_part(&id))),
                "streamable" => get("id").map(|id| {
                    format!("[Streamable video](https://streamable.com/{})", url_part(&id))
                }),
                "gist" => get("url").filter(|u| u.starts_with("https://")).map(|url| {
                    let file = get("file").map(|f| format!(" ({f})")).unwrap_or_default();
                    format!("[Gist{file}]({url})")
                }),
                _ => None,
            };
            match rendered {
                Some(r) => self.out.push_str(&r),
                None => self.warn(
                    at,
                    format!(
                        "shortcode `{}` is not one Quire renders: taken out",
                        first_line(&text[at..at + len], 80)
                    ),
                ),
            }
            return;
        }
        match self.liquid_value(inner) {
            Ok(value) => self.out.push_str(&value),
            Err(why) => self.warn(
                at,
                format!("`{}` {why}: taken out", first_line(&text[at..at + len], 80)),
            ),
        }
    }

    /// The value of a Liquid output expression: a variable or string, then filters.
    fn liquid_value(&self, expression: &str) -> Result<String, String> {
        let mut parts = split_filters(expression).into_iter();
        let head = parts.next().unwrap_or_default();
        let head = head.trim();
        let mut value = if let Some(s) = quoted(head) {
            s
        } else if head.chars().all(|c| c.is_ascii_digit() || c == '.') && !head.is_empty() {
            head.to_owned()
        } else if let Some(key) = head.strip_prefix("site.") {
            match key {
                // links are site-relative on Quire: the old host and base path go
                "url" | "baseurl" => String::new(),
                _ => self
                    .ctx
                    .site
                    .as_object()
                    .and_then(|s| lookup(s, key))
                    .and_then(|v| scalar(&v))
                    .ok_or("names nothing in _config.yml")?,
            }
        } else if let Some(key) = head.strip_prefix("page.") {
            lookup(self.ctx.page, key)
                .and_then(|v| scalar(&v))
                .ok_or("names nothing in the front matter")?
        } else if let Some(key) = head.strip_prefix("include.") {
            self.include
                .as_ref()
                .and_then(|(_, _, vars)| lookup(vars, key))
                .and_then(|v| scalar(&v))
                .ok_or("names no parameter of the include")?
        } else {
            return Err("is not a value Quire knows".into());
        };
        for filter in parts {
            let (name, arg) = match filter.split_once(':') {
                Some((n, a)) => (n.trim(), quoted(a.trim()).or(Some(a.trim().to_owned()))),
                None => (filter.trim(), None),
            };
            value = match name {
                "relative_url" | "absolute_url" => {
                    if value.starts_with('/') || value.contains("://") || value.is_empty() {
                        value
                    } else {
                        format!("/{value}")
                    }
                }
                "escape" | "xml_escape" | "escape_once" => escape_html(&value),
                "upcase" => value.to_uppercase(),
                "downcase" => value.to_lowercase(),
                "strip" => value.trim().to_owned(),
                "markdownify" | "smartify" => value,
                "default" if value.is_empty() => arg.unwrap_or_default(),
                "default" => value,
                "date" => {
                    let format = arg.unwrap_or_default();
                    let date =
                        super::dates::parse_date(&value).ok_or("has a date Quire cannot read")?;
                    format_date(date, &format).ok_or("has a date format Quire does not know")?
                }
                "date_to_string" => {
                    let date =
                        super::dates::parse_date(&value).ok_or("has a date Quire cannot read")?;
                    date.format("%d %b %Y").to_string()
                }
                _ => {
                    return Err(format!(
                        "uses the filter `{name}`, which Quire does not apply"
                    ));
                }
            };
        }
        Ok(value)
    }
}

/// `{{< … >}}`, `{{% … %}}`, `{% … %}` or `{{ … }}` at the start of `s`, up to its end.
fn find_tag(s: &str) -> Option<Found<'_>> {
    let take = |open: usize, close: &str| -> Option<(&str, usize)> {
        // tags do not span blank lines; a shortcode's parameters may span lines. The search
        // is bounded, so that many unclosed tags cost linear time.
        let body = &s[open..];
        let mut window = MAX_TAG.min(body.len());
        while !body.is_char_boundary(window) {
            window -= 1;
        }
        let end = body[..window].find(close)?;
        let inner = &body[..end];
        (!inner.contains("\n\n")).then_some((inner, open + end + close.len()))
    };
    if let Some(rest) = s.strip_prefix("{{") {
        if rest.starts_with('<') {
            return take(3, ">}}").map(|(i, l)| Found::Hugo(i, l));
        }
        if rest.starts_with('%') {
            return take(3, "%}}").map(|(i, l)| Found::Hugo(i, l));
        }
        return take(2, "}}").map(|(i, l)| Found::Expression(i, l));
    }
    if s.starts_with("{%") {
        return take(2, "%}").map(|(i, l)| Found::Liquid(i, l));
    }
    None
}

/// Inside code, only the generators' escapes: `{{</* x */>}}` is `{{< x >}}`, and
/// `{% raw %}`/`{% endraw %}` go.
fn unescape_in_code(code: &str) -> std::borrow::Cow<'_, str> {
    static ESCAPES: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\{\{([<%])/\*\s*(.*?)\s*\*/([>%])\}\}|\{%-?\s*(?:raw|endraw)\s*-?%\}").unwrap()
    });
    ESCAPES.replace_all(code, |c: &regex::Captures<'_>| {
        match (c.get(1), c.get(2), c.get(3)) {
            (Some(open), Some(inner), Some(close)) => {
                format!(
                    "{{{{{} {} {}}}}}",
                    open.as_str(),
                    inner.as_str(),
                    close.as_str()
                )
            }
            _ => String::new(),
        }
    })
}

/// A shortcode's name and the rest: `figure src="x"` → (`figure`, `src="x"`).
fn split_name(inner: &str) -> (&str, &str) {
    let inner = inner.trim();
    match inner.find(char::is_whitespace) {
        Some(p) => (&inner[..p], inner[p..].trim_start()),
        None => (inner, ""),
    }
}

/// Hugo's parameters: positional or named, quoted with `"` or backticks, or bare.
#[derive(Debug, Default)]
struct Params {
    positional: Vec<String>,
    named: Vec<(String, String)>,
}

impl Params {
    fn named(&self, key: &str) -> Option<String> {
        self.named
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
    }

    fn positional(&self, n: usize) -> Option<String> {
        self.positional.get(n).cloned()
    }
}

fn hugo_params(args: &str) -> Params {
    let mut params = Params::default();
    let mut chars = args.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else { break };
        let read_value = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| -> String {
            let mut v = String::new();
            match chars.peek() {
                Some('"') => {
                    chars.next();
                    while let Some(c) = chars.next() {
                        match c {
                            '\\' => {
                                if let Some(n) = chars.next() {
                                    v.push(n);
                                }
                            }
                            '"' => break,
                            c => v.push(c),
                        }
                    }
                }
                Some('`') => {
                    chars.next();
                    for c in chars.by_ref() {
                        if c == '`' {
                            break;
                        }
                        v.push(c);
                    }
                }
                _ => {
                    while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                        v.push(c);
                    }
                }
            }
            v
        };
        if first == '"' || first == '`' {
            let v = read_value(&mut chars);
            params.positional.push(v);
            continue;
        }
        let mut word = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace() && *c != '=') {
            word.push(c);
        }
        if chars.next_if_eq(&'=').is_some() {
            let v = read_value(&mut chars);
            params.named.push((word, v));
        } else {
            params.positional.push(word);
        }
    }
    params
}

/// `name(args)`: a Zola shortcode call.
fn zola_call(inner: &str) -> Option<(&str, &str)> {
    let inner = inner.trim();
    let open = inner.find('(')?;
    let name = inner[..open].trim();
    let args = inner[open + 1..].trim_end().strip_suffix(')')?;
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then_some((name, args))
}

/// Zola's `key="value", n=3, b=true`.
fn zola_params(args: &str) -> std::collections::HashMap<String, String> {
    static ARG: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|`([^`]*)`|([^,\s)]+))"#).unwrap()
    });
    ARG.captures_iter(args)
        .map(|c| {
            let v = c
                .get(2)
                .or(c.get(3))
                .or(c.get(4))
                .or(c.get(5))
                .map_or("", |m| m.as_str());
            (c[1].to_owned(), v.replace("\\\"", "\""))
        })
        .collect()
}

/// Splits `a | b: "x|y" | c` at the pipes outside quotes.
fn split_filters(expression: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut quote = None;
    for c in expression.chars() {
        match (c, quote) {
            ('"' | '\'', None) => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            ('|', None) => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    parts
}

/// The text of a `"…"` or `'…'` literal.
fn quoted(s: &str) -> Option<String> {
    let s = s.trim();
    ["\"", "'"].iter().find_map(|q| {
        s.strip_prefix(q)
            .and_then(|r| r.strip_suffix(q))
            .map(str::to_owned)
    })
}

/// A dotted key (`author.name`) in an object; the first level matched case-insensitively, as
/// Hugo does.
fn lookup(map: &Map<String, Value>, key: &str) -> Option<Value> {
    let mut parts = key.split('.');
    let first = parts.next()?;
    let mut value = map.get(first).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(first))
            .map(|(_, v)| v)
    })?;
    for part in parts {
        value = value.get(part)?;
    }
    Some(value.clone())
}

/// A value as Liquid prints it; `None` for objects (which print as their debug form).
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        Value::Array(items) => items
            .iter()
            .map(scalar)
            .collect::<Option<Vec<_>>>()
            .map(|v| v.join(", ")),
        Value::Object(_) => None,
    }
}

/// `strftime` formatting, `None` for a format chrono does not know (it would panic).
fn format_date(date: chrono::DateTime<chrono::Utc>, format: &str) -> Option<String> {
    use chrono::format::{Item, StrftimeItems};
    let items: Vec<Item<'_>> = StrftimeItems::new(format).collect();
    if items.iter().any(|i| matches!(i, Item::Error)) {
        return None;
    }
    Some(date.format_with_items(items.into_iter()).to_string())
}

/// A fenced code block of `code`, its fence longer than any backtick run inside.
fn fence(lang: &str, code: &str) -> String {
    let code = code
        .strip_prefix("\r\n")
        .or_else(|| code.strip_prefix('\n'))
        .unwrap_or(code);
    let code = code.trim_end_matches([' ', '\t']).trim_end_matches('\n');
    let longest = longest_run(code, '`');
    let ticks = "`".repeat(longest.max(2) + 1);
    let lang: String = lang
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '+' | '#' | '-' | '_' | '.'))
        .collect();
    format!("{ticks}{lang}\n{code}\n{ticks}")
}

/// Inline code showing `s` verbatim.
fn code_span(s: &str) -> String {
    let ticks = "`".repeat(longest_run(s, '`') + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{s}{pad}{ticks}")
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut longest, mut run) = (0, 0);
    for ch in s.chars() {
        run = if ch == c { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// One line of Markdown as HTML, without the paragraph around it; raw HTML in it is shown
/// as text, as Hugo's `markdownify` does without `unsafe`.
fn inline_markdown(text: &str) -> String {
    let events = Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH).map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    let html = html.trim();
    html.strip_prefix("<p>")
        .and_then(|h| h.strip_suffix("</p>"))
        .unwrap_or(html)
        .replace('\n', " ")
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An id put in a URL: only the characters ids of these services have.
fn url_part(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect()
}

/// The first line of `s`, at most `max` characters, for a message.
fn first_line(s: &str, max: usize) -> String {
    let line = s.lines().next().unwrap_or("");
    match line.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_with(text: &str, site: Value, page: Value) -> (String, Vec<Warning>) {
        let page = page.as_object().cloned().unwrap_or_default();
        render(
            text,
            &Context {
                site: &site,
                page: &page,
                includes: None,
                dir: None,
            },
        )
    }

    /// What a page reads once the link pass has found nothing better than the file name: each
    /// `quire-ref:` resolved by [`link_target`].
    fn run(text: &str) -> (String, Vec<Warning>) {
        let (out, warnings) = run_with(text, Value::Null, Value::Null);
        (by_file_name(&out), warnings)
    }

    fn by_file_name(out: &str) -> String {
        let refs = Regex::new(&format!(r"{}([^\s)]+)", regex::escape(PAGE_REF))).unwrap();
        refs.replace_all(out, |c: &regex::Captures<'_>| {
            let (path, fragment) = c[1].split_at(c[1].find('#').unwrap_or(c[1].len()));
            format!("{}{fragment}", link_target(path).unwrap())
        })
        .into_owned()
    }

    #[test]
    fn links_to_pages_wait_for_the_link_pass_and_files_keep_their_path() {
        let (out, _) = run_with(
            "[a]({{< ref \"posts/x.md\" >}}) [b]({% post_url 2020-01-02-y %}) [c](@/blog/z.md#part)",
            Value::Null,
            Value::Null,
        );
        assert_eq!(
            out,
            "[a](quire-ref:posts/x.md) [b](quire-ref:2020-01-02-y) [c](quire-ref:@/blog/z.md#part)"
        );
        assert_eq!(
            page_ref("assets/report.pdf").as_deref(),
            Some("/assets/report.pdf")
        );
    }

    fn lines(warnings: &[Warning]) -> Vec<usize> {
        warnings.iter().map(|w| w.line).collect()
    }

    #[test]
    fn shortcodes_become_markdown() {
        let (out, warnings) = run(
            "{% highlight rust %}\nfn x() {}\n{% endhighlight %}\n[a]({{ site.baseurl }}{% post_url 2020-01-02-older %})\n{{< figure src=\"a.png\" alt=\"A\" >}}\n[b]({{< ref \"posts/other.md\" >}})",
        );
        assert_eq!(
            out,
            "```rust\nfn x() {}\n```\n[a](/older/)\n![A](a.png)\n[b](/other/)"
        );
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn hugo_refs_to_bundles_and_sections_name_the_post() {
        let (out, _) = run(
            "[a]({{< ref \"posts/lisbon-weekend/index.md\" >}}) [b]({{< relref \"/posts/first-light\" >}}) [c]({{< ref `trip/` >}}) [d]({{< relref path=\"x/y.md\" >}})",
        );
        assert_eq!(
            out,
            "[a](/lisbon-weekend/) [b](/first-light/) [c](/trip/) [d](/y/)"
        );
        assert_eq!(link_target("posts/_index.md").as_deref(), Some("/posts/"));
        assert_eq!(
            link_target("_posts/2020-01-02-Hello.md").as_deref(),
            Some("/hello/")
        );
        assert_eq!(
            link_target("assets/report.pdf").as_deref(),
            Some("/assets/report.pdf")
        );
    }

    #[test]
    fn hugo_built_ins_in_both_forms_with_named_and_positional_parameters() {
        let (out, warnings) = run(concat!(
            "{{< figure src=\"/i/a.png\" alt=\"A\" caption=\"The <b>caption</b> of *this*\" >}}\n",
            "{{% youtube w7Ft2ymGmfc %}}\n",
            "{{< vimeo id=\"146022717\" >}}\n",
            "{{< gist spf13 7896402 >}}\n",
            "{{< x user=\"SanDiegoZoo\" id=\"1453110110599868418\" >}}\n",
            "{{< tweet 877500564405444608 >}}\n",
            "{{< instagram CxOWiQNP2MO >}}\n",
            "{{< qr text=\"https://gohugo.io\" />}}\n",
            "{{< highlight go \"linenos=table\" >}}\nfunc main() {}\n{{< /highlight >}}\n",
        ));
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(
            out.contains("<figure>\n\n![A](/i/a.png)\n\n<figcaption>The &lt;b&gt;caption&lt;/b&gt; of <em>this</em></figcaption>\n</figure>"),
            "{out}"
        );
        assert!(out.contains("[![YouTube video](https://i.ytimg.com/vi/w7Ft2ymGmfc/hqdefault.jpg)](https://www.youtube.com/watch?v=w7Ft2ymGmfc)"), "{out}");
        assert!(out.contains("(https://vimeo.com/146022717)"), "{out}");
        assert!(
            out.contains("(https://gist.github.com/spf13/7896402)"),
            "{out}"
        );
        assert!(
            out.contains("(https://x.com/SanDiegoZoo/status/1453110110599868418)"),
            "{out}"
        );
        assert!(
            out.contains("(https://x.com/i/status/877500564405444608)"),
            "{out}"
        );
        assert!(
            out.contains("(https://www.instagram.com/p/CxOWiQNP2MO/)"),
            "{out}"
        );
        assert!(out.contains("<https://gohugo.io>"), "{out}");
        assert!(out.contains("```go\nfunc main() {}\n```"), "{out}");
        assert!(!out.contains("{{"), "{out}");
    }

    #[test]
    fn paired_shortcodes_keep_their_inner_text_and_unknown_ones_are_reported() {
        let (out, warnings) = run(concat!(
            "Intro\n\n",
            "{{< details summary=\"See the details\" >}}\nThe **inner** text.\n{{< /details >}}\n\n",
            "{{% notice tip %}}\nA tip.\n{{% /notice %}}\n",
            "{{< new-in 0.120.0 >}}\n",
        ));
        assert!(
            out.contains("<details>\n<summary>See the details</summary>\n\n\nThe **inner** text.\n\n\n</details>"),
            "{out}"
        );
        assert!(out.contains("A tip."), "{out}");
        assert!(!out.contains("{{") && !out.contains("notice"), "{out}");
        assert_eq!(lines(&warnings), [7, 10], "{warnings:?}");
        assert!(warnings[0].message.contains("notice tip"), "{warnings:?}");
    }

    #[test]
    fn escaped_shortcodes_are_shown_as_written() {
        let (out, warnings) =
            run("Write {{</* figure src=\"x\" */>}}.\n\n```\n{{</* gist a b */>}}\n```");
        assert_eq!(
            out,
            "Write `{{< figure src=\"x\" >}}`.\n\n```\n{{< gist a b >}}\n```"
        );
        assert!(warnings.is_empty());
    }

    #[test]
    fn code_keeps_template_text_verbatim() {
        let text = "Use `{{< figure >}}` or `{% include x %}`.\n\n```liquid\n{% for p in site.posts %}{{ p.title }}{% endfor %}\n{{< youtube x >}}\n```\n\n    {{ page.title }}\n";
        let (out, warnings) = run(text);
        assert_eq!(out, text);
        assert!(warnings.is_empty(), "{warnings:?}");
        // Jekyll's raw inside code goes, as Jekyll removes it
        let (out, _) = run("```\n{% raw %}{{ site.url }}{% endraw %}\n```");
        assert_eq!(out, "```\n{{ site.url }}\n```");
    }

    #[test]
    fn liquid_values_filters_and_blocks() {
        let site = serde_json::json!({
            "title": "Field Notes",
            "repository": "me/notes",
            "author": {"name": "Ada"},
        });
        let page = serde_json::json!({"title": "A & B", "date": "2021-09-30 10:00:00 +0000"});
        let (out, warnings) = run_with(
            concat!(
                "{{ site.title }} by {{ site.author.name }} at {{ site.repository }}\n",
                "{{ page.title | escape }} in {{ page.date | date: \"%Y\" }}\n",
                "![x]({{ \"assets/x.png\" | relative_url }}) {{ '/a/' | absolute_url }}\n",
                "{% raw %}{{ kept }}{% endraw %}\n",
                "{% for post in site.posts %}\n- {{ post.title }}\n{% endfor %}\n",
                "{% if page.x %}maybe{% else %}not{% endif %}\n",
                "{% comment %}a note{% endcomment %}\n",
                "{{ site.missing }} {{ page.title | sort }} {% seo %}\n",
            ),
            site,
            page,
        );
        assert_eq!(
            out,
            "Field Notes by Ada at me/notes\nA &amp; B in 2021\n![x](/assets/x.png) /a/\n{{ kept }}\n\n\n\n  \n"
        );
        assert_eq!(lines(&warnings), [5, 8, 10, 10, 10], "{warnings:?}");
    }

    #[test]
    fn zola_shortcodes_and_internal_links() {
        let (out, warnings) = run(concat!(
            "See [the intro](@/docs/getting-started/index.md#install) and [x](@/blog/x.md).\n",
            "{{ youtube(id=\"dQw4w9WgXcQ\", autoplay=true) }}\n",
            "{{ vimeo(id=\"124313553\") }} {{ streamable(id=\"92ok4\") }}\n",
            "{{ gist(url=\"https://gist.github.com/Keats/e5fb6aad409f28721c0ba14161644c57\") }}\n",
            "{% quote(author=\"Someone\") %}\nWise words.\n{% end %}\n",
            "{{ custom(a=1) }} mail me@example.org\n",
        ));
        assert!(
            out.starts_with("See [the intro](/getting-started/#install) and [x](/x/)."),
            "{out}"
        );
        assert!(out.contains("watch?v=dQw4w9WgXcQ"), "{out}");
        assert!(out.contains("(https://vimeo.com/124313553)"), "{out}");
        assert!(out.contains("(https://streamable.com/92ok4)"), "{out}");
        assert!(out.contains("(https://gist.github.com/Keats/"), "{out}");
        assert!(out.contains("\nWise words.\n"), "{out}");
        assert!(out.contains("me@example.org"), "{out}");
        assert!(!out.contains("{{") && !out.contains("{%"), "{out}");
        assert_eq!(lines(&warnings), [5, 8], "{warnings:?}");
    }

    #[test]
    fn includes_are_inlined_with_their_parameters() {
        let dir = std::env::temp_dir().join(format!("quire-includes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("note.md"), "> **Note:** {{ include.content }}\n").unwrap();
        std::fs::write(dir.join("loop.md"), "{% include loop.md %}").unwrap();
        std::fs::write(dir.join("fan.md"), "{% include fan.md %}".repeat(50)).unwrap();
        let page = Map::new();
        let site = Value::Null;
        let ctx = Context {
            site: &site,
            page: &page,
            includes: Some(&dir),
            dir: Some(&dir),
        };
        let (out, warnings) = render(
            "A\n{% include note.md content=\"Mind the gap\" %}\n{% include missing.html %}\n{% include loop.md %}\n{% include /etc/passwd %} {% include ../../etc/passwd %} {% include_relative note.md content=\"again\" %}",
            &ctx,
        );
        assert!(out.contains("> **Note:** Mind the gap\n"), "{out}");
        assert!(!out.contains("{%"), "{out}");
        assert!(out.contains("> **Note:** again"), "{out}");
        assert!(!out.contains("root:"), "{out}");
        assert_eq!(lines(&warnings), [3, 4, 5, 5], "{warnings:?}");
        assert!(warnings[1].message.contains("too deep"), "{warnings:?}");

        // 50 includes of itself at every level would be 50^4 renders: the budget stops them
        let (out, warnings) = render("{% include fan.md %}", &ctx);
        assert!(out.is_empty(), "{out}");
        assert!(
            warnings
                .iter()
                .any(|w| w.message.contains("more than 200 includes")),
            "{warnings:?}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn many_unclosed_tags_take_linear_time() {
        let text = "{{ a {% for x %} {% highlight x %} {{< highlight go >}} ".repeat(20_000);
        let started = std::time::Instant::now();
        let (_, warnings) = run(&text);
        assert!(!warnings.is_empty());
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn unclosed_and_odd_braces_are_harmless() {
        let (out, warnings) = run("a { b } {{ unclosed\n\nand {% also");
        assert_eq!(out, "a { b } {{ unclosed\n\nand {% also");
        assert_eq!(lines(&warnings), [1, 3]);
    }
}
