/*
 * inspector.c: the inspector's bounded ring and the entries the hooks write (see inspector.h).
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
#include "config.h"
#include "http_reply.h"
#include "integration_result.h"
#include "limits.h"
#include "log.h"
#include "redact.h"
#include "server_state.h"
#include "sigv4.h"
#include "urlcodec.h"
#include "ws.h"

/* ---- the ring -------------------------------------------------------------------------------- */

struct wg_inspector_ring {
    wg_inspector_entry_t *slots;
    size_t capacity;
    size_t head; /* slot of the oldest entry */
    size_t count;
    size_t bytes;
    size_t max_bytes;
    uint64_t oldest_seq;
};

wg_inspector_ring_t *wg_inspector_ring_new(size_t capacity, size_t max_bytes)
{
    if (capacity == 0)
        capacity = 1;
    wg_inspector_ring_t *ring = calloc(1, sizeof(*ring));
    if (ring == NULL)
        abort();
    ring->slots = calloc(capacity, sizeof(*ring->slots));
    if (ring->slots == NULL)
        abort();
    ring->capacity = capacity;
    ring->max_bytes = max_bytes;
    ring->oldest_seq = 1;
    return ring;
}

void wg_inspector_ring_free(wg_inspector_ring_t *ring)
{
    if (ring == NULL)
        return;
    for (size_t i = 0; i < ring->count; i++)
        free(ring->slots[(ring->head + i) % ring->capacity].text);
    free(ring->slots);
    free(ring);
}

static void drop_oldest(wg_inspector_ring_t *ring)
{
    wg_inspector_entry_t *e = &ring->slots[ring->head];
    ring->bytes -= e->len;
    free(e->text);
    memset(e, 0, sizeof(*e));
    ring->head = (ring->head + 1) % ring->capacity;
    ring->count--;
    ring->oldest_seq++;
}

uint64_t wg_inspector_ring_push(wg_inspector_ring_t *ring, char *text, size_t len)
{
    while (ring->count > 0 && (ring->count == ring->capacity || ring->bytes + len > ring->max_bytes))
        drop_oldest(ring);
    uint64_t seq = ring->oldest_seq + ring->count;
    wg_inspector_entry_t *e = &ring->slots[(ring->head + ring->count) % ring->capacity];
    e->seq = seq;
    e->text = text;
    e->len = len;
    ring->count++;
    ring->bytes += len;
    return seq;
}

const wg_inspector_entry_t *wg_inspector_ring_get(const wg_inspector_ring_t *ring, uint64_t seq)
{
    if (seq < ring->oldest_seq || seq >= ring->oldest_seq + ring->count)
        return NULL;
    return &ring->slots[(ring->head + (size_t)(seq - ring->oldest_seq)) % ring->capacity];
}

uint64_t wg_inspector_ring_oldest_seq(const wg_inspector_ring_t *ring)
{
    return ring->oldest_seq;
}

uint64_t wg_inspector_ring_next_seq(const wg_inspector_ring_t *ring)
{
    return ring->oldest_seq + ring->count;
}

size_t wg_inspector_ring_count(const wg_inspector_ring_t *ring)
{
    return ring->count;
}

size_t wg_inspector_ring_bytes(const wg_inspector_ring_t *ring)
{
    return ring->bytes;
}

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
    wg_inspector_ring_free(g.ring);
    g.ring = NULL;
    json_decref(g.sig);
    g.sig = NULL;
}

int wg_inspector_is_enabled(void)
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
    wg_inspector_http_wake();
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
 * Frames and @connections calls happen once per message: their entries are formatted straight into
 * text (jansson still escapes every string) instead of through a JSON tree, which costs several
 * times more per entry (bench/README.md, "Inspector"). */

typedef struct text {
    char *data;
    size_t len, cap;
} text_t;

static int text_add(const char *p, size_t n, void *arg)
{
    text_t *t = arg;
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->data = realloc(t->data, t->cap);
        if (t->data == NULL)
            abort();
    }
    memcpy(t->data + t->len, p, n);
    t->len += n;
    t->data[t->len] = '\0';
    return 0;
}

static void text_printf(text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_printf(text_t *t, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0)
        text_add(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1, t);
}

