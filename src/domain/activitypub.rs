//! The site as an ActivityPub actor: its handle and its key pair; and the accounts of other
//! servers as their actor documents describe them.

use rsa::RsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::Value;

/// The audience that makes an object public.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
/// ActivityStreams' JSON-LD context.
pub const CONTEXT: &str = "https://www.w3.org/ns/activitystreams";

/// Bits of the actor's RSA key: what Mastodon and Ghost use, and what draft-cavage HTTP
/// Signatures (`rsa-sha256`) expect.
const KEY_BITS: usize = 2048;

/// A key pair in PEM: the private key as PKCS#8, the public key as SubjectPublicKeyInfo
/// (`BEGIN PUBLIC KEY`, which the fediverse reads).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyPair {
    pub private_key_pem: String,
    pub public_key_pem: String,
}

/// The site's key pair with its private key parsed, as each replica keeps it.
#[derive(Debug)]
pub struct SiteKey {
    pub pair: KeyPair,
    /// Shared with the blocking threads that sign (an RSA signature takes about a
    /// millisecond: too long for the threads that serve requests).
    pub signer: std::sync::Arc<crate::domain::http_signature::Signer>,
}

impl SiteKey {
    pub fn new(pair: KeyPair) -> anyhow::Result<SiteKey> {
        let signer = crate::domain::http_signature::Signer::from_pem(&pair.private_key_pem)?;
        Ok(SiteKey {
            pair,
            signer: std::sync::Arc::new(signer),
        })
    }
}

/// A new key pair; takes a fraction of a second of one core.
pub fn generate_key_pair() -> anyhow::Result<KeyPair> {
    let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, KEY_BITS)?;
    Ok(KeyPair {
        private_key_pem: key.to_pkcs8_pem(LineEnding::LF)?.to_string(),
        public_key_pem: key.to_public_key().to_public_key_pem(LineEnding::LF)?,
    })
}

/// The longest handle: Mastodon's limit for a user name.
const MAX_HANDLE: usize = 30;

/// The site's handle, the `NAME` of `@NAME@host`: its title in lowercase ASCII letters,
/// digits and underscores (`My Blog` → `my_blog`), at most 30 of them; `blog` when nothing
/// of the title is left.
pub fn handle(title: &str) -> String {
    let mut slug = crate::domain::slug::slugify(title).replace('-', "_");
    slug.truncate(MAX_HANDLE);
    let handle = slug.trim_end_matches('_');
    if handle.is_empty() {
        "blog".to_owned()
    } else {
        handle.to_owned()
    }
}

/// The id of a node that is given either by its id or whole: `"https://…"` or
/// `{"id": "https://…", …}`.
pub fn id_of(node: &Value) -> Option<&str> {
    match node {
        Value::String(id) => Some(id),
        Value::Object(fields) => fields.get("id").and_then(Value::as_str),
        _ => None,
    }
}

/// A URL given as a string, a `Link` or `Image` with `href`/`url`, or a list of them (the
/// first).
fn url_of(node: &Value) -> Option<&str> {
    match node {
        Value::String(url) => Some(url),
        Value::Object(fields) => fields
            .get("href")
            .or_else(|| fields.get("url"))
            .and_then(url_of),
        Value::Array(items) => items.iter().find_map(url_of),
        _ => None,
    }
}

/// The longest URL, name or handle kept of another server's account.
const MAX_FIELD: usize = 2000;
/// The longest public key kept (a 16,384-bit RSA key's PEM is under 3,000 characters).
const MAX_KEY_PEM: usize = 20_000;

/// An account of another server, from its actor document: what signatures are checked with
/// and where deliveries go.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RemoteActor {
    pub id: String,
    pub key_id: String,
    pub public_key_pem: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
    pub url: Option<String>,
    pub icon: Option<String>,
}

