//! `/admin/api/integrations`: named integrations with a Content API key and an Admin API key,
//! as Ghost's custom integrations. Administrators and the Owner only.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::user::Role;
use crate::error::{Error, Result, ResultExt};
use crate::http::extract::{Json, Path, SignedIn};
use crate::state::AppState;
use crate::store;
use crate::store::integrations::{Integration, NewKeys};
use crate::store::jobs::Delivery;
use crate::store::webhooks::Webhook;
use crate::webhooks::WebhookInput;

/// Longest integration name, as Ghost's.
pub const MAX_NAME: usize = 191;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/integrations",
            get(list_integrations).post(create_integration),
        )
        .route("/integrations/{id}", delete(delete_integration))
        .route(
            "/integrations/{id}/webhooks",
            get(list_webhooks).post(create_webhook),
        )
        .route("/webhooks/{id}", delete(delete_webhook))
        .route("/webhooks/deliveries", get(recent_deliveries))
}

/// Deliveries the admin lists.
const DELIVERIES_LISTED: i64 = 50;

async fn list_webhooks(
    State(s): State<AppState>,
    staff: SignedIn,
    Path(id): Path<Uuid>,
) -> Result<axum::Json<Vec<Webhook>>> {
    staff.require(Role::Administrator)?;
    Ok(axum::Json(
        store::webhooks::list(&s.db, Some(id), None).await?,
    ))
}

async fn create_webhook(
    State(s): State<AppState>,
    staff: SignedIn,
    Path(id): Path<Uuid>,
    Json(input): Json<WebhookInput>,
) -> Result<Response> {
    staff.require(Role::Administrator)?;
    let fields = input.check()?;
    let webhook = store::webhooks::insert(&s.db, id, &fields)
        .await
        .on_constraint("webhooks_integration_id_fkey", || Error::NotFound)?;
    let webhook = store::webhooks::by_id(&s.db, webhook)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((StatusCode::CREATED, axum::Json(webhook)).into_response())
}

async fn delete_webhook(
    State(s): State<AppState>,
    staff: SignedIn,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    staff.require(Role::Administrator)?;
    if store::webhooks::delete(&s.db, None, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound)
    }
}

async fn recent_deliveries(
    State(s): State<AppState>,
    staff: SignedIn,
) -> Result<axum::Json<Vec<Delivery>>> {
    staff.require(Role::Administrator)?;
    Ok(axum::Json(
        store::jobs::recent_deliveries(&s.db, DELIVERIES_LISTED).await?,
    ))
}

async fn list_integrations(
    State(s): State<AppState>,
    staff: SignedIn,
) -> Result<axum::Json<Vec<Integration>>> {
    staff.require(Role::Administrator)?;
    Ok(axum::Json(store::integrations::list(&s.db).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewIntegration {
    name: String,
}

/// A new integration with both its keys whole: the only answer that carries the Admin API
/// key's secret.
#[derive(Serialize)]
struct Created {
    #[serde(flatten)]
    integration: Integration,
    /// `id:secret`, as Ghost's Admin API clients take it.
    admin_key: String,
}

/// `n` random bytes as lowercase hex.
fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    hex::encode(bytes)
}

async fn create_integration(
    State(s): State<AppState>,
    staff: SignedIn,
    Json(input): Json<NewIntegration>,
) -> Result<Response> {
    staff.require(Role::Administrator)?;
    let name = input.name.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", "Name the integration."));
    }
    if name.chars().count() > MAX_NAME {
        return Err(Error::invalid(
            "name",
            format!("Names are at most {MAX_NAME} characters."),
        ));
    }
    let (content_key, admin_key_id, admin_secret) =
        (random_hex(13), random_hex(12), random_hex(32));
    let integration = store::integrations::insert(
        &s.db,
        name,
        &NewKeys {
            content_key: &content_key,
            admin_key_id: &admin_key_id,
            admin_secret: &admin_secret,
        },
        staff.user.id,
    )
    .await?;
    tracing::info!(by = %staff.user.email, integration = %integration.name, "created an integration");
    Ok((
        StatusCode::CREATED,
        axum::Json(Created {
            integration,
            admin_key: format!("{admin_key_id}:{admin_secret}"),
        }),
    )
        .into_response())
}

/// Deletes an integration: its keys stop working on every replica at once.
async fn delete_integration(
    State(s): State<AppState>,
    staff: SignedIn,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    staff.require(Role::Administrator)?;
    if !store::integrations::delete(&s.db, id).await? {
        return Err(Error::NotFound);
    }
    tracing::info!(by = %staff.user.email, %id, "deleted an integration");
    Ok(StatusCode::NO_CONTENT)
}
