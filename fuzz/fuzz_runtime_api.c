/*
 * fuzz_runtime_api.c: libFuzzer target for the Lambda Runtime API's path parser (src/runtime_api.c),
 * which sees whatever a function's runtime process sends. The request id it returns must lie inside
 * the input, and only RESPONSE/ERROR paths carry one.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "runtime_api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *input = (const char *)data;
    const char *id = NULL;
    size_t id_len = 0;
    wg_runtime_api_path_t kind = wg_runtime_api_parse_path(input, size, &id, &id_len);
    int has_id = kind == WG_RUNTIME_API_RESPONSE || kind == WG_RUNTIME_API_ERROR;
    if (has_id != (id != NULL))
        abort();
    if (id != NULL && (id < input || id + id_len > input + size))
        abort();
    return 0;
}
