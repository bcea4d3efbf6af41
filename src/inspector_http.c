/*
 * inspector_http.c: the inspector's page, event stream and actions (see inspector_http.h).
 *
 * The event stream is a long-lived chunked response driven by an h2o generator: each watcher keeps
 * only a cursor into the ring (the seq it sends next) and at most one chunk in flight, so a slow
 * page costs one chunk of memory and, if it falls behind by more than the ring holds, gets a "gap"
 * event instead of unbounded buffering.
 *
 * Live entries are rate-capped per page (WG_LIMIT_INSPECTOR_LIVE_PER_S): under a flood a page gets
 * the newest entries and one "thinned" event per flush naming the seqs it skipped, which stay in the
 * ring for GET /_wsgate/api/entries (the page fetches them when its user pauses).
 */
#include "inspector_http.h"

#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <jansson.h>

#include "buf.h"
#include "clock.h"
#include "conns.h"
#include "errors.h"
#include "http_reply.h"
#include "integration.h"
#include "limits.h"
#include "log.h"
#include "mgmt_api.h"
#include "recorder.h"
#include "urlcodec.h"

/* ---- responses ------------------------------------------------------------------------------- */

/* Every inspector response: no inline script, nothing from elsewhere, not framed, not cached. */
static void add_security_headers(h2o_req_t *req)
{
    static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                              "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("content-security-policy"), 0, NULL, csp,
                          sizeof(csp) - 1);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"), 0, NULL,
                          H2O_STRLIT("nosniff"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("referrer-policy"), 0, NULL,
                          H2O_STRLIT("no-referrer"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("cache-control"), 0, NULL, H2O_STRLIT("no-store"));
}

static void respond_json(h2o_req_t *req, int status, json_t *doc)
{
    add_security_headers(req);
    wg_http_reply_json(req, status, doc);
}

static void respond_message(h2o_req_t *req, int status, const char *message)
{
    json_t *doc = json_object();
    json_object_set_new(doc, "message", json_string(message));
    respond_json(req, status, doc);
}

static int starts_with(const char *p, size_t len, const char *lit, size_t lit_len)
{
    return len >= lit_len && memcmp(p, lit, lit_len) == 0;
}

int wg_inspector_http_owns(const char *path, size_t len)
{
    return (len == 8 && memcmp(path, "/_wsgate", 8) == 0) || (len == 9 && memcmp(path, "/_wsgate/", 9) == 0) ||
           starts_with(path, len, H2O_STRLIT("/_wsgate/assets/")) ||
           starts_with(path, len, H2O_STRLIT("/_wsgate/api/"));
}

static void send_asset(h2o_req_t *req, const char *name, size_t name_len)
{
    for (size_t i = 0; i < wg_inspector_num_assets; i++) {
        const wg_inspector_asset_t *a = &wg_inspector_assets[i];
        if (strlen(a->name) == name_len && memcmp(a->name, name, name_len) == 0) {
            add_security_headers(req);
            wg_http_reply_send(req, 200, a->content_type, (const char *)a->data, a->len);
            return;
        }
    }
    respond_message(req, 404, "no such inspector file");
}

/* ---- the event stream ------------------------------------------------------------------------ */

typedef struct watcher {
    h2o_generator_t super;
    h2o_req_t *req;
    uint64_t next_seq;
    wg_buf_t out; /* the chunk h2o is writing while is_sending; its memory is reused */
    int is_sending;
    int is_new;
    int wants_heartbeat;
    int is_held; /* ?hold=1: a hidden page keeps recording on but is sent nothing until it resumes */
    int is_due; /* a flush came: the budget is fresh and what is over it may be thinned */
    uint64_t live_from; /* the ring's next seq when the page opened: older entries are its history */
    wg_inspector_pace_t pace; /* the live entries it may be sent (WG_LIMIT_INSPECTOR_LIVE_PER_S) */
    uint64_t thinned_at; /* when its stream was last thinned (loop ms; 0: never) */
    h2o_linklist_t link;
} watcher_t;

static h2o_linklist_t watchers = {&watchers, &watchers};
static h2o_timeout_t heartbeat_timeout;
static h2o_timeout_entry_t heartbeat_entry;
static int has_heartbeat_timeout;
static h2o_evloop_t *heartbeat_loop;
static void wake(void);

