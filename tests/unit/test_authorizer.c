/*
 * test_authorizer.c: $connect authorization building blocks (AWS-AUTH): the authorizer input event
 * byte for byte against the 2025 capture, methodArn, IAM-style wildcard matching (AWS-AUTH-10 and
 * powertools #5800), policy evaluation (Allow/Deny/not covered/invalid) and the authorizer
 * context carried into later events (AWS-AUTH-14, AWS-AUTH-15), identity sources.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authorizer.h"
#include "config.h"
#include "events.h"

static json_t *load_capture(const char *name)
{
    const char *root = getenv("WG_SOURCE_DIR");
#ifdef WG_SOURCE_DIR
    if (root == NULL || root[0] == '\0')
        root = WG_SOURCE_DIR;
#endif
    char path[1024];
    snprintf(path, sizeof(path), "%s/fixtures/%s", root, name);
    json_error_t err;
    json_t *doc = json_load_file(path, 0, &err);
    ck_assert_msg(doc != NULL, "%s: %s", path, err.text);
    return doc;
}

/* ---------------------------------------------------------- the capture ---- */

START_TEST(test_authorizer_event_matches_capture)
{
    json_t *cap = load_capture("ws-authorizer-request-2025-01-us-east-1.json");
    json_t *mvh = json_object_get(cap, "multiValueHeaders");
    json_t *rc = json_object_get(cap, "requestContext");

    /* What the client sent, as h2o hands it over: no Upgrade (h2o keeps it apart), no
     * content-length (AWS adds it), none of the four AWS headers. Reversed to exercise the sort. */
    wg_header_t h[16];
    size_t n = 0;
    const char *key;
    json_t *value;
    json_object_foreach(mvh, key, value) {
        if (strcmp(key, "Upgrade") == 0 || strcmp(key, "content-length") == 0 || strcmp(key, "X-Amzn-Trace-Id") == 0 ||
            strcmp(key, "X-Forwarded-For") == 0 || strcmp(key, "X-Forwarded-Port") == 0 ||
            strcmp(key, "X-Forwarded-Proto") == 0)
            continue;
        const char *v = json_string_value(json_array_get(value, 0));
        h[n++] = (wg_header_t){key, strlen(key), v, strlen(v)};
    }
    for (size_t i = 0; i < n / 2; i++) {
        wg_header_t t = h[i];
        h[i] = h[n - 1 - i];
        h[n - 1 - i] = t;
    }

    wg_event_context_t ctx = {0};
    ctx.route_key = "$connect";
    ctx.connection_id = json_string_value(json_object_get(rc, "connectionId"));
    ctx.request_id = json_string_value(json_object_get(rc, "requestId"));
    ctx.stage = json_string_value(json_object_get(rc, "stage"));
    ctx.domain_name = json_string_value(json_object_get(rc, "domainName"));
    ctx.api_id = json_string_value(json_object_get(rc, "apiId"));
    ctx.connected_at = (uint64_t)json_integer_value(json_object_get(rc, "connectedAt"));
    ctx.request_time_ms = (uint64_t)json_integer_value(json_object_get(rc, "requestTimeEpoch"));
    ctx.source_ip = json_string_value(json_object_get(json_object_get(rc, "identity"), "sourceIp"));

    char *arn = wg_authorizer_method_arn("us-east-1", "533568316194", ctx.api_id, ctx.stage);
    ck_assert_str_eq(arn, json_string_value(json_object_get(cap, "methodArn")));
    char trace_id[64];
    snprintf(trace_id, sizeof(trace_id), "%s",
             json_string_value(json_object_get(json_object_get(cap, "headers"), "X-Amzn-Trace-Id")));
    wg_event_forwarding_t fwd = {trace_id, "443", "https"};
    size_t len = 0;
    char *got = wg_event_authorizer(&ctx, arn, h, n, 0, NULL, 0, NULL, &fwd, &len);
    ck_assert_uint_eq(len, strlen(got));

    /* Expected: the capture, except that its `headers` lost Sec-WebSocket-Key to hand redaction
     * (it is still in multiValueHeaders; see the .source.txt): rebuilt from multiValueHeaders,
     * after checking that every captured header agrees. */
    json_t *headers = json_object_get(cap, "headers");
    json_t *rebuilt = json_object();
    json_object_foreach(mvh, key, value) {
        json_t *cap_value = json_object_get(headers, key);
        if (cap_value != NULL)
            ck_assert(json_equal(cap_value, json_array_get(value, 0)));
        else
            ck_assert_str_eq(key, "Sec-WebSocket-Key");
        json_object_set(rebuilt, key, json_array_get(value, 0));
    }
    json_object_set_new(cap, "headers", rebuilt);
    char *want = json_dumps(cap, JSON_COMPACT);
    ck_assert_str_eq(got, want);

    /* With a query and stage variables: both maps filled, variables as given. */
    char *with_query =
        wg_event_authorizer(&ctx, arn, h, n, 1, "token=a%3Db&x=1&x=2", 19, "{\"env\":\"dev\"}", &fwd, NULL);
    ck_assert_ptr_nonnull(strstr(with_query,
                                 "\"queryStringParameters\":{\"token\":\"a=b\",\"x\":\"2\"},"
                                 "\"multiValueQueryStringParameters\":{\"token\":[\"a=b\"],\"x\":[\"1\",\"2\"]},"
                                 "\"stageVariables\":{\"env\":\"dev\"},\"requestContext\""));
    free(with_query);
    free(want);
    free(got);
    free(arn);
    json_decref(cap);
}
END_TEST

