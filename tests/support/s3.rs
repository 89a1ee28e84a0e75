//! An S3-protocol server (s3s-fs) in the test process on a loopback port, with one bucket
//! whose objects anyone may read (as behind a CDN) and only signed requests may write. It
//! counts the writes it receives, and can hold them: a test can wait until a replica is in
//! the middle of storing an upload.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::watch;

use super::temp::TempDir;

pub const BUCKET: &str = "quire-media";
pub const ACCESS_KEY: &str = "quire-test-access";
pub const SECRET_KEY: &str = "quire-test-secret-key";

/// What the server tells the test about writes.
#[derive(Clone)]
struct Writes {
    /// Signed writes received so far.
    seen: watch::Sender<u64>,
    /// While true, writes wait before they are carried out.
    held: watch::Sender<bool>,
}

/// Reads (GET, HEAD) are public; everything else needs a valid signature.
struct PublicRead(Writes);

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
        let read = matches!(cx.method().as_str(), "GET" | "HEAD");
        let signed = cx.credentials().is_some();
        let writes = self.0.clone();
        Box::pin(async move {
            if !signed && !read {
                return Err(s3s::s3_error!(AccessDenied, "Signature is required"));
            }
            if !read {
                writes.seen.send_modify(|n| *n += 1);
                let mut held = writes.held.subscribe();
                let _ = held.wait_for(|held| !*held).await;
            }
            Ok(())
        })
    }
}

pub struct S3Server {
    pub addr: SocketAddr,
    writes: Writes,
    task: tokio::task::JoinHandle<()>,
    _root: TempDir,
}

impl S3Server {
    pub async fn start() -> Self {
        let root = TempDir::new("s3");
        std::fs::create_dir_all(root.join(BUCKET)).unwrap();
        let fs = s3s_fs::FileSystem::new(root.path()).unwrap();
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let writes = Writes {
            seen: watch::Sender::new(0),
            held: watch::Sender::new(false),
        };
        builder.set_access(PublicRead(writes.clone()));
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
            writes,
            task,
            _root: root,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// An S3 client with the test credentials, as the AWS chain would provide them.
    pub fn client(&self) -> aws_sdk_s3::Client {
        client(&self.endpoint())
    }

    /// Quire's storage in the bucket under `prefix`, served publicly at `public_base`.
    pub fn storage(&self, prefix: &str, public_base: &str) -> quire::media::Storage {
        quire::media::Storage::s3(
            self.client(),
            BUCKET.to_owned(),
            prefix.to_owned(),
            public_base.to_owned(),
        )
    }

    /// What a `quire serve` process needs in its environment to store media in the bucket,
    /// served publicly at `public_base`.
    pub fn env(&self, public_base: &str) -> Vec<(String, String)> {
        [
            ("QUIRE_MEDIA", "s3".to_owned()),
            ("QUIRE_S3_BUCKET", BUCKET.to_owned()),
            ("QUIRE_S3_ENDPOINT", self.endpoint()),
            ("QUIRE_S3_PATH_STYLE", "true".to_owned()),
            ("QUIRE_MEDIA_BASE_URL", public_base.to_owned()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Signed writes (puts, deletes) received so far.
    pub fn writes(&self) -> u64 {
        *self.writes.seen.borrow()
    }

    /// Holds every write from now until the guard is dropped: the writer waits for its
    /// answer meanwhile.
    pub fn hold_writes(&self) -> HeldWrites {
        self.writes.held.send_replace(true);
        HeldWrites(self.writes.held.clone())
    }

    /// Waits until more than `count` writes have been received; panics past `limit`.
    pub async fn wait_for_writes_beyond(&self, count: u64, limit: Duration) {
        let mut seen = self.writes.seen.subscribe();
        tokio::time::timeout(limit, seen.wait_for(|n| *n > count))
            .await
            .unwrap_or_else(|_| panic!("no write reached the S3 server within {limit:?}"))
            .expect("the S3 server runs");
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.writes.held.send_replace(false);
        self.task.abort();
    }
}

/// Writes held by [`S3Server::hold_writes`]; dropping it lets them through.
pub struct HeldWrites(watch::Sender<bool>);

impl Drop for HeldWrites {
    fn drop(&mut self) {
        self.0.send_replace(false);
    }
}

/// An S3 client for `endpoint` with the test credentials: one attempt, a short connect
/// timeout (a test of an unreachable store fails fast).
pub fn client(endpoint: &str) -> aws_sdk_s3::Client {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let config = aws_sdk_s3::config::Builder::new()
        .behavior_version_latest()
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "test",
        ))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .http_client(http)
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::standard().with_max_attempts(1))
        .timeout_config(
            aws_sdk_s3::config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .build(),
        )
        .build();
    aws_sdk_s3::Client::from_conf(config)
}
