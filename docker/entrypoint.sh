#!/bin/sh
# wsgate container entrypoint: turns WSGATE_* environment variables into wsgate command-line flags,
# then execs wsgate (so it is PID 1 or tini's child and receives SIGTERM directly).
#
# Flags given on the command line (`docker run IMAGE --port 4000`) win over the environment:
# a variable is only used when its flag is absent. Forms `--flag VALUE`, `--flag=VALUE` and wsgate's
# short aliases (-p PORT, -s STAGE, -c FILE, -v; also -pPORT) are recognised. The image sets WSGATE_HOST=0.0.0.0 and WSGATE_PORT=3001 as defaults.
#
#   WSGATE_BACKEND              --backend URL
#   WSGATE_STAGE                --stage NAME
#   WSGATE_PORT                 --port N
#   WSGATE_HOST                 --host ADDR
#   WSGATE_CONFIG               --config FILE
#   WSGATE_AUTH                 --auth none|sigv4|strict
#   WSGATE_CREDENTIALS          known keys "AKID:SECRET[:TOKEN]", several separated by commas or
#                               spaces ("AKID1:SECRET1,AKID2:SECRET2"). NOT turned into flags:
#                               wsgate reads it from its environment itself, because command-line
#                               arguments are world-readable (/proc/PID/cmdline, `ps`). Also read
#                               by wsgate: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN
#                               and AWS_SHARED_CREDENTIALS_FILE.
#   WSGATE_CREDENTIALS_FILE     --credentials-file FILE (an AWS credentials file, e.g. a mounted
#                               secret; only its path is an argument)
#   WSGATE_REGION               --region NAME
#   WSGATE_API_ID               --api-id ID
#   WSGATE_IDLE_TIMEOUT         --idle-timeout SECONDS
#   WSGATE_HARD_TIMEOUT         --hard-timeout SECONDS
#   WSGATE_INTEGRATION_TIMEOUT  --integration-timeout MS
#   WSGATE_ROUTE_SELECTION_EXPRESSION  --route-selection-expression EXPR
#   WSGATE_VERBOSE              --verbose          (when 1, true, yes or on)
#   WSGATE_TEST_CONTROL         --test-control     (when 1, true, yes or on)
#   WSGATE_CUSTOM_DOMAIN        --custom-domain    (when 1, true, yes or on)
#   WSGATE_TLS                  --tls on|off
#   WSGATE_TLS_CERT             --tls-cert FILE    (with WSGATE_TLS_KEY: your own certificate)
#   WSGATE_TLS_KEY              --tls-key FILE
#   WSGATE_STATE_DIR            --state-dir DIR    (the local CA; the image sets /var/lib/wsgate)
#   WSGATE_DOMAIN_NAME          --domain-name NAME|aws
#   WSGATE_LISTEN               --listen ADDR:PORT, repeated; separate several with commas or spaces
#
# `IMAGE --help`, `IMAGE --version` and `IMAGE replay ...` go to wsgate unchanged; `IMAGE ca` prints
# the local CA (in WSGATE_STATE_DIR) and how to trust it. Any other first
# argument that is not a flag is run as a command (`IMAGE sh`) for debugging.
set -eu

WSGATE_BIN=${WSGATE_BIN:-/usr/local/bin/wsgate}

# has_flag_early NAME ARGS...: --NAME or --NAME=... among ARGS (for `ca`, before has_flag exists).
has_flag_early() {
    _n=$1
    shift
    for _a in "$@"; do
        case "$_a" in "--$_n"|"--$_n="*) return 0 ;; esac
    done
    return 1
}

case "${1:-}" in
    wsgate|"$WSGATE_BIN") shift ;;
esac

case "${1:-}" in
    replay|--help|-h|--version)
        exec "$WSGATE_BIN" "$@" ;;
    ca)
        shift
        if [ -n "${WSGATE_STATE_DIR:-}" ] && ! has_flag_early state-dir "$@"; then
            set -- --state-dir "$WSGATE_STATE_DIR" "$@"
        fi
        exec "$WSGATE_BIN" ca "$@" ;;
    ''|-*)
        ;;
    *)
        exec "$@" ;;
esac

