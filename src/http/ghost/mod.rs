//! Ghost 5's APIs: the Content API under `/ghost/api/content/` here, for the front ends and
//! tools built on `@tryghost/content-api`, and the Admin API in [`admin`]: the same paths,
//! parameters, JSON shapes, pagination and errors. The shapes of posts, tags and authors are
//! made here for both, and for the webhooks' payloads.
//!
//! Every Content API call carries an integration's Content API key as `?key=`. What is
//! answered is what the site shows: published posts and pages, public tags, the authors of
//! published posts and the site's settings. Ids are Ghost's where an import kept them, else the
//! uuid in hex.

pub mod admin;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::cache::{CachedPage, PageRoute};
use crate::domain::limits;
use crate::domain::nql;
use crate::domain::post::PostType;
use crate::http::respond::cached_response;
use crate::state::AppState;
use crate::store;
use crate::store::content_api::{ApiAuthor, ApiPost, ApiTag, Counted, ListError, Order, Scope};

/// Items on a page unless `limit` says otherwise, as in Ghost.
pub const DEFAULT_LIMIT: i64 = 15;
/// Items answered for `limit=all`, at most.
pub const MAX_ALL: i64 = 10_000;

pub fn router(upload_max_bytes: usize) -> Router<AppState> {
    Router::new()
        .merge(admin::router(upload_max_bytes))
        .route("/ghost/api/content/{resource}/", get(browse_any))
        .route("/ghost/api/content/{resource}/{id}/", get(read_by_id))
        .route(
            "/ghost/api/content/{resource}/slug/{slug}/",
            get(read_by_slug),
        )
}

/// What the Content API serves, by the name in its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resource {
    Posts,
    Pages,
    Tags,
    Authors,
    Settings,
    Tiers,
}

impl Resource {
    fn parse(name: &str) -> Option<Resource> {
        Some(match name {
            "posts" => Resource::Posts,
            "pages" => Resource::Pages,
            "tags" => Resource::Tags,
            "authors" => Resource::Authors,
            "settings" => Resource::Settings,
            "tiers" => Resource::Tiers,
            _ => return None,
        })
    }
}

/// Which one a read names: by id, or by slug.
enum One {
    Id(String),
    Slug(String),
}

async fn browse_any(
    State(s): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    Path(resource): Path<String>,
    Query(p): Query<Params>,
) -> Response {
    content(&s, &uri, &headers, &p, &resource, None).await
}

async fn read_by_id(
    State(s): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    Path((resource, id)): Path<(String, String)>,
    Query(p): Query<Params>,
) -> Response {
    content(&s, &uri, &headers, &p, &resource, Some(One::Id(id))).await
}

async fn read_by_slug(
    State(s): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    Path((resource, slug)): Path<(String, String)>,
    Query(p): Query<Params>,
) -> Response {
    content(&s, &uri, &headers, &p, &resource, Some(One::Slug(slug))).await
}

/// One Content API call: the resource and, for a read, which one.
async fn content(
    s: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    p: &Params,
    resource: &str,
    one: Option<One>,
) -> Response {
    let Some(resource) = Resource::parse(resource) else {
        return GhostError::not_found("Resource").into_response();
    };
    let one = one.as_ref().map(|o| match o {
        One::Id(id) => (false, id.as_str()),
        One::Slug(slug) => (true, slug.as_str()),
    });
    let render = async {
        match (resource, one) {
            (Resource::Posts, None) => browse(s, p, PostType::Post, Scope::Public).await,
            (Resource::Posts, Some((by_slug, key))) => {
                read(s, p, PostType::Post, by_slug, key).await
            }
            (Resource::Pages, None) => browse(s, p, PostType::Page, Scope::Public).await,
            (Resource::Pages, Some((by_slug, key))) => {
                read(s, p, PostType::Page, by_slug, key).await
            }
            (Resource::Tags, one) => {
                people_or_tags(s, p, one, "tags", "Tag", load_tags, tag_json).await
            }
            (Resource::Authors, one) => {
                people_or_tags(s, p, one, "authors", "Author", load_authors, author_json).await
            }
            (Resource::Settings, None) => settings_answer(s).await,
            (Resource::Tiers, None) => tiers_answer().await,
            (Resource::Settings | Resource::Tiers, Some(_)) => {
                Err(GhostError::not_found("Resource"))
            }
        }
    };
    serve(s, uri, headers, p, render).await
}

