/*
 * integration_http_proxy.c: HTTP_PROXY integrations (AWS-INT-15, AWS-INT-16) and request-parameter mapping.
 *
 * What is documented (AWS-INT-2): the backend does NOT get the connectionId unless a request parameter
 * maps it (e.g. integration.request.header.ConnectionId = context.connectionId); sources are
 * context.*, stageVariables.*, 'static' literals, route.request.header.* / querystring.* (only on
 * $connect, the one route with an HTTP request) and route.request.body.<path> (message routes);
 * targets are integration.request.header.* and integration.request.querystring.* (KB
 * api-gateway-vpc-link-integration; websocket-api-data-mapping). A two-way route returns the
 * backend's response body as one frame.
 *
 * Open questions (inferred: AWS-INT-15..17, what exactly AWS sends), and what wsgate chose [I]:
 * - Method: the route's "method" (default POST) on every route, $connect/$disconnect included.
 * - Body: the raw text frame on messages; none on $connect and $disconnect (localstack #5851
 *   suggests an empty body on $connect).
 * - Headers: only the mapped ones, plus Content-Type: application/json when there is a body
 *   (unless a mapping sets Content-Type). The client's handshake headers are NOT forwarded on
 *   $connect; map the ones you need with route.request.header.X. AWS may add its own proxy
 *   headers (X-Amzn-Trace-Id...); the exact set is unknown.
 * - A mapping whose source has no value here (header not sent, body field missing, undefined
 *   stage variable) is left out rather than failing the request.
 * - route.request.body.<path> values: strings as they are, other JSON values as compact JSON.
 * - A header value holding a control character (CR, LF, NUL...: anything below 0x20 but HTAB, and
 *   DEL) is left out with a warning; query-string values are percent-encoded, so they pass.
 * - Answer: 5xx or no answer = integration failure (502 / Internal server error frame); any other
 *   status counts as is ($connect: 2xx accepts, else that status); the body is NOT read as a
 *   Lambda proxy result. A Sec-WebSocket-Protocol response header goes on the 101.
 */
#include "integration_http_proxy.h"

#include <stdbool.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "integration.h"
#include "log.h"
#include "urlcodec.h"
#include "str.h"

/* ---- context values ------------------------------------------------------------------------- */

static char *format_u64(uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRIu64, v);
    return wg_str_dup(buf);
}

char *wg_integration_http_proxy_context_value(const wg_event_context_t *ctx, const char *name)
{
    int is_connect = ctx->route_key != NULL && strcmp(ctx->route_key, "$connect") == 0;
    int is_disconnect = ctx->route_key != NULL && strcmp(ctx->route_key, "$disconnect") == 0;
    if (strcmp(name, "connectionId") == 0)
        return wg_str_dup(ctx->connection_id);
    if (strcmp(name, "requestId") == 0 || strcmp(name, "extendedRequestId") == 0)
        return wg_str_dup(ctx->request_id);
    if (strcmp(name, "eventType") == 0)
        return wg_str_dup(is_connect ? "CONNECT" : is_disconnect ? "DISCONNECT" : "MESSAGE");
    if (strcmp(name, "routeKey") == 0)
        return wg_str_dup(ctx->route_key);
    if (strcmp(name, "stage") == 0)
        return wg_str_dup(ctx->stage);
    if (strcmp(name, "apiId") == 0)
        return wg_str_dup(ctx->api_id);
    if (strcmp(name, "domainName") == 0)
        return wg_str_dup(ctx->domain_name);
    if (strcmp(name, "connectedAt") == 0)
        return format_u64(ctx->connected_at);
    if (strcmp(name, "requestTimeEpoch") == 0)
        return format_u64(ctx->request_time_ms);
    if (strcmp(name, "requestTime") == 0) {
        char t[32];
        wg_clock_format_request_time(ctx->request_time_ms, t);
        return wg_str_dup(t);
    }
    if (strcmp(name, "messageId") == 0)
        return !is_connect && !is_disconnect ? wg_str_dup(ctx->message_id) : NULL;
    if (strcmp(name, "messageDirection") == 0)
        return wg_str_dup("IN");
    if (strcmp(name, "identity.sourceIp") == 0)
        return wg_str_dup(ctx->source_ip);
    if (strcmp(name, "identity.userAgent") == 0)
        return wg_str_dup(ctx->user_agent);
    if (strcmp(name, "disconnectStatusCode") == 0)
        return is_disconnect ? format_u64((uint64_t)ctx->disconnect_status_code) : NULL;
    if (strcmp(name, "disconnectReason") == 0)
        return is_disconnect ? wg_str_dup(ctx->disconnect_reason ? ctx->disconnect_reason : "") : NULL;
    if (strncmp(name, "authorizer.", 11) == 0 && ctx->authorizer_json != NULL) {
        json_t *auth = json_loads(ctx->authorizer_json, 0, NULL);
        json_t *v = json_object_get(auth, name + 11);
        char *out = json_is_string(v) ? wg_str_dup(json_string_value(v)) : NULL;
        json_decref(auth);
        return out;
    }
    return NULL;
}

