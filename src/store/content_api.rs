//! What Ghost's Content API reads: published posts and pages with their tags and authors,
//! public tags and the authors of published posts, each with the fields Ghost answers with.
//!
//! The statements are fixed text: what a request chooses (the type, the order, the page) is
//! bound as a parameter or picked from [`Order`]'s fixed list, never written into SQL.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{FromRow, PgExecutor, PgPool};
use uuid::Uuid;

use crate::domain::nql::{Filter, FilterValue, Op};
use crate::domain::post::PostType;

/// A tag as the Content API shows it on a post or in its list.
#[derive(Debug, Clone, Serialize, Deserialize, FromRow)]
pub struct ApiTag {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub feature_image: Option<String>,
    pub visibility: String,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub accent_color: Option<String>,
}

/// An author as the Content API shows them.
#[derive(Debug, Clone, Serialize, Deserialize, FromRow)]
pub struct ApiAuthor {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub profile_image: Option<String>,
    pub cover_image: Option<String>,
    pub bio: String,
    pub website: Option<String>,
    pub location: Option<String>,
}

/// Who reads: the Content API sees what is published and public; the Admin API (an
/// integration acting as an Administrator) sees every post and tag, whatever its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Public,
    Staff,
}

impl Scope {
    /// The condition on posts `p` this reader may see.
    fn posts(self) -> &'static str {
        match self {
            Scope::Public => "p.status = 'published'",
            Scope::Staff => "true",
        }
    }

    /// The condition on tags `t` this reader may see.
    fn tags(self) -> &'static str {
        match self {
            Scope::Public => "t.visibility = 'public'",
            Scope::Staff => "true",
        }
    }

    /// The post fields filters may name.
    fn post_subject(self) -> &'static Subject {
        match self {
            Scope::Public => &POSTS,
            Scope::Staff => &STAFF_POSTS,
        }
    }
}

/// A post or page with everything the Content and Admin APIs answer.
#[derive(Debug, Clone, FromRow)]
pub struct ApiPost {
    pub id: Uuid,
    /// The id the post had in Ghost, kept by an import (feeds use it too).
    pub feed_guid: Option<String>,
    pub slug: String,
    pub title: String,
    pub html: String,
    pub summary: String,
    pub custom_excerpt: Option<String>,
    pub feature_image: Option<String>,
    pub feature_image_alt: Option<String>,
    pub feature_image_caption: Option<String>,
    pub featured: bool,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_url: Option<String>,
    pub codeinjection_head: Option<String>,
    pub codeinjection_foot: Option<String>,
    pub reading_time: i32,
    pub status: String,
    /// Unset on drafts (only the Admin API sees them).
    pub published_at: Option<DateTime<Utc>>,
    /// The Markdown source: read for the Admin API only (its `lexical` and `mobiledoc` formats).
    #[sqlx(default)]
    pub markdown: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub tags: Json<Vec<ApiTag>>,
    pub authors: Json<Vec<ApiAuthor>>,
}

/// The orders a list may be asked for, as Ghost names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    PublishedDesc,
    PublishedAsc,
    UpdatedDesc,
    UpdatedAsc,
    CreatedDesc,
    CreatedAsc,
    TitleAsc,
    TitleDesc,
    SlugAsc,
    SlugDesc,
    FeaturedFirst,
}

