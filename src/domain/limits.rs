//! Limits on everything people type or send, in one place: the admin API, the importer and the
//! renderers use these, so a value accepted by one path is accepted by all.
//!
//! Lengths of text are in characters (what an editor counts), sizes of bodies in bytes.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// Longest post title, in characters.
pub const MAX_TITLE: usize = 255;
/// Largest Markdown source of a post, in bytes (2 MiB).
pub const MAX_MARKDOWN: usize = 2 * 1024 * 1024;
/// Largest request body of a post's create, update or preview: the Markdown plus room for the
/// other fields and JSON escaping (3 MiB).
pub const POST_BODY_LIMIT: usize = 3 * 1024 * 1024;
/// Largest request body of every other JSON call (1 MiB; uploads set their own).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Longest staff name, in characters.
pub const MAX_STAFF_NAME: usize = 191;
/// Longest staff bio, in characters.
pub const MAX_BIO: usize = 1000;
/// Longest tag name, in characters.
pub const MAX_TAG_NAME: usize = 191;
/// Longest tag description, in characters.
pub const MAX_TAG_DESCRIPTION: usize = 1000;
/// Most tags one post may carry.
pub const MAX_TAGS_PER_POST: usize = 100;

/// Longest site title setting, in bytes.
pub const MAX_SETTING_TITLE: usize = 200;
/// Longest plain setting (description, language, time zone...), in bytes.
pub const MAX_SETTING_TEXT: usize = 1000;
/// Longest URL, in characters or bytes (settings' images, a post's links).
pub const MAX_URL: usize = 2000;
/// Most entries of the navigation menu.
pub const MAX_NAV_ITEMS: usize = 50;
/// Longest navigation label, in bytes.
pub const MAX_NAV_LABEL: usize = 100;
/// Largest code injection (site-wide or per post), in bytes.
pub const MAX_CODE_INJECTION: usize = 64 * 1024;

/// Highest page number of any paginated list (site archives, sitemap files, admin lists).
/// Far beyond any real blog, small enough that `(page - 1) * per_page` cannot overflow.
pub const MAX_PAGE: i64 = 100_000;

/// Earliest year a date of content may have.
pub const EARLIEST_YEAR: i32 = 1970;
/// Latest year a date of content may have (feeds and HTTP dates have four-digit years).
pub const LATEST_YEAR: i32 = 9999;

/// What an out-of-range date is told.
pub const DATE_RANGE_MESSAGE: &str = "Use a date between the years 1970 and 9999.";

/// Whether a date of content is within [`EARLIEST_YEAR`]`..=`[`LATEST_YEAR`].
pub fn date_in_range(at: DateTime<Utc>) -> bool {
    (EARLIEST_YEAR..=LATEST_YEAR).contains(&at.year())
}

/// The nearest date in range: what rendering shows for a date that got into the database
/// around the checks (an operator's SQL), so no formatter ever meets a year it cannot write.
pub fn clamp_date(at: DateTime<Utc>) -> DateTime<Utc> {
    let earliest = DateTime::UNIX_EPOCH;
    let latest = NaiveDate::from_ymd_opt(LATEST_YEAR, 12, 31)
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map_or(earliest, |d| d.and_utc());
    at.clamp(earliest, latest)
}

/// Parses a page number from a URL: digits only, no leading zero, `1..=`[`MAX_PAGE`].
/// Anything else is `None` (the caller answers 404).
pub fn parse_page(raw: &str) -> Option<i64> {
    if raw.is_empty() || raw.starts_with('0') || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse::<i64>()
        .ok()
        .filter(|n| (1..=MAX_PAGE).contains(n))
}

/// The offset of `page` (from 1) with `per_page` items per page; `None` if it would overflow.
pub fn page_offset(page: i64, per_page: i64) -> Option<i64> {
    page.checked_sub(1)?.checked_mul(per_page)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn year(y: i32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(y, 6, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
    }

    #[test]
    fn dates_from_1970_to_9999_are_in_range() {
        assert!(date_in_range(year(1970)));
        assert!(date_in_range(year(2026)));
        assert!(date_in_range(year(9999)));
        assert!(!date_in_range(year(-1)));
        assert!(!date_in_range(year(1969)));
        assert!(!date_in_range(year(10000)));
    }

    #[test]
    fn out_of_range_dates_clamp_to_the_nearest_writable_one() {
        assert_eq!(clamp_date(year(-1)), DateTime::UNIX_EPOCH);
        assert_eq!(clamp_date(year(10000)).year(), 9999);
        assert_eq!(clamp_date(year(2026)), year(2026));
        // every formatter the feeds and headers use accepts a clamped date
        for at in [year(-1), year(0), year(10000), year(200_000)] {
            let at = clamp_date(at);
            let _ = at.to_rfc2822();
            let _ = httpdate::fmt_http_date(at.into());
        }
    }

    #[test]
    fn page_numbers_are_digits_within_the_maximum() {
        assert_eq!(parse_page("2"), Some(2));
        assert_eq!(parse_page("100000"), Some(MAX_PAGE));
        assert_eq!(parse_page("100001"), None);
        assert_eq!(parse_page("10000000000000000"), None);
        assert_eq!(parse_page("99999999999999999999999"), None);
        assert_eq!(parse_page("0"), None);
        assert_eq!(parse_page("02"), None);
        assert_eq!(parse_page("+2"), None);
        assert_eq!(parse_page("-2"), None);
        assert_eq!(parse_page(""), None);
    }

    #[test]
    fn offsets_that_would_overflow_are_none() {
        assert_eq!(page_offset(3, 20), Some(40));
        assert_eq!(page_offset(i64::MAX, 1000), None);
        assert_eq!(page_offset(i64::MIN, 1), None);
    }
}
