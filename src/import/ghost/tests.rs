use std::path::PathBuf;

use serde_json::json;

use super::*;
use crate::render::markdown::render;

const SITE: &str = "https://blog.example.com/";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ghost")).join(name)
}

fn load(name: &str) -> Bundle {
    read(&fixture(name), SITE).unwrap_or_else(|problems| panic!("{name}: {problems:#?}"))
}

fn post<'b>(bundle: &'b Bundle, slug: &str) -> &'b PostDoc {
    bundle
        .posts
        .iter()
        .find(|p| p.slug == slug)
        .unwrap_or_else(|| panic!("no post {slug}"))
}

fn user<'b>(bundle: &'b Bundle, slug: &str) -> &'b UserDoc {
    bundle
        .users
        .iter()
        .find(|u| u.slug.as_deref() == Some(slug))
        .unwrap_or_else(|| panic!("no user {slug}"))
}

fn read_json(json: &str) -> Result<Bundle, Vec<Problem>> {
    read_bytes(json.as_bytes(), "export.json", SITE)
}

fn date(s: &str) -> Option<DateTime<Utc>> {
    Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
}

fn welcome_markdown() -> String {
    post(&load("ghost-5.json"), "welcome").markdown.clone()
}

/// Asserts that `md` holds `part`, showing all of `md` when it does not.
#[track_caller]
fn has(md: &str, part: &str) {
    assert!(md.contains(part), "expected\n{part}\n---- in ----\n{md}");
}

// Ghost 5: Lexical, posts_meta, two authors, statuses ------------------------------------

#[test]
fn ghost_5_posts_pages_and_statuses() {
    let b = load("ghost-5.json");
    let slugs: Vec<&str> = b.posts.iter().map(|p| p.slug.as_str()).collect();
    assert_eq!(
        slugs,
        [
            "welcome",
            "about",
            "draft-post",
            "coming-soon",
            "newsletter-issue-1",
            "migrated-mobiledoc",
            "html-only"
        ]
    );
    let welcome = post(&b, "welcome");
    assert_eq!(welcome.kind, PostType::Post);
    assert_eq!(welcome.status, PostStatus::Published);
    assert_eq!(welcome.published_at, date("2023-11-02T10:00:00Z"));
    assert_eq!(welcome.created_at, date("2023-11-01T09:00:00Z"));
    assert_eq!(welcome.updated_at, date("2023-11-03T12:30:00Z"));
    assert!(
        welcome.origin.ends_with("ghost-5.json: posts[0]"),
        "{}",
        welcome.origin
    );

    assert_eq!(post(&b, "about").kind, PostType::Page);
    let draft = post(&b, "draft-post");
    assert_eq!(draft.status, PostStatus::Draft);
    assert_eq!(draft.published_at, None);
    let scheduled = post(&b, "coming-soon");
    assert_eq!(scheduled.status, PostStatus::Scheduled);
    assert_eq!(scheduled.published_at, date("2030-01-01T09:00:00Z"));
    // sent as a newsletter only: published here
    assert_eq!(post(&b, "newsletter-issue-1").status, PostStatus::Published);
}

