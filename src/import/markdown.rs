//! Markdown trees read into a [`Bundle`]: Jekyll, Hugo, Zola, or a plain folder of files.
//!
//! Front matter may be YAML (`---`), TOML (`+++`) or JSON (`{ ... }`); the fields of the three
//! generators are understood under their own names. Every problem names the file and line, and
//! reading never stops at the first broken file: the import reports them all before writing.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use regex::Regex;
use serde_json::{Map, Value};

use super::dates::{parse_date, parse_date_with_offset};
use super::links::Links;
use super::model::{Bundle, LocalImage, PostDoc, Problem, RedirectDoc, SourceFile};
use super::templates;
use super::urls::{self, Flavour, alias_path};
use crate::domain::limits;
use crate::domain::post::{PostStatus, PostType};
use crate::domain::slug::{Slug, slugify};
use crate::render::markdown as md;

/// Name of the file, at the root of a Markdown export, holding staff, tags, settings and
/// redirects (what front matter cannot carry).
///
/// A tree with this file is read as `quire export` wrote it: texts are taken exactly as
/// written (the body, excerpts, code injection), no generator's template tags are rewritten,
/// and file names carry no dates.
pub const SITE_FILE: &str = "quire-site.json";

/// What reading a set of paths produced.
#[derive(Debug, Default)]
pub struct Read {
    pub bundle: Bundle,
    /// Files not imported (section indexes, repository files, pages the generator does not
    /// publish), with the reason.
    pub skipped: Vec<(String, String)>,
    pub problems: Vec<Problem>,
    /// What was imported but not quite as written (a date taken from the file name, say).
    pub warnings: Vec<Problem>,
    /// Where each file read and each old address now lives, for links naming them.
    pub links: Links,
    /// The generator's own pages that have no file (section lists, taxonomy terms, a
    /// language's home page), redirected to what Quire serves instead; the old addresses of
    /// posts win over these.
    site_redirects: Vec<RedirectDoc>,
    /// Section indexes not imported, with where their section's list page now leads, for
    /// links naming them (Zola's `@/blog/_index.md`).
    section_files: Vec<(PathBuf, String)>,
}

/// File extensions read as Markdown.
const EXTENSIONS: &[&str] = &["md", "markdown", "mdown", "mkd", "mkdn"];
/// Folders at the root of a plain folder of Markdown that belong to a generator or a build,
/// not to the content. Only ignored at the root: below it a folder of these names is a
/// section like any other. (Hugo's and Zola's are outside `content/`; Jekyll has its own.)
const IGNORED_DIRS: &[&str] = &[
    "_site",
    "_includes",
    "_layouts",
    "_data",
    "_sass",
    "archetypes",
    "layouts",
    "themes",
    "templates",
    "node_modules",
    "public",
    "resources",
    "static",
    "target",
    "vendor",
];
/// Folders at the root of a Jekyll site that Jekyll reads as its own or excludes by default.
/// Jekyll publishes any other folder (`static/`, `themes/`), so those are content.
const JEKYLL_IGNORED_DIRS: &[&str] = &[
    "_site",
    "_includes",
    "_layouts",
    "_data",
    "_sass",
    "_plugins",
    "node_modules",
    "vendor",
];
/// Files of a repository, not of the blog, when they have no front matter.
const REPOSITORY_FILES: &[&str] = &[
    "readme",
    "license",
    "licence",
    "changelog",
    "contributing",
    "code_of_conduct",
    "security",
];
/// Image types the media storage accepts.
const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "gif", "webp"];

/// Reads every Markdown file under `paths` (files or folders), on every core. `on_file` is
/// called once per file read, for a progress bar. The result is in file order whatever the
/// threads did.
pub fn read(paths: &[PathBuf], on_file: &(dyn Fn() + Sync)) -> Read {
    let mut out = Read::default();
    let mut trees = Vec::new();
    for path in paths {
        if path.is_dir() {
            trees.push(read_tree(path, &mut out, on_file));
        } else if path.is_file() {
            let root = path.parent().unwrap_or(Path::new("."));
            let site = Site::detect(root);
            read_one(&site, path, &mut out);
            on_file();
            trees.push(site);
        } else {
            out.problems.push(Problem::new(
                path.display().to_string(),
                None,
                "no such file or folder",
            ));
        }
    }
    settle_slugs(&mut out.bundle.posts);
    add_site_redirects(&mut out);
    // links between files and to old addresses, now that every post has its address
    let trees = trees
        .into_iter()
        .filter(|site| !site.quire_export)
        .flat_map(|site| {
            let mut roots = vec![absolute(&site.content)];
            roots.extend(site.roots.iter().map(|r| absolute(&r.dir)));
            roots.into_iter().map(move |dir| (dir, site.config.clone()))
        })
        .collect();
    out.links = Links::new(trees, &out.bundle.posts);
    for (file, to) in std::mem::take(&mut out.section_files) {
        out.links.add_file(&absolute(&file), &to);
    }
    for post in &mut out.bundle.posts {
        if let Some(source) = &post.source {
            post.markdown = out.links.rewrite(&source.file, &post.markdown);
        }
    }
    out
}

/// Adds the redirects for the generator's pages that have no file (section lists, taxonomy
/// terms), except where a post's own path or old address is the same path.
fn add_site_redirects(out: &mut Read) {
    let mut taken: HashSet<String> = out
        .bundle
        .posts
        .iter()
        .flat_map(|p| p.aliases.iter().cloned().chain([format!("/{}/", p.slug)]))
        .chain(out.bundle.redirects.iter().map(|r| r.from.clone()))
        .collect();
    for redirect in std::mem::take(&mut out.site_redirects) {
        if redirect.from != redirect.to && taken.insert(redirect.from.clone()) {
            out.bundle.redirects.push(redirect);
        }
    }
}

/// `path` from the file system's root (links are matched by their files' paths).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

/// Lists the Markdown files under `paths`, as `read` would read them (for a progress bar's
/// length).
pub fn count(paths: &[PathBuf]) -> usize {
    paths
        .iter()
        .map(|p| {
            if p.is_dir() {
                files_of(&Site::detect(p)).len()
            } else {
                1
            }
        })
        .sum()
}

