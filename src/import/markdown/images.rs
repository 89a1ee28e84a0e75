//! The images a post names that are files on disk: the feature image and the body's images,
//! found next to the file or in the site, and imported with it.

use std::path::{Path, PathBuf};

use super::fields::FEATURE_IMAGE_KEYS;
use super::front_matter::Source;
use super::site::Site;
use crate::import::model::{LocalImage, Problem};
use crate::render::markdown as md;

/// Image types the media storage accepts.
const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "gif", "webp"];

/// The images of a post that are files on disk, each once, and a problem (on its line) for
/// each one named that cannot be imported.
pub(super) fn local_images(
    site: &Site,
    path: &Path,
    source: &Source<'_>,
    body: &str,
    feature_image: Option<&str>,
    shown: &str,
) -> (Vec<LocalImage>, Vec<Problem>) {
    let base_dir = path.parent().unwrap_or(Path::new("."));
    let mut images: Vec<LocalImage> = Vec::new();
    let mut problems = Vec::new();
    for (reference, line) in references(source, body, feature_image) {
        match resolve_image(site, base_dir, &reference) {
            Ok(Some(file)) => {
                if !images.iter().any(|i| i.reference == reference) {
                    images.push(LocalImage {
                        reference,
                        path: file,
                    });
                }
            }
            Ok(None) => {}
            // an export's images live in the media storage: a reference is kept as written
            Err(_) if site.quire_export => {}
            Err(msg) => problems.push(Problem::new(shown, Some(line), msg)),
        }
    }
    (images, problems)
}

/// The images a post names, with the line each is named on: the feature image first, then
/// every image of the body.
fn references(
    source: &Source<'_>,
    body: &str,
    feature_image: Option<&str>,
) -> Vec<(String, usize)> {
    let mut refs: Vec<(String, usize)> = Vec::new();
    if let Some(img) = feature_image {
        refs.push((img.to_owned(), source.line_of_any(&FEATURE_IMAGE_KEYS)));
    }
    for url in md::image_urls(body) {
        let line = body
            .lines()
            .position(|l| l.contains(url.as_str()))
            .map_or(source.body_line, |i| source.body_line + i);
        refs.push((url, line));
    }
    refs
}

/// Resolves an image reference to a file on disk. `Ok(None)` for remote images and site
/// paths that are not in the tree (served from elsewhere); an error for a relative file that
/// is missing or of a type the site does not accept.
fn resolve_image(site: &Site, dir: &Path, reference: &str) -> Result<Option<PathBuf>, String> {
    let r = reference.trim();
    if r.is_empty()
        || r.starts_with("//")
        || r.starts_with('#')
        || url::Url::parse(r).is_ok()
        || r.starts_with("/content/images/")
    {
        return Ok(None);
    }
    let clean = r.split(['?', '#']).next().unwrap_or(r).replace("%20", " ");
    let candidates: Vec<PathBuf> = match clean.strip_prefix('/') {
        Some(rel) => vec![
            site.root.join(rel),
            site.root.join("static").join(rel),
            site.content.join(rel),
        ],
        None => vec![dir.join(&clean)],
    };
    let Some(found) = candidates.into_iter().find(|p| p.is_file()) else {
        return if clean.starts_with('/') {
            Ok(None)
        } else {
            Err(format!("image `{reference}` not found next to the file"))
        };
    };
    let ext = found
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext == "svg" {
        return Err(format!(
            "image `{reference}`: SVG is not accepted (it can carry script); use PNG, JPEG, GIF or WebP"
        ));
    }
    if !IMAGE_EXTENSIONS.contains(&ext.as_str()) {
        return Err(format!(
            "image `{reference}`: only PNG, JPEG, GIF and WebP images can be imported"
        ));
    }
    Ok(Some(found))
}