/// An error as Ghost answers it: `{"errors": [{"message", "context", "type"}]}`.
pub struct GhostError {
    status: StatusCode,
    kind: &'static str,
    message: String,
    context: Option<String>,
    /// The input field at fault, if one is.
    property: Option<String>,
    /// What went wrong on the server's side: such an answer is not cached.
    cause: Option<Box<crate::error::Error>>,
}

impl GhostError {
    fn unauthorized(context: &str) -> Self {
        GhostError {
            status: StatusCode::UNAUTHORIZED,
            kind: "UnauthorizedError",
            message: "Authorization failed".into(),
            context: Some(context.into()),
            property: None,
            cause: None,
        }
    }

    fn not_found(what: &str) -> Self {
        GhostError {
            status: StatusCode::NOT_FOUND,
            kind: "NotFoundError",
            message: "Resource not found error, cannot read resource.".into(),
            context: Some(format!("{what} not found.")),
            property: None,
            cause: None,
        }
    }

    fn validation(message: String) -> Self {
        GhostError {
            status: StatusCode::BAD_REQUEST,
            kind: "ValidationError",
            message,
            context: None,
            property: None,
            cause: None,
        }
    }

    fn body(&self) -> Value {
        json!({"errors": [{
            "message": self.message,
            "context": self.context,
            "type": self.kind,
            "property": self.property,
        }]})
    }
}

impl From<sqlx::Error> for GhostError {
    fn from(e: sqlx::Error) -> Self {
        GhostError::from(crate::error::Error::from(e))
    }
}

impl From<ListError> for GhostError {
    fn from(e: ListError) -> Self {
        match e {
            ListError::Filter(message) => GhostError::validation(message),
            ListError::Database(e) => GhostError::from(e),
        }
    }
}

impl From<crate::error::Error> for GhostError {
    fn from(error: crate::error::Error) -> Self {
        use crate::error::Error;
        let answer = |status, kind, message: String, context: Option<String>| GhostError {
            status,
            kind,
            message,
            context,
            property: None,
            cause: None,
        };
        match error.root() {
            Error::NotFound => return GhostError::not_found("Resource"),
            Error::Invalid { field, message } => {
                return GhostError {
                    property: field.as_ref().map(|f| f.to_string()),
                    ..answer(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "ValidationError",
                        message.clone(),
                        None,
                    )
                };
            }
            Error::Conflict(message) => {
                return answer(
                    StatusCode::CONFLICT,
                    "UpdateCollisionError",
                    "Saving failed! Someone else is editing this post.".into(),
                    Some(message.clone()),
                );
            }
            Error::Forbidden(reason) => {
                return answer(
                    StatusCode::FORBIDDEN,
                    "NoPermissionError",
                    "You do not have permission to perform this request".into(),
                    reason.clone(),
                );
            }
            Error::TooLarge(message) => {
                return answer(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "RequestEntityTooLargeError",
                    message.clone(),
                    None,
                );
            }
            Error::UnsupportedMedia(message) => {
                return answer(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "UnsupportedMediaTypeError",
                    message.clone(),
                    None,
                );
            }
            _ => {}
        }
        let unavailable = error.status() == StatusCode::SERVICE_UNAVAILABLE;
        GhostError {
            cause: Some(Box::new(error)),
            ..if unavailable {
                answer(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailableError",
                    "The server could not answer; try again.".into(),
                    None,
                )
            } else {
                answer(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalServerError",
                    "The server could not answer; try again.".into(),
                    None,
                )
            }
        }
    }
}

impl IntoResponse for GhostError {
    fn into_response(self) -> Response {
        if let Some(cause) = &self.cause {
            tracing::error!(error = %cause, "Ghost API request failed");
        }
        with_cors((self.status, axum::Json(self.body())).into_response())
    }
}

/// An answer's JSON, or why there is none.
type ApiResult = Result<Value, GhostError>;

