/*
 * events.c: the Lambda proxy event JSON that API Gateway sends for $connect, messages and
 * $disconnect, and the error frames it sends to clients (docs/aws-behaviour.md: AWS-EV, AWS-HDR, AWS-QS,
 * AWS-FRM).
 *
 * What is copied from AWS (captured): top-level and requestContext key orders per event type
 * (AWS-EV-2..4, AWS-EV-8..10), `authorizer` right after `disconnectStatusCode` in $disconnect
 * (AWS-EV-11; its place after `routeKey` in the other events is inferred, AWS-EV-12), identity with
 * `userAgent` then `sourceIp` (only `sourceIp` without a User-Agent), the $connect header rules
 * (client headers minus Connection/Upgrade, client spelling, sorted case-insensitively, plus the
 * four AWS headers, AWS-HDR-1..5), the fixed four $disconnect headers (AWS-HDR-11), query maps only
 * when the URL had a query (AWS-QS-1..3), and the error frames' exact spacing (AWS-FRM-1).
 *
 * Decisions where AWS could not be observed [I] (listed for the README):
 * - Serialisation: compact JSON (jansson, JSON_COMPACT, insertion order), written the way a Java
 *   serializer such as Jackson writes by default, which jansson's defaults match: non-ASCII stays
 *   raw UTF-8 (no JSON_ENSURE_ASCII), '/' is not escaped (no JSON_ESCAPE_SLASH), '"' and '\' and
 *   \b \f \n \r \t get short escapes, other control characters \u00XX with upper-case hex.
 * - Bytes that are not valid UTF-8 (only possible in header values and percent-decoded query
 *   parts; message bodies are validated by ws.c, 1007) become U+FFFD, one per bad byte.
 * - Repeated header: `headers` holds the last value, `multiValueHeaders` all values in order
 *   (REST API v1 behaviour, AWS-HDR-8). Names differing only in case are one header whose
 *   key is the first spelling received (what a case-insensitive TreeMap does).
 * - A client header named like an AWS-added one (X-Amzn-Trace-Id, X-Forwarded-Port,
 *   X-Forwarded-Proto) is replaced by AWS's value; a client X-Forwarded-For is kept in front:
 *   "<client's value(s), joined with ', '>, <source IP>". The AWS-added keys use AWS's spelling.
 * - Query: values percent-decoded ('+' as space, by urlcodec), `queryStringParameters` keeps the
 *   last value of a repeated name (REST v1), `multiValueQueryStringParameters` all values; keys in
 *   order of first appearance; `?flag` gives "". A query with no parameter at all (bare `?`,
 *   `?&`) is treated like no query: both maps absent.
 * - An `authorizer_json` that does not parse as a JSON object is left out (and cannot happen:
 *   the authorizer code produces it).
 * - IAM identity (AWS-AUTH-18, no capture exists): `identity` gets accessKey, accountId, caller, user
 *   and userArn. Their order follows the same Java HashMap theory that reproduces every captured
 *   requestContext order (AWS-EV-14): the modern identity puts userAgent before sourceIp, which a
 *   32-bucket table gives (a 16-bucket one would not), and the same table orders the seven keys
 *   userArn, userAgent, accountId, caller, sourceIp, accessKey, user.
 * - Authorizer event (AWS-AUTH-5): `content-length: "0"` is added in lower case as captured, and
 *   `Upgrade: websocket` / `Connection: upgrade` when the handshake list lacks them (h2o keeps
 *   Upgrade out of the request's headers).
 */
#include "events.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "urlcodec.h"

/* ---------------------------------------------------------------- strings ---- */

/* Length of the valid UTF-8 sequence at s[0..len), or 0 when it is not one (overlong forms,
 * surrogates and code points above U+10FFFF are invalid, as in jansson). */
