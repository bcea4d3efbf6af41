/*
 * httpc.c: outgoing HTTP calls (see httpc.h): the request and response helpers, and which
 * transport makes a call.
 *
 * A call to a plain-HTTP backend named by an IP address (the common local setup: a backend or a
 * Lambda endpoint on 127.0.0.1) is made on the loop thread with h2o's sockets and picohttpparser
 * (httpc_loop.c): no thread hand-off and no per-request URL and option machinery, which was most of
 * a $connect's cost (bench/README.md, S1). Everything else goes to libcurl on a worker thread
 * (httpc_curl.c, started on first use): https, host names (curl tries every address a name resolves
 * to), and every call when a proxy is set in the environment
 * (http_proxy, all_proxy, ALL_PROXY: libcurl applies them and no_proxy as before).
 */
#include "httpc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "httpc_internal.h"
#include "limits.h"
#include "log.h"

struct wg_httpc {
    wg_httpc_loop_t *loop_client; /* NULL when a proxy is set */
    wg_httpc_curl_t *curl; /* made on first use */
    h2o_multithread_queue_t *queue;
};

/* libcurl's own rule for an http:// URL: http_proxy (lower case only), then all_proxy/ALL_PROXY. */
static bool is_proxy_set(void)
{
    static const char *const names[] = {"http_proxy", "all_proxy", "ALL_PROXY"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = getenv(names[i]);
        if (v != NULL && v[0] != '\0')
            return true;
    }
    return false;
}

wg_httpc_t *wg_httpc_new(h2o_loop_t *loop, h2o_multithread_queue_t *queue)
{
    wg_httpc_t *client = calloc(1, sizeof(*client));
    if (client == NULL)
        abort();
    client->queue = queue;
    if (is_proxy_set())
        wg_log_info("backend calls go through libcurl: a proxy is set in the environment");
    else
        client->loop_client = wg_httpc_loop_new(loop);
    return client;
}

void wg_httpc_free(wg_httpc_t *client)
{
    if (client == NULL)
        return;
    if (client->loop_client != NULL)
        wg_httpc_loop_free(client->loop_client);
    if (client->curl != NULL)
        wg_httpc_curl_free(client->curl);
    free(client);
}

void wg_httpc_submit(wg_httpc_t *client, wg_httpc_request_t *req)
{
    if (client->loop_client != NULL && wg_httpc_loop_submit(client->loop_client, req) == 0)
        return;
    if (client->curl == NULL)
        client->curl = wg_httpc_curl_new(client->queue);
    wg_httpc_curl_submit(client->curl, req);
}

int wg_httpc_add_header(wg_httpc_request_t *req, const char *name, const char *value, size_t value_len)
{
    if (req->num_headers >= WG_LIMIT_HTTPC_HEADERS)
        return -1;
    size_t name_len = strlen(name);
    char *line = malloc(name_len + 2 + value_len + 1);
    if (line == NULL)
        abort();
    memcpy(line, name, name_len);
    memcpy(line + name_len, ": ", 2);
    memcpy(line + name_len + 2, value, value_len);
    line[name_len + 2 + value_len] = '\0';
    req->headers[req->num_headers++] = line;
    return 0;
}

size_t wg_httpc_in_flight(const wg_httpc_t *client)
{
    return (client->loop_client != NULL ? wg_httpc_loop_in_flight(client->loop_client) : 0) +
           (client->curl != NULL ? wg_httpc_curl_in_flight(client->curl) : 0);
}

const char *wg_httpc_response_header(const wg_httpc_response_t *res, const char *name, size_t *len)
{
    size_t name_len = strlen(name);
    const char *p = res->headers, *end = res->headers + res->headers_len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            eol = end;
        if ((size_t)(eol - p) > name_len && p[name_len] == ':' && strncasecmp(p, name, name_len) == 0) {
            const char *v = p + name_len + 1, *ve = eol;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            *len = (size_t)(ve - v);
            return v;
        }
        p = eol + 1;
    }
    return NULL;
}
