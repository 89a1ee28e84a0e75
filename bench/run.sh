#!/usr/bin/env bash
# Measures a release build of Quire on this machine:
#   1. start-up: process start to /readyz = 200 on an already-migrated database;
#   2. throughput and latency of cached pages (wrk), with and without compression;
#   3. that cache hits cost no database query (pg_stat_database transaction counts);
#   4. a cached post against nginx serving the same bytes as a static file (median ratio).
# Needs: a PostgreSQL server (DATABASE_URL or the local default), wrk, curl; nginx for 4.
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

# The same bytes from nginx (a static file), alternating runs in one session: the machine is
# shared and noisy, so the ratio of the medians says more than either number alone.
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
if [ -x "$nginx_bin" ]; then
    dir=$(mktemp -d)
    nport=$((port + 1))
    curl -fs "http://127.0.0.1:$port/welcome/" -o "$dir/index.html"
    cat > "$dir/nginx.conf" <<CONF
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    default_type text/html;
    server { listen 127.0.0.1:$nport; root $dir; location = /welcome/ { try_files /index.html =404; } }
}
CONF
    "$nginx_bin" -c "$dir/nginx.conf"
    rate() { wrk -t2 -c64 -d"${BENCH_AB_DURATION:-5s}" "$1" | awk '/Requests\/sec/ {print $2}'; }
    echo "== cached post vs nginx serving the same $(wc -c < "$dir/index.html") bytes (3 alternating runs each)"
    ratios=()
    for round in 1 2 3; do
        q=$(rate "http://127.0.0.1:$port/welcome/")
        n=$(rate "http://127.0.0.1:$nport/welcome/")
        r=$(awk -v q="$q" -v n="$n" 'BEGIN { printf "%.2f", q / n }')
        ratios+=("$r")
        echo "round $round: quire $q req/s, nginx $n req/s, ratio $r"
    done
    median=$(printf '%s\n' "${ratios[@]}" | sort -n | sed -n 2p)
    echo "median ratio quire / nginx: $median"
    "$nginx_bin" -c "$dir/nginx.conf" -s stop
    rm -rf "$dir"
else
    echo "== nginx not installed: no comparison (apt-get install nginx-light)"
fi
