/*
 * listener.c: listening sockets, the first-byte dispatch and the TLS handshake (see listener.h).
 *
 * An accepted socket is read once by h2o's event loop (the read HTTP/1.1 would do anyway, so plain
 * HTTP pays no extra system call or epoll round); the bytes stay in sock->input. Then:
 *  - 0x16 and TLS on: h2o_socket_ssl_handshake(), which takes the bytes already read as the start
 *    of the handshake (h2o 2.2.5 moves sock->input into its encrypted-input buffer), then
 *    h2o_http1_accept() once it completes. This is h2o_accept()'s own TLS path with ALPN left out
 *    (HTTP/1.1 only), plus a log line for a failed handshake and a cap on handshakes in progress.
 *  - 0x16 and --tls off: one log line ("TLS is disabled"), then closed.
 *  - anything else: h2o_http1_accept(), which parses what is already in sock->input.
 * No parsing of our own happens here: one byte is looked at, the rest is OpenSSL's and h2o's.
 */
#include "listener.h"

#include <stdbool.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <h2o/http1.h>

#include "limits.h"
#include "log.h"

/* A TLS record of type handshake (RFC 8446 5.1): the first byte of every ClientHello. */
#define TLS_HANDSHAKE_RECORD 0x16

typedef struct listening_socket {
    h2o_socket_t *sock;
    int port;
    struct wg_listeners *owner;
} listening_socket_t;

/* A connection between accept and HTTP: waiting for its first byte, or in the TLS handshake. */
typedef struct pending {
    h2o_timeout_entry_t timeout;
    h2o_linklist_t link;
    h2o_socket_t *sock;
    struct wg_listeners *owner;
    struct timeval connected_at;
    int is_handshaking;
} pending_t;

/* One log line per second per kind of trouble at most, with a count of the ones left out: a flood
 * of bad clients must not flood the log. */
typedef struct log_throttle {
    uint64_t second;
    size_t suppressed;
} log_throttle_t;

struct wg_listeners {
    h2o_evloop_t *loop;
    h2o_accept_ctx_t *accept_ctx;
    SSL_CTX *ssl_ctx;
    listening_socket_t *sockets;
    size_t num_sockets;
    h2o_timeout_t first_byte_timeout;
    h2o_timeout_t handshake_timeout;
    h2o_linklist_t pending;
    size_t num_handshakes;
    log_throttle_t throttle_tls_off, throttle_handshake, throttle_silent, throttle_stalled, throttle_full;
    int is_closed;
};

