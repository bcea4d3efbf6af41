/*
 * config_cli.c: wsgate's command line: the usage text, the flags (the long ones, and the short
 * ones of aws-apigw-ws-emulator), SAM CLI's --parameter-overrides, and wg_config_load, which
 * applies the sources in order: defaults, the config file (config_load.c), the environment's
 * credentials (config_credentials.c), the flags, --env-vars (config_functions.c), then
 * resolution (config_resolve.c).
 *
 * Every mistake is one line naming the flag or the file and what was expected; the caller exits 2.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_convert.h"
#include "config_internal.h"
#include "limits.h"
#include "str.h"

/* Parses a whole decimal number in [min, max]. */
static int parse_number(const char *s, long long min, long long max, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* ---- command line --------------------------------------------------------------------------- */

static const char usage_text[] =
    "usage: wsgate [options]\n"
    "       wsgate replay --backend URL [FIXTURE_DIR | --aws-scenarios]   (wsgate replay --help)\n"
    "       wsgate ca [--state-dir DIR]   print the local CA's path and how to trust it\n"
    "\n"
    "A local, SigV4-faithful emulator of AWS API Gateway WebSocket APIs.\n"
    "\n"
    "  -p, --port N                 listen port (default 3001; 0 picks a free one)\n"
    "  --host ADDR                  listen address (default 127.0.0.1; 0.0.0.0 in containers)\n"
    "  -s, --stage NAME             stage name: ws://HOST:PORT/NAME (default local)\n"
    "  --backend URL                send $connect, $disconnect and $default events to URL\n"
    "  -c, --config FILE            config file: wsgate JSON/YAML, CloudFormation/SAM/CDK template,\n"
    "                               serverless.yml or gateway.config.yaml (docs/config-formats.md)\n"
    "  --function NAME=TARGET       run function NAME (a \"function\" in routes/authorizer) at TARGET:\n"
    "                               http(s)://URL or lambda:http://HOST:PORT[/FUNCTION] (repeatable)\n"
    "  --parameter-overrides 'K=V ...'  template parameter values, as SAM CLI takes them (repeatable)\n"
    "  --env-vars FILE              functions' environment, SAM CLI's JSON: {\"Parameters\": {...},\n"
    "                               \"FunctionName\": {...}}; variables the template lacks are added\n"
    "  --region NAME                region for IDs and SigV4 (default us-east-1)\n"
    "  --api-id ID                  10-character apiId (default: random)\n"
    "  --domain-name NAME|aws       domainName in events (default: the Host the client used;\n"
    "                               aws = {apiId}.execute-api.{region}.amazonaws.com)\n"
    "  --custom-domain              serve the API at the root, like a custom domain\n"
    "  --listen ADDR:PORT           also listen there (repeatable; e.g. 127.0.0.1:443)\n"
    "  --tls on|off                 TLS (wss://, https://) beside plain on every port (default on)\n"
    "  --tls-cert FILE, --tls-key FILE   your own certificate and key (default: the local CA's)\n"
    "  --state-dir DIR              where the local CA lives (default $XDG_DATA_HOME/wsgate or\n"
    "                               ~/.local/share/wsgate); `wsgate ca` prints how to trust it\n"
    "  --route-selection-expression EXPR   (default $request.body.action)\n"
    "  --auth none|sigv4|strict     management API authentication (default sigv4)\n"
    "  --credentials AKID:SECRET[:TOKEN]  a known key pair, with its session token if any\n"
    "                               (repeatable; also AWS_ACCESS_KEY_ID/..._SESSION_TOKEN, and\n"
    "                               WSGATE_CREDENTIALS=\"AKID:SECRET[:TOKEN],...\")\n"
    "  --credentials-file FILE      known keys from an AWS credentials file (also\n"
    "                               AWS_SHARED_CREDENTIALS_FILE)\n"
    "  --idle-timeout SECONDS       idle connection timeout (default 600)\n"
    "  --hard-timeout SECONDS       maximum connection duration (default 7200)\n"
    "  --integration-timeout MS     backend timeout, 50..29000 on AWS (default 29000)\n"
    "  --connect-rate-limit N       new connections per second, 429 above (default: no limit)\n"
    "  --test-control               enable the /_wsgate/test API (not part of AWS)\n"
    "  --record DIR                 write every event and backend answer as fixture files\n"
    "  --inspector, --no-inspector  serve the live inspector at /_wsgate/ (default: only when\n"
    "                               bound to loopback)\n"
    "  --inspector-history N        inspector entries kept (default 1000)\n"
    "  -m, --integration-mode lambda_proxy|http   aws-apigw-ws-emulator's flag (its config only)\n"
    "  --max-concurrency N          runtime processes per function without reserved\n"
    "                               concurrency (default 10)\n"
    "  --runtime NAME=PATH          interpreter for a runtime, e.g. nodejs20.x=/usr/bin/node,\n"
    "                               python3.12=.venv/bin/python (repeatable; default: PATH)\n"
    "  --no-reload                  keep function processes when their code changes\n"
    "  -v, --verbose                log every event, frame decision and management call\n"
    "  -h, --help, --version\n";

enum {
    OPT_PORT = 256,
    OPT_HOST,
    OPT_STAGE,
    OPT_BACKEND,
    OPT_CONFIG,
    OPT_REGION,
    OPT_API_ID,
    OPT_CUSTOM_DOMAIN,
    OPT_RSE,
    OPT_AUTH,
    OPT_CREDENTIALS,
    OPT_IDLE,
    OPT_HARD,
    OPT_INTEGRATION_TIMEOUT,
    OPT_TEST_CONTROL,
    OPT_RECORD,
    OPT_VERBOSE,
    OPT_HELP,
    OPT_VERSION,
    OPT_CONNECT_RATE,
    OPT_FUNCTION,
    OPT_CREDENTIALS_FILE,
    OPT_DOMAIN_NAME,
    OPT_PARAMETER_OVERRIDES,
    OPT_ENV_VARS,
    OPT_INTEGRATION_MODE,
    OPT_MAX_CONCURRENCY,
    OPT_RUNTIME,
    OPT_NO_RELOAD,
    OPT_TLS,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    OPT_STATE_DIR,
    OPT_LISTEN,
    OPT_INSPECTOR,
    OPT_NO_INSPECTOR,
    OPT_INSPECTOR_HISTORY,
};

static const struct option long_options[] = {
    {"port", required_argument, NULL, OPT_PORT},
    {"host", required_argument, NULL, OPT_HOST},
    {"stage", required_argument, NULL, OPT_STAGE},
    {"backend", required_argument, NULL, OPT_BACKEND},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"region", required_argument, NULL, OPT_REGION},
    {"api-id", required_argument, NULL, OPT_API_ID},
    {"custom-domain", no_argument, NULL, OPT_CUSTOM_DOMAIN},
    {"route-selection-expression", required_argument, NULL, OPT_RSE},
    {"auth", required_argument, NULL, OPT_AUTH},
    {"credentials", required_argument, NULL, OPT_CREDENTIALS},
    {"function", required_argument, NULL, OPT_FUNCTION},
    {"parameter-overrides", required_argument, NULL, OPT_PARAMETER_OVERRIDES},
    {"env-vars", required_argument, NULL, OPT_ENV_VARS},
    {"credentials-file", required_argument, NULL, OPT_CREDENTIALS_FILE},
    {"domain-name", required_argument, NULL, OPT_DOMAIN_NAME},
    {"tls", required_argument, NULL, OPT_TLS},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"state-dir", required_argument, NULL, OPT_STATE_DIR},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"idle-timeout", required_argument, NULL, OPT_IDLE},
    {"hard-timeout", required_argument, NULL, OPT_HARD},
    {"integration-timeout", required_argument, NULL, OPT_INTEGRATION_TIMEOUT},
    {"connect-rate-limit", required_argument, NULL, OPT_CONNECT_RATE},
    {"test-control", no_argument, NULL, OPT_TEST_CONTROL},
    {"record", required_argument, NULL, OPT_RECORD},
    {"max-concurrency", required_argument, NULL, OPT_MAX_CONCURRENCY},
    {"runtime", required_argument, NULL, OPT_RUNTIME},
    {"no-reload", no_argument, NULL, OPT_NO_RELOAD},
    {"inspector", no_argument, NULL, OPT_INSPECTOR},
    {"no-inspector", no_argument, NULL, OPT_NO_INSPECTOR},
    {"inspector-history", required_argument, NULL, OPT_INSPECTOR_HISTORY},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {"integration-mode", required_argument, NULL, OPT_INTEGRATION_MODE},
    {NULL, 0, NULL, 0},
};

