/*
 * test_routes.c: route selection expressions (AWS-RT). Parse errors, evaluation of plain, nested
 * and template expressions, and the stringification rules documented at the top of src/routes.c.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routes.h"

/* Evaluates `expr` against `body`; returns a malloc'd key or NULL. Fails the test if expr does not
 * parse. */
static char *eval(const char *expr, const char *body)
{
    char err[256];
    wg_route_selector_t *s = wg_route_selector_parse(expr, err, sizeof(err));
    ck_assert_msg(s != NULL, "parse '%s' failed: %s", expr, err);
    char *key = wg_route_selector_eval(s, body, strlen(body));
    wg_route_selector_free(s);
    return key;
}

#define ASSERT_KEY(expr, body, expected)                                                              \
    do {                                                                                              \
        char *key_ = eval((expr), (body));                                                            \
        ck_assert_msg(key_ != NULL, "'%s' on '%s': NULL, expected '%s'", (expr), (body), (expected)); \
        ck_assert_str_eq(key_, (expected));                                                           \
        free(key_);                                                                                   \
    } while (0)

#define ASSERT_NO_KEY(expr, body)                                                                   \
    do {                                                                                            \
        char *key_ = eval((expr), (body));                                                          \
        ck_assert_msg(key_ == NULL, "'%s' on '%s': expected NULL, got '%s'", (expr), (body), key_); \
    } while (0)

static void assert_rejected(const char *expr, const char *needle)
{
    char err[256];
    memset(err, 'x', sizeof(err));
    wg_route_selector_t *s = wg_route_selector_parse(expr, err, sizeof(err));
    ck_assert_msg(s == NULL, "'%s' should be rejected", expr ? expr : "(null)");
    ck_assert_msg(memchr(err, '\0', sizeof(err)) != NULL, "error not NUL-terminated");
    ck_assert_msg(strchr(err, '\n') == NULL, "error is not one line: %s", err);
    ck_assert_msg(strstr(err, needle) != NULL, "error '%s' lacks '%s'", err, needle);
}

/* ---- the AWS documentation examples ---- */

START_TEST(test_plain_action)
{
    ASSERT_KEY("$request.body.action", "{\"action\":\"sendMessage\",\"data\":\"hi\"}", "sendMessage");
    ASSERT_KEY("$request.body.action",
               "{ \"service\" : \"chat\", \"action\" : \"join\", \"data\" : { \"room\" : "
               "\"room1234\" } }",
               "join");
}
END_TEST

START_TEST(test_braced_alone)
{
    ASSERT_KEY("${request.body.action}", "{\"action\":\"join\"}", "join");
}
END_TEST

START_TEST(test_nested)
{
    ASSERT_KEY("$request.body.meta.type", "{\"meta\":{\"type\":\"ping\"}}", "ping");
    ASSERT_KEY("$request.body.data.room", "{\"service\":\"chat\",\"data\":{\"room\":\"room1234\"}}", "room1234");
    ASSERT_KEY("${request.body.a.b.c.d}", "{\"a\":{\"b\":{\"c\":{\"d\":\"deep\"}}}}", "deep");
    ASSERT_NO_KEY("$request.body.meta.type", "{\"meta\":\"ping\"}");
    ASSERT_NO_KEY("$request.body.meta.type", "{\"meta\":{\"kind\":\"ping\"}}");
}
END_TEST

START_TEST(test_template)
{
    ASSERT_KEY("${request.body.service}/${request.body.action}", "{ \"service\" : \"chat\", \"action\" : \"join\" }",
               "chat/join");
    ASSERT_KEY("${request.body.version}-beta", "{\"version\":\"v2\"}", "v2-beta");
    ASSERT_KEY("pre:${request.body.a}:${request.body.b}:post", "{\"a\":1,\"b\":true}", "pre:1:true:post");
    ASSERT_KEY("${request.body.a}${request.body.b}", "{\"a\":\"x\",\"b\":\"y\"}", "xy");
    /* Unbraced variables end at the first character that cannot be in a name. */
    ASSERT_KEY("$request.body.service/$request.body.action", "{\"service\":\"chat\",\"action\":\"join\"}", "chat/join");
    ASSERT_KEY("v1 $request.body.action", "{\"action\":\"go\"}", "v1 go");
    /* One missing variable makes the whole template unevaluable (AWS-unknown). */
    ASSERT_NO_KEY("${request.body.service}/${request.body.action}", "{\"service\":\"chat\"}");
}
END_TEST

