//! The site on the fediverse: how servers find it (WebFinger, NodeInfo), its actor (the
//! account people follow, at `/activitypub/actor`) with its inbox, outbox and followers, and
//! its posts as `Article`s. Everything here answers 404 while the `activitypub_enabled`
//! setting is off.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::activitypub::CONTEXT;
use crate::domain::settings::SiteSettings;
use crate::error::{Error, Result};
use crate::federation::inbox::{self, MAX_ACTIVITY};
use crate::federation::objects::{self, ACTIVITIES_PATH, OBJECTS_PATH, SHARED_INBOX_PATH, Urls};
use crate::http::extract::{ClientIp, Path};
use crate::http::site::load_settings;
use crate::http::{AnnouncedLimit, refuse_announced_oversize};
use crate::render::views::absolute;
use crate::state::AppState;
use crate::store;

pub use crate::federation::objects::ACTOR_PATH;
/// ActivityStreams' media type, which servers ask for and answer with.
pub const ACTIVITY_JSON: &str = "application/activity+json";
const NODEINFO_SCHEMA: &str = "http://nodeinfo.diaspora.software/ns/schema/2.1";
/// Deliveries one address may make to the inbox per minute, counted on every replica.
const MAX_DELIVERIES: i32 = 600;
/// Posts on a page of the outbox.
const OUTBOX_PAGE: i64 = 20;

pub fn router() -> Router<AppState> {
    let inboxes = Router::new()
        .route("/activitypub/actor/inbox", post(receive))
        .route(SHARED_INBOX_PATH, post(receive))
        .layer(DefaultBodyLimit::max(MAX_ACTIVITY))
        .layer(middleware::from_fn_with_state(
            AnnouncedLimit::new(MAX_ACTIVITY, "An activity is at most 256 KiB."),
            refuse_announced_oversize,
        ));
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.1", get(nodeinfo))
        .route(ACTOR_PATH, get(actor))
        .route("/activitypub/actor/outbox", get(outbox))
        .route("/activitypub/actor/followers", get(followers))
        .route(&format!("{OBJECTS_PATH}/{{id}}"), get(object))
        .route(&format!("{ACTIVITIES_PATH}/{{id}}"), get(sent_activity))
        .merge(inboxes)
}

/// The settings, or 404 when the site is not on the fediverse.
async fn federated(s: &AppState) -> Result<Arc<SiteSettings>> {
    let mut conn = s.db.acquire().await?;
    let settings = load_settings(s, &mut conn).await?;
    if settings.activitypub_enabled {
        Ok(settings)
    } else {
        Err(Error::NotFound)
    }
}

/// Whether a request asks for ActivityStreams JSON rather than a page: `Accept` names
/// `application/activity+json` or `application/ld+json` (with ActivityStreams' profile, as
/// the specification has it, or without, as some servers send it).
pub fn wants_activity_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(ACTIVITY_JSON) || v.contains("application/ld+json"))
}

/// The site's host as a handle names it: `example.com`, or `127.0.0.1:2368` with its port.
fn authority(site_url: &str) -> &str {
    let rest = site_url
        .split_once("://")
        .map_or(site_url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

fn actor_url(s: &AppState) -> String {
    format!("{}{ACTOR_PATH}", s.site_url)
}

fn json_answer(content_type: &'static str, body: &Value) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            // documents anyone may read, from any page (Mastodon's web client reads them)
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        body.to_string(),
    )
        .into_response()
}

#[derive(Deserialize)]
struct WebFingerParams {
    resource: Option<String>,
}

