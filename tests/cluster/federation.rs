//! The fediverse at scale: three replicas share the deliveries of a post to thousands of
//! follower inboxes (test servers on loopback, in this process, that check each request's
//! signature against the blog's key as a fediverse server does, and answer a little later as
//! a server across the internet would). One replica is killed in the middle of it; every
//! inbox still gets the activity, and an activity's id is delivered again only if the killed
//! replica had it in flight (receivers drop a repeated id, as Mastodon and Fedify do).
//!
//! `bench/fediverse.sh` runs [`deliveries_per_second`] (ignored here): one post to 20,000
//! followers on a few hundred inbox servers, with 1 and then 3 replicas.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use serde_json::Value;

use crate::harness::{Cluster, TestDb};
use crate::{bounded, report};

const TEST: &str = "fediverse";

/// What the test inboxes got.
#[derive(Default)]
struct Received {
    /// Per inbox path and activity id, how many times.
    counts: Mutex<HashMap<(String, String), u32>>,
    /// Requests whose signature did not verify against the blog's key.
    refused: AtomicU64,
    first: Mutex<Option<Instant>>,
    last: Mutex<Option<Instant>>,
}

#[derive(Clone)]
struct Inboxes {
    received: Arc<Received>,
    public_key_pem: Arc<str>,
    delay: Duration,
}

impl Received {
    fn total(&self) -> u64 {
        self.counts
            .lock()
            .unwrap()
            .values()
            .map(|&n| u64::from(n))
            .sum()
    }

    /// Distinct inboxes that got `activity`.
    fn inboxes_with(&self, activity: &str) -> usize {
        self.counts
            .lock()
            .unwrap()
            .keys()
            .filter(|(_, a)| a == activity)
            .count()
    }

    /// Deliveries of an activity to an inbox beyond the first.
    fn repeated(&self, activity: &str) -> u64 {
        self.counts
            .lock()
            .unwrap()
            .iter()
            .filter(|((_, a), _)| a == activity)
            .map(|(_, &n)| u64::from(n - 1))
            .sum()
    }
}

/// An inbox: checks the signature as a fediverse server does (request line, host, date and
/// digest covered, the blog's key), then, after the delay, takes the activity.
async fn inbox(
    State(inboxes): State<Inboxes>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    use quire::domain::http_signature::{Signature, digest_matches, signing_string, verify};
    let text = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let ok = (|| {
        let signature = Signature::parse(text("signature")?).ok()?;
        signature.covers_enough(true).ok()?;
        digest_matches(text("digest")?, &body).then_some(())?;
        let signed = signing_string(&signature.headers, "POST", uri.path(), text).ok()?;
        verify(&inboxes.public_key_pem, &signed, &signature.signature).ok()
    })();
    if ok.is_none() {
        inboxes.received.refused.fetch_add(1, Ordering::Relaxed);
        return StatusCode::UNAUTHORIZED;
    }
    tokio::time::sleep(inboxes.delay).await;
    let activity: Value = serde_json::from_slice(&body).unwrap_or_default();
    let id = activity["id"].as_str().unwrap_or_default().to_owned();
    let now = Instant::now();
    inboxes.received.first.lock().unwrap().get_or_insert(now);
    *inboxes.received.last.lock().unwrap() = Some(now);
    *inboxes
        .received
        .counts
        .lock()
        .unwrap()
        .entry((uri.path().to_owned(), id))
        .or_default() += 1;
    StatusCode::ACCEPTED
}

/// Starts `servers` inbox servers; answers their ports.
async fn start_inboxes(servers: usize, inboxes: Inboxes) -> Vec<u16> {
    let mut ports = Vec::with_capacity(servers);
    for _ in 0..servers {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        ports.push(listener.local_addr().unwrap().port());
        let app = axum::Router::new()
            .fallback(axum::routing::post(inbox))
            .with_state(inboxes.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
    }
    ports
}

/// Makes `followers` accounts follow the blog, each with its own inbox on one of the inbox
/// servers (round robin), and `sharing` more on the first server behind one shared inbox.
async fn follow(pool: &sqlx::PgPool, ports: &[u16], followers: usize, sharing: usize) {
    let ports: Vec<i32> = ports.iter().map(|&p| i32::from(p)).collect();
    sqlx::query(
        "insert into activitypub_actors (id, key_id, public_key_pem, inbox, shared_inbox) \
         select 'http://127.0.0.1:' || port || '/users/' || i, \
                'http://127.0.0.1:' || port || '/users/' || i || '#key', '-', \
                'http://127.0.0.1:' || port || '/users/' || i || '/inbox', \
                case when i > $2 then 'http://127.0.0.1:' || $1[1] || '/shared-inbox' end \
         from generate_series(1, $2 + $3) i, \
              lateral (select $1[1 + (i - 1) % cardinality($1)] as port) p",
    )
    .bind(&ports)
    .bind(followers as i64)
    .bind(sharing as i64)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into activitypub_followers (actor_id, follow_id) \
         select id, id || '#follow' from activitypub_actors",
    )
    .execute(pool)
    .await
    .unwrap();
}

