/*
 * server.h: the gateway as a whole: start-up and shutdown, the listeners (listener.c) and the HTTP path table
 * (WebSocket API, @connections, /health, wsgate's own /_wsgate endpoints). The state every module
 * shares is wg_server_t (server_state.h); replies are http_reply.c's.
 *
 * Like an execute-api endpoint, one port serves the WebSocket API at /{stage} and the management
 * API at /{stage}/@connections; anything without the stage is 403 {"message":"Forbidden"}
 * (AWS-MGMT-7), unless --custom-domain serves the API at the root. Everything runs on one event-loop thread;
 * backend calls run on httpc's worker thread.
 */
#ifndef WG_SERVER_H
#define WG_SERVER_H

#include "server_state.h"

/** Sets everything up and binds the listener. Returns 0, or -1 with a one-line reason in err. */
int wg_server_init(wg_server_t *server, wg_config_t *config, char *err, size_t err_size);
/** Runs the event loop until SIGTERM/SIGINT, then shuts down gracefully. Returns the exit status. */
int wg_server_run(wg_server_t *server);
void wg_server_dispose(wg_server_t *server);

#endif
