//! The job queue every replica works from (see `migrations/0009_jobs_and_webhooks.sql`).
//!
//! A worker claims a due job, which holds it for a lease; it then finishes it, or schedules it
//! again for later. Claiming skips jobs another worker has locked, so each job is run by one
//! replica at a time; a job whose worker died is claimed again once its lease has passed.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgExecutor;

/// A job as a worker gets it.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: Value,
    /// This attempt's number, from 1.
    pub attempt: i32,
    pub max_attempts: i32,
}

/// Queues a job of `kind`, due now.
pub async fn enqueue(db: impl PgExecutor<'_>, kind: &str, payload: &Value) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into jobs (kind, payload) values ($1, $2) returning id",
        kind,
        payload
    )
    .fetch_one(db)
    .await
}

/// Claims the next due job of one of `kinds` for `lease`, counting the attempt; `None` when
/// none is due.
pub async fn claim(
    db: impl PgExecutor<'_>,
    kinds: &[&str],
    lease: Duration,
) -> sqlx::Result<Option<Job>> {
    let kinds: Vec<String> = kinds.iter().map(|k| (*k).to_owned()).collect();
    let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
    sqlx::query_as!(
        Job,
        r#"update jobs set attempts = attempts + 1,
                  locked_until = now() + make_interval(secs => $2::bigint / 1000.0)
           where id = (
               select id from jobs
               where state = 'pending' and run_at <= now() and kind = any($1)
                 and (locked_until is null or locked_until < now())
               order by run_at, id
               limit 1
               for update skip locked)
           returning id, kind, payload, attempts as attempt, max_attempts"#,
        &kinds,
        lease_ms
    )
    .fetch_optional(db)
    .await
}

/// Claims up to `limit` due jobs of `kind` at once for `lease`, counting an attempt of each
/// (deliveries, which are sent side by side).
pub async fn claim_many(
    db: impl PgExecutor<'_>,
    kind: &str,
    limit: i64,
    lease: Duration,
) -> sqlx::Result<Vec<Job>> {
    let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
    sqlx::query_as::<_, (i64, String, Value, i32, i32)>(
        "update jobs set attempts = attempts + 1, \
                locked_until = now() + make_interval(secs => $3::bigint / 1000.0) \
         where id in ( \
             select id from jobs \
             where state = 'pending' and run_at <= now() and kind = $1 \
               and (locked_until is null or locked_until < now()) \
             order by run_at, id \
             limit $2 \
             for update skip locked) \
         returning id, kind, payload, attempts, max_attempts",
    )
    .bind(kind)
    .bind(limit)
    .bind(lease_ms)
    .fetch_all(db)
    .await
    .map(|rows| {
        rows.into_iter()
            .map(|(id, kind, payload, attempt, max_attempts)| Job {
                id,
                kind,
                payload,
                attempt,
                max_attempts,
            })
            .collect()
    })
}

/// Marks a job done, with what its last attempt said.
pub async fn finish(db: impl PgExecutor<'_>, id: i64, result: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "update jobs set state = 'done', finished_at = now(), locked_until = null,
                last_result = $2
         where id = $1",
        id,
        result
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Marks jobs done at once, each with what its attempt said.
pub async fn finish_many(
    db: impl PgExecutor<'_>,
    ids: &[i64],
    results: &[String],
) -> sqlx::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "update jobs set state = 'done', finished_at = now(), locked_until = null, \
                last_result = d.result \
         from unnest($1::bigint[], $2::text[]) as d(id, result) where jobs.id = d.id",
    )
    .bind(ids)
    .bind(results)
    .execute(db)
    .await?;
    Ok(())
}

/// Records a failed attempt: the job runs again after `delay`, or, its attempts spent (or
/// `give_up`), is marked failed.
pub async fn failed(
    db: impl PgExecutor<'_>,
    id: i64,
    result: &str,
    delay: Duration,
    give_up: bool,
) -> sqlx::Result<()> {
    let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
    sqlx::query!(
        "update jobs set locked_until = null, last_result = $2,
                state = case when $4 or attempts >= max_attempts then 'failed' else 'pending' end,
                finished_at = case when $4 or attempts >= max_attempts then now() end,
                run_at = now() + make_interval(secs => $3::bigint / 1000.0)
         where id = $1",
        id,
        result,
        delay_ms,
        give_up
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets finished jobs older than `age`.
pub async fn forget_finished(db: impl PgExecutor<'_>, age: Duration) -> sqlx::Result<u64> {
    let age_s = i64::try_from(age.as_secs()).unwrap_or(i64::MAX);
    Ok(sqlx::query!(
        "delete from jobs where state <> 'pending'
           and finished_at < now() - make_interval(secs => $1::bigint)",
        age_s
    )
    .execute(db)
    .await?
    .rows_affected())
}

/// A webhook delivery as the admin lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: Option<String>,
    pub integration: Option<String>,
    pub event: Option<String>,
    pub target_url: Option<String>,
    /// `pending`, `sending` (an attempt under way: claimed, its lease not over), `done` or
    /// `failed`.
    pub state: String,
    pub attempts: i32,
    pub last_result: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// When the next attempt is due, for a pending delivery.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// The latest `limit` webhook deliveries, newest first.
pub async fn recent_deliveries(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<Delivery>> {
    sqlx::query_as!(
        Delivery,
        r#"select j.id, j.payload->>'webhook' as webhook_id, i.name as "integration?",
                  j.payload->>'event' as event, w.target_url as "target_url?",
                  case when j.state = 'pending' and j.locked_until > now() then 'sending'
                       else j.state end as "state!",
                  j.attempts, j.last_result, j.created_at, j.finished_at,
                  case when j.state = 'pending' and not coalesce(j.locked_until > now(), false)
                       then j.run_at end as next_attempt_at
           from jobs j
           left join webhooks w on w.id::text = j.payload->>'webhook'
           left join integrations i on i.id = w.integration_id
           where j.kind = 'webhook.delivery'
           order by j.created_at desc, j.id desc
           limit $1"#,
        limit
    )
    .fetch_all(db)
    .await
}
