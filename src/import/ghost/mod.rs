//! Ghost's JSON export (1.x to 6.x) read into a [`Bundle`].
//!
//! An export is `{"db": [{"meta": ..., "data": {...}}]}` (or the bare `{"meta", "data"}`);
//! `data` holds one list per database table. Posts and pages come from `posts` with
//! `posts_meta` (SEO fields since 3.x), ordered tags from `posts_tags` and ordered authors from
//! `posts_authors` (or `author_id` before 1.22); staff from `users`, `roles` and `roles_users`;
//! site settings from `settings`. Everything else (members, newsletters, integrations) has no
//! place in Quire and is passed over. Passwords are never read.
//!
//! Content comes from the richest source a post has: `lexical` (Ghost 5+), else `mobiledoc`
//! (1.x–4.x), else `markdown` (0.x), else `html`, and is turned into Markdown by this module's
//! `lexical`, `mobiledoc` and `html` converters (cards by `cards`, all written through `emit`);
//! what Markdown cannot express stays embedded as HTML. Ghost writes its own address as `__GHOST_URL__` in content, images,
//! links and settings; every occurrence becomes the site URL given to [`read`].
//!
//! Reading never stops at the first problem: every record is checked, and all problems are
//! returned together, each naming the file and the record (`export.json: posts[3]`).

mod cards;
mod emit;
mod html;
mod lexical;
mod mobiledoc;

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::{Map, Value};

use super::model::{Bundle, PostDoc, Problem, TagDoc, UserDoc};
use crate::domain::limits;
use crate::domain::post::{PostStatus, PostType};
use crate::domain::settings::is_hex_color;
use crate::domain::user::Role;

/// How Ghost writes its own URL in content and settings since 4.0.
const GHOST_URL: &str = "__GHOST_URL__";

/// Title Ghost gives a post saved without one.
const UNTITLED: &str = "(Untitled)";

/// Reads a Ghost export (`{"db": [{"meta": ..., "data": ...}]}` or the bare `{"meta", "data"}`).
///
/// `site_url` replaces Ghost's `__GHOST_URL__` placeholder (a trailing slash is ignored).
pub fn read(path: &Path, site_url: &str) -> Result<Bundle, Vec<Problem>> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        vec![Problem::new(
            &file,
            None,
            format!("cannot read the file: {e}"),
        )]
    })?;
    read_bytes(&bytes, &file, site_url)
}

/// Reads an export held in memory; `file` names it in problems.
fn read_bytes(bytes: &[u8], file: &str, site_url: &str) -> Result<Bundle, Vec<Problem>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let root: Value = serde_json::from_slice(bytes).map_err(|e| {
        vec![Problem::new(
            file,
            Some(e.line()).filter(|l| *l > 0),
            json_error(&e),
        )]
    })?;
    let data = export_data(&root).map_err(|m| vec![Problem::new(file, None, m)])?;
    let mut reader = Reader {
        file,
        site_url: site_url.trim_end_matches('/'),
        data,
        problems: Vec::new(),
    };
    let bundle = reader.bundle();
    if reader.problems.is_empty() {
        Ok(bundle)
    } else {
        Err(reader.problems)
    }
}

/// `invalid JSON at column 7: expected value` (the line goes in the problem's own field).
fn json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let reason = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(reason, _)| reason);
    if e.line() > 0 {
        format!("invalid JSON at column {}: {reason}", e.column())
    } else {
        format!("invalid JSON: {reason}")
    }
}

/// The `data` object of either form of export.
fn export_data(root: &Value) -> Result<&Map<String, Value>, String> {
    let Some(root) = root.as_object() else {
        return Err("not a Ghost export: the file does not hold a JSON object".into());
    };
    let export = match root.get("db") {
        Some(Value::Array(dbs)) => dbs
            .first()
            .and_then(Value::as_object)
            .ok_or("not a Ghost export: `db` holds no export")?,
        Some(_) => return Err("not a Ghost export: `db` is not a list".into()),
        None => root,
    };
    match export.get("data") {
        Some(Value::Object(data)) => Ok(data),
        Some(_) => Err("not a Ghost export: `data` is not an object".into()),
        None => Err("not a Ghost export: `data` is missing".into()),
    }
}

/// One export being read, and the problems found so far.
struct Reader<'a> {
    file: &'a str,
    /// Without a trailing slash.
    site_url: &'a str,
    data: &'a Map<String, Value>,
    problems: Vec<Problem>,
}

/// How posts refer to staff and tags, by Ghost id.
#[derive(Default)]
struct Refs {
    /// User id → what [`PostDoc::authors`] names them by (email, else slug, else name).
    users: HashMap<String, String>,
    user_slugs: HashMap<String, String>,
    /// Tag id → what [`PostDoc::tags`] names it by (its name, or its slug if the name is shared).
    tags: HashMap<String, String>,
    tag_slugs: HashMap<String, String>,
}

impl<'a> Reader<'a> {
    fn bundle(&mut self) -> Bundle {
        let mut refs = Refs::default();
        let users = self.users(&mut refs);
        let tags = self.tags(&mut refs);
        let settings = self.settings();
        let posts = self.posts(&refs);
        Bundle {
            users,
            tags,
            posts,
            redirects: Vec::new(),
            settings,
            media: Vec::new(),
        }
    }

    fn problem(&mut self, at: &str, message: impl Into<String>) {
        self.problems
            .push(Problem::new(format!("{}: {at}", self.file), None, message));
    }