fn read_tree(root: &Path, out: &mut Read, on_file: &(dyn Fn() + Sync)) -> Site {
    let mut site = Site::detect(root);
    let site_file = root.join(SITE_FILE);
    if site_file.is_file() {
        match read_site_file(&site_file) {
            Ok(extra) => {
                out.bundle.users.extend(extra.users);
                out.bundle.tags.extend(extra.tags);
                out.bundle.redirects.extend(extra.redirects);
                out.bundle.settings.extend(extra.settings);
                out.bundle.media.extend(extra.media);
            }
            Err(p) => out.problems.push(p),
        }
    }
    let files = files_of(&site);
    if site.generator == Generator::Hugo {
        site.cascades = cascades(&files);
        if let Some(value) = site.config_cascade.take() {
            let origin = format!("the `cascade` of {}", shown_path(root));
            site.cascades
                .extend(cascade_entries(&value, &site.content, &origin));
        }
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = files.len().div_ceil(threads).max(1);
    let parts: Vec<Read> = std::thread::scope(|scope| {
        let workers: Vec<_> = files
            .chunks(chunk)
            .map(|files| {
                let site = &site;
                scope.spawn(move || {
                    let mut part = Read::default();
                    for file in files {
                        read_one(site, file, &mut part);
                        on_file();
                    }
                    part
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let first_post = out.bundle.posts.len();
    for part in parts {
        out.bundle.posts.extend(part.bundle.posts);
        out.skipped.extend(part.skipped);
        out.problems.extend(part.problems);
        out.warnings.extend(part.warnings);
        out.site_redirects.extend(part.site_redirects);
    }
    let (redirects, indexes) = section_redirects(&site, &files, &out.bundle.posts[first_post..]);
    out.site_redirects.extend(redirects);
    out.section_files.extend(indexes);
    site
}

/// Redirects for the list pages Hugo and Zola made for the sections of `posts` (Hugo: every
/// top-level section and every folder with an `_index.md`; Zola: folders with an `_index.md`)
/// and for each language's home page, to Quire's home page. A section whose index was
/// imported as a page keeps its address as that page's old address instead.
/// `files` are the tree's Markdown files, section indexes among them.
fn section_redirects(
    site: &Site,
    files: &[PathBuf],
    posts: &[PostDoc],
) -> (Vec<RedirectDoc>, Vec<(PathBuf, String)>) {
    let mut out = Vec::new();
    let mut index_files = Vec::new();
    if !matches!(site.generator, Generator::Hugo | Generator::Zola) {
        return (out, index_files);
    }
    // each folder's section indexes (`_index.md`, `_index.fr.md`)
    let mut indexes: HashMap<&Path, Vec<&PathBuf>> = HashMap::new();
    for file in files {
        if site.name_and_lang(file).0 == "_index"
            && let Some(dir) = file.parent()
        {
            indexes.entry(dir).or_default().push(file);
        }
    }
    let mut seen = HashSet::new();
    for post in posts {
        let Some(source) = &post.source else { continue };
        let lang = source.lang.as_deref();
        if site.config.in_language_dir(lang) {
            let home = site
                .config
                .section_url(&[], lang)
                .unwrap_or_else(|| "/".into());
            if seen.insert(home.clone()) {
                out.push(RedirectDoc {
                    from: home,
                    to: "/".into(),
                });
            }
        }
        let root = site.root_of(&source.file).to_owned();
        for depth in 1..=source.sections.len() {
            let dir = source.sections[..depth]
                .iter()
                .fold(root.clone(), |d, s| d.join(s));
            let here = indexes.get(dir.as_path()).map_or(&[][..], Vec::as_slice);
            if here.is_empty() && !(site.generator == Generator::Hugo && depth == 1) {
                continue;
            }
            if let Some(from) = site.config.section_url(&source.sections[..depth], lang)
                && seen.insert(from.clone())
            {
                out.push(RedirectDoc {
                    from,
                    to: "/".into(),
                });
                index_files.extend(here.iter().map(|f| ((*f).clone(), "/".to_owned())));
            }
        }
    }
    (out, index_files)
}

fn read_site_file(path: &Path) -> Result<Bundle, Problem> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Problem::new(path.display().to_string(), None, e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| {
        Problem::new(
            path.display().to_string(),
            Some(e.line()),
            format!("not a Quire site file: {e}"),
        )
    })
}

/// The generator a tree was written for, by its configuration files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Generator {
    Jekyll,
    Hugo,
    Zola,
    /// A folder of Markdown files (or a Quire export).
    Plain,
}

/// The layout of the tree being read.
#[derive(Debug)]
struct Site {
    generator: Generator,
    /// Hugo: the `cascade` front matter of section indexes (`_index.md`), which pages below
    /// inherit.
    cascades: Vec<Cascade>,
    root: PathBuf,
    /// Where content lives: `content/` for Hugo and Zola, the root otherwise.
    content: PathBuf,
    /// Hugo: the site configuration's `cascade`, for every page (taken when the cascades are
    /// gathered).
    config_cascade: Option<Value>,
    /// Other folders content lives in, deepest first: each language's `contentDir` (Hugo),
    /// the `collections_dir` (Jekyll). A file's sections and address start from the
    /// deepest of these (or `content`) that holds it.
    roots: Vec<Root>,
    /// Jekyll: `_posts/` and `_drafts/` hold posts; other files are pages.
    jekyll: bool,
    /// Hugo or Zola: files directly in `content/` are pages.
    content_dir: bool,
    /// Written by `quire export` (it has a [`SITE_FILE`]): read exactly, not as a generator's.
    quire_export: bool,
    /// What the configuration says of the old site's addresses.
    config: urls::Config,
    /// What template tags may name: Jekyll's `_config.yml`, Hugo's `params` (`Null` otherwise).
    template_vars: Value,
}

/// A folder content lives in besides the site's content folder.
#[derive(Debug)]
struct Root {
    dir: PathBuf,
    /// Hugo: the language of everything in it.
    lang: Option<String>,
}

impl Site {
    /// The folder a file's sections and address start from.
    fn root_of(&self, path: &Path) -> &Path {
        self.roots
            .iter()
            .find(|r| path.starts_with(&r.dir))
            .map_or(self.content.as_path(), |r| r.dir.as_path())
    }

    /// A file's stem without its language (`about.fr` → `about`) and its language: the one
    /// its name ends in, else the one of the folder it is in, else none (the default one).
    fn name_and_lang(&self, path: &Path) -> (String, Option<String>) {
        let stem = path
            .file_stem()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_owned();
        if matches!(self.generator, Generator::Hugo | Generator::Zola)
            && let Some((name, lang)) = self.config.language_of_name(&stem)
        {
            return (name.to_owned(), Some(lang.code.clone()));
        }
        let lang = self
            .roots
            .iter()
            .find(|r| path.starts_with(&r.dir))
            .and_then(|r| r.lang.clone());
        (stem, lang)
    }

    fn detect(root: &Path) -> Site {
        let jekyll = root.join("_config.yml").is_file()
            || root.join("_config.yaml").is_file()
            || root.join("_posts").is_dir();
        // Hugo's configuration, read once; it may name another content folder (`contentDir`)
        let hugo = (!jekyll).then(|| urls::hugo_config(root)).flatten();
        let hugo_content = hugo.as_ref().and_then(|c| urls::hugo_content_dir(root, c));
        let content_dir = !jekyll && (hugo_content.is_some() || root.join("content").is_dir());
        // Zola's configuration has `base_url`; Hugo's has `baseURL`, or another file name
        let zola = content_dir
            && hugo_content.is_none()
            && std::fs::read_to_string(root.join("config.toml")).is_ok_and(|c| {
                c.lines()
                    .any(|l| l.trim_start().starts_with("base_url") && l.contains('='))
            });
        let generator = match () {
            _ if jekyll => Generator::Jekyll,
            _ if zola => Generator::Zola,
            _ if content_dir => Generator::Hugo,
            _ => Generator::Plain,
        };
        let flavour = match generator {
            Generator::Jekyll => Flavour::Jekyll,
            Generator::Hugo => Flavour::Hugo,
            Generator::Zola => Flavour::Zola,
            Generator::Plain => Flavour::Plain,
        };
        let hugo = hugo.filter(|_| generator == Generator::Hugo);
        let config = urls::Config::read(flavour, root, hugo.as_ref());
        let template_vars = template_vars(generator, root, hugo.as_ref());
        // the configuration's own `cascade` applies to every page
        let config_cascade = hugo.as_ref().and_then(|c| {
            c.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("cascade"))
                .map(|(_, v)| v.clone())
        });
        let mut roots: Vec<Root> = config
            .languages
            .iter()
            .filter_map(|l| {
                let dir = root.join(l.content_dir.as_deref()?);
                dir.is_dir().then(|| Root {
                    dir,
                    lang: Some(l.code.clone()),
                })
            })
            .collect();
        // Jekyll reads collections, `_posts` and `_drafts` from `collections_dir`
        if let Some(dir) = jekyll_collections_dir(&template_vars).map(|d| root.join(d))
            && dir.is_dir()
        {
            roots.push(Root { dir, lang: None });
        }
        roots.sort_by_key(|r| std::cmp::Reverse(r.dir.components().count()));
        Site {
            generator,
            config,
            cascades: Vec::new(),
            config_cascade,
            root: root.to_owned(),
            roots,
            content: if let Some(dir) = hugo_content {
                dir
            } else if content_dir {
                root.join("content")
            } else {
                root.to_owned()
            },
            jekyll,
            content_dir,
            quire_export: root.join(SITE_FILE).is_file(),
            template_vars,
        }
    }
}

/// The site configuration template tags may name: Jekyll's `_config.yml` for `{{ site.X }}`,
/// the `params` of Hugo's configuration for `{{< param X >}}`. `Null` when there is none or it
/// does not parse (the generator's own problem; the tags that name it are reported).
fn template_vars(generator: Generator, root: &Path, hugo: Option<&Map<String, Value>>) -> Value {
    let read = |name: &str| std::fs::read_to_string(root.join(name)).ok();
    match generator {
        Generator::Jekyll => ["_config.yml", "_config.yaml"]
            .iter()
            .find_map(|n| read(n))
            .and_then(|text| serde_saphyr::from_str::<Value>(&text).ok())
            .unwrap_or(Value::Null),
        Generator::Hugo => hugo
            .and_then(|c| {
                c.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("params"))
                    .map(|(_, v)| v.clone())
            })
            .unwrap_or(Value::Null),
        Generator::Zola | Generator::Plain => Value::Null,
    }
}

/// The Markdown files under the site's content folder, sorted. Hidden files and folders are
/// left out (no generator publishes them), and so are the generator's own folders at the site
/// root (Jekyll's `_layouts`, `node_modules`, ...; Hugo's and Zola's are outside `content/`).
/// Everything else is listed, so that each file is accounted for: imported, skipped with its
/// reason, or failed.
fn files_of(site: &Site) -> Vec<PathBuf> {
    let ignored = match site.generator {
        Generator::Jekyll => JEKYLL_IGNORED_DIRS,
        Generator::Plain => IGNORED_DIRS,
        // the walk is of `content/`, where every folder is a section
        Generator::Hugo | Generator::Zola => &[],
    };
    let tops = std::iter::once(&site.content)
        .chain(site.roots.iter().map(|r| &r.dir))
        .filter(|dir| *dir == &site.content || !dir.starts_with(&site.content));
    let mut files: Vec<PathBuf> = tops
        .flat_map(|top| {
            walkdir::WalkDir::new(top)
                .follow_links(true)
                .into_iter()
                .filter_entry(|e| {
                    let name = e.file_name().to_string_lossy();
                    e.depth() == 0
                        || !(name.starts_with('.')
                            || e.depth() == 1
                                && e.file_type().is_dir()
                                && ignored.contains(&name.as_ref()))
                })
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .map(walkdir::DirEntry::into_path)
        })
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        })
        .collect();
    files.sort();
    files.dedup();
    files
}

/// Reads one file into `out`: a post, a skip, or problems.
fn read_one(site: &Site, path: &Path, out: &mut Read) {
    let shown = shown_path(path);
    let mut warnings = Vec::new();
    match parse_file(site, path, &shown, &mut warnings) {
        Ok(Parsed::Post(doc, mut redirects)) => {
            out.bundle.posts.push(*doc);
            out.warnings.append(&mut warnings);
            out.site_redirects.append(&mut redirects);
        }
        Ok(Parsed::Skip(reason)) => out.skipped.push((shown, reason)),
        Err(mut problems) => out.problems.append(&mut problems),
    }
}

/// The path as the user would recognise it: relative to the current folder when possible.
fn shown_path(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd)
        .unwrap_or(path)
        .display()
        .to_string()
}

