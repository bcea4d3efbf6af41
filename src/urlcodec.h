/*
 * urlcodec.h: percent-encoding and -decoding and query-string parsing (one copy for every module):
 * handshake URLs (the $connect event's query maps), management-API paths (connectionIds arrive with
 * '=' as %3D, AWS-MGMT-6), SigV4's canonical request (AWS-SIG-2), the Lambda Invoke path and
 * HTTP_PROXY query strings.
 */
#ifndef WG_URLCODEC_H
#define WG_URLCODEC_H

#include <stddef.h>

#include "buf.h"

/**
 * Appends `len` bytes of `s` (NULs allowed) percent-encoded by AWS's UriEncode rule (SigV4): every
 * byte but RFC 3986's unreserved A-Z a-z 0-9 - . _ ~ becomes %XX with uppercase hex; with
 * `keep_slash`, '/' is kept too (paths). Aborts on out of memory.
 */
void wg_urlcodec_encode(wg_buf_t *out, const char *s, size_t len, int keep_slash);

/**
 * Percent-decodes `in` (len bytes) into `out`, which must hold at least `len` + 1 bytes; the result
 * is NUL-terminated and its length stored in *out_len. With `plus_is_space`, '+' decodes to ' '
 * (form/query style). A malformed escape ('%' not followed by two hex digits) is kept literally,
 * as lenient servers do. Returns 0, or -1 when the decoded bytes contain a NUL.
 */
int wg_urlcodec_decode(const char *in, size_t len, char *out, size_t *out_len, int plus_is_space);
/** The same decoding appended to `out`, NULs and all (SigV4 decodes then re-encodes). */
void wg_urlcodec_decode_append(wg_buf_t *out, const char *in, size_t len, int plus_is_space);

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
