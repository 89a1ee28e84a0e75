//! Cache hits answered in front of the router.
//!
//! A GET whose path the page cache holds costs a hash look-up, the entry's header values and a
//! reference-counted body: no routing, no middleware stack, no span. What the middleware would
//! add comes from the same definitions: the security headers are part of every cached answer's
//! headers ([`cached_response`], built once per page and encoding), and the request is counted
//! under the route that rendered the page (resolved once per page and status). So a hit
//! answered here is the very answer the router would give. Anything else (a miss, another
//! method, a path whose entry has no route) goes through the router as before.

use std::time::Instant;

use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;

use crate::http::respond::cached_response;
use crate::http::{ghost, search};
use crate::state::AppState;

/// Answers cache hits of one application.
#[derive(Clone)]
pub struct CacheHits {
    state: AppState,
}

impl CacheHits {
    pub fn new(state: AppState) -> Self {
        CacheHits { state }
    }

    /// The answer to `GET uri` when the page cache holds it, else `None`. Pages are cached
    /// by path; the Content API's answers and searches by path and the parameters that shape
    /// them.
    pub async fn answer(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Option<Response> {
        // a fediverse server asking for a post's `Article` is not asking for its page
        if method != Method::GET || crate::http::activitypub::wants_activity_json(headers) {
            return None;
        }
        let start = Instant::now();
        let path = uri.path();
        let keyed =
            ghost::cache_key(path, uri.query()).or_else(|| search::cache_key(path, uri.query()));
        let page = match keyed {
            Some(key) => self.state.cache.hit(&key?).await?,
            None => self.state.cache.hit(path).await?,
        };
        let route = page.route.as_ref()?;
        let response = cached_response(&page, headers);
        let status = response.status();
        route
            .metrics(status, || {
                self.state
                    .metrics
                    .request(&route.name, &Method::GET, status.as_u16())
            })
            .record(start.elapsed().as_secs_f64());
        Some(response)
    }
}
