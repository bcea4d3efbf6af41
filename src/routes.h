/*
 * routes.h: route selection (AWS-RT-1..9). A route selection expression such as `$request.body.action`,
 * `$request.body.meta.type` or a template `${request.body.service}/${request.body.action}` is parsed
 * once, then evaluated against each message body to give the route key.
 */
#ifndef WG_ROUTES_H
#define WG_ROUTES_H

#include <stddef.h>

#include "limits.h" /* its caps: WG_LIMIT_ROUTE_* */

typedef struct wg_route_selector wg_route_selector_t;

/**
 * Parses an expression. Returns a new selector, or NULL with a one-line reason in `err` when the
 * expression is not one AWS accepts.
 */
wg_route_selector_t *wg_route_selector_parse(const char *expression, char *err, size_t err_size);
void wg_route_selector_free(wg_route_selector_t *selector);

/**
 * Evaluates the selector against a message body. Returns a new malloc'd route key, or NULL when the
 * body is not JSON or a referenced field is missing (the caller then uses $default). Values that are
 * not strings are stringified as AWS does (numbers and booleans as written, arrays as
 * "[item1, item2]").
 */
char *wg_route_selector_eval(const wg_route_selector_t *selector, const char *body, size_t body_len);

#endif
