/*
 * httpc.h: outgoing HTTP calls (backend integrations, authorizers, the demo backend) that never
 * block the event loop.
 *
 * Plain-HTTP calls to an IP address run on the loop thread (h2o sockets and picohttpparser, keep-alive pools
 * per origin); the rest on a libcurl worker thread (httpc.c says which and why). Either way the
 * completion callback runs on the loop thread, exactly once, and the call's whole time is bounded
 * by its timeout. Callbacks must look connections up by id: the client may have gone.
 */
#ifndef WG_HTTPC_H
#define WG_HTTPC_H

#include <stddef.h>
#include <stdint.h>

#define H2O_USE_LIBUV 0
#include <h2o.h>

#include "limits.h"

typedef struct wg_httpc wg_httpc_t;

typedef struct wg_httpc_response {
    int is_transport_error; /* could not connect, reset, malformed reply, body over the cap */
    int is_timeout; /* no complete answer within the timeout */
    const char *error; /* the transport's text for a transport error or timeout, else NULL */
    int status; /* HTTP status, 0 on a transport error */
    const char *body; /* response body (not NUL-terminated); valid during the callback */
    size_t body_len;
    const char *headers; /* raw response header block, "Name: value\r\n" lines */
    size_t headers_len;
} wg_httpc_response_t;

typedef void (*wg_httpc_done_cb)(void *data, const wg_httpc_response_t *res);

typedef struct wg_httpc_request {
    const char *method; /* static string: "POST", "GET"... */
    char *url; /* taken */
    char *body; /* taken (may be NULL) */
    size_t body_len;
    char *headers[WG_LIMIT_HTTPC_HEADERS]; /* taken; "Name: value" lines */
    size_t num_headers;
    uint32_t timeout_ms;
    wg_httpc_done_cb on_done;
    void *data;
} wg_httpc_request_t;

/** The client of `loop`; the libcurl worker delivers its completions through `queue` (the h2o
 * context's). */
wg_httpc_t *wg_httpc_new(h2o_loop_t *loop, h2o_multithread_queue_t *queue);
/** Stops both transports; pending calls complete first (on the loop: with a transport error). */
void wg_httpc_free(wg_httpc_t *client);

/** Adds a header line to `req` (copied). Returns -1 when the request already has the maximum. */
int wg_httpc_add_header(wg_httpc_request_t *req, const char *name, const char *value, size_t value_len);

/** Submits `req`; takes everything it owns. The callback runs later on the loop thread. */
void wg_httpc_submit(wg_httpc_t *client, wg_httpc_request_t *req);

/** Calls submitted and not yet completed. */
size_t wg_httpc_in_flight(const wg_httpc_t *client);

/** Finds a response header (case-insensitive); returns its value (trimmed) and length, or NULL. */
const char *wg_httpc_response_header(const wg_httpc_response_t *res, const char *name, size_t *len);

#endif
