//! What `quire import` writes, in bulk and in one transaction: posts by slug with the hash of
//! their source, their tag and author links and revisions, staff and tags matched to the
//! bundle's, the media library, redirects and settings.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::post::{PostStatus, PostType};
use crate::domain::user::Role;

/// The source hash each of these slugs was last imported with (`None` for posts written
/// otherwise), leaving out the posts `except`.
pub async fn source_hashes(
    db: impl PgExecutor<'_>,
    slugs: &[String],
    except: &[Uuid],
) -> sqlx::Result<Vec<(String, Option<String>)>> {
    let rows = sqlx::query!(
        "select slug, source_hash from posts where slug = any($1) and id <> all($2)",
        slugs,
        except,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.slug, r.source_hash)).collect())
}

/// The slugs of the posts with these ids.
pub async fn slugs_by_id(
    db: impl PgExecutor<'_>,
    ids: &[Uuid],
) -> sqlx::Result<Vec<(Uuid, String)>> {
    let rows = sqlx::query!("select id, slug from posts where id = any($1)", ids)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.slug)).collect())
}

/// Deletes the welcome content `ids` where it is still at its first version; answers how many
/// went.
pub async fn delete_untouched(tx: &mut PgConnection, ids: &[Uuid]) -> sqlx::Result<u64> {
    sqlx::query!("delete from posts where id = any($1) and version = 1", ids)
        .execute(tx)
        .await
        .map(|r| r.rows_affected())
}

/// Deletes the tag `slug` when no post has it.
pub async fn delete_tag_if_unused(tx: &mut PgConnection, slug: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "delete from tags t where slug = $1 and not exists (select 1 from posts_tags pt where pt.tag_id = t.id)",
        slug,
    )
    .execute(tx)
    .await
    .map(drop)
}

/// Takes the About page out of the seeded navigation, if the menu is still the seeded one.
pub async fn drop_about_from_seeded_navigation(tx: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query!(
        r#"update settings set value = '[{"label": "Home", "url": "/"}]'
           where key = 'navigation'
             and value = '[{"label": "Home", "url": "/"}, {"label": "About", "url": "/about/"}]'::jsonb"#
    )
    .execute(tx)
    .await
    .map(drop)
}

/// The storage keys of the images already stored with these SHA-256 hashes.
pub async fn keys_by_hash(
    db: impl PgExecutor<'_>,
    hashes: &[String],
) -> sqlx::Result<Vec<(String, String)>> {
    let rows = sqlx::query!(
        "select sha256, storage_key from media where sha256 = any($1)",
        hashes
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.sha256, r.storage_key))
        .collect())
}

/// An image of an export's media library, as columns (one entry per image).
#[derive(Debug, Default)]
pub struct LibraryColumns {
    pub keys: Vec<String>,
    pub hashes: Vec<String>,
    pub types: Vec<String>,
    pub bytes: Vec<i64>,
    pub widths: Vec<Option<i32>>,
    pub heights: Vec<Option<i32>>,
    pub variants: Vec<serde_json::Value>,
    pub alts: Vec<Option<String>>,
    pub created: Vec<Option<DateTime<Utc>>>,
}

/// Re-creates the rows of a media library whose objects are in the storage; images the site
/// has already (same key or same content) are left alone. Answers how many rows were added.
pub async fn link_library(tx: &mut PgConnection, m: &LibraryColumns) -> sqlx::Result<u64> {
    sqlx::query!(
        r#"insert into media (storage_key, sha256, content_type, bytes, width, height, variants, alt, created_at)
           select k, s, c, b, w, h, v, a, coalesce(t, now())
           from unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::int[], $6::int[],
                       $7::jsonb[], $8::text[], $9::timestamptz[]) as x(k, s, c, b, w, h, v, a, t)
           on conflict do nothing"#,
        &m.keys,
        &m.hashes,
        &m.types,
        &m.bytes,
        &m.widths as &[Option<i32>],
        &m.heights as &[Option<i32>],
        &m.variants,
        &m.alts as &[Option<String>],
        &m.created as &[Option<DateTime<Utc>>],
    )
    .execute(tx)
    .await
    .map(|r| r.rows_affected())
}

/// Adds an image the import uploaded, unless one with its key or content is there.
pub async fn add_uploaded(
    tx: &mut PgConnection,
    m: &crate::domain::image::StoredImage,
) -> sqlx::Result<u64> {
    sqlx::query!(
        r#"insert into media (storage_key, sha256, content_type, bytes, width, height, variants)
           values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing"#,
        m.key,
        m.sha256,
        m.content_type,
        m.bytes,
        i32::try_from(m.width).unwrap_or(i32::MAX),
        i32::try_from(m.height).unwrap_or(i32::MAX),
        sqlx::types::Json(&m.variants) as _,
    )
    .execute(tx)
    .await
    .map(|r| r.rows_affected())
}

