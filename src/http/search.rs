//! Reader search: `/search/?q=…&page=N`, rendered with the theme and working without
//! JavaScript, and `/search.json?q=…`, the first results for the search box's suggestions,
//! where the last word, still being typed, also counts as a prefix.
//!
//! Answers are cached like pages, keyed by the search text as it is read and the page, and
//! dropped with them when content changes; a cached search touches no database. A search that
//! is not cached is counted against the client's address (`QUIRE_TRUSTED_PROXIES` says who the
//! client is), [`MAX_SEARCHES`] a minute, on every replica together.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::cache::{CachedPage, PageRoute};
use crate::domain::limits;
use crate::domain::search::{Terms, snippet_html};
use crate::error::{Error, Result};
use crate::http::extract::ClientIp;
use crate::http::respond::cached_response;
use crate::http::site::{error_response, load_settings};
use crate::render::views::{Meta, SiteView, TagLink, display_date, rfc3339_in};
use crate::state::AppState;
use crate::store;
use crate::store::search::{Hit, Window};

/// Results on a page.
pub const PER_PAGE: i64 = 10;
/// Results the search box suggests.
const SUGGESTIONS: i64 = 6;
/// Searches a client may make in [`WINDOW_SECS`] that the cache cannot answer.
pub const MAX_SEARCHES: i32 = 60;
const WINDOW_SECS: i32 = 60;

const PAGE: &str = "/search/";
const JSON: &str = "/search.json";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(search_page))
        .route(JSON, get(search_json))
}

/// The query parameters of a search.
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    q: Option<String>,
    page: Option<String>,
}

impl Params {
    /// The search as typed: the last word also a prefix (the search box's suggestions).
    fn terms(&self) -> Option<Terms> {
        Terms::parse(self.q.as_deref().unwrap_or(""))
    }

    /// The search as submitted: every word finished, none a prefix (the results page).
    fn finished_terms(&self) -> Option<Terms> {
        self.terms().map(Terms::finished)
    }

    /// The page asked for; 404 for one that is not a page number.
    fn page(&self) -> Result<i64> {
        match self.page.as_deref() {
            None | Some("") => Ok(1),
            Some(raw) => limits::parse_page(raw).ok_or(Error::NotFound),
        }
    }
}

/// The page cache's key of a search answer, for cache hits answered in front of the router:
/// `None` for other paths; `Some(None)` for a search whose query cannot be read.
pub fn cache_key(path: &str, query: Option<&str>) -> Option<Option<String>> {
    if path != PAGE && path != JSON {
        return None;
    }
    let params: Option<Params> = serde_urlencoded::from_str(query.unwrap_or("")).ok();
    Some(params.and_then(|p| {
        let terms = if path == PAGE {
            p.finished_terms()
        } else {
            p.terms()
        };
        Some(key_of(path, terms.as_ref(), p.page().ok()?))
    }))
}

fn key_of(path: &str, terms: Option<&Terms>, page: i64) -> String {
    format!(
        "search {path} {page} {}",
        terms.map_or("", |t| t.text.as_str())
    )
}

async fn search_page(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let terms = params.finished_terms();
    let answer = async {
        let page = params.page()?;
        s.cache
            .get_or_render(&key_of(PAGE, terms.as_ref(), page), async {
                let mut rendered = render_page(&s, ip, terms.as_ref(), page).await?;
                rendered.route = Some(PageRoute::new(PAGE));
                Ok(rendered)
            })
            .await
    };
    match answer.await {
        Ok(page) => cached_response(&page, &headers),
        Err(e) => error_response(&s, e),
    }
}

async fn search_json(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let terms = params.terms();
    let answer = s
        .cache
        .get_or_render(&key_of(JSON, terms.as_ref(), 1), async {
            let body = match &terms {
                None => json!({"query": "", "results": [], "more": false}),
                Some(terms) => {
                    let window = Window {
                        limit: SUGGESTIONS,
                        offset: 0,
                        snippets: false,
                    };
                    let (hits, found) = find(&s, ip, terms, window).await?;
                    let results: Vec<ResultView> =
                        hits.iter().map(|h| ResultView::new(&s, h)).collect();
                    json!({"query": terms.text, "results": results, "more": found > SUGGESTIONS})
                }
            };
            let mut page = CachedPage::new(
                StatusCode::OK,
                "application/json; charset=utf-8",
                body.to_string(),
            );
            page.route = Some(PageRoute::new(JSON));
            Ok(page)
        })
        .await;
    match answer {
        Ok(page) => cached_response(&page, &headers),
        Err(e) => e.into_response(),
    }
}

