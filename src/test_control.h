/*
 * test_control.h: wsgate's test-control API under /_wsgate/test/ (NOT part of AWS; off unless
 * --test-control). It lets a service's own test suite reach the lifecycle paths that are slow or
 * hard to cause against AWS: advance the idle and maximum-duration timers, force a close with a
 * chosen code, drop a connection without a close frame, and read back what was sent to a client.
 *
 *   POST /_wsgate/test/advance                      {"seconds": N[, "connectionId": ID]}
 *   POST /_wsgate/test/connections/{id}/close       {"code": 4000, "reason": "..."}
 *   POST /_wsgate/test/connections/{id}/drop
 *   GET  /_wsgate/test/connections/{id}/messages
 */
#ifndef WG_TEST_CONTROL_H
#define WG_TEST_CONTROL_H

#include <stddef.h>

#include "server.h"

/** Handles a request whose path starts with /_wsgate/test/; `rest` is what follows it. */
void wg_test_control_handle(wg_server_t *server, h2o_req_t *req, const char *rest, size_t rest_len);

#endif