impl Order {
    /// Ghost's `order` parameter (`published_at desc`, `title asc`, ...); the direction
    /// defaults as Ghost's does (dates newest first, names A to Z).
    pub fn parse(value: &str) -> Option<Order> {
        let mut words = value.split_whitespace();
        let field = words.next()?.to_ascii_lowercase();
        let dir = words.next().map(str::to_ascii_lowercase);
        if words.next().is_some() {
            return None;
        }
        let desc = match dir.as_deref() {
            None => None,
            Some("desc") => Some(true),
            Some("asc") => Some(false),
            Some(_) => return None,
        };
        Some(match (field.as_str(), desc) {
            ("published_at", None | Some(true)) => Order::PublishedDesc,
            ("published_at", Some(false)) => Order::PublishedAsc,
            ("updated_at", None | Some(true)) => Order::UpdatedDesc,
            ("updated_at", Some(false)) => Order::UpdatedAsc,
            ("created_at", None | Some(true)) => Order::CreatedDesc,
            ("created_at", Some(false)) => Order::CreatedAsc,
            ("title", None | Some(false)) => Order::TitleAsc,
            ("title", Some(true)) => Order::TitleDesc,
            ("slug", None | Some(false)) => Order::SlugAsc,
            ("slug", Some(true)) => Order::SlugDesc,
            ("featured", None | Some(true)) => Order::FeaturedFirst,
            _ => return None,
        })
    }

    fn sql(self) -> &'static str {
        match self {
            Order::PublishedDesc => "p.published_at desc, p.id desc",
            Order::PublishedAsc => "p.published_at asc, p.id asc",
            Order::UpdatedDesc => "p.updated_at desc, p.id desc",
            Order::UpdatedAsc => "p.updated_at asc, p.id asc",
            Order::CreatedDesc => "p.created_at desc, p.id desc",
            Order::CreatedAsc => "p.created_at asc, p.id asc",
            Order::TitleAsc => "p.title asc, p.id asc",
            Order::TitleDesc => "p.title desc, p.id desc",
            Order::SlugAsc => "p.slug asc",
            Order::SlugDesc => "p.slug desc",
            Order::FeaturedFirst => "p.featured desc, p.published_at desc, p.id desc",
        }
    }
}

const POST_COLUMNS: &str = "p.id, p.feed_guid, p.slug, p.title, p.html, \
    coalesce(nullif(p.custom_excerpt, ''), p.excerpt) as summary, p.custom_excerpt, \
    p.feature_image, p.feature_image_alt, p.feature_image_caption, p.featured, p.meta_title, \
    p.meta_description, p.canonical_url, p.codeinjection_head, p.codeinjection_foot, \
    p.reading_time, p.status::text as status, p.published_at, p.created_at, p.updated_at, \
    coalesce((select jsonb_agg(jsonb_build_object('id', t.id, 'slug', t.slug, 'name', t.name, \
        'description', t.description, 'feature_image', t.feature_image, 'visibility', t.visibility, \
        'meta_title', t.meta_title, 'meta_description', t.meta_description, \
        'accent_color', t.accent_color) order by pt.sort_order, t.name) \
      from posts_tags pt join tags t on t.id = pt.tag_id where pt.post_id = p.id), '[]'::jsonb) as tags, \
    coalesce((select jsonb_agg(jsonb_build_object('id', u.id, 'slug', u.slug, 'name', u.name, \
        'profile_image', u.avatar_url, 'cover_image', u.cover_image, 'bio', u.bio, \
        'website', u.website, 'location', u.location) order by pa.sort_order, u.name) \
      from posts_authors pa join users u on u.id = pa.author_id where pa.post_id = p.id), '[]'::jsonb) as authors";

/// One page of the posts or pages `scope` sees that match `filter`, in `order`, and how many
/// match in all.
pub async fn list_posts(
    db: &PgPool,
    scope: Scope,
    kind: PostType,
    filter: Option<&Filter>,
    order: Order,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ApiPost>, i64), ListError> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        post: ApiPost,
        total: i64,
    }
    let condition = condition(filter, 2, scope.post_subject()).map_err(ListError::Filter)?;
    let next = 2 + condition.binds.len();
    let sql = format!(
        "select {POST_COLUMNS}{}, count(*) over () as total from posts p \
         where p.type = $1 and {} and ({}) order by {} limit ${next} offset ${}",
        staff_columns(scope),
        scope.posts(),
        condition.sql,
        order.sql(),
        next + 1
    );
    let query = condition.bind_all(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(kind));
    let rows: Vec<Row> = query.bind(limit).bind(offset).fetch_all(db).await?;
    let total = match rows.first() {
        Some(r) => r.total,
        // past the last page: the pagination still says how many there are
        None => {
            let sql = format!(
                "select count(*) from posts p where p.type = $1 and {} and ({})",
                scope.posts(),
                condition.sql
            );
            condition
                .bind_all_scalar(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(kind))
                .fetch_one(db)
                .await?
        }
    };
    Ok((rows.into_iter().map(|r| r.post).collect(), total))
}

