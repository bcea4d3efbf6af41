/*
 * mgmt_api.h: the ApiGatewayManagementApi (`@connections`): PostToConnection, GetConnection,
 * DeleteConnection, with SigV4 verification and AWS's exact errors (AWS-MGMT, AWS-SIG).
 */
#ifndef WG_MGMT_API_H
#define WG_MGMT_API_H

#include <stddef.h>

#include "errors.h"
#include "server.h"

/**
 * Handles a request on `/{stage}/@connections/{id}` (or `%40connections`). `raw_id` points into
 * req->path: the connection id as sent, still percent-encoded. Always answers the request.
 */
void wg_mgmt_api_handle(wg_server_t *server, h2o_req_t *req, const char *raw_id, size_t raw_id_len);

/** Checks `req` against the management API's authentication (--auth: none, sigv4, strict).
 * Returns 0 when the request may go on; otherwise it has been answered with AWS's 403. */
int wg_mgmt_api_authenticate(wg_server_t *server, h2o_req_t *req);

#endif
