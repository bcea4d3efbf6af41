/*
 * config_load.c: a config document (config_document.c: wsgate's JSON/YAML, or a template or
 * another tool's file converted to it) -> wg_config_t: the top-level keys, "routes" (integration,
 * HTTP_PROXY method and request parameters, MOCK response, two-way, authorization) and
 * "authorizer"; "functions" goes to config_functions.c, "credentials" to config_credentials.c.
 *
 * It keeps API Gateway's rules for what a route may hold: the data mapping's request parameters
 * and where each source exists (AWS-INT-2, AWS-INT-3), authorization and API keys on $connect
 * only (AWS-AUTH-1, AWS-AUTH-19), the authorizer's identity sources (AWS-AUTH-8). Every mistake is
 * one line naming the file (file:line when the format knows), the key and what was expected.
 */
#include "config.h"

#include <stdbool.h>
#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_document.h"
#include "config_internal.h"
#include "limits.h"
#include "str.h"

int wg_config_fail_at(char *err, size_t err_size, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int wg_config_fail_at(char *err, size_t err_size, const char *where, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(err, err_size, "%s: %s", where, msg);
    return WG_CONFIG_ERROR;
}

int wg_config_want_string(const wg_config_document_t *doc, const char *key, json_t *v, char *err, size_t err_size)
{
    char where_buf[512];
    if (!json_is_string(v))
        return DOC_FAIL(v, "key '%s' must be a string", key);
    return WG_CONFIG_OK;
}

int wg_config_want_int(const wg_config_document_t *doc, const char *key, json_t *v, long long min, long long max,
                       long long *out, char *err, size_t err_size)
{
    char where_buf[512];
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return DOC_FAIL(v, "key '%s' must be a whole number from %lld to %lld", key, min, max);
    *out = json_integer_value(v);
    return WG_CONFIG_OK;
}

int wg_config_want_bool(const wg_config_document_t *doc, const char *key, json_t *v, int *out, char *err,
                        size_t err_size)
{
    char where_buf[512];
    if (!json_is_boolean(v))
        return DOC_FAIL(v, "key '%s' must be true or false", key);
    *out = json_is_true(v);
    return WG_CONFIG_OK;
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

static bool is_known_context_name(const char *name)
{
    for (size_t i = 0; context_names[i] != NULL; i++)
        if (strcmp(name, context_names[i]) == 0)
            return 1;
    return strncmp(name, "authorizer.", 11) == 0 && name[11] != '\0';
}

static bool is_valid_header_name(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || strchr("!#$%&'*+-.^_`|~", *s) != NULL))
            return 0;
    return 1;
}

