//! Ghost's Admin API under `/ghost/api/admin/` (and the versioned paths older clients call,
//! `/ghost/api/v4/admin/`, ...): what publishing tools and scripts built on
//! `@tryghost/admin-api` use to write posts, pages and tags and to upload images.
//!
//! Every call but `site` carries `Authorization: Ghost <token>`: a JWT signed HS256 with an
//! integration's Admin API secret, its `kid` the key's id, its `aud` the API's path, living
//! at most five minutes. The integration acts with an Administrator's rights; what it writes
//! belongs to the Owner, as in Ghost. Writes take the editor's path (`editing`): validated,
//! rendered, kept as revisions and announced to every replica the same way. Nothing here is
//! cached: each answer reads the database as it is.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Multipart, OriginalUri, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{
    ApiResult, GhostError, Params, absolute, browse as browse_posts, kind_name, people_or_tags,
    post_json, tag_json,
};
use crate::domain::limits;
use crate::domain::post::{PostStatus, PostType};
use crate::domain::user::Role;
use crate::editing::{self, PostInput, TagInput};
use crate::http::UPLOAD_FRAMING;
use crate::http::api::images::{read_upload, save_upload};
use crate::import::ghost::{Source, body_markdown};
use crate::state::AppState;
use crate::store;
use crate::store::content_api::{ApiPost, Scope};
use crate::store::users::StaffUser;
use crate::webhooks::WebhookInput;

/// How far a client's clock may be from ours when its token says when it was made.
const CLOCK_SKEW_SECONDS: i64 = 60;
/// The longest life a token may claim, as in Ghost.
const MAX_TOKEN_LIFE_SECONDS: i64 = 5 * 60;
/// The versioned prefixes Ghost 2 to 4 clients call (`/ghost/api/v4/admin/`).
const VERSIONS: [&str; 4] = ["v2", "v3", "v4", "canary"];
/// The largest post a client may send: Markdown's limit, with room for the HTML or editor
/// document it arrives as.
const BODY_LIMIT: usize = 2 * limits::POST_BODY_LIMIT;

pub fn router(upload_max_bytes: usize) -> Router<AppState> {
    let api = Router::new()
        .route("/site/", get(site))
        .route(
            "/images/upload/",
            post(upload_image).layer(DefaultBodyLimit::max(upload_max_bytes + UPLOAD_FRAMING)),
        )
        .route("/{resource}/", get(browse).post(add))
        .route("/{resource}/{id}/", get(read).put(edit).delete(remove))
        .route("/{resource}/slug/{slug}/", get(read_by_slug))
        .fallback(|| async { GhostError::not_found("Resource") })
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    VERSIONS.iter().fold(
        Router::new().nest("/ghost/api/admin", api.clone()),
        |router, version| router.nest(&format!("/ghost/api/{version}/admin"), api.clone()),
    )
}

/// What the Admin API reads and writes, by the name in its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resource {
    Posts,
    Pages,
    Tags,
    /// Written only: Ghost's Admin API neither lists nor reads them.
    Webhooks,
}

impl Resource {
    fn parse(name: &str) -> Result<Resource, GhostError> {
        Ok(match name {
            "posts" => Resource::Posts,
            "pages" => Resource::Pages,
            "tags" => Resource::Tags,
            "webhooks" => Resource::Webhooks,
            _ => return Err(GhostError::not_found("Resource")),
        })
    }

    fn kind(self) -> Option<PostType> {
        match self {
            Resource::Posts => Some(PostType::Post),
            Resource::Pages => Some(PostType::Page),
            Resource::Tags | Resource::Webhooks => None,
        }
    }

    /// Refuses reading what Ghost's Admin API only writes.
    fn readable(self) -> Result<Resource, GhostError> {
        if self == Resource::Webhooks {
            Err(GhostError::not_found("Resource"))
        } else {
            Ok(self)
        }
    }
}

/// An integration calling with a valid Admin API token, and whom it acts as.
pub struct Integration {
    pub id: Uuid,
    /// The Owner (or, without one, an Administrator), with an Administrator's rights.
    pub acting: StaffUser,
}

