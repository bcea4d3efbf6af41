/*
 * fuzz_routes.c: libFuzzer target for route selection (src/routes.c). The input is split at the
 * first '\n': the part before is the route selection expression (a config value), the rest the
 * message body (untrusted, from any client). Without a newline the whole input is the body,
 * evaluated with `$request.body.action`.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *input = (const char *)data;
    const char *newline = memchr(input, '\n', size);
    char *expression;
    const char *body;
    size_t body_len;
    if (newline != NULL) {
        size_t expr_len = (size_t)(newline - input);
        expression = malloc(expr_len + 1);
        if (expression == NULL)
            return 0;
        memcpy(expression, input, expr_len);
        expression[expr_len] = '\0'; /* an embedded NUL just shortens the expression */
        body = newline + 1;
        body_len = size - expr_len - 1;
    } else {
        expression = strdup("$request.body.action");
        if (expression == NULL)
            return 0;
        body = input;
        body_len = size;
    }

    char err[128];
    wg_route_selector_t *selector = wg_route_selector_parse(expression, err, sizeof(err));
    if (selector == NULL) {
        /* The error must be one NUL-terminated line. */
        if (memchr(err, '\0', sizeof(err)) == NULL || strchr(err, '\n') != NULL || err[0] == '\0')
            abort();
    } else {
        char *key = wg_route_selector_eval(selector, body, body_len);
        if (key != NULL && strlen(key) >= WG_LIMIT_ROUTE_KEY_BYTES)
            abort();
        free(key);
        wg_route_selector_free(selector);
    }
    free(expression);
    return 0;
}
