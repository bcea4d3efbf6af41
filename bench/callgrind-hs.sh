#!/usr/bin/env bash
# Instructions per full TLS handshake, wsgate against nginx, from valgrind --tool=callgrind: the
# noise-free companion of bench/tls.sh's handshakes/s (the same leaf and key, the same client).
#
#   bench/callgrind-hs.sh        # from the project root; needs valgrind, nginx-light, libssl-dev
#
# Each server runs alone under callgrind (nginx as one process: master_process off); bench/hsload.c
# makes full handshakes (no session offered), each one GET /health with "Connection: close", 4 in
# flight for CG_SECS seconds, with instrumentation on only for that window. User-space instructions
# only: the kernel's share (accept, read, write, close) is not in the count, for either server.
# Prints "callgrind hs SERVER instructions_per_handshake=N handshakes=M Ir=T" and the ratio.
# Loopback only, bounded, stops what it starts.
set -u -o pipefail

# shellcheck disable=SC2034 # NAME and NO_HARNESS are read by callgrind-lib.sh
NAME=callgrind-hs.sh
NO_HARNESS=1
GW_PORT=${GW_PORT:-18440}
NGX_PORT=${NGX_PORT:-18441}
BE_PORT=$NGX_PORT
CG_SECS=${CG_SECS:-20}
# shellcheck source=bench/callgrind-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/callgrind-lib.sh"
cg_setup nginx cc
cc -O2 -g -Wall -Wextra "$ROOT/bench/hsload.c" -o "$WORK/hsload" -lssl -lcrypto || die "building bench/hsload.c failed"

"$PROJECT_BIN" --host 127.0.0.1 --port "$GW_PORT" --stage local --auth none --state-dir "$WORK/state" \
  >"$WORK/gateway-ca.log" 2>&1 &
gw=$!; STARTED+=("$gw")
wait_port "$GW_PORT" "$gw" || die "gateway did not start (see $WORK/gateway-ca.log)"
stop_pid "$gw"; STARTED=()

declare -A PER
for server in wsgate nginx; do
  d=$WORK/$server; mkdir -p "$d"
  if [ "$server" = wsgate ]; then
    port=$GW_PORT
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$d/callgrind.out" \
      "$PROJECT_BIN" --host 127.0.0.1 --port "$GW_PORT" --stage local --auth none --state-dir "$WORK/state" \
      >"$d/server.log" 2>&1 &
  else
    port=$NGX_PORT
    tls_nginx_conf "$d" "$NGX_PORT" "$WORK/state" "master_process off;" 1024
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$d/callgrind.out" \
      nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >"$d/server.log" 2>&1 &
  fi
  pid=$!; STARTED+=("$pid")
  wait_port "$port" "$pid" 600 || die "$server did not start under valgrind (see $d/server.log)"
  callgrind_control -i on "$pid" >/dev/null 2>&1
  timeout $((CG_SECS + 60)) "$WORK/hsload" -a "127.0.0.1:$port" -c 4 -d "$CG_SECS" -T 30 -p /health >"$d/hsload.out" 2>&1
  sleep 1
  callgrind_control -i off "$pid" >/dev/null 2>&1
  callgrind_control -d "$pid" >/dev/null 2>&1 # the window's counts, whatever the exit does (nginx's TERM)
  stop_pid "$pid"; STARTED=()
  h=$(grep '^hsload ' "$d/hsload.out"); hs=$(kv handshakes "$h")
  ir=$(cg_total "$d")
  PER[$server]=$(cg_per "$ir" "$hs")
  echo "callgrind hs $server instructions_per_handshake=${PER[$server]} handshakes=$hs Ir=$ir resumed=$(kv resumed "$h") errors=$(( $(kv tls_errors "$h") + $(kv read_errors "$h") + $(kv status_errors "$h") + 0 )) $(grep -o 'version=.*' <<<"$h")"
done
echo "callgrind hs wsgate_over_nginx_instructions=$(awk -v a="${PER[wsgate]}" -v b="${PER[nginx]}" 'BEGIN{ if (b>0) printf "%.3f", a/b; else print "NA" }')"
echo "# logs: $WORK" >&2
