/*
 * inproc_server.h: a whole wsgate (wg_server_init) inside the unit-test process, on 127.0.0.1 and
 * a free port, whose event loop the test runs itself between steps of a raw-socket client. Used by
 * the suites of the modules that only act on live connections and requests (conns.c, mgmt_api.c):
 * their public functions take a wg_server_t, an h2o_req_t or a wg_conn_t, which only a running
 * server makes. Every wait is bounded (INPROC_WAIT_MS) and fails the test when it runs out.
 *
 * Header-only (static functions): include it from one test_<module>.c each.
 */
#ifndef WG_TEST_INPROC_SERVER_H
#define WG_TEST_INPROC_SERVER_H

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "conns.h"
#include "httpc.h"
#include "listener.h"
#include "server.h"

#define INPROC_WAIT_MS 5000

typedef struct inproc {
    wg_config_t cfg;
    wg_server_t server;
} inproc_t;

/* Servers live in static storage, like wsgate's own (main.c): h2o 2.2.5 cannot tear its context
 * down, so what it still holds after wg_server_dispose must stay reachable (LeakSanitizer). */
#define INPROC_MAX_SERVERS 4
static inproc_t inproc_servers[INPROC_MAX_SERVERS];
static int inproc_num_servers;

/* Loads `args` (after "wsgate --host 127.0.0.1 --port 0") and starts a server (no loop yet). */
static inline inproc_t *inproc_start(const char *const *args)
{
    ck_assert_int_lt(inproc_num_servers, INPROC_MAX_SERVERS);
    inproc_t *t = &inproc_servers[inproc_num_servers++];
    char *argv[32];
    int argc = 0;
    static const char *const base[] = {"wsgate", "--host", "127.0.0.1", "--port", "0"};
    for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
        argv[argc++] = (char *)base[i];
    for (size_t i = 0; args != NULL && args[i] != NULL && argc < 31; i++)
        argv[argc++] = (char *)args[i];
    argv[argc] = NULL;
    char err[256] = "";
    ck_assert_msg(wg_config_load(&t->cfg, argc, argv, err, sizeof(err)) == 0, "config: %s", err);
    ck_assert_msg(wg_server_init(&t->server, &t->cfg, err, sizeof(err)) == 0, "server: %s", err);
    ck_assert_int_gt(t->server.port, 0);
    return t;
}

/* Shuts down like wg_server_run does after SIGTERM (stop listening, close every client with 1001,
 * wait - bounded - until every connection and backend call is done), then disposes. */
static inline void inproc_stop(inproc_t *t)
{
    wg_listeners_close(t->server.listeners);
    wg_conns_close_all(t->server.conns, 1001, "Going away");
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    time_t end = ts.tv_sec + INPROC_WAIT_MS / 1000;
    while ((wg_conns_count_alive(t->server.conns) > 0 || wg_httpc_in_flight(t->server.httpc) > 0) &&
           (clock_gettime(CLOCK_MONOTONIC, &ts), ts.tv_sec < end))
        h2o_evloop_run(t->server.loop, 10);
    ck_assert_uint_eq(wg_conns_count_alive(t->server.conns), 0);
    wg_server_dispose(&t->server);
    wg_config_free(&t->cfg);
}

static inline uint64_t inproc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs the server's loop for about `ms`. */
static inline void inproc_pump(inproc_t *t, uint64_t ms)
{
    uint64_t end = inproc_now_ms() + ms;
    do
        h2o_evloop_run(t->server.loop, 5);
    while (inproc_now_ms() < end);
}

