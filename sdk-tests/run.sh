#!/usr/bin/env bash
# Runs every real-SDK test suite against a freshly started wsgate, in each auth mode.
#
#   sdk-tests/run.sh                      # all suites, modes "sigv4 strict"
#   sdk-tests/run.sh python go            # some suites
#   SDK_TEST_MODES=strict sdk-tests/run.sh java
#   SDK_TEST_MODES=tls sdk-tests/run.sh python   # https:// and wss:// with only wsgate's CA trusted
#
# Mode "tls" runs the suites in TLS_SUITES over https:// and wss:// (auth sigv4), trusting wsgate's
# local CA only through the lines `wsgate ca` prints (NODE_EXTRA_CA_CERTS, AWS_CA_BUNDLE,
# SSL_CERT_FILE, JAVA_TOOL_OPTIONS): no SDK gets an "insecure" switch.
# Env: WSGATE_BIN (default: <repo>/build/wsgate), WSGATE_VENV (default: <repo>/.venv),
#      SDK_TEST_MODES ("sigv4 strict"), SDK_TEST_TIMEOUT (seconds per suite run, 300),
#      SDK_TEST_BUDGET (seconds for the whole run, 1200), SDK_TEST_LOGDIR (default: a temp dir).
# Suites: python cli js-v3 js-v2 go java backend-node backend-java.
# Needs the pinned dependencies: run sdk-tests/install.sh once (suites run offline).
# Each (mode, suite) gets its own wsgate on a free port (--port 0), stopped by PID afterwards.
# Exit status: 0 if every suite passed, 1 otherwise (2 on bad usage).
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
WSGATE_BIN=${WSGATE_BIN:-$REPO/build/wsgate}
VENV=${WSGATE_VENV:-$REPO/.venv}
MODES=${SDK_TEST_MODES:-sigv4 strict tls}
SUITE_TIMEOUT=${SDK_TEST_TIMEOUT:-300}
BUDGET=${SDK_TEST_BUDGET:-1200}
ALL_SUITES="python cli js-v3 js-v2 go java backend-node backend-java"
TLS_SUITES="python js-v3 go java backend-node"
SUITES=${*:-$ALL_SUITES}

KEY=AKIDWSGATE
SECRET=wsgate-secret

for s in $SUITES; do
    case " $ALL_SUITES " in *" $s "*) ;; *) echo "run.sh: unknown suite '$s' (known: $ALL_SUITES)" >&2; exit 2 ;; esac
done
for m in $MODES; do
    case $m in sigv4|strict|tls) ;; *) echo "run.sh: unknown mode '$m' (sigv4, strict or tls)" >&2; exit 2 ;; esac
done
if [ ! -x "$WSGATE_BIN" ]; then
    echo "run.sh: wsgate binary not found at $WSGATE_BIN (build it, or set WSGATE_BIN)" >&2
    exit 2
fi
WSGATE_BIN=$(cd "$(dirname "$WSGATE_BIN")" && pwd)/$(basename "$WSGATE_BIN")

LOGDIR=${SDK_TEST_LOGDIR:-$(mktemp -d "${TMPDIR:-/tmp}/wsgate-sdk-tests.XXXXXX")}
mkdir -p "$LOGDIR"

# Hermetic: no developer credentials, profiles or endpoint overrides leak into wsgate or the SDKs.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE \
      AWS_ENDPOINT_URL AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_REGION AWS_DEFAULT_REGION
export AWS_EC2_METADATA_DISABLED=true
export AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE=1
export WSGATE_BIN WSGATE_STAGE=local WSGATE_REGION=us-east-1
export WSGATE_ACCESS_KEY_ID=$KEY WSGATE_SECRET_ACCESS_KEY=$SECRET
# Suites must not touch the network: Go and Maven run offline, npm/pip are not called here.
export GOFLAGS=-mod=readonly GOPROXY=off GOTOOLCHAIN=local

# Mode tls: one local CA for the run; the trust lines exactly as `wsgate ca` prints them.
TLS_STATE=$LOGDIR/tls-state
tls_trust_on() {
    "$WSGATE_BIN" ca --state-dir "$TLS_STATE" >"$LOGDIR/wsgate-ca.txt" 2>&1 || { cat "$LOGDIR/wsgate-ca.txt"; return 1; }
    eval "$(grep -E '^  export ' "$LOGDIR/wsgate-ca.txt")"
    export WSGATE_TLS_STATE_DIR=$TLS_STATE
}
tls_trust_off() {
    unset NODE_EXTRA_CA_CERTS AWS_CA_BUNDLE REQUESTS_CA_BUNDLE SSL_CERT_FILE JAVA_TOOL_OPTIONS WSGATE_TLS_STATE_DIR
}

# gate_args MODE: wsgate's arguments for a mode. --test-control: the suites find their connectionId
# through GET /_wsgate/connections, which is otherwise guarded like @connections.
gate_args() {
    case $1 in
        strict) echo "--test-control --auth strict --credentials $KEY:$SECRET" ;;
        tls) echo "--test-control --auth sigv4 --state-dir $TLS_STATE" ;;
        *) echo "--test-control --auth $1" ;;
    esac
}

