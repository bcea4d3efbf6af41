/*
 * authorizer.c: $connect authorization (see authorizer.h; AWS-AUTH in docs/aws-behaviour.md).
 *
 * What is copied from AWS:
 * - Only $connect is authorized, once per connection; the authorizer is never called for messages
 *   or $disconnect (AWS-AUTH-1, AWS-AUTH-2). Its principalId and context become
 *   requestContext.authorizer of every later event (conns_calls.c carries authorizer_json, AWS-AUTH-14:
 *   captured for $disconnect only; in messages it is inferred).
 * - Lambda REQUEST authorizer: the input event is built by wg_event_authorizer (byte layout of
 *   the 2025 capture). A missing or empty identity source gives 401 without a call (AWS-AUTH-8); the
 *   error "Unauthorized" gives 401 (AWS-AUTH-11); Deny, or an Allow that does not cover the methodArn,
 *   gives 403 (AWS-AUTH-10) (an Allow on `.../prod/STAR/STAR` does not cover `.../prod/$connect`,
 *   powertools #5800); a crash or an invalid policy gives 500 (AWS-AUTH-12).
 * - IAM: the handshake (usually a presigned URL) is verified as execute-api SigV4 (AWS-AUTH-16); any
 *   failure is 403 [I] (inferred: AWS-AUTH-17). The key must be a configured one with --auth strict; any
 *   well-formed key is accepted otherwise (the management API's rule).
 * - API keys: x-api-key must be one of "apiKeys", else 403 [I] (inferred: AWS-AUTH-20, AWS-AUTH-21).
 *
 * Choices where AWS is not documented [I]:
 * - Authorizer timeout or unreachable authorizer: 500 (AWS: unknown, likely 500/504; AWS-AUTH-13).
 * - HTTP authorizers (the event POSTed to a URL, a wsgate convenience): 401 -> 401, 403 -> 403,
 *   other non-2xx -> 500; a 2xx body {"errorMessage": "Unauthorized"} also -> 401.
 * - Context values: strings kept, numbers and booleans stringified (as mapping templates show
 *   them, AWS-AUTH-15), null values left out, objects/arrays make the result invalid (500, the REST
 *   rule). A context key named principalId is ignored (principalId comes first, from the result).
 * - Policy "Condition" blocks are not evaluated (a statement applies as if its condition held;
 *   AWS-AUTH-22).
 * - IAM identity members (inferred: AWS-AUTH-18): accessKey = the access key id, accountId = the
 *   configured accountId, caller = user = the access key id, userArn =
 *   arn:aws:iam::{accountId}:user/{accessKeyId}. The X-Amz-* presign parameters stay in the
 *   $connect event's queryStringParameters (AWS: unknown, AWS-QS-8).
 * - The authorizer event's X-Amzn-Trace-Id is its own (AWS probably reuses the $connect Root).
 */
#include "authorizer.h"

#include <stdbool.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpc.h"
#include "clock.h"
#include "errors.h"
#include "ids.h"
#include "functions.h"
#include "integration.h"
#include "integration_http_proxy.h"
#include "integration_lambda.h"
#include "limits.h"
#include "log.h"
#include "sigv4.h"
#include "urlcodec.h"

/* ---- policy evaluation ---------------------------------------------------------------------- */

char *wg_authorizer_method_arn(const char *region, const char *account_id, const char *api_id, const char *stage)
{
    size_t n = strlen(region) + strlen(account_id) + strlen(api_id) + strlen(stage) + 64;
    char *arn = malloc(n);
    if (arn == NULL)
        abort();
    snprintf(arn, n, "arn:aws:execute-api:%s:%s:%s/%s/$connect", region, account_id, api_id, stage);
    return arn;
}

static bool chars_equal(char a, char b, int ignore_case)
{
    if (ignore_case) {
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z')
            b = (char)(b - 'A' + 'a');
    }
    return a == b;
}

