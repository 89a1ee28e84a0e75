//! `/metrics` in Prometheus text format: requests and latency by route and status, the page
//! cache, the database pool, the content version, build info.
//!
//! Recording a request allocates nothing: route names are interned once (there are only as
//! many as routes) and label sets are small `Copy`-like keys.

use std::collections::HashSet;
use std::sync::RwLock;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::app::AppState;

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
    routes: RwLock<HashSet<&'static str>>,
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
            routes: RwLock::new(HashSet::new()),
        }
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

    fn record(&self, route: &str, method: &Method, status: u16, seconds: f64) {
        let route = self.intern(route);
        let method = match *method {
            Method::GET => "GET",
            Method::HEAD => "HEAD",
            Method::POST => "POST",
            Method::PUT => "PUT",
            Method::PATCH => "PATCH",
            Method::DELETE => "DELETE",
            Method::OPTIONS => "OPTIONS",
            _ => "OTHER",
        };
        let labels = RequestLabels {
            route,
            method,
            status,
        };
        self.requests.get_or_create(&labels).inc();
        self.latency.get_or_create(&labels).observe(seconds);
    }
}

/// Middleware: counts and times every request under its matched route.
pub async fn track(State(s): State<AppState>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    // a clone of the matched path is a reference count, not a copy
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    let route = route.as_ref().map_or("fallback", MatchedPath::as_str);
    s.metrics.record(
        route,
        &method,
        response.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`.
pub async fn show_metrics(State(s): State<AppState>) -> Response {
    let m = &s.metrics;
    let stats = &s.cache.stats;
    let sync = |counter: &Counter, value: u64| {
        let seen = counter.get();
        if value > seen {
            counter.inc_by(value - seen);
        }
    };
    sync(&m.cache_hits, stats.hits.load(Ordering::Relaxed));
    sync(&m.cache_misses, stats.misses.load(Ordering::Relaxed));
    sync(
        &m.cache_invalidations,
        stats.invalidations.load(Ordering::Relaxed),
    );
    m.cache_entries
        .set(i64::try_from(s.cache.len()).unwrap_or(i64::MAX));
    let size = i64::from(s.db.size());
    let idle = i64::try_from(s.db.num_idle()).unwrap_or(0);
    m.pool
        .get_or_create(&PoolLabels { state: "idle" })
        .set(idle);
    m.pool
        .get_or_create(&PoolLabels { state: "used" })
        .set(size - idle);
    m.pool_max
        .set(i64::from(s.db.options().get_max_connections()));
    m.content_version.set(s.content.version());
    let mut body = String::with_capacity(8 * 1024);
    if prometheus_client::encoding::text::encode(&mut body, &m.registry).is_err() {
        return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}
