/*
 * replay_mgmt.c: the management API of `wsgate replay` (see replay_mgmt.h).
 *
 * One h2o evloop on the main thread, the session in a worker thread (it blocks in libcurl while
 * the backend answers, and the backend calls PostToConnection before it answers). Shared state,
 * the open connections and the kept calls, is guarded by one mutex; a condition variable wakes
 * the session when a call arrives. Answers use the management API's AWS error shapes (http_reply.c).
 */
#include "replay_mgmt.h"

#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "errors.h"
#include "ids.h"
#include "limits.h"
#include "listener.h"
#include "http_reply.h"
#include "urlcodec.h"

typedef struct open_conn {
    char id[WG_ID_LEN + 1];
    uint64_t connected_at;
} open_conn_t;

typedef struct mgmt_handler {
    h2o_handler_t super;
    wg_replay_mgmt_t *mgmt;
} mgmt_handler_t;

struct wg_replay_mgmt {
    h2o_globalconf_t globalconf;
    h2o_context_t ctx;
    h2o_evloop_t *loop;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listener;
    int port;
    pthread_t thread;
    volatile int is_stopping;
    int (*session)(void *arg);
    void *session_arg;
    int session_result;

    pthread_mutex_t lock;
    pthread_cond_t arrived;
    open_conn_t *open;
    size_t num_open, cap_open;
    wg_replay_post_t *posts;
    size_t num_posts, cap_posts;
};

/* The last stopped endpoint, kept reachable for leak checkers (see wg_replay_mgmt_stop). */
static wg_replay_mgmt_t *stopped;

static open_conn_t *find_open(wg_replay_mgmt_t *mgmt, const char *id)
{
    for (size_t i = 0; i < mgmt->num_open; i++)
        if (strcmp(mgmt->open[i].id, id) == 0)
            return &mgmt->open[i];
    return NULL;
}

static void add_request_id(h2o_req_t *req)
{
    char uuid[WG_UUID_LEN + 1];
    wg_ids_uuid(uuid);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-amzn-RequestId"), 0, NULL,
                          h2o_strdup(&req->pool, uuid, WG_UUID_LEN).base, WG_UUID_LEN);
}

/* The {id} of /{stage}/@connections/{id} or /@connections/{id} (also %40connections), still
 * percent-encoded; NULL when the path is not a management path. */
