/*
 * test_integrations.c: the pure parts of the integrations (AWS-INT): HTTP_PROXY request
 * parameter mapping and context variables, Lambda function-error detection, the reading of
 * backend answers, and the config keys of every integration type (functions / --function,
 * unmapped functions, requestParameters validation).
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_internal.h"
#include "integration.h"
#include "integration_http_proxy.h"
#include "integration_lambda.h"
#include "sigv4.h"

/* ------------------------------------------------------- lambda errors ---- */

START_TEST(test_lambda_function_error_detection)
{
    const char *err_doc = "{\"errorMessage\":\"boom\",\"errorType\":\"Error\",\"trace\":[]}";
    ck_assert(wg_integration_lambda_is_function_error(200, "Unhandled", "{}", 2));
    ck_assert(wg_integration_lambda_is_function_error(200, "Handled", NULL, 0));
    ck_assert(wg_integration_lambda_is_function_error(200, NULL, err_doc, strlen(err_doc)));
    ck_assert(wg_integration_lambda_is_function_error(404, NULL, "{}", 2)); /* no such function */
    ck_assert(wg_integration_lambda_is_function_error(500, NULL, "", 0));
    ck_assert(!wg_integration_lambda_is_function_error(200, NULL, "{\"statusCode\":200}", 18));
    ck_assert(!wg_integration_lambda_is_function_error(200, NULL, "null", 4));
    ck_assert(!wg_integration_lambda_is_function_error(200, NULL, "", 0));
    /* a proxy result that merely mentions errorMessage is not an error */
    const char *proxy = "{\"statusCode\":400,\"errorMessage\":\"x\",\"errorType\":\"y\"}";
    ck_assert(!wg_integration_lambda_is_function_error(200, NULL, proxy, strlen(proxy)));
    const char *only_message = "{\"errorMessage\":\"Unauthorized\"}";
    ck_assert(!wg_integration_lambda_is_function_error(200, NULL, only_message, strlen(only_message)));
}
END_TEST

/* inferred: AWS-INT-11, AWS-INT-12 (wsgate's choice, not a capture of AWS) */
START_TEST(test_interpret_proxy_results)
{
    wg_integration_result_t r;
    json_t *doc;
    const char *ok = "{\"statusCode\":200,\"body\":\"hi\",\"headers\":{\"sec-websocket-protocol\":\"p1\"}}";
    wg_integration_interpret(200, ok, strlen(ok), &r, &doc);
    ck_assert_int_eq(r.outcome, WG_OUTCOME_OK);
    ck_assert_int_eq(r.status, 200);
    ck_assert(r.is_proxy_result);
    ck_assert_int_eq((int)r.body_len, 2);
    ck_assert_int_eq(memcmp(r.body, "hi", 2), 0);
    ck_assert_int_eq(memcmp(r.subprotocol, "p1", 2), 0);
    json_decref(doc);

    /* a body with an escaped NUL is valid JSON and reaches the client whole (JSON_ALLOW_NUL) */
    const char *nul = "{\"statusCode\":200,\"body\":\"a\\u0000b\"}";
    wg_integration_interpret(200, nul, strlen(nul), &r, &doc);
    ck_assert_int_eq(r.outcome, WG_OUTCOME_OK);
    ck_assert(r.is_proxy_result);
    ck_assert_int_eq((int)r.body_len, 3);
    ck_assert_int_eq(memcmp(r.body, "a\0b", 3), 0);
    json_decref(doc);

    const char *reject = "{\"statusCode\":403}";
    wg_integration_interpret(200, reject, strlen(reject), &r, &doc);
    ck_assert_int_eq(r.status, 403);
    json_decref(doc);

    const char *malformed = "{\"statusCode\":200,\"body\":{\"x\":1}}";
    wg_integration_interpret(200, malformed, strlen(malformed), &r, &doc);
    ck_assert_int_eq(r.outcome, WG_OUTCOME_ERROR);
    json_decref(doc);

    wg_integration_interpret(502, "down", 4, &r, &doc);
    ck_assert_int_eq(r.outcome, WG_OUTCOME_ERROR);
    json_decref(doc);
}
END_TEST

