//! Sign-in under attack: concurrent guessing, forged client addresses, floods of password
//! hashing, oracles, secrets in logs, and malformed credentials.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use quire::config::TrustedProxies;
use quire::http::api::session::{MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS};

use crate::cli::quire;
use crate::helpers::{PASSWORD, ServeProcess, TestApp, TestDb, create_staff};

/// A sign-in attempt, with extra headers; answers the status and the JSON body.
async fn sign_in(
    app: &TestApp,
    email: &str,
    password: &str,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url("/admin/api/session"))
        .json(&json!({"email": email, "password": password}));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    if status == 429 {
        assert!(
            response.headers().contains_key("retry-after"),
            "a 429 says when to come back"
        );
    }
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

#[tokio::test]
async fn parallel_wrong_passwords_are_verified_no_more_than_the_account_limit() {
    let db = TestDb::new().await;
    let (a, b) = (TestApp::spawn(&db).await, TestApp::spawn(&db).await);
    let email = create_staff(&db.pool, "editor").await;
    // 20 guesses at once, spread over two replicas
    let guesses = (0..20).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        sign_in(app, &email, "a wrong guess", &[])
    });
    let statuses: Vec<u16> = futures_util::future::join_all(guesses)
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect();
    let limit = MAX_FAILURES_PER_ACCOUNT as usize;
    assert_eq!(count(&statuses, 401), limit, "{statuses:?}");
    assert_eq!(count(&statuses, 429), 20 - limit, "{statuses:?}");
}

#[tokio::test]
async fn the_right_password_among_parallel_guesses_is_verified_only_within_the_limit() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let email = create_staff(&db.pool, "owner").await;
    // the right password in the middle of 20 wrong ones, all at once, before any limit is hit
    let attempts = (0..21).map(|i| {
        let password = if i == 10 { PASSWORD } else { "a wrong guess" };
        sign_in(&app, &email, password, &[])
    });
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect();
    let verified = count(&statuses, 401) + count(&statuses, 200);
    assert!(
        verified <= MAX_FAILURES_PER_ACCOUNT as usize,
        "{verified} passwords were checked: {statuses:?}"
    );
    assert_eq!(count(&statuses, 429), 21 - verified, "{statuses:?}");

    // once the limit is reached, the right password among parallel guesses waits too
    let (a, b) = (TestApp::spawn(&db).await, TestApp::spawn(&db).await);
    let victim = create_staff(&db.pool, "editor").await;
    for _ in 0..MAX_FAILURES_PER_ACCOUNT {
        assert_eq!(sign_in(&a, &victim, "a wrong guess", &[]).await.0, 401);
    }
    let attempts = (0..21).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        let password = if i == 10 { PASSWORD } else { "a wrong guess" };
        sign_in(app, &victim, password, &[])
    });
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect();
    assert_eq!(count(&statuses, 429), 21, "{statuses:?}");
}

#[tokio::test]
async fn a_successful_sign_in_does_not_use_up_the_address_allowance() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let email = create_staff(&db.pool, "author").await;
    for _ in 0..MAX_FAILURES_PER_ADDRESS + 5 {
        assert_eq!(sign_in(&app, &email, PASSWORD, &[]).await.0, 200);
    }
}

#[tokio::test]
async fn malformed_sign_in_input_is_422_naming_the_field_and_counts_against_the_address() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let email = create_staff(&db.pool, "author").await;
    let huge = format!("{}@example.com", "a".repeat(900 * 1024));
    let cases = [
        ("nul\u{0}byte@example.com", PASSWORD, "email"),
        ("bell\u{7}@example.com", PASSWORD, "email"),
        (huge.as_str(), PASSWORD, "email"),
        (
            email.as_str(),
            "correct horse\u{0}battery staple",
            "password",
        ),
        (email.as_str(), &"long password ".repeat(100), "password"),
    ];
    for (address, password, field) in &cases {
        let (status, body) = sign_in(&app, address, password, &[]).await;
        assert_eq!(status, 422, "{field}: {body}");
        assert_eq!(body["error"]["field"], *field, "{body}");
    }
    // malformed attempts are no way around the address's limit (a NUL is refused before the
    // handler, by the JSON extractor, and never reaches a password check at all; the others
    // count; two of the cases above had such a NUL)
    let mut answers = Vec::new();
    for _ in cases.len() as i32 - 2..MAX_FAILURES_PER_ADDRESS {
        answers.push(sign_in(&app, "bell\u{7}@example.com", "x", &[]).await.0);
    }
    assert!(answers.iter().all(|s| *s == 422), "{answers:?}");
    let (status, _) = sign_in(&app, "bell\u{7}@example.com", "x", &[]).await;
    assert_eq!(status, 429, "the address is throttled");
    let (status, _) = sign_in(&app, &email, PASSWORD, &[]).await;
    assert_eq!(status, 429, "even for a good sign-in from there");
}

