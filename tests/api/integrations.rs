//! Integrations: keys made for Administrators and the Owner, the Admin API secret shown once,
//! deleting one on one replica stops it on every replica.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, TestDb};

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[tokio::test]
async fn an_integration_gets_ghost_shaped_keys_shown_once_and_is_deleted() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let admin = app.signed_in("administrator").await;
    let editor = app.signed_in("editor").await;

    let (status, made) = app
        .api(
            Method::POST,
            "/integrations",
            Some(&admin),
            Some(json!({"name": "  Next.js front end  "})),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["name"], "Next.js front end");
    assert!(is_hex(made["content_key"].as_str().unwrap(), 26), "{made}");
    let (id, secret) = made["admin_key"].as_str().unwrap().split_once(':').unwrap();
    assert!(is_hex(id, 24) && is_hex(secret, 64), "{made}");
    assert_eq!(made["admin_key_id"], id);

    // the list shows the keys' ids, never the secret again
    let (_, list) = app
        .api(Method::GET, "/integrations", Some(&admin), None)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(secret), "{list}");
    assert_eq!(list[0]["content_key"], made["content_key"]);

    // Editors and below neither see nor make them
    let (status, _) = app
        .api(Method::GET, "/integrations", Some(&editor), None)
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .api(
            Method::POST,
            "/integrations",
            Some(&editor),
            Some(json!({"name": "Sneaky"})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, answer) = app
        .api(
            Method::POST,
            "/integrations",
            Some(&admin),
            Some(json!({"name": " "})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["field"], "name");

    // two integrations never share a key
    let (_, other) = app
        .api(
            Method::POST,
            "/integrations",
            Some(&admin),
            Some(json!({"name": "Writing app"})),
        )
        .await;
    assert_ne!(other["content_key"], made["content_key"]);
    assert_ne!(other["admin_key"], made["admin_key"]);

    let path = format!("/integrations/{}", made["id"].as_str().unwrap());
    let (status, _) = app.api(Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!(status, 204);
    let (status, _) = app.api(Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!(status, 404);
    let (_, list) = app
        .api(Method::GET, "/integrations", Some(&admin), None)
        .await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Writing app"]);
}