/// One post as the import writes it: a value of the database's `imported_post` type, whose
/// fields it lists in the same order.
#[derive(Debug, sqlx::Encode)]
pub struct ImportedPost<'a> {
    /// The id to give a new post (an export's), else a new one.
    pub id: Option<Uuid>,
    pub slug: &'a str,
    pub kind: PostType,
    pub status: PostStatus,
    pub title: &'a str,
    pub markdown: &'a str,
    pub html: &'a str,
    pub excerpt: &'a str,
    pub word_count: i32,
    pub reading_time: i32,
    pub custom_excerpt: Option<&'a str>,
    pub feature_image: Option<&'a str>,
    pub feature_image_alt: Option<&'a str>,
    pub feature_image_caption: Option<&'a str>,
    pub featured: bool,
    pub meta_title: Option<&'a str>,
    pub meta_description: Option<&'a str>,
    pub canonical_url: Option<&'a str>,
    pub codeinjection_head: Option<&'a str>,
    pub codeinjection_foot: Option<&'a str>,
    pub published_at: Option<DateTime<Utc>>,
    /// `None`: now for a new post, unchanged for an existing one.
    pub created_at: Option<DateTime<Utc>>,
    /// `None`: its publication or creation time for a new post, now for an existing one.
    pub updated_at: Option<DateTime<Utc>>,
    pub source_hash: &'a str,
    pub created_by: Uuid,
    pub feed_guid: Option<&'a str>,
}

// `derive(sqlx::Type)` takes no lifetimes: the two impls it would write
impl sqlx::Type<sqlx::Postgres> for ImportedPost<'_> {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        sqlx::postgres::PgTypeInfo::with_name("imported_post")
    }
}

impl sqlx::postgres::PgHasArrayType for ImportedPost<'_> {
    fn array_type_info() -> sqlx::postgres::PgTypeInfo {
        sqlx::postgres::PgTypeInfo::array_of("imported_post")
    }
}

/// Creates these posts at version 1; answers each one's (slug, id).
pub async fn create_posts(
    tx: &mut PgConnection,
    rows: &[ImportedPost<'_>],
) -> sqlx::Result<Vec<(String, Uuid)>> {
    let created = sqlx::query!(
        r#"insert into posts (id, slug, type, status, title, markdown, html, excerpt, word_count,
               reading_time, custom_excerpt, feature_image, feature_image_alt,
               feature_image_caption, featured, meta_title, meta_description, canonical_url,
               codeinjection_head, codeinjection_foot, published_at, created_at, updated_at,
               source_hash, feed_guid, version, created_by)
           select coalesce(t.id, gen_random_uuid()), t.slug, t.type, t.status, t.title,
               t.markdown, t.html, t.excerpt, t.word_count, t.reading_time, t.custom_excerpt,
               t.feature_image, t.feature_image_alt, t.feature_image_caption, t.featured,
               t.meta_title, t.meta_description, t.canonical_url, t.codeinjection_head,
               t.codeinjection_foot, t.published_at, coalesce(t.created_at, now()),
               coalesce(t.updated_at, t.published_at, t.created_at, now()), t.source_hash,
               t.feed_guid, 1, t.created_by
           from unnest($1::imported_post[]) t
           returning slug, id"#,
        rows as _,
    )
    .fetch_all(tx)
    .await?;
    Ok(created.into_iter().map(|r| (r.slug, r.id)).collect())
}

/// Updates the posts with these slugs, each to its next version (the creation time stays
/// unless the source gives one); answers each one's (slug, id, version).
pub async fn update_posts(
    tx: &mut PgConnection,
    rows: &[ImportedPost<'_>],
) -> sqlx::Result<Vec<(String, Uuid, i32)>> {
    let updated = sqlx::query!(
        r#"update posts p set (id, slug, type, status, title, markdown, html, excerpt,
               word_count, reading_time, custom_excerpt, feature_image, feature_image_alt,
               feature_image_caption, featured, meta_title, meta_description, canonical_url,
               codeinjection_head, codeinjection_foot, published_at, created_at, updated_at,
               source_hash, feed_guid, version)
           = (coalesce(t.id, p.id), t.slug, t.type, t.status, t.title, t.markdown, t.html,
               t.excerpt, t.word_count, t.reading_time, t.custom_excerpt, t.feature_image,
               t.feature_image_alt, t.feature_image_caption, t.featured, t.meta_title,
               t.meta_description, t.canonical_url, t.codeinjection_head, t.codeinjection_foot,
               t.published_at, coalesce(t.created_at, p.created_at), coalesce(t.updated_at, now()),
               t.source_hash, coalesce(t.feed_guid, p.feed_guid), p.version + 1)
           from unnest($1::imported_post[]) t
           where p.slug = t.slug
           returning p.slug, p.id, p.version"#,
        rows as _,
    )
    .fetch_all(tx)
    .await?;
    Ok(updated
        .into_iter()
        .map(|r| (r.slug, r.id, r.version))
        .collect())
}

