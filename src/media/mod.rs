//! Media storage: one type, two backends. Local disk (the default on a single machine, served
//! at `/content/images/...` like Ghost) and S3 (any number of replicas; served from the bucket
//! or a CDN in front of it).
//!
//! Keys are built by Quire from the content hash (`images/2026/11/3f9c1e2a0b7d4c11.jpg`),
//! never from an uploaded name, and objects are immutable: a changed image is a new key.

pub mod image;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use aws_sdk_s3::primitives::ByteStream;

use crate::config::{Config, MediaBackend, MediaConfig};
use crate::domain::image::{ImageInfo, StoredImage, StoredVariant};

/// Cache-Control of every stored object: content-addressed, so cacheable forever.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Where media lives and how the public reaches it.
#[derive(Clone)]
pub struct Storage {
    backend: Backend,
    /// Public URL of the storage root, no trailing slash (`/content`, `https://cdn.example`).
    public_base: String,
}

#[derive(Clone)]
enum Backend {
    /// Files under this directory (`<data dir>/content`).
    Local(PathBuf),
    S3 {
        client: aws_sdk_s3::Client,
        bucket: String,
        prefix: String,
    },
}

/// Why a write to storage failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("media storage is unavailable: {0}")]
    Unavailable(String),
    #[error("media storage failed: {0}")]
    Io(#[from] std::io::Error),
}

impl Storage {
    /// The storage the configuration describes. For S3, credentials and region come from the
    /// standard AWS chain; nothing is contacted until the first upload.
    pub async fn from_config(config: &Config) -> anyhow::Result<Self> {
        Self::from_media_config(&config.media, &config.db.data_dir).await
    }

    /// The storage of a media configuration; local media lives under `data_dir`.
    pub async fn from_media_config(media: &MediaConfig, data_dir: &Path) -> anyhow::Result<Self> {
        match media.backend {
            MediaBackend::Local => {
                let root = data_dir.join("content");
                let base = media
                    .media_base_url
                    .as_ref()
                    .map(|u| u.as_str().trim_end_matches('/').to_owned());
                Ok(Storage::local(root, base))
            }
            MediaBackend::S3 => {
                let bucket = media
                    .s3_bucket
                    .clone()
                    .context("QUIRE_MEDIA=s3 needs QUIRE_S3_BUCKET")?;
                let client = s3_client(
                    media.s3_endpoint.as_ref().map(|u| u.as_str()),
                    media.s3_path_style,
                )
                .await;
                let region = client
                    .config()
                    .region()
                    .map(|r| r.to_string())
                    .unwrap_or_else(|| "us-east-1".into());
                let base = match (&media.media_base_url, &media.s3_endpoint) {
                    (Some(cdn), _) => cdn.as_str().trim_end_matches('/').to_owned(),
                    (None, Some(endpoint)) if media.s3_path_style => {
                        format!("{}/{bucket}", endpoint.as_str().trim_end_matches('/'))
                    }
                    (None, Some(endpoint)) => {
                        let mut url = endpoint.clone();
                        let host = format!("{bucket}.{}", endpoint.host_str().unwrap_or_default());
                        let _ = url.set_host(Some(&host));
                        url.as_str().trim_end_matches('/').to_owned()
                    }
                    (None, None) => format!("https://{bucket}.s3.{region}.amazonaws.com"),
                };
                Ok(Storage::s3(client, bucket, media.s3_prefix.clone(), base))
            }
        }
    }

    /// Local storage under `root`, public at `base` (default `/content`).
    pub fn local(root: PathBuf, base: Option<String>) -> Self {
        Storage {
            backend: Backend::Local(root),
            public_base: base.unwrap_or_else(|| "/content".to_owned()),
        }
    }

    /// S3 storage in `bucket` under `prefix`, public at `base` (the bucket's URL or a CDN).
    pub fn s3(client: aws_sdk_s3::Client, bucket: String, prefix: String, base: String) -> Self {
        let prefix = match prefix.trim_matches('/') {
            "" => String::new(),
            p => format!("{p}/"),
        };
        Storage {
            backend: Backend::S3 {
                client,
                bucket,
                prefix,
            },
            public_base: base,
        }
    }

