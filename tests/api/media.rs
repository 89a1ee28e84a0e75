//! Image uploads: local disk and a real S3-protocol server (s3s-fs, in this process).

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, TestDb};
use crate::support::images::jpeg;
pub(crate) use crate::support::images::png;
use crate::support::s3::{self, BUCKET, S3Server};

/// A photo-like JPEG carrying an EXIF segment with a recognisable marker.
fn jpeg_with_exif(width: u32, height: u32) -> Vec<u8> {
    let jpeg = jpeg(width, height, 90);
    // EXIF: a big-endian TIFF header and one IFD entry, ImageDescription = the marker
    let description = b"secret-gps-marker\0";
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend(1u16.to_be_bytes());
    tiff.extend(0x010Eu16.to_be_bytes());
    tiff.extend(2u16.to_be_bytes());
    tiff.extend((description.len() as u32).to_be_bytes());
    tiff.extend(26u32.to_be_bytes());
    tiff.extend(0u32.to_be_bytes());
    tiff.extend(description);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let mut segment = vec![0xFF, 0xE1];
    segment.extend(((app1.len() + 2) as u16).to_be_bytes());
    segment.extend(app1);
    [&jpeg[..2], &segment[..], &jpeg[2..]].concat()
}

/// A photo-like JPEG whose EXIF holds a GPS position: latitude 48° 51' 24" N, longitude
/// 2° 21' 3" E, and a GPS area text that is easy to look for.
fn jpeg_with_gps(width: u32, height: u32) -> Vec<u8> {
    let jpeg = jpeg(width, height, 40);
    let rational = |n: u32| [n.to_be_bytes(), 1u32.to_be_bytes()].concat();
    // a big-endian TIFF: IFD0 with the GPS IFD pointer (at 26), the GPS IFD with four entries
    // (at 26, 2 + 4 × 12 + 4 bytes), then the values it points to (at 80)
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend(1u16.to_be_bytes());
    tiff.extend([0x88, 0x25, 0, 4, 0, 0, 0, 1]);
    tiff.extend(26u32.to_be_bytes());
    tiff.extend(0u32.to_be_bytes());
    tiff.extend(4u16.to_be_bytes());
    tiff.extend([0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]); // GPSLatitudeRef
    tiff.extend([0, 2, 0, 5, 0, 0, 0, 3]); // GPSLatitude: 3 rationals
    tiff.extend(80u32.to_be_bytes());
    tiff.extend([0, 3, 0, 2, 0, 0, 0, 2, b'E', 0, 0, 0]); // GPSLongitudeRef
    tiff.extend([0, 4, 0, 5, 0, 0, 0, 3]); // GPSLongitude: 3 rationals
    tiff.extend(104u32.to_be_bytes());
    tiff.extend(0u32.to_be_bytes());
    for n in [48, 51, 24, 2, 21, 3] {
        tiff.extend(rational(n));
    }
    tiff.extend(b"gps-area-marker");
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let mut segment = vec![0xFF, 0xE1];
    segment.extend(((app1.len() + 2) as u16).to_be_bytes());
    segment.extend(app1);
    [&jpeg[..2], &segment[..], &jpeg[2..]].concat()
}

/// Uploads `bytes` as the multipart field `file`, as the editor does.
pub(crate) async fn upload(
    app: &TestApp,
    session: &Session,
    name: &str,
    bytes: &[u8],
) -> (u16, Value) {
    crate::support::images::upload(
        &app.client,
        &app.base,
        session,
        name,
        "application/octet-stream",
        bytes,
    )
    .await
}

/// Every file under a directory, recursively.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(files_under(&path))
            } else {
                out.push(path)
            }
        }
    }
    out
}

