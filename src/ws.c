/*
 * ws.c: WebSocket connections on h2o sockets, framed by wslay (see ws.h).
 *
 * Data flow: h2o reads into sock->input; on_read hands it to wslay_event_recv through
 * recv_callback; complete messages arrive in on_msg_recv. Outgoing frames go through wslay's queue;
 * send_callback gathers them into `out`, written with one h2o_socket_write at a time. Nothing here
 * frees the connection inside a callback: finish() closes the socket and defers on_closed to the
 * loop's zero timeout (Redis's deferred free).
 */
#include "ws.h"

#include <stdbool.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <wslay/wslay.h>

#include <h2o/http1.h>

#include "buf.h"
#include "limits.h"
#include "log.h"
#include "utf8.h"

struct wg_ws {
    h2o_socket_t *sock;
    h2o_context_t *ctx;
    wslay_event_context_ptr wslay;
    wg_ws_callbacks_t callbacks;
    void *data;
    wg_ws_limits_t limits;
    h2o_timeout_t *close_timeout;
    h2o_timeout_entry_t close_timer; /* server close waiting for the client's reply */
    h2o_timeout_entry_t deferred; /* runs on_closed from the loop */
    h2o_timeout_entry_t quiet_timer; /* frees the wslay context of a connection gone quiet */
    uint64_t last_activity; /* loop time of the last read or send */
    /* outgoing bytes gathered from wslay, and the ones being written */
    wg_buf_t out; /* stops taking frames at WG_LIMIT_WS_FLUSH_BYTES */
    char *writing;
    size_t writing_len;
    size_t fragmented_pending; /* bytes of queued fragmented messages not yet framed */
    int is_in_recv;
    int is_finished;
    int is_draining; /* wslay failed the connection: discard input until the client closes */
    /* frame boundaries of the bytes given to wslay (see wg_ws_scan_frames) */
    wg_ws_scan_t scan;
    /* a limit broken while parsing: close with this code after wslay_event_recv returns */
    int fail_code;
    const char *fail_reason;
    int current_opcode; /* opcode of the message being received (for continuation frames) */
    int is_in_message; /* a data frame without FIN was received: the message is incomplete */
    /* the close that ends the connection */
    int close_code;
    char close_reason[124];
    size_t close_reason_len;
    int is_server_initiated;
    int is_abnormal;
};

static void flush(wg_ws_t *ws);
static void finish(wg_ws_t *ws, int is_abnormal);
static void set_failure(wg_ws_t *ws, int code, const char *reason);

/* ---- wslay callbacks ------------------------------------------------------------------------ */

/* Frame-header checks that wslay's frame layer makes by failing the connection WITHOUT a status
 * code (wslay_event_recv queues an empty close and returns WSLAY_ERR_CALLBACK_FAILURE): a control
 * frame over 125 bytes or fragmented (RFC 6455 5.5), a 64-bit length with the top bit set or any
 * length not in its shortest form (5.2). Following frame boundaries over the bytes we give wslay,
 * we stop just before the byte that would reveal such a header, so the connection fails with 1002
 * like wslay's other protocol errors. A close frame whose payload is one byte (no room for a status
 * code, 5.5.1) fails the same way: wslay would take it as a close without a code (1005). */
