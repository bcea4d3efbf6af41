/*
 * integration_mock.c: MOCK integrations (AWS-INT-1): no backend, a canned answer from the route's
 * "response": {"statusCode": 200, "body": "..."}.
 *
 * On $connect the statusCode decides the handshake (2xx accepts, anything else rejects with that
 * status, like a Lambda proxy statusCode). On a two-way route the body is sent back as one frame;
 * a one-way route sends nothing. AWS selects MOCK integration responses by status code with
 * templates (issue 8); a literal body is what those templates most often produce.
 */
#include <stdlib.h>
#include <string.h>

#include "integration.h"

void wg_integration_mock_invoke(wg_server_t *server, wg_integration_call_t *call, wg_integration_done_cb done,
                                void *data)
{
    const wg_route_config_t *route = call->route;
    free(call->event_json);
    call->event_json = NULL;
    wg_integration_result_t result;
    memset(&result, 0, sizeof(result));
    result.outcome = WG_OUTCOME_OK;
    result.status = route->mock_status;
    result.http_status = route->mock_status;
    if (route->mock_body != NULL) {
        /* Config strings live as long as the server: safe for the deferred completion. */
        result.body = route->mock_body;
        result.body_len = strlen(route->mock_body);
        result.raw_body = result.body;
        result.raw_body_len = result.body_len;
    }
    wg_integration_complete_later(server, &result, done, data);
}
