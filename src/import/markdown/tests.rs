//! The Markdown importer's tests: front matter, dates, slugs, titles, and whole trees read.

use std::path::PathBuf;

use serde_json::Value;

use super::conventions::{humanise, settle_slugs, slug_of, split_dated_name, take_first_heading};
use super::fields::list_of;
use super::front_matter::{Source, split_front_matter};
use super::*;
use crate::import::dates::parse_date;
use crate::import::model::{PostDoc, SourceFile};
use crate::import::urls::alias_path;

fn source(text: &str) -> Source<'_> {
    split_front_matter(text).unwrap_or_else(|e| panic!("{e:?}"))
}

#[test]
fn front_matter_in_three_formats() {
    let yaml = source("---\ntitle: Hello\ntags: [a, b]\n---\nBody\n");
    assert_eq!(yaml.fields["title"], "Hello");
    assert_eq!(yaml.body, "Body\n");
    assert_eq!(yaml.body_line, 5);
    let toml =
        source("+++\ntitle = \"Hi\"\ndate = 2024-05-17\n[taxonomies]\ntags = [\"x\"]\n+++\nText");
    assert_eq!(toml.fields["title"], "Hi");
    assert_eq!(toml.fields["date"], "2024-05-17");
    assert_eq!(toml.fields["taxonomies"]["tags"][0], "x");
    assert_eq!(toml.body, "Text");
    let json = source("{\n  \"title\": \"J\"\n}\nText\n");
    assert_eq!(json.fields["title"], "J");
    assert_eq!(json.body, "Text\n");
    assert_eq!(json.body_line, 4);
    let none = source("# Just text\n");
    assert!(!none.has_matter);
}

#[test]
fn broken_front_matter_names_the_line() {
    let (line, msg) = split_front_matter("---\ntitle: ok\ntags: [a, b\n---\n")
        .err()
        .unwrap();
    assert!(msg.contains("YAML"), "{msg}");
    assert!((3..=5).contains(&line), "line {line}");
    let (line, msg) =
        split_front_matter("---\ntitle: x\ndate: 2023-03-03\nsummary: Short answer: no\n---\n")
            .err()
            .unwrap();
    assert_eq!(line, 4, "{msg}");
    assert!(
        !msg.contains("line"),
        "only the file's line is given: {msg}"
    );
    let (line, msg) = split_front_matter("+++\ntitle = \"x\"\ndate = \n+++\n")
        .err()
        .unwrap();
    assert_eq!(line, 3, "{msg}");
    let (line, _) = split_front_matter("---\ntitle: x\n").err().unwrap();
    assert_eq!(line, 1);
}

#[test]
fn dates_in_every_generator_form() {
    let d = |s| parse_date(s).map(|d| d.to_rfc3339());
    assert_eq!(d("2024-05-17"), Some("2024-05-17T00:00:00+00:00".into()));
    assert_eq!(
        d("2024-05-17 09:30:00 +0200"),
        Some("2024-05-17T07:30:00+00:00".into())
    );
    assert_eq!(
        d("2024-05-17T09:30:00+02:00"),
        Some("2024-05-17T07:30:00+00:00".into())
    );
    assert_eq!(
        d("2024-05-17 09:30"),
        Some("2024-05-17T09:30:00+00:00".into())
    );
    assert_eq!(d("17/05/2024"), None);
    assert_eq!(split_dated_name("2019-03-04-hello-world").1, "hello-world");
    assert_eq!(split_dated_name("hello-world"), (None, "hello-world"));
}