static size_t utf8_sequence_length(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* A JSON string of `len` bytes; invalid UTF-8 bytes become U+FFFD each. Aborts on OOM. */
static json_t *json_text(const char *s, size_t len)
{
    if (s == NULL)
        return json_text("", 0);
    json_t *str = json_stringn(s, len);
    if (str != NULL)
        return str;
    /* Not valid UTF-8: each bad byte becomes EF BF BD (3 bytes), so 3 * len suffices. */
    char *clean = malloc(3 * len + 1);
    if (clean == NULL)
        abort();
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_sequence_length((const unsigned char *)s + i, len - i);
        if (n == 0) {
            memcpy(clean + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            memcpy(clean + o, s + i, n);
            o += n;
            i += n;
        }
    }
    str = json_stringn(clean, o);
    free(clean);
    if (str == NULL)
        abort();
    return str;
}

static json_t *json_cstr(const char *s)
{
    return json_text(s, s != NULL ? strlen(s) : 0);
}

/* Adds `value` (a new reference, taken) under `key` (len bytes), keeping insertion order; a key
 * that is not valid UTF-8 is repaired like values are (jansson refuses such keys). Replacing an
 * existing key keeps its position. */
static void object_add(json_t *obj, const char *key, size_t key_len, json_t *value)
{
    json_t *clean = json_text(key, key_len);
    if (json_object_setn_new(obj, json_string_value(clean), json_string_length(clean), value) != 0)
        abort(); /* only out of memory is left */
    json_decref(clean);
}

/* The array stored under `key` in `obj`, created (empty) if absent; borrowed. */
static json_t *object_array(json_t *obj, const char *key, size_t key_len)
{
    json_t *clean = json_text(key, key_len);
    json_t *values = json_object_getn(obj, json_string_value(clean), json_string_length(clean));
    if (values == NULL) {
        values = json_array();
        if (json_object_setn_new(obj, json_string_value(clean), json_string_length(clean), values) != 0)
            abort();
    }
    json_decref(clean);
    return values;
}

static void object_set(json_t *obj, const char *key, json_t *value)
{
    object_add(obj, key, strlen(key), value);
}

/* Dumps compactly into a malloc'd string (freed with free(), whatever jansson's allocator). */
static char *dump(json_t *root, size_t *len_out)
{
    /* one pass (json_dumpb would walk the tree twice: once to size, once to write); the output
     * holds no raw NUL (jansson escapes it as \u0000), so strlen is its length */
    char *out = json_dumps(root, JSON_COMPACT);
    if (out == NULL)
        abort();
    size_t len = strlen(out);
    if (len_out != NULL)
        *len_out = len;
    json_decref(root);
    return out;
}

/* ------------------------------------------------------- requestContext ---- */

typedef enum { EVENT_CONNECT, EVENT_MESSAGE, EVENT_DISCONNECT } event_type_t;

static void add_authorizer(json_t *rc, const wg_event_context_t *ctx)
{
    if (ctx->authorizer_json == NULL)
        return;
    json_error_t err;
    json_t *auth = json_loads(ctx->authorizer_json, 0, &err);
    if (auth == NULL)
        return;
    if (!json_is_object(auth)) {
        json_decref(auth);
        return;
    }
    object_set(rc, "authorizer", auth);
}

/* `identity`: userAgent then sourceIp (AWS-EV-13); with IAM extras, the merged order from the top
 * of this file; extra members we do not know go last in their own order. */
static json_t *identity_object(const wg_event_context_t *ctx)
{
    json_t *identity = json_object();
    json_t *extra = ctx->identity_json != NULL ? json_loads(ctx->identity_json, 0, NULL) : NULL;
    if (extra != NULL && !json_is_object(extra)) {
        json_decref(extra);
        extra = NULL;
    }
    static const char *const order[] = {"userArn", "userAgent", "accountId", "caller", "sourceIp", "accessKey", "user"};
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if (strcmp(order[i], "userAgent") == 0) {
            if (ctx->user_agent != NULL)
                object_set(identity, "userAgent", json_cstr(ctx->user_agent));
        } else if (strcmp(order[i], "sourceIp") == 0) {
            object_set(identity, "sourceIp", json_cstr(ctx->source_ip));
        } else if (extra != NULL && json_object_get(extra, order[i]) != NULL) {
            object_set(identity, order[i], json_incref(json_object_get(extra, order[i])));
        }
    }
    const char *key;
    json_t *value;
    if (extra != NULL) {
        json_object_foreach(extra, key, value) {
            if (json_object_get(identity, key) == NULL)
                object_set(identity, key, json_incref(value));
        }
    }
    json_decref(extra);
    return identity;
}

