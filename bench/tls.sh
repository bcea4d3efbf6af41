#!/usr/bin/env bash
# TLS benchmarks beside plain, run from the project root (bench/README.md, "TLS"):
#
#   bench/tls.sh            # $RUNS runs (default 3) of each figure below; medians and every run
#
# Per run, one wsgate (--auth none, a fresh local CA in $WORK/state) and the shared harness's
# keep-alive backend and load generator (../shared/bench):
#   S2 plain   100 idle clients; wrk -t1 -c32 -d10s POSTs 64 bytes to http://.../@connections/{id}
#   S2 https   the same over https:// (keep-alive: one TLS handshake per wrk connection)
#   hs wsgate  TLS handshakes/s: wrk -c32 GET https://.../health with "Connection: close", so every
#              request is a new connection and a full handshake (wrk resumes no sessions)
#   hs nginx   the same against nginx (1 worker) with the same ECDSA P-256 leaf and key, TLS 1.2+
# Ratios are taken within each run (same machine state). Everything listens on 127.0.0.1; every step
# is bounded; what is started is stopped by PID.
# Knobs: RUNS GW_PORT BE_PORT NGX_PORT STAGE S2_CONNS SECS WRK_THREADS WRK_CONNS HARNESS PROJECT_BIN WORK
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HARNESS=${HARNESS:-$ROOT/../shared/bench}
PROJECT_BIN=${PROJECT_BIN:-$PWD/build/wsgate}
RUNS=${RUNS:-3}
GW_PORT=${GW_PORT:-18300}
BE_PORT=${BE_PORT:-18301}
NGX_PORT=${NGX_PORT:-18302}
STAGE=${STAGE:-local}
S2_CONNS=${S2_CONNS:-100}
SECS=${SECS:-10}
WRK_THREADS=${WRK_THREADS:-1}
WRK_CONNS=${WRK_CONNS:-32}
WORK=${WORK:-$(mktemp -d -t wsgate-bench-tls.XXXXXX)}
mkdir -p "$WORK"

say() { echo "# $*" >&2; }
die() { echo "tls.sh: $*" >&2; exit 1; }

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
for p in $GW_PORT $BE_PORT $NGX_PORT; do port_open "$p" && die "port $p already in use"; done

HZ=$(getconf CLK_TCK); NCPU=$(nproc)
proc_busy() { awk '/^cpu /{print $2+$3+$4+$9}' /proc/stat; }
child_cpu() {
  times >"$WORK/.times"
  CHILD_CPU=$(awk 'NR==2{ for (i=1;i<=2;i++){ split($i,a,/[ms]/); t+=a[1]*60+a[2] } printf "%.3f", t }' "$WORK/.times")
}

declare -A FIG
fig() { FIG[$1]="${FIG[$1]:+${FIG[$1]},}${2:-NA}"; say "  run=$RUN $1=${2:-NA}"; }
rate() { awk -v r="$(kv requests "$1")" -v d="$(kv duration_us "$1")" 'BEGIN{ if (d > 0) printf "%.1f", r/(d/1e6); else print "NA" }'; }
ms() { awk -v v="$(kv "$1" "$2")" 'BEGIN{printf "%.3f", v/1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b+0 > 0 && a+0 > 0) printf "%.3f", a/b; else print "NA" }'; }

# wrk_push URL OUT: S2's push (the harness's push.lua) against URL
wrk_push() {
  IDS_FILE=$IDS MGMT_PATH=/$STAGE/@connections timeout 40 wrk -t "$WRK_THREADS" -c "$WRK_CONNS" -d "${SECS}s" \
    -s "$HARNESS/push.lua" "$1" >"$2" 2>&1
}
# wrk_handshakes URL OUT: one full TLS handshake per request
wrk_handshakes() {
  timeout 40 wrk -t "$WRK_THREADS" -c "$WRK_CONNS" -d "${SECS}s" -H "Connection: close" -s "$ROOT/bench/summary.lua" \
    "$1" >"$2" 2>&1
}

start_nginx() { # same leaf and key as wsgate, 1 worker, TLS 1.2+
  local d=$1
  mkdir -p "$d/logs"
  cat >"$d/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $d/body; proxy_temp_path $d/proxy; fastcgi_temp_path $d/fcgi;
  uwsgi_temp_path $d/uwsgi; scgi_temp_path $d/scgi;
  server {
    listen 127.0.0.1:$NGX_PORT ssl;
    ssl_certificate $WORK/state/leaf.pem;
    ssl_certificate_key $WORK/state/leaf-key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { return 200 '{"status":"ok"}'; }
  }
}
EOF
  nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >"$d/stdout.log" 2>&1 &
  NGX_PID=$!; STARTED+=("$NGX_PID")
  wait_port "$NGX_PORT" "$NGX_PID" || die "nginx did not start (see $d/error.log)"
}

