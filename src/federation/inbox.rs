//! What the inbox does with an activity another server delivers.
//!
//! Nothing in a body is believed before its HTTP Signature is checked: the signature must
//! cover the request line, the host, the date (within an hour of ours) and the body's digest;
//! the key is the one the signer's actor document publishes (fetched, and kept in PostgreSQL
//! for a day); and the activity's `actor` must be that key's owner. Anything else is refused
//! with 401. Then: `Follow` makes a follower and is answered with `Accept`; `Undo` takes a
//! follow, like or boost back; `Like` and `Announce` of a post, and `Create{Note}` replying
//! to one, are kept with the post (the reply's HTML sanitised); `Update` edits a reply;
//! `Delete` removes a reply, or everything of an account that deleted itself. Activities
//! about something not the site's are accepted and dropped.

use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::activitypub::{RemoteActor, SiteKey, id_of};
use crate::domain::http_signature::{self, Signature, SignatureError, digest_matches};
use crate::error::{Error, Result};
use crate::federation::objects::{self, PostRef, Urls};
use crate::federation::outgoing::CallError;
use crate::state::AppState;
use crate::store;
use crate::store::activitypub::NewInteraction;

/// The largest activity the inbox reads.
pub const MAX_ACTIVITY: usize = 256 * 1024;
/// How far the `Date` of a signed request may be from ours.
const CLOCK_SKEW: chrono::TimeDelta = chrono::TimeDelta::hours(1);
/// How long a fetched key is used before it is fetched again.
const KEY_TTL_SECS: f64 = 24.0 * 3600.0;
/// The longest reply kept, in bytes of sanitised HTML.
const MAX_REPLY: usize = 100_000;

/// Signers' keys one address may make the site fetch per minute (each fetch is a request to
/// another server; a known signer's key is not fetched again).
const MAX_KEY_FETCHES: i32 = 60;
/// The longest id or URL taken from an activity.
const MAX_ID: usize = 2000;

/// A request to the inbox, as received.
pub struct Delivery<'a> {
    /// The client's address, for the limit on key fetches.
    pub ip: Option<std::net::IpAddr>,
    /// The path and query, as `(request-target)` signs them.
    pub target: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

fn unauthorized(why: impl Into<String>) -> Error {
    Error::Unauthorized(Some(why.into()))
}

fn bad(why: &str) -> Error {
    Error::invalid("activity", why.to_owned())
}

/// Checks a delivery's signature and acts on it; the answer is 202 for anything taken.
pub async fn receive(s: &AppState, delivery: Delivery<'_>) -> Result<StatusCode> {
    let headers = delivery.headers;
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let signature = text("signature")
        .ok_or_else(|| unauthorized("the request is not signed (no Signature header)"))
        .and_then(|h| Signature::parse(h).map_err(|e| unauthorized(e.to_string())))?;
    signature
        .covers_enough(true)
        .map_err(|e| unauthorized(e.to_string()))?;
    let date = text("date")
        .and_then(|d| httpdate::parse_http_date(d).ok())
        .map(DateTime::<Utc>::from)
        .ok_or_else(|| unauthorized("the Date header is missing or unreadable"))?;
    if (Utc::now() - date).abs() > CLOCK_SKEW {
        return Err(unauthorized(
            "the request's Date is more than an hour from now",
        ));
    }
    if !text("digest").is_some_and(|d| digest_matches(d, delivery.body)) {
        return Err(unauthorized(
            "the Digest header is missing or does not match the body",
        ));
    }
    let activity: Value =
        serde_json::from_slice(delivery.body).map_err(|_| bad("The body is not JSON."))?;
    if !ids_fit(&activity) {
        return Err(bad(
            "An id or URL of the activity is longer than 2,000 characters.",
        ));
    }
    let claimed_actor = activity
        .get("actor")
        .and_then(id_of)
        .ok_or_else(|| bad("The activity names no actor."))?;
    let same_origin = match (
        url::Url::parse(claimed_actor),
        url::Url::parse(&signature.key_id),
    ) {
        (Ok(a), Ok(k)) => a.origin() == k.origin(),
        _ => false,
    };
    if !same_origin {
        return Err(unauthorized(
            "the key that signed is not on the actor's server",
        ));
    }
    let signed =
        http_signature::signing_string(&signature.headers, "POST", delivery.target, |n| text(n))
            .map_err(|e| unauthorized(e.to_string()))?;

    let key = crate::federation::site_key(s).await?;
    let actor = match signer(s, key, &signature, &signed, delivery.ip).await {
        Ok(actor) => actor,
        // an account that deleted itself cannot be fetched any more; its Delete asks nothing
        Err(KeyError::Unreachable(_)) if activity["type"] == "Delete" => {
            return Ok(StatusCode::ACCEPTED);
        }
        Err(KeyError::TooMany(wait)) => return Err(Error::TooManyRequests(wait)),
        Err(KeyError::Db(e)) => return Err(e.into()),
        Err(e) => return Err(unauthorized(e.to_string())),
    };
    if actor.id != claimed_actor {
        return Err(unauthorized("the activity's actor is not who signed it"));
    }
    act(s, &actor, &activity).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, thiserror::Error)]
