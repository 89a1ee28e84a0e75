//! Uploaded images and their variants.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;
use sqlx::{FromRow, PgExecutor};
use uuid::Uuid;

use crate::domain::image::StoredImage;
pub use crate::domain::image::StoredVariant;

/// One uploaded image.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Media {
    pub id: Uuid,
    pub storage_key: String,
    pub sha256: String,
    pub content_type: String,
    pub bytes: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub variants: Json<Vec<StoredVariant>>,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, storage_key, sha256, content_type, bytes, width, height, variants, created_at";

pub async fn by_sha256(db: impl PgExecutor<'_>, sha256: &str) -> sqlx::Result<Option<Media>> {
    sqlx::query_as!(
        Media,
        r#"select id, storage_key, sha256, content_type, bytes, width, height,
                  variants as "variants: Json<Vec<StoredVariant>>", created_at
           from media where sha256 = $1"#,
        sha256
    )
    .fetch_optional(db)
    .await
}

/// The images among these storage keys.
pub async fn by_keys(db: impl PgExecutor<'_>, keys: &[String]) -> sqlx::Result<Vec<Media>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as!(
        Media,
        r#"select id, storage_key, sha256, content_type, bytes, width, height,
                  variants as "variants: Json<Vec<StoredVariant>>", created_at
           from media where storage_key = any($1)"#,
        keys
    )
    .fetch_all(db)
    .await
}

/// Adds the row of an image just stored, uploaded by `uploaded_by`.
pub async fn insert(
    db: impl PgExecutor<'_>,
    m: &StoredImage,
    uploaded_by: Option<Uuid>,
) -> sqlx::Result<Media> {
    sqlx::query_as!(
        Media,
        r#"insert into media (storage_key, sha256, content_type, bytes, width, height, variants, uploaded_by)
           values ($1, $2, $3, $4, $5, $6, $7, $8)
           returning id, storage_key, sha256, content_type, bytes, width, height,
                  variants as "variants: Json<Vec<StoredVariant>>", created_at"#,
        m.key,
        m.sha256,
        m.content_type,
        m.bytes,
        i32::try_from(m.width).unwrap_or(i32::MAX),
        i32::try_from(m.height).unwrap_or(i32::MAX),
        Json(&m.variants) as _,
        uploaded_by,
    )
    .fetch_one(db)
    .await
}

/// Whether anything shows the image `m`: a post or page (its Markdown, HTML, feature image or
/// code injection, drafts included), a tag, a staff profile or a setting. The needle is the key
/// without its extension, which every variant's key (`stem-600w.webp`) starts with too, so an
/// image linked only by one of its variants counts as used.
const USED: &str = r#"
    exists (select 1 from posts p
            where strpos(concat_ws(' ', p.markdown, p.html, p.feature_image, p.codeinjection_head,
                                   p.codeinjection_foot), u.stem) > 0)
    or exists (select 1 from tags t where strpos(concat_ws(' ', t.feature_image, t.description), u.stem) > 0)
    or exists (select 1 from users s
               where strpos(concat_ws(' ', s.avatar_url, s.cover_image, s.bio), u.stem) > 0)
    or exists (select 1 from settings s where strpos(s.value::text, u.stem) > 0)"#;

/// The part of a storage key every variant's key shares.
const STEM: &str =
    r#"cross join lateral (select regexp_replace(m.storage_key, '\.[^./]*$', '') as stem) u"#;

#[derive(FromRow)]
struct MediaUse {
    #[sqlx(flatten)]
    media: Media,
    used: bool,
}

/// Every image, newest first, with whether anything shows it (see [`USED`]).
pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(Media, bool)>> {
    let rows: Vec<MediaUse> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS}, {USED} as used from media m {STEM} order by created_at desc"
    )))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.media, r.used)).collect())
}

/// One image, with whether anything shows it.
pub async fn with_use(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<(Media, bool)>> {
    let row: Option<MediaUse> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS}, {USED} as used from media m {STEM} where m.id = $1"
    )))
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.media, r.used)))
}

pub async fn delete(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Media>> {
    sqlx::query_as!(
        Media,
        r#"delete from media where id = $1
           returning id, storage_key, sha256, content_type, bytes, width, height,
                  variants as "variants: Json<Vec<StoredVariant>>", created_at"#,
        id
    )
    .fetch_optional(db)
    .await
}
