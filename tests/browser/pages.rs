//! The admin pages over plain HTTP (no browser needed): where each sends a visitor, and the
//! headers every page carries.

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};

use crate::helpers::{ApiSession, TestApp, TestDb, create_staff};

async fn get(path: &str, app: &TestApp, session: Option<&ApiSession>) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = client.get(app.url(path));
    if let Some(session) = session {
        request = request.header("cookie", session.cookie());
    }
    request.send().await.unwrap()
}

fn location(response: &reqwest::Response) -> &str {
    response.headers()[LOCATION].to_str().unwrap()
}

#[tokio::test]
async fn visitors_are_sent_to_setup_then_sign_in_and_pages_are_never_cached() {
    let db = TestDb::new().await;
    let app = TestApp::spawn_at_address(&db).await;

    for path in ["/admin/", "/admin/login/"] {
        let response = get(path, &app, None).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(
            location(&response),
            "/admin/setup",
            "no account yet: {path}"
        );
    }
    for path in ["/admin/setup", "/admin/setup/"] {
        let response = get(path, &app, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers();
        assert_eq!(headers[CACHE_CONTROL], "no-store");
        assert!(
            headers[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
        let html = response.text().await.unwrap();
        assert!(html.contains("id=\"setup-form\""));
        assert!(
            html.contains("/assets/admin/admin."),
            "the hashed bundle: {html}"
        );
    }

    let owner = create_staff(&db.pool, "owner", "Olive Owner").await;
    let response = get("/admin/", &app, None).await;
    assert_eq!(location(&response), "/admin/login/");
    let response = get("/admin/setup", &app, None).await;
    assert_eq!(
        location(&response),
        "/admin/",
        "setup is closed once an account exists"
    );
    let response = get("/admin/posts/?status=draft", &app, None).await;
    assert_eq!(
        location(&response),
        "/admin/login/?next=%2Fadmin%2Fposts%2F%3Fstatus%3Ddraft"
    );

    let session = ApiSession::login(&app, &owner).await;
    let response = get("/admin/", &app, Some(&session)).await;
    assert_eq!(location(&response), "/admin/posts/");
    for (next, to) in [
        ("/admin/tags/", "/admin/tags/"),
        ("https://elsewhere.example/", "/admin/posts/"),
        ("//elsewhere.example/admin/", "/admin/posts/"),
    ] {
        let path = format!(
            "/admin/login/?next={}",
            url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        );
        let response = get(&path, &app, Some(&session)).await;
        assert_eq!(location(&response), to, "next={next}");
    }
    for path in [
        "/admin/posts/",
        "/admin/pages/",
        "/admin/editor/",
        "/admin/editor/?type=page",
        "/admin/tags/",
        "/admin/staff/",
        "/admin/settings/",
        "/admin/account/",
    ] {
        let response = get(path, &app, Some(&session)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()[CACHE_CONTROL], "no-store", "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("name=\"csrf-token\""), "{path}");
        assert!(html.contains("Olive Owner"), "{path}");
    }
    let response = get(
        "/admin/editor/00000000-0000-0000-0000-000000000000/",
        &app,
        Some(&session),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        get("/admin/editor/nonsense/", &app, Some(&session))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn sections_beyond_a_role_answer_403_and_are_not_in_its_navigation() {
    let db = TestDb::new().await;
    let app = TestApp::spawn_at_address(&db).await;
    let author = create_staff(&db.pool, "author", "Ari Author").await;
    let session = ApiSession::login(&app, &author).await;
    for path in ["/admin/tags/", "/admin/staff/", "/admin/settings/"] {
        let response = get(path, &app, Some(&session)).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("Not available to your role")
        );
    }
    let html = get("/admin/posts/", &app, Some(&session))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("href=\"/admin/account/\""));
    for hidden in ["/admin/tags/", "/admin/staff/", "/admin/settings/"] {
        assert!(
            !html.contains(&format!("href=\"{hidden}\"")),
            "{hidden} in the nav"
        );
    }
}
