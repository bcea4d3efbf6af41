#!/usr/bin/env bash
# TLS benchmarks beside plain, run from the project root (bench/README.md, "TLS"):
#
#   bench/tls.sh                      # 3 rounds (RUNS), about 9 minutes on 2 quiet cores, at most ~11
#   TAG=quiet bench/tls.sh            # names the raw file bench/results/<date>-tls-quiet.txt
#   RUNS=1 S1_CONNS=1000 S1_BIG=3000 SECS=5 bench/tls.sh   # a short check
#
# Each round, in order (the order within each pair flips on even rounds, so drift favours neither):
#   S1 plain   the shared harness's S1 (../shared/bench/run.sh scenario_S1, same nginx backend and
#              wsload options): open S1_CONNS, then up to S1_BIG, WebSocket connections (S1_CONC
#              handshakes in flight, each a $connect POST), RSS of the gateway by PID after each stage,
#              close them all, wait for the $disconnect events; wsload over ws://
#   S1 tls     the same over wss:// with bench/wssload.c (wsload.c compiled unchanged, its socket I/O
#              through OpenSSL): a full TLS handshake per connection (no resumption), the gateway's
#              certificate verified against the local CA (VERIFY=0: not verified)
#   S2         100 idle clients; wrk -t1 -c32 -d${SECS}s POSTs 64 bytes to .../@connections/{id}, over
#              http:// and over https:// (keep-alive: one TLS handshake per wrk connection), one gateway
#   hs         full TLS handshakes/s: bench/hsload.c, 32 connections in flight, each a new handshake
#              (no session offered), one GET /health with "Connection: close", against wsgate, then
#              against nginx (1 worker) with the same ECDSA P-256 leaf and key, TLS 1.2+, OpenSSL's default
#              groups (X25519 first) on both; the negotiated parameters of both are checked once
#              (openssl s_client) before round 1. (Not wrk: it resumes sessions across reconnects.) The
#              figure to judge is handshakes per server core (server CPU per handshake, nginx's worker
#              against wsgate's process): on 2 cores the client's side of a full handshake costs more
#              than the server's, so the rates are bounded by the client and come out alike
# Ratios are taken within each round (same machine state); medians of the rounds at the end, with the
# targets of issue 14. Noise: CPU used by processes this script did not start, % of all cores, per pair.
# Everything listens on 127.0.0.1; every step is bounded; what is started is stopped by PID.
# Raw output (every figure of every round, the tools' summary lines, the medians) goes to
# bench/results/<UTC date>-tls-$TAG.txt (TAG defaults to the start time, HHMM); logs stay in $WORK.
# Knobs: RUNS TAG RESULTS GW_PORT BE_PORT NGX_PORT STAGE S1_CONNS S1_BIG S1_CONC S1_TIMEOUT
#        S1_TLS_TIMEOUT S1_DRAIN S2_CONNS SECS WRK_THREADS WRK_CONNS VERIFY HARNESS PROJECT_BIN WORK
#        SECTIONS (default "s1 s2 hs": which pairs to run)
set -u -o pipefail
{ # the whole script is one block: bash reads it all before running, so editing or checking out the file
  # during a run cannot change the run

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HARNESS=${HARNESS:-$ROOT/../shared/bench}
PROJECT_BIN=${PROJECT_BIN:-$PWD/build/wsgate}
RUNS=${RUNS:-3}
GW_PORT=${GW_PORT:-18300}
BE_PORT=${BE_PORT:-18301}
NGX_PORT=${NGX_PORT:-18302}
STAGE=${STAGE:-local}
S1_CONNS=${S1_CONNS:-5000}
S1_BIG=${S1_BIG:-19000}   # the harness's "20k" stage: the open-file hard limit here is 20,000
S1_CONC=${S1_CONC:-200}
S1_TIMEOUT=${S1_TIMEOUT:-38}          # connect + hold, plain (the harness's bound)
S1_TLS_TIMEOUT=${S1_TLS_TIMEOUT:-50}  # connect + hold over TLS: a handshake costs more CPU on both sides
S1_DRAIN=${S1_DRAIN:-25}              # at most this long for the $disconnect events after the close
S2_CONNS=${S2_CONNS:-100}
SECS=${SECS:-10}
WRK_THREADS=${WRK_THREADS:-1}
WRK_CONNS=${WRK_CONNS:-32}
VERIFY=${VERIFY:-1}
SECTIONS=${SECTIONS:-s1 s2 hs}
TAG=${TAG:-$(date -u +%H%M)}
RESULTS=${RESULTS:-$ROOT/bench/results/$(date -u +%F)-tls-$TAG.txt}
WORK=${WORK:-$(mktemp -d -t wsgate-bench-tls.XXXXXX)}
mkdir -p "$WORK" "$(dirname "$RESULTS")"
: >"$RESULTS"

raw() { echo "$*" >>"$RESULTS"; }
say() { echo "# $*" >&2; raw "# $*"; }
out() { echo "$*"; raw "$*"; }
die() { echo "tls.sh: $*" >&2; raw "# tls.sh: $*"; exit 1; }

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null || ! command -v openssl >/dev/null; then
  [ "$(id -u)" = 0 ] || die "needs wrk, nginx-light and openssl (apt-get install -y nginx-light wrk openssl)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y nginx-light wrk openssl >/dev/null || die "apt-get install failed"
fi
[ -f /usr/include/openssl/ssl.h ] || die "needs libssl-dev to build bench/wssload.c (apt-get install -y libssl-dev)"
[ -d "$HARNESS" ] || die "no shared harness at $HARNESS (set HARNESS)"
[ -x "$PROJECT_BIN" ] || die "no gateway binary at $PROJECT_BIN (build first, or set PROJECT_BIN)"
make -s -C "$HARNESS" >/dev/null || die "building the harness tools failed"
BIN=$HARNESS/bin
WSSLOAD=$WORK/wssload HSLOAD=$WORK/hsload
cc -O2 -g -Wall -Wextra -DWSLOAD_C="\"$HARNESS/wsload.c\"" "$ROOT/bench/wssload.c" -o "$WSSLOAD" -lssl -lcrypto -lm ||
  die "building bench/wssload.c failed"
cc -O2 -g -Wall -Wextra "$ROOT/bench/hsload.c" -o "$HSLOAD" -lssl -lcrypto || die "building bench/hsload.c failed"
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
noise_begin() { NB=$(proc_busy); child_cpu; NC=$CHILD_CPU; NT=$(date +%s.%N); }
noise_end() { # NAME: the share of all cores used by processes this script did not start since noise_begin
  local b; b=$(proc_busy); child_cpu
  fig "noise_$1_pct" "$(awk -v b="$((b - NB))" -v hz="$HZ" -v c0="$NC" -v c1="$CHILD_CPU" -v w0="$NT" \
    -v w1="$(date +%s.%N)" -v n="$NCPU" 'BEGIN{ f=(b/hz-(c1-c0))/((w1-w0)*n)*100; if (f<0) f=0; printf "%.1f", f }')"
}

declare -A FIG
FIG_ORDER=()
fig() {
  [ -n "${FIG[$1]+x}" ] || FIG_ORDER+=("$1")
  FIG[$1]="${FIG[$1]:+${FIG[$1]},}${2:-NA}"; say "  run=$RUN $1=${2:-NA}"
}
last() { tr ',' '\n' <<<"${FIG[$1]:-}" | tail -1; }
rate() { awk -v r="$(kv requests "$1")" -v d="$(kv duration_us "$1")" 'BEGIN{ if (d > 0) printf "%.1f", r/(d/1e6); else print "NA" }'; }
ms() { awk -v v="$(kv "$1" "$2")" 'BEGIN{ if (v == "") print "NA"; else printf "%.3f", v/1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b+0 > 0 && a+0 > 0) printf "%.3f", a/b; else print "NA" }'; }
rss_of() { awk '/^VmRSS:/{print $2}' "/proc/$1/status" 2>/dev/null; }
# CPU of one process (user + system, clock ticks): a cost per operation that the other helpers' load moves
# far less than it moves rates
ticks_of() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null; }
us_per() { awk -v t="$1" -v n="$2" -v hz="$HZ" 'BEGIN{ if (t != "" && n+0 > 0) printf "%.1f", t*1e6/hz/n; else print "NA" }'; }
# keep: the tools' summary lines in the raw file, prefixed by what they belong to
keep() { sed -n "s/^\(wrk \|hsload \|base \|stage \|rss \|ready \|result \|tls \)/$1 &/p" "$2" >>"$RESULTS"; }