/* ---------------------------------------------------- request parameters ---- */

static wg_event_context_t message_context(void)
{
    wg_event_context_t ctx = {0};
    ctx.route_key = "sendMessage";
    ctx.connection_id = "BFHPhfCWIAMCKlQ=";
    ctx.request_id = "BFHPhFe3IAMF95g=";
    ctx.message_id = "BFaVtfGSIAMCKug=";
    ctx.stage = "local";
    ctx.domain_name = "127.0.0.1:3001";
    ctx.api_id = "abcdefghij";
    ctx.connected_at = 1731324924553ULL;
    ctx.request_time_ms = 1731324924561ULL;
    ctx.source_ip = "127.0.0.1";
    ctx.authorizer_json = "{\"principalId\":\"u1\",\"role\":\"admin\"}";
    return ctx;
}

static char *ctx_value(const wg_event_context_t *ctx, const char *name)
{
    char *v = wg_integration_http_proxy_context_value(ctx, name);
    return v;
}

#define CK_CTX(ctx, name, expected)                                              \
    do {                                                                         \
        char *v_ = ctx_value(ctx, name);                                         \
        if ((expected) == NULL) {                                                \
            ck_assert_msg(v_ == NULL, "%s: expected nothing, got %s", name, v_); \
        } else {                                                                 \
            ck_assert_msg(v_ != NULL, "%s: no value", name);                     \
            ck_assert_str_eq(v_, (expected));                                    \
        }                                                                        \
        free(v_);                                                                \
    } while (0)

START_TEST(test_context_values)
{
    wg_event_context_t ctx = message_context();
    CK_CTX(&ctx, "connectionId", "BFHPhfCWIAMCKlQ=");
    CK_CTX(&ctx, "requestId", "BFHPhFe3IAMF95g=");
    CK_CTX(&ctx, "extendedRequestId", "BFHPhFe3IAMF95g=");
    CK_CTX(&ctx, "messageId", "BFaVtfGSIAMCKug=");
    CK_CTX(&ctx, "eventType", "MESSAGE");
    CK_CTX(&ctx, "routeKey", "sendMessage");
    CK_CTX(&ctx, "stage", "local");
    CK_CTX(&ctx, "apiId", "abcdefghij");
    CK_CTX(&ctx, "domainName", "127.0.0.1:3001");
    CK_CTX(&ctx, "connectedAt", "1731324924553");
    CK_CTX(&ctx, "requestTimeEpoch", "1731324924561");
    CK_CTX(&ctx, "requestTime", "11/Nov/2024:11:35:24 +0000");
    CK_CTX(&ctx, "messageDirection", "IN");
    CK_CTX(&ctx, "identity.sourceIp", "127.0.0.1");
    CK_CTX(&ctx, "identity.userAgent", NULL);
    CK_CTX(&ctx, "authorizer.principalId", "u1");
    CK_CTX(&ctx, "authorizer.role", "admin");
    CK_CTX(&ctx, "authorizer.missing", NULL);
    CK_CTX(&ctx, "disconnectStatusCode", NULL);
    ctx.route_key = "$connect";
    CK_CTX(&ctx, "eventType", "CONNECT");
    CK_CTX(&ctx, "messageId", NULL);
    ctx.route_key = "$disconnect";
    ctx.disconnect_status_code = 1005;
    ctx.disconnect_reason = "bye";
    CK_CTX(&ctx, "eventType", "DISCONNECT");
    CK_CTX(&ctx, "disconnectStatusCode", "1005");
    CK_CTX(&ctx, "disconnectReason", "bye");
}
END_TEST

static wg_request_parameter_t param(int is_header, const char *name, wg_param_source_kind_t kind, const char *source)
{
    return (wg_request_parameter_t){is_header, (char *)name, kind, (char *)source};
}

