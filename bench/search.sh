#!/usr/bin/env bash
# Measures full-text search at scale on this machine, with a release build of Quire:
#   1. what the index costs an import: BENCH_SEARCH_SAMPLE posts (default 10,000) imported with
#      the index kept current by its triggers, and again into a database without them;
#   2. BENCH_SEARCH_POSTS generated posts (default 100,000; ~1,000 words each, bench/posts.py)
#      imported with `quire import`; the index's size on disk beside the posts';
#   3. search latency under wrk (bench/search.lua) for rare words, common words, prefixes and
#      phrases, every request a new query (none answered by the page cache): requests/s and
#      the 50th, 95th and 99th percentiles;
#   4. EXPLAIN ANALYZE of one search of the slowest kind, as the replica runs it.
# Needs: a PostgreSQL server, wrk, curl, python3. Takes a while: the 100,000 posts are about
# 700 MB of Markdown, written once to BENCH_SEARCH_TREE (default /var/tmp/quire-search-tree)
# and reused.
# Usage: bench/search.sh                 (builds --release first)
#        BENCH_BIN=path/to/quire BENCH_SEARCH_POSTS=20000 BENCH_DURATION=10s bench/search.sh
#        BENCH_SEARCH_REUSE=1 bench/search.sh   (steps 3 and 4 only, on the last run's database)
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
bin="${BENCH_BIN:-$target/release/quire}"
[ -n "${BENCH_BIN:-}" ] || cargo build --release --bin quire >/dev/null
n="${BENCH_SEARCH_POSTS:-100000}"
sample="${BENCH_SEARCH_SAMPLE:-10000}"
duration="${BENCH_DURATION:-10s}"
tree="${BENCH_SEARCH_TREE:-/var/tmp/quire-search-tree}-$n"
admin_url="${BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
db_name="quire_bench_search"
url="${admin_url%/*}/$db_name"
port="${BENCH_PORT:-2387}"
command -v wrk >/dev/null || { echo "bench: wrk is needed (apt-get install wrk)" >&2; exit 2; }
data="$(mktemp -d)"
trap 'kill -TERM ${pid:-0} 2>/dev/null || true; rm -rf "$data" "$data.sample"' EXIT

if [ ! -f "$tree/.complete" ]; then
    rm -rf "$tree"
    python3 bench/posts.py "$tree" "$n" 1000
    touch "$tree/.complete"
fi

fresh() {
    psql "$admin_url" -qc "drop database if exists $1" -c "create database $1"
    DATABASE_URL="${admin_url%/*}/$1" QUIRE_LOG=warn "$bin" migrate
}
import() {
    local start end
    start=$(date +%s%N)
    DATABASE_URL="${admin_url%/*}/$1" QUIRE_DATA_DIR="$2" QUIRE_LOG=error "$bin" import \
        --no-progress "$3" >/dev/null
    end=$(date +%s%N)
    echo $(( (end - start) / 1000000 ))
}

if [ -n "${BENCH_SEARCH_REUSE:-}" ]; then
    # the database of an earlier run, brought to this build's schema
    DATABASE_URL="$url" QUIRE_LOG=warn "$bin" migrate
