//! What the site sends to other servers: signed fetches of their actors and signed deliveries
//! of its activities.
//!
//! Every request is signed with the site's key (draft-cavage HTTP Signatures, as Mastodon
//! checks them; fetches too, for servers that only answer signed requests). Requests go only
//! to public addresses, so an activity naming `http://10.0.0.1/` cannot make the site call
//! into its own network; a site that is itself served from a loopback or private address (a
//! machine of one's own, a test) may reach such addresses too.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::{GaiResolver, Name};
use serde_json::Value;

use crate::domain::activitypub::SiteKey;
use crate::domain::http_signature::{digest, signing_string};
use crate::federation::objects::Urls;
use crate::http::activitypub::ACTIVITY_JSON;

/// How long another server has to answer.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest document fetched from another server (an actor, a note).
const MAX_FETCHED: usize = 1024 * 1024;
/// Redirects followed when fetching.
const MAX_REDIRECTS: usize = 3;

/// What requests to other servers say they come from.
const USER_AGENT: &str = concat!("Quire/", env!("CARGO_PKG_VERSION"), " (ActivityPub)");

/// Whether an address is one anyone on the internet can reach: not loopback, private,
/// link-local, shared (carrier NAT), documentation, multicast or unspecified.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0)
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8
                || first == 0x0064 && v6.segments()[1] == 0xff9b)
        }
    }
}

/// Whether a URL's host is an IP address written out that is not a public one (a name is
/// checked when it is resolved).
fn is_private_ip(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Ipv4(ip) => !is_public(IpAddr::V4(*ip)),
        url::Host::Ipv6(ip) => !is_public(IpAddr::V6(*ip)),
        url::Host::Domain(_) => false,
    }
}

/// Resolves names as the system does, keeping only the addresses requests may go to.
#[derive(Clone)]
pub struct GuardedResolver {
    inner: GaiResolver,
    allow_private: bool,
}

impl tower::Service<Name> for GuardedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let resolving = self.inner.call(name);
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = resolving
                .await?
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if addresses.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    "the server's address is not a public one",
                ));
            }
            Ok(addresses.into_iter())
        })
    }
}

type Connector = hyper_rustls::HttpsConnector<HttpConnector<GuardedResolver>>;

/// The client that talks to other servers.
#[derive(Clone)]
pub struct Client {
    inner: hyper_util::client::legacy::Client<Connector, Full<Bytes>>,
    allow_private: bool,
}

/// Why a request to another server did not get an answer, or got one not taken.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Failed(String),
    #[error("the server answered {0}")]
    Status(StatusCode),
}

impl Client {
    /// A client whose requests reach public addresses only, unless the site itself lives at a
    /// loopback or private one (`site_url`).
    pub fn new(site_url: &str) -> anyhow::Result<Client> {
        let allow_private = url::Url::parse(site_url).is_ok_and(|u| match u.host() {
            Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
            host => host.as_ref().is_some_and(is_private_ip),
        });
        let https =
            crate::webhooks::https_connector(HttpConnector::new_with_resolver(GuardedResolver {
                inner: GaiResolver::new(),
                allow_private,
            }))?;
        let inner =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .pool_max_idle_per_host(8)
                .build(https);
        Ok(Client {
            inner,
            allow_private,
        })
    }

