//! Images from the admin: an author adds one to a post in the editor on one replica and every
//! replica's page shows it from the CDN URL with `srcset`; bad files are refused with a clear
//! message and leave nothing in the text; the media library lists what is used and deletes
//! only what is not. Storage is a real S3-protocol server (s3s-fs) in this process, shared by
//! both replicas, as in a scaled deployment.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::helpers::{ApiSession, Browser, TestApp, TestDb, create_staff, driver};
use crate::support::images::{jpeg, png};
use crate::support::s3::{BUCKET, S3Server};
use crate::support::temp::TempDir;

const CDN: &str = "https://cdn.example.net";

/// Writes a file for the browser to pick; answers its absolute path.
fn write_file(dir: &TempDir, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

/// Picks a file in the `<input type="file">` matching `css`, as the file dialog would.
async fn pick(browser: &Browser, css: &str, path: &str) {
    browser
        .find(css)
        .await
        .send_keys(path)
        .await
        .unwrap_or_else(|e| panic!("pick {path} in {css}: {e}"));
}

/// The page at `url` once it answers 200 (the other replica may take a moment to notice).
async fn page_when_ready(url: &str) -> String {
    let client = reqwest::Client::new();
    let start = Instant::now();
    loop {
        if let Ok(response) = client.get(url).send().await
            && response.status() == 200
        {
            return response.text().await.unwrap();
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{url} never answered 200"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_author_adds_an_image_in_the_editor_and_every_replica_shows_it_from_the_cdn() {
    let Some(mut driver) = driver().await else {
        return;
    };
    let db = TestDb::new().await;
    let s3 = S3Server::start().await;
    let s3_client = s3.client();
    let storage = s3.storage("blog", CDN);
    // a small limit, so that a too-large file is quick to make
    let small_limit = |c: &mut quire::config::Config| c.media.upload_max_mb = 1;
    let a = TestApp::spawn_at_address_with(&db, small_limit, Some(storage.clone())).await;
    let b = TestApp::spawn_at_address_with(&db, small_limit, Some(storage)).await;
    let author_email = create_staff(&db.pool, "author", "Ann Author").await;
    let editor_email = create_staff(&db.pool, "editor", "Ed Editor").await;
    let files = TempDir::new("uploads");
    let photo = write_file(&files, "photo.jpg", &jpeg(1700, 900, 90));
    let cover = write_file(&files, "cover.jpg", &jpeg(1200, 600, 200));
    let huge = write_file(&files, "huge.jpg", &vec![0xFF; 1536 * 1024]);
    let svg = write_file(
        &files,
        "drawing.svg",
        br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#,
    );

    let author = driver.browser(1280, 900).await;
    author.sign_in(&a, &author_email).await;
    author.open(&a.url("/admin/editor/")).await;
    author.type_into("#title", "Pictured").await;
    author
        .type_into("#markdown", "A walk in the hills.\n")
        .await;
    let before = author.value("#markdown").await;

    // bad files: the reason is shown, and the placeholder goes away again
    pick(&author, "#markdown-file", &huge).await;
    author
        .wait_for_text("#editor-error", "The image is larger than the 1 MiB limit.")
        .await;
    assert_eq!(
        author.value("#markdown").await,
        before,
        "nothing is inserted"
    );
    pick(&author, "#markdown-file", &svg).await;
    author
        .wait_for_text("#editor-error", "SVG images are not accepted")
        .await;
    author
        .wait_until(
            "the placeholder of the refused SVG is removed",
            "return !document.querySelector('#markdown').value.includes('Uploading');",
        )
        .await;
    assert_eq!(
        author.value("#markdown").await,
        before,
        "nothing is inserted"
    );

    // dropped on the text, the same: refused with the reason, nothing inserted
    author
        .client
        .execute(
            "const transfer = new DataTransfer(); \
             transfer.items.add(new File(['<svg xmlns=\"http://www.w3.org/2000/svg\"/>'], \
               'dropped.svg', { type: 'image/svg+xml' })); \
             document.querySelector('#markdown').dispatchEvent( \
               new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));",
            vec![],
        )
        .await
        .unwrap();
    author
        .wait_for_text("#editor-error", "dropped.svg: SVG images are not accepted")
        .await;
    author
        .wait_until(
            "the placeholder of the dropped SVG is removed",
            "return !document.querySelector('#markdown').value.includes('Uploading');",
        )
        .await;
    assert_eq!(
        author.value("#markdown").await,
        before,
        "nothing is inserted"
    );

    // a good one: the Markdown gets the CDN URL and the preview shows it
    pick(&author, "#markdown-file", &photo).await;
    author
        .wait_until(
            "the Markdown gets the uploaded image",
            "return /!\\[photo\\]\\(https:\\/\\/cdn\\.example\\.net\\/blog\\/images\\/[^)]+\\.jpg\\)/\
             .test(document.querySelector('#markdown').value);",
        )
        .await;
    assert!(
        !author.is_displayed("#editor-error").await,
        "a good upload clears the last error"
    );
    let markdown = author.value("#markdown").await;
    assert!(markdown.starts_with(&before), "{markdown}");
    let url = markdown
        .split("](")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap()
        .to_owned();
    author
        .wait_until(
            "the live preview shows the image",
            &format!(
                "return !!document.querySelector('#preview img[src={}]');",
                json!(url)
            ),
        )
        .await;

    // an image pasted from the clipboard goes in at the cursor too
    let pasted = png(40, 30);
    author
        .client
        .execute(
            "const transfer = new DataTransfer(); \
             transfer.items.add(new File([new Uint8Array(arguments[0])], 'image.png', { type: 'image/png' })); \
             const area = document.querySelector('#markdown'); \
             area.focus(); \
             area.setSelectionRange(area.value.length, area.value.length); \
             area.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));",
            vec![json!(pasted)],
        )
        .await
        .unwrap();
    author
        .wait_until(
            "the pasted image is added",
            "return /\\n!\\[image\\]\\(https:\\/\\/cdn\\.example\\.net\\/[^)]+\\.png\\)\\n$/\
             .test(document.querySelector('#markdown').value);",
        )
        .await;

    // the feature image, through its own upload control
    author.click("#settings-toggle").await;
    pick(&author, "#feature-image-file", &cover).await;
    author
        .wait_until(
            "the feature image field gets the uploaded URL",
            "return document.querySelector('#feature-image').value.startsWith('https://cdn.example.net/');",
        )
        .await;
    let feature = author.value("#feature-image").await;
    author
        .wait_displayed(".image-upload-preview", "a preview of the feature image")
        .await;

    author.click("#publish").await;
    author.wait_for_text("#save-state", "Published at").await;

    // the other replica serves the page with the CDN URL and srcset
    let page = page_when_ready(&b.url("/pictured/")).await;
    assert!(page.contains(&format!(r#"src="{url}""#)), "{page}");
    assert!(page.contains(&feature), "the feature image: {page}");
    assert!(
        page.contains("srcset=") && page.contains("-600w.webp 600w"),
        "{page}"
    );
    let key = url.strip_prefix(&format!("{CDN}/")).unwrap();
    let object = s3_client
        .head_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .expect("the image is in the bucket");
    assert_eq!(object.content_type(), Some("image/jpeg"));

    // the media library (replica b, an editor on a phone): used images stay, unused go
    let editor_api = ApiSession::login(&b, &editor_email).await;
    let editor = driver.browser(390, 844).await;
    editor.sign_in(&b, &editor_email).await;
    assert!(editor.text("nav.nav").await.contains("Media"));
    editor.open(&b.url("/admin/media/")).await;
    editor
        .wait_for_text("#media-summary", "3 images, 0 unused.")
        .await;
    assert!(
        !editor.exists(".delete-image").await,
        "used images cannot be deleted"
    );
    let spare = write_file(&files, "spare.jpg", &jpeg(800, 500, 10));
    pick(&editor, "#media-file", &spare).await;
    editor
        .wait_for_text("#media-summary", "4 images, 1 unused.")
        .await;
    editor
        .wait_for_text("#media-upload-status", "1 image uploaded.")
        .await;
    let card = ".media-card:has(.delete-image)";
    let spare_url = editor
        .find(card)
        .await
        .attr("data-url")
        .await
        .unwrap()
        .unwrap();
    assert!(spare_url.starts_with(CDN), "{spare_url}");
    editor.click(&format!("{card} .delete-image")).await;
    editor
        .wait_until(
            "the confirmation opens",
            "return document.querySelector('#confirm-dialog').open;",
        )
        .await;
    editor.click("#confirm-ok").await;
    editor.wait_for_text("#toast", "Image deleted.").await;
    editor
        .wait_for_text("#media-summary", "3 images, 0 unused.")
        .await;
    let spare_key = spare_url.strip_prefix(&format!("{CDN}/")).unwrap();
    assert!(
        s3_client
            .head_object()
            .bucket(BUCKET)
            .key(spare_key)
            .send()
            .await
            .is_err(),
        "the deleted image is gone from the bucket"
    );

    // an image that becomes used after the list was shown: the server's refusal is shown
    let late = write_file(&files, "late.jpg", &jpeg(700, 400, 40));
    pick(&editor, "#media-file", &late).await;
    editor
        .wait_for_text("#media-summary", "4 images, 1 unused.")
        .await;
    let late_url = editor
        .find(card)
        .await
        .attr("data-url")
        .await
        .unwrap()
        .unwrap();
    editor_api
        .call(
            Method::POST,
            "/posts",
            Some(json!({"title": "Late", "markdown": format!("![late]({late_url})")})),
        )
        .await;
    editor.click(&format!("{card} .delete-image")).await;
    editor
        .wait_until(
            "the confirmation opens",
            "return document.querySelector('#confirm-dialog').open;",
        )
        .await;
    editor.click("#confirm-ok").await;
    editor.wait_for_text("#media-error", "still used").await;
    editor
        .wait_for_text("#media-summary", "4 images, 0 unused.")
        .await;

    editor.close().await;

    // the site logo, uploaded from the settings by an administrator
    let admin_email = create_staff(&db.pool, "administrator", "Ada Admin").await;
    author.click("#sign-out").await;
    author.wait_for_path("/admin/login/").await;
    author.sign_in(&a, &admin_email).await;
    author.open(&a.url("/admin/settings/")).await;
    let logo = write_file(&files, "logo.png", &png(240, 80));
    pick(&author, "#set-logo-file", &logo).await;
    author
        .wait_until(
            "the logo field gets the uploaded URL",
            "return document.querySelector('#set-logo').value.startsWith('https://cdn.example.net/');",
        )
        .await;
    let logo_url = author.value("#set-logo").await;
    author
        .wait_displayed(".image-upload-preview", "a preview of the logo")
        .await;
    author.click("#settings-form button[type=submit]").await;
    author.wait_for_text("#toast", "Settings saved").await;
    let start = Instant::now();
    while !page_when_ready(&b.url("/")).await.contains(&logo_url) {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the other replica never showed the logo"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // "Remove" empties the field again
    author.click(".remove-button").await;
    assert_eq!(author.value("#set-logo").await, "");
    assert!(!author.is_displayed(".image-upload-preview").await);
    author.close().await;
}
