/*
 * hsload.c: full TLS handshakes per second against an HTTPS server, for bench/tls.sh.
 *
 * Why not wrk: wrk reuses each connection's SSL object across reconnects (SSL_clear keeps the
 * session), so with "Connection: close" almost every handshake it makes is a resumption (nginx's
 * $ssl_session_reused said "r" for 730 of 738), which skips the certificate signature this
 * comparison is about. Here every connection gets a new SSL object and offers no session: a full
 * handshake (key exchange + the server's certificate signature), as a new browser would do.
 *
 *   hsload -a 127.0.0.1:PORT [-c 32] [-d 10] [-p /health] [-T 10] [-N sni]
 *
 * -c connections in flight (each: connect, handshake, one "GET PATH" with "Connection: close", read to
 * the end, close, start again), for -d seconds; -T per-connection timeout. Certificates are not
 * verified (as wrk; the server's CertificateVerify signature is still checked by the handshake).
 * Single thread, epoll, non-blocking. Output, one line:
 *   hsload requests=.. duration_us=.. handshakes=.. resumed=.. status_errors=.. connect_errors=..
 *          tls_errors=.. read_errors=.. timeouts=.. p50_us=.. p99_us=.. client_cpu_us_per_hs=..
 *          version=.. cipher=.. group=.. sig=..
 * requests = 2xx responses completed within the window; p50/p99 of connect-to-end per connection.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls_params.h"

enum { S_FREE = 0, S_CONNECTING, S_HANDSHAKE, S_WRITE, S_READ };

typedef struct {
    int fd;
    int state;
    SSL *ssl;
    uint64_t t0;
    char head[16];
    size_t head_len;
    uint32_t watched;
} conn_t;

static struct sockaddr_in g_addr;
static SSL_CTX *g_ctx;
static const char *g_sni;
static char g_req[512];
static int g_req_len;
static int g_ep;
static conn_t *C;
static int g_conns = 32;
static double g_secs = 10, g_timeout = 10;
static int g_running = 1;
static uint64_t g_t_start, g_t_end;
static unsigned long n_req, n_hs, n_resumed, e_status, e_connect, e_tls, e_read, e_timeout;
static uint64_t *g_lat;
static size_t g_nlat, g_caplat;
static char g_params[256] = "version=none";

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *m)
{
    fprintf(stderr, "hsload: %s\n", m);
    ERR_print_errors_fp(stderr);
    exit(2);
}

static void watch(int i, uint32_t ev)
{
    if (C[i].watched == ev)
        return;
    struct epoll_event e = {.events = ev, .data.u32 = (uint32_t)i};
    if (epoll_ctl(g_ep, EPOLL_CTL_MOD, C[i].fd, &e) != 0)
        die("epoll_ctl MOD");
    C[i].watched = ev;
}

/* end of one connection: counted as a request when it completed inside the window */
static void conn_end(int i, unsigned long *error)
{
    conn_t *c = &C[i];
    uint64_t now = now_ns();
    if (error != NULL) {
        if (now <= g_t_end)
            (*error)++;
    } else if (now <= g_t_end) {
        if (c->head_len >= 10 && !memcmp(c->head, "HTTP/1.", 7) && c->head[9] == '2') {
            n_req++;
            if (g_nlat == g_caplat) {
                g_caplat = g_caplat ? 2 * g_caplat : 65536;
                g_lat = realloc(g_lat, g_caplat * sizeof(*g_lat));
                if (g_lat == NULL)
                    die("out of memory");
            }
            g_lat[g_nlat++] = now - c->t0;
        } else {
            e_status++;
        }
    }
    if (c->ssl != NULL)
        SSL_free(c->ssl);
    epoll_ctl(g_ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    memset(c, 0, sizeof(*c)); /* S_FREE: the main loop opens the next one */
    c->fd = -1;
}

static void conn_open(int i)
{
    conn_t *c = &C[i];
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        die("socket");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->t0 = now_ns();
    c->state = S_CONNECTING;
    c->watched = EPOLLOUT;
    struct epoll_event e = {.events = EPOLLOUT, .data.u32 = (uint32_t)i};
    if (epoll_ctl(g_ep, EPOLL_CTL_ADD, c->fd, &e) != 0)
        die("epoll_ctl ADD");
    if (connect(c->fd, (struct sockaddr *)&g_addr, sizeof(g_addr)) != 0 && errno != EINPROGRESS)
        conn_end(i, &e_connect); /* reopened on the next loop turn, not here: no recursion */
}

/* what SSL wants next: watch for it; anything else ends the connection with ERROR */
static void wait_or_fail(int i, int r, unsigned long *error)
{
    int e = SSL_get_error(C[i].ssl, r);
    if (e == SSL_ERROR_WANT_READ)
        watch(i, EPOLLIN);
    else if (e == SSL_ERROR_WANT_WRITE)
        watch(i, EPOLLOUT);
    else
        conn_end(i, error);
}

static void step(int i)
{
    conn_t *c = &C[i];
    int r;
    ERR_clear_error();
    switch (c->state) {
    case S_CONNECTING: {
        int err = 0;
        socklen_t l = sizeof(err);
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err != 0) {
            conn_end(i, &e_connect);
            return;
        }
        c->ssl = SSL_new(g_ctx);
        if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
            die("SSL_new");
        SSL_set_connect_state(c->ssl);
        if (g_sni != NULL)
            SSL_set_tlsext_host_name(c->ssl, g_sni);
        c->state = S_HANDSHAKE;
    }
    /* fall through */
    case S_HANDSHAKE:
        r = SSL_do_handshake(c->ssl);
        if (r != 1) {
            wait_or_fail(i, r, &e_tls);
            return;
        }
        if (now_ns() <= g_t_end) {
            n_hs++;
            n_resumed += SSL_session_reused(c->ssl) ? 1 : 0;
        }
        if (!strcmp(g_params, "version=none"))
            tls_params_describe(c->ssl, g_params, sizeof(g_params));
        c->state = S_WRITE;
    /* fall through */
    case S_WRITE:
        r = SSL_write(c->ssl, g_req, g_req_len);
        if (r <= 0) {
            wait_or_fail(i, r, &e_read);
            return;
        }
        c->state = S_READ;
        watch(i, EPOLLIN);
    /* fall through */
    case S_READ:
        for (;;) {
            char buf[4096];
            r = SSL_read(c->ssl, buf, sizeof(buf));
            if (r > 0) {
                size_t take = sizeof(c->head) - c->head_len;
                if (take > (size_t)r)
                    take = (size_t)r;
                memcpy(c->head + c->head_len, buf, take);
                c->head_len += take;
                continue;
            }
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_ZERO_RETURN) {
                conn_end(i, NULL); /* the server closed after the response (Connection: close) */
            } else if (e == SSL_ERROR_WANT_READ) {
                watch(i, EPOLLIN);
            } else if (e == SSL_ERROR_WANT_WRITE) {
                watch(i, EPOLLOUT);
            } else if (c->head_len > 0) {
                conn_end(i, NULL); /* a reset after the response: the request still completed */
            } else {
                conn_end(i, &e_read);
            }
            return;
        }
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct_us(double p)
{
    if (g_nlat == 0)
        return 0;
    size_t k = (size_t)(p / 100.0 * (double)g_nlat + 0.999999);
    if (k < 1)
        k = 1;
    if (k > g_nlat)
        k = g_nlat;
    return (double)g_lat[k - 1] / 1e3;
}

int main(int argc, char **argv)
{
    const char *addr = NULL, *path = "/health";
    int opt;
    while ((opt = getopt(argc, argv, "a:c:d:p:T:N:")) != -1) {
        switch (opt) {
        case 'a': addr = optarg; break;
        case 'c': g_conns = atoi(optarg); break;
        case 'd': g_secs = atof(optarg); break;
        case 'p': path = optarg; break;
        case 'T': g_timeout = atof(optarg); break;
        case 'N': g_sni = optarg; break;
        default:
            fprintf(stderr, "usage: hsload -a 127.0.0.1:PORT [-c conns] [-d secs] [-p path] [-T timeout] [-N sni]\n");
            return 2;
        }
    }
    if (addr == NULL || g_conns < 1)
        die("-a 127.0.0.1:PORT is required");
    char host[64];
    const char *colon = strrchr(addr, ':');
    if (colon == NULL || (size_t)(colon - addr) >= sizeof(host))
        die("-a wants IPv4:PORT");
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    g_addr.sin_family = AF_INET;
    g_addr.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &g_addr.sin_addr) != 1)
        die("-a wants an IPv4 literal");
    g_req_len = snprintf(g_req, sizeof(g_req), "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, addr);

    g_ctx = SSL_CTX_new(TLS_client_method());
    if (g_ctx == NULL)
        die("SSL_CTX_new");
    SSL_CTX_set_min_proto_version(g_ctx, TLS1_2_VERSION);
    SSL_CTX_set_session_cache_mode(g_ctx, SSL_SESS_CACHE_OFF); /* never offer a session: full handshakes */
    SSL_CTX_set_options(g_ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_verify(g_ctx, SSL_VERIFY_NONE, NULL);

    signal(SIGPIPE, SIG_IGN);
    g_ep = epoll_create1(EPOLL_CLOEXEC);
    C = calloc((size_t)g_conns, sizeof(*C));
    if (g_ep < 0 || C == NULL)
        die("setup");
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    g_t_start = now_ns();
    g_t_end = g_t_start + (uint64_t)(g_secs * 1e9);
    for (int i = 0; i < g_conns; i++)
        C[i].fd = -1;
    struct epoll_event evs[256];
    uint64_t last_scan = g_t_start, to = (uint64_t)(g_timeout * 1e9);
    while (g_running) {
        for (int i = 0; i < g_conns; i++)
            if (C[i].state == S_FREE)
                conn_open(i);
        int n = epoll_wait(g_ep, evs, 256, 50);
        if (n < 0 && errno != EINTR)
            die("epoll_wait");
        for (int k = 0; k < n; k++) {
            int i = (int)evs[k].data.u32;
            if (C[i].fd >= 0 && C[i].state != S_FREE)
                step(i);
        }
        uint64_t now = now_ns();
        if (now >= g_t_end)
            g_running = 0;
        if (now - last_scan > 100000000ull) {
            last_scan = now;
            for (int i = 0; i < g_conns; i++)
                if (C[i].state != S_FREE && now - C[i].t0 > to)
                    conn_end(i, &e_timeout);
        }
    }
    getrusage(RUSAGE_SELF, &ru1);
    double cpu_us =
        (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) * 1e6 +
        (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec);
    qsort(g_lat, g_nlat, sizeof(*g_lat), cmp_u64);
    printf("hsload requests=%lu duration_us=%llu handshakes=%lu resumed=%lu status_errors=%lu connect_errors=%lu "
           "tls_errors=%lu read_errors=%lu timeouts=%lu p50_us=%.0f p99_us=%.0f client_cpu_us_per_hs=%.1f %s\n",
           n_req, (unsigned long long)((g_t_end - g_t_start) / 1000), n_hs, n_resumed, e_status, e_connect, e_tls,
           e_read, e_timeout, pct_us(50), pct_us(99), n_hs ? cpu_us / (double)n_hs : 0.0, g_params);
    return 0;
}
