/*
 * integration_http.c: the Lambda proxy event POSTed as JSON to an HTTP URL (AWS_PROXY semantics
 * over HTTP), so any web framework can stand in for a Lambda handler. Keep-alive connections are
 * reused by httpc's pool.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "httpc.h"
#include "integration.h"
#include "log.h"

typedef struct http_call {
    wg_integration_done_cb done;
    void *data;
} http_call_t;

static void on_http_done(void *data, const wg_httpc_response_t *res)
{
    http_call_t *call = data;
    wg_integration_result_t result;
    json_t *doc = NULL;
    if (!wg_integration_transport_failure(res, &result))
        wg_integration_interpret(res->status, res->body, res->body_len, &result, &doc);
    call->done(call->data, &result);
    json_decref(doc);
    free(call);
}

void wg_integration_http_invoke(wg_server_t *server, wg_integration_call_t *call, wg_integration_done_cb done,
                                void *data)
{
    http_call_t *hc = malloc(sizeof(*hc));
    if (hc == NULL)
        abort();
    hc->done = done;
    hc->data = data;
    wg_httpc_request_t req;
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.url = strdup(call->route->uri);
    if (req.url == NULL)
        abort();
    req.body = call->event_json;
    req.body_len = call->event_len;
    call->event_json = NULL;
    req.timeout_ms = call->timeout_ms;
    wg_httpc_add_header(&req, "Content-Type", H2O_STRLIT("application/json"));
    req.on_done = on_http_done;
    req.data = hc;
    wg_httpc_submit(server->httpc, &req);
}
