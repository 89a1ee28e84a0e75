//! `quire import` from the command line: Jekyll, Hugo, Zola and plain Markdown trees and Ghost
//! exports, what the summary says, what the database holds afterwards and what readers see.
//!
//! The fixtures are small sites under `tests/fixtures/`. The broken one plants one problem per
//! file, each on a known line:
//!
//! | file                                     | line | problem                                        |
//! |------------------------------------------|------|------------------------------------------------|
//! | `broken/unclosed-front-matter.md`        | 1    | `---` opens front matter that is never closed  |
//! | `broken/invalid-yaml.md`                 | 4    | `summary: Short answer: don't` (a second `: `) |
//! | `broken/invalid-toml.md`                 | 4    | `summary = Three days ...` (unquoted string)   |
//! | `broken/bad-date.md`                     | 3    | `date: next Tuesday`                           |
//! | `broken/bad-slug.md`                     | 3    | `slug: "../etc"`                               |
//! | `broken/missing-image.md`                | 8    | `images/dashboard-overview.png` does not exist |
//! | `ghost/ghost-broken.json`                | 7    | a missing comma between two JSON fields        |
//!
//! `broken/release-checklist.md` and `broken/team-offsite.md` are valid.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::Duration;

use chrono::{DateTime, Utc};
use regex::Regex;

use crate::cli::quire;
use crate::helpers::{BASE_URL, TestApp, TestDb, converges, create_staff};
use crate::support::temp::TempDir;

const JEKYLL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jekyll");
const HUGO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hugo");
const ZOLA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/zola");
const PLAIN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/plain");
const BROKEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/broken");
const GHOST: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/ghost/ghost-5.json"
);
const GHOST_BROKEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/ghost/ghost-broken.json"
);

/// The problems planted in `tests/fixtures/broken/`: file, line, and a word the message has.
const BROKEN_FILES: [(&str, usize, &str); 6] = [
    ("unclosed-front-matter.md", 1, "never closed"),
    ("invalid-yaml.md", 4, "yaml"),
    ("invalid-toml.md", 4, "toml"),
    ("bad-date.md", 3, "date"),
    ("bad-slug.md", 3, "slug"),
    ("missing-image.md", 8, "dashboard-overview.png"),
];

/// Copies a fixture tree, so a test can edit it.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file under a directory, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(files_under(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// What one run of `quire import` printed, and how it ended.
struct Run {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\n--- stdout\n{}--- stderr\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

impl Run {
    fn assert_success(&self) {
        assert!(self.status.success(), "the import failed: {self}");
    }

    fn assert_failed(&self) {
        assert_eq!(
            self.status.code(),
            Some(1),
            "exit status 1 expected: {self}"
        );
    }

    /// The number on the summary row `label`: `created`, `updated`, `unchanged`, `skipped` or
    /// `failed`.
    fn count(&self, label: &str) -> u64 {
        let row = Regex::new(&format!(r"^{label}\s+(\d+)$")).unwrap();
        let found: Vec<u64> = self
            .stdout
            .lines()
            .filter_map(|l| row.captures(l.trim_end()).map(|c| c[1].parse().unwrap()))
            .collect();
        match found[..] {
            [n] => n,
            _ => panic!("one `{label}` row expected in the summary: {self}"),
        }
    }

    /// The summary's rows: created, updated, unchanged, skipped, failed.
    fn table(&self) -> [u64; 5] {
        ["created", "updated", "unchanged", "skipped", "failed"].map(|label| self.count(label))
    }

    /// The number of images the summary says were uploaded.
    fn images_uploaded(&self) -> u64 {
        let re = Regex::new(r"images: (\d+) uploaded").unwrap();
        let c = re
            .captures(&self.stdout)
            .unwrap_or_else(|| panic!("no `images: N uploaded` in the summary: {self}"));
        c[1].parse().unwrap()
    }

    /// The one stderr line that contains `needle`.
    fn stderr_line(&self, needle: &str) -> &str {
        let lines: Vec<&str> = self.stderr.lines().filter(|l| l.contains(needle)).collect();
        match lines[..] {
            [line] => line,
            _ => panic!("one stderr line with `{needle}` expected: {self}"),
        }
    }

    fn last_stderr_line(&self) -> &str {
        self.stderr.trim_end().lines().last().unwrap_or("")
    }
}

/// Row counts of everything an import may write, and the content version every write bumps.
#[derive(Debug, PartialEq, Eq)]
struct Counts {
    posts: i64,
    tags: i64,
    users: i64,
    media: i64,
    redirects: i64,
    links: i64,
    settings_changed: Option<DateTime<Utc>>,
    content_version: i64,
}

/// A post as stored.
#[derive(Debug, sqlx::FromRow)]
struct Post {
    kind: String,
    status: String,
    title: String,
    markdown: String,
    feature_image: Option<String>,
    custom_excerpt: Option<String>,
    meta_description: Option<String>,
    published_at: Option<DateTime<Utc>>,
}

/// A site to import into: a migrated database with an Owner, and a data directory for media.
struct Site {
    db: TestDb,
    data: TempDir,
    owner: String,
}

impl Site {
    /// A site whose welcome post and About page are deleted, so that every count in a summary
    /// is the fixture's own.
    async fn new() -> Self {
        let site = Self::with_welcome_content().await;
        sqlx::query("delete from posts where slug in ('welcome', 'about')")
            .execute(&site.db.pool)
            .await
            .unwrap();
        site
    }

    /// A fresh install, as `quire migrate` leaves it, with an Owner.
    async fn with_welcome_content() -> Self {
        let db = TestDb::new().await;
        let owner = create_staff(&db.pool, "owner").await;
        Site {
            db,
            data: TempDir::new("data"),
            owner,
        }
    }

    /// Runs `quire import --no-progress ARGS...` against this site.
    async fn import(&self, args: &[&str]) -> Run {
        let output = tokio::time::timeout(
            Duration::from_secs(120),
            quire()
                .arg("import")
                .arg("--no-progress")
                .args(args)
                .env("DATABASE_URL", self.db.url())
                .env("QUIRE_DATA_DIR", self.data.path())
                .env("QUIRE_BASE_URL", BASE_URL)
                .output(),
        )
        .await
        .expect("quire import finishes within two minutes")
        .expect("run quire");
        Run {
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    async fn counts(&self) -> Counts {
        let count = |table: &'static str| {
            let pool = self.db.pool.clone();
            async move {
                sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                    "select count(*) from {table}"
                )))
                .fetch_one(&pool)
                .await
                .unwrap()
            }
        };
        Counts {
            posts: count("posts").await,
            tags: count("tags").await,
            users: count("users").await,
            media: count("media").await,
            redirects: count("redirects").await,
            links: count("posts_tags").await + count("posts_authors").await,
            settings_changed: sqlx::query_scalar("select max(updated_at) from settings")
                .fetch_one(&self.db.pool)
                .await
                .unwrap(),
            content_version: sqlx::query_scalar("select content_version from site_state")
                .fetch_one(&self.db.pool)
                .await
                .unwrap(),
        }
    }

    /// Files stored by the local media backend.
    fn media_files(&self) -> Vec<PathBuf> {
        files_under(&self.data.path().join("content"))
    }

    /// A replica serving this site, with its media from the directory the import wrote to.
    async fn serve(&self) -> TestApp {
        let data = self.data.path().to_owned();
        TestApp::spawn_with(&self.db, move |c| c.db.data_dir = data, None).await
    }

    async fn find(&self, slug: &str) -> Option<Post> {
        sqlx::query_as(
            "select type::text as kind, status::text as status, title, markdown, feature_image,
                    custom_excerpt, meta_description, published_at
             from posts where slug = $1",
        )
        .bind(slug)
        .fetch_optional(&self.db.pool)
        .await
        .unwrap()
    }

    async fn post(&self, slug: &str) -> Post {
        self.find(slug)
            .await
            .unwrap_or_else(|| panic!("no post /{slug}/ was imported"))
    }

    /// Names of a post's tags, in order.
    async fn tags_of(&self, slug: &str) -> Vec<String> {
        sqlx::query_scalar(
            "select t.name from posts_tags pt join tags t on t.id = pt.tag_id
             join posts p on p.id = pt.post_id where p.slug = $1 order by pt.sort_order",
        )
        .bind(slug)
        .fetch_all(&self.db.pool)
        .await
        .unwrap()
    }

    /// Emails of a post's authors, in order.
    async fn authors_of(&self, slug: &str) -> Vec<String> {
        sqlx::query_scalar(
            "select u.email from posts_authors pa join users u on u.id = pa.author_id
             join posts p on p.id = pa.post_id where p.slug = $1 order by pa.sort_order",
        )
        .bind(slug)
        .fetch_all(&self.db.pool)
        .await
        .unwrap()
    }

    /// A staff account by email: its role and whether it has a password.
    async fn account(&self, email: &str) -> (String, bool) {
        sqlx::query_as("select role::text, password_hash is not null from users where email = $1")
            .bind(email)
            .fetch_optional(&self.db.pool)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no account {email}"))
    }
}

