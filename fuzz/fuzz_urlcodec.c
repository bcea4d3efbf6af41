/*
 * fuzz_urlcodec.c: libFuzzer target for percent-decoding and query parsing (src/urlcodec.c),
 * which see handshake URLs and management-API paths straight from the network. The whole input
 * is decoded (both '+' modes) and parsed as a raw query; results are checked for consistency.
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
