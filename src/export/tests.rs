use super::*;
use crate::import::markdown;

fn rich_post() -> PostDoc {
    let t = |s: &str| Some(s.parse::<DateTime<Utc>>().unwrap());
    let mut doc = PostDoc::new("on-yaml", "1.10");
    doc.status = PostStatus::Published;
    doc.published_at = t("2024-05-17T09:30:00.123456Z");
    doc.created_at = t("2024-05-16T08:00:00Z");
    doc.updated_at = t("2024-05-18T10:00:00.5Z");
    doc.tags = vec![
        "#internal".into(),
        "yes".into(),
        "Rust, and more".into(),
        "2024".into(),
    ];
    doc.authors = vec!["b@example.com".into(), "a@example.com".into()];
    doc.custom_excerpt = Some("An excerpt: with  two spaces,\nand a *star*".into());
    doc.markdown = "\n# Heading\n\n{% raw %}{{ site.url }}{% endraw %}\n\n---\n\nText\n\n".into();
    doc.feature_image = Some("/content/images/2024/05/a.jpg".into());
    doc.feature_image_alt = Some("null".into());
    doc.feature_image_caption = Some("A <b>caption</b> that is rather long, long enough to be folded by a YAML writer that folds".into());
    doc.featured = true;
    doc.meta_title = Some("true".into());
    doc.meta_description = Some("'quoted' and \"double\" — ünïcode".into());
    doc.canonical_url = Some("https://elsewhere.example/x?y=1#z".into());
    doc.codeinjection_head = Some("<script>\n  let x = 1;\n</script>\n".into());
    doc.codeinjection_foot = Some("  <!-- indented -->".into());
    doc
}

#[test]
fn a_post_file_reads_back_as_the_same_post() {
    let mut page = PostDoc::new("about", "About: a page");
    page.kind = PostType::Page;
    page.status = PostStatus::Draft;
    page.created_at = Some("2024-01-01T00:00:00Z".parse().unwrap());
    let mut dated = PostDoc::new("2019-03-04-dated-slug", "Dated");
    dated.created_at = page.created_at;
    let bundle = Bundle {
        posts: vec![rich_post(), page, dated],
        settings: [("title".to_owned(), serde_json::json!("A: site"))]
            .into_iter()
            .collect(),
        ..Bundle::default()
    };
    let dir = std::env::temp_dir().join(format!("quire-export-{}", Uuid::new_v4().simple()));
    write_markdown(&bundle, &dir).unwrap();
    let read = markdown::read(std::slice::from_ref(&dir), &|| {});
    let _ = std::fs::remove_dir_all(&dir);
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    let mut posts = read.bundle.posts;
    posts.sort_by(|a, b| a.slug.cmp(&b.slug));
    let mut expected = bundle.posts.clone();
    expected.sort_by(|a, b| a.slug.cmp(&b.slug));
    for (got, want) in posts.iter_mut().zip(&expected) {
        got.origin.clear();
        assert_eq!(got, want);
    }
    assert_eq!(posts.len(), expected.len());
    assert_eq!(read.bundle.settings, bundle.settings);
}

#[test]
fn awkward_texts_survive_the_front_matter() {
    const PIECES: &[&str] = &[
        "a",
        " ",
        "  ",
        "\n",
        "\n\n",
        "\t",
        "#",
        ": ",
        "- ",
        "'",
        "\"",
        "\\",
        "\r\n",
        "\r",
        "é",
        "\u{2028}",
        "\u{85}",
        "\u{feff}",
        "{",
        "[",
        "*",
        "&",
        "!",
        "|",
        ">",
        "%",
        "@",
        "`",
        "?",
        "~",
        "null",
        "yes",
        "off",
        "0x1F",
        "1e3",
        ".inf",
        "2024-05-17",
        "---",
        "...",
        "words that go on for a while, ",
        "long long long long long long long long long ",
    ];
    // a fixed pseudo-random sequence: the same texts on every run
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut posts = Vec::new();
    for i in 0..600 {
        let n = 1 + next() % 12;
        let text: String = (0..n)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        let trimmed = text.trim();
        let mut doc = PostDoc::new(format!("p{i}"), "Title");
        if !trimmed.is_empty() {
            doc.title = trimmed.to_owned();
            doc.custom_excerpt = Some(trimmed.to_owned());
            doc.tags = vec![trimmed.to_owned()];
            doc.codeinjection_head = Some(text.clone());
        }
        doc.markdown = text;
        posts.push(doc);
    }
    let bundle = Bundle {
        posts,
        ..Bundle::default()
    };
    let dir = std::env::temp_dir().join(format!("quire-export-{}", Uuid::new_v4().simple()));
    write_markdown(&bundle, &dir).unwrap();
    let read = markdown::read(std::slice::from_ref(&dir), &|| {});
    let _ = std::fs::remove_dir_all(&dir);
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    let mut by_slug: HashMap<String, PostDoc> = read
        .bundle
        .posts
        .into_iter()
        .map(|p| (p.slug.clone(), p))
        .collect();
    for want in &bundle.posts {
        let mut got = by_slug.remove(&want.slug).expect("every post is read");
        got.origin.clear();
        assert_eq!(&got, want);
    }
}

#[test]
fn refuses_a_folder_that_is_not_empty() {
    let dir = std::env::temp_dir().join(format!("quire-export-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("x.txt"), "x").unwrap();
    let err = write_markdown(&Bundle::default(), &dir).unwrap_err();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(err.to_string().contains("not empty"), "{err}");
}

#[test]
fn json_has_the_header_then_the_bundle() {
    let bundle = Bundle {
        posts: vec![rich_post()],
        ..Bundle::default()
    };
    let at = "2024-06-01T12:00:00.75Z".parse().unwrap();
    let text = to_json(&bundle, "https://blog.example", at).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["quire"]["version"], 1);
    assert_eq!(value["quire"]["exported_at"], "2024-06-01T12:00:00Z");
    assert_eq!(value["quire"]["site"], "https://blog.example");
    let back: Bundle = serde_json::from_value(value).unwrap();
    assert_eq!(back.posts, bundle.posts);
    assert!(text.starts_with("{\n  \"quire\""), "{text}");
}
