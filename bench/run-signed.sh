#!/usr/bin/env bash
# Signed variant of the shared harness's S2 (management API push), run from the project root:
#
#   bench/run-signed.sh                 # signed S2 against build/wsgate, $RUNS runs (default 3)
#   WITH_CEILING=1 bench/run-signed.sh  # then the harness's ceiling S2 in the same session, and the ratio
#
# Same shape as S2 of ../shared/bench/run.sh: the harness's keep-alive backend, 100 idle clients
# (wsload), wrk -t1 -c32 -d10s POSTing a 64-byte body to /{stage}/@connections/{id}; but wsgate runs
# with --auth sigv4 and a known key (--credentials), so every request's signature is fully verified,
# and the requests are signed beforehand by bench/presign.py (botocore SigV4Auth, one fixed
# X-Amz-Date, valid 5 minutes), so wrk does no signing while measuring.
# Everything listens on 127.0.0.1; every step is bounded; what is started is stopped by PID.
# Knobs: RUNS GW_PORT BE_PORT STAGE S2_CONNS S2_SECS WRK_THREADS WRK_CONNS PER_ID HARNESS PROJECT_BIN WORK
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
PER_ID=${PER_ID:-4}
AKID=AKIDBENCHEXAMPLE
SECRET=bench/secret/key/EXAMPLE
WORK=${WORK:-$(mktemp -d -t wsgate-bench-signed.XXXXXX)}
mkdir -p "$WORK"

say() { echo "# $*" >&2; }
die() { echo "run-signed.sh: $*" >&2; exit 1; }

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  [ "$(id -u)" = 0 ] || die "needs wrk and nginx-light (apt-get install -y nginx-light wrk)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y nginx-light wrk >/dev/null || die "apt-get install failed"
fi
python3 -c 'import botocore' 2>/dev/null || die "presign.py needs botocore (pip install botocore)"
[ -d "$HARNESS" ] || die "no shared harness at $HARNESS (set HARNESS)"
[ -x "$PROJECT_BIN" ] || die "no gateway binary at $PROJECT_BIN (build first, or set PROJECT_BIN)"
make -s -C "$HARNESS" >/dev/null || die "building the harness tools failed"
BIN=$HARNESS/bin
ulimit -n "$(ulimit -Hn)" 2>/dev/null

STOP_WAIT_TENTHS=50
. "$ROOT/bench/lib.sh"
for p in $GW_PORT $BE_PORT; do port_open "$p" && die "port $p already in use"; done

HZ=$(getconf CLK_TCK); NCPU=$(nproc)
proc_busy() { awk '/^cpu /{print $2+$3+$4+$9}' /proc/stat; }
child_cpu() { # CHILD_CPU = user+sys s of reaped children; 'times' must run in this shell, not in $(...)
  times >"$WORK/.times"
  CHILD_CPU=$(awk 'NR==2{ for (i=1;i<=2;i++){ split($i,a,/[ms]/); t+=a[1]*60+a[2] } printf "%.3f", t }' "$WORK/.times")
}

declare -A FIG
fig() { FIG[$1]="${FIG[$1]:+${FIG[$1]},}${2:-NA}"; say "  run=$RUN $1=${2:-NA}"; }

