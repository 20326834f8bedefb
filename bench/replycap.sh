#!/usr/bin/env bash
# What --max-queued-reply-bytes costs a normal fast consumer, and what it holds for hostile
# ones (docs/ARCHITECTURE.md, "Memory caps"). For each cap (MiB) it starts an in-memory
# broker and measures, interleaving the caps round by round so that a noisy machine spreads
# over all of them:
#   native   rivulet-cli bench, 1 producer then 1 consumer, 200,000 x 1000-byte values,
#            consumer limit 10,000 with 8 Consumes in flight (10 MB answers asked for) and
#            limit 1,000 with 4 in flight
#   kafka    kcat consuming 200,000 x 1000-byte messages from 4 partitions (librdkafka's
#            defaults: fetch.max.bytes 50 MiB, max.partition.fetch.bytes 1 MiB, so a Fetch
#            answer may carry 4 MiB)
#   hostile  bench/hostile.py pipeline: 10 native clients pipelining 2,000 Consumes of a
#            64 MB partition and never reading (broker RSS while they wait)
# Usage: bench/replycap.sh [ROUNDS] [CAPS...]   (default 3 rounds, caps 1 4 16; BUILD_DIR
# defaults to build)
set -euo pipefail
ROUNDS=${1:-3}
shift || true
CAPS=("$@")
[ ${#CAPS[@]} -gt 0 ] || CAPS=(1 4 16)
BIN=${BUILD_DIR:-build}/bin
HERE=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
broker=
trap '[ -n "$broker" ] && kill $broker 2>/dev/null; rm -rf "$work"' EXIT
N=200000
awk -v n="$N" 'BEGIN { pad = sprintf("%0990d", 0); for (i = 0; i < n; i++) printf "%09d%s\n", i, pad }' > "$work/values"

start() { # cap in MiB
    "$BIN/rivulet" --headless --in-memory --port 0 --kafka-port 0 \
        --max-queued-reply-bytes $(($1 << 20)) > "$work/ready" 2> "$work/log" &
    broker=$!
    for _ in $(seq 100); do grep -q ready "$work/ready" && break; sleep 0.1; done
    native=$(grep -oP 'native [^:]+:\K\d+' "$work/ready")
    kafka=$(grep -oP 'kafka \K\S+' "$work/ready")
}
stop() { kill $broker; wait $broker 2>/dev/null || true; broker=; }

for round in $(seq "$ROUNDS"); do
    for cap in "${CAPS[@]}"; do
        start "$cap"
        for shape in "10000 8" "1000 4"; do
            set -- $shape
            line=$("$BIN/rivulet-cli" --port "$native" bench --producers 1 --consumers 1 \
                --partitions 1 --messages $N --size 1000 --batch 1000 --limit "$1" \
                --inflight "$2" --sequential --broker-pid "$broker" | grep -A1 '^consume')
            echo "round $round cap ${cap} MiB native limit $1 x$2: $(echo "$line" | head -1 |
                grep -oP '[\d,]+ msgs/s, [\d.]+ MB/s \([\d,]+ requests\)'); $(echo "$line" |
                tail -1 | grep -oP '[\d,]+ records re-read')"
        done
        "$BIN/rivulet-cli" --port "$native" create kc --partitions 4 > /dev/null
        kcat -b "$kafka" -P -t kc -X linger.ms=5 -X batch.num.messages=10000 < "$work/values"
        t0=$(date +%s.%N)
        got=$(kcat -b "$kafka" -C -t kc -o beginning -e -q -f '%s\n' | wc -l)
        t1=$(date +%s.%N)
        awk -v r="$round" -v c="$cap" -v n="$got" -v t0="$t0" -v t1="$t1" 'BEGIN {
            printf "round %d cap %d MiB kafka kcat consume: %d msgs in %.2f s = %.0f msgs/s, %.1f MB/s\n",
                r, c, n, t1 - t0, n / (t1 - t0), n * 1000 / (t1 - t0) / 1e6 }'
        stop
        if [ "$round" -eq 1 ]; then
            echo "cap ${cap} MiB hostile pipeline: $(python3 "$HERE/hostile.py" "$BIN/rivulet" pipeline --kafka-port 0 \
                --max-queued-reply-bytes $((cap << 20)) | tr '\n' ' ')"
        fi
    done
done