#[test]
fn ghost_5_post_fields_come_from_the_post_and_posts_meta() {
    let b = load("ghost-5.json");
    let p = post(&b, "welcome");
    assert_eq!(p.title, "Welcome to Ghost");
    assert!(p.featured);
    assert_eq!(p.custom_excerpt.as_deref(), Some("A short summary."));
    assert_eq!(
        p.feature_image.as_deref(),
        Some("https://blog.example.com/content/images/2023/11/cover.jpg")
    );
    assert_eq!(p.feature_image_alt.as_deref(), Some("Cover alt"));
    // Quire shows the caption as text
    assert_eq!(p.feature_image_caption.as_deref(), Some("Photo by X & Y"));
    assert_eq!(p.meta_title.as_deref(), Some("Welcome (SEO title)"));
    assert_eq!(
        p.meta_description.as_deref(),
        Some("Everything about the welcome post.")
    );
    assert_eq!(
        p.canonical_url.as_deref(),
        Some("https://blog.example.com/welcome/")
    );
    assert_eq!(p.codeinjection_head.as_deref(), Some("<style>.x{}</style>"));
    assert_eq!(
        p.codeinjection_foot.as_deref(),
        Some(r#"<script src="https://blog.example.com/assets/x.js"></script>"#)
    );
    assert!(p.aliases.is_empty());
    let about = post(&b, "about");
    assert!(!about.featured);
    assert_eq!(about.meta_title, None);
    assert_eq!(about.feature_image, None);
}

#[test]
fn tags_and_authors_follow_sort_order() {
    let b = load("ghost-5.json");
    let welcome = post(&b, "welcome");
    assert_eq!(welcome.tags, ["Getting Started", "News", "#feature"]);
    assert_eq!(welcome.authors, ["john@example.com", "jane@example.com"]);
    let draft = post(&b, "draft-post");
    assert_eq!(draft.tags, ["News"]);
    assert_eq!(draft.authors, ["sam@example.com"]);
    // no author rows: the import's default author
    assert!(post(&b, "newsletter-issue-1").authors.is_empty());
}

#[test]
fn lexical_text_formats_links_and_breaks() {
    let md = &welcome_markdown();
    let first = md.split("\n\n").next().unwrap();
    assert_eq!(
        first,
        "Welcome to **Ghost**, _really_, ~~old~~, <u>under</u>, `npm install`, \
             H<sub>2</sub>O, x<sup>2</sup>, **_both_**. See \
             [our page](https://blog.example.com/about/).\\\n1\\. with a \\* star"
    );
}

#[test]
fn lexical_headings_lists_and_quotes() {
    let md = &welcome_markdown();
    has(md, "\n\n## First steps\n\n### Details \\#\n\n");
    has(md, "\n\n- apples\n  1. red\n  2. green\n- pears\n\n");
    has(md, "\n\n3. three\n4. four\n\n");
    has(md, "\n\n- [x] done\n- [ ] todo\n\n");
    has(md, "\n\n> A quote\\\n> second line\n\n> An aside\n\n");
}

#[test]
fn lexical_cards_become_markdown_or_embedded_html() {
    let md = &welcome_markdown();
    // code, divider
    has(
        md,
        "\n\n```rust\nfn main() {\n    println!(\"hi\");\n}\n```\n\n---\n\n",
    );
    // image with caption and width: a figure around a Markdown image
    has(
        md,
        "\n\n<figure class=\"kg-card kg-image-card kg-width-wide kg-card-hascaption\">\n\n\
             ![A photo](https://blog.example.com/content/images/2023/11/photo.jpg)\n\n\
             <figcaption>Photo by <a href=\"https://unsplash.com\">Unsplash</a></figcaption>\n\
             </figure>\n\n",
    );
    // a plain image is just an image
    has(md, "\n\n![Plain](https://cdn.example.com/plain.png)\n\n");
    // Markdown card verbatim (placeholders resolved)
    has(
        md,
        "\n\n## From Markdown\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nA note[^1].\n\n\
             [^1]: The note.\n\n![inline](https://blog.example.com/content/images/md.png)\n\n",
    );
    // HTML card: one HTML block, its blank line encoded
    has(
        md,
        "\n\n<div class=\"custom\">\n  <p>Custom</p>\n&#10;  <p>HTML</p>\n</div>\n\n",
    );
    has(
        md,
        "\n\n**[Ghost: The Creator Economy Platform](https://ghost.org/)**\\\n\
             The world's most popular modern publishing platform.\\\n_Ghost_\n\n",
    );
    has(
        md,
        "\n\n<figure class=\"kg-card kg-embed-card kg-card-hascaption\">\n\n\
             <iframe width=\"200\" height=\"113\" src=\"https://www.youtube.com/embed/abc?feature=oembed\" \
             frameborder=\"0\" allowfullscreen></iframe>\n\n<figcaption>A video</figcaption>\n</figure>\n\n",
    );
    // gallery: one paragraph per row, rows in order
    has(
        md,
        "\n\n<figure class=\"kg-card kg-gallery-card kg-width-wide kg-card-hascaption\">\n\n\
             ![A](https://blog.example.com/content/images/2023/11/a.jpg)\n\
             ![B](https://blog.example.com/content/images/2023/11/b.jpg)\n\n\
             ![C](https://blog.example.com/content/images/2023/11/c.jpg)\n\n\
             <figcaption>Gallery caption</figcaption>\n</figure>\n\n",
    );
    has(md, "\n\n> 💡 Remember to **save**\n\n");
    has(
        md,
        "\n\n<details class=\"kg-card kg-toggle-card\">\n<summary>Question?</summary>\n\n\
             The *answer*.\n\n</details>\n\n",
    );
    has(
        md,
        "\n\n[Subscribe](https://blog.example.com/#/portal/signup)\n\n",
    );
    has(
        md,
        "\n\n<figure class=\"kg-card kg-video-card\">\n\n\
             <video src=\"https://blog.example.com/content/media/2023/11/clip.mp4\" controls playsinline \
             preload=\"metadata\" poster=\"https://blog.example.com/content/images/2023/11/clip_thumb.jpg\" \
             width=\"640\" height=\"360\"></video>\n\n</figure>\n\n",
    );
    has(
        md,
        "\n\n<figure class=\"kg-card kg-audio-card\">\n\n\
             <audio src=\"https://blog.example.com/content/media/2023/11/talk.mp3\" controls \
             preload=\"metadata\"></audio>\n\n<figcaption>The talk</figcaption>\n</figure>\n\n",
    );
    has(
        md,
        "\n\n[Annual report](https://blog.example.com/content/files/2023/11/report.pdf) \
             (report.pdf, 120.6 KB)\\\nNumbers for 2023\n\n",
    );
    has(
        md,
        "\n\n![](https://blog.example.com/content/images/2023/11/widget.png)\n\n**Widget**\n\n\
             Does things.\n\n★★★★☆\n\n[Buy](https://shop.example.com/widget)\n\n",
    );
    has(
        md,
        "\n\n## Big news\n\nRead on\n\n[Go](https://example.com/go)\n\n",
    );
    // a card Quire does not know keeps its HTML
    assert!(md.ends_with("\n\n<section>Kept</section>"), "{md}");
}

#[test]
fn cards_that_only_make_sense_in_ghost_are_left_out() {
    let md = &welcome_markdown();
    assert!(!md.contains("Only in the email"), "{md}");
    assert!(!md.contains("Sign up"), "{md}");
    assert!(!md.contains("members-only"), "{md}");
    // the content after the paywall stays
    has(
        md,
        "\n\n[Go](https://example.com/go)\n\nMembers only part.\n\n",
    );
}

#[test]
fn converted_markdown_renders_as_ghost_showed_it() {
    let html = render(&post(&load("ghost-5.json"), "welcome").markdown)
        .unwrap()
        .html;
    for part in [
        "<strong>Ghost</strong>",
        "<em>really</em>",
        "<del>old</del>",
        "<u>under</u>",
        "<code>npm install</code>",
        "H<sub>2</sub>O",
        "<strong><em>both</em></strong>",
        "<br>\n1. with a * star</p>",
        "<h3 id=\"details\">Details #</h3>",
        "<ol start=\"3\">",
        "type=\"checkbox\" checked=\"\"",
        "<blockquote>\n<p>A quote<br>\nsecond line</p>\n</blockquote>",
        "<pre><code class=\"language-rust\">",
        "<figcaption>Photo by <a href=\"https://unsplash.com\"",
        "<details>\n<summary>Question?</summary>\n<p>The <em>answer</em>.</p>\n</details>",
        "<section>Kept</section>",
    ] {
        has(&html, part);
    }
    assert!(!html.contains("**"), "{html}");
}

#[test]
fn the_richest_content_source_wins() {
    let b = load("ghost-5.json");
    // lexical over html, mobiledoc over html, html when alone
    assert!(!post(&b, "welcome").markdown.contains("ignored"));
    assert_eq!(
        post(&b, "migrated-mobiledoc").markdown,
        "Written in the _old_ editor."
    );
    assert_eq!(
        post(&b, "html-only").markdown,
        "Only *HTML* here, with [a link](https://blog.example.com/welcome/)."
    );
}

#[test]
fn no_placeholder_survives_and_no_slash_doubles() {
    let b = load("ghost-5.json");
    let all = serde_json::to_string(&b).unwrap();
    assert!(!all.contains(GHOST_URL), "{all}");
    assert!(!all.contains("blog.example.com//"), "{all}");
    assert_eq!(
        user(&b, "john").avatar_url.as_deref(),
        Some("https://blog.example.com/content/images/john.jpg")
    );
    assert_eq!(
        b.tags[0].feature_image.as_deref(),
        Some("https://blog.example.com/content/images/tag.jpg")
    );
}

#[test]
fn staff_with_their_roles_and_never_a_password() {
    let b = load("ghost-5.json");
    assert_eq!(b.users.len(), 3);
    let john = user(&b, "john");
    // Owner outranks the Administrator role the same user also holds
    assert_eq!(john.role, Some(Role::Owner));
    assert_eq!(john.name, "John Owner");
    assert_eq!(john.email.as_deref(), Some("john@example.com"));
    assert_eq!(john.bio.as_deref(), Some("Runs the place."));
    assert_eq!(
        john.cover_image.as_deref(),
        Some("https://blog.example.com/content/images/john-cover.jpg")
    );
    assert_eq!(john.website.as_deref(), Some("https://john.example.com"));
    assert_eq!(john.location.as_deref(), Some("Berlin"));
    // Ghost's "Super Editor" is an Editor here
    assert_eq!(user(&b, "jane").role, Some(Role::Editor));
    assert_eq!(user(&b, "sam").role, Some(Role::Contributor));
    let all = serde_json::to_string(&b).unwrap();
    assert!(!all.contains("$2a$"), "{all}");
    assert!(!all.contains("reader@example.com"), "members are not staff");
}

#[test]
fn tags_keep_their_slugs_and_details() {
    let b = load("ghost-5.json");
    assert_eq!(
        b.tags[0],
        TagDoc {
            name: "Getting Started".into(),
            slug: Some("getting-started".into()),
            description: Some("Start here.".into()),
            feature_image: Some("https://blog.example.com/content/images/tag.jpg".into()),
            meta_title: Some("Getting Started with Ghost".into()),
            meta_description: Some("First steps.".into()),
            accent_color: Some("#15171A".into()),
        }
    );
    // internal tags keep their `#`
    assert_eq!(b.tags[2].name, "#feature");
    assert_eq!(b.tags[2].slug.as_deref(), Some("hash-feature"));
}

#[test]
fn settings_map_to_quire_keys() {
    let b = load("ghost-5.json");
    assert_eq!(
        Value::Object(b.settings),
        json!({
            "title": "My Ghost Blog",
            "description": "Thoughts on everything.",
            "logo": "https://blog.example.com/content/images/logo.png",
            "cover_image": "https://blog.example.com/content/images/site-cover.jpg",
            "accent_color": "#FF1A75",
            "lang": "de",
            "timezone": "Europe/Berlin",
            "codeinjection_head": "<meta name=\"x\" content=\"https://blog.example.com/\">",
            "codeinjection_foot": "",
            "navigation": [
                {"label": "Home", "url": "https://blog.example.com/"},
                {"label": "About", "url": "https://blog.example.com/about/"},
                {"label": "Elsewhere", "url": "https://example.org/"}
            ]
        })
    );
}

// Ghost 1.x: bare form, Mobiledoc, `page`, `author_id` -----------------------------------

#[test]
fn ghost_1_bare_export_with_page_flags_and_author_ids() {
    let b = load("ghost-1.json");
    let hello = post(&b, "hello-world");
    assert_eq!(hello.kind, PostType::Post);
    assert_eq!(post(&b, "about-me").kind, PostType::Page);
    assert_eq!(hello.authors, ["owner@example.com"]);
    assert_eq!(post(&b, "about-me").authors, ["guest@example.com"]);
    assert_eq!(hello.tags, ["Journal", "Getting Started"]);
    assert_eq!(hello.meta_title.as_deref(), Some("Hello (SEO)"));
    assert_eq!(hello.meta_description.as_deref(), Some("The first post."));
    assert!(hello.featured);
    assert_eq!(
        hello.feature_image.as_deref(),
        Some("/content/images/2018/04/cover.jpg")
    );
    // epoch milliseconds, "YYYY-MM-DD HH:MM:SS" and ISO dates
    assert_eq!(hello.created_at, date("2014-05-07T11:45:53Z"));
    assert_eq!(hello.published_at, date("2014-05-07T11:42:33Z"));
    assert_eq!(hello.updated_at, date("2014-05-08T10:00:00Z"));
    assert_eq!(
        post(&b, "legacy-html").published_at,
        date("2015-01-01T00:00:00Z")
    );
    assert_eq!(post(&b, "old-draft").status, PostStatus::Draft);
    assert_eq!(user(&b, "owner").role, Some(Role::Owner));
    assert_eq!(user(&b, "guest").role, Some(Role::Author));
    assert_eq!(
        user(&b, "owner").avatar_url.as_deref(),
        Some("/content/images/owner.jpg")
    );
}

#[test]
fn mobiledoc_sections_markers_atoms_and_cards() {
    let b = load("ghost-1.json");
    assert_eq!(
        post(&b, "hello-world").markdown,
        "Hello **bold _and italic_**, [a link](https://ghost.org), `code` and ~~gone~~.\\\n\
             Next line.\n\n\
             ## A heading\n\n\
             > Quoted.\n\n\
             > Pulled.\n\n\
             - first\n- **second**\n\n\
             1. one\n2. two\n\n\
             Some **Markdown** from the old editor.\n\n* one\n* two\n\n\
             <figure class=\"kg-card kg-image-card kg-width-full kg-card-hascaption\">\n\n\
             ![](/content/images/2018/04/photo.jpg)\n\n\
             <figcaption>A <em>caption</em></figcaption>\n</figure>\n\n\
             <p style=\"color: red\">Red</p>\n\n\
             ---\n\n\
             ```python\nprint('hi')\n```\n\n\
             <figure class=\"kg-card kg-embed-card\">\n\n\
             <blockquote class=\"twitter-tweet\"><p>Tweet</p></blockquote>\n\
             &#10;<script async src=\"https://platform.twitter.com/widgets.js\"></script>\n\n\
             </figure>"
    );
    assert_eq!(post(&b, "about-me").markdown, "I write things.");
    assert_eq!(post(&b, "legacy-html").markdown, "From **HTML**");
}

#[test]
fn ghost_1_settings_use_the_old_names() {
    let b = load("ghost-1.json");
    assert_eq!(
        Value::Object(b.settings),
        json!({
            "title": "Old Blog",
            "description": "From 2014.",
            "logo": null,
            "cover_image": "/content/images/2014/cover.jpg",
            "lang": "en-GB",
            "timezone": "Europe/London",
            "codeinjection_head": "<style>body { color: #222; }</style>",
            "codeinjection_foot": "",
            "navigation": [
                {"label": "Home", "url": "/"},
                {"label": "Journal", "url": "/tag/journal/"}
            ]
        })
    );
}

#[test]
fn dated_permalinks_become_aliases_of_published_posts() {
    let b = load("ghost-1.json");
    assert_eq!(
        post(&b, "hello-world").aliases,
        ["/2014/05/07/hello-world/"]
    );
    assert_eq!(
        post(&b, "legacy-html").aliases,
        ["/2015/01/01/legacy-html/"]
    );
    // pages keep /slug/, drafts never had an address
    assert!(post(&b, "about-me").aliases.is_empty());
    assert!(post(&b, "old-draft").aliases.is_empty());
}

#[test]
fn both_forms_of_export_read_the_same() {
    let bare = std::fs::read_to_string(fixture("ghost-1.json")).unwrap();
    let wrapped = format!("{{\"db\": [{bare}]}}");
    let a = serde_json::to_value(load("ghost-1.json")).unwrap();
    let b = serde_json::to_value(read_json(&wrapped).unwrap()).unwrap();
    assert_eq!(a, b);
}

// HTML only ------------------------------------------------------------------------------

#[test]
fn html_is_converted_and_what_markdown_cannot_say_stays_html() {
    let b = load("ghost-html.json");
    assert_eq!(
        post(&b, "rendered").markdown,
        "Intro with **bold**, *italic* and [a tag link](https://blog.example.com/tag/news/).\n\n\
             ## A section\n\n\
             <figure class=\"kg-card kg-image-card kg-card-hascaption\">\n\n\
             ![Pic](https://blog.example.com/content/images/2022/01/pic.jpg)\n\n\
             <figcaption>The <em>caption</em></figcaption>\n</figure>\n\n\
             - one\n- two\n\n\
             > Wise words.\n\n\
             ```js\nconst a = 1;\n\nconsole.log(a);\n```\n\n\
             <div class=\"kg-custom\">\n<p>Custom</p>\n&#10;<p>block</p>\n</div>\n\n\
             <figure class=\"kg-card kg-embed-card\"><iframe width=\"200\" height=\"113\" \
             src=\"https://www.youtube.com/embed/xyz\" frameborder=\"0\" allowfullscreen=\"\"></iframe></figure>\n\n\
             - - -\n\n\
             Done <u>here</u>."
    );
}

// Problems -------------------------------------------------------------------------------

#[test]
fn invalid_json_is_reported_with_its_line() {
    let path = fixture("ghost-broken.json");
    let problems = read(&path, SITE).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    let p = &problems[0];
    assert_eq!(p.source, path.display().to_string());
    assert_eq!(p.line, Some(7));
    assert!(
        p.message
            .starts_with("invalid JSON at column 24: expected `,` or `}`"),
        "{}",
        p.message
    );
    assert!(p.to_string().contains("ghost-broken.json:7: invalid JSON"));
}

#[test]
fn a_missing_file_is_a_problem_not_a_panic() {
    let problems = read(&fixture("no-such-export.json"), SITE).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert!(problems[0].message.starts_with("cannot read the file"));
    assert!(problems[0].source.ends_with("no-such-export.json"));
}

#[test]
fn an_export_without_data_is_refused() {
    for (json, message) in [
        (
            r#"{"db": [{"meta": {"version": "5.0.0"}}]}"#,
            "`data` is missing",
        ),
        (r#"{"meta": {"version": "1.0.0"}}"#, "`data` is missing"),
        (r#"{"db": []}"#, "`db` holds no export"),
        (r#"{"data": []}"#, "`data` is not an object"),
        ("[1, 2]", "does not hold a JSON object"),
    ] {
        let problems = read_json(json).unwrap_err();
        assert_eq!(problems.len(), 1, "{json}: {problems:?}");
        assert_eq!(problems[0].source, "export.json");
        assert!(
            problems[0].message.contains(message),
            "{json}: {problems:?}"
        );
    }
    let eof = read_json("{\"db\": [\n").unwrap_err();
    assert_eq!(eof[0].line, Some(2));
}

#[test]
fn every_broken_record_is_reported_with_its_position() {
    let problems = read_json(
            r##"{"data": {
                "posts": [
                    {"id": "1", "title": "No slug", "status": "published"},
                    {"id": "2", "slug": "odd", "title": "Odd", "status": "archived", "type": "post"},
                    {"id": "3", "slug": "bad-date", "status": "draft", "created_at": "yesterday"},
                    {"id": "4", "slug": "twice", "status": "draft"},
                    {"id": "5", "slug": "twice", "status": "draft"},
                    {"id": "6", "slug": "later", "status": "scheduled", "published_at": null},
                    "not a post",
                    {"id": "8", "slug": "kind", "status": "draft", "type": "newsletter"},
                    {"id": "9", "slug": "broken", "status": "draft", "lexical": "{not json"},
                    {"id": "10", "slug": "fine", "status": "draft"},
                    {"id": "11", "slug": "ancient", "status": "draft", "updated_at": "0001-01-01 00:00:00"},
                    {"id": "12", "slug": "far", "status": "draft", "published_at": 253402300800000}
                ],
                "tags": [{"id": "t", "slug": "nameless"}],
                "users": [{"id": "u", "email": "x@example.com"}],
                "settings": [{"key": "navigation", "value": "{\"label\": 1}"}]
            }}"##,
        )
        .unwrap_err();
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "export.json: users[0]: has no name",
            "export.json: tags[0]: has no name",
            "export.json: settings.navigation: is not a list of {\"label\", \"url\"} entries",
            "export.json: posts[0]: has no slug (title \"No slug\")",
            "export.json: posts[1]: has an unknown status \"archived\"",
            "export.json: posts[2]: created_at: cannot read \"yesterday\" as a date",
            "export.json: posts[4]: has the same slug \"twice\" as posts[3]",
            "export.json: posts[5]: is scheduled but has no published_at",
            "export.json: posts[6]: is not an object",
            "export.json: posts[7]: has an unknown type \"newsletter\"",
            "export.json: posts[8]: has unreadable content (lexical: key must be a string at line 1 column 2)",
            "export.json: posts[10]: updated_at: 0001-01-01 00:00:00 UTC is out of range: Use a date between the years 1970 and 9999.",
            "export.json: posts[11]: published_at: +10000-01-01 00:00:00 UTC is out of range: Use a date between the years 1970 and 9999.",
        ]
    );
}