static const char *connection_segment(const char *path, size_t len, size_t *id_len)
{
    static const char *const markers[] = {"/@connections/", "/%40connections/"};
    for (size_t m = 0; m < 2; m++) {
        size_t ml = strlen(markers[m]);
        for (size_t i = 0; i + ml <= len; i++) {
            if (strncasecmp(path + i, markers[m], ml) != 0)
                continue;
            /* at most one segment (the stage) before the marker */
            if (i > 0 && memchr(path + 1, '/', i - 1) != NULL)
                return NULL;
            const char *id = path + i + ml;
            *id_len = len - i - ml;
            return *id_len > 0 && memchr(id, '/', *id_len) == NULL ? id : NULL;
        }
    }
    return NULL;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    wg_replay_mgmt_t *mgmt = ((mgmt_handler_t *)self)->mgmt;
    size_t path_len = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    size_t raw_len = 0;
    const char *raw = connection_segment(req->path.base, path_len, &raw_len);
    char id[WG_ID_LEN * 3 + 1];
    size_t id_len;
    if (raw == NULL) {
        wg_http_reply_aws_error(req, WG_AWS_ERR_FORBIDDEN, NULL);
        return 0;
    }
    if (raw_len >= sizeof(id) || wg_urlcodec_decode(raw, raw_len, id, &id_len, 0) != 0) {
        wg_http_reply_aws_error(req, WG_AWS_ERR_GONE, NULL);
        return 0;
    }
    int is_post = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"));
    int is_get = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET"));
    int is_delete = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("DELETE"));
    if (!is_post && !is_get && !is_delete) {
        wg_http_reply_aws_error(req, WG_AWS_ERR_MISSING_AUTH_TOKEN, NULL);
        return 0;
    }
    if (is_post && req->entity.len > WG_LIMIT_MESSAGE_BYTES) {
        wg_http_reply_aws_error(req, WG_AWS_ERR_PAYLOAD_TOO_LARGE, NULL);
        return 0;
    }
    pthread_mutex_lock(&mgmt->lock);
    open_conn_t *conn = find_open(mgmt, id);
    uint64_t connected_at = conn != NULL ? conn->connected_at : 0;
    int is_kept = 0;
    if (conn != NULL && is_post && mgmt->num_posts < WG_LIMIT_REPLAY_POSTS) {
        if (mgmt->num_posts == mgmt->cap_posts) {
            mgmt->cap_posts = mgmt->cap_posts ? mgmt->cap_posts * 2 : 16;
            mgmt->posts = realloc(mgmt->posts, mgmt->cap_posts * sizeof(*mgmt->posts));
            if (mgmt->posts == NULL)
                abort();
        }
        wg_replay_post_t *p = &mgmt->posts[mgmt->num_posts++];
        p->connection_id = strdup(id);
        p->data = malloc(req->entity.len + 1);
        if (p->connection_id == NULL || p->data == NULL)
            abort();
        if (req->entity.len > 0)
            memcpy(p->data, req->entity.base, req->entity.len);
        p->data[req->entity.len] = '\0';
        p->len = req->entity.len;
        is_kept = 1;
        pthread_cond_broadcast(&mgmt->arrived);
    }
    if (conn != NULL && is_delete)
        *conn = mgmt->open[--mgmt->num_open];
    pthread_mutex_unlock(&mgmt->lock);

    if (conn == NULL) {
        wg_http_reply_aws_error(req, WG_AWS_ERR_GONE, NULL);
    } else if (is_post && !is_kept) {
        wg_http_reply_aws_error(req, WG_AWS_ERR_LIMIT_EXCEEDED, NULL);
    } else if (is_get) {
        char at[32];
        wg_clock_format_iso8601_ms(connected_at, at);
        json_t *doc = json_pack("{ss s{ss ss} ss}", "connectedAt", at, "identity", "sourceIp", "127.0.0.1", "userAgent",
                                "", "lastActiveAt", at);
        add_request_id(req);
        wg_http_reply_json(req, 200, doc);
    } else {
        add_request_id(req);
        wg_http_reply_send(req, is_delete ? 204 : 200, NULL, NULL, 0);
    }
    return 0;
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    wg_replay_mgmt_t *mgmt = listener->data;
    if (err != NULL)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock != NULL)
        h2o_accept(&mgmt->accept_ctx, sock);
}

static void *run_session(void *arg)
{
    wg_replay_mgmt_t *mgmt = arg;
    mgmt->session_result = mgmt->session(mgmt->session_arg);
    mgmt->is_stopping = 1;
    return NULL;
}

int wg_replay_mgmt_run(wg_replay_mgmt_t *mgmt, int (*session)(void *arg), void *arg)
{
    mgmt->session = session;
    mgmt->session_arg = arg;
    if (pthread_create(&mgmt->thread, NULL, run_session, mgmt) != 0)
        abort();
    while (!mgmt->is_stopping)
        h2o_evloop_run(mgmt->loop, 50); /* wakes at least every 50 ms to see is_stopping */
    pthread_join(mgmt->thread, NULL);
    return mgmt->session_result;
}

static int bind_listener(const char *host, int port, int *bound_port, char *err, size_t err_size)
{
    char port_text[16];
    snprintf(port_text, sizeof(port_text), "%d", port);
    int gai = 0;
    int fd = wg_listener_socket(host, port_text, 128, bound_port, &gai);
    if (fd == -1)
        snprintf(err, err_size, "cannot resolve --host '%s': %s", host, gai_strerror(gai));
    else if (fd < 0)
        snprintf(err, err_size,
                 "cannot listen on %s:%d for the management API: %s (is wsgate running there? "
                 "stop it or pass --port N)",
                 host, port, strerror(errno));
    return fd < 0 ? -1 : fd;
}

