//! E-mail in the admin, with a real SMTP server: "Forgot password?" on the sign-in page sends a
//! link that signs in with a new password, and the staff page says an invitation was sent
//! instead of showing its link.

use crate::helpers::{PASSWORD, TestApp, TestDb, create_staff, driver};
use crate::support::smtp::{self, SmtpServer};

const DELIVERY: std::time::Duration = std::time::Duration::from_secs(15);

async fn app_sending_to(db: &TestDb, smtp: &SmtpServer) -> TestApp {
    let url = smtp.url();
    TestApp::spawn_at_address_with(
        db,
        move |config| {
            config.mail.smtp_url = Some(url);
            config.mail.mail_from = Some("Blog <blog@example.com>".parse().unwrap());
        },
        None,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgot_password_sends_a_link_that_signs_in_with_a_new_password() {
    if smtp::skipped() {
        return;
    }
    let Some(mut driver) = driver().await else {
        return;
    };
    let smtp = SmtpServer::start().await;
    let db = TestDb::new().await;
    let app = app_sending_to(&db, &smtp).await;
    let email = create_staff(&db.pool, "author", "Ada Author").await;

    let browser = driver.browser(1280, 900).await;
    browser.open(&app.url("/admin/login/")).await;
    browser.click("#forgot-link").await;
    browser.wait_for_path("/admin/forgot/").await;
    browser.wait_ready().await;
    // an empty address is caught before anything is sent
    browser.click("#forgot-form button[type=submit]").await;
    browser
        .wait_for_text("#email-error", "Enter your email address.")
        .await;
    browser.type_into("#email", &email).await;
    browser.click("#forgot-form button[type=submit]").await;
    browser
        .wait_for_text(
            "#forgot-sent",
            "a link to choose a new password is on its way",
        )
        .await;
    assert!(!browser.is_displayed("#forgot-form").await);

    let mail = smtp.wait_for(1, DELIVERY).await.remove(0);
    assert_eq!(mail.rcpt_tos, [email.as_str()]);
    let link = mail.link(&app.url("/admin/reset/"));
    browser.open(&link).await;
    browser.type_into("#password", "a brand new password").await;
    browser
        .type_into("#confirm-password", "a brand new password")
        .await;
    browser.click("#reset-form button[type=submit]").await;
    browser.wait_for_path("/admin/posts/").await;
    browser.wait_ready().await;
    assert!(browser.exists("#sign-out").await, "signed in");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_staff_page_says_an_invitation_was_sent_instead_of_showing_its_link() {
    if smtp::skipped() {
        return;
    }
    let Some(mut driver) = driver().await else {
        return;
    };
    let smtp = SmtpServer::start().await;
    let db = TestDb::new().await;
    let app = app_sending_to(&db, &smtp).await;
    let owner_email = create_staff(&db.pool, "owner", "Olive Owner").await;

    let owner = driver.browser(1280, 900).await;
    owner.open(&app.url("/admin/login/")).await;
    owner.type_into("#email", &owner_email).await;
    owner.type_into("#password", PASSWORD).await;
    owner.click("#login-form button[type=submit]").await;
    owner.wait_for_path("/admin/posts/").await;
    owner.open(&app.url("/admin/staff/")).await;
    owner.type_into("#invite-email", "writer@example.com").await;
    owner.click("#invite-staff-form button[type=submit]").await;
    owner
        .wait_for_text(
            "#invite-result-text",
            "Invitation sent to writer@example.com as Author",
        )
        .await;
    assert!(
        !owner.is_displayed("#invite-url").await,
        "no link to pass on"
    );
    let mail = smtp.wait_for(1, DELIVERY).await.remove(0);
    assert_eq!(mail.rcpt_tos, ["writer@example.com"]);
    assert!(mail.text.unwrap().contains("Olive Owner invited you"));
    owner.close().await;
}
