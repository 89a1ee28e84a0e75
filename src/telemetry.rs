//! Logging and request spans.

use axum::extract::MatchedPath;
use axum::http::Request;
use tracing::Span;
use tracing_subscriber::EnvFilter;

use crate::config::{LogConfig, LogFormat};

/// Installs the global subscriber: `QUIRE_LOG` filter, text or JSON lines on stderr.
pub fn init(config: &LogConfig) {
    let filter = EnvFilter::try_new(&config.filter).unwrap_or_else(|e| {
        eprintln!(
            "quire: invalid QUIRE_LOG filter {:?} ({e}); using \"info\"",
            config.filter
        );
        EnvFilter::new("info")
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // `try_init`: a second call (tests) keeps the first subscriber
    let _ = match config.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
}

/// The span of one request, named after the matched route so it stays low-cardinality.
/// Probes are recorded at DEBUG so they do not drown the log.
pub fn request_span<B>(request: &Request<B>) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str)
        .unwrap_or("fallback");
    let path = request.uri().path();
    if matches!(path, "/healthz" | "/readyz" | "/metrics") {
        tracing::debug_span!("request", method = %request.method(), route, path)
    } else {
        tracing::info_span!("request", method = %request.method(), route, path)
    }
}
