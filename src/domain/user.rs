//! Staff roles and what each may do, as in Ghost.

use serde::{Deserialize, Serialize};

/// A staff member's role, from most to least powerful.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type, clap::ValueEnum,
)]
#[sqlx(type_name = "user_role", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Administrator,
    Editor,
    Author,
    Contributor,
}

/// Whether an account may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "user_status", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    Active,
    /// Cannot sign in; their posts stay.
    Suspended,
}

/// A staff member's email address, trimmed and lower-cased: what sign-in matches on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

/// Why an email address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidEmail;

impl std::fmt::Display for InvalidEmail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enter a valid email address.")
    }
}

impl Email {
    /// An address with something before the `@`, a dotted domain after it, no spaces or
    /// control characters, at most 254 characters.
    pub fn parse(raw: &str) -> Result<Email, InvalidEmail> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.contains(char::is_control)
            && !email.contains(char::is_whitespace)
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if valid {
            Ok(Email(email))
        } else {
            Err(InvalidEmail)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl Role {
    fn rank(self) -> u8 {
        match self {
            Role::Owner => 5,
            Role::Administrator => 4,
            Role::Editor => 3,
            Role::Author => 2,
            Role::Contributor => 1,
        }
    }

    /// Whether this role has at least the powers of `other`.
    pub fn at_least(self, other: Role) -> bool {
        self.rank() >= other.rank()
    }

    /// Editors and above work on everybody's posts; Authors and Contributors on their own.
    pub fn edits_all_posts(self) -> bool {
        self.at_least(Role::Editor)
    }

    /// Contributors write drafts; everyone else may publish (their own posts, at least).
    pub fn can_publish(self) -> bool {
        self.at_least(Role::Author)
    }

    /// Whether this role may invite, change or suspend a user holding `target`, or give
    /// someone that role. Administrators manage everyone but the Owner; Editors manage Authors
    /// and Contributors. Ownership moves only by the Owner handing it over.
    pub fn manages(self, target: Role) -> bool {
        match self {
            Role::Owner | Role::Administrator => target != Role::Owner,
            Role::Editor => matches!(target, Role::Author | Role::Contributor),
            Role::Author | Role::Contributor => false,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Administrator => "administrator",
            Role::Editor => "editor",
            Role::Author => "author",
            Role::Contributor => "contributor",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(
            Email::parse("  Ann@Example.COM ").map(Email::into_string),
            Ok("ann@example.com".to_owned())
        );
        for bad in [
            "ann",
            "@example.com",
            "ann@example",
            "ann@.com",
            "an n@example.com",
            "ann@x.com.",
        ] {
            assert_eq!(Email::parse(bad), Err(InvalidEmail), "{bad}");
        }
    }

    #[test]
    fn roles_are_ordered_as_in_ghost() {
        assert!(Role::Owner.at_least(Role::Administrator));
        assert!(Role::Editor.at_least(Role::Author));
        assert!(!Role::Contributor.at_least(Role::Author));
        assert!(!Role::Contributor.can_publish());
        assert!(Role::Author.can_publish() && !Role::Author.edits_all_posts());
    }

    #[test]
    fn editors_manage_authors_and_contributors_only() {
        assert!(Role::Editor.manages(Role::Author) && Role::Editor.manages(Role::Contributor));
        assert!(!Role::Editor.manages(Role::Editor) && !Role::Editor.manages(Role::Administrator));
        assert!(Role::Administrator.manages(Role::Administrator));
        assert!(!Role::Administrator.manages(Role::Owner));
        assert!(!Role::Author.manages(Role::Contributor));
    }
}