    /// A table of the export; a missing one is empty.
    fn table(&mut self, name: &str) -> &'a [Value] {
        match self.data.get(name) {
            Some(Value::Array(rows)) => rows,
            None | Some(Value::Null) => &[],
            Some(_) => {
                self.problem(name, "is not a list");
                &[]
            }
        }
    }

    /// The objects of a table with their positions (`posts[3]`); other entries are problems.
    fn rows(&mut self, name: &str) -> Vec<(String, &'a Map<String, Value>)> {
        let mut out = Vec::new();
        for (i, row) in self.table(name).iter().enumerate() {
            let at = format!("{name}[{i}]");
            match row.as_object() {
                Some(obj) => out.push((at, obj)),
                None => self.problem(&at, "is not an object"),
            }
        }
        out
    }

    /// `s` with Ghost's URL placeholder replaced by the site's URL.
    fn resolve(&self, s: &str) -> String {
        s.replace(GHOST_URL, self.site_url)
    }

    /// A non-blank string field, placeholders resolved.
    fn text(&self, obj: &Map<String, Value>, key: &str) -> Option<String> {
        text(obj, key).map(|s| self.resolve(s))
    }

    fn users(&mut self, refs: &mut Refs) -> Vec<UserDoc> {
        let roles: HashMap<String, Option<Role>> = self
            .rows("roles")
            .into_iter()
            .filter_map(|(_, r)| Some((id(r.get("id"))?, role(text(r, "name")?))))
            .collect();
        let mut user_roles: HashMap<String, Role> = HashMap::new();
        for (_, link) in self.rows("roles_users") {
            let (Some(user), Some(role)) = (id(link.get("user_id")), id(link.get("role_id")))
            else {
                continue;
            };
            if let Some(Some(role)) = roles.get(&role) {
                let best = user_roles.entry(user).or_insert(*role);
                if role.at_least(*best) {
                    *best = *role;
                }
            }
        }

        let mut users = Vec::new();
        for (at, u) in self.rows("users") {
            let Some(name) = self.text(u, "name") else {
                self.problem(&at, "has no name");
                continue;
            };
            let email = self.text(u, "email");
            let slug = self.text(u, "slug");
            let user_id = id(u.get("id"));
            if let Some(user_id) = &user_id {
                let reference = email
                    .clone()
                    .or_else(|| slug.clone())
                    .unwrap_or(name.clone());
                refs.users.insert(user_id.clone(), reference);
                if let Some(slug) = &slug {
                    refs.user_slugs.insert(user_id.clone(), slug.clone());
                }
            }
            users.push(UserDoc {
                role: user_id.and_then(|i| user_roles.get(&i).copied()),
                bio: self.text(u, "bio"),
                avatar_url: self.text(u, "profile_image").or(self.text(u, "image")),
                cover_image: self.text(u, "cover_image").or(self.text(u, "cover")),
                website: self.text(u, "website"),
                location: self.text(u, "location"),
                name,
                email,
                slug,
            });
        }
        users
    }

    fn tags(&mut self, refs: &mut Refs) -> Vec<TagDoc> {
        let rows = self.rows("tags");
        let mut name_count: HashMap<&str, usize> = HashMap::new();
        for (_, t) in &rows {
            if let Some(name) = text(t, "name") {
                *name_count.entry(name).or_default() += 1;
            }
        }
        let mut tags = Vec::new();
        for (at, t) in &rows {
            let Some(name) = self.text(t, "name") else {
                self.problem(at, "has no name");
                continue;
            };
            let slug = self.text(t, "slug");
            if let Some(tag_id) = id(t.get("id")) {
                // a name two tags share would be ambiguous; the slug is not
                let shared = name_count.get(name.as_str()).copied().unwrap_or(0) > 1;
                let reference = match &slug {
                    Some(slug) if shared => slug.clone(),
                    _ => name.clone(),
                };
                refs.tags.insert(tag_id.clone(), reference);
                if let Some(slug) = &slug {
                    refs.tag_slugs.insert(tag_id, slug.clone());
                }
            }
            tags.push(TagDoc {
                description: self.text(t, "description"),
                feature_image: self.text(t, "feature_image").or(self.text(t, "image")),
                meta_title: self.text(t, "meta_title"),
                meta_description: self.text(t, "meta_description"),
                accent_color: self.text(t, "accent_color"),
                name,
                slug,
            });
        }
        tags
    }

    /// Post id → the ids of `table`'s other column, by `sort_order` (then file order).
    fn links(&mut self, table: &str, column: &str) -> HashMap<String, Vec<String>> {
        let mut rows: Vec<(String, i64, usize, String)> = Vec::new();
        for (i, (_, row)) in self.rows(table).into_iter().enumerate() {
            let (Some(post), Some(other)) = (id(row.get("post_id")), id(row.get(column))) else {
                continue;
            };
            let order = row.get("sort_order").and_then(Value::as_i64).unwrap_or(0);
            rows.push((post, order, i, other));
        }
        rows.sort();
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for (post, _, _, other) in rows {
            let list = out.entry(post).or_default();
            if !list.contains(&other) {
                list.push(other);
            }
        }
        out
    }

    fn posts(&mut self, refs: &Refs) -> Vec<PostDoc> {
        let tags = self.links("posts_tags", "tag_id");
        let authors = self.links("posts_authors", "author_id");
        let mut meta: HashMap<String, &'a Map<String, Value>> = HashMap::new();
        for (_, m) in self.rows("posts_meta") {
            if let Some(post) = id(m.get("post_id")) {
                meta.entry(post).or_insert(m);
            }
        }
        let permalinks = self.setting_text(&["permalinks"]);
        let none = Vec::new();

        let mut posts = Vec::new();
        let mut slugs: HashMap<String, String> = HashMap::new();
        for (i, p) in self.table("posts").iter().enumerate() {
            let at = format!("posts[{i}]");
            let Some(p) = p.as_object() else {
                self.problem(&at, "is not an object");
                continue;
            };
            let post_id = id(p.get("id")).unwrap_or_default();
            let links = PostLinks {
                tags: tags.get(&post_id).unwrap_or(&none),
                authors: authors.get(&post_id).unwrap_or(&none),
                meta: meta.get(&post_id).copied(),
            };
            let Some(post) = self.post(&at, p, &links, refs) else {
                continue;
            };
            if let Some(first) = slugs.get(&post.slug) {
                let message = format!("has the same slug {:?} as {first}", post.slug);
                self.problem(&at, message);
                continue;
            }
            slugs.insert(post.slug.clone(), at);
            let mut post = post;
            if let Some(pattern) = &permalinks
                && let Some(alias) = permalink(pattern, &post, &post_id, &links, refs)
            {
                post.aliases.push(alias);
            }
            posts.push(post);
        }
        posts
    }

    /// One post or page; `None` (with problems recorded) when it cannot be imported.
    fn post(
        &mut self,
        at: &str,
        p: &Map<String, Value>,
        links: &PostLinks<'_>,
        refs: &Refs,
    ) -> Option<PostDoc> {
        let title = text(p, "title").unwrap_or(UNTITLED);
        let Some(slug) = text(p, "slug") else {
            self.problem(at, format!("has no slug (title {title:?})"));
            return None;
        };
        let problems_before = self.problems.len();
        let mut post = PostDoc::new(slug, title);
        post.origin = format!("{}: {at}", self.file);
        post.id = text(p, "uuid").and_then(|u| uuid::Uuid::parse_str(u).ok());
        // Ghost's RSS names items by the post id (`<guid isPermaLink="false">` with 24 hex
        // digits), not the uuid: keeping it keeps readers from seeing every post as new
        post.feed_guid = text(p, "id")
            .filter(|id| id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(str::to_owned);

        post.kind = match p.get("type") {
            Some(Value::String(t)) if t == "post" => PostType::Post,
            Some(Value::String(t)) if t == "page" => PostType::Page,
            Some(Value::String(t)) => {
                self.problem(at, format!("has an unknown type {t:?}"));
                PostType::Post
            }
            // before 2.28: `page: true`
            _ if truthy(p.get("page")) => PostType::Page,
            _ => PostType::Post,
        };
        post.status = match text(p, "status") {
            Some("published" | "sent") => PostStatus::Published,
            Some("scheduled") => PostStatus::Scheduled,
            Some("draft") => PostStatus::Draft,
            Some(other) => {
                self.problem(at, format!("has an unknown status {other:?}"));
                PostStatus::Draft
            }
            None => {
                self.problem(at, "has no status");
                PostStatus::Draft
            }
        };

        post.created_at = self.date(at, p, "created_at");
        post.updated_at = self.date(at, p, "updated_at");
        post.published_at = self.date(at, p, "published_at");
        match post.status {
            PostStatus::Published if post.published_at.is_none() => {
                post.published_at = post.created_at.or(post.updated_at);
                if post.published_at.is_none() {
                    self.problem(at, "is published but has no published_at");
                }
            }
            PostStatus::Scheduled if post.published_at.is_none() => {
                self.problem(at, "is scheduled but has no published_at");
            }
            _ => {}
        }

        post.custom_excerpt = self.text(p, "custom_excerpt");
        post.feature_image = self.text(p, "feature_image").or(self.text(p, "image"));
        post.featured = truthy(p.get("featured"));
        post.codeinjection_head = self.text(p, "codeinjection_head");
        post.codeinjection_foot = self.text(p, "codeinjection_foot");
        post.canonical_url = self.text(p, "canonical_url");
        // SEO fields live in posts_meta since 3.0, on the post before
        let from_meta = |key: &str| links.meta.and_then(|m| self.text(m, key));
        post.meta_title = from_meta("meta_title").or(self.text(p, "meta_title"));
        post.meta_description = from_meta("meta_description").or(self.text(p, "meta_description"));
        post.feature_image_alt = from_meta("feature_image_alt");
        post.feature_image_caption = from_meta("feature_image_caption")
            .map(|c| html::to_text(&c))
            .filter(|c| !c.is_empty());

        post.tags = links
            .tags
            .iter()
            .filter_map(|t| refs.tags.get(t).cloned())
            .collect();
        let author_ids: Vec<String> = if links.authors.is_empty() {
            id(p.get("author_id")).into_iter().collect()
        } else {
            links.authors.to_vec()
        };
        post.authors = author_ids
            .iter()
            .filter_map(|a| refs.users.get(a).cloned())
            .collect();

        post.markdown = self.content(at, p);
        (self.problems.len() == problems_before).then_some(post)
    }

    /// The post's content as Markdown, from its richest source.
    fn content(&mut self, at: &str, p: &Map<String, Value>) -> String {
        type Convert = fn(&Value) -> Result<String, String>;
        let editors: [(&str, Convert); 2] = [
            ("lexical", lexical::to_markdown),
            ("mobiledoc", mobiledoc::to_markdown),
        ];
        let mut failures = Vec::new();
        for (key, convert) in editors {
            let doc = match p.get(key) {
                Some(Value::String(s)) if !s.trim().is_empty() => serde_json::from_str(s),
                Some(doc @ Value::Object(_)) => Ok(doc.clone()),
                _ => continue,
            };
            match doc.map_err(|e| e.to_string()).and_then(|d| convert(&d)) {
                Ok(md) => return self.resolve(&md),
                Err(e) => failures.push(format!("{key}: {e}")),
            }
        }
        // Ghost 0.x kept the author's Markdown
        if let Some(md) = text(p, "markdown") {
            return self.resolve(md);
        }
        if let Some(h) = text(p, "html") {
            return self.resolve(&html::to_markdown(h));
        }
        if !failures.is_empty() {
            self.problem(
                at,
                format!("has unreadable content ({})", failures.join("; ")),
            );
        }
        String::new()
    }

    fn date(&mut self, at: &str, obj: &Map<String, Value>, key: &str) -> Option<DateTime<Utc>> {
        match parse_date(obj.get(key)?) {
            Ok(Some(date)) if !limits::date_in_range(date) => {
                self.problem(
                    at,
                    format!(
                        "{key}: {date} is out of range: {}",
                        limits::DATE_RANGE_MESSAGE
                    ),
                );
                None
            }
            Ok(date) => date,
            Err(shown) => {
                self.problem(at, format!("{key}: cannot read {shown} as a date"));
                None
            }
        }
    }

    /// Settings by key; a value may be JSON encoded in a string (navigation).
    fn setting(&self, keys: &[&str]) -> Option<&'a Value> {
        let rows = match self.data.get("settings") {
            Some(Value::Array(rows)) => rows,
            _ => return None,
        };
        keys.iter().find_map(|key| {
            rows.iter()
                .filter_map(Value::as_object)
                .find(|r| r.get("key").and_then(Value::as_str) == Some(*key))
                .and_then(|r| r.get("value"))
                .filter(|v| !v.is_null())
        })
    }

    fn setting_text(&self, keys: &[&str]) -> Option<String> {
        self.setting(keys)
            .and_then(Value::as_str)
            .map(|s| self.resolve(s))
    }

    /// Ghost's settings under Quire's keys (see `migrations/0001_init.sql`); older Ghost names
    /// (`ghost_head`, `active_timezone`, `default_locale`) are read too.
    fn settings(&mut self) -> Map<String, Value> {
        let mut out = Map::new();
        // name, Ghost's names (newest first), whether an empty value is kept
        let texts: [(&str, &[&str], bool); 6] = [
            ("title", &["title"], false),
            ("description", &["description"], true),
            (
                "lang",
                &["locale", "lang", "default_locale", "defaultLang"],
                false,
            ),
            (
                "timezone",
                &["timezone", "active_timezone", "activeTimezone"],
                false,
            ),
            (
                "codeinjection_head",
                &["codeinjection_head", "ghost_head"],
                true,
            ),
            (
                "codeinjection_foot",
                &["codeinjection_foot", "ghost_foot"],
                true,
            ),
        ];
        for (name, keys, keep_empty) in texts {
            if let Some(v) = self.setting_text(keys)
                && (keep_empty || !v.trim().is_empty())
            {
                // Ghost 0.x wrote `en_US`; a page's `lang` is `en-US`
                let v = if name == "lang" {
                    v.replace('_', "-")
                } else {
                    v
                };
                out.insert(name.into(), Value::String(v));
            }
        }
        for (name, keys) in [
            ("logo", &["logo"][..]),
            ("cover_image", &["cover_image", "cover"]),
        ] {
            if let Some(v) = self.setting(keys) {
                let image = v
                    .as_str()
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| Value::String(self.resolve(s)));
                out.insert(name.into(), image.unwrap_or(Value::Null));
            }
        }
        if let Some(color) = self.setting_text(&["accent_color"])
            && is_hex_color(&color)
        {
            out.insert("accent_color".into(), Value::String(color));
        }
        if let Some(nav) = self.setting(&["navigation"]) {
            match self.navigation(nav) {
                Some(items) => {
                    out.insert("navigation".into(), Value::Array(items));
                }
                None => self.problem(
                    "settings.navigation",
                    "is not a list of {\"label\", \"url\"} entries",
                ),
            }
        }
        out
    }

    /// Ghost's `[{label, url}]` (usually as a JSON string) in Quire's same shape; entries
    /// without a label or URL are left out.
    fn navigation(&self, value: &Value) -> Option<Vec<Value>> {
        let parsed;
        let items = match value {
            Value::String(s) if s.trim().is_empty() => return Some(Vec::new()),
            Value::String(s) => {
                parsed = serde_json::from_str::<Value>(s).ok()?;
                parsed.as_array()?
            }
            Value::Array(items) => items,
            _ => return None,
        };
        Some(
            items
                .iter()
                .filter_map(Value::as_object)
                .filter_map(|i| {
                    let label = text(i, "label")?;
                    let url = self.text(i, "url")?;
                    Some(serde_json::json!({"label": label.trim(), "url": url.trim()}))
                })
                .collect(),
        )
    }
}