static void throttled_log(wg_listeners_t *l, log_throttle_t *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void throttled_log(wg_listeners_t *l, log_throttle_t *t, const char *fmt, ...)
{
    uint64_t second = h2o_now(l->loop) / 1000;
    if (second == t->second && t->second != 0) {
        t->suppressed++;
        return;
    }
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (t->suppressed > 0)
        wg_log_info("%s (and %zu more like it in the last second)", line, t->suppressed);
    else
        wg_log_info("%s", line);
    t->second = second;
    t->suppressed = 0;
}

static void peer_of(h2o_socket_t *sock, char *buf)
{
    struct sockaddr_storage ss;
    socklen_t len = h2o_socket_getpeername(sock, (struct sockaddr *)&ss);
    if (len == 0 || h2o_socket_getnumerichost((struct sockaddr *)&ss, len, buf) == SIZE_MAX)
        strcpy(buf, "?");
}

static void pending_free(pending_t *p)
{
    if (h2o_timeout_is_linked(&p->timeout))
        h2o_timeout_unlink(&p->timeout);
    if (h2o_linklist_is_linked(&p->link))
        h2o_linklist_unlink(&p->link);
    if (p->is_handshaking)
        p->owner->num_handshakes--;
    free(p);
}

static void pending_drop(pending_t *p)
{
    h2o_socket_t *sock = p->sock;
    sock->data = NULL;
    pending_free(p);
    h2o_socket_close(sock);
}

static void on_pending_timeout(h2o_timeout_entry_t *entry)
{
    pending_t *p = H2O_STRUCT_FROM_MEMBER(pending_t, timeout, entry);
    char peer[NI_MAXHOST];
    peer_of(p->sock, peer);
    throttled_log(p->owner, p->is_handshaking ? &p->owner->throttle_stalled : &p->owner->throttle_silent,
                  "connection from %s: %s within %d ms; closed", peer,
                  p->is_handshaking ? "TLS handshake not finished" : "nothing sent",
                  p->is_handshaking ? WG_LIMIT_TLS_HANDSHAKE_MS : WG_LIMIT_FIRST_BYTE_MS);
    pending_drop(p);
}

static void on_handshake(h2o_socket_t *sock, const char *err)
{
    pending_t *p = sock->data;
    if (err != NULL) {
        char peer[NI_MAXHOST];
        peer_of(sock, peer);
        /* h2o reports OpenSSL's failures as "ssl handshake failure" and EOF as "connection closed" */
        throttled_log(p->owner, &p->owner->throttle_handshake, "TLS handshake with %s failed: %s", peer, err);
        pending_drop(p);
        return;
    }
    h2o_accept_ctx_t *accept_ctx = p->owner->accept_ctx;
    struct timeval connected_at = p->connected_at;
    sock->data = NULL;
    pending_free(p);
    h2o_http1_accept(accept_ctx, sock, connected_at);
}

static void on_first_bytes(h2o_socket_t *sock, const char *err)
{
    pending_t *p = sock->data;
    wg_listeners_t *l = p->owner;
    if (err != NULL || sock->input->size == 0) {
        pending_drop(p);
        return;
    }
    h2o_socket_read_stop(sock);
    h2o_timeout_unlink(&p->timeout);
    if ((unsigned char)sock->input->bytes[0] != TLS_HANDSHAKE_RECORD) {
        h2o_accept_ctx_t *accept_ctx = l->accept_ctx;
        struct timeval connected_at = p->connected_at;
        sock->data = NULL;
        pending_free(p);
        h2o_http1_accept(accept_ctx, sock, connected_at);
        return;
    }
    char peer[NI_MAXHOST];
    if (l->ssl_ctx == NULL) {
        peer_of(sock, peer);
        throttled_log(l, &l->throttle_tls_off,
                      "TLS ClientHello from %s, but TLS is disabled (--tls off): closed; use http:// and ws://, or "
                      "drop --tls off",
                      peer);
        pending_drop(p);
        return;
    }
    if (l->num_handshakes >= WG_LIMIT_TLS_HANDSHAKES) {
        peer_of(sock, peer);
        throttled_log(l, &l->throttle_full, "TLS ClientHello from %s dropped: %d handshakes already in progress", peer,
                      WG_LIMIT_TLS_HANDSHAKES);
        pending_drop(p);
        return;
    }
    p->is_handshaking = 1;
    l->num_handshakes++;
    h2o_timeout_link(l->loop, &l->handshake_timeout, &p->timeout);
    /* may call on_handshake before it returns (a bad ClientHello): p is not touched after it */
    h2o_socket_ssl_handshake(sock, l->ssl_ctx, NULL, on_handshake);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    listening_socket_t *ls = listener->data;
    wg_listeners_t *l = ls->owner;
    if (err != NULL)
        return;
    for (int i = 0; i < WG_LIMIT_ACCEPTS_PER_EVENT; i++) {
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (sock == NULL)
            return;
        pending_t *p = calloc(1, sizeof(*p));
        if (p == NULL)
            abort();
        p->sock = sock;
        p->owner = l;
        p->timeout.cb = on_pending_timeout;
        p->connected_at = *h2o_get_timestamp(l->accept_ctx->ctx, NULL, NULL);
        h2o_linklist_insert(&l->pending, &p->link);
        h2o_timeout_link(l->loop, &l->first_byte_timeout, &p->timeout);
        sock->data = p;
        h2o_socket_read_start(sock, on_first_bytes);
    }
}

int wg_listener_socket(const char *host, const char *port, int backlog, int *bound_port, int *gai_error)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0) {
        *gai_error = gai;
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int on = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, backlog) != 0) {
        int saved = errno;
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        errno = saved;
        return -2;
    }
    freeaddrinfo(res);
    struct sockaddr_storage ss;
    socklen_t ss_len = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &ss_len);
    *bound_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

