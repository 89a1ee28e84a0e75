//! Integrations: named holders of a Content API key and an Admin API key.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;
use uuid::Uuid;

/// An integration as the admin lists it: its Content API key, and of its Admin API key only
/// the id (the secret is shown once, when it is made).
#[derive(Debug, Clone, Serialize)]
pub struct Integration {
    pub id: Uuid,
    pub name: String,
    pub content_key: String,
    pub admin_key_id: String,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The keys of a new integration.
pub struct NewKeys<'a> {
    pub content_key: &'a str,
    pub admin_key_id: &'a str,
    pub admin_secret: &'a str,
}

pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Integration>> {
    sqlx::query_as!(
        Integration,
        r#"select i.id, i.name, i.content_key, i.admin_key_id, u.name as "created_by?", i.created_at
           from integrations i left join users u on u.id = i.created_by
           order by i.created_at, i.id"#
    )
    .fetch_all(db)
    .await
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    name: &str,
    keys: &NewKeys<'_>,
    created_by: Uuid,
) -> sqlx::Result<Integration> {
    sqlx::query_as!(
        Integration,
        r#"with made as (
               insert into integrations (name, content_key, admin_key_id, admin_secret, created_by)
               values ($1, $2, $3, $4, $5)
               returning id, name, content_key, admin_key_id, created_by, created_at
           )
           select m.id, m.name, m.content_key, m.admin_key_id, u.name as "created_by?", m.created_at
           from made m left join users u on u.id = m.created_by"#,
        name,
        keys.content_key,
        keys.admin_key_id,
        keys.admin_secret,
        created_by,
    )
    .fetch_one(db)
    .await
}

/// Deletes an integration; its keys stop working. Answers whether there was one.
pub async fn delete(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query!("delete from integrations where id = $1", id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Every integration's Content API key.
pub async fn content_keys(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!("select content_key from integrations")
        .fetch_all(db)
        .await
}

/// The integration an Admin API key belongs to and the key's secret, by the key's id.
pub async fn admin_key(
    db: impl PgExecutor<'_>,
    key_id: &str,
) -> sqlx::Result<Option<(Uuid, String)>> {
    let row = sqlx::query!(
        "select id, admin_secret from integrations where admin_key_id = $1",
        key_id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.id, r.admin_secret)))
}
