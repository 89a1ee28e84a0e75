//! The HTTP surface: each area has its own `router()`, composed here with the layers every
//! request passes through.

pub mod activitypub;
pub mod admin;
pub mod api;
pub mod assets;
pub mod extract;
pub mod feeds;
pub mod ghost;
pub mod health;
pub mod hits;
pub mod media;
pub mod metrics;
pub mod respond;
pub mod search;
pub mod site;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::error::{Error, LoggedError};
use crate::state::AppState;
use crate::telemetry;

/// Largest request body accepted by default (posts and uploads set their own limits).
pub const BODY_LIMIT: usize = crate::domain::limits::BODY_LIMIT;

/// Room for the multipart framing around an uploaded file.
pub const UPLOAD_FRAMING: usize = 64 * 1024;

/// Headers every answer carries unless its handler set them.
const SECURITY_HEADERS: [(HeaderName, HeaderValue); 3] = [
    (
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    ),
    (
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    ),
    (
        HeaderName::from_static("x-frame-options"),
        HeaderValue::from_static("SAMEORIGIN"),
    ),
];

/// Adds [`SECURITY_HEADERS`] that an answer does not set itself: the router's layers call it
/// for every answer, [`hits`] for cache hits answered in front of the router.
pub fn add_security_headers(headers: &mut axum::http::HeaderMap) {
    for (name, value) in SECURITY_HEADERS {
        if !headers.contains_key(&name) {
            headers.insert(name, value);
        }
    }
}

async fn with_security_headers(mut response: Response) -> Response {
    add_security_headers(response.headers_mut());
    response
}

/// The whole application: the router, and cache hits answered in front of it.
pub fn front(state: AppState) -> crate::server::Front {
    crate::server::Front {
        hits: Some(hits::CacheHits::new(state.clone())),
        router: router(state),
    }
}

/// The whole application's routes.
pub fn router(state: AppState) -> Router {
    let upload_max_bytes =
        usize::try_from(state.config.media.upload_max_mb * 1024 * 1024).unwrap_or(usize::MAX);
    let routes = Router::new()
        .merge(activitypub::router())
        .merge(media::router())
        .merge(search::router())
        .merge(site::router())
        .merge(feeds::router())
        .merge(assets::router())
        .merge(health::router())
        .merge(admin::router())
        .merge(ghost::router(upload_max_bytes))
        .nest(
            "/admin/api",
            api::router(upload_max_bytes).layer(SetResponseHeaderLayer::overriding(
                axum::http::header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            )),
        )
        .fallback(site::fallback);
    with_layers(routes, state)
}

/// Wraps `routes` in the layers every request passes through: panic catching, the request
/// timeout, error logging, metrics, security headers, the default body limit and tracing.
pub fn with_layers(routes: Router<AppState>, state: AppState) -> Router {
    routes
        // innermost, so that even a panic's answer is logged, counted and carries the
        // security headers below
        .layer(CatchPanicLayer::custom(panic_response))
        // inside the headers and the metrics too: a 408 is counted and carries them
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(middleware::from_fn(log_errors))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(middleware::map_response(with_security_headers))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(
            // failures are logged by `log_errors` with their cause; a 503 of /readyz while the
            // database is away is an answer, not an error worth a line per probe
            TraceLayer::new_for_http()
                .make_span_with(telemetry::request_span::<axum::body::Body>)
                .on_failure(()),
        )
        .with_state(state)
}

/// The largest body a group of routes announces, and what to say when a request's is larger.
/// Use it with [`refuse_announced_oversize`]:
/// `.layer(middleware::from_fn_with_state(AnnouncedLimit::new(n, "..."), refuse_announced_oversize))`.
#[derive(Debug, Clone)]
pub struct AnnouncedLimit {
    limit: u64,
    message: std::sync::Arc<str>,
}

impl AnnouncedLimit {
    pub fn new(limit: usize, message: impl Into<std::sync::Arc<str>>) -> Self {
        AnnouncedLimit {
            limit: limit as u64,
            message: message.into(),
        }
    }
}

/// Answers 413 at once to a request whose `Content-Length` announces more than the limit,
/// without reading any of it; the route's body limit still applies to what is read of a body
/// sent without a length.
pub async fn refuse_announced_oversize(
    axum::extract::State(limit): axum::extract::State<AnnouncedLimit>,
    request: Request,
    next: Next,
) -> Response {
    let announced = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit.limit) {
        let mut response = crate::error::Error::TooLarge(limit.message.to_string()).into_response();
        // the unread body makes the connection unusable for another request
        response.headers_mut().insert(
            axum::http::header::CONNECTION,
            HeaderValue::from_static("close"),
        );
        return response;
    }
    next.run(request).await
}

/// The metrics listener's application: `/metrics` only, on its own address
/// (`QUIRE_METRICS_BIND`), so that neither the numbers nor the cost of making them are open to
/// the site's visitors.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", axum::routing::get(metrics::show_metrics))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(10),
        ))
        .with_state(state)
}

/// A panic answers like any other failure: an opaque 500 whose cause `log_errors` logs.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    Error::Other(anyhow::anyhow!("handler panicked: {message}")).into_response()
}

/// Logs the cause chain of every 5xx answer; the client only sees an opaque message.
async fn log_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if let Some(LoggedError(error)) = response.extensions().get::<LoggedError>() {
        let mut chain = error.to_string();
        let mut source = std::error::Error::source(error.root());
        while let Some(cause) = source {
            chain.push_str(": ");
            chain.push_str(&cause.to_string());
            source = cause.source();
        }
        tracing::error!(status = response.status().as_u16(), error = %chain, "request failed");
    }
    response
}
