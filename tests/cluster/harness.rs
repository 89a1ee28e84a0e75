//! The pieces of a cluster, each a guard that stops what it started when dropped: `quire serve`
//! processes, nginx, a private PostgreSQL cluster, a database on the shared test server and an
//! S3-protocol server. Everything listens on loopback ports chosen by binding port 0.

use std::fs::File;
use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};
use url::Url;

/// A directory of its own under the system's temporary directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let path = std::env::temp_dir().join(format!("quire-cluster-{label}-{}", &id[..8]));
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `n` distinct loopback ports that were free a moment ago.
pub fn free_ports(n: usize) -> Vec<u16> {
    // all held at once, so the same port cannot come back twice
    let listeners: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

/// Whether this process runs as root (PostgreSQL then runs as `postgres`, nginx as root).
pub fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The last `n` lines of a file, for failure messages.
pub fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Sends `signal` (`TERM`, `KILL`, ...) to a process.
fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// An HTTP client for loopback servers: no proxy, no redirects, bounded time.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("HTTP client")
}

/// One `quire serve` process on a fixed loopback port; it can be killed, stopped and started
/// again on the same port. Its output goes to a log file, kept across restarts.
pub struct Replica {
    pub name: String,
    pub port: u16,
    /// Where its `/metrics` listener is, when it has one.
    pub metrics_port: Option<u16>,
    env: Vec<(String, String)>,
    pub log: PathBuf,
    child: Option<Child>,
}

impl Replica {
    pub fn new(name: &str, port: u16, env: Vec<(String, String)>, log: PathBuf) -> Self {
        Replica {
            name: name.to_owned(),
            port,
            metrics_port: None,
            env,
            log,
            child: None,
        }
    }

