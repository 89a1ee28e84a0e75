//! The reader-facing site: home, posts and pages, tag and author archives, error pages.
//!
//! Every answer goes through the page cache, keyed by path: a hit costs no database query.
//! Not-found pages and redirects are cached too, so a crawler hammering missing URLs does not
//! reach the database either.

use std::sync::Arc;

use axum::Router;
use axum::extract::{MatchedPath, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde_json::json;
use sqlx::PgConnection;

use crate::cache::{CachedPage, PageRoute};
use crate::domain::post::PostType;
use crate::domain::settings::SiteSettings;
use crate::error::{Error, Result};
use crate::http::respond::cached_response;
use crate::render::views::{
    self, AuthorView, ErrorView, Meta, NeighbourView, Pagination, PostCard, PostView, SiteView,
    TagView, absolute, json_ld, page_url,
};
use crate::state::AppState;
use crate::store::posts::{PostLink, PublicPost};
use crate::store::{self, posts::ListFilter};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(show_home))
        .route("/page/{page}/", get(show_home_page))
        .route("/{slug}/", get(show_post))
        .route("/p/{id}/", get(show_preview))
        .route("/tag/{slug}/", get(show_tag))
        .route("/tag/{slug}/page/{page}/", get(show_tag_page))
        .route("/author/{slug}/", get(show_author))
        .route("/author/{slug}/page/{page}/", get(show_author_page))
}

// The handlers take the request whole and read the path by reference: a cache hit then
// allocates nothing for headers or path parameters (extracting `HeaderMap` or `Path<String>`
// would copy them), and path segments are only parsed when a page has to be rendered.

async fn show_home(State(s): State<AppState>, request: Request) -> Response {
    cached(&s, asked(&request), "/", render_list(&s, List::Home, 1)).await
}

async fn show_home_page(State(s): State<AppState>, request: Request) -> Response {
    let path = request.uri().path();
    paged(&s, asked(&request), path, List::Home, segment(path, 1)).await
}

async fn show_post(State(s): State<AppState>, request: Request) -> Response {
    let path = request.uri().path();
    // a fediverse server asking for the post itself gets its `Article`
    if crate::http::activitypub::wants_activity_json(request.headers())
        && let Some(answer) = crate::http::activitypub::article_at(&s, segment(path, 0)).await
    {
        return answer;
    }
    cached(&s, asked(&request), path, render_post(&s, segment(path, 0))).await
}

async fn show_tag(State(s): State<AppState>, request: Request) -> Response {
    let path = request.uri().path();
    cached(
        &s,
        asked(&request),
        path,
        render_list(&s, List::Tag(segment(path, 1)), 1),
    )
    .await
}

async fn show_tag_page(State(s): State<AppState>, request: Request) -> Response {
    let path = request.uri().path();
    paged(
        &s,
        asked(&request),
        path,
        List::Tag(segment(path, 1)),
        segment(path, 3),
    )
    .await
}

async fn show_author(State(s): State<AppState>, request: Request) -> Response {
    let path = request.uri().path();
    cached(
        &s,
        asked(&request),
        path,
        render_list(&s, List::Author(segment(path, 1)), 1),
    )
    .await
}

async fn show_author_page(State(s): State<AppState>, request: Request) -> Response {
    let path = request.uri().path();
    paged(
        &s,
        asked(&request),
        path,
        List::Author(segment(path, 1)),
        segment(path, 3),
    )
    .await
}

/// The `i`-th segment of a path: `segment("/tag/rust/page/2/", 3) == "2"`.
pub(crate) fn segment(path: &str, i: usize) -> &str {
    path.split('/').nth(i + 1).unwrap_or("")
}

/// Everything no route matched: a redirect (trailing slash, stored aliases) or the 404 page.
pub async fn fallback(State(s): State<AppState>, request: Request) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
        )
            .into_response();
    }
    cached(&s, asked(&request), request.uri().path(), async {
        Err(Error::NotFound)
    })
    .await
}

/// What [`cached`] needs of a request, borrowed apart from its body (which is not `Sync`).
#[derive(Clone, Copy)]
pub(crate) struct Asked<'a> {
    headers: &'a HeaderMap,
    /// The route that matched, which labels the metrics of the page's later hits.
    route: Option<&'a MatchedPath>,
}

