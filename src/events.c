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
 * - Serialisation: compact JSON, written the way a Java serializer such as Jackson writes by
 *   default, which jansson's defaults (JSON_COMPACT, insertion order) also match: non-ASCII stays
 *   raw UTF-8, '/' is not escaped, '"' and '\' and \b \f \n \r \t get short escapes, other control
 *   characters \u00XX with upper-case hex; a key set twice in one object keeps its first place
 *   and its last value.
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

#include <stdbool.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "events_internal.h"
#include "json_text.h"
#include "urlcodec.h"
#include "utf8.h"

/* ------------------------------------------------------------ JSON writer ---- */

/* Events are written straight into a wg_buf_t rather than built as a jansson tree and dumped:
 * the tree and json_dumps were about 60 % of the instructions of a whole connection (handshake,
 * $connect, close, $disconnect; bench/README.md, "S1: the event writer"). The bytes are the ones
 * jansson's json_dumps(JSON_COMPACT) wrote for the same tree (tests/unit/test_events.c checks
 * strings against jansson, the events against the AWS captures). JSON text that comes in (the
 * authorizer's context, IAM identity, stage variables) is still parsed and written by jansson. */

static int dump_to_buf(const char *text, size_t size, void *data)
{
    wg_buf_append(data, text, size);
    return 0;
}

/* A parsed JSON value, written by jansson as it would have written it inside the event. */
static void put_json(wg_buf_t *buf, const json_t *value)
{
    if (json_dump_callback(value, dump_to_buf, buf, JSON_COMPACT | JSON_ENCODE_ANY) != 0)
        abort(); /* only out of memory is left */
}

/* The object in `text`, parsed by jansson; NULL when `text` is NULL or not a JSON object. */
static json_t *load_object(const char *text)
{
    if (text == NULL)
        return NULL;
    json_t *value = json_loads(text, 0, NULL);
    if (value != NULL && !json_is_object(value)) {
        json_decref(value);
        value = NULL;
    }
    return value;
}

/* ------------------------------------------------------- requestContext ---- */

typedef enum { EVENT_CONNECT, EVENT_MESSAGE, EVENT_DISCONNECT } event_type_t;

/* `identity`: userAgent then sourceIp (AWS-EV-13); with IAM extras, the merged order from the top
 * of this file; extra members we do not know go last in their own order. */
static void put_identity(wg_buf_t *buf, const wg_event_context_t *ctx)
{
    json_t *extra = load_object(ctx->identity_json);
    if (extra == NULL) {
        if (ctx->user_agent != NULL) {
            PUT(buf, "{\"userAgent\":");
            put_cstr(buf, ctx->user_agent);
            PUT(buf, ",\"sourceIp\":");
        } else {
            PUT(buf, "{\"sourceIp\":");
        }
        put_cstr(buf, ctx->source_ip);
        put_char(buf, '}');
        return;
    }
    static const char *const order[] = {"userArn", "userAgent", "accountId", "caller", "sourceIp", "accessKey", "user"};
    const size_t num_order = sizeof(order) / sizeof(order[0]);
    int first = 1;
    put_char(buf, '{');
    for (size_t i = 0; i < num_order; i++) {
        const json_t *value = NULL;
        const char *text = NULL;
        if (strcmp(order[i], "userAgent") == 0) {
            if (ctx->user_agent == NULL)
                continue;
            text = ctx->user_agent;
        } else if (strcmp(order[i], "sourceIp") == 0) {
            text = ctx->source_ip != NULL ? ctx->source_ip : "";
        } else if ((value = json_object_get(extra, order[i])) == NULL) {
            continue;
        }
        if (!first)
            put_char(buf, ',');
        first = 0;
        put_cstr(buf, order[i]);
        put_char(buf, ':');
        if (text != NULL)
            put_cstr(buf, text);
        else
            put_json(buf, value);
    }
    /* the rest of the extras, skipping the keys already written (userAgent only when the
     * connection had one: otherwise the extra's userAgent is not in identity yet) */
    const char *key;
    json_t *value;
    json_object_foreach(extra, key, value) {
        int written = 0;
        for (size_t i = 0; i < num_order && !written; i++)
            written = strcmp(key, order[i]) == 0 && (strcmp(key, "userAgent") != 0 || ctx->user_agent != NULL);
        if (written)
            continue;
        if (!first)
            put_char(buf, ',');
        first = 0;
        put_cstr(buf, key);
        put_char(buf, ':');
        put_json(buf, value);
    }
    put_char(buf, '}');
    json_decref(extra);
}

