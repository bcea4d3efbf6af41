/*
 * wssload.c: the shared harness's load generator (../shared/bench/wsload.c) speaking wss://.
 *
 * wsload.c is compiled into this file unchanged (-DWSLOAD_C=path): its socket calls (connect, read,
 * write, close, epoll_ctl) are macros here that put an OpenSSL client on each connected socket, so
 * S1 over TLS runs the same client logic, stages, timeouts and RSS sampling as the plain S1. Each
 * connection is a full handshake: no session is ever offered for resumption, as a new browser or
 * client would connect. Build (bench/tls.sh does it):
 *
 *   cc -O2 -DWSLOAD_C='"../shared/bench/wsload.c"' bench/wssload.c -o wssload -lssl -lcrypto -lm
 *
 * Usage: wsload's options, with a wss:// URL (ws:// runs plain, exactly as wsload), plus
 *   -C FILE   verify the server's certificate against this CA and the URL's host (a browser's
 *             check); without it nothing is verified (as wrk)
 *   -N NAME   SNI to send (default: the URL's host unless it is an IP literal, as browsers do)
 * Adds one line to wsload's output at exit:
 *   tls handshakes=.. failed=.. resumed=.. version=.. cipher=.. group=.. leaf=.. sig=.. verify=on|off
 * (version .. sig from the first completed handshake).
 *
 * Why the epoll interposition: while a handshake is under way wsload may ask for EPOLLOUT (its
 * upgrade request is queued), but OpenSSL is waiting to read; a level-triggered EPOLLOUT on a writable
 * socket would then spin. Until the handshake completes the socket is watched for what OpenSSL wants;
 * after it, for what wsload asked.
 */
#define _GNU_SOURCE
/* every header wsload.c includes, before the macros below (they are include-guarded there) */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls_params.h"

#ifndef WSLOAD_C
#error "build with -DWSLOAD_C='\"path/to/wsload.c\"'"
#endif

static ssize_t wss_read(int fd, void *buf, size_t len);
static ssize_t wss_write(int fd, const void *buf, size_t len);
static int wss_close(int fd);
static int wss_connect(int fd, const struct sockaddr *addr, socklen_t addr_len);
static int wss_epoll_ctl(int ep, int op, int fd, struct epoll_event *ev);

#define read(fd, buf, len) wss_read(fd, buf, len)
#define write(fd, buf, len) wss_write(fd, buf, len)
#define close(fd) wss_close(fd)
#define connect(fd, addr, addr_len) wss_connect(fd, addr, addr_len)
#define epoll_ctl(ep, op, fd, ev) wss_epoll_ctl(ep, op, fd, ev)
#define main wsload_main
#include WSLOAD_C
#undef read
#undef write
#undef close
#undef connect
#undef epoll_ctl
#undef main

typedef struct {
    SSL *ssl;
    uint8_t is_done; /* handshake complete */
    uint8_t is_want_write; /* the handshake waits for the socket to be writable */
    uint32_t asked; /* events wsload asked for */
    uint32_t watched; /* events epoll watches */
    epoll_data_t data;
} tls_conn_t;

static SSL_CTX *g_ctx;
static tls_conn_t *g_tls; /* indexed by fd */
static int g_tls_cap;
static int g_ep_fd = -1;
static const char *g_sni;
static char g_verify_host[256];
static int g_is_verify;
static unsigned long g_hs_ok, g_hs_failed, g_hs_resumed;
static char g_first[512];