/// A post's rows in the link tables.
struct PostLinks<'a> {
    tags: &'a [String],
    authors: &'a [String],
    meta: Option<&'a Map<String, Value>>,
}

/// The old address of a post under Ghost 0.x/1.x's `permalinks` setting
/// (`/:year/:month/:day/:slug/`), when it differs from Quire's `/slug/`. Dates are taken in
/// UTC. Pages and posts never published have no such address.
fn permalink(
    pattern: &str,
    post: &PostDoc,
    post_id: &str,
    links: &PostLinks<'_>,
    refs: &Refs,
) -> Option<String> {
    if post.kind != PostType::Post || post.status == PostStatus::Draft {
        return None;
    }
    let date = post.published_at?;
    let primary_tag = links
        .tags
        .first()
        .and_then(|t| refs.tag_slugs.get(t))
        .map_or("all", String::as_str);
    let primary_author = links
        .authors
        .first()
        .and_then(|a| refs.user_slugs.get(a))
        .map_or("", String::as_str);
    let mut path = String::new();
    for part in pattern.trim().split('/').filter(|p| !p.is_empty()) {
        let part = match part {
            ":year" => date.format("%Y").to_string(),
            ":month" => date.format("%m").to_string(),
            ":day" => date.format("%d").to_string(),
            ":slug" => post.slug.clone(),
            ":id" => post_id.to_owned(),
            ":primary_tag" => primary_tag.to_owned(),
            ":author" | ":primary_author" if !primary_author.is_empty() => {
                primary_author.to_owned()
            }
            p if p.starts_with(':') => return None,
            p => p.to_owned(),
        };
        path.push('/');
        path.push_str(&part);
    }
    path.push('/');
    (path != format!("/{}/", post.slug)).then_some(path)
}

