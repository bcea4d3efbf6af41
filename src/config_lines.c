/* config_lines.c: the line index of a config document (see config_lines.h). */
#include "config_lines.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * An open-addressing hash table keyed by (node, key): lookups stay O(1) for templates of
 * thousands of resources. The shared singletons true/false/null are kept apart: for each, the
 * line it was seen on, and whether it was seen on two different lines (then it is ambiguous).
 */
typedef struct line_entry {
    json_t *node; /* the node, or the object holding `key` (a reference is held); NULL = free slot */
    char *key; /* NULL for the node's own line */
    int line;
} line_entry_t;

struct wg_config_lines {
    line_entry_t *slots;
    size_t count, capacity; /* capacity is a power of two */
    int singleton_line[3];
    int is_singleton_ambiguous[3];
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
    for (size_t i = 0; i < lines->capacity; i++) {
        json_decref(lines->slots[i].node);
        free(lines->slots[i].key);
    }
    free(lines->slots);
    free(lines);
}

/* 0, 1, 2 for true, false, null; -1 for every other node. */
static int singleton_index(const json_t *node)
{
    return json_is_true(node) ? 0 : json_is_false(node) ? 1 : json_is_null(node) ? 2 : -1;
}

static size_t hash_of(const json_t *node, const char *key)
{
    size_t h = (size_t)(uintptr_t)node * 0x9E3779B97F4A7C15ull;
    if (key != NULL)
        for (const unsigned char *p = (const unsigned char *)key; *p; p++)
            h = (h ^ *p) * 0x100000001B3ull;
    return h ^ (h >> 29);
}

static int same_key(const char *a, const char *b)
{
    return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* The slot holding (node, key), or the free slot where it would go. */
static line_entry_t *find_slot(const wg_config_lines_t *lines, const json_t *node, const char *key)
{
    size_t mask = lines->capacity - 1;
    for (size_t i = hash_of(node, key) & mask;; i = (i + 1) & mask) {
        line_entry_t *e = &lines->slots[i];
        if (e->node == NULL || (e->node == node && same_key(e->key, key)))
            return e;
    }
}

static void grow(wg_config_lines_t *lines)
{
    line_entry_t *old = lines->slots;
    size_t old_capacity = lines->capacity;
    lines->capacity = old_capacity ? old_capacity * 2 : 256;
    lines->slots = calloc(lines->capacity, sizeof(*lines->slots));
    if (lines->slots == NULL)
        abort();
    for (size_t i = 0; i < old_capacity; i++)
        if (old[i].node != NULL)
            *find_slot(lines, old[i].node, old[i].key) = old[i];
    free(old);
}

static void add_entry(wg_config_lines_t *lines, json_t *node, const char *key, int line)
{
    if (node == NULL || line <= 0)
        return;
    int s = key == NULL ? singleton_index(node) : -1;
    if (s >= 0) {
        if (lines->singleton_line[s] != 0 && lines->singleton_line[s] != line)
            lines->is_singleton_ambiguous[s] = 1;
        lines->singleton_line[s] = line;
        return;
    }
    if ((lines->count + 1) * 2 > lines->capacity)
        grow(lines);
    line_entry_t *e = find_slot(lines, node, key);
    if (e->node == NULL) {
        e->node = json_incref(node);
        e->key = NULL;
        if (key != NULL && (e->key = strdup(key)) == NULL)
            abort();
        lines->count++;
    }
    e->line = line; /* a later record (a conversion) wins over an earlier one */
}

void wg_config_lines_set(wg_config_lines_t *lines, json_t *node, int line)
{
    add_entry(lines, node, NULL, line);
}

void wg_config_lines_set_key(wg_config_lines_t *lines, json_t *object, const char *key, int line)
{
    add_entry(lines, object, key, line);
}

static int lookup(const wg_config_lines_t *lines, const json_t *node, const char *key)
{
    if (lines == NULL || node == NULL || lines->capacity == 0)
        return 0;
    const line_entry_t *e = find_slot(lines, node, key);
    return e->node != NULL ? e->line : 0;
}

int wg_config_lines_line(const wg_config_lines_t *lines, const json_t *node)
{
    int s = singleton_index(node);
    if (lines != NULL && s >= 0)
        return lines->is_singleton_ambiguous[s] ? 0 : lines->singleton_line[s];
    return lookup(lines, node, NULL);
}

int wg_config_lines_key_line(const wg_config_lines_t *lines, const json_t *object, const char *key)
{
    return key == NULL ? 0 : lookup(lines, object, key);
}

void wg_config_lines_copy(wg_config_lines_t *lines, const json_t *from, json_t *to)
{
    if (from == to || singleton_index(from) >= 0)
        return;
    add_entry(lines, to, NULL, wg_config_lines_line(lines, from));
}

void wg_config_lines_copy_tree(wg_config_lines_t *lines, const json_t *from, json_t *to)
{
    if (from == NULL || to == NULL)
        return;
    if (singleton_index(to) >= 0)
        return; /* shared singletons: the lines seen while parsing already count them */
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