/// The columns only the Admin API answers with.
fn staff_columns(scope: Scope) -> &'static str {
    match scope {
        Scope::Public => "",
        Scope::Staff => ", p.markdown",
    }
}

/// Why a list could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// The filter names what cannot be filtered on, or in a way it cannot be.
    #[error("{0}")]
    Filter(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// A value a filter's SQL binds.
#[derive(Debug, Clone)]
enum Bind {
    Text(String),
    Texts(Vec<String>),
    Bool(bool),
    Time(DateTime<Utc>),
}

/// A condition on posts `p`, its values bound as `$first`, `$first + 1`, ...
struct Condition {
    sql: String,
    binds: Vec<Bind>,
}

type PgQueryAs<'q, T> = sqlx::query::QueryAs<'q, sqlx::Postgres, T, sqlx::postgres::PgArguments>;
type PgQueryScalar<'q, T> =
    sqlx::query::QueryScalar<'q, sqlx::Postgres, T, sqlx::postgres::PgArguments>;

impl Condition {
    fn bind_all<'q, T>(&self, mut q: PgQueryAs<'q, T>) -> PgQueryAs<'q, T> {
        for b in &self.binds {
            q = match b.clone() {
                Bind::Text(v) => q.bind(v),
                Bind::Texts(v) => q.bind(v),
                Bind::Bool(v) => q.bind(v),
                Bind::Time(v) => q.bind(v),
            };
        }
        q
    }

    fn bind_all_scalar<'q, T>(&self, mut q: PgQueryScalar<'q, T>) -> PgQueryScalar<'q, T> {
        for b in &self.binds {
            q = match b.clone() {
                Bind::Text(v) => q.bind(v),
                Bind::Texts(v) => q.bind(v),
                Bind::Bool(v) => q.bind(v),
                Bind::Time(v) => q.bind(v),
            };
        }
        q
    }
}

