//! Posts and pages.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::post::PostType;

/// A tag as listed on a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRef {
    pub slug: String,
    pub name: String,
    pub visibility: String,
}

impl TagRef {
    /// Public tags show on the site; internal ones (`#name` in Ghost) never do.
    pub fn is_public(&self) -> bool {
        self.visibility == "public"
    }
}

/// An author as listed on a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorRef {
    pub slug: String,
    pub name: String,
    pub avatar_url: Option<String>,
    pub bio: String,
    pub website: Option<String>,
}

/// A published post or page, everything its page shows.
#[derive(Debug, Clone, FromRow)]
pub struct PublicPost {
    pub id: Uuid,
    /// The id feeds give the post's items when it is not [`PublicPost::id`]: the old site's
    /// (Ghost's post id), kept by an import.
    pub feed_guid: Option<String>,
    #[sqlx(rename = "type")]
    pub kind: PostType,
    pub slug: String,
    pub title: String,
    pub html: String,
    pub summary: String,
    pub feature_image: Option<String>,
    pub feature_image_alt: Option<String>,
    pub feature_image_caption: Option<String>,
    pub featured: bool,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_url: Option<String>,
    pub codeinjection_head: Option<String>,
    pub codeinjection_foot: Option<String>,
    pub word_count: i32,
    pub reading_time: i32,
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub tags: Json<Vec<TagRef>>,
    pub authors: Json<Vec<AuthorRef>>,
}

/// A post as it appears in a list (home, tag and author archives).
#[derive(Debug, Clone, FromRow)]
pub struct PostSummary {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub feature_image: Option<String>,
    pub feature_image_alt: Option<String>,
    pub featured: bool,
    pub reading_time: i32,
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub tags: Json<Vec<TagRef>>,
    pub authors: Json<Vec<AuthorRef>>,
}

/// Which published posts a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListFilter<'a> {
    pub tag: Option<&'a str>,
    pub author: Option<&'a str>,
}

/// The columns of a [`PublicPost`].
const PUBLIC_COLUMNS: &str = "id, feed_guid, type, slug, title, html, summary, feature_image, feature_image_alt, \
    feature_image_caption, featured, meta_title, meta_description, canonical_url, codeinjection_head, \
    codeinjection_foot, word_count, reading_time, published_at, updated_at, tags, authors";

/// Published posts, optionally only those with tag `$1` and author `$2` (slugs).
const PUBLISHED_MATCHING: &str = "from posts_with_links p \
    where type = 'post' and status = 'published' \
      and ($1::text is null or exists (select 1 from posts_tags pt join tags t on t.id = pt.tag_id \
                                       where pt.post_id = p.id and t.slug = $1)) \
      and ($2::text is null or exists (select 1 from posts_authors pa join users u on u.id = pa.author_id \
                                       where pa.post_id = p.id and u.slug = $2))";

/// One page of published posts, newest first, and how many there are in all.
#[tracing::instrument(skip(db))]
pub async fn list_published(
    db: impl PgExecutor<'_>,
    filter: ListFilter<'_>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<PostSummary>, i64)> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        post: PostSummary,
        total: i64,
    }
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select id, slug, title, summary, feature_image, feature_image_alt, featured, reading_time, \
                published_at, updated_at, tags, authors, count(*) over () as total \
         {PUBLISHED_MATCHING} order by published_at desc, id desc limit $3 offset $4"
    )))
    .bind(filter.tag)
    .bind(filter.author)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total = rows.first().map_or(0, |r| r.total);
    Ok((rows.into_iter().map(|r| r.post).collect(), total))
}

/// The newest published posts, whole, for feeds.
#[tracing::instrument(skip(db))]
pub async fn feed_posts(
    db: impl PgExecutor<'_>,
    filter: ListFilter<'_>,
    limit: i64,
) -> sqlx::Result<Vec<PublicPost>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {PUBLIC_COLUMNS} {PUBLISHED_MATCHING} order by published_at desc, id desc limit $3"
    )))
    .bind(filter.tag)
    .bind(filter.author)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The published post or page at `/slug/`.