/// Whether `html` has an `<img>` with a non-empty `srcset`.
fn has_responsive_img(html: &str) -> bool {
    Regex::new(r#"<img\b[^>]*\bsrcset="[^"]+""#)
        .unwrap()
        .is_match(html)
}

#[tokio::test]
async fn a_jekyll_site_is_imported_with_its_posts_drafts_page_and_front_matter() {
    let site = Site::new().await;
    let run = site.import(&[JEKYLL]).await;
    run.assert_success();
    assert_eq!(
        run.table(),
        [6, 0, 0, 1, 0],
        "five posts and About created, README.md skipped: {run}"
    );
    assert!(!run.stdout.contains("Nothing changed"), "{run}");

    let hello = site.post("hello-jekyll").await;
    assert_eq!(
        (hello.kind.as_str(), hello.status.as_str()),
        ("post", "published")
    );
    assert_eq!(hello.title, "Hello, Jekyll: a fresh start");
    assert_eq!(
        hello.published_at.map(|d| d.to_rfc3339()).as_deref(),
        Some("2019-03-04T08:30:00+00:00"),
        "the front matter's date, with its zone"
    );
    assert_eq!(
        hello.custom_excerpt.as_deref(),
        Some("Why this blog moved to a static site generator, and what I hope to write here.")
    );
    assert_eq!(
        site.tags_of("hello-jekyll").await,
        ["jekyll", "meta", "blog"],
        "tags, then categories"
    );
    assert_eq!(
        site.tags_of("rust-tooling").await,
        ["rust", "tooling", "cargo", "programming"],
        "a space-separated tag string is a list"
    );

    let tooling = site.post("rust-tooling").await;
    assert!(
        tooling.markdown.contains("```rust\nfn main() {"),
        "{{% highlight %}} becomes a fenced block: {}",
        tooling.markdown
    );
    assert!(
        tooling.markdown.contains("[my first post](/hello-jekyll/)"),
        "{{% post_url %}} becomes the post's path: {}",
        tooling.markdown
    );
    assert!(!tooling.markdown.contains("{%"), "{}", tooling.markdown);

    for slug in ["unfinished-thoughts", "garden-plans"] {
        assert_eq!(
            site.post(slug).await.status,
            "draft",
            "{slug}: `published: false` and _drafts/ are drafts"
        );
    }
    let about = site.post("about").await;
    assert_eq!(
        (about.kind.as_str(), about.title.as_str()),
        ("page", "About")
    );

    let readme: i64 =
        sqlx::query_scalar("select count(*) from posts where markdown like '%bundle exec%'")
            .fetch_one(&site.db.pool)
            .await
            .unwrap();
    assert_eq!(readme, 0, "README.md is not a post");

    // `author: Grace Hopper` names nobody on the site: a Contributor who cannot sign in yet
    let grace: (String, String, bool) = sqlx::query_as(
        "select email, role::text, password_hash is null from users where name = 'Grace Hopper'",
    )
    .fetch_one(&site.db.pool)
    .await
    .expect("an account for Grace Hopper");
    assert_eq!((grace.1.as_str(), grace.2), ("contributor", true));
    assert_eq!(site.authors_of("autumn-walk").await, [grace.0]);
    for slug in ["hello-jekyll", "rust-tooling", "garden-plans", "about"] {
        assert_eq!(
            site.authors_of(slug).await,
            [site.owner.as_str()],
            "{slug} names no author: the Owner wrote it"
        );
    }
}

#[tokio::test]
async fn the_site_shows_imported_posts_pages_and_tags_and_hides_drafts() {
    let site = Site::new().await;
    site.import(&[JEKYLL]).await.assert_success();
    let app = site.serve().await;

    let home = app.page("/").await;
    for title in [
        "Hello, Jekyll: a fresh start",
        "Rust tooling I use every day",
        "An autumn walk along the ridge",
    ] {
        assert!(home.contains(title), "{title} on the home page: {home}");
    }
    for hidden in [
        "Unfinished thoughts on note taking",
        "Garden plans for the spring",
    ] {
        assert!(!home.contains(hidden), "a draft is listed: {hidden}");
    }
    assert!(
        !home.contains("short terminal sessions"),
        "pages are not listed"
    );
    for draft in ["/unfinished-thoughts/", "/garden-plans/"] {
        assert_eq!(app.get(draft).await.status(), 404, "{draft} is a draft");
    }

    let about = app.page("/about/").await;
    assert!(about.contains("short terminal sessions"), "{about}");

    let tag = app.page("/tag/rust/").await;
    assert!(tag.contains("Rust tooling I use every day"), "{tag}");
    assert!(!tag.contains("An autumn walk along the ridge"), "{tag}");

    let tooling = app.page("/rust-tooling/").await;
    assert!(tooling.contains(r#"href="/hello-jekyll/""#), "{tooling}");
    assert!(tooling.contains(r#"class="language-rust""#), "{tooling}");
    assert!(!tooling.contains("{%"), "no Liquid tag is left: {tooling}");

    let grace: String = sqlx::query_scalar("select slug from users where name = 'Grace Hopper'")
        .fetch_one(&site.db.pool)
        .await
        .unwrap();
    let author = app.page(&format!("/author/{grace}/")).await;
    assert!(
        author.contains("An autumn walk along the ridge"),
        "{author}"
    );
    assert!(!author.contains("Rust tooling I use every day"), "{author}");
}

#[tokio::test]
async fn old_addresses_of_imported_posts_redirect_permanently() {
    let site = Site::new().await;
    site.import(&[JEKYLL]).await.assert_success();
    let app = site.serve().await;
    for (old, new) in [
        ("/2019/03/04/hello-jekyll.html", "/hello-jekyll/"),
        ("/hello/", "/hello-jekyll/"),
        ("/2020/06/rust-tooling.html", "/rust-tooling/"),
    ] {
        let response = app.get(old).await;
        assert_eq!(response.status(), 301, "{old}");
        assert_eq!(response.headers()["location"], new, "{old}");
    }
    assert_eq!(
        app.get("/about/").await.status(),
        200,
        "a permalink equal to the page's own path is not a redirect"
    );
}

#[tokio::test]
async fn local_images_are_uploaded_and_served_responsively_and_remote_ones_are_kept() {
    let site = Site::new().await;
    let run = site.import(&[JEKYLL]).await;
    run.assert_success();
    assert_eq!(run.images_uploaded(), 1, "{run}");

    let walk = site.post("autumn-walk").await;
    let feature = walk.feature_image.clone().unwrap_or_default();
    assert!(
        feature.starts_with("/content/images/") && feature.ends_with(".png"),
        "the feature image is the upload's public URL: {feature:?}"
    );
    assert!(
        walk.markdown.contains(&format!("]({feature})")),
        "the Markdown points at the same upload: {}",
        walk.markdown
    );
    assert!(
        !walk.markdown.contains("/assets/img/photo.png"),
        "{}",
        walk.markdown
    );
    assert!(
        walk.markdown
            .contains("(https://images.example.net/2021/beech-leaves.jpg)"),
        "a remote image is left alone: {}",
        walk.markdown
    );

    let key = feature.trim_start_matches("/content/");
    assert!(
        site.data.path().join("content").join(key).is_file(),
        "{key} is stored under QUIRE_DATA_DIR/content: {:?}",
        site.media_files()
    );
    let rows: i64 = sqlx::query_scalar("select count(*) from media where storage_key = $1")
        .bind(key)
        .fetch_one(&site.db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 1, "the upload is in the media library");

    let app = site.serve().await;
    let image = app.get(&feature).await;
    assert_eq!(image.status(), 200, "{feature}");
    assert_eq!(image.headers()["content-type"], "image/png");
    let page = app.page("/autumn-walk/").await;
    assert!(page.contains(&format!(r#"src="{feature}""#)), "{page}");
    assert!(
        has_responsive_img(&page),
        "an uploaded image gets a srcset: {page}"
    );
    assert!(
        page.contains(r#"src="https://images.example.net/2021/beech-leaves.jpg""#),
        "{page}"
    );
}

#[tokio::test]
async fn a_hugo_site_is_imported_with_its_bundle_shortcodes_and_aliases() {
    let site = Site::new().await;
    let run = site.import(&[HUGO]).await;
    run.assert_success();
    assert_eq!(
        run.table(),
        [5, 0, 0, 1, 0],
        "four posts and About created, posts/_index.md skipped: {run}"
    );
    assert_eq!(
        run.images_uploaded(),
        2,
        "the bundle's cover and the static diagram: {run}"
    );

    assert_eq!(site.post("about").await.kind, "page", "content/about.md");
    assert_eq!(site.post("draft-ideas").await.status, "draft");
    assert!(
        site.find("hugo-build-pipeline").await.is_none(),
        "`slug` in front matter wins over the file name"
    );

    let first = site.post("first-light").await;
    assert_eq!(
        first.published_at.map(|d| d.to_rfc3339()).as_deref(),
        Some("2023-04-02T07:15:00+00:00")
    );
    assert_eq!(
        first.custom_excerpt.as_deref(),
        Some("An early start, a falling tide and a very quiet river.")
    );
    assert_eq!(
        site.tags_of("first-light").await,
        ["sailing", "estuary", "travel"]
    );

    let built = site.post("how-this-site-is-built").await;
    assert!(
        built
            .markdown
            .contains("![Edit, build, rsync, serve](/content/images/"),
        "{{{{< figure >}}}} becomes an image, uploaded: {}",
        built.markdown
    );
    assert!(
        built.markdown.contains("(/lisbon-weekend/)") && built.markdown.contains("(/first-light/)"),
        "{{{{< ref >}}}} becomes the post's path: {}",
        built.markdown
    );
    assert!(!built.markdown.contains("{{<"), "{}", built.markdown);

    let trip = site.post("lisbon-weekend").await;
    let cover = trip.feature_image.clone().unwrap_or_default();
    assert!(
        cover.starts_with("/content/images/") && cover.ends_with(".jpg"),
        "the bundle's `images` is the feature image: {cover:?}"
    );
    assert!(
        trip.markdown
            .contains(&format!("![The Tagus at dusk]({cover})")),
        "{}",
        trip.markdown
    );

    let app = site.serve().await;
    for old in ["/2023/04/first-light/", "/posts/first-light/"] {
        let response = app.get(old).await;
        assert_eq!(response.status(), 301, "{old}");
        assert_eq!(response.headers()["location"], "/first-light/", "{old}");
    }
    assert!(has_responsive_img(&app.page("/lisbon-weekend/").await));
    assert_eq!(app.get("/draft-ideas/").await.status(), 404);
    let tag = app.page("/tag/sailing/").await;
    assert!(tag.contains("First light on the estuary"), "{tag}");
    assert!(!tag.contains("Ideas for the summer cruise"), "{tag}");
    let about = app.page("/about/").await;
    assert!(about.contains("Harbour Log is written by"), "{about}");
}

#[tokio::test]
async fn a_zola_site_is_imported_with_taxonomies_json_front_matter_and_heading_titles() {
    let site = Site::new().await;
    let run = site.import(&[ZOLA]).await;
    run.assert_success();
    assert_eq!(
        run.table(),
        [4, 0, 0, 2, 0],
        "two _index.md files skipped: {run}"
    );

    let lexer = site.post("writing-a-lexer").await;
    assert_eq!(site.tags_of("writing-a-lexer").await, ["compilers", "rust"]);
    let description = "Why a hand-written lexer beat the generator for a small language.";
    assert_eq!(lexer.custom_excerpt.as_deref(), Some(description));
    assert_eq!(lexer.meta_description.as_deref(), Some(description));
    assert_eq!(
        lexer.published_at.map(|d| d.to_rfc3339()).as_deref(),
        Some("2022-11-05T00:00:00+00:00")
    );

    let bench = site.post("benchmarks").await;
    assert_eq!(
        bench.title, "Benchmarks that do not lie",
        "JSON front matter"
    );
    assert_eq!(
        site.tags_of("benchmarks").await,
        ["benchmarking", "performance"]
    );

    let list = site.post("reading-list").await;
    assert_eq!(list.title, "A compiler reading list", "the first heading");
    assert!(
        list.markdown.starts_with("Books and papers"),
        "the heading is not repeated in the body: {}",
        list.markdown
    );
    assert_eq!(list.status, "published");

    let app = site.serve().await;
    let home = app.page("/").await;
    for title in [
        "Writing a lexer by hand",
        "Error recovery in recursive descent parsers",
        "Benchmarks that do not lie",
        "A compiler reading list",
    ] {
        assert!(home.contains(title), "{title}: {home}");
    }
    assert!(
        app.page("/tag/compilers/")
            .await
            .contains("Writing a lexer by hand")
    );
}

#[tokio::test]
async fn a_plain_folder_is_imported_with_its_authors_and_relative_images() {
    let site = Site::new().await;
    let run = site.import(&[PLAIN]).await;
    run.assert_success();
    assert_eq!(run.table(), [4, 0, 0, 0, 0], "{run}");
    assert_eq!(run.images_uploaded(), 1, "{run}");

    assert_eq!(
        site.authors_of("on-call-handbook").await,
        ["ada@ops.example.org", "linus@ops.example.org"],
        "authors by email, in order"
    );
    for email in ["ada@ops.example.org", "linus@ops.example.org"] {
        assert_eq!(
            site.account(email).await,
            ("contributor".to_owned(), false),
            "{email}: a new author is a Contributor without a password"
        );
    }
    assert_eq!(
        site.authors_of("meeting-notes").await,
        [site.owner.as_str()]
    );
    assert_eq!(site.post("meeting-notes").await.title, "Meeting notes");
    assert_eq!(
        site.post("postmortem-template").await.title,
        "Postmortem template"
    );

    let arch = site.post("service-architecture").await;
    let url = Regex::new(r"\]\((/content/images/[^)]+)\)")
        .unwrap()
        .captures(&arch.markdown)
        .map(|c| c[1].to_owned())
        .unwrap_or_else(|| {
            panic!(
                "img/diagram.png is rewritten to its upload: {}",
                arch.markdown
            )
        });
    assert!(
        !arch.markdown.contains("img/diagram.png"),
        "{}",
        arch.markdown
    );
    assert!(
        site.data
            .path()
            .join("content")
            .join(url.trim_start_matches("/content/"))
            .is_file(),
        "{url} is stored: {:?}",
        site.media_files()
    );
    let media: i64 = sqlx::query_scalar("select count(*) from media")
        .fetch_one(&site.db.pool)
        .await
        .unwrap();
    assert_eq!(media, 1);
}

#[tokio::test]
async fn an_invalid_file_stops_the_import_and_every_problem_is_reported_with_its_line() {
    let site = Site::new().await;
    let before = site.counts().await;
    let run = site.import(&[BROKEN]).await;
    run.assert_failed();
    for (file, line, about) in BROKEN_FILES {
        let reported = run.stderr_line(&format!("{file}:"));
        assert!(
            reported.contains(&format!("{file}:{line}:")),
            "{file} is reported at line {line}: {run}"
        );
        assert!(
            reported.to_lowercase().contains(about),
            "the message for {file} says what is wrong ({about}): {reported}"
        );
    }
    assert_eq!(
        run.last_stderr_line(),
        "quire: 6 invalid file(s); nothing was written (use --skip-invalid to import the rest)",
        "{run}"
    );
    assert_eq!(site.counts().await, before, "the database is unchanged");
    assert!(site.find("release-checklist").await.is_none());
    assert_eq!(site.media_files(), Vec::<PathBuf>::new());
}

#[tokio::test]
async fn skip_invalid_imports_the_valid_files_and_still_fails() {
    let site = Site::new().await;
    let run = site.import(&["--skip-invalid", BROKEN]).await;
    run.assert_failed();
    assert_eq!(run.table(), [2, 0, 0, 0, 6], "{run}");
    for (file, line, _) in BROKEN_FILES {
        run.stderr_line(&format!("{file}:{line}:"));
    }
    for slug in ["release-checklist", "team-offsite"] {
        assert_eq!(site.post(slug).await.status, "published", "{slug}");
    }
    assert_eq!(site.tags_of("release-checklist").await, ["process"]);
    let imported: i64 = sqlx::query_scalar("select count(*) from posts")
        .fetch_one(&site.db.pool)
        .await
        .unwrap();
    assert_eq!(imported, 2, "nothing of an invalid file is written");
    let app = site.serve().await;
    assert!(app.page("/").await.contains("Release checklist"));
}

#[tokio::test]
async fn a_dry_run_reports_what_would_happen_and_writes_nothing() {
    let site = Site::new().await;
    let before = site.counts().await;
    let run = site.import(&["--dry-run", JEKYLL]).await;
    run.assert_success();
    assert!(run.stdout.contains("Dry run: nothing was written"), "{run}");
    assert_eq!(
        run.table(),
        [6, 0, 0, 1, 0],
        "what a real run would do: {run}"
    );
    assert_eq!(site.counts().await, before, "the database is unchanged");
    assert_eq!(
        site.media_files(),
        Vec::<PathBuf>::new(),
        "no image is stored"
    );
}

#[tokio::test]
async fn a_second_import_changes_nothing_and_an_edited_file_updates_its_post() {
    let site = Site::new().await;
    let tree = TempDir::new("jekyll");
    copy_tree(Path::new(JEKYLL), tree.path());

    let first = site.import(&[tree.as_str()]).await;
    first.assert_success();
    assert_eq!(first.table(), [6, 0, 0, 1, 0], "{first}");
    let after_first = site.counts().await;
    let stored = site.media_files();

    let second = site.import(&[tree.as_str()]).await;
    second.assert_success();
    assert_eq!(second.table(), [0, 0, 6, 1, 0], "{second}");
    assert!(second.stdout.contains("Nothing changed"), "{second}");
    assert_eq!(second.images_uploaded(), 0, "{second}");
    assert_eq!(
        site.counts().await,
        after_first,
        "nothing is written twice, and readers' caches are kept"
    );
    assert_eq!(site.media_files(), stored);

    let file = tree.path().join("_posts/2020-06-12-rust-tooling.md");
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replace(
        "`cargo fmt` ends every argument about braces.",
        "`cargo fmt` ends every argument about braces, and `cargo deny` every argument about licences.",
    );
    assert_ne!(text, edited);
    std::fs::write(&file, edited).unwrap();

    let dry = site.import(&["--dry-run", tree.as_str()]).await;
    dry.assert_success();
    assert_eq!(dry.table(), [0, 1, 5, 1, 0], "{dry}");
    assert!(
        !site
            .post("rust-tooling")
            .await
            .markdown
            .contains("cargo deny"),
        "a dry run writes nothing"
    );

    let third = site.import(&[tree.as_str()]).await;
    third.assert_success();
    assert_eq!(third.table(), [0, 1, 5, 1, 0], "{third}");
    assert!(!third.stdout.contains("Nothing changed"), "{third}");
    let app = site.serve().await;
    let page = app.page("/rust-tooling/").await;
    assert!(page.contains("every argument about licences"), "{page}");
}

#[tokio::test]
async fn status_draft_makes_every_imported_post_a_draft() {
    let site = Site::new().await;
    site.import(&["--status", "draft", HUGO])
        .await
        .assert_success();
    let (posts, drafts): (i64, i64) = sqlx::query_as(
        "select count(*), count(*) filter (where status = 'draft') from posts where type = 'post'",
    )
    .fetch_one(&site.db.pool)
    .await
    .unwrap();
    assert_eq!((posts, drafts), (4, 4));
    let app = site.serve().await;
    assert_eq!(app.get("/first-light/").await.status(), 404);
    assert!(!app.page("/").await.contains("First light on the estuary"));
}

#[tokio::test]
async fn posts_without_an_author_get_the_one_named_by_the_author_option() {
    let site = Site::new().await;
    let editor = create_staff(&site.db.pool, "editor").await;
    site.import(&["--author", &editor, ZOLA])
        .await
        .assert_success();
    for slug in ["writing-a-lexer", "benchmarks", "reading-list"] {
        assert_eq!(site.authors_of(slug).await, [editor.as_str()], "{slug}");
    }

    // by slug; a post that names its authors keeps them
    let author = create_staff(&site.db.pool, "author").await;
    let slug: String = sqlx::query_scalar("select slug from users where email = $1")
        .bind(&author)
        .fetch_one(&site.db.pool)
        .await
        .unwrap();
    site.import(&["--author", &slug, PLAIN])
        .await
        .assert_success();
    assert_eq!(site.authors_of("meeting-notes").await, [author]);
    assert_eq!(
        site.authors_of("on-call-handbook").await,
        ["ada@ops.example.org", "linus@ops.example.org"]
    );
}

#[tokio::test]
async fn a_ghost_export_is_imported_with_staff_tags_and_pages_and_again_changes_nothing() {
    let site = Site::new().await;
    let run = site.import(&["--ghost", GHOST]).await;
    run.assert_success();
    assert_eq!(run.table(), [7, 0, 0, 0, 0], "{run}");

    assert_eq!(site.post("about").await.kind, "page");
    assert_eq!(site.post("draft-post").await.status, "draft");
    assert_eq!(site.post("coming-soon").await.status, "scheduled");
    assert_eq!(
        site.post("newsletter-issue-1").await.status,
        "published",
        "a sent newsletter is a published post"
    );
    assert_eq!(
        site.tags_of("welcome").await,
        ["Getting Started", "News", "#feature"],
        "tags in Ghost's order"
    );
    for (email, role) in [
        ("john@example.com", "administrator"),
        ("jane@example.com", "editor"),
        ("sam@example.com", "contributor"),
    ] {
        assert_eq!(
            site.account(email).await,
            (role.to_owned(), false),
            "{email}: Ghost's Owner is an Administrator next to the site's Owner; no password"
        );
    }
    assert_eq!(
        site.authors_of("welcome").await,
        ["john@example.com", "jane@example.com"],
        "authors in Ghost's order"
    );
    let links: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains("/admin/reset/"))
        .collect();
    for email in ["john@example.com", "jane@example.com"] {
        assert!(
            links.iter().any(|l| l.contains(email)),
            "a reset link for {email}: {run}"
        );
    }

    let app = site.serve().await;
    let home = app.page("/").await;
    assert!(home.contains("Welcome to Ghost"), "{home}");
    assert!(!home.contains("A draft"), "{home}");
    assert_eq!(app.get("/draft-post/").await.status(), 404);
    assert_eq!(app.get("/coming-soon/").await.status(), 404);
    assert!(
        home.contains("My Ghost Blog"),
        "the export's site title: {home}"
    );
    assert!(app.page("/about/").await.contains("About us."));
    assert!(app.page("/tag/news/").await.contains("Welcome to Ghost"));
    let john_link = links
        .iter()
        .find(|l| l.contains("john@example.com"))
        .and_then(|l| l.split_whitespace().find(|w| w.contains("/admin/reset/")))
        .unwrap();
    let path = john_link.trim_start_matches(BASE_URL);
    assert_eq!(
        app.get(path).await.status(),
        200,
        "the printed link opens the page to choose a password"
    );

    let before = site.counts().await;
    let again = site.import(&["--ghost", GHOST]).await;
    again.assert_success();
    assert_eq!(again.table(), [0, 0, 7, 0, 0], "{again}");
    assert!(again.stdout.contains("Nothing changed"), "{again}");
    assert_eq!(site.counts().await, before);
}

/// The slug of the post a feed entry links to.
fn entry_slug(entry: &feed_rs::model::Entry) -> String {
    let href = &entry
        .links
        .first()
        .expect("an entry links to its post")
        .href;
    href.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn feeds_of_an_imported_ghost_site_name_posts_by_ghosts_ids_and_show_feature_images() {
    let site = Site::new().await;
    site.import(&["--ghost", GHOST]).await.assert_success();
    let app = site.serve().await;

    // Ghost 5's RSS: `<guid isPermaLink="false">655000000000000000000001</guid>`
    let expected: std::collections::BTreeMap<String, String> = [
        ("welcome", "655000000000000000000001"),
        ("newsletter-issue-1", "655000000000000000000005"),
        ("migrated-mobiledoc", "655000000000000000000006"),
        ("html-only", "655000000000000000000007"),
    ]
    .into_iter()
    .map(|(slug, id)| (slug.to_owned(), id.to_owned()))
    .collect();
    for path in ["/rss/", "/feed.json", "/atom.xml"] {
        let body = app.get(path).await.bytes().await.unwrap();
        let feed = feed_rs::parser::parse(&body[..]).expect("the feed parses");
        let ids: std::collections::BTreeMap<String, String> = feed
            .entries
            .iter()
            .map(|e| (entry_slug(e), e.id.clone()))
            .collect();
        let want: std::collections::BTreeMap<String, String> = if path == "/atom.xml" {
            // an Atom id is an IRI
            expected
                .iter()
                .map(|(slug, id)| (slug.clone(), format!("urn:quire:guid:{id}")))
                .collect()
        } else {
            expected.clone()
        };
        assert_eq!(ids, want, "{path}: Ghost's post ids, not its uuids");
    }
    let rss = app.page("/rss/").await;
    assert!(
        rss.contains(r#"<guid isPermaLink="false">655000000000000000000001</guid>"#),
        "{rss}"
    );

    // the feature image, as Ghost's RSS gives it
    assert!(
        rss.contains(r#"xmlns:media="http://search.yahoo.com/mrss/""#),
        "{rss}"
    );
    let feed = feed_rs::parser::parse(rss.as_bytes()).unwrap();
    for entry in &feed.entries {
        let urls: Vec<String> = entry
            .media
            .iter()
            .flat_map(|m| m.content.iter())
            .filter_map(|c| c.url.as_ref().map(|u| u.to_string()))
            .collect();
        if entry_slug(entry) == "welcome" {
            assert_eq!(
                urls,
                [format!("{BASE_URL}/content/images/2023/11/cover.jpg")],
                "an absolute URL"
            );
        } else {
            assert_eq!(urls, Vec::<String>::new(), "no feature image, no media");
        }
    }
}

#[tokio::test]
async fn ghosts_own_images_are_uploaded_from_its_images_folder_and_their_links_rewritten() {
    let site = Site::new().await;
    let images = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/ghost/content-images"
    );
    let run = site
        .import(&["--ghost", GHOST, "--ghost-images", images])
        .await;
    run.assert_success();
    // cover.jpg, photo.jpg, a.jpg and md.png are in the folder; Ghost's other images are not
    assert_eq!(run.images_uploaded(), 4, "{run}");

    let welcome = site.post("welcome").await;
    let cover = welcome.feature_image.clone().unwrap_or_default();
    assert!(
        cover.starts_with("/content/images/") && !cover.contains("2023/11/cover.jpg"),
        "the feature image is now Quire's upload: {cover:?}"
    );
    assert!(
        site.data
            .path()
            .join("content")
            .join(cover.trim_start_matches("/content/"))
            .is_file()
    );
    for gone in [
        "/content/images/2023/11/photo.jpg",
        "/content/images/md.png",
    ] {
        assert!(
            !welcome.markdown.contains(gone),
            "{gone} is rewritten: {}",
            welcome.markdown
        );
    }
    assert!(
        welcome.markdown.contains("/content/images/2023/11/b.jpg"),
        "an image missing from the folder keeps its address: {}",
        welcome.markdown
    );

    let again = site
        .import(&["--ghost", GHOST, "--ghost-images", images])
        .await;
    again.assert_success();
    assert!(again.stdout.contains("Nothing changed"), "{again}");
}

#[tokio::test]
async fn a_broken_ghost_export_is_reported_with_its_line_and_writes_nothing() {
    let site = Site::new().await;
    let before = site.counts().await;
    let run = site.import(&["--ghost", GHOST_BROKEN]).await;
    run.assert_failed();
    run.stderr_line("ghost-broken.json:7:");
    assert_eq!(
        run.last_stderr_line(),
        "quire: 1 invalid file(s); nothing was written (use --skip-invalid to import the rest)",
        "{run}"
    );
    assert_eq!(site.counts().await, before);
}

#[tokio::test]
async fn a_running_site_shows_an_import_within_a_second() {
    let site = Site::new().await;
    let app = site.serve().await;
    assert!(!app.page("/").await.contains("Writing a lexer by hand"));
    assert_eq!(
        app.get("/writing-a-lexer/").await.status(),
        404,
        "the 404 is cached now"
    );

    site.import(&[ZOLA]).await.assert_success();
    let took = converges("the import on the site", || async {
        app.page("/").await.contains("Writing a lexer by hand")
            && app.get("/writing-a-lexer/").await.status() == 200
    })
    .await;
    eprintln!("an import was visible after {took:?}");
}

#[tokio::test]
async fn replacing_the_welcome_content_leaves_no_menu_link_to_the_about_page_it_deleted() {
    let site = Site::with_welcome_content().await;
    site.import(&[ZOLA]).await.assert_success();
    let app = site.serve().await;
    let home = app.page("/").await;
    assert!(!home.contains(r#"href="/about/""#), "{home}");
    assert_eq!(app.get("/about/").await.status(), 404);
}

#[tokio::test]
async fn an_import_into_a_fresh_install_replaces_its_untouched_welcome_content() {
    let site = Site::with_welcome_content().await;
    let dry = site.import(&["--dry-run", HUGO]).await;
    dry.assert_success();
    assert!(
        dry.stdout
            .contains("welcome post and About page of the fresh install would be replaced"),
        "{dry}"
    );
    assert_eq!(
        site.find("welcome").await.map(|p| p.title),
        Some("Welcome to Quire".to_owned())
    );

    let run = site.import(&[HUGO]).await;
    run.assert_success();
    assert_eq!(
        run.table(),
        [5, 0, 0, 1, 0],
        "about.md is a new page: {run}"
    );
    assert!(
        run.stdout
            .contains("welcome post and About page of the fresh install were replaced"),
        "the summary says so: {run}"
    );
    let app = site.serve().await;
    assert_eq!(app.get("/welcome/").await.status(), 404);
    assert_eq!(
        app.get("/tag/getting-started/").await.status(),
        404,
        "the seed's tag goes too"
    );
    let about = app.page("/about/").await;
    assert!(about.contains("Harbour Log is written by"), "{about}");
    for path in ["/", "/rss/", "/atom.xml", "/feed.json"] {
        let body = app.page(path).await;
        assert!(!body.contains("Welcome to Quire"), "{path}: {body}");
    }

    let again = site.import(&[HUGO]).await;
    again.assert_success();
    assert_eq!(again.table(), [0, 0, 5, 1, 0], "{again}");
    assert!(!again.stdout.contains("replaced"), "{again}");
}

#[tokio::test]
async fn welcome_content_someone_edited_is_kept_by_an_import() {
    let site = Site::with_welcome_content().await;
    sqlx::query("update posts set title = 'Welcome, mine now', version = version + 1 where slug = 'welcome'")
        .execute(&site.db.pool)
        .await
        .unwrap();
    let run = site.import(&[HUGO]).await;
    run.assert_success();
    assert_eq!(
        run.table(),
        [4, 1, 0, 1, 0],
        "about.md updates the About page: {run}"
    );
    assert!(!run.stdout.contains("replaced"), "{run}");
    let app = site.serve().await;
    assert!(app.page("/welcome/").await.contains("Welcome, mine now"));
    assert!(
        app.page("/about/")
            .await
            .contains("Harbour Log is written by")
    );
}

#[tokio::test]
async fn a_dry_run_on_an_empty_database_writes_nothing_not_even_the_schema() {
    let site = Site {
        db: TestDb::empty().await,
        data: TempDir::new("data"),
        owner: String::new(),
    };
    let tables = || async {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from information_schema.tables where table_schema = 'public'",
        )
        .fetch_one(&site.db.pool)
        .await
        .unwrap()
    };
    assert_eq!(tables().await, 0);
    let run = site.import(&["--dry-run", JEKYLL]).await;
    run.assert_failed();
    assert!(run.last_stderr_line().contains("quire migrate"), "{run}");
    assert_eq!(tables().await, 0, "no schema, no welcome content: {run}");
    assert_eq!(site.media_files(), Vec::<PathBuf>::new());
}

#[tokio::test]
async fn end_of_run_messages_say_what_happened() {
    let site = Site::new().await;
    let dry = site.import(&["--dry-run", "--skip-invalid", BROKEN]).await;
    dry.assert_failed();
    assert!(!dry.stderr.contains("imported"), "{dry}");
    assert!(
        dry.last_stderr_line().contains("nothing was written"),
        "{dry}"
    );

    let first = site.import(&["--skip-invalid", BROKEN]).await;
    first.assert_failed();
    assert!(
        first
            .last_stderr_line()
            .contains("the others were imported"),
        "{first}"
    );

    let before = site.counts().await;
    let again = site.import(&["--skip-invalid", BROKEN]).await;
    again.assert_failed();
    assert_eq!(again.table(), [0, 0, 2, 0, 6], "{again}");
    assert!(again.stdout.contains("Nothing changed"), "{again}");
    assert!(!again.stderr.contains("imported"), "{again}");
    assert!(
        again.last_stderr_line().contains("nothing changed"),
        "{again}"
    );
    assert_eq!(site.counts().await, before);
}

const HUGO_DOCS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hugo-docs");
const ZOLA_DOCS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/zola-docs");
const JEKYLL_DATES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jekyll-dates");

/// The Markdown files under a folder, whatever their names.
fn markdown_files_under(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect()
}

impl Site {
    /// Slugs of every post and page, sorted.
    async fn slugs(&self) -> Vec<String> {
        sqlx::query_scalar("select slug from posts order by slug")
            .fetch_all(&self.db.pool)
            .await
            .unwrap()
    }
}

impl Run {
    /// The files listed as skipped, with their reasons: `(path ending, reason)`.
    fn skipped(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut inside = false;
        for line in self.stdout.lines() {
            if line == "Skipped:" {
                inside = true;
            } else if inside && let Some(entry) = line.strip_prefix("  ") {
                let (path, reason) = entry.split_once(": ").unwrap_or((entry, ""));
                out.push((path.to_owned(), reason.to_owned()));
            } else {
                inside = false;
            }
        }
        out
    }

    /// The reason the summary gives for skipping the file whose path ends with `file`.
    fn skip_reason(&self, file: &str) -> String {
        let found: Vec<String> = self
            .skipped()
            .into_iter()
            .filter(|(path, _)| path.ends_with(file))
            .map(|(_, reason)| reason)
            .collect();
        match &found[..] {
            [reason] => reason.clone(),
            _ => panic!("{file} listed once as skipped expected: {self}"),
        }
    }
}

#[tokio::test]
async fn every_file_of_a_nested_hugo_site_is_accounted_for_with_stable_section_slugs() {
    let site = Site::new().await;
    let run = site.import(&[HUGO_DOCS]).await;
    run.assert_success();
    let files = markdown_files_under(&Path::new(HUGO_DOCS).join("content"));
    assert_eq!(files.len(), 15);
    assert_eq!(
        run.table(),
        [7, 0, 0, 8, 0],
        "7 pages imported, 4 section indexes and 4 unpublished pages skipped: {run}"
    );
    assert_eq!(
        run.table().iter().sum::<u64>() as usize,
        files.len(),
        "every Markdown file under content/ is on one row: {run}"
    );
    assert_eq!(run.skipped().len(), 8, "each skipped file is listed: {run}");
    assert!(
        !run.stdout.contains("docsy"),
        "the theme at the site root is the generator's, not content: {run}"
    );

    // a content section named `themes/` and one named `templates/` below `functions/`
    let expected = [
        "exists",
        "hugo-build",
        "installing",
        "old-offer",
        "page-title",
        "strings-title",
        "templates-title",
    ];
    assert_eq!(site.slugs().await, expected, "{run}");
    assert_eq!(site.post("strings-title").await.title, "strings.Title");
    assert_eq!(site.post("page-title").await.title, "Page.Title");
    assert_eq!(site.post("hugo-build").await.title, "How hugo builds");
    let date = |p: Post| p.published_at.map(|d| d.to_rfc3339());
    assert_eq!(
        date(site.post("strings-title").await).as_deref(),
        Some("2023-01-30T02:30:22+00:00"),
        "`2023-01-29 18:30:22 2023 -0800`: the extra year is ignored, the offset kept"
    );
    assert_eq!(
        date(site.post("templates-title").await).as_deref(),
        Some("2023-02-01T09:30:00+00:00"),
        "`2023-02-01 09:30 UTC`"
    );
    assert_eq!(
        date(site.post("exists").await).as_deref(),
        Some("2023-02-02T10:00:00+00:00"),
        "`2023-02-02T10:00`"
    );

    // the same files give the same slugs again, and nothing changes
    let again = site.import(&[HUGO_DOCS]).await;
    again.assert_success();
    assert_eq!(again.table(), [0, 0, 7, 8, 0], "{again}");
    assert_eq!(site.slugs().await, expected);
    assert!(again.stdout.contains("Nothing changed"), "{again}");
}

#[tokio::test]
async fn hugo_pages_the_generator_never_publishes_are_skipped_or_drafts_and_old_paths_redirect() {
    let site = Site::new().await;
    let run = site.import(&[HUGO_DOCS]).await;
    run.assert_success();
    let cascade = run.skip_reason("snippets/shared-intro.md");
    assert!(
        cascade.contains("render: never") && cascade.contains("snippets/_index.md"),
        "skipped through the section's cascade: {cascade}"
    );
    assert!(
        run.skip_reason("releases/render-never.md")
            .contains("render: false")
    );
    assert!(
        run.skip_reason("shared/headless/index.md")
            .contains("headless")
    );
    assert!(
        run.skip_reason("shared/headless/intro.md")
            .contains("shared/headless/index.md"),
        "a Markdown file of a bundle is its resource: {run}"
    );
    assert!(
        run.skip_reason("content/_index.md")
            .contains("home page's index"),
        "{run}"
    );
    let expired = site.post("old-offer").await;
    assert_eq!(expired.status, "draft", "expired: kept out of sight");
    assert!(
        run.stdout
            .lines()
            .any(|l| l.contains("releases/old-offer.md:4: expired on 2020-04-01")),
        "the expiry is a warning with its line: {run}"
    );

    let app = site.serve().await;
    for (old, new) in [
        ("/functions/strings/title/", "/strings-title/"),
        ("/functions/templates/title/", "/templates-title/"),
        ("/methods/page/title/", "/page-title/"),
        ("/posts/hugo_build/", "/hugo-build/"),
        ("/themes/installing/", "/installing/"),
    ] {
        let response = app.get(old).await;
        assert_eq!(response.status(), 301, "{old}");
        assert_eq!(response.headers()["location"], new, "{old}");
        assert_eq!(app.get(new).await.status(), 200, "{new}");
    }
    assert_eq!(app.get("/old-offer/").await.status(), 404, "a draft");
    assert_eq!(app.get("/shared-intro/").await.status(), 404);
}

#[tokio::test]
async fn a_zola_site_keeps_sections_named_like_generator_folders_and_front_matter_after_blank_lines()
 {
    let site = Site::new().await;
    let run = site.import(&[ZOLA_DOCS]).await;
    run.assert_success();
    let files = markdown_files_under(&Path::new(ZOLA_DOCS).join("content"));
    assert_eq!(run.table(), [5, 0, 0, 3, 0], "{run}");
    assert_eq!(run.table().iter().sum::<u64>() as usize, files.len());
    assert!(
        run.skip_reason("docs/data-only.md")
            .contains("render = false"),
        "{run}"
    );
    assert_eq!(
        site.slugs().await,
        [
            "dark-mode",
            "draft-notes",
            "static-overview",
            "templates-overview",
            "tera-basics"
        ]
    );

    let dark = site.post("dark-mode").await;
    assert_eq!(
        dark.title, "A dark mode for every theme",
        "{}",
        dark.markdown
    );
    assert_eq!(
        dark.published_at.map(|d| d.to_rfc3339()).as_deref(),
        Some("2022-05-01T00:00:00+00:00")
    );
    assert!(
        !dark.markdown.contains("+++") && !dark.markdown.contains("title ="),
        "front matter after blank lines is front matter: {}",
        dark.markdown
    );
    assert_eq!(site.tags_of("dark-mode").await, ["themes"]);
    let basics = site.post("tera-basics").await;
    assert_eq!(basics.title, "Tera basics");
    assert_eq!(
        basics.published_at.map(|d| d.to_rfc3339()).as_deref(),
        Some("2022-06-01T06:00:00+00:00")
    );
    assert_eq!(
        site.post("draft-notes").await.status,
        "draft",
        "`draft = true`"
    );

    let app = site.serve().await;
    for (old, new) in [
        ("/docs/templates/overview/", "/templates-overview/"),
        ("/docs/static/overview/", "/static-overview/"),
        ("/themes/templates/tera-basics/", "/tera-basics/"),
    ] {
        let response = app.get(old).await;
        assert_eq!(response.status(), 301, "{old}");
        assert_eq!(response.headers()["location"], new, "{old}");
    }
}

#[tokio::test]
async fn jekyll_dates_are_read_as_leniently_as_jekyll_reads_them() {
    let site = Site::new().await;
    let run = site.import(&[JEKYLL_DATES]).await;
    run.assert_success();
    assert_eq!(
        run.table(),
        [7, 0, 0, 1, 0],
        "_includes/ is Jekyll's own; blog/_notes/ is skipped and listed: {run}"
    );
    assert!(!run.stdout.contains("footer"), "{run}");
    let notes = site.post("notes").await;
    assert_eq!(
        (notes.kind.as_str(), notes.title.as_str()),
        ("page", "Notes on static files"),
        "a Jekyll folder named static/ is published like any other"
    );
    assert!(
        run.skip_reason("blog/_notes/idea.md").contains("`_notes`"),
        "{run}"
    );
    let date = |p: Post| p.published_at.map(|d| d.to_rfc3339());
    assert_eq!(
        date(site.post("ruby-time").await).as_deref(),
        Some("2023-01-30T02:30:22+00:00")
    );
    assert_eq!(
        date(site.post("mixed-case").await).as_deref(),
        Some("2023-02-01T00:00:00+00:00"),
        "a mixed-case file name is a lowercase slug"
    );
    assert_eq!(
        date(site.post("someday").await).as_deref(),
        Some("2023-03-05T00:00:00+00:00"),
        "an unreadable date falls back to the file name's"
    );
    assert!(
        run.stdout
            .lines()
            .any(|l| l.contains("2023-03-05-someday.md:3:")
                && l.contains("`date` is not a date")
                && l.contains("2023-03-05")),
        "with a warning naming the file and line: {run}"
    );
    assert_eq!(site.post("unpublished").await.status, "draft");
    // the same name in two years: told apart by the dates in their file names
    assert_eq!(
        date(site.post("update-2019-01-01").await).as_deref(),
        Some("2019-01-01T00:00:00+00:00")
    );
    assert_eq!(
        date(site.post("update-2020-01-01").await).as_deref(),
        Some("2020-01-01T20:00:00+00:00"),
        "`12:00 PST`"
    );
}

const JEKYLL_URLS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jekyll-urls");
const HUGO_URLS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hugo-urls");
const ZOLA_URLS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/zola-urls");

/// Follows redirects from `path` (at most five) and returns the last status and path.
async fn follow(app: &TestApp, path: &str) -> (u16, String) {
    let mut path = path.to_owned();
    for _ in 0..5 {
        let response = app.get(&path).await;
        let status = response.status().as_u16();
        if !matches!(status, 301 | 302 | 307 | 308) {
            return (status, path);
        }
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let next = url::Url::parse(BASE_URL)
            .unwrap()
            .join(&path)
            .unwrap()
            .join(&location)
            .unwrap();
        path = next[url::Position::BeforePath..].to_owned();
    }
    panic!("more than five redirects from {path}");
}

/// Imports `fixture` and checks what a reader of the old site would notice: each old address
/// (`moves`: old path → new path) answers 301 to the post, which answers 200; every redirect
/// belongs to its post; and no link on any published post's page, relative or absolute on
/// Quire's or the old site's address (`old_base`), leads to a 404.
async fn assert_old_urls_and_links_work(
    fixture: &str,
    old_base: &str,
    moves: &[(&str, &str)],
) -> Site {
    let site = Site::new().await;
    // the seeded navigation links to the About page `Site::new` deleted
    sqlx::query(
        r#"update settings set value = '[{"label": "Home", "url": "/"}]' where key = 'navigation'"#,
    )
    .execute(&site.db.pool)
    .await
    .unwrap();
    site.import(&[fixture]).await.assert_success();
    let app = site.serve().await;
    for (old, new) in moves {
        let response = app.get(old).await;
        assert_eq!(response.status(), 301, "GET {old}");
        assert_eq!(response.headers()["location"], *new, "GET {old}");
        assert_eq!(app.get(new).await.status(), 200, "GET {new}");
    }
    // the generator's list pages lead to Quire's home and tag pages; the rest to posts
    let orphans: i64 = sqlx::query_scalar(
        "select count(*) from redirects where post_id is null and to_path <> '/' and to_path not like '/tag/%'",
    )
        .fetch_one(&site.db.pool)
        .await
        .unwrap();
    assert_eq!(orphans, 0, "every redirect to a post belongs to it");

    let slugs: Vec<String> =
        sqlx::query_scalar("select slug from posts where status = 'published' order by slug")
            .fetch_all(&site.db.pool)
            .await
            .unwrap();
    assert!(!slugs.is_empty());
    let href = Regex::new(r#"href="([^"]*)""#).unwrap();
    let quire = url::Url::parse(BASE_URL).unwrap();
    let mut broken = Vec::new();
    let mut checked = 0;
    for slug in &slugs {
        let page = format!("/{slug}/");
        let html = app.page(&page).await;
        for c in href.captures_iter(&html) {
            let link = c[1].replace("&amp;", "&");
            // the old site's address now points at Quire
            let target = match link.strip_prefix(old_base) {
                Some(rest) => quire.join(if rest.is_empty() { "/" } else { rest }),
                None => quire.join(&page).and_then(|p| p.join(&link)),
            };
            let Ok(target) = target else { continue };
            if target.host_str() != quire.host_str() || !target.scheme().starts_with("http") {
                continue;
            }
            let path = &target[url::Position::BeforePath..url::Position::AfterQuery];
            checked += 1;
            let (status, at) = follow(&app, path).await;
            if status == 404 {
                broken.push(format!("{page}: {link} → {at}"));
            }
        }
    }
    assert!(checked > slugs.len(), "the pages have links to check");
    assert!(broken.is_empty(), "links that 404: {broken:#?}");
    site
}

#[tokio::test]
async fn every_old_jekyll_url_redirects_by_its_permalink_and_timezone_and_links_work() {
    let site = assert_old_urls_and_links_work(
        JEKYLL_URLS,
        "https://walks.example.org",
        &[
            // 05:30 UTC on the 18th is the evening of the 17th in the site's timezone
            ("/hiking/2019/05/17/ridge-walk.html", "/ridge-walk/"),
            ("/ridge", "/ridge-walk/"),
            ("/gear/gear-list/", "/gear-list/"),
            ("/2021/03/03/Café-Day.html", "/cafe-day/"),
            ("/about.html", "/about/"),
            ("/notes/field-note/", "/field-note/"),
            // a document of a collection with `output: true`, at its collection's permalink
            ("/manual/guides/packing/", "/packing/"),
        ],
    )
    .await;
    // folders `_NAME` that are no collection with output, and what `exclude:` names, are not
    // published by Jekyll
    let unpublished: Vec<String> = sqlx::query_scalar(
        "select slug from posts where title in ('A footer snippet', 'Not a collection', 'Archived thoughts', 'Trail draft')",
    )
    .fetch_all(&site.db.pool)
    .await
    .unwrap();
    assert!(unpublished.is_empty(), "{unpublished:?}");
    let gear = site.post("gear-list").await;
    assert!(
        gear.markdown
            .contains("[the ridge walk](/ridge-walk/#water)")
            && gear
                .markdown
                .contains("[same post by its file](/ridge-walk/)")
            && gear.markdown.contains("[about]: /about/"),
        "{}",
        gear.markdown
    );
}

#[tokio::test]
async fn a_hugo_site_whose_content_dir_is_elsewhere_comes_across_whole() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/hugo-contentdir"
    );
    let site = assert_old_urls_and_links_work(
        fixture,
        "https://notes.example.net",
        &[("/posts/hello-world/", "/hello-world/")],
    )
    .await;
    let post = site.post("hello-world").await;
    assert!(post.markdown.contains("(/about/)"), "{}", post.markdown);
}

#[tokio::test]
async fn every_old_hugo_url_redirects_by_its_permalinks_url_and_aliases_and_links_work() {
    let site = assert_old_urls_and_links_work(
        HUGO_URLS,
        "https://docs.example.com",
        &[
            ("/2021/04/opening-day/", "/first-post/"),
            ("/old/first/", "/first-post/"),
            ("/old/first", "/first-post/"),
            // the alias as the author typed it (Hugo wrote it in small letters)
            ("/Old/First", "/first-post/"),
            ("/Old/First/", "/first-post/"),
            ("/2021/05/second_thoughts/", "/second-thoughts/"),
            ("/docs/guide/setup/", "/guide-setup/"),
            ("/install/", "/guide-setup/"),
            ("/install", "/guide-setup/"),
            ("/docs/reference/setup/", "/reference-setup/"),
            // relative to the page's section
            ("/docs/reference/settings/", "/reference-setup/"),
            ("/launch-party/", "/launch/"),
        ],
    )
    .await;
    let second = site.post("second-thoughts").await;
    assert!(
        second.markdown.contains("[the opening](/first-post/#top)")
            && second.markdown.contains("[launch](/launch/)"),
        "{}",
        second.markdown
    );
}

#[tokio::test]
async fn every_old_zola_url_redirects_by_its_section_path_and_aliases_and_links_work() {
    let site = assert_old_urls_and_links_work(
        ZOLA_URLS,
        "https://zola.example.net",
        &[
            ("/blog/parser-notes/", "/parser-notes/"),
            ("/old/parser/", "/parser-notes/"),
            ("/old/parser", "/parser-notes/"),
            ("/tools/lexer/", "/lexer/"),
            ("/guides/start-here/", "/start-here/"),
        ],
    )
    .await;
    let lexer = site.post("lexer").await;
    assert!(
        lexer
            .markdown
            .contains("[the parser](/parser-notes/#tokens)")
            && lexer.markdown.contains("[the guides section](/guides/)"),
        "{}",
        lexer.markdown
    );
    // a section index with text is a page at the section's address; one without leads home
    let guides = site.post("guides").await;
    assert_eq!(guides.title, "Guides");
    assert!(
        guides.markdown.contains("[getting started](/start-here/)")
            && guides.markdown.contains("[the blog](/)"),
        "{}",
        guides.markdown
    );
    let app = site.serve().await;
    assert_eq!(app.get("/guides/").await.status(), 200);
    for (old, new) in [
        ("/blog/", "/"),
        ("/tags/parsing/", "/tag/parsing/"),
        ("/tags/rust-lang/", "/tag/rust-lang/"),
    ] {
        assert_eq!(follow(&app, old).await, (200, new.to_owned()), "GET {old}");
    }
}

const HUGO_MULTILINGUAL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/hugo-multilingual"
);
const HUGO_TRANSLATIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/hugo-translations"
);
const JEKYLL_COLLECTIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/jekyll-collections"
);

#[tokio::test]
async fn a_multilingual_hugo_site_keeps_every_language_section_and_term_address() {
    let site = assert_old_urls_and_links_work(
        HUGO_MULTILINGUAL,
        "https://polyglot.example.org",
        &[
            ("/posts/hello/", "/hello/"),
            ("/fr/posts/hello/", "/hello-fr/"),
            ("/fr/about/", "/about-fr/"),
            ("/fr/", "/"),
            ("/fr/posts/", "/"),
            ("/tags/rust-lang/", "/tag/rust-lang/"),
            ("/categories/news/", "/tag/news/"),
            ("/fr/tags/voyage/", "/tag/voyage/"),
            ("/tags/", "/"),
        ],
    )
    .await;
    assert_eq!(site.post("hello-fr").await.title, "Bonjour");
    assert_eq!(site.post("about-fr").await.title, "À propos");
    let hello = site.post("hello").await;
    assert!(
        hello.markdown.contains("[in French](/hello-fr/)")
            && hello.markdown.contains("[all posts](/posts/)"),
        "{}",
        hello.markdown
    );
    let bonjour = site.post("hello-fr").await;
    assert!(
        bonjour.markdown.contains("[à propos](/about-fr/)"),
        "{}",
        bonjour.markdown
    );
    // the section's text is a page at the section's address
    let posts = site.post("posts").await;
    assert_eq!(
        (posts.title.as_str(), posts.kind.as_str()),
        ("All posts", "page")
    );
    // what the generator never publishes stays out, each with its reason
    let counts = site.counts().await;
    assert_eq!(counts.posts, 5, "{counts:?}");
    let run = site.import(&[HUGO_MULTILINGUAL, "--dry-run"]).await;
    for (file, reason) in [
        ("de/hallo.md", "disables"),
        ("internal/notes.md", "cascade of"),
        ("en/_index.md", "home page"),
    ] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.contains(file) && l.contains(reason)),
            "{file}: {run}"
        );
    }
}

#[tokio::test]
async fn hugo_translations_by_file_name_and_a_config_folder_come_across_whole() {
    let site = assert_old_urls_and_links_work(
        HUGO_TRANSLATIONS,
        "https://trips.example.com",
        &[
            ("/en/posts/lisbon/", "/lisbon/"),
            ("/es/posts/lisbon/", "/lisbon-es/"),
            ("/en/posts/trip/", "/trip/"),
            ("/es/posts/trip/", "/trip-es/"),
            ("/en/", "/"),
            ("/es/posts/", "/"),
        ],
    )
    .await;
    assert_eq!(site.post("trip-es").await.title, "El viaje");
    let lisbon = site.post("lisbon").await;
    assert!(
        lisbon.markdown.contains("Lisbon by Ana")
            && lisbon.markdown.contains("[en español](/lisbon-es/)")
            && lisbon.markdown.contains("[trip](/trip/)"),
        "{}",
        lisbon.markdown
    );
}

#[tokio::test]
async fn a_jekyll_collections_dir_holds_its_posts_and_collections() {
    let site = assert_old_urls_and_links_work(
        JEKYLL_COLLECTIONS,
        "https://kitchen.example.com",
        &[("/2020/soup/", "/soup/"), ("/recipes/bread/", "/bread/")],
    )
    .await;
    assert!(
        site.find("stray").await.is_none(),
        "outside collections_dir"
    );
    let soup = site.post("soup").await;
    assert!(
        soup.markdown.contains("[the bread](/bread/)")
            && soup.markdown.contains("[the index](/bread/)"),
        "{}",
        soup.markdown
    );
    let bread = site.post("bread").await;
    assert!(
        bread.markdown.contains("[soup](/soup/)"),
        "{}",
        bread.markdown
    );
}
mod templates;
