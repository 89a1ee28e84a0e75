//! A newcomer's first visit: set up, write, preview, publish, read it on every replica, find
//! it with the site's search.

use std::time::Instant;

use crate::helpers::{TestApp, TestDb, driver, http_status};
use crate::support::wait::converges;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomer_sets_up_writes_previews_and_publishes_a_post_every_replica_serves() {
    let Some(mut driver) = driver().await else {
        return;
    };
    let db = TestDb::new().await;
    let app = TestApp::spawn_at_address(&db).await;
    // another replica on the same database; it has already cached the page as missing
    let replica = TestApp::spawn_at_address(&db).await;
    let slug = "hello-from-chromium";
    assert_eq!(http_status(&replica.url(&format!("/{slug}/"))).await, 404);

    let browser = driver.browser(1280, 900).await;
    browser.open(&app.url("/admin/")).await;
    assert_eq!(
        browser.path().await,
        "/admin/setup",
        "no account yet: setup"
    );

    browser.type_into("#blog-title", "Field Notes").await;
    browser.type_into("#name", "Ada Writer").await;
    browser.type_into("#email", "ada@example.com").await;
    browser
        .type_into("#password", "a long enough password")
        .await;
    browser.click("#setup-form button[type=submit]").await;
    browser.wait_for_path("/admin/editor/").await;
    browser.wait_ready().await;

    browser.type_into("#title", "Hello from Chromium").await;
    assert_eq!(
        browser.value("#slug").await,
        slug,
        "the slug follows the title"
    );
    browser
        .type_into("#markdown", "# Heading\n\nSome **bold** words.")
        .await;
    browser
        .wait_until(
            "the live preview renders the Markdown",
            "const p = document.querySelector('#preview').innerHTML; \
             return p.includes('<strong>bold</strong>') && /<h1[^>]*>.*Heading/.test(p);",
        )
        .await;
    browser
        .wait_until(
            "the word count follows the text",
            "return /^[1-9][0-9]* words? · 1 min read$/.test(document.querySelector('#counts').textContent);",
        )
        .await;

    browser.click("#publish").await;
    browser.wait_for_text("#save-state", "Published at").await;
    let published = Instant::now();
    assert_eq!(browser.text("#post-status").await, "Published");
    assert!(
        browser.path().await.starts_with("/admin/editor/"),
        "the new post has its own editor URL"
    );
    let view = browser
        .find("#view-link")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view, app.url(&format!("/{slug}/")));

    // the other replica serves it soon after the publish is confirmed (the one-second figure
    // is the cluster test's; a loaded machine gets a margin here)
    let path = format!("/{slug}/");
    converges("the other replica serves the new post", || async {
        http_status(&replica.url(&path)).await == 200
    })
    .await;
    eprintln!(
        "published in the browser, served by the other replica {:?} after the confirmation",
        published.elapsed()
    );

    for base in [&app, &replica] {
        browser.client.goto(&base.url(&path)).await.unwrap();
        let html = browser.client.source().await.unwrap();
        assert!(html.contains("Hello from Chromium"), "{html}");
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(html.contains("Field Notes"), "the blog title from setup");
    }

    // a reader finds it from the header: suggestions while typing, then the results page
    browser.client.goto(&app.url("/")).await.unwrap();
    browser.type_into("#site-search-q", "chromi").await;
    browser
        .wait_for_text(".search-suggestions", "Hello from Chromium")
        .await;
    browser.type_into("#site-search-q", "\u{E00C}").await; // Escape
    browser
        .wait_until(
            "Escape closes the suggestions",
            "return document.querySelector('.search-suggestions').hidden;",
        )
        .await;
    // the word finished, Enter submits the form
    browser.type_into("#site-search-q", "um\u{E007}").await;
    browser.wait_for_path("/search/").await;
    browser
        .wait_for_text(".search-results", "Hello from Chromium")
        .await;
    assert_eq!(browser.value("#search-page-q").await, "chromium");
    assert!(browser.text(".search-count").await.contains("1 result"));
    browser.close().await;
}
