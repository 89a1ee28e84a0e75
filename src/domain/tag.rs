//! Tags: their slugs and who sees them, as in Ghost.

use crate::domain::slug::Slug;

/// Who sees a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagVisibility {
    /// Shown to readers, with an archive page.
    Public,
    /// `#name`: for the site's own use (themes, filters), never shown to readers.
    Internal,
}

impl TagVisibility {
    /// `#name` is an internal tag; any other is public.
    pub fn of(name: &str) -> TagVisibility {
        if name.starts_with('#') {
            TagVisibility::Internal
        } else {
            TagVisibility::Public
        }
    }

    /// As the database stores it.
    pub fn as_str(self) -> &'static str {
        match self {
            TagVisibility::Public => "public",
            TagVisibility::Internal => "internal",
        }
    }
}

/// The slug a tag name gets: `#name` → `hash-name`, as in Ghost.
pub fn tag_slug(name: &str) -> String {
    match name.strip_prefix('#') {
        Some(rest) => format!("hash-{}", Slug::from_title(rest)),
        None => Slug::from_title(name).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_makes_a_tag_internal_and_its_slug_says_so() {
        assert_eq!(TagVisibility::of("#feature"), TagVisibility::Internal);
        assert_eq!(TagVisibility::of("Rust"), TagVisibility::Public);
        assert_eq!(tag_slug("#feature"), "hash-feature");
        assert_eq!(tag_slug("Rust Lang"), "rust-lang");
    }
}