enum Parsed {
    /// A post, and redirects from the generator's pages for its taxonomy terms.
    Post(Box<PostDoc>, Vec<RedirectDoc>),
    Skip(String),
}

/// Front matter split from the body.
struct Source<'a> {
    /// The front matter's fields (empty without front matter).
    fields: Map<String, Value>,
    /// The front matter's text, to find the line of a field.
    matter: &'a str,
    /// 1-based line of the opening fence (blank lines may come before it).
    fence_line: usize,
    /// Whether the file had front matter.
    has_matter: bool,
    body: &'a str,
    /// 1-based line of the body's first line in the file.
    body_line: usize,
}

impl Source<'_> {
    /// The line of `key` in the front matter (for messages), or the first line.
    fn line_of(&self, key: &str) -> usize {
        let found = self.matter.lines().position(|l| {
            let l = l.trim_start().trim_start_matches('"');
            l.get(..key.len())
                .filter(|k| k.eq_ignore_ascii_case(key))
                .and_then(|k| l.get(k.len()..))
                .is_some_and(|rest| {
                    rest.trim_start_matches('"')
                        .trim_start()
                        .starts_with([':', '='])
                })
        });
        found.map_or(self.fence_line, |i| i + self.fence_line + 1)
    }
}

fn parse_file(
    site: &Site,
    path: &Path,
    shown: &str,
    warnings: &mut Vec<Problem>,
) -> Result<Parsed, Vec<Problem>> {
    let problem = |line: Option<usize>, msg: String| vec![Problem::new(shown, line, msg)];
    if let Some(reason) = unpublished_place(site, path) {
        return Ok(Parsed::Skip(reason));
    }
    let bytes = std::fs::read(path).map_err(|e| problem(None, format!("cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        problem(
            None,
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut source = split_front_matter(text).map_err(|(line, msg)| problem(Some(line), msg))?;
    let inherited = inherit(site, path, &mut source.fields);

    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let (stem, lang) = site.name_and_lang(path);
    let stem = stem.as_str();
    let content_root = site.root_of(path);
    if let Some(code) = &lang
        && site
            .config
            .languages
            .iter()
            .any(|l| l.code == *code && l.disabled)
    {
        return Ok(Parsed::Skip(format!(
            "in the language `{code}`, which the site's configuration disables: the generator publishes nothing of it"
        )));
    }
    // Hugo's and Zola's section indexes: the text of the section's list page
    let section_index = stem == "_index";
    if section_index && (!site.content_dir || path.parent() == Some(content_root)) {
        return Ok(Parsed::Skip(if site.content_dir {
            "the home page's index (_index.md): Quire's home page lists the posts".into()
        } else {
            "section index (_index.md): Quire makes its own archive pages".into()
        }));
    }
    if !source.has_matter && REPOSITORY_FILES.contains(&stem.to_ascii_lowercase().as_str()) {
        return Ok(Parsed::Skip(format!(
            "{file_name} without front matter is a repository file, not a post"
        )));
    }
    if let Some(reason) = not_rendered(&source.fields, &inherited) {
        return Ok(Parsed::Skip(reason));
    }
    let mut fm = Fields {
        source: &source,
        shown,
        problems: Vec::new(),
        warnings: Vec::new(),
    };

    let in_dir = |name: &str| {
        path.strip_prefix(content_root)
            .is_ok_and(|rel| rel.components().any(|c| c.as_os_str() == name))
    };
    let in_drafts = in_dir("_drafts");
    let in_posts = in_dir("_posts");
    let bundle_dir = matches!(stem, "index" | "_index")
        .then(|| path.parent())
        .flatten()
        .filter(|dir| *dir != content_root);

    // Slug: front matter, else the bundle's folder or the file name (minus Jekyll's date).
    let (name_date, name_slug) = {
        let raw = match bundle_dir {
            Some(dir) => dir.file_name().and_then(|n| n.to_str()).unwrap_or(stem),
            None => stem,
        };
        split_dated_name(raw)
    };
    let explicit_slug = fm.string(&["slug"]);
    let slug = match &explicit_slug {
        Some(s) if site.quire_export => match Slug::parse_top_level(s) {
            Ok(slug) => slug.to_string(),
            Err(e) => {
                fm.problem("slug", format!("slug `{s}`: {e}"));
                String::new()
            }
        },
        Some(s) => match slug_of(s) {
            Ok(slug) => slug,
            Err(e) => {
                fm.problem("slug", format!("slug `{s}`: {e}"));
                String::new()
            }
        },
        // a translation is told apart from the page in the default language by its code
        None => match &lang {
            Some(code)
                if site.config.in_language_dir(Some(code))
                    && *code != site.config.default_language =>
            {
                Slug::from_title(&format!("{name_slug}-{code}")).to_string()
            }
            _ => Slug::from_title(name_slug).to_string(),
        },
    };
    let sections = sections_of(site, path, bundle_dir);

    // Template tags rendered (an export's body is Quire's own, kept as written); what cannot
    // be rendered is taken out and reported with its line.
    let mut body = if site.quire_export {
        source.body.to_owned()
    } else {
        let includes = site.root.join("_includes");
        let context = templates::Context {
            site: &site.template_vars,
            page: &source.fields,
            includes: (site.jekyll && includes.is_dir()).then_some(includes.as_path()),
            dir: site.jekyll.then(|| path.parent()).flatten(),
        };
        let (body, taken_out) = templates::render(source.body, &context);
        warnings.extend(
            taken_out
                .into_iter()
                .map(|w| Problem::new(shown, Some(source.body_line + w.line - 1), w.message)),
        );
        body
    };
    if section_index && body.trim().is_empty() {
        return Ok(Parsed::Skip(
            "a section index without text: the section's list page now leads to the home page"
                .into(),
        ));
    }
    // Title: front matter, else the first heading (taken out of the body), else the name.
    let title = match fm.string(&["title"]) {
        Some(t) => t,
        None => match take_first_heading(&body) {
            Some((title, rest)) => {
                body = rest;
                title
            }
            None => humanise(name_slug),
        },
    };

    let name_date = name_date.filter(|_| !site.quire_export);
    let published_at = fm.date_or(&DATE_KEYS, name_date);
    let updated_at = fm.date(&[
        "updated",
        "lastmod",
        "last_modified_at",
        "modified",
        "updated_at",
    ]);
    let created_at = fm.date(&["created", "created_at"]);
    // the date as the generator saw it, for the dates in its URLs
    let written_date = fm
        .first(&DATE_KEYS)
        .and_then(|(_, v)| v.as_str())
        .and_then(parse_date_with_offset)
        .filter(|(at, _)| Some(*at) == published_at)
        .map(|(at, offset)| urls::written(at, offset))
        .or_else(|| name_date.map(|at| urls::written(at, None)));
    let expires_at = fm.date(&["expiryDate", "unpublishDate", "expiry_date"]);

    let mut status = match fm.string(&["status"]).map(|s| s.to_ascii_lowercase()) {
        Some(s) if s == "draft" => PostStatus::Draft,
        Some(s) if s == "published" || s == "public" => PostStatus::Published,
        Some(s) if s == "scheduled" => PostStatus::Scheduled,
        Some(s) => {
            fm.problem(
                "status",
                format!("status `{s}`: use draft, published or scheduled"),
            );
            PostStatus::Draft
        }
        None if in_drafts
            || fm.bool(&["draft"]) == Some(true)
            || fm.bool(&["published"]) == Some(false) =>
        {
            PostStatus::Draft
        }
        None => PostStatus::Published,
    };
    // Hugo stops publishing a page at its expiry date. An expired page is kept as a draft,
    // out of sight but not lost; one yet to expire is published, and the writer told.
    if let Some(at) = expires_at {
        let when = at.format("%Y-%m-%d %H:%M UTC");
        if at <= Utc::now() {
            if status != PostStatus::Draft {
                status = PostStatus::Draft;
                fm.warn(
                    "expiryDate",
                    format!("expired on {when}: imported as a draft, as the generator no longer publishes it"),
                );
            }
        } else if status != PostStatus::Draft {
            fm.warn(
                "expiryDate",
                format!("expires on {when}: Quire keeps it published; unpublish it then by hand"),
            );
        }
    }

    let declared = fm
        .string(&["type", "layout"])
        .map(|s| s.to_ascii_lowercase());
    let at_content_root = path.parent() == Some(content_root);
    let kind = match declared.as_deref() {
        // a section's text is a page of the site
        _ if section_index => PostType::Page,
        Some("page") => PostType::Page,
        Some("post") => PostType::Post,
        _ if site.jekyll && !in_posts && !in_drafts && published_at.is_none() => PostType::Page,
        _ if site.content_dir && at_content_root && published_at.is_none() => PostType::Page,
        _ => PostType::Post,
    };

    let mut tags = fm.list(&["tags"]);
    tags.extend(fm.list(&["categories", "category"]));
    if let Some(taxonomies) = source.fields.get("taxonomies").and_then(Value::as_object) {
        for key in ["tags", "categories"] {
            tags.extend(taxonomies.get(key).map(list_of).unwrap_or_default());
        }
    }
    let mut seen = HashSet::new();
    tags.retain(|t| seen.insert(t.to_lowercase()));

    let authors = fm.authors();
    let description = fm.string(&["description"]);
    let excerpt = fm
        .string(&["excerpt", "summary", "custom_excerpt"])
        .or_else(|| description.clone());
    let feature_image = fm.feature_image();
    let aliases = fm.list(&["aliases", "redirect_from"]);
    let section_path = format!("/{}", sections.join("/"));
    let rel = path
        .strip_prefix(content_root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/");
    let own_path = format!("/{slug}/");
    let mut aliases: Vec<String> = aliases
        .into_iter()
        .filter_map(|a| {
            if site.quire_export {
                alias_path(&a)
            } else {
                site.config.alias(&a, &section_path)
            }
        })
        .filter(|a| *a != own_path)
        .collect();
    // the address the generator served the file at: its rules, or the file's own setting
    let permalink_key = match site.generator {
        Generator::Jekyll => "permalink",
        Generator::Hugo => "url",
        Generator::Zola => "path",
        Generator::Plain => "",
    };
    let permalink = fm.string(&[permalink_key]);
    let generator_url = if site.quire_export {
        None
    } else {
        let raw_name = match bundle_dir {
            Some(dir) => dir.file_name().and_then(|n| n.to_str()).unwrap_or(stem),
            None => stem,
        };
        let categories = if site.generator == Generator::Jekyll {
            let mut c = fm.list(&["categories", "category"]);
            c.dedup();
            c
        } else {
            Vec::new()
        };
        let page = urls::Page {
            sections: &sections,
            raw_name,
            name: name_slug,
            slug: explicit_slug.as_deref(),
            title: &title,
            date: written_date,
            categories,
            permalink: permalink.as_deref(),
            post: in_posts || in_drafts,
            rel: &rel,
            collection: (site.generator == Generator::Jekyll)
                .then(|| rel.split('/').next())
                .flatten()
                .filter(|first| rel.contains('/') && site.config.is_output_collection(first))
                .map(|first| &first[1..]),
            lang: lang.as_deref(),
        };
        if section_index && permalink.is_none() {
            let mut all = sections.clone();
            all.push(raw_name.to_owned());
            site.config.section_url(&all, lang.as_deref())
        } else {
            site.config.old_url(&page)
        }
    };
    // the generator's pages for the post's tags and categories now live at Quire's tag pages
    let term_redirects: Vec<RedirectDoc> = if status == PostStatus::Published && !site.quire_export
    {
        site.config
            .term_urls(&source.fields, lang.as_deref())
            .into_iter()
            .filter(|(_, term, _)| !term.starts_with('#'))
            .filter(|(taxonomy, _, _)| {
                matches!(
                    taxonomy.to_lowercase().as_str(),
                    "tags" | "categories" | "category" | "tag"
                )
            })
            .map(|(_, term, from)| RedirectDoc {
                from,
                // the list of all terms: Quire has none, its home page lists the posts
                to: if term.is_empty() {
                    "/".to_owned()
                } else {
                    format!("/tag/{}/", crate::domain::tag::tag_slug(&term))
                },
            })
            .collect()
    } else {
        Vec::new()
    };
    if site.generator == Generator::Plain
        && let Some(old) = fm
            .string(&["url", "permalink"])
            .and_then(|u| alias_path(&u))
        && old != own_path
    {
        aliases.push(old);
    }

    // an export's texts are Quire's own: plain already, kept as they are
    let plain = |text: String| {
        if site.quire_export {
            text
        } else {
            md::excerpt(&text, 500)
        }
    };
    let mut doc = PostDoc::new(slug, title);
    doc.kind = kind;
    // a Quire export's stable post id; other generators' `id` fields are not UUIDs
    doc.id = source
        .fields
        .get("id")
        .and_then(Value::as_str)
        .and_then(|s| uuid::Uuid::parse_str(s).ok());
    // the old site's feed id, as a Quire export writes it
    doc.feed_guid = fm.string(&["feed_guid"]);
    doc.status = status;
    doc.published_at = published_at;
    doc.updated_at = updated_at;
    doc.created_at = created_at;
    doc.tags = tags;
    doc.authors = authors;
    doc.custom_excerpt = excerpt.map(plain);
    doc.meta_title = fm.string(&["meta_title"]);
    doc.meta_description = fm.string(&["meta_description"]).or(description).map(plain);
    doc.feature_image_alt = fm.string(&["feature_image_alt", "image_alt"]).or_else(|| {
        fm.nested_string(&[("cover", "alt"), ("extra", "image_alt"), ("header", "alt")])
    });
    doc.feature_image_caption = fm.string(&["feature_image_caption", "image_caption"]);
    doc.featured = fm.bool(&["featured"]).unwrap_or(false);
    doc.canonical_url = fm.string(&["canonical_url", "canonical", "canonicalURL"]);
    doc.codeinjection_head = fm.code(&["codeinjection_head"]);
    doc.codeinjection_foot = fm.code(&["codeinjection_foot"]);
    doc.aliases = aliases;
    doc.origin = shown.to_owned();
    doc.source = (!site.quire_export).then(|| SourceFile {
        sections,
        explicit_slug: explicit_slug.is_some(),
        name_date,
        generator_url,
        file: absolute(path),
        lang,
    });

    // Images on disk: the feature image and every image of the body.
    let base_dir = path.parent().unwrap_or(Path::new("."));
    let mut problems = fm.problems;
    warnings.append(&mut fm.warnings);
    let mut refs: Vec<(String, usize)> = Vec::new();
    if let Some(img) = &feature_image {
        refs.push((img.clone(), source.line_of_any(&FEATURE_IMAGE_KEYS)));
    }
    for url in md::image_urls(&body) {
        let line = body
            .lines()
            .position(|l| l.contains(url.as_str()))
            .map_or(source.body_line, |i| source.body_line + i);
        refs.push((url, line));
    }
    for (reference, line) in refs {
        match resolve_image(site, base_dir, &reference) {
            Ok(Some(file)) => {
                if !doc.local_images.iter().any(|i| i.reference == reference) {
                    doc.local_images.push(LocalImage {
                        reference,
                        path: file,
                    });
                }
            }
            Ok(None) => {}
            // an export's images live in the media storage: a reference is kept as written
            Err(_) if site.quire_export => {}
            Err(msg) => problems.push(Problem::new(shown, Some(line), msg)),
        }
    }
    doc.feature_image = feature_image;
    doc.markdown = if site.quire_export {
        body
    } else {
        body.trim_matches('\n').to_owned()
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Parsed::Post(Box::new(doc), term_redirects))
}

const DATE_KEYS: [&str; 5] = [
    "date",
    "publishDate",
    "pubDate",
    "published_at",
    "published_date",
];

const FEATURE_IMAGE_KEYS: [&str; 6] = [
    "feature_image",
    "featured_image",
    "cover_image",
    "image",
    "cover",
    "images",
];

impl Source<'_> {
    fn line_of_any(&self, keys: &[&str]) -> usize {
        keys.iter()
            .find(|k| self.fields.contains_key(**k))
            .map_or(1, |k| self.line_of(k))
    }
}

/// Splits `---` YAML, `+++` TOML or `{...}` JSON front matter from the body. Blank lines may
/// come before the opening fence, as Zola and Hugo allow.
fn split_front_matter(text: &str) -> Result<Source<'_>, (usize, String)> {
    let blank: usize = text
        .split_inclusive('\n')
        .take_while(|l| l.ends_with('\n') && l.trim().is_empty())
        .map(str::len)
        .sum();
    let rest = &text[blank..];
    let fenced = matches!(rest.lines().next().map(str::trim), Some("---" | "+++"))
        || rest.trim_start().starts_with('{');
    if blank == 0 || !fenced {
        return split_fenced(text);
    }
    let shift = text[..blank].matches('\n').count();
    match split_fenced(rest) {
        Ok(mut source) => {
            source.body_line += shift;
            source.fence_line += shift;
            Ok(source)
        }
        Err((line, message)) => Err((line + shift, message)),
    }
}

/// [`split_front_matter`] of a text whose first line is the opening fence, if any.
fn split_fenced(text: &str) -> Result<Source<'_>, (usize, String)> {
    let first = text.lines().next().unwrap_or("").trim();
    let delimited = |fence: &str| -> Result<(&str, &str, usize), (usize, String)> {
        let after = &text[text.find('\n').map_or(text.len(), |i| i + 1)..];
        let mut offset = 0;
        for (i, line) in after.split_inclusive('\n').enumerate() {
            let bare = line.trim_end();
            if bare == fence || (fence == "---" && bare == "...") {
                let matter = &after[..offset];
                let body = &after[offset + line.len()..];
                return Ok((matter, body, i + 3));
            }
            offset += line.len();
        }
        Err((
            1,
            format!("front matter opened with `{fence}` is never closed"),
        ))
    };
    let (fields, matter, body, body_line) = match first {
        "---" => {
            let (matter, body, body_line) = delimited("---")?;
            let value: Value = if matter.trim().is_empty() {
                Value::Object(Map::new())
            } else {
                serde_saphyr::from_str(matter).map_err(|e| yaml_error(&e))?
            };
            (object(value, "YAML")?, matter, body, body_line)
        }
        "+++" => {
            let (matter, body, body_line) = delimited("+++")?;
            let table: toml::Table = toml::from_str(matter).map_err(|e| {
                let line = e
                    .span()
                    .map_or(1, |s| matter[..s.start].matches('\n').count() + 2);
                (line, format!("invalid TOML front matter: {}", e.message()))
            })?;
            (
                toml_to_json(toml::Value::Table(table))
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
                matter,
                body,
                body_line,
            )
        }
        _ if text.trim_start().starts_with('{') => {
            let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
            let value = match stream.next() {
                Some(Ok(v)) => v,
                Some(Err(e)) => {
                    return Err((e.line(), format!("invalid JSON front matter: {e}")));
                }
                None => Value::Null,
            };
            let end = stream.byte_offset();
            let matter = &text[..end];
            let body = text[end..].strip_prefix('\n').unwrap_or(&text[end..]);
            let body_line = matter.matches('\n').count() + 2;
            (object(value, "JSON")?, matter, body, body_line)
        }
        _ => {
            return Ok(Source {
                fields: Map::new(),
                matter: "",
                fence_line: 1,
                has_matter: false,
                body: text,
                body_line: 1,
            });
        }
    };
    Ok(Source {
        fields,
        matter,
        fence_line: 1,
        has_matter: true,
        body,
        body_line,
    })
}

fn object(value: Value, format: &str) -> Result<Map<String, Value>, (usize, String)> {
    match value {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        _ => Err((
            2,
            format!("{format} front matter must be a set of `key: value` fields"),
        )),
    }
}

/// serde-saphyr's message with the line moved past the opening `---`.
fn yaml_error(e: &serde_saphyr::Error) -> (usize, String) {
    let text = e.to_string();
    static LINE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"line (\d+)").unwrap());
    let line = LINE
        .captures(&text)
        .and_then(|c| c[1].parse::<usize>().ok())
        .map_or(2, |l| l + 1);
    let first = text.lines().next().unwrap_or("");
    // the parser's own position counts lines inside the front matter: keep only the column,
    // so the message does not contradict the file line it is reported on
    static POSITION: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(?:error: )?line \d+ column (\d+): (.+)$").unwrap());
    let message = match POSITION.captures(first) {
        Some(c) => format!("invalid YAML front matter at column {}: {}", &c[1], &c[2]),
        None => format!("invalid YAML front matter: {first}"),
    };
    (line, message)
}

