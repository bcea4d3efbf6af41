/*
 * config_serverless_internal.h: what config_serverless.c (routes, authorizer, variables) shares
 * with config_serverless_functions.c (the functions whose code is on disk) while converting one
 * serverless.yml.
 */
#ifndef WG_CONFIG_SERVERLESS_INTERNAL_H
#define WG_CONFIG_SERVERLESS_INTERNAL_H

#include <jansson.h>
#include <stddef.h>

#include "config_convert.h"
#include "config_lines.h"

/* One conversion: the source, its line index, and the first error (later ones are dropped). */
typedef struct sls {
    wg_config_convert_t cv; /* the file, its line index and the first error */
    json_t *root;
    json_t *resources; /* `resources` with variables resolved, for intrinsics in environments (owned) */
} sls_t;

/** strndup that aborts when memory runs out. */
char *wg_config_serverless_dup(const char *p, size_t n);
/** `text` with every ${...} replaced (new string); NULL with an error when one cannot be resolved. */
char *wg_config_serverless_resolve_string(sls_t *s, const json_t *at, const char *text, int depth);
/** A string value with variables resolved (NULL if absent; an error if not a string). */
char *wg_config_serverless_get_string(sls_t *s, json_t *object, const char *key);
/** out.functions: the functions the routes and the authorizer name, when their code is on disk; 0 or -1. */
int wg_config_serverless_functions(sls_t *s, json_t *functions_def, json_t *out, json_t *routes);

#endif