start_gateway() { # DIR: wsgate --auth none with its local CA in $WORK/state; sets GW_PID
  "$PROJECT_BIN" --host 127.0.0.1 --port "$GW_PORT" --stage "$STAGE" --backend "http://127.0.0.1:$BE_PORT/" \
    --auth none --state-dir "$WORK/state" >"$1/gateway.log" 2>&1 &
  GW_PID=$!; STARTED+=("$GW_PID")
  wait_port "$GW_PORT" "$GW_PID" || die "gateway did not start (see $1/gateway.log)"
}

start_backend_nginx() { # DIR: the harness's S1 backend (nginx return 200, an access log of the events)
  local d=$1
  mkdir -p "$d/tmp"
  cat >"$d/nginx.conf" <<EOF
worker_processes 2;
worker_rlimit_nofile 19500;
pid $d/nginx.pid;
error_log $d/error.log warn;
daemon off;
events { worker_connections 19000; multi_accept on; }
http {
  client_body_temp_path $d/tmp/body; proxy_temp_path $d/tmp/proxy; fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi; scgi_temp_path $d/tmp/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  log_format ev '\$msec \$uri \$status';
  server {
    listen 127.0.0.1:$BE_PORT backlog=4096 reuseport;
    access_log $d/access.log ev;
    location / { return 200; }
  }
}
EOF
  nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >"$d/stdout.log" 2>&1 &
  BE_PID=$!; STARTED+=("$BE_PID")
  wait_port "$BE_PORT" "$BE_PID" || die "backend nginx did not start (see $d/error.log)"
}

