/*
 * listener.h: the listening sockets and what happens between accept() and HTTP.
 *
 * Like an execute-api endpoint, which is https only, but also like a local server, which is plain:
 * every port serves both. The first byte of each connection decides: 0x16 (a TLS handshake record,
 * the start of a ClientHello) goes through a TLS handshake (tls.c's SSL_CTX, on the event loop,
 * never blocking it), anything else straight to HTTP/1.1. Both then reach the same path table
 * (server.c). The wait for that first byte and the handshake are bounded (limits.h: slowloris), and
 * so is the number of handshakes in progress. Sockets: --host/--port plus every --listen ADDR:PORT.
 */
#ifndef WG_LISTENER_H
#define WG_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

#define H2O_USE_LIBUV 0
#include <h2o.h>

#include "config.h"

typedef struct wg_listeners wg_listeners_t;

/**
 * Opens a listening TCP socket on `host`:`port` (a number; "0" picks a free port), with
 * SO_REUSEADDR and `backlog`. Returns the fd (close-on-exec) with *bound_port filled; -1 when
 * `host` does not resolve (*gai_error gets getaddrinfo's code); -2 when socket/bind/listen failed
 * (errno says why). Shared by the gateway's listeners and `wsgate replay`'s management endpoint.
 */
int wg_listener_socket(const char *host, const char *port, int backlog, int *bound_port, int *gai_error);

/**
 * Binds --host:--port and every --listen and starts accepting on `loop`. Accepted connections go to
 * `accept_ctx` (borrowed; its ssl_ctx is not used); `ssl_ctx` (taken; NULL = --tls off) serves the
 * TLS ones. *port gets the first socket's bound port (resolved when --port 0). Returns the new set,
 * or NULL with a one-line reason in err.
 */
wg_listeners_t *wg_listeners_open(h2o_evloop_t *loop, h2o_accept_ctx_t *accept_ctx, const wg_config_t *cfg,
                                  SSL_CTX *ssl_ctx, int *port, char *err, size_t err_size);

/** How many sockets are listening, and the bound port of socket `i` (0 = --host/--port). */
size_t wg_listeners_count(const wg_listeners_t *listeners);
int wg_listeners_port(const wg_listeners_t *listeners, size_t i);

/** Is TLS served (i.e. not --tls off)? */
bool wg_listeners_has_tls(const wg_listeners_t *listeners);

/** Stops accepting, and drops connections that have not reached HTTP yet (shutdown). */
void wg_listeners_close(wg_listeners_t *listeners);

/** Closes (if still open) and frees everything, the SSL_CTX included. NULL is fine. */
void wg_listeners_free(wg_listeners_t *listeners);

#endif