fn toml_to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// Typed access to front matter fields, collecting problems with their lines.
struct Fields<'a> {
    source: &'a Source<'a>,
    shown: &'a str,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
}

impl<'a> Fields<'a> {
    fn problem(&mut self, key: &str, message: String) {
        let line = self.source.line_of(key);
        self.problems
            .push(Problem::new(self.shown, Some(line), message));
    }

    fn warn(&mut self, key: &str, message: String) {
        let line = self.source.line_of(key);
        self.warnings
            .push(Problem::new(self.shown, Some(line), message));
    }

    /// The first of `keys` that is set, as written in the file: Hugo reads keys in any case
    /// (`expiryDate`, `expirydate`).
    fn first(&self, keys: &[&str]) -> Option<(&'a str, &'a Value)> {
        let source: &'a Source<'a> = self.source;
        keys.iter().find_map(|k| {
            source
                .fields
                .get_key_value(*k)
                .or_else(|| {
                    source
                        .fields
                        .iter()
                        .find(|(f, _)| f.eq_ignore_ascii_case(k))
                })
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.as_str(), v))
        })
    }

    fn string(&mut self, keys: &[&str]) -> Option<String> {
        let (key, value) = self.first(keys)?;
        match value {
            Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => {
                self.problem(key, format!("`{key}` should be text"));
                None
            }
        }
    }

    /// Code to inject: exactly as written (whitespace may matter), absent when blank.
    fn code(&mut self, keys: &[&str]) -> Option<String> {
        let (key, value) = self.first(keys)?;
        match value {
            Value::String(s) => Some(s.clone()).filter(|s| !s.trim().is_empty()),
            _ => {
                self.problem(key, format!("`{key}` should be text"));
                None
            }
        }
    }

    fn nested_string(&self, paths: &[(&str, &str)]) -> Option<String> {
        paths.iter().find_map(|(outer, inner)| {
            self.source
                .fields
                .get(*outer)?
                .get(*inner)?
                .as_str()
                .map(str::to_owned)
        })
    }

    fn bool(&mut self, keys: &[&str]) -> Option<bool> {
        let (key, value) = self.first(keys)?;
        match value {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") || s == "yes" => Some(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") || s == "no" => Some(false),
            _ => {
                self.problem(key, format!("`{key}` should be true or false"));
                None
            }
        }
    }

    fn date(&mut self, keys: &[&str]) -> Option<DateTime<Utc>> {
        self.date_or(keys, None)
    }

    /// A date; when the field is not a usable date, `fallback` (the date in a Jekyll file
    /// name) with a warning, as the generator would publish the file with it.
    fn date_or(&mut self, keys: &[&str], fallback: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        let Some((key, value)) = self.first(keys) else {
            return fallback;
        };
        let parsed = match value {
            Value::String(s) => parse_date(s),
            _ => None,
        };
        let why = match parsed {
            Some(at) if limits::date_in_range(at) => return Some(at),
            Some(_) => format!("`{key}` is out of range: {}", limits::DATE_RANGE_MESSAGE),
            None => format!("`{key}` is not a date (use 2024-05-17 or 2024-05-17T09:30:00+02:00)"),
        };
        match fallback {
            Some(at) => {
                let why = why.trim_end_matches('.');
                self.warn(
                    key,
                    format!(
                        "{why}; the date in the file name, {}, is used",
                        at.format("%Y-%m-%d")
                    ),
                );
                Some(at)
            }
            None => {
                self.problem(key, why);
                None
            }
        }
    }

    fn list(&mut self, keys: &[&str]) -> Vec<String> {
        keys.iter()
            .filter_map(|k| self.source.fields.get(*k))
            .flat_map(list_of)
            .collect()
    }

    /// `author: Name`, `author: {name, email}`, `authors: [..]`: emails where given, else names.
    fn authors(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        for key in ["authors", "author"] {
            let Some(value) = self.source.fields.get(key) else {
                continue;
            };
            let items = match value {
                Value::Array(items) => items.clone(),
                other => vec![other.clone()],
            };
            for item in items {
                match item {
                    Value::String(s) if !s.trim().is_empty() => out.push(s.trim().to_owned()),
                    Value::Object(o) => {
                        let name = ["email", "name", "slug"]
                            .iter()
                            .find_map(|k| o.get(*k).and_then(Value::as_str));
                        match name {
                            Some(n) => out.push(n.trim().to_owned()),
                            None => self.problem(key, format!("`{key}` needs a name or email")),
                        }
                    }
                    Value::Null => {}
                    _ => self.problem(key, format!("`{key}` should be a name or a list of names")),
                }
            }
        }
        let mut seen = HashSet::new();
        out.retain(|a| seen.insert(a.to_lowercase()));
        out
    }

    fn feature_image(&mut self) -> Option<String> {
        for key in FEATURE_IMAGE_KEYS {
            match self.source.fields.get(key) {
                Some(Value::String(s)) if !s.trim().is_empty() => return Some(s.trim().to_owned()),
                Some(Value::Array(items)) => {
                    if let Some(s) = items.first().and_then(Value::as_str) {
                        return Some(s.trim().to_owned());
                    }
                }
                Some(Value::Object(o)) => {
                    if let Some(s) = o.get("image").and_then(Value::as_str) {
                        return Some(s.trim().to_owned());
                    }
                }
                _ => {}
            }
        }
        self.nested_string(&[
            ("header", "image"),
            ("header", "overlay_image"),
            ("extra", "feature_image"),
            ("extra", "image"),
            ("extra", "cover"),
        ])
    }
}

