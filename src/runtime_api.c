/*
 * runtime_api.c: the Lambda Runtime API endpoints (see runtime_api.h).
 *
 * Answers as Lambda's (and aws-lambda-rie's) Runtime API gives them: 202 {"status":"OK"} for a
 * result or error that was accepted, 400 {"errorType":"InvalidRequestID"} for an id that is not
 * this process's current invocation, 413 {"errorType":"RequestEntityTooLarge"} for a response over
 * 6 MB (functions.c decides those), 404 for any other path, 405 for a wrong method.
 */
#include "runtime_api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errors.h"
#include "limits.h"

struct wg_runtime_endpoint {
    h2o_linklist_t link;
    wg_runtime_api_t *api;
    h2o_socket_t *listener;
    int port;
    void *owner;
};

typedef struct api_handler {
    h2o_handler_t super;
    wg_runtime_api_t *api;
} api_handler_t;

struct wg_runtime_api {
    h2o_globalconf_t globalconf;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_linklist_t endpoints;
    wg_runtime_api_callbacks_t cb;
};

static const char prefix[] = "/2018-06-01/runtime/";

static void respond(h2o_req_t *req, int status, const char *body, size_t len)
{
    req->res.status = status;
    req->res.reason = wg_errors_http_reason(status);
    req->res.content_length = len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
    h2o_send_inline(req, body, len);
}

void wg_runtime_api_send_status(h2o_req_t *req, int status, const char *error_type, const char *message)
{
    if (status == 202) {
        respond(req, 202, H2O_STRLIT("{\"status\":\"OK\"}"));
        return;
    }
    json_t *doc =
        json_pack("{s:s, s:s}", "errorMessage", message ? message : "", "errorType", error_type ? error_type : "");
    char *body = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (body == NULL)
        abort();
    respond(req, status, body, strlen(body));
    free(body);
}

static void add_header(h2o_req_t *req, const char *name, const char *value)
{
    h2o_iovec_t v = h2o_strdup(&req->pool, value, SIZE_MAX);
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, v.base, v.len);
}

void wg_runtime_api_send_event(h2o_req_t *req, const wg_runtime_event_t *ev)
{
    char deadline[24];
    snprintf(deadline, sizeof(deadline), "%llu", (unsigned long long)ev->deadline_ms);
    add_header(req, "Lambda-Runtime-Aws-Request-Id", ev->request_id);
    add_header(req, "Lambda-Runtime-Deadline-Ms", deadline);
    add_header(req, "Lambda-Runtime-Invoked-Function-Arn", ev->function_arn);
    add_header(req, "Lambda-Runtime-Trace-Id", ev->trace_id);
    if (ev->client_context != NULL)
        add_header(req, "Lambda-Runtime-Client-Context", ev->client_context);
    if (ev->cognito_identity != NULL)
        add_header(req, "Lambda-Runtime-Cognito-Identity", ev->cognito_identity);
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = ev->payload_len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
    h2o_send_inline(req, ev->payload, ev->payload_len);
}

const char *wg_runtime_api_error_type(h2o_req_t *req, size_t *len)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("lambda-runtime-function-error-type"), -1);
    if (i < 0)
        return NULL;
    *len = req->headers.entries[i].value.len;
    return req->headers.entries[i].value.base;
}

static wg_runtime_endpoint_t *endpoint_of(wg_runtime_api_t *api, h2o_req_t *req)
{
    struct sockaddr_storage ss;
    if (req->conn->callbacks->get_sockname == NULL ||
        req->conn->callbacks->get_sockname(req->conn, (struct sockaddr *)&ss) == 0)
        return NULL;
    if (ss.ss_family != AF_INET)
        return NULL;
    int port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    for (h2o_linklist_t *l = api->endpoints.next; l != &api->endpoints; l = l->next) {
        wg_runtime_endpoint_t *e = H2O_STRUCT_FROM_MEMBER(wg_runtime_endpoint_t, link, l);
        if (e->port == port)
            return e;
    }
    return NULL;
}

