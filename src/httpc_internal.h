/*
 * httpc_internal.h: what httpc.c shares with its two transports.
 *
 * httpc_loop.c calls plain-HTTP backends named by an IP address with h2o's sockets on the
 * loop thread; httpc_curl.c runs libcurl on a worker thread for everything else (https, host names,
 * proxies). Both call the request's on_done on the loop thread, exactly once, and free the request.
 */
#ifndef WG_HTTPC_INTERNAL_H
#define WG_HTTPC_INTERNAL_H

#include <stdlib.h>
#include <string.h>

#include "httpc.h"

/** Frees what a request owns (url, body, header lines). */
static inline void wg_httpc_request_dispose(wg_httpc_request_t *req)
{
    free(req->url);
    free(req->body);
    for (size_t i = 0; i < req->num_headers; i++)
        free(req->headers[i]);
    memset(req, 0, sizeof(*req));
}

typedef struct wg_httpc_curl wg_httpc_curl_t;
wg_httpc_curl_t *wg_httpc_curl_new(h2o_multithread_queue_t *queue);
/** Stops the worker after its calls in flight complete. */
void wg_httpc_curl_free(wg_httpc_curl_t *curl);
void wg_httpc_curl_submit(wg_httpc_curl_t *curl, wg_httpc_request_t *req);
size_t wg_httpc_curl_in_flight(const wg_httpc_curl_t *curl);

typedef struct wg_httpc_loop wg_httpc_loop_t;
wg_httpc_loop_t *wg_httpc_loop_new(h2o_loop_t *loop);
/** Calls in flight complete first, with a transport error. */
void wg_httpc_loop_free(wg_httpc_loop_t *client);
/** Takes `req` and returns 0 when this transport can make the call (http://, an IP address, a URL
 * without anything h2o's parser would pass through unchecked); else -1 and `req` is untouched. */
int wg_httpc_loop_submit(wg_httpc_loop_t *client, wg_httpc_request_t *req);
size_t wg_httpc_loop_in_flight(const wg_httpc_loop_t *client);

#endif
