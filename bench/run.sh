#!/usr/bin/env bash
# The standard benchmark set (`make bench`), in one run so that the peer is measured on the
# same machine under the same conditions:
#   1. three workloads (seed-shaped, throughput, paced latency) against Rivulet with its
#      durable log and in memory, and against Redis Streams without persistence and with
#      AOF + fsync every second (the durable peer), BENCH_RUNS times each;
#   2. the full seed workload (10 x 2,000,000 messages) once, keeping its data directory;
#   3. the recovery benchmark on that directory (bench/recovery.sh);
# then prints the tables (bench/report.py) and keeps every JSON result in $BENCH_OUT.
#
# Environment: BUILD_DIR (build), BENCH_RUNS (3), BENCH_OUT (BUILD_DIR/bench-results/DATE),
# BENCH_SEED_MESSAGES (200000 per producer for the comparison), BENCH_THROUGHPUT_MESSAGES
# (3000000), BENCH_LATENCY_MESSAGES (50000 at 10,000 msgs/s), BENCH_FULL_SEED (1: run the
# full seed workload and the recovery benchmark; 0: skip them).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${BUILD_DIR:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
cli=$build/bin/rivulet-cli
runs=${BENCH_RUNS:-3}
out=${BENCH_OUT:-$build/bench-results/$(date +%Y%m%d-%H%M%S)}
seed_messages=${BENCH_SEED_MESSAGES:-200000}
throughput_messages=${BENCH_THROUGHPUT_MESSAGES:-3000000}
latency_messages=${BENCH_LATENCY_MESSAGES:-50000}
full_seed=${BENCH_FULL_SEED:-1}

[ -x "$cli" ] || { echo "bench: $cli is missing; build first (make bench does)" >&2; exit 2; }
command -v redis-server >/dev/null || {
    echo "bench: redis-server is missing (scripts/setup.sh installs it)" >&2
    exit 2
}
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/rivulet-bench-run-XXXXXX")
redis_pid=""
cleanup() {
    if [ -n "$redis_pid" ]; then
        kill "$redis_pid" 2>/dev/null || true
        wait "$redis_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_redis none|aof: a fresh redis-server on a free loopback port; sets redis_port, redis_pid
start_redis() {
    local dir=$work/redis-$1
    rm -rf "$dir" && mkdir -p "$dir"
    local persistence=(--save '' --appendonly no)
    if [ "$1" = aof ]; then
        # automatic AOF rewrites run in a forked child whose CPU time the parent's /proc entry
        # does not show, so they are off: both sides are measured appending only
        persistence=(--save '' --appendonly yes --appendfsync everysec
            --auto-aof-rewrite-percentage 0)
    fi
    redis_port=$(free_port)
    redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$dir" --daemonize no \
        --logfile "$dir/redis.log" "${persistence[@]}" &
    redis_pid=$!
    for _ in $(seq 100); do
        redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "bench: redis-server did not start (see $dir/redis.log)" >&2
    exit 1
}

stop_redis() {
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
    redis_pid=""
}

# Waits (up to BENCH_QUIET_WAIT seconds, default 10) until other work on the machine takes
# under a third of a core, so that runs land in quiet moments of a shared machine.
wait_quiet() {
    local deadline=$((SECONDS + ${BENCH_QUIET_WAIT:-10}))
    while [ $SECONDS -lt $deadline ]; do
        local a b
        a=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat)
        sleep 0.5
        b=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat)
        # jiffies are 1/100 s: under 17 in half a second is under a third of a core
        [ $((b - a)) -lt 17 ] && return 0
    done
    return 0 # busy all along: measure anyway; the run reports what others took
}

# workload flags, by name
workload() {
    case $1 in
    seed) echo "--producers 10 --consumers 10 --partitions 10 --messages $seed_messages" \
        "--seed-values --batch 30 --limit 30 --inflight 1" ;;
    throughput) echo "--producers 1 --consumers 1 --partitions 1 --messages $throughput_messages" \
        "--size 100 --batch 1000 --limit 1000 --inflight 4 --sequential" ;;
    latency) echo "--producers 1 --consumers 1 --partitions 1 --messages $latency_messages" \
        "--size 100 --batch 1 --limit 100 --inflight 1 --rate 10000" ;;
    esac
}

# run_one WORKLOAD PEER RUN
run_one() {
    local name=$1 peer=$2 run=$3 json=$out/$1-$2-$3.json
    local flags
    read -r -a flags <<<"$(workload "$name")"
    local log=$out/$1-$2-$3.txt
    wait_quiet
    case $peer in
    rivulet-durable) "$cli" bench "${flags[@]}" --json "$json" >"$log" 2>&1 ;;
    rivulet-memory) "$cli" bench "${flags[@]}" --in-memory --json "$json" >"$log" 2>&1 ;;
    redis | redis-aof)
        start_redis "$([ "$peer" = redis ] && echo none || echo aof)"
        "$cli" --port "$redis_port" bench --peer redis --broker-pid "$redis_pid" "${flags[@]}" \
            --json "$json" >"$log" 2>&1 || { stop_redis; false; }
        stop_redis
        ;;
    esac || {
        echo "bench: $name on $peer (run $run) failed:" >&2
        cat "$log" >&2
        exit 1
    }
    printf '  %-11s %-16s run %d: %s\n' "$name" "$peer" "$run" \
        "$(python3 "$here/report.py" --one "$json")"
}

echo "bench: results in $out ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
for name in seed throughput latency; do
    for run in $(seq "$runs"); do
        for peer in rivulet-durable rivulet-memory redis redis-aof; do
            run_one "$name" "$peer" "$run"
        done
    done
done

if [ "$full_seed" = 1 ]; then
    echo "bench: the full seed workload (10 producers x 2,000,000, 10 consumers), durable log"
    wait_quiet
    "$cli" bench --seed-workload --data-dir "$work/seed-data" --json "$out/seed-full.json" \
        | tee "$out/seed-full.txt"
    echo "bench: recovery of that log"
    BUILD_DIR=$build BENCH_DATA_DIR=$work/seed-data BENCH_JSON=$out/recovery.json \
        "$here/recovery.sh" | tee "$out/recovery.txt"
    rm -rf "$work/seed-data"
fi

python3 "$here/report.py" "$out" | tee "$out/report.md"
