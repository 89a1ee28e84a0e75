//! Fixtures of the browser tests: a fresh database per test, Quire replicas served on loopback
//! ports at their real address (so the browser's links work), and Chromium sessions driven
//! through a chromedriver the test starts and stops.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use quire::app::AppState;
use quire::config::Config;
use serde_json::{Value, json};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use url::Url;

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

fn admin_options() -> PgConnectOptions {
    let url = std::env::var("QUIRE_TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    PgConnectOptions::from_str(&url).expect("a valid test database URL")
}

/// A migrated database of its own for one test, dropped when the test ends.
pub struct TestDb {
    name: String,
    options: PgConnectOptions,
    pub pool: PgPool,
}

impl TestDb {
    pub async fn new() -> Self {
        let admin = admin_options();
        let name = format!("quire_browser_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect_with(&admin).await.expect(
            "tests need PostgreSQL: set QUIRE_TEST_DATABASE_URL or run it on 127.0.0.1:5432 with user postgres",
        );
        sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let options = admin.database(&name);
        let pool = quire::db::pool_options(5)
            .connect_with(options.clone())
            .await
            .expect("connect to test database");
        quire::db::migrate(&pool).await.expect("migrate");
        TestDb {
            name,
            options,
            pool,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // async drop does not exist; a thread with its own runtime does the cleanup
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut conn) = PgConnection::connect_with(&admin_options()).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "drop database if exists {name} with (force)"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            });
        })
        .join();
    }
}

/// One Quire replica on a loopback port; its base URL is the address it listens on.
pub struct TestApp {
    pub base: String,
    state: AppState,
    stop: Option<oneshot::Sender<()>>,
}

impl TestApp {
    pub async fn spawn(db: &TestDb) -> Self {
        Self::spawn_with(db, |_| {}, None).await
    }

    /// A replica with its configuration adjusted by `configure` and, when given, its own
    /// image storage (an S3 bucket shared with other replicas).
    pub async fn spawn_with(
        db: &TestDb,
        configure: impl FnOnce(&mut Config),
        media: Option<quire::media::Storage>,
    ) -> Self {
        let pool = quire::db::pool_options(5)
            .connect_with(db.options.clone())
            .await
            .expect("connect");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let mut config = Config::for_base_url(Url::parse(&base).unwrap());
        configure(&mut config);
        let state = match media {
            Some(storage) => AppState::with_media(config, pool, storage),
            None => AppState::new(config, pool),
        }
        .expect("build app");
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(quire::app::serve(listener, state.clone(), async {
            let _ = stopped.await;
        }));
        let app = TestApp {
            base,
            state,
            stop: Some(stop),
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while http_status(&app.url("/readyz")).await != 200 {
            assert!(Instant::now() < deadline, "the app did not become ready");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        app
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.state.stop();
    }
}

/// The status of a plain GET (0 when the request fails).
pub async fn http_status(url: &str) -> u16 {
    http_client()
        .get(url)
        .send()
        .await
        .map_or(0, |r| r.status().as_u16())
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The password of every account the tests create.
pub const PASSWORD: &str = "correct horse battery staple";

/// Creates an active staff account and answers its email.
pub async fn create_staff(pool: &PgPool, role: &str, name: &str) -> String {
    let hash = quire::auth::hash_password(PASSWORD.to_owned())
        .await
        .unwrap();
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let email = format!("{role}-{}@example.com", &tag[..8]);
    sqlx::query("insert into users (email, name, slug, role, password_hash) values ($1, $2, $3, $4::user_role, $5)")
        .bind(&email)
        .bind(name)
        .bind(format!("{role}-{}", &tag[..8]))
        .bind(role)
        .bind(hash)
        .execute(pool)
        .await
        .expect("create staff");
    email
}

/// A script's view of the API: signed in with a cookie and the CSRF token.
pub struct ApiSession {
    client: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

impl ApiSession {
    pub async fn login(app: &TestApp, email: &str) -> Self {
        let client = http_client();
        let response = client
            .post(app.url("/admin/api/session"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "sign in as {email}");
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let body: Value = response.json().await.unwrap();
        ApiSession {
            client,
            base: app.base.clone(),
            cookie,
            csrf: body["csrf_token"].as_str().unwrap().to_owned(),
        }
    }

    /// The `Cookie` header value of the session.
    pub fn cookie(&self) -> &str {
        &self.cookie
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .client
            .request(method.clone(), format!("{}/admin/api{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{method} {path}: {status} {body}");
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
        let deadline = Instant::now() + Duration::from_secs(10);
        while http_status(&format!("http://127.0.0.1:{port}/status")).await != 200 {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        driver
    }

    /// A new headless Chromium with a fresh profile (its own cookies), `width` pixels wide.
    pub async fn browser(&mut self, width: u32, height: u32) -> Browser {
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