int wg_authorizer_glob_match(const char *pattern, const char *value, int ignore_case)
{
    /* Iterative matching with one backtrack point (the last '*'): linear-ish, no recursion. */
    const char *p = pattern, *v = value, *star = NULL, *star_v = NULL;
    while (*v != '\0') {
        if (*p == '*') {
            star = p++;
            star_v = v;
        } else if (*p != '\0' && (*p == '?' || chars_equal(*p, *v, ignore_case))) {
            p++;
            v++;
        } else if (star != NULL) {
            p = star + 1;
            v = ++star_v;
        } else {
            return 0;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

/* Whether a string-or-list policy element matches `value`. -1 when the element is malformed. */
static int element_matches(json_t *element, const char *value, int ignore_case)
{
    if (json_is_string(element))
        return wg_authorizer_glob_match(json_string_value(element), value, ignore_case);
    if (!json_is_array(element) || json_array_size(element) == 0)
        return -1;
    size_t i;
    json_t *item;
    int any = 0;
    json_array_foreach(element, i, item) {
        if (!json_is_string(item))
            return -1;
        if (wg_authorizer_glob_match(json_string_value(item), value, ignore_case))
            any = 1;
    }
    return any;
}

/* Whether a statement applies to execute-api:Invoke on `arn`: 1, 0, or -1 when malformed. */
static int statement_applies(json_t *st, const char *arn)
{
    json_t *action = json_object_get(st, "Action"), *not_action = json_object_get(st, "NotAction");
    json_t *resource = json_object_get(st, "Resource"), *not_resource = json_object_get(st, "NotResource");
    if ((action == NULL) == (not_action == NULL) || (resource == NULL) == (not_resource == NULL))
        return -1;
    int a = element_matches(action ? action : not_action, "execute-api:Invoke", 1);
    int r = element_matches(resource ? resource : not_resource, arn, 0);
    if (a < 0 || r < 0)
        return -1;
    if (not_action != NULL)
        a = !a;
    if (not_resource != NULL)
        r = !r;
    return a && r;
}

/* Appends context values (stringified) to `out`; -1 when a value is an object or array. */
static int add_context(json_t *out, json_t *context)
{
    if (context == NULL || json_is_null(context))
        return 0;
    if (!json_is_object(context))
        return -1;
    const char *key;
    json_t *v;
    json_object_foreach(context, key, v) {
        if (strcmp(key, "principalId") == 0 || json_is_null(v))
            continue;
        if (json_is_string(v)) {
            json_object_set(out, key, v);
        } else if (json_is_true(v) || json_is_false(v)) {
            json_object_set_new(out, key, json_string(json_is_true(v) ? "true" : "false"));
        } else if (json_is_number(v)) {
            char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            if (text == NULL)
                abort();
            json_object_set_new(out, key, json_string(text));
            free(text);
        } else {
            return -1;
        }
    }
    return 0;
}

int wg_authorizer_evaluate(const char *body, size_t body_len, const char *method_arn, char **authorizer_json,
                           const char **why)
{
    *authorizer_json = NULL;
    if (body_len > WG_LIMIT_AUTHORIZER_RESULT_BYTES) {
        *why = "authorizer result over 8 KB";
        return WG_REFUSAL_AUTHORIZER_FAILED;
    }
    json_t *doc = body_len > 0 ? json_loadb(body, body_len, 0, NULL) : NULL;
    int status = WG_REFUSAL_AUTHORIZER_FAILED;
    json_t *out = NULL;
    if (!json_is_object(doc)) {
        *why = "authorizer result is not a JSON object";
        goto done;
    }
    json_t *principal = json_object_get(doc, "principalId");
    json_t *policy = json_object_get(doc, "policyDocument");
    if (!json_is_string(principal)) {
        *why = "authorizer result has no string principalId";
        goto done;
    }
    if (!json_is_object(policy)) {
        *why = "authorizer result has no policyDocument object";
        goto done;
    }
    json_t *statements = json_object_get(policy, "Statement");
    if (json_is_object(statements)) {
        json_t *list = json_array();
        json_array_append(list, statements);
        statements = list;
    } else if (json_is_array(statements)) {
        json_incref(statements);
    } else {
        *why = "policyDocument has no Statement";
        goto done;
    }
    int is_allowed = 0, is_denied = 0, is_malformed = 0;
    size_t i;
    json_t *st;
    json_array_foreach(statements, i, st) {
        json_t *effect = json_object_get(st, "Effect");
        int applies = json_is_object(st) ? statement_applies(st, method_arn) : -1;
        if (applies < 0 || !json_is_string(effect)) {
            is_malformed = 1;
            break;
        }
        if (strcmp(json_string_value(effect), "Allow") == 0) {
            is_allowed |= applies;
        } else if (strcmp(json_string_value(effect), "Deny") == 0) {
            is_denied |= applies;
        } else {
            is_malformed = 1;
            break;
        }
    }
    json_decref(statements);
    if (is_malformed) {
        *why = "policyDocument has a malformed statement";
        goto done;
    }
    out = json_object();
    json_object_set(out, "principalId", principal);
    if (add_context(out, json_object_get(doc, "context")) != 0) {
        *why = "authorizer context values must be strings, numbers or booleans";
        goto done;
    }
    if (is_denied) {
        *why = "the policy denies execute-api:Invoke on the methodArn";
        status = WG_REFUSAL_FORBIDDEN;
        goto done;
    }
    if (!is_allowed) {
        *why = "no Allow statement covers the methodArn";
        status = WG_REFUSAL_FORBIDDEN;
        goto done;
    }
    *authorizer_json = json_dumps(out, JSON_COMPACT);
    if (*authorizer_json == NULL)
        abort();
    *why = "allowed";
    status = 0;
done:
    json_decref(out);
    json_decref(doc);
    return status;
}

/* ---- identity sources ----------------------------------------------------------------------- */

static bool has_query_value(const wg_connect_request_t *request, const char *name)
{
    if (!request->has_query || request->raw_query == NULL)
        return 0;
    wg_query_t query;
    wg_urlcodec_query_parse(request->raw_query, request->raw_query_len, &query);
    int found = 0;
    for (size_t i = 0; i < query.count; i++)
        if (strcmp(query.params[i].name, name) == 0)
            found = query.params[i].value[0] != '\0'; /* the last one counts, as in the event */
    wg_urlcodec_query_free(&query);
    return found;
}

bool wg_authorizer_has_identity(const wg_config_t *cfg, const wg_connect_request_t *request, const char **missing)
{
    const wg_authorizer_config_t *a = &cfg->authorizer;
    for (size_t i = 0; i < a->num_identity_sources; i++) {
        const char *src = a->identity_sources[i];
        int ok = 0;
        if (strncmp(src, "route.request.header.", 21) == 0) {
            const wg_header_t *h = wg_headers_find(request->headers, request->num_headers, src + 21);
            ok = h != NULL && h->value_len > 0;
        } else if (strncmp(src, "route.request.querystring.", 26) == 0) {
            ok = has_query_value(request, src + 26);
        } else if (strncmp(src, "stageVariables.", 15) == 0) {
            const char *v = wg_config_stage_variable(cfg, src + 15);
            ok = v != NULL && *v != '\0';
        } else if (strncmp(src, "context.", 8) == 0 && request->context != NULL) {
            char *v = wg_integration_http_proxy_context_value(request->context, src + 8);
            ok = v != NULL && *v != '\0';
            free(v);
        }
        if (!ok) {
            *missing = src;
            return 0;
        }
    }
    return 1;
}

/* ---- the decision --------------------------------------------------------------------------- */

static bool has_valid_api_key(const wg_config_t *cfg, const wg_connect_request_t *request)
{
    const wg_header_t *h = wg_headers_find(request->headers, request->num_headers, "x-api-key");
    if (h == NULL || h->value_len == 0)
        return 0;
    int ok = 0;
    for (size_t i = 0; i < cfg->num_api_keys; i++) {
        size_t n = strlen(cfg->api_keys[i]);
        if (n == h->value_len && CRYPTO_memcmp(cfg->api_keys[i], h->value, n) == 0)
            ok = 1;
    }
    return ok;
}

static void decide(wg_auth_done_cb done, void *data, int status, const char *why, char *authorizer_json,
                   char *identity_json)
{
    wg_auth_decision_t decision = {status, why, authorizer_json, identity_json};
    done(data, &decision);
}

static const char *lookup_secret(void *ctx, const char *access_key_id)
{
    return wg_config_secret_for(ctx, access_key_id);
}

static const char *lookup_token(void *ctx, const char *access_key_id)
{
    return wg_config_session_token_for(ctx, access_key_id);
}

/* IAM: verifies the handshake's SigV4 (presigned query or headers). Returns 0 and fills
 * *identity_json, or 403. */
static int check_iam(wg_server_t *server, const wg_connect_request_t *request, char **identity_json, const char **why)
{
    const wg_config_t *cfg = server->config;
    wg_sigv4_request_t sreq = {
        request->method,
        request->method_len,
        request->raw_path,
        request->raw_path_len,
        request->has_query && request->raw_query ? request->raw_query : "",
        request->has_query ? request->raw_query_len : 0,
        request->headers,
        request->num_headers,
        "",
        0,
    };
    wg_sigv4_result_t result;
    /* strict: refuse what AWS refuses (another region, a token nobody issued, a body that is not
     * the one signed); sigv4: any well-formed, current signature */
    int is_strict = cfg->auth == WG_AUTH_STRICT;
    wg_sigv4_policy_t policy = {is_strict, is_strict ? cfg->region : NULL, is_strict ? lookup_token : NULL, is_strict};
    wg_sigv4_status_t status =
        wg_sigv4_verify_policy(&sreq, "execute-api", wg_clock_now_ms(), lookup_secret, (void *)cfg, &policy, &result);
    if (status != WG_SIGV4_OK) {
        wg_log_info("$connect IAM: %s", result.message ? result.message : "signature rejected");
        wg_sigv4_result_clear(&result);
        *why = "IAM signature rejected";
        return WG_REFUSAL_FORBIDDEN;
    }
    json_t *id = json_object();
    char user_arn[256];
    snprintf(user_arn, sizeof(user_arn), "arn:aws:iam::%s:user/%s", cfg->account_id, result.access_key_id);
    json_object_set_new(id, "accessKey", json_string(result.access_key_id));
    json_object_set_new(id, "accountId", json_string(cfg->account_id));
    json_object_set_new(id, "caller", json_string(result.access_key_id));
    json_object_set_new(id, "user", json_string(result.access_key_id));
    json_object_set_new(id, "userArn", json_string(user_arn));
    *identity_json = json_dumps(id, JSON_COMPACT);
    json_decref(id);
    if (*identity_json == NULL)
        abort();
    wg_sigv4_result_clear(&result);
    return 0;
}

typedef struct authorizer_call {
    wg_auth_done_cb done;
    void *data;
    int is_lambda;
    int is_api_key_ok;
    char *method_arn;
} authorizer_call_t;

/* An "Unauthorized" error document: {"errorMessage": "Unauthorized", ...}. */
static bool is_unauthorized_error(const char *body, size_t body_len)
{
    if (body == NULL || memmem(body, body_len, "Unauthorized", 12) == NULL)
        return 0;
    json_t *doc = json_loadb(body, body_len, 0, NULL);
    json_t *m = json_object_get(doc, "errorMessage");
    int is = json_is_string(m) && strcmp(json_string_value(m), "Unauthorized") == 0;
    json_decref(doc);
    return is;
}

static void on_authorizer_done(void *data, const wg_httpc_response_t *res)
{
    authorizer_call_t *call = data;
    int status = WG_REFUSAL_AUTHORIZER_FAILED;
    const char *why = "authorizer failed";
    char *authorizer_json = NULL;
    if (res->is_timeout) {
        why = "authorizer timed out";
    } else if (res->is_transport_error) {
        why = "authorizer unreachable";
    } else if (is_unauthorized_error(res->body, res->body_len)) {
        status = WG_REFUSAL_UNAUTHORIZED;
        why = "authorizer answered Unauthorized";
    } else if (call->is_lambda) {
        size_t fe_len;
        const char *fe = wg_httpc_response_header(res, "X-Amz-Function-Error", &fe_len);
        if (wg_integration_lambda_is_function_error(res->status, fe, res->body, res->body_len))
            why = "authorizer function error";
        else
            status = wg_authorizer_evaluate(res->body, res->body_len, call->method_arn, &authorizer_json, &why);
    } else if (res->status == 401 || res->status == 403) {
        status = res->status;
        why = res->status == 401 ? "authorizer answered 401" : "authorizer answered 403";
    } else if (res->status < 200 || res->status > 299) {
        why = "authorizer answered an error status";
    } else {
        status = wg_authorizer_evaluate(res->body, res->body_len, call->method_arn, &authorizer_json, &why);
    }
    if (status == 0 && !call->is_api_key_ok) {
        status = WG_REFUSAL_FORBIDDEN;
        why = "missing or unknown API key";
        free(authorizer_json);
        authorizer_json = NULL;
    }
    if (status != 0)
        wg_log_info("$connect authorizer: %d (%s)%s%.*s", status, why,
                    status == WG_REFUSAL_AUTHORIZER_FAILED && res->body_len ? ": " : "",
                    status == WG_REFUSAL_AUTHORIZER_FAILED ? (int)(res->body_len > 300 ? 300 : res->body_len) : 0,
                    res->body ? res->body : "");
    else if (wg_log_is_verbose())
        wg_log_debug("$connect authorizer allowed: %s", authorizer_json);
    decide(call->done, call->data, status, why, authorizer_json, NULL);
    free(call->method_arn);
    free(call);
}

/* A function run by wsgate answered: read it as the Invoke API's answer would be read. */
static void on_authorizer_function_done(void *data, const wg_function_result_t *result)
{
    static const char error_header[] = "X-Amz-Function-Error: Unhandled\r\n";
    wg_httpc_response_t res = {0,
                               0,
                               NULL,
                               result->is_throttled ? 429 : 200,
                               result->body,
                               result->body_len,
                               result->is_error ? error_header : NULL,
                               result->is_error ? sizeof(error_header) - 1 : 0};
    on_authorizer_done(data, &res);
}

static char *stage_variables_json(const wg_config_t *cfg)
{
    json_t *vars = json_object();
    for (size_t i = 0; i < cfg->num_stage_variables; i++)
        json_object_set_new(vars, cfg->stage_variables[i].key, json_string(cfg->stage_variables[i].value));
    char *text = json_dumps(vars, JSON_COMPACT);
    json_decref(vars);
    if (text == NULL)
        abort();
    return text;
}

static void call_authorizer(wg_server_t *server, const wg_connect_request_t *request, int is_api_key_ok,
                            wg_auth_done_cb done, void *data)
{
    const wg_config_t *cfg = server->config;
    const wg_authorizer_config_t *a = &cfg->authorizer;
    authorizer_call_t *call = calloc(1, sizeof(*call));
    if (call == NULL)
        abort();
    call->done = done;
    call->data = data;
    call->is_lambda = a->type == WG_INTEGRATION_LAMBDA;
    call->is_api_key_ok = is_api_key_ok;
    call->method_arn = wg_authorizer_method_arn(cfg->region, cfg->account_id, server->api_id, cfg->stage);

    wg_event_forwarding_t fwd = {request->trace_id, "443", "https"};
    char *vars = stage_variables_json(cfg);
    size_t len;
    char *event = wg_event_authorizer(request->context, call->method_arn, request->headers, request->num_headers,
                                      request->has_query, request->raw_query, request->raw_query_len, vars, &fwd, &len);
    free(vars);
    /* The event carries the client's credentials (Authorization, tokens in the query): its
     * content is never logged, only that it was sent. */
    if (wg_log_is_verbose())
        wg_log_debug("authorizer event for %s: %zu bytes to %s", request->context->connection_id, len, a->uri);

    if (a->type == WG_INTEGRATION_FUNCTION) {
        /* run by wsgate: its answer is read as an Invoke API answer (functions.c) */
        call->is_lambda = 1;
        if (server->functions == NULL) {
            free(event);
            wg_httpc_response_t res = {1, 0, "function not running", 0, NULL, 0, NULL, 0};
            on_authorizer_done(call, &res);
            return;
        }
        wg_functions_invoke(server->functions, a->function, event, len, request->context->connection_id,
                            request->context->request_id, on_authorizer_function_done, call);
        return;
    }
    uint32_t timeout = a->timeout_ms ? a->timeout_ms : cfg->integration_timeout_ms;
    wg_httpc_request_t req;
    memset(&req, 0, sizeof(req));
    if (call->is_lambda) {
        /* the config only checked the endpoint's http(s):// prefix: libcurl may still refuse it */
        if (wg_integration_lambda_prepare(cfg, a->uri, a->function, event, len, timeout, wg_clock_now_ms(), &req) !=
            0) {
            wg_httpc_response_t res = {1, 0, "bad Lambda Invoke endpoint", 0, NULL, 0, NULL, 0};
            on_authorizer_done(call, &res);
            return;
        }
    } else {
        req.method = "POST";
        req.url = strdup(a->uri);
        if (req.url == NULL)
            abort();
        req.body = event;
        req.body_len = len;
        req.timeout_ms = timeout;
        wg_httpc_add_header(&req, "Content-Type", H2O_STRLIT("application/json"));
    }
    req.on_done = on_authorizer_done;
    req.data = call;
    /* the authorizer is a target of its own: a stuck authorizer holds only its own budget */
    wg_integration_submit_http(server, "authorizer", &req);
}

void wg_authorizer_connect(wg_server_t *server, const wg_connect_request_t *request, wg_auth_done_cb done, void *data)
{
    const wg_config_t *cfg = server->config;
    int is_api_key_ok = !cfg->is_connect_api_key_required || has_valid_api_key(cfg, request);
    const char *why = NULL;
    switch (cfg->connect_authorization) {
    case WG_AUTHORIZATION_NONE: break;
    case WG_AUTHORIZATION_AWS_IAM: {
        char *identity_json = NULL;
        int status = check_iam(server, request, &identity_json, &why);
        if (status != 0) {
            decide(done, data, status, why, NULL, NULL);
            return;
        }
        if (!is_api_key_ok) {
            free(identity_json);
            decide(done, data, WG_REFUSAL_FORBIDDEN, "missing or unknown API key", NULL, NULL);
            return;
        }
        decide(done, data, 0, NULL, NULL, identity_json);
        return;
    }
    case WG_AUTHORIZATION_CUSTOM: {
        const char *missing = NULL;
        if (!wg_authorizer_has_identity(cfg, request, &missing)) {
            wg_log_info("$connect: identity source %s missing or empty: 401 without calling the authorizer", missing);
            decide(done, data, WG_REFUSAL_UNAUTHORIZED, "identity source missing", NULL, NULL);
            return;
        }
        call_authorizer(server, request, is_api_key_ok, done, data);
        return;
    }
    }
    if (!is_api_key_ok) {
        decide(done, data, WG_REFUSAL_FORBIDDEN, "missing or unknown API key", NULL, NULL);
        return;
    }
    decide(done, data, 0, NULL, NULL, NULL);
}
