/*
 * config_lines.h: where each node of a config document came from (line numbers), so error
 * messages about a converted document can still name "file:line".
 *
 * The index holds a reference to every node it records, so a node's address cannot be reused by
 * another node while the index lives (converters free the source tree and build new nodes).
 * jansson's true/false/null are shared singletons: a line is known for them only when the
 * document holds exactly one of that value; ask for the line of the key instead
 * (wg_config_lines_key_line), which is always exact.
 */
#ifndef WG_CONFIG_LINES_H
#define WG_CONFIG_LINES_H

#include <jansson.h>
#include <stddef.h>

typedef struct wg_config_lines wg_config_lines_t;

/** A new, empty index (aborts on out of memory). */
wg_config_lines_t *wg_config_lines_new(void);
void wg_config_lines_free(wg_config_lines_t *lines);

/** Records that `node` starts on `line` (1-based; 0 is ignored). The index takes a reference. */
void wg_config_lines_set(wg_config_lines_t *lines, json_t *node, int line);
/** Records that key `key` of `object` is written on `line`. */
void wg_config_lines_set_key(wg_config_lines_t *lines, json_t *object, const char *key, int line);

/** The line of `node`, or 0 when unknown (or ambiguous, for true/false/null). */
int wg_config_lines_line(const wg_config_lines_t *lines, const json_t *node);
/** The line of key `key` in `object`, or 0 when unknown. */
int wg_config_lines_key_line(const wg_config_lines_t *lines, const json_t *object, const char *key);

/** Copies what is known about `from` to `to` (the node's own line only). */
void wg_config_lines_copy(wg_config_lines_t *lines, const json_t *from, json_t *to);

/**
 * Copies the lines of `from` (a tree with known lines) onto `to`, a tree of the same shape (the
 * same document parsed by another parser): objects are matched key by key, arrays index by index.
 */
void wg_config_lines_copy_tree(wg_config_lines_t *lines, const json_t *from, json_t *to);

/** "path:line" for `node` (the node's own line), or just "path" when unknown. Writes into out. */
const char *wg_config_lines_where(const wg_config_lines_t *lines, const char *path, const json_t *node, char *out,
                                  size_t out_size);
/** "path:line" for key `key` of `object`; falls back to the object's line, then to "path". */
const char *wg_config_lines_where_key(const wg_config_lines_t *lines, const char *path, const json_t *object,
                                      const char *key, char *out, size_t out_size);

#endif
