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

mod images;
mod people;
mod rows;
mod tags;
mod validate;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use anyhow::{Context, bail};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

use self::images::{CheckedImage, ImageState};
use self::people::People;
use self::rows::PostRow;
use self::tags::Tags;
use super::model::{Bundle, MediaDoc, PostDoc, Problem};
use crate::domain::post::{PostStatus, PostType};
use crate::media::{self, Storage, StoredObjects};
use crate::store;

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
    let mut writer = Writer {
        db,
        storage,
        options,
        progress,
        report: Report {
            problems,
            ..Report::default()
        },
    };
    match writer.run(bundle).await {
        Ok(()) => Ok(writer.report),
        Err(error) => Err(Failed {
            error,
            problems: writer.report.problems,
        }),
    }
}

/// An import that failed (nothing written), with the input problems found before it did.
#[derive(Debug)]
pub struct Failed {
    pub error: anyhow::Error,
    pub problems: Vec<Problem>,
}

/// One import under way: what it was asked, where it writes, and what it has done so far.
struct Writer<'a> {
    db: &'a PgPool,
    storage: &'a Storage,
    options: &'a Options,
    progress: Progress<'a>,
    report: Report,
}

/// A post to write: its document, the hash of its source, and whether it is new here.
struct Write {
    doc: PostDoc,
    hash: String,
    create: bool,
}

/// The images stored for this run (removed again if it does not commit), and the address
/// each local image of the bundle has now.
#[derive(Default)]
struct Uploaded {
    stored: Vec<StoredObjects>,
    urls: HashMap<PathBuf, String>,
}

