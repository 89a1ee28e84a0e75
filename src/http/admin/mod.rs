//! The admin front end under `/admin/`: server-rendered pages (Tera, embedded at compile time)
//! that load one script and one stylesheet from `static/admin/`.
//!
//! The pages hold no data of their own beyond who is signed in and the session's CSRF token:
//! the script reads and writes everything through the JSON API under `/admin/api/`, so the
//! API's role checks are the ones that protect the data. Navigation only hides what a role
//! cannot use. There are no HTML form posts; every write is a `fetch` with `X-CSRF-Token`.

mod pages;

use std::sync::LazyLock;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Serialize;
use tera::Tera;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::domain::user::Role;
use crate::error::{Error, LoggedError};
use crate::http::extract::SignedIn;
use crate::state::AppState;
use crate::store;

/// What the admin pages may load: only this origin, no inline script or style. Images in the
/// preview may come from anywhere, as on the public site.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src * data: blob:; media-src *; connect-src 'self'; object-src 'none'; frame-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The admin pages. Each answers `Cache-Control: no-store`: they name the signed-in user.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/", get(pages::show_start))
        .route("/admin/setup", get(pages::show_setup))
        .route("/admin/setup/", get(pages::show_setup))
        .route("/admin/login/", get(pages::show_login))
        .route("/admin/forgot/", get(pages::show_forgot))
        .route("/admin/invite/{token}", get(pages::show_invite))
        .route("/admin/invite/{token}/", get(pages::show_invite))
        .route("/admin/reset/{token}", get(pages::show_reset))
        .route("/admin/reset/{token}/", get(pages::show_reset))
        .route("/admin/posts/", get(pages::list_posts))
        .route("/admin/pages/", get(pages::list_pages))
        .route("/admin/editor/", get(pages::new_post))
        .route("/admin/editor/{id}/", get(pages::edit_post))
        .route("/admin/media/", get(pages::show_media))
        .route("/admin/tags/", get(pages::show_tags))
        .route("/admin/staff/", get(pages::show_staff))
        .route("/admin/settings/", get(pages::show_settings))
        .route("/admin/account/", get(pages::show_account))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
}

/// The admin's templates, parsed once. A parse error is a bug caught by the unit tests below;
/// should it ever reach a request, that request answers 500 instead of taking the process down.
static TEMPLATES: LazyLock<Result<Tera, String>> = LazyLock::new(|| {
    let mut tera = Tera::default();
    tera.add_raw_templates([
        ("base.html", include_str!("templates/base.html")),
        ("macros.html", include_str!("templates/macros.html")),
        ("error.html", include_str!("templates/error.html")),
        ("setup.html", include_str!("templates/setup.html")),
        ("login.html", include_str!("templates/login.html")),
        ("forgot.html", include_str!("templates/forgot.html")),
        ("invite.html", include_str!("templates/invite.html")),
        ("reset.html", include_str!("templates/reset.html")),
        ("posts.html", include_str!("templates/posts.html")),
        ("editor.html", include_str!("templates/editor.html")),
        ("tags.html", include_str!("templates/tags.html")),
        ("media.html", include_str!("templates/media.html")),
        ("staff.html", include_str!("templates/staff.html")),
        ("settings.html", include_str!("templates/settings.html")),
        ("account.html", include_str!("templates/account.html")),
    ])
    .map_err(|e| error_chain(&e))?;
    Ok(tera)
});

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// One area of the admin, as the navigation lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Posts,
    Pages,
    Media,
    Tags,
    Staff,
    Settings,
    Account,
}

impl Section {
    const ALL: [Section; 7] = [
        Section::Posts,
        Section::Pages,
        Section::Media,
        Section::Tags,
        Section::Staff,
        Section::Settings,
        Section::Account,
    ];

    fn key(self) -> &'static str {
        match self {
            Section::Posts => "posts",
            Section::Pages => "pages",
            Section::Media => "media",
            Section::Tags => "tags",
            Section::Staff => "staff",
            Section::Settings => "settings",
            Section::Account => "account",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Section::Posts => "Posts",
            Section::Pages => "Pages",
            Section::Media => "Media",
            Section::Tags => "Tags",
            Section::Staff => "Staff",
            Section::Settings => "Settings",
            Section::Account => "Your account",
        }
    }

    /// The smallest role that may use the section; the API enforces the same.
    fn min_role(self) -> Role {
        match self {
            // everyone who writes uploads images, so everyone sees the library
            Section::Posts | Section::Pages | Section::Media | Section::Account => {
                Role::Contributor
            }
            // Editors manage tags and invite Authors and Contributors
            Section::Tags | Section::Staff => Role::Editor,
            Section::Settings => Role::Administrator,
        }
    }
}