/// Links in order: (post, tag or author, position).
#[derive(Debug, Default)]
pub struct OrderedLinks {
    pub posts: Vec<Uuid>,
    pub targets: Vec<Uuid>,
    pub positions: Vec<i32>,
}

impl OrderedLinks {
    pub fn push(&mut self, post: Uuid, target: Uuid, position: i32) {
        self.posts.push(post);
        self.targets.push(target);
        self.positions.push(position);
    }
}

/// Replaces the tags and authors of the posts `ids`.
pub async fn replace_links(
    tx: &mut PgConnection,
    ids: &[Uuid],
    tags: &OrderedLinks,
    authors: &OrderedLinks,
) -> sqlx::Result<()> {
    sqlx::query!("delete from posts_tags where post_id = any($1)", ids)
        .execute(&mut *tx)
        .await?;
    sqlx::query!("delete from posts_authors where post_id = any($1)", ids)
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        "insert into posts_tags (post_id, tag_id, sort_order) select * from unnest($1::uuid[], $2::uuid[], $3::int[])",
        &tags.posts,
        &tags.targets,
        &tags.positions,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "insert into posts_authors (post_id, author_id, sort_order) select * from unnest($1::uuid[], $2::uuid[], $3::int[])",
        &authors.posts,
        &authors.targets,
        &authors.positions,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Records a revision of each imported post (reason `import`), then keeps only the last
/// `kept` of each, as the editor does.
pub async fn add_revisions(
    tx: &mut PgConnection,
    ids: &[Uuid],
    versions: &[i32],
    titles: &[&str],
    markdown: &[&str],
    authors: &[Uuid],
    kept: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"insert into revisions (post_id, version, title, markdown, author_id, reason)
           select p, v, t, m, a, 'import'
           from unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::uuid[]) as x(p, v, t, m, a)"#,
        ids,
        versions,
        titles as &[&str],
        markdown as &[&str],
        authors,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        r#"delete from revisions r using (
               select id, row_number() over (partition by post_id order by id desc) as n
               from revisions where post_id = any($1)
           ) old
           where r.id = old.id and old.n > $2"#,
        ids,
        kept,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Stores redirects `from[i]` → `to[i]`, each owned by the post at `to[i]` when there is one;
/// answers how many were added or changed.
pub async fn upsert_redirects(
    tx: &mut PgConnection,
    from: &[String],
    to: &[String],
) -> sqlx::Result<u64> {
    sqlx::query!(
        // each redirect belongs to the post it leads to, and goes with it
        r#"insert into redirects (from_path, to_path, post_id)
           select distinct on (f) f, t,
                  (select p.id from posts p
                   where p.slug = substr(t, 2, greatest(length(t) - 2, 0)) and '/' || p.slug || '/' = t)
           from unnest($1::text[], $2::text[]) as x(f, t)
           on conflict (from_path) do update
           set to_path = excluded.to_path, post_id = excluded.post_id
           where (redirects.to_path, redirects.post_id)
                 is distinct from (excluded.to_path, excluded.post_id)"#,
        from,
        to,
    )
    .execute(tx)
    .await
    .map(|r| r.rows_affected())
}

/// Sets a setting unless it has that value already; answers whether it changed.
pub async fn upsert_setting(
    tx: &mut PgConnection,
    key: &str,
    value: &serde_json::Value,
) -> sqlx::Result<u64> {
    sqlx::query!(
        r#"insert into settings (key, value) values ($1, $2)
           on conflict (key) do update set value = excluded.value, updated_at = now()
           where settings.value is distinct from excluded.value"#,
        key,
        value,
    )
    .execute(tx)
    .await
    .map(|r| r.rows_affected())
}

/// A staff member as the import matches people.
#[derive(Debug)]
pub struct Person {
    pub id: Uuid,
    pub email: String,
    pub slug: String,
    pub name: String,
    pub role: Role,
}

