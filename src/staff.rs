//! Creating staff accounts, shared by the admin API and `quire user create`.

use sqlx::PgPool;

use crate::auth;
use crate::domain::slug::Slug;
use crate::domain::user::Role;
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
        sqlx::query(
            "insert into posts_authors (post_id, author_id) select id, $1 from posts p \
             where not exists (select 1 from posts_authors pa where pa.post_id = p.id)",
        )
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(user)
}