impl FromRequestParts<AppState> for Integration {
    type Rejection = GhostError;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, GhostError> {
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map_or(parts.uri.path(), |u| u.0.path());
        let audience = audience_of(path);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Ghost "))
            .map(str::trim)
            .ok_or_else(|| {
                GhostError::unauthorized(
                    "Authorization header format is \"Authorization: Ghost [token]\"",
                )
            })?;
        let key_id = jsonwebtoken::decode_header(token)
            .ok()
            .and_then(|h| h.kid)
            .ok_or_else(|| invalid_token("the token names no Admin API key (kid)."))?;
        let (id, secret) = store::integrations::admin_key(&s.db, &key_id)
            .await?
            .ok_or_else(|| GhostError::unauthorized("Unknown Admin API Key"))?;
        verify_token(token, &secret, &audience, Utc::now().timestamp()).map_err(invalid_token)?;
        let owner = store::users::integration_author(&s.db)
            .await?
            .ok_or_else(|| {
                GhostError::unauthorized("The site has no Owner yet: finish its setup first.")
            })?;
        Ok(Integration {
            id,
            acting: StaffUser {
                role: Role::Administrator,
                ..owner
            },
        })
    }
}

fn invalid_token(context: impl Into<String>) -> GhostError {
    GhostError {
        message: "Invalid token".into(),
        ..GhostError::unauthorized(&context.into())
    }
}

/// The audience a token for this path names: `/admin/`, or `/v4/admin/` on a versioned path.
fn audience_of(path: &str) -> String {
    VERSIONS
        .iter()
        .find(|v| path.starts_with(&format!("/ghost/api/{v}/admin/")))
        .map_or_else(|| "/admin/".to_owned(), |v| format!("/{v}/admin/"))
}

/// Checks an Admin API token at `now` (seconds since the epoch): signed HS256 with the
/// hex-encoded `secret`, for `audience`, issued and expiring within the bounds Ghost sets.
fn verify_token(token: &str, secret: &str, audience: &str, now: i64) -> Result<(), String> {
    #[derive(Deserialize)]
    struct Claims {
        iat: i64,
        exp: i64,
    }
    let secret = hex::decode(secret).map_err(|_| "the key's secret is not hex.".to_owned())?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["aud"]);
    // checked below against `now`, with the bounds Ghost sets
    validation.validate_exp = false;
    let claims =
        jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(&secret), &validation)
            .map_err(|e| format!("{e}."))?
            .claims;
    if claims.exp - claims.iat > MAX_TOKEN_LIFE_SECONDS {
        return Err("Token lifetime can't exceed 5 minutes.".into());
    }
    if claims.exp + CLOCK_SKEW_SECONDS < now {
        return Err("jwt expired.".into());
    }
    if claims.iat - CLOCK_SKEW_SECONDS > now {
        return Err("the token was issued in the future: check the client's clock.".into());
    }
    Ok(())
}

/// The query parameters of the Admin API: the Content API's, and `source`.
#[derive(Debug, Default, Deserialize)]
struct AdminParams {
    source: Option<String>,
    #[serde(flatten)]
    params: Params,
}

impl AdminParams {
    fn source(&self) -> Source {
        if self.source.as_deref() == Some("html") {
            Source::Html
        } else {
            Source::Editors
        }
    }
}

fn query(uri: &OriginalUri) -> Result<AdminParams, GhostError> {
    serde_urlencoded::from_str(uri.0.query().unwrap_or(""))
        .map_err(|e| GhostError::validation(format!("The query cannot be read: {e}.")))
}

type Answer = Result<Response, GhostError>;

fn ok(body: Value) -> Answer {
    Ok(axum::Json(body).into_response())
}

async fn site(State(s): State<AppState>) -> Answer {
    let settings = store::settings::load(&s.db).await?;
    ok(json!({"site": {
        "title": settings.title,
        "description": settings.description,
        "logo": absolute(&s, &settings.logo),
        "icon": format!("{}/favicon.ico", s.site_url),
        "accent_color": settings.accent_color,
        "locale": settings.lang,
        "url": format!("{}/", s.site_url),
        "version": "5.0",
    }}))
}

