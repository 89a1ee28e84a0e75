//! `quire serve` processes (the binary this package builds): what only a real process shows,
//! signals, its own memory, its log. Each is killed when dropped.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::db::TestDb;
use super::temp::{TempDir, free_ports, tail};
use super::wait;

/// Sends `signal` (`TERM`, `KILL`, ...) to a process.
pub fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A field of `/proc/{pid}/status` given in kB (`VmRSS:`, `VmHWM:`), in KiB.
pub fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// CPU time a process has used (user + system), in clock ticks (1/100 s).
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // the command name may hold spaces: count fields after its closing parenthesis
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name
    field(11) + field(12)
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

    /// Resident memory now and at its peak, in MiB.
    pub fn memory_mib(&self) -> Option<(u64, u64)> {
        let pid = self.child.as_ref()?.id();
        Some((
            status_kib(pid, "VmRSS:")? / 1024,
            status_kib(pid, "VmHWM:")? / 1024,
        ))
    }

    /// SIGKILL, as a crashed machine or the OOM killer would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends SIGTERM, as an orchestrator stopping a replica, without waiting; answers when.
    pub fn signal_terminate(&self) -> Instant {
        let at = Instant::now();
        signal(self.pid(), "TERM");
        at
    }

    /// Waits for the process to exit after [`Self::signal_terminate`] at `signalled`; answers
    /// how long the graceful drain took and the exit status. Kills the process and fails the
    /// test past `limit`.
    pub async fn wait_exit(
        &mut self,
        signalled: Instant,
        limit: Duration,
    ) -> (Duration, ExitStatus) {
        let child = self.child.as_mut().expect("running");
        loop {
            if let Some(status) = child.try_wait().expect("wait for quire") {
                self.child = None;
                return (signalled.elapsed(), status);
            }
            if signalled.elapsed() > limit {
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

    /// SIGTERM, then the wait for the exit: answers how long the graceful drain took and the
    /// exit status. Kills the process and fails the test past `limit`.
    pub async fn terminate(&mut self, limit: Duration) -> (Duration, ExitStatus) {
        let signalled = self.signal_terminate();
        self.wait_exit(signalled, limit).await
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
        let url = self.url("/readyz");
        let ready = wait::within(limit, Duration::from_millis(20), || {
            self.check_alive();
            let url = &url;
            async move { wait::status(client, url).await == 200 }
        })
        .await;
        ready.unwrap_or_else(|| {
            panic!(
                "{} was not ready within {limit:?}; its log ends:\n{}",
                self.name,
                tail(&self.log, 30)
            )
        })
    }

    /// Stops the process and answers its log.
    pub fn stop(&mut self) -> String {
        self.kill();
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A single `quire serve` on a [`TestDb`], on a free port, with its log in a directory of its
/// own; ready when started.
pub struct ServeProcess {
    pub replica: Replica,
    _dir: TempDir,
}

impl ServeProcess {
    /// Starts `quire serve` on `db` (quiet logs unless `env` says otherwise) with extra
    /// environment variables, and waits until it is ready.
    pub async fn start(db: &TestDb, env: &[(&str, &str)]) -> Self {
        let dir = TempDir::new("serve");
        let port = free_ports(1)[0];
        let mut vars: Vec<(String, String)> = vec![
            ("DATABASE_URL".to_owned(), db.url()),
            ("QUIRE_BIND".to_owned(), format!("127.0.0.1:{port}")),
            (
                "QUIRE_DATA_DIR".to_owned(),
                dir.join("data").display().to_string(),
            ),
            ("QUIRE_LOG".to_owned(), "warn".to_owned()),
            ("NO_COLOR".to_owned(), "1".to_owned()),
        ];
        vars.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let mut replica = Replica::new("quire serve", port, vars, dir.join("serve.log"));
        replica.start();
        replica
            .wait_ready(&wait::client(), Duration::from_secs(20))
            .await;
        ServeProcess { replica, _dir: dir }
    }

    pub fn url(&self, path: &str) -> String {
        self.replica.url(path)
    }

    /// Resident memory now and at its peak, in MiB.
    pub fn memory_mib(&self) -> Option<(u64, u64)> {
        self.replica.memory_mib()
    }

    /// Sends SIGTERM and waits up to `limit` for the process to exit; answers its exit status.
    pub async fn terminate(&mut self, limit: Duration) -> ExitStatus {
        self.replica.terminate(limit).await.1
    }

    /// Stops the process and answers its log.
    pub async fn stop(mut self) -> String {
        self.replica.stop()
    }
}
