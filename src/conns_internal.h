/*
 * conns_internal.h: what only the conns_*.c files share: the connection and registry structures,
 * a backend call in flight, and the helpers one part of a connection's life calls in another.
 * Other modules use conns.h.
 */
#ifndef WG_CONNS_INTERNAL_H
#define WG_CONNS_INTERNAL_H

#include "conns.h"

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "events.h"
#include "headers.h"
#include "integration.h"
#include "ws.h"

typedef enum conn_state {
    CONN_CONNECTING, /* $connect in progress: invisible to the management API */
    CONN_OPEN,
    CONN_CLOSED,
} conn_state_t;

struct wg_conn {
    wg_conns_t *conns;
    wg_conn_t *hash_next;
    char id[WG_ID_LEN + 1];
    conn_state_t state;
    unsigned refs;
    wg_ws_t *ws;
    h2o_req_t *handshake_req; /* while CONNECTING; cleared when h2o frees the request */
    wg_conn_t **handshake_slot; /* the request-pool slot that points back at us */
    char client_key[25];
    wg_header_t *handshake_headers; /* point into handshake_req: valid while it is */
    size_t num_handshake_headers;
    char handshake_request_id[WG_ID_LEN + 1];
    char handshake_trace_id[WG_TRACE_ID_LEN + 1];
    uint64_t handshake_time;
    char *authorizer_json; /* requestContext.authorizer for every event, from the authorizer */
    char *identity_json; /* extra identity members (IAM), from the authorizer */
    uint64_t connected_at;
    uint64_t last_active_at;
    char source_ip[64];
    char *user_agent;
    char *host;
    h2o_timeout_entry_t idle_timer;
    h2o_timeout_entry_t hard_timer;
    /* --test-control: what was sent to the client, oldest first, capped */
    wg_conn_sent_t *sent_head, *sent_tail;
    size_t sent_count, sent_bytes;
    /* message calls not answered yet (waiting for a slot or in flight), and their event bytes:
     * capped by WG_LIMIT_CONN_CALLS / WG_LIMIT_CONN_CALL_BYTES */
    size_t num_calls, call_bytes;
    size_t num_throttled; /* messages answered "Too Many Requests" */
    /* set when we close: what $disconnect reports */
    int has_close_override;
    int close_code;
    char close_reason[124]; /* a close reason is at most 123 bytes (RFC 6455 5.5) */
};

struct wg_conns {
    wg_server_t *server;
    wg_conn_t **buckets;
    size_t num_buckets;
    size_t num_registered; /* CONNECTING + OPEN */
    size_t num_open;
    size_t num_alive; /* allocated, any state */
    size_t alive_high_water; /* most alive since the heap was last trimmed */
    int needs_final_trim; /* a mass-close trim happened; trim again once none is left */
    h2o_timeout_t idle_timeout;
    h2o_timeout_t hard_timeout;
    /* throttled messages are logged at most once a second, with a count (a flood must not flood
     * the log) */
    uint64_t throttle_logged_at;
    size_t throttled_unlogged;
    size_t num_recorded; /* --record: events recorded so far (WG_LIMIT_RECORD_FILES at most) */
    int is_iterating; /* walking the buckets: they must not be resized */
};

typedef struct conn_call {
    wg_conn_t *conn;
    const wg_route_config_t *route;
    size_t message_bytes; /* a message call: what it counts against the connection's cap */
    char request_id[WG_ID_LEN + 1];
    char *recorded_event; /* a copy of the event, only with --record */
    size_t recorded_event_len;
    unsigned recorded_seq;
} conn_call_t;

/* ---- conns_registry.c: the connection table and reference counts ---------------------------- */

/** The registered (CONNECTING or OPEN) connection with this id, or NULL. */
wg_conn_t *wg_conns_registry_find(wg_conns_t *conns, const char *id);
void wg_conns_registry_add(wg_conns_t *conns, wg_conn_t *conn);
void wg_conn_retain(wg_conn_t *conn);
/** Drops a reference; the last one frees the connection. */
void wg_conn_release(wg_conn_t *conn);
/** Leaves OPEN/CONNECTING for good: unregistered, timers stopped. */
void wg_conn_detach(wg_conn_t *conn);

/* ---- conns_calls.c: events to the integrations ---------------------------------------------- */

void wg_conn_fill_context(wg_conn_t *conn, wg_event_context_t *ctx, const char *route_key, const char *request_id,
                          uint64_t now);
/** A call for `route` holding a reference to `conn` (released by the call's done callback). */
conn_call_t *wg_conn_new_call(wg_conn_t *conn, const wg_route_config_t *route, const char *request_id);
/** The inspector's and --record's copy of the answer; frees the recorded event. */
void wg_conn_record_call(conn_call_t *call, const wg_integration_result_t *result);
/** Sends `event` (taken) to `route`'s integration; `done` gets `call`. */
void wg_conn_invoke(wg_conn_t *conn, const wg_route_config_t *route, char *event, size_t event_len, conn_call_t *call,
                    wg_integration_done_cb done, wg_integration_call_t *ic_in);

/* ---- conns_lifecycle.c: the OPEN connection, its timers and its end ------------------------- */

/** wslay's callbacks: a client text message, and the socket closed (sends $disconnect). */
void wg_conn_on_text(void *data, const uint8_t *msg, size_t len);
void wg_conn_on_closed(void *data, const wg_ws_close_info_t *info);
/* A ping or pong from the client: only the inspector records it (wslay answers pings). */
void wg_conn_on_control(void *data, int is_ping, int is_answered, const uint8_t *payload, size_t len);
void wg_conn_on_idle_timeout(h2o_timeout_entry_t *entry);
void wg_conn_on_hard_timeout(h2o_timeout_entry_t *entry);
/** Starts a server-side close: the client gets ws_code/ws_reason, $disconnect the other two. */
void wg_conn_server_close(wg_conn_t *conn, int ws_code, const char *ws_reason, int disconnect_code,
                          const char *disconnect_reason);

#endif
