//! Each generator's conventions for a file: Jekyll's dated names and excluded folders, Hugo's
//! cascades and unrendered pages, page bundles, and how slugs and titles are made and settled.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use regex::Regex;
use serde_json::{Map, Value};

use super::front_matter::split_front_matter;
use super::shown_path;
use super::site::{Cascade, Generator, Site, jekyll_collections_dir, logical_path};
use crate::domain::limits;
use crate::domain::slug::{Slug, slugify};
use crate::import::dates::parse_date;
use crate::import::model::PostDoc;

/// `2019-03-04-hello-world` → (the date, `hello-world`); other names unchanged.
pub(super) fn split_dated_name(name: &str) -> (Option<DateTime<Utc>>, &str) {
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

/// The reason a file is not imported because of where it is, when its generator publishes
/// nothing from there: Jekyll ignores folders starting with `_` below the site root (except
/// `_posts` and `_drafts`), and the other Markdown files of a Hugo or Zola page bundle are the
/// page's resources, not pages.
pub(super) fn unpublished_place(site: &Site, path: &Path) -> Option<String> {
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

/// The `cascade` entries of the section indexes (`_index.md`) among `files`. An index that
/// cannot be read is reported when it is read as a file.
pub(super) fn cascades(files: &[PathBuf]) -> Vec<Cascade> {
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
pub(super) fn cascade_entries(value: &Value, dir: &Path, origin: &str) -> Vec<Cascade> {
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
pub(super) fn inherit(
    site: &Site,
    path: &Path,
    fields: &mut Map<String, Value>,
) -> HashMap<String, String> {
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
pub(super) fn not_rendered(
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
pub(super) fn slug_of(written: &str) -> Result<String, String> {
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
pub(super) fn settle_slugs(posts: &mut [PostDoc]) {
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
pub(super) fn humanise(name: &str) -> String {
    let words = name.replace(['-', '_'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => "Untitled".to_owned(),
    }
}

/// The text of a first `# heading` before any other content, and the body without it.
pub(super) fn take_first_heading(body: &str) -> Option<(String, String)> {
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
