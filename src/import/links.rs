//! Links between the files of an imported Markdown site, pointed at the posts' new addresses:
//! Markdown links to other files (`../x.md`, `./x.md#part`, Zola's `@/blog/x.md`), and links,
//! relative or absolute on the old site's address, to the old URL of an imported post.
//!
//! [`Links`] is built once every post has its final slug; [`Links::resolve`] answers for one
//! link target, so that template tags naming a file (Hugo's `ref`, Jekyll's `post_url`) can be
//! pointed the same way.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser, Tag};
use regex::Regex;

use super::model::PostDoc;
use super::templates;
use super::urls::{self, Config};

/// File extensions read as Markdown (a link to such a file is a link to a post).
const MARKDOWN: &[&str] = &["md", "markdown", "mdown", "mkd", "mkdn"];

/// Where every imported file and old address now lives.
#[derive(Debug, Default)]
pub struct Links {
    /// Each tree read: its content folder and configuration.
    trees: Vec<(PathBuf, Config)>,
    /// A file on disk (and a bundle's folder) → its post's path.
    files: HashMap<PathBuf, String>,
    /// An old address (as a request arrives for it) → the post's path.
    old: HashMap<String, String>,
    /// A file's name without extension, lowercased (`2019-05-17-hello`, a bundle's folder
    /// name) → the post's path, or `None` when two files share it.
    names: HashMap<String, Option<String>>,
    /// Each post's file → its old address, to resolve links relative to it.
    old_of: HashMap<PathBuf, String>,
}

impl Links {
    /// Indexes `posts` (with their final slugs) read from trees with these content folders
    /// and configurations.
    pub fn new(trees: Vec<(PathBuf, Config)>, posts: &[PostDoc]) -> Links {
        let mut links = Links {
            trees,
            ..Links::default()
        };
        for post in posts {
            let Some(source) = &post.source else { continue };
            if source.file.as_os_str().is_empty() {
                continue;
            }
            let to = format!("/{}/", post.slug);
            let file = normalise(&source.file);
            let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            let name = if stem == "index" || stem == "_index" {
                if let Some(dir) = file.parent() {
                    links.files.insert(dir.to_owned(), to.clone());
                }
                file.parent()
                    .and_then(Path::file_name)
                    .and_then(|n| n.to_str())
                    .unwrap_or(stem)
            } else {
                stem
            };
            links
                .names
                .entry(name.to_lowercase())
                .and_modify(|v| *v = None)
                .or_insert_with(|| Some(to.clone()));
            if let Some(old) = &source.generator_url {
                links.old.insert(old.clone(), to.clone());
                links.old_of.insert(file.clone(), old.clone());
            }
            for alias in &post.aliases {
                links.old.entry(alias.clone()).or_insert_with(|| to.clone());
            }
            links.files.insert(file, to);
        }
        links
    }

    /// Points links to `file`, which was not imported, at `to` (a section index's list page
    /// now served elsewhere). A file that became a post keeps its post.
    pub fn add_file(&mut self, file: &Path, to: &str) {
        self.files
            .entry(normalise(file))
            .or_insert_with(|| to.to_owned());
    }

    /// The new address of what `target`, written in the file `from`, links to, with its
    /// `#fragment`: a Markdown file of the site (relative to `from`, or to the content folder
    /// when it starts with `/` or Zola's `@/`; a bare name such as `2019-05-17-hello` or
    /// `hello.md` when only one file has it), or an old address of an imported post (a path,
    /// a path relative to `from`'s old address, or a URL on the old site's address). `None`
    /// for anything else (other sites, images, what was not imported).
    pub fn resolve(&self, from: &Path, target: &str) -> Option<String> {
        let target = target.trim();
        let split = target.find(['#', '?']).unwrap_or(target.len());
        let (path, suffix) = target.split_at(split);
        let fragment = suffix.find('#').map_or("", |i| &suffix[i..]);
        if path.is_empty() {
            return None;
        }
        let from = normalise(from);
        let tree = self
            .trees
            .iter()
            .filter(|(content, _)| from.starts_with(content))
            .max_by_key(|(content, _)| content.components().count());
        let found = self.resolve_path(&from, tree, path)?;
        Some(format!("{found}{fragment}"))
    }