static void tls_die(const char *what)
{
    fprintf(stderr, "wssload: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(2);
}

static tls_conn_t *tls_of(int fd)
{
    return g_ctx != NULL && fd >= 0 && fd < g_tls_cap && g_tls[fd].ssl != NULL ? &g_tls[fd] : NULL;
}

/* watch what the handshake needs until it is done, then what wsload asked for */
static void tls_watch(int fd, tls_conn_t *t)
{
    uint32_t want = t->is_done ? t->asked : (EPOLLIN | (t->is_want_write ? EPOLLOUT : 0));
    if (want == t->watched || g_ep_fd < 0)
        return;
    struct epoll_event ev = {.events = want, .data = t->data};
    if (epoll_ctl(g_ep_fd, EPOLL_CTL_MOD, fd, &ev) == 0)
        t->watched = want;
}

/* 1 done, 0 in progress (errno EAGAIN), -1 failed (errno EPROTO) */
static int tls_handshake(int fd, tls_conn_t *t)
{
    ERR_clear_error();
    int r = SSL_do_handshake(t->ssl);
    if (r == 1) {
        t->is_done = 1;
        g_hs_ok++;
        g_hs_resumed += SSL_session_reused(t->ssl) ? 1 : 0;
        if (g_first[0] == '\0')
            tls_params_describe(t->ssl, g_first, sizeof(g_first));
        tls_watch(fd, t);
        return 1;
    }
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        t->is_want_write = e == SSL_ERROR_WANT_WRITE;
        tls_watch(fd, t);
        errno = EAGAIN;
        return 0;
    }
    if (g_hs_failed++ == 0) {
        fprintf(stderr, "wssload: first failed handshake (fd %d, SSL error %d):\n", fd, e);
        ERR_print_errors_fp(stderr);
    }
    errno = EPROTO;
    return -1;
}

