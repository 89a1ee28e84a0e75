//! The rendered-page cache of one replica.
//!
//! Anonymous GETs of site pages (and feeds) are answered from here without touching the
//! database. An entry holds the body and a strong ETag computed from it; its gzip and brotli
//! variants are made the first time a client asks for them, with fixed settings, so every
//! replica that renders the same content answers with the same bytes and the same ETag, and a
//! render costs no compression nobody asked for.
//!
//! Invalidation swaps in a fresh, empty cache. A render that started before the swap finishes
//! into the old cache, which nobody reads any more, so a page rendered from data older than a
//! change can never be served after that change was announced.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use moka::future::Cache;
use sha2::{Digest, Sha256};

use crate::domain::settings::SiteSettings;
use crate::error::{Error, Result};
use crate::metrics::{CacheFigures, RequestMetrics};

/// One rendered answer, ready to send in any encoding.
#[derive(Debug)]
pub struct CachedPage {
    pub status: StatusCode,
    pub content_type: &'static str,
    /// `Location` of a cached redirect.
    pub location: Option<HeaderValue>,
    /// When the content last changed, for `Last-Modified` and `If-Modified-Since`.
    pub last_modified: Option<(SystemTime, HeaderValue)>,
    /// The strong ETag of the identity body; the compressed variants append `-gz` / `-br`.
    pub etag: Etag,
    pub body: Bytes,
    /// The compressed variants, made on first use; only for bodies worth compressing.
    compressed: Option<Compressed>,
    /// The response headers of a full answer in each encoding, built on first use.
    heads: [OnceLock<HeaderMap>; 3],
    /// The route that rendered it, for hits answered in front of the router; `None` keeps
    /// its hits in the router.
    pub route: Option<PageRoute>,
    /// Whether any origin may read it (`Access-Control-Allow-Origin: *`): the Content API's
    /// answers, as Ghost's.
    pub cors: bool,
}

/// A content encoding a page is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// Its `Content-Encoding` value; none for identity.
    pub fn content_coding(self) -> Option<HeaderValue> {
        match self {
            Encoding::Brotli => Some(HeaderValue::from_static("br")),
            Encoding::Gzip => Some(HeaderValue::from_static("gzip")),
            Encoding::Identity => None,
        }
    }
}

/// The route that rendered a page (`/{slug}/`), with the request metrics its hits are
/// counted in, resolved on the first hit of each status.
#[derive(Debug)]
pub struct PageRoute {
    pub name: Arc<str>,
    /// For answers with the page's own status.
    full: OnceLock<RequestMetrics>,
    /// For `304 Not Modified`.
    not_modified: OnceLock<RequestMetrics>,
}

impl PageRoute {
    pub fn new(name: &str) -> Self {
        PageRoute {
            name: Arc::from(name),
            full: OnceLock::new(),
            not_modified: OnceLock::new(),
        }
    }

    /// The metrics of an answer with `status`, made by `resolve` the first time.
    pub fn metrics(
        &self,
        status: StatusCode,
        resolve: impl FnOnce() -> RequestMetrics,
    ) -> &RequestMetrics {
        let slot = if status == StatusCode::NOT_MODIFIED {
            &self.not_modified
        } else {
            &self.full
        };
        slot.get_or_init(resolve)
    }
}

/// The three ETags of a page, one per encoding, as header values ready to send.
#[derive(Debug, Clone)]
pub struct Etag {
    pub identity: HeaderValue,
    pub gzip: HeaderValue,
    pub brotli: HeaderValue,
}

impl Etag {
    /// The ETag of the variant in `encoding`.
    pub fn of(&self, encoding: Encoding) -> &HeaderValue {
        match encoding {
            Encoding::Brotli => &self.brotli,
            Encoding::Gzip => &self.gzip,
            Encoding::Identity => &self.identity,
        }
    }
}

#[derive(Debug, Default)]
struct Compressed {
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
}

/// Bodies shorter than this are not worth compressing.
const MIN_COMPRESS: usize = 512;

