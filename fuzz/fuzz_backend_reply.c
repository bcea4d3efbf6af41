/*
 * fuzz_backend_reply.c: libFuzzer target for what a backend may answer a call made on the loop
 * (src/httpc_loop.c: h2o's HTTP/1 client reads the answer, httpc_loop.c keeps its status line,
 * headers and body under the caps). The input is written, as the whole answer, to one call's
 * connection on 127.0.0.1, which is then closed. The call must complete exactly once, within its
 * timeout; an answer has a status and stays within WG_LIMIT_BACKEND_RESPONSE_BYTES and
 * WG_LIMIT_BACKEND_HEADER_BYTES; a transport error has no status. Any further connection (the one
 * retry after a reused connection closed unanswered) is closed at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "httpc.h"
#include "limits.h"

#define CALL_TIMEOUT_MS 2000

static h2o_evloop_t *loop;
static wg_httpc_t *client;
static int listen_fd = -1;
static char url[64];

typedef struct seen {
    int calls;
} seen_t;

static void on_done(void *data, const wg_httpc_response_t *res)
{
    seen_t *seen = data;
    seen->calls++;
    if (!res->is_transport_error && !res->is_timeout) {
        if (res->status < 100 || res->status > 999 || res->body_len > WG_LIMIT_BACKEND_RESPONSE_BYTES ||
            res->headers_len > WG_LIMIT_BACKEND_HEADER_BYTES)
            abort();
        size_t n = 0;
        (void)wg_httpc_response_header(res, "Content-Type", &n);
    } else if (res->status != 0 && res->is_transport_error) {
        abort();
    }
}

static void set_up(void)
{
    loop = h2o_evloop_create();
    h2o_multithread_queue_t *queue = h2o_multithread_create_queue(loop); /* kept: the process's */
    client = wg_httpc_new(loop, queue);
    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(listen_fd, 16) != 0 ||
        getsockname(listen_fd, (struct sockaddr *)&a, &len) != 0)
        abort();
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/reply", (unsigned)ntohs(a.sin_port));
}

/* Reads the request (head and its 2-byte body) as the loop sends it: the answer then goes to a
 * connection whose input was consumed, so closing it is a clean FIN, not a reset. */
static void read_request(int fd)
{
    char buf[4096];
    size_t have = 0;
    for (int i = 0; i < 2000; i++) {
        ssize_t n = recv(fd, buf + have, sizeof(buf) - 1 - have, MSG_DONTWAIT);
        if (n > 0) {
            have += (size_t)n;
            buf[have] = '\0';
            char *end = strstr(buf, "\r\n\r\n");
            if (end != NULL && (size_t)(end + 4 - buf) + 2 <= have)
                return;
        } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) || have == sizeof(buf) - 1) {
            return;
        }
        h2o_evloop_run(loop, 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (loop == NULL)
        set_up();
    seen_t seen;
    memset(&seen, 0, sizeof(seen));
    wg_httpc_request_t req = {.method = "POST", .timeout_ms = CALL_TIMEOUT_MS, .on_done = on_done, .data = &seen};
    req.url = strdup(url);
    req.body = strdup("{}");
    req.body_len = 2;
    wg_httpc_submit(client, &req);

    int fd = -1;
    for (int i = 0; i < 4000 && fd < 0 && seen.calls == 0; i++) {
        h2o_evloop_run(loop, 1);
        fd = accept(listen_fd, NULL, NULL);
    }
    if (fd >= 0) {
        read_request(fd);
        size_t off = 0;
        while (off < size) {
            ssize_t n = send(fd, data + off, size - off, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0)
                off += (size_t)n;
            else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                break;
            h2o_evloop_run(loop, 1);
        }
        shutdown(fd, SHUT_WR);
    }
    for (int i = 0; i < 2 * CALL_TIMEOUT_MS && seen.calls == 0; i++) {
        h2o_evloop_run(loop, 1);
        int extra = accept(listen_fd, NULL, NULL);
        if (extra >= 0)
            close(extra);
    }
    if (fd >= 0)
        close(fd);
    if (seen.calls != 1)
        abort();
    h2o_evloop_run(loop, 0); /* the connection back to the pool, or closed */
    return 0;
}
