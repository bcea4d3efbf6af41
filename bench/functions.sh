#!/usr/bin/env bash
# bench/functions.sh: functions wsgate runs itself (issue 13). Warm round trips through a Node and a
# Python echo function (client -> $default -> function -> PostToConnection -> client), 100 clients
# closed-loop, measured with the shared harness's wsload; cold start (process start to the runtime's
# first GET /next, from wsgate's "cold start" line); and, when aws-lambda-rie is given, the same Node
# function behind one RIE (wsgate's lambda: integration) for comparison.
#
#   bench/functions.sh                      # node python, RUNS=3 each
#   RIE=/path/to/aws-lambda-rie bench/functions.sh node rie
#   CONNS=1 bench/functions.sh node-reply  # two-way answer, no SDK: wsgate's own path per invocation
#
# The echo functions get a 30 s Timeout: on a CPU-starved machine their first invocations (SDK
# clients being built) can take longer than Lambda's default 3 s, which would measure the machine.
# Knobs: RUNS (3), CONNS (100), SECS (10), WARM (10: cold starts happen in it), PORT (18310), PROJECT_BIN (build/wsgate),
# WSLOAD (../shared/bench/bin/wsload; `make -C ../shared/bench`), PYTHON (.venv/bin/python, has boto3).
# One line per figure on stdout: "functions KIND FIGURE median=V runs=V1,V2,V3". Everything runs on
# 127.0.0.1 and is stopped by PID (bench/lib.sh).
set -u -o pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/bench/lib.sh"
BIN=${PROJECT_BIN:-$ROOT/build/wsgate}
WSLOAD=${WSLOAD:-$ROOT/../shared/bench/bin/wsload}
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
RUNS=${RUNS:-3}; CONNS=${CONNS:-100}; SECS=${SECS:-10}; WARM=${WARM:-10}; PORT=${PORT:-18310}
RIE_PORT=$((PORT + 1))
KINDS=${*:-node python}
WORK=$(mktemp -d -t wsgate-fnbench.XXXXXX)
FN=$ROOT/bench/functions
[ -x "$WSLOAD" ] || { echo "functions.sh: no wsload at $WSLOAD (make -C ../shared/bench, or set WSLOAD)" >&2; exit 2; }
if [ ! -d "$FN/node/node_modules/@aws-sdk/client-apigatewaymanagementapi" ]; then
  (cd "$FN/node" && timeout 300 npm ci --prefer-offline --no-audit --no-fund --loglevel=error) || exit 2
fi

busy_jiffies() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
children_jiffies() { # user+sys of reaped children of this shell, in clock ticks
  times | tail -1 | awk -v hz="$(getconf CLK_TCK)" '{ split($1,a,"m"); split($2,b,"m");
    sub("s","",a[2]); sub("s","",b[2]); print int((a[1]*60+a[2]+b[1]*60+b[2])*hz) }'
}

config_for() { # kind -> config file
  local kind=$1 cfg=$WORK/$1.json
  case $kind in
    node) echo '{"routes": {"$default": {"function": "Echo"}}, "functions": {"Echo": {"runtime": "nodejs20.x", "handler": "echo.handler", "codeUri": "'"$FN"'/node", "timeout": 30}}}' >"$cfg" ;;
    python) echo '{"routes": {"$default": {"function": "Echo"}}, "functions": {"Echo": {"runtime": "python3.12", "handler": "echo.handler", "codeUri": "'"$FN"'/python", "timeout": 30}}}' >"$cfg" ;;
    node-reply) echo '{"routes": {"$default": {"function": "Echo", "twoWay": true}}, "functions": {"Echo": {"runtime": "nodejs20.x", "handler": "reply.handler", "codeUri": "'"$FN"'/node"}}}' >"$cfg" ;;
    rie) echo '{"routes": {"$default": {"function": "Echo"}}, "functions": {"Echo": {"integration": "lambda", "uri": "http://127.0.0.1:'"$RIE_PORT"'", "function": "function"}}}' >"$cfg" ;;
  esac
  echo "$cfg"
}

