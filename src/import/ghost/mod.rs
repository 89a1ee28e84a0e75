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
/// The text of a fragment of HTML, for the Content API's `plaintext` format too.
pub(crate) use html::to_text as html_to_text;
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

/// Which of a post's bodies to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Lexical, else Mobiledoc, else Markdown (Ghost 0.x), else HTML: what an export holds.
    Richest,
    /// Lexical, else Mobiledoc: what the Admin API reads unless told otherwise (an `html`
    /// field sent back with a post is what Ghost rendered, not a source).
    Editors,
    /// The HTML only: the Admin API's `?source=html`.
    Html,
}

/// A Ghost post's body as Markdown, from `source`: `Ok(None)` when the post has none, an error
/// naming the documents that could not be read when none could.
pub fn body_markdown(p: &Map<String, Value>, source: Source) -> Result<Option<String>, String> {
    if source == Source::Html {
        return Ok(text(p, "html").map(html::to_markdown));
    }
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
            Ok(md) => return Ok(Some(md)),
            Err(e) => failures.push(format!("{key}: {e}")),
        }
    }
    if source == Source::Richest {
        // Ghost 0.x kept the author's Markdown
        if let Some(md) = text(p, "markdown") {
            return Ok(Some(md.to_owned()));
        }
        if let Some(h) = text(p, "html") {
            return Ok(Some(html::to_markdown(h)));
        }
    }
    if failures.is_empty() {
        Ok(None)
    } else {
        Err(failures.join("; "))
    }
}

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
        match body_markdown(p, Source::Richest) {
            Ok(md) => self.resolve(&md.unwrap_or_default()),
            Err(e) => {
                self.problem(at, format!("has unreadable content ({e})"));
                String::new()
            }
        }
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
mod tests;
