#!/usr/bin/env bash
# Runs the relocatable dist (scripts/build-dist.sh) inside a bare debian:bookworm-slim container:
# none of wsgate's libraries installed (the image has no libssl3, libcurl4, libh2o...; checked
# first), the dist mounted read-only, run as an unprivileged user, host network on 127.0.0.1.
# Passes: every library resolves inside the dist; --version; /health; a WebSocket round trip through
# the demo backend (its own signed PostToConnection through the carried libcurl + OpenSSL); a
# boto3-signed PostToConnection under --auth strict that the client receives; an unknown key gets
# 403; SIGTERM stops it with exit status 0.
#
# Usage: tests/packages/dist_test.sh DIST_DIR     (the unpacked dist/wsgate-VERSION-linux-x64)
# Uses the podman configuration and base image of scripts/podman-test.sh (created with --base-only
# if missing). Exit 0 PASS, 1 FAIL.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
DIST=$(realpath "${1:?usage: dist_test.sh DIST_DIR}")
# the client side: websocket-client + boto3 (the test venv of scripts/install-deps.sh)
PYTHON=${WSGATE_CLIENT_PYTHON:-$ROOT/.venv/bin/python}
CACHE=${WSGATE_PODMAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wsgate-podman}
BASE_IMAGE=docker.io/library/debian:bookworm-slim
NAME="wsgate-dist-test-$$"
LOG=$(mktemp "${TMPDIR:-/tmp}/wsgate-dist-test.XXXXXX")

fail() { echo "dist-test: FAIL: $*" >&2; podman logs --tail 30 "$NAME" >&2 2>/dev/null; exit 1; }
cleanup() { podman rm -f -t 2 "$NAME" >/dev/null 2>&1 || true; rm -f "$LOG"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ -x "$DIST/bin/wsgate" ] || fail "$DIST/bin/wsgate missing"
bash scripts/podman-test.sh --base-only >"$LOG" 2>&1 || { cat "$LOG" >&2; fail "no podman base image"; }
export CONTAINERS_CONF="$CACHE/containers.conf" CONTAINERS_STORAGE_CONF="$CACHE/storage.conf"

in_bare() { timeout 60 podman run --rm --network=none --user 65534:65534 -v "$DIST:/opt/wsgate:ro" "$BASE_IMAGE" "$@"; }

# The image really is bare: none of the libraries the dist carries is installed.
present=$(in_bare sh -c 'for l in libssl.so.3 libcrypto.so.3 libcurl.so.4 libh2o-evloop.so.0.13 libwslay.so.1 libjansson.so.4 libyaml-0.so.2; do
    for d in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu; do [ -e "$d/$l" ] && echo "$l"; done; done' | sort -u)
[ -z "$present" ] || fail "the base image is not bare, it has: $present"
echo "  ok   the container has none of libssl3/libcurl4/libh2o/libwslay/libjansson/libyaml"
missing=$(in_bare ldd /opt/wsgate/bin/wsgate | grep 'not found')
[ -z "$missing" ] || fail "unresolved in the container: $missing"
outside=$(in_bare ldd /opt/wsgate/bin/wsgate | awk '$2 == "=>" {print $1, $3}' \
    | grep -vE '^(libc|libm|libpthread|libdl|librt|libresolv|libgcc_s)\.so|/opt/wsgate/' || true)
[ -z "$outside" ] || fail "resolved outside the dist: $outside"
echo "  ok   every library resolves inside /opt/wsgate/lib or to glibc"
ver=$(in_bare /opt/wsgate/bin/wsgate --version) || fail "--version"
echo "  ok   $ver"

PORT=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
podman run -d --name "$NAME" --network=host --user 65534:65534 -v "$DIST:/opt/wsgate:ro" "$BASE_IMAGE" \
    /opt/wsgate/bin/wsgate --host 127.0.0.1 --port "$PORT" --auth strict --test-control \
    --credentials AKIDDISTTEST:dist-test-secret >/dev/null || fail "podman run"
for _ in $(seq 1 100); do
    curl -fsS --max-time 2 "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
    [ "$(podman inspect --format '{{.State.Running}}' "$NAME" 2>/dev/null)" = true ] || fail "wsgate exited"
    sleep 0.2
done
curl -fsS --max-time 2 "http://127.0.0.1:$PORT/health" >/dev/null || fail "/health not ready in 20 s"
echo "  ok   /health answers on 127.0.0.1:$PORT"
timeout 60 "$PYTHON" tests/packages/dist_roundtrip.py "http://127.0.0.1:$PORT" local AKIDDISTTEST dist-test-secret \
    || fail "round trip"
podman stop -t 10 "$NAME" >/dev/null 2>&1 || fail "podman stop"
code=$(podman inspect --format '{{.State.ExitCode}}' "$NAME")
[ "$code" = 0 ] || fail "exit status $code after SIGTERM"
echo "  ok   SIGTERM -> exit 0"
echo "dist-test: PASS"
