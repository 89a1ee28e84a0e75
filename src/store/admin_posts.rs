//! Posts as the admin reads and writes them: every field, any status.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::post::{PostStatus, PostType};
use crate::domain::revision::RevisionFields;
use crate::domain::search::Terms;
use crate::domain::snippet::{Marks, snippet};
use crate::render::markdown::Rendered;
use crate::store::posts::{AuthorRef, TagRef};
use crate::store::search;

/// A post with everything the editor shows.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct AdminPost {
    pub id: Uuid,
    pub preview_id: Uuid,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub kind: PostType,
    pub status: PostStatus,
    pub slug: String,
    pub title: String,
    pub markdown: String,
    pub html: String,
    /// The author's own excerpt, if any.
    pub custom_excerpt: Option<String>,
    /// What lists and feeds show: the custom excerpt or the generated one.
    pub summary: String,
    pub feature_image: Option<String>,
    pub feature_image_alt: Option<String>,
    pub feature_image_caption: Option<String>,
    pub featured: bool,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_url: Option<String>,
    pub codeinjection_head: Option<String>,
    pub codeinjection_foot: Option<String>,
    pub word_count: i32,
    pub reading_time: i32,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    pub tags: Json<Vec<TagRef>>,
    pub authors: Json<Vec<AuthorRefWithId>>,
    /// In a search's list: the matching passage, plain text, matches between U+E000 and
    /// U+E001.
    #[sqlx(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
}

impl AdminPost {
    /// What a revision of the post as it is now keeps beside its title and text.
    pub fn revision_fields(&self) -> RevisionFields {
        RevisionFields {
            custom_excerpt: self.custom_excerpt.clone(),
            feature_image: self.feature_image.clone(),
            feature_image_alt: self.feature_image_alt.clone(),
            feature_image_caption: self.feature_image_caption.clone(),
            featured: self.featured,
            tags: self.tags.iter().map(|t| t.name.clone()).collect(),
            meta_title: self.meta_title.clone(),
            meta_description: self.meta_description.clone(),
            canonical_url: self.canonical_url.clone(),
        }
    }
}

/// An author with the id the admin needs for ownership checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AuthorRefWithId {
    pub id: Uuid,
    #[serde(flatten)]
    pub author: AuthorRef,
}

const COLUMNS: &str = "id, preview_id, type, status, slug, title, markdown, html, custom_excerpt, summary, \
    feature_image, feature_image_alt, feature_image_caption, featured, meta_title, meta_description, \
    canonical_url, codeinjection_head, codeinjection_foot, word_count, reading_time, published_at, \
    created_at, updated_at, version, tags, authors";

pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<AdminPost>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from posts_with_links where id = $1"
    )))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Filters of the admin's post list.
#[derive(Debug, Clone, Default)]
pub struct AdminFilter {
    pub kind: Option<PostType>,
    pub status: Option<PostStatus>,
    pub tag: Option<String>,
    pub author: Option<String>,
    /// A full-text search (the readers' index, drafts included).
    pub query: Option<Terms>,
    /// Only posts this user is an author of (Authors and Contributors see their own).
    pub only_author: Option<Uuid>,
}

/// One page of posts, newest first (drafts by last update), and the total.
pub async fn list(
    db: impl PgExecutor<'_>,
    f: &AdminFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<AdminPost>, i64)> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        post: AdminPost,
        total: i64,
        /// In a search: the post's text, the query and its configuration, for the snippet.
        body: Option<String>,
        search_query: Option<String>,
        search_config: Option<String>,
    }
    // the search's text is $5, its head $9, its prefix $10
    let query = search::tsquery(5, 9, 10);
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        r#"
        select {COLUMNS}, count(*) over () as total,
               case when $5::text is null then null
                    else (select s.body from post_search s where s.post_id = p.id) end as body,
               case when $5::text is null then null else {query}::text end as search_query,
               quire_search_config()::text as search_config
        from posts_with_links p
        where ($1::post_type is null or type = $1)
          and ($2::post_status is null or status = $2)
          and ($3::text is null or exists (select 1 from posts_tags pt join tags t on t.id = pt.tag_id
                                           where pt.post_id = p.id and t.slug = $3))
          and ($4::text is null or exists (select 1 from posts_authors pa join users u on u.id = pa.author_id
                                           where pa.post_id = p.id and u.slug = $4))
          and ($5::text is null or p.id in (select s.post_id from post_search s
                                            where s.document @@ {query}))
          and ($6::uuid is null or exists (select 1 from posts_authors pa where pa.post_id = p.id and pa.author_id = $6))
        order by coalesce(published_at, updated_at) desc, id desc
        limit $7 offset $8
        "#
    )))
    .bind(f.kind)
    .bind(f.status)
    .bind(f.tag.as_deref())
    .bind(f.author.as_deref())
    .bind(f.query.as_ref().map(|t| t.query.as_str()))
    .bind(f.only_author)
    .bind(limit)
    .bind(offset)
    .bind(f.query.as_ref().map(|t| t.head.as_str()))
    .bind(f.query.as_ref().and_then(|t| t.prefix.as_deref()))
    .fetch_all(db)
    .await?;
    let total = rows.first().map_or(0, |r| r.total);
    let marks = rows.first().and_then(|r| {
        Some(Marks::new(
            r.search_query.as_deref()?,
            r.search_config.as_deref()?,
        ))
    });
    let posts = rows
        .into_iter()
        .map(|r| AdminPost {
            snippet: marks
                .as_ref()
                .zip(r.body.as_deref())
                .map(|(marks, body)| snippet(body, marks)),
            ..r.post
        })
        .collect();
    Ok((posts, total))
}

