//! `/admin/api/users`: staff accounts, invitations, roles, suspension, ownership, passwords,
//! and password reset links. With an SMTP server set, invitations and reset links are also
//! e-mailed, and anyone may ask for a reset link by e-mail (`POST /password-resets`).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use serde::{Deserialize, Serialize};
use tracing::Instrument;
use uuid::Uuid;

use crate::auth;
use crate::domain::user::{Role, UserStatus};
use crate::error::{Error, Result};
use crate::http::api::session::{PasswordAttempt, start_session, validate_email};
use crate::http::extract::{ClientIp, Json, Path, SignedIn, check_origin};
use crate::mail::{self, Letter, MailError};
use crate::state::AppState;
use crate::store;
use crate::store::users::StaffUser;

/// How long an invitation link stays valid.
pub const INVITE_DAYS: i64 = 7;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(list_users).post(create_user))
        .route("/users/me", get(show_me).put(update_profile))
        .route("/users/me/password", put(change_password))
        .route("/invitations", get(list_invitations))
        .route("/invitations/{id}", delete(revoke_invitation))
        .route("/users/{id}", get(show_user).put(update_user))
        .route("/users/{id}/reset-link", post(create_reset_link))
        .route("/invites/{token}", post(accept_invite))
        .route("/password-resets", post(request_password_reset))
        .route("/password-resets/{token}", post(reset_password))
}

async fn list_users(
    State(s): State<AppState>,
    _staff: SignedIn,
) -> Result<axum::Json<Vec<StaffUser>>> {
    Ok(axum::Json(store::users::list(&s.db).await?))
}

async fn show_user(
    State(s): State<AppState>,
    _staff: SignedIn,
    Path(id): Path<Uuid>,
) -> Result<axum::Json<StaffUser>> {
    Ok(axum::Json(
        store::users::by_id(&s.db, id)
            .await?
            .ok_or(Error::NotFound)?,
    ))
}

/// One's own account.
async fn show_me(staff: SignedIn) -> axum::Json<StaffUser> {
    axum::Json(staff.user)
}

/// Edits one's own public profile: name, address, bio, website, location, avatar and cover.
async fn update_profile(
    State(s): State<AppState>,
    staff: SignedIn,
    Json(input): Json<crate::staff::ProfileInput>,
) -> Result<axum::Json<StaffUser>> {
    Ok(axum::Json(
        crate::staff::update_profile(&s.db, staff.user.id, input).await?,
    ))
}

/// The roles of invitations this member may see and revoke: those they may invite.
fn invitable(role: Role) -> Vec<Role> {
    [
        Role::Administrator,
        Role::Editor,
        Role::Author,
        Role::Contributor,
    ]
    .into_iter()
    .filter(|r| role.manages(*r))
    .collect()
}

/// Invitations not yet accepted, of the roles the caller may invite.
async fn list_invitations(
    State(s): State<AppState>,
    staff: SignedIn,
) -> Result<axum::Json<Vec<store::tokens::PendingInvitation>>> {
    let roles = invitable(staff.user.role);
    if roles.is_empty() {
        return Err(Error::Forbidden(None));
    }
    let mut pending = store::tokens::pending_invitations(&s.db).await?;
    pending.retain(|i| roles.contains(&i.role));
    Ok(axum::Json(pending))
}