/// A list of strings from a list or a string (`"a, b"` or Jekyll's `"a b"`).
fn list_of(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.trim().to_owned()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|s| !s.is_empty())
            .collect(),
        Value::String(s) if s.contains(',') => s
            .split(',')
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
        Value::String(s) => s.split_whitespace().map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

/// `2019-03-04-hello-world` → (the date, `hello-world`); other names unchanged.
fn split_dated_name(name: &str) -> (Option<DateTime<Utc>>, &str) {
    if name.len() > 11
        && name.as_bytes()[10] == b'-'
        && let Some(date) = name.get(..10).and_then(parse_date)
        && limits::date_in_range(date)
    {
        return (Some(date), &name[11..]);
    }
    (None, name)
}

/// The entry of Jekyll's `exclude:` list (in `_config.yml`) that leaves `rel` out of the site,
/// unless `include:` names it: a path (a file, or a folder and all below it) or a glob with `*`.
fn jekyll_excluded(config: &Value, rel: &Path) -> Option<String> {
    let rel = rel.to_string_lossy().replace('\\', "/");
    let list = |key: &str| -> Vec<String> {
        config
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|e| {
                e.trim()
                    .trim_start_matches("./")
                    .trim_matches('/')
                    .to_owned()
            })
            .filter(|e| !e.is_empty())
            .collect()
    };
    let matches = |entry: &str| {
        if entry.contains('*') {
            let pattern = format!("^{}$", regex::escape(entry).replace(r"\*", "[^/]*"));
            Regex::new(&pattern)
                .is_ok_and(|re| re.is_match(&rel) || rel.split('/').any(|part| re.is_match(part)))
        } else {
            rel == entry || rel.starts_with(&format!("{entry}/"))
        }
    };
    if list("include").iter().any(|e| matches(e)) {
        return None;
    }
    list("exclude").into_iter().find(|e| matches(e))
}

/// Jekyll's `collections_dir` (where collections, `_posts` and `_drafts` live), when the
/// configuration names a folder inside the site.
fn jekyll_collections_dir(config: &Value) -> Option<String> {
    let dir = config
        .get("collections_dir")?
        .as_str()?
        .trim()
        .trim_start_matches("./")
        .trim_matches('/');
    let inside = !dir.is_empty()
        && Path::new(dir)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    inside.then(|| dir.to_owned())
}

