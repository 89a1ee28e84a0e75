//! Writing posts: the one path every writer takes (the admin API now, the importer later).
//!
//! Each write validates its input, renders the Markdown, and commits the post, its tags, its
//! authors and a revision in one transaction. The commit itself notifies every replica (see
//! `watcher`), so nothing here touches a cache. Updates are optimistic: they carry the
//! version they were based on, and a stale one is refused with 409, its content kept as a
//! revision so neither edit is lost.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use crate::domain::limits;
use crate::domain::post::{self as rules, PostStatus, PostType, TextField};
use crate::domain::post::{ScheduleError, settle_status};
use crate::domain::revision::RevisionFields;
use crate::domain::slug::Slug;
use crate::domain::tag::{TagVisibility, tag_slug};
use crate::domain::user::Role;
use crate::error::{Error, Result, ResultExt};
use crate::media::Storage;
use crate::render::markdown;
use crate::store;
use crate::store::admin_posts::{AdminPost, NewRevision, PostFields, Revision};
use crate::store::tags::AdminTag;
use crate::store::users::StaffUser;

pub use crate::domain::limits::MAX_MARKDOWN;

/// A create or update request. On update, an absent field keeps its value; an empty string
/// clears an optional one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostInput {
    pub title: Option<String>,
    pub markdown: Option<String>,
    pub slug: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<PostType>,
    pub status: Option<PostStatus>,
    #[serde(default, deserialize_with = "present")]
    pub published_at: Option<Option<DateTime<Utc>>>,
    pub tags: Option<Vec<String>>,
    pub excerpt: Option<String>,
    pub feature_image: Option<String>,
    pub feature_image_alt: Option<String>,
    pub feature_image_caption: Option<String>,
    pub featured: Option<bool>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_url: Option<String>,
    pub codeinjection_head: Option<String>,
    pub codeinjection_foot: Option<String>,
    /// The version an update is based on (on update, this or `updated_at` is required).
    pub version: Option<i32>,
    /// The `updated_at` an update is based on, to the millisecond: how Ghost's Admin API
    /// detects a collision. Not part of the admin JSON API's input.
    #[serde(skip)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// Tells `"published_at": null` (clear it) from an absent field (keep it).
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Option<T>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