/* ---- request parameters --------------------------------------------------------------------- */

/* The value at a dotted path ("a.b.0.c": numeric steps index arrays) in a JSON body. */
static char *body_value(json_t *body, const char *path)
{
    json_t *node = body;
    char *copy = wg_str_dup(path), *save = NULL;
    for (char *step = strtok_r(copy, ".", &save); step != NULL && node != NULL; step = strtok_r(NULL, ".", &save)) {
        if (json_is_object(node)) {
            node = json_object_get(node, step);
        } else if (json_is_array(node)) {
            char *end;
            unsigned long i = strtoul(step, &end, 10);
            node = (*step != '\0' && *end == '\0') ? json_array_get(node, i) : NULL;
        } else {
            node = NULL;
        }
    }
    free(copy);
    if (node == NULL)
        return NULL;
    if (json_is_string(node))
        return wg_str_dup(json_string_value(node));
    char *text = json_dumps(node, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text == NULL)
        abort();
    return text;
}

static char *query_value(const wg_integration_call_t *call, const char *name)
{
    if (!call->has_query || call->raw_query == NULL)
        return NULL;
    wg_query_t query;
    wg_urlcodec_query_parse(call->raw_query, call->raw_query_len, &query);
    char *out = NULL;
    for (size_t i = 0; i < query.count; i++) {
        if (strcmp(query.params[i].name, name) == 0) { /* the last one wins, as in queryStringParameters */
            free(out);
            out = wg_str_dup(query.params[i].value);
        }
    }
    wg_urlcodec_query_free(&query);
    return out;
}

size_t wg_integration_http_proxy_map_parameters(const wg_config_t *cfg, const wg_integration_call_t *call,
                                                wg_mapped_parameter_t *out)
{
    const wg_route_config_t *route = call->route;
    json_t *body = NULL;
    int body_parsed = 0;
    size_t n = 0;
    for (size_t i = 0; i < route->num_params; i++) {
        const wg_request_parameter_t *p = &route->params[i];
        char *value = NULL;
        switch (p->kind) {
        case WG_PARAM_STATIC: value = wg_str_dup(p->source); break;
        case WG_PARAM_CONTEXT:
            value = call->context != NULL ? wg_integration_http_proxy_context_value(call->context, p->source) : NULL;
            break;
        case WG_PARAM_STAGE_VARIABLE: value = wg_str_dup(wg_config_stage_variable(cfg, p->source)); break;
        case WG_PARAM_HEADER: {
            const wg_header_t *h = call->headers ? wg_headers_find(call->headers, call->num_headers, p->source) : NULL;
            if (h != NULL) {
                value = h2o_strdup(NULL, h->value, h->value_len).base;
            }
            break;
        }
        case WG_PARAM_QUERYSTRING: value = query_value(call, p->source); break;
        case WG_PARAM_BODY:
            if (!body_parsed && call->message != NULL) {
                body = json_loadb(call->message, call->message_len, JSON_DECODE_ANY, NULL);
                body_parsed = 1;
            }
            value = body != NULL ? body_value(body, p->source) : NULL;
            break;
        }
        if (value == NULL)
            continue;
        out[n].is_header = p->is_header;
        out[n].name = p->name;
        out[n].value = value;
        n++;
    }
    json_decref(body);
    return n;
}

/* ---- the call ------------------------------------------------------------------------------- */

typedef struct proxy_call {
    wg_integration_done_cb done;
    void *data;
} proxy_call_t;

