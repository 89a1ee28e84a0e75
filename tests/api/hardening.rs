//! What a public blog meets on the open internet: redirects that could be bent off-site or into
//! loops, scans of random URLs, half-sent requests, connection floods, announced giant bodies,
//! images deleted from under a live page, and `/metrics` on the public port.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, TestDb, eventually};
use crate::media::{png, upload};

/// Sends raw bytes on a new connection and reads until the server closes it or `limit` passes.
async fn raw(app: &TestApp, request: &[u8], limit: Duration) -> String {
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(limit, stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// The status of the first answer in a raw response.
fn status_of(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

async fn location(app: &TestApp, path: &str) -> (u16, Option<String>) {
    let response = app.get(path).await;
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    (response.status().as_u16(), location)
}

async fn create(app: &TestApp, session: &crate::helpers::Session, slug: &str) -> (String, i64) {
    let (status, post) = app
        .api(
            Method::POST,
            "/posts",
            Some(session),
            Some(json!({"title": slug, "slug": slug, "status": "published"})),
        )
        .await;
    assert_eq!(status, 201, "{post}");
    (
        post["id"].as_str().unwrap().to_owned(),
        post["version"].as_i64().unwrap(),
    )
}

async fn rename(
    app: &TestApp,
    session: &crate::helpers::Session,
    id: &str,
    version: i64,
    slug: &str,
) -> i64 {
    let (status, post) = app
        .api(
            Method::PUT,
            &format!("/posts/{id}"),
            Some(session),
            Some(json!({"slug": slug, "version": version})),
        )
        .await;
    assert_eq!(status, 200, "{post}");
    post["version"].as_i64().unwrap()
}

#[tokio::test]
async fn redirects_belong_to_their_post_and_never_chain_or_loop() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let editor = app.signed_in("editor").await;
    let author = app.signed_in("author").await;

    // an editor's post moves from /alpha/ to /beta/
    let (x, v) = create(&app, &editor, "alpha").await;
    rename(&app, &editor, &x, v, "beta").await;
    // an author publishes at the free old address, then moves away: the editor's redirect stays
    let (y, v) = create(&app, &author, "alpha").await;
    rename(&app, &author, &y, v, "gamma").await;
    eventually(Duration::from_secs(2), "the redirects settle", || async {
        location(&app, "/gamma/").await.0 == 200
    })
    .await;
    assert_eq!(
        location(&app, "/alpha/").await,
        (301, Some("/beta/".to_owned())),
        "another writer cannot take over a redirect"
    );

    // one → two → three: the first address goes straight to the last
    let (z, v) = create(&app, &editor, "one").await;
    let v = rename(&app, &editor, &z, v, "two").await;
    rename(&app, &editor, &z, v, "three").await;
    eventually(Duration::from_secs(2), "the chain collapses", || async {
        location(&app, "/one/").await == (301, Some("/three/".to_owned()))
    })
    .await;
    assert_eq!(
        location(&app, "/two/").await,
        (301, Some("/three/".to_owned()))
    );

    // A → B → A, then deleted: nothing is left that loops
    let (w, v) = create(&app, &editor, "here").await;
    let v = rename(&app, &editor, &w, v, "there").await;
    rename(&app, &editor, &w, v, "here").await;
    let (status, _) = app
        .api(Method::DELETE, &format!("/posts/{w}"), Some(&editor), None)
        .await;
    assert_eq!(status, 204);
    eventually(
        Duration::from_secs(2),
        "the deleted post is gone",
        || async { location(&app, "/here/").await.0 == 404 },
    )
    .await;
    assert_eq!(location(&app, "/there/").await.0, 404);
    let (loops,): (i64,) = sqlx::query_as(
        "select count(*) from redirects a join redirects b on a.to_path = b.from_path",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(loops, 0, "no redirect leads to another redirect");
}

#[tokio::test]
async fn no_redirect_sends_a_browser_to_another_host() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    for path in [
        "/\\evil%2Eexample",
        "/\\evil.example",
        "//evil.example",
        "/%5Cevil.example",
    ] {
        let response = raw(
            &app,
            format!("GET {path} HTTP/1.1\r\nHost: blog.test\r\nConnection: close\r\n\r\n")
                .as_bytes(),
            Duration::from_secs(5),
        )
        .await;
        let head = response.split("\r\n\r\n").next().unwrap_or("");
        for line in head.lines() {
            if let Some(to) = line.to_ascii_lowercase().strip_prefix("location:") {
                let to = to.trim();
                assert!(
                    !to.starts_with("//") && !to.starts_with("/\\") && !to.contains('\\'),
                    "GET {path} redirects off-site: {line}"
                );
            }
        }
    }
    // a stored redirect that would leave the site is not followed either
    sqlx::query("insert into redirects (from_path, to_path) values ('/old/', '//evil.example/')")
        .execute(&db.pool)
        .await
        .unwrap();
    eventually(
        Duration::from_secs(2),
        "the stored redirect is ignored",
        || async { location(&app, "/old/").await == (404, None) },
    )
    .await;
}

#[tokio::test]
async fn an_unknown_preview_link_shows_the_themed_404() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let response = app.get(&format!("/p/{}/", uuid::Uuid::new_v4())).await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    assert!(response.text().await.unwrap().contains("Page not found"));
}

#[tokio::test]
async fn a_scan_of_random_urls_evicts_no_real_page() {
    let db = TestDb::new().await;
    let app = TestApp::spawn_with(&db, |c| c.cache_mb = 1, None).await;
    let welcome = app.page("/welcome/").await;
    app.state.cache.run_pending_tasks().await;
    let pages = app.state.cache.len();
    for i in 0..300 {
        let response = app.get(&format!("/scan-{i}-{}/", "x".repeat(200))).await;
        assert_eq!(response.status(), 404);
        assert!(response.text().await.unwrap().contains("Page not found"));
    }
    app.state.cache.run_pending_tasks().await;
    assert!(
        app.state.cache.len() <= pages + 1,
        "404s took {} page entries",
        app.state.cache.len() - pages
    );
    // the real page is still served from the cache: no database needed
    app.pool.close().await;
    assert_eq!(app.page("/welcome/").await, welcome);
}

#[tokio::test]
async fn a_half_sent_request_is_cut_off_but_an_idle_keepalive_is_not() {
    let db = TestDb::new().await;
    let app = TestApp::spawn_with(&db, |c| c.connections.header_timeout = 1, None).await;

    let start = Instant::now();
    let response = raw(
        &app,
        b"GET / HTTP/1.1\r\nHost: blog.test\r\nX-Slow: ",
        Duration::from_secs(10),
    )
    .await;
    let waited = start.elapsed();
    assert!(
        waited < Duration::from_secs(5),
        "the connection stayed open {waited:?}"
    );
    assert!(!response.contains("200 OK"), "{response}");

    // a kept-alive connection may wait longer than the header timeout between requests
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let request = b"GET /healthz HTTP/1.1\r\nHost: blog.test\r\n\r\n";
    for _ in 0..2 {
        stream.write_all(request).await.unwrap();
        let mut buf = [0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("an answer")
            .unwrap();
        assert!(
            String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&buf[..n])
        );
        tokio::time::sleep(Duration::from_millis(2500)).await;
    }
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_slot() {
    let db = TestDb::new().await;
    let app = TestApp::spawn_with(&db, |c| c.connections.max_connections = 2, None).await;
    // the readiness probe's pooled connection holds a slot: start from fresh connections
    let first = TcpStream::connect(app.addr).await.unwrap();
    let second = TcpStream::connect(app.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut third = TcpStream::connect(app.addr).await.unwrap();
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: blog.test\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let early = tokio::time::timeout(Duration::from_millis(700), third.read_to_end(&mut buf)).await;
    assert!(early.is_err() && buf.is_empty(), "answered past the cap");
    drop(first);
    drop(second);
    tokio::time::timeout(Duration::from_secs(5), third.read_to_end(&mut buf))
        .await
        .expect("answered once a slot is free")
        .unwrap();
    assert!(String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn an_announced_giant_body_is_refused_before_it_is_sent() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let start = Instant::now();
    let response = raw(
        &app,
        b"POST /admin/api/session HTTP/1.1\r\nHost: blog.test\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{",
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(status_of(&response), 413, "{response}");
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(response.contains(r#""error""#), "{response}");
}

#[tokio::test]
async fn an_image_shown_only_through_a_variant_or_code_injection_cannot_be_deleted() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let editor = app.signed_in("editor").await;
    let mut ids = Vec::new();
    for (i, width) in [1600u32, 1601].into_iter().enumerate() {
        let (status, image) = upload(&app, &editor, &format!("p{i}.png"), &png(width, 900)).await;
        assert_eq!(status, 201, "{image}");
        let variant = image["variants"][0]["url"].as_str().unwrap().to_owned();
        assert!(variant.ends_with("w.webp"), "{variant}");
        ids.push((image["id"].as_str().unwrap().to_owned(), variant));
    }
    // the first is linked by its 600-pixel variant only; the second only from code injection
    crate::helpers::insert_post(
        &db.pool,
        "variant-only",
        "Variant only",
        &format!("![a]({})", ids[0].1),
        "published",
    )
    .await;
    sqlx::query("update posts set codeinjection_foot = $1 where slug = 'welcome'")
        .bind(format!(r#"<img src="{}">"#, ids[1].1))
        .execute(&db.pool)
        .await
        .unwrap();
    for (id, _) in &ids {
        let (status, body) = app
            .api(
                Method::DELETE,
                &format!("/images/{id}"),
                Some(&editor),
                None,
            )
            .await;
        assert_eq!(status, 409, "{body}");
    }
    let (_, list) = app.api(Method::GET, "/images", Some(&editor), None).await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|i| i["used"] == json!(true)),
        "{list}"
    );
}

#[tokio::test]
async fn metrics_are_not_served_on_the_site_port() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    for path in ["/metrics", "/metrics/"] {
        let response = app.get(path).await;
        assert_ne!(response.status(), 200, "{path}");
        assert!(!response.text().await.unwrap().contains("quire_http"));
    }
    assert!(app.metrics().await.contains("quire_http_requests_total"));
}

/// Visitors who hang up while their request is at the database (here searches the cache cannot
/// answer, each in a transaction) leave no connection of the pool inside a transaction: the
/// next request given that connection would run inside it, its writes neither committed nor
/// seen by other replicas, its locks held.
#[tokio::test]
async fn visitors_hanging_up_mid_request_leave_no_transaction_open() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let hurried = reqwest::Client::new();
    // one request at a time, each dropped a little later than the one before (20 µs apart, up
    // to 6 ms): before the database, in the middle of a statement, while a transaction begins
    // or commits (past the 60th, the per-address limit answers: in a transaction too)
    for i in 0..300u64 {
        let _ = hurried
            .get(format!("{}/search/?q=welcome{i}", app.base))
            .timeout(Duration::from_micros(50 + i * 20))
            .send()
            .await;
        // what the replica does when a request is dropped (a rollback) is done by now; a
        // connection still idle inside a transaction is one nothing will end
        tokio::time::sleep(Duration::from_millis(15)).await;
        let open: i64 = sqlx::query_scalar(
            "select count(*) from pg_stat_activity where datname = $1 \
             and state like 'idle in transaction%' \
             and state_change < now() - interval '10 milliseconds'",
        )
        .bind(&db.name)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!(
            open, 0,
            "a connection left inside a transaction after request {i}"
        );
    }
}
