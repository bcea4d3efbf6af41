/*
 * httpc_loop.c: httpc's loop transport: plain-HTTP calls to an IP address, made on the loop thread
 * with h2o's sockets and picohttpparser (httpc.c says why; httpc_internal.h what it shares).
 *
 * h2o 2.2.5's own HTTP/1 client is not used: it aborts the process on an assertion when an answer
 * has a Transfer-Encoding other than chunked or an invalid Content-Length (found by
 * fuzz/fuzz_backend_reply.c), and its socket pool takes each kept-alive connection out of the event
 * loop and back in for every call. Here the parsing is picohttpparser's (phr_parse_response and
 * phr_decode_chunked: libh2o exports them, h2o parses HTTP/1 with them, but does not install their
 * header, so their declarations are below, as in h2o 2.2.5's deps/picohttpparser/picohttpparser.h);
 * what is written here is the request head (as libcurl wrote it: Host, Accept, Content-Length, then
 * the caller's lines) and the RFC 7230 section 3.3.3 reading of where an answer's body ends.
 *
 * Each origin (address and port) keeps at most WG_LIMIT_BACKEND_POOL_CONNECTIONS idle kept-alive
 * connections, still watched by the loop: one its server closes (or sends anything to) is closed at
 * once, and one idle WG_LIMIT_HTTPC_KEEPALIVE_MS is closed too, under the common servers' own
 * keep-alive. A request on a reused connection that the server closes before any byte of an answer
 * is sent once more on a new connection, as libcurl does (an answer that is not HTTP is not retried).
 * How many calls run at once is decided by the callers' budgets (budget.h).
 *
 * Each call's whole time is bounded by one timer (timer.h): the caller's timeout, which already
 * counts from the event's receipt. The answer is delivered on the loop's next turn, never from inside
 * wg_httpc_loop_submit, after its connection went back to the pool.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "httpc_internal.h"
#include "limits.h"
#include "timer.h"

/* picohttpparser, as exported by libh2o (see above) */
struct phr_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};
struct phr_chunked_decoder {
    size_t bytes_left_in_chunk;
    char consume_trailer;
    char _hex_count;
    char _state;
};
int phr_parse_response(const char *buf, size_t len, int *minor_version, int *status, const char **msg, size_t *msg_len,
                       struct phr_header *headers, size_t *num_headers, size_t last_len);
ssize_t phr_decode_chunked(struct phr_chunked_decoder *decoder, char *buf, size_t *bufsz);

typedef union loop_addr {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
} loop_addr_t;

typedef struct loop_origin {
    char key[INET6_ADDRSTRLEN + 16]; /* "address port N", also in error messages */
    loop_addr_t addr;
    socklen_t addr_len;
    h2o_linklist_t idle; /* idle_conn_t, the most recently used first */
    size_t num_idle;
} loop_origin_t;

typedef struct idle_conn {
    h2o_linklist_t link;
    h2o_socket_t *sock;
    loop_origin_t *origin;
    wg_timer_t expiry;
} idle_conn_t;

struct wg_httpc_loop {
    h2o_loop_t *loop;
    wg_timer_lists_t *timers;
    loop_origin_t *origins[WG_LIMIT_HTTPC_ORIGINS];
    size_t num_origins;
    h2o_linklist_t calls; /* in flight */
    size_t in_flight;
};

typedef enum { BODY_NONE, BODY_LENGTH, BODY_CHUNKED, BODY_UNTIL_CLOSE } body_kind_t;

typedef struct loop_call {
    h2o_linklist_t link; /* in the client's calls */
    wg_httpc_loop_t *owner;
    wg_httpc_request_t req;
    loop_origin_t *origin;
    h2o_socket_t *sock; /* NULL when the call has no connection */
    wg_buf_t head; /* the request head */
    h2o_iovec_t reqbufs[2];
    bool is_head_method;
    bool is_reused; /* the connection came from the pool */
    bool has_head; /* the answer's head was read */
    bool can_keep_alive;
    body_kind_t body_kind;
    uint64_t body_left; /* BODY_LENGTH */
    struct phr_chunked_decoder chunked;
    wg_buf_t body; /* the answer, capped at WG_LIMIT_BACKEND_RESPONSE_BYTES */
    wg_buf_t headers; /* its status line and header lines, capped at WG_LIMIT_BACKEND_HEADER_BYTES */
    int status;
    const char *error; /* set when the call failed */
    char error_text[160];
    bool is_timeout;
    bool is_unanswered; /* the connection failed before any byte of an answer */
    bool is_retried;
    wg_timer_t deadline;
    wg_timer_t deliver; /* the next loop turn */
} loop_call_t;

