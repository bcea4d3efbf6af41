#!/usr/bin/env bash
# bench/all.sh: every figure the open issues state a target for, in one unattended run (~30 min).
#
#   bench/all.sh            # from the project root, after a build of build/wsgate
#
# 1. the harness's S1 S2 S3 against wsgate, then the bare C ceiling, back to back, 3 pairs
#    (issue 15 item 4: S1 >= 0.6 of the ceiling, RSS after close within 20 % of idle, S2/S3 kept);
# 2. bench/tls.sh: S1 and S2 over TLS beside plain, full handshakes against nginx (issue 14);
# 3. bench/run-inspector.sh with the page read by curl, then by headless Chromium (issue 19: S2
#    with the page open >= 0.9 of closed).
# Raw output goes to bench/results/<UTC date>-all-*.txt; the summary lines are printed at the end.
# The machine should be quiet: each part reports the CPU other processes used (noise).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
HARNESS=${HARNESS:-$PWD/../shared/bench}
day=$(date -u +%F)
out=bench/results
for i in 1 2 3; do
    RUNS=1 "$HARNESS/run.sh" project S1 S2 S3 >"$out/$day-all-project-$i.txt" 2>&1
    RUNS=1 "$HARNESS/run.sh" ceiling S1 S2 S3 >"$out/$day-all-ceiling-$i.txt" 2>&1
done
TAG=all bench/tls.sh >"$out/$day-all-tls-summary.txt" 2>&1
RUNS=3 bench/run-inspector.sh >"$out/$day-all-inspector-curl.txt" 2>&1
RUNS=3 PAGE=browser bench/run-inspector.sh >"$out/$day-all-inspector-browser.txt" 2>&1

echo "== harness pairs (project, then ceiling)"
for i in 1 2 3; do
    for kind in project ceiling; do
        echo "-- $kind $i"
        grep -h -E ' S1 (connect_per_s|connect_fail|rss_idle_kb|rss_after_close_kb) | S2 mgmt_req_per_s | S3 roundtrips_per_s |noise' \
            "$out/$day-all-$kind-$i.txt"
    done
done
echo "== tls"
grep -E 'median|ratio|target|holds' "$out/$day-all-tls-summary.txt" | tail -n 30
echo "== inspector (curl page, then browser page)"
grep -h -E 'ratio|noise' "$out/$day-all-inspector-curl.txt" "$out/$day-all-inspector-browser.txt"
