//! Bundles built at compile time by `build.rs`: minified, content-hashed, precompressed.

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// Name as written in templates: `admin/editor.js`, `theme/default/css/screen.css`.
    pub logical: &'static str,
    /// Path under `/assets/`, with the content hash: `admin/editor.3f9c1e2a0b.js`.
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
    pub gzip: Option<&'static [u8]>,
    pub brotli: Option<&'static [u8]>,
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The bundle served at `/assets/{path}`.
pub fn by_path(path: &str) -> Option<&'static Asset> {
    ASSETS
        .binary_search_by(|a| a.path.cmp(path))
        .ok()
        .map(|i| &ASSETS[i])
}

/// The bundle with this logical name.
pub fn by_logical(logical: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.logical == logical)
}

/// The public URL of a bundle: `/assets/` + its hashed path.
pub fn url(asset: &Asset) -> String {
    format!("/assets/{}", asset.path)
}