/// Counts an uncached search against the client's address, then searches.
async fn find(
    s: &AppState,
    ip: Option<std::net::IpAddr>,
    terms: &Terms,
    window: Window,
) -> Result<(Vec<Hit>, i64)> {
    let walked_since = s
        .cache
        .search_walk(async { Ok(store::search::walk_bound(&s.db).await?) })
        .await?;
    let mut tx = s.db.begin().await?;
    if let Some(ip) = ip {
        let keys = [format!("search:address:{ip}")];
        if let Some(wait) =
            store::limits::attempt(&mut *tx, &keys, &[MAX_SEARCHES], WINDOW_SECS).await?
        {
            tx.commit().await?;
            return Err(Error::TooManyRequests(wait.max(1)));
        }
    }
    let found = store::search::published(&mut tx, terms, window, walked_since).await?;
    tx.commit().await?;
    Ok(found)
}

/// A result as the theme and the JSON show it.
#[derive(Debug, Serialize)]
struct ResultView {
    title: String,
    url: String,
    published_at: Option<String>,
    published_display: Option<String>,
    tags: Vec<TagLink>,
    /// The matching passage, escaped, matches in `<mark>` (not in the suggestions).
    #[serde(skip_serializing_if = "String::is_empty")]
    snippet_html: String,
}

impl ResultView {
    fn new(s: &AppState, hit: &Hit) -> Self {
        let zone = s.last_settings.load().zone();
        ResultView {
            title: hit.title.clone(),
            url: format!("/{}/", hit.slug),
            published_at: hit.published_at.map(|at| rfc3339_in(at, zone)),
            published_display: hit.published_at.map(|at| display_date(at, zone)),
            tags: hit
                .tags
                .iter()
                .map(|t| TagLink {
                    name: t.name.clone(),
                    url: format!("/tag/{}/", t.slug),
                })
                .collect(),
            snippet_html: snippet_html(&hit.snippet),
        }
    }
}

#[derive(Serialize)]
struct SearchPage<'a> {
    site: SiteView<'a>,
    meta: Meta,
    body_class: &'static str,
    query: String,
    searched: bool,
    results: Vec<ResultView>,
    /// Matches: all of them, or, with `total_capped`, those up to this page's end.
    total: i64,
    /// More matches than `total`.
    total_capped: bool,
    page: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
}

async fn render_page(
    s: &AppState,
    ip: Option<std::net::IpAddr>,
    terms: Option<&Terms>,
    page: i64,
) -> Result<CachedPage> {
    let settings = {
        let mut conn = s.db.acquire().await?;
        load_settings(s, &mut conn).await?
    };
    let offset = limits::page_offset(page, PER_PAGE).ok_or(Error::NotFound)?;
    let (hits, total) = match terms {
        Some(terms) => {
            let window = Window {
                limit: PER_PAGE,
                offset,
                snippets: true,
            };
            find(s, ip, terms, window).await?
        }
        None => (Vec::new(), 0),
    };
    if page > 1 && hits.is_empty() {
        return Err(Error::NotFound);
    }
    let query = terms.map_or(String::new(), |t| t.text.clone());
    let link = |page: i64| {
        format!(
            "{PAGE}?{}",
            serde_urlencoded::to_string([("q", query.as_str()), ("page", &page.to_string())])
                .unwrap_or_default()
        )
    };
    let shown = offset + i64::try_from(hits.len()).unwrap_or(0);
    let title = if query.is_empty() {
        format!("Search – {}", settings.title)
    } else {
        format!("“{query}” – Search – {}", settings.title)
    };
    let context = SearchPage {
        site: SiteView::new(&settings, &s.site_url, PAGE),
        meta: Meta {
            title,
            description: format!("Search {}", settings.title),
            canonical: format!("{}{PAGE}", s.site_url),
            og_type: "website",
            robots: Some("noindex"),
            ..Meta::default()
        },
        body_class: "search-template",
        searched: terms.is_some(),
        results: hits.iter().map(|h| ResultView::new(s, h)).collect(),
        total: total.min(offset + PER_PAGE),
        total_capped: total > offset + PER_PAGE,
        page,
        prev_url: (page > 1).then(|| link(page - 1)),
        next_url: (shown < total).then(|| link(page + 1)),
        query,
    };
    let html = s.templates.render("search.html", &context)?;
    Ok(CachedPage::new(
        StatusCode::OK,
        "text/html; charset=utf-8",
        html,
    ))
}