/* inferred: AWS-INT-17 (wsgate's choice, not a capture of AWS) */
START_TEST(test_map_parameters_message)
{
    wg_request_parameter_t params[] = {
        param(1, "ConnectionId", WG_PARAM_CONTEXT, "connectionId"),
        param(1, "X-Static", WG_PARAM_STATIC, "fixed value"),
        param(1, "X-Tenant", WG_PARAM_STAGE_VARIABLE, "tenant"),
        param(1, "X-Undefined", WG_PARAM_STAGE_VARIABLE, "nope"),
        param(0, "room", WG_PARAM_BODY, "meta.room"),
        param(0, "n", WG_PARAM_BODY, "n"),
        param(0, "tags", WG_PARAM_BODY, "tags"),
        param(0, "first", WG_PARAM_BODY, "tags.0"),
        param(0, "missing", WG_PARAM_BODY, "meta.nothing"),
        param(1, "X-Role", WG_PARAM_CONTEXT, "authorizer.role"),
    };
    wg_route_config_t route = {0};
    route.key = "sendMessage";
    route.type = WG_INTEGRATION_HTTP_PROXY;
    route.params = params;
    route.num_params = sizeof(params) / sizeof(params[0]);
    wg_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    wg_string_pair_t vars[] = {{"tenant", "acme"}};
    cfg.stage_variables = vars;
    cfg.num_stage_variables = 1;

    wg_event_context_t ctx = message_context();
    const char *body = "{\"action\":\"sendMessage\",\"n\":7,\"meta\":{\"room\":\"r1\"},\"tags\":[\"a\",\"b\"]}";
    wg_integration_call_t call = {0};
    call.route = &route;
    call.context = &ctx;
    call.message = body;
    call.message_len = strlen(body);
    wg_mapped_parameter_t out[16];
    size_t n = wg_integration_http_proxy_map_parameters(&cfg, &call, out);
    const char *expected[][2] = {
        {"ConnectionId", "BFHPhfCWIAMCKlQ="},
        {"X-Static", "fixed value"},
        {"X-Tenant", "acme"},
        {"room", "r1"},
        {"n", "7"},
        {"tags", "[\"a\",\"b\"]"},
        {"first", "a"},
        {"X-Role", "admin"},
    };
    ck_assert_uint_eq(n, sizeof(expected) / sizeof(expected[0]));
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_eq(out[i].name, expected[i][0]);
        ck_assert_str_eq(out[i].value, expected[i][1]);
        free(out[i].value);
    }

    /* a body that is not JSON: body mappings are left out, the others stay */
    call.message = "__ping__";
    call.message_len = 8;
    n = wg_integration_http_proxy_map_parameters(&cfg, &call, out);
    ck_assert_uint_eq(n, 4);
    for (size_t i = 0; i < n; i++)
        free(out[i].value);
}
END_TEST

/* inferred: AWS-INT-17 (wsgate's choice, not a capture of AWS) */
START_TEST(test_map_parameters_connect)
{
    wg_request_parameter_t params[] = {
        param(1, "X-Auth", WG_PARAM_HEADER, "authorization"),
        param(0, "token", WG_PARAM_QUERYSTRING, "token"),
        param(0, "absent", WG_PARAM_QUERYSTRING, "absent"),
        param(1, "X-Event", WG_PARAM_CONTEXT, "eventType"),
    };
    wg_route_config_t route = {0};
    route.key = "$connect";
    route.params = params;
    route.num_params = 4;
    wg_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    wg_event_context_t ctx = message_context();
    ctx.route_key = "$connect";
    wg_header_t h[] = {{"Host", 4, "h", 1}, {"Authorization", 13, "Bearer abc", 10}};
    wg_integration_call_t call = {0};
    call.route = &route;
    call.context = &ctx;
    call.headers = h;
    call.num_headers = 2;
    call.has_query = 1;
    call.raw_query = "token=t%201&token=t2&x=1";
    call.raw_query_len = strlen(call.raw_query);
    wg_mapped_parameter_t out[4];
    size_t n = wg_integration_http_proxy_map_parameters(&cfg, &call, out);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(out[0].value, "Bearer abc");
    ck_assert_str_eq(out[1].value, "t2"); /* the last value, as in queryStringParameters */
    ck_assert_str_eq(out[2].value, "CONNECT");
    for (size_t i = 0; i < n; i++)
        free(out[i].value);
}
END_TEST

