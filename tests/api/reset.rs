//! Password reset links: made by `quire user reset-link` or by a staff member who manages the
//! user, used once within 72 hours to choose a new password, which signs the user out
//! everywhere and in here.

use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

use crate::cli::quire;
use crate::helpers::{BASE_URL, PASSWORD, Session, TestApp, TestDb, create_staff};

const NEW_PASSWORD: &str = "a completely new password";

async fn user_id(app: &TestApp, email: &str) -> Uuid {
    sqlx::query_scalar("select id from users where email = $1")
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// A reset link made by the library function the CLI and the admin share; answers its token.
async fn reset_token(app: &TestApp, email: &str) -> String {
    let link = quire::staff::reset_link(&app.pool, BASE_URL, user_id(app, email).await)
        .await
        .unwrap();
    token_of(&link)
}

fn token_of(link: &str) -> String {
    link.strip_prefix(&format!("{BASE_URL}/admin/reset/"))
        .unwrap_or_else(|| panic!("{link} is not a reset link of {BASE_URL}"))
        .to_owned()
}

/// Posts a new password with a reset token, with extra headers.
async fn reset(
    app: &TestApp,
    token: &str,
    password: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(&format!("/admin/api/password-resets/{token}")))
        .json(&json!({ "password": password }));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// Whether signing in with `password` works (without the test helper's assertion).
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

async fn used_at_is_set(app: &TestApp, token: &str) -> bool {
    sqlx::query_scalar("select used_at is not null from user_tokens where token_hash = $1")
        .bind(quire::auth::token_hash(token))
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_cli_reset_link_sets_a_new_password_once_and_signs_out_old_sessions() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let email = create_staff(&db.pool, "author").await;
    let old_session = app.login(&email, PASSWORD).await;

    let output = quire()
        .args(["user", "reset-link", "--email", &email.to_uppercase()])
        .env("DATABASE_URL", db.url())
        .env("QUIRE_BASE_URL", format!("{BASE_URL}/"))
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "only the link: {stdout}");
    let token = token_of(stdout.trim());
    assert_eq!(token.len(), 64, "{token}");

    let stored: Vec<String> = sqlx::query_scalar("select token_hash from user_tokens")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        stored,
        [quire::auth::token_hash(&token)],
        "only the hash is stored"
    );

    // the page shows whose password it is, and sends the token to nobody
    let page = app.get(&format!("/admin/reset/{token}")).await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&email) && html.contains("id=\"reset-form\""),
        "{html}"
    );

    // a weak password is refused like everywhere else, and the link keeps working
    let weak = reset(&app, &token, "short", &[]).await;
    assert_eq!(weak.status(), 422);
    let answer: serde_json::Value = weak.json().await.unwrap();
    assert_eq!(answer["error"]["field"], "password", "{answer}");
    assert!(!used_at_is_set(&app, &token).await);

    let done = reset(&app, &token, NEW_PASSWORD, &[]).await;
    assert_eq!(done.status(), 200);
    let cookie = done.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    let new_session = Session::from_answer(done).await;
    assert!(used_at_is_set(&app, &token).await);

    // signed in, with a CSRF token that works for writes
    let (status, me) = app
        .api(Method::GET, "/session", Some(&new_session), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(me["user"]["email"], email.as_str());
    let (status, answer) = app
        .api(
            Method::POST,
            "/posts",
            Some(&new_session),
            Some(json!({"title": "After the reset"})),
        )
        .await;
    assert_eq!(status, 201, "{answer}");

    // the sessions from before are gone, the old password too
    let (status, _) = app
        .api(Method::GET, "/session", Some(&old_session), None)
        .await;
    assert_eq!(status, 401, "old sessions are revoked");
    assert!(!can_sign_in(&app, &email, PASSWORD).await);
    assert!(can_sign_in(&app, &email, NEW_PASSWORD).await);

    // the link works once
    let again = reset(&app, &token, "yet another password", &[]).await;
    assert_eq!(again.status(), 422);
    let answer: serde_json::Value = again.json().await.unwrap();
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("invalid, used or expired"),
        "{answer}"
    );
    assert!(can_sign_in(&app, &email, NEW_PASSWORD).await);
    let page = app.get(&format!("/admin/reset/{token}")).await;
    assert_eq!(page.status(), 404);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("invalid, used or expired") && !html.contains("reset-form"),
        "{html}"
    );
}

