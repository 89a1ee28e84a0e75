//! Optional e-mail, against a real SMTP server (aiosmtpd, started by each test): invitations,
//! staff-made reset links and "Forgot password?" go out by e-mail, and the links in the
//! delivered messages work. Without an SMTP server the admin shows the links as before.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Session, TestApp, TestDb, create_staff};
use crate::support::smtp::{self, SmtpServer};

const NEW_PASSWORD: &str = "a brand new password";
const FROM: &str = "Quire Blog <blog@example.com>";
const DELIVERY: Duration = Duration::from_secs(15);

/// A replica whose links point at itself, sending mail through `smtp_url`.
async fn app_sending_to(db: &TestDb, smtp_url: &str) -> TestApp {
    let smtp_url = smtp_url.to_owned();
    TestApp::spawn_at_address_with(
        db,
        move |config| {
            config.mail.smtp_url = Some(smtp_url);
            config.mail.mail_from = Some(FROM.parse().unwrap());
        },
        None,
    )
    .await
}

async fn set_title(app: &TestApp, admin: &Session, title: &str) {
    let (status, answer) = app
        .api(
            Method::PUT,
            "/settings",
            Some(admin),
            Some(json!({ "title": title })),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
}

/// `POST /admin/api/password-resets` as the "Forgot password?" page sends it.
async fn forgot(app: &TestApp, email: &str) -> (u16, Value) {
    app.api(
        Method::POST,
        "/password-resets",
        None,
        Some(json!({ "email": email })),
    )
    .await
}

/// Whether signing in with `password` works.
async fn can_sign_in(app: &TestApp, email: &str, password: &str) -> bool {
    let response = app
        .client
        .post(app.url("/admin/api/session"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    response.status() == 200
}

/// Opens a reset link's page, sets `NEW_PASSWORD` with it as the page's script does and
/// answers the new session.
async fn use_reset_link(app: &TestApp, link: &str, email: &str) -> Session {
    let path = link.strip_prefix(&app.base).expect("a link to this site");
    let page = app.page(path).await;
    assert!(
        page.contains(email) && page.contains("id=\"reset-form\""),
        "{page}"
    );
    let token = path.strip_prefix("/admin/reset/").unwrap();
    let response = app
        .client
        .post(app.url(&format!("/admin/api/password-resets/{token}")))
        .header("origin", &app.base)
        .json(&json!({ "password": NEW_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    Session::from_answer(response).await
}

#[tokio::test]
async fn an_invitation_is_emailed_and_its_link_makes_an_account_that_signs_in() {
    if smtp::skipped() {
        return;
    }
    let smtp = SmtpServer::start().await;
    let db = TestDb::new().await;
    let app = app_sending_to(&db, &smtp.url()).await;
    let admin = app.signed_in("administrator").await;
    set_title(&app, &admin, "Tom & Jerry's <Notes>").await;

    // the staff page offers to send, and the sign-in page to reset a forgotten password
    let staff_page = app
        .client
        .get(app.url("/admin/staff/"))
        .header("cookie", &admin.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(staff_page.contains("Send invitation"), "{staff_page}");

    let (status, invitation) = app
        .api(
            Method::POST,
            "/users",
            Some(&admin),
            Some(json!({"email": "New.Writer@Example.com", "role": "author"})),
        )
        .await;
    assert_eq!(status, 201, "{invitation}");
    assert_eq!(invitation["emailed"], true, "{invitation}");
    assert!(invitation.get("email_error").is_none(), "{invitation}");
    let invite_url = invitation["invite_url"].as_str().unwrap();

    let mail = smtp.wait_for(1, DELIVERY).await.remove(0);
    assert_eq!(mail.rcpt_tos, ["new.writer@example.com"]);
    assert_eq!(mail.mail_from, "blog@example.com");
    assert!(
        mail.from.contains("Quire Blog") && mail.from.contains("<blog@example.com>"),
        "{}",
        mail.from
    );
    assert_eq!(
        mail.subject,
        "You are invited to join Tom & Jerry's <Notes>"
    );
    assert!(
        mail.message_id.starts_with('<') && mail.message_id.ends_with("@example.com>"),
        "{}",
        mail.message_id
    );
    assert!(mail.date != "None", "{mail:?}");
    assert_eq!(mail.content_type, "multipart/alternative");
    let text = mail.text.as_deref().unwrap();
    assert!(text.contains("as Author"), "{text}");
    let link = mail.link(&format!("{}/admin/invite/", app.base));
    assert_eq!(link, invite_url);
    let html = mail.html.as_deref().unwrap();
    assert!(
        html.contains("Tom &amp; Jerry&#x27;s &lt;Notes&gt;"),
        "{html}"
    );
    assert!(html.contains("Accept the invitation"), "{html}");

    // the link's page, then accepting it as that page does
    let path = link.strip_prefix(&app.base).unwrap();
    let page = app.page(path).await;
    assert!(page.contains("id=\"invite-form\""), "{page}");
    let token = path.strip_prefix("/admin/invite/").unwrap();
    let accepted = app
        .client
        .post(app.url(&format!("/admin/api/invites/{token}")))
        .header("origin", &app.base)
        .json(&json!({"name": "New Writer", "password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 201);
    let writer = app.login("new.writer@example.com", NEW_PASSWORD).await;
    let (status, me) = app.api(Method::GET, "/session", Some(&writer), None).await;
    assert_eq!(status, 200);
    assert_eq!(me["user"]["role"], "author", "{me}");
    assert_eq!(me["user"]["name"], "New Writer", "{me}");
    assert_eq!(smtp.messages().len(), 1, "one message only");
}

#[tokio::test]
async fn a_staff_made_reset_link_is_emailed_to_its_user() {
    if smtp::skipped() {
        return;
    }
    let smtp = SmtpServer::start().await;
    let db = TestDb::new().await;
    let app = app_sending_to(&db, &smtp.url()).await;
    let admin = app.signed_in("administrator").await;
    let email = create_staff(&app.pool, "editor").await;
    let id: uuid::Uuid = sqlx::query_scalar("select id from users where email = $1")
        .bind(&email)
        .fetch_one(&app.pool)
        .await
        .unwrap();

    let (status, made) = app
        .api(
            Method::POST,
            &format!("/users/{id}/reset-link"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["emailed"], true, "{made}");

    let mail = smtp.wait_for(1, DELIVERY).await.remove(0);
    assert_eq!(mail.rcpt_tos, [email.as_str()]);
    assert_eq!(mail.subject, "Reset your password for Quire");
    let text = mail.text.as_deref().unwrap();
    let admin_name: String = sqlx::query_scalar("select name from users where id = $1")
        .bind(admin.user_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(
        text.contains(&format!("{admin_name} made a link")),
        "{text}"
    );
    let link = mail.link(&format!("{}/admin/reset/", app.base));
    assert_eq!(link, made["reset_url"].as_str().unwrap());

    use_reset_link(&app, &link, &email).await;
    assert!(can_sign_in(&app, &email, NEW_PASSWORD).await);
    assert!(!can_sign_in(&app, &email, PASSWORD).await);
}

#[tokio::test]
async fn forgot_password_emails_a_link_that_sets_a_new_password() {
    if smtp::skipped() {
        return;
    }
    let smtp = SmtpServer::start().await;
    let db = TestDb::new().await;
    let app = app_sending_to(&db, &smtp.url()).await;
    let email = create_staff(&app.pool, "author").await;

    let login = app.page("/admin/login/").await;
    assert!(login.contains(r#"href="/admin/forgot/""#), "{login}");
    let page = app.page("/admin/forgot/").await;
    assert!(page.contains("id=\"forgot-form\""), "{page}");

    // as typed: any case, spaces around
    let (status, answer) = forgot(&app, &format!("  {}  ", email.to_uppercase())).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["message"], quire::http::api::users::RESET_REQUESTED);

    let mail = smtp.wait_for(1, DELIVERY).await.remove(0);
    assert_eq!(mail.rcpt_tos, [email.as_str()]);
    assert_eq!(mail.subject, "Reset your password for Quire");
    let text = mail.text.as_deref().unwrap();
    assert!(text.contains("hopefully you"), "{text}");
    let link = mail.link(&format!("{}/admin/reset/", app.base));

    let session = use_reset_link(&app, &link, &email).await;
    let (status, me) = app.api(Method::GET, "/session", Some(&session), None).await;
    assert_eq!(status, 200);
    assert_eq!(me["user"]["email"], email.as_str());
    assert!(can_sign_in(&app, &email, NEW_PASSWORD).await);
    assert!(!can_sign_in(&app, &email, PASSWORD).await);
}

#[tokio::test]
async fn forgot_password_answers_alike_for_unknown_and_suspended_addresses_and_sends_them_nothing()
{
    if smtp::skipped() {
        return;
    }
    let smtp = SmtpServer::start().await;
    let db = TestDb::new().await;
    let app = app_sending_to(&db, &smtp.url()).await;
    let known = create_staff(&app.pool, "author").await;
    let suspended = create_staff(&app.pool, "author").await;
    sqlx::query("update users set status = 'suspended' where email = $1")
        .bind(&suspended)
        .execute(&app.pool)
        .await
        .unwrap();

    let unknown_answer = forgot(&app, "nobody@example.com").await;
    let suspended_answer = forgot(&app, &suspended).await;
    let known_answer = forgot(&app, &known).await;
    assert_eq!(unknown_answer.0, 202);
    assert_eq!(unknown_answer, known_answer);
    assert_eq!(suspended_answer, known_answer);

    // the one message for the known address arrives, and nothing else does
    let messages = smtp.wait_for(1, DELIVERY).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let messages = if messages.len() == 1 {
        smtp.messages()
    } else {
        messages
    };
    let recipients: Vec<&str> = messages
        .iter()
        .flat_map(|m| m.rcpt_tos.iter().map(String::as_str))
        .collect();
    assert_eq!(recipients, [known.as_str()]);
    let stored: i64 = sqlx::query_scalar("select count(*) from user_tokens where kind = 'reset'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 1, "no link was made for the suspended account");

    // a malformed address is told so, like everywhere else
    let (status, answer) = forgot(&app, "not an address").await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["field"], "email", "{answer}");
}

#[tokio::test]
async fn forgot_password_is_throttled_per_address_and_per_client_and_then_sends_nothing() {
    if smtp::skipped() {
        return;
    }
    use quire::http::api::users::{MAX_RESET_REQUESTS_PER_ACCOUNT, MAX_RESET_REQUESTS_PER_ADDRESS};
    let smtp = SmtpServer::start().await;
    let db = TestDb::new().await;
    let app = app_sending_to(&db, &smtp.url()).await;
    let known = create_staff(&app.pool, "author").await;
    let per_account = MAX_RESET_REQUESTS_PER_ACCOUNT as usize;

    for n in 1..=per_account {
        let (status, answer) = forgot(&app, &known).await;
        assert_eq!(status, 202, "request {n}: {answer}");
        smtp.wait_for(n, DELIVERY).await;
    }
    // one more for the same address, in another case: refused like sign-in's throttle, with
    // how long to wait, and no message
    let refused = app
        .client
        .post(app.url("/admin/api/password-resets"))
        .json(&json!({ "email": known.to_uppercase() }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 3600, "{wait}");

    // an unknown address meets the same limit at the same count, so the 429 tells nothing
    for n in 1..=per_account {
        let (status, _) = forgot(&app, "nobody@example.com").await;
        assert_eq!(status, 202, "unknown address, request {n}");
    }
    let (status, _) = forgot(&app, "nobody@example.com").await;
    assert_eq!(status, 429);

    // the client's own limit: other addresses until it is used up
    let used = 2 * (per_account + 1);
    for n in used + 1..=MAX_RESET_REQUESTS_PER_ADDRESS as usize {
        let (status, _) = forgot(&app, &format!("someone-{n}@example.com")).await;
        assert_eq!(status, 202, "request {n} from this client");
    }
    let (status, answer) = forgot(&app, "someone-else@example.com").await;
    assert_eq!(status, 429, "{answer}");

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.messages().len(), per_account, "nothing more was sent");
}

#[tokio::test]
async fn a_failed_send_tells_the_admin_and_still_shows_the_link() {
    if smtp::skipped() {
        return;
    }
    // nothing listens there
    let port = crate::support::temp::free_ports(1)[0];
    let db = TestDb::new().await;
    let app = app_sending_to(&db, &format!("smtp://127.0.0.1:{port}")).await;
    let admin = app.signed_in("administrator").await;

    let (status, invitation) = app
        .api(
            Method::POST,
            "/users",
            Some(&admin),
            Some(json!({"email": "writer@example.com", "role": "author"})),
        )
        .await;
    assert_eq!(status, 201, "{invitation}");
    assert_eq!(invitation["emailed"], false, "{invitation}");
    let error = invitation["email_error"].as_str().unwrap();
    assert!(
        error.contains("could not be e-mailed") && error.contains("Pass the link on yourself"),
        "{error}"
    );
    assert!(
        invitation["invite_url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/admin/invite/", app.base)),
        "{invitation}"
    );
}

#[tokio::test]
async fn without_smtp_links_are_shown_and_forgot_password_says_to_ask_an_administrator() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let admin = app.signed_in("administrator").await;

    let (status, invitation) = app
        .api(
            Method::POST,
            "/users",
            Some(&admin),
            Some(json!({"email": "writer@example.com", "role": "author"})),
        )
        .await;
    assert_eq!(status, 201, "{invitation}");
    assert_eq!(invitation["emailed"], false, "{invitation}");
    assert!(invitation.get("email_error").is_none(), "{invitation}");
    assert!(invitation["invite_url"].is_string(), "{invitation}");

    let login = app.page("/admin/login/").await;
    assert!(!login.contains("/admin/forgot/"), "{login}");
    assert!(login.contains("Ask an administrator"), "{login}");
    let page = app.page("/admin/forgot/").await;
    assert!(
        !page.contains("forgot-form") && page.contains("Ask an administrator"),
        "{page}"
    );

    let (status, answer) = forgot(&app, "writer@example.com").await;
    assert_eq!(status, 409, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Ask an administrator"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_bad_smtp_url_or_a_missing_sender_stops_start_up_with_a_one_line_reason() {
    for (url, from, names) in [
        ("smtps://blog:hunter2@", Some(FROM), "QUIRE_SMTP_URL"),
        (
            "imap://blog:hunter2@mail.example.com",
            Some(FROM),
            "QUIRE_SMTP_URL",
        ),
        (
            "smtps://blog:hunter2@mail.example.com",
            None,
            "QUIRE_MAIL_FROM",
        ),
    ] {
        let mut serve = crate::cli::quire();
        serve
            .arg("serve")
            .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
            .env("QUIRE_SMTP_URL", url);
        if let Some(from) = from {
            serve.env("QUIRE_MAIL_FROM", from);
        }
        let output = serve.output().await.unwrap();
        assert!(!output.status.success(), "{url}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(names), "{url}: {stderr}");
        assert!(!stderr.contains("hunter2"), "{url}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{url}: {stderr}");
    }
}
