/*
 * headers.h: a borrowed view of an HTTP header list, shared by the event builder, the SigV4
 * verifier and the integrations, so none of them depends on h2o's request type.
 *
 * Strings are NOT NUL-terminated (they usually point into an h2o request); always use the
 * lengths. Nothing here owns memory.
 */
#ifndef WG_HEADERS_H
#define WG_HEADERS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct wg_header {
    const char *name; /* as the client spelled it */
    size_t name_len;
    const char *value;
    size_t value_len;
} wg_header_t;

/** Returns the first header whose name equals `name` ignoring case, or NULL. */
const wg_header_t *wg_headers_find(const wg_header_t *headers, size_t count, const char *name);

/** Case-insensitive comparison of a (ptr,len) string with a NUL-terminated one; true when equal. */
bool wg_headers_ieq(const char *s, size_t len, const char *lit);

#endif
