/*
 * config_document.c: config files into the canonical JSON document (see config_document.h).
 *
 * JSON or YAML is decided by the content (looks_like_json), not the file name. JSON is read by jansson (exact numbers,
 * duplicate keys rejected) and, for line numbers only, also by the YAML reader (JSON is YAML): the two trees have the
 * same shape, so lines are copied across key by key. YAML is read by config_yaml.c. Then the document's keys decide
 * whether it is a template, a serverless.yml or an emulator config, which config_convert.h turns into the canonical
 * document.
 */
#include "config_document.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_convert.h"
#include "config_lines.h"
#include "config_yaml.h"
#include "limits.h"

const char *wg_config_format_name(wg_config_format_t format)
{
    switch (format) {
    case WG_CONFIG_FORMAT_WSGATE: return "wsgate";
    case WG_CONFIG_FORMAT_CLOUDFORMATION: return "CloudFormation template";
    case WG_CONFIG_FORMAT_SERVERLESS: return "serverless.yml";
    case WG_CONFIG_FORMAT_EMULATOR: return "aws-apigw-ws-emulator config";
    }
    return "?";
}

/* Reads the whole file (at most WG_LIMIT_CONFIG_BYTES) into a NUL-terminated buffer. */
static char *read_file(const char *path, size_t *length, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(WG_LIMIT_CONFIG_BYTES + 1);
    if (buf == NULL)
        abort();
    size_t n = fread(buf, 1, WG_LIMIT_CONFIG_BYTES + 1, f);
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        snprintf(err, err_size, "%s: could not read the file", path);
        goto fail;
    }
    if (n > WG_LIMIT_CONFIG_BYTES) {
        snprintf(err, err_size, "%s: larger than %d bytes", path, WG_LIMIT_CONFIG_BYTES);
        goto fail;
    }
    buf[n] = '\0';
    *length = n;
    return buf;
fail:
    free(buf);
    return NULL;
}

/* JSON when the text (after a byte order mark and blanks) starts with '{' or '[', else YAML: by
 * content, never by name, because `cdk synth > x.template.json` writes YAML into a .json file. */
static int looks_like_json(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    if (p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        p += 3; /* UTF-8 byte order mark */
    while (isspace(*p))
        p++;
    return *p == '{' || *p == '[';
}

/* Appends to a syntax error which reader was chosen and why, so a YAML file named .json (or the
 * reverse) explains itself. */
static void say_detected(char *err, size_t err_size, int is_yaml)
{
    size_t len = strlen(err);
    if (len + 1 >= err_size)
        return;
    snprintf(err + len, err_size - len, "%s",
             is_yaml ? " (read as YAML: the content does not start with '{' or '[')"
                     : " (read as JSON: the content starts with '{' or '[')");
}

static json_t *parse_json(const char *path, const char *text, size_t length, wg_config_lines_t *lines, char *err,
                          size_t err_size)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, length, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        if (jerr.line <= 0)
            snprintf(err, err_size, "%s: %s", path, jerr.text);
        else
            snprintf(err, err_size, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    /* Lines: the same text through the YAML reader. If it cannot read it (JSON that YAML does
     * not accept, e.g. tabs used as indentation before a key), messages just name the file. */
    char ignored[256];
    json_t *shadow = wg_config_yaml_parse(path, text, length, lines, ignored, sizeof(ignored));
    if (shadow != NULL) {
        wg_config_lines_copy_tree(lines, shadow, root);
        json_decref(shadow);
    }
    return root;
}

static int parse_document(const char *path, const char *text, size_t length, const json_t *parameters,
                          wg_config_document_t *doc, char *err, size_t err_size);

int wg_config_document_load(const char *path, wg_config_document_t *doc, char *err, size_t err_size)
{
    return wg_config_document_load_with_parameters(path, NULL, doc, err, err_size);
}

int wg_config_document_load_with_parameters(const char *path, const json_t *parameters, wg_config_document_t *doc,
                                            char *err, size_t err_size)
{
    memset(doc, 0, sizeof(*doc));
    size_t length;
    char *text = read_file(path, &length, err, err_size);
    if (text == NULL)
        return -1;
    int rc = parse_document(path, text, length, parameters, doc, err, err_size);
    free(text);
    return rc;
}

int wg_config_document_parse(const char *path, const char *text, size_t length, wg_config_document_t *doc, char *err,
                             size_t err_size)
{
    return parse_document(path, text, length, NULL, doc, err, err_size);
}

static int parse_document(const char *path, const char *text, size_t length, const json_t *parameters,
                          wg_config_document_t *doc, char *err, size_t err_size)
{
    memset(doc, 0, sizeof(*doc));
    wg_config_lines_t *lines = wg_config_lines_new();
    doc->is_yaml = !looks_like_json(text);
    json_t *source = doc->is_yaml ? wg_config_yaml_parse(path, text, length, lines, err, err_size)
                                  : parse_json(path, text, length, lines, err, err_size);
    if (source == NULL) {
        say_detected(err, err_size, doc->is_yaml);
        goto fail;
    }

    json_t *root = source;
    if (wg_config_is_cloudformation(source)) {
        doc->format = WG_CONFIG_FORMAT_CLOUDFORMATION;
        root = wg_config_from_cloudformation(path, source, lines, parameters, err, err_size);
    } else if (wg_config_is_serverless(source)) {
        doc->format = WG_CONFIG_FORMAT_SERVERLESS;
        root = wg_config_from_serverless(path, source, lines, err, err_size);
    } else if (wg_config_is_emulator(path, source)) {
        doc->format = WG_CONFIG_FORMAT_EMULATOR;
        root = wg_config_from_emulator(path, source, lines, err, err_size);
    } else {
        json_incref(root);
    }
    json_decref(source);
    if (root == NULL)
        goto fail;
    doc->root = root;
    doc->line_index = lines;
    doc->path = strdup(path);
    if (doc->path == NULL)
        abort();
    return 0;
fail:
    wg_config_lines_free(lines);
    memset(doc, 0, sizeof(*doc));
    return -1;
}

void wg_config_document_free(wg_config_document_t *doc)
{
    json_decref(doc->root);
    free(doc->path);
    wg_config_lines_free(doc->line_index);
    memset(doc, 0, sizeof(*doc));
}

const char *wg_config_document_where(const wg_config_document_t *doc, const json_t *node, char *out, size_t out_size)
{
    return wg_config_lines_where(doc->line_index, doc->path ? doc->path : "config", node, out, out_size);
}

const char *wg_config_document_where_key(const wg_config_document_t *doc, const json_t *object, const char *key,
                                         char *out, size_t out_size)
{
    return wg_config_lines_where_key(doc->line_index, doc->path ? doc->path : "config", object, key, out, out_size);
}