async fn browse(
    State(s): State<AppState>,
    _: Integration,
    uri: OriginalUri,
    Path(resource): Path<String>,
) -> Answer {
    let resource = Resource::parse(&resource)?.readable()?;
    let q = query(&uri)?;
    let p = &q.params;
    match resource.kind() {
        Some(kind) => ok(browse_posts(&s, p, kind, Scope::Staff).await?),
        None => ok(tags(&s, p, None).await?),
    }
}

async fn tags(s: &AppState, p: &Params, one: Option<(bool, &str)>) -> ApiResult {
    people_or_tags(
        s,
        p,
        one,
        "tags",
        "Tag",
        async |s: &AppState, one, filter, limit, offset| {
            store::content_api::tags(&s.db, Scope::Staff, one, filter, limit, offset).await
        },
        tag_json,
    )
    .await
}

async fn read(
    State(s): State<AppState>,
    _: Integration,
    uri: OriginalUri,
    Path((resource, id)): Path<(String, String)>,
) -> Answer {
    read_one(&s, &uri, &resource, false, &id).await
}

async fn read_by_slug(
    State(s): State<AppState>,
    _: Integration,
    uri: OriginalUri,
    Path((resource, slug)): Path<(String, String)>,
) -> Answer {
    read_one(&s, &uri, &resource, true, &slug).await
}

async fn read_one(
    s: &AppState,
    uri: &OriginalUri,
    resource: &str,
    by_slug: bool,
    key: &str,
) -> Answer {
    let resource = Resource::parse(resource)?.readable()?;
    let q = query(uri)?;
    match resource.kind() {
        Some(kind) => {
            let post = find(s, kind, by_slug, key).await?;
            ok(json!({kind_name(kind): [post_json(s, &post, &q.params, Scope::Staff)]}))
        }
        None => ok(tags(s, &q.params, Some((by_slug, key))).await?),
    }
}

/// The post or page of any status whose API id or slug is `key`; 404 if there is none.
async fn find(
    s: &AppState,
    kind: PostType,
    by_slug: bool,
    key: &str,
) -> Result<ApiPost, GhostError> {
    store::content_api::post_by(&s.db, Scope::Staff, kind, by_slug, key)
        .await?
        .ok_or_else(|| GhostError::not_found(not_found_name(kind)))
}

fn not_found_name(kind: PostType) -> &'static str {
    match kind {
        PostType::Post => "Post",
        PostType::Page => "Page",
    }
}

/// The one object of a write's body: `{"posts": [{...}]}`.
fn sent_object(body: &Bytes, name: &str) -> Result<Map<String, Value>, GhostError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| GhostError {
        status: StatusCode::BAD_REQUEST,
        kind: "BadRequestError",
        ..GhostError::validation(format!("The request body is not JSON: {e}."))
    })?;
    match value.get(name).and_then(Value::as_array).map(Vec::as_slice) {
        Some([Value::Object(object)]) => Ok(object.clone()),
        _ => Err(GhostError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            ..GhostError::validation(format!(
                "No root key ('{name}') provided: send {{\"{name}\": [{{...}}]}}."
            ))
        }),
    }
}