    /// The address of the page a template tag names (Hugo's `ref "posts/x.md"`, Jekyll's
    /// `post_url 2019-05-17-x`, Zola's `@/blog/x.md`): the file from the content folder or from
    /// `from`, else the one file with that name, else the address its file name suggests.
    fn resolve_page_ref(&self, from: &Path, target: &str) -> String {
        let target = target.strip_prefix(templates::PAGE_REF).unwrap_or(target);
        let split = target.find('#').unwrap_or(target.len());
        let (path, fragment) = target.split_at(split);
        let rooted = format!(
            "@/{}",
            path.trim_start_matches("@/").trim_start_matches('/')
        );
        self.resolve(from, &format!("{rooted}{fragment}"))
            .or_else(|| self.resolve(from, target))
            .or_else(|| self.resolve_name(path).map(|p| format!("{p}{fragment}")))
            .or_else(|| templates::link_target(path).map(|p| format!("{p}{fragment}")))
            .unwrap_or_else(|| "/".to_owned())
    }

    /// The new address of the one imported file with this name, as template tags name posts:
    /// Jekyll's `post_url 2019-05-17-hello` (or `blog/2019-05-17-hello`), Hugo's
    /// `ref "hello"` or `ref "hello.md"`, a bundle by its folder's name. `None` when no file,
    /// or more than one, has the name.
    pub fn resolve_name(&self, name: &str) -> Option<String> {
        let name = name.trim().trim_end_matches('/');
        let stem = Path::new(name.rsplit('/').next()?).file_stem()?.to_str()?;
        let stem = if stem == "index" || stem == "_index" {
            name.rsplit('/').nth(1)?
        } else {
            stem
        };
        self.names.get(&stem.to_lowercase()).cloned().flatten()
    }

    fn resolve_path(
        &self,
        from: &Path,
        tree: Option<&(PathBuf, Config)>,
        path: &str,
    ) -> Option<String> {
        let dir = from.parent().unwrap_or(Path::new("/"));
        if let Some(rest) = path.strip_prefix("@/") {
            return self.file(&tree?.0.join(rest));
        }
        if path.starts_with("//") {
            return None;
        }
        if let Ok(url) = url::Url::parse(path) {
            let base = tree?.1.base_url.as_ref()?;
            if !matches!(url.scheme(), "http" | "https")
                || url.host_str() != base.host_str()
                || url.port_or_known_default() != base.port_or_known_default()
            {
                return None;
            }
            return self.old_path(url.path());
        }
        let decoded = percent_decode(path);
        let ext = Path::new(&decoded)
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if ext.as_deref().is_some_and(|e| MARKDOWN.contains(&e)) {
            let file = match decoded.strip_prefix('/') {
                Some(rest) => tree?.0.join(rest),
                None => dir.join(&decoded),
            };
            return self.file(&file).or_else(|| {
                let name = Path::new(&decoded).file_stem()?.to_str()?.to_lowercase();
                self.names.get(&name).cloned().flatten()
            });
        }
        if path.starts_with('/') {
            return self.old_path(path);
        }
        // relative to the file's old address, as a browser would resolve it there
        if let Some(old) = self.old_of.get(from) {
            let base = url::Url::parse("http://old.invalid").ok()?.join(old).ok()?;
            if let Some(found) = base.join(path).ok().and_then(|u| self.old_path(u.path())) {
                return Some(found);
            }
        }
        // or a file or bundle next to it, named without its extension
        self.file(&dir.join(&decoded))
    }

    /// The post a file (or a bundle's folder) became.
    fn file(&self, file: &Path) -> Option<String> {
        let file = normalise(file);
        if let Some(found) = self.files.get(&file) {
            return Some(found.clone());
        }
        if file.extension().is_none() {
            for ext in MARKDOWN {
                if let Some(found) = self.files.get(&file.with_extension(ext)) {
                    return Some(found.clone());
                }
            }
        }
        None
    }

    /// The post an old address leads to: as written, percent-encoded, with or without its
    /// trailing slash or `index.html`, lowercased (Hugo lowercases its paths).
    fn old_path(&self, path: &str) -> Option<String> {
        let encoded = urls::encode_path(path);
        let trimmed = encoded
            .strip_suffix("index.html")
            .unwrap_or(&encoded)
            .to_owned();
        let with_slash = if trimmed.ends_with('/') {
            trimmed.clone()
        } else {
            format!("{trimmed}/")
        };
        let lower = with_slash.to_lowercase();
        [encoded.clone(), trimmed, with_slash, lower]
            .iter()
            .find_map(|p| self.old.get(p))
            .cloned()
    }

