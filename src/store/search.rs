//! Full-text search over the index the database keeps (`post_search`, see
//! `migrations/0010_search.sql`).
//!
//! Hits are ranked in tiers: every word in the title first, then in the title with the tags,
//! custom excerpt and authors, then anywhere in the text; newest first within each, so that a
//! word in half the posts costs a walk through the newest posts until ten match (an index on
//! the date of what readers may find), not a ranking of fifty thousand, while a rare word is
//! looked up in the GIN indexes. The query is written out in each condition, and each search
//! planned with its own words, so that the planner can tell the two apart.

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
    let visible = "s.visible";
    // the query is written out where it is used, not computed once in a CTE: the planner
    // then sees it (the statement is planned for each search, not prepared once), and picks
    // the index for a rare word, or the newest posts first for a common one
    let query = tsquery(1, 2, 3);
    let tier = |n: u8, matches: &str| {
        format!(
            "(select s.post_id, {n} as tier, s.published_at from post_search s \
              where {matches} and {visible} order by s.published_at desc limit $4)"
        )
    };
    let sql = format!(
        "with hits as ({} union all {} union all {}) \
         select p.id, p.type, p.slug, p.title, p.published_at, \
                ts_headline(quire_search_config(), quire_html_text(left(p.html, {SNIPPET_SOURCE_CHARS})), \
                            {query}, '{HEADLINE}') as snippet, \
                coalesce((select jsonb_agg(jsonb_build_object('slug', t.slug, 'name', t.name) \
                                           order by pt.sort_order, t.name) \
                          from posts_tags pt join tags t on t.id = pt.tag_id \
                          where pt.post_id = p.id and t.visibility = 'public'), '[]') as tags \
         from (select * from hits order by tier, published_at desc limit $5 offset $6) h \
         join posts p on p.id = h.post_id \
         order by h.tier, h.published_at desc",
        tier(1, &format!("s.title @@ {query}")),
        tier(
            2,
            &format!("(s.title || s.meta) @@ {query} and not s.title @@ {query}"),
        ),
        tier(
            3,
            &format!("s.document @@ {query} and not (s.title || s.meta) @@ {query}"),
        ),
    );
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    // planned for these words each time, not once for any words (see the module's note)
    sqlx::query("set local plan_cache_mode = force_custom_plan")
        .execute(&mut *tx)
        .await?;
    let hits: Vec<Hit> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(&terms.query)
        .bind(&terms.head)
        .bind(terms.prefix.as_deref())
        .bind(offset + limit)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *tx)
        .await?;
    let total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "select count(*) from (select 1 from post_search s \
         where s.document @@ {query} and {visible} limit {COUNT_CAP}) matched"
    )))
    .bind(&terms.query)
    .bind(&terms.head)
    .bind(terms.prefix.as_deref())
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((hits, total))
}
