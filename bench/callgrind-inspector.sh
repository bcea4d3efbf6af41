#!/usr/bin/env bash
# The inspector page's cost in instructions: S2-like pushes (PostToConnection through the management
# API) with the page closed and with one page open, counted by valgrind --tool=callgrind.
#
#   bench/callgrind-inspector.sh     # from the project root; needs valgrind, wrk, curl
#
# For each mode (closed, then open), on the same binary: the harness's keep-alive backend,
# build/wsgate under callgrind with instrumentation off, CG_CONNS idle clients (wsload), for "open" a
# page (`curl -N` reading /_wsgate/api/events); instrumentation on for `wrk -t1 -c8 -d CG_SECS`
# pushing 64-byte bodies with the harness's push.lua, off again. Instructions of wsgate (user space,
# all threads) / 2xx answers. Unlike req/s, this does not move with the other load on the machine
# (it leaves out the kernel's share: the page's loopback writes). Prints
#   callgrind S2-page-MODE instructions_per_push=N pushes=M Ir=T
# and the open/closed ratio. Loopback only, bounded, stops what it starts.
set -u -o pipefail

# shellcheck disable=SC2034 # NAME is read by callgrind-lib.sh
NAME=callgrind-inspector.sh
CG_CONNS=${CG_CONNS:-100}
# shellcheck source=bench/callgrind-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/callgrind-lib.sh"
cg_setup wrk curl

declare -A PER
for MODE in closed open; do
  d=$WORK/$MODE; mkdir -p "$d"; : >"$d/ids"
  cg_backend "$d" -i "$d/ids"
  cg_gateway "$d"
  "$BIN/wsload" -u "ws://127.0.0.1:$GW_PORT/$STAGE" -n "$CG_CONNS" -c "$CG_CONNS" -T 60 -m idle -d 600 >"$d/wsload.out" 2>&1 &
  lp=$!; STARTED+=("$lp")
  for _ in $(seq 600); do
    grep -qs '^ready' "$d/wsload.out" && [ "$(wc -l <"$d/ids")" -ge "$CG_CONNS" ] && break
    sleep 0.1
  done
  grep -qs '^ready' "$d/wsload.out" || die "idle clients not ready (see $d/wsload.out)"
  if [ "$MODE" = open ]; then
    timeout $((CG_SECS + 120)) curl -sN "http://127.0.0.1:$GW_PORT/_wsgate/api/events" -o "$d/events.sse" &
    STARTED+=("$!")
    sleep 1
  fi
  callgrind_control -i on "$GW" >/dev/null
  IDS_FILE=$d/ids MGMT_PATH=/$STAGE/@connections timeout $((CG_SECS + 60)) wrk -t1 -c8 -d "${CG_SECS}s" \
    -s "$HARNESS/push.lua" "http://127.0.0.1:$GW_PORT" >"$d/wrk.out" 2>&1
  sleep 1 # the page's stream catches up (it is counted: it is the page's cost)
  callgrind_control -i off "$GW" >/dev/null
  cleanup
  w=$(grep '^wrk ' "$d/wrk.out")
  ok=$(( $(kv requests "$w") - $(kv status_errors "$w") ))
  ir=$(cg_total "$d")
  PER[$MODE]=$(cg_per "$ir" "$ok")
  echo "callgrind S2-page-$MODE instructions_per_push=${PER[$MODE]} pushes=$ok Ir=$ir" \
    "page_bytes=$(stat -c %s "$d/events.sse" 2>/dev/null || echo 0)"
done
echo "callgrind S2 page-open/page-closed instructions_per_push ratio=$(awk -v a="${PER[open]}" -v b="${PER[closed]}" \
  'BEGIN{ if (b+0 > 0 && a+0 > 0) printf "%.3f", a/b; else print "NA" }')"
echo "# callgrind_annotate $WORK/open/callgrind.out | head -60" >&2
