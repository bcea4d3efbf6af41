/*
 * authorizer.c: $connect authorization (see authorizer.h).
 *
 * Without any configured authorization every handshake proceeds. API keys, IAM and Lambda REQUEST
 * authorizers are added here as the configuration grows.
 */
#include "authorizer.h"

#include <string.h>

void wg_authorize_connect(wg_server_t *server, const wg_connect_request_t *request, wg_auth_done_cb done, void *data)
{
    wg_auth_decision_t decision;
    memset(&decision, 0, sizeof(decision));
    done(data, &decision);
}