/* "ADDR:PORT", "[V6]:PORT" or (for --host/--port) host and port given apart. */
static int bind_one(wg_listeners_t *l, const char *host, const char *port, const char *what, char *err, size_t err_size)
{
    int bound_port = 0, gai = 0;
    int fd = wg_listener_socket(host, port, WG_LIMIT_LISTEN_BACKLOG, &bound_port, &gai);
    if (fd == -1) {
        snprintf(err, err_size, "cannot resolve %s '%s': %s", what, host, gai_strerror(gai));
        return -1;
    }
    if (fd < 0) {
        snprintf(err, err_size, "cannot listen on %s:%s (%s): %s%s", host, port, what, strerror(errno),
                 errno == EACCES ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" : "");
        return -1;
    }
    listening_socket_t *ls = &l->sockets[l->num_sockets++];
    ls->owner = l;
    ls->port = bound_port;
    ls->sock = h2o_evloop_socket_create(l->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    ls->sock->data = ls;
    h2o_socket_read_start(ls->sock, on_accept);
    return 0;
}

wg_listeners_t *wg_listeners_open(h2o_evloop_t *loop, h2o_accept_ctx_t *accept_ctx, const wg_config_t *cfg,
                                  SSL_CTX *ssl_ctx, int *port, char *err, size_t err_size)
{
    wg_listeners_t *l = calloc(1, sizeof(*l));
    if (l == NULL || (l->sockets = calloc(1 + cfg->num_listen, sizeof(*l->sockets))) == NULL)
        abort();
    l->loop = loop;
    l->accept_ctx = accept_ctx;
    l->ssl_ctx = ssl_ctx;
    h2o_linklist_init_anchor(&l->pending);
    h2o_timeout_init(loop, &l->first_byte_timeout, WG_LIMIT_FIRST_BYTE_MS);
    h2o_timeout_init(loop, &l->handshake_timeout, WG_LIMIT_TLS_HANDSHAKE_MS);
    char port_text[16];
    snprintf(port_text, sizeof(port_text), "%d", cfg->port);
    if (bind_one(l, cfg->host, port_text, "--host/--port", err, err_size) != 0)
        goto fail;
    for (size_t i = 0; i < cfg->num_listen; i++) {
        /* config.c checked the form ADDR:PORT; [V6]:PORT loses its brackets here */
        char host[256];
        const char *colon = strrchr(cfg->listen[i], ':');
        size_t host_len = (size_t)(colon - cfg->listen[i]);
        const char *start = cfg->listen[i];
        if (host_len >= 2 && start[0] == '[' && start[host_len - 1] == ']') {
            start++;
            host_len -= 2;
        }
        if (host_len >= sizeof(host)) {
            snprintf(err, err_size, "--listen %s: address too long", cfg->listen[i]);
            goto fail;
        }
        memcpy(host, start, host_len);
        host[host_len] = '\0';
        char what[300];
        snprintf(what, sizeof(what), "--listen %s", cfg->listen[i]);
        if (bind_one(l, host, colon + 1, what, err, err_size) != 0)
            goto fail;
    }
    *port = l->sockets[0].port;
    return l;
fail:
    wg_listeners_free(l);
    return NULL;
}

size_t wg_listeners_count(const wg_listeners_t *l)
{
    return l->num_sockets;
}

int wg_listeners_port(const wg_listeners_t *l, size_t i)
{
    return i < l->num_sockets ? l->sockets[i].port : -1;
}

bool wg_listeners_has_tls(const wg_listeners_t *l)
{
    return l->ssl_ctx != NULL;
}

void wg_listeners_close(wg_listeners_t *l)
{
    if (l == NULL || l->is_closed)
        return;
    l->is_closed = 1;
    for (size_t i = 0; i < l->num_sockets; i++) {
        h2o_socket_read_stop(l->sockets[i].sock);
        h2o_socket_close(l->sockets[i].sock);
        l->sockets[i].sock = NULL;
    }
    while (!h2o_linklist_is_empty(&l->pending))
        pending_drop(H2O_STRUCT_FROM_MEMBER(pending_t, link, l->pending.next));
}

void wg_listeners_free(wg_listeners_t *l)
{
    if (l == NULL)
        return;
    wg_listeners_close(l);
    h2o_timeout_dispose(l->loop, &l->first_byte_timeout);
    h2o_timeout_dispose(l->loop, &l->handshake_timeout);
    /* SSL objects of connections already handed to HTTP hold their own reference to the context */
    SSL_CTX_free(l->ssl_ctx);
    free(l->sockets);
    free(l);
}
