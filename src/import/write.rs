//! The one writer of every import: validates a [`Bundle`], uploads its local images, then
//! writes staff, tags, posts, redirects and settings in one transaction.
//!
//! - **Validate first.** Every post is checked (slug, title, sizes, URLs, dates, duplicate
//!   slugs) and every local image decoded before anything is written; the problems come back
//!   together, and with any of them nothing is written unless the caller asks to skip them.
//! - **Idempotent.** Posts are keyed by slug and carry a hash of their source (the document,
//!   the bytes of its images and the options that shape it); a post whose hash is unchanged is
//!   left alone. Tags, staff, redirects and settings are only written where they differ, and a
//!   run that changed nothing rolls back, so no replica even drops its cache.
//! - **All or nothing.** One transaction; objects uploaded for a run that then fails are
//!   removed again. A dry run does all the work in a transaction that is rolled back, so what
//!   it reports is exactly what a real run would do.
//! - **Fast.** Posts are written with a few set-based statements (`unnest`) whatever their
//!   number, and Markdown is rendered on every core.
//!
//! Every replica sees the result through the database's change notifications: nothing here
//! talks to a cache.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::model::{Bundle, MediaDoc, PostDoc, Problem, TagDoc, UserDoc};
use crate::domain::limits::{self, MAX_MARKDOWN, MAX_TITLE};
use crate::domain::post::{PostStatus, PostType, settle_status};
use crate::domain::slug::Slug;
use crate::domain::tag::{TagVisibility, tag_slug};
use crate::domain::user::Role;
use crate::editing::is_url_or_path;
use crate::media::{self, Storage, StoredObjects};
use crate::render::markdown::{self as md, Rendered};
use crate::store;
use crate::store::import::{Person, TagName};

/// How an import behaves.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Do everything, then roll back: report what would happen, write nothing.
    pub dry_run: bool,
    /// Write the valid posts even when others are invalid.
    pub skip_invalid: bool,
    /// Every post gets this status (draft or published) instead of its own.
    pub status: Option<PostStatus>,
    /// Author of posts that name none (email, slug or name of a staff member); defaults to
    /// the Owner.
    pub default_author: Option<String>,
    /// The site's public URL, for the reset links of new staff.
    pub site_url: String,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Default)]
pub struct Report {
    /// Posts and pages by what happened to them, in input order.
    pub posts: Vec<PostOutcome>,
    /// Problems found; the posts they concern were not written.
    pub problems: Vec<Problem>,
    /// Whether anything was written (false for a dry run, a run with problems and no
    /// `skip_invalid`, and a run that changed nothing).
    pub committed: bool,
    pub tags_created: usize,
    pub authors_created: usize,
    pub images_uploaded: usize,
    pub images_reused: usize,
    pub redirects_written: usize,
    pub settings_written: usize,
    /// Images of the media library (from an export) whose rows were re-created.
    pub media_linked: usize,
    /// Whether the welcome post and About page of a fresh install, untouched, were deleted to
    /// make way for the imported site.
    pub seed_replaced: bool,
    /// One-time links for staff accounts this import created: (name and email, link).
    pub reset_links: Vec<(String, String)>,
}

/// What happened to one post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostOutcome {
    pub action: Action,
    pub kind: PostType,
    pub slug: String,
    pub origin: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Created,
    Updated,
    Unchanged,
}

impl Report {
    pub fn count(&self, action: Action) -> usize {
        self.posts.iter().filter(|p| p.action == action).count()
    }

    /// Whether the run changed (or would change) anything at all.
    pub fn changes_anything(&self) -> bool {
        self.count(Action::Created) + self.count(Action::Updated) > 0
            || self.seed_replaced
            || self.tags_created
                + self.authors_created
                + self.images_uploaded
                + self.redirects_written
                + self.settings_written
                + self.media_linked
                > 0
    }
}

/// Reports progress: a short description of the step under way.
pub type Progress<'a> = &'a (dyn Fn(&str) + Sync);

/// Imports `bundle`. `problems` are those its reader found (in files that produced no post);
/// with any problem, found there or here, nothing is written unless `skip_invalid`. Problems
/// come back in the report; errors are failures of the database or the storage, after which
/// nothing is written either.
pub async fn import(
    db: &PgPool,
    storage: &Storage,
    bundle: Bundle,
    problems: Vec<Problem>,
    options: &Options,
    progress: Progress<'_>,
) -> Result<Report, Failed> {
    let mut report = Report {
        problems,
        ..Report::default()
    };
    match run(db, storage, bundle, options, progress, &mut report).await {
        Ok(()) => Ok(report),
        Err(error) => Err(Failed {
            error,
            problems: report.problems,
        }),
    }
}

/// An import that failed (nothing written), with the input problems found before it did.
#[derive(Debug)]
pub struct Failed {
    pub error: anyhow::Error,
    pub problems: Vec<Problem>,
}