static void start(loop_call_t *call);
static void on_deliver(wg_timer_t *timer);

static bool is_clean(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || s[i] == '#')
            return false;
    return true;
}

static loop_origin_t *find_origin(wg_httpc_loop_t *l, const struct sockaddr *sa, socklen_t salen, const char *key)
{
    for (size_t i = 0; i < l->num_origins; i++)
        if (strcmp(l->origins[i]->key, key) == 0)
            return l->origins[i];
    if (l->num_origins >= WG_LIMIT_HTTPC_ORIGINS)
        return NULL; /* libcurl takes the call */
    loop_origin_t *o = calloc(1, sizeof(*o));
    if (o == NULL)
        abort();
    snprintf(o->key, sizeof(o->key), "%s", key);
    memcpy(&o->addr, sa, salen);
    o->addr_len = salen;
    h2o_linklist_init_anchor(&o->idle);
    l->origins[l->num_origins++] = o;
    return o;
}

/* ---- the pool of idle connections ---------------------------------------------------------- */

static void close_idle(idle_conn_t *idle)
{
    wg_timer_stop(&idle->expiry);
    h2o_linklist_unlink(&idle->link);
    idle->origin->num_idle--;
    h2o_socket_close(idle->sock);
    free(idle);
}

/* Anything from an idle connection (its server closing it, or bytes nobody asked for) ends it. */
static void on_idle_read(h2o_socket_t *sock, const char *err)
{
    (void)err;
    close_idle(sock->data);
}

static void on_idle_expiry(wg_timer_t *timer)
{
    close_idle(H2O_STRUCT_FROM_MEMBER(idle_conn_t, expiry, timer));
}

static void pool_put(wg_httpc_loop_t *l, loop_origin_t *origin, h2o_socket_t *sock)
{
    if (origin->num_idle >= WG_LIMIT_BACKEND_POOL_CONNECTIONS) {
        h2o_socket_close(sock);
        return;
    }
    idle_conn_t *idle = calloc(1, sizeof(*idle));
    if (idle == NULL)
        abort();
    idle->sock = sock;
    idle->origin = origin;
    sock->data = idle;
    h2o_linklist_insert(origin->idle.next, &idle->link); /* first: the warmest is used next */
    origin->num_idle++;
    wg_timer_start(l->timers, &idle->expiry, WG_LIMIT_HTTPC_KEEPALIVE_MS, on_idle_expiry);
    h2o_socket_read_start(sock, on_idle_read);
}

static h2o_socket_t *pool_take(loop_origin_t *origin)
{
    if (h2o_linklist_is_empty(&origin->idle))
        return NULL;
    idle_conn_t *idle = H2O_STRUCT_FROM_MEMBER(idle_conn_t, link, origin->idle.next);
    h2o_socket_t *sock = idle->sock;
    wg_timer_stop(&idle->expiry);
    h2o_linklist_unlink(&idle->link);
    origin->num_idle--;
    free(idle);
    h2o_socket_read_stop(sock);
    return sock;
}

/* ---- one call ------------------------------------------------------------------------------ */

static void free_call(loop_call_t *call)
{
    wg_timer_stop(&call->deadline);
    wg_timer_stop(&call->deliver);
    h2o_linklist_unlink(&call->link);
    call->owner->in_flight--;
    wg_httpc_request_dispose(&call->req);
    wg_buf_free(&call->head);
    wg_buf_free(&call->body);
    wg_buf_free(&call->headers);
    free(call);
}

static void deliver(loop_call_t *call)
{
    wg_httpc_response_t res;
    memset(&res, 0, sizeof(res));
    res.status = call->status;
    res.body = call->body.data ? call->body.data : "";
    res.body_len = call->body.len;
    res.headers = call->headers.data ? call->headers.data : "";
    res.headers_len = call->headers.len;
    if (call->is_timeout) {
        res.is_timeout = 1;
        res.error = "timed out";
    } else if (call->error != NULL) {
        res.is_transport_error = 1;
        res.error = call->error;
        res.status = 0;
    }
    call->req.on_done(call->req.data, &res);
    free_call(call);
}

