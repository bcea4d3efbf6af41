/*
 * conns_lifecycle.c: an OPEN connection's life and its end: client messages routed to their
 * integration, two-way replies and error frames, PostToConnection, server-side closes (DeleteConnection,
 * idle and maximum-duration timers, shutdown, test control), and $disconnect once the socket is gone.
 *
 * AWS behaviour reproduced here:
 * - Messages are routed by the route selection expression, falling back to $default; with no
 *   $default the client gets the Forbidden error frame and stays connected (AWS-RT-3, AWS-RT-5,
 *   AWS-FRM-2); a failing integration gives Internal server error, a late one Endpoint request
 *   timed out (AWS-FRM-3, AWS-FRM-4).
 * - $disconnect is sent after the socket has closed (AWS-LIFE-4), with AWS's code and reason: the
 *   client's own code and reason (AWS-LIFE-9); 1005 "Client-side close frame status not set" for a
 *   close without code (AWS-LIFE-8); 1000 "Connection Closed Normally" after DeleteConnection
 *   (AWS-LIFE-10); 1001 "Going away" on the idle timeout (AWS-LIM-4).
 *   [I] inferred: 1006 "" after a TCP loss (AWS-LIFE-11), 1001 "Going away" at the maximum
 *   connection duration (AWS-LIM-5), and for 1003/1007/1009 closes the code and reason we sent
 *   (AWS-LIFE-12).
 * - [I] inferred: only client data frames reset the idle timer and lastActiveAt (AWS-LIFE-13).
 */
#include "conns_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "inspector.h"
#include "limits.h"
#include "log.h"
#include "routes.h"

/* Keeps a copy of what was sent, for the test-control API (bounded: oldest dropped first). */
static void remember_sent(wg_conn_t *conn, const char *source, const void *data, size_t len)
{
    if (!conn->conns->server->config->has_test_control)
        return;
    wg_conn_sent_t *m = malloc(sizeof(*m) + len);
    if (m == NULL)
        abort();
    m->next = NULL;
    m->at_ms = wg_clock_now_ms();
    m->source = source;
    m->len = len;
    memcpy(m->data, data, len);
    if (conn->sent_tail != NULL)
        conn->sent_tail->next = m;
    else
        conn->sent_head = m;
    conn->sent_tail = m;
    conn->sent_count++;
    conn->sent_bytes += len;
    while (conn->sent_head != NULL && conn->sent_head != m &&
           (conn->sent_count > WG_LIMIT_TEST_HISTORY_MESSAGES || conn->sent_bytes > WG_LIMIT_TEST_HISTORY_BYTES)) {
        wg_conn_sent_t *old = conn->sent_head;
        conn->sent_head = old->next;
        conn->sent_count--;
        conn->sent_bytes -= old->len;
        free(old);
    }
}

static int send_text(wg_conn_t *conn, const char *source, const void *data, size_t len)
{
    if (conn->ws == NULL)
        return WG_WS_CLOSING;
    int rv = wg_ws_send_text(conn->ws, data, len);
    if (rv == WG_WS_SENT)
        remember_sent(conn, source, data, len);
    wg_inspector_note_frame(conn->id, "out", source, data, len);
    return rv;
}

static void send_error_frame(wg_conn_t *conn, const char *message, const char *request_id)
{
    char frame[256];
    size_t n = wg_event_error_frame(message, conn->id, request_id, frame, sizeof(frame));
    send_text(conn, "errorFrame", frame, n);
}

/* ---- $disconnect ---------------------------------------------------------------------------- */

static void on_disconnect_done(void *data, const wg_integration_result_t *result)
{
    conn_call_t *call = data;
    wg_conn_record_call(call, result);
    if (result->outcome != WG_OUTCOME_OK)
        wg_log_warn("$disconnect %s: integration %s (%s)", call->conn->id,
                    result->outcome == WG_OUTCOME_TIMEOUT ? "timed out" : "failed", result->error ? result->error : "");
    wg_conn_release(call->conn);
    free(call);
}

static void send_disconnect(wg_conn_t *conn, int code, const char *reason)
{
    wg_server_t *s = conn->conns->server;
    const wg_route_config_t *route = wg_config_route(s->config, "$disconnect");
    if (route == NULL)
        return;
    uint64_t now = wg_clock_now_ms();
    char request_id[WG_ID_LEN + 1];
    wg_ids_request(s->ids, now, request_id);
    wg_event_context_t ctx;
    wg_conn_fill_context(conn, &ctx, "$disconnect", request_id, now);
    ctx.disconnect_status_code = code;
    ctx.disconnect_reason = reason;
    size_t len;
    char *event = wg_event_disconnect(&ctx, conn->host, &len);
    wg_integration_call_t ic = {.context = &ctx};
    wg_conn_invoke(conn, route, event, len, wg_conn_new_call(conn, route, request_id), on_disconnect_done, &ic);
}

