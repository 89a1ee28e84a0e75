//! Checking and preparing an uploaded image: the type decided by content, a pixel limit and
//! a memory budget against decompression bombs, truncated files refused, metadata (EXIF with
//! its GPS location, XMP, comments) removed, and WebP variants for `srcset`, one at the
//! original width among them (up to 12 megapixels). The original kept is the upload without
//! its metadata (segments and chunks dropped, the pixel data untouched), unless re-encoding it
//! makes a smaller file. At most [`max_concurrent`] images are processed at once.

use std::io::Cursor;
use std::sync::LazyLock;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader, Limits};
use img_parts::ImageEXIF;
use sha2::{Digest, Sha256};

/// Widths of the resized variants; only those narrower than the original are made, and one
/// at the original width besides (up to [`FULL_WIDTH_WEBP_MAX_PIXELS`]).
pub const VARIANT_WIDTHS: [u32; 4] = [600, 1000, 1600, 2400];
/// The largest image that gets a WebP at its own width, in pixels (a 12-megapixel phone photo
/// does). Encoding a WebP takes about 6 MiB per megapixel beside the decoded image, which would
/// take a 49-megapixel upload far past the memory budget; a larger image gets the narrower
/// variants only, the widest of which (2400 px) covers every image slot of the theme on a
/// high-density screen. It also keeps within the WebP format's largest side, 16383 px.
const FULL_WIDTH_WEBP_MAX_PIXELS: u64 = 12_000_000;
/// Largest image accepted, in pixels (50 megapixels).
pub const MAX_PIXELS: u64 = 50_000_000;
/// Largest decoded image accepted, in bytes: width × height × bytes per pixel of its colour
/// type (16-bit channels count twice). Processing needs a few times this at its peak.
pub const MAX_DECODED_BYTES: u64 = 256 * 1024 * 1024;
/// Largest sum of the pixels of every frame of an animated GIF.
pub const MAX_GIF_FRAME_PIXELS: u64 = 4 * MAX_PIXELS;

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
    #[error(
        "too many pixels for its colour depth: {width}×{height} pixels of {bytes_per_pixel} bytes need {} MiB to decode; the largest accepted is {} MiB",
        needed.div_ceil(1024 * 1024),
        MAX_DECODED_BYTES / (1024 * 1024)
    )]
    TooManyBytes {
        width: u32,
        height: u32,
        bytes_per_pixel: u8,
        needed: u64,
    },
    #[error("the image could not be read: the file is truncated (its end is missing)")]
    Truncated,
    #[error("the image could not be read: {0}")]
    Corrupt(String),
}

/// An image ready to store.
pub struct Processed {
    /// SHA-256 of the bytes as uploaded: the identity of the upload.
    pub sha256: String,
    pub ext: &'static str,
    pub content_type: &'static str,
    /// The image to serve as the original, without metadata: the upload with its metadata
    /// segments or chunks removed (GIFs rewritten frame by frame, their compressed pixels as
    /// uploaded), or re-encoded when that is smaller.
    pub original: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// WebP versions, narrowest first; the last at the original width, unless the image has
    /// more than [`FULL_WIDTH_WEBP_MAX_PIXELS`].
    pub variants: Vec<Variant>,
}

/// One resized WebP version.
pub struct Variant {
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

/// How many images a process works on at once: decoding holds up to
/// [`MAX_DECODED_BYTES`] (and a few times that while resizing) per image.
pub fn max_concurrent() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 2))
}

static PROCESSING: LazyLock<tokio::sync::Semaphore> =
    LazyLock::new(|| tokio::sync::Semaphore::new(max_concurrent()));

/// The memory, in MiB, that images in work may take together. Processing one takes about
/// 1.75 times its decoded size at the peak (the decoded pixels, a resize's scratch buffer and
/// the encoded outputs), so two 49-megapixel photos (147 MiB decoded each) run one after the
/// other while small images run side by side.
const MEMORY_BUDGET_MIB: u32 = 320;

static MEMORY: LazyLock<tokio::sync::Semaphore> =
    LazyLock::new(|| tokio::sync::Semaphore::new(MEMORY_BUDGET_MIB as usize));

