//! The admin JSON API under `/admin/api/`: what the editor uses, and scripts and tests too.
//! Every call checks the caller's role on the server.

pub mod fediverse;
pub mod images;
pub mod integrations;
pub mod posts;
pub mod session;
pub mod settings;
pub mod tags;
pub mod users;

use axum::Router;

use crate::domain::limits::POST_BODY_LIMIT;
use crate::http::{AnnouncedLimit, BODY_LIMIT, refuse_announced_oversize};
use crate::state::AppState;

pub fn router(upload_max_bytes: usize) -> Router<AppState> {
    let json = Router::new()
        .merge(session::router())
        .merge(users::router())
        .merge(tags::router())
        .merge(settings::router())
        .merge(integrations::router())
        .merge(fediverse::router())
        .layer(axum::middleware::from_fn_with_state(
            AnnouncedLimit::new(
                BODY_LIMIT,
                format!(
                    "The request body is larger than the {} KiB limit.",
                    BODY_LIMIT / 1024
                ),
            ),
            refuse_announced_oversize,
        ));
    // posts take Markdown up to its own limit; their routes announce at most that
    let posts = posts::router().layer(axum::middleware::from_fn_with_state(
        AnnouncedLimit::new(
            POST_BODY_LIMIT,
            format!(
                "The request body is larger than the {} MiB limit.",
                POST_BODY_LIMIT / (1024 * 1024)
            ),
        ),
        refuse_announced_oversize,
    ));
    Router::new()
        .merge(images::router(upload_max_bytes))
        .merge(posts)
        .merge(json)
        .fallback(|| async { crate::error::Error::NotFound })
}
