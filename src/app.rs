//! The application state shared by every request, and the server's life cycle.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use arc_swap::ArcSwap;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::cache::PageCache;
use crate::config::Config;
use crate::content::{self, ContentState};
use crate::domain::settings::SiteSettings;
use crate::media::Storage;
use crate::render::templates::{DEFAULT_THEME, Templates};
use crate::{db, http};

/// Everything a request handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<App>);

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

/// One replica's state. Nothing here is needed by another replica: the cache and the last
/// settings seen are copies of what PostgreSQL holds.
pub struct App {
    pub config: Config,
    /// `http://host:port` without a trailing slash, from the configuration.
    pub site_url: String,
    pub db: PgPool,
    pub templates: Templates,
    pub cache: Arc<PageCache>,
    pub content: Arc<ContentState>,
    /// The settings of the last render, for error pages shown while the database is away.
    pub last_settings: ArcSwap<SiteSettings>,
    pub metrics: crate::metrics::Metrics,
    /// Where uploaded images go.
    pub media: Storage,
    draining: AtomicBool,
    shutdown: watch::Sender<bool>,
}

impl AppState {
    /// Builds the state over a pool whose database is migrated, and starts the content
    /// watcher (cache invalidation, scheduled posts).
    pub fn new(config: Config, db: PgPool) -> anyhow::Result<Self> {
        anyhow::ensure!(
            config.media.backend == crate::config::MediaBackend::Local,
            "S3 storage needs AppState::with_media"
        );
        let base = config
            .media
            .media_base_url
            .as_ref()
            .map(|u| u.as_str().trim_end_matches('/').to_owned());
        let media = Storage::local(config.db.data_dir.join("content"), base);
        Self::with_media(config, db, media)
    }

    /// Builds the state with the given media storage.
    pub fn with_media(config: Config, db: PgPool, media: Storage) -> anyhow::Result<Self> {
        let templates = Templates::builtin(DEFAULT_THEME)?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let app = App {
            site_url: config.site_url().to_owned(),
            cache: Arc::new(PageCache::new(config.cache_mb)),
            content: Arc::new(ContentState::default()),
            last_settings: ArcSwap::from_pointee(SiteSettings::default()),
            metrics: crate::metrics::Metrics::new(),
            media,
            draining: AtomicBool::new(false),
            templates,
            config,
            db,
            shutdown,
        };
        content::spawn(
            app.db.clone(),
            app.cache.clone(),
            app.content.clone(),
            shutdown_rx,
        );
        Ok(AppState(Arc::new(app)))
    }

    /// Whether this replica should receive traffic: database answering, not shutting down.
    /// (Migrations are applied before the state exists.)
    pub fn is_ready(&self) -> bool {
        self.content.database_ok() && !self.draining.load(Ordering::Relaxed)
    }

    /// Stops background tasks; called once the server has stopped.
    pub fn stop(&self) {
        self.draining.store(true, Ordering::Relaxed);
        let _ = self.shutdown.send(true);
    }

    /// Marks the replica as draining: `/readyz` answers 503 from now on.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }
}

/// `quire serve`: validate, connect, migrate, then serve until SIGTERM or Ctrl-C.
pub async fn run(config: Config) -> anyhow::Result<()> {
    config.validate()?;
    tracing::info!(
        bind = %config.bind,
        base_url = %config.site.base_url,
        media = ?config.media.backend,
        cache_mb = config.cache_mb,
        metrics = ?config.metrics_bind,
        "starting quire {}",
        env!("CARGO_PKG_VERSION")
    );
    let pool = db::connect(&config.db).await?;
    db::migrate(&pool).await?;
    let listener = TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    let metrics_listener = match config.metrics_bind {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr} (QUIRE_METRICS_BIND)"))?,
        ),
        None => None,
    };
    let media = Storage::from_config(&config).await?;
    let state = AppState::with_media(config, pool.clone(), media)?;
    tracing::info!(address = %listener.local_addr()?, url = %state.site_url, "listening");
    if let Some(listener) = metrics_listener {
        tracing::info!(address = %listener.local_addr()?, "serving /metrics");
        let limits = state.config.connections.limits();
        let mut stopped = state.shutdown.subscribe();
        tokio::spawn(crate::server::serve(
            listener,
            http::metrics_router(state.clone()),
            limits,
            async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            },
        ));
    }
    let signal_state = state.clone();
    let signalled = Arc::new(tokio::sync::Notify::new());
    let on_signal = signalled.clone();
    let server = serve(listener, state.clone(), async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing requests in flight");
        signal_state.start_draining();
        on_signal.notify_one();
    });
    tokio::select! {
        result = server => result?,
        _ = async { signalled.notified().await; tokio::time::sleep(DRAIN_TIMEOUT).await } => {
            tracing::warn!("requests still in flight after {DRAIN_TIMEOUT:?}; stopping anyway");
        }
    }
    state.stop();
    pool.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Serves `state` on `listener` until `shutdown` completes, then waits for requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let limits = state.config.connections.limits();
    crate::server::serve(listener, http::router(state), limits, shutdown).await?;
    Ok(())
}

/// Completes on SIGTERM (orchestrators) or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// How long a graceful shutdown may wait for requests in flight.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
