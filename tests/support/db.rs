//! A database of its own for each test, on the shared test server: `QUIRE_TEST_DATABASE_URL`,
//! else `DATABASE_URL`, else the local server as user `postgres`.
//!
//! Migrating takes longer than copying, so each test process migrates one template database
//! once and every migrated test database is a `create database … template` copy of it. The
//! template is the process's own: the welcome content it holds is written with the time of the
//! run, as a fresh install's would be. Names carry the machine and the process id, so that the
//! first test of a run can drop what killed runs on this machine left behind (databases whose
//! process is gone and that nobody uses) without touching those of test processes running
//! beside it, here or on another machine sharing the server.

use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::OnceCell;

/// What every test database's name starts with: `quire_test_{machine}_{pid}_…`.
const PREFIX: &str = "quire_test_";
/// What the template's name starts with: `quire_template_{machine}_{pid}_{migrations}`.
const TEMPLATE_PREFIX: &str = "quire_template_";
/// Held while a process sweeps leftovers, so that processes starting together do not drop
/// the same databases at once (any 64-bit number that nothing else locks on the test server).
const SWEEP_LOCK: i64 = 0x7175_6972_6574_7374;

/// The URL of the server tests create their databases on.
pub fn server_url() -> String {
    std::env::var("QUIRE_TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn server_options() -> PgConnectOptions {
    PgConnectOptions::from_str(&server_url()).expect("a valid test database URL")
}

/// The URL of database `name` on the test server, with the server URL's user, password and
/// parameters.
pub fn database_url(name: &str) -> String {
    let mut url = url::Url::parse(&server_url()).expect("a valid test database URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

async fn connect_server() -> PgConnection {
    PgConnection::connect_with(&server_options()).await.expect(
        "tests need PostgreSQL: set QUIRE_TEST_DATABASE_URL or run it on 127.0.0.1:5432 with user postgres",
    )
}

async fn execute(conn: &mut PgConnection, sql: String) -> sqlx::Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(conn)
        .await
        .map(|_| ())
}

/// FNV-1a: short, stable names from longer things.
fn fnv(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A hash of the embedded migrations (versions and checksums), so that a template's name
/// says which schema it holds.
fn migrations_hash() -> String {
    let bytes = quire::db::MIGRATOR.iter().flat_map(|m| {
        m.version
            .to_le_bytes()
            .into_iter()
            .chain(m.checksum.iter().copied())
            .collect::<Vec<u8>>()
    });
    format!("{:012x}", fnv(bytes) & 0xffff_ffff_ffff)
}

/// This machine, as six hex digits of its host name.
fn machine() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    format!("{:06x}", fnv(host.trim().bytes()) & 0xff_ffff)
}

/// `{machine}_{pid}`: whose a test or template database is.
fn owner_tag() -> String {
    format!("{}_{}", machine(), std::process::id())
}

/// Whether a process with this id runs on this machine.
fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// The process id in the name of a test or template database made on this machine.
fn local_owner(name: &str) -> Option<u32> {
    let rest = name
        .strip_prefix(PREFIX)
        .or_else(|| name.strip_prefix(TEMPLATE_PREFIX))?;
    let mut parts = rest.split('_');
    if parts.next()? != machine() {
        return None;
    }
    parts.next()?.parse().ok()
}

/// Drops this machine's test and template databases whose process has ended and that nobody
/// is connected to. A plain `drop database` fails on one that is in use by then, which is
/// left alone.
async fn sweep(conn: &mut PgConnection) {
    let names: Vec<String> = sqlx::query_scalar(
        r"select datname from pg_database d
           where (datname like 'quire\_test\_%' or datname like 'quire\_template\_%')
             and not exists (select 1 from pg_stat_activity a where a.datname = d.datname)",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("list test databases");
    for name in names {
        if local_owner(&name).is_some_and(|pid| pid != std::process::id() && !alive(pid)) {
            let _ = execute(conn, format!("drop database if exists {name}")).await;
        }
    }
}

/// Sweeps once per process, before its first database.
async fn swept() {
    static SWEPT: OnceCell<()> = OnceCell::const_new();
    SWEPT
        .get_or_init(|| async {
            let mut conn = connect_server().await;
            sqlx::query("select pg_advisory_lock($1)")
                .bind(SWEEP_LOCK)
                .execute(&mut conn)
                .await
                .expect("take the sweep lock");
            sweep(&mut conn).await;
            let _ = sqlx::query("select pg_advisory_unlock($1)")
                .bind(SWEEP_LOCK)
                .execute(&mut conn)
                .await;
            let _ = conn.close().await;
        })
        .await;
}

/// The name of this process's migrated template, created on first use.
async fn template() -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            swept().await;
            let name = format!("{TEMPLATE_PREFIX}{}_{}", owner_tag(), migrations_hash());
            let mut conn = connect_server().await;
            // one a process with this id left behind, if it was still in use at the sweep
            execute(
                &mut conn,
                format!("drop database if exists {name} with (force)"),
            )
            .await
            .expect("drop a stale template");
            execute(&mut conn, format!("create database {name}"))
                .await
                .expect("create the template database");
            let _ = conn.close().await;
            // migrated on one connection, closed before anyone copies it: a template must
            // have no session
            let pool = quire::db::pool_options(1)
                .connect_with(server_options().database(&name))
                .await
                .expect("connect to the template database");
            quire::db::migrate(&pool)
                .await
                .expect("migrate the template database");
            pool.close().await;
            name
        })
        .await
}

/// A database of its own for one test, dropped when the test ends.
pub struct TestDb {
    pub name: String,
    pub options: PgConnectOptions,
    pub pool: PgPool,
}

impl TestDb {
    /// A new database with Quire's migrations and welcome content: a copy of the template.
    pub async fn new() -> Self {
        let template = template().await;
        Self::create(&format!("template {template}")).await
    }

    /// A new, empty database (no migrations applied).
    pub async fn empty() -> Self {
        swept().await;
        Self::create("").await
    }

    async fn create(clause: &str) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("{PREFIX}{}_{}", owner_tag(), &id[..16]);
        let mut conn = connect_server().await;
        execute(&mut conn, format!("create database {name} {clause}"))
            .await
            .expect("create test database");
        let _ = conn.close().await;
        let options = server_options().database(&name);
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

    /// A new pool on this database, as another replica would open.
    pub async fn another_pool(&self) -> PgPool {
        quire::db::pool_options(5)
            .connect_with(self.options.clone())
            .await
            .expect("connect")
    }

    /// The connection URL of this database (password included), for `quire` processes.
    pub fn url(&self) -> String {
        database_url(&self.name)
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
                if let Ok(mut conn) = PgConnection::connect_with(&server_options()).await {
                    let _ = execute(
                        &mut conn,
                        format!("drop database if exists {name} with (force)"),
                    )
                    .await;
                }
            });
        })
        .join();
    }
}
