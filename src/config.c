/*
 * config.c: defaults, then the config file, then the environment, then flags (see config.h).
 *
 * Every mistake is one line naming the file, the key and what was expected; the caller exits 2.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_document.h"
#include "limits.h"

static char *dup_or_die(const char *s)
{
    char *d = strdup(s);
    if (d == NULL)
        abort();
    return d;
}

static void set_string(char **slot, const char *value)
{
    free(*slot);
    *slot = value ? dup_or_die(value) : NULL;
}

static int fail(char *err, size_t err_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t err_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
    return WG_CONFIG_ERROR;
}

const char *wg_auth_mode_name(wg_auth_mode_t mode)
{
    switch (mode) {
    case WG_AUTH_NONE: return "none";
    case WG_AUTH_SIGV4: return "sigv4";
    case WG_AUTH_STRICT: return "strict";
    }
    return "?";
}

static int parse_auth_mode(const char *s, wg_auth_mode_t *out)
{
    if (strcmp(s, "none") == 0) *out = WG_AUTH_NONE;
    else if (strcmp(s, "sigv4") == 0) *out = WG_AUTH_SIGV4;
    else if (strcmp(s, "strict") == 0) *out = WG_AUTH_STRICT;
    else return -1;
    return 0;
}

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

static int is_valid_stage(const char *s)
{
    if (*s == '\0' || strlen(s) > 128)
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_' || *s == '$'))
            return 0;
    return 1;
}

static int is_valid_api_id(const char *s)
{
    if (strlen(s) != 10)
        return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s)))
            return 0;
    return 1;
}

static void add_credential(wg_config_t *cfg, const char *akid, const char *secret)
{
    for (size_t i = 0; i < cfg->num_credentials; i++) {
        if (strcmp(cfg->credentials[i].access_key_id, akid) == 0) {
            set_string(&cfg->credentials[i].secret_access_key, secret);
            return;
        }
    }
    cfg->credentials = realloc(cfg->credentials, (cfg->num_credentials + 1) * sizeof(*cfg->credentials));
    if (cfg->credentials == NULL)
        abort();
    cfg->credentials[cfg->num_credentials].access_key_id = dup_or_die(akid);
    cfg->credentials[cfg->num_credentials].secret_access_key = dup_or_die(secret);
    cfg->num_credentials++;
}

static int add_credential_pair(wg_config_t *cfg, const char *pair, char *err, size_t err_size)
{
    const char *colon = strchr(pair, ':');
    if (colon == NULL || colon == pair || colon[1] == '\0')
        return fail(err, err_size, "--credentials expects AKID:SECRET, got '%.*s...'", 4, pair);
    char *akid = strndup(pair, (size_t)(colon - pair));
    if (akid == NULL)
        abort();
    add_credential(cfg, akid, colon + 1);
    free(akid);
    return WG_CONFIG_OK;
}

static wg_route_config_t *add_route(wg_config_t *cfg, const char *key)
{
    cfg->routes = realloc(cfg->routes, (cfg->num_routes + 1) * sizeof(*cfg->routes));
    if (cfg->routes == NULL)
        abort();
    wg_route_config_t *r = &cfg->routes[cfg->num_routes++];
    memset(r, 0, sizeof(*r));
    r->key = dup_or_die(key);
    r->type = WG_INTEGRATION_HTTP;
    return r;
}

const wg_route_config_t *wg_config_route(const wg_config_t *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->num_routes; i++)
        if (strcmp(cfg->routes[i].key, key) == 0)
            return &cfg->routes[i];
    return NULL;
}

const char *wg_config_secret_for(const wg_config_t *cfg, const char *access_key_id)
{
    for (size_t i = 0; i < cfg->num_credentials; i++)
        if (strcmp(cfg->credentials[i].access_key_id, access_key_id) == 0)
            return cfg->credentials[i].secret_access_key;
    return NULL;
}

/* ---- config file ---------------------------------------------------------------------------- */

#define FILE_FAIL(...) fail(err, err_size, __VA_ARGS__)

static int json_want_string(const char *path, const char *key, json_t *v, char *err, size_t err_size)
{
    if (!json_is_string(v))
        return FILE_FAIL("%s: key '%s' must be a string", path, key);
    return WG_CONFIG_OK;
}

static int json_want_int(const char *path, const char *key, json_t *v, long long min, long long max,
                         long long *out, char *err, size_t err_size)
{
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return FILE_FAIL("%s: key '%s' must be a whole number from %lld to %lld", path, key, min, max);
    *out = json_integer_value(v);
    return WG_CONFIG_OK;
}

