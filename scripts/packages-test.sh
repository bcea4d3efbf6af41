#!/usr/bin/env bash
# Builds every package from the current tree and tests each the way a user gets it (the test
# command's "packages" step):
#   dist            scripts/build-dist.sh, then run in a bare debian:bookworm-slim container
#                   (tests/packages/dist_test.sh): WebSocket round trip + signed PostToConnection
#   npm             packages/npm/build.sh (npm pack), installed into a scratch project outside the
#                   repo: npx wsgate, Jest and Vitest tests (startWsgate + ws + SDK v3)
#   python          packages/python/build.sh (the wheel), installed into a fresh virtualenv outside
#                   the repo: the pytest plugin's fixture with websockets + boto3
#   testcontainers  the image built from this tree, podman system service as the Docker API:
#                   WsgateContainer (JUnit 5) and @wsgate/testcontainers (node:test)
#   workflow        actionlint on .github/workflows/release.yml
# Every part runs even if an earlier one failed (those that need an artifact that failed to build
# fail too); each is bounded in time; temp dirs are removed and background processes stopped by PID.
# Exit 0 only if every part passed: nothing is skipped.
#
# Env: WSGATE_PACKAGES_ONLY="dist npm" runs some parts only (local use; CI runs all).
#      PYTHON (default python3): builds the wheel and makes the test virtualenv.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
[ -d /usr/local/go/bin ] && export PATH="$PATH:/usr/local/go/bin"
export PATH="$PATH:${GOBIN:-$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin}"
PYTHON=${PYTHON:-python3}
ONLY=" ${WSGATE_PACKAGES_ONLY:-dist npm python testcontainers workflow} "
TMP=$(mktemp -d "${TMPDIR:-/tmp}/wsgate-packages.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
T0=$SECONDS
results=()
failed=0

part() { # NAME SECONDS COMMAND...: runs COMMAND bounded by SECONDS (then SIGTERM, SIGKILL 10 s later)
    local name=$1 limit=$2 start=$SECONDS rc
    shift 2
    [[ "$ONLY" == *" $name "* ]] || return 0
    echo "--- [packages/$name] $*"
    timeout -k 10 "$limit" "$@"
    rc=$?
    if [ $rc -eq 0 ]; then
        results+=("PASS  $name ($((SECONDS - start))s)")
    else
        [ $rc -eq 124 ] && echo "packages/$name: timed out after ${limit}s" >&2
        results+=("FAIL  $name ($((SECONDS - start))s, exit $rc)")
        failed=$((failed + 1))
    fi
    return $rc
}

build_dist() {
    bash scripts/build-dist.sh "$TMP/dist" >"$TMP/dist.path" || return 1
    tar -C "$TMP/dist" -tzf "$(tail -1 "$TMP/dist.path")" >/dev/null || return 1
    DIST=$(ls -d "$TMP"/dist/wsgate-*-linux-x64)
    cat "$DIST/share/doc/wsgate/BUILD-INFO"
}
dist_test() { build_dist && bash tests/packages/dist_test.sh "$DIST"; }
npm_test() {
    [ -n "${DIST:-}" ] || build_dist >/dev/null || return 1
    bash packages/npm/build.sh "$DIST" "$TMP/npm" && bash tests/packages/npm/run.sh "$TMP/npm"
}
python_test() {
    [ -n "${DIST:-}" ] || build_dist >/dev/null || return 1
    local wheel
    wheel=$(bash packages/python/build.sh "$DIST" "$TMP/wheel" "$PYTHON") && echo "built $(basename "$wheel")" \
        && bash tests/packages/python/run.sh "$wheel" "$PYTHON"
}
testcontainers_test() {
    ls "$TMP"/npm/wsgate-testcontainers-*.tgz >/dev/null 2>&1 || {
        [ -n "${DIST:-}" ] || build_dist >/dev/null || return 1
        bash packages/npm/build.sh "$DIST" "$TMP/npm" >/dev/null || return 1
    }
    bash tests/packages/testcontainers/run.sh "$TMP/npm"
}
workflow_test() {
    command -v actionlint >/dev/null 2>&1 \
        || { echo "actionlint is missing: scripts/install-deps.sh --all installs it (go install)" >&2; return 1; }
    actionlint -version | head -1
    # actionlint also runs ShellCheck on every run: block when it is installed (install-deps.sh --all).
    actionlint -no-color .github/workflows/release.yml && echo "actionlint: release.yml ok"
}

# The dist is built inside the dist part; the others build it themselves if that part is not run.
# Functions run in this shell (not a subshell) so DIST carries over, hence the `timeout` on bash -c.
export -f build_dist dist_test npm_test python_test testcontainers_test workflow_test
export TMP PYTHON
part dist 300 bash -c 'dist_test'
DIST=$(ls -d "$TMP"/dist/wsgate-*-linux-x64 2>/dev/null | head -1)
export DIST
part npm 420 bash -c 'npm_test'
part python 420 bash -c 'python_test'
part testcontainers 900 bash -c 'testcontainers_test'
part workflow 300 bash -c 'workflow_test'

echo "--- packages summary ($((SECONDS - T0))s)"
for r in "${results[@]}"; do echo "  $r"; done
[ ${#results[@]} -gt 0 ] || { echo "packages: nothing ran (WSGATE_PACKAGES_ONLY='$ONLY')" >&2; exit 1; }
[ "$failed" -eq 0 ]
