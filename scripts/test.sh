#!/usr/bin/env bash
# The README's second command, and what CI runs (.ci/run): install, build and run every test.
#
# Steps: unit tests (CTest/Check), end-to-end tests (real binary, real clients, real backend),
# conformance against the recorded AWS fixtures, SDK tests (Java, JS v2/v3, Python, Go, AWS CLI),
# fuzz-corpus replay, the same unit/e2e/conformance run on an ASan+UBSan build, and the container
# test (podman). Every step runs even when an earlier one failed; the exit status is non-zero if
# any failed. Set WSGATE_SKIP="sdk container asan" (space-separated step names) to skip steps
# locally; CI skips nothing.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
[ -d /usr/local/go/bin ] && export PATH="$PATH:/usr/local/go/bin"
JOBS=$(nproc)
SKIP=" ${WSGATE_SKIP:-} "
passed=0
failed=0
skipped=0
summary=()

step() { # NAME COMMAND...
    local name=$1
    shift
    if [[ "$SKIP" == *" $name "* ]]; then
        summary+=("SKIP  $name")
        skipped=$((skipped + 1))
        return 0
    fi
    echo
    echo "=== [$name] $*"
    local start=$SECONDS rc
    "$@"
    rc=$?
    local took=$((SECONDS - start))
    if [ $rc -eq 0 ]; then
        summary+=("PASS  $name (${took}s)")
        passed=$((passed + 1))
    elif [ $rc -eq 77 ]; then
        summary+=("SKIP  $name (${took}s): environment cannot run it, see its output")
        skipped=$((skipped + 1))
    else
        summary+=("FAIL  $name (${took}s, exit $rc)")
        failed=$((failed + 1))
    fi
}

build() { # DIR EXTRA_CMAKE_ARGS...
    local dir=$1
    shift
    cmake -S . -B "$dir" -DWSGATE_WERROR=ON "$@" >/dev/null && cmake --build "$dir" -j"$JOBS"
}

py() { "$ROOT/.venv/bin/python" "$@"; }

step install bash scripts/install-deps.sh --all || true
step build build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
step unit bash -c "cd build && ctest --output-on-failure"
step e2e env WSGATE_BIN="$ROOT/build/wsgate" "$ROOT/.venv/bin/python" -m pytest tests/e2e -q -p no:cacheprovider
[ -f conformance/run.py ] && step conformance env WSGATE_BIN="$ROOT/build/wsgate" "$ROOT/.venv/bin/python" conformance/run.py
[ -f sdk-tests/run.sh ] && step sdk-install bash sdk-tests/install.sh
[ -f sdk-tests/run.sh ] && step sdk env WSGATE_BIN="$ROOT/build/wsgate" bash sdk-tests/run.sh
[ -f scripts/fuzz-replay.sh ] && step fuzz-replay bash scripts/fuzz-replay.sh

# The same tests on an AddressSanitizer + UndefinedBehaviorSanitizer build.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
step asan-build build build-asan -DCMAKE_BUILD_TYPE=Debug -DWSGATE_SANITIZE=ON
step asan-unit bash -c "cd build-asan && ctest --output-on-failure"
step asan-e2e env WSGATE_BIN="$ROOT/build-asan/wsgate" "$ROOT/.venv/bin/python" -m pytest tests/e2e -q -p no:cacheprovider
[ -f conformance/run.py ] && step asan-conformance env WSGATE_BIN="$ROOT/build-asan/wsgate" "$ROOT/.venv/bin/python" conformance/run.py

[ -f scripts/podman-test.sh ] && step container bash scripts/podman-test.sh
step packages bash scripts/packages-test.sh

echo
echo "=== summary"
for line in "${summary[@]}"; do echo "  $line"; done
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