pub(crate) fn asked(request: &Request) -> Asked<'_> {
    Asked {
        headers: request.headers(),
        route: request.extensions().get::<MatchedPath>(),
    }
}

/// Answers from the cache, rendering on a miss. A missing page becomes the theme's 404 (or a
/// redirect when the path has moved), remembered apart from the pages so that a scan of random
/// URLs evicts nothing; other errors are not cached.
pub(crate) async fn cached(
    s: &AppState,
    asked: Asked<'_>,
    path: &str,
    render: impl Future<Output = Result<CachedPage>>,
) -> Response {
    let render = async {
        let mut page = render.await?;
        page.route = asked.route.map(|r| PageRoute::new(r.as_str()));
        Ok(page)
    };
    let result = s
        .cache
        .get_or_render_or_missing(path, render, || not_found(s, path))
        .await;
    match result {
        Ok(page) => cached_response(&page, asked.headers),
        Err(e) => error_response(s, e),
    }
}

/// Page 2 and later of a list; `/page/1/` is the list itself and redirects there.
async fn paged(s: &AppState, asked: Asked<'_>, path: &str, list: List<'_>, raw: &str) -> Response {
    cached(s, asked, path, async {
        match parse_page(raw)? {
            1 => CachedPage::redirect(StatusCode::MOVED_PERMANENTLY, &list.base()),
            page => render_list(s, list, page).await,
        }
    })
    .await
}

fn parse_page(raw: &str) -> Result<i64> {
    crate::domain::limits::parse_page(raw).ok_or(Error::NotFound)
}

/// Which list a page shows.
#[derive(Debug, Clone, Copy)]
enum List<'a> {
    Home,
    Tag(&'a str),
    Author(&'a str),
}

impl List<'_> {
    /// The list's first page.
    fn base(&self) -> String {
        match self {
            List::Home => "/".to_owned(),
            List::Tag(slug) => format!("/tag/{slug}/"),
            List::Author(slug) => format!("/author/{slug}/"),
        }
    }
}

#[derive(Serialize)]
struct ListPage<'a> {
    site: SiteView<'a>,
    meta: Meta,
    body_class: String,
    posts: Vec<PostCard>,
    pagination: Pagination,
    #[serde(skip_serializing_if = "Option::is_none")]
    tag: Option<TagView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<AuthorView>,
}