/// Revokes an invitation: its link stops working at once, on every replica.
async fn revoke_invitation(
    State(s): State<AppState>,
    staff: SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let roles = invitable(staff.user.role);
    if roles.is_empty() {
        return Err(Error::Forbidden(None));
    }
    if id.len() > 128 {
        return Err(Error::NotFound);
    }
    store::tokens::revoke_invitation(&s.db, &id, &roles)
        .await?
        .ok_or(Error::NotFound)?;
    tracing::info!(by = %staff.user.email, "revoked an invitation");
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewStaff {
    email: String,
    role: Role,
    name: Option<String>,
    /// With a password the account is created at once (scripts); without, an invitation link
    /// is made, e-mailed when mail is set up and answered for the inviter to pass on.
    password: Option<String>,
}

#[derive(Serialize)]
struct Invitation {
    email: String,
    role: Role,
    invite_url: String,
    expires_at: chrono::DateTime<chrono::Utc>,
    #[serde(flatten)]
    delivery: Delivery,
}

/// Whether a link went out by e-mail, so that the admin says "sent" or shows the link to pass
/// on. `email_error` says why an e-mail could not be sent (the details are in the log).
#[derive(Serialize)]
struct Delivery {
    emailed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_error: Option<String>,
}

/// E-mails `letter` to `to` when mail is set up; `what` names the message for the admin and
/// the log. A failure is logged and told, not an error: the link works all the same.
async fn deliver(
    s: &AppState,
    what: &str,
    to: &str,
    name: Option<&str>,
    letter: impl FnOnce(&str) -> Result<Letter, MailError>,
) -> Result<Delivery> {
    let Some(mailer) = &s.mailer else {
        return Ok(Delivery {
            emailed: false,
            email_error: None,
        });
    };
    let settings = store::settings::load(&s.db).await?;
    let sent = match letter(&settings.title) {
        Ok(letter) => mailer.send(to, name, letter).await,
        Err(e) => Err(e),
    };
    Ok(match sent {
        Ok(()) => {
            tracing::info!(to, "e-mailed the {what}");
            Delivery {
                emailed: true,
                email_error: None,
            }
        }
        Err(e) => {
            let told = format!("The {what} could not be e-mailed: {e}. Pass the link on yourself.");
            let cause = format!("{:#}", anyhow::Error::from(e));
            tracing::warn!(to, error = cause, "could not e-mail the {what}");
            Delivery {
                emailed: false,
                email_error: Some(told),
            }
        }
    })
}

/// A role as people read it: "Author".
fn role_label(role: Role) -> String {
    let name = role.as_str();
    name[..1].to_uppercase() + &name[1..]
}

async fn create_user(
    State(s): State<AppState>,
    staff: SignedIn,
    Json(input): Json<NewStaff>,
) -> Result<Response> {
    if !staff.user.role.manages(input.role) {
        return Err(Error::Forbidden(Some(format!(
            "your role cannot add a user as {}",
            input.role.as_str()
        ))));
    }
    let email = validate_email(&input.email)?;
    if store::users::by_email(&s.db, &email).await?.is_some() {
        return Err(Error::invalid(
            "email",
            "A staff member already uses this email.",
        ));
    }
    match input.password {
        Some(password) => {
            auth::check_password_strength(&password)?;
            let name = input
                .name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .unwrap_or(&email)
                .to_owned();
            let user =
                crate::staff::create_account(&s.db, &email, &name, input.role, password).await?;
            Ok((StatusCode::CREATED, axum::Json(user)).into_response())
        }
        None => {
            let (token, hash) = auth::new_token();
            let expires_at = store::tokens::create_invitation(
                &s.db,
                &hash,
                &email,
                input.role,
                staff.user.id,
                INVITE_DAYS as i32,
            )
            .await?;
            let invite_url = format!("{}/admin/invite/{token}", s.site_url);
            let expires = expires_at.format("%-d %B %Y, %H:%M UTC").to_string();
            let delivery = deliver(&s, "invitation", &email, None, |site_title| {
                mail::invitation(&mail::Invitation {
                    site_title,
                    site_url: &s.site_url,
                    inviter: &staff.user.name,
                    role: &role_label(input.role),
                    link: &invite_url,
                    expires: &expires,
                })
            })
            .await?;
            Ok((
                StatusCode::CREATED,
                axum::Json(Invitation {
                    email,
                    role: input.role,
                    invite_url,
                    expires_at,
                    delivery,
                }),
            )
                .into_response())
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessChange {
    role: Option<Role>,
    status: Option<UserStatus>,
}

/// Changes a user's role or status. Giving the Owner role hands ownership over: only the Owner
/// may, and they become an Administrator in the same transaction.
async fn update_user(
    State(s): State<AppState>,
    staff: SignedIn,
    Path(id): Path<Uuid>,
    Json(change): Json<AccessChange>,
) -> Result<axum::Json<StaffUser>> {
    let target = store::users::by_id(&s.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    if target.id == staff.user.id {
        return Err(Error::Forbidden(Some(
            "you cannot change your own role or status".into(),
        )));
    }
    let role = change.role.unwrap_or(target.role);
    let status = change.status.unwrap_or(target.status);
    let mut tx = s.db.begin().await?;
    if role == Role::Owner && target.role != Role::Owner {
        if staff.user.role != Role::Owner {
            return Err(Error::Forbidden(Some(
                "only the Owner can hand ownership over".into(),
            )));
        }
        if status != UserStatus::Active {
            return Err(Error::invalid("status", "The new Owner must be active."));
        }
        store::users::update_access(
            &mut *tx,
            staff.user.id,
            Role::Administrator,
            UserStatus::Active,
        )
        .await?;
    } else if !staff.user.role.manages(target.role) || !staff.user.role.manages(role) {
        return Err(Error::Forbidden(Some(
            "your role cannot change this user".into(),
        )));
    }
    let user = store::users::update_access(&mut *tx, id, role, status).await?;
    if status == UserStatus::Suspended {
        store::sessions::delete_for_user(&mut *tx, id, None).await?;
    }
    tx.commit().await?;
    Ok(axum::Json(user))
}

#[derive(Deserialize)]
struct PasswordChange {
    old_password: String,
    new_password: String,
}

/// Changes one's own password; signs out every other session. The current password is
/// checked under the sign-in throttle (the same count as the account's sign-ins), so a stolen
/// session cannot be used to guess it.
async fn change_password(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    staff: SignedIn,
    Json(change): Json<PasswordChange>,
) -> Result<StatusCode> {
    auth::check_password_strength(&change.new_password)?;
    if change.old_password.len() > auth::MAX_PASSWORD_LEN {
        return Err(Error::invalid(
            "old_password",
            "That is not your current password.",
        ));
    }
    let attempt = PasswordAttempt::start(&s, &staff.user.email.to_lowercase(), ip).await?;
    let check = auth::verify_password(change.old_password, staff.user.password_hash.clone());
    if !attempt.verify(&s, check).await? {
        return Err(Error::invalid(
            "old_password",
            "That is not your current password.",
        ));
    }
    attempt.succeeded(&s).await?;
    let hash = auth::hash_password(change.new_password).await?;
    let mut tx = s.db.begin().await?;
    store::users::set_password(&mut *tx, staff.user.id, &hash).await?;
    store::sessions::delete_for_user(&mut *tx, staff.user.id, Some(&staff.token_hash)).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct Acceptance {
    name: String,
    password: String,
}

/// Accepts an invitation: creates the account and signs it in. The link works once.
async fn accept_invite(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(token): Path<String>,
    Json(input): Json<Acceptance>,
) -> Result<Response> {
    check_origin(&headers, &s)?;
    let name = input.name.trim().to_owned();
    if name.is_empty() {
        return Err(Error::invalid("name", "Tell us your name."));
    }
    // checked before the link is used up
    crate::staff::check_name(&name)?;
    auth::check_password_strength(&input.password)?;
    let hash = auth::token_hash(&token);
    let Some((email, role)) = store::tokens::use_invitation(&s.db, &hash).await? else {
        return Err(Error::invalid(
            "token",
            "This invitation link is invalid, used or expired.",
        ));
    };
    let user = crate::staff::create_account(&s.db, &email, &name, role, input.password).await?;
    start_session(&s, user, &headers, ip, StatusCode::CREATED).await
}

#[derive(Serialize)]
struct ResetLink {
    user_id: Uuid,
    name: String,
    email: String,
    reset_url: String,
    /// How long the link works.
    valid_hours: i32,
    #[serde(flatten)]
    delivery: Delivery,
}

/// Makes a password reset link for a staff member the caller manages (the Owner's only by the
/// Owner): e-mailed to them when mail is set up, and answered for the caller to pass on. The
/// user's earlier unused links stop working.
async fn create_reset_link(
    State(s): State<AppState>,
    staff: SignedIn,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    let target = store::users::by_id(&s.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    let allowed = match target.role {
        Role::Owner => staff.user.role == Role::Owner,
        role => staff.user.role.manages(role),
    };
    if !allowed {
        return Err(Error::Forbidden(Some(
            "your role cannot make a reset link for this user".into(),
        )));
    }
    let reset_url = crate::staff::reset_link(&s.db, &s.site_url, target.id).await?;
    tracing::info!(by = %staff.user.email, user = %target.email, "created a password reset link");
    let delivery = deliver(
        &s,
        "reset link",
        &target.email,
        Some(&target.name),
        |site_title| {
            mail::reset(&mail::Reset {
                site_title,
                site_url: &s.site_url,
                email: &target.email,
                name: &target.name,
                link: &reset_url,
                valid_hours: crate::staff::RESET_HOURS,
                made_by: Some(&staff.user.name),
            })
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ResetLink {
            user_id: target.id,
            name: target.name,
            email: target.email,
            reset_url,
            valid_hours: crate::staff::RESET_HOURS,
            delivery,
        }),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPassword {
    password: String,
}

/// Sets a new password with a reset link, signs the user out everywhere else and signs them in
/// here. Protected like sign-in and invitations: no session yet, so the `Origin` check and the
/// JSON-only body (which a cross-site form cannot send) stand in for the CSRF token.
async fn reset_password(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(token): Path<String>,
    Json(input): Json<NewPassword>,
) -> Result<Response> {
    check_origin(&headers, &s)?;
    let user = crate::staff::reset_password(&s.db, &token, input.password).await?;
    start_session(&s, user, &headers, ip, StatusCode::OK).await
}

/// Reset links asked for by e-mail address, per address and per client, in one window.
pub const MAX_RESET_REQUESTS_PER_ACCOUNT: i32 = 3;
pub const MAX_RESET_REQUESTS_PER_ADDRESS: i32 = 10;
/// The window of those limits, in seconds.
pub const RESET_WINDOW_SECS: i32 = 60 * 60;

/// What every accepted request for a reset link answers, whether or not the address is a
/// staff member's.
pub const RESET_REQUESTED: &str = "If this address belongs to a staff account, a link to choose a new password is on its way. Check your inbox (and spam folder); the link works for 72 hours.";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetRequest {
    email: String,
}

#[derive(Serialize)]
struct ResetRequested {
    message: &'static str,
}

/// "Forgot password?" on the sign-in page: e-mails a reset link to an active staff member.
/// Answers 202 with the same message whether or not the address belongs to anyone; the
/// look-up and the sending happen after the answer, so its timing tells nothing either.
/// Throttled per address and per client like sign-in (a 429 says only that the address or
/// client asked too often, which it does for unknown addresses too). Pre-session, so protected
/// like sign-in: the `Origin` check and the JSON-only body stand in for the CSRF token.
async fn request_password_reset(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(input): Json<ResetRequest>,
) -> Result<Response> {
    check_origin(&headers, &s)?;
    if s.mailer.is_none() {
        return Err(Error::Conflict(
            "This site sends no e-mail. Ask an administrator for a password reset link.".into(),
        ));
    }
    let address = ip.map(|ip| format!("reset:address:{ip}"));
    let email = match validate_email(&input.email) {
        Ok(email) => email,
        Err(invalid) => {
            // malformed input is no way around the client's limit: it counts too
            if let Some(address) = address
                && let Some(wait) = store::limits::attempt(
                    &s.db,
                    &[address],
                    &[MAX_RESET_REQUESTS_PER_ADDRESS],
                    RESET_WINDOW_SECS,
                )
                .await?
            {
                return Err(Error::TooManyRequests(wait.max(1)));
            }
            return Err(invalid);
        }
    };
    let mut keys = vec![format!("reset:account:{email}")];
    let mut limits = vec![MAX_RESET_REQUESTS_PER_ACCOUNT];
    if let Some(address) = address {
        keys.push(address);
        limits.push(MAX_RESET_REQUESTS_PER_ADDRESS);
    }
    if let Some(wait) = store::limits::attempt(&s.db, &keys, &limits, RESET_WINDOW_SECS).await? {
        return Err(Error::TooManyRequests(wait.max(1)));
    }
    let state = s.clone();
    tokio::spawn(
        async move {
            if let Err(e) = send_requested_reset(&state, &email).await {
                tracing::warn!(
                    error = format!("{:#}", e),
                    "could not e-mail a requested reset link"
                );
            }
        }
        .instrument(tracing::Span::current()),
    );
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(ResetRequested {
            message: RESET_REQUESTED,
        }),
    )
        .into_response())
}

/// Makes and e-mails a reset link for the active staff member with `email`, if there is one.
async fn send_requested_reset(s: &AppState, email: &str) -> anyhow::Result<()> {
    let Some(mailer) = &s.mailer else {
        return Ok(());
    };
    let user = store::users::by_email(&s.db, email)
        .await?
        .filter(|u| u.status == UserStatus::Active);
    let Some(user) = user else {
        tracing::info!("a reset link was asked for an address with no active staff account");
        return Ok(());
    };
    let link = crate::staff::reset_link(&s.db, &s.site_url, user.id).await?;
    let settings = store::settings::load(&s.db).await?;
    let letter = mail::reset(&mail::Reset {
        site_title: &settings.title,
        site_url: &s.site_url,
        email: &user.email,
        name: &user.name,
        link: &link,
        valid_hours: crate::staff::RESET_HOURS,
        made_by: None,
    })?;
    mailer.send(&user.email, Some(&user.name), letter).await?;
    tracing::info!(user = %user.email, "e-mailed a requested password reset link");
    Ok(())
}