/* The short flags of aws-apigw-ws-emulator, so switching from it is one command. */
#define SHORT_OPTIONS ":p:s:c:vhm:"

static int short_to_long(int opt)
{
    switch (opt) {
    case 'p': return OPT_PORT;
    case 's': return OPT_STAGE;
    case 'c': return OPT_CONFIG;
    case 'v': return OPT_VERBOSE;
    case 'h': return OPT_HELP;
    case 'm': return OPT_INTEGRATION_MODE;
    default: return opt;
    }
}

/* ---- --parameter-overrides (SAM CLI's form) ------------------------------------------------ */

/* One --parameter-overrides value: "K1=V1 K2='v 2'" or "ParameterKey=K1,ParameterValue=V1 ...". */
static int parse_parameter_overrides(json_t *parameters, const char *text, char *err, size_t err_size)
{
    char *token = malloc(strlen(text) + 1);
    if (token == NULL)
        abort();
    int rc = WG_CONFIG_ERROR;
    const char *p = text;
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0')
            break;
        size_t n = 0;
        char quote = 0;
        for (; *p != '\0' && (quote || !isspace((unsigned char)*p)); p++) {
            if (quote && *p == quote)
                quote = 0;
            else if (!quote && (*p == '"' || *p == '\''))
                quote = *p;
            else
                token[n++] = *p;
        }
        token[n] = '\0';
        if (quote) {
            wg_str_fail(err, err_size, "--parameter-overrides: a quote is not closed in '%s'", text);
            goto out;
        }
        char *key = token, *value;
        if (strncmp(token, "ParameterKey=", 13) == 0) {
            key = token + 13;
            char *comma = strstr(key, ",ParameterValue=");
            if (comma == NULL) {
                wg_str_fail(err, err_size, "--parameter-overrides: '%s' needs ,ParameterValue=", token);
                goto out;
            }
            *comma = '\0';
            value = comma + 16;
        } else {
            value = strchr(token, '=');
            if (value == NULL) {
                wg_str_fail(err, err_size, "--parameter-overrides expects KEY=VALUE pairs (SAM CLI's format), got '%s'",
                            token);
                goto out;
            }
            *value++ = '\0';
        }
        json_t *v = json_string(value);
        if (*key == '\0' || v == NULL) {
            json_decref(v);
            wg_str_fail(err, err_size, "--parameter-overrides: '%s' needs a name and a UTF-8 value", text);
            goto out;
        }
        json_object_set_new(parameters, key, v);
    }
    rc = WG_CONFIG_OK;
