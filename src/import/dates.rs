//! Dates as the generators read them: RFC 3339 and RFC 2822, and as leniently as Ruby's
//! `Time.parse` (Jekyll).

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use regex::Regex;

/// Accepts the dates the generators accept: RFC 3339 and RFC 2822, and as leniently as Ruby's
/// `Time.parse` (Jekyll) a date first (`2024-05-17`, `2024/5/17`, `17 May 2024`,
/// `May 17, 2024`), then an optional time after `T` or spaces (`09:30`, `09:30:00.5`,
/// `9:30 pm`), then an optional zone anywhere after it (`Z`, `UTC`, `PST`, `+02:00`, `+0200`,
/// `-08`); other words are ignored (`2023-01-29 18:30:22 2023 -0800`). Dates without a zone
/// are UTC.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    parse_date_with_offset(s).map(|(at, _)| at)
}

/// [`parse_date`], with the offset from UTC (in seconds) when the text gives one.
pub fn parse_date_with_offset(s: &str) -> Option<(DateTime<Utc>, Option<i32>)> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some((d.with_timezone(&Utc), Some(d.offset().local_minus_utc())));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some((d.with_timezone(&Utc), Some(d.offset().local_minus_utc())));
    }
    static NUMERIC: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(\D.*)?$").unwrap());
    static DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^(?:[a-z]{3,9}\.?,?\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]{3,9})\.?,?\s+(\d{4})(.*)$")
            .unwrap()
    });
    static MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^(?:[a-z]{3,9}\.?,?\s+)?([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(.*)$")
            .unwrap()
    });
    let (year, month, day, rest) = if let Some(c) = NUMERIC.captures(s) {
        (
            c[1].parse().ok()?,
            c[2].parse().ok()?,
            c[3].parse().ok()?,
            c.get(4).map_or("", |r| r.as_str()),
        )
    } else if let Some(c) = DAY_MONTH.captures(s) {
        (
            c[3].parse().ok()?,
            month_number(&c[2])?,
            c[1].parse().ok()?,
            c.get(4)?.as_str(),
        )
    } else if let Some(c) = MONTH_DAY.captures(s) {
        (
            c[3].parse().ok()?,
            month_number(&c[1])?,
            c[2].parse().ok()?,
            c.get(4)?.as_str(),
        )
    } else {
        return None;
    };
    let date = NaiveDate::from_ymd_opt(year, month, day)?;

    static TIME: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:[Tt]|\s+|,\s*|\s+at\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(.*)$")
            .unwrap()
    });
    let (mut hour, minute, second, nanos, rest) = match TIME.captures(rest) {
        Some(c) => {
            let nanos = c.get(4).map_or(Some(0), |f| {
                let digits: String = f.as_str().chars().take(9).collect();
                format!("{digits:0<9}").parse::<u32>().ok()
            })?;
            let second = c.get(3).map_or(Some(0), |s| s.as_str().parse().ok())?;
            (
                c[1].parse::<u32>().ok()?,
                c[2].parse().ok()?,
                second,
                nanos,
                c.get(5)?.as_str(),
            )
        }
        None => (0, 0, 0, 0, rest),
    };
    let mut offset = None;
    // the zone may follow the time directly: `09:30:00+02:00`, `09:30Z`
    let rest = rest.replacen('+', " +", 1);
    let rest = if rest.starts_with('-') {
        format!(" {rest}")
    } else {
        rest
    };
    for word in rest.split_whitespace() {
        let word = word.trim_matches(|c| c == '(' || c == ')' || c == ',');
        match word.to_ascii_lowercase().as_str() {
            "pm" | "p.m." if hour < 12 => hour += 12,
            "am" | "a.m." if hour == 12 => hour = 0,
            _ if offset.is_none() => offset = zone_offset(word),
            _ => {}
        }
    }
    let time = date.and_hms_nano_opt(hour, minute, second, nanos)?;
    let zone = chrono::FixedOffset::east_opt(offset.unwrap_or(0))?;
    time.and_local_timezone(zone)
        .single()
        .map(|d| (d.with_timezone(&Utc), offset))
}

/// `jan`, `January`, `Sept` → 1, 1, 9.
fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let name = name.to_ascii_lowercase();
    let i = MONTHS.iter().position(|m| name.starts_with(m))?;
    Some(i as u32 + 1)
}

/// A zone's offset from UTC in seconds: `Z`, `UTC`, `GMT`, US and European abbreviations,
/// `+02:00`, `+0200`, `-08`.
fn zone_offset(word: &str) -> Option<i32> {
    let hours = match word.to_ascii_uppercase().as_str() {
        "Z" | "UTC" | "GMT" | "UT" => Some(0),
        "EST" => Some(-5),
        "EDT" | "AST" => Some(-4),
        "CST" => Some(-6),
        "CDT" => Some(-5),
        "MST" => Some(-7),
        "MDT" => Some(-6),
        "PST" => Some(-8),
        "PDT" => Some(-7),
        "BST" | "CET" => Some(1),
        "CEST" | "EET" => Some(2),
        "EEST" => Some(3),
        "JST" => Some(9),
        _ => None,
    };
    if let Some(h) = hours {
        return Some(h * 3600);
    }
    static OFFSET: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^([+-])(\d{1,2})(?::?(\d{2}))?$").unwrap());
    let c = OFFSET.captures(word)?;
    let h: i32 = c[2].parse().ok()?;
    let m: i32 = c.get(3).map_or(Some(0), |m| m.as_str().parse().ok())?;
    if h > 23 || m > 59 {
        return None;
    }
    let sign = if &c[1] == "-" { -1 } else { 1 };
    Some(sign * (h * 3600 + m * 60))
}
