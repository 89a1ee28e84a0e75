//! What Ghost's Content API reads: published posts and pages with their tags and authors,
//! public tags and the authors of published posts, each with the fields Ghost answers with.
//!
//! The statements are fixed text: what a request chooses (the type, the order, the page) is
//! bound as a parameter or picked from [`Order`]'s fixed list, never written into SQL.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{FromRow, PgExecutor, PgPool};
use uuid::Uuid;

use crate::domain::post::PostType;

/// A tag as the Content API shows it on a post or in its list.
#[derive(Debug, Clone, Serialize, Deserialize, FromRow)]
pub struct ApiTag {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub feature_image: Option<String>,
    pub visibility: String,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub accent_color: Option<String>,
}

/// An author as the Content API shows them.
#[derive(Debug, Clone, Serialize, Deserialize, FromRow)]
pub struct ApiAuthor {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub profile_image: Option<String>,
    pub cover_image: Option<String>,
    pub bio: String,
    pub website: Option<String>,
    pub location: Option<String>,
}

/// A published post or page with everything the Content API answers.
#[derive(Debug, Clone, FromRow)]
pub struct ApiPost {
    pub id: Uuid,
    /// The id the post had in Ghost, kept by an import (feeds use it too).
    pub feed_guid: Option<String>,
    pub slug: String,
    pub title: String,
    pub html: String,
    pub summary: String,
    pub custom_excerpt: Option<String>,
    pub feature_image: Option<String>,
    pub feature_image_alt: Option<String>,
    pub feature_image_caption: Option<String>,
    pub featured: bool,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_url: Option<String>,
    pub codeinjection_head: Option<String>,
    pub codeinjection_foot: Option<String>,
    pub reading_time: i32,
    pub published_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub tags: Json<Vec<ApiTag>>,
    pub authors: Json<Vec<ApiAuthor>>,
}

/// The orders a list may be asked for, as Ghost names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    PublishedDesc,
    PublishedAsc,
    UpdatedDesc,
    UpdatedAsc,
    CreatedDesc,
    CreatedAsc,
    TitleAsc,
    TitleDesc,
    SlugAsc,
    SlugDesc,
    FeaturedFirst,
}

impl Order {
    /// Ghost's `order` parameter (`published_at desc`, `title asc`, ...); the direction
    /// defaults as Ghost's does (dates newest first, names A to Z).
    pub fn parse(value: &str) -> Option<Order> {
        let mut words = value.split_whitespace();
        let field = words.next()?.to_ascii_lowercase();
        let dir = words.next().map(str::to_ascii_lowercase);
        if words.next().is_some() {
            return None;
        }
        let desc = match dir.as_deref() {
            None => None,
            Some("desc") => Some(true),
            Some("asc") => Some(false),
            Some(_) => return None,
        };
        Some(match (field.as_str(), desc) {
            ("published_at", None | Some(true)) => Order::PublishedDesc,
            ("published_at", Some(false)) => Order::PublishedAsc,
            ("updated_at", None | Some(true)) => Order::UpdatedDesc,
            ("updated_at", Some(false)) => Order::UpdatedAsc,
            ("created_at", None | Some(true)) => Order::CreatedDesc,
            ("created_at", Some(false)) => Order::CreatedAsc,
            ("title", None | Some(false)) => Order::TitleAsc,
            ("title", Some(true)) => Order::TitleDesc,
            ("slug", None | Some(false)) => Order::SlugAsc,
            ("slug", Some(true)) => Order::SlugDesc,
            ("featured", None | Some(true)) => Order::FeaturedFirst,
            _ => return None,
        })
    }

    fn sql(self) -> &'static str {
        match self {
            Order::PublishedDesc => "p.published_at desc, p.id desc",
            Order::PublishedAsc => "p.published_at asc, p.id asc",
            Order::UpdatedDesc => "p.updated_at desc, p.id desc",
            Order::UpdatedAsc => "p.updated_at asc, p.id asc",
            Order::CreatedDesc => "p.created_at desc, p.id desc",
            Order::CreatedAsc => "p.created_at asc, p.id asc",
            Order::TitleAsc => "p.title asc, p.id asc",
            Order::TitleDesc => "p.title desc, p.id desc",
            Order::SlugAsc => "p.slug asc",
            Order::SlugDesc => "p.slug desc",
            Order::FeaturedFirst => "p.featured desc, p.published_at desc, p.id desc",
        }
    }
}

