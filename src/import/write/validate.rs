//! Checks of everything a bundle would write, against the limits the admin API applies, so
//! that every problem is found (and named with its source) before anything is written.

use std::collections::HashMap;

use crate::domain::limits;
use crate::domain::post::{self as rules, PostStatus, TextField};
use crate::domain::slug::Slug;
use crate::import::model::{Bundle, MediaDoc, PostDoc, Problem};
use crate::media::Storage;
use crate::render::markdown as md;

/// Checks the media library of a bundle: storage keys that stay inside the storage, a
/// SHA-256, an image type and sizes that make sense.
pub(super) fn validate_media(media: &[MediaDoc]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (i, m) in media.iter().enumerate() {
        let source = media_source(i, m);
        let mut problem = |message: &str| problems.push(Problem::new(&source, None, message));
        if !safe_key(&m.key) || !m.variants.iter().all(|v| safe_key(&v.key)) {
            problem("a storage key is not a relative path inside the media storage");
        }
        if m.sha256.len() != 64 || !m.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            problem("`sha256` is not a SHA-256 in hex");
        }
        if !m.content_type.starts_with("image/")
            || !m
                .variants
                .iter()
                .all(|v| v.content_type.starts_with("image/"))
        {
            problem("the content type is not an image type");
        }
        if m.bytes < 0 || m.width.is_some_and(|w| w < 0) || m.height.is_some_and(|h| h < 0) {
            problem("a size is negative");
        }
        if m.alt.as_ref().is_some_and(|a| a.chars().count() > 1000) {
            problem("`alt` is longer than 1000 characters");
        }
    }
    problems
}

/// The images of a media library (an export's) whose objects are not in the media storage:
/// their rows would show broken images. Each is a problem naming what to copy.
pub(super) async fn missing_media(
    storage: &Storage,
    media: &[MediaDoc],
) -> anyhow::Result<Vec<Problem>> {
    use futures_util::{StreamExt, TryStreamExt};
    let checks = futures_util::stream::iter(media.iter().enumerate())
        .map(|(i, m)| async move {
            let keys = std::iter::once(&m.key).chain(m.variants.iter().map(|v| &v.key));
            // keys that would leave the storage are refused by `validate_media`
            for key in keys.filter(|k| safe_key(k)) {
                if !storage.exists(key).await? {
                    return Ok::<_, anyhow::Error>(Some(Problem::new(
                        media_source(i, m),
                        None,
                        format!(
                            "`{key}` is not in the media storage: copy the exported site's media (its folder or bucket) there first"
                        ),
                    )));
                }
            }
            Ok(None)
        })
        .buffered(16);
    let found: Vec<Option<Problem>> = checks.try_collect().await?;
    Ok(found.into_iter().flatten().collect())
}

/// A storage key that stays inside the media storage.
fn safe_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 500
        && !key.starts_with('/')
        && !key.contains('\\')
        && !key.chars().any(char::is_control)
        && key
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

/// How problems name an image of the media library.
pub(super) fn media_source(i: usize, m: &MediaDoc) -> String {
    format!(
        "media[{i}] `{}`",
        m.key.chars().take(80).collect::<String>()
    )
}

/// Longest feed id of an imported post, in bytes (Ghost's are 24).
const MAX_FEED_GUID: usize = 200;

/// Checks what the database would refuse or the site would show wrongly, for every post: the
/// editor's rules (`domain::post`), and what only an import brings (ids, aliases, duplicate
/// slugs across files).
pub(super) fn validate(posts: &[PostDoc]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut slugs: HashMap<&str, &str> = HashMap::new();
    for doc in posts {
        let mut problem = |message: String| {
            problems.push(Problem::new(doc.origin.clone(), None, message));
        };
        if let Err(e) = Slug::parse_top_level(&doc.slug) {
            problem(format!("slug `{}`: {e}", doc.slug));
        }
        if let Some(first) = slugs.insert(&doc.slug, &doc.origin) {
            problem(format!(
                "slug `{}` is also the slug of {first}; give one of them another `slug`",
                doc.slug
            ));
        }
        if doc.title.trim().is_empty() {
            problem("the title is empty".into());
        }
        if doc.status == PostStatus::Scheduled && doc.published_at.is_none() {
            problem("a scheduled post needs a publication date".into());
        }
        for invalid in field_problems(doc) {
            problem(invalid.to_string());
        }
        // an id that feeds write as text: short, printable, and not blank
        if let Some(guid) = &doc.feed_guid
            && (guid.trim().is_empty()
                || guid.len() > MAX_FEED_GUID
                || guid.chars().any(char::is_control))
        {
            problem(format!(
                "`feed_guid` must be 1 to {MAX_FEED_GUID} printable characters"
            ));
        }
        for alias in &doc.aliases {
            if !alias.starts_with('/') || alias.starts_with("//") {
                problem(format!(
                    "alias `{alias}` is not a path such as /2019/05/old/"
                ));
            }
        }
    }
    problems
}

