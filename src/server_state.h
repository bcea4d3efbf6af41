/*
 * server_state.h: the state the gateway's modules share (wg_server_t): the config, the event loop,
 * the connection table, the backend client, the route selector, the recorder, the functions. server.c
 * fills it at start-up and owns every member; the modules that take a wg_server_t * borrow it.
 *
 * A header of its own, apart from server.h (start-up, the event loop and the path table), so the
 * modules server.c dispatches to can read the shared state without depending on the server itself:
 * the include graph stays acyclic (scripts/check-includes.sh). Modules that need less take a
 * narrower context of their own (mgmt_api.h, test_control.h).
 */
#ifndef WG_SERVER_STATE_H
#define WG_SERVER_STATE_H

#include <stdint.h>

#define H2O_USE_LIBUV 0
#include <h2o.h>

#include "config.h"
#include "ids.h"

typedef struct wg_httpc wg_httpc_t;
typedef struct wg_conns wg_conns_t;
typedef struct wg_route_selector wg_route_selector_t;
typedef struct wg_recorder wg_recorder_t;
typedef struct wg_functions wg_functions_t;
typedef struct wg_listeners wg_listeners_t;
typedef struct wg_timer_lists wg_timer_lists_t;

typedef struct wg_server {
    wg_config_t *config; /* borrowed */
    h2o_globalconf_t globalconf;
    h2o_context_t ctx;
    h2o_evloop_t *loop;
    wg_timer_lists_t *timers; /* timers of any delay on the loop (timer.h) */
    h2o_accept_ctx_t accept_ctx;
    wg_listeners_t *listeners; /* --host/--port and every --listen; plain and TLS (listener.c) */
    SSL_CTX *ssl_ctx; /* tls.c's, until the listeners take it; NULL with --tls off */
    int port; /* the bound port (resolved when --port 0) */
    char api_id[WG_API_ID_LEN + 1];
    char domain_name[256]; /* --domain-name resolved; "" = the Host each client used */
    wg_ids_t *ids;
    wg_httpc_t *httpc;
    wg_route_selector_t *selector;
    wg_conns_t *conns;
    wg_recorder_t *recorder; /* NULL unless --record */
    wg_functions_t *functions; /* functions run by wsgate (functions.c); NULL when there are none */
    struct wg_budget *budget; /* per-target call budgets (budget.h); made on first use */
    uint64_t started_at_ms;
    h2o_timeout_t close_timeout;
    int is_shutting_down;
    h2o_socket_t *signal_sock; /* signalfd for SIGTERM/SIGINT */
    double connect_tokens; /* --connect-rate-limit token bucket */
    uint64_t connect_tokens_at;
} wg_server_t;

#endif
