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
use crate::domain::post::{PostStatus, PostType};
use crate::domain::slug::Slug;
use crate::domain::user::Role;
use crate::editing::{is_url_or_path, tag_slug, tag_visibility};
use crate::media::{self, Storage, StoredObjects};
use crate::render::markdown::{self as md, Rendered};
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

/// Settings an import may write; anything else in a source is ignored.
const SETTING_KEYS: &[&str] = &[
    "title",
    "description",
    "lang",
    "timezone",
    "posts_per_page",
    "feed_items",
    "accent_color",
    "logo",
    "cover_image",
    "navigation",
    "codeinjection_head",
    "codeinjection_foot",
];

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
    let existing: HashMap<String, Option<String>> = sqlx::query_as(
        "select slug, source_hash from posts where slug = any($1) and id <> all($2)",
    )
    .bind(&slugs)
    .bind(&seed)
    .fetch_all(db)
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
    let taken: Vec<(Uuid, String)> =
        sqlx::query_as("select id, slug from posts where id = any($1)")
            .bind(&list)
            .fetch_all(db)
            .await?;
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
        let deleted = sqlx::query("delete from posts where id = any($1) and version = 1")
            .bind(seed)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted != seed.len() as u64 {
            bail!("the welcome content was edited during the import; run it again");
        }
        sqlx::query(
            "delete from tags t where slug = $1 and not exists (select 1 from posts_tags pt where pt.tag_id = t.id)",
        )
        .bind(crate::db::SEED_TAG)
        .execute(&mut *tx)
        .await?;
        // the seeded navigation links to the About page just deleted: unless the import
        // brings a page of that name, the menu keeps only Home (an edited menu is left alone)
        if !bundle.posts.iter().any(|p| p.slug == "about") {
            sqlx::query(
                r#"update settings set value = '[{"label": "Home", "url": "/"}]'
                   where key = 'navigation'
                     and value = '[{"label": "Home", "url": "/"}, {"label": "About", "url": "/about/"}]'::jsonb"#,
            )
            .execute(&mut *tx)
            .await?;
        }
        report.seed_replaced = true;
        changed += deleted;
    }

    for objects in stored {
        let inserted = sqlx::query(
            r#"insert into media (storage_key, sha256, content_type, bytes, width, height, variants)
               values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing"#,
        )
        .bind(&objects.key)
        .bind(&objects.sha256)
        .bind(objects.content_type)
        .bind(objects.bytes)
        .bind(i32::try_from(objects.width).unwrap_or(i32::MAX))
        .bind(i32::try_from(objects.height).unwrap_or(i32::MAX))
        .bind(sqlx::types::Json(&objects.variants))
        .execute(&mut *tx)
        .await?;
        changed += inserted.rows_affected();
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
        let ids: Vec<(String, Uuid)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            r#"insert into posts (id, {COLUMNS}, version, created_by)
               select coalesce(t.id, gen_random_uuid()), {UNNESTED}, 1, t.created_by from {UNNEST}
               returning slug, id"#
        )))
        .bind_rows(&creates)
        .fetch_all(&mut *tx)
        .await?;
        let ids: HashMap<String, Uuid> = ids.into_iter().collect();
        for row in creates {
            written.push((ids[&row.slug], 1, row));
        }
    }
    if !updates.is_empty() {
        let ids: Vec<(String, Uuid, i32)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            r#"update posts p set (id, {COLUMNS}, version) = (coalesce(t.id, p.id), {UPDATED}, p.version + 1)
               from {UNNEST} where p.slug = t.slug
               returning p.slug, p.id, p.version"#
        )))
        .bind_rows(&updates)
        .fetch_all(&mut *tx)
        .await?;
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
        let n = sqlx::query(
            // each redirect belongs to the post it leads to, and goes with it
            r#"insert into redirects (from_path, to_path, post_id)
               select distinct on (f) f, t, (select p.id from posts p where '/' || p.slug || '/' = t)
               from unnest($1::text[], $2::text[]) as x(f, t)
               on conflict (from_path) do update
               set to_path = excluded.to_path, post_id = excluded.post_id
               where (redirects.to_path, redirects.post_id)
                     is distinct from (excluded.to_path, excluded.post_id)"#,
        )
        .bind(&from)
        .bind(&to)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        report.redirects_written = n as usize;
        changed += n;
    }
    for (key, value) in &bundle.settings {
        if !SETTING_KEYS.contains(&key.as_str()) {
            continue;
        }
        let n = sqlx::query(
            r#"insert into settings (key, value) values ($1, $2)
               on conflict (key) do update set value = excluded.value, updated_at = now()
               where settings.value is distinct from excluded.value"#,
        )
        .bind(key)
        .bind(value)
        .execute(&mut *tx)
        .await?
        .rows_affected();
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
    let col = |f: fn(&MediaDoc) -> Option<String>| media.iter().map(f).collect::<Vec<_>>();
    let keys = col(|m| Some(m.key.clone()));
    let hashes = col(|m| Some(m.sha256.clone()));
    let types = col(|m| Some(m.content_type.clone()));
    let alts = col(|m| m.alt.clone());
    let bytes: Vec<i64> = media.iter().map(|m| m.bytes).collect();
    let widths: Vec<Option<i32>> = media.iter().map(|m| m.width).collect();
    let heights: Vec<Option<i32>> = media.iter().map(|m| m.height).collect();
    let variants: Vec<serde_json::Value> = media
        .iter()
        .map(|m| serde_json::to_value(&m.variants))
        .collect::<Result<_, _>>()?;
    let created: Vec<Option<DateTime<Utc>>> = media.iter().map(|m| m.created_at).collect();
    let n = sqlx::query(
        r#"insert into media (storage_key, sha256, content_type, bytes, width, height, variants, alt, created_at)
           select k, s, c, b, w, h, v, a, coalesce(t, now())
           from unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::int[], $6::int[],
                       $7::jsonb[], $8::text[], $9::timestamptz[]) as x(k, s, c, b, w, h, v, a, t)
           on conflict do nothing"#,
    )
    .bind(&keys)
    .bind(&hashes)
    .bind(&types)
    .bind(&bytes)
    .bind(&widths)
    .bind(&heights)
    .bind(&variants)
    .bind(&alts)
    .bind(&created)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    report.media_linked = n as usize;
    Ok(n)
}

