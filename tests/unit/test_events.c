/*
 * test_events.c: the Lambda proxy events and error frames (AWS-EV, AWS-HDR, AWS-QS, AWS-FRM), byte for byte.
 *
 * The real AWS captures in fixtures/ (provenance in each .source.txt, see fixtures/README.md)
 * are rebuilt from their inputs and compared with the capture re-serialised
 * compactly by jansson (same key order, compact separators): the events must be equal to the
 * byte. Error frames are compared with the captured frame bytes directly.
 */
#include <check.h>
#include <limits.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "events.h"
#include "json_text.h"
#include "headers.h"

/* ------------------------------------------------------------------ helpers ---- */

static char *capture_path(const char *name)
{
    const char *root = getenv("WG_SOURCE_DIR");
#ifdef WG_SOURCE_DIR
    if (root == NULL || root[0] == '\0')
        root = WG_SOURCE_DIR;
#endif
    ck_assert_ptr_nonnull(root);
    size_t n = strlen(root) + strlen(name) + 64;
    char *path = malloc(n);
    snprintf(path, n, "%s/fixtures/%s", root, name);
    return path;
}

/* The raw bytes of a capture file (NUL-terminated; length in *len). */
static char *read_capture(const char *name, size_t *len)
{
    char *path = capture_path(name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    free(path);
    char *data = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            data = realloc(data, cap);
            ck_assert_ptr_nonnull(data);
        }
        size_t got = fread(data + n, 1, 4096, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    data[n] = '\0';
    *len = n;
    return data;
}

static json_t *load_capture(const char *name)
{
    size_t len;
    char *text = read_capture(name, &len);
    json_error_t err;
    json_t *root = json_loadb(text, len, 0, &err);
    ck_assert_msg(root != NULL, "%s: %s", name, err.text);
    free(text);
    return root;
}

/* The capture as compact JSON in its own key order (jansson keeps insertion order). */
static char *compact(json_t *root)
{
    char *s = json_dumps(root, JSON_COMPACT);
    ck_assert_ptr_nonnull(s);
    return s;
}

static wg_header_t hdr(const char *name, const char *value)
{
    return (wg_header_t){name, strlen(name), value, strlen(value)};
}

static int is_aws_added(const char *name)
{
    return strcmp(name, "X-Amzn-Trace-Id") == 0 || strcmp(name, "X-Forwarded-For") == 0 ||
           strcmp(name, "X-Forwarded-Port") == 0 || strcmp(name, "X-Forwarded-Proto") == 0;
}

/* The client's headers from a captured "headers"/"multiValueHeaders" object: everything but the
 * AWS-added four, in REVERSED order so that the sort is exercised. Strings borrowed from `obj`. */
static size_t client_headers(json_t *obj, wg_header_t *out, size_t max, int multi)
{
    const char *key;
    json_t *value;
    size_t n = 0;
    json_object_foreach(obj, key, value) {
        if (is_aws_added(key))
            continue;
        json_t *v = multi ? json_array_get(value, 0) : value;
        ck_assert_uint_lt(n, max);
        out[n++] = hdr(key, json_string_value(v));
    }
    for (size_t i = 0; i < n / 2; i++) {
        wg_header_t t = out[i];
        out[i] = out[n - 1 - i];
        out[n - 1 - i] = t;
    }
    return n;
}

static wg_event_context_t base_context(void)
{
    wg_event_context_t ctx = {0};
    ctx.route_key = "$connect";
    ctx.connection_id = "BFHPhfCWIAMCKlQ=";
    ctx.request_id = "BFHPhFe3IAMF95g=";
    ctx.stage = "local";
    ctx.domain_name = "abc.example.com";
    ctx.api_id = "abcdefghij";
    ctx.connected_at = 1731324924553ULL;
    ctx.request_time_ms = 1731324924561ULL;
    ctx.source_ip = "127.0.0.1";
    return ctx;
}

static const wg_event_forwarding_t fwd_default = {"Root=1-6731ebfc-08e1e656421db73c5d2eef31", "443", "https"};

static char *connect_event(const wg_event_context_t *ctx, const wg_header_t *h, size_t n, const char *query)
{
    size_t len = 0;
    char *ev = wg_event_connect(ctx, h, n, query != NULL, query, query ? strlen(query) : 0, &fwd_default, &len);
    ck_assert_ptr_nonnull(ev);
    ck_assert_uint_eq(len, strlen(ev));
    return ev;
}

/* The text of `"<key>":...` up to the next top-level key, for focused comparisons. */
static char *section(const char *event, const char *start, const char *end)
{
    const char *a = strstr(event, start);
    ck_assert_msg(a != NULL, "no %s in %s", start, event);
    const char *b = end ? strstr(a, end) : a + strlen(a);
    ck_assert_msg(b != NULL, "no %s in %s", end, event);
    size_t n = (size_t)(b - a);
    char *out = malloc(n + 1);
    memcpy(out, a, n);
    out[n] = '\0';
    return out;
}

/* -------------------------------------------------------- the captures ---- */

START_TEST(test_capture_connect)
{
    json_t *cap = load_capture("ws-connect-2024-11-us-east-1.json");
    char *expected = compact(cap);
    wg_header_t h[16];
    size_t n = client_headers(json_object_get(cap, "headers"), h, 16, 0);
    ck_assert_uint_eq(n, 4); /* Host + three Sec-WebSocket-* */
    /* the client also sent Connection and Upgrade, which AWS drops */
    h[n++] = hdr("Connection", "Upgrade");
    h[n++] = hdr("Upgrade", "websocket");

    wg_event_context_t ctx = {0};
    ctx.route_key = "$connect";
    ctx.connection_id = "BFHPhfCWIAMCKlQ=";
    ctx.request_id = "BFHPhFe3IAMF95g=";
    ctx.stage = "prod";
    ctx.domain_name = "asasasas.execute-api.us-east-1.amazonaws.com";
    ctx.api_id = "asasasas";
    ctx.connected_at = 1731324924553ULL;
    ctx.request_time_ms = 1731324924561ULL;
    ctx.source_ip = "166.90.225.1";
    wg_event_forwarding_t fwd = {"Root=1-6731ebfc-08e1e656421db73c5d2eef31", "443", "https"};

    size_t len = 0;
    char *ev = wg_event_connect(&ctx, h, n, 0, NULL, 0, &fwd, &len);
    ck_assert_str_eq(ev, expected);
    ck_assert_uint_eq(len, strlen(expected));
    free(ev);
    /* has_query 0 with a query string: ignored, the same bytes */
    ev = wg_event_connect(&ctx, h, n, 0, "ignored=1", 9, &fwd, &len);
    ck_assert_str_eq(ev, expected);
    free(ev);
    free(expected);
    json_decref(cap);
}
END_TEST

START_TEST(test_capture_message)
{
    json_t *cap = load_capture("ws-message-2024-11-us-east-1.json");
    char *expected = compact(cap);
    const char *body = json_string_value(json_object_get(cap, "body"));
    ck_assert_str_eq(body, "{\"action\": \"chat\", \"message\": \"Hello from client\"}");

    wg_event_context_t ctx = {0};
    ctx.route_key = "chat";
    ctx.message_id = "BFaVtfGSIAMCKug=";
    ctx.connection_id = "BFaT_fALIAMCKug=";
    ctx.request_id = "BFaVtH2HoAMFZEQ=";
    ctx.stage = "prod";
    ctx.domain_name = "asasasas.execute-api.us-east-1.amazonaws.com";
    ctx.api_id = "asasasas";
    ctx.connected_at = 1731332735513ULL;
    ctx.request_time_ms = 1731332746514ULL;
    ctx.source_ip = "166.90.225.1";
    ctx.disconnect_status_code = 1000; /* ignored for MESSAGE */
    ctx.disconnect_reason = "ignored";

    size_t len = 0;
    char *ev = wg_event_message(&ctx, body, strlen(body), &len);
    ck_assert_str_eq(ev, expected);
    ck_assert_uint_eq(len, strlen(expected));
    free(ev);
    free(expected);
    json_decref(cap);
}
END_TEST

START_TEST(test_capture_disconnect)
{
    json_t *cap = load_capture("ws-disconnect-1005-2024-11-us-east-1.json");
    char *expected = compact(cap);

    wg_event_context_t ctx = {0};
    ctx.route_key = "$disconnect";
    ctx.connection_id = "BFaT_fALIAMCKug=";
    ctx.request_id = "BFbOeE87IAMF31w=";
    ctx.message_id = "BFaVtfGSIAMCKug="; /* ignored for DISCONNECT */
    ctx.stage = "prod";
    ctx.domain_name = "asasasas.execute-api.us-east-1.amazonaws.com";
    ctx.api_id = "asasasas";
    ctx.connected_at = 1731332735513ULL;
    ctx.request_time_ms = 1731333109875ULL;
    ctx.source_ip = "166.90.225.1";
    ctx.disconnect_status_code = 1005;
    ctx.disconnect_reason = "Client-side close frame status not set";

    size_t len = 0;
    char *ev = wg_event_disconnect(&ctx, "asasasas.execute-api.us-east-1.amazonaws.com", &len);
    ck_assert_str_eq(ev, expected);
    ck_assert_uint_eq(len, strlen(expected));
    free(ev);
    free(expected);
    json_decref(cap);
}
END_TEST

static void check_frame_capture(const char *file, const char *message, const char *conn, const char *req)
{
    size_t cap_len;
    char *cap = read_capture(file, &cap_len);
    char out[160];
    memset(out, 'X', sizeof(out));
    size_t n = wg_event_error_frame(message, conn, req, out, sizeof(out));
    ck_assert_uint_eq(n, cap_len);
    ck_assert_mem_eq(out, cap, cap_len);
    ck_assert_int_eq(out[n], '\0');
    free(cap);
}

START_TEST(test_capture_frames)
{
    check_frame_capture("frame-forbidden-no-route.json", WG_FRAME_FORBIDDEN, "PbTkjcISoAMCJNQ=", "PbTk7ET8IAMFs2g=");
    check_frame_capture("frame-internal-server-error.json", WG_FRAME_INTERNAL_ERROR,
                        "Qyi07eCbtjMCJKw=", "Qyi3UG41tjMFlUg=");
    /* the timed-out frame (AWS-FRM-4; its capture is not in this repository): same layout */
    char out[160];
    size_t n = wg_event_error_frame(WG_FRAME_TIMED_OUT, "eHrdFcnvvHcCE-w=", "eHrjDEuVPHcFWMg=", out, sizeof(out));
    const char *expected = "{\"message\": \"Endpoint request timed out\", "
                           "\"connectionId\":\"eHrdFcnvvHcCE-w=\", \"requestId\":\"eHrjDEuVPHcFWMg=\"}";
    ck_assert_uint_eq(n, strlen(expected));
    ck_assert_str_eq(out, expected);
}
END_TEST

START_TEST(test_capture_legacy_query_prefix)
{
    /* The 2019 capture is legacy in requestContext, but its headers and query maps (and their
     * position before requestContext) are the modern rules; it is already compact JSON. */
    size_t cap_len;
    char *cap = read_capture("ws-connect-legacy-2019-03-us-west-2-query.json", &cap_len);
    json_t *root = json_loadb(cap, cap_len, 0, NULL);
    ck_assert_ptr_nonnull(root);
    wg_header_t h[16];
    size_t n = client_headers(json_object_get(root, "headers"), h, 16, 0);
    wg_event_context_t ctx = base_context();
    ctx.source_ip = "208.54.147.130";
    wg_event_forwarding_t fwd = {"Root=1-5c954d99-0549d9a29b9ad2d2125f8bee", "443", "https"};
    size_t len;
    char *ev = wg_event_connect(&ctx, h, n, 1, "sessionId=1234", 14, &fwd, &len);
    const char *cut = strstr(cap, "\"requestContext\"");
    ck_assert_ptr_nonnull(cut);
    size_t prefix = (size_t)(cut - cap);
    ck_assert_uint_gt(len, prefix);
    ck_assert_msg(memcmp(ev, cap, prefix) == 0, "prefix differs:\n%.*s\n%.*s", (int)prefix, ev, (int)prefix, cap);
    free(ev);
    json_decref(root);
    free(cap);
}
END_TEST

START_TEST(test_capture_authorizer_header_order)
{
    /* The authorizer event shows AWS's case-insensitive order with a lower-case name
     * (content-length between Connection and Host); the integration event is the same minus
     * Connection and Upgrade (AWS-HDR-1). */
    json_t *cap = load_capture("ws-authorizer-request-2025-01-us-east-1.json");
    json_t *mvh = json_object_get(cap, "multiValueHeaders");
    wg_header_t h[16];
    size_t n = client_headers(mvh, h, 16, 1);
    wg_event_context_t ctx = base_context();
    ctx.source_ip = "93.108.161.96";
    wg_event_forwarding_t fwd = {"Root=1-6797b6d3-64f9c928577f3ac56f5368ce", "443", "https"};
    char *ev = wg_event_connect(&ctx, h, n, 0, NULL, 0, &fwd, NULL);

    json_t *expected = json_object();
    const char *key;
    json_t *value;
    json_object_foreach(mvh, key, value) {
        if (strcmp(key, "Connection") != 0 && strcmp(key, "Upgrade") != 0)
            json_object_set(expected, key, value);
    }
    char *exp_text = compact(expected);
    char *got = section(ev, "\"multiValueHeaders\":", ",\"requestContext\"");
    char *want = malloc(strlen(exp_text) + 32);
    sprintf(want, "\"multiValueHeaders\":%s", exp_text);
    ck_assert_str_eq(got, want);
    ck_assert_ptr_null(strstr(ev, "Connection"));
    ck_assert_ptr_null(strstr(ev, "Upgrade"));
    free(want);
    free(got);
    free(exp_text);
    json_decref(expected);
    free(ev);
    json_decref(cap);
}
END_TEST

/* -------------------------------------------------- a full connect event ---- */

START_TEST(test_connect_full)
{
    wg_header_t h[] = {
        hdr("Host", "abc.example.com"),
        hdr("User-Agent", "ua/1.0"),
        hdr("sec-websocket-key", "KEY=="),
        hdr("Connection", "Upgrade"),
        hdr("Upgrade", "websocket"),
        hdr("Accept", "a1"),
        hdr("X-Forwarded-For", "10.0.0.1"),
        hdr("accept", "a2"),
        hdr("x-amzn-trace-id", "Root=1-client"),
        hdr("Cookie", "c=1"),
    };
    wg_event_context_t ctx = base_context();
    ctx.user_agent = "ua/1.0";
    ctx.authorizer_json = "{\"principalId\":\"user\",\"role\":\"admin\"}";
    char *ev = connect_event(&ctx, h, sizeof(h) / sizeof(h[0]), "b=2&a=1&b=3&flag&enc=%2Fx%3D%20y+z");
    const char *expected = "{\"headers\":{\"Accept\":\"a2\",\"Cookie\":\"c=1\",\"Host\":\"abc.example.com\","
                           "\"sec-websocket-key\":\"KEY==\",\"User-Agent\":\"ua/1.0\","
                           "\"X-Amzn-Trace-Id\":\"Root=1-6731ebfc-08e1e656421db73c5d2eef31\","
                           "\"X-Forwarded-For\":\"10.0.0.1, 127.0.0.1\",\"X-Forwarded-Port\":\"443\","
                           "\"X-Forwarded-Proto\":\"https\"},"
                           "\"multiValueHeaders\":{\"Accept\":[\"a1\",\"a2\"],\"Cookie\":[\"c=1\"],"
                           "\"Host\":[\"abc.example.com\"],\"sec-websocket-key\":[\"KEY==\"],"
                           "\"User-Agent\":[\"ua/1.0\"],"
                           "\"X-Amzn-Trace-Id\":[\"Root=1-6731ebfc-08e1e656421db73c5d2eef31\"],"
                           "\"X-Forwarded-For\":[\"10.0.0.1, 127.0.0.1\"],\"X-Forwarded-Port\":[\"443\"],"
                           "\"X-Forwarded-Proto\":[\"https\"]},"
                           "\"queryStringParameters\":{\"b\":\"3\",\"a\":\"1\",\"flag\":\"\",\"enc\":\"/x= y z\"},"
                           "\"multiValueQueryStringParameters\":{\"b\":[\"2\",\"3\"],\"a\":[\"1\"],\"flag\":[\"\"],"
                           "\"enc\":[\"/x= y z\"]},"
                           "\"requestContext\":{\"routeKey\":\"$connect\","
                           "\"authorizer\":{\"principalId\":\"user\",\"role\":\"admin\"},"
                           "\"eventType\":\"CONNECT\",\"extendedRequestId\":\"BFHPhFe3IAMF95g=\","
                           "\"requestTime\":\"11/Nov/2024:11:35:24 +0000\",\"messageDirection\":\"IN\","
                           "\"stage\":\"local\",\"connectedAt\":1731324924553,\"requestTimeEpoch\":1731324924561,"
                           "\"identity\":{\"userAgent\":\"ua/1.0\",\"sourceIp\":\"127.0.0.1\"},"
                           "\"requestId\":\"BFHPhFe3IAMF95g=\",\"domainName\":\"abc.example.com\","
                           "\"connectionId\":\"BFHPhfCWIAMCKlQ=\",\"apiId\":\"abcdefghij\"},"
                           "\"isBase64Encoded\":false}";
    ck_assert_str_eq(ev, expected);
    free(ev);
}
END_TEST

/* ------------------------------------------------------------ headers ---- */

/* inferred: AWS-HDR-8, AWS-HDR-9 (wsgate's choice, not a capture of AWS) */
START_TEST(test_header_sort_mixed_case_and_repeats)
{
    wg_header_t h[] = {
        hdr("b-h", "1"),
        hdr("A-h", "2"),
        hdr("zed", "z"),
        hdr("a-H", "3"),
        hdr("_x", "u"),
        hdr("Host", "h"),
        hdr("host2", "h2"),
        hdr("1num", "n"),
        hdr("A-h", "4"),
        hdr("UPGRADE", "websocket"),
        hdr("connection", "upgrade"),
        hdr("Accept", ""),
    };
    wg_event_context_t ctx = base_context();
    char *ev = connect_event(&ctx, h, sizeof(h) / sizeof(h[0]), NULL);
    char *single = section(ev, "\"headers\":", ",\"multiValueHeaders\"");
    char *multi = section(ev, "\"multiValueHeaders\":", ",\"requestContext\"");
    /* '1' < '_' < 'a' (Java's CASE_INSENSITIVE_ORDER compares lower case: '_' 0x5F < 'a' 0x61);
     * A-h/a-H/A-h are one header under the first spelling, last value in "headers";
     * Host before host2 (prefix first); X-* before zed. */
    ck_assert_str_eq(single, "\"headers\":{\"1num\":\"n\",\"_x\":\"u\",\"A-h\":\"4\",\"Accept\":\"\","
                             "\"b-h\":\"1\",\"Host\":\"h\",\"host2\":\"h2\","
                             "\"X-Amzn-Trace-Id\":\"Root=1-6731ebfc-08e1e656421db73c5d2eef31\","
                             "\"X-Forwarded-For\":\"127.0.0.1\",\"X-Forwarded-Port\":\"443\","
                             "\"X-Forwarded-Proto\":\"https\",\"zed\":\"z\"}");
    ck_assert_str_eq(multi, "\"multiValueHeaders\":{\"1num\":[\"n\"],\"_x\":[\"u\"],"
                            "\"A-h\":[\"2\",\"3\",\"4\"],\"Accept\":[\"\"],"
                            "\"b-h\":[\"1\"],\"Host\":[\"h\"],\"host2\":[\"h2\"],"
                            "\"X-Amzn-Trace-Id\":[\"Root=1-6731ebfc-08e1e656421db73c5d2eef31\"],"
                            "\"X-Forwarded-For\":[\"127.0.0.1\"],\"X-Forwarded-Port\":[\"443\"],"
                            "\"X-Forwarded-Proto\":[\"https\"],\"zed\":[\"z\"]}");
    free(single);
    free(multi);
    free(ev);
}
END_TEST

/* inferred: AWS-HDR-10 (wsgate's choice, not a capture of AWS) */
START_TEST(test_header_aws_names_win)
{
    /* client copies of AWS-added headers: AWS's value and spelling win; X-Forwarded-For values
     * (all of them, in order) are kept in front of the source IP */
    wg_header_t h[] = {
        hdr("x-forwarded-proto", "http"),           hdr("X-FORWARDED-PORT", "80"),
        hdr("x-forwarded-for", "1.1.1.1"),          hdr("X-Amzn-Trace-Id", "Root=1-mine"),
        hdr("X-Forwarded-For", "2.2.2.2, 3.3.3.3"), hdr("Host", "h"),
    };
    wg_event_context_t ctx = base_context();
    char *ev = connect_event(&ctx, h, sizeof(h) / sizeof(h[0]), NULL);
    char *single = section(ev, "\"headers\":", ",\"multiValueHeaders\"");
    ck_assert_str_eq(single, "\"headers\":{\"Host\":\"h\","
                             "\"X-Amzn-Trace-Id\":\"Root=1-6731ebfc-08e1e656421db73c5d2eef31\","
                             "\"X-Forwarded-For\":\"1.1.1.1, 2.2.2.2, 3.3.3.3, 127.0.0.1\","
                             "\"X-Forwarded-Port\":\"443\",\"X-Forwarded-Proto\":\"https\"}");
    char *multi = section(ev, "\"X-Forwarded-For\":[", "]");
    ck_assert_str_eq(multi, "\"X-Forwarded-For\":[\"1.1.1.1, 2.2.2.2, 3.3.3.3, 127.0.0.1\"");
    free(multi);
    free(single);
    free(ev);
}
END_TEST

START_TEST(test_header_no_headers_and_no_forwarding)
{
    wg_event_context_t ctx = base_context();
    size_t len;
    char *ev = wg_event_connect(&ctx, NULL, 0, 0, NULL, 0, NULL, &len);
    char *single = section(ev, "\"headers\":", ",\"multiValueHeaders\"");
    ck_assert_str_eq(single, "\"headers\":{\"X-Forwarded-For\":\"127.0.0.1\"}");
    free(single);
    free(ev);
}
END_TEST

/* inferred: AWS-EV-15 (wsgate's choice, not a capture of AWS) */
START_TEST(test_header_value_bytes)
{
    /* non-ASCII UTF-8 stays raw, '/' unescaped, invalid UTF-8 bytes become U+FFFD each, and
     * lengths (not NULs) delimit names and values */
    wg_header_t h[] = {
        hdr("Origin", "https://x.example/\xc3\xa9"),
        hdr("A-Bad", "a\xff\xfe"
                     "b"),
        {"B-Longer-NameIGNORED", 13, "v\"q\\", 4},
    };
    wg_event_context_t ctx = base_context();
    char *ev = connect_event(&ctx, h, 3, NULL);
    char *single = section(ev, "\"headers\":", ",\"X-Amzn-Trace-Id\"");
    ck_assert_str_eq(single, "\"headers\":{\"A-Bad\":\"a\xef\xbf\xbd\xef\xbf\xbd"
                             "b\","
                             "\"B-Longer-Name\":\"v\\\"q\\\\\","
                             "\"Origin\":\"https://x.example/\xc3\xa9\"");
    free(single);
    free(ev);
}
END_TEST

/* -------------------------------------------------------------- query ---- */

static char *query_section(const char *query, int has_query)
{
    wg_event_context_t ctx = base_context();
    wg_header_t h[] = {hdr("Host", "h")};
    size_t len;
    char *ev = wg_event_connect(&ctx, h, 1, has_query, query, query ? strlen(query) : 0, &fwd_default, &len);
    char *q;
    if (strstr(ev, "\"queryStringParameters\"") != NULL)
        q = section(ev, "\"queryStringParameters\":", ",\"requestContext\"");
    else
        q = strdup("");
    ck_assert_ptr_null(strstr(ev, "stageVariables"));
    free(ev);
    return q;
}

#define QUERY_EQ(raw, expected)             \
    do {                                    \
        char *q_ = query_section((raw), 1); \
        ck_assert_str_eq(q_, (expected));   \
        free(q_);                           \
    } while (0)

/* inferred: AWS-QS-5..7, AWS-EV-15 (U+FFFD) (wsgate's choice, not a capture of AWS) */
START_TEST(test_query_maps)
{
    QUERY_EQ("sessionId=1234", "\"queryStringParameters\":{\"sessionId\":\"1234\"},"
                               "\"multiValueQueryStringParameters\":{\"sessionId\":[\"1234\"]}");
    /* repeated names: last value wins in the single map, all kept in order in the multi map,
     * keys in order of first appearance */
    QUERY_EQ("x=1&y=2&x=3&x=4", "\"queryStringParameters\":{\"x\":\"4\",\"y\":\"2\"},"
                                "\"multiValueQueryStringParameters\":{\"x\":[\"1\",\"3\",\"4\"],"
                                "\"y\":[\"2\"]}");
    /* encoded names and values, '+' as space, UTF-8 kept raw, '/' not escaped */
    QUERY_EQ("na%6De=a%2Fb%3Dc&sp=a+b%20c&u=%C3%A9%E2%82%AC&t=%22%5C",
             "\"queryStringParameters\":{\"name\":\"a/b=c\",\"sp\":\"a b c\","
             "\"u\":\"\xc3\xa9\xe2\x82\xac\",\"t\":\"\\\"\\\\\"},"
             "\"multiValueQueryStringParameters\":{\"name\":[\"a/b=c\"],\"sp\":[\"a b c\"],"
             "\"u\":[\"\xc3\xa9\xe2\x82\xac\"],\"t\":[\"\\\"\\\\\"]}");
    /* flag without '=', empty value, empty pieces */
    QUERY_EQ("flag&e=&&z", "\"queryStringParameters\":{\"flag\":\"\",\"e\":\"\",\"z\":\"\"},"
                           "\"multiValueQueryStringParameters\":{\"flag\":[\"\"],\"e\":[\"\"],"
                           "\"z\":[\"\"]}");
    /* percent-decoded bytes that are not UTF-8 become U+FFFD */
    QUERY_EQ("k=%FF", "\"queryStringParameters\":{\"k\":\"\xef\xbf\xbd\"},"
                      "\"multiValueQueryStringParameters\":{\"k\":[\"\xef\xbf\xbd\"]}");
    /* a bare '?' (and '?&'): no parameter at all, treated as no query: both keys absent */
    QUERY_EQ("", "");
    QUERY_EQ("&", "");
    /* no '?' in the URL: absent even if a string is passed */
    char *q = query_section("a=1", 0);
    ck_assert_str_eq(q, "");
    free(q);
    q = query_section(NULL, 1);
    ck_assert_str_eq(q, "");
    free(q);
}
END_TEST

/* --------------------------------------------------- identity, authorizer ---- */

/* inferred: AWS-EV-13 (an empty User-Agent kept as "") (wsgate's choice, not a capture of AWS) */
START_TEST(test_identity_user_agent)
{
    wg_event_context_t ctx = base_context();
    wg_header_t h[] = {hdr("Host", "h"), hdr("User-Agent", "Mozilla/5.0 (X11) \xc3\xa9")};
    ctx.user_agent = "Mozilla/5.0 (X11) \xc3\xa9";
    const char *with = "\"identity\":{\"userAgent\":\"Mozilla/5.0 (X11) \xc3\xa9\","
                       "\"sourceIp\":\"127.0.0.1\"}";
    char *ev = connect_event(&ctx, h, 2, NULL);
    ck_assert_ptr_nonnull(strstr(ev, with));
    free(ev);
    ctx.route_key = "chat";
    ctx.message_id = "BFaVtfGSIAMCKug=";
    ev = wg_event_message(&ctx, "x", 1, NULL);
    ck_assert_ptr_nonnull(strstr(ev, with));
    free(ev);
    ctx.route_key = "$disconnect";
    ev = wg_event_disconnect(&ctx, "h", NULL);
    ck_assert_ptr_nonnull(strstr(ev, with)); /* kept for the whole connection (AWS-ID-17) */
    free(ev);

    ctx.user_agent = NULL;
    ev = wg_event_message(&ctx, "x", 1, NULL);
    ck_assert_ptr_nonnull(strstr(ev, "\"identity\":{\"sourceIp\":\"127.0.0.1\"},"));
    ck_assert_ptr_null(strstr(ev, "userAgent"));
    free(ev);
    ctx.user_agent = ""; /* an empty User-Agent header was sent: kept */
    ev = wg_event_message(&ctx, "x", 1, NULL);
    ck_assert_ptr_nonnull(strstr(ev, "\"identity\":{\"userAgent\":\"\",\"sourceIp\":\"127.0.0.1\"}"));
    free(ev);
}
END_TEST

/* inferred: AWS-EV-12 (the CONNECT/MESSAGE half; the DISCONNECT half is captured, AWS-EV-11) (wsgate's choice, not a
 * capture of AWS) */
START_TEST(test_authorizer_placement)
{
    wg_event_context_t ctx = base_context();
    ctx.authorizer_json = "{\"principalId\":\"user\",\"k\":\"1\",\"b\":\"true\"}";
    const char *auth = "\"authorizer\":{\"principalId\":\"user\",\"k\":\"1\",\"b\":\"true\"}";
    char expect[256];

    char *ev = connect_event(&ctx, NULL, 0, NULL);
    snprintf(expect, sizeof(expect),
             "\"requestContext\":{\"routeKey\":\"$connect\",%s,"
             "\"eventType\":\"CONNECT\",",
             auth);
    ck_assert_ptr_nonnull(strstr(ev, expect));
    free(ev);

    ctx.route_key = "$default";
    ctx.message_id = "BFaVtfGSIAMCKug=";
    ev = wg_event_message(&ctx, "hi", 2, NULL);
    snprintf(expect, sizeof(expect),
             "{\"requestContext\":{\"routeKey\":\"$default\",%s,"
             "\"messageId\":\"BFaVtfGSIAMCKug=\",\"eventType\":\"MESSAGE\",",
             auth);
    ck_assert_ptr_nonnull(strstr(ev, expect));
    free(ev);

    ctx.route_key = "$disconnect";
    ctx.disconnect_status_code = 1000;
    ctx.disconnect_reason = "Connection Closed Normally";
    ev = wg_event_disconnect(&ctx, "h", NULL);
    snprintf(expect, sizeof(expect),
             "\"requestContext\":{\"routeKey\":\"$disconnect\","
             "\"disconnectStatusCode\":1000,%s,\"eventType\":\"DISCONNECT\",",
             auth);
    ck_assert_ptr_nonnull(strstr(ev, expect));
    free(ev);

    /* no authorizer, or text that is not a JSON object: key absent */
    const char *bad[] = {NULL, "not json", "[1,2]", "\"s\""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ctx.authorizer_json = bad[i];
        ev = wg_event_disconnect(&ctx, "h", NULL);
        ck_assert_ptr_null(strstr(ev, "authorizer"));
        free(ev);
    }
}
END_TEST

/* ------------------------------------------------- message and disconnect ---- */

/* inferred: AWS-EV-15 (wsgate's choice, not a capture of AWS) */
START_TEST(test_message_body_escaping)
{
    wg_event_context_t ctx = base_context();
    ctx.route_key = "$default";
    ctx.message_id = "BFaVtfGSIAMCKug=";
    /* Jackson-like: '/' raw, UTF-8 raw (incl. U+2028), DEL raw, short escapes for \b\f\n\r\t,
     * \u00XX upper-case otherwise, NUL kept as \u0000 (length-delimited body) */
    static const char body[] = "a/b \xc3\xa9 \"q\" \\ \b\f\n\r\t\x01\x1f\x7f\xe2\x80\xa8";
    size_t body_len = sizeof(body); /* includes the trailing NUL on purpose */
    size_t len;
    char *ev = wg_event_message(&ctx, body, body_len, &len);
    ck_assert_uint_eq(len, strlen(ev));
    const char *expected = ",\"body\":\"a/b \xc3\xa9 \\\"q\\\" \\\\ \\b\\f\\n\\r\\t\\u0001\\u001F"
                           "\x7f\xe2\x80\xa8\\u0000\",\"isBase64Encoded\":false}";
    size_t el = strlen(expected);
    ck_assert_uint_ge(len, el);
    ck_assert_str_eq(ev + len - el, expected);
    free(ev);

    /* empty body, and a body that is not valid UTF-8 (ws.c closes with 1007 first; repaired) */
    ev = wg_event_message(&ctx, "", 0, NULL);
    ck_assert_ptr_nonnull(strstr(ev, ",\"body\":\"\",\"isBase64Encoded\":false}"));
    free(ev);
    ev = wg_event_message(&ctx, "\xc3(", 2, NULL);
    ck_assert_ptr_nonnull(strstr(ev, ",\"body\":\"\xef\xbf\xbd(\","));
    free(ev);
    /* overlong encoding and a surrogate are invalid too */
    ev = wg_event_message(&ctx, "\xc0\xaf\xed\xa0\x80", 5, NULL);
    ck_assert_ptr_nonnull(strstr(ev, ",\"body\":\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                                     "\xef\xbf\xbd\","));
    free(ev);
}
END_TEST

START_TEST(test_message_full)
{
    wg_event_context_t ctx = base_context();
    ctx.route_key = "sendMessage";
    ctx.message_id = "BFaVtfGSIAMCKug=";
    ctx.request_id = "BFaVtH2HoAMFZEQ=";
    ctx.request_time_ms = 1731332746514ULL;
    ctx.connected_at = 1731332735513ULL;
    ctx.user_agent = "ws";
    char *ev = wg_event_message(&ctx, "{\"action\":\"sendMessage\"}", 24, NULL);
    ck_assert_str_eq(ev, "{\"requestContext\":{\"routeKey\":\"sendMessage\",\"messageId\":\"BFaVtfGSIAMCKug=\","
                         "\"eventType\":\"MESSAGE\",\"extendedRequestId\":\"BFaVtH2HoAMFZEQ=\","
                         "\"requestTime\":\"11/Nov/2024:13:45:46 +0000\",\"messageDirection\":\"IN\","
                         "\"stage\":\"local\",\"connectedAt\":1731332735513,"
                         "\"requestTimeEpoch\":1731332746514,"
                         "\"identity\":{\"userAgent\":\"ws\",\"sourceIp\":\"127.0.0.1\"},"
                         "\"requestId\":\"BFaVtH2HoAMFZEQ=\",\"domainName\":\"abc.example.com\","
                         "\"connectionId\":\"BFHPhfCWIAMCKlQ=\",\"apiId\":\"abcdefghij\"},"
                         "\"body\":\"{\\\"action\\\":\\\"sendMessage\\\"}\",\"isBase64Encoded\":false}");
    free(ev);
}
END_TEST

/* inferred: AWS-LIFE-11 (its 1006 event) (wsgate's choice, not a capture of AWS) */
START_TEST(test_disconnect_headers_fixed)
{
    wg_event_context_t ctx = base_context();
    ctx.route_key = "$disconnect";
    ctx.disconnect_status_code = 1006;
    ctx.disconnect_reason = NULL; /* treated as "" */
    ctx.user_agent = "ua";
    char *ev = wg_event_disconnect(&ctx, "localhost:3001", NULL);
    ck_assert_str_eq(ev, "{\"headers\":{\"Host\":\"localhost:3001\",\"x-api-key\":\"\","
                         "\"X-Forwarded-For\":\"\",\"x-restapi\":\"\"},"
                         "\"multiValueHeaders\":{\"Host\":[\"localhost:3001\"],\"x-api-key\":[\"\"],"
                         "\"X-Forwarded-For\":[\"\"],\"x-restapi\":[\"\"]},"
                         "\"requestContext\":{\"routeKey\":\"$disconnect\",\"disconnectStatusCode\":1006,"
                         "\"eventType\":\"DISCONNECT\",\"extendedRequestId\":\"BFHPhFe3IAMF95g=\","
                         "\"requestTime\":\"11/Nov/2024:11:35:24 +0000\",\"messageDirection\":\"IN\","
                         "\"disconnectReason\":\"\",\"stage\":\"local\",\"connectedAt\":1731324924553,"
                         "\"requestTimeEpoch\":1731324924561,"
                         "\"identity\":{\"userAgent\":\"ua\",\"sourceIp\":\"127.0.0.1\"},"
                         "\"requestId\":\"BFHPhFe3IAMF95g=\",\"domainName\":\"abc.example.com\","
                         "\"connectionId\":\"BFHPhfCWIAMCKlQ=\",\"apiId\":\"abcdefghij\"},"
                         "\"isBase64Encoded\":false}");
    free(ev);
}
END_TEST

/* -------------------------------------------------------- error frames ---- */

START_TEST(test_error_frame_escaping_and_size)
{
    char out[160];
    size_t n = wg_event_error_frame("Forbidden", "a\"b\\c\n", "r", out, sizeof(out));
    ck_assert_str_eq(out, "{\"message\": \"Forbidden\", \"connectionId\":\"a\\\"b\\\\c\\n\", "
                          "\"requestId\":\"r\"}");
    ck_assert_uint_eq(n, strlen(out));
    /* a byte that is not UTF-8 cannot make the frame invalid JSON: U+FFFD, as in the events */
    n = wg_event_error_frame("Forbidden", "id\xff", "r", out, sizeof(out));
    ck_assert_str_eq(out, "{\"message\": \"Forbidden\", \"connectionId\":\"id\xEF\xBF\xBD\", \"requestId\":\"r\"}");
    ck_assert_uint_eq(n, strlen(out));

    /* exactly fitting (length + NUL) works, one byte less fails with 0 and an empty string */
    const char *full = "{\"message\": \"Forbidden\", \"connectionId\":\"PbTkjcISoAMCJNQ=\", "
                       "\"requestId\":\"PbTk7ET8IAMFs2g=\"}";
    size_t need = strlen(full) + 1;
    char *buf = malloc(need);
    ck_assert_uint_eq(wg_event_error_frame("Forbidden", "PbTkjcISoAMCJNQ=", "PbTk7ET8IAMFs2g=", buf, need), need - 1);
    ck_assert_str_eq(buf, full);
    ck_assert_uint_eq(wg_event_error_frame("Forbidden", "PbTkjcISoAMCJNQ=", "PbTk7ET8IAMFs2g=", buf, need - 1), 0);
    ck_assert_str_eq(buf, "");
    ck_assert_uint_eq(wg_event_error_frame("Forbidden", "x", "y", buf, 0), 0);
    free(buf);

    /* the longest standard frame fits the documented 160 bytes */
    n = wg_event_error_frame(WG_FRAME_TIMED_OUT, "PbTkjcISoAMCJNQ=", "PbTk7ET8IAMFs2g=", out, sizeof(out));
    ck_assert_uint_gt(n, 0);
    ck_assert_uint_lt(n, 160);
}
END_TEST

/* ------------------------------------------------------- string writer ---- */

/* What jansson writes for the valid UTF-8 string s[0..len) (the writer replaced json_dumps). */
static char *jansson_string(const char *s, size_t len)
{
    json_t *str = json_stringn(s, len);
    ck_assert_ptr_nonnull(str);
    char *out = json_dumps(str, JSON_COMPACT | JSON_ENCODE_ANY);
    ck_assert_ptr_nonnull(out);
    json_decref(str);
    return out;
}

START_TEST(test_string_writer_matches_jansson)
{
    /* Strings made of pieces whose output is known: valid UTF-8 sequences (escaped by jansson in
     * the oracle) and bytes that are never UTF-8 in any context (each written as U+FFFD). */
    static const char *const valid[] = {"a",
                                        "Z",
                                        " ",
                                        "/",
                                        "\"",
                                        "\\",
                                        "\b",
                                        "\f",
                                        "\n",
                                        "\r",
                                        "\t",
                                        "\x01",
                                        "\x1f",
                                        "\x7f",
                                        "\xc2\x80",
                                        "\xc3\xa9",
                                        "\xdf\xbf",
                                        "\xe0\xa0\x80",
                                        "\xe2\x82\xac",
                                        "\xed\x9f\xbf",
                                        "\xee\x80\x80",
                                        "\xef\xbf\xbd",
                                        "\xef\xbf\xbf",
                                        "\xf0\x90\x80\x80",
                                        "\xf0\x9f\x98\x80",
                                        "\xf4\x8f\xbf\xbf"};
    /* a lone continuation byte, overlong leads, bytes above F4, a surrogate (3 bad bytes) */
    static const char *const invalid[] = {"\x80", "\xbf", "\xc0", "\xc1", "\xf5", "\xff", "\xed\xa0\x80"};
    const size_t num_valid = sizeof(valid) / sizeof(valid[0]), num_invalid = sizeof(invalid) / sizeof(invalid[0]);
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    for (int round = 0; round < 5000; round++) {
        char input[256], repaired[512];
        size_t in_len = 0, rep_len = 0;
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        int pieces = (int)(seed % 24);
        for (int p = 0; p < pieces; p++) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            int bad = round % 2 == 1 && seed % 5 == 0;
            const char *piece = bad ? invalid[(seed >> 8) % num_invalid] : valid[(seed >> 8) % num_valid];
            size_t n = strlen(piece);
            memcpy(input + in_len, piece, n);
            in_len += n;
            for (size_t k = 0; k < n; k++, rep_len += bad ? 3 : 0)
                if (bad)
                    memcpy(repaired + rep_len, "\xef\xbf\xbd", 3);
            if (!bad) {
                memcpy(repaired + rep_len, piece, n);
                rep_len += n;
            }
        }
        if (round % 7 == 0) { /* NUL inside: lengths, not NULs, delimit strings */
            input[in_len++] = '\0';
            repaired[rep_len++] = '\0';
        }
        wg_buf_t buf = WG_BUF_INIT;
        wg_buf_append_char(&buf, '['); /* appends after what the buffer holds */
        wg_json_text_put_string_lossy(&buf, input, in_len);
        char *expected = jansson_string(repaired, rep_len);
        ck_assert_str_eq(buf.data + 1, expected);
        ck_assert_uint_eq(buf.len, 1 + strlen(expected));
        free(expected);
        wg_buf_free(&buf);
    }
    /* every single byte */
    for (int c = 0; c < 256; c++) {
        char one = (char)c;
        wg_buf_t buf = WG_BUF_INIT;
        wg_json_text_put_string_lossy(&buf, &one, 1);
        char *expected = c < 0x80 ? jansson_string(&one, 1) : strdup("\"\xef\xbf\xbd\"");
        ck_assert_msg(strcmp(buf.data, expected) == 0, "byte %02X: %s, not %s", c, buf.data, expected);
        free(expected);
        wg_buf_free(&buf);
    }
    /* every byte at every place of the 8-byte words the writer tests at once, among plain bytes */
    for (int c = 0; c < 256; c++) {
        for (size_t at = 0; at < 19; at++) {
            char text[19];
            memset(text, 'a', sizeof(text));
            text[at] = (char)c;
            wg_buf_t buf = WG_BUF_INIT;
            wg_json_text_put_string_lossy(&buf, text, sizeof(text));
            char *expected;
            if (c < 0x80) {
                expected = jansson_string(text, sizeof(text));
            } else {
                char repaired[21];
                memcpy(repaired, text, at);
                memcpy(repaired + at, "\xef\xbf\xbd", 3);
                memcpy(repaired + at + 3, text + at + 1, sizeof(text) - at - 1);
                expected = jansson_string(repaired, sizeof(text) + 2);
            }
            ck_assert_msg(buf.len == strlen(expected) && memcmp(buf.data, expected, buf.len) == 0,
                          "byte %02X at %zu: %s, not %s", c, at, buf.data, expected);
            free(expected);
            wg_buf_free(&buf);
        }
    }
    wg_buf_t buf = WG_BUF_INIT;
    wg_json_text_put_string_lossy(&buf, NULL, 5);
    ck_assert_str_eq(buf.data, "\"\"");
    wg_buf_free(&buf);
}
END_TEST