start_tls_nginx() { # DIR: the handshake reference: same leaf and key as wsgate, 1 worker, TLS 1.2+
  local d=$1
  mkdir -p "$d"
  tls_nginx_conf "$d" "$NGX_PORT" "$WORK/state" "worker_processes 1;" 4096
  nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >"$d/stdout.log" 2>&1 &
  NGX_PID=$!; STARTED+=("$NGX_PID")
  wait_port "$NGX_PORT" "$NGX_PID" || die "nginx did not start (see $d/error.log)"
}

# ------------------------------------------------------------------ S1, as the harness's scenario_S1
s1_once() { # LABEL (plain|tls)
  local label=$1 d=$RUN_DIR/s1-$1 t0=$SECONDS to url loader=("$BIN/wsload") extra=()
  mkdir -p "$d"
  if [ "$label" = tls ]; then
    to=$S1_TLS_TIMEOUT; url=wss://127.0.0.1:$GW_PORT/$STAGE; loader=("$WSSLOAD")
    [ "$VERIFY" = 1 ] && extra=(-C "$WORK/state/ca.pem")
  else
    to=$S1_TIMEOUT; url=ws://127.0.0.1:$GW_PORT/$STAGE
  fi
  start_backend_nginx "$d/nginx"
  start_gateway "$d"
  sleep 0.3
  timeout "$to" "${loader[@]}" "${extra[@]}" -u "$url" -n "$S1_CONNS,$S1_BIG" -c "$S1_CONC" -T 20 -S 2 \
    -P "$GW_PID" -m idle -d 0 >"$d/wsload.out" 2>"$d/wsload.err"
  keep "s1_$label run=$RUN" "$d/wsload.out"
  local st1 st2 r1 r2 base tl
  st1=$(grep '^stage ' "$d/wsload.out" | sed -n 1p); st2=$(grep '^stage ' "$d/wsload.out" | sed -n 2p)
  r1=$(grep '^rss ' "$d/wsload.out" | sed -n 1p); r2=$(grep '^rss ' "$d/wsload.out" | sed -n 2p)
  base=$(grep '^base ' "$d/wsload.out")
  fig "s1_${label}_connect_per_s" "$(kv conn_per_s "$st1")"
  fig "s1_${label}_connect_fail" "$(kv fail "$st1")"
  fig "s1_${label}_hs_p99_ms" "$(kv hs_p99_ms "$st1")"
  fig "s1_${label}_rss_idle_kb" "$(kv rss_kb "$base")"
  fig "s1_${label}_rss_per_conn_${S1_CONNS}_kb" "$(kv per_conn_kb "$r1")"
  fig "s1_${label}_big_connect_per_s" "$(kv conn_per_s "$st2")"
  fig "s1_${label}_big_connect_fail" "$(kv fail "$st2")"
  fig "s1_${label}_big_open" "$(kv open "$r2")"
  fig "s1_${label}_rss_${S1_BIG}_kb" "$(kv rss_kb "$r2")"
  fig "s1_${label}_rss_per_conn_${S1_BIG}_kb" "$(kv per_conn_kb "$r2")"
  if [ "$label" = tls ]; then
    tl=$(grep '^tls ' "$d/wsload.out")
    fig s1_tls_handshake_failed "$(kv failed "$tl")"
    fig s1_tls_resumed "$(kv resumed "$tl")"
  fi
  # the $disconnect burst: until every opened connection's $connect and $disconnect are in nginx's
  # log (wsgate's --backend sends every route to one URL, so the log tells them apart by count only),
  # S1_DRAIN s pass, the log stops growing for 3 s when the loader was cut short (a stage line missing),
  # or the scenario reaches its bound (connect timeout + 17 s: the harness's 38 + 17)
  local log=$d/nginx/access.log prev=-1 cur opened t_drain=$SECONDS t_last=$SECONDS closed
  opened=$(( $(kv ok "$st1" || true) + $(kv ok "$st2" || true) + 0 ))
  for _ in $(seq "$S1_DRAIN"); do
    [ $((SECONDS - t0)) -ge $((to + 17)) ] && break
    sleep 1
    cur=$(wc -l <"$log" 2>/dev/null || echo 0)
    [ "$cur" != "$prev" ] && t_last=$SECONDS
    [ "$cur" -ge $((2 * opened)) ] && [ -n "$st2" ] && break
    [ -z "$st2" ] && [ $((SECONDS - t_last)) -ge 3 ] && break
    kill -0 "$GW_PID" 2>/dev/null || break
    prev=$cur
  done
  fig "s1_${label}_disconnect_drain_s" "$((t_last - t_drain))"
  fig "s1_${label}_rss_after_close_kb" "$(rss_of "$GW_PID")"
  # connections that were open and closed: the gateway logs one "disconnect ID" line for each
  closed=$(awk '$3 == "disconnect"' "$d/gateway.log" | wc -l)
  # the gateway's CPU for everything: the handshakes, the $connect calls, the close, the $disconnects
  fig "s1_${label}_gw_cpu_us_per_conn" "$(us_per "$(ticks_of "$GW_PID")" "$closed")"
  stop_pid "$GW_PID"; stop_pid "$BE_PID"; STARTED=() # the gateway first, then nginx (flushes its log)
  fig "s1_${label}_opened" "$opened"
  fig "s1_${label}_closed_in_gateway_log" "$closed"
  # 2 x opened when every $connect and every $disconnect reached the backend
  fig "s1_${label}_backend_events" "$(wc -l <"$log" 2>/dev/null || echo NA)"
  fig "s1_${label}_gateway_log_errors" "$(grep -ci 'error\|failed' "$d/gateway.log" || true)"
}

