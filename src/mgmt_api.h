/*
 * mgmt_api.h: the ApiGatewayManagementApi (`@connections`): PostToConnection, GetConnection,
 * DeleteConnection, with SigV4 verification and AWS's exact errors (AWS-MGMT, AWS-SIG).
 */
#ifndef WG_MGMT_API_H
#define WG_MGMT_API_H

#include <stddef.h>

#define H2O_USE_LIBUV 0
#include <h2o.h>

#include "config.h"

struct wg_conns;
struct wg_recorder;

/** What the management API works with: all borrowed from the server, which outlives every request. */
typedef struct wg_mgmt_api {
    const wg_config_t *config; /* --auth, the region and the known keys */
    struct wg_conns *conns; /* the connections it posts to, reads and deletes */
    struct wg_recorder *recorder; /* --record's side effects (postToConnection); NULL when off */
} wg_mgmt_api_t;

/**
 * Handles a request on `/{stage}/@connections/{id}` (or `%40connections`). `raw_id` points into
 * req->path: the connection id as sent, still percent-encoded. Always answers the request.
 */
void wg_mgmt_api_handle(const wg_mgmt_api_t *api, h2o_req_t *req, const char *raw_id, size_t raw_id_len);

/** Checks `req` against the management API's authentication (--auth: none, sigv4, strict, with
 * `config`'s region and keys). Returns 0 when the request may go on; otherwise it has been answered
 * with AWS's 403. */
int wg_mgmt_api_authenticate(const wg_config_t *config, h2o_req_t *req);

#endif
