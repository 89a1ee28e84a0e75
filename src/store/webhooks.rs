//! Webhooks: an integration's, each called on one event.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;
use uuid::Uuid;

/// A webhook as the admin and Ghost's Admin API show it (the secret is never shown back).
#[derive(Debug, Clone, Serialize)]
pub struct Webhook {
    pub id: Uuid,
    pub integration_id: Uuid,
    pub event: String,
    pub target_url: String,
    pub name: Option<String>,
    #[serde(skip)]
    pub secret: Option<String>,
    pub api_version: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_triggered_at: Option<DateTime<Utc>>,
    pub last_triggered_status: Option<String>,
    pub last_triggered_error: Option<String>,
}

/// What a webhook is made of.
pub struct WebhookFields<'a> {
    pub event: &'a str,
    pub target_url: &'a str,
    pub name: Option<&'a str>,
    pub secret: Option<&'a str>,
}

/// The webhooks of `integration` and listening to `event`, each when given, oldest first.
pub async fn list(
    db: impl PgExecutor<'_>,
    integration: Option<Uuid>,
    event: Option<&str>,
) -> sqlx::Result<Vec<Webhook>> {
    sqlx::query_as!(
        Webhook,
        "select id, integration_id, event, target_url, name, secret, api_version, created_at,
                updated_at, last_triggered_at, last_triggered_status, last_triggered_error
         from webhooks
         where ($1::uuid is null or integration_id = $1) and ($2::text is null or event = $2)
         order by created_at, id",
        integration,
        event
    )
    .fetch_all(db)
    .await
}

pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Webhook>> {
    sqlx::query_as!(
        Webhook,
        "select id, integration_id, event, target_url, name, secret, api_version, created_at,
                updated_at, last_triggered_at, last_triggered_status, last_triggered_error
         from webhooks where id = $1",
        id
    )
    .fetch_optional(db)
    .await
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    integration: Uuid,
    f: &WebhookFields<'_>,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "insert into webhooks (integration_id, event, target_url, name, secret)
         values ($1, $2, $3, $4, $5) returning id",
        integration,
        f.event,
        f.target_url,
        f.name,
        f.secret
    )
    .fetch_one(db)
    .await
}

/// Changes a webhook of `integration`; false if it has none by that id.
pub async fn update(
    db: impl PgExecutor<'_>,
    integration: Uuid,
    id: Uuid,
    f: &WebhookFields<'_>,
) -> sqlx::Result<bool> {
    Ok(sqlx::query!(
        "update webhooks set event = $3, target_url = $4, name = $5, secret = $6,
                updated_at = now()
         where id = $2 and integration_id = $1",
        integration,
        id,
        f.event,
        f.target_url,
        f.name,
        f.secret
    )
    .execute(db)
    .await?
    .rows_affected()
        > 0)
}

/// Deletes a webhook (of `integration`, when given); false if there is none.
pub async fn delete(
    db: impl PgExecutor<'_>,
    integration: Option<Uuid>,
    id: Uuid,
) -> sqlx::Result<bool> {
    Ok(sqlx::query!(
        "delete from webhooks where id = $1 and ($2::uuid is null or integration_id = $2)",
        id,
        integration
    )
    .execute(db)
    .await?
    .rows_affected()
        > 0)
}

/// Records how the last call went: the receiver's status, or why there was none.
pub async fn record_attempt(
    db: impl PgExecutor<'_>,
    id: Uuid,
    status: Option<u16>,
    error: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update webhooks set last_triggered_at = now(), last_triggered_status = $2,
                last_triggered_error = $3
         where id = $1",
        id,
        status.map(|s| s.to_string()),
        error
    )
    .execute(db)
    .await?;
    Ok(())
}
