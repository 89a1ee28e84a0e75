//! `/admin/api/posts`: list, create, read, update, delete; revisions.

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::limits;
use crate::domain::post::{PostStatus, PostType};
use crate::domain::revision::{self, DiffLine, FieldChange};
use crate::domain::search::Terms;
use crate::domain::user::Role;
use crate::editing::{self, PostInput};
use crate::error::{Error, Result};
use crate::http::extract::{Json, Path, Query, SignedIn};
use crate::state::AppState;
use crate::store;
use crate::store::admin_posts::{AdminFilter, AdminPost, Revision, RevisionSummary};

/// Posts per page of the admin list.
pub const PER_PAGE: i64 = 20;

pub fn router() -> Router<AppState> {
    Router::new()
        // a post's body carries up to 2 MiB of Markdown: more than the 1 MiB of other calls
        .route(
            "/posts",
            get(list_posts).merge(post(create_post).layer(post_body_limit())),
        )
        .route(
            "/posts/{id}",
            get(show_post)
                .merge(put(update_post).layer(post_body_limit()))
                .delete(delete_post),
        )
        .route("/posts/{id}/revisions", get(list_revisions))
        .route("/posts/{id}/fediverse", get(list_interactions))
        .route("/posts/{id}/revisions/{revision}", get(show_revision))
        .route(
            "/posts/{id}/revisions/{revision}/restore",
            post(restore_revision),
        )
        .route("/preview", post(preview_markdown).layer(post_body_limit()))
}

fn post_body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(limits::POST_BODY_LIMIT)
}

/// A post as the API answers it: every field, its public URL and its secret preview URL.
#[derive(Serialize)]
pub struct PostBody {
    #[serde(flatten)]
    post: AdminPost,
    url: String,
    preview_url: String,
}

impl PostBody {
    fn new(s: &AppState, post: AdminPost) -> Self {
        PostBody {
            url: format!("{}/{}/", s.site_url, post.slug),
            preview_url: format!("{}/p/{}/", s.site_url, post.preview_id),
            post,
        }
    }
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(rename = "type")]
    kind: Option<PostType>,
    status: Option<PostStatus>,
    tag: Option<String>,
    author: Option<String>,
    q: Option<String>,
    page: Option<i64>,
}

#[derive(Serialize)]
struct PostList {
    posts: Vec<PostBody>,
    pagination: Pagination,
}

#[derive(Serialize)]
struct Pagination {
    page: i64,
    pages: i64,
    total: i64,
}

async fn list_posts(
    State(s): State<AppState>,
    staff: SignedIn,
    Query(q): Query<ListQuery>,
) -> Result<axum::Json<PostList>> {
    let page = q.page.unwrap_or(1);
    if !(1..=limits::MAX_PAGE).contains(&page) {
        return Err(Error::invalid(
            "page",
            format!("Pages are numbered from 1 to {}.", limits::MAX_PAGE),
        ));
    }
    let filter = AdminFilter {
        kind: q.kind,
        status: q.status,
        tag: q.tag.filter(|t| !t.is_empty()),
        author: q.author.filter(|a| !a.is_empty()),
        query: q.q.as_deref().and_then(Terms::parse),
        only_author: (!staff.user.role.edits_all_posts()).then_some(staff.user.id),
    };
    // page ≤ MAX_PAGE: the offset cannot overflow
    let (posts, total) =
        store::admin_posts::list(&s.db, &filter, PER_PAGE, (page - 1) * PER_PAGE).await?;
    Ok(axum::Json(PostList {
        posts: posts.into_iter().map(|p| PostBody::new(&s, p)).collect(),
        pagination: Pagination {
            page,
            pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
            total,
        },
    }))
}

async fn create_post(
    State(s): State<AppState>,
    staff: SignedIn,
    Json(input): Json<PostInput>,
) -> Result<Response> {
    let mut conn = s.db.acquire().await?;
    let post = editing::create(&mut conn, &s.media, &staff.user, input).await?;
    Ok((StatusCode::CREATED, axum::Json(PostBody::new(&s, post))).into_response())
}

async fn show_post(
    State(s): State<AppState>,
    staff: SignedIn,
    Path(id): Path<Uuid>,
) -> Result<axum::Json<PostBody>> {
    let post = viewable(&s, &staff, id).await?;
    Ok(axum::Json(PostBody::new(&s, post)))
}

async fn update_post(
    State(s): State<AppState>,
    staff: SignedIn,
    Path(id): Path<Uuid>,
    Json(input): Json<PostInput>,
) -> Result<axum::Json<PostBody>> {
    let mut conn = s.db.acquire().await?;
    let post = editing::update(&mut conn, &s.media, &staff.user, id, input).await?;
    Ok(axum::Json(PostBody::new(&s, post)))
}

