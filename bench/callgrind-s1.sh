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

# shellcheck disable=SC2034 # NAME is read by callgrind-lib.sh
NAME=callgrind-s1.sh
S1_N=${S1_N:-2000}
# shellcheck source=bench/callgrind-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/callgrind-lib.sh"
cg_setup
cg_backend "$WORK" -e "http://127.0.0.1:$GW_PORT/$STAGE/@connections"
cg_gateway "$WORK"

# collect everything the connections cause, their $disconnect calls included
callgrind_control -i on "$GW" >/dev/null
timeout 120 "$BIN/wsload" -u "ws://127.0.0.1:$GW_PORT/$STAGE" -n "$S1_N" -c 200 -T 60 -m idle -d 0 >"$WORK/wsload.out" 2>&1
sleep "${S1_DRAIN_S:-30}" # every $disconnect call delivered (callgrind is slow)
callgrind_control -i off "$GW" >/dev/null
stop_pid "$GW"
R=$(grep '^result ' "$WORK/wsload.out")
IR=$(cg_total "$WORK")
echo "callgrind S1 instructions_per_connection=$(cg_per "$IR" "$S1_N") connections=$S1_N opened=$(kv open "$R") Ir=$IR"
echo "# callgrind_annotate $WORK/callgrind.out | head -60" >&2
