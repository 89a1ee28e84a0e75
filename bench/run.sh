#!/usr/bin/env bash
# Measures a release build of Quire on this machine and prints one table:
#   1. start-up: process start to /readyz = 200 on an already-migrated database (5 runs);
#   2. cached pages (home, post, tag, RSS, Atom, a Content API browse of posts with tags and
#      authors; identity and brotli) against nginx serving the
#      very same bytes as static files, in alternating runs, with the median ratio per page:
#      the machine is shared and noisy, so the ratio says more than either number alone;
#   3. that cache hits cost no database query (pg_stat_database transaction counts);
#   4. memory (RSS) idle and after the load;
#   5. uncached renders: BENCH_POSTS generated posts (default 2,000) imported with `quire import`,
#      served through a 1 MiB page cache and asked for at random (bench/rotate.lua), so nearly
#      every request renders its page: requests per second, Quire's CPU time per page and
#      database statements per page, identity and brotli.
# Needs: a PostgreSQL server, wrk, curl, nginx (apt-get install wrk nginx-light).
# Usage: bench/run.sh            (builds --release first)
#        BENCH_DURATION=5s BENCH_ROUNDS=3 BENCH_POSTS=2000 bench/run.sh
#        BENCH_BIN=path/to/quire bench/run.sh   (that binary, nothing built)
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
bin="${BENCH_BIN:-$target/release/quire}"
[ -n "${BENCH_BIN:-}" ] || cargo build --release --bin quire >/dev/null
db_name="quire_bench"
admin_url="${BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
url="${admin_url%/*}/$db_name"
port="${BENCH_PORT:-2377}"
nport=$((port + 1))
duration="${BENCH_DURATION:-5s}"
posts="${BENCH_POSTS:-2000}"
rounds="${BENCH_ROUNDS:-3}"
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx_bin" ] || { echo "bench: nginx is needed (apt-get install nginx-light)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "bench: wrk is needed (apt-get install wrk)" >&2; exit 2; }

psql "$admin_url" -qc "drop database if exists $db_name" -c "create database $db_name"
DATABASE_URL="$url" QUIRE_LOG=warn "$bin" migrate
# an integration, so that Ghost's Content API can be asked as a front end asks it
content_key=0123456789abcdef0123456789
psql "$url" -qc "insert into integrations (name, content_key, admin_key_id, admin_secret)
    values ('bench', '$content_key', '0123456789abcdef01234567', repeat('ab', 32))"

serve() { DATABASE_URL="$url" QUIRE_BIND="127.0.0.1:$port" QUIRE_LOG=warn "$bin" serve "$@" & }
ready() { until curl -fs -o /dev/null "http://127.0.0.1:$port/readyz"; do sleep 0.002; done; }

starts=()
for _ in 1 2 3 4 5; do
    start=$(date +%s%N)
    serve
    pid=$!
    ready
    starts+=("$(( ($(date +%s%N) - start) / 1000000 ))")
    kill -TERM "$pid"; wait "$pid"
done

serve
pid=$!
dir=$(mktemp -d)
trap 'kill -TERM $pid 2>/dev/null || true; "$nginx_bin" -c "$dir/nginx.conf" -s stop 2>/dev/null || true; rm -rf "$dir"' EXIT
ready
rss() { awk '/VmRSS/ {printf "%d MiB", $2 / 1024}' "/proc/$pid/status"; }
idle_rss=$(rss)

# the same bytes for nginx: each page saved as a file, identity and brotli
paths=(/ /welcome/ /tag/getting-started/ /rss/ /atom.xml
    "/ghost/api/content/posts/?key=$content_key&include=tags,authors")
