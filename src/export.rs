//! `quire export`: the whole site as the [`Bundle`] an import reads, written as one JSON file
//! or as a tree of Markdown files.
//!
//! Both formats carry every post and page with all their fields, the tags, the staff profiles
//! (without passwords), the settings and the redirects, and `quire import` reads both back into
//! the same site. Images are not copied: the URLs in the content keep pointing at the media
//! storage, which outlives the database, and the media library's rows (storage keys, hashes,
//! sizes, dimensions, variants) are exported so that an import re-links them and pages keep
//! their responsive `srcset`.
//!
//! Output is deterministic: two exports of an unchanged site are byte-identical, except for
//! the `quire.exported_at` header of the JSON format.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::post::{PostStatus, PostType};
use crate::import::markdown::SITE_FILE;
use crate::import::model::{Bundle, MediaDoc, PostDoc, RedirectDoc, TagDoc, UserDoc};
use crate::store::snapshot::{self, MediaRow, PostRow, TagRow, UserRow};

/// Version of the export format, in the JSON header (`quire.version`).
pub const FORMAT_VERSION: u32 = 1;

/// Reads the whole site into a [`Bundle`], from one consistent snapshot of the database.
///
/// Order is fixed so that equal sites give equal bundles, whatever the database's collation:
/// staff and tags by slug, posts and pages by publication (or creation) time then slug,
/// redirects by path, settings by key. A post names its tags by name and its authors by
/// email, each in the order the site shows them. Empty optional texts are left out, as an
/// import would store them.
pub async fn bundle(db: &PgPool) -> anyhow::Result<Bundle> {
    let mut tx = db.begin().await?;
    snapshot::begin_snapshot(&mut tx).await?;
    let users = snapshot::users(&mut tx).await.context("reading staff")?;
    let tags = snapshot::tags(&mut tx).await.context("reading tags")?;
    let posts = snapshot::posts(&mut tx).await.context("reading posts")?;
    let post_tags = snapshot::post_tags(&mut tx)
        .await
        .context("reading the tags of posts")?;
    let post_authors = snapshot::post_authors(&mut tx)
        .await
        .context("reading the authors of posts")?;
    let redirects = snapshot::redirects(&mut tx)
        .await
        .context("reading redirects")?;
    let settings = snapshot::settings(&mut tx)
        .await
        .context("reading settings")?;
    let media = snapshot::media(&mut tx)
        .await
        .context("reading the media library")?;
    tx.commit().await?;

    let mut tags_of = group(post_tags);
    let mut authors_of = group(post_authors);
    Ok(Bundle {
        users: users.into_iter().map(UserRow::into_doc).collect(),
        tags: tags.into_iter().map(TagRow::into_doc).collect(),
        posts: posts
            .into_iter()
            .map(|p| {
                let tags = tags_of.remove(&p.id).unwrap_or_default();
                let authors = authors_of.remove(&p.id).unwrap_or_default();
                p.into_doc(tags, authors)
            })
            .collect(),
        redirects: redirects
            .into_iter()
            .map(|(from, to)| RedirectDoc { from, to })
            .collect(),
        settings: settings.into_iter().collect(),
        media: media.into_iter().map(MediaRow::into_doc).collect(),
    })
}

impl MediaRow {
    fn into_doc(self) -> MediaDoc {
        MediaDoc {
            key: self.storage_key,
            sha256: self.sha256,
            content_type: self.content_type,
            bytes: self.bytes,
            width: self.width,
            height: self.height,
            variants: self.variants.0,
            alt: present(self.alt),
            created_at: Some(self.created_at),
        }
    }
}

impl UserRow {
    fn into_doc(self) -> UserDoc {
        UserDoc {
            name: self.name,
            email: Some(self.email),
            slug: Some(self.slug),
            role: Some(self.role),
            bio: present(Some(self.bio)),
            avatar_url: present(self.avatar_url),
            cover_image: present(self.cover_image),
            website: present(self.website),
            location: present(self.location),
        }
    }
}

impl TagRow {
    fn into_doc(self) -> TagDoc {
        TagDoc {
            name: self.name,
            slug: Some(self.slug),
            description: present(Some(self.description)),
            feature_image: present(self.feature_image),
            meta_title: present(self.meta_title),
            meta_description: present(self.meta_description),
            accent_color: present(self.accent_color),
        }
    }
}

