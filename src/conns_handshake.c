/*
 * conns_handshake.c: a WebSocket handshake from its arrival to the 101 or the rejection: the
 * connection id, the authorizer hand-off, the $connect integration, and the upgrade.
 *
 * AWS behaviour reproduced here:
 * - The connection id exists before authorization and $connect, and both see the same request
 *   id (AWS-LIFE-2, AWS-ID-6).
 * - $connect waits for its integration before the 101 (AWS-LIFE-1); a non-2xx status rejects the
 *   handshake with that status and no socket (AWS-INT-8); a failing integration gives 502
 *   (AWS-INT-9, AWS-INT-13); [I] inferred: a timed-out one 504 (AWS-INT-14). Without a $connect
 *   route every handshake is accepted (AWS-INT-7). A rejected handshake has no body and no
 *   $disconnect (AWS-INT-18, AWS-LIFE-6).
 * - The headers of a 2xx $connect result go on the 101 (AWS-INT-10).
 */
#include "conns_internal.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "authorizer.h"
#include "clock.h"
#include "errors.h"
#include "http_reply.h"
#include "inspector.h"
#include "limits.h"
#include "log.h"

/* ---- handshake ------------------------------------------------------------------------------ */

static const wg_ws_callbacks_t ws_callbacks = {wg_conn_on_text, wg_conn_on_closed, wg_conn_on_control};

static void on_handshake_req_dispose(void *p)
{
    wg_conn_t **slot = p;
    if (*slot != NULL)
        (*slot)->handshake_req = NULL;
}

static void release_handshake(wg_conn_t *conn)
{
    free(conn->handshake_headers);
    conn->handshake_headers = NULL;
    conn->num_handshake_headers = 0;
    if (conn->handshake_slot != NULL)
        *conn->handshake_slot = NULL;
    conn->handshake_slot = NULL;
    conn->handshake_req = NULL;
}

/* Headers a $connect answer may not set on the 101: the handshake's own and hop-by-hop ones. */
static bool is_reserved_101_header(const char *name)
{
    static const char *const reserved[] = {
        "connection",        "upgrade", "sec-websocket-accept",  "sec-websocket-extensions", "content-length",
        "transfer-encoding", "date",    "sec-websocket-protocol"};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcasecmp(name, reserved[i]) == 0)
            return 1;
    return 0;
}

/* `response_headers`: the $connect proxy result's headers, put on the 101 as AWS does (AWS-INT-10). */
static void accept_connection(wg_conn_t *conn, const char *subprotocol, size_t subprotocol_len,
                              const json_t *response_headers)
{
    wg_conns_t *conns = conn->conns;
    wg_server_t *s = conns->server;
    h2o_req_t *req = conn->handshake_req;
    if (subprotocol != NULL && subprotocol_len > 0)
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("sec-websocket-protocol"), 0, NULL,
                              h2o_strdup(&req->pool, subprotocol, subprotocol_len).base, subprotocol_len);
    const char *name;
    json_t *value;
    json_object_foreach((json_t *)response_headers, name, value) {
        size_t name_len = strlen(name);
        if (!json_is_string(value) || is_reserved_101_header(name) || name_len == 0 ||
            strpbrk(name, " :\r\n") != NULL ||
            memchr(json_string_value(value), '\n', json_string_length(value)) != NULL ||
            memchr(json_string_value(value), '\r', json_string_length(value)) != NULL)
            continue;
        h2o_add_header_by_str(&req->pool, &req->res.headers, h2o_strdup(&req->pool, name, name_len).base, name_len, 1,
                              NULL, h2o_strdup(&req->pool, json_string_value(value), json_string_length(value)).base,
                              json_string_length(value));
    }
    release_handshake(conn);
    wg_ws_limits_t limits = {WG_LIMIT_FRAME_BYTES, WG_LIMIT_MESSAGE_BYTES, WG_LIMIT_SEND_QUEUE_BYTES};
    conn->state = CONN_OPEN;
    conns->num_open++;
    conn->last_active_at = conn->connected_at;
    h2o_timeout_link(s->loop, &conns->idle_timeout, &conn->idle_timer);
    h2o_timeout_link(s->loop, &conns->hard_timeout, &conn->hard_timer);
    conn->ws = wg_ws_upgrade(req, conn->client_key, &s->ctx, &s->close_timeout, &limits, &ws_callbacks, conn);
    wg_log_info("connect %s from %s", conn->id, conn->source_ip);
    wg_inspector_note_open(conn->id, req, conn->source_ip, conn->user_agent);
}

