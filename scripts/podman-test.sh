#!/usr/bin/env bash
# Builds the wsgate container image with podman and tests it end to end:
#   1. installs podman, runc and debootstrap if missing (apt, idempotent);
#   2. writes a containers.conf/storage.conf into a cache dir (runc runtime, nofile/nproc ulimits that
#      work without CAP_SYS_RESOURCE, storage kept in the cache dir) and exports them;
#   3. creates the base image debian:bookworm-slim with debootstrap + podman import, only if it is
#      not there yet (no container registry needs to be reachable; the image is cached between runs);
#   4. podman build -t wsgate:test . (docker format, so HEALTHCHECK is kept);
#   5. container A, default bridge network, -p 127.0.0.1:FREE:3001, built-in demo backend:
#      /health, a real WebSocket client, a SigV4-signed PostToConnection (boto3) that the client must
#      receive, GetConnection, DeleteConnection, the HEALTHCHECK status and the non-root user;
#      https:// and wss:// on the same port with the CA from /var/lib/wsgate (`wsgate-entrypoint ca`);
#   6. container B, --network=host (so it reaches a tiny HTTP backend on the host's 127.0.0.1),
#      configured by WSGATE_* variables plus one explicit flag that must win over its variable:
#      $connect/$default/$disconnect reach the backend, --auth strict accepts the configured key and
#      rejects another one, the stage comes from WSGATE_STAGE.
# Every step is bounded in time; containers, the backend and temp files are removed on exit.
#
# Exit status: 0 PASS, 1 FAIL, 77 SKIP (this machine cannot run containers: no podman and no way to
# install it, or the runtime refuses to start a container).
#
# Environment knobs:
#   WSGATE_IMAGE=wsgate:test           tag to build and test
#   WSGATE_PODMAN_CACHE=DIR            config + storage + base image cache
#                                      (default ${XDG_CACHE_HOME:-$HOME/.cache}/wsgate-podman)
#   WSGATE_DEBIAN_MIRROR=URL           debootstrap mirror (default: the first Debian URI of this
#                                      machine's own apt sources; the image gets the same sources)
#   WSGATE_SKIP_BUILD=1                test an already built $WSGATE_IMAGE
#   WSGATE_KEEP_TMP=1                  keep the temp dir (build log, backend events) for debugging
#   PYTHON=PATH                        interpreter with websocket-client + boto3 (default .venv/bin/python)
# Usage: scripts/podman-test.sh [--base-only]
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

IMAGE=${WSGATE_IMAGE:-wsgate:test}
BASE_IMAGE=docker.io/library/debian:bookworm-slim
CACHE=${WSGATE_PODMAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wsgate-podman}
# The machine's own Debian mirror, read from its apt sources (deb822 .sources files, then the
# one-line sources.list); no mirror host is written in this repository.
host_debian_mirror() {
    { grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
      grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
          sed -E 's/^deb (\[[^]]*\] )?//' | awk '{print $1}'; } | grep -v -- '-security' | head -n 1
}
MIRROR=${WSGATE_DEBIAN_MIRROR:-$(host_debian_mirror)}
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
BASE_ONLY=0
[ "${1:-}" = "--base-only" ] && BASE_ONLY=1

RUN_ID="$$-$(date +%s)"
NAME_A="wsgate-test-a-$RUN_ID"
NAME_B="wsgate-test-b-$RUN_ID"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/wsgate-podman-test.XXXXXX")
BACKEND_PID=""
T0=$(date +%s)
declare -a TIMES=()

log() { printf '[podman-test %4ss] %s\n' "$(($(date +%s) - T0))" "$*" >&2; }
skip() { log "SKIP: $*"; echo "podman-test: SKIP ($*)"; exit 77; }
fail() {
    log "FAIL: $*"
    for n in "$NAME_A" "$NAME_B"; do
        if podman container exists "$n" 2>/dev/null; then
            log "---- last log lines of $n ----"
            podman logs --tail 30 "$n" >&2 2>&1 || true
        fi
    done
    echo "podman-test: FAIL ($*)"
    exit 1
}
# timed LABEL CMD...: runs CMD, records its wall time under LABEL.
timed() {
    local label=$1 s rc
    shift
    s=$(date +%s)
    "$@"
    rc=$?
    TIMES+=("$label=$(($(date +%s) - s))s")
    return $rc
}

