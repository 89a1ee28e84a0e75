//! `/admin/api/tags`: everyone reads; Editors and above manage.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use uuid::Uuid;

use crate::domain::user::Role;
use crate::editing::{self, TagInput};
use crate::error::{Error, Result};
use crate::http::extract::{Json, Path, SignedIn};
use crate::state::AppState;
use crate::store;
use crate::store::tags::AdminTag;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tags", get(list_tags).post(create_tag))
        .route(
            "/tags/{id}",
            get(show_tag).put(update_tag).delete(delete_tag),
        )
}

async fn list_tags(
    State(s): State<AppState>,
    _staff: SignedIn,
) -> Result<axum::Json<Vec<AdminTag>>> {
    Ok(axum::Json(store::tags::list(&s.db).await?))
}

async fn show_tag(
    State(s): State<AppState>,
    _staff: SignedIn,
    Path(id): Path<Uuid>,
) -> Result<axum::Json<AdminTag>> {
    Ok(axum::Json(
        store::tags::by_id(&s.db, id)
            .await?
            .ok_or(Error::NotFound)?,
    ))
}

async fn create_tag(
    State(s): State<AppState>,
    staff: SignedIn,
    Json(input): Json<TagInput>,
) -> Result<Response> {
    staff.require(Role::Editor)?;
    let mut conn = s.db.acquire().await?;
    let tag = editing::add_tag(&mut conn, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(tag)).into_response())
}

async fn update_tag(
    State(s): State<AppState>,
    staff: SignedIn,
    Path(id): Path<Uuid>,
    Json(input): Json<TagInput>,
) -> Result<axum::Json<AdminTag>> {
    staff.require(Role::Editor)?;
    let mut conn = s.db.acquire().await?;
    Ok(axum::Json(editing::edit_tag(&mut conn, id, &input).await?))
}

async fn delete_tag(
    State(s): State<AppState>,
    staff: SignedIn,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    staff.require(Role::Editor)?;
    if store::tags::delete(&s.db, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound)
    }
}
