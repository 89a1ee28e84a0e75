//! The local images of an import: each read once, found again by content hash when the site
//! has it already, decoded and resized otherwise, before anything is written.

use std::collections::HashMap;
use std::path::PathBuf;

use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use super::Options;
use crate::import::model::{PostDoc, Problem};
use crate::media;
use crate::store;

pub(super) struct CheckedImage {
    pub(super) sha256: String,
    pub(super) state: ImageState,
}

pub(super) enum ImageState {
    /// Already stored, under this key.
    Known(String),
    /// Decoded and resized, waiting to be stored (taken when it is).
    New(Option<media::image::Processed>),
}

/// Reads every local image once, finds the ones already stored (by content hash) and decodes
/// the others, so a broken image is a problem of its post before anything is written.
pub(super) async fn check_images(
    db: &PgPool,
    posts: &[PostDoc],
    problems: &mut Vec<Problem>,
) -> anyhow::Result<HashMap<PathBuf, CheckedImage>> {
    let mut users: HashMap<PathBuf, Vec<&str>> = HashMap::new();
    for doc in posts {
        for image in &doc.local_images {
            users
                .entry(image.path.clone())
                .or_default()
                .push(&doc.origin);
        }
    }
    let mut read = Vec::with_capacity(users.len());
    for path in users.keys() {
        match tokio::fs::read(path).await {
            Ok(bytes) => {
                let sha256 = hex::encode(Sha256::digest(&bytes));
                read.push((path.clone(), sha256, bytes));
            }
            Err(e) => {
                for origin in &users[path] {
                    problems.push(Problem::new(
                        *origin,
                        None,
                        format!("cannot read image {}: {e}", path.display()),
                    ));
                }
            }
        }
    }
    let hashes: Vec<String> = read.iter().map(|r| r.1.clone()).collect();
    let known: HashMap<String, String> = store::import::keys_by_hash(db, &hashes)
        .await?
        .into_iter()
        .collect();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut out = HashMap::with_capacity(read.len());
    let mut decoding = futures_util::stream::iter(read.into_iter().map(|(path, sha256, bytes)| {
        let key = known.get(&sha256).cloned();
        async move {
            let state = match key {
                Some(key) => Ok(ImageState::Known(key)),
                None => media::image::process_queued(bytes.into())
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|r| r.map_err(|e| e.to_string()))
                    .map(|p| ImageState::New(Some(p))),
            };
            (path, sha256, state)
        }
    }))
    .buffer_unordered(threads);
    while let Some((path, sha256, state)) = decoding.next().await {
        match state {
            Ok(state) => {
                out.insert(path, CheckedImage { sha256, state });
            }
            Err(e) => {
                for origin in &users[&path] {
                    problems.push(Problem::new(
                        *origin,
                        None,
                        format!("image {}: {e}", path.display()),
                    ));
                }
            }
        }
    }
    Ok(out)
}

/// What identifies a post's source: the document, the bytes of its images and the options
/// that change what is written.
pub(super) fn source_hash(
    doc: &PostDoc,
    images: &HashMap<PathBuf, CheckedImage>,
    options: &Options,
) -> String {
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(doc).unwrap_or_default());
    for image in &doc.local_images {
        h.update(b"\0image\0");
        h.update(image.reference.as_bytes());
        if let Some(checked) = images.get(&image.path) {
            h.update(checked.sha256.as_bytes());
        }
    }
    h.update(format!("\0status\0{:?}", options.status).as_bytes());
    if doc.authors.is_empty() {
        h.update(format!("\0author\0{:?}", options.default_author).as_bytes());
    }
    hex::encode(h.finalize())
}
