/*
 * test_httpc.c: the outgoing HTTP client (httpc.c) against a tiny HTTP server on 127.0.0.1 run by
 * the test itself (one thread, raw sockets, a scripted answer): the request as sent (method, path,
 * extra headers, body), the response as delivered on the loop thread (status, body, headers found
 * case-insensitively and trimmed), and the failure kinds: refused connection, timeout, a body over
 * WG_LIMIT_BACKEND_RESPONSE_BYTES. Each runs twice: to 127.0.0.1 (the loop transport, h2o's client)
 * and to localhost (a host name: the libcurl worker). Then what only the loop transport does:
 * keep-alive reuse, a second try when a pooled connection is closed under a request, chunked and
 * read-until-close answers, a header with a line break refused, calls in flight at shutdown.
 * Every wait is bounded (the loop runs at most LOOP_LIMIT_MS).
 */
/* strcasestr: _GNU_SOURCE comes from the build flags */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "httpc.h"
#include "limits.h"

#define LOOP_LIMIT_MS 10000

/* ---- the loopback server --------------------------------------------------------------------- */

typedef struct test_server {
    int listen_fd;
    int port;
    pthread_t thread;
    const char *answer; /* written verbatim after each request (NULL: never answer) */
    size_t answer_len;
    int max_conns; /* connections accepted (default 1) */
    int requests_on_first; /* requests served on the first connection (default 1) */
    int is_dropping_second; /* the first connection's second request is read, then the connection closed */
    const char *second_answer; /* the first connection's second answer, when not `answer` */
    int accepted, requests_seen;
    char request[8192]; /* the last request as received (head and body) */
    size_t request_len;
} test_server_t;

/* Reads one request: the head, then Content-Length bytes of body. */
static void read_request(test_server_t *s, int fd)
{
    size_t want = 0;
    while (s->request_len < sizeof(s->request) - 1) {
        ssize_t n = recv(fd, s->request + s->request_len, sizeof(s->request) - 1 - s->request_len, 0);
        if (n <= 0)
            break;
        s->request_len += (size_t)n;
        s->request[s->request_len] = '\0';
        char *end = strstr(s->request, "\r\n\r\n");
        if (end == NULL)
            continue;
        if (want == 0) {
            const char *cl = strcasestr(s->request, "\r\ncontent-length:");
            want = (size_t)(end + 4 - s->request) + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
        }
        if (s->request_len >= want)
            break;
    }
}

static void send_all(int fd, const char *p, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, p + off, len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
}

static void *serve(void *arg)
{
    test_server_t *s = arg;
    int max_conns = s->max_conns > 0 ? s->max_conns : 1;
    for (int c = 0; c < max_conns; c++) {
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0)
            return NULL;
        s->accepted++;
        struct timeval tv = {.tv_sec = LOOP_LIMIT_MS / 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        int requests = c == 0 && s->requests_on_first > 0 ? s->requests_on_first : 1;
        for (int r = 0; r < requests; r++) {
            s->request_len = 0;
            s->request[0] = '\0';
            read_request(s, fd);
            if (s->request_len == 0)
                break;
            s->requests_seen++;
            if (c == 0 && r == 1 && s->is_dropping_second)
                break;
            if (c == 0 && r == 1 && s->second_answer != NULL) {
                send_all(fd, s->second_answer, strlen(s->second_answer));
            } else if (s->answer != NULL) {
                send_all(fd, s->answer, s->answer_len);
            } else {
                /* never answer: wait until the client gives up and closes */
                char ch;
                while (recv(fd, &ch, 1, 0) > 0) {
                }
            }
        }
        close(fd);
    }
    return NULL;
}

