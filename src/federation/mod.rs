//! The site on the fediverse, beyond discovery (`http::activitypub`): what its inbox does with
//! what other servers send ([`inbox`]), and how its posts reach its followers.
//!
//! When a published post is announced, edited or withdrawn, the database queues an
//! `activitypub.publish` job in the transaction of the change (`migrations/0014_…`). A worker
//! of any replica turns it into one activity, kept once, and one delivery job per inbox (a
//! server's shared inbox once for all its followers). Every replica's delivery workers claim
//! deliveries in small batches (`FOR UPDATE SKIP LOCKED`) and send them side by side, signed;
//! failures are retried with the job queue's backoff, and an inbox that has failed for a week
//! is given up. A replica killed mid-delivery loses nothing: its claims lapse and another
//! replica sends what was not recorded as sent (activities keep their id, so a receiver that
//! got one already drops it).

pub mod inbox;
pub mod objects;
pub mod outgoing;

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use tokio::sync::watch;
use uuid::Uuid;

use crate::jobs::{Done, Failure, backoff};
use crate::state::AppState;
use crate::store;
use crate::store::activitypub::DELIVERY_JOB;
use crate::store::jobs::Job;
use objects::Urls;
use outgoing::{CallError, Client};

/// Delivery loops per replica; each sends a batch side by side, so a slow inbox holds up
/// one loop only.
const DELIVERY_LOOPS: usize = 4;
/// Deliveries a loop claims at once.
const BATCH: i64 = 32;
/// How long a claim holds a delivery: longer than a batch takes (its calls, side by side,
/// each time out after 10 s).
const LEASE: Duration = Duration::from_secs(30);
/// How long an idle loop waits before looking again.
const IDLE: Duration = Duration::from_secs(1);
/// After this long failing, an inbox is given up.
const DEAD_AFTER: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// The site's key pair, read once per replica (made by the first replica to ask).
pub async fn site_key(s: &AppState) -> anyhow::Result<&crate::domain::activitypub::SiteKey> {
    s.activitypub_key
        .get_or_try_init(|| async {
            let pair = store::activitypub::key_pair(&s.db).await?;
            crate::domain::activitypub::SiteKey::new(pair)
        })
        .await
}

/// Starts this replica's delivery loops; they stop when `shutdown` flips to true.
pub fn spawn(state: AppState, shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
    let client = state.activitypub_client.clone();
    for _ in 0..DELIVERY_LOOPS {
        tokio::spawn(deliver_loop(
            state.clone(),
            client.clone(),
            shutdown.clone(),
        ));
    }
    Ok(())
}

async fn deliver_loop(s: AppState, client: Client, shutdown: watch::Receiver<bool>) {
    crate::jobs::worker_loop(shutdown, IDLE, || async {
        match store::jobs::claim_many(&s.db, DELIVERY_JOB, BATCH, LEASE).await {
            Ok(jobs) if !jobs.is_empty() => {
                if let Err(e) = deliver_batch(&s, &client, jobs).await {
                    // the claims lapse and the deliveries are tried again
                    tracing::warn!(error = %e, "cannot deliver activities now");
                }
                true
            }
            Ok(_) => false,
            Err(e) => {
                tracing::debug!(error = %e, "cannot look for deliveries now");
                false
            }
        }
    })
    .await;
}