impl CachedPage {
    /// Builds an entry from a rendered body: hashes it; compressing waits for a client that
    /// asks for it.
    pub fn new(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Self {
        let body: Bytes = body.into();
        let hash = hex::encode(&Sha256::digest(&body)[..16]);
        let etag = Etag {
            identity: header(&format!("\"{hash}\"")),
            gzip: header(&format!("\"{hash}-gz\"")),
            brotli: header(&format!("\"{hash}-br\"")),
        };
        let compressed = (body.len() >= MIN_COMPRESS).then(Compressed::default);
        CachedPage {
            status,
            content_type,
            location: None,
            last_modified: None,
            etag,
            body,
            compressed,
            heads: Default::default(),
            route: None,
            cors: false,
        }
    }

    /// The headers of a full answer in `encoding`, made by `build` the first time.
    pub fn head(&self, encoding: Encoding, build: impl FnOnce() -> HeaderMap) -> &HeaderMap {
        self.heads[encoding as usize].get_or_init(build)
    }

    /// Whether the page has compressed variants (short bodies have none).
    pub fn compressible(&self) -> bool {
        self.compressed.is_some()
    }

    /// The gzip variant, compressed by the first caller; `None` for a short body.
    pub fn gzip(&self) -> Option<Bytes> {
        let compressed = self.compressed.as_ref()?;
        Some(compressed.gzip.get_or_init(|| gzip(&self.body)).clone())
    }

    /// The brotli variant, compressed by the first caller; `None` for a short body.
    pub fn brotli(&self) -> Option<Bytes> {
        let compressed = self.compressed.as_ref()?;
        Some(compressed.brotli.get_or_init(|| brotli(&self.body)).clone())
    }

    /// The body to send in `encoding` (the identity body for a short one).
    pub fn body_in(&self, encoding: Encoding) -> Bytes {
        let variant = match encoding {
            Encoding::Brotli => self.brotli(),
            Encoding::Gzip => self.gzip(),
            Encoding::Identity => None,
        };
        variant.unwrap_or_else(|| self.body.clone())
    }

    /// Sets `Last-Modified`, at the one-second precision of HTTP dates.
    pub fn with_last_modified(mut self, at: chrono::DateTime<chrono::Utc>) -> Self {
        // HTTP dates cannot be written before 1970 or after 9999 (httpdate panics)
        let at = SystemTime::from(crate::domain::limits::clamp_date(at));
        let value =
            HeaderValue::from_str(&httpdate::fmt_http_date(at)).expect("HTTP dates are ASCII");
        self.last_modified = Some((at, value));
        self
    }

    /// A cached redirect to `location`: a path on this site, or an absolute http(s) URL that an
    /// operator stored. A path that a browser would resolve to another host (`//evil.example`,
    /// `/\evil.example`, with tabs or newlines that URL parsers drop) is never sent: the answer
    /// is a 404 instead.
    pub fn redirect(status: StatusCode, location: &str) -> Result<Self> {
        let absolute = (location.starts_with("https://") || location.starts_with("http://"))
            && !location.chars().any(|c| c.is_control() || c == '\\');
        if !absolute && !is_local_path(location) {
            return Err(Error::NotFound);
        }
        let mut page = CachedPage::new(status, "text/plain; charset=utf-8", Bytes::new());
        page.location = Some(HeaderValue::from_str(location).map_err(|_| Error::NotFound)?);
        Ok(page)
    }

    /// Bytes this entry will occupy, for the cache's size bound: the body, and when it is
    /// compressible, room for both variants (HTML and XML shrink to a quarter or less).
    fn weight(&self) -> u32 {
        let variants = if self.compressible() {
            self.body.len() / 2
        } else {
            0
        };
        let len = self.body.len() + variants + 256;
        u32::try_from(len).unwrap_or(u32::MAX)
    }
}

/// Whether `location` is a path that stays on this site whatever URL parser reads it: it starts
/// with one `/` that no `/` or `\` follows, and holds no control characters (WHATWG parsers
/// drop tabs and newlines, so `/\t/evil.example` would become `//evil.example`).
pub fn is_local_path(location: &str) -> bool {
    location.starts_with('/')
        && !location[1..].starts_with(['/', '\\'])
        && !location.chars().any(|c| c.is_control() || c == '\\')
}

fn header(s: &str) -> HeaderValue {
    // hex digits and quotes only: always a valid header value
    HeaderValue::from_str(s).expect("ETag is ASCII")
}

fn gzip(body: &[u8]) -> Bytes {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 3),
        flate2::Compression::new(6),
    );
    enc.write_all(body).expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail").into()
}