declare -A FIG
run_once() { # kind run
  local kind=$1 run=$2 log=$WORK/$1-$2.log out=$WORK/$1-$2.wsload rie_pid=""
  if [ "$kind" = rie ]; then
    # the same Node echo function, run by AWS's emulator with wsgate's Node bootstrap as its runtime
    (cd "$FN/node" && exec env _HANDLER=echo.handler LAMBDA_TASK_ROOT="$FN/node" AWS_LAMBDA_FUNCTION_NAME=Echo \
      AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 \
      "$RIE" --log-level error --runtime-interface-emulator-address "127.0.0.1:$RIE_PORT" \
      node "$ROOT/runtimes/node/bootstrap.cjs") >"$WORK/rie-emulator-$run.log" 2>&1 &
    rie_pid=$!; STARTED+=("$rie_pid")
    wait_port "$RIE_PORT" "$rie_pid" || { echo "rie did not start" >&2; return 1; }
  fi
  "$BIN" --port "$PORT" --auth none -c "$(config_for "$kind")" --runtime "python3.12=$PYTHON" >"$log" 2>&1 &
  local gw=$!; STARTED+=("$gw")
  wait_port "$PORT" "$gw" || { echo "wsgate did not start: $(tail -3 "$log")" >&2; return 1; }
  local b0 c0; b0=$(busy_jiffies); c0=$(children_jiffies)
  timeout 60 "$WSLOAD" -u "ws://127.0.0.1:$PORT/local" -n "$CONNS" -c 100 -T 20 -m closed -s 64 -W "$WARM" -d "$SECS" -L 10 >"$out" 2>&1
  stop_pid "$gw"; [ -n "$rie_pid" ] && stop_pid "$rie_pid"
  local b1 c1; b1=$(busy_jiffies); c1=$(children_jiffies)
  local r; r=$(grep '^result ' "$out")
  FIG[$kind roundtrips_per_s]+="$(kv rate_per_s "$r"),"
  FIG[$kind p50_ms]+="$(awk -v v="$(kv p50_us "$r")" 'BEGIN{printf "%.2f", v/1000}'),"
  FIG[$kind p99_ms]+="$(awk -v v="$(kv p99_us "$r")" 'BEGIN{printf "%.2f", v/1000}'),"
  FIG[$kind lost]+="$(kv lost "$r"),"
  FIG[$kind misrouted]+="$(kv misrouted "$r"),"
  if [ "$kind" != rie ]; then
    FIG[$kind cold_start_ms]+="$(grep -m1 -o 'cold start: runtime ready in [0-9]* ms' "$log" | grep -o '[0-9]*' | head -1),"
    FIG[$kind processes]+="$(grep -c 'cold start: runtime ready' "$log"),"
    FIG[$kind function_duration_p50_ms]+="$(grep -o 'Duration: [0-9.]* ms	Billed' "$log" | awk '{print $2}' | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'),"
  fi
  local elapsed=$((SECS + WARM + 3))
  FIG[$kind noise_foreign_cpu_pct]+="$(awk -v b=$((b1 - b0)) -v c=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v n="$(nproc)" -v e="$elapsed" \
    'BEGIN{v=(b-c)/(hz*n*e)*100; if (v<0) v=0; printf "%.0f", v}'),"
}

for kind in $KINDS; do
  [ "$kind" = rie ] && [ -z "${RIE:-}" ] && { echo "functions.sh: set RIE=/path/to/aws-lambda-rie for the rie kind" >&2; continue; }
  for run in $(seq "$RUNS"); do run_once "$kind" "$run"; done
  for key in "${!FIG[@]}"; do
    case $key in "$kind "*) ;; *) continue ;; esac
    vals=${FIG[$key]%,}
    med=$(tr ',' '\n' <<<"$vals" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
    echo "functions $key median=$med runs=$vals"
  done | sort
done
echo "# raw output in $WORK" >&2
