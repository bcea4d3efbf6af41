/*
 * config_convert.h: the converters from other tools' files to wsgate's canonical document
 * (config_cloudformation.c, config_serverless.c, config_emulator.c), called by
 * config_document.c once a file is parsed.
 *
 * Each takes the parsed source tree (borrowed) and its line index, and returns a new canonical
 * tree whose nodes carry the lines of the source nodes they came from, or NULL with
 * "file:line: problem" in err.
 */
#ifndef WG_CONFIG_CONVERT_H
#define WG_CONFIG_CONVERT_H

#include <stdbool.h>
#include <jansson.h>
#include <stddef.h>

#include "config_lines.h"

/** What every converter carries (config_convert.c): the file, its line index, and the first error
 * as "file:line: problem" (later errors are dropped, so the user sees the cause, not its echoes). */
typedef struct wg_config_convert {
    const char *path;
    wg_config_lines_t *lines;
    char *err;
    size_t err_size;
    bool has_error;
} wg_config_convert_t;

/** Reports "file:line: message" for `node` (the first error only); returns -1. */
int wg_config_convert_fail(wg_config_convert_t *cv, const json_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** The line of `object`'s `key`, else of `object`. */
int wg_config_convert_key_line(const wg_config_convert_t *cv, const json_t *object, const char *key);
/** Sets out[key] = value (taken), giving both the source line `line`. */
void wg_config_convert_put(wg_config_convert_t *cv, json_t *out, const char *key, json_t *value, int line);

/** Recognises a CloudFormation / SAM / CDK template by its top-level keys. */
bool wg_config_is_cloudformation(const json_t *root);
/** `parameters` (borrowed, may be NULL): --parameter-overrides, name -> string, over the Defaults. */
json_t *wg_config_from_cloudformation(const char *path, json_t *source, wg_config_lines_t *lines,
                                      const json_t *parameters, char *err, size_t err_size);

/** Evaluates `value` (intrinsic functions: Ref, Fn::GetAtt, Fn::Sub, ...) against `tmpl`, a template
 * or a serverless.yml's `resources` (its Resources, Parameters, Conditions): a new value, or NULL
 * with "file:line: problem" in err. */
json_t *wg_config_cloudformation_eval(const char *path, json_t *tmpl, wg_config_lines_t *lines, json_t *value,
                                      char *err, size_t err_size);

/** Recognises a serverless.yml (top-level "service" with "provider" or "functions"). */
bool wg_config_is_serverless(const json_t *root);
json_t *wg_config_from_serverless(const char *path, json_t *source, wg_config_lines_t *lines, char *err,
                                  size_t err_size);

/** Recognises an aws-apigw-ws-emulator config (its file name, or keys only it has). */
bool wg_config_is_emulator(const char *path, const json_t *root);
json_t *wg_config_from_emulator(const char *path, json_t *source, wg_config_lines_t *lines, char *err, size_t err_size);
/** The emulator's -m/--integration-mode flag: overrides the file's integrationMode in later
 * wg_config_from_emulator calls (`mode` borrowed, must outlive them; NULL = the file's). */
void wg_config_emulator_set_mode(const char *mode);
/** True when `mode` is an integrationMode the emulator accepts ("lambda_proxy", "http") or an older
 * spelling ("lambda-proxy", "lambda"). */
bool wg_config_emulator_is_mode(const char *mode);

#endif
