//! Posts and pages.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::limits;

/// A post appears in the home page, archives and feeds; a page only at its own URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "post_type", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum PostType {
    Post,
    Page,
}

/// Where a post is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "post_status", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum PostStatus {
    Draft,
    /// Becomes published by itself at `published_at`, on every replica.
    Scheduled,
    Published,
}

/// Why a post cannot be scheduled as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleError {
    /// Scheduled for a time that has passed.
    PastDate,
    /// Scheduled without a time.
    NoDate,
}

/// The status and date a post is stored with, for every writer: published with a date more
/// than a few seconds ahead is scheduled; published without a date is published now; a
/// scheduled post needs a date in the future; a draft keeps its date.
pub fn settle_status(
    status: PostStatus,
    published_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(PostStatus, Option<DateTime<Utc>>), ScheduleError> {
    match status {
        PostStatus::Draft => Ok((PostStatus::Draft, published_at)),
        PostStatus::Published => match published_at {
            // a clock a little ahead of the server's is not a schedule
            Some(at) if at > now + TimeDelta::seconds(5) => Ok((PostStatus::Scheduled, Some(at))),
            Some(at) => Ok((PostStatus::Published, Some(at))),
            None => Ok((PostStatus::Published, Some(now))),
        },
        PostStatus::Scheduled => match published_at {
            Some(at) if at > now => Ok((PostStatus::Scheduled, Some(at))),
            Some(_) => Err(ScheduleError::PastDate),
            None => Err(ScheduleError::NoDate),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// What a post may hold: the one set of checks of the editor, the admin API and the importer

/// A field of a post refused: its name in the admin API and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidField {
    pub field: &'static str,
    pub message: String,
}

impl InvalidField {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        InvalidField {
            field,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for InvalidField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`: {}", self.field, self.message)
    }
}

/// The optional plain-text fields of a post, each with its longest length in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    Excerpt,
    FeatureImageAlt,
    FeatureImageCaption,
    MetaTitle,
    MetaDescription,
}

impl TextField {
    /// The field's name in the admin API.
    pub fn name(self) -> &'static str {
        match self {
            TextField::Excerpt => "excerpt",
            TextField::FeatureImageAlt => "feature_image_alt",
            TextField::FeatureImageCaption => "feature_image_caption",
            TextField::MetaTitle => "meta_title",
            TextField::MetaDescription => "meta_description",
        }
    }

    /// Its longest value, in characters.
    pub fn max(self) -> usize {
        match self {
            TextField::Excerpt | TextField::MetaDescription => 500,
            TextField::FeatureImageAlt | TextField::MetaTitle => 300,
            TextField::FeatureImageCaption => 1000,
        }
    }
}

/// A title, trimmed, within [`limits::MAX_TITLE`] characters (an empty one is each writer's
/// business: the editor calls it "(Untitled)", an import refuses it).
pub fn check_title(title: &str) -> Result<(), InvalidField> {
    if title.trim().chars().count() > limits::MAX_TITLE {
        return Err(InvalidField::new(
            "title",
            format!("Titles are at most {} characters.", limits::MAX_TITLE),
        ));
    }
    Ok(())
}

/// The Markdown source: at most [`limits::MAX_MARKDOWN`] bytes. (How deeply it may nest is
/// the renderer's rule, `render::markdown::check`.)
pub fn check_markdown(markdown: &str) -> Result<(), InvalidField> {
    if markdown.len() > limits::MAX_MARKDOWN {
        return Err(InvalidField::new(
            "markdown",
            format!(
                "The post is too long: {} KiB, and 2 MiB is the most.",
                markdown.len() / 1024
            ),
        ));
    }
    Ok(())
}

/// An optional text field, as typed (callers trim it first).
pub fn check_text(field: TextField, value: &str) -> Result<(), InvalidField> {
    if value.chars().count() > field.max() {
        return Err(InvalidField::new(
            field.name(),
            format!("At most {} characters.", field.max()),
        ));
    }
    Ok(())
}

/// A link field (`feature_image`, `canonical_url`): an http(s) URL or a path on the site.
pub fn check_url(field: &'static str, value: &str) -> Result<(), InvalidField> {
    if value.chars().count() > limits::MAX_URL {
        return Err(InvalidField::new(
            field,
            format!("At most {} characters.", limits::MAX_URL),
        ));
    }
    if !is_url_or_path(value) {
        return Err(InvalidField::new(
            field,
            "Use an http(s) URL or a path such as /content/images/x.jpg.",
        ));
    }
    Ok(())
}

/// An absolute http(s) URL, or a path on this site (not a protocol-relative `//host`).
pub fn is_url_or_path(value: &str) -> bool {
    value.starts_with('/') && !value.starts_with("//")
        || url::Url::parse(value).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// A post's code injection (`codeinjection_head`, `codeinjection_foot`): at most
/// [`limits::MAX_CODE_INJECTION`] bytes. (Who may set it is the editor's rule.)
pub fn check_code(field: &'static str, value: &str) -> Result<(), InvalidField> {
    if value.len() > limits::MAX_CODE_INJECTION {
        return Err(InvalidField::new(field, "At most 64 KiB of code."));
    }
    Ok(())
}

/// The tag names of a post, counted as sent: at most [`limits::MAX_TAGS_PER_POST`], each at
/// most [`limits::MAX_TAG_NAME`] characters once trimmed.
pub fn check_tags<S: AsRef<str>>(names: &[S]) -> Result<(), InvalidField> {
    if names.len() > limits::MAX_TAGS_PER_POST {
        return Err(InvalidField::new(
            "tags",
            format!(
                "{} tags; a post has at most {}.",
                names.len(),
                limits::MAX_TAGS_PER_POST
            ),
        ));
    }
    if let Some(long) = names
        .iter()
        .map(|n| n.as_ref().trim())
        .find(|n| n.chars().count() > limits::MAX_TAG_NAME)
    {
        return Err(InvalidField::new(
            "tags",
            format!(
                "Tag names are at most {} characters (`{}…`).",
                limits::MAX_TAG_NAME,
                long.chars().take(40).collect::<String>()
            ),
        ));
    }
    Ok(())
}

/// A date of a post: within the years every feed and HTTP header can write.
pub fn check_date(field: &'static str, at: DateTime<Utc>) -> Result<(), InvalidField> {
    if !limits::date_in_range(at) {
        return Err(InvalidField::new(field, limits::DATE_RANGE_MESSAGE));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishing_in_the_future_schedules() {
        let now = Utc::now();
        let later = now + TimeDelta::hours(1);
        assert_eq!(
            settle_status(PostStatus::Published, Some(later), now),
            Ok((PostStatus::Scheduled, Some(later)))
        );
        assert_eq!(
            settle_status(PostStatus::Published, None, now),
            Ok((PostStatus::Published, Some(now)))
        );
        assert_eq!(
            settle_status(PostStatus::Scheduled, None, now),
            Err(ScheduleError::NoDate)
        );
        assert_eq!(
            settle_status(PostStatus::Scheduled, Some(now - TimeDelta::hours(1)), now),
            Err(ScheduleError::PastDate)
        );
    }

    #[test]
    fn urls_must_be_http_or_site_paths() {
        assert!(check_url("feature_image", "javascript:alert(1)").is_err());
        assert!(check_url("feature_image", "//evil.example/x").is_err());
        assert!(check_url("feature_image", "/content/images/a.png").is_ok());
        assert!(check_url("canonical_url", "https://example.com/a/").is_ok());
        let long = format!("https://example.com/{}", "a".repeat(limits::MAX_URL));
        assert_eq!(
            check_url("canonical_url", &long).unwrap_err().field,
            "canonical_url"
        );
    }

    #[test]
    fn each_limit_names_its_field() {
        assert_eq!(check_title(&"t".repeat(256)).unwrap_err().field, "title");
        assert!(check_title(&format!("  {}  ", "t".repeat(255))).is_ok());
        assert!(check_markdown(&"m".repeat(limits::MAX_MARKDOWN)).is_ok());
        assert_eq!(
            check_markdown(&"m".repeat(limits::MAX_MARKDOWN + 1))
                .unwrap_err()
                .field,
            "markdown"
        );
        let alt = check_text(TextField::FeatureImageAlt, &"a".repeat(301)).unwrap_err();
        assert_eq!(
            alt.to_string(),
            "`feature_image_alt`: At most 300 characters."
        );
        assert!(check_text(TextField::FeatureImageCaption, &"c".repeat(1000)).is_ok());
        assert_eq!(
            check_code("codeinjection_head", &"x".repeat(64 * 1024 + 1))
                .unwrap_err()
                .field,
            "codeinjection_head"
        );
        let many: Vec<String> = (0..=limits::MAX_TAGS_PER_POST)
            .map(|i| i.to_string())
            .collect();
        assert_eq!(
            check_tags(&many).unwrap_err().message,
            "101 tags; a post has at most 100."
        );
        assert!(check_tags(&[format!(" {} ", "n".repeat(191))]).is_ok());
        assert!(check_tags(&["n".repeat(192)]).is_err());
    }
}