impl PostRow {
    fn into_doc(self, tags: Vec<String>, authors: Vec<String>) -> PostDoc {
        let mut doc = PostDoc::new(self.slug, self.title);
        doc.id = Some(self.id);
        doc.feed_guid = present(self.feed_guid);
        doc.kind = self.kind;
        doc.markdown = self.markdown;
        doc.status = self.status;
        doc.published_at = self.published_at;
        doc.created_at = Some(self.created_at);
        doc.updated_at = Some(self.updated_at);
        doc.tags = tags;
        doc.authors = authors;
        doc.custom_excerpt = present(self.custom_excerpt);
        doc.feature_image = present(self.feature_image);
        doc.feature_image_alt = present(self.feature_image_alt);
        doc.feature_image_caption = present(self.feature_image_caption);
        doc.featured = self.featured;
        doc.meta_title = present(self.meta_title);
        doc.meta_description = present(self.meta_description);
        doc.canonical_url = present(self.canonical_url);
        doc.codeinjection_head = present(self.codeinjection_head);
        doc.codeinjection_foot = present(self.codeinjection_foot);
        doc
    }
}

/// A text that says something: blank texts are absent.
fn present(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// `(post, item)` rows, ordered by post, as each post's list of items in row order.
fn group(rows: Vec<(Uuid, String)>) -> HashMap<Uuid, Vec<String>> {
    let mut out: HashMap<Uuid, Vec<String>> = HashMap::new();
    for (post, item) in rows {
        out.entry(post).or_default().push(item);
    }
    out
}

/// How much an export holds, for the one-line summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub posts: usize,
    pub pages: usize,
    pub tags: usize,
    pub users: usize,
    pub redirects: usize,
    pub settings: usize,
    pub images: usize,
}

impl Counts {
    pub fn of(bundle: &Bundle) -> Self {
        let pages = bundle
            .posts
            .iter()
            .filter(|p| p.kind == PostType::Page)
            .count();
        Counts {
            posts: bundle.posts.len() - pages,
            pages,
            tags: bundle.tags.len(),
            users: bundle.users.len(),
            redirects: bundle.redirects.len(),
            settings: bundle.settings.len(),
            images: bundle.media.len(),
        }
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn n(count: usize, one: &str, many: &str) -> String {
            format!("{count} {}", if count == 1 { one } else { many })
        }
        write!(
            f,
            "{}, {}, {}, {}, {}, {}, {}",
            n(self.posts, "post", "posts"),
            n(self.pages, "page", "pages"),
            n(self.tags, "tag", "tags"),
            n(self.users, "staff member", "staff members"),
            n(self.redirects, "redirect", "redirects"),
            n(self.settings, "setting", "settings"),
            n(self.images, "image", "images"),
        )
    }
}

// JSON ------------------------------------------------------------------------------------------

/// The header of a JSON export; its presence (the top-level `quire` key) tells an import that
/// the file is a Quire export. The rest of the file is the [`Bundle`].
#[derive(Debug, Clone, Serialize)]
pub struct Header<'a> {
    pub version: u32,
    /// When the export was made, to the second. The only part of the file that differs
    /// between two exports of an unchanged site.
    pub exported_at: String,
    /// The public URL of the site the export comes from.
    pub site: &'a str,
}

#[derive(Serialize)]
struct JsonExport<'a> {
    quire: Header<'a>,
    #[serde(flatten)]
    bundle: &'a Bundle,
}

/// The JSON export of `bundle`: `{"quire": {header}, "users": ..., "tags": ..., "posts": ...,
/// "redirects": ..., "settings": ...}`, indented, ending with a newline.
pub fn to_json(bundle: &Bundle, site: &str, exported_at: DateTime<Utc>) -> anyhow::Result<String> {
    let export = JsonExport {
        quire: Header {
            version: FORMAT_VERSION,
            exported_at: exported_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            site,
        },
        bundle,
    };
    let mut text = serde_json::to_string_pretty(&export).context("encoding the export")?;
    text.push('\n');
    Ok(text)
}

/// Writes `text` to `out`, or to standard output when `out` is `-`. A file is replaced only
/// once it is completely written, so a failed export never leaves half a file behind.
pub fn write_file(out: &Path, text: &str) -> anyhow::Result<()> {
    if out == Path::new("-") {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
            .context("writing to standard output")?;
        return Ok(());
    }
    if out.is_dir() {
        bail!("{} is a folder; name the file to write", out.display());
    }
    let name = out
        .file_name()
        .with_context(|| format!("{} is not a file name", out.display()))?;
    let mut partial = name.to_owned();
    partial.push(format!(".partial-{}", std::process::id()));
    let partial = out.with_file_name(partial);
    std::fs::write(&partial, text)
        .and_then(|()| std::fs::rename(&partial, out))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&partial);
        })
        .with_context(|| format!("cannot write {}", out.display()))
}

// Markdown --------------------------------------------------------------------------------------

/// Folder of posts in a Markdown export.
pub const POSTS_DIR: &str = "posts";
/// Folder of pages in a Markdown export.
pub const PAGES_DIR: &str = "pages";