# ------------------------------------------------------------------ S2 plain and https, one gateway
wrk_push() { # URL OUT: the harness's push.lua against URL
  IDS_FILE=$IDS MGMT_PATH=/$STAGE/@connections timeout $((SECS + 30)) wrk -t "$WRK_THREADS" -c "$WRK_CONNS" \
    -d "${SECS}s" -s "$HARNESS/push.lua" "$1" >"$2" 2>&1
}
s2_one() { # LABEL SCHEME
  local w c0 c1
  c0=$(ticks_of "$GW_PID")
  wrk_push "$2://127.0.0.1:$GW_PORT" "$RUN_DIR/s2/$1.out"; keep "s2_$1 run=$RUN" "$RUN_DIR/s2/$1.out"
  c1=$(ticks_of "$GW_PID")
  w=$(grep '^wrk ' "$RUN_DIR/s2/$1.out")
  S2_RATE[$1]=$(rate "$w")
  S2_CPU[$1]=$(us_per "$(( ${c1:-0} - ${c0:-0} ))" "$(kv requests "$w")")
  S2_OK=$(( S2_OK + $(kv requests "$w") - $(kv status_errors "$w") + 0 ))
  fig "s2_$1_gw_cpu_us_per_req" "${S2_CPU[$1]}"
  fig "s2_$1_req_per_s" "${S2_RATE[$1]}"; fig "s2_$1_p99_ms" "$(ms p99_us "$w")"
  fig "s2_$1_non2xx" "$(kv status_errors "$w")"
}
s2_pair() {
  local d=$RUN_DIR/s2 lp
  mkdir -p "$d"; IDS=$d/ids; : >"$IDS"
  "$BIN/backend" -l "127.0.0.1:$BE_PORT" -i "$IDS" >"$d/backend.log" 2>&1 &
  local be=$!; STARTED+=("$be")
  wait_port "$BE_PORT" "$be" || die "backend did not start"
  start_gateway "$d"
  "$BIN/wsload" -u "ws://127.0.0.1:$GW_PORT/$STAGE" -n "$S2_CONNS" -c 100 -T 60 -m idle -d $((4 * SECS + 60)) \
    >"$d/wsload.out" 2>&1 &
  lp=$!; STARTED+=("$lp")
  for _ in $(seq 200); do
    grep -qs '^ready' "$d/wsload.out" && [ "$(wc -l <"$IDS")" -ge "$S2_CONNS" ] && break
    sleep 0.05
  done
  grep -qs '^ready' "$d/wsload.out" || say "S2: load generator not ready"
  declare -gA S2_RATE=() S2_CPU=()
  S2_OK=0
  if [ "$FLIP" = 0 ]; then s2_one plain http; sleep 1; s2_one https https
  else s2_one https https; sleep 1; s2_one plain http; fi
  fig s2_https_over_plain "$(ratio "${S2_RATE[https]}" "${S2_RATE[plain]}")"
  fig s2_plain_over_https_cpu "$(ratio "${S2_CPU[plain]}" "${S2_CPU[https]}")"
  fig s2_rss_end_kb "$(rss_of "$GW_PID")"
  kill -INT "$lp" 2>/dev/null; wait "$lp" 2>/dev/null
  keep "s2_clients run=$RUN" "$d/wsload.out"
  # every 2xx push of both runs reached a client (as the harness: up to WRK_CONNS per run in flight)
  local recv; recv=$(kv recv "$(grep '^result ' "$d/wsload.out")")
  fig s2_delivery_match "$(( ${recv:-0} - S2_OK >= 0 && ${recv:-0} - S2_OK <= 2 * WRK_CONNS ))"
  sleep 1 # the clients' $disconnect events reach the backend before it stops
  stop_pid "$GW_PID"; cleanup
  fig s2_gateway_log_errors "$(grep -ci 'error\|failed' "$d/gateway.log" || true)"
}

