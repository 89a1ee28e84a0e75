//! Request metrics: the middleware that counts and times every request, and `GET /metrics`
//! (served only on its own listener).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// Middleware: counts and times every request under its matched route.
pub async fn track(State(s): State<AppState>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    // a clone of the matched path is a reference count, not a copy
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    let route = route.as_ref().map_or("fallback", MatchedPath::as_str);
    s.metrics.record(
        route,
        &method,
        response.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`.
pub async fn show_metrics(State(s): State<AppState>) -> Response {
    let Some(body) = s
        .metrics
        .encode(s.cache.figures(), &s.db, s.content.version())
    else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}
