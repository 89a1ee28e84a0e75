//! `quire export`: both formats re-import into an empty database as the same site, and an
//! unchanged site always exports the same way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use reqwest::Method;
use serde_json::{Value, json};

use crate::cli::quire;
use crate::helpers::{BASE_URL, PASSWORD, Session, TestApp, TestDb, create_staff};

/// A folder for one test's files, removed when the test ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let dir =
            std::env::temp_dir().join(format!("quire-export-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the `quire` binary against `db`, with its local data (media) in `scratch`.
async fn quire_on(db: &TestDb, scratch: &Scratch, args: &[&str]) -> Output {
    quire()
        .args(args)
        .env("DATABASE_URL", db.url())
        .env("QUIRE_BASE_URL", BASE_URL)
        .env("QUIRE_DATA_DIR", scratch.join("data"))
        .output()
        .await
        .unwrap()
}

fn succeeded(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
}

/// Exports `db` in `format` to `out` and checks the one-line summary.
async fn export(db: &TestDb, scratch: &Scratch, format: &str, out: &Path) {
    let output = quire_on(
        db,
        scratch,
        &["export", "--format", format, out.to_str().unwrap()],
    )
    .await;
    succeeded("export", &output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.trim().lines().count(), 1, "{stdout}");
    assert!(stdout.starts_with("exported "), "{stdout}");
}

async fn import(db: &TestDb, scratch: &Scratch, path: &Path) {
    let output = quire_on(
        db,
        scratch,
        &["import", "--no-progress", path.to_str().unwrap()],
    )
    .await;
    succeeded("import", &output);
}

/// A JSON export without its time, the one part that differs between two exports.
fn without_time(text: &str) -> Value {
    let mut value: Value = serde_json::from_str(text).unwrap();
    let header = value["quire"].as_object_mut().expect("a `quire` header");
    assert!(header.remove("exported_at").is_some());
    value
}

/// `db` exported as JSON, without its time.
async fn json_of(db: &TestDb, scratch: &Scratch, name: &str) -> Value {
    let out = scratch.join(name);
    export(db, scratch, "json", &out).await;
    without_time(&std::fs::read_to_string(&out).unwrap())
}

/// Every file under `dir`, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Asserts two JSON exports are equal, naming the first part that differs.
fn assert_same_export(left: &Value, right: &Value) {
    if left == right {
        return;
    }
    for key in ["quire", "users", "tags", "posts", "redirects", "settings"] {
        if left[key] != right[key] {
            if let (Some(a), Some(b)) = (left[key].as_array(), right[key].as_array()) {
                for (x, y) in a.iter().zip(b) {
                    assert_eq!(x, y, "the first {key} entry that differs");
                }
            }
            assert_eq!(left[key], right[key], "`{key}` differs");
        }
    }
    panic!("the exports differ");
}

/// A site with something in every field an export carries. Answers the replica serving it
/// and the public paths worth comparing.
async fn rich_site(db: &TestDb) -> (TestApp, Vec<String>) {
    let app = TestApp::spawn(db).await;
    let owner_email = create_staff(&db.pool, "owner").await;
    let editor_email = create_staff(&db.pool, "editor").await;
    let owner = app.login(&owner_email, PASSWORD).await;
    sqlx::query(
        r#"update users set bio = 'Writes about parsers.', avatar_url = 'https://cdn.example/e.png',
                  cover_image = '/content/images/cover.jpg', website = 'https://editor.example',
                  location = 'Lyon' where email = $1"#,
    )
    .bind(&editor_email)
    .execute(&db.pool)
    .await
    .unwrap();

    let posts = [
        json!({
            "title": "Hello, export", "slug": "hello", "status": "published",
            "published_at": "2024-05-17T09:30:00.123456Z",
            "tags": ["Zebra news", "#internal", "Rust"],
            "markdown": "# Heading\n\nSome *text* with {% raw %}{{ template }}{% endraw %} tags.\n\n```rust\nfn main() {}\n```\n\n- a\n- b\n",
            "excerpt": "An excerpt  with two spaces: and a colon",
            "feature_image": "https://cdn.example/hello.jpg",
            "feature_image_alt": "null", "feature_image_caption": "A <b>caption</b>, rather long: long enough that a YAML writer would like to fold it somewhere",
            "featured": true, "meta_title": "true", "meta_description": "Meta 'quoted' \"twice\" — ünïcode",
            "canonical_url": "https://elsewhere.example/hello?x=1#y",
            "codeinjection_head": "<style>\n  .hello { color: red; }\n</style>\n",
            "codeinjection_foot": "<script>let y = 1;</script>",
        }),
        json!({"title": "1.10", "slug": "second", "status": "published",
               "published_at": "2024-06-01T08:00:00Z", "tags": ["Rust"], "markdown": "Second."}),
        json!({"title": "Not yet", "slug": "draft-post", "status": "draft", "tags": ["Rust", "Zebra news"],
               "markdown": "Draft."}),
        json!({"title": "Later", "slug": "later", "status": "published",
               "published_at": (chrono::Utc::now() + chrono::TimeDelta::days(30)).to_rfc3339(),
               "markdown": "Soon."}),
        json!({"title": "Colophon", "slug": "colophon", "type": "page", "status": "published",
               "meta_description": "How this site is made.", "markdown": "Made with Quire.\n"}),
        json!({"title": "Unfinished page", "slug": "draft-page", "type": "page", "status": "draft",
               "markdown": ""}),
    ];
    for body in posts {
        let (status, answer) = app
            .api(Method::POST, "/posts", Some(&owner), Some(body.clone()))
            .await;
        assert_eq!(status, 201, "{body}: {answer}");
    }
    assert_eq!(
        sqlx::query_scalar::<_, String>("select status::text from posts where slug = 'later'")
            .fetch_one(&db.pool)
            .await
            .unwrap(),
        "scheduled"
    );
    // two authors, not in the order of their names; the welcome content gets the Owner (a
    // post naming no author would get the importing site's default author)
    sqlx::query(
        "delete from posts_authors where post_id = (select id from posts where slug = 'hello')",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    sqlx::query(
        r#"insert into posts_authors (post_id, author_id, sort_order)
           select p.id, u.id, case when u.email = $1 then 0 else 1 end
           from posts p, users u where p.slug = 'hello' and u.email in ($1, $2)"#,
    )
    .bind(&editor_email)
    .bind(&owner_email)
    .execute(&db.pool)
    .await
    .unwrap();
    sqlx::query(
        r#"insert into posts_authors (post_id, author_id)
           select p.id, u.id from posts p, users u
           where p.slug in ('welcome', 'about') and u.email = $1"#,
    )
    .bind(&owner_email)
    .execute(&db.pool)
    .await
    .unwrap();
    sqlx::query(
        r#"update tags set description = 'Posts about Rust.', feature_image = 'https://cdn.example/rust.png',
                  meta_title = 'Rust posts', meta_description = 'All about Rust', accent_color = '#b7410e'
           where slug = 'rust'"#,
    )
    .execute(&db.pool)
    .await
    .unwrap();
    for (key, value) in [
        ("title", json!("Export: a test")),
        ("description", json!("Everything, twice.")),
        ("posts_per_page", json!(3)),
        (
            "navigation",
            json!([{"label": "Home", "url": "/"}, {"label": "Colophon", "url": "/colophon/"}]),
        ),
        ("codeinjection_foot", json!("<!-- site foot -->")),
    ] {
        sqlx::query("update settings set value = $2 where key = $1")
            .bind(key)
            .bind(value)
            .execute(&db.pool)
            .await
            .unwrap();
    }
    sqlx::query(
        "insert into redirects (from_path, to_path) values ('/2019/05/old-hello/', '/hello/')",
    )
    .execute(&db.pool)
    .await
    .unwrap();

    let editor_slug: String = sqlx::query_scalar("select slug from users where email = $1")
        .bind(&editor_email)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let author = format!("/author/{editor_slug}/");
    let paths = [
        "/",
        "/page/2/",
        "/hello/",
        "/second/",
        "/colophon/",
        "/welcome/",
        "/about/",
        "/tag/rust/",
        "/tag/zebra-news/",
        "/tag/getting-started/",
        author.as_str(),
        "/rss/",
        "/atom.xml",
        "/feed.json",
        "/sitemap.xml",
        "/2019/05/old-hello/",
        "/later/",
        "/draft-post/",
        "/tag/hash-internal/",
    ]
    .map(str::to_owned)
    .to_vec();
    (app, paths)
}

/// Asserts that both replicas answer every path the same way.
///
/// Feeds identify items by the post's database id, which an export does not carry (bundles
/// refer to everything by natural keys): ids are compared only in where they appear.
async fn assert_same_pages(a: &TestApp, b: &TestApp, paths: &[String]) {
    let ids =
        regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap();
    for path in paths {
        let (x, y) = (a.get(path).await, b.get(path).await);
        assert_eq!(x.status(), y.status(), "GET {path}");
        assert_eq!(
            x.headers().get("location"),
            y.headers().get("location"),
            "GET {path}"
        );
        let (x, y) = (x.text().await.unwrap(), y.text().await.unwrap());
        let (x, y) = (ids.replace_all(&x, "ID"), ids.replace_all(&y, "ID"));
        if x != y {
            let line = x
                .lines()
                .zip(y.lines())
                .find(|(l, r)| l != r)
                .map(|(l, r)| format!("\n  before: {l}\n  after:  {r}"))
                .unwrap_or_default();
            panic!("GET {path} differs after the round trip{line}");
        }
    }
}

#[tokio::test]
async fn a_json_export_imports_into_an_empty_database_as_the_same_site() {
    let scratch = Scratch::new();
    let source = TestDb::new().await;
    let (source_app, paths) = rich_site(&source).await;
    let out = scratch.join("site.json");
    export(&source, &scratch, "json", &out).await;
    let first = without_time(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(first["quire"]["version"], 1);
    assert_eq!(first["quire"]["site"], BASE_URL);
    let hello = first["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["slug"] == "hello")
        .unwrap();
    assert_eq!(hello["tags"], json!(["Zebra news", "#internal", "Rust"]));
    assert_eq!(hello["published_at"], "2024-05-17T09:30:00.123456Z");
    assert!(
        first["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u.get("password_hash").is_none() && u["email"].is_string())
    );

    let target = TestDb::new().await;
    import(&target, &scratch, &out).await;
    let second = json_of(&target, &scratch, "again.json").await;
    assert_same_export(&first, &second);

    let target_app = TestApp::spawn(&target).await;
    assert_same_pages(&source_app, &target_app, &paths).await;
}

#[tokio::test]
async fn a_markdown_export_imports_into_an_empty_database_as_the_same_site() {
    let scratch = Scratch::new();
    let source = TestDb::new().await;
    let (source_app, paths) = rich_site(&source).await;
    let dir = scratch.join("site");
    export(&source, &scratch, "markdown", &dir).await;
    let files = tree(&dir);
    assert!(files.contains_key("quire-site.json"), "{:?}", files.keys());
    assert!(files.contains_key("posts/hello.md"), "{:?}", files.keys());
    assert!(
        files.contains_key("pages/colophon.md"),
        "{:?}",
        files.keys()
    );
    let hello = String::from_utf8(files["posts/hello.md"].clone()).unwrap();
    assert!(hello.starts_with("---\ntitle: "), "{hello}");
    assert!(
        hello.ends_with("\n---\n# Heading\n\nSome *text* with {% raw %}{{ template }}{% endraw %} tags.\n\n```rust\nfn main() {}\n```\n\n- a\n- b\n"),
        "{hello}"
    );

    let target = TestDb::new().await;
    import(&target, &scratch, &dir).await;
    let again = scratch.join("again");
    export(&target, &scratch, "markdown", &again).await;
    let files_again = tree(&again);
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        files_again.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &files {
        assert_eq!(
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(&files_again[name]),
            "{name}"
        );
    }
    // nothing is lost that the JSON export carries either
    let before = json_of(&source, &scratch, "before.json").await;
    let after = json_of(&target, &scratch, "after.json").await;
    assert_same_export(&before, &after);

    let target_app = TestApp::spawn(&target).await;
    assert_same_pages(&source_app, &target_app, &paths).await;
}

#[tokio::test]
async fn two_exports_of_the_same_site_are_identical() {
    let scratch = Scratch::new();
    let db = TestDb::new().await;
    let (_app, _) = rich_site(&db).await;

    let (a, b) = (scratch.join("a.json"), scratch.join("b.json"));
    export(&db, &scratch, "json", &a).await;
    export(&db, &scratch, "json", &b).await;
    let stdout = quire_on(&db, &scratch, &["export", "--format", "json", "-"]).await;
    succeeded("export to stdout", &stdout);
    // the summary goes to stderr, so standard output is the export alone
    let piped = String::from_utf8(stdout.stdout).unwrap();
    assert!(String::from_utf8_lossy(&stdout.stderr).contains("exported "));
    let same_time = |text: &str| {
        let at = regex::Regex::new(r#""exported_at": "[^"]+""#).unwrap();
        at.replace(text, r#""exported_at": "-""#).into_owned()
    };
    let a = std::fs::read_to_string(&a).unwrap();
    assert_eq!(
        same_time(&a),
        same_time(&std::fs::read_to_string(&b).unwrap())
    );
    assert_eq!(same_time(&a), same_time(&piped));

    let (x, y) = (scratch.join("x"), scratch.join("y"));
    export(&db, &scratch, "markdown", &x).await;
    export(&db, &scratch, "markdown", &y).await;
    assert_eq!(tree(&x), tree(&y));
}

#[tokio::test]
async fn exporting_into_a_folder_that_is_not_empty_is_refused() {
    let scratch = Scratch::new();
    let db = TestDb::new().await;
    let dir = scratch.join("busy");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let output = quire_on(
        &db,
        &scratch,
        &["export", "--format", "markdown", dir.to_str().unwrap()],
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("not empty"), "{stderr}");
    assert_eq!(tree(&dir).into_keys().collect::<Vec<_>>(), ["notes.txt"]);
}

/// A site with its media in `scratch`'s data folder, its Owner signed in, and one uploaded
/// image of this size (the upload's answer).
async fn site_with_an_image(
    scratch: &Scratch,
    width: u32,
    height: u32,
) -> (TestDb, TestApp, Session, Value) {
    let source = TestDb::new().await;
    let dir = scratch.join("data");
    let app = TestApp::spawn_with(&source, move |c| c.db.data_dir = dir, None).await;
    let owner_email = create_staff(&source.pool, "owner").await;
    let owner = app.login(&owner_email, PASSWORD).await;
    let (status, image) =
        crate::media::upload(&app, &owner, "photo.png", &crate::media::png(width, height)).await;
    assert_eq!(status, 201, "{image}");
    (source, app, owner, image)
}

#[tokio::test]
async fn images_keep_their_srcset_and_library_and_posts_their_feed_ids_through_a_round_trip() {
    let scratch = Scratch::new();
    let data = scratch.join("data");
    let (source, app, owner, image) = site_with_an_image(&scratch, 1600, 900).await;
    let url = image["url"].as_str().unwrap().to_owned();
    let (status, answer) = app
        .api(
            Method::POST,
            "/posts",
            Some(&owner),
            Some(
                json!({"title": "Pictured", "slug": "pictured", "status": "published",
                        "markdown": format!("![A photo]({url})\n")}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    // as a Ghost import leaves it: the post's id in the old site's feed
    sqlx::query("update posts set feed_guid = '655000000000000000000042' where slug = 'pictured'")
        .execute(&source.pool)
        .await
        .unwrap();
    let img = regex::Regex::new(r#"<img\b[^>]*>"#).unwrap();
    let before = app.page("/pictured/").await;
    let tag = img.find(&before).expect("an image").as_str().to_owned();
    for attribute in ["srcset=", "sizes=", "width=\"1600\"", "height=\"900\""] {
        assert!(tag.contains(attribute), "{attribute} in {tag}");
    }

    for (format, name) in [("json", "site.json"), ("markdown", "site")] {
        let out = scratch.join(name);
        export(&source, &scratch, format, &out).await;
        let target = TestDb::new().await;
        import(&target, &scratch, &out).await;
        let dir = data.clone();
        let target_app = TestApp::spawn_with(&target, move |c| c.db.data_dir = dir, None).await;
        let page = target_app.page("/pictured/").await;
        assert_eq!(
            img.find(&page).map(|m| m.as_str()),
            Some(tag.as_str()),
            "{format}: the same responsive image"
        );
        let editor_email = create_staff(&target.pool, "editor").await;
        let editor = target_app.login(&editor_email, PASSWORD).await;
        let (status, library) = target_app
            .api(Method::GET, "/images", Some(&editor), None)
            .await;
        assert_eq!(status, 200, "{library}");
        let urls: Vec<&str> = library
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["url"].as_str())
            .collect();
        assert_eq!(urls, [url.as_str()], "{format}: the media library");
        let rss = target_app.page("/rss/").await;
        assert!(
            rss.contains(r#"<guid isPermaLink="false">655000000000000000000042</guid>"#),
            "{format}: the feed id is kept: {rss}"
        );
    }
}

#[tokio::test]
async fn an_export_whose_media_objects_are_missing_is_refused_naming_each_one() {
    let scratch = Scratch::new();
    let (source, _app, _owner, _image) = site_with_an_image(&scratch, 800, 600).await;
    let out = scratch.join("site.json");
    export(&source, &scratch, "json", &out).await;

    // the target's media storage is another, empty folder
    let elsewhere = Scratch::new();
    let target = TestDb::new().await;
    let output = quire_on(
        &target,
        &elsewhere,
        &["import", "--no-progress", out.to_str().unwrap()],
    )
    .await;
    assert!(!output.status.success(), "the import is refused");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let key: String = sqlx::query_scalar("select storage_key from media")
        .fetch_one(&source.pool)
        .await
        .unwrap();
    assert!(
        format!("{stdout}{stderr}")
            .lines()
            .any(|l| l.contains(&key) && l.contains("not in the media storage")),
        "names the missing object: {stdout}{stderr}"
    );
    let media: i64 = sqlx::query_scalar("select count(*) from media")
        .fetch_one(&target.pool)
        .await
        .unwrap();
    assert_eq!(media, 0, "nothing written");
}