out:
    free(token);
    return rc;
}

/* Every --parameter-overrides of the command line (the template is read before the other flags). */
static int parameter_overrides_from_flags(int argc, char **argv, json_t **out, char *err, size_t err_size)
{
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, SHORT_OPTIONS, long_options, NULL)) != -1) {
        if (opt != OPT_PARAMETER_OVERRIDES)
            continue;
        if (*out == NULL && (*out = json_object()) == NULL)
            abort();
        if (parse_parameter_overrides(*out, optarg, err, err_size) != WG_CONFIG_OK)
            return WG_CONFIG_ERROR;
    }
    return WG_CONFIG_OK;
}

static void set_defaults(wg_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->host = wg_str_dup("127.0.0.1");
    cfg->port = 3001;
    cfg->stage = wg_str_dup("local");
    cfg->region = wg_str_dup("us-east-1");
    cfg->route_selection_expression = wg_str_dup("$request.body.action");
    cfg->auth = WG_AUTH_SIGV4;
    cfg->idle_timeout_ms = WG_LIMIT_IDLE_TIMEOUT_MS;
    cfg->hard_timeout_ms = WG_LIMIT_HARD_TIMEOUT_MS;
    cfg->integration_timeout_ms = WG_LIMIT_INTEGRATION_TIMEOUT_MS;
}