/* The key orders of AWS-EV-8..10 (AWS-EV-14), hard-coded per type (the Java HashMap order AWS emits). */
static void put_request_context(wg_buf_t *buf, const wg_event_context_t *ctx, event_type_t type)
{
    char request_time[32];
    wg_clock_format_request_time(ctx->request_time_ms, request_time);

    PUT(buf, "\"requestContext\":{\"routeKey\":");
    put_cstr(buf, ctx->route_key);
    if (type == EVENT_DISCONNECT) {
        PUT(buf, ",\"disconnectStatusCode\":");
        wg_json_text_put_int(buf, ctx->disconnect_status_code);
    }
    json_t *authorizer = load_object(ctx->authorizer_json);
    if (authorizer != NULL) {
        PUT(buf, ",\"authorizer\":");
        put_json(buf, authorizer);
        json_decref(authorizer);
    }
    if (type == EVENT_MESSAGE) {
        PUT(buf, ",\"messageId\":");
        put_cstr(buf, ctx->message_id);
    }
    if (type == EVENT_CONNECT)
        PUT(buf, ",\"eventType\":\"CONNECT\"");
    else if (type == EVENT_MESSAGE)
        PUT(buf, ",\"eventType\":\"MESSAGE\"");
    else
        PUT(buf, ",\"eventType\":\"DISCONNECT\"");
    PUT(buf, ",\"extendedRequestId\":");
    put_cstr(buf, ctx->request_id);
    PUT(buf, ",\"requestTime\":");
    put_cstr(buf, request_time);
    PUT(buf, ",\"messageDirection\":\"IN\"");
    if (type == EVENT_DISCONNECT) {
        PUT(buf, ",\"disconnectReason\":");
        put_cstr(buf, ctx->disconnect_reason);
    }
    PUT(buf, ",\"stage\":");
    put_cstr(buf, ctx->stage);
    PUT(buf, ",\"connectedAt\":");
    wg_json_text_put_int(buf, (long long)ctx->connected_at);
    PUT(buf, ",\"requestTimeEpoch\":");
    wg_json_text_put_int(buf, (long long)ctx->request_time_ms);
    PUT(buf, ",\"identity\":");
    put_identity(buf, ctx);
    PUT(buf, ",\"requestId\":");
    put_cstr(buf, ctx->request_id);
    PUT(buf, ",\"domainName\":");
    put_cstr(buf, ctx->domain_name);
    PUT(buf, ",\"connectionId\":");
    put_cstr(buf, ctx->connection_id);
    PUT(buf, ",\"apiId\":");
    put_cstr(buf, ctx->api_id);
    put_char(buf, '}');
}

/* Sizing: each event's buffer is reserved from an estimate of its length (its fixed text, measured
 * with empty strings, plus what the strings add), so it neither grows while written nor holds
 * much spare room once handed on: thousands of events can wait for their calls at once (a mass
 * $disconnect). Escapes can make an event longer than estimated; it then grows and is trimmed. */
#define EVENT_SLACK_BYTES 64
#define EVENT_SPARE_MAX_BYTES 256

static size_t text_bytes(const char *s)
{
    return s != NULL ? strlen(s) : 0;
}