static int json_want_bool(const char *path, const char *key, json_t *v, int *out, char *err,
                          size_t err_size)
{
    if (!json_is_boolean(v))
        return FILE_FAIL("%s: key '%s' must be true or false", path, key);
    *out = json_is_true(v);
    return WG_CONFIG_OK;
}

static int load_route(wg_config_t *cfg, const char *path, const char *key, json_t *spec, char *err,
                      size_t err_size)
{
    if (!json_is_object(spec))
        return FILE_FAIL("%s: routes.%s must be an object", path, key);
    if (*key == '\0' || strlen(key) > 128)
        return FILE_FAIL("%s: route keys must be 1 to 128 characters", path);
    if (wg_config_route(cfg, key) != NULL)
        return FILE_FAIL("%s: route '%s' is defined twice", path, key);
    wg_route_config_t *r = add_route(cfg, key);
    const char *name;
    json_t *v;
    json_object_foreach(spec, name, v) {
        char where[200];
        snprintf(where, sizeof(where), "routes.%s.%s", key, name);
        if (strcmp(name, "uri") == 0) {
            if (json_want_string(path, where, v, err, err_size)) return WG_CONFIG_ERROR;
            set_string(&r->uri, json_string_value(v));
        } else if (strcmp(name, "integration") == 0 || strcmp(name, "type") == 0) {
            if (json_want_string(path, where, v, err, err_size)) return WG_CONFIG_ERROR;
            const char *t = json_string_value(v);
            if (strcmp(t, "http") == 0 || strcmp(t, "AWS_PROXY") == 0) r->type = WG_INTEGRATION_HTTP;
            else if (strcmp(t, "demo") == 0) r->type = WG_INTEGRATION_DEMO;
            else return FILE_FAIL("%s: %s: unknown integration '%s' (expected http or demo)", path, where, t);
        } else if (strcmp(name, "twoWay") == 0) {
            if (json_want_bool(path, where, v, &r->is_two_way, err, err_size)) return WG_CONFIG_ERROR;
        } else if (strcmp(name, "timeout") == 0) {
            long long ms;
            if (json_want_int(path, where, v, WG_LIMIT_INTEGRATION_TIMEOUT_MIN_MS, 3600000, &ms, err, err_size))
                return WG_CONFIG_ERROR;
            r->timeout_ms = (uint32_t)ms;
        } else {
            return FILE_FAIL("%s: unknown key '%s'", path, where);
        }
    }
    return WG_CONFIG_OK;
}

