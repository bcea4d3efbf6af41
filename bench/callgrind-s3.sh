#!/usr/bin/env bash
# Cost per message: instructions per S3 round trip, from valgrind --tool=callgrind.
#
#   bench/callgrind-s3.sh            # from the project root; needs valgrind (apt-get install -y valgrind)
#
# Starts the shared harness's backend (echoes each $default body back through @connections) and
# build/wsgate under callgrind with instrumentation off; turns it on for the clients (connect, then
# S3-like closed-loop traffic: CG_CONNS clients, 1 + CG_SECS seconds; default 10 clients, 5 s), off
# again, and divides the instructions of all wsgate threads (loop + curl worker, user space only) by
# the round trips wsload counted. Prints "callgrind S3 instructions_per_roundtrip=N roundtrips=M Ir=T"
# and leaves callgrind.out in $WORK for callgrind_annotate. Loopback only, bounded, stops what it starts.
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HARNESS=${HARNESS:-$ROOT/../shared/bench}
PROJECT_BIN=${PROJECT_BIN:-$PWD/build/wsgate}
GW_PORT=${GW_PORT:-18400}
BE_PORT=${BE_PORT:-18401}
STAGE=${STAGE:-local}
CG_CONNS=${CG_CONNS:-10}
CG_SECS=${CG_SECS:-5}
MSG_SIZE=${MSG_SIZE:-64}
WORK=${WORK:-$(mktemp -d -t wsgate-bench-callgrind.XXXXXX)}
mkdir -p "$WORK"

die() { echo "callgrind-s3.sh: $*" >&2; exit 1; }
command -v valgrind >/dev/null || die "needs valgrind (apt-get install -y valgrind)"
[ -x "$PROJECT_BIN" ] || die "no gateway binary at $PROJECT_BIN"
make -s -C "$HARNESS" >/dev/null || die "building the harness tools failed"
BIN=$HARNESS/bin

STOP_WAIT_TENTHS=150
. "$ROOT/bench/lib.sh"
for p in $GW_PORT $BE_PORT; do port_open "$p" && die "port $p already in use"; done

"$BIN/backend" -l "127.0.0.1:$BE_PORT" -e "http://127.0.0.1:$GW_PORT/$STAGE/@connections" >"$WORK/backend.log" 2>&1 &
BE=$!; STARTED+=("$BE")
wait_port "$BE_PORT" "$BE" 600 || die "backend did not start"
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/callgrind.out" \
  "$PROJECT_BIN" --host 127.0.0.1 --port "$GW_PORT" --stage "$STAGE" --backend "http://127.0.0.1:$BE_PORT/" \
  --auth none >"$WORK/gateway.log" 2>&1 &
GW=$!; STARTED+=("$GW")
wait_port "$GW_PORT" "$GW" 600 || die "gateway did not start under valgrind (see $WORK/gateway.log)"

# collect everything the clients cause: CG_CONNS connects and disconnects are noise next to the
# thousands of round trips
callgrind_control -i on "$GW" >/dev/null
timeout $((CG_SECS + 60)) "$BIN/wsload" -u "ws://127.0.0.1:$GW_PORT/$STAGE" -n "$CG_CONNS" -c "$CG_CONNS" -T 30 \
  -m closed -s "$MSG_SIZE" -W 1 -d "$CG_SECS" -L 5 >"$WORK/wsload.out" 2>&1
sleep 1
callgrind_control -i off "$GW" >/dev/null
stop_pid "$GW"
R=$(grep '^result ' "$WORK/wsload.out")
IR=$(awk '/^totals:/{print $2; exit}' "$WORK/callgrind.out")
RT=$(kv recv "$R") # every echo received, warm-up included: all of it was collected
echo "callgrind S3 instructions_per_roundtrip=$(awk -v i="$IR" -v n="$RT" 'BEGIN{ if (n>0) printf "%d", i/n; else print "NA" }') roundtrips=$RT Ir=$IR lost=$(kv lost "$R")"
echo "# callgrind_annotate $WORK/callgrind.out | head -60" >&2
