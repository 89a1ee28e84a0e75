//! The admin API: every route against every identity, CSRF, throttling, conflicts, setup.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Session, TestApp, TestDb, converges, create_staff, eventually};

const ROLES: [&str; 5] = ["owner", "administrator", "editor", "author", "contributor"];

async fn welcome_id(app: &TestApp) -> String {
    sqlx::query_scalar::<_, uuid::Uuid>("select id from posts where slug = 'welcome'")
        .fetch_one(&app.pool)
        .await
        .unwrap()
        .to_string()
}

async fn version_of(app: &TestApp, id: &str) -> i32 {
    sqlx::query_scalar("select version from posts where id = $1::uuid")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// A post nobody of the test owns, for update and delete checks.
async fn unowned_post(app: &TestApp) -> String {
    crate::helpers::insert_post(
        &app.pool,
        &format!("p-{}", uuid::Uuid::new_v4().simple()),
        "Someone else's",
        "x",
        "draft",
    )
    .await
    .to_string()
}

/// Every route answers each identity as Ghost's roles say: 401 anonymous, 403 too small a role.
#[tokio::test]
async fn every_admin_route_checks_every_identity() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let mut sessions: Vec<(&str, Option<Session>)> = vec![("anonymous", None)];
    for role in ROLES {
        sessions.push((role, Some(app.signed_in(role).await)));
    }
    let welcome = welcome_id(&app).await;

    //                                          anon  owner admin editor author contrib
    type Case = (&'static str, Method, &'static str, [u16; 6]);
    let cases: Vec<Case> = vec![
        (
            "who am I",
            Method::GET,
            "/session",
            [401, 200, 200, 200, 200, 200],
        ),
        (
            "list posts",
            Method::GET,
            "/posts",
            [401, 200, 200, 200, 200, 200],
        ),
        (
            "create draft",
            Method::POST,
            "/posts",
            [401, 201, 201, 201, 201, 201],
        ),
        (
            "create published",
            Method::POST,
            "/posts#published",
            [401, 201, 201, 201, 201, 403],
        ),
        (
            "read another's post",
            Method::GET,
            "/posts/WELCOME",
            [401, 200, 200, 200, 403, 403],
        ),
        (
            "edit another's post",
            Method::PUT,
            "/posts/WELCOME",
            [401, 200, 200, 200, 403, 403],
        ),
        (
            "delete another's post",
            Method::DELETE,
            "/posts/UNOWNED",
            [401, 204, 204, 204, 403, 403],
        ),
        (
            "revisions of another's post",
            Method::GET,
            "/posts/WELCOME/revisions",
            [401, 200, 200, 200, 403, 403],
        ),
        (
            "preview Markdown",
            Method::POST,
            "/preview",
            [401, 200, 200, 200, 200, 200],
        ),
        (
            "list staff",
            Method::GET,
            "/users",
            [401, 200, 200, 200, 200, 200],
        ),
        (
            "add an author",
            Method::POST,
            "/users#author",
            [401, 201, 201, 201, 403, 403],
        ),
        (
            "add an administrator",
            Method::POST,
            "/users#administrator",
            [401, 201, 201, 403, 403, 403],
        ),
        (
            "suspend an author",
            Method::PUT,
            "/users/AUTHOR",
            [401, 200, 200, 200, 403, 403],
        ),
        (
            "reset link for an author",
            Method::POST,
            "/users/AUTHOR/reset-link",
            [401, 201, 201, 201, 403, 403],
        ),
        (
            "pending invitations",
            Method::GET,
            "/invitations",
            [401, 200, 200, 200, 403, 403],
        ),
        (
            "your own profile",
            Method::GET,
            "/users/me",
            [401, 200, 200, 200, 200, 200],
        ),
        (
            "list integrations",
            Method::GET,
            "/integrations",
            [401, 200, 200, 403, 403, 403],
        ),
        (
            "list tags",
            Method::GET,
            "/tags",
            [401, 200, 200, 200, 200, 200],
        ),
        (
            "create a tag",
            Method::POST,
            "/tags",
            [401, 201, 201, 201, 403, 403],
        ),
        (
            "read settings",
            Method::GET,
            "/settings",
            [401, 200, 200, 403, 403, 403],
        ),
        (
            "change settings",
            Method::PUT,
            "/settings",
            [401, 200, 200, 403, 403, 403],
        ),
        (
            "sign out",
            Method::DELETE,
            "/session",
            [401, 204, 204, 204, 204, 204],
        ),
    ];
    let mut failures = Vec::new();
    for (what, method, template, expected) in &cases {
        for (i, (identity, session)) in sessions.iter().enumerate() {
            let (path, fragment) = template.split_once('#').unwrap_or((template, ""));
            let mut path = path.replace("WELCOME", &welcome);
            if path.contains("UNOWNED") {
                path = path.replace("UNOWNED", &unowned_post(&app).await);
            }
            if path.contains("AUTHOR") {
                let email = create_staff(&app.pool, "author").await;
                let id: uuid::Uuid = sqlx::query_scalar("select id from users where email = $1")
                    .bind(&email)
                    .fetch_one(&app.pool)
                    .await
                    .unwrap();
                path = path.replace("AUTHOR", &id.to_string());
            }
            let unique = uuid::Uuid::new_v4().simple().to_string();
            let body = match (method.as_str(), path.as_str(), fragment) {
                ("POST", "/posts", "published") => {
                    Some(json!({"title": "Published", "status": "published"}))
                }
                ("POST", "/posts", _) => Some(json!({"title": "A draft", "markdown": "Hello"})),
                ("PUT", p, _) if p.starts_with("/posts/") => Some(
                    json!({"title": format!("Edited by {identity}"), "version": version_of(&app, &welcome).await}),
                ),
                ("POST", "/preview", _) => Some(json!({"markdown": "# Hi"})),
                ("POST", "/users", role) => {
                    Some(json!({"email": format!("{unique}@example.com"), "role": role}))
                }
                ("PUT", p, _) if p.starts_with("/users/") => Some(json!({"status": "suspended"})),
                ("POST", "/tags", _) => Some(json!({"name": format!("Tag {unique}")})),
                ("PUT", "/settings", _) => Some(json!({"title": format!("Title by {identity}")})),
                _ => None,
            };
            let (status, answer) = app.api(method.clone(), &path, session.as_ref(), body).await;
            if status != expected[i] {
                failures.push(format!(
                    "{what} as {identity}: {status} (expected {}) {answer}",
                    expected[i]
                ));
            }
            if status >= 400 {
                assert!(
                    answer["error"]["message"].is_string(),
                    "{what} as {identity}: error body {answer}"
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn authors_publish_their_own_posts_and_contributors_only_write_drafts() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let author = app.signed_in("author").await;
    let (status, post) = app
        .api(
            Method::POST,
            "/posts",
            Some(&author),
            Some(json!({"title": "Mine", "markdown": "Text"})),
        )
        .await;
    assert_eq!(status, 201);
    let id = post["id"].as_str().unwrap();
    let (status, post) = app
        .api(
            Method::PUT,
            &format!("/posts/{id}"),
            Some(&author),
            Some(json!({"status": "published", "version": post["version"]})),
        )
        .await;
    assert_eq!(status, 200, "{post}");
    assert_eq!(post["status"], "published");

    let contributor = app.signed_in("contributor").await;
    let (_, draft) = app
        .api(
            Method::POST,
            "/posts",
            Some(&contributor),
            Some(json!({"title": "Draft"})),
        )
        .await;
    let id = draft["id"].as_str().unwrap();
    let (status, _) = app
        .api(
            Method::PUT,
            &format!("/posts/{id}"),
            Some(&contributor),
            Some(json!({"markdown": "more", "version": draft["version"]})),
        )
        .await;
    assert_eq!(status, 200, "contributors edit their drafts");
    let (status, answer) = app
        .api(
            Method::PUT,
            &format!("/posts/{id}"),
            Some(&contributor),
            Some(json!({"status": "published", "version": 2})),
        )
        .await;
    assert_eq!(status, 403, "{answer}");
    let (status, answer) = app
        .api(
            Method::POST,
            "/posts",
            Some(&contributor),
            Some(json!({"title": "T", "tags": ["Brand new tag"]})),
        )
        .await;
    assert_eq!(status, 403, "contributors cannot create tags: {answer}");

    let (_, list) = app
        .api(Method::GET, "/posts", Some(&contributor), None)
        .await;
    let titles: Vec<&str> = list["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Draft"], "contributors see their own posts only");
}

#[tokio::test]
async fn writes_without_the_csrf_token_or_from_another_origin_are_refused() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let owner = app.signed_in("owner").await;
    let post = |csrf: Option<&str>, origin: Option<&str>| {
        let mut request = app
            .client
            .post(app.url("/admin/api/posts"))
            .header("cookie", &owner.cookie)
            .json(&json!({"title": "Forged"}));
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    assert_eq!(post(None, None).await.unwrap().status(), 403);
    assert_eq!(
        post(Some("not-the-token"), None).await.unwrap().status(),
        403
    );
    assert_eq!(
        post(Some(&owner.csrf), Some("https://evil.example"))
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        post(Some(&owner.csrf), Some(&format!("http://{}", app.addr)))
            .await
            .unwrap()
            .status(),
        201
    );
    assert_eq!(post(Some(&owner.csrf), None).await.unwrap().status(), 201);
    let forged: i64 = sqlx::query_scalar("select count(*) from posts where title = 'Forged'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(forged, 2, "only the two legitimate requests wrote");
}

#[tokio::test]
async fn the_session_cookie_is_httponly_and_samesite() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let email = create_staff(&db.pool, "author").await;
    let response = app
        .client
        .post(app.url("/admin/api/session"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    let stored: String = sqlx::query_scalar("select token_hash from sessions")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let token = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    assert_ne!(stored, token, "only a hash of the token is stored");
}

#[tokio::test]
async fn wrong_passwords_are_throttled_per_account_across_replicas() {
    let db = TestDb::new().await;
    let (a, b) = (TestApp::spawn(&db).await, TestApp::spawn(&db).await);
    let email = create_staff(&db.pool, "author").await;
    let attempt = |app: &TestApp, password: &str| {
        app.client
            .post(app.url("/admin/api/session"))
            .json(&json!({"email": email, "password": password}))
            .send()
    };
    for i in 0..5 {
        let app = if i % 2 == 0 { &a } else { &b };
        assert_eq!(attempt(app, "wrong password!").await.unwrap().status(), 401);
    }
    let blocked = attempt(&b, PASSWORD).await.unwrap();
    assert_eq!(blocked.status(), 429, "even the right password waits");
    assert!(blocked.headers().contains_key("retry-after"));
    assert_eq!(
        attempt(&a, PASSWORD).await.unwrap().status(),
        429,
        "on every replica"
    );
    // another account from the same address is not locked out
    let other = create_staff(&db.pool, "author").await;
    let response = a
        .client
        .post(a.url("/admin/api/session"))
        .json(&json!({"email": other, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_stale_edit_is_refused_and_kept_as_a_revision() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let (alice, bob) = (app.signed_in("editor").await, app.signed_in("editor").await);
    let (_, post) = app
        .api(
            Method::POST,
            "/posts",
            Some(&alice),
            Some(json!({"title": "Shared", "markdown": "v1"})),
        )
        .await;
    let id = post["id"].as_str().unwrap();
    let version = post["version"].as_i64().unwrap();

    let (status, _) = app
        .api(
            Method::PUT,
            &format!("/posts/{id}"),
            Some(&alice),
            Some(json!({"markdown": "Alice's words", "version": version})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, answer) = app
        .api(
            Method::PUT,
            &format!("/posts/{id}"),
            Some(&bob),
            Some(json!({"markdown": "Bob's words", "version": version})),
        )
        .await;
    assert_eq!(status, 409, "{answer}");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("changed by editor"),
        "names who changed it: {message}"
    );

    let (_, current) = app
        .api(Method::GET, &format!("/posts/{id}"), Some(&bob), None)
        .await;
    assert_eq!(
        current["markdown"], "Alice's words",
        "the first edit stands"
    );
    let (_, revisions) = app
        .api(
            Method::GET,
            &format!("/posts/{id}/revisions"),
            Some(&bob),
            None,
        )
        .await;
    let kept = revisions
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reason"] == "conflict")
        .expect("a conflict revision");
    let (_, kept) = app
        .api(
            Method::GET,
            &format!("/posts/{id}/revisions/{}", kept["id"]),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(
        kept["markdown"], "Bob's words",
        "the refused edit is not lost"
    );
}

#[tokio::test]
async fn a_revision_is_shown_against_the_current_post_and_restored_with_its_fields() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let editor = app.signed_in("editor").await;
    let (_, post) = app
        .api(
            Method::POST,
            "/posts",
            Some(&editor),
            Some(json!({
                "title": "T",
                "markdown": "first\nkept\n",
                "excerpt": "Old excerpt",
                "tags": ["Alpha"],
                "feature_image": "https://example.com/a.jpg",
                "feature_image_alt": "A harbour",
            })),
        )
        .await;
    let id = post["id"].as_str().unwrap();
    let (_, post) = app
        .api(
            Method::PUT,
            &format!("/posts/{id}"),
            Some(&editor),
            Some(json!({
                "markdown": "second\nkept\n",
                "excerpt": "",
                "tags": ["Beta"],
                "feature_image": "",
                "version": post["version"],
            })),
        )
        .await;
    // a second save moments later by the same writer folds into the same revision
    let (_, post) = app
        .api(
            Method::PUT,
            &format!("/posts/{id}"),
            Some(&editor),
            Some(json!({"title": "T2", "version": post["version"]})),
        )
        .await;
    let (_, revisions) = app
        .api(
            Method::GET,
            &format!("/posts/{id}/revisions"),
            Some(&editor),
            None,
        )
        .await;
    let reasons: Vec<&str> = revisions
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["save", "create"], "{revisions}");
    assert_eq!(revisions[0]["title"], "T2");
    assert_eq!(revisions[0]["version"], post["version"]);
    assert!(
        revisions[0].get("markdown").is_none(),
        "the list stays small"
    );
    let first = &revisions[1];

    let (status, shown) = app
        .api(
            Method::GET,
            &format!("/posts/{id}/revisions/{}", first["id"]),
            Some(&editor),
            None,
        )
        .await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["markdown"], "first\nkept\n");
    assert!(
        shown["html"].as_str().unwrap().contains("<p>first"),
        "{shown}"
    );
    assert_eq!(shown["live"], false);
    assert_eq!(
        shown["diff"],
        json!([[
            {"tag": "delete", "text": "second"},
            {"tag": "insert", "text": "first"},
            {"tag": "equal", "text": "kept"},
        ]])
    );
    let changed: Vec<&str> = shown["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        changed,
        ["Title", "Excerpt", "Feature image", "Tags"],
        "{shown}"
    );
    // looking changes nothing
    let (_, now) = app
        .api(Method::GET, &format!("/posts/{id}"), Some(&editor), None)
        .await;
    assert_eq!(now["markdown"], "second\nkept\n");

    let (status, restored) = app
        .api(
            Method::POST,
            &format!("/posts/{id}/revisions/{}/restore", first["id"]),
            Some(&editor),
            Some(json!({"version": post["version"]})),
        )
        .await;
    assert_eq!(status, 200, "{restored}");
    assert_eq!(restored["markdown"], "first\nkept\n");
    assert_eq!(restored["title"], "T");
    assert_eq!(restored["custom_excerpt"], "Old excerpt");
    assert_eq!(restored["feature_image"], "https://example.com/a.jpg");
    assert_eq!(restored["feature_image_alt"], "A harbour");
    assert_eq!(restored["tags"][0]["name"], "Alpha");
    assert_eq!(restored["tags"].as_array().unwrap().len(), 1);
    let (_, revisions) = app
        .api(
            Method::GET,
            &format!("/posts/{id}/revisions"),
            Some(&editor),
            None,
        )
        .await;
    assert_eq!(revisions[0]["reason"], "restore", "{revisions}");

    // restoring with a stale version is refused like any stale edit
    let (status, _) = app
        .api(
            Method::POST,
            &format!("/posts/{id}/revisions/{}/restore", first["id"]),
            Some(&editor),
            Some(json!({"version": post["version"]})),
        )
        .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn a_post_the_scheduler_published_is_updated_with_the_version_its_editor_holds() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let editor = app.signed_in("editor").await;
    let due = chrono::Utc::now() + chrono::TimeDelta::seconds(2);
    let (_, post) = app
        .api(
            Method::POST,
            "/posts",
            Some(&editor),
            Some(
                json!({"title": "Soon", "markdown": "x", "status": "scheduled",
                        "published_at": due.to_rfc3339()}),
            ),
        )
        .await;
    assert_eq!(post["status"], "scheduled");
    let id = post["id"].as_str().unwrap();
    eventually(
        std::time::Duration::from_secs(15),
        "the scheduler publishes it",
        || async {
            let (_, now) = app
                .api(Method::GET, &format!("/posts/{id}"), Some(&editor), None)
                .await;
            now["status"] == "published"
        },
    )
    .await;
    let (_, live) = app
        .api(Method::GET, &format!("/posts/{id}"), Some(&editor), None)
        .await;
    assert_eq!(live["version"], post["version"], "going live is no edit");
    let (status, updated) = app
        .api(
            Method::PUT,
            &format!("/posts/{id}"),
            Some(&editor),
            Some(json!({"markdown": "x, fixed", "version": post["version"]})),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["status"], "published");
}

#[tokio::test]
async fn pending_invitations_are_listed_to_who_may_invite_and_revoked() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let admin = app.signed_in("administrator").await;
    let editor = app.signed_in("editor").await;
    let author = app.signed_in("author").await;
    for (who, email, role) in [
        (&admin, "ed@example.com", "editor"),
        (&editor, "au@example.com", "author"),
    ] {
        let (status, _) = app
            .api(
                Method::POST,
                "/users",
                Some(who),
                Some(json!({"email": email, "role": role})),
            )
            .await;
        assert_eq!(status, 201);
    }
    let emails = |list: &serde_json::Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|i| i["email"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, all) = app
        .api(Method::GET, "/invitations", Some(&admin), None)
        .await;
    assert_eq!(emails(&all), ["au@example.com", "ed@example.com"]);
    // an Editor sees and revokes only invitations of roles they may invite
    let (_, some) = app
        .api(Method::GET, "/invitations", Some(&editor), None)
        .await;
    assert_eq!(emails(&some), ["au@example.com"]);
    let editors_invite = all[1]["id"].as_str().unwrap();
    let (status, _) = app
        .api(
            Method::DELETE,
            &format!("/invitations/{editors_invite}"),
            Some(&editor),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .api(Method::GET, "/invitations", Some(&author), None)
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .api(
            Method::DELETE,
            &format!("/invitations/{editors_invite}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, all) = app
        .api(Method::GET, "/invitations", Some(&admin), None)
        .await;
    assert_eq!(emails(&all), ["au@example.com"]);
}

#[tokio::test]
async fn a_profile_is_edited_by_its_owner_and_checked() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let author = app.signed_in("author").await;
    let (_, me) = app.api(Method::GET, "/users/me", Some(&author), None).await;
    let profile = |slug: &str, website: &str| {
        json!({"name": "Ann Other", "slug": slug, "bio": "Short.", "website": website,
               "location": "Lisbon", "avatar_url": "/content/images/ann.jpg", "cover_image": ""})
    };
    let (status, answer) = app
        .api(
            Method::PUT,
            "/users/me",
            Some(&author),
            Some(profile("ann", "ftp://x")),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["field"], "website");
    let (status, answer) = app
        .api(
            Method::PUT,
            "/users/me",
            Some(&author),
            Some(profile("Not A Slug!", "")),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["field"], "slug");
    let (status, updated) = app
        .api(
            Method::PUT,
            "/users/me",
            Some(&author),
            Some(profile("ann", "https://ann.example.com")),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["email"], me["email"]);
    assert_eq!(updated["location"], "Lisbon");
    assert!(updated["cover_image"].is_null());
    let page = app.get("/author/ann/").await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("Ann Other") && page.contains("Short."),
        "{page}"
    );

    // another member's address is refused on its field
    let editor = app.signed_in("editor").await;
    let (status, answer) = app
        .api(
            Method::PUT,
            "/users/me",
            Some(&editor),
            Some(profile("ann", "")),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["field"], "slug");
}

#[tokio::test]
async fn setup_creates_one_owner_even_when_replicas_race() {
    let db = TestDb::empty().await;
    quire::db::migrate(&db.pool).await.unwrap();
    let (a, b) = (TestApp::spawn(&db).await, TestApp::spawn(&db).await);
    let (_, state) = a.api(Method::GET, "/setup", None, None).await;
    assert_eq!(state["open"], true);
    let attempts = (0..8).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        app.client
            .post(app.url("/admin/api/setup"))
            .json(&json!({"name": format!("Owner {i}"), "email": format!("owner{i}@example.com"), "password": PASSWORD}))
            .send()
    });
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(users, 1);
    let signed_in: bool =
        sqlx::query_scalar("select last_login_at is not null from users where role = 'owner'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(signed_in, "setup signs the Owner in, and that counts");
    let (_, state) = b.api(Method::GET, "/setup", None, None).await;
    assert_eq!(state["open"], false);
    let owned: i64 = sqlx::query_scalar("select count(*) from posts_authors")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        owned, 2,
        "the welcome post and About page become the Owner's"
    );
}

/// The done-when of the admin: write on one replica, read on another within a second.
#[tokio::test]
async fn a_post_published_on_one_replica_is_served_by_another_within_a_second() {
    let db = TestDb::new().await;
    let (a, b) = (TestApp::spawn(&db).await, TestApp::spawn(&db).await);
    let author = a.signed_in("author").await;
    assert_eq!(b.get("/hello-replicas/").await.status(), 404);
    let (status, post) = a
        .api(
            Method::POST,
            "/posts",
            Some(&author),
            Some(json!({"title": "Hello replicas", "markdown": "Written on **a**.", "status": "published", "tags": ["Scale"]})),
        )
        .await;
    assert_eq!(status, 201, "{post}");
    assert_eq!(post["url"], "http://blog.test/hello-replicas/");
    let took = converges("post on replica b", || async {
        b.get("/hello-replicas/").await.status() == 200
    })
    .await;
    eprintln!("published on a, served by b after {took:?}");
    assert!(
        b.page("/hello-replicas/")
            .await
            .contains("Written on <strong>a</strong>.")
    );
    assert!(b.page("/tag/scale/").await.contains("Hello replicas"));

    // a session made on one replica works on the other
    let (status, me) = b.api(Method::GET, "/session", Some(&author), None).await;
    assert_eq!(status, 200);
    assert_eq!(me["user"]["id"], json!(author.user_id.to_string()));
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_naming_the_field() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let editor = app.signed_in("editor").await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({"title": "x", "slug": "Not A Slug"}), "slug"),
        (json!({"title": "x", "slug": "admin"}), "slug"),
        (json!({"title": "x", "slug": "welcome"}), "slug"),
        (json!({"title": "x", "status": "scheduled"}), "published_at"),
        (
            json!({"title": "x", "canonical_url": "javascript:alert(1)"}),
            "canonical_url",
        ),
        (json!({"title": "x".repeat(300)}), "title"),
    ];
    for (body, field) in cases {
        let (status, answer) = app
            .api(Method::POST, "/posts", Some(&editor), Some(body.clone()))
            .await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
    }
    let (status, answer) = app
        .api(
            Method::POST,
            "/posts",
            Some(&editor),
            Some(json!({"title": 5})),
        )
        .await;
    assert!(status == 400 || status == 422, "{status} {answer}");
    let (status, _) = app
        .api(Method::GET, "/no-such-route", Some(&editor), None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_draft_has_a_secret_preview_link_that_is_never_cached_or_indexed() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let author = app.signed_in("author").await;
    let (_, post) = app
        .api(
            Method::POST,
            "/posts",
            Some(&author),
            Some(json!({"title": "Work in progress", "markdown": "*Soon*"})),
        )
        .await;
    let preview = post["preview_url"]
        .as_str()
        .unwrap()
        .strip_prefix("http://blog.test")
        .unwrap()
        .to_owned();
    let response = app.get(&preview).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["x-robots-tag"], "noindex");
    let html = response.text().await.unwrap();
    assert!(html.contains("Work in progress") && html.contains("<em>Soon</em>"));
    assert_eq!(
        app.get("/work-in-progress/").await.status(),
        404,
        "still a draft"
    );
    assert_eq!(
        app.get(&format!("/p/{}/", uuid::Uuid::new_v4()))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn renaming_a_published_post_redirects_its_old_address() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let editor = app.signed_in("editor").await;
    let (_, post) = app
        .api(
            Method::POST,
            "/posts",
            Some(&editor),
            Some(json!({"title": "Old name", "status": "published"})),
        )
        .await;
    let id = post["id"].as_str().unwrap();
    assert_eq!(app.get("/old-name/").await.status(), 200);
    let (status, _) = app
        .api(
            Method::PUT,
            &format!("/posts/{id}"),
            Some(&editor),
            Some(json!({"slug": "new-name", "version": post["version"]})),
        )
        .await;
    assert_eq!(status, 200);
    converges("redirect", || async {
        let response = app.get("/old-name/").await;
        response.status() == 301 && response.headers()["location"] == "/new-name/"
    })
    .await;
    assert_eq!(app.get("/new-name/").await.status(), 200);
}

#[tokio::test]
async fn one_address_spraying_many_accounts_is_throttled() {
    let db = TestDb::new().await;
    // the test client stands for a load balancer that names the client's address
    let app = TestApp::spawn_with(
        &db,
        |config| {
            config.trusted_proxies = quire::config::TrustedProxies::parse("127.0.0.1/32").unwrap()
        },
        None,
    )
    .await;
    let victim = create_staff(&db.pool, "editor").await;
    let attempt = |email: String, password: &'static str, address: &'static str| {
        app.client
            .post(app.url("/admin/api/session"))
            .header("x-forwarded-for", address)
            .json(&json!({"email": email, "password": password}))
            .send()
    };
    // 30 wrong guesses, each against a different account, from one address
    for i in 0..30 {
        let response = attempt(format!("nobody{i}@example.com"), "guess", "203.0.113.7")
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
    }
    let blocked = attempt(victim.clone(), PASSWORD, "203.0.113.7")
        .await
        .unwrap();
    assert_eq!(blocked.status(), 429, "the address is throttled");
    let elsewhere = attempt(victim, PASSWORD, "198.51.100.20").await.unwrap();
    assert_eq!(elsewhere.status(), 200, "another address is not");
}
