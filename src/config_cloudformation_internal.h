/*
 * config_cloudformation_internal.h: what only the CloudFormation / SAM / CDK converter's pieces
 * share (config_cloudformation.c, config_cfn_intrinsics.c, config_cfn_functions.c); other modules
 * include config_convert.h.
 *
 * Owns the conversion context: the template, its line index and the first error ("file:line:
 * problem", later errors are dropped). Every function that can fail records the error in the
 * context and returns -1 or NULL; the caller checks `has_error` after a run of calls.
 */
#ifndef WG_CONFIG_CLOUDFORMATION_INTERNAL_H
#define WG_CONFIG_CLOUDFORMATION_INTERNAL_H

#include <stdbool.h>
#include <jansson.h>
#include <stddef.h>

#include "config_convert.h"
#include "config_lines.h"

typedef struct wg_cfn {
    wg_config_convert_t cv; /* the file, its line index and the first error */
    const json_t *parameters; /* --parameter-overrides: name -> string, winning over Default (borrowed) */
    json_t *tmpl; /* the whole template (borrowed) */
    json_t *resources; /* tmpl.Resources (borrowed) */
    json_t *no_value; /* the marker AWS::NoValue evaluates to (owned) */
    int depth;
} wg_cfn_t;

/* ---- the context's helpers (config_cloudformation.c) ---- */

/** A resource's Type (borrowed), or NULL. */
const char *wg_cfn_resource_type(json_t *resource);
/** A resource's Properties object (borrowed), or NULL. */
json_t *wg_cfn_resource_properties(json_t *resource);
/** 1 for AWS::Lambda::Function and AWS::Serverless::Function. */
bool wg_cfn_is_function_type(const char *type);
/** True when the resource's Type is `type`. */
bool wg_cfn_is_type(json_t *resource, const char *type);

/* ---- intrinsic functions (config_cfn_intrinsics.c) ---- */

/** A scalar as text (numbers and booleans as CloudFormation writes them): new string, or NULL. */
char *wg_cfn_scalar_text(json_t *v);
/** `v` with its intrinsic functions evaluated: new reference (c->no_value for AWS::NoValue), or NULL
 * on error. */
json_t *wg_cfn_eval(wg_cfn_t *c, json_t *v);
/** Property `name` of `props` evaluated: NULL when absent or AWS::NoValue (no error), or on error. */
json_t *wg_cfn_prop(wg_cfn_t *c, json_t *props, const char *name);
/** A string property's value: new string, or NULL (absent; not a single value: error). */
char *wg_cfn_prop_string(wg_cfn_t *c, json_t *props, const char *name);
/** True when a resource is included: it has no Condition, or its Condition holds. */
bool wg_cfn_is_included(wg_cfn_t *c, json_t *resource);

/* ---- functions with code on disk (config_cfn_functions.c) ---- */

/** out.functions: the functions `routes` and out.authorizer name, when they are the template's and
 * their code is on disk. 0, or -1 on error. */
int wg_cfn_convert_functions(wg_cfn_t *c, json_t *out, json_t *routes);

#endif
