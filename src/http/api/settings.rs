//! `/admin/api/settings`: Administrators and the Owner.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::{Map, Value};

use crate::app::AppState;
use crate::domain::limits;
use crate::domain::settings::{SiteSettings, is_hex_color};
use crate::domain::user::Role;
use crate::error::{Error, Result};
use crate::http::extract::{Json, Staff};
use crate::store;

pub fn router() -> Router<AppState> {
    Router::new().route("/settings", get(show_settings).put(update_settings))
}

async fn show_settings(
    State(s): State<AppState>,
    staff: Staff,
) -> Result<axum::Json<SiteSettings>> {
    staff.require(Role::Administrator)?;
    Ok(axum::Json(store::settings::load(&s.db).await?))
}

/// Updates the settings named in the body, all or none.
async fn update_settings(
    State(s): State<AppState>,
    staff: Staff,
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
    let field: &'static str = match key {
        "title" => "title",
        "description" => "description",
        "lang" => "lang",
        "timezone" => "timezone",
        "posts_per_page" => "posts_per_page",
        "feed_items" => "feed_items",
        "accent_color" => "accent_color",
        "logo" => "logo",
        "cover_image" => "cover_image",
        "navigation" => "navigation",
        "codeinjection_head" => "codeinjection_head",
        "codeinjection_foot" => "codeinjection_foot",
        _ => {
            return Err(Error::Invalid {
                field: None,
                message: format!("unknown setting {key:?}"),
            });
        }
    };
    let ok = match field {
        "posts_per_page" | "feed_items" => value.as_u64().is_some_and(|n| (1..=100).contains(&n)),
        "accent_color" => value.as_str().is_some_and(is_hex_color),
        "logo" | "cover_image" => {
            value.is_null() || value.as_str().is_some_and(|v| v.len() <= limits::MAX_URL)
        }
        "navigation" => value.as_array().is_some_and(|items| {
            items.len() <= limits::MAX_NAV_ITEMS
                && items.iter().all(|i| {
                    i.get("label")
                        .and_then(Value::as_str)
                        .is_some_and(|l| !l.trim().is_empty() && l.len() <= limits::MAX_NAV_LABEL)
                        && i.get("url")
                            .and_then(Value::as_str)
                            .is_some_and(|u| !u.is_empty() && u.len() <= limits::MAX_URL)
                })
        }),
        "title" => value
            .as_str()
            .is_some_and(|t| !t.trim().is_empty() && t.len() <= limits::MAX_SETTING_TITLE),
        "codeinjection_head" | "codeinjection_foot" => value
            .as_str()
            .is_some_and(|c| c.len() <= limits::MAX_CODE_INJECTION),
        _ => value
            .as_str()
            .is_some_and(|t| t.len() <= limits::MAX_SETTING_TEXT),
    };
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(field, "This value is not valid here."))
    }
}