size_t wg_ws_scan_frames(wg_ws_scan_t *scan, const uint8_t *p, size_t len)
{
    if (scan->is_failed)
        return 0;
    size_t i = 0;
    while (i < len) {
        if (scan->payload_left > 0) {
            uint64_t n = len - i < scan->payload_left ? len - i : scan->payload_left;
            scan->payload_left -= n;
            i += (size_t)n;
            continue;
        }
        uint8_t *h = scan->header;
        h[scan->header_len++] = p[i];
        size_t len7 = scan->header_len >= 2 ? (h[1] & 0x7F) : 0;
        size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
        size_t total = 2 + ext + ((scan->header_len >= 2 && (h[1] & 0x80)) ? 4 : 0);
        if (scan->header_len == 2 && (h[0] & 0x08) &&
            (len7 > 125 || !(h[0] & 0x80) || ((h[0] & 0x0F) == 0x8 && len7 == 1))) {
            scan->is_failed = 1;
            scan->header_len = 0;
            return i;
        }
        if (ext > 0 && scan->header_len == 2 + ext) {
            uint64_t n = 0;
            for (size_t k = 0; k < ext; k++)
                n = (n << 8) | h[2 + k];
            if ((ext == 2 && n < 126) || (ext == 8 && (n < 65536 || (n >> 63) != 0))) {
                scan->is_failed = 1;
                scan->header_len = 0;
                return i;
            }
        }
        i++;
        if (scan->header_len >= 2 && scan->header_len == total) {
            uint64_t n = len7;
            if (ext > 0) {
                n = 0;
                for (size_t k = 0; k < ext; k++)
                    n = (n << 8) | h[2 + k];
            }
            scan->payload_left = n;
            scan->header_len = 0;
        }
    }
    return len;
}

