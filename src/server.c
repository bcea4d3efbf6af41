/*
 * server.c: the HTTP path table and the event loop (see server.h); listening sockets, TLS and
 * the plain/TLS dispatch are listener.c's, answers (and the typed 413) http_reply.c's. Each module a
 * path leads to gets what it needs: mgmt_api and test_control a narrow context, the rest wg_server_t.
 *
 * Path table (one port, like execute-api, AWS-MGMT-7, AWS-ID-19):
 *   GET /health                              wsgate's health (not AWS)
 *   GET /_wsgate/connections                 open connection ids, for tests (not AWS)
 *   /{stage}  (WebSocket handshake)          the WebSocket API; query kept for $connect
 *   /{stage}/@connections/{id}               the management API (also %40connections)
 *   anything else                            403 {"message":"Forbidden"} (ForbiddenException)
 * With --custom-domain the stage segment is omitted, as with an empty base path mapping.
 */
#include "server.h"

#include <stdbool.h>
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "conns.h"
#include "errors.h"
#include "functions.h"
#include "http_reply.h"
#include "httpc.h"
#include "listener.h"
#include "inspector_http.h"
#include "limits.h"
#include "log.h"
#include "mgmt_api.h"
#include "recorder.h"
#include "routes.h"
#include "test_control.h"
#include "timer.h"
#include "tls.h"
#include "urlcodec.h"

#include <h2o/websocket.h>

typedef struct server_handler {
    h2o_handler_t super;
    wg_server_t *server;
} server_handler_t;

static void send_forbidden(h2o_req_t *req)
{
    wg_http_reply_aws_error(req, WG_AWS_ERR_FORBIDDEN, NULL);
}

static void handle_health(wg_server_t *server, h2o_req_t *req)
{
    json_t *doc = json_object();
    json_object_set_new(doc, "status", json_string(server->is_shutting_down ? "stopping" : "ok"));
    json_object_set_new(doc, "connections", json_integer((json_int_t)wg_conns_count_open(server->conns)));
    json_object_set_new(doc, "uptime", json_integer((json_int_t)((wg_clock_now_ms() - server->started_at_ms) / 1000)));
    wg_http_reply_json(req, 200, doc);
}

static void list_one(wg_conn_t *conn, void *arg)
{
    json_array_append_new(arg, json_string(wg_conn_id(conn)));
}

static void handle_list(wg_server_t *server, h2o_req_t *req)
{
    json_t *ids = json_array();
    wg_conns_foreach_open(server->conns, list_one, ids);
    json_t *doc = json_object();
    json_object_set_new(doc, "connections", ids);
    wg_http_reply_json(req, 200, doc);
}

static bool path_is(const char *path, size_t len, const char *lit)
{
    return len == strlen(lit) && memcmp(path, lit, len) == 0;
}

/* If `rest` starts with "/@connections/" or "/%40connections/", returns the length of that prefix. */
static size_t connections_prefix(const char *rest, size_t len)
{
    static const char at[] = "/@connections/", pct[] = "/%40connections/";
    if (len >= sizeof(at) - 1 && memcmp(rest, at, sizeof(at) - 1) == 0)
        return sizeof(at) - 1;
    if (len >= sizeof(pct) - 1 && strncasecmp(rest, pct, sizeof(pct) - 1) == 0)
        return sizeof(pct) - 1;
    return 0;
}

