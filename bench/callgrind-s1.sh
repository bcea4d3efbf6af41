#!/usr/bin/env bash
# Cost per connection: instructions per S1 connection (handshake, $connect POST, 101, close,
# $disconnect POST), from valgrind --tool=callgrind; noise-free, unlike S1's rate on a shared machine.
#
#   bench/callgrind-s1.sh            # from the project root; needs valgrind
#
# Like callgrind-s3.sh: the harness's backend, build/wsgate under callgrind with instrumentation off,
# on for S1_N connections (default 2,000; 200 handshakes in flight, as S1) that are then closed, off
# after their $disconnect calls. Prints "callgrind S1 instructions_per_connection=N connections=M
# opened=K Ir=T". Loopback only, bounded, stops what it starts.
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HARNESS=${HARNESS:-$ROOT/../shared/bench}
PROJECT_BIN=${PROJECT_BIN:-$PWD/build/wsgate}
GW_PORT=${GW_PORT:-18400}
BE_PORT=${BE_PORT:-18401}
STAGE=${STAGE:-local}
S1_N=${S1_N:-2000}
CG_SECS=${CG_SECS:-5}
MSG_SIZE=${MSG_SIZE:-64}
WORK=${WORK:-$(mktemp -d -t wsgate-bench-callgrind.XXXXXX)}
mkdir -p "$WORK"

die() { echo "callgrind-s1.sh: $*" >&2; exit 1; }
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

# collect everything the connections cause, their $disconnect calls included
callgrind_control -i on "$GW" >/dev/null
timeout 120 "$BIN/wsload" -u "ws://127.0.0.1:$GW_PORT/$STAGE" -n "$S1_N" -c 200 -T 60 -m idle -d 0 >"$WORK/wsload.out" 2>&1
sleep "${S1_DRAIN_S:-30}" # every $disconnect call delivered (callgrind is slow)
callgrind_control -i off "$GW" >/dev/null
stop_pid "$GW"
R=$(grep '^result ' "$WORK/wsload.out")
IR=$(awk '/^totals:/{print $2; exit}' "$WORK/callgrind.out")
echo "callgrind S1 instructions_per_connection=$(awk -v i="$IR" -v n="$S1_N" 'BEGIN{ printf "%d", i/n }') connections=$S1_N opened=$(kv open "$R") Ir=$IR"
echo "# callgrind_annotate $WORK/callgrind.out | head -60" >&2
