/*
 * integration_result.h: what an integration answers (wg_integration_result_t), as conns, the
 * authorizer and the inspector read it. Types only: the inspector records answers without depending
 * on the integrations that produce them (which call the inspector's hooks), so the include graph
 * stays acyclic (scripts/check-includes.sh). The integrations themselves are integration.h's.
 */
#ifndef WG_INTEGRATION_RESULT_H
#define WG_INTEGRATION_RESULT_H

#include <stddef.h>

struct json_t;

typedef enum wg_outcome {
    WG_OUTCOME_OK, /* the backend answered (status says how) */
    WG_OUTCOME_ERROR, /* unreachable, reset, garbage, function error: 502 / Internal server error */
    WG_OUTCOME_TIMEOUT, /* no answer within the integration timeout: 504 / Endpoint request timed out */
    WG_OUTCOME_THROTTLED, /* not called: over the waiting caps (budget.h): 429 / Too Many Requests */
} wg_outcome_t;

typedef struct wg_integration_result {
    wg_outcome_t outcome;
    int status; /* effective status: proxy statusCode, else the HTTP status */
    int is_proxy_result;
    const char *body; /* what a two-way route sends back; NULL = nothing */
    size_t body_len;
    const char *subprotocol; /* Sec-WebSocket-Protocol from the answer's headers, or NULL */
    size_t subprotocol_len;
    const struct json_t *response_headers; /* the proxy result's "headers" object (borrowed), or NULL:
                                            * on $connect they go on the 101 (AWS-INT-10) */
    int http_status; /* raw transport facts, for logs and --record */
    const char *raw_body;
    size_t raw_body_len;
    const char *error; /* why, for ERROR and TIMEOUT */
} wg_integration_result_t;

#endif
