//! Configuration: one typed struct per command, from flags or environment variables.
//!
//! Everything is validated by clap's parsers and [`Config::validate`] before a port is bound.
//! Secrets (the database password) never reach the logs: [`DbConfig`]'s `Debug` redacts them.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use ipnet::IpNet;
use url::Url;

/// Logging, shared by every command.
#[derive(Debug, Clone, Args)]
pub struct LogConfig {
    /// Log filter, in `tracing` syntax (for example `info,quire=debug,sqlx=warn`).
    #[arg(long = "log", env = "QUIRE_LOG", default_value = "info", global = true)]
    pub filter: String,
    /// Log format: human-readable text or one JSON object per line.
    #[arg(long = "log-format", env = "QUIRE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Where the database is, shared by every command that touches it.
#[derive(Clone, Args)]
pub struct DbConfig {
    /// PostgreSQL connection URL. Unset: connect to the local server (honouring PGHOST, PGPORT,
    /// PGUSER, PGPASSWORD) and create database `quire`, or start a private cluster in the data
    /// directory when PostgreSQL is installed but not running.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Directory for local data: media on the local backend, a private PostgreSQL cluster.
    #[arg(long, env = "QUIRE_DATA_DIR", default_value = "./quire-data")]
    pub data_dir: PathBuf,
    /// Largest number of database connections this process opens.
    #[arg(long, env = "QUIRE_DB_CONNECTIONS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(2..=1000))]
    pub db_connections: u32,
}

impl fmt::Debug for DbConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbConfig")
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("data_dir", &self.data_dir)
            .field("db_connections", &self.db_connections)
            .finish()
    }
}

/// Replaces the password of a connection URL with `***`, for logs and error messages.
pub fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) => {
            if url.password().is_some() {
                let _ = url.set_password(Some("***"));
            }
            url.to_string()
        }
        // not a URL we can take apart: show nothing of it rather than a secret
        Err(_) => "<unparseable URL>".to_owned(),
    }
}

/// Where uploaded images are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MediaBackend {
    /// Under the data directory, served at `/content/images/`.
    Local,
    /// In an S3 bucket (or an S3-compatible server), served from its URL or a CDN.
    S3,
}

/// Media storage.
#[derive(Debug, Clone, Args)]
pub struct MediaConfig {
    /// Media storage backend.
    #[arg(long = "media", env = "QUIRE_MEDIA", value_enum, default_value_t = MediaBackend::Local)]
    pub backend: MediaBackend,
    /// S3 bucket (required with `--media s3`). Credentials and region come from the standard AWS
    /// chain: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, profiles, instance roles.
    #[arg(long, env = "QUIRE_S3_BUCKET")]
    pub s3_bucket: Option<String>,
    /// Key prefix inside the bucket, for example `blog/`.
    #[arg(long, env = "QUIRE_S3_PREFIX", default_value = "")]
    pub s3_prefix: String,
    /// Custom S3 endpoint for S3-compatible servers (MinIO, Garage, R2, ...).
    #[arg(long, env = "QUIRE_S3_ENDPOINT")]
    pub s3_endpoint: Option<Url>,
    /// Address buckets by path (`endpoint/bucket/key`) instead of by host name.
    #[arg(long, env = "QUIRE_S3_PATH_STYLE", default_value_t = false, action = clap::ArgAction::Set)]
    pub s3_path_style: bool,
    /// Public base URL of media, such as a CloudFront domain. Defaults to the bucket's URL, or
    /// `/content/images` on the local backend.
    #[arg(long, env = "QUIRE_MEDIA_BASE_URL")]
    pub media_base_url: Option<Url>,
    /// Largest image upload accepted, in MiB.
    #[arg(long, env = "QUIRE_UPLOAD_MAX_MB", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=200))]
    pub upload_max_mb: u64,
}

