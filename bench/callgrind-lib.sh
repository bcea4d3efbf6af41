# shellcheck shell=bash
# bench/callgrind-lib.sh: what the callgrind-*.sh scripts share (sourced, not run). Each sets NAME
# (for messages) and its own knobs, sources this file, then calls what it needs:
#   cg_setup [TOOL...]        the defaults below, valgrind and each TOOL required, the harness's tools
#                             built (BIN) unless NO_HARNESS=1, bench/lib.sh loaded, ports checked
#   cg_backend DIR [ARG...]   the harness's keep-alive backend on BE_PORT (sets BE), log in DIR
#   cg_gateway DIR [ARG...]   PROJECT_BIN under callgrind, instrumentation off, with the harness
#                             backend and --auth none (sets GW), output DIR/callgrind.out
#   cg_per IR N               IR / N as an integer, or NA
#   cg_total DIR              the instructions counted in DIR/callgrind.out*
# Everything listens on 127.0.0.1 and is started and stopped by PID (bench/lib.sh).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HARNESS=${HARNESS:-$ROOT/../shared/bench}
PROJECT_BIN=${PROJECT_BIN:-$PWD/build/wsgate}
GW_PORT=${GW_PORT:-18400}
BE_PORT=${BE_PORT:-18401}
STAGE=${STAGE:-local}
CG_SECS=${CG_SECS:-5}
MSG_SIZE=${MSG_SIZE:-64}
WORK=${WORK:-$(mktemp -d -t "wsgate-bench-${NAME%.sh}.XXXXXX")}
mkdir -p "$WORK"

die() { echo "$NAME: $*" >&2; exit 1; }

# shellcheck disable=SC2120 # its arguments are optional
cg_setup() {
  local tool p
  for tool in valgrind "$@"; do command -v "$tool" >/dev/null || die "needs $tool (see bench/README.md)"; done
  [ -x "$PROJECT_BIN" ] || die "no gateway binary at $PROJECT_BIN"
  if [ "${NO_HARNESS:-0}" != 1 ]; then
    [ -d "$HARNESS" ] || die "no shared harness at $HARNESS (set HARNESS)"
    make -s -C "$HARNESS" >/dev/null || die "building the harness tools failed"
    BIN=$HARNESS/bin
  fi
  ulimit -n "$(ulimit -Hn)" 2>/dev/null
  STOP_WAIT_TENTHS=150
  # shellcheck source=bench/lib.sh
  . "$ROOT/bench/lib.sh"
  for p in $GW_PORT $BE_PORT; do port_open "$p" && die "port $p already in use"; done
}

cg_backend() { # DIR [ARG...]
  local d=$1; shift
  "$BIN/backend" -l "127.0.0.1:$BE_PORT" "$@" >"$d/backend.log" 2>&1 &
  BE=$!; STARTED+=("$BE")
  wait_port "$BE_PORT" "$BE" 600 || die "backend did not start"
}

cg_gateway() { # DIR [ARG...]
  local d=$1; shift
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$d/callgrind.out" \
    "$PROJECT_BIN" --host 127.0.0.1 --port "$GW_PORT" --stage "$STAGE" --backend "http://127.0.0.1:$BE_PORT/" \
    --auth none "$@" >"$d/gateway.log" 2>&1 &
  GW=$!; STARTED+=("$GW")
  wait_port "$GW_PORT" "$GW" 600 || die "gateway did not start under valgrind (see $d/gateway.log)"
}

cg_per() { awk -v i="$1" -v n="$2" 'BEGIN{ if (n+0 > 0 && i+0 > 0) printf "%d", i/n; else print "NA" }'; }

cg_total() { cat "$1"/callgrind.out* 2>/dev/null | awk '/^totals:/{s+=$2} END{print s+0}'; }
