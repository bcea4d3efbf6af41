#!/bin/sh
# HEALTHCHECK for the wsgate image: GET /health on the port wsgate was started with (written by the
# entrypoint; 3001 when unknown). Exit 0 = healthy, 1 = unhealthy.
port=$(cat "${TMPDIR:-/tmp}/wsgate.port" 2>/dev/null || true)
case "$port" in
    ''|*[!0-9]*|0) port=${WSGATE_PORT:-3001} ;;
esac
exec curl -fsS --max-time 3 -o /dev/null "http://127.0.0.1:${port}/health" || exit 1
