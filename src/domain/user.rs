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
