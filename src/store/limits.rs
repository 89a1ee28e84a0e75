//! Fixed-window counters in PostgreSQL, so a client cannot spread attempts over replicas.

use sqlx::PgExecutor;

/// Seconds until the busiest of `keys` is below `limit` again, if any of them has reached it.
pub async fn blocked_for(
    db: impl PgExecutor<'_>,
    keys: &[String],
    limit: i32,
    window_secs: i32,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        r#"
        select max(ceil(extract(epoch from window_start + make_interval(secs => $3) - now())))::bigint
        from rate_limits
        where key = any($1) and hits >= $2 and window_start > now() - make_interval(secs => $3)
        "#,
    )
    .bind(keys)
    .bind(limit)
    .bind(f64::from(window_secs))
    .fetch_one(db)
    .await
}

/// Counts one hit against each key, starting a new window where the old one is over.
pub async fn hit(db: impl PgExecutor<'_>, keys: &[String], window_secs: i32) -> sqlx::Result<()> {
    sqlx::query(
        r#"
        insert into rate_limits (key, hits, window_start)
        select k, 1, now() from unnest($1::text[]) k
        on conflict (key) do update set
            hits = case when rate_limits.window_start <= now() - make_interval(secs => $2)
                        then 1 else rate_limits.hits + 1 end,
            window_start = case when rate_limits.window_start <= now() - make_interval(secs => $2)
                                then now() else rate_limits.window_start end
        "#,
    )
    .bind(keys)
    .bind(f64::from(window_secs))
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets the counts of `keys` (after a successful sign-in).
pub async fn reset(db: impl PgExecutor<'_>, keys: &[String]) -> sqlx::Result<()> {
    sqlx::query("delete from rate_limits where key = any($1)")
        .bind(keys)
        .execute(db)
        .await?;
    Ok(())
}