    /// Starts the process (not waiting for it to be ready).
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "{} is already running", self.name);
        let mut log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open the replica's log");
        let _ = writeln!(log, "----- quire serve on port {} -----", self.port);
        let child = Command::new(env!("CARGO_BIN_EXE_quire"))
            .arg("serve")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("start quire serve");
        self.child = Some(child);
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The URL of its `/metrics`, on the separate metrics listener.
    pub fn metrics_url(&self) -> String {
        let port = self
            .metrics_port
            .expect("a replica started with QUIRE_METRICS_BIND");
        format!("http://127.0.0.1:{port}/metrics")
    }

    /// SIGKILL, as a crashed machine or the OOM killer would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, as an orchestrator stopping a replica: answers how long the graceful drain took
    /// and the exit status. Kills the process and fails the test past `limit`.
    pub async fn terminate(&mut self, limit: Duration) -> (Duration, ExitStatus) {
        let start = Instant::now();
        let child = self.child.as_mut().expect("running");
        signal(child.id(), "TERM");
        loop {
            if let Some(status) = child.try_wait().expect("wait for quire") {
                self.child = None;
                return (start.elapsed(), status);
            }
            if start.elapsed() > limit {
                self.kill();
                panic!(
                    "{} did not exit within {limit:?} of SIGTERM; its log ends:\n{}",
                    self.name,
                    tail(&self.log, 30)
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Fails the test, with the end of the log, if the process has exited.
    fn check_alive(&mut self) {
        if let Some(child) = self.child.as_mut()
            && let Ok(Some(status)) = child.try_wait()
        {
            self.child = None;
            panic!(
                "{} exited ({status}); its log ends:\n{}",
                self.name,
                tail(&self.log, 30)
            );
        }
    }

    /// Polls `/readyz` until it answers 200; answers how long that took.
    pub async fn wait_ready(&mut self, client: &reqwest::Client, limit: Duration) -> Duration {
        let start = Instant::now();
        loop {
            self.check_alive();
            if let Ok(r) = client.get(self.url("/readyz")).send().await
                && r.status() == 200
            {
                return start.elapsed();
            }
            if start.elapsed() > limit {
                panic!(
                    "{} was not ready within {limit:?}; its log ends:\n{}",
                    self.name,
                    tail(&self.log, 30)
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The nginx binary: on the PATH, else Debian's place.
pub fn nginx_binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("nginx"))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let debian = PathBuf::from("/usr/sbin/nginx");
        debian.is_file().then_some(debian)
    })
}

/// nginx in front of the replicas, with a configuration of its own in `dir`.
pub struct Nginx {
    pub port: u16,
    pub error_log: PathBuf,
    child: Option<Child>,
}

/// Where nginx sends `/media/`: an S3 bucket, as a CDN in front of it would.
pub struct MediaOrigin {
    pub addr: SocketAddr,
    pub bucket: String,
}

impl Nginx {
    /// Writes `nginx.conf` and starts nginx in the foreground; answers once it accepts
    /// connections.
    pub async fn start(
        dir: &Path,
        port: u16,
        upstreams: &[u16],
        media: Option<&MediaOrigin>,
    ) -> Self {
        let binary = nginx_binary().unwrap_or_else(|| {
            panic!(
                "the cluster tests need nginx: apt-get install nginx-light (or nginx), or set \
                 QUIRE_SKIP_CLUSTER_TESTS=1 to skip them"
            )
        });
        let d = dir.display();
        for sub in ["body", "proxy", "fastcgi", "uwsgi", "scgi"] {
            std::fs::create_dir_all(dir.join("tmp").join(sub)).unwrap();
        }
        let servers: String = upstreams
            .iter()
            .map(|p| format!("        server 127.0.0.1:{p} max_fails=1 fail_timeout=1s;\n"))
            .collect();
        let media_location = media
            .map(|m| {
                format!(
                    "        # the CDN's role: public reads of the bucket\n        \
                     location /media/ {{\n            \
                     proxy_pass http://{addr}/{bucket}/;\n            \
                     proxy_set_header Host {addr};\n        }}\n",
                    addr = m.addr,
                    bucket = m.bucket
                )
            })
            .unwrap_or_default();
        // as root the workers would otherwise run as `nobody`, who cannot use `dir`
        let user = if is_root() { "user root;\n" } else { "" };
        let conf = format!(
            r#"{user}worker_processes 1;
pid {d}/nginx.pid;
lock_file {d}/nginx.lock;
error_log {d}/error.log warn;
events {{
    worker_connections 1024;
}}
http {{
    access_log off;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    client_max_body_size 20m;

    upstream quire {{
{servers}        keepalive 32;
    }}

    server {{
        listen 127.0.0.1:{port};
{media_location}
        location / {{
            proxy_pass http://quire;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_connect_timeout 1s;
            # a replica that dies or drains mid-request: try the next one. Only idempotent
            # requests are retried (no non_idempotent): a POST may have been applied already.
            proxy_next_upstream error timeout http_502 http_503 http_504;
            proxy_next_upstream_tries 3;
            proxy_next_upstream_timeout 10s;
        }}
    }}
}}
"#
        );
        let conf_path = dir.join("nginx.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let error_log = dir.join("error.log");
        let stderr = File::create(dir.join("stderr.log")).unwrap();
        let child = Command::new(&binary)
            .arg("-p")
            .arg(dir)
            .arg("-e")
            .arg(&error_log)
            .arg("-c")
            .arg(&conf_path)
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start nginx");
        let mut nginx = Nginx {
            port,
            error_log,
            child: Some(child),
        };
        let start = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if let Some(Ok(Some(status))) = nginx.child.as_mut().map(Child::try_wait) {
                nginx.child = None;
                panic!(
                    "nginx exited ({status}):\n{}\n{}",
                    tail(&dir.join("stderr.log"), 20),
                    tail(&nginx.error_log, 20)
                );
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "nginx did not listen within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        nginx
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // the master stops its workers on SIGTERM; SIGKILL would orphan them
            signal(child.id(), "TERM");
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(3) {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The directory of PostgreSQL's server binaries: Debian's newest `/usr/lib/postgresql/*/bin`,
/// else the PATH.
pub fn postgres_binaries() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("pg_ctl").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).or_else(|| {
        std::env::var_os("PATH")
            .and_then(|paths| std::env::split_paths(&paths).find(|d| d.join("pg_ctl").is_file()))
    })
}

/// A PostgreSQL cluster of the test's own (initdb in a temporary directory, a random loopback
/// port, no fsync), so it can be stopped and started without disturbing anyone. As root, its
/// programs run as the `postgres` account.
pub struct PrivatePostgres {
    pub port: u16,
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    running: bool,
    _dir: TempDir,
}

impl PrivatePostgres {
    /// Initialises and starts a cluster; answers how long that took.
    pub async fn start() -> (Self, Duration) {
        let started = Instant::now();
        let bin = postgres_binaries().unwrap_or_else(|| {
            panic!(
                "the cluster tests need PostgreSQL's server programs (initdb, pg_ctl): apt-get \
                 install postgresql, or set QUIRE_SKIP_CLUSTER_TESTS=1"
            )
        });
        let dir = TempDir::new("pg");
        let data = dir.path().join("data");
        let log = dir.path().join("server.log");
        if is_root() {
            let status = Command::new("chown")
                .arg("postgres:")
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(status.success(), "chown postgres: {}", dir.path().display());
        }
        let port = free_ports(1)[0];
        let mut pg = PrivatePostgres {
            port,
            bin,
            data,
            log,
            running: false,
            _dir: dir,
        };
        let out = pg
            .command("initdb")
            .args([
                "--auth=trust",
                "--username=postgres",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
                "-D",
            ])
            .arg(&pg.data)
            .output()
            .await
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        pg.start_server().await;
        (pg, started.elapsed())
    }

    fn command(&self, program: &str) -> tokio::process::Command {
        let mut cmd = if is_root() {
            let mut c = tokio::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(self.bin.join(program));
            c
        } else {
            tokio::process::Command::new(self.bin.join(program))
        };
        cmd.stdin(Stdio::null()).kill_on_drop(true);
        cmd
    }

    /// `pg_ctl start`, waiting until the server accepts connections; answers how long it took.
    pub async fn start_server(&mut self) -> Duration {
        let start = Instant::now();
        let out = self
            .command("pg_ctl")
            .args(["start", "-w", "-t", "30", "-D"])
            .arg(&self.data)
            .arg("-l")
            .arg(&self.log)
            .arg("-o")
            .arg(format!(
                "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' \
                 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                self.port
            ))
            .output()
            .await
            .expect("run pg_ctl start");
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            tail(&self.log, 20)
        );
        self.running = true;
        start.elapsed()
    }

    /// `pg_ctl stop -m fast`: every connection is cut and the server is down when this
    /// returns; answers how long it took.
    pub async fn stop_server(&mut self) -> Duration {
        let start = Instant::now();
        let out = self
            .command("pg_ctl")
            .args(["stop", "-w", "-m", "fast", "-D"])
            .arg(&self.data)
            .output()
            .await
            .expect("run pg_ctl stop");
        assert!(
            out.status.success(),
            "pg_ctl stop failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.running = false;
        start.elapsed()
    }

    /// The URL of database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates database `name` and answers a pool on it.
    pub async fn create_database(&self, name: &str) -> PgPool {
        let mut conn = PgConnection::connect(&self.url("postgres"))
            .await
            .expect("connect to the private cluster");
        sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
            .execute(&mut conn)
            .await
            .expect("create database");
        let _ = conn.close().await;
        quire::db::pool_options(3)
            .connect(&self.url(name))
            .await
            .expect("connect to the new database")
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        if self.running {
            let mut cmd = if is_root() {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"])
                    .arg(self.bin.join("pg_ctl"));
                c
            } else {
                Command::new(self.bin.join("pg_ctl"))
            };
            let _ = cmd
                .args(["stop", "-w", "-m", "immediate", "-D"])
                .arg(&self.data)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// The server the other tests use: `QUIRE_TEST_DATABASE_URL`, else `DATABASE_URL`, else the
/// local server as `postgres`.
fn shared_server_url() -> String {
    std::env::var("QUIRE_TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A new, empty database on the shared test server, dropped at the end.
pub struct SharedDb {
    pub name: String,
    url: String,
    pub pool: PgPool,
}

impl SharedDb {
    pub async fn create() -> Self {
        let server = shared_server_url();
        let admin = PgConnectOptions::from_str(&server).expect("a valid test database URL");
        let id = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("quire_cluster_{}", &id[..12]);
        let mut conn = PgConnection::connect_with(&admin).await.expect(
            "the cluster tests need PostgreSQL: set QUIRE_TEST_DATABASE_URL or run it on \
             127.0.0.1:5432 with user postgres",
        );
        sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
            .execute(&mut conn)
            .await
            .expect("create the cluster's database");
        let _ = conn.close().await;
        let mut url = Url::parse(&server).expect("a valid test database URL");
        url.set_path(&format!("/{name}"));
        let url = url.to_string();
        let pool = quire::db::pool_options(3)
            .connect(&url)
            .await
            .expect("connect to the cluster's database");
        SharedDb { name, url, pool }
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for SharedDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // no async drop: a thread with a runtime of its own drops the database
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let admin = PgConnectOptions::from_str(&shared_server_url()).unwrap();
                if let Ok(mut conn) = PgConnection::connect_with(&admin).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "drop database if exists {name} with (force)"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            });
        })
        .join();
    }
}

pub const S3_BUCKET: &str = "quire-media";
pub const S3_ACCESS_KEY: &str = "quire-cluster-access";
pub const S3_SECRET_KEY: &str = "quire-cluster-secret-key";

/// An S3-protocol server (s3s-fs) in this process on a loopback port, with one bucket whose
/// objects anyone may read (as behind a CDN) and only signed requests may write.
pub struct S3Server {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
    _root: TempDir,
}

/// Reads (GET, HEAD) are public; everything else needs a valid signature.
struct PublicRead;

impl s3s::access::S3Access for PublicRead {
    // what `#[async_trait]` would generate, written out to need no macro crate
    fn check<'a, 'b, 'c, 'f>(
        &'a self,
        cx: &'b mut s3s::access::S3AccessContext<'c>,
    ) -> std::pin::Pin<Box<dyn Future<Output = s3s::S3Result<()>> + Send + 'f>>
    where
        'a: 'f,
        'b: 'f,
        'c: 'f,
        Self: 'f,
    {
        let allowed = cx.credentials().is_some() || matches!(cx.method().as_str(), "GET" | "HEAD");
        Box::pin(async move {
            if allowed {
                Ok(())
            } else {
                Err(s3s::s3_error!(AccessDenied, "Signature is required"))
            }
        })
    }
}

impl S3Server {
    pub async fn start() -> Self {
        let root = TempDir::new("s3");
        std::fs::create_dir_all(root.path().join(S3_BUCKET)).unwrap();
        let fs = s3s_fs::FileSystem::new(root.path()).unwrap();
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(
            S3_ACCESS_KEY,
            S3_SECRET_KEY,
        ));
        builder.set_access(PublicRead);
        let service = builder.build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let http =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let connection = http
                    .serve_connection(hyper_util::rt::TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
        });
        S3Server {
            addr,
            task,
            _root: root,
        }
    }

    pub fn origin(&self) -> MediaOrigin {
        MediaOrigin {
            addr: self.addr,
            bucket: S3_BUCKET.to_owned(),
        }
    }

    /// What a replica needs in its environment to store media in this server's bucket,
    /// served publicly at `public_base`.
    pub fn env(&self, public_base: &str) -> Vec<(String, String)> {
        [
            ("QUIRE_MEDIA", "s3".to_owned()),
            ("QUIRE_S3_BUCKET", S3_BUCKET.to_owned()),
            ("QUIRE_S3_ENDPOINT", format!("http://{}", self.addr)),
            ("QUIRE_S3_PATH_STYLE", "true".to_owned()),
            ("QUIRE_MEDIA_BASE_URL", public_base.to_owned()),
            ("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY.to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Three replicas on one database behind nginx. Dropping it stops every process it started
/// (and, after a failure, prints the end of their logs).
pub struct Cluster {
    pub replicas: Vec<Replica>,
    pub nginx: Nginx,
    pub client: reqwest::Client,
    /// Declared last: removed after the processes using it have stopped.
    _dir: TempDir,
}

impl Cluster {
    /// Starts nginx and then the three replicas at the same moment; answers once all are ready,
    /// with each one's time from start to ready.
    pub async fn start(
        label: &str,
        database_url: &str,
        s3: Option<&S3Server>,
    ) -> (Self, Vec<Duration>) {
        let dir = TempDir::new(label);
        let ports = free_ports(7);
        let (nginx_port, replica_ports, metrics_ports) = (ports[0], &ports[1..4], &ports[4..]);
        let nginx_dir = dir.path().join("nginx");
        std::fs::create_dir_all(&nginx_dir).unwrap();
        let origin = s3.map(S3Server::origin);
        let nginx = Nginx::start(&nginx_dir, nginx_port, replica_ports, origin.as_ref()).await;
        let base_url = nginx.url("");
        let replicas = replica_ports
            .iter()
            .enumerate()
            .map(|(i, &port)| {
                let data_dir = dir.path().join(format!("replica-{}", i + 1));
                let mut env = vec![
                    ("DATABASE_URL".to_owned(), database_url.to_owned()),
                    ("QUIRE_BIND".to_owned(), format!("127.0.0.1:{port}")),
                    (
                        "QUIRE_METRICS_BIND".to_owned(),
                        format!("127.0.0.1:{}", metrics_ports[i]),
                    ),
                    ("QUIRE_BASE_URL".to_owned(), base_url.clone()),
                    // nginx, on loopback, is the load balancer: its X-Forwarded-For is believed
                    (
                        "QUIRE_TRUSTED_PROXIES".to_owned(),
                        "127.0.0.1/32".to_owned(),
                    ),
                    ("QUIRE_DATA_DIR".to_owned(), data_dir.display().to_string()),
                    ("QUIRE_DB_CONNECTIONS".to_owned(), "5".to_owned()),
                    ("QUIRE_CACHE_MB".to_owned(), "16".to_owned()),
                    ("QUIRE_LOG".to_owned(), "info,sqlx=warn".to_owned()),
                    ("QUIRE_LOG_FORMAT".to_owned(), "text".to_owned()),
                    ("NO_COLOR".to_owned(), "1".to_owned()),
                ];
                if let Some(s3) = s3 {
                    env.extend(s3.env(&nginx.url("/media")));
                }
                let log = dir.path().join(format!("replica-{}.log", i + 1));
                let mut replica = Replica::new(&format!("replica {}", i + 1), port, env, log);
                replica.metrics_port = Some(metrics_ports[i]);
                replica
            })
            .collect();
        let mut cluster = Cluster {
            replicas,
            nginx,
            client: client(),
            _dir: dir,
        };
        for replica in &mut cluster.replicas {
            replica.start();
        }
        let client = cluster.client.clone();
        let ready = futures_util::future::join_all(
            cluster
                .replicas
                .iter_mut()
                .map(|r| r.wait_ready(&client, Duration::from_secs(30))),
        )
        .await;
        (cluster, ready)
    }

    /// Waits until replica `i` answers `/readyz` with 200.
    pub async fn wait_ready(&mut self, i: usize, limit: Duration) -> Duration {
        let client = self.client.clone();
        self.replicas[i].wait_ready(&client, limit).await
    }

    /// Starts replica `i` again (after a kill or a stop) and waits until it is ready.
    pub async fn restart(&mut self, i: usize) -> Duration {
        let start = Instant::now();
        self.replicas[i].start();
        self.wait_ready(i, Duration::from_secs(30)).await;
        start.elapsed()
    }

    /// GET on a URL; panics on a connection error.
    pub async fn get(&self, url: &str) -> reqwest::Response {
        self.client
            .get(url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"))
    }

    /// The status and body of a GET.
    pub async fn fetch(&self, url: &str) -> (u16, String) {
        let response = self.get(url).await;
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for replica in &self.replicas {
                eprintln!(
                    "--- end of {} log ({}):\n{}",
                    replica.name,
                    replica.log.display(),
                    tail(&replica.log, 25)
                );
            }
            eprintln!(
                "--- end of nginx's error log:\n{}",
                tail(&self.nginx.error_log, 25)
            );
        }
    }
}
