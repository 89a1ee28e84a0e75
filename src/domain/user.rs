//! Staff roles, as in Ghost.

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