/// The fields of a post the editor's rules refuse, each checked as the admin API checks it.
fn field_problems(doc: &PostDoc) -> Vec<rules::InvalidField> {
    let mut checks = vec![
        rules::check_title(&doc.title),
        rules::check_markdown(&doc.markdown),
        rules::check_tags(&doc.tags),
    ];
    if checks[1].is_ok()
        && let Err(e) = md::check(&doc.markdown)
    {
        checks.push(Err(rules::InvalidField {
            field: "markdown",
            message: e.to_string(),
        }));
    }
    for (field, value) in [
        ("published_at", doc.published_at),
        ("created_at", doc.created_at),
        ("updated_at", doc.updated_at),
    ] {
        checks.extend(value.map(|at| rules::check_date(field, at)));
    }
    for (field, value) in [
        (TextField::Excerpt, &doc.custom_excerpt),
        (TextField::FeatureImageAlt, &doc.feature_image_alt),
        (TextField::FeatureImageCaption, &doc.feature_image_caption),
        (TextField::MetaTitle, &doc.meta_title),
        (TextField::MetaDescription, &doc.meta_description),
    ] {
        checks.extend(value.as_deref().map(|v| rules::check_text(field, v.trim())));
    }
    for (field, value) in [
        ("codeinjection_head", &doc.codeinjection_head),
        ("codeinjection_foot", &doc.codeinjection_foot),
    ] {
        checks.extend(value.as_deref().map(|v| rules::check_code(field, v)));
    }
    // a local image is replaced by its stored address before the post is written
    let local = |v: &str| doc.local_images.iter().any(|i| i.reference == v);
    for (field, value) in [
        ("feature_image", &doc.feature_image),
        ("canonical_url", &doc.canonical_url),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !local(v)) {
            checks.push(rules::check_url(field, v.trim()));
        }
    }
    checks.into_iter().filter_map(Result::err).collect()
}

/// Checks the staff, tags and settings a bundle describes against the same limits as the
/// admin API.
pub(super) fn validate_people_and_tags(bundle: &Bundle) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (key, value) in &bundle.settings {
        if let Err(crate::domain::settings::InvalidSetting::Value(field)) =
            crate::domain::settings::validate(key, value)
        {
            problems.push(Problem::new(
                format!("settings.{field}"),
                None,
                format!("`{value}` is not a valid value for the setting {field}"),
            ));
        }
    }
    let too_long = |value: &Option<String>, max: usize| {
        value.as_ref().is_some_and(|v| v.chars().count() > max)
    };
    for (i, user) in bundle.users.iter().enumerate() {
        let source = format!(
            "users[{i}] ({})",
            user.name.chars().take(40).collect::<String>()
        );
        if user.name.chars().count() > limits::MAX_STAFF_NAME {
            problems.push(Problem::new(
                &source,
                None,
                format!(
                    "`name` is longer than {} characters",
                    limits::MAX_STAFF_NAME
                ),
            ));
        }
        if too_long(&user.bio, limits::MAX_BIO) {
            problems.push(Problem::new(
                &source,
                None,
                format!("`bio` is longer than {} characters", limits::MAX_BIO),
            ));
        }
    }
    for (i, tag) in bundle.tags.iter().enumerate() {
        let source = format!(
            "tags[{i}] ({})",
            tag.name.chars().take(40).collect::<String>()
        );
        if tag.name.chars().count() > limits::MAX_TAG_NAME {
            problems.push(Problem::new(
                &source,
                None,
                format!("`name` is longer than {} characters", limits::MAX_TAG_NAME),
            ));
        }
        if too_long(&tag.description, limits::MAX_TAG_DESCRIPTION) {
            problems.push(Problem::new(
                &source,
                None,
                format!(
                    "`description` is longer than {} characters",
                    limits::MAX_TAG_DESCRIPTION
                ),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::model::{TagDoc, UserDoc};
    use chrono::Utc;

    #[test]
    fn validation_names_each_problem() {
        let mut a = PostDoc::new("same", "A");
        a.origin = "a.md".into();
        let mut b = PostDoc::new("same", " ");
        b.origin = "b.md".into();
        b.status = PostStatus::Scheduled;
        b.feature_image = Some("javascript:alert(1)".into());
        let problems = validate(&[a, b]);
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            text.iter()
                .any(|p| p.starts_with("b.md: slug `same` is also the slug of a.md")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|p| p == "b.md: the title is empty"),
            "{text:?}"
        );
        assert!(
            text.iter().any(|p| p.contains("scheduled post needs")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|p| p.contains("`feature_image`")),
            "{text:?}"
        );
        assert!(text.iter().all(|p| p.starts_with("b.md")), "{text:?}");
    }

    #[test]
    fn validation_applies_the_limits_of_the_admin_api() {
        let mut doc = PostDoc::new("many", "Many");
        doc.origin = "many.md".into();
        doc.tags = (0..=limits::MAX_TAGS_PER_POST)
            .map(|i| format!("t{i}"))
            .collect();
        doc.published_at = chrono::DateTime::parse_from_rfc3339("0001-01-01T00:00:00Z")
            .ok()
            .map(|d| d.with_timezone(&Utc));
        let text: Vec<String> = validate(&[doc]).iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "many.md: `tags`: 101 tags; a post has at most 100.",
                "many.md: `published_at`: Use a date between the years 1970 and 9999.",
            ]
        );

        let bundle = Bundle {
            users: vec![UserDoc {
                name: "Ann".into(),
                bio: Some("b".repeat(limits::MAX_BIO + 1)),
                ..UserDoc::default()
            }],
            tags: vec![TagDoc {
                name: "n".repeat(limits::MAX_TAG_NAME + 1),
                ..TagDoc::default()
            }],
            ..Bundle::default()
        };
        let text: Vec<String> = validate_people_and_tags(&bundle)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert_eq!(
            text[0],
            "users[0] (Ann): `bio` is longer than 1000 characters"
        );
        assert!(
            text[1].ends_with("`name` is longer than 191 characters"),
            "{text:?}"
        );
    }
}
