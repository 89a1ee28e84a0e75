//! The admin JSON API under `/admin/api/`: what the editor uses, and scripts and tests too.
//! Every call checks the caller's role on the server.

pub mod images;
pub mod posts;
pub mod session;
pub mod settings;
pub mod tags;
pub mod users;

use axum::Router;

use crate::app::AppState;

pub fn router(upload_max_bytes: usize) -> Router<AppState> {
    Router::new()
        .merge(images::router(upload_max_bytes))
        .merge(session::router())
        .merge(posts::router())
        .merge(users::router())
        .merge(tags::router())
        .merge(settings::router())
        .fallback(|| async { crate::error::Error::NotFound })
}
