#!/usr/bin/env bash
# fuzz-run.sh: runs libFuzzer targets for a while and folds what they found into the committed corpus.
#
#   scripts/fuzz-run.sh [-t SECONDS] [-b BUILD_DIR] TARGET...   (TARGET: routes, sigv4, wsframes, ...)
#
# Builds build-fuzz/ with clang (-DWSGATE_FUZZ=ON: libFuzzer + ASan + UBSan), runs each target for
# SECONDS (default 600) in a scratch copy of fuzz/corpus/<name>/ with its dictionary, prints the
# final stats line, and merges the inputs that add coverage into fuzz/corpus/<name>/ (-merge=1).
# A crash stops that target and is kept as <scratch>/crash-*; reproduce it with the binary and the
# file. Review and commit the corpus afterwards (fuzz/README.md records the runs).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=600
build=build-fuzz
while getopts "t:b:" opt; do
    case $opt in
        t) seconds=$OPTARG ;;
        b) build=$OPTARG ;;
        *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: $0 [-t SECONDS] [-b BUILD_DIR] TARGET..." >&2; exit 2; }
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DWSGATE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
scratch=$(mktemp -d "${TMPDIR:-/tmp}/wsgate-fuzz.XXXXXX")
status=0
for name in "$@"; do
    cmake --build "$build" -j2 --target "fuzz_$name" >/dev/null
    work="$scratch/$name"
    mkdir -p "$work/corpus"
    cp -r "fuzz/corpus/$name/." "$work/corpus/"
    dict=()
    [ -f "fuzz/$name.dict" ] && dict=(-dict="fuzz/$name.dict")
    echo "fuzz-run: $name for ${seconds}s ($(date -u +%FT%TZ))"
    if ! "$build/fuzz/fuzz_$name" -max_total_time="$seconds" "${dict[@]}" -print_final_stats=1 \
        -artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1; then
        echo "fuzz-run: $name FOUND A FAILURE; see $work/log and $work/crash-*" >&2
        status=1
        continue
    fi
    grep -E "^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)|cov: .*DONE|^#[0-9]+.*DONE" "$work/log" || true
    before=$(find "fuzz/corpus/$name" -type f | wc -l)
    "$build/fuzz/fuzz_$name" -merge=1 "fuzz/corpus/$name" "$work/corpus" >"$work/merge.log" 2>&1
    after=$(find "fuzz/corpus/$name" -type f | wc -l)
    echo "fuzz-run: $name corpus $before -> $after inputs"
done
echo "fuzz-run: logs in $scratch"
exit $status
