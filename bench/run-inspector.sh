#!/usr/bin/env bash
# The inspector's cost under load: the shared harness's S2 (management API push) with the inspector
# page closed and with one page open (an SSE subscriber reading /_wsgate/api/events), interleaved
# A/B per run, from the project root:
#
#   bench/run-inspector.sh              # $RUNS (default 3) runs of each, medians
#
# Same shape as S2 of ../shared/bench/run.sh: the harness's keep-alive backend, 100 idle clients
# (wsload), wrk -t1 -c32 -d10s POSTing a 64-byte body to /{stage}/@connections/{id} with the
# harness's push.lua, wsgate with --auth none. "open": `curl -N` reads the event stream for the
# whole run, so every push is recorded twice (the frame out and the @connections call), serialised
# and streamed. Everything listens on 127.0.0.1; every step is bounded; what is started is stopped by PID.
# Besides req/s: the gateway's CPU time per request (user + system, from /proc/PID/stat over the
# load), which other processes on a shared machine move much less than throughput; the page's cost
# is the open/closed ratio of both. ~2.5 min with the defaults; prints the ratios at the end.
# PAGE=browser opens the real page in headless Chromium instead of curl; page_cpu_pct is the page's
# CPU (every process of its process group: Chromium's browser, renderer, GPU...) over the load, in %
# of the whole machine.
# Knobs: RUNS PAGE GW_PORT BE_PORT STAGE S2_CONNS S2_SECS WRK_THREADS WRK_CONNS HARNESS PROJECT_BIN WORK
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HARNESS=${HARNESS:-$ROOT/../shared/bench}
PROJECT_BIN=${PROJECT_BIN:-$PWD/build/wsgate}
RUNS=${RUNS:-3}
GW_PORT=${GW_PORT:-18300}
BE_PORT=${BE_PORT:-18301}
STAGE=${STAGE:-local}
S2_CONNS=${S2_CONNS:-100}
S2_SECS=${S2_SECS:-10}
WRK_THREADS=${WRK_THREADS:-1}
WRK_CONNS=${WRK_CONNS:-32}
PAGE=${PAGE:-curl} # the open page: curl (reads the event stream) or browser (headless Chromium)
WORK=${WORK:-$(mktemp -d -t wsgate-bench-inspector.XXXXXX)}
mkdir -p "$WORK"

say() { echo "# $*" >&2; }
die() { echo "run-inspector.sh: $*" >&2; exit 1; }

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  [ "$(id -u)" = 0 ] || die "needs wrk and nginx-light (apt-get install -y nginx-light wrk)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y nginx-light wrk >/dev/null || die "apt-get install failed"
fi
[ -d "$HARNESS" ] || die "no shared harness at $HARNESS (set HARNESS)"
[ -x "$PROJECT_BIN" ] || die "no gateway binary at $PROJECT_BIN (build first, or set PROJECT_BIN)"
make -s -C "$HARNESS" >/dev/null || die "building the harness tools failed"
BIN=$HARNESS/bin
ulimit -n "$(ulimit -Hn)" 2>/dev/null

STOP_WAIT_TENTHS=50
. "$ROOT/bench/lib.sh"
for p in $GW_PORT $BE_PORT; do port_open "$p" && die "port $p already in use"; done

HZ=$(getconf CLK_TCK); NCPU=$(nproc)
proc_cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; } # utime+stime, in ticks
pgrp_cpu_ticks() { # utime+stime of every live process in process group $1 (`timeout` leads its own)
  awk -v g="$1" '{ sub(/^.*\) /, ""); if ($3 == g) t += $12 + $13 } END { print t + 0 }' /proc/[0-9]*/stat 2>/dev/null
}
proc_busy() { awk '/^cpu /{print $2+$3+$4+$9}' /proc/stat; }
child_cpu() { # CHILD_CPU = user+sys s of reaped children; 'times' must run in this shell, not in $(...)
  times >"$WORK/.times"
  CHILD_CPU=$(awk 'NR==2{ for (i=1;i<=2;i++){ split($i,a,/[ms]/); t+=a[1]*60+a[2] } printf "%.3f", t }' "$WORK/.times")
}

