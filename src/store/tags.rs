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
    sqlx::query_as!(
        Tag,
        r#"
        select id, slug, name, description, feature_image, meta_title, meta_description
        from tags where slug = $1 and visibility = 'public'
        "#,
        slug
    )
    .fetch_optional(db)
    .await
}

/// A tag as the admin manages it.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct AdminTag {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub visibility: String,
    pub feature_image: Option<String>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub post_count: i64,
}

pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<AdminTag>> {
    sqlx::query_as!(
        AdminTag,
        r#"select t.id, t.slug, t.name, t.description, t.visibility, t.feature_image, t.meta_title,
                  t.meta_description,
                  (select count(*) from posts_tags pt where pt.tag_id = t.id) as "post_count!"
           from tags t order by lower(t.name)"#
    )
    .fetch_all(db)
    .await
}

pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<AdminTag>> {
    sqlx::query_as!(
        AdminTag,
        r#"select t.id, t.slug, t.name, t.description, t.visibility, t.feature_image, t.meta_title,
                  t.meta_description,
                  (select count(*) from posts_tags pt where pt.tag_id = t.id) as "post_count!"
           from tags t where t.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// Ids of the tags with these names (case-insensitive), in order; unknown names come back in
/// the second list.
pub async fn ids_by_names(
    db: impl PgExecutor<'_>,
    names: &[String],
) -> sqlx::Result<Vec<(String, Option<Uuid>)>> {
    let rows = sqlx::query!(
        r#"select n as "name!", (select id from tags where lower(name) = lower(n) order by created_at limit 1)
           from unnest($1::text[]) with ordinality as x(n, o) order by o"#,
        names
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.name, r.id)).collect())
}

/// Creates a tag; answers its id.
pub async fn insert(
    db: impl PgExecutor<'_>,
    slug: &str,
    name: &str,
    description: &str,
    visibility: &str,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "insert into tags (slug, name, description, visibility) values ($1, $2, $3, $4) returning id",
        slug,
        name,
        description,
        visibility
    )
    .fetch_one(db)
    .await
}

pub async fn update(
    db: impl PgExecutor<'_>,
    id: Uuid,
    slug: &str,
    name: &str,
    description: &str,
) -> sqlx::Result<bool> {
    let visibility = crate::domain::tag::TagVisibility::of(name).as_str();
    Ok(sqlx::query!(
        "update tags set slug = $2, name = $3, description = $4, visibility = $5, updated_at = now() where id = $1",
        id,
        slug,
        name,
        description,
        visibility
    )
    .execute(db)
    .await?
    .rows_affected()
        > 0)
}

pub async fn delete(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    Ok(sqlx::query!("delete from tags where id = $1", id)
        .execute(db)
        .await?
        .rows_affected()
        > 0)
}

/// `base`, or `base-2`, ... whichever no tag uses.
pub async fn free_slug(db: impl PgExecutor<'_>, base: &str) -> sqlx::Result<String> {
    sqlx::query_scalar!(
        r#"select candidate as "candidate!" from (select $1::text as candidate, 0 as n
                                  union all select $1 || '-' || n, n from generate_series(2, 10000) n) c
           where not exists (select 1 from tags where slug = c.candidate) order by n limit 1"#,
        base
    )
    .fetch_one(db)
    .await
}