/* The call is over (answered, or `error`): its connection goes back to the pool when the answer
 * ended cleanly and the server keeps it, else it is closed; the answer is delivered next turn. */
static void finish(loop_call_t *call, const char *error)
{
    h2o_socket_t *sock = call->sock;
    call->sock = NULL;
    if (error != NULL && call->error == NULL) {
        snprintf(call->error_text, sizeof(call->error_text), "%s (%s)", error, call->origin->key);
        call->error = call->error_text;
    }
    if (sock != NULL) {
        h2o_socket_read_stop(sock);
        if (call->error == NULL && call->can_keep_alive && sock->input->size == 0)
            pool_put(call->owner, call->origin, sock);
        else
            h2o_socket_close(sock);
    }
    wg_timer_start(call->owner->timers, &call->deliver, 0, on_deliver);
}

static void on_deliver(wg_timer_t *timer)
{
    loop_call_t *call = H2O_STRUCT_FROM_MEMBER(loop_call_t, deliver, timer);
    if (call->error != NULL && call->is_unanswered && call->is_reused && !call->is_retried) {
        /* the pooled connection was closed under the request: once more, on a new one */
        call->is_retried = true;
        call->error = NULL;
        start(call);
        return;
    }
    deliver(call);
}

static void on_deadline(wg_timer_t *timer)
{
    loop_call_t *call = H2O_STRUCT_FROM_MEMBER(loop_call_t, deadline, timer);
    if (call->sock != NULL) {
        h2o_socket_close(call->sock);
        call->sock = NULL;
    }
    call->is_timeout = true;
    deliver(call);
}

static void append_capped(loop_call_t *call, wg_buf_t *buf, const void *data, size_t n, size_t limit)
{
    if (call->error != NULL)
        return;
    if (buf->len + n > limit) {
        snprintf(call->error_text, sizeof(call->error_text), "response larger than the cap (%s)", call->origin->key);
        call->error = call->error_text;
        return;
    }
    wg_buf_append(buf, data, n);
}

/* Content-Length: digits only, and one value however often it is sent (RFC 7230 3.3.2). */
static int read_length(const struct phr_header *h, uint64_t *len, bool *has_len)
{
    if (h->value_len == 0 || h->value_len > 18)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < h->value_len; i++) {
        if (h->value[i] < '0' || h->value[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(h->value[i] - '0');
    }
    if (*has_len && *len != v)
        return -1;
    *len = v;
    *has_len = true;
    return 0;
}

static bool value_has_token(const struct phr_header *h, const char *token)
{
    size_t tlen = strlen(token);
    const char *p = h->value, *end = h->value + h->value_len;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
            p++;
        const char *q = p;
        while (q < end && *q != ',')
            q++;
        const char *e = q;
        while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if ((size_t)(e - p) == tlen && strncasecmp(p, token, tlen) == 0)
            return true;
        p = q;
    }
    return false;
}

/* Reads the answer's head at the start of the input: -2 wait for more, -1 failed (finished), else
 * the head's length, with the body's framing set. 1xx answers are skipped here. */
