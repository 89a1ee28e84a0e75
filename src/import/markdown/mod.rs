//! Markdown trees read into a [`Bundle`]: Jekyll, Hugo, Zola or a plain folder of files, front
//! matter in YAML, TOML or JSON under each generator's names. Every problem names its file and
//! line, and reading goes on past a broken file, so the import reports them all before writing.

mod conventions;
mod fields;
mod front_matter;
mod images;
mod post;
mod site;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use conventions::{cascade_entries, cascades, inherit, settle_slugs, unpublished_place};
use fields::Fields;
use front_matter::split_front_matter;
use post::{Dates, Place};
use site::{Generator, Site, absolute, files_of};

use super::links::Links;
use super::model::{Bundle, PostDoc, Problem, RedirectDoc};

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

/// Reads the tree at `root` into `out`, its files spread over every core, and returns what
/// kind of site it is.
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

/// What a Quire export's [`SITE_FILE`] holds: staff, tags, redirects, settings and media.
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

/// What one file gives when it can be read.
enum Parsed {
    /// A post, and redirects from the generator's pages for its taxonomy terms.
    Post(Box<PostDoc>, Vec<RedirectDoc>),
    /// Why it is not imported.
    Skip(String),
}

/// What one file gives: a post (and redirects for its taxonomy terms), why it is skipped, or its
/// problems. Each step is one call, in the order their problems and warnings are reported.
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
    let text = post::read_text(path).map_err(|msg| problem(None, msg))?;
    let mut source = split_front_matter(&text).map_err(|(line, msg)| problem(Some(line), msg))?;
    let inherited = inherit(site, path, &mut source.fields);
    let place = Place::of(site, path);
    if let Some(reason) = post::skip_reason(site, &place, &source, &inherited) {
        return Ok(Parsed::Skip(reason));
    }

    let mut fm = Fields::new(&source, shown);
    let explicit_slug = fm.string(&["slug"]);
    let slug = post::slug(site, &place, explicit_slug.as_deref(), &mut fm);
    let mut body = post::rendered_body(site, &place, &source, shown, warnings);
    if place.section_index && body.trim().is_empty() {
        return Ok(Parsed::Skip(
            "a section index without text: the section's list page now leads to the home page"
                .into(),
        ));
    }
    let title = post::title(&mut fm, &mut body, &place);
    let dates = Dates::read(&mut fm, &place);
    let status = post::status(&mut fm, &place, &dates);
    let kind = post::kind(site, &place, &mut fm, &dates);
    let tags = fm.tags();
    let authors = fm.authors();
    let description = fm.string(&["description"]);
    let excerpt = fm
        .string(&["excerpt", "summary", "custom_excerpt"])
        .or_else(|| description.clone());
    let feature_image = fm.feature_image();
    let mut aliases = post::aliases(site, &place, &mut fm, &slug);
    let generator_url = post::generator_url(
        site,
        &place,
        &mut fm,
        explicit_slug.as_deref(),
        &title,
        &dates,
    );
    let term_redirects = post::term_redirects(site, &place, &source, status);
    aliases.extend(post::plain_old_address(site, &mut fm, &slug));

    let mut doc = PostDoc {
        kind,
        status,
        published_at: dates.published_at,
        updated_at: dates.updated_at,
        created_at: dates.created_at,
        tags,
        authors,
        aliases,
        origin: shown.to_owned(),
        ..PostDoc::new(slug, title)
    };
    post::copy_front_matter(&mut doc, site, &mut fm, excerpt, description);
    doc.source = (!site.quire_export)
        .then(|| place.into_source_file(explicit_slug.is_some(), generator_url));

    let mut problems = fm.problems;
    warnings.append(&mut fm.warnings);
    let (local_images, image_problems) =
        images::local_images(site, path, &source, &body, feature_image.as_deref(), shown);
    problems.extend(image_problems);
    doc.local_images = local_images;
    doc.feature_image = feature_image;
    // an export's body is Quire's own, kept exactly as written
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
