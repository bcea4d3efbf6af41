/*
 * sigv4_canonical.c: SigV4's canonical request and string to sign, built the way execute-api builds
 * them on its side (AWS-SIG-2..4).
 *
 * What this reproduces: the raw wire path URI-encoded once more (RFC 3986 unreserved characters and
 * '/' kept), so `/local/@connections/X%3D` is signed as `/local/%40connections/X%253D` (AWS-SIG-2);
 * the query sorted by encoded name, then value; the headers named by the client's SignedHeaders list
 * (SDKs sign different sets, AWS-SIG-3), values trimmed with inner whitespace runs collapsed and
 * repeats joined with ','. The S3-style and normalized paths serve AWS's published test vectors.
 *
 * Everything is bounded by the input size (the verifier refuses repeated SignedHeaders names first)
 * and nothing here aborts on bad input.
 */
#include <stdlib.h>
#include <string.h>

#include "sigv4_internal.h"
#include "urlcodec.h"

/* Canonical URI (see WG_SIGV4_PATH_* in sigv4.h). */
static void canonical_uri(wg_buf_t *out, const char *path, size_t len, int mode)
{
    if (len == 0) {
        wg_buf_append_char(out, '/');
        return;
    }
    if (mode == WG_SIGV4_PATH_DOUBLE) {
        wg_urlcodec_encode(out, path, len, 1);
        return;
    }
    wg_buf_t decoded = {0};
    wg_urlcodec_decode_append(&decoded, path, len, 0);
    if (mode != WG_SIGV4_PATH_NORMALIZE) {
        wg_urlcodec_encode(out, decoded.data, decoded.len, 1);
        free(decoded.data);
        return;
    }
    /* botocore's remove_dot_segments: drop empty and "." segments, ".." pops, keep the leading
     * slash and a trailing one (when something is left). */
    size_t n = decoded.len, count = 0;
    const char *d = decoded.data;
    size_t *starts = malloc((n / 2 + 2) * sizeof(size_t)), *lens = malloc((n / 2 + 2) * sizeof(size_t));
    if (starts == NULL || lens == NULL)
        abort();
    for (size_t i = 0; i <= n;) {
        size_t j = i;
        while (j < n && d[j] != '/')
            j++;
        size_t seg = j - i;
        if (seg == 0 || (seg == 1 && d[i] == '.')) {
            /* skipped */
        } else if (seg == 2 && d[i] == '.' && d[i + 1] == '.') {
            if (count > 0)
                count--;
        } else {
            starts[count] = i;
            lens[count] = seg;
            count++;
        }
        i = j + 1;
    }
    if (d[0] == '/')
        wg_buf_append_char(out, '/');
    for (size_t k = 0; k < count; k++) {
        if (k > 0)
            wg_buf_append_char(out, '/');
        wg_urlcodec_encode(out, d + starts[k], lens[k], 1);
    }
    if (d[n - 1] == '/' && count > 0)
        wg_buf_append_char(out, '/');
    free(starts);
    free(lens);
    free(decoded.data);
}

typedef struct qparam {
    char *text; /* "encoded-name=encoded-value" */
    size_t name_len;
    size_t len;
} qparam_t;

static int qparam_cmp(const void *a, const void *b)
{
    const qparam_t *x = a, *y = b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->text, y->text, n);
    if (c != 0)
        return c;
    if (x->name_len != y->name_len)
        return x->name_len < y->name_len ? -1 : 1;
    size_t xv = x->len - x->name_len, yv = y->len - y->name_len;
    n = xv < yv ? xv : yv;
    c = memcmp(x->text + x->name_len, y->text + y->name_len, n);
    if (c != 0)
        return c;
    return xv < yv ? -1 : (xv > yv ? 1 : 0);
}

void wg_sigv4_query_each(const char *q, size_t len, wg_sigv4_query_piece_fn fn, void *ctx)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && q[j] != '&')
            j++;
        if (j > i) {
            size_t e = i;
            while (e < j && q[e] != '=')
                e++;
            if (e < j)
                fn(q + i, e - i, q + e + 1, j - e - 1, ctx);
            else
                fn(q + i, j - i, q + j, 0, ctx); /* `flag` is `flag=` */
        }
        i = j + 1;
    }
}

typedef struct qcollect {
    qparam_t *params;
    size_t count;
    size_t cap;
    int exclude_signature;
} qcollect_t;

static void collect_piece(const char *name, size_t name_len, const char *value, size_t value_len, void *ctx)
{
    qcollect_t *c = ctx;
    wg_buf_t dn = {0}, dv = {0}, t = {0};
    wg_urlcodec_decode_append(&dn, name, name_len, 0);
    if (c->exclude_signature && eq(dn.data, dn.len, "X-Amz-Signature")) {
        free(dn.data);
        return;
    }
    wg_urlcodec_decode_append(&dv, value, value_len, 0);
    wg_urlcodec_encode(&t, dn.data, dn.len, 0);
    size_t enc_name_len = t.len;
    wg_buf_append_char(&t, '=');
    wg_urlcodec_encode(&t, dv.data, dv.len, 0);
    free(dn.data);
    free(dv.data);
    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        qparam_t *p = realloc(c->params, cap * sizeof(*p));
        if (p == NULL)
            abort();
        c->params = p;
        c->cap = cap;
    }
    qparam_t *p = &c->params[c->count++];
    p->len = t.len;
    p->name_len = enc_name_len;
    p->text = wg_buf_take(&t, NULL);
}

