//! Logging and request spans.

use std::borrow::Cow;

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
/// Probes are recorded at DEBUG so they do not drown the log. Secrets in the path (invitation
/// and reset tokens) are not recorded: see [`logged_path`].
pub fn request_span<B>(request: &Request<B>) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str)
        .unwrap_or("fallback");
    let path = logged_path(route, request.uri().path());
    let path = path.as_ref();
    if matches!(path, "/healthz" | "/readyz" | "/metrics") {
        tracing::debug_span!("request", method = %request.method(), route, path)
    } else {
        tracing::info_span!("request", method = %request.method(), route, path)
    }
}

/// The path of a request as logged: each segment that the matched route takes as `{token}`
/// (invitation and password reset links) is written `{token}`, so that the log of a request
/// does not hold a link that still works.
pub fn logged_path<'a>(route: &str, path: &'a str) -> Cow<'a, str> {
    if !route.contains("{token}") {
        return Cow::Borrowed(path);
    }
    let route_segments: Vec<&str> = route.split('/').collect();
    let path_segments: Vec<&str> = path.split('/').collect();
    if route_segments.len() != path_segments.len() {
        // not a path this route matched segment by segment: keep the route alone
        return Cow::Owned(route.to_owned());
    }
    Cow::Owned(
        route_segments
            .iter()
            .zip(&path_segments)
            .map(|(r, p)| if *r == "{token}" { *r } else { *p })
            .collect::<Vec<_>>()
            .join("/"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_in_invitation_and_reset_paths_are_not_logged() {
        let token = "9f2c".repeat(16);
        for (route, path) in [
            ("/admin/invite/{token}", format!("/admin/invite/{token}")),
            ("/admin/invite/{token}/", format!("/admin/invite/{token}/")),
            ("/admin/reset/{token}", format!("/admin/reset/{token}")),
            (
                "/admin/api/invites/{token}",
                format!("/admin/api/invites/{token}"),
            ),
            (
                "/admin/api/password-resets/{token}",
                format!("/admin/api/password-resets/{token}"),
            ),
        ] {
            let logged = logged_path(route, &path);
            assert!(!logged.contains(&token), "{logged}");
            assert_eq!(logged, route);
        }
        assert_eq!(logged_path("/{slug}/", "/hello/"), "/hello/");
        assert_eq!(logged_path("fallback", "/a/b"), "/a/b");
    }
}
