/*
 * fuzz_inspector.c: libFuzzer target for the inspector's entries (src/inspector.c), which quote
 * what clients send straight from the network: a message, a handshake query (parsed, credentials
 * redacted) and an event. Entries written directly as text (frames, pings, @connections calls) and
 * those built with jansson must all be valid JSON, whatever the input, a message written directly
 * must read byte for byte as jansson writes it, and the ring must stay in bounds.
 * The input is split at its first two NUL bytes into: message \0 query \0 event.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "inspector.h"
#include "server.h"

static wg_config_t cfg;
static wg_server_t server;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const char *nul1 = memchr(in, '\0', size);
    size_t msg_len = nul1 ? (size_t)(nul1 - in) : size;
    const char *query = nul1 ? nul1 + 1 : in + size;
    size_t rest = size - (size_t)(query - in);
    const char *nul2 = memchr(query, '\0', rest);
    size_t query_len = nul2 ? (size_t)(nul2 - query) : rest;
    const char *event = nul2 ? nul2 + 1 : query + query_len;
    size_t event_len = size - (size_t)(event - in);

    memset(&cfg, 0, sizeof(cfg));
    memset(&server, 0, sizeof(server));
    cfg.host = "127.0.0.1";
    cfg.inspector_history = 16;
    server.config = &cfg;
    wg_inspector_init(&server);
    wg_inspector_watchers = 1;

    wg_inspector_note_frame("CONN=", "in", NULL, in, msg_len);
    /* written directly, the message reads exactly as jansson writes it (when jansson takes it) */
    json_t *str = msg_len <= 4096 ? json_stringn(in, msg_len) : NULL;
    if (str != NULL) {
        char *dumped = json_dumps(str, JSON_ENCODE_ANY | JSON_COMPACT);
        const wg_inspector_entry_t *first = wg_inspector_ring_get(wg_inspector_ring(), 1);
        size_t n = strlen(dumped);
        if (first == NULL || first->len < n + 1 || memcmp(first->text + first->len - n - 1, dumped, n) != 0) {
            fprintf(stderr, "direct entry differs from jansson: %s vs %s\n", first ? first->text : "(none)", dumped);
            abort();
        }
        free(dumped);
        json_decref(str);
    }
    wg_inspector_note_control("CONN=", "in", "ping", in, msg_len > 125 ? 125 : msg_len);
    char *conn = malloc(msg_len + 1); /* the message as a (hostile) connection id too */
    if (conn == NULL)
        abort();
    memcpy(conn, in, msg_len);
    conn[msg_len] = '\0';
    wg_inspector_note_frame(conn, "out", "postToConnection", in, msg_len > 200 ? 200 : msg_len);
    h2o_req_t req;
    memset(&req, 0, sizeof(req));
    char *path = malloc(query_len + 8);
    if (path == NULL)
        abort();
    memcpy(path, "/local?", 7);
    memcpy(path + 7, query, query_len);
    req.path = h2o_iovec_init(path, query_len + 7);
    req.query_at = 6;
    req.method = h2o_iovec_init("POST", 4);
    wg_inspector_note_open("CONN=", &req, "127.0.0.1", msg_len ? conn : NULL);
    wg_inspector_note_mgmt(&req, query, query_len);
    wg_route_config_t route;
    memset(&route, 0, sizeof(route));
    route.key = "$default";
    wg_inspector_note_call("CONN=", "REQ", &route, event, event_len);
    wg_inspector_note_rejected("CONN=", 403, conn);
    wg_inspector_note_function("Fn", "REQ", conn, "EVREQ", "log", in, msg_len, 0);

    wg_inspector_ring_t *ring = wg_inspector_ring();
    if (wg_inspector_ring_count(ring) > 16)
        abort();
    for (uint64_t s = wg_inspector_ring_oldest_seq(ring); s < wg_inspector_ring_next_seq(ring); s++) {
        const wg_inspector_entry_t *e = wg_inspector_ring_get(ring, s);
        json_error_t err;
        json_t *doc = json_loadb(e->text, e->len, JSON_ALLOW_NUL, &err); /* a page reads \u0000 fine */
        if (!json_is_object(doc) || json_integer_value(json_object_get(doc, "seq")) != (json_int_t)s) {
            fprintf(stderr, "entry %llu is not valid (%s): %.*s\n", (unsigned long long)s, err.text, (int)e->len,
                    e->text);
            abort();
        }
        json_decref(doc);
    }
    free(path);
    free(conn);
    wg_inspector_watchers = 0;
    wg_inspector_dispose();
    return 0;
}
