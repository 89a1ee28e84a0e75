#!/usr/bin/env bash
# Measures a release build of Quire on this machine:
#   1. start-up: process start to /readyz = 200 on an already-migrated database;
#   2. throughput and latency of cached pages (wrk), with and without compression;
#   3. that cache hits cost no database query (pg_stat_database transaction counts).
# Needs: a PostgreSQL server (DATABASE_URL or the local default), wrk, curl.
# Usage: bench/run.sh            (builds --release first)
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
cargo build --release --bin quire >/dev/null
bin="$target/release/quire"
db_name="quire_bench"
admin_url="${BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
url="${admin_url%/*}/$db_name"
port="${BENCH_PORT:-2377}"
duration="${BENCH_DURATION:-10s}"

psql "$admin_url" -qc "drop database if exists $db_name" -c "create database $db_name"
DATABASE_URL="$url" QUIRE_LOG=warn "$bin" migrate

echo "== start-up (migrated database, 5 runs)"
for _ in 1 2 3 4 5; do
    start=$(date +%s%N)
    DATABASE_URL="$url" QUIRE_BIND="127.0.0.1:$port" QUIRE_LOG=warn "$bin" serve &
    pid=$!
    until curl -fs -o /dev/null "http://127.0.0.1:$port/readyz"; do sleep 0.005; done
    echo "ready after $(( ($(date +%s%N) - start) / 1000000 )) ms"
    kill -TERM "$pid"; wait "$pid"
done

DATABASE_URL="$url" QUIRE_BIND="127.0.0.1:$port" QUIRE_LOG=warn "$bin" serve &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
until curl -fs -o /dev/null "http://127.0.0.1:$port/readyz"; do sleep 0.01; done
for path in / /welcome/ /rss/; do curl -fs -o /dev/null "http://127.0.0.1:$port$path"; done

xacts() { psql "$admin_url" -Atc "select xact_commit + xact_rollback from pg_stat_database where datname = '$db_name'"; }
before=$(xacts)

for path in / /welcome/; do
    echo "== wrk -t2 -c64 -d$duration http://127.0.0.1:$port$path (identity)"
    wrk -t2 -c64 -d"$duration" --latency "http://127.0.0.1:$port$path" | grep -E "Requests/sec|Latency|99%|Transfer"
    echo "== same, Accept-Encoding: br"
    wrk -t2 -c64 -d"$duration" --latency -H "Accept-Encoding: br" "http://127.0.0.1:$port$path" | grep -E "Requests/sec|Latency|99%"
done

sleep 1
after=$(xacts)
seconds=$(( ${duration%s} * 4 + 1 ))
echo "== database transactions during the load: $((after - before)) in ~${seconds}s"
echo "   (the content watcher's pulse makes about one per second; page hits add none)"