# ------------------------------------------------------------------ handshakes/s, wsgate and nginx
hs_load() { # PORT OUT: bench/hsload.c, a full TLS handshake per request ("Connection: close")
  timeout $((SECS + 30)) "$HSLOAD" -a "127.0.0.1:$1" -c "$WRK_CONNS" -d "$SECS" -p /health >"$2" 2>&1
}
hs_one() { # wsgate|nginx
  local d=$RUN_DIR/hs-$1 w port pid c0 c1
  mkdir -p "$d"
  if [ "$1" = wsgate ]; then
    start_gateway "$d"; port=$GW_PORT; pid=$GW_PID
  else
    start_tls_nginx "$d"; port=$NGX_PORT; pid=$(pgrep -P "$NGX_PID" | head -1) # its one worker
  fi
  sleep 0.3
  c0=$(ticks_of "$pid")
  hs_load "$port" "$d/hsload.out"; keep "hs_$1 run=$RUN" "$d/hsload.out"
  c1=$(ticks_of "$pid")
  w=$(grep '^hsload ' "$d/hsload.out")
  HS_RATE[$1]=$(rate "$w")
  HS_CPU[$1]=$(us_per "$(( ${c1:-0} - ${c0:-0} ))" "$(kv handshakes "$w")")
  fig "hs_$1_cpu_us_per_hs" "${HS_CPU[$1]}"
  fig "hs_$1_client_cpu_us_per_hs" "$(kv client_cpu_us_per_hs "$w")"
  fig "hs_$1_resumed" "$(kv resumed "$w")"
  fig "hs_$1_per_s" "${HS_RATE[$1]}"
  fig "hs_$1_errors" "$(( $(kv connect_errors "$w") + $(kv tls_errors "$w") + $(kv read_errors "$w") + \
    $(kv status_errors "$w") + $(kv timeouts "$w") + 0 ))"
  [ "$1" = wsgate ] && fig hs_wsgate_rss_end_kb "$(rss_of "$GW_PID")"
  cleanup
}
hs_pair() {
  declare -gA HS_RATE=() HS_CPU=()
  if [ "$FLIP" = 0 ]; then hs_one wsgate; hs_one nginx; else hs_one nginx; hs_one wsgate; fi
  fig hs_wsgate_over_nginx "$(ratio "${HS_RATE[wsgate]}" "${HS_RATE[nginx]}")"
  # handshakes/s per server core (1 / server CPU per handshake), wsgate's over nginx's: the rates
  # above are bounded by the client on 2 cores (a full client handshake costs more than the server's)
  fig hs_capacity_wsgate_over_nginx "$(ratio "${HS_CPU[nginx]}" "${HS_CPU[wsgate]}")"
}

