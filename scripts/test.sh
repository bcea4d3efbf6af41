#!/usr/bin/env bash
# The README's second command, and what CI runs (.ci/run): install, build and run every test.
#
# Steps: formatting and the include graph (check-format.sh, check-includes.sh), unit tests (CTest/Check), end-to-end tests (real binary, real clients, real backend),
# conformance against the recorded AWS fixtures, Autobahn|Testsuite (scripts/autobahn.sh), SDK tests
# (Java, JS v2/v3, Python, Go, AWS CLI),
# fuzz-corpus replay, the same unit/e2e/conformance run on an ASan+UBSan build, and the container
# test (podman). Every step runs even when an earlier one failed; the exit status is non-zero if
# any failed.
#
# Fails closed: a step whose script is missing fails (it is reported, never dropped), and a suite
# that ran no case fails (ctest --no-tests=error, pytest's exit 5, the runners' own counts). Locally,
# WSGATE_SKIP="sdk container asan-e2e" (space-separated step names) skips steps, and a step that
# cannot run here (exit 77) is reported as SKIP. In CI (CI=true) every skip is a failure unless
# .ci/allowed-skips names the step with its reason.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
[ -d /usr/local/go/bin ] && export PATH="$PATH:/usr/local/go/bin"
JOBS=$(nproc)
SKIP=" ${WSGATE_SKIP:-} "
IN_CI=0
[ "${CI:-}" = true ] && IN_CI=1
passed=0
failed=0
skipped=0
summary=()

# The reason .ci/allowed-skips gives for skipping step $1, or nothing.
allowed_skip() {
    [ -f .ci/allowed-skips ] || return 0
    sed -n "s/^$1:[[:space:]]*//p" .ci/allowed-skips | head -n 1
}

record_skip() { # NAME WHY
    local reason
    reason=$(allowed_skip "$1")
    if [ $IN_CI -eq 1 ] && [ -z "$reason" ]; then
        summary+=("FAIL  $1: skipped ($2), and .ci/allowed-skips does not allow it in CI")
        failed=$((failed + 1))
    else
        summary+=("SKIP  $1: $2${reason:+ (allowed: $reason)}")
        skipped=$((skipped + 1))
    fi
}

step() { # NAME COMMAND...
    local name=$1
    shift
    if [[ "$SKIP" == *" $name "* ]]; then
        record_skip "$name" "WSGATE_SKIP"
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
        record_skip "$name" "the environment cannot run it (${took}s), see its output"
    else
        summary+=("FAIL  $name (${took}s, exit $rc)")
        failed=$((failed + 1))
    fi
}

# step_file NAME FILE COMMAND...: a step that runs FILE; a missing FILE fails the step.
step_file() {
    local name=$1 file=$2
    shift 2
    if [ ! -e "$file" ]; then
        summary+=("FAIL  $name: $file is missing")
        failed=$((failed + 1))
        return 0
    fi
    step "$name" "$@"
}

build() { # DIR EXTRA_CMAKE_ARGS...
    local dir=$1
    shift
    cmake -S . -B "$dir" -DWSGATE_WERROR=ON "$@" >/dev/null && cmake --build "$dir" -j"$JOBS"
}

py() { "$ROOT/.venv/bin/python" "$@"; }

step install bash scripts/install-deps.sh --all || true
step build build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
step_file format scripts/check-format.sh bash -c "bash scripts/check-format.sh && bash scripts/check-source-tour.sh"
step_file includes scripts/check-includes.sh bash scripts/check-includes.sh
step unit bash -c "cd build && ctest --output-on-failure --no-tests=error"
step e2e env WSGATE_BIN="$ROOT/build/wsgate" "$ROOT/.venv/bin/python" -m pytest tests/e2e -q -p no:cacheprovider
step_file conformance conformance/run.py env WSGATE_BIN="$ROOT/build/wsgate" "$ROOT/.venv/bin/python" conformance/run.py
step_file autobahn scripts/autobahn.sh env WSGATE_BIN="$ROOT/build/wsgate" bash scripts/autobahn.sh
step_file sdk-install sdk-tests/install.sh bash sdk-tests/install.sh
step_file sdk sdk-tests/run.sh env WSGATE_BIN="$ROOT/build/wsgate" bash sdk-tests/run.sh
step_file fuzz-replay scripts/fuzz-replay.sh bash scripts/fuzz-replay.sh

# The same tests on an AddressSanitizer + UndefinedBehaviorSanitizer build.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
step asan-build build build-asan -DCMAKE_BUILD_TYPE=Debug -DWSGATE_SANITIZE=ON
step asan-unit bash -c "cd build-asan && ctest --output-on-failure --no-tests=error"
step asan-e2e env WSGATE_BIN="$ROOT/build-asan/wsgate" "$ROOT/.venv/bin/python" -m pytest tests/e2e -q -p no:cacheprovider
step_file asan-conformance conformance/run.py env WSGATE_BIN="$ROOT/build-asan/wsgate" "$ROOT/.venv/bin/python" conformance/run.py

step_file container scripts/podman-test.sh bash scripts/podman-test.sh
step_file packages scripts/packages-test.sh bash scripts/packages-test.sh

echo
echo "=== summary"
for line in "${summary[@]}"; do echo "  $line"; done
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
