# syntax=docker/dockerfile:1
# Quire: a small image with one static-ish binary, running as a non-root user.
#   docker build -t quire .
#   docker run -p 2368:2368 -e DATABASE_URL=postgres://... -e QUIRE_BASE_URL=https://blog.example.com quire

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
USER 10001:10001
WORKDIR /var/lib/quire
ENV QUIRE_BIND=0.0.0.0:2368 \
    QUIRE_DATA_DIR=/var/lib/quire \
    QUIRE_LOG_FORMAT=json
EXPOSE 2368
# SIGTERM drains requests in flight before the process exits
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/quire"]
CMD ["serve"]
