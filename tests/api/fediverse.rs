//! The site and a real fediverse server that is not ours: "alice", a small server built on
//! Fedify (`tests/fediverse/follower.mjs`, the framework Ghost's ActivityPub service uses),
//! on loopback. Alice finds the blog by its handle, follows it and gets the `Accept`; then
//! gets each new post as `Create{Article}`, its edit as `Update` and its removal as `Delete`,
//! every one signed so that Fedify verifies it; her reply and like show in the admin. What is
//! not signed by its actor is refused.

use std::process::Stdio;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

use crate::helpers::{TestApp, TestDb, eventually, insert_post};

/// How long alice may take for one step (delivery runs through the job queue).
const STEP: Duration = Duration::from_secs(30);

/// Alice's server, spoken to through its standard streams.
struct Alice {
    child: Child,
    stdin: ChildStdin,
    events: mpsc::UnboundedReceiver<Value>,
    /// Events read while waiting for another one.
    seen: Vec<Value>,
}

impl Alice {
    async fn start(blog_handle: &str) -> Alice {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fediverse");
        assert!(
            std::path::Path::new(dir)
                .join("node_modules/@fedify/fedify")
                .exists(),
            "run `npm ci` in tests/fediverse first (./test.sh does)"
        );
        let mut child = Command::new("node")
            .arg(format!("{dir}/follower.mjs"))
            .args(["--port", "0", "--handle", blog_handle])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start node tests/fediverse/follower.mjs");
        let stdin = child.stdin.take().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (send, events) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                match serde_json::from_str::<Value>(&line) {
                    Ok(event) => {
                        let _ = send.send(event);
                    }
                    Err(_) => eprintln!("[alice] {line}"),
                }
            }
        });
        let mut alice = Alice {
            child,
            stdin,
            events,
            seen: Vec::new(),
        };
        alice.expect("ready", |_| true).await;
        alice
    }

    async fn command(&mut self, line: &str) {
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
        self.stdin.flush().await.unwrap();
    }

    /// The next event named `name` that `matches`; fails on a command's error.
    async fn expect(&mut self, name: &str, matches: impl Fn(&Value) -> bool) -> Value {
        if let Some(at) = self
            .seen
            .iter()
            .position(|e| e["event"] == name && matches(e))
        {
            return self.seen.remove(at);
        }
        let deadline = tokio::time::Instant::now() + STEP;
        loop {
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "alice got no {name} event in {STEP:?}; she saw {:#?}",
                        self.seen
                    )
                })
                .unwrap_or_else(|| panic!("alice's server stopped; she saw {:#?}", self.seen));
            assert_ne!(event["event"], "error", "alice's command failed: {event:#}");
            if event["event"] == name && matches(&event) {
                return event;
            }
            self.seen.push(event);
        }
    }

    /// Whether an event named `name` reached alice among those seen so far, waiting `wait`.
    async fn got_any(&mut self, name: &str, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(Some(event)) = tokio::time::timeout_at(deadline, self.events.recv()).await {
            self.seen.push(event);
        }
        self.seen.iter().find(|e| e["event"] == name).cloned()
    }
}

