//! All SQL lives here, as small functions over `impl PgExecutor` or `&mut PgConnection`.

pub mod activitypub;
pub mod admin_posts;
pub mod content_api;
pub mod import;
pub mod integrations;
pub mod jobs;
pub mod limits;
pub mod media;
pub mod posts;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod site;
pub mod sitemap;
pub mod snapshot;
pub mod tags;
pub mod tokens;
pub mod users;
pub mod webhooks;