START_TEST(test_escaped_dollar)
{
    ASSERT_KEY("\\$${request.body.action}", "{\"action\":\"x\"}", "$x");
    ASSERT_KEY("a\\$b-$request.body.k", "{\"k\":\"v\"}", "a$b-v");
    /* A backslash not before '$' stays literal. */
    ASSERT_KEY("a\\b/${request.body.k}", "{\"k\":\"v\"}", "a\\b/v");
}
END_TEST

START_TEST(test_brackets)
{
    ASSERT_KEY("$request.body.items[1]", "{\"items\":[\"a\",\"b\",\"c\"]}", "b");
    ASSERT_KEY("${request.body.items[0].type}", "{\"items\":[{\"type\":\"t0\"}]}", "t0");
    ASSERT_KEY("${request.body['a.b']}", "{\"a.b\":\"dotted\",\"a\":{\"b\":\"nested\"}}", "dotted");
    ASSERT_KEY("${request.body[\"x y\"]}", "{\"x y\":\"spaced\"}", "spaced");
    /* Inside braces a name may hold characters such as '/' and ':' (AWS-unknown). */
    ASSERT_KEY("${request.body.a/b}", "{\"a/b\":\"slash\"}", "slash");
    ASSERT_NO_KEY("$request.body.items[3]", "{\"items\":[\"a\",\"b\",\"c\"]}");
    ASSERT_NO_KEY("$request.body.items[0]", "{\"items\":{\"0\":\"a\"}}");
    ASSERT_NO_KEY("$request.body.items.x", "{\"items\":[\"a\"]}");
}
END_TEST

/* ---- stringification ---- */

/* inferred: AWS-RT-6, AWS-RT-7 (wsgate's choice, not a capture of AWS) */
START_TEST(test_stringify_scalars)
{
    ASSERT_KEY("$request.body.v", "{\"v\":42}", "42");
    ASSERT_KEY("$request.body.v", "{\"v\":-7}", "-7");
    ASSERT_KEY("$request.body.v", "{\"v\":0}", "0");
    ASSERT_KEY("$request.body.v", "{\"v\":9223372036854775807}", "9223372036854775807");
    ASSERT_KEY("$request.body.v", "{\"v\":1.5}", "1.5");
    ASSERT_KEY("$request.body.v", "{\"v\":0.1}", "0.1");
    ASSERT_KEY("$request.body.v", "{\"v\":-2.25}", "-2.25");
    ASSERT_KEY("$request.body.v", "{\"v\":1e3}", "1000.0");
    ASSERT_KEY("$request.body.v", "{\"v\":2.0}", "2.0");
    ASSERT_KEY("$request.body.v", "{\"v\":1e300}", "1e+300");
    ASSERT_KEY("$request.body.v", "{\"v\":1e16}", "10000000000000000.0");
    ASSERT_KEY("$request.body.v", "{\"v\":1e17}", "1e+17");
    ASSERT_KEY("$request.body.v", "{\"v\":1.25e-7}", "1.25e-07");
    ASSERT_KEY("$request.body.v", "{\"v\":123456.789}", "123456.789");
    ASSERT_KEY("$request.body.v", "{\"v\":true}", "true");
    ASSERT_KEY("$request.body.v", "{\"v\":false}", "false");
    ASSERT_KEY("$request.body.v", "{\"v\":\"\"}", "");
    ASSERT_KEY("$request.body.v", "{\"v\":\"caf\\u00e9 \\\"q\\\"\"}", "caf\xc3\xa9 \"q\"");
    /* null counts as missing (AWS-unknown). */
    ASSERT_NO_KEY("$request.body.v", "{\"v\":null}");
}
END_TEST

