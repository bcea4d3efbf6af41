#!/usr/bin/env bash
# Installs the pinned dependencies of the SDK test suites, idempotently, into the usual caches
# (~/.npm + node_modules/, ~/.m2, the Go module cache, the repo's .venv). Everything already cached
# is used offline first; a registry is asked only for what is missing, with timeouts, so an
# unreachable registry fails fast with a clear message instead of hanging.
#
#   sdk-tests/install.sh                  # every suite
#   sdk-tests/install.sh js-v3 go         # some suites
#
# Env: WSGATE_VENV (default: <repo>/.venv), SDK_INSTALL_TIMEOUT (seconds per step, 300).
# Suites: python cli js-v3 js-v2 go java backend-node backend-java.
# Tools it expects on PATH: node + npm (Node >= 18), go (>= 1.23), mvn + a JDK >= 17, python3.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
VENV=${WSGATE_VENV:-$REPO/.venv}
STEP_TIMEOUT=${SDK_INSTALL_TIMEOUT:-300}
ALL_SUITES="python cli js-v3 js-v2 go java backend-node backend-java"
SUITES=${*:-$ALL_SUITES}
FAILED=()

for s in $SUITES; do
    case " $ALL_SUITES " in *" $s "*) ;; *) echo "install.sh: unknown suite '$s' (known: $ALL_SUITES)" >&2; exit 2 ;; esac
done

log() { printf '[install %s] %s\n' "$1" "$2" >&2; }
fail() { log "$1" "FAILED: $2"; FAILED+=("$1"); }
need() { command -v "$1" >/dev/null 2>&1 || { fail "$2" "'$1' not found on PATH"; return 1; }; }
# run_step SUITE WHAT DIR CMD...: runs CMD in DIR with the step timeout; explains a failure.
run_step() {
    local suite=$1 what=$2 dir=$3; shift 3
    local t0=$SECONDS
    (cd "$dir" && exec timeout -k 10 "$STEP_TIMEOUT" "$@")
    local rc=$?
    if [ $rc -eq 124 ]; then
        fail "$suite" "$what timed out after ${STEP_TIMEOUT}s (registry unreachable or very slow?)"
    elif [ $rc -ne 0 ]; then
        fail "$suite" "$what exited with status $rc (is the package registry reachable? see the output above)"
    else
        log "$suite" "$what ok ($((SECONDS - t0))s)"
    fi
    return $rc
}

install_npm() { # suite dir
    local suite=$1 dir=$2
    need node "$suite" && need npm "$suite" || return
    # npm ci wipes node_modules first: skip it when the installed tree is newer than the lock file
    if [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ] &&
       [ "$dir/node_modules/.package-lock.json" -nt "$dir/package.json" ]; then
        log "$suite" "node_modules up to date with package-lock.json"
        return 0
    fi
    # --prefer-offline: tarballs already in ~/.npm are not fetched again; short fetch timeouts
    run_step "$suite" "npm ci" "$dir" npm ci --prefer-offline --no-audit --no-fund --loglevel=error \
        --fetch-timeout=20000 --fetch-retries=1 --fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=5000
}

install_maven() { # suite dir
    local suite=$1 dir=$2
    need mvn "$suite" && need java "$suite" || return
    # -Dgroups=...: runs surefire with no test selected, so its JUnit Platform provider is fetched
    # too (dependency:go-offline misses it). Try offline first: no network when everything is cached.
    local goals=(-B -q --no-transfer-progress dependency:go-offline test -Dgroups=wsgate-install-only)
    if (cd "$dir" && timeout -k 10 "$STEP_TIMEOUT" mvn -o "${goals[@]}" >/dev/null 2>&1); then
        log "$suite" "maven dependencies already cached"
        return 0
    fi
    run_step "$suite" "mvn dependency:go-offline" "$dir" mvn "${goals[@]}" \
        -Dmaven.wagon.http.retryHandler.count=1 -Dmaven.wagon.rto=20000 -Daether.connector.connectTimeout=15000 \
        -Daether.connector.requestTimeout=30000
}

install_go() {
    need go go || return
    # Offline first (GOPROXY=off); then the configured proxy. GOFLAGS=-mod=readonly: go.sum is the pin.
    if (cd "$HERE/go" && GOPROXY=off GOFLAGS=-mod=readonly timeout -k 10 "$STEP_TIMEOUT" go mod download >/dev/null 2>&1); then
        log go "modules already cached"
    else
        GOFLAGS=-mod=readonly run_step go "go mod download" "$HERE/go" go mod download || return
    fi
    # Compile the test binary now so that run.sh does not spend the compile time.
    GOFLAGS=-mod=readonly GOPROXY=off run_step go "go test (compile only)" "$HERE/go" go test -count=1 -run '^$' ./... >/dev/null
}

install_python() { # suite
    local suite=$1
    need python3 "$suite" || return
    if [ ! -x "$VENV/bin/python" ]; then
        run_step "$suite" "python3 -m venv $VENV" "$REPO" python3 -m venv "$VENV" || return
    fi
    local reqs=(-r "$REPO/tests/requirements.txt")
    [ "$suite" = cli ] && reqs+=(-r "$HERE/cli/requirements.txt")
    # pip does not touch the network when every pinned requirement is already satisfied
    run_step "$suite" "pip install" "$REPO" "$VENV/bin/python" -m pip install --disable-pip-version-check -q \
        --timeout 20 --retries 1 "${reqs[@]}"
}

for s in $SUITES; do
    case $s in
        python|cli)   install_python "$s" ;;
        js-v3)        install_npm js-v3 "$HERE/js-v3" ;;
        js-v2)        install_npm js-v2 "$HERE/js-v2" ;;
        backend-node) install_npm backend-node "$HERE/backends/node" ;;
        go)           install_go ;;
        java)         install_maven java "$HERE/java" ;;
        backend-java) install_maven backend-java "$HERE/backends/java" ;;
    esac
done

if [ ${#FAILED[@]} -gt 0 ]; then
    echo "install.sh: FAILED for: ${FAILED[*]}" >&2
    exit 1
fi
echo "install.sh: all requested suites installed ($SECONDS s)"
