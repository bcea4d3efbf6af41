/*
 * http_reply.h: how wsgate answers an HTTP request on its own port, for every module that answers
 * one (the path table in server.c, the handshake in conns_handshake.c, mgmt_api.c, test_control.c,
 * inspector_http.c, replay_mgmt.c): a plain response, a JSON document, an AWS error from the errors
 * table (errors.h), the typed 413 for bodies h2o refuses itself, and the request's header list as
 * the client sent it (what SigV4 verification and the inspector read).
 *
 * It depends on h2o, errors.c, ids.c and log.c only, so the modules that answer requests never need the
 * server that dispatched them. Every function answers on the loop thread and copies what it sends.
 */
#ifndef WG_HTTP_REPLY_H
#define WG_HTTP_REPLY_H

#include <stddef.h>

#define H2O_USE_LIBUV 0
#include <h2o.h>

#include "errors.h"
#include "headers.h"

struct json_t;

/**
 * The request's headers as the client sent them, in its spelling: Host first (h2o keeps it in
 * req->authority) and Content-Length when the request had a body (h2o keeps it out of
 * req->headers; SDKs such as JS v3, Go v2 and Java v2 sign it). Returns a new malloc'd array of
 * views into the request (valid while it is); *count gets its length. Aborts on out of memory.
 */
wg_header_t *wg_http_reply_request_headers(h2o_req_t *req, size_t *count);

/** Sends a complete response: status, its reason phrase, optional content type and body (copied). */
void wg_http_reply_send(h2o_req_t *req, int status, const char *content_type, const char *body, size_t body_len);

/** Sends `doc` (taken) as compact JSON with `status`. */
void wg_http_reply_json(h2o_req_t *req, int status, struct json_t *doc);

/** Adds an x-amzn-RequestId header (a fresh UUID) to the response, as execute-api does. */
void wg_http_reply_add_request_id(h2o_req_t *req);

/**
 * Answers with an AWS error as the management API does (AWS-MGMT-12): x-amzn-ErrorType,
 * x-amzn-RequestId, Content-Type and the body ({"message":...}, or empty for GoneException).
 * `message` NULL means the table's default.
 */
void wg_http_reply_aws_error(h2o_req_t *req, wg_aws_error_t err, const char *message);

/**
 * Answers with an error's status and {"message":...} body only, without x-amzn-ErrorType: a
 * refused WebSocket handshake (what AWS puts on one was never captured, AWS-INT-18).
 */
void wg_http_reply_error_body(h2o_req_t *req, wg_aws_error_t err);

/**
 * Installs, on `pathconf`, the filter that turns h2o's own text/plain 413 (a body over
 * globalconf.max_request_entity_size, refused before any handler runs) into the typed
 * PayloadTooLargeException (AWS-MGMT-14).
 */
void wg_http_reply_install_typed_413(h2o_pathconf_t *pathconf);

#endif