enum KeyError {
    #[error("the signer's key cannot be fetched: {0}")]
    Unreachable(String),
    #[error("the signer's key cannot be used: {0}")]
    Unusable(String),
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error("the signer's key cannot be kept: {0}")]
    Db(#[from] sqlx::Error),
    #[error("too many unknown keys from this address; try again in {0} seconds")]
    TooMany(i64),
}

/// The actor whose key made `signature` over `signed`: the key kept for its id, else (or
/// when that one does not verify, the account may have a new key) the one fetched now.
async fn signer(
    s: &AppState,
    key: &SiteKey,
    signature: &Signature,
    signed: &str,
    ip: Option<std::net::IpAddr>,
) -> std::result::Result<RemoteActor, KeyError> {
    if let Some((actor, age)) = store::activitypub::actor_by_key(&s.db, &signature.key_id).await?
        && age < KEY_TTL_SECS
        && http_signature::verify(&actor.public_key_pem, signed, &signature.signature).is_ok()
    {
        return Ok(actor);
    }
    if let Some(ip) = ip {
        let keys = [format!("activitypub:fetch:{ip}")];
        if let Some(wait) = store::limits::attempt(&s.db, &keys, &[MAX_KEY_FETCHES], 60).await? {
            return Err(KeyError::TooMany(wait.max(1)));
        }
    }
    let actor = fetch_actor(s, key, &signature.key_id).await?;
    http_signature::verify(&actor.public_key_pem, signed, &signature.signature)?;
    store::activitypub::save_actor(&s.db, &actor).await?;
    Ok(actor)
}

/// Fetches the actor of a key: the key's URL gives the actor document itself (Mastodon,
/// Fedify: the key is a fragment of it) or the key with its `owner`, whose document is then
/// fetched.
async fn fetch_actor(
    s: &AppState,
    key: &SiteKey,
    key_id: &str,
) -> std::result::Result<RemoteActor, KeyError> {
    let urls = Urls { site: &s.site_url };
    let client = &s.activitypub_client;
    let unreachable = |e: CallError| KeyError::Unreachable(e.to_string());
    let (mut doc, mut from) = client
        .fetch(key, &urls, key_id)
        .await
        .map_err(unreachable)?;
    if doc.get("inbox").is_none()
        && let Some(owner) = doc.get("owner").and_then(Value::as_str)
    {
        let owner_url = url::Url::parse(owner)
            .map_err(|_| KeyError::Unusable("the key's owner is not a URL".into()))?;
        if owner_url.origin() != from.origin() {
            return Err(KeyError::Unusable(
                "the key's owner is on another server".into(),
            ));
        }
        (doc, from) = client.fetch(key, &urls, owner).await.map_err(unreachable)?;
    }
    RemoteActor::from_document(&doc, key_id, &from).map_err(|e| KeyError::Unusable(e.into()))
}