cleanup() {
    local n
    for n in "$NAME_A" "$NAME_B"; do
        podman rm -f -t 2 "$n" >/dev/null 2>&1 || true
    done
    if [ -n "$BACKEND_PID" ]; then
        kill "$BACKEND_PID" 2>/dev/null || true
        wait "$BACKEND_PID" 2>/dev/null || true
    fi
    [ -n "${WSGATE_KEEP_TMP:-}" ] && echo "kept $TMP" >&2 || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- 1. tools
need=()
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v runc >/dev/null 2>&1 || need+=(runc)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null || skip "need ${need[*]} and cannot install them (not root, no sudo)"
        SUDO="sudo -n"
    fi
    command -v apt-get >/dev/null 2>&1 || skip "need ${need[*]} and there is no apt-get"
    log "installing ${need[*]}"
    timeout 300 $SUDO apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive timeout 600 $SUDO apt-get install -y -qq --no-install-recommends \
        podman runc debootstrap >"$TMP/apt.log" 2>&1 || { tail -5 "$TMP/apt.log" >&2; skip "apt-get install podman runc debootstrap failed"; }
fi

# ---------------------------------------------------------------- 2. podman configuration
mkdir -p "$CACHE/storage/root" "$CACHE/storage/run"
cat >"$CACHE/containers.conf" <<EOF
# Written by scripts/podman-test.sh. crun cannot run on cgroup v1/hybrid hosts, and without
# CAP_SYS_RESOURCE podman's default ulimits (nofile 1048576) cannot be set: use runc and lower limits.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
EOF
cat >"$CACHE/storage.conf" <<EOF
# Written by scripts/podman-test.sh: images and containers of this test live in the cache dir.
[storage]
driver = "${WSGATE_PODMAN_STORAGE_DRIVER:-overlay}"
graphroot = "$CACHE/storage/root"
runroot = "$CACHE/storage/run"
EOF
export CONTAINERS_CONF="$CACHE/containers.conf"
export CONTAINERS_STORAGE_CONF="$CACHE/storage.conf"
podman info >"$TMP/info.log" 2>&1 || { tail -5 "$TMP/info.log" >&2; skip "podman info fails"; }

# ---------------------------------------------------------------- 3. base image (cached)
make_base_image() {
    local rootfs="$CACHE/rootfs.$$"
    rm -rf "$rootfs"
    log "creating $BASE_IMAGE with debootstrap (minbase, $MIRROR)"
    [ -n "$MIRROR" ] || { log "no Debian mirror in this machine's apt sources; set WSGATE_DEBIAN_MIRROR"; return 1; }
    if ! timeout 600 debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" >"$TMP/debootstrap.log" 2>&1; then
        tail -5 "$TMP/debootstrap.log" >&2
        rm -rf "$rootfs"
        return 1
    fi
    # Make it look like the official slim image: deb822 sources with updates + security, no docs.
    rm -f "$rootfs/etc/apt/sources.list"
    # The image uses the machine's own apt sources (its mirror, updates and security suites).
    local f
    for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list; do
        [ -s "$f" ] && cp "$f" "$rootfs$f"
    done
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/usr/share/doc/*/changelog*
    tar -C "$rootfs" -c . | podman import -q --change 'CMD ["bash"]' - "$BASE_IMAGE" >/dev/null
    local rc=$?
    rm -rf "$rootfs"
    return $rc
}
if podman image exists "$BASE_IMAGE"; then
    log "base image $BASE_IMAGE present (cached)"
else
    timed base_image make_base_image || fail "could not create the base image $BASE_IMAGE"
fi

# Can this machine run a container at all?
if ! timeout 60 podman run --rm --network=none "$BASE_IMAGE" true >"$TMP/run.log" 2>&1; then
    tail -5 "$TMP/run.log" >&2
    skip "podman cannot start a container here: $(tail -1 "$TMP/run.log")"
fi
if [ "$BASE_ONLY" = 1 ]; then
    echo "podman-test: base image ready (${TIMES[*]:-cached})"
    exit 0
fi

# ---------------------------------------------------------------- 4. build
if [ "${WSGATE_SKIP_BUILD:-0}" != 1 ]; then
    log "podman build -t $IMAGE ."
    if ! timed build timeout 1200 podman build --format docker -t "$IMAGE" . >"$TMP/build.log" 2>&1; then
        tail -40 "$TMP/build.log" >&2
        fail "podman build failed"
    fi
    grep -E 'tests passed|tests failed' "$TMP/build.log" | tail -1 >&2 || true
    # Tag this build's build stage (cached: ~1 s) so that pruning dangling images drops only the
    # leftovers of earlier builds (~700 MB each) and keeps the layer cache for the next build.
    timeout 300 podman build --format docker --target build -t "$IMAGE-buildstage" . >>"$TMP/build.log" 2>&1 \
        && podman image prune -f >/dev/null 2>&1 || true
fi
podman image exists "$IMAGE" || fail "image $IMAGE does not exist"
log "image size: $(podman image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%.1f MB", $1/1e6}')"

# ---------------------------------------------------------------- helpers
[ -x "$PYTHON" ] || PYTHON=$(command -v python3)
"$PYTHON" -c 'import websocket, boto3' 2>/dev/null \
    || fail "$PYTHON lacks websocket-client/boto3 (run scripts/install-deps.sh)"
# The Python side is the shared test kit (tests/wsgatekit): free ports, the recording backend
# (`-m wsgatekit.backend`) and the end-to-end checks through a container (`-m wsgatekit.container_check`).
export PYTHONPATH="$ROOT/tests${PYTHONPATH:+:$PYTHONPATH}"
free_port() { "$PYTHON" -m wsgatekit.net; }

wait_health() { # wait_health URL NAME
    local i
    for i in $(seq 1 100); do
        curl -fsS --max-time 2 "$1" >/dev/null 2>&1 && return 0
        podman container exists "$2" && [ "$(podman inspect --format '{{.State.Running}}' "$2")" = true ] \
            || fail "container $2 exited before /health answered"
        sleep 0.2
    done
    return 1
}

# ---------------------------------------------------------------- 5. container A: bridge + -p
run_a() {
    PORT_A=$(free_port)
    log "container A: podman run -p 127.0.0.1:$PORT_A:3001 $IMAGE (demo backend)"
    # Without systemd podman logs "unable to get systemd connection to add healthchecks" (no periodic
    # health timer); the container runs, and `podman healthcheck run` below checks it on demand.
    podman run -d --name "$NAME_A" -p "127.0.0.1:$PORT_A:3001" "$IMAGE" >/dev/null 2>"$TMP/run-a.err" \
        || { cat "$TMP/run-a.err" >&2; fail "podman run (container A) failed"; }
    wait_health "http://127.0.0.1:$PORT_A/health" "$NAME_A" || fail "container A: /health not ready within 20 s"
    curl -fsS "http://127.0.0.1:$PORT_A/health" >&2; echo >&2
    timeout 60 "$PYTHON" -m wsgatekit.container_check "http://127.0.0.1:$PORT_A" local >&2 || fail "container A: end-to-end checks"

    # TLS on the same port, with the CA the image made in /var/lib/wsgate (WSGATE_STATE_DIR)
    podman exec "$NAME_A" wsgate-entrypoint ca >"$TMP/ca-a.txt" 2>&1 || { cat "$TMP/ca-a.txt" >&2; fail "container A: wsgate ca"; }
    [ "$(head -n1 "$TMP/ca-a.txt")" = /var/lib/wsgate/ca.pem ] || fail "container A: the CA is not in /var/lib/wsgate"
    podman exec "$NAME_A" cat /var/lib/wsgate/ca.pem >"$TMP/ca-a.pem" || fail "container A: cannot read ca.pem"
    curl -fsS --cacert "$TMP/ca-a.pem" "https://127.0.0.1:$PORT_A/health" >/dev/null || fail "container A: https:// with the CA"
    timeout 30 "$PYTHON" -c '
import json, sys, websocket
ws = websocket.create_connection(sys.argv[1], sslopt={"ca_certs": sys.argv[2]}, timeout=10)
ws.send(json.dumps({"action": "echo", "message": "over tls"}))
reply = ws.recv()
assert "over tls" in reply, reply
ws.close()
' "wss://127.0.0.1:$PORT_A/local" "$TMP/ca-a.pem" >&2 || fail "container A: wss:// echo with the CA"
    log "  ok   https:// and wss:// on the same port with the image's CA (/var/lib/wsgate)"

    local uid
    uid=$(podman exec "$NAME_A" id -u) || fail "podman exec id -u"
    [ -n "$uid" ] && [ "$uid" != 0 ] || fail "wsgate runs as root (uid=$uid)"
    log "  ok   process runs as uid $uid ($(podman top "$NAME_A" user comm 2>/dev/null | tail -1 | tr -s ' '))"

    # HEALTHCHECK: needs the docker image format (kept by --format docker above).
    local hc
    hc=$(podman image inspect --format '{{if .HealthCheck}}{{.HealthCheck.Test}}{{end}}' "$IMAGE" 2>/dev/null)
    [ -n "$hc" ] || fail "image has no HEALTHCHECK"
    timeout 20 podman healthcheck run "$NAME_A" >&2 || fail "podman healthcheck run: unhealthy"
    local st
    st=$(podman inspect --format '{{.State.Health.Status}}' "$NAME_A" 2>/dev/null || podman inspect --format '{{.State.Healthcheck.Status}}' "$NAME_A")
    [ "$st" = healthy ] || fail "health status is '$st'"
    log "  ok   HEALTHCHECK $hc -> $st"

    # (2>/dev/null: without systemd podman also logs that it cannot remove the health timer)
    podman stop -t 10 "$NAME_A" >/dev/null 2>"$TMP/stop-a.err" || { cat "$TMP/stop-a.err" >&2; fail "podman stop"; }
    local code
    code=$(podman inspect --format '{{.State.ExitCode}}' "$NAME_A")
    [ "$code" != 137 ] || fail "wsgate ignored SIGTERM (killed after 10 s)"
    log "  ok   stopped by SIGTERM (exit code $code)"
    podman rm "$NAME_A" >/dev/null 2>&1 || fail "podman rm"
}

# ---------------------------------------------------------------- 6. container B: host net + env
run_b() {
    local bport port_b
    bport=$(free_port)
    port_b=$(free_port)
    : >"$TMP/events.jsonl"
    "$PYTHON" -m wsgatekit.backend "$bport" "$TMP/events.jsonl" &
    BACKEND_PID=$!
    log "container B: --network=host, WSGATE_* env, backend on 127.0.0.1:$bport, explicit --port $port_b"
    podman run -d --name "$NAME_B" --network=host \
        -e WSGATE_HOST=127.0.0.1 -e WSGATE_PORT=1 -e WSGATE_STAGE=ci \
        -e WSGATE_BACKEND="http://127.0.0.1:$bport/events" \
        -e WSGATE_AUTH=strict -e WSGATE_CREDENTIALS="AKIDWSGATETEST:wsgate-test-secret,AKIDOTHER:x" \
        -e WSGATE_REGION=us-east-1 -e WSGATE_API_ID=podmantest -e WSGATE_VERBOSE=1 \
        -e WSGATE_INTEGRATION_TIMEOUT=5000 \
        "$IMAGE" --port "$port_b" >/dev/null 2>"$TMP/run-b.err" \
        || { cat "$TMP/run-b.err" >&2; fail "podman run (container B) failed"; }
    wait_health "http://127.0.0.1:$port_b/health" "$NAME_B" \
        || fail "container B: /health not ready on the explicit --port $port_b within 20 s"
    log "  ok   explicit --port $port_b won over WSGATE_PORT=1"
    timeout 60 "$PYTHON" -m wsgatekit.container_check "http://127.0.0.1:$port_b" ci "$TMP/events.jsonl" strict >&2 \
        || fail "container B: end-to-end checks"
    # secrets stay out of the command line (world-readable in /proc): WSGATE_CREDENTIALS is read
    # by wsgate from its environment
    podman exec "$NAME_B" cat /proc/1/cmdline | tr '\0' ' ' | grep -q wsgate-test-secret \
        && fail "container B: the secret key is on wsgate's command line"
    log "  ok   WSGATE_CREDENTIALS is not on the command line"
    podman rm -f -t 10 "$NAME_B" >/dev/null 2>&1 || fail "podman rm (B)"
}

timed run_a run_a
timed run_b run_b

log "times: ${TIMES[*]}"
echo "podman-test: PASS (image $IMAGE; ${TIMES[*]}; total $(($(date +%s) - T0))s)"
