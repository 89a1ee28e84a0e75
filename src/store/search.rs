//! Full-text search over the index the database keeps (`post_search`, see
//! `migrations/0010_search.sql` and `0011_search_faster.sql`), whose rows also hold what a
//! result shows of its post (`0016_search_hits.sql`): a hit is one row read.
//!
//! Hits are ranked in tiers: every word in the title first, then in the title with the tags,
//! custom excerpt and authors (the heading), then anywhere in the text; newest first within
//! each. Each tier walks the newest posts first, so that a word in half the posts costs a few
//! of them, not a ranking of fifty thousand, then finds the older ones in the GIN indexes,
//! where a rare word costs a look-up; how much either may cost is bounded by the walk's
//! length, not by the planner's guess of how common the words are. The query and the walk's
//! bounds are bound as constants, and each search planned with its own words.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::post::PostType;
use crate::domain::search::Terms;
use crate::domain::snippet::{Marks, snippet};
use crate::domain::tsquery::Query;

/// The newest posts a search walks through first, newest first, checking each; older ones it
/// finds through the GIN indexes. A word in most posts is answered from the first few; a
/// rarer one costs at most this walk and then the index, which holds few enough posts for it
/// (fewer than wanted among the newest 500 says so) — whatever the planner guesses.
const WALKED: i64 = 500;

/// The date of the oldest of the [`WALKED`] newest published posts, where a search's walk ends
/// (`None` while there are fewer): read once per content version by each replica (see
/// `cache::PageCache::search_walk`), as only a change of content moves it. A bound older than
/// the posts is only slower, never wrong: the posts before it are found in the indexes.
pub async fn walk_bound(db: impl PgExecutor<'_>) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar(
        "select published_at from post_search where visible \
         order by published_at desc offset $1 limit 1",
    )
    .bind(WALKED - 1)
    .fetch_optional(db)
    .await
    .map(Option::flatten)
}

/// A search's `tsquery`, from its [`Terms`] bound as `$text`, `$head` and `$prefix`: the
/// whole text as `websearch_to_tsquery` reads it, or, when its last word may be unfinished,
/// the text before it and that word as a prefix (which matches the word itself too).
pub fn tsquery(text: u8, head: u8, prefix: u8) -> String {
    format!(
        "(case when ${prefix}::text is null then websearch_to_tsquery(quire_search_config(), ${text}) \
               else websearch_to_tsquery(quire_search_config(), ${head}) \
                    && to_tsquery(quire_search_config(), quote_literal(${prefix}) || ':*') end)"
    )
}

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
    /// Plain text, matches between U+E000 and U+E001 (see `domain::snippet`).
    #[sqlx(skip)]
    pub snippet: String,
    /// Public tags: `[{"slug", "name"}]`.
    pub tags: Json<Vec<HitTag>>,
}

#[derive(Debug, Clone, serde::Deserialize, Serialize)]
pub struct HitTag {
    pub slug: String,
    pub name: String,
}

/// What a search asks for: a page of `limit` hits from `offset`, with snippets or not (a
/// snippet is cut from the post's text parsed again: about half a millisecond each).
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub limit: i64,
    pub offset: i64,
    pub snippets: bool,
}

