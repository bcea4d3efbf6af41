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

# shellcheck disable=SC2034 # NAME is read by callgrind-lib.sh
NAME=callgrind-connect.sh
GW_PORT=${GW_PORT:-18410}
BE_PORT=${BE_PORT:-18411}
CG_CONNS=${CG_CONNS:-2000}
# shellcheck source=bench/callgrind-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/callgrind-lib.sh"
cg_setup
IDS=$WORK/ids; : >"$IDS"
cg_backend "$WORK" -i "$IDS"
STATE_ARGS=()
"$PROJECT_BIN" --help 2>&1 | grep -q -- '--state-dir' && STATE_ARGS=(--state-dir "$WORK/state")
cg_gateway "$WORK" "${STATE_ARGS[@]}"

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
IR=$(cg_total "$WORK")
OK=$(grep -c . "$IDS")
echo "callgrind connect instructions_per_connection=$(cg_per "$IR" "$OK") connections=$OK Ir=$IR bin=$PROJECT_BIN"
echo "# callgrind_annotate $WORK/callgrind.out | head -60" >&2