/// Any origin may read the answers: the key is public by design, as in Ghost.
fn with_cors(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// Answers a call from the page cache: the key is checked against the keys this cache
/// generation knows (read once after each change to the integrations), then the answer for
/// this path and these parameters is rendered once per generation and served as pages are,
/// with ETags, 304s and compression. A cached answer costs no database query; any change to
/// content, settings or integrations drops it on every replica.
async fn serve(
    s: &AppState,
    uri: &Uri,
    request: &HeaderMap,
    params: &Params,
    render: impl Future<Output = ApiResult>,
) -> Response {
    if let Err(e) = check_key(s, params).await {
        return e.into_response();
    }
    let key = cache_key_of(uri.path(), params);
    let page = s
        .cache
        .get_or_render(&key, async {
            let (status, body) = match render.await {
                Ok(body) => (StatusCode::OK, body),
                Err(GhostError {
                    cause: Some(cause), ..
                }) => return Err(*cause),
                Err(e) => (e.status, e.body()),
            };
            let mut page = CachedPage::new(status, JSON, body.to_string());
            page.route = Some(PageRoute::new(ROUTE));
            page.cors = true;
            Ok(page)
        })
        .await;
    match page {
        Ok(page) => cached_response(&page, request),
        Err(e) => GhostError::from(e).into_response(),
    }
}

const JSON: &str = "application/json; charset=utf-8";
/// The route the Content API's requests are counted under.
const ROUTE: &str = "/ghost/api/content/{resource}/";

/// The page cache's key of a Content API answer: its path and the parameters Ghost knows, in
/// a fixed order (others make no new entry). `None` for other paths; `Some(None)` for a
/// Content API path whose query cannot be read (the router answers it).
pub fn cache_key(path: &str, query: Option<&str>) -> Option<Option<String>> {
    if !path.starts_with("/ghost/api/content/") {
        return None;
    }
    Some(
        serde_urlencoded::from_str::<Params>(query.unwrap_or(""))
            .ok()
            .map(|params| cache_key_of(path, &params)),
    )
}

fn cache_key_of(path: &str, params: &Params) -> String {
    format!("ghost {path} {}", params.canonical())
}

/// The query parameters Ghost's Content API takes.
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    key: Option<String>,
    include: Option<String>,
    fields: Option<String>,
    formats: Option<String>,
    limit: Option<String>,
    page: Option<String>,
    order: Option<String>,
    filter: Option<String>,
}

impl Params {
    fn list(value: &Option<String>) -> Vec<String> {
        value
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// The parameters that shape an answer, in a fixed order: the cache key of the answer
    /// (parameters Ghost does not know make no new entry).
    fn canonical(&self) -> String {
        json!([
            self.key,
            self.include,
            self.fields,
            self.formats,
            self.limit,
            self.page,
            self.order,
            self.filter
        ])
        .to_string()
    }

    fn includes(&self, what: &str) -> bool {
        Self::list(&self.include).iter().any(|i| i == what)
    }

    /// The page size and offset asked for.
    fn paging(&self) -> Result<(i64, i64, bool), GhostError> {
        let (limit, all) = match self.limit.as_deref().map(str::trim) {
            None | Some("") => (DEFAULT_LIMIT, false),
            Some("all") => (MAX_ALL, true),
            Some(n) => match n.parse::<i64>() {
                Ok(n) if (1..=MAX_ALL).contains(&n) => (n, false),
                _ => {
                    return Err(GhostError::validation(format!(
                        "Validation (isInt) failed for limit: use a number from 1 to {MAX_ALL}, or all."
                    )));
                }
            },
        };
        let page = match self.page.as_deref().map(str::trim) {
            None | Some("") => 1,
            Some(n) => match n.parse::<i64>() {
                Ok(n) if (1..=limits::MAX_PAGE).contains(&n) => n,
                _ => {
                    return Err(GhostError::validation(format!(
                        "Validation (isInt) failed for page: pages are numbered from 1 to {}.",
                        limits::MAX_PAGE
                    )));
                }
            },
        };
        let page = if all { 1 } else { page };
        Ok((limit, (page - 1) * limit, all))
    }

    fn order(&self) -> Result<Order, GhostError> {
        match self.order.as_deref().map(str::trim) {
            None | Some("") => Ok(Order::PublishedDesc),
            Some(o) => Order::parse(o).ok_or_else(|| {
                GhostError::validation(format!(
                    "Cannot order by \"{o}\": use published_at, updated_at, created_at, title, slug \
                     or featured, with asc or desc."
                ))
            }),
        }
    }

    /// The `filter` parameter read as NQL, if there is one.
    fn filter(&self) -> Result<Option<nql::Filter>, GhostError> {
        match self.filter.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(f) => nql::parse(f)
                .map(Some)
                .map_err(|e| GhostError::validation(format!("Error parsing filter: {e}."))),
        }
    }

    /// Keeps only the fields asked for with `fields` (all when it is absent).
    fn pick(&self, mut object: Map<String, Value>) -> Value {
        let fields = Self::list(&self.fields);
        if !fields.is_empty() {
            object.retain(|k, _| fields.iter().any(|f| f == k));
        }
        Value::Object(object)
    }
}

