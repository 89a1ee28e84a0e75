//! Three replicas behind nginx on one database and one S3 bucket: they start together on an
//! empty database, share sessions and media, see each other's changes within a second, and
//! lose no request when one is killed or all are restarted one after another.

use std::process::ExitStatus;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::{Cluster, S3Server, TestDb};
use crate::load::Load;
use crate::support::images::{self, jpeg};
use crate::support::session::{self, PASSWORD, Session};
use crate::{bounded, report, summary};

const TEST: &str = "scaling";
/// `POST /admin/api/session` on `base`.
async fn sign_in(cluster: &Cluster, base: &str, email: &str) -> Session {
    session::sign_in(&cluster.client, base, email, PASSWORD).await
}

/// A call to the admin API on `base` with the session's cookie and CSRF token.
async fn api(
    cluster: &Cluster,
    method: reqwest::Method,
    base: &str,
    path: &str,
    session: &Session,
    body: Option<Value>,
) -> (u16, Value) {
    session::call(&cluster.client, method, base, path, Some(session), body).await
}

/// Uploads a photo through `base` as the editor does (multipart field `file`).
async fn upload(
    client: &reqwest::Client,
    base: &str,
    session: &Session,
    bytes: &[u8],
) -> (u16, Value) {
    images::upload(client, base, session, "photo.jpg", "image/jpeg", bytes).await
}

