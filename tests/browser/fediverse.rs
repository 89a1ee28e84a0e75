//! The site on the fediverse, from the admin: its followers and handle in the settings, turning
//! it off and on, and a post's likes, boosts and replies in the editor, where a reply's HTML
//! is cleaned again before it reaches the page.

use std::time::Duration;

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::accessibility::serious_violations;
use crate::helpers::{Browser, TestApp, TestDb, WAIT, create_staff, driver, http_status};
use crate::support::wait;

/// An account of another server, as the inbox keeps it once it has heard from it.
async fn seed_actor(pool: &PgPool, id: &str, username: &str, name: &str) {
    sqlx::query(
        "insert into activitypub_actors \
             (id, key_id, public_key_pem, inbox, shared_inbox, preferred_username, name, url, icon) \
         values ($1, $1 || '#main-key', 'not a key the test uses', $1 || '/inbox', null, $2, $3, \
                 $1 || '/profile', null)",
    )
    .bind(id)
    .bind(username)
    .bind(name)
    .execute(pool)
    .await
    .expect("seed an actor");
}

/// A like, boost or reply of `post` by `actor`, as the inbox stores it.
async fn seed_interaction(pool: &PgPool, post: Uuid, kind: &str, actor: &str, html: Option<&str>) {
    let activity = format!("{actor}/activities/{}", Uuid::new_v4().simple());
    sqlx::query(
        "insert into activitypub_interactions \
             (activity_id, kind, post_id, actor_id, object_id, url, content_html, published_at) \
         values ($1, $2, $3, $4, $1 || '/object', $1 || '/page', $5, now() - interval '1 hour')",
    )
    .bind(&activity)
    .bind(kind)
    .bind(post)
    .bind(actor)
    .bind(html)
    .execute(pool)
    .await
    .expect("seed an interaction");
}

/// Waits until WebFinger answers `status` for `acct:{name}@{host}`: a setting reaches the
/// replica when the database tells it, a moment after the save.
async fn webfinger_answers(app: &TestApp, name: &str, status: u16) {
    let url = app.url(&format!(
        "/.well-known/webfinger?resource=acct:{name}@{}",
        app.addr
    ));
    let answered = wait::within(WAIT, Duration::from_millis(50), || async {
        http_status(&url).await == status
    })
    .await;
    assert!(
        answered.is_some(),
        "{url} answers {} rather than {status}",
        http_status(&url).await
    );
}

/// Saves the settings form and waits until the handle's hint says `text`.
async fn save_settings(browser: &Browser, text: &str) {
    browser.click("#settings-form button[type=submit]").await;
    browser.wait_for_text("#fediverse-handle", text).await;
}

