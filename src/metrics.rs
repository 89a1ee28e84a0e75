//! `/metrics` in Prometheus text format: requests and latency by route and status, the page
//! cache, the database pool, the content version, build info.
//!
//! Recording a request allocates nothing: route names are interned once (there are only as
//! many as routes) and label sets are small `Copy`-like keys.

use std::collections::HashSet;
use std::sync::RwLock;

use axum::http::Method;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sqlx::PgPool;

/// The page cache's figures at the time of a scrape.
#[derive(Debug, Clone, Copy, Default)]
pub struct CacheFigures {
    pub hits: u64,
    pub misses: u64,
    pub invalidations: u64,
    pub entries: u64,
}

/// The counter and histogram of one route, method and status, resolved once: recording
/// through it takes no look-up.
#[derive(Debug, Clone)]
pub struct RequestMetrics {
    requests: Counter,
    latency: Histogram,
}

impl RequestMetrics {
    pub fn record(&self, seconds: f64) {
        self.requests.inc();
        self.latency.observe(seconds);
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    method: &'static str,
    status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

/// This replica's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RequestLabels, Histogram>,
    cache_hits: Counter,
    cache_misses: Counter,
    cache_invalidations: Counter,
    cache_entries: Gauge,
    pool: Family<PoolLabels, Gauge>,
    pool_max: Gauge,
    content_version: Gauge,
    deliveries: Family<DeliveryLabels, Counter>,
    routes: RwLock<HashSet<&'static str>>,
}

/// How an ActivityPub delivery went.
#[derive(Debug, Clone, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct DeliveryLabels {
    outcome: &'static str,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("quire");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            requests.clone(),
        );
        let latency = Family::<RequestLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0001, 2.5, 14))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time to answer, by route, method and status",
            latency.clone(),
        );
        let (cache_hits, cache_misses, cache_invalidations) =
            (Counter::default(), Counter::default(), Counter::default());
        registry.register(
            "page_cache_hits",
            "Pages answered from the cache",
            cache_hits.clone(),
        );
        registry.register(
            "page_cache_misses",
            "Pages rendered because they were not cached",
            cache_misses.clone(),
        );
        registry.register(
            "page_cache_invalidations",
            "Times the page cache was dropped",
            cache_invalidations.clone(),
        );
        let cache_entries = Gauge::default();
        registry.register(
            "page_cache_entries",
            "Pages held in the cache",
            cache_entries.clone(),
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections, by state",
            pool.clone(),
        );
        let pool_max = Gauge::default();
        registry.register(
            "db_pool_max_connections",
            "Largest number of database connections",
            pool_max.clone(),
        );
        let content_version = Gauge::default();
        registry.register(
            "content_version",
            "Content version this replica has seen",
            content_version.clone(),
        );
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        registry.register(
            "activitypub_deliveries",
            "Activities this replica delivered to fediverse inboxes, by outcome (sent, retry, failed)",
            deliveries.clone(),
        );
        let build = Family::<BuildLabels, Gauge>::default();
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register("build_info", "The running build", build);
        Metrics {
            registry,
            requests,
            latency,
            cache_hits,
            cache_misses,
            cache_invalidations,
            cache_entries,
            pool,
            pool_max,
            content_version,
            deliveries,
            routes: RwLock::new(HashSet::new()),
        }
    }

    /// Counts one delivery to a fediverse inbox: `sent`, `retry` or `failed` (given up).
    pub fn delivery(&self, outcome: &'static str) {
        self.deliveries
            .get_or_create(&DeliveryLabels { outcome })
            .inc();
    }

    /// The route name as a `'static` label, leaked once per distinct route.
    fn intern(&self, route: &str) -> &'static str {
        if let Some(known) = self.routes.read().ok().and_then(|r| r.get(route).copied()) {
            return known;
        }
        let mut routes = match self.routes.write() {
            Ok(routes) => routes,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(known) = routes.get(route) {
            return known;
        }
        // bounded: matched routes are the router's own patterns
        let leaked: &'static str = Box::leak(route.to_owned().into_boxed_str());
        routes.insert(leaked);
        leaked
    }

    /// The metrics of requests to `route` (a matched path) answered with `status`.
    pub fn request(&self, route: &str, method: &Method, status: u16) -> RequestMetrics {
        let labels = RequestLabels {
            route: self.intern(route),
            method: method_label(method),
            status,
        };
        RequestMetrics {
            requests: self.requests.get_or_create(&labels).clone(),
            latency: self.latency.get_or_create(&labels).clone(),
        }
    }

    pub fn record(&self, route: &str, method: &Method, status: u16, seconds: f64) {
        self.request(route, method, status).record(seconds);
    }
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

impl Metrics {
    /// The metrics in OpenMetrics text, with the gauges and counters that mirror other parts
    /// (the page cache's statistics, the pool, the content version) brought up to date.
    pub fn encode(&self, cache: CacheFigures, db: &PgPool, content_version: i64) -> Option<String> {
        let sync = |counter: &Counter, value: u64| {
            let seen = counter.get();
            if value > seen {
                counter.inc_by(value - seen);
            }
        };
        sync(&self.cache_hits, cache.hits);
        sync(&self.cache_misses, cache.misses);
        sync(&self.cache_invalidations, cache.invalidations);
        self.cache_entries
            .set(i64::try_from(cache.entries).unwrap_or(i64::MAX));
        let size = i64::from(db.size());
        let idle = i64::try_from(db.num_idle()).unwrap_or(0);
        self.pool
            .get_or_create(&PoolLabels { state: "idle" })
            .set(idle);
        self.pool
            .get_or_create(&PoolLabels { state: "used" })
            .set(size - idle);
        self.pool_max
            .set(i64::from(db.options().get_max_connections()));
        self.content_version.set(content_version);
        let mut body = String::with_capacity(8 * 1024);
        prometheus_client::encoding::text::encode(&mut body, &self.registry).ok()?;
        Some(body)
    }
}
