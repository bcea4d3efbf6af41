/*
 * config.c: defaults, then the config file, then the environment, then flags (see config.h).
 *
 * Every mistake is one line naming the file, the key and what was expected; the caller exits 2.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_convert.h"
#include "config_document.h"
#include "limits.h"
#include "ids.h"
#include "log.h"

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
    if (strcmp(s, "none") == 0)
        *out = WG_AUTH_NONE;
    else if (strcmp(s, "sigv4") == 0)
        *out = WG_AUTH_SIGV4;
    else if (strcmp(s, "strict") == 0)
        *out = WG_AUTH_STRICT;
    else
        return -1;
    return 0;
}

/* Parses a whole decimal number in [min, max]. */
/* "on"/"off" for --tls; *is_off gets 1 for off. */
static int parse_on_off(const char *s, int *is_off)
{
    if (strcmp(s, "on") == 0)
        *is_off = 0;
    else if (strcmp(s, "off") == 0)
        *is_off = 1;
    else
        return -1;
    return 0;
}

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

/* Replaces a secret (secret key or session token), wiping the old one first. */
static void set_secret(char **slot, const char *value)
{
    if (*slot != NULL)
        OPENSSL_cleanse(*slot, strlen(*slot));
    set_string(slot, value);
}

/* Adds or updates a known key; `token` is the session token issued with it (NULL: none). */
static void add_credential_with_token(wg_config_t *cfg, const char *akid, const char *secret, const char *token)
{
    for (size_t i = 0; i < cfg->num_credentials; i++) {
        if (strcmp(cfg->credentials[i].access_key_id, akid) == 0) {
            set_secret(&cfg->credentials[i].secret_access_key, secret);
            set_secret(&cfg->credentials[i].session_token, token);
            return;
        }
    }
    cfg->credentials = realloc(cfg->credentials, (cfg->num_credentials + 1) * sizeof(*cfg->credentials));
    if (cfg->credentials == NULL)
        abort();
    cfg->credentials[cfg->num_credentials].access_key_id = dup_or_die(akid);
    cfg->credentials[cfg->num_credentials].secret_access_key = dup_or_die(secret);
    cfg->credentials[cfg->num_credentials].session_token = token ? dup_or_die(token) : NULL;
    cfg->num_credentials++;
}

/* --credentials AKID:SECRET[:TOKEN] (neither a secret key nor a session token holds ':'). The
 * copies made here are wiped before they are freed. */
static int add_credential_pair(wg_config_t *cfg, const char *pair, char *err, size_t err_size)
{
    const char *colon = strchr(pair, ':');
    if (colon == NULL || colon == pair || colon[1] == '\0' || colon[1] == ':')
        return fail(err, err_size, "--credentials expects AKID:SECRET or AKID:SECRET:TOKEN, got '%.*s...'", 4, pair);
    const char *colon2 = strchr(colon + 1, ':');
    if (colon2 != NULL && colon2[1] == '\0')
        return fail(err, err_size, "--credentials expects AKID:SECRET:TOKEN with a token, got '%.*s...'", 4, pair);
    char *akid = strndup(pair, (size_t)(colon - pair));
    char *secret = strndup(colon + 1, colon2 ? (size_t)(colon2 - colon - 1) : strlen(colon + 1));
    if (akid == NULL || secret == NULL)
        abort();
    add_credential_with_token(cfg, akid, secret, colon2 ? colon2 + 1 : NULL);
    OPENSSL_cleanse(secret, strlen(secret));
    free(secret);
    free(akid);
    return WG_CONFIG_OK;
}

/* WSGATE_CREDENTIALS: "AKID:SECRET[:TOKEN]" items separated by commas or whitespace, read from the
 * environment so that secrets need not be command-line arguments (world-readable in /proc; the
 * container's entrypoint relies on this). The copy is wiped before it is freed. */
static int load_credentials_env(wg_config_t *cfg, char *err, size_t err_size)
{
    const char *env = getenv("WSGATE_CREDENTIALS");
    if (env == NULL || *env == '\0')
        return WG_CONFIG_OK;
    char *copy = dup_or_die(env);
    size_t copy_len = strlen(copy);
    int rc = WG_CONFIG_OK;
    char *save = NULL;
    for (char *item = strtok_r(copy, ", \t\r\n", &save); item != NULL; item = strtok_r(NULL, ", \t\r\n", &save)) {
        if (add_credential_pair(cfg, item, err, err_size) != WG_CONFIG_OK) {
            rc = WG_CONFIG_ERROR;
            break;
        }
    }
    OPENSSL_cleanse(copy, copy_len);
    free(copy);
    return rc;
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
    r->mock_status = 200;
    return r;
}

const wg_route_config_t *wg_config_route(const wg_config_t *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->num_routes; i++)
        if (strcmp(cfg->routes[i].key, key) == 0)
            return &cfg->routes[i];
    return NULL;
}

const char *wg_config_stage_variable(const wg_config_t *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->num_stage_variables; i++)
        if (strcmp(cfg->stage_variables[i].key, key) == 0)
            return cfg->stage_variables[i].value;
    return NULL;
}

int wg_config_is_loopback_host(const char *host)
{
    if (host == NULL)
        return 0;
    if (strcmp(host, "localhost") == 0)
        return 1;
    struct in_addr v4;
    struct in6_addr v6;
    if (inet_pton(AF_INET, host, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &v6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&v6))
            return 1;
        return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
    }
    return 0;
}

const char *wg_config_session_token_for(const wg_config_t *cfg, const char *access_key_id)
{
    for (size_t i = 0; i < cfg->num_credentials; i++)
        if (strcmp(cfg->credentials[i].access_key_id, access_key_id) == 0)
            return cfg->credentials[i].session_token;
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

/* Every error names the place (file, or file:line when the format knows) and the key. */
#define WHERE(node) wg_config_document_where(doc, (node), where_buf, sizeof(where_buf))
#define DOC_FAIL(node, ...) (WHERE(node), fail_at(err, err_size, where_buf, __VA_ARGS__))

static int fail_at(char *err, size_t err_size, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_at(char *err, size_t err_size, const char *where, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(err, err_size, "%s: %s", where, msg);
    return WG_CONFIG_ERROR;
}

static int want_string(const wg_config_document_t *doc, const char *key, json_t *v, char *err, size_t err_size)
{
    char where_buf[512];
    if (!json_is_string(v))
        return DOC_FAIL(v, "key '%s' must be a string", key);
    return WG_CONFIG_OK;
}

static int want_int(const wg_config_document_t *doc, const char *key, json_t *v, long long min, long long max,
                    long long *out, char *err, size_t err_size)
{
    char where_buf[512];
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return DOC_FAIL(v, "key '%s' must be a whole number from %lld to %lld", key, min, max);
    *out = json_integer_value(v);
    return WG_CONFIG_OK;
}

static int want_bool(const wg_config_document_t *doc, const char *key, json_t *v, int *out, char *err, size_t err_size)
{
    char where_buf[512];
    if (!json_is_boolean(v))
        return DOC_FAIL(v, "key '%s' must be true or false", key);
    *out = json_is_true(v);
    return WG_CONFIG_OK;
}

const char *wg_integration_type_name(wg_integration_type_t type)
{
    switch (type) {
    case WG_INTEGRATION_HTTP: return "http";
    case WG_INTEGRATION_DEMO: return "demo";
    case WG_INTEGRATION_LAMBDA: return "lambda";
    case WG_INTEGRATION_HTTP_PROXY: return "http_proxy";
    case WG_INTEGRATION_MOCK: return "mock";
    case WG_INTEGRATION_FUNCTION: return "function";
    }
    return "?";
}

/* The canonical lower-case names, and AWS's IntegrationType spellings for the same thing. */
static int parse_integration_type(const char *s, wg_integration_type_t *out)
{
    if (strcmp(s, "http") == 0 || strcmp(s, "AWS_PROXY") == 0)
        *out = WG_INTEGRATION_HTTP;
    else if (strcmp(s, "lambda") == 0)
        *out = WG_INTEGRATION_LAMBDA;
    else if (strcmp(s, "http_proxy") == 0 || strcmp(s, "HTTP_PROXY") == 0)
        *out = WG_INTEGRATION_HTTP_PROXY;
    else if (strcmp(s, "mock") == 0 || strcmp(s, "MOCK") == 0)
        *out = WG_INTEGRATION_MOCK;
    else if (strcmp(s, "demo") == 0)
        *out = WG_INTEGRATION_DEMO;
    else
        return -1;
    return 0;
}

static int is_http_url(const char *s)
{
    return (strncmp(s, "http://", 7) == 0 && s[7] != '\0') || (strncmp(s, "https://", 8) == 0 && s[8] != '\0');
}

/* requestContext values a request parameter may read as context.<name> (the WebSocket mapping
 * reference's $context variables that wsgate has); authorizer.<key> reads the authorizer's. */
static const char *const context_names[] = {
    "connectionId",
    "requestId",
    "extendedRequestId",
    "eventType",
    "routeKey",
    "stage",
    "apiId",
    "domainName",
    "connectedAt",
    "requestTimeEpoch",
    "requestTime",
    "messageId",
    "messageDirection",
    "identity.sourceIp",
    "identity.userAgent",
    "disconnectStatusCode",
    "disconnectReason",
    "authorizer.principalId",
    NULL,
};

static int is_known_context_name(const char *name)
{
    for (size_t i = 0; context_names[i] != NULL; i++)
        if (strcmp(name, context_names[i]) == 0)
            return 1;
    return strncmp(name, "authorizer.", 11) == 0 && name[11] != '\0';
}

static int is_valid_header_name(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || strchr("!#$%&'*+-.^_`|~", *s) != NULL))
            return 0;
    return 1;
}

