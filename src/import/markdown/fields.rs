//! Typed values read out of front matter under each generator's names for them; a value of
//! the wrong type is a problem (or a warning) naming its line.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::front_matter::Source;
use crate::domain::limits;
use crate::import::dates::parse_date;
use crate::import::model::Problem;

/// The fields a post's publication date may be given in, in order of preference.
pub(super) const DATE_KEYS: [&str; 5] = [
    "date",
    "publishDate",
    "pubDate",
    "published_at",
    "published_date",
];

/// The fields a feature image may be given in, in order of preference.
pub(super) const FEATURE_IMAGE_KEYS: [&str; 6] = [
    "feature_image",
    "featured_image",
    "cover_image",
    "image",
    "cover",
    "images",
];

/// Typed access to front matter fields, collecting problems with their lines.
pub(super) struct Fields<'a> {
    source: &'a Source<'a>,
    /// The file, as messages name it.
    shown: &'a str,
    /// Values that cannot be used, in the order they were read.
    pub(super) problems: Vec<Problem>,
    /// Values used, but not quite as written.
    pub(super) warnings: Vec<Problem>,
}

impl<'a> Fields<'a> {
    /// Reads of `source`'s fields, for the file shown as `shown`.
    pub(super) fn new(source: &'a Source<'a>, shown: &'a str) -> Self {
        Fields {
            source,
            shown,
            problems: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Reports `message` as a problem on the line of `key`.
    pub(super) fn problem(&mut self, key: &str, message: String) {
        let line = self.source.line_of(key);
        self.problems
            .push(Problem::new(self.shown, Some(line), message));
    }

    /// Reports `message` as a warning on the line of `key`.
    pub(super) fn warn(&mut self, key: &str, message: String) {
        let line = self.source.line_of(key);
        self.warnings
            .push(Problem::new(self.shown, Some(line), message));
    }

    /// The first of `keys` that is set, as written in the file: Hugo reads keys in any case
    /// (`expiryDate`, `expirydate`).
    pub(super) fn first(&self, keys: &[&str]) -> Option<(&'a str, &'a Value)> {
        let source: &'a Source<'a> = self.source;
        keys.iter().find_map(|k| {
            source
                .fields
                .get_key_value(*k)
                .or_else(|| {
                    source
                        .fields
                        .iter()
                        .find(|(f, _)| f.eq_ignore_ascii_case(k))
                })
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.as_str(), v))
        })
    }

    /// The first of `keys` as text, trimmed (numbers and booleans as written); absent when blank.
    pub(super) fn string(&mut self, keys: &[&str]) -> Option<String> {
        let (key, value) = self.first(keys)?;
        match value {
            Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => {
                self.problem(key, format!("`{key}` should be text"));
                None
            }
        }
    }

    /// Code to inject: exactly as written (whitespace may matter), absent when blank.
    pub(super) fn code(&mut self, keys: &[&str]) -> Option<String> {
        let (key, value) = self.first(keys)?;
        match value {
            Value::String(s) => Some(s.clone()).filter(|s| !s.trim().is_empty()),
            _ => {
                self.problem(key, format!("`{key}` should be text"));
                None
            }
        }
    }

    /// The first text found at one of `paths` (`cover.alt`: `("cover", "alt")`).
    pub(super) fn nested_string(&self, paths: &[(&str, &str)]) -> Option<String> {
        paths.iter().find_map(|(outer, inner)| {
            self.source
                .fields
                .get(*outer)?
                .get(*inner)?
                .as_str()
                .map(str::to_owned)
        })
    }