/// What a filter's field stands for on a post.
#[derive(Clone, Copy)]
enum Field {
    /// Any of the post's tags or authors, by slug: (link table, joined table, link column).
    Linked(&'static str),
    /// The first public tag or the first author, by slug.
    Primary(&'static str),
    Featured,
    Text(&'static str),
    Id,
    /// A tag's or an author's id: the uuid in hex.
    Uuid(&'static str),
    Time(&'static str),
    /// A value every post the API answers has (`visibility:public`, `status:published`).
    Constant(&'static str),
}

/// What a filter may name on one kind of item, and how the error says so.
struct Subject {
    field: fn(&str) -> Option<Field>,
    names: &'static str,
}

const POSTS: Subject = Subject {
    field: post_field,
    names: "tag, tags, primary_tag, author, authors, primary_author, featured, slug, title, id, \
            published_at, updated_at or created_at",
};

/// What the Admin API may filter posts on: what the Content API may, with a real status.
const STAFF_POSTS: Subject = Subject {
    field: |name| match name {
        "status" => Some(Field::Text("p.status::text")),
        _ => post_field(name),
    },
    names: POSTS.names,
};

const TAGS: Subject = Subject {
    field: |name| {
        Some(match name {
            "slug" => Field::Text("t.slug"),
            "name" => Field::Text("t.name"),
            "id" => Field::Uuid("t.id"),
            "visibility" => Field::Text("t.visibility"),
            _ => return None,
        })
    },
    names: "slug, name, id or visibility",
};

const AUTHORS: Subject = Subject {
    field: |name| {
        Some(match name {
            "slug" => Field::Text("u.slug"),
            "name" => Field::Text("u.name"),
            "id" => Field::Uuid("u.id"),
            _ => return None,
        })
    },
    names: "slug, name or id",
};

fn post_field(name: &str) -> Option<Field> {
    Some(match name {
        "tag" | "tags" | "tags.slug" => Field::Linked(
            "select 1 from posts_tags pt join tags t on t.id = pt.tag_id where pt.post_id = p.id and t.slug",
        ),
        "author" | "authors" | "authors.slug" => Field::Linked(
            "select 1 from posts_authors pa join users u on u.id = pa.author_id where pa.post_id = p.id and u.slug",
        ),
        "primary_tag" | "primary_tag.slug" => Field::Primary(
            "(select t.slug from posts_tags pt join tags t on t.id = pt.tag_id \
              where pt.post_id = p.id and t.visibility = 'public' order by pt.sort_order, t.name limit 1)",
        ),
        "primary_author" | "primary_author.slug" => Field::Primary(
            "(select u.slug from posts_authors pa join users u on u.id = pa.author_id \
              where pa.post_id = p.id order by pa.sort_order, u.name limit 1)",
        ),
        "featured" => Field::Featured,
        "slug" => Field::Text("p.slug"),
        "title" => Field::Text("p.title"),
        "id" => Field::Id,
        "published_at" => Field::Time("p.published_at"),
        "updated_at" => Field::Time("p.updated_at"),
        "created_at" => Field::Time("p.created_at"),
        "visibility" => Field::Constant("public"),
        "status" => Field::Constant("published"),
        _ => return None,
    })
}

/// Turns a filter into a condition on `subject`'s items (posts `p`, tags `t`, authors `u`).
/// The SQL is put together from the fixed fragments above; every value from the filter is a
/// bound parameter, the first `$first`.
fn condition(
    filter: Option<&Filter>,
    first: usize,
    subject: &Subject,
) -> Result<Condition, String> {
    let mut binds = Vec::new();
    let sql = match filter {
        Some(f) => condition_sql(f, first, &mut binds, subject)?,
        None => "true".into(),
    };
    Ok(Condition { sql, binds })
}

fn condition_sql(
    filter: &Filter,
    first: usize,
    binds: &mut Vec<Bind>,
    subject: &Subject,
) -> Result<String, String> {
    let join = |parts: &[Filter], word: &str, binds: &mut Vec<Bind>| -> Result<String, String> {
        let sql: Vec<String> = parts
            .iter()
            .map(|p| condition_sql(p, first, binds, subject).map(|s| format!("({s})")))
            .collect::<Result<_, _>>()?;
        Ok(sql.join(word))
    };
    let (name, op, value) = match filter {
        Filter::And(parts) => return join(parts, " and ", binds),
        Filter::Or(parts) => return join(parts, " or ", binds),
        Filter::Compare { field, op, value } => (field, *op, value),
    };
    let Some(f) = (subject.field)(name) else {
        return Err(format!(
            "Cannot filter by \"{name}\": use {}.",
            subject.names
        ));
    };
    let refuse = || {
        Err(format!(
            "The filter on \"{name}\" cannot use that comparison."
        ))
    };
    let n = first + binds.len();
    let negate = |sql: String| {
        if op == Op::Not {
            format!("not coalesce(({sql}), false)")
        } else {
            sql
        }
    };
    if !matches!(op, Op::Eq | Op::Not)
        && !matches!(
            (f, op),
            (Field::Time(_), _) | (Field::Text(_), Op::Contains)
        )
    {
        return refuse();
    }
    let sql = match (f, value) {
        (Field::Linked(from), FilterValue::One(v)) => {
            binds.push(Bind::Text(v.to_lowercase()));
            negate(format!("exists ({from} = ${n})"))
        }
        (Field::Linked(from), FilterValue::List(vs)) => {
            binds.push(Bind::Texts(vs.iter().map(|v| v.to_lowercase()).collect()));
            negate(format!("exists ({from} = any(${n}))"))
        }
        (Field::Primary(of), FilterValue::One(v)) => {
            binds.push(Bind::Text(v.to_lowercase()));
            negate(format!("{of} = ${n}"))
        }
        (Field::Primary(of), FilterValue::List(vs)) => {
            binds.push(Bind::Texts(vs.iter().map(|v| v.to_lowercase()).collect()));
            negate(format!("{of} = any(${n})"))
        }
        (Field::Featured, FilterValue::One(v)) => {
            let yes = match v.to_ascii_lowercase().as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => return Err("featured is true or false.".into()),
            };
            binds.push(Bind::Bool(yes));
            negate(format!("p.featured = ${n}"))
        }
        (Field::Text(column), FilterValue::One(v)) if op == Op::Contains => {
            binds.push(Bind::Text(v.to_lowercase()));
            format!("strpos(lower({column}), ${n}) > 0")
        }
        (Field::Text(column), FilterValue::One(v)) => {
            binds.push(Bind::Text(v.clone()));
            negate(format!("{column} = ${n}"))
        }
        (Field::Text(column), FilterValue::List(vs)) => {
            binds.push(Bind::Texts(vs.clone()));
            negate(format!("{column} = any(${n})"))
        }
        (Field::Id, FilterValue::One(v)) => {
            binds.push(Bind::Text(v.to_lowercase()));
            negate(format!(
                "p.feed_guid = ${n} or replace(p.id::text, '-', '') = ${n}"
            ))
        }
        (Field::Id, FilterValue::List(vs)) => {
            binds.push(Bind::Texts(vs.iter().map(|v| v.to_lowercase()).collect()));
            negate(format!(
                "p.feed_guid = any(${n}) or replace(p.id::text, '-', '') = any(${n})"
            ))
        }
        (Field::Uuid(column), FilterValue::One(v)) => {
            binds.push(Bind::Text(v.to_lowercase().replace('-', "")));
            negate(format!("replace({column}::text, '-', '') = ${n}"))
        }
        (Field::Uuid(column), FilterValue::List(vs)) => {
            binds.push(Bind::Texts(
                vs.iter()
                    .map(|v| v.to_lowercase().replace('-', ""))
                    .collect(),
            ));
            negate(format!("replace({column}::text, '-', '') = any(${n})"))
        }
        (Field::Time(column), FilterValue::One(v)) => {
            let at = parse_time(v).ok_or_else(|| {
                format!("\"{v}\" is not a date: use 2026-01-31 or 2026-01-31 10:00:00.")
            })?;
            binds.push(Bind::Time(at));
            let cmp = match op {
                Op::Eq => "=",
                Op::Not => "<>",
                Op::Gt => ">",
                Op::Gte => ">=",
                Op::Lt => "<",
                Op::Lte => "<=",
                Op::Contains => return refuse(),
            };
            format!("{column} {cmp} ${n}")
        }
        (Field::Constant(constant), FilterValue::One(v)) => {
            binds.push(Bind::Bool(v.eq_ignore_ascii_case(constant)));
            negate(format!("${n}"))
        }
        _ => return refuse(),
    };
    Ok(sql)
}

/// A date or time as filters write them, in UTC unless it says otherwise.
fn parse_time(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Some(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(at) = chrono::NaiveDateTime::parse_from_str(value, format) {
            return Some(at.and_utc());
        }
    }
    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// The post or page `scope` sees whose API id (Ghost's id kept by an import, or the post's
/// uuid in hex) or slug is `key`.
pub async fn post_by(
    db: impl PgExecutor<'_>,
    scope: Scope,
    kind: PostType,
    by_slug: bool,
    key: &str,
) -> sqlx::Result<Option<ApiPost>> {
    let condition = if by_slug {
        "p.slug = $2"
    } else {
        "(p.feed_guid = $2 or replace(p.id::text, '-', '') = lower($2) or p.id::text = lower($2))"
    };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {POST_COLUMNS}{} from posts p where p.type = $1 and {} and {condition}",
        staff_columns(scope),
        scope.posts()
    )))
    .bind(kind)
    .bind(key)
    .fetch_optional(db)
    .await
}

/// A tag or an author with how many published posts it has (`count.posts`).
#[derive(Debug, Clone, FromRow)]
pub struct Counted<T> {
    #[sqlx(flatten)]
    pub item: T,
    pub posts: i64,
}

/// One page of the tags `scope` sees matching `filter`, A to Z, with their posts counted
/// (published ones for the public), and how many match in all; or the one whose id or slug is
/// `one`.
pub async fn tags(
    db: &PgPool,
    scope: Scope,
    one: Option<(bool, &str)>,
    filter: Option<&Filter>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Counted<ApiTag>>, i64), ListError> {
    let condition = condition(filter, 6, &TAGS).map_err(ListError::Filter)?;
    let sql = format!(
        "select t.id, t.slug, t.name, t.description, t.feature_image, t.visibility, t.meta_title, \
                t.meta_description, t.accent_color, \
                (select count(*) from posts_tags pt join posts p on p.id = pt.post_id \
                 where pt.tag_id = t.id and {} and p.type = 'post') as posts, \
                count(*) over () as total \
         from tags t \
         where {} and ({}) \
           and (not $1 or (case when $2 then t.slug = $3 \
                else replace(t.id::text, '-', '') = lower($3) or t.id::text = lower($3) end)) \
         order by t.name, t.id limit $4 offset $5",
        scope.posts(),
        scope.tags(),
        condition.sql
    );
    counted_page(db, sql, &condition, one, limit, offset).await
}

/// One page of the active staff who wrote published posts and match `filter`, by name, with
/// their posts counted, and how many match in all; or the one whose id or slug is `one`.
pub async fn authors(
    db: &PgPool,
    one: Option<(bool, &str)>,
    filter: Option<&Filter>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Counted<ApiAuthor>>, i64), ListError> {
    let condition = condition(filter, 6, &AUTHORS).map_err(ListError::Filter)?;
    let sql = format!(
        "select u.id, u.slug, u.name, u.avatar_url as profile_image, u.cover_image, u.bio, \
                u.website, u.location, c.posts, count(*) over () as total \
         from users u \
         join lateral (select count(*) as posts from posts_authors pa join posts p on p.id = pa.post_id \
                       where pa.author_id = u.id and p.status = 'published' and p.type = 'post') c on true \
         where u.status = 'active' and c.posts > 0 and ({}) \
           and (not $1 or (case when $2 then u.slug = $3 \
                else replace(u.id::text, '-', '') = lower($3) or u.id::text = lower($3) end)) \
         order by u.name, u.id limit $4 offset $5",
        condition.sql
    );
    counted_page(db, sql, &condition, one, limit, offset).await
}

/// Runs a list statement of tags or authors: `$1`–`$3` pick the one `one` names (by slug or
/// id), `$4` and `$5` are the page, the filter's values follow; each row carries `total`.
async fn counted_page<T>(
    db: &PgPool,
    sql: String,
    condition: &Condition,
    one: Option<(bool, &str)>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Counted<T>>, i64), ListError>
where
    T: for<'r> FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    #[derive(FromRow)]
    struct Row<T> {
        #[sqlx(flatten)]
        item: Counted<T>,
        total: i64,
    }
    let (by_slug, key) = one.unwrap_or((false, ""));
    let query = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(one.is_some())
        .bind(by_slug)
        .bind(key)
        .bind(limit)
        .bind(offset);
    let rows: Vec<Row<T>> = condition.bind_all(query).fetch_all(db).await?;
    let total = rows.first().map_or(0, |r| r.total);
    Ok((rows.into_iter().map(|r| r.item).collect(), total))
}