/// Checks the Content API key against the keys the cache knows: a query only after a change
/// to the integrations, which drops the cache on every replica, so a deleted key stops at once.
async fn check_key(s: &AppState, params: &Params) -> Result<(), GhostError> {
    let Some(key) = params
        .key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
    else {
        return Err(GhostError::unauthorized(
            "Authorization failed: no Content API key (?key=) was sent.",
        ));
    };
    let keys = s
        .cache
        .content_keys(async {
            Ok(store::integrations::content_keys(&s.db)
                .await?
                .into_iter()
                .collect())
        })
        .await?;
    if !keys.contains(key) {
        return Err(GhostError::unauthorized("Unknown Content API Key"));
    }
    Ok(())
}

/// A date as Ghost writes it: `2024-05-01T09:30:00.000+00:00`.
pub(crate) fn ghost_date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string()
}

pub(crate) fn hex_id(id: uuid::Uuid) -> String {
    id.simple().to_string()
}

fn absolute(s: &AppState, url: &Option<String>) -> Value {
    match url {
        Some(u) if u.starts_with('/') => Value::String(format!("{}{u}", s.site_url)),
        Some(u) => Value::String(u.clone()),
        None => Value::Null,
    }
}

fn tag_json(s: &AppState, tag: &ApiTag, posts: Option<i64>) -> Map<String, Value> {
    let mut o = json!({
        "id": hex_id(tag.id),
        "name": tag.name,
        "slug": tag.slug,
        "description": (!tag.description.is_empty()).then_some(&tag.description),
        "feature_image": absolute(s, &tag.feature_image),
        "visibility": tag.visibility,
        "og_image": null, "og_title": null, "og_description": null,
        "twitter_image": null, "twitter_title": null, "twitter_description": null,
        "meta_title": tag.meta_title,
        "meta_description": tag.meta_description,
        "codeinjection_head": null, "codeinjection_foot": null,
        "canonical_url": null,
        "accent_color": tag.accent_color,
        "url": format!("{}/tag/{}/", s.site_url, tag.slug),
    });
    if let (Some(n), Some(map)) = (posts, o.as_object_mut()) {
        map.insert("count".into(), json!({"posts": n}));
    }
    o.as_object().cloned().unwrap_or_default()
}

fn author_json(s: &AppState, author: &ApiAuthor, posts: Option<i64>) -> Map<String, Value> {
    let mut o = json!({
        "id": hex_id(author.id),
        "name": author.name,
        "slug": author.slug,
        "profile_image": absolute(s, &author.profile_image),
        "cover_image": absolute(s, &author.cover_image),
        "bio": (!author.bio.is_empty()).then_some(&author.bio),
        "website": author.website,
        "location": author.location,
        "facebook": null, "twitter": null,
        "meta_title": null, "meta_description": null,
        "url": format!("{}/author/{}/", s.site_url, author.slug),
    });
    if let (Some(n), Some(map)) = (posts, o.as_object_mut()) {
        map.insert("count".into(), json!({"posts": n}));
    }
    o.as_object().cloned().unwrap_or_default()
}

