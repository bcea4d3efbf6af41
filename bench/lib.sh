# shellcheck shell=bash
# bench/lib.sh: process handling shared by the project's bench scripts (sourced, not run).
# Everything started is recorded in STARTED and stopped by PID on exit (TERM, then KILL after
# STOP_WAIT_TENTHS tenths of a second; valgrind needs longer than a plain binary).
STARTED=()
STOP_WAIT_TENTHS=${STOP_WAIT_TENTHS:-50}
stop_pid() {
  local pid=$1 _
  kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  for _ in $(seq "$STOP_WAIT_TENTHS"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}
cleanup() { local p; for p in "${STARTED[@]}"; do stop_pid "$p"; done; STARTED=(); }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# wait_port PORT PID [TRIES of 50 ms]: until PORT accepts, or PID exits
wait_port() { local _; for _ in $(seq "${3:-200}"); do port_open "$1" && return 0; kill -0 "$2" 2>/dev/null || return 1; sleep 0.05; done; return 1; }
# kv NAME LINE: the value of NAME=VALUE in a harness result line
kv() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<" $2" | head -1; }
# tls_nginx_conf DIR PORT STATE_DIR TOP_LINE CONNECTIONS: writes DIR/nginx.conf for the TLS reference:
# nginx on 127.0.0.1:PORT with wsgate's own leaf and key from STATE_DIR, TLS 1.2+, `return 200` for
# every path; TOP_LINE is the process model ("worker_processes 1;" or, under valgrind, "master_process off;").
tls_nginx_conf() {
  local d=$1 port=$2 state=$3 top=$4 conns=$5
  cat >"$d/nginx.conf" <<CONF
$top
daemon off;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections $conns; }
http {
  access_log off;
  client_body_temp_path $d/body; proxy_temp_path $d/proxy; fastcgi_temp_path $d/fcgi;
  uwsgi_temp_path $d/uwsgi; scgi_temp_path $d/scgi;
  server {
    listen 127.0.0.1:$port ssl;
    ssl_certificate $state/leaf.pem;
    ssl_certificate_key $state/leaf-key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { return 200 '{"status":"ok"}'; }
  }
}
CONF
}
