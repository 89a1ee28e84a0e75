//! `/admin/api/settings`: Administrators and the Owner.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::{Map, Value};

use crate::domain::settings::{self, InvalidSetting, SiteSettings};
use crate::domain::user::Role;
use crate::error::{Error, Result};
use crate::http::extract::{Json, SignedIn};
use crate::state::AppState;
use crate::store;

pub fn router() -> Router<AppState> {
    Router::new().route("/settings", get(show_settings).put(update_settings))
}

async fn show_settings(
    State(s): State<AppState>,
    staff: SignedIn,
) -> Result<axum::Json<SiteSettings>> {
    staff.require(Role::Administrator)?;
    Ok(axum::Json(store::settings::load(&s.db).await?))
}

/// Updates the settings named in the body, all or none.
async fn update_settings(
    State(s): State<AppState>,
    staff: SignedIn,
    Json(changes): Json<Map<String, Value>>,
) -> Result<axum::Json<SiteSettings>> {
    staff.require(Role::Administrator)?;
    for (key, value) in &changes {
        validate(key, value)?;
    }
    let mut tx = s.db.begin().await?;
    for (key, value) in &changes {
        store::settings::put(&mut *tx, key, value).await?;
    }
    let settings = store::settings::load(&mut *tx).await?;
    tx.commit().await?;
    Ok(axum::Json(settings))
}

fn validate(key: &str, value: &Value) -> Result<()> {
    settings::validate(key, value).map_err(|e| match e {
        InvalidSetting::Unknown => Error::Invalid {
            field: None,
            message: format!("unknown setting {key:?}"),
        },
        InvalidSetting::Value("timezone") => Error::invalid(
            "timezone",
            "Unknown time zone: use a name from the IANA time zone database, such as Europe/Berlin, Asia/Tokyo or Etc/UTC.",
        ),
        InvalidSetting::Value("activitypub_handle") => Error::invalid(
            "activitypub_handle",
            "A handle is 1 to 30 letters, digits and underscores, or empty (made from the title).",
        ),
        InvalidSetting::Value("activitypub_post_type") => Error::invalid(
            "activitypub_post_type",
            "Posts go out as \"article\" (the whole post) or \"note\" (title, excerpt and link).",
        ),
        InvalidSetting::Value("activitypub_enabled") => {
            Error::invalid("activitypub_enabled", "true or false.")
        }
        InvalidSetting::Value(field) => Error::invalid(field, "This value is not valid here."),
    })
}