START_TEST(test_authorizer_event_keeps_client_upgrade_and_content_length)
{
    wg_header_t h[] = {
        {"Host", 4, "h", 1},
        {"Upgrade", 7, "WebSocket", 9},
        {"Content-Length", 14, "0", 1},
        {"connection", 10, "Upgrade", 7},
    };
    wg_event_context_t ctx = {0};
    ctx.route_key = "$connect";
    ctx.source_ip = "127.0.0.1";
    char *ev = wg_event_authorizer(&ctx, "arn", h, 4, 0, NULL, 0, NULL, NULL, NULL);
    ck_assert_ptr_nonnull(strstr(ev, "\"headers\":{\"connection\":\"Upgrade\",\"Content-Length\":\"0\",\"Host\":\"h\","
                                     "\"Upgrade\":\"WebSocket\",\"X-Forwarded-For\":\"127.0.0.1\"}"));
    ck_assert_ptr_null(strstr(ev, "content-length"));
    free(ev);
}
END_TEST

/* ------------------------------------------------------------- wildcards ---- */

#define ARN "arn:aws:execute-api:us-east-1:123456789012:abcdefghij/prod/$connect"

START_TEST(test_glob_resources)
{
    /* AWS-AUTH-10: "/prod/STAR/STAR" needs another '/', so it does not cover $connect */
    ck_assert(!wg_authorizer_glob_match("arn:aws:execute-api:us-east-1:123456789012:abcdefghij/prod/*/*", ARN, 0));
    ck_assert(wg_authorizer_glob_match("arn:aws:execute-api:us-east-1:123456789012:abcdefghij/prod/*", ARN, 0));
    ck_assert(wg_authorizer_glob_match("arn:aws:execute-api:us-east-1:123456789012:abcdefghij/*", ARN, 0));
    ck_assert(wg_authorizer_glob_match("*", ARN, 0));
    ck_assert(wg_authorizer_glob_match("arn:aws:execute-api:*:*:abcdefghij/*/$connect", ARN, 0));
    ck_assert(wg_authorizer_glob_match(ARN, ARN, 0));
    ck_assert(wg_authorizer_glob_match("arn:aws:execute-api:us-east-1:123456789012:abcdefghij/pro?/$connect", ARN, 0));
    ck_assert(!wg_authorizer_glob_match("arn:aws:execute-api:us-east-1:123456789012:abcdefghij/dev/*", ARN, 0));
    ck_assert(!wg_authorizer_glob_match("arn:aws:execute-api:us-east-1:123456789012:abcdefghij/prod/$CONNECT", ARN, 0));
    ck_assert(!wg_authorizer_glob_match("arn:aws:execute-api:us-east-1:123456789012:abcdefghij/prod", ARN, 0));
    ck_assert(!wg_authorizer_glob_match("", ARN, 0));
    ck_assert(wg_authorizer_glob_match("**", "", 0));
    ck_assert(wg_authorizer_glob_match("a*b*c", "aXXbYYbZc", 0));
    ck_assert(!wg_authorizer_glob_match("a*b*c", "aXXbYYbZ", 0));
}
END_TEST