declare -A FIG
fig() { local k=$MODE.$1; FIG[$k]="${FIG[$k]:+${FIG[$k]},}${2:-NA}"; say "  $MODE run=$RUN $1=${2:-NA}"; }

run_once() {
  local d=$WORK/$MODE.run$RUN ids out wout lp i page=
  mkdir -p "$d"; ids=$d/ids; : >"$ids"; out=$d/wsload.out; wout=$d/wrk.out
  "$BIN/backend" -l "127.0.0.1:$BE_PORT" -i "$ids" >"$d/backend.log" 2>&1 &
  local be=$!; STARTED+=("$be")
  wait_port "$BE_PORT" "$be" || die "backend did not start"
  "$PROJECT_BIN" --host 127.0.0.1 --port "$GW_PORT" --stage "$STAGE" --backend "http://127.0.0.1:$BE_PORT/" \
    --auth none >"$d/gateway.log" 2>&1 &
  local gw=$!; STARTED+=("$gw")
  wait_port "$GW_PORT" "$gw" || die "gateway did not start (see $d/gateway.log)"
  "$BIN/wsload" -u "ws://127.0.0.1:$GW_PORT/$STAGE" -n "$S2_CONNS" -c 100 -T 20 -m idle -d 50 >"$out" 2>&1 &
  lp=$!; STARTED+=("$lp")
  for i in $(seq 200); do
    grep -qs '^ready' "$out" && [ "$(wc -l <"$ids")" -ge "$S2_CONNS" ] && break
    sleep 0.05
  done
  grep -qs '^ready' "$out" || say "load generator not ready"
  if [ "$MODE" = open ] && [ "$PAGE" = browser ]; then
    # the page itself in headless Chromium (renders every entry it is sent)
    timeout $((S2_SECS + 30)) chromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
      --no-first-run --user-data-dir="$d/chromium" --window-size=1280,800 \
      "http://127.0.0.1:$GW_PORT/_wsgate/" >"$d/chromium.log" 2>&1 &
    page=$!; STARTED+=("$page")
    sleep 3
  elif [ "$MODE" = open ]; then
    timeout $((S2_SECS + 30)) curl -sN "http://127.0.0.1:$GW_PORT/_wsgate/api/events" -o "$d/events.sse" &
    page=$!; STARTED+=("$page")
    sleep 0.3
  fi
  local cpu0 cpu1 pcpu0=0 pcpu1=0 w0 w1
  cpu0=$(proc_cpu_ticks "$gw")
  [ -n "$page" ] && pcpu0=$(pgrp_cpu_ticks "$page")
  w0=$(date +%s.%N)
  IDS_FILE=$ids MGMT_PATH=/$STAGE/@connections timeout 40 wrk -t "$WRK_THREADS" -c "$WRK_CONNS" -d "${S2_SECS}s" \
    -s "$HARNESS/push.lua" "http://127.0.0.1:$GW_PORT" >"$wout" 2>&1
  cpu1=$(proc_cpu_ticks "$gw")
  if [ -n "$page" ]; then
    pcpu1=$(pgrp_cpu_ticks "$page"); w1=$(date +%s.%N)
    fig page_cpu_pct "$(awk -v a="$pcpu0" -v b="$pcpu1" -v hz="$HZ" -v w0="$w0" -v w1="$w1" -v n="$NCPU" \
      'BEGIN{ printf "%.1f", (b-a)/hz/((w1-w0)*n)*100 }')"
  fi
  sleep 1
  fig rss_end_kb "$(awk '/^VmRSS:/{print $2}' "/proc/$gw/status" 2>/dev/null)"
  kill -INT "$lp" 2>/dev/null; wait "$lp" 2>/dev/null
  if [ -n "$page" ]; then
    fig page_bytes "$(stat -c %s "$d/events.sse" 2>/dev/null)"
    kill "$page" 2>/dev/null; wait "$page" 2>/dev/null
  fi
  local w r reqs st dur recv ok
  w=$(grep '^wrk ' "$wout"); r=$(grep '^result ' "$out")
  reqs=$(kv requests "$w"); st=$(kv status_errors "$w"); dur=$(kv duration_us "$w"); recv=$(kv recv "$r")
  if [ -n "$reqs" ] && [ -n "$dur" ]; then
    ok=$((reqs - st))
    fig req_per_s "$(awk -v r="$reqs" -v d="$dur" 'BEGIN{printf "%.1f", r/(d/1e6)}')"
    fig mgmt_2xx "$ok"
    fig mgmt_non2xx "$st"
    fig msgs_received "$recv"
    fig delivery_match "$(( ${recv:-0} - ok >= 0 && ${recv:-0} - ok <= WRK_CONNS ))"
    fig wrk_p50_ms "$(awk -v v="$(kv p50_us "$w")" 'BEGIN{printf "%.3f", v/1000}')"
    fig wrk_p99_ms "$(awk -v v="$(kv p99_us "$w")" 'BEGIN{printf "%.3f", v/1000}')"
    fig gw_cpu_us_per_req "$(awk -v a="$cpu0" -v b="$cpu1" -v hz="$HZ" -v n="$ok" 'BEGIN{ if (n > 0 && b > a) printf "%.2f", (b-a)/hz*1e6/n; else print "NA" }')"
  else
    say "wrk produced no summary (see $wout)"; fig req_per_s NA
  fi
  fig gateway_log_errors "$(grep -ci 'error' "$d/gateway.log" || true)"
  cleanup
}

