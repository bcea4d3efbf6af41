/*
 * integration_lambda.c: AWS_PROXY through the Lambda Invoke API, so a real handler can run in the
 * AWS Lambda Runtime Interface Emulator (aws-lambda-rie), `sam local start-lambda` or any other
 * Invoke-compatible endpoint, exactly as API Gateway calls Lambda (AWS-INT-1, AWS-INT-8..12):
 *
 *   POST {uri}/2015-03-31/functions/{function}/invocations     body: the Lambda proxy event
 *
 * signed with SigV4 for service "lambda" in the configured region (the first configured credential,
 * else a dummy key: local emulators accept any). A function error (X-Amz-Function-Error, or an
 * error document {"errorMessage", "errorType"} from emulators that omit the header) is API
 * Gateway's "Lambda function error": 502 on $connect, the Internal server error frame on messages
 * (AWS-INT-9, AWS-FRM-3). Otherwise the function's result is read as a Lambda proxy result by
 * wg_integration_interpret (statusCode, headers, body).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integration.h"
#include "clock.h"
#include "log.h"
#include "sigv4.h"

/* Percent-encodes a path segment (everything but RFC 3986 unreserved), as SDKs encode the
 * function name (an ARN's ':' becomes %3A). */
static size_t encode_segment(const char *in, char *out, size_t out_size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        int plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
                    *p == '_' || *p == '.' || *p == '~';
        if (o + 4 >= out_size)
            break;
        if (plain) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o] = '\0';
    return o;
}

int wg_lambda_prepare(const wg_config_t *cfg, const char *endpoint, const char *function, char *payload,
                      size_t payload_len, uint32_t timeout_ms, uint64_t now_ms, wg_httpc_request_t *req)
{
    const char *scheme_end = strstr(endpoint, "://");
    if (scheme_end == NULL) {
        free(payload);
        return -1;
    }
    const char *authority = scheme_end + 3;
    size_t authority_len = strcspn(authority, "/?#");
    const char *base = authority + authority_len; /* an optional base path, e.g. a proxy prefix */
    size_t base_len = strcspn(base, "?#");
    while (base_len > 0 && base[base_len - 1] == '/')
        base_len--;

    char encoded[768];
    encode_segment(function, encoded, sizeof(encoded));
    size_t path_size = base_len + strlen(encoded) + 64;
    char *path = malloc(path_size);
    if (path == NULL)
        abort();
    snprintf(path, path_size, "%.*s/2015-03-31/functions/%s/invocations", (int)base_len, base, encoded);
    size_t url_size = (size_t)(authority - endpoint) + authority_len + strlen(path) + 1;
    req->url = malloc(url_size);
    if (req->url == NULL)
        abort();
    snprintf(req->url, url_size, "%.*s%s", (int)((authority - endpoint) + authority_len), endpoint, path);
    req->method = "POST";
    req->body = payload;
    req->body_len = payload_len;
    req->timeout_ms = timeout_ms;
    wg_httpc_add_header(req, "Content-Type", H2O_STRLIT("application/json"));
    /* RequestResponse is the default; API Gateway invokes synchronously. */
    wg_httpc_add_header(req, "X-Amz-Invocation-Type", H2O_STRLIT("RequestResponse"));

    wg_sigv4_credentials_t creds = {
        cfg->num_credentials ? cfg->credentials[0].access_key_id : WG_LAMBDA_DUMMY_ACCESS_KEY,
        cfg->num_credentials ? cfg->credentials[0].secret_access_key : WG_LAMBDA_DUMMY_SECRET_KEY,
        NULL,
        cfg->region,
        "lambda",
    };
    wg_header_t host_header = {"Host", 4, authority, authority_len};
    wg_sigv4_request_t sreq = {"POST",     4, path, strlen(path), "", 0, &host_header, 1, payload ? payload : "",
                               payload_len};
    wg_sigv4_signature_t sig;
    if (wg_sigv4_sign(&sreq, &creds, now_ms, &sig) == 0) {
        wg_httpc_add_header(req, "X-Amz-Date", sig.amz_date, strlen(sig.amz_date));
        wg_httpc_add_header(req, "x-amz-content-sha256", sig.content_sha256, strlen(sig.content_sha256));
        wg_httpc_add_header(req, "Authorization", sig.authorization, strlen(sig.authorization));
    }
    free(path);
    return 0;
}

