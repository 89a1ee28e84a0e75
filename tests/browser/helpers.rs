//! Fixtures of the browser tests: the shared harness (`tests/support`) gives a fresh database
//! per test and Quire replicas, served here at their real address (so the browser's links
//! work); this adds Chromium sessions driven through a chromedriver the test starts and stops.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

use crate::support::session::{self, Session};
use crate::support::wait;

/// Where Debian's packages put the browser and its driver.
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "chromedriver";
/// How long any one wait in the browser may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// Whether the browser tests should be skipped (`QUIRE_SKIP_BROWSER_TESTS=1`); says so once.
pub fn skipped() -> bool {
    let skip = std::env::var("QUIRE_SKIP_BROWSER_TESTS").is_ok_and(|v| !v.is_empty() && v != "0");
    if skip {
        eprintln!("browser tests skipped: QUIRE_SKIP_BROWSER_TESTS is set");
    }
    skip
}

pub use crate::support::app::TestApp;
pub use crate::support::db::TestDb;
pub use crate::support::session::{PASSWORD, create_staff_as as create_staff};

/// The status of a plain GET (0 when the request fails).
pub async fn http_status(url: &str) -> u16 {
    wait::status(&wait::client(), url).await
}

/// A script's view of the API: signed in with a cookie and the CSRF token.
pub struct ApiSession {
    client: reqwest::Client,
    base: String,
    session: Session,
}

impl ApiSession {
    pub async fn login(app: &TestApp, email: &str) -> Self {
        let client = wait::client();
        let session = session::sign_in(&client, &app.base, email, PASSWORD).await;
        ApiSession {
            client,
            base: app.base.clone(),
            session,
        }
    }

    /// The `Cookie` header value of the session.
    pub fn cookie(&self) -> &str {
        &self.session.cookie
    }

    /// Uploads an image as the editor does (`POST /admin/api/images`); the upload must
    /// succeed. Answers the JSON body, with the image's `url`.
    pub async fn upload_image(&self, filename: &str, content_type: &str, bytes: &[u8]) -> Value {
        let (status, body) = crate::support::images::upload(
            &self.client,
            &self.base,
            &self.session,
            filename,
            content_type,
            bytes,
        )
        .await;
        assert_eq!(status, 201, "upload {filename}: {body}");
        body
    }

    /// Calls the admin API; the call must succeed.
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let (status, body) = session::call(
            &self.client,
            method.clone(),
            &self.base,
            path,
            Some(&self.session),
            body,
        )
        .await;
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {body}"
        );
        body
    }
}

/// A chromedriver process of this test; killed (with any browser it started) on drop.
pub struct Driver {
    child: Child,
    port: u16,
    profiles: Vec<PathBuf>,
}

