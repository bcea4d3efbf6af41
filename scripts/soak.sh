#!/usr/bin/env bash
# Soak test (issue 10): SOAK_CLIENTS (default 1000) WebSocket clients with mixed traffic - messages
# echoed by a two-way route, PostToConnection pushes, clients leaving (close 1000, close without
# code, TCP reset) and new ones arriving - for SOAK_SECONDS (default 600). The server's RSS and fd
# count are sampled every 10 s. Zero errors expected; the exit status says so.
#
#   scripts/soak.sh                              # 10 minutes against build/wsgate
#   SOAK_SECONDS=60 WSGATE_BIN=/path/to/wsgate scripts/soak.sh
#
# Output directory (SOAK_OUT, default a new /tmp/wsgate-soak.XXXXXX): samples.csv (one row per
# 10 s), summary.json (start/end RSS and fds, counters, errors), wsgate.log. Not part of
# scripts/test.sh: it takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${WSGATE_BIN:-build/wsgate}
if [ ! -x "$BIN" ]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build build -j"$(nproc)" >/dev/null
fi
OUT=${SOAK_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/wsgate-soak.XXXXXX")}
mkdir -p "$OUT"
# two fds per client in this process plus one per client in wsgate, with churn
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "soak: ${SOAK_CLIENTS:-1000} clients for ${SOAK_SECONDS:-600} s against $BIN; output in $OUT"
exec .venv/bin/python tests/soak/soak.py --wsgate "$BIN" --out "$OUT"