wg_runtime_api_path_t wg_runtime_api_parse_path(const char *path, size_t len, const char **id, size_t *id_len)
{
    *id = NULL;
    *id_len = 0;
    if (len < sizeof(prefix) - 1 || memcmp(path, prefix, sizeof(prefix) - 1) != 0)
        return WG_RUNTIME_API_UNKNOWN;
    const char *rest = path + sizeof(prefix) - 1;
    size_t rest_len = len - (sizeof(prefix) - 1);
    if (h2o_memis(rest, rest_len, H2O_STRLIT("invocation/next")))
        return WG_RUNTIME_API_NEXT;
    if (h2o_memis(rest, rest_len, H2O_STRLIT("init/error")))
        return WG_RUNTIME_API_INIT_ERROR;
    static const char inv[] = "invocation/";
    if (rest_len <= sizeof(inv) - 1 || memcmp(rest, inv, sizeof(inv) - 1) != 0)
        return WG_RUNTIME_API_UNKNOWN;
    const char *start = rest + sizeof(inv) - 1;
    const char *slash = memchr(start, '/', rest_len - (sizeof(inv) - 1));
    if (slash == NULL)
        return WG_RUNTIME_API_UNKNOWN;
    size_t tail_len = (size_t)(rest + rest_len - slash);
    wg_runtime_api_path_t kind = h2o_memis(slash, tail_len, H2O_STRLIT("/response")) ? WG_RUNTIME_API_RESPONSE
                                 : h2o_memis(slash, tail_len, H2O_STRLIT("/error"))  ? WG_RUNTIME_API_ERROR
                                                                                     : WG_RUNTIME_API_UNKNOWN;
    if (kind != WG_RUNTIME_API_UNKNOWN) {
        *id = start;
        *id_len = (size_t)(slash - start);
    }
    return kind;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    wg_runtime_api_t *api = ((api_handler_t *)self)->api;
    size_t len = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    int is_get = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET"));
    const char *id;
    size_t id_len;
    wg_runtime_api_path_t kind = wg_runtime_api_parse_path(req->path.base, len, &id, &id_len);
    if (kind == WG_RUNTIME_API_UNKNOWN) {
        wg_runtime_api_send_status(req, 404, "NotFound", "not a Runtime API path");
        return 0;
    }
    if (is_get != (kind == WG_RUNTIME_API_NEXT) ||
        (!is_get && !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST")))) {
        wg_runtime_api_send_status(req, 405, "MethodNotAllowed", kind == WG_RUNTIME_API_NEXT ? "use GET" : "use POST");
        return 0;
    }
    wg_runtime_endpoint_t *e = endpoint_of(api, req);
    if (e == NULL) {
        /* the process this endpoint belonged to is gone (retired, timed out) */
        wg_runtime_api_send_status(req, 410, "Runtime.Gone", "this execution environment was shut down");
        return 0;
    }
    switch (kind) {
    case WG_RUNTIME_API_NEXT: api->cb.on_next(e->owner, req); break;
    case WG_RUNTIME_API_INIT_ERROR: api->cb.on_init_error(e->owner, req); break;
    case WG_RUNTIME_API_RESPONSE:
    case WG_RUNTIME_API_ERROR: api->cb.on_result(e->owner, req, id, id_len, kind == WG_RUNTIME_API_ERROR); break;
    case WG_RUNTIME_API_UNKNOWN: break;
    }
    return 0;
}

wg_runtime_api_t *wg_runtime_api_new(h2o_evloop_t *loop, const wg_runtime_api_callbacks_t *cb)
{
    wg_runtime_api_t *api = calloc(1, sizeof(*api));
    if (api == NULL)
        abort();
    api->cb = *cb;
    h2o_linklist_init_anchor(&api->endpoints);
    h2o_config_init(&api->globalconf);
    api->globalconf.server_name = h2o_iovec_init(H2O_STRLIT(""));
    /* Larger than Lambda's 6 MB so that functions.c sees an oversized response and answers it
     * as Lambda does; anything larger still gets h2o's 413. */
    api->globalconf.max_request_entity_size = WG_LIMIT_RUNTIME_API_BODY_BYTES;
    /* A runtime waits on `next` for as long as the function is idle: no request timeout. */
    api->globalconf.http1.req_timeout = WG_LIMIT_RUNTIME_API_REQ_TIMEOUT_MS;
    h2o_hostconf_t *host = h2o_config_register_host(&api->globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pathconf = h2o_config_register_path(host, "/", 0);
    api_handler_t *handler = (api_handler_t *)h2o_create_handler(pathconf, sizeof(*handler));
    handler->super.on_req = on_req;
    handler->api = api;
    h2o_context_init(&api->ctx, loop, &api->globalconf);
    api->accept_ctx.ctx = &api->ctx;
    api->accept_ctx.hosts = api->globalconf.hosts;
    return api;
}

void wg_runtime_api_free(wg_runtime_api_t *api)
{
    if (api == NULL)
        return;
    while (!h2o_linklist_is_empty(&api->endpoints))
        wg_runtime_api_close(H2O_STRUCT_FROM_MEMBER(wg_runtime_endpoint_t, link, api->endpoints.next));
    /* Like the gateway's own context, h2o's context is left to process exit: connections from
     * runtimes that were just killed may still hold its timers. */
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    wg_runtime_endpoint_t *e = listener->data;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock != NULL)
        h2o_accept(&e->api->accept_ctx, sock);
}

wg_runtime_endpoint_t *wg_runtime_api_listen(wg_runtime_api_t *api, void *owner, int *port, char *err, size_t err_size)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof(sin);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&sin, &sl) != 0) {
        snprintf(err, err_size, "cannot open a Runtime API endpoint on 127.0.0.1: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    wg_runtime_endpoint_t *e = calloc(1, sizeof(*e));
    if (e == NULL)
        abort();
    e->api = api;
    e->owner = owner;
    e->port = ntohs(sin.sin_port);
    e->listener = h2o_evloop_socket_create(api->ctx.loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    e->listener->data = e;
    h2o_socket_read_start(e->listener, on_accept);
    h2o_linklist_insert(&api->endpoints, &e->link);
    *port = e->port;
    return e;
}

void wg_runtime_api_close(wg_runtime_endpoint_t *e)
{
    if (e == NULL)
        return;
    h2o_linklist_unlink(&e->link);
    h2o_socket_read_stop(e->listener);
    h2o_socket_close(e->listener);
    free(e);
}