/* Everything the page has not read yet, up to one chunk and its live budget, in one write (a held
 * page: nothing but the stream's first line and heartbeats). On a flush, live entries over the
 * budget are skipped, oldest first, and named in one "thinned" event. */
static void pump(watcher_t *w)
{
    if (w->is_sending)
        return;
    int is_flush = w->is_due;
    w->is_due = 0;
    wg_inspector_ring_t *ring = wg_inspector_ring();
    wg_buf_t *c = &w->out;
    wg_buf_reset(c);
    if (w->is_new) {
        wg_buf_append(c, H2O_STRLIT("retry: 2000\n\n"));
        w->is_new = 0;
    }
    uint64_t oldest = wg_inspector_ring_oldest_seq(ring), next = wg_inspector_ring_next_seq(ring);
    uint64_t skip =
        w->is_held || !is_flush ? 0 : wg_inspector_thin_skip(w->next_seq, oldest, next, w->live_from, w->pace.budget);
    if (skip > 0) {
        wg_buf_appendf(c, "event: thinned\ndata: {\"from\":%llu,\"to\":%llu,\"skipped\":%llu}\n\n",
                       (unsigned long long)w->next_seq, (unsigned long long)(w->next_seq + skip),
                       (unsigned long long)skip);
        w->next_seq += skip;
        w->thinned_at = h2o_now(heartbeat_loop);
    }
    if (!w->is_held && w->next_seq < oldest) {
        /* entries this page never saw were dropped (it was too slow, or it resumes from long ago) */
        if (w->next_seq > 0)
            wg_buf_appendf(c, "event: gap\ndata: {\"from\":%llu,\"to\":%llu}\n\n", (unsigned long long)w->next_seq,
                           (unsigned long long)oldest);
        w->next_seq = oldest;
    }
    while (!w->is_held && w->next_seq < next && c->len < WG_LIMIT_INSPECTOR_CHUNK_BYTES &&
           (w->next_seq < w->live_from || w->pace.budget > 0)) {
        const wg_inspector_entry_t *e = wg_inspector_ring_get(ring, w->next_seq);
        /* "id: SEQ\ndata: ENTRY\n\n", written in place (one reserve; this runs for every entry) */
        char digits[20];
        size_t n = 0;
        for (uint64_t v = w->next_seq; n == 0 || v != 0; v /= 10)
            digits[sizeof(digits) - 1 - n++] = (char)('0' + v % 10);
        wg_buf_reserve(c, 4 + n + 7 + e->len + 2);
        char *o = c->data + c->len;
        memcpy(o, "id: ", 4);
        memcpy(o + 4, digits + sizeof(digits) - n, n);
        memcpy(o + 4 + n, "\ndata: ", 7);
        memcpy(o + 11 + n, e->text, e->len);
        memcpy(o + 11 + n + e->len, "\n\n", 2);
        c->len += 13 + n + e->len;
        c->data[c->len] = '\0';
        if (w->next_seq++ >= w->live_from)
            w->pace.budget--;
    }
    if (!w->is_held && w->next_seq < next && w->pace.budget == 0)
        wake(); /* over the budget: the rest goes (or is thinned) on the next flush */
    if (w->wants_heartbeat) {
        wg_buf_append(c, H2O_STRLIT(": keep-alive\n\n"));
        w->wants_heartbeat = 0;
    }
    if (c->len == 0)
        return;
    w->is_sending = 1;
    h2o_iovec_t buf = h2o_iovec_init(c->data, c->len);
    h2o_send(w->req, &buf, 1, H2O_SEND_STATE_IN_PROGRESS);
}

/* New entries are streamed WG_LIMIT_INSPECTOR_FLUSH_MS after the first of them, all in one write per
 * page: under load that is a few dozen writes a second instead of one per loop turn (each a
 * loopback TCP send that wakes the page), and no page shows a change faster than that anyway. */
static h2o_timeout_entry_t wake_entry;
static h2o_timeout_t flush_timeout;
static h2o_timeout_t *wake_timeout; /* &flush_timeout once a page has opened */

