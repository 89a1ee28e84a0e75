//! Tags.

use sqlx::{FromRow, PgExecutor};
use uuid::Uuid;

/// A public tag, as its archive page shows it.
#[derive(Debug, Clone, FromRow)]
pub struct Tag {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub feature_image: Option<String>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
}

/// The public tag with this slug; internal tags have no page.
pub async fn public_by_slug(db: impl PgExecutor<'_>, slug: &str) -> sqlx::Result<Option<Tag>> {
    sqlx::query_as(
        r#"
        select id, slug, name, description, feature_image, meta_title, meta_description
        from tags where slug = $1 and visibility = 'public'
        "#,
    )
    .bind(slug)
    .fetch_optional(db)
    .await
}