impl Drop for Alice {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn object_of(event: &Value) -> &Value {
    &event["object"]
}

#[tokio::test]
async fn a_fedify_server_follows_the_blog_gets_its_posts_signed_and_its_reply_shows_in_the_admin() {
    let db = TestDb::new().await;
    let app = TestApp::spawn_at_address(&db).await;
    let host = app.base.trim_start_matches("http://").to_owned();
    let mut alice = Alice::start(&format!("quire@{host}")).await;

    // WebFinger, the actor, a signed Follow; the blog's Accept is verified by Fedify
    alice.command("follow").await;
    let found = alice.expect("found", |_| true).await;
    assert_eq!(found["actor"], app.url("/activitypub/actor"));
    assert_eq!(found["preferredUsername"], "quire");
    let accept = alice.expect("accept", |_| true).await;
    assert_eq!(accept["verifiedBy"], "http-signature", "{accept:#}");
    assert_eq!(accept["actor"], app.url("/activitypub/actor"));
    let editor = app.signed_in("editor").await;
    let (status, followers) = app
        .api(Method::GET, "/fediverse/followers", Some(&editor), None)
        .await;
    assert_eq!(status, 200, "{followers}");
    assert_eq!(followers["total"], 1);
    assert_eq!(followers["followers"][0]["preferred_username"], "alice");
    assert_eq!(followers["handle"], format!("@quire@{host}"));

    // a new post reaches alice as a signed Create{Article}
    let post = insert_post(
        &app.pool,
        "hello-fediverse",
        "Hello, fediverse",
        "The first post the **fediverse** sees.",
        "published",
    )
    .await;
    let create = alice.expect("create", |_| true).await;
    assert_eq!(create["verifiedBy"], "http-signature", "{create:#}");
    let article = object_of(&create);
    assert_eq!(article["type"], "Article", "{create:#}");
    assert_eq!(article["name"], "Hello, fediverse");
    assert_eq!(article["url"], app.url("/hello-fediverse/"));
    assert!(
        article["content"]
            .as_str()
            .unwrap()
            .contains("<strong>fediverse</strong>"),
        "{article:#}"
    );
    let object_id = article["id"].as_str().unwrap().to_owned();

    // the Article is what servers get at the post's own address and at its id
    for url in [app.url("/hello-fediverse/"), object_id.clone()] {
        let answer = app
            .client
            .get(&url)
            .header("Accept", "application/activity+json")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{url}");
        let served: Value = answer.json().await.unwrap();
        assert_eq!(served["id"], object_id.as_str(), "{url}");
        assert_eq!(served["type"], "Article");
    }
    // and a browser still gets the page
    let page = app.page("/hello-fediverse/").await;
    assert!(page.contains("Hello, fediverse"));
    // which names the Article, for servers that get the page (a cache that ignores Accept)
    assert!(
        page.contains(&format!(
            r#"<link rel="alternate" type="application/activity+json" href="{object_id}">"#
        )),
        "{page}"
    );

    // an edit is an Update of the same object
    sqlx::query("update posts set title = 'Hello again, fediverse' where id = $1")
        .bind(post)
        .execute(&app.pool)
        .await
        .unwrap();
    let update = alice.expect("update", |_| true).await;
    assert_eq!(update["verifiedBy"], "http-signature");
    assert_eq!(object_of(&update)["id"], object_id.as_str());
    assert_eq!(object_of(&update)["name"], "Hello again, fediverse");

    // alice replies (with markup that must not survive) and likes the post
    alice
        .command(&format!(
            "reply {object_id} Lovely post! <script>alert(1)</script>"
        ))
        .await;
    alice.expect("sent", |e| e["type"] == "Create").await;
    alice
        .command(&format!("like {}", app.url("/hello-fediverse/")))
        .await;
    alice.expect("sent", |e| e["type"] == "Like").await;
    let path = format!("/posts/{post}/fediverse");
    eventually(
        Duration::from_secs(5),
        "the reply and the like in the admin",
        || async {
            let (status, body) = app.api(Method::GET, &path, Some(&editor), None).await;
            status == 200 && body["replies"] == 1 && body["likes"] == 1
        },
    )
    .await;
    let (_, shown) = app.api(Method::GET, &path, Some(&editor), None).await;
    let reply = shown["interactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "reply")
        .unwrap();
    let html = reply["content_html"].as_str().unwrap();
    assert!(html.contains("Lovely post!"), "{reply:#}");
    assert!(
        !html.contains("<script"),
        "a reply's HTML is sanitised: {html}"
    );
    assert_eq!(
        reply["actor_handle"],
        format!("@alice@{}", alice_host(&found, &accept))
    );

    // taking the post down is a Delete of the object
    sqlx::query("delete from posts where id = $1")
        .bind(post)
        .execute(&app.pool)
        .await
        .unwrap();
    let delete = alice.expect("delete", |_| true).await;
    assert_eq!(delete["verifiedBy"], "http-signature");
    assert_eq!(object_of(&delete)["id"], object_id.as_str(), "{delete:#}");

    // alice unfollows: the blog has no follower left
    alice.command("unfollow").await;
    alice.expect("sent", |e| e["type"] == "Undo").await;
    eventually(
        Duration::from_secs(5),
        "alice gone from the followers",
        || async {
            let (_, body) = app
                .api(Method::GET, "/fediverse/followers", Some(&editor), None)
                .await;
            body["total"] == 0
        },
    )
    .await;
    // and gets nothing more
    insert_post(
        &app.pool,
        "after",
        "After alice left",
        "Quiet.",
        "published",
    )
    .await;
    assert!(
        alice
            .got_any("create", Duration::from_secs(4))
            .await
            .is_none(),
        "a former follower still got a post"
    );
}

/// Alice's host, from the actor id of the Accept's follow (`http://127.0.0.1:PORT/...`).
fn alice_host(_found: &Value, accept: &Value) -> String {
    let follower = accept["activity"]["to"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| accept["activity"]["to"][0].as_str().map(str::to_owned))
        .or_else(|| accept["object"]["actor"].as_str().map(str::to_owned))
        .expect("the Accept names the follower");
    url::Url::parse(&follower)
        .map(|u| format!("{}:{}", u.host_str().unwrap(), u.port().unwrap()))
        .unwrap()
}

#[tokio::test]
async fn the_inbox_refuses_what_its_actor_did_not_sign() {
    let db = TestDb::new().await;
    let app = TestApp::spawn_at_address(&db).await;
    let host = app.base.trim_start_matches("http://").to_owned();
    let mut alice = Alice::start(&format!("quire@{host}")).await;
    alice.command("follow").await;
    let accept = alice.expect("accept", |_| true).await;
    let alice_actor = accept["object"]["actor"]
        .as_str()
        .or_else(|| accept["activity"]["object"]["actor"].as_str())
        .expect("the Accept names alice")
        .to_owned();
    let inbox = app.url("/activitypub/actor/inbox");
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{alice_actor}#forged-unfollow"),
        "type": "Undo",
        "actor": alice_actor,
        "object": {"type": "Follow", "actor": alice_actor, "object": app.url("/activitypub/actor")},
    });
    let body = follow.to_string();

