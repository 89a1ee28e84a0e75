//! Ghost's Content API, read by Ghost's own client (`@tryghost/content-api` from npm, run by
//! the machine's Node.js) as headless front ends read it: browse with includes, pagination
//! through every post, read by slug and id, tags and authors with their counts, settings,
//! tiers, and the errors Ghost answers with.

use std::path::Path;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestDb, converges};

/// Runs `tests/ghost/SCRIPT` with Node.js and answers the JSON it prints.
async fn run_client(script: &str, args: &[&str]) -> Value {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ghost");
    assert!(
        dir.join("node_modules/@tryghost").is_dir(),
        "Ghost's API clients are missing: run `npm ci` in tests/ghost (./test.sh does)"
    );
    let output = tokio::process::Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(&dir)
        .output()
        .await
        .expect("node runs (install Node.js 20)");
    assert!(
        output.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{script} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

fn slugs(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|p| p["slug"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn ghosts_content_api_client_reads_the_site_as_from_ghost() {
    let db = TestDb::new().await;
    let app = TestApp::spawn_at_address(&db).await;
    let admin = app.signed_in("administrator").await;
    // three posts a day apart, a draft, and the welcome content of a fresh install
    for (i, (title, tags, featured)) in [
        ("First post", vec!["Travel"], false),
        ("Second post", vec!["Travel", "#internal"], true),
        ("Third post", vec![], false),
    ]
    .into_iter()
    .enumerate()
    {
        let (status, post) = app
            .api(
                Method::POST,
                "/posts",
                Some(&admin),
                Some(json!({
                    "title": title,
                    "markdown": format!("Text of the {title}, with <b>markup</b> & more."),
                    "status": "published",
                    "published_at": format!("2026-01-0{}T10:00:00Z", i + 1),
                    "tags": tags,
                    "featured": featured,
                    "excerpt": if i == 1 { "A custom excerpt." } else { "" },
                })),
            )
            .await;
        assert_eq!(status, 201, "{post}");
    }
    let (_, draft) = app
        .api(
            Method::POST,
            "/posts",
            Some(&admin),
            Some(json!({"title": "Unfinished", "markdown": "Not yet."})),
        )
        .await;
    assert_eq!(draft["status"], "draft");
    let (_, integration) = app
        .api(
            Method::POST,
            "/integrations",
            Some(&admin),
            Some(json!({"name": "Front end"})),
        )
        .await;
    let key = integration["content_key"].as_str().unwrap();
    let site = app.url("");
    let site = site.trim_end_matches('/');

    let got = run_client("content.mjs", &[site, key]).await;

    // the newest first (the welcome post of a fresh install is published too), two a page
    let first = &got["first"];
    assert_eq!(slugs(&first["posts"]), ["welcome", "third-post"], "{first}");
    let pagination = &first["meta"]["pagination"];
    assert_eq!(
        (
            &pagination["page"],
            &pagination["limit"],
            &pagination["total"],
            &pagination["pages"],
            &pagination["next"],
            &pagination["prev"]
        ),
        (
            &json!(1),
            &json!(2),
            &json!(4),
            &json!(2),
            &json!(2),
            &Value::Null
        ),
        "{pagination}"
    );

    // pagination through every post, and limit=all
    let paged = &got["paged"];
    assert_eq!(paged["pages"], 2);
    assert_eq!(
        paged["slugs"],
        json!(["welcome", "third-post", "second-post", "first-post"]),
        "{paged}"
    );
    let all = &got["all"];
    assert_eq!(all["meta"]["pagination"]["limit"], "all");
    assert_eq!(
        slugs(&all["posts"]),
        ["first-post", "second-post", "third-post", "welcome"]
    );
    // fields keeps only what was asked for
    let keys: Vec<&String> = all["posts"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "slug"], "{all}");

    // a post with tags and authors included, as Ghost shapes it
    let second = &got["bySlug"];
    assert_eq!(second["title"], "Second post", "{second}");
    assert_eq!(second["featured"], true);
    assert_eq!(second["custom_excerpt"], "A custom excerpt.");
    assert_eq!(second["excerpt"], "A custom excerpt.");
    assert_eq!(second["url"], format!("{site}/second-post/"));
    assert_eq!(second["published_at"], "2026-01-02T10:00:00.000+00:00");
    assert_eq!(second["visibility"], "public");
    assert!(
        second["html"]
            .as_str()
            .unwrap()
            .contains("Text of the Second post")
    );
    assert_eq!(second["primary_tag"]["slug"], "travel");
    assert_eq!(
        second["primary_author"]["name"],
        admin_name(&app, &admin).await
    );
    assert_eq!(
        second["tags"],
        json!([second["primary_tag"].clone()]),
        "internal tags are left out, as Ghost's Content API leaves them out"
    );
    assert!(
        second["id"]
            .as_str()
            .unwrap()
            .chars()
            .all(|c| c.is_ascii_hexdigit())
    );
    assert!(second["uuid"].is_string());

    // read by slug, with both formats; read by the id it answered with
    let by_slug = &got["bySlug"];
    assert_eq!(
        by_slug["plaintext"],
        "Text of the Second post, with markup & more."
    );
    assert_eq!(got["byId"]["slug"], "second-post", "{}", got["byId"]);
    assert_eq!(got["missing"]["status"], 404, "{}", got["missing"]);
    assert_eq!(got["missing"]["body"]["errors"][0]["type"], "NotFoundError");

    // pages, public tags with counts, authors, settings, tiers
    assert_eq!(slugs(&got["pages"]), ["about"], "{}", got["pages"]);
    let tags = &got["tags"];
    let travel = tags
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["slug"] == "travel")
        .unwrap_or_else(|| panic!("{tags}"));
    assert_eq!(travel["count"]["posts"], 2);
    assert!(
        !tags.to_string().contains("#internal"),
        "internal tags are not listed: {tags}"
    );
    assert_eq!(got["tag"]["count"]["posts"], 2, "{}", got["tag"]);
    assert_eq!(got["authors"][0]["count"]["posts"], 3, "{}", got["authors"]);
    assert_eq!(got["settings"]["title"], "Quire", "{}", got["settings"]);
    assert_eq!(got["settings"]["url"], format!("{site}/"));
    assert_eq!(got["tiers"][0]["type"], "free");
    // filters, translated into SQL with bound values
    let filters = &got["filters"];
    assert_eq!(
        filters["tag"],
        json!(["second-post", "first-post"]),
        "{filters}"
    );
    assert_eq!(filters["tagsAndFeatured"], json!(["second-post"]));
    assert_eq!(filters["notTheSecond"], json!(["first-post"]));
    assert_eq!(filters["after"], json!(["second-post"]));
    assert_eq!(filters["either"], json!(["first-post", "third-post"]));
    assert_eq!(filters["author"], json!(["second-post", "first-post"]));
    for broken in ["broken", "unknownField"] {
        assert_eq!(filters[broken]["status"], 400, "{filters}");
        assert_eq!(
            filters[broken]["body"]["errors"][0]["type"],
            "ValidationError"
        );
    }
    let tag_filters = &got["tagFilters"];
    assert_eq!(
        tag_filters["visible"],
        json!(["getting-started", "travel"]),
        "{tag_filters}"
    );
    assert_eq!(tag_filters["some"], json!(["travel"]));
    assert_eq!(
        tag_filters["author"],
        json!([]),
        "the one author is left out"
    );
    assert_eq!(tag_filters["unknownField"]["status"], 400);
    assert_eq!(got["wrongKey"]["status"], 401, "{}", got["wrongKey"]);
    assert_eq!(
        got["wrongKey"]["body"]["errors"][0]["type"],
        "UnauthorizedError"
    );
}

async fn admin_name(app: &TestApp, admin: &crate::helpers::Session) -> String {
    let (_, me) = app.api(Method::GET, "/users/me", Some(admin), None).await;
    me["name"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_deleted_integrations_key_is_refused_at_once_and_bad_parameters_are_named() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let admin = app.signed_in("administrator").await;
    let (_, integration) = app
        .api(
            Method::POST,
            "/integrations",
            Some(&admin),
            Some(json!({"name": "Short-lived"})),
        )
        .await;
    let key = integration["content_key"].as_str().unwrap();
    let get = |query: String| {
        let app = &app;
        async move {
            let response = app.get(&format!("/ghost/api/content/posts/?{query}")).await;
            let status = response.status().as_u16();
            let cors = response
                .headers()
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap().to_owned());
            (status, cors, response.json::<Value>().await.unwrap())
        }
    };
    let (status, cors, body) = get(format!("key={key}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(cors.as_deref(), Some("*"));
    let (status, _, body) = get(format!("key={key}&limit=0")).await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["type"], "ValidationError");
    let (status, _, body) = get(format!("key={key}&order=password%20desc")).await;
    assert_eq!(status, 400, "{body}");
    // a value is a value: quotes in it neither end the statement nor widen the match
    let (status, _, body) = get(format!(
        "key={key}&filter=slug:%27welcome%5C%27%20or%201%3D1%20--%27"
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["posts"], json!([]), "{body}");
    let (status, _, body) = get(format!("key={key}&filter=slug:welcome")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["posts"][0]["slug"], "welcome");
    let (status, _, body) = get(format!("key={key}&filter=featured:maybe")).await;
    assert_eq!(status, 400, "{body}");
    let (status, _, body) = get(String::new()).await;
    assert_eq!(status, 401);
    assert_eq!(body["errors"][0]["type"], "UnauthorizedError");

    let (status, _) = app
        .api(
            Method::DELETE,
            &format!("/integrations/{}", integration["id"].as_str().unwrap()),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 204);
    converges("a deleted key stops", || async {
        get(format!("key={key}")).await.0 == 401
    })
    .await;
}

/// The slugs a Content API browse at `path` answers.
async fn slugs_on(app: &TestApp, path: &str) -> Vec<String> {
    let body: Value = app.get(path).await.json().await.unwrap();
    body["posts"]
        .as_array()
        .map(|posts| {
            posts
                .iter()
                .map(|p| p["slug"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn cached_answers_are_served_without_the_database_and_follow_every_change() {
    let db = TestDb::new().await;
    let (a, b) = (TestApp::spawn(&db).await, TestApp::spawn(&db).await);
    let admin = a.signed_in("administrator").await;
    let (_, integration) = a
        .api(
            Method::POST,
            "/integrations",
            Some(&admin),
            Some(json!({"name": "Front end"})),
        )
        .await;
    let key = integration["content_key"].as_str().unwrap().to_owned();
    let path = format!("/ghost/api/content/posts/?key={key}&limit=5&fields=slug");
    assert_eq!(slugs_on(&b, &path).await, ["welcome"]);

    // validators as for pages
    let first = b.get(&path).await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let again = b
        .client
        .get(b.url(&path))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    // hits are answered in front of the router, with what the router's answer carries
    for response in [again, b.get(&path).await] {
        assert_eq!(response.headers()["access-control-allow-origin"], "*");
        assert_eq!(response.headers()["etag"], etag.as_str());
    }

    // a post published on one replica shows in the other's answers within a second
    let (status, _) = a
        .api(
            Method::POST,
            "/posts",
            Some(&admin),
            Some(json!({"title": "Fresh", "markdown": "x", "status": "published"})),
        )
        .await;
    assert_eq!(status, 201);
    converges("the new post is in the other replica's answer", || async {
        slugs_on(&b, &path).await.first().map(String::as_str) == Some("fresh")
    })
    .await;

    // with no database left, what is cached is still answered, and nothing else is
    let cached = slugs_on(&b, &path).await;
    b.pool.close().await;
    assert_eq!(slugs_on(&b, &path).await, cached);
    let uncached = b
        .get(&format!("/ghost/api/content/posts/?key={key}&limit=2"))
        .await;
    assert_eq!(uncached.status(), 503);
    let body: Value = uncached.json().await.unwrap();
    assert_eq!(body["errors"][0]["type"], "ServiceUnavailableError");
}

/// An integration's Admin API key, made as an Administrator makes one.
async fn admin_key(app: &TestApp) -> String {
    let admin = app.signed_in("administrator").await;
    let (status, integration) = app
        .api(
            Method::POST,
            "/integrations",
            Some(&admin),
            Some(json!({"name": "Writing app"})),
        )
        .await;
    assert_eq!(status, 201, "{integration}");
    integration["admin_key"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn ghosts_admin_api_client_writes_posts_pages_tags_and_images() {
    let db = TestDb::new().await;
    let app = TestApp::spawn_at_address(&db).await;
    let replica = TestApp::spawn(&db).await;
    let key = admin_key(&app).await;
    let site = app.url("");
    let site = site.trim_end_matches('/');
    let dir = crate::support::temp::TempDir::new("admin-api");
    let image = dir.join("photo.png");
    std::fs::write(&image, crate::support::images::png(40, 30)).unwrap();

    let got = run_client("admin.mjs", &[site, &key, "write", image.to_str().unwrap()]).await;

    // added from HTML: Markdown is kept, and rendered back as the same HTML structure
    let added = &got["added"];
    assert_eq!(added["status"], "published", "{added}");
    assert_eq!(added["slug"], "sent-from-a-writing-app");
    let html = added["html"].as_str().unwrap();
    for part in [
        "<strong>world</strong>",
        r#"<a href="https://example.com/""#,
        ">a link</a>",
        "A part</h2>",
        "<li>one</li>",
    ] {
        assert!(html.contains(part), "{part} in {html}");
    }
    let tags: Vec<&str> = added["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["Apps", "Second tag"]);
    assert_eq!(added["primary_tag"]["slug"], "apps");
    assert_eq!(added["custom_excerpt"], "Written elsewhere.");
    let owner = added["primary_author"]["name"].as_str().unwrap();
    assert!(!owner.is_empty(), "{added}");

    // edited with its updated_at; a stale updated_at is refused as Ghost refuses it
    let edited = &got["edited"];
    assert_eq!(edited["title"], "Edited from a writing app", "{edited}");
    assert_ne!(edited["updated_at"], added["updated_at"]);
    let stale = &got["stale"];
    assert_eq!(stale["type"], "UpdateCollisionError", "{stale}");
    assert_eq!(got["noUpdatedAt"]["type"], "ValidationError", "{got}");
    assert_eq!(got["read"]["title"], "Edited from a writing app");
    // the Markdown comes back as a Markdown card, which Ghost's tools read
    let lexical: Value = serde_json::from_str(got["read"]["lexical"].as_str().unwrap()).unwrap();
    let card = &lexical["root"]["children"][0];
    assert_eq!(card["type"], "markdown");
    assert!(
        card["markdown"].as_str().unwrap().contains("**world**"),
        "{card}"
    );
    assert_eq!(got["bySlug"]["id"], added["id"]);

    // a draft page from a Lexical document
    let page = &got["page"];
    assert_eq!(page["status"], "draft", "{page}");
    assert!(
        page["html"]
            .as_str()
            .unwrap()
            .contains("How this site is made.")
    );
    assert_eq!(got["drafts"], json!(["colophon"]));
    assert_eq!(
        got["browse"],
        json!({"slugs": ["sent-from-a-writing-app"], "total": 1})
    );

    // the image is stored and served
    let image = &got["image"];
    assert_eq!(image["ref"], "photo.png", "{image}");
    let url = image["url"].as_str().unwrap();
    let served = app.client.get(url).send().await.unwrap();
    assert_eq!(served.status(), 200, "{url}");
    assert_eq!(got["tag"]["slug"], "from-the-api", "{got}");
    assert!(
        got["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "second-tag")
    );
    assert_eq!(got["site"]["url"], format!("{site}/"));

    // the site shows the edit on both replicas, the draft page on neither
    for replica in [&app, &replica] {
        converges("the edited post", || async {
            replica
                .page("/sent-from-a-writing-app/")
                .await
                .contains("Edited from a writing app")
                && replica
                    .page("/")
                    .await
                    .contains("Edited from a writing app")
        })
        .await;
        assert_eq!(replica.get("/colophon/").await.status(), 404);
    }

    // deleted: gone from the API and from both replicas
    let id = added["id"].as_str().unwrap();
    let got = run_client("admin.mjs", &[site, &key, "delete", id]).await;
    assert_eq!(got["gone"]["type"], "NotFoundError", "{got}");
    for replica in [&app, &replica] {
        converges("the deleted post gone", || async {
            replica.get("/sent-from-a-writing-app/").await.status() == 404
        })
        .await;
    }
}

#[tokio::test]
async fn admin_api_calls_without_a_valid_key_are_refused() {
    let db = TestDb::new().await;
    let app = TestApp::spawn_at_address(&db).await;
    let key = admin_key(&app).await;
    let site = app.url("");
    let site = site.trim_end_matches('/');

    // a key of the right shape that no integration has
    let wrong = format!("{}:{}", "a".repeat(24), "b".repeat(64));
    let got = run_client("admin.mjs", &[site, &wrong, "refused"]).await;
    assert_eq!(got["refused"]["type"], "UnauthorizedError", "{got}");
    assert_eq!(got["refused"]["context"], "Unknown Admin API Key");
    // the right key id with another secret
    let forged = format!("{}:{}", &key[..24], "c".repeat(64));
    let got = run_client("admin.mjs", &[site, &forged, "refused"]).await;
    assert_eq!(got["refused"]["type"], "UnauthorizedError", "{got}");
    assert_eq!(got["refused"]["error"], "Invalid token");
    // no token at all, and a session cookie does not stand in for one
    let response = app.get("/ghost/api/admin/posts/").await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["type"], "UnauthorizedError");
    // the key works until its integration is deleted
    let got = run_client("admin.mjs", &[site, &key, "refused"]).await;
    assert!(got["refused"].is_array(), "{got}");
    sqlx::query("delete from integrations")
        .execute(&db.pool)
        .await
        .unwrap();
    let got = run_client("admin.mjs", &[site, &key, "refused"]).await;
    assert_eq!(got["refused"]["type"], "UnauthorizedError", "{got}");
}
