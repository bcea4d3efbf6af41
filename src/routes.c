/* routes.c: route selection expressions (spec 5). Skeleton: full implementation follows. */
#include "routes.h"

#include <stdlib.h>
#include <string.h>

struct wg_route_selector {
    char *expression;
};

wg_route_selector_t *wg_route_selector_parse(const char *expression, char *err, size_t err_size)
{
    if (expression == NULL) {
        if (err != NULL && err_size > 0)
            err[0] = '\0';
        return NULL;
    }
    wg_route_selector_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        abort();
    s->expression = strdup(expression);
    return s;
}

void wg_route_selector_free(wg_route_selector_t *selector)
{
    if (selector == NULL)
        return;
    free(selector->expression);
    free(selector);
}

char *wg_route_selector_eval(const wg_route_selector_t *selector, const char *body, size_t body_len)
{
    (void)selector;
    (void)body;
    (void)body_len;
    return NULL;
}
