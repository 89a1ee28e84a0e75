//! What kind of site a tree is (Jekyll, Hugo, Zola or plain Markdown) and where its files
//! are: the content folders, the files to read, and each file's sections and path in the site.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::SITE_FILE;
use crate::import::urls::{self, Flavour};

/// The generator a tree was written for, by its configuration files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Generator {
    Jekyll,
    Hugo,
    Zola,
    /// A folder of Markdown files (or a Quire export).
    Plain,
}

/// The layout of the tree being read.
#[derive(Debug)]
pub(super) struct Site {
    pub(super) generator: Generator,
    /// Hugo: the `cascade` front matter of section indexes (`_index.md`), which pages below
    /// inherit.
    pub(super) cascades: Vec<Cascade>,
    pub(super) root: PathBuf,
    /// Where content lives: `content/` for Hugo and Zola, the root otherwise.
    pub(super) content: PathBuf,
    /// Hugo: the site configuration's `cascade`, for every page (taken when the cascades are
    /// gathered).
    pub(super) config_cascade: Option<Value>,
    /// Other folders content lives in, deepest first: each language's `contentDir` (Hugo),
    /// the `collections_dir` (Jekyll). A file's sections and address start from the
    /// deepest of these (or `content`) that holds it.
    pub(super) roots: Vec<Root>,
    /// Jekyll: `_posts/` and `_drafts/` hold posts; other files are pages.
    pub(super) jekyll: bool,
    /// Hugo or Zola: files directly in `content/` are pages.
    pub(super) content_dir: bool,
    /// Written by `quire export` (it has a [`SITE_FILE`]): read exactly, not as a generator's.
    pub(super) quire_export: bool,
    /// What the configuration says of the old site's addresses.
    pub(super) config: urls::Config,
    /// What template tags may name: Jekyll's `_config.yml`, Hugo's `params` (`Null` otherwise).
    pub(super) template_vars: Value,
}

/// A folder content lives in besides the site's content folder.
#[derive(Debug)]
pub(super) struct Root {
    pub(super) dir: PathBuf,
    /// Hugo: the language of everything in it.
    pub(super) lang: Option<String>,
}

impl Site {
    /// The folder a file's sections and address start from.
    pub(super) fn root_of(&self, path: &Path) -> &Path {
        self.roots
            .iter()
            .find(|r| path.starts_with(&r.dir))
            .map_or(self.content.as_path(), |r| r.dir.as_path())
    }

    /// A file's stem without its language (`about.fr` → `about`) and its language: the one
    /// its name ends in, else the one of the folder it is in, else none (the default one).
    pub(super) fn name_and_lang(&self, path: &Path) -> (String, Option<String>) {
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

    /// What kind of site the tree at `root` is, what its configuration says, and where its
    /// content lives.
    pub(super) fn detect(root: &Path) -> Site {
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

/// The Markdown files under the site's content folder, sorted. Hidden files and folders are
/// left out (no generator publishes them), and so are the generator's own folders at the site
/// root (Jekyll's `_layouts`, `node_modules`, ...; Hugo's and Zola's are outside `content/`).
/// Everything else is listed, so that each file is accounted for: imported, skipped with its
/// reason, or failed.
pub(super) fn files_of(site: &Site) -> Vec<PathBuf> {
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

/// A file's path in the site as Hugo's `_target.path` sees it: `/blog/post` for
/// `content/blog/post.md` and `content/blog/post/index.md`.
pub(super) fn logical_path(site: &Site, path: &Path) -> String {
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

/// The folders from the content folder to the file's section (a bundle's own folder is the
/// page, not a section; Jekyll's `_posts` and `_drafts` are not sections).
pub(super) fn sections_of(site: &Site, path: &Path, bundle_dir: Option<&Path>) -> Vec<String> {
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

/// `path` from the file system's root (links are matched by their files' paths).
pub(super) fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

/// A Hugo `cascade` entry of a section index: front matter that the pages below inherit.
#[derive(Debug)]
pub(super) struct Cascade {
    /// The section's folder: the entry applies to the files below it.
    pub(super) dir: PathBuf,
    /// The section index, for messages.
    pub(super) origin: String,
    /// `_target.path`, matched against a page's path in the site (`/blog/**`).
    pub(super) path: Option<regex::Regex>,
    pub(super) fields: Map<String, Value>,
}

/// Jekyll's `collections_dir` (where collections, `_posts` and `_drafts` live), when the
/// configuration names a folder inside the site.
pub(super) fn jekyll_collections_dir(config: &Value) -> Option<String> {
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
