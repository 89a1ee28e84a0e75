//! Fixed-window counters in PostgreSQL, so a client cannot spread attempts over replicas.
//!
//! An attempt is counted before it is made, and allowed or refused from the count that the same
//! statement returns: concurrent attempts each see their own number, on any number of replicas,
//! so no more than the limit ever get through in one window.

use sqlx::PgExecutor;

/// Counts one attempt against each key (starting a new window where the old one is over) and
/// answers the seconds until the busiest key that went over its limit is allowed again, if any.
/// `limits[i]` is the number of attempts allowed for `keys[i]` in one window.
pub async fn attempt(
    db: impl PgExecutor<'_>,
    keys: &[String],
    limits: &[i32],
    window_secs: i32,
) -> sqlx::Result<Option<i64>> {
    debug_assert_eq!(keys.len(), limits.len());
    // the rows are locked in key order, so two attempts sharing keys cannot deadlock
    sqlx::query_scalar!(
        r#"
        with counted as (
            insert into rate_limits (key, hits, window_start)
            select k, 1, now() from unnest($1::text[]) k order by k
            on conflict (key) do update set
                hits = case when rate_limits.window_start <= now() - make_interval(secs => $3)
                            then 1 else rate_limits.hits + 1 end,
                window_start = case when rate_limits.window_start <= now() - make_interval(secs => $3)
                                    then now() else rate_limits.window_start end
            returning key, hits, window_start
        )
        select max(ceil(extract(epoch from c.window_start + make_interval(secs => $3) - now())))::bigint
        from counted c join unnest($1::text[], $2::int[]) as l(key, max_hits) on l.key = c.key
        where c.hits > l.max_hits
        "#,
        keys,
        limits,
        f64::from(window_secs),
    )
    .fetch_one(db)
    .await
}

/// After an attempt that succeeded: forgets the counts of `reset` and takes the attempt back
/// from `release`, so only failures use up a window.
pub async fn succeeded(
    db: impl PgExecutor<'_>,
    reset: &[String],
    release: &[String],
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        with forgotten as (delete from rate_limits where key = any($1))
        update rate_limits set hits = greatest(hits - 1, 0) where key = any($2)
        "#,
        reset,
        release,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets the counts of windows that ended more than a day ago.
pub async fn forget_finished(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    sqlx::query!("delete from rate_limits where window_start < now() - interval '1 day'")
        .execute(db)
        .await
        .map(|r| r.rows_affected())
}