/* Numbers as jansson (and printf) write them: every digit count, both ends of the range. */
START_TEST(test_json_text_integers)
{
    static const long long values[] = {
        0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 12345, 1796549502907LL, -1, -10, -99, -100, LLONG_MAX, LLONG_MIN};
    char expected[32];
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        wg_buf_t buf = WG_BUF_INIT;
        wg_json_text_put_int(&buf, values[i]);
        snprintf(expected, sizeof(expected), "%lld", values[i]);
        ck_assert_str_eq(buf.data, expected);
        wg_buf_free(&buf);
    }
    for (unsigned long long v = 1; v != 0 && v < ULLONG_MAX / 7; v = v * 7 + 3) {
        wg_buf_t buf = WG_BUF_INIT;
        wg_json_text_put_uint(&buf, v);
        snprintf(expected, sizeof(expected), "%llu", v);
        ck_assert_str_eq(buf.data, expected);
        wg_buf_free(&buf);
    }
    wg_buf_t buf = WG_BUF_INIT;
    wg_json_text_put_uint(&buf, ULLONG_MAX);
    snprintf(expected, sizeof(expected), "%llu", ULLONG_MAX);
    ck_assert_str_eq(buf.data, expected);
    wg_buf_free(&buf);
}
END_TEST

/* Keys equal once bytes that are not UTF-8 are replaced are one key, as in a JSON object: the
 * first place, the last value (what the jansson tree did before the writer). */
