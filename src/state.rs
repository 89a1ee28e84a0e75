//! One replica's state, shared by every request handler: configuration, pool, templates, the
//! page cache and what the content watcher knows. Nothing here is needed by another replica.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use arc_swap::ArcSwap;
use sqlx::PgPool;
use tokio::sync::watch;

use crate::cache::PageCache;
use crate::config::Config;
use crate::domain::settings::SiteSettings;
use crate::media::Storage;
use crate::render::templates::{DEFAULT_THEME, Templates};
use crate::watcher::{self, ContentState};

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
    /// The SMTP server that sends invitations and reset links; `None` when mail is not set up
    /// (the admin shows the links instead).
    pub mailer: Option<crate::mail::Mailer>,
    /// The site's ActivityPub key pair, read from PostgreSQL (where it never changes) once.
    pub activitypub_key: tokio::sync::OnceCell<crate::domain::activitypub::SiteKey>,
    /// The client that fetches from and delivers to other servers of the fediverse.
    pub activitypub_client: crate::federation::outgoing::Client,
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
        let mailer = crate::mail::Mailer::from_config(&config.mail)?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let app = App {
            site_url: config.site_url().to_owned(),
            cache: Arc::new(PageCache::new(config.cache_mb)),
            content: Arc::new(ContentState::default()),
            last_settings: ArcSwap::from_pointee(SiteSettings::default()),
            metrics: crate::metrics::Metrics::new(),
            media,
            mailer,
            activitypub_key: tokio::sync::OnceCell::new(),
            activitypub_client: crate::federation::outgoing::Client::new(config.site_url())?,
            draining: AtomicBool::new(false),
            templates,
            config,
            db,
            shutdown,
        };
        watcher::spawn(
            app.db.clone(),
            app.cache.clone(),
            app.content.clone(),
            shutdown_rx.clone(),
        );
        let state = AppState(Arc::new(app));
        crate::jobs::spawn(state.clone(), shutdown_rx.clone())?;
        crate::federation::spawn(state.clone(), shutdown_rx)?;
        Ok(state)
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

    /// Changes to `true` once [`AppState::stop`] is called.
    pub fn stopped(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Marks the replica as draining: `/readyz` answers 503 from now on.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }
}
