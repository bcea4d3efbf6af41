/*
 * integration.c: dispatch to the integration types, and API Gateway's reading of backend answers
 * (see integration.h).
 *
 * Reading of an answer (spec 3, 4; choices marked where AWS's behaviour is not documented):
 * - A JSON object with an integer "statusCode" is a Lambda proxy result: its statusCode decides
 *   $connect, its "body" (a string) is what a two-way route returns, its "headers" (e.g.
 *   Sec-WebSocket-Protocol) go on the 101. A "body" or "headers" of the wrong type is a malformed
 *   proxy result, treated as a function error (502 / Internal server error), as REST APIs do.
 * - Anything else: the HTTP status decides and the raw body is what a two-way route returns. An
 *   HTTP 5xx without a proxy result is the HTTP analogue of a Lambda function error (our choice).
 */
#include "integration.h"

#include "httpc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void wg_integration_interpret(int http_status, const char *body, size_t body_len, wg_integration_result_t *result,
                              json_t **json_out)
{
    memset(result, 0, sizeof(*result));
    *json_out = NULL;
    result->outcome = WG_OUTCOME_OK;
    result->http_status = http_status;
    result->raw_body = body;
    result->raw_body_len = body_len;
    result->status = http_status;

    json_t *doc = body_len > 0 ? json_loadb(body, body_len, 0, NULL) : NULL;
    json_t *status = json_is_object(doc) ? json_object_get(doc, "statusCode") : NULL;
    if (json_is_integer(status)) {
        *json_out = doc;
        result->is_proxy_result = 1;
        json_int_t code = json_integer_value(status);
        result->status = (code >= 100 && code <= 599) ? (int)code : 502;
        json_t *b = json_object_get(doc, "body");
        json_t *h = json_object_get(doc, "headers");
        if ((b != NULL && !json_is_string(b) && !json_is_null(b)) || (h != NULL && !json_is_object(h) && !json_is_null(h)) ||
            !(code >= 100 && code <= 599)) {
            result->outcome = WG_OUTCOME_ERROR;
            result->error = "malformed Lambda proxy response";
            return;
        }
        if (json_is_string(b)) {
            result->body = json_string_value(b);
            result->body_len = json_string_length(b);
        }
        const char *name;
        json_t *v;
        if (json_is_object(h)) {
            result->response_headers = h;
            json_object_foreach(h, name, v) {
                if (strcasecmp(name, "Sec-WebSocket-Protocol") == 0 && json_is_string(v)) {
                    result->subprotocol = json_string_value(v);
                    result->subprotocol_len = json_string_length(v);
                }
            }
        }
        json_t *mvh = json_object_get(doc, "multiValueHeaders");
        if (result->subprotocol == NULL && json_is_object(mvh)) {
            json_object_foreach(mvh, name, v) {
                if (strcasecmp(name, "Sec-WebSocket-Protocol") == 0 && json_is_array(v) && json_is_string(json_array_get(v, 0))) {
                    result->subprotocol = json_string_value(json_array_get(v, 0));
                    result->subprotocol_len = json_string_length(json_array_get(v, 0));
                }
            }
        }
        return;
    }
    json_decref(doc);
    if (http_status >= 500) {
        result->outcome = WG_OUTCOME_ERROR;
        result->error = "backend answered with a server error";
        return;
    }
    if (body_len > 0) {
        result->body = body;
        result->body_len = body_len;
    }
}

int wg_integration_transport_failure(const wg_httpc_response_t *res, wg_integration_result_t *result)
{
    if (!res->is_timeout && !res->is_transport_error)
        return 0;
    memset(result, 0, sizeof(*result));
    result->outcome = res->is_timeout ? WG_OUTCOME_TIMEOUT : WG_OUTCOME_ERROR;
    result->error = res->error;
    return 1;
}

void wg_integration_invoke(wg_server_t *server, wg_integration_call_t *call, wg_integration_done_cb done, void *data)
{
    if (call->timeout_ms == 0)
        call->timeout_ms = call->route->timeout_ms ? call->route->timeout_ms : server->config->integration_timeout_ms;
    switch (call->route->type) {
    case WG_INTEGRATION_HTTP:
        wg_integration_http_invoke(server, call, done, data);
        return;
    case WG_INTEGRATION_DEMO:
        wg_integration_demo_invoke(server, call, done, data);
        return;
    case WG_INTEGRATION_LAMBDA:
        wg_integration_lambda_invoke(server, call, done, data);
        return;
    case WG_INTEGRATION_HTTP_PROXY:
        wg_integration_http_proxy_invoke(server, call, done, data);
        return;
    case WG_INTEGRATION_MOCK:
        wg_integration_mock_invoke(server, call, done, data);
        return;
    case WG_INTEGRATION_FUNCTION:
        wg_integration_function_invoke(server, call, done, data);
        return;
    }
    abort();
}

typedef struct deferred_completion {
    h2o_timeout_entry_t entry;
    wg_integration_result_t result;
    wg_integration_done_cb done;
    void *data;
} deferred_completion_t;

static void on_deferred_completion(h2o_timeout_entry_t *entry)
{
    deferred_completion_t *d = H2O_STRUCT_FROM_MEMBER(deferred_completion_t, entry, entry);
    d->done(d->data, &d->result);
    free(d);
}

void wg_integration_complete_later(wg_server_t *server, const wg_integration_result_t *result, wg_integration_done_cb done,
                                   void *data)
{
    deferred_completion_t *d = calloc(1, sizeof(*d));
    if (d == NULL)
        abort();
    d->result = *result;
    d->done = done;
    d->data = data;
    d->entry.cb = on_deferred_completion;
    h2o_timeout_link(server->loop, &server->ctx.zero_timeout, &d->entry);
}
