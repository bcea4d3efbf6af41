/*
 * fuzz_urlcodec.c: libFuzzer target for percent-decoding, -encoding and query parsing
 * (src/urlcodec.c), which see handshake URLs, management-API paths and SigV4's canonical request
 * straight from the network. The whole input is decoded (both '+' modes), encoded (both '/' modes:
 * only unreserved bytes and escapes come out, and decoding gives the input back) and parsed as a
 * raw query; results are checked for consistency.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "urlcodec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *input = (const char *)data;
    char *out = malloc(size + 1);
    if (out == NULL)
        return 0;
    for (int plus_is_space = 0; plus_is_space <= 1; plus_is_space++) {
        size_t out_len = 0;
        int rc = wg_urlcodec_decode(input, size, out, &out_len, plus_is_space);
        if (out_len > size || out[out_len] != '\0')
            abort();
        /* -1 exactly when the decoded bytes hold a NUL. */
        if ((rc != 0) != (memchr(out, '\0', out_len) != NULL))
            abort();
    }
    free(out);

    for (int keep_slash = 0; keep_slash <= 1; keep_slash++) {
        wg_buf_t enc = WG_BUF_INIT, dec = WG_BUF_INIT;
        wg_urlcodec_encode(&enc, input, size, keep_slash);
        for (size_t i = 0; i < enc.len; i++) {
            char c = enc.data[i];
            int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                     c == '.' || c == '_' || c == '~' || c == '%' || (keep_slash && c == '/');
            if (!ok || (c == '%' && (i + 2 >= enc.len || enc.data[i + 1] == '\0')))
                abort();
        }
        wg_urlcodec_decode_append(&dec, enc.data, enc.len, 0);
        if (dec.len != size || (size > 0 && memcmp(dec.data, input, size) != 0))
            abort();
        wg_buf_free(&enc);
        wg_buf_free(&dec);
    }

    wg_query_t query;
    if (wg_urlcodec_query_parse(input, size, &query) != 0)
        abort();
    if (query.count > size)
        abort();
    for (size_t i = 0; i < query.count; i++) {
        if (query.params[i].name == NULL || query.params[i].value == NULL)
            abort();
        if (strlen(query.params[i].name) + strlen(query.params[i].value) > size)
            abort();
    }
    wg_urlcodec_query_free(&query);
    return 0;
}