/// Replaces the tag and author links of written posts and records a revision of each.
async fn write_links(tx: &mut PgConnection, written: &[(Uuid, i32, &PostRow)]) -> sqlx::Result<()> {
    if written.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = written.iter().map(|w| w.0).collect();
    sqlx::query("delete from posts_tags where post_id = any($1)")
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    sqlx::query("delete from posts_authors where post_id = any($1)")
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    let mut link = (Vec::new(), Vec::new(), Vec::new());
    for (id, _, row) in written {
        for (i, tag) in row.tag_ids.iter().enumerate() {
            link.0.push(*id);
            link.1.push(*tag);
            link.2.push(i as i32);
        }
    }
    sqlx::query(
        "insert into posts_tags (post_id, tag_id, sort_order) select * from unnest($1::uuid[], $2::uuid[], $3::int[])",
    )
    .bind(&link.0)
    .bind(&link.1)
    .bind(&link.2)
    .execute(&mut *tx)
    .await?;
    let mut link = (Vec::new(), Vec::new(), Vec::new());
    for (id, _, row) in written {
        for (i, author) in row.author_ids.iter().enumerate() {
            link.0.push(*id);
            link.1.push(*author);
            link.2.push(i as i32);
        }
    }
    sqlx::query(
        "insert into posts_authors (post_id, author_id, sort_order) select * from unnest($1::uuid[], $2::uuid[], $3::int[])",
    )
    .bind(&link.0)
    .bind(&link.1)
    .bind(&link.2)
    .execute(&mut *tx)
    .await?;
    let versions: Vec<i32> = written.iter().map(|w| w.1).collect();
    let titles: Vec<&str> = written.iter().map(|w| w.2.title.as_str()).collect();
    let markdown: Vec<&str> = written.iter().map(|w| w.2.markdown.as_str()).collect();
    let authors: Vec<Uuid> = written.iter().map(|w| w.2.author_ids[0]).collect();
    sqlx::query(
        r#"insert into revisions (post_id, version, title, markdown, author_id, reason)
           select p, v, t, m, a, 'import' from unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::uuid[]) as x(p, v, t, m, a)"#,
    )
    .bind(&ids)
    .bind(&versions)
    .bind(&titles)
    .bind(&markdown)
    .bind(&authors)
    .execute(&mut *tx)
    .await?;
    // keep the same number of revisions per post as the editor does
    sqlx::query(
        r#"delete from revisions r using (
               select id, row_number() over (partition by post_id order by id desc) as n
               from revisions where post_id = any($1)
           ) old
           where r.id = old.id and old.n > $2"#,
    )
    .bind(&ids)
    .bind(store::admin_posts::REVISIONS_KEPT)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Posts as rows

/// The columns an import writes, in the order of [`UNNEST`]'s arrays.
const COLUMNS: &str = "slug, type, status, title, markdown, html, excerpt, word_count, reading_time, \
    custom_excerpt, feature_image, feature_image_alt, feature_image_caption, featured, meta_title, \
    meta_description, canonical_url, codeinjection_head, codeinjection_foot, published_at, \
    created_at, updated_at, source_hash, feed_guid";