/// Every field a writer sets.
#[derive(Debug, Clone)]
pub struct PostFields {
    pub kind: PostType,
    pub status: PostStatus,
    pub slug: String,
    pub title: String,
    pub markdown: String,
    pub rendered: Rendered,
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
    pub published_at: Option<DateTime<Utc>>,
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    f: &PostFields,
    created_by: Option<Uuid>,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        r#"
        insert into posts (type, status, slug, title, markdown, html, excerpt, word_count, reading_time,
                           custom_excerpt, feature_image, feature_image_alt, feature_image_caption, featured,
                           meta_title, meta_description, canonical_url, codeinjection_head,
                           codeinjection_foot, published_at, created_by)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
        returning id
        "#,
        f.kind as PostType,
        f.status as PostStatus,
        &f.slug,
        &f.title,
        &f.markdown,
        &f.rendered.html,
        &f.rendered.excerpt,
        f.rendered.word_count,
        f.rendered.reading_time,
        f.custom_excerpt.as_deref(),
        f.feature_image.as_deref(),
        f.feature_image_alt.as_deref(),
        f.feature_image_caption.as_deref(),
        f.featured,
        f.meta_title.as_deref(),
        f.meta_description.as_deref(),
        f.canonical_url.as_deref(),
        f.codeinjection_head.as_deref(),
        f.codeinjection_foot.as_deref(),
        f.published_at,
        created_by
    )
    .fetch_one(db)
    .await
}

/// Writes every field and bumps the version; the caller holds the row lock.
pub async fn update(db: impl PgExecutor<'_>, id: Uuid, f: &PostFields) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        update posts set type = $2, status = $3, slug = $4, title = $5, markdown = $6, html = $7,
               excerpt = $8, word_count = $9, reading_time = $10, custom_excerpt = $11,
               feature_image = $12, feature_image_alt = $13, feature_image_caption = $14,
               featured = $15, meta_title = $16, meta_description = $17, canonical_url = $18,
               codeinjection_head = $19, codeinjection_foot = $20, published_at = $21,
               version = version + 1, updated_at = now()
        where id = $1
        "#,
        id,
        f.kind as PostType,
        f.status as PostStatus,
        &f.slug,
        &f.title,
        &f.markdown,
        &f.rendered.html,
        &f.rendered.excerpt,
        f.rendered.word_count,
        f.rendered.reading_time,
        f.custom_excerpt.as_deref(),
        f.feature_image.as_deref(),
        f.feature_image_alt.as_deref(),
        f.feature_image_caption.as_deref(),
        f.featured,
        f.meta_title.as_deref(),
        f.meta_description.as_deref(),
        f.canonical_url.as_deref(),
        f.codeinjection_head.as_deref(),
        f.codeinjection_foot.as_deref(),
        f.published_at
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Locks a post's row for the rest of the transaction and answers it.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<AdminPost>> {
    sqlx::query_scalar!("select 1 as locked from posts where id = $1 for update", id)
        .fetch_optional(&mut *conn)
        .await?;
    by_id(&mut *conn, id).await
}

pub async fn delete(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    Ok(sqlx::query!("delete from posts where id = $1", id)
        .execute(db)
        .await?
        .rows_affected()
        > 0)
}

/// `base`, or `base-2`, `base-3`, ... whichever no other post uses.
pub async fn free_slug(
    db: impl PgExecutor<'_>,
    base: &str,
    except: Option<Uuid>,
) -> sqlx::Result<String> {
    sqlx::query_scalar!(
        r#"
        select candidate as "candidate!" from (
            select $1::text as candidate, 0 as n
            union all
            select $1 || '-' || n, n from generate_series(2, 10000) n
        ) c
        where not exists (select 1 from posts where slug = c.candidate and id is distinct from $2)
        order by n limit 1
        "#,
        base,
        except
    )
    .fetch_one(db)
    .await
}

