//! PostgreSQL restarted under load, on a private cluster: the replicas report not-ready, keep
//! serving the pages they hold, and recover by themselves once the database is back.

use std::time::{Duration, Instant};

use crate::harness::{Cluster, PrivatePostgres};
use crate::load::Load;
use crate::{bounded, report};

const TEST: &str = "postgres-restart";

/// Polls `url` until it answers `status` (and, if given, a body containing `text`); answers
/// the time from `since`, or `None` past `limit`.
async fn until(
    client: &reqwest::Client,
    url: &str,
    status: u16,
    text: Option<&str>,
    since: Instant,
    limit: Duration,
) -> Option<Duration> {
    let start = Instant::now();
    loop {
        if let Ok(r) = client.get(url).send().await
            && r.status() == status
            && match text {
                Some(text) => r.text().await.is_ok_and(|body| body.contains(text)),
                None => true,
            }
        {
            return Some(since.elapsed());
        }
        if start.elapsed() > limit {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn list(ds: &[Duration]) -> String {
    ds.iter().map(|d| ms(*d)).collect::<Vec<_>>().join(", ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_postgresql_restarts_replicas_serve_cached_pages_and_recover_by_themselves() {
    if crate::skip() {
        return;
    }
    bounded(Duration::from_secs(60), outage()).await;
}

async fn outage() {
    let (mut pg, took) = PrivatePostgres::start().await;
    report(
        TEST,
        format!(
            "private PostgreSQL cluster on 127.0.0.1:{} initialised and started in {}",
            pg.port,
            ms(took)
        ),
    );
    let pool = pg.create_database("quire").await;
    let (cluster, ready) = Cluster::start("outage", &pg.url("quire"), None).await;
    report(TEST, format!("3 replicas ready after {}", list(&ready)));

    let paths: Vec<String> = [
        "/",
        "/welcome/",
        "/about/",
        "/tag/getting-started/",
        "/rss/",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    // every replica holds every page
    for replica in &cluster.replicas {
        for path in &paths {
            let (status, _) = cluster.fetch(&replica.url(path)).await;
            assert_eq!(status, 200, "{} {path}", replica.name);
        }
    }
    let load = Load::start(
        &cluster.nginx.url(""),
        &paths,
        8,
        Duration::from_millis(4),
        Duration::from_secs(60),
    );
    // the load runs on every page before the database goes away
    load.until_ok(200, Duration::from_secs(10)).await;
    let before = load.tally();

    // the database goes away
    let stopping = Instant::now();
    let stop_took = pg.stop_server().await;
    let readies = cluster.replicas.iter().map(|r| {
        let url = r.url("/readyz");
        let client = &cluster.client;
        async move { until(client, &url, 503, None, stopping, Duration::from_secs(6)).await }
    });
    let not_ready: Vec<Duration> = futures_util::future::join_all(readies)
        .await
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            d.unwrap_or_else(|| {
                panic!("replica {} still ready 6 s after PostgreSQL stopped", i + 1)
            })
        })
        .collect();
    report(
        TEST,
        format!(
            "PostgreSQL stopped (pg_ctl stop -m fast, {}); /readyz answered 503 after {}",
            ms(stop_took),
            list(&not_ready)
        ),
    );

    // meanwhile: alive, not ready, cached pages served
    for replica in &cluster.replicas {
        for path in &paths {
            let (status, _) = cluster.fetch(&replica.url(path)).await;
            assert_eq!(
                status, 200,
                "{} serves its cached {path} while the database is down",
                replica.name
            );
        }
        let (status, _) = cluster.fetch(&replica.url("/healthz")).await;
        assert_eq!(status, 200);
    }
    let asked = Instant::now();
    let (status, _) = cluster
        .fetch(&cluster.replicas[0].url("/not-cached-during-the-outage/"))
        .await;
    let answered = asked.elapsed();
    assert_eq!(status, 503, "a page that needs the database answers 503");
    assert!(answered < Duration::from_secs(6), "and soon: {answered:?}");
    report(
        TEST,
        format!(
            "while it is down: cached pages 200 on every replica, /healthz 200, an uncached page 503 in {}",
            ms(answered)
        ),
    );
    // keep it down a little longer, then check nobody claimed to be ready meanwhile
    let hold = Duration::from_secs(4).saturating_sub(stopping.elapsed());
    tokio::time::sleep(hold).await;
    for replica in &cluster.replicas {
        let (status, _) = cluster.fetch(&replica.url("/readyz")).await;
        assert_eq!(
            status, 503,
            "{} is not ready without a database",
            replica.name
        );
    }
    let during = load.tally().since(before);
    let down_for = stopping.elapsed();

    // the database comes back
    let start_took = pg.start_server().await;
    let back = Instant::now();
    let readies = cluster.replicas.iter().map(|r| {
        let url = r.url("/readyz");
        let client = &cluster.client;
        async move { until(client, &url, 200, None, back, Duration::from_secs(15)).await }
    });
    let recovered: Vec<Duration> = futures_util::future::join_all(readies)
        .await
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            d.unwrap_or_else(|| {
                panic!("replica {} not ready 15 s after PostgreSQL returned", i + 1)
            })
        })
        .collect();
    report(
        TEST,
        format!(
            "PostgreSQL down for {}, started again in {}; replicas ready again after {}",
            ms(down_for),
            ms(start_took),
            list(&recovered)
        ),
    );
    assert!(
        recovered.iter().all(|d| *d < Duration::from_secs(10)),
        "recovered within seconds"
    );

    // the replicas listen again, and changes reach them
    let mut listeners = 0;
    while back.elapsed() < Duration::from_secs(15) {
        listeners = sqlx::query_scalar::<_, i64>(
            "select count(*) from pg_stat_activity where datname = current_database() and application_name like 'quire listener %'",
        )
        .fetch_one(&pool)
        .await
        .unwrap_or(0);
        if listeners == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(listeners, 3, "every replica listens again");
    let relistened = back.elapsed();
    sqlx::query(
        "update posts set title = 'After the restart', updated_at = now() where slug = 'welcome'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let changed = Instant::now();
    for replica in &cluster.replicas {
        let took = until(
            &cluster.client,
            &replica.url("/welcome/"),
            200,
            Some("After the restart"),
            changed,
            Duration::from_secs(3),
        )
        .await
        .unwrap_or_else(|| panic!("{} does not show the change", replica.name));
        assert!(took <= Duration::from_secs(1), "{}: {took:?}", replica.name);
    }
    let (status, _) = cluster
        .fetch(&cluster.replicas[0].url("/not-cached-during-the-outage/"))
        .await;
    assert_eq!(status, 404, "pages render again");
    report(
        TEST,
        format!(
            "all 3 listening again {} after the restart; a change then reached every replica within {}",
            ms(relistened),
            ms(changed.elapsed())
        ),
    );

    let (total, ran, failures) = load.stop().await;
    report(
        TEST,
        format!(
            "load through nginx (8 clients, {:.1} s): {total}; while PostgreSQL was down: {during}",
            ran.as_secs_f64()
        ),
    );
    assert_eq!(
        total.failed, 0,
        "cached pages never fail while PostgreSQL restarts: {failures:#?}"
    );
    assert_eq!(total.other, 0, "{total}");
    assert!(during.ok > 100, "the load ran during the outage: {during}");
}