static ssize_t recv_callback(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *user_data)
{
    wg_ws_t *ws = user_data;
    h2o_buffer_t *input = ws->sock->input;
    size_t n = input->size < len ? input->size : len;
    n = wg_ws_scan_frames(&ws->scan, (const uint8_t *)input->bytes, n);
    if (ws->scan.is_failed) {
        set_failure(ws, 1002, "");
        /* like wslay's own protocol errors: no more reading, close once our close frame is out */
        wslay_event_shutdown_read(ctx);
    }
    if (n == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    memcpy(buf, input->bytes, n);
    h2o_buffer_consume(&ws->sock->input, n);
    return (ssize_t)n;
}

static ssize_t send_callback(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags, void *user_data)
{
    wg_ws_t *ws = user_data;
    if (ws->out.len >= WG_LIMIT_WS_FLUSH_BYTES) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    if (ws->out.cap == 0)
        wg_buf_reserve(&ws->out, 4096 - 1); /* one 4 KB block (with buf.h's NUL) for a batch of small frames */
    wg_buf_append(&ws->out, data, len);
    return (ssize_t)len;
}

static int genmask_callback(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user_data)
{
    memset(buf, 0, len); /* servers never mask */
    return 0;
}

static void set_failure(wg_ws_t *ws, int code, const char *reason)
{
    if (ws->fail_code == 0) {
        ws->fail_code = code;
        ws->fail_reason = reason;
    }
}

static void on_frame_recv_start(wslay_event_context_ptr ctx, const struct wslay_event_on_frame_recv_start_arg *arg,
                                void *user_data)
{
    wg_ws_t *ws = user_data;
    if (arg->opcode == WSLAY_TEXT_FRAME || arg->opcode == WSLAY_BINARY_FRAME)
        ws->current_opcode = arg->opcode;
    int is_data =
        arg->opcode == WSLAY_TEXT_FRAME || arg->opcode == WSLAY_BINARY_FRAME || arg->opcode == WSLAY_CONTINUATION_FRAME;
    if (!is_data)
        return;
    ws->is_in_message = !arg->fin;
    /* AWS does not route binary frames: it closes with 1003 (AWS-LIM-3). */
    if (ws->current_opcode == WSLAY_BINARY_FRAME)
        set_failure(ws, 1003, "Binary frames are not supported");
    /* AWS's frame limit is 32 KB; a larger frame closes with 1009 (AWS-LIM-1). */
    if (arg->payload_length > ws->limits.max_frame_bytes)
        set_failure(ws, 1009, "Frame size exceeds the 32 KB limit");
}

static void on_msg_recv(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg, void *user_data)
{
    wg_ws_t *ws = user_data;
    if (arg->opcode == WSLAY_CONNECTION_CLOSE) {
        /* The client's close: keep its code and reason for $disconnect (wslay echoes the close). */
        if (!ws->is_server_initiated) {
            ws->close_code = arg->status_code == 0 ? 1005 : arg->status_code;
            size_t n = arg->msg_length > 2 ? arg->msg_length - 2 : 0;
            if (n > sizeof(ws->close_reason))
                n = sizeof(ws->close_reason);
            memcpy(ws->close_reason, arg->msg + 2, n);
            ws->close_reason_len = n;
        }
        return;
    }
    if (wslay_is_ctrl_frame(arg->opcode)) {
        /* wslay answers pings itself; the pong is not queued once a close is (its queue refuses) */
        if (ws->callbacks.on_control != NULL && (arg->opcode == WSLAY_PING || arg->opcode == WSLAY_PONG))
            ws->callbacks.on_control(ws->data, arg->opcode == WSLAY_PING,
                                     !ws->is_server_initiated && ws->fail_code == 0 && !wslay_event_get_close_sent(ctx),
                                     arg->msg, arg->msg_length);
        return;
    }
    if (ws->fail_code != 0 || ws->is_server_initiated)
        return;
    if (arg->opcode != WSLAY_TEXT_FRAME) {
        set_failure(ws, 1003, "Binary frames are not supported");
        return;
    }
    if (!wg_utf8_is_valid(arg->msg, arg->msg_length)) { /* RFC 6455 8.1 */
        set_failure(ws, 1007, "Invalid UTF-8 in text frame");
        return;
    }
    ws->callbacks.on_text(ws->data, arg->msg, arg->msg_length);
}

/* ---- I/O ------------------------------------------------------------------------------------ */

static void on_write_complete(h2o_socket_t *sock, const char *err)
{
    wg_ws_t *ws = sock->data;
    free(ws->writing);
    ws->writing = NULL;
    ws->writing_len = 0;
    if (err != NULL) {
        finish(ws, 1);
        return;
    }
    flush(ws);
}

/*
 * wslay's context holds two 4 KB buffers (9.4 KB in all), more than everything else a connection
 * needs. It is only needed while a connection is exchanging frames, so it is created when bytes
 * arrive or a message is sent, and freed again once the connection has been quiescent for a second:
 * no partial frame or message received, nothing queued or being written, no close under way. An
 * idle connection then costs under 2 KB instead of 10 (issue 9, S1).
 */
static const struct wslay_event_callbacks wslay_callbacks = {
    recv_callback, send_callback, genmask_callback, on_frame_recv_start, NULL, NULL, on_msg_recv,
};

static void ensure_wslay(wg_ws_t *ws)
{
    if (ws->wslay != NULL)
        return;
    if (wslay_event_context_server_init(&ws->wslay, &wslay_callbacks, ws) != 0)
        abort();
    wslay_event_config_set_max_recv_msg_length(ws->wslay, ws->limits.max_message_bytes);
}

static bool is_quiescent(const wg_ws_t *ws)
{
    return !(ws->wslay == NULL || ws->is_in_recv || ws->is_finished || ws->is_draining || ws->is_server_initiated ||
             ws->fail_code != 0 || ws->is_in_message || ws->scan.header_len != 0 || ws->scan.payload_left != 0 ||
             ws->writing != NULL || ws->out.len != 0 || ws->fragmented_pending != 0 ||
             wslay_event_get_queued_msg_count(ws->wslay) != 0 || wslay_event_want_write(ws->wslay) ||
             !wslay_event_want_read(ws->wslay) || wslay_event_get_close_sent(ws->wslay) ||
             wslay_event_get_close_received(ws->wslay));
}

/* A busy connection keeps its context (freeing and re-creating it per message would cost more than
 * the rest of a round trip's work); one quiet for a second gives it back. */
static void on_quiet_timer(h2o_timeout_entry_t *entry)
{
    wg_ws_t *ws = H2O_STRUCT_FROM_MEMBER(wg_ws_t, quiet_timer, entry);
    if (!is_quiescent(ws))
        return; /* the next flush that ends quiescent arms it again */
    if (h2o_now(ws->ctx->loop) - ws->last_activity < WG_LIMIT_WS_QUIET_MS) {
        h2o_timeout_link(ws->ctx->loop, &ws->ctx->one_sec_timeout, &ws->quiet_timer);
        return;
    }
    wslay_event_context_free(ws->wslay);
    ws->wslay = NULL;
}

static void release_wslay_if_quiescent(wg_ws_t *ws)
{
    if (is_quiescent(ws) && !h2o_timeout_is_linked(&ws->quiet_timer))
        h2o_timeout_link(ws->ctx->loop, &ws->ctx->one_sec_timeout, &ws->quiet_timer);
}

/* Moves frames from wslay to the socket; finishes when both closes have been exchanged. */
static void flush(wg_ws_t *ws)
{
    if (ws->is_finished || ws->sock == NULL || ws->wslay == NULL)
        return;
    if (ws->writing == NULL) {
        if (wslay_event_want_write(ws->wslay)) {
            int rv = wslay_event_send(ws->wslay);
            if (rv != 0 && rv != WSLAY_ERR_WOULDBLOCK) {
                finish(ws, 1);
                return;
            }
        }
        if (ws->out.len > 0) {
            ws->writing = wg_buf_take(&ws->out, &ws->writing_len);
            h2o_iovec_t buf = h2o_iovec_init(ws->writing, ws->writing_len);
            h2o_socket_write(ws->sock, &buf, 1, on_write_complete);
            return;
        }
    }
    if (ws->writing == NULL && !wslay_event_want_read(ws->wslay) && !wslay_event_want_write(ws->wslay)) {
        if (wslay_event_get_close_sent(ws->wslay) && !wslay_event_get_close_received(ws->wslay)) {
            /* wslay failed the connection (protocol error, 1007, 1009) and stopped reading. Closing
             * the socket now would reset it under data the client is still sending, and the client
             * could lose our close frame: drain its input until it closes, bounded by the close
             * timeout. */
            if (!ws->is_draining) {
                ws->is_draining = 1;
                /* our FIN tells the client we are done; it usually closes at once */
                shutdown(h2o_socket_get_fd(ws->sock), SHUT_WR);
                if (h2o_timeout_is_linked(&ws->close_timer))
                    h2o_timeout_unlink(&ws->close_timer);
                h2o_timeout_link(ws->ctx->loop, &ws->ctx->one_sec_timeout, &ws->close_timer);
            }
            return;
        }
        finish(ws, 0);
        return;
    }
    release_wslay_if_quiescent(ws);
}

static void after_recv(wg_ws_t *ws)
{
    if (ws->fail_code != 0 && !ws->is_server_initiated)
        wg_ws_close(ws, ws->fail_code, ws->fail_reason);
    else
        flush(ws);
}

static void on_read(h2o_socket_t *sock, const char *err)
{
    wg_ws_t *ws = sock->data;
    if (err != NULL) {
        finish(ws, 1);
        return;
    }
    if (ws->is_draining) {
        h2o_buffer_consume(&sock->input, sock->input->size);
        return;
    }
    ensure_wslay(ws);
    ws->last_activity = h2o_now(ws->ctx->loop);
    ws->is_in_recv = 1;
    int rv = wslay_event_recv(ws->wslay);
    ws->is_in_recv = 0;
    if (rv != 0) {
        finish(ws, 1);
        return;
    }
    after_recv(ws);
}

static void on_close_timeout(h2o_timeout_entry_t *entry)
{
    wg_ws_t *ws = H2O_STRUCT_FROM_MEMBER(wg_ws_t, close_timer, entry);
    finish(ws, 1);
}

static void on_deferred(h2o_timeout_entry_t *entry)
{
    wg_ws_t *ws = H2O_STRUCT_FROM_MEMBER(wg_ws_t, deferred, entry);
    wg_ws_close_info_t info;
    info.code = ws->close_code;
    info.reason = ws->close_reason;
    info.reason_len = ws->close_reason_len;
    info.is_server_initiated = ws->is_server_initiated;
    info.is_abnormal = ws->is_abnormal;
    ws->callbacks.on_closed(ws->data, &info);
    if (ws->wslay != NULL)
        wslay_event_context_free(ws->wslay);
    wg_buf_free(&ws->out);
    free(ws->writing);
    free(ws);
}

static void finish(wg_ws_t *ws, int is_abnormal)
{
    if (ws->is_finished)
        return;
    ws->is_finished = 1;
    if (ws->close_code == 0 && ws->wslay != NULL && wslay_event_get_close_sent(ws->wslay)) {
        /* wslay failed the connection itself (protocol error: 1002, 1007, 1009...) */
        ws->close_code = wslay_event_get_status_code_sent(ws->wslay);
        ws->is_server_initiated = 1;
    }
    if (is_abnormal && !ws->is_server_initiated && ws->close_code == 0) {
        ws->is_abnormal = 1;
        ws->close_code = 1006;
        ws->close_reason_len = 0;
    }
    if (ws->close_code == 0)
        ws->close_code = 1005;
    if (h2o_timeout_is_linked(&ws->close_timer))
        h2o_timeout_unlink(&ws->close_timer);
    if (h2o_timeout_is_linked(&ws->quiet_timer))
        h2o_timeout_unlink(&ws->quiet_timer);
    if (ws->sock != NULL) {
        h2o_socket_close(ws->sock);
        ws->sock = NULL;
    }
    h2o_timeout_link(ws->ctx->loop, &ws->ctx->zero_timeout, &ws->deferred);
}

static void on_upgrade_complete(void *user_data, h2o_socket_t *sock, size_t reqsize)
{
    wg_ws_t *ws = user_data;
    if (sock == NULL) {
        /* The 101 could not be written: the client left while $connect was pending. */
        finish(ws, 1);
        return;
    }
    ws->sock = sock;
    sock->data = ws;
    h2o_buffer_consume(&sock->input, reqsize);
    h2o_socket_read_start(sock, on_read);
    if (sock->input->size > 0)
        on_read(sock, NULL);
    else
        flush(ws);
}

/* ---- public --------------------------------------------------------------------------------- */

static void make_accept_key(const char *client_key, char out[29])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[SHA_DIGEST_LENGTH];
    char input[128];
    size_t key_len = 24; /* h2o_is_websocket_handshake accepts only 24-byte keys; not NUL-terminated */
    memcpy(input, client_key, key_len);
    memcpy(input + key_len, guid, sizeof(guid) - 1);
    SHA1((const unsigned char *)input, key_len + sizeof(guid) - 1, digest);
    EVP_EncodeBlock((unsigned char *)out, digest, SHA_DIGEST_LENGTH);
}

