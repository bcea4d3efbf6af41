/*
 * integration_lambda.h: calling a function through the Lambda Invoke API (integration_lambda.c), as
 * the Lambda integration (AWS_PROXY with a Lambda target) and the Lambda REQUEST authorizer both do:
 * the signed Invoke request and how its answer tells a function error. The integration's entry
 * point, wg_integration_lambda_invoke, is integration.h's like every integration type's.
 */
#ifndef WG_INTEGRATION_LAMBDA_H
#define WG_INTEGRATION_LAMBDA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "httpc.h"

/**
 * Fills `req` (zeroed by the caller) for `POST {endpoint}/2015-03-31/functions/{function}/invocations`
 * with `payload` (taken) as the body, SigV4-signed for service "lambda" in the configured region
 * with the first configured credential (or WG_CONFIG_DUMMY_ACCESS_KEY, config.h). `req->on_done`/`data` are left
 * to the caller. Returns 0, or -1 when libcurl (curl_url) cannot read `endpoint` as an http(s) URL
 * (payload freed).
 */
int wg_integration_lambda_prepare(const wg_config_t *cfg, const char *endpoint, const char *function, char *payload,
                                  size_t payload_len, uint32_t timeout_ms, uint64_t now_ms, wg_httpc_request_t *req);

/**
 * Whether an Invoke API answer is a function error: the X-Amz-Function-Error header (Lambda,
 * aws-lambda-rie) or, for emulators that omit it, a body that is a JSON object with string
 * "errorMessage" and "errorType" and no "statusCode". Non-2xx answers of the Invoke API itself
 * (404 no such function, 5xx) are errors as well.
 */
bool wg_integration_lambda_is_function_error(int http_status, const char *function_error_header, const char *body,
                                             size_t body_len);

#endif