/// Polls `url` until it answers 200 with a body containing `text`; answers when it did, or
/// `None` past `limit`.
async fn until_served(
    cluster: &Cluster,
    url: &str,
    text: &str,
    limit: Duration,
) -> Option<Instant> {
    let start = Instant::now();
    loop {
        if let Ok(r) = cluster.client.get(url).send().await
            && r.status() == 200
            && r.text().await.is_ok_and(|body| body.contains(text))
        {
            return Some(Instant::now());
        }
        if start.elapsed() > limit {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_behind_nginx_share_everything_and_lose_no_request() {
    if crate::skip() {
        return;
    }
    bounded(Duration::from_secs(90), scaling()).await;
}

async fn scaling() {
    let db = TestDb::empty().await;
    let s3 = S3Server::start().await;

    // three replicas started at the same moment on an empty database
    let (mut cluster, ready) = Cluster::start("scaling", &db.url(), Some(&s3)).await;
    report(
        TEST,
        format!(
            "3 replicas started together on an empty database, ready after {}",
            ready
                .iter()
                .map(|d| format!("{:.0} ms", d.as_secs_f64() * 1000.0))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    let applied: Vec<(i64, i64, bool)> = sqlx::query_as(
        "select version, count(*), bool_and(success) from _sqlx_migrations group by version order by version",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let embedded: Vec<i64> = quire::db::MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| m.version)
        .collect();
    assert_eq!(
        applied.iter().map(|(v, _, _)| *v).collect::<Vec<_>>(),
        embedded,
        "every migration applied"
    );
    assert!(
        applied.iter().all(|(_, n, ok)| *n == 1 && *ok),
        "each migration applied once: {applied:?}"
    );
    let welcome: i64 = sqlx::query_scalar("select count(*) from posts where slug = 'welcome'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(welcome, 1, "the welcome content is written once");
    report(
        TEST,
        format!(
            "_sqlx_migrations: {} rows for {} embedded migrations, each applied once",
            applied.len(),
            embedded.len()
        ),
    );
    let (status, _) = cluster.fetch(&cluster.nginx.url("/readyz")).await;
    assert_eq!(status, 200, "nginx reaches the replicas");

    // the Owner is created through the load balancer, then signs in on replica 1
    let email = "owner@cluster.test";
    let response = cluster
        .client
        .post(cluster.nginx.url("/admin/api/setup"))
        .json(&json!({"name": "Cluster Owner", "email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "setup through nginx");
    let bases: Vec<String> = cluster.replicas.iter().map(|r| r.url("")).collect();
    let session = sign_in(&cluster, &bases[0], email).await;

    // a session made on one replica works on the others
    for base in &bases[1..] {
        let (status, me) = api(
            &cluster,
            reqwest::Method::GET,
            base,
            "/session",
            &session,
            None,
        )
        .await;
        assert_eq!(status, 200, "the session works on {base}");
        assert_eq!(me["user"]["id"], json!(session.user_id.to_string()));
    }
    report(
        TEST,
        "a session made on replica 1 is accepted by replicas 2 and 3",
    );

    // a post published through one replica is served by the other two within a second
    let mut publish_times = Vec::new();
    let mut visible = Vec::new();
    let mut slugs = Vec::new();
    for round in 0..30 {
        let writer = round % 3;
        let title = format!("Cluster post {round:02}");
        let slug = format!("cluster-post-{round:02}");
        let observers: Vec<usize> = (0..3).filter(|&i| i != writer).collect();
        // the observers cache the 404 and the home page as they are before the change
        for &o in &observers {
            let (status, _) = cluster.fetch(&format!("{}/{slug}/", bases[o])).await;
            assert_eq!(status, 404);
            let (status, home) = cluster.fetch(&format!("{}/", bases[o])).await;
            assert_eq!(status, 200);
            assert!(!home.contains(&format!(">{title}<")));
        }
        let sent = Instant::now();
        let (status, post) = api(
            &cluster,
            reqwest::Method::POST,
            &bases[writer],
            "/posts",
            &session,
            Some(json!({"title": title, "slug": slug, "markdown": format!("Published through replica {}.", writer + 1), "status": "published"})),
        )
        .await;
        let answered = Instant::now();
        assert_eq!(
            status,
            201,
            "publish through replica {}: {post}",
            writer + 1
        );
        publish_times.push(answered - sent);
        let polls = observers.iter().map(|&o| {
            let url = format!("{}/{slug}/", bases[o]);
            let cluster = &cluster;
            let title = title.clone();
            async move {
                until_served(cluster, &url, &title, Duration::from_secs(3))
                    .await
                    .map(|at| (o, at))
            }
        });
        for seen in futures_util::future::join_all(polls).await {
            let (o, at) = seen.unwrap_or_else(|| {
                panic!(
                    "{slug}: published through replica {} but not served elsewhere within 3 s",
                    writer + 1
                )
            });
            let took = at.saturating_duration_since(answered);
            assert!(
                took <= Duration::from_secs(1),
                "{slug}: served by replica {} only {took:?} after the publish answered",
                o + 1
            );
            visible.push(took);
            let (_, home) = cluster.fetch(&format!("{}/", bases[o])).await;
            assert!(
                home.contains(&format!(">{title}<")),
                "the home page of replica {} lists {title}",
                o + 1
            );
        }
        slugs.push(slug);
    }
    report(
        TEST,
        format!(
            "publish through one replica (POST /admin/api/posts): {}",
            summary(&publish_times)
        ),
    );
    report(
        TEST,
        format!(
            "post served by the other two replicas, after the publish answered: {}",
            summary(&visible)
        ),
    );

    // an image uploaded through one replica is served through the others
    let (status, image) = upload(&cluster.client, &bases[1], &session, &jpeg(1100, 700, 120)).await;
    assert_eq!(status, 201, "upload through replica 2: {image}");
    let image_url = image["url"].as_str().unwrap().to_owned();
    assert!(
        image_url.starts_with(&cluster.nginx.url("/media/images/")),
        "media are served from the configured public base: {image_url}"
    );
    let (status, post) = api(
        &cluster,
        reqwest::Method::POST,
        &bases[1],
        "/posts",
        &session,
        Some(json!({"title": "Pictured in the cluster", "slug": "pictured", "feature_image": image_url, "markdown": format!("![A card]({image_url})"), "status": "published"})),
    )
    .await;
    assert_eq!(status, 201, "{post}");
    for base in [&bases[0], &bases[2]] {
        let served = until_served(
            &cluster,
            &format!("{base}/pictured/"),
            &image_url,
            Duration::from_secs(1),
        )
        .await;
        assert!(
            served.is_some(),
            "{base} shows the image uploaded elsewhere"
        );
        let (status, library) = api(
            &cluster,
            reqwest::Method::GET,
            base,
            "/images",
            &session,
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert!(
            library.to_string().contains(&image_url),
            "{base} lists the image in the media library"
        );
    }
    let response = cluster.get(&image_url).await;
    assert_eq!(response.status(), 200, "GET {image_url}");
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let bytes = response.bytes().await.unwrap();
    assert!(image::load_from_memory(&bytes).is_ok());
    for variant in image["variants"].as_array().unwrap() {
        let (status, _) = cluster.fetch(variant["url"].as_str().unwrap()).await;
        assert_eq!(status, 200, "{variant}");
    }
    report(
        TEST,
        format!(
            "an image uploaded through replica 2 ({} bytes stored, {} variants) is shown by replicas 1 and 3 and served at its media URL",
            bytes.len(),
            image["variants"].as_array().unwrap().len()
        ),
    );

    // signing out on one replica ends the session everywhere
    let (status, _) = api(
        &cluster,
        reqwest::Method::DELETE,
        &bases[2],
        "/session",
        &session,
        None,
    )
    .await;
    assert_eq!(status, 204);
    for base in &bases[..2] {
        let (status, _) = api(
            &cluster,
            reqwest::Method::GET,
            base,
            "/session",
            &session,
            None,
        )
        .await;
        assert_eq!(status, 401, "signed out on replica 3, so not on {base}");
    }

    cut_listener(&cluster, &db).await;
    check_metrics(&cluster).await;
    let session = sign_in(&cluster, &cluster.nginx.url(""), email).await;
    kill_and_roll(&mut cluster, &s3, &slugs, &session).await;
}

/// A replica whose notification connection is cut converges anyway, and listens again.
async fn cut_listener(cluster: &Cluster, db: &TestDb) {
    let replica = &cluster.replicas[0];
    let name = format!("quire listener {}", replica.pid());
    let listener_pid = || async {
        sqlx::query_scalar::<_, i32>(
            "select pid from pg_stat_activity where datname = current_database() and application_name = $1",
        )
        .bind(&name)
        .fetch_optional(&db.pool)
        .await
        .unwrap()
    };
    let old = listener_pid()
        .await
        .unwrap_or_else(|| panic!("no connection named {name:?} in pg_stat_activity"));
    let url = replica.url("/welcome/");
    let (status, _) = cluster.fetch(&url).await;
    assert_eq!(status, 200, "the welcome post is cached");
    let cut = Instant::now();
    let terminated: bool = sqlx::query_scalar("select pg_terminate_backend($1)")
        .bind(old)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(terminated);
    sqlx::query("update posts set title = 'Changed while nobody listened', updated_at = now() where slug = 'welcome'")
        .execute(&db.pool)
        .await
        .unwrap();
    let changed = Instant::now();
    let seen = until_served(
        cluster,
        &url,
        "Changed while nobody listened",
        Duration::from_secs(5),
    )
    .await
    .expect("a replica that lost its notification connection converges within 5 s");
    let converged = seen - changed;
    assert!(
        converged <= Duration::from_secs(3),
        "converged only after {converged:?}"
    );
    let mut relistened = None;
    while cut.elapsed() < Duration::from_secs(10) {
        if listener_pid().await.is_some_and(|pid| pid != old) {
            relistened = Some(cut.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let relistened = relistened.expect("the replica listens again within 10 s");
    report(
        TEST,
        format!(
            "notification connection of replica 1 terminated: change served after {:.0} ms, listening again after {:.0} ms",
            converged.as_secs_f64() * 1000.0,
            relistened.as_secs_f64() * 1000.0
        ),
    );
}

/// `/metrics` has what an operator needs to watch a cluster.
async fn check_metrics(cluster: &Cluster) {
    let (status, text) = cluster.fetch(&cluster.replicas[1].metrics_url()).await;
    assert_eq!(status, 200);
    let (_, public) = cluster.fetch(&cluster.replicas[1].url("/metrics/")).await;
    assert!(
        !public.contains("quire_http"),
        "/metrics must not be served on the site's port"
    );
    for needle in [
        r#"quire_http_requests_total{route="/{slug}/",method="GET",status="200"}"#,
        r#"quire_http_requests_total{route="/{slug}/",method="GET",status="404"}"#,
        r#"quire_http_request_duration_seconds_count{route="/{slug}/",method="GET",status="200"}"#,
        r#"quire_http_requests_total{route="/admin/api/posts",method="POST",status="201"}"#,
        "quire_page_cache_hits_total ",
        "quire_page_cache_misses_total ",
        "quire_page_cache_invalidations_total ",
        "quire_page_cache_entries ",
        r#"quire_db_pool_connections{state="idle"}"#,
        r#"quire_db_pool_connections{state="used"}"#,
        "quire_db_pool_max_connections 5",
        "quire_content_version ",
        r#"quire_build_info{version=""#,
    ] {
        assert!(text.contains(needle), "/metrics lacks {needle}:\n{text}");
    }
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
            .unwrap_or(-1.0)
    };
    report(
        TEST,
        format!(
            "/metrics of replica 2: page cache {} hits, {} misses, {} invalidations; content version {}",
            value("quire_page_cache_hits_total "),
            value("quire_page_cache_misses_total "),
            value("quire_page_cache_invalidations_total "),
            value("quire_content_version "),
        ),
    );
}

/// Site requests replica `i` has answered since it started (probes and `/metrics` aside).
async fn site_requests(cluster: &Cluster, i: usize) -> u64 {
    let (_, text) = cluster.fetch(&cluster.replicas[i].metrics_url()).await;
    text.lines()
        .filter(|l| l.starts_with("quire_http_requests_total{"))
        .filter(|l| !l.contains(r#"route="/readyz""#) && !l.contains(r#"route="/metrics""#))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// Waits until nginx sends replica `i` traffic again (it keeps a peer that failed aside for
/// `fail_timeout`), as a rolling update waits for the load balancer before the next step.
async fn wait_taking_traffic(cluster: &Cluster, i: usize) -> Duration {
    let start = Instant::now();
    while site_requests(cluster, i).await < 20 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "nginx sends no traffic to replica {} 10 s after it is ready",
            i + 1
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    start.elapsed()
}

/// SIGTERM reaches replica 1 while it processes an image upload (a POST, which nginx would
/// not retry, sent to the replica directly): the upload still succeeds, then the replica exits.
/// The S3 server holds the upload's first write until the signal is sent, so the upload is in
/// flight when it arrives, whatever the machine's speed.
async fn drain_an_upload(
    cluster: &mut Cluster,
    s3: &S3Server,
    session: &Session,
) -> (Duration, ExitStatus) {
    let client = cluster.client.clone();
    let base = cluster.replicas[0].url("");
    let photo = jpeg(2400, 1600, 120);
    let replica = &mut cluster.replicas[0];
    let writes = s3.writes();
    let held = s3.hold_writes();
    let sent = Instant::now();
    let (((status, image), answered), (signalled, (drained, exit))) = tokio::join!(
        async {
            let answer = upload(&client, &base, session, &photo).await;
            (answer, sent.elapsed())
        },
        async {
            s3.wait_for_writes_beyond(writes, Duration::from_secs(20))
                .await;
            let at = replica.signal_terminate();
            drop(held);
            let exit = replica.wait_exit(at, Duration::from_secs(35)).await;
            (at - sent, exit)
        }
    );
    assert_eq!(
        status, 201,
        "an upload in flight at SIGTERM completes: {image}"
    );
    assert!(
        signalled < answered,
        "SIGTERM came {signalled:?} after the upload was sent, after its answer ({answered:?})"
    );
    report(
        TEST,
        format!(
            "SIGTERM {:.0} ms into an image upload on replica 1 (while it stored the image): the upload answered 201 after {:.0} ms, the replica exited {:.0} ms after the signal",
            signalled.as_secs_f64() * 1000.0,
            answered.as_secs_f64() * 1000.0,
            drained.as_secs_f64() * 1000.0
        ),
    );
    (drained, exit)
}

/// Under a steady load through nginx, SIGKILL of one replica, then a rolling restart of all
/// three with SIGTERM, fail no request.
async fn kill_and_roll(cluster: &mut Cluster, s3: &S3Server, slugs: &[String], session: &Session) {
    let mut paths: Vec<String> = [
        "/",
        "/welcome/",
        "/about/",
        "/tag/getting-started/",
        "/rss/",
        "/pictured/",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    paths.extend(slugs.iter().take(6).map(|s| format!("/{s}/")));
    for path in &paths {
        let (status, _) = cluster.fetch(&cluster.nginx.url(path)).await;
        assert_eq!(status, 200, "{path}");
    }
    let load = Load::start(
        &cluster.nginx.url(""),
        &paths,
        8,
        Duration::from_millis(4),
        Duration::from_secs(90),
    );
    // the load runs on every page before anything happens
    load.until_ok(200, Duration::from_secs(10)).await;
    let before_kill = load.tally();

    cluster.replicas[1].kill();
    let killed = Instant::now();
    // down for a while, as a crashed machine is before it is replaced
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let down = killed.elapsed();
    let back = cluster.restart(1).await;
    let traffic = wait_taking_traffic(cluster, 1).await;
    let after_kill = load.tally();
    report(
        TEST,
        format!(
            "replica 2 killed (SIGKILL), started again {:.0} ms later, ready after {:.0} ms, taking traffic again {:.0} ms later; meanwhile {}",
            down.as_secs_f64() * 1000.0,
            back.as_secs_f64() * 1000.0,
            traffic.as_secs_f64() * 1000.0,
            after_kill.since(before_kill)
        ),
    );

    let before_roll = load.tally();
    let mut drains = Vec::new();
    for i in 0..3 {
        let (drained, status) = if i == 0 {
            drain_an_upload(cluster, s3, session).await
        } else {
            cluster.replicas[i].terminate(Duration::from_secs(35)).await
        };
        assert!(
            status.success(),
            "replica {} exits cleanly on SIGTERM: {status}",
            i + 1
        );
        let ready = cluster.restart(i).await;
        let traffic = wait_taking_traffic(cluster, i).await;
        drains.push(format!(
            "replica {}: drained and exited in {:.0} ms, ready again after {:.0} ms, taking traffic {:.0} ms later",
            i + 1,
            drained.as_secs_f64() * 1000.0,
            ready.as_secs_f64() * 1000.0,
            traffic.as_secs_f64() * 1000.0
        ));
    }
    let (total, ran, failures) = load.stop().await;
    let roll = total.since(before_roll);
    report(
        TEST,
        format!("rolling restart with SIGTERM: {}", drains.join("; ")),
    );
    report(TEST, format!("during the rolling restart: {roll}"));
    report(
        TEST,
        format!(
            "load through nginx (8 clients, {:.1} s): {total}, {:.0} requests/s",
            ran.as_secs_f64(),
            total.total() as f64 / ran.as_secs_f64()
        ),
    );
    assert!(total.ok > 1000, "the load ran: {total}");
    assert_eq!(
        total.failed, 0,
        "no request may fail while replicas die and restart: {failures:#?}"
    );
    assert_eq!(total.other, 0, "every page answered 200: {total}");
}