/* One "integration.request.<header|querystring>.<name>": "<source>" entry (spec 3). */
static int load_request_parameter(const wg_config_document_t *doc, wg_route_config_t *r, const char *target, json_t *v,
                                  char *err, size_t err_size)
{
    char where_buf[512];
    const char *rk = r->key;
    int is_header;
    const char *name;
    if (strncmp(target, "integration.request.header.", 27) == 0) {
        is_header = 1;
        name = target + 27;
    } else if (strncmp(target, "integration.request.querystring.", 32) == 0) {
        is_header = 0;
        name = target + 32;
    } else {
        return DOC_FAIL(v,
                        "routes.%s.requestParameters: '%s' must start with integration.request.header. or "
                        "integration.request.querystring.",
                        rk, target);
    }
    if (*name == '\0' || (is_header && !is_valid_header_name(name)))
        return DOC_FAIL(v, "routes.%s.requestParameters: '%s' does not name a %s", rk, target,
                        is_header ? "header" : "query parameter");
    if (!json_is_string(v))
        return DOC_FAIL(v, "routes.%s.requestParameters.%s must be a string such as \"context.connectionId\"", rk,
                        target);
    const char *src = json_string_value(v);
    size_t src_len = strlen(src);
    wg_param_source_kind_t kind;
    const char *rest;
    int is_connect = strcmp(rk, "$connect") == 0, is_message = !is_connect && strcmp(rk, "$disconnect") != 0;
    if (src_len >= 2 && src[0] == '\'' && src[src_len - 1] == '\'') {
        kind = WG_PARAM_STATIC;
        rest = NULL;
    } else if (strncmp(src, "context.", 8) == 0) {
        kind = WG_PARAM_CONTEXT;
        rest = src + 8;
        if (!is_known_context_name(rest))
            return DOC_FAIL(v,
                            "routes.%s.requestParameters.%s: unknown context variable '%s' (known: connectionId, "
                            "requestId, extendedRequestId, eventType, routeKey, stage, apiId, domainName, "
                            "connectedAt, requestTimeEpoch, requestTime, messageId, messageDirection, "
                            "identity.sourceIp, identity.userAgent, disconnectStatusCode, disconnectReason, "
                            "authorizer.<key>)",
                            rk, target, src);
    } else if (strncmp(src, "stageVariables.", 15) == 0 && src[15] != '\0') {
        kind = WG_PARAM_STAGE_VARIABLE;
        rest = src + 15;
    } else if (strncmp(src, "route.request.header.", 21) == 0 && src[21] != '\0') {
        kind = WG_PARAM_HEADER;
        rest = src + 21;
    } else if (strncmp(src, "route.request.querystring.", 26) == 0 && src[26] != '\0') {
        kind = WG_PARAM_QUERYSTRING;
        rest = src + 26;
    } else if (strncmp(src, "route.request.body.", 19) == 0 && src[19] != '\0') {
        kind = WG_PARAM_BODY;
        rest = src + 19;
    } else {
        return DOC_FAIL(v,
                        "routes.%s.requestParameters.%s: '%s' must be 'static', context.*, stageVariables.*, "
                        "route.request.header.*, route.request.querystring.* or route.request.body.*",
                        rk, target, src);
    }
    /* Only $connect has an HTTP request; only messages have a body (websocket-api-data-mapping) [D]. */
    if ((kind == WG_PARAM_HEADER || kind == WG_PARAM_QUERYSTRING) && !is_connect)
        return DOC_FAIL(v, "routes.%s.requestParameters.%s: route.request.header/querystring exist only on $connect",
                        rk, target);
    if (kind == WG_PARAM_BODY && !is_message)
        return DOC_FAIL(v, "routes.%s.requestParameters.%s: route.request.body exists only on message routes", rk,
                        target);
    r->params = realloc(r->params, (r->num_params + 1) * sizeof(*r->params));
    if (r->params == NULL)
        abort();
    wg_request_parameter_t *p = &r->params[r->num_params++];
    p->is_header = is_header;
    p->name = dup_or_die(name);
    p->kind = kind;
    p->source = kind == WG_PARAM_STATIC ? strndup(src + 1, src_len - 2) : dup_or_die(rest);
    if (p->source == NULL)
        abort();
    return WG_CONFIG_OK;
}

static int load_mock_response(const wg_config_document_t *doc, wg_route_config_t *r, json_t *spec, char *err,
                              size_t err_size)
{
    char where_buf[512];
    if (!json_is_object(spec))
        return DOC_FAIL(spec, "routes.%s.response must be an object {\"statusCode\": 200, \"body\": \"...\"}", r->key);
    const char *name;
    json_t *v;
    json_object_foreach(spec, name, v) {
        if (strcmp(name, "statusCode") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 100 || json_integer_value(v) > 599)
                return DOC_FAIL(v, "routes.%s.response.statusCode must be an HTTP status from 100 to 599", r->key);
            r->mock_status = (int)json_integer_value(v);
        } else if (strcmp(name, "body") == 0) {
            free(r->mock_body);
            if (json_is_string(v)) {
                r->mock_body = dup_or_die(json_string_value(v));
            } else {
                /* A JSON value is sent as its compact text: what a template would produce. */
                r->mock_body = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
                if (r->mock_body == NULL)
                    abort();
            }
        } else {
            return DOC_FAIL(v, "unknown key 'routes.%s.response.%s' (expected statusCode, body)", r->key, name);
        }
    }
    return WG_CONFIG_OK;
}

static int parse_authorization_type(const char *s, wg_authorization_type_t *out)
{
    if (strcmp(s, "NONE") == 0)
        *out = WG_AUTHORIZATION_NONE;
    else if (strcmp(s, "AWS_IAM") == 0)
        *out = WG_AUTHORIZATION_AWS_IAM;
    else if (strcmp(s, "CUSTOM") == 0)
        *out = WG_AUTHORIZATION_CUSTOM;
    else
        return -1;
    return 0;
}

static int load_route(wg_config_t *cfg, const wg_config_document_t *doc, const char *key, json_t *spec, char *err,
                      size_t err_size)
{
    char where_buf[512];
    if (!json_is_object(spec))
        return DOC_FAIL(spec, "routes.%s must be an object", key);
    if (*key == '\0' || strlen(key) > 128)
        return DOC_FAIL(spec, "route keys must be 1 to 128 characters");
    if (wg_config_route(cfg, key) != NULL)
        return DOC_FAIL(spec, "route '%s' is defined twice", key);
    wg_route_config_t *r = add_route(cfg, key);
    int has_method = 0, has_response = 0;
    int is_connect = strcmp(key, "$connect") == 0;
    const char *name;
    json_t *v;
    json_object_foreach(spec, name, v) {
        char what[200];
        snprintf(what, sizeof(what), "routes.%s.%s", key, name);
        if (strcmp(name, "uri") == 0) {
            if (want_string(doc, what, v, err, err_size))
                return WG_CONFIG_ERROR;
            set_string(&r->uri, json_string_value(v));
        } else if (strcmp(name, "integration") == 0 || strcmp(name, "type") == 0) {
            if (want_string(doc, what, v, err, err_size))
                return WG_CONFIG_ERROR;
            if (parse_integration_type(json_string_value(v), &r->type) != 0)
                return DOC_FAIL(v, "%s: unknown integration '%s' (expected http, lambda, http_proxy, mock or demo)",
                                what, json_string_value(v));
        } else if (strcmp(name, "function") == 0) {
            if (want_string(doc, what, v, err, err_size))
                return WG_CONFIG_ERROR;
            if (json_string_length(v) == 0)
                return DOC_FAIL(v, "%s must not be empty", what);
            set_string(&r->function, json_string_value(v));
        } else if (strcmp(name, "method") == 0) {
            static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", NULL};
            if (want_string(doc, what, v, err, err_size))
                return WG_CONFIG_ERROR;
            size_t i;
            for (i = 0; methods[i] != NULL && strcmp(methods[i], json_string_value(v)) != 0; i++)
                ;
            if (methods[i] == NULL)
                return DOC_FAIL(v, "%s must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS", what);
            set_string(&r->method, methods[i]);
            has_method = 1;
        } else if (strcmp(name, "requestParameters") == 0) {
            if (!json_is_object(v))
                return DOC_FAIL(v, "%s must be an object of \"integration.request.header.X\": \"source\"", what);
            const char *target;
            json_t *src;
            json_object_foreach(v, target, src) {
                if (load_request_parameter(doc, r, target, src, err, err_size))
                    return WG_CONFIG_ERROR;
            }
        } else if (strcmp(name, "response") == 0) {
            if (load_mock_response(doc, r, v, err, err_size))
                return WG_CONFIG_ERROR;
            has_response = 1;
        } else if (strcmp(name, "twoWay") == 0) {
            if (want_bool(doc, what, v, &r->is_two_way, err, err_size))
                return WG_CONFIG_ERROR;
        } else if (strcmp(name, "timeout") == 0) {
            long long ms;
            if (want_int(doc, what, v, WG_LIMIT_INTEGRATION_TIMEOUT_MIN_MS, 3600000, &ms, err, err_size))
                return WG_CONFIG_ERROR;
            r->timeout_ms = (uint32_t)ms;
        } else if (strcmp(name, "authorizationType") == 0) {
            if (want_string(doc, what, v, err, err_size))
                return WG_CONFIG_ERROR;
            if (!is_connect)
                return DOC_FAIL(v, "%s: only $connect can have authorization (spec 8)", what);
            if (parse_authorization_type(json_string_value(v), &r->authorization) != 0)
                return DOC_FAIL(v, "%s must be NONE, AWS_IAM or CUSTOM", what);
            r->has_authorization_type = 1;
        } else if (strcmp(name, "apiKeyRequired") == 0) {
            if (!is_connect)
                return DOC_FAIL(v, "%s: only $connect can require an API key (messages carry no headers)", what);
            if (want_bool(doc, what, v, &r->is_api_key_required, err, err_size))
                return WG_CONFIG_ERROR;
        } else {
            return DOC_FAIL(v, "unknown key '%s'", what);
        }
    }
    if (r->num_params > 0 && r->type != WG_INTEGRATION_HTTP_PROXY)
        return DOC_FAIL(spec, "routes.%s.requestParameters needs \"integration\": \"http_proxy\"", key);
    if (has_method && r->type != WG_INTEGRATION_HTTP_PROXY)
        return DOC_FAIL(spec, "routes.%s.method needs \"integration\": \"http_proxy\"", key);
    if (has_response && r->type != WG_INTEGRATION_MOCK)
        return DOC_FAIL(spec, "routes.%s.response needs \"integration\": \"mock\"", key);
    return WG_CONFIG_OK;
}