/// Brotli quality for pages and feeds, compressed when a reader first asks: quality 4 makes a
/// 10 KB page in ~0.25 ms (5: ~0.4 ms; 9: ~10 ms) at 7 % more bytes than 5 (~200 bytes, the
/// same number of packets) and about gzip 6's size. A page's CPU budget on a cache miss is
/// 1 ms, and a render takes ~0.4 ms of it.
const BROTLI_QUALITY: i32 = 4;

fn brotli(body: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(body.len() / 3);
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY,
        lgwin: brotli_window(body.len()),
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &body[..], &mut out, &params)
        .expect("writing to a Vec cannot fail");
    out.into()
}

/// The smallest window (at least 2^17: smaller ones switch the encoder to slower hashers) that
/// holds the whole body. The encoder zeroes a ring buffer of twice the window for every call,
/// so the default 4 MiB window made zeroing memory most of the work of compressing a page.
fn brotli_window(len: usize) -> i32 {
    (17..24).find(|bits| len <= (1 << bits) - 16).unwrap_or(24)
}

type Pages = Cache<String, Arc<CachedPage>>;

/// One generation of the cache: the pages, and apart from them the answers for paths where
/// nothing lives. A scan of random URLs fills only the second, small one, so it cannot evict
/// real pages; and every 404 there shares one rendered error page.
struct Generation {
    pages: Pages,
    misses: Pages,
    /// The site's settings, read once per generation: every change to them invalidates.
    settings: tokio::sync::OnceCell<Arc<SiteSettings>>,
    /// The integrations' Content API keys, read once per generation: every change to the
    /// integrations invalidates, so a deleted key stops with the pages it let through.
    content_keys: tokio::sync::OnceCell<Arc<HashSet<String>>>,
    /// Where a search's walk through the newest posts ends (`store::search::walk_bound`),
    /// read once per generation: only a change of content moves it.
    search_walk: tokio::sync::OnceCell<Option<DateTime<Utc>>>,
}

/// The page cache with its counters.
pub struct PageCache {
    current: ArcSwap<Generation>,
    capacity_bytes: u64,
    pub stats: CacheStats,
}

/// Counters exposed on `/metrics`.
#[derive(Debug, Default)]
pub struct CacheStats {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub invalidations: AtomicU64,
}

impl PageCache {
    /// A cache holding at most `capacity_mb` MiB of pages.
    pub fn new(capacity_mb: u64) -> Self {
        let capacity_bytes = capacity_mb * 1024 * 1024;
        PageCache {
            current: ArcSwap::from_pointee(build(capacity_bytes)),
            capacity_bytes,
            stats: CacheStats::default(),
        }
    }

    /// The cached page for `key` (or the remembered answer for a missing path), or the result
    /// of `render`, run once however many requests for the same key arrive meanwhile (single
    /// flight). Errors are not cached.
    pub async fn get_or_render<F>(&self, key: &str, render: F) -> Result<Arc<CachedPage>>
    where
        F: Future<Output = Result<CachedPage>>,
    {
        self.get_or_render_or_missing(key, render, || std::future::ready(Err(Error::NotFound)))
            .await
    }