START_TEST(test_stringify_arrays)
{
    ASSERT_KEY("$request.body.v", "{\"v\":[\"item1\",\"item2\"]}", "[item1, item2]");
    ASSERT_KEY("$request.body.v", "{\"v\":[]}", "[]");
    ASSERT_KEY("$request.body.v", "{\"v\":[1,2.5,true,null,\"s\"]}", "[1, 2.5, true, null, s]");
    ASSERT_KEY("$request.body.v", "{\"v\":[[1,2],[3]]}", "[[1, 2], [3]]");
}
END_TEST

/* inferred: AWS-RT-6, AWS-RT-7 (wsgate's choice, not a capture of AWS) */
START_TEST(test_stringify_objects)
{
    ASSERT_KEY("$request.body.v", "{\"v\":{}}", "{}");
    ASSERT_KEY("$request.body.v", "{\"v\":{\"k\":\"v\",\"n\":1}}", "{k=v, n=1}");
    ASSERT_KEY("$request.body.v", "{\"v\":{\"a\":[1,{\"b\":null}]}}", "{a=[1, {b=null}]}");
}
END_TEST

/* inferred: AWS-RT-6, AWS-RT-7 (wsgate's choice, not a capture of AWS) */
START_TEST(test_stringify_too_deep)
{
    /* Nesting past WG_LIMIT_ROUTE_DEPTH is not stringified; just below it is. */
    char body[4096];
    size_t n = 0;
    n += (size_t)snprintf(body + n, sizeof(body) - n, "{\"v\":");
    for (int i = 0; i < WG_LIMIT_ROUTE_DEPTH + 10; i++)
        body[n++] = '[';
    for (int i = 0; i < WG_LIMIT_ROUTE_DEPTH + 10; i++)
        body[n++] = ']';
    body[n++] = '}';
    body[n] = '\0';
    ASSERT_NO_KEY("$request.body.v", body);

    n = (size_t)snprintf(body, sizeof(body), "{\"v\":");
    for (int i = 0; i < 10; i++)
        body[n++] = '[';
    for (int i = 0; i < 10; i++)
        body[n++] = ']';
    body[n++] = '}';
    body[n] = '\0';
    ASSERT_KEY("$request.body.v", body, "[[[[[[[[[[]]]]]]]]]]");

    /* The same for objects. */
    n = (size_t)snprintf(body, sizeof(body), "{\"v\":");
    for (int i = 0; i < WG_LIMIT_ROUTE_DEPTH + 10; i++)
        n += (size_t)snprintf(body + n, sizeof(body) - n, "{\"a\":");
    n += (size_t)snprintf(body + n, sizeof(body) - n, "1");
    for (int i = 0; i < WG_LIMIT_ROUTE_DEPTH + 11; i++)
        body[n++] = '}';
    body[n] = '\0';
    ASSERT_NO_KEY("$request.body.v", body);
}
END_TEST

START_TEST(test_key_size_cap)
{
    /* A result longer than WG_LIMIT_ROUTE_KEY_BYTES is refused rather than grown without bound. */
    size_t items = WG_LIMIT_ROUTE_KEY_BYTES / 3 + 16; /* "x, " per item */
    char *body = malloc(items * 5 + 16);
    ck_assert_ptr_nonnull(body);
    size_t n = (size_t)sprintf(body, "{\"v\":[");
    for (size_t i = 0; i < items; i++)
        n += (size_t)sprintf(body + n, "%s\"x\"", i ? "," : "");
    strcpy(body + n, "]}");
    ASSERT_NO_KEY("$request.body.v", body);
    free(body);
    /* A long literal part is kept whole. */
    char expr[600];
    memset(expr, 'L', 500);
    strcpy(expr + 500, "-${request.body.a}");
    char *key = eval(expr, "{\"a\":\"z\"}");
    ck_assert_ptr_nonnull(key);
    ck_assert_uint_eq(strlen(key), 502);
    ck_assert_int_eq(key[0], 'L');
    ck_assert_str_eq(key + 500, "-z");
    free(key);
}
END_TEST