static int read_head(loop_call_t *call, h2o_buffer_t **input)
{
    for (;;) {
        struct phr_header hs[WG_LIMIT_HTTPC_ANSWER_HEADERS];
        size_t num = WG_LIMIT_HTTPC_ANSWER_HEADERS;
        int minor = 0, status = 0;
        const char *msg = NULL;
        size_t msg_len = 0;
        int r = phr_parse_response((*input)->bytes, (*input)->size, &minor, &status, &msg, &msg_len, hs, &num, 0);
        if (r == -2) {
            if ((*input)->size > WG_LIMIT_BACKEND_HEADER_BYTES) {
                finish(call, "response headers larger than the cap");
                return -1;
            }
            return -2;
        }
        if (r < 0 || status < 100) {
            /* picohttpparser takes any three digits; below 100 is no status class at all */
            finish(call, "malformed HTTP answer");
            return -1;
        }
        if (status >= 100 && status < 200 && status != 101) {
            h2o_buffer_consume(input, (size_t)r); /* 100 Continue and the like: the answer follows */
            continue;
        }
        call->status = status;
        call->can_keep_alive = minor >= 1;
        bool is_chunked = false, has_len = false;
        uint64_t len = 0;
        wg_buf_t *h = &call->headers;
        char line[32];
        int n = snprintf(line, sizeof(line), "HTTP/1.%d %d ", minor, status);
        append_capped(call, h, line, (size_t)n, WG_LIMIT_BACKEND_HEADER_BYTES);
        append_capped(call, h, msg, msg_len, WG_LIMIT_BACKEND_HEADER_BYTES);
        append_capped(call, h, "\r\n", 2, WG_LIMIT_BACKEND_HEADER_BYTES);
        for (size_t i = 0; i < num; i++) {
            if (hs[i].name == NULL) {
                finish(call, "malformed HTTP answer (a folded header line)");
                return -1;
            }
            append_capped(call, h, hs[i].name, hs[i].name_len, WG_LIMIT_BACKEND_HEADER_BYTES);
            append_capped(call, h, ": ", 2, WG_LIMIT_BACKEND_HEADER_BYTES);
            append_capped(call, h, hs[i].value, hs[i].value_len, WG_LIMIT_BACKEND_HEADER_BYTES);
            append_capped(call, h, "\r\n", 2, WG_LIMIT_BACKEND_HEADER_BYTES);
            if (hs[i].name_len == 10 && strncasecmp(hs[i].name, "connection", 10) == 0) {
                if (value_has_token(&hs[i], "close"))
                    call->can_keep_alive = false;
                else if (value_has_token(&hs[i], "keep-alive"))
                    call->can_keep_alive = true;
            } else if (hs[i].name_len == 17 && strncasecmp(hs[i].name, "transfer-encoding", 17) == 0) {
                if (value_has_token(&hs[i], "chunked"))
                    is_chunked = true;
                else if (!value_has_token(&hs[i], "identity")) {
                    finish(call, "unsupported Transfer-Encoding in the answer");
                    return -1;
                }
            } else if (hs[i].name_len == 14 && strncasecmp(hs[i].name, "content-length", 14) == 0) {
                if (read_length(&hs[i], &len, &has_len) != 0) {
                    finish(call, "invalid Content-Length in the answer");
                    return -1;
                }
            }
        }
        append_capped(call, h, "\r\n", 2, WG_LIMIT_BACKEND_HEADER_BYTES);
        if (call->error != NULL) {
            finish(call, NULL);
            return -1;
        }
        /* where the body ends (RFC 7230 3.3.3) */
        if (call->is_head_method || status == 204 || status == 304) {
            call->body_kind = BODY_NONE;
        } else if (is_chunked) {
            call->body_kind = BODY_CHUNKED;
            call->chunked.consume_trailer = 1;
        } else if (has_len) {
            if (len > WG_LIMIT_BACKEND_RESPONSE_BYTES) {
                finish(call, "response larger than the cap");
                return -1;
            }
            call->body_kind = BODY_LENGTH;
            call->body_left = len;
        } else {
            call->body_kind = BODY_UNTIL_CLOSE;
            call->can_keep_alive = false;
        }
        return r;
    }
}