#[tracing::instrument(skip(db))]
pub async fn published_by_slug(
    db: impl PgExecutor<'_>,
    slug: &str,
) -> sqlx::Result<Option<PublicPost>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {PUBLIC_COLUMNS} from posts_with_links where slug = $1 and status = 'published'"
    )))
    .bind(slug)
    .fetch_optional(db)
    .await
}

/// The published post (not page) with this id, as the fediverse gets it.
pub async fn published_post_by_id(
    db: impl PgExecutor<'_>,
    id: Uuid,
) -> sqlx::Result<Option<PublicPost>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {PUBLIC_COLUMNS} from posts_with_links \
         where id = $1 and type = 'post' and status = 'published'"
    )))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// The `limit` newest published posts after `offset`, whole (the outbox's pages).
pub async fn published_posts_page(
    db: impl PgExecutor<'_>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<PublicPost>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {PUBLIC_COLUMNS} {PUBLISHED_MATCHING} \
         order by published_at desc, id desc limit $3 offset $4"
    )))
    .bind(None::<&str>)
    .bind(None::<&str>)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await
}

/// Any post or page by its secret preview id, shaped like a published one (a draft without a
/// date shows its last update).
pub async fn by_preview_id(
    db: impl PgExecutor<'_>,
    preview_id: Uuid,
) -> sqlx::Result<Option<PublicPost>> {
    sqlx::query_as(
        r#"
        select id, feed_guid, type, slug, title, html, summary, feature_image, feature_image_alt,
               feature_image_caption, featured, meta_title, meta_description, canonical_url,
               codeinjection_head, codeinjection_foot, word_count, reading_time,
               coalesce(published_at, updated_at) as published_at, updated_at, tags, authors
        from posts_with_links
        where preview_id = $1
        "#,
    )
    .bind(preview_id)
    .fetch_optional(db)
    .await
}

/// A link to a neighbouring post.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct PostLink {
    pub slug: String,
    pub title: String,
}

/// The published posts just newer and just older than the one given.
pub async fn neighbours(
    db: &mut PgConnection,
    published_at: DateTime<Utc>,
    id: Uuid,
) -> sqlx::Result<(Option<PostLink>, Option<PostLink>)> {
    let newer = sqlx::query_as!(
        PostLink,
        r#"
        select slug, title from posts
        where type = 'post' and status = 'published' and (published_at, id) > ($1, $2)
        order by published_at, id limit 1
        "#,
        published_at,
        id
    )
    .fetch_optional(&mut *db)
    .await?;
    let older = sqlx::query_as!(
        PostLink,
        r#"
        select slug, title from posts
        where type = 'post' and status = 'published' and (published_at, id) < ($1, $2)
        order by published_at desc, id desc limit 1
        "#,
        published_at,
        id
    )
    .fetch_optional(&mut *db)
    .await?;
    Ok((newer, older))
}

/// Publishes every scheduled post whose time has come; answers how many.
///
/// Every replica runs this; row locks make it safe, and the commit's notification refreshes
/// every replica's cache. The version stays: going live is what the writer asked for, not an
/// edit, so an editor still open on the post saves over it without a conflict.
#[tracing::instrument(skip(db))]
pub async fn publish_due(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        r#"
        update posts set status = 'published'
        where status = 'scheduled' and published_at <= now()
        "#
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Makes `author` the author of every post that has none (the welcome content of a fresh
/// install, once there is an Owner).
pub async fn give_authorless_to(db: impl PgExecutor<'_>, author: Uuid) -> sqlx::Result<u64> {
    sqlx::query!(
        r#"insert into posts_authors (post_id, author_id)
           select id, $1 from posts p
           where not exists (select 1 from posts_authors pa where pa.post_id = p.id)"#,
        author,
    )
    .execute(db)
    .await
    .map(|r| r.rows_affected())
}

/// The first three posts as (id, type, slug, title, Markdown, version), to tell whether a site
/// is still a fresh install.
pub async fn first_three(
    db: impl PgExecutor<'_>,
) -> sqlx::Result<Vec<(Uuid, PostType, String, String, String, i32)>> {
    let rows = sqlx::query!(
        r#"select id, type as "kind: PostType", slug, title, markdown, version
           from posts limit 3"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.kind, r.slug, r.title, r.markdown, r.version))
        .collect())
}