    /// Checks a URL before it is called: http(s), a host, and not a private address written
    /// out (names are checked when they are resolved).
    pub fn check_url(&self, raw: &str) -> Result<url::Url, CallError> {
        let url = url::Url::parse(raw)
            .map_err(|_| CallError::Refused(format!("not a URL: {}", shorten(raw))))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(CallError::Refused("not an http(s) URL".into()));
        }
        let host = url
            .host()
            .ok_or_else(|| CallError::Refused("the URL has no host".into()))?;
        if is_private_ip(&host) && !self.allow_private {
            return Err(CallError::Refused(
                "the URL's address is not a public one".into(),
            ));
        }
        Ok(url)
    }

    /// A signed request: `(request-target) host date` and, with a body, `digest` and
    /// `content-type`, as Mastodon signs.
    async fn signed(
        &self,
        key: &SiteKey,
        urls: &Urls<'_>,
        method: Method,
        url: &url::Url,
        body: Option<Bytes>,
    ) -> Result<Request<Full<Bytes>>, CallError> {
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let target = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let date = httpdate::fmt_http_date(std::time::SystemTime::now());
        let body_digest = body.as_ref().map(|b| digest(b));
        let mut names = vec!["(request-target)", "host", "date"];
        if body.is_some() {
            names.extend(["digest", "content-type"]);
        }
        let names: Vec<String> = names.into_iter().map(String::from).collect();
        let signed_text = signing_string(&names, method.as_str(), &target, |name| match name {
            "host" => Some(host.as_str()),
            "date" => Some(date.as_str()),
            "digest" => body_digest.as_deref(),
            "content-type" => Some(ACTIVITY_JSON),
            _ => None,
        })
        .map_err(|e| CallError::Failed(e.to_string()))?;
        let signer = key.signer.clone();
        let signature = tokio::task::spawn_blocking(move || signer.sign(&signed_text))
            .await
            .map_err(|e| CallError::Failed(e.to_string()))?
            .map_err(|e| CallError::Failed(e.to_string()))?;
        let mut request = Request::builder()
            .method(method)
            .uri(url.as_str())
            .header(header::HOST, &host)
            .header(header::DATE, &date)
            .header(header::USER_AGENT, USER_AGENT)
            .header(
                "signature",
                format!(
                    r#"keyId="{}",algorithm="rsa-sha256",headers="{}",signature="{signature}""#,
                    urls.key_id(),
                    names.join(" ")
                ),
            );
        if let Some(d) = &body_digest {
            request = request
                .header("digest", d)
                .header(header::CONTENT_TYPE, ACTIVITY_JSON);
        } else {
            request = request.header(
                header::ACCEPT,
                HeaderValue::from_static(
                    "application/activity+json, application/ld+json; \
                     profile=\"https://www.w3.org/ns/activitystreams\"",
                ),
            );
        }
        request
            .body(Full::new(body.unwrap_or_default()))
            .map_err(|e| CallError::Refused(e.to_string()))
    }

    /// Fetches a document of another server (an actor, a key), signed, following a few
    /// redirects; answers it with the URL it finally came from.
    pub async fn fetch(
        &self,
        key: &SiteKey,
        urls: &Urls<'_>,
        raw: &str,
    ) -> Result<(Value, url::Url), CallError> {
        let mut url = self.check_url(raw)?;
        url.set_fragment(None);
        for _ in 0..=MAX_REDIRECTS {
            let request = self.signed(key, urls, Method::GET, &url, None).await?;
            let response = self.send(request).await?;
            let status = response.status();
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .ok_or_else(|| CallError::Failed("a redirect without a location".into()))?;
                let next = url
                    .join(location)
                    .map_err(|_| CallError::Failed("a redirect to no URL".into()))?;
                url = self.check_url(next.as_str())?;
                continue;
            }
            if !status.is_success() {
                return Err(CallError::Status(status));
            }
            let body = tokio::time::timeout(
                CALL_TIMEOUT,
                Limited::new(response.into_body(), MAX_FETCHED).collect(),
            )
            .await
            .map_err(|_| CallError::Failed("the answer took too long".into()))?
            .map_err(|e| CallError::Failed(format!("the answer cannot be read: {e}")))?
            .to_bytes();
            let doc = serde_json::from_slice(&body)
                .map_err(|_| CallError::Failed("the answer is not JSON".into()))?;
            return Ok((doc, url));
        }
        Err(CallError::Failed("too many redirects".into()))
    }

    /// Delivers an activity to an inbox, signed; `Ok` on a 2xx answer.
    pub async fn deliver(
        &self,
        key: &SiteKey,
        urls: &Urls<'_>,
        inbox: &str,
        body: Bytes,
    ) -> Result<StatusCode, CallError> {
        let url = self.check_url(inbox)?;
        let request = self
            .signed(key, urls, Method::POST, &url, Some(body))
            .await?;
        let response = self.send(request).await?;
        let status = response.status();
        if status.is_success() {
            Ok(status)
        } else {
            Err(CallError::Status(status))
        }
    }

    async fn send(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<hyper::Response<hyper::body::Incoming>, CallError> {
        match tokio::time::timeout(CALL_TIMEOUT, self.inner.request(request)).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) => Err(CallError::Failed(call_error(&e))),
            Err(_) => Err(CallError::Failed(format!(
                "no answer within {} seconds",
                CALL_TIMEOUT.as_secs()
            ))),
        }
    }
}

/// Why a call got no answer, in words for the log and the admin.
fn call_error(e: &hyper_util::client::legacy::Error) -> String {
    let mut message = if e.is_connect() {
        "cannot connect to the server".to_owned()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        message = format!("{message}: {cause}");
        source = cause.source();
    }
    message
}

/// The start of a long string, for messages.
fn shorten(s: &str) -> String {
    s.chars().take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.215.14", "1.1.1.1", "2606:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn a_public_site_calls_no_private_address() {
        let client = Client::new("https://blog.example").unwrap();
        assert!(
            client
                .check_url("http://169.254.169.254/latest/meta-data")
                .is_err()
        );
        assert!(client.check_url("http://[::1]:5432/").is_err());
        assert!(client.check_url("file:///etc/passwd").is_err());
        assert!(client.check_url("https://social.example/users/a").is_ok());
        let local = Client::new("http://127.0.0.1:2368").unwrap();
        assert!(local.check_url("http://127.0.0.1:9000/inbox").is_ok());
    }
}
