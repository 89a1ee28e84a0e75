//! Compile-time bundles under `/assets/`.

use crate::helpers::{TestApp, TestDb};

/// The `/assets/...` URLs a page links to.
fn asset_urls(html: &str) -> Vec<String> {
    html.match_indices("/assets/")
        .map(|(i, _)| html[i..].split(['"', '\'']).next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn bundles_linked_from_pages_are_hashed_minified_and_cached_forever() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let html = app.page("/welcome/").await;
    let urls = asset_urls(&html);
    assert!(urls.iter().any(|u| u.ends_with(".css")), "{urls:?}");
    assert!(urls.iter().any(|u| u.ends_with(".js")), "{urls:?}");
    for url in &urls {
        let name = url.rsplit('/').next().unwrap();
        let parts: Vec<&str> = name.split('.').collect();
        assert_eq!(parts.len(), 3, "NAME.HASH.EXT: {name}");
        assert!(
            parts[1].len() >= 8 && parts[1].bytes().all(|b| b.is_ascii_hexdigit()),
            "{name}"
        );

        let response = app.get(url).await;
        assert_eq!(response.status(), 200, "{url}");
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        if url.ends_with(".css") {
            assert_eq!(
                response.headers()["content-type"],
                "text/css; charset=utf-8"
            );
            let css = response.text().await.unwrap();
            assert!(
                !css.contains("\n  ") && !css.contains("/*"),
                "minified: {}",
                &css[..200.min(css.len())]
            );
        }
    }
}

#[tokio::test]
async fn the_precompressed_variant_the_client_accepts_is_served() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let html = app.page("/").await;
    let css = asset_urls(&html)
        .into_iter()
        .find(|u| u.ends_with(".css"))
        .unwrap();
    let plain = app.get(&css).await.bytes().await.unwrap();
    let br = app.get_with(&css, &[("accept-encoding", "br")]).await;
    assert_eq!(br.headers()["content-encoding"], "br");
    let mut decoded = Vec::new();
    brotli::BrotliDecompress(&mut &br.bytes().await.unwrap()[..], &mut decoded).unwrap();
    assert_eq!(decoded, plain);
    let gz = app.get_with(&css, &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn an_unknown_asset_is_404_and_not_cached_forever() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let response = app
        .get("/assets/theme/default/css/screen.0000000000.css")
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["cache-control"], "no-store");
}

#[test]
fn the_admin_script_is_one_minified_bundle_and_its_parts_are_not_served() {
    let bundle = quire::assets::by_logical("admin/admin.js").expect("the admin bundle");
    let js = std::str::from_utf8(bundle.body).unwrap();
    assert!(js.starts_with("(()=>{"), "{}", &js[..80.min(js.len())]);
    assert!(!js.contains("\n  ") && !js.contains("// "), "minified");
    let parts: Vec<&str> = quire::assets::ASSETS
        .iter()
        .map(|a| a.logical)
        .filter(|l| l.starts_with("admin/src/"))
        .collect();
    assert!(parts.is_empty(), "{parts:?}");
}
