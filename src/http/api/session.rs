//! Signing in and out, and creating the first account.

use std::net::IpAddr;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::auth;
use crate::domain::user::{Email, Role, UserStatus};
use crate::error::{Error, Result};
use crate::http::extract::{ClientIp, Json, SESSION_COOKIE, SignedIn, check_origin};
use crate::state::AppState;
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

async fn show_session(staff: SignedIn) -> axum::Json<SessionInfo> {
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
    let email = match check_credentials(&credentials) {
        Ok(email) => email,
        Err(invalid) => {
            // malformed input is no way around the address's limit: it counts like a failure
            if let Some(ip) = ip
                && let Some(wait) = store::limits::attempt(
                    &s.db,
                    &[address_key(ip)],
                    &[MAX_FAILURES_PER_ADDRESS],
                    WINDOW_SECS,
                )
                .await?
            {
                return Err(Error::TooManyRequests(wait.max(1)));
            }
            return Err(invalid);
        }
    };
    let attempt = PasswordAttempt::start(&s, &email, ip).await?;
    let user = store::users::by_email(&s.db, &email).await?;
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let valid = attempt
        .verify(&s, auth::verify_password(credentials.password, hash))
        .await?;
    // a suspended account answers like a wrong password, so the answer does not tell whether
    // a guessed password was right
    let Some(user) = user.filter(|u| valid && u.status == UserStatus::Active) else {
        return Err(Error::Unauthorized(Some("Wrong email or password.".into())));
    };
    attempt.succeeded(&s).await?;
    start_session(&s, user, &headers, ip, StatusCode::OK).await
}

/// The e-mail address to look up, once the credentials are known to be worth a look-up and a
/// hash: an address of at most 254 bytes with no control characters, a password of at most
/// [`auth::MAX_PASSWORD_LEN`] bytes with no NUL.
fn check_credentials(credentials: &Credentials) -> Result<String> {
    let email = credentials.email.trim();
    if email.len() > 254 || email.contains(char::is_control) {
        return Err(Error::invalid("email", "Enter a valid email address."));
    }
    if credentials.password.len() > auth::MAX_PASSWORD_LEN || credentials.password.contains('\0') {
        return Err(Error::invalid(
            "password",
            "That password is too long or has a NUL character.",
        ));
    }
    Ok(email.to_lowercase())
}

fn account_key(email: &str) -> String {
    format!("login:account:{email}")
}

fn address_key(ip: IpAddr) -> String {
    format!("login:address:{ip}")
}

/// One password guess for an account, counted before the password is checked (against the
/// account, [`MAX_FAILURES_PER_ACCOUNT`], and the client's address, [`MAX_FAILURES_PER_ADDRESS`],
/// per [`WINDOW_SECS`]), so that concurrent guesses on any number of replicas cannot verify
/// more passwords than the limits allow. Sign-in and the password change share the account's
/// count.
pub struct PasswordAttempt {
    account: String,
    address: Option<String>,
}

impl PasswordAttempt {
    /// Counts the attempt; 429 with the seconds to wait once a limit is reached.
    pub async fn start(s: &AppState, email: &str, ip: Option<IpAddr>) -> Result<Self> {
        let attempt = PasswordAttempt {
            account: account_key(email),
            address: ip.map(address_key),
        };
        let mut keys = vec![attempt.account.clone()];
        let mut limits = vec![MAX_FAILURES_PER_ACCOUNT];
        if let Some(address) = &attempt.address {
            keys.push(address.clone());
            limits.push(MAX_FAILURES_PER_ADDRESS);
        }
        match store::limits::attempt(&s.db, &keys, &limits, WINDOW_SECS).await? {
            Some(wait) => Err(Error::TooManyRequests(wait.max(1))),
            None => Ok(attempt),
        }
    }

    /// Awaits the password check; when it was refused for load before any hashing, the attempt
    /// is given back, so that a legitimate user turned away by a flood is not locked out too.
    pub async fn verify(
        &self,
        s: &AppState,
        check: impl Future<Output = Result<bool>>,
    ) -> Result<bool> {
        match check.await {
            Err(busy @ Error::Busy(_)) => {
                let keys: Vec<String> = std::iter::once(self.account.clone())
                    .chain(self.address.clone())
                    .collect();
                store::limits::succeeded(&s.db, &[], &keys).await?;
                Err(busy)
            }
            result => result,
        }
    }

    /// The password was right: the account's count starts again, and the address gets its
    /// attempt back (only failures use up an address's allowance).
    pub async fn succeeded(self, s: &AppState) -> Result<()> {
        let release: Vec<String> = self.address.into_iter().collect();
        store::limits::succeeded(&s.db, &[self.account], &release).await?;
        Ok(())
    }
}

/// Creates a session for `user` and answers with its cookie and CSRF token; records the
/// sign-in (setup, an accepted invitation and a password reset sign in too).
pub async fn start_session(
    s: &AppState,
    user: StaffUser,
    headers: &HeaderMap,
    ip: Option<std::net::IpAddr>,
    status: StatusCode,
) -> Result<Response> {
    store::users::touch_login(&s.db, user.id).await?;
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

async fn delete_session(State(s): State<AppState>, staff: SignedIn) -> Result<Response> {
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
    Email::parse(raw)
        .map(Email::into_string)
        .map_err(|e| Error::invalid("email", e.to_string()))
}