/* ---- functions ------------------------------------------------------------------------------ */

static wg_function_target_t *find_function(const wg_config_t *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->num_functions; i++)
        if (strcmp(cfg->functions[i].name, name) == 0)
            return &cfg->functions[i];
    return NULL;
}

static void free_function_code(wg_function_code_t *code);

static void free_function(wg_function_target_t *f)
{
    free(f->name);
    free(f->uri);
    free(f->function);
    free_function_code(f->code);
    memset(f, 0, sizeof(*f));
}

const wg_function_target_t *wg_config_function_target(const wg_config_t *cfg, const char *name)
{
    return find_function(cfg, name);
}

/* Adds or replaces `name` (later definitions win: --function over the file). Takes uri/function. */
static void put_function(wg_config_t *cfg, const char *name, wg_integration_type_t type, char *uri, char *function)
{
    wg_function_target_t *f = find_function(cfg, name);
    if (f == NULL) {
        cfg->functions = realloc(cfg->functions, (cfg->num_functions + 1) * sizeof(*cfg->functions));
        if (cfg->functions == NULL)
            abort();
        f = &cfg->functions[cfg->num_functions++];
        memset(f, 0, sizeof(*f));
    } else {
        free_function(f);
    }
    f->name = dup_or_die(name);
    f->type = type;
    f->uri = uri;
    f->function = function != NULL ? function : (type == WG_INTEGRATION_LAMBDA ? dup_or_die(name) : NULL);
}

/* TARGET of --function / a "functions" string: an http(s) URL, or lambda:http://host:port[/name]. */
static int parse_function_target(wg_config_t *cfg, const char *name, const char *target, char *why, size_t why_size)
{
    if (is_http_url(target)) {
        put_function(cfg, name, WG_INTEGRATION_HTTP, dup_or_die(target), NULL);
        return 0;
    }
    if (strncmp(target, "lambda:", 7) == 0 && is_http_url(target + 7)) {
        const char *url = target + 7;
        const char *authority = strstr(url, "://") + 3;
        const char *slash = strchr(authority, '/');
        char *function = NULL;
        if (slash != NULL) {
            const char *fn = slash + 1;
            size_t fn_len = strlen(fn);
            while (fn_len > 0 && fn[fn_len - 1] == '/')
                fn_len--;
            if (memchr(fn, '/', fn_len) != NULL || memchr(fn, '?', fn_len) != NULL) {
                snprintf(why, why_size,
                         "'%s': after lambda:http://host:port only one path segment (the function "
                         "name) may follow",
                         target);
                return -1;
            }
            if (fn_len > 0) {
                function = strndup(fn, fn_len);
                if (function == NULL)
                    abort();
            }
        }
        char *uri = strndup(url, slash != NULL ? (size_t)(slash - url) : strlen(url));
        if (uri == NULL)
            abort();
        put_function(cfg, name, WG_INTEGRATION_LAMBDA, uri, function);
        return 0;
    }
    snprintf(why, why_size,
             "'%s' must be an http(s):// URL (an HTTP handler receiving the Lambda proxy event) or "
             "lambda:http://HOST:PORT[/FUNCTION] (the Lambda Invoke API, e.g. aws-lambda-rie)",
             target);
    return -1;
}

/* ---- functions wsgate runs itself (contract 2: config.h wg_function_code_t) ------------------ */

static void free_function_code(wg_function_code_t *code)
{
    if (code == NULL)
        return;
    free(code->runtime);
    free(code->handler);
    free(code->code_path);
    for (size_t i = 0; i < code->num_env; i++) {
        free(code->env[i].key);
        free(code->env[i].value);
    }
    free(code->env);
    free(code);
}

/* env[key] = value: replaces the value of a key already there, else appends (order kept). */
static void set_function_env(wg_function_code_t *code, const char *key, const char *value)
{
    for (size_t i = 0; i < code->num_env; i++) {
        if (strcmp(code->env[i].key, key) == 0) {
            set_string(&code->env[i].value, value);
            return;
        }
    }
    code->env = realloc(code->env, (code->num_env + 1) * sizeof(*code->env));
    if (code->env == NULL)
        abort();
    code->env[code->num_env].key = dup_or_die(key);
    code->env[code->num_env].value = dup_or_die(value);
    code->num_env++;
}

/* `path` as an absolute path: a relative one is relative to the directory of `base_file` (the
 * config file, itself maybe relative to the working directory). Symbolic links and ".." are
 * resolved when the path exists, so the runtime watches the real files. New string. */