/* ---- bodies that select $default ---- */

START_TEST(test_non_json_bodies)
{
    ASSERT_NO_KEY("$request.body.action", "hello");
    ASSERT_NO_KEY("$request.body.action", "");
    ASSERT_NO_KEY("$request.body.action", "{\"action\":");
    ASSERT_NO_KEY("$request.body.action", "{\"action\":\"x\"} trailing");
    ASSERT_NO_KEY("$request.body.action", "__ping__");
    /* JSON, but not an object. */
    ASSERT_NO_KEY("$request.body.action", "\"action\"");
    ASSERT_NO_KEY("$request.body.action", "42");
    ASSERT_NO_KEY("$request.body.action", "[{\"action\":\"x\"}]");
    ASSERT_NO_KEY("$request.body.action", "null");
    /* Missing field. */
    ASSERT_NO_KEY("$request.body.action", "{}");
    ASSERT_NO_KEY("$request.body.action", "{\"Action\":\"x\"}");
    /* An integer beyond 64 bits makes jansson refuse the body (documented). */
    ASSERT_NO_KEY("$request.body.action", "{\"action\":\"x\",\"n\":123456789012345678901234567890}");
}
END_TEST

START_TEST(test_body_length_and_nul)
{
    char err[128];
    wg_route_selector_t *s = wg_route_selector_parse("$request.body.a", err, sizeof(err));
    ck_assert_ptr_nonnull(s);
    /* Only body_len bytes are read: the rest of the buffer is ignored. */
    const char buf[] = "{\"a\":\"x\"}GARBAGE";
    char *key = wg_route_selector_eval(s, buf, 9);
    ck_assert_ptr_nonnull(key);
    ck_assert_str_eq(key, "x");
    free(key);
    /* A raw NUL inside the body and an escaped \u0000 are both refused. */
    const char with_nul[] = "{\"a\":\"x\0y\"}";
    ck_assert_ptr_null(wg_route_selector_eval(s, with_nul, sizeof(with_nul) - 1));
    const char *escaped_nul = "{\"a\":\"x\\u0000y\"}";
    ck_assert_ptr_null(wg_route_selector_eval(s, escaped_nul, strlen(escaped_nul)));
    ck_assert_ptr_null(wg_route_selector_eval(s, NULL, 0));
    ck_assert_ptr_null(wg_route_selector_eval(NULL, buf, 9));
    wg_route_selector_free(s);
    wg_route_selector_free(NULL);
}
END_TEST

/* inferred: AWS-RT-8 (wsgate's choice, not a capture of AWS) */
START_TEST(test_duplicate_keys_last_wins)
{
    ASSERT_KEY("$request.body.action", "{\"action\":\"first\",\"action\":\"second\"}", "second");
}
END_TEST

/* ---- expressions AWS would reject ---- */

/* inferred: AWS-RT-9 (wsgate's choice, not a capture of AWS) */
START_TEST(test_rejected_expressions)
{
    assert_rejected("", "empty");
    assert_rejected(NULL, "empty");
    assert_rejected("action", "no $request.body variable");
    assert_rejected("\\$default", "no $request.body variable");
    assert_rejected("$request.body", "names no field");
    assert_rejected("${request.body}", "names no field");
    assert_rejected("$request.header.x-api-key", "unsupported variable");
    assert_rejected("$context.routeKey", "unsupported variable");
    assert_rejected("$request.bodyx.a", "unsupported variable");
    assert_rejected("$request.querystring.a", "unsupported variable");
    assert_rejected("$request.body.", "empty name");
    assert_rejected("$request.body..a", "empty name");
    assert_rejected("${request.body.a", "not closed");
    assert_rejected("${request.body.a b}", "not closed");
    assert_rejected("${request.body.a}}${", "starts no variable");
    assert_rejected("${}", "starts no variable");
    assert_rejected("$", "starts no variable");
    assert_rejected("a$", "starts no variable");
    assert_rejected("$request.body.a $5", "unsupported variable");
    assert_rejected("$request.body.a $ b", "starts no variable");
    assert_rejected("$request.body.a[", "expected [index]");
    assert_rejected("$request.body.a[x]", "expected [index]");
    assert_rejected("$request.body.a[-1]", "expected [index]");
    assert_rejected("$request.body.a[99999999999]", "too large");
    assert_rejected("$request.body['a", "unterminated");
    assert_rejected("$request.body['']", "empty name");
}
END_TEST

