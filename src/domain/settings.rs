//! Site settings as the site uses them, with the defaults of a fresh install.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::limits;

/// The settings a site has; any other key is refused.
pub const KEYS: &[&str] = &[
    "title",
    "description",
    "lang",
    "timezone",
    "posts_per_page",
    "feed_items",
    "accent_color",
    "logo",
    "cover_image",
    "navigation",
    "codeinjection_head",
    "codeinjection_foot",
    "activitypub_enabled",
    "activitypub_handle",
    "activitypub_post_type",
];

/// Posts on one page of the home, tag and author archives, at most.
pub const MAX_POSTS_PER_PAGE: u64 = 100;
/// Items in one feed, at most.
pub const MAX_FEED_ITEMS: u64 = 100;

/// One entry of the site's navigation menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NavItem {
    pub label: String,
    pub url: String,
}

/// The settings the public site reads.
#[derive(Debug, Clone, Serialize)]
pub struct SiteSettings {
    pub title: String,
    pub description: String,
    pub lang: String,
    pub timezone: String,
    pub posts_per_page: u32,
    /// Items in each feed.
    pub feed_items: u32,
    pub accent_color: String,
    pub logo: Option<String>,
    pub cover_image: Option<String>,
    pub navigation: Vec<NavItem>,
    pub codeinjection_head: String,
    pub codeinjection_foot: String,
    /// Whether the site is on the fediverse (its actor, inbox and deliveries).
    pub activitypub_enabled: bool,
    /// The `NAME` of the site's `@NAME@host`; empty: made from the title.
    pub activitypub_handle: String,
    /// How posts go out: `article` (the whole post, as Ghost and WriteFreely send it) or
    /// `note` (title, excerpt and link, which every fediverse app shows in full).
    pub activitypub_post_type: String,
}

impl Default for SiteSettings {
    fn default() -> Self {
        SiteSettings {
            title: "Quire".to_owned(),
            description: "Thoughts, stories and ideas.".to_owned(),
            lang: "en".to_owned(),
            timezone: "Etc/UTC".to_owned(),
            posts_per_page: 10,
            feed_items: 20,
            accent_color: "#d9480f".to_owned(),
            logo: None,
            cover_image: None,
            navigation: vec![
                NavItem {
                    label: "Home".to_owned(),
                    url: "/".to_owned(),
                },
                NavItem {
                    label: "About".to_owned(),
                    url: "/about/".to_owned(),
                },
            ],
            codeinjection_head: String::new(),
            codeinjection_foot: String::new(),
            activitypub_enabled: true,
            activitypub_handle: String::new(),
            activitypub_post_type: "article".to_owned(),
        }
    }
}

impl SiteSettings {
    /// Whether posts go out to the fediverse as a `Note` with a link rather than an `Article`.
    pub fn posts_as_notes(&self) -> bool {
        self.activitypub_post_type == "note"
    }

    /// The site's handle on the fediverse: the setting, else made from the title.
    pub fn handle(&self) -> String {
        if self.activitypub_handle.is_empty() {
            crate::domain::activitypub::handle(&self.title)
        } else {
            self.activitypub_handle.to_ascii_lowercase()
        }
    }

    /// The zone the site shows dates in: the `timezone` setting, or UTC when it names no zone
    /// the IANA database knows (a hand-edited row).
    pub fn zone(&self) -> chrono_tz::Tz {
        parse_zone(&self.timezone).unwrap_or(chrono_tz::UTC)
    }

    /// Applies one stored `key = value` pair; unknown keys and ill-typed values are ignored so a
    /// hand-edited row cannot take the site down.
    pub fn apply(&mut self, key: &str, value: Value) {
        fn text(v: Value) -> Option<String> {
            match v {
                Value::String(s) => Some(s),
                _ => None,
            }
        }
        match key {
            "title" => self.title = text(value).unwrap_or_default(),
            "description" => self.description = text(value).unwrap_or_default(),
            "lang" => {
                self.lang = text(value)
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "en".into())
            }
            "timezone" => self.timezone = text(value).unwrap_or_else(|| "Etc/UTC".into()),
            "posts_per_page" => {
                if let Some(n) = value.as_u64() {
                    self.posts_per_page = n.clamp(1, MAX_POSTS_PER_PAGE) as u32;
                }
            }
            "feed_items" => {
                if let Some(n) = value.as_u64() {
                    self.feed_items = n.clamp(1, MAX_FEED_ITEMS) as u32;
                }
            }
            "accent_color" => {
                if let Some(c) = text(value).filter(|c| is_hex_color(c)) {
                    self.accent_color = c;
                }
            }
            "logo" => self.logo = text(value).filter(|s| !s.is_empty()),
            "cover_image" => self.cover_image = text(value).filter(|s| !s.is_empty()),
            "navigation" => {
                if let Ok(nav) = serde_json::from_value(value) {
                    self.navigation = nav;
                }
            }
            "codeinjection_head" => self.codeinjection_head = text(value).unwrap_or_default(),
            "codeinjection_foot" => self.codeinjection_foot = text(value).unwrap_or_default(),
            "activitypub_enabled" => {
                if let Some(on) = value.as_bool() {
                    self.activitypub_enabled = on;
                }
            }
            "activitypub_post_type" => {
                if let Some(kind) = text(value).filter(|k| POST_TYPES.contains(&k.as_str())) {
                    self.activitypub_post_type = kind;
                }
            }
            "activitypub_handle" => {
                self.activitypub_handle = text(value).filter(|h| is_handle(h)).unwrap_or_default()
            }
            _ => {}
        }
    }
}

