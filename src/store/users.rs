//! Staff users and their public profiles.

use sqlx::{FromRow, PgExecutor};
use uuid::Uuid;

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