/// A link of the navigation.
#[derive(Debug, Serialize)]
struct NavLink {
    key: &'static str,
    label: &'static str,
    href: String,
}

/// Who is signed in, as the pages and their script need it.
#[derive(Debug, Serialize)]
struct StaffView {
    id: String,
    name: String,
    email: String,
    role: &'static str,
    csrf_token: String,
    can_publish: bool,
    edits_all_posts: bool,
    is_owner: bool,
    /// Roles this user may give (invite, change to), most powerful first.
    manages: Vec<&'static str>,
}

impl StaffView {
    fn new(staff: &SignedIn) -> Self {
        let role = staff.user.role;
        StaffView {
            id: staff.user.id.to_string(),
            name: staff.user.name.clone(),
            email: staff.user.email.clone(),
            role: role.as_str(),
            csrf_token: staff.csrf_token.clone(),
            can_publish: role.can_publish(),
            edits_all_posts: role.edits_all_posts(),
            is_owner: role == Role::Owner,
            manages: ALL_ROLES
                .into_iter()
                .filter(|r| role.manages(*r))
                .map(Role::as_str)
                .collect(),
        }
    }
}

const ALL_ROLES: [Role; 5] = [
    Role::Owner,
    Role::Administrator,
    Role::Editor,
    Role::Author,
    Role::Contributor,
];

/// What every page's layout shows.
#[derive(Debug, Serialize)]
struct Layout {
    /// The page's title and main heading.
    title: String,
    /// Which part of the script runs (`<body data-page>`).
    page: &'static str,
    /// The navigation section to mark as current.
    section: &'static str,
    css_url: String,
    js_url: String,
    site_title: String,
    site_url: String,
    /// The upload size limit, so the script refuses a too-large file before sending it.
    upload_max_mb: u64,
    /// Whether invitations and reset links go out by e-mail (an SMTP server is set).
    mail: bool,
    staff: Option<StaffView>,
    nav: Vec<NavLink>,
}

impl Layout {
    /// The layout of a signed-out page (setup, sign-in, invitation, password reset).
    fn signed_out(s: &AppState, title: &str, page: &'static str, site_title: String) -> Self {
        Layout {
            title: title.to_owned(),
            page,
            section: "",
            css_url: asset_url("admin/admin.css"),
            js_url: asset_url("admin/admin.js"),
            site_title,
            site_url: s.site_url.clone(),
            upload_max_mb: s.config.media.upload_max_mb,
            mail: s.mailer.is_some(),
            staff: None,
            nav: Vec::new(),
        }
    }

    /// The layout of a page for a signed-in staff member, with the navigation of their role.
    async fn signed_in(
        s: &AppState,
        staff: &SignedIn,
        title: &str,
        page: &'static str,
        section: Section,
    ) -> Result<Self, PageError> {
        let settings = store::settings::load(&s.db).await.map_err(Error::from)?;
        let role = staff.user.role;
        Ok(Layout {
            section: section.key(),
            staff: Some(StaffView::new(staff)),
            nav: Section::ALL
                .into_iter()
                .filter(|section| role.at_least(section.min_role()))
                .map(|section| NavLink {
                    key: section.key(),
                    label: section.label(),
                    href: format!("/admin/{}/", section.key()),
                })
                .collect(),
            ..Layout::signed_out(s, title, page, settings.title)
        })
    }
}

/// The URL of an embedded bundle; empty (and so harmless) if the build lacks it.
fn asset_url(logical: &str) -> String {
    crate::assets::by_logical(logical)
        .map(crate::assets::url)
        .unwrap_or_default()
}

/// Renders an admin template to an HTML answer.
fn render(template: &str, context: &impl Serialize, status: StatusCode) -> Response {
    match render_html(template, context) {
        Ok(html) => html_response(status, html),
        Err(e) => PageError::Failed(e).into_response(),
    }
}

fn render_html(template: &str, context: &impl Serialize) -> Result<String, Error> {
    let tera = TEMPLATES
        .as_ref()
        .map_err(|e| Error::Other(anyhow::anyhow!("admin templates: {e}")))?;
    let context = tera::Context::from_serialize(context)?;
    Ok(tera.render(template, &context)?)
}

fn html_response(status: StatusCode, html: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        html,
    )
        .into_response()
}