START_TEST(test_keys_repaired_collide)
{
    wg_header_t h[] = {
        hdr("\xff"
            "A",
            "1"),
        hdr("\xfe"
            "A",
            "2"),
        hdr("\xfe"
            "a",
            "3"),
        hdr("\xfe"
            "B",
            "4"),
    };
    wg_event_context_t ctx = base_context();
    char *ev = connect_event(&ctx, h, 4, "a%FF=1&b=2&a%FE=3&a%FF=4&n%00x=v%00w");
    /* sorted: \xfeA (2, 3), \xfeB (4), \xffA (1); \xfeA's and \xffA's keys are both U+FFFD "A":
     * written where \xfeA's group was, with \xffA's values */
    char *single = section(ev, "\"\xef\xbf\xbd", "},\"multiValueHeaders\"");
    ck_assert_str_eq(single, "\"\xef\xbf\xbd"
                             "A\":\"1\",\"\xef\xbf\xbd"
                             "B\":\"4\"");
    free(single);
    char *multi = section(ev, "\"X-Forwarded-Proto\":[", ",\"queryStringParameters\"");
    ck_assert_str_eq(multi, "\"X-Forwarded-Proto\":[\"https\"],\"\xef\xbf\xbd"
                            "A\":[\"1\"],\"\xef\xbf\xbd"
                            "B\":[\"4\"]}");
    free(multi);
    char *query = section(ev, "\"queryStringParameters\":", ",\"requestContext\"");
    ck_assert_str_eq(query, "\"queryStringParameters\":{\"a\xef\xbf\xbd\":\"4\",\"b\":\"2\",\"n\":\"v\"},"
                            "\"multiValueQueryStringParameters\":{\"a\xef\xbf\xbd\":[\"1\",\"3\",\"4\"],"
                            "\"b\":[\"2\"],\"n\":[\"v\"]}");
    free(query);
    free(ev);
}
END_TEST

