//! The site's ActivityPub key pair, kept in PostgreSQL.

use sqlx::PgPool;

use crate::domain::activitypub::{KeyPair, generate_key_pair};

/// The site's key pair, made the first time any replica asks: replicas that ask at once
/// each make one, and the first stored is everyone's.
pub async fn key_pair(db: &PgPool) -> anyhow::Result<KeyPair> {
    const READ: &str = "select private_key_pem, public_key_pem from activitypub_key";
    if let Some(pair) = sqlx::query_as(READ).fetch_optional(db).await? {
        return Ok(pair);
    }
    let made = tokio::task::spawn_blocking(generate_key_pair).await??;
    sqlx::query(
        "insert into activitypub_key (private_key_pem, public_key_pem) values ($1, $2) \
         on conflict (id) do nothing",
    )
    .bind(&made.private_key_pem)
    .bind(&made.public_key_pem)
    .execute(db)
    .await?;
    Ok(sqlx::query_as(READ).fetch_one(db).await?)
}
