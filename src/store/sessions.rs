//! Sign-in sessions, shared by every replica.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::user::{Role, UserStatus};
use crate::store::users::StaffUser;

/// A live session with its user.
#[derive(Debug, Clone)]
pub struct Session {
    pub token_hash: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub user: StaffUser,
}

pub async fn create(
    db: impl PgExecutor<'_>,
    token_hash: &str,
    user_id: Uuid,
    csrf_token: &str,
    user_agent: Option<&str>,
    ip: Option<IpAddr>,
    ttl_days: i32,
) -> sqlx::Result<DateTime<Utc>> {
    sqlx::query_scalar!(
        r#"
        insert into sessions (token_hash, user_id, csrf_token, user_agent, ip, expires_at)
        values ($1, $2, $3, $4, $5::text::inet, now() + make_interval(days => $6))
        returning expires_at
        "#,
        token_hash,
        user_id,
        csrf_token,
        user_agent,
        ip.map(|ip| ip.to_string()),
        ttl_days,
    )
    .fetch_one(db)
    .await
}

/// The unexpired session of an active user with this token hash.
pub async fn find(db: impl PgExecutor<'_>, token_hash: &str) -> sqlx::Result<Option<Session>> {
    let row = sqlx::query!(
        r#"
        select s.token_hash, s.csrf_token, s.expires_at,
               u.id, u.email, u.name, u.slug, u.role as "role: Role",
               u.status as "status: UserStatus", u.bio, u.avatar_url, u.cover_image, u.website,
               u.location, u.last_login_at, u.created_at, u.password_hash
        from sessions s join users u on u.id = s.user_id
        where s.token_hash = $1 and s.expires_at > now() and u.status = 'active'
        "#,
        token_hash,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| Session {
        token_hash: r.token_hash,
        csrf_token: r.csrf_token,
        expires_at: r.expires_at,
        user: StaffUser {
            id: r.id,
            email: r.email,
            name: r.name,
            slug: r.slug,
            role: r.role,
            status: r.status,
            bio: r.bio,
            avatar_url: r.avatar_url,
            cover_image: r.cover_image,
            website: r.website,
            location: r.location,
            last_login_at: r.last_login_at,
            created_at: r.created_at,
            password_hash: r.password_hash,
        },
    }))
}

pub async fn delete(db: impl PgExecutor<'_>, token_hash: &str) -> sqlx::Result<()> {
    sqlx::query!("delete from sessions where token_hash = $1", token_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Signs a user out everywhere except, optionally, one session.
pub async fn delete_for_user(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    keep: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "delete from sessions where user_id = $1 and token_hash is distinct from $2",
        user_id,
        keep,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Removes expired sessions; any replica may run it.
pub async fn delete_expired(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    Ok(
        sqlx::query!("delete from sessions where expires_at <= now()")
            .execute(db)
            .await?
            .rows_affected(),
    )
}
