/*
 * replay_scenarios.c: `wsgate replay --aws-scenarios`: one scripted session built from AWS's
 * captures in fixtures/ (docs/replay.md). Two connections: the first connects with the 2024
 * capture's headers and the 2019 capture's query, sends messages on a custom route and $default
 * (JSON and plain text) and closes without a code (1005, AWS-LIFE-8); the second is closed by the
 * idle timeout (1001). The events are built by events.c exactly as wsgate sends them (AWS-EV-*,
 * AWS-HDR-*, AWS-QS-*), so a backend is tested against AWS's shapes without a recording.
 */
#include "replay_internal.h"

#include <stdbool.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "clock.h"
#include "events.h"
#include "headers.h"
#include "ids.h"
#include "limits.h"
#include "urlcodec.h"

#ifndef WG_FIXTURES_DIR
#define WG_FIXTURES_DIR "fixtures"
#endif

/* ---- the $connect input: a captured event's client headers and query ---- */

static bool is_aws_added_header(const char *name)
{
    /* API Gateway adds these itself (AWS-HDR-2); events.c adds fresh ones. */
    return strcasecmp(name, "X-Amzn-Trace-Id") == 0 || strcasecmp(name, "X-Forwarded-For") == 0 ||
           strcasecmp(name, "X-Forwarded-Port") == 0 || strcasecmp(name, "X-Forwarded-Proto") == 0;
}

typedef struct connect_input {
    wg_header_t headers[WG_LIMIT_REPLAY_HEADERS];
    size_t num_headers;
    char ws_key[32];
    char *query; /* malloc'd raw query, or NULL */
    char user_agent[512];
    int has_user_agent;
} connect_input_t;

static void add_header(connect_input_t *in, const char *name, const char *value)
{
    if (in->num_headers == WG_LIMIT_REPLAY_HEADERS)
        return;
    wg_header_t *h = &in->headers[in->num_headers++];
    h->name = name;
    h->name_len = strlen(name);
    h->value = value;
    h->value_len = strlen(value);
}

/* Client headers from the fixture's CONNECT event (multiValueHeaders keeps repeats), with Host
 * and Sec-WebSocket-Key replaced. Strings are borrowed from the plan's JSON or `in`. */
static void connect_input_build(connect_input_t *in, json_t *connect_event, const char *host)
{
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        abort();
    EVP_EncodeBlock((unsigned char *)in->ws_key, raw, sizeof(raw));

    json_t *mv = json_object_get(connect_event, "multiValueHeaders");
    json_t *single = json_object_get(connect_event, "headers");
    const char *name;
    json_t *value;
    int has_host = 0, has_key = 0;
    if (json_is_object(mv)) {
        json_object_foreach(mv, name, value) {
            size_t i;
            json_t *item;
            if (is_aws_added_header(name))
                continue;
            if (strcasecmp(name, "Host") == 0) {
                add_header(in, name, host), has_host = 1;
                continue;
            }
            if (strcasecmp(name, "Sec-WebSocket-Key") == 0) {
                add_header(in, name, in->ws_key), has_key = 1;
                continue;
            }
            json_array_foreach(value, i, item) {
                if (json_is_string(item))
                    add_header(in, name, json_string_value(item));
            }
        }
    } else if (json_is_object(single)) {
        json_object_foreach(single, name, value) {
            if (is_aws_added_header(name) || !json_is_string(value))
                continue;
            if (strcasecmp(name, "Host") == 0)
                add_header(in, name, host), has_host = 1;
            else if (strcasecmp(name, "Sec-WebSocket-Key") == 0)
                add_header(in, name, in->ws_key), has_key = 1;
            else
                add_header(in, name, json_string_value(value));
        }
    }
    if (!has_host)
        add_header(in, "Host", host);
    if (!has_key) {
        /* What a wscat/ws client sends when the fixtures have no CONNECT event (AWS-HDR-6). */
        add_header(in, "Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits");
        add_header(in, "Sec-WebSocket-Key", in->ws_key);
        add_header(in, "Sec-WebSocket-Version", "13");
    }
    for (size_t i = 0; i < in->num_headers; i++) {
        if (wg_headers_ieq(in->headers[i].name, in->headers[i].name_len, "User-Agent")) {
            snprintf(in->user_agent, sizeof(in->user_agent), "%s", in->headers[i].value);
            in->has_user_agent = 1;
        }
    }

    /* Rebuild the raw query from the decoded maps (the capture does not keep the raw URL). */
    json_t *mq = json_object_get(connect_event, "multiValueQueryStringParameters");
    if (json_is_object(mq) && json_object_size(mq) > 0) {
        wg_buf_t q = WG_BUF_INIT;
        json_object_foreach(mq, name, value) {
            size_t i;
            json_t *item;
            json_array_foreach(value, i, item) {
                const char *v = json_is_string(item) ? json_string_value(item) : "";
                if (q.len > 0)
                    wg_buf_append_char(&q, '&');
                wg_urlcodec_encode(&q, name, strlen(name), 0);
                wg_buf_append_char(&q, '=');
                wg_urlcodec_encode(&q, v, strlen(v), 0);
            }
        }
        in->query = wg_buf_take(&q, NULL);
    }
}

