//! The whole site read in one consistent snapshot, for `quire export`: every table in a fixed
//! order that does not depend on the database's collation.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::post::{PostStatus, PostType};
use crate::domain::user::Role;
use crate::store::media::StoredVariant;

/// Makes the transaction `tx` a read-only snapshot: a site being edited meanwhile is still
/// read in one consistent state. Call it first in the transaction.
pub async fn begin_snapshot(tx: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query!("set transaction isolation level repeatable read, read only")
        .execute(tx)
        .await
        .map(drop)
}

pub struct UserRow {
    pub email: String,
    pub name: String,
    pub slug: String,
    pub role: Role,
    pub bio: String,
    pub avatar_url: Option<String>,
    pub cover_image: Option<String>,
    pub website: Option<String>,
    pub location: Option<String>,
}

/// Staff by slug.
pub async fn users(tx: &mut PgConnection) -> sqlx::Result<Vec<UserRow>> {
    sqlx::query_as!(
        UserRow,
        r#"select email, name, slug, role as "role: Role", bio, avatar_url, cover_image, website,
                  location
           from users order by slug collate "C""#
    )
    .fetch_all(tx)
    .await
}

pub struct TagRow {
    pub name: String,
    pub slug: String,
    pub description: String,
    pub feature_image: Option<String>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub accent_color: Option<String>,
}

/// Tags by slug.
pub async fn tags(tx: &mut PgConnection) -> sqlx::Result<Vec<TagRow>> {
    sqlx::query_as!(
        TagRow,
        r#"select name, slug, description, feature_image, meta_title, meta_description, accent_color
           from tags order by slug collate "C""#
    )
    .fetch_all(tx)
    .await
}

pub struct PostRow {
    pub id: Uuid,
    pub kind: PostType,
    pub slug: String,
    pub title: String,
    pub markdown: String,
    pub status: PostStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
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
    pub feed_guid: Option<String>,
}

/// Posts and pages by publication (or creation) time, then slug.
pub async fn posts(tx: &mut PgConnection) -> sqlx::Result<Vec<PostRow>> {
    sqlx::query_as!(
        PostRow,
        r#"select id, type as "kind: PostType", slug, title, markdown,
                  status as "status: PostStatus", published_at, created_at, updated_at,
                  custom_excerpt, feature_image, feature_image_alt, feature_image_caption, featured,
                  meta_title, meta_description, canonical_url, codeinjection_head,
                  codeinjection_foot, feed_guid
           from posts order by coalesce(published_at, created_at), slug collate "C""#
    )
    .fetch_all(tx)
    .await
}

/// Each post's tag names, in the order the site shows them (`posts_with_links`), made total
/// by the unique key.
pub async fn post_tags(tx: &mut PgConnection) -> sqlx::Result<Vec<(Uuid, String)>> {
    let rows = sqlx::query!(
        r#"select pt.post_id, t.name from posts_tags pt join tags t on t.id = pt.tag_id
           order by pt.post_id, pt.sort_order, t.name, t.slug"#
    )
    .fetch_all(tx)
    .await?;
    Ok(rows.into_iter().map(|r| (r.post_id, r.name)).collect())
}

/// Each post's authors' emails, in the order the site shows them.
pub async fn post_authors(tx: &mut PgConnection) -> sqlx::Result<Vec<(Uuid, String)>> {
    let rows = sqlx::query!(
        r#"select pa.post_id, u.email from posts_authors pa join users u on u.id = pa.author_id
           order by pa.post_id, pa.sort_order, u.name, u.email"#
    )
    .fetch_all(tx)
    .await?;
    Ok(rows.into_iter().map(|r| (r.post_id, r.email)).collect())
}

/// Redirects by path: (from, to).
pub async fn redirects(tx: &mut PgConnection) -> sqlx::Result<Vec<(String, String)>> {
    let rows =
        sqlx::query!(r#"select from_path, to_path from redirects order by from_path collate "C""#)
            .fetch_all(tx)
            .await?;
    Ok(rows.into_iter().map(|r| (r.from_path, r.to_path)).collect())
}

/// Settings by key.
pub async fn settings(tx: &mut PgConnection) -> sqlx::Result<Vec<(String, serde_json::Value)>> {
    let rows = sqlx::query!(r#"select key, value from settings order by key collate "C""#)
        .fetch_all(tx)
        .await?;
    Ok(rows.into_iter().map(|r| (r.key, r.value)).collect())
}

pub struct MediaRow {
    pub storage_key: String,
    pub sha256: String,
    pub content_type: String,
    pub bytes: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub variants: sqlx::types::Json<Vec<StoredVariant>>,
    pub alt: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The media library by storage key.
pub async fn media(tx: &mut PgConnection) -> sqlx::Result<Vec<MediaRow>> {
    sqlx::query_as!(
        MediaRow,
        r#"select storage_key, sha256, content_type, bytes, width, height,
                  variants as "variants: sqlx::types::Json<Vec<StoredVariant>>", alt, created_at
           from media order by storage_key collate "C""#
    )
    .fetch_all(tx)
    .await
}