async fn render_list(s: &AppState, list: List<'_>, page: i64) -> Result<CachedPage> {
    let mut conn = s.db.acquire().await?;
    let settings = load_settings(s, &mut conn).await?;
    let per_page = i64::from(settings.posts_per_page);
    let base = list.base();
    let (filter, tag, author) = match list {
        List::Home => (ListFilter::default(), None, None),
        List::Tag(slug) => {
            let tag = store::tags::public_by_slug(&mut *conn, slug)
                .await?
                .ok_or(Error::NotFound)?;
            (
                ListFilter {
                    tag: Some(slug),
                    author: None,
                },
                Some(tag),
                None,
            )
        }
        List::Author(slug) => {
            let author = store::users::author_by_slug(&mut *conn, slug)
                .await?
                .ok_or(Error::NotFound)?;
            (
                ListFilter {
                    tag: None,
                    author: Some(slug),
                },
                None,
                Some(author),
            )
        }
    };
    let (posts, total) = store::posts::list_published(
        &mut *conn,
        filter,
        per_page,
        crate::domain::limits::page_offset(page, per_page).ok_or(Error::NotFound)?,
    )
    .await?;
    let images = crate::media::known_images(
        &mut conn,
        &s.media,
        posts.iter().filter_map(|p| p.feature_image.as_deref()),
    )
    .await?;
    drop(conn);
    if page > 1 && posts.is_empty() {
        return Err(Error::NotFound);
    }
    let path = page_url(&base, page);
    let pagination = Pagination::new(&base, page, per_page, total);
    let site = SiteView::new(&settings, &s.site_url, &path);
    let page_suffix = if page > 1 {
        format!(" (page {page})")
    } else {
        String::new()
    };
    let canonical = absolute(&s.site_url, &path);
    let (template, class, mut meta) = match (&tag, &author) {
        (Some(tag), _) => {
            let title = tag
                .meta_title
                .clone()
                .unwrap_or_else(|| format!("{} – {}", tag.name, settings.title));
            let description = tag
                .meta_description
                .clone()
                .filter(|d| !d.is_empty())
                .or_else(|| Some(tag.description.clone()).filter(|d| !d.is_empty()))
                .unwrap_or_else(|| format!("Posts tagged “{}” on {}", tag.name, settings.title));
            let ld = json!({"@context": "https://schema.org", "@type": "CollectionPage", "name": tag.name,
                            "url": canonical, "description": description});
            let meta = Meta {
                title: title + &page_suffix,
                description,
                og_type: "website",
                image: tag
                    .feature_image
                    .as_deref()
                    .map(|i| absolute(&s.site_url, i)),
                json_ld: json_ld(&ld),
                ..Meta::default()
            };
            ("tag.html", "tag-template", meta)
        }
        (_, Some(author)) => {
            let description = Some(author.bio.clone())
                .filter(|b| !b.is_empty())
                .unwrap_or_else(|| format!("Posts by {} on {}", author.name, settings.title));
            let mut ld = json!({"@context": "https://schema.org", "@type": "Person", "name": author.name,
                                "url": canonical});
            if let Some(website) = &author.website {
                ld["sameAs"] = json!([website]);
            }
            let meta = Meta {
                title: format!("{} – {}{page_suffix}", author.name, settings.title),
                description,
                og_type: "profile",
                image: author
                    .avatar_url
                    .as_deref()
                    .map(|i| absolute(&s.site_url, i)),
                json_ld: json_ld(&ld),
                ..Meta::default()
            };
            ("author.html", "author-template", meta)
        }
        _ => {
            let ld = json!({"@context": "https://schema.org", "@type": "WebSite", "name": settings.title,
                            "url": format!("{}/", s.site_url), "description": settings.description});
            let meta = Meta {
                title: format!("{}{page_suffix}", settings.title),
                description: settings.description.clone(),
                og_type: "website",
                image: settings
                    .cover_image
                    .as_deref()
                    .map(|i| absolute(&s.site_url, i)),
                json_ld: json_ld(&ld),
                ..Meta::default()
            };
            ("index.html", "home-template", meta)
        }
    };
    meta.canonical = canonical;
    meta.prev = pagination
        .prev_url
        .as_deref()
        .map(|u| absolute(&s.site_url, u));
    meta.next = pagination
        .next_url
        .as_deref()
        .map(|u| absolute(&s.site_url, u));
    let body_class = if page > 1 {
        format!("{class} paged")
    } else {
        class.to_owned()
    };
    let zone = settings.zone();
    let mut cards: Vec<PostCard> = posts
        .iter()
        .map(|p| {
            PostCard::new(
                p,
                images.get(p.feature_image.as_deref().unwrap_or("")),
                zone,
            )
        })
        .collect();
    // the first image of the page is the archive's own (a tag's image, an author's cover),
    // else the first card's that has one
    let header_image = tag.as_ref().is_some_and(|t| t.feature_image.is_some())
        || author.as_ref().is_some_and(|a| a.cover_image.is_some());
    if !header_image && let Some(card) = cards.iter_mut().find(|c| c.feature_image.is_some()) {
        card.eager = true;
    }
    let context = ListPage {
        meta,
        body_class,
        posts: cards,
        tag: tag.as_ref().map(|t| TagView::new(t, total)),
        author: author.as_ref().map(|a| AuthorView::new(a, total)),
        pagination,
        site,
    };
    html_page(s, StatusCode::OK, template, &context)
}

#[derive(Serialize)]
struct PostPage<'a> {
    site: SiteView<'a>,
    meta: Meta,
    body_class: &'static str,
    post: PostView,
    newer: Option<NeighbourView>,
    older: Option<NeighbourView>,
}

async fn render_post(s: &AppState, slug: &str) -> Result<CachedPage> {
    let mut conn = s.db.acquire().await?;
    let settings = load_settings(s, &mut conn).await?;
    let post = store::posts::published_by_slug(&mut *conn, slug)
        .await?
        .ok_or(Error::NotFound)?;
    let (newer, older) = match post.kind {
        PostType::Post => store::posts::neighbours(&mut conn, post.published_at, post.id).await?,
        PostType::Page => (None, None),
    };
    let images =
        crate::media::known_images(&mut conn, &s.media, post.feature_image.as_deref()).await?;
    drop(conn);
    let image = images.get(post.feature_image.as_deref().unwrap_or(""));
    let page = post_page(s, &settings, &post, newer, older, false, image)?;
    Ok(page.with_last_modified(post.updated_at))
}