static char *absolute_path(const char *base_file, const char *path)
{
    char *joined = NULL;
    if (path[0] == '/') {
        joined = dup_or_die(path);
    } else {
        const char *slash = base_file ? strrchr(base_file, '/') : NULL;
        int dir_len = slash == NULL ? 1 : slash == base_file ? 1 : (int)(slash - base_file);
        const char *dir = slash == NULL ? "." : base_file;
        char cwd[4096] = ".";
        if (dir[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL)
            snprintf(cwd, sizeof(cwd), "."); /* a working directory that is gone: the path stays relative */
        if (asprintf(&joined, "%s%s%.*s/%s", dir[0] == '/' ? "" : cwd, dir[0] == '/' ? "" : "/", dir_len, dir, path) <
            0)
            abort();
    }
    char *real = realpath(joined, NULL);
    if (real == NULL)
        return joined;
    free(joined);
    return real;
}

static int is_provided_runtime(const char *runtime)
{
    return strncmp(runtime, "provided", 8) == 0;
}

/* A "functions" entry with "runtime": code wsgate runs itself. */
static int load_function_code(wg_config_t *cfg, const wg_config_document_t *doc, const char *name, json_t *spec,
                              char *err, size_t err_size)
{
    char where_buf[512];
    wg_function_code_t *code = calloc(1, sizeof(*code));
    if (code == NULL)
        abort();
    code->timeout_s = WG_LIMIT_FUNCTION_TIMEOUT_S_DEFAULT;
    code->memory_mb = WG_LIMIT_FUNCTION_MEMORY_MB_DEFAULT;
    int rc = WG_CONFIG_ERROR;
    const char *k;
    json_t *v;
    long long n;
    json_object_foreach(spec, k, v) {
        char what[200];
        snprintf(what, sizeof(what), "functions.%s.%s", name, k);
        if (strcmp(k, "runtime") == 0 || strcmp(k, "handler") == 0 || strcmp(k, "codeUri") == 0) {
            if (want_string(doc, what, v, err, err_size))
                goto out;
            if (json_string_length(v) == 0) {
                DOC_FAIL(v, "%s must not be empty", what);
                goto out;
            }
            if (strcmp(k, "runtime") == 0)
                set_string(&code->runtime, json_string_value(v));
            else if (strcmp(k, "handler") == 0)
                set_string(&code->handler, json_string_value(v));
            else {
                free(code->code_path);
                code->code_path = absolute_path(doc->path, json_string_value(v));
            }
        } else if (strcmp(k, "timeout") == 0) {
            if (want_int(doc, what, v, 1, WG_LIMIT_FUNCTION_TIMEOUT_S_MAX, &n, err, err_size))
                goto out;
            code->timeout_s = (uint32_t)n;
        } else if (strcmp(k, "memorySize") == 0) {
            if (want_int(doc, what, v, WG_LIMIT_FUNCTION_MEMORY_MB_MIN, WG_LIMIT_FUNCTION_MEMORY_MB_MAX, &n, err,
                         err_size))
                goto out;
            code->memory_mb = (uint32_t)n;
        } else if (strcmp(k, "reservedConcurrency") == 0) {
            if (want_int(doc, what, v, 1, WG_LIMIT_FUNCTION_CONCURRENCY_MAX, &n, err, err_size))
                goto out;
            code->reserved_concurrency = (uint32_t)n;
        } else if (strcmp(k, "environment") == 0) {
            if (!json_is_object(v)) {
                DOC_FAIL(v, "%s must be an object of NAME -> string", what);
                goto out;
            }
            const char *ek;
            json_t *ev;
            json_object_foreach(v, ek, ev) {
                if (*ek == '\0' || strchr(ek, '=') != NULL) {
                    DOC_FAIL(ev, "%s: '%s' is not an environment variable name", what, ek);
                    goto out;
                }
                if (!json_is_string(ev)) {
                    DOC_FAIL(ev, "%s.%s must be a string", what, ek);
                    goto out;
                }
                set_function_env(code, ek, json_string_value(ev));
            }
        } else if (strcmp(k, "functionName") == 0) {
            if (want_string(doc, what, v, err, err_size))
                goto out;
            cfg->function_names =
                realloc(cfg->function_names, (cfg->num_function_names + 1) * sizeof(*cfg->function_names));
            if (cfg->function_names == NULL)
                abort();
            cfg->function_names[cfg->num_function_names].key = dup_or_die(json_string_value(v));
            cfg->function_names[cfg->num_function_names].value = dup_or_die(name);
            cfg->num_function_names++;
        } else if (strcmp(k, "unresolvedEnvironment") == 0 && json_is_object(v)) {
            /* written by the template readers: variables whose value a template could not give */
            const char *ek;
            json_t *why;
            json_object_foreach(v, ek, why) {
                wg_log_warn("function %s: environment variable %s has no value from the template (%s); it is unset "
                            "unless --env-vars gives it",
                            name, ek, json_is_string(why) ? json_string_value(why) : "?");
            }
        } else {
            DOC_FAIL(v,
                     "unknown key '%s' (a function wsgate runs has runtime, handler, codeUri, timeout, memorySize, "
                     "reservedConcurrency, environment, functionName)",
                     what);
            goto out;
        }
    }
    if (code->code_path == NULL) {
        DOC_FAIL(spec, "functions.%s needs \"codeUri\": the directory (or .jar/.zip) of its code", name);
        goto out;
    }
    if (code->handler == NULL && is_provided_runtime(code->runtime))
        code->handler = dup_or_die("bootstrap"); /* [I] inferred: custom runtimes ignore the handler */
    if (code->handler == NULL) {
        DOC_FAIL(spec, "functions.%s needs \"handler\" (e.g. \"app.handler\")", name);
        goto out;
    }
    struct stat st;
    if (stat(code->code_path, &st) != 0) {
        DOC_FAIL(json_object_get(spec, "codeUri"), "functions.%s.codeUri: %s: %s", name, code->code_path,
                 strerror(errno));
        goto out;
    }
    put_function(cfg, name, WG_INTEGRATION_FUNCTION, NULL, NULL);
    find_function(cfg, name)->code = code;
    code = NULL;
    rc = WG_CONFIG_OK;
out:
    free_function_code(code);
    return rc;
}

static int load_functions(wg_config_t *cfg, const wg_config_document_t *doc, json_t *v, char *err, size_t err_size)
{
    char where_buf[512];
    if (!json_is_object(v))
        return DOC_FAIL(v, "key 'functions' must be an object of function name -> target");
    const char *name;
    json_t *spec;
    json_object_foreach(v, name, spec) {
        if (*name == '\0')
            return DOC_FAIL(spec, "functions: names must not be empty");
        if (json_is_string(spec)) {
            char why[512];
            if (parse_function_target(cfg, name, json_string_value(spec), why, sizeof(why)) != 0)
                return DOC_FAIL(spec, "functions.%s: %s", name, why);
            continue;
        }
        if (!json_is_object(spec))
            return DOC_FAIL(spec,
                            "functions.%s must be a URL string, {\"integration\": \"lambda\", \"uri\": ..., "
                            "\"function\": ...} or {\"runtime\": ..., \"handler\": ..., \"codeUri\": ...}",
                            name);
        if (json_object_get(spec, "runtime") != NULL) {
            if (load_function_code(cfg, doc, name, spec, err, err_size))
                return WG_CONFIG_ERROR;
            continue;
        }
        wg_integration_type_t type = WG_INTEGRATION_HTTP;
        const char *uri = NULL, *function = NULL;
        const char *k;
        json_t *fv;
        json_object_foreach(spec, k, fv) {
            char what[200];
            snprintf(what, sizeof(what), "functions.%s.%s", name, k);
            if (strcmp(k, "integration") == 0) {
                if (want_string(doc, what, fv, err, err_size))
                    return WG_CONFIG_ERROR;
                if (parse_integration_type(json_string_value(fv), &type) != 0 ||
                    (type != WG_INTEGRATION_HTTP && type != WG_INTEGRATION_LAMBDA))
                    return DOC_FAIL(fv, "%s must be http or lambda", what);
            } else if (strcmp(k, "uri") == 0) {
                if (want_string(doc, what, fv, err, err_size))
                    return WG_CONFIG_ERROR;
                uri = json_string_value(fv);
            } else if (strcmp(k, "function") == 0) {
                if (want_string(doc, what, fv, err, err_size))
                    return WG_CONFIG_ERROR;
                function = json_string_value(fv);
            } else {
                return DOC_FAIL(fv, "unknown key '%s' (expected integration, uri, function)", what);
            }
        }
        if (uri == NULL || !is_http_url(uri))
            return DOC_FAIL(spec, "functions.%s needs a \"uri\" starting with http:// or https://", name);
        if (function != NULL && type != WG_INTEGRATION_LAMBDA)
            return DOC_FAIL(spec, "functions.%s.function needs \"integration\": \"lambda\"", name);
        put_function(cfg, name, type, dup_or_die(uri), function != NULL && *function ? dup_or_die(function) : NULL);
    }
    return WG_CONFIG_OK;
}

static int load_authorizer(wg_config_t *cfg, const wg_config_document_t *doc, json_t *spec, char *err, size_t err_size)
{
    char where_buf[512];
    wg_authorizer_config_t *a = &cfg->authorizer;
    if (!json_is_object(spec))
        return DOC_FAIL(spec, "key 'authorizer' must be an object {\"integration\", \"uri\", \"function\", "
                              "\"identitySource\", \"accountId\"}");
    a->is_configured = 1;
    a->type = WG_INTEGRATION_HTTP;
    const char *name;
    json_t *v;
    json_object_foreach(spec, name, v) {
        char what[200];
        snprintf(what, sizeof(what), "authorizer.%s", name);
        if (strcmp(name, "integration") == 0 || strcmp(name, "type") == 0) {
            if (want_string(doc, what, v, err, err_size))
                return WG_CONFIG_ERROR;
            if (parse_integration_type(json_string_value(v), &a->type) != 0 ||
                (a->type != WG_INTEGRATION_HTTP && a->type != WG_INTEGRATION_LAMBDA))
                return DOC_FAIL(v, "%s must be http (the authorizer event POSTed to uri) or lambda", what);
        } else if (strcmp(name, "uri") == 0) {
            if (want_string(doc, what, v, err, err_size))
                return WG_CONFIG_ERROR;
            set_string(&a->uri, json_string_value(v));
        } else if (strcmp(name, "function") == 0) {
            if (want_string(doc, what, v, err, err_size))
                return WG_CONFIG_ERROR;
            if (json_string_length(v) == 0)
                return DOC_FAIL(v, "%s must not be empty", what);
            set_string(&a->function, json_string_value(v));
        } else if (strcmp(name, "identitySource") == 0) {
            /* AWS's own form is one comma-separated string; a list is accepted too. */
            json_t *list = json_is_string(v) ? NULL : v;
            if (list != NULL && !json_is_array(list))
                return DOC_FAIL(v, "%s must be a list such as [\"route.request.header.Authorization\"]", what);
            size_t n = list ? json_array_size(list) : 1;
            for (size_t i = 0; i < n; i++) {
                json_t *item = list ? json_array_get(list, i) : v;
                if (!json_is_string(item))
                    return DOC_FAIL(item, "%s[%zu] must be a string", what, i);
                char *copy = dup_or_die(json_string_value(item)), *save = NULL;
                for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
                    while (*tok == ' ')
                        tok++;
                    size_t tl = strlen(tok);
                    while (tl > 0 && tok[tl - 1] == ' ')
                        tok[--tl] = '\0';
                    if (tl == 0)
                        continue;
                    /* `$request.header.X` is the HTTP-API spelling of route.request.header.X */
                    const char *prefixes[] = {"route.request.header.", "route.request.querystring.", "stageVariables.",
                                              "context."};
                    int ok = 0;
                    for (size_t p = 0; p < 4; p++)
                        if (strncmp(tok, prefixes[p], strlen(prefixes[p])) == 0 && tok[strlen(prefixes[p])] != '\0')
                            ok = 1;
                    if (!ok) {
                        DOC_FAIL(item,
                                 "%s: '%s' must be route.request.header.X, route.request.querystring.x, "
                                 "stageVariables.x or context.x",
                                 what, tok);
                        free(copy);
                        return WG_CONFIG_ERROR;
                    }
                    a->identity_sources =
                        realloc(a->identity_sources, (a->num_identity_sources + 1) * sizeof(*a->identity_sources));
                    if (a->identity_sources == NULL)
                        abort();
                    a->identity_sources[a->num_identity_sources++] = dup_or_die(tok);
                }
                free(copy);
            }
        } else if (strcmp(name, "accountId") == 0) {
            if (want_string(doc, what, v, err, err_size))
                return WG_CONFIG_ERROR;
            set_string(&cfg->account_id, json_string_value(v));
        } else if (strcmp(name, "timeout") == 0) {
            long long ms;
            if (want_int(doc, what, v, WG_LIMIT_INTEGRATION_TIMEOUT_MIN_MS, 3600000, &ms, err, err_size))
                return WG_CONFIG_ERROR;
            a->timeout_ms = (uint32_t)ms;
        } else {
            return DOC_FAIL(v,
                            "unknown key '%s' (expected integration, uri, function, identitySource, accountId, "
                            "timeout)",
                            what);
        }
    }
    return WG_CONFIG_OK;
}