# what each server negotiates with a default client: protocol, cipher, key exchange group, signature
tls_params() { # PORT
  timeout 10 openssl s_client -connect "127.0.0.1:$1" -brief </dev/null 2>&1 |
    sed -n 's/^\(Protocol version\|Ciphersuite\|Hash used\|Signature type\|Server Temp Key\): *\(.*\)/\2/p' | paste -sd' '
}
check_params() {
  local d=$WORK/params p_gw p_ngx
  mkdir -p "$d"
  start_gateway "$d"; start_tls_nginx "$d/nginx"
  p_gw=$(tls_params "$GW_PORT"); p_ngx=$(tls_params "$NGX_PORT")
  cleanup
  out "project TLS params wsgate: $p_gw; leaf: $(openssl x509 -in "$WORK/state/leaf.pem" -noout -text |
    sed -n 's/^ *\(Public Key Algorithm\|NIST CURVE\): *//p' | paste -sd' ')"
  out "project TLS params nginx:  $p_ngx; leaf: the same files ($WORK/state/leaf.pem, leaf-key.pem)"
  [ -n "$p_gw" ] && [ "$p_gw" = "$p_ngx" ] || die "wsgate and nginx negotiate different parameters; the handshake comparison would not be fair"
}

# ------------------------------------------------------------------ main
RUN=0
raw "# bench/tls.sh $(date -u '+%F %H:%M UTC'), $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null) ($(git -C "$ROOT" rev-parse --abbrev-ref HEAD 2>/dev/null)), $PROJECT_BIN"
raw "# SECTIONS='$SECTIONS' RUNS=$RUNS S1_CONNS=$S1_CONNS S1_BIG=$S1_BIG S1_CONC=$S1_CONC S2_CONNS=$S2_CONNS SECS=$SECS WRK=-t$WRK_THREADS/-c$WRK_CONNS VERIFY=$VERIFY nproc=$NCPU $(openssl version)"
T_START=$SECONDS
check_params
for RUN in $(seq "$RUNS"); do
  RUN_DIR=$WORK/run$RUN; mkdir -p "$RUN_DIR"
  FLIP=$(( RUN % 2 == 0 ))
  say "TLS round $RUN/$RUNS ($RUN_DIR) load: $(cut -d' ' -f1-3 /proc/loadavg)"
  if [[ " $SECTIONS " == *" s1 "* ]]; then
    noise_begin
    if [ "$FLIP" = 0 ]; then s1_once plain; s1_once tls; else s1_once tls; s1_once plain; fi
    noise_end s1
    fig s1_tls_over_plain_connect "$(ratio "$(last s1_tls_connect_per_s)" "$(last s1_plain_connect_per_s)")"
    fig s1_plain_over_tls_gw_cpu "$(ratio "$(last s1_plain_gw_cpu_us_per_conn)" "$(last s1_tls_gw_cpu_us_per_conn)")"
  fi
  if [[ " $SECTIONS " == *" s2 "* ]]; then noise_begin; s2_pair; noise_end s2; fi
  if [[ " $SECTIONS " == *" hs "* ]]; then noise_begin; hs_pair; noise_end hs; fi
  sleep 1