/* Starts serving; `s`'s script fields (max_conns...) are kept when set before. */
static void server_start(test_server_t *s, const char *answer, size_t answer_len)
{
    s->answer = answer;
    s->answer_len = answer_len;
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(s->listen_fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(s->listen_fd, 4), 0);
    socklen_t len = sizeof(a);
    getsockname(s->listen_fd, (struct sockaddr *)&a, &len);
    s->port = ntohs(a.sin_port);
    ck_assert_int_eq(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(test_server_t *s)
{
    shutdown(s->listen_fd, SHUT_RDWR); /* unblocks accept if no call came */
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
}

/* ---- the client side: a loop, a queue, and what the callback saw ------------------------------ */

typedef struct seen {
    int calls;
    int is_transport_error;
    int is_timeout;
    int has_error_text;
    int status;
    char body[256];
    size_t body_len;
    char reply_header[64];
    int reply_header_found;
} seen_t;

static void on_done(void *data, const wg_httpc_response_t *res)
{
    seen_t *seen = data;
    seen->calls++;
    seen->is_transport_error = res->is_transport_error;
    seen->is_timeout = res->is_timeout;
    seen->has_error_text = res->error != NULL && res->error[0] != '\0';
    seen->status = res->status;
    seen->body_len = res->body_len;
    memcpy(seen->body, res->body, res->body_len < sizeof(seen->body) ? res->body_len : sizeof(seen->body) - 1);
    size_t len = 0;
    const char *v = wg_httpc_response_header(res, "x-REPLY", &len);
    seen->reply_header_found = v != NULL;
    if (v != NULL && len < sizeof(seen->reply_header))
        memcpy(seen->reply_header, v, len);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* h2o 2.2.5's h2o_multithread_destroy_queue does not free the queue itself: keep it reachable
 * (LeakSanitizer), as wsgate's own queue is (static storage). */
static h2o_multithread_queue_t *destroyed_queues[16];
static size_t num_destroyed_queues;

/* The host the tests' URLs name: 127.0.0.1 takes the loop transport, localhost (a name) libcurl's. */
static const char *const hosts[] = {"127.0.0.1", "localhost"};
static const char *test_host = "127.0.0.1";

typedef struct test_client {
    h2o_evloop_t *loop;
    h2o_multithread_queue_t *queue;
    wg_httpc_t *client;
} test_client_t;

static void client_open(test_client_t *c)
{
    c->loop = h2o_evloop_create();
    c->queue = h2o_multithread_create_queue(c->loop);
    ck_assert_uint_lt(num_destroyed_queues, sizeof(destroyed_queues) / sizeof(destroyed_queues[0]));
    destroyed_queues[num_destroyed_queues++] = c->queue;
    c->client = wg_httpc_new(c->loop, c->queue);
}

static void client_close(test_client_t *c)
{
    wg_httpc_free(c->client);
    h2o_multithread_destroy_queue(c->queue);
    h2o_evloop_destroy(c->loop);
}

/* Submits `req` and runs the loop until its callback ran (bounded); returns the elapsed ms. */
static uint64_t client_call(test_client_t *c, wg_httpc_request_t *req, seen_t *seen)
{
    req->on_done = on_done;
    req->data = seen;
    uint64_t start = now_ms();
    wg_httpc_submit(c->client, req);
    ck_assert_uint_eq(wg_httpc_in_flight(c->client), 1);
    while (seen->calls == 0 && now_ms() - start < LOOP_LIMIT_MS)
        h2o_evloop_run(c->loop, 50);
    uint64_t elapsed = now_ms() - start;
    ck_assert_msg(seen->calls == 1, "the callback ran %d times within %d ms", seen->calls, LOOP_LIMIT_MS);
    /* the loop transport hands its connection back on the next turn */
    h2o_evloop_run(c->loop, 0);
    ck_assert_uint_eq(wg_httpc_in_flight(c->client), 0);
    return elapsed;
}

/* One call on a client of its own. */
static uint64_t call(wg_httpc_request_t *req, seen_t *seen)
{
    test_client_t c;
    client_open(&c);
    uint64_t elapsed = client_call(&c, req, seen);
    client_close(&c);
    return elapsed;
}

static char *url_of(int port, const char *path)
{
    char *url = malloc(128);
    snprintf(url, 128, "http://%s:%d%s", test_host, port, path);
    return url;
}

/* ---- tests ------------------------------------------------------------------------------------- */

START_TEST(test_post_round_trip)
{
    test_host = hosts[_i];
    static const char answer[] = "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nX-Reply:   spaced value  \r\n"
                                 "Content-Length: 5\r\n\r\nhello";
    test_server_t s = {0};
    server_start(&s, answer, sizeof(answer) - 1);
    wg_httpc_request_t req = {.method = "POST", .url = url_of(s.port, "/events?x=1"), .timeout_ms = 5000};
    req.body = strdup("{\"k\":\"v\"}");
    req.body_len = strlen(req.body);
    ck_assert_int_eq(wg_httpc_add_header(&req, "X-Test", "one", 3), 0);
    ck_assert_int_eq(wg_httpc_add_header(&req, "Content-Type", "application/json", 16), 0);
    seen_t seen = {0};
    call(&req, &seen);
    server_stop(&s);

    ck_assert_int_eq(seen.is_transport_error, 0);
    ck_assert_int_eq(seen.is_timeout, 0);
    ck_assert_int_eq(seen.status, 201);
    ck_assert_uint_eq(seen.body_len, 5);
    ck_assert_str_eq(seen.body, "hello");
    ck_assert_int_eq(seen.reply_header_found, 1);
    ck_assert_str_eq(seen.reply_header, "spaced value");
    /* what the server received */
    ck_assert_msg(strncmp(s.request, "POST /events?x=1 HTTP/1.1\r\n", 27) == 0, "request line: %.40s", s.request);
    ck_assert_ptr_nonnull(strstr(s.request, "\r\nX-Test: one\r\n"));
    ck_assert_ptr_nonnull(strstr(s.request, "\r\nContent-Type: application/json\r\n"));
    ck_assert_ptr_nonnull(strcasestr(s.request, "\r\nContent-Length: 9\r\n"));
    ck_assert_str_eq(strstr(s.request, "\r\n\r\n") + 4, "{\"k\":\"v\"}");
}
END_TEST

START_TEST(test_get_without_body_and_missing_header)
{
    test_host = hosts[_i];
    static const char answer[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    test_server_t s = {0};
    server_start(&s, answer, sizeof(answer) - 1);
    wg_httpc_request_t req = {.method = "GET", .url = url_of(s.port, "/thing"), .timeout_ms = 5000};
    seen_t seen = {0};
    call(&req, &seen);
    server_stop(&s);
    /* an HTTP error status is an answer, not a transport error */
    ck_assert_int_eq(seen.is_transport_error, 0);
    ck_assert_int_eq(seen.status, 404);
    ck_assert_uint_eq(seen.body_len, 0);
    ck_assert_int_eq(seen.reply_header_found, 0);
    ck_assert_msg(strncmp(s.request, "GET /thing HTTP/1.1\r\n", 21) == 0, "request line: %.40s", s.request);
}
END_TEST

START_TEST(test_connection_refused)
{
    test_host = hosts[_i];
    /* a port bound and released: nothing listens there */
    test_server_t s = {0};
    server_start(&s, "", 0);
    int port = s.port;
    server_stop(&s);
    wg_httpc_request_t req = {.method = "POST", .url = url_of(port, "/"), .timeout_ms = 5000};
    seen_t seen = {0};
    call(&req, &seen);
    ck_assert_int_eq(seen.is_transport_error, 1);
    ck_assert_int_eq(seen.is_timeout, 0);
    ck_assert_int_eq(seen.status, 0);
    ck_assert_int_eq(seen.has_error_text, 1);
}
END_TEST

START_TEST(test_timeout)
{
    test_host = hosts[_i];
    test_server_t s = {0};
    server_start(&s, NULL, 0); /* accepts, reads, never answers */
    wg_httpc_request_t req = {.method = "POST", .url = url_of(s.port, "/slow"), .timeout_ms = 300};
    seen_t seen = {0};
    uint64_t elapsed = call(&req, &seen);
    server_stop(&s);
    ck_assert_int_eq(seen.is_timeout, 1);
    ck_assert_int_eq(seen.status, 0);
    ck_assert_int_eq(seen.has_error_text, 1);
    /* it gave up because of the timeout, not because the loop's bound ran out */
    ck_assert_msg(elapsed >= 250 && elapsed < LOOP_LIMIT_MS - 1000, "elapsed %llu ms", (unsigned long long)elapsed);
}
END_TEST

/* A POST to a server that answers `answer` (verbatim) to it. */
static void call_answered(const char *answer, size_t len, seen_t *seen)
{
    test_server_t s = {0};
    server_start(&s, answer, len);
    wg_httpc_request_t req = {.method = "POST", .url = url_of(s.port, "/big"), .timeout_ms = 5000};
    call(&req, seen);
    server_stop(&s);
}

/* A POST to a server that answers 200 with a body of `body_len` bytes. */
static void call_with_answer_body(size_t body_len, seen_t *seen)
{
    char head[128];
    int head_len = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", body_len);
    char *answer = malloc((size_t)head_len + body_len);
    memcpy(answer, head, (size_t)head_len);
    memset(answer + head_len, 'b', body_len);
    call_answered(answer, (size_t)head_len + body_len, seen);
    free(answer);
}

START_TEST(test_body_over_cap)
{
    test_host = hosts[_i];
    seen_t seen = {0};
    call_with_answer_body(WG_LIMIT_BACKEND_RESPONSE_BYTES + 1, &seen);
    ck_assert_int_eq(seen.is_transport_error, 1);
    ck_assert_int_eq(seen.status, 0);
}
END_TEST

START_TEST(test_body_at_cap_is_delivered)
{
    test_host = hosts[_i];
    seen_t seen = {0};
    call_with_answer_body(WG_LIMIT_BACKEND_RESPONSE_BYTES, &seen);
    ck_assert_int_eq(seen.is_transport_error, 0);
    ck_assert_int_eq(seen.status, 200);
    ck_assert_uint_eq(seen.body_len, WG_LIMIT_BACKEND_RESPONSE_BYTES);
}
END_TEST

START_TEST(test_header_limit)
{
    wg_httpc_request_t req = {0};
    for (int i = 0; i < WG_LIMIT_HTTPC_HEADERS; i++)
        ck_assert_int_eq(wg_httpc_add_header(&req, "X-N", "v", 1), 0);
    ck_assert_int_eq(wg_httpc_add_header(&req, "X-Over", "v", 1), -1);
    ck_assert_uint_eq(req.num_headers, WG_LIMIT_HTTPC_HEADERS);
    /* the value is copied with its length, not up to a NUL */
    ck_assert_str_eq(req.headers[0], "X-N: v");
    for (size_t i = 0; i < req.num_headers; i++)
        free(req.headers[i]);
}
END_TEST

/* ---- the loop transport only ---------------------------------------------------------------- */

static const char ok_answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/* Serves `s` (its script set by the caller) with ok_answer, and makes two calls in a row, to /a
 * then /b, on one client. */
static void two_calls(test_server_t *s, seen_t *first, seen_t *second)
{
    server_start(s, ok_answer, sizeof(ok_answer) - 1);
    test_client_t c;
    client_open(&c);
    wg_httpc_request_t req1 = {.method = "POST", .url = url_of(s->port, "/a"), .timeout_ms = 5000};
    client_call(&c, &req1, first);
    wg_httpc_request_t req2 = {.method = "POST", .url = url_of(s->port, "/b"), .timeout_ms = 5000};
    client_call(&c, &req2, second);
    client_close(&c);
    server_stop(s);
}

/* Two calls in a row to one origin: the second goes on the first's connection. */
START_TEST(test_keepalive_reuses_connection)
{
    test_server_t s = {.requests_on_first = 2};
    seen_t first = {0}, second = {0};
    two_calls(&s, &first, &second);
    ck_assert_int_eq(first.status, 200);
    ck_assert_int_eq(second.status, 200);
    ck_assert_str_eq(second.body, "ok");
    ck_assert_int_eq(s.accepted, 1);
    ck_assert_int_eq(s.requests_seen, 2);
    ck_assert_msg(strncmp(s.request, "POST /b HTTP/1.1\r\n", 18) == 0, "request line: %.40s", s.request);
}
END_TEST

/* The server closes the pooled connection as the second request arrives: that request is sent
 * once more on a new connection and answered. */
START_TEST(test_closed_under_request_is_tried_again)
{
    test_server_t s = {.requests_on_first = 2, .is_dropping_second = 1, .max_conns = 2};
    seen_t first = {0}, second = {0};
    two_calls(&s, &first, &second);
    ck_assert_int_eq(first.status, 200);
    ck_assert_int_eq(second.is_transport_error, 0);
    ck_assert_int_eq(second.status, 200);
    ck_assert_int_eq(s.accepted, 2);
    ck_assert_int_eq(s.requests_seen, 3);
}
END_TEST

/* An answer that is not HTTP on a reused connection is an answer: not sent again. */
START_TEST(test_garbage_on_reused_connection_is_not_retried)
{
    test_server_t s = {.requests_on_first = 2, .max_conns = 2, .second_answer = "garbage, not HTTP\r\n\r\n"};
    seen_t first = {0}, second = {0};
    two_calls(&s, &first, &second);
    ck_assert_int_eq(first.status, 200);
    ck_assert_int_eq(second.is_transport_error, 1);
    ck_assert_int_eq(s.accepted, 1);
    ck_assert_int_eq(s.requests_seen, 2);
}
END_TEST

START_TEST(test_chunked_answer)
{
    static const char answer[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Reply: c\r\n\r\n"
                                 "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n";
    seen_t seen = {0};
    call_answered(answer, sizeof(answer) - 1, &seen);
    ck_assert_int_eq(seen.status, 200);
    ck_assert_str_eq(seen.body, "abcdefg");
    ck_assert_str_eq(seen.reply_header, "c");
}
END_TEST

START_TEST(test_answer_read_until_close)
{
    static const char answer[] = "HTTP/1.0 200 OK\r\n\r\nto the end";
    seen_t seen = {0};
    call_answered(answer, sizeof(answer) - 1, &seen);
    ck_assert_int_eq(seen.is_transport_error, 0);
    ck_assert_int_eq(seen.status, 200);
    ck_assert_str_eq(seen.body, "to the end");
}
END_TEST

/* Answers h2o 2.2.5's own client aborted the process on (an assertion), found by
 * fuzz/fuzz_backend_reply.c: a transport error each, as libcurl reports them. */
START_TEST(test_unreadable_framing_is_a_transport_error)
{
    static const char *const answers[] = {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nhello",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
    };
    for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
        seen_t seen = {0};
        call_answered(answers[i], strlen(answers[i]), &seen);
        ck_assert_msg(seen.is_transport_error == 1 && seen.status == 0, "answer %zu: status %d", i, seen.status);
        ck_assert_int_eq(seen.has_error_text, 1);
    }
}
END_TEST

START_TEST(test_line_break_in_header_is_refused)
{
    wg_httpc_request_t req = {.method = "POST", .url = strdup("http://127.0.0.1:9/"), .timeout_ms = 5000};
    ck_assert_int_eq(wg_httpc_add_header(&req, "X-Bad", "a\r\nX-Injected: 1", 17), 0);
    seen_t seen = {0};
    call(&req, &seen);
    ck_assert_int_eq(seen.is_transport_error, 1);
    ck_assert_int_eq(seen.has_error_text, 1);
}
END_TEST

/* A call in flight when the client is freed completes once, with a transport error. */
START_TEST(test_in_flight_at_shutdown)
{
    test_server_t s = {0};
    server_start(&s, NULL, 0); /* never answers */
    test_client_t c;
    client_open(&c);
    seen_t seen = {0};
    wg_httpc_request_t req = {
        .method = "POST", .url = url_of(s.port, "/"), .timeout_ms = 5000, .on_done = on_done, .data = &seen};
    wg_httpc_submit(c.client, &req);
    uint64_t start = now_ms();
    while (s.requests_seen == 0 && now_ms() - start < LOOP_LIMIT_MS)
        h2o_evloop_run(c.loop, 10);
    ck_assert_int_eq(seen.calls, 0);
    client_close(&c);
    server_stop(&s);
    ck_assert_int_eq(seen.calls, 1);
    ck_assert_int_eq(seen.is_transport_error, 1);
}
END_TEST

Suite *wg_test_suite_httpc(void)
{
    Suite *s = suite_create("httpc");
    TCase *tc = tcase_create("loopback");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_post_round_trip, 0, 2);
    tcase_add_loop_test(tc, test_get_without_body_and_missing_header, 0, 2);
    tcase_add_loop_test(tc, test_connection_refused, 0, 2);
    tcase_add_loop_test(tc, test_timeout, 0, 2);
    tcase_add_loop_test(tc, test_body_over_cap, 0, 2);
    tcase_add_loop_test(tc, test_body_at_cap_is_delivered, 0, 2);
    tcase_add_test(tc, test_header_limit);
    tcase_add_test(tc, test_keepalive_reuses_connection);
    tcase_add_test(tc, test_closed_under_request_is_tried_again);
    tcase_add_test(tc, test_garbage_on_reused_connection_is_not_retried);
    tcase_add_test(tc, test_chunked_answer);
    tcase_add_test(tc, test_answer_read_until_close);
    tcase_add_test(tc, test_unreadable_framing_is_a_transport_error);
    tcase_add_test(tc, test_line_break_in_header_is_refused);
    tcase_add_test(tc, test_in_flight_at_shutdown);
    suite_add_tcase(s, tc);
    return s;
}