async fn add(
    State(s): State<AppState>,
    integration: Integration,
    uri: OriginalUri,
    Path(resource): Path<String>,
    body: Bytes,
) -> Answer {
    let resource = Resource::parse(&resource)?;
    let q = query(&uri)?;
    if resource == Resource::Webhooks {
        let input = webhook_input(&sent_object(&body, "webhooks")?)?;
        let id = store::webhooks::insert(&s.db, integration.id, &input.check()?).await?;
        return webhook_answer(&s, id, StatusCode::CREATED).await;
    }
    let Some(kind) = resource.kind() else {
        let tag = tag_input(&sent_object(&body, "tags")?)?;
        let mut conn = s.db.acquire().await?;
        let added = editing::add_tag(&mut conn, &tag).await?;
        let tag = store::content_api::tags(
            &s.db,
            Scope::Staff,
            Some((false, &added.id.simple().to_string())),
            None,
            1,
            0,
        )
        .await?
        .0;
        let items: Vec<Value> = tag
            .iter()
            .map(|t| Value::Object(tag_json(&s, &t.item, None)))
            .collect();
        return Ok((StatusCode::CREATED, axum::Json(json!({"tags": items}))).into_response());
    };
    let sent = sent_object(&body, kind_name(kind))?;
    let mut input = post_input(&s, &sent, q.source())?;
    input.kind = Some(kind);
    let mut conn = s.db.acquire().await?;
    let post = editing::create(&mut conn, &s.media, &integration.acting, input).await?;
    let post = find(&s, kind, false, &post.id.simple().to_string()).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({kind_name(kind): [post_json(&s, &post, &q.params, Scope::Staff)]})),
    )
        .into_response())
}

async fn edit(
    State(s): State<AppState>,
    integration: Integration,
    uri: OriginalUri,
    Path((resource, id)): Path<(String, String)>,
    body: Bytes,
) -> Answer {
    let resource = Resource::parse(&resource)?;
    let q = query(&uri)?;
    if resource == Resource::Webhooks {
        let input = webhook_input(&sent_object(&body, "webhooks")?)?;
        let id = Uuid::parse_str(&id).map_err(|_| GhostError::not_found("Webhook"))?;
        if !store::webhooks::update(&s.db, integration.id, id, &input.check()?).await? {
            return Err(GhostError::not_found("Webhook"));
        }
        return webhook_answer(&s, id, StatusCode::OK).await;
    }
    let Some(kind) = resource.kind() else {
        let tag = tag_input(&sent_object(&body, "tags")?)?;
        let uuid = tag_uuid(&id)?;
        let mut conn = s.db.acquire().await?;
        editing::edit_tag(&mut conn, uuid, &tag).await?;
        return ok(tags(&s, &q.params, Some((false, &id))).await?);
    };
    let sent = sent_object(&body, kind_name(kind))?;
    let mut input = post_input(&s, &sent, q.source())?;
    input.updated_at = Some(
        date(&sent, "updated_at")?
            .flatten()
            .ok_or_else(|| invalid("updated_at", "Validation (isRequired) failed for updated_at: send the updated_at of the post this edit is based on."))?,
    );
    let current = find(&s, kind, false, &id).await?;
    let mut conn = s.db.acquire().await?;
    editing::update(&mut conn, &s.media, &integration.acting, current.id, input).await?;
    let post = find(&s, kind, false, &id).await?;
    ok(json!({kind_name(kind): [post_json(&s, &post, &q.params, Scope::Staff)]}))
}

async fn remove(
    State(s): State<AppState>,
    integration: Integration,
    Path((resource, id)): Path<(String, String)>,
) -> Answer {
    let resource = Resource::parse(&resource)?;
    match resource.kind() {
        Some(kind) => {
            let current = find(&s, kind, false, &id).await?;
            let mut conn = s.db.acquire().await?;
            editing::delete(&mut conn, &integration.acting, current.id).await?;
        }
        None if resource == Resource::Webhooks => {
            let id = Uuid::parse_str(&id).map_err(|_| GhostError::not_found("Webhook"))?;
            if !store::webhooks::delete(&s.db, Some(integration.id), id).await? {
                return Err(GhostError::not_found("Webhook"));
            }
        }
        None => {
            if !store::tags::delete(&s.db, tag_uuid(&id)?).await? {
                return Err(GhostError::not_found("Tag"));
            }
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn tag_uuid(id: &str) -> Result<Uuid, GhostError> {
    Uuid::parse_str(id).map_err(|_| GhostError::not_found("Tag"))
}

/// `POST /images/upload/`: the multipart field `file`, and `ref`, which comes back as sent.
async fn upload_image(
    State(s): State<AppState>,
    integration: Integration,
    mut multipart: Multipart,
) -> Answer {
    let upload = read_upload(&mut multipart, s.config.media.upload_max_mb, &["ref"]).await?;
    let media = save_upload(&s, integration.acting.id, upload.file).await?;
    let reference = upload
        .fields
        .into_iter()
        .find(|(name, _)| name == "ref")
        .map(|(_, value)| value);
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"images": [{
            "url": absolute(&s, &Some(s.media.url(&media.storage_key))),
            "ref": reference,
        }]})),
    )
        .into_response())
}

