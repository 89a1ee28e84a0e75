//! Webhooks as Ghost sends them: a receiving HTTP server in the test checks the signature and
//! the payload of `post.published`, waits out a receiver that is down at first, and counts
//! that each event arrives once with two replicas working from the same queue.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, TestDb, eventually};

/// What a receiver got: each call's `X-Ghost-Signature` and body.
type Received = Arc<Mutex<Vec<(Option<String>, String)>>>;

/// A webhook receiver on `port`, answering 200 to every POST.
async fn receiver(port: u16) -> Received {
    let received: Received = Arc::default();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind the receiver's port");
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post({
            let received = received.clone();
            move |headers: HeaderMap, body: String| async move {
                let signature = headers
                    .get("x-ghost-signature")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                received.lock().unwrap().push((signature, body));
                "ok"
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    received
}

/// Checks `X-Ghost-Signature` (`sha256=HEX, t=MS`) as a receiver does, with an HMAC of its own.
fn signed_with(secret: &str, header: &str, body: &str) -> bool {
    let Some((mac, ts)) = header.split_once(", t=") else {
        return false;
    };
    let Some(mac) = mac
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
    else {
        return false;
    };
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    ring::hmac::verify(&key, format!("{body}{ts}").as_bytes(), &mac).is_ok()
}

async fn webhook(app: &TestApp, admin: &Session, event: &str, port: u16) -> Value {
    let (status, integration) = app
        .api(
            Method::POST,
            "/integrations",
            Some(admin),
            Some(json!({"name": "Automation"})),
        )
        .await;
    assert_eq!(status, 201, "{integration}");
    let path = format!(
        "/integrations/{}/webhooks",
        integration["id"].as_str().unwrap()
    );
    let (status, hook) = app
        .api(
            Method::POST,
            &path,
            Some(admin),
            Some(json!({
                "event": event,
                "target_url": format!("http://127.0.0.1:{port}/hook"),
                "name": "Rebuild",
                "secret": "a shared secret",
            })),
        )
        .await;
    assert_eq!(status, 201, "{hook}");
    assert!(hook.get("secret").is_none(), "the secret is not shown back");
    hook
}

async fn publish(app: &TestApp, admin: &Session, title: &str) -> Value {
    let (status, post) = app
        .api(
            Method::POST,
            "/posts",
            Some(admin),
            Some(json!({"title": title, "markdown": "Hello.", "status": "published"})),
        )
        .await;
    assert_eq!(status, 201, "{post}");
    post
}

#[tokio::test]
async fn a_signed_delivery_waits_out_a_receiver_that_is_down_and_arrives_once() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let admin = app.signed_in("administrator").await;
    let port = crate::support::temp::free_ports(1)[0];
    webhook(&app, &admin, "post.published", port).await;
    // events nobody listens to queue nothing
    let (_, draft) = app
        .api(
            Method::POST,
            "/posts",
            Some(&admin),
            Some(json!({"title": "A draft", "markdown": "Not yet."})),
        )
        .await;
    assert_eq!(draft["status"], "draft");

    publish(&app, &admin, "Out now").await;
    // nobody listens yet: the first attempt fails and is scheduled again
    eventually(
        Duration::from_secs(10),
        "a failed first attempt",
        || async {
            // an attempt is counted when it is claimed: wait for its outcome too
            let row: Option<(i32, String, Option<String>)> = sqlx::query_as(
                "select attempts, state, last_result from jobs where kind = 'webhook.delivery'",
            )
            .fetch_optional(&db.pool)
            .await
            .unwrap();
            matches!(row, Some((attempts, state, Some(_))) if attempts >= 1 && state == "pending")
        },
    )
    .await;
    let (_, deliveries) = app
        .api(Method::GET, "/webhooks/deliveries", Some(&admin), None)
        .await;
    assert_eq!(deliveries[0]["event"], "post.published", "{deliveries}");
    // waiting for its next attempt, or already in it on a slow machine (the first retry is
    // due two seconds after the failure)
    assert!(
        deliveries[0]["state"] == "pending" || deliveries[0]["state"] == "sending",
        "{deliveries}"
    );
    assert_eq!(
        deliveries[0]["last_result"], "cannot connect to the receiver",
        "{deliveries}"
    );

    let received = receiver(port).await;
    eventually(Duration::from_secs(20), "the retried delivery", || async {
        !received.lock().unwrap().is_empty()
    })
    .await;
    // time for a duplicate to show up, if one were sent
    tokio::time::sleep(Duration::from_secs(3)).await;
    let calls = received.lock().unwrap().clone();
    assert_eq!(calls.len(), 1, "delivered once: {calls:?}");
    let (signature, body) = &calls[0];
    let signature = signature.as_deref().expect("a signed call");
    assert!(
        signed_with("a shared secret", signature, body),
        "{signature}"
    );
    assert!(!signed_with("another secret", signature, body));
    let payload: Value = serde_json::from_str(body).unwrap();
    let current = &payload["post"]["current"];
    assert_eq!(current["title"], "Out now", "{payload}");
    assert_eq!(current["status"], "published");
    assert!(current["html"].as_str().unwrap().contains("Hello."));
    assert_eq!(payload["post"]["previous"], json!({}));

    let (_, deliveries) = app
        .api(Method::GET, "/webhooks/deliveries", Some(&admin), None)
        .await;
    assert_eq!(deliveries.as_array().unwrap().len(), 1, "{deliveries}");
    assert_eq!(deliveries[0]["state"], "done", "{deliveries}");
    assert_eq!(deliveries[0]["last_result"], "200");
    assert!(deliveries[0]["attempts"].as_i64().unwrap() >= 2);
}

#[tokio::test]
async fn with_two_replicas_each_event_is_delivered_exactly_once() {
    let db = TestDb::new().await;
    let (a, b) = (TestApp::spawn(&db).await, TestApp::spawn(&db).await);
    let admin = a.signed_in("administrator").await;
    let port = crate::support::temp::free_ports(1)[0];
    let received = receiver(port).await;
    webhook(&a, &admin, "post.published", port).await;
    webhook(&a, &admin, "post.unpublished", port).await;

    let mut ids = Vec::new();
    for i in 0..8 {
        ids.push(publish(&a, &admin, &format!("Post {i}")).await["id"].clone());
    }
    // one taken down again, from the other replica's pool
    sqlx::query("update posts set status = 'draft', published_at = null where title = 'Post 0'")
        .execute(&b.pool)
        .await
        .unwrap();
    eventually(Duration::from_secs(20), "nine deliveries", || async {
        received.lock().unwrap().len() >= 9
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let calls = received.lock().unwrap().clone();
    let mut events: Vec<(String, String)> = calls
        .iter()
        .map(|(signature, body)| {
            assert!(signed_with(
                "a shared secret",
                signature.as_deref().unwrap(),
                body
            ));
            let payload: Value = serde_json::from_str(body).unwrap();
            let post = &payload["post"];
            let title = post["current"]["title"].as_str().unwrap().to_owned();
            let kind = if post["previous"]["status"] == "published" {
                "unpublished"
            } else {
                "published"
            };
            (kind.to_owned(), title)
        })
        .collect();
    events.sort();
    let mut expected: Vec<(String, String)> = (0..8)
        .map(|i| ("published".to_owned(), format!("Post {i}")))
        .collect();
    expected.push(("unpublished".into(), "Post 0".into()));
    expected.sort();
    assert_eq!(events, expected, "each event once");
    assert_eq!(ids.len(), 8);
}

#[tokio::test]
async fn a_delivery_held_by_a_replica_that_died_is_made_once_its_claim_lapses() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let admin = app.signed_in("administrator").await;
    let port = crate::support::temp::free_ports(1)[0];
    let received = receiver(port).await;
    let hook = webhook(&app, &admin, "site.changed", port).await;
    // as a replica leaves a delivery it claimed, then was killed before it called: one attempt
    // counted, held for three more seconds
    sqlx::query(
        "insert into jobs (kind, payload, attempts, locked_until)
         values ('webhook.delivery', $1, 1, now() + interval '3 seconds')",
    )
    .bind(json!({"webhook": hook["id"], "event": "site.changed", "body": "{}"}))
    .execute(&db.pool)
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        received.lock().unwrap().is_empty(),
        "no other replica takes a job while its claim holds"
    );
    eventually(
        Duration::from_secs(10),
        "the delivery, once the claim lapsed",
        || async { !received.lock().unwrap().is_empty() },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let calls = received.lock().unwrap().clone();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].1, "{}");
    let (state, attempts): (String, i32) =
        sqlx::query_as("select state, attempts from jobs where kind = 'webhook.delivery'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((state.as_str(), attempts), ("done", 2));
}
