//! Feeds, sitemap and robots.txt, read back with real parsers.

use std::time::Duration;

use crate::helpers::{TestApp, TestDb, insert_post};

/// Parses a feed the way feed readers do (feed-rs handles RSS, Atom and JSON Feed).
fn parse(body: &[u8]) -> feed_rs::model::Feed {
    feed_rs::parser::parse(body).expect("the feed parses")
}

/// Checks that a document is well-formed XML.
fn assert_well_formed(xml: &str) {
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!(
                "not well-formed at {}: {e}\n{xml}",
                reader.buffer_position()
            ),
        }
    }
}

async fn tagged_post(db: &TestDb) {
    let post = insert_post(
        &db.pool,
        "tagged",
        "Tagged & <typed>",
        "See [about](/about/) and ![pic](/content/images/p.png).",
        "published",
    )
    .await;
    sqlx::query(
        r#"with u as (insert into users (email, name, slug, role) values ('ada@example.com', 'Ada', 'ada', 'author') returning id),
                t as (insert into tags (slug, name) values ('rust', 'Rust') returning id),
                i as (insert into tags (slug, name, visibility) values ('secret', '#secret', 'internal') returning id),
                a as (insert into posts_authors (post_id, author_id) select $1, id from u)
           insert into posts_tags (post_id, tag_id) select $1, id from t union all select $1, id from i"#,
    )
    .bind(post)
    .execute(&db.pool)
    .await
    .unwrap();
    sqlx::query("update posts set feature_image = '/content/images/feature.jpg', updated_at = now() where id = $1")
        .bind(post)
        .execute(&db.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn every_feed_format_parses_with_titles_links_dates_and_absolute_content() {
    let db = TestDb::new().await;
    tagged_post(&db).await;
    insert_post(&db.pool, "a-draft", "A draft", "no", "draft").await;
    sqlx::query(
        "insert into posts (slug, title, status, published_at) values ('soon', 'Scheduled', 'scheduled', now() + interval '1 day')",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let app = TestApp::spawn(&db).await;
    let published: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("select published_at from posts where slug = 'tagged'")
            .fetch_one(&db.pool)
            .await
            .unwrap();

    for (path, content_type) in [
        ("/rss/", "application/rss+xml; charset=utf-8"),
        ("/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/feed.json", "application/feed+json; charset=utf-8"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], content_type);
        assert!(response.headers().contains_key("last-modified"), "{path}");
        let body = response.text().await.unwrap();
        if !path.ends_with(".json") {
            assert_well_formed(&body);
        }
        let feed = parse(body.as_bytes());
        assert_eq!(feed.title.as_ref().unwrap().content, "Quire", "{path}");
        let titles: Vec<&str> = feed
            .entries
            .iter()
            .map(|e| e.title.as_ref().unwrap().content.as_str())
            .collect();
        assert_eq!(
            titles,
            ["Tagged & <typed>", "Welcome to Quire"],
            "{path}: newest first, no drafts or scheduled posts"
        );

        let entry = &feed.entries[0];
        assert_eq!(entry.links[0].href, "http://blog.test/tagged/", "{path}");
        assert_eq!(
            entry.published.unwrap().timestamp(),
            published.timestamp(),
            "{path}"
        );
        assert!(!entry.id.is_empty());
        let categories: Vec<&str> = entry.categories.iter().map(|c| c.term.as_str()).collect();
        assert_eq!(categories, ["Rust"], "{path}: internal tags never leak");
        assert_eq!(
            entry.authors.first().and_then(|a| a.name.as_deref()),
            Some("Ada"),
            "{path}"
        );
        let html = entry
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .unwrap_or_default();
        assert!(
            html.contains(r#"href="http://blog.test/about/""#),
            "{path}: {html}"
        );
        assert!(
            html.contains(r#"src="http://blog.test/content/images/p.png""#),
            "{path}: {html}"
        );
        assert!(
            html.contains(r#"src="http://blog.test/content/images/feature.jpg""#),
            "{path}: feature image"
        );

        // ids are stable: a second replica gives the same
        let again = parse(
            &TestApp::spawn(&db)
                .await
                .get(path)
                .await
                .bytes()
                .await
                .unwrap(),
        );
        assert_eq!(again.entries[0].id, entry.id, "{path}");
    }
}

#[tokio::test]
async fn the_rss_feed_announces_itself_and_uses_rfc_822_dates() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let rss = app.page("/rss/").await;
    assert!(
        rss.contains(
            r#"<atom:link href="http://blog.test/rss/" rel="self" type="application/rss+xml"/>"#
        ),
        "{rss}"
    );
    let pub_date = rss
        .split("<pubDate>")
        .nth(1)
        .unwrap()
        .split("</pubDate>")
        .next()
        .unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc2822(pub_date).is_ok(),
        "{pub_date}"
    );
    let atom = app.page("/atom.xml").await;
    assert!(atom.contains(r#"rel="self""#) && atom.contains("http://blog.test/atom.xml"));
}

#[tokio::test]
async fn tag_and_author_feeds_hold_only_their_posts() {
    let db = TestDb::new().await;
    tagged_post(&db).await;
    let app = TestApp::spawn(&db).await;
    for path in [
        "/tag/rust/rss/",
        "/tag/rust/atom.xml",
        "/author/ada/rss/",
        "/author/ada/feed.json",
    ] {
        let feed = parse(&app.get(path).await.bytes().await.unwrap());
        let titles: Vec<String> = feed
            .entries
            .iter()
            .map(|e| e.title.clone().unwrap().content)
            .collect();
        assert_eq!(titles, ["Tagged & <typed>"], "{path}");
    }
    assert_eq!(
        app.get("/tag/secret/rss/").await.status(),
        404,
        "internal tags have no feed"
    );
    assert_eq!(app.get("/tag/nope/atom.xml").await.status(), 404);
    let moved = app.get("/feed/").await;
    assert_eq!(moved.status(), 301);
    assert_eq!(moved.headers()["location"], "/rss/");
}

#[tokio::test]
async fn feeds_are_identical_on_every_replica_and_revalidate_with_304() {
    let db = TestDb::new().await;
    let (a, b) = (TestApp::spawn(&db).await, TestApp::spawn(&db).await);
    for path in [
        "/rss/",
        "/atom.xml",
        "/feed.json",
        "/sitemap.xml",
        "/sitemap-posts.xml",
    ] {
        let first = a.get(path).await;
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        let modified = first.headers()["last-modified"]
            .to_str()
            .unwrap()
            .to_owned();
        let body = first.bytes().await.unwrap();
        let other = b.get(path).await;
        assert_eq!(other.headers()["etag"], etag.as_str(), "{path}");
        assert_eq!(
            other.headers()["last-modified"],
            modified.as_str(),
            "{path}"
        );
        assert_eq!(other.bytes().await.unwrap(), body, "{path}");

        assert_eq!(
            b.get_with(path, &[("if-none-match", &etag)]).await.status(),
            304,
            "{path}"
        );
        assert_eq!(
            b.get_with(path, &[("if-modified-since", &modified)])
                .await
                .status(),
            304,
            "{path}"
        );
        let older = httpdate::fmt_http_date(
            httpdate::parse_http_date(&modified).unwrap() - Duration::from_secs(60),
        );
        assert_eq!(
            b.get_with(path, &[("if-modified-since", &older)])
                .await
                .status(),
            200,
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_new_post_changes_the_feed_and_its_validators() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let etag = app.get("/rss/").await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    insert_post(&db.pool, "news", "Breaking news", "Now.", "published").await;
    crate::helpers::converges("feed update", || async {
        app.get_with("/rss/", &[("if-none-match", &etag)])
            .await
            .status()
            == 200
    })
    .await;
    assert!(app.page("/rss/").await.contains("Breaking news"));
}

#[tokio::test]
async fn the_sitemap_lists_public_urls_only_and_robots_points_to_it() {
    let db = TestDb::new().await;
    tagged_post(&db).await;
    insert_post(&db.pool, "a-draft", "A draft", "no", "draft").await;
    let app = TestApp::spawn(&db).await;

    let index = app.page("/sitemap.xml").await;
    assert_well_formed(&index);
    for part in ["pages", "posts", "authors", "tags"] {
        assert!(
            index.contains(&format!("<loc>http://blog.test/sitemap-{part}.xml</loc>")),
            "{index}"
        );
        let sub = app.page(&format!("/sitemap-{part}.xml")).await;
        assert_well_formed(&sub);
        assert!(!sub.contains("a-draft") && !sub.contains("secret"), "{sub}");
    }
    let posts = app.page("/sitemap-posts.xml").await;
    assert!(
        posts.contains("<loc>http://blog.test/tagged/</loc>") && posts.contains("<lastmod>"),
        "{posts}"
    );
    let pages = app.page("/sitemap-pages.xml").await;
    assert!(
        pages.contains("<loc>http://blog.test/about/</loc>")
            && pages.contains("<loc>http://blog.test/</loc>")
    );
    assert!(
        app.page("/sitemap-tags.xml")
            .await
            .contains("<loc>http://blog.test/tag/rust/</loc>")
    );
    assert!(
        app.page("/sitemap-authors.xml")
            .await
            .contains("<loc>http://blog.test/author/ada/</loc>")
    );

    let robots = app.page("/robots.txt").await;
    assert!(
        robots.contains("Sitemap: http://blog.test/sitemap.xml"),
        "{robots}"
    );
}

#[tokio::test]
async fn large_sitemaps_are_split_into_pages() {
    let db = TestDb::new().await;
    sqlx::query(
        r#"insert into posts (slug, title, status, published_at)
           select 'bulk-' || n, 'Bulk ' || n, 'published', now() - make_interval(mins => n)
           from generate_series(1, 1000) n"#,
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let app = TestApp::spawn(&db).await;
    let index = app.page("/sitemap.xml").await;
    assert!(
        index.contains("http://blog.test/sitemap-posts-2.xml"),
        "1001 posts need two files"
    );
    let first = app.page("/sitemap-posts.xml").await;
    assert_eq!(
        first.matches("<url>").count(),
        quire::http::feeds::SITEMAP_PAGE as usize
    );
    let second = app.page("/sitemap-posts-2.xml").await;
    assert_eq!(second.matches("<url>").count(), 1);
    assert_eq!(app.get("/sitemap-posts-3.xml").await.status(), 404);
}

#[tokio::test]
async fn every_url_in_feed_content_is_absolute_including_srcset_and_poster() {
    let db = TestDb::new().await;
    let post = insert_post(&db.pool, "media", "Media", "x", "published").await;
    // the HTML the renderer stores for an uploaded image and an embedded video: relative URLs
    // in `src`, `srcset`, `poster` and `href`
    sqlx::query("update posts set html = $2, feature_image = '/content/images/f.jpg' where id = $1")
        .bind(post)
        .bind(
            r#"<p><a href="../about/">About</a> <a href="/tag/x/">x</a></p>
<figure><img src="/content/images/a.jpg" srcset="/content/images/size/w600/a.jpg 600w, /content/images/a.jpg 1200w" sizes="(min-width: 720px) 720px" alt=""></figure>
<picture><source srcset="/content/images/b.webp 1x, /content/images/b@2x.webp 2x" type="image/webp"><img src="/content/images/b.jpg"></picture>
<video src="/content/media/v.mp4" poster="/content/images/poster.jpg" controls></video>"#,
        )
        .execute(&db.pool)
        .await
        .unwrap();
    let app = TestApp::spawn(&db).await;
    let attr = regex::Regex::new(r#"\b(src|href|srcset|poster)="([^"]*)""#).unwrap();
    for path in ["/rss/", "/atom.xml", "/feed.json"] {
        let feed = parse(&app.get(path).await.bytes().await.unwrap());
        let entry = feed
            .entries
            .iter()
            .find(|e| e.links.iter().any(|l| l.href.ends_with("/media/")))
            .unwrap_or_else(|| panic!("{path}: the post is in the feed"));
        let html = entry
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .unwrap_or_default();
        let mut urls = Vec::new();
        for found in attr.captures_iter(&html) {
            let value = found[2].replace("&amp;", "&");
            if &found[1] == "srcset" {
                urls.extend(
                    value
                        .split(',')
                        .filter_map(|c| c.split_whitespace().next().map(str::to_owned)),
                );
            } else {
                urls.push(value);
            }
        }
        assert!(
            urls.len() >= 11,
            "{path}: every URL is seen: {urls:?}\n{html}"
        );
        for url in &urls {
            assert!(
                url.starts_with("http://blog.test/"),
                "{path}: `{url}` is not absolute in\n{html}"
            );
        }
        for expected in [
            "http://blog.test/about/",
            "http://blog.test/content/images/size/w600/a.jpg",
            "http://blog.test/content/images/b@2x.webp",
            "http://blog.test/content/images/poster.jpg",
            "http://blog.test/content/images/f.jpg",
        ] {
            assert!(
                urls.iter().any(|u| u == expected),
                "{path}: {expected} in {urls:?}"
            );
        }
    }
}

#[tokio::test]
async fn every_atom_entry_has_an_author_even_the_welcome_post_of_a_fresh_install() {
    let db = TestDb::new().await;
    let authors: i64 = sqlx::query_scalar("select count(*) from posts_authors")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(authors, 0, "a fresh install has no staff yet");
    let app = TestApp::spawn(&db).await;
    let atom = app.page("/atom.xml").await;
    assert_well_formed(&atom);
    let entries: Vec<&str> = atom.split("<entry>").skip(1).collect();
    assert!(!entries.is_empty(), "{atom}");
    for entry in entries {
        assert!(
            entry.contains("<author>"),
            "an entry without an author: {entry}"
        );
    }
    let feed = parse(atom.as_bytes());
    let welcome = &feed.entries[0];
    assert_eq!(
        welcome.authors.first().and_then(|a| a.name.as_deref()),
        Some("Quire"),
        "the site's title speaks for it"
    );
}