else
    # 1. the import with and without the index, on a sample
    mkdir -p "$data.sample/_posts"
    cp "$tree/_config.yml" "$data.sample/"
    # (head stops reading early: not a failure of the pipeline)
    set +o pipefail
    find "$tree/_posts" -name '*.md' | sort | head -n "$sample" | xargs cp -t "$data.sample/_posts"
    set -o pipefail
    fresh "${db_name}_off"
    psql "${admin_url%/*}/${db_name}_off" -qc "
        alter table posts disable trigger posts_search;
        alter table posts_tags disable trigger posts_tags_search_added;
        alter table posts_tags disable trigger posts_tags_search_removed;
        alter table posts_authors disable trigger posts_authors_search_added;
        alter table posts_authors disable trigger posts_authors_search_removed;"
    without=$(import "${db_name}_off" "$data/off" "$data.sample")
    fresh "${db_name}_on"
    with=$(import "${db_name}_on" "$data/on" "$data.sample")
    psql "$admin_url" -qc "drop database ${db_name}_off" -c "drop database ${db_name}_on"
    echo "== import of $sample posts: $without ms without the search index, $with ms with it" \
         "($(( (with - without) * 100 / (without > 0 ? without : 1) ))% slower)"

    # 2. the whole set
    fresh "$db_name"
    ms=$(import "$db_name" "$data/all" "$tree")
    echo "== import of $n posts with the index: $ms ms ($(( n * 1000 / (ms > 0 ? ms : 1) )) posts/s)"
    psql "$url" -qc "vacuum analyze"
    psql "$url" -Atc "select format('== on disk: posts %s (with their TOAST and indexes), search index %s (post_search %s, its GIN indexes %s)',
        pg_size_pretty(pg_total_relation_size('posts')), pg_size_pretty(pg_total_relation_size('post_search')),
        pg_size_pretty(pg_table_size('post_search')), pg_size_pretty(pg_indexes_size('post_search')))"
fi

# 3. latency under load, every query new
DATABASE_URL="$url" QUIRE_BIND="127.0.0.1:$port" QUIRE_LOG=warn QUIRE_CACHE_MB=1 \
    QUIRE_TRUSTED_PROXIES=127.0.0.1/32 QUIRE_DATA_DIR="$data/all" "$bin" serve &
pid=$!
until curl -fs -o /dev/null "http://127.0.0.1:$port/readyz"; do sleep 0.05; done
printf '%-8s %10s %8s %8s %8s\n' kind "req/s" p50 p95 p99
for kind in rare common prefix phrase; do
    # a short warm-up, then the measured run
    BENCH_SEARCH_KIND=$kind wrk -t2 -c4 -d2s -s bench/search.lua "http://127.0.0.1:$port" >/dev/null
    out=$(BENCH_SEARCH_KIND=$kind wrk -t2 -c4 -d"$duration" --latency -s bench/search.lua \
        "http://127.0.0.1:$port")
    if echo "$out" | grep -q "Non-2xx"; then echo "$out" >&2; fi
    printf '%-8s %10s %8s %8s %8s\n' "$kind" \
        "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
        $(echo "$out" | awk '$1 == "percentiles" {print $2, $3, $4}')
done

# 4. the plans of a search of the slowest kind, as the replica runs it: a replica whose
#    connections have PostgreSQL's auto_explain send each statement's plan back as a notice,
#    which it logs
kill -TERM "$pid"
wait "$pid" 2>/dev/null || true
slowest="${BENCH_SEARCH_EXPLAIN:-\"cache query\"}"
echo "== EXPLAIN ANALYZE of a search for $slowest (the statements it runs)"
explain="options=-c%20session_preload_libraries%3Dauto_explain%20-c%20auto_explain.log_min_duration%3D0"
explain="$explain%20-c%20auto_explain.log_analyze%3Don%20-c%20auto_explain.log_buffers%3Don"
explain="$explain%20-c%20auto_explain.log_level%3Dnotice"
DATABASE_URL="$url?$explain" QUIRE_BIND="127.0.0.1:$port" QUIRE_LOG_FORMAT=text \
    QUIRE_LOG="warn,sqlx::postgres::notice=info" QUIRE_CACHE_MB=1 QUIRE_DATA_DIR="$data/all" \
    "$bin" serve 2>>"$data/explain.log" &
pid=$!
until curl -fs -o /dev/null "http://127.0.0.1:$port/readyz"; do sleep 0.05; done
: >"$data/explain.log"
curl -fs -o /dev/null "http://127.0.0.1:$port/search/?q=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$slowest")"
sleep 0.5
# the plans of the statements that read post_search, each logged as one notice
python3 - "$data/explain.log" <<'PY'
import re, sys
log = re.sub(r"\x1b\[[0-9;]*m", "", open(sys.argv[1]).read())
for notice in re.split(r"(?m)^(?=\S.*sqlx::postgres::notice)", log):
    if "post_search" in notice:
        print(notice.rstrip())
PY
