//! Site-wide state: the content version that drives cache invalidation, redirects.

use sqlx::PgExecutor;

/// The content version every replica compares against its own, and whether a scheduled post
/// is due for publication.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct Pulse {
    pub content_version: i64,
    pub scheduled_due: bool,
}

/// One cheap read, run by every replica every second as the safety net of invalidation.
pub async fn pulse(db: impl PgExecutor<'_>) -> sqlx::Result<Pulse> {
    sqlx::query_as(
        r#"
        select content_version,
               exists (select 1 from posts where status = 'scheduled' and published_at <= now())
                   as scheduled_due
        from site_state
        "#,
    )
    .fetch_one(db)
    .await
}

/// Where an old path now lives, if anywhere: `(to_path, permanent)`.
pub async fn redirect_for(
    db: impl PgExecutor<'_>,
    path: &str,
) -> sqlx::Result<Option<(String, bool)>> {
    sqlx::query_as("select to_path, permanent from redirects where from_path = $1")
        .bind(path)
        .fetch_optional(db)
        .await
}
