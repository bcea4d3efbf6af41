/*
 * config.c: what every part of the configuration shares (see config.h): the string and error
 * helpers of config_internal.h, the names and spellings of the modes and integration types, the
 * small lookups other modules call (stage variables, loopback hosts) and wg_config_free.
 *
 * Loading is split along its seams: config_cli.c (flags and the order of the sources),
 * config_load.c (the document's keys), config_functions.c ("functions", --function, --env-vars),
 * config_resolve.c (routes and authorizer filled in and checked as a whole) and
 * config_credentials.c (the known keys).
 */
#include "config.h"

#include <stdbool.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "str.h"

void wg_config_set_string(char **slot, const char *value)
{
    free(*slot);
    *slot = value ? wg_str_dup(value) : NULL;
}

const char *wg_config_auth_mode_name(wg_auth_mode_t mode)
{
    switch (mode) {
    case WG_AUTH_NONE: return "none";
    case WG_AUTH_SIGV4: return "sigv4";
    case WG_AUTH_STRICT: return "strict";
    }
    return "?";
}

int wg_config_parse_auth_mode(const char *s, wg_auth_mode_t *out)
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

/* "on"/"off" for --tls; *is_off gets 1 for off. */
int wg_config_parse_on_off(const char *s, int *is_off)
{
    if (strcmp(s, "on") == 0)
        *is_off = 0;
    else if (strcmp(s, "off") == 0)
        *is_off = 1;
    else
        return -1;
    return 0;
}

const char *wg_config_integration_type_name(wg_integration_type_t type)
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
int wg_config_parse_integration_type(const char *s, wg_integration_type_t *out)
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

bool wg_config_is_http_url(const char *s)
{
    return (strncmp(s, "http://", 7) == 0 && s[7] != '\0') || (strncmp(s, "https://", 8) == 0 && s[8] != '\0');
}

const char *wg_config_stage_variable(const wg_config_t *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->num_stage_variables; i++)
        if (strcmp(cfg->stage_variables[i].key, key) == 0)
            return cfg->stage_variables[i].value;
    return NULL;
}

bool wg_config_is_loopback_host(const char *host)
{
    if (host == NULL)
        return 0;
    if (strcmp(host, "localhost") == 0)
        return 1;
    struct in_addr v4;
    struct in6_addr v6;
    /* inet_aton, not inet_pton: it reads every numeric form the resolver binds ("127.1" too). */
    if (inet_aton(host, &v4) != 0)
        return (ntohl(v4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &v6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&v6))
            return 1;
        return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
    }
    return 0;
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
    wg_config_free_credentials(cfg);
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
    wg_config_free_functions(cfg);
    for (size_t i = 0; i < cfg->num_runtime_overrides; i++) {
        free(cfg->runtime_overrides[i].key);
        free(cfg->runtime_overrides[i].value);
    }
    free(cfg->runtime_overrides);
    memset(cfg, 0, sizeof(*cfg));
}
