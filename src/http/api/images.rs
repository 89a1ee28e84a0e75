//! `POST /admin/api/images`: upload an image (multipart field `file`), and the media library.
//!
//! Nothing is left behind by a failed upload: objects are written first and removed again if
//! anything after fails; the database row comes last.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::user::Role;
use crate::error::{Error, Result};
use crate::http::extract::{Path, SignedIn};
use crate::http::{AnnouncedLimit, UPLOAD_FRAMING, refuse_announced_oversize};
use crate::media::Storage;
use crate::media::image::{self, ImageError, Processed};
use crate::state::AppState;
use crate::store;
use crate::store::media::Media;

pub fn router(upload_max_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/images", post(upload_image).get(list_images))
        .route("/images/{id}", delete(delete_image))
        // the multipart framing needs a little room beyond the file itself
        .layer(DefaultBodyLimit::max(upload_max_bytes + UPLOAD_FRAMING))
        .layer(axum::middleware::from_fn_with_state(
            AnnouncedLimit::new(
                upload_max_bytes + UPLOAD_FRAMING,
                format!(
                    "The image is larger than the {} MiB limit.",
                    upload_max_bytes / (1024 * 1024)
                ),
            ),
            refuse_announced_oversize,
        ))
}

/// An image as the API answers it.
#[derive(Serialize)]
pub struct ImageBody {
    pub id: Uuid,
    pub url: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub content_type: String,
    pub bytes: i64,
    /// `url 600w, url 1000w, ...` for the `srcset` attribute; empty without variants.
    pub srcset: String,
    pub variants: Vec<VariantBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub used: Option<bool>,
}

#[derive(Serialize)]
pub struct VariantBody {
    pub width: u32,
    pub url: String,
}

impl ImageBody {
    pub fn new(storage: &Storage, media: &Media) -> Self {
        ImageBody {
            id: media.id,
            url: storage.url(&media.storage_key),
            width: media.width,
            height: media.height,
            content_type: media.content_type.clone(),
            bytes: media.bytes,
            srcset: storage.srcset(media),
            variants: media
                .variants
                .iter()
                .map(|v| VariantBody {
                    width: v.width,
                    url: storage.url(&v.key),
                })
                .collect(),
            used: None,
        }
    }
}

async fn upload_image(
    State(s): State<AppState>,
    staff: SignedIn,
    mut multipart: Multipart,
) -> Result<Response> {
    staff.require(Role::Contributor)?;
    let upload = read_upload(&mut multipart, s.config.media.upload_max_mb, &[]).await?;
    let media = save_upload(&s, staff.user.id, upload.file).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ImageBody::new(&s.media, &media)),
    )
        .into_response())
}

/// An uploaded file and the text fields sent with it.
pub struct Upload {
    pub file: bytes::Bytes,
    /// The text fields asked for that were sent with it, by name.
    pub fields: Vec<(String, String)>,
}

/// Reads a multipart upload: the file in the field `file`, and the text fields named in
/// `wanted`. 413 when the file is larger than `limit_mb`, 422 when there
/// is none or it is empty.
pub async fn read_upload(
    multipart: &mut Multipart,
    limit_mb: u64,
    wanted: &[&str],
) -> Result<Upload> {
    let mut file = None;
    let mut fields = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(e, limit_mb))?
    {
        match field.name() {
            Some("file") => {
                file = Some(
                    field
                        .bytes()
                        .await
                        .map_err(|e| multipart_error(e, limit_mb))?,
                );
            }
            Some(name) if wanted.contains(&name) => {
                let name = name.to_owned();
                let value = field
                    .text()
                    .await
                    .map_err(|e| multipart_error(e, limit_mb))?;
                fields.push((name, value));
            }
            _ => {}
        }
    }
    let file = file.ok_or_else(|| {
        Error::invalid(
            "file",
            "Send the image in a multipart field named \"file\".",
        )
    })?;
    if file.len() as u64 > limit_mb * 1024 * 1024 {
        return Err(Error::TooLarge(format!(
            "The image is larger than the {limit_mb} MiB limit."
        )));
    }
    if file.is_empty() {
        return Err(Error::invalid("file", "The file is empty."));
    }
    Ok(Upload { file, fields })
}

/// Keeps an uploaded image: the one already kept when the same bytes were uploaded before,
/// else the image processed (metadata removed, variants made) and stored, its row last.
pub async fn save_upload(s: &AppState, uploader: Uuid, bytes: bytes::Bytes) -> Result<Media> {
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    if let Some(existing) = store::media::by_sha256(&s.db, &sha).await? {
        return Ok(existing);
    }
    let processed = image::process_queued(bytes).await?.map_err(|e| match e {
        ImageError::Svg | ImageError::Unsupported => Error::UnsupportedMedia(e.to_string()),
        e => Error::invalid("file", capitalise(&e.to_string())),
    })?;
    store_image(s, uploader, processed).await
}

/// Writes the objects, then the row; undoes the objects if anything fails.
async fn store_image(s: &AppState, uploader: Uuid, p: Processed) -> Result<Media> {
    // what was written is removed before the error comes back; the request's log line names
    // the cause
    let stored = crate::media::store_objects(&s.media, p)
        .await
        .map_err(|e| Error::UnavailableBecause {
            message:
                "Image storage is unavailable right now; nothing was saved. Try again in a moment."
                    .into(),
            cause: Some(Box::new(e)),
        })?;
    match store::media::insert(&s.db, &stored.image, Some(uploader)).await {
        Ok(media) => Ok(media),
        // the same image uploaded twice at once: both wrote the same objects; keep them
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("media_sha256_key") => {
            store::media::by_sha256(&s.db, &stored.image.sha256)
                .await?
                .ok_or(Error::NotFound)
        }
        Err(e) => {
            crate::media::remove_objects(&s.media, &stored.written).await;
            Err(e.into())
        }
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError, limit: u64) -> Error {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Error::TooLarge(format!("The image is larger than the {limit} MiB limit."))
    } else {
        Error::invalid("file", e.body_text())
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

async fn list_images(
    State(s): State<AppState>,
    staff: SignedIn,
) -> Result<axum::Json<Vec<ImageBody>>> {
    staff.require(Role::Contributor)?;
    let images = store::media::list(&s.db).await?;
    Ok(axum::Json(
        images
            .into_iter()
            .map(|(media, used)| ImageBody {
                used: Some(used),
                ..ImageBody::new(&s.media, &media)
            })
            .collect(),
    ))
}

/// Deletes an image nothing uses (Editors and above).
async fn delete_image(
    State(s): State<AppState>,
    staff: SignedIn,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    staff.require(Role::Editor)?;
    let (media, used) = store::media::with_use(&s.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    if used {
        return Err(Error::Conflict(
            "This image is still used; remove it from posts and settings first.".into(),
        ));
    }
    store::media::delete(&s.db, media.id).await?;
    let mut keys: Vec<String> = media.variants.iter().map(|v| v.key.clone()).collect();
    keys.push(media.storage_key.clone());
    crate::media::remove_objects(&s.media, &keys).await;
    Ok(StatusCode::NO_CONTENT)
}
