//! Each post to write as the row the store writes: its images' new addresses in place, its
//! status settled, its Markdown rendered on every core.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::post::{PostStatus, PostType, settle_status};
use crate::import::model::PostDoc;
use crate::media::Storage;
use crate::render::markdown::{self as md, Rendered};
use crate::store;

/// One post ready to write.
pub(super) struct PostRow {
    pub(super) create: bool,
    /// The id the post gets, from its source (none: a new one, or the one it has).
    pub(super) id: Option<Uuid>,
    /// The old site's feed id of the post (none: keep the one it has, if any).
    pub(super) feed_guid: Option<String>,
    pub(super) slug: String,
    pub(super) kind: PostType,
    pub(super) status: PostStatus,
    pub(super) title: String,
    pub(super) markdown: String,
    pub(super) rendered: Rendered,
    pub(super) custom_excerpt: Option<String>,
    pub(super) feature_image: Option<String>,
    pub(super) feature_image_alt: Option<String>,
    pub(super) feature_image_caption: Option<String>,
    pub(super) featured: bool,
    pub(super) meta_title: Option<String>,
    pub(super) meta_description: Option<String>,
    pub(super) canonical_url: Option<String>,
    pub(super) codeinjection_head: Option<String>,
    pub(super) codeinjection_foot: Option<String>,
    pub(super) published_at: Option<DateTime<Utc>>,
    pub(super) created_at: Option<DateTime<Utc>>,
    pub(super) updated_at: Option<DateTime<Utc>>,
    pub(super) source_hash: String,
    pub(super) author_ids: Vec<Uuid>,
    pub(super) tag_ids: Vec<Uuid>,
}

impl PostRow {
    pub(super) fn new(
        doc: &PostDoc,
        create: bool,
        source_hash: String,
        urls: &HashMap<PathBuf, String>,
        status: Option<PostStatus>,
        author_ids: Vec<Uuid>,
        tag_ids: Vec<Uuid>,
    ) -> Self {
        let mut markdown = doc.markdown.clone();
        let mut feature_image = doc.feature_image.clone();
        for image in &doc.local_images {
            let Some(url) = urls.get(&image.path) else {
                continue;
            };
            markdown = replace_reference(&markdown, &image.reference, url);
            if feature_image.as_deref() == Some(image.reference.as_str()) {
                feature_image = Some(url.clone());
            }
        }
        let (status, published_at) =
            effective_status(status.unwrap_or(doc.status), doc, Utc::now());
        PostRow {
            create,
            id: doc.id,
            feed_guid: doc.feed_guid.clone(),
            slug: doc.slug.clone(),
            kind: doc.kind,
            status,
            title: doc.title.trim().to_owned(),
            markdown,
            rendered: Rendered {
                html: String::new(),
                excerpt: String::new(),
                word_count: 0,
                reading_time: 0,
            },
            custom_excerpt: doc.custom_excerpt.clone(),
            feature_image,
            feature_image_alt: doc.feature_image_alt.clone(),
            feature_image_caption: doc.feature_image_caption.clone(),
            featured: doc.featured,
            meta_title: doc.meta_title.clone(),
            meta_description: doc.meta_description.clone(),
            canonical_url: doc.canonical_url.clone(),
            codeinjection_head: doc.codeinjection_head.clone(),
            codeinjection_foot: doc.codeinjection_foot.clone(),
            published_at,
            created_at: doc.created_at,
            updated_at: doc.updated_at,
            source_hash,
            author_ids,
            tag_ids,
        }
    }
}

/// The status and date a post gets: published (or scheduled) without a date takes its other
/// dates or now, then the editor's rule applies, except that a post scheduled in the past (an
/// old site's) is published rather than refused.
fn effective_status(
    status: PostStatus,
    doc: &PostDoc,
    now: DateTime<Utc>,
) -> (PostStatus, Option<DateTime<Utc>>) {
    match status {
        PostStatus::Draft => (PostStatus::Draft, doc.published_at),
        PostStatus::Published | PostStatus::Scheduled => {
            let at = doc
                .published_at
                .or(doc.created_at)
                .or(doc.updated_at)
                .unwrap_or(now);
            settle_status(PostStatus::Published, Some(at), now)
                .unwrap_or((PostStatus::Published, Some(at)))
        }
    }
}

