//! One-time links for staff: invitations (an email and a role, no account yet) and password
//! resets (for an account). Only a token's hash is stored.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::user::Role;

/// Stores an invitation for `email` as `role`, valid for `days`; answers when it expires.
pub async fn create_invitation(
    db: impl PgExecutor<'_>,
    token_hash: &str,
    email: &str,
    role: Role,
    created_by: Uuid,
    days: i32,
) -> sqlx::Result<DateTime<Utc>> {
    sqlx::query_scalar!(
        r#"insert into user_tokens (token_hash, kind, email, role, created_by, expires_at)
           values ($1, 'invite', $2, $3, $4, now() + make_interval(days => $5))
           returning expires_at"#,
        token_hash,
        email,
        role as Role,
        created_by,
        days,
    )
    .fetch_one(db)
    .await
}

/// Uses up a working invitation (unused, unexpired): answers its email and role, or `None`
/// when there is no such invitation. Of two requests racing with one link, one wins.
pub async fn use_invitation(
    db: impl PgExecutor<'_>,
    token_hash: &str,
) -> sqlx::Result<Option<(String, Role)>> {
    let row = sqlx::query!(
        r#"update user_tokens set used_at = now()
           where token_hash = $1 and kind = 'invite' and used_at is null and expires_at > now()
           returning email as "email!", role as "role!: Role""#,
        token_hash,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.email, r.role)))
}

/// Stores a reset link for `user_id`, valid for `hours`, and cancels the user's earlier
/// unused ones, so that at most one works at a time.
pub async fn replace_reset(
    db: impl PgExecutor<'_>,
    token_hash: &str,
    user_id: Uuid,
    hours: i32,
) -> sqlx::Result<()> {
    // both statements see the same snapshot: the delete cannot touch the row being inserted
    sqlx::query!(
        r#"with superseded as (
               delete from user_tokens where kind = 'reset' and user_id = $2 and used_at is null
           )
           insert into user_tokens (token_hash, kind, user_id, expires_at)
           values ($1, 'reset', $2, now() + make_interval(hours => $3))"#,
        token_hash,
        user_id,
        hours,
    )
    .execute(db)
    .await
    .map(drop)
}

/// The account a working reset link (unused, unexpired) is for.
pub async fn reset_user(db: impl PgExecutor<'_>, token_hash: &str) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        r#"select user_id as "user_id!" from user_tokens
           where token_hash = $1 and kind = 'reset' and user_id is not null
             and used_at is null and expires_at > now()"#,
        token_hash,
    )
    .fetch_optional(db)
    .await
}

/// Uses up a working reset link of `user_id`; `false` when it no longer works (checked under
/// the row lock: of two requests racing with one link, one wins).
pub async fn use_reset(
    db: impl PgExecutor<'_>,
    token_hash: &str,
    user_id: Uuid,
) -> sqlx::Result<bool> {
    let used = sqlx::query_scalar!(
        r#"update user_tokens set used_at = now()
           where token_hash = $1 and kind = 'reset' and user_id = $2
             and used_at is null and expires_at > now()
           returning user_id"#,
        token_hash,
        user_id,
    )
    .fetch_optional(db)
    .await?;
    Ok(used.is_some())
}

/// An invitation not yet accepted, as the staff page lists it. Its id is the token's hash:
/// it names the invitation without being able to accept it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PendingInvitation {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub invited_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Invitations that still work (unused, unexpired), newest first.
pub async fn pending_invitations(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<PendingInvitation>> {
    sqlx::query_as!(
        PendingInvitation,
        r#"select t.token_hash as id, t.email as "email!", t.role as "role!: Role",
                  u.name as "invited_by?", t.created_at, t.expires_at
           from user_tokens t left join users u on u.id = t.created_by
           where t.kind = 'invite' and t.used_at is null and t.expires_at > now()
           order by t.created_at desc"#
    )
    .fetch_all(db)
    .await
}

/// Revokes a pending invitation whose role `may_revoke` allows: its link stops working at
/// once. Answers the role it was for, or `None` when there is no such invitation.
pub async fn revoke_invitation(
    db: impl PgExecutor<'_>,
    id: &str,
    may_revoke: &[Role],
) -> sqlx::Result<Option<Role>> {
    sqlx::query_scalar!(
        r#"delete from user_tokens
           where token_hash = $1 and kind = 'invite' and used_at is null and role = any($2)
           returning role as "role!: Role""#,
        id,
        may_revoke as &[Role],
    )
    .fetch_optional(db)
    .await
}