async fn run(
    db: &PgPool,
    storage: &Storage,
    mut bundle: Bundle,
    options: &Options,
    progress: Progress<'_>,
    report: &mut Report,
) -> anyhow::Result<()> {
    progress("checking posts");
    report.problems.extend(validate(&bundle.posts));
    report.problems.extend(validate_people_and_tags(&bundle));
    report.problems.extend(validate_media(&bundle.media));
    report
        .problems
        .extend(missing_media(storage, &bundle.media).await?);
    progress("checking images");
    let mut images = check_images(db, &bundle.posts, &mut report.problems).await?;
    if !report.problems.is_empty() {
        let failed: HashSet<&str> = report.problems.iter().map(|p| p.source.as_str()).collect();
        bundle.posts.retain(|p| !failed.contains(p.origin.as_str()));
        let media = std::mem::take(&mut bundle.media);
        bundle.media = media
            .into_iter()
            .enumerate()
            .filter(|(i, m)| !failed.contains(media_source(*i, m).as_str()))
            .map(|(_, m)| m)
            .collect();
        if !options.skip_invalid {
            return Ok(());
        }
    }

    // a site that is still a fresh install: its untouched welcome content makes way for the
    // imported site instead of standing at the top of it and of its feeds
    let seed = if bundle.posts.is_empty() {
        Vec::new()
    } else {
        crate::db::untouched_seed(db).await?.unwrap_or_default()
    };

    // which posts changed since they were last imported
    let hashes: Vec<String> = bundle
        .posts
        .iter()
        .map(|p| source_hash(p, &images, options))
        .collect();
    let slugs: Vec<String> = bundle.posts.iter().map(|p| p.slug.clone()).collect();
    let existing: HashMap<String, Option<String>> = store::import::source_hashes(db, &slugs, &seed)
        .await?
        .into_iter()
        .collect();
    let mut writes = Vec::new();
    let ids = free_ids(db, &bundle.posts).await?;
    for (doc, hash) in std::mem::take(&mut bundle.posts).into_iter().zip(hashes) {
        let action = match existing.get(&doc.slug) {
            None => Action::Created,
            Some(old) if old.as_deref() == Some(hash.as_str()) => Action::Unchanged,
            Some(_) => Action::Updated,
        };
        report.posts.push(PostOutcome {
            action,
            kind: doc.kind,
            slug: doc.slug.clone(),
            origin: doc.origin.clone(),
        });
        if action != Action::Unchanged {
            let mut doc = doc;
            doc.id = doc.id.filter(|id| ids.contains(id));
            writes.push((doc, hash, action == Action::Created));
        }
    }

    // new images go to storage before the transaction; undone if it does not commit
    progress("uploading images");
    let needed: HashSet<&PathBuf> = writes
        .iter()
        .flat_map(|(doc, _, _)| doc.local_images.iter().map(|i| &i.path))
        .collect();
    let mut stored: Vec<StoredObjects> = Vec::new();
    let mut urls: HashMap<PathBuf, String> = HashMap::new();
    for path in needed {
        let image = images
            .get_mut(path)
            .context("an image that was not checked")?;
        match &mut image.state {
            ImageState::Known(key) => {
                report.images_reused += 1;
                urls.insert(path.clone(), storage.url(key));
            }
            ImageState::New(_) if options.dry_run => {
                report.images_uploaded += 1;
                urls.insert(
                    path.clone(),
                    storage.url(&format!("images/dry-run/{}", image.sha256)),
                );
            }
            ImageState::New(processed) => {
                let processed = processed.take().context("image processed twice")?;
                match media::store_objects(storage, processed).await {
                    Ok(objects) => {
                        report.images_uploaded += 1;
                        urls.insert(path.clone(), storage.url(&objects.key));
                        stored.push(objects);
                    }
                    Err(e) => {
                        undo_objects(storage, &stored).await;
                        return Err(e).with_context(|| format!("uploading {}", path.display()));
                    }
                }
            }
        }
    }

    let result = write(
        db, storage, &bundle, &seed, writes, &urls, &stored, options, report, progress,
    )
    .await;
    let keep = matches!(result, Ok(true));
    if !keep {
        undo_objects(storage, &stored).await;
    }
    report.committed = result?;
    Ok(())
}

/// The ids the source gives its posts that are free: no other post (by slug) has them, and
/// the source gives each once.
async fn free_ids(db: &PgPool, posts: &[PostDoc]) -> sqlx::Result<HashSet<Uuid>> {
    let mut wanted: HashMap<Uuid, &str> = HashMap::new();
    let mut twice = HashSet::new();
    for p in posts {
        if let Some(id) = p.id
            && wanted.insert(id, &p.slug).is_some()
        {
            twice.insert(id);
        }
    }
    let list: Vec<Uuid> = wanted.keys().copied().collect();
    let taken = store::import::slugs_by_id(db, &list).await?;
    for (id, slug) in taken {
        if wanted.get(&id).is_some_and(|s| *s != slug) {
            twice.insert(id);
        }
    }
    Ok(wanted
        .into_keys()
        .filter(|id| !twice.contains(id))
        .collect())
}

async fn undo_objects(storage: &Storage, stored: &[StoredObjects]) {
    let keys: Vec<String> = stored.iter().flat_map(|s| s.written.clone()).collect();
    media::remove_objects(storage, &keys).await;
}

