//! Hostile input: markup in excerpts, impossible dates, NUL bytes, absurd numbers and oversized
//! fields must give a clean answer (a 4xx naming the field, or a page that still renders),
//! never live markup in a feed reader nor a 500.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, TestDb, insert_post};

/// Parses a feed the way feed readers do.
fn parse(body: &[u8]) -> feed_rs::model::Feed {
    feed_rs::parser::parse(body).expect("the feed parses")
}

/// The RSS `<description>` (feed-rs: the entry's summary, HTML by RSS convention) of `slug`.
fn rss_description(feed: &feed_rs::model::Feed, slug: &str) -> String {
    let entry = feed
        .entries
        .iter()
        .find(|e| {
            e.links
                .iter()
                .any(|l| l.href.ends_with(&format!("/{slug}/")))
        })
        .unwrap_or_else(|| panic!("{slug} is in the feed"));
    entry
        .summary
        .as_ref()
        .expect("a description")
        .content
        .clone()
}

#[tokio::test]
async fn rss_descriptions_carry_excerpts_as_text_never_as_markup() {
    let db = TestDb::new().await;
    // a first paragraph that shows HTML in inline code: its plain-text excerpt has `<b>`
    insert_post(
        &db.pool,
        "shows-html",
        "Shows HTML",
        "Write `<b>bold</b>` & see.",
        "published",
    )
    .await;
    let app = TestApp::spawn(&db).await;
    let editor = app.signed_in("editor").await;
    let (status, _) = app
        .api(
            Method::POST,
            "/posts",
            Some(&editor),
            Some(json!({
                "title": "Hostile excerpt",
                "slug": "hostile",
                "markdown": "Body.",
                "excerpt": "<script>alert(1)</script>",
                "status": "published",
            })),
        )
        .await;
    assert_eq!(status, 201);

    let response = app.get("/rss/").await;
    assert_eq!(response.status(), 200);
    let feed = parse(&response.bytes().await.unwrap());

    let hostile = rss_description(&feed, "hostile");
    assert!(
        !hostile.to_ascii_lowercase().contains("<script"),
        "no live script element: {hostile}"
    );
    assert_eq!(hostile, "&lt;script&gt;alert(1)&lt;/script&gt;");

    let shows = rss_description(&feed, "shows-html");
    assert!(!shows.contains("<b>"), "no live element: {shows}");
    assert!(
        shows.contains("&lt;b&gt;bold&lt;/b&gt; &amp; see."),
        "the text is kept, escaped as HTML: {shows}"
    );
}
