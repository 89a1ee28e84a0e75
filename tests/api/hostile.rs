//! Hostile input: markup in excerpts, impossible dates, NUL bytes, absurd numbers and oversized
//! fields must give a clean answer (a 4xx naming the field, or a page that still renders),
//! never live markup in a feed reader nor a 500.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, TestDb, insert_post};

/// Parses a feed the way feed readers do.
fn parse(body: &[u8]) -> feed_rs::model::Feed {
    feed_rs::parser::parse(body).expect("the feed parses")
}

/// The RSS `<description>` (feed-rs: the entry's summary, HTML by RSS convention) of `slug`.
fn rss_description(feed: &feed_rs::model::Feed, slug: &str) -> String {
    let entry = feed
        .entries
        .iter()
        .find(|e| {
            e.links
                .iter()
                .any(|l| l.href.ends_with(&format!("/{slug}/")))
        })
        .unwrap_or_else(|| panic!("{slug} is in the feed"));
    entry
        .summary
        .as_ref()
        .expect("a description")
        .content
        .clone()
}

#[tokio::test]
async fn rss_descriptions_carry_excerpts_as_text_never_as_markup() {
    let db = TestDb::new().await;
    // a first paragraph that shows HTML in inline code: its plain-text excerpt has `<b>`
    insert_post(
        &db.pool,
        "shows-html",
        "Shows HTML",
        "Write `<b>bold</b>` & see.",
        "published",
    )
    .await;
    let app = TestApp::spawn(&db).await;
    let editor = app.signed_in("editor").await;
    let (status, _) = app
        .api(
            Method::POST,
            "/posts",
            Some(&editor),
            Some(json!({
                "title": "Hostile excerpt",
                "slug": "hostile",
                "markdown": "Body.",
                "excerpt": "<script>alert(1)</script>",
                "status": "published",
            })),
        )
        .await;
    assert_eq!(status, 201);

    let response = app.get("/rss/").await;
    assert_eq!(response.status(), 200);
    let feed = parse(&response.bytes().await.unwrap());

    let hostile = rss_description(&feed, "hostile");
    assert!(
        !hostile.to_ascii_lowercase().contains("<script"),
        "no live script element: {hostile}"
    );
    assert_eq!(hostile, "&lt;script&gt;alert(1)&lt;/script&gt;");

    let shows = rss_description(&feed, "shows-html");
    assert!(!shows.contains("<b>"), "no live element: {shows}");
    assert!(
        shows.contains("&lt;b&gt;bold&lt;/b&gt; &amp; see."),
        "the text is kept, escaped as HTML: {shows}"
    );
}

