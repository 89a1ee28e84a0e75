//! CPU and memory bombs: deeply nested Markdown and HTML, feeds of nested posts, shutdown
//! while work is in flight, and images whose decoding would take too much memory.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::helpers::{PASSWORD, ServeProcess, TestApp, TestDb, create_staff, insert_post};

/// Fails the test instead of hanging when an answer takes far longer than it should.
async fn within<T>(limit: Duration, what: &str, work: impl Future<Output = T>) -> T {
    tokio::time::timeout(limit, work)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {limit:?}"))
}

#[tokio::test]
async fn deeply_nested_markdown_is_refused_at_once_by_preview_and_editor() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let contributor = app.signed_in("contributor").await;
    // each took the renderer minutes (the preview answered 408 after 30 s and kept burning CPU)
    for bomb in [
        ">".repeat(100_000),
        "<div>".repeat(50_000),
        format!("{}x", "- ".repeat(50_000)),
    ] {
        let (status, body) = within(
            Duration::from_secs(20),
            "preview",
            app.api(
                Method::POST,
                "/preview",
                Some(&contributor),
                Some(json!({"markdown": bomb})),
            ),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["field"], "markdown", "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("nested more than 32 levels"), "{message}");

        let (status, body) = within(
            Duration::from_secs(20),
            "create",
            app.api(
                Method::POST,
                "/posts",
                Some(&contributor),
                Some(json!({"title": "Bomb", "markdown": bomb})),
            ),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["field"], "markdown", "{body}");
    }
    let stored: i64 = sqlx::query_scalar("select count(*) from posts where title = 'Bomb'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);

    // nesting a writer would use still renders
    let (status, body) = app
        .api(
            Method::POST,
            "/preview",
            Some(&contributor),
            Some(json!({"markdown": "> quote\n>\n> - item\n>   - sub\n>     > deeper"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["html"].as_str().unwrap().contains("deeper"), "{body}");
}

#[tokio::test]
async fn a_feed_of_deeply_nested_posts_keeps_its_links_absolute() {
    let db = TestDb::new().await;
    // the deepest nesting accepted, over and over: ~110 KB that made every cold feed re-run
    // the sanitiser
    let unit = format!("{}[home](/about/)\n\n", "> ".repeat(30));
    let markdown = unit.repeat(1_000);
    insert_post(&db.pool, "nested", "Nested", &markdown, "published").await;
    let app = TestApp::spawn(&db).await;
    for path in ["/rss/", "/atom.xml", "/feed.json"] {
        let body = within(Duration::from_secs(30), path, app.page(path)).await;
        assert!(
            body.matches("http://blog.test/about/").count() >= 1_000,
            "{path}: links made absolute"
        );
        for relative in [
            r#"href="/about/"#,
            r#"href=\"/about/"#,
            "href=&quot;/about/",
        ] {
            assert!(!body.contains(relative), "{path}: {relative}");
        }
    }
}

#[tokio::test]
async fn a_feed_renders_a_deeply_nested_post_stored_earlier_in_linear_time() {
    let db = TestDb::new().await;
    // HTML stored before nesting was bounded: 40,000 block quotes deep (1 MB). Sanitising it
    // again for every cold feed took the old code well over ten seconds.
    let depth = 40_000;
    let html = format!(
        "{}<p><a href=\"/about/\">home</a></p>{}",
        "<blockquote>".repeat(depth),
        "</blockquote>".repeat(depth)
    );
    let id = insert_post(&db.pool, "deep", "Deep", "placeholder", "published").await;
    sqlx::query("update posts set html = $1 where id = $2")
        .bind(&html)
        .bind(id)
        .execute(&db.pool)
        .await
        .unwrap();
    let app = TestApp::spawn(&db).await;
    for path in ["/rss/", "/atom.xml", "/feed.json"] {
        let started = Instant::now();
        let body = within(Duration::from_secs(60), path, app.page(path)).await;
        let took = started.elapsed();
        assert!(body.contains("http://blog.test/about/"), "{path}");
        assert!(
            took < Duration::from_secs(5),
            "{path} took {took:?} (generous for a debug build; it is milliseconds)"
        );
    }
}

#[tokio::test]
async fn sigterm_stops_the_server_promptly_with_a_bomb_in_flight() {
    let db = TestDb::new().await;
    let email = create_staff(&db.pool, "contributor").await;
    let mut server = ServeProcess::start(&db, &[("QUIRE_LOG", "warn")]).await;
    let client = reqwest::Client::new();
    let url = |p: &str| server.url(p);
    let signed_in = client
        .post(url("/admin/api/session"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200);
    let session = crate::helpers::Session::from_answer(signed_in).await;

    // a few bombs at once, as an attacker would send them
    let bombs: Vec<_> = (0..3)
        .map(|_| {
            client
                .post(url("/admin/api/preview"))
                .header("cookie", &session.cookie)
                .header("x-csrf-token", &session.csrf)
                .json(&json!({"markdown": ">".repeat(100_000)}))
                .send()
        })
        .collect();
    let in_flight = tokio::spawn(futures_util::future::join_all(bombs));
    // give the requests time to reach the renderer
    tokio::time::sleep(Duration::from_millis(500)).await;

    let signalled = Instant::now();
    let status = server.terminate(Duration::from_secs(10)).await;
    assert!(status.success(), "exit status {status}");
    eprintln!("exited {:?} after SIGTERM", signalled.elapsed());
    in_flight.abort();
}

// ---------------------------------------------------------------------------------------------
// Images

/// A real PNG of `width`×`height` black 16-bit RGBA pixels, compressed row by row so the test
/// never holds the decoded image: 7000×7000 is ~1.8 MB on disk and 374 MiB decoded.
fn png_rgba16(width: u32, height: u32) -> Vec<u8> {
    use std::io::Write;
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend(kind);
        out.extend(data);
        out.extend(crc.sum().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([16, 6, 0, 0, 0]); // 16 bits, RGBA, deflate, no filter, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let row = vec![0u8; 1 + width as usize * 8];
    for _ in 0..height {
        z.write_all(&row).unwrap();
    }
    chunk(&mut out, b"IDAT", &z.finish().unwrap());
    chunk(&mut out, b"IEND", &[]);
    out
}

#[tokio::test]
async fn an_image_too_big_for_its_colour_depth_is_refused_before_decoding() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let contributor = app.signed_in("contributor").await;
    let bomb = png_rgba16(7000, 7000);
    assert!(bomb.len() < 2 * 1024 * 1024, "{} bytes", bomb.len());
    let (status, body) = within(
        Duration::from_secs(30),
        "upload",
        crate::media::upload(&app, &contributor, "bomb.png", &bomb),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "file", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Too many pixels for its colour depth: 7000×7000"),
        "{message}"
    );
    assert!(message.contains("256 MiB"), "{message}");
    let stored: i64 = sqlx::query_scalar("select count(*) from media")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);

    // the same pixels at 8 bits fit the budget
    let (status, body) =
        crate::media::upload(&app, &contributor, "ok.png", &png_rgba16(300, 200)).await;
    assert_eq!(status, 201, "{body}");
}

/// A two-frame animated GIF with a comment and an XMP application extension.
fn gif_with_comment() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let palette = [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255];
        let mut encoder = gif::Encoder::new(&mut out, 4, 4, &palette).unwrap();
        encoder.set_repeat(gif::Repeat::Infinite).unwrap();
        encoder
            .write_raw_extension(
                gif::Extension::Comment.into(),
                &[b"secret-gif-comment by someone@example.com"],
            )
            .unwrap();
        encoder
            .write_raw_extension(
                gif::Extension::Application.into(),
                &[b"XMP DataXMP", b"<x:xmpmeta>secret-xmp-marker</x:xmpmeta>"],
            )
            .unwrap();
        for colour in [1u8, 2] {
            let mut frame = gif::Frame::from_indexed_pixels(4, 4, vec![colour; 16], None);
            frame.delay = 10;
            encoder.write_frame(&frame).unwrap();
        }
    }
    out
}

#[tokio::test]
async fn gif_comments_and_metadata_are_not_stored() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let author = app.signed_in("author").await;
    let uploaded = gif_with_comment();
    for marker in [&b"secret-gif-comment"[..], b"secret-xmp-marker"] {
        assert!(uploaded.windows(marker.len()).any(|w| w == marker));
    }
    let (status, image) = crate::media::upload(&app, &author, "anim.gif", &uploaded).await;
    assert_eq!(status, 201, "{image}");
    let served = app.get(image["url"].as_str().unwrap()).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/gif");
    let stored = served.bytes().await.unwrap();
    for marker in [
        &b"secret-gif-comment"[..],
        b"secret-xmp-marker",
        b"XMP Data",
    ] {
        assert!(
            !stored.windows(marker.len()).any(|w| w == marker),
            "{} is stripped",
            String::from_utf8_lossy(marker)
        );
    }
    // still an animation that loops, frame for frame
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    let mut decoder = options.read_info(&stored[..]).unwrap();
    let mut frames = Vec::new();
    while let Some(frame) = decoder.read_next_frame().unwrap() {
        frames.push((frame.delay, frame.buffer.to_vec()));
    }
    assert_eq!(decoder.repeat(), gif::Repeat::Infinite);
    assert_eq!(frames, [(10, vec![1u8; 16]), (10, vec![2u8; 16])]);
}

/// A noisy photo-like image, so that half of the file is half of the picture.
fn photo(format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([
            (x * 7 % 256) as u8,
            (y * 13 % 256) as u8,
            ((x ^ y) % 256) as u8,
        ])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), format)
        .unwrap();
    out
}

#[tokio::test]
async fn truncated_jpegs_and_pngs_are_refused() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let author = app.signed_in("author").await;
    for (name, format) in [
        ("cut.jpg", image::ImageFormat::Jpeg),
        ("cut.png", image::ImageFormat::Png),
    ] {
        let whole = photo(format);
        let (status, body) =
            crate::media::upload(&app, &author, name, &whole[..whole.len() / 2]).await;
        assert_eq!(status, 422, "{name}: {body}");
        assert_eq!(body["error"]["field"], "file", "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("truncated"), "{name}: {message}");
        let (status, body) = crate::media::upload(&app, &author, name, &whole).await;
        assert_eq!(status, 201, "{name}: {body}");
    }
    let stored: i64 = sqlx::query_scalar("select count(*) from media")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 2, "only the whole images");
}