static ssize_t wss_read(int fd, void *buf, size_t len)
{
    tls_conn_t *t = tls_of(fd);
    if (t == NULL)
        return read(fd, buf, len);
    if (!t->is_done && tls_handshake(fd, t) != 1)
        return -1;
    ERR_clear_error();
    int r = SSL_read(t->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
    if (r > 0)
        return r;
    switch (SSL_get_error(t->ssl, r)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE: errno = EAGAIN; return -1;
    case SSL_ERROR_ZERO_RETURN: return 0;
    default: errno = ECONNRESET; return -1;
    }
}

static ssize_t wss_write(int fd, const void *buf, size_t len)
{
    tls_conn_t *t = tls_of(fd);
    if (t == NULL)
        return write(fd, buf, len);
    if (!t->is_done && tls_handshake(fd, t) != 1)
        return -1;
    ERR_clear_error();
    int r = SSL_write(t->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
    if (r > 0)
        return r;
    int e = SSL_get_error(t->ssl, r);
    errno = e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? EAGAIN : EPIPE;
    return -1;
}

static int wss_close(int fd)
{
    tls_conn_t *t = tls_of(fd);
    if (t != NULL) {
        SSL_free(t->ssl);
        memset(t, 0, sizeof(*t));
    }
    return close(fd);
}

static tls_conn_t *tls_slot(int fd)
{
    if (fd >= g_tls_cap) {
        int cap = g_tls_cap ? g_tls_cap : 1024;
        while (cap <= fd)
            cap *= 2;
        tls_conn_t *grown = realloc(g_tls, (size_t)cap * sizeof(*grown));
        if (grown == NULL)
            tls_die("out of memory");
        memset(grown + g_tls_cap, 0, (size_t)(cap - g_tls_cap) * sizeof(*grown));
        g_tls = grown;
        g_tls_cap = cap;
    }
    return &g_tls[fd];
}

static int wss_epoll_ctl(int ep, int op, int fd, struct epoll_event *ev)
{
    g_ep_fd = ep;
    if (g_ctx != NULL && fd >= 0 && op == EPOLL_CTL_ADD) {
        /* wsload adds a socket before connecting it: keep its index for the later MODs */
        tls_conn_t *t = tls_slot(fd);
        t->asked = t->watched = ev->events;
        t->data = ev->data;
    }
    tls_conn_t *t = tls_of(fd);
    if (t == NULL || op != EPOLL_CTL_MOD)
        return epoll_ctl(ep, op, fd, ev);
    t->asked = ev->events;
    t->data = ev->data;
    tls_watch(fd, t);
    return 0;
}

static int wss_connect(int fd, const struct sockaddr *addr, socklen_t addr_len)
{
    int r = connect(fd, addr, addr_len);
    if (g_ctx == NULL || (r != 0 && errno != EINPROGRESS))
        return r;
    int saved = errno;
    tls_conn_t *t = tls_slot(fd); /* asked, watched, data: from wsload's EPOLL_CTL_ADD just before */
    t->is_done = t->is_want_write = 0;
    t->ssl = SSL_new(g_ctx);
    if (t->ssl == NULL || SSL_set_fd(t->ssl, fd) != 1)
        tls_die("SSL_new failed");
    SSL_set_connect_state(t->ssl);
    if (g_sni != NULL && SSL_set_tlsext_host_name(t->ssl, g_sni) != 1)
        tls_die("cannot set SNI");
    if (g_is_verify) {
        X509_VERIFY_PARAM *param = SSL_get0_param(t->ssl);
        struct in6_addr probe;
        int is_ip = inet_pton(AF_INET, g_verify_host, &probe) == 1 || inet_pton(AF_INET6, g_verify_host, &probe) == 1;
        if ((is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, g_verify_host)
                   : X509_VERIFY_PARAM_set1_host(param, g_verify_host, 0)) != 1)
            tls_die("cannot set the name to verify");
    }
    errno = saved;
    return r;
}

int main(int argc, char **argv)
{
    char **args = calloc((size_t)argc + 1, sizeof(*args));
    const char *ca = NULL;
    int n = 0, is_tls = 0;
    if (args == NULL)
        tls_die("out of memory");
    for (int i = 0; i < argc; i++) {
        if ((!strcmp(argv[i], "-C") || !strcmp(argv[i], "-N")) && i + 1 < argc) {
            if (argv[i][1] == 'C')
                ca = argv[i + 1];
            else
                g_sni = argv[i + 1];
            i++;
            continue;
        }
        args[n++] = argv[i];
        if (i > 0 && !strcmp(argv[i - 1], "-u") && !strncmp(argv[i], "wss://", 6)) {
            /* wsload parses ws:// only; the URL is the same past the scheme */
            size_t len = strlen(argv[i]);
            char *plain = malloc(len);
            if (plain == NULL)
                tls_die("out of memory");
            memcpy(plain, "ws://", 5);
            memcpy(plain + 5, argv[i] + 6, len - 5);
            args[n - 1] = plain;
            is_tls = 1;
            const char *host = argv[i] + 6;
            size_t host_len = strcspn(host, "/");
            if (host[0] == '[') {
                const char *end = memchr(host, ']', host_len);
                host_len = end != NULL ? (size_t)(end - host - 1) : 0;
                host++;
            } else {
                const char *colon = memchr(host, ':', host_len);
                if (colon != NULL)
                    host_len = (size_t)(colon - host);
            }
            if (host_len >= sizeof(g_verify_host))
                tls_die("host too long");
            memcpy(g_verify_host, host, host_len);
            g_verify_host[host_len] = '\0';
        }
    }
    if (is_tls) {
        g_ctx = SSL_CTX_new(TLS_client_method());
        if (g_ctx == NULL)
            tls_die("SSL_CTX_new failed");
        SSL_CTX_set_min_proto_version(g_ctx, TLS1_2_VERSION);
        /* a full handshake every time: no client session cache, no tickets asked for */
        SSL_CTX_set_session_cache_mode(g_ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(g_ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
        /* 19,000 idle connections then hold no record buffers in the load generator */
        SSL_CTX_set_mode(g_ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                                    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        if (ca != NULL) {
            if (SSL_CTX_load_verify_locations(g_ctx, ca, NULL) != 1)
                tls_die("cannot load the CA file given with -C");
            SSL_CTX_set_verify(g_ctx, SSL_VERIFY_PEER, NULL);
            g_is_verify = 1;
        }
        struct in6_addr probe;
        if (g_sni == NULL && inet_pton(AF_INET, g_verify_host, &probe) != 1 &&
            inet_pton(AF_INET6, g_verify_host, &probe) != 1)
            g_sni = g_verify_host;
    }
    int rc = wsload_main(n, args);
    if (is_tls)
        printf("tls handshakes=%lu failed=%lu resumed=%lu %s verify=%s\n", g_hs_ok, g_hs_failed, g_hs_resumed,
               g_first[0] ? g_first : "version=none", g_is_verify ? "on" : "off");
    return rc;
}
