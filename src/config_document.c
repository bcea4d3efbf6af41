/* config_document.c: config files into the canonical JSON document (see config_document.h). */
#include "config_document.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"

int wg_config_document_load(const char *path, wg_config_document_t *doc, char *err, size_t err_size)
{
    memset(doc, 0, sizeof(*doc));
    json_error_t jerr;
    doc->root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (doc->root == NULL) {
        if (jerr.line <= 0)
            snprintf(err, err_size, "%s: %s", path, jerr.text);
        else
            snprintf(err, err_size, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        return -1;
    }
    doc->path = strdup(path);
    if (doc->path == NULL)
        abort();
    return 0;
}

void wg_config_document_free(wg_config_document_t *doc)
{
    json_decref(doc->root);
    free(doc->path);
    memset(doc, 0, sizeof(*doc));
}

const char *wg_config_document_where(const wg_config_document_t *doc, const json_t *node, char *out, size_t out_size)
{
    snprintf(out, out_size, "%s", doc->path ? doc->path : "config");
    return out;
}
