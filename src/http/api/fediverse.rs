//! `/admin/api/fediverse`: the site's followers and its handle; a post's likes, boosts and
//! replies are at `/admin/api/posts/{id}/fediverse` (`posts`).

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::domain::user::Role;
use crate::error::Result;
use crate::federation::objects::Urls;
use crate::http::extract::{Query, SignedIn};
use crate::http::site::load_settings;
use crate::state::AppState;
use crate::store;
use crate::store::activitypub::Follower;

/// Followers on a page of the list.
const PER_PAGE: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new().route("/fediverse/followers", get(list_followers))
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<i64>,
}

#[derive(Serialize)]
struct Followers {
    /// `@handle@host`, as people look the site up.
    handle: String,
    actor: String,
    enabled: bool,
    total: i64,
    page: i64,
    pages: i64,
    followers: Vec<Follower>,
}

/// `GET /admin/api/fediverse/followers?page=N`: who follows the site, newest first (editors
/// and above).
async fn list_followers(
    State(s): State<AppState>,
    staff: SignedIn,
    Query(q): Query<PageQuery>,
) -> Result<axum::Json<Followers>> {
    staff.require(Role::Editor)?;
    let mut conn = s.db.acquire().await?;
    let settings = load_settings(&s, &mut conn).await?;
    drop(conn);
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let total = store::activitypub::follower_count(&s.db).await?;
    let followers = store::activitypub::followers(&s.db, PER_PAGE, (page - 1) * PER_PAGE).await?;
    let host = url::Url::parse(&s.site_url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| u.port().map_or(h.to_owned(), |p| format!("{h}:{p}")))
        })
        .unwrap_or_default();
    Ok(axum::Json(Followers {
        handle: format!("@{}@{host}", settings.handle()),
        actor: Urls { site: &s.site_url }.actor(),
        enabled: settings.activitypub_enabled,
        total,
        page,
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
        followers,
    }))
}
