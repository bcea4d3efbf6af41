#!/usr/bin/env bash
# Autobahn|Testsuite against wsgate: every case of Autobahn's own case files, run by kosoku
# (a Python 3 runner of them; tests/requirements-autobahn.txt, installed by
# scripts/install-deps.sh --all) against wsgate with its demo echo at the root (--custom-domain).
#
# Every case must pass (OK, NON-STRICT or INFORMATIONAL) except those where API Gateway differs on
# purpose; each of those is listed below by number with its reason and the close code AWS's
# behaviour gives, and must end with exactly that code. Any other result fails the script.
#
# Usage: scripts/autobahn.sh [REPORT_DIR]     (default: build/autobahn)
# Env:   WSGATE_BIN (default build/wsgate), WSGATE_VENV (default .venv)
# wsgate is started on a free loopback port and stopped by its PID; its log must show no
# sanitizer report and it must exit cleanly on SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WSGATE_BIN=${WSGATE_BIN:-$ROOT/build/wsgate}
VENV=${WSGATE_VENV:-$ROOT/.venv}
OUT=${1:-$ROOT/build/autobahn}
KOSOKU=$VENV/bin/kosoku

if [ ! -x "$WSGATE_BIN" ]; then
    echo "autobahn: wsgate binary not found at $WSGATE_BIN (build it, or set WSGATE_BIN)" >&2
    exit 1
fi
if [ ! -x "$KOSOKU" ]; then
    echo "autobahn: $KOSOKU missing: run scripts/install-deps.sh --all" >&2
    exit 1
fi

rm -rf "$OUT"
mkdir -p "$OUT"
LOG=$OUT/wsgate.log
GATE_PID=
stop_gate() {
    if [ -n "$GATE_PID" ] && kill -0 "$GATE_PID" 2>/dev/null; then
        kill -TERM "$GATE_PID"
        for _ in $(seq 100); do kill -0 "$GATE_PID" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$GATE_PID" 2>/dev/null; then
            echo "autobahn: wsgate ignored SIGTERM for 10 s" >&2
            kill -KILL "$GATE_PID"
        fi
    fi
    return 0
}
trap stop_gate EXIT

"$WSGATE_BIN" --port 0 --host 127.0.0.1 --custom-domain >"$LOG" 2>&1 &
GATE_PID=$!
ADDR=
for _ in $(seq 100); do
    ADDR=$(grep -o 'listening on http://[^ ]*' "$LOG" 2>/dev/null | head -n1 | sed 's|^listening on http://||' || true)
    [ -n "$ADDR" ] && break
    kill -0 "$GATE_PID" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$ADDR" ]; then
    echo "autobahn: wsgate did not start:" >&2
    cat "$LOG" >&2
    exit 1
fi
echo "autobahn: wsgate pid $GATE_PID on $ADDR; report in $OUT"

# kosoku exits 1 when any case is not a pass, which the deviations below are: the verdict is ours.
(cd "$OUT" && timeout 900 "$KOSOKU" -m fuzzingclient "$ADDR" -o "$OUT/report" >"$OUT/kosoku.out" 2>&1) || true

alive=1
kill -0 "$GATE_PID" 2>/dev/null || alive=0
stop_gate
wait "$GATE_PID" 2>/dev/null && gate_rc=0 || gate_rc=$?
GATE_PID=

"$VENV/bin/python" - "$OUT/report/index.json" "$LOG" "$alive" "$gate_rc" <<'EOF'
import json
import re
import sys

index_path, log_path, alive, gate_rc = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4])

