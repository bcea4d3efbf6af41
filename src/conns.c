/*
 * conns.c: the connection registry and lifecycle (see conns.h).
 *
 * AWS behaviour reproduced here, with the spec section:
 * - $connect waits for its integration before the 101; a non-2xx status rejects the handshake with
 *   that status and no socket; a failing integration gives 502, a timed-out one 504 (4; 504 is our
 *   choice, AWS's status is not documented). Without a $connect route every handshake is accepted.
 * - Messages are routed by the route selection expression, falling back to $default; with no
 *   $default the client gets the Forbidden error frame and stays connected (5).
 * - $disconnect is sent after the socket has closed, with AWS's code and reason (1.9): the client's
 *   own code and reason; 1005 "Client-side close frame status not set" for a close without code;
 *   1000 "Connection Closed Normally" after DeleteConnection; 1001 "Going away" on the idle timeout.
 *   Not documented by AWS, chosen here: 1006 "" after a TCP loss, 1001 "Going away" at the maximum
 *   connection duration, and for 1003/1007/1009 closes the code and reason we sent.
 * - Only client data frames reset the idle timer and lastActiveAt (AWS's rule for pings and for
 *   PostToConnection is not documented).
 */
#include "conns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "authorizer.h"
#include "budget.h"
#include "events.h"
#include "headers.h"
#include "inspector.h"
#include "integration.h"
#include "limits.h"
#include "log.h"
#include "recorder.h"
#include "routes.h"
#include "ws.h"

typedef enum conn_state {
    CONN_CONNECTING, /* $connect in progress: invisible to the management API */
    CONN_OPEN,
    CONN_CLOSED,
} conn_state_t;

struct wg_conn {
    wg_conns_t *conns;
    wg_conn_t *hash_next;
    char id[WG_ID_LEN + 1];
    conn_state_t state;
    unsigned refs;
    wg_ws_t *ws;
    h2o_req_t *handshake_req; /* while CONNECTING; cleared when h2o frees the request */
    wg_conn_t **handshake_slot; /* the request-pool slot that points back at us */
    char client_key[25];
    wg_header_t *handshake_headers; /* point into handshake_req: valid while it is */
    size_t num_handshake_headers;
    char handshake_request_id[WG_ID_LEN + 1];
    char handshake_trace_id[WG_TRACE_ID_LEN + 1];
    uint64_t handshake_time;
    char *authorizer_json; /* requestContext.authorizer for every event, from the authorizer */
    char *identity_json; /* extra identity members (IAM), from the authorizer */
    uint64_t connected_at;
    uint64_t last_active_at;
    char source_ip[64];
    char *user_agent;
    char *host;
    h2o_timeout_entry_t idle_timer;
    h2o_timeout_entry_t hard_timer;
    /* --test-control: what was sent to the client, oldest first, capped */
    wg_conn_sent_t *sent_head, *sent_tail;
    size_t sent_count, sent_bytes;
    /* message calls not answered yet (waiting for a slot or in flight), and their event bytes:
     * capped by WG_LIMIT_CONN_CALLS / WG_LIMIT_CONN_CALL_BYTES */
    size_t num_calls, call_bytes;
    size_t num_throttled; /* messages answered "Too Many Requests" */
    /* set when we close: what $disconnect reports */
    int has_close_override;
    int close_code;
    char close_reason[124]; /* a close reason is at most 123 bytes (RFC 6455 5.5) */
};

struct wg_conns {
    wg_server_t *server;
    wg_conn_t **buckets;
    size_t num_buckets;
    size_t num_registered; /* CONNECTING + OPEN */
    size_t num_open;
    size_t num_alive; /* allocated, any state */
    size_t alive_high_water; /* most alive since the heap was last trimmed */
    int needs_final_trim; /* a mass-close trim happened; trim again once none is left */
    h2o_timeout_t idle_timeout;
    h2o_timeout_t hard_timeout;
    /* throttled messages are logged at most once a second, with a count (a flood must not flood
     * the log) */
    uint64_t throttle_logged_at;
    size_t throttled_unlogged;
    size_t num_recorded; /* --record: events recorded so far (WG_LIMIT_RECORD_FILES at most) */
    int is_iterating; /* walking the buckets: they must not be resized */
};