wg_replay_mgmt_t *wg_replay_mgmt_start(const char *host, int port, char *err, size_t err_size)
{
    int bound_port = 0;
    int fd = bind_listener(host, port, &bound_port, err, err_size);
    if (fd < 0)
        return NULL;
    signal(SIGPIPE, SIG_IGN);
    wg_replay_mgmt_t *mgmt = calloc(1, sizeof(*mgmt));
    if (mgmt == NULL)
        abort();
    mgmt->port = bound_port;
    pthread_mutex_init(&mgmt->lock, NULL);
    pthread_cond_init(&mgmt->arrived, NULL);
    h2o_config_init(&mgmt->globalconf);
    mgmt->globalconf.server_name = h2o_iovec_init(H2O_STRLIT(""));
    mgmt->globalconf.max_request_entity_size = WG_LIMIT_REQUEST_BODY_BYTES;
    h2o_hostconf_t *hostconf =
        h2o_config_register_host(&mgmt->globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pathconf = h2o_config_register_path(hostconf, "/", 0);
    mgmt_handler_t *handler = (mgmt_handler_t *)h2o_create_handler(pathconf, sizeof(*handler));
    handler->super.on_req = on_req;
    handler->mgmt = mgmt;
    mgmt->loop = h2o_evloop_create();
    h2o_context_init(&mgmt->ctx, mgmt->loop, &mgmt->globalconf);
    mgmt->accept_ctx.ctx = &mgmt->ctx;
    mgmt->accept_ctx.hosts = mgmt->globalconf.hosts;
    mgmt->listener = h2o_evloop_socket_create(mgmt->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    mgmt->listener->data = mgmt;
    h2o_socket_read_start(mgmt->listener, on_accept);
    return mgmt;
}

int wg_replay_mgmt_port(const wg_replay_mgmt_t *mgmt)
{
    return mgmt->port;
}

void wg_replay_post_free(wg_replay_post_t *post)
{
    free(post->connection_id);
    free(post->data);
    memset(post, 0, sizeof(*post));
}

void wg_replay_mgmt_stop(wg_replay_mgmt_t *mgmt)
{
    if (mgmt == NULL)
        return;
    h2o_socket_read_stop(mgmt->listener);
    h2o_socket_close(mgmt->listener);
    /* As in server.c: h2o's context is not torn down (keep-alive connections may still hold its
     * timers and 2.2.5 cannot close them all); the process exits right after replay. */
    for (size_t i = 0; i < mgmt->num_posts; i++)
        wg_replay_post_free(&mgmt->posts[i]);
    free(mgmt->posts);
    free(mgmt->open);
    mgmt->posts = NULL;
    mgmt->open = NULL;
    pthread_cond_destroy(&mgmt->arrived);
    pthread_mutex_destroy(&mgmt->lock);
    /* mgmt itself stays allocated and reachable: h2o's context points into it (see above). */
    stopped = mgmt;
}

void wg_replay_mgmt_open(wg_replay_mgmt_t *mgmt, const char *connection_id, uint64_t connected_at)
{
    pthread_mutex_lock(&mgmt->lock);
    if (find_open(mgmt, connection_id) == NULL) {
        if (mgmt->num_open == mgmt->cap_open) {
            mgmt->cap_open = mgmt->cap_open ? mgmt->cap_open * 2 : 8;
            mgmt->open = realloc(mgmt->open, mgmt->cap_open * sizeof(*mgmt->open));
            if (mgmt->open == NULL)
                abort();
        }
        open_conn_t *c = &mgmt->open[mgmt->num_open++];
        snprintf(c->id, sizeof(c->id), "%s", connection_id);
        c->connected_at = connected_at;
    }
    pthread_mutex_unlock(&mgmt->lock);
}

void wg_replay_mgmt_close(wg_replay_mgmt_t *mgmt, const char *connection_id)
{
    pthread_mutex_lock(&mgmt->lock);
    open_conn_t *c = find_open(mgmt, connection_id);
    if (c != NULL)
        *c = mgmt->open[--mgmt->num_open];
    pthread_mutex_unlock(&mgmt->lock);
}

size_t wg_replay_mgmt_count(wg_replay_mgmt_t *mgmt)
{
    pthread_mutex_lock(&mgmt->lock);
    size_t n = mgmt->num_posts;
    pthread_mutex_unlock(&mgmt->lock);
    return n;
}

size_t wg_replay_mgmt_wait(wg_replay_mgmt_t *mgmt, size_t count, uint64_t timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += (time_t)(timeout_ms / 1000);
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&mgmt->lock);
    while (mgmt->num_posts < count && pthread_cond_timedwait(&mgmt->arrived, &mgmt->lock, &deadline) == 0)
        ;
    size_t n = mgmt->num_posts;
    pthread_mutex_unlock(&mgmt->lock);
    return n;
}

wg_replay_post_t *wg_replay_mgmt_take(wg_replay_mgmt_t *mgmt, size_t *num)
{
    pthread_mutex_lock(&mgmt->lock);
    wg_replay_post_t *out = mgmt->posts;
    *num = mgmt->num_posts;
    mgmt->posts = NULL;
    mgmt->num_posts = mgmt->cap_posts = 0;
    pthread_mutex_unlock(&mgmt->lock);
    return out;
}