fn invalid(field: &'static str, message: &str) -> GhostError {
    GhostError::from(crate::error::Error::invalid(field, message))
}

/// A text field: `Some("")` for `null` (clears it), `None` when absent.
fn string(sent: &Map<String, Value>, field: &'static str) -> Result<Option<String>, GhostError> {
    match sent.get(field) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(String::new())),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(field, &format!("{field} must be a string."))),
    }
}

/// A date field: `Some(None)` for `null`, `None` when absent.
fn date(
    sent: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<Option<DateTime<Utc>>>, GhostError> {
    match sent.get(field) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s.trim())
            .map(|at| Some(Some(at.with_timezone(&Utc))))
            .map_err(|_| {
                invalid(
                    field,
                    &format!("{field} must be a date such as 2026-01-31T10:00:00.000Z."),
                )
            }),
        Some(_) => Err(invalid(field, &format!("{field} must be a date."))),
    }
}

/// A post as Ghost's clients send it, as the editor's input: its body from `source` turned
/// into Markdown, tags by name (or by slug), the fields Quire keeps. Fields Quire has no use
/// for (`visibility`, newsletters, OG and Twitter texts...) are left out, as Ghost leaves out
/// what it does not know.
fn post_input(
    s: &AppState,
    sent: &Map<String, Value>,
    source: Source,
) -> Result<PostInput, GhostError> {
    let markdown = body_markdown(sent, source)
        .map_err(|e| {
            invalid(
                "lexical",
                &format!("The post's content cannot be read: {e}."),
            )
        })?
        .map(|md| md.replace("__GHOST_URL__", &s.site_url));
    let status = match sent.get("status") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            serde_json::from_value::<PostStatus>(v.clone())
                .map_err(|_| invalid("status", "status is draft, published or scheduled."))?,
        ),
    };
    let featured = match sent.get("featured") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(invalid("featured", "featured is true or false.")),
    };
    let tags = match sent.get("tags") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|t| match t {
                    Value::String(name) => Ok(name.clone()),
                    Value::Object(tag) => ["name", "slug"]
                        .iter()
                        .find_map(|k| tag.get(*k).and_then(Value::as_str))
                        .map(str::to_owned)
                        .ok_or_else(|| invalid("tags", "Each tag needs a name.")),
                    _ => Err(invalid("tags", "Each tag is a name or {\"name\": ...}.")),
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => return Err(invalid("tags", "tags is a list.")),
    };
    Ok(PostInput {
        title: string(sent, "title")?.filter(|t| !t.is_empty()),
        markdown,
        slug: string(sent, "slug")?,
        status,
        published_at: date(sent, "published_at")?,
        tags,
        excerpt: string(sent, "custom_excerpt")?,
        feature_image: string(sent, "feature_image")?,
        feature_image_alt: string(sent, "feature_image_alt")?,
        feature_image_caption: string(sent, "feature_image_caption")?,
        featured,
        meta_title: string(sent, "meta_title")?,
        meta_description: string(sent, "meta_description")?,
        canonical_url: string(sent, "canonical_url")?,
        codeinjection_head: string(sent, "codeinjection_head")?,
        codeinjection_foot: string(sent, "codeinjection_foot")?,
        ..PostInput::default()
    })
}

fn webhook_input(sent: &Map<String, Value>) -> Result<WebhookInput, GhostError> {
    Ok(WebhookInput {
        event: string(sent, "event")?.unwrap_or_default(),
        target_url: string(sent, "target_url")?.unwrap_or_default(),
        name: string(sent, "name")?,
        secret: string(sent, "secret")?,
    })
}