/* What requestContext's strings add (requestId twice: also extendedRequestId). */
static size_t context_bytes(const wg_event_context_t *ctx)
{
    return text_bytes(ctx->route_key) + text_bytes(ctx->connection_id) + 2 * text_bytes(ctx->request_id) +
           text_bytes(ctx->message_id) + text_bytes(ctx->stage) + text_bytes(ctx->domain_name) +
           text_bytes(ctx->api_id) + text_bytes(ctx->source_ip) + text_bytes(ctx->user_agent) +
           text_bytes(ctx->authorizer_json) + text_bytes(ctx->identity_json) + text_bytes(ctx->disconnect_reason);
}

/* What the headers and the query add to a $connect or authorizer event: each header's name and
 * value twice (both maps) with their quotes and separators, the AWS-added values, the source IP
 * again in X-Forwarded-For, and the decoded query (never longer than the raw one) twice. */
static size_t connect_bytes(const wg_event_context_t *ctx, const wg_header_t *headers, size_t num_headers,
                            const char *raw_query, size_t raw_query_len, const wg_event_forwarding_t *fwd)
{
    size_t n = 0;
    for (size_t i = 0; i < num_headers; i++)
        n += 16 + 2 * (headers[i].name_len + headers[i].value_len);
    if (fwd != NULL)
        n += 2 * (text_bytes(fwd->trace_id) + text_bytes(fwd->forwarded_port) + text_bytes(fwd->forwarded_proto));
    n += 2 * text_bytes(ctx->source_ip);
    if (raw_query != NULL)
        n += 96 + 3 * raw_query_len;
    return n;
}

/* An empty buffer of exactly `estimate` bytes (wg_buf_reserve would round up to a power of two). */
static void event_buf_init(wg_buf_t *buf, size_t estimate)
{
    buf->data = malloc(estimate + 1);
    if (buf->data == NULL)
        abort();
    buf->data[0] = '\0';
    buf->len = 0;
    buf->cap = estimate + 1;
}

/* The event's text, with little spare room (see "Sizing" above). */
static char *take_event(wg_buf_t *buf, size_t *len_out)
{
    size_t len = 0;
    int has_spare = buf->cap - buf->len > EVENT_SPARE_MAX_BYTES;
    char *text = wg_buf_take(buf, &len);
    if (has_spare) {
        char *trimmed = realloc(text, len + 1);
        if (trimmed != NULL)
            text = trimmed;
    }
    if (len_out != NULL)
        *len_out = len;
    return text;
}

char *wg_event_connect(const wg_event_context_t *ctx, const wg_header_t *headers, size_t num_headers, int has_query,
                       const char *raw_query, size_t raw_query_len, const wg_event_forwarding_t *fwd, size_t *len_out)
{
    wg_buf_t buf;
    event_buf_init(&buf,
                   560 + EVENT_SLACK_BYTES + context_bytes(ctx) +
                       connect_bytes(ctx, headers, num_headers, has_query ? raw_query : NULL, raw_query_len, fwd));
    put_char(&buf, '{');
    wg_event_put_headers(&buf, ctx, headers, num_headers, fwd, 0);
    if (has_query && raw_query != NULL)
        wg_event_put_query(&buf, raw_query, raw_query_len, 0);
    put_char(&buf, ',');
    put_request_context(&buf, ctx, EVENT_CONNECT);
    PUT(&buf, ",\"isBase64Encoded\":false}");
    return take_event(&buf, len_out);
}

/* ----------------------------------------------------------- authorizer ---- */