static void on_read(h2o_socket_t *sock, const char *err)
{
    loop_call_t *call = sock->data;
    if (!call->has_head) {
        /* h2o reports the bytes read and the server's close in one callback: read them first */
        if (err != NULL && sock->input->size == 0) {
            call->is_unanswered = true;
            finish(call, "connection closed before any answer");
            return;
        }
        int r = read_head(call, &sock->input);
        if (r == -1)
            return;
        if (r == -2) {
            if (err != NULL)
                finish(call, "connection closed in the answer's head");
            return;
        }
        call->has_head = true;
        h2o_buffer_consume(&sock->input, (size_t)r);
        if (call->body_kind == BODY_NONE) {
            finish(call, NULL);
            return;
        }
    }
    h2o_buffer_t *in = sock->input;
    switch (call->body_kind) {
    case BODY_LENGTH: {
        size_t n = in->size < call->body_left ? in->size : (size_t)call->body_left;
        append_capped(call, &call->body, in->bytes, n, WG_LIMIT_BACKEND_RESPONSE_BYTES);
        h2o_buffer_consume(&sock->input, n);
        call->body_left -= n;
        if (call->body_left == 0) {
            if (sock->input->size > 0)
                call->can_keep_alive = false; /* more than the answer: the connection is not reused */
            finish(call, NULL);
            return;
        }
        break;
    }
    case BODY_CHUNKED: {
        size_t n = in->size;
        ssize_t r = phr_decode_chunked(&call->chunked, in->bytes, &n);
        if (r == -1) {
            finish(call, "malformed chunked answer");
            return;
        }
        append_capped(call, &call->body, in->bytes, n, WG_LIMIT_BACKEND_RESPONSE_BYTES);
        h2o_buffer_consume(&sock->input, sock->input->size);
        if (r >= 0) {
            if (r > 0)
                call->can_keep_alive = false;
            finish(call, NULL);
            return;
        }
        break;
    }
    case BODY_UNTIL_CLOSE:
        append_capped(call, &call->body, in->bytes, in->size, WG_LIMIT_BACKEND_RESPONSE_BYTES);
        h2o_buffer_consume(&sock->input, sock->input->size);
        if (err != NULL) {
            finish(call, NULL); /* the close is the answer's end */
            return;
        }
        break;
    case BODY_NONE: break;
    }
    if (call->error != NULL) {
        finish(call, NULL);
        return;
    }
    if (err != NULL)
        finish(call, "connection closed before the answer ended");
}

static void on_written(h2o_socket_t *sock, const char *err)
{
    loop_call_t *call = sock->data;
    if (err != NULL) {
        call->is_unanswered = true;
        finish(call, "connection failed while sending the request");
        return;
    }
    h2o_socket_read_start(sock, on_read);
}

static void send_request(loop_call_t *call)
{
    call->reqbufs[0] = h2o_iovec_init(call->head.data, call->head.len);
    call->reqbufs[1] = h2o_iovec_init(call->req.body, call->req.body_len);
    h2o_socket_write(call->sock, call->reqbufs, call->req.body_len > 0 ? 2 : 1, on_written);
}

static void on_connect(h2o_socket_t *sock, const char *err)
{
    loop_call_t *call = sock->data;
    if (err != NULL) {
        finish(call, "connection failed");
        return;
    }
    send_request(call);
}

static void start(loop_call_t *call)
{
    wg_buf_reset(&call->body);
    wg_buf_reset(&call->headers);
    call->status = 0;
    call->has_head = false;
    call->is_unanswered = false;
    call->body_kind = BODY_NONE;
    memset(&call->chunked, 0, sizeof(call->chunked));
    h2o_socket_t *sock = pool_take(call->origin);
    call->is_reused = sock != NULL;
    if (sock == NULL) {
        sock = h2o_socket_connect(call->owner->loop, &call->origin->addr.sa, call->origin->addr_len, on_connect);
        if (sock == NULL) {
            finish(call, "cannot open a socket");
            return;
        }
        sock->data = call;
        call->sock = sock;
        return;
    }
    sock->data = call;
    call->sock = sock;
    send_request(call);
}

/* The request head, as libcurl wrote it: the request line, Host (unless the caller gave one),
 * Accept, Content-Length when there is a body or the method is POST, then the caller's lines. */
static int write_head(loop_call_t *call, const h2o_url_t *url)
{
    wg_buf_t *b = &call->head;
    const wg_httpc_request_t *req = &call->req;
    wg_buf_appendf(b, "%s %.*s HTTP/1.1\r\n", req->method, (int)url->path.len, url->path.base);
    bool has_host = false;
    for (size_t i = 0; i < req->num_headers; i++) {
        if (strpbrk(req->headers[i], "\r\n") != NULL)
            return -1;
        if (strncasecmp(req->headers[i], "Host:", 5) == 0)
            has_host = true;
    }
    if (!has_host) {
        /* the default port is left out, as libcurl does; an IPv6 address keeps its brackets */
        size_t host_len = url->authority.len;
        if (h2o_url_get_port(url) == 80 && url->_port != 65535)
            host_len =
                (size_t)((const char *)memrchr(url->authority.base, ':', url->authority.len) - url->authority.base);
        wg_buf_appendf(b, "Host: %.*s\r\n", (int)host_len, url->authority.base);
    }
    wg_buf_append_str(b, "Accept: */*\r\n");
    if (req->body != NULL || strcmp(req->method, "POST") == 0)
        wg_buf_appendf(b, "Content-Length: %zu\r\n", req->body_len);
    for (size_t i = 0; i < req->num_headers; i++) {
        wg_buf_append_str(b, req->headers[i]);
        wg_buf_append(b, "\r\n", 2);
    }
    wg_buf_append(b, "\r\n", 2);
    return 0;
}