for RUN in $(seq "$RUNS"); do
  for MODE in closed open; do
    say "S2 page $MODE run $RUN/$RUNS load: $(cut -d' ' -f1-3 /proc/loadavg)"
    b0=$(proc_busy); child_cpu; c0=$CHILD_CPU; t0=$(date +%s.%N)
    run_once
    b1=$(proc_busy); child_cpu; c1=$CHILD_CPU; t1=$(date +%s.%N)
    fig noise_foreign_cpu_pct "$(awk -v b="$((b1 - b0))" -v hz="$HZ" -v c0="$c0" -v c1="$c1" -v w0="$t0" -v w1="$t1" \
      -v n="$NCPU" 'BEGIN{ f=(b/hz-(c1-c0))/((w1-w0)*n)*100; if (f<0) f=0; printf "%.1f", f }')"
    sleep 1
  done
done

median() { tr ',' '\n' <<<"$1" | grep -E '^-?[0-9.]+$' | sort -n |
  awk '{v[NR]=$1} END{ if (NR==0) print "NA"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2 }'; }
for MODE in closed open; do
  for k in req_per_s mgmt_2xx mgmt_non2xx msgs_received delivery_match wrk_p50_ms wrk_p99_ms rss_end_kb page_bytes \
    page_cpu_pct gw_cpu_us_per_req gateway_log_errors noise_foreign_cpu_pct; do
    [ -n "${FIG[$MODE.$k]:-}" ] && echo "project S2-page-$MODE $k median=$(median "${FIG[$MODE.$k]}") runs=${FIG[$MODE.$k]}"
  done
done
echo "project S2 page-open/page-closed req_per_s ratio=$(awk -v a="$(median "${FIG[open.req_per_s]:-}")" \
  -v b="$(median "${FIG[closed.req_per_s]:-}")" 'BEGIN{ if (b+0 > 0 && a+0 > 0) printf "%.3f", a/b; else print "NA" }')"
for k in gw_cpu_us_per_req; do
  [ -n "${FIG[open.$k]:-}" ] && echo "project S2 page-open/page-closed $k ratio=$(awk -v a="$(median "${FIG[open.$k]}")" \
    -v b="$(median "${FIG[closed.$k]}")" 'BEGIN{ if (b+0 > 0 && a+0 > 0) printf "%.3f", a/b; else print "NA" }')"
done
say "raw output and logs: $WORK"
