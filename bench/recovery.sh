#!/usr/bin/env bash
# The recovery benchmark: a broker holding the seed's load (one topic of 10 partitions,
# 10 x 2,000,000 "nice message {i}" values written in batches of 30) on its durable log.
# Fills a fresh data directory first, unless BENCH_DATA_DIR already holds that load (bench/run.sh
# passes the directory of its full seed run). Reports, as medians of BENCH_RUNS (3) runs:
# start-up time to the ready line on an empty directory, after a clean SIGTERM stop and after
# kill -9; the broker's RSS idle while holding the log, after one consumer read all of it,
# and after recovering from kill -9. Extra arguments go to `rivulet-cli bench --recovery`.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
args=(bench --recovery --seed-workload --runs "${BENCH_RUNS:-3}")
[ -n "${BENCH_DATA_DIR:-}" ] && args+=(--data-dir "$BENCH_DATA_DIR")
[ -n "${BENCH_JSON:-}" ] && args+=(--json "$BENCH_JSON")
exec "$build/bin/rivulet-cli" "${args[@]}" "$@"