    /// `markdown` (of the file `from`) with every link to another imported file or to an old
    /// address of an imported post pointed at the post's new address. Links inside code are
    /// left as written.
    pub fn rewrite(&self, from: &Path, markdown: &str) -> String {
        static INLINE: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"\]\(\s*(?:<([^>\n]*)>|([^\s)]+))").unwrap());
        static DEFINITION: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"(?m)^ {0,3}\[[^\]\n]+\]:[ \t]*(?:<([^>\n]*)>|(\S+))").unwrap()
        });
        static HREF: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r#"(?i)\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')"#).unwrap());
        let code = code_ranges(markdown);
        let in_code = |at: usize| code.iter().any(|r| r.contains(&at));
        let mut edits: Vec<(Range<usize>, String)> = Vec::new();
        for re in [&*INLINE, &*DEFINITION, &*HREF] {
            for c in re.captures_iter(markdown) {
                let Some(m) = c.get(1).or_else(|| c.get(2)) else {
                    continue;
                };
                if in_code(m.start()) || edits.iter().any(|(r, _)| r.contains(&m.start())) {
                    continue;
                }
                if let Some(to) = self.resolve(from, m.as_str()) {
                    edits.push((m.range(), to));
                }
            }
        }
        // what template tags wrote for another page (`quire-ref:TARGET`), wherever it stands
        static PAGE_REF: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(&format!(
                r#"{}([^\s)"'<>]+)"#,
                regex::escape(templates::PAGE_REF)
            ))
            .unwrap()
        });
        for c in PAGE_REF.captures_iter(markdown) {
            let (whole, target) = (c.get(0).expect("a match"), &c[1]);
            if edits.iter().any(|(r, _)| r.contains(&whole.start())) {
                continue;
            }
            edits.push((whole.range(), self.resolve_page_ref(from, target)));
        }
        if edits.is_empty() {
            return markdown.to_owned();
        }
        edits.sort_by_key(|(r, _)| r.start);
        let mut out = String::with_capacity(markdown.len());
        let mut at = 0;
        for (range, to) in edits {
            out.push_str(&markdown[at..range.start]);
            out.push_str(&to);
            at = range.end;
        }
        out.push_str(&markdown[at..]);
        out
    }
}

/// The byte ranges of code (blocks and spans) in `markdown`.
fn code_ranges(markdown: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for (event, range) in Parser::new_ext(markdown, Options::all()).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(_)) | Event::Code(_) => out.push(range),
            _ => {}
        }
    }
    out
}

/// A path with `.` and `..` resolved, without touching the disk.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::model::SourceFile;

    fn post(slug: &str, file: &str, old: &str) -> PostDoc {
        let mut doc = PostDoc::new(slug, slug);
        doc.source = Some(SourceFile {
            file: PathBuf::from(file),
            generator_url: Some(old.to_owned()),
            ..SourceFile::default()
        });
        doc
    }

    #[test]
    fn links_to_files_and_old_addresses_are_pointed_at_the_posts() {
        let mut config = Config::default();
        config.base_url = url::Url::parse("https://old.example/").ok();
        let links = Links::new(
            vec![(PathBuf::from("/site/content"), config)],
            &[
                post("a", "/site/content/blog/a.md", "/blog/a/"),
                post("b", "/site/content/blog/b/index.md", "/2020/01/b/"),
            ],
        );
        let from = Path::new("/site/content/blog/a.md");
        let text = "[1](./b/index.md#x) [2](@/blog/a.md) [3](/2020/01/b) [4](https://old.example/blog/a/)\n\
                    [5](../blog/b/) [6](https://elsewhere.example/blog/a/) `[7](a.md)` [8](b)\n\n\
                    [ref]: ../blog/a.md\n<a href=\"/Blog/A/index.html\">9</a>\n\n```\n[10](a.md)\n```\n";
        assert_eq!(
            links.rewrite(from, text),
            "[1](/b/#x) [2](/a/) [3](/b/) [4](/a/)\n\
             [5](/b/) [6](https://elsewhere.example/blog/a/) `[7](a.md)` [8](/b/)\n\n\
             [ref]: /a/\n<a href=\"/a/\">9</a>\n\n```\n[10](a.md)\n```\n"
        );
        assert_eq!(
            links.resolve(from, "2020-01-01-nothing.md"),
            None,
            "a file that was not imported"
        );
        assert_eq!(
            links.resolve(from, "b.md").as_deref(),
            Some("/b/"),
            "by name"
        );
        assert_eq!(links.resolve_name("blog/a").as_deref(), Some("/a/"));
        assert_eq!(links.resolve_name("b/index.md").as_deref(), Some("/b/"));
        assert_eq!(links.resolve_name("c"), None);
    }
}