/// Evaluates a script's `return` in the page.
async fn eval(browser: &Browser, script: &str) -> serde_json::Value {
    browser
        .client
        .execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("{script}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_the_handle_and_a_posts_replies_show_in_the_admin() {
    let Some(mut driver) = driver().await else {
        return;
    };
    let db = TestDb::new().await;
    let app = TestApp::spawn_at_address(&db).await;
    let email = create_staff(&db.pool, "administrator", "Ada Admin").await;
    let post: Uuid = sqlx::query_scalar(
        "insert into posts \
             (slug, title, markdown, html, excerpt, word_count, reading_time, status, published_at) \
         values ('hello-fediverse', 'Hello, fediverse', 'Hi there.', '<p>Hi there.</p>', \
                 'Hi there.', 2, 1, 'published', now()) \
         returning id",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let alice = "https://social.example/users/alice";
    let mallory = "https://elsewhere.example/users/mallory";
    seed_actor(&db.pool, alice, "alice", "Alice Example").await;
    seed_actor(&db.pool, mallory, "mallory", "Mallory").await;
    sqlx::query(
        "insert into activitypub_followers (actor_id, follow_id) values ($1, $1 || '/follows/1')",
    )
    .bind(alice)
    .execute(&db.pool)
    .await
    .unwrap();
    seed_interaction(&db.pool, post, "like", alice, None).await;
    seed_interaction(
        &db.pool,
        post,
        "reply",
        alice,
        Some("<p>What a <strong>lovely</strong> post!</p>"),
    )
    .await;
    // as if a row had reached the table past the inbox's sanitiser
    seed_interaction(
        &db.pool,
        post,
        "reply",
        mallory,
        Some(
            "<p>Look <img src=x onerror=\"document.body.dataset.injected='img'\"> here\
             <script>document.body.dataset.injected='script'</script></p>\
             <a href=\"javascript:document.body.dataset.injected='link'\" onclick=\"x()\">click</a>\
             <svg><a href=\"https://elsewhere.example/\">in svg</a></svg>",
        ),
    )
    .await;
    webfinger_answers(&app, "quire", 200).await;

    let browser = driver.browser(1280, 900).await;
    browser.sign_in(&app, &email).await;

    // the settings: the follower, and the handle made from the title
    browser.open(&app.url("/admin/settings/")).await;
    browser
        .wait_for_text("#followers-summary", "1 follower")
        .await;
    let followers = browser.text("#follower-list").await;
    assert!(
        followers.contains("Alice Example") && followers.contains("@alice@social.example"),
        "{followers}"
    );
    assert_eq!(
        eval(
            &browser,
            "return document.querySelector('#follower-list a').getAttribute('href');"
        )
        .await,
        json!(format!("{alice}/profile"))
    );
    assert!(!browser.is_displayed("#followers-pages").await);
    let handle = format!("@quire@{}", app.addr);
    browser
        .wait_for_text("#fediverse-handle", &format!("People search for {handle}"))
        .await;
    assert_eq!(
        eval(
            &browser,
            "return document.querySelector('#set-activitypub-enabled').checked;"
        )
        .await,
        json!(true)
    );
    let found = serious_violations(&browser, "settings with a follower").await;
    assert!(found.is_empty(), "{}", found.join("\n"));

    // off: the site cannot be looked up; the setting is a JSON boolean
    browser.click("#set-activitypub-enabled").await;
    save_settings(&browser, "While publishing is off").await;
    webfinger_answers(&app, "quire", 404).await;
    let stored: String =
        sqlx::query_scalar("select value::text from settings where key = 'activitypub_enabled'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(stored, "false");

    // on again
    browser.click("#set-activitypub-enabled").await;
    save_settings(&browser, &format!("People search for {handle}")).await;
    webfinger_answers(&app, "quire", 200).await;

    // a handle of its own: the hint follows, and so does WebFinger
    browser
        .type_into("#set-activitypub-handle", "my blog")
        .await;
    browser.click("#settings-form button[type=submit]").await;
    browser
        .wait_for_text(
            "#set-activitypub-handle-error",
            "letters, digits and underscores",
        )
        .await;
    browser
        .find("#set-activitypub-handle")
        .await
        .clear()
        .await
        .unwrap();
    browser
        .type_into("#set-activitypub-handle", "my_blog")
        .await;
    save_settings(
        &browser,
        &format!("People search for @my_blog@{}", app.addr),
    )
    .await;
    webfinger_answers(&app, "my_blog", 200).await;
    webfinger_answers(&app, "quire", 404).await;

    // more followers than a page holds: the list turns pages
    sqlx::query(
        "with a as ( \
             insert into activitypub_actors (id, key_id, public_key_pem, inbox, preferred_username) \
             select 'https://crowd.example/users/u' || n, 'https://crowd.example/users/u' || n || '#key', \
                    'not a key the test uses', 'https://crowd.example/inbox', 'u' || n \
             from generate_series(1, 60) n returning id) \
         insert into activitypub_followers (actor_id, follow_id, created_at) \
         select id, id || '/follow', now() - interval '1 day' from a",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    browser.open(&app.url("/admin/settings/")).await;
    browser
        .wait_for_text("#followers-summary", "61 followers, page 1 of 2")
        .await;
    assert!(browser.is_displayed("#followers-pages").await);
    // newest first: the first follower still leads the list
    browser
        .wait_for_text("#follower-list li:first-child", "@alice@social.example")
        .await;
    browser.click("#followers-next").await;
    browser
        .wait_for_text("#followers-summary", "page 2 of 2")
        .await;
    assert_eq!(
        eval(
            &browser,
            "return document.querySelectorAll('#follower-list > li').length;"
        )
        .await,
        json!(11)
    );

    // the editor: counts, the replies with their formatting, nothing of the hostile markup
    browser
        .open(&app.url(&format!("/admin/editor/{post}/")))
        .await;
    browser
        .wait_for_text("#fediverse-counts", "1 like · 0 boosts · 2 replies")
        .await;
    let replies = browser.text("#fediverse-replies").await;
    assert!(
        replies.contains("What a lovely post!")
            && replies.contains("Alice Example")
            && replies.contains("@alice@social.example"),
        "{replies}"
    );
    assert_eq!(
        browser
            .text("#fediverse-replies li:first-child .reply-content strong")
            .await,
        "lovely"
    );
    assert_eq!(
        eval(
            &browser,
            "return document.querySelector('#fediverse-replies .reply-author').getAttribute('href');"
        )
        .await,
        json!(format!("{alice}/profile"))
    );
    let hostile = browser
        .text("#fediverse-replies li:last-child .reply-content")
        .await;
    assert!(
        hostile.contains("Look") && hostile.contains("here") && hostile.contains("click"),
        "{hostile}"
    );
    assert!(!hostile.contains("injected"), "{hostile}");
    let left = eval(
        &browser,
        "const box = document.querySelector('#fediverse-replies'); \
         return { img: box.querySelectorAll('img').length + document.querySelectorAll('img[src=\"x\"]').length, \
                  script: box.querySelectorAll('script').length, \
                  svg: box.querySelectorAll('svg').length, \
                  handlers: box.querySelectorAll('[onclick], [onerror]').length, \
                  javascript: box.querySelectorAll('a[href^=\"javascript\"]').length, \
                  bare_links: box.querySelectorAll('a:not([href])').length, \
                  injected: document.body.dataset.injected || null };",
    )
    .await;
    assert_eq!(
        left,
        json!({
            "img": 0, "script": 0, "svg": 0, "handlers": 0, "javascript": 0, "bare_links": 0,
            "injected": null,
        })
    );
    let found = serious_violations(&browser, "editor with replies").await;
    assert!(found.is_empty(), "{}", found.join("\n"));

    // a boost arrives: Refresh shows it
    seed_interaction(&db.pool, post, "announce", mallory, None).await;
    browser.click("#fediverse-refresh").await;
    browser
        .wait_for_text("#fediverse-counts", "1 like · 1 boost · 2 replies")
        .await;
    browser.close().await;

    // on a narrow screen, as a phone's: the panel fits its width
    let phone = driver.browser(390, 844).await;
    phone.sign_in(&app, &email).await;
    phone
        .open(&app.url(&format!("/admin/editor/{post}/")))
        .await;
    phone.wait_for_text("#fediverse-counts", "2 replies").await;
    assert!(phone.is_displayed("#fediverse").await);
    assert_eq!(
        eval(
            &phone,
            "return document.documentElement.scrollWidth <= window.innerWidth;"
        )
        .await,
        json!(true)
    );
    phone.close().await;
}
