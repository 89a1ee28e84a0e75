//! How committed content changes reach this replica.
//!
//! The database bumps `site_state.content_version` and sends `NOTIFY quire_content` in the
//! same transaction as any change to public content (see the triggers in `migrations/`).
//! Each replica:
//! - listens on `quire_content` and drops its page cache when a notification arrives
//!   (PostgreSQL delivers it at commit, so the change is visible by then);
//! - once a second reads the content version (the "pulse") and drops its cache if it differs
//!   from the last one it saw, which covers notifications lost while the listening connection
//!   was down;
//! - in the same pulse, publishes scheduled posts whose time has come. Every replica may do
//!   it; the update is idempotent and its commit notifies everyone.
//!
//! The pulse also tells readiness: a replica whose database stopped answering reports
//! not-ready on `/readyz` while it keeps serving cached pages.
//!
//! The listening connection is not taken from the request pool: it has a one-connection pool
//! of its own, named `quire listener <pid>` in `pg_stat_activity` (see [`listener_name`]), so
//! an operator can tell which replica it belongs to.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgListener, PgPoolOptions};
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};

use crate::cache::PageCache;
use crate::store;

/// The channel the triggers notify on.
pub const CHANNEL: &str = "quire_content";
/// How often the pulse runs.
pub const PULSE: Duration = Duration::from_secs(1);

/// What the watcher shares with the rest of the replica.
#[derive(Debug)]
pub struct ContentState {
    /// Last content version this replica's cache is known to reflect.
    version: AtomicI64,
    /// Whether the last pulse reached the database.
    db_ok: AtomicBool,
}

impl Default for ContentState {
    fn default() -> Self {
        ContentState {
            version: AtomicI64::new(-1),
            db_ok: AtomicBool::new(false),
        }
    }
}

impl ContentState {
    /// Whether the database answered the last pulse.
    pub fn database_ok(&self) -> bool {
        self.db_ok.load(Ordering::Relaxed)
    }

    /// The content version last seen.
    pub fn version(&self) -> i64 {
        self.version.load(Ordering::Relaxed)
    }

    /// Records `version`; drops the cache if it is new. Versions only grow, so a late
    /// notification never rolls the replica back.
    fn observe(&self, version: i64, cache: &PageCache) {
        let previous = self.version.fetch_max(version, Ordering::AcqRel);
        if version > previous {
            cache.invalidate_all();
            tracing::debug!(version, previous, "content changed; page cache dropped");
        }
    }
}

/// The `application_name` of this process's listening connection: the pool's own name (from
/// `DATABASE_URL`, else `quire`), `listener` and the process id.
pub fn listener_name(pool: &PgPool) -> String {
    let options = pool.connect_options();
    let base = options.get_application_name().unwrap_or("quire");
    format!("{base} listener {}", std::process::id())
}

/// Runs the listener and the pulse until `shutdown` flips to true.
pub fn spawn(
    pool: PgPool,
    cache: Arc<PageCache>,
    state: Arc<ContentState>,
    shutdown: watch::Receiver<bool>,
) {
    // one connection, opened by the listener itself (lazily, so building the state stays sync)
    let listen_pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(3))
        .connect_lazy_with(
            pool.connect_options()
                .as_ref()
                .clone()
                .application_name(&listener_name(&pool)),
        );
    tokio::spawn({
        let (cache, state, shutdown) = (cache.clone(), state.clone(), shutdown.clone());
        async move {
            listen(&listen_pool, cache, state, shutdown).await;
            // the listener was dropped above; let it return its connection, then close
            let _ = tokio::time::timeout(Duration::from_secs(2), listen_pool.close()).await;
        }
    });
    tokio::spawn(pulse(pool, cache, state, shutdown));
}

async fn listen(
    pool: &PgPool,
    cache: Arc<PageCache>,
    state: Arc<ContentState>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut backoff = Duration::from_millis(100);
    let mut connected_before = false;
    loop {
        let mut listener = match connect_listener(pool).await {
            Ok(listener) => {
                backoff = Duration::from_millis(100);
                listener
            }
            Err(_) if *shutdown.borrow() => return,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for content changes; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = shutdown.changed() => return,
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        // anything committed while we were not listening is caught here. Not on the first
        // connection: until then the pulse compared versions every second, as it goes on doing
        if connected_before {
            cache.invalidate_all();
        }
        connected_before = true;
        loop {
            tokio::select! {
                message = listener.try_recv() => match message {
                    Ok(Some(n)) => match n.payload().parse::<i64>() {
                        Ok(version) => state.observe(version, &cache),
                        Err(_) => cache.invalidate_all(),
                    },
                    // the connection dropped; notifications in between are lost, so reconnect
                    // and start from a clean cache
                    Ok(None) | Err(_) => {
                        if *shutdown.borrow() {
                            return;
                        }
                        tracing::warn!("content notification connection lost; reconnecting");
                        break;
                    }
                },
                _ = shutdown.changed() => return,
            }
        }
    }
}

async fn connect_listener(pool: &PgPool) -> sqlx::Result<PgListener> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

async fn pulse(
    pool: PgPool,
    cache: Arc<PageCache>,
    state: Arc<ContentState>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval_at(Instant::now(), PULSE);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut beats: u64 = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        beats += 1;
        if beats.is_multiple_of(HOUSEKEEPING_EVERY) {
            housekeeping(&pool).await;
        }
        match beat(&pool, &cache, &state).await {
            Ok(()) => {
                if !state.db_ok.swap(true, Ordering::Relaxed) {
                    tracing::info!("database reachable");
                }
            }
            Err(e) => {
                if state.db_ok.swap(false, Ordering::Relaxed) {
                    tracing::warn!(error = %e, "database unreachable; serving cached pages only");
                }
            }
        }
    }
}

/// Pulses between two rounds of housekeeping (about ten minutes).
const HOUSEKEEPING_EVERY: u64 = 600;

/// Forgets expired sessions, finished rate-limit windows, jobs finished more than a week
/// ago (the admin lists the recent ones) and old fediverse activities and accounts. Every replica may do it; the deletes are idempotent.
async fn housekeeping(pool: &PgPool) {
    match store::sessions::delete_expired(pool).await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(sessions = n, "removed expired sessions"),
        Err(e) => tracing::debug!(error = %e, "housekeeping skipped"),
    }
    let _ = store::limits::forget_finished(pool).await;
    let _ = store::jobs::forget_finished(pool, JOBS_KEPT).await;
    let _ = store::activitypub::forget_old(pool).await;
}

/// How long finished jobs are kept.
const JOBS_KEPT: Duration = Duration::from_secs(7 * 24 * 3600);

async fn beat(pool: &PgPool, cache: &PageCache, state: &ContentState) -> sqlx::Result<()> {
    let pulse = tokio::time::timeout(PULSE * 2, store::site::pulse(pool))
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)??;
    if pulse.scheduled_due {
        let published = store::posts::publish_due(pool).await?;
        if published > 0 {
            tracing::info!(published, "published scheduled posts");
        }
    }
    state.observe(pulse.content_version, cache);
    Ok(())
}
