//! URL slugs: `hello-world` in `/hello-world/`.

use std::fmt;

/// Longest slug accepted, as in Ghost.
pub const MAX_LEN: usize = 191;

/// Paths of the site that a post, tag or author slug must not shadow.
const RESERVED: &[&str] = &[
    "admin", "assets", "content", "page", "tag", "author", "rss", "feed", "healthz", "readyz",
    "metrics", "sitemap", "robots", "api", "p", "favicon",
];

/// A validated slug: lowercase ASCII letters, digits and single inner hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Slug(String);

/// Why a string is not a slug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("a slug cannot be empty")]
    Empty,
    #[error("a slug is at most {MAX_LEN} characters")]
    TooLong,
    #[error("a slug may contain only a-z, 0-9 and hyphens between them")]
    Invalid,
    #[error("`{0}` is reserved by the site's own URLs")]
    Reserved(String),
}

impl Slug {
    /// Accepts a slug as typed; refuses rather than repairs.
    pub fn parse(s: &str) -> Result<Self, SlugError> {
        if s.is_empty() {
            return Err(SlugError::Empty);
        }
        if s.len() > MAX_LEN {
            return Err(SlugError::TooLong);
        }
        let valid_chars = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid_chars || s.starts_with('-') || s.ends_with('-') || s.contains("--") {
            return Err(SlugError::Invalid);
        }
        Ok(Slug(s.to_owned()))
    }

    /// Accepts a slug for a post or page, which shares the site's top-level paths.
    pub fn parse_top_level(s: &str) -> Result<Self, SlugError> {
        let slug = Self::parse(s)?;
        if RESERVED.contains(&s) {
            return Err(SlugError::Reserved(s.to_owned()));
        }
        Ok(slug)
    }

    /// Makes a slug from a title: `Ça va? Déjà 10%!` → `ca-va-deja-10`.
    pub fn from_title(title: &str) -> Self {
        let mut slug = slugify(title);
        if slug.len() > MAX_LEN {
            slug.truncate(MAX_LEN);
            slug = slug.trim_end_matches('-').to_owned();
        }
        if slug.is_empty() || RESERVED.contains(&slug.as_str()) {
            slug = if slug.is_empty() {
                "untitled".to_owned()
            } else {
                format!("{slug}-post")
            };
        }
        Slug(slug)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The slug form of any text (`Title_Case 2` → `title-case-2`): lowercase ASCII letters and
/// digits with single hyphens between words. May be empty, reserved or too long; used for
/// parts of slugs (a section's name) and by [`Slug::from_title`], which makes it a slug.
pub fn slugify(text: &str) -> String {
    // any script to ASCII (`Привет` → `Privet`, `北京` → `Bei Jing`), as Zola's slugs do
    let ascii = deunicode::deunicode(&text.replace('&', " and "));
    let mut slug = String::with_capacity(ascii.len());
    for c in ascii.chars().map(|c| c.to_ascii_lowercase()) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_becomes_a_readable_slug() {
        assert_eq!(Slug::from_title("Hello, World!").as_str(), "hello-world");
        assert_eq!(
            Slug::from_title("Ça va? Déjà 10%!").as_str(),
            "ca-va-deja-10"
        );
        assert_eq!(Slug::from_title("  Rust & Go  ").as_str(), "rust-and-go");
        assert_eq!(Slug::from_title("???").as_str(), "untitled");
        // other scripts are transliterated rather than lost
        assert_eq!(Slug::from_title("Привет, мир").as_str(), "privet-mir");
        assert_eq!(Slug::from_title("北京").as_str(), "bei-jing");
        assert_eq!(
            Slug::from_title("Straße øl æble").as_str(),
            "strasse-ol-aeble"
        );
        assert_eq!(Slug::from_title("Admin").as_str(), "admin-post");
    }

    #[test]
    fn slugs_with_odd_characters_are_refused() {
        assert_eq!(Slug::parse("Hello"), Err(SlugError::Invalid));
        assert_eq!(Slug::parse("a--b"), Err(SlugError::Invalid));
        assert_eq!(Slug::parse("-a"), Err(SlugError::Invalid));
        assert_eq!(Slug::parse(""), Err(SlugError::Empty));
        assert!(Slug::parse("good-slug-2").is_ok());
    }

    #[test]
    fn site_paths_are_reserved_for_posts() {
        assert!(matches!(
            Slug::parse_top_level("admin"),
            Err(SlugError::Reserved(_))
        ));
        assert!(Slug::parse("admin").is_ok(), "a tag may be called admin");
    }
}
