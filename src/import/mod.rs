//! `quire import`: Markdown trees (Jekyll, Hugo, Zola, plain), Ghost exports and Quire's own
//! JSON export, all read into one [`model::Bundle`] and written by one writer.

pub mod dates;
pub mod ghost;
pub mod links;
pub mod markdown;
pub mod model;
pub mod templates;
pub mod urls;
pub mod write;