static void reject_connection(wg_conn_t *conn, int status, const char *why)
{
    h2o_req_t *req = conn->handshake_req;
    release_handshake(conn);
    wg_log_info("connect %s from %s rejected: %d (%s)", conn->id, conn->source_ip, status, why);
    wg_inspector_note_rejected(conn->id, status, why);
    wg_conn_detach(conn);
    /* [I] inferred (AWS-INT-18): AWS's body on a rejected handshake is not documented; we send none. */
    wg_http_reply_send(req, status, NULL, NULL, 0);
    wg_conn_release(conn); /* the handshake's reference */
}

static void on_connect_done(void *data, const wg_integration_result_t *result)
{
    conn_call_t *call = data;
    wg_conn_t *conn = call->conn;
    wg_conn_record_call(call, result);
    free(call);
    conn->refs--; /* the call's reference: the handshake still holds one, so this never frees */
    if (conn->handshake_req == NULL) {
        /* h2o dropped the request (server shutting down): nothing to answer */
        wg_conn_detach(conn);
        wg_conn_release(conn); /* the handshake's reference */
    } else if (conn->conns->server->is_shutting_down) {
        reject_connection(conn, WG_REFUSAL_SHUTTING_DOWN, "shutting down");
    } else if (result->outcome == WG_OUTCOME_ERROR) {
        reject_connection(conn, WG_REFUSAL_INTEGRATION_FAILED, result->error ? result->error : "integration failed");
    } else if (result->outcome == WG_OUTCOME_TIMEOUT) {
        reject_connection(conn, WG_REFUSAL_INTEGRATION_TIMED_OUT, "integration timed out");
    } else if (result->outcome == WG_OUTCOME_THROTTLED) {
        /* [I] inferred: as for --connect-rate-limit (AWS-LIM-8), 429 (AWS's status for a throttled $connect is
         * not documented) */
        reject_connection(conn, WG_REFUSAL_THROTTLED, "too many calls waiting for backends");
    } else if (result->status >= 200 && result->status < 300) {
        accept_connection(conn, result->subprotocol, result->subprotocol_len, result->response_headers);
    } else {
        reject_connection(conn, result->status, "$connect answered non-2xx");
    }
}

static void handshake_query(const wg_conn_t *conn, int *has_query, const char **query, size_t *query_len)
{
    h2o_req_t *req = conn->handshake_req;
    *has_query = req->query_at != SIZE_MAX;
    *query = *has_query ? req->path.base + req->query_at + 1 : NULL;
    *query_len = *has_query ? req->path.len - req->query_at - 1 : 0;
}

/* Authorization passed: run the $connect integration (or accept at once without one). */
static void start_connect(wg_conn_t *conn)
{
    wg_server_t *s = conn->conns->server;
    const wg_route_config_t *route = wg_config_route(s->config, "$connect");
    if (route == NULL) {
        accept_connection(conn, NULL, 0, NULL);
        return;
    }
    wg_event_context_t ctx;
    wg_conn_fill_context(conn, &ctx, "$connect", conn->handshake_request_id, conn->handshake_time);
    wg_event_forwarding_t fwd = {conn->handshake_trace_id, "443", "https"};
    int has_query;
    const char *query;
    size_t query_len;
    handshake_query(conn, &has_query, &query, &query_len);
    size_t event_len;
    char *event = wg_event_connect(&ctx, conn->handshake_headers, conn->num_handshake_headers, has_query, query,
                                   query_len, &fwd, &event_len);
    wg_integration_call_t ic = {.context = &ctx,
                                .headers = conn->handshake_headers,
                                .num_headers = conn->num_handshake_headers,
                                .has_query = has_query,
                                .raw_query = query,
                                .raw_query_len = query_len};
    wg_conn_invoke(conn, route, event, event_len, wg_conn_new_call(conn, route, conn->handshake_request_id),
                   on_connect_done, &ic);
}