int wg_httpc_loop_submit(wg_httpc_loop_t *l, wg_httpc_request_t *req)
{
    h2o_url_t url;
    if (h2o_url_parse(req->url, SIZE_MAX, &url) != 0 || url.scheme != &H2O_URL_SCHEME_HTTP ||
        !is_clean(url.authority.base, url.authority.len) || !is_clean(url.path.base, url.path.len) ||
        url.host.len >= INET6_ADDRSTRLEN)
        return -1;
    char host[INET6_ADDRSTRLEN];
    memcpy(host, url.host.base, url.host.len);
    host[url.host.len] = '\0';
    loop_addr_t addr;
    socklen_t addr_len;
    memset(&addr, 0, sizeof(addr));
    if (inet_pton(AF_INET, host, &addr.in.sin_addr) == 1) {
        addr.in.sin_family = AF_INET;
        addr.in.sin_port = htons(h2o_url_get_port(&url));
        addr_len = sizeof(addr.in);
    } else if (inet_pton(AF_INET6, host, &addr.in6.sin6_addr) == 1) {
        addr.in6.sin6_family = AF_INET6;
        addr.in6.sin6_port = htons(h2o_url_get_port(&url));
        addr_len = sizeof(addr.in6);
    } else {
        return -1; /* a host name */
    }
    char key[sizeof(((loop_origin_t *)0)->key)];
    snprintf(key, sizeof(key), "%s port %u", host, (unsigned)h2o_url_get_port(&url));
    loop_origin_t *origin = find_origin(l, &addr.sa, addr_len, key);
    if (origin == NULL)
        return -1;

    loop_call_t *call = calloc(1, sizeof(*call));
    if (call == NULL)
        abort();
    call->owner = l;
    call->req = *req;
    call->origin = origin;
    call->is_head_method = strcmp(req->method, "HEAD") == 0;
    if (write_head(call, &url) != 0) {
        /* the request as given cannot be sent (a line break in a header): libcurl would send it
         * as two headers; answered as a transport error instead */
        call->error = "request header holds a line break";
    }
    memset(req, 0, sizeof(*req));
    h2o_linklist_insert(&l->calls, &call->link);
    l->in_flight++;
    if (call->error != NULL) {
        wg_timer_start(l->timers, &call->deliver, 0, on_deliver);
        return 0;
    }
    wg_timer_start(l->timers, &call->deadline,
                   call->req.timeout_ms > 0 ? call->req.timeout_ms : WG_LIMIT_HTTPC_UNTIMED_MS, on_deadline);
    start(call);
    return 0;
}

wg_httpc_loop_t *wg_httpc_loop_new(h2o_loop_t *loop)
{
    wg_httpc_loop_t *l = calloc(1, sizeof(*l));
    if (l == NULL)
        abort();
    l->loop = loop;
    l->timers = wg_timer_new_lists(loop);
    h2o_linklist_init_anchor(&l->calls);
    return l;
}

void wg_httpc_loop_free(wg_httpc_loop_t *l)
{
    while (!h2o_linklist_is_empty(&l->calls)) {
        loop_call_t *call = H2O_STRUCT_FROM_MEMBER(loop_call_t, link, l->calls.next);
        if (call->sock != NULL) {
            h2o_socket_close(call->sock);
            call->sock = NULL;
        }
        if (call->error == NULL)
            call->error = "shutting down";
        deliver(call);
    }
    for (size_t i = 0; i < l->num_origins; i++) {
        while (!h2o_linklist_is_empty(&l->origins[i]->idle))
            close_idle(H2O_STRUCT_FROM_MEMBER(idle_conn_t, link, l->origins[i]->idle.next));
        free(l->origins[i]);
    }
    wg_timer_free_lists(l->timers);
    free(l);
}

size_t wg_httpc_loop_in_flight(const wg_httpc_loop_t *l)
{
    return l->in_flight;
}
