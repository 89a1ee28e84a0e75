//! Full-text search over the index the database keeps (`post_search`, see
//! `migrations/0010_search.sql`).
//!
//! Hits are ranked in tiers: every word in the title first, then in the title with the tags,
//! custom excerpt and authors, then anywhere in the text; by relevance within the first two
//! (small vectors, cheap to rank) and newest first in the third, so that a word in half the
//! posts costs the ten newest matches, not a ranking of fifty thousand.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use crate::domain::post::PostType;
use crate::domain::search::Terms;

/// Matches counted at most: past it, "1,000 or more".
pub const COUNT_CAP: i64 = 1000;

/// A search's `tsquery`, from its [`Terms`] bound as `$text`, `$head` and `$prefix`: the
/// whole text as `websearch_to_tsquery` reads it, or, when its last word may be unfinished,
/// the text before it with that word as a prefix.
pub fn tsquery(text: u8, head: u8, prefix: u8) -> String {
    format!(
        "(websearch_to_tsquery(quire_search_config(), ${text}) || \
         case when ${prefix}::text is null then ''::tsquery \
              else websearch_to_tsquery(quire_search_config(), ${head}) \
                   && to_tsquery(quire_search_config(), quote_literal(${prefix}) || ':*') end)"
    )
}

/// How snippets are cut and marked: private-use characters around each match, which the
/// caller turns into `<mark>` after escaping the text (see `domain::search::snippet_html`).
pub const HEADLINE: &str = "StartSel=\u{E000}, StopSel=\u{E001}, MaxWords=30, MinWords=12, \
    MaxFragments=2, FragmentDelimiter=\" … \"";

/// Text read for a snippet, at most (the start of a long post).
const SNIPPET_SOURCE_CHARS: i32 = 60_000;

/// A post or page that matches, with a snippet of the matching passage.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Hit {
    pub id: Uuid,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub kind: PostType,
    pub slug: String,
    pub title: String,
    pub published_at: Option<DateTime<Utc>>,
    /// Plain text, matches between U+E000 and U+E001.
    pub snippet: String,
    /// Public tags: `[{"slug", "name"}]`.
    pub tags: Json<Vec<HitTag>>,
}

#[derive(Debug, Clone, serde::Deserialize, Serialize)]
pub struct HitTag {
    pub slug: String,
    pub name: String,
}

/// One page of the published posts and pages matching `terms`, and how many match (at most
/// [`COUNT_CAP`]).
pub async fn published(
    conn: &mut PgConnection,
    terms: &Terms,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<Hit>, i64)> {
    let visible = "p.status = 'published'";
    let with_query = format!("q as (select {} as query)", tsquery(1, 2, 3));
    let tier = |n: u8, matches: &str, rank: &str| {
        format!(
            "(select s.post_id, {n} as tier, {rank} as rank, p.published_at \
              from q, post_search s join posts p on p.id = s.post_id \
              where {matches} and {visible} \
              order by rank desc, p.published_at desc nulls last limit $4)"
        )
    };
    let sql = format!(
        "with {with_query}, hits as ({} union all {} union all {}) \
         select p.id, p.type, p.slug, p.title, p.published_at, \
                ts_headline(quire_search_config(), quire_html_text(left(p.html, {SNIPPET_SOURCE_CHARS})), \
                            q.query, '{HEADLINE}') as snippet, \
                coalesce((select jsonb_agg(jsonb_build_object('slug', t.slug, 'name', t.name) \
                                           order by pt.sort_order, t.name) \
                          from posts_tags pt join tags t on t.id = pt.tag_id \
                          where pt.post_id = p.id and t.visibility = 'public'), '[]') as tags \
         from (select * from hits order by tier, rank desc, published_at desc nulls last \
               limit $5 offset $6) h \
         join posts p on p.id = h.post_id cross join q \
         order by h.tier, h.rank desc, h.published_at desc nulls last",
        tier(1, "s.title @@ q.query", "ts_rank(s.title, q.query)"),
        tier(
            2,
            "(s.title || s.meta) @@ q.query and not s.title @@ q.query",
            "ts_rank(s.title || s.meta, q.query)",
        ),
        tier(
            3,
            "s.document @@ q.query and not (s.title || s.meta) @@ q.query",
            "0::real",
        ),
    );
    let hits: Vec<Hit> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(&terms.query)
        .bind(&terms.head)
        .bind(terms.prefix.as_deref())
        .bind(offset + limit)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await?;
    let total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "with {with_query} select count(*) from (select 1 from q, post_search s join posts p on p.id = s.post_id \
         where s.document @@ q.query and {visible} limit {COUNT_CAP}) matched"
    )))
    .bind(&terms.query)
    .bind(&terms.head)
    .bind(terms.prefix.as_deref())
    .fetch_one(&mut *conn)
    .await?;
    Ok((hits, total))
}
