#!/usr/bin/env bash
# Measures `quire import` on this machine: a generated tree of N Markdown posts (default
# 5,000: front matter with tags, an author, a date; a few paragraphs, a list and code each)
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

python3 - "$tree" "$n" <<'PY'
import os, sys, random
root, n = sys.argv[1], int(sys.argv[2])
os.makedirs(f"{root}/_posts")
open(f"{root}/_config.yml", "w").write("title: Bench\n")
random.seed(1)
words = "quire replica cache postgres notify render markdown feed tag author page image".split()
for i in range(n):
    day = f"20{10 + i % 15:02d}-{1 + i % 12:02d}-{1 + i % 28:02d}"
    tags = ", ".join(random.sample(words, 3))
    body = "\n\n".join(" ".join(random.choices(words, k=60)) for _ in range(4))
    with open(f"{root}/_posts/{day}-post-{i}.md", "w") as f:
        f.write(f"---\ntitle: Post number {i}\ntags: [{tags}]\nauthor: bench@example.com\n---\n")
        f.write(f"{body}\n\n- one\n- two\n\n```rust\nfn main() {{ println!(\"{i}\"); }}\n```\n")
PY

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