void wg_conn_on_closed(void *data, const wg_ws_close_info_t *info)
{
    wg_conn_t *conn = data;
    conn->ws = NULL;
    wg_conn_detach(conn);
    int code;
    char reason[160];
    if (conn->has_close_override) {
        code = conn->close_code;
        snprintf(reason, sizeof(reason), "%s", conn->close_reason);
    } else if (info->is_abnormal) {
        code = 1006;
        reason[0] = '\0';
    } else if (!info->is_server_initiated && info->code == 1005) {
        code = 1005;
        snprintf(reason, sizeof(reason), "Client-side close frame status not set");
    } else {
        code = info->code;
        snprintf(reason, sizeof(reason), "%.*s", (int)info->reason_len, info->reason);
    }
    wg_log_info("disconnect %s code=%d reason=\"%s\"", conn->id, code, reason);
    if (conn->num_throttled > 0)
        wg_log_info("disconnect %s: %zu of its messages were answered \"%s\"", conn->id, conn->num_throttled,
                    WG_FRAME_THROTTLED);
    wg_inspector_note_closed(conn->id, info, code, reason);
    send_disconnect(conn, code, reason);
    wg_conn_release(conn); /* the socket's reference */
}

/* ---- messages ------------------------------------------------------------------------------- */

/* One line for a throttled message: the first, then at most one a second with how many were not
 * logged. */
static void log_throttled(wg_conn_t *conn, const char *why)
{
    wg_conns_t *conns = conn->conns;
    uint64_t now = h2o_now(conns->server->loop);
    if (conns->throttle_logged_at != 0 && now - conns->throttle_logged_at < 1000) {
        conns->throttled_unlogged++;
        return;
    }
    wg_log_warn("message %s: %s: answered \"%s\" (%zu more throttled since the last such line)", conn->id, why,
                WG_FRAME_THROTTLED, conns->throttled_unlogged);
    conns->throttle_logged_at = now;
    conns->throttled_unlogged = 0;
}

static void on_message_done(void *data, const wg_integration_result_t *result)
{
    conn_call_t *call = data;
    wg_conn_t *conn = call->conn;
    conn->num_calls--;
    conn->call_bytes -= call->message_bytes;
    wg_conn_record_call(call, result);
    if (conn->state == CONN_OPEN && conn->ws != NULL) {
        if (result->outcome == WG_OUTCOME_THROTTLED) {
            conn->num_throttled++;
            log_throttled(conn, "too many calls waiting for backends");
            send_error_frame(conn, WG_FRAME_THROTTLED, call->request_id);
        } else if (result->outcome == WG_OUTCOME_ERROR) {
            wg_log_warn("route %s %s: integration failed (%s)", call->route->key, conn->id,
                        result->error ? result->error : "");
            send_error_frame(conn, WG_FRAME_INTERNAL_ERROR, call->request_id);
        } else if (result->outcome == WG_OUTCOME_TIMEOUT) {
            wg_log_warn("route %s %s: integration timed out", call->route->key, conn->id);
            send_error_frame(conn, WG_FRAME_TIMED_OUT, call->request_id);
        } else if (call->route->is_two_way && result->body != NULL && result->body_len > 0) {
            send_text(conn, "routeResponse", result->body, result->body_len);
        }
    }
    wg_conn_release(conn);
    free(call);
}

void wg_conn_on_control(void *data, int is_ping, int is_answered, const uint8_t *payload, size_t len)
{
    wg_conn_t *conn = data;
    wg_inspector_note_control(conn->id, "in", is_ping ? "ping" : "pong", payload, len);
    if (is_ping && is_answered)
        wg_inspector_note_control(conn->id, "out", "pong", payload, len);
}

void wg_conn_on_text(void *data, const uint8_t *msg, size_t len)
{
    wg_conn_t *conn = data;
    if (conn->state != CONN_OPEN)
        return;
    wg_conns_t *conns = conn->conns;
    wg_server_t *s = conns->server;
    uint64_t now = wg_clock_now_ms();
    wg_inspector_note_frame(conn->id, "in", NULL, msg, len);
    conn->last_active_at = now;
    h2o_timeout_unlink(&conn->idle_timer);
    h2o_timeout_link(s->loop, &conns->idle_timeout, &conn->idle_timer);

    char *key = wg_route_selector_eval(s->selector, (const char *)msg, len);
    const wg_route_config_t *route = NULL;
    if (key != NULL && strcmp(key, "$connect") != 0 && strcmp(key, "$disconnect") != 0)
        route = wg_config_route(s->config, key);
    if (route == NULL)
        route = wg_config_route(s->config, "$default");
    char request_id[WG_ID_LEN + 1];
    wg_ids_request(s->ids, now, request_id);
    if (route == NULL) {
        if (wg_log_is_verbose())
            wg_log_debug("message %s: no route for '%s' and no $default: Forbidden", conn->id, key ? key : "");
        free(key);
        send_error_frame(conn, WG_FRAME_FORBIDDEN, request_id);
        return;
    }
    free(key);
    /* The connection's share: a client that sends faster than its backend answers gets the
     * throttled answer for the excess, without an event being built or kept. */
    if (conn->num_calls >= WG_LIMIT_CONN_CALLS || conn->call_bytes + len > WG_LIMIT_CONN_CALL_BYTES) {
        conn->num_throttled++;
        log_throttled(conn, "too many of its messages waiting for an answer");
        send_error_frame(conn, WG_FRAME_THROTTLED, request_id);
        return;
    }
    char message_id[WG_ID_LEN + 1];
    wg_ids_message(s->ids, now, conn->id, message_id);
    wg_event_context_t ctx;
    wg_conn_fill_context(conn, &ctx, route->key, request_id, now);
    ctx.message_id = message_id;
    size_t event_len;
    char *event = wg_event_message(&ctx, (const char *)msg, len, &event_len);
    wg_integration_call_t ic = {.context = &ctx, .message = (const char *)msg, .message_len = len};
    conn_call_t *call = wg_conn_new_call(conn, route, request_id);
    call->message_bytes = len;
    conn->num_calls++;
    conn->call_bytes += len;
    wg_conn_invoke(conn, route, event, event_len, call, on_message_done, &ic);
}

