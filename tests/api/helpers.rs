//! Test fixtures: a fresh PostgreSQL database per test, and Quire instances served on
//! loopback ports against it.

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::{Duration, Instant};

use quire::app::AppState;
use quire::config::Config;
use quire::media::Storage;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use url::Url;

/// The server tests create their databases on: `QUIRE_TEST_DATABASE_URL`, else `DATABASE_URL`,
/// else the local server as user `postgres`.
fn admin_options() -> PgConnectOptions {
    let url = std::env::var("QUIRE_TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    PgConnectOptions::from_str(&url).expect("a valid test database URL")
}

/// A database of its own for one test, migrated, dropped when the test ends.
pub struct TestDb {
    pub name: String,
    pub options: PgConnectOptions,
    pub pool: PgPool,
}

impl TestDb {
    /// A new, empty database (no migrations applied).
    pub async fn empty() -> Self {
        let admin = admin_options();
        let name = format!("quire_test_{}", uuid::Uuid::new_v4().simple());
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
        TestDb {
            name,
            options,
            pool,
        }
    }

    /// A new database with Quire's migrations and welcome content.
    pub async fn new() -> Self {
        let db = Self::empty().await;
        quire::db::migrate(&db.pool).await.expect("migrate");
        db
    }

    /// A new pool on this database, as another replica would open.
    pub async fn another_pool(&self) -> PgPool {
        quire::db::pool_options(5)
            .connect_with(self.options.clone())
            .await
            .expect("connect")
    }

    /// The connection URL of this database, for the `quire` binary.
    pub fn url(&self) -> String {
        let admin = admin_options();
        format!(
            "postgres://{}@{}:{}/{}",
            admin.get_username(),
            admin.get_host(),
            admin.get_port(),
            self.name
        )
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

/// The base URL the test instances believe they are served at.
pub const BASE_URL: &str = "http://blog.test";

/// One Quire replica, served on a loopback port.
pub struct TestApp {
    pub addr: SocketAddr,
    /// Local media and anything else the replica writes to disk.
    pub data_dir: std::path::PathBuf,
    pub state: AppState,
    pub pool: PgPool,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
}

impl TestApp {
    /// A replica on its own pool over `db`, ready (its database check has succeeded).
    pub async fn spawn(db: &TestDb) -> Self {
        Self::spawn_with(db, |_| {}, None).await
    }

    /// A replica with an adjusted configuration and, optionally, its own media storage
    /// (else local storage in a temporary directory).
    pub async fn spawn_with(
        db: &TestDb,
        configure: impl FnOnce(&mut Config),
        media: Option<Storage>,
    ) -> Self {
        let pool = db.another_pool().await;
        let mut config = Config::for_base_url(Url::parse(BASE_URL).unwrap());
        let data_dir =
            std::env::temp_dir().join(format!("quire-test-{}", uuid::Uuid::new_v4().simple()));
        config.db.data_dir = data_dir.clone();
        configure(&mut config);
        let media =
            media.unwrap_or_else(|| Storage::local(config.db.data_dir.join("content"), None));
        let state = AppState::with_media(config, pool.clone(), media).expect("build app");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(quire::app::serve(listener, state.clone(), async {
            let _ = stopped.await;
        }));
        let app = TestApp {
            addr,
            state,
            pool,
            data_dir,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            stop: Some(stop),
        };
        app.wait_ready().await;
        app
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self.get("/readyz").await.status() == 200 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the app did not become ready");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The replica's `/metrics`, from a metrics listener of its own (as `QUIRE_METRICS_BIND`
    /// gives one), started for this call.
    pub async fn metrics(&self) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(quire::server::serve(
            listener,
            quire::http::metrics_router(self.state.clone()),
            quire::server::Limits::default(),
            async {
                let _ = stopped.await;
            },
        ));
        let response = self
            .client
            .get(format!("http://{addr}/metrics"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        let _ = stop.send(());
        let _ = server.await;
        text
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// GET with extra headers.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("request")
    }

    /// The body of a GET that must succeed.
    pub async fn page(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.text().await.unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.state.stop();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Polls `check` until it holds, answering how long it took; panics after `limit`.
pub async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        if start.elapsed() > limit {
            panic!("{what}: not within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Inserts a post through the same renderer the admin uses, answering its id.
pub async fn insert_post(
    pool: &PgPool,
    slug: &str,
    title: &str,
    markdown: &str,
    status: &str,
) -> uuid::Uuid {
    let rendered = quire::render::markdown::render(markdown).expect("render");
    sqlx::query_scalar(
        r#"insert into posts (slug, title, markdown, html, excerpt, word_count, reading_time, status, published_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8::post_status,
                   case when $8 = 'draft' then null else now() end)
           returning id"#,
    )
    .bind(slug)
    .bind(title)
    .bind(markdown)
    .bind(&rendered.html)
    .bind(&rendered.excerpt)
    .bind(rendered.word_count)
    .bind(rendered.reading_time)
    .bind(status)
    .fetch_one(pool)
    .await
    .expect("insert post")
}

/// The password of every test account.
pub const PASSWORD: &str = "correct horse battery staple";

/// A signed-in staff member: the cookie and CSRF token a browser would hold.
#[derive(Debug, Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
    pub user_id: uuid::Uuid,
}

impl Session {
    /// The session that an answer signing someone in (sign-in, setup, invitation, password
    /// reset) starts: its cookie and CSRF token.
    pub async fn from_answer(response: reqwest::Response) -> Self {
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let body: serde_json::Value = response.json().await.unwrap();
        Session {
            cookie,
            csrf: body["csrf_token"].as_str().unwrap().to_owned(),
            user_id: body["user"]["id"].as_str().unwrap().parse().unwrap(),
        }
    }
}

static PASSWORD_HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

/// Creates a staff account with `role` (`owner`, `editor`, ...) and answers its email.
pub async fn create_staff(pool: &PgPool, role: &str) -> String {
    let hash = PASSWORD_HASH
        .get_or_init(|| async {
            quire::auth::hash_password(PASSWORD.to_owned())
                .await
                .unwrap()
        })
        .await;
    let hash = hash.clone();
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let email = format!("{role}-{}@example.com", &tag[..8]);
    sqlx::query("insert into users (email, name, slug, role, password_hash) values ($1, $2, $3, $4::user_role, $5)")
        .bind(&email)
        .bind(format!("{role} {}", &tag[..4]))
        .bind(format!("{role}-{}", &tag[..8]))
        .bind(role)
        .bind(hash)
        .execute(pool)
        .await
        .expect("create staff");
    email
}

impl TestApp {
    /// Signs in and answers the session.
    pub async fn login(&self, email: &str, password: &str) -> Session {
        let response = self
            .client
            .post(self.url("/admin/api/session"))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "sign in as {email}");
        Session::from_answer(response).await
    }

    /// A new staff member with `role`, signed in.
    pub async fn signed_in(&self, role: &str) -> Session {
        let email = create_staff(&self.pool, role).await;
        self.login(&email, PASSWORD).await
    }

    /// Calls the admin API as `session` (or anonymously), with its CSRF token.
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        session: Option<&Session>,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = self
            .client
            .request(method, self.url(&format!("/admin/api{path}")));
        if let Some(session) = session {
            request = request
                .header("cookie", &session.cookie)
                .header("x-csrf-token", &session.csrf);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }
}

/// A `quire serve` process of its own (the binary this package builds), on a free port, ready;
/// for what only a real process shows: signals, its own memory, its log. Killed when dropped.
pub struct ServeProcess {
    child: tokio::process::Child,
    base: String,
}

impl ServeProcess {
    /// Starts `quire serve` on `db` with extra environment variables and waits until ready.
    pub async fn start(db: &TestDb, env: &[(&str, &str)]) -> Self {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut command = crate::cli::quire();
        command
            .arg("serve")
            .env("DATABASE_URL", db.url())
            .env("QUIRE_BIND", format!("127.0.0.1:{port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        for (name, value) in env {
            command.env(name, value);
        }
        let server = ServeProcess {
            child: command.spawn().unwrap(),
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        eventually(Duration::from_secs(20), "readiness", || async {
            matches!(client.get(server.url("/readyz")).send().await, Ok(r) if r.status() == 200)
        })
        .await;
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Resident memory now and at its peak, in MiB, from /proc (Linux).
    pub fn memory_mib(&self) -> Option<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()?)).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .map(|kb| kb / 1024)
        };
        Some((field("VmRSS:")?, field("VmHWM:")?))
    }

    /// Sends SIGTERM and waits up to `limit` for the process to exit; answers its exit status.
    pub async fn terminate(&mut self, limit: Duration) -> std::process::ExitStatus {
        let pid = self.child.id().expect("running").to_string();
        let killed = tokio::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap();
        assert!(killed.success());
        tokio::time::timeout(limit, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("quire serve did not exit within {limit:?} of SIGTERM"))
            .unwrap()
    }

    /// Stops the process and answers what it wrote on stderr.
    pub async fn stop(mut self) -> String {
        let _ = self.child.start_kill();
        let output = self.child.wait_with_output().await.unwrap();
        String::from_utf8_lossy(&output.stderr).into_owned()
    }
}