wg_ws_t *wg_ws_upgrade(h2o_req_t *req, const char *client_key, h2o_context_t *ctx, h2o_timeout_t *close_timeout,
                       const wg_ws_limits_t *limits, const wg_ws_callbacks_t *callbacks, void *data)
{
    wg_ws_t *ws = calloc(1, sizeof(*ws));
    if (ws == NULL)
        abort();
    ws->ctx = ctx;
    ws->close_timeout = close_timeout;
    ws->limits = *limits;
    ws->callbacks = *callbacks;
    ws->data = data;
    ws->close_timer.cb = on_close_timeout;
    ws->deferred.cb = on_deferred;
    ws->quiet_timer.cb = on_quiet_timer;

    char accept_key[29];
    make_accept_key(client_key, accept_key);
    req->res.status = 101;
    req->res.reason = "Switching Protocols";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_UPGRADE, NULL, H2O_STRLIT("websocket"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("sec-websocket-accept"), 0, NULL, accept_key,
                          strlen(accept_key));
    h2o_http1_upgrade(req, NULL, 0, on_upgrade_complete, ws);
    return ws;
}

typedef struct fragmented_source {
    wg_ws_t *ws;
    uint8_t *data;
    size_t len, offset;
} fragmented_source_t;

static ssize_t read_fragment(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
                             const union wslay_event_msg_source *source, int *eof, void *user_data)
{
    fragmented_source_t *src = source->data;
    size_t n = src->len - src->offset;
    if (n > len)
        n = len;
    memcpy(buf, src->data + src->offset, n);
    src->offset += n;
    src->ws->fragmented_pending -= n;
    if (src->offset == src->len) {
        *eof = 1;
        free(src->data);
        free(src);
    }
    return (ssize_t)n;
}