/*
 * An AWS shared credentials file (~/.aws/credentials format): every profile's
 * aws_access_key_id / aws_secret_access_key pair becomes a known key.
 */
static int load_credentials_file(wg_config_t *cfg, const char *path, char *err, size_t err_size)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return fail(err, err_size, "credentials file %s: %s", path, strerror(errno));
    char line[4096], akid[256] = "", secret[256] = "", token[2048] = "";
    int line_no = 0, added = 0, rc = WG_CONFIG_OK;
    for (;;) {
        int is_eof = fgets(line, sizeof(line), f) == NULL;
        char *p = is_eof ? (char *)"" : line;
        line_no += !is_eof;
        while (isspace((unsigned char)*p))
            p++;
        if (is_eof || *p == '[') {
            /* a profile ends: keep its pair */
            if (akid[0] != '\0' && secret[0] != '\0') {
                add_credential_with_token(cfg, akid, secret, token[0] ? token : NULL);
                added++;
            }
            akid[0] = secret[0] = token[0] = '\0';
            if (is_eof)
                break;
            continue;
        }
        if (*p == '#' || *p == ';' || *p == '\0')
            continue;
        char *eq = strchr(p, '=');
        if (eq == NULL) {
            rc = fail(err, err_size, "credentials file %s:%d: expected 'name = value'", path, line_no);
            goto out;
        }
        char *name_end = eq;
        while (name_end > p && isspace((unsigned char)name_end[-1]))
            name_end--;
        char *value = eq + 1;
        while (isspace((unsigned char)*value))
            value++;
        size_t value_len = strcspn(value, "\r\n");
        while (value_len > 0 && isspace((unsigned char)value[value_len - 1]))
            value_len--;
        size_t name_len = (size_t)(name_end - p);
        char *slot = NULL;
        if (name_len == 17 && strncmp(p, "aws_access_key_id", 17) == 0)
            slot = akid;
        else if (name_len == 21 && strncmp(p, "aws_secret_access_key", 21) == 0)
            slot = secret;
        size_t slot_size = 256;
        if (name_len == 17 && strncmp(p, "aws_session_token", 17) == 0) {
            slot = token;
            slot_size = sizeof(token);
        }
        if (slot != NULL && value_len < slot_size) {
            memcpy(slot, value, value_len);
            slot[value_len] = '\0';
        }
    }
    if (added == 0)
        rc = fail(err, err_size, "credentials file %s: no profile with aws_access_key_id and aws_secret_access_key",
                  path);
out:
    /* every path wipes what the file's secrets passed through */
    fclose(f);
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(token, sizeof(token));
    OPENSSL_cleanse(line, sizeof(line));
    return rc;
}