START_TEST(test_glob_actions_ignore_case)
{
    ck_assert(wg_authorizer_glob_match("execute-api:Invoke", "execute-api:Invoke", 1));
    ck_assert(wg_authorizer_glob_match("execute-api:invoke", "execute-api:Invoke", 1));
    ck_assert(wg_authorizer_glob_match("execute-api:*", "execute-api:Invoke", 1));
    ck_assert(wg_authorizer_glob_match("*", "execute-api:Invoke", 1));
    ck_assert(wg_authorizer_glob_match("execute-api:Inv*", "execute-api:Invoke", 1));
    ck_assert(!wg_authorizer_glob_match("execute-api:ManageConnections", "execute-api:Invoke", 1));
    ck_assert(!wg_authorizer_glob_match("lambda:*", "execute-api:Invoke", 1));
}
END_TEST

/* ------------------------------------------------------ policy evaluation ---- */

static int evaluate(const char *doc, char **json_out)
{
    const char *why = NULL;
    char *out = NULL;
    int status = wg_authorizer_evaluate(doc, strlen(doc), ARN, &out, &why);
    ck_assert_ptr_nonnull(why);
    if (status != 0)
        ck_assert_ptr_null(out);
    if (json_out != NULL)
        *json_out = out;
    else
        free(out);
    return status;
}

#define POLICY(effect, action, resource)                                                                        \
    "{\"principalId\":\"me\",\"policyDocument\":{\"Version\":\"2012-10-17\",\"Statement\":[{\"Action\":" action \
    ",\"Effect\":\"" effect "\",\"Resource\":" resource "}]}}"

START_TEST(test_evaluate_allow_deny)
{
    ck_assert_int_eq(evaluate(POLICY("Allow", "\"execute-api:Invoke\"", "\"" ARN "\""), NULL), 0);
    ck_assert_int_eq(evaluate(POLICY("Allow", "[\"execute-api:Invoke\"]", "[\"x\",\"" ARN "\"]"), NULL), 0);
    ck_assert_int_eq(evaluate(POLICY("Deny", "\"execute-api:Invoke\"", "\"" ARN "\""), NULL), 403);
    ck_assert_int_eq(evaluate(POLICY("Allow", "\"execute-api:Invoke\"", "\"arn:other\""), NULL), 403);
    ck_assert_int_eq(evaluate(POLICY("Allow", "\"execute-api:ManageConnections\"", "\"*\""), NULL), 403);
    ck_assert_int_eq(
        evaluate(POLICY("Allow", "\"*\"", "\"arn:aws:execute-api:us-east-1:123456789012:abcdefghij/prod/*/*\""), NULL),
        403);
    /* Deny wins whatever the order */
    ck_assert_int_eq(evaluate("{\"principalId\":\"me\",\"policyDocument\":{\"Statement\":["
                              "{\"Action\":\"*\",\"Effect\":\"Deny\",\"Resource\":\"*\"},"
                              "{\"Action\":\"*\",\"Effect\":\"Allow\",\"Resource\":\"*\"}]}}",
                              NULL),
                     403);
    /* a single Statement object, NotResource / NotAction */
    ck_assert_int_eq(evaluate("{\"principalId\":\"me\",\"policyDocument\":{\"Statement\":"
                              "{\"Action\":\"*\",\"Effect\":\"Allow\",\"Resource\":\"*\"}}}",
                              NULL),
                     0);
    ck_assert_int_eq(evaluate("{\"principalId\":\"me\",\"policyDocument\":{\"Statement\":"
                              "{\"Action\":\"*\",\"Effect\":\"Allow\",\"NotResource\":\"arn:x\"}}}",
                              NULL),
                     0);
    ck_assert_int_eq(evaluate("{\"principalId\":\"me\",\"policyDocument\":{\"Statement\":"
                              "{\"NotAction\":\"execute-api:*\",\"Effect\":\"Allow\",\"Resource\":\"*\"}}}",
                              NULL),
                     403);
    /* an empty Statement list covers nothing */
    ck_assert_int_eq(evaluate("{\"principalId\":\"me\",\"policyDocument\":{\"Statement\":[]}}", NULL), 403);
}
END_TEST

