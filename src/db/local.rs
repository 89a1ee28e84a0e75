//! The local default database, used when `DATABASE_URL` is unset.
//!
//! 1. A PostgreSQL server on this machine (the standard `PG*` variables, else the local socket
//!    or 127.0.0.1:5432): database `quire` is created there if missing.
//! 2. Else, when PostgreSQL's binaries are installed, a private cluster under
//!    `QUIRE_DATA_DIR/postgres`, listening only on a socket in that directory.
//! 3. Else an error that says how to get a database.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use tokio::process::Command;

use super::describe;

const DATABASE: &str = "quire";

/// Finds or makes the local database and answers how to connect to it.
pub(super) async fn resolve(data_dir: &Path) -> anyhow::Result<PgConnectOptions> {
    let from_env = PgConnectOptions::new();
    let mut candidates = vec![from_env.clone()];
    if std::env::var_os("PGUSER").is_none() && from_env.get_username() != "postgres" {
        // the OS user often has no role of its own; Debian's server has `postgres`
        candidates.push(from_env.clone().username("postgres"));
    }
    let mut last_refusal = None;
    for options in candidates {
        match ensure_database(&options).await {
            Ok(options) => {
                tracing::info!(server = %describe(&options), "using the local PostgreSQL server");
                return Ok(options);
            }
            Err(LocalError::NoServer(_)) => break,
            Err(LocalError::Refused(e)) => last_refusal = Some(e),
        }
    }
    if let Some(e) = last_refusal {
        bail!(
            "the local PostgreSQL server at {} refused the connection ({e}); set PGUSER/PGPASSWORD \
             or DATABASE_URL=postgres://USER:PASSWORD@HOST/quire",
            describe(&from_env)
        );
    }
    let Some(bin) = find_binaries() else {
        bail!(
            "no PostgreSQL server answers on this machine and PostgreSQL is not installed: install it \
             (Debian/Ubuntu: apt-get install postgresql) or set DATABASE_URL=postgres://USER:PASSWORD@HOST/quire"
        );
    };
    let options = private_cluster(&bin, data_dir).await?;
    match ensure_database(&options).await {
        Ok(options) => Ok(options),
        Err(LocalError::NoServer(e) | LocalError::Refused(e)) => {
            Err(e).context("connecting to the private PostgreSQL cluster")
        }
    }
}

enum LocalError {
    /// Nothing listens: try the next way.
    NoServer(sqlx::Error),
    /// A server answered but said no (authentication, missing role).
    Refused(sqlx::Error),
}

/// Connects to the server's maintenance database and creates `quire` if it is missing.
async fn ensure_database(server: &PgConnectOptions) -> Result<PgConnectOptions, LocalError> {
    let maintenance = server
        .clone()
        .database(server.get_database().unwrap_or("postgres"));
    let mut conn = match tokio::time::timeout(
        Duration::from_secs(3),
        PgConnection::connect_with(&maintenance),
    )
    .await
    {
        Ok(Ok(conn)) => conn,
        Ok(Err(e @ (sqlx::Error::Io(_) | sqlx::Error::Tls(_)))) => {
            return Err(LocalError::NoServer(e));
        }
        Ok(Err(e)) => return Err(LocalError::Refused(e)),
        Err(_) => return Err(LocalError::NoServer(sqlx::Error::PoolTimedOut)),
    };
    let exists = crate::store::site::database_exists(&mut conn, DATABASE)
        .await
        .map_err(LocalError::Refused)?;
    if !exists {
        match crate::store::site::create_quire_database(&mut conn).await {
            Ok(_) => tracing::info!("created database {DATABASE}"),
            // another replica created it meanwhile
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => {}
            Err(e) => return Err(LocalError::Refused(e)),
        }
    }
    let _ = conn.close().await;
    Ok(server.clone().database(DATABASE))
}

/// The directory holding `initdb` and `pg_ctl`: PATH first, then Debian's versioned layout.
fn find_binaries() -> Option<PathBuf> {
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
                return Some(dir);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// Initialises (once) and starts a cluster in `data_dir/postgres`, reachable only through a
/// socket in that directory. PostgreSQL refuses to run as root; as root we run it as the
/// `postgres` account, which must be able to reach the directory.
async fn private_cluster(bin: &Path, data_dir: &Path) -> anyhow::Result<PgConnectOptions> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let data_dir = data_dir.canonicalize()?;
    let cluster = data_dir.join("postgres");
    // a Unix socket path is limited to about 107 bytes
    if cluster.join(".s.PGSQL.5432").as_os_str().len() > 100 {
        bail!(
            "QUIRE_DATA_DIR {} is too long a path for PostgreSQL's socket; choose a shorter one",
            data_dir.display()
        );
    }
    let as_root = is_root().await;
    let run = |program: &str| {
        let mut cmd = if as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(bin.join(program));
            c
        } else {
            Command::new(bin.join(program))
        };
        cmd.stdin(Stdio::null());
        cmd
    };
    if !cluster.join("PG_VERSION").exists() {
        std::fs::create_dir_all(&cluster)?;
        if as_root {
            let status = Command::new("chown")
                .arg("postgres:")
                .arg(&cluster)
                .status()
                .await?;
            let reachable = run("postgres")
                .arg("--version")
                .current_dir(&cluster)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .await;
            if !status.success() || !matches!(reachable, Ok(s) if s.success()) {
                bail!(
                    "PostgreSQL cannot run as root, and the postgres account cannot use {}: set \
                     QUIRE_DATA_DIR to a directory it can reach, or set DATABASE_URL",
                    cluster.display()
                );
            }
        }
        tracing::info!(dir = %cluster.display(), "initialising a private PostgreSQL cluster");
        let out = run("initdb")
            .args([
                "--auth=trust",
                "--username=postgres",
                "--encoding=UTF8",
                "--no-locale",
                "-D",
            ])
            .arg(&cluster)
            .output()
            .await
            .context("running initdb")?;
        if !out.status.success() {
            bail!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }
    let running = run("pg_ctl")
        .arg("status")
        .arg("-D")
        .arg(&cluster)
        .output()
        .await?
        .status
        .success();
    if !running {
        tracing::info!(dir = %cluster.display(), "starting the private PostgreSQL cluster");
        // inside the cluster's directory, which the server's account owns
        let log = cluster.join("server.log");
        let out = run("pg_ctl")
            .arg("start")
            .arg("-w")
            .args(["-t", "60", "-D"])
            .arg(&cluster)
            .arg("-l")
            .arg(&log)
            .arg("-o")
            .arg(format!("-c listen_addresses='' -k {}", cluster.display()))
            .output()
            .await
            .context("running pg_ctl")?;
        if !out.status.success() {
            bail!(
                "the private PostgreSQL cluster did not start ({}); see {}",
                String::from_utf8_lossy(&out.stderr).trim(),
                log.display()
            );
        }
    }
    Ok(PgConnectOptions::new()
        .socket(&cluster)
        .username("postgres")
        .database("postgres"))
}

async fn is_root() -> bool {
    match Command::new("id").arg("-u").output().await {
        Ok(out) => String::from_utf8_lossy(&out.stdout).trim() == "0",
        Err(_) => false,
    }
}