/// The reason a file is not imported because of where it is, when its generator publishes
/// nothing from there: Jekyll ignores folders starting with `_` below the site root (except
/// `_posts` and `_drafts`), and the other Markdown files of a Hugo or Zola page bundle are the
/// page's resources, not pages.
fn unpublished_place(site: &Site, path: &Path) -> Option<String> {
    let content_root = site.root_of(path);
    let rel = path.strip_prefix(content_root).ok()?;
    match site.generator {
        Generator::Jekyll => {
            let from_root = path.strip_prefix(&site.root).unwrap_or(rel);
            if let Some(entry) = jekyll_excluded(&site.template_vars, from_root) {
                return Some(format!(
                    "excluded by `{entry}` in `exclude:` of `_config.yml`: Jekyll does not publish it"
                ));
            }
            if let Some(dir) = jekyll_collections_dir(&site.template_vars)
                && content_root == site.content
                && from_root
                    .components()
                    .next()
                    .is_some_and(|c| matches!(c.as_os_str().to_str(), Some("_posts" | "_drafts")))
            {
                return Some(format!(
                    "outside `collections_dir: {dir}`: with it set, Jekyll reads `_posts` and `_drafts` only from that folder"
                ));
            }
            let dirs = rel
                .parent()?
                .components()
                .filter_map(|c| c.as_os_str().to_str());
            let mut dirs = dirs.peekable();
            // at the root, a folder `_NAME` is published only as a collection with output
            if let Some(first) = dirs.peek()
                && first.starts_with('_')
                && !matches!(*first, "_posts" | "_drafts")
                && !site.config.is_output_collection(first)
            {
                return Some(format!(
                    "in the folder `{first}`: Jekyll publishes a folder starting with `_` only as a collection with `output: true` (`collections:` in `_config.yml`)"
                ));
            }
            dirs.skip(1)
                .find(|d| d.starts_with('_') && !matches!(*d, "_posts" | "_drafts"))
                .map(|d| {
                    format!(
                        "in the folder `{d}`: Jekyll publishes nothing from folders starting with `_` below the site root"
                    )
                })
        }
        Generator::Hugo | Generator::Zola => {
            let mut dir = path.parent()?;
            if matches!(site.name_and_lang(path).0.as_str(), "index" | "_index") {
                dir = dir.parent()?;
            }
            while dir != content_root && dir.starts_with(content_root) {
                let index = dir.join("index.md");
                if index.is_file() {
                    return Some(format!(
                        "a resource of the page bundle {}, not a page of its own",
                        shown_path(&index)
                    ));
                }
                dir = dir.parent()?;
            }
            None
        }
        Generator::Plain => None,
    }
}

/// A Hugo `cascade` entry of a section index: front matter that the pages below inherit.
#[derive(Debug)]
struct Cascade {
    /// The section's folder: the entry applies to the files below it.
    dir: PathBuf,
    /// The section index, for messages.
    origin: String,
    /// `_target.path`, matched against a page's path in the site (`/blog/**`).
    path: Option<Regex>,
    fields: Map<String, Value>,
}

/// The `cascade` entries of the section indexes (`_index.md`) among `files`. An index that
/// cannot be read is reported when it is read as a file.
fn cascades(files: &[PathBuf]) -> Vec<Cascade> {
    let mut out = Vec::new();
    for file in files {
        if file.file_stem().is_none_or(|s| s != "_index") {
            continue;
        }
        let Some(dir) = file.parent() else { continue };
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let Ok(source) = split_front_matter(text) else {
            continue;
        };
        let Some(value) = source
            .fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("cascade"))
            .map(|(_, v)| v)
        else {
            continue;
        };
        out.extend(cascade_entries(value, dir, &shown_path(file)));
    }
    out
}

/// The entries of one `cascade` value (a table or a list of tables) that apply to pages of
/// the production build, for the files below `dir`.
fn cascade_entries(value: &Value, dir: &Path, origin: &str) -> Vec<Cascade> {
    let entries = match value {
        Value::Array(entries) => entries.clone(),
        other => vec![other.clone()],
    };
    let mut out = Vec::new();
    for entry in entries {
        let Value::Object(mut fields) = entry else {
            continue;
        };
        let target = fields.remove("_target").or_else(|| fields.remove("target"));
        let target_str = |key: &str| target.as_ref()?.get(key)?.as_str().map(str::to_owned);
        // only entries meant for pages of the production build apply
        if target_str("kind").is_some_and(|k| !glob(&k).is_some_and(|g| g.is_match("page")))
            || target_str("environment")
                .is_some_and(|e| !glob(&e).is_some_and(|g| g.is_match("production")))
        {
            continue;
        }
        out.push(Cascade {
            dir: dir.to_owned(),
            origin: origin.to_owned(),
            path: target_str("path").and_then(|p| glob(&p)),
            fields,
        });
    }
    out
}

/// Adds to `fields` what the cascades above the file give it (the nearest section's first;
/// the file's own fields win). Returns the inherited keys (lower case, without a leading `_`)
/// and the section index each came from.
fn inherit(site: &Site, path: &Path, fields: &mut Map<String, Value>) -> HashMap<String, String> {
    let mut from = HashMap::new();
    if site.cascades.is_empty() {
        return from;
    }
    let logical = logical_path(site, path);
    let mut applicable: Vec<&Cascade> = site
        .cascades
        .iter()
        .filter(|c| path.starts_with(&c.dir))
        .filter(|c| c.path.as_ref().is_none_or(|p| p.is_match(&logical)))
        .collect();
    applicable.sort_by_key(|c| std::cmp::Reverse(c.dir.components().count()));
    for cascade in applicable {
        for (key, value) in &cascade.fields {
            let norm = norm_key(key);
            if !fields.keys().any(|k| norm_key(k) == norm) {
                fields.insert(key.clone(), value.clone());
                from.insert(norm, cascade.origin.clone());
            }
        }
    }
    from
}

/// A front matter key as Hugo compares them: `_build` is `build`, `expiryDate` `expirydate`.
fn norm_key(key: &str) -> String {
    key.trim_start_matches('_').to_ascii_lowercase()
}

/// A file's path in the site as Hugo's `_target.path` sees it: `/blog/post` for
/// `content/blog/post.md` and `content/blog/post/index.md`.
fn logical_path(site: &Site, path: &Path) -> String {
    let rel = path.strip_prefix(site.root_of(path)).unwrap_or(path);
    let rel = match rel.file_stem() {
        Some(s) if s == "index" => rel.parent().unwrap_or(rel).to_owned(),
        _ => rel.with_extension(""),
    };
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_lowercase())
        .collect();
    format!("/{}", parts.join("/"))
}

/// A glob (`/blog/**`, `{page,section}`) as a case-insensitive pattern.
fn glob(pattern: &str) -> Option<Regex> {
    let mut re = String::from("(?i)^");
    let mut chars = pattern.chars().peekable();
    let mut depth = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                re.push_str(".*");
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '{' => {
                depth += 1;
                re.push_str("(?:");
            }
            '}' if depth > 0 => {
                depth -= 1;
                re.push(')');
            }
            ',' if depth > 0 => re.push('|'),
            c => re.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
        }
    }
    re.push('$');
    Regex::new(&re).ok()
}

/// Why a page the generator renders no page for is not imported: Hugo's headless bundles and
/// `build: {render: never}` (or `_build`, `render: false`, `render: link`), set on the page or
/// inherited through a section's `cascade`, and Zola's `render = false`.
fn not_rendered(
    fields: &Map<String, Value>,
    inherited: &HashMap<String, String>,
) -> Option<String> {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| norm_key(k) == name)
            .map(|(_, v)| v)
    };
    let via = |name: &str| {
        inherited
            .get(name)
            .map(|index| format!(", from the cascade of {index}"))
            .unwrap_or_default()
    };
    let truthy = |v: &Value| matches!(v, Value::Bool(true)) || v.as_str() == Some("true");
    if get("headless").is_some_and(truthy) {
        return Some(format!(
            "a headless bundle (`headless: true`{}): the generator publishes no page for it",
            via("headless")
        ));
    }
    // Zola (0.19 and later): a page with `render = false` gets no page of its own
    if get("render").is_some_and(|v| matches!(v, Value::Bool(false))) {
        return Some(format!(
            "`render = false`{}: the generator renders no page for it",
            via("render")
        ));
    }
    let render = get("build").and_then(|b| {
        b.as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("render"))
            .map(|(_, v)| v.clone())
    })?;
    let never = match &render {
        Value::Bool(b) => !b,
        Value::String(s) => matches!(s.to_ascii_lowercase().as_str(), "never" | "false" | "link"),
        _ => false,
    };
    never.then(|| {
        let shown = match &render {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        format!(
            "`build.render: {shown}`{}: the generator renders no page for it",
            via("build")
        )
    })
}

/// A slug from front matter as the generator would serve it: `hugo_build` → `hugo-build`,
/// `Title` → `title`. Refused when it is not one path segment (`../etc`, `a/b`) or has no
/// letter or digit.
fn slug_of(written: &str) -> Result<String, String> {
    if let Ok(slug) = Slug::parse_top_level(written) {
        return Ok(slug.to_string());
    }
    if written.contains(['/', '\\']) || written.contains("..") {
        return Err("a slug is one part of a path, without `/` or `..`".into());
    }
    if slugify(written).is_empty() {
        return Err("a slug needs a letter or a digit".into());
    }
    Ok(Slug::from_title(written).to_string())
}