/* ---- the AWS scenarios: one scripted session from the captures in fixtures/ ---- */

static json_t *load_capture(const char *dir, const char *name)
{
    char path[4096];
    json_error_t jerr;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    json_t *doc = json_load_file(path, 0, &jerr);
    if (doc == NULL)
        fprintf(stderr, "wsgate replay: --aws-scenarios needs the AWS captures: %s: %s\n", path, jerr.text);
    return doc;
}

/* Parses an event built by events.c and adds it as a step. Takes `text`. */
static void add_built_step(wg_replay_plan_t *plan, const char *label, const char *note, char *text, size_t len)
{
    json_error_t jerr;
    json_t *ev = json_loadb(text, len, 0, &jerr);
    if (ev == NULL) {
        fprintf(stderr, "%s: %s\n%s\n", label, jerr.text, text);
        abort(); /* events.c always writes valid JSON */
    }
    free(text);
    wg_replay_step_t *step = wg_replay_plan_add_step(plan, label, ev);
    step->note = note;
    json_decref(ev);
}

/* Builds the scripted session: connection A connects with the 2024 capture's headers and the 2019
 * capture's query, sends the chat capture's body on "chat", the same body on $default, a plain
 * text (non-JSON) body on $default, and closes without a status code (1005, the capture);
 * connection B connects and is closed by the idle timeout (1001 "Going away"). The events are
 * built by events.c, exactly as wsgate sends them. */