/// Publishes a post as the editor would (the database queues its `Create`).
async fn publish(pool: &sqlx::PgPool, slug: &str) -> uuid::Uuid {
    sqlx::query_scalar(
        "insert into posts (slug, title, markdown, html, status, published_at) \
         values ($1, 'A post for everyone', 'Hello, followers.', '<p>Hello, followers.</p>', \
                 'published', now()) returning id",
    )
    .bind(slug)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The id of the newest activity the blog sent of `verb`.
async fn sent_activity(pool: &sqlx::PgPool, verb: &str, limit: Duration) -> String {
    let start = Instant::now();
    loop {
        let id: Option<String> = sqlx::query_scalar(
            "select body->>'id' from activitypub_activities where body->>'type' = $1 \
             order by created_at desc limit 1",
        )
        .bind(verb)
        .fetch_optional(pool)
        .await
        .unwrap();
        if let Some(id) = id {
            return id;
        }
        assert!(
            start.elapsed() < limit,
            "no {verb} activity within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until `expected` inboxes got `activity`; answers how long it took.
async fn until_delivered(
    received: &Received,
    activity: &str,
    expected: usize,
    limit: Duration,
) -> Duration {
    let start = Instant::now();
    while received.inboxes_with(activity) < expected {
        assert!(
            start.elapsed() < limit,
            "{} of {expected} inboxes got {activity} within {limit:?}",
            received.inboxes_with(activity)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    start.elapsed()
}

/// Each live replica's deliveries so far, from its metrics.
async fn sent_by(cluster: &Cluster, alive: &[usize]) -> Vec<f64> {
    let mut counts = Vec::new();
    for &i in alive {
        let text = cluster
            .client
            .get(cluster.replicas[i].metrics_url())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let sent: f64 = text
            .lines()
            .find(|l| l.starts_with("quire_activitypub_deliveries_total{outcome=\"sent\"}"))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0.0);
        counts.push(sent);
    }
    counts
}

/// `replica 1: 120, replica 3: 98`: what each live replica sent since `before`.
async fn per_replica(cluster: &Cluster, alive: &[usize], before: &[f64]) -> String {
    let now = sent_by(cluster, alive).await;
    alive
        .iter()
        .zip(now.iter().zip(before.iter().chain(std::iter::repeat(&0.0))))
        .map(|(i, (n, b))| format!("replica {}: {:.0}", i + 1, n - b))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn blog_key(cluster: &Cluster) -> String {
    let actor: Value = cluster
        .client
        .get(cluster.nginx.url("/activitypub/actor"))
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    actor["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_deliver_each_activity_to_every_follower_also_when_one_is_killed() {
    if crate::skip() {
        return;
    }
    bounded(Duration::from_secs(120), killed_mid_delivery()).await;
}

async fn killed_mid_delivery() {
    const FOLLOWERS: usize = 3000;
    const SHARING: usize = 200;
    let db = TestDb::empty().await;
    let (mut cluster, _) = Cluster::start("fediverse", &db.url(), None).await;
    let received = Arc::new(Received::default());
    let inboxes = Inboxes {
        received: received.clone(),
        public_key_pem: blog_key(&cluster).await.into(),
        delay: Duration::from_millis(20),
    };
    let ports = start_inboxes(30, inboxes).await;
    follow(&db.pool, &ports, FOLLOWERS, SHARING).await;
    // one delivery per follower with its own inbox, one for those sharing an inbox
    let expected = FOLLOWERS + 1;

    publish(&db.pool, "for-everyone").await;
    let create = sent_activity(&db.pool, "Create", Duration::from_secs(10)).await;
    // kill replica 2 once a fifth of the inboxes have the post
    let start = Instant::now();
    while received.inboxes_with(&create) < expected / 5 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "deliveries did not start"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let at_kill = received.inboxes_with(&create);
    cluster.replicas[1].kill();
    until_delivered(&received, &create, expected, Duration::from_secs(60)).await;
    let took = start.elapsed();
    let repeated = received.repeated(&create);
    report(
        TEST,
        format!(
            "Create to {expected} inboxes ({FOLLOWERS} own + 1 shared by {SHARING} followers), \
             replica 2 killed after {at_kill}: all delivered in {:.1} s (what it had claimed \
             waits for its lease to lapse); {repeated} repeated deliveries (in flight on the \
             killed replica); by the survivors: {}",
            took.as_secs_f64(),
            per_replica(&cluster, &[0, 2], &[]).await
        ),
    );
    assert_eq!(
        received.refused.load(Ordering::Relaxed),
        0,
        "every signature verified"
    );
    // only what the killed replica had claimed and not recorded can go twice: at most its
    // loops' batches (4 × 32)
    assert!(repeated <= 128, "{repeated} repeated deliveries");
    let shared = received
        .counts
        .lock()
        .unwrap()
        .keys()
        .filter(|(path, a)| path == "/shared-inbox" && a == &create)
        .count();
    assert_eq!(shared, 1, "one delivery for the followers sharing an inbox");

    // back to three, an edit: every inbox gets the Update exactly once
    cluster.restart(1).await;
    let before = sent_by(&cluster, &[0, 1, 2]).await;
    sqlx::query(
        "update posts set title = 'A post for everyone, edited' where slug = 'for-everyone'",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let update = sent_activity(&db.pool, "Update", Duration::from_secs(10)).await;
    let took = until_delivered(&received, &update, expected, Duration::from_secs(60)).await;
    assert_eq!(
        received.repeated(&update),
        0,
        "no inbox got the Update twice"
    );
    report(
        TEST,
        format!(
            "Update to {expected} inboxes with 3 replicas: {:.1} s, each exactly once; sent by {}",
            took.as_secs_f64(),
            per_replica(&cluster, &[0, 1, 2], &before).await
        ),
    );
    let pending: i64 = sqlx::query_scalar(
        "select count(*) from jobs where kind like 'activitypub.%' and state <> 'done'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(pending, 0, "every delivery job is done");
    assert!(received.total() as usize >= 2 * expected);
}

/// The delivery benchmark (`bench/fediverse.sh`): one post to `QUIRE_BENCH_FOLLOWERS`
/// (20,000) followers on `QUIRE_BENCH_INBOX_SERVERS` (300) inbox servers that answer after
/// `QUIRE_BENCH_INBOX_MS` (20 ms), with 1 replica and then with 3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: bench/fediverse.sh runs it"]
async fn deliveries_per_second() {
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let followers = env("QUIRE_BENCH_FOLLOWERS", 20_000);
    let servers = env("QUIRE_BENCH_INBOX_SERVERS", 300);
    let delay = Duration::from_millis(env("QUIRE_BENCH_INBOX_MS", 20) as u64);
    let _serial = crate::SERIAL.lock().await;
    let mut rates = Vec::new();
    for replicas in [1, 3] {
        let db = TestDb::empty().await;
        let (mut cluster, _) = Cluster::start("fediverse-bench", &db.url(), None).await;
        for i in replicas..3 {
            cluster.replicas[i].kill();
        }
        let received = Arc::new(Received::default());
        let inboxes = Inboxes {
            received: received.clone(),
            public_key_pem: blog_key(&cluster).await.into(),
            delay,
        };
        let ports = start_inboxes(servers, inboxes).await;
        follow(&db.pool, &ports, followers, 0).await;
        let cpu = |cluster: &Cluster| -> u64 {
            (0..replicas)
                .map(|i| crate::support::process::cpu_ticks(cluster.replicas[i].pid()))
                .sum()
        };
        let cpu_before = cpu(&cluster);
        let published = Instant::now();
        publish(&db.pool, "bench").await;
        let create = sent_activity(&db.pool, "Create", Duration::from_secs(30)).await;
        until_delivered(&received, &create, followers, Duration::from_secs(900)).await;
        let total = published.elapsed();
        // ticks are hundredths of a second: milliseconds per delivery
        let cpu_ms = (cpu(&cluster) - cpu_before) as f64 * 10.0 / followers as f64;
        let first = received.first.lock().unwrap().unwrap();
        let last = received.last.lock().unwrap().unwrap();
        let sending = last - first;
        let rate = followers as f64 / sending.as_secs_f64();
        rates.push(rate);
        report(
            "fediverse bench",
            format!(
                "{replicas} replica(s): {followers} followers on {servers} inbox servers \
                 ({} ms each): first delivery {:.2} s after publishing, all in {:.1} s: \
                 {rate:.0} deliveries/s, {cpu_ms:.2} ms of replica CPU each; {}; {} refused, \
                 {} repeated",
                delay.as_millis(),
                (first - published).as_secs_f64(),
                total.as_secs_f64(),
                per_replica(&cluster, &(0..replicas).collect::<Vec<_>>(), &[]).await,
                received.refused.load(Ordering::Relaxed),
                received.repeated(&create),
            ),
        );
    }
    report(
        "fediverse bench",
        format!(
            "3 replicas deliver {:.2}× as fast as 1",
            rates[1] / rates[0]
        ),
    );
}