/// The front matter of an exported post: the keys the Markdown reader understands, so that
/// reading the file back gives the same [`PostDoc`].
#[derive(Serialize)]
struct FrontMatter<'a> {
    title: &'a str,
    slug: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<uuid::Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    feed_guid: Option<&'a str>,
    #[serde(rename = "type")]
    kind: PostType,
    status: PostStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<String>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    authors: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    excerpt: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    feature_image: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    feature_image_alt: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    feature_image_caption: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    featured: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    meta_title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    meta_description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    canonical_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    codeinjection_head: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    codeinjection_foot: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    aliases: &'a [String],
}

/// A time as front matter writes it: RFC 3339 in UTC, with as many fractional digits as it
/// has (the database keeps microseconds).
fn front_matter_time(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// One post as a Markdown file: YAML front matter between `---` lines, then the Markdown
/// exactly as stored.
pub fn post_file(doc: &PostDoc) -> anyhow::Result<String> {
    let matter = FrontMatter {
        title: &doc.title,
        slug: &doc.slug,
        id: doc.id,
        feed_guid: doc.feed_guid.as_deref(),
        kind: doc.kind,
        status: doc.status,
        date: front_matter_time(doc.published_at),
        updated: front_matter_time(doc.updated_at),
        created: front_matter_time(doc.created_at),
        tags: &doc.tags,
        authors: &doc.authors,
        excerpt: doc.custom_excerpt.as_deref(),
        feature_image: doc.feature_image.as_deref(),
        feature_image_alt: doc.feature_image_alt.as_deref(),
        feature_image_caption: doc.feature_image_caption.as_deref(),
        featured: doc.featured,
        meta_title: doc.meta_title.as_deref(),
        meta_description: doc.meta_description.as_deref(),
        canonical_url: doc.canonical_url.as_deref(),
        codeinjection_head: doc.codeinjection_head.as_deref(),
        codeinjection_foot: doc.codeinjection_foot.as_deref(),
        aliases: &doc.aliases,
    };
    let yaml = serde_saphyr::to_string(&matter)
        .with_context(|| format!("encoding the front matter of {}", doc.slug))?;
    let mut out = String::with_capacity(yaml.len() + doc.markdown.len() + 16);
    out.push_str("---\n");
    out.push_str(&yaml);
    if !yaml.ends_with('\n') {
        out.push('\n');
    }
    out.push_str("---\n");
    out.push_str(&doc.markdown);
    Ok(out)
}

/// The path of a post's file inside a Markdown export: `posts/SLUG.md` or `pages/SLUG.md`.
pub fn post_path(doc: &PostDoc) -> anyhow::Result<PathBuf> {
    let slug = &doc.slug;
    if slug.is_empty()
        || slug.starts_with('.')
        || slug.contains(['/', '\\', '\0'])
        || slug.chars().any(char::is_control)
    {
        bail!("the slug `{slug}` cannot be a file name");
    }
    let dir = match doc.kind {
        PostType::Post => POSTS_DIR,
        PostType::Page => PAGES_DIR,
    };
    Ok(Path::new(dir).join(format!("{slug}.md")))
}

/// The site file of a Markdown export: staff, tags, redirects, settings and the media library (the bundle
/// without its posts), as JSON ending with a newline.
pub fn site_file(bundle: &Bundle) -> anyhow::Result<String> {
    let site = Bundle {
        users: bundle.users.clone(),
        tags: bundle.tags.clone(),
        posts: Vec::new(),
        redirects: bundle.redirects.clone(),
        settings: bundle.settings.clone(),
        media: bundle.media.clone(),
    };
    let mut text = serde_json::to_string_pretty(&site).context("encoding the site file")?;
    text.push('\n');
    Ok(text)
}

/// Checks that a Markdown export can go to `dir`: missing, or an empty folder.
pub fn check_folder(dir: &Path) -> anyhow::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    if !dir.is_dir() {
        bail!("{} exists and is not a folder", dir.display());
    }
    let mut entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the folder {}", dir.display()))?;
    if entries.next().is_some() {
        bail!(
            "the folder {} is not empty; export into a new or empty folder",
            dir.display()
        );
    }
    Ok(())
}

/// Writes `bundle` as a Markdown tree under `dir`: `posts/SLUG.md`, `pages/SLUG.md` and
/// [`SITE_FILE`] at the root. `dir` is created; an existing one must be empty, so that an
/// export never mixes with other files.
pub fn write_markdown(bundle: &Bundle, dir: &Path) -> anyhow::Result<()> {
    check_folder(dir)?;
    // every file is encoded before anything is written
    let mut files: Vec<(PathBuf, String)> = Vec::with_capacity(bundle.posts.len() + 1);
    files.push((PathBuf::from(SITE_FILE), site_file(bundle)?));
    for doc in &bundle.posts {
        files.push((post_path(doc)?, post_file(doc)?));
    }
    for sub in [POSTS_DIR, PAGES_DIR] {
        let path = dir.join(sub);
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create the folder {}", path.display()))?;
    }
    for (rel, text) in files {
        let path = dir.join(rel);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
