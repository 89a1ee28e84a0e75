//! Checking and preparing an uploaded image: the type decided by content, a pixel limit
//! against decompression bombs, metadata (EXIF, GPS) removed by re-encoding with the
//! orientation applied, and resized WebP variants for `srcset`.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

/// Widths of the resized variants; only those narrower than the original are made.
pub const VARIANT_WIDTHS: [u32; 4] = [600, 1000, 1600, 2400];
/// Largest image accepted, in pixels (50 megapixels).
pub const MAX_PIXELS: u64 = 50_000_000;

/// Why an upload is not an image we accept.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error(
        "SVG images are not accepted (they can carry scripts); upload a PNG, JPEG, GIF or WebP"
    )]
    Svg,
    #[error("this file is not an image we accept; upload a PNG, JPEG, GIF or WebP")]
    Unsupported,
    #[error(
        "the image is {width}×{height} pixels; the largest accepted is {MAX_PIXELS} pixels in all"
    )]
    TooManyPixels { width: u32, height: u32 },
    #[error("the image could not be read: {0}")]
    Corrupt(String),
}

/// An image ready to store.
pub struct Processed {
    /// SHA-256 of the bytes as uploaded: the identity of the upload.
    pub sha256: String,
    pub ext: &'static str,
    pub content_type: &'static str,
    /// The image to serve as the original: re-encoded without metadata (GIFs as uploaded).
    pub original: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// Resized WebP versions, narrowest first.
    pub variants: Vec<Variant>,
}

/// One resized WebP version.
pub struct Variant {
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

/// Checks and prepares an upload. CPU-heavy: call it on the blocking pool.
pub fn process(bytes: &[u8]) -> Result<Processed, ImageError> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
    if head
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with("<?xml")
        || head.contains("<svg")
    {
        return Err(ImageError::Svg);
    }
    let format = image::guess_format(bytes).map_err(|_| ImageError::Unsupported)?;
    let (ext, content_type) = match format {
        ImageFormat::Png => ("png", "image/png"),
        ImageFormat::Jpeg => ("jpg", "image/jpeg"),
        ImageFormat::Gif => ("gif", "image/gif"),
        ImageFormat::WebP => ("webp", "image/webp"),
        _ => return Err(ImageError::Unsupported),
    };
    let reader = || {
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
        let mut limits = Limits::default();
        limits.max_alloc = Some(1024 * 1024 * 1024);
        reader.limits(limits);
        reader
    };
    let (width, height) = reader()
        .into_dimensions()
        .map_err(|e| ImageError::Corrupt(e.to_string()))?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImageError::TooManyPixels { width, height });
    }
    let mut decoder = reader()
        .into_decoder()
        .map_err(|e| ImageError::Corrupt(e.to_string()))?;
    let orientation = decoder
        .orientation()
        .map_err(|e| ImageError::Corrupt(e.to_string()))?;
    let mut img =
        DynamicImage::from_decoder(decoder).map_err(|e| ImageError::Corrupt(e.to_string()))?;
    img.apply_orientation(orientation);
    let (width, height) = (img.width(), img.height());

    let original = match format {
        // no EXIF or GPS in GIF, and re-encoding would lose the animation
        ImageFormat::Gif => bytes.to_vec(),
        ImageFormat::Jpeg => {
            let mut out = Vec::with_capacity(bytes.len());
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
            img.to_rgb8()
                .write_with_encoder(encoder)
                .map_err(|e| ImageError::Corrupt(e.to_string()))?;
            out
        }
        ImageFormat::Png => {
            let mut out = Vec::with_capacity(bytes.len());
            img.write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))
                .map_err(|e| ImageError::Corrupt(e.to_string()))?;
            out
        }
        _ => webp(&img, 90.0)?,
    };
    let variants = if format == ImageFormat::Gif {
        Vec::new()
    } else {
        VARIANT_WIDTHS
            .iter()
            .copied()
            .filter(|w| *w < width)
            .map(|w| {
                let resized = img.resize(w, u32::MAX, image::imageops::FilterType::CatmullRom);
                Ok(Variant {
                    width: resized.width(),
                    height: resized.height(),
                    bytes: webp(&resized, 80.0)?,
                })
            })
            .collect::<Result<_, ImageError>>()?
    };
    Ok(Processed {
        sha256: hex::encode(Sha256::digest(bytes)),
        ext,
        content_type,
        original,
        width,
        height,
        variants,
    })
}

fn webp(img: &DynamicImage, quality: f32) -> Result<Vec<u8>, ImageError> {
    let rgba;
    let img = match img {
        DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_) => img,
        other => {
            rgba = DynamicImage::ImageRgba8(other.to_rgba8());
            &rgba
        }
    };
    let encoder = webp::Encoder::from_image(img).map_err(|e| ImageError::Corrupt(e.to_owned()))?;
    Ok(encoder.encode(quality).to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn variants_are_narrower_webp_versions() {
        let p = process(&png(1200, 600)).unwrap();
        assert_eq!((p.width, p.height, p.ext), (1200, 600, "png"));
        let widths: Vec<u32> = p.variants.iter().map(|v| v.width).collect();
        assert_eq!(widths, [600, 1000]);
        assert_eq!(p.variants[0].height, 300);
        assert_eq!(&p.variants[0].bytes[8..12], b"WEBP");
    }

    #[test]
    fn svg_and_non_images_are_refused_by_content() {
        assert!(matches!(
            process(b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>"),
            Err(ImageError::Svg)
        ));
        assert!(
            process(b"GIF89a-not-really").is_err(),
            "a truncated GIF is refused"
        );
        assert!(matches!(
            process(b"just some text, named photo.jpg"),
            Err(ImageError::Unsupported)
        ));
    }

    #[test]
    fn a_decompression_bomb_is_refused_before_decoding() {
        // a valid PNG header announcing 20000×20000 pixels
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&20000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&20000u32.to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.sum().to_be_bytes());
        assert!(matches!(
            process(&bomb),
            Err(ImageError::TooManyPixels { .. })
        ));
    }
}
