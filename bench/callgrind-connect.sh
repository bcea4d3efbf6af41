#!/usr/bin/env bash
# Cost per connection: instructions per WebSocket connect + $connect + close + $disconnect, from
# valgrind --tool=callgrind; the noise-free way to compare the accept path of two builds (the
# first-byte TLS/plain dispatch of listener.c against the plain accept before it).
#
#   bench/callgrind-connect.sh                       # build/wsgate, from the project root
#   PROJECT_BIN=/path/to/other/wsgate bench/callgrind-connect.sh
#
# Starts the shared harness's backend and wsgate under callgrind with instrumentation off; turns it on
# while wsload opens CG_CONNS plain ws:// connections (default 2,000, 100 handshakes in flight), holds
# them 1 s and closes them, waits for every $disconnect, turns it off, and divides the instructions of
# all wsgate threads by CG_CONNS. Prints "callgrind connect instructions_per_connection=N ...".
# Loopback only, bounded, stops what it starts.
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HARNESS=${HARNESS:-$ROOT/../shared/bench}
PROJECT_BIN=${PROJECT_BIN:-$PWD/build/wsgate}
GW_PORT=${GW_PORT:-18410}
BE_PORT=${BE_PORT:-18411}
STAGE=${STAGE:-local}
CG_CONNS=${CG_CONNS:-2000}
WORK=${WORK:-$(mktemp -d -t wsgate-bench-cgconnect.XXXXXX)}
mkdir -p "$WORK"

die() { echo "callgrind-connect.sh: $*" >&2; exit 1; }
command -v valgrind >/dev/null || die "needs valgrind (apt-get install -y valgrind)"
[ -x "$PROJECT_BIN" ] || die "no gateway binary at $PROJECT_BIN"
make -s -C "$HARNESS" >/dev/null || die "building the harness tools failed"
BIN=$HARNESS/bin
ulimit -n "$(ulimit -Hn)" 2>/dev/null

STOP_WAIT_TENTHS=150
. "$ROOT/bench/lib.sh"
for p in $GW_PORT $BE_PORT; do port_open "$p" && die "port $p already in use"; done

IDS=$WORK/ids; : >"$IDS"
"$BIN/backend" -l "127.0.0.1:$BE_PORT" -i "$IDS" >"$WORK/backend.log" 2>&1 &
BE=$!; STARTED+=("$BE")
wait_port "$BE_PORT" "$BE" 600 || die "backend did not start"
STATE_ARGS=()
"$PROJECT_BIN" --help 2>&1 | grep -q -- '--state-dir' && STATE_ARGS=(--state-dir "$WORK/state")
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/callgrind.out" \
  "$PROJECT_BIN" --host 127.0.0.1 --port "$GW_PORT" --stage "$STAGE" --backend "http://127.0.0.1:$BE_PORT/" \
  --auth none "${STATE_ARGS[@]}" >"$WORK/gateway.log" 2>&1 &
GW=$!; STARTED+=("$GW")
wait_port "$GW_PORT" "$GW" 600 || die "gateway did not start under valgrind (see $WORK/gateway.log)"

callgrind_control -i on "$GW" >/dev/null
timeout 300 "$BIN/wsload" -u "ws://127.0.0.1:$GW_PORT/$STAGE" -n "$CG_CONNS" -c 100 -T 120 -m idle -d 1 \
  >"$WORK/wsload.out" 2>&1
for _ in $(seq 600); do
  [ "$(grep -c DISCONNECT "$WORK/backend.log" 2>/dev/null)" -ge "$CG_CONNS" ] && break
  n=$(grep -c 'disconnect' "$WORK/gateway.log" 2>/dev/null); [ "${n:-0}" -ge "$CG_CONNS" ] && break
  sleep 0.1
done
sleep 1
callgrind_control -i off "$GW" >/dev/null
stop_pid "$GW"
IR=$(awk '/^totals:/{print $2; exit}' "$WORK/callgrind.out")
OK=$(grep -c . "$IDS")
echo "callgrind connect instructions_per_connection=$(awk -v i="$IR" -v n="$OK" 'BEGIN{ if (n>0) printf "%d", i/n; else print "NA" }') connections=$OK Ir=$IR bin=$PROJECT_BIN"
echo "# callgrind_annotate $WORK/callgrind.out | head -60" >&2