impl Writer<'_> {
    /// Checks, plans, uploads, then writes in one transaction; objects uploaded for a run that
    /// does not commit are removed again.
    async fn run(&mut self, mut bundle: Bundle) -> anyhow::Result<()> {
        let Some(mut images) = self.check(&mut bundle).await? else {
            return Ok(());
        };
        let seed = self.untouched_seed(&bundle).await?;
        let writes = self.plan(&mut bundle, &images, &seed).await?;
        let uploaded = self.upload(&writes, &mut images).await?;
        let result = self.write(&bundle, &seed, &writes, &uploaded).await;
        if !matches!(result, Ok(true)) {
            undo_objects(self.storage, &uploaded.stored).await;
        }
        self.report.committed = result?;
        Ok(())
    }

    /// Finds every problem of the bundle and of its images, and drops what they concern.
    /// Answers the checked images, or `None` when problems stop the import.
    async fn check(
        &mut self,
        bundle: &mut Bundle,
    ) -> anyhow::Result<Option<HashMap<PathBuf, CheckedImage>>> {
        (self.progress)("checking posts");
        let problems = &mut self.report.problems;
        problems.extend(validate::validate(&bundle.posts));
        problems.extend(validate::validate_people_and_tags(bundle));
        problems.extend(validate::validate_media(&bundle.media));
        problems.extend(validate::missing_media(self.storage, &bundle.media).await?);
        (self.progress)("checking images");
        let images = images::check_images(self.db, &bundle.posts, problems).await?;
        if problems.is_empty() {
            return Ok(Some(images));
        }
        let failed: HashSet<&str> = problems.iter().map(|p| p.source.as_str()).collect();
        bundle.posts.retain(|p| !failed.contains(p.origin.as_str()));
        let media = std::mem::take(&mut bundle.media);
        bundle.media = media
            .into_iter()
            .enumerate()
            .filter(|(i, m)| !failed.contains(validate::media_source(*i, m).as_str()))
            .map(|(_, m)| m)
            .collect();
        Ok(self.options.skip_invalid.then_some(images))
    }

    /// The welcome content of a site that is still a fresh install: it makes way for the
    /// imported site instead of standing at the top of it and of its feeds.
    async fn untouched_seed(&self, bundle: &Bundle) -> anyhow::Result<Vec<Uuid>> {
        if bundle.posts.is_empty() {
            return Ok(Vec::new());
        }
        Ok(crate::db::untouched_seed(self.db)
            .await?
            .unwrap_or_default())
    }

    /// Which posts are new, changed or unchanged since they were last imported (by slug and
    /// source hash); the report lists each, and the new and changed ones are to be written.
    async fn plan(
        &mut self,
        bundle: &mut Bundle,
        images: &HashMap<PathBuf, CheckedImage>,
        seed: &[Uuid],
    ) -> anyhow::Result<Vec<Write>> {
        let hashes: Vec<String> = bundle
            .posts
            .iter()
            .map(|p| images::source_hash(p, images, self.options))
            .collect();
        let slugs: Vec<String> = bundle.posts.iter().map(|p| p.slug.clone()).collect();
        let existing: HashMap<String, Option<String>> =
            store::import::source_hashes(self.db, &slugs, seed)
                .await?
                .into_iter()
                .collect();
        let ids = free_ids(self.db, &bundle.posts).await?;
        let mut writes = Vec::new();
        for (mut doc, hash) in std::mem::take(&mut bundle.posts).into_iter().zip(hashes) {
            let action = match existing.get(&doc.slug) {
                None => Action::Created,
                Some(old) if old.as_deref() == Some(hash.as_str()) => Action::Unchanged,
                Some(_) => Action::Updated,
            };
            self.report.posts.push(PostOutcome {
                action,
                kind: doc.kind,
                slug: doc.slug.clone(),
                origin: doc.origin.clone(),
            });
            if action != Action::Unchanged {
                doc.id = doc.id.filter(|id| ids.contains(id));
                writes.push(Write {
                    doc,
                    hash,
                    create: action == Action::Created,
                });
            }
        }
        Ok(writes)
    }

    /// Stores the new images the written posts use, before the transaction (a dry run only
    /// counts them); on a failure, removes what it stored.
    async fn upload(
        &mut self,
        writes: &[Write],
        images: &mut HashMap<PathBuf, CheckedImage>,
    ) -> anyhow::Result<Uploaded> {
        (self.progress)("uploading images");
        let needed: HashSet<&PathBuf> = writes
            .iter()
            .flat_map(|w| w.doc.local_images.iter().map(|i| &i.path))
            .collect();
        let mut uploaded = Uploaded::default();
        for path in needed {
            let image = images
                .get_mut(path)
                .context("an image that was not checked")?;
            let key = match &mut image.state {
                ImageState::Known(key) => {
                    self.report.images_reused += 1;
                    key.clone()
                }
                ImageState::New(_) if self.options.dry_run => {
                    self.report.images_uploaded += 1;
                    format!("images/dry-run/{}", image.sha256)
                }
                ImageState::New(processed) => {
                    let processed = processed.take().context("image processed twice")?;
                    match media::store_objects(self.storage, processed).await {
                        Ok(objects) => {
                            self.report.images_uploaded += 1;
                            let key = objects.image.key.clone();
                            uploaded.stored.push(objects);
                            key
                        }
                        Err(e) => {
                            undo_objects(self.storage, &uploaded.stored).await;
                            return Err(e).with_context(|| format!("uploading {}", path.display()));
                        }
                    }
                }
            };
            uploaded.urls.insert(path.clone(), self.storage.url(&key));
        }
        Ok(uploaded)
    }

    /// The transaction. Answers whether it committed: a dry run, and a run that changed
    /// nothing, roll back (so no replica even drops its cache).
    async fn write(
        &mut self,
        bundle: &Bundle,
        seed: &[Uuid],
        writes: &[Write],
        uploaded: &Uploaded,
    ) -> anyhow::Result<bool> {
        let mut tx = self.db.begin().await?;
        let mut changed = self.replace_seed(&mut tx, bundle, seed).await?;
        for objects in &uploaded.stored {
            changed += store::import::add_uploaded(&mut tx, &objects.image).await?;
        }
        // the library's rows before the posts render, so that their images get `srcset` again
        changed += self.link_media(&mut tx, &bundle.media).await?;

        (self.progress)("writing staff and tags");
        let mut people = People::load(&mut tx).await?;
        for doc in &bundle.users {
            changed += people.upsert_doc(&mut tx, doc, &mut self.report).await?;
        }
        let mut tags = Tags::load(&mut tx).await?;
        for doc in &bundle.tags {
            changed += tags.upsert_doc(&mut tx, doc, &mut self.report).await?;
        }
        changed += self
            .write_posts(&mut tx, writes, &uploaded.urls, &mut people, &mut tags)
            .await?;

        (self.progress)("writing redirects and settings");
        changed += self.write_redirects(&mut tx, bundle, writes).await?;
        changed += self.write_settings(&mut tx, bundle).await?;
        for (label, id) in std::mem::take(&mut people.invited) {
            let link = crate::staff::reset_link(&mut *tx, &self.options.site_url, id).await?;
            self.report.reset_links.push((label, link));
        }

        if self.options.dry_run || changed == 0 {
            // a run that changes nothing must not even bump the content version
            tx.rollback().await?;
            if self.options.dry_run {
                self.report.reset_links.clear();
            }
            return Ok(false);
        }
        (self.progress)("committing");
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes the untouched welcome content of a fresh install, and its tag and menu entry.
    async fn replace_seed(
        &mut self,
        tx: &mut PgConnection,
        bundle: &Bundle,
        seed: &[Uuid],
    ) -> anyhow::Result<u64> {
        if seed.is_empty() {
            return Ok(0);
        }
        let deleted = store::import::delete_untouched(&mut *tx, seed).await?;
        if deleted != seed.len() as u64 {
            bail!("the welcome content was edited during the import; run it again");
        }
        store::import::delete_tag_if_unused(&mut *tx, crate::db::SEED_TAG).await?;
        // the seeded navigation links to the About page just deleted: unless the import
        // brings a page of that name, the menu keeps only Home (an edited menu is left alone)
        if !bundle.posts.iter().any(|p| p.slug == "about") {
            store::import::drop_about_from_seeded_navigation(&mut *tx).await?;
        }
        self.report.seed_replaced = true;
        Ok(deleted)
    }

    /// Re-creates the rows of a media library whose objects are already in the storage (an
    /// export's); images the site has already (same key or same content) are left alone.
    async fn link_media(
        &mut self,
        tx: &mut PgConnection,
        media: &[MediaDoc],
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
        self.report.media_linked = n as usize;
        Ok(n)
    }

    /// Resolves each post's authors and tags, renders every post, writes the new and the
    /// changed ones with a few set-based statements, then their links and revisions.
    async fn write_posts(
        &mut self,
        tx: &mut Transaction<'_, Postgres>,
        writes: &[Write],
        urls: &HashMap<PathBuf, String>,
        people: &mut People,
        tags: &mut Tags,
    ) -> anyhow::Result<u64> {
        let mut rows = Vec::with_capacity(writes.len());
        for write in writes {
            let doc = &write.doc;
            let mut author_ids = Vec::with_capacity(doc.authors.len().max(1));
            for reference in &doc.authors {
                let id = people.resolve(tx, reference, &mut self.report).await?;
                if !author_ids.contains(&id) {
                    author_ids.push(id);
                }
            }
            if author_ids.is_empty() {
                author_ids.push(people.default_author(self.options.default_author.as_deref())?);
            }
            let mut tag_ids = Vec::with_capacity(doc.tags.len());
            for name in &doc.tags {
                let id = tags.resolve(tx, name, &mut self.report).await?;
                if !tag_ids.contains(&id) {
                    tag_ids.push(id);
                }
            }
            rows.push(PostRow::new(
                doc,
                write.create,
                write.hash.clone(),
                urls,
                self.options.status,
                author_ids,
                tag_ids,
            ));
        }

        (self.progress)("rendering posts");
        rows::render_all(tx, self.storage, &mut rows).await?;

        (self.progress)("writing posts");
        let (creates, updates): (Vec<&PostRow>, Vec<&PostRow>) =
            rows.iter().partition(|r| r.create);
        let mut written: Vec<(Uuid, i32, &PostRow)> = Vec::with_capacity(rows.len());
        // in batches: one statement carrying a whole large site would pass PostgreSQL's
        // 1 GiB limit on a message; all of them are still one transaction
        for batch in creates.chunks(WRITE_BATCH) {
            let imported: Vec<_> = batch.iter().map(|r| r.imported()).collect();
            let ids = store::import::create_posts(tx, &imported).await?;
            let ids: HashMap<String, Uuid> = ids.into_iter().collect();
            for row in batch {
                written.push((ids[&row.slug], 1, row));
            }
        }
        for batch in updates.chunks(WRITE_BATCH) {
            let imported: Vec<_> = batch.iter().map(|r| r.imported()).collect();
            let ids = store::import::update_posts(tx, &imported).await?;
            let ids: HashMap<String, (Uuid, i32)> =
                ids.into_iter().map(|(s, id, v)| (s, (id, v))).collect();
            for row in batch {
                let (id, version) = *ids
                    .get(&row.slug)
                    .with_context(|| format!("post {} vanished during the import", row.slug))?;
                written.push((id, version, *row));
            }
        }
        (self.progress)("linking tags and authors");
        for batch in written.chunks(WRITE_BATCH) {
            write_links(tx, batch).await?;
        }
        Ok(written.len() as u64)
    }

    /// The bundle's redirects and each written post's aliases.
    async fn write_redirects(
        &mut self,
        tx: &mut PgConnection,
        bundle: &Bundle,
        writes: &[Write],
    ) -> anyhow::Result<u64> {
        let mut redirects: Vec<(String, String)> = bundle
            .redirects
            .iter()
            .map(|r| (r.from.clone(), r.to.clone()))
            .collect();
        for write in writes {
            for alias in &write.doc.aliases {
                redirects.push((alias.clone(), format!("/{}/", write.doc.slug)));
            }
        }
        if redirects.is_empty() {
            return Ok(0);
        }
        let (from, to): (Vec<String>, Vec<String>) = redirects.into_iter().unzip();
        let n = store::import::upsert_redirects(tx, &from, &to).await?;
        self.report.redirects_written = n as usize;
        Ok(n)
    }

    /// The bundle's settings that this version knows (invalid values were problems).
    async fn write_settings(
        &mut self,
        tx: &mut PgConnection,
        bundle: &Bundle,
    ) -> anyhow::Result<u64> {
        let mut changed = 0;
        for (key, value) in &bundle.settings {
            if crate::domain::settings::validate(key, value).is_err() {
                continue;
            }
            let n = store::import::upsert_setting(&mut *tx, key, value).await?;
            self.report.settings_written += n as usize;
            changed += n;
        }
        Ok(changed)
    }
}

/// Posts written by one statement, at most (each carries its Markdown and HTML).
const WRITE_BATCH: usize = 1000;

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