/// Replaces a post's tags (in this order) and authors.
pub async fn set_tags(conn: &mut PgConnection, post: Uuid, tags: &[Uuid]) -> sqlx::Result<()> {
    sqlx::query!("delete from posts_tags where post_id = $1", post)
        .execute(&mut *conn)
        .await?;
    sqlx::query!(
        "insert into posts_tags (post_id, tag_id, sort_order) select $1, t, o - 1 from unnest($2::uuid[]) with ordinality as x(t, o)",
        post,
        tags
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn set_authors(
    conn: &mut PgConnection,
    post: Uuid,
    authors: &[Uuid],
) -> sqlx::Result<()> {
    sqlx::query!("delete from posts_authors where post_id = $1", post)
        .execute(&mut *conn)
        .await?;
    sqlx::query!(
        "insert into posts_authors (post_id, author_id, sort_order) select $1, a, o - 1 from unnest($2::uuid[]) with ordinality as x(a, o)",
        post,
        authors
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A saved state of a post, as the list of revisions shows it.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct RevisionSummary {
    pub id: i64,
    pub version: i32,
    pub title: String,
    pub author_id: Option<Uuid>,
    pub author_name: Option<String>,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    /// When it last changed: saves close together are one revision.
    pub saved_at: DateTime<Utc>,
}

/// A saved state of a post, whole.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Revision {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub summary: RevisionSummary,
    pub markdown: String,
    /// Null for revisions recorded before revisions kept more than title and text.
    pub fields: Option<Json<RevisionFields>>,
}

/// A revision about to be recorded.
pub struct NewRevision<'a> {
    pub post: Uuid,
    /// The post's version it holds (for a refused edit: the version it was based on).
    pub version: i32,
    pub title: &'a str,
    pub markdown: &'a str,
    pub fields: &'a RevisionFields,
    pub author: Option<Uuid>,
    pub reason: &'a str,
}

/// Keeps this many revisions per post.
pub const REVISIONS_KEPT: i64 = 50;

/// Saves by one writer within this many minutes of the revision's first save are one
/// revision, so autosaves and quick fixes do not push older versions out of the list.
pub const REVISION_WINDOW_MINUTES: i32 = 10;

/// Records a revision: a plain save folds into the newest revision when that one is a plain
/// save by the same writer, started within the window; anything else is a revision of its own.
pub async fn add_revision(conn: &mut PgConnection, r: &NewRevision<'_>) -> sqlx::Result<()> {
    let fields = Json(r.fields);
    let folded = sqlx::query!(
        r#"
        update revisions set version = $2, title = $3, markdown = $4, fields = $5, saved_at = now()
        where id = (select id from revisions where post_id = $1 order by id desc limit 1)
          and $6 = 'save' and reason = 'save' and author_id = $7
          and created_at > now() - make_interval(mins => $8)
        "#,
        r.post,
        r.version,
        r.title,
        r.markdown,
        fields as _,
        r.reason,
        r.author,
        REVISION_WINDOW_MINUTES,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if folded > 0 {
        return Ok(());
    }
    sqlx::query!(
        r#"insert into revisions (post_id, version, title, markdown, fields, author_id, reason)
           values ($1, $2, $3, $4, $5, $6, $7)"#,
        r.post,
        r.version,
        r.title,
        r.markdown,
        fields as _,
        r.author,
        r.reason
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"delete from revisions where post_id = $1 and id not in (
               select id from revisions where post_id = $1 order by id desc limit $2)"#,
        r.post,
        REVISIONS_KEPT
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A post's revisions, newest first, without their text.
pub async fn revisions(db: impl PgExecutor<'_>, post: Uuid) -> sqlx::Result<Vec<RevisionSummary>> {
    sqlx::query_as!(
        RevisionSummary,
        r#"select r.id, r.version, r.title, r.author_id, u.name as "author_name?", r.reason,
                  r.created_at, r.saved_at
           from revisions r left join users u on u.id = r.author_id
           where r.post_id = $1 order by r.id desc"#,
        post
    )
    .fetch_all(db)
    .await
}

/// One revision of a post, whole.
pub async fn revision(
    db: impl PgExecutor<'_>,
    post: Uuid,
    id: i64,
) -> sqlx::Result<Option<Revision>> {
    let row = sqlx::query!(
        r#"select r.id, r.version, r.title, r.author_id, u.name as "author_name?", r.reason,
                  r.created_at, r.saved_at, r.markdown, r.fields as "fields: Json<RevisionFields>"
           from revisions r left join users u on u.id = r.author_id
           where r.post_id = $1 and r.id = $2"#,
        post,
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| Revision {
        summary: RevisionSummary {
            id: r.id,
            version: r.version,
            title: r.title,
            author_id: r.author_id,
            author_name: r.author_name,
            reason: r.reason,
            created_at: r.created_at,
            saved_at: r.saved_at,
        },
        markdown: r.markdown,
        fields: r.fields,
    }))
}

/// The newest revision that was saved, which says who saved the post last.
pub async fn last_revision(
    db: impl PgExecutor<'_>,
    post: Uuid,
) -> sqlx::Result<Option<RevisionSummary>> {
    sqlx::query_as!(
        RevisionSummary,
        r#"select r.id, r.version, r.title, r.author_id, u.name as "author_name?", r.reason,
                  r.created_at, r.saved_at
           from revisions r left join users u on u.id = r.author_id
           where r.post_id = $1 and r.reason <> 'conflict' order by r.id desc limit 1"#,
        post
    )
    .fetch_optional(db)
    .await
}