/// A webhook as Ghost's Admin API answers it.
async fn webhook_answer(s: &AppState, id: Uuid, status: StatusCode) -> Answer {
    let hook = store::webhooks::by_id(&s.db, id)
        .await?
        .ok_or_else(|| GhostError::not_found("Webhook"))?;
    let date = |at: Option<DateTime<Utc>>| at.map(super::ghost_date);
    Ok((
        status,
        axum::Json(json!({"webhooks": [{
            "id": super::hex_id(hook.id),
            "event": hook.event,
            "target_url": hook.target_url,
            "name": hook.name,
            "secret": hook.secret,
            "api_version": hook.api_version,
            "integration_id": super::hex_id(hook.integration_id),
            "status": "available",
            "last_triggered_at": date(hook.last_triggered_at),
            "last_triggered_status": hook.last_triggered_status,
            "last_triggered_error": hook.last_triggered_error,
            "created_at": super::ghost_date(hook.created_at),
            "updated_at": super::ghost_date(hook.updated_at),
        }]})),
    )
        .into_response())
}

fn tag_input(sent: &Map<String, Value>) -> Result<TagInput, GhostError> {
    Ok(TagInput {
        name: string(sent, "name")?.unwrap_or_default(),
        slug: string(sent, "slug")?,
        description: string(sent, "description")?.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{EncodingKey, Header};

    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const NOW: i64 = 1_800_000_000;

    fn token(secret: &str, aud: &str, iat: i64, exp: i64) -> String {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("abcdefabcdefabcdefabcdef".into());
        jsonwebtoken::encode(
            &header,
            &json!({"iat": iat, "exp": exp, "aud": aud}),
            &EncodingKey::from_secret(&hex::decode(secret).unwrap()),
        )
        .unwrap()
    }

    #[test]
    fn a_token_as_the_official_client_makes_it_is_accepted() {
        let t = token(SECRET, "/admin/", NOW, NOW + 300);
        assert_eq!(verify_token(&t, SECRET, "/admin/", NOW + 10), Ok(()));
    }

    #[test]
    fn tokens_signed_otherwise_or_for_elsewhere_are_refused() {
        let other = SECRET.replace('0', "1");
        let t = token(&other, "/admin/", NOW, NOW + 300);
        assert!(verify_token(&t, SECRET, "/admin/", NOW).is_err());
        let t = token(SECRET, "/v4/admin/", NOW, NOW + 300);
        assert!(verify_token(&t, SECRET, "/admin/", NOW).is_err());
        assert_eq!(verify_token(&t, SECRET, "/v4/admin/", NOW), Ok(()));
    }

    #[test]
    fn tokens_living_too_long_expired_or_from_the_future_are_refused() {
        let long = token(SECRET, "/admin/", NOW, NOW + 301);
        assert!(verify_token(&long, SECRET, "/admin/", NOW).is_err());
        let t = token(SECRET, "/admin/", NOW, NOW + 300);
        // within the clock skew either way
        assert_eq!(verify_token(&t, SECRET, "/admin/", NOW + 359), Ok(()));
        assert_eq!(verify_token(&t, SECRET, "/admin/", NOW - 59), Ok(()));
        assert!(verify_token(&t, SECRET, "/admin/", NOW + 361).is_err());
        assert!(verify_token(&t, SECRET, "/admin/", NOW - 61).is_err());
    }

    #[test]
    fn unsigned_tokens_are_refused() {
        // {"alg":"none"}: a token anyone can make
        let t = token(SECRET, "/admin/", NOW, NOW + 300);
        let mut parts: Vec<&str> = t.split('.').collect();
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
        parts[0] = none;
        parts[2] = "";
        assert!(verify_token(&parts.join("."), SECRET, "/admin/", NOW).is_err());
    }

    #[test]
    fn versioned_paths_name_their_audience() {
        assert_eq!(audience_of("/ghost/api/admin/posts/"), "/admin/");
        assert_eq!(audience_of("/ghost/api/v4/admin/posts/"), "/v4/admin/");
        assert_eq!(
            audience_of("/ghost/api/canary/admin/site/"),
            "/canary/admin/"
        );
    }
}