impl Driver {
    /// Starts chromedriver on a free port; fails with what to install when it is missing.
    pub async fn start() -> Self {
        assert!(
            std::path::Path::new(CHROMIUM).exists(),
            "{CHROMIUM} is missing. The browser tests need Debian's Chromium: \
             apt-get install -y chromium chromium-driver (or set QUIRE_SKIP_BROWSER_TESTS=1 to skip them)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {CHROMEDRIVER} ({e}). The browser tests need Debian's Chromium and its driver: \
                     apt-get install -y chromium chromium-driver (or set QUIRE_SKIP_BROWSER_TESTS=1 to skip them)"
                )
            });
        let driver = Driver {
            child,
            port,
            profiles: Vec::new(),
        };
        wait::until_ok(
            &wait::client(),
            &format!("http://127.0.0.1:{port}/status"),
            "chromedriver",
            Duration::from_secs(10),
        )
        .await;
        driver
    }

    /// A new headless Chromium with a fresh profile (its own cookies), `width` pixels wide.
    pub async fn browser(&mut self, width: u32, height: u32) -> Browser {
        self.browser_with(width, height, &[]).await
    }

    /// [`Self::browser`] with extra command-line switches for Chromium.
    pub async fn browser_with(&mut self, width: u32, height: u32, extra: &[&str]) -> Browser {
        let profile =
            std::env::temp_dir().join(format!("quire-browser-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&profile).unwrap();
        self.profiles.push(profile.clone());
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--password-store=basic",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args.push(format!("--window-size={width},{height}"));
        args.push(format!("--user-data-dir={}", profile.display()));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("start a Chromium session through chromedriver");
        Browser { client }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Browsers whose session was not closed (a failed test) outlive chromedriver: find
        // them by their profile directory, which only this test used, and end them by id.
        let mut pids = Vec::new();
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for entry in entries.flatten() {
                let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                    continue;
                };
                let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
                let cmdline = String::from_utf8_lossy(&cmdline);
                if self
                    .profiles
                    .iter()
                    .any(|p| cmdline.contains(&p.display().to_string()))
                {
                    pids.push(pid.to_string());
                }
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !pids.is_empty() {
            let _ = Command::new("kill")
                .arg("-9")
                .args(&pids)
                .stderr(Stdio::null())
                .status();
        }
        for profile in &self.profiles {
            let _ = std::fs::remove_dir_all(profile);
        }
    }
}

/// One browser session, with the waits and checks the tests share.
pub struct Browser {
    pub client: Client,
}

impl Browser {
    /// Opens `url` and waits until its admin script has finished setting up the page.
    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
        self.wait_ready().await;
    }

    /// Waits until the admin script marks the page ready (it failed if it marks it failed).
    pub async fn wait_ready(&self) {
        self.wait_until(
            "the page is ready",
            "if (document.body && document.body.dataset.failed) { \
               throw new Error(document.querySelector('[role=alert]').textContent); } \
             return !!(document.body && document.body.dataset.ready);",
        )
        .await;
    }

    /// Polls a script body that returns a boolean until it returns true.
    pub async fn wait_until(&self, what: &str, script: &str) {
        let start = Instant::now();
        loop {
            match self.client.execute(script, vec![]).await {
                Ok(Value::Bool(true)) => return,
                Ok(_) => {}
                Err(e) if start.elapsed() > WAIT => panic!("{what}: {e}"),
                Err(_) => {}
            }
            if start.elapsed() > WAIT {
                let url = self.client.current_url().await.map(|u| u.to_string());
                panic!("waited {WAIT:?} for: {what} (at {url:?})");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the element matching `css` contains `text` in its visible text.
    pub async fn wait_for_text(&self, css: &str, text: &str) {
        let script = format!(
            "const e = document.querySelector({}); return !!e && e.textContent.includes({});",
            json!(css),
            json!(text)
        );
        self.wait_until(&format!("{css} shows {text:?}"), &script)
            .await;
    }

    /// Waits until the browser is at `path` (query ignored).
    pub async fn wait_for_path(&self, path: &str) {
        let script = format!("return location.pathname === {};", json!(path));
        self.wait_until(&format!("the browser reaches {path}"), &script)
            .await;
    }

    pub async fn find(&self, css: &str) -> Element {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"))
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("query")
            .is_empty()
    }

    /// Waits until the element matching `css` is displayed: an image, for one, takes its
    /// place only once the browser has tried to load it.
    pub async fn wait_displayed(&self, css: &str, what: &str) {
        let shown = wait::within(WAIT, Duration::from_millis(50), || self.is_displayed(css)).await;
        assert!(
            shown.is_some(),
            "{what}: {css} not displayed within {WAIT:?}"
        );
    }

    pub async fn is_displayed(&self, css: &str) -> bool {
        self.find(css)
            .await
            .is_displayed()
            .await
            .expect("displayed")
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        self.find(css)
            .await
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// The `value` of a form field.
    pub async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    /// The element's text as written (`textContent`, before CSS transforms it).
    pub async fn text(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("textContent")
            .await
            .expect("text")
            .unwrap_or_default()
    }

    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("url")
            .path()
            .to_owned()
    }

    /// Signs in on the sign-in page with the tests' password and waits for the post list.
    pub async fn sign_in(&self, app: &TestApp, email: &str) {
        self.open(&app.url("/admin/login/")).await;
        self.type_into("#email", email).await;
        self.type_into("#password", PASSWORD).await;
        self.click("#login-form button[type=submit]").await;
        self.wait_for_path("/admin/posts/").await;
        self.wait_ready().await;
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// The chromedriver of one test, or `None` when the browser tests are skipped. A failing
/// test drops it while unwinding, which ends its browsers too.
pub async fn driver() -> Option<Driver> {
    if skipped() {
        return None;
    }
    Some(Driver::start().await)
}