static int load_file(wg_config_t *cfg, const char *path, const json_t *parameters, char *err, size_t err_size)
{
    wg_config_document_t docv;
    const wg_config_document_t *doc = &docv;
    char where_buf[512];
    if (wg_config_document_load_with_parameters(path, parameters, &docv, err, err_size) != 0)
        return WG_CONFIG_ERROR;
    /* aws-apigw-ws-emulator's @connections is unsigned: its files default to --auth none. */
    cfg->is_emulator_config = docv.format == WG_CONFIG_FORMAT_EMULATOR;
    if (cfg->is_emulator_config && json_object_get(docv.root, "auth") == NULL)
        cfg->auth = WG_AUTH_NONE, cfg->is_auth_emulator_default = 1;
    json_t *root = doc->root;
    int rc = WG_CONFIG_OK;
    if (!json_is_object(root)) {
        rc = DOC_FAIL(root, "the top level must be an object");
        goto out;
    }
    const char *key;
    json_t *v;
    long long n;
    json_object_foreach(root, key, v) {
        if (strcmp(key, "port") == 0) {
            if ((rc = want_int(doc, key, v, 0, 65535, &n, err, err_size)))
                goto out;
            cfg->port = (int)n;
        } else if (strcmp(key, "host") == 0 || strcmp(key, "stage") == 0 || strcmp(key, "region") == 0 ||
                   strcmp(key, "apiId") == 0 || strcmp(key, "backend") == 0 ||
                   strcmp(key, "routeSelectionExpression") == 0 || strcmp(key, "record") == 0 ||
                   strcmp(key, "auth") == 0 || strcmp(key, "accountId") == 0 || strcmp(key, "domainName") == 0 ||
                   strcmp(key, "credentialsFile") == 0 || strcmp(key, "tls") == 0 || strcmp(key, "tlsCert") == 0 ||
                   strcmp(key, "tlsKey") == 0 || strcmp(key, "stateDir") == 0) {
            if ((rc = want_string(doc, key, v, err, err_size)))
                goto out;
            const char *s = json_string_value(v);
            if (strcmp(key, "host") == 0)
                set_string(&cfg->host, s);
            else if (strcmp(key, "stage") == 0)
                set_string(&cfg->stage, s);
            else if (strcmp(key, "region") == 0)
                set_string(&cfg->region, s);
            else if (strcmp(key, "apiId") == 0)
                set_string(&cfg->api_id, s);
            else if (strcmp(key, "backend") == 0)
                set_string(&cfg->backend, s);
            else if (strcmp(key, "record") == 0)
                set_string(&cfg->record_dir, s);
            else if (strcmp(key, "accountId") == 0)
                set_string(&cfg->account_id, s);
            else if (strcmp(key, "domainName") == 0)
                set_string(&cfg->domain_name, s);
            else if (strcmp(key, "tlsCert") == 0)
                set_string(&cfg->tls_cert_path, s);
            else if (strcmp(key, "tlsKey") == 0)
                set_string(&cfg->tls_key_path, s);
            else if (strcmp(key, "stateDir") == 0)
                set_string(&cfg->state_dir, s);
            else if (strcmp(key, "tls") == 0) {
                if (parse_on_off(s, &cfg->is_tls_off) != 0) {
                    rc = DOC_FAIL(v, "key 'tls' must be on or off");
                    goto out;
                }
            } else if (strcmp(key, "credentialsFile") == 0) {
                if ((rc = load_credentials_file(cfg, s, err, err_size)))
                    goto out;
            } else if (strcmp(key, "routeSelectionExpression") == 0)
                set_string(&cfg->route_selection_expression, s);
            else if (parse_auth_mode(s, &cfg->auth) != 0) {
                rc = DOC_FAIL(v, "key 'auth' must be none, sigv4 or strict");
                goto out;
            }
        } else if (strcmp(key, "customDomain") == 0) {
            if ((rc = want_bool(doc, key, v, &cfg->is_custom_domain, err, err_size)))
                goto out;
        } else if (strcmp(key, "testControl") == 0) {
            if ((rc = want_bool(doc, key, v, &cfg->has_test_control, err, err_size)))
                goto out;
        } else if (strcmp(key, "verbose") == 0) {
            if ((rc = want_bool(doc, key, v, &cfg->is_verbose, err, err_size)))
                goto out;
        } else if (strcmp(key, "idleTimeout") == 0 || strcmp(key, "hardTimeout") == 0) {
            if ((rc = want_int(doc, key, v, 1, 365LL * 24 * 3600, &n, err, err_size)))
                goto out;
            if (strcmp(key, "idleTimeout") == 0)
                cfg->idle_timeout_ms = (uint64_t)n * 1000;
            else
                cfg->hard_timeout_ms = (uint64_t)n * 1000;
        } else if (strcmp(key, "integrationTimeout") == 0) {
            if ((rc = want_int(doc, key, v, WG_LIMIT_INTEGRATION_TIMEOUT_MIN_MS, 3600000, &n, err, err_size)))
                goto out;
            cfg->integration_timeout_ms = (uint32_t)n;
        } else if (strcmp(key, "connectRateLimit") == 0) {
            if ((rc = want_int(doc, key, v, 0, 1000000, &n, err, err_size)))
                goto out;
            cfg->connect_rate_per_second = (uint32_t)n;
        } else if (strcmp(key, "credentials") == 0) {
            if (!json_is_array(v)) {
                rc = DOC_FAIL(v, "key 'credentials' must be a list of {accessKeyId, secretAccessKey}");
                goto out;
            }
            size_t i;
            json_t *c;
            json_array_foreach(v, i, c) {
                json_t *a = json_object_get(c, "accessKeyId"), *s = json_object_get(c, "secretAccessKey");
                json_t *t = json_object_get(c, "sessionToken");
                if (!json_is_object(c) || !json_is_string(a) || !json_is_string(s) || (t && !json_is_string(t)) ||
                    json_object_size(c) != (t ? 3u : 2u)) {
                    rc = DOC_FAIL(c,
                                  "credentials[%zu] must be {\"accessKeyId\": ..., \"secretAccessKey\": ...[, "
                                  "\"sessionToken\": ...]}",
                                  i);
                    goto out;
                }
                add_credential_with_token(cfg, json_string_value(a), json_string_value(s),
                                          t ? json_string_value(t) : NULL);
            }
        } else if (strcmp(key, "routes") == 0) {
            if (!json_is_object(v)) {
                rc = DOC_FAIL(v, "key 'routes' must be an object of route key -> route");
                goto out;
            }
            const char *rk;
            json_t *spec;
            json_object_foreach(v, rk, spec) {
                if ((rc = load_route(cfg, doc, rk, spec, err, err_size)))
                    goto out;
            }
        } else if (strcmp(key, "authorizer") == 0) {
            if ((rc = load_authorizer(cfg, doc, v, err, err_size)))
                goto out;
        } else if (strcmp(key, "functions") == 0) {
            if ((rc = load_functions(cfg, doc, v, err, err_size)))
                goto out;
        } else if (strcmp(key, "apiKeys") == 0) {
            if (!json_is_array(v)) {
                rc = DOC_FAIL(v, "key 'apiKeys' must be a list of strings");
                goto out;
            }
            size_t i;
            json_t *k;
            json_array_foreach(v, i, k) {
                if (!json_is_string(k) || json_string_length(k) == 0) {
                    rc = DOC_FAIL(k, "apiKeys[%zu] must be a non-empty string", i);
                    goto out;
                }
                cfg->api_keys = realloc(cfg->api_keys, (cfg->num_api_keys + 1) * sizeof(*cfg->api_keys));
                if (cfg->api_keys == NULL)
                    abort();
                cfg->api_keys[cfg->num_api_keys++] = dup_or_die(json_string_value(k));
            }
        } else if (strcmp(key, "stageVariables") == 0) {
            if (!json_is_object(v)) {
                rc = DOC_FAIL(v, "key 'stageVariables' must be an object of name -> string");
                goto out;
            }
            const char *sk;
            json_t *sv;
            json_object_foreach(v, sk, sv) {
                if (!json_is_string(sv)) {
                    rc = DOC_FAIL(sv, "stageVariables.%s must be a string", sk);
                    goto out;
                }
                cfg->stage_variables =
                    realloc(cfg->stage_variables, (cfg->num_stage_variables + 1) * sizeof(*cfg->stage_variables));
                if (cfg->stage_variables == NULL)
                    abort();
                cfg->stage_variables[cfg->num_stage_variables].key = dup_or_die(sk);
                cfg->stage_variables[cfg->num_stage_variables].value = dup_or_die(json_string_value(sv));
                cfg->num_stage_variables++;
            }
        } else {
            rc = DOC_FAIL(v, "unknown key '%s'", key);
            goto out;
        }
    }
out:
    wg_config_document_free(&docv);
    return rc;
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

/* ---- --parameter-overrides and --env-vars (SAM CLI's forms) ---------------------------------- */

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
            fail(err, err_size, "--parameter-overrides: a quote is not closed in '%s'", text);
            goto out;
        }
        char *key = token, *value;
        if (strncmp(token, "ParameterKey=", 13) == 0) {
            key = token + 13;
            char *comma = strstr(key, ",ParameterValue=");
            if (comma == NULL) {
                fail(err, err_size, "--parameter-overrides: '%s' needs ,ParameterValue=", token);
                goto out;
            }
            *comma = '\0';
            value = comma + 16;
        } else {
            value = strchr(token, '=');
            if (value == NULL) {
                fail(err, err_size, "--parameter-overrides expects KEY=VALUE pairs (SAM CLI's format), got '%s'",
                     token);
                goto out;
            }
            *value++ = '\0';
        }
        json_t *v = json_string(value);
        if (*key == '\0' || v == NULL) {
            json_decref(v);
            fail(err, err_size, "--parameter-overrides: '%s' needs a name and a UTF-8 value", text);
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

/* Sets every variable of `vars` (an --env-vars object) on `code`; numbers and booleans as text. */
static int apply_env_object(wg_function_code_t *code, const char *path, const char *owner, json_t *vars, char *err,
                            size_t err_size)
{
    const char *k;
    json_t *v;
    json_object_foreach(vars, k, v) {
        char number[64];
        const char *text = json_string_value(v);
        if (json_is_integer(v))
            snprintf(number, sizeof(number), "%" JSON_INTEGER_FORMAT, json_integer_value(v)), text = number;
        else if (json_is_real(v))
            snprintf(number, sizeof(number), "%.17g", json_real_value(v)), text = number;
        else if (json_is_boolean(v))
            text = json_is_true(v) ? "true" : "false";
        if (text == NULL)
            return fail(err, err_size, "--env-vars %s: %s.%s must be a string", path, owner, k);
        if (*k == '\0' || strchr(k, '=') != NULL)
            return fail(err, err_size, "--env-vars %s: %s: '%s' is not an environment variable name", path, owner, k);
        set_function_env(code, k, text);
    }
    return WG_CONFIG_OK;
}

/* Whether `name` is a FUNCTION target's deployed FunctionName. */
static int is_function_name(const wg_config_t *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->num_function_names; i++)
        if (strcmp(cfg->function_names[i].key, name) == 0)
            return 1;
    return 0;
}

/*
 * --env-vars FILE, SAM CLI's format: {"Parameters": {...}, "<function>": {...}}. "Parameters" goes
 * to every function wsgate runs, a function's own object over it. Unlike SAM, variables the
 * template does not declare are added (AWS_ENDPOINT_URL_DYNAMODB and the like). A name that is no
 * function wsgate runs is logged and skipped, as SAM skips it.
 */
