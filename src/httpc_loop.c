/*
 * httpc_loop.c: httpc's loop transport: h2o's HTTP/1 client on the loop thread, for plain-HTTP
 * calls to an IP address (httpc.c says why; httpc_internal.h what it shares).
 *
 * Each origin (address and port) has an h2o socket pool of keep-alive connections; idle ones are
 * closed after WG_LIMIT_HTTPC_KEEPALIVE_MS. How many calls run at once is not decided here: every
 * caller holds a slot of its target's budget (budget.h), so an origin never has more connections
 * than its targets have slots. h2o 2.2.5's client writes the request bytes it is given and reads
 * the answer (Content-Length, chunked or until close); the request head is written here, as
 * libcurl wrote it (Host, Accept, Content-Length, then the caller's lines).
 *
 * Each call's whole time is bounded by one timer (timer.h): the caller's timeout, which already
 * counts from the event's receipt. The answer is delivered on the loop's next turn, once h2o has
 * put the connection back in its pool, so a call the completion starts reuses it.
 *
 * A pooled connection the server closed is seen before reuse (h2o peeks at it); a request on a
 * reused connection that the server closes or resets before any byte of an answer is sent once
 * more, on a new connection, as libcurl does (an answer that is not HTTP is not retried). When h2o
 * finds a pooled connection closed by its server before WG_LIMIT_HTTPC_KEEPALIVE_MS, it prints one
 * "[WARN] detected close by upstream before the expected timeout" line to stderr, once per process.
 *
 * Host names are not taken: h2o 2.2.5 connects to one address of a name's, picked at random, where
 * libcurl tries each (`localhost` is ::1 and 127.0.0.1, and a server may listen on one of them).
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

typedef struct loop_origin {
    char key[INET6_ADDRSTRLEN + 16]; /* "address port N", also in error messages */
    h2o_socketpool_t pool;
} loop_origin_t;

struct wg_httpc_loop {
    h2o_loop_t *loop;
    h2o_http1client_ctx_t ctx;
    h2o_timeout_t io_timeout;
    wg_timer_lists_t *timers;
    loop_origin_t *origins[WG_LIMIT_HTTPC_ORIGINS];
    size_t num_origins;
    h2o_linklist_t calls; /* in flight */
    size_t in_flight;
};

typedef struct loop_call {
    h2o_linklist_t link; /* in the client's calls */
    wg_httpc_loop_t *owner;
    wg_httpc_request_t req;
    loop_origin_t *origin;
    h2o_http1client_t *client; /* NULL once h2o is done with it */
    wg_buf_t head; /* the request head */
    h2o_iovec_t reqbufs[2];
    wg_buf_t body; /* the answer, capped at WG_LIMIT_BACKEND_RESPONSE_BYTES */
    wg_buf_t headers; /* its status line and header lines, capped at WG_LIMIT_BACKEND_HEADER_BYTES */
    int status;
    const char *error; /* set when the call failed */
    char error_text[128];
    bool is_timeout;
    bool is_unanswered_io_error; /* the connection failed before any byte of an answer */
    bool may_reuse; /* the pool had an idle connection when the call started */
    bool is_retried;
    wg_timer_t deadline;
    wg_timer_t deliver; /* the next loop turn, after h2o has returned the connection */
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
    h2o_socketpool_init_by_address(&o->pool, (struct sockaddr *)sa, salen, 0, WG_LIMIT_TARGET_CONCURRENCY);
    h2o_socketpool_set_timeout(&o->pool, l->loop, WG_LIMIT_HTTPC_KEEPALIVE_MS);
    l->origins[l->num_origins++] = o;
    return o;
}

static void append_capped(loop_call_t *call, wg_buf_t *buf, const void *data, size_t n, size_t limit)
{
    if (buf->len + n > limit) {
        call->error = "response larger than the cap";
        return;
    }
    wg_buf_append(buf, data, n);
}

static void finish(loop_call_t *call, const char *error)
{
    call->client = NULL; /* h2o closes or pools the connection when the callback returns */
    if (error != NULL && call->error == NULL) {
        snprintf(call->error_text, sizeof(call->error_text), "%s (%s)", error, call->origin->key);
        call->error = call->error_text;
    }
    wg_timer_start(call->owner->timers, &call->deliver, 0, on_deliver);
}

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

