#!/bin/sh
# CTest bench_smoke: `rivulet-cli bench` at a tiny scale. Its verification must pass on
# correct runs (in memory and durable; shared partitions, pipelining, paced, sequential)
# and must catch a message that is not what it should be (--verify-selftest spoils the
# expected bytes of one message, so the run has to fail with exit status 1).
# Usage: smoke.sh PATH/TO/rivulet-cli
set -u
cli=$1
status=0

# expect STATUS PATTERN ARGS...: runs the bench, checks its exit status and its output
expect() {
    want=$1 pattern=$2
    shift 2
    out=$("$cli" bench "$@" 2>&1)
    rc=$?
    if [ "$rc" -ne "$want" ] || ! printf '%s\n' "$out" | grep -q -- "$pattern"; then
        echo "FAIL: rivulet-cli bench $* exited $rc (wanted $want) and printed:"
        printf '%s\n' "$out"
        status=1
    else
        echo "ok: bench $* -> exit $rc, '$pattern'"
    fi
}

small="--producers 2 --consumers 2 --partitions 2 --messages 2000 --batch 30"
ok="verify   OK: every consumer saw every message"
# shellcheck disable=SC2086
{
    expect 0 "$ok" $small --in-memory
    expect 0 "$ok" $small
    expect 0 "$ok" $small --fsync always --seed-values
    # 3 producers on 2 partitions, more consumers than partitions, 4 requests in flight
    expect 0 "$ok" --producers 3 --partitions 2 --consumers 3 --messages 2000 --seed-values \
        --batch 7 --limit 5 --inflight 4 --in-memory
    expect 0 "$ok" --producers 1 --consumers 1 --messages 3000 --size 1000 --batch 100 \
        --inflight 8 --sequential
    expect 0 "$ok" --producers 1 --consumers 1 --messages 300 --size 10 --batch 1 --rate 20000
    # a wrong expectation must be caught and fail the run
    expect 1 "is not the next message" $small --in-memory --verify-selftest
    expect 1 "verify   FAILED" $small --seed-values --verify-selftest
    expect 1 "verify   FAILED" --producers 3 --partitions 2 --consumers 3 --messages 2000 \
        --batch 7 --inflight 4 --in-memory --verify-selftest
    # a bad command line is refused
    expect 2 "wants a number" --batch 0
}
exit $status
