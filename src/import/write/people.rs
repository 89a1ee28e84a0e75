//! Staff of an import: described accounts matched by email or slug, authors named by posts
//! found or created, and the default author of posts that name none.

use std::collections::HashMap;

use anyhow::{Context, bail};
use sqlx::PgConnection;
use uuid::Uuid;

use super::Report;
use crate::domain::slug::Slug;
use crate::domain::user::Role;
use crate::import::model::UserDoc;
use crate::store;
use crate::store::import::Person;

/// Staff accounts, loaded once and extended as the import creates them.
pub(super) struct People {
    all: Vec<Person>,
    /// References (lower-cased email, slug, name) resolved so far.
    resolved: HashMap<String, Uuid>,
    /// Accounts created with a real email: they get a reset link.
    pub(super) invited: Vec<(String, Uuid)>,
}

impl People {
    pub(super) async fn load(tx: &mut PgConnection) -> sqlx::Result<Self> {
        Ok(People {
            all: store::import::people(tx).await?,
            resolved: HashMap::new(),
            invited: Vec::new(),
        })
    }

    fn find(&self, reference: &str) -> Option<Uuid> {
        let r = reference.trim().to_lowercase();
        if let Some(id) = self.resolved.get(&r) {
            return Some(*id);
        }
        let by = |f: &dyn Fn(&Person) -> bool| self.all.iter().find(|p| f(p)).map(|p| p.id);
        by(&|p| p.email.to_lowercase() == r)
            .or_else(|| by(&|p| p.slug == r))
            .or_else(|| by(&|p| p.name.to_lowercase() == r))
    }

    /// Matches a described account to staff by email, then slug; updates its public profile,
    /// or creates it. Answers the rows changed.
    pub(super) async fn upsert_doc(
        &mut self,
        tx: &mut PgConnection,
        doc: &UserDoc,
        report: &mut Report,
    ) -> anyhow::Result<u64> {
        let email = doc.email.as_deref().map(|e| e.trim().to_lowercase());
        let slug = doc
            .slug
            .clone()
            .unwrap_or_else(|| Slug::from_title(&doc.name).to_string());
        let found = self
            .all
            .iter()
            .find(|p| {
                email
                    .as_deref()
                    .is_some_and(|e| p.email.to_lowercase() == e)
            })
            .or_else(|| self.all.iter().find(|p| p.slug == slug))
            .map(|p| p.id);
        let (id, changed) = match found {
            Some(id) => {
                let n = store::import::update_profile(tx, id, profile_of(&doc.name, doc)).await?;
                (id, n)
            }
            None => {
                let has_owner = self.all.iter().any(|p| p.role == Role::Owner);
                let role = match doc.role.unwrap_or(Role::Contributor) {
                    Role::Owner if has_owner => Role::Administrator,
                    role => role,
                };
                // the address as written: matching ignores case, the account keeps it
                let written = doc.email.as_deref().map(str::trim);
                let id = self
                    .create(tx, &doc.name, written, &slug, role, doc)
                    .await?;
                if email.is_some() {
                    self.invited.push((
                        format!("{} <{}>", doc.name.trim(), email.as_deref().unwrap_or("")),
                        id,
                    ));
                }
                report.authors_created += 1;
                (id, 1)
            }
        };
        for key in [
            email.clone(),
            Some(slug),
            Some(doc.name.trim().to_lowercase()),
        ]
        .into_iter()
        .flatten()
        {
            self.resolved.insert(key, id);
        }
        Ok(changed)
    }

    /// The account an author reference names, created as a Contributor when none does.
    pub(super) async fn resolve(
        &mut self,
        tx: &mut PgConnection,
        reference: &str,
        report: &mut Report,
    ) -> anyhow::Result<Uuid> {
        if let Some(id) = self.find(reference) {
            return Ok(id);
        }
        let reference = reference.trim();
        let (name, email) = match reference.split_once('@') {
            Some((local, _)) if reference.contains('.') => {
                (humanise_local_part(local), Some(reference.to_lowercase()))
            }
            _ => (reference.to_owned(), None),
        };
        let slug = Slug::from_title(&name).to_string();
        let id = self
            .create(
                tx,
                &name,
                email.as_deref(),
                &slug,
                Role::Contributor,
                &UserDoc::default(),
            )
            .await?;
        report.authors_created += 1;
        self.resolved.insert(reference.to_lowercase(), id);
        Ok(id)
    }

    async fn create(
        &mut self,
        tx: &mut PgConnection,
        name: &str,
        email: Option<&str>,
        slug: &str,
        role: Role,
        profile: &UserDoc,
    ) -> anyhow::Result<Uuid> {
        let slug = store::users::free_slug(&mut *tx, slug).await?;
        // an author who cannot sign in yet: `.invalid` never receives mail
        let email = email.map_or_else(|| format!("{slug}@users.invalid"), str::to_owned);
        let name = name.trim();
        let id = store::import::create_person(tx, &email, &slug, role, profile_of(name, profile))
            .await
            .with_context(|| format!("creating the account of {name} <{email}>"))?;
        self.all.push(Person {
            id,
            email,
            slug,
            name: name.to_owned(),
            role,
        });
        Ok(id)
    }

    /// The author of posts that name none: `--author`, else the Owner, else the first
    /// Administrator.
    pub(super) fn default_author(&self, chosen: Option<&str>) -> anyhow::Result<Uuid> {
        if let Some(reference) = chosen {
            return self.find(reference).with_context(|| {
                format!("--author {reference}: no staff member has this email, slug or name")
            });
        }
        let first = |role: Role| self.all.iter().find(|p| p.role == role).map(|p| p.id);
        match first(Role::Owner).or_else(|| first(Role::Administrator)) {
            Some(id) => Ok(id),
            None => bail!(
                "some posts name no author and the site has no Owner yet: create one with \
                 `quire user create --role owner` (or at /admin/setup), or pass --author"
            ),
        }
    }
}

/// `jane.doe` → `Jane Doe`.
fn humanise_local_part(local: &str) -> String {
    local
        .split(['.', '_', '-', '+'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A bundle's staff profile as the store writes it.
fn profile_of<'a>(name: &'a str, doc: &'a UserDoc) -> store::import::Profile<'a> {
    store::import::Profile {
        name: name.trim(),
        bio: doc.bio.as_deref(),
        avatar_url: doc.avatar_url.as_deref(),
        cover_image: doc.cover_image.as_deref(),
        website: doc.website.as_deref(),
        location: doc.location.as_deref(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_local_parts_become_names() {
        assert_eq!(humanise_local_part("jane.doe"), "Jane Doe");
    }
}
