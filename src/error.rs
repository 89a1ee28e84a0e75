//! One error type for the whole crate, and how it becomes an HTTP answer.
//!
//! 5xx answers are opaque: the cause is logged (by [`IntoResponse`] through the response's
//! extensions and the trace layer), never sent to the client.

use std::borrow::Cow;
use std::sync::Arc;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Everything that can go wrong while answering a request or running a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    /// 401, with the reason when there is more to say than "sign in".
    #[error("{}", .0.as_deref().unwrap_or("authentication required"))]
    Unauthorized(Option<String>),
    /// 403, with the reason when it is not simply the role.
    #[error("{}", .0.as_deref().unwrap_or("not allowed for your role"))]
    Forbidden(Option<String>),
    #[error("missing or invalid CSRF token; reload the page and try again")]
    Csrf,
    #[error("too many attempts; try again in {0} seconds")]
    TooManyRequests(i64),
    #[error("{0}")]
    TooLarge(String),
    #[error("{message}")]
    Invalid {
        /// The input field at fault (a JSON key path such as `tags` or `navigation.label`).
        field: Option<Cow<'static, str>>,
        message: String,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("the service is starting or its database is unreachable")]
    Unavailable,
    /// 503 with a message for the user; the cause goes to the log, once, with the request.
    #[error("{message}")]
    UnavailableBecause {
        message: String,
        #[source]
        cause: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// Too much work queued (password hashing): 503 with `Retry-After` seconds, not an error
    /// worth a log line.
    #[error("busy; try again in {0} seconds")]
    Busy(i64),
    #[error("{0}")]
    UnsupportedMedia(String),
    #[error("database error")]
    Db(#[source] sqlx::Error),
    #[error("template error")]
    Template(#[source] tera::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
    #[error(transparent)]
    Shared(Arc<Error>),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A 422 about one input field.
    pub fn invalid(field: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Error::Invalid {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// The error itself, looking through the sharing of the page cache's single-flight.
    pub fn root(&self) -> &Error {
        match self {
            Error::Shared(inner) => inner.root(),
            e => e,
        }
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) | Error::Csrf => StatusCode::FORBIDDEN,
            Error::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Unavailable | Error::UnavailableBecause { .. } | Error::Busy(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Error::UnsupportedMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Db(e) if is_connection_error(e) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Db(_) | Error::Template(_) | Error::Other(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            Error::Shared(inner) => inner.status(),
        }
    }
}

/// Whether a database error means "the database is unreachable" rather than "the query failed":
/// no connection, or the server ending the one a query ran on (SQLSTATE class 08, connection
/// exception, and 57P, a shutdown or restart), which a pooled connection learns only when it
/// is next used.
pub fn is_connection_error(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => Error::NotFound,
            e => Error::Db(e),
        }
    }
}

impl From<crate::domain::post::InvalidField> for Error {
    fn from(e: crate::domain::post::InvalidField) -> Self {
        Error::invalid(e.field, e.message)
    }
}

impl From<tera::Error> for Error {
    fn from(e: tera::Error) -> Self {
        Error::Template(e)
    }
}

impl From<axum::extract::rejection::JsonRejection> for Error {
    fn from(e: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection;
        match e {
            JsonRejection::MissingJsonContentType(_) => Error::Invalid {
                field: None,
                message: "send JSON with Content-Type: application/json".into(),
            },
            JsonRejection::BytesRejection(_) => {
                Error::TooLarge("the request body is too large".into())
            }
            e => Error::Invalid {
                field: None,
                message: e.body_text(),
            },
        }
    }
}

impl From<axum::extract::rejection::PathRejection> for Error {
    fn from(e: axum::extract::rejection::PathRejection) -> Self {
        use axum::extract::rejection::PathRejection;
        match e {
            // a route without the parameters its handler reads: a bug, not the client's fault
            PathRejection::MissingPathParams(e) => Error::Other(anyhow::anyhow!(e.body_text())),
            // an id that is no id names nothing
            _ => Error::NotFound,
        }
    }
}

impl From<Arc<Error>> for Error {
    fn from(e: Arc<Error>) -> Self {
        Error::Shared(e)
    }
}

/// Maps a unique-constraint violation to a domain error, leaving other errors alone.
pub trait ResultExt<T> {
    fn on_constraint(self, name: &str, f: impl FnOnce() -> Error) -> Result<T>;
}

impl<T> ResultExt<T> for std::result::Result<T, sqlx::Error> {
    fn on_constraint(self, name: &str, f: impl FnOnce() -> Error) -> Result<T> {
        self.map_err(|e| match &e {
            sqlx::Error::Database(db) if db.constraint() == Some(name) => f(),
            _ => e.into(),
        })
    }
}

/// Marks a response whose error must be logged with its cause chain (see `http::log_errors`).
#[derive(Clone)]
pub struct LoggedError(pub Arc<Error>);

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let (message, field) = match self.root() {
            Error::Invalid { field, message } => (message.clone(), field.clone()),
            Error::UnavailableBecause { message, .. } => (message.clone(), None),
            _ if status.is_server_error() => (server_message(status).to_owned(), None),
            e => (e.to_string(), None),
        };
        let mut response = (
            status,
            Json(json!({ "error": { "message": message, "field": field } })),
        )
            .into_response();
        if let Error::TooManyRequests(secs) | Error::Busy(secs) = self.root()
            && let Ok(value) = axum::http::HeaderValue::from_str(&secs.to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        // refusing work under load is the plan working, not a failure to log
        if status.is_server_error() && !matches!(self.root(), Error::Busy(_)) {
            response
                .extensions_mut()
                .insert(LoggedError(Arc::new(self)));
        }
        response
    }
}

fn server_message(status: StatusCode) -> &'static str {
    if status == StatusCode::SERVICE_UNAVAILABLE {
        "The service is temporarily unavailable; try again shortly."
    } else {
        "Something went wrong on our side."
    }
}
