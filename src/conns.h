/*
 * conns.h: the connection registry and each connection's life, as API Gateway runs it
 * (AWS-LIFE-1..13, AWS-INT-7..14, AWS-RT-3..5, AWS-FRM-1..5, AWS-LIM-4, AWS-LIM-5):
 *
 *   handshake -> [$connect integration] -> 101 or the integration's status (no socket)
 *   OPEN: text message -> route selection -> integration -> (two-way reply | error frame)
 *   close (client, DeleteConnection, idle/hard timeout, limit, TCP loss) -> $disconnect event
 *
 * A connection exists for the management API only while OPEN (a connection still in $connect is
 * 410, AWS-LIFE-3). A connection is freed in exactly one place, when its last reference goes: the
 * socket holds one, each in-flight backend call holds one.
 *
 * Implemented in conns_registry.c (the table, references, accessors), conns_handshake.c
 * ($connect, authorizer hand-off, upgrade), conns_lifecycle.c (messages, sends, closes, timers,
 * $disconnect) and conns_calls.c (events to the integrations); conns_internal.h is what they share.
 */
#ifndef WG_CONNS_H
#define WG_CONNS_H

#include <stddef.h>
#include <stdint.h>

#include "server_state.h"

typedef struct wg_conn wg_conn_t;

wg_conns_t *wg_conns_new(wg_server_t *server);
void wg_conns_free(wg_conns_t *conns);

/** Takes a WebSocket handshake on the API path (query kept in req->path). Always answers it,
 * now or after $connect. */
void wg_conns_handshake(wg_conns_t *conns, h2o_req_t *req, const char *client_key);

/** The OPEN connection with this id, or NULL. */
wg_conn_t *wg_conns_find_open(wg_conns_t *conns, const char *id);
/** Number of OPEN connections. */
size_t wg_conns_count_open(const wg_conns_t *conns);
/** Calls fn for each OPEN connection (fn must not close connections). */
void wg_conns_foreach_open(wg_conns_t *conns, void (*fn)(wg_conn_t *conn, void *arg), void *arg);
/** Connections not yet freed (any state), and backend calls in flight: for graceful shutdown. */
size_t wg_conns_count_alive(const wg_conns_t *conns);

/** Starts closing every connection with `code`/`reason` (shutdown: 1001 "Going away"). */
void wg_conns_close_all(wg_conns_t *conns, int code, const char *reason);

/* Management API operations on an OPEN connection. */
#define WG_POST_OK 0
#define WG_POST_GONE -1
#define WG_POST_LIMIT -2
/** PostToConnection: one text message. */
int wg_conn_post(wg_conn_t *conn, const void *data, size_t len);
/** DeleteConnection: close 1000; $disconnect gets 1000 "Connection Closed Normally" (AWS-LIFE-10). */
void wg_conn_delete(wg_conn_t *conn);

/* Test control (not part of AWS; only with --test-control). */
/** Closes with `code` and `reason`; $disconnect reports the same code and reason. */
void wg_conn_force_close(wg_conn_t *conn, int code, const char *reason);
/** Drops the TCP connection without a close frame (a network loss): $disconnect gets 1006. */
void wg_conn_drop(wg_conn_t *conn);
/** Moves the idle and maximum-duration timers `ms` closer to firing (fires them when due). */
void wg_conn_advance_timers(wg_conn_t *conn, uint64_t ms);

/** The inspector's "send as this client": `msg` (UTF-8, within the message limit; checked by the
 * caller) is routed exactly as if the client had sent it. */
void wg_conn_inject_text(wg_conn_t *conn, const void *msg, size_t len);

/** What was sent to a connection, kept only with --test-control (newest last). */
typedef struct wg_conn_sent {
    struct wg_conn_sent *next;
    uint64_t at_ms;
    const char *source; /* "postToConnection", "routeResponse" or "errorFrame" (static) */
    size_t len;
    char data[]; /* len bytes */
} wg_conn_sent_t;
/** The oldest kept message, or NULL. */
const wg_conn_sent_t *wg_conn_sent_messages(const wg_conn_t *conn);

const char *wg_conn_id(const wg_conn_t *conn);
uint64_t wg_conn_connected_at(const wg_conn_t *conn);
uint64_t wg_conn_last_active_at(const wg_conn_t *conn);
const char *wg_conn_source_ip(const wg_conn_t *conn);
const char *wg_conn_user_agent(const wg_conn_t *conn); /* NULL when none was sent */

#endif