static void on_proxy_done(void *data, const wg_httpc_response_t *res)
{
    proxy_call_t *call = data;
    wg_integration_result_t result;
    memset(&result, 0, sizeof(result));
    if (!wg_integration_transport_failure(res, &result)) {
        result.http_status = res->status;
        result.status = res->status;
        result.raw_body = res->body;
        result.raw_body_len = res->body_len;
        if (res->status >= 500) {
            result.outcome = WG_OUTCOME_ERROR;
            result.error = "backend answered with a server error";
        } else {
            result.outcome = WG_OUTCOME_OK;
            if (res->body_len > 0) {
                result.body = res->body;
                result.body_len = res->body_len;
            }
            result.subprotocol = wg_httpc_response_header(res, "Sec-WebSocket-Protocol", &result.subprotocol_len);
        }
    }
    call->done(call->data, &result);
    free(call);
}

/* 1 when `v` can be an HTTP header value: no control byte but HTAB (RFC 9110 5.5). libcurl sends
 * header strings as given, so a CR/LF from route.request.body.* would inject headers or a request. */
static bool is_header_value_safe(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7F)
            return 0;
    return 1;
}

void wg_integration_http_proxy_invoke(wg_server_t *server, wg_integration_call_t *call, wg_integration_done_cb done,
                                      void *data)
{
    const wg_route_config_t *route = call->route;
    free(call->event_json); /* HTTP_PROXY never sends the Lambda proxy event */
    call->event_json = NULL;

    wg_mapped_parameter_t *params = calloc(route->num_params + 1, sizeof(*params));
    if (params == NULL)
        abort();
    size_t num_params = wg_integration_http_proxy_map_parameters(server->config, call, params);

    wg_httpc_request_t req;
    memset(&req, 0, sizeof(req));
    wg_buf_t url = WG_BUF_INIT;
    wg_buf_append_str(&url, route->uri);
    int has_query = strchr(route->uri, '?') != NULL;
    int has_content_type = 0;
    for (size_t i = 0; i < num_params; i++) {
        if (params[i].is_header && !is_header_value_safe(params[i].value)) {
            /* [I] AWS's handling is not documented: the header is left out (like a mapping whose
             * source has no value) and the call goes on; one log line says why. */
            wg_log_warn("route %s: request parameter %s left out: its value holds a control character", route->key,
                        params[i].name);
        } else if (params[i].is_header) {
            if (wg_headers_ieq(params[i].name, strlen(params[i].name), "Content-Type"))
                has_content_type = 1;
            if (wg_httpc_add_header(&req, params[i].name, params[i].value, strlen(params[i].value)) != 0)
                wg_log_warn("route %s: too many request headers, %s dropped", route->key, params[i].name);
        } else {
            wg_buf_append_str(&url, has_query ? "&" : "?");
            has_query = 1;
            wg_urlcodec_encode(&url, params[i].name, strlen(params[i].name), 0);
            wg_buf_append_str(&url, "=");
            wg_urlcodec_encode(&url, params[i].value, strlen(params[i].value), 0);
        }
        free(params[i].value);
    }
    free(params);
    /* "integration.request.querystring.*": "route.request.querystring.*" (config_emulator.c): the
     * client's whole $connect query as sent, as aws-apigw-ws-emulator's http mode forwards it. */
    for (size_t i = 0; i < route->num_params && call->has_query && call->raw_query_len > 0; i++) {
        const wg_request_parameter_t *p = &route->params[i];
        if (p->is_header || p->kind != WG_PARAM_QUERYSTRING || strcmp(p->source, "*") != 0)
            continue;
        char *raw = strndup(call->raw_query, call->raw_query_len);
        if (raw == NULL)
            abort();
        wg_buf_append_str(&url, has_query ? "&" : "?");
        wg_buf_append_str(&url, raw);
        has_query = 1;
        free(raw);
        break;
    }

    req.method = route->method;
    req.url = wg_buf_take(&url, NULL);
    if (call->message != NULL) {
        req.body = malloc(call->message_len + 1);
        if (req.body == NULL)
            abort();
        memcpy(req.body, call->message, call->message_len);
        req.body_len = call->message_len;
        if (!has_content_type)
            wg_httpc_add_header(&req, "Content-Type", H2O_STRLIT("application/json"));
    }
    req.timeout_ms = call->timeout_ms;
    proxy_call_t *pc = malloc(sizeof(*pc));
    if (pc == NULL)
        abort();
    pc->done = done;
    pc->data = data;
    req.on_done = on_proxy_done;
    req.data = pc;
    wg_httpc_submit(server->httpc, &req);
}
