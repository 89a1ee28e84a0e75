//! Signing in and out, and creating the first account.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth;
use crate::domain::user::Role;
use crate::error::{Error, Result};
use crate::http::extract::{ClientIp, Json, SESSION_COOKIE, Staff, check_origin};
use crate::store;
use crate::store::users::StaffUser;

/// How long a session lasts.
pub const SESSION_DAYS: i32 = 30;
/// Failed sign-ins allowed per account, and per client address, in one window.
pub const MAX_FAILURES_PER_ACCOUNT: i32 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i32 = 30;
/// The throttling window, in seconds.
pub const WINDOW_SECS: i32 = 15 * 60;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/session",
            get(show_session)
                .post(create_session)
                .delete(delete_session),
        )
        .route("/setup", get(show_setup).post(create_owner))
}

#[derive(Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

/// What signing in answers: the CSRF token for later writes, and who you are.
#[derive(Serialize)]
pub struct SessionInfo {
    pub csrf_token: String,
    pub user: StaffUser,
}

async fn show_session(staff: Staff) -> axum::Json<SessionInfo> {
    axum::Json(SessionInfo {
        csrf_token: staff.csrf_token,
        user: staff.user,
    })
}

async fn create_session(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(credentials): Json<Credentials>,
) -> Result<Response> {
    check_origin(&headers, &s)?;
    let email = credentials.email.trim().to_lowercase();
    let mut keys = vec![format!("login:account:{email}")];
    if let Some(ip) = ip {
        keys.push(format!("login:address:{ip}"));
    }
    // the per-account limit is the lower one; the address limit stops spraying across accounts
    if let Some(wait) =
        store::limits::blocked_for(&s.db, &keys[..1], MAX_FAILURES_PER_ACCOUNT, WINDOW_SECS).await?
    {
        return Err(Error::TooManyRequests(wait.max(1)));
    }
    if let Some(wait) =
        store::limits::blocked_for(&s.db, &keys[1..], MAX_FAILURES_PER_ADDRESS, WINDOW_SECS).await?
    {
        return Err(Error::TooManyRequests(wait.max(1)));
    }
    let user = store::users::by_email(&s.db, &email).await?;
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let valid = auth::verify_password(credentials.password, hash).await?;
    let user = match user {
        Some(user) if valid && user.status == crate::domain::user::UserStatus::Active => user,
        Some(_) if valid => {
            return Err(Error::ForbiddenBecause("this account is suspended".into()));
        }
        _ => {
            store::limits::hit(&s.db, &keys, WINDOW_SECS).await?;
            return Err(Error::UnauthorizedBecause(
                "Wrong email or password.".into(),
            ));
        }
    };
    store::limits::reset(&s.db, &keys[..1]).await?;
    store::users::touch_login(&s.db, user.id).await?;
    start_session(&s, user, &headers, ip, StatusCode::OK).await
}

/// Creates a session for `user` and answers with its cookie and CSRF token.
pub async fn start_session(
    s: &AppState,
    user: StaffUser,
    headers: &HeaderMap,
    ip: Option<std::net::IpAddr>,
    status: StatusCode,
) -> Result<Response> {
    let (token, token_hash) = auth::new_token();
    let (csrf_token, _) = auth::new_token();
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| &ua[..ua.len().min(400)]);
    store::sessions::create(
        &s.db,
        &token_hash,
        user.id,
        &csrf_token,
        user_agent,
        ip,
        SESSION_DAYS,
    )
    .await?;
    let cookie = session_cookie(s, &token, SESSION_DAYS * 24 * 3600);
    let mut response = (status, axum::Json(SessionInfo { csrf_token, user })).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn session_cookie(s: &AppState, value: &str, max_age: i32) -> HeaderValue {
    let secure = if s.config.site.base_url.scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("cookie is ASCII")
}

async fn delete_session(State(s): State<AppState>, staff: Staff) -> Result<Response> {
    store::sessions::delete(&s.db, &staff.token_hash).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&s, "", 0));
    Ok(response)
}

#[derive(Serialize)]
struct SetupState {
    /// Whether the first account can still be created.
    open: bool,
}

async fn show_setup(State(s): State<AppState>) -> Result<axum::Json<SetupState>> {
    Ok(axum::Json(SetupState {
        open: !store::users::any_exist(&s.db).await?,
    }))
}

#[derive(Deserialize)]
struct NewOwner {
    name: String,
    email: String,
    password: String,
    #[serde(default)]
    blog_title: Option<String>,
}

/// Creates the Owner while no account exists. Two replicas racing here cannot both succeed:
/// the second insert violates the one-owner index and answers 409.
async fn create_owner(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(owner): Json<NewOwner>,
) -> Result<Response> {
    check_origin(&headers, &s)?;
    let name = owner.name.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", "Tell us your name."));
    }
    let email = validate_email(&owner.email)?;
    auth::check_password_strength(&owner.password)?;
    let already = || Error::Conflict("Quire is already set up; sign in instead.".into());
    if store::users::any_exist(&s.db).await? {
        return Err(already());
    }
    let user = crate::staff::create_account(&s.db, &email, name, Role::Owner, owner.password)
        .await
        .map_err(|e| match e {
            Error::Conflict(_) => already(),
            e => e,
        })?;
    if let Some(title) = owner
        .blog_title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        store::settings::put(&s.db, "title", &serde_json::json!(title)).await?;
    }
    tracing::info!(user = %user.email, "created the Owner account");
    start_session(&s, user, &headers, ip, StatusCode::CREATED).await
}

/// A trimmed, lower-cased email address that looks deliverable.
pub fn validate_email(raw: &str) -> Result<String> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.contains(char::is_whitespace);
    if valid {
        Ok(email)
    } else {
        Err(Error::invalid("email", "Enter a valid email address."))
    }
}
