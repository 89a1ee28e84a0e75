//! Pure types of the blog: no HTTP, no SQL beyond `sqlx::Type` on enums.

pub mod activitypub;
pub mod http_signature;
pub mod image;
pub mod limits;
pub mod nql;
pub mod post;
pub mod revision;
pub mod search;
pub mod settings;
pub mod slug;
pub mod snippet;
pub mod tag;
pub mod tsquery;
pub mod user;