/// The transaction. Answers whether it committed.
#[allow(clippy::too_many_arguments)]
async fn write(
    db: &PgPool,
    storage: &Storage,
    bundle: &Bundle,
    seed: &[Uuid],
    writes: Vec<(PostDoc, String, bool)>,
    urls: &HashMap<PathBuf, String>,
    stored: &[StoredObjects],
    options: &Options,
    report: &mut Report,
    progress: Progress<'_>,
) -> anyhow::Result<bool> {
    let mut tx = db.begin().await?;
    let mut changed = 0u64;

    if !seed.is_empty() {
        let deleted = store::import::delete_untouched(&mut tx, seed).await?;
        if deleted != seed.len() as u64 {
            bail!("the welcome content was edited during the import; run it again");
        }
        store::import::delete_tag_if_unused(&mut tx, crate::db::SEED_TAG).await?;
        // the seeded navigation links to the About page just deleted: unless the import
        // brings a page of that name, the menu keeps only Home (an edited menu is left alone)
        if !bundle.posts.iter().any(|p| p.slug == "about") {
            store::import::drop_about_from_seeded_navigation(&mut tx).await?;
        }
        report.seed_replaced = true;
        changed += deleted;
    }

    for objects in stored {
        changed += store::import::add_uploaded(&mut tx, &objects.row(None)).await?;
    }

    // the library's rows before the posts render, so that their images get `srcset` again
    changed += link_media(&mut tx, &bundle.media, report).await?;

    progress("writing staff and tags");
    let mut people = People::load(&mut tx).await?;
    for doc in &bundle.users {
        changed += people.upsert_doc(&mut tx, doc, report).await?;
    }
    let mut tags = Tags::load(&mut tx).await?;
    for doc in &bundle.tags {
        changed += tags.upsert_doc(&mut tx, doc, report).await?;
    }

    // each written post's rows, in the order of `writes`
    let mut rows = Vec::with_capacity(writes.len());
    for (doc, hash, create) in &writes {
        let mut author_ids = Vec::with_capacity(doc.authors.len().max(1));
        for reference in &doc.authors {
            let id = people.resolve(&mut tx, reference, report).await?;
            if !author_ids.contains(&id) {
                author_ids.push(id);
            }
        }
        if author_ids.is_empty() {
            author_ids.push(people.default_author(options.default_author.as_deref())?);
        }
        let mut tag_ids = Vec::with_capacity(doc.tags.len());
        for name in &doc.tags {
            let id = tags.resolve(&mut tx, name, report).await?;
            if !tag_ids.contains(&id) {
                tag_ids.push(id);
            }
        }
        rows.push(PostRow::new(
            doc,
            *create,
            hash.clone(),
            urls,
            options.status,
            author_ids,
            tag_ids,
        ));
    }

    progress("rendering posts");
    render_all(&mut tx, storage, &mut rows).await?;

    progress("writing posts");
    let (creates, updates): (Vec<&PostRow>, Vec<&PostRow>) = rows.iter().partition(|r| r.create);
    let mut written: Vec<(Uuid, i32, &PostRow)> = Vec::with_capacity(rows.len());
    if !creates.is_empty() {
        let imported: Vec<_> = creates.iter().map(|r| r.imported()).collect();
        let ids = store::import::create_posts(&mut tx, &imported).await?;
        let ids: HashMap<String, Uuid> = ids.into_iter().collect();
        for row in creates {
            written.push((ids[&row.slug], 1, row));
        }
    }
    if !updates.is_empty() {
        let imported: Vec<_> = updates.iter().map(|r| r.imported()).collect();
        let ids = store::import::update_posts(&mut tx, &imported).await?;
        let ids: HashMap<String, (Uuid, i32)> =
            ids.into_iter().map(|(s, id, v)| (s, (id, v))).collect();
        for row in updates {
            let (id, version) = *ids
                .get(&row.slug)
                .with_context(|| format!("post {} vanished during the import", row.slug))?;
            written.push((id, version, row));
        }
    }
    changed += written.len() as u64;
    progress("linking tags and authors");
    write_links(&mut tx, &written).await?;

    progress("writing redirects and settings");
    let mut redirects: Vec<(String, String)> = bundle
        .redirects
        .iter()
        .map(|r| (r.from.clone(), r.to.clone()))
        .collect();
    for (doc, _, _) in &writes {
        for alias in &doc.aliases {
            redirects.push((alias.clone(), format!("/{}/", doc.slug)));
        }
    }
    if !redirects.is_empty() {
        let (from, to): (Vec<String>, Vec<String>) = redirects.into_iter().unzip();
        let n = store::import::upsert_redirects(&mut tx, &from, &to).await?;
        report.redirects_written = n as usize;
        changed += n;
    }
    for (key, value) in &bundle.settings {
        // unknown keys (another version's) are left out; invalid values were problems
        if crate::domain::settings::validate(key, value).is_err() {
            continue;
        }
        let n = store::import::upsert_setting(&mut tx, key, value).await?;
        report.settings_written += n as usize;
        changed += n;
    }

    for (label, id) in std::mem::take(&mut people.invited) {
        let link = crate::staff::reset_link(&mut *tx, &options.site_url, id).await?;
        report.reset_links.push((label, link));
    }

    if options.dry_run || changed == 0 {
        // a run that changes nothing must not even bump the content version
        tx.rollback().await?;
        if options.dry_run {
            report.reset_links.clear();
        }
        return Ok(false);
    }
    progress("committing");
    tx.commit().await?;
    Ok(true)
}

