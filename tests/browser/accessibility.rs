//! Accessibility, as axe-core (from npm, `tests/browser/package.json`) judges it: every page a
//! reader or a staff member reaches is checked in Chromium, and a serious or critical
//! violation anywhere fails the test with the rule, the elements and what would fix them.

use std::sync::LazyLock;

use reqwest::Method;
use serde_json::json;

use crate::helpers::{ApiSession, Browser, PASSWORD, TestApp, TestDb, create_staff, driver};
use crate::support::images;

/// axe-core's browser bundle, installed by `npm ci` in `tests/browser` (as `test.sh` does).
static AXE_SOURCE: LazyLock<String> = LazyLock::new(|| {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): run `npm ci` in tests/browser (./test.sh does)",
            path.display()
        )
    })
});

/// Runs axe on the page the browser shows and answers its serious and critical violations,
/// one readable line each.
pub async fn serious_violations(browser: &Browser, page: &str) -> Vec<String> {
    browser
        .client
        .execute(&format!("{}\nreturn typeof axe;", *AXE_SOURCE), vec![])
        .await
        .unwrap_or_else(|e| panic!("{page}: inject axe-core: {e}"));
    let result = browser
        .client
        .execute_async(
            "const [done] = arguments; \
             axe.run(document, { resultTypes: ['violations'] }).then((r) => done(r.violations \
               .filter((v) => v.impact === 'serious' || v.impact === 'critical') \
               .map((v) => ({ id: v.id, impact: v.impact, help: v.help, \
                 nodes: v.nodes.map((n) => ({ target: n.target.join(' '), \
                     summary: (n.failureSummary || '').replace(/\\s+/g, ' ') })) })))) \
             .catch((e) => done({ error: String(e) }));",
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("{page}: axe.run: {e}"));
    if let Some(error) = result.get("error") {
        panic!("{page}: axe.run failed: {error}");
    }
    let mut lines = Vec::new();
    for violation in result.as_array().expect("a list of violations") {
        let nodes = violation["nodes"].as_array().cloned().unwrap_or_default();
        let targets: Vec<&str> = nodes.iter().filter_map(|n| n["target"].as_str()).collect();
        let summary = nodes
            .first()
            .and_then(|n| n["summary"].as_str())
            .unwrap_or_default();
        lines.push(format!(
            "{page}: {} ({}): {} [{}] {summary}",
            violation["id"].as_str().unwrap_or_default(),
            violation["impact"].as_str().unwrap_or_default(),
            violation["help"].as_str().unwrap_or_default(),
            targets.join(", "),
        ));
    }
    lines
}

/// Opens a page of the site (no admin script to wait for) and waits until it has loaded.
async fn open_site_page(browser: &Browser, url: &str) {
    browser.client.goto(url).await.expect("navigate");
    browser
        .wait_until(
            &format!("{url} has loaded"),
            "return document.readyState === 'complete';",
        )
        .await;
}

/// A post with the parts that need care: an image, a table, a code block and a task list.
fn post_markdown(image_url: &str) -> String {
    format!(
        "An opening paragraph with [a link](https://example.com/) and *emphasis*.\n\n\
         ![A black square, for the test]({image_url})\n\n\
         ## A table\n\n\
         | Fruit | Colour | Price |\n| :--- | :---: | ---: |\n| Apple | Red | 1.20 |\n| Lime | Green | 0.80 |\n\n\
         ## Some code\n\n```rust\nfn main() {{\n    println!(\"hello\");\n}}\n```\n\n\
         ## A task list\n\n- [x] Write the post\n- [ ] Publish it\n\n\
         > A quotation, to close.\n"
    )
}

