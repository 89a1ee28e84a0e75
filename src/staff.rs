//! Creating staff accounts and password reset links, shared by the admin API and the
//! `quire user` commands.

use sqlx::PgPool;
use uuid::Uuid;

use crate::auth;
use crate::domain::limits;
use crate::domain::slug::Slug;
use crate::domain::user::{Role, UserStatus};
use crate::error::{Error, Result};
use crate::store;
use crate::store::users::{NewUser, StaffUser};

/// Creates an active account with a password (checked for strength, hashed with argon2id).
pub async fn create_account(
    db: &PgPool,
    email: &str,
    name: &str,
    role: Role,
    password: String,
) -> Result<StaffUser> {
    check_name(name)?;
    auth::check_password_strength(&password)?;
    let hash = auth::hash_password(password).await?;
    let mut tx = db.begin().await?;
    let slug = store::users::free_slug(&mut *tx, Slug::from_title(name).as_str()).await?;
    let user = store::users::insert(
        &mut *tx,
        &NewUser {
            email,
            name,
            slug: &slug,
            role,
            password_hash: Some(&hash),
        },
    )
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.constraint() == Some("users_one_owner") => {
            Error::Conflict("there is already an Owner".into())
        }
        sqlx::Error::Database(d) if d.constraint() == Some("users_email_key") => {
            Error::invalid("email", "A staff member already uses this email.")
        }
        _ => Error::from(e),
    })?;
    if role == Role::Owner {
        // like setup: the welcome content with no author becomes the Owner's
        store::posts::give_authorless_to(&mut *tx, user.id).await?;
    }
    tx.commit().await?;
    Ok(user)
}

/// A staff member's name: at most [`limits::MAX_STAFF_NAME`] characters.
pub fn check_name(name: &str) -> Result<()> {
    if name.chars().count() > limits::MAX_STAFF_NAME {
        return Err(Error::invalid(
            "name",
            format!("Names are at most {} characters.", limits::MAX_STAFF_NAME),
        ));
    }
    Ok(())
}

/// How long a password reset link stays valid.
pub const RESET_HOURS: i32 = 72;

/// Makes a one-time password reset link for a staff member: `{site_url}/admin/reset/{token}`,
/// valid for [`RESET_HOURS`]. Only the token's hash is stored. The caller passes it on: the
/// CLI prints it, the admin shows it and e-mails it when mail is set up. A new link cancels the
/// user's earlier unused ones, so at most one works at a time.
#[tracing::instrument(skip(db, site_url))]
pub async fn reset_link(
    db: impl sqlx::PgExecutor<'_>,
    site_url: &str,
    user_id: Uuid,
) -> sqlx::Result<String> {
    let (token, hash) = auth::new_token();
    store::tokens::replace_reset(db, &hash, user_id, RESET_HOURS).await?;
    Ok(format!(
        "{}/admin/reset/{token}",
        site_url.trim_end_matches('/')
    ))
}

/// The staff member a reset link is for, while the link works (unused, unexpired).
pub async fn reset_link_user(db: &PgPool, token: &str) -> sqlx::Result<Option<StaffUser>> {
    match store::tokens::reset_user(db, &auth::token_hash(token)).await? {
        Some(id) => store::users::by_id(db, id).await,
        None => Ok(None),
    }
}

/// Sets a new password with a reset link's token: checks the password's strength and the
/// token (a reset token, unused, unexpired), hashes the password, then in one transaction
/// marks the token used, stores the hash and signs the user out everywhere. Answers the user,
/// for the caller to start a new session.
///
/// A wrong token costs one indexed look-up and no argon2 work, and tokens have 256 random
/// bits, so guessing needs no throttling of its own.
pub async fn reset_password(db: &PgPool, token: &str, password: String) -> Result<StaffUser> {
    auth::check_password_strength(&password)?;
    let token_hash = auth::token_hash(token);
    let invalid = || {
        Error::invalid(
            "token",
            "This reset link is invalid, used or expired. Ask for a new one.",
        )
    };
    let mut user = reset_link_user(db, token).await?.ok_or_else(invalid)?;
    let user_id = user.id;
    if user.status != UserStatus::Active {
        // the link stays usable for when the account is reactivated
        return Err(Error::Forbidden(Some("this account is suspended".into())));
    }
    let password_hash = auth::hash_password(password).await?;
    let mut tx = db.begin().await?;
    // checked again under the row lock: of two requests racing with one link, one wins
    if !store::tokens::use_reset(&mut *tx, &token_hash, user_id).await? {
        return Err(invalid());
    }
    store::users::set_password(&mut *tx, user_id, &password_hash).await?;
    store::sessions::delete_for_user(&mut *tx, user_id, None).await?;
    tx.commit().await?;
    tracing::info!(user = %user.email, "password reset with a reset link");
    user.password_hash = Some(password_hash);
    Ok(user)
}

/// A profile as its owner sends it: every field, empty meaning none.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    pub name: String,
    pub slug: String,
    #[serde(default)]
    pub bio: String,
    #[serde(default)]
    pub website: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub avatar_url: String,
    #[serde(default)]
    pub cover_image: String,
}

/// A bio is a line or two under the name on author pages, as in Ghost.
pub const MAX_BIO: usize = 200;
pub const MAX_LOCATION: usize = 150;

/// Checks a profile and writes it; a slug another member uses is refused on its field.
pub async fn update_profile(db: &PgPool, id: Uuid, input: ProfileInput) -> Result<StaffUser> {
    let optional = |v: String| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let name = input.name.trim().to_owned();
    if name.is_empty() {
        return Err(Error::invalid("name", "Your name is shown on your posts."));
    }
    check_name(&name)?;
    let slug = Slug::parse(input.slug.trim()).map_err(|e| Error::invalid("slug", e.to_string()))?;
    let bio = input.bio.trim().to_owned();
    if bio.chars().count() > MAX_BIO {
        return Err(Error::invalid(
            "bio",
            format!("At most {MAX_BIO} characters."),
        ));
    }
    let location = optional(input.location);
    if location
        .as_ref()
        .is_some_and(|l| l.chars().count() > MAX_LOCATION)
    {
        return Err(Error::invalid(
            "location",
            format!("At most {MAX_LOCATION} characters."),
        ));
    }
    let website = optional(input.website);
    if let Some(w) = &website
        && !url::Url::parse(w).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
    {
        return Err(Error::invalid(
            "website",
            "Use a full address such as https://example.com.",
        ));
    }
    let avatar_url = optional(input.avatar_url);
    let cover_image = optional(input.cover_image);
    for (field, value) in [("avatar_url", &avatar_url), ("cover_image", &cover_image)] {
        if let Some(v) = value {
            crate::domain::post::check_url(field, v)?;
        }
    }
    let profile = store::users::Profile {
        name,
        slug: slug.to_string(),
        bio,
        website,
        location,
        avatar_url,
        cover_image,
    };
    store::users::update_profile(db, id, &profile)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.constraint() == Some("users_slug_key") => {
                Error::invalid("slug", "Another staff member already uses this address.")
            }
            _ => Error::from(e),
        })
}
