/*
 * server.h: the gateway as a whole: the listeners (listener.c), the HTTP path table (WebSocket API, @connections,
 * /health, wsgate's own /_wsgate endpoints) and the state every module shares.
 *
 * Like an execute-api endpoint, one port serves the WebSocket API at /{stage} and the management
 * API at /{stage}/@connections; anything without the stage is 403 {"message":"Forbidden"}
 * (AWS-MGMT-7), unless --custom-domain serves the API at the root. Everything runs on one event-loop thread;
 * backend calls run on httpc's worker thread.
 */
#ifndef WG_SERVER_H
#define WG_SERVER_H

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

typedef struct wg_server {
    wg_config_t *config; /* borrowed */
    h2o_globalconf_t globalconf;
    h2o_context_t ctx;
    h2o_evloop_t *loop;
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

/** Sets everything up and binds the listener. Returns 0, or -1 with a one-line reason in err. */
int wg_server_init(wg_server_t *server, wg_config_t *config, char *err, size_t err_size);
/** Runs the event loop until SIGTERM/SIGINT, then shuts down gracefully. Returns the exit status. */
int wg_server_run(wg_server_t *server);
void wg_server_dispose(wg_server_t *server);

#endif
