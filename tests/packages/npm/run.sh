#!/usr/bin/env bash
# Installs the packed npm tarballs into a scratch project OUTSIDE the repository (mktemp) and runs:
# `npx wsgate --version` / `--help`, the Jest test and the Vitest test (startWsgate + ws + SDK v3),
# and the clear error of an install without the platform package.
# Usage: tests/packages/npm/run.sh TARBALL_DIR       (from packages/npm/build.sh)
# Registry traffic: only the pinned test tools of package.json (cached in ~/.npm, --prefer-offline).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TARBALLS=$(realpath "${1:?usage: run.sh TARBALL_DIR}")
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/wsgate-npm-test.XXXXXX")
# wsgate processes started from this scratch dir's packages (a unique path): none may outlive the tests.
leftovers() { pgrep -f "^$SCRATCH/\S*/bin/wsgate( |\$)"; }
cleanup() {
    local pids
    pids=$(leftovers) && kill $pids 2>/dev/null
    rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail() { echo "npm-test: FAIL: $*" >&2; exit 1; }
NPM_FLAGS=(--prefer-offline --no-audit --no-fund --loglevel=error --fetch-timeout=30000 --fetch-retries=1)

main=$(ls "$TARBALLS"/wsgate-[0-9]*.tgz) && plat=$(ls "$TARBALLS"/wsgate-linux-x64-*.tgz) || fail "tarballs missing in $TARBALLS"
cp "$HERE/package.json" "$HERE"/*.test.* "$HERE/types-check.ts" "$SCRATCH/"
cd "$SCRATCH" || exit 1
# The platform package is named explicitly: it is not in any registry yet, and wsgate's optional
# dependency on it is satisfied by the tarball instead of a registry lookup.
timeout 600 npm install "${NPM_FLAGS[@]}" "$main" "$plat" >npm-install.log 2>&1 \
    || { tail -20 npm-install.log >&2; fail "npm install"; }
[ -x node_modules/@wsgate/linux-x64/bin/wsgate ] || fail "the platform package was not installed"

v=$(timeout 20 npx --no-install wsgate --version) || fail "npx wsgate --version"
echo "  ok   npx wsgate --version -> $v"
timeout 20 npx --no-install wsgate --help 2>&1 | grep -q -- '--backend' || fail "npx wsgate --help"
echo "  ok   npx wsgate --help"
# Exit status and signals pass through the wrapper: a bad flag is wsgate's exit 2.
timeout 20 npx --no-install wsgate --no-such-flag >/dev/null 2>&1
[ $? -eq 2 ] || fail "npx wsgate --no-such-flag should exit 2"
echo "  ok   npx wsgate passes the exit status through (bad flag -> 2)"

timeout -k 10 120 npm run --silent test:types || fail "the TypeScript types (tsc --strict on types-check.ts)"
echo "  ok   index.d.ts: types-check.ts compiles with tsc --strict"
timeout -k 10 300 npm run --silent test:jest 2>&1 | tail -20
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "Jest"
timeout -k 10 300 npm run --silent test:vitest 2>&1 | tail -12
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "Vitest"

# Without the platform package: a clear error, no stack trace.
rm -rf node_modules/@wsgate/linux-x64
out=$(timeout 20 npx --no-install wsgate --version 2>&1)
[ $? -eq 1 ] && grep -q 'the package @wsgate/linux-x64, which carries the linux-x64 binary, is not installed' <<<"$out" \
    || fail "missing platform package: got: $out"
echo "  ok   without @wsgate/linux-x64: '$(head -1 <<<"$out")'"
pids=$(leftovers) && fail "wsgate processes left running after the tests: $pids"
echo "  ok   no wsgate process left running"
echo "npm-test: PASS"
