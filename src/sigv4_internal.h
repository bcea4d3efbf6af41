/*
 * sigv4_internal.h: what only the SigV4 pieces share (sigv4_canonical.c, sigv4_verify.c,
 * sigv4_sign.c, sigv4_keys.c); other modules include sigv4.h (SigV4's times are clock.h's).
 *
 * Owns the small byte helpers every piece uses (static inline: they run once
 * per request byte), and declares the pieces' shared building blocks: the canonical request and the
 * signature under a cached derived key. Every input byte comes from the network:
 * all of it goes by explicit lengths, never str* on request data.
 */
#ifndef WG_SIGV4_INTERNAL_H
#define WG_SIGV4_INTERNAL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sigv4.h"

#define ALGORITHM "AWS4-HMAC-SHA256"

/* ---- text into wg_buf_t (buf.h) ---- */

/* Client text quoted in a message: NUL bytes would cut the C string, so they become '?'. */
static inline void buf_add_text(wg_buf_t *b, const char *s, size_t len)
{
    wg_buf_reserve(b, len);
    for (size_t i = 0; i < len; i++)
        b->data[b->len++] = s[i] ? s[i] : '?';
    b->data[b->len] = '\0';
}

static inline char *dup_n(const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (p == NULL)
        abort();
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

/* ---- small byte helpers ---- */

static inline int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static inline unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* (s,len) equals the NUL-terminated `lit` ignoring ASCII case. */
static inline int ieq(const char *s, size_t len, const char *lit)
{
    size_t i = 0;
    for (; i < len; i++) {
        if (lit[i] == '\0' || lower((unsigned char)s[i]) != lower((unsigned char)lit[i]))
            return 0;
    }
    return lit[i] == '\0';
}

/* (s,len) equals `lit` exactly. */
static inline int eq(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    return len == n && (n == 0 || memcmp(s, lit, n) == 0);
}

static inline void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_space((unsigned char)(*s)[0])) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_space((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

/* The first header named `name` (ASCII case ignored), or NULL. */
static inline const wg_header_t *find_header(const wg_sigv4_request_t *req, const char *name)
{
    for (size_t i = 0; i < req->num_headers; i++)
        if (ieq(req->headers[i].name, req->headers[i].name_len, name))
            return &req->headers[i];
    return NULL;
}

/* ---- the canonical request (sigv4_canonical.c) ---- */

/* Splits a raw query into its non-empty '&' pieces; calls fn(name, name_len, value, value_len, ctx)
 * with the raw (still encoded) name and value. */
typedef void (*wg_sigv4_query_piece_fn)(const char *name, size_t name_len, const char *value, size_t value_len,
                                        void *ctx);
void wg_sigv4_query_each(const char *q, size_t len, wg_sigv4_query_piece_fn fn, void *ctx);

/* Appends the canonical request (AWS-SIG-2, AWS-SIG-3) to `out`. `path_mode` is a WG_SIGV4_PATH_*
 * value; `exclude_signature` drops X-Amz-Signature from the query (presigned form). */
void wg_sigv4_build_canonical(wg_buf_t *out, const char *method, size_t method_len, const char *path, size_t path_len,
                              const char *query, size_t query_len, const wg_header_t *headers, size_t num_headers,
                              const char *signed_list, size_t signed_len, const char *payload_hash,
                              size_t payload_hash_len, int path_mode, int exclude_signature);

/* ---- keys (sigv4_keys.c) ---- */

/* Hex HMAC of the string to sign under the derived key (from the key cache when it fits there). */
void wg_sigv4_compute_signature(const char *secret, const char *date8, const char *region, const char *service,
                                const char *string_to_sign, char out[65]);

#endif