const UNNEST: &str = "unnest($1::text[], $2::post_type[], $3::post_status[], $4::text[], $5::text[], \
    $6::text[], $7::text[], $8::int[], $9::int[], $10::text[], $11::text[], $12::text[], $13::text[], \
    $14::bool[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::timestamptz[], \
    $21::timestamptz[], $22::timestamptz[], $23::text[], $24::uuid[], $25::uuid[], $26::text[]) \
    as t(slug, type, status, title, markdown, html, excerpt, word_count, reading_time, custom_excerpt, \
    feature_image, feature_image_alt, feature_image_caption, featured, meta_title, meta_description, \
    canonical_url, codeinjection_head, codeinjection_foot, published_at, created_at, updated_at, \
    source_hash, created_by, id, feed_guid)";
/// New rows: times default to now.
const UNNESTED: &str = "t.slug, t.type, t.status, t.title, t.markdown, t.html, t.excerpt, t.word_count, \
    t.reading_time, t.custom_excerpt, t.feature_image, t.feature_image_alt, t.feature_image_caption, \
    t.featured, t.meta_title, t.meta_description, t.canonical_url, t.codeinjection_head, \
    t.codeinjection_foot, t.published_at, coalesce(t.created_at, now()), \
    coalesce(t.updated_at, t.published_at, t.created_at, now()), t.source_hash, t.feed_guid";
/// Updated rows: the creation time stays unless the source gives one.
const UPDATED: &str = "t.slug, t.type, t.status, t.title, t.markdown, t.html, t.excerpt, t.word_count, \
    t.reading_time, t.custom_excerpt, t.feature_image, t.feature_image_alt, t.feature_image_caption, \
    t.featured, t.meta_title, t.meta_description, t.canonical_url, t.codeinjection_head, \
    t.codeinjection_foot, t.published_at, coalesce(t.created_at, p.created_at), \
    coalesce(t.updated_at, now()), t.source_hash, coalesce(t.feed_guid, p.feed_guid)";

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

/// The status and date a post gets: published without a date takes its other dates or now;
/// published in the future is scheduled; scheduled in the past is published.
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
            if at > now {
                (PostStatus::Scheduled, Some(at))
            } else {
                (PostStatus::Published, Some(at))
            }
        }
    }
}

/// Binds the 26 arrays of [`UNNEST`].
trait BindRows<'q> {
    fn bind_rows(self, rows: &'q [&'q PostRow]) -> Self;
}

impl<'q, O> BindRows<'q>
    for sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>
{
    fn bind_rows(self, rows: &'q [&'q PostRow]) -> Self {
        fn col<'a, T>(rows: &[&'a PostRow], f: impl Fn(&'a PostRow) -> T) -> Vec<T> {
            rows.iter().map(|r| f(r)).collect()
        }
        self.bind(col(rows, |r| r.slug.as_str()))
            .bind(col(rows, |r| r.kind))
            .bind(col(rows, |r| r.status))
            .bind(col(rows, |r| r.title.as_str()))
            .bind(col(rows, |r| r.markdown.as_str()))
            .bind(col(rows, |r| r.rendered.html.as_str()))
            .bind(col(rows, |r| r.rendered.excerpt.as_str()))
            .bind(col(rows, |r| r.rendered.word_count))
            .bind(col(rows, |r| r.rendered.reading_time))
            .bind(col(rows, |r| r.custom_excerpt.as_deref()))
            .bind(col(rows, |r| r.feature_image.as_deref()))
            .bind(col(rows, |r| r.feature_image_alt.as_deref()))
            .bind(col(rows, |r| r.feature_image_caption.as_deref()))
            .bind(col(rows, |r| r.featured))
            .bind(col(rows, |r| r.meta_title.as_deref()))
            .bind(col(rows, |r| r.meta_description.as_deref()))
            .bind(col(rows, |r| r.canonical_url.as_deref()))
            .bind(col(rows, |r| r.codeinjection_head.as_deref()))
            .bind(col(rows, |r| r.codeinjection_foot.as_deref()))
            .bind(col(rows, |r| r.published_at))
            .bind(col(rows, |r| r.created_at))
            .bind(col(rows, |r| r.updated_at))
            .bind(col(rows, |r| r.source_hash.as_str()))
            .bind(col(rows, |r| r.author_ids[0]))
            .bind(col(rows, |r| r.id))
            .bind(col(rows, |r| r.feed_guid.as_deref()))
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
    let known = crate::editing::known_images(tx, storage, urls).await?;
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