/* A client socket connected to the server (non-blocking once connected). */
static inline int inproc_connect(inproc_t *t)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)t->server.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    /* loopback: the kernel completes the TCP handshake before the loop accepts */
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct timeval tv = {.tv_usec = 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static inline void inproc_send(int fd, const void *data, size_t len)
{
    ck_assert_int_eq(send(fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Sends all of `data`, running the loop while the socket is full (a large body); stops early if
 * the server closed the connection (it may answer before reading everything). */
static inline void inproc_send_all(inproc_t *t, int fd, const char *data, size_t len)
{
    uint64_t end = inproc_now_ms() + INPROC_WAIT_MS;
    size_t off = 0;
    while (off < len) {
        ck_assert_msg(inproc_now_ms() < end, "could not send %zu bytes within %d ms", len, INPROC_WAIT_MS);
        ssize_t n = send(fd, data + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0)
            off += (size_t)n;
        else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return;
        else
            h2o_evloop_run(t->server.loop, 5);
    }
}

/* What one client socket has received so far. */
typedef struct inproc_input {
    char data[16384];
    size_t len;
    int is_eof;
} inproc_input_t;

/* Pumps the loop and reads `fd` until done(in, arg) says so; fails the test after INPROC_WAIT_MS. */
static inline void inproc_read_until(inproc_t *t, int fd, inproc_input_t *in, int (*done)(const inproc_input_t *, void *),
                              void *arg, const char *what)
{
    uint64_t end = inproc_now_ms() + INPROC_WAIT_MS;
    while (!done(in, arg)) {
        ck_assert_msg(inproc_now_ms() < end, "no %s within %d ms (got %zu bytes)", what, INPROC_WAIT_MS, in->len);
        h2o_evloop_run(t->server.loop, 5);
        if (in->is_eof || in->len >= sizeof(in->data) - 1)
            continue;
        ssize_t n = recv(fd, in->data + in->len, sizeof(in->data) - 1 - in->len, 0);
        if (n > 0) {
            in->len += (size_t)n;
            in->data[in->len] = '\0';
        } else if (n == 0) {
            in->is_eof = 1;
        }
    }
}

static inline int has_head(const inproc_input_t *in, void *arg)
{
    (void)arg;
    return strstr(in->data, "\r\n\r\n") != NULL;
}

static inline int has_eof(const inproc_input_t *in, void *arg)
{
    (void)arg;
    return in->is_eof;
}

/* A server frame (unmasked, payload < 126 bytes here) at the start of `in`. */
typedef struct inproc_frame {
    int opcode;
    const char *payload;
    size_t len;
} inproc_frame_t;

static inline int has_frame(const inproc_input_t *in, void *arg)
{
    (void)arg;
    if (in->len < 2)
        return 0;
    size_t len = (unsigned char)in->data[1] & 0x7F;
    return len < 126 && in->len >= 2 + len;
}

/* Waits for the next frame and removes it from `in`; the payload is copied into `payload`. */
static inline inproc_frame_t inproc_read_frame(inproc_t *t, int fd, inproc_input_t *in, char *payload, size_t cap)
{
    inproc_read_until(t, fd, in, has_frame, NULL, "WebSocket frame");
    inproc_frame_t f = {.opcode = in->data[0] & 0x0F, .payload = payload, .len = (unsigned char)in->data[1] & 0x7F};
    ck_assert_uint_lt(f.len, cap);
    memcpy(payload, in->data + 2, f.len);
    payload[f.len] = '\0';
    memmove(in->data, in->data + 2 + f.len, in->len - 2 - f.len);
    in->len -= 2 + f.len;
    return f;
}

/* Opens a WebSocket on /{stage} with `user_agent` (NULL: none); the 101 head is consumed. */
static inline int inproc_ws_open(inproc_t *t, const char *stage, const char *user_agent, inproc_input_t *in)
{
    int fd = inproc_connect(t);
    char req[512];
    int n = snprintf(req, sizeof(req),
                     "GET /%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s%s%s\r\n",
                     stage, t->server.port, user_agent ? "User-Agent: " : "", user_agent ? user_agent : "",
                     user_agent ? "\r\n" : "");
    inproc_send(fd, req, (size_t)n);
    memset(in, 0, sizeof(*in));
    inproc_read_until(t, fd, in, has_head, NULL, "handshake answer");
    ck_assert_msg(strncmp(in->data, "HTTP/1.1 101 ", 13) == 0, "handshake answered: %.60s", in->data);
    /* the RFC 6455 sample key's accept value */
    ck_assert_ptr_nonnull(strstr(in->data, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    char *end = strstr(in->data, "\r\n\r\n") + 4;
    size_t rest = in->len - (size_t)(end - in->data);
    memmove(in->data, end, rest);
    in->len = rest;
    in->data[rest] = '\0';
    return fd;
}

/* A complete HTTP/1.1 exchange (Connection: close); returns the status, *in holds the response. */
static inline int inproc_http(inproc_t *t, const char *method, const char *path, const char *body, size_t body_len,
                       inproc_input_t *in)
{
    int fd = inproc_connect(t);
    char head[512];
    int n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Length: %zu\r\n"
                                         "Connection: close\r\n\r\n",
                     method, path, t->server.port, body_len);
    inproc_send(fd, head, (size_t)n);
    if (body_len > 0)
        inproc_send_all(t, fd, body, body_len);
    memset(in, 0, sizeof(*in));
    inproc_read_until(t, fd, in, has_eof, NULL, "complete HTTP response");
    close(fd);
    int status = 0;
    ck_assert_msg(sscanf(in->data, "HTTP/1.1 %d", &status) == 1, "response: %.60s", in->data);
    return status;
}

/* The response body in `in` (after the head). */
static inline const char *inproc_body(const inproc_input_t *in)
{
    const char *end = strstr(in->data, "\r\n\r\n");
    return end ? end + 4 : "";
}

/* Pumps the loop until `cond` holds (bounded). */
#define INPROC_PUMP_UNTIL(t, cond, what)                                                                        \
    do {                                                                                                        \
        uint64_t end_ = inproc_now_ms() + INPROC_WAIT_MS;                                                       \
        while (!(cond)) {                                                                                       \
            ck_assert_msg(inproc_now_ms() < end_, "not within %d ms: %s", INPROC_WAIT_MS, what);               \
            h2o_evloop_run((t)->server.loop, 5);                                                                \
        }                                                                                                       \
    } while (0)

#endif