run_once() {
  local d=$WORK/run$RUN out lp w
  mkdir -p "$d"; IDS=$d/ids; : >"$IDS"; out=$d/wsload.out
  "$BIN/backend" -l "127.0.0.1:$BE_PORT" -i "$IDS" >"$d/backend.log" 2>&1 &
  local be=$!; STARTED+=("$be")
  wait_port "$BE_PORT" "$be" || die "backend did not start"
  "$PROJECT_BIN" --host 127.0.0.1 --port "$GW_PORT" --stage "$STAGE" --backend "http://127.0.0.1:$BE_PORT/" \
    --auth none --state-dir "$WORK/state" >"$d/gateway.log" 2>&1 &
  local gw=$!; STARTED+=("$gw")
  wait_port "$GW_PORT" "$gw" || die "gateway did not start (see $d/gateway.log)"
  "$BIN/wsload" -u "ws://127.0.0.1:$GW_PORT/$STAGE" -n "$S2_CONNS" -c 100 -T 60 -m idle -d 50 >"$out" 2>&1 &
  lp=$!; STARTED+=("$lp")
  for _ in $(seq 200); do
    grep -qs '^ready' "$out" && [ "$(wc -l <"$IDS")" -ge "$S2_CONNS" ] && break
    sleep 0.05
  done
  grep -qs '^ready' "$out" || say "load generator not ready"

  wrk_push "http://127.0.0.1:$GW_PORT" "$d/s2-plain.out"; w=$(grep '^wrk ' "$d/s2-plain.out")
  local plain; plain=$(rate "$w")
  fig s2_plain_req_per_s "$plain"; fig s2_plain_p99_ms "$(ms p99_us "$w")"
  fig s2_plain_non2xx "$(kv status_errors "$w")"
  sleep 1
  wrk_push "https://127.0.0.1:$GW_PORT" "$d/s2-https.out"; w=$(grep '^wrk ' "$d/s2-https.out")
  local tls; tls=$(rate "$w")
  fig s2_https_req_per_s "$tls"; fig s2_https_p99_ms "$(ms p99_us "$w")"
  fig s2_https_non2xx "$(kv status_errors "$w")"
  fig s2_https_over_plain "$(ratio "$tls" "$plain")"
  kill -INT "$lp" 2>/dev/null; wait "$lp" 2>/dev/null
  sleep 1

  wrk_handshakes "https://127.0.0.1:$GW_PORT/health" "$d/hs-wsgate.out"; w=$(grep '^wrk ' "$d/hs-wsgate.out")
  local hs_gw; hs_gw=$(rate "$w")
  fig hs_wsgate_per_s "$hs_gw"; fig hs_wsgate_errors "$(( $(kv connect_errors "$w") + $(kv read_errors "$w") + $(kv status_errors "$w") ))"
  fig rss_end_kb "$(awk '/^VmRSS:/{print $2}' "/proc/$gw/status" 2>/dev/null)"
  fig gateway_log_errors "$(grep -ci 'error\|failed' "$d/gateway.log" || true)"
  cleanup
  start_nginx "$d/nginx"
  wrk_handshakes "https://127.0.0.1:$NGX_PORT/health" "$d/hs-nginx.out"; w=$(grep '^wrk ' "$d/hs-nginx.out")
  local hs_ngx; hs_ngx=$(rate "$w")
  fig hs_nginx_per_s "$hs_ngx"; fig hs_nginx_errors "$(( $(kv connect_errors "$w") + $(kv read_errors "$w") + $(kv status_errors "$w") ))"
  fig hs_wsgate_over_nginx "$(ratio "$hs_gw" "$hs_ngx")"
  cleanup
}

for RUN in $(seq "$RUNS"); do
  say "TLS run $RUN/$RUNS load: $(cut -d' ' -f1-3 /proc/loadavg)"
  b0=$(proc_busy); child_cpu; c0=$CHILD_CPU; t0=$(date +%s.%N)
  run_once
  b1=$(proc_busy); child_cpu; c1=$CHILD_CPU; t1=$(date +%s.%N)
  fig noise_foreign_cpu_pct "$(awk -v b="$((b1 - b0))" -v hz="$HZ" -v c0="$c0" -v c1="$c1" -v w0="$t0" -v w1="$t1" \
    -v n="$NCPU" 'BEGIN{ f=(b/hz-(c1-c0))/((w1-w0)*n)*100; if (f<0) f=0; printf "%.1f", f }')"
  sleep 1
done

median() { tr ',' '\n' <<<"$1" | grep -E '^-?[0-9.]+$' | sort -n |
  awk '{v[NR]=$1} END{ if (NR==0) print "NA"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2 }'; }
for k in s2_plain_req_per_s s2_https_req_per_s s2_https_over_plain s2_plain_p99_ms s2_https_p99_ms s2_plain_non2xx \
  s2_https_non2xx hs_wsgate_per_s hs_nginx_per_s hs_wsgate_over_nginx hs_wsgate_errors hs_nginx_errors rss_end_kb \
  gateway_log_errors noise_foreign_cpu_pct; do
  [ -n "${FIG[$k]:-}" ] && echo "project TLS $k median=$(median "${FIG[$k]}") runs=${FIG[$k]}"
done
say "raw output and logs: $WORK"