impl MediaConfig {
    /// Checks what clap cannot: an S3 backend names its bucket, the public base is http(s).
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.backend == MediaBackend::S3 && self.s3_bucket.is_none() {
            bail!("QUIRE_MEDIA=s3 needs QUIRE_S3_BUCKET");
        }
        if let Some(url) = &self.media_base_url
            && !matches!(url.scheme(), "http" | "https")
        {
            bail!("invalid QUIRE_MEDIA_BASE_URL: {url} is not an http(s) URL");
        }
        Ok(())
    }
}

/// The site's public URL, shared by `quire serve` and the commands that print links.
#[derive(Debug, Clone, Args)]
pub struct SiteConfig {
    /// Public URL of the site, used in canonical links, feeds, the sitemap and printed links.
    #[arg(long, env = "QUIRE_BASE_URL", default_value = "http://127.0.0.1:2368")]
    pub base_url: Url,
}

impl SiteConfig {
    /// Checks the URL's shape: an http(s) origin with no path, query or fragment.
    pub fn validate(&self) -> anyhow::Result<()> {
        validate_base_url(&self.base_url).context("invalid QUIRE_BASE_URL")
    }

    /// The site's origin without a trailing slash, for building absolute URLs.
    pub fn site_url(&self) -> &str {
        self.base_url.as_str().trim_end_matches('/')
    }
}

/// Configuration of `quire serve`.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "QUIRE_BIND", default_value = "127.0.0.1:2368")]
    pub bind: SocketAddr,
    #[command(flatten)]
    pub site: SiteConfig,
    /// Size of the rendered-page cache of this replica, in MiB.
    #[arg(long, env = "QUIRE_CACHE_MB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub cache_mb: u64,
    /// Proxies and load balancers whose `X-Forwarded-For` is believed: comma-separated CIDRs
    /// (`10.0.0.0/16`) or single addresses. Empty: the TCP peer is the client, whatever it says.
    #[arg(long, env = "QUIRE_TRUSTED_PROXIES", default_value = "", value_parser = TrustedProxies::parse)]
    pub trusted_proxies: TrustedProxies,
    #[command(flatten)]
    pub db: DbConfig,
    #[command(flatten)]
    pub media: MediaConfig,
    /// Where `/metrics` (Prometheus) is served, apart from the site, for example
    /// `127.0.0.1:9090` or `0.0.0.0:9090` inside a private network. Unset: not served.
    #[arg(long, env = "QUIRE_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
    #[command(flatten)]
    pub connections: ConnectionConfig,
    #[command(flatten)]
    pub mail: MailConfig,
}

const MAX_CONNECTIONS: u32 = 4096;
const HEADER_TIMEOUT: u64 = 10;
const KEEPALIVE_TIMEOUT: u64 = 75;

/// Limits on client connections.
#[derive(Debug, Clone, Copy, Args)]
pub struct ConnectionConfig {
    /// Client connections open at once; more wait until one closes.
    #[arg(long, env = "QUIRE_MAX_CONNECTIONS", default_value_t = MAX_CONNECTIONS, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Seconds a client has to send a request's headers, from their first byte.
    #[arg(long, env = "QUIRE_HEADER_TIMEOUT", default_value_t = HEADER_TIMEOUT, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout: u64,
    /// Seconds an idle keep-alive connection stays open; keep it above the idle timeout of the
    /// proxy in front (nginx and AWS load balancers: 60).
    #[arg(long, env = "QUIRE_KEEPALIVE_TIMEOUT", default_value_t = KEEPALIVE_TIMEOUT, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub keepalive_timeout: u64,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig {
            max_connections: MAX_CONNECTIONS,
            header_timeout: HEADER_TIMEOUT,
            keepalive_timeout: KEEPALIVE_TIMEOUT,
        }
    }
}

