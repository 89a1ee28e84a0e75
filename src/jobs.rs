//! Background work from the job queue in PostgreSQL (`store::jobs`), shared by every replica.
//!
//! Each replica runs a few workers. A worker claims a due job (one replica at a time gets
//! it), runs the handler of its kind, then finishes it or schedules it again, later each time
//! (2 s, 4 s, 8 s, ... at most an hour apart) until its attempts are spent. A replica killed
//! mid-job loses nothing: its claim lapses after [`LEASE`] and another replica takes the job.

use std::time::Duration;

use tokio::sync::watch;

use crate::state::AppState;
use crate::store;
use crate::store::jobs::Job;
use crate::webhooks;

/// Workers per replica.
const WORKERS: usize = 2;
/// How long a claim holds a job: longer than any handler runs (a webhook call times out in
/// [`webhooks::CALL_TIMEOUT`]).
pub const LEASE: Duration = Duration::from_secs(60);
/// How long an idle worker waits before looking for due jobs again: the workers of an idle
/// replica ask PostgreSQL once a second between them (a webhook waits two seconds at most).
const IDLE: Duration = Duration::from_secs(2);
/// The longest wait between two attempts of a job.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// The kinds of jobs these workers run.
const KINDS: [&str; 3] = [
    webhooks::EVENT_JOB,
    webhooks::DELIVERY_JOB,
    store::activitypub::PUBLISH_JOB,
];

/// How a job went.
pub enum Done {
    /// Done; the worker records it with this note.
    Note(String),
    /// Done, and already recorded by the handler in the transaction of its own work.
    Recorded,
}

/// Why a job did not get done.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    /// Whether another attempt may do better.
    pub retry: bool,
}

impl Failure {
    pub fn retry(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            retry: true,
        }
    }

    pub fn give_up(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            retry: false,
        }
    }
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Failure::retry(format!("database: {e}"))
    }
}

/// Starts this replica's workers; they stop when `shutdown` flips to true.
pub fn spawn(state: AppState, shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
    let client = webhooks::client()?;
    for _ in 0..WORKERS {
        tokio::spawn(work(state.clone(), client.clone(), shutdown.clone()));
    }
    Ok(())
}

async fn work(s: AppState, client: webhooks::Client, shutdown: watch::Receiver<bool>) {
    worker_loop(shutdown, IDLE, || async {
        match store::jobs::claim(&s.db, &KINDS, LEASE).await {
            Ok(Some(job)) => {
                run(&s, &client, job).await;
                true
            }
            Ok(None) => false,
            Err(e) => {
                tracing::debug!(error = %e, "cannot look for jobs now");
                false
            }
        }
    })
    .await;
}

/// Runs `step` until `shutdown` flips to true, waiting `idle` after each step that found
/// nothing to do (`false`).
pub async fn worker_loop<F, Fut>(mut shutdown: watch::Receiver<bool>, idle: Duration, mut step: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    loop {
        if *shutdown.borrow() {
            return;
        }
        if !step().await {
            tokio::select! {
                _ = tokio::time::sleep(idle) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

async fn run(s: &AppState, client: &webhooks::Client, job: Job) {
    let outcome = match job.kind.as_str() {
        webhooks::EVENT_JOB => webhooks::fan_out(s, &job).await,
        webhooks::DELIVERY_JOB => webhooks::deliver(s, client, &job).await,
        store::activitypub::PUBLISH_JOB => crate::federation::publish(s, &job).await,
        other => Err(Failure::give_up(format!(
            "no worker runs jobs of kind {other}"
        ))),
    };
    let recorded = match outcome {
        Ok(Done::Recorded) => Ok(()),
        Ok(Done::Note(note)) => store::jobs::finish(&s.db, job.id, &note).await,
        Err(failure) => {
            let last = !failure.retry || job.attempt >= job.max_attempts;
            if last {
                tracing::warn!(job = job.id, kind = %job.kind, attempts = job.attempt,
                    error = %failure.message, "job failed; giving up");
            } else {
                tracing::info!(job = job.id, kind = %job.kind, attempt = job.attempt,
                    error = %failure.message, "job failed; will retry");
            }
            store::jobs::failed(
                &s.db,
                job.id,
                &failure.message,
                backoff(job.attempt),
                !failure.retry,
            )
            .await
        }
    };
    if let Err(e) = recorded {
        // the claim lapses and the job runs again: at least once, never lost
        tracing::warn!(job = job.id, error = %e, "cannot record a job's outcome");
    }
}

/// The wait after failed attempt `attempt` (from 1): 2 s, 4 s, 8 s, ... at most an hour.
pub fn backoff(attempt: i32) -> Duration {
    let exponent = u32::try_from(attempt.clamp(1, 12)).unwrap_or(12);
    Duration::from_secs(2u64.pow(exponent)).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_an_hour() {
        let waits: Vec<u64> = (1..=13).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(
            waits,
            [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600]
        );
    }
}
