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

#define H2O_USE_LIBUV 0
#include <h2o.h>

struct wg_conns;

/** What the test-control API works with: borrowed from the server, which outlives every request.
 * The timers it advances are the connections' own (conns_lifecycle.c); the clock is ids.c's. */
typedef struct wg_test_control {
    int is_enabled; /* --test-control; when off every endpoint answers 404 */
    struct wg_conns *conns; /* the connections it acts on */
} wg_test_control_t;

/** Handles a request whose path starts with /_wsgate/test/; `rest` is what follows it. */
void wg_test_control_handle(const wg_test_control_t *tc, h2o_req_t *req, const char *rest, size_t rest_len);

#endif
