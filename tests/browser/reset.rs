//! Password reset links: an Owner makes one on the staff page, and the staff member who opens
//! it chooses a new password and lands signed in.

use reqwest::Method;

use crate::helpers::{ApiSession, PASSWORD, TestApp, TestDb, create_staff, driver, http_status};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_link_from_the_staff_page_sets_a_password_and_signs_in() {
    let Some(mut driver) = driver().await else {
        return;
    };
    let db = TestDb::new().await;
    let app = TestApp::spawn_at_address(&db).await;
    let owner_email = create_staff(&db.pool, "owner", "Olive Owner").await;
    let author_email = create_staff(&db.pool, "author", "Ada Author").await;
    // a session the author had before the reset; it ends with it
    let before = ApiSession::login(&app, &author_email).await;
    before.call(Method::GET, "/session", None).await;

    let owner = driver.browser(1280, 900).await;
    owner.open(&app.url("/admin/login/")).await;
    owner.type_into("#email", &owner_email).await;
    owner.type_into("#password", PASSWORD).await;
    owner.click("#login-form button[type=submit]").await;
    owner.wait_for_path("/admin/posts/").await;
    owner.open(&app.url("/admin/staff/")).await;
    owner
        .click(r#"button[aria-label="Create reset link for Ada Author"]"#)
        .await;
    owner
        .wait_for_text("#reset-result-text", "Ada Author")
        .await;
    assert!(owner.is_displayed("#reset-result").await);
    let link = owner.value("#reset-url").await;
    assert!(link.starts_with(&app.url("/admin/reset/")), "{link}");
    let focused = owner
        .client
        .execute("return document.activeElement.id;", vec![])
        .await
        .unwrap();
    assert_eq!(focused, "reset-url", "the link is focused, ready to copy");

    let author = driver.browser(1280, 900).await;
    author.open(&link).await;
    assert!(author.text("main").await.contains(&author_email));
    // two different passwords are caught before anything is sent
    author.type_into("#password", "a brand new password").await;
    author
        .type_into("#confirm-password", "a brand new passw0rd")
        .await;
    author.click("#reset-form button[type=submit]").await;
    author
        .wait_for_text("#confirm-password-error", "The two passwords differ.")
        .await;
    let invalid = author
        .find("#confirm-password")
        .await
        .attr("aria-invalid")
        .await
        .unwrap();
    assert_eq!(invalid.as_deref(), Some("true"));
    author
        .find("#confirm-password")
        .await
        .clear()
        .await
        .unwrap();
    author
        .type_into("#confirm-password", "a brand new password")
        .await;
    author.click("#reset-form button[type=submit]").await;
    author.wait_for_path("/admin/posts/").await;
    author.wait_ready().await;
    assert!(author.exists("#sign-out").await, "signed in");

    // the old session is over, and the link does not work twice
    let old = reqwest::Client::new()
        .get(app.url("/admin/api/session"))
        .header("cookie", before.cookie())
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 401);
    assert_eq!(http_status(&link).await, 404);
    author.open(&link).await;
    assert!(
        author
            .text("#reset-problem")
            .await
            .contains("invalid, used or expired")
    );
    assert!(!author.exists("#reset-form").await);

    owner.close().await;
    author.close().await;
}