const POST_COLUMNS: &str = "p.id, p.feed_guid, p.slug, p.title, p.html, \
    coalesce(nullif(p.custom_excerpt, ''), p.excerpt) as summary, p.custom_excerpt, \
    p.feature_image, p.feature_image_alt, p.feature_image_caption, p.featured, p.meta_title, \
    p.meta_description, p.canonical_url, p.codeinjection_head, p.codeinjection_foot, \
    p.reading_time, p.published_at, p.created_at, p.updated_at, \
    coalesce((select jsonb_agg(jsonb_build_object('id', t.id, 'slug', t.slug, 'name', t.name, \
        'description', t.description, 'feature_image', t.feature_image, 'visibility', t.visibility, \
        'meta_title', t.meta_title, 'meta_description', t.meta_description, \
        'accent_color', t.accent_color) order by pt.sort_order, t.name) \
      from posts_tags pt join tags t on t.id = pt.tag_id where pt.post_id = p.id), '[]'::jsonb) as tags, \
    coalesce((select jsonb_agg(jsonb_build_object('id', u.id, 'slug', u.slug, 'name', u.name, \
        'profile_image', u.avatar_url, 'cover_image', u.cover_image, 'bio', u.bio, \
        'website', u.website, 'location', u.location) order by pa.sort_order, u.name) \
      from posts_authors pa join users u on u.id = pa.author_id where pa.post_id = p.id), '[]'::jsonb) as authors";

/// One page of published posts or pages in `order`, and how many there are in all.
pub async fn list_posts(
    db: &PgPool,
    kind: PostType,
    order: Order,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<ApiPost>, i64)> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        post: ApiPost,
        total: i64,
    }
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {POST_COLUMNS}, count(*) over () as total from posts p \
         where p.type = $1 and p.status = 'published' order by {} limit $2 offset $3",
        order.sql()
    )))
    .bind(kind)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total =
        match rows.first() {
            Some(r) => r.total,
            // past the last page: the pagination still says how many there are
            None => sqlx::query_scalar!(
                r#"select count(*) as "n!" from posts where type = $1 and status = 'published'"#,
                kind as PostType
            )
            .fetch_one(db)
            .await?,
        };
    Ok((rows.into_iter().map(|r| r.post).collect(), total))
}

/// The published post or page whose Content API id (Ghost's id kept by an import, or the
/// post's uuid in hex) or slug is `key`.
pub async fn post_by(
    db: impl PgExecutor<'_>,
    kind: PostType,
    by_slug: bool,
    key: &str,
) -> sqlx::Result<Option<ApiPost>> {
    let condition = if by_slug {
        "p.slug = $2"
    } else {
        "(p.feed_guid = $2 or replace(p.id::text, '-', '') = lower($2) or p.id::text = lower($2))"
    };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {POST_COLUMNS} from posts p \
         where p.type = $1 and p.status = 'published' and {condition}"
    )))
    .bind(kind)
    .bind(key)
    .fetch_optional(db)
    .await
}

/// A tag or an author with how many published posts it has (`count.posts`).
#[derive(Debug, Clone, FromRow)]
pub struct Counted<T> {
    #[sqlx(flatten)]
    pub item: T,
    pub posts: i64,
}

/// One page of public tags, A to Z, with their published posts counted, and how many there
/// are in all; or the one whose id or slug is `one`.
pub async fn tags(
    db: &PgPool,
    one: Option<(bool, &str)>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<Counted<ApiTag>>, i64)> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        tag: Counted<ApiTag>,
        total: i64,
    }
    let (by_slug, key) = one.unwrap_or((false, ""));
    let rows: Vec<Row> = sqlx::query_as(
        "select t.id, t.slug, t.name, t.description, t.feature_image, t.visibility, t.meta_title, \
                t.meta_description, t.accent_color, \
                (select count(*) from posts_tags pt join posts p on p.id = pt.post_id \
                 where pt.tag_id = t.id and p.status = 'published' and p.type = 'post') as posts, \
                count(*) over () as total \
         from tags t \
         where t.visibility = 'public' \
           and (not $1 or (case when $2 then t.slug = $3 \
                else replace(t.id::text, '-', '') = lower($3) or t.id::text = lower($3) end)) \
         order by t.name, t.id limit $4 offset $5",
    )
    .bind(one.is_some())
    .bind(by_slug)
    .bind(key)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total = rows.first().map_or(0, |r| r.total);
    Ok((rows.into_iter().map(|r| r.tag).collect(), total))
}

/// One page of the active staff who wrote published posts, by name, with their posts
/// counted, and how many there are in all; or the one whose id or slug is `one`.
pub async fn authors(
    db: &PgPool,
    one: Option<(bool, &str)>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<Counted<ApiAuthor>>, i64)> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        author: Counted<ApiAuthor>,
        total: i64,
    }
    let (by_slug, key) = one.unwrap_or((false, ""));
    let rows: Vec<Row> = sqlx::query_as(
        "select u.id, u.slug, u.name, u.avatar_url as profile_image, u.cover_image, u.bio, \
                u.website, u.location, c.posts, count(*) over () as total \
         from users u \
         join lateral (select count(*) as posts from posts_authors pa join posts p on p.id = pa.post_id \
                       where pa.author_id = u.id and p.status = 'published' and p.type = 'post') c on true \
         where u.status = 'active' and c.posts > 0 \
           and (not $1 or (case when $2 then u.slug = $3 \
                else replace(u.id::text, '-', '') = lower($3) or u.id::text = lower($3) end)) \
         order by u.name, u.id limit $4 offset $5",
    )
    .bind(one.is_some())
    .bind(by_slug)
    .bind(key)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total = rows.first().map_or(0, |r| r.total);
    Ok((rows.into_iter().map(|r| r.author).collect(), total))
}
