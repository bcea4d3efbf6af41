/*
 * config_document.h: reads a config file of any supported format into wsgate's canonical JSON
 * document (the keys of the README's config reference), so config.c applies one shape.
 *
 * Formats: wsgate JSON. (YAML, CloudFormation/SAM/CDK templates, serverless.yml and the
 * aws-apigw-ws-emulator gateway.config.yaml are converted here as they are added.)
 */
#ifndef WG_CONFIG_DOCUMENT_H
#define WG_CONFIG_DOCUMENT_H

#include <jansson.h>
#include <stddef.h>

typedef struct wg_config_document {
    json_t *root;     /* the canonical document (owned) */
    char *path;       /* the file it came from (owned) */
    void *line_index; /* where each node came from, when the format knows (owned; may be NULL) */
} wg_config_document_t;

/** Loads `path`. Returns 0, or -1 with a one-line message naming the file (and line) in err. */
int wg_config_document_load(const char *path, wg_config_document_t *doc, char *err, size_t err_size);
void wg_config_document_free(wg_config_document_t *doc);

/** "file:line" (or just "file") for a node of doc->root, for error messages. Writes into out. */
const char *wg_config_document_where(const wg_config_document_t *doc, const json_t *node, char *out, size_t out_size);

#endif
