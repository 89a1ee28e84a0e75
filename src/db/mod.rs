//! The connection pool, migrations and the content of a fresh install.

mod local;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool};

use crate::config::{DbConfig, redact_url};
use crate::domain::post::{PostStatus, PostType};
use crate::render::markdown;
use crate::store;

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// Opens the pool described by the configuration, resolving the local default database when
/// `DATABASE_URL` is unset (see [`local`]).
pub async fn connect(config: &DbConfig) -> anyhow::Result<PgPool> {
    let mut options = match &config.database_url {
        Some(url) => {
            let options = PgConnectOptions::from_str(url)
                .with_context(|| format!("invalid DATABASE_URL {}", redact_url(url)))?;
            if url_sets_ssl_mode(url) {
                options
            } else {
                without_tls_on_loopback(options)
            }
        }
        None => local::resolve(&config.data_dir).await?,
    };
    // named in `pg_stat_activity` unless the URL names it (`?application_name=...`)
    if options.get_application_name().is_none() {
        options = options.application_name("quire");
    }
    let pool = pool_options(config.db_connections)
        .connect_with(options.clone())
        .await
        .with_context(|| format!("cannot connect to PostgreSQL at {}", describe(&options)))?;
    Ok(pool)
}

/// Whether a `DATABASE_URL` chooses its TLS mode (`?sslmode=...`).
fn url_sets_ssl_mode(url: &str) -> bool {
    url.split_once('?')
        .is_some_and(|(_, query)| query.split('&').any(|p| p.starts_with("sslmode=")))
}

/// A server on this machine (loopback or a Unix socket) is reached without TLS unless the URL
/// asks for it: the bytes never leave the machine, and the handshake (the `prefer` default,
/// against a server with TLS on) costs each new connection tens of milliseconds, the largest
/// part of a replica's start-up.
fn without_tls_on_loopback(options: PgConnectOptions) -> PgConnectOptions {
    let host = options.get_host();
    let local = host.starts_with('/')
        || host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if local {
        options.ssl_mode(sqlx::postgres::PgSslMode::Disable)
    } else {
        options
    }
}

/// Pool settings shared by the server and the CLI: fail fast when the database is away, so
/// requests answer 503 instead of hanging, and recycle connections after a database restart.
///
/// The pool already tests every connection when it is given back (a round trip sqlx always
/// makes); testing it again when it is taken, sqlx's default, cost another round trip per
/// page render. Only a connection that sat idle for a second or more, long enough to have
/// outlived a database restart, is tested when taken.
pub fn pool_options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(3))
        .idle_timeout(Duration::from_secs(300))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= Duration::from_secs(1) {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
}

/// `host:port/database` of a connection, without credentials.
pub fn describe(options: &PgConnectOptions) -> String {
    format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("(default)")
    )
}

/// Applies pending migrations, then writes the welcome content of a fresh install.
///
/// sqlx holds a PostgreSQL advisory lock while migrating, so replicas that start together wait
/// for each other and the migrations run once.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    // one connection for both: the migrator's is not back in the pool at once, and opening
    // another costs a start-up tens of milliseconds
    let mut conn = pool.acquire().await?;
    MIGRATOR
        .run(&mut *conn)
        .await
        .context("applying database migrations")?;
    seed(&mut conn)
        .await
        .context("writing the welcome content")?;
    Ok(())
}

/// Whether every migration embedded in this binary is applied.
pub async fn migrations_applied(pool: &PgPool) -> anyhow::Result<bool> {
    let applied = store::site::applied_migrations(pool).await?;
    Ok(MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .all(|m| applied.contains(&m.version)))
}

/// The content of a fresh install: kind, slug, title and Markdown of each post.
const SEED: [(PostType, &str, &str, &str); 2] = [
    (
        PostType::Post,
        "welcome",
        "Welcome to Quire",
        include_str!("seed/welcome.md"),
    ),
    (
        PostType::Page,
        "about",
        "About this site",
        include_str!("seed/about.md"),
    ),
];

/// The slug of the tag the welcome post has on a fresh install.
pub const SEED_TAG: &str = "getting-started";

/// The ids of the welcome post and About page when they are the site's only posts and nobody
/// has changed them since they were written (same slug, title and Markdown, first version):
/// a site that is still a fresh install, whose seed an import may replace.
pub async fn untouched_seed(
    db: impl sqlx::PgExecutor<'_>,
) -> sqlx::Result<Option<Vec<uuid::Uuid>>> {
    let posts = store::posts::first_three(db).await?;
    let untouched = posts.len() == SEED.len()
        && posts
            .iter()
            .all(|(_, kind, slug, title, markdown, version)| {
                *version == 1
                    && SEED
                        .iter()
                        .any(|(k, s, t, m)| k == kind && s == slug && t == title && m == markdown)
            });
    Ok(untouched.then(|| posts.into_iter().map(|p| p.0).collect()))
}

/// A fresh install gets a welcome post and an About page, once, whoever starts first.
async fn seed(conn: &mut PgConnection) -> anyhow::Result<()> {
    let mut tx = sqlx::Connection::begin(conn).await?;
    if store::site::lock_seeded(&mut tx).await? {
        return Ok(());
    }
    let now = chrono::Utc::now();
    let mut welcome = None;
    for (kind, slug, title, md) in SEED {
        let rendered = markdown::render(md).expect("the welcome content renders");
        let post = store::admin_posts::PostFields {
            kind,
            status: PostStatus::Published,
            slug: slug.to_owned(),
            title: title.to_owned(),
            markdown: md.to_owned(),
            rendered,
            custom_excerpt: None,
            feature_image: None,
            feature_image_alt: None,
            feature_image_caption: None,
            featured: false,
            meta_title: None,
            meta_description: None,
            canonical_url: None,
            codeinjection_head: None,
            codeinjection_foot: None,
            published_at: Some(now),
        };
        let id = store::admin_posts::insert(&mut *tx, &post, None).await?;
        if kind == PostType::Post {
            welcome = Some(id);
        }
    }
    let tag = store::tags::insert(
        &mut *tx,
        SEED_TAG,
        "Getting Started",
        "First steps with Quire.",
        "public",
    )
    .await?;
    if let Some(welcome) = welcome {
        store::admin_posts::set_tags(&mut tx, welcome, &[tag]).await?;
    }
    store::site::mark_seeded(&mut tx).await?;
    tx.commit().await?;
    tracing::info!("wrote the welcome post and the About page");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The TLS mode a URL ends with, by name.
    fn mode(url: &str) -> String {
        let options = PgConnectOptions::from_str(url).unwrap();
        let options = if url_sets_ssl_mode(url) {
            options
        } else {
            without_tls_on_loopback(options)
        };
        format!("{:?}", options.get_ssl_mode())
    }

    #[test]
    fn tls_is_skipped_only_on_this_machine_and_only_when_the_url_is_silent() {
        let (disable, prefer, require) = ("Disable", "Prefer", "Require");
        assert_eq!(mode("postgres://u@127.0.0.1:5432/db"), disable);
        assert_eq!(mode("postgres://u@localhost/db"), disable);
        assert_eq!(mode("postgres://u@[::1]/db"), disable);
        assert_eq!(mode("postgres://u@db.internal/db"), prefer);
        assert_eq!(mode("postgres://u@10.0.0.5/db"), prefer);
        assert_eq!(mode("postgres://u@127.0.0.1/db?sslmode=require"), require);
        assert_eq!(
            mode("postgres://u@db.internal/db?application_name=x&sslmode=disable"),
            disable
        );
    }
}
