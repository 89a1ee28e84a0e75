//! The `quire` binary: migrations, configuration errors, the server's life cycle.

use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use crate::helpers::{ServeProcess, TestDb};

/// The `quire` binary, with no database configured and quiet logs.
pub(crate) fn quire() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_quire"));
    cmd.env_remove("DATABASE_URL")
        .env("QUIRE_LOG", "warn")
        .kill_on_drop(true);
    cmd
}

#[tokio::test]
async fn replicas_migrating_at_once_apply_the_schema_once() {
    let db = TestDb::empty().await;
    let runs: Vec<_> = (0..3)
        .map(|_| {
            quire()
                .arg("migrate")
                .env("DATABASE_URL", db.url())
                .output()
        })
        .collect();
    for output in futures_util::future::join_all(runs).await {
        let output = output.unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let welcome: i64 = sqlx::query_scalar("select count(*) from posts where slug = 'welcome'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(welcome, 1, "the welcome content is written once");
    let applied: i64 = sqlx::query_scalar("select count(*) from _sqlx_migrations")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(applied as usize, quire::db::MIGRATOR.iter().count());
}

#[tokio::test]
async fn invalid_configuration_is_refused_with_a_one_line_reason() {
    let output = quire()
        .args(["serve", "--base-url", "https://example.com/blog/"])
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("QUIRE_BASE_URL"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[tokio::test]
async fn an_unreachable_database_is_named_without_its_password() {
    let output = quire()
        .args(["migrate"])
        .env("DATABASE_URL", "postgres://quire:hunter2@127.0.0.1:1/quire")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("127.0.0.1:1"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[tokio::test]
async fn serve_becomes_ready_and_stops_cleanly_on_sigterm() {
    let db = TestDb::new().await;
    let mut server = ServeProcess::start(&db, &[]).await;
    let home = reqwest::get(server.url("/")).await.unwrap();
    assert_eq!(home.status(), 200);
    let status = server.terminate(Duration::from_secs(10)).await;
    assert!(status.success(), "exit status {status}");
}

#[tokio::test]
async fn user_create_makes_an_account_that_signs_in() {
    use tokio::io::AsyncWriteExt;
    let db = TestDb::new().await;
    let create = |password: &'static str| {
        let mut child = quire()
            .args([
                "user",
                "create",
                "--email",
                "Ada@Example.com",
                "--name",
                "Ada Lovelace",
                "--role",
                "owner",
            ])
            .arg("--password-stdin")
            .env("DATABASE_URL", db.url())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        async move {
            stdin.write_all(password.as_bytes()).await.unwrap();
            drop(stdin);
            child.wait_with_output().await.unwrap()
        }
    };
    let short = create("short\n").await;
    assert!(!short.status.success());
    assert!(
        String::from_utf8_lossy(&short.stderr).contains("at least"),
        "{}",
        String::from_utf8_lossy(&short.stderr)
    );

    let ok = create("a long enough password\n").await;
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let app = crate::helpers::TestApp::spawn(&db).await;
    let session = app.login("ada@example.com", "a long enough password").await;
    let (_, me) = app
        .api(reqwest::Method::GET, "/session", Some(&session), None)
        .await;
    assert_eq!(me["user"]["role"], "owner");
    assert_eq!(me["user"]["slug"], "ada-lovelace");

    let again = create("a long enough password\n").await;
    assert!(!again.status.success(), "a second owner is refused");
}