static void on_authorized(void *data, wg_auth_decision_t *decision)
{
    wg_conn_t *conn = data;
    conn->refs--; /* the authorization's reference: the handshake still holds one */
    wg_inspector_note_auth(conn->id, decision);
    if (conn->handshake_req == NULL) {
        free(decision->authorizer_json);
        free(decision->identity_json);
        wg_conn_detach(conn);
        wg_conn_release(conn);
        return;
    }
    if (decision->status != 0) {
        free(decision->authorizer_json);
        free(decision->identity_json);
        reject_connection(conn, decision->status, decision->why ? decision->why : "not authorized");
        return;
    }
    conn->authorizer_json = decision->authorizer_json;
    conn->identity_json = decision->identity_json;
    start_connect(conn);
}

void wg_conns_handshake(wg_conns_t *conns, h2o_req_t *req, const char *client_key)
{
    wg_server_t *s = conns->server;
    wg_conn_t *conn = calloc(1, sizeof(*conn));
    if (conn == NULL)
        abort();
    conn->conns = conns;
    conn->refs = 1; /* the handshake's, then the socket's */
    conns->num_alive++;
    if (conns->num_alive > conns->alive_high_water)
        conns->alive_high_water = conns->num_alive;
    conn->state = CONN_CONNECTING;
    conn->idle_timer.cb = wg_conn_on_idle_timeout;
    conn->hard_timer.cb = wg_conn_on_hard_timeout;
    memcpy(conn->client_key, client_key, 24);
    uint64_t now = wg_clock_now_ms();
    conn->connected_at = now;
    conn->handshake_time = now;
    do {
        wg_ids_connection(s->ids, now, conn->id);
    } while (wg_conns_registry_find(conns, conn->id) != NULL);
    wg_conns_registry_add(conns, conn);
    /* The authorizer and the $connect integration see the same request, so the same requestId. */
    wg_ids_request(s->ids, now, conn->handshake_request_id);
    wg_ids_trace_id(s->ids, now, conn->handshake_trace_id);
    wg_ws_peer_ip(req, conn->source_ip, sizeof(conn->source_ip));
    conn->host = s->domain_name[0] != '\0' ? h2o_strdup(NULL, s->domain_name, SIZE_MAX).base
                                           : h2o_strdup(NULL, req->authority.base, req->authority.len).base;

    size_t num_headers;
    wg_header_t *headers = wg_http_reply_request_headers(req, &num_headers);
    conn->handshake_headers = headers;
    conn->num_handshake_headers = num_headers;
    const wg_header_t *ua = wg_headers_find(headers, num_headers, "user-agent");
    if (ua != NULL)
        conn->user_agent = h2o_strdup(NULL, ua->value, ua->value_len).base;

    conn->handshake_req = req;
    conn->handshake_slot = h2o_mem_alloc_shared(&req->pool, sizeof(wg_conn_t *), on_handshake_req_dispose);
    *conn->handshake_slot = conn;

    wg_event_context_t ctx;
    wg_conn_fill_context(conn, &ctx, "$connect", conn->handshake_request_id, now);
    wg_connect_request_t creq;
    memset(&creq, 0, sizeof(creq));
    creq.context = &ctx;
    creq.headers = headers;
    creq.num_headers = num_headers;
    handshake_query(conn, &creq.has_query, &creq.raw_query, &creq.raw_query_len);
    creq.raw_path = req->path.base;
    creq.raw_path_len = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    creq.method = req->method.base;
    creq.method_len = req->method.len;
    creq.trace_id = conn->handshake_trace_id;
    wg_conn_retain(conn); /* for the authorization */
    wg_authorizer_connect(s, &creq, on_authorized, conn);
}
