//! Tags of an import: described tags matched by slug or name, tags named by posts found or
//! created.

use std::collections::HashMap;

use anyhow::Context;
use sqlx::PgConnection;
use uuid::Uuid;

use super::Report;
use crate::domain::tag::{TagVisibility, tag_slug};
use crate::import::model::TagDoc;
use crate::store;
use crate::store::import::TagName;

/// A bundle's tag as the store writes it.
fn details_of<'a>(
    name: &'a str,
    visibility: &'a str,
    doc: &'a TagDoc,
) -> store::import::TagDetails<'a> {
    store::import::TagDetails {
        name,
        description: doc.description.as_deref(),
        feature_image: doc.feature_image.as_deref(),
        meta_title: doc.meta_title.as_deref(),
        meta_description: doc.meta_description.as_deref(),
        accent_color: doc.accent_color.as_deref(),
        visibility,
    }
}

/// Tags, loaded once and extended as the import creates them.
pub(super) struct Tags {
    all: Vec<TagName>,
    /// Lower-cased names and slugs of the bundle's described tags → their ids.
    described: HashMap<String, Uuid>,
}

impl Tags {
    pub(super) async fn load(tx: &mut PgConnection) -> sqlx::Result<Self> {
        Ok(Tags {
            all: store::import::tags(tx).await?,
            described: HashMap::new(),
        })
    }

    /// Matches a described tag by slug, then name; updates its details, or creates it.
    pub(super) async fn upsert_doc(
        &mut self,
        tx: &mut PgConnection,
        doc: &TagDoc,
        report: &mut Report,
    ) -> anyhow::Result<u64> {
        let name = doc.name.trim();
        let slug = doc.slug.clone().unwrap_or_else(|| tag_slug(name));
        let lower = name.to_lowercase();
        let found = self
            .all
            .iter()
            .find(|t| t.slug == slug)
            .or_else(|| self.all.iter().find(|t| t.name.to_lowercase() == lower))
            .map(|t| t.id);
        let visibility = TagVisibility::of(name).as_str();
        let (id, changed) = match found {
            Some(id) => {
                let n =
                    store::import::update_tag(tx, id, details_of(name, visibility, doc)).await?;
                (id, n)
            }
            None => {
                let id = self.create(tx, name, &slug, doc).await?;
                report.tags_created += 1;
                (id, 1)
            }
        };
        self.described.insert(lower, id);
        self.described.insert(slug, id);
        Ok(changed)
    }

    /// The tag a post names: a described one, an existing one (by name, then slug), or a new one.
    pub(super) async fn resolve(
        &mut self,
        tx: &mut PgConnection,
        name: &str,
        report: &mut Report,
    ) -> anyhow::Result<Uuid> {
        let name = name.trim();
        let lower = name.to_lowercase();
        if let Some(id) = self.described.get(&lower) {
            return Ok(*id);
        }
        let slug = tag_slug(name);
        let found = self
            .all
            .iter()
            .find(|t| t.name.to_lowercase() == lower)
            .or_else(|| self.all.iter().find(|t| t.slug == slug || t.slug == name));
        if let Some(t) = found {
            return Ok(t.id);
        }
        let id = self.create(tx, name, &slug, &TagDoc::default()).await?;
        report.tags_created += 1;
        self.described.insert(lower, id);
        Ok(id)
    }

    async fn create(
        &mut self,
        tx: &mut PgConnection,
        name: &str,
        slug: &str,
        doc: &TagDoc,
    ) -> anyhow::Result<Uuid> {
        let slug = store::tags::free_slug(&mut *tx, slug).await?;
        let visibility = TagVisibility::of(name).as_str();
        let id = store::import::create_tag(tx, &slug, details_of(name, visibility, doc))
            .await
            .with_context(|| format!("creating the tag {name}"))?;
        self.all.push(TagName {
            id,
            slug,
            name: name.to_owned(),
        });
        Ok(id)
    }
}