/// A post or page in Ghost's shape, with the includes and formats asked for. The Admin API
/// (`Scope::Staff`) always includes tags (internal ones too) and authors, adds `status`, and
/// answers the Lexical format unless another is asked for.
fn post_json(s: &AppState, post: &ApiPost, params: &Params, scope: Scope) -> Value {
    let formats = Params::list(&params.formats);
    let wants = |f: &str| formats.iter().any(|x| x == f);
    let staff = scope == Scope::Staff;
    let with_html = wants("html") || (formats.is_empty() && !staff);
    let ghost_id = post.feed_guid.clone().unwrap_or_else(|| hex_id(post.id));
    let mut o = json!({
        "id": ghost_id,
        "uuid": post.id,
        "title": post.title,
        "slug": post.slug,
        "comment_id": ghost_id,
        "feature_image": absolute(s, &post.feature_image),
        "featured": post.featured,
        "visibility": "public",
        "created_at": ghost_date(post.created_at),
        "updated_at": ghost_date(post.updated_at),
        "published_at": post.published_at.map(ghost_date),
        "custom_excerpt": post.custom_excerpt,
        "codeinjection_head": post.codeinjection_head,
        "codeinjection_foot": post.codeinjection_foot,
        "custom_template": null,
        "canonical_url": post.canonical_url,
        "url": format!("{}/{}/", s.site_url, post.slug),
        "excerpt": post.summary,
        "reading_time": post.reading_time,
        "access": true,
        "comments": false,
        "og_image": null, "og_title": null, "og_description": null,
        "twitter_image": null, "twitter_title": null, "twitter_description": null,
        "meta_title": post.meta_title,
        "meta_description": post.meta_description,
        "email_subject": null,
        "frontmatter": null,
        "feature_image_alt": post.feature_image_alt,
        "feature_image_caption": post.feature_image_caption,
    });
    let map = o.as_object_mut().expect("an object");
    if with_html {
        map.insert("html".into(), Value::String(post.html.clone()));
    }
    if wants("plaintext") {
        map.insert(
            "plaintext".into(),
            Value::String(crate::import::ghost::html_to_text(&post.html)),
        );
    }
    if staff {
        map.insert("status".into(), Value::String(post.status.clone()));
        // Quire keeps Markdown: Ghost's editors hold it in a Markdown card, which reads
        // back as the same Markdown
        if wants("lexical") || formats.is_empty() {
            map.insert("lexical".into(), lexical_of(&post.markdown));
        }
        if wants("mobiledoc") {
            map.insert("mobiledoc".into(), mobiledoc_of(&post.markdown));
        }
    }
    // internal tags (`#name`) never leave the site: Ghost's Content API leaves them out too
    if staff || params.includes("tags") {
        let tags: Vec<Value> = post
            .tags
            .iter()
            .filter(|t| staff || t.visibility == "public")
            .map(|t| Value::Object(tag_json(s, t, None)))
            .collect();
        let primary = tags
            .iter()
            .find(|t| t["visibility"] == "public")
            .cloned()
            .unwrap_or(Value::Null);
        map.insert("tags".into(), Value::Array(tags));
        map.insert("primary_tag".into(), primary);
    }
    if staff || params.includes("authors") {
        let authors: Vec<Value> = post
            .authors
            .iter()
            .map(|a| Value::Object(author_json(s, a, None)))
            .collect();
        let primary = authors.first().cloned().unwrap_or(Value::Null);
        map.insert("authors".into(), Value::Array(authors));
        map.insert("primary_author".into(), primary);
    }
    params.pick(o.as_object().cloned().unwrap_or_default())
}

/// A post or page as Ghost's webhooks send it: as the Admin API answers it, with its HTML.
pub(crate) fn post_for_webhook(s: &AppState, post: &ApiPost) -> Value {
    let params = Params {
        formats: Some("html,lexical".into()),
        ..Params::default()
    };
    post_json(s, post, &params, Scope::Staff)
}

/// A tag as Ghost's webhooks send it.
pub(crate) fn tag_for_webhook(s: &AppState, tag: &ApiTag) -> Value {
    Value::Object(tag_json(s, tag, None))
}

/// Markdown as a Lexical document of one Markdown card, serialised as Ghost answers it.
fn lexical_of(markdown: &str) -> Value {
    Value::String(
        json!({"root": {
            "children": [{"type": "markdown", "version": 1, "markdown": markdown}],
            "direction": null, "format": "", "indent": 0, "type": "root", "version": 1,
        }})
        .to_string(),
    )
}

/// Markdown as a Mobiledoc document of one Markdown card, serialised as Ghost answers it.
fn mobiledoc_of(markdown: &str) -> Value {
    Value::String(
        json!({
            "version": "0.3.1", "atoms": [], "markups": [],
            "cards": [["markdown", {"markdown": markdown}]],
            "sections": [[10, 0]],
        })
        .to_string(),
    )
}

/// Ghost's `meta.pagination` for a page of `limit` items from `offset` out of `total`.
fn pagination(limit: i64, offset: i64, total: i64, all: bool) -> Value {
    let page = offset / limit + 1;
    let pages = if all {
        1
    } else {
        ((total + limit - 1) / limit).max(1)
    };
    json!({"pagination": {
        "page": page,
        "limit": if all { json!("all") } else { json!(limit) },
        "pages": pages,
        "total": total,
        "next": if page < pages { json!(page + 1) } else { Value::Null },
        "prev": if page > 1 { json!(page - 1) } else { Value::Null },
    }})
}

/// A page of posts or pages that `scope` sees, with `meta.pagination`.
async fn browse(s: &AppState, params: &Params, kind: PostType, scope: Scope) -> ApiResult {
    let (limit, offset, all) = params.paging()?;
    let order = params.order()?;
    let filter = params.filter()?;
    let (posts, total) =
        store::content_api::list_posts(&s.db, scope, kind, filter.as_ref(), order, limit, offset)
            .await?;
    let items: Vec<Value> = posts
        .iter()
        .map(|p| post_json(s, p, params, scope))
        .collect();
    let name = kind_name(kind);
    Ok(json!({name: items, "meta": pagination(limit, offset, total, all)}))
}