/* ------------------------------------------------------------- config ---- */

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/wg-test-config-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq((int)write(fd, text, strlen(text)), (int)strlen(text));
    close(fd);
    return path;
}

/* Loads `json` plus extra args; returns the outcome, err filled. */
static int load(wg_config_t *cfg, const char *json, const char *const *extra, char *err, size_t err_size)
{
    char *path = write_temp(json);
    char *argv[16] = {"wsgate", "--config", path};
    int argc = 3;
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
        argv[argc++] = (char *)extra[i];
    argv[argc] = NULL;
    unsetenv("AWS_ACCESS_KEY_ID");
    int rc = wg_config_load(cfg, argc, argv, err, err_size);
    unlink(path);
    free(path);
    return rc;
}

START_TEST(test_config_every_integration)
{
    const char *json =
        "{\"stageVariables\":{\"v\":\"1\"},\"apiKeys\":[\"k\"],\"accountId\":\"111122223333\","
        "\"functions\":{\"Chat\":\"lambda:http://127.0.0.1:9000/function\",\"Hook\":\"http://127.0.0.1:8000/h\"},"
        "\"authorizer\":{\"function\":\"Auth\",\"identitySource\":\"route.request.header.Authorization, "
        "route.request.querystring.token\"},"
        "\"routes\":{"
        "\"$connect\":{\"function\":\"Hook\",\"apiKeyRequired\":true},"
        "\"$default\":{\"function\":\"Chat\",\"twoWay\":true},"
        "\"raw\":{\"integration\":\"lambda\",\"uri\":\"http://127.0.0.1:9001\",\"function\":\"direct\"},"
        "\"proxy\":{\"integration\":\"http_proxy\",\"uri\":\"http://127.0.0.1:8000/p\",\"method\":\"PUT\","
        "\"requestParameters\":{\"integration.request.header.ConnectionId\":\"context.connectionId\","
        "\"integration.request.querystring.q\":\"route.request.body.a.b\"}},"
        "\"mock\":{\"integration\":\"mock\",\"response\":{\"statusCode\":201,\"body\":\"hi\"}}}}";
    const char *extra[] = {"--function", "Auth=lambda:http://127.0.0.1:9002", NULL};
    wg_config_t cfg;
    char err[1024] = "";
    ck_assert_msg(load(&cfg, json, extra, err, sizeof(err)) == WG_CONFIG_OK, "%s", err);
    const wg_route_config_t *r = wg_config_route(&cfg, "$default");
    ck_assert_int_eq(r->type, WG_INTEGRATION_LAMBDA);
    ck_assert_str_eq(r->uri, "http://127.0.0.1:9000");
    ck_assert_str_eq(r->function, "function");
    r = wg_config_route(&cfg, "$connect");
    ck_assert_int_eq(r->type, WG_INTEGRATION_HTTP);
    ck_assert_str_eq(r->uri, "http://127.0.0.1:8000/h");
    ck_assert(cfg.is_connect_api_key_required);
    ck_assert_int_eq(cfg.connect_authorization, WG_AUTHORIZATION_CUSTOM); /* an authorizer alone means CUSTOM */
    r = wg_config_route(&cfg, "raw");
    ck_assert_str_eq(r->function, "direct");
    r = wg_config_route(&cfg, "proxy");
    ck_assert_str_eq(r->method, "PUT");
    ck_assert_uint_eq(r->num_params, 2);
    ck_assert_int_eq(r->params[1].kind, WG_PARAM_BODY);
    ck_assert_str_eq(r->params[1].source, "a.b");
    r = wg_config_route(&cfg, "mock");
    ck_assert_int_eq(r->mock_status, 201);
    ck_assert_str_eq(r->mock_body, "hi");
    ck_assert_int_eq(cfg.authorizer.type, WG_INTEGRATION_LAMBDA);
    ck_assert_str_eq(cfg.authorizer.uri, "http://127.0.0.1:9002");
    ck_assert_str_eq(cfg.authorizer.function, "Auth"); /* no name in the target: the logical ID */
    ck_assert_uint_eq(cfg.authorizer.num_identity_sources, 2);
    ck_assert_str_eq(cfg.authorizer.identity_sources[1], "route.request.querystring.token");
    ck_assert_str_eq(cfg.account_id, "111122223333");
    ck_assert_str_eq(wg_config_stage_variable(&cfg, "v"), "1");
    wg_config_free(&cfg);
}
END_TEST

