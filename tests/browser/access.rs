//! Signing in, and what each role is offered: the sign-in page shows the API's refusal; a
//! Contributor writes drafts without a Publish button and without the admin-only sections;
//! on a phone the editor switches between Write and Preview.

use crate::helpers::{PASSWORD, TestApp, TestDb, create_staff, driver};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_refused_on_the_page_and_the_right_one_leads_back() {
    let Some(mut driver) = driver().await else {
        return;
    };
    let db = TestDb::new().await;
    let app = TestApp::spawn_at_address(&db).await;
    let email = create_staff(&db.pool, "editor", "Eddie Editor").await;
    let browser = driver.browser(1280, 900).await;

    // a signed-out visit to an admin page goes to sign-in, and comes back there afterwards
    browser.open(&app.url("/admin/tags/")).await;
    assert_eq!(browser.path().await, "/admin/login/");
    browser.type_into("#email", &email).await;
    browser.type_into("#password", "not the password").await;
    browser.click("#login-form button[type=submit]").await;
    browser
        .wait_for_text("#login-error", "Wrong email or password.")
        .await;
    assert!(browser.is_displayed("#login-error").await);
    assert_eq!(browser.path().await, "/admin/login/");

    browser.find("#password").await.clear().await.unwrap();
    browser.type_into("#password", PASSWORD).await;
    browser.click("#login-form button[type=submit]").await;
    browser.wait_for_path("/admin/tags/").await;
    browser.wait_ready().await;

    // an editor manages tags: create one, then see it listed
    browser.type_into("#tag-name", "Field trips").await;
    browser.click("#tag-form button[type=submit]").await;
    browser
        .wait_for_text("#tag-table", "/tag/field-trips/")
        .await;

    // sign out ends the session: admin pages ask to sign in again
    browser.click("#sign-out").await;
    browser.wait_for_path("/admin/login/").await;
    browser.open(&app.url("/admin/posts/")).await;
    assert_eq!(browser.path().await, "/admin/login/");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contributor_on_a_phone_writes_drafts_but_cannot_publish() {
    let Some(mut driver) = driver().await else {
        return;
    };
    let db = TestDb::new().await;
    let app = TestApp::spawn_at_address(&db).await;
    let email = create_staff(&db.pool, "contributor", "Cora Contributor").await;
    let browser = driver.browser(390, 844).await;

    browser.open(&app.url("/admin/login/")).await;
    browser.type_into("#email", &email).await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("#login-form button[type=submit]").await;
    browser.wait_for_path("/admin/posts/").await;
    browser.wait_ready().await;

    let nav = browser.text("nav.nav").await;
    assert!(
        nav.contains("Posts") && nav.contains("Your account"),
        "{nav}"
    );
    assert!(
        !nav.contains("Settings") && !nav.contains("Tags") && !nav.contains("Staff"),
        "{nav}"
    );

    browser.open(&app.url("/admin/editor/")).await;
    assert!(
        !browser.exists("#publish").await,
        "no Publish button for a contributor"
    );
    assert!(!browser.exists("#schedule").await);
    assert_eq!(browser.text("#save").await, "Save draft");

    // one pane at a time on a narrow screen
    assert!(browser.is_displayed("#show-preview").await);
    assert!(browser.is_displayed("#markdown").await);
    assert!(!browser.is_displayed("#preview").await);
    browser.type_into("#title", "Draft from a phone").await;
    browser
        .type_into("#markdown", "Some *emphasis* here.")
        .await;
    browser.click("#show-preview").await;
    browser
        .wait_until(
            "the preview pane shows the rendered text",
            "const p = document.querySelector('#preview'); \
             return p.offsetParent !== null && p.innerHTML.includes('<em>emphasis</em>');",
        )
        .await;
    assert!(!browser.is_displayed("#markdown").await);

    // the draft saves by itself a few seconds after typing stops
    browser
        .wait_for_text("#save-state", "Saved automatically at")
        .await;
    assert_eq!(browser.text("#post-status").await, "Draft");
    assert!(browser.path().await.starts_with("/admin/editor/"));

    // the settings page is not for contributors, even by its address
    browser
        .client
        .goto(&app.url("/admin/settings/"))
        .await
        .unwrap();
    let html = browser.client.source().await.unwrap();
    assert!(html.contains("Not available to your role"), "{html}");
    browser.close().await;
}