static void on_deliver(wg_timer_t *timer)
{
    loop_call_t *call = H2O_STRUCT_FROM_MEMBER(loop_call_t, deliver, timer);
    if (call->error != NULL && call->is_unanswered_io_error && call->may_reuse && !call->is_retried) {
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
    if (call->client != NULL) {
        h2o_http1client_cancel(call->client); /* closes the connection; no callback runs */
        call->client = NULL;
    }
    call->is_timeout = true;
    deliver(call);
}

static int on_body(h2o_http1client_t *client, const char *errstr)
{
    loop_call_t *call = client->data;
    h2o_buffer_t *in = client->sock != NULL ? client->sock->input : NULL;
    if (in != NULL && in->size > 0) {
        append_capped(call, &call->body, in->bytes, in->size, WG_LIMIT_BACKEND_RESPONSE_BYTES);
        h2o_buffer_consume(&client->sock->input, in->size);
    }
    if (errstr == h2o_http1client_error_is_eos) {
        finish(call, NULL);
        return 0;
    }
    if (errstr != NULL || call->error != NULL) {
        finish(call, errstr); /* h2o closes the connection: -1, or its own error */
        return -1;
    }
    return 0;
}

static h2o_http1client_body_cb on_head(h2o_http1client_t *client, const char *errstr, int minor_version, int status,
                                       h2o_iovec_t msg, h2o_header_t *headers, size_t num_headers, int rlen)
{
    (void)rlen;
    loop_call_t *call = client->data;
    if (errstr != NULL && errstr != h2o_http1client_error_is_eos) {
        /* h2o's texts: "I/O error (head)" (closed or reset), "failed to parse the response"... */
        call->is_unanswered_io_error =
            strncmp(errstr, "I/O error", 9) == 0 && (client->sock == NULL || client->sock->input->size == 0);
        finish(call, errstr);
        return NULL;
    }
    call->status = status;
    wg_buf_t *h = &call->headers;
    char line[32];
    int n = snprintf(line, sizeof(line), "HTTP/1.%d %d ", minor_version, status);
    append_capped(call, h, line, (size_t)n, WG_LIMIT_BACKEND_HEADER_BYTES);
    append_capped(call, h, msg.base, msg.len, WG_LIMIT_BACKEND_HEADER_BYTES);
    append_capped(call, h, "\r\n", 2, WG_LIMIT_BACKEND_HEADER_BYTES);
    for (size_t i = 0; i < num_headers && call->error == NULL; i++) {
        append_capped(call, h, headers[i].orig_name, headers[i].name->len, WG_LIMIT_BACKEND_HEADER_BYTES);
        append_capped(call, h, ": ", 2, WG_LIMIT_BACKEND_HEADER_BYTES);
        append_capped(call, h, headers[i].value.base, headers[i].value.len, WG_LIMIT_BACKEND_HEADER_BYTES);
        append_capped(call, h, "\r\n", 2, WG_LIMIT_BACKEND_HEADER_BYTES);
    }
    append_capped(call, h, "\r\n", 2, WG_LIMIT_BACKEND_HEADER_BYTES);
    if (call->error != NULL || errstr == h2o_http1client_error_is_eos) {
        finish(call, NULL); /* no body (HEAD, 204, 304) or headers over the cap */
        return NULL;
    }
    return on_body;
}

static h2o_http1client_head_cb on_connect(h2o_http1client_t *client, const char *errstr, h2o_iovec_t **reqbufs,
                                          size_t *reqbufcnt, int *method_is_head)
{
    loop_call_t *call = client->data;
    if (errstr != NULL) {
        finish(call, errstr);
        return NULL;
    }
    call->reqbufs[0] = h2o_iovec_init(call->head.data, call->head.len);
    call->reqbufs[1] = h2o_iovec_init(call->req.body, call->req.body_len);
    *reqbufs = call->reqbufs;
    *reqbufcnt = call->req.body_len > 0 ? 2 : 1;
    *method_is_head = strcmp(call->req.method, "HEAD") == 0;
    return on_head;
}

static void start(loop_call_t *call)
{
    h2o_socketpool_t *pool = &call->origin->pool;
    pthread_mutex_lock(&pool->_shared.mutex);
    call->may_reuse = !h2o_linklist_is_empty(&pool->_shared.sockets);
    pthread_mutex_unlock(&pool->_shared.mutex);
    wg_buf_reset(&call->body);
    wg_buf_reset(&call->headers);
    call->status = 0;
    call->is_unanswered_io_error = false;
    h2o_http1client_connect_with_pool(&call->client, call, &call->owner->ctx, pool, on_connect);
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
    union {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
    } addr;
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
    if (write_head(call, &url) != 0) {
        /* the request as given cannot be sent (a line break in a header): libcurl would send it
         * as two headers; answered as a transport error instead */
        call->error = "request header holds a line break";
    }
    memset(req, 0, sizeof(*req));
    h2o_linklist_insert(&l->calls, &call->link);
    l->in_flight++;
    if (call->error != NULL) {
        call->is_retried = true;
        wg_timer_start(l->timers, &call->deliver, 0, on_deliver);
        return 0;
    }
    if (call->req.timeout_ms > 0)
        wg_timer_start(l->timers, &call->deadline, call->req.timeout_ms, on_deadline);
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
    /* h2o's per-step I/O timeout; each call's own timer ends it first (a call without a timeout
     * is still bounded by this) */
    h2o_timeout_init(loop, &l->io_timeout, WG_LIMIT_HTTPC_IO_TIMEOUT_MS);
    l->ctx.loop = loop;
    l->ctx.io_timeout = &l->io_timeout;
    h2o_linklist_init_anchor(&l->calls);
    return l;
}

void wg_httpc_loop_free(wg_httpc_loop_t *l)
{
    while (!h2o_linklist_is_empty(&l->calls)) {
        loop_call_t *call = H2O_STRUCT_FROM_MEMBER(loop_call_t, link, l->calls.next);
        if (call->client != NULL) {
            h2o_http1client_cancel(call->client);
            call->client = NULL;
        }
        if (call->error == NULL)
            call->error = "shutting down";
        deliver(call);
    }
    for (size_t i = 0; i < l->num_origins; i++) {
        h2o_socketpool_dispose(&l->origins[i]->pool);
        free(l->origins[i]);
    }
    h2o_timeout_dispose(l->loop, &l->io_timeout);
    wg_timer_free_lists(l->timers);
    free(l);
}

size_t wg_httpc_loop_in_flight(const wg_httpc_loop_t *l)
{
    return l->in_flight;
}