static void on_wake(h2o_timeout_entry_t *entry)
{
    uint64_t now = h2o_now(heartbeat_loop);
    int is_deferred = 0;
    for (h2o_linklist_t *l = watchers.next; l != &watchers; l = l->next) {
        watcher_t *w = H2O_STRUCT_FROM_MEMBER(watcher_t, link, l);
        /* a thinned page is flushed less often: one write and one "thinned" event per
         * WG_LIMIT_INSPECTOR_THINNED_FLUSH_MS instead of per flush (the browser wakes for each) */
        if (w->thinned_at != 0 && now - w->thinned_at < WG_LIMIT_INSPECTOR_THINNED_FLUSH_MS) {
            is_deferred = 1;
            continue;
        }
        /* a page still writing the last chunk thins when it is done (pump on proceed) */
        wg_inspector_pace_refill(&w->pace, now, WG_LIMIT_INSPECTOR_LIVE_PER_S, WG_LIMIT_INSPECTOR_LIVE_BURST);
        w->is_due = 1;
        pump(w);
    }
    if (is_deferred)
        wake(); /* its entries wait for the next flush */
}

static void wake(void)
{
    if (wake_timeout != NULL && !h2o_timeout_is_linked(&wake_entry))
        h2o_timeout_link(heartbeat_loop, wake_timeout, &wake_entry);
}

static void on_heartbeat(h2o_timeout_entry_t *entry)
{
    for (h2o_linklist_t *l = watchers.next; l != &watchers; l = l->next) {
        watcher_t *w = H2O_STRUCT_FROM_MEMBER(watcher_t, link, l);
        w->wants_heartbeat = 1;
        pump(w);
    }
    if (!h2o_linklist_is_empty(&watchers))
        h2o_timeout_link(heartbeat_loop, &heartbeat_timeout, entry);
}

static void on_watcher_proceed(h2o_generator_t *self, h2o_req_t *req)
{
    watcher_t *w = (watcher_t *)self;
    w->is_sending = 0;
    if (w->out.cap > 2 * WG_LIMIT_INSPECTOR_CHUNK_BYTES)
        wg_buf_free(&w->out); /* one big entry passed: do not keep its memory */
    pump(w);
}

static void on_watcher_stop(h2o_generator_t *self, h2o_req_t *req)
{
    watcher_t *w = (watcher_t *)self;
    wg_buf_free(&w->out);
    h2o_linklist_unlink(&w->link);
    if (--wg_inspector_watchers == 0) {
        wg_log_info("inspector: no page open; recording stopped");
        if (h2o_timeout_is_linked(&heartbeat_entry))
            h2o_timeout_unlink(&heartbeat_entry);
    }
}

static uint64_t parse_seq(const char *p, size_t len)
{
    uint64_t v = 0;
    for (size_t i = 0; i < len && p[i] >= '0' && p[i] <= '9' && v < UINT64_MAX / 10 - 10; i++)
        v = v * 10 + (uint64_t)(p[i] - '0');
    return v;
}

static void start_stream(wg_server_t *server, h2o_req_t *req)
{
    if (wg_inspector_watchers >= WG_LIMIT_INSPECTOR_WATCHERS) {
        respond_message(req, 503, "too many inspector pages open");
        return;
    }
    watcher_t *w = h2o_mem_alloc_pool(&req->pool, sizeof(*w));
    memset(w, 0, sizeof(*w));
    w->super.proceed = on_watcher_proceed;
    w->super.stop = on_watcher_stop;
    w->req = req;
    w->is_new = 1;
    /* resume after the last entry this page saw */
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("last-event-id"), -1);
    if (i >= 0) {
        w->next_seq = parse_seq(req->headers.entries[i].value.base, req->headers.entries[i].value.len) + 1;
    }
    if (req->query_at != SIZE_MAX) {
        wg_query_t query;
        wg_urlcodec_query_parse(req->path.base + req->query_at + 1, req->path.len - req->query_at - 1, &query);
        for (size_t k = 0; k < query.count; k++) {
            const wg_query_param_t *p = &query.params[k];
            if (i < 0 && strcmp(p->name, "since") == 0)
                w->next_seq = parse_seq(p->value, strlen(p->value)) + 1;
            else if (strcmp(p->name, "hold") == 0 && strcmp(p->value, "1") == 0)
                w->is_held = 1;
        }
        wg_urlcodec_query_free(&query);
    }
    req->res.status = 200;
    req->res.reason = "OK";
    add_security_headers(req);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("text/event-stream; charset=utf-8"));
    w->live_from = wg_inspector_ring_next_seq(wg_inspector_ring());
    w->pace.budget = WG_LIMIT_INSPECTOR_LIVE_BURST;
    w->pace.at_ms = h2o_now(server->loop);
    h2o_start_response(req, &w->super);
    h2o_linklist_insert(&watchers, &w->link);
    if (wg_inspector_watchers++ == 0)
        wg_log_info("inspector: a page is open; recording");
    if (!has_heartbeat_timeout) {
        h2o_timeout_init(server->loop, &heartbeat_timeout, WG_LIMIT_INSPECTOR_HEARTBEAT_MS);
        heartbeat_entry.cb = on_heartbeat;
        heartbeat_loop = server->loop;
        wake_entry.cb = on_wake;
        h2o_timeout_init(server->loop, &flush_timeout, WG_LIMIT_INSPECTOR_FLUSH_MS);
        wake_timeout = &flush_timeout;
        wg_inspector_set_wake(wake);
        has_heartbeat_timeout = 1;
    }
    if (!h2o_timeout_is_linked(&heartbeat_entry))
        h2o_timeout_link(server->loop, &heartbeat_timeout, &heartbeat_entry);
    pump(w);
}