/// One page of the published posts and pages matching `terms`, and how many match up to the
/// page's end and one more (which says there are more).
///
/// A search that only excludes (`-word`, `this or -that`) matches nearly everything and no
/// index can answer it: it finds nothing.
///
/// Runs in the caller's transaction, which it sets to plan for these words, without the
/// sequential scans and parallel workers that would only slow a search down, and to commit
/// without waiting for the disk: a search writes nothing (a caller's rate-limit count is not
/// worth the wait).
pub async fn published(
    tx: &mut PgConnection,
    terms: &Terms,
    window: Window,
    walked_since: Option<DateTime<Utc>>,
) -> sqlx::Result<(Vec<Hit>, i64)> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        hit: Hit,
        /// The post's text, when snippets are asked for.
        body: String,
        total: i64,
    }
    let Window {
        limit,
        offset,
        snippets,
    } = window;
    // the query and the configuration, read first and bound as constants: the planner then
    // sees the words (each search is planned for its own, not prepared once for any) and
    // nothing is parsed again for each post a walk looks at
    #[derive(FromRow)]
    struct Prepared {
        query: String,
        config: String,
        indexed: bool,
    }
    let Prepared {
        query,
        config,
        indexed,
    } = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select q::text as query, quire_search_config()::text as config, \
                querytree(q) not in ('T', '') as indexed, \
                set_config('plan_cache_mode', 'force_custom_plan', true) \
                || set_config('enable_seqscan', 'off', true) \
                || set_config('max_parallel_workers_per_gather', '0', true) \
                || set_config('synchronous_commit', 'off', true) as settings \
         from (select {} as q) query",
        tsquery(1, 2, 3)
    )))
    .bind(&terms.query)
    .bind(&terms.head)
    .bind(terms.prefix.as_deref())
    .fetch_one(&mut *tx)
    .await?;
    if !indexed {
        return Ok((Vec::new(), 0));
    }
    // the pairs of adjacent words the query's phrases need, which the index finds where the
    // index of words would find every post holding the words anywhere
    let parsed = Query::parse(&query);
    let pairs = parsed.as_ref().and_then(|q| q.pairs(" "));
    let heading_pairs = parsed.as_ref().and_then(|q| q.pairs("  "));
    // and the words it asks for beside its phrases, which the index of words answers without
    // reading a post: a phrase beside a word few posts hold then costs a few posts, not every
    // post holding the phrase read whole
    let words = parsed.as_ref().and_then(Query::other_words);
    // a post whose title or heading matches holds every word in its text too, but may hold
    // a word the search leaves out: only then is its text read, and only for the hits found
    let excludes = parsed.as_ref().is_none_or(Query::excludes);
    let checked = if excludes {
        "where h.tier = 3 or exists (select 1 from post_search x \
                                     where x.post_id = h.post_id and x.document @@ $1::tsquery)"
    } else {
        ""
    };
    // each tier: the newest posts walked (stopping as soon as enough match), then the older
    // ones from the index, sorted (`nulls last` keeps the planner from walking them: a walk
    // past posts that do not match is what a wrong guess of the planner costs). A tier holds
    // the one before it (every word in the title is every word in the heading, is every word
    // in the post), so that none is a sliver of a large set the index cannot narrow; a post
    // is ranked in the first tier it is in. A title or heading holding the words asked for is
    // all its tier looks at (reading the post's whole text is the cost of a search); when the
    // search leaves words out, its hits are then checked whole (`checked`), and one whose
    // text holds such a word is dropped (its tier's page then has one post fewer, so one more
    // comes from the tier after it).
    //
    // one date range of a tier: walked newest first, or (the older posts) found in the indexes
    let part = |n: u8, matches: &str, indexed: bool| {
        // (a title is short and in the table's row: its own index, then a look at the few
        // titles holding a phrase's words, is cheaper than the posts whose heading holds its
        // pairs)
        let phrase = pairs.is_some() && n > 1;
        let (dates, matches, order) = match (phrase, indexed) {
            (_, false) => (
                "s.published_at >= coalesce($2, '-infinity')",
                matches.to_owned(),
                "",
            ),
            // the posts holding a phrase's pairs (in the heading for the heading tier; in the
            // text, with the other words asked for), from their indexes alone, each then
            // checked (`is true` keeps the condition out of the indexes, which would have
            // every post they find read whole again)
            (true, true) => (
                "s.published_at < $2",
                format!(
                    "s.pairs @@ ${}::tsquery{} and ({matches}) is true",
                    if n == 3 { 7 } else { 8 },
                    if n == 3 && words.is_some() {
                        " and s.document @@ $9::tsquery"
                    } else {
                        ""
                    }
                ),
                " nulls last",
            ),
            (false, true) => ("s.published_at < $2", matches.to_owned(), " nulls last"),
        };
        format!(
            "(select s.post_id, {n} as tier, s.published_at from post_search s \
              where s.visible and {dates} and {matches} \
              order by s.published_at desc{order} limit $3)"
        )
    };
    let tier = |n: u8, matches: &str| {
        format!(
            "(select * from ({} union all {}) tier{n} limit $3)",
            part(n, matches, false),
            part(n, matches, true)
        )
    };
    let sql = format!(
        "with hits as materialized ({} union all {} union all {}), \
         ranked as materialized (select distinct on (post_id) post_id, tier, published_at \
                                 from hits h {checked} order by post_id, tier) \
         select s.post_id as id, s.hit_type as type, s.hit_slug as slug, s.hit_title as title, \
                s.published_at, case when $6 then s.body else '' end as body, \
                s.hit_tags as tags, (select count(*) from ranked) as total \
         from (select * from ranked order by tier, published_at desc limit $4 offset $5) h \
         join post_search s on s.post_id = h.post_id \
         order by h.tier, h.published_at desc",
        tier(1, "s.title @@ $1::tsquery"),
        tier(2, "s.heading @@ $1::tsquery"),
        tier(3, "s.document @@ $1::tsquery"),
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(&query)
        .bind(walked_since)
        .bind(offset + limit + 1)
        .bind(limit)
        .bind(offset)
        .bind(snippets)
        .bind(pairs.as_deref())
        .bind(heading_pairs.as_deref())
        .bind(words.as_deref())
        .fetch_all(&mut *tx)
        .await?;
    let total = rows.first().map_or(0, |r| r.total);
    let marks = Marks::new(&query, &config);
    let hits = rows
        .into_iter()
        .map(|r| Hit {
            snippet: if snippets {
                snippet(&r.body, &marks)
            } else {
                String::new()
            },
            ..r.hit
        })
        .collect();
    Ok((hits, total))
}
