//! Ghost's webhooks: when content changes, each webhook listening to the event gets a POST of
//! `{"post": {"current": {...}, "previous": {...}}}` (or `page`, `tag`), signed with its
//! secret in `X-Ghost-Signature` as Ghost signs it.
//!
//! Events are queued by the database itself, in the transaction of the change (see
//! `migrations/0009_jobs_and_webhooks.sql`), so none is lost and none is made up by a change
//! that rolled back. A worker turns each event into one delivery job per webhook, building the
//! payload once; deliveries are retried with backoff (`jobs`) and answer the admin's list of
//! recent deliveries.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::domain::post::PostType;
use crate::http::ghost::{ghost_date, hex_id, post_for_webhook, tag_for_webhook};
use crate::jobs::{Done, Failure};
use crate::state::AppState;
use crate::store;
use crate::store::content_api::Scope;
use crate::store::jobs::Job;

/// The job that turns an event into deliveries.
pub const EVENT_JOB: &str = "webhook.event";
/// The job that makes one webhook call.
pub const DELIVERY_JOB: &str = "webhook.delivery";
/// How long a receiver has to answer.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// The events a webhook may listen to, as Ghost names them.
pub const EVENTS: [&str; 22] = [
    "post.added",
    "post.deleted",
    "post.edited",
    "post.published",
    "post.published.edited",
    "post.unpublished",
    "post.scheduled",
    "post.unscheduled",
    "post.rescheduled",
    "page.added",
    "page.deleted",
    "page.edited",
    "page.published",
    "page.published.edited",
    "page.unpublished",
    "page.scheduled",
    "page.unscheduled",
    "page.rescheduled",
    "tag.added",
    "tag.edited",
    "tag.deleted",
    "site.changed",
];

/// A webhook as a writer sets it up, before it is checked.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    pub event: String,
    pub target_url: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub secret: Option<String>,
}

/// Longest name and secret, as Ghost's.
const MAX_TEXT: usize = 191;

impl WebhookInput {
    /// Checks the event is one Ghost has and the address is an absolute http(s) URL.
    pub fn check(&self) -> crate::error::Result<store::webhooks::WebhookFields<'_>> {
        use crate::error::Error;
        let event = self.event.trim();
        if !EVENTS.contains(&event) {
            return Err(Error::invalid(
                "event",
                format!("Choose one of Ghost's events: {}.", EVENTS.join(", ")),
            ));
        }
        let target_url = self.target_url.trim();
        let url = url::Url::parse(target_url).ok().filter(|u| {
            matches!(u.scheme(), "http" | "https") && u.host().is_some() && target_url.len() <= 2000
        });
        if url.is_none() {
            return Err(Error::invalid(
                "target_url",
                "The target URL is an http:// or https:// address of at most 2,000 characters.",
            ));
        }
        fn text<'a>(
            value: &'a Option<String>,
            field: &'static str,
        ) -> crate::error::Result<Option<&'a str>> {
            let value = value.as_deref().map(str::trim).filter(|v| !v.is_empty());
            if value.is_some_and(|v| v.chars().count() > MAX_TEXT) {
                return Err(Error::invalid(
                    field,
                    format!("At most {MAX_TEXT} characters."),
                ));
            }
            Ok(value)
        }
        Ok(store::webhooks::WebhookFields {
            event,
            target_url,
            name: text(&self.name, "name")?,
            secret: text(&self.secret, "secret")?,
        })
    }
}

/// The client webhook calls go out with.
pub type Client = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    http_body_util::Full<bytes::Bytes>,
>;

/// What webhook calls say they come from.
const USER_AGENT: &str = concat!(
    "Quire/",
    env!("CARGO_PKG_VERSION"),
    " (Ghost-compatible webhooks)"
);

/// The client webhook calls go out with: HTTP/1.1, TLS through rustls and ring with the
/// Mozilla roots; redirects are not followed (a receiver answers where it was registered).
pub fn client() -> anyhow::Result<Client> {
    let https = https_connector(hyper_util::client::legacy::connect::HttpConnector::new())?;
    Ok(
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(https),
    )
}

/// What calls to other servers (webhooks, the fediverse) go through: `http` (with its own
/// resolver) for http:// and https://, HTTP/1.1, TLS through rustls and ring with the Mozilla
/// roots, [`CALL_TIMEOUT`] to connect.
pub fn https_connector<R>(
    mut http: hyper_util::client::legacy::connect::HttpConnector<R>,
) -> anyhow::Result<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector<R>>,
> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    http.enforce_http(false);
    http.set_connect_timeout(Some(CALL_TIMEOUT));
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http))
}