/// The networks of the proxies in front of Quire, from `QUIRE_TRUSTED_PROXIES`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses a comma-separated list of CIDRs or single addresses (a `/32` or `/128`);
    /// whitespace and empty entries are ignored.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .map(|net| net.trunc())
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!(
                            "{entry:?} is not a CIDR (such as 10.0.0.0/16 or fd00::/8) or an IP address"
                        )
                    })
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    /// Whether `ip` is one of the proxies. An IPv4 peer seen through an IPv6 socket
    /// (`::ffff:10.0.0.1`) counts as its IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Config {
    /// A configuration with every default, for tests and embedding.
    pub fn for_base_url(base_url: Url) -> Self {
        Config {
            bind: ([127, 0, 0, 1], 0).into(),
            site: SiteConfig { base_url },
            cache_mb: 64,
            trusted_proxies: TrustedProxies::default(),
            db: DbConfig {
                database_url: None,
                data_dir: PathBuf::from("./quire-data"),
                db_connections: 10,
            },
            media: MediaConfig {
                backend: MediaBackend::Local,
                s3_bucket: None,
                s3_prefix: String::new(),
                s3_endpoint: None,
                s3_path_style: false,
                media_base_url: None,
                upload_max_mb: 10,
            },
            metrics_bind: None,
            connections: ConnectionConfig::default(),
            mail: MailConfig::default(),
        }
    }

    /// Checks what clap cannot: combinations and URL shapes. Called before the port is bound.
    pub fn validate(&self) -> anyhow::Result<()> {
        self.site.validate()?;
        self.media.validate()?;
        self.mail.validate()
    }

    /// The site's origin without a trailing slash, for building absolute URLs.
    pub fn site_url(&self) -> &str {
        self.site.site_url()
    }
}

/// Optional e-mail: invitations and password reset links are sent when an SMTP server is set.
/// Its `Debug` hides the SMTP password.
#[derive(Clone, Default, Args)]
pub struct MailConfig {
    /// SMTP server that sends invitations and password reset links, for example
    /// `smtps://user:pass@mail.example.com:465` (TLS from the first byte),
    /// `smtp://user:pass@mail.example.com:587` (STARTTLS, required when there are credentials)
    /// or `smtp://localhost:25` (STARTTLS when the server offers it). `?tls=required`,
    /// `?tls=opportunistic` or `?tls=none` choose otherwise. Unset: no e-mail; the admin shows
    /// the links to pass on.
    // kept raw until `validate`: clap would print a refused value, password and all
    #[arg(long, env = "QUIRE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of the e-mails, for example `Quire <blog@example.com>` or `blog@example.com`.
    /// Required with QUIRE_SMTP_URL.
    #[arg(long, env = "QUIRE_MAIL_FROM", value_parser = parse_mailbox)]
    pub mail_from: Option<lettre::message::Mailbox>,
}

impl MailConfig {
    /// The SMTP server, parsed; `None` when mail is not set up.
    pub fn smtp(&self) -> anyhow::Result<Option<SmtpUrl>> {
        self.smtp_url
            .as_deref()
            .map(|raw| {
                SmtpUrl::parse(raw).map_err(|e| anyhow::anyhow!("invalid QUIRE_SMTP_URL: {e}"))
            })
            .transpose()
    }

    /// Checks what clap cannot: the URL's shape, and that an SMTP server has a sender.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.smtp()?.is_some() && self.mail_from.is_none() {
            bail!(
                "QUIRE_SMTP_URL needs QUIRE_MAIL_FROM, the sender of the e-mails (for example \"Blog <blog@example.com>\")"
            );
        }
        Ok(())
    }
}

impl fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailConfig")
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field(
                "mail_from",
                &self.mail_from.as_ref().map(ToString::to_string),
            )
            .finish()
    }
}

fn parse_mailbox(raw: &str) -> Result<lettre::message::Mailbox, String> {
    raw.trim().parse().map_err(|e| {
        format!("{raw:?} is not an e-mail address such as blog@example.com or \"Blog <blog@example.com>\": {e}")
    })
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// TLS from the first byte (`smtps://`, usually port 465).
    Tls,
    /// STARTTLS, or no mail at all.
    StartTlsRequired,
    /// STARTTLS when the server offers it, else plain text.
    StartTlsOpportunistic,
    /// Plain text (a relay on the same machine or network).
    None,
}