/* ---- registry ------------------------------------------------------------------------------- */

#define REGISTRY_MIN_BUCKETS 1024

static void registry_resize(wg_conns_t *conns, size_t n);

static size_t hash_id(const char *id)
{
    size_t h = 14695981039346656037ULL;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 1099511628211ULL;
    return h;
}

static wg_conn_t *registry_find(wg_conns_t *conns, const char *id)
{
    for (wg_conn_t *c = conns->buckets[hash_id(id) & (conns->num_buckets - 1)]; c != NULL; c = c->hash_next)
        if (strcmp(c->id, id) == 0)
            return c;
    return NULL;
}

static void registry_add(wg_conns_t *conns, wg_conn_t *conn)
{
    if (conns->num_registered + 1 > conns->num_buckets)
        registry_resize(conns, conns->num_buckets * 2);
    size_t b = hash_id(conn->id) & (conns->num_buckets - 1);
    conn->hash_next = conns->buckets[b];
    conns->buckets[b] = conn;
    conns->num_registered++;
}

/* Rehashes into `n` buckets (a power of two). */
static void registry_resize(wg_conns_t *conns, size_t n)
{
    wg_conn_t **buckets = calloc(n, sizeof(*buckets));
    if (buckets == NULL)
        abort();
    for (size_t i = 0; i < conns->num_buckets; i++) {
        wg_conn_t *c = conns->buckets[i];
        while (c != NULL) {
            wg_conn_t *next = c->hash_next;
            size_t b = hash_id(c->id) & (n - 1);
            c->hash_next = buckets[b];
            buckets[b] = c;
            c = next;
        }
    }
    free(conns->buckets);
    conns->buckets = buckets;
    conns->num_buckets = n;
}

static void registry_remove(wg_conns_t *conns, wg_conn_t *conn)
{
    wg_conn_t **p = &conns->buckets[hash_id(conn->id) & (conns->num_buckets - 1)];
    for (; *p != NULL; p = &(*p)->hash_next) {
        if (*p == conn) {
            *p = conn->hash_next;
            conn->hash_next = NULL;
            conns->num_registered--;
            /* after a mass departure the table shrinks back (it grew with the connections) */
            if (conns->num_buckets > REGISTRY_MIN_BUCKETS && conns->num_registered * 8 < conns->num_buckets &&
                !conns->is_iterating)
                registry_resize(conns, conns->num_buckets / 2);
            return;
        }
    }
}

/* ---- lifetime ------------------------------------------------------------------------------- */

static void conn_retain(wg_conn_t *conn)
{
    conn->refs++;
}

/* After a mass departure (e.g. 19,000 clients leaving at once) glibc keeps the freed heap: give it
 * back once three quarters of the connections seen since the last trim are gone. */
static void maybe_trim_heap(wg_conns_t *conns)
{
#ifdef __GLIBC__
    if (conns->alive_high_water >= 1024 && conns->num_alive * 4 <= conns->alive_high_water) {
        malloc_trim(0);
        conns->alive_high_water = conns->num_alive;
        conns->needs_final_trim = 1;
    } else if (conns->num_alive == 0 && conns->needs_final_trim) {
        /* the last of them is gone: what the earlier trims could not return (fragments between
         * connections that were still alive) can go now */
        malloc_trim(0);
        conns->needs_final_trim = 0;
    }
#else
    (void)conns;
#endif
}

static void conn_release(wg_conn_t *conn)
{
    if (--conn->refs > 0)
        return;
    conn->conns->num_alive--;
    maybe_trim_heap(conn->conns);
    free(conn->user_agent);
    free(conn->host);
    free(conn->authorizer_json);
    free(conn->identity_json);
    free(conn->handshake_headers);
    while (conn->sent_head != NULL) {
        wg_conn_sent_t *next = conn->sent_head->next;
        free(conn->sent_head);
        conn->sent_head = next;
    }
    free(conn);
}

