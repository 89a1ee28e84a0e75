//! Two people editing the same post: the second save is refused, and nothing is lost.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{ApiSession, Browser, PASSWORD, TestApp, TestDb, create_staff, driver};

/// Signs in through the sign-in page and opens the editor of `post`.
async fn sign_in_and_edit(browser: &Browser, app: &TestApp, email: &str, post: &str) {
    let editor = format!("/admin/editor/{post}/");
    browser.open(&app.url(&editor)).await;
    assert_eq!(
        browser.path().await,
        "/admin/login/",
        "signed out: sign in first"
    );
    browser.type_into("#email", email).await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("#login-form button[type=submit]").await;
    browser.wait_for_path(&editor).await;
    browser.wait_ready().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_save_shows_the_conflict_and_keeps_both_texts() {
    let Some(mut driver) = driver().await else {
        return;
    };
    let db = TestDb::new().await;
    let app = TestApp::spawn_at_address(&db).await;
    let owner = create_staff(&db.pool, "owner", "Olive Owner").await;
    let editor = create_staff(&db.pool, "editor", "Eddie Editor").await;
    let api = ApiSession::login(&app, &owner).await;
    let post = api
        .call(
            Method::POST,
            "/posts",
            Some(json!({"title": "Shared notes", "markdown": "First line."})),
        )
        .await;
    let id = post["id"].as_str().unwrap().to_owned();

    // both open the post before either saves
    let first = driver.browser(1280, 900).await;
    let second = driver.browser(1280, 900).await;
    sign_in_and_edit(&first, &app, &owner, &id).await;
    sign_in_and_edit(&second, &app, &editor, &id).await;

    first
        .type_into("#markdown", "\n\nAdded by the owner.")
        .await;
    first.click("#save").await;
    first.wait_for_text("#save-state", "Saved at").await;

    second
        .type_into("#markdown", "\n\nAdded by the editor.")
        .await;
    // Ctrl+S saves as well as the button
    second
        .type_into("#markdown", &(fantoccini::key::Key::Control + "s"))
        .await;
    second
        .wait_for_text("#conflict", "changed by Olive Owner")
        .await;
    assert!(second.is_displayed("#conflict").await);
    assert_eq!(
        second
            .find("#conflict")
            .await
            .attr("role")
            .await
            .unwrap()
            .as_deref(),
        Some("alert")
    );
    assert!(second.is_displayed("#copy-mine").await);
    assert!(second.is_displayed("#load-latest").await);
    let mine = second.value("#markdown").await;
    assert_eq!(
        mine, "First line.\n\nAdded by the editor.",
        "the editor's text is untouched"
    );

    // the server has the first edit; the refused one is kept in the revisions
    let stored = api.call(Method::GET, &format!("/posts/{id}"), None).await;
    assert_eq!(stored["markdown"], "First line.\n\nAdded by the owner.");
    let revisions = api
        .call(Method::GET, &format!("/posts/{id}/revisions"), None)
        .await;
    let refused = revisions
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reason"] == "conflict")
        .unwrap_or_else(|| panic!("a conflict revision: {revisions}"));
    let refused = api
        .call(
            Method::GET,
            &format!("/posts/{id}/revisions/{}", refused["id"]),
            None,
        )
        .await;
    assert_eq!(refused["markdown"], mine);

    // taking the latest version is the user's choice, and clears the conflict
    second.click("#load-latest").await;
    second
        .wait_until(
            "the latest version is loaded",
            "return document.querySelector('#conflict').hidden && \
             document.querySelector('#markdown').value.includes('Added by the owner.');",
        )
        .await;
    second
        .type_into("#markdown", "\n\nAnd by the editor.")
        .await;
    second.click("#save").await;
    second.wait_for_text("#save-state", "Saved at").await;
    let stored = api.call(Method::GET, &format!("/posts/{id}"), None).await;
    assert_eq!(
        stored["markdown"],
        "First line.\n\nAdded by the owner.\n\nAnd by the editor."
    );

    first.close().await;
    second.close().await;
}