    /// The public URL of a key.
    pub fn url(&self, key: &str) -> String {
        match &self.backend {
            Backend::Local(_) => format!("{}/{key}", self.public_base),
            Backend::S3 { prefix, .. } => format!("{}/{prefix}{key}", self.public_base),
        }
    }

    /// The key behind one of our public URLs (absolute or site-relative), if it is one.
    pub fn key_of<'a>(&self, url: &'a str) -> Option<&'a str> {
        let rest = url
            .strip_prefix(self.public_base.as_str())?
            .strip_prefix('/')?;
        match &self.backend {
            Backend::Local(_) => Some(rest),
            Backend::S3 { prefix, .. } => rest.strip_prefix(prefix.as_str()),
        }
        .filter(|k| k.starts_with("images/"))
    }

    /// The `srcset` of an uploaded image: its variants, and the original at its own width
    /// unless a variant has that width (images uploaded before every upload got a WebP at its
    /// own width); empty when it has no variants.
    pub fn srcset(&self, media: &crate::store::media::Media) -> String {
        if media.variants.is_empty() {
            return String::new();
        }
        let mut parts: Vec<String> = media
            .variants
            .iter()
            .map(|v| format!("{} {}w", self.url(&v.key), v.width))
            .collect();
        if let Some(width) = media.width
            && !media
                .variants
                .iter()
                .any(|v| i64::from(v.width) == i64::from(width))
        {
            parts.push(format!("{} {width}w", self.url(&media.storage_key)));
        }
        parts.join(", ")
    }

    /// The directory local media is served from, when local.
    pub fn local_root(&self) -> Option<&Path> {
        match &self.backend {
            Backend::Local(root) => Some(root),
            Backend::S3 { .. } => None,
        }
    }

    /// Stores an object, all or nothing: a local file appears only when complete.
    #[tracing::instrument(skip(self, body), fields(bytes = body.len()))]
    pub async fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<(), StorageError> {
        match &self.backend {
            Backend::Local(root) => {
                let path = root.join(key);
                let dir = path
                    .parent()
                    .ok_or_else(|| std::io::Error::other("key without a directory"))?;
                tokio::fs::create_dir_all(dir).await?;
                let tmp = dir.join(format!(".{}.tmp", uuid::Uuid::new_v4().simple()));
                tokio::fs::write(&tmp, &body).await?;
                if let Err(e) = tokio::fs::rename(&tmp, &path).await {
                    let _ = tokio::fs::remove_file(&tmp).await;
                    return Err(e.into());
                }
                Ok(())
            }
            Backend::S3 {
                client,
                bucket,
                prefix,
            } => client
                .put_object()
                .bucket(bucket)
                .key(format!("{prefix}{key}"))
                .content_type(content_type)
                .cache_control(IMMUTABLE)
                .body(ByteStream::from(body))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    StorageError::Unavailable(aws_sdk_s3::error::DisplayErrorContext(e).to_string())
                }),
        }
    }

    /// Whether an object is there.
    pub async fn exists(&self, key: &str) -> Result<bool, StorageError> {
        match &self.backend {
            Backend::Local(root) => Ok(tokio::fs::try_exists(root.join(key)).await?),
            Backend::S3 {
                client,
                bucket,
                prefix,
            } => match client
                .head_object()
                .bucket(bucket)
                .key(format!("{prefix}{key}"))
                .send()
                .await
            {
                Ok(_) => Ok(true),
                Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(false),
                Err(e) => Err(StorageError::Unavailable(
                    aws_sdk_s3::error::DisplayErrorContext(e).to_string(),
                )),
            },
        }
    }

    /// Removes an object; a missing one is not an error.
    #[tracing::instrument(skip(self))]
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match &self.backend {
            Backend::Local(root) => match tokio::fs::remove_file(root.join(key)).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
                _ => Ok(()),
            },
            Backend::S3 {
                client,
                bucket,
                prefix,
            } => client
                .delete_object()
                .bucket(bucket)
                .key(format!("{prefix}{key}"))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    StorageError::Unavailable(aws_sdk_s3::error::DisplayErrorContext(e).to_string())
                }),
        }
    }
}

