/*
 * inspector.c: the entries the hooks write into the inspector's ring (see inspector.h; the ring
 * itself: inspector_ring.c).
 *
 * Nothing here is AWS behaviour: it is what wsgate saw and did, for a developer to read. Entries
 * are built only while a page watches (wg_inspector_watchers > 0), serialised once as compact
 * JSON and kept as text, so a page that connects later replays them byte for byte.
 */
#include "inspector.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include <jansson.h>

#include "authorizer_decision.h"
#include "buf.h"
#include "config.h"
#include "http_reply.h"
#include "integration_result.h"
#include "json_text.h"
#include "limits.h"
#include "log.h"
#include "redact.h"
#include "server_state.h"
#include "sigv4.h"
#include "urlcodec.h"
#include "utf8.h"
#include "ws.h"

/* ---- the process's inspector ----------------------------------------------------------------- */

unsigned wg_inspector_watchers;
int wg_inspector_is_acting;

/* Request ids of calls in flight and when they started, for the answer's latency. Bounded
 * (WG_LIMIT_INSPECTOR_START_SLOTS): a collision overwrites (the answer then carries no latency). */

static struct {
    wg_server_t *server;
    int is_enabled;
    wg_inspector_ring_t *ring;
    /* the last refused signature, until the management call it belongs to is noted */
    h2o_req_t *sig_req;
    struct timeval sig_req_began; /* with the pointer: a later request may reuse the address */
    json_t *sig;
    struct {
        char request_id[WG_ID_LEN + 1];
        double at_ms;
    } starts[WG_LIMIT_INSPECTOR_START_SLOTS];
} g;

static void (*wake_watchers)(void); /* inspector_http.c's wake-up, once a page has opened */

void wg_inspector_set_wake(void (*wake)(void))
{
    wake_watchers = wake;
}

static wg_buf_t scratch = WG_BUF_INIT; /* reused for every direct entry (loop thread only) */

void wg_inspector_init(wg_server_t *server)
{
    const wg_config_t *cfg = server->config;
    g.server = server;
    g.is_enabled = cfg->inspector_mode > 0 || (cfg->inspector_mode == 0 && wg_config_is_loopback_host(cfg->host));
    /* on by default only when every listening address is loopback (--listen adds more) */
    for (size_t i = 0; g.is_enabled && cfg->inspector_mode == 0 && i < cfg->num_listen; i++) {
        char host[256];
        const char *addr = cfg->listen[i], *colon = strrchr(addr, ':');
        size_t n = colon ? (size_t)(colon - addr) : strlen(addr);
        if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') {
            addr++;
            n -= 2;
        }
        snprintf(host, sizeof(host), "%.*s", (int)n, addr);
        if (!wg_config_is_loopback_host(host))
            g.is_enabled = 0;
    }
    g.ring = wg_inspector_ring_new(cfg->inspector_history ? cfg->inspector_history : WG_LIMIT_INSPECTOR_HISTORY_DEFAULT,
                                   WG_LIMIT_INSPECTOR_BYTES);
}

void wg_inspector_dispose(void)
{
    wg_buf_free(&scratch);
    wg_inspector_ring_free(g.ring);
    g.ring = NULL;
    json_decref(g.sig);
    g.sig = NULL;
}

bool wg_inspector_is_enabled(void)
{
    return g.is_enabled;
}

wg_inspector_ring_t *wg_inspector_ring(void)
{
    return g.ring;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)(ts.tv_nsec / 1000) / 1000.0;
}

