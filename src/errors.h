/*
 * errors.h: the one table of AWS errors wsgate answers with (libuv's X-macro idea).
 *
 * Each row: our code, the AWS shape name sent in `x-amzn-ErrorType` (the one thing every SDK reads to
 * raise its typed exception, AWS-MGMT-12, AWS-MGMT-13), the HTTP status, and the body. A NULL default message means
 * the body is empty (GoneException, AWS-MGMT-11); otherwise the body is {"message":"..."} compact JSON.
 * Messages that carry request details (IncompleteSignature, InvalidSignature, expired) are passed in
 * by the caller; the table holds the default.
 */
#ifndef WG_ERRORS_H
#define WG_ERRORS_H

#include <stddef.h>

/*
 * The texts of the error frames sent to a WebSocket client; wg_event_error_frame (events.c) lays them out
 * byte for byte (AWS-FRM-1), with the failing message's request ID (AWS-FRM-5).
 */
#define WG_FRAME_FORBIDDEN "Forbidden" /* no route and no $default (AWS-FRM-2) */
#define WG_FRAME_INTERNAL_ERROR "Internal server error" /* the integration failed (AWS-FRM-3) */
#define WG_FRAME_TIMED_OUT "Endpoint request timed out" /* no answer in time (AWS-FRM-4) */
/* A message over its target's concurrency: the text API Gateway's throttles answer with (HTTP 429).
 * [I] inferred: the frame AWS sends when an integration is throttled is not documented (AWS-FRM-6). */
#define WG_FRAME_THROTTLED "Too Many Requests"

/* X(code, shape name, HTTP status, default message or NULL for an empty body) */
#define WG_AWS_ERRORS(X)                                                                              \
    X(FORBIDDEN, "ForbiddenException", 403, "Forbidden")                                              \
    X(GONE, "GoneException", 410, NULL)                                                               \
    X(PAYLOAD_TOO_LARGE, "PayloadTooLargeException", 413, "Request Too Long")                         \
    X(LIMIT_EXCEEDED, "LimitExceededException", 429, "Too Many Requests")                             \
    X(MISSING_AUTH_TOKEN, "MissingAuthenticationTokenException", 403, "Missing Authentication Token") \
    X(INCOMPLETE_SIGNATURE, "IncompleteSignatureException", 403, "Incomplete signature")              \
    X(INVALID_SIGNATURE, "InvalidSignatureException", 403,                                            \
      "The request signature we calculated does not match the signature you provided. Check your "    \
      "AWS Secret Access Key and signing method. Consult the service documentation for details.")     \
    X(UNRECOGNIZED_CLIENT, "UnrecognizedClientException", 403,                                        \
      "The security token included in the request is invalid.")                                       \
    X(BAD_REQUEST, "BadRequestException", 400, "Bad Request")

/*
 * The refusals of a WebSocket handshake, each with its HTTP status as its value (so a refusal is
 * an HTTP status wherever one is passed on: wg_auth_decision_t, the inspector, the log line). No
 * x-amzn-ErrorType: that header belongs to the management API's answers (AWS-MGMT-12). [I] inferred
 * (AWS-INT-18): what body AWS sends with a refused handshake was never captured; wsgate sends none.
 * The two refusals that do carry a {"message":...} body are rows of the AWS table above:
 * BAD_REQUEST (a malformed handshake) and LIMIT_EXCEEDED (--connect-rate-limit). A $connect
 * integration that answers a non-2xx status refuses with that status, whatever it is.
 *
 * X(code, HTTP status, when)
 */
#define WG_HANDSHAKE_REFUSALS(X)                                                                          \
    X(UNAUTHORIZED, 401, "an identity source is missing, or the Lambda authorizer said Unauthorized")     \
    X(FORBIDDEN, 403, "the authorizer denied, the IAM signature was rejected, or the API key is missing") \
    X(URL_TOO_LONG, 414, "the handshake's URL is over WG_LIMIT_URL_CHARS")                                \
    X(THROTTLED, 429, "the $connect target's budget is over its waiting caps (budget.h)")                 \
    X(AUTHORIZER_FAILED, 500, "the authorizer failed, timed out or answered what is not a policy")        \
    X(INTEGRATION_FAILED, 502, "the $connect integration failed")                                         \
    X(SHUTTING_DOWN, 503, "wsgate is shutting down")                                                      \
    X(INTEGRATION_TIMED_OUT, 504, "the $connect integration did not answer in time")

typedef enum wg_refusal {
#define WG_REFUSAL_ENUM(code, status, when) WG_REFUSAL_##code = status,
    WG_HANDSHAKE_REFUSALS(WG_REFUSAL_ENUM)
#undef WG_REFUSAL_ENUM
} wg_refusal_t;

typedef enum wg_aws_error {
#define WG_ERR_ENUM(code, shape, status, message) WG_AWS_ERR_##code,
    WG_AWS_ERRORS(WG_ERR_ENUM)
#undef WG_ERR_ENUM
        WG_AWS_ERR__COUNT
} wg_aws_error_t;

/** The `x-amzn-ErrorType` shape name of an error. Static string. */
const char *wg_errors_shape(wg_aws_error_t err);
/** The HTTP status of an error. */
int wg_errors_status(wg_aws_error_t err);
/** The table's default message, or NULL when the body is empty. Static string. */
const char *wg_errors_default_message(wg_aws_error_t err);
/** The HTTP reason phrase for a status (e.g. 410 → "Gone"). Static string. */
const char *wg_errors_http_reason(int status);

/**
 * The response body for an error: {"message":"<message>"} as compact JSON with proper escaping, or
 * an empty string when `message` is NULL and the table's default is NULL. `message` NULL means the
 * table's default. Returns a new malloc'd string (never NULL; aborts on out of memory); *len_out
 * gets its length.
 */
char *wg_errors_body(wg_aws_error_t err, const char *message, size_t *len_out);

#endif
