//! What an import writes, whatever it came from: a Markdown tree, a Ghost export, or Quire's
//! own JSON export (which is this model, serialised).
//!
//! Readers of each source produce a [`Bundle`]; the writer validates it as a whole, then
//! commits it in one transaction. References between parts are by natural keys (tag names or
//! slugs, author emails, slugs or names), never by database ids, so a bundle can be imported
//! into any database.

use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::post::{PostStatus, PostType};
use crate::domain::user::Role;

/// Everything one import run writes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Bundle {
    /// Staff accounts described by the source (Ghost's users, an export's staff). Authors that
    /// posts name but no entry here describes are matched to existing staff or created as
    /// Contributors.
    #[serde(default)]
    pub users: Vec<UserDoc>,
    /// Tags with their details. Tags that posts name but no entry here describes are matched
    /// to existing tags by name or slug, or created.
    #[serde(default)]
    pub tags: Vec<TagDoc>,
    /// Posts and pages.
    #[serde(default)]
    pub posts: Vec<PostDoc>,
    /// Extra redirects (besides each post's `aliases`).
    #[serde(default)]
    pub redirects: Vec<RedirectDoc>,
    /// Site settings by key (`title`, `description`, `navigation`, ...); unknown keys are ignored.
    #[serde(default)]
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// The media library: images already in the media storage (a Quire export's), re-linked
    /// so that pages show them responsively again (`srcset`, `width`, `height`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<MediaDoc>,
}

/// An image of the media library, by the storage key of its original. The objects themselves
/// stay in the media storage: an import re-creates the row that describes them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct MediaDoc {
    pub key: String,
    pub sha256: String,
    pub content_type: String,
    pub bytes: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<i32>,
    /// Resized copies, each with its own storage key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<crate::domain::image::StoredVariant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
}

/// A staff account. Imported accounts have no password: the import prints a one-time link
/// for each new account to choose one.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct UserDoc {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    /// Defaults to Contributor. An import never creates a second Owner: an Owner in the
    /// source becomes an Administrator when the site already has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bio: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover_image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// A tag. A name starting with `#` is internal (never shown to readers), as in Ghost.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TagDoc {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accent_color: Option<String>,
}

/// A post or page.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PostDoc {
    /// The post's stable identity in Quire (kept from a Quire export or Ghost's `uuid`). Used
    /// when the post is created, unless another post has it already.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<uuid::Uuid>,
    /// The id the post's items had in the old site's feeds (Ghost's 24-hex post `id`, which its
    /// RSS uses as `guid`). Feeds name the post's items by it (RSS `guid`, Atom `id`, JSON Feed
    /// `id`) instead of [`PostDoc::id`], so readers do not see every post as new after a
    /// migration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_guid: Option<String>,
    #[serde(rename = "type", default = "default_kind")]
    pub kind: PostType,
    pub slug: String,
    pub title: String,
    /// The content as Markdown (HTML that Markdown cannot express is kept embedded).
    #[serde(default)]
    pub markdown: String,
    #[serde(default = "default_status")]
    pub status: PostStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Tag names (or slugs of tags in [`Bundle::tags`]), in order; the first is the primary tag.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Authors by email, slug or name, in order; the first is the primary author. Empty means
    /// the import's default author.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_excerpt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_image_alt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_image_caption: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub featured: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codeinjection_head: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codeinjection_foot: Option<String>,
    /// Old paths of this post (`/2019/05/old-name/`), served as permanent redirects to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Where the post came from, for messages (`content/posts/x.md`, `export.json: posts[3]`).
    #[serde(skip)]
    pub origin: String,
    /// Where a Markdown tree's file sits in its generator's site, for slugs and old URLs;
    /// `None` for other sources.
    #[serde(skip)]
    pub source: Option<SourceFile>,
    /// Local image files the post refers to; the writer uploads them through the media
    /// storage and rewrites `markdown` and `feature_image` to their public URLs.
    #[serde(skip)]
    pub local_images: Vec<LocalImage>,
}

/// A Markdown file's place in the site it was read from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceFile {
    /// The folders from the content folder down to the file's section, as named on disk
    /// (`["functions", "strings"]` for `content/functions/strings/Title.md`; a page bundle's
    /// own folder is not a section).
    pub sections: Vec<String>,
    /// Whether the slug was given in front matter (rather than derived from the file name).
    pub explicit_slug: bool,
    /// The date in a Jekyll-style file name (`2019-03-04-x.md`), when it has one.
    pub name_date: Option<DateTime<Utc>>,
    /// The path the generator served the file at (`/functions/strings/title/`,
    /// `/2019/05/17/hello.html`), by its rules and the site's permalink settings, as a request
    /// for it arrives (percent-encoded). Redirected to the post when it differs from the
    /// post's own path.
    pub generator_url: Option<String>,
    /// The file on disk, for links between files.
    pub file: PathBuf,
    /// Hugo and Zola: the language of a multilingual site's page (`fr`), when it has one.
    pub lang: Option<String>,
}

/// A reference in a post to an image file on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalImage {
    /// The reference exactly as written in the Markdown or front matter (`images/a.png`).
    pub reference: String,
    /// The file it resolves to.
    pub path: PathBuf,
}

/// A redirect from an old path to a new one.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RedirectDoc {
    pub from: String,
    pub to: String,
}

impl PostDoc {
    /// A post with the given slug and title and everything else empty.
    pub fn new(slug: impl Into<String>, title: impl Into<String>) -> Self {
        PostDoc {
            id: None,
            feed_guid: None,
            kind: PostType::Post,
            slug: slug.into(),
            title: title.into(),
            markdown: String::new(),
            status: PostStatus::Draft,
            published_at: None,
            created_at: None,
            updated_at: None,
            tags: Vec::new(),
            authors: Vec::new(),
            custom_excerpt: None,
            feature_image: None,
            feature_image_alt: None,
            feature_image_caption: None,
            featured: false,
            meta_title: None,
            meta_description: None,
            canonical_url: None,
            codeinjection_head: None,
            codeinjection_foot: None,
            aliases: Vec::new(),
            origin: String::new(),
            source: None,
            local_images: Vec::new(),
        }
    }
}

fn default_kind() -> PostType {
    PostType::Post
}

fn default_status() -> PostStatus {
    PostStatus::Draft
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Something wrong with one input, reported before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file (or file and position inside it, such as `export.json: posts[3]`).
    pub source: String,
    /// 1-based line in `source`, when known.
    pub line: Option<usize>,
    pub message: String,
}

impl Problem {
    pub fn new(source: impl Into<String>, line: Option<usize>, message: impl Into<String>) -> Self {
        Problem {
            source: source.into(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.source, line, self.message),
            None => write!(f, "{}: {}", self.source, self.message),
        }
    }
}