int wg_ws_send_text(wg_ws_t *ws, const void *msg, size_t len)
{
    if (ws->is_finished || ws->is_server_initiated || ws->fail_code != 0 ||
        (ws->wslay != NULL && wslay_event_get_close_sent(ws->wslay)))
        return WG_WS_CLOSING;
    if (wg_ws_queued_bytes(ws) + len > ws->limits.max_queued_bytes)
        return WG_WS_QUEUE_FULL;
    ensure_wslay(ws);
    ws->last_activity = h2o_now(ws->ctx->loop);
    int rv;
    if (len <= ws->limits.max_frame_bytes) {
        struct wslay_event_msg m = {WSLAY_TEXT_FRAME, msg, len};
        rv = wslay_event_queue_msg(ws->wslay, &m);
    } else {
        /* [I] inferred: AWS sends messages over 32 KB as several frames (AWS-MGMT-5: the
         * quotas page applies the 32 KB frame limit to @connections; never observed). */
        fragmented_source_t *src = malloc(sizeof(*src));
        if (src == NULL || (src->data = malloc(len)) == NULL)
            abort();
        memcpy(src->data, msg, len);
        src->ws = ws;
        src->len = len;
        src->offset = 0;
        struct wslay_event_fragmented_msg m;
        m.opcode = WSLAY_TEXT_FRAME;
        m.source.data = src;
        m.read_callback = read_fragment;
        rv = wslay_event_queue_fragmented_msg(ws->wslay, &m);
        if (rv == 0)
            ws->fragmented_pending += len;
        else {
            free(src->data);
            free(src);
        }
    }
    if (rv != 0)
        return WG_WS_CLOSING;
    if (!ws->is_in_recv)
        flush(ws);
    return WG_WS_SENT;
}

