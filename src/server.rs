//! The connection loop: HTTP/1.1 and HTTP/2 over hyper, with the limits a server on the open
//! internet needs and that `axum::serve` does not set.
//!
//! - **Connections are capped** (`QUIRE_MAX_CONNECTIONS`): past the cap, the listener stops
//!   accepting until one closes, so a flood queues in the kernel instead of taking memory here.
//! - **Request headers must arrive in time**: from the first byte of a request to its last
//!   header, a client has `header_timeout`; one that trickles or stops half-way is cut off.
//! - **Idle keep-alive connections close** after `idle_timeout`, longer than the idle timeouts
//!   of nginx (60 s) and AWS load balancers (60 s), so a proxy never reuses a connection that
//!   Quire just closed.
//!
//! The two clocks are told apart by watching the socket: bytes read while no request is in
//! flight start a request head; the head is complete when the request reaches the router.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

use crate::config::ConnectionConfig;
use crate::http::hits::CacheHits;

/// The limits of one listener.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once; more wait in the listen queue.
    pub max_connections: usize,
    /// Time from the first byte of a request to the end of its headers.
    pub header_timeout: Duration,
    /// Time a keep-alive connection may sit with no request.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::from(&ConnectionConfig::default())
    }
}

impl From<&ConnectionConfig> for Limits {
    fn from(config: &ConnectionConfig) -> Self {
        Limits {
            max_connections: config.max_connections as usize,
            header_timeout: Duration::from_secs(config.header_timeout),
            idle_timeout: Duration::from_secs(config.keepalive_timeout),
        }
    }
}

/// What a listener serves: a router, and optionally cache hits answered in front of it
/// ([`crate::http::front`]).
#[derive(Clone)]
pub struct Front {
    pub router: Router,
    pub hits: Option<CacheHits>,
}

impl From<Router> for Front {
    fn from(router: Router) -> Self {
        Front { router, hits: None }
    }
}

/// Serves `front` on `listener` until `shutdown` completes, then lets the requests in flight
/// finish (connections are closed after their current request).
pub async fn serve(
    listener: TcpListener,
    front: impl Into<Front>,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let front = front.into();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (signal_tx, signal_rx) = watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        drop(signal_rx);
    });
    // every connection task holds a receiver; the loop ends when all of them are gone
    let (close_tx, close_rx) = watch::channel(());
    let mut warned_full = false;
    loop {
        let permit = match slots.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if !warned_full {
                    tracing::warn!(
                        max = limits.max_connections,
                        "connection limit reached; new connections wait (QUIRE_MAX_CONNECTIONS)"
                    );
                    warned_full = true;
                }
                tokio::select! {
                    permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
                    _ = signal_tx.closed() => break,
                }
            }
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            _ = signal_tx.closed() => break,
        };
        if slots.available_permits() > limits.max_connections / 2 {
            warned_full = false;
        }
        let _ = stream.set_nodelay(true);
        let signal = signal_tx.clone();
        let close = close_rx.clone();
        let front = front.clone();
        tokio::spawn(async move {
            connection(stream, peer, front, limits, signal).await;
            drop(permit);
            drop(close);
        });
    }
    drop(close_rx);
    drop(listener);
    close_tx.closed().await;
    Ok(())
}

/// Errors of `accept` that concern one connection are skipped; others (out of file
/// descriptors) are waited out, as the listener cannot do anything else meanwhile.
async fn accept_error(e: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Serves one connection until it closes, times out or the server shuts down.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    front: Front,
    limits: Limits,
    signal: watch::Sender<()>,
) {
    let watch = Arc::new(ConnectionClock::default());
    let io = TokioIo::new(Watched {
        inner: stream,
        clock: watch.clone(),
    });
    let clock = watch.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        let in_flight = InFlight::start(&clock, request.version());
        request.extensions_mut().insert(ConnectInfo(peer));
        let Front { router, hits } = front.clone();
        async move {
            if let Some(hits) = &hits
                && let Some(response) = hits
                    .answer(request.method(), request.uri(), request.headers())
                    .await
            {
                drop(in_flight);
                return Ok(response);
            }
            let response = router.oneshot(request.map(Body::new)).await;
            drop(in_flight);
            response
        }
    });
    let builder = Builder::new(TokioExecutor::new());
    let mut conn = std::pin::pin!(builder.serve_connection_with_upgrades(io, service));
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut draining = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::trace!(error = %e, "connection ended with an error");
                }
                return;
            }
            _ = signal.closed(), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
            _ = tick.tick() => {
                if let Some(why) = watch.expired(&limits) {
                    tracing::debug!(%peer, why, "closing a connection");
                    // dropping the connection closes the socket
                    return;
                }
            }
        }
    }
}

/// Milliseconds since the process's first connection, plus one (zero means "not set").
fn now_ms() -> u64 {
    static START: LazyLock<Instant> = LazyLock::new(Instant::now);
    u64::try_from(START.elapsed().as_millis()).unwrap_or(u64::MAX) + 1
}

/// What a connection is doing, written by its socket and its requests, read once a second.
#[derive(Debug)]
struct ConnectionClock {
    /// Requests being answered on this connection.
    in_flight: AtomicUsize,
    /// When the first byte of the next request's head arrived (0: none yet).
    head_started: AtomicU64,
    /// When the connection last became idle.
    idle_since: AtomicU64,
    /// HTTP/2 multiplexes: frames arrive between requests, so only the idle clock applies.
    http2: AtomicBool,
}

impl Default for ConnectionClock {
    fn default() -> Self {
        ConnectionClock {
            in_flight: AtomicUsize::new(0),
            head_started: AtomicU64::new(0),
            idle_since: AtomicU64::new(now_ms()),
            http2: AtomicBool::new(false),
        }
    }
}

impl ConnectionClock {
    /// Bytes arrived: with no request in flight, they begin a request head.
    fn read_some(&self) {
        if self.in_flight.load(Ordering::Relaxed) == 0
            && self.head_started.load(Ordering::Relaxed) == 0
        {
            self.head_started.store(now_ms(), Ordering::Relaxed);
        }
    }

    /// Why the connection should close now, if it should.
    fn expired(&self, limits: &Limits) -> Option<&'static str> {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return None;
        }
        let now = now_ms();
        let started = self.head_started.load(Ordering::Relaxed);
        let http2 = self.http2.load(Ordering::Relaxed);
        if started != 0 && !http2 {
            let spent = Duration::from_millis(now.saturating_sub(started));
            return (spent > limits.header_timeout).then_some("request headers too slow");
        }
        let idle =
            Duration::from_millis(now.saturating_sub(self.idle_since.load(Ordering::Relaxed)));
        (idle > limits.idle_timeout).then_some("idle")
    }
}

/// A request being answered; when dropped (answered or cancelled) and none remains, the
/// connection is idle again.
struct InFlight(Arc<ConnectionClock>);

impl InFlight {
    fn start(clock: &Arc<ConnectionClock>, version: hyper::Version) -> Self {
        if version == hyper::Version::HTTP_2 {
            clock.http2.store(true, Ordering::Relaxed);
        }
        clock.in_flight.fetch_add(1, Ordering::Relaxed);
        clock.head_started.store(0, Ordering::Relaxed);
        InFlight(clock.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.0.idle_since.store(now_ms(), Ordering::Relaxed);
        }
    }
}

/// A socket that tells its connection's clock when bytes arrive.
struct Watched {
    inner: TcpStream,
    clock: Arc<ConnectionClock>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.clock.read_some();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
