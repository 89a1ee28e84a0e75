//! The writer's polish: a scheduled post going live under an open editor and then updated
//! without a conflict; the feature image's alt text, caption and "featured" switch reaching
//! the site; Markdown shortcuts and Esc; pending invitations listed and revoked; a profile
//! edited by its owner.

use fantoccini::key::Key;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{ApiSession, Browser, TestApp, TestDb, create_staff, driver};

async fn page_source(app: &TestApp, path: &str) -> String {
    reqwest::get(app.url(path))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_post_goes_live_under_its_open_editor_and_updates_without_a_conflict() {
    let Some(mut driver) = driver().await else {
        return;
    };
    let db = TestDb::new().await;
    let app = TestApp::spawn_at_address(&db).await;
    let email = create_staff(&db.pool, "editor", "Eddie Editor").await;
    let api = ApiSession::login(&app, &email).await;
    let browser = driver.browser(1280, 900).await;
    browser.sign_in(&app, &email).await;
    let due = chrono::Utc::now() + chrono::TimeDelta::seconds(5);
    let post = api
        .call(
            Method::POST,
            "/posts",
            Some(json!({
                "title": "On the hour",
                "markdown": "Written ahead.",
                "status": "scheduled",
                "published_at": due.to_rfc3339(),
            })),
        )
        .await;
    assert_eq!(post["status"], "scheduled", "{post}");
    let id = post["id"].as_str().unwrap().to_owned();
    browser
        .open(&app.url(&format!("/admin/editor/{id}/")))
        .await;
    assert_eq!(browser.text("#post-status").await, "Scheduled");

    // the scheduler publishes it; the open editor notices without a reload
    browser
        .wait_until(
            "the editor shows the post went live",
            "return document.querySelector('#post-status').textContent === 'Published';",
        )
        .await;
    browser
        .wait_for_text("#save-state", "Published on schedule")
        .await;
    assert_eq!(browser.text("#save").await, "Update");

    // the writer's next update goes through: going live was no edit of theirs
    browser.type_into("#markdown", " And a fix.").await;
    browser.click("#save").await;
    browser.wait_for_text("#save-state", "Saved at").await;
    assert!(!browser.is_displayed("#conflict").await);
    let stored = api.call(Method::GET, &format!("/posts/{id}"), None).await;
    assert_eq!(stored["markdown"], "Written ahead. And a fix.");
    assert_eq!(stored["status"], "published");
    let page = page_source(&app, "/on-the-hour/").await;
    assert!(page.contains("And a fix."), "{page}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feature_images_alt_text_caption_and_featured_switch_reach_the_site() {
    let Some(mut driver) = driver().await else {
        return;
    };
    let db = TestDb::new().await;
    let app = TestApp::spawn_at_address(&db).await;
    let email = create_staff(&db.pool, "editor", "Eddie Editor").await;
    let api = ApiSession::login(&app, &email).await;
    let post = api
        .call(
            Method::POST,
            "/posts",
            Some(json!({
                "title": "Harbour at dawn",
                "markdown": "Boats.",
                "status": "published",
                "feature_image": "https://images.example.com/harbour.jpg",
            })),
        )
        .await;
    let id = post["id"].as_str().unwrap().to_owned();

    let browser = driver.browser(1280, 900).await;
    browser.sign_in(&app, &email).await;
    browser
        .open(&app.url(&format!("/admin/editor/{id}/")))
        .await;
    browser.click("#settings-toggle").await;
    browser
        .type_into(
            "#feature-image-alt",
            "Fishing boats moored in a grey harbour",
        )
        .await;
    browser
        .type_into("#feature-image-caption", "Photo by the harbour master")
        .await;
    browser.click("#featured").await;
    browser.click("#save").await;
    browser.wait_for_text("#save-state", "Saved at").await;

    let page = page_source(&app, "/harbour-at-dawn/").await;
    assert!(
        page.contains(r#"alt="Fishing boats moored in a grey harbour""#),
        "{page}"
    );
    assert!(
        page.contains("<figcaption>Photo by the harbour master</figcaption>"),
        "{page}"
    );
    let stored = api.call(Method::GET, &format!("/posts/{id}"), None).await;
    assert_eq!(stored["featured"], true);

    // a reload shows what was saved
    browser
        .open(&app.url(&format!("/admin/editor/{id}/")))
        .await;
    assert_eq!(
        browser.value("#feature-image-alt").await,
        "Fishing boats moored in a grey harbour"
    );
    let checked = browser
        .client
        .execute(
            "return document.querySelector('#featured').checked;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(checked, json!(true));
    browser.close().await;
}

/// Selects `from..to` of the Markdown text.
async fn select(browser: &Browser, from: usize, to: usize) {
    browser
        .client
        .execute(
            "const a = document.querySelector('#markdown'); a.focus(); a.setSelectionRange(arguments[0], arguments[1]);",
            vec![json!(from), json!(to)],
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markdown_shortcuts_format_the_selection_and_esc_closes_the_settings() {
    let Some(mut driver) = driver().await else {
        return;
    };
    let db = TestDb::new().await;
    let app = TestApp::spawn_at_address(&db).await;
    let email = create_staff(&db.pool, "author", "Ann Author").await;
    let browser = driver.browser(1280, 900).await;
    browser.sign_in(&app, &email).await;
    browser.open(&app.url("/admin/editor/")).await;

    let ctrl = |key: &str| format!("{}{key}", char::from(Key::Control));
    browser.type_into("#markdown", "Make this loud").await;
    select(&browser, 10, 14).await;
    browser.type_into("#markdown", &ctrl("b")).await;
    assert_eq!(browser.value("#markdown").await, "Make this **loud**");
    // again takes the markers off
    browser.type_into("#markdown", &ctrl("b")).await;
    assert_eq!(browser.value("#markdown").await, "Make this loud");
    select(&browser, 0, 4).await;
    browser.type_into("#markdown", &ctrl("i")).await;
    assert_eq!(browser.value("#markdown").await, "_Make_ this loud");
    select(&browser, 7, 11).await;
    browser.type_into("#markdown", &ctrl("k")).await;
    // the address is selected, ready to be typed over
    browser.type_into("#markdown", "https://example.com").await;
    assert_eq!(
        browser.value("#markdown").await,
        "_Make_ [this](https://example.com) loud"
    );

    // Tab indents a list item (and Shift+Tab takes it back); undo works on all of it
    browser
        .type_into("#markdown", &format!("{}\n- one\n- two", Key::End))
        .await;
    browser.type_into("#markdown", &Key::Tab.to_string()).await;
    let text = browser.value("#markdown").await;
    assert!(text.ends_with("- one\n  - two"), "{text:?}");
    browser
        .type_into("#markdown", &format!("{}{}", Key::Shift, Key::Tab))
        .await;
    let text = browser.value("#markdown").await;
    assert!(text.ends_with("- one\n- two"), "{text:?}");
    // the preview follows the shortcuts' edits
    browser
        .wait_for_text("#preview a[href='https://example.com']", "this")
        .await;

    browser.click("#settings-toggle").await;
    assert!(browser.is_displayed("#settings").await);
    browser.type_into("#slug", &Key::Escape.to_string()).await;
    assert!(!browser.is_displayed("#settings").await);
    let focused = browser
        .client
        .execute("return document.activeElement.id;", vec![])
        .await
        .unwrap();
    assert_eq!(focused, json!("settings-toggle"));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_invitation_is_listed_and_revoked_and_a_profile_is_edited() {
    let Some(mut driver) = driver().await else {
        return;
    };
    let db = TestDb::new().await;
    let app = TestApp::spawn_at_address(&db).await;
    let email = create_staff(&db.pool, "administrator", "Ada Admin").await;
    let api = ApiSession::login(&app, &email).await;
    let invitation = api
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "kim@example.com", "role": "editor"})),
        )
        .await;
    let invite_url = invitation["invite_url"].as_str().unwrap().to_owned();

    let browser = driver.browser(1280, 900).await;
    browser.sign_in(&app, &email).await;
    browser.open(&app.url("/admin/staff/")).await;
    browser
        .wait_for_text("#invitation-list", "kim@example.com")
        .await;
    let row = browser.text("#invitation-list li").await;
    assert!(row.contains("Editor") && row.contains("Ada Admin"), "{row}");
    browser
        .click("#invitation-list button[aria-label='Revoke the invitation for kim@example.com']")
        .await;
    browser
        .wait_for_text(
            "#confirm-title",
            "Revoke the invitation for kim@example.com?",
        )
        .await;
    browser.click("#confirm-ok").await;
    browser
        .wait_for_text("#invitations-summary", "No invitation waits")
        .await;

    // the revoked link no longer works
    let token = invite_url.rsplit('/').next().unwrap();
    let refused = reqwest::Client::new()
        .post(app.url(&format!("/admin/api/invites/{token}")))
        .header("Origin", app.url(""))
        .json(&json!({"name": "Kim", "password": "a long enough password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);

    // the profile: name, address, bio and website, seen on the author page
    browser.open(&app.url("/admin/account/")).await;
    assert_eq!(browser.value("#profile-name").await, "Ada Admin");
    browser.find("#profile-name").await.clear().await.unwrap();
    browser.type_into("#profile-name", "Ada Lovelace").await;
    browser.find("#profile-slug").await.clear().await.unwrap();
    browser.type_into("#profile-slug", "ada").await;
    browser
        .type_into("#profile-bio", "Writes about engines.")
        .await;
    browser.type_into("#profile-website", "not a url").await;
    browser.click("#profile-form button[type=submit]").await;
    browser
        .wait_for_text("#profile-website-error", "full address")
        .await;
    browser
        .find("#profile-website")
        .await
        .clear()
        .await
        .unwrap();
    browser
        .type_into("#profile-website", "https://ada.example.com")
        .await;
    browser.click("#profile-form button[type=submit]").await;
    browser.wait_for_text("#toast", "Profile saved").await;
    let author = page_source(&app, "/author/ada/").await;
    assert!(author.contains("Ada Lovelace"), "{author}");
    assert!(author.contains("Writes about engines."), "{author}");

    // signed in, the member is not "never signed in"
    browser.open(&app.url("/admin/staff/")).await;
    browser.wait_for_text("#staff-list", "last signed in").await;
    let list = browser.text("#staff-list").await;
    assert!(!list.contains("never signed in"), "{list}");
    browser.close().await;
}
