//! The pieces of a cluster, each a guard that stops what it started when dropped: nginx, a
//! private PostgreSQL cluster and three `quire serve` processes behind them. The shared harness
//! (`tests/support`) gives the processes, the database on the shared test server and the
//! S3-protocol server. Everything listens on loopback ports chosen by binding port 0.

use std::fs::File;
use std::net::SocketAddr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection, PgPool};

pub use crate::support::db::TestDb;
pub use crate::support::process::Replica;
use crate::support::process::signal;
use crate::support::s3::BUCKET;
pub use crate::support::s3::S3Server;
pub use crate::support::temp::{TempDir, free_ports, tail};
pub use crate::support::wait::client;

/// Whether this process runs as root (PostgreSQL then runs as `postgres`, nginx as root).
pub fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
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
        let origin = s3.map(|s3| MediaOrigin {
            addr: s3.addr,
            bucket: BUCKET.to_owned(),
        });
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