static int apply_env_vars(wg_config_t *cfg, const char *path, char *err, size_t err_size)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return fail(err, err_size, "--env-vars %s: %s", path, strerror(errno));
    if (st.st_size > WG_LIMIT_CONFIG_BYTES)
        return fail(err, err_size, "--env-vars %s: larger than %d bytes", path, WG_LIMIT_CONFIG_BYTES);
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return fail(err, err_size, "--env-vars %s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
    int rc = WG_CONFIG_ERROR;
    if (!json_is_object(root)) {
        fail(err, err_size, "--env-vars %s: expected {\"Parameters\": {...}, \"FunctionName\": {...}}", path);
        goto out;
    }
    const char *name;
    json_t *vars;
    json_object_foreach(root, name, vars) {
        if (!json_is_object(vars)) {
            fail(err, err_size, "--env-vars %s: %s must be an object of NAME: value", path, name);
            goto out;
        }
    }
    json_t *common = json_object_get(root, "Parameters");
    for (size_t i = 0; common != NULL && i < cfg->num_functions; i++)
        if (cfg->functions[i].code != NULL &&
            apply_env_object(cfg->functions[i].code, path, "Parameters", common, err, err_size) != WG_CONFIG_OK)
            goto out;
    /* A function by its FunctionName, then by its logical ID (SAM CLI's order: the ID wins). */
    for (int by_id = 0; by_id <= 1; by_id++) {
        json_object_foreach(root, name, vars) {
            if (strcmp(name, "Parameters") == 0)
                continue;
            const char *target = name;
            for (size_t i = 0; !by_id && i < cfg->num_function_names; i++)
                if (strcmp(cfg->function_names[i].key, name) == 0)
                    target = cfg->function_names[i].value;
            if (!by_id && target == name)
                continue;
            wg_function_target_t *f = find_function(cfg, target);
            if (f == NULL || f->code == NULL) {
                if (by_id && !is_function_name(cfg, name))
                    wg_log_warn("--env-vars %s: '%s' is not a function wsgate runs: its variables are not used", path,
                                name);
                continue;
            }
            if (apply_env_object(f->code, path, name, vars, err, err_size) != WG_CONFIG_OK)
                goto out;
        }
    }
    rc = WG_CONFIG_OK;
out:
    json_decref(root);
    return rc;
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

/* Unmapped "function" references, collected so that one error lists them all. */
typedef struct unmapped {
    char text[1024];
    size_t count; /* distinct functions (several routes may name one) */
    const char *names[32]; /* borrowed: the first distinct names, to count the others once */
} unmapped_t;

static void note_unmapped(unmapped_t *u, const char *function, const char *where)
{
    size_t len = strlen(u->text);
    snprintf(u->text + len, sizeof(u->text) - len, "%s%s (%s)", len ? ", " : "", function, where);
    for (size_t i = 0; i < u->count && i < sizeof(u->names) / sizeof(*u->names); i++)
        if (strcmp(u->names[i], function) == 0)
            return;
    if (u->count < sizeof(u->names) / sizeof(*u->names))
        u->names[u->count] = function;
    u->count++;
}

/* A route's or the authorizer's "function": its "functions" entry decides where it runs; without
 * one it runs where the object itself says (a lambda integration with a "uri", or an http one
 * with a "uri"), else it is unmapped. */
static void resolve_function(const wg_config_t *cfg, wg_integration_type_t *type, char **uri, char **function,
                             const char *where, unmapped_t *u)
{
    if (*function == NULL)
        return;
    const wg_function_target_t *f = find_function(cfg, *function);
    if (f != NULL) {
        *type = f->type;
        set_string(uri, f->uri);
        set_string(function, f->type == WG_INTEGRATION_LAMBDA     ? f->function
                             : f->type == WG_INTEGRATION_FUNCTION ? f->name
                                                                  : NULL);
        return;
    }
    if (*uri == NULL || (*type != WG_INTEGRATION_LAMBDA && *type != WG_INTEGRATION_HTTP))
        note_unmapped(u, *function, where);
}

static int check_uri(const char *uri, const char *what, char *err, size_t err_size)
{
    if (uri != NULL && !is_http_url(uri))
        return fail(err, err_size, "%s: uri '%s' must start with http:// or https://", what, uri);
    return WG_CONFIG_OK;
}

/* After everything is read: fill in the routes and check what only makes sense as a whole. */
static int resolve(wg_config_t *cfg, char *err, size_t err_size)
{
    if (!is_valid_stage(cfg->stage))
        return fail(err, err_size, "stage '%s' must be letters, digits, '-', '_' or '$'", cfg->stage);
    if (cfg->api_id != NULL && !wg_ids_is_api_id(cfg->api_id))
        return fail(err, err_size, "apiId '%s' must be 10 characters of a-z and 0-9, as on AWS", cfg->api_id);
    if (cfg->account_id == NULL)
        cfg->account_id = dup_or_die("123456789012");
    if (strlen(cfg->account_id) != 12 || strspn(cfg->account_id, "0123456789") != 12)
        return fail(err, err_size, "accountId '%s' must be 12 digits, as on AWS", cfg->account_id);
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
    unmapped_t unmapped = {0};
    for (size_t i = 0; i < cfg->num_routes; i++) {
        wg_route_config_t *r = &cfg->routes[i];
        char where[160];
        snprintf(where, sizeof(where), "routes.%s", r->key);
        resolve_function(cfg, &r->type, &r->uri, &r->function, where, &unmapped);
    }
    wg_authorizer_config_t *a = &cfg->authorizer;
    if (a->is_configured)
        resolve_function(cfg, &a->type, &a->uri, &a->function, "authorizer", &unmapped);
    if (unmapped.count > 0)
        return fail(
            err, err_size,
            "%zu function%s not mapped to a target: %s. Map each with --function NAME=http://127.0.0.1:PORT/PATH "
            "(an HTTP handler that receives the Lambda proxy event) or --function "
            "NAME=lambda:http://127.0.0.1:PORT[/FUNCTION] (the Lambda Invoke API, e.g. aws-lambda-rie), or "
            "with a \"functions\": {\"NAME\": ...} entry in the config file",
            unmapped.count, unmapped.count == 1 ? " is" : "s are", unmapped.text);
    for (size_t i = 0; i < cfg->num_routes; i++) {
        wg_route_config_t *r = &cfg->routes[i];
        char what[160];
        snprintf(what, sizeof(what), "route '%s'", r->key);
        switch (r->type) {
        case WG_INTEGRATION_HTTP:
            if (r->uri == NULL) {
                if (cfg->backend == NULL)
                    return fail(err, err_size, "route '%s' has no \"uri\" and no backend is configured", r->key);
                r->uri = dup_or_die(cfg->backend);
            }
            break;
        case WG_INTEGRATION_LAMBDA:
            if (r->uri == NULL || r->function == NULL)
                return fail(err, err_size,
                            "route '%s': a lambda integration needs \"uri\" (the Invoke API, e.g. "
                            "http://127.0.0.1:9000) and \"function\"",
                            r->key);
            break;
        case WG_INTEGRATION_HTTP_PROXY:
            if (r->uri == NULL)
                return fail(err, err_size, "route '%s': an http_proxy integration needs \"uri\"", r->key);
            if (r->method == NULL)
                r->method = dup_or_die("POST");
            break;
        case WG_INTEGRATION_MOCK:
        case WG_INTEGRATION_DEMO:
        case WG_INTEGRATION_FUNCTION: break;
        }
        if (check_uri(r->uri, what, err, err_size))
            return WG_CONFIG_ERROR;
    }
    if (a->is_configured) {
        if (a->type != WG_INTEGRATION_FUNCTION &&
            (a->uri == NULL || (a->type == WG_INTEGRATION_LAMBDA && a->function == NULL)))
            return fail(err, err_size, "authorizer: needs \"uri\" (%s)%s",
                        a->type == WG_INTEGRATION_LAMBDA ? "the Lambda Invoke API"
                                                         : "receives the authorizer event as a JSON POST",
                        a->type == WG_INTEGRATION_LAMBDA ? " and \"function\"" : "");
        if (check_uri(a->uri, "authorizer", err, err_size))
            return WG_CONFIG_ERROR;
    }
    /* $connect authorization: the route's; an "authorizer" alone means CUSTOM (our default). */
    const wg_route_config_t *connect = wg_config_route(cfg, "$connect");
    if (connect != NULL && connect->has_authorization_type)
        cfg->connect_authorization = connect->authorization;
    else
        cfg->connect_authorization = a->is_configured ? WG_AUTHORIZATION_CUSTOM : WG_AUTHORIZATION_NONE;
    if (cfg->connect_authorization == WG_AUTHORIZATION_CUSTOM && !a->is_configured)
        return fail(err, err_size, "routes.$connect.authorizationType is CUSTOM but no \"authorizer\" is configured");
    cfg->is_connect_api_key_required = connect != NULL && connect->is_api_key_required;
    if (cfg->is_connect_api_key_required && cfg->num_api_keys == 0)
        return fail(err, err_size, "routes.$connect.apiKeyRequired is true but \"apiKeys\" lists no key");
    return WG_CONFIG_OK;
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
            set_string(&cfg->config_path, optarg);
        if (opt == OPT_INTEGRATION_MODE && !wg_config_emulator_is_mode(optarg))
            return fail(err, err_size, "--integration-mode expects lambda_proxy or http, got '%s'", optarg);
        if (opt == OPT_INTEGRATION_MODE)
            wg_config_emulator_set_mode(optarg);
    }
    if (cfg->config_path != NULL) {
        json_t *parameters = NULL;
        int rc = parameter_overrides_from_flags(argc, argv, &parameters, err, err_size);
        if (rc == WG_CONFIG_OK)
            rc = load_file(cfg, cfg->config_path, parameters, err, err_size);
        json_decref(parameters);
        if (rc != WG_CONFIG_OK)
            return rc;
    }
    const char *env_akid = getenv("AWS_ACCESS_KEY_ID"), *env_secret = getenv("AWS_SECRET_ACCESS_KEY");
    if (env_akid && *env_akid && env_secret && *env_secret) {
        const char *env_token = getenv("AWS_SESSION_TOKEN");
        add_credential_with_token(cfg, env_akid, env_secret, env_token && *env_token ? env_token : NULL);
    }
    if (load_credentials_env(cfg, err, err_size) != WG_CONFIG_OK)
        return WG_CONFIG_ERROR;
    const char *env_file = getenv("AWS_SHARED_CREDENTIALS_FILE");
    if (env_file != NULL && *env_file != '\0') {
        int rc = load_credentials_file(cfg, env_file, err, err_size);
        if (rc != WG_CONFIG_OK)
            return rc;
    }

    optind = 1;
    long long n;
    const char *env_vars_path = NULL;
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
        case OPT_INTEGRATION_MODE: /* aws-apigw-ws-emulator's -m: applied by config_emulator.c */
            if (strcmp(optarg, "http") == 0 && !cfg->is_emulator_config)
                return fail(err, err_size,
                            "--integration-mode http applies to an aws-apigw-ws-emulator config "
                            "(-c gateway.config.yaml); for other configs use \"integration\": \"http_proxy\" routes");
            break;
        case OPT_REGION: set_string(&cfg->region, optarg); break;
        case OPT_API_ID: set_string(&cfg->api_id, optarg); break;
        case OPT_CUSTOM_DOMAIN: cfg->is_custom_domain = 1; break;
        case OPT_RSE: set_string(&cfg->route_selection_expression, optarg); break;
        case OPT_AUTH:
            cfg->is_auth_emulator_default = 0;
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
            if (opt == OPT_IDLE)
                cfg->idle_timeout_ms = (uint64_t)n * 1000;
            else
                cfg->hard_timeout_ms = (uint64_t)n * 1000;
            break;
        case OPT_INTEGRATION_TIMEOUT:
            if (parse_number(optarg, WG_LIMIT_INTEGRATION_TIMEOUT_MIN_MS, 3600000, &n) != 0)
                return fail(err, err_size, "--integration-timeout expects milliseconds (at least 50), got '%s'",
                            optarg);
            cfg->integration_timeout_ms = (uint32_t)n;
            break;
        case OPT_CREDENTIALS_FILE:
            if (load_credentials_file(cfg, optarg, err, err_size) != WG_CONFIG_OK)
                return WG_CONFIG_ERROR;
            break;
        case OPT_DOMAIN_NAME: set_string(&cfg->domain_name, optarg); break;
        case OPT_TLS:
            if (parse_on_off(optarg, &cfg->is_tls_off) != 0)
                return fail(err, err_size, "--tls expects on or off, got '%s'", optarg);
            break;
        case OPT_TLS_CERT: set_string(&cfg->tls_cert_path, optarg); break;
        case OPT_TLS_KEY: set_string(&cfg->tls_key_path, optarg); break;
        case OPT_STATE_DIR: set_string(&cfg->state_dir, optarg); break;
        case OPT_LISTEN: {
            const char *colon = strrchr(optarg, ':');
            if (colon == NULL || colon == optarg || parse_number(colon + 1, 0, 65535, &n) != 0)
                return fail(err, err_size, "--listen expects ADDR:PORT (e.g. 127.0.0.1:443 or [::1]:443), got '%s'",
                            optarg);
            char **grown = realloc(cfg->listen, (cfg->num_listen + 1) * sizeof(*grown));
            if (grown == NULL)
                abort();
            cfg->listen = grown;
            cfg->listen[cfg->num_listen++] = dup_or_die(optarg);
            break;
        }
        case OPT_CONNECT_RATE:
            if (parse_number(optarg, 0, 1000000, &n) != 0)
                return fail(err, err_size, "--connect-rate-limit expects connections per second, got '%s'", optarg);
            cfg->connect_rate_per_second = (uint32_t)n;
            break;
        case OPT_FUNCTION: {
            const char *eq = strchr(optarg, '=');
            if (eq == NULL || eq == optarg || eq[1] == '\0')
                return fail(err, err_size, "--function expects NAME=TARGET, got '%s'", optarg);
            char *name = strndup(optarg, (size_t)(eq - optarg));
            if (name == NULL)
                abort();
            char why[512];
            int bad = parse_function_target(cfg, name, eq + 1, why, sizeof(why));
            free(name);
            if (bad)
                return fail(err, err_size, "--function %s", why);
            break;
        }
        case OPT_PARAMETER_OVERRIDES: break; /* read with the config file */
        case OPT_ENV_VARS: env_vars_path = optarg; break;
        case OPT_TEST_CONTROL: cfg->has_test_control = 1; break;
        case OPT_RECORD: set_string(&cfg->record_dir, optarg); break;
        case OPT_VERBOSE: cfg->is_verbose = 1; break;
        case OPT_MAX_CONCURRENCY:
            if (parse_number(optarg, 1, WG_LIMIT_FUNCTION_CONCURRENCY_MAX, &n) != 0)
                return fail(err, err_size, "--max-concurrency expects a number from 1 to %d, got '%s'",
                            WG_LIMIT_FUNCTION_CONCURRENCY_MAX, optarg);
            cfg->max_concurrency = (uint32_t)n;
            break;
        case OPT_RUNTIME: {
            const char *eq = strchr(optarg, '=');
            if (eq == NULL || eq == optarg || eq[1] == '\0')
                return fail(err, err_size, "--runtime expects NAME=PATH (e.g. nodejs20.x=/usr/bin/node), got '%s'",
                            optarg);
            cfg->runtime_overrides =
                realloc(cfg->runtime_overrides, (cfg->num_runtime_overrides + 1) * sizeof(*cfg->runtime_overrides));
            if (cfg->runtime_overrides == NULL)
                abort();
            wg_string_pair_t *o = &cfg->runtime_overrides[cfg->num_runtime_overrides++];
            o->key = strndup(optarg, (size_t)(eq - optarg));
            o->value = dup_or_die(eq + 1);
            if (o->key == NULL)
                abort();
            break;
        }
        case OPT_NO_RELOAD: cfg->is_reload_disabled = 1; break;
        case OPT_INSPECTOR: cfg->inspector_mode = 1; break;
        case OPT_NO_INSPECTOR: cfg->inspector_mode = -1; break;
        case OPT_INSPECTOR_HISTORY:
            if (parse_number(optarg, 1, WG_LIMIT_INSPECTOR_HISTORY_MAX, &n) != 0)
                return fail(err, err_size, "--inspector-history expects 1 to %d entries, got '%s'",
                            WG_LIMIT_INSPECTOR_HISTORY_MAX, optarg);
            cfg->inspector_history = (uint32_t)n;
            break;
        case ':': return fail(err, err_size, "option '%s' needs a value (see --help)", argv[optind - 1]);
        default: return fail(err, err_size, "unknown option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return fail(err, err_size, "unexpected argument '%s' (see --help)", argv[optind]);
    if (env_vars_path != NULL && apply_env_vars(cfg, env_vars_path, err, err_size) != WG_CONFIG_OK)
        return WG_CONFIG_ERROR;
    if ((cfg->tls_cert_path == NULL) != (cfg->tls_key_path == NULL))
        return fail(err, err_size, "--tls-cert and --tls-key go together (the certificate chain and its private key)");
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
    free(cfg->domain_name);
    free(cfg->tls_cert_path);
    free(cfg->tls_key_path);
    free(cfg->state_dir);
    for (size_t i = 0; i < cfg->num_listen; i++)
        free(cfg->listen[i]);
    free(cfg->listen);
    free(cfg->tls_ca_file);
    free(cfg->tls_ca_bundle_file);
    for (size_t i = 0; i < cfg->num_credentials; i++) {
        free(cfg->credentials[i].access_key_id);
        set_secret(&cfg->credentials[i].secret_access_key, NULL);
        set_secret(&cfg->credentials[i].session_token, NULL);
    }
    free(cfg->credentials);
    for (size_t i = 0; i < cfg->num_routes; i++) {
        wg_route_config_t *r = &cfg->routes[i];
        free(r->key);
        free(r->uri);
        free(r->function);
        free(r->method);
        free(r->mock_body);
        for (size_t j = 0; j < r->num_params; j++) {
            free(r->params[j].name);
            free(r->params[j].source);
        }
        free(r->params);
    }
    free(cfg->routes);
    free(cfg->authorizer.uri);
    free(cfg->authorizer.function);
    for (size_t i = 0; i < cfg->authorizer.num_identity_sources; i++)
        free(cfg->authorizer.identity_sources[i]);
    free(cfg->authorizer.identity_sources);
    free(cfg->account_id);
    for (size_t i = 0; i < cfg->num_api_keys; i++)
        free(cfg->api_keys[i]);
    free(cfg->api_keys);
    for (size_t i = 0; i < cfg->num_stage_variables; i++) {
        free(cfg->stage_variables[i].key);
        free(cfg->stage_variables[i].value);
    }
    free(cfg->stage_variables);
    for (size_t i = 0; i < cfg->num_functions; i++)
        free_function(&cfg->functions[i]);
    free(cfg->functions);
    for (size_t i = 0; i < cfg->num_function_names; i++) {
        free(cfg->function_names[i].key);
        free(cfg->function_names[i].value);
    }
    free(cfg->function_names);
    for (size_t i = 0; i < cfg->num_runtime_overrides; i++) {
        free(cfg->runtime_overrides[i].key);
        free(cfg->runtime_overrides[i].value);
    }
    free(cfg->runtime_overrides);
    memset(cfg, 0, sizeof(*cfg));
}