# suite_cmd SUITE: prints the directory and command of a suite (tab-separated).
suite_cmd() {
    case $1 in
        python)       printf '%s\t%s\n' "$HERE/python" "\"$VENV/bin/python\" -m pytest -q" ;;
        cli)          printf '%s\t%s\n' "$HERE/cli" "\"$VENV/bin/python\" -m pytest -q" ;;
        js-v3)        printf '%s\t%s\n' "$HERE/js-v3" "npm test --silent" ;;
        js-v2)        printf '%s\t%s\n' "$HERE/js-v2" "npm test --silent" ;;
        go)           printf '%s\t%s\n' "$HERE/go" "go test -count=1 -v ./..." ;;
        java)         printf '%s\t%s\n' "$HERE/java" "mvn -B -o --no-transfer-progress test" ;;
        backend-node) printf '%s\t%s\n' "$HERE/backends/node" "npm test --silent" ;;
        backend-java) printf '%s\t%s\n' "$HERE/backends/java" "mvn -B -o --no-transfer-progress test" ;;
    esac
}

# Preconditions that make a suite fail at once with a clear message instead of a confusing one.
precheck() {
    case $1 in
        python|cli)
            [ -x "$VENV/bin/python" ] || { echo "no venv at $VENV: run scripts/install-deps.sh and sdk-tests/install.sh"; return 1; } ;;
        js-v3|js-v2) [ -d "$HERE/$1/node_modules" ] || { echo "no node_modules: run sdk-tests/install.sh $1"; return 1; } ;;
        backend-node) [ -d "$HERE/backends/node/node_modules" ] || { echo "no node_modules: run sdk-tests/install.sh backend-node"; return 1; } ;;
    esac
    case $1 in
        js-*|backend-node) command -v node >/dev/null || { echo "node not found"; return 1; } ;;
        go) command -v go >/dev/null || { echo "go not found"; return 1; } ;;
        java|backend-java) command -v mvn >/dev/null || { echo "mvn not found"; return 1; } ;;
    esac
    return 0
}

START=$(date +%s)
PASSED=0 FAILED=0
SUMMARY=()
echo "sdk-tests: wsgate=$WSGATE_BIN modes=[$MODES] suites=[$SUITES] logs=$LOGDIR"
for mode in $MODES; do
    tls_trust_off
    if [ "$mode" = tls ] && ! tls_trust_on; then
        FAILED=$((FAILED + 1)); SUMMARY+=("FAIL  tls  (wsgate ca failed, see above)")
        continue
    fi
    for suite in $SUITES; do
        # mode tls: the SDKs the TLS issue names, and the sample backend (a handler building https://)
        [ "$mode" = tls ] && [[ " $TLS_SUITES " != *" $suite "* ]] && continue
        name="$mode/$suite"
        log="$LOGDIR/$mode-$suite.log"
        gatelog="$LOGDIR/$mode-$suite.wsgate.log"
        t0=$(date +%s)
        left=$(( BUDGET - (t0 - START) ))
        if [ "$left" -le 5 ]; then
            FAILED=$((FAILED + 1)); SUMMARY+=("FAIL  $name  (not run: SDK_TEST_BUDGET=${BUDGET}s used up)")
            continue
        fi
        limit=$(( SUITE_TIMEOUT < left ? SUITE_TIMEOUT : left ))
        status=0 note=
        if ! msg=$(precheck "$suite"); then
            status=1 note=" ($msg)"
            echo "$msg" >"$log"
        else
            case $suite in
                # the backend suites start their own wsgate with --backend; they only need the mode
                backend-*) export WSGATE_AUTH=$mode; [ "$mode" = tls ] && export WSGATE_AUTH=sigv4; unset WSGATE_URL WSGATE_PORT WSGATE_ENDPOINT WSGATE_WS_URL; gate=no ;;
                *) gate=yes ;;
            esac
            IFS=$'\t' read -r dir cmd < <(suite_cmd "$suite")
            if [ $gate = yes ]; then
                # the shared test kit starts wsgate on a free port, exports WSGATE_URL & co. to the
                # suite, and stops it by PID (tests/wsgatekit/with_gate.py)
                scheme=http
                [ "$mode" = tls ] && scheme=https
                export WSGATE_AUTH=$mode
                [ "$mode" = tls ] && export WSGATE_AUTH=sigv4
                # shellcheck disable=SC2046 # gate_args is a word list
                PYTHONPATH="$REPO/tests${PYTHONPATH:+:$PYTHONPATH}" "$VENV/bin/python" -m wsgatekit.with_gate \
                    --log "$gatelog" --scheme $scheme --timeout "$limit" --dir "$dir" --cmd "$cmd" \
                    -- $(gate_args "$mode") >"$log" 2>&1
                status=$?
            else
                (cd "$dir" && exec timeout -k 10 "$limit" bash -c "$cmd") >"$log" 2>&1
                status=$?
            fi
            [ "$status" -eq 124 ] && note=" (timed out after ${limit}s)"
            grep -q '^with_gate: wsgate: ' "$log" && note="$note (wsgate: see the log)"
        fi
        secs=$(( $(date +%s) - t0 ))
        if [ "$status" -eq 0 ]; then
            PASSED=$((PASSED + 1)); SUMMARY+=("ok    $name  ${secs}s")
            echo "ok    $name  ${secs}s"
        else
            FAILED=$((FAILED + 1)); SUMMARY+=("FAIL  $name  ${secs}s$note")
            echo "FAIL  $name  ${secs}s$note  -- last lines of $log:"
            tail -n 60 "$log" | sed 's/^/    | /'
            if [ -s "$gatelog" ]; then
                echo "    wsgate log ($gatelog), last lines:"
                tail -n 15 "$gatelog" | sed 's/^/    | /'
            fi
        fi
    done
done

echo
echo "sdk-tests summary ($(( $(date +%s) - START ))s, logs in $LOGDIR):"
printf '  %s\n' "${SUMMARY[@]}"
echo "sdk-tests: $PASSED passed, $FAILED failed"
[ "$PASSED" -gt 0 ] || { echo "sdk-tests: no suite ran" >&2; exit 1; }
[ "$FAILED" -eq 0 ]