# how a path is named in the table
label() { case $1 in /ghost/api/content/posts/*) echo "Content API posts";; *) echo "$1";; esac; }
locations=""
for i in "${!paths[@]}"; do
    p=${paths[$i]}
    curl -fs "http://127.0.0.1:$port$p" -o "$dir/$i"
    curl -fs -H 'Accept-Encoding: br' "http://127.0.0.1:$port$p" -o "$dir/$i.br"
    # nginx matches the path alone; the query string is the same on both sides
    locations+="location = ${p%%\?*} { if (\$http_accept_encoding ~ br) { add_header Content-Encoding br; rewrite ^ /$i.br break; } rewrite ^ /$i break; }"$'\n'
done
cat > "$dir/nginx.conf" <<CONF
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    default_type text/html;
    server { listen 127.0.0.1:$nport; root $dir; $locations }
}
CONF
"$nginx_bin" -c "$dir/nginx.conf"

xacts() { psql "$admin_url" -Atc "select xact_commit + xact_rollback from pg_stat_database where datname = '$db_name'"; }
rate() { wrk -t2 -c64 -d"$duration" "${@:2}" "$1" | awk '/Requests\/sec/ {printf "%d", $2}'; }
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

before=$(xacts)
load_start=$(date +%s)
rows=()
for p in "${paths[@]}"; do
    for encoding in identity br; do
        qs=(); ns=(); ratios=()
        for _ in $(seq 1 "$rounds"); do
            q=$(rate "http://127.0.0.1:$port$p" -H "Accept-Encoding: $encoding")
            n=$(rate "http://127.0.0.1:$nport$p" -H "Accept-Encoding: $encoding")
            qs+=("$q"); ns+=("$n")
            ratios+=("$(awk -v q="$q" -v n="$n" 'BEGIN { printf "%.2f", q / n }')")
        done
        bytes=$(curl -fs -H "Accept-Encoding: $encoding" "http://127.0.0.1:$port$p" | wc -c)
        rows+=("$(printf '| %-24s | %-8s | %7d | %12s | %12s | %5s |' "$(label "$p")" "$encoding" "$bytes" \
            "$(median "${qs[@]}")" "$(median "${ns[@]}")" "$(median "${ratios[@]}")")")
    done
done
sleep 1
after=$(xacts)
seconds=$(( $(date +%s) - load_start ))
loaded_rss=$(rss)
kill -TERM "$pid"; wait "$pid"

# uncached renders: generated posts through a 1 MiB cache
python3 bench/posts.py "$dir/site" "$posts"
DATABASE_URL="$url" QUIRE_DATA_DIR="$dir/data" QUIRE_LOG=error "$bin" import --no-progress "$dir/site" >/dev/null
# settle the statistics now, so that autovacuum's transactions are not counted as Quire's
psql "$url" -qc "vacuum analyze"
serve --cache-mb 1
pid=$!
ready
curl -fs -o /dev/null "http://127.0.0.1:$port/post-0/" || { echo "bench: /post-0/ is not served" >&2; exit 1; }
page_bytes=$(curl -fs "http://127.0.0.1:$port/post-1/" | wc -c)
sleep 11 # until the statistics of those first statements are reported
ticks=$(getconf CLK_TCK)
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
# PostgreSQL's CPU: every server process (the pool's connections live through a run)
pg_cpu() { for p in $(pgrep -x postgres); do cat "/proc/$p/stat" 2>/dev/null; done | awk '{ s += $14 + $15 } END { print s + 0 }'; }
uncached=()
for encoding in identity br; do
    x0=$(xacts); c0=$(cpu); p0=$(pg_cpu)
    out=$(BENCH_POSTS="$posts" wrk -t2 -c16 -d"$duration" -s bench/rotate.lua -H "Accept-Encoding: $encoding" "http://127.0.0.1:$port")
    c1=$(cpu); p1=$(pg_cpu)
    # a PostgreSQL backend reports its statistics when idle, within 10 s
    sleep 11
    x1=$(xacts)
    n=$(awk '/requests in/ { print $1 }' <<<"$out")
    rps=$(awk '/Requests\/sec/ { printf "%d", $2 }' <<<"$out")
    uncached+=("$(awk -v c=$((c1 - c0)) -v p=$((p1 - p0)) -v t="$ticks" -v n="$n" -v x=$((x1 - x0)) -v r="$rps" -v e="$encoding" \
        'BEGIN { printf "| %-8s | %8d | %13.2f | %13.2f | %13.1f |", e, r, c * 1000 / t / n, p * 1000 / t / n, x / n }')")
done

echo
echo "Quire $("$bin" --version | awk '{print $2}') on $(nproc) cores; wrk -t2 -c64 -d$duration, $rounds alternating rounds, medians"
echo
printf '| %-24s | %-8s | %7s | %12s | %12s | %5s |\n' page encoding bytes "quire req/s" "nginx req/s" ratio
printf '|%s|%s|%s|%s|%s|%s|\n' -------------------------- ---------- --------- -------------- -------------- -------
printf '%s\n' "${rows[@]}"
echo
echo "start-up to /readyz (migrated database): median $(median "${starts[@]}") ms (runs: ${starts[*]} ms)"
echo "database transactions during ${seconds} s of load: $((after - before)) (the watcher's pulse makes about one a second; cache hits make none)"
echo "memory (RSS): $idle_rss idle, $loaded_rss after the load"
echo
echo "uncached post pages: $posts generated posts (${page_bytes} bytes each), 1 MiB cache, random posts, wrk -t2 -c16 -d$duration; CPU per page"
echo
printf '| %-8s | %8s | %13s | %13s | %13s |\n' encoding "req/s" "quire CPU ms" "postgres CPU" "SQL/page"
printf '|%s|%s|%s|%s|%s|\n' ---------- ---------- --------------- --------------- ---------------
printf '%s\n' "${uncached[@]}"