static void canonical_query(wg_buf_t *out, const char *q, size_t len, int exclude_signature)
{
    qcollect_t c = {NULL, 0, 0, exclude_signature};
    wg_sigv4_query_each(q, len, collect_piece, &c);
    if (c.count > 1)
        qsort(c.params, c.count, sizeof(qparam_t), qparam_cmp);
    for (size_t i = 0; i < c.count; i++) {
        if (i > 0)
            wg_buf_append_char(out, '&');
        wg_buf_append(out, c.params[i].text, c.params[i].len);
        free(c.params[i].text);
    }
    free(c.params);
}

/* One header value the canonical way: trimmed, inner whitespace runs collapsed to one space. */
static void canonical_value(wg_buf_t *out, const char *v, size_t len)
{
    trim(&v, &len);
    int in_space = 0;
    wg_buf_reserve(out, len);
    for (size_t i = 0; i < len; i++) {
        if (is_space((unsigned char)v[i])) {
            in_space = 1;
            continue;
        }
        if (in_space)
            out->data[out->len++] = ' ';
        in_space = 0;
        out->data[out->len++] = v[i];
    }
    out->data[out->len] = '\0';
}

static void canonical_headers(wg_buf_t *out, const wg_header_t *headers, size_t num_headers, const char *signed_list,
                              size_t signed_len)
{
    size_t i = 0;
    while (i <= signed_len) {
        size_t j = i;
        while (j < signed_len && signed_list[j] != ';')
            j++;
        const char *name = signed_list + i;
        size_t name_len = j - i;
        if (name_len > 0) { /* an empty name ("a;;b") adds nothing */
            for (size_t k = 0; k < name_len; k++)
                wg_buf_append_char(out, (char)lower((unsigned char)name[k]));
            wg_buf_append_char(out, ':');
            int first = 1;
            for (size_t h = 0; h < num_headers; h++) {
                const wg_header_t *hd = &headers[h];
                if (hd->name_len != name_len)
                    continue;
                size_t k = 0;
                while (k < name_len && lower((unsigned char)hd->name[k]) == lower((unsigned char)name[k]))
                    k++;
                if (k != name_len)
                    continue;
                if (!first)
                    wg_buf_append_char(out, ',');
                first = 0;
                canonical_value(out, hd->value, hd->value_len);
            }
            wg_buf_append_char(out, '\n');
        }
        i = j + 1;
    }
}

void wg_sigv4_build_canonical(wg_buf_t *out, const char *method, size_t method_len, const char *path, size_t path_len,
                              const char *query, size_t query_len, const wg_header_t *headers, size_t num_headers,
                              const char *signed_list, size_t signed_len, const char *payload_hash,
                              size_t payload_hash_len, int path_mode, int exclude_signature)
{
    wg_buf_append(out, method, method_len);
    wg_buf_append_char(out, '\n');
    canonical_uri(out, path, path_len, path_mode);
    wg_buf_append_char(out, '\n');
    canonical_query(out, query, query_len, exclude_signature);
    wg_buf_append_char(out, '\n');
    canonical_headers(out, headers, num_headers, signed_list, signed_len);
    wg_buf_append_char(out, '\n');
    wg_buf_append(out, signed_list, signed_len);
    wg_buf_append_char(out, '\n');
    wg_buf_append(out, payload_hash, payload_hash_len);
}

char *wg_sigv4_canonical_request(const wg_sigv4_request_t *req, const char *signed_headers,
                                 const char *payload_hash_hex, int double_encode_path)
{
    if (req == NULL || signed_headers == NULL || payload_hash_hex == NULL || (req->method == NULL && req->method_len) ||
        (req->path == NULL && req->path_len) || (req->query == NULL && req->query_len) ||
        (req->headers == NULL && req->num_headers))
        return NULL;
    wg_buf_t out = {0};
    wg_sigv4_build_canonical(&out, req->method, req->method_len, req->path, req->path_len, req->query, req->query_len,
                             req->headers, req->num_headers, signed_headers, strlen(signed_headers), payload_hash_hex,
                             strlen(payload_hash_hex), double_encode_path, 0);
    return wg_buf_take(&out, NULL);
}

char *wg_sigv4_string_to_sign(const char *amz_date, const char *scope, const char *canonical_request)
{
    if (amz_date == NULL || scope == NULL || canonical_request == NULL)
        return NULL;
    char hash[65];
    wg_sigv4_sha256_hex(canonical_request, strlen(canonical_request), hash);
    wg_buf_t out = {0};
    wg_buf_append_str(&out, ALGORITHM "\n");
    wg_buf_append_str(&out, amz_date);
    wg_buf_append_char(&out, '\n');
    wg_buf_append_str(&out, scope);
    wg_buf_append_char(&out, '\n');
    wg_buf_append_str(&out, hash);
    return wg_buf_take(&out, NULL);
}