/// The folders from the content folder to the file's section (a bundle's own folder is the
/// page, not a section; Jekyll's `_posts` and `_drafts` are not sections).
fn sections_of(site: &Site, path: &Path, bundle_dir: Option<&Path>) -> Vec<String> {
    let dir = match bundle_dir {
        Some(dir) => dir.parent(),
        None => path.parent(),
    };
    let Some(rel) = dir.and_then(|d| d.strip_prefix(site.root_of(path)).ok()) else {
        return Vec::new();
    };
    rel.components()
        .filter_map(|c| c.as_os_str().to_str())
        .filter(|c| !matches!(*c, "_posts" | "_drafts"))
        .map(str::to_owned)
        .collect()
}

/// Gives every post read from Markdown a slug of its own. Quire's addresses are flat (`/slug/`)
/// where a generator's are nested (`/functions/strings/title/`, `/methods/page/title/`): files
/// that would share a slug are told apart by their sections, nearest first (`strings-title`,
/// `page-title`), then by the date in their file name (`update-2020-01-31`), then by a number
/// in the order of their paths. The file the generator serves at the shared slug's own path
/// (`/title/`), or else the only one that asked for the slug in front matter, keeps it. Files
/// the generator serves at the same path collide there too and are left for the validator to
/// report. The result depends only on the set of files, never on the order they were read in.
///
/// Then each post's generator path, where it differs from its own, becomes an alias.
fn settle_slugs(posts: &mut [PostDoc]) {
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, post) in posts.iter().enumerate() {
        if post.source.is_some() {
            groups.entry(post.slug.as_str()).or_default().push(i);
        }
    }
    let url = |i: usize| {
        posts[i]
            .source
            .as_ref()
            .and_then(|s| s.generator_url.as_deref())
    };
    let mut pending: Vec<usize> = Vec::new();
    for (slug, group) in &groups {
        if group.len() < 2 || slug.is_empty() {
            continue;
        }
        let own = format!("/{slug}/");
        let at_own: Vec<usize> = group
            .iter()
            .copied()
            .filter(|&i| url(i) == Some(own.as_str()))
            .collect();
        let explicit: Vec<usize> = group
            .iter()
            .copied()
            .filter(|&i| posts[i].source.as_ref().is_some_and(|s| s.explicit_slug))
            .collect();
        let keeper = match (&at_own[..], &explicit[..]) {
            ([k], _) | ([], [k]) => Some(*k),
            _ => None,
        };
        pending.extend(group.iter().copied().filter(|&i| {
            let shared = url(i).is_some() && group.iter().any(|&j| j != i && url(j) == url(i));
            Some(i) != keeper && !shared
        }));
    }
    pending.sort_by(|&a, &b| posts[a].origin.cmp(&posts[b].origin));

    let candidates: HashMap<usize, Vec<String>> = pending
        .iter()
        .map(|&i| (i, slug_candidates(&posts[i])))
        .collect();
    let mut taken: HashSet<String> = posts.iter().map(|p| p.slug.clone()).collect();
    let mut settled: Vec<(usize, String)> = Vec::new();
    let levels = candidates.values().map(Vec::len).max().unwrap_or(0);
    for level in 0..levels {
        let mut count: HashMap<&str, usize> = HashMap::new();
        for i in &pending {
            if let Some(c) = candidates[i].get(level) {
                *count.entry(c.as_str()).or_default() += 1;
            }
        }
        let mut left = Vec::new();
        for i in pending {
            match candidates[&i].get(level) {
                Some(c)
                    if count[c.as_str()] == 1
                        && !taken.contains(c)
                        && Slug::parse_top_level(c).is_ok() =>
                {
                    taken.insert(c.clone());
                    settled.push((i, c.clone()));
                }
                _ => left.push(i),
            }
        }
        pending = left;
    }
    for i in pending {
        let base = &posts[i].slug;
        let numbered = (2..)
            .map(|n| format!("{base}-{n}"))
            .find(|c| !taken.contains(c))
            .unwrap_or_default();
        taken.insert(numbered.clone());
        settled.push((i, numbered));
    }
    for (i, slug) in settled {
        posts[i].slug = slug;
    }

    for post in posts.iter_mut() {
        let Some(source) = &post.source else {
            continue;
        };
        let own = format!("/{}/", post.slug);
        if let Some(url) = &source.generator_url
            && *url != own
            && !post.aliases.contains(url)
        {
            post.aliases.push(url.clone());
        }
        post.aliases.retain(|a| *a != own);
    }
}

/// The slugs a post may take when its own is shared, in order of preference.
fn slug_candidates(post: &PostDoc) -> Vec<String> {
    let Some(source) = &post.source else {
        return Vec::new();
    };
    let parts: Vec<String> = source
        .sections
        .iter()
        .map(|s| slugify(s))
        .filter(|s| !s.is_empty())
        .collect();
    let mut out: Vec<String> = (1..=parts.len())
        .map(|k| format!("{}-{}", parts[parts.len() - k..].join("-"), post.slug))
        .collect();
    if let Some(date) = source.name_date {
        out.push(format!("{}-{}", post.slug, date.format("%Y-%m-%d")));
    }
    out
}

/// `hello-world` → `Hello world`.
fn humanise(name: &str) -> String {
    let words = name.replace(['-', '_'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => "Untitled".to_owned(),
    }
}

/// The text of a first `# heading` before any other content, and the body without it.
fn take_first_heading(body: &str) -> Option<(String, String)> {
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let bare = line.trim();
        if bare.is_empty() {
            offset += line.len();
            continue;
        }
        let title = bare.strip_prefix("# ")?.trim().trim_end_matches('#').trim();
        if title.is_empty() {
            return None;
        }
        let rest = format!("{}{}", &body[..offset], &body[offset + line.len()..]);
        return Some((title.to_owned(), rest));
    }
    None
}

