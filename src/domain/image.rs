//! Images uploaded here: what is stored of each, and what pages need to serve it
//! responsively.

use serde::{Deserialize, Serialize};

/// The responsive versions of an uploaded image and its size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageInfo {
    /// `url 600w, url 1000w, ...`
    pub srcset: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
}

/// A resized copy of an uploaded image, stored beside the original.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredVariant {
    pub width: u32,
    pub height: u32,
    pub key: String,
    pub content_type: String,
}

/// An uploaded image as stored: its original's key and description, and its variants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredImage {
    /// Key of the original.
    pub key: String,
    pub sha256: String,
    pub content_type: &'static str,
    pub bytes: i64,
    pub width: u32,
    pub height: u32,
    pub variants: Vec<StoredVariant>,
}