/* inferred: AWS-RT-9 (wsgate's choice, not a capture of AWS) */
START_TEST(test_rejected_limits)
{
    char expr[WG_LIMIT_ROUTE_EXPRESSION_CHARS + 64];
    memset(expr, 'a', sizeof(expr) - 1);
    expr[sizeof(expr) - 1] = '\0';
    memcpy(expr, "$request.body.", 14);
    assert_rejected(expr, "longer than");

    size_t n = 0;
    for (int i = 0; i <= WG_LIMIT_ROUTE_VARIABLES; i++)
        n += (size_t)snprintf(expr + n, sizeof(expr) - n, "${request.body.a}");
    assert_rejected(expr, "variables");

    n = (size_t)snprintf(expr, sizeof(expr), "$request.body");
    for (int i = 0; i <= WG_LIMIT_ROUTE_STEPS; i++)
        n += (size_t)snprintf(expr + n, sizeof(expr) - n, ".a");
    assert_rejected(expr, "path steps");
}
END_TEST

START_TEST(test_error_buffer_small_or_null)
{
    char err[8];
    ck_assert_ptr_null(wg_route_selector_parse("bogus", err, sizeof(err)));
    ck_assert_uint_eq(strlen(err), sizeof(err) - 1);
    ck_assert_ptr_null(wg_route_selector_parse("bogus", NULL, 0));
    wg_route_selector_t *s = wg_route_selector_parse("$request.body.a", NULL, 0);
    ck_assert_ptr_nonnull(s);
    wg_route_selector_free(s);
}
END_TEST

START_TEST(test_selector_is_reusable)
{
    char err[128];
    wg_route_selector_t *s = wg_route_selector_parse("$request.body.action", err, sizeof(err));
    ck_assert_ptr_nonnull(s);
    const char *bodies[] = {"{\"action\":\"a\"}", "nope", "{\"action\":\"b\"}"};
    const char *expected[] = {"a", NULL, "b"};
    for (int i = 0; i < 3; i++) {
        char *key = wg_route_selector_eval(s, bodies[i], strlen(bodies[i]));
        if (expected[i] == NULL) {
            ck_assert_ptr_null(key);
        } else {
            ck_assert_ptr_nonnull(key);
            ck_assert_str_eq(key, expected[i]);
        }
        free(key);
    }
    wg_route_selector_free(s);
}
END_TEST

Suite *wg_test_suite_routes(void)
{
    Suite *s = suite_create("routes");
    TCase *tc = tcase_create("eval");
    tcase_add_test(tc, test_plain_action);
    tcase_add_test(tc, test_braced_alone);
    tcase_add_test(tc, test_nested);
    tcase_add_test(tc, test_template);
    tcase_add_test(tc, test_escaped_dollar);
    tcase_add_test(tc, test_brackets);
    tcase_add_test(tc, test_stringify_scalars);
    tcase_add_test(tc, test_stringify_arrays);
    tcase_add_test(tc, test_stringify_objects);
    tcase_add_test(tc, test_stringify_too_deep);
    tcase_add_test(tc, test_key_size_cap);
    tcase_add_test(tc, test_non_json_bodies);
    tcase_add_test(tc, test_body_length_and_nul);
    tcase_add_test(tc, test_duplicate_keys_last_wins);
    tcase_add_test(tc, test_selector_is_reusable);
    suite_add_tcase(s, tc);
    TCase *tp = tcase_create("parse");
    tcase_add_test(tp, test_rejected_expressions);
    tcase_add_test(tp, test_rejected_limits);
    tcase_add_test(tp, test_error_buffer_small_or_null);
    suite_add_tcase(s, tp);
    return s;
}
