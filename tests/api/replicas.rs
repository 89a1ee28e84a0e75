//! Several replicas on one database: identical answers, and every committed change reaching
//! every replica, whoever made it.

use std::time::Duration;

use crate::helpers::{TestApp, TestDb, converges, eventually, insert_post};

/// Two replicas render the same content to the same bytes and the same ETags.
#[tokio::test]
async fn two_replicas_serve_byte_identical_pages_and_etags() {
    let db = TestDb::new().await;
    let (a, b) = (TestApp::spawn(&db).await, TestApp::spawn(&db).await);
    for path in [
        "/",
        "/welcome/",
        "/about/",
        "/tag/getting-started/",
        "/missing/",
    ] {
        for encoding in ["identity", "gzip", "br"] {
            let ra = a.get_with(path, &[("accept-encoding", encoding)]).await;
            let rb = b.get_with(path, &[("accept-encoding", encoding)]).await;
            assert_eq!(ra.status(), rb.status(), "{path}");
            assert_eq!(
                ra.headers()["etag"],
                rb.headers()["etag"],
                "{path} {encoding}"
            );
            assert_eq!(
                ra.bytes().await.unwrap(),
                rb.bytes().await.unwrap(),
                "{path} {encoding}"
            );
        }
    }
}

/// A change committed through either replica's connection, or by plain SQL from outside,
/// shows on both within a second.
#[tokio::test]
async fn a_committed_change_reaches_every_replica_within_a_second() {
    let db = TestDb::new().await;
    let (a, b) = (TestApp::spawn(&db).await, TestApp::spawn(&db).await);
    for app in [&a, &b] {
        assert!(app.page("/welcome/").await.contains("Welcome to Quire"));
    }
    let writers = [
        ("replica a", a.pool.clone()),
        ("replica b", b.pool.clone()),
        ("plain SQL", db.pool.clone()),
    ];
    for (round, (writer, pool)) in writers.iter().enumerate() {
        let title = format!("Changed by {writer} ({round})");
        sqlx::query("update posts set title = $1, updated_at = now() where slug = 'welcome'")
            .bind(&title)
            .execute(pool)
            .await
            .unwrap();
        for app in [&a, &b] {
            let took = converges(&title, || async {
                app.page("/welcome/").await.contains(&title) && app.page("/").await.contains(&title)
            })
            .await;
            eprintln!("{writer}: visible on a replica after {took:?}");
        }
    }
}

/// A post published from outside shows up in lists on every replica.
#[tokio::test]
async fn a_new_post_appears_on_every_replicas_home_page() {
    let db = TestDb::new().await;
    let (a, b) = (TestApp::spawn(&db).await, TestApp::spawn(&db).await);
    assert_eq!(
        a.get("/fresh/").await.status(),
        404,
        "the 404 is cached now"
    );
    assert_eq!(b.get("/fresh/").await.status(), 404);
    insert_post(
        &db.pool,
        "fresh",
        "Fresh off the press",
        "New.",
        "published",
    )
    .await;
    for app in [&a, &b] {
        converges("new post", || async {
            app.get("/fresh/").await.status() == 200
                && app.page("/").await.contains("Fresh off the press")
        })
        .await;
    }
}

/// A settings change reaches every page of every replica, those rendered before it and those
/// rendered for the first time after it: each replica reads the settings once per cache
/// generation, and a change starts a new one.
#[tokio::test]
async fn a_settings_change_reaches_pages_rendered_before_and_after_it() {
    let db = TestDb::new().await;
    let (a, b) = (TestApp::spawn(&db).await, TestApp::spawn(&db).await);
    for app in [&a, &b] {
        // the settings are read, and kept, by the first render
        assert!(app.page("/welcome/").await.contains("Welcome to Quire"));
    }
    sqlx::query(r#"update settings set value = '"Renamed Site"'::jsonb where key = 'title'"#)
        .execute(&db.pool)
        .await
        .unwrap();
    for app in [&a, &b] {
        converges("new title on a cached page", || async {
            app.page("/welcome/").await.contains("Renamed Site")
        })
        .await;
        // pages no replica had rendered yet
        for path in ["/about/", "/tag/getting-started/", "/rss/"] {
            let page = app.page(path).await;
            assert!(page.contains("Renamed Site"), "{path}: {page}");
        }
    }
}

/// A replica whose notification connection was cut converges through the periodic check.
#[tokio::test]
async fn a_replica_that_lost_its_notifications_still_converges() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    assert!(app.page("/welcome/").await.contains("Welcome to Quire"));
    // cut the LISTEN connection and change content in the same breath
    sqlx::query(
        r#"select pg_terminate_backend(pid) from pg_stat_activity
           where datname = current_database() and query ilike 'listen%'"#,
    )
    .execute(&db.pool)
    .await
    .unwrap();
    sqlx::query("update posts set title = 'Seen without a notification' where slug = 'welcome'")
        .execute(&db.pool)
        .await
        .unwrap();
    eventually(Duration::from_secs(3), "convergence", || async {
        app.page("/welcome/")
            .await
            .contains("Seen without a notification")
    })
    .await;
}

/// A scheduled post becomes public at its time, with nobody doing anything.
#[tokio::test]
async fn a_scheduled_post_appears_on_time() {
    let db = TestDb::new().await;
    let (a, b) = (TestApp::spawn(&db).await, TestApp::spawn(&db).await);
    let due: chrono::DateTime<chrono::Utc> = sqlx::query_scalar(
        r#"insert into posts (slug, title, html, status, published_at)
           values ('on-time', 'Right on time', '<p>Now.</p>', 'scheduled', now() + interval '1500 milliseconds')
           returning published_at"#,
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(a.get("/on-time/").await.status(), 404);
    for app in [&a, &b] {
        eventually(Duration::from_secs(4), "scheduled post", || async {
            app.get("/on-time/").await.status() == 200
        })
        .await;
        let late = chrono::Utc::now() - due;
        // the pulse runs every second; the rest is slack for a loaded machine
        assert!(
            late < chrono::TimeDelta::milliseconds(2500),
            "published {late} late"
        );
        assert!(app.page("/").await.contains("Right on time"));
    }
    let status: String =
        sqlx::query_scalar("select status::text from posts where slug = 'on-time'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(status, "published");
}

/// Editing a draft changes nothing readers see, so it does not empty the caches.
#[tokio::test]
async fn saving_a_draft_does_not_invalidate_caches() {
    let db = TestDb::new().await;
    let version = || async {
        sqlx::query_scalar::<_, i64>("select content_version from site_state")
            .fetch_one(&db.pool)
            .await
            .unwrap()
    };
    let draft = insert_post(&db.pool, "wip", "Work in progress", "Draft.", "draft").await;
    let before = version().await;
    for i in 0..5 {
        sqlx::query("update posts set markdown = $2, version = version + 1 where id = $1")
            .bind(draft)
            .bind(format!("autosave {i}"))
            .execute(&db.pool)
            .await
            .unwrap();
    }
    assert_eq!(version().await, before);
    sqlx::query("update posts set status = 'published', published_at = now() where id = $1")
        .bind(draft)
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(version().await, before + 1, "publishing does");
}