/// Why a page is not shown: the visitor must sign in first, or an error page instead.
#[derive(Debug)]
pub(crate) enum PageError {
    /// No (valid) session: go to the sign-in page, then come back to `next`.
    SignIn {
        next: String,
    },
    Failed(Error),
}

impl From<Error> for PageError {
    fn from(e: Error) -> Self {
        PageError::Failed(e)
    }
}

impl From<sqlx::Error> for PageError {
    fn from(e: sqlx::Error) -> Self {
        PageError::Failed(e.into())
    }
}

#[derive(Serialize)]
struct ErrorPage {
    #[serde(flatten)]
    layout: Layout,
    status: u16,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let error = match self {
            PageError::SignIn { next } => {
                let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
                return Redirect::to(&format!("/admin/login/?next={next}")).into_response();
            }
            PageError::Failed(error) => error,
        };
        let status = error.status();
        let (title, message) = match error.root() {
            Error::NotFound => (
                "Not found",
                "There is nothing here. It may have been deleted.".to_owned(),
            ),
            Error::Forbidden(_) => (
                "Not available to your role",
                "Your role cannot use this page. Ask an administrator if you need it.".to_owned(),
            ),
            _ if status == StatusCode::SERVICE_UNAVAILABLE => (
                "Temporarily unavailable",
                "The database cannot be reached right now. Try again in a moment.".to_owned(),
            ),
            _ if status.is_server_error() => (
                "Something went wrong",
                "This page cannot be shown right now. The error has been logged.".to_owned(),
            ),
            e => ("Cannot show this page", e.to_string()),
        };
        let page = ErrorPage {
            layout: Layout {
                title: title.to_owned(),
                page: "error",
                section: "",
                css_url: asset_url("admin/admin.css"),
                js_url: asset_url("admin/admin.js"),
                site_title: String::new(),
                site_url: String::new(),
                upload_max_mb: 0,
                mail: false,
                staff: None,
                nav: Vec::new(),
            },
            status: status.as_u16(),
            message,
        };
        let mut response = match render_html("error.html", &page) {
            Ok(html) => html_response(status, html),
            Err(_) => (status, "Something went wrong.\n").into_response(),
        };
        if status.is_server_error() {
            // the logging middleware reports the cause chain
            response
                .extensions_mut()
                .insert(LoggedError(std::sync::Arc::new(error)));
        }
        response
    }
}

/// The signed-in staff member, or a trip to the sign-in page that comes back to `uri`.
fn signed_in(staff: Result<SignedIn, Error>, uri: &Uri) -> Result<SignedIn, PageError> {
    match staff {
        Ok(staff) => Ok(staff),
        Err(Error::Unauthorized(_)) => Err(PageError::SignIn {
            next: uri
                .path_and_query()
                .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned()),
        }),
        Err(e) => Err(PageError::Failed(e)),
    }
}

/// Where the sign-in page sends the browser afterwards: an admin page, never another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(next)
            if next.starts_with("/admin/")
                && !next.starts_with("/admin/api/")
                && !next.contains("//")
                && !next.contains('\\') =>
        {
            next.to_owned()
        }
        _ => "/admin/posts/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_templates_parse() {
        if let Err(e) = &*TEMPLATES {
            panic!("{e}");
        }
    }

    #[test]
    fn sign_in_only_returns_to_admin_pages() {
        assert_eq!(safe_next(Some("/admin/editor/x/")), "/admin/editor/x/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/admin/posts/");
        assert_eq!(safe_next(Some("//evil.example/admin/")), "/admin/posts/");
        assert_eq!(safe_next(Some("/admin//evil.example")), "/admin/posts/");
        assert_eq!(safe_next(Some("/admin/api/session")), "/admin/posts/");
        assert_eq!(safe_next(None), "/admin/posts/");
    }

    #[test]
    fn each_role_sees_only_its_sections() {
        let visible = |role: Role| -> Vec<&str> {
            Section::ALL
                .into_iter()
                .filter(|s| role.at_least(s.min_role()))
                .map(Section::key)
                .collect()
        };
        assert_eq!(
            visible(Role::Contributor),
            ["posts", "pages", "media", "account"]
        );
        assert_eq!(
            visible(Role::Author),
            ["posts", "pages", "media", "account"]
        );
        assert_eq!(
            visible(Role::Editor),
            ["posts", "pages", "media", "tags", "staff", "account"]
        );
        assert_eq!(visible(Role::Administrator).len(), 7);
    }
}
