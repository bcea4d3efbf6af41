#!/usr/bin/env bash
# Cost per message: instructions per S3 round trip, from valgrind --tool=callgrind.
#
#   bench/callgrind-s3.sh            # from the project root; needs valgrind (apt-get install -y valgrind)
#
# Starts the shared harness's backend (echoes each $default body back through @connections) and
# build/wsgate under callgrind with instrumentation off; turns it on for the clients (connect, then
# S3-like closed-loop traffic: CG_CONNS clients, 1 + CG_SECS seconds; default 10 clients, 5 s), off
# again, and divides the instructions of all wsgate threads (user space only) by
# the round trips wsload counted. Prints "callgrind S3 instructions_per_roundtrip=N roundtrips=M Ir=T"
# and leaves callgrind.out in $WORK for callgrind_annotate. Loopback only, bounded, stops what it starts.
set -u -o pipefail

# shellcheck disable=SC2034 # NAME is read by callgrind-lib.sh
NAME=callgrind-s3.sh
CG_CONNS=${CG_CONNS:-10}
# shellcheck source=bench/callgrind-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/callgrind-lib.sh"
cg_setup
cg_backend "$WORK" -e "http://127.0.0.1:$GW_PORT/$STAGE/@connections"
cg_gateway "$WORK"

# collect everything the clients cause: CG_CONNS connects and disconnects are noise next to the
# thousands of round trips
callgrind_control -i on "$GW" >/dev/null
timeout $((CG_SECS + 60)) "$BIN/wsload" -u "ws://127.0.0.1:$GW_PORT/$STAGE" -n "$CG_CONNS" -c "$CG_CONNS" -T 30 \
  -m closed -s "$MSG_SIZE" -W 1 -d "$CG_SECS" -L 5 >"$WORK/wsload.out" 2>&1
sleep 1
callgrind_control -i off "$GW" >/dev/null
stop_pid "$GW"
R=$(grep '^result ' "$WORK/wsload.out")
IR=$(cg_total "$WORK")
RT=$(kv recv "$R") # every echo received, warm-up included: all of it was collected
echo "callgrind S3 instructions_per_roundtrip=$(cg_per "$IR" "$RT") roundtrips=$RT Ir=$IR lost=$(kv lost "$R")"
echo "# callgrind_annotate $WORK/callgrind.out | head -60" >&2
