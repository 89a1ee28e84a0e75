//! A real SMTP server for the tests: Python's aiosmtpd (`smtp_server.py` beside this file) on a
//! loopback port, writing each message it accepts to a directory as JSON.
//!
//! `./test.sh` installs aiosmtpd ([`REQUIREMENTS`]) into [`python_path`] when Python cannot import
//! it. Without it the tests fail with the command that installs it, unless
//! `QUIRE_SKIP_MAIL_TESTS=1` skips them.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};

use super::temp::{TempDir, free_ports};

/// What `./test.sh` installs with pip, pinned.
pub const REQUIREMENTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/support/smtp-requirements.txt"
);

/// Where `./test.sh` installs aiosmtpd (`pip install --target`): `QUIRE_TEST_PYTHONPATH`, else
/// a folder of the build's target directory.
pub fn python_path() -> PathBuf {
    std::env::var_os("QUIRE_TEST_PYTHONPATH")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("python-aiosmtpd"))
}

/// Whether the e-mail tests should be skipped (`QUIRE_SKIP_MAIL_TESTS=1`); says so.
pub fn skipped() -> bool {
    let skip = std::env::var("QUIRE_SKIP_MAIL_TESTS").is_ok_and(|v| !v.is_empty() && v != "0");
    if skip {
        eprintln!("e-mail test skipped: QUIRE_SKIP_MAIL_TESTS is set");
    }
    skip
}

/// One message the server accepted, as `smtp_server.py` recorded it.
#[derive(Debug, Clone, Deserialize)]
pub struct Mail {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub date: String,
    pub message_id: String,
    pub content_type: String,
    /// The plain-text part, decoded.
    pub text: Option<String>,
    /// The HTML part, decoded.
    pub html: Option<String>,
    pub raw: String,
}

impl Mail {
    /// The first link of the plain-text part that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> String {
        let text = self.text.as_deref().expect("a plain-text part");
        text.split_whitespace()
            .find(|word| word.starts_with(prefix))
            .unwrap_or_else(|| panic!("no link starting with {prefix} in:\n{text}"))
            .to_owned()
    }
}

/// The server, stopped when dropped (its standard input closes, and it is killed).
pub struct SmtpServer {
    pub port: u16,
    dir: TempDir,
    _stdin: ChildStdin,
    _child: Child,
}

impl SmtpServer {
    /// Starts the server and waits until it accepts connections.
    pub async fn start() -> Self {
        let python_path = python_path();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_server.py");
        let importable = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .env("PYTHONPATH", &python_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await
            .is_ok_and(|s| s.success());
        assert!(
            importable,
            "the e-mail tests need Python 3 with aiosmtpd: run ./test.sh, or \
             python3 -m pip install --target {} -r {REQUIREMENTS} \
             (or set QUIRE_SKIP_MAIL_TESTS=1 to skip them)",
            python_path.display()
        );
        let port = free_ports(1)[0];
        let dir = TempDir::new("smtp");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(dir.path())
            .env("PYTHONPATH", &python_path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start python3 with the SMTP server");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let ready =
            tokio::time::timeout(Duration::from_secs(20), stdout.read_line(&mut line)).await;
        if !matches!(ready, Ok(Ok(_))) || line.trim() != "ready" {
            let _ = child.start_kill();
            let mut stderr = String::new();
            let _ = child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .await;
            panic!("the SMTP server did not start ({line:?}): {stderr}");
        }
        SmtpServer {
            port,
            dir,
            _stdin: stdin,
            _child: child,
        }
    }

    /// The `QUIRE_SMTP_URL` of this server (no TLS offered, no credentials).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, in the order received.
    pub fn messages(&self) -> Vec<Mail> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("read the messages")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json")
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| {
                serde_json::from_slice(&std::fs::read(p).unwrap()).expect("a recorded message")
            })
            .collect()
    }

    /// Waits until `n` messages have arrived (failing the test after `limit`); answers them all.
    pub async fn wait_for(&self, n: usize, limit: Duration) -> Vec<Mail> {
        let start = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            assert!(
                start.elapsed() < limit,
                "{} of {n} messages arrived within {limit:?}: {messages:#?}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