/// `X-Ghost-Signature` for `body` sent at `ts` (milliseconds since the epoch): as Ghost
/// makes it, the HMAC-SHA256 of the body followed by the timestamp, keyed with the secret.
pub fn signature(secret: &str, body: &str, ts: i64) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let mut context = ring::hmac::Context::with_key(&key);
    context.update(body.as_bytes());
    context.update(ts.to_string().as_bytes());
    format!("sha256={}, t={ts}", hex::encode(context.sign().as_ref()))
}

/// Turns a queued event into one delivery per webhook listening to it, in one transaction
/// with the event's end: each webhook gets each event once.
pub async fn fan_out(s: &AppState, job: &Job) -> Result<Done, Failure> {
    let event = job.payload["event"]
        .as_str()
        .ok_or_else(|| Failure::give_up("the event has no name"))?;
    let body = payload(s, &job.payload).await?.to_string();
    let mut tx = s.db.begin().await?;
    let hooks = store::webhooks::list(&mut *tx, None, Some(event)).await?;
    for hook in &hooks {
        store::jobs::enqueue(
            &mut *tx,
            DELIVERY_JOB,
            &json!({"webhook": hook.id, "event": event, "body": body}),
        )
        .await?;
    }
    store::jobs::finish(
        &mut *tx,
        job.id,
        &format!("{} deliveries queued", hooks.len()),
    )
    .await?;
    tx.commit().await?;
    Ok(Done::Recorded)
}

/// Makes one webhook call; a webhook deleted since is not called.
pub async fn deliver(s: &AppState, client: &Client, job: &Job) -> Result<Done, Failure> {
    let id = job.payload["webhook"]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| Failure::give_up("the delivery names no webhook"))?;
    let body = job.payload["body"]
        .as_str()
        .ok_or_else(|| Failure::give_up("the delivery has no body"))?;
    let Some(hook) = store::webhooks::by_id(&s.db, id).await? else {
        return Ok(Done::Note("not sent: the webhook was deleted".into()));
    };
    let mut request = axum::http::Request::post(&hook.target_url)
        .header(axum::http::header::CONTENT_TYPE, "application/json")
        .header(axum::http::header::USER_AGENT, USER_AGENT);
    if let Some(secret) = hook.secret.as_deref().filter(|s| !s.is_empty()) {
        let ts = Utc::now().timestamp_millis();
        request = request.header("X-Ghost-Signature", signature(secret, body, ts));
    }
    let request = request
        .body(http_body_util::Full::new(bytes::Bytes::from(
            body.to_owned(),
        )))
        .map_err(|e| Failure::give_up(format!("the target URL cannot be called: {e}")))?;
    let answer = match tokio::time::timeout(CALL_TIMEOUT, client.request(request)).await {
        Ok(Ok(response)) => Ok(response.status()),
        Ok(Err(e)) => Err(call_error(&e)),
        Err(_) => Err(format!(
            "no answer within {} seconds",
            CALL_TIMEOUT.as_secs()
        )),
    };
    match answer {
        Ok(status) if status.is_success() => {
            store::webhooks::record_attempt(&s.db, id, Some(status.as_u16()), None).await?;
            Ok(Done::Note(status.as_u16().to_string()))
        }
        Ok(status) => {
            let error = format!("the receiver answered {status}");
            store::webhooks::record_attempt(&s.db, id, Some(status.as_u16()), Some(&error)).await?;
            // as Ghost: 410 Gone says the receiver wants no more
            if status == axum::http::StatusCode::GONE {
                Err(Failure::give_up(error))
            } else {
                Err(Failure::retry(error))
            }
        }
        Err(error) => {
            store::webhooks::record_attempt(&s.db, id, None, Some(&error)).await?;
            Err(Failure::retry(error))
        }
    }
}

/// Why a call got no answer, in words for the admin.
fn call_error(e: &hyper_util::client::legacy::Error) -> String {
    if e.is_connect() {
        return "cannot connect to the receiver".into();
    }
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        message = format!("{message}: {cause}");
        source = cause.source();
    }
    message
}