/// Sends a batch of deliveries side by side, then records how each went: the successes in
/// one statement, the failures one by one (with their own retry time), and the inboxes whose
/// health changed.
async fn deliver_batch(s: &AppState, client: &Client, jobs: Vec<Job>) -> anyhow::Result<()> {
    let key = site_key(s).await?;
    let urls = Urls { site: &s.site_url };
    let ids: Vec<Uuid> = jobs
        .iter()
        .filter_map(|j| j.payload["activity"].as_str())
        .filter_map(|id| Uuid::parse_str(id).ok())
        .collect();
    let bodies: HashMap<Uuid, Bytes> = store::activitypub::activity_bodies(&s.db, &ids)
        .await?
        .into_iter()
        .map(|(id, body)| (id, Bytes::from(body)))
        .collect();
    let inboxes: Vec<&str> = jobs
        .iter()
        .filter_map(|j| j.payload["inbox"].as_str())
        .collect();
    let failing = store::activitypub::failing_inboxes(&s.db, &inboxes).await?;
    let sends = jobs.iter().map(|job| {
        let (bodies, failing, urls) = (&bodies, &failing, &urls);
        async move { deliver_one(client, key, urls, bodies, failing, job).await }
    });
    let outcomes = join_all(sends).await;

    let mut sent = (Vec::new(), Vec::new());
    let mut inbox_changes = Vec::new();
    for (job, outcome) in jobs.iter().zip(outcomes) {
        let inbox = job.payload["inbox"].as_str().unwrap_or_default();
        s.metrics.delivery(match &outcome {
            Ok(_) => "sent",
            Err(f) if f.retry && job.attempt < job.max_attempts => "retry",
            Err(_) => "failed",
        });
        match outcome {
            Ok(note) => {
                sent.0.push(job.id);
                sent.1.push(note);
                if failing.contains_key(inbox) {
                    inbox_changes.push((inbox.to_owned(), None));
                }
            }
            Err(failure) => {
                tracing::info!(job = job.id, %inbox, attempt = job.attempt,
                    retry = failure.retry, error = %failure.message, "delivery failed");
                let delay = backoff(job.attempt);
                if let Err(e) =
                    store::jobs::failed(&s.db, job.id, &failure.message, delay, !failure.retry)
                        .await
                {
                    tracing::warn!(job = job.id, error = %e, "cannot record a delivery");
                }
                inbox_changes.push((inbox.to_owned(), Some(failure.message)));
            }
        }
    }
    // not recorded, the deliveries are made again once their claim lapses
    store::jobs::finish_many(&s.db, &sent.0, &sent.1).await?;
    if !inbox_changes.is_empty() {
        store::activitypub::record_inboxes(&s.db, &inbox_changes).await?;
    }
    Ok(())
}

async fn deliver_one(
    client: &Client,
    key: &crate::domain::activitypub::SiteKey,
    urls: &Urls<'_>,
    bodies: &HashMap<Uuid, Bytes>,
    failing: &HashMap<String, DateTime<Utc>>,
    job: &Job,
) -> Result<String, Failure> {
    let inbox = job.payload["inbox"]
        .as_str()
        .ok_or_else(|| Failure::give_up("the delivery names no inbox"))?;
    let body = job.payload["activity"]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok())
        .and_then(|id| bodies.get(&id))
        .ok_or_else(|| Failure::give_up("the activity is gone"))?;
    if failing
        .get(inbox)
        .is_some_and(|since| Utc::now() - *since > DEAD_AFTER)
    {
        return Err(Failure::give_up(
            "not sent: the inbox has failed for more than a week",
        ));
    }
    match client.deliver(key, urls, inbox, body.clone()).await {
        Ok(status) => Ok(status.as_u16().to_string()),
        Err(CallError::Refused(why)) => Err(Failure::give_up(why)),
        Err(CallError::Status(status))
            if status.is_client_error()
                && status != axum::http::StatusCode::REQUEST_TIMEOUT
                && status != axum::http::StatusCode::TOO_MANY_REQUESTS =>
        {
            Err(Failure::give_up(format!("the inbox answered {status}")))
        }
        Err(e) => Err(Failure::retry(e.to_string())),
    }
}

/// Turns a post's change into its activity and one delivery per follower inbox, in one
/// transaction with the job's end.
pub async fn publish(s: &AppState, job: &Job) -> Result<Done, Failure> {
    let post = job.payload["post"]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| Failure::give_up("the job names no post"))?;
    let verb = match job.payload["verb"].as_str() {
        Some(v @ ("Create" | "Update" | "Delete")) => v,
        _ => return Err(Failure::give_up("the job names no activity")),
    };
    let settings = store::settings::load(&s.db).await?;
    if !settings.activitypub_enabled {
        return Ok(Done::Note("not sent: federation is off".into()));
    }
    let urls = Urls { site: &s.site_url };
    let object = if verb == "Delete" {
        objects::tombstone(&urls, post)
    } else {
        match store::posts::published_post_by_id(&s.db, post).await? {
            Some(p) => objects::article(&urls, &p, settings.posts_as_notes()),
            None => {
                return Ok(Done::Note(
                    "not sent: the post is no longer published".into(),
                ));
            }
        }
    };
    let id = Uuid::new_v4();
    let body = objects::activity(&urls, id, verb, object, Utc::now());
    let mut tx = s.db.begin().await?;
    store::activitypub::save_activity(&mut *tx, id, &body).await?;
    let inboxes = store::activitypub::queue_deliveries_to_followers(&mut *tx, id).await?;
    store::jobs::finish(
        &mut *tx,
        job.id,
        &format!("{verb} {}: {inboxes} deliveries queued", urls.activity(id)),
    )
    .await?;
    tx.commit().await?;
    Ok(Done::Recorded)
}