# has_flag NAME SHORT ARGS...: true when --NAME, --NAME=..., or (if SHORT is not empty) -SHORT or
# -SHORTvalue is among ARGS.
has_flag() {
    _name=$1
    _short=$2
    shift 2
    for _a in "$@"; do
        case "$_a" in
            "--$_name"|"--$_name="*) return 0 ;;
        esac
        if [ -n "$_short" ]; then
            case "$_a" in
                "-$_short"*) return 0 ;;
            esac
        fi
    done
    return 1
}

is_true() {
    case "$1" in
        1|[Tt][Rr][Uu][Ee]|[Yy][Ee][Ss]|[Oo][Nn]) return 0 ;;
        *) return 1 ;;
    esac
}

# Valued flags: append --FLAG VALUE unless VALUE is empty or --FLAG is already given.
# Each entry is NAME:SHORT:VALUE (VALUE may itself contain colons).
for _pair in \
    "backend::${WSGATE_BACKEND:-}" \
    "stage:s:${WSGATE_STAGE:-}" \
    "port:p:${WSGATE_PORT:-}" \
    "host::${WSGATE_HOST:-}" \
    "config:c:${WSGATE_CONFIG:-}" \
    "auth::${WSGATE_AUTH:-}" \
    "region::${WSGATE_REGION:-}" \
    "api-id::${WSGATE_API_ID:-}" \
    "idle-timeout::${WSGATE_IDLE_TIMEOUT:-}" \
    "hard-timeout::${WSGATE_HARD_TIMEOUT:-}" \
    "integration-timeout::${WSGATE_INTEGRATION_TIMEOUT:-}" \
    "route-selection-expression::${WSGATE_ROUTE_SELECTION_EXPRESSION:-}" \
    "credentials-file::${WSGATE_CREDENTIALS_FILE:-}" \
    "tls::${WSGATE_TLS:-}" \
    "tls-cert::${WSGATE_TLS_CERT:-}" \
    "tls-key::${WSGATE_TLS_KEY:-}" \
    "state-dir::${WSGATE_STATE_DIR:-}" \
    "domain-name::${WSGATE_DOMAIN_NAME:-}"
do
    _flag=${_pair%%:*}
    _rest=${_pair#*:}
    _short=${_rest%%:*}
    _value=${_rest#*:}
    [ -n "$_value" ] || continue
    has_flag "$_flag" "$_short" "$@" && continue
    set -- "$@" "--$_flag" "$_value"
done

# Secrets stay in the environment (see WSGATE_CREDENTIALS above). An explicit --credentials flag
# wins over the variable, as for every other flag: then wsgate must not see the variable at all.
if has_flag credentials "" "$@"; then
    unset WSGATE_CREDENTIALS
fi

if [ -n "${WSGATE_LISTEN:-}" ] && ! has_flag listen "" "$@"; then
    set -f
    _old_ifs=$IFS
    IFS=', 	
'
    for _l in $WSGATE_LISTEN; do
        [ -n "$_l" ] && set -- "$@" --listen "$_l"
    done
    IFS=$_old_ifs
    set +f
fi

for _pair in \
    "verbose:v:${WSGATE_VERBOSE:-}" \
    "test-control::${WSGATE_TEST_CONTROL:-}" \
    "custom-domain::${WSGATE_CUSTOM_DOMAIN:-}"
do
    _flag=${_pair%%:*}
    _rest=${_pair#*:}
    _short=${_rest%%:*}
    _value=${_rest#*:}
    is_true "$_value" || continue
    has_flag "$_flag" "$_short" "$@" && continue
    set -- "$@" "--$_flag"
done

# Tell the HEALTHCHECK which port is in use (the last --port wins, as in wsgate's parser).
_port=3001
_prev=
for _a in "$@"; do
    case "$_a" in
        --port=*) _port=${_a#--port=} ;;
        -p?*) _port=${_a#-p} ;;
    esac
    case "$_prev" in
        --port|-p) _port=$_a ;;
    esac
    _prev=$_a
done
( printf '%s\n' "$_port" > "${TMPDIR:-/tmp}/wsgate.port" ) 2>/dev/null || true

exec "$WSGATE_BIN" "$@"