/// A non-blank string field.
fn text<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v str> {
    obj.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// An id: Ghost's are 24-character hex strings, older exports' numbers.
fn id(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `true`, `1` or `"true"` (MySQL booleans are exported as numbers).
fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n != 0.0),
        Some(Value::String(s)) => matches!(s.as_str(), "true" | "1"),
        _ => false,
    }
}

/// A staff role by Ghost's name for it; integrations' roles are not staff. Roles Quire does
/// not know (Ghost 5's "Super Editor") become Editor.
fn role(name: &str) -> Option<Role> {
    match name {
        "Owner" => Some(Role::Owner),
        "Administrator" => Some(Role::Administrator),
        "Editor" => Some(Role::Editor),
        "Author" => Some(Role::Author),
        "Contributor" => Some(Role::Contributor),
        n if n.ends_with("Integration") => None,
        _ => Some(Role::Editor),
    }
}

/// A date as Ghost exported it: `2020-01-02T03:04:05.000Z`, `2014-05-07 11:42:33` (UTC), or
/// milliseconds since the epoch (a number or a string of digits). The error shows the value.
fn parse_date(v: &Value) -> Result<Option<DateTime<Utc>>, String> {
    let from_number = |n: f64| {
        // milliseconds, as Ghost writes them; a value this small can only be seconds
        let ms = if n.abs() < 1e11 { n * 1000.0 } else { n };
        Utc.timestamp_millis_opt(ms as i64).single()
    };
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_f64()
            .and_then(from_number)
            .map(Some)
            .ok_or_else(|| n.to_string()),
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            if s.bytes().all(|b| b.is_ascii_digit()) {
                return s
                    .parse()
                    .ok()
                    .and_then(from_number)
                    .map(Some)
                    .ok_or_else(|| format!("{s:?}"));
            }
            if let Ok(d) = DateTime::parse_from_rfc3339(s) {
                return Ok(Some(d.with_timezone(&Utc)));
            }
            for f in ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"] {
                if let Ok(d) = DateTime::parse_from_str(s, f) {
                    return Ok(Some(d.with_timezone(&Utc)));
                }
            }
            for f in [
                "%Y-%m-%d %H:%M:%S%.f",
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%d %H:%M",
            ] {
                if let Ok(d) = NaiveDateTime::parse_from_str(s, f) {
                    return Ok(Some(d.and_utc()));
                }
            }
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| Some(d.and_utc()))
                .ok_or_else(|| format!("{s:?}"))
        }
        other => Err(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;
    use crate::render::markdown::render;

    const SITE: &str = "https://blog.example.com/";

    fn fixture(name: &str) -> PathBuf {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ghost")).join(name)
    }

    fn load(name: &str) -> Bundle {
        read(&fixture(name), SITE).unwrap_or_else(|problems| panic!("{name}: {problems:#?}"))
    }

    fn post<'b>(bundle: &'b Bundle, slug: &str) -> &'b PostDoc {
        bundle
            .posts
            .iter()
            .find(|p| p.slug == slug)
            .unwrap_or_else(|| panic!("no post {slug}"))
    }

    fn user<'b>(bundle: &'b Bundle, slug: &str) -> &'b UserDoc {
        bundle
            .users
            .iter()
            .find(|u| u.slug.as_deref() == Some(slug))
            .unwrap_or_else(|| panic!("no user {slug}"))
    }

    fn read_json(json: &str) -> Result<Bundle, Vec<Problem>> {
        read_bytes(json.as_bytes(), "export.json", SITE)
    }

    fn date(s: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
    }

    fn welcome_markdown() -> String {
        post(&load("ghost-5.json"), "welcome").markdown.clone()
    }

    /// Asserts that `md` holds `part`, showing all of `md` when it does not.
    #[track_caller]
    fn has(md: &str, part: &str) {
        assert!(md.contains(part), "expected\n{part}\n---- in ----\n{md}");
    }

    // Ghost 5: Lexical, posts_meta, two authors, statuses ------------------------------------

    #[test]
    fn ghost_5_posts_pages_and_statuses() {
        let b = load("ghost-5.json");
        let slugs: Vec<&str> = b.posts.iter().map(|p| p.slug.as_str()).collect();
        assert_eq!(
            slugs,
            [
                "welcome",
                "about",
                "draft-post",
                "coming-soon",
                "newsletter-issue-1",
                "migrated-mobiledoc",
                "html-only"
            ]
        );
        let welcome = post(&b, "welcome");
        assert_eq!(welcome.kind, PostType::Post);
        assert_eq!(welcome.status, PostStatus::Published);
        assert_eq!(welcome.published_at, date("2023-11-02T10:00:00Z"));
        assert_eq!(welcome.created_at, date("2023-11-01T09:00:00Z"));
        assert_eq!(welcome.updated_at, date("2023-11-03T12:30:00Z"));
        assert!(
            welcome.origin.ends_with("ghost-5.json: posts[0]"),
            "{}",
            welcome.origin
        );

        assert_eq!(post(&b, "about").kind, PostType::Page);
        let draft = post(&b, "draft-post");
        assert_eq!(draft.status, PostStatus::Draft);
        assert_eq!(draft.published_at, None);
        let scheduled = post(&b, "coming-soon");
        assert_eq!(scheduled.status, PostStatus::Scheduled);
        assert_eq!(scheduled.published_at, date("2030-01-01T09:00:00Z"));
        // sent as a newsletter only: published here
        assert_eq!(post(&b, "newsletter-issue-1").status, PostStatus::Published);
    }

    #[test]
    fn ghost_5_post_fields_come_from_the_post_and_posts_meta() {
        let b = load("ghost-5.json");
        let p = post(&b, "welcome");
        assert_eq!(p.title, "Welcome to Ghost");
        assert!(p.featured);
        assert_eq!(p.custom_excerpt.as_deref(), Some("A short summary."));
        assert_eq!(
            p.feature_image.as_deref(),
            Some("https://blog.example.com/content/images/2023/11/cover.jpg")
        );
        assert_eq!(p.feature_image_alt.as_deref(), Some("Cover alt"));
        // Quire shows the caption as text
        assert_eq!(p.feature_image_caption.as_deref(), Some("Photo by X & Y"));
        assert_eq!(p.meta_title.as_deref(), Some("Welcome (SEO title)"));
        assert_eq!(
            p.meta_description.as_deref(),
            Some("Everything about the welcome post.")
        );
        assert_eq!(
            p.canonical_url.as_deref(),
            Some("https://blog.example.com/welcome/")
        );
        assert_eq!(p.codeinjection_head.as_deref(), Some("<style>.x{}</style>"));
        assert_eq!(
            p.codeinjection_foot.as_deref(),
            Some(r#"<script src="https://blog.example.com/assets/x.js"></script>"#)
        );
        assert!(p.aliases.is_empty());
        let about = post(&b, "about");
        assert!(!about.featured);
        assert_eq!(about.meta_title, None);
        assert_eq!(about.feature_image, None);
    }

    #[test]
    fn tags_and_authors_follow_sort_order() {
        let b = load("ghost-5.json");
        let welcome = post(&b, "welcome");
        assert_eq!(welcome.tags, ["Getting Started", "News", "#feature"]);
        assert_eq!(welcome.authors, ["john@example.com", "jane@example.com"]);
        let draft = post(&b, "draft-post");
        assert_eq!(draft.tags, ["News"]);
        assert_eq!(draft.authors, ["sam@example.com"]);
        // no author rows: the import's default author
        assert!(post(&b, "newsletter-issue-1").authors.is_empty());
    }

    #[test]
    fn lexical_text_formats_links_and_breaks() {
        let md = &welcome_markdown();
        let first = md.split("\n\n").next().unwrap();
        assert_eq!(
            first,
            "Welcome to **Ghost**, _really_, ~~old~~, <u>under</u>, `npm install`, \
             H<sub>2</sub>O, x<sup>2</sup>, **_both_**. See \
             [our page](https://blog.example.com/about/).\\\n1\\. with a \\* star"
        );
    }

    #[test]
    fn lexical_headings_lists_and_quotes() {
        let md = &welcome_markdown();
        has(md, "\n\n## First steps\n\n### Details \\#\n\n");
        has(md, "\n\n- apples\n  1. red\n  2. green\n- pears\n\n");
        has(md, "\n\n3. three\n4. four\n\n");
        has(md, "\n\n- [x] done\n- [ ] todo\n\n");
        has(md, "\n\n> A quote\\\n> second line\n\n> An aside\n\n");
    }

    #[test]
    fn lexical_cards_become_markdown_or_embedded_html() {
        let md = &welcome_markdown();
        // code, divider
        has(
            md,
            "\n\n```rust\nfn main() {\n    println!(\"hi\");\n}\n```\n\n---\n\n",
        );
        // image with caption and width: a figure around a Markdown image
        has(
            md,
            "\n\n<figure class=\"kg-card kg-image-card kg-width-wide kg-card-hascaption\">\n\n\
             ![A photo](https://blog.example.com/content/images/2023/11/photo.jpg)\n\n\
             <figcaption>Photo by <a href=\"https://unsplash.com\">Unsplash</a></figcaption>\n\
             </figure>\n\n",
        );
        // a plain image is just an image
        has(md, "\n\n![Plain](https://cdn.example.com/plain.png)\n\n");
        // Markdown card verbatim (placeholders resolved)
        has(
            md,
            "\n\n## From Markdown\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nA note[^1].\n\n\
             [^1]: The note.\n\n![inline](https://blog.example.com/content/images/md.png)\n\n",
        );
        // HTML card: one HTML block, its blank line encoded
        has(
            md,
            "\n\n<div class=\"custom\">\n  <p>Custom</p>\n&#10;  <p>HTML</p>\n</div>\n\n",
        );
        has(
            md,
            "\n\n**[Ghost: The Creator Economy Platform](https://ghost.org/)**\\\n\
             The world's most popular modern publishing platform.\\\n_Ghost_\n\n",
        );
        has(
            md,
            "\n\n<figure class=\"kg-card kg-embed-card kg-card-hascaption\">\n\n\
             <iframe width=\"200\" height=\"113\" src=\"https://www.youtube.com/embed/abc?feature=oembed\" \
             frameborder=\"0\" allowfullscreen></iframe>\n\n<figcaption>A video</figcaption>\n</figure>\n\n",
        );
        // gallery: one paragraph per row, rows in order
        has(
            md,
            "\n\n<figure class=\"kg-card kg-gallery-card kg-width-wide kg-card-hascaption\">\n\n\
             ![A](https://blog.example.com/content/images/2023/11/a.jpg)\n\
             ![B](https://blog.example.com/content/images/2023/11/b.jpg)\n\n\
             ![C](https://blog.example.com/content/images/2023/11/c.jpg)\n\n\
             <figcaption>Gallery caption</figcaption>\n</figure>\n\n",
        );
        has(md, "\n\n> 💡 Remember to **save**\n\n");
        has(
            md,
            "\n\n<details class=\"kg-card kg-toggle-card\">\n<summary>Question?</summary>\n\n\
             The *answer*.\n\n</details>\n\n",
        );
        has(
            md,
            "\n\n[Subscribe](https://blog.example.com/#/portal/signup)\n\n",
        );
        has(
            md,
            "\n\n<figure class=\"kg-card kg-video-card\">\n\n\
             <video src=\"https://blog.example.com/content/media/2023/11/clip.mp4\" controls playsinline \
             preload=\"metadata\" poster=\"https://blog.example.com/content/images/2023/11/clip_thumb.jpg\" \
             width=\"640\" height=\"360\"></video>\n\n</figure>\n\n",
        );
        has(
            md,
            "\n\n<figure class=\"kg-card kg-audio-card\">\n\n\
             <audio src=\"https://blog.example.com/content/media/2023/11/talk.mp3\" controls \
             preload=\"metadata\"></audio>\n\n<figcaption>The talk</figcaption>\n</figure>\n\n",
        );
        has(
            md,
            "\n\n[Annual report](https://blog.example.com/content/files/2023/11/report.pdf) \
             (report.pdf, 120.6 KB)\\\nNumbers for 2023\n\n",
        );
        has(
            md,
            "\n\n![](https://blog.example.com/content/images/2023/11/widget.png)\n\n**Widget**\n\n\
             Does things.\n\n★★★★☆\n\n[Buy](https://shop.example.com/widget)\n\n",
        );
        has(
            md,
            "\n\n## Big news\n\nRead on\n\n[Go](https://example.com/go)\n\n",
        );
        // a card Quire does not know keeps its HTML
        assert!(md.ends_with("\n\n<section>Kept</section>"), "{md}");
    }

    #[test]
    fn cards_that_only_make_sense_in_ghost_are_left_out() {
        let md = &welcome_markdown();
        assert!(!md.contains("Only in the email"), "{md}");
        assert!(!md.contains("Sign up"), "{md}");
        assert!(!md.contains("members-only"), "{md}");
        // the content after the paywall stays
        has(
            md,
            "\n\n[Go](https://example.com/go)\n\nMembers only part.\n\n",
        );
    }

    #[test]
    fn converted_markdown_renders_as_ghost_showed_it() {
        let html = render(&post(&load("ghost-5.json"), "welcome").markdown)
            .unwrap()
            .html;
        for part in [
            "<strong>Ghost</strong>",
            "<em>really</em>",
            "<del>old</del>",
            "<u>under</u>",
            "<code>npm install</code>",
            "H<sub>2</sub>O",
            "<strong><em>both</em></strong>",
            "<br>\n1. with a * star</p>",
            "<h3 id=\"details\">Details #</h3>",
            "<ol start=\"3\">",
            "type=\"checkbox\" checked=\"\"",
            "<blockquote>\n<p>A quote<br>\nsecond line</p>\n</blockquote>",
            "<pre><code class=\"language-rust\">",
            "<figcaption>Photo by <a href=\"https://unsplash.com\"",
            "<details>\n<summary>Question?</summary>\n<p>The <em>answer</em>.</p>\n</details>",
            "<section>Kept</section>",
        ] {
            has(&html, part);
        }
        assert!(!html.contains("**"), "{html}");
    }

    #[test]
    fn the_richest_content_source_wins() {
        let b = load("ghost-5.json");
        // lexical over html, mobiledoc over html, html when alone
        assert!(!post(&b, "welcome").markdown.contains("ignored"));
        assert_eq!(
            post(&b, "migrated-mobiledoc").markdown,
            "Written in the _old_ editor."
        );
        assert_eq!(
            post(&b, "html-only").markdown,
            "Only *HTML* here, with [a link](https://blog.example.com/welcome/)."
        );
    }

    #[test]
    fn no_placeholder_survives_and_no_slash_doubles() {
        let b = load("ghost-5.json");
        let all = serde_json::to_string(&b).unwrap();
        assert!(!all.contains(GHOST_URL), "{all}");
        assert!(!all.contains("blog.example.com//"), "{all}");
        assert_eq!(
            user(&b, "john").avatar_url.as_deref(),
            Some("https://blog.example.com/content/images/john.jpg")
        );
        assert_eq!(
            b.tags[0].feature_image.as_deref(),
            Some("https://blog.example.com/content/images/tag.jpg")
        );
    }

    #[test]
    fn staff_with_their_roles_and_never_a_password() {
        let b = load("ghost-5.json");
        assert_eq!(b.users.len(), 3);
        let john = user(&b, "john");
        // Owner outranks the Administrator role the same user also holds
        assert_eq!(john.role, Some(Role::Owner));
        assert_eq!(john.name, "John Owner");
        assert_eq!(john.email.as_deref(), Some("john@example.com"));
        assert_eq!(john.bio.as_deref(), Some("Runs the place."));
        assert_eq!(
            john.cover_image.as_deref(),
            Some("https://blog.example.com/content/images/john-cover.jpg")
        );
        assert_eq!(john.website.as_deref(), Some("https://john.example.com"));
        assert_eq!(john.location.as_deref(), Some("Berlin"));
        // Ghost's "Super Editor" is an Editor here
        assert_eq!(user(&b, "jane").role, Some(Role::Editor));
        assert_eq!(user(&b, "sam").role, Some(Role::Contributor));
        let all = serde_json::to_string(&b).unwrap();
        assert!(!all.contains("$2a$"), "{all}");
        assert!(!all.contains("reader@example.com"), "members are not staff");
    }

    #[test]
    fn tags_keep_their_slugs_and_details() {
        let b = load("ghost-5.json");
        assert_eq!(
            b.tags[0],
            TagDoc {
                name: "Getting Started".into(),
                slug: Some("getting-started".into()),
                description: Some("Start here.".into()),
                feature_image: Some("https://blog.example.com/content/images/tag.jpg".into()),
                meta_title: Some("Getting Started with Ghost".into()),
                meta_description: Some("First steps.".into()),
                accent_color: Some("#15171A".into()),
            }
        );
        // internal tags keep their `#`
        assert_eq!(b.tags[2].name, "#feature");
        assert_eq!(b.tags[2].slug.as_deref(), Some("hash-feature"));
    }

    #[test]
    fn settings_map_to_quire_keys() {
        let b = load("ghost-5.json");
        assert_eq!(
            Value::Object(b.settings),
            json!({
                "title": "My Ghost Blog",
                "description": "Thoughts on everything.",
                "logo": "https://blog.example.com/content/images/logo.png",
                "cover_image": "https://blog.example.com/content/images/site-cover.jpg",
                "accent_color": "#FF1A75",
                "lang": "de",
                "timezone": "Europe/Berlin",
                "codeinjection_head": "<meta name=\"x\" content=\"https://blog.example.com/\">",
                "codeinjection_foot": "",
                "navigation": [
                    {"label": "Home", "url": "https://blog.example.com/"},
                    {"label": "About", "url": "https://blog.example.com/about/"},
                    {"label": "Elsewhere", "url": "https://example.org/"}
                ]
            })
        );
    }

    // Ghost 1.x: bare form, Mobiledoc, `page`, `author_id` -----------------------------------

    #[test]
    fn ghost_1_bare_export_with_page_flags_and_author_ids() {
        let b = load("ghost-1.json");
        let hello = post(&b, "hello-world");
        assert_eq!(hello.kind, PostType::Post);
        assert_eq!(post(&b, "about-me").kind, PostType::Page);
        assert_eq!(hello.authors, ["owner@example.com"]);
        assert_eq!(post(&b, "about-me").authors, ["guest@example.com"]);
        assert_eq!(hello.tags, ["Journal", "Getting Started"]);
        assert_eq!(hello.meta_title.as_deref(), Some("Hello (SEO)"));
        assert_eq!(hello.meta_description.as_deref(), Some("The first post."));
        assert!(hello.featured);
        assert_eq!(
            hello.feature_image.as_deref(),
            Some("/content/images/2018/04/cover.jpg")
        );
        // epoch milliseconds, "YYYY-MM-DD HH:MM:SS" and ISO dates
        assert_eq!(hello.created_at, date("2014-05-07T11:45:53Z"));
        assert_eq!(hello.published_at, date("2014-05-07T11:42:33Z"));
        assert_eq!(hello.updated_at, date("2014-05-08T10:00:00Z"));
        assert_eq!(
            post(&b, "legacy-html").published_at,
            date("2015-01-01T00:00:00Z")
        );
        assert_eq!(post(&b, "old-draft").status, PostStatus::Draft);
        assert_eq!(user(&b, "owner").role, Some(Role::Owner));
        assert_eq!(user(&b, "guest").role, Some(Role::Author));
        assert_eq!(
            user(&b, "owner").avatar_url.as_deref(),
            Some("/content/images/owner.jpg")
        );
    }

    #[test]
    fn mobiledoc_sections_markers_atoms_and_cards() {
        let b = load("ghost-1.json");
        assert_eq!(
            post(&b, "hello-world").markdown,
            "Hello **bold _and italic_**, [a link](https://ghost.org), `code` and ~~gone~~.\\\n\
             Next line.\n\n\
             ## A heading\n\n\
             > Quoted.\n\n\
             > Pulled.\n\n\
             - first\n- **second**\n\n\
             1. one\n2. two\n\n\
             Some **Markdown** from the old editor.\n\n* one\n* two\n\n\
             <figure class=\"kg-card kg-image-card kg-width-full kg-card-hascaption\">\n\n\
             ![](/content/images/2018/04/photo.jpg)\n\n\
             <figcaption>A <em>caption</em></figcaption>\n</figure>\n\n\
             <p style=\"color: red\">Red</p>\n\n\
             ---\n\n\
             ```python\nprint('hi')\n```\n\n\
             <figure class=\"kg-card kg-embed-card\">\n\n\
             <blockquote class=\"twitter-tweet\"><p>Tweet</p></blockquote>\n\
             &#10;<script async src=\"https://platform.twitter.com/widgets.js\"></script>\n\n\
             </figure>"
        );
        assert_eq!(post(&b, "about-me").markdown, "I write things.");
        assert_eq!(post(&b, "legacy-html").markdown, "From **HTML**");
    }

    #[test]
    fn ghost_1_settings_use_the_old_names() {
        let b = load("ghost-1.json");
        assert_eq!(
            Value::Object(b.settings),
            json!({
                "title": "Old Blog",
                "description": "From 2014.",
                "logo": null,
                "cover_image": "/content/images/2014/cover.jpg",
                "lang": "en-GB",
                "timezone": "Europe/London",
                "codeinjection_head": "<style>body { color: #222; }</style>",
                "codeinjection_foot": "",
                "navigation": [
                    {"label": "Home", "url": "/"},
                    {"label": "Journal", "url": "/tag/journal/"}
                ]
            })
        );
    }

    #[test]
    fn dated_permalinks_become_aliases_of_published_posts() {
        let b = load("ghost-1.json");
        assert_eq!(
            post(&b, "hello-world").aliases,
            ["/2014/05/07/hello-world/"]
        );
        assert_eq!(
            post(&b, "legacy-html").aliases,
            ["/2015/01/01/legacy-html/"]
        );
        // pages keep /slug/, drafts never had an address
        assert!(post(&b, "about-me").aliases.is_empty());
        assert!(post(&b, "old-draft").aliases.is_empty());
    }

    #[test]
    fn both_forms_of_export_read_the_same() {
        let bare = std::fs::read_to_string(fixture("ghost-1.json")).unwrap();
        let wrapped = format!("{{\"db\": [{bare}]}}");
        let a = serde_json::to_value(load("ghost-1.json")).unwrap();
        let b = serde_json::to_value(read_json(&wrapped).unwrap()).unwrap();
        assert_eq!(a, b);
    }

    // HTML only ------------------------------------------------------------------------------

    #[test]
    fn html_is_converted_and_what_markdown_cannot_say_stays_html() {
        let b = load("ghost-html.json");
        assert_eq!(
            post(&b, "rendered").markdown,
            "Intro with **bold**, *italic* and [a tag link](https://blog.example.com/tag/news/).\n\n\
             ## A section\n\n\
             <figure class=\"kg-card kg-image-card kg-card-hascaption\">\n\n\
             ![Pic](https://blog.example.com/content/images/2022/01/pic.jpg)\n\n\
             <figcaption>The <em>caption</em></figcaption>\n</figure>\n\n\
             - one\n- two\n\n\
             > Wise words.\n\n\
             ```js\nconst a = 1;\n\nconsole.log(a);\n```\n\n\
             <div class=\"kg-custom\">\n<p>Custom</p>\n&#10;<p>block</p>\n</div>\n\n\
             <figure class=\"kg-card kg-embed-card\"><iframe width=\"200\" height=\"113\" \
             src=\"https://www.youtube.com/embed/xyz\" frameborder=\"0\" allowfullscreen=\"\"></iframe></figure>\n\n\
             - - -\n\n\
             Done <u>here</u>."
        );
    }

    // Problems -------------------------------------------------------------------------------

    #[test]
    fn invalid_json_is_reported_with_its_line() {
        let path = fixture("ghost-broken.json");
        let problems = read(&path, SITE).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        let p = &problems[0];
        assert_eq!(p.source, path.display().to_string());
        assert_eq!(p.line, Some(7));
        assert!(
            p.message
                .starts_with("invalid JSON at column 24: expected `,` or `}`"),
            "{}",
            p.message
        );
        assert!(p.to_string().contains("ghost-broken.json:7: invalid JSON"));
    }

    #[test]
    fn a_missing_file_is_a_problem_not_a_panic() {
        let problems = read(&fixture("no-such-export.json"), SITE).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.starts_with("cannot read the file"));
        assert!(problems[0].source.ends_with("no-such-export.json"));
    }

    #[test]
    fn an_export_without_data_is_refused() {
        for (json, message) in [
            (
                r#"{"db": [{"meta": {"version": "5.0.0"}}]}"#,
                "`data` is missing",
            ),
            (r#"{"meta": {"version": "1.0.0"}}"#, "`data` is missing"),
            (r#"{"db": []}"#, "`db` holds no export"),
            (r#"{"data": []}"#, "`data` is not an object"),
            ("[1, 2]", "does not hold a JSON object"),
        ] {
            let problems = read_json(json).unwrap_err();
            assert_eq!(problems.len(), 1, "{json}: {problems:?}");
            assert_eq!(problems[0].source, "export.json");
            assert!(
                problems[0].message.contains(message),
                "{json}: {problems:?}"
            );
        }
        let eof = read_json("{\"db\": [\n").unwrap_err();
        assert_eq!(eof[0].line, Some(2));
    }

    #[test]
    fn every_broken_record_is_reported_with_its_position() {
        let problems = read_json(
            r##"{"data": {
                "posts": [
                    {"id": "1", "title": "No slug", "status": "published"},
                    {"id": "2", "slug": "odd", "title": "Odd", "status": "archived", "type": "post"},
                    {"id": "3", "slug": "bad-date", "status": "draft", "created_at": "yesterday"},
                    {"id": "4", "slug": "twice", "status": "draft"},
                    {"id": "5", "slug": "twice", "status": "draft"},
                    {"id": "6", "slug": "later", "status": "scheduled", "published_at": null},
                    "not a post",
                    {"id": "8", "slug": "kind", "status": "draft", "type": "newsletter"},
                    {"id": "9", "slug": "broken", "status": "draft", "lexical": "{not json"},
                    {"id": "10", "slug": "fine", "status": "draft"},
                    {"id": "11", "slug": "ancient", "status": "draft", "updated_at": "0001-01-01 00:00:00"},
                    {"id": "12", "slug": "far", "status": "draft", "published_at": 253402300800000}
                ],
                "tags": [{"id": "t", "slug": "nameless"}],
                "users": [{"id": "u", "email": "x@example.com"}],
                "settings": [{"key": "navigation", "value": "{\"label\": 1}"}]
            }}"##,
        )
        .unwrap_err();
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "export.json: users[0]: has no name",
                "export.json: tags[0]: has no name",
                "export.json: settings.navigation: is not a list of {\"label\", \"url\"} entries",
                "export.json: posts[0]: has no slug (title \"No slug\")",
                "export.json: posts[1]: has an unknown status \"archived\"",
                "export.json: posts[2]: created_at: cannot read \"yesterday\" as a date",
                "export.json: posts[4]: has the same slug \"twice\" as posts[3]",
                "export.json: posts[5]: is scheduled but has no published_at",
                "export.json: posts[6]: is not an object",
                "export.json: posts[7]: has an unknown type \"newsletter\"",
                "export.json: posts[8]: has unreadable content (lexical: key must be a string at line 1 column 2)",
                "export.json: posts[10]: updated_at: 0001-01-01 00:00:00 UTC is out of range: Use a date between the years 1970 and 9999.",
                "export.json: posts[11]: published_at: +10000-01-01 00:00:00 UTC is out of range: Use a date between the years 1970 and 9999.",
            ]
        );
    }

    #[test]
    fn old_and_odd_shapes_are_understood() {
        let b = read_json(
            r##"{"db": [{"meta": {"version": "0.11.0"}, "data": {
                "posts": [
                    {"id": 1, "slug": "legacy", "title": "Legacy", "status": "published",
                     "markdown": "Written in *Markdown*.", "html": "<p>ignored</p>",
                     "page": 0, "author_id": 7, "published_at": 1399463153000,
                     "image": "/content/images/old.png"},
                    {"id": 2, "slug": "shared", "status": "draft", "author_id": 8}
                ],
                "tags": [
                    {"id": 1, "name": "Same", "slug": "same-1"},
                    {"id": 2, "name": "Same", "slug": "same-2"}
                ],
                "posts_tags": [{"post_id": 1, "tag_id": 2}, {"post_id": 1, "tag_id": 1},
                               {"post_id": 1, "tag_id": 1}, {"post_id": 1, "tag_id": 99}],
                "users": [
                    {"id": 7, "name": "No Email", "slug": "no-email", "image": "/content/images/me.png"},
                    {"id": 8, "name": "Only A Name"}
                ],
                "settings": [
                    {"key": "defaultLang", "value": "en_US"},
                    {"key": "activeTimezone", "value": "Europe/Paris"},
                    {"key": "cover", "value": "/content/images/cover.png"},
                    {"key": "accent_color", "value": "red"},
                    {"key": "permalinks", "value": "/:slug/"}
                ]
            }}]}"##,
        )
        .unwrap();
        let legacy = post(&b, "legacy");
        assert_eq!(legacy.markdown, "Written in *Markdown*.");
        assert_eq!(legacy.kind, PostType::Post);
        assert_eq!(legacy.published_at, date("2014-05-07T11:45:53Z"));
        assert_eq!(
            legacy.feature_image.as_deref(),
            Some("/content/images/old.png")
        );
        // a shared tag name is ambiguous: the slugs name them; without sort_order the rows' order
        // counts; repeated and dangling rows are passed over
        assert_eq!(legacy.tags, ["same-2", "same-1"]);
        // no email: the slug, then the name
        assert_eq!(legacy.authors, ["no-email"]);
        assert_eq!(post(&b, "shared").authors, ["Only A Name"]);
        assert_eq!(post(&b, "shared").title, UNTITLED);
        assert!(legacy.aliases.is_empty());
        assert_eq!(
            user(&b, "no-email").avatar_url.as_deref(),
            Some("/content/images/me.png")
        );
        assert_eq!(user(&b, "no-email").role, None);
        assert_eq!(
            Value::Object(b.settings),
            json!({"lang": "en-US", "timezone": "Europe/Paris", "cover_image": "/content/images/cover.png"})
        );
    }

    #[test]
    fn dates_in_every_format_ghost_wrote() {
        let ok = |v: Value| parse_date(&v).unwrap();
        let expected = date("2020-01-02T03:04:05Z");
        assert_eq!(ok(json!("2020-01-02T03:04:05.000Z")), expected);
        assert_eq!(ok(json!("2020-01-02T04:04:05+01:00")), expected);
        assert_eq!(ok(json!("2020-01-02 03:04:05")), expected);
        assert_eq!(ok(json!("2020-01-02 03:04:05.000")), expected);
        assert_eq!(ok(json!("2020-01-02T03:04:05")), expected);
        assert_eq!(ok(json!(1577934245000_i64)), expected);
        assert_eq!(ok(json!(1577934245)), expected);
        assert_eq!(ok(json!("1577934245000")), expected);
        assert_eq!(ok(json!("2020-01-02")), date("2020-01-02T00:00:00Z"));
        assert_eq!(ok(json!(null)), None);
        assert_eq!(ok(json!("")), None);
        assert_eq!(
            parse_date(&json!("02/01/2020")),
            Err("\"02/01/2020\"".into())
        );
        assert_eq!(parse_date(&json!(true)), Err("true".into()));
    }

    #[test]
    fn the_site_url_replaces_the_placeholder_with_or_without_a_slash() {
        for site in ["https://new.example", "https://new.example/"] {
            let b = read_bytes(
                br#"{"data": {"posts": [{"slug": "a", "status": "draft",
                    "html": "<p><a href=\"__GHOST_URL__/b/\">b</a></p>",
                    "feature_image": "__GHOST_URL__/content/images/x.png"}]}}"#,
                "export.json",
                site,
            )
            .unwrap();
            assert_eq!(b.posts[0].markdown, "[b](https://new.example/b/)");
            assert_eq!(
                b.posts[0].feature_image.as_deref(),
                Some("https://new.example/content/images/x.png")
            );
        }
    }
}
