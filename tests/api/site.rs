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
