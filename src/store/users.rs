//! Staff users and their public profiles.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgExecutor};
use uuid::Uuid;

use crate::domain::user::{Role, UserStatus};

/// What an author page shows of a staff user.
#[derive(Debug, Clone, FromRow)]
pub struct Author {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub bio: String,
    pub avatar_url: Option<String>,
    pub cover_image: Option<String>,
    pub website: Option<String>,
    pub location: Option<String>,
}

/// The author with this slug, if they are active.
pub async fn author_by_slug(db: impl PgExecutor<'_>, slug: &str) -> sqlx::Result<Option<Author>> {
    sqlx::query_as(
        r#"
        select id, slug, name, bio, avatar_url, cover_image, website, location
        from users where slug = $1 and status = 'active'
        "#,
    )
    .bind(slug)
    .fetch_optional(db)
    .await
}

/// A staff account as the admin sees it.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct StaffUser {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub slug: String,
    pub role: Role,
    pub status: UserStatus,
    pub bio: String,
    pub avatar_url: Option<String>,
    pub website: Option<String>,
    pub location: Option<String>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub password_hash: Option<String>,
}

const STAFF_COLUMNS: &str = "id, email, name, slug, role, status, bio, avatar_url, website, location, last_login_at, created_at, password_hash";

/// Whether any account exists (the first one is made by setup).
pub async fn any_exist(db: impl PgExecutor<'_>) -> sqlx::Result<bool> {
    sqlx::query_scalar("select exists (select 1 from users)")
        .fetch_one(db)
        .await
}

pub async fn by_email(db: impl PgExecutor<'_>, email: &str) -> sqlx::Result<Option<StaffUser>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {STAFF_COLUMNS} from users where lower(email) = lower($1)"
    )))
    .bind(email)
    .fetch_optional(db)
    .await
}

pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<StaffUser>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {STAFF_COLUMNS} from users where id = $1"
    )))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Every staff account, Owner first, then by name.
pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<StaffUser>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {STAFF_COLUMNS} from users order by role, lower(name)"
    )))
    .fetch_all(db)
    .await
}

/// What a new account is made of.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub slug: &'a str,
    pub role: Role,
    pub password_hash: Option<&'a str>,
}

/// Inserts an account. Fails on `users_email_key`, `users_slug_key` or, for a second Owner,
/// `users_one_owner`.
pub async fn insert(db: impl PgExecutor<'_>, user: &NewUser<'_>) -> sqlx::Result<StaffUser> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into users (email, name, slug, role, password_hash) values ($1, $2, $3, $4, $5) returning {STAFF_COLUMNS}"
    )))
    .bind(user.email)
    .bind(user.name)
    .bind(user.slug)
    .bind(user.role)
    .bind(user.password_hash)
    .fetch_one(db)
    .await
}

/// A slug for a new account's author page, free at the time of asking.
pub async fn free_slug(db: impl PgExecutor<'_>, base: &str) -> sqlx::Result<String> {
    sqlx::query_scalar(
        r#"
        select candidate from (
            select $1 as candidate, 0 as n
            union all
            select $1 || '-' || n, n from generate_series(2, 1000) n
        ) c
        where not exists (select 1 from users where slug = c.candidate)
        order by n limit 1
        "#,
    )
    .bind(base)
    .fetch_one(db)
    .await
}

pub async fn set_password(db: impl PgExecutor<'_>, id: Uuid, hash: &str) -> sqlx::Result<()> {
    sqlx::query("update users set password_hash = $2, updated_at = now() where id = $1")
        .bind(id)
        .bind(hash)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn touch_login(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("update users set last_login_at = now() where id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Changes role and status of an account.
pub async fn update_access(
    db: impl PgExecutor<'_>,
    id: Uuid,
    role: Role,
    status: UserStatus,
) -> sqlx::Result<StaffUser> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update users set role = $2, status = $3, updated_at = now() where id = $1 returning {STAFF_COLUMNS}"
    )))
    .bind(id)
    .bind(role)
    .bind(status)
    .fetch_one(db)
    .await
}