/* IAM extras merge into identity in the documented order; an extra userAgent is written last when
 * the connection had none (it is not one of identity's own members then). */
START_TEST(test_identity_extras_order)
{
    wg_event_context_t ctx = base_context();
    ctx.identity_json = "{\"zz\":[1,{\"k\":null}],\"userAgent\":\"ua\",\"sourceIp\":\"9.9.9.9\",\"user\":\"U\","
                        "\"accessKey\":\"AK\",\"userArn\":\"arn:aws:iam::1:user/u\",\"caller\":\"C\"}";
    wg_header_t h[] = {hdr("Host", "h")};
    char *ev = connect_event(&ctx, h, 1, NULL);
    char *identity = section(ev, "\"identity\":", ",\"requestId\"");
    ck_assert_str_eq(identity, "\"identity\":{\"userArn\":\"arn:aws:iam::1:user/u\",\"caller\":\"C\","
                               "\"sourceIp\":\"127.0.0.1\",\"accessKey\":\"AK\",\"user\":\"U\","
                               "\"zz\":[1,{\"k\":null}],\"userAgent\":\"ua\"}");
    free(identity);
    free(ev);
    ctx.user_agent = "client/1";
    ev = connect_event(&ctx, h, 1, NULL);
    identity = section(ev, "\"identity\":", ",\"requestId\"");
    ck_assert_str_eq(identity, "\"identity\":{\"userArn\":\"arn:aws:iam::1:user/u\",\"userAgent\":\"client/1\","
                               "\"caller\":\"C\",\"sourceIp\":\"127.0.0.1\",\"accessKey\":\"AK\",\"user\":\"U\","
                               "\"zz\":[1,{\"k\":null}]}");
    free(identity);
    free(ev);
}
END_TEST

