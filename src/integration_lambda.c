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
#include "integration_lambda.h"

#include <stdbool.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integration.h"

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "sigv4.h"
#include "urlcodec.h"

/* The endpoint's URL handle and the Host header value (host[:port], as libcurl sends it), or -1
 * when libcurl cannot read `endpoint` as an absolute http(s) URL. */
static int parse_endpoint(const char *endpoint, CURLU **url_out, char **authority_out)
{
    CURLU *url = curl_url();
    char *host = NULL, *port = NULL;
    if (url == NULL)
        abort();
    /* PATH_AS_IS: a base path (e.g. a proxy prefix) is kept as written, as it was signed */
    if (curl_url_set(url, CURLUPART_URL, endpoint, CURLU_PATH_AS_IS) != CURLUE_OK ||
        curl_url_get(url, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        goto fail;
    CURLUcode rc = curl_url_get(url, CURLUPART_PORT, &port, 0); /* only a port written in the URL */
    if (rc != CURLUE_OK && rc != CURLUE_NO_PORT)
        goto fail;
    wg_buf_t authority = WG_BUF_INIT;
    wg_buf_append_str(&authority, host);
    if (port != NULL)
        wg_buf_appendf(&authority, ":%s", port);
    curl_free(host);
    curl_free(port);
    *url_out = url;
    *authority_out = wg_buf_take(&authority, NULL);
    return 0;
fail:
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(url);
    return -1;
}

int wg_integration_lambda_prepare(const wg_config_t *cfg, const char *endpoint, const char *function, char *payload,
                                  size_t payload_len, uint32_t timeout_ms, uint64_t now_ms, wg_httpc_request_t *req)
{
    CURLU *url;
    char *authority, *base = NULL;
    if (parse_endpoint(endpoint, &url, &authority) != 0) {
        free(payload);
        return -1;
    }
    /* {base path}/2015-03-31/functions/{function}/invocations, the function name percent-encoded as
     * SDKs encode it (an ARN's ':' becomes %3A); the endpoint's query and fragment are dropped. */
    size_t base_len = 0;
    if (curl_url_get(url, CURLUPART_PATH, &base, 0) == CURLUE_OK) {
        base_len = strlen(base);
        while (base_len > 0 && base[base_len - 1] == '/')
            base_len--;
    }
    wg_buf_t path = WG_BUF_INIT;
    wg_buf_append(&path, base != NULL ? base : "", base_len);
    curl_free(base);
    wg_buf_append_str(&path, "/2015-03-31/functions/");
    wg_urlcodec_encode(&path, function, strlen(function), 0);
    wg_buf_append_str(&path, "/invocations");
    /* scheme://authority/ from libcurl, then the path as signed: libcurl rewrites escapes in a path
     * it is given (%3A becomes %3a), and the URL must carry the bytes the signature covers. */
    char *origin = NULL;
    if (curl_url_set(url, CURLUPART_PATH, "/", 0) != CURLUE_OK ||
        curl_url_set(url, CURLUPART_QUERY, NULL, 0) != CURLUE_OK ||
        curl_url_set(url, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK ||
        curl_url_get(url, CURLUPART_URL, &origin, 0) != CURLUE_OK) {
        curl_url_cleanup(url);
        free(authority);
        wg_buf_free(&path);
        free(payload);
        return -1;
    }
    curl_url_cleanup(url);
    wg_buf_t full = WG_BUF_INIT;
    size_t origin_len = strlen(origin);
    if (origin_len > 0 && origin[origin_len - 1] == '/')
        origin_len--;
    wg_buf_append(&full, origin, origin_len);
    wg_buf_append(&full, path.data, path.len);
    curl_free(origin);
    req->url = wg_buf_take(&full, NULL);
    req->method = "POST";
    req->body = payload;
    req->body_len = payload_len;
    req->timeout_ms = timeout_ms;
    wg_httpc_add_header(req, "Content-Type", H2O_STRLIT("application/json"));
    /* RequestResponse is the default; API Gateway invokes synchronously. */
    wg_httpc_add_header(req, "X-Amz-Invocation-Type", H2O_STRLIT("RequestResponse"));

    wg_sigv4_credentials_t creds = {
        cfg->num_credentials ? cfg->credentials[0].access_key_id : WG_CONFIG_DUMMY_ACCESS_KEY,
        cfg->num_credentials ? cfg->credentials[0].secret_access_key : WG_CONFIG_DUMMY_SECRET_KEY,
        NULL,
        cfg->region,
        "lambda",
    };
    wg_header_t host_header = {"Host", 4, authority, strlen(authority)};
    wg_sigv4_request_t sreq = {"POST",     4, path.data, path.len, "", 0, &host_header, 1, payload ? payload : "",
                               payload_len};
    wg_sigv4_signature_t sig;
    if (wg_sigv4_sign(&sreq, &creds, now_ms, &sig) == 0) {
        wg_httpc_add_header(req, "X-Amz-Date", sig.amz_date, strlen(sig.amz_date));
        wg_httpc_add_header(req, "x-amz-content-sha256", sig.content_sha256, strlen(sig.content_sha256));
        wg_httpc_add_header(req, "Authorization", sig.authorization, strlen(sig.authorization));
    }
    wg_buf_free(&path);
    free(authority);
    return 0;
}

bool wg_integration_lambda_is_function_error(int http_status, const char *function_error_header, const char *body,
                                             size_t body_len)
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
        if (wg_integration_lambda_is_function_error(res->status, fe, res->body, res->body_len)) {
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
    if (wg_integration_lambda_prepare(server->config, route->uri, route->function, payload, call->event_len,
                                      call->timeout_ms, wg_clock_now_ms(), &req) != 0) {
        wg_integration_fail_later(server, WG_OUTCOME_ERROR, "bad Lambda Invoke endpoint", done, data);
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
