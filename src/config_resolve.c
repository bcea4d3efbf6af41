/*
 * config_resolve.c: once every source is read, the routes and the authorizer are filled in and
 * the configuration is checked as a whole: the default routes ($connect, $disconnect and $default
 * to --backend, else the demo), each "function" resolved through config_functions.c (every
 * unmapped one reported in one error), the URIs, and $connect's authorization (AWS-AUTH-1) and
 * API key (AWS-AUTH-19).
 */
#include "config.h"

#include <stdbool.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "ids.h"
#include "str.h"

static bool is_valid_stage(const char *s)
{
    if (*s == '\0' || strlen(s) > 128)
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_' || *s == '$'))
            return 0;
    return 1;
}

wg_route_config_t *wg_config_add_route(wg_config_t *cfg, const char *key)
{
    cfg->routes = realloc(cfg->routes, (cfg->num_routes + 1) * sizeof(*cfg->routes));
    if (cfg->routes == NULL)
        abort();
    wg_route_config_t *r = &cfg->routes[cfg->num_routes++];
    memset(r, 0, sizeof(*r));
    r->key = wg_str_dup(key);
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
    const wg_function_target_t *f = wg_config_find_function(cfg, *function);
    if (f != NULL) {
        *type = f->type;
        wg_config_set_string(uri, f->uri);
        wg_config_set_string(function, f->type == WG_INTEGRATION_LAMBDA     ? f->function
                                       : f->type == WG_INTEGRATION_FUNCTION ? f->name
                                                                            : NULL);
        return;
    }
    if (*uri == NULL || (*type != WG_INTEGRATION_LAMBDA && *type != WG_INTEGRATION_HTTP))
        note_unmapped(u, *function, where);
}

static int check_uri(const char *uri, const char *what, char *err, size_t err_size)
{
    if (uri != NULL && !wg_config_is_http_url(uri))
        return wg_str_fail(err, err_size, "%s: uri '%s' must start with http:// or https://", what, uri);
    return WG_CONFIG_OK;
}

/* After everything is read: fill in the routes and check what only makes sense as a whole. */
int wg_config_resolve(wg_config_t *cfg, char *err, size_t err_size)
{
    if (!is_valid_stage(cfg->stage))
        return wg_str_fail(err, err_size, "stage '%s' must be letters, digits, '-', '_' or '$'", cfg->stage);
    if (cfg->api_id != NULL && !wg_ids_is_api_id(cfg->api_id))
        return wg_str_fail(err, err_size, "apiId '%s' must be 10 characters of a-z and 0-9, as on AWS", cfg->api_id);
    if (cfg->account_id == NULL)
        cfg->account_id = wg_str_dup("123456789012");
    if (strlen(cfg->account_id) != 12 || strspn(cfg->account_id, "0123456789") != 12)
        return wg_str_fail(err, err_size, "accountId '%s' must be 12 digits, as on AWS", cfg->account_id);
    if (cfg->num_routes == 0) {
        const char *keys[] = {"$connect", "$disconnect", "$default"};
        for (size_t i = 0; i < 3; i++) {
            wg_route_config_t *r = wg_config_add_route(cfg, keys[i]);
            if (cfg->backend != NULL) {
                r->uri = wg_str_dup(cfg->backend);
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
        return wg_str_fail(
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
                    return wg_str_fail(err, err_size, "route '%s' has no \"uri\" and no backend is configured", r->key);
                r->uri = wg_str_dup(cfg->backend);
            }
            break;
        case WG_INTEGRATION_LAMBDA:
            if (r->uri == NULL || r->function == NULL)
                return wg_str_fail(err, err_size,
                                   "route '%s': a lambda integration needs \"uri\" (the Invoke API, e.g. "
                                   "http://127.0.0.1:9000) and \"function\"",
                                   r->key);
            break;
        case WG_INTEGRATION_HTTP_PROXY:
            if (r->uri == NULL)
                return wg_str_fail(err, err_size, "route '%s': an http_proxy integration needs \"uri\"", r->key);
            if (r->method == NULL)
                r->method = wg_str_dup("POST");
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
            return wg_str_fail(err, err_size, "authorizer: needs \"uri\" (%s)%s",
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
        return wg_str_fail(err, err_size,
                           "routes.$connect.authorizationType is CUSTOM but no \"authorizer\" is configured");
    cfg->is_connect_api_key_required = connect != NULL && connect->is_api_key_required;
    if (cfg->is_connect_api_key_required && cfg->num_api_keys == 0)
        return wg_str_fail(err, err_size, "routes.$connect.apiKeyRequired is true but \"apiKeys\" lists no key");
    return WG_CONFIG_OK;
}
