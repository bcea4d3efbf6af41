/* test_control.c: the test-control API (see test_control.h). */
#include "test_control.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conns.h"
#include "clock.h"
#include "http_reply.h"
#include "ids.h"
#include "log.h"
#include "urlcodec.h"

static void reply_message(h2o_req_t *req, int status, const char *message)
{
    json_t *doc = json_object();
    json_object_set_new(doc, "message", json_string(message));
    wg_http_reply_json(req, status, doc);
}

static json_t *parse_body(h2o_req_t *req)
{
    if (req->entity.len == 0)
        return json_object();
    json_t *doc = json_loadb(req->entity.base, req->entity.len, 0, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

typedef struct advance_args {
    uint64_t ms;
    size_t count;
} advance_args_t;

static void advance_one(wg_conn_t *conn, void *arg)
{
    advance_args_t *a = arg;
    wg_conn_advance_timers(conn, a->ms);
    a->count++;
}

static void handle_advance(const wg_test_control_t *tc, h2o_req_t *req)
{
    json_t *body = parse_body(req);
    json_t *seconds = body ? json_object_get(body, "seconds") : NULL;
    json_t *id = body ? json_object_get(body, "connectionId") : NULL;
    /* Range-checked before the cast: a double beyond uint64_t's range is undefined behaviour in C.
     * A billion seconds (~31 years) is far past every timer wsgate has. */
    if (!json_is_number(seconds) || !(json_number_value(seconds) >= 0 && json_number_value(seconds) <= 1e9) ||
        (id != NULL && !json_is_string(id))) {
        json_decref(body);
        reply_message(req, 400, "expected {\"seconds\": N (0 to 1e9), \"connectionId\": optional id}");
        return;
    }
    advance_args_t args = {(uint64_t)(json_number_value(seconds) * 1000.0), 0};
    if (id != NULL) {
        wg_conn_t *conn = wg_conns_find_open(tc->conns, json_string_value(id));
        if (conn == NULL) {
            json_decref(body);
            reply_message(req, 404, "no open connection with that id");
            return;
        }
        advance_one(conn, &args);
    } else {
        wg_conns_foreach_open(tc->conns, advance_one, &args);
    }
    json_decref(body);
    wg_log_info("test control: advanced timers of %zu connection(s) by %llu ms", args.count,
                (unsigned long long)args.ms);
    json_t *doc = json_object();
    json_object_set_new(doc, "advanced", json_integer((json_int_t)args.count));
    wg_http_reply_json(req, 200, doc);
}

static void handle_messages(h2o_req_t *req, wg_conn_t *conn)
{
    json_t *list = json_array();
    for (const wg_conn_sent_t *m = wg_conn_sent_messages(conn); m != NULL; m = m->next) {
        char at[32];
        wg_clock_format_iso8601_ms(m->at_ms, at);
        json_t *item = json_object();
        json_object_set_new(item, "at", json_string(at));
        json_object_set_new(item, "source", json_string(m->source));
        json_t *data = json_stringn(m->data, m->len);
        json_object_set_new(item, "data", data != NULL ? data : json_null());
        json_array_append_new(list, item);
    }
    json_t *doc = json_object();
    json_object_set_new(doc, "connectionId", json_string(wg_conn_id(conn)));
    json_object_set_new(doc, "messages", list);
    wg_http_reply_json(req, 200, doc);
}

static void handle_close(h2o_req_t *req, wg_conn_t *conn)
{
    json_t *body = parse_body(req);
    json_t *code = body ? json_object_get(body, "code") : NULL;
    json_t *reason = body ? json_object_get(body, "reason") : NULL;
    json_int_t c = json_is_integer(code) ? json_integer_value(code) : 1000;
    if (body == NULL || (code != NULL && !json_is_integer(code)) || (reason != NULL && !json_is_string(reason)) ||
        !(c == 1000 || c == 1001 || (c >= 1002 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999)) ||
        (reason != NULL && json_string_length(reason) > 123)) {
        json_decref(body);
        reply_message(
            req, 400,
            "expected {\"code\": a sendable close code (1000-1014 or 3000-4999), \"reason\": up to 123 bytes}");
        return;
    }
    char why[124];
    snprintf(why, sizeof(why), "%s", reason ? json_string_value(reason) : "");
    json_decref(body);
    wg_log_info("test control: closing %s with %d \"%s\"", wg_conn_id(conn), (int)c, why);
    wg_conn_force_close(conn, (int)c, why);
    reply_message(req, 202, "closing");
}

void wg_test_control_handle(const wg_test_control_t *tc, h2o_req_t *req, const char *rest, size_t rest_len)
{
    if (!tc->is_enabled) {
        reply_message(req, 404, "the test-control API is off: start wsgate with --test-control");
        return;
    }
    int is_post = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"));
    int is_get = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET"));
    if (rest_len == 7 && memcmp(rest, "advance", 7) == 0 && is_post) {
        handle_advance(tc, req);
        return;
    }
    static const char prefix[] = "connections/";
    if (rest_len > sizeof(prefix) - 1 && memcmp(rest, prefix, sizeof(prefix) - 1) == 0) {
        const char *id_start = rest + sizeof(prefix) - 1;
        const char *slash = memchr(id_start, '/', (size_t)(rest + rest_len - id_start));
        if (slash != NULL) {
            char id[64];
            size_t id_len;
            const char *action = slash + 1;
            size_t action_len = (size_t)(rest + rest_len - action);
            wg_conn_t *conn = NULL;
            if ((size_t)(slash - id_start) < sizeof(id) &&
                wg_urlcodec_decode(id_start, (size_t)(slash - id_start), id, &id_len, 0) == 0)
                conn = wg_conns_find_open(tc->conns, id);
            if (conn == NULL) {
                reply_message(req, 404, "no open connection with that id");
                return;
            }
            if (is_get && action_len == 8 && memcmp(action, "messages", 8) == 0) {
                handle_messages(req, conn);
                return;
            }
            if (is_post && action_len == 5 && memcmp(action, "close", 5) == 0) {
                handle_close(req, conn);
                return;
            }
            if (is_post && action_len == 4 && memcmp(action, "drop", 4) == 0) {
                wg_log_info("test control: dropping %s without a close frame", wg_conn_id(conn));
                wg_conn_drop(conn);
                reply_message(req, 202, "dropped");
                return;
            }
        }
    }
    reply_message(req, 404, "unknown test-control endpoint (see the README, \"Test control\")");
}