/* ---- timers and server-side closes ---------------------------------------------------------- */

void wg_conn_server_close(wg_conn_t *conn, int ws_code, const char *ws_reason, int disconnect_code,
                          const char *disconnect_reason)
{
    if (conn->state != CONN_OPEN || conn->ws == NULL || conn->has_close_override)
        return;
    conn->has_close_override = 1;
    conn->close_code = disconnect_code;
    snprintf(conn->close_reason, sizeof(conn->close_reason), "%s", disconnect_reason);
    wg_inspector_note_server_close(conn->id, ws_code, ws_reason);
    wg_ws_close(conn->ws, ws_code, ws_reason);
}

void wg_conn_on_idle_timeout(h2o_timeout_entry_t *entry)
{
    wg_conn_t *conn = H2O_STRUCT_FROM_MEMBER(wg_conn_t, idle_timer, entry);
    wg_log_info("idle timeout %s", conn->id);
    wg_conn_server_close(conn, 1001, "Going away", 1001, "Going away");
}

void wg_conn_on_hard_timeout(h2o_timeout_entry_t *entry)
{
    wg_conn_t *conn = H2O_STRUCT_FROM_MEMBER(wg_conn_t, hard_timer, entry);
    wg_log_info("maximum connection duration reached %s", conn->id);
    wg_conn_server_close(conn, 1001, "Going away", 1001, "Going away");
}

wg_conn_post_result_t wg_conn_post(wg_conn_t *conn, const void *data, size_t len)
{
    if (conn->state != CONN_OPEN || conn->ws == NULL)
        return WG_CONN_POST_GONE;
    int rv = send_text(conn, "postToConnection", data, len);
    if (rv == WG_WS_QUEUE_FULL)
        return WG_CONN_POST_LIMIT;
    if (rv != WG_WS_SENT)
        return WG_CONN_POST_GONE;
    return WG_CONN_POST_OK;
}

void wg_conn_delete(wg_conn_t *conn)
{
    wg_conn_server_close(conn, 1000, "", 1000, "Connection Closed Normally");
}

void wg_conn_force_close(wg_conn_t *conn, int code, const char *reason)
{
    wg_conn_server_close(conn, code, reason, code, reason);
}

void wg_conn_drop(wg_conn_t *conn)
{
    if (conn->state == CONN_OPEN && conn->ws != NULL)
        wg_ws_abort(conn->ws);
}

/* Re-files a timer entry as if it had been armed `ms` earlier. h2o's timeout queues are sorted by
 * registration time and fire from the front, so the entry is moved to keep that order. */
static void advance_entry(h2o_timeout_t *timeout, h2o_timeout_entry_t *entry, uint64_t ms)
{
    if (!h2o_timeout_is_linked(entry))
        return;
    uint64_t at = entry->registered_at > ms ? entry->registered_at - ms : 0;
    h2o_timeout_unlink(entry);
    entry->registered_at = at;
    h2o_linklist_t *pos = timeout->_entries.next;
    while (pos != &timeout->_entries && H2O_STRUCT_FROM_MEMBER(h2o_timeout_entry_t, _link, pos)->registered_at <= at)
        pos = pos->next;
    h2o_linklist_insert(pos, &entry->_link);
}

void wg_conn_advance_timers(wg_conn_t *conn, uint64_t ms)
{
    if (conn->state != CONN_OPEN)
        return;
    advance_entry(&conn->conns->idle_timeout, &conn->idle_timer, ms);
    advance_entry(&conn->conns->hard_timeout, &conn->hard_timer, ms);
}

void wg_conn_inject_text(wg_conn_t *conn, const void *msg, size_t len)
{
    wg_conn_on_text(conn, msg, len);
}