/// Acts on a verified activity of `actor`.
async fn act(s: &AppState, actor: &RemoteActor, activity: &Value) -> Result<()> {
    let urls = Urls { site: &s.site_url };
    let object = activity.get("object").unwrap_or(&Value::Null);
    let activity_id = activity.get("id").and_then(Value::as_str);
    match activity.get("type").and_then(Value::as_str).unwrap_or("") {
        "Follow" => {
            if id_of(object) != Some(urls.actor().as_str()) {
                return Ok(());
            }
            let follow_id = activity_id.ok_or_else(|| bad("A Follow needs an id."))?;
            let accept_id = Uuid::new_v4();
            let accept = objects::accept(&urls, accept_id, activity, &actor.id);
            let mut tx = s.db.begin().await?;
            store::activitypub::add_follower(&mut *tx, &actor.id, follow_id).await?;
            store::activitypub::save_activity(&mut *tx, accept_id, &accept).await?;
            store::activitypub::queue_delivery(&mut *tx, accept_id, &actor.inbox).await?;
            tx.commit().await?;
            tracing::info!(follower = %actor.handle(), "a new follower");
        }
        "Undo" => {
            let Some(undone) = id_of(object) else {
                return Ok(());
            };
            let kind = object.get("type").and_then(Value::as_str);
            if matches!(kind, None | Some("Follow"))
                && store::activitypub::remove_follower(&s.db, &actor.id, Some(undone)).await?
            {
                tracing::info!(follower = %actor.handle(), "a follower left");
                return Ok(());
            }
            if kind == Some("Follow") && id_of(&object["object"]) == Some(urls.actor().as_str()) {
                store::activitypub::remove_follower(&s.db, &actor.id, None).await?;
                return Ok(());
            }
            if store::activitypub::remove_interaction(&s.db, &actor.id, undone).await? {
                return Ok(());
            }
            // a like or boost given whole: undone whichever of its repeats was kept
            let reaction = match kind {
                Some("Like") => "like",
                Some("Announce") => "announce",
                _ => return Ok(()),
            };
            if let Some(target) = object.get("object").and_then(id_of)
                && let Some(post_id) = post_of(s, &urls, target).await?
            {
                store::activitypub::remove_reaction(&s.db, &actor.id, reaction, post_id).await?;
            }
        }
        kind @ ("Like" | "Announce") => {
            let activity_id = activity_id.ok_or_else(|| bad("A Like or Announce needs an id."))?;
            let Some(post) = id_of(object) else {
                return Ok(());
            };
            let Some(post_id) = post_of(s, &urls, post).await? else {
                return Ok(());
            };
            store::activitypub::add_interaction(
                &s.db,
                &NewInteraction {
                    activity_id,
                    kind: if kind == "Like" { "like" } else { "announce" },
                    post_id,
                    actor_id: &actor.id,
                    object_id: None,
                    url: None,
                    content_html: None,
                    published_at: parse_date(activity.get("published")),
                },
            )
            .await?;
        }
        "Create" => {
            let activity_id = activity_id.ok_or_else(|| bad("A Create needs an id."))?;
            let Some(note) = reply_note(object, &actor.id) else {
                return Ok(());
            };
            let Some(post_id) = post_of(s, &urls, note.in_reply_to).await? else {
                return Ok(());
            };
            store::activitypub::add_interaction(
                &s.db,
                &NewInteraction {
                    activity_id,
                    kind: "reply",
                    post_id,
                    actor_id: &actor.id,
                    object_id: Some(note.id),
                    url: note.url,
                    content_html: Some(&note.content_html),
                    published_at: note.published,
                },
            )
            .await?;
            tracing::info!(from = %actor.handle(), "a reply to a post");
        }
        "Update" => {
            if let Some(note) = reply_note(object, &actor.id) {
                store::activitypub::update_reply(&s.db, &actor.id, note.id, &note.content_html)
                    .await?;
            }
        }
        "Delete" => {
            let Some(gone) = id_of(object) else {
                return Ok(());
            };
            if gone == actor.id {
                store::activitypub::forget_actor(&s.db, &actor.id).await?;
                tracing::info!(account = %actor.handle(), "an account deleted itself");
            } else {
                store::activitypub::remove_interaction(&s.db, &actor.id, gone).await?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Whether every id and URL the inbox may keep (the activity's, its object's, the reply's
/// target and link) fits the columns they go to.
fn ids_fit(activity: &Value) -> bool {
    let fits = |v: Option<&Value>| v.and_then(id_of).is_none_or(|id| id.len() <= MAX_ID);
    let object = activity.get("object");
    fits(activity.get("id"))
        && fits(activity.get("actor"))
        && fits(object)
        && object.is_none_or(|o| {
            fits(o.get("inReplyTo"))
                && fits(o.get("url"))
                && o.get("url")
                    .and_then(|u| u.get("href"))
                    .is_none_or(|h| h.as_str().is_none_or(|h| h.len() <= MAX_ID))
        })
}

/// The published post an object URL of the site names, if any.
async fn post_of(s: &AppState, urls: &Urls<'_>, url: &str) -> Result<Option<Uuid>> {
    Ok(match urls.named_post(url) {
        Some(PostRef::Id(id)) => store::posts::published_post_by_id(&s.db, id)
            .await?
            .map(|p| p.id),
        Some(PostRef::Slug(slug)) => store::posts::published_by_slug(&s.db, &slug)
            .await?
            .filter(|p| p.kind == crate::domain::post::PostType::Post)
            .map(|p| p.id),
        None => None,
    })
}

/// A reply as kept: its id, the post it answers, and its HTML made safe.
struct ReplyNote<'a> {
    id: &'a str,
    in_reply_to: &'a str,
    url: Option<&'a str>,
    content_html: String,
    published: Option<DateTime<Utc>>,
}

/// Reads a note (given whole) written by `author` in reply to something.
fn reply_note<'a>(object: &'a Value, author: &str) -> Option<ReplyNote<'a>> {
    if !matches!(
        object.get("type").and_then(Value::as_str),
        Some("Note" | "Article")
    ) {
        return None;
    }
    if object.get("attributedTo").and_then(id_of) != Some(author) {
        return None;
    }
    let id = object.get("id").and_then(Value::as_str)?;
    let in_reply_to = object.get("inReplyTo").and_then(id_of)?;
    let content = object.get("content").and_then(Value::as_str).unwrap_or("");
    let content_html = sanitise(content);
    if content_html.len() > MAX_REPLY {
        return None;
    }
    let url = object
        .get("url")
        .and_then(|u| u.as_str().or_else(|| u.get("href").and_then(Value::as_str)))
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"));
    Some(ReplyNote {
        id,
        in_reply_to,
        url,
        content_html,
        published: parse_date(object.get("published")),
    })
}

fn parse_date(value: Option<&Value>) -> Option<DateTime<Utc>> {
    value
        .and_then(Value::as_str)
        .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
        .map(|d| crate::domain::limits::clamp_date(d.with_timezone(&Utc)))
}

/// A reply's HTML as the site may show it: text, paragraphs, line breaks, links (marked as
/// user content, which search engines do not follow) and little else.
pub fn sanitise(html: &str) -> String {
    ammonia::Builder::empty()
        .add_tags([
            "p",
            "br",
            "a",
            "span",
            "em",
            "strong",
            "b",
            "i",
            "blockquote",
            "code",
            "pre",
        ])
        .add_tag_attributes("a", ["href"])
        .url_schemes(["http", "https"].into())
        .link_rel(Some("nofollow noopener noreferrer ugc"))
        .clean(html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replies_keep_text_and_links_only() {
        let html = r#"<p>Nice <a href="https://x.example/" class="u-url">post</a><script>alert(1)</script><img src=x onerror=alert(1)> <a href="javascript:alert(1)">no</a></p>"#;
        assert_eq!(
            sanitise(html),
            r#"<p>Nice <a href="https://x.example/" rel="nofollow noopener noreferrer ugc">post</a> <a rel="nofollow noopener noreferrer ugc">no</a></p>"#
        );
    }

    #[test]
    fn a_reply_is_only_the_authors_own() {
        let note = json!({
            "id": "https://social.example/notes/1", "type": "Note",
            "attributedTo": "https://social.example/users/alice",
            "inReplyTo": "https://blog.example/hello/", "content": "<p>Hi</p>",
        });
        let reply = reply_note(&note, "https://social.example/users/alice").unwrap();
        assert_eq!(reply.in_reply_to, "https://blog.example/hello/");
        assert!(reply_note(&note, "https://social.example/users/bob").is_none());
        let mut not_a_reply = note.clone();
        not_a_reply.as_object_mut().unwrap().remove("inReplyTo");
        assert!(reply_note(&not_a_reply, "https://social.example/users/alice").is_none());
    }
}
