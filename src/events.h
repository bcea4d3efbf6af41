/*
 * events.h: the Lambda proxy event JSON that API Gateway sends for $connect, messages and
 * $disconnect, and the error frames it sends to clients (AWS-EV, AWS-HDR, AWS-QS, AWS-FRM in
 * docs/aws-behaviour.md).
 *
 * Events are compact JSON with AWS's key order (AWS-EV-2..4, AWS-EV-8..10): hard-coded per event type,
 * with `authorizer` after `disconnectStatusCode` if present (AWS-EV-11), else after `routeKey`
 * (inferred: AWS-EV-12). Pure functions: no
 * clock, no random; callers pass IDs and times, so tests compare output byte for byte.
 */
#ifndef WG_EVENTS_H
#define WG_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "errors.h" /* the WG_FRAME_* texts that wg_event_error_frame sends */
#include "headers.h"

/** What every event's requestContext carries. All strings NUL-terminated and borrowed. */
typedef struct wg_event_context {
    const char *route_key; /* "$connect", "$disconnect", "$default" or a custom key */
    const char *connection_id; /* 16-char ID */
    const char *request_id; /* also used as extendedRequestId */
    const char *message_id; /* MESSAGE only; ignored for other types */
    const char *stage;
    const char *domain_name; /* the Host the client used */
    const char *api_id;
    uint64_t connected_at; /* epoch ms, fixed for the connection */
    uint64_t request_time_ms; /* epoch ms of this event: requestTime and requestTimeEpoch */
    const char *source_ip;
    const char *user_agent; /* NULL when the client sent none: then identity has sourceIp only */
    /* Compact JSON object text for requestContext.authorizer (principalId first, then context
     * keys as strings, AWS-AUTH-15), or NULL when the connection had no Lambda authorizer. */
    const char *authorizer_json;
    /* Compact JSON object text with extra identity members for an IAM-authorised connection
     * (accessKey, accountId, caller, user, userArn; AWS-AUTH-18), or NULL. Merged into `identity`
     * in the order documented in events.c. */
    const char *identity_json;
    int disconnect_status_code; /* DISCONNECT only */
    const char *disconnect_reason; /* DISCONNECT only; may be "" */
} wg_event_context_t;

/** The AWS-added headers on $connect (AWS-HDR-2, AWS-HDR-10). */
typedef struct wg_event_forwarding {
    const char *trace_id; /* full X-Amzn-Trace-Id value, "Root=1-..." */
    const char *forwarded_port; /* X-Forwarded-Port, "443" as on AWS */
    const char *forwarded_proto; /* X-Forwarded-Proto, "https" as on AWS */
} wg_event_forwarding_t;

/**
 * The CONNECT event. `headers` are the client's handshake headers as received (client spelling,
 * repeats kept, Host included); Connection and Upgrade are dropped, X-Amzn-Trace-Id,
 * X-Forwarded-For (client IP, appended after any value the client sent), X-Forwarded-Port and
 * X-Forwarded-Proto added, all sorted case-insensitively (AWS-HDR-1..5); multiValueHeaders mirrors
 * them with repeats kept, `headers` holding the last value. `raw_query` is the URL part after '?'
 * (NULL or has_query 0 when the URL had no '?'): query maps are absent without a query (AWS-QS-1).
 * Returns a new malloc'd compact JSON string; *len_out gets its length.
 */
char *wg_event_connect(const wg_event_context_t *ctx, const wg_header_t *headers, size_t num_headers, int has_query,
                       const char *raw_query, size_t raw_query_len, const wg_event_forwarding_t *fwd, size_t *len_out);

/** The MESSAGE event for a text frame `body` (len bytes, UTF-8, passed unchanged). */
char *wg_event_message(const wg_event_context_t *ctx, const char *body, size_t body_len, size_t *len_out);

/** The DISCONNECT event: exactly AWS's four headers (Host, x-api-key, X-Forwarded-For, x-restapi),
 * AWS-HDR-11. `host` is the Host the client connected with. */
char *wg_event_disconnect(const wg_event_context_t *ctx, const char *host, size_t *len_out);

/**
 * The Lambda REQUEST authorizer's input event for a $connect (AWS-AUTH-3..7, capture
 * ws-authorizer-request-2025-01-us-east-1.json): `type` "REQUEST", `methodArn`, then `headers` and
 * `multiValueHeaders` built like the CONNECT event's but KEEPING Connection and Upgrade (an
 * "Upgrade: websocket" is added when the list has none, as h2o keeps that header apart) and with
 * a lower-case `content-length: "0"` added when absent; both query maps always present ({} when
 * empty); `stageVariables` from `stage_variables_json` (a JSON object text, NULL = {}); then the
 * CONNECT requestContext. No isBase64Encoded. Returns a new malloc'd compact JSON string.
 */
char *wg_event_authorizer(const wg_event_context_t *ctx, const char *method_arn, const wg_header_t *headers,
                          size_t num_headers, int has_query, const char *raw_query, size_t raw_query_len,
                          const char *stage_variables_json, const wg_event_forwarding_t *fwd, size_t *len_out);

/**
 * An error frame, byte for byte as AWS sends it (AWS-FRM-1..5):
 * {"message": "<message>", "connectionId":"<id>", "requestId":"<rid>"}
 * `message` is one of the WG_FRAME_* texts of errors.h.
 * Writes into `out` (at least 160 bytes) and returns the length.
 */
size_t wg_event_error_frame(const char *message, const char *connection_id, const char *request_id, char *out,
                            size_t out_size);

#endif
