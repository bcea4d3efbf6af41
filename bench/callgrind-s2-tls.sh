#!/usr/bin/env bash
# Cost per management call over https:// keep-alive against http://: instructions per S2 request
# (PostToConnection of 64 bytes to one of 100 idle clients) from valgrind --tool=callgrind, once
# per scheme, each in its own wsgate. Noise-free where bench/tls.sh's rates are not.
#
#   bench/callgrind-s2-tls.sh        # from the project root; needs valgrind and wrk
#
# The 32 keep-alive connections' handshakes are inside the window (amortised over the run).
# Prints "callgrind S2 SCHEME instructions_per_request=N requests=M Ir=T" for http and https, and
# their ratio. Loopback only, bounded, stops what it starts.
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HARNESS=${HARNESS:-$ROOT/../shared/bench}
PROJECT_BIN=${PROJECT_BIN:-$PWD/build/wsgate}
GW_PORT=${GW_PORT:-18430}
BE_PORT=${BE_PORT:-18431}
STAGE=${STAGE:-local}
CG_SECS=${CG_SECS:-20}
WORK=${WORK:-$(mktemp -d -t wsgate-bench-cgs2.XXXXXX)}
mkdir -p "$WORK"

die() { echo "callgrind-s2-tls.sh: $*" >&2; exit 1; }
command -v valgrind >/dev/null || die "needs valgrind (apt-get install -y valgrind)"
command -v wrk >/dev/null || die "needs wrk (apt-get install -y wrk)"
[ -x "$PROJECT_BIN" ] || die "no gateway binary at $PROJECT_BIN"
make -s -C "$HARNESS" >/dev/null || die "building the harness tools failed"
BIN=$HARNESS/bin

STOP_WAIT_TENTHS=150
. "$ROOT/bench/lib.sh"

declare -A PER
for scheme in http https; do
  d=$WORK/$scheme; mkdir -p "$d"; ids=$d/ids; : >"$ids"
  for p in $GW_PORT $BE_PORT; do port_open "$p" && die "port $p already in use"; done
  "$BIN/backend" -l "127.0.0.1:$BE_PORT" -i "$ids" >"$d/backend.log" 2>&1 &
  be=$!; STARTED+=("$be")
  wait_port "$BE_PORT" "$be" 600 || die "backend did not start"
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$d/callgrind.out" \
    "$PROJECT_BIN" --host 127.0.0.1 --port "$GW_PORT" --stage "$STAGE" --backend "http://127.0.0.1:$BE_PORT/" \
    --auth none --state-dir "$WORK/state" >"$d/gateway.log" 2>&1 &
  gw=$!; STARTED+=("$gw")
  wait_port "$GW_PORT" "$gw" 600 || die "gateway did not start under valgrind (see $d/gateway.log)"
  "$BIN/wsload" -u "ws://127.0.0.1:$GW_PORT/$STAGE" -n 100 -c 100 -T 60 -m idle -d 600 >"$d/wsload.out" 2>&1 &
  lp=$!; STARTED+=("$lp")
  for _ in $(seq 600); do grep -qs '^ready' "$d/wsload.out" && [ "$(wc -l <"$ids")" -ge 100 ] && break; sleep 0.1; done
  callgrind_control -i on "$gw" >/dev/null
  IDS_FILE=$ids MGMT_PATH=/$STAGE/@connections timeout 120 wrk -t1 -c32 -d "${CG_SECS}s" -s "$HARNESS/push.lua" \
    "$scheme://127.0.0.1:$GW_PORT" >"$d/wrk.out" 2>&1
  sleep 1
  callgrind_control -i off "$gw" >/dev/null
  kill -INT "$lp" 2>/dev/null; wait "$lp" 2>/dev/null
  stop_pid "$gw"; stop_pid "$be"; STARTED=()
  w=$(grep '^wrk ' "$d/wrk.out"); reqs=$(kv requests "$w"); ir=$(awk '/^totals:/{print $2; exit}' "$d/callgrind.out")
  PER[$scheme]=$(awk -v i="$ir" -v n="$reqs" 'BEGIN{ if (n>0) printf "%d", i/n; else print "NA" }')
  echo "callgrind S2 $scheme instructions_per_request=${PER[$scheme]} requests=$reqs Ir=$ir non2xx=$(kv status_errors "$w")"
done
echo "callgrind S2 https_over_http_instructions=$(awk -v a="${PER[https]}" -v b="${PER[http]}" 'BEGIN{ if (b>0) printf "%.3f", a/b; else print "NA" }')"
