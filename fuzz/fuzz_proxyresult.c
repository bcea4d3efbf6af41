/*
 * fuzz_proxyresult.c: libFuzzer target for the Lambda proxy-result interpreter of
 * src/integration.c (wg_integration_interpret): what a backend or a function answers is
 * untrusted. Read-only use: the target only calls the interpreter.
 *
 * Input: bytes 0-1 (big-endian, mod 700) are the HTTP status, the rest the answer's body.
 * Properties (abort when one breaks): the outcome is OK or ERROR; the effective status is in
 * 100..599 (or the HTTP status itself for a non-proxy answer); a proxy result holds its parsed
 * document in json_out, a non-proxy answer none; body/subprotocol pointers are NUL-terminated
 * strings of the stated length (jansson's) or, for a non-proxy answer, the raw body; raw facts are
 * kept as given.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "integration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int http_status = ((data[0] << 8) | data[1]) % 700;
    const char *body = (const char *)data + 2;
    size_t body_len = size - 2;

    wg_integration_result_t result;
    json_t *doc = NULL;
    wg_integration_interpret(http_status, body, body_len, &result, &doc);

    if (result.outcome != WG_OUTCOME_OK && result.outcome != WG_OUTCOME_ERROR)
        abort();
    if (result.http_status != http_status || result.raw_body != body || result.raw_body_len != body_len)
        abort();
    if (result.outcome == WG_OUTCOME_ERROR && result.error == NULL)
        abort();
    if (result.is_proxy_result) {
        if (doc == NULL || !json_is_object(doc))
            abort();
        if (result.outcome == WG_OUTCOME_OK && (result.status < 100 || result.status > 599))
            abort();
        if (result.body != NULL && strnlen(result.body, result.body_len + 1) > result.body_len)
            abort();
    } else {
        if (doc != NULL || result.status != http_status)
            abort();
        if (result.body != NULL && (result.body < body || result.body + result.body_len > body + body_len))
            abort();
    }
    if (result.subprotocol != NULL && strnlen(result.subprotocol, result.subprotocol_len + 1) > result.subprotocol_len)
        abort();
    if (result.body != NULL && result.body_len > 0) {
        volatile char sink = result.body[result.body_len - 1]; /* ASan: the whole body is readable */
        (void)sink;
    }
    json_decref(doc);
    return 0;
}
