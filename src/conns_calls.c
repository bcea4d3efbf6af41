/*
 * conns_calls.c: a connection's events to its integrations: the request context every event
 * shares, the call record that keeps the connection alive while a backend answers, --verbose
 * logging with credentials redacted, --record and the inspector's copies.
 *
 * AWS behaviour reproduced here: each event gets a new request ID and carries the connection's
 * connectedAt, source IP and User-Agent for its whole life (AWS-ID-3, AWS-ID-9, AWS-ID-17), and the
 * authorizer's context on every event (AWS-AUTH-14).
 */
#include "conns_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "inspector.h"
#include "limits.h"
#include "log.h"
#include "redact.h"
#include "recorder.h"

/* ---- events --------------------------------------------------------------------------------- */

void wg_conn_fill_context(wg_conn_t *conn, wg_event_context_t *ctx, const char *route_key, const char *request_id,
                          uint64_t now)
{
    wg_server_t *s = conn->conns->server;
    memset(ctx, 0, sizeof(*ctx));
    ctx->route_key = route_key;
    ctx->connection_id = conn->id;
    ctx->request_id = request_id;
    ctx->stage = s->config->stage;
    ctx->domain_name = conn->host;
    ctx->api_id = s->api_id;
    ctx->connected_at = conn->connected_at;
    ctx->request_time_ms = now;
    ctx->source_ip = conn->source_ip;
    ctx->user_agent = conn->user_agent;
    ctx->authorizer_json = conn->authorizer_json;
    ctx->identity_json = conn->identity_json; /* IAM identity members (issue 7) */
}

conn_call_t *wg_conn_new_call(wg_conn_t *conn, const wg_route_config_t *route, const char *request_id)
{
    conn_call_t *call = malloc(sizeof(*call));
    if (call == NULL)
        abort();
    wg_conn_retain(conn);
    call->conn = conn;
    call->route = route;
    memcpy(call->request_id, request_id, sizeof(call->request_id));
    call->recorded_event = NULL;
    call->recorded_event_len = 0;
    call->message_bytes = 0;
    return call;
}

/* --record: the event and the backend's answer, as a fixture file `wsgate replay` accepts. */
void wg_conn_record_call(conn_call_t *call, const wg_integration_result_t *result)
{
    wg_inspector_note_answer(call->conn->id, call->request_id, call->route, result);
    wg_recorder_t *rec = call->conn->conns->server->recorder;
    if (rec != NULL && call->recorded_event != NULL)
        wg_recorder_event_at(rec, call->recorded_seq, call->route->key, call->route->is_two_way, call->conn->id,
                             call->recorded_event, call->recorded_event_len, result->http_status, result->raw_body,
                             result->raw_body ? result->raw_body_len : 0);
    free(call->recorded_event);
    call->recorded_event = NULL;
}

/* --verbose: the event as sent, with credentials (Authorization, presigned query parts, cookies,
 * API keys) replaced, so that secrets are never logged. */
static void log_event(const char *route_key, const char *connection_id, const char *event, size_t event_len)
{
    json_t *doc = json_loadb(event, event_len, 0, NULL);
    if (doc == NULL)
        return;
    wg_redact_event(doc);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (text == NULL)
        return;
    size_t len = strlen(text);
    wg_log_debug("event %s %s: %.*s%s", route_key, connection_id, (int)(len > 2000 ? 2000 : len), text,
                 len > 2000 ? "..." : "");
    free(text);
}

/* `ic` carries the event-type specifics (context, message or handshake); invoke fills the rest. */
void wg_conn_invoke(wg_conn_t *conn, const wg_route_config_t *route, char *event, size_t event_len, conn_call_t *call,
                    wg_integration_done_cb done, wg_integration_call_t *ic_in)
{
    wg_integration_call_t ic = *ic_in;
    if (conn->conns->server->recorder != NULL && conn->conns->num_recorded < WG_LIMIT_RECORD_FILES) {
        call->recorded_event = h2o_strdup(NULL, event, event_len).base;
        call->recorded_event_len = event_len;
        call->recorded_seq = wg_recorder_reserve(conn->conns->server->recorder);
        if (++conn->conns->num_recorded == WG_LIMIT_RECORD_FILES)
            wg_log_warn("--record: %d events recorded, the most one run records; recording stops here",
                        WG_LIMIT_RECORD_FILES);
    }
    ic.route = route;
    ic.event_json = event;
    ic.event_len = event_len;
    memcpy(ic.connection_id, conn->id, sizeof(ic.connection_id));
    if (wg_log_is_verbose())
        log_event(route->key, conn->id, event, event_len);
    wg_inspector_note_call(conn->id, call->request_id, route, event, event_len);
    wg_integration_invoke(conn->conns->server, &ic, done, call);
    free(ic.event_json); /* NULL when the integration took it */
}