char *wg_event_authorizer(const wg_event_context_t *ctx, const char *method_arn, const wg_header_t *headers,
                          size_t num_headers, int has_query, const char *raw_query, size_t raw_query_len,
                          const char *stage_variables_json, const wg_event_forwarding_t *fwd, size_t *len_out)
{
    /* Top-level order (AWS-AUTH-3): type, methodArn, headers, multiValueHeaders, queryStringParameters,
     * multiValueQueryStringParameters, stageVariables, requestContext. */
    wg_buf_t buf;
    event_buf_init(&buf,
                   790 + 3 * 64 + EVENT_SLACK_BYTES + context_bytes(ctx) + text_bytes(method_arn) +
                       text_bytes(stage_variables_json) +
                       connect_bytes(ctx, headers, num_headers, has_query ? raw_query : NULL, raw_query_len, fwd));
    PUT(&buf, "{\"type\":\"REQUEST\",\"methodArn\":");
    put_cstr(&buf, method_arn);
    put_char(&buf, ',');
    wg_event_put_headers(&buf, ctx, headers, num_headers, fwd, 1);
    wg_event_put_query(&buf, has_query ? raw_query : NULL, has_query ? raw_query_len : 0, 1);
    PUT(&buf, ",\"stageVariables\":");
    json_t *vars = load_object(stage_variables_json);
    if (vars != NULL) {
        put_json(&buf, vars);
        json_decref(vars);
    } else {
        PUT(&buf, "{}");
    }
    put_char(&buf, ',');
    put_request_context(&buf, ctx, EVENT_CONNECT);
    put_char(&buf, '}');
    return take_event(&buf, len_out);
}

/* -------------------------------------------------------------- message ---- */

char *wg_event_message(const wg_event_context_t *ctx, const char *body, size_t body_len, size_t *len_out)
{
    wg_buf_t buf;
    event_buf_init(&buf, 369 + EVENT_SLACK_BYTES + context_bytes(ctx) + (body != NULL ? body_len : 0));
    put_char(&buf, '{');
    put_request_context(&buf, ctx, EVENT_MESSAGE);
    PUT(&buf, ",\"body\":");
    wg_json_text_put_string_lossy(&buf, body, body != NULL ? body_len : 0);
    PUT(&buf, ",\"isBase64Encoded\":false}");
    return take_event(&buf, len_out);
}

/* ----------------------------------------------------------- $disconnect ---- */

char *wg_event_disconnect(const wg_event_context_t *ctx, const char *host, size_t *len_out)
{
    /* Exactly these four, in this order, whatever the client sent (AWS-HDR-11). */
    wg_buf_t buf;
    event_buf_init(&buf, 561 + EVENT_SLACK_BYTES + context_bytes(ctx) + 2 * text_bytes(host));
    PUT(&buf, "{\"headers\":{\"Host\":");
    put_cstr(&buf, host);
    PUT(&buf, ",\"x-api-key\":\"\",\"X-Forwarded-For\":\"\",\"x-restapi\":\"\"},\"multiValueHeaders\":{\"Host\":[");
    put_cstr(&buf, host);
    PUT(&buf, "],\"x-api-key\":[\"\"],\"X-Forwarded-For\":[\"\"],\"x-restapi\":[\"\"]},");
    put_request_context(&buf, ctx, EVENT_DISCONNECT);
    PUT(&buf, ",\"isBase64Encoded\":false}");
    return take_event(&buf, len_out);
}

/* ---------------------------------------------------------- error frames ---- */

size_t wg_event_error_frame(const char *message, const char *connection_id, const char *request_id, char *out,
                            size_t out_size)
{
    /* {"message": "<m>", "connectionId":"<id>", "requestId":"<rid>"}: a space after "message":
     * and after each comma, none after "connectionId": and "requestId": (AWS-FRM-1). IDs and the
     * messages never need escaping; the string writer only keeps a bad input from breaking it. */
    wg_buf_t frame = WG_BUF_INIT;
    wg_buf_reserve(&frame, 128);
    PUT(&frame, "{\"message\": ");
    put_cstr(&frame, message);
    PUT(&frame, ", \"connectionId\":");
    put_cstr(&frame, connection_id);
    PUT(&frame, ", \"requestId\":");
    put_cstr(&frame, request_id);
    PUT(&frame, "}");
    size_t len = frame.len < out_size ? frame.len : 0;
    if (out_size > 0) {
        memcpy(out, frame.data, len);
        out[len] = '\0';
    }
    wg_buf_free(&frame);
    return len;
}