START_TEST(test_config_unmapped_functions_listed_once)
{
    const char *json = "{\"routes\":{\"$connect\":{\"function\":\"A\"},\"$default\":{\"function\":\"B\"}},"
                       "\"authorizer\":{\"function\":\"C\"}}";
    wg_config_t cfg;
    char err[1024] = "";
    ck_assert_int_eq(load(&cfg, json, NULL, err, sizeof(err)), WG_CONFIG_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "3 functions are not mapped"));
    ck_assert_ptr_nonnull(strstr(err, "A (routes.$connect)"));
    ck_assert_ptr_nonnull(strstr(err, "B (routes.$default)"));
    ck_assert_ptr_nonnull(strstr(err, "C (authorizer)"));
    ck_assert_ptr_nonnull(strstr(err, "--function NAME="));
    ck_assert_ptr_null(strchr(err, '\n'));
    wg_config_free(&cfg);
    /* Four routes naming three functions: three are counted, every route is still listed. */
    json = "{\"routes\":{\"$connect\":{\"function\":\"A\"},\"$disconnect\":{\"function\":\"A\"},"
           "\"$default\":{\"function\":\"B\"},\"x\":{\"function\":\"C\"}}}";
    ck_assert_int_eq(load(&cfg, json, NULL, err, sizeof(err)), WG_CONFIG_ERROR);
    ck_assert_msg(strstr(err, "3 functions are not mapped") != NULL, "%s", err);
    ck_assert_ptr_nonnull(strstr(err, "A (routes.$disconnect)"));
    wg_config_free(&cfg);
}
END_TEST

START_TEST(test_config_errors)
{
    const char *cases[][2] = {
        {"{\"routes\":{\"$default\":{\"integration\":\"soap\"}}}", "unknown integration 'soap'"},
        {"{\"routes\":{\"x\":{\"uri\":\"http://h/\",\"authorizationType\":\"AWS_IAM\"}}}", "only $connect"},
        {"{\"routes\":{\"x\":{\"uri\":\"http://h/\",\"apiKeyRequired\":true}}}", "only $connect"},
        {"{\"routes\":{\"$connect\":{\"uri\":\"http://h/\",\"apiKeyRequired\":true}}}", "apiKeys"},
        {"{\"routes\":{\"$connect\":{\"integration\":\"http_proxy\",\"uri\":\"http://h/\",\"requestParameters\":"
         "{\"integration.request.header.X\":\"route.request.body.a\"}}}}",
         "only on message routes"},
        {"{\"routes\":{\"m\":{\"integration\":\"http_proxy\",\"uri\":\"http://h/\",\"requestParameters\":"
         "{\"integration.request.path.X\":\"'a'\"}}}}",
         "must start with integration.request.header."},
        {"{\"routes\":{\"m\":{\"uri\":\"http://h/"
         "\",\"requestParameters\":{\"integration.request.header.X\":\"'a'\"}}}}",
         "needs \"integration\": \"http_proxy\""},
        {"{\"routes\":{\"m\":{\"integration\":\"lambda\",\"uri\":\"http://h\"}}}", "needs \"uri\""},
        {"{\"functions\":{\"F\":\"ftp://x\"}}", "functions.F"},
        {"{\"accountId\":\"12\"}", "12 digits"},
        {"{\"authorizer\":{\"uri\":\"http://h/\",\"identitySource\":[\"header.X\"]}}", "route.request.header.X"},
        {"{\"stageVariables\":{\"a\":1}}", "stageVariables.a"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wg_config_t cfg;
        char err[1024] = "";
        ck_assert_msg(load(&cfg, cases[i][0], NULL, err, sizeof(err)) == WG_CONFIG_ERROR, "case %zu accepted", i);
        ck_assert_msg(strstr(err, cases[i][1]) != NULL, "case %zu: '%s' not in '%s'", i, cases[i][1], err);
        wg_config_free(&cfg);
    }
    const char *bad_flag[] = {"--function", "X=ftp://nope", NULL};
    wg_config_t cfg;
    char err[1024] = "";
    ck_assert_int_eq(load(&cfg, "{}", bad_flag, err, sizeof(err)), WG_CONFIG_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "--function"));
    wg_config_free(&cfg);
}
END_TEST