/// What is known of the images among `urls` that were uploaded here (srcset, dimensions), by
/// URL: one query whatever their number. Others (remote images) are not in the answer.
pub async fn known_images<S: AsRef<str>>(
    conn: &mut sqlx::PgConnection,
    media: &Storage,
    urls: impl IntoIterator<Item = S>,
) -> sqlx::Result<std::collections::HashMap<String, ImageInfo>> {
    let keys: std::collections::HashMap<String, String> = urls
        .into_iter()
        .filter_map(|url| {
            let url = url.as_ref();
            media
                .key_of(url)
                .map(|key| (key.to_owned(), url.to_owned()))
        })
        .collect();
    if keys.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let wanted: Vec<String> = keys.keys().cloned().collect();
    Ok(crate::store::media::by_keys(&mut *conn, &wanted)
        .await?
        .iter()
        .filter_map(|m| {
            let url = keys.get(&m.storage_key)?.clone();
            Some((
                url,
                ImageInfo {
                    srcset: media.srcset(m),
                    width: m.width,
                    height: m.height,
                },
            ))
        })
        .collect())
}

/// The objects of one processed image, written to storage; the database row comes after.
pub struct StoredObjects {
    pub image: StoredImage,
    /// Every key written (original and variants), to undo them if what follows fails.
    pub written: Vec<String>,
}

/// Writes a processed image and its variants under keys built from its hash
/// (`images/2026/11/3f9c1e2a0b7d4c11.jpg`, `...-600w.webp`). On failure, what was written is
/// removed again and nothing is left behind.
pub async fn store_objects(
    storage: &Storage,
    p: image::Processed,
) -> Result<StoredObjects, StorageError> {
    let month = chrono::Utc::now().format("%Y/%m");
    let stem = format!("images/{month}/{}", &p.sha256[..16]);
    let key = format!("{stem}.{}", p.ext);
    let bytes = p.original.len() as i64;
    let mut variants = Vec::with_capacity(p.variants.len());
    let mut objects = vec![(key.clone(), p.original, p.content_type)];
    for v in p.variants {
        let vkey = format!("{stem}-{}w.webp", v.width);
        variants.push(StoredVariant {
            width: v.width,
            height: v.height,
            key: vkey.clone(),
            content_type: "image/webp".into(),
        });
        objects.push((vkey, v.bytes, "image/webp"));
    }
    let mut written = Vec::with_capacity(objects.len());
    for (object_key, body, content_type) in objects {
        if let Err(e) = storage.put(&object_key, body, content_type).await {
            remove_objects(storage, &written).await;
            return Err(e);
        }
        written.push(object_key);
    }
    Ok(StoredObjects {
        image: StoredImage {
            key,
            sha256: p.sha256,
            content_type: p.content_type,
            bytes,
            width: p.width,
            height: p.height,
            variants,
        },
        written,
    })
}

/// Removes objects written by an upload or import that then failed; failures are logged.
pub async fn remove_objects(storage: &Storage, keys: &[String]) {
    for key in keys {
        if let Err(e) = storage.delete(key).await {
            tracing::warn!(key, error = %e, "could not remove an object of a failed write");
        }
    }
}

/// An S3 client on rustls with ring (one TLS stack with sqlx's), bounded timeouts and few
/// retries, so an unreachable store fails an upload in seconds, not minutes.
pub async fn s3_client(endpoint: Option<&str>, path_style: bool) -> aws_sdk_s3::Client {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http)
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_timeout(Duration::from_secs(30))
                .build(),
        )
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(2))
        .load()
        .await;
    let mut builder = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(path_style);
    if sdk.region().is_none() {
        builder = builder.region(aws_sdk_s3::config::Region::new("us-east-1"));
    }
    if let Some(endpoint) = endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    aws_sdk_s3::Client::from_conf(builder.build())
}
