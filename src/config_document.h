/*
 * config_document.h: reads a config file of any supported format into wsgate's canonical JSON
 * document (the keys of README.md's "Config file" section), so config.c
 * applies one shape, and remembers the line of every node so its messages can say "file:line".
 *
 * Formats (docs/config-formats.md): wsgate JSON and YAML (the same keys), CloudFormation / SAM /
 * CDK templates (JSON or YAML with short tags; config_cloudformation.c), serverless.yml
 * (config_serverless.c) and aws-apigw-ws-emulator's gateway.config.yaml (config_emulator.c).
 * JSON or YAML is chosen by content (JSON when it starts with '{' or '['; the file name does not
 * matter: `cdk synth > t.json` writes YAML), then the format by the document's keys. Syntax errors
 * say which reader was used.
 */
#ifndef WG_CONFIG_DOCUMENT_H
#define WG_CONFIG_DOCUMENT_H

#include <jansson.h>
#include <stddef.h>

typedef enum wg_config_format {
    WG_CONFIG_FORMAT_WSGATE, /* wsgate's own keys, JSON or YAML */
    WG_CONFIG_FORMAT_CLOUDFORMATION, /* CloudFormation / SAM / CDK template */
    WG_CONFIG_FORMAT_SERVERLESS, /* serverless.yml */
    WG_CONFIG_FORMAT_EMULATOR, /* aws-apigw-ws-emulator gateway.config.yaml */
} wg_config_format_t;

typedef struct wg_config_document {
    json_t *root; /* the canonical document (owned) */
    char *path; /* the file it came from (owned) */
    void *line_index; /* a wg_config_lines_t (config_lines.h): where each node came from (owned) */
    wg_config_format_t format; /* what the file was read as */
    int is_yaml; /* the file was YAML (else JSON) */
} wg_config_document_t;

/**
 * Loads `path` (at most WG_LIMIT_CONFIG_BYTES). Returns 0, or -1 with a one-line message naming
 * the file (and "file:line:col" for syntax errors, "file:line" for conversion errors) in err.
 * On -1 `doc` holds nothing to free (freeing it is still safe).
 */
int wg_config_document_load(const char *path, wg_config_document_t *doc, char *err, size_t err_size);
/** Like wg_config_document_load, from memory: `text` (length bytes, NUL-terminated at length) as if
 * read from `path` (used in messages and to recognise gateway.config.*). */
int wg_config_document_parse(const char *path, const char *text, size_t length, wg_config_document_t *doc, char *err,
                             size_t err_size);
/** Like wg_config_document_load, with a template's parameter values (--parameter-overrides):
 * `parameters` (borrowed, may be NULL) maps a parameter name to a string that wins over its Default. */
int wg_config_document_load_with_parameters(const char *path, const json_t *parameters, wg_config_document_t *doc,
                                            char *err, size_t err_size);
void wg_config_document_free(wg_config_document_t *doc);

/**
 * "file:line" (or just "file") for a node of doc->root, for error messages. Writes into out and
 * returns it. Exact for objects, arrays, strings and numbers; true/false/null are shared by
 * jansson, so for them prefer wg_config_document_where_key.
 */
const char *wg_config_document_where(const wg_config_document_t *doc, const json_t *node, char *out, size_t out_size);

/** "file:line" of key `key` of `object` (a node of doc->root); falls back to the object's line. */
const char *wg_config_document_where_key(const wg_config_document_t *doc, const json_t *object, const char *key,
                                         char *out, size_t out_size);

/** "wsgate", "CloudFormation template", "serverless.yml" or "aws-apigw-ws-emulator config". */
const char *wg_config_format_name(wg_config_format_t format);

#endif
