/* config_lines.c: the line index of a config document (see config_lines.h). */
#include "config_lines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct line_entry {
    json_t *node; /* the node, or the object holding `key` (a reference is held) */
    char *key;    /* NULL for the node's own line */
    int line;
} line_entry_t;

struct wg_config_lines {
    line_entry_t *entries;
    size_t count, capacity;
};

wg_config_lines_t *wg_config_lines_new(void)
{
    wg_config_lines_t *lines = calloc(1, sizeof(*lines));
    if (lines == NULL)
        abort();
    return lines;
}

void wg_config_lines_free(wg_config_lines_t *lines)
{
    if (lines == NULL)
        return;
    for (size_t i = 0; i < lines->count; i++) {
        json_decref(lines->entries[i].node);
        free(lines->entries[i].key);
    }
    free(lines->entries);
    free(lines);
}

static int is_singleton(const json_t *node)
{
    return json_is_true(node) || json_is_false(node) || json_is_null(node);
}

static void add_entry(wg_config_lines_t *lines, json_t *node, const char *key, int line)
{
    if (node == NULL || line <= 0)
        return;
    if (lines->count == lines->capacity) {
        lines->capacity = lines->capacity ? lines->capacity * 2 : 64;
        lines->entries = realloc(lines->entries, lines->capacity * sizeof(*lines->entries));
        if (lines->entries == NULL)
            abort();
    }
    line_entry_t *e = &lines->entries[lines->count++];
    e->node = json_incref(node);
    e->key = NULL;
    if (key != NULL && (e->key = strdup(key)) == NULL)
        abort();
    e->line = line;
}

void wg_config_lines_set(wg_config_lines_t *lines, json_t *node, int line)
{
    add_entry(lines, node, NULL, line);
}

void wg_config_lines_set_key(wg_config_lines_t *lines, json_t *object, const char *key, int line)
{
    add_entry(lines, object, key, line);
}

int wg_config_lines_line(const wg_config_lines_t *lines, const json_t *node)
{
    if (lines == NULL || node == NULL)
        return 0;
    int found = 0;
    /* Newest first: a later record (a conversion) wins over an earlier one. */
    for (size_t i = lines->count; i-- > 0;) {
        const line_entry_t *e = &lines->entries[i];
        if (e->node != node || e->key != NULL)
            continue;
        if (!is_singleton(node))
            return e->line;
        if (found != 0 && found != e->line)
            return 0; /* the same singleton on two lines: ambiguous */
        found = e->line;
    }
    return found;
}

int wg_config_lines_key_line(const wg_config_lines_t *lines, const json_t *object, const char *key)
{
    if (lines == NULL || object == NULL || key == NULL)
        return 0;
    for (size_t i = lines->count; i-- > 0;) {
        const line_entry_t *e = &lines->entries[i];
        if (e->node == object && e->key != NULL && strcmp(e->key, key) == 0)
            return e->line;
    }
    return 0;
}

void wg_config_lines_copy(wg_config_lines_t *lines, const json_t *from, json_t *to)
{
    if (from == to || is_singleton(from))
        return;
    add_entry(lines, to, NULL, wg_config_lines_line(lines, from));
}

void wg_config_lines_copy_tree(wg_config_lines_t *lines, const json_t *from, json_t *to)
{
    if (from == NULL || to == NULL)
        return;
    if (is_singleton(to))
        return; /* shared singletons: the entries made while parsing already count them */
    wg_config_lines_copy(lines, from, to);
    if (json_is_object(from) && json_is_object(to)) {
        const char *key;
        json_t *value;
        json_object_foreach(to, key, value) {
            add_entry(lines, to, key, wg_config_lines_key_line(lines, from, key));
            wg_config_lines_copy_tree(lines, json_object_get(from, key), value);
        }
    } else if (json_is_array(from) && json_is_array(to)) {
        size_t i;
        json_t *value;
        json_array_foreach(to, i, value) {
            wg_config_lines_copy_tree(lines, json_array_get(from, i), value);
        }
    }
}

const char *wg_config_lines_where(const wg_config_lines_t *lines, const char *path, const json_t *node, char *out,
                                  size_t out_size)
{
    int line = wg_config_lines_line(lines, node);
    if (line > 0)
        snprintf(out, out_size, "%s:%d", path, line);
    else
        snprintf(out, out_size, "%s", path);
    return out;
}

const char *wg_config_lines_where_key(const wg_config_lines_t *lines, const char *path, const json_t *object,
                                      const char *key, char *out, size_t out_size)
{
    int line = wg_config_lines_key_line(lines, object, key);
    if (line <= 0)
        return wg_config_lines_where(lines, path, object, out, out_size);
    snprintf(out, out_size, "%s:%d", path, line);
    return out;
}
