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
#include "server.h"

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

/* ---- Lambda Invoke API (integration_lambda.c; also used by the authorizer) ------------------ */

/** The access key the Invoke calls are signed with when no credential is configured. */
#define WG_LAMBDA_DUMMY_ACCESS_KEY "AKIDWSGATELOCAL00000"
#define WG_LAMBDA_DUMMY_SECRET_KEY "wsgate-local-secret"

/**
 * Fills `req` (zeroed by the caller) for `POST {endpoint}/2015-03-31/functions/{function}/invocations`
 * with `payload` (taken) as the body, SigV4-signed for service "lambda" in the configured region
 * with the first configured credential (or the dummy key above). `req->on_done`/`data` are left
 * to the caller. Returns 0, or -1 when `endpoint` is not an http(s) URL (payload freed).
 */
int wg_lambda_prepare(const wg_config_t *cfg, const char *endpoint, const char *function, char *payload,
                      size_t payload_len, uint32_t timeout_ms, uint64_t now_ms, wg_httpc_request_t *req);

/**
 * Whether an Invoke API answer is a function error: the X-Amz-Function-Error header (Lambda,
 * aws-lambda-rie) or, for emulators that omit it, a body that is a JSON object with string
 * "errorMessage" and "errorType" and no "statusCode". Non-2xx answers of the Invoke API itself
 * (404 no such function, 5xx) are errors as well. Returns 1 or 0.
 */
int wg_lambda_is_function_error(int http_status, const char *function_error_header, const char *body, size_t body_len);

/* ---- request parameters (integration_http_proxy.c) ------------------------------------------ */

/**
 * The value of context variable `name` (as in "context.<name>": connectionId, identity.sourceIp,
 * authorizer.principalId, ...) for this event, as a new malloc'd string, or NULL when the event
 * does not have it (messageId outside MESSAGE events, an authorizer key not returned...).
 */
char *wg_integration_context_value(const wg_event_context_t *ctx, const char *name);

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
size_t wg_integration_map_parameters(const wg_config_t *cfg, const wg_integration_call_t *call,
                                     wg_mapped_parameter_t *out);

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

#endif