/// The page of one post; a preview is marked `noindex` and never names a canonical URL the
/// post does not have yet.
fn post_page(
    s: &AppState,
    settings: &SiteSettings,
    post: &PublicPost,
    newer: Option<PostLink>,
    older: Option<PostLink>,
    preview: bool,
    responsive: Option<&crate::domain::image::ImageInfo>,
) -> Result<CachedPage> {
    let path = format!("/{}/", post.slug);
    let site = SiteView::new(settings, &s.site_url, &path);
    let canonical = post
        .canonical_url
        .clone()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| absolute(&s.site_url, &path));
    let description = post
        .meta_description
        .clone()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| post.summary.clone());
    let image = post
        .feature_image
        .as_deref()
        .map(|i| absolute(&s.site_url, i));
    let is_post = post.kind == PostType::Post;
    let meta = Meta {
        title: post
            .meta_title
            .clone()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| post.title.clone()),
        json_ld: views::post_json_ld(&site, post, &canonical, image.as_deref(), &description),
        robots: preview.then_some("noindex"),
        activitypub: (is_post && !preview && settings.activitypub_enabled)
            .then(|| crate::federation::objects::Urls { site: &s.site_url }.object(post.id)),
        description,
        canonical,
        og_type: if is_post { "article" } else { "website" },
        image,
        published_time: is_post.then(|| views::rfc3339(post.published_at)),
        modified_time: is_post.then(|| views::rfc3339(post.updated_at)),
        tags: post
            .tags
            .iter()
            .filter(|t| t.is_public())
            .map(|t| t.name.clone())
            .collect(),
        ..Meta::default()
    };
    let context = PostPage {
        site,
        meta,
        body_class: if is_post {
            "post-template"
        } else {
            "page-template"
        },
        post: PostView::new(post, responsive, settings.zone()),
        newer: newer.map(NeighbourView::new),
        older: older.map(NeighbourView::new),
    };
    html_page(
        s,
        StatusCode::OK,
        if is_post { "post.html" } else { "page.html" },
        &context,
    )
}

/// `/p/{preview_id}/`: a draft (or any post) as it will look, for whoever holds the secret
/// link. Never cached, never indexed.
async fn show_preview(State(s): State<AppState>, Path(id): Path<String>) -> Response {
    let render = async {
        let id = uuid::Uuid::parse_str(&id).map_err(|_| Error::NotFound)?;
        let mut conn = s.db.acquire().await?;
        let settings = load_settings(&s, &mut conn).await?;
        let post = store::posts::by_preview_id(&mut *conn, id)
            .await?
            .ok_or(Error::NotFound)?;
        let images =
            crate::media::known_images(&mut conn, &s.media, post.feature_image.as_deref()).await?;
        drop(conn);
        let image = images.get(post.feature_image.as_deref().unwrap_or(""));
        post_page(&s, &settings, &post, None, None, true, image)
    };
    match render.await {
        Ok(page) => {
            let mut response = (page.status, page.body.clone()).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(page.content_type),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert("x-robots-tag", HeaderValue::from_static("noindex"));
            response
        }
        Err(Error::NotFound) => {
            let settings = s.last_settings.load();
            match error_page(&s, &settings, StatusCode::NOT_FOUND) {
                Ok(page) => (
                    StatusCode::NOT_FOUND,
                    [
                        (header::CACHE_CONTROL, "no-store"),
                        (header::CONTENT_TYPE, page.content_type),
                    ],
                    page.body.clone(),
                )
                    .into_response(),
                Err(e) => error_response(&s, e),
            }
        }
        Err(e) => error_response(&s, e),
    }
}

/// The site's settings for a reader's page: read once per cache generation (a change to the
/// settings invalidates the cache), and kept for error pages while the database is away.
pub(crate) async fn load_settings(
    s: &AppState,
    conn: &mut PgConnection,
) -> Result<Arc<SiteSettings>> {
    s.cache
        .settings(async {
            let settings = store::settings::load(&mut *conn).await?;
            s.last_settings.store(Arc::new(settings.clone()));
            Ok(settings)
        })
        .await
}