int wg_lambda_is_function_error(int http_status, const char *function_error_header, const char *body, size_t body_len)
{
    if (http_status < 200 || http_status > 299)
        return 1;
    if (function_error_header != NULL)
        return 1;
    if (body_len == 0 || body == NULL)
        return 0;
    /* Cheap pre-check before parsing: every error document has this key. */
    if (memmem(body, body_len, "\"errorMessage\"", 14) == NULL)
        return 0;
    json_t *doc = json_loadb(body, body_len, 0, NULL);
    int is_error = json_is_object(doc) && json_is_string(json_object_get(doc, "errorMessage")) &&
                   json_is_string(json_object_get(doc, "errorType")) && json_object_get(doc, "statusCode") == NULL;
    json_decref(doc);
    return is_error;
}

typedef struct lambda_call {
    wg_integration_done_cb done;
    void *data;
    char function[256];
} lambda_call_t;

static void on_invoke_done(void *data, const wg_httpc_response_t *res)
{
    lambda_call_t *call = data;
    wg_integration_result_t result;
    json_t *doc = NULL;
    memset(&result, 0, sizeof(result));
    if (!wg_integration_transport_failure(res, &result)) {
        size_t fe_len = 0;
        const char *fe = wg_httpc_response_header(res, "X-Amz-Function-Error", &fe_len);
        if (wg_lambda_is_function_error(res->status, fe, res->body, res->body_len)) {
            wg_log_warn("lambda %s: %s %d: %.*s", call->function, fe ? "function error" : "Invoke answered",
                        res->status, (int)(res->body_len > 500 ? 500 : res->body_len), res->body ? res->body : "");
            result.outcome = WG_OUTCOME_ERROR;
            result.error = fe ? "Lambda function error" : "Lambda Invoke failed";
            result.http_status = res->status;
            result.raw_body = res->body;
            result.raw_body_len = res->body_len;
        } else if (res->body_len == 4 && memcmp(res->body, "null", 4) == 0) {
            /* The handler returned nothing: no proxy result, nothing to send back [I]. */
            result.outcome = WG_OUTCOME_OK;
            result.status = result.http_status = res->status;
            result.raw_body = res->body;
            result.raw_body_len = res->body_len;
        } else {
            wg_integration_interpret(res->status, res->body, res->body_len, &result, &doc);
        }
    }
    call->done(call->data, &result);
    json_decref(doc);
    free(call);
}

void wg_integration_lambda_invoke(wg_server_t *server, wg_integration_call_t *call, wg_integration_done_cb done,
                                  void *data)
{
    const wg_route_config_t *route = call->route;
    wg_httpc_request_t req;
    memset(&req, 0, sizeof(req));
    char *payload = call->event_json;
    call->event_json = NULL;
    if (wg_lambda_prepare(server->config, route->uri, route->function, payload, call->event_len, call->timeout_ms,
                          wg_clock_now_ms(), &req) != 0) {
        wg_integration_result_t result;
        memset(&result, 0, sizeof(result));
        result.outcome = WG_OUTCOME_ERROR;
        result.error = "bad Lambda Invoke endpoint";
        wg_integration_complete_later(server, &result, done, data);
        return;
    }
    lambda_call_t *lc = malloc(sizeof(*lc));
    if (lc == NULL)
        abort();
    lc->done = done;
    lc->data = data;
    snprintf(lc->function, sizeof(lc->function), "%s", route->function);
    req.on_done = on_invoke_done;
    req.data = lc;
    wg_httpc_submit(server->httpc, &req);
}