void wg_ws_close(wg_ws_t *ws, int code, const char *reason)
{
    if (ws->is_finished || ws->is_server_initiated)
        return;
    ensure_wslay(ws);
    if (wslay_event_get_close_received(ws->wslay)) {
        /* the client already closed; its code stands */
        if (!ws->is_in_recv)
            flush(ws);
        return;
    }
    if (wslay_event_get_close_sent(ws->wslay))
        return; /* wslay already failed the connection with its own code: we are draining */
    ws->is_server_initiated = 1;
    ws->close_code = code;
    size_t n = strlen(reason);
    if (n > sizeof(ws->close_reason))
        n = sizeof(ws->close_reason);
    memcpy(ws->close_reason, reason, n);
    ws->close_reason_len = n;
    wslay_event_queue_close(ws->wslay, (uint16_t)code, (const uint8_t *)reason, n);
    if (!h2o_timeout_is_linked(&ws->close_timer))
        h2o_timeout_link(ws->ctx->loop, ws->close_timeout, &ws->close_timer);
    if (!ws->is_in_recv)
        flush(ws);
}

void wg_ws_abort(wg_ws_t *ws)
{
    if (ws->is_finished)
        return;
    if (ws->sock != NULL) {
        /* linger 0: the peer sees a reset, as on a network loss */
        int fd = h2o_socket_get_fd(ws->sock);
        if (fd >= 0) {
            struct linger lin = {1, 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
        }
    }
    finish(ws, 1);
}

bool wg_ws_is_closing(const wg_ws_t *ws)
{
    return ws->is_finished || ws->is_server_initiated || ws->is_draining || ws->fail_code != 0 ||
           (ws->wslay != NULL && (wslay_event_get_close_sent(ws->wslay) || wslay_event_get_close_received(ws->wslay)));
}

size_t wg_ws_queued_bytes(const wg_ws_t *ws)
{
    size_t n = ws->out.len + ws->writing_len + ws->fragmented_pending;
    if (ws->wslay != NULL)
        n += wslay_event_get_queued_msg_length(ws->wslay);
    return n;
}

void wg_ws_peer_ip(h2o_req_t *req, char *out, size_t out_size)
{
    struct sockaddr_storage ss;
    socklen_t len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    char buf[NI_MAXHOST];
    size_t n = len > 0 ? h2o_socket_getnumerichost((struct sockaddr *)&ss, len, buf) : SIZE_MAX;
    if (n == SIZE_MAX) {
        snprintf(out, out_size, "127.0.0.1");
        return;
    }
    snprintf(out, out_size, "%.*s", (int)n, buf);
}