done

median() { tr ',' '\n' <<<"$1" | grep -E '^-?[0-9.]+$' | sort -g |
  awk '{v[NR]=$1} END{ if (NR==0) print "NA"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2 }'; }
declare -A MED
for k in "${FIG_ORDER[@]}"; do
  MED[$k]=$(median "${FIG[$k]}")
  out "project TLS $k median=${MED[$k]} runs=${FIG[$k]}"
done
holds() { awk -v v="$1" -v t="$2" 'BEGIN{ if (v == "NA" || v == "") print "NA"; else print (v+0 >= t ? "yes" : "no") }'; }
out "target hs_wsgate_over_nginx >= 0.8: ${MED[hs_wsgate_over_nginx]:-NA} holds=$(holds "${MED[hs_wsgate_over_nginx]:-NA}" 0.8)"
out "target s2_https_over_plain >= 0.8: ${MED[s2_https_over_plain]:-NA} holds=$(holds "${MED[s2_https_over_plain]:-NA}" 0.8)"
out "target hs_capacity_wsgate_over_nginx >= 0.8 (full handshakes per server core): ${MED[hs_capacity_wsgate_over_nginx]:-NA} holds=$(holds "${MED[hs_capacity_wsgate_over_nginx]:-NA}" 0.8)"
out "cpu s2_plain_over_https_cpu (gateway CPU per request, http / https): ${MED[s2_plain_over_https_cpu]:-NA}"
out "recorded s1_tls_over_plain_connect: ${MED[s1_tls_over_plain_connect]:-NA}, s1_plain_over_tls_gw_cpu: ${MED[s1_plain_over_tls_gw_cpu]:-NA} (no target); connect_fail plain/tls: ${MED[s1_plain_connect_fail]:-NA}+${MED[s1_plain_big_connect_fail]:-NA} / ${MED[s1_tls_connect_fail]:-NA}+${MED[s1_tls_big_connect_fail]:-NA}"
out "elapsed_s=$((SECONDS - T_START)) raw=$RESULTS"
say "logs: $WORK"
exit 0
}