/// Why a setting is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidSetting {
    /// Not one of [`KEYS`].
    Unknown,
    /// The value does not fit the setting named.
    Value(&'static str),
}

/// Checks one setting as every writer must (the admin API and the importer): a known key and
/// a value within its limits.
pub fn validate(key: &str, value: &Value) -> Result<(), InvalidSetting> {
    let field = *KEYS
        .iter()
        .find(|k| **k == key)
        .ok_or(InvalidSetting::Unknown)?;
    let ok = match field {
        "posts_per_page" => value
            .as_u64()
            .is_some_and(|n| (1..=MAX_POSTS_PER_PAGE).contains(&n)),
        "feed_items" => value
            .as_u64()
            .is_some_and(|n| (1..=MAX_FEED_ITEMS).contains(&n)),
        "accent_color" => value.as_str().is_some_and(is_hex_color),
        "timezone" => value.as_str().and_then(parse_zone).is_some(),
        "logo" | "cover_image" => {
            value.is_null() || value.as_str().is_some_and(|v| v.len() <= limits::MAX_URL)
        }
        "navigation" => value.as_array().is_some_and(|items| {
            items.len() <= limits::MAX_NAV_ITEMS
                && items.iter().all(|i| {
                    i.get("label")
                        .and_then(Value::as_str)
                        .is_some_and(|l| !l.trim().is_empty() && l.len() <= limits::MAX_NAV_LABEL)
                        && i.get("url")
                            .and_then(Value::as_str)
                            .is_some_and(|u| !u.is_empty() && u.len() <= limits::MAX_URL)
                })
        }),
        "title" => value
            .as_str()
            .is_some_and(|t| !t.trim().is_empty() && t.len() <= limits::MAX_SETTING_TITLE),
        "activitypub_enabled" => value.is_boolean(),
        "activitypub_handle" => value.as_str().is_some_and(|h| h.is_empty() || is_handle(h)),
        "activitypub_post_type" => value.as_str().is_some_and(|k| POST_TYPES.contains(&k)),
        "codeinjection_head" | "codeinjection_foot" => value
            .as_str()
            .is_some_and(|c| c.len() <= limits::MAX_CODE_INJECTION),
        _ => value
            .as_str()
            .is_some_and(|t| t.len() <= limits::MAX_SETTING_TEXT),
    };
    if ok {
        Ok(())
    } else {
        Err(InvalidSetting::Value(field))
    }
}

/// A zone of the IANA database by its name (`Asia/Tokyo`, `Etc/UTC`, `UTC`).
pub fn parse_zone(name: &str) -> Option<chrono_tz::Tz> {
    name.trim().parse().ok()
}

/// How posts may go out to the fediverse (`activitypub_post_type`).
pub const POST_TYPES: [&str; 2] = ["article", "note"];

/// A handle of the fediverse as Mastodon allows one: 1 to 30 ASCII letters, digits and
/// underscores.
pub fn is_handle(h: &str) -> bool {
    (1..=30).contains(&h.len()) && h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `#abc` or `#aabbcc`: the only accent colours that reach the page's CSS.
pub fn is_hex_color(s: &str) -> bool {
    let Some(hex) = s.strip_prefix('#') else {
        return false;
    };
    matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stored_values_override_defaults_and_bad_ones_are_ignored() {
        let mut s = SiteSettings::default();
        s.apply("title", json!("My blog"));
        s.apply("posts_per_page", json!(3));
        s.apply("accent_color", json!("red; } body { display: none"));
        s.apply("navigation", json!("not a list"));
        assert_eq!(s.title, "My blog");
        assert_eq!(s.posts_per_page, 3);
        assert_eq!(s.accent_color, "#d9480f");
        assert_eq!(s.navigation.len(), 2);
    }

    #[test]
    fn the_timezone_must_be_a_known_zone_and_an_unknown_stored_one_means_utc() {
        assert_eq!(validate("timezone", &json!("Asia/Tokyo")), Ok(()));
        assert_eq!(validate("timezone", &json!("Etc/UTC")), Ok(()));
        for bad in [json!("Mars/Olympus"), json!(""), json!(9)] {
            assert_eq!(
                validate("timezone", &bad),
                Err(InvalidSetting::Value("timezone")),
                "{bad}"
            );
        }
        let mut s = SiteSettings::default();
        assert_eq!(s.zone(), chrono_tz::Etc::UTC);
        s.apply("timezone", json!("Asia/Tokyo"));
        assert_eq!(s.zone(), chrono_tz::Asia::Tokyo);
        s.apply("timezone", json!("Mars/Olympus"));
        assert_eq!(s.zone(), chrono_tz::UTC);
    }

    #[test]
    fn every_writer_gets_the_same_limits() {
        assert_eq!(validate("feed_items", &json!(100)), Ok(()));
        assert_eq!(
            validate("feed_items", &json!(150)),
            Err(InvalidSetting::Value("feed_items"))
        );
        assert_eq!(
            validate("colour", &json!("x")),
            Err(InvalidSetting::Unknown)
        );
        let mut s = SiteSettings::default();
        s.apply("feed_items", json!(150));
        assert_eq!(
            s.feed_items as u64, MAX_FEED_ITEMS,
            "a hand-edited row is clamped alike"
        );
    }
}
