//! The admin's page handlers. Each checks the session (redirecting to the sign-in page
//! without one) and the role the section needs, then renders the page's shell; the script
//! loads the data through the API.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Layout, PageError, Section, render, safe_next, signed_in};
use crate::domain::post::PostType;
use crate::domain::user::UserStatus;
use crate::editing;
use crate::error::Error;
use crate::http::extract::SignedIn;
use crate::state::AppState;
use crate::store;

type PageResult = Result<Response, PageError>;

/// `/admin/`: the post list when signed in, else sign-in, or setup while no account exists.
pub async fn show_start(State(s): State<AppState>, staff: Result<SignedIn, Error>) -> PageResult {
    match staff {
        Ok(_) => Ok(Redirect::to("/admin/posts/").into_response()),
        Err(Error::Unauthorized(_)) => {
            if store::users::any_exist(&s.db).await? {
                Ok(Redirect::to("/admin/login/").into_response())
            } else {
                Ok(Redirect::to("/admin/setup").into_response())
            }
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Serialize)]
struct SignedOutPage {
    #[serde(flatten)]
    layout: Layout,
    /// Where to go once signed in.
    next: String,
    /// The invitation token, on the invitation page.
    token: String,
}

/// `/admin/setup`: creates the Owner while no account exists; afterwards it only leads on.
pub async fn show_setup(State(s): State<AppState>) -> PageResult {
    if store::users::any_exist(&s.db).await? {
        return Ok(Redirect::to("/admin/").into_response());
    }
    let page = SignedOutPage {
        layout: Layout::signed_out(&s, "Set up Quire", "setup", String::new()),
        next: "/admin/editor/".to_owned(),
        token: String::new(),
    };
    Ok(render("setup.html", &page, StatusCode::OK))
}

/// `?next=`: the admin page to return to after signing in.
#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// `/admin/login/`: the sign-in form, unless already signed in (or nobody can sign in yet).
pub async fn show_login(
    State(s): State<AppState>,
    staff: Result<SignedIn, Error>,
    Query(query): Query<NextQuery>,
) -> PageResult {
    let next = safe_next(query.next.as_deref());
    match staff {
        Ok(_) => return Ok(Redirect::to(&next).into_response()),
        Err(Error::Unauthorized(_)) => {}
        Err(e) => return Err(e.into()),
    }
    if !store::users::any_exist(&s.db).await? {
        return Ok(Redirect::to("/admin/setup").into_response());
    }
    let settings = store::settings::load(&s.db).await?;
    let page = SignedOutPage {
        layout: Layout::signed_out(&s, "Sign in", "login", settings.title),
        next,
        token: String::new(),
    };
    Ok(render("login.html", &page, StatusCode::OK))
}

/// `/admin/forgot/`: asking for a password reset link by e-mail. Without mail set up, the page
/// says to ask an administrator instead.
pub async fn show_forgot(State(s): State<AppState>) -> PageResult {
    let settings = store::settings::load(&s.db).await?;
    let page = SignedOutPage {
        layout: Layout::signed_out(&s, "Reset your password", "forgot", settings.title),
        next: String::new(),
        token: String::new(),
    };
    Ok(render("forgot.html", &page, StatusCode::OK))
}

/// `/admin/invite/{token}`: accepting an invitation (the API checks the token).
pub async fn show_invite(State(s): State<AppState>, Path(token): Path<String>) -> PageResult {
    let settings = store::settings::load(&s.db).await?;
    let page = SignedOutPage {
        layout: Layout::signed_out(&s, "Join the staff", "invite", settings.title),
        next: "/admin/posts/".to_owned(),
        token,
    };
    Ok(render("invite.html", &page, StatusCode::OK))
}

#[derive(Serialize)]
struct ResetPage {
    #[serde(flatten)]
    layout: Layout,
    next: String,
    token: String,
    /// Whose password the link resets, for the page and the browser's password manager.
    email: String,
    /// Why the link cannot be used, instead of the form; empty when it can.
    problem: String,
}

/// `/admin/reset/{token}`: choosing a new password with a reset link. A link that no longer
/// works says so at once instead of showing a form that would fail.
pub async fn show_reset(State(s): State<AppState>, Path(token): Path<String>) -> PageResult {
    let settings = store::settings::load(&s.db).await?;
    let user = crate::staff::reset_link_user(&s.db, &token).await?;
    let (status, email, problem) = match user {
        Some(user) if user.status == UserStatus::Active => (StatusCode::OK, user.email, ""),
        Some(user) => (
            StatusCode::FORBIDDEN,
            user.email,
            "This account is suspended, so its password cannot be reset now.",
        ),
        None => (
            StatusCode::NOT_FOUND,
            String::new(),
            "This reset link is invalid, used or expired.",
        ),
    };
    let page = ResetPage {
        layout: Layout::signed_out(&s, "Choose a new password", "reset", settings.title),
        next: "/admin/posts/".to_owned(),
        token,
        email,
        problem: problem.to_owned(),
    };
    let mut response = render("reset.html", &page, status);
    // the token is in the address: never send it on, not even to this site's own links
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

#[derive(Serialize)]
struct ListPage {
    #[serde(flatten)]
    layout: Layout,
    /// `post` or `page`.
    kind: &'static str,
}

/// `/admin/posts/`: the post list (filled by the script from the API).
pub async fn list_posts(
    State(s): State<AppState>,
    staff: Result<SignedIn, Error>,
    uri: Uri,
) -> PageResult {
    list(&s, signed_in(staff, &uri)?, PostType::Post).await
}

/// `/admin/pages/`: the page list.
pub async fn list_pages(
    State(s): State<AppState>,
    staff: Result<SignedIn, Error>,
    uri: Uri,
) -> PageResult {
    list(&s, signed_in(staff, &uri)?, PostType::Page).await
}

async fn list(s: &AppState, staff: SignedIn, kind: PostType) -> PageResult {
    let (title, section, kind) = match kind {
        PostType::Post => ("Posts", Section::Posts, "post"),
        PostType::Page => ("Pages", Section::Pages, "page"),
    };
    let page = ListPage {
        layout: Layout::signed_in(s, &staff, title, "posts", section).await?,
        kind,
    };
    Ok(render("posts.html", &page, StatusCode::OK))
}

#[derive(Serialize)]
struct EditorPage {
    #[serde(flatten)]
    layout: Layout,
    /// Empty for a new post.
    post_id: String,
    kind: &'static str,
}

/// `?type=page` makes the new post a page.
#[derive(Deserialize)]
pub struct NewQuery {
    #[serde(rename = "type")]
    kind: Option<PostType>,
}

/// `/admin/editor/`: a new post (`?type=page` for a page), created on first save.
pub async fn new_post(
    State(s): State<AppState>,
    staff: Result<SignedIn, Error>,
    uri: Uri,
    Query(query): Query<NewQuery>,
) -> PageResult {
    let staff = signed_in(staff, &uri)?;
    let kind = query.kind.unwrap_or(PostType::Post);
    let (title, section) = match kind {
        PostType::Post => ("New post", Section::Posts),
        PostType::Page => ("New page", Section::Pages),
    };
    let page = EditorPage {
        layout: Layout::signed_in(&s, &staff, title, "editor", section).await?,
        post_id: String::new(),
        kind: kind_name(kind),
    };
    Ok(render("editor.html", &page, StatusCode::OK))
}

/// `/admin/editor/{id}/`: an existing post or page the user may see.
pub async fn edit_post(
    State(s): State<AppState>,
    staff: Result<SignedIn, Error>,
    uri: Uri,
    Path(id): Path<String>,
) -> PageResult {
    let staff = signed_in(staff, &uri)?;
    let id: Uuid = id.parse().map_err(|_| Error::NotFound)?;
    let post = store::admin_posts::by_id(&s.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    if !editing::may_view(&staff.user, &post) {
        return Err(Error::Forbidden(None).into());
    }
    let section = match post.kind {
        PostType::Post => Section::Posts,
        PostType::Page => Section::Pages,
    };
    let page = EditorPage {
        layout: Layout::signed_in(&s, &staff, &post.title, "editor", section).await?,
        post_id: post.id.to_string(),
        kind: kind_name(post.kind),
    };
    Ok(render("editor.html", &page, StatusCode::OK))
}

fn kind_name(kind: PostType) -> &'static str {
    match kind {
        PostType::Post => "post",
        PostType::Page => "page",
    }
}

#[derive(Serialize)]
struct SectionPage {
    #[serde(flatten)]
    layout: Layout,
}

/// A page that is only a shell for the script, for roles of at least `section.min_role()`.
async fn section_page(
    s: &AppState,
    staff: Result<SignedIn, Error>,
    uri: &Uri,
    section: Section,
    title: &str,
    template: &str,
) -> PageResult {
    let staff = signed_in(staff, uri)?;
    staff.require(section.min_role())?;
    let page = SectionPage {
        layout: Layout::signed_in(s, &staff, title, section.key(), section).await?,
    };
    Ok(render(template, &page, StatusCode::OK))
}

/// `/admin/media/`: the image library, for all staff (deleting is for Editors and above,
/// which the API enforces).
pub async fn show_media(
    State(s): State<AppState>,
    staff: Result<SignedIn, Error>,
    uri: Uri,
) -> PageResult {
    section_page(&s, staff, &uri, Section::Media, "Media", "media.html").await
}

/// `/admin/tags/`: Editors and above.
pub async fn show_tags(
    State(s): State<AppState>,
    staff: Result<SignedIn, Error>,
    uri: Uri,
) -> PageResult {
    section_page(&s, staff, &uri, Section::Tags, "Tags", "tags.html").await
}

/// `/admin/staff/`: Editors and above (they invite Authors and Contributors).
pub async fn show_staff(
    State(s): State<AppState>,
    staff: Result<SignedIn, Error>,
    uri: Uri,
) -> PageResult {
    section_page(&s, staff, &uri, Section::Staff, "Staff", "staff.html").await
}

/// `/admin/settings/`: Administrators and the Owner.
pub async fn show_settings(
    State(s): State<AppState>,
    staff: Result<SignedIn, Error>,
    uri: Uri,
) -> PageResult {
    section_page(
        &s,
        staff,
        &uri,
        Section::Settings,
        "Settings",
        "settings.html",
    )
    .await
}

/// `/admin/account/`: one's own account and password.
pub async fn show_account(
    State(s): State<AppState>,
    staff: Result<SignedIn, Error>,
    uri: Uri,
) -> PageResult {
    section_page(
        &s,
        staff,
        &uri,
        Section::Account,
        "Your account",
        "account.html",
    )
    .await
}
