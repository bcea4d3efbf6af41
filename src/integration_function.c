/*
 * integration_function.c: AWS_PROXY to a function wsgate runs itself (functions.c), read exactly
 * as integration_lambda.c reads the Invoke API's answer: a function error (including a timeout,
 * Runtime.ExitError, an import error, throttling) is API Gateway's "Lambda function error": 502 on
 * $connect, the Internal server error frame on messages (AWS-INT-9, AWS-FRM-3); `null` is no result;
 * anything else is read as a Lambda proxy result by wg_integration_interpret.
 *
 * The route's integration timeout (29 s by default) bounds the call as it bounds a Lambda
 * integration on AWS: past it the client gets 504 / "Endpoint request timed out" while the function
 * runs on to its own Timeout, and its late answer is dropped.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "functions.h"
#include "integration.h"
#include "limits.h"
#include "log.h"
#include "timer.h"

typedef struct function_call {
    wg_integration_done_cb done;
    void *data;
    wg_timer_t timer; /* the integration timeout */
    int is_answered; /* the integration timeout fired: the function's answer is dropped */
} function_call_t;

static void on_integration_timeout(wg_timer_t *timer)
{
    function_call_t *call = H2O_STRUCT_FROM_MEMBER(function_call_t, timer, timer);
    wg_integration_result_t result;
    memset(&result, 0, sizeof(result));
    result.outcome = WG_OUTCOME_TIMEOUT;
    result.error = "function still running at the integration timeout";
    call->is_answered = 1;
    call->done(call->data, &result);
}

static void on_function_done(void *data, const wg_function_result_t *res)
{
    function_call_t *call = data;
    wg_timer_stop(&call->timer);
    if (call->is_answered) {
        free(call);
        return;
    }
    wg_integration_result_t result;
    json_t *doc = NULL;
    memset(&result, 0, sizeof(result));
    if (res->is_error) {
        result.outcome = WG_OUTCOME_ERROR;
        result.error = res->is_throttled ? "Lambda throttled (TooManyRequestsException)" : "Lambda function error";
        result.http_status = res->is_throttled ? 429 : 200;
        result.raw_body = res->body;
        result.raw_body_len = res->body_len;
    } else if (res->body_len == 0 || (res->body_len == 4 && memcmp(res->body, "null", 4) == 0)) {
        /* The handler returned nothing: no proxy result, nothing to send back [I]. */
        result.outcome = WG_OUTCOME_OK;
        result.status = result.http_status = 200;
        result.raw_body = res->body;
        result.raw_body_len = res->body_len;
    } else {
        wg_integration_interpret(200, res->body, res->body_len, &result, &doc);
    }
    call->done(call->data, &result);
    json_decref(doc);
    free(call);
}

void wg_integration_function_invoke(wg_server_t *server, wg_integration_call_t *call, wg_integration_done_cb done,
                                    void *data)
{
    char *payload = call->event_json;
    call->event_json = NULL;
    if (server->functions == NULL) {
        free(payload);
        wg_integration_fail_later(server, WG_OUTCOME_ERROR, "function not running", done, data);
        return;
    }
    function_call_t *fc = calloc(1, sizeof(*fc));
    if (fc == NULL)
        abort();
    fc->done = done;
    fc->data = data;
    if (call->timeout_ms != 0) /* the time left: the deadline runs from the event's receipt */
        wg_timer_start(server->timers, &fc->timer, call->timeout_ms, on_integration_timeout);
    wg_functions_invoke(server->functions, call->route->function, payload, call->event_len, call->connection_id,
                        call->context != NULL ? call->context->request_id : NULL, on_function_done, fc);
}
