//! Answering from the page cache: content negotiation, ETags and 304s.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::cache::CachedPage;
pub use crate::cache::Encoding;

/// HTML and feeds: browsers revalidate every time (a 304 is cheap); a CDN may serve a copy
/// for a few seconds and keep serving it while it revalidates.
const PAGE_CACHE_CONTROL: HeaderValue =
    HeaderValue::from_static("public, max-age=0, s-maxage=10, stale-while-revalidate=60");

/// The best encoding the client accepts: brotli, then gzip, then none. `q=0` refuses one.
pub fn negotiate(headers: &HeaderMap, compressed_available: bool) -> Encoding {
    if !compressed_available {
        return Encoding::Identity;
    }
    let Some(accept) = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return Encoding::Identity;
    };
    let (mut br, mut gzip) = (false, false);
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        let refused = parts.any(|p| {
            let p = p.trim();
            p.strip_prefix("q=")
                .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
        });
        if refused {
            continue;
        }
        if name.eq_ignore_ascii_case("br") {
            br = true;
        } else if name.eq_ignore_ascii_case("gzip") || name == "*" {
            gzip = true;
        }
    }
    if br {
        Encoding::Brotli
    } else if gzip {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// Whether the client's copy is current: `If-None-Match` names this page (in any of its
/// encodings) or is `*`; without it, `If-Modified-Since` is no older than the content.
fn not_modified(headers: &HeaderMap, page: &CachedPage) -> bool {
    if let Some(value) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        let tags = [&page.etag.identity, &page.etag.gzip, &page.etag.brotli];
        return value.split(',').map(str::trim).any(|candidate| {
            // weak comparison, as RFC 9110 requires for If-None-Match
            let candidate = candidate.strip_prefix("W/").unwrap_or(candidate);
            candidate == "*" || tags.iter().any(|t| t.as_bytes() == candidate.as_bytes())
        });
    }
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok());
    match (since, &page.last_modified) {
        // HTTP dates have whole seconds: compare at that precision
        (Some(since), Some((modified, _))) => unix_secs(*modified) <= unix_secs(since),
        _ => false,
    }
}

fn unix_secs(t: std::time::SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The answer for a cached page: 304 when the client has it, else the best encoding.
/// Costs no database query and copies no body (the bytes are reference-counted); the headers
/// are the page's own, built once per encoding, and the first client to ask for an encoding
/// has the variant compressed. The security headers are part of the answer.
pub fn cached_response(page: &CachedPage, request: &HeaderMap) -> Response {
    let encoding = negotiate(request, page.compressible());
    if page.status.is_success() && not_modified(request, page) {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        let headers = response.headers_mut();
        validators(headers, page, encoding);
        super::add_security_headers(headers);
        return response;
    }
    let mut response = Response::new(Body::from(page.body_in(encoding)));
    *response.status_mut() = page.status;
    *response.headers_mut() = page.head(encoding, || head(page, encoding)).clone();
    response
}

/// What a 304 repeats of the full answer.
fn validators(headers: &mut HeaderMap, page: &CachedPage, encoding: Encoding) {
    headers.insert(header::ETAG, page.etag.of(encoding).clone());
    headers.insert(header::CACHE_CONTROL, PAGE_CACHE_CONTROL);
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some((_, modified)) = &page.last_modified {
        headers.insert(header::LAST_MODIFIED, modified.clone());
    }
    if page.cors {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
}

/// The headers of a full answer in `encoding`.
fn head(page: &CachedPage, encoding: Encoding) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(16);
    validators(&mut headers, page, encoding);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(page.content_type),
    );
    if let Some(location) = &page.location {
        headers.insert(header::LOCATION, location.clone());
    }
    if let Some(coding) = encoding.content_coding() {
        headers.insert(header::CONTENT_ENCODING, coding);
    }
    super::add_security_headers(&mut headers);
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(v));
        h
    }

    #[test]
    fn brotli_is_preferred_and_q0_refuses() {
        assert_eq!(
            negotiate(&accept("gzip, deflate, br"), true),
            Encoding::Brotli
        );
        assert_eq!(negotiate(&accept("gzip, br;q=0"), true), Encoding::Gzip);
        assert_eq!(negotiate(&accept("identity"), true), Encoding::Identity);
        assert_eq!(negotiate(&HeaderMap::new(), true), Encoding::Identity);
        assert_eq!(negotiate(&accept("br"), false), Encoding::Identity);
    }
}