#[tokio::test]
async fn a_local_upload_is_served_with_variants_and_without_metadata() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let author = app.signed_in("author").await;
    let photo = jpeg_with_exif(1200, 800);
    assert!(
        photo.windows(17).any(|w| w == b"secret-gps-marker"),
        "the fixture carries EXIF"
    );

    let (status, image) = upload(&app, &author, "../../etc/passwd.jpg", &photo).await;
    assert_eq!(status, 201, "{image}");
    let url = image["url"].as_str().unwrap();
    assert!(
        url.starts_with("/content/images/20") && url.ends_with(".jpg"),
        "{url}"
    );
    assert!(
        !url.contains("passwd"),
        "keys never come from the uploaded name"
    );
    assert_eq!(
        (image["width"].as_i64(), image["height"].as_i64()),
        (Some(1200), Some(800))
    );

    let served = app.get(url).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    assert_eq!(
        served.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let stored = served.bytes().await.unwrap();
    assert!(
        !stored.windows(17).any(|w| w == b"secret-gps-marker"),
        "EXIF is stripped"
    );
    assert!(!stored.windows(4).any(|w| w == b"Exif"));
    assert!(stored.len() <= photo.len(), "no larger than the upload");
    assert!(image::load_from_memory(&stored).is_ok());

    let widths: Vec<i64> = image["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["width"].as_i64().unwrap())
        .collect();
    assert_eq!(
        widths,
        [600, 1000, 1200],
        "and a WebP at the original width"
    );
    for variant in image["variants"].as_array().unwrap() {
        let response = app.get(variant["url"].as_str().unwrap()).await;
        assert_eq!(response.headers()["content-type"], "image/webp");
        let decoded = image::load_from_memory(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(
            i64::from(decoded.width()),
            variant["width"].as_i64().unwrap()
        );
    }
    assert!(
        image["srcset"].as_str().unwrap().contains(" 600w, "),
        "{image}"
    );

    // an image in the text of a post gets its srcset and dimensions
    let (status, _) = app
        .api(
            Method::POST,
            "/posts",
            Some(&author),
            Some(json!({"title": "Pictured", "markdown": format!("![A test card]({url})"), "status": "published"})),
        )
        .await;
    assert_eq!(status, 201);
    let page = app.page("/pictured/").await;
    assert!(
        page.contains(r#"alt="A test card""#) && page.contains("-600w.webp 600w"),
        "{page}"
    );
    // the first image of a post without a feature image loads at once
    assert!(
        page.contains(r#"width="1200" height="800" loading="eager" fetchpriority="high""#),
        "{page}"
    );

    // the same image again is the same object, not a second copy
    let (status, again) = upload(&app, &author, "copy.jpg", &photo).await;
    assert_eq!(status, 201);
    assert_eq!(again["url"], image["url"]);
    let rows: i64 = sqlx::query_scalar("select count(*) from media")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 1);
}

#[tokio::test]
async fn a_jpeg_with_a_gps_position_is_stored_without_it_and_no_larger_than_uploaded() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let author = app.signed_in("author").await;
    let photo = jpeg_with_gps(1000, 700);
    let latitude = [48u32.to_be_bytes(), 1u32.to_be_bytes()].concat();
    assert!(
        photo.windows(8).any(|w| w == latitude),
        "the fixture has GPS"
    );

    let (status, image) = upload(&app, &author, "holiday.jpg", &photo).await;
    assert_eq!(status, 201, "{image}");
    let stored = app
        .get(image["url"].as_str().unwrap())
        .await
        .bytes()
        .await
        .unwrap();
    assert!(!stored.windows(4).any(|w| w == b"Exif"), "no EXIF block");
    assert!(!stored.windows(8).any(|w| w == latitude), "no GPS latitude");
    assert!(!stored.windows(15).any(|w| w == b"gps-area-marker"));
    assert!(
        stored.len() <= photo.len(),
        "{} bytes stored for {} uploaded",
        stored.len(),
        photo.len()
    );
    assert_eq!(image["bytes"].as_u64(), Some(stored.len() as u64));
    let decoded = image::load_from_memory(&stored).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (1000, 700));
}

#[tokio::test]
async fn a_1600_pixel_upload_gets_a_1600_pixel_webp_in_its_srcset() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let author = app.signed_in("author").await;
    let (status, image) = upload(&app, &author, "wide.jpg", &jpeg(1600, 900, 7)).await;
    assert_eq!(status, 201, "{image}");
    let variants = image["variants"].as_array().unwrap();
    let widths: Vec<i64> = variants
        .iter()
        .map(|v| v["width"].as_i64().unwrap())
        .collect();
    assert_eq!(widths, [600, 1000, 1600]);
    let full = variants.last().unwrap()["url"].as_str().unwrap();
    assert!(full.ends_with("-1600w.webp"), "{full}");
    let response = app.get(full).await;
    assert_eq!(response.headers()["content-type"], "image/webp");
    let decoded = image::load_from_memory(&response.bytes().await.unwrap()).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (1600, 900));

    // the srcset offers the WebP at 1600 px, and not the original JPEG beside it
    let url = image["url"].as_str().unwrap();
    let srcset = image["srcset"].as_str().unwrap();
    assert!(srcset.ends_with(&format!("{full} 1600w")), "{srcset}");
    assert!(!srcset.contains(url), "{srcset}");
    let (status, _) = app
        .api(
            Method::POST,
            "/posts",
            Some(&author),
            Some(json!({"title": "Wide", "markdown": format!("![A wide view]({url})"), "status": "published"})),
        )
        .await;
    assert_eq!(status, 201);
    let page = app.page("/wide/").await;
    assert!(page.contains("-1600w.webp 1600w"), "{page}");
    assert!(!page.contains(".jpg 1600w"), "{page}");
}