    // no signature at all
    let unsigned = app
        .client
        .post(&inbox)
        .header("Content-Type", "application/activity+json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);

    // signed with a key that is not alice's, claiming to be hers
    let forger = quire::domain::activitypub::generate_key_pair().unwrap();
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let key_id = format!("{alice_actor}#main-key");
    let forged = signed_post(&app, &body, &body, &forger.private_key_pem, &key_id, &date).await;
    assert_eq!(forged.status(), 401);

    // a body changed after signing, with alice's own key id
    let changed = body.replace("Undo", "Like");
    let changed = signed_post(
        &app,
        &body,
        &changed,
        &forger.private_key_pem,
        &key_id,
        &date,
    )
    .await;
    assert_eq!(changed.status(), 401);

    // alice still follows: nothing forged was taken
    let (_, followers) = app
        .api(
            Method::GET,
            "/fediverse/followers",
            Some(&app.signed_in("administrator").await),
            None,
        )
        .await;
    assert_eq!(followers["total"], 1, "{followers}");
}

/// A POST of `sent` to the blog's shared inbox with the headers a fediverse server signs
/// `body` with (the same, unless the test changes it on the way), with `key_id` and the
/// private key `pem`, dated `date`.
async fn signed_post(
    app: &TestApp,
    body: &str,
    sent: &str,
    pem: &str,
    key_id: &str,
    date: &str,
) -> reqwest::Response {
    use quire::domain::http_signature::{digest, sign, signing_string};
    let host = app.base.trim_start_matches("http://").to_owned();
    let digest = digest(body.as_bytes());
    let names: Vec<String> = ["(request-target)", "host", "date", "digest"]
        .map(String::from)
        .to_vec();
    let signed = signing_string(&names, "POST", "/activitypub/inbox", |n| match n {
        "host" => Some(host.as_str()),
        "date" => Some(date),
        "digest" => Some(digest.as_str()),
        _ => None,
    })
    .unwrap();
    let signature = sign(pem, &signed).unwrap();
    app.client
        .post(app.url("/activitypub/inbox"))
        .header("Content-Type", "application/activity+json")
        .header("Host", &host)
        .header("Date", date)
        .header("Digest", &digest)
        .header(
            "Signature",
            format!(
                r#"keyId="{key_id}",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="{signature}""#
            ),
        )
        .body(sent.to_owned())
        .send()
        .await
        .unwrap()
}

/// A Like of the welcome post by `actor`, signed with `pem` under the actor's `#key`.
async fn like_signed_by(app: &TestApp, actor: &str, pem: &str, date: &str) -> reqwest::Response {
    let like = json!({"id": format!("{actor}/likes/1"), "type": "Like", "actor": actor,
                      "object": "http://blog.test/welcome/"})
    .to_string();
    signed_post(app, &like, &like, pem, &format!("{actor}#key"), date).await
}

#[tokio::test]
async fn hostile_deliveries_are_refused_without_calling_anyone() {
    let db = TestDb::new().await;
    // a site on a public name: it calls public addresses only
    let app = TestApp::spawn(&db).await;
    let key = quire::domain::activitypub::generate_key_pair().unwrap();
    let now = httpdate::fmt_http_date(std::time::SystemTime::now());

    // a listener on loopback that counts who calls it
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = calls.clone();
    tokio::spawn(async move {
        while let Ok((_socket, _)) = listener.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    for actor in [
        format!("http://127.0.0.1:{port}/users/mallory"),
        "http://169.254.169.254/latest/meta-data".to_owned(),
        "http://[::1]:5432/users/mallory".to_owned(),
    ] {
        let answer = like_signed_by(&app, &actor, &key.private_key_pem, &now).await;
        assert_eq!(answer.status(), 401, "{actor}");
    }
    assert_eq!(
        calls.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the inbox fetched a key from a private address"
    );

    // an old Date, a key on another server than the actor
    let actor = "https://social.example/users/mallory";
    let like = json!({"id": format!("{actor}/likes/2"), "type": "Like", "actor": actor,
                      "object": "http://blog.test/welcome/"})
    .to_string();
    let old = httpdate::fmt_http_date(std::time::SystemTime::now() - Duration::from_secs(7200));
    let answer = signed_post(
        &app,
        &like,
        &like,
        &key.private_key_pem,
        &format!("{actor}#key"),
        &old,
    )
    .await;
    assert_eq!(answer.status(), 401);
    let answer = signed_post(
        &app,
        &like,
        &like,
        &key.private_key_pem,
        "https://elsewhere.example/users/mallory#key",
        &now,
    )
    .await;
    assert_eq!(answer.status(), 401);

    // too big to read; not JSON
    let huge = "x".repeat(300 * 1024);
    let answer = app
        .client
        .post(app.url("/activitypub/inbox"))
        .header("Content-Type", "application/activity+json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 413);

    // one address naming ever new keys is stopped before the site makes a request for each
    let mut statuses = Vec::new();
    for i in 0..70 {
        let actor = format!("http://127.0.0.1:{port}/users/u{i}");
        let answer = like_signed_by(&app, &actor, &key.private_key_pem, &now).await;
        statuses.push(answer.status().as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    // sixty fetches a minute, three of them spent on the private addresses above (the old
    // Date and the key on another server were refused before any fetch)
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        57,
        "{statuses:?}"
    );
    let kept: i64 = sqlx::query_scalar("select count(*) from activitypub_interactions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(kept, 0, "nothing unverified was kept");
}

#[tokio::test]
async fn the_site_chooses_its_handle_and_whether_posts_go_out_as_articles_or_notes() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let admin = app.signed_in("administrator").await;
    insert_post(
        &app.pool,
        "short",
        "A short one",
        "Just *this*.",
        "published",
    )
    .await;
    let object = |app: &TestApp| {
        let url = app.url("/short/");
        let client = app.client.clone();
        async move {
            let answer = client
                .get(url)
                .header("Accept", "application/activity+json")
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 200);
            answer.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(object(&app).await["type"], "Article");

    let (status, saved) = app
        .api(
            Method::PUT,
            "/settings",
            Some(&admin),
            Some(json!({"activitypub_post_type": "note", "activitypub_handle": "shorts"})),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    // every replica takes a settings change within a second (its settings cache is dropped
    // when the database says so)
    eventually(Duration::from_secs(5), "posts as notes", || async {
        object(&app).await["type"] == "Note"
    })
    .await;
    let note = object(&app).await;
    let content = note["content"].as_str().unwrap();
    assert!(
        content.contains("A short one") && content.contains("http://blog.test/short/"),
        "{content}"
    );
    let found = app
        .get("/.well-known/webfinger?resource=acct:shorts@blog.test")
        .await;
    assert_eq!(found.status(), 200);
    let actor = app
        .get_with(
            "/activitypub/actor",
            &[("Accept", "application/activity+json")],
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(actor["preferredUsername"], "shorts");

    // what no server takes is refused, and nothing of the request is stored
    for bad in [
        json!({"activitypub_post_type": "video"}),
        json!({"activitypub_handle": "not a handle"}),
        json!({"activitypub_handle": "x".repeat(31)}),
        json!({"activitypub_enabled": "yes"}),
    ] {
        let (status, answer) = app
            .api(Method::PUT, "/settings", Some(&admin), Some(bad.clone()))
            .await;
        assert_eq!(status, 422, "{bad}");
        // the error names the setting at fault
        let field = bad.as_object().unwrap().keys().next().unwrap().clone();
        assert_eq!(answer["error"]["field"], field.as_str(), "{answer}");
    }
    assert_eq!(object(&app).await["type"], "Note");
}
