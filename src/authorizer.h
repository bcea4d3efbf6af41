/*
 * authorizer.h: authorization of a $connect handshake, before its integration runs (spec 8, 9):
 * API keys (x-api-key), IAM (SigV4 on the handshake, usually a presigned query) and Lambda REQUEST
 * authorizers (an HTTP URL or a Lambda Invoke target) with AWS's policy evaluation.
 *
 * The decision arrives through a callback, possibly synchronously (before wg_authorize_connect
 * returns) when no call is needed.
 */
#ifndef WG_AUTHORIZER_H
#define WG_AUTHORIZER_H

#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "headers.h"
#include "server.h"

/** What $connect authorization sees. All borrowed for the duration of wg_authorize_connect. */
typedef struct wg_connect_request {
    const wg_event_context_t *context; /* the CONNECT requestContext (ids, times, identity) */
    const wg_header_t *headers;        /* the client's handshake headers (Host included) */
    size_t num_headers;
    int has_query;
    const char *raw_query; /* after '?', not NUL-terminated */
    size_t raw_query_len;
    const char *raw_path;  /* as sent, without the query (IAM: SigV4 canonical URI) */
    size_t raw_path_len;
    const char *method;
    size_t method_len;
} wg_connect_request_t;

typedef struct wg_auth_decision {
    int status;            /* 0 = allowed; otherwise the handshake's HTTP status: 401, 403, 500 */
    const char *why;       /* for the log line */
    char *authorizer_json; /* malloc'd requestContext.authorizer object text, or NULL; taken by the callee */
    char *identity_json;   /* malloc'd extra identity members for IAM (spec 1.8), or NULL; taken */
} wg_auth_decision_t;

typedef void (*wg_auth_done_cb)(void *data, wg_auth_decision_t *decision);

/** Decides whether the handshake may proceed to $connect; `done` runs exactly once. */
void wg_authorize_connect(wg_server_t *server, const wg_connect_request_t *request, wg_auth_done_cb done, void *data);

#endif