/* The key orders of AWS-EV-8..10 (AWS-EV-14), hard-coded per type (the Java HashMap order AWS emits). */
static json_t *request_context(const wg_event_context_t *ctx, event_type_t type)
{
    json_t *rc = json_object();
    char request_time[32];
    wg_clock_format_request_time(ctx->request_time_ms, request_time);

    object_set(rc, "routeKey", json_cstr(ctx->route_key));
    if (type == EVENT_DISCONNECT)
        object_set(rc, "disconnectStatusCode", json_integer(ctx->disconnect_status_code));
    add_authorizer(rc, ctx);
    if (type == EVENT_MESSAGE)
        object_set(rc, "messageId", json_cstr(ctx->message_id));
    object_set(rc, "eventType",
               json_string(type == EVENT_CONNECT   ? "CONNECT"
                           : type == EVENT_MESSAGE ? "MESSAGE"
                                                   : "DISCONNECT"));
    object_set(rc, "extendedRequestId", json_cstr(ctx->request_id));
    object_set(rc, "requestTime", json_string(request_time));
    object_set(rc, "messageDirection", json_string("IN"));
    if (type == EVENT_DISCONNECT)
        object_set(rc, "disconnectReason", json_cstr(ctx->disconnect_reason));
    object_set(rc, "stage", json_cstr(ctx->stage));
    object_set(rc, "connectedAt", json_integer((json_int_t)ctx->connected_at));
    object_set(rc, "requestTimeEpoch", json_integer((json_int_t)ctx->request_time_ms));

    object_set(rc, "identity", identity_object(ctx));

    object_set(rc, "requestId", json_cstr(ctx->request_id));
    object_set(rc, "domainName", json_cstr(ctx->domain_name));
    object_set(rc, "connectionId", json_cstr(ctx->connection_id));
    object_set(rc, "apiId", json_cstr(ctx->api_id));
    return rc;
}

/* ------------------------------------------------------------- $connect ---- */

typedef struct header_entry {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
    size_t order; /* position received: ties keep it (a stable sort) */
} header_entry_t;

