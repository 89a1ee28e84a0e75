//! `/admin/api/tags`: everyone reads; Editors and above manage.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use uuid::Uuid;

use crate::domain::limits;
use crate::domain::slug::Slug;
use crate::domain::user::Role;
use crate::editing;
use crate::error::{Error, Result, ResultExt};
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TagInput {
    name: String,
    slug: Option<String>,
    #[serde(default)]
    description: String,
}

fn clean_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > limits::MAX_TAG_NAME {
        return Err(Error::invalid(
            "name",
            format!(
                "A tag needs a name of at most {} characters.",
                limits::MAX_TAG_NAME
            ),
        ));
    }
    Ok(name)
}

fn clean_description(description: &str) -> Result<&str> {
    let description = description.trim();
    if description.chars().count() > limits::MAX_TAG_DESCRIPTION {
        return Err(Error::invalid(
            "description",
            format!(
                "A tag's description is at most {} characters.",
                limits::MAX_TAG_DESCRIPTION
            ),
        ));
    }
    Ok(description)
}

async fn create_tag(
    State(s): State<AppState>,
    staff: SignedIn,
    Json(input): Json<TagInput>,
) -> Result<Response> {
    staff.require(Role::Editor)?;
    let name = clean_name(&input.name)?;
    let description = clean_description(&input.description)?;
    let mut conn = s.db.acquire().await?;
    let id = match input
        .slug
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(slug) => {
            let slug = Slug::parse(slug).map_err(|e| Error::invalid("slug", e.to_string()))?;
            let visibility = if name.starts_with('#') {
                "internal"
            } else {
                "public"
            };
            store::tags::insert(&mut *conn, slug.as_str(), name, description, visibility)
                .await
                .on_constraint("tags_slug_key", || {
                    Error::invalid("slug", "Another tag already uses this slug.")
                })?
        }
        None => editing::create_tag(&mut conn, name, description).await?,
    };
    let tag = store::tags::by_id(&mut *conn, id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((StatusCode::CREATED, axum::Json(tag)).into_response())
}

async fn update_tag(
    State(s): State<AppState>,
    staff: SignedIn,
    Path(id): Path<Uuid>,
    Json(input): Json<TagInput>,
) -> Result<axum::Json<AdminTag>> {
    staff.require(Role::Editor)?;
    let name = clean_name(&input.name)?;
    let description = clean_description(&input.description)?;
    let current = store::tags::by_id(&s.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    let slug = match input
        .slug
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(slug) => Slug::parse(slug)
            .map_err(|e| Error::invalid("slug", e.to_string()))?
            .to_string(),
        None => current.slug,
    };
    store::tags::update(&s.db, id, &slug, name, description)
        .await
        .on_constraint("tags_slug_key", || {
            Error::invalid("slug", "Another tag already uses this slug.")
        })?;
    Ok(axum::Json(
        store::tags::by_id(&s.db, id)
            .await?
            .ok_or(Error::NotFound)?,
    ))
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