#[tokio::test]
async fn the_cli_names_an_unknown_email_in_one_line() {
    let db = TestDb::new().await;
    let output = quire()
        .args(["user", "reset-link", "--email", "nobody@example.com"])
        .env("DATABASE_URL", db.url())
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("nobody@example.com"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");

    let output = quire()
        .args(["user", "reset-link", "--email", "nobody@example.com"])
        .args(["--base-url", "https://example.com/blog/"])
        .env("DATABASE_URL", db.url())
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("QUIRE_BASE_URL"), "{stderr}");
}

#[tokio::test]
async fn an_expired_link_is_refused() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let email = create_staff(&db.pool, "editor").await;
    let token = reset_token(&app, &email).await;
    let valid_for: f64 = sqlx::query_scalar(
        "select extract(epoch from expires_at - created_at)::float8 from user_tokens",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(valid_for, 72.0 * 3600.0, "valid for 72 hours");

    sqlx::query("update user_tokens set expires_at = now() - interval '1 second'")
        .execute(&db.pool)
        .await
        .unwrap();
    let response = reset(&app, &token, NEW_PASSWORD, &[]).await;
    assert_eq!(response.status(), 422);
    assert!(response.headers().get("set-cookie").is_none());
    assert_eq!(
        app.get(&format!("/admin/reset/{token}")).await.status(),
        404
    );
    assert!(can_sign_in(&app, &email, PASSWORD).await);
    assert!(!can_sign_in(&app, &email, NEW_PASSWORD).await);
}

#[tokio::test]
async fn a_new_link_replaces_the_previous_one_and_invitations_are_not_reset_links() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let email = create_staff(&db.pool, "author").await;
    let first = reset_token(&app, &email).await;
    let second = reset_token(&app, &email).await;
    assert_ne!(first, second);
    assert_eq!(reset(&app, &first, NEW_PASSWORD, &[]).await.status(), 422);

    // an invitation's token does not reset anyone's password
    let owner = app.signed_in("owner").await;
    let (status, invitation) = app
        .api(
            Method::POST,
            "/users",
            Some(&owner),
            Some(json!({"email": "new@example.com", "role": "author"})),
        )
        .await;
    assert_eq!(status, 201);
    let invite_token = invitation["invite_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        reset(&app, &invite_token, NEW_PASSWORD, &[]).await.status(),
        422
    );
    assert_eq!(
        reset(&app, &"0".repeat(64), NEW_PASSWORD, &[])
            .await
            .status(),
        422
    );

    assert_eq!(reset(&app, &second, NEW_PASSWORD, &[]).await.status(), 200);
    assert!(can_sign_in(&app, &email, NEW_PASSWORD).await);
}

#[tokio::test]
async fn a_suspended_account_keeps_its_link_until_it_is_active_again() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let email = create_staff(&db.pool, "author").await;
    let token = reset_token(&app, &email).await;
    sqlx::query("update users set status = 'suspended' where email = $1")
        .bind(&email)
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(reset(&app, &token, NEW_PASSWORD, &[]).await.status(), 403);
    assert_eq!(
        app.get(&format!("/admin/reset/{token}")).await.status(),
        403
    );
    assert!(!used_at_is_set(&app, &token).await);
    sqlx::query("update users set status = 'active' where email = $1")
        .bind(&email)
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(reset(&app, &token, NEW_PASSWORD, &[]).await.status(), 200);
}