/* Leaves OPEN/CONNECTING for good: unregistered, timers stopped. */
static void conn_detach(wg_conn_t *conn)
{
    if (conn->state == CONN_CLOSED)
        return;
    if (conn->state == CONN_OPEN)
        conn->conns->num_open--;
    conn->state = CONN_CLOSED;
    registry_remove(conn->conns, conn);
    if (h2o_timeout_is_linked(&conn->idle_timer))
        h2o_timeout_unlink(&conn->idle_timer);
    if (h2o_timeout_is_linked(&conn->hard_timer))
        h2o_timeout_unlink(&conn->hard_timer);
}

/* ---- events --------------------------------------------------------------------------------- */

static void fill_context(wg_conn_t *conn, wg_event_context_t *ctx, const char *route_key, const char *request_id,
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

typedef struct conn_call {
    wg_conn_t *conn;
    const wg_route_config_t *route;
    size_t message_bytes; /* a message call: what it counts against the connection's cap */
    char request_id[WG_ID_LEN + 1];
    char *recorded_event; /* a copy of the event, only with --record */
    size_t recorded_event_len;
    unsigned recorded_seq;
} conn_call_t;

static conn_call_t *new_call(wg_conn_t *conn, const wg_route_config_t *route, const char *request_id)
{
    conn_call_t *call = malloc(sizeof(*call));
    if (call == NULL)
        abort();
    conn_retain(conn);
    call->conn = conn;
    call->route = route;
    memcpy(call->request_id, request_id, sizeof(call->request_id));
    call->recorded_event = NULL;
    call->recorded_event_len = 0;
    call->message_bytes = 0;
    return call;
}

/* --record: the event and the backend's answer, as a fixture file `wsgate replay` accepts. */
static void record_call(conn_call_t *call, const wg_integration_result_t *result)
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

/* Names whose values never reach the log: credentials a client may send on the handshake. */
static int is_secret_name(const char *name)
{
    static const char *const secrets[] = {"authorization",        "cookie",          "x-api-key",
                                          "x-amz-security-token", "x-amz-signature", "x-amz-credential",
                                          "proxy-authorization"};
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
        if (strcasecmp(name, secrets[i]) == 0)
            return 1;
    return 0;
}

static void redact_map(json_t *map)
{
    const char *name;
    json_t *value;
    json_object_foreach(map, name, value) {
        if (!is_secret_name(name))
            continue;
        if (json_is_array(value)) {
            size_t i;
            json_t *item;
            json_array_foreach(value, i, item)
                json_array_set_new(value, i, json_string("(redacted)"));
        } else {
            json_object_set_new(map, name, json_string("(redacted)"));
        }
    }
}

/* --verbose: the event as sent, with credentials (Authorization, presigned query parts, cookies,
 * API keys) replaced, so that secrets are never logged. */
static void log_event(const char *route_key, const char *connection_id, const char *event, size_t event_len)
{
    json_t *doc = json_loadb(event, event_len, 0, NULL);
    if (doc == NULL)
        return;
    static const char *const maps[] = {"headers", "multiValueHeaders", "queryStringParameters",
                                       "multiValueQueryStringParameters"};
    for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
        redact_map(json_object_get(doc, maps[i]));
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
static void invoke(wg_conn_t *conn, const wg_route_config_t *route, char *event, size_t event_len, conn_call_t *call,
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

/* Keeps a copy of what was sent, for the test-control API (bounded: oldest dropped first). */
static void remember_sent(wg_conn_t *conn, const char *source, const void *data, size_t len)
{
    if (!conn->conns->server->config->has_test_control)
        return;
    wg_conn_sent_t *m = malloc(sizeof(*m) + len);
    if (m == NULL)
        abort();
    m->next = NULL;
    m->at_ms = wg_now_ms();
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
    size_t n = wg_error_frame(message, conn->id, request_id, frame, sizeof(frame));
    send_text(conn, "errorFrame", frame, n);
}

/* ---- $disconnect ---------------------------------------------------------------------------- */

static void on_disconnect_done(void *data, const wg_integration_result_t *result)
{
    conn_call_t *call = data;
    record_call(call, result);
    if (result->outcome != WG_OUTCOME_OK)
        wg_log_warn("$disconnect %s: integration %s (%s)", call->conn->id,
                    result->outcome == WG_OUTCOME_TIMEOUT ? "timed out" : "failed", result->error ? result->error : "");
    conn_release(call->conn);
    free(call);
}

static void send_disconnect(wg_conn_t *conn, int code, const char *reason)
{
    wg_server_t *s = conn->conns->server;
    const wg_route_config_t *route = wg_config_route(s->config, "$disconnect");
    if (route == NULL)
        return;
    uint64_t now = wg_now_ms();
    char request_id[WG_ID_LEN + 1];
    wg_ids_request(s->ids, now, request_id);
    wg_event_context_t ctx;
    fill_context(conn, &ctx, "$disconnect", request_id, now);
    ctx.disconnect_status_code = code;
    ctx.disconnect_reason = reason;
    size_t len;
    char *event = wg_event_disconnect(&ctx, conn->host, &len);
    wg_integration_call_t ic = {.context = &ctx};
    invoke(conn, route, event, len, new_call(conn, route, request_id), on_disconnect_done, &ic);
}

static void on_ws_closed(void *data, const wg_ws_close_info_t *info)
{
    wg_conn_t *conn = data;
    conn->ws = NULL;
    conn_detach(conn);
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
    conn_release(conn); /* the socket's reference */
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
    record_call(call, result);
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
    conn_release(conn);
    free(call);
}

static void on_ws_text(void *data, const uint8_t *msg, size_t len)
{
    wg_conn_t *conn = data;
    if (conn->state != CONN_OPEN)
        return;
    wg_conns_t *conns = conn->conns;
    wg_server_t *s = conns->server;
    uint64_t now = wg_now_ms();
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
    fill_context(conn, &ctx, route->key, request_id, now);
    ctx.message_id = message_id;
    size_t event_len;
    char *event = wg_event_message(&ctx, (const char *)msg, len, &event_len);
    wg_integration_call_t ic = {.context = &ctx, .message = (const char *)msg, .message_len = len};
    conn_call_t *call = new_call(conn, route, request_id);
    call->message_bytes = len;
    conn->num_calls++;
    conn->call_bytes += len;
    invoke(conn, route, event, event_len, call, on_message_done, &ic);
}

/* ---- timers and server-side closes ---------------------------------------------------------- */

static void server_close(wg_conn_t *conn, int ws_code, const char *ws_reason, int disconnect_code,
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

static void on_idle_timeout(h2o_timeout_entry_t *entry)
{
    wg_conn_t *conn = H2O_STRUCT_FROM_MEMBER(wg_conn_t, idle_timer, entry);
    wg_log_info("idle timeout %s", conn->id);
    server_close(conn, 1001, "Going away", 1001, "Going away");
}

static void on_hard_timeout(h2o_timeout_entry_t *entry)
{
    wg_conn_t *conn = H2O_STRUCT_FROM_MEMBER(wg_conn_t, hard_timer, entry);
    wg_log_info("maximum connection duration reached %s", conn->id);
    server_close(conn, 1001, "Going away", 1001, "Going away");
}

/* ---- handshake ------------------------------------------------------------------------------ */

static const wg_ws_callbacks_t ws_callbacks = {on_ws_text, on_ws_closed};

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
static int is_reserved_101_header(const char *name)
{
    static const char *const reserved[] = {
        "connection",        "upgrade", "sec-websocket-accept",  "sec-websocket-extensions", "content-length",
        "transfer-encoding", "date",    "sec-websocket-protocol"};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcasecmp(name, reserved[i]) == 0)
            return 1;
    return 0;
}

/* `response_headers`: the $connect proxy result's headers, put on the 101 as AWS does (spec 4). */
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
    conn_detach(conn);
    /* AWS's body on a rejected handshake is not documented; we send none. */
    wg_server_respond(req, status, NULL, NULL, 0);
    conn_release(conn); /* the handshake's reference */
}

static void on_connect_done(void *data, const wg_integration_result_t *result)
{
    conn_call_t *call = data;
    wg_conn_t *conn = call->conn;
    record_call(call, result);
    free(call);
    conn->refs--; /* the call's reference: the handshake still holds one, so this never frees */
    if (conn->handshake_req == NULL) {
        /* h2o dropped the request (server shutting down): nothing to answer */
        conn_detach(conn);
        conn_release(conn); /* the handshake's reference */
    } else if (conn->conns->server->is_shutting_down) {
        reject_connection(conn, 503, "shutting down");
    } else if (result->outcome == WG_OUTCOME_ERROR) {
        reject_connection(conn, 502, result->error ? result->error : "integration failed");
    } else if (result->outcome == WG_OUTCOME_TIMEOUT) {
        reject_connection(conn, 504, "integration timed out");
    } else if (result->outcome == WG_OUTCOME_THROTTLED) {
        /* [I] inferred: as for --connect-rate-limit, 429 (AWS's status for a throttled $connect is
         * not documented) */
        reject_connection(conn, 429, "too many calls waiting for backends");
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
    fill_context(conn, &ctx, "$connect", conn->handshake_request_id, conn->handshake_time);
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
    invoke(conn, route, event, event_len, new_call(conn, route, conn->handshake_request_id), on_connect_done, &ic);
}

static void on_authorized(void *data, wg_auth_decision_t *decision)
{
    wg_conn_t *conn = data;
    conn->refs--; /* the authorization's reference: the handshake still holds one */
    wg_inspector_note_auth(conn->id, decision);
    if (conn->handshake_req == NULL) {
        free(decision->authorizer_json);
        free(decision->identity_json);
        conn_detach(conn);
        conn_release(conn);
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
    conn->idle_timer.cb = on_idle_timeout;
    conn->hard_timer.cb = on_hard_timeout;
    memcpy(conn->client_key, client_key, 24);
    uint64_t now = wg_now_ms();
    conn->connected_at = now;
    conn->handshake_time = now;
    do {
        wg_ids_connection(s->ids, now, conn->id);
    } while (registry_find(conns, conn->id) != NULL);
    registry_add(conns, conn);
    /* The authorizer and the $connect integration see the same request, so the same requestId. */
    wg_ids_request(s->ids, now, conn->handshake_request_id);
    wg_ids_trace_id(s->ids, now, conn->handshake_trace_id);
    wg_ws_peer_ip(req, conn->source_ip, sizeof(conn->source_ip));
    conn->host = s->domain_name[0] != '\0' ? h2o_strdup(NULL, s->domain_name, SIZE_MAX).base
                                           : h2o_strdup(NULL, req->authority.base, req->authority.len).base;

    size_t num_headers;
    wg_header_t *headers = wg_server_request_headers(req, &num_headers);
    conn->handshake_headers = headers;
    conn->num_handshake_headers = num_headers;
    const wg_header_t *ua = wg_headers_find(headers, num_headers, "user-agent");
    if (ua != NULL)
        conn->user_agent = h2o_strdup(NULL, ua->value, ua->value_len).base;

    conn->handshake_req = req;
    conn->handshake_slot = h2o_mem_alloc_shared(&req->pool, sizeof(wg_conn_t *), on_handshake_req_dispose);
    *conn->handshake_slot = conn;

    wg_event_context_t ctx;
    fill_context(conn, &ctx, "$connect", conn->handshake_request_id, now);
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
    conn_retain(conn); /* for the authorization */
    wg_authorize_connect(s, &creq, on_authorized, conn);
}

/* ---- public --------------------------------------------------------------------------------- */

wg_conns_t *wg_conns_new(wg_server_t *server)
{
    wg_conns_t *conns = calloc(1, sizeof(*conns));
    if (conns == NULL)
        abort();
    conns->server = server;
    conns->num_buckets = REGISTRY_MIN_BUCKETS;
    conns->buckets = calloc(conns->num_buckets, sizeof(*conns->buckets));
    if (conns->buckets == NULL)
        abort();
    h2o_timeout_init(server->loop, &conns->idle_timeout, server->config->idle_timeout_ms);
    h2o_timeout_init(server->loop, &conns->hard_timeout, server->config->hard_timeout_ms);
    return conns;
}

void wg_conns_free(wg_conns_t *conns)
{
    h2o_timeout_dispose(conns->server->loop, &conns->idle_timeout);
    h2o_timeout_dispose(conns->server->loop, &conns->hard_timeout);
    free(conns->buckets);
    free(conns);
}

wg_conn_t *wg_conns_find_open(wg_conns_t *conns, const char *id)
{
    wg_conn_t *c = registry_find(conns, id);
    return c != NULL && c->state == CONN_OPEN && c->ws != NULL && !wg_ws_is_closing(c->ws) ? c : NULL;
}

size_t wg_conns_count_open(const wg_conns_t *conns)
{
    return conns->num_open;
}

size_t wg_conns_count_alive(const wg_conns_t *conns)
{
    return conns->num_alive;
}

void wg_conns_foreach_open(wg_conns_t *conns, void (*fn)(wg_conn_t *conn, void *arg), void *arg)
{
    for (size_t i = 0; i < conns->num_buckets; i++)
        for (wg_conn_t *c = conns->buckets[i]; c != NULL; c = c->hash_next)
            if (c->state == CONN_OPEN && c->ws != NULL && !wg_ws_is_closing(c->ws))
                fn(c, arg);
}

void wg_conns_close_all(wg_conns_t *conns, int code, const char *reason)
{
    /* Shutdown: messages still waiting for a backend are dropped first (they would only delay the
     * $disconnect calls, which are served first anyway and never dropped). */
    if (conns->server->budget != NULL)
        wg_budget_drop_waiting(conns->server->budget);
    conns->is_iterating = 1;
    for (size_t i = 0; i < conns->num_buckets; i++) {
        wg_conn_t *c = conns->buckets[i];
        while (c != NULL) {
            wg_conn_t *next = c->hash_next;
            server_close(c, code, reason, code, reason);
            c = next;
        }
    }
    conns->is_iterating = 0;
}

int wg_conn_post(wg_conn_t *conn, const void *data, size_t len)
{
    if (conn->state != CONN_OPEN || conn->ws == NULL)
        return WG_POST_GONE;
    int rv = send_text(conn, "postToConnection", data, len);
    if (rv == WG_WS_QUEUE_FULL)
        return WG_POST_LIMIT;
    if (rv != WG_WS_SENT)
        return WG_POST_GONE;
    return WG_POST_OK;
}

void wg_conn_delete(wg_conn_t *conn)
{
    server_close(conn, 1000, "", 1000, "Connection Closed Normally");
}

void wg_conn_force_close(wg_conn_t *conn, int code, const char *reason)
{
    server_close(conn, code, reason, code, reason);
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

const wg_conn_sent_t *wg_conn_sent_messages(const wg_conn_t *conn)
{
    return conn->sent_head;
}

const char *wg_conn_id(const wg_conn_t *conn)
{
    return conn->id;
}

uint64_t wg_conn_connected_at(const wg_conn_t *conn)
{
    return conn->connected_at;
}

uint64_t wg_conn_last_active_at(const wg_conn_t *conn)
{
    return conn->last_active_at;
}

const char *wg_conn_source_ip(const wg_conn_t *conn)
{
    return conn->source_ip;
}

const char *wg_conn_user_agent(const wg_conn_t *conn)
{
    return conn->user_agent;
}

void wg_conn_inject_text(wg_conn_t *conn, const void *msg, size_t len)
{
    on_ws_text(conn, msg, len);
}
