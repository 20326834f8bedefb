#!/usr/bin/env bash
# librdkafka (kcat) producing and consuming N 100-byte messages through Rivulet's Kafka
# listener; prints messages/s and the broker's CPU time per message. Usage:
#   bench/kafka.sh [MESSAGES]   (default 1,000,000; BUILD_DIR defaults to build)
set -euo pipefail
N=${1:-1000000}
BIN=${BUILD_DIR:-build}/bin
work=$(mktemp -d)
trap 'kill $broker 2>/dev/null && wait $broker 2>/dev/null; rm -rf "$work"' EXIT

# N distinct lines of exactly 100 bytes (99 characters + newline)
awk -v n="$N" 'BEGIN { pad = sprintf("%090d", 0); for (i = 0; i < n; i++) printf "%09d%s\n", i, pad }' > "$work/values"

"$BIN/rivulet" --headless --port 0 --data-dir "$work/data" > "$work/ready" 2> "$work/log" &
broker=$!
for _ in $(seq 100); do grep -q ready "$work/ready" && break; sleep 0.1; done
kafka=$(grep -oP 'kafka \K\S+' "$work/ready")
cpu() { awk '{ print $14 + $15 }' /proc/$broker/stat; }
hz=$(getconf CLK_TCK)

"$BIN/rivulet-cli" --port "$(grep -oP 'native [^:]+:\K\d+' "$work/ready")" create bench --partitions 1 > /dev/null
c0=$(cpu); t0=$(date +%s.%N)
kcat -b "$kafka" -P -t bench -X linger.ms=5 -X batch.num.messages=10000 < "$work/values"
t1=$(date +%s.%N); c1=$(cpu)
got=$(kcat -b "$kafka" -C -t bench -o beginning -e -q -f '%s\n' | wc -l)
t2=$(date +%s.%N); c2=$(cpu)
[ "$got" -eq "$N" ] || { echo "kafka bench: consumed $got of $N messages" >&2; exit 1; }

awk -v n="$N" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v c0="$c0" -v c1="$c1" -v c2="$c2" -v hz="$hz" 'BEGIN {
    printf "kcat produce: %d x 100 B in %.2f s = %.0f msgs/s (%.1f MB/s); broker CPU %.3f us/msg\n",
        n, t1 - t0, n / (t1 - t0), n * 100 / (t1 - t0) / 1e6, (c1 - c0) / hz * 1e6 / n
    printf "kcat consume: %d x 100 B in %.2f s = %.0f msgs/s (%.1f MB/s); broker CPU %.3f us/msg\n",
        n, t2 - t1, n / (t2 - t1), n * 100 / (t2 - t1) / 1e6, (c2 - c1) / hz * 1e6 / n
}'
