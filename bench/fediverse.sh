#!/usr/bin/env bash
# Measures ActivityPub delivery: one new post delivered to BENCH_FOLLOWERS followers (default
# 20,000), each with an inbox of its own on one of BENCH_INBOX_SERVERS inbox servers on
# loopback (default 300) that check every signature and answer after BENCH_INBOX_MS (default
# 20 ms, a server across the internet), first with one replica behind nginx, then with three.
# Prints deliveries per second for each and how much three replicas gain.
# It is the ignored test `deliveries_per_second` of the cluster tests (tests/cluster/
# federation.rs), built --release: it needs what they need (nginx, PostgreSQL).
# Usage: bench/fediverse.sh
#        BENCH_FOLLOWERS=5000 BENCH_INBOX_SERVERS=100 BENCH_INBOX_MS=50 bench/fediverse.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export QUIRE_BENCH_FOLLOWERS="${BENCH_FOLLOWERS:-20000}"
export QUIRE_BENCH_INBOX_SERVERS="${BENCH_INBOX_SERVERS:-300}"
export QUIRE_BENCH_INBOX_MS="${BENCH_INBOX_MS:-20}"
# the inbox servers and the replicas' connections: more descriptors than the default 1,024
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
cargo test --release --locked --test cluster federation::deliveries_per_second \
    -- --ignored --exact --nocapture 2>&1 | grep -E '^\[fediverse bench\]|panicked|FAILED|error'
