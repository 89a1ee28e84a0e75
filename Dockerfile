# syntax=docker/dockerfile:1
# Quire: a small image with one static-ish binary, running as a non-root user.
#   docker build -t quire .
#   docker run -p 2368:2368 -e DATABASE_URL=postgres://... -e QUIRE_BASE_URL=https://blog.example.com quire
# Production: docs/deploy.md (Compose, Kubernetes, AWS).

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
# registry and target caches survive between builds; the binary is copied out of the cache
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin quire \
 && install -m 0755 target/release/quire /usr/local/bin/quire

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/quire --create-home quire
COPY --from=build /usr/local/bin/quire /usr/local/bin/quire
# A probe for health checks that run a command inside the container (Docker, Compose, ECS).
# The image has no curl: bash's /dev/tcp speaks HTTP/1.0 to the port of QUIRE_BIND.
COPY --chmod=0755 <<'EOF' /usr/local/bin/quire-probe
#!/bin/bash
# quire-probe [PATH]: exits 0 when Quire in this container answers 200 to GET PATH
# (default /healthz; /readyz for readiness).
bind=${QUIRE_BIND:-127.0.0.1:2368}
port=${bind##*:}
host=${bind%:*}
host=${host#[}
host=${host%]}
case $host in 0.0.0.0 | :: | "") host=127.0.0.1 ;; esac
exec 3<>"/dev/tcp/$host/$port" || exit 1
printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "${1:-/healthz}" >&3
read -r -t 5 _ status _ <&3 || exit 1
[ "$status" = 200 ]
EOF
USER 10001:10001
WORKDIR /var/lib/quire
# Listen on every interface: in a container, 127.0.0.1 would be unreachable from outside.
# The data directory (the home of user quire) is writable; with DATABASE_URL and
# QUIRE_MEDIA=s3 nothing is written there, so the root filesystem can be read-only.
ENV QUIRE_BIND=0.0.0.0:2368 \
    QUIRE_DATA_DIR=/var/lib/quire \
    QUIRE_LOG_FORMAT=json
EXPOSE 2368
# Liveness: the process answers. Readiness (/readyz) is the load balancer's business: a
# replica whose database is away must not be restarted, it keeps serving cached pages.
HEALTHCHECK --interval=10s --timeout=6s --start-period=60s --retries=3 \
    CMD ["quire-probe", "/healthz"]
# SIGTERM drains requests in flight (up to 30 s) before the process exits: give `docker stop`
# more than its default 10 s (`docker run --stop-timeout 40`, Compose `stop_grace_period`).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/quire"]
CMD ["serve"]
