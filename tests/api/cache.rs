//! The page cache: validators, encodings, and serving without the database.

use std::io::Read;

use crate::helpers::{TestApp, TestDb};

#[tokio::test]
async fn a_second_fetch_with_the_etag_gets_304() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    for path in ["/", "/welcome/", "/no-such-page/"] {
        let first = app.get(path).await;
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        assert!(etag.starts_with('"'), "a strong ETag: {etag}");
        assert!(
            first.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("s-maxage=")
        );
        let second = app.get_with(path, &[("if-none-match", &etag)]).await;
        if path == "/no-such-page/" {
            assert_eq!(second.status(), 404, "errors are never 304");
            continue;
        }
        assert_eq!(second.status(), 304, "{path}");
        assert_eq!(second.headers()["etag"], etag.as_str());
        assert!(second.bytes().await.unwrap().is_empty());
        let other = app
            .get_with(path, &[("if-none-match", "\"something-else\"")])
            .await;
        assert_eq!(other.status(), 200);
    }
}

#[tokio::test]
async fn compressed_variants_decode_to_the_same_page() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let plain = app.get("/welcome/").await;
    let etag = plain.headers()["etag"].to_str().unwrap().to_owned();
    let plain = plain.bytes().await.unwrap();

    let gz = app
        .get_with("/welcome/", &[("accept-encoding", "gzip")])
        .await;
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    assert_eq!(gz.headers()["vary"], "accept-encoding");
    let gz_etag = gz.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(gz_etag, etag, "each encoding has its own strong ETag");
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&gz.bytes().await.unwrap()[..])
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(decoded, plain);

    let br = app
        .get_with("/welcome/", &[("accept-encoding", "gzip, deflate, br")])
        .await;
    assert_eq!(br.headers()["content-encoding"], "br");
    let mut decoded = Vec::new();
    brotli::BrotliDecompress(&mut &br.bytes().await.unwrap()[..], &mut decoded).unwrap();
    assert_eq!(decoded, plain);

    // a validator of any encoding matches
    let revalidated = app
        .get_with("/welcome/", &[("if-none-match", &gz_etag)])
        .await;
    assert_eq!(revalidated.status(), 304);
}

#[tokio::test]
async fn a_cached_page_is_served_without_the_database() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let before = app.page("/welcome/").await;

    // no connection can be made any more: whatever still answers comes from memory
    app.pool.close().await;
    let after = app.page("/welcome/").await;
    assert_eq!(before, after);

    let miss = app.get("/about/").await;
    assert_eq!(miss.status(), 503, "a page never rendered cannot be served");
    assert_eq!(miss.headers()["cache-control"], "no-store");
    assert!(
        miss.text()
            .await
            .unwrap()
            .contains("Temporarily unavailable")
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_cache_hits() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    for _ in 0..3 {
        app.page("/welcome/").await;
    }
    assert_eq!(app.get("/nothing-here/").await.status(), 404);
    let text = app.metrics().await;
    assert!(
        text.contains(r#"quire_http_requests_total{route="/{slug}/",method="GET",status="200"} 3"#),
        "{text}"
    );
    assert!(
        text.contains(r#"quire_http_requests_total{route="/{slug}/",method="GET",status="404"} 1"#),
        "{text}"
    );
    assert!(text.contains("quire_page_cache_hits_total 2"), "{text}");
    assert!(text.contains("quire_page_cache_misses_total"), "{text}");
    assert!(
        text.contains("quire_db_pool_connections{state=\"idle\"}"),
        "{text}"
    );
    assert!(text.contains(r#"quire_build_info{version=""#), "{text}");
    assert!(
        text.contains("quire_http_request_duration_seconds_bucket"),
        "{text}"
    );
}

/// A page's first request renders it through the router and its middleware; later ones are
/// answered from the cache in front of the router. A client must not be able to tell them
/// apart: same status, headers (but `Date`) and body, in every encoding and for 304s.
#[tokio::test]
async fn hits_answered_in_front_of_the_router_are_the_routers_answers() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let without_date = |r: &reqwest::Response| {
        let mut h = r.headers().clone();
        h.remove("date");
        h
    };
    for path in [
        "/welcome/",
        "/",
        "/rss/",
        "/tag/getting-started/",
        "/sitemap.xml",
    ] {
        for encoding in ["identity", "gzip", "br"] {
            app.state.cache.invalidate_all();
            let headers = [("accept-encoding", encoding)];
            let rendered = app.get_with(path, &headers).await;
            let hit = app.get_with(path, &headers).await;
            assert_eq!(rendered.status(), hit.status(), "{path} {encoding}");
            assert_eq!(
                without_date(&rendered),
                without_date(&hit),
                "{path} {encoding}"
            );
            for name in [
                "x-content-type-options",
                "referrer-policy",
                "x-frame-options",
            ] {
                assert!(hit.headers().contains_key(name), "{path}: {name}");
            }
            let etag = hit.headers()["etag"].to_str().unwrap().to_owned();
            assert_eq!(
                rendered.bytes().await.unwrap(),
                hit.bytes().await.unwrap(),
                "{path} {encoding}"
            );
            let again = app
                .get_with(
                    path,
                    &[("accept-encoding", encoding), ("if-none-match", &etag)],
                )
                .await;
            assert_eq!(again.status(), 304, "{path} {encoding}");
            assert_eq!(again.headers()["x-frame-options"], "SAMEORIGIN");
        }
    }
    let text = app.metrics().await;
    assert!(
        text.contains(r#"quire_http_requests_total{route="/{slug}/",method="GET",status="304"} 3"#),
        "{text}"
    );
}