async fn read(
    s: &AppState,
    params: &Params,
    kind: PostType,
    by_slug: bool,
    key: &str,
) -> ApiResult {
    let post = store::content_api::post_by(&s.db, Scope::Public, kind, by_slug, key)
        .await?
        .ok_or_else(|| {
            GhostError::not_found(if kind == PostType::Page {
                "Page"
            } else {
                "Post"
            })
        })?;
    Ok(json!({kind_name(kind): [post_json(s, &post, params, Scope::Public)]}))
}

fn kind_name(kind: PostType) -> &'static str {
    match kind {
        PostType::Post => "posts",
        PostType::Page => "pages",
    }
}

/// Tags or authors: one page of them, or the one `one` names; `count.posts` when included.
async fn people_or_tags<T>(
    s: &AppState,
    params: &Params,
    one: Option<(bool, &str)>,
    name: &'static str,
    what: &'static str,
    load: impl AsyncFnOnce(
        &AppState,
        Option<(bool, &str)>,
        Option<&nql::Filter>,
        i64,
        i64,
    ) -> Result<(Vec<Counted<T>>, i64), ListError>,
    shape: impl Fn(&AppState, &T, Option<i64>) -> Map<String, Value>,
) -> ApiResult {
    let filter = params.filter()?;
    let (limit, offset, all) = if one.is_some() {
        (1, 0, false)
    } else {
        params.paging()?
    };
    let (items, total) = load(s, one, filter.as_ref(), limit, offset).await?;
    let count = params.includes("count.posts");
    let items: Vec<Value> = items
        .iter()
        .map(|c| params.pick(shape(s, &c.item, count.then_some(c.posts))))
        .collect();
    if one.is_some() {
        if items.is_empty() {
            return Err(GhostError::not_found(what));
        }
        return Ok(json!({name: items}));
    }
    Ok(json!({name: items, "meta": pagination(limit, offset, total, all)}))
}

async fn load_tags(
    s: &AppState,
    one: Option<(bool, &str)>,
    filter: Option<&nql::Filter>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Counted<ApiTag>>, i64), ListError> {
    store::content_api::tags(&s.db, Scope::Public, one, filter, limit, offset).await
}

async fn load_authors(
    s: &AppState,
    one: Option<(bool, &str)>,
    filter: Option<&nql::Filter>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Counted<ApiAuthor>>, i64), ListError> {
    store::content_api::authors(&s.db, one, filter, limit, offset).await
}

/// The site's settings, as Ghost's Content API answers them.
async fn settings_answer(s: &AppState) -> ApiResult {
    let settings = store::settings::load(&s.db).await?;
    let absolute_opt = |u: &Option<String>| absolute(s, u);
    Ok(json!({
        "settings": {
            "title": settings.title,
            "description": settings.description,
            "logo": absolute_opt(&settings.logo),
            "icon": format!("{}/favicon.ico", s.site_url),
            "accent_color": settings.accent_color,
            "cover_image": absolute_opt(&settings.cover_image),
            "facebook": null,
            "twitter": null,
            "lang": settings.lang,
            "locale": settings.lang,
            "timezone": settings.timezone,
            "codeinjection_head": settings.codeinjection_head,
            "codeinjection_foot": settings.codeinjection_foot,
            "navigation": settings.navigation,
            "secondary_navigation": [],
            "meta_title": null,
            "meta_description": null,
            "og_image": null, "og_title": null, "og_description": null,
            "twitter_image": null, "twitter_title": null, "twitter_description": null,
            "members_support_address": null,
            "url": format!("{}/", s.site_url),
        },
        "meta": {},
    }))
}

/// Tiers: Quire has no paid memberships, so one free tier, as a Ghost site without them.
async fn tiers_answer() -> ApiResult {
    Ok(json!({
        "tiers": [{
            "id": "free",
            "name": "Free",
            "slug": "free",
            "description": null,
            "active": true,
            "type": "free",
            "visibility": "public",
            "welcome_page_url": null,
            "created_at": null,
            "updated_at": null,
            "monthly_price": null,
            "yearly_price": null,
            "currency": null,
            "benefits": [],
            "trial_days": 0,
        }],
        "meta": pagination(DEFAULT_LIMIT, 0, 1, false),
    }))
}