void wg_inspector_add(json_t *entry)
{
    if (g.ring == NULL) {
        json_decref(entry);
        return;
    }
    json_object_set_new(entry, "seq", json_integer((json_int_t)wg_inspector_ring_next_seq(g.ring)));
    if (json_object_get(entry, "t") == NULL)
        json_object_set_new(entry, "t", json_integer((json_int_t)now_ms()));
    /* reals are latencies in ms: 9 significant digits is a microsecond up to 1000 s */
    char *text = json_dumps(entry, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
    json_decref(entry);
    if (text == NULL)
        return;
    wg_inspector_ring_push(g.ring, text, strlen(text));
    if (wake_watchers != NULL)
        wake_watchers();
}

static json_t *new_entry(const char *kind, const char *conn_id)
{
    json_t *e = json_object();
    json_object_set_new(e, "seq", json_integer(0)); /* first key; set in wg_inspector_add */
    json_object_set_new(e, "t", json_integer((json_int_t)now_ms()));
    json_object_set_new(e, "kind", json_string(kind));
    if (conn_id != NULL)
        json_object_set_new(e, "conn", json_string(conn_id));
    return e;
}

/* ---- the hot entries, written directly -----------------------------------------------------------
 * Frames, pings and @connections calls happen once per message: their entries are formatted straight
 * into one reused buffer (no JSON tree, no printf, no allocation per entry) and copied once into
 * the ring's arena. Profiling S2 with a page open (bench/README.md, "Inspector") put a quarter of
 * the loop's time in jansson's json_stringn + json_dump_callback and vsnprintf for these entries.
 *
 * Their strings are written by json_text.c, which writes what jansson writes with the flags
 * wg_inspector_add uses and refuses what jansson refuses (text that is not UTF-8), so an entry reads
 * the same whichever way it was made; tests/unit/test_inspector.c and fuzz/fuzz_inspector.c compare
 * the two on the same input. Every other entry still goes through wg_inspector_add. */

#define PUT(b, lit) wg_buf_append((b), lit, sizeof(lit) - 1)

static inline void put_str(wg_buf_t *b, const char *s)
{
    wg_buf_append(b, s, strlen(s));
}

static void put_u64(wg_buf_t *b, uint64_t v)
{
    wg_json_text_put_uint(b, v);
}

/* A non-negative number of milliseconds with 3 decimals (microseconds), as "%.3f" writes it. */
static void put_ms3(wg_buf_t *b, double ms)
{
    uint64_t us = ms > 0 ? (uint64_t)(ms * 1000.0 + 0.5) : 0;
    put_u64(b, us / 1000);
    char frac[4] = {'.', (char)('0' + us / 100 % 10), (char)('0' + us / 10 % 10), (char)('0' + us % 10)};
    wg_buf_append(b, frac, 4);
}

/* ,"key":"value", cut at the field limit on a character boundary like set_text; bytes that are not
 * UTF-8 become a note. Returns 1 when cut. `key` is a literal that needs no escaping. */
static int put_member(wg_buf_t *b, const char *key, const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t n = len;
    int is_cut = 0;
    if (n > WG_LIMIT_INSPECTOR_FIELD_BYTES) {
        n = WG_LIMIT_INSPECTOR_FIELD_BYTES;
        while (n > 0 && (p[n] & 0xC0) == 0x80)
            n--;
        is_cut = 1;
    }
    PUT(b, ",\"");
    wg_buf_append(b, key, strlen(key));
    PUT(b, "\":");
    if (wg_json_text_put_string(b, p, n) != 0) {
        PUT(b, "\"(");
        put_u64(b, len);
        PUT(b, " bytes, not UTF-8 text)\"");
    }
    return is_cut;
}

/* {"seq":N,"t":MS,"kind":"KIND"[,"conn":"ID"] into the scratch buffer; `kind` is a literal. */
static wg_buf_t *direct_entry(const char *kind, const char *conn_id)
{
    wg_buf_t *b = &scratch;
    wg_buf_reset(b);
    PUT(b, "{\"seq\":");
    put_u64(b, wg_inspector_ring_next_seq(g.ring));
    PUT(b, ",\"t\":");
    put_u64(b, (uint64_t)now_ms());
    PUT(b, ",\"kind\":\"");
    put_str(b, kind);
    PUT(b, "\"");
    if (conn_id != NULL)
        put_member(b, "conn", conn_id, strlen(conn_id));
    return b;
}

static void direct_finish(wg_buf_t *b)
{
    PUT(b, "}");
    wg_inspector_ring_push_copy(g.ring, b->data, b->len);
    if (wake_watchers != NULL)
        wake_watchers();
    if (b->cap > 4 * WG_LIMIT_INSPECTOR_ARENA_BLOCK)
        wg_buf_free(b); /* a big message passed: do not keep its memory */
}

/* Sets `key` to the text of data[0..len), cut at WG_LIMIT_INSPECTOR_FIELD_BYTES on a character
 * boundary ("truncated": true then says so). Bytes that are not UTF-8 are shown as a note. */
static void set_text(json_t *obj, const char *key, const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t n = len;
    if (n > WG_LIMIT_INSPECTOR_FIELD_BYTES) {
        n = WG_LIMIT_INSPECTOR_FIELD_BYTES;
        while (n > 0 && (p[n] & 0xC0) == 0x80)
            n--;
        json_object_set_new(obj, "truncated", json_true());
    }
    json_t *s = json_stringn((const char *)p, n);
    if (s == NULL) {
        char note[96];
        snprintf(note, sizeof(note), "(%zu bytes, not UTF-8 text)", len);
        s = json_string(note);
    }
    json_object_set_new(obj, key, s);
}

/* A JSON string of data[0..len), cut at the field limit on a character boundary, or a note when
 * it is not UTF-8. */
static json_t *set_text_value(const char *data, size_t len)
{
    size_t n = len;
    if (n > WG_LIMIT_INSPECTOR_FIELD_BYTES) {
        n = WG_LIMIT_INSPECTOR_FIELD_BYTES;
        while (n > 0 && ((const unsigned char *)data)[n] >= 0x80 && (((const unsigned char *)data)[n] & 0xC0) == 0x80)
            n--;
    }
    json_t *s = json_stringn(data, n);
    return s != NULL ? s : json_string("(not UTF-8 text)");
}

/* The query as decoded "name=value" pairs (urlcodec.c parses it, as for the $connect event), with
 * the values of credential parameters replaced. */
static json_t *redacted_query(const char *q, size_t len)
{
    wg_query_t query;
    wg_urlcodec_query_parse(q, len, &query);
    wg_buf_t t = WG_BUF_INIT;
    wg_buf_append(&t, "", 0);
    for (size_t i = 0; i < query.count; i++) {
        const wg_query_param_t *p = &query.params[i];
        if (i > 0)
            wg_buf_append_char(&t, '&');
        wg_buf_append_str(&t, p->name);
        wg_buf_append_char(&t, '=');
        wg_buf_append_str(&t, wg_redact_is_secret_name(p->name, strlen(p->name)) ? "(redacted)" : p->value);
    }
    wg_urlcodec_query_free(&query);
    json_t *s = set_text_value(t.data, t.len);
    wg_buf_free(&t);
    return s;
}

void wg_inspector_record_open(const char *conn_id, h2o_req_t *req, const char *source_ip, const char *user_agent)
{
    json_t *e = new_entry("open", conn_id);
    json_object_set_new(e, "sourceIp", json_string(source_ip));
    if (user_agent != NULL)
        set_text(e, "userAgent", user_agent, strlen(user_agent));
    if (req != NULL && req->query_at != SIZE_MAX)
        json_object_set_new(e, "query",
                            redacted_query(req->path.base + req->query_at + 1, req->path.len - req->query_at - 1));
    wg_inspector_add(e);
}

void wg_inspector_record_rejected(const char *conn_id, int status, const char *why)
{
    json_t *e = new_entry("rejected", conn_id);
    json_object_set_new(e, "status", json_integer(status));
    if (why != NULL)
        set_text(e, "why", why, strlen(why));
    wg_inspector_add(e);
}

void wg_inspector_record_auth(const char *conn_id, const wg_auth_decision_t *decision)
{
    json_t *e = new_entry("auth", conn_id);
    json_object_set_new(e, "allowed", json_boolean(decision->status == 0));
    if (decision->status != 0)
        json_object_set_new(e, "status", json_integer(decision->status));
    if (decision->why != NULL)
        set_text(e, "why", decision->why, strlen(decision->why));
    if (decision->authorizer_json != NULL) {
        json_t *doc = json_loads(decision->authorizer_json, 0, NULL);
        if (doc != NULL)
            json_object_set_new(e, "authorizer", doc);
    }
    wg_inspector_add(e);
}

void wg_inspector_record_frame(const char *conn_id, const char *dir, const char *source, const void *data, size_t len)
{
    if (g.ring == NULL)
        return;
    wg_buf_t *b = direct_entry("frame", conn_id);
    PUT(b, ",\"dir\":\"");
    put_str(b, dir);
    PUT(b, "\"");
    if (source != NULL) {
        PUT(b, ",\"source\":\"");
        put_str(b, source);
        PUT(b, "\"");
    }
    PUT(b, ",\"len\":");
    put_u64(b, len);
    if (wg_inspector_is_acting)
        PUT(b, ",\"byInspector\":true");
    if (put_member(b, "data", data, len))
        PUT(b, ",\"truncated\":true");
    direct_finish(b);
}

void wg_inspector_record_control(const char *conn_id, const char *dir, const char *control, const void *payload,
                                 size_t len)
{
    if (g.ring == NULL)
        return;
    const unsigned char *p = payload;
    int is_printable = wg_utf8_is_valid(p, len);
    for (size_t i = 0; is_printable && i < len; i++)
        is_printable = p[i] >= 0x20 && p[i] != 0x7F;
    wg_buf_t *b = direct_entry("frame", conn_id);
    PUT(b, ",\"dir\":\"");
    put_str(b, dir);
    PUT(b, "\",\"control\":\"");
    put_str(b, control);
    PUT(b, "\",\"len\":");
    put_u64(b, len);
    if (is_printable) {
        put_member(b, "data", p, len);
    } else if (len > 0) {
        static const char hex[] = "0123456789abcdef";
        PUT(b, ",\"dataHex\":\"");
        for (size_t i = 0; i < len && i < 125; i++) {
            char h[2] = {hex[p[i] >> 4], hex[p[i] & 0xF]};
            wg_buf_append(b, h, 2);
        }
        PUT(b, "\"");
    }
    direct_finish(b);
}

void wg_inspector_record_server_close(const char *conn_id, int code, const char *reason)
{
    json_t *e = new_entry("frame", conn_id);
    json_object_set_new(e, "dir", json_string("out"));
    json_object_set_new(e, "source", json_string("close"));
    json_object_set_new(e, "code", json_integer(code));
    set_text(e, "reason", reason ? reason : "", reason ? strlen(reason) : 0);
    wg_inspector_add(e);
}

void wg_inspector_record_closed(const char *conn_id, const wg_ws_close_info_t *info, int code, const char *reason)
{
    json_t *e = new_entry("closed", conn_id);
    json_object_set_new(e, "by",
                        json_string(info->is_abnormal           ? "network"
                                    : info->is_server_initiated ? "server"
                                                                : "client"));
    if (!info->is_abnormal && !info->is_server_initiated) {
        json_object_set_new(e, "clientCode", json_integer(info->code));
        set_text(e, "clientReason", info->reason, info->reason_len);
    }
    json_object_set_new(e, "code", json_integer(code));
    set_text(e, "reason", reason ? reason : "", reason ? strlen(reason) : 0);
    wg_inspector_add(e);
}

static const char *integration_name(wg_integration_type_t type)
{
    switch (type) {
    case WG_INTEGRATION_HTTP: return "HTTP (Lambda proxy event)";
    case WG_INTEGRATION_DEMO: return "demo";
    case WG_INTEGRATION_LAMBDA: return "Lambda Invoke";
    case WG_INTEGRATION_HTTP_PROXY: return "HTTP_PROXY";
    case WG_INTEGRATION_MOCK: return "MOCK";
    case WG_INTEGRATION_FUNCTION: return "function";
    }
    return "?";
}

static size_t start_slot(const char *request_id)
{
    size_t h = 5381;
    for (const char *p = request_id; *p; p++)
        h = h * 33 + (unsigned char)*p;
    return h % WG_LIMIT_INSPECTOR_START_SLOTS;
}

void wg_inspector_record_call(const char *conn_id, const char *request_id, const wg_route_config_t *route,
                              const char *event, size_t event_len)
{
    json_t *e = new_entry("call", conn_id);
    json_object_set_new(e, "requestId", json_string(request_id));
    json_object_set_new(e, "routeKey", json_string(route->key));
    json_object_set_new(e, "integration", json_string(integration_name(route->type)));
    const char *target = route->function ? route->function : route->uri;
    if (target != NULL)
        json_object_set_new(e, "target", json_string(target));
    json_t *doc = event_len <= 2 * WG_LIMIT_INSPECTOR_FIELD_BYTES ? json_loadb(event, event_len, 0, NULL) : NULL;
    if (json_is_object(doc)) {
        wg_redact_event(doc); /* as --verbose does */
        json_object_set_new(e, "event", doc);
    } else {
        json_decref(doc);
        set_text(e, "eventText", event, event_len);
    }
    size_t slot = start_slot(request_id);
    snprintf(g.starts[slot].request_id, sizeof(g.starts[slot].request_id), "%s", request_id);
    g.starts[slot].at_ms = now_ms();
    wg_inspector_add(e);
}

void wg_inspector_record_answer(const char *conn_id, const char *request_id, const wg_route_config_t *route,
                                const wg_integration_result_t *result)
{
    json_t *e = new_entry("answer", conn_id);
    json_object_set_new(e, "requestId", json_string(request_id));
    json_object_set_new(e, "routeKey", json_string(route->key));
    json_object_set_new(e, "outcome",
                        json_string(result->outcome == WG_OUTCOME_OK        ? "ok"
                                    : result->outcome == WG_OUTCOME_TIMEOUT ? "timeout"
                                                                            : "error"));
    if (result->outcome == WG_OUTCOME_OK)
        json_object_set_new(e, "status", json_integer(result->status));
    json_object_set_new(e, "isProxyResult", json_boolean(result->is_proxy_result));
    if (result->error != NULL)
        set_text(e, "error", result->error, strlen(result->error));
    json_t *response = json_object();
    json_object_set_new(response, "status", json_integer(result->outcome == WG_OUTCOME_OK ? result->http_status : 0));
    if (result->raw_body != NULL)
        set_text(response, "body", result->raw_body, result->raw_body_len);
    json_object_set_new(e, "response", response);
    size_t slot = start_slot(request_id);
    if (strcmp(g.starts[slot].request_id, request_id) == 0) {
        double ms = now_ms() - g.starts[slot].at_ms;
        json_object_set_new(e, "latencyMs", json_real((double)(long long)(ms * 1000.0) / 1000.0));
        g.starts[slot].request_id[0] = '\0';
    }
    wg_inspector_add(e);
}

static const char *sigv4_status_name(wg_sigv4_status_t status)
{
    switch (status) {
    case WG_SIGV4_OK: return "ok";
    case WG_SIGV4_MISSING: return "missing";
    case WG_SIGV4_INCOMPLETE: return "incomplete";
    case WG_SIGV4_BAD_SIGNATURE: return "signature mismatch";
    case WG_SIGV4_EXPIRED: return "expired";
    case WG_SIGV4_NOT_YET_CURRENT: return "not yet current";
    case WG_SIGV4_UNKNOWN_KEY: return "unknown key";
    }
    return "?";
}

/* The canonical request with the value of a signed x-amz-security-token line hidden (the token
 * is a credential; the page says the line was redacted). */
static json_t *redacted_canonical(const char *creq)
{
    static const char token[] = "\nx-amz-security-token:";
    const char *at = strstr(creq, token);
    if (at == NULL) {
        json_t *s = json_string(creq);
        return s ? s : json_string("(not UTF-8)");
    }
    const char *eol = strchr(at + 1, '\n');
    size_t head = (size_t)(at - creq) + sizeof(token) - 1;
    size_t tail = eol ? strlen(eol) : 0;
    char *out = malloc(head + 10 + tail + 1);
    if (out == NULL)
        abort();
    memcpy(out, creq, head);
    memcpy(out + head, "(redacted)", 10);
    memcpy(out + head + 10, eol ? eol : "", tail);
    out[head + 10 + tail] = '\0';
    json_t *s = json_string(out);
    free(out);
    return s ? s : json_string("(not UTF-8)");
}

void wg_inspector_record_signature(h2o_req_t *req, const wg_sigv4_result_t *result)
{
    json_t *sig = json_object();
    json_object_set_new(sig, "verdict", json_string(sigv4_status_name(result->status)));
    json_object_set_new(sig, "accessKeyId", json_string(result->access_key_id));
    json_object_set_new(sig, "region", json_string(result->region));
    json_object_set_new(sig, "presigned", json_boolean(result->is_presigned));
    if (result->message != NULL)
        set_text(sig, "message", result->message, strlen(result->message));
    if (result->canonical_request != NULL)
        json_object_set_new(sig, "canonicalRequest", redacted_canonical(result->canonical_request));
    if (result->string_to_sign != NULL)
        json_object_set_new(sig, "stringToSign", json_string(result->string_to_sign));
    if (result->signed_headers != NULL)
        set_text(sig, "signedHeaders", result->signed_headers, strlen(result->signed_headers));
    if (result->client_signature != NULL)
        set_text(sig, "clientSignature", result->client_signature, strlen(result->client_signature));
    /* the headers as they arrived, so a header the SDK signed but a proxy changed shows up */
    json_t *headers = json_array();
    size_t n;
    wg_header_t *hs = wg_http_reply_request_headers(req, &n);
    for (size_t i = 0; i < n; i++) {
        json_t *pair = json_array();
        json_array_append_new(pair, json_stringn(hs[i].name, hs[i].name_len) ?: json_string("?"));
        if (wg_redact_is_secret_name(hs[i].name, hs[i].name_len))
            json_array_append_new(pair, json_string("(redacted)"));
        else
            json_array_append_new(pair, json_stringn(hs[i].value, hs[i].value_len) ?: json_string("(not UTF-8)"));
        json_array_append_new(headers, pair);
    }
    free(hs);
    json_object_set_new(sig, "headers", headers);
    json_decref(g.sig);
    g.sig = sig;
    g.sig_req = req;
    g.sig_req_began = req->timestamps.request_begin_at;
}

void wg_inspector_record_mgmt(h2o_req_t *req, const char *raw_id, size_t raw_id_len)
{
    char id[WG_ID_LEN * 3 + 1];
    size_t id_len;
    if (g.ring == NULL)
        return;
    int has_id = 0;
    if (raw_id_len < sizeof(id) && memchr(raw_id, '%', raw_id_len) == NULL &&
        memchr(raw_id, '\0', raw_id_len) == NULL) { /* the usual id: nothing to decode */
        memcpy(id, raw_id, raw_id_len);
        id[raw_id_len] = '\0';
        id_len = raw_id_len;
        has_id = 1;
    } else {
        has_id = raw_id_len < sizeof(id) && wg_urlcodec_decode(raw_id, raw_id_len, id, &id_len, 0) == 0;
    }
    if (g.sig == NULL || g.sig_req != req || g.sig_req_began.tv_sec != req->timestamps.request_begin_at.tv_sec ||
        g.sig_req_began.tv_usec != req->timestamps.request_begin_at.tv_usec) {
        /* the common case, written directly */
        wg_buf_t *b = direct_entry("mgmt", NULL);
        if (has_id)
            put_member(b, "conn", id, id_len);
        put_member(b, "method", req->method.base, req->method.len);
        PUT(b, ",\"status\":");
        put_u64(b, (uint64_t)(req->res.status > 0 ? req->res.status : 0));
        for (size_t i = 0; i < req->res.headers.size; i++) {
            const h2o_header_t *h = &req->res.headers.entries[i];
            if (h2o_lcstris(h->name->base, h->name->len, H2O_STRLIT("x-amzn-errortype")))
                put_member(b, "errorType", h->value.base, h->value.len);
        }
        if (req->entity.base != NULL) {
            PUT(b, ",\"bytes\":");
            put_u64(b, req->entity.len);
        }
        struct timeval now;
        gettimeofday(&now, NULL);
        double ms = (double)(now.tv_sec - req->timestamps.request_begin_at.tv_sec) * 1000.0 +
                    (double)(now.tv_usec - req->timestamps.request_begin_at.tv_usec) / 1000.0;
        PUT(b, ",\"latencyMs\":");
        put_ms3(b, ms);
        direct_finish(b);
        json_decref(g.sig);
        g.sig = NULL;
        g.sig_req = NULL;
        return;
    }
    json_t *e = new_entry("mgmt", NULL);
    if (has_id)
        json_object_set_new(e, "conn", json_stringn(id, id_len) ?: json_string("(malformed)"));
    json_object_set_new(e, "method", json_stringn(req->method.base, req->method.len) ?: json_string("?"));
    json_object_set_new(e, "status", json_integer(req->res.status));
    for (size_t i = 0; i < req->res.headers.size; i++) {
        const h2o_header_t *h = &req->res.headers.entries[i];
        if (h2o_lcstris(h->name->base, h->name->len, H2O_STRLIT("x-amzn-errortype")))
            json_object_set_new(e, "errorType", json_stringn(h->value.base, h->value.len) ?: json_string("?"));
    }
    if (req->entity.base != NULL)
        json_object_set_new(e, "bytes", json_integer((json_int_t)req->entity.len));
    struct timeval now;
    gettimeofday(&now, NULL);
    double ms = (double)(now.tv_sec - req->timestamps.request_begin_at.tv_sec) * 1000.0 +
                (double)(now.tv_usec - req->timestamps.request_begin_at.tv_usec) / 1000.0;
    json_object_set_new(e, "latencyMs", json_real((double)(long long)(ms * 1000.0) / 1000.0));
    if (g.sig != NULL && g.sig_req == req)
        json_object_set_new(e, "signature", json_incref(g.sig));
    json_decref(g.sig);
    g.sig = NULL;
    g.sig_req = NULL;
    wg_inspector_add(e);
}

void wg_inspector_record_function(const char *function, const char *request_id, const char *conn_id,
                                  const char *event_request_id, const char *what, const char *text, size_t len,
                                  double duration_ms)
{
    json_t *e = new_entry("function", conn_id != NULL && conn_id[0] != '\0' ? conn_id : NULL);
    json_object_set_new(e, "function", json_string(function));
    if (request_id != NULL)
        json_object_set_new(e, "requestId", json_string(request_id));
    if (event_request_id != NULL && event_request_id[0] != '\0')
        json_object_set_new(e, "eventRequestId", json_string(event_request_id));
    json_object_set_new(e, "what", json_string(what));
    if (text != NULL)
        set_text(e, "text", text, len);
    if (strcmp(what, "end") == 0)
        json_object_set_new(e, "durationMs", json_real((double)(long long)(duration_ms * 100.0) / 100.0));
    wg_inspector_add(e);
}
