/*
 * ws.h: one WebSocket connection on an h2o socket, framed by wslay, with API Gateway's limits.
 *
 * The handshake is answered with h2o_http1_upgrade; from then on this module owns the socket and
 * the wslay context (so it can see frame headers, which h2o's own WebSocket wrapper hides). What
 * AWS does and we reproduce (AWS-LIM-1..3, AWS-LIM-10, AWS-LIM-11): a frame over 32 KB or a message over 128 KB closes
 * with 1009, a binary frame with 1003, invalid UTF-8 with 1007; pings are answered with pongs; a server close waits at
 * most WG_LIMIT_CLOSE_HANDSHAKE_MS for the client's reply.
 *
 * Lifetime: on_closed is called exactly once, from the event loop (never from inside a wg_ws_*
 * call), and the wg_ws_t is freed when it returns. No other callback follows it.
 */
#ifndef WG_WS_H
#define WG_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define H2O_USE_LIBUV 0
#include <h2o.h>

typedef struct wg_ws wg_ws_t;

/** Follows frame boundaries over the bytes a connection receives (see wg_ws_scan_frames). */
typedef struct wg_ws_scan {
    uint8_t header[14];
    size_t header_len;
    uint64_t payload_left;
    int is_failed;
} wg_ws_scan_t;

/**
 * Frame-header checks that wslay would make by failing the connection without a status code, plus
 * RFC 6455 5.5.1's close payload of one byte: a control frame over 125 bytes, fragmented or (close)
 * with a 1-byte payload; a 64-bit length with the top bit set or a length not in its shortest form.
 * Scans `len` more bytes of the stream and returns how many may be given to wslay: all of them, or,
 * once such a header is seen (`is_failed` set, sticky), those before its revealing byte. Pure:
 * any split of a stream into calls gives the same verdict (fuzz/fuzz_wsframes.c checks it).
 */
size_t wg_ws_scan_frames(wg_ws_scan_t *scan, const uint8_t *p, size_t len);

typedef struct wg_ws_close_info {
    int code; /* the code of the close (see is_server_initiated) or 1006 */
    const char *reason; /* UTF-8, not NUL-terminated */
    size_t reason_len;
    int is_server_initiated; /* we sent the first close frame (delete, timeout, limit) */
    int is_abnormal; /* no close handshake: TCP dropped, close timeout, I/O error */
} wg_ws_close_info_t;

typedef struct wg_ws_callbacks {
    /** A complete text message (reassembled, UTF-8 checked, within the limits). */
    void (*on_text)(void *data, const uint8_t *msg, size_t len);
    /** The connection is over (see the lifetime note above). */
    void (*on_closed)(void *data, const wg_ws_close_info_t *info);
    /** Optional: a ping (`is_ping`) or pong from the client, payload within 125 bytes; wslay
     * queues the pong answering a ping itself (`is_answered`: unless our close is already queued). */
    void (*on_control)(void *data, int is_ping, int is_answered, const uint8_t *payload, size_t len);
} wg_ws_callbacks_t;

typedef struct wg_ws_limits {
    size_t max_frame_bytes;
    size_t max_message_bytes;
    size_t max_queued_bytes; /* outgoing bytes beyond which wg_ws_send_text refuses */
} wg_ws_limits_t;

/**
 * Answers the handshake `req` with 101 (plus any headers already in req->res.headers, e.g.
 * Sec-WebSocket-Protocol) and takes over the socket. `client_key` is the Sec-WebSocket-Key from
 * h2o_is_websocket_handshake. `close_timeout` is the server's close-handshake timeout queue.
 * Returns the new connection; its callbacks get `data`.
 */
wg_ws_t *wg_ws_upgrade(h2o_req_t *req, const char *client_key, h2o_context_t *ctx, h2o_timeout_t *close_timeout,
                       const wg_ws_limits_t *limits, const wg_ws_callbacks_t *callbacks, void *data);

/** Result codes of wg_ws_send_text. */
#define WG_WS_SENT 0
#define WG_WS_QUEUE_FULL -1 /* the client is not reading: LimitExceededException */
#define WG_WS_CLOSING -2 /* a close is under way: the connection is gone */

/** Queues a text message (copied; fragmented into frames of at most max_frame_bytes). */
int wg_ws_send_text(wg_ws_t *ws, const void *msg, size_t len);

/** Starts a server close with `code` and `reason` (NUL-terminated). Idempotent. */
void wg_ws_close(wg_ws_t *ws, int code, const char *reason);

/** Drops the TCP connection without a close frame (test control: simulate a network loss). */
void wg_ws_abort(wg_ws_t *ws);

/** 1 once a close is under way in either direction (or the connection failed): from then on the
 * connection no longer exists for the management API, as on AWS after DeleteConnection. */
bool wg_ws_is_closing(const wg_ws_t *ws);

/** Bytes waiting to be written to the client. */
size_t wg_ws_queued_bytes(const wg_ws_t *ws);

/** The peer address as text ("127.0.0.1"), written into out. */
void wg_ws_peer_ip(h2o_req_t *req, char *out, size_t out_size);

#endif
