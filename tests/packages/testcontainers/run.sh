#!/usr/bin/env bash
# Runs the Testcontainers modules for real against podman's Docker-compatible API:
#   1. the podman setup of scripts/podman-test.sh (config + base image, --base-only), then
#      `podman build` of the image from this tree as $IMAGE (layer cache: seconds after the container step);
#   2. `podman system service` on a private socket; DOCKER_HOST points at it. Ryuk is disabled
#      (TESTCONTAINERS_RYUK_DISABLED=true): its image cannot be pulled here (no registry) and the
#      tests stop their own containers; leftovers of this run are removed by ID at exit;
#   3. the Java module: JUnit 5 (mvn verify in packages/testcontainers-java, ~/.m2 cache);
#   4. the Node module: its packed tarball in a scratch project outside the repo, node:test.
# Usage: tests/packages/testcontainers/run.sh NPM_TARBALL_DIR      Exit 0 PASS, 1 FAIL.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
TARBALLS=$(realpath "${1:?usage: run.sh NPM_TARBALL_DIR}")
IMAGE=${WSGATE_PACKAGES_IMAGE:-wsgate:packages-test}
CACHE=${WSGATE_PODMAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wsgate-podman}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/wsgate-tc-test.XXXXXX")
SERVICE_PID=""
fail() { echo "testcontainers-test: FAIL: $*" >&2; exit 1; }
cleanup() {
    # Containers this run created (Ryuk is off): anything labelled by Testcontainers that was not there before.
    if [ -f "$TMP/before" ]; then
        podman ps -aq --filter label=org.testcontainers=true | sort >"$TMP/after"
        comm -13 "$TMP/before" "$TMP/after" | xargs -r podman rm -f -t 2 >/dev/null 2>&1
    fi
    if [ -n "$SERVICE_PID" ]; then
        kill "$SERVICE_PID" 2>/dev/null
        wait "$SERVICE_PID" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cd "$ROOT" || exit 1
bash scripts/podman-test.sh --base-only >"$TMP/base.log" 2>&1 || { cat "$TMP/base.log" >&2; fail "podman base image"; }
export CONTAINERS_CONF="$CACHE/containers.conf" CONTAINERS_STORAGE_CONF="$CACHE/storage.conf"
t0=$SECONDS
timeout 1200 podman build --format docker -t "$IMAGE" . >"$TMP/build.log" 2>&1 || { tail -30 "$TMP/build.log" >&2; fail "podman build"; }
echo "  ok   podman build -t $IMAGE ($((SECONDS - t0))s)"
podman ps -aq --filter label=org.testcontainers=true | sort >"$TMP/before"

podman system service --time=0 "unix://$TMP/podman.sock" >"$TMP/service.log" 2>&1 &
SERVICE_PID=$!
for _ in $(seq 1 100); do [ -S "$TMP/podman.sock" ] && break; sleep 0.1; done
[ -S "$TMP/podman.sock" ] || { cat "$TMP/service.log" >&2; fail "podman system service did not create its socket"; }
# TESTCONTAINERS_HOST_OVERRIDE: Testcontainers-Java sees it runs inside a container (this sandbox) and
# would reach mapped ports through the default gateway instead of loopback, where they are published.
export DOCKER_HOST="unix://$TMP/podman.sock" TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
echo "  ok   podman system service (pid $SERVICE_PID), DOCKER_HOST=$DOCKER_HOST, Ryuk disabled"

t0=$SECONDS
(cd packages/testcontainers-java && timeout -k 10 600 mvn -q -B verify -Dwsgate.image="localhost/$IMAGE" \
    -Dsurefire.printSummary=true) >"$TMP/mvn.log" 2>&1
rc=$?
grep -E 'Tests run:|FAIL|ERROR' "$TMP/mvn.log" | head -20
[ $rc -eq 0 ] || { tail -60 "$TMP/mvn.log" >&2; fail "JUnit (WsgateContainerTest)"; }
echo "  ok   Java: WsgateContainerTest passed ($((SECONDS - t0))s)"

t0=$SECONDS
mkdir "$TMP/node"
cp "$HERE/package.json" "$HERE"/*.test.js "$TMP/node/"
(cd "$TMP/node" && timeout 600 npm install --prefer-offline --no-audit --no-fund --loglevel=error --fetch-timeout=30000 \
    --fetch-retries=1 "$TARBALLS"/wsgate-testcontainers-[0-9]*.tgz) >"$TMP/npm.log" 2>&1 \
    || { tail -20 "$TMP/npm.log" >&2; fail "npm install"; }
(cd "$TMP/node" && WSGATE_IMAGE="localhost/$IMAGE" timeout -k 10 300 npm test --silent) 2>&1 \
    | grep -vE 'node >=22|upgrade to node|a\.co/|trace-warnings|first week|To continue receiving|^$'
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "node:test (@wsgate/testcontainers)"
echo "  ok   Node: @wsgate/testcontainers passed ($((SECONDS - t0))s)"
echo "testcontainers-test: PASS"