    /// The first of `keys` as true or false (`yes` and `no` too).
    pub(super) fn bool(&mut self, keys: &[&str]) -> Option<bool> {
        let (key, value) = self.first(keys)?;
        match value {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") || s == "yes" => Some(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") || s == "no" => Some(false),
            _ => {
                self.problem(key, format!("`{key}` should be true or false"));
                None
            }
        }
    }

    /// The first of `keys` as a date.
    pub(super) fn date(&mut self, keys: &[&str]) -> Option<DateTime<Utc>> {
        self.date_or(keys, None)
    }

    /// A date; when the field is not a usable date, `fallback` (the date in a Jekyll file
    /// name) with a warning, as the generator would publish the file with it.
    pub(super) fn date_or(
        &mut self,
        keys: &[&str],
        fallback: Option<DateTime<Utc>>,
    ) -> Option<DateTime<Utc>> {
        let Some((key, value)) = self.first(keys) else {
            return fallback;
        };
        let parsed = match value {
            Value::String(s) => parse_date(s),
            _ => None,
        };
        let why = match parsed {
            Some(at) if limits::date_in_range(at) => return Some(at),
            Some(_) => format!("`{key}` is out of range: {}", limits::DATE_RANGE_MESSAGE),
            None => format!("`{key}` is not a date (use 2024-05-17 or 2024-05-17T09:30:00+02:00)"),
        };
        match fallback {
            Some(at) => {
                let why = why.trim_end_matches('.');
                self.warn(
                    key,
                    format!(
                        "{why}; the date in the file name, {}, is used",
                        at.format("%Y-%m-%d")
                    ),
                );
                Some(at)
            }
            None => {
                self.problem(key, why);
                None
            }
        }
    }

    /// Every value of `keys` as a list of texts, in order.
    pub(super) fn list(&mut self, keys: &[&str]) -> Vec<String> {
        keys.iter()
            .filter_map(|k| self.source.fields.get(*k))
            .flat_map(list_of)
            .collect()
    }

    /// `author: Name`, `author: {name, email}`, `authors: [..]`: emails where given, else names.
    pub(super) fn authors(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        for key in ["authors", "author"] {
            let Some(value) = self.source.fields.get(key) else {
                continue;
            };
            let items = match value {
                Value::Array(items) => items.clone(),
                other => vec![other.clone()],
            };
            for item in items {
                match item {
                    Value::String(s) if !s.trim().is_empty() => out.push(s.trim().to_owned()),
                    Value::Object(o) => {
                        let name = ["email", "name", "slug"]
                            .iter()
                            .find_map(|k| o.get(*k).and_then(Value::as_str));
                        match name {
                            Some(n) => out.push(n.trim().to_owned()),
                            None => self.problem(key, format!("`{key}` needs a name or email")),
                        }
                    }
                    Value::Null => {}
                    _ => self.problem(key, format!("`{key}` should be a name or a list of names")),
                }
            }
        }
        let mut seen = HashSet::new();
        out.retain(|a| seen.insert(a.to_lowercase()));
        out
    }

    /// The tags: `tags`, then `categories` (and Zola's `taxonomies` of both), each once
    /// whatever its case.
    pub(super) fn tags(&mut self) -> Vec<String> {
        let mut tags = self.list(&["tags"]);
        tags.extend(self.list(&["categories", "category"]));
        if let Some(taxonomies) = self
            .source
            .fields
            .get("taxonomies")
            .and_then(Value::as_object)
        {
            for key in ["tags", "categories"] {
                tags.extend(taxonomies.get(key).map(list_of).unwrap_or_default());
            }
        }
        let mut seen = HashSet::new();
        tags.retain(|t| seen.insert(t.to_lowercase()));
        tags
    }

    /// The post's stable id, as a Quire export writes it; other generators' `id` fields are
    /// not UUIDs.
    pub(super) fn id(&self) -> Option<uuid::Uuid> {
        self.source
            .fields
            .get("id")
            .and_then(Value::as_str)
            .and_then(|s| uuid::Uuid::parse_str(s).ok())
    }

    /// The feature image: the first of [`FEATURE_IMAGE_KEYS`] (a list's first image, a map's
    /// `image`), else one nested in a theme's `header` or Zola's `extra`.
    pub(super) fn feature_image(&mut self) -> Option<String> {
        for key in FEATURE_IMAGE_KEYS {
            match self.source.fields.get(key) {
                Some(Value::String(s)) if !s.trim().is_empty() => return Some(s.trim().to_owned()),
                Some(Value::Array(items)) => {
                    if let Some(s) = items.first().and_then(Value::as_str) {
                        return Some(s.trim().to_owned());
                    }
                }
                Some(Value::Object(o)) => {
                    if let Some(s) = o.get("image").and_then(Value::as_str) {
                        return Some(s.trim().to_owned());
                    }
                }
                _ => {}
            }
        }
        self.nested_string(&[
            ("header", "image"),
            ("header", "overlay_image"),
            ("extra", "feature_image"),
            ("extra", "image"),
            ("extra", "cover"),
        ])
    }
}

/// A list of strings from a list or a string (`"a, b"` or Jekyll's `"a b"`).
pub(super) fn list_of(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.trim().to_owned()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|s| !s.is_empty())
            .collect(),
        Value::String(s) if s.contains(',') => s
            .split(',')
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
        Value::String(s) => s.split_whitespace().map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}
