//! The site on the fediverse: servers find its actor by its handle (WebFinger) and what it
//! runs (NodeInfo), and every replica answers with the same key, made once.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{BASE_URL, TestApp, TestDb, converges};

const ACTIVITY_JSON: &str = "application/activity+json";
const ACTOR: &str = "/activitypub/actor";

fn content_type(response: &reqwest::Response) -> String {
    response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned()
}

async fn actor(app: &TestApp, accept: &str) -> Value {
    let response = app.get_with(ACTOR, &[("Accept", accept)]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), ACTIVITY_JSON);
    response.json().await.unwrap()
}

#[tokio::test]
async fn servers_find_the_sites_actor_by_its_handle_with_one_key_on_every_replica() {
    let db = TestDb::new().await;
    let (a, b) = (TestApp::spawn(&db).await, TestApp::spawn(&db).await);

    // the handle comes from the site's title ("Quire" on a new site)
    let response = a
        .get("/.well-known/webfinger?resource=acct:quire@blog.test")
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "application/jrd+json");
    let jrd: Value = response.json().await.unwrap();
    assert_eq!(jrd["subject"], "acct:quire@blog.test");
    let link = jrd["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "self")
        .expect("a self link")
        .clone();
    assert_eq!(link["type"], ACTIVITY_JSON);
    assert_eq!(link["href"], format!("{BASE_URL}{ACTOR}"));
    // also by the actor's address; no other account, no other host
    let by_url = a
        .get(&format!(
            "/.well-known/webfinger?resource={BASE_URL}{ACTOR}"
        ))
        .await;
    assert_eq!(by_url.status(), 200);
    for other in ["acct:someone@blog.test", "acct:quire@elsewhere.example"] {
        let response = a
            .get(&format!("/.well-known/webfinger?resource={other}"))
            .await;
        assert_eq!(response.status(), 404, "{other}");
    }
    assert_eq!(a.get("/.well-known/webfinger").await.status(), 400);

    // the actor, asked of two replicas at once: one key pair, made once, for both
    let (first, second) = tokio::join!(
        actor(&a, ACTIVITY_JSON),
        actor(
            &b,
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
        )
    );
    assert_eq!(first["id"], format!("{BASE_URL}{ACTOR}"));
    assert_eq!(first["type"], "Person");
    assert_eq!(first["preferredUsername"], "quire");
    assert_eq!(first["inbox"], format!("{BASE_URL}{ACTOR}/inbox"));
    assert_eq!(first["publicKey"]["owner"], first["id"]);
    assert_eq!(
        first["publicKey"]["id"],
        format!("{BASE_URL}{ACTOR}#main-key")
    );
    let pem = first["publicKey"]["publicKeyPem"].as_str().unwrap();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
    assert_eq!(first["publicKey"], second["publicKey"]);
    let stored: i64 = sqlx::query_scalar("select count(*) from activitypub_key")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(stored, 1);
    // a replica started later reads the same
    let c = TestApp::spawn(&db).await;
    assert_eq!(
        actor(&c, ACTIVITY_JSON).await["publicKey"],
        first["publicKey"]
    );
    // a browser is sent to the home page
    let page = a.get_with(ACTOR, &[("Accept", "text/html")]).await;
    assert!(page.status().is_redirection(), "{}", page.status());
    assert_eq!(page.headers()["location"], "/");
    assert_eq!(page.headers()["vary"], "Accept");

    // NodeInfo: where it is, what runs here
    let links: Value = a.get("/.well-known/nodeinfo").await.json().await.unwrap();
    assert_eq!(
        links["links"][0]["href"],
        format!("{BASE_URL}/nodeinfo/2.1")
    );
    let info: Value = a.get("/nodeinfo/2.1").await.json().await.unwrap();
    assert_eq!(info["software"]["name"], "quire");
    assert_eq!(info["protocols"], json!(["activitypub"]));
    assert!(info["usage"]["localPosts"].is_i64(), "{info}");

    // a new title, a new handle, on every replica
    let admin = a.signed_in("administrator").await;
    let (code, _) = a
        .api(
            Method::PUT,
            "/settings",
            Some(&admin),
            Some(json!({"title": "Field Notes"})),
        )
        .await;
    assert_eq!(code, 200);
    converges("the new handle on another replica", || async {
        b.get("/.well-known/webfinger?resource=acct:field_notes@blog.test")
            .await
            .status()
            == 200
    })
    .await;
}