/// `QUIRE_SMTP_URL`, taken apart. Its `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// User name and password, percent-decoded.
    pub credentials: Option<(String, String)>,
}

impl SmtpUrl {
    /// Parses `smtp[s]://[user[:password]@]host[:port][?tls=required|opportunistic|none]`.
    /// Ports default to 465 for `smtps`, 587 for `smtp` with credentials and 25 without.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let shown = redact_url(raw);
        let url = Url::parse(raw.trim()).map_err(|e| format!("{shown} is not a URL: {e}"))?;
        let implicit_tls = match url.scheme() {
            "smtps" => true,
            "smtp" => false,
            other => {
                return Err(format!(
                    "{shown}: the scheme must be smtp or smtps, not {other}"
                ));
            }
        };
        let host = match url.host() {
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            _ => return Err(format!("{shown} names no host")),
        };
        if !matches!(url.path(), "" | "/") || url.fragment().is_some() {
            return Err(format!(
                "{shown} has a path or fragment; give only the server"
            ));
        }
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| format!("{shown}: the user name or password is not UTF-8"))
        };
        let credentials = if url.username().is_empty() {
            if url.password().is_some() {
                return Err(format!("{shown} has a password but no user name"));
            }
            None
        } else {
            Some((
                decode(url.username())?,
                decode(url.password().unwrap_or(""))?,
            ))
        };
        let mut tls = None;
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), tls) {
                ("tls", None) => tls = Some(value.into_owned()),
                _ => {
                    return Err(format!(
                        "{shown}: the only query parameter is tls (required, opportunistic or none), once"
                    ));
                }
            }
        }
        let security = match (implicit_tls, tls.as_deref()) {
            (true, None) => SmtpSecurity::Tls,
            (true, Some(_)) => {
                return Err(format!(
                    "{shown}: smtps is TLS from the first byte; ?tls= is for smtp"
                ));
            }
            (false, Some("required")) => SmtpSecurity::StartTlsRequired,
            (false, Some("opportunistic")) => SmtpSecurity::StartTlsOpportunistic,
            (false, Some("none")) => SmtpSecurity::None,
            (false, Some(other)) => {
                return Err(format!(
                    "{shown}: tls={other} is not required, opportunistic or none"
                ));
            }
            // a password is never sent where a man in the middle could strip STARTTLS away
            (false, None) if credentials.is_some() => SmtpSecurity::StartTlsRequired,
            (false, None) => SmtpSecurity::StartTlsOpportunistic,
        };
        let port = url.port().unwrap_or(match (implicit_tls, &credentials) {
            (true, _) => 465,
            (false, Some(_)) => 587,
            (false, None) => 25,
        });
        Ok(SmtpUrl {
            host,
            port,
            security,
            credentials,
        })
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpUrl")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .finish()
    }
}