/* One "integration.request.<header|querystring>.<name>": "<source>" entry (AWS-INT-2). */
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
    /* Only $connect has an HTTP request; only messages have a body (AWS-INT-3). */
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
    p->name = wg_str_dup(name);
    p->kind = kind;
    p->source = kind == WG_PARAM_STATIC ? strndup(src + 1, src_len - 2) : wg_str_dup(rest);
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
                r->mock_body = wg_str_dup(json_string_value(v));
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
    wg_route_config_t *r = wg_config_add_route(cfg, key);
    int has_method = 0, has_response = 0;
    int is_connect = strcmp(key, "$connect") == 0;
    const char *name;
    json_t *v;
    json_object_foreach(spec, name, v) {
        char what[200];
        snprintf(what, sizeof(what), "routes.%s.%s", key, name);
        if (strcmp(name, "uri") == 0) {
            if (wg_config_want_string(doc, what, v, err, err_size))
                return WG_CONFIG_ERROR;
            wg_config_set_string(&r->uri, json_string_value(v));
        } else if (strcmp(name, "integration") == 0 || strcmp(name, "type") == 0) {
            if (wg_config_want_string(doc, what, v, err, err_size))
                return WG_CONFIG_ERROR;
            if (wg_config_parse_integration_type(json_string_value(v), &r->type) != 0)
                return DOC_FAIL(v, "%s: unknown integration '%s' (expected http, lambda, http_proxy, mock or demo)",
                                what, json_string_value(v));
        } else if (strcmp(name, "function") == 0) {
            if (wg_config_want_string(doc, what, v, err, err_size))
                return WG_CONFIG_ERROR;
            if (json_string_length(v) == 0)
                return DOC_FAIL(v, "%s must not be empty", what);
            wg_config_set_string(&r->function, json_string_value(v));
        } else if (strcmp(name, "method") == 0) {
            static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", NULL};
            if (wg_config_want_string(doc, what, v, err, err_size))
                return WG_CONFIG_ERROR;
            size_t i;
            for (i = 0; methods[i] != NULL && strcmp(methods[i], json_string_value(v)) != 0; i++)
                ;
            if (methods[i] == NULL)
                return DOC_FAIL(v, "%s must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS", what);
            wg_config_set_string(&r->method, methods[i]);
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
            if (wg_config_want_bool(doc, what, v, &r->is_two_way, err, err_size))
                return WG_CONFIG_ERROR;
        } else if (strcmp(name, "timeout") == 0) {
            long long ms = 0;
            if (wg_config_want_int(doc, what, v, WG_LIMIT_INTEGRATION_TIMEOUT_MIN_MS, 3600000, &ms, err, err_size))
                return WG_CONFIG_ERROR;
            r->timeout_ms = (uint32_t)ms;
        } else if (strcmp(name, "authorizationType") == 0) {
            if (wg_config_want_string(doc, what, v, err, err_size))
                return WG_CONFIG_ERROR;
            if (!is_connect)
                return DOC_FAIL(v, "%s: only $connect can have authorization (AWS-AUTH-1)", what);
            if (parse_authorization_type(json_string_value(v), &r->authorization) != 0)
                return DOC_FAIL(v, "%s must be NONE, AWS_IAM or CUSTOM", what);
            r->has_authorization_type = 1;
        } else if (strcmp(name, "apiKeyRequired") == 0) {
            if (!is_connect)
                return DOC_FAIL(v, "%s: only $connect can require an API key (messages carry no headers)", what);
            if (wg_config_want_bool(doc, what, v, &r->is_api_key_required, err, err_size))
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
            if (wg_config_want_string(doc, what, v, err, err_size))
                return WG_CONFIG_ERROR;
            if (wg_config_parse_integration_type(json_string_value(v), &a->type) != 0 ||
                (a->type != WG_INTEGRATION_HTTP && a->type != WG_INTEGRATION_LAMBDA))
                return DOC_FAIL(v, "%s must be http (the authorizer event POSTed to uri) or lambda", what);
        } else if (strcmp(name, "uri") == 0) {
            if (wg_config_want_string(doc, what, v, err, err_size))
                return WG_CONFIG_ERROR;
            wg_config_set_string(&a->uri, json_string_value(v));
        } else if (strcmp(name, "function") == 0) {
            if (wg_config_want_string(doc, what, v, err, err_size))
                return WG_CONFIG_ERROR;
            if (json_string_length(v) == 0)
                return DOC_FAIL(v, "%s must not be empty", what);
            wg_config_set_string(&a->function, json_string_value(v));
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
                char *copy = wg_str_dup(json_string_value(item)), *save = NULL;
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
                    a->identity_sources[a->num_identity_sources++] = wg_str_dup(tok);
                }
                free(copy);
            }
        } else if (strcmp(name, "accountId") == 0) {
            if (wg_config_want_string(doc, what, v, err, err_size))
                return WG_CONFIG_ERROR;
            wg_config_set_string(&cfg->account_id, json_string_value(v));
        } else if (strcmp(name, "timeout") == 0) {
            long long ms = 0;
            if (wg_config_want_int(doc, what, v, WG_LIMIT_INTEGRATION_TIMEOUT_MIN_MS, 3600000, &ms, err, err_size))
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

int wg_config_load_file(wg_config_t *cfg, const char *path, const json_t *parameters, char *err, size_t err_size)
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
            if ((rc = wg_config_want_int(doc, key, v, 0, 65535, &n, err, err_size)))
                goto out;
            cfg->port = (int)n;
        } else if (strcmp(key, "host") == 0 || strcmp(key, "stage") == 0 || strcmp(key, "region") == 0 ||
                   strcmp(key, "apiId") == 0 || strcmp(key, "backend") == 0 ||
                   strcmp(key, "routeSelectionExpression") == 0 || strcmp(key, "record") == 0 ||
                   strcmp(key, "auth") == 0 || strcmp(key, "accountId") == 0 || strcmp(key, "domainName") == 0 ||
                   strcmp(key, "credentialsFile") == 0 || strcmp(key, "tls") == 0 || strcmp(key, "tlsCert") == 0 ||
                   strcmp(key, "tlsKey") == 0 || strcmp(key, "stateDir") == 0) {
            if ((rc = wg_config_want_string(doc, key, v, err, err_size)))
                goto out;
            const char *s = json_string_value(v);
            if (strcmp(key, "host") == 0)
                wg_config_set_string(&cfg->host, s);
            else if (strcmp(key, "stage") == 0)
                wg_config_set_string(&cfg->stage, s);
            else if (strcmp(key, "region") == 0)
                wg_config_set_string(&cfg->region, s);
            else if (strcmp(key, "apiId") == 0)
                wg_config_set_string(&cfg->api_id, s);
            else if (strcmp(key, "backend") == 0)
                wg_config_set_string(&cfg->backend, s);
            else if (strcmp(key, "record") == 0)
                wg_config_set_string(&cfg->record_dir, s);
            else if (strcmp(key, "accountId") == 0)
                wg_config_set_string(&cfg->account_id, s);
            else if (strcmp(key, "domainName") == 0)
                wg_config_set_string(&cfg->domain_name, s);
            else if (strcmp(key, "tlsCert") == 0)
                wg_config_set_string(&cfg->tls_cert_path, s);
            else if (strcmp(key, "tlsKey") == 0)
                wg_config_set_string(&cfg->tls_key_path, s);
            else if (strcmp(key, "stateDir") == 0)
                wg_config_set_string(&cfg->state_dir, s);
            else if (strcmp(key, "tls") == 0) {
                if (wg_config_parse_on_off(s, &cfg->is_tls_off) != 0) {
                    rc = DOC_FAIL(v, "key 'tls' must be on or off");
                    goto out;
                }
            } else if (strcmp(key, "credentialsFile") == 0) {
                if ((rc = wg_config_load_credentials_file(cfg, s, err, err_size)))
                    goto out;
            } else if (strcmp(key, "routeSelectionExpression") == 0)
                wg_config_set_string(&cfg->route_selection_expression, s);
            else if (wg_config_parse_auth_mode(s, &cfg->auth) != 0) {
                rc = DOC_FAIL(v, "key 'auth' must be none, sigv4 or strict");
                goto out;
            }
        } else if (strcmp(key, "customDomain") == 0) {
            if ((rc = wg_config_want_bool(doc, key, v, &cfg->is_custom_domain, err, err_size)))
                goto out;
        } else if (strcmp(key, "testControl") == 0) {
            if ((rc = wg_config_want_bool(doc, key, v, &cfg->has_test_control, err, err_size)))
                goto out;
        } else if (strcmp(key, "verbose") == 0) {
            if ((rc = wg_config_want_bool(doc, key, v, &cfg->is_verbose, err, err_size)))
                goto out;
        } else if (strcmp(key, "idleTimeout") == 0 || strcmp(key, "hardTimeout") == 0) {
            if ((rc = wg_config_want_int(doc, key, v, 1, 365LL * 24 * 3600, &n, err, err_size)))
                goto out;
            if (strcmp(key, "idleTimeout") == 0)
                cfg->idle_timeout_ms = (uint64_t)n * 1000;
            else
                cfg->hard_timeout_ms = (uint64_t)n * 1000;
        } else if (strcmp(key, "integrationTimeout") == 0) {
            if ((rc = wg_config_want_int(doc, key, v, WG_LIMIT_INTEGRATION_TIMEOUT_MIN_MS, 3600000, &n, err, err_size)))
                goto out;
            cfg->integration_timeout_ms = (uint32_t)n;
        } else if (strcmp(key, "connectRateLimit") == 0) {
            if ((rc = wg_config_want_int(doc, key, v, 0, 1000000, &n, err, err_size)))
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
                wg_config_add_credential(cfg, json_string_value(a), json_string_value(s),
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
            if ((rc = wg_config_load_functions(cfg, doc, v, err, err_size)))
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
                cfg->api_keys[cfg->num_api_keys++] = wg_str_dup(json_string_value(k));
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
                cfg->stage_variables[cfg->num_stage_variables].key = wg_str_dup(sk);
                cfg->stage_variables[cfg->num_stage_variables].value = wg_str_dup(json_string_value(sv));
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
