//! Running the site from the admin: inviting staff who then join, site settings that reach
//! the public pages, revisions restored, posts scheduled and deleted behind a confirmation.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{ApiSession, TestApp, TestDb, create_staff, driver, http_status};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invited_author_joins_and_the_owners_settings_reach_the_site() {
    let Some(mut driver) = driver().await else {
        return;
    };
    let db = TestDb::new().await;
    let app = TestApp::spawn_at_address(&db).await;
    let owner_email = create_staff(&db.pool, "owner", "Olive Owner").await;
    let owner = driver.browser(1280, 900).await;
    owner.sign_in(&app, &owner_email).await;

    owner.open(&app.url("/admin/staff/")).await;
    owner.type_into("#invite-email", "nia@example.com").await;
    owner
        .find("#invite-role")
        .await
        .select_by_value("author")
        .await
        .unwrap();
    owner.click("#invite-staff-form button[type=submit]").await;
    owner
        .wait_for_text("#invite-result-text", "nia@example.com as Author")
        .await;
    let invite_url = owner.value("#invite-url").await;
    assert!(
        invite_url.starts_with(&app.url("/admin/invite/")),
        "{invite_url}"
    );

    // the invitation works in another browser, once
    let author = driver.browser(1280, 900).await;
    author.open(&invite_url).await;
    author.type_into("#name", "Nia Author").await;
    author.type_into("#password", "a brand new password").await;
    author.click("#invite-form button[type=submit]").await;
    author.wait_for_path("/admin/posts/").await;
    author.wait_ready().await;
    let nav = author.text("nav.nav").await;
    assert!(!nav.contains("Staff") && !nav.contains("Settings"), "{nav}");

    author.open(&app.url("/admin/account/")).await;
    author
        .type_into("#old-password", "a brand new password")
        .await;
    author
        .type_into("#new-password", "another long password")
        .await;
    author
        .type_into("#confirm-password", "another long password")
        .await;
    author.click("#password-form button[type=submit]").await;
    author.wait_for_text("#toast", "Password changed").await;

    owner.open(&app.url("/admin/staff/")).await;
    owner.wait_for_text("#staff-list", "Nia Author").await;

    owner.open(&app.url("/admin/settings/")).await;
    owner.find("#set-title").await.clear().await.unwrap();
    owner.type_into("#set-title", "Renamed Blog").await;
    owner.click("#nav-add").await;
    owner
        .type_into("#nav-rows li:last-child .nav-label", "Archive")
        .await;
    owner
        .type_into("#nav-rows li:last-child .nav-url", "/tag/getting-started/")
        .await;
    owner.click("#settings-form button[type=submit]").await;
    owner.wait_for_text("#toast", "Settings saved").await;
    owner.client.goto(&app.url("/")).await.unwrap();
    let home = owner.client.source().await.unwrap();
    assert!(home.contains("Renamed Blog"), "{home}");
    assert!(home.contains("/tag/getting-started/"), "{home}");

    // an integration: its keys shown once, then listed without the secret, then deleted
    owner.open(&app.url("/admin/settings/")).await;
    owner.type_into("#integration-name", "Astro site").await;
    owner.click("#integration-form button[type=submit]").await;
    owner
        .wait_for_text("#integration-result-text", "Added Astro site")
        .await;
    let admin_key = owner.value("#integration-admin-key").await;
    let (key_id, secret) = admin_key.split_once(':').expect("id:secret");
    assert_eq!((key_id.len(), secret.len()), (24, 64), "{admin_key}");
    assert_eq!(owner.value("#integration-content-key").await.len(), 26);
    owner.wait_for_text("#integration-list", "Astro site").await;
    let listed = owner.text("#integration-list").await;
    assert!(
        listed.contains(key_id) && !listed.contains(secret),
        "{listed}"
    );
    // a webhook of the integration: a bad address is refused on its field, a good one listed;
    // a publication calls it, and the deliveries say the receiver is not answering
    owner
        .click("#integration-list details.webhooks summary")
        .await;
    owner
        .find("#integration-list .webhook-form select[name=event]")
        .await
        .select_by_value("post.published")
        .await
        .unwrap();
    owner
        .type_into(
            "#integration-list .webhook-form input[name=target_url]",
            "ftp://nope",
        )
        .await;
    owner
        .click("#integration-list .webhook-form button[type=submit]")
        .await;
    owner
        .wait_for_text("#integration-list .webhook-form", "http:// or https://")
        .await;
    let port = crate::support::temp::free_ports(1)[0];
    let target = format!("http://127.0.0.1:{port}/rebuild");
    let url_input = owner
        .find("#integration-list .webhook-form input[name=target_url]")
        .await;
    url_input.clear().await.unwrap();
    url_input.send_keys(&target).await.unwrap();
    owner
        .click("#integration-list .webhook-form button[type=submit]")
        .await;
    owner
        .wait_for_text("#integration-list", &format!("post.published → {target}"))
        .await;
    let api = ApiSession::login(&app, &owner_email).await;
    api.call(
        Method::POST,
        "/posts",
        Some(json!({"title": "Calls the hook", "markdown": "Hi.", "status": "published"})),
    )
    .await;
    // the first attempt fails at once (nothing listens); Refresh shows it waiting to retry
    let mut retrying = false;
    for _ in 0..50 {
        owner.click("#deliveries-refresh").await;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let deliveries = owner.text("#delivery-list").await;
        if deliveries.contains("Retrying at") {
            assert!(
                deliveries.contains(&format!("post.published to {target} (Astro site)"))
                    && deliveries.contains("cannot connect to the receiver"),
                "{deliveries}"
            );
            retrying = true;
            break;
        }
    }
    assert!(retrying, "{}", owner.text("#delivery-list").await);

    owner
        .click("#integration-list button[aria-label='Delete the integration Astro site']")
        .await;
    owner
        .wait_for_text("#confirm-title", "Delete the integration Astro site?")
        .await;
    owner.click("#confirm-ok").await;
    owner
        .wait_for_text("#integrations-summary", "No integration yet.")
        .await;

    owner.close().await;
    author.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revisions_restore_scheduling_and_deleting_after_confirmation() {
    let Some(mut driver) = driver().await else {
        return;
    };
    let db = TestDb::new().await;
    let app = TestApp::spawn_at_address(&db).await;
    let email = create_staff(&db.pool, "editor", "Eddie Editor").await;
    let api = ApiSession::login(&app, &email).await;
    let post = api
        .call(
            Method::POST,
            "/posts",
            Some(json!({
                "title": "Evolving",
                "markdown": "Version one.",
                "excerpt": "The first take.",
                "tags": ["Drafts"],
                "status": "published",
            })),
        )
        .await;
    let id = post["id"].as_str().unwrap().to_owned();
    let browser = driver.browser(1280, 900).await;
    browser.sign_in(&app, &email).await;

    browser
        .open(&app.url(&format!("/admin/editor/{id}/")))
        .await;
    browser.type_into("#markdown", " Version two.").await;
    browser.click("#settings-toggle").await;
    browser.find("#excerpt").await.clear().await.unwrap();
    browser.type_into("#excerpt", "The second take.").await;
    browser.click("#save").await;
    browser.wait_for_text("#save-state", "Saved at").await;

    // the list: the current version, and the first one to look at before restoring it
    browser.click("#revisions summary").await;
    let first = "#revision-list button[aria-label^='Look and restore: Created by Eddie Editor']";
    browser
        .wait_until(
            "the revisions are listed",
            &format!("return !!document.querySelector({});", json!(first)),
        )
        .await;
    let list = browser.text("#revision-list").await;
    assert!(
        list.contains("Current") && list.contains("Saved by Eddie Editor"),
        "{list}"
    );
    browser.click(first).await;
    browser
        .wait_displayed("#revision-dialog", "the revision opens")
        .await;
    // restoring a live post says so before anything changes
    let warning = browser.text("#revision-live").await;
    assert!(
        warning.contains("live") && warning.contains("/evolving/"),
        "{warning}"
    );
    let diff = browser.text("#revision-diff").await;
    assert!(
        diff.contains("removed: Version one. Version two.") && diff.contains("added: Version one."),
        "{diff}"
    );
    let fields = browser.text("#revision-fields").await;
    assert!(
        fields.contains("The second take.") && fields.contains("The first take."),
        "{fields}"
    );
    browser.click("#revision-show-rendered").await;
    browser
        .wait_for_text("#revision-rendered p", "Version one.")
        .await;
    assert!(!browser.is_displayed("#revision-diff").await);
    // looking changes nothing
    let stored = api.call(Method::GET, &format!("/posts/{id}"), None).await;
    assert_eq!(stored["markdown"], "Version one. Version two.");
    assert_eq!(
        browser.text("#revision-restore").await,
        "Restore and update the live post"
    );
    browser.click("#revision-restore").await;
    browser
        .wait_until(
            "version 1 is back in the editor",
            "return document.querySelector('#markdown').value === 'Version one.' \
               && document.querySelector('#excerpt').value === 'The first take.';",
        )
        .await;
    browser.wait_for_text("#toast", "Readers see it now").await;
    let stored = api.call(Method::GET, &format!("/posts/{id}"), None).await;
    assert_eq!(stored["markdown"], "Version one.");
    assert_eq!(stored["custom_excerpt"], "The first take.");
    browser
        .wait_for_text(
            "#revision-list",
            "Restored from an earlier revision by Eddie Editor",
        )
        .await;

    // unpublish, to schedule it
    browser.click("#unpublish").await;
    browser.wait_for_text("#post-status", "Draft").await;

    // schedule for tomorrow (the date field set as a person would pick it)
    browser
        .client
        .execute(
            "const input = document.querySelector('#published-at'); \
             const d = new Date(Date.now() + 86400000); \
             const pad = (n) => String(n).padStart(2, '0'); \
             input.value = d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T10:00'; \
             input.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![],
        )
        .await
        .unwrap();
    browser.click("#schedule").await;
    browser.wait_for_text("#save-state", "Scheduled for").await;
    assert_eq!(browser.text("#post-status").await, "Scheduled");
    assert_eq!(
        http_status(&app.url("/evolving/")).await,
        404,
        "not public yet"
    );

    // deleting asks first; cancelling keeps the post
    browser.click("#delete").await;
    browser
        .wait_for_text("#confirm-title", "Delete this post?")
        .await;
    browser.click("#confirm-cancel").await;
    assert!(!browser.is_displayed("#confirm-dialog").await);
    browser.click("#delete").await;
    browser
        .wait_for_text("#confirm-title", "Delete this post?")
        .await;
    browser.click("#confirm-ok").await;
    browser.wait_for_path("/admin/posts/").await;
    browser.wait_ready().await;
    let list = browser.text("#post-list").await;
    assert!(!list.contains("Evolving"), "{list}");
    browser.close().await;
}
