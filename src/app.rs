//! The server's life cycle: `quire serve` validates, connects, migrates, builds the state and
//! serves until SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::media::Storage;
use crate::state::AppState;
use crate::{db, http};

/// `quire serve`: validate, connect, migrate, then serve until SIGTERM or Ctrl-C.
pub async fn run(config: Config) -> anyhow::Result<()> {
    config.validate()?;
    tracing::info!(
        bind = %config.bind,
        base_url = %config.site.base_url,
        media = ?config.media.backend,
        cache_mb = config.cache_mb,
        metrics = ?config.metrics_bind,
        mail = config.mail.smtp_url.is_some(),
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
        let limits = crate::server::Limits::from(&state.config.connections);
        let mut stopped = state.stopped();
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
    let limits = crate::server::Limits::from(&state.config.connections);
    crate::server::serve(listener, http::front(state), limits, shutdown).await?;
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