/* The header line "Name: value" of `req` named `name`, or NULL. */
static const char *request_header(const wg_httpc_request_t *req, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < req->num_headers; i++)
        if (strncmp(req->headers[i], name, n) == 0 && req->headers[i][n] == ':')
            return req->headers[i] + n + 2;
    return NULL;
}

static void free_request(wg_httpc_request_t *req)
{
    free(req->url);
    free(req->body);
    for (size_t i = 0; i < req->num_headers; i++)
        free(req->headers[i]);
}

/* wg_integration_lambda_prepare: the Invoke URL from the endpoint (curl_url), the function name encoded, and
 * the signature over host[:port] and the path. */
static void check_lambda_url(const char *endpoint, const char *function, const char *want_url, const char *want_host,
                             const char *want_path)
{
    wg_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.region = "us-east-1";
    wg_httpc_request_t req;
    memset(&req, 0, sizeof(req));
    char *payload = strdup("{}");
    const uint64_t now_ms = 1440938160000ULL;
    ck_assert_int_eq(wg_integration_lambda_prepare(&cfg, endpoint, function, payload, 2, 3000, now_ms, &req), 0);
    ck_assert_str_eq(req.url, want_url);
    ck_assert_str_eq(req.method, "POST");
    ck_assert_ptr_eq(req.body, payload);
    /* the same signature as signing the expected Host and path directly */
    wg_sigv4_credentials_t creds = {WG_CONFIG_DUMMY_ACCESS_KEY, WG_CONFIG_DUMMY_SECRET_KEY, NULL, "us-east-1",
                                    "lambda"};
    wg_header_t host = {"Host", 4, want_host, strlen(want_host)};
    wg_sigv4_request_t sreq = {"POST", 4, want_path, strlen(want_path), "", 0, &host, 1, "{}", 2};
    wg_sigv4_signature_t sig;
    ck_assert_int_eq(wg_sigv4_sign(&sreq, &creds, now_ms, &sig), 0);
    ck_assert_ptr_nonnull(request_header(&req, "Authorization"));
    ck_assert_str_eq(request_header(&req, "Authorization"), sig.authorization);
    ck_assert_str_eq(request_header(&req, "X-Amz-Date"), "20150830T123600Z");
    free_request(&req);
}

START_TEST(test_lambda_prepare_urls)
{
    check_lambda_url("http://127.0.0.1:9001", "my-fn", "http://127.0.0.1:9001/2015-03-31/functions/my-fn/invocations",
                     "127.0.0.1:9001", "/2015-03-31/functions/my-fn/invocations");
    check_lambda_url("http://localhost:3001/", "f", "http://localhost:3001/2015-03-31/functions/f/invocations",
                     "localhost:3001", "/2015-03-31/functions/f/invocations");
    /* a base path is kept (trailing slashes dropped), query and fragment are not */
    check_lambda_url("https://proxy.test/lambda/v1//?x=1#top", "arn:aws:lambda:us-east-1:123:function:f",
                     "https://proxy.test/lambda/v1/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123%3Afunction"
                     "%3Af/invocations",
                     "proxy.test",
                     "/lambda/v1/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123%3Afunction%3Af/"
                     "invocations");
    check_lambda_url("http://[::1]:9001", "f", "http://[::1]:9001/2015-03-31/functions/f/invocations", "[::1]:9001",
                     "/2015-03-31/functions/f/invocations");
}
END_TEST