/* Java's String.CASE_INSENSITIVE_ORDER compares lower-cased characters; so does this (ASCII). */
static int compare_names(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    for (size_t i = 0; i < n; i++) {
        int ca = (unsigned char)a[i], cb = (unsigned char)b[i];
        if (ca >= 'A' && ca <= 'Z')
            ca += 'a' - 'A';
        if (cb >= 'A' && cb <= 'Z')
            cb += 'a' - 'A';
        if (ca != cb)
            return ca - cb;
    }
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static int compare_entries(const void *pa, const void *pb)
{
    const header_entry_t *a = pa, *b = pb;
    int c = compare_names(a->name, a->name_len, b->name, b->name_len);
    if (c != 0)
        return c;
    return a->order < b->order ? -1 : a->order > b->order ? 1 : 0;
}

/* Growable byte buffer for the merged X-Forwarded-For value. */
typedef struct text_buf {
    char *data;
    size_t len, cap;
} text_buf_t;

static void buf_append(text_buf_t *buf, const char *s, size_t n)
{
    if (buf->len + n + 1 > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 64;
        while (cap < buf->len + n + 1)
            cap *= 2;
        buf->data = realloc(buf->data, cap);
        if (buf->data == NULL)
            abort();
        buf->cap = cap;
    }
    memcpy(buf->data + buf->len, s, n);
    buf->len += n;
    buf->data[buf->len] = '\0';
}

static void add_entry(header_entry_t *entries, size_t *count, const char *name, const char *value, size_t value_len)
{
    header_entry_t *e = &entries[*count];
    e->name = name;
    e->name_len = strlen(name);
    e->value = value;
    e->value_len = value_len;
    e->order = *count;
    (*count)++;
}

/* Adds `headers` and `multiValueHeaders` for the $connect event (AWS-HDR-1..10), or with
 * `is_authorizer` for the authorizer event (AWS-AUTH-5: Connection and Upgrade kept, content-length
 * added). */
static void add_connect_headers(json_t *root, const wg_event_context_t *ctx, const wg_header_t *headers,
                                size_t num_headers, const wg_event_forwarding_t *fwd, int is_authorizer)
{
    header_entry_t *entries = malloc((num_headers + 7) * sizeof(*entries));
    if (entries == NULL)
        abort();
    size_t count = 0;
    text_buf_t forwarded_for = {0};
    int has_connection = 0, has_upgrade = 0, has_content_length = 0;

    for (size_t i = 0; i < num_headers; i++) {
        const wg_header_t *h = &headers[i];
        if (is_authorizer) {
            has_connection |= wg_headers_ieq(h->name, h->name_len, "Connection");
            has_upgrade |= wg_headers_ieq(h->name, h->name_len, "Upgrade");
            has_content_length |= wg_headers_ieq(h->name, h->name_len, "Content-Length");
        }
        if ((!is_authorizer &&
             (wg_headers_ieq(h->name, h->name_len, "Connection") || wg_headers_ieq(h->name, h->name_len, "Upgrade"))) ||
            wg_headers_ieq(h->name, h->name_len, "X-Amzn-Trace-Id") ||
            wg_headers_ieq(h->name, h->name_len, "X-Forwarded-Port") ||
            wg_headers_ieq(h->name, h->name_len, "X-Forwarded-Proto"))
            continue;
        if (wg_headers_ieq(h->name, h->name_len, "X-Forwarded-For")) {
            if (forwarded_for.len > 0)
                buf_append(&forwarded_for, ", ", 2);
            buf_append(&forwarded_for, h->value, h->value_len);
            continue;
        }
        entries[count] = (header_entry_t){h->name, h->name_len, h->value, h->value_len, count};
        count++;
    }
    const char *ip = ctx->source_ip != NULL ? ctx->source_ip : "";
    if (forwarded_for.len > 0)
        buf_append(&forwarded_for, ", ", 2);
    buf_append(&forwarded_for, ip, strlen(ip));

    if (is_authorizer && !has_connection)
        add_entry(entries, &count, "Connection", "upgrade", 7);
    if (is_authorizer && !has_upgrade)
        add_entry(entries, &count, "Upgrade", "websocket", 9);
    if (is_authorizer && !has_content_length)
        add_entry(entries, &count, "content-length", "0", 1);
    if (fwd != NULL && fwd->trace_id != NULL)
        add_entry(entries, &count, "X-Amzn-Trace-Id", fwd->trace_id, strlen(fwd->trace_id));
    add_entry(entries, &count, "X-Forwarded-For", forwarded_for.data, forwarded_for.len);
    if (fwd != NULL && fwd->forwarded_port != NULL)
        add_entry(entries, &count, "X-Forwarded-Port", fwd->forwarded_port, strlen(fwd->forwarded_port));
    if (fwd != NULL && fwd->forwarded_proto != NULL)
        add_entry(entries, &count, "X-Forwarded-Proto", fwd->forwarded_proto, strlen(fwd->forwarded_proto));

    qsort(entries, count, sizeof(*entries), compare_entries);

    json_t *single = json_object();
    json_t *multi = json_object();
    for (size_t i = 0; i < count;) {
        size_t group_end = i + 1;
        while (group_end < count && compare_names(entries[i].name, entries[i].name_len, entries[group_end].name,
                                                  entries[group_end].name_len) == 0)
            group_end++;
        json_t *values = json_array();
        for (size_t j = i; j < group_end; j++)
            json_array_append_new(values, json_text(entries[j].value, entries[j].value_len));
        const header_entry_t *last = &entries[group_end - 1];
        object_add(single, entries[i].name, entries[i].name_len, json_text(last->value, last->value_len));
        object_add(multi, entries[i].name, entries[i].name_len, values);
        i = group_end;
    }
    object_set(root, "headers", single);
    object_set(root, "multiValueHeaders", multi);
    free(forwarded_for.data);
    free(entries);
}

/* Adds the two query maps when the query has at least one parameter (AWS-QS-1, AWS-QS-2, AWS-QS-7); with
 * `always`, also when it has none ({} each, the authorizer event, AWS-QS-4). */
static void add_query(json_t *root, const char *raw_query, size_t raw_query_len, int always)
{
    wg_query_t query;
    wg_urlcodec_query_parse(raw_query != NULL ? raw_query : "", raw_query != NULL ? raw_query_len : 0, &query);
    if (query.count == 0 && !always) {
        wg_urlcodec_query_free(&query);
        return;
    }
    json_t *single = json_object();
    json_t *multi = json_object();
    for (size_t i = 0; i < query.count; i++) {
        const wg_query_param_t *p = &query.params[i];
        size_t name_len = strlen(p->name);
        /* replacing an existing key keeps its position: first appearance orders the keys */
        object_add(single, p->name, name_len, json_cstr(p->value));
        json_array_append_new(object_array(multi, p->name, name_len), json_cstr(p->value));
    }
    wg_urlcodec_query_free(&query);
    object_set(root, "queryStringParameters", single);
    object_set(root, "multiValueQueryStringParameters", multi);
}

char *wg_event_connect(const wg_event_context_t *ctx, const wg_header_t *headers, size_t num_headers, int has_query,
                       const char *raw_query, size_t raw_query_len, const wg_event_forwarding_t *fwd, size_t *len_out)
{
    json_t *root = json_object();
    add_connect_headers(root, ctx, headers, num_headers, fwd, 0);
    if (has_query && raw_query != NULL)
        add_query(root, raw_query, raw_query_len, 0);
    object_set(root, "requestContext", request_context(ctx, EVENT_CONNECT));
    object_set(root, "isBase64Encoded", json_false());
    return dump(root, len_out);
}

/* ----------------------------------------------------------- authorizer ---- */

char *wg_event_authorizer(const wg_event_context_t *ctx, const char *method_arn, const wg_header_t *headers,
                          size_t num_headers, int has_query, const char *raw_query, size_t raw_query_len,
                          const char *stage_variables_json, const wg_event_forwarding_t *fwd, size_t *len_out)
{
    /* Top-level order (AWS-AUTH-3): type, methodArn, headers, multiValueHeaders, queryStringParameters,
     * multiValueQueryStringParameters, stageVariables, requestContext. */
    json_t *root = json_object();
    object_set(root, "type", json_string("REQUEST"));
    object_set(root, "methodArn", json_cstr(method_arn));
    add_connect_headers(root, ctx, headers, num_headers, fwd, 1);
    add_query(root, has_query ? raw_query : NULL, has_query ? raw_query_len : 0, 1);
    json_t *vars = stage_variables_json != NULL ? json_loads(stage_variables_json, 0, NULL) : NULL;
    if (!json_is_object(vars)) {
        json_decref(vars);
        vars = json_object();
    }
    object_set(root, "stageVariables", vars);
    object_set(root, "requestContext", request_context(ctx, EVENT_CONNECT));
    return dump(root, len_out);
}

/* -------------------------------------------------------------- message ---- */

char *wg_event_message(const wg_event_context_t *ctx, const char *body, size_t body_len, size_t *len_out)
{
    json_t *root = json_object();
    object_set(root, "requestContext", request_context(ctx, EVENT_MESSAGE));
    object_set(root, "body", json_text(body != NULL ? body : "", body != NULL ? body_len : 0));
    object_set(root, "isBase64Encoded", json_false());
    return dump(root, len_out);
}

/* ----------------------------------------------------------- $disconnect ---- */

char *wg_event_disconnect(const wg_event_context_t *ctx, const char *host, size_t *len_out)
{
    /* Exactly these four, in this order, whatever the client sent (AWS-HDR-11). */
    static const char *const names[] = {"Host", "x-api-key", "X-Forwarded-For", "x-restapi"};
    json_t *root = json_object();
    json_t *single = json_object();
    json_t *multi = json_object();
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *value = i == 0 ? host : "";
        object_set(single, names[i], json_cstr(value));
        json_t *values = json_array();
        json_array_append_new(values, json_cstr(value));
        object_set(multi, names[i], values);
    }
    object_set(root, "headers", single);
    object_set(root, "multiValueHeaders", multi);
    object_set(root, "requestContext", request_context(ctx, EVENT_DISCONNECT));
    object_set(root, "isBase64Encoded", json_false());
    return dump(root, len_out);
}

