//! Extractors: who is asking (a staff session, with CSRF and Origin checks for writes), the
//! client's address (believing `X-Forwarded-For` from trusted proxies only), and JSON bodies,
//! query strings and path parameters whose errors answer in the API's JSON format. Text with a
//! NUL character is refused here, once for every handler: PostgreSQL cannot store it, and no
//! one types it.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::form_urlencoded;

use crate::auth;
use crate::config::TrustedProxies;
use crate::domain::user::Role;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store;
use crate::store::users::StaffUser;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "quire_session";
/// The header that carries the CSRF token of the session.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A JSON body; a malformed one answers 422 in the API's error format, naming the field where
/// it can, and so does a body with a NUL character in any key or string. A body over the
/// route's limit answers 413.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self> {
        let axum::Json(value) = axum::Json::<Value>::from_request(request, state).await?;
        if let Some(field) = nul_in(&value) {
            return Err(nul_error(field));
        }
        serde_path_to_error::deserialize(value)
            .map(Json)
            .map_err(|e| deserialize_error("JSON body", e))
    }
}

/// A query string; one that does not fit answers 422 naming the parameter, as does a
/// parameter with a NUL character.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        let query = parts.uri.query().unwrap_or_default().as_bytes();
        if let Some((key, _)) = form_urlencoded::parse(query)
            .find(|(key, value)| key.contains('\0') || value.contains('\0'))
        {
            let key = (!key.contains('\0')).then(|| key.into_owned());
            return Err(nul_error(key));
        }
        let params = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query));
        serde_path_to_error::deserialize(params)
            .map(Query)
            .map_err(|e| deserialize_error("query string", e))
    }
}

/// Path parameters; one that does not fit (an id that is not a UUID) answers 404 in the API's
/// JSON format.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Error))]
pub struct Path<T>(pub T);

/// The key path (`tags`, `navigation.label`) of the first string or key in `value` holding a
/// NUL character: `Some(None)` when it is at the top level, `None` when there is none.
fn nul_in(value: &Value) -> Option<Option<String>> {
    fn walk<'v>(value: &'v Value, path: &mut Vec<&'v str>) -> bool {
        match value {
            Value::String(s) => s.contains('\0'),
            Value::Array(items) => items.iter().any(|item| walk(item, path)),
            Value::Object(map) => map.iter().any(|(key, item)| {
                if key.contains('\0') {
                    return true;
                }
                path.push(key);
                let found = walk(item, path);
                if !found {
                    path.pop();
                }
                found
            }),
            _ => false,
        }
    }
    let mut path = Vec::new();
    walk(value, &mut path).then(|| (!path.is_empty()).then(|| path.join(".")))
}

fn nul_error(field: Option<String>) -> Error {
    Error::Invalid {
        field: field.map(Into::into),
        message: "Text cannot contain NUL characters (\\u0000).".into(),
    }
}

/// A 422 naming the field serde stopped at, if any.
fn deserialize_error<E: std::fmt::Display>(what: &str, e: serde_path_to_error::Error<E>) -> Error {
    let path = e.path().to_string();
    Error::Invalid {
        field: (path != ".").then(|| path.into()),
        message: format!("Failed to deserialize the {what}: {e}"),
    }
}

/// A signed-in staff member. Extracting it answers 401 without a valid session, and, for
/// requests that change state, 403 unless the session's CSRF token is sent and any `Origin`
/// is the site's own.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: StaffUser,
    pub token_hash: String,
    pub csrf_token: String,
}

impl SignedIn {
    /// 403 unless the role is at least `role`.
    pub fn require(&self, role: Role) -> Result<()> {
        if self.user.role.at_least(role) {
            Ok(())
        } else {
            Err(Error::Forbidden(None))
        }
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or(Error::Unauthorized(None))?;
        let session = store::sessions::find(&state.db, &auth::token_hash(token))
            .await?
            .ok_or(Error::Unauthorized(None))?;
        if changes_state(&parts.method) {
            check_origin(&parts.headers, state)?;
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .map(|v| v.as_bytes())
                .unwrap_or_default();
            if !auth::constant_time_eq(sent, session.csrf_token.as_bytes()) {
                return Err(Error::Csrf);
            }
        }
        Ok(SignedIn {
            user: session.user,
            token_hash: session.token_hash,
            csrf_token: session.csrf_token,
        })
    }
}

/// Every method but GET, HEAD, OPTIONS and TRACE.
pub fn changes_state(method: &Method) -> bool {
    !method.is_safe()
}

