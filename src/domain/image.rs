//! What is known of an image uploaded here, for pages to serve it responsively.

/// The responsive versions of an uploaded image and its size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageInfo {
    /// `url 600w, url 1000w, ...`
    pub srcset: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
}
