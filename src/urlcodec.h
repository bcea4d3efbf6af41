/*
 * urlcodec.h: percent-decoding and query-string parsing, for handshake URLs (the $connect event's
 * query maps), management-API paths (connectionIds arrive with '=' as %3D, AWS-MGMT-6) and SigV4.
 */
#ifndef WG_URLCODEC_H
#define WG_URLCODEC_H

#include <stddef.h>

/**
 * Percent-decodes `in` (len bytes) into `out`, which must hold at least `len` + 1 bytes; the result
 * is NUL-terminated and its length stored in *out_len. With `plus_is_space`, '+' decodes to ' '
 * (form/query style). A malformed escape ('%' not followed by two hex digits) is kept literally,
 * as lenient servers do. Returns 0, or -1 when the decoded bytes contain a NUL.
 */
int wg_urlcodec_decode(const char *in, size_t len, char *out, size_t *out_len, int plus_is_space);

typedef struct wg_query_param {
    char *name; /* decoded, NUL-terminated, owned by the list */
    char *value; /* decoded, NUL-terminated ("" for `?flag`), owned by the list */
} wg_query_param_t;

typedef struct wg_query {
    wg_query_param_t *params; /* in the order they appear in the URL, repeats kept */
    size_t count;
} wg_query_t;

/**
 * Parses a raw query string (the part after '?', without it). Empty pieces (`a=1&&b=2`, a bare
 * `?`) are skipped; `flag` without '=' gets the value "". Fills *out (free with wg_urlcodec_query_free).
 * Returns 0; aborts on out of memory.
 */
int wg_urlcodec_query_parse(const char *raw, size_t len, wg_query_t *out);
void wg_urlcodec_query_free(wg_query_t *query);

#endif