static int load_file(wg_config_t *cfg, const char *path, char *err, size_t err_size)
{
    wg_config_document_t doc;
    if (wg_config_document_load(path, &doc, err, err_size) != 0)
        return WG_CONFIG_ERROR;
    json_t *root = doc.root;
    int rc = WG_CONFIG_OK;
    if (!json_is_object(root)) {
        rc = FILE_FAIL("%s: the top level must be an object", path);
        goto out;
    }
    const char *key;
    json_t *v;
    long long n;
    json_object_foreach(root, key, v) {
        if (strcmp(key, "port") == 0) {
            if ((rc = json_want_int(path, key, v, 0, 65535, &n, err, err_size))) goto out;
            cfg->port = (int)n;
        } else if (strcmp(key, "host") == 0 || strcmp(key, "stage") == 0 || strcmp(key, "region") == 0 ||
                   strcmp(key, "apiId") == 0 || strcmp(key, "backend") == 0 ||
                   strcmp(key, "routeSelectionExpression") == 0 || strcmp(key, "record") == 0 ||
                   strcmp(key, "auth") == 0) {
            if ((rc = json_want_string(path, key, v, err, err_size))) goto out;
            const char *s = json_string_value(v);
            if (strcmp(key, "host") == 0) set_string(&cfg->host, s);
            else if (strcmp(key, "stage") == 0) set_string(&cfg->stage, s);
            else if (strcmp(key, "region") == 0) set_string(&cfg->region, s);
            else if (strcmp(key, "apiId") == 0) set_string(&cfg->api_id, s);
            else if (strcmp(key, "backend") == 0) set_string(&cfg->backend, s);
            else if (strcmp(key, "record") == 0) set_string(&cfg->record_dir, s);
            else if (strcmp(key, "routeSelectionExpression") == 0) set_string(&cfg->route_selection_expression, s);
            else if (parse_auth_mode(s, &cfg->auth) != 0) {
                rc = FILE_FAIL("%s: key 'auth' must be none, sigv4 or strict", path);
                goto out;
            }
        } else if (strcmp(key, "customDomain") == 0) {
            if ((rc = json_want_bool(path, key, v, &cfg->is_custom_domain, err, err_size))) goto out;
        } else if (strcmp(key, "testControl") == 0) {
            if ((rc = json_want_bool(path, key, v, &cfg->has_test_control, err, err_size))) goto out;
        } else if (strcmp(key, "verbose") == 0) {
            if ((rc = json_want_bool(path, key, v, &cfg->is_verbose, err, err_size))) goto out;
        } else if (strcmp(key, "idleTimeout") == 0 || strcmp(key, "hardTimeout") == 0) {
            if ((rc = json_want_int(path, key, v, 1, 365LL * 24 * 3600, &n, err, err_size))) goto out;
            if (strcmp(key, "idleTimeout") == 0) cfg->idle_timeout_ms = (uint64_t)n * 1000;
            else cfg->hard_timeout_ms = (uint64_t)n * 1000;
        } else if (strcmp(key, "integrationTimeout") == 0) {
            if ((rc = json_want_int(path, key, v, WG_LIMIT_INTEGRATION_TIMEOUT_MIN_MS, 3600000, &n, err, err_size))) goto out;
            cfg->integration_timeout_ms = (uint32_t)n;
        } else if (strcmp(key, "connectRateLimit") == 0) {
            if ((rc = json_want_int(path, key, v, 0, 1000000, &n, err, err_size))) goto out;
            cfg->connect_rate_per_second = (uint32_t)n;
        } else if (strcmp(key, "credentials") == 0) {
            if (!json_is_array(v)) {
                rc = FILE_FAIL("%s: key 'credentials' must be a list of {accessKeyId, secretAccessKey}", path);
                goto out;
            }
            size_t i;
            json_t *c;
            json_array_foreach(v, i, c) {
                json_t *a = json_object_get(c, "accessKeyId"), *s = json_object_get(c, "secretAccessKey");
                if (!json_is_object(c) || !json_is_string(a) || !json_is_string(s) || json_object_size(c) != 2) {
                    rc = FILE_FAIL("%s: credentials[%zu] must be {\"accessKeyId\": ..., \"secretAccessKey\": ...}", path, i);
                    goto out;
                }
                add_credential(cfg, json_string_value(a), json_string_value(s));
            }
        } else if (strcmp(key, "routes") == 0) {
            if (!json_is_object(v)) {
                rc = FILE_FAIL("%s: key 'routes' must be an object of route key -> route", path);
                goto out;
            }
            const char *rk;
            json_t *spec;
            json_object_foreach(v, rk, spec) {
                if ((rc = load_route(cfg, path, rk, spec, err, err_size))) goto out;
            }
        } else {
            rc = FILE_FAIL("%s: unknown key '%s'", path, key);
            goto out;
        }
    }
out:
    wg_config_document_free(&doc);
    return rc;
}

/* ---- command line --------------------------------------------------------------------------- */

static const char usage_text[] =
    "usage: wsgate [options]\n"
    "       wsgate replay --backend URL [FIXTURE_DIR]\n"
    "\n"
    "A local, SigV4-faithful emulator of AWS API Gateway WebSocket APIs.\n"
    "\n"
    "  -p, --port N                 listen port (default 3001; 0 picks a free one)\n"
    "  --host ADDR                  listen address (default 127.0.0.1; 0.0.0.0 in containers)\n"
    "  -s, --stage NAME               stage name: ws://HOST:PORT/NAME (default local)\n"
    "  --backend URL                send $connect, $disconnect and $default events to URL\n"
    "  -c, --config FILE              JSON config file (routes, integrations, limits...)\n"
    "  --region NAME                region for IDs and SigV4 (default us-east-1)\n"
    "  --api-id ID                  10-character apiId (default: random)\n"
    "  --custom-domain              serve the API at the root, like a custom domain\n"
    "  --route-selection-expression EXPR   (default $request.body.action)\n"
    "  --auth none|sigv4|strict     management API authentication (default sigv4)\n"
    "  --credentials AKID:SECRET    a known key pair (repeatable; also AWS_ACCESS_KEY_ID/...)\n"
    "  --idle-timeout SECONDS       idle connection timeout (default 600)\n"
    "  --hard-timeout SECONDS       maximum connection duration (default 7200)\n"
    "  --integration-timeout MS     backend timeout, 50..29000 on AWS (default 29000)\n"
    "  --test-control               enable the /_wsgate/test API (not part of AWS)\n"
    "  --record DIR                 write every event and backend answer as fixture files\n"
    "  -v, --verbose                  log every frame and backend call\n"
    "  -h, --help, --version\n";