fn validate_base_url(url: &Url) -> anyhow::Result<()> {
    if !matches!(url.scheme(), "http" | "https") {
        bail!("{url} is not an http(s) URL");
    }
    if url.host_str().is_none() {
        bail!("{url} has no host");
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        bail!(
            "{url} must be an origin such as https://blog.example.com (no path, query or fragment)"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_the_database_url_is_redacted() {
        let shown = redact_url("postgres://quire:hunter2@db.internal:5432/quire");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("db.internal"), "{shown}");
    }

    #[test]
    fn a_base_url_with_a_path_is_refused() {
        let mut config = Config::for_base_url(Url::parse("https://example.com/blog/").unwrap());
        assert!(config.validate().is_err());
        config.site.base_url = Url::parse("https://example.com").unwrap();
        assert!(config.validate().is_ok());
    }

    #[test]
    fn trusted_proxies_are_cidrs_or_single_addresses() {
        let proxies = TrustedProxies::parse(" 10.0.0.0/16, 192.0.2.7 ,fd00::/8,,").unwrap();
        assert!(proxies.contains("10.0.200.1".parse().unwrap()));
        assert!(proxies.contains("::ffff:10.0.0.1".parse().unwrap()));
        assert!(proxies.contains("192.0.2.7".parse().unwrap()));
        assert!(!proxies.contains("192.0.2.8".parse().unwrap()));
        assert!(proxies.contains("fd00::1".parse().unwrap()));
        assert!(!proxies.contains("10.1.0.1".parse().unwrap()));
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        let error = TrustedProxies::parse("10.0.0.0/16,10.0.0/8").unwrap_err();
        assert!(error.contains("\"10.0.0/8\""), "{error}");
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
    }

    #[test]
    fn smtp_urls_choose_tls_ports_and_credentials() {
        let url =
            SmtpUrl::parse("smtps://blog%40example.com:p%40ss%3Aword@mail.example.com").unwrap();
        assert_eq!(url.host, "mail.example.com");
        assert_eq!(url.port, 465);
        assert_eq!(url.security, SmtpSecurity::Tls);
        assert_eq!(
            url.credentials,
            Some(("blog@example.com".into(), "p@ss:word".into()))
        );
        let shown = format!("{url:?}");
        assert!(!shown.contains("p@ss"), "{shown}");

        let url = SmtpUrl::parse("smtp://user:pw@mail.example.com").unwrap();
        assert_eq!(
            (url.port, url.security),
            (587, SmtpSecurity::StartTlsRequired)
        );
        let url = SmtpUrl::parse("smtp://127.0.0.1").unwrap();
        assert_eq!(
            (url.port, url.security),
            (25, SmtpSecurity::StartTlsOpportunistic)
        );
        assert_eq!(url.credentials, None);
        let url = SmtpUrl::parse("smtp://user:pw@relay:2525?tls=opportunistic").unwrap();
        assert_eq!(
            (url.port, url.security),
            (2525, SmtpSecurity::StartTlsOpportunistic)
        );
        let url = SmtpUrl::parse("smtp://relay?tls=required").unwrap();
        assert_eq!(url.security, SmtpSecurity::StartTlsRequired);
        let url = SmtpUrl::parse("smtp://[::1]:25?tls=none").unwrap();
        assert_eq!(
            (url.host.as_str(), url.security),
            ("::1", SmtpSecurity::None)
        );
    }

    #[test]
    fn bad_smtp_urls_are_refused_without_showing_the_password() {
        for bad in [
            "mail.example.com:465",
            "http://mail.example.com",
            "smtps://user:secret@mail.example.com?tls=required",
            "smtp://user:secret@mail.example.com?tls=maybe",
            "smtp://user:secret@mail.example.com?timeout=3",
            "smtp://user:secret@mail.example.com/inbox",
            "smtp://:secret@mail.example.com",
            "smtp://",
        ] {
            let error = SmtpUrl::parse(bad).unwrap_err();
            assert!(!error.contains("secret"), "{bad}: {error}");
        }
    }

    #[test]
    fn smtp_without_a_sender_is_refused() {
        let mut config = Config::for_base_url(Url::parse("https://example.com").unwrap());
        config.mail.smtp_url = Some("smtp://127.0.0.1:25".into());
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("QUIRE_MAIL_FROM"), "{error}");
        config.mail.smtp_url = Some("smtps://user:secret@".into());
        let error = format!("{:#}", config.validate().unwrap_err());
        assert!(
            error.contains("QUIRE_SMTP_URL") && !error.contains("secret"),
            "{error}"
        );
        config.mail.smtp_url = Some("smtp://127.0.0.1:25".into());
        config.mail.mail_from = Some(parse_mailbox("Blog <blog@example.com>").unwrap());
        assert!(config.validate().is_ok());
        assert!(parse_mailbox("not an address").is_err());
    }

    #[test]
    fn s3_without_a_bucket_is_refused() {
        let mut config = Config::for_base_url(Url::parse("https://example.com").unwrap());
        config.media.backend = MediaBackend::S3;
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("QUIRE_S3_BUCKET")
        );
    }
}