#[test]
fn dates_as_lenient_as_the_generators() {
    let d = |s| parse_date(s).map(|d| d.to_rfc3339());
    for (written, expected) in [
        (
            "2023-01-29 18:30:22 2023 -0800",
            "2023-01-30T02:30:22+00:00",
        ),
        ("2023-01-29 18:30 UTC", "2023-01-29T18:30:00+00:00"),
        ("2023-01-29T18:30", "2023-01-29T18:30:00+00:00"),
        ("2023-01-29 18:30:22+01:00", "2023-01-29T17:30:22+00:00"),
        ("2023-01-29 18:30:22 +01", "2023-01-29T17:30:22+00:00"),
        ("2023-01-29 18:30:22.250Z", "2023-01-29T18:30:22.250+00:00"),
        ("2023-01-29 6:30 pm EST", "2023-01-29T23:30:00+00:00"),
        ("2023/1/9", "2023-01-09T00:00:00+00:00"),
        (
            "Sun, 29 Jan 2023 18:30:22 +0000",
            "2023-01-29T18:30:22+00:00",
        ),
        ("29 January 2023", "2023-01-29T00:00:00+00:00"),
        ("Jan 29, 2023 10:00", "2023-01-29T10:00:00+00:00"),
    ] {
        assert_eq!(d(written).as_deref(), Some(expected), "{written}");
    }
    for refused in [
        "next Tuesday",
        "2023-13-01",
        "2023-01-290",
        "2023-01-29 25:00",
        "",
    ] {
        assert_eq!(d(refused), None, "{refused}");
    }
}

#[test]
fn front_matter_may_follow_blank_lines() {
    let toml = source("\n  \n+++\ntitle = \"Hi\"\n+++\nText\n");
    assert!(toml.has_matter);
    assert_eq!(toml.fields["title"], "Hi");
    assert_eq!(toml.body, "Text\n");
    assert_eq!(toml.body_line, 6);
    assert_eq!(toml.line_of("title"), 4);
    let (line, _) = split_front_matter("\n---\ntitle: [x\n---\n").err().unwrap();
    assert_eq!(line, 3, "the file's line");
    let plain = source("\n\nJust text\n");
    assert!(!plain.has_matter);
    assert_eq!(plain.body, "\n\nJust text\n");
}

#[test]
fn front_matter_slugs_are_made_slugs_unless_they_leave_their_folder() {
    assert_eq!(slug_of("hugo_build").as_deref(), Ok("hugo-build"));
    assert_eq!(slug_of("Title").as_deref(), Ok("title"));
    assert_eq!(slug_of("fine-slug").as_deref(), Ok("fine-slug"));
    assert!(slug_of("../etc").is_err());
    assert!(slug_of("a/b").is_err());
    assert!(slug_of("???").is_err());
}

#[test]
fn shared_slugs_are_told_apart_the_same_way_in_any_order() {
    let doc = |path: &str, sections: &[&str], url: Option<&str>| {
        let mut doc = PostDoc::new("title", "T");
        doc.origin = path.to_owned();
        doc.source = Some(SourceFile {
            sections: sections.iter().map(|s| (*s).to_owned()).collect(),
            explicit_slug: false,
            name_date: None,
            generator_url: url.map(str::to_owned),
            file: PathBuf::new(),
            lang: None,
        });
        doc
    };
    let docs = vec![
        doc(
            "a/strings/Title.md",
            &["functions", "strings"],
            Some("/functions/strings/title/"),
        ),
        doc(
            "b/page/Title.md",
            &["methods", "page"],
            Some("/methods/page/title/"),
        ),
        doc("c/x/page/Title.md", &["x", "page"], Some("/x/page/title/")),
        doc("Title.md", &[], Some("/title/")),
        doc("d/Title.md", &["same"], Some("/same/title/")),
        doc("e/Title.md", &["same"], Some("/same/title/")),
    ];
    let settle = |mut docs: Vec<PostDoc>| {
        settle_slugs(&mut docs);
        let mut out: Vec<(String, String, Vec<String>)> = docs
            .into_iter()
            .map(|d| (d.origin, d.slug, d.aliases))
            .collect();
        out.sort();
        out
    };
    let forward = settle(docs.clone());
    let mut reversed = docs.clone();
    reversed.reverse();
    assert_eq!(forward, settle(reversed), "the order read does not matter");
    let slugs: Vec<(&str, &str)> = forward
        .iter()
        .map(|(o, s, _)| (o.as_str(), s.as_str()))
        .collect();
    assert_eq!(
        slugs,
        [
            ("Title.md", "title"),
            ("a/strings/Title.md", "strings-title"),
            ("b/page/Title.md", "methods-page-title"),
            ("c/x/page/Title.md", "x-page-title"),
            ("d/Title.md", "title"),
            ("e/Title.md", "title"),
        ],
        "the generator's own /title/ keeps it; one address for two files is left to the validator"
    );
    assert_eq!(forward[1].2, ["/functions/strings/title/"]);
    assert!(forward[0].2.is_empty(), "no redirect to itself");
}

