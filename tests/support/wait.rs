//! Waiting for a state the test can observe, polled with a deadline, instead of sleeping.

use std::time::{Duration, Instant};

/// How long a change committed on one replica may take to be served by another in the api
/// and browser tests. The product's figure is one second, which the cluster test holds and
/// prints; these tests share two cores with builds and browsers, so they allow more and say
/// how long it took.
pub const CONVERGENCE: Duration = Duration::from_secs(5);

/// Polls `check` every `every` until it holds, answering how long that took; `None` past
/// `limit`.
pub async fn within<F, Fut>(limit: Duration, every: Duration, mut check: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return Some(start.elapsed());
        }
        if start.elapsed() > limit {
            return None;
        }
        tokio::time::sleep(every).await;
    }
}

/// Polls `check` until it holds, answering how long it took; panics after `limit`.
pub async fn eventually<F, Fut>(limit: Duration, what: &str, check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    within(limit, Duration::from_millis(10), check)
        .await
        .unwrap_or_else(|| panic!("{what}: not within {limit:?}"))
}

/// Waits until a change is visible, within [`CONVERGENCE`]; answers how long it took and
/// says so when that was longer than the product's one second.
pub async fn converges<F, Fut>(what: &str, check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let took = eventually(CONVERGENCE, what, check).await;
    if took > Duration::from_secs(1) {
        eprintln!(
            "{what}: converged after {took:?}, beyond the one-second figure (a loaded machine?)"
        );
    }
    took
}

/// An HTTP client for loopback servers: no proxy, no redirects, bounded time.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("HTTP client")
}

/// The status of a plain GET (0 when the request fails).
pub async fn status(client: &reqwest::Client, url: &str) -> u16 {
    client
        .get(url)
        .send()
        .await
        .map_or(0, |r| r.status().as_u16())
}

/// Polls `url` (a `/readyz`, a driver's `/status`) until it answers 200; answers how long
/// that took, panicking with `what` past `limit`.
pub async fn until_ok(
    client: &reqwest::Client,
    url: &str,
    what: &str,
    limit: Duration,
) -> Duration {
    within(limit, Duration::from_millis(20), || async {
        status(client, url).await == 200
    })
    .await
    .unwrap_or_else(|| panic!("{what} did not answer 200 at {url} within {limit:?}"))
}