/// The JSON an event sends: the item as it is now and what it was before the change.
async fn payload(s: &AppState, event: &Value) -> Result<Value, Failure> {
    let resource = event["resource"].as_str().unwrap_or("");
    let id = event["id"].as_str().and_then(|id| Uuid::parse_str(id).ok());
    let previous = event["previous"].as_object();
    Ok(match (resource, id) {
        ("post" | "page", Some(id)) => {
            let kind = if resource == "page" {
                PostType::Page
            } else {
                PostType::Post
            };
            let post =
                store::content_api::post_by(&s.db, Scope::Staff, kind, false, &hex_id(id)).await?;
            let current = post.map_or(json!({}), |p| post_for_webhook(s, &p));
            json!({resource: {
                "current": current,
                "previous": previous.map_or(json!({}), |old| changed(old, &current, POST_FIELDS)),
            }})
        }
        ("tag", Some(id)) => {
            let tag = store::content_api::tags(
                &s.db,
                Scope::Staff,
                Some((false, &hex_id(id))),
                None,
                1,
                0,
            )
            .await
            .map_err(|e| Failure::retry(e.to_string()))?
            .0
            .into_iter()
            .next();
            let current = tag.map_or(json!({}), |t| tag_for_webhook(s, &t.item));
            json!({"tag": {
                "current": current,
                "previous": previous.map_or(json!({}), |old| changed(old, &current, TAG_FIELDS)),
            }})
        }
        // site.changed says only that something did
        _ => json!({}),
    })
}

/// The columns of a post that Ghost's `previous` may name, by their Ghost name.
const POST_FIELDS: &[&str] = &[
    "title",
    "slug",
    "status",
    "html",
    "custom_excerpt",
    "feature_image",
    "feature_image_alt",
    "feature_image_caption",
    "featured",
    "meta_title",
    "meta_description",
    "canonical_url",
    "codeinjection_head",
    "codeinjection_foot",
    "published_at",
    "updated_at",
];

const TAG_FIELDS: &[&str] = &[
    "name",
    "slug",
    "description",
    "feature_image",
    "visibility",
    "meta_title",
    "meta_description",
    "accent_color",
    "updated_at",
];

/// Ghost's `previous`: the fields of the row before the change whose value differs from the
/// item's now, in Ghost's shapes (dates as Ghost writes them); all of them when it is gone.
fn changed(old: &Map<String, Value>, current: &Value, fields: &[&str]) -> Value {
    let gone = current.as_object().is_none_or(Map::is_empty);
    let mut previous = Map::new();
    if gone && let Some(id) = old.get("id").and_then(Value::as_str) {
        let id = Uuid::parse_str(id).map_or_else(|_| id.to_owned(), hex_id);
        let ghost_id = old
            .get("feed_guid")
            .and_then(Value::as_str)
            .map_or(id, str::to_owned);
        previous.insert("id".into(), Value::String(ghost_id));
    }
    for &field in fields {
        let Some(value) = old.get(field) else {
            continue;
        };
        let value = match value.as_str().map(DateTime::parse_from_rfc3339) {
            Some(Ok(at)) => Value::String(ghost_date(at.with_timezone(&Utc))),
            _ => value.clone(),
        };
        if gone || current.get(field) != Some(&value) {
            previous.insert(field.into(), value);
        }
    }
    Value::Object(previous)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_made_as_ghost_makes_them() {
        // Node's crypto.createHmac('sha256', 'secret').update(body + ts).digest('hex'), as
        // Ghost signs, for this body and time (and Python's hmac agrees)
        assert_eq!(
            signature("secret", r#"{"post":{}}"#, 1_700_000_000_000),
            "sha256=592b016207072a89d3af8b508f707685fa2d82f68347369595d2fa97d14e1840, \
             t=1700000000000"
        );
    }

    #[test]
    fn previous_names_what_changed_in_ghosts_shapes() {
        let old = json!({
            "id": "0b7c3b5e-9d0a-4f43-9c1e-6f0a1b2c3d4e", "title": "Old title", "slug": "same",
            "status": "draft", "featured": false,
            "updated_at": "2026-01-02T03:04:05.678901+00:00",
        });
        let current = json!({"title": "New title", "slug": "same", "status": "published",
                             "featured": false, "updated_at": "2026-02-01T00:00:00.000+00:00"});
        assert_eq!(
            changed(old.as_object().unwrap(), &current, POST_FIELDS),
            json!({"title": "Old title", "status": "draft",
                   "updated_at": "2026-01-02T03:04:05.678+00:00"})
        );
        // a deleted item's previous is all it was, with its id
        let previous = changed(old.as_object().unwrap(), &json!({}), POST_FIELDS);
        assert_eq!(previous["id"], "0b7c3b5e9d0a4f439c1e6f0a1b2c3d4e");
        assert_eq!(previous["slug"], "same");
    }
}
