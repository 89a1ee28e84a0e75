//! The site on the fediverse: how servers find it (WebFinger, NodeInfo) and its actor, the
//! account people follow, at `/activitypub/actor`.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::activitypub::{KeyPair, handle};
use crate::error::{Error, Result};
use crate::http::site::load_settings;
use crate::render::views::absolute;
use crate::state::AppState;
use crate::store;

/// Where the actor lives; its inbox, outbox and followers are beside it.
pub const ACTOR_PATH: &str = "/activitypub/actor";
/// ActivityStreams' media type, which servers ask for and answer with.
pub const ACTIVITY_JSON: &str = "application/activity+json";
const NODEINFO_SCHEMA: &str = "http://nodeinfo.diaspora.software/ns/schema/2.1";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.1", get(nodeinfo))
        .route(ACTOR_PATH, get(actor))
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
    let mut conn = s.db.acquire().await?;
    let settings = load_settings(&s, &mut conn).await?;
    let name = handle(&settings.title);
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
            "protocols": ["activitypub"],
            "services": {"inbound": [], "outbound": ["atom1.0", "rss2.0"]},
            "openRegistrations": false,
            "usage": {"users": {"total": users}, "localPosts": posts},
            "metadata": {"nodeName": settings.title, "nodeDescription": settings.description},
        }),
    ))
}

/// The site's key pair, read once per replica (made by the first replica to ask).
pub async fn key_pair(s: &AppState) -> Result<&KeyPair> {
    Ok(s.activitypub_key
        .get_or_try_init(|| store::activitypub::key_pair(&s.db))
        .await?)
}

/// `GET /activitypub/actor`: the site as an account, to servers that ask for ActivityStreams
/// JSON; a browser is sent to the home page.
async fn actor(State(s): State<AppState>, headers: HeaderMap) -> Result<Response> {
    if !wants_activity_json(&headers) {
        // the answer depends on `Accept`, for caches in front of the site too
        return Ok(([(header::VARY, "Accept")], Redirect::to("/")).into_response());
    }
    let mut conn = s.db.acquire().await?;
    let settings = load_settings(&s, &mut conn).await?;
    drop(conn);
    let key = key_pair(&s).await?;
    let id = actor_url(&s);
    let mut actor = json!({
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            "https://w3id.org/security/v1",
        ],
        "id": id,
        "type": "Person",
        "preferredUsername": handle(&settings.title),
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
