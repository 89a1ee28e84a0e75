//! Front matter split from the body of a Markdown file: YAML between `---`, TOML between
//! `+++` or a JSON object, read into one map of fields that remembers where each line is.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

/// Front matter split from the body.
pub(super) struct Source<'a> {
    /// The front matter's fields (empty without front matter).
    pub(super) fields: Map<String, Value>,
    /// The front matter's text, to find the line of a field.
    matter: &'a str,
    /// 1-based line of the opening fence (blank lines may come before it).
    fence_line: usize,
    /// Whether the file had front matter.
    pub(super) has_matter: bool,
    pub(super) body: &'a str,
    /// 1-based line of the body's first line in the file.
    pub(super) body_line: usize,
}

impl Source<'_> {
    /// The line of `key` in the front matter (for messages), or the first line.
    pub(super) fn line_of(&self, key: &str) -> usize {
        let found = self.matter.lines().position(|l| {
            let l = l.trim_start().trim_start_matches('"');
            l.get(..key.len())
                .filter(|k| k.eq_ignore_ascii_case(key))
                .and_then(|k| l.get(k.len()..))
                .is_some_and(|rest| {
                    rest.trim_start_matches('"')
                        .trim_start()
                        .starts_with([':', '='])
                })
        });
        found.map_or(self.fence_line, |i| i + self.fence_line + 1)
    }

    /// The line of the first of `keys` the front matter has (for messages), or the first line.
    pub(super) fn line_of_any(&self, keys: &[&str]) -> usize {
        keys.iter()
            .find(|k| self.fields.contains_key(**k))
            .map_or(1, |k| self.line_of(k))
    }
}

/// Splits `---` YAML, `+++` TOML or `{...}` JSON front matter from the body. Blank lines may
/// come before the opening fence, as Zola and Hugo allow.
pub(super) fn split_front_matter(text: &str) -> Result<Source<'_>, (usize, String)> {
    let blank: usize = text
        .split_inclusive('\n')
        .take_while(|l| l.ends_with('\n') && l.trim().is_empty())
        .map(str::len)
        .sum();
    let rest = &text[blank..];
    let fenced = matches!(rest.lines().next().map(str::trim), Some("---" | "+++"))
        || rest.trim_start().starts_with('{');
    if blank == 0 || !fenced {
        return split_fenced(text);
    }
    let shift = text[..blank].matches('\n').count();
    match split_fenced(rest) {
        Ok(mut source) => {
            source.body_line += shift;
            source.fence_line += shift;
            Ok(source)
        }
        Err((line, message)) => Err((line + shift, message)),
    }
}

/// [`split_front_matter`] of a text whose first line is the opening fence, if any.
fn split_fenced(text: &str) -> Result<Source<'_>, (usize, String)> {
    let first = text.lines().next().unwrap_or("").trim();
    let delimited = |fence: &str| -> Result<(&str, &str, usize), (usize, String)> {
        let after = &text[text.find('\n').map_or(text.len(), |i| i + 1)..];
        let mut offset = 0;
        for (i, line) in after.split_inclusive('\n').enumerate() {
            let bare = line.trim_end();
            if bare == fence || (fence == "---" && bare == "...") {
                let matter = &after[..offset];
                let body = &after[offset + line.len()..];
                return Ok((matter, body, i + 3));
            }
            offset += line.len();
        }
        Err((
            1,
            format!("front matter opened with `{fence}` is never closed"),
        ))
    };
    let (fields, matter, body, body_line) = match first {
        "---" => {
            let (matter, body, body_line) = delimited("---")?;
            let value: Value = if matter.trim().is_empty() {
                Value::Object(Map::new())
            } else {
                serde_saphyr::from_str(matter).map_err(|e| yaml_error(&e))?
            };
            (object(value, "YAML")?, matter, body, body_line)
        }
        "+++" => {
            let (matter, body, body_line) = delimited("+++")?;
            let table: toml::Table = toml::from_str(matter).map_err(|e| {
                let line = e
                    .span()
                    .map_or(1, |s| matter[..s.start].matches('\n').count() + 2);
                (line, format!("invalid TOML front matter: {}", e.message()))
            })?;
            (
                toml_to_json(toml::Value::Table(table))
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
                matter,
                body,
                body_line,
            )
        }
        _ if text.trim_start().starts_with('{') => {
            let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
            let value = match stream.next() {
                Some(Ok(v)) => v,
                Some(Err(e)) => {
                    return Err((e.line(), format!("invalid JSON front matter: {e}")));
                }
                None => Value::Null,
            };
            let end = stream.byte_offset();
            let matter = &text[..end];
            let body = text[end..].strip_prefix('\n').unwrap_or(&text[end..]);
            let body_line = matter.matches('\n').count() + 2;
            (object(value, "JSON")?, matter, body, body_line)
        }
        _ => {
            return Ok(Source {
                fields: Map::new(),
                matter: "",
                fence_line: 1,
                has_matter: false,
                body: text,
                body_line: 1,
            });
        }
    };
    Ok(Source {
        fields,
        matter,
        fence_line: 1,
        has_matter: true,
        body,
        body_line,
    })
}

/// The front matter as fields: an object (or nothing) is; a list or a lone value is refused.
fn object(value: Value, format: &str) -> Result<Map<String, Value>, (usize, String)> {
    match value {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        _ => Err((
            2,
            format!("{format} front matter must be a set of `key: value` fields"),
        )),
    }
}

/// serde-saphyr's message with the line moved past the opening `---`.
fn yaml_error(e: &serde_saphyr::Error) -> (usize, String) {
    let text = e.to_string();
    static LINE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"line (\d+)").unwrap());
    let line = LINE
        .captures(&text)
        .and_then(|c| c[1].parse::<usize>().ok())
        .map_or(2, |l| l + 1);
    let first = text.lines().next().unwrap_or("");
    // the parser's own position counts lines inside the front matter: keep only the column,
    // so the message does not contradict the file line it is reported on
    static POSITION: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(?:error: )?line \d+ column (\d+): (.+)$").unwrap());
    let message = match POSITION.captures(first) {
        Some(c) => format!("invalid YAML front matter at column {}: {}", &c[1], &c[2]),
        None => format!("invalid YAML front matter: {first}"),
    };
    (line, message)
}

/// A TOML value as JSON, dates written as text (as the other formats give them).
fn toml_to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}