#[test]
fn lists_and_titles() {
    assert_eq!(list_of(&Value::from("a, b c")), vec!["a", "b c"]);
    assert_eq!(list_of(&Value::from("jekyll ruby")), vec!["jekyll", "ruby"]);
    let (title, rest) = take_first_heading("\n# Hello #\n\nText\n").unwrap();
    assert_eq!(title, "Hello");
    assert_eq!(rest, "\n\nText\n");
    assert!(take_first_heading("Text first\n# Later\n").is_none());
    assert_eq!(humanise("my-first_post"), "My first post");
}

#[test]
fn a_quire_export_is_read_exactly() {
    let root = std::env::temp_dir().join(format!("quire-md-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(root.join("posts")).unwrap();
    let file = root.join("posts").join("2019-03-04-tags.md");
    std::fs::write(
        &file,
        "---\ntitle: Tags\nslug: 2019-03-04-tags\ntype: post\nstatus: draft\n\
         excerpt: \"Two  spaces\\nand a line\"\ncodeinjection_head: \"<style></style>\\n\"\n\
         ---\n\n{% raw %}{{ site.url }}{% endraw %} ![x](missing.png)\n\n",
    )
    .unwrap();
    let read_one = || {
        let out = read(std::slice::from_ref(&root), &|| {});
        (out.bundle.posts.into_iter().next(), out.problems)
    };

    // as a generator's tree: dated name, template tags rewritten, texts tidied
    let (doc, problems) = read_one();
    assert_eq!(problems.len(), 1, "the missing image: {problems:?}");
    assert!(doc.is_none());

    std::fs::write(root.join(SITE_FILE), "{}").unwrap();
    let (doc, problems) = read_one();
    let _ = std::fs::remove_dir_all(&root);
    assert!(problems.is_empty(), "{problems:?}");
    let doc = doc.unwrap();
    assert_eq!(doc.published_at, None, "no date from the file name");
    assert_eq!(
        doc.markdown,
        "\n{% raw %}{{ site.url }}{% endraw %} ![x](missing.png)\n\n"
    );
    assert_eq!(
        doc.custom_excerpt.as_deref(),
        Some("Two  spaces\nand a line")
    );
    assert_eq!(doc.codeinjection_head.as_deref(), Some("<style></style>\n"));
}

#[test]
fn dates_out_of_range_are_problems_naming_the_file_and_line() {
    let root = std::env::temp_dir().join(format!("quire-md-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("old.md"),
        "---\ntitle: Old\ndate: 0001-01-01\n---\nText\n",
    )
    .unwrap();
    std::fs::write(
        root.join("0001-01-01-named.md"),
        "---\ntitle: Named\n---\nText\n",
    )
    .unwrap();
    let out = read(std::slice::from_ref(&root), &|| {});
    let _ = std::fs::remove_dir_all(&root);
    let shown: Vec<String> = out.problems.iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        shown[0].ends_with(
            "old.md:3: `date` is out of range: Use a date between the years 1970 and 9999."
        ),
        "{shown:?}"
    );
    let named = out
        .bundle
        .posts
        .iter()
        .find(|p| p.title == "Named")
        .unwrap();
    assert_eq!(
        named.published_at, None,
        "a file name's date out of range is no date"
    );
}

#[test]
fn aliases_are_site_paths() {
    assert_eq!(alias_path("old/x/").as_deref(), Some("/old/x/"));
    assert_eq!(
        alias_path("https://old.example/2019/x.html").as_deref(),
        Some("/2019/x.html")
    );
    assert_eq!(alias_path("/"), None);
    assert_eq!(alias_path("/../etc"), None);
}
