/*
 * authorizer.h: authorization of a $connect handshake, before its integration runs (AWS-AUTH):
 * API keys (x-api-key), IAM (SigV4 on the handshake, usually a presigned query) and Lambda REQUEST
 * authorizers (an HTTP URL or a Lambda Invoke target) with AWS's policy evaluation.
 *
 * The decision arrives through a callback, possibly synchronously (before wg_authorizer_connect
 * returns) when no call is needed.
 */
#ifndef WG_AUTHORIZER_H
#define WG_AUTHORIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "authorizer_decision.h"
#include "headers.h"
#include "server_state.h"

/** What $connect authorization sees. All borrowed for the duration of wg_authorizer_connect. */
typedef struct wg_connect_request {
    const wg_event_context_t *context; /* the CONNECT requestContext (ids, times, identity) */
    const wg_header_t *headers; /* the client's handshake headers (Host included) */
    size_t num_headers;
    int has_query;
    const char *raw_query; /* after '?', not NUL-terminated */
    size_t raw_query_len;
    const char *raw_path; /* as sent, without the query (IAM: SigV4 canonical URI) */
    size_t raw_path_len;
    const char *method;
    size_t method_len;
    const char *trace_id; /* X-Amzn-Trace-Id of this handshake: the same in the authorizer and $connect events */
} wg_connect_request_t;

typedef void (*wg_auth_done_cb)(void *data, wg_auth_decision_t *decision);

/**
 * Decides whether the handshake may proceed to $connect; `done` runs exactly once. Order (AWS's
 * is not documented for WebSocket APIs; REST APIs authorize before checking API keys) [I]:
 * IAM or the Lambda authorizer first, then the API key.
 */
void wg_authorizer_connect(wg_server_t *server, const wg_connect_request_t *request, wg_auth_done_cb done, void *data);

/* ---- building blocks, exposed for the unit tests ------------------------------------------- */

/** "arn:aws:execute-api:{region}:{accountId}:{apiId}/{stage}/$connect" (AWS-AUTH-4), malloc'd. */
char *wg_authorizer_method_arn(const char *region, const char *account_id, const char *api_id, const char *stage);

/**
 * IAM-style wildcard match of a policy value against a value: '*' matches any run of characters
 * (including '/' and ':'), '?' exactly one. Resources match case-sensitively, actions (pass
 * `ignore_case`) case-insensitively. So ".../prod/" + "*" and ".../" + "*" cover
 * ".../prod/$connect" while ".../prod/STAR/STAR" (a '/' more) does not (AWS-AUTH-10). Returns 1 or 0.
 */
int wg_authorizer_glob_match(const char *pattern, const char *value, int ignore_case);

/**
 * Reads a Lambda authorizer's result document (AWS-AUTH-9..12, AWS-AUTH-15): principalId, policyDocument (Statement
 * object or list; Effect Allow/Deny; Action/NotAction and Resource/NotResource as a string or a
 * list) and context. Deny covering `method_arn` for execute-api:Invoke wins; else an Allow must
 * cover it. Returns 0 (allowed: *authorizer_json gets the requestContext.authorizer text,
 * principalId first then the context values as strings, AWS-AUTH-15), 403 (denied or not covered)
 * or 500 (not a valid result: missing principalId/policy, bad Effect, a context value that is an
 * object or array, over 8 KB). *why gets a static reason for the log.
 */
int wg_authorizer_evaluate(const char *body, size_t body_len, const char *method_arn, char **authorizer_json,
                           const char **why);

/**
 * Whether every identity source has a non-empty value for this handshake (AWS-AUTH-8: otherwise
 * 401 without calling the authorizer). Sources: route.request.header.X (any case),
 * route.request.querystring.x, stageVariables.x, context.x. Returns whether all are present; *missing gets the
 * first missing source (borrowed).
 */
bool wg_authorizer_has_identity(const wg_config_t *cfg, const wg_connect_request_t *request, const char **missing);

#endif