#[tokio::test]
async fn the_api_refuses_dates_outside_the_years_1970_to_9999() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let editor = app.signed_in("editor").await;
    for date in [
        "-0001-06-01T00:00:00Z",
        "+10000-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
    ] {
        let (status, body) = app
            .api(
                Method::POST,
                "/posts",
                Some(&editor),
                Some(json!({"title": "When?", "status": "published", "published_at": date})),
            )
            .await;
        assert_eq!(status, 422, "{date}: {body}");
        assert_eq!(body["error"]["field"], "published_at", "{date}: {body}");
    }

    let (status, post) = app
        .api(
            Method::POST,
            "/posts",
            Some(&editor),
            Some(json!({"title": "Fine", "published_at": "1970-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(status, 201, "{post}");
    let (status, body) = app
        .api(
            Method::PUT,
            &format!("/posts/{}", post["id"].as_str().unwrap()),
            Some(&editor),
            Some(json!({"version": post["version"], "published_at": "-0001-06-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "published_at");
}

#[tokio::test]
async fn feeds_and_pages_render_dates_out_of_range_written_by_sql() {
    let db = TestDb::new().await;
    let post = insert_post(&db.pool, "ancient", "Ancient", "Old words.", "published").await;
    // year -1 is 2 BC in PostgreSQL's reckoning; an update time in year 10000 too
    sqlx::query(
        r#"with u as (insert into users (email, name, slug, role) values ('x@example.com', 'X', 'x', 'author') returning id),
                t as (insert into tags (slug, name) values ('x', 'X') returning id),
                a as (insert into posts_authors (post_id, author_id) select $1, id from u),
                pt as (insert into posts_tags (post_id, tag_id) select $1, id from t)
           update posts set published_at = '0002-06-01 00:00:00+00 BC',
                            updated_at = '10000-01-01 00:00:00+00' where id = $1"#,
    )
    .bind(post)
    .execute(&db.pool)
    .await
    .unwrap();
    let app = TestApp::spawn(&db).await;
    for path in [
        "/rss/",
        "/tag/x/rss/",
        "/author/x/rss/",
        "/atom.xml",
        "/tag/x/atom.xml",
        "/feed.json",
        "/author/x/feed.json",
        "/sitemap.xml",
        "/sitemap-posts.xml",
        "/",
        "/ancient/",
        "/tag/x/",
        "/author/x/",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let body = response.bytes().await.unwrap();
        if path.contains("rss") || path.contains("atom") || path.contains("feed") {
            let feed = parse(&body);
            assert!(
                feed.entries
                    .iter()
                    .any(|e| e.links.iter().any(|l| l.href.ends_with("/ancient/"))),
                "{path}: the post is listed"
            );
        }
    }
}

#[tokio::test]
async fn a_panic_answers_an_opaque_500_that_carries_the_security_headers() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    // the production layers around a route that panics
    async fn boom() -> &'static str {
        panic!("a bug")
    }
    let routes = axum::Router::new().route("/boom", axum::routing::get(boom));
    let router = quire::http::with_layers(routes, app.state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, router).await });

    let response = reqwest::get(format!("http://{addr}/boom")).await.unwrap();
    server.abort();
    assert_eq!(response.status(), 500);
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "SAMEORIGIN");
    assert_eq!(
        headers["referrer-policy"],
        "strict-origin-when-cross-origin"
    );
    assert_eq!(headers["content-type"], "application/json");
    let body = response.text().await.unwrap();
    assert!(!body.contains("a bug"), "opaque: {body}");
}

/// A request to the admin API as `session`, with any body bytes; answers the status, the
/// content type and the JSON body.
async fn raw_api(
    app: &TestApp,
    method: Method,
    path_and_query: &str,
    session: &crate::helpers::Session,
    body: Option<String>,
) -> (u16, String, serde_json::Value) {
    let mut request = app
        .client
        .request(method, app.url(&format!("/admin/api{path_and_query}")))
        .header("cookie", &session.cookie)
        .header("x-csrf-token", &session.csrf);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = response.text().await.unwrap();
    (
        status,
        content_type,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test]
async fn nul_characters_in_any_text_field_are_refused_naming_the_field() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let owner = app.signed_in("owner").await;
    let (_, post) = app
        .api(
            Method::POST,
            "/posts",
            Some(&owner),
            Some(json!({"title": "A post"})),
        )
        .await;
    let (_, tag) = app
        .api(
            Method::POST,
            "/tags",
            Some(&owner),
            Some(json!({"name": "A tag"})),
        )
        .await;
    let post_id = post["id"].as_str().unwrap();
    let tag_id = tag["id"].as_str().unwrap();
    let nul = "a\u{0}b";
    let cases = [
        (
            Method::POST,
            "/posts".to_owned(),
            json!({"title": nul}),
            "title",
        ),
        (
            Method::POST,
            "/posts".to_owned(),
            json!({"title": "x", "tags": ["ok", nul]}),
            "tags",
        ),
        (
            Method::PUT,
            format!("/posts/{post_id}"),
            json!({"version": post["version"], "markdown": nul}),
            "markdown",
        ),
        (
            Method::POST,
            "/preview".to_owned(),
            json!({"markdown": nul}),
            "markdown",
        ),
        (
            Method::POST,
            "/tags".to_owned(),
            json!({"name": nul}),
            "name",
        ),
        (
            Method::PUT,
            format!("/tags/{tag_id}"),
            json!({"name": "A tag", "description": nul}),
            "description",
        ),
        (
            Method::PUT,
            "/settings".to_owned(),
            json!({"title": nul}),
            "title",
        ),
        (
            Method::PUT,
            "/settings".to_owned(),
            json!({"navigation": [{"label": nul, "url": "/"}]}),
            "navigation.label",
        ),
        (
            Method::POST,
            "/users".to_owned(),
            json!({"email": "new@example.com", "role": "author", "name": nul, "password": crate::helpers::PASSWORD}),
            "name",
        ),
        (
            Method::POST,
            "/session".to_owned(),
            json!({"email": format!("x{nul}@example.com"), "password": "whatever"}),
            "email",
        ),
    ];
    for (method, path, body, field) in cases {
        let (status, content_type, answer) =
            raw_api(&app, method.clone(), &path, &owner, Some(body.to_string())).await;
        assert_eq!(status, 422, "{method} {path}: {answer}");
        assert_eq!(content_type, "application/json", "{method} {path}");
        assert_eq!(answer["error"]["field"], field, "{method} {path}: {answer}");
    }

    // list filters in the query string
    for query in ["q=a%00b", "tag=%00", "author=x%00"] {
        let (status, content_type, answer) =
            raw_api(&app, Method::GET, &format!("/posts?{query}"), &owner, None).await;
        assert_eq!(status, 422, "{query}: {answer}");
        assert_eq!(content_type, "application/json");
        assert_eq!(
            answer["error"]["field"],
            query.split('=').next().unwrap(),
            "{query}: {answer}"
        );
    }
}

#[tokio::test]
async fn absurd_page_numbers_answer_404_or_422_not_500() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    for path in [
        "/sitemap-posts-10000000000000000.xml",
        "/sitemap-posts-9223372036854775807.xml",
        "/sitemap-tags-99999999999999999999999.xml",
        "/page/10000000000000000/",
        "/page/99999999999999999999999/",
        "/tag/x/page/10000000000000000/",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
    let owner = app.signed_in("owner").await;
    for page in [
        "0",
        "-1",
        "100001",
        "10000000000000000",
        "99999999999999999999",
    ] {
        let (status, content_type, answer) = raw_api(
            &app,
            Method::GET,
            &format!("/posts?page={page}"),
            &owner,
            None,
        )
        .await;
        assert_eq!(status, 422, "page={page}: {answer}");
        assert_eq!(content_type, "application/json");
        assert_eq!(answer["error"]["field"], "page", "page={page}: {answer}");
    }
}

#[tokio::test]
async fn bad_path_and_query_parameters_answer_in_json() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let owner = app.signed_in("owner").await;
    for path in [
        "/posts/not-a-uuid",
        "/posts/not-a-uuid/revisions",
        "/tags/not-a-uuid",
        "/users/not-a-uuid",
    ] {
        let (status, content_type, answer) = raw_api(&app, Method::GET, path, &owner, None).await;
        assert_eq!(status, 404, "{path}: {answer}");
        assert_eq!(content_type, "application/json", "{path}");
        assert!(answer["error"]["message"].is_string(), "{path}: {answer}");
    }
    let (status, content_type, answer) =
        raw_api(&app, Method::GET, "/posts?page=abc", &owner, None).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(content_type, "application/json");
    assert_eq!(answer["error"]["field"], "page", "{answer}");
    let (status, content_type, answer) =
        raw_api(&app, Method::GET, "/posts?status=nonsense", &owner, None).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(content_type, "application/json");
    assert_eq!(answer["error"]["field"], "status", "{answer}");
}

#[tokio::test]
async fn over_long_names_bios_tags_and_descriptions_are_refused_naming_the_field() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let owner = app.signed_in("owner").await;
    let long = |n: usize| "x".repeat(n);
    let cases = [
        (
            Method::POST,
            "/users",
            json!({"email": "long@example.com", "role": "author", "name": long(192), "password": crate::helpers::PASSWORD}),
            "name",
        ),
        (Method::POST, "/tags", json!({"name": long(192)}), "name"),
        (
            Method::POST,
            "/tags",
            json!({"name": "Fine", "description": long(1001)}),
            "description",
        ),
        (
            Method::POST,
            "/posts",
            json!({"title": "Long tag", "tags": [long(192)]}),
            "tags",
        ),
        (
            Method::POST,
            "/posts",
            json!({"title": "Many tags", "tags": (0..101).map(|i| format!("tag {i}")).collect::<Vec<_>>()}),
            "tags",
        ),
        (
            Method::PUT,
            "/settings",
            json!({"description": long(1001)}),
            "description",
        ),
        (
            Method::PUT,
            "/settings",
            json!({"timezone": long(1001)}),
            "timezone",
        ),
    ];
    for (method, path, body, field) in cases {
        let (status, answer) = app
            .api(method.clone(), path, Some(&owner), Some(body))
            .await;
        assert_eq!(status, 422, "{method} {path}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{method} {path}: {answer}");
    }
    let tags: i64 = sqlx::query_scalar("select count(*) from tags where name like 'tag %'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(tags, 0, "no tag of the refused post was created");

    // an invitation accepted with an over-long name
    let (status, invite) = app
        .api(
            Method::POST,
            "/users",
            Some(&owner),
            Some(json!({"email": "invited@example.com", "role": "author"})),
        )
        .await;
    assert_eq!(status, 201, "{invite}");
    let token = invite["invite_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    let (status, answer) = app
        .api(
            Method::POST,
            &format!("/invites/{token}"),
            None,
            Some(json!({"name": long(192), "password": crate::helpers::PASSWORD})),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["field"], "name", "{answer}");

    // at the limits, all is well
    let (status, answer) = app
        .api(
            Method::POST,
            "/posts",
            Some(&owner),
            Some(json!({"title": "100 tags", "tags": (0..100).map(|i| format!("tag {i}")).collect::<Vec<_>>()})),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    let (status, answer) = app
        .api(
            Method::POST,
            "/tags",
            Some(&owner),
            Some(json!({"name": long(191), "description": long(1000)})),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
}

#[tokio::test]
async fn posts_take_up_to_the_markdown_limit_and_other_calls_keep_1_mib() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let owner = app.signed_in("owner").await;
    let mib = 1024 * 1024;
    let markdown = |size: usize| "Words and more words.\n\n".repeat(size / 23 + 1);

    let (status, post) = app
        .api(
            Method::POST,
            "/posts",
            Some(&owner),
            Some(json!({"title": "Long read", "markdown": markdown(3 * mib / 2)})),
        )
        .await;
    assert_eq!(status, 201, "a 1.5 MiB post is accepted");
    let id = post["id"].as_str().unwrap();
    let (status, _) = app
        .api(
            Method::PUT,
            &format!("/posts/{id}"),
            Some(&owner),
            Some(json!({"version": post["version"], "markdown": markdown(7 * mib / 4)})),
        )
        .await;
    assert_eq!(status, 200, "and so is an update to 1.75 MiB");
    let (status, _) = app
        .api(
            Method::POST,
            "/preview",
            Some(&owner),
            Some(json!({"markdown": markdown(3 * mib / 2)})),
        )
        .await;
    assert_eq!(status, 200, "and its preview");

    let (status, answer) = app
        .api(
            Method::POST,
            "/posts",
            Some(&owner),
            Some(json!({"title": "Too long", "markdown": markdown(5 * mib / 2)})),
        )
        .await;
    assert_eq!(status, 422, "a 2.5 MiB post is refused: {answer}");
    assert_eq!(answer["error"]["field"], "markdown");
    let (status, _) = app
        .api(
            Method::POST,
            "/posts",
            Some(&owner),
            Some(json!({"title": "Far too long", "markdown": markdown(4 * mib)})),
        )
        .await;
    assert_eq!(status, 413, "a body beyond 3 MiB is not even read");

    // other calls keep the default limit
    let (status, _) = app
        .api(
            Method::PUT,
            "/settings",
            Some(&owner),
            Some(json!({"description": "x".repeat(3 * mib / 2)})),
        )
        .await;
    assert_eq!(status, 413);
}
