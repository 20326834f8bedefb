#!/usr/bin/env bash
# `make fuzz`: runs each libFuzzer harness of build-fuzz for FUZZ_SECONDS (default 60), one
# after the other, from its seeds in tests/fuzz/corpus/<harness>/. Inputs that find new
# coverage are kept in $FUZZ_DIR/fuzz-work/<harness>/ (so later runs start from them); a
# crash, leak, UBSan report or timeout is saved as $FUZZ_DIR/crashes/<harness>-crash-<sha1>
# (or leak-, timeout-, oom-). Exits 1 when any harness failed. Harness names as arguments
# run only those. Docs: docs/FUZZING.md.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${FUZZ_DIR:-build-fuzz}
case $dir in /*) ;; *) dir=$root/$dir ;; esac
seconds=${FUZZ_SECONDS:-60}
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
    harnesses=(native_request kafka_decode kafka_handler record_batch segment_recovery metadata)
fi

mkdir -p "$dir/crashes"
failed=()
for h in "${harnesses[@]}"; do
    bin=$dir/bin/fuzz_$h
    if [ ! -x "$bin" ]; then
        echo "fuzz: $bin is missing (make fuzz builds it)" >&2
        exit 2
    fi
    mkdir -p "$dir/fuzz-work/$h"
    log=$dir/crashes/$h.log
    echo "fuzz: $h for ${seconds}s"
    "$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$dir/crashes/$h-" "$dir/fuzz-work/$h" "$root/tests/fuzz/corpus/$h" \
        >"$log" 2>&1
    rc=$?
    # the final stats: runs, speed, coverage
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1)
    echo "fuzz: $h: ${execs:-?} runs (${speed:-?}/s), $cov, $ft, exit $rc"
    if [ $rc -ne 0 ]; then
        failed+=("$h")
        grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|fuzz harness check failed)' "$log" |
            head -5 | sed 's/^/fuzz:   /'
        echo "fuzz:   the input is in $dir/crashes/ (output: $log)"
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz: no crash, leak or undefined behaviour in ${harnesses[*]}"