enum {
    OPT_PORT = 256, OPT_HOST, OPT_STAGE, OPT_BACKEND, OPT_CONFIG, OPT_REGION, OPT_API_ID,
    OPT_CUSTOM_DOMAIN, OPT_RSE, OPT_AUTH, OPT_CREDENTIALS, OPT_IDLE, OPT_HARD, OPT_INTEGRATION_TIMEOUT,
    OPT_TEST_CONTROL, OPT_RECORD, OPT_VERBOSE, OPT_HELP, OPT_VERSION, OPT_CONNECT_RATE,
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
    {"idle-timeout", required_argument, NULL, OPT_IDLE},
    {"hard-timeout", required_argument, NULL, OPT_HARD},
    {"integration-timeout", required_argument, NULL, OPT_INTEGRATION_TIMEOUT},
    {"connect-rate-limit", required_argument, NULL, OPT_CONNECT_RATE},
    {"test-control", no_argument, NULL, OPT_TEST_CONTROL},
    {"record", required_argument, NULL, OPT_RECORD},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* The short flags of aws-apigw-ws-emulator, so switching from it is one command. */
#define SHORT_OPTIONS ":p:s:c:vh"

static int short_to_long(int opt)
{
    switch (opt) {
    case 'p': return OPT_PORT;
    case 's': return OPT_STAGE;
    case 'c': return OPT_CONFIG;
    case 'v': return OPT_VERBOSE;
    case 'h': return OPT_HELP;
    default: return opt;
    }
}

static void set_defaults(wg_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->host = dup_or_die("127.0.0.1");
    cfg->port = 3001;
    cfg->stage = dup_or_die("local");
    cfg->region = dup_or_die("us-east-1");
    cfg->route_selection_expression = dup_or_die("$request.body.action");
    cfg->auth = WG_AUTH_SIGV4;
    cfg->idle_timeout_ms = WG_LIMIT_IDLE_TIMEOUT_MS;
    cfg->hard_timeout_ms = WG_LIMIT_HARD_TIMEOUT_MS;
    cfg->integration_timeout_ms = WG_LIMIT_INTEGRATION_TIMEOUT_MS;
}

/* After everything is read: fill in the routes and check what only makes sense as a whole. */
static int resolve(wg_config_t *cfg, char *err, size_t err_size)
{
    if (!is_valid_stage(cfg->stage))
        return fail(err, err_size, "stage '%s' must be letters, digits, '-', '_' or '$'", cfg->stage);
    if (cfg->api_id != NULL && !is_valid_api_id(cfg->api_id))
        return fail(err, err_size, "apiId '%s' must be 10 characters of a-z and 0-9, as on AWS", cfg->api_id);
    if (cfg->num_routes == 0) {
        const char *keys[] = {"$connect", "$disconnect", "$default"};
        for (size_t i = 0; i < 3; i++) {
            wg_route_config_t *r = add_route(cfg, keys[i]);
            if (cfg->backend != NULL) {
                r->uri = dup_or_die(cfg->backend);
            } else {
                r->type = WG_INTEGRATION_DEMO;
            }
        }
    }
    for (size_t i = 0; i < cfg->num_routes; i++) {
        wg_route_config_t *r = &cfg->routes[i];
        if (r->type == WG_INTEGRATION_HTTP && r->uri == NULL) {
            if (cfg->backend == NULL)
                return fail(err, err_size, "route '%s' has no \"uri\" and no backend is configured", r->key);
            r->uri = dup_or_die(cfg->backend);
        }
        if (r->uri != NULL && strncmp(r->uri, "http://", 7) != 0 && strncmp(r->uri, "https://", 8) != 0)
            return fail(err, err_size, "route '%s': uri '%s' must start with http:// or https://", r->key, r->uri);
    }
    return WG_CONFIG_OK;
}

int wg_config_load(wg_config_t *cfg, int argc, char **argv, char *err, size_t err_size)
{
    set_defaults(cfg);
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
            set_string(&cfg->config_path, optarg);
    }
    if (cfg->config_path != NULL) {
        int rc = load_file(cfg, cfg->config_path, err, err_size);
        if (rc != WG_CONFIG_OK)
            return rc;
    }
    const char *env_akid = getenv("AWS_ACCESS_KEY_ID"), *env_secret = getenv("AWS_SECRET_ACCESS_KEY");
    if (env_akid && *env_akid && env_secret && *env_secret)
        add_credential(cfg, env_akid, env_secret);