run_once() {
  local d=$WORK/signed.run$RUN ids out wout lp i
  mkdir -p "$d"; ids=$d/ids; : >"$ids"; out=$d/wsload.out; wout=$d/wrk.out
  "$BIN/backend" -l "127.0.0.1:$BE_PORT" -i "$ids" >"$d/backend.log" 2>&1 &
  local be=$!; STARTED+=("$be")
  wait_port "$BE_PORT" "$be" || die "backend did not start"
  "$PROJECT_BIN" --host 127.0.0.1 --port "$GW_PORT" --stage "$STAGE" --backend "http://127.0.0.1:$BE_PORT/" \
    --auth sigv4 --credentials "$AKID:$SECRET" >"$d/gateway.log" 2>&1 &
  local gw=$!; STARTED+=("$gw")
  wait_port "$GW_PORT" "$gw" || die "gateway did not start (see $d/gateway.log)"
  "$BIN/wsload" -u "ws://127.0.0.1:$GW_PORT/$STAGE" -n "$S2_CONNS" -c 100 -T 20 -m idle -d 50 >"$out" 2>&1 &
  lp=$!; STARTED+=("$lp")
  for i in $(seq 200); do
    grep -qs '^ready' "$out" && [ "$(wc -l <"$ids")" -ge "$S2_CONNS" ] && break
    sleep 0.05
  done
  grep -qs '^ready' "$out" || say "load generator not ready"
  timeout 60 python3 "$ROOT/bench/presign.py" --ids "$ids" --host "127.0.0.1:$GW_PORT" \
    --path "/$STAGE/@connections" --per-id "$PER_ID" --key "$AKID" --secret "$SECRET" >"$d/requests.lua" ||
    die "presign.py failed"
  SIGNED_REQUESTS=$d/requests.lua timeout 40 wrk -t "$WRK_THREADS" -c "$WRK_CONNS" -d "${S2_SECS}s" \
    -s "$ROOT/bench/push-signed.lua" "http://127.0.0.1:$GW_PORT" >"$wout" 2>&1
  sleep 1
  fig rss_end_kb "$(awk '/^VmRSS:/{print $2}' "/proc/$gw/status" 2>/dev/null)"
  kill -INT "$lp" 2>/dev/null; wait "$lp" 2>/dev/null
  local w r reqs st dur recv ok
  w=$(grep '^wrk ' "$wout"); r=$(grep '^result ' "$out")
  reqs=$(kv requests "$w"); st=$(kv status_errors "$w"); dur=$(kv duration_us "$w"); recv=$(kv recv "$r")
  if [ -n "$reqs" ] && [ -n "$dur" ]; then
    ok=$((reqs - st))
    fig signed_req_per_s "$(awk -v r="$reqs" -v d="$dur" 'BEGIN{printf "%.1f", r/(d/1e6)}')"
    fig signed_2xx "$ok"
    fig signed_non2xx "$st"
    fig msgs_received "$recv"
    fig delivery_match "$(( ${recv:-0} - ok >= 0 && ${recv:-0} - ok <= WRK_CONNS ))"
    fig wrk_p50_ms "$(awk -v v="$(kv p50_us "$w")" 'BEGIN{printf "%.3f", v/1000}')"
    fig wrk_p99_ms "$(awk -v v="$(kv p99_us "$w")" 'BEGIN{printf "%.3f", v/1000}')"
  else
    say "wrk produced no summary (see $wout)"; fig signed_req_per_s NA
  fi
  fig gateway_log_errors "$(grep -ci 'error' "$d/gateway.log" || true)"
  cleanup
}

for RUN in $(seq "$RUNS"); do
  say "signed S2 run $RUN/$RUNS load: $(cut -d' ' -f1-3 /proc/loadavg)"
  b0=$(proc_busy); child_cpu; c0=$CHILD_CPU; t0=$(date +%s.%N)
  run_once
  b1=$(proc_busy); child_cpu; c1=$CHILD_CPU; t1=$(date +%s.%N)
  fig noise_foreign_cpu_pct "$(awk -v b="$((b1 - b0))" -v hz="$HZ" -v c0="$c0" -v c1="$c1" -v w0="$t0" -v w1="$t1" \
    -v n="$NCPU" 'BEGIN{ f=(b/hz-(c1-c0))/((w1-w0)*n)*100; if (f<0) f=0; printf "%.1f", f }')"
  sleep 1
done

median() { tr ',' '\n' <<<"$1" | grep -E '^-?[0-9.]+$' | sort -n |
  awk '{v[NR]=$1} END{ if (NR==0) print "NA"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2 }'; }
for k in signed_req_per_s signed_2xx signed_non2xx msgs_received delivery_match wrk_p50_ms wrk_p99_ms rss_end_kb \
  gateway_log_errors noise_foreign_cpu_pct; do
  [ -n "${FIG[$k]:-}" ] && echo "project S2-signed $k median=$(median "${FIG[$k]}") runs=${FIG[$k]}"
done

if [ "${WITH_CEILING:-0}" = 1 ]; then
  cleanup
  ceil=$(RUNS=$RUNS GW_PORT=$GW_PORT BE_PORT=$BE_PORT WORK=$WORK/ceiling "$HARNESS/run.sh" ceiling S2 | tee /dev/stderr |
    sed -n 's/^ceiling S2 mgmt_req_per_s median=\([^ ]*\).*/\1/p')
  echo "ceiling S2 mgmt_req_per_s median=$ceil"
  echo "project S2-signed ratio_to_ceiling=$(awk -v a="$(median "${FIG[signed_req_per_s]:-}")" -v b="$ceil" \
    'BEGIN{ if (b+0 > 0 && a+0 > 0) printf "%.3f", a/b; else print "NA" }')"
fi
say "raw output and logs: $WORK"
