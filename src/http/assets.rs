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

/// `/favicon.ico` has a fixed name: browsers keep it a day, then revalidate.
const ICON_CACHE: HeaderValue = HeaderValue::from_static("public, max-age=86400");

/// The icon browsers ask for on their own, at `/favicon.ico`, on the site and in the admin.
const ICON: &str = "favicon.svg";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/{*path}", get(show_asset))
        .route("/favicon.ico", get(show_icon))
}

async fn show_asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let Some(asset) = assets::by_path(&path) else {
        return not_found();
    };
    asset_response(asset, &headers, IMMUTABLE)
}

/// Quire's icon (an SVG, which browsers take whatever the name says): what a browser finds
/// when a page names no icon, and what the admin's pages name.
async fn show_icon(headers: HeaderMap) -> Response {
    match assets::by_logical(ICON) {
        Some(asset) => asset_response(asset, &headers, ICON_CACHE),
        None => not_found(),
    }
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        "not found\n",
    )
        .into_response()
}

/// An embedded file in the encoding the request accepts.
fn asset_response(
    asset: &'static assets::Asset,
    headers: &HeaderMap,
    cache_control: HeaderValue,
) -> Response {
    let encoding = negotiate(headers, asset.gzip.is_some());
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
            (header::CACHE_CONTROL, cache_control),
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
