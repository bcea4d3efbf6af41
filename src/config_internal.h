/*
 * config_internal.h: what only the files that build a wg_config_t share (config.c, config_cli.c,
 * config_load.c, config_functions.c, config_resolve.c, config_credentials.c); other modules use
 * config.h.
 *
 * The loaders return WG_CONFIG_OK, or WG_CONFIG_ERROR with one line in err, as wg_config_load.
 * Allocation failures abort: a configuration is read once, at start-up.
 */
#ifndef WG_CONFIG_INTERNAL_H
#define WG_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <jansson.h>
#include <stddef.h>

#include "config.h"
#include "config_document.h"
#include "str.h"

/* ---- config.c: strings, errors, names ---- */

/** Replaces *slot with a copy of value (NULL: none). */
void wg_config_set_string(char **slot, const char *value);
int wg_config_parse_auth_mode(const char *s, wg_auth_mode_t *out);
/** "on"/"off" (--tls, "tls"); *is_off gets 1 for off. */
int wg_config_parse_on_off(const char *s, int *is_off);
/** wsgate's lower-case integration names and AWS's IntegrationType spellings of the same. */
int wg_config_parse_integration_type(const char *s, wg_integration_type_t *out);
/** An http:// or https:// URL with something after the scheme. */
bool wg_config_is_http_url(const char *s);

/* ---- config_load.c: the document's keys ---- */

/* Every error names the place (file, or file:line when the format knows) and the key; both need
 * `doc`, `err`, `err_size` and a `char where_buf[512]` in scope. */
#define WHERE(node) wg_config_document_where(doc, (node), where_buf, sizeof(where_buf))
#define DOC_FAIL(node, ...) (WHERE(node), wg_config_fail_at(err, err_size, where_buf, __VA_ARGS__))

/** "where: message" in err; returns WG_CONFIG_ERROR. */
int wg_config_fail_at(char *err, size_t err_size, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int wg_config_want_string(const wg_config_document_t *doc, const char *key, json_t *v, char *err, size_t err_size);
int wg_config_want_int(const wg_config_document_t *doc, const char *key, json_t *v, long long min, long long max,
                       long long *out, char *err, size_t err_size);
int wg_config_want_bool(const wg_config_document_t *doc, const char *key, json_t *v, int *out, char *err,
                        size_t err_size);
/** Reads the config file at `path` into cfg; `parameters` (may be NULL): --parameter-overrides. */
int wg_config_load_file(wg_config_t *cfg, const char *path, const json_t *parameters, char *err, size_t err_size);

/* ---- config_functions.c: "functions", --function, --env-vars ---- */

wg_function_target_t *wg_config_find_function(const wg_config_t *cfg, const char *name);
/** TARGET of --function / a "functions" string; on error, why (without the name) in `why`. */
int wg_config_parse_function_target(wg_config_t *cfg, const char *name, const char *target, char *why, size_t why_size);
int wg_config_load_functions(wg_config_t *cfg, const wg_config_document_t *doc, json_t *v, char *err, size_t err_size);
int wg_config_apply_env_vars(wg_config_t *cfg, const char *path, char *err, size_t err_size);
void wg_config_free_functions(wg_config_t *cfg);

/* ---- config_resolve.c: routes and the configuration as a whole ---- */

/** A new route `key` (HTTP, MOCK status 200) at the end of cfg->routes. */
wg_route_config_t *wg_config_add_route(wg_config_t *cfg, const char *key);
int wg_config_resolve(wg_config_t *cfg, char *err, size_t err_size);

/* ---- config_credentials.c: the known keys ---- */

/** Adds or updates a known key; `token` is the session token issued with it (NULL: none). */
void wg_config_add_credential(wg_config_t *cfg, const char *akid, const char *secret, const char *token);
/** --credentials AKID:SECRET[:TOKEN]. */
int wg_config_add_credential_pair(wg_config_t *cfg, const char *pair, char *err, size_t err_size);
/** AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, WSGATE_CREDENTIALS, then
 * AWS_SHARED_CREDENTIALS_FILE. */
int wg_config_load_credentials_environment(wg_config_t *cfg, char *err, size_t err_size);
int wg_config_load_credentials_file(wg_config_t *cfg, const char *path, char *err, size_t err_size);
/** Frees the known keys, wiping every secret. */
void wg_config_free_credentials(wg_config_t *cfg);

#endif