/* ---- entries from the ring ------------------------------------------------------------------- */

/* GET /_wsgate/api/entries?from=SEQ&to=SEQ (or ?last=N, the newest N): the kept entries of that
 * range as {"oldest", "nextSeq", "from", "to", "entries": [...]}, where [from, to) is what the answer
 * holds (to < the asked end when it reached WG_LIMIT_INSPECTOR_FETCH_BYTES: ask again from `to`).
 * What a page fetches after thinning; the entries are the ring's texts, written as they are kept. */
static void send_entries(h2o_req_t *req)
{
    wg_inspector_ring_t *ring = wg_inspector_ring();
    uint64_t oldest = wg_inspector_ring_oldest_seq(ring), next = wg_inspector_ring_next_seq(ring);
    uint64_t from = oldest, to = next;
    if (req->query_at != SIZE_MAX) {
        wg_query_t query;
        wg_urlcodec_query_parse(req->path.base + req->query_at + 1, req->path.len - req->query_at - 1, &query);
        for (size_t k = 0; k < query.count; k++) {
            const wg_query_param_t *p = &query.params[k];
            uint64_t v = parse_seq(p->value, strlen(p->value));
            if (strcmp(p->name, "from") == 0)
                from = v;
            else if (strcmp(p->name, "to") == 0)
                to = v;
            else if (strcmp(p->name, "last") == 0)
                from = next > v ? next - v : 0;
        }
        wg_urlcodec_query_free(&query);
    }
    if (from < oldest)
        from = oldest;
    wg_buf_t out = WG_BUF_INIT;
    wg_buf_appendf(&out, "{\"oldest\":%llu,\"nextSeq\":%llu,\"entries\":[", (unsigned long long)oldest,
                   (unsigned long long)next);
    uint64_t end = wg_inspector_ring_write_range(ring, from, to, WG_LIMIT_INSPECTOR_FETCH_BYTES, &out);
    if (end < from)
        end = from;
    wg_buf_appendf(&out, "],\"from\":%llu,\"to\":%llu}", (unsigned long long)from, (unsigned long long)end);
    add_security_headers(req);
    wg_http_reply_send(req, 200, "application/json", out.data, out.len); /* h2o copies it */
    wg_buf_free(&out);
}

/* ---- state ----------------------------------------------------------------------------------- */

static void state_one(wg_conn_t *conn, void *arg)
{
    json_t *c = json_object();
    json_object_set_new(c, "id", json_string(wg_conn_id(conn)));
    json_object_set_new(c, "sourceIp", json_string(wg_conn_source_ip(conn)));
    const char *ua = wg_conn_user_agent(conn);
    json_t *uas = ua ? json_string(ua) : NULL;
    json_object_set_new(c, "userAgent", uas ? uas : json_null());
    json_object_set_new(c, "connectedAt", json_integer((json_int_t)wg_conn_connected_at(conn)));
    json_object_set_new(c, "lastActiveAt", json_integer((json_int_t)wg_conn_last_active_at(conn)));
    json_array_append_new(arg, c);
}

