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

# shellcheck disable=SC2034 # NAME is read by callgrind-lib.sh
NAME=callgrind-s2-tls.sh
GW_PORT=${GW_PORT:-18430}
BE_PORT=${BE_PORT:-18431}
CG_SECS=${CG_SECS:-20}
# shellcheck source=bench/callgrind-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/callgrind-lib.sh"
cg_setup wrk

declare -A PER
for scheme in http https; do
  d=$WORK/$scheme; mkdir -p "$d"; ids=$d/ids; : >"$ids"
  for p in $GW_PORT $BE_PORT; do port_open "$p" && die "port $p already in use"; done
  cg_backend "$d" -i "$ids"
  cg_gateway "$d" --state-dir "$WORK/state"
  "$BIN/wsload" -u "ws://127.0.0.1:$GW_PORT/$STAGE" -n 100 -c 100 -T 60 -m idle -d 600 >"$d/wsload.out" 2>&1 &
  lp=$!; STARTED+=("$lp")
  for _ in $(seq 600); do grep -qs '^ready' "$d/wsload.out" && [ "$(wc -l <"$ids")" -ge 100 ] && break; sleep 0.1; done
  callgrind_control -i on "$GW" >/dev/null
  IDS_FILE=$ids MGMT_PATH=/$STAGE/@connections timeout 120 wrk -t1 -c32 -d "${CG_SECS}s" -s "$HARNESS/push.lua" \
    "$scheme://127.0.0.1:$GW_PORT" >"$d/wrk.out" 2>&1
  sleep 1
  callgrind_control -i off "$GW" >/dev/null
  kill -INT "$lp" 2>/dev/null; wait "$lp" 2>/dev/null
  stop_pid "$GW"; stop_pid "$BE"; STARTED=()
  w=$(grep '^wrk ' "$d/wrk.out"); reqs=$(kv requests "$w"); ir=$(cg_total "$d")
  PER[$scheme]=$(cg_per "$ir" "$reqs")
  echo "callgrind S2 $scheme instructions_per_request=${PER[$scheme]} requests=$reqs Ir=$ir non2xx=$(kv status_errors "$w")"
done
echo "callgrind S2 https_over_http_instructions=$(awk -v a="${PER[https]}" -v b="${PER[http]}" 'BEGIN{ if (b>0) printf "%.3f", a/b; else print "NA" }')"