/* ,"key":"value" with value escaped by jansson; cut like set_text. Returns 1 when cut. */
static int text_member(text_t *t, const char *key, const void *data, size_t len)
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
    text_printf(t, ",\"%s\":", key);
    json_t *str = json_stringn((const char *)p, n);
    if (str == NULL) {
        char note[96];
        snprintf(note, sizeof(note), "(%zu bytes, not UTF-8 text)", len);
        str = json_string(note);
    }
    json_dump_callback(str, text_add, t, JSON_ENCODE_ANY);
    json_decref(str);
    return is_cut;
}

static text_t text_entry(const char *kind, const char *conn_id)
{
    text_t t = {malloc(256), 0, 256};
    if (t.data == NULL)
        abort();
    text_printf(&t, "{\"seq\":%llu,\"t\":%llu,\"kind\":\"%s\"", (unsigned long long)wg_inspector_ring_next_seq(g.ring),
                (unsigned long long)now_ms(), kind);
    if (conn_id != NULL)
        text_member(&t, "conn", conn_id, strlen(conn_id));
    return t;
}

static void text_finish(text_t *t)
{
    text_add("}", 1, t);
    wg_inspector_ring_push(g.ring, t->data, t->len);
    wg_inspector_http_wake();
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
    text_t t = {0};
    text_add("", 0, &t);
    for (size_t i = 0; i < query.count; i++) {
        const wg_query_param_t *p = &query.params[i];
        if (i > 0)
            text_add("&", 1, &t);
        text_add(p->name, strlen(p->name), &t);
        text_add("=", 1, &t);
        if (wg_redact_is_secret_name(p->name, strlen(p->name)))
            text_add("(redacted)", 10, &t);
        else
            text_add(p->value, strlen(p->value), &t);
    }
    wg_urlcodec_query_free(&query);
    json_t *s = set_text_value(t.data, t.len);
    free(t.data);
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
    text_t t = text_entry("frame", conn_id);
    text_printf(&t, ",\"dir\":\"%s\"", dir);
    if (source != NULL)
        text_printf(&t, ",\"source\":\"%s\"", source);
    text_printf(&t, ",\"len\":%zu", len);
    if (wg_inspector_is_acting)
        text_printf(&t, ",\"byInspector\":true");
    if (text_member(&t, "data", data, len))
        text_printf(&t, ",\"truncated\":true");
    text_finish(&t);
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
    int has_id = raw_id_len < sizeof(id) && wg_urlcodec_decode(raw_id, raw_id_len, id, &id_len, 0) == 0;
    if (g.ring == NULL)
        return;
    if (g.sig == NULL || g.sig_req != req || g.sig_req_began.tv_sec != req->timestamps.request_begin_at.tv_sec ||
        g.sig_req_began.tv_usec != req->timestamps.request_begin_at.tv_usec) {
        /* the common case, written directly */
        text_t t = text_entry("mgmt", NULL);
        if (has_id)
            text_member(&t, "conn", id, id_len);
        text_member(&t, "method", req->method.base, req->method.len);
        text_printf(&t, ",\"status\":%d", req->res.status);
        for (size_t i = 0; i < req->res.headers.size; i++) {
            const h2o_header_t *h = &req->res.headers.entries[i];
            if (h2o_lcstris(h->name->base, h->name->len, H2O_STRLIT("x-amzn-errortype")))
                text_member(&t, "errorType", h->value.base, h->value.len);
        }
        if (req->entity.base != NULL)
            text_printf(&t, ",\"bytes\":%zu", req->entity.len);
        struct timeval now;
        gettimeofday(&now, NULL);
        double ms = (double)(now.tv_sec - req->timestamps.request_begin_at.tv_sec) * 1000.0 +
                    (double)(now.tv_usec - req->timestamps.request_begin_at.tv_usec) / 1000.0;
        text_printf(&t, ",\"latencyMs\":%.3f", ms);
        text_finish(&t);
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

void wg_inspector_record_function(const char *function, const char *request_id, const char *what, const char *text,
                                  size_t len, double duration_ms)
{
    json_t *e = new_entry("function", NULL);
    json_object_set_new(e, "function", json_string(function));
    if (request_id != NULL)
        json_object_set_new(e, "requestId", json_string(request_id));
    json_object_set_new(e, "what", json_string(what));
    if (text != NULL)
        set_text(e, "text", text, len);
    if (strcmp(what, "end") == 0)
        json_object_set_new(e, "durationMs", json_real((double)(long long)(duration_ms * 100.0) / 100.0));
    wg_inspector_add(e);
}
