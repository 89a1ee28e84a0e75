//! What readers see.

use crate::helpers::{TestApp, TestDb, insert_post};

#[tokio::test]
async fn a_fresh_install_shows_the_welcome_post() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;

    let home = app.page("/").await;
    assert!(home.contains("Welcome to Quire"), "{home}");
    assert!(
        home.contains(r#"href="/welcome/""#),
        "the home page links the post"
    );
    assert!(
        !home.contains("About this site"),
        "pages are not listed among posts"
    );

    let post = app.page("/welcome/").await;
    assert!(
        post.contains("<h2 id=\"write-your-first-post\">"),
        "rendered Markdown with anchors"
    );
    assert!(
        post.contains(r#"<link rel="canonical" href="http://blog.test/welcome/">"#),
        "{post}"
    );
    assert!(post.contains(r#"property="og:type" content="article""#));
    assert!(post.contains(r#""@type":"BlogPosting""#));
    assert!(post.contains(r#"type="application/rss+xml""#));
    assert!(post.contains(r#"name="twitter:card""#));

    let about = app.page("/about/").await;
    assert!(about.contains("About this site"));
}

#[tokio::test]
async fn a_missing_page_answers_404_with_the_themes_error_page() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    for path in [
        "/no-such-post/",
        "/tag/no-such-tag/",
        "/author/nobody/",
        "/page/99/",
        "/a/b/c/d.png",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(response.headers().contains_key("etag"), "{path}");
        let body = response.text().await.unwrap();
        assert!(body.contains("Page not found"), "{path}: {body}");
        assert!(
            body.contains(r#"<meta name="robots" content="noindex">"#),
            "{path}"
        );
    }
}

#[tokio::test]
async fn paths_without_a_trailing_slash_and_page_one_redirect() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let response = app.get("/welcome").await;
    assert_eq!(response.status(), 301);
    assert_eq!(response.headers()["location"], "/welcome/");
    let response = app.get("/page/1/").await;
    assert_eq!(response.status(), 301);
    assert_eq!(response.headers()["location"], "/");
}

#[tokio::test]
async fn stored_redirects_send_old_urls_to_new_ones() {
    let db = TestDb::new().await;
    sqlx::query(
        "insert into redirects (from_path, to_path) values ('/2019/01/old-post/', '/welcome/')",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let app = TestApp::spawn(&db).await;
    let response = app.get("/2019/01/old-post/").await;
    assert_eq!(response.status(), 301);
    assert_eq!(response.headers()["location"], "/welcome/");
}

#[tokio::test]
async fn drafts_and_scheduled_posts_are_not_public() {
    let db = TestDb::new().await;
    insert_post(&db.pool, "secret-draft", "Secret draft", "shh", "draft").await;
    sqlx::query(
        "insert into posts (slug, title, status, published_at) values ('later', 'Later', 'scheduled', now() + interval '1 day')",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let app = TestApp::spawn(&db).await;
    assert_eq!(app.get("/secret-draft/").await.status(), 404);
    assert_eq!(app.get("/later/").await.status(), 404);
    let home = app.page("/").await;
    assert!(
        !home.contains("Secret draft") && !home.contains("Later"),
        "{home}"
    );
}

#[tokio::test]
async fn the_home_page_is_paginated_by_the_posts_per_page_setting() {
    let db = TestDb::new().await;
    sqlx::query("update settings set value = '5' where key = 'posts_per_page'")
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::query(
        "update posts set published_at = now() - interval '1000 hours' where slug = 'welcome'",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    for i in 1..=11 {
        let id = insert_post(
            &db.pool,
            &format!("post-{i}"),
            &format!("Post number {i}"),
            "Text.",
            "published",
        )
        .await;
        // distinct, ordered publication times
        sqlx::query("update posts set published_at = now() - make_interval(hours => 100 - $2) where id = $1")
            .bind(id)
            .bind(i)
            .execute(&db.pool)
            .await
            .unwrap();
    }
    let app = TestApp::spawn(&db).await;

    let first = app.page("/").await;
    assert!(first.contains("Post number 11") && first.contains("Post number 7"));
    assert!(!first.contains("Post number 6"));
    assert!(
        first.contains(r#"<link rel="next" href="http://blog.test/page/2/">"#),
        "{first}"
    );

    let second = app.page("/page/2/").await;
    assert!(second.contains("Post number 6") && second.contains("Post number 2"));
    assert!(second.contains(r#"<link rel="prev" href="http://blog.test/">"#));
    assert!(second.contains(r#"<link rel="next" href="http://blog.test/page/3/">"#));

    let third = app.page("/page/3/").await;
    assert!(third.contains("Post number 1") && third.contains("Welcome to Quire"));
    assert_eq!(app.get("/page/4/").await.status(), 404);
}

#[tokio::test]
async fn tag_and_author_archives_list_their_posts_and_internal_tags_stay_hidden() {
    let db = TestDb::new().await;
    let post = insert_post(&db.pool, "rusty", "Rusty thoughts", "Text.", "published").await;
    sqlx::query(
        r#"with u as (insert into users (email, name, slug, role, bio) values
                        ('ada@example.com', 'Ada Lovelace', 'ada', 'author', 'Writes about engines.') returning id),
                t as (insert into tags (slug, name) values ('rust', 'Rust') returning id),
                i as (insert into tags (slug, name, visibility) values ('hash-import', '#import', 'internal') returning id)
           insert into posts_tags (post_id, tag_id, sort_order)
           select $1, id, 0 from t union all select $1, id, 1 from i"#,
    )
    .bind(post)
    .execute(&db.pool)
    .await
    .unwrap();
    sqlx::query("insert into posts_authors (post_id, author_id) select $1, id from users where slug = 'ada'")
        .bind(post)
        .execute(&db.pool)
        .await
        .unwrap();
    let app = TestApp::spawn(&db).await;

    let tag = app.page("/tag/rust/").await;
    assert!(
        tag.contains("Rusty thoughts") && !tag.contains("Welcome to Quire"),
        "{tag}"
    );
    let author = app.page("/author/ada/").await;
    assert!(author.contains("Rusty thoughts") && author.contains("Writes about engines."));
    let page = app.page("/rusty/").await;
    assert!(page.contains(r#"href="/tag/rust/""#) && page.contains(r#"href="/author/ada/""#));
    assert!(!page.contains("#import"), "internal tags never show");
    assert_eq!(app.get("/tag/hash-import/").await.status(), 404);
}

#[tokio::test]
async fn site_settings_shape_every_page() {
    let db = TestDb::new().await;
    for (key, value) in [
        ("title", r#""The Engine Room""#),
        ("description", r#""Notes on machines""#),
        (
            "navigation",
            r#"[{"label": "Archive", "url": "/tag/getting-started/"}]"#,
        ),
        ("accent_color", r##""#0b7285""##),
    ] {
        sqlx::query("update settings set value = $2::jsonb where key = $1")
            .bind(key)
            .bind(value)
            .execute(&db.pool)
            .await
            .unwrap();
    }
    let app = TestApp::spawn(&db).await;
    let home = app.page("/").await;
    assert!(home.contains("<title>The Engine Room</title>"), "{home}");
    assert!(home.contains("Notes on machines"));
    assert!(home.contains(r#"href="/tag/getting-started/""#) && home.contains("Archive"));
    assert!(home.contains("--accent:#0b7285"), "{home}");
}

#[tokio::test]
async fn markup_in_titles_is_escaped_and_post_html_is_sanitised() {
    let db = TestDb::new().await;
    insert_post(
        &db.pool,
        "xss",
        "<script>alert(1)</script>",
        "<script>alert(2)</script><b>bold</b>",
        "published",
    )
    .await;
    let app = TestApp::spawn(&db).await;
    let page = app.page("/xss/").await;
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(
        page.contains(r#""headline":"\u003cscript>alert(1)\u003c/script>""#),
        "JSON-LD keeps the title, inert"
    );
    assert!(page.contains("&lt;script&gt;alert(1)"));
    assert!(page.contains("<b>bold</b>"));
}

#[tokio::test]
async fn dates_are_shown_in_the_sites_timezone() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let owner = app.signed_in("owner").await;
    let (status, answer) = app
        .api(
            reqwest::Method::PUT,
            "/settings",
            Some(&owner),
            Some(serde_json::json!({"timezone": "Mars/Olympus_Mons"})),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["field"], "timezone", "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Unknown time zone")),
        "{answer}"
    );
    let (status, answer) = app
        .api(
            reqwest::Method::PUT,
            "/settings",
            Some(&owner),
            Some(serde_json::json!({"timezone": "Asia/Tokyo"})),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = app
        .api(
            reqwest::Method::POST,
            "/posts",
            Some(&owner),
            Some(serde_json::json!({
                "title": "New Year's evening",
                "markdown": "Fireworks.",
                "status": "published",
                "published_at": "2026-01-01T20:00:00Z",
            })),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    let path = format!("/{}/", answer["slug"].as_str().unwrap());

    // 20:00 on 1 January in UTC is 05:00 on 2 January in Tokyo
    let post = app.page(&path).await;
    assert!(
        post.contains(r#"<time datetime="2026-01-02T05:00:00+09:00">2 Jan 2026</time>"#),
        "{post}"
    );
    assert!(!post.contains("1 Jan 2026"), "{post}");
    let home = app.page("/").await;
    assert!(
        home.contains(r#"<time datetime="2026-01-02T05:00:00+09:00">2 Jan 2026</time>"#),
        "{home}"
    );
    // feeds keep machine-readable dates
    let rss = app.page("/rss/").await;
    assert!(rss.contains("Thu, 1 Jan 2026 20:00:00 +0000"), "{rss}");
}

#[tokio::test]
async fn the_first_image_of_a_page_loads_at_once_and_the_others_lazily() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let owner = app.signed_in("owner").await;
    for (title, when, image, markdown) in [
        (
            "Older",
            "2026-01-01T10:00:00Z",
            Some("https://img.example/older.jpg"),
            "Text.",
        ),
        (
            "Newer",
            "2026-01-02T10:00:00Z",
            Some("https://img.example/newer.jpg"),
            "![in the text](https://img.example/newer-text.jpg)",
        ),
        (
            "Pictures only in the text",
            "2025-12-01T10:00:00Z",
            None,
            "Intro.\n\n![first](https://img.example/first.jpg)\n\n![second](https://img.example/second.jpg)",
        ),
    ] {
        let (status, answer) = app
            .api(
                reqwest::Method::POST,
                "/posts",
                Some(&owner),
                Some(serde_json::json!({
                    "title": title,
                    "markdown": markdown,
                    "status": "published",
                    "published_at": when,
                    "feature_image": image,
                })),
            )
            .await;
        assert_eq!(status, 201, "{answer}");
    }
    let eager = |html: &str, src: &str| {
        html.split("<img")
            .skip(1)
            .filter(|tag| tag.contains(r#"loading="eager""#))
            .map(|tag| {
                assert!(tag.contains(r#"fetchpriority="high""#), "{tag}");
                tag.contains(&format!(r#"src="{src}""#))
            })
            .collect::<Vec<bool>>()
    };

    let home = app.page("/").await;
    assert_eq!(
        eager(&home, "https://img.example/newer.jpg"),
        [true],
        "only the first card's image: {home}"
    );
    assert!(
        home.contains(r#"src="https://img.example/older.jpg""#)
            && home.contains(r#"loading="lazy""#),
        "{home}"
    );

    let post = app.page("/newer/").await;
    assert_eq!(
        eager(&post, "https://img.example/newer.jpg"),
        [true],
        "{post}"
    );
    let text_image = &post[post.find("newer-text.jpg").unwrap()..];
    assert!(
        text_image[..text_image.find('>').unwrap()].contains(r#"loading="lazy""#),
        "{post}"
    );

    let post = app.page("/pictures-only-in-the-text/").await;
    assert_eq!(
        eager(&post, "https://img.example/first.jpg"),
        [true],
        "{post}"
    );
    let second = &post[post.find("second.jpg").unwrap()..];
    assert!(
        second[..second.find('>').unwrap()].contains(r#"loading="lazy""#),
        "{post}"
    );
}

#[tokio::test]
async fn code_is_highlighted_on_the_page_and_stays_text() {
    let db = TestDb::new().await;
    insert_post(
        &db.pool,
        "code",
        "Code",
        "```rust\nfn main() { println!(\"</code><script>alert(1)</script>\"); }\n```\n\n```klingon\nplain <b>text</b>\n```\n",
        "published",
    )
    .await;
    let app = TestApp::spawn(&db).await;
    let post = app.page("/code/").await;
    assert!(
        post.contains(r#"<pre><code class="language-rust"><span class="hl-keyword">fn </span><span class="hl-function">main</span>"#),
        "{post}"
    );
    assert!(!post.contains("<script>alert"), "{post}");
    assert!(post.contains("&lt;script&gt;alert(1)"), "{post}");
    assert!(
        post.contains(r#"<pre><code class="language-klingon">plain &lt;b&gt;text&lt;/b&gt;"#),
        "{post}"
    );
    // the theme's stylesheet colours the classes
    let css_url = post
        .split(r#"<link rel="stylesheet" href=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    let css = app.page(css_url).await;
    assert!(css.contains(".hl-keyword{color:"), "{css}");
    assert!(css.contains("prefers-color-scheme:dark"), "{css}");
}

#[tokio::test]
async fn browsers_find_an_icon_at_favicon_ico() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let response = app.get("/favicon.ico").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    assert_eq!(response.headers()["cache-control"], "public, max-age=86400");
    let icon = response.text().await.unwrap();
    assert!(icon.starts_with("<svg"), "{icon}");
    // admin pages name it, so the browser need not guess; the site names its theme's
    let mut path = "/admin/login/".to_owned();
    let mut response = app.get(&path).await;
    while response.status().is_redirection() {
        path = response.headers()["location"].to_str().unwrap().to_owned();
        response = app.get(&path).await;
    }
    let login = response.text().await.unwrap();
    assert!(
        login.contains(r#"<link rel="icon" href="/favicon.ico" type="image/svg+xml">"#),
        "{login}"
    );
    let home = app.page("/").await;
    assert!(
        home.contains(r#"<link rel="icon" href="/assets/theme/default/favicon."#),
        "{home}"
    );
}
