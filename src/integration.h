/*
 * integration.h: one interface in front of every integration type (AWS-INT).
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
#include "httpc.h"
#include "integration_result.h"
#include "server_state.h"

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
    const char *message; /* MESSAGE: the raw text frame; NULL otherwise */
    size_t message_len;
    const wg_header_t *headers; /* CONNECT: the client's handshake headers; NULL otherwise */
    size_t num_headers;
    int has_query; /* CONNECT: the handshake query */
    const char *raw_query;
    size_t raw_query_len;
} wg_integration_call_t;

/**
 * Invokes the route's integration; `done` runs later on the loop thread exactly once. Every
 * integration type that calls out (all but DEMO and MOCK) goes through its target's budget
 * (budget.h): the call starts now when the target has a free slot, else waits (a deep copy of
 * `call`) with the deadline it got now; over the waiting caps it completes with
 * WG_OUTCOME_THROTTLED. A "$disconnect" route's call is a priority call.
 */
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
void wg_integration_lambda_invoke(wg_server_t *server, wg_integration_call_t *call, wg_integration_done_cb done,
                                  void *data);
void wg_integration_http_proxy_invoke(wg_server_t *server, wg_integration_call_t *call, wg_integration_done_cb done,
                                      void *data);
void wg_integration_mock_invoke(wg_server_t *server, wg_integration_call_t *call, wg_integration_done_cb done,
                                void *data);
void wg_integration_function_invoke(wg_server_t *server, wg_integration_call_t *call, wg_integration_done_cb done,
                                    void *data);

/** When the HTTP call itself failed (timeout, no connection, reset, garbage, body over the cap),
 * fills `result` with WG_OUTCOME_TIMEOUT or WG_OUTCOME_ERROR and returns 1; otherwise 0 (the
 * backend answered and `result` is untouched). Shared by every HTTP-based integration. */
struct wg_httpc_response;
int wg_integration_transport_failure(const struct wg_httpc_response *res, wg_integration_result_t *result);

/**
 * Submits an HTTP call that is not a route's integration (the authorizer, the demo's echo) through
 * the budget of target `key` (e.g. "authorizer"): like wg_httpc_submit, but it waits for a slot
 * with its deadline running, and over the waiting caps it completes (later) as a transport error
 * "throttled". Takes everything `req` owns.
 */
void wg_integration_submit_http(wg_server_t *server, const char *key, wg_httpc_request_t *req);

/** Completes a call on the next loop turn with `result` (copied shallowly; strings must stay valid
 * until then, so pass static strings). */
void wg_integration_complete_later(wg_server_t *server, const wg_integration_result_t *result,
                                   wg_integration_done_cb done, void *data);
/** Completes a call on the next loop turn with only an outcome and its `error` (a static string). */
void wg_integration_fail_later(wg_server_t *server, wg_outcome_t outcome, const char *error,
                               wg_integration_done_cb done, void *data);

#endif