START_TEST(test_lambda_prepare_bad_endpoints)
{
    static const char *bad[] = {"localhost:9001", "127.0.0.1", "", "http://", "http://host:99999", "http://a b/"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wg_config_t cfg;
        memset(&cfg, 0, sizeof(cfg));
        cfg.region = "us-east-1";
        wg_httpc_request_t req;
        memset(&req, 0, sizeof(req));
        char *payload = strdup("{}"); /* taken even on failure (ASan checks the leak) */
        ck_assert_msg(wg_integration_lambda_prepare(&cfg, bad[i], "f", payload, 2, 3000, 0, &req) == -1,
                      "accepted '%s'", bad[i]);
        ck_assert_ptr_null(req.url);
        ck_assert_uint_eq(req.num_headers, 0);
    }
}
END_TEST

/* lambda:URL[/NAME] targets, read by curl_url: the endpoint and the function name. */
START_TEST(test_config_lambda_targets)
{
    static const struct {
        const char *target, *uri, *function; /* uri NULL: refused */
    } cases[] = {
        {"lambda:http://127.0.0.1:9000/fn", "http://127.0.0.1:9000", "fn"},
        {"lambda:http://127.0.0.1:9000/fn//", "http://127.0.0.1:9000", "fn"},
        {"lambda:http://127.0.0.1:9000/", "http://127.0.0.1:9000", "L"},
        {"lambda:https://[::1]:9000/arn%3Ax", "https://[::1]:9000", "arn%3Ax"},
        {"lambda:http://127.0.0.1:9000/a/b", NULL, NULL},
        {"lambda:http://127.0.0.1:9000/fn?x=1", NULL, NULL},
        {"lambda:http://a b:1/fn", NULL, NULL},
        {"lambda:localhost:9000", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wg_config_t cfg;
        memset(&cfg, 0, sizeof(cfg));
        char why[512] = "";
        int rc = wg_config_parse_function_target(&cfg, "L", cases[i].target, why, sizeof(why));
        if (cases[i].uri == NULL) {
            ck_assert_msg(rc == -1, "accepted %s", cases[i].target);
            ck_assert_msg(strstr(why, cases[i].target) != NULL, "%s", why);
        } else {
            ck_assert_msg(rc == 0, "%s: %s", cases[i].target, why);
            const wg_function_target_t *f = wg_config_function_target(&cfg, "L");
            ck_assert_ptr_nonnull(f);
            ck_assert_int_eq(f->type, WG_INTEGRATION_LAMBDA);
            ck_assert_str_eq(f->uri, cases[i].uri);
            ck_assert_str_eq(f->function, cases[i].function);
        }
        wg_config_free(&cfg);
    }
}
END_TEST

Suite *wg_test_suite_integrations(void)
{
    Suite *s = suite_create("integrations");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_lambda_function_error_detection);
    tcase_add_test(tc, test_lambda_prepare_urls);
    tcase_add_test(tc, test_lambda_prepare_bad_endpoints);
    tcase_add_test(tc, test_config_lambda_targets);
    tcase_add_test(tc, test_interpret_proxy_results);
    tcase_add_test(tc, test_context_values);
    tcase_add_test(tc, test_map_parameters_message);
    tcase_add_test(tc, test_map_parameters_connect);
    tcase_add_test(tc, test_config_every_integration);
    tcase_add_test(tc, test_config_unmapped_functions_listed_once);
    tcase_add_test(tc, test_config_errors);
    suite_add_tcase(s, tc);
    return s;
}