/// The answer for a path nothing lives at: `/x` → `/x/`, a stored redirect, or the 404 page,
/// which is rendered once and shared by every missing path.
async fn not_found(s: &AppState, path: &str) -> Result<Arc<CachedPage>> {
    let last = path.rsplit('/').next().unwrap_or("");
    let bare = !path.ends_with('/') && !last.contains('.') && path.len() > 1;
    // A redirect stored for the exact path wins (`/2019/05/17/hello.html`, `/old`); a path
    // without its trailing slash also finds the one stored with it, in one hop; and a path in
    // capitals the one stored in small letters (Hugo lowercases the aliases it writes, while
    // links keep `/Old/First` as the author typed it).
    let lower = path.to_lowercase();
    let mut candidates = vec![path.to_owned()];
    if lower != path {
        candidates.push(lower);
    }
    let mut stored = None;
    for candidate in &candidates {
        stored = store::site::redirect_for(&s.db, candidate).await?;
        if stored.is_none() && bare {
            stored = store::site::redirect_for(&s.db, &format!("{candidate}/")).await?;
        }
        if stored.is_some() {
            break;
        }
    }
    if let Some((to, permanent)) = stored {
        let status = if permanent {
            StatusCode::MOVED_PERMANENTLY
        } else {
            StatusCode::FOUND
        };
        if let Ok(page) = CachedPage::redirect(status, &to) {
            return Ok(Arc::new(page));
        }
    }
    if bare {
        // a path that would redirect off the site (`/\evil.example`) gets the 404 instead
        if let Ok(page) = CachedPage::redirect(StatusCode::MOVED_PERMANENTLY, &format!("{path}/")) {
            return Ok(Arc::new(page));
        }
    }
    // not a path: no page can ever live at this key
    s.cache
        .get_or_render("404", async {
            let settings = load_settings(s, &mut *s.db.acquire().await?).await?;
            error_page(s, &settings, StatusCode::NOT_FOUND)
        })
        .await
}

#[derive(Serialize)]
struct ErrorPage<'a> {
    site: SiteView<'a>,
    meta: Meta,
    body_class: &'static str,
    error: ErrorView,
}

/// The theme's error page for `status`.
fn error_page(s: &AppState, settings: &SiteSettings, status: StatusCode) -> Result<CachedPage> {
    let (title, message) = match status {
        StatusCode::NOT_FOUND => (
            "Page not found",
            "The page you were looking for does not exist or has moved.",
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            "Temporarily unavailable",
            "This page cannot be shown right now. Please try again in a moment.",
        ),
        _ => (
            "Something went wrong",
            "This page cannot be shown right now. Please try again later.",
        ),
    };
    let context = ErrorPage {
        site: SiteView::new(settings, &s.site_url, ""),
        meta: Meta {
            title: format!("{title} – {}", settings.title),
            description: message.to_owned(),
            og_type: "website",
            robots: Some("noindex"),
            ..Meta::default()
        },
        body_class: "error-template",
        error: ErrorView {
            status: status.as_u16(),
            title,
            message,
        },
    };
    html_page(s, status, "error.html", &context)
}

/// An uncached answer for a failed render (database away, template bug), with the theme's
/// error page when it can be rendered at all.
pub(crate) fn error_response(s: &AppState, error: Error) -> Response {
    let status = error.status();
    let settings = s.last_settings.load();
    let mut response = match error_page(s, &settings, status) {
        Ok(page) => {
            let mut response = (status, page.body.clone()).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(page.content_type),
            );
            response
        }
        Err(_) => (status, "Something went wrong.\n").into_response(),
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // hand the cause to the logging middleware, and keep the wait it names
    let logged = error.into_response();
    match logged.headers().get(header::RETRY_AFTER) {
        Some(wait) => {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, wait.clone());
        }
        None if status == StatusCode::SERVICE_UNAVAILABLE => {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        None => {}
    }
    if let Some(cause) = logged.extensions().get::<crate::error::LoggedError>() {
        response.extensions_mut().insert(cause.clone());
    }
    response
}

fn html_page(
    s: &AppState,
    status: StatusCode,
    template: &str,
    context: &impl Serialize,
) -> Result<CachedPage> {
    let html = s.templates.render(template, context)?;
    Ok(CachedPage::new(status, "text/html; charset=utf-8", html))
}
