//! `/content/images/...`: media on the local backend, as Ghost serves them. With S3, media
//! are served by the bucket or the CDN and this route answers 404.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::media::IMMUTABLE;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/content/images/{*path}", get(show_image))
}

async fn show_image(State(s): State<AppState>, Path(path): Path<String>) -> Response {
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            [(header::CACHE_CONTROL, "no-store")],
            "not found\n",
        )
            .into_response()
    };
    let Some(root) = s.media.local_root() else {
        return not_found();
    };
    // keys are ours: digits, lowercase hex, '-', '/', one extension; nothing else is served
    let valid = path.split('/').all(|part| {
        !part.is_empty()
            && !part.starts_with('.')
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    });
    let content_type = match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("jpg") => "image/jpeg",
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        _ => return not_found(),
    };
    if !valid {
        return not_found();
    }
    match tokio::fs::read(root.join("images").join(&path)).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE)),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => not_found(),
    }
}