impl PostRow {
    /// The row as the store writes it.
    pub(super) fn imported(&self) -> store::import::ImportedPost<'_> {
        store::import::ImportedPost {
            id: self.id,
            slug: &self.slug,
            kind: self.kind,
            status: self.status,
            title: &self.title,
            markdown: &self.markdown,
            html: &self.rendered.html,
            excerpt: &self.rendered.excerpt,
            word_count: self.rendered.word_count,
            reading_time: self.rendered.reading_time,
            custom_excerpt: self.custom_excerpt.as_deref(),
            feature_image: self.feature_image.as_deref(),
            feature_image_alt: self.feature_image_alt.as_deref(),
            feature_image_caption: self.feature_image_caption.as_deref(),
            featured: self.featured,
            meta_title: self.meta_title.as_deref(),
            meta_description: self.meta_description.as_deref(),
            canonical_url: self.canonical_url.as_deref(),
            codeinjection_head: self.codeinjection_head.as_deref(),
            codeinjection_foot: self.codeinjection_foot.as_deref(),
            published_at: self.published_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
            source_hash: &self.source_hash,
            created_by: self.author_ids[0],
            feed_guid: self.feed_guid.as_deref(),
        }
    }
}

/// Renders every row's Markdown on all cores, with the srcset of images stored here.
pub(super) async fn render_all(
    tx: &mut PgConnection,
    storage: &Storage,
    rows: &mut Vec<PostRow>,
) -> anyhow::Result<()> {
    let urls: HashSet<String> = rows
        .iter()
        .flat_map(|row| md::image_urls(&row.markdown))
        .collect();
    let known = crate::media::known_images(tx, storage, urls).await?;
    let taken = std::mem::take(rows);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = taken.len().div_ceil(threads).max(1);
    let known = std::sync::Arc::new(known);
    let mut tasks = Vec::new();
    let mut taken = taken.into_iter();
    loop {
        let part: Vec<PostRow> = taken.by_ref().take(chunk).collect();
        if part.is_empty() {
            break;
        }
        let known = known.clone();
        tasks.push(tokio::task::spawn_blocking(move || {
            let mut part = part;
            for row in &mut part {
                // validation refused what cannot render, so this is only a safeguard
                row.rendered =
                    md::render_with_images(&row.markdown, &|url| known.get(url).cloned())
                        .map_err(|e| anyhow::anyhow!("post `{}`: {e}", row.slug))?;
            }
            anyhow::Ok(part)
        }));
    }
    for task in tasks {
        rows.extend(task.await??);
    }
    Ok(())
}

/// Replaces an image reference in Markdown link destinations, HTML attributes and link
/// definitions; other text that happens to contain it is left alone.
fn replace_reference(markdown: &str, reference: &str, url: &str) -> String {
    let mut out = markdown.to_owned();
    for (before, after) in [
        ("(", ")"),
        ("(", " "),
        ("<", ">"),
        ("\"", "\""),
        ("'", "'"),
        ("]: ", "\n"),
    ] {
        let from = format!("{before}{reference}{after}");
        if out.contains(&from) {
            out = out.replace(&from, &format!("{before}{url}{after}"));
        }
    }
    if let Some(rest) = out.strip_suffix(&format!("]: {reference}")) {
        out = format!("{rest}]: {url}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_replaced_only_where_they_are_links() {
        let md = "![a](img/a.png) and ![b](img/a.png \"t\") <img src=\"img/a.png\">\n[x]: img/a.png\ntext img/a.png";
        assert_eq!(
            replace_reference(md, "img/a.png", "/content/images/k.png"),
            "![a](/content/images/k.png) and ![b](/content/images/k.png \"t\") <img src=\"/content/images/k.png\">\n[x]: /content/images/k.png\ntext img/a.png"
        );
    }

    #[test]
    fn statuses_follow_dates() {
        let now = Utc::now();
        let mut doc = PostDoc::new("a", "A");
        assert_eq!(
            effective_status(PostStatus::Published, &doc, now),
            (PostStatus::Published, Some(now))
        );
        doc.published_at = Some(now + chrono::TimeDelta::days(1));
        assert_eq!(
            effective_status(PostStatus::Published, &doc, now).0,
            PostStatus::Scheduled
        );
        doc.published_at = Some(now - chrono::TimeDelta::days(1));
        assert_eq!(
            effective_status(PostStatus::Scheduled, &doc, now).0,
            PostStatus::Published
        );
        assert_eq!(
            effective_status(PostStatus::Draft, &doc, now).0,
            PostStatus::Draft
        );
    }
}