/// Every staff member, oldest first.
pub async fn people(tx: &mut PgConnection) -> sqlx::Result<Vec<Person>> {
    sqlx::query_as!(
        Person,
        r#"select id, email, slug, name, role as "role: Role" from users order by created_at, id"#
    )
    .fetch_all(tx)
    .await
}

/// A staff profile as a bundle describes it; `None` keeps what the account has.
#[derive(Debug, Clone, Copy)]
pub struct Profile<'a> {
    pub name: &'a str,
    pub bio: Option<&'a str>,
    pub avatar_url: Option<&'a str>,
    pub cover_image: Option<&'a str>,
    pub website: Option<&'a str>,
    pub location: Option<&'a str>,
}

/// Updates a staff member's profile; answers whether anything changed.
pub async fn update_profile(tx: &mut PgConnection, id: Uuid, p: Profile<'_>) -> sqlx::Result<u64> {
    sqlx::query!(
        r#"update users set name = $2, bio = coalesce($3, bio),
                  avatar_url = coalesce($4, avatar_url), cover_image = coalesce($5, cover_image),
                  website = coalesce($6, website), location = coalesce($7, location),
                  updated_at = now()
           where id = $1
             and (name, bio, avatar_url, cover_image, website, location) is distinct from
                 ($2, coalesce($3, bio), coalesce($4, avatar_url), coalesce($5, cover_image),
                  coalesce($6, website), coalesce($7, location))"#,
        id,
        p.name,
        p.bio,
        p.avatar_url,
        p.cover_image,
        p.website,
        p.location,
    )
    .execute(tx)
    .await
    .map(|r| r.rows_affected())
}

/// Creates a staff account without a password; answers its id.
pub async fn create_person(
    tx: &mut PgConnection,
    email: &str,
    slug: &str,
    role: Role,
    p: Profile<'_>,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        r#"insert into users (email, name, slug, role, bio, avatar_url, cover_image, website, location)
           values ($1, $2, $3, $4, coalesce($5, ''), $6, $7, $8, $9) returning id"#,
        email,
        p.name,
        slug,
        role as Role,
        p.bio,
        p.avatar_url,
        p.cover_image,
        p.website,
        p.location,
    )
    .fetch_one(tx)
    .await
}

/// A tag as the import matches them.
#[derive(Debug)]
pub struct TagName {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
}

/// Every tag.
pub async fn tags(tx: &mut PgConnection) -> sqlx::Result<Vec<TagName>> {
    sqlx::query_as!(TagName, "select id, slug, name from tags")
        .fetch_all(tx)
        .await
}

/// A tag as a bundle describes it; `None` keeps what the tag has.
#[derive(Debug, Clone, Copy)]
pub struct TagDetails<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub feature_image: Option<&'a str>,
    pub meta_title: Option<&'a str>,
    pub meta_description: Option<&'a str>,
    pub accent_color: Option<&'a str>,
    pub visibility: &'a str,
}

/// Updates a tag's details; answers whether anything changed.
pub async fn update_tag(tx: &mut PgConnection, id: Uuid, t: TagDetails<'_>) -> sqlx::Result<u64> {
    sqlx::query!(
        r#"update tags set name = $2, description = coalesce($3, description),
                  feature_image = coalesce($4, feature_image), meta_title = coalesce($5, meta_title),
                  meta_description = coalesce($6, meta_description),
                  accent_color = coalesce($7, accent_color), visibility = $8, updated_at = now()
           where id = $1
             and (name, description, feature_image, meta_title, meta_description, accent_color, visibility)
                 is distinct from
                 ($2, coalesce($3, description), coalesce($4, feature_image), coalesce($5, meta_title),
                  coalesce($6, meta_description), coalesce($7, accent_color), $8)"#,
        id,
        t.name,
        t.description,
        t.feature_image,
        t.meta_title,
        t.meta_description,
        t.accent_color,
        t.visibility,
    )
    .execute(tx)
    .await
    .map(|r| r.rows_affected())
}

/// Creates a tag; answers its id.
pub async fn create_tag(
    tx: &mut PgConnection,
    slug: &str,
    t: TagDetails<'_>,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        r#"insert into tags (slug, name, description, feature_image, visibility, meta_title,
                             meta_description, accent_color)
           values ($1, $2, coalesce($3, ''), $4, $5, $6, $7, $8) returning id"#,
        slug,
        t.name,
        t.description,
        t.feature_image,
        t.visibility,
        t.meta_title,
        t.meta_description,
        t.accent_color,
    )
    .fetch_one(tx)
    .await
}