/* ---------------------------------------------------------- error frames ---- */

typedef struct frame_writer {
    char *out;
    size_t size, len;
    int overflow;
} frame_writer_t;

static void frame_put(frame_writer_t *w, const char *s, size_t n)
{
    if (w->len + n >= w->size) {
        w->overflow = 1;
        return;
    }
    memcpy(w->out + w->len, s, n);
    w->len += n;
}

/* Writes `s` as JSON string content, escaped like the events (see the top of this file). IDs and
 * the three messages never need it; this only keeps a bad input from breaking the JSON. */
static void frame_put_escaped(frame_writer_t *w, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; s != NULL && *s; s++) {
        unsigned char c = (unsigned char)*s;
        const char *short_escape = c == '"'    ? "\\\""
                                   : c == '\\' ? "\\\\"
                                   : c == '\b' ? "\\b"
                                   : c == '\f' ? "\\f"
                                   : c == '\n' ? "\\n"
                                   : c == '\r' ? "\\r"
                                   : c == '\t' ? "\\t"
                                               : NULL;
        if (short_escape != NULL) {
            frame_put(w, short_escape, 2);
        } else if (c < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
            frame_put(w, esc, 6);
        } else {
            frame_put(w, (const char *)&c, 1);
        }
    }
}

size_t wg_event_error_frame(const char *message, const char *connection_id, const char *request_id, char *out,
                            size_t out_size)
{
    /* {"message": "<m>", "connectionId":"<id>", "requestId":"<rid>"}: a space after "message":
     * and after each comma, none after "connectionId": and "requestId": (AWS-FRM-1). */
    frame_writer_t w = {out, out_size, 0, 0};
    static const char p1[] = "{\"message\": \"", p2[] = "\", \"connectionId\":\"", p3[] = "\", \"requestId\":\"",
                      p4[] = "\"}";
    frame_put(&w, p1, sizeof(p1) - 1);
    frame_put_escaped(&w, message);
    frame_put(&w, p2, sizeof(p2) - 1);
    frame_put_escaped(&w, connection_id);
    frame_put(&w, p3, sizeof(p3) - 1);
    frame_put_escaped(&w, request_id);
    frame_put(&w, p4, sizeof(p4) - 1);
    if (w.overflow) {
        if (out_size > 0)
            out[0] = '\0';
        return 0;
    }
    out[w.len] = '\0';
    return w.len;
}