async fn delete_post(
    State(s): State<AppState>,
    staff: SignedIn,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    let mut conn = s.db.acquire().await?;
    editing::delete(&mut conn, &staff.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /admin/api/posts/{id}/fediverse`: the likes, boosts and replies the post got from
/// the fediverse, oldest first.
async fn list_interactions(
    State(s): State<AppState>,
    staff: SignedIn,
    Path(id): Path<Uuid>,
) -> Result<axum::Json<serde_json::Value>> {
    viewable(&s, &staff, id).await?;
    let all = store::activitypub::interactions(&s.db, id).await?;
    let count = |kind: &str| all.iter().filter(|i| i.kind == kind).count();
    Ok(axum::Json(serde_json::json!({
        "likes": count("like"),
        "boosts": count("announce"),
        "replies": count("reply"),
        "interactions": all,
    })))
}

/// A post the signed-in user may see, or why not.
async fn viewable(s: &AppState, staff: &SignedIn, id: Uuid) -> Result<AdminPost> {
    let post = store::admin_posts::by_id(&s.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    if !editing::may_view(&staff.user, &post) {
        return Err(Error::Forbidden(None));
    }
    Ok(post)
}

async fn list_revisions(
    State(s): State<AppState>,
    staff: SignedIn,
    Path(id): Path<Uuid>,
) -> Result<axum::Json<Vec<RevisionSummary>>> {
    viewable(&s, &staff, id).await?;
    Ok(axum::Json(store::admin_posts::revisions(&s.db, id).await?))
}

/// A revision as the writer looks at it before restoring it: rendered, and what restoring it
/// would change in the text and the fields of the post as it is now.
#[derive(Serialize)]
struct RevisionBody {
    #[serde(flatten)]
    revision: Revision,
    html: String,
    word_count: i32,
    /// Groups of changed lines, from the current text to the revision's.
    diff: Vec<Vec<DiffLine>>,
    /// Fields restoring would change (none for revisions that kept title and text only).
    changes: Vec<FieldChange>,
    /// Whether readers see the post now, so that restoring changes the live page.
    live: bool,
    url: String,
}

async fn show_revision(
    State(s): State<AppState>,
    staff: SignedIn,
    Path((id, revision)): Path<(Uuid, i64)>,
) -> Result<axum::Json<RevisionBody>> {
    let post = viewable(&s, &staff, id).await?;
    let revision = store::admin_posts::revision(&s.db, id, revision)
        .await?
        .ok_or(Error::NotFound)?;
    let mut changes = Vec::new();
    if revision.summary.title != post.title {
        changes.push(FieldChange {
            field: "Title",
            current: post.title.clone(),
            revision: revision.summary.title.clone(),
        });
    }
    if let Some(fields) = &revision.fields {
        changes.extend(fields.changes_from(&post.revision_fields()));
    }
    let diff = revision::text_diff(&post.markdown, &revision.markdown);
    let rendered =
        crate::render::markdown::render_off_thread(revision.markdown.clone(), Default::default())
            .await?;
    Ok(axum::Json(RevisionBody {
        html: rendered.html,
        word_count: rendered.word_count,
        diff,
        changes,
        live: post.status == PostStatus::Published,
        url: format!("{}/{}/", s.site_url, post.slug),
        revision,
    }))
}

#[derive(Deserialize)]
struct RestoreInput {
    version: i32,
}

/// Brings a revision back as a new version of the post.
async fn restore_revision(
    State(s): State<AppState>,
    staff: SignedIn,
    Path((id, revision)): Path<(Uuid, i64)>,
    Json(input): Json<RestoreInput>,
) -> Result<axum::Json<PostBody>> {
    let revision = store::admin_posts::revision(&s.db, id, revision)
        .await?
        .ok_or(Error::NotFound)?;
    let mut conn = s.db.acquire().await?;
    let post = editing::restore(
        &mut conn,
        &s.media,
        &staff.user,
        id,
        revision,
        input.version,
    )
    .await?;
    Ok(axum::Json(PostBody::new(&s, post)))
}

#[derive(Deserialize)]
struct PreviewInput {
    markdown: String,
}

#[derive(Serialize)]
struct PreviewBody {
    html: String,
    word_count: i32,
    reading_time: i32,
}

/// The editor's live preview: the site's own renderer, nothing stored.
async fn preview_markdown(
    staff: SignedIn,
    Json(input): Json<PreviewInput>,
) -> Result<axum::Json<PreviewBody>> {
    staff.require(Role::Contributor)?;
    if input.markdown.len() > editing::MAX_MARKDOWN {
        return Err(Error::invalid(
            "markdown",
            "The post is too long (2 MiB at most).",
        ));
    }
    let rendered =
        crate::render::markdown::render_off_thread(input.markdown, Default::default()).await?;
    Ok(axum::Json(PreviewBody {
        html: rendered.html,
        word_count: rendered.word_count,
        reading_time: rendered.reading_time,
    }))
}