/* Token bucket for --connect-rate-limit: `rate` tokens a second, at most `rate` saved up. */
static int take_connect_token(wg_server_t *server)
{
    uint32_t rate = server->config->connect_rate_per_second;
    if (rate == 0)
        return 1;
    uint64_t now = h2o_now(server->loop);
    if (server->connect_tokens_at == 0) {
        server->connect_tokens = rate;
        server->connect_tokens_at = now;
    }
    double refill = (double)(now - server->connect_tokens_at) * rate / 1000.0;
    if (refill > 0) {
        server->connect_tokens += refill;
        if (server->connect_tokens > rate)
            server->connect_tokens = rate;
        server->connect_tokens_at = now;
    }
    if (server->connect_tokens < 1.0)
        return 0;
    server->connect_tokens -= 1.0;
    return 1;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    wg_server_t *server = ((server_handler_t *)self)->server;
    const char *path = req->path.base;
    size_t path_len = req->query_at != SIZE_MAX ? req->query_at : req->path.len;

    if (path_is(path, path_len, "/health"))
        return handle_health(server, req), 0;
    if (wg_inspector_http_owns(path, path_len))
        return wg_inspector_http_handle(server, req, path, path_len), 0;
    if (path_is(path, path_len, "/_wsgate/connections")) {
        /* every connection id lets its holder post to and close that connection: the listing is
         * guarded like @connections itself, unless the test-control API is on */
        if (!server->config->has_test_control && wg_mgmt_api_authenticate(server->config, req) != 0)
            return 0;
        return handle_list(server, req), 0;
    }
    static const char test_prefix[] = "/_wsgate/test/";
    if (path_len >= sizeof(test_prefix) - 1 && memcmp(path, test_prefix, sizeof(test_prefix) - 1) == 0) {
        wg_test_control_t tc = {server->config->has_test_control, server->conns};
        wg_test_control_handle(&tc, req, path + sizeof(test_prefix) - 1, path_len - (sizeof(test_prefix) - 1));
        return 0;
    }

    /* strip the stage: the first segment, percent-decoded (SDKs may encode '$', AWS-MGMT-6) */
    const char *rest = path;
    size_t rest_len = path_len;
    if (!server->config->is_custom_domain) {
        if (path_len < 2 || path[0] != '/')
            return send_forbidden(req), 0;
        const char *seg_end = memchr(path + 1, '/', path_len - 1);
        size_t seg_len = seg_end ? (size_t)(seg_end - path - 1) : path_len - 1;
        char stage[256];
        size_t stage_len;
        if (seg_len >= sizeof(stage) || wg_urlcodec_decode(path + 1, seg_len, stage, &stage_len, 0) != 0 ||
            strcmp(stage, server->config->stage) != 0)
            return send_forbidden(req), 0;
        rest = path + 1 + seg_len;
        rest_len = path_len - 1 - seg_len;
    }

    if (rest_len == 0 || (rest_len == 1 && rest[0] == '/')) {
        const char *client_key = NULL;
        int rv = h2o_is_websocket_handshake(req, &client_key);
        /* RFC 6455 4.1: the opening handshake is HTTP/1.1 or later; h2o would upgrade 1.0 too.
         * [I] AWS's answer is not captured: the same 400 as a malformed handshake. */
        if (rv != 0 || (client_key != NULL && req->version < 0x101)) {
            wg_http_reply_error_body(req, WG_AWS_ERR_BAD_REQUEST);
            return 0;
        }
        if (client_key == NULL)
            return send_forbidden(req), 0; /* a plain HTTP request on the WebSocket URL */
        if (req->path.len + req->authority.len + 8 > WG_LIMIT_URL_CHARS) {
            wg_log_info("handshake refused: URL longer than %d characters", WG_LIMIT_URL_CHARS);
            wg_http_reply_send(req, WG_REFUSAL_URL_TOO_LONG, NULL, NULL, 0);
            return 0;
        }
        if (server->is_shutting_down) {
            wg_http_reply_send(req, WG_REFUSAL_SHUTTING_DOWN, NULL, NULL, 0);
            return 0;
        }
        if (!take_connect_token(server)) {
            /* AWS: 500 new connections per second per account and region; the status AWS answers
             * when it is exceeded is not documented: 429, as for its other throttles. */
            wg_log_info("handshake refused: over --connect-rate-limit %u/s", server->config->connect_rate_per_second);
            wg_http_reply_error_body(req, WG_AWS_ERR_LIMIT_EXCEEDED);
            return 0;
        }
        wg_conns_handshake(server->conns, req, client_key);
        return 0;
    }
    size_t prefix = connections_prefix(rest, rest_len);
    if (prefix > 0 && rest_len > prefix && memchr(rest + prefix, '/', rest_len - prefix) == NULL) {
        wg_mgmt_api_t api = {server->config, server->conns, server->recorder};
        wg_mgmt_api_handle(&api, req, rest + prefix, rest_len - prefix);
        wg_inspector_note_mgmt(req, rest + prefix, rest_len - prefix);
        return 0;
    }
    send_forbidden(req);
    return 0;
}