/* inferred: AWS-AUTH-15, AWS-LIM-9 (object/array context, over 8 KB) (wsgate's choice, not a capture of AWS) */
START_TEST(test_evaluate_invalid_is_500)
{
    const char *bad[] = {
        "",
        "not json",
        "[]",
        "{\"policyDocument\":{\"Statement\":[]}}", /* no principalId */
        "{\"principalId\":7,\"policyDocument\":{\"Statement\":[]}}", /* principalId not a string */
        "{\"principalId\":\"me\"}", /* no policy */
        "{\"principalId\":\"me\",\"policyDocument\":{}}", /* no Statement */
        POLICY("allow", "\"*\"", "\"*\""), /* Effect is case-sensitive */
        POLICY("Allow", "7", "\"*\""),
        POLICY("Allow", "[]", "\"*\""),
        "{\"principalId\":\"me\",\"policyDocument\":{\"Statement\":[{\"Effect\":\"Allow\",\"Resource\":\"*\"}]}}",
        "{\"principalId\":\"me\",\"policyDocument\":{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\"}]}}",
        "{\"principalId\":\"me\",\"policyDocument\":{\"Statement\":[1]}}",
        "{\"principalId\":\"me\",\"context\":{\"a\":{\"b\":1}},\"policyDocument\":{\"Statement\":"
        "{\"Action\":\"*\",\"Effect\":\"Allow\",\"Resource\":\"*\"}}}",
        "{\"principalId\":\"me\",\"context\":[1],\"policyDocument\":{\"Statement\":"
        "{\"Action\":\"*\",\"Effect\":\"Allow\",\"Resource\":\"*\"}}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(evaluate(bad[i], NULL) == 500, "case %zu: %s", i, bad[i]);

    /* over 8 KB */
    size_t big = 9000;
    char *doc = malloc(big + 200);
    int n = sprintf(doc, "{\"principalId\":\"me\",\"context\":{\"pad\":\"");
    memset(doc + n, 'x', big);
    strcpy(doc + n + big,
           "\"},\"policyDocument\":{\"Statement\":{\"Action\":\"*\",\"Effect\":\"Allow\",\"Resource\":\"*\"}}}");
    ck_assert_int_eq(evaluate(doc, NULL), 500);
    free(doc);
}
END_TEST

/* inferred: AWS-AUTH-15 (wsgate's choice, not a capture of AWS) */
START_TEST(test_evaluate_context_stringified)
{
    char *out = NULL;
    ck_assert_int_eq(evaluate("{\"principalId\":\"user\",\"context\":{\"s\":\"x\",\"n\":1,\"f\":1.5,\"t\":true,"
                              "\"no\":false,\"nul\":null,\"principalId\":\"spoof\"},\"policyDocument\":{\"Statement\":"
                              "{\"Action\":\"execute-api:Invoke\",\"Effect\":\"Allow\",\"Resource\":\"*\"}}}",
                              &out),
                     0);
    ck_assert_str_eq(
        out, "{\"principalId\":\"user\",\"s\":\"x\",\"n\":\"1\",\"f\":\"1.5\",\"t\":\"true\",\"no\":\"false\"}");

    /* and it lands in requestContext.authorizer of later events (AWS-AUTH-14) */
    wg_event_context_t ctx = {0};
    ctx.route_key = "$default";
    ctx.message_id = "m";
    ctx.authorizer_json = out;
    char *ev = wg_event_message(&ctx, "hi", 2, NULL);
    ck_assert_ptr_nonnull(
        strstr(ev, "{\"routeKey\":\"$default\",\"authorizer\":{\"principalId\":\"user\",\"s\":\"x\","));
    free(ev);
    free(out);
}
END_TEST

/* ------------------------------------------------------ identity sources ---- */

START_TEST(test_identity_sources)
{
    wg_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    char *sources[] = {"route.request.header.Authorization", "route.request.querystring.token", "stageVariables.env"};
    cfg.authorizer.identity_sources = sources;
    cfg.authorizer.num_identity_sources = 3;
    wg_string_pair_t vars[] = {{"env", "dev"}};
    cfg.stage_variables = vars;
    cfg.num_stage_variables = 1;

    wg_header_t h[] = {{"Host", 4, "h", 1}, {"authorization", 13, "Bearer x", 8}};
    wg_connect_request_t req = {0};
    req.headers = h;
    req.num_headers = 2;
    req.has_query = 1;
    req.raw_query = "token=abc";
    req.raw_query_len = 9;
    const char *missing = NULL;
    ck_assert(wg_authorizer_has_identity(&cfg, &req, &missing));

    req.raw_query = "token=";
    req.raw_query_len = 6;
    ck_assert(!wg_authorizer_has_identity(&cfg, &req, &missing));
    ck_assert_str_eq(missing, "route.request.querystring.token");

    req.raw_query = "token=abc";
    req.raw_query_len = 9;
    h[1].value_len = 0;
    ck_assert(!wg_authorizer_has_identity(&cfg, &req, &missing));
    ck_assert_str_eq(missing, "route.request.header.Authorization");

    h[1].value_len = 8;
    vars[0].value = "";
    ck_assert(!wg_authorizer_has_identity(&cfg, &req, &missing));
    ck_assert_str_eq(missing, "stageVariables.env");

    cfg.authorizer.num_identity_sources = 0; /* none configured: always call */
    ck_assert(wg_authorizer_has_identity(&cfg, &req, &missing));
}
END_TEST

/* ------------------------------------------------------------- IAM identity ---- */

/* inferred: AWS-AUTH-18 (wsgate's choice, not a capture of AWS) */
START_TEST(test_iam_identity_order)
{
    wg_event_context_t ctx = {0};
    ctx.route_key = "$connect";
    ctx.source_ip = "1.2.3.4";
    ctx.user_agent = "ua";
    ctx.identity_json = "{\"accessKey\":\"AK\",\"accountId\":\"123456789012\",\"caller\":\"AK\",\"user\":\"AK\","
                        "\"userArn\":\"arn:aws:iam::123456789012:user/AK\"}";
    char *ev = wg_event_message(&ctx, "", 0, NULL);
    ck_assert_ptr_nonnull(strstr(ev,
                                 "\"identity\":{\"userArn\":\"arn:aws:iam::123456789012:user/AK\",\"userAgent\":\"ua\","
                                 "\"accountId\":\"123456789012\",\"caller\":\"AK\",\"sourceIp\":\"1.2.3.4\","
                                 "\"accessKey\":\"AK\",\"user\":\"AK\"}"));
    free(ev);
    ctx.identity_json = NULL;
    ev = wg_event_message(&ctx, "", 0, NULL);
    ck_assert_ptr_nonnull(strstr(ev, "\"identity\":{\"userAgent\":\"ua\",\"sourceIp\":\"1.2.3.4\"}"));
    free(ev);
}
END_TEST

Suite *wg_test_suite_authorizer(void)
{
    Suite *s = suite_create("authorizer");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_authorizer_event_matches_capture);
    tcase_add_test(tc, test_authorizer_event_keeps_client_upgrade_and_content_length);
    tcase_add_test(tc, test_glob_resources);
    tcase_add_test(tc, test_glob_actions_ignore_case);
    tcase_add_test(tc, test_evaluate_allow_deny);
    tcase_add_test(tc, test_evaluate_invalid_is_500);
    tcase_add_test(tc, test_evaluate_context_stringified);
    tcase_add_test(tc, test_identity_sources);
    tcase_add_test(tc, test_iam_identity_order);
    suite_add_tcase(s, tc);
    return s;
}
