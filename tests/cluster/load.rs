//! A steady, bounded request load: a few concurrent clients looping over GETs of site pages
//! through the load balancer, counting what came back.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

/// What the clients saw.
#[derive(Default)]
struct Counters {
    ok: AtomicU64,
    /// Answers below 500 other than 200 (not failures, but not expected either).
    other: AtomicU64,
    /// Status 500 or more, or no answer at all.
    failed: AtomicU64,
    /// The first few failures, for the failure message.
    examples: Mutex<Vec<String>>,
}

/// Counts at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub ok: u64,
    pub other: u64,
    pub failed: u64,
}

impl Tally {
    pub fn total(&self) -> u64 {
        self.ok + self.other + self.failed
    }

    /// The requests between `earlier` and this tally.
    pub fn since(&self, earlier: Tally) -> Tally {
        Tally {
            ok: self.ok - earlier.ok,
            other: self.other - earlier.other,
            failed: self.failed - earlier.failed,
        }
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} requests: {} ok, {} other, {} failed",
            self.total(),
            self.ok,
            self.other,
            self.failed
        )
    }
}

/// A running load.
pub struct Load {
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
    tasks: Vec<JoinHandle<()>>,
    started: Instant,
}

impl Load {
    /// Starts `clients` tasks, each sending one GET of `base` + a path every `pause` (round
    /// robin over `paths`), until stopped or `limit` has passed.
    pub fn start(
        base: &str,
        paths: &[String],
        clients: usize,
        pause: Duration,
        limit: Duration,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(Counters::default());
        let urls: Arc<Vec<String>> = Arc::new(paths.iter().map(|p| format!("{base}{p}")).collect());
        let started = Instant::now();
        let tasks = (0..clients)
            .map(|n| {
                let (stop, counters, urls) = (stop.clone(), counters.clone(), urls.clone());
                // one client (and so one connection pool) per task, as separate visitors
                let client = crate::harness::client();
                tokio::spawn(async move {
                    let mut tick = tokio::time::interval(pause);
                    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
                    let mut i = n;
                    while !stop.load(Ordering::Relaxed) && started.elapsed() < limit {
                        tick.tick().await;
                        let url = &urls[i % urls.len()];
                        i += 1;
                        let outcome = match client.get(url).send().await {
                            Ok(r) => {
                                let status = r.status().as_u16();
                                match r.bytes().await {
                                    Ok(_) if status == 200 => Ok(true),
                                    Ok(_) if status < 500 => Ok(false),
                                    Ok(_) => Err(format!("GET {url}: {status}")),
                                    Err(e) => Err(format!("GET {url}: body: {e}")),
                                }
                            }
                            Err(e) => Err(format!("GET {url}: {e}")),
                        };
                        match outcome {
                            Ok(true) => counters.ok.fetch_add(1, Ordering::Relaxed),
                            Ok(false) => counters.other.fetch_add(1, Ordering::Relaxed),
                            Err(e) => {
                                if let Ok(mut examples) = counters.examples.lock()
                                    && examples.len() < 10
                                {
                                    examples.push(format!("{:?}: {e}", started.elapsed()));
                                }
                                counters.failed.fetch_add(1, Ordering::Relaxed)
                            }
                        };
                    }
                })
            })
            .collect();
        Load {
            stop,
            counters,
            tasks,
            started,
        }
    }

    /// The counts so far.
    pub fn tally(&self) -> Tally {
        Tally {
            ok: self.counters.ok.load(Ordering::Relaxed),
            other: self.counters.other.load(Ordering::Relaxed),
            failed: self.counters.failed.load(Ordering::Relaxed),
        }
    }

    /// Waits until the clients have had `ok` answers of 200 (the load is running, on every
    /// path); panics past `limit`.
    pub async fn until_ok(&self, ok: u64, limit: Duration) {
        crate::support::wait::within(limit, Duration::from_millis(10), || async {
            self.tally().ok >= ok
        })
        .await
        .unwrap_or_else(|| {
            panic!(
                "the load had not {ok} answers within {limit:?}: {}",
                self.tally()
            )
        });
    }

    /// Stops the clients; answers the final counts, how long the load ran, and the first
    /// failures seen.
    pub async fn stop(mut self) -> (Tally, Duration, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
        let examples = self
            .counters
            .examples
            .lock()
            .map(|e| e.clone())
            .unwrap_or_default();
        (self.tally(), self.started.elapsed(), examples)
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for task in &self.tasks {
            task.abort();
        }
    }
}