/// The colour schemes a reader's or writer's system may ask for, and the Chromium switch that
/// asks for each.
const SCHEMES: [(&str, &str); 2] = [
    ("light", "--blink-settings=preferredColorScheme=1"),
    ("dark", "--blink-settings=preferredColorScheme=0"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_no_serious_violation_on_the_site_or_the_admin() {
    let Some(mut driver) = driver().await else {
        return;
    };
    let db = TestDb::new().await;
    let app = TestApp::spawn_at_address(&db).await;
    let mut browsers = Vec::new();
    for (scheme, switch) in SCHEMES {
        browsers.push((scheme, driver.browser_with(1280, 900, &[switch]).await));
    }
    let mut found = Vec::new();

    // the setup page, while nobody has an account
    for (scheme, browser) in &browsers {
        browser.open(&app.url("/admin/setup/")).await;
        assert_eq!(browser.path().await, "/admin/setup/");
        let dark = browser
            .client
            .execute(
                "return matchMedia('(prefers-color-scheme: dark)').matches;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(dark, *scheme == "dark", "the {scheme} scheme is asked for");
        found.extend(serious_violations(browser, &format!("setup ({scheme})")).await);
    }

    let owner_email = create_staff(&db.pool, "owner", "Olive Owner").await;
    let author_email = create_staff(&db.pool, "author", "Ada Author").await;
    let api = ApiSession::login(&app, &owner_email).await;
    let image = api
        .upload_image("square.png", "image/png", &images::png(800, 600))
        .await;
    let post = api
        .call(
            Method::POST,
            "/posts",
            Some(json!({
                "title": "Everything at once",
                "markdown": post_markdown(image["url"].as_str().unwrap()),
                "status": "published",
                "tags": ["Field notes"],
                "excerpt": "A post with an image, a table, code and a task list.",
                "feature_image": image["url"],
            })),
        )
        .await;
    let post_id = post["id"].as_str().unwrap().to_owned();
    // a second version, so that the editor has a revision to compare
    api.call(
        Method::PUT,
        &format!("/posts/{post_id}"),
        Some(json!({"markdown": "A shorter text now.", "version": post["version"]})),
    )
    .await;
    let post_path = url::Url::parse(post["url"].as_str().unwrap())
        .unwrap()
        .path()
        .to_owned();
    let owner_slug = owner_email.split('@').next().unwrap().to_owned();
    let users = api.call(Method::GET, "/users", None).await;
    let author_id = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == author_email.as_str())
        .expect("the author is listed")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let site_pages = [
        ("home", "/".to_owned()),
        ("post", post_path),
        ("tag", "/tag/field-notes/".to_owned()),
        ("author", format!("/author/{owner_slug}/")),
        ("404", "/no-such-post/".to_owned()),
        ("search results", "/search/?q=field".to_owned()),
        ("search without results", "/search/?q=zebra".to_owned()),
    ];
    let admin_pages = [
        ("posts", "/admin/posts/".to_owned()),
        ("posts searched", "/admin/posts/?q=field".to_owned()),
        ("pages", "/admin/pages/".to_owned()),
        ("editor (new post)", "/admin/editor/".to_owned()),
        ("editor", format!("/admin/editor/{post_id}/")),
        ("tags", "/admin/tags/".to_owned()),
        ("staff", "/admin/staff/".to_owned()),
        ("settings", "/admin/settings/".to_owned()),
        ("media", "/admin/media/".to_owned()),
        ("account", "/admin/account/".to_owned()),
    ];

    for (scheme, browser) in &browsers {
        // the reading pages
        for (name, path) in &site_pages {
            open_site_page(browser, &app.url(path)).await;
            found.extend(serious_violations(browser, &format!("{name} ({scheme})")).await);
        }

        // the signed-out admin pages: links are made for each browser, as they work once
        let invitation = api
            .call(
                Method::POST,
                "/users",
                Some(json!({"email": format!("nia-{scheme}@example.com"), "role": "author"})),
            )
            .await;
        browser
            .open(invitation["invite_url"].as_str().unwrap())
            .await;
        assert!(browser.exists("#invite-form").await, "the invitation works");
        found.extend(serious_violations(browser, &format!("invitation ({scheme})")).await);
        let reset = api
            .call(
                Method::POST,
                &format!("/users/{author_id}/reset-link"),
                None,
            )
            .await;
        browser.open(reset["reset_url"].as_str().unwrap()).await;
        assert!(browser.exists("#reset-form").await, "the reset link works");
        found.extend(serious_violations(browser, &format!("password reset ({scheme})")).await);
        browser.open(&app.url("/admin/forgot/")).await;
        found.extend(serious_violations(browser, &format!("forgot password ({scheme})")).await);
        browser.open(&app.url("/admin/login/")).await;
        found.extend(serious_violations(browser, &format!("sign-in ({scheme})")).await);

        // the signed-in admin pages, as the Owner, who sees them all
        browser.type_into("#email", &owner_email).await;
        browser.type_into("#password", PASSWORD).await;
        browser.click("#login-form button[type=submit]").await;
        browser.wait_for_path("/admin/posts/").await;
        browser.wait_ready().await;
        for (name, path) in &admin_pages {
            browser.open(&app.url(path)).await;
            found.extend(serious_violations(browser, &format!("{name} ({scheme})")).await);
        }

        // the editor with its settings panel open
        browser
            .open(&app.url(&format!("/admin/editor/{post_id}/")))
            .await;
        browser.click("#settings-toggle").await;
        browser
            .wait_displayed("#settings", "the settings panel")
            .await;
        found.extend(serious_violations(browser, &format!("editor settings ({scheme})")).await);

        // an earlier revision, looked at before restoring it: its changes, then as readers see it
        browser.click("#revisions summary").await;
        browser
            .wait_until(
                "the revisions are listed",
                "return document.querySelectorAll('#revision-list button').length === 2;",
            )
            .await;
        browser.click("#revision-list li:last-child button").await;
        browser
            .wait_displayed("#revision-dialog", "the revision")
            .await;
        found.extend(serious_violations(browser, &format!("revision changes ({scheme})")).await);
        browser.click("#revision-show-rendered").await;
        found.extend(serious_violations(browser, &format!("revision rendered ({scheme})")).await);
    }

    for (_, browser) in browsers {
        browser.close().await;
    }
    assert!(
        found.is_empty(),
        "axe-core found {} serious or critical violations:\n{}",
        found.len(),
        found.join("\n")
    );
}