static void send_state(wg_server_t *server, h2o_req_t *req)
{
    const wg_config_t *cfg = server->config;
    json_t *conns = json_array();
    wg_conns_foreach_open(server->conns, state_one, conns);
    json_t *doc = json_object();
    json_object_set_new(doc, "connections", conns);
    json_object_set_new(doc, "stage", json_string(cfg->stage));
    json_object_set_new(doc, "auth",
                        json_string(cfg->auth == WG_AUTH_NONE    ? "none"
                                    : cfg->auth == WG_AUTH_SIGV4 ? "sigv4"
                                                                 : "strict"));
    json_object_set_new(doc, "testControl", json_boolean(cfg->has_test_control));
    json_object_set_new(
        doc, "history",
        json_integer(cfg->inspector_history ? cfg->inspector_history : WG_LIMIT_INSPECTOR_HISTORY_DEFAULT));
    json_object_set_new(doc, "nextSeq", json_integer((json_int_t)wg_inspector_ring_next_seq(wg_inspector_ring())));
    json_object_set_new(doc, "version", json_string(WSGATE_VERSION));
    respond_json(req, 200, doc);
}

/* ---- actions --------------------------------------------------------------------------------- */

static json_t *parse_body(h2o_req_t *req)
{
    json_t *doc = req->entity.len ? json_loadb(req->entity.base, req->entity.len, 0, NULL) : json_object();
    if (!json_is_object(doc)) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* {"data": text}: the text (UTF-8, guaranteed by jansson) within the message limit, or NULL. */
static json_t *body_data(h2o_req_t *req, json_t **doc)
{
    *doc = parse_body(req);
    json_t *data = *doc ? json_object_get(*doc, "data") : NULL;
    if (!json_is_string(data) || json_string_length(data) > WG_LIMIT_MESSAGE_BYTES) {
        respond_message(req, 400, "expected {\"data\": text of at most 128 KB}");
        return NULL;
    }
    return data;
}

static void act_on_connection(wg_server_t *server, h2o_req_t *req, const char *rest, size_t rest_len)
{
    const char *slash = memchr(rest, '/', rest_len);
    char id[WG_ID_LEN * 3 + 1];
    size_t id_len;
    wg_conn_t *conn = NULL;
    if (slash != NULL && (size_t)(slash - rest) < sizeof(id) &&
        wg_urlcodec_decode(rest, (size_t)(slash - rest), id, &id_len, 0) == 0)
        conn = wg_conns_find_open(server->conns, id);
    if (conn == NULL) {
        respond_message(req, 410, "no open connection with that id");
        return;
    }
    const char *action = slash + 1;
    size_t action_len = rest_len - (size_t)(action - rest);
    json_t *doc = NULL;
    if (action_len == 4 && memcmp(action, "send", 4) == 0) {
        json_t *data = body_data(req, &doc);
        if (data != NULL) {
            wg_log_info("inspector: message from the page as client %s (%zu bytes)", id, json_string_length(data));
            wg_inspector_is_acting = 1;
            wg_conn_inject_text(conn, json_string_value(data), json_string_length(data));
            wg_inspector_is_acting = 0;
            respond_message(req, 200, "sent as the client");
        }
    } else if (action_len == 4 && memcmp(action, "post", 4) == 0) {
        json_t *data = body_data(req, &doc);
        if (data != NULL) {
            wg_inspector_is_acting = 1;
            wg_conn_post_result_t rv = wg_conn_post(conn, json_string_value(data), json_string_length(data));
            wg_inspector_is_acting = 0;
            wg_log_info("inspector: PostToConnection %s (%zu bytes): %d", id, json_string_length(data), rv);
            respond_message(req,
                            rv == WG_CONN_POST_OK      ? 200
                            : rv == WG_CONN_POST_LIMIT ? 429
                                                       : 410,
                            rv == WG_CONN_POST_OK      ? "posted"
                            : rv == WG_CONN_POST_LIMIT ? "the client is not reading"
                                                       : "gone");
        }
    } else if (action_len == 5 && memcmp(action, "close", 5) == 0) {
        doc = parse_body(req);
        json_t *code = doc ? json_object_get(doc, "code") : NULL;
        json_t *reason = doc ? json_object_get(doc, "reason") : NULL;
        json_int_t c = json_is_integer(code) ? json_integer_value(code) : 1000;
        /* the codes a server may send (RFC 6455 7.4), as the test-control close accepts */
        if (doc == NULL || (code != NULL && !json_is_integer(code)) || (reason != NULL && !json_is_string(reason)) ||
            !(c == 1000 || c == 1001 || c == 1002 || c == 1003 || (c >= 1007 && c <= 1014) ||
              (c >= 3000 && c <= 4999)) ||
            (reason != NULL && json_string_length(reason) > 123)) {
            respond_message(req, 400,
                            "expected {\"code\": 1000-1003, 1007-1014 or 3000-4999, \"reason\": up to 123 bytes}");
        } else {
            char why[124];
            snprintf(why, sizeof(why), "%s", reason ? json_string_value(reason) : "");
            wg_log_info("inspector: closing %s with %d \"%s\"", id, (int)c, why);
            wg_conn_force_close(conn, (int)c, why);
            respond_message(req, 202, "closing");
        }
    } else if (action_len == 4 && memcmp(action, "drop", 4) == 0) {
        wg_log_info("inspector: dropping %s without a close frame", id);
        wg_conn_drop(conn);
        respond_message(req, 202, "dropped");
    } else {
        respond_message(req, 404, "unknown action");
    }
    json_decref(doc);
}

typedef struct replay_call {
    const wg_route_config_t *route;
    char conn_id[WG_ID_LEN + 1];
    char request_id[48];
} replay_call_t;

static void on_replay_done(void *data, const wg_integration_result_t *result)
{
    replay_call_t *rc = data;
    wg_inspector_note_answer(rc->conn_id, rc->request_id, rc->route, result);
    free(rc);
}

static void replay(wg_server_t *server, h2o_req_t *req)
{
    json_t *doc = parse_body(req);
    json_t *seq_value = doc ? json_object_get(doc, "seq") : NULL;
    long long seq = json_is_integer(seq_value) ? (long long)json_integer_value(seq_value) : 0;
    json_decref(doc);
    const wg_inspector_entry_t *e = seq > 0 ? wg_inspector_ring_get(wg_inspector_ring(), (uint64_t)seq) : NULL;
    json_t *entry = e ? json_loadb(e->text, e->len, 0, NULL) : NULL;
    const char *kind = json_string_value(json_object_get(entry, "kind"));
    json_t *event = json_object_get(entry, "event");
    const char *key = json_string_value(json_object_get(entry, "routeKey"));
    const char *conn_id = json_string_value(json_object_get(entry, "conn"));
    const wg_route_config_t *route = key ? wg_config_route(server->config, key) : NULL;
    if (kind == NULL || strcmp(kind, "call") != 0 || !json_is_object(event) || route == NULL || conn_id == NULL) {
        json_decref(entry);
        respond_message(req, 404, "no recorded integration call with that seq (still kept?)");
        return;
    }
    if (route->type == WG_INTEGRATION_HTTP_PROXY || route->type == WG_INTEGRATION_MOCK) {
        json_decref(entry);
        respond_message(req, 400,
                        "replay sends the recorded Lambda proxy event; this route's integration does not take one");
        return;
    }
    replay_call_t *rc = calloc(1, sizeof(*rc));
    if (rc == NULL)
        abort();
    rc->route = route;
    snprintf(rc->conn_id, sizeof(rc->conn_id), "%s", conn_id);
    snprintf(rc->request_id, sizeof(rc->request_id), "replay-%lld-%llu", seq,
             (unsigned long long)wg_inspector_ring_next_seq(wg_inspector_ring()));
    wg_integration_call_t call;
    memset(&call, 0, sizeof(call));
    call.route = route;
    /* the event as recorded: credentials in its headers are redacted (docs/inspector.md) */
    call.event_json = json_dumps(event, JSON_COMPACT | JSON_PRESERVE_ORDER);
    call.event_len = strlen(call.event_json);
    snprintf(call.connection_id, sizeof(call.connection_id), "%s", conn_id);
    json_decref(entry);
    wg_log_info("inspector: replaying seq %lld (%s) to its integration", seq, route->key);
    wg_inspector_note_call(rc->conn_id, rc->request_id, route, call.event_json, call.event_len);
    json_t *answer = json_object();
    json_object_set_new(answer, "requestId", json_string(rc->request_id));
    wg_integration_invoke(server, &call, on_replay_done, rc);
    free(call.event_json); /* NULL when the integration took it */
    respond_json(req, 202, answer);
}

/* The session of one connection, from the ring, as fixture files (recorder.h's format) in
 * ./wsgate-exports/<id>-<ms>/: `wsgate replay --backend URL DIR` reads them. */
static void export_session(wg_server_t *server, h2o_req_t *req)
{
    json_t *doc = parse_body(req);
    const char *given = json_string_value(json_object_get(doc, "connectionId"));
    if (given == NULL || strlen(given) > WG_ID_LEN) {
        json_decref(doc);
        respond_message(req, 400, "expected {\"connectionId\": ID}");
        return;
    }
    char id[WG_ID_LEN + 1];
    snprintf(id, sizeof(id), "%s", given);
    json_decref(doc);
    char safe[WG_ID_LEN + 1];
    size_t n = 0;
    for (const char *p = id; *p; p++)
        safe[n++] =
            ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_')
                ? *p
                : '_';
    safe[n] = '\0';
    /* first the answers, then the calls in order, each with its answer when the ring has it, and
     * the PostToConnection frames between them (docs/replay.md: a side effect belongs to the
     * event file before it) */
    wg_inspector_ring_t *ring = wg_inspector_ring();
    json_t *items = json_array(), *answers = json_object();
    size_t num_calls = 0;
    for (uint64_t s = wg_inspector_ring_oldest_seq(ring); s < wg_inspector_ring_next_seq(ring); s++) {
        const wg_inspector_entry_t *e = wg_inspector_ring_get(ring, s);
        json_t *entry = json_loadb(e->text, e->len, 0, NULL);
        const char *conn = json_string_value(json_object_get(entry, "conn"));
        const char *kind = json_string_value(json_object_get(entry, "kind"));
        const char *rid = json_string_value(json_object_get(entry, "requestId"));
        const char *source = json_string_value(json_object_get(entry, "source"));
        if (conn != NULL && kind != NULL && strcmp(conn, id) == 0) {
            if (rid != NULL && strncmp(rid, "replay-", 7) == 0) {
                /* the inspector's own replays are not part of the session */
            } else if (strcmp(kind, "call") == 0 && rid != NULL && json_is_object(json_object_get(entry, "event"))) {
                json_array_append(items, entry);
                num_calls++;
            } else if (strcmp(kind, "answer") == 0 && rid != NULL) {
                json_object_set(answers, rid, entry);
            } else if (strcmp(kind, "frame") == 0 && source != NULL && strcmp(source, "postToConnection") == 0 &&
                       json_object_get(entry, "truncated") == NULL && json_object_get(entry, "byInspector") == NULL) {
                json_array_append(items, entry);
            }
        }
        json_decref(entry);
    }
    if (num_calls == 0) {
        json_decref(items);
        json_decref(answers);
        respond_message(req, 404, "the inspector holds no integration call of that connection");
        return;
    }
    char dir[256], why[256] = "";
    if (mkdir("wsgate-exports", 0755) != 0 && errno != EEXIST) {
        json_decref(items);
        json_decref(answers);
        respond_message(req, 500, "cannot create ./wsgate-exports");
        return;
    }
    snprintf(dir, sizeof(dir), "wsgate-exports/%s-%llu", safe, (unsigned long long)wg_clock_now_ms());
    wg_recorder_t *rec = wg_recorder_open(dir, why, sizeof(why));
    if (rec == NULL) {
        json_decref(items);
        json_decref(answers);
        respond_message(req, 500, why);
        return;
    }
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) {
        const char *kind = json_string_value(json_object_get(item, "kind"));
        if (strcmp(kind, "frame") == 0) {
            const char *data = json_string_value(json_object_get(item, "data"));
            wg_recorder_side_effect(rec, "postToConnection", id, data, strlen(data));
            continue;
        }
        const char *key = json_string_value(json_object_get(item, "routeKey"));
        const wg_route_config_t *route = wg_config_route(server->config, key);
        char *event = json_dumps(json_object_get(item, "event"), JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_t *answer = json_object_get(answers, json_string_value(json_object_get(item, "requestId")));
        json_t *response = json_object_get(answer, "response");
        const char *body = json_string_value(json_object_get(response, "body"));
        wg_recorder_event(rec, key, route != NULL && route->is_two_way, id, event, strlen(event),
                          (int)json_integer_value(json_object_get(response, "status")), body, body ? strlen(body) : 0);
        free(event);
    }
    wg_recorder_close(rec);
    char *abs = realpath(dir, NULL);
    json_t *out = json_object();
    json_object_set_new(out, "dir", json_string(abs ? abs : dir));
    json_object_set_new(out, "files", json_integer((json_int_t)json_array_size(items)));
    wg_log_info("inspector: exported %zu events of %s to %s", num_calls, id, abs ? abs : dir);
    free(abs);
    json_decref(items);
    json_decref(answers);
    respond_json(req, 200, out);
}

/* ---- dispatch -------------------------------------------------------------------------------- */

/* "127.0.0.1:3001", "localhost", "[::1]:3001": the Host names a loopback address. */
static bool is_loopback_authority(const char *p, size_t len)
{
    char host[64];
    size_t n = len;
    if (len > 0 && p[0] == '[') {
        const char *end = memchr(p, ']', len);
        if (end == NULL)
            return 0;
        p++;
        n = (size_t)(end - p);
    } else {
        const char *colon = memchr(p, ':', len);
        if (colon != NULL)
            n = (size_t)(colon - p);
    }
    if (n == 0 || n >= sizeof(host))
        return 0;
    memcpy(host, p, n);
    host[n] = '\0';
    return wg_config_is_loopback_host(host);
}

void wg_inspector_http_handle(wg_server_t *server, h2o_req_t *req, const char *path, size_t len)
{
    if (!wg_inspector_is_enabled()) {
        /* not served: the same answer as any path outside the API */
        wg_http_reply_aws_error(req, WG_AWS_ERR_FORBIDDEN, NULL);
        return;
    }
    /* Bound to loopback (on by default): answer only requests addressed to a loopback name, so a
     * web page whose own host name resolves to 127.0.0.1 (DNS rebinding) cannot read it. */
    if (server->config->inspector_mode == 0 && !is_loopback_authority(req->authority.base, req->authority.len)) {
        wg_http_reply_aws_error(req, WG_AWS_ERR_FORBIDDEN, NULL);
        return;
    }
    /* strict: the page is guarded like @connections (and like /_wsgate/connections) */
    if (server->config->auth == WG_AUTH_STRICT && !server->config->has_test_control &&
        wg_mgmt_api_authenticate(server->config, req) != 0)
        return;
    int is_get = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET"));
    int is_post = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"));
    if (len == 8) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_LOCATION, NULL, H2O_STRLIT("/_wsgate/"));
        wg_http_reply_send(req, 301, NULL, NULL, 0);
        return;
    }
    if (len == 9 && is_get) {
        send_asset(req, H2O_STRLIT("index.html"));
        return;
    }
    static const char assets[] = "/_wsgate/assets/", api[] = "/_wsgate/api/";
    if (starts_with(path, len, assets, sizeof(assets) - 1) && is_get) {
        send_asset(req, path + sizeof(assets) - 1, len - (sizeof(assets) - 1));
        return;
    }
    if (!starts_with(path, len, api, sizeof(api) - 1)) {
        respond_message(req, 405, "method not allowed");
        return;
    }
    const char *rest = path + sizeof(api) - 1;
    size_t rest_len = len - (sizeof(api) - 1);
    if (is_get && rest_len == 5 && memcmp(rest, "state", 5) == 0) {
        send_state(server, req);
        return;
    }
    if (is_get && rest_len == 6 && memcmp(rest, "events", 6) == 0) {
        start_stream(server, req);
        return;
    }
    if (is_get && rest_len == 7 && memcmp(rest, "entries", 7) == 0) {
        send_entries(req);
        return;
    }
    if (!is_post) {
        respond_message(req, 404, "unknown inspector endpoint");
        return;
    }
    if (h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-wsgate-inspector"), -1) < 0) {
        respond_message(req, 403, "inspector actions need the X-Wsgate-Inspector header (sent by the page)");
        return;
    }
    if (starts_with(rest, rest_len, H2O_STRLIT("connections/"))) {
        act_on_connection(server, req, rest + 12, rest_len - 12);
        return;
    }
    if (rest_len == 6 && memcmp(rest, "replay", 6) == 0) {
        replay(server, req);
        return;
    }
    if (rest_len == 6 && memcmp(rest, "export", 6) == 0) {
        export_session(server, req);
        return;
    }
    respond_message(req, 404, "unknown inspector endpoint");
}