/// No session exists yet, so the reset is protected like sign-in and invitations: a foreign
/// `Origin` is refused, and only JSON is accepted (a cross-site form cannot send it).
#[tokio::test]
async fn a_reset_from_another_origin_or_a_plain_form_is_refused() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let email = create_staff(&db.pool, "author").await;
    let token = reset_token(&app, &email).await;

    let forged = reset(
        &app,
        &token,
        NEW_PASSWORD,
        &[("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(forged.status(), 403);
    assert!(forged.headers().get("set-cookie").is_none());

    let form = app
        .client
        .post(app.url(&format!("/admin/api/password-resets/{token}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("password={}", NEW_PASSWORD.replace(' ', "+")))
        .send()
        .await
        .unwrap();
    assert!(form.status().is_client_error(), "{}", form.status());
    let form = app
        .client
        .post(app.url(&format!("/admin/api/password-resets/{token}")))
        .header("content-type", "text/plain")
        .body(json!({ "password": NEW_PASSWORD }).to_string())
        .send()
        .await
        .unwrap();
    assert!(form.status().is_client_error(), "{}", form.status());

    assert!(!used_at_is_set(&app, &token).await);
    assert!(can_sign_in(&app, &email, PASSWORD).await);

    // the site's own origin, and the address the request came to, are fine
    let own = reset(&app, &token, NEW_PASSWORD, &[("origin", BASE_URL)]).await;
    assert_eq!(own.status(), 200);
}

/// Who may make a link for whom: each role against each role. Administrators manage everyone
/// but the Owner, Editors manage Authors and Contributors; the Owner's link only by the Owner.
#[tokio::test]
async fn reset_links_are_made_only_for_users_the_caller_manages() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    const ROLES: [&str; 5] = ["owner", "administrator", "editor", "author", "contributor"];
    let mut callers: Vec<(&str, Option<Session>)> = vec![("anonymous", None)];
    for role in ROLES {
        callers.push((role, Some(app.signed_in(role).await)));
    }
    let owner_id = callers[1].1.as_ref().unwrap().user_id;
    let mut targets = vec![("owner", owner_id)];
    for role in &ROLES[1..] {
        let email = create_staff(&db.pool, role).await;
        targets.push((role, user_id(&app, &email).await));
    }

    // rows: callers (anonymous, then ROLES); columns: targets (ROLES)
    let expected: [[u16; 5]; 6] = [
        [401, 401, 401, 401, 401],
        [201, 201, 201, 201, 201],
        [403, 201, 201, 201, 201],
        [403, 403, 403, 201, 201],
        [403, 403, 403, 403, 403],
        [403, 403, 403, 403, 403],
    ];
    let mut failures = Vec::new();
    for (row, (caller, session)) in callers.iter().enumerate() {
        for (column, (target, id)) in targets.iter().enumerate() {
            let (status, answer) = app
                .api(
                    Method::POST,
                    &format!("/users/{id}/reset-link"),
                    session.as_ref(),
                    None,
                )
                .await;
            if status != expected[row][column] {
                failures.push(format!(
                    "{caller} for {target}: {status} (expected {}) {answer}",
                    expected[row][column]
                ));
                continue;
            }
            if status == 201 {
                let link = answer["reset_url"].as_str().unwrap();
                token_of(link);
                assert_eq!(answer["user_id"], json!(id.to_string()));
                assert_eq!(answer["valid_hours"], 72);
            } else {
                assert!(answer["error"]["message"].is_string(), "{answer}");
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    let owner = callers[1].1.as_ref().unwrap();
    let (status, _) = app
        .api(
            Method::POST,
            &format!("/users/{}/reset-link", Uuid::new_v4()),
            Some(owner),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn making_a_link_needs_the_csrf_token_and_the_sites_origin() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let admin = app.signed_in("administrator").await;
    let email = create_staff(&db.pool, "author").await;
    let path = format!(
        "/admin/api/users/{}/reset-link",
        user_id(&app, &email).await
    );
    let post = |csrf: Option<&str>, origin: Option<&str>| {
        let mut request = app
            .client
            .post(app.url(&path))
            .header("cookie", &admin.cookie);
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    assert_eq!(post(None, None).await.unwrap().status(), 403);
    assert_eq!(post(Some("forged"), None).await.unwrap().status(), 403);
    assert_eq!(
        post(Some(&admin.csrf), Some("https://evil.example"))
            .await
            .unwrap()
            .status(),
        403
    );
    let links: i64 = sqlx::query_scalar("select count(*) from user_tokens")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(links, 0, "no refused request made a link");
    assert_eq!(post(Some(&admin.csrf), None).await.unwrap().status(), 201);
}
