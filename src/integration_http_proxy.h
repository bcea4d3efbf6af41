/*
 * integration_http_proxy.h: API Gateway's request-parameter mapping (integration_http_proxy.c):
 * context variables ("context.connectionId", "context.identity.sourceIp", ...) and a route's
 * requestParameters resolved for one call, as HTTP_PROXY integrations send them; the authorizer
 * reads context variables the same way. The integration's entry point,
 * wg_integration_http_proxy_invoke, is integration.h's like every integration type's.
 */
#ifndef WG_INTEGRATION_HTTP_PROXY_H
#define WG_INTEGRATION_HTTP_PROXY_H

#include <stddef.h>

#include "config.h"
#include "events.h"
#include "integration.h"

/**
 * The value of context variable `name` (as in "context.<name>": connectionId, identity.sourceIp,
 * authorizer.principalId, ...) for this event, as a new malloc'd string, or NULL when the event
 * does not have it (messageId outside MESSAGE events, an authorizer key not returned...).
 */
char *wg_integration_http_proxy_context_value(const wg_event_context_t *ctx, const char *name);

/** One resolved request parameter: the backend header or query parameter and its value. */
typedef struct wg_mapped_parameter {
    int is_header;
    const char *name; /* borrowed from the route config */
    char *value; /* malloc'd */
} wg_mapped_parameter_t;

/**
 * Resolves the route's requestParameters for `call` into `out` (room for route->num_params).
 * Sources without a value here (a header the client did not send, a missing body field, an
 * undefined stage variable) are left out, as API Gateway leaves out unresolvable mappings [I].
 * Returns how many were filled; free each value.
 */
size_t wg_integration_http_proxy_map_parameters(const wg_config_t *cfg, const wg_integration_call_t *call,
                                                wg_mapped_parameter_t *out);

#endif