Suite *wg_test_suite_events(void)
{
    Suite *s = suite_create("events");
    TCase *tc = tcase_create("captures");
    tcase_add_test(tc, test_capture_connect);
    tcase_add_test(tc, test_capture_message);
    tcase_add_test(tc, test_capture_disconnect);
    tcase_add_test(tc, test_capture_frames);
    tcase_add_test(tc, test_capture_legacy_query_prefix);
    tcase_add_test(tc, test_capture_authorizer_header_order);
    suite_add_tcase(s, tc);
    TCase *te = tcase_create("events");
    tcase_add_test(te, test_connect_full);
    tcase_add_test(te, test_header_sort_mixed_case_and_repeats);
    tcase_add_test(te, test_header_aws_names_win);
    tcase_add_test(te, test_header_no_headers_and_no_forwarding);
    tcase_add_test(te, test_header_value_bytes);
    tcase_add_test(te, test_query_maps);
    tcase_add_test(te, test_identity_user_agent);
    tcase_add_test(te, test_authorizer_placement);
    tcase_add_test(te, test_message_body_escaping);
    tcase_add_test(te, test_message_full);
    tcase_add_test(te, test_disconnect_headers_fixed);
    tcase_add_test(te, test_string_writer_matches_jansson);
    tcase_add_test(te, test_json_text_integers);
    tcase_add_test(te, test_keys_repaired_collide);
    tcase_add_test(te, test_identity_extras_order);
    suite_add_tcase(s, te);
    TCase *tf = tcase_create("frames");
    tcase_add_test(tf, test_error_frame_escaping_and_size);
    suite_add_tcase(s, tf);
    return s;
}