#[test]
fn old_and_odd_shapes_are_understood() {
    let b = read_json(
            r##"{"db": [{"meta": {"version": "0.11.0"}, "data": {
                "posts": [
                    {"id": 1, "slug": "legacy", "title": "Legacy", "status": "published",
                     "markdown": "Written in *Markdown*.", "html": "<p>ignored</p>",
                     "page": 0, "author_id": 7, "published_at": 1399463153000,
                     "image": "/content/images/old.png"},
                    {"id": 2, "slug": "shared", "status": "draft", "author_id": 8}
                ],
                "tags": [
                    {"id": 1, "name": "Same", "slug": "same-1"},
                    {"id": 2, "name": "Same", "slug": "same-2"}
                ],
                "posts_tags": [{"post_id": 1, "tag_id": 2}, {"post_id": 1, "tag_id": 1},
                               {"post_id": 1, "tag_id": 1}, {"post_id": 1, "tag_id": 99}],
                "users": [
                    {"id": 7, "name": "No Email", "slug": "no-email", "image": "/content/images/me.png"},
                    {"id": 8, "name": "Only A Name"}
                ],
                "settings": [
                    {"key": "defaultLang", "value": "en_US"},
                    {"key": "activeTimezone", "value": "Europe/Paris"},
                    {"key": "cover", "value": "/content/images/cover.png"},
                    {"key": "accent_color", "value": "red"},
                    {"key": "permalinks", "value": "/:slug/"}
                ]
            }}]}"##,
        )
        .unwrap();
    let legacy = post(&b, "legacy");
    assert_eq!(legacy.markdown, "Written in *Markdown*.");
    assert_eq!(legacy.kind, PostType::Post);
    assert_eq!(legacy.published_at, date("2014-05-07T11:45:53Z"));
    assert_eq!(
        legacy.feature_image.as_deref(),
        Some("/content/images/old.png")
    );
    // a shared tag name is ambiguous: the slugs name them; without sort_order the rows' order
    // counts; repeated and dangling rows are passed over
    assert_eq!(legacy.tags, ["same-2", "same-1"]);
    // no email: the slug, then the name
    assert_eq!(legacy.authors, ["no-email"]);
    assert_eq!(post(&b, "shared").authors, ["Only A Name"]);
    assert_eq!(post(&b, "shared").title, UNTITLED);
    assert!(legacy.aliases.is_empty());
    assert_eq!(
        user(&b, "no-email").avatar_url.as_deref(),
        Some("/content/images/me.png")
    );
    assert_eq!(user(&b, "no-email").role, None);
    assert_eq!(
        Value::Object(b.settings),
        json!({"lang": "en-US", "timezone": "Europe/Paris", "cover_image": "/content/images/cover.png"})
    );
}