/// Re-creates the rows of a media library whose objects are already in the storage (an
/// export's); images the site has already (same key or same content) are left alone.
async fn link_media(
    tx: &mut PgConnection,
    media: &[MediaDoc],
    report: &mut Report,
) -> anyhow::Result<u64> {
    if media.is_empty() {
        return Ok(0);
    }
    let mut columns = store::import::LibraryColumns::default();
    for m in media {
        columns.keys.push(m.key.clone());
        columns.hashes.push(m.sha256.clone());
        columns.types.push(m.content_type.clone());
        columns.bytes.push(m.bytes);
        columns.widths.push(m.width);
        columns.heights.push(m.height);
        columns.variants.push(serde_json::to_value(&m.variants)?);
        columns.alts.push(m.alt.clone());
        columns.created.push(m.created_at);
    }
    let n = store::import::link_library(tx, &columns).await?;
    report.media_linked = n as usize;
    Ok(n)
}

/// Replaces the tag and author links of written posts and records a revision of each.
async fn write_links(tx: &mut PgConnection, written: &[(Uuid, i32, &PostRow)]) -> sqlx::Result<()> {
    if written.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = written.iter().map(|w| w.0).collect();
    let mut tags = store::import::OrderedLinks::default();
    let mut authors = store::import::OrderedLinks::default();
    for (id, _, row) in written {
        for (i, tag) in row.tag_ids.iter().enumerate() {
            tags.push(*id, *tag, i as i32);
        }
        for (i, author) in row.author_ids.iter().enumerate() {
            authors.push(*id, *author, i as i32);
        }
    }
    store::import::replace_links(tx, &ids, &tags, &authors).await?;
    let versions: Vec<i32> = written.iter().map(|w| w.1).collect();
    let titles: Vec<&str> = written.iter().map(|w| w.2.title.as_str()).collect();
    let markdown: Vec<&str> = written.iter().map(|w| w.2.markdown.as_str()).collect();
    let first_authors: Vec<Uuid> = written.iter().map(|w| w.2.author_ids[0]).collect();
    // the same number of revisions per post as the editor keeps
    store::import::add_revisions(
        tx,
        &ids,
        &versions,
        &titles,
        &markdown,
        &first_authors,
        store::admin_posts::REVISIONS_KEPT,
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Posts as rows

/// One post ready to write.
struct PostRow {
    create: bool,
    /// The id the post gets, from its source (none: a new one, or the one it has).
    id: Option<Uuid>,
    /// The old site's feed id of the post (none: keep the one it has, if any).
    feed_guid: Option<String>,
    slug: String,
    kind: PostType,
    status: PostStatus,
    title: String,
    markdown: String,
    rendered: Rendered,
    custom_excerpt: Option<String>,
    feature_image: Option<String>,
    feature_image_alt: Option<String>,
    feature_image_caption: Option<String>,
    featured: bool,
    meta_title: Option<String>,
    meta_description: Option<String>,
    canonical_url: Option<String>,
    codeinjection_head: Option<String>,
    codeinjection_foot: Option<String>,
    published_at: Option<DateTime<Utc>>,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
    source_hash: String,
    author_ids: Vec<Uuid>,
    tag_ids: Vec<Uuid>,
}

impl PostRow {
    fn new(
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
    fn imported(&self) -> store::import::ImportedPost<'_> {
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
async fn render_all(
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

// ---------------------------------------------------------------------------------------------
// Validation

/// Checks the media library of a bundle: storage keys that stay inside the storage, a
/// SHA-256, an image type and sizes that make sense.
pub fn validate_media(media: &[MediaDoc]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (i, m) in media.iter().enumerate() {
        let source = media_source(i, m);
        let mut problem = |message: &str| problems.push(Problem::new(&source, None, message));
        if !safe_key(&m.key) || !m.variants.iter().all(|v| safe_key(&v.key)) {
            problem("a storage key is not a relative path inside the media storage");
        }
        if m.sha256.len() != 64 || !m.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            problem("`sha256` is not a SHA-256 in hex");
        }
        if !m.content_type.starts_with("image/")
            || !m
                .variants
                .iter()
                .all(|v| v.content_type.starts_with("image/"))
        {
            problem("the content type is not an image type");
        }
        if m.bytes < 0 || m.width.is_some_and(|w| w < 0) || m.height.is_some_and(|h| h < 0) {
            problem("a size is negative");
        }
        if m.alt.as_ref().is_some_and(|a| a.chars().count() > 1000) {
            problem("`alt` is longer than 1000 characters");
        }
    }
    problems
}

/// The images of a media library (an export's) whose objects are not in the media storage:
/// their rows would show broken images. Each is a problem naming what to copy.
async fn missing_media(storage: &Storage, media: &[MediaDoc]) -> anyhow::Result<Vec<Problem>> {
    use futures_util::{StreamExt, TryStreamExt};
    let checks = futures_util::stream::iter(media.iter().enumerate())
        .map(|(i, m)| async move {
            let keys = std::iter::once(&m.key).chain(m.variants.iter().map(|v| &v.key));
            // keys that would leave the storage are refused by `validate_media`
            for key in keys.filter(|k| safe_key(k)) {
                if !storage.exists(key).await? {
                    return Ok::<_, anyhow::Error>(Some(Problem::new(
                        media_source(i, m),
                        None,
                        format!(
                            "`{key}` is not in the media storage: copy the exported site's media (its folder or bucket) there first"
                        ),
                    )));
                }
            }
            Ok(None)
        })
        .buffered(16);
    let found: Vec<Option<Problem>> = checks.try_collect().await?;
    Ok(found.into_iter().flatten().collect())
}

/// A storage key that stays inside the media storage.
fn safe_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 500
        && !key.starts_with('/')
        && !key.contains('\\')
        && !key.chars().any(char::is_control)
        && key
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

/// How problems name an image of the media library.
fn media_source(i: usize, m: &MediaDoc) -> String {
    format!(
        "media[{i}] `{}`",
        m.key.chars().take(80).collect::<String>()
    )
}

/// Longest feed id of an imported post, in bytes (Ghost's are 24).
const MAX_FEED_GUID: usize = 200;

/// Checks what the database would refuse or the site would show wrongly, for every post.
pub fn validate(posts: &[PostDoc]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut slugs: HashMap<&str, &str> = HashMap::new();
    for doc in posts {
        let mut problem = |message: String| {
            problems.push(Problem::new(doc.origin.clone(), None, message));
        };
        if let Err(e) = Slug::parse_top_level(&doc.slug) {
            problem(format!("slug `{}`: {e}", doc.slug));
        }
        if let Some(first) = slugs.insert(&doc.slug, &doc.origin) {
            problem(format!(
                "slug `{}` is also the slug of {first}; give one of them another `slug`",
                doc.slug
            ));
        }
        let title = doc.title.trim();
        if title.is_empty() {
            problem("the title is empty".into());
        }
        if title.chars().count() > MAX_TITLE {
            problem(format!("the title is longer than {MAX_TITLE} characters"));
        }
        if doc.markdown.len() > MAX_MARKDOWN {
            problem(format!(
                "the content is {} KiB; the largest accepted is {} KiB",
                doc.markdown.len() / 1024,
                MAX_MARKDOWN / 1024
            ));
        } else if let Err(e) = md::check(&doc.markdown) {
            problem(e.to_string());
        }
        if doc.status == PostStatus::Scheduled && doc.published_at.is_none() {
            problem("a scheduled post needs a publication date".into());
        }
        for (field, value) in [
            ("published_at", doc.published_at),
            ("created_at", doc.created_at),
            ("updated_at", doc.updated_at),
        ] {
            if value.is_some_and(|at| !limits::date_in_range(at)) {
                problem(format!(
                    "`{field}` is out of range: {}",
                    limits::DATE_RANGE_MESSAGE
                ));
            }
        }
        if doc.tags.len() > limits::MAX_TAGS_PER_POST {
            problem(format!(
                "`tags`: {} tags; a post has at most {}",
                doc.tags.len(),
                limits::MAX_TAGS_PER_POST
            ));
        }
        if let Some(tag) = doc
            .tags
            .iter()
            .find(|t| t.trim().chars().count() > limits::MAX_TAG_NAME)
        {
            problem(format!(
                "`tags`: the tag name `{}…` is longer than {} characters",
                tag.chars().take(40).collect::<String>(),
                limits::MAX_TAG_NAME
            ));
        }
        for (field, value, max) in [
            ("excerpt", &doc.custom_excerpt, 500),
            ("feature_image_alt", &doc.feature_image_alt, 300),
            ("feature_image_caption", &doc.feature_image_caption, 1000),
            ("meta_title", &doc.meta_title, 300),
            ("meta_description", &doc.meta_description, 500),
        ] {
            if value.as_ref().is_some_and(|v| v.chars().count() > max) {
                problem(format!("`{field}` is longer than {max} characters"));
            }
        }
        for (field, value) in [
            ("codeinjection_head", &doc.codeinjection_head),
            ("codeinjection_foot", &doc.codeinjection_foot),
        ] {
            if value.as_ref().is_some_and(|v| v.len() > 64 * 1024) {
                problem(format!("`{field}` is larger than 64 KiB"));
            }
        }
        let local = |v: &str| doc.local_images.iter().any(|i| i.reference == v);
        for (field, value) in [
            ("feature_image", &doc.feature_image),
            ("canonical_url", &doc.canonical_url),
        ] {
            if let Some(v) = value
                && !local(v)
                && !is_url_or_path(v)
            {
                problem(format!(
                    "`{field}` `{v}` is neither an http(s) URL nor a path on the site"
                ));
            }
        }
        // an id that feeds write as text: short, printable, and not blank
        if let Some(guid) = &doc.feed_guid
            && (guid.trim().is_empty()
                || guid.len() > MAX_FEED_GUID
                || guid.chars().any(char::is_control))
        {
            problem(format!(
                "`feed_guid` must be 1 to {MAX_FEED_GUID} printable characters"
            ));
        }
        for alias in &doc.aliases {
            if !alias.starts_with('/') || alias.starts_with("//") {
                problem(format!(
                    "alias `{alias}` is not a path such as /2019/05/old/"
                ));
            }
        }
    }
    problems
}

/// Checks the staff, tags and settings a bundle describes against the same limits as the
/// admin API.
pub fn validate_people_and_tags(bundle: &Bundle) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (key, value) in &bundle.settings {
        if let Err(crate::domain::settings::InvalidSetting::Value(field)) =
            crate::domain::settings::validate(key, value)
        {
            problems.push(Problem::new(
                format!("settings.{field}"),
                None,
                format!("`{value}` is not a valid value for the setting {field}"),
            ));
        }
    }
    let too_long = |value: &Option<String>, max: usize| {
        value.as_ref().is_some_and(|v| v.chars().count() > max)
    };
    for (i, user) in bundle.users.iter().enumerate() {
        let source = format!(
            "users[{i}] ({})",
            user.name.chars().take(40).collect::<String>()
        );
        if user.name.chars().count() > limits::MAX_STAFF_NAME {
            problems.push(Problem::new(
                &source,
                None,
                format!(
                    "`name` is longer than {} characters",
                    limits::MAX_STAFF_NAME
                ),
            ));
        }
        if too_long(&user.bio, limits::MAX_BIO) {
            problems.push(Problem::new(
                &source,
                None,
                format!("`bio` is longer than {} characters", limits::MAX_BIO),
            ));
        }
    }
    for (i, tag) in bundle.tags.iter().enumerate() {
        let source = format!(
            "tags[{i}] ({})",
            tag.name.chars().take(40).collect::<String>()
        );
        if tag.name.chars().count() > limits::MAX_TAG_NAME {
            problems.push(Problem::new(
                &source,
                None,
                format!("`name` is longer than {} characters", limits::MAX_TAG_NAME),
            ));
        }
        if too_long(&tag.description, limits::MAX_TAG_DESCRIPTION) {
            problems.push(Problem::new(
                &source,
                None,
                format!(
                    "`description` is longer than {} characters",
                    limits::MAX_TAG_DESCRIPTION
                ),
            ));
        }
    }
    problems
}

// ---------------------------------------------------------------------------------------------
// Images

struct CheckedImage {
    sha256: String,
    state: ImageState,
}

enum ImageState {
    /// Already stored, under this key.
    Known(String),
    /// Decoded and resized, waiting to be stored (taken when it is).
    New(Option<media::image::Processed>),
}

/// Reads every local image once, finds the ones already stored (by content hash) and decodes
/// the others, so a broken image is a problem of its post before anything is written.
async fn check_images(
    db: &PgPool,
    posts: &[PostDoc],
    problems: &mut Vec<Problem>,
) -> anyhow::Result<HashMap<PathBuf, CheckedImage>> {
    let mut users: HashMap<PathBuf, Vec<&str>> = HashMap::new();
    for doc in posts {
        for image in &doc.local_images {
            users
                .entry(image.path.clone())
                .or_default()
                .push(&doc.origin);
        }
    }
    let mut read = Vec::with_capacity(users.len());
    for path in users.keys() {
        match tokio::fs::read(path).await {
            Ok(bytes) => {
                let sha256 = hex::encode(Sha256::digest(&bytes));
                read.push((path.clone(), sha256, bytes));
            }
            Err(e) => {
                for origin in &users[path] {
                    problems.push(Problem::new(
                        *origin,
                        None,
                        format!("cannot read image {}: {e}", path.display()),
                    ));
                }
            }
        }
    }
    let hashes: Vec<String> = read.iter().map(|r| r.1.clone()).collect();
    let known: HashMap<String, String> = store::import::keys_by_hash(db, &hashes)
        .await?
        .into_iter()
        .collect();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut out = HashMap::with_capacity(read.len());
    let mut decoding = futures_util::stream::iter(read.into_iter().map(|(path, sha256, bytes)| {
        let key = known.get(&sha256).cloned();
        async move {
            let state = match key {
                Some(key) => Ok(ImageState::Known(key)),
                None => media::image::process_queued(bytes.into())
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|r| r.map_err(|e| e.to_string()))
                    .map(|p| ImageState::New(Some(p))),
            };
            (path, sha256, state)
        }
    }))
    .buffer_unordered(threads);
    while let Some((path, sha256, state)) = decoding.next().await {
        match state {
            Ok(state) => {
                out.insert(path, CheckedImage { sha256, state });
            }
            Err(e) => {
                for origin in &users[&path] {
                    problems.push(Problem::new(
                        *origin,
                        None,
                        format!("image {}: {e}", path.display()),
                    ));
                }
            }
        }
    }
    Ok(out)
}

/// What identifies a post's source: the document, the bytes of its images and the options
/// that change what is written.
fn source_hash(
    doc: &PostDoc,
    images: &HashMap<PathBuf, CheckedImage>,
    options: &Options,
) -> String {
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(doc).unwrap_or_default());
    for image in &doc.local_images {
        h.update(b"\0image\0");
        h.update(image.reference.as_bytes());
        if let Some(checked) = images.get(&image.path) {
            h.update(checked.sha256.as_bytes());
        }
    }
    h.update(format!("\0status\0{:?}", options.status).as_bytes());
    if doc.authors.is_empty() {
        h.update(format!("\0author\0{:?}", options.default_author).as_bytes());
    }
    hex::encode(h.finalize())
}

// ---------------------------------------------------------------------------------------------
// Staff

/// Staff accounts, loaded once and extended as the import creates them.
struct People {
    all: Vec<Person>,
    /// References (lower-cased email, slug, name) resolved so far.
    resolved: HashMap<String, Uuid>,
    /// Accounts created with a real email: they get a reset link.
    invited: Vec<(String, Uuid)>,
}

impl People {
    async fn load(tx: &mut PgConnection) -> sqlx::Result<Self> {
        Ok(People {
            all: store::import::people(tx).await?,
            resolved: HashMap::new(),
            invited: Vec::new(),
        })
    }

    fn find(&self, reference: &str) -> Option<Uuid> {
        let r = reference.trim().to_lowercase();
        if let Some(id) = self.resolved.get(&r) {
            return Some(*id);
        }
        let by = |f: &dyn Fn(&Person) -> bool| self.all.iter().find(|p| f(p)).map(|p| p.id);
        by(&|p| p.email.to_lowercase() == r)
            .or_else(|| by(&|p| p.slug == r))
            .or_else(|| by(&|p| p.name.to_lowercase() == r))
    }

    /// Matches a described account to staff by email, then slug; updates its public profile,
    /// or creates it. Answers the rows changed.
    async fn upsert_doc(
        &mut self,
        tx: &mut PgConnection,
        doc: &UserDoc,
        report: &mut Report,
    ) -> anyhow::Result<u64> {
        let email = doc.email.as_deref().map(|e| e.trim().to_lowercase());
        let slug = doc
            .slug
            .clone()
            .unwrap_or_else(|| Slug::from_title(&doc.name).to_string());
        let found = self
            .all
            .iter()
            .find(|p| {
                email
                    .as_deref()
                    .is_some_and(|e| p.email.to_lowercase() == e)
            })
            .or_else(|| self.all.iter().find(|p| p.slug == slug))
            .map(|p| p.id);
        let (id, changed) = match found {
            Some(id) => {
                let n = store::import::update_profile(tx, id, profile_of(&doc.name, doc)).await?;
                (id, n)
            }
            None => {
                let has_owner = self.all.iter().any(|p| p.role == Role::Owner);
                let role = match doc.role.unwrap_or(Role::Contributor) {
                    Role::Owner if has_owner => Role::Administrator,
                    role => role,
                };
                // the address as written: matching ignores case, the account keeps it
                let written = doc.email.as_deref().map(str::trim);
                let id = self
                    .create(tx, &doc.name, written, &slug, role, doc)
                    .await?;
                if email.is_some() {
                    self.invited.push((
                        format!("{} <{}>", doc.name.trim(), email.as_deref().unwrap_or("")),
                        id,
                    ));
                }
                report.authors_created += 1;
                (id, 1)
            }
        };
        for key in [
            email.clone(),
            Some(slug),
            Some(doc.name.trim().to_lowercase()),
        ]
        .into_iter()
        .flatten()
        {
            self.resolved.insert(key, id);
        }
        Ok(changed)
    }

    /// The account an author reference names, created as a Contributor when none does.
    async fn resolve(
        &mut self,
        tx: &mut PgConnection,
        reference: &str,
        report: &mut Report,
    ) -> anyhow::Result<Uuid> {
        if let Some(id) = self.find(reference) {
            return Ok(id);
        }
        let reference = reference.trim();
        let (name, email) = match reference.split_once('@') {
            Some((local, _)) if reference.contains('.') => {
                (humanise_local_part(local), Some(reference.to_lowercase()))
            }
            _ => (reference.to_owned(), None),
        };
        let slug = Slug::from_title(&name).to_string();
        let id = self
            .create(
                tx,
                &name,
                email.as_deref(),
                &slug,
                Role::Contributor,
                &UserDoc::default(),
            )
            .await?;
        report.authors_created += 1;
        self.resolved.insert(reference.to_lowercase(), id);
        Ok(id)
    }

    async fn create(
        &mut self,
        tx: &mut PgConnection,
        name: &str,
        email: Option<&str>,
        slug: &str,
        role: Role,
        profile: &UserDoc,
    ) -> anyhow::Result<Uuid> {
        let slug = store::users::free_slug(&mut *tx, slug).await?;
        // an author who cannot sign in yet: `.invalid` never receives mail
        let email = email.map_or_else(|| format!("{slug}@users.invalid"), str::to_owned);
        let name = name.trim();
        let id = store::import::create_person(tx, &email, &slug, role, profile_of(name, profile))
            .await
            .with_context(|| format!("creating the account of {name} <{email}>"))?;
        self.all.push(Person {
            id,
            email,
            slug,
            name: name.to_owned(),
            role,
        });
        Ok(id)
    }

    /// The author of posts that name none: `--author`, else the Owner, else the first
    /// Administrator.
    fn default_author(&self, chosen: Option<&str>) -> anyhow::Result<Uuid> {
        if let Some(reference) = chosen {
            return self.find(reference).with_context(|| {
                format!("--author {reference}: no staff member has this email, slug or name")
            });
        }
        let first = |role: Role| self.all.iter().find(|p| p.role == role).map(|p| p.id);
        match first(Role::Owner).or_else(|| first(Role::Administrator)) {
            Some(id) => Ok(id),
            None => bail!(
                "some posts name no author and the site has no Owner yet: create one with \
                 `quire user create --role owner` (or at /admin/setup), or pass --author"
            ),
        }
    }
}

/// `jane.doe` → `Jane Doe`.
fn humanise_local_part(local: &str) -> String {
    local
        .split(['.', '_', '-', '+'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A bundle's staff profile as the store writes it.
fn profile_of<'a>(name: &'a str, doc: &'a UserDoc) -> store::import::Profile<'a> {
    store::import::Profile {
        name: name.trim(),
        bio: doc.bio.as_deref(),
        avatar_url: doc.avatar_url.as_deref(),
        cover_image: doc.cover_image.as_deref(),
        website: doc.website.as_deref(),
        location: doc.location.as_deref(),
    }
}

// ---------------------------------------------------------------------------------------------
// Tags

/// A bundle's tag as the store writes it.
fn details_of<'a>(
    name: &'a str,
    visibility: &'a str,
    doc: &'a TagDoc,
) -> store::import::TagDetails<'a> {
    store::import::TagDetails {
        name,
        description: doc.description.as_deref(),
        feature_image: doc.feature_image.as_deref(),
        meta_title: doc.meta_title.as_deref(),
        meta_description: doc.meta_description.as_deref(),
        accent_color: doc.accent_color.as_deref(),
        visibility,
    }
}

/// Tags, loaded once and extended as the import creates them.
struct Tags {
    all: Vec<TagName>,
    /// Lower-cased names and slugs of the bundle's described tags → their ids.
    described: HashMap<String, Uuid>,
}

impl Tags {
    async fn load(tx: &mut PgConnection) -> sqlx::Result<Self> {
        Ok(Tags {
            all: store::import::tags(tx).await?,
            described: HashMap::new(),
        })
    }

    /// Matches a described tag by slug, then name; updates its details, or creates it.
    async fn upsert_doc(
        &mut self,
        tx: &mut PgConnection,
        doc: &TagDoc,
        report: &mut Report,
    ) -> anyhow::Result<u64> {
        let name = doc.name.trim();
        let slug = doc.slug.clone().unwrap_or_else(|| tag_slug(name));
        let lower = name.to_lowercase();
        let found = self
            .all
            .iter()
            .find(|t| t.slug == slug)
            .or_else(|| self.all.iter().find(|t| t.name.to_lowercase() == lower))
            .map(|t| t.id);
        let visibility = TagVisibility::of(name).as_str();
        let (id, changed) = match found {
            Some(id) => {
                let n =
                    store::import::update_tag(tx, id, details_of(name, visibility, doc)).await?;
                (id, n)
            }
            None => {
                let id = self.create(tx, name, &slug, doc).await?;
                report.tags_created += 1;
                (id, 1)
            }
        };
        self.described.insert(lower, id);
        self.described.insert(slug, id);
        Ok(changed)
    }

    /// The tag a post names: a described one, an existing one (by name, then slug), or a new one.
    async fn resolve(
        &mut self,
        tx: &mut PgConnection,
        name: &str,
        report: &mut Report,
    ) -> anyhow::Result<Uuid> {
        let name = name.trim();
        let lower = name.to_lowercase();
        if let Some(id) = self.described.get(&lower) {
            return Ok(*id);
        }
        let slug = tag_slug(name);
        let found = self
            .all
            .iter()
            .find(|t| t.name.to_lowercase() == lower)
            .or_else(|| self.all.iter().find(|t| t.slug == slug || t.slug == name));
        if let Some(t) = found {
            return Ok(t.id);
        }
        let id = self.create(tx, name, &slug, &TagDoc::default()).await?;
        report.tags_created += 1;
        self.described.insert(lower, id);
        Ok(id)
    }

    async fn create(
        &mut self,
        tx: &mut PgConnection,
        name: &str,
        slug: &str,
        doc: &TagDoc,
    ) -> anyhow::Result<Uuid> {
        let slug = store::tags::free_slug(&mut *tx, slug).await?;
        let visibility = TagVisibility::of(name).as_str();
        let id = store::import::create_tag(tx, &slug, details_of(name, visibility, doc))
            .await
            .with_context(|| format!("creating the tag {name}"))?;
        self.all.push(TagName {
            id,
            slug,
            name: name.to_owned(),
        });
        Ok(id)
    }
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

    #[test]
    fn validation_names_each_problem() {
        let mut a = PostDoc::new("same", "A");
        a.origin = "a.md".into();
        let mut b = PostDoc::new("same", " ");
        b.origin = "b.md".into();
        b.status = PostStatus::Scheduled;
        b.feature_image = Some("javascript:alert(1)".into());
        let problems = validate(&[a, b]);
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            text.iter()
                .any(|p| p.starts_with("b.md: slug `same` is also the slug of a.md")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|p| p == "b.md: the title is empty"),
            "{text:?}"
        );
        assert!(
            text.iter().any(|p| p.contains("scheduled post needs")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|p| p.contains("`feature_image`")),
            "{text:?}"
        );
        assert!(text.iter().all(|p| p.starts_with("b.md")), "{text:?}");
    }

    #[test]
    fn validation_applies_the_limits_of_the_admin_api() {
        let mut doc = PostDoc::new("many", "Many");
        doc.origin = "many.md".into();
        doc.tags = (0..=limits::MAX_TAGS_PER_POST)
            .map(|i| format!("t{i}"))
            .collect();
        doc.published_at = chrono::DateTime::parse_from_rfc3339("0001-01-01T00:00:00Z")
            .ok()
            .map(|d| d.with_timezone(&Utc));
        let text: Vec<String> = validate(&[doc]).iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "many.md: `published_at` is out of range: Use a date between the years 1970 and 9999.",
                "many.md: `tags`: 101 tags; a post has at most 100",
            ]
        );

        let bundle = Bundle {
            users: vec![UserDoc {
                name: "Ann".into(),
                bio: Some("b".repeat(limits::MAX_BIO + 1)),
                ..UserDoc::default()
            }],
            tags: vec![TagDoc {
                name: "n".repeat(limits::MAX_TAG_NAME + 1),
                ..TagDoc::default()
            }],
            ..Bundle::default()
        };
        let text: Vec<String> = validate_people_and_tags(&bundle)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert_eq!(
            text[0],
            "users[0] (Ann): `bio` is longer than 1000 characters"
        );
        assert!(
            text[1].ends_with("`name` is longer than 191 characters"),
            "{text:?}"
        );
    }

    #[test]
    fn email_local_parts_become_names() {
        assert_eq!(humanise_local_part("jane.doe"), "Jane Doe");
    }
}