#[tokio::test]
async fn bad_uploads_are_refused_clearly_and_leave_nothing_behind() {
    let db = TestDb::new().await;
    let app = TestApp::spawn_with(&db, |c| c.media.upload_max_mb = 1, None).await;
    let author = app.signed_in("author").await;
    let mut bomb = png(1, 1);
    bomb[16..20].copy_from_slice(&30000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&30000u32.to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.sum().to_be_bytes());
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "drawing.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec(),
            415,
            "SVG",
        ),
        (
            "photo.jpg",
            b"this is text pretending to be a photo".to_vec(),
            415,
            "PNG, JPEG, GIF or WebP",
        ),
        ("huge.jpg", vec![0xFF; 1536 * 1024], 413, "1 MiB"),
        ("bomb.png", bomb, 422, "pixels"),
        (
            "cut.jpg",
            jpeg_with_exif(64, 64)[..400].to_vec(),
            422,
            "could not be read",
        ),
    ];
    for (name, bytes, expected, words) in cases {
        let (status, answer) = upload(&app, &author, name, &bytes).await;
        assert_eq!(status, expected, "{name}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(words), "{name}: {message}");
    }
    let rows: i64 = sqlx::query_scalar("select count(*) from media")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    assert!(
        files_under(&app.data_dir).is_empty(),
        "{:?}",
        files_under(&app.data_dir)
    );
    let (status, _) = upload(&app, &author, "x.png", &png(10, 10)).await;
    assert_eq!(status, 201, "a good file still goes through");
    let (status, _) = app.api(Method::POST, "/images", None, None).await;
    assert_eq!(status, 401, "uploads need a session");
}

#[tokio::test]
async fn an_s3_upload_lands_in_the_bucket_and_pages_use_the_cdn_url_with_srcset() {
    let db = TestDb::new().await;
    let s3 = S3Server::start().await;
    let client = s3.client();
    let storage = s3.storage("blog", "https://cdn.example.net");
    let (a, b) = (
        TestApp::spawn_with(&db, |_| {}, Some(storage.clone())).await,
        TestApp::spawn_with(&db, |_| {}, Some(storage)).await,
    );
    let author = a.signed_in("author").await;

    let (status, image) = upload(&a, &author, "photo.jpg", &jpeg_with_exif(1700, 900)).await;
    assert_eq!(status, 201, "{image}");
    let url = image["url"].as_str().unwrap();
    assert!(
        url.starts_with("https://cdn.example.net/blog/images/"),
        "the CDN base URL is used: {url}"
    );

    let key = url.strip_prefix("https://cdn.example.net/").unwrap();
    let object = client
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap();
    assert_eq!(object.content_type(), Some("image/jpeg"));
    assert_eq!(
        object.cache_control(),
        Some("public, max-age=31536000, immutable")
    );
    let body = object.body.collect().await.unwrap().into_bytes();
    assert!(
        !body.windows(17).any(|w| w == b"secret-gps-marker"),
        "EXIF is stripped"
    );
    let widths: Vec<i64> = image["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["width"].as_i64().unwrap())
        .collect();
    assert_eq!(widths, [600, 1000, 1600, 1700]);
    for variant in image["variants"].as_array().unwrap() {
        let vkey = variant["url"]
            .as_str()
            .unwrap()
            .strip_prefix("https://cdn.example.net/")
            .unwrap();
        let head = client
            .head_object()
            .bucket(BUCKET)
            .key(vkey)
            .send()
            .await
            .unwrap();
        assert_eq!(head.content_type(), Some("image/webp"));
    }

    // a post using it, published through replica a, shows with srcset on replica b
    let (status, post) = a
        .api(
            Method::POST,
            "/posts",
            Some(&author),
            Some(json!({"title": "With a picture", "feature_image": url, "status": "published"})),
        )
        .await;
    assert_eq!(status, 201, "{post}");
    let page = b.page("/with-a-picture/").await;
    assert!(page.contains(&format!(r#"src="{url}""#)), "{page}");
    assert!(page.contains("-600w.webp 600w"), "srcset on the post page");
    assert!(page.contains(r#"width="1700" height="900""#));
    assert!(
        b.page("/").await.contains("-600w.webp 600w"),
        "srcset on the home page"
    );
}

#[tokio::test]
async fn when_s3_is_down_an_upload_answers_503_and_saves_nothing_while_pages_keep_working() {
    let db = TestDb::new().await;
    // nothing listens on this port
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let storage = quire::media::Storage::s3(
        s3::client(&format!("http://{closed}")),
        BUCKET.into(),
        String::new(),
        "https://cdn.example.net".into(),
    );
    let app = TestApp::spawn_with(&db, |_| {}, Some(storage)).await;
    let author = app.signed_in("author").await;
    let (status, answer) = upload(&app, &author, "photo.jpg", &jpeg_with_exif(800, 600)).await;
    assert_eq!(status, 503, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nothing was saved"),
        "{answer}"
    );
    let rows: i64 = sqlx::query_scalar("select count(*) from media")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    assert_eq!(
        app.get("/welcome/").await.status(),
        200,
        "pages keep being served"
    );
}