/// `GET /.well-known/webfinger?resource=acct:NAME@HOST`: the actor of the site's handle
/// (also found by the actor's or the site's own URL); 404 for any other account.
async fn webfinger(
    State(s): State<AppState>,
    Query(params): Query<WebFingerParams>,
) -> Result<Response> {
    let Some(resource) = params.resource else {
        return Ok((
            StatusCode::BAD_REQUEST,
            "which account? (resource=acct:name@host)\n",
        )
            .into_response());
    };
    let settings = federated(&s).await?;
    let name = settings.handle();
    let host = authority(&s.site_url);
    let actor = actor_url(&s);
    let home = format!("{}/", s.site_url);
    let found = match resource.strip_prefix("acct:") {
        Some(account) => account
            .trim_start_matches('@')
            .rsplit_once('@')
            .is_some_and(|(n, h)| n.eq_ignore_ascii_case(&name) && h.eq_ignore_ascii_case(host)),
        None => resource == actor || resource == home || resource == s.site_url,
    };
    if !found {
        return Err(Error::NotFound);
    }
    Ok(json_answer(
        "application/jrd+json",
        &json!({
            "subject": format!("acct:{name}@{host}"),
            "aliases": [actor, home],
            "links": [
                {"rel": "self", "type": ACTIVITY_JSON, "href": actor},
                {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": home},
            ],
        }),
    ))
}

/// `GET /.well-known/nodeinfo`: where the NodeInfo document is.
async fn nodeinfo_links(State(s): State<AppState>) -> Response {
    json_answer(
        "application/json",
        &json!({"links": [{"rel": NODEINFO_SCHEMA, "href": format!("{}/nodeinfo/2.1", s.site_url)}]}),
    )
}

/// `GET /nodeinfo/2.1`: what software this is, and how many write and what.
async fn nodeinfo(State(s): State<AppState>) -> Result<Response> {
    let mut conn = s.db.acquire().await?;
    let settings = load_settings(&s, &mut conn).await?;
    let (users, posts): (i64, i64) = sqlx::query_as(
        "select (select count(*) from users where status = 'active'), \
                (select count(*) from posts where status = 'published' and type = 'post')",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(json_answer(
        "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"",
        &json!({
            "version": "2.1",
            "software": {
                "name": "quire",
                "version": env!("CARGO_PKG_VERSION"),
            },
            "protocols": if settings.activitypub_enabled { json!(["activitypub"]) } else { json!([]) },
            "services": {"inbound": [], "outbound": ["atom1.0", "rss2.0"]},
            "openRegistrations": false,
            "usage": {"users": {"total": users}, "localPosts": posts},
            "metadata": {"nodeName": settings.title, "nodeDescription": settings.description},
        }),
    ))
}

/// `GET /activitypub/actor`: the site as an account, to servers that ask for ActivityStreams
/// JSON; a browser is sent to the home page.
async fn actor(State(s): State<AppState>, headers: HeaderMap) -> Result<Response> {
    if !wants_activity_json(&headers) {
        // the answer depends on `Accept`, for caches in front of the site too
        return Ok(([(header::VARY, "Accept")], Redirect::to("/")).into_response());
    }
    let settings = federated(&s).await?;
    let key = &crate::federation::site_key(&s).await?.pair;
    let id = actor_url(&s);
    let mut actor = json!({
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            "https://w3id.org/security/v1",
        ],
        "id": id,
        "type": "Person",
        "preferredUsername": settings.handle(),
        "name": settings.title,
        "summary": tera::escape_html(&settings.description),
        "url": format!("{}/", s.site_url),
        "inbox": format!("{id}/inbox"),
        "outbox": format!("{id}/outbox"),
        "followers": format!("{id}/followers"),
        "endpoints": {"sharedInbox": format!("{}/activitypub/inbox", s.site_url)},
        "manuallyApprovesFollowers": false,
        "discoverable": true,
        "publicKey": {
            "id": format!("{id}#main-key"),
            "owner": id,
            "publicKeyPem": key.public_key_pem,
        },
    });
    if let Some(logo) = settings.logo.as_deref().filter(|l| !l.is_empty()) {
        actor["icon"] = json!({"type": "Image", "url": absolute(&s.site_url, logo)});
    }
    if let Some(cover) = settings.cover_image.as_deref().filter(|c| !c.is_empty()) {
        actor["image"] = json!({"type": "Image", "url": absolute(&s.site_url, cover)});
    }
    let mut response = json_answer(ACTIVITY_JSON, &actor);
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(response)
}

/// `POST /activitypub/actor/inbox` and the shared `/activitypub/inbox`: an activity from
/// another server, taken (202) only with a valid signature of its actor (401 otherwise).
async fn receive(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    federated(&s).await?;
    if let Some(ip) = ip {
        let keys = [format!("activitypub:address:{ip}")];
        if let Some(wait) = store::limits::attempt(&s.db, &keys, &[MAX_DELIVERIES], 60).await? {
            return Err(Error::TooManyRequests(wait.max(1)));
        }
    }
    let target = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    let status = inbox::receive(
        &s,
        inbox::Delivery {
            ip,
            target,
            headers: &headers,
            body: &body,
        },
    )
    .await;
    match status {
        Ok(status) => Ok(status.into_response()),
        Err(e) => {
            if matches!(e, Error::Unauthorized(_)) {
                tracing::info!(error = %e, ?ip, "an inbox delivery was refused");
            }
            Err(e)
        }
    }
}

/// An ActivityStreams answer that may differ by `Accept` (a page serves HTML at the same URL).
fn activity_answer(body: &Value) -> Response {
    let mut response = json_answer(ACTIVITY_JSON, body);
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    response
}

#[derive(Deserialize)]
struct PageParams {
    page: Option<String>,
}

/// `GET /activitypub/actor/outbox`: the site's posts as `Create` activities, newest first,
/// twenty to a page (`?page=N`).
async fn outbox(State(s): State<AppState>, Query(params): Query<PageParams>) -> Result<Response> {
    let settings = federated(&s).await?;
    let urls = Urls { site: &s.site_url };
    let outbox = urls.outbox();
    let total: i64 = sqlx::query_scalar(
        "select count(*) from posts where type = 'post' and status = 'published'",
    )
    .fetch_one(&s.db)
    .await?;
    let pages = ((total + OUTBOX_PAGE - 1) / OUTBOX_PAGE).max(1);
    let Some(raw) = params.page else {
        return Ok(activity_answer(&json!({
            "@context": CONTEXT,
            "id": outbox,
            "type": "OrderedCollection",
            "totalItems": total,
            "first": format!("{outbox}?page=1"),
            "last": format!("{outbox}?page={pages}"),
        })));
    };
    let page = crate::domain::limits::parse_page(&raw).ok_or(Error::NotFound)?;
    let offset = crate::domain::limits::page_offset(page, OUTBOX_PAGE).ok_or(Error::NotFound)?;
    let posts = store::posts::published_posts_page(&s.db, OUTBOX_PAGE, offset).await?;
    let items: Vec<Value> = posts
        .iter()
        .map(|p| {
            let article = objects::article(&urls, p, settings.posts_as_notes());
            json!({
                "id": format!("{}#create", urls.object(p.id)),
                "type": "Create",
                "actor": urls.actor(),
                "published": article["published"],
                "to": article["to"],
                "cc": article["cc"],
                "object": article,
            })
        })
        .collect();
    let mut collection = json!({
        "@context": objects::context(),
        "id": format!("{outbox}?page={page}"),
        "type": "OrderedCollectionPage",
        "partOf": outbox,
        "totalItems": total,
        "orderedItems": items,
    });
    if page > 1 {
        collection["prev"] = json!(format!("{outbox}?page={}", page - 1));
    }
    if page < pages {
        collection["next"] = json!(format!("{outbox}?page={}", page + 1));
    }
    Ok(activity_answer(&collection))
}

/// `GET /activitypub/actor/followers`: how many follow the site (not who: that is for the
/// admin).
async fn followers(State(s): State<AppState>) -> Result<Response> {
    federated(&s).await?;
    let urls = Urls { site: &s.site_url };
    let total = store::activitypub::follower_count(&s.db).await?;
    Ok(activity_answer(&json!({
        "@context": CONTEXT,
        "id": urls.followers(),
        "type": "OrderedCollection",
        "totalItems": total,
    })))
}

/// `GET /activitypub/objects/ID`: a published post as an `Article`; a browser is sent to its
/// page.
async fn object(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let settings = federated(&s).await?;
    let id = Uuid::parse_str(&id).map_err(|_| Error::NotFound)?;
    let post = store::posts::published_post_by_id(&s.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    if !wants_activity_json(&headers) {
        return Ok((
            [(header::VARY, "Accept")],
            Redirect::to(&format!("/{}/", post.slug)),
        )
            .into_response());
    }
    Ok(article_answer(&s, &settings, &post))
}

/// The `Article` of the published post at `/slug/`, when the site is on the fediverse and
/// there is one (else the page, or its 404, answers).
pub async fn article_at(s: &AppState, slug: &str) -> Option<Response> {
    let settings = match federated(s).await {
        Ok(settings) => settings,
        Err(Error::NotFound) => return None,
        Err(e) => return Some(e.into_response()),
    };
    match store::posts::published_by_slug(&s.db, slug).await {
        Ok(Some(post)) if post.kind == crate::domain::post::PostType::Post => {
            Some(article_answer(s, &settings, &post))
        }
        Ok(_) => None,
        Err(e) => Some(Error::from(e).into_response()),
    }
}

/// A post's `Article` (or `Note`) as an answer of its own.
pub fn article_answer(
    s: &AppState,
    settings: &SiteSettings,
    post: &store::posts::PublicPost,
) -> Response {
    let urls = Urls { site: &s.site_url };
    let mut article = objects::article(&urls, post, settings.posts_as_notes());
    article["@context"] = objects::context();
    activity_answer(&article)
}

/// `GET /activitypub/activities/ID`: an activity the site sent.
async fn sent_activity(State(s): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    federated(&s).await?;
    let id = Uuid::parse_str(&id).map_err(|_| Error::NotFound)?;
    let body = store::activitypub::activity_bodies(&s.db, &[id])
        .await?
        .into_iter()
        .next()
        .ok_or(Error::NotFound)?
        .1;
    let body: Value = serde_json::from_str(&body).map_err(|e| Error::Other(e.into()))?;
    // an Accept is the follower's business
    if body["type"] != "Create" && body["type"] != "Update" && body["type"] != "Delete" {
        return Err(Error::NotFound);
    }
    Ok(activity_answer(&body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_of_a_handle_keeps_its_port() {
        assert_eq!(authority("https://example.com"), "example.com");
        assert_eq!(authority("http://127.0.0.1:2368"), "127.0.0.1:2368");
        assert_eq!(authority("https://example.com/blog"), "example.com");
    }

    #[test]
    fn activity_json_is_asked_for_by_accept() {
        let mut headers = HeaderMap::new();
        assert!(!wants_activity_json(&headers));
        headers.insert(header::ACCEPT, HeaderValue::from_static("text/html"));
        assert!(!wants_activity_json(&headers));
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static(
                "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
            ),
        );
        assert!(wants_activity_json(&headers));
    }
}
