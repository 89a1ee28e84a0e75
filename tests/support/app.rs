//! Quire replicas served in this process on loopback ports, each with its own pool on a
//! [`TestDb`].

use std::net::SocketAddr;
use std::time::Duration;

use quire::config::Config;
use quire::media::Storage;
use quire::state::AppState;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use url::Url;

use super::db::TestDb;
use super::session::{self, Session};
use super::temp::TempDir;
use super::wait;

/// The base URL replicas believe they are served at, unless served at their own address.
pub const BASE_URL: &str = "http://blog.test";

/// One Quire replica, served on a loopback port.
pub struct TestApp {
    pub addr: SocketAddr,
    /// Where it is reached: `http://{addr}`.
    pub base: String,
    /// Local media and anything else the replica writes to disk.
    pub data_dir: std::path::PathBuf,
    pub state: AppState,
    pub pool: PgPool,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    _data: TempDir,
}

impl TestApp {
    /// A replica on its own pool over `db`, at [`BASE_URL`], ready.
    pub async fn spawn(db: &TestDb) -> Self {
        Self::spawn_with(db, |_| {}, None).await
    }

    /// A replica at [`BASE_URL`] with an adjusted configuration and, optionally, its own
    /// media storage (else local storage in a temporary directory).
    pub async fn spawn_with(
        db: &TestDb,
        configure: impl FnOnce(&mut Config),
        media: Option<Storage>,
    ) -> Self {
        Self::start(db, Some(BASE_URL), configure, media).await
    }

    /// A replica whose base URL is the address it listens on, so that a browser can follow
    /// its links.
    pub async fn spawn_at_address(db: &TestDb) -> Self {
        Self::spawn_at_address_with(db, |_| {}, None).await
    }

    /// [`Self::spawn_at_address`] with an adjusted configuration and, optionally, its own
    /// media storage.
    pub async fn spawn_at_address_with(
        db: &TestDb,
        configure: impl FnOnce(&mut Config),
        media: Option<Storage>,
    ) -> Self {
        Self::start(db, None, configure, media).await
    }

    async fn start(
        db: &TestDb,
        base_url: Option<&str>,
        configure: impl FnOnce(&mut Config),
        media: Option<Storage>,
    ) -> Self {
        let pool = db.another_pool().await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let mut config = Config::for_base_url(Url::parse(base_url.unwrap_or(&base)).unwrap());
        let data = TempDir::new("app");
        config.db.data_dir = data.path().to_owned();
        configure(&mut config);
        let data_dir = config.db.data_dir.clone();
        let state = match media {
            Some(storage) => AppState::with_media(config, pool.clone(), storage),
            None => AppState::new(config, pool.clone()),
        }
        .expect("build app");
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(quire::app::serve(listener, state.clone(), async {
            let _ = stopped.await;
        }));
        let app = TestApp {
            addr,
            base,
            data_dir,
            state,
            pool,
            client: reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            stop: Some(stop),
            _data: data,
        };
        wait::until_ok(
            &app.client,
            &app.url("/readyz"),
            "the app",
            Duration::from_secs(5),
        )
        .await;
        app
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
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

    /// Signs in and answers the session.
    pub async fn login(&self, email: &str, password: &str) -> Session {
        session::sign_in(&self.client, &self.base, email, password).await
    }

    /// A new staff member with `role`, signed in.
    pub async fn signed_in(&self, role: &str) -> Session {
        let email = session::create_staff(&self.pool, role).await;
        self.login(&email, session::PASSWORD).await
    }

    /// Calls the admin API as `session` (or anonymously), with its CSRF token.
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        session: Option<&Session>,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        session::call(&self.client, method, &self.base, path, session, body).await
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
