//! Template syntax after an import: the generators' built-in shortcodes and Liquid tags are
//! rendered, unknown ones are taken out of the page and listed as warnings with their line, and
//! code keeps its template text verbatim.
//!
//! Fixtures: `tests/fixtures/hugo-shortcodes`, `jekyll-liquid` and `zola-shortcodes`.

use regex::Regex;

use super::{Run, Site};
use crate::helpers::TestApp;

const HUGO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/hugo-shortcodes"
);
const JEKYLL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jekyll-liquid");
const ZOLA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/zola-shortcodes"
);

/// The rendered body of a served post or page, without the spans that highlight its code.
async fn body_of(app: &TestApp, path: &str) -> String {
    let page = app.page(path).await;
    let start = page
        .find(r#"<div class="post-content"#)
        .unwrap_or_else(|| panic!("no post content on {path}: {page}"));
    let rest = &page[start..];
    let end = rest.find("</article>").unwrap_or(rest.len());
    // the code's highlighting taken out: what is checked is the text it keeps
    let highlighting = Regex::new(r#"<span class="hl-[a-z]+">|</span>"#).unwrap();
    highlighting.replace_all(&rest[..end], "").into_owned()
}

/// `html` without its code: `<pre>` blocks and `<code>` spans.
fn outside_code(html: &str) -> String {
    let code = Regex::new(r"(?s)<pre\b.*?</pre>|<code\b.*?</code>").unwrap();
    code.replace_all(html, "").into_owned()
}

/// Fails if template syntax shows in `html` outside code.
fn assert_no_template_syntax(path: &str, html: &str) {
    let prose = outside_code(html);
    for syntax in ["{{<", "{{&lt;", "{{%", "{%", "{{ ", "}}"] {
        assert!(
            !prose.contains(syntax),
            "`{syntax}` shows on {path} outside code:\n{prose}"
        );
    }
}

/// Every published post and page of the site, served: no template syntax outside code.
async fn assert_no_template_syntax_anywhere(site: &Site, app: &TestApp) -> usize {
    let slugs: Vec<String> =
        sqlx::query_scalar("select slug from posts where status = 'published' order by slug")
            .fetch_all(&site.db.pool)
            .await
            .unwrap();
    for slug in &slugs {
        let path = format!("/{slug}/");
        assert_no_template_syntax(&path, &body_of(app, &path).await);
    }
    slugs.len()
}

/// The summary's warnings: lines under `Warnings (imported, but check these):`.
fn warnings(run: &Run) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in run.stdout.lines() {
        if line.starts_with("Warnings (imported") {
            inside = true;
        } else if inside && let Some(entry) = line.strip_prefix("  ") {
            out.push(entry.to_owned());
        } else {
            inside = false;
        }
    }
    out
}

/// Asserts the warnings are exactly one per `(file ending, line, word in the message)`.
fn assert_warnings(run: &Run, expected: &[(&str, usize, &str)]) {
    let found = warnings(run);
    for (file, line, word) in expected {
        let at = format!("{file}:{line}: ");
        let matching: Vec<&String> = found
            .iter()
            .filter(|w| w.contains(&at) && w.contains(word))
            .collect();
        assert_eq!(
            matching.len(),
            1,
            "one warning at {at} naming `{word}` expected: {run}"
        );
    }
    assert_eq!(found.len(), expected.len(), "{found:#?}\n{run}");
}

#[tokio::test]
async fn hugo_shortcodes_are_rendered_unknown_ones_reported_and_code_kept() {
    let site = Site::new().await;
    let run = site.import(&[HUGO]).await;
    run.assert_success();
    assert_eq!(run.table(), [2, 0, 0, 0, 0], "{run}");
    assert_warnings(
        &run,
        &[
            ("docs/shortcodes-in-code.md", 16, "notice warning"),
            ("docs/shortcodes-in-code.md", 20, "custom-card"),
        ],
    );

    let app = site.serve().await;
    assert_eq!(assert_no_template_syntax_anywhere(&site, &app).await, 2);

    let embeds = body_of(&app, "/embeds/").await;
    for expected in [
        "Written in Lisbon by Ada Lovelace (@ada@example.social).",
        "<figure>",
        r#"<img src="https://images.example.org/harbour.jpg" alt="The harbour at dawn""#,
        "<figcaption>Dawn over the harbour</figcaption>",
        r#"<a href="https://www.youtube.com/watch?v=w7Ft2ymGmfc" rel="noopener noreferrer"><img src="https://i.ytimg.com/vi/w7Ft2ymGmfc/hqdefault.jpg" alt="A walk along the quay""#,
        r#"href="https://vimeo.com/146022717""#,
        r#"href="https://gist.github.com/spf13/7896402""#,
        r#"href="https://x.com/SanDiegoZoo/status/1453110110599868418""#,
        r#"href="https://www.instagram.com/p/CxOWiQNP2MO/""#,
        r#"href="https://gohugo.io""#,
        r#"<code class="language-go">package main"#,
        "println(\"{{ not a template }}\")",
        "<details>",
        "<summary>How it was filmed</summary>",
        "With a <strong>phone</strong> on a pole.",
        r#"<a href="/shortcodes-in-code/" rel="noopener noreferrer">the docs post</a> and <a href="/shortcodes-in-code/" rel="noopener noreferrer">again</a>"#,
    ] {
        assert!(
            embeds.contains(expected),
            "`{expected}` expected in:\n{embeds}"
        );
    }
    assert_eq!(app.get("/shortcodes-in-code/").await.status(), 200);

    let docs = body_of(&app, "/shortcodes-in-code/").await;
    for expected in [
        "<code>{{&lt; youtube ID &gt;}}</code> in the text, or <code>{{&lt; youtube ID &gt;}}</code>.",
        "{{&lt; figure src=\"a.png\" caption=\"Kept as written\" &gt;}}\n{{% notice %}}Also kept{{% /notice %}}\n{{&lt; gist user id &gt;}}\n",
        "{{&lt; indented \"code\" &gt;}}",
        "Back up first.",
        "The card’s <strong>text</strong>.",
        "<dt>Term</dt>",
        r#"<blockquote class="markdown-alert-tip">"#,
    ] {
        assert!(
            docs.contains(expected) || docs.contains(&expected.replace('’', "'")),
            "`{expected}` expected in:\n{docs}"
        );
    }
    let markdown = site.post("shortcodes-in-code").await.markdown;
    assert!(
        markdown.contains(
            "```go-html-template\n{{< figure src=\"a.png\" caption=\"Kept as written\" >}}\n"
        ),
        "{markdown}"
    );
}

#[tokio::test]
async fn jekyll_liquid_is_rendered_from_the_config_and_front_matter_and_the_rest_reported() {
    let site = Site::new().await;
    let run = site.import(&[JEKYLL]).await;
    run.assert_success();
    assert_eq!(run.table(), [3, 0, 0, 0, 0], "{run}");
    let post = "_posts/2023-05-01-liquid-tour.md";
    assert_warnings(
        &run,
        &[
            (post, 24, "for post in site.posts"),
            (post, 28, "if site.comments"),
            (post, 32, "site.google_analytics"),
            (post, 34, "missing.html"),
        ],
    );

    let app = site.serve().await;
    assert_eq!(assert_no_template_syntax_anywhere(&site, &app).await, 3);
    let tour = body_of(&app, "/liquid-tour/").await;
    for expected in [
        "This site lives at example/liquid-notes, written by Grace Hopper; this is “A tour of Liquid” (curious), 2023.",
        r#"<a href="/first-steps/" rel="noopener noreferrer">the previous post</a> or <a href="/about/" rel="noopener noreferrer">the about page</a>"#,
        r#"<img src="/assets/logo.png" alt="Logo""#,
        "<blockquote>\n<p><strong>Note:</strong> Liquid runs before Markdown.</p>",
        r#"<code class="language-ruby">def hello = puts "{{ not liquid here }}""#,
        r#"<code class="language-liquid">{% for post in site.posts %}{{ post.title }}{% endfor %}"#,
        "<p>— Grace Hopper</p>",
    ] {
        assert!(
            tour.contains(expected) || tour.contains(&expected.replace(['“', '”'], "\"")),
            "`{expected}` expected in:\n{tour}"
        );
    }
    assert!(!tour.contains("Comments are open"), "{tour}");
    assert!(!tour.contains("post.url"), "{tour}");
    assert!(
        body_of(&app, "/about/")
            .await
            .contains("Notes kept by Grace Hopper.")
    );
    for linked in ["/first-steps/", "/about/"] {
        assert_eq!(app.get(linked).await.status(), 200, "{linked}");
    }
}

#[tokio::test]
async fn zola_shortcodes_and_at_links_are_rendered_and_unknown_ones_reported() {
    let site = Site::new().await;
    let run = site.import(&[ZOLA]).await;
    run.assert_success();
    assert_eq!(run.table(), [3, 0, 0, 0, 0], "{run}");
    assert_warnings(
        &run,
        &[
            ("blog/media.md", 16, "quote"),
            ("blog/media.md", 20, "banner"),
        ],
    );

    let app = site.serve().await;
    assert_eq!(assert_no_template_syntax_anywhere(&site, &app).await, 3);
    let media = body_of(&app, "/media/").await;
    for expected in [
        r#"<a href="/guide/#setup" rel="noopener noreferrer">the guide</a> or <a href="/trip/" rel="noopener noreferrer">the trip</a>"#,
        r#"href="https://www.youtube.com/watch?v=dQw4w9WgXcQ""#,
        r#"href="https://vimeo.com/124313553""#,
        r#"href="https://streamable.com/92ok4""#,
        r#"href="https://gist.github.com/Keats/e5fb6aad409f28721c0ba14161644c57""#,
        "Static sites are fast.",
        "{{ youtube(id=\"in-code\") }}\n{% quote() %}kept{% end %}",
    ] {
        assert!(
            media.contains(expected),
            "`{expected}` expected in:\n{media}"
        );
    }
    for linked in ["/guide/", "/trip/"] {
        assert_eq!(app.get(linked).await.status(), 200, "{linked}");
    }
    let guide = body_of(&app, "/guide/").await;
    assert!(
        guide.contains(r#"<h2 id="setup">"#)
            && guide.contains("<code>{{ youtube(id=\"...\") }}</code>"),
        "{guide}"
    );
}