int wg_replay_plan_scenarios(wg_replay_plan_t *plan, const char *dir, const char *stage, const char *region,
                             const char *api_id)
{
    json_t *connect = load_capture(dir, "ws-connect-2024-11-us-east-1.json");
    json_t *query = load_capture(dir, "ws-connect-legacy-2019-03-us-west-2-query.json");
    json_t *message = load_capture(dir, "ws-message-2024-11-us-east-1.json");
    json_t *disconnect = load_capture(dir, "ws-disconnect-1005-2024-11-us-east-1.json");
    int rc = -1;
    if (connect == NULL || query == NULL || message == NULL || disconnect == NULL)
        goto out;
    char host[256];
    snprintf(host, sizeof(host), "%s.execute-api.%s.amazonaws.com", api_id, region);
    wg_ids_t *ids = wg_ids_new(region, NULL, NULL);
    if (ids == NULL)
        abort();
    const char *body = json_string_value(json_object_get(message, "body"));
    const char *text_body = "hello from a plain text client";
    json_t *drc = json_object_get(disconnect, "requestContext");
    const char *reason = json_string_value(json_object_get(drc, "disconnectReason"));
    json_t *code = json_object_get(drc, "disconnectStatusCode");

    for (int c = 0; c < 2; c++) {
        char connection_id[WG_ID_LEN + 1], request_id[WG_ID_LEN + 1], message_id[WG_ID_LEN + 1];
        char trace_id[WG_TRACE_ID_LEN + 1];
        uint64_t now = wg_clock_now_ms();
        wg_ids_connection(ids, now, connection_id);
        connect_input_t in;
        memset(&in, 0, sizeof(in));
        connect_input_build(&in, connect, host);
        if (c == 0) {
            /* the 2019 capture's query (?sessionId=1234), on the modern event */
            connect_input_t q;
            memset(&q, 0, sizeof(q));
            connect_input_build(&q, query, host);
            in.query = q.query;
        }
        wg_event_context_t ctx = {
            .route_key = "$connect",
            .connection_id = connection_id,
            .request_id = request_id,
            .stage = stage,
            .domain_name = host,
            .api_id = api_id,
            .connected_at = now,
            .source_ip = "127.0.0.1",
            .user_agent = in.has_user_agent ? in.user_agent : NULL,
        };
        size_t len;
        ctx.request_time_ms = now;
        wg_ids_request(ids, now, request_id);
        wg_ids_trace_id(ids, now, trace_id);
        wg_event_forwarding_t fwd = {trace_id, "443", "https"};
        char *text = wg_event_connect(&ctx, in.headers, in.num_headers, in.query != NULL, in.query,
                                      in.query != NULL ? strlen(in.query) : 0, &fwd, &len);
        add_built_step(plan, c == 0 ? "aws: $connect with query and headers" : "aws: $connect (second client)",
                       "AWS: 2xx accepts the handshake (101); another statusCode is the handshake's status", text, len);
        free(in.query);
        if (c == 0) {
            static const struct {
                const char *route, *label, *note;
                int is_text;
            } messages[] = {
                {"chat", "aws: custom route chat", "AWS: a two-way route sends the result's body to the client", 0},
                {"$default", "aws: $default route", "AWS: a two-way route sends the result's body to the client", 0},
                {"$default", "aws: $default with a non-JSON body", "AWS: non-JSON text always goes to $default", 1},
            };
            for (size_t m = 0; m < sizeof(messages) / sizeof(messages[0]); m++) {
                const char *b = messages[m].is_text ? text_body : (body != NULL ? body : "{}");
                now = wg_clock_now_ms();
                ctx.route_key = messages[m].route;
                ctx.request_time_ms = now;
                wg_ids_request(ids, now, request_id);
                wg_ids_message(ids, now, connection_id, message_id);
                ctx.message_id = message_id;
                text = wg_event_message(&ctx, b, strlen(b), &len);
                add_built_step(plan, messages[m].label, messages[m].note, text, len);
            }
        }
        now = wg_clock_now_ms();
        ctx.route_key = "$disconnect";
        ctx.message_id = NULL;
        ctx.request_time_ms = now;
        ctx.disconnect_status_code = c == 0 ? (json_is_integer(code) ? (int)json_integer_value(code) : 1005) : 1001;
        ctx.disconnect_reason = c == 0 ? (reason != NULL ? reason : "") : "Going away";
        wg_ids_request(ids, now, request_id);
        text = wg_event_disconnect(&ctx, host, &len);
        add_built_step(
            plan, c == 0 ? "aws: $disconnect 1005 (closed without a code)" : "aws: $disconnect 1001 (idle timeout)",
            "AWS: the answer is ignored; the socket is already closed", text, len);
    }
    wg_ids_free(ids);
    rc = 0;
out:
    json_decref(connect);
    json_decref(query);
    json_decref(message);
    json_decref(disconnect);
    return rc;
}

/* Where --aws-scenarios finds the captures: the directory given, $WSGATE_FIXTURES, ./fixtures,
 * or the source tree's fixtures/ this binary was built from. */
const char *wg_replay_scenario_dir(const char *given)
{
    struct stat st;
    if (given != NULL)
        return given;
    const char *env = getenv("WSGATE_FIXTURES");
    if (env != NULL && *env != '\0')
        return env;
    if (stat("fixtures/ws-connect-2024-11-us-east-1.json", &st) == 0)
        return "fixtures";
    return WG_FIXTURES_DIR;
}