impl RemoteActor {
    /// Reads an actor document, with the key `key_id` among its `publicKey`s (one object or
    /// a list, as servers give it); the key must say the actor owns it. `fetched_from` is the
    /// URL the document came from: an actor is believed only about itself, so its id must be
    /// on the same host.
    pub fn from_document(
        doc: &Value,
        key_id: &str,
        fetched_from: &url::Url,
    ) -> Result<RemoteActor, &'static str> {
        let id = id_of(doc).ok_or("the actor has no id")?;
        let same_origin = url::Url::parse(id).is_ok_and(|u| u.origin() == fetched_from.origin());
        if !same_origin {
            return Err("the actor's id is not on the server it came from");
        }
        let keys = match doc.get("publicKey") {
            Some(Value::Array(keys)) => keys.iter().collect(),
            Some(key) => vec![key],
            None => vec![],
        };
        let key = keys
            .into_iter()
            .find(|k| id_of(k) == Some(key_id))
            .ok_or("the actor does not have the key that signed")?;
        if key.get("owner").and_then(Value::as_str) != Some(id) {
            return Err("the key's owner is not the actor");
        }
        let pem = key
            .get("publicKeyPem")
            .and_then(Value::as_str)
            .filter(|p| p.len() <= MAX_KEY_PEM)
            .ok_or("the key has no PEM")?;
        let field = |v: Option<&str>| {
            v.filter(|v| !v.is_empty() && v.len() <= MAX_FIELD)
                .map(str::to_owned)
        };
        let inbox =
            field(doc.get("inbox").and_then(Value::as_str)).ok_or("the actor has no inbox")?;
        let shared_inbox = field(
            doc.get("endpoints")
                .and_then(|e| e.get("sharedInbox"))
                .and_then(Value::as_str),
        );
        let http = |u: &String| u.starts_with("https://") || u.starts_with("http://");
        if !http(&inbox) || shared_inbox.as_ref().is_some_and(|s| !http(s)) {
            return Err("the actor's inbox is not an http(s) URL");
        }
        if id.len() > MAX_FIELD || key_id.len() > MAX_FIELD {
            return Err("the actor's id is too long");
        }
        Ok(RemoteActor {
            id: id.to_owned(),
            key_id: key_id.to_owned(),
            public_key_pem: pem.to_owned(),
            inbox,
            shared_inbox,
            preferred_username: field(doc.get("preferredUsername").and_then(Value::as_str)),
            name: field(doc.get("name").and_then(Value::as_str)),
            url: field(doc.get("url").and_then(url_of)),
            icon: field(doc.get("icon").and_then(url_of)),
        })
    }

    /// How the admin names the account: `@user@host`, or its id.
    pub fn handle(&self) -> String {
        let host = url::Url::parse(&self.id)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned));
        match (&self.preferred_username, host) {
            (Some(user), Some(host)) => format!("@{user}@{host}"),
            _ => self.id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn alice() -> Value {
        json!({
            "@context": [CONTEXT],
            "id": "https://social.example/users/alice",
            "type": "Person",
            "preferredUsername": "alice",
            "name": "Alice",
            "inbox": "https://social.example/users/alice/inbox",
            "endpoints": {"sharedInbox": "https://social.example/inbox"},
            "icon": {"type": "Image", "url": "https://social.example/alice.png"},
            "publicKey": [{
                "id": "https://social.example/users/alice#main-key",
                "owner": "https://social.example/users/alice",
                "publicKeyPem": "-----BEGIN PUBLIC KEY-----\n…",
            }],
        })
    }

    #[test]
    fn an_actor_is_read_with_the_key_that_signed() {
        let from = url::Url::parse("https://social.example/users/alice").unwrap();
        let actor = RemoteActor::from_document(
            &alice(),
            "https://social.example/users/alice#main-key",
            &from,
        )
        .unwrap();
        assert_eq!(actor.inbox, "https://social.example/users/alice/inbox");
        assert_eq!(
            actor.shared_inbox.as_deref(),
            Some("https://social.example/inbox")
        );
        assert_eq!(
            actor.icon.as_deref(),
            Some("https://social.example/alice.png")
        );
        assert_eq!(actor.handle(), "@alice@social.example");
    }

    #[test]
    fn an_actor_is_not_believed_about_others() {
        let from = url::Url::parse("https://social.example/users/alice").unwrap();
        let key = "https://social.example/users/alice#main-key";
        let elsewhere = url::Url::parse("https://evil.example/alice").unwrap();
        assert!(RemoteActor::from_document(&alice(), key, &elsewhere).is_err());
        assert!(
            RemoteActor::from_document(&alice(), "https://social.example/other#key", &from)
                .is_err()
        );
        let mut stolen = alice();
        stolen["publicKey"][0]["owner"] = json!("https://social.example/users/bob");
        assert!(RemoteActor::from_document(&stolen, key, &from).is_err());
        let mut no_inbox = alice();
        no_inbox["inbox"] = json!("javascript:alert(1)");
        assert!(RemoteActor::from_document(&no_inbox, key, &from).is_err());
    }

    #[test]
    fn ids_are_read_from_strings_and_objects() {
        assert_eq!(id_of(&json!("https://a/1")), Some("https://a/1"));
        assert_eq!(
            id_of(&json!({"id": "https://a/2", "type": "Note"})),
            Some("https://a/2")
        );
        assert_eq!(id_of(&json!(3)), None);
    }

    #[test]
    fn handles_come_from_the_title() {
        assert_eq!(handle("My Blog"), "my_blog");
        assert_eq!(handle("Ünïcode Notes!"), "unicode_notes");
        assert_eq!(handle("…"), "blog");
        assert_eq!(
            handle("A very long title for a small blog about birds"),
            "a_very_long_title_for_a_small"
        );
    }
}