/// Checks the staff and tags a bundle describes against the same limits as the admin API.
pub fn validate_people_and_tags(bundle: &Bundle) -> Vec<Problem> {
    let mut problems = Vec::new();
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
    let known: HashMap<String, String> =
        sqlx::query_as("select sha256, storage_key from media where sha256 = any($1)")
            .bind(&hashes)
            .fetch_all(db)
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

struct Person {
    id: Uuid,
    email: String,
    slug: String,
    name: String,
    role: Role,
}

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
        let rows: Vec<(Uuid, String, String, String, Role)> =
            sqlx::query_as("select id, email, slug, name, role from users order by created_at, id")
                .fetch_all(&mut *tx)
                .await?;
        Ok(People {
            all: rows
                .into_iter()
                .map(|(id, email, slug, name, role)| Person {
                    id,
                    email,
                    slug,
                    name,
                    role,
                })
                .collect(),
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
                let n = sqlx::query(
                    r#"update users set name = $2, bio = coalesce($3, bio),
                              avatar_url = coalesce($4, avatar_url), cover_image = coalesce($5, cover_image),
                              website = coalesce($6, website), location = coalesce($7, location),
                              updated_at = now()
                       where id = $1
                         and (name, bio, avatar_url, cover_image, website, location) is distinct from
                             ($2, coalesce($3, bio), coalesce($4, avatar_url), coalesce($5, cover_image),
                              coalesce($6, website), coalesce($7, location))"#,
                )
                .bind(id)
                .bind(doc.name.trim())
                .bind(&doc.bio)
                .bind(&doc.avatar_url)
                .bind(&doc.cover_image)
                .bind(&doc.website)
                .bind(&doc.location)
                .execute(&mut *tx)
                .await?
                .rows_affected();
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
        let id: Uuid = sqlx::query_scalar(
            r#"insert into users (email, name, slug, role, bio, avatar_url, cover_image, website, location)
               values ($1, $2, $3, $4, coalesce($5, ''), $6, $7, $8, $9) returning id"#,
        )
        .bind(&email)
        .bind(name)
        .bind(&slug)
        .bind(role)
        .bind(&profile.bio)
        .bind(&profile.avatar_url)
        .bind(&profile.cover_image)
        .bind(&profile.website)
        .bind(&profile.location)
        .fetch_one(&mut *tx)
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

// ---------------------------------------------------------------------------------------------
// Tags

struct TagRow {
    id: Uuid,
    slug: String,
    name: String,
}

/// Tags, loaded once and extended as the import creates them.
struct Tags {
    all: Vec<TagRow>,
    /// Lower-cased names and slugs of the bundle's described tags → their ids.
    described: HashMap<String, Uuid>,
}

impl Tags {
    async fn load(tx: &mut PgConnection) -> sqlx::Result<Self> {
        let rows: Vec<(Uuid, String, String)> = sqlx::query_as("select id, slug, name from tags")
            .fetch_all(&mut *tx)
            .await?;
        Ok(Tags {
            all: rows
                .into_iter()
                .map(|(id, slug, name)| TagRow { id, slug, name })
                .collect(),
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
        let visibility = tag_visibility(name);
        let (id, changed) = match found {
            Some(id) => {
                let n = sqlx::query(
                    r#"update tags set name = $2, description = coalesce($3, description),
                              feature_image = coalesce($4, feature_image), meta_title = coalesce($5, meta_title),
                              meta_description = coalesce($6, meta_description),
                              accent_color = coalesce($7, accent_color), visibility = $8, updated_at = now()
                       where id = $1
                         and (name, description, feature_image, meta_title, meta_description, accent_color, visibility)
                             is distinct from
                             ($2, coalesce($3, description), coalesce($4, feature_image), coalesce($5, meta_title),
                              coalesce($6, meta_description), coalesce($7, accent_color), $8)"#,
                )
                .bind(id)
                .bind(name)
                .bind(&doc.description)
                .bind(&doc.feature_image)
                .bind(&doc.meta_title)
                .bind(&doc.meta_description)
                .bind(&doc.accent_color)
                .bind(visibility)
                .execute(&mut *tx)
                .await?
                .rows_affected();
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
        let visibility = tag_visibility(name);
        let id: Uuid = sqlx::query_scalar(
            r#"insert into tags (slug, name, description, feature_image, visibility, meta_title,
                                 meta_description, accent_color)
               values ($1, $2, coalesce($3, ''), $4, $5, $6, $7, $8) returning id"#,
        )
        .bind(&slug)
        .bind(name)
        .bind(&doc.description)
        .bind(&doc.feature_image)
        .bind(visibility)
        .bind(&doc.meta_title)
        .bind(&doc.meta_description)
        .bind(&doc.accent_color)
        .fetch_one(&mut *tx)
        .await
        .with_context(|| format!("creating the tag {name}"))?;
        self.all.push(TagRow {
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
