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
    sqlx::query_as!(
        Author,
        r#"
        select id, slug, name, bio, avatar_url, cover_image, website, location
        from users where slug = $1 and status = 'active'
        "#,
        slug
    )
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
    pub cover_image: Option<String>,
    pub website: Option<String>,
    pub location: Option<String>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub password_hash: Option<String>,
}

/// Whether any account exists (the first one is made by setup).
pub async fn any_exist(db: impl PgExecutor<'_>) -> sqlx::Result<bool> {
    sqlx::query_scalar!(r#"select exists (select 1 from users) as "exists!""#)
        .fetch_one(db)
        .await
}

pub async fn by_email(db: impl PgExecutor<'_>, email: &str) -> sqlx::Result<Option<StaffUser>> {
    sqlx::query_as!(
        StaffUser,
        r#"select id, email, name, slug, role as "role: Role", status as "status: UserStatus", bio,
                  avatar_url, cover_image, website, location, last_login_at, created_at, password_hash
           from users where lower(email) = lower($1)"#,
        email
    )
    .fetch_optional(db)
    .await
}

pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<StaffUser>> {
    sqlx::query_as!(
        StaffUser,
        r#"select id, email, name, slug, role as "role: Role", status as "status: UserStatus", bio,
                  avatar_url, cover_image, website, location, last_login_at, created_at, password_hash
           from users where id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// Whom posts written through an integration belong to: the Owner, as in Ghost, or, on a site
/// whose Owner is gone, its longest-standing active Administrator.
pub async fn integration_author(db: impl PgExecutor<'_>) -> sqlx::Result<Option<StaffUser>> {
    sqlx::query_as!(
        StaffUser,
        r#"select id, email, name, slug, role as "role: Role", status as "status: UserStatus", bio,
                  avatar_url, cover_image, website, location, last_login_at, created_at, password_hash
           from users where role in ('owner', 'administrator') and status = 'active'
           order by role = 'owner' desc, created_at limit 1"#
    )
    .fetch_optional(db)
    .await
}

/// Every staff account, Owner first, then by name.
pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<StaffUser>> {
    sqlx::query_as!(
        StaffUser,
        r#"select id, email, name, slug, role as "role: Role", status as "status: UserStatus", bio,
                  avatar_url, cover_image, website, location, last_login_at, created_at, password_hash
           from users order by role, lower(name)"#
    )
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
    sqlx::query_as!(
        StaffUser,
        r#"insert into users (email, name, slug, role, password_hash) values ($1, $2, $3, $4, $5)
           returning id, email, name, slug, role as "role: Role", status as "status: UserStatus", bio,
                  avatar_url, cover_image, website, location, last_login_at, created_at, password_hash"#,
        user.email,
        user.name,
        user.slug,
        user.role as Role,
        user.password_hash,
    )
    .fetch_one(db)
    .await
}

/// A slug for a new account's author page, free at the time of asking.
pub async fn free_slug(db: impl PgExecutor<'_>, base: &str) -> sqlx::Result<String> {
    sqlx::query_scalar!(
        r#"
        select candidate as "candidate!" from (
            select $1::text as candidate, 0 as n
            union all
            select $1 || '-' || n, n from generate_series(2, 1000) n
        ) c
        where not exists (select 1 from users where slug = c.candidate)
        order by n limit 1
        "#,
        base
    )
    .fetch_one(db)
    .await
}

pub async fn set_password(db: impl PgExecutor<'_>, id: Uuid, hash: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "update users set password_hash = $2, updated_at = now() where id = $1",
        id,
        hash
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn touch_login(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!("update users set last_login_at = now() where id = $1", id)
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
    sqlx::query_as!(
        StaffUser,
        r#"update users set role = $2, status = $3, updated_at = now() where id = $1
           returning id, email, name, slug, role as "role: Role", status as "status: UserStatus", bio,
                  avatar_url, cover_image, website, location, last_login_at, created_at, password_hash"#,
        id,
        role as Role,
        status as UserStatus,
    )
    .fetch_one(db)
    .await
}

/// What a staff member edits of their own public profile.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub slug: String,
    pub bio: String,
    pub website: Option<String>,
    pub location: Option<String>,
    pub avatar_url: Option<String>,
    pub cover_image: Option<String>,
}

/// Writes a staff member's public profile; author pages on every replica follow (the users
/// table's trigger announces the change).
pub async fn update_profile(
    db: impl PgExecutor<'_>,
    id: Uuid,
    p: &Profile,
) -> sqlx::Result<StaffUser> {
    sqlx::query_as!(
        StaffUser,
        r#"update users set name = $2, slug = $3, bio = $4, website = $5, location = $6,
                  avatar_url = $7, cover_image = $8, updated_at = now()
           where id = $1
           returning id, email, name, slug, role as "role: Role", status as "status: UserStatus", bio,
                  avatar_url, cover_image, website, location, last_login_at, created_at, password_hash"#,
        id,
        p.name,
        p.slug,
        p.bio,
        p.website,
        p.location,
        p.avatar_url,
        p.cover_image,
    )
    .fetch_one(db)
    .await
}
