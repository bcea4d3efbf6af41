/*
 * integration.h: one interface in front of every integration type (spec 3, 4).
 *
 * A route's event goes to its integration; the answer comes back as a wg_integration_result_t on the
 * loop thread, never inside the call that started it. integration.c dispatches on the route's type
 * and interprets answers the way API Gateway does: a JSON object with a numeric "statusCode" is a
 * Lambda proxy result (its statusCode, headers and body count); otherwise the HTTP status counts.
 */
#ifndef WG_INTEGRATION_H
#define WG_INTEGRATION_H

#include <stddef.h>

#include "config.h"
#include "events.h"
#include "headers.h"
#include "server.h"

typedef enum wg_outcome {
    WG_OUTCOME_OK,      /* the backend answered (status says how) */
    WG_OUTCOME_ERROR,   /* unreachable, reset, garbage, function error: 502 / Internal server error */
    WG_OUTCOME_TIMEOUT, /* no answer within the integration timeout: 504 / Endpoint request timed out */
} wg_outcome_t;

typedef struct wg_integration_result {
    wg_outcome_t outcome;
    int status;                /* effective status: proxy statusCode, else the HTTP status */
    int is_proxy_result;
    const char *body;          /* what a two-way route sends back; NULL = nothing */
    size_t body_len;
    const char *subprotocol;   /* Sec-WebSocket-Protocol from the answer's headers, or NULL */
    size_t subprotocol_len;
    int http_status;           /* raw transport facts, for logs and --record */
    const char *raw_body;
    size_t raw_body_len;
    const char *error;         /* why, for ERROR and TIMEOUT */
} wg_integration_result_t;

typedef void (*wg_integration_done_cb)(void *data, const wg_integration_result_t *result);

typedef struct wg_integration_call {
    const wg_route_config_t *route;
    char *event_json; /* taken: the Lambda proxy event */
    size_t event_len;
    char connection_id[WG_ID_LEN + 1];
    uint32_t timeout_ms;
    /* What non-proxy integrations (HTTP_PROXY request parameters, MOCK) read. All borrowed for the
     * duration of wg_integration_invoke only: copy what must outlive it. */
    const wg_event_context_t *context; /* this event's requestContext values */
    const char *message;               /* MESSAGE: the raw text frame; NULL otherwise */
    size_t message_len;
    const wg_header_t *headers;        /* CONNECT: the client's handshake headers; NULL otherwise */
    size_t num_headers;
    int has_query;                     /* CONNECT: the handshake query */
    const char *raw_query;
    size_t raw_query_len;
} wg_integration_call_t;

/** Invokes the route's integration; `done` runs later on the loop thread exactly once. */
void wg_integration_invoke(wg_server_t *server, wg_integration_call_t *call, wg_integration_done_cb done, void *data);

/**
 * Interprets a backend answer (HTTP status, body, headers) as API Gateway does; fills `result`
 * with pointers into `body` and into a parsed JSON document kept in *json_out (free it with
 * json_decref after use; may be NULL).
 */
struct json_t;
void wg_integration_interpret(int http_status, const char *body, size_t body_len, wg_integration_result_t *result,
                              struct json_t **json_out);

/* Implementations, one file each. */
void wg_integration_http_invoke(wg_server_t *server, wg_integration_call_t *call, wg_integration_done_cb done,
                                void *data);
void wg_integration_demo_invoke(wg_server_t *server, wg_integration_call_t *call, wg_integration_done_cb done,
                                void *data);

/** Completes a call on the next loop turn with `result` (copied shallowly; strings must stay valid
 * until then, so pass static strings). */
void wg_integration_complete_later(wg_server_t *server, const wg_integration_result_t *result,
                                   wg_integration_done_cb done, void *data);

#endif