# Where API Gateway differs from a generic echo server on purpose (AWS-LIM-1..3 in docs/aws-behaviour.md): the case must
# end with exactly this close code from wsgate. Patterns are case numbers ('*' = any suffix).
FRAME, BINARY, NO_DEFLATE = "1009: frame over 32 KB", "1003: binary frames are not supported", "no compression"
DEVIATIONS = [
    # (case pattern, expected remote close code(s) or verdict, reason)
    ("1.1.6", 1009, FRAME + " (65,535-byte text frame)"),
    ("1.1.7", 1009, FRAME + " (65,536-byte text frame)"),
    ("1.1.8", 1009, FRAME + " (65,536-byte text frame, sent in 997-byte chops)"),
    ("1.2.*", 1003, BINARY),
    ("9.1.*", 1009, FRAME + " (text messages of 64 KB to 16 MB in one frame)"),
    ("9.3.*", 1009, "1009: text message over 128 KB (4 MB in frames of 64 B to 4 MB)"),
    # binary AND over a limit: either check may fire first, depending on how the bytes arrive
    ("9.2.*", (1003, 1009), "binary frames of 64 KB to 16 MB: 1003 (binary) or 1009 (frame over 32 KB)"),
    ("9.4.*", (1003, 1009), "4 MB binary messages in frames of 64 B to 4 MB: 1003 (binary) or 1009 "
                            "(message over 128 KB / frame over 32 KB)"),
    ("9.5.*", 1009, FRAME + " (1 MB text frame sent in chops)"),
    ("9.6.*", (1003, 1009), "1 MB binary frame sent in chops: 1003 (binary) or 1009 (frame over 32 KB)"),
    ("9.8.*", 1003, BINARY + " (1,000 binary messages)"),
    ("12.*", "UNIMPLEMENTED", NO_DEFLATE + ": API Gateway negotiates no permessage-deflate"),
    ("13.*", "UNIMPLEMENTED", NO_DEFLATE + ": API Gateway negotiates no permessage-deflate"),
]
PASS = {"OK", "NON-STRICT", "INFORMATIONAL"}


def deviation(case):
    for pattern, expected, reason in DEVIATIONS:
        if pattern == case or (pattern.endswith("*") and case.startswith(pattern[:-1])):
            return expected, reason
    return None


def case_key(case):
    return [int(p) for p in case.split(".")]


with open(index_path) as f:
    results = next(iter(json.load(f).values()))
problems, counts = [], {"pass": 0, "deviation": 0}
for case in sorted(results, key=case_key):
    r = results[case]
    dev = deviation(case)
    if dev is None:
        if r["behavior"] in PASS and r["behaviorClose"] in PASS:
            counts["pass"] += 1
        else:
            problems.append(f"{case}: {r['behavior']}/{r['behaviorClose']} close {r['remoteCloseCode']} (expected a pass)")
        continue
    expected, reason = dev
    if expected == "UNIMPLEMENTED":
        ok = r["behavior"] == "UNIMPLEMENTED" and r["behaviorClose"] in PASS
    elif isinstance(expected, tuple):
        ok = r["remoteCloseCode"] in expected
    else:
        ok = r["remoteCloseCode"] == expected
    if ok:
        counts["deviation"] += 1
    else:
        problems.append(f"{case}: {r['behavior']}/{r['behaviorClose']} close {r['remoteCloseCode']} "
                        f"(expected {expected}: {reason})")
for pattern, _, _ in DEVIATIONS:
    if not any(pattern == c or (pattern.endswith("*") and c.startswith(pattern[:-1])) for c in results):
        problems.append(f"deviation {pattern} matched no case: the case list changed, review the table")
if len(results) < 500:
    problems.append(f"only {len(results)} cases ran (the suite has over 500)")

log = open(log_path, errors="replace").read()
for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer"):
    if marker in log:
        problems.append(f"wsgate log contains {marker!r}")
if not alive:
    problems.append("wsgate was not running at the end of the suite")
if gate_rc not in (0, 143):
    problems.append(f"wsgate exited with status {gate_rc} after SIGTERM")

by_verdict = {}
for r in results.values():
    key = f"{r['behavior']}/{r['behaviorClose']}"
    by_verdict[key] = by_verdict.get(key, 0) + 1
print(f"autobahn: {len(results)} cases: {counts['pass']} passed, {counts['deviation']} ended as AWS does "
      f"(listed deviations), {len(problems)} problem(s)")
print("autobahn: verdicts " + ", ".join(f"{k} {v}" for k, v in sorted(by_verdict.items())))
for p in problems:
    print("autobahn: FAIL " + p)
sys.exit(1 if problems else 0)
EOF