static void on_signal(h2o_socket_t *sock, const char *err)
{
    wg_server_t *server = sock->data;
    struct signalfd_siginfo info;
    int fd = h2o_socket_get_fd(sock);
    while (read(fd, &info, sizeof(info)) == sizeof(info)) {
        if (!server->is_shutting_down)
            wg_log_info("signal %u: shutting down", info.ssi_signo);
        server->is_shutting_down = 1;
    }
}

static int open_signals(wg_server_t *server)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        return -1;
    server->signal_sock = h2o_evloop_socket_create(server->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    server->signal_sock->data = server;
    h2o_socket_read_start(server->signal_sock, on_signal);
    return 0;
}

int wg_server_init(wg_server_t *server, wg_config_t *config, char *err, size_t err_size)
{
    memset(server, 0, sizeof(*server));
    server->config = config;
    /* TLS first: it fills config->tls_ca_file/tls_ca_bundle_file, which what starts later reads */
    if (wg_tls_setup(config, &server->ssl_ctx, err, err_size) != 0)
        return -1;
    server->started_at_ms = wg_clock_now_ms();
    /* SIGTERM/SIGINT arrive through a signalfd; block them before any thread starts. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (config->record_dir != NULL) {
        char why_rec[256] = "";
        server->recorder = wg_recorder_open(config->record_dir, why_rec, sizeof(why_rec));
        if (server->recorder == NULL) {
            snprintf(err, err_size, "--record %s: %s", config->record_dir, why_rec);
            return -1;
        }
    }
    server->ids = wg_ids_new(config->region, NULL, NULL);
    if (server->ids == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    if (config->api_id != NULL)
        snprintf(server->api_id, sizeof(server->api_id), "%s", config->api_id);
    else
        wg_ids_api_id(server->ids, server->api_id);
    if (config->domain_name != NULL && strcmp(config->domain_name, "aws") == 0)
        snprintf(server->domain_name, sizeof(server->domain_name), "%s.execute-api.%s.amazonaws.com", server->api_id,
                 config->region);
    else if (config->domain_name != NULL)
        snprintf(server->domain_name, sizeof(server->domain_name), "%s", config->domain_name);
    char why[256] = "";
    server->selector = wg_route_selector_parse(config->route_selection_expression, why, sizeof(why));
    if (server->selector == NULL) {
        snprintf(err, err_size, "route selection expression '%s': %s", config->route_selection_expression, why);
        return -1;
    }

    h2o_config_init(&server->globalconf);
    server->globalconf.server_name = h2o_iovec_init(H2O_STRLIT(""));
    /* h2o refuses a chunked body once it has decoded `max` bytes (`>=`), a Content-Length only over
     * it (`>`): one more byte than the limit lets exactly WG_LIMIT_REQUEST_BODY_BYTES through both. */
    server->globalconf.max_request_entity_size = WG_LIMIT_REQUEST_BODY_BYTES + 1;
    /* HTTP/1.1 only, as AWS's endpoints for these calls: no HTTP/2 prior knowledge (h2o would
     * switch a connection starting with "PRI * HTTP/2" to HTTP/2 and buffer up to 100 request
     * bodies on it) and no "Upgrade: h2c". The preface gets HTTP/1.1's 400. */
    server->globalconf.http1.upgrade_to_http2 = 0;
    h2o_hostconf_t *host = h2o_config_register_host(&server->globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pathconf = h2o_config_register_path(host, "/", 0);
    wg_http_reply_install_typed_413(pathconf);
    wg_http_reply_install_typed_413(&host->fallback_path);
    server_handler_t *handler = (server_handler_t *)h2o_create_handler(pathconf, sizeof(*handler));
    handler->super.on_req = on_req;
    handler->server = server;

    server->loop = h2o_evloop_create();
    h2o_context_init(&server->ctx, server->loop, &server->globalconf);
    server->accept_ctx.ctx = &server->ctx;
    server->accept_ctx.hosts = server->globalconf.hosts;
    h2o_timeout_init(server->loop, &server->close_timeout, WG_LIMIT_CLOSE_HANDSHAKE_MS);
    server->timers = wg_timer_new_lists(server->loop);
    server->httpc = wg_httpc_new(server->loop, server->ctx.queue);
    server->conns = wg_conns_new(server);
    if (wg_functions_start(server, err, err_size) != 0)
        return -1;
    wg_inspector_init(server);
    if (open_signals(server) != 0) {
        snprintf(err, err_size, "cannot set up signal handling: %s", strerror(errno));
        return -1;
    }
    server->listeners =
        wg_listeners_open(server->loop, &server->accept_ctx, config, server->ssl_ctx, &server->port, err, err_size);
    server->ssl_ctx = NULL; /* the listeners' now (freed by them, also on failure) */
    return server->listeners != NULL ? 0 : -1;
}

int wg_server_run(wg_server_t *server)
{
    while (!server->is_shutting_down)
        h2o_evloop_run(server->loop, INT32_MAX);

    /* Graceful shutdown: stop accepting, close every client with 1001, deliver every $disconnect,
     * wait (bounded) for backend calls in flight. */
    wg_listeners_close(server->listeners);
    wg_conns_close_all(server->conns, 1001, "Going away");
    uint64_t deadline = wg_clock_now_ms() + WG_LIMIT_CLOSE_HANDSHAKE_MS + WG_LIMIT_SHUTDOWN_WAIT_MS;
    /* functions keep running until every $disconnect they were given is answered */
    while ((wg_conns_count_alive(server->conns) > 0 || wg_httpc_in_flight(server->httpc) > 0 ||
            wg_functions_in_flight(server->functions) > 0) &&
           wg_clock_now_ms() < deadline)
        h2o_evloop_run(server->loop, 100);
    size_t left = wg_conns_count_alive(server->conns);
    if (left > 0 || wg_httpc_in_flight(server->httpc) > 0)
        wg_log_warn("shutdown: gave up waiting for %zu connections and %zu backend calls", left,
                    wg_httpc_in_flight(server->httpc));
    wg_functions_stop(server->functions);
    wg_log_info("stopped");
    return 0;
}

void wg_server_dispose(wg_server_t *server)
{
    /* The worker thread stops first, so no completion arrives after this point. h2o's own context
     * is not torn down: keep-alive HTTP connections may still hold its timers (h2o 2.2.5 has no way
     * to close them all), and the process is about to exit; the server struct lives in static
     * storage, so what h2o still holds stays reachable. */
    if (server->httpc != NULL && wg_httpc_in_flight(server->httpc) == 0) {
        wg_httpc_free(server->httpc);
        server->httpc = NULL;
    }
    if (server->conns != NULL && wg_conns_count_alive(server->conns) == 0) {
        wg_conns_free(server->conns);
        server->conns = NULL;
    }
    wg_functions_free(server->functions);
    server->functions = NULL;
    wg_listeners_free(server->listeners);
    server->listeners = NULL;
    wg_route_selector_free(server->selector);
    server->selector = NULL;
    wg_recorder_close(server->recorder);
    server->recorder = NULL;
    wg_ids_free(server->ids);
    server->ids = NULL;
}