/// What processing `bytes` will take at its peak, in MiB, from the header alone (at least 1,
/// at most the whole budget); a file whose header cannot be read weighs 1, as [`process`]
/// refuses it before decoding anything.
fn weight_mib(bytes: &[u8]) -> u32 {
    let decoded = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()
        .and_then(|r| r.into_decoder().ok())
        .map_or(0, |d| d.total_bytes().min(MAX_DECODED_BYTES));
    let peak_mib = decoded.saturating_mul(7) / 4 / (1024 * 1024);
    u32::try_from(peak_mib)
        .unwrap_or(u32::MAX)
        .clamp(1, MEMORY_BUDGET_MIB)
}

/// [`process`] on the blocking pool, waiting while [`max_concurrent`] images are in work or
/// while the images in work would take more than [`MEMORY_BUDGET_MIB`] together with this one,
/// so that parallel uploads queue instead of multiplying the memory they take.
pub async fn process_queued(bytes: bytes::Bytes) -> anyhow::Result<Result<Processed, ImageError>> {
    let _memory = MEMORY.acquire_many(weight_mib(&bytes)).await?;
    let _permit = PROCESSING.acquire().await?;
    Ok(tokio::task::spawn_blocking(move || process(&bytes)).await?)
}

/// Checks and prepares an upload. CPU-heavy: call it on the blocking pool (or through
/// [`process_queued`]).
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
    if truncated(format, bytes) {
        return Err(ImageError::Truncated);
    }
    let reader = || {
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
        let mut limits = Limits::default();
        limits.max_alloc = Some(MAX_DECODED_BYTES);
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
    // refused before any pixel is decoded: what the decoded buffer alone would take
    let needed = decoder.total_bytes();
    if needed > MAX_DECODED_BYTES {
        return Err(ImageError::TooManyBytes {
            width,
            height,
            bytes_per_pixel: decoder.color_type().bytes_per_pixel(),
            needed,
        });
    }
    let orientation = decoder
        .orientation()
        .map_err(|e| ImageError::Corrupt(e.to_string()))?;
    // a missing or unreadable profile only costs colour accuracy
    let icc = decoder.icc_profile().ok().flatten();
    let mut img =
        DynamicImage::from_decoder(decoder).map_err(|e| ImageError::Corrupt(e.to_string()))?;
    img.apply_orientation(orientation);
    let (width, height) = (img.width(), img.height());

    let original = match format {
        ImageFormat::Gif => gif_without_metadata(bytes)?,
        _ => {
            let stripped = without_metadata(format, bytes, orientation)?;
            let reencoded = reencode(format, &img, icc)?;
            if reencoded.len() < stripped.len() {
                reencoded
            } else {
                stripped
            }
        }
    };
    let variants = if format == ImageFormat::Gif {
        Vec::new()
    } else {
        let mut widths: Vec<u32> = VARIANT_WIDTHS
            .iter()
            .copied()
            .filter(|w| *w < width)
            .collect();
        if u64::from(width) * u64::from(height) <= FULL_WIDTH_WEBP_MAX_PIXELS
            && width.max(height) <= 16383
        {
            widths.push(width);
        }
        widths
            .into_iter()
            .map(|w| {
                let resized;
                let img = if w == width {
                    &img
                } else {
                    resized = shrink(&img, w);
                    &resized
                };
                Ok(Variant {
                    width: img.width(),
                    height: img.height(),
                    bytes: webp(img, 80.0)?,
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

/// The GIF again, every frame and the loop count kept, its compressed pixel data copied as
/// is; comments, XMP, ICC profiles and other application extensions are left out.
fn gif_without_metadata(bytes: &[u8]) -> Result<Vec<u8>, ImageError> {
    let corrupt = |e: &dyn std::fmt::Display| ImageError::Corrupt(e.to_string());
    let mut options = gif::DecodeOptions::new();
    options.skip_frame_decoding(true);
    options.set_memory_limit(gif::MemoryLimit::Bytes(
        std::num::NonZeroU64::new(MAX_DECODED_BYTES).expect("not zero"),
    ));
    let mut decoder = options.read_info(bytes).map_err(|e| corrupt(&e))?;
    let palette = decoder.global_palette().unwrap_or_default().to_vec();
    let (width, height) = (decoder.width(), decoder.height());
    let mut out = Vec::with_capacity(bytes.len());
    {
        let mut encoder =
            gif::Encoder::new(&mut out, width, height, &palette).map_err(|e| corrupt(&e))?;
        let mut first = true;
        let mut pixels = 0u64;
        while let Some(frame) = decoder.read_next_frame().map_err(|e| corrupt(&e))? {
            let frame = frame.clone();
            pixels += u64::from(frame.width) * u64::from(frame.height);
            if pixels > MAX_GIF_FRAME_PIXELS {
                return Err(ImageError::Corrupt(format!(
                    "its frames hold more than {MAX_GIF_FRAME_PIXELS} pixels in all"
                )));
            }
            // the loop count comes with the extensions before the first frame
            if first && decoder.repeat() != gif::Repeat::Finite(0) {
                encoder
                    .set_repeat(decoder.repeat())
                    .map_err(|e| corrupt(&e))?;
            }
            first = false;
            encoder
                .write_lzw_pre_encoded_frame(&frame)
                .map_err(|e| corrupt(&e))?;
        }
    }
    Ok(out)
}

/// The upload again without its metadata, its pixel data as uploaded: a JPEG keeps its JFIF
/// (APP0), ICC profile (APP2) and Adobe colour (APP14) segments and loses every other
/// application segment (EXIF and XMP in APP1, IPTC in APP13, ...), its comments and whatever
/// follows its end (a phone's second image or video); a PNG loses its text, EXIF and time
/// chunks; a WebP its EXIF and XMP chunks. The orientation survives as the one EXIF tag left,
/// when it is not the plain one.
fn without_metadata(
    format: ImageFormat,
    bytes: &[u8],
    orientation: Orientation,
) -> Result<Vec<u8>, ImageError> {
    let corrupt = |e: img_parts::Error| ImageError::Corrupt(e.to_string());
    let exif = (orientation != Orientation::NoTransforms)
        .then(|| bytes::Bytes::from(orientation_exif(orientation)));
    let out = match format {
        ImageFormat::Jpeg => {
            let end = jpeg_end(bytes).ok_or(ImageError::Truncated)?;
            let mut jpeg =
                img_parts::jpeg::Jpeg::from_bytes(bytes::Bytes::copy_from_slice(&bytes[..end]))
                    .map_err(corrupt)?;
            jpeg.segments_mut().retain(|segment| {
                let marker = segment.marker();
                let application = (0xE0..=0xEF).contains(&marker);
                let kept_application = marker == 0xE0
                    || marker == 0xEE
                    || (marker == 0xE2 && segment.contents().starts_with(b"ICC_PROFILE\0"));
                marker != 0xFE && (!application || kept_application)
            });
            jpeg.set_exif(exif);
            jpeg.encoder().bytes()
        }
        ImageFormat::Png => {
            let mut png = img_parts::png::Png::from_bytes(bytes::Bytes::copy_from_slice(bytes))
                .map_err(corrupt)?;
            png.chunks_mut()
                .retain(|chunk| !matches!(&chunk.kind(), b"tEXt" | b"zTXt" | b"iTXt" | b"tIME"));
            png.set_exif(exif);
            png.encoder().bytes()
        }
        _ => {
            let mut webp = img_parts::webp::WebP::from_bytes(bytes::Bytes::copy_from_slice(bytes))
                .map_err(corrupt)?;
            webp.remove_chunks_by_id(img_parts::webp::CHUNK_XMP);
            // also brings the header's flags in line with the chunks left
            webp.set_exif(exif);
            webp.encoder().bytes()
        }
    };
    Ok(out.to_vec())
}

/// An EXIF block (a big-endian TIFF header and one IFD) holding only the orientation tag.
fn orientation_exif(orientation: Orientation) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend(1u16.to_be_bytes()); // one entry
    tiff.extend(0x0112u16.to_be_bytes()); // Orientation
    tiff.extend(3u16.to_be_bytes()); // SHORT
    tiff.extend(1u32.to_be_bytes()); // one value, held in the entry
    tiff.extend(u16::from(orientation.to_exif()).to_be_bytes());
    tiff.extend([0, 0]);
    tiff.extend(0u32.to_be_bytes()); // no next IFD
    tiff
}

/// The image encoded anew, its orientation applied and its colour profile kept: a JPEG at
/// quality 90, a PNG losslessly, a WebP at quality 90.
fn reencode(
    format: ImageFormat,
    img: &DynamicImage,
    icc: Option<Vec<u8>>,
) -> Result<Vec<u8>, ImageError> {
    let corrupt = |e: image::ImageError| ImageError::Corrupt(e.to_string());
    let mut out = Vec::new();
    match format {
        ImageFormat::Jpeg => {
            let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
            if let Some(icc) = icc {
                // a profile too big for the encoder is left out, as one that cannot be read
                let _ = encoder.set_icc_profile(icc);
            }
            // a JPEG decodes to 8-bit RGB or grey, which the encoder takes without a copy
            match img {
                DynamicImage::ImageRgb8(_) | DynamicImage::ImageLuma8(_) => {
                    img.write_with_encoder(encoder)
                }
                other => other.to_rgb8().write_with_encoder(encoder),
            }
            .map_err(corrupt)?;
        }
        ImageFormat::Png => {
            let mut encoder = image::codecs::png::PngEncoder::new(&mut out);
            if let Some(icc) = icc {
                let _ = encoder.set_icc_profile(icc);
            }
            img.write_with_encoder(encoder).map_err(corrupt)?;
        }
        _ => out = webp(img, 90.0)?,
    }
    Ok(out)
}

/// Whether a JPEG or PNG ends before its image data does (decoders fill the rest with grey).
fn truncated(format: ImageFormat, bytes: &[u8]) -> bool {
    match format {
        ImageFormat::Jpeg => jpeg_end(bytes).is_none(),
        ImageFormat::Png => !png_has_end(bytes),
        _ => false,
    }
}

/// Walks a JPEG's segments and entropy-coded scans to its end-of-image marker, and answers
/// where the image ends (after that marker); `None` when it is missing. Markers inside
/// segments (an EXIF thumbnail's) are skipped by the segment lengths; in scan data a `0xFF` is
/// followed by `0x00` or a restart marker, so any other marker there is real.
fn jpeg_end(bytes: &[u8]) -> Option<usize> {
    let mut i = 2; // after SOI
    loop {
        // fill bytes may precede a marker
        while bytes.get(i) == Some(&0xFF) && bytes.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        if bytes.get(i) != Some(&0xFF) {
            return None;
        }
        let &marker = bytes.get(i + 1)?;
        match marker {
            0xD9 => return Some(i + 2),
            0x01 | 0xD0..=0xD7 => i += 2,
            _ => {
                let len = bytes.get(i + 2..i + 4)?;
                i += 2 + usize::from(u16::from_be_bytes([len[0], len[1]]));
                if marker == 0xDA {
                    // entropy-coded data up to the next marker that is not a restart
                    loop {
                        let n = bytes.get(i..)?.iter().position(|&c| c == 0xFF)?;
                        i += n;
                        match bytes.get(i + 1) {
                            Some(0x00 | 0xD0..=0xD7 | 0xFF) => i += 1,
                            Some(_) => break,
                            None => return None,
                        }
                    }
                }
            }
        }
    }
}

/// Whether a PNG's chunks run, length by length, to its `IEND` chunk.
fn png_has_end(bytes: &[u8]) -> bool {
    let mut i = 8; // after the signature
    while let Some(head) = bytes.get(i..i + 8) {
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        if &head[4..8] == b"IEND" {
            return true;
        }
        i = i.saturating_add(12).saturating_add(len);
    }
    false
}

/// Largest scratch buffer a resize may take beside the source and the result.
const MAX_RESIZE_SCRATCH: u64 = 64 * 1024 * 1024;

/// `img` scaled down to `width`. A filtered resize (Catmull-Rom) first scales vertically into
/// a buffer of 16 bytes per pixel, source width × new height (hundreds of MiB for a large or
/// tall image); when that would be big, or the image shrinks by half or more, area averaging
/// (each source pixel adds to one target pixel) needs no buffer but the result's.
fn shrink(img: &DynamicImage, width: u32) -> DynamicImage {
    let height =
        (u64::from(img.height()) * u64::from(width) / u64::from(img.width().max(1))).max(1);
    let scratch = u64::from(img.width()) * height * 16;
    if img.width() >= 2 * width || scratch > MAX_RESIZE_SCRATCH {
        img.thumbnail(width, u32::MAX)
    } else {
        img.resize(width, u32::MAX, image::imageops::FilterType::CatmullRom)
    }
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
    fn variants_are_narrower_webp_versions_and_one_at_the_original_width() {
        let p = process(&png(1200, 600)).unwrap();
        assert_eq!((p.width, p.height, p.ext), (1200, 600, "png"));
        let widths: Vec<u32> = p.variants.iter().map(|v| v.width).collect();
        assert_eq!(widths, [600, 1000, 1200]);
        assert_eq!(p.variants[0].height, 300);
        assert_eq!(p.variants[2].height, 600);
        for variant in &p.variants {
            assert_eq!(&variant.bytes[8..12], b"WEBP");
            let decoded = image::load_from_memory(&variant.bytes).unwrap();
            assert_eq!(
                (decoded.width(), decoded.height()),
                (variant.width, variant.height)
            );
        }
        // a very large one stops at the widest step, which covers every image slot
        let large = process(&png(4500, 3000)).unwrap();
        let widths: Vec<u32> = large.variants.iter().map(|v| v.width).collect();
        assert_eq!(widths, [600, 1000, 1600, 2400]);
        // a small image gets its WebP too
        let small = process(&png(300, 200)).unwrap();
        let widths: Vec<u32> = small.variants.iter().map(|v| v.width).collect();
        assert_eq!(widths, [300]);
    }

    /// `jpeg` with segments inserted after its start: EXIF with a GPS position, XMP, an ICC
    /// profile and a comment, each with a recognisable text, and a second image after its end.
    fn jpeg_with_metadata(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        fn segment(marker: u8, contents: &[u8]) -> Vec<u8> {
            let mut out = vec![0xFF, marker];
            out.extend(((contents.len() + 2) as u16).to_be_bytes());
            out.extend(contents);
            out
        }
        // a big-endian TIFF: IFD0 (orientation, GPS IFD pointer), then the GPS IFD
        let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
        tiff.extend(2u16.to_be_bytes());
        tiff.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1]);
        tiff.extend(orientation.to_be_bytes());
        tiff.extend([0, 0]);
        tiff.extend([0x88, 0x25, 0, 4, 0, 0, 0, 1]);
        tiff.extend(38u32.to_be_bytes());
        tiff.extend(0u32.to_be_bytes());
        // GPS IFD at 38: GPSLatitudeRef "N", GPSAreaInformation "gps-secret-place"
        tiff.extend(2u16.to_be_bytes());
        tiff.extend([0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
        tiff.extend([0, 0x1C, 0, 7, 0, 0, 0, 16]);
        tiff.extend(68u32.to_be_bytes());
        tiff.extend(0u32.to_be_bytes());
        tiff.extend(b"gps-secret-place");
        let exif = segment(0xE1, &[&b"Exif\0\0"[..], &tiff].concat());
        let xmp = segment(
            0xE1,
            b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>xmp-secret</x:xmpmeta>",
        );
        let icc = segment(0xE2, b"ICC_PROFILE\0\x01\x01icc-kept");
        let comment = segment(0xFE, b"comment-secret");
        [
            &jpeg[..2],
            &exif,
            &xmp,
            &icc,
            &comment,
            &jpeg[2..],
            b"trailing-secret",
        ]
        .concat()
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_jpeg_loses_its_metadata_but_not_its_pixels_or_colour_profile() {
        let plain = jpeg(640, 480);
        let upload = jpeg_with_metadata(&plain, 1);
        assert!(contains(&upload, b"gps-secret-place"));
        let p = process(&upload).unwrap();
        for secret in [
            &b"gps-secret-place"[..],
            b"Exif",
            b"xmp-secret",
            b"comment-secret",
            b"trailing-secret",
        ] {
            assert!(
                !contains(&p.original, secret),
                "{}",
                String::from_utf8_lossy(secret)
            );
        }
        assert!(contains(&p.original, b"icc-kept"), "the ICC profile stays");
        assert!(p.original.len() <= upload.len());
        // the pixel data is the upload's: not encoded again
        let scan = plain.len() - 2000..plain.len();
        assert!(contains(&p.original, &plain[scan]));
        let decoded = image::load_from_memory(&p.original).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (640, 480));
    }

    #[test]
    fn a_rotated_jpeg_keeps_only_its_orientation() {
        let upload = jpeg_with_metadata(&jpeg(640, 480), 6);
        let p = process(&upload).unwrap();
        assert_eq!((p.width, p.height), (480, 640), "turned upright");
        assert!(!contains(&p.original, b"gps-secret-place"));
        let mut decoder = image::codecs::jpeg::JpegDecoder::new(Cursor::new(&p.original)).unwrap();
        assert_eq!(decoder.orientation().unwrap(), Orientation::Rotate90);
        assert_eq!(p.variants.last().unwrap().width, 480);
    }

    #[test]
    fn a_png_loses_its_text_chunks() {
        let upload = png(200, 100);
        let mut text = b"tEXt".to_vec();
        text.extend(b"Comment\0png-secret");
        let crc = {
            let mut crc = flate2::Crc::new();
            crc.update(&text);
            crc.sum()
        };
        let mut chunk = ((text.len() - 4) as u32).to_be_bytes().to_vec();
        chunk.extend(&text);
        chunk.extend(crc.to_be_bytes());
        // after the signature and IHDR (8 + 25 bytes)
        let upload = [&upload[..33], &chunk, &upload[33..]].concat();
        let p = process(&upload).unwrap();
        assert!(!contains(&p.original, b"png-secret"));
        assert!(p.original.len() < upload.len());
        let decoded = image::load_from_memory(&p.original).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (200, 100));
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

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x * 7 % 256) as u8, (y * 13 % 256) as u8, 128])
        });
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg)
            .unwrap();
        out
    }

    #[test]
    fn big_images_weigh_their_decoded_size_and_small_ones_little() {
        // 4000 × 3000 RGB: 34 MiB decoded, about 60 MiB at the peak
        let big = png(4000, 3000);
        assert!(
            (55..=65).contains(&weight_mib(&big)),
            "{}",
            weight_mib(&big)
        );
        assert_eq!(weight_mib(&png(64, 64)), 1);
        assert_eq!(weight_mib(b"not an image"), 1);
    }

    #[test]
    fn truncated_files_are_told_from_whole_ones() {
        let whole = jpeg(300, 200);
        assert_eq!(jpeg_end(&whole), Some(whole.len()));
        // data after the end (a phone's motion photo) is not truncation
        assert_eq!(
            jpeg_end(&[&whole[..], b"ftypmp42 and more"].concat()),
            Some(whole.len())
        );
        for cut in [whole.len() - 2, whole.len() / 2, 200] {
            assert_eq!(jpeg_end(&whole[..cut]), None, "cut at {cut}");
            assert!(matches!(process(&whole[..cut]), Err(ImageError::Truncated)));
        }
        let whole = png(300, 200);
        assert!(png_has_end(&whole));
        assert!(!png_has_end(&whole[..whole.len() - 12]));
        assert!(matches!(
            process(&whole[..whole.len() / 2]),
            Err(ImageError::Truncated)
        ));
    }

    #[test]
    fn the_decoded_size_counts_the_colour_depth() {
        // a 16-bit RGBA header announcing 7000×7000: under the pixel limit, over the budget
        let mut out = Vec::new();
        DynamicImage::ImageRgba16(image::ImageBuffer::new(1, 1))
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out[16..20].copy_from_slice(&7000u32.to_be_bytes());
        out[20..24].copy_from_slice(&7000u32.to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(&out[12..29]);
        out[29..33].copy_from_slice(&crc.sum().to_be_bytes());
        match process(&out) {
            Err(e @ ImageError::TooManyBytes { .. }) => assert_eq!(
                e.to_string(),
                "too many pixels for its colour depth: 7000×7000 pixels of 8 bytes need 374 MiB to decode; the largest accepted is 256 MiB"
            ),
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("accepted"),
        }
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

/// Peak memory of processing a large photo:
/// `/usr/bin/time -v target/debug/deps/quire-… --ignored media::image::memory --nocapture`.
#[cfg(test)]
mod memory {
    use super::*;

    #[test]
    #[ignore]
    fn process_a_49_megapixel_jpeg() {
        let side = 7000;
        let img = image::RgbImage::from_fn(side, side, |x, y| {
            image::Rgb([
                (x * 7 % 256) as u8,
                (y * 13 % 256) as u8,
                ((x ^ y) % 256) as u8,
            ])
        });
        let mut jpeg = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)
            .unwrap();
        let start = std::time::Instant::now();
        let p = process(&jpeg).unwrap();
        eprintln!(
            "{} bytes in, {} variants, {:?}",
            jpeg.len(),
            p.variants.len(),
            start.elapsed()
        );
    }
}
