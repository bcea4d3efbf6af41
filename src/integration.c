/*
 * integration.c: dispatch to the integration types, and API Gateway's reading of backend answers
 * (see integration.h).
 *
 * Reading of an answer (AWS-INT-5, AWS-INT-8..14; choices marked where AWS's behaviour is not documented):
 * - A JSON object with an integer "statusCode" is a Lambda proxy result: its statusCode decides
 *   $connect, its "body" (a string) is what a two-way route returns, its "headers" (e.g.
 *   Sec-WebSocket-Protocol) go on the 101. A "body" or "headers" of the wrong type is a malformed
 *   proxy result, treated as a function error (502 / Internal server error), as REST APIs do.
 * - Anything else: the HTTP status decides and the raw body is what a two-way route returns. An
 *   HTTP 5xx without a proxy result is the HTTP analogue of a Lambda function error (our choice).
 */
#include "integration.h"

#include "budget.h"
#include "httpc.h"
#include "limits.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
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

    /* JSON_ALLOW_NUL: "\u0000" is valid JSON, and a body carrying it is sent on with its length. */
    json_t *doc = body_len > 0 ? json_loadb(body, body_len, JSON_ALLOW_NUL, NULL) : NULL;
    json_t *status = json_is_object(doc) ? json_object_get(doc, "statusCode") : NULL;
    if (json_is_integer(status)) {
        *json_out = doc;
        result->is_proxy_result = 1;
        json_int_t code = json_integer_value(status);
        result->status = (code >= 100 && code <= 599) ? (int)code : 502;
        json_t *b = json_object_get(doc, "body");
        json_t *h = json_object_get(doc, "headers");
        if ((b != NULL && !json_is_string(b) && !json_is_null(b)) ||
            (h != NULL && !json_is_object(h) && !json_is_null(h)) || !(code >= 100 && code <= 599)) {
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
                if (strcasecmp(name, "Sec-WebSocket-Protocol") == 0 && json_is_array(v) &&
                    json_is_string(json_array_get(v, 0))) {
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

/* Runs the call now (it holds its target's slot, or needs none). */
static void dispatch(wg_server_t *server, wg_integration_call_t *call, wg_integration_done_cb done, void *data)
{
    switch (call->route->type) {
    case WG_INTEGRATION_HTTP: wg_integration_http_invoke(server, call, done, data); return;
    case WG_INTEGRATION_DEMO: wg_integration_demo_invoke(server, call, done, data); return;
    case WG_INTEGRATION_LAMBDA: wg_integration_lambda_invoke(server, call, done, data); return;
    case WG_INTEGRATION_HTTP_PROXY: wg_integration_http_proxy_invoke(server, call, done, data); return;
    case WG_INTEGRATION_MOCK: wg_integration_mock_invoke(server, call, done, data); return;
    case WG_INTEGRATION_FUNCTION: wg_integration_function_invoke(server, call, done, data); return;
    }
    abort();
}

/* ---- budgets: one per integration target (budget.h) ------------------------------------------- */

static wg_budget_t *budget_of(wg_server_t *server)
{
    if (server->budget == NULL)
        server->budget = wg_budget_new(server->loop);
    return server->budget;
}

/* The target a call goes to: an HTTP origin (scheme, host, port: the backend's connection pool and
 * what a stuck server holds), else the type, endpoint and function (a Lambda function; a function
 * wsgate runs itself). */
static void target_key(const char *prefix, wg_integration_type_t type, const char *uri, const char *function, char *out,
                       size_t out_size)
{
    if ((type == WG_INTEGRATION_HTTP || type == WG_INTEGRATION_HTTP_PROXY) && uri != NULL) {
        CURLU *u = curl_url();
        char *scheme = NULL, *host = NULL, *port = NULL;
        if (u != NULL && curl_url_set(u, CURLUPART_URL, uri, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
            snprintf(out, out_size, "%s http %s://%s:%s", prefix, scheme, host, port);
        } else {
            snprintf(out, out_size, "%s http %s", prefix, uri);
        }
        curl_free(scheme);
        curl_free(host);
        curl_free(port);
        curl_url_cleanup(u);
        return;
    }
    snprintf(out, out_size, "%s %d %s %s", prefix, (int)type, uri ? uri : "", function ? function : "");
}

/* Routes come from the configuration and live as long as the server: their target is looked up
 * once (the budget remembers it by the route's address). */
static wg_budget_target_t *route_target(wg_server_t *server, const wg_route_config_t *route)
{
    wg_budget_t *budget = budget_of(server);
    wg_budget_target_t *target = wg_budget_target_of(budget, route);
    if (target != NULL)
        return target;
    char key[1024];
    target_key("route", route->type, route->uri, route->function, key, sizeof(key));
    target = wg_budget_target(budget, key);
    wg_budget_remember(budget, route, target);
    return target;
}

/* A call that goes through a budget: it gives its slot back when it completes. */
typedef struct gated_call {
    wg_server_t *server;
    wg_budget_slot_t slot;
    wg_integration_done_cb done;
    void *data;
    wg_integration_call_t *waiting; /* while it waits: its own copy of the call */
} gated_call_t;

static void on_gated_done(void *p, const wg_integration_result_t *result)
{
    gated_call_t *g = p;
    wg_budget_slot_t slot = g->slot;
    g->done(g->data, result);
    free(g);
    wg_budget_release(slot); /* may start the next waiting call of this target */
}

/* Room for a copy of `s` (n bytes, plus a NUL) in the arena at *p. */
static const char *arena_copy(char **p, const char *s, size_t n)
{
    if (s == NULL)
        return NULL;
    char *d = *p;
    memcpy(d, s, n);
    d[n] = '\0';
    *p += n + 1;
    return d;
}

#define STR_SIZE(s) ((s) != NULL ? strlen(s) + 1 : 0)

/* A call that must wait keeps its own copy of what wg_integration_call_t only borrows (context,
 * message, handshake headers, query): one allocation. The event is taken, not copied. */
static wg_integration_call_t *copy_call(wg_integration_call_t *call)
{
    const wg_event_context_t *c = call->context;
    size_t size = sizeof(wg_integration_call_t) + sizeof(wg_event_context_t) + call->num_headers * sizeof(wg_header_t);
    if (c != NULL)
        size += STR_SIZE(c->route_key) + STR_SIZE(c->connection_id) + STR_SIZE(c->request_id) +
                STR_SIZE(c->message_id) + STR_SIZE(c->stage) + STR_SIZE(c->domain_name) + STR_SIZE(c->api_id) +
                STR_SIZE(c->source_ip) + STR_SIZE(c->user_agent) + STR_SIZE(c->authorizer_json) +
                STR_SIZE(c->identity_json) + STR_SIZE(c->disconnect_reason);
    size += call->message != NULL ? call->message_len + 1 : 0;
    size += call->raw_query != NULL ? call->raw_query_len + 1 : 0;
    for (size_t i = 0; i < call->num_headers; i++)
        size += call->headers[i].name_len + 1 + call->headers[i].value_len + 1;
    char *block = malloc(size);
    if (block == NULL)
        abort();
    wg_integration_call_t *copy = (wg_integration_call_t *)block;
    *copy = *call;
    call->event_json = NULL; /* taken */
    wg_event_context_t *ctx = (wg_event_context_t *)(block + sizeof(*copy));
    wg_header_t *headers = (wg_header_t *)(block + sizeof(*copy) + sizeof(*ctx));
    char *p = (char *)(headers + call->num_headers);
#define COPY_STR(s) arena_copy(&p, (s), (s) != NULL ? strlen(s) : 0)
    if (c != NULL) {
        *ctx = *c;
        ctx->route_key = COPY_STR(c->route_key);
        ctx->connection_id = COPY_STR(c->connection_id);
        ctx->request_id = COPY_STR(c->request_id);
        ctx->message_id = COPY_STR(c->message_id);
        ctx->stage = COPY_STR(c->stage);
        ctx->domain_name = COPY_STR(c->domain_name);
        ctx->api_id = COPY_STR(c->api_id);
        ctx->source_ip = COPY_STR(c->source_ip);
        ctx->user_agent = COPY_STR(c->user_agent);
        ctx->authorizer_json = COPY_STR(c->authorizer_json);
        ctx->identity_json = COPY_STR(c->identity_json);
        ctx->disconnect_reason = COPY_STR(c->disconnect_reason);
        copy->context = ctx;
    }
#undef COPY_STR
    copy->message = arena_copy(&p, call->message, call->message_len);
    copy->raw_query = arena_copy(&p, call->raw_query, call->raw_query_len);
    for (size_t i = 0; i < call->num_headers; i++) {
        headers[i].name = arena_copy(&p, call->headers[i].name, call->headers[i].name_len);
        headers[i].name_len = call->headers[i].name_len;
        headers[i].value = arena_copy(&p, call->headers[i].value, call->headers[i].value_len);
        headers[i].value_len = call->headers[i].value_len;
    }
    copy->headers = call->num_headers > 0 ? headers : NULL;
    return copy;
}

static void on_waiting_start(void *p, wg_budget_slot_t slot, uint32_t remaining_ms)
{
    gated_call_t *g = p;
    wg_integration_call_t *call = g->waiting;
    g->waiting = NULL;
    g->slot = slot;
    call->timeout_ms = remaining_ms; /* the deadline runs from receipt, not from here */
    dispatch(g->server, call, on_gated_done, g);
    free(call->event_json); /* NULL when the integration took it */
    free(call);
}

static void on_waiting_drop(void *p, int is_timeout)
{
    gated_call_t *g = p;
    wg_integration_result_t result;
    memset(&result, 0, sizeof(result));
    result.outcome = is_timeout ? WG_OUTCOME_TIMEOUT : WG_OUTCOME_ERROR;
    result.error = is_timeout ? "timed out waiting for the backend (its other calls in flight)" : "shutting down";
    wg_integration_complete_later(g->server, &result, g->done, g->data);
    free(g->waiting->event_json);
    free(g->waiting);
    free(g);
}

void wg_integration_invoke(wg_server_t *server, wg_integration_call_t *call, wg_integration_done_cb done, void *data)
{
    if (call->timeout_ms == 0)
        call->timeout_ms = call->route->timeout_ms ? call->route->timeout_ms : server->config->integration_timeout_ms;
    if (call->route->type == WG_INTEGRATION_DEMO || call->route->type == WG_INTEGRATION_MOCK) {
        dispatch(server, call, done, data); /* answered here, at once: no backend to protect */
        return;
    }
    wg_budget_target_t *target = route_target(server, call->route);
    int is_priority = strcmp(call->route->key, "$disconnect") == 0;
    gated_call_t *g = malloc(sizeof(*g));
    if (g == NULL)
        abort();
    g->server = server;
    g->done = done;
    g->data = data;
    g->waiting = NULL;
    if (wg_budget_try_acquire(target, is_priority, &g->slot) == 0) {
        dispatch(server, call, on_gated_done, g);
        return;
    }
    if (server->is_shutting_down && !is_priority) {
        /* shutting down: what would wait now would only hold the $disconnect calls up */
        free(g);
        wg_integration_fail_later(server, WG_OUTCOME_ERROR, "shutting down", done, data);
        return;
    }
    size_t bytes = call->event_len + call->message_len;
    g->waiting = copy_call(call);
    if (wg_budget_wait(target, is_priority, call->timeout_ms, bytes, on_waiting_start, on_waiting_drop, g) == 0)
        return;
    /* over the waiting caps: answered as a throttled integration, the backend is not called */
    free(g->waiting->event_json);
    free(g->waiting);
    free(g);
    wg_integration_fail_later(server, WG_OUTCOME_THROTTLED, "too many calls waiting for backends", done, data);
}

/* ---- HTTP calls outside routes (authorizer, demo echo) ---------------------------------------- */

typedef struct gated_http {
    wg_server_t *server;
    wg_budget_slot_t slot;
    wg_httpc_request_t req; /* while it waits */
    wg_httpc_done_cb on_done;
    void *data;
    h2o_timeout_entry_t later; /* a refusal is delivered on the next loop turn */
    int is_timeout;
} gated_http_t;

static void on_gated_http_done(void *p, const wg_httpc_response_t *res)
{
    gated_http_t *g = p;
    wg_budget_slot_t slot = g->slot;
    g->on_done(g->data, res);
    free(g);
    wg_budget_release(slot);
}

static void free_request(wg_httpc_request_t *req)
{
    free(req->url);
    free(req->body);
    for (size_t i = 0; i < req->num_headers; i++)
        free(req->headers[i]);
    memset(req, 0, sizeof(*req));
}

static void on_gated_http_refused(h2o_timeout_entry_t *entry)
{
    gated_http_t *g = H2O_STRUCT_FROM_MEMBER(gated_http_t, later, entry);
    wg_httpc_response_t res;
    memset(&res, 0, sizeof(res));
    res.body = res.headers = "";
    if (g->is_timeout) {
        res.is_timeout = 1;
        res.error = "timed out waiting for the backend (its other calls in flight)";
    } else {
        res.is_transport_error = 1;
        res.error = "throttled: too many calls waiting for backends";
    }
    g->on_done(g->data, &res);
    free(g);
}

static void refuse_http_later(gated_http_t *g, int is_timeout)
{
    free_request(&g->req);
    g->is_timeout = is_timeout;
    g->later.cb = on_gated_http_refused;
    h2o_timeout_link(g->server->loop, &g->server->ctx.zero_timeout, &g->later);
}

static void on_http_waiting_start(void *p, wg_budget_slot_t slot, uint32_t remaining_ms)
{
    gated_http_t *g = p;
    g->slot = slot;
    g->req.timeout_ms = remaining_ms;
    g->req.on_done = on_gated_http_done;
    g->req.data = g;
    wg_httpc_submit(g->server->httpc, &g->req);
}

static void on_http_waiting_drop(void *p, int is_timeout)
{
    refuse_http_later(p, is_timeout);
}

void wg_integration_submit_http(wg_server_t *server, const char *key, wg_httpc_request_t *req)
{
    wg_budget_target_t *target = wg_budget_target(budget_of(server), key);
    gated_http_t *g = calloc(1, sizeof(*g));
    if (g == NULL)
        abort();
    g->server = server;
    g->on_done = req->on_done;
    g->data = req->data;
    g->req = *req;
    memset(req, 0, sizeof(*req));
    g->req.on_done = on_gated_http_done;
    g->req.data = g;
    if (wg_budget_try_acquire(target, 0, &g->slot) == 0) {
        wg_httpc_submit(server->httpc, &g->req);
        return;
    }
    if (wg_budget_wait(target, 0, g->req.timeout_ms, g->req.body_len, on_http_waiting_start, on_http_waiting_drop, g) !=
        0)
        refuse_http_later(g, 0);
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

void wg_integration_complete_later(wg_server_t *server, const wg_integration_result_t *result,
                                   wg_integration_done_cb done, void *data)
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

void wg_integration_fail_later(wg_server_t *server, wg_outcome_t outcome, const char *error,
                               wg_integration_done_cb done, void *data)
{
    wg_integration_result_t result;
    memset(&result, 0, sizeof(result));
    result.outcome = outcome;
    result.error = error;
    wg_integration_complete_later(server, &result, done, data);
}