    /// [`PageCache::get_or_render`], and when `render` finds nothing at `key`, the answer of
    /// `missing` (a redirect or the shared 404 page), remembered apart from the pages in the
    /// generation the look-up started in, so an answer computed before an invalidation is
    /// dropped with it.
    pub async fn get_or_render_or_missing<F, M, G>(
        &self,
        key: &str,
        render: F,
        missing: M,
    ) -> Result<Arc<CachedPage>>
    where
        F: Future<Output = Result<CachedPage>>,
        M: FnOnce() -> G,
        G: Future<Output = Result<Arc<CachedPage>>>,
    {
        let generation = self.current.load_full();
        if let Some(page) = generation.pages.get(key).await {
            self.stats.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(page);
        }
        if let Some(page) = generation.misses.get(key).await {
            self.stats.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(page);
        }
        self.stats.misses.fetch_add(1, Ordering::Relaxed);
        let rendered = generation
            .pages
            .try_get_with_by_ref(key, async { render.await.map(Arc::new) })
            .await;
        match rendered {
            Ok(page) => Ok(page),
            Err(e) if matches!(e.root(), Error::NotFound) => {
                let page = missing().await?;
                generation.misses.insert(key.to_owned(), page.clone()).await;
                Ok(page)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The cached page for `key` when it can be answered in front of the router: the cache
    /// holds it and knows the route that rendered it (answers for missing paths, and pages
    /// without a route, are left to [`PageCache::get_or_render_or_missing`], which counts them).
    /// Counted as a hit.
    pub async fn hit(&self, key: &str) -> Option<Arc<CachedPage>> {
        let generation = self.current.load_full();
        let page = generation
            .pages
            .get(key)
            .await
            .filter(|page| page.route.is_some())?;
        self.stats.hits.fetch_add(1, Ordering::Relaxed);
        Some(page)
    }

    /// The site's settings as this generation knows them, read by `load` the first time (and
    /// again after each invalidation, which every change to the settings causes).
    pub async fn settings<F>(&self, load: F) -> Result<Arc<SiteSettings>>
    where
        F: Future<Output = Result<SiteSettings>>,
    {
        let generation = self.current.load_full();
        generation
            .settings
            .get_or_try_init(|| async { load.await.map(Arc::new) })
            .await
            .cloned()
    }

    /// The Content API keys that work, as this generation knows them, read by `load` the
    /// first time (and again after each invalidation, which every change to them causes).
    pub async fn content_keys<F>(&self, load: F) -> Result<Arc<HashSet<String>>>
    where
        F: Future<Output = Result<HashSet<String>>>,
    {
        let generation = self.current.load_full();
        generation
            .content_keys
            .get_or_try_init(|| async { load.await.map(Arc::new) })
            .await
            .cloned()
    }

    /// The date of the oldest post a search walks through before it asks the indexes, as this
    /// generation knows it, read by `load` the first time.
    pub async fn search_walk<F>(&self, load: F) -> Result<Option<DateTime<Utc>>>
    where
        F: Future<Output = Result<Option<DateTime<Utc>>>>,
    {
        let generation = self.current.load_full();
        generation
            .search_walk
            .get_or_try_init(|| load)
            .await
            .copied()
    }

    /// Forgets every page: the next request of each renders it again from the database.
    pub fn invalidate_all(&self) {
        self.current.store(Arc::new(build(self.capacity_bytes)));
        self.stats.invalidations.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters and size, for `/metrics`.
    pub fn figures(&self) -> CacheFigures {
        CacheFigures {
            hits: self.stats.hits.load(Ordering::Relaxed),
            misses: self.stats.misses.load(Ordering::Relaxed),
            invalidations: self.stats.invalidations.load(Ordering::Relaxed),
            entries: self.len(),
        }
    }

    /// Number of pages held now, not counting answers for missing paths (approximate, for
    /// metrics and tests).
    pub fn len(&self) -> u64 {
        self.current.load().pages.entry_count()
    }

    /// Finishes the cache's pending bookkeeping (evictions, counts), so that [`PageCache::len`]
    /// is exact; for tests.
    pub async fn run_pending_tasks(&self) {
        let generation = self.current.load_full();
        generation.pages.run_pending_tasks().await;
        generation.misses.run_pending_tasks().await;
    }

    /// Whether the cache holds no page.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn build(capacity_bytes: u64) -> Generation {
    Generation {
        pages: pages(capacity_bytes),
        // a sixteenth of the budget, at least 1 MiB; an entry costs its key and a pointer
        misses: Cache::builder()
            .max_capacity((capacity_bytes / 16).max(1024 * 1024))
            .weigher(|key: &String, _: &Arc<CachedPage>| {
                u32::try_from(key.len() + 64).unwrap_or(u32::MAX)
            })
            .time_to_idle(Duration::from_secs(3600))
            .build(),
        settings: tokio::sync::OnceCell::new(),
        content_keys: tokio::sync::OnceCell::new(),
        search_walk: tokio::sync::OnceCell::new(),
    }
}

fn pages(capacity_bytes: u64) -> Pages {
    Cache::builder()
        .max_capacity(capacity_bytes)
        .weigher(|key: &String, page: &Arc<CachedPage>| {
            page.weight().saturating_add(key.len() as u32)
        })
        // a page nobody asked for in a day is not worth its memory
        .time_to_idle(Duration::from_secs(24 * 3600))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn concurrent_misses_render_once() {
        let cache = Arc::new(PageCache::new(1));
        let renders = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (cache, renders) = (cache.clone(), renders.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_render("/", async {
                        renders.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok(CachedPage::new(StatusCode::OK, "text/html", "hello"))
                    })
                    .await
                    .unwrap()
            }));
        }
        for t in tasks {
            assert_eq!(&t.await.unwrap().body[..], b"hello");
        }
        assert_eq!(renders.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_render_that_straddles_an_invalidation_is_not_served_afterwards() {
        let cache = Arc::new(PageCache::new(1));
        let slow = {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .get_or_render("/", async {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Ok(CachedPage::new(StatusCode::OK, "text/html", "old"))
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        cache.invalidate_all();
        assert_eq!(&slow.await.unwrap().unwrap().body[..], b"old");
        let page = cache
            .get_or_render("/", async {
                Ok(CachedPage::new(StatusCode::OK, "text/html", "new"))
            })
            .await
            .unwrap();
        assert_eq!(&page.body[..], b"new");
    }

    #[test]
    fn redirects_never_leave_the_site() {
        for bad in [
            "//evil.example/",
            "/\\evil.example/",
            "/\\evil%2Eexample/",
            "/\t/evil.example/",
            "/\n/evil.example/",
            "evil/",
            "javascript:alert(1)",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
            assert!(CachedPage::redirect(StatusCode::MOVED_PERMANENTLY, bad).is_err());
        }
        for good in ["/", "/a/", "/tag/rust/", "/a%2F%2Fb/"] {
            assert!(is_local_path(good), "{good:?}");
        }
    }

    #[test]
    fn variants_are_compressed_once_on_first_use_and_decompress_to_the_body() {
        use std::io::Read;
        // larger than the smallest window: the window grows to hold the whole body
        let body = "<p>Hello, <em>world</em>.</p>\n".repeat(12_000);
        assert_eq!(brotli_window(body.len()), 19);
        let page = CachedPage::new(StatusCode::OK, "text/html", body.clone());
        let br = page.brotli().unwrap();
        assert_eq!(br.as_ptr(), page.brotli().unwrap().as_ptr(), "made once");
        let mut unbrotli = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut unbrotli).unwrap();
        assert_eq!(unbrotli, body.as_bytes());
        let mut ungzip = Vec::new();
        flate2::read::GzDecoder::new(&page.gzip().unwrap()[..])
            .read_to_end(&mut ungzip)
            .unwrap();
        assert_eq!(ungzip, body.as_bytes());
        let short = CachedPage::new(StatusCode::OK, "text/html", "short");
        assert!(!short.compressible() && short.gzip().is_none() && short.brotli().is_none());
    }

    #[test]
    fn the_etag_depends_only_on_the_content() {
        let a = CachedPage::new(StatusCode::OK, "text/html", "x".repeat(1000));
        let b = CachedPage::new(StatusCode::OK, "text/html", "x".repeat(1000));
        let c = CachedPage::new(StatusCode::OK, "text/html", "y".repeat(1000));
        assert_eq!(a.etag.identity, b.etag.identity);
        assert_eq!(a.gzip(), b.gzip());
        assert_eq!(a.brotli(), b.brotli());
        assert_ne!(a.etag.identity, c.etag.identity);
    }
}
