/*
 * runtime_api.h: the Lambda Runtime API (version 2018-06-01) that runtime processes talk to.
 *
 *   GET  /2018-06-01/runtime/invocation/next              held open until an event is assigned
 *   POST /2018-06-01/runtime/invocation/{id}/response     the result
 *   POST /2018-06-01/runtime/invocation/{id}/error        a function error
 *   POST /2018-06-01/runtime/init/error                   an initialization error
 *
 * Served by h2o on the gateway's event loop, with its own settings (bodies up to the 6 MB
 * response limit and more, so that an oversized response gets Lambda's answer rather than h2o's).
 * Every runtime process gets its own loopback endpoint (port), as every Lambda execution
 * environment has its own Runtime API: the port a request arrives on says which process sent it,
 * so a process can only ever answer its own invocation. This module parses paths and writes
 * answers; functions.c decides.
 */
#ifndef WG_RUNTIME_API_H
#define WG_RUNTIME_API_H

#include <stddef.h>
#include <stdint.h>

#define H2O_USE_LIBUV 0
#include <h2o.h>

typedef struct wg_runtime_api wg_runtime_api_t;
typedef struct wg_runtime_endpoint wg_runtime_endpoint_t;

typedef struct wg_runtime_api_callbacks {
    /** GET next: the request is held; answer it later with wg_runtime_api_send_event. */
    void (*on_next)(void *owner, h2o_req_t *req);
    /** POST .../{id}/response or .../{id}/error (`is_error`); the body is req->entity. */
    void (*on_result)(void *owner, h2o_req_t *req, const char *request_id, size_t request_id_len, int is_error);
    /** POST /runtime/init/error. */
    void (*on_init_error)(void *owner, h2o_req_t *req);
} wg_runtime_api_callbacks_t;

/** What a Runtime API path addresses. */
typedef enum wg_runtime_api_path {
    WG_RUNTIME_API_UNKNOWN, /* 404 */
    WG_RUNTIME_API_NEXT, /* /2018-06-01/runtime/invocation/next */
    WG_RUNTIME_API_RESPONSE, /* /2018-06-01/runtime/invocation/{id}/response */
    WG_RUNTIME_API_ERROR, /* /2018-06-01/runtime/invocation/{id}/error */
    WG_RUNTIME_API_INIT_ERROR, /* /2018-06-01/runtime/init/error */
} wg_runtime_api_path_t;

/** Parses a request path (without its query, as sent). For RESPONSE and ERROR, *id and *id_len get
 * the request id segment (borrowed from `path`; may be empty or anything a runtime sent). */
wg_runtime_api_path_t wg_runtime_api_parse_path(const char *path, size_t len, const char **id, size_t *id_len);

/** Sets up the Runtime API's h2o context on `loop`. */
wg_runtime_api_t *wg_runtime_api_new(h2o_evloop_t *loop, const wg_runtime_api_callbacks_t *cb);
void wg_runtime_api_free(wg_runtime_api_t *api);

/** Opens a loopback endpoint for one process (`owner` is passed to the callbacks). Returns NULL
 * with a reason in err; *port gets the bound port. */
wg_runtime_endpoint_t *wg_runtime_api_listen(wg_runtime_api_t *api, void *owner, int *port, char *err, size_t err_size);
/** Closes an endpoint; requests still arriving on connections accepted from it are answered 410. */
void wg_runtime_api_close(wg_runtime_endpoint_t *endpoint);

/** One event, as the Runtime API hands it to the runtime (headers per the Lambda docs). */
typedef struct wg_runtime_event {
    const char *request_id;
    uint64_t deadline_ms; /* Unix epoch milliseconds */
    const char *function_arn;
    const char *trace_id;
    const char *client_context; /* NULL: header not sent */
    const char *cognito_identity; /* NULL: header not sent */
    const char *payload;
    size_t payload_len;
} wg_runtime_event_t;

/** Answers a held GET next with an event. */
void wg_runtime_api_send_event(h2o_req_t *req, const wg_runtime_event_t *event);

/** Answers with `status` and a JSON body: {"status":"OK"} for 202, else Lambda's error document
 * {"errorMessage": message, "errorType": error_type}. */
void wg_runtime_api_send_status(h2o_req_t *req, int status, const char *error_type, const char *message);

/** The Lambda-Runtime-Function-Error-Type header of a request, or NULL (length in *len). */
const char *wg_runtime_api_error_type(h2o_req_t *req, size_t *len);

#endif