#[tokio::test]
async fn setup_invitations_and_resets_refuse_nul_bytes_with_the_field_named() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let (status, body) = app
        .api(
            Method::POST,
            "/setup",
            None,
            Some(json!({"name": "Owner", "email": "own\u{0}er@example.com", "password": PASSWORD})),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("email")),
        "{body}"
    );
    let (status, body) = app
        .api(
            Method::POST,
            "/setup",
            None,
            Some(json!({"name": "Owner", "email": "owner@example.com", "password": "correct\u{0}horse battery"})),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("password")),
        "{body}"
    );

    let owner = app.signed_in("owner").await;
    let (status, body) = app
        .api(
            Method::POST,
            "/users",
            Some(&owner),
            Some(json!({"email": "new\u{1}one@example.com", "role": "author"})),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("email")),
        "{body}"
    );
    let (status, body) = app
        .api(
            Method::POST,
            "/users",
            Some(&owner),
            Some(json!({"email": "newone@example.com", "role": "author"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let token = body["invite_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let (status, body) = app
        .api(
            Method::POST,
            &format!("/invites/{token}"),
            None,
            Some(json!({"name": "New", "password": "correct horse\u{0}battery"})),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("password")),
        "{body}"
    );
    let (status, body) = app
        .api(
            Method::PUT,
            "/users/me/password",
            Some(&owner),
            Some(json!({"old_password": PASSWORD, "new_password": "correct horse\u{0}battery"})),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("new_password")),
        "{body}"
    );
}

#[tokio::test]
async fn a_forged_forwarded_for_does_not_dodge_the_address_limit() {
    let db = TestDb::new().await;
    // no trusted proxies (the default): the peer is the client, whatever it writes
    let app = TestApp::spawn(&db).await;
    let victim = create_staff(&db.pool, "editor").await;
    for i in 0..MAX_FAILURES_PER_ADDRESS {
        let forged = format!("198.51.100.{i}");
        let (status, _) = sign_in(
            &app,
            &format!("nobody{i}@example.com"),
            "a guess",
            &[("x-forwarded-for", &forged)],
        )
        .await;
        assert_eq!(status, 401);
    }
    let (status, _) = sign_in(
        &app,
        &victim,
        PASSWORD,
        &[("x-forwarded-for", "192.0.2.200")],
    )
    .await;
    assert_eq!(status, 429, "a new forwarded address is the same client");
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_throttled_not_the_proxy() {
    let db = TestDb::new().await;
    let app = TestApp::spawn_with(
        &db,
        |config| config.trusted_proxies = TrustedProxies::parse("127.0.0.1/32").unwrap(),
        None,
    )
    .await;
    let victim = create_staff(&db.pool, "editor").await;
    for i in 0..MAX_FAILURES_PER_ADDRESS {
        // what the client wrote on the left is not believed; the proxy's entry is
        let (status, _) = sign_in(
            &app,
            &format!("nobody{i}@example.com"),
            "a guess",
            &[("x-forwarded-for", &format!("10.9.9.{i}, 203.0.113.7"))],
        )
        .await;
        assert_eq!(status, 401);
    }
    let (status, _) = sign_in(
        &app,
        &victim,
        PASSWORD,
        &[("x-forwarded-for", "203.0.113.7")],
    )
    .await;
    assert_eq!(status, 429, "the client behind the proxy is throttled");
    let (status, _) = sign_in(
        &app,
        &victim,
        PASSWORD,
        &[("x-forwarded-for", "203.0.113.7, 198.51.100.20")],
    )
    .await;
    assert_eq!(status, 200, "another client behind the same proxy is not");
}

#[tokio::test]
async fn an_invalid_trusted_proxy_stops_the_server_at_start_with_a_reason() {
    let output = quire()
        .args(["serve", "--trusted-proxies", "10.0.0.0/8,10.0.0/33"])
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("\"10.0.0/33\" is not a CIDR"), "{stderr}");
}

#[tokio::test]
async fn a_flood_of_sign_ins_is_refused_at_once_beyond_the_hashing_queue() {
    let db = TestDb::new().await;
    // each attempt from its own client address, so that only the hashing limit can refuse
    let server = ServeProcess::start(&db, &[("QUIRE_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let client = reqwest::Client::new();
    let before = server.memory_mib();
    let started = Instant::now();
    let attempts = (0..150).map(|i| {
        let request = client
            .post(server.url("/admin/api/session"))
            .header("x-forwarded-for", format!("198.51.{}.{}", i / 200, i % 200))
            .json(&json!({"email": format!("nobody{i}@example.com"), "password": "a guess at it"}))
            .send();
        async move {
            let response = request.await.unwrap();
            let status = response.status().as_u16();
            let retry_after = response.headers().contains_key("retry-after");
            (status, retry_after, started.elapsed())
        }
    });
    let answers = tokio::time::timeout(
        Duration::from_secs(120),
        futures_util::future::join_all(attempts),
    )
    .await
    .expect("every sign-in is answered");
    let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
    assert!(
        statuses.iter().all(|s| matches!(s, 401 | 429 | 503)),
        "{statuses:?}"
    );
    let refused: Vec<_> = answers.iter().filter(|a| a.0 == 503).collect();
    assert!(!refused.is_empty(), "nothing was refused: {statuses:?}");
    assert!(refused.iter().all(|a| a.1), "every 503 says when to retry");
    let slowest_answer = answers.iter().map(|a| a.2).max().unwrap();
    let after = server.memory_mib();
    println!(
        "sign-in flood: {} answered 401, {} refused with 503, in {slowest_answer:?}; \
         RSS (now, peak) in MiB before {before:?}, after {after:?}",
        statuses.iter().filter(|s| **s == 401).count(),
        refused.len(),
    );
    // each argon2 verification holds ~19 MiB: 150 at once would take the replica to ~3 GiB,
    // the gate keeps it to a few at a time
    if let Some((_, peak)) = after {
        assert!(peak < 400, "peak RSS {peak} MiB during the flood");
    }
    // the replica still signs people in once the flood is over
    let email = create_staff(&db.pool, "author").await;
    let response = client
        .post(server.url("/admin/api/session"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn a_suspended_account_answers_like_a_wrong_password() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let email = create_staff(&db.pool, "author").await;
    sqlx::query("update users set status = 'suspended' where email = $1")
        .bind(&email)
        .execute(&db.pool)
        .await
        .unwrap();
    let right = sign_in(&app, &email, PASSWORD, &[]).await;
    let wrong = sign_in(&app, &email, "not the password", &[]).await;
    assert_eq!(right.0, 401, "{}", right.1);
    assert_eq!(right, wrong);
}

#[tokio::test]
async fn guessing_the_current_password_to_change_it_is_throttled_like_sign_in() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let email = create_staff(&db.pool, "author").await;
    let session = app.login(&email, PASSWORD).await;
    let change = |old: &'static str| {
        app.api(
            Method::PUT,
            "/users/me/password",
            Some(&session),
            Some(json!({"old_password": old, "new_password": "a brand new password"})),
        )
    };
    for _ in 0..MAX_FAILURES_PER_ACCOUNT {
        let (status, body) = change("a wrong guess").await;
        assert_eq!(
            (status, &body["error"]["field"]),
            (422, &json!("old_password")),
            "{body}"
        );
    }
    let (status, _) = change("another guess").await;
    assert_eq!(status, 429);
    let (status, _) = change(PASSWORD).await;
    assert_eq!(status, 429, "even the right password waits");
    // the same count as signing in
    assert_eq!(sign_in(&app, &email, PASSWORD, &[]).await.0, 429);
}

#[tokio::test]
async fn invitation_and_reset_tokens_stay_out_of_the_request_log() {
    let db = TestDb::new().await;
    let server = ServeProcess::start(&db, &[("QUIRE_LOG", "quire=info,tower_http=debug")]).await;
    let client = reqwest::Client::new();
    let token = "5eC7e7".repeat(10);
    for (method, path) in [
        (Method::GET, format!("/admin/invite/{token}")),
        (Method::GET, format!("/admin/reset/{token}/")),
        (Method::POST, format!("/admin/api/invites/{token}")),
        (Method::POST, format!("/admin/api/password-resets/{token}")),
    ] {
        client
            .request(method, server.url(&path))
            .json(&json!({"name": "x", "password": "a long enough password"}))
            .send()
            .await
            .unwrap();
    }
    let log = server.stop().await;
    assert!(log.contains("/admin/api/invites/{token}"), "{log}");
    assert!(log.contains("/admin/reset/{token}/"), "{log}");
    assert!(!log.to_lowercase().contains(&token.to_lowercase()), "{log}");
}

#[tokio::test]
async fn a_forwarded_for_header_without_trusted_proxies_is_pointed_out_once_in_the_log() {
    let db = TestDb::new().await;
    let server = ServeProcess::start(&db, &[("QUIRE_LOG", "warn")]).await;
    let client = reqwest::Client::new();
    for address in ["203.0.113.7", "198.51.100.20"] {
        let status = client
            .post(server.url("/admin/api/session"))
            .header("x-forwarded-for", address)
            .json(&json!({"email": "nobody@example.com", "password": "a guess at it"}))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 401);
    }
    let log = server.stop().await;
    let warnings = log.matches("QUIRE_TRUSTED_PROXIES is empty").count();
    assert_eq!(warnings, 1, "{log}");
}