    optind = 1;
    long long n;
    while ((opt = getopt_long(argc, argv, SHORT_OPTIONS, long_options, NULL)) != -1) {
        switch (short_to_long(opt)) {
        case OPT_PORT:
            if (parse_number(optarg, 0, 65535, &n) != 0)
                return fail(err, err_size, "--port expects a number from 0 to 65535, got '%s'", optarg);
            cfg->port = (int)n;
            break;
        case OPT_HOST: set_string(&cfg->host, optarg); break;
        case OPT_STAGE: set_string(&cfg->stage, optarg); break;
        case OPT_BACKEND: set_string(&cfg->backend, optarg); break;
        case OPT_CONFIG: break;
        case OPT_REGION: set_string(&cfg->region, optarg); break;
        case OPT_API_ID: set_string(&cfg->api_id, optarg); break;
        case OPT_CUSTOM_DOMAIN: cfg->is_custom_domain = 1; break;
        case OPT_RSE: set_string(&cfg->route_selection_expression, optarg); break;
        case OPT_AUTH:
            if (parse_auth_mode(optarg, &cfg->auth) != 0)
                return fail(err, err_size, "--auth expects none, sigv4 or strict, got '%s'", optarg);
            break;
        case OPT_CREDENTIALS:
            if (add_credential_pair(cfg, optarg, err, err_size) != WG_CONFIG_OK)
                return WG_CONFIG_ERROR;
            break;
        case OPT_IDLE:
        case OPT_HARD:
            if (parse_number(optarg, 1, 365LL * 24 * 3600, &n) != 0)
                return fail(err, err_size, "--%s expects a number of seconds, got '%s'",
                            opt == OPT_IDLE ? "idle-timeout" : "hard-timeout", optarg);
            if (opt == OPT_IDLE) cfg->idle_timeout_ms = (uint64_t)n * 1000;
            else cfg->hard_timeout_ms = (uint64_t)n * 1000;
            break;
        case OPT_INTEGRATION_TIMEOUT:
            if (parse_number(optarg, WG_LIMIT_INTEGRATION_TIMEOUT_MIN_MS, 3600000, &n) != 0)
                return fail(err, err_size, "--integration-timeout expects milliseconds (at least 50), got '%s'", optarg);
            cfg->integration_timeout_ms = (uint32_t)n;
            break;
        case OPT_CONNECT_RATE:
            if (parse_number(optarg, 0, 1000000, &n) != 0)
                return fail(err, err_size, "--connect-rate-limit expects connections per second, got '%s'", optarg);
            cfg->connect_rate_per_second = (uint32_t)n;
            break;
        case OPT_TEST_CONTROL: cfg->has_test_control = 1; break;
        case OPT_RECORD: set_string(&cfg->record_dir, optarg); break;
        case OPT_VERBOSE: cfg->is_verbose = 1; break;
        case ':':
            return fail(err, err_size, "option '%s' needs a value (see --help)", argv[optind - 1]);
        default:
            return fail(err, err_size, "unknown option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return fail(err, err_size, "unexpected argument '%s' (see --help)", argv[optind]);
    return resolve(cfg, err, err_size);
}

void wg_config_free(wg_config_t *cfg)
{
    free(cfg->host);
    free(cfg->stage);
    free(cfg->region);
    free(cfg->api_id);
    free(cfg->backend);
    free(cfg->config_path);
    free(cfg->route_selection_expression);
    free(cfg->record_dir);
    for (size_t i = 0; i < cfg->num_credentials; i++) {
        free(cfg->credentials[i].access_key_id);
        if (cfg->credentials[i].secret_access_key != NULL) {
            memset(cfg->credentials[i].secret_access_key, 0, strlen(cfg->credentials[i].secret_access_key));
            free(cfg->credentials[i].secret_access_key);
        }
    }
    free(cfg->credentials);
    for (size_t i = 0; i < cfg->num_routes; i++) {
        free(cfg->routes[i].key);
        free(cfg->routes[i].uri);
    }
    free(cfg->routes);
    memset(cfg, 0, sizeof(*cfg));
}