/// Refuses a cross-site request: an `Origin` header, when a browser sends one, must be the
/// site's configured origin or the origin the request was addressed to.
pub fn check_origin(headers: &HeaderMap, state: &AppState) -> Result<()> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    if origin == state.site_url {
        return Ok(());
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let same_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|rest| !host.is_empty() && rest == host);
    if same_host {
        Ok(())
    } else {
        Err(Error::Forbidden(Some(
            "cross-origin request refused".into(),
        )))
    }
}

/// The value of one cookie.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// The client's address: the TCP peer, unless the peer is one of the trusted proxies
/// (`QUIRE_TRUSTED_PROXIES`); then the right-most `X-Forwarded-For` entry that is not a
/// trusted proxy. Anyone else's `X-Forwarded-For` is ignored: a client could write anything
/// there, to dodge the per-address limits or to get someone else throttled.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientIp(client_ip(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

/// Says once per process that a proxy seems to be in front while none is trusted: every
/// visitor then shares the proxy's address, and with it the sign-in limit per address.
fn warn_untrusted_forwarding(peer: IpAddr) {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| {
        tracing::warn!(
            %peer,
            "a request came with X-Forwarded-For but QUIRE_TRUSTED_PROXIES is empty: the header \
             is ignored and the peer counts as the client; behind a load balancer, set \
             QUIRE_TRUSTED_PROXIES to its network"
        );
    });
}

/// The client behind `peer`: see [`ClientIp`].
pub fn client_ip(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    if !trusted.contains(peer) {
        if trusted.is_empty() && headers.contains_key("x-forwarded-for") {
            warn_untrusted_forwarding(peer);
        }
        return Some(peer);
    }
    // every proxy appends the address it was reached from; walk back from the right over
    // the trusted hops, and the first address no proxy of ours vouches for is the client
    let mut client = peer;
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    for hop in hops.rsplit(',').map(str::trim).filter(|h| !h.is_empty()) {
        let Some(ip) = parse_hop(hop) else {
            // garbage written by someone before our proxies: the closest known hop it is
            break;
        };
        client = ip;
        if !trusted.contains(ip) {
            break;
        }
    }
    Some(client)
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`192.0.2.1:5000`,
/// `[2001:db8::1]:5000`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn nul_characters_are_found_with_their_key_path() {
        let found = |v: Value| nul_in(&v);
        assert_eq!(
            found(serde_json::json!({"title": "fine", "tags": ["a"]})),
            None
        );
        assert_eq!(
            found(serde_json::json!({"title": "fine", "tags": ["a", "b\u{0}"]})),
            Some(Some("tags".into()))
        );
        assert_eq!(
            found(serde_json::json!({"navigation": [{"label": "x\u{0}", "url": "/"}]})),
            Some(Some("navigation.label".into()))
        );
        assert_eq!(
            found(serde_json::json!({"a": {"b\u{0}": 1}})),
            Some(Some("a".into()))
        );
        assert_eq!(found(serde_json::json!("\u{0}")), Some(None));
        assert_eq!(found(serde_json::json!({"k\u{0}": 1})), Some(None));
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; quire_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, "quire_session"), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        h
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn forwarded_for_from_an_untrusted_peer_is_ignored() {
        let none = TrustedProxies::default();
        let h = forwarded("198.51.100.1");
        assert_eq!(client_ip(ip("203.0.113.9"), &h, &none), ip("203.0.113.9"));
        let other = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(client_ip(ip("203.0.113.9"), &h, &other), ip("203.0.113.9"));
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_hop() {
        let trusted = TrustedProxies::parse("10.0.0.0/8, 192.0.2.1").unwrap();
        let peer = ip("10.0.0.5");
        // a client's forged entry on the left is not believed
        let h = forwarded("1.1.1.1, 198.51.100.7, 192.0.2.1");
        assert_eq!(client_ip(peer, &h, &trusted), ip("198.51.100.7"));
        // entries of several headers are read in order
        let mut h = forwarded("1.1.1.1");
        h.append(
            "x-forwarded-for",
            HeaderValue::from_static("198.51.100.8:4711"),
        );
        assert_eq!(client_ip(peer, &h, &trusted), ip("198.51.100.8"));
        // no header: the proxy itself
        assert_eq!(client_ip(peer, &HeaderMap::new(), &trusted), peer);
        // every hop trusted: the left-most
        let h = forwarded("10.1.1.1, 10.2.2.2");
        assert_eq!(client_ip(peer, &h, &trusted), ip("10.1.1.1"));
        // garbage left of the trusted hops: the last hop known
        let h = forwarded("not-an-address, 10.2.2.2");
        assert_eq!(client_ip(peer, &h, &trusted), ip("10.2.2.2"));
        // an IPv4 peer through an IPv6 socket
        let h = forwarded("198.51.100.9");
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.5"), &h, &trusted),
            ip("198.51.100.9")
        );
    }
}