/// Resolves an image reference to a file on disk. `Ok(None)` for remote images and site
/// paths that are not in the tree (served from elsewhere); an error for a relative file that
/// is missing or of a type the site does not accept.
fn resolve_image(site: &Site, dir: &Path, reference: &str) -> Result<Option<PathBuf>, String> {
    let r = reference.trim();
    if r.is_empty()
        || r.starts_with("//")
        || r.starts_with('#')
        || url::Url::parse(r).is_ok()
        || r.starts_with("/content/images/")
    {
        return Ok(None);
    }
    let clean = r.split(['?', '#']).next().unwrap_or(r).replace("%20", " ");
    let candidates: Vec<PathBuf> = match clean.strip_prefix('/') {
        Some(rel) => vec![
            site.root.join(rel),
            site.root.join("static").join(rel),
            site.content.join(rel),
        ],
        None => vec![dir.join(&clean)],
    };
    let Some(found) = candidates.into_iter().find(|p| p.is_file()) else {
        return if clean.starts_with('/') {
            Ok(None)
        } else {
            Err(format!("image `{reference}` not found next to the file"))
        };
    };
    let ext = found
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext == "svg" {
        return Err(format!(
            "image `{reference}`: SVG is not accepted (it can carry script); use PNG, JPEG, GIF or WebP"
        ));
    }
    if !IMAGE_EXTENSIONS.contains(&ext.as_str()) {
        return Err(format!(
            "image `{reference}`: only PNG, JPEG, GIF and WebP images can be imported"
        ));
    }
    Ok(Some(found))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> Source<'_> {
        split_front_matter(text).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn front_matter_in_three_formats() {
        let yaml = source("---\ntitle: Hello\ntags: [a, b]\n---\nBody\n");
        assert_eq!(yaml.fields["title"], "Hello");
        assert_eq!(yaml.body, "Body\n");
        assert_eq!(yaml.body_line, 5);
        let toml = source(
            "+++\ntitle = \"Hi\"\ndate = 2024-05-17\n[taxonomies]\ntags = [\"x\"]\n+++\nText",
        );
        assert_eq!(toml.fields["title"], "Hi");
        assert_eq!(toml.fields["date"], "2024-05-17");
        assert_eq!(toml.fields["taxonomies"]["tags"][0], "x");
        assert_eq!(toml.body, "Text");
        let json = source("{\n  \"title\": \"J\"\n}\nText\n");
        assert_eq!(json.fields["title"], "J");
        assert_eq!(json.body, "Text\n");
        assert_eq!(json.body_line, 4);
        let none = source("# Just text\n");
        assert!(!none.has_matter);
    }

    #[test]
    fn broken_front_matter_names_the_line() {
        let (line, msg) = split_front_matter("---\ntitle: ok\ntags: [a, b\n---\n")
            .err()
            .unwrap();
        assert!(msg.contains("YAML"), "{msg}");
        assert!((3..=5).contains(&line), "line {line}");
        let (line, msg) =
            split_front_matter("---\ntitle: x\ndate: 2023-03-03\nsummary: Short answer: no\n---\n")
                .err()
                .unwrap();
        assert_eq!(line, 4, "{msg}");
        assert!(
            !msg.contains("line"),
            "only the file's line is given: {msg}"
        );
        let (line, msg) = split_front_matter("+++\ntitle = \"x\"\ndate = \n+++\n")
            .err()
            .unwrap();
        assert_eq!(line, 3, "{msg}");
        let (line, _) = split_front_matter("---\ntitle: x\n").err().unwrap();
        assert_eq!(line, 1);
    }

    #[test]
    fn dates_in_every_generator_form() {
        let d = |s| parse_date(s).map(|d| d.to_rfc3339());
        assert_eq!(d("2024-05-17"), Some("2024-05-17T00:00:00+00:00".into()));
        assert_eq!(
            d("2024-05-17 09:30:00 +0200"),
            Some("2024-05-17T07:30:00+00:00".into())
        );
        assert_eq!(
            d("2024-05-17T09:30:00+02:00"),
            Some("2024-05-17T07:30:00+00:00".into())
        );
        assert_eq!(
            d("2024-05-17 09:30"),
            Some("2024-05-17T09:30:00+00:00".into())
        );
        assert_eq!(d("17/05/2024"), None);
        assert_eq!(split_dated_name("2019-03-04-hello-world").1, "hello-world");
        assert_eq!(split_dated_name("hello-world"), (None, "hello-world"));
    }

    #[test]
    fn dates_as_lenient_as_the_generators() {
        let d = |s| parse_date(s).map(|d| d.to_rfc3339());
        for (written, expected) in [
            (
                "2023-01-29 18:30:22 2023 -0800",
                "2023-01-30T02:30:22+00:00",
            ),
            ("2023-01-29 18:30 UTC", "2023-01-29T18:30:00+00:00"),
            ("2023-01-29T18:30", "2023-01-29T18:30:00+00:00"),
            ("2023-01-29 18:30:22+01:00", "2023-01-29T17:30:22+00:00"),
            ("2023-01-29 18:30:22 +01", "2023-01-29T17:30:22+00:00"),
            ("2023-01-29 18:30:22.250Z", "2023-01-29T18:30:22.250+00:00"),
            ("2023-01-29 6:30 pm EST", "2023-01-29T23:30:00+00:00"),
            ("2023/1/9", "2023-01-09T00:00:00+00:00"),
            (
                "Sun, 29 Jan 2023 18:30:22 +0000",
                "2023-01-29T18:30:22+00:00",
            ),
            ("29 January 2023", "2023-01-29T00:00:00+00:00"),
            ("Jan 29, 2023 10:00", "2023-01-29T10:00:00+00:00"),
        ] {
            assert_eq!(d(written).as_deref(), Some(expected), "{written}");
        }
        for refused in [
            "next Tuesday",
            "2023-13-01",
            "2023-01-290",
            "2023-01-29 25:00",
            "",
        ] {
            assert_eq!(d(refused), None, "{refused}");
        }
    }

    #[test]
    fn front_matter_may_follow_blank_lines() {
        let toml = source("\n  \n+++\ntitle = \"Hi\"\n+++\nText\n");
        assert!(toml.has_matter);
        assert_eq!(toml.fields["title"], "Hi");
        assert_eq!(toml.body, "Text\n");
        assert_eq!(toml.body_line, 6);
        assert_eq!(toml.line_of("title"), 4);
        let (line, _) = split_front_matter("\n---\ntitle: [x\n---\n").err().unwrap();
        assert_eq!(line, 3, "the file's line");
        let plain = source("\n\nJust text\n");
        assert!(!plain.has_matter);
        assert_eq!(plain.body, "\n\nJust text\n");
    }

    #[test]
    fn front_matter_slugs_are_made_slugs_unless_they_leave_their_folder() {
        assert_eq!(slug_of("hugo_build").as_deref(), Ok("hugo-build"));
        assert_eq!(slug_of("Title").as_deref(), Ok("title"));
        assert_eq!(slug_of("fine-slug").as_deref(), Ok("fine-slug"));
        assert!(slug_of("../etc").is_err());
        assert!(slug_of("a/b").is_err());
        assert!(slug_of("???").is_err());
    }

    #[test]
    fn shared_slugs_are_told_apart_the_same_way_in_any_order() {
        let doc = |path: &str, sections: &[&str], url: Option<&str>| {
            let mut doc = PostDoc::new("title", "T");
            doc.origin = path.to_owned();
            doc.source = Some(SourceFile {
                sections: sections.iter().map(|s| (*s).to_owned()).collect(),
                explicit_slug: false,
                name_date: None,
                generator_url: url.map(str::to_owned),
                file: PathBuf::new(),
                lang: None,
            });
            doc
        };
        let docs = vec![
            doc(
                "a/strings/Title.md",
                &["functions", "strings"],
                Some("/functions/strings/title/"),
            ),
            doc(
                "b/page/Title.md",
                &["methods", "page"],
                Some("/methods/page/title/"),
            ),
            doc("c/x/page/Title.md", &["x", "page"], Some("/x/page/title/")),
            doc("Title.md", &[], Some("/title/")),
            doc("d/Title.md", &["same"], Some("/same/title/")),
            doc("e/Title.md", &["same"], Some("/same/title/")),
        ];
        let settle = |mut docs: Vec<PostDoc>| {
            settle_slugs(&mut docs);
            let mut out: Vec<(String, String, Vec<String>)> = docs
                .into_iter()
                .map(|d| (d.origin, d.slug, d.aliases))
                .collect();
            out.sort();
            out
        };
        let forward = settle(docs.clone());
        let mut reversed = docs.clone();
        reversed.reverse();
        assert_eq!(forward, settle(reversed), "the order read does not matter");
        let slugs: Vec<(&str, &str)> = forward
            .iter()
            .map(|(o, s, _)| (o.as_str(), s.as_str()))
            .collect();
        assert_eq!(
            slugs,
            [
                ("Title.md", "title"),
                ("a/strings/Title.md", "strings-title"),
                ("b/page/Title.md", "methods-page-title"),
                ("c/x/page/Title.md", "x-page-title"),
                ("d/Title.md", "title"),
                ("e/Title.md", "title"),
            ],
            "the generator's own /title/ keeps it; one address for two files is left to the validator"
        );
        assert_eq!(forward[1].2, ["/functions/strings/title/"]);
        assert!(forward[0].2.is_empty(), "no redirect to itself");
    }

    #[test]
    fn lists_and_titles() {
        assert_eq!(list_of(&Value::from("a, b c")), vec!["a", "b c"]);
        assert_eq!(list_of(&Value::from("jekyll ruby")), vec!["jekyll", "ruby"]);
        let (title, rest) = take_first_heading("\n# Hello #\n\nText\n").unwrap();
        assert_eq!(title, "Hello");
        assert_eq!(rest, "\n\nText\n");
        assert!(take_first_heading("Text first\n# Later\n").is_none());
        assert_eq!(humanise("my-first_post"), "My first post");
    }

    #[test]
    fn a_quire_export_is_read_exactly() {
        let root = std::env::temp_dir().join(format!("quire-md-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(root.join("posts")).unwrap();
        let file = root.join("posts").join("2019-03-04-tags.md");
        std::fs::write(
            &file,
            "---\ntitle: Tags\nslug: 2019-03-04-tags\ntype: post\nstatus: draft\n\
             excerpt: \"Two  spaces\\nand a line\"\ncodeinjection_head: \"<style></style>\\n\"\n\
             ---\n\n{% raw %}{{ site.url }}{% endraw %} ![x](missing.png)\n\n",
        )
        .unwrap();
        let read_one = || {
            let out = read(std::slice::from_ref(&root), &|| {});
            (out.bundle.posts.into_iter().next(), out.problems)
        };

        // as a generator's tree: dated name, template tags rewritten, texts tidied
        let (doc, problems) = read_one();
        assert_eq!(problems.len(), 1, "the missing image: {problems:?}");
        assert!(doc.is_none());

        std::fs::write(root.join(SITE_FILE), "{}").unwrap();
        let (doc, problems) = read_one();
        let _ = std::fs::remove_dir_all(&root);
        assert!(problems.is_empty(), "{problems:?}");
        let doc = doc.unwrap();
        assert_eq!(doc.published_at, None, "no date from the file name");
        assert_eq!(
            doc.markdown,
            "\n{% raw %}{{ site.url }}{% endraw %} ![x](missing.png)\n\n"
        );
        assert_eq!(
            doc.custom_excerpt.as_deref(),
            Some("Two  spaces\nand a line")
        );
        assert_eq!(doc.codeinjection_head.as_deref(), Some("<style></style>\n"));
    }

    #[test]
    fn dates_out_of_range_are_problems_naming_the_file_and_line() {
        let root = std::env::temp_dir().join(format!("quire-md-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(
            root.join("old.md"),
            "---\ntitle: Old\ndate: 0001-01-01\n---\nText\n",
        )
        .unwrap();
        std::fs::write(
            root.join("0001-01-01-named.md"),
            "---\ntitle: Named\n---\nText\n",
        )
        .unwrap();
        let out = read(std::slice::from_ref(&root), &|| {});
        let _ = std::fs::remove_dir_all(&root);
        let shown: Vec<String> = out.problems.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 1, "{shown:?}");
        assert!(
            shown[0].ends_with(
                "old.md:3: `date` is out of range: Use a date between the years 1970 and 9999."
            ),
            "{shown:?}"
        );
        let named = out
            .bundle
            .posts
            .iter()
            .find(|p| p.title == "Named")
            .unwrap();
        assert_eq!(
            named.published_at, None,
            "a file name's date out of range is no date"
        );
    }

    #[test]
    fn aliases_are_site_paths() {
        assert_eq!(alias_path("old/x/").as_deref(), Some("/old/x/"));
        assert_eq!(
            alias_path("https://old.example/2019/x.html").as_deref(),
            Some("/2019/x.html")
        );
        assert_eq!(alias_path("/"), None);
        assert_eq!(alias_path("/../etc"), None);
    }
}
