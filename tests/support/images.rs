//! Test images, made in memory, and uploads as the editor sends them.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, RgbImage};
use serde_json::Value;

use super::session::Session;

fn encode(img: RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), format)
        .unwrap();
    out
}

/// A photo-like JPEG of the given size; `tint` tells two of the same size apart.
pub fn jpeg(width: u32, height: u32, tint: u8) -> Vec<u8> {
    encode(
        RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x * 7 % 256) as u8, (y * 3 % 256) as u8, tint])
        }),
        ImageFormat::Jpeg,
    )
}

/// A black PNG of the given size: cheap to make and to process, for uploads whose content
/// does not matter.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    encode(RgbImage::new(width, height), ImageFormat::Png)
}

/// A `multipart/form-data` body with `bytes` as the field `file`, as the editor sends an
/// image: answers the `Content-Type` header and the body.
pub fn multipart(filename: &str, content_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "quire-test-boundary-7d1f";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
         Content-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Uploads an image to the site at `base` as `session` (`POST /admin/api/images`); answers
/// the status and the JSON body.
pub async fn upload(
    client: &reqwest::Client,
    base: &str,
    session: &Session,
    filename: &str,
    content_type: &str,
    bytes: &[u8],
) -> (u16, Value) {
    let (form_type, body) = multipart(filename, content_type, bytes);
    let response = client
        .post(format!("{base}/admin/api/images"))
        .header("cookie", &session.cookie)
        .header("x-csrf-token", &session.csrf)
        .header("content-type", form_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}
