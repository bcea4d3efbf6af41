#!/usr/bin/env bash
# CPU time per S1 connection, two builds back to back: the gateway's user+sys time (all threads,
# /proc/PID/stat) while S1_N connections (default 5,000; 200 handshakes in flight, as S1) open,
# each $connect POSTed to the harness backend, then close and every $disconnect is delivered.
# CPU time, unlike S1's rate, hardly moves when other processes share the machine.
#
#   OLD=/path/to/base/wsgate NEW=build/wsgate bench/cpu-s1.sh     # from the project root
#
# PAIRS pairs (default 5), the order alternating (old new, new old, ...). One line per run:
# "<old|new> cpu_ms_per_conn=... user_ms_per_conn=... cpu_s=... connect_per_s=... disconnects=... load=..."
# (cpu = user + sys; the kernel's share, sockets and epoll, is the same for both builds).
# Loopback only, bounded, stops what it starts.
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HARNESS=${HARNESS:-$ROOT/../shared/bench}
OLD=${OLD:?set OLD to the wsgate binary of the base build}
NEW=${NEW:-$PWD/build/wsgate}
GW_PORT=${GW_PORT:-18540}
BE_PORT=${BE_PORT:-18541}
S1_N=${S1_N:-5000}
PAIRS=${PAIRS:-5}

die() { echo "cpu-s1.sh: $*" >&2; exit 1; }
for b in "$OLD" "$NEW"; do [ -x "$b" ] || die "no gateway binary at $b"; done
make -s -C "$HARNESS" >/dev/null || die "building the harness tools failed"
BIN=$HARNESS/bin
ulimit -n "$(ulimit -Hn)" 2>/dev/null
. "$ROOT/bench/lib.sh"
for p in $GW_PORT $BE_PORT; do port_open "$p" && die "port $p already in use"; done
HZ=$(getconf CLK_TCK)

run_one() { # NAME BINARY
  local work be gw t0 t1 u0 u1 rate
  work=$(mktemp -d -t wsgate-bench-cpu.XXXXXX)
  "$BIN/backend" -l "127.0.0.1:$BE_PORT" -i "$work/ids" >"$work/backend.log" 2>&1 &
  be=$!; STARTED+=("$be")
  wait_port "$BE_PORT" "$be" || die "backend did not start"
  "$2" --host 127.0.0.1 --port "$GW_PORT" --stage local --backend "http://127.0.0.1:$BE_PORT/" --auth none \
    >"$work/gateway.log" 2>&1 &
  gw=$!; STARTED+=("$gw")
  wait_port "$GW_PORT" "$gw" || die "gateway $2 did not start (see $work/gateway.log)"
  t0=$(awk '{print $14 + $15}' "/proc/$gw/stat"); u0=$(awk '{print $14}' "/proc/$gw/stat")
  timeout 120 "$BIN/wsload" -u "ws://127.0.0.1:$GW_PORT/local" -n "$S1_N" -c 200 -T 60 -m idle -d 0 \
    >"$work/wsload.out" 2>&1
  for _ in $(seq 300); do # every $disconnect delivered (the gateway logs each), at most 30 s
    [ "$(grep -c 'info  disconnect ' "$work/gateway.log")" -ge "$S1_N" ] && break
    sleep 0.1
  done
  sleep 0.5
  t1=$(awk '{print $14 + $15}' "/proc/$gw/stat"); u1=$(awk '{print $14}' "/proc/$gw/stat")
  rate=$(grep '^stage' "$work/wsload.out" | head -1 | sed -n 's/.*conn_per_s=\([^ ]*\).*/\1/p')
  echo "$1 cpu_ms_per_conn=$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" -v n="$S1_N" 'BEGIN{printf "%.4f", (b-a)*1000/hz/n}')" \
    "user_ms_per_conn=$(awk -v a="$u0" -v b="$u1" -v hz="$HZ" -v n="$S1_N" 'BEGIN{printf "%.4f", (b-a)*1000/hz/n}')" \
    "cpu_s=$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" 'BEGIN{printf "%.2f", (b-a)/hz}') connect_per_s=${rate:-NA}" \
    "disconnects=$(grep -c 'info  disconnect ' "$work/gateway.log") load=$(cut -d' ' -f1 /proc/loadavg)"
  cleanup
  rm -rf "$work"
}

for i in $(seq "$PAIRS"); do
  if [ $((i % 2)) = 1 ]; then run_one old "$OLD"; run_one new "$NEW"; else run_one new "$NEW"; run_one old "$OLD"; fi
done
