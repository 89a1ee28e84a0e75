//! `/assets/{path}`: the bundles built at compile time, cached forever by browsers and CDNs.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::assets;
use crate::http::respond::{Encoding, negotiate};
use crate::state::AppState;

/// Content-hashed names never change content: cache for a year, never revalidate.
pub const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");

pub fn router() -> Router<AppState> {
    Router::new().route("/assets/{*path}", get(show_asset))
}

async fn show_asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let Some(asset) = assets::by_path(&path) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            "not found\n",
        )
            .into_response();
    };
    let encoding = negotiate(&headers, asset.gzip.is_some());
    let body = match encoding {
        Encoding::Brotli => asset.brotli.unwrap_or(asset.body),
        Encoding::Gzip => asset.gzip.unwrap_or(asset.body),
        Encoding::Identity => asset.body,
    };
    let mut response = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (header::CACHE_CONTROL, IMMUTABLE),
        ],
        body,
    )
        .into_response();
    if asset.gzip.is_some() {
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if let Some(coding) = encoding.content_coding() {
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, coding);
    }
    response
}
