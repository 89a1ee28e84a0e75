//! Site-wide state: the content version that drives cache invalidation, redirects.

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// The content version every replica compares against its own, and whether a scheduled post
/// is due for publication.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct Pulse {
    pub content_version: i64,
    pub scheduled_due: bool,
}

/// One cheap read, run by every replica every second as the safety net of invalidation.
pub async fn pulse(db: impl PgExecutor<'_>) -> sqlx::Result<Pulse> {
    sqlx::query_as!(
        Pulse,
        r#"
        select content_version,
               exists (select 1 from posts where status = 'scheduled' and published_at <= now())
                   as "scheduled_due!"
        from site_state
        "#
    )
    .fetch_one(db)
    .await
}

/// Records that the post `post_id`, published at `from`, now lives at `to`, keeping the
/// redirects free of loops and chains:
/// - a redirect out of `to` is dropped: a live post's address wins;
/// - redirects that led to `from` now lead straight to `to`;
/// - `from` → `to` is stored for this post, unless another post already owns a redirect from
///   `from` (one writer cannot take over another's old address by publishing there).
pub async fn record_move(
    conn: &mut PgConnection,
    post_id: Uuid,
    from: &str,
    to: &str,
) -> sqlx::Result<()> {
    if from == to {
        return Ok(());
    }
    sqlx::query!("delete from redirects where from_path = $1", to)
        .execute(&mut *conn)
        .await?;
    sqlx::query!(
        "update redirects set to_path = $2, post_id = $3 where to_path = $1",
        from,
        to,
        post_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"
        insert into redirects (from_path, to_path, post_id) values ($1, $2, $3)
        on conflict (from_path) do update set to_path = excluded.to_path, post_id = excluded.post_id
        where redirects.post_id is null or redirects.post_id = excluded.post_id
        "#,
        from,
        to,
        post_id
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Where an old path now lives, if anywhere: `(to_path, permanent)`.
pub async fn redirect_for(
    db: impl PgExecutor<'_>,
    path: &str,
) -> sqlx::Result<Option<(String, bool)>> {
    // a redirect to itself would be a loop: such a row (an operator's SQL) is ignored
    let row = sqlx::query!(
        "select to_path, permanent from redirects where from_path = $1 and to_path <> from_path",
        path
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.to_path, r.permanent)))
}

/// Whether the welcome content was written, locking the row until the transaction ends: of
/// replicas starting together, one writes it.
pub async fn lock_seeded(tx: &mut PgConnection) -> sqlx::Result<bool> {
    sqlx::query_scalar!("select seeded from site_state for update")
        .fetch_one(tx)
        .await
}

/// Records that the welcome content was written.
pub async fn mark_seeded(tx: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query!("update site_state set seeded = true")
        .execute(tx)
        .await
        .map(drop)
}

/// Whether a database of this name exists on the server.
pub async fn database_exists(db: impl PgExecutor<'_>, name: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from pg_database where datname = $1) as "exists!""#,
        name
    )
    .fetch_one(db)
    .await
}

/// Creates the database `quire` (the local default's; a name cannot be a parameter).
pub async fn create_quire_database(db: impl PgExecutor<'_>) -> sqlx::Result<()> {
    sqlx::query("create database quire")
        .execute(db)
        .await
        .map(drop)
}

/// The versions of the migrations applied successfully (sqlx's own table; a database without
/// it answers an error).
pub async fn applied_migrations(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("select version from _sqlx_migrations where success")
        .fetch_all(db)
        .await
}