#[test]
fn dates_in_every_format_ghost_wrote() {
    let ok = |v: Value| parse_date(&v).unwrap();
    let expected = date("2020-01-02T03:04:05Z");
    assert_eq!(ok(json!("2020-01-02T03:04:05.000Z")), expected);
    assert_eq!(ok(json!("2020-01-02T04:04:05+01:00")), expected);
    assert_eq!(ok(json!("2020-01-02 03:04:05")), expected);
    assert_eq!(ok(json!("2020-01-02 03:04:05.000")), expected);
    assert_eq!(ok(json!("2020-01-02T03:04:05")), expected);
    assert_eq!(ok(json!(1577934245000_i64)), expected);
    assert_eq!(ok(json!(1577934245)), expected);
    assert_eq!(ok(json!("1577934245000")), expected);
    assert_eq!(ok(json!("2020-01-02")), date("2020-01-02T00:00:00Z"));
    assert_eq!(ok(json!(null)), None);
    assert_eq!(ok(json!("")), None);
    assert_eq!(
        parse_date(&json!("02/01/2020")),
        Err("\"02/01/2020\"".into())
    );
    assert_eq!(parse_date(&json!(true)), Err("true".into()));
}

#[test]
fn the_site_url_replaces_the_placeholder_with_or_without_a_slash() {
    for site in ["https://new.example", "https://new.example/"] {
        let b = read_bytes(
            br#"{"data": {"posts": [{"slug": "a", "status": "draft",
                    "html": "<p><a href=\"__GHOST_URL__/b/\">b</a></p>",
                    "feature_image": "__GHOST_URL__/content/images/x.png"}]}}"#,
            "export.json",
            site,
        )
        .unwrap();
        assert_eq!(b.posts[0].markdown, "[b](https://new.example/b/)");
        assert_eq!(
            b.posts[0].feature_image.as_deref(),
            Some("https://new.example/content/images/x.png")
        );
    }
}
