//! Cluster tests: horizontal scaling proved with real processes. Three `quire serve` processes
//! (the binary this package builds) on loopback ports share one PostgreSQL database and one
//! S3-protocol server (s3s-fs, in this process), behind a real nginx with a configuration of
//! the test's own. The PostgreSQL-restart test runs against a private cluster it creates
//! (initdb + pg_ctl in a temporary directory), so the shared server is never disturbed.
//!
//! The tests print what they measure; `cargo test --test cluster -- --nocapture` shows it, and
//! every run also writes it to `tmp/cluster-figures.txt` in the target directory.
//! They need nginx (`apt-get install nginx-light`) and PostgreSQL's server programs, and fail
//! saying so when either is missing; `QUIRE_SKIP_CLUSTER_TESTS=1` skips them. They run one
//! at a time, each within a time limit (90 s, 60 s); every process they start is stopped when
//! they end, pass or fail.

mod abuse;
mod federation;
mod harness;
mod load;
mod outage;
mod scaling;
#[path = "../support/mod.rs"]
mod support;

use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Where the figures go besides the test output.
pub const FIGURES: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/cluster-figures.txt");

/// One at a time: three replicas, nginx and PostgreSQL are enough for two cores, and timing
/// figures mean more without a second cluster competing.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Whether the cluster tests should be skipped (`QUIRE_SKIP_CLUSTER_TESTS=1`); says so.
pub fn skip() -> bool {
    let skip = std::env::var("QUIRE_SKIP_CLUSTER_TESTS").is_ok_and(|v| !v.is_empty() && v != "0");
    if skip {
        println!("cluster tests skipped: QUIRE_SKIP_CLUSTER_TESTS is set");
    }
    skip
}

/// Prints a figure and appends it to [`FIGURES`] (emptied by the first figure of a run).
pub fn report(test: &str, line: impl std::fmt::Display) {
    static FILE: Mutex<Option<std::fs::File>> = Mutex::new(None);
    let line = format!("[{test}] {line}");
    println!("{line}");
    let mut file = FILE.lock().unwrap_or_else(|e| e.into_inner());
    if file.is_none() {
        *file = std::fs::File::create(FIGURES).ok();
    }
    if let Some(f) = file.as_mut() {
        let _ = writeln!(f, "{line}");
    }
}

/// `min / median / p95 / max` of some durations, in milliseconds.
pub fn summary(durations: &[Duration]) -> String {
    let mut ms: Vec<f64> = durations.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    if ms.is_empty() {
        return "no samples".to_owned();
    }
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    format!(
        "min {:.1} ms, median {:.1} ms, p95 {:.1} ms, max {:.1} ms ({} samples)",
        ms[0],
        at(0.5),
        at(0.95),
        ms[ms.len() - 1],
        ms.len()
    )
}

/// Runs a test body under the serial lock and a time limit. On a time-out the body is dropped
/// while the test panics (so the cluster's guard prints the end of the logs), and with it every
/// process it started.
pub async fn bounded(limit: Duration, body: impl Future<Output = ()>) {
    let _serial = SERIAL.lock().await;
    let mut timed = std::pin::pin!(tokio::time::timeout(limit, body));
    if (&mut timed).await.is_err() {
        panic!("the test did not finish within {limit:?}");
    }
}
