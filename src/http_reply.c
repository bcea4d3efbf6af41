/* http_reply.c: answering an HTTP request (see http_reply.h). */
#include "http_reply.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "limits.h"
#include "log.h"

wg_header_t *wg_http_reply_request_headers(h2o_req_t *req, size_t *count)
{
    wg_header_t *headers = malloc((req->headers.size + 2) * sizeof(*headers));
    if (headers == NULL)
        abort();
    size_t n = 0;
    headers[n++] = (wg_header_t){"Host", 4, req->authority.base, req->authority.len};
    for (size_t i = 0; i < req->headers.size; i++) {
        const h2o_header_t *h = &req->headers.entries[i];
        headers[n++] =
            (wg_header_t){h->orig_name ? h->orig_name : h->name->base, h->name->len, h->value.base, h->value.len};
    }
    if (req->entity.base != NULL) {
        char len[24];
        int len_len = snprintf(len, sizeof(len), "%zu", req->entity.len);
        headers[n++] =
            (wg_header_t){"Content-Length", 14, h2o_strdup(&req->pool, len, (size_t)len_len).base, (size_t)len_len};
    }
    *count = n;
    return headers;
}

void wg_http_reply_send(h2o_req_t *req, int status, const char *content_type, const char *body, size_t body_len)
{
    req->res.status = status;
    req->res.reason = wg_errors_http_reason(status);
    req->res.content_length = body_len;
    if (content_type != NULL)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type, strlen(content_type));
    h2o_send_inline(req, body != NULL ? body : "", body_len);
}

void wg_http_reply_json(h2o_req_t *req, int status, json_t *doc)
{
    char *body = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (body == NULL)
        abort();
    wg_http_reply_send(req, status, "application/json", body, strlen(body));
    free(body);
}

void wg_http_reply_add_request_id(h2o_req_t *req)
{
    char uuid[WG_UUID_LEN + 1];
    wg_ids_uuid(uuid);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-amzn-RequestId"), 0, NULL,
                          h2o_strdup(&req->pool, uuid, WG_UUID_LEN).base, WG_UUID_LEN);
}

void wg_http_reply_aws_error(h2o_req_t *req, wg_aws_error_t err, const char *message)
{
    size_t len;
    char *body = wg_errors_body(err, message, &len);
    const char *shape = wg_errors_shape(err);
    wg_http_reply_add_request_id(req);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-amzn-ErrorType"), 0, NULL, shape, strlen(shape));
    wg_http_reply_send(req, wg_errors_status(err), "application/json", body, len);
    free(body);
}

void wg_http_reply_error_body(h2o_req_t *req, wg_aws_error_t err)
{
    size_t len;
    char *body = wg_errors_body(err, NULL, &len);
    wg_http_reply_send(req, wg_errors_status(err), "application/json", body, len);
    free(body);
}

/* ---- oversized bodies: the typed 413 whatever the size or transfer encoding ------------------ */

/* h2o refuses a body over globalconf.max_request_entity_size itself, before any handler runs (a
 * Content-Length over it from the header, a chunked body as soon as it passes it), with a
 * text/plain 413. This filter, on every path h2o may answer from, turns that answer into the
 * management API's typed one (PayloadTooLargeException, AWS-MGMT-14), so SDKs raise their exception;
 * a 413 that already carries x-amzn-ErrorType (mgmt_api.c's) goes through unchanged. [I] inferred:
 * what AWS answers an oversized body on other paths is not documented; they get the same answer. */
typedef struct typed_413_ostream {
    h2o_ostream_t super;
    h2o_iovec_t body;
    int is_body_sent;
} typed_413_ostream_t;

static void on_typed_413_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt,
                              h2o_send_state_t state)
{
    (void)bufs;
    (void)bufcnt;
    typed_413_ostream_t *o = (typed_413_ostream_t *)self;
    h2o_iovec_t body = o->body;
    size_t n = o->is_body_sent ? 0 : 1;
    o->is_body_sent = 1;
    h2o_ostream_send_next(self, req, &body, n, state); /* h2o's own text is dropped */
}

static void on_setup_typed_413(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    (void)self;
    if (req->res.status == wg_errors_status(WG_AWS_ERR_PAYLOAD_TOO_LARGE) &&
        h2o_find_header_by_str(&req->res.headers, H2O_STRLIT("x-amzn-errortype"), -1) == -1) {
        wg_log_info("%.*s %.*s: 413 (body over %d bytes)", (int)req->method.len, req->method.base,
                    (int)(req->path.len > 200 ? 200 : req->path.len), req->path.base, WG_LIMIT_REQUEST_BODY_BYTES);
        size_t len;
        char *body = wg_errors_body(WG_AWS_ERR_PAYLOAD_TOO_LARGE, NULL, &len);
        const char *shape = wg_errors_shape(WG_AWS_ERR_PAYLOAD_TOO_LARGE);
        memset(&req->res.headers, 0, sizeof(req->res.headers));
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
        wg_http_reply_add_request_id(req);
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-amzn-ErrorType"), 0, NULL, shape,
                              strlen(shape));
        req->res.reason = wg_errors_http_reason(req->res.status);
        req->res.content_length = len;
        typed_413_ostream_t *o = (typed_413_ostream_t *)h2o_add_ostream(req, sizeof(*o), slot);
        o->super.do_send = on_typed_413_send;
        o->body = h2o_strdup(&req->pool, body, len);
        o->is_body_sent = 0;
        free(body);
        slot = &o->super.next;
    }
    h2o_setup_next_ostream(req, slot);
}

void wg_http_reply_install_typed_413(h2o_pathconf_t *pathconf)
{
    h2o_create_filter(pathconf, sizeof(h2o_filter_t))->on_setup_ostream = on_setup_typed_413;
}
