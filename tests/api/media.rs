//! Image uploads: local disk and a real S3-protocol server (s3s-fs, in this process).

use std::io::Cursor;
use std::net::SocketAddr;

use image::{DynamicImage, ImageFormat, RgbImage};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, TestDb};

const BUCKET: &str = "quire-media";
const ACCESS_KEY: &str = "quire-test-access";
const SECRET_KEY: &str = "quire-test-secret-key";

/// A photo-like JPEG carrying an EXIF segment with a recognisable marker.
fn jpeg_with_exif(width: u32, height: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 7 % 256) as u8, (y * 3 % 256) as u8, 90])
    });
    let mut jpeg = Vec::new();
    DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)
        .unwrap();
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

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(RgbImage::new(width, height))
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .unwrap();
    out
}

/// Uploads `bytes` as the multipart field `file`, as the editor does.
pub(crate) async fn upload(
    app: &TestApp,
    session: &Session,
    name: &str,
    bytes: &[u8],
) -> (u16, Value) {
    let boundary = "quire-test-boundary-7d1f";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let response = app
        .client
        .post(app.url("/admin/api/images"))
        .header("cookie", &session.cookie)
        .header("x-csrf-token", &session.csrf)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
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
    assert!(image::load_from_memory(&stored).is_ok());

    let widths: Vec<i64> = image["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["width"].as_i64().unwrap())
        .collect();
    assert_eq!(widths, [600, 1000]);
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
    assert!(page.contains(r#"width="1200" height="800""#) && page.contains(r#"loading="lazy""#));

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

/// An in-process S3-protocol server (s3s-fs) on a loopback port, with one bucket.
struct S3Server {
    addr: SocketAddr,
    _root: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl S3Server {
    async fn start() -> Self {
        let root = TempDir(
            std::env::temp_dir().join(format!("quire-s3-{}", uuid::Uuid::new_v4().simple())),
        );
        std::fs::create_dir_all(root.0.join(BUCKET)).unwrap();
        let fs = s3s_fs::FileSystem::new(&root.0).unwrap();
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let http =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let connection = http
                    .serve_connection(hyper_util::rt::TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
        });
        S3Server { addr, _root: root }
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// An S3 client with the test credentials, as the AWS chain would provide them.
fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let config = aws_sdk_s3::config::Builder::new()
        .behavior_version_latest()
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "test",
        ))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .http_client(http)
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::standard().with_max_attempts(1))
        .timeout_config(
            aws_sdk_s3::config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(2))
                .build(),
        )
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

#[tokio::test]
async fn an_s3_upload_lands_in_the_bucket_and_pages_use_the_cdn_url_with_srcset() {
    let db = TestDb::new().await;
    let s3 = S3Server::start().await;
    let client = s3_client(&s3.endpoint());
    let storage = quire::media::Storage::s3(
        client.clone(),
        BUCKET.into(),
        "blog".into(),
        "https://cdn.example.net".into(),
    );
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
    assert_eq!(widths, [600, 1000, 1600]);
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
        s3_client(&format!("http://{closed}")),
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
