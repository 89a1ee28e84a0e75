#!/usr/bin/env bash
# Measures `quire import` on this machine: a generated Jekyll tree of N Markdown posts (default
# 5,000, written by bench/posts.py: front matter with tags, an author, a date; ~900 words each)
#   1. into an empty database (every post created),
#   2. again over the same tree (every post unchanged: hashed, nothing written),
#   3. after touching every file's text (every post updated).
# Prints wall time and posts per second for each. Needs a PostgreSQL server.
# Usage: bench/import.sh [N]     (builds --release first; BENCH_PROFILE=dev uses the debug build)
set -euo pipefail
cd "$(dirname "$0")/.."

n="${1:-5000}"
target="${CARGO_TARGET_DIR:-target}"
profile="${BENCH_PROFILE:-release}"
if [ "$profile" = release ]; then cargo build --release --bin quire >/dev/null; else cargo build --bin quire >/dev/null; fi
bin="$target/$([ "$profile" = release ] && echo release || echo debug)/quire"
db_name="quire_bench_import"
admin_url="${BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
url="${admin_url%/*}/$db_name"
tree="$(mktemp -d)"
data="$(mktemp -d)"
trap 'rm -rf "$tree" "$data"' EXIT

python3 bench/posts.py "$tree" "$n"

psql "$admin_url" -qc "drop database if exists $db_name" -c "create database $db_name"
DATABASE_URL="$url" QUIRE_LOG=warn "$bin" migrate
run() {
    local label=$1 start end
    start=$(date +%s%N)
    DATABASE_URL="$url" QUIRE_DATA_DIR="$data" QUIRE_LOG=warn "$bin" import --no-progress "$tree" \
        | grep -E '^(created|updated|unchanged) ' | tr -s ' ' | paste -sd' '
    end=$(date +%s%N)
    local ms=$(( (end - start) / 1000000 ))
    echo "== $label: $n posts in $ms ms ($(( n * 1000 / (ms > 0 ? ms : 1) )) posts/s)"
}
run "first import"
run "second import (nothing changed)"
find "$tree/_posts" -name '*.md' -exec sh -c 'echo "Edited." >> "$1"' _ {} \;
run "after editing every file"
psql "$admin_url" -qc "drop database $db_name"