/// Creates a post or page written by `user`.
pub async fn create(
    conn: &mut PgConnection,
    media: &Storage,
    user: &StaffUser,
    input: PostInput,
) -> Result<AdminPost> {
    let now = Utc::now();
    let title = clean_title(input.title.as_deref())?;
    let markdown = input.markdown.clone().unwrap_or_default();
    rules::check_markdown(&markdown)?;
    let kind = input.kind.unwrap_or(PostType::Post);
    let (status, published_at) = normalise_status(
        input.status.unwrap_or(PostStatus::Draft),
        check_date("published_at", input.published_at.flatten())?,
        now,
    )?;
    check_may_set_status(user.role, status)?;

    let mut tx = sqlx::Connection::begin(conn).await?;
    let slug = match input
        .slug
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(slug) => Slug::parse_top_level(slug)
            .map_err(|e| Error::invalid("slug", e.to_string()))?
            .to_string(),
        None => {
            store::admin_posts::free_slug(&mut *tx, Slug::from_title(&title).as_str(), None).await?
        }
    };
    let fields = PostFields {
        kind,
        status,
        slug,
        rendered: render(&mut tx, media, &markdown).await?,
        title,
        markdown,
        custom_excerpt: text(input.excerpt, TextField::Excerpt)?,
        feature_image: url_field(input.feature_image, "feature_image")?,
        feature_image_alt: text(input.feature_image_alt, TextField::FeatureImageAlt)?,
        feature_image_caption: text(input.feature_image_caption, TextField::FeatureImageCaption)?,
        featured: input.featured.unwrap_or(false),
        meta_title: text(input.meta_title, TextField::MetaTitle)?,
        meta_description: text(input.meta_description, TextField::MetaDescription)?,
        canonical_url: url_field(input.canonical_url, "canonical_url")?,
        codeinjection_head: code(input.codeinjection_head, user.role, "codeinjection_head")?,
        codeinjection_foot: code(input.codeinjection_foot, user.role, "codeinjection_foot")?,
        published_at,
    };
    let id = store::admin_posts::insert(&mut *tx, &fields, Some(user.id))
        .await
        .on_constraint("posts_slug_key", slug_taken)?;
    let tags = resolve_tags(
        &mut tx,
        user.role,
        input.tags.as_deref().unwrap_or_default(),
    )
    .await?;
    store::admin_posts::set_tags(&mut tx, id, &tags).await?;
    store::admin_posts::set_authors(&mut tx, id, &[user.id]).await?;
    let post = store::admin_posts::by_id(&mut *tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    store::admin_posts::add_revision(
        &mut tx,
        &NewRevision {
            post: id,
            version: post.version,
            title: &post.title,
            markdown: &post.markdown,
            fields: &post.revision_fields(),
            author: Some(user.id),
            reason: "create",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(post)
}

/// Updates a post, refusing a stale version with 409 and keeping the refused content as a
/// revision.
pub async fn update(
    conn: &mut PgConnection,
    media: &Storage,
    user: &StaffUser,
    id: Uuid,
    input: PostInput,
) -> Result<AdminPost> {
    write_update(conn, media, user, id, input, None).await
}

/// Brings a revision back: its title and text, and the fields it kept (revisions recorded
/// before revisions kept fields bring back title and text only). Status, date and address stay
/// as they are. Recorded as a revision of its own, `restore`.
pub async fn restore(
    conn: &mut PgConnection,
    media: &Storage,
    user: &StaffUser,
    id: Uuid,
    revision: Revision,
    version: i32,
) -> Result<AdminPost> {
    let mut edit = PostInput {
        title: Some(revision.summary.title),
        markdown: Some(revision.markdown),
        version: Some(version),
        ..PostInput::default()
    };
    if let Some(Json(f)) = revision.fields {
        // an empty string clears a field the revision did not have
        let or_clear = |v: Option<String>| Some(v.unwrap_or_default());
        edit.excerpt = or_clear(f.custom_excerpt);
        edit.feature_image = or_clear(f.feature_image);
        edit.feature_image_alt = or_clear(f.feature_image_alt);
        edit.feature_image_caption = or_clear(f.feature_image_caption);
        edit.featured = Some(f.featured);
        edit.tags = Some(f.tags);
        edit.meta_title = or_clear(f.meta_title);
        edit.meta_description = or_clear(f.meta_description);
        edit.canonical_url = or_clear(f.canonical_url);
    }
    write_update(conn, media, user, id, edit, Some("restore")).await
}

/// What an edit sent, over the post as it is: the fields a refused edit is kept with.
fn sent_fields(input: &PostInput, current: &AdminPost) -> RevisionFields {
    let now = current.revision_fields();
    let or = |sent: &Option<String>, kept: Option<String>| match sent {
        Some(v) => trimmed(Some(v.clone())),
        None => kept,
    };
    RevisionFields {
        custom_excerpt: or(&input.excerpt, now.custom_excerpt),
        feature_image: or(&input.feature_image, now.feature_image),
        feature_image_alt: or(&input.feature_image_alt, now.feature_image_alt),
        feature_image_caption: or(&input.feature_image_caption, now.feature_image_caption),
        featured: input.featured.unwrap_or(now.featured),
        tags: input.tags.clone().unwrap_or(now.tags),
        meta_title: or(&input.meta_title, now.meta_title),
        meta_description: or(&input.meta_description, now.meta_description),
        canonical_url: or(&input.canonical_url, now.canonical_url),
    }
}

async fn write_update(
    conn: &mut PgConnection,
    media: &Storage,
    user: &StaffUser,
    id: Uuid,
    input: PostInput,
    reason: Option<&'static str>,
) -> Result<AdminPost> {
    let now = Utc::now();
    let mut tx = sqlx::Connection::begin(conn).await?;
    let current = store::admin_posts::lock(&mut tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    check_may_edit(user, &current)?;

    let base_version = input.version.unwrap_or(current.version);
    let stale = match (input.version, input.updated_at) {
        (Some(version), _) => version != current.version,
        (None, Some(at)) => at.timestamp_millis() != current.updated_at.timestamp_millis(),
        (None, None) => {
            return Err(Error::invalid(
                "version",
                "send the version this edit is based on",
            ));
        }
    };
    if stale {
        // keep what was sent, so nothing of either edit is lost
        let title = input.title.clone().unwrap_or_else(|| current.title.clone());
        let markdown = input
            .markdown
            .clone()
            .unwrap_or_else(|| current.markdown.clone());
        let last = store::admin_posts::last_revision(&mut *tx, id).await?;
        store::admin_posts::add_revision(
            &mut tx,
            &NewRevision {
                post: id,
                version: base_version,
                title: &title,
                markdown: &markdown,
                fields: &sent_fields(&input, &current),
                author: Some(user.id),
                reason: "conflict",
            },
        )
        .await?;
        tx.commit().await?;
        let by = last
            .as_ref()
            .and_then(|r| r.author_name.clone())
            .unwrap_or_else(|| "someone else".into());
        let when = last
            .map_or(current.updated_at, |r| r.saved_at)
            .format("%H:%M:%S UTC");
        return Err(Error::Conflict(format!(
            "This post was changed by {by} at {when}, after you opened it. Your version was not saved \
             over theirs; it is kept in the post's revisions. Reload to see the latest version."
        )));
    }

    let title = match input.title.as_deref() {
        Some(t) => clean_title(Some(t))?,
        None => current.title.clone(),
    };
    let markdown = input
        .markdown
        .clone()
        .unwrap_or_else(|| current.markdown.clone());
    rules::check_markdown(&markdown)?;
    let requested = input.status.unwrap_or(current.status);
    let published_at = match input.published_at {
        Some(at) => check_date("published_at", at)?,
        None => current.published_at,
    };
    let (status, published_at) = normalise_status(requested, published_at, now)?;
    if status != current.status || requested != current.status {
        check_may_set_status(user.role, status)?;
    }
    let slug = match input.slug.as_deref().map(str::trim) {
        Some(slug) if slug != current.slug => Slug::parse_top_level(slug)
            .map_err(|e| Error::invalid("slug", e.to_string()))?
            .to_string(),
        _ => current.slug.clone(),
    };
    let rendered = render(&mut tx, media, &markdown).await?;
    let keep =
        |new: Option<String>, old: &Option<String>| if new.is_some() { new } else { old.clone() };
    let fields = PostFields {
        kind: input.kind.unwrap_or(current.kind),
        status,
        slug,
        rendered,
        custom_excerpt: text(
            keep(input.excerpt, &current.custom_excerpt),
            TextField::Excerpt,
        )?,
        feature_image: url_field(
            keep(input.feature_image, &current.feature_image),
            "feature_image",
        )?,
        feature_image_alt: text(
            keep(input.feature_image_alt, &current.feature_image_alt),
            TextField::FeatureImageAlt,
        )?,
        feature_image_caption: text(
            keep(input.feature_image_caption, &current.feature_image_caption),
            TextField::FeatureImageCaption,
        )?,
        featured: input.featured.unwrap_or(current.featured),
        meta_title: text(
            keep(input.meta_title, &current.meta_title),
            TextField::MetaTitle,
        )?,
        meta_description: text(
            keep(input.meta_description, &current.meta_description),
            TextField::MetaDescription,
        )?,
        canonical_url: url_field(
            keep(input.canonical_url, &current.canonical_url),
            "canonical_url",
        )?,
        codeinjection_head: match input.codeinjection_head {
            Some(c) => code(Some(c), user.role, "codeinjection_head")?,
            None => current.codeinjection_head.clone(),
        },
        codeinjection_foot: match input.codeinjection_foot {
            Some(c) => code(Some(c), user.role, "codeinjection_foot")?,
            None => current.codeinjection_foot.clone(),
        },
        published_at,
        title,
        markdown,
    };
    store::admin_posts::update(&mut *tx, id, &fields)
        .await
        .on_constraint("posts_slug_key", slug_taken)?;
    if fields.slug != current.slug && current.status == PostStatus::Published {
        // readers and search engines know the old address: send them to the new one
        store::site::record_move(
            &mut tx,
            id,
            &format!("/{}/", current.slug),
            &format!("/{}/", fields.slug),
        )
        .await?;
    }
    if let Some(names) = &input.tags {
        let tags = resolve_tags(&mut tx, user.role, names).await?;
        store::admin_posts::set_tags(&mut tx, id, &tags).await?;
    }
    let post = store::admin_posts::by_id(&mut *tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    let reason = reason.unwrap_or(match (current.status, status) {
        (PostStatus::Published, PostStatus::Published) => "save",
        (_, PostStatus::Published) => "publish",
        (_, PostStatus::Scheduled) => "schedule",
        (PostStatus::Published, _) => "unpublish",
        _ => "save",
    });
    let kept = post.revision_fields();
    let changed = post.title != current.title
        || post.markdown != current.markdown
        || status != current.status
        || kept != current.revision_fields();
    if changed {
        store::admin_posts::add_revision(
            &mut tx,
            &NewRevision {
                post: id,
                version: post.version,
                title: &post.title,
                markdown: &post.markdown,
                fields: &kept,
                author: Some(user.id),
                reason,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(post)
}

/// Renders Markdown, giving the images uploaded here their `srcset` and dimensions.
async fn render(
    conn: &mut PgConnection,
    media: &Storage,
    markdown: &str,
) -> Result<markdown::Rendered> {
    let known = crate::media::known_images(conn, media, markdown::image_urls(markdown)).await?;
    Ok(markdown::render_off_thread(markdown.to_owned(), known).await?)
}

/// Deletes a post the user may delete.
pub async fn delete(conn: &mut PgConnection, user: &StaffUser, id: Uuid) -> Result<()> {
    let mut tx = sqlx::Connection::begin(conn).await?;
    let current = store::admin_posts::lock(&mut tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    check_may_edit(user, &current)?;
    store::admin_posts::delete(&mut *tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether `user` may see a post in the admin.
pub fn may_view(user: &StaffUser, post: &AdminPost) -> bool {
    user.role.edits_all_posts() || post.authors.iter().any(|a| a.id == user.id)
}

/// Editors and above edit anything; Authors their own posts; Contributors their own drafts.
fn check_may_edit(user: &StaffUser, post: &AdminPost) -> Result<()> {
    if !may_view(user, post) {
        return Err(Error::Forbidden(Some(
            "you can only change your own posts".into(),
        )));
    }
    if !user.role.can_publish() && post.status != PostStatus::Draft {
        return Err(Error::Forbidden(Some(
            "contributors cannot change a published or scheduled post".into(),
        )));
    }
    Ok(())
}

fn check_may_set_status(role: Role, status: PostStatus) -> Result<()> {
    if status != PostStatus::Draft && !role.can_publish() {
        return Err(Error::Forbidden(Some(
            "contributors can save drafts; an editor publishes them".into(),
        )));
    }
    Ok(())
}

/// Publishing with a future date schedules; scheduling needs a future date.
fn normalise_status(
    status: PostStatus,
    published_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(PostStatus, Option<DateTime<Utc>>)> {
    settle_status(status, published_at, now).map_err(|e| match e {
        ScheduleError::PastDate => Error::invalid(
            "published_at",
            "A scheduled post needs a date in the future.",
        ),
        ScheduleError::NoDate => {
            Error::invalid("published_at", "Choose when the post should be published.")
        }
    })
}

/// Finds tags by name, creating the missing ones (not for Contributors).
async fn resolve_tags(conn: &mut PgConnection, role: Role, names: &[String]) -> Result<Vec<Uuid>> {
    // counted as sent, before anything else is done with them
    rules::check_tags(names)?;
    let mut seen = std::collections::HashSet::new();
    let names: Vec<String> = names
        .iter()
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty() && seen.insert(n.to_lowercase()))
        .collect();
    let mut ids = Vec::with_capacity(names.len());
    for (name, id) in store::tags::ids_by_names(&mut *conn, &names).await? {
        let id = match id {
            Some(id) => id,
            None if !role.can_publish() => {
                return Err(Error::Forbidden(Some(format!(
                    "contributors cannot create tags (\"{name}\")"
                ))));
            }
            None => create_tag(conn, &name, "").await?,
        };
        ids.push(id);
    }
    Ok(ids)
}

/// A tag as a writer names it: a name, and an address and a description if they choose.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagInput {
    pub name: String,
    pub slug: Option<String>,
    #[serde(default)]
    pub description: String,
}

impl TagInput {
    fn clean(&self) -> Result<(&str, &str, Option<Slug>)> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > limits::MAX_TAG_NAME {
            return Err(Error::invalid(
                "name",
                format!(
                    "A tag needs a name of at most {} characters.",
                    limits::MAX_TAG_NAME
                ),
            ));
        }
        let description = self.description.trim();
        if description.chars().count() > limits::MAX_TAG_DESCRIPTION {
            return Err(Error::invalid(
                "description",
                format!(
                    "A tag's description is at most {} characters.",
                    limits::MAX_TAG_DESCRIPTION
                ),
            ));
        }
        let slug = match self.slug.as_deref().map(str::trim) {
            Some(slug) if !slug.is_empty() => {
                Some(Slug::parse(slug).map_err(|e| Error::invalid("slug", e.to_string()))?)
            }
            _ => None,
        };
        Ok((name, description, slug))
    }
}

fn tag_slug_taken() -> Error {
    Error::invalid("slug", "Another tag already uses this slug.")
}

/// Adds a tag (`#name` is internal); its address comes from its name unless one is given.
pub async fn add_tag(conn: &mut PgConnection, input: &TagInput) -> Result<AdminTag> {
    let (name, description, slug) = input.clean()?;
    let id = match slug {
        Some(slug) => {
            let visibility = TagVisibility::of(name);
            store::tags::insert(
                &mut *conn,
                slug.as_str(),
                name,
                description,
                visibility.as_str(),
            )
            .await
            .on_constraint("tags_slug_key", tag_slug_taken)?
        }
        None => create_tag(conn, name, description).await?,
    };
    store::tags::by_id(&mut *conn, id)
        .await?
        .ok_or(Error::NotFound)
}

/// Renames a tag, and changes its address and description.
pub async fn edit_tag(conn: &mut PgConnection, id: Uuid, input: &TagInput) -> Result<AdminTag> {
    let (name, description, slug) = input.clean()?;
    let current = store::tags::by_id(&mut *conn, id)
        .await?
        .ok_or(Error::NotFound)?;
    let slug = slug.map_or(current.slug, |s| s.to_string());
    store::tags::update(&mut *conn, id, &slug, name, description)
        .await
        .on_constraint("tags_slug_key", tag_slug_taken)?;
    store::tags::by_id(&mut *conn, id)
        .await?
        .ok_or(Error::NotFound)
}

/// Creates a tag from its name: `#name` is internal (never shown), as in Ghost.
pub async fn create_tag(conn: &mut PgConnection, name: &str, description: &str) -> Result<Uuid> {
    let slug = store::tags::free_slug(&mut *conn, &tag_slug(name)).await?;
    Ok(store::tags::insert(
        &mut *conn,
        &slug,
        name,
        description,
        TagVisibility::of(name).as_str(),
    )
    .await?)
}

fn slug_taken() -> Error {
    Error::invalid("slug", "Another post or page already uses this URL.")
}

fn clean_title(title: Option<&str>) -> Result<String> {
    let title = title.map(str::trim).unwrap_or("");
    rules::check_title(title)?;
    Ok(if title.is_empty() {
        "(Untitled)".to_owned()
    } else {
        title.to_owned()
    })
}

fn check_date(field: &'static str, at: Option<DateTime<Utc>>) -> Result<Option<DateTime<Utc>>> {
    if let Some(at) = at {
        rules::check_date(field, at)?;
    }
    Ok(at)
}

/// An optional text field: trimmed, empty means none, bounded.
fn text(value: Option<String>, field: TextField) -> Result<Option<String>> {
    let value = trimmed(value);
    if let Some(v) = &value {
        rules::check_text(field, v)?;
    }
    Ok(value)
}

fn trimmed(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// An optional URL: absolute http(s), or a path on this site.
fn url_field(value: Option<String>, field: &'static str) -> Result<Option<String>> {
    let value = trimmed(value);
    if let Some(v) = &value {
        rules::check_url(field, v)?;
    }
    Ok(value)
}

/// Code injection runs script on readers' pages: Administrators only.
fn code(value: Option<String>, role: Role, field: &'static str) -> Result<Option<String>> {
    let value = value.filter(|v| !v.trim().is_empty());
    if value.is_some() && !role.at_least(Role::Administrator) {
        return Err(Error::Forbidden(Some(
            "only administrators can inject code".into(),
        )));
    }
    if let Some(v) = &value {
        rules::check_code(field, v)?;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_past_schedule_is_refused_naming_the_date() {
        let now = Utc::now();
        let past = Some(now - chrono::TimeDelta::hours(1));
        match normalise_status(PostStatus::Scheduled, past, now) {
            Err(Error::Invalid { field, .. }) => assert_eq!(field.as_deref(), Some("published_at")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn blank_optional_fields_are_none() {
        assert_eq!(url_field(Some("  ".into()), "canonical_url").unwrap(), None);
        assert_eq!(text(Some(" \n ".into()), TextField::Excerpt).unwrap(), None);
        assert_eq!(
            text(Some(" kept ".into()), TextField::Excerpt)
                .unwrap()
                .as_deref(),
            Some("kept")
        );
    }
}
