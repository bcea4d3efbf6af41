# shellcheck shell=bash
# bench/callgrind-lib.sh: what callgrind-s1.sh and callgrind-s3.sh share (sourced, not run): the
# defaults, the harness's backend, and build/wsgate under valgrind --tool=callgrind with
# instrumentation off, both started and stopped by PID (bench/lib.sh). Sets BIN (the harness's
# tools), WORK, BE and GW; the caller sets NAME (for messages) and its own knobs first.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HARNESS=${HARNESS:-$ROOT/../shared/bench}
PROJECT_BIN=${PROJECT_BIN:-$PWD/build/wsgate}
GW_PORT=${GW_PORT:-18400}
BE_PORT=${BE_PORT:-18401}
STAGE=${STAGE:-local}
CG_SECS=${CG_SECS:-5}
MSG_SIZE=${MSG_SIZE:-64}
WORK=${WORK:-$(mktemp -d -t wsgate-bench-callgrind.XXXXXX)}
mkdir -p "$WORK"

die() { echo "$NAME: $*" >&2; exit 1; }
command -v valgrind >/dev/null || die "needs valgrind (apt-get install -y valgrind)"
[ -x "$PROJECT_BIN" ] || die "no gateway binary at $PROJECT_BIN"
make -s -C "$HARNESS" >/dev/null || die "building the harness tools failed"
BIN=$HARNESS/bin

STOP_WAIT_TENTHS=150
. "$ROOT/bench/lib.sh"
for p in $GW_PORT $BE_PORT; do port_open "$p" && die "port $p already in use"; done

"$BIN/backend" -l "127.0.0.1:$BE_PORT" -e "http://127.0.0.1:$GW_PORT/$STAGE/@connections" >"$WORK/backend.log" 2>&1 &
BE=$!; STARTED+=("$BE")
wait_port "$BE_PORT" "$BE" 600 || die "backend did not start"
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/callgrind.out" \
  "$PROJECT_BIN" --host 127.0.0.1 --port "$GW_PORT" --stage "$STAGE" --backend "http://127.0.0.1:$BE_PORT/" \
  --auth none >"$WORK/gateway.log" 2>&1 &
GW=$!; STARTED+=("$GW")
wait_port "$GW_PORT" "$GW" 600 || die "gateway did not start under valgrind (see $WORK/gateway.log)"