int wg_config_load(wg_config_t *cfg, int argc, char **argv, char *err, size_t err_size)
{
    set_defaults(cfg);
    wg_config_emulator_set_mode(NULL);
    /* First pass: only --config (and --help/--version), so flags can override the file. */
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, SHORT_OPTIONS, long_options, NULL)) != -1) {
        opt = short_to_long(opt);
        if (opt == OPT_HELP) {
            fputs(usage_text, stdout);
            return WG_CONFIG_EXIT;
        }
        if (opt == OPT_VERSION) {
            printf("wsgate %s\n", WSGATE_VERSION);
            return WG_CONFIG_EXIT;
        }
        if (opt == OPT_CONFIG)
            wg_config_set_string(&cfg->config_path, optarg);
        if (opt == OPT_INTEGRATION_MODE && !wg_config_emulator_is_mode(optarg))
            return wg_str_fail(err, err_size, "--integration-mode expects lambda_proxy or http, got '%s'", optarg);
        if (opt == OPT_INTEGRATION_MODE)
            wg_config_emulator_set_mode(optarg);
    }
    if (cfg->config_path != NULL) {
        json_t *parameters = NULL;
        int rc = parameter_overrides_from_flags(argc, argv, &parameters, err, err_size);
        if (rc == WG_CONFIG_OK)
            rc = wg_config_load_file(cfg, cfg->config_path, parameters, err, err_size);
        json_decref(parameters);
        if (rc != WG_CONFIG_OK)
            return rc;
    }
    if (wg_config_load_credentials_environment(cfg, err, err_size) != WG_CONFIG_OK)
        return WG_CONFIG_ERROR;

    optind = 1;
    long long n;
    const char *env_vars_path = NULL;
    while ((opt = getopt_long(argc, argv, SHORT_OPTIONS, long_options, NULL)) != -1) {
        switch (short_to_long(opt)) {
        case OPT_PORT:
            if (parse_number(optarg, 0, 65535, &n) != 0)
                return wg_str_fail(err, err_size, "--port expects a number from 0 to 65535, got '%s'", optarg);
            cfg->port = (int)n;
            break;
        case OPT_HOST: wg_config_set_string(&cfg->host, optarg); break;
        case OPT_STAGE: wg_config_set_string(&cfg->stage, optarg); break;
        case OPT_BACKEND: wg_config_set_string(&cfg->backend, optarg); break;
        case OPT_CONFIG: break;
        case OPT_INTEGRATION_MODE: /* aws-apigw-ws-emulator's -m: applied by config_emulator.c */
            if (strcmp(optarg, "http") == 0 && !cfg->is_emulator_config)
                return wg_str_fail(
                    err, err_size,
                    "--integration-mode http applies to an aws-apigw-ws-emulator config "
                    "(-c gateway.config.yaml); for other configs use \"integration\": \"http_proxy\" routes");
            break;
        case OPT_REGION: wg_config_set_string(&cfg->region, optarg); break;
        case OPT_API_ID: wg_config_set_string(&cfg->api_id, optarg); break;
        case OPT_CUSTOM_DOMAIN: cfg->is_custom_domain = 1; break;
        case OPT_RSE: wg_config_set_string(&cfg->route_selection_expression, optarg); break;
        case OPT_AUTH:
            cfg->is_auth_emulator_default = 0;
            if (wg_config_parse_auth_mode(optarg, &cfg->auth) != 0)
                return wg_str_fail(err, err_size, "--auth expects none, sigv4 or strict, got '%s'", optarg);
            break;
        case OPT_CREDENTIALS:
            if (wg_config_add_credential_pair(cfg, optarg, err, err_size) != WG_CONFIG_OK)
                return WG_CONFIG_ERROR;
            break;
        case OPT_IDLE:
        case OPT_HARD:
            if (parse_number(optarg, 1, 365LL * 24 * 3600, &n) != 0)
                return wg_str_fail(err, err_size, "--%s expects a number of seconds, got '%s'",
                                   opt == OPT_IDLE ? "idle-timeout" : "hard-timeout", optarg);
            if (opt == OPT_IDLE)
                cfg->idle_timeout_ms = (uint64_t)n * 1000;
            else
                cfg->hard_timeout_ms = (uint64_t)n * 1000;
            break;
        case OPT_INTEGRATION_TIMEOUT:
            if (parse_number(optarg, WG_LIMIT_INTEGRATION_TIMEOUT_MIN_MS, 3600000, &n) != 0)
                return wg_str_fail(err, err_size, "--integration-timeout expects milliseconds (at least 50), got '%s'",
                                   optarg);
            cfg->integration_timeout_ms = (uint32_t)n;
            break;
        case OPT_CREDENTIALS_FILE:
            if (wg_config_load_credentials_file(cfg, optarg, err, err_size) != WG_CONFIG_OK)
                return WG_CONFIG_ERROR;
            break;
        case OPT_DOMAIN_NAME: wg_config_set_string(&cfg->domain_name, optarg); break;
        case OPT_TLS:
            if (wg_config_parse_on_off(optarg, &cfg->is_tls_off) != 0)
                return wg_str_fail(err, err_size, "--tls expects on or off, got '%s'", optarg);
            break;
        case OPT_TLS_CERT: wg_config_set_string(&cfg->tls_cert_path, optarg); break;
        case OPT_TLS_KEY: wg_config_set_string(&cfg->tls_key_path, optarg); break;
        case OPT_STATE_DIR: wg_config_set_string(&cfg->state_dir, optarg); break;
        case OPT_LISTEN: {
            const char *colon = strrchr(optarg, ':');
            if (colon == NULL || colon == optarg || parse_number(colon + 1, 0, 65535, &n) != 0)
                return wg_str_fail(err, err_size,
                                   "--listen expects ADDR:PORT (e.g. 127.0.0.1:443 or [::1]:443), got '%s'", optarg);
            char **grown = realloc(cfg->listen, (cfg->num_listen + 1) * sizeof(*grown));
            if (grown == NULL)
                abort();
            cfg->listen = grown;
            cfg->listen[cfg->num_listen++] = wg_str_dup(optarg);
            break;
        }
        case OPT_CONNECT_RATE:
            if (parse_number(optarg, 0, 1000000, &n) != 0)
                return wg_str_fail(err, err_size, "--connect-rate-limit expects connections per second, got '%s'",
                                   optarg);
            cfg->connect_rate_per_second = (uint32_t)n;
            break;
        case OPT_FUNCTION: {
            const char *eq = strchr(optarg, '=');
            if (eq == NULL || eq == optarg || eq[1] == '\0')
                return wg_str_fail(err, err_size, "--function expects NAME=TARGET, got '%s'", optarg);
            char *name = strndup(optarg, (size_t)(eq - optarg));
            if (name == NULL)
                abort();
            char why[512];
            int bad = wg_config_parse_function_target(cfg, name, eq + 1, why, sizeof(why));
            free(name);
            if (bad)
                return wg_str_fail(err, err_size, "--function %s", why);
            break;
        }
        case OPT_PARAMETER_OVERRIDES: break; /* read with the config file */
        case OPT_ENV_VARS: env_vars_path = optarg; break;
        case OPT_TEST_CONTROL: cfg->has_test_control = 1; break;
        case OPT_RECORD: wg_config_set_string(&cfg->record_dir, optarg); break;
        case OPT_VERBOSE: cfg->is_verbose = 1; break;
        case OPT_MAX_CONCURRENCY:
            if (parse_number(optarg, 1, WG_LIMIT_FUNCTION_CONCURRENCY_MAX, &n) != 0)
                return wg_str_fail(err, err_size, "--max-concurrency expects a number from 1 to %d, got '%s'",
                                   WG_LIMIT_FUNCTION_CONCURRENCY_MAX, optarg);
            cfg->max_concurrency = (uint32_t)n;
            break;
        case OPT_RUNTIME: {
            const char *eq = strchr(optarg, '=');
            if (eq == NULL || eq == optarg || eq[1] == '\0')
                return wg_str_fail(err, err_size,
                                   "--runtime expects NAME=PATH (e.g. nodejs20.x=/usr/bin/node), got '%s'", optarg);
            cfg->runtime_overrides =
                realloc(cfg->runtime_overrides, (cfg->num_runtime_overrides + 1) * sizeof(*cfg->runtime_overrides));
            if (cfg->runtime_overrides == NULL)
                abort();
            wg_string_pair_t *o = &cfg->runtime_overrides[cfg->num_runtime_overrides++];
            o->key = strndup(optarg, (size_t)(eq - optarg));
            o->value = wg_str_dup(eq + 1);
            if (o->key == NULL)
                abort();
            break;
        }
        case OPT_NO_RELOAD: cfg->is_reload_disabled = 1; break;
        case OPT_INSPECTOR: cfg->inspector_mode = 1; break;
        case OPT_NO_INSPECTOR: cfg->inspector_mode = -1; break;
        case OPT_INSPECTOR_HISTORY:
            if (parse_number(optarg, 1, WG_LIMIT_INSPECTOR_HISTORY_MAX, &n) != 0)
                return wg_str_fail(err, err_size, "--inspector-history expects 1 to %d entries, got '%s'",
                                   WG_LIMIT_INSPECTOR_HISTORY_MAX, optarg);
            cfg->inspector_history = (uint32_t)n;
            break;
        case ':': return wg_str_fail(err, err_size, "option '%s' needs a value (see --help)", argv[optind - 1]);
        default: return wg_str_fail(err, err_size, "unknown option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return wg_str_fail(err, err_size, "unexpected argument '%s' (see --help)", argv[optind]);
    if (env_vars_path != NULL && wg_config_apply_env_vars(cfg, env_vars_path, err, err_size) != WG_CONFIG_OK)
        return WG_CONFIG_ERROR;
    if ((cfg->tls_cert_path == NULL) != (cfg->tls_key_path == NULL))
        return wg_str_fail(err, err_size,
                           "--tls-cert and --tls-key go together (the certificate chain and its private key)");
    return wg_config_resolve(cfg, err, err_size);
}
