/*
 * sigv4.h: AWS Signature Version 4, verified the way execute-api verifies it (AWS-SIG-1..17) and
 * signed the way SDKs sign (for the demo backend and the Lambda Invoke integration).
 *
 * Verification covers the `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
 * Signature=...` header and presigned query strings (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
 * X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Signature, X-Amz-Security-Token). The canonical URI is
 * the raw request path URI-encoded once more (AWS-SIG-2). Every failure carries AWS's exact message.
 * HMAC-SHA256 and SHA-256 come from OpenSSL; signatures are compared with CRYPTO_memcmp.
 *
 * The public header of the SigV4 module. Its pieces: sigv4_canonical.c (canonical request, string to
 * sign), sigv4_verify.c (verification and AWS's messages), sigv4_sign.c (signing), sigv4_keys.c
 * (hashing, derived keys and their cache); SigV4's dates are clock.c's; sigv4_internal.h is what
 * only they share.
 */
#ifndef WG_SIGV4_H
#define WG_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "headers.h"

typedef enum wg_sigv4_status {
    WG_SIGV4_OK = 0,
    WG_SIGV4_MISSING, /* no Authorization header, no X-Amz-* query: MissingAuthenticationToken */
    WG_SIGV4_INCOMPLETE, /* not SigV4-shaped: IncompleteSignatureException */
    WG_SIGV4_BAD_SIGNATURE, /* mismatch: InvalidSignatureException with canonical request/STS */
    WG_SIGV4_EXPIRED, /* X-Amz-Date over 5 min in the past (or presign expired) */
    WG_SIGV4_NOT_YET_CURRENT, /* X-Amz-Date over 5 min in the future */
    WG_SIGV4_UNKNOWN_KEY, /* key not known in strict mode: UnrecognizedClientException */
} wg_sigv4_status_t;

/** A request as it arrived on the wire. All pointers borrowed, not NUL-terminated. */
typedef struct wg_sigv4_request {
    const char *method;
    size_t method_len;
    const char *path; /* raw path as sent (still percent-encoded), without the query */
    size_t path_len;
    const char *query; /* raw query after '?', without it; query_len 0 when none */
    size_t query_len;
    const wg_header_t *headers; /* must include the Host header */
    size_t num_headers;
    const void *body;
    size_t body_len;
} wg_sigv4_request_t;

/** Returns the secret key for an access key id, or NULL when unknown. Borrowed. */
typedef const char *(*wg_sigv4_secret_lookup_fn)(void *ctx, const char *access_key_id);

typedef struct wg_sigv4_result {
    wg_sigv4_status_t status;
    char *message; /* AWS's message for the error body (malloc'd), NULL when OK */
    char access_key_id[128]; /* from the credential, "" when not parsed */
    char region[64]; /* from the credential scope */
    int is_presigned; /* 1 when the signature came from the query string */
    /* WG_SIGV4_BAD_SIGNATURE only, else NULL (malloc'd; for the inspector): the canonical request
     * and string-to-sign wsgate computed, and the SignedHeaders and Signature the client sent. */
    char *canonical_request;
    char *string_to_sign;
    char *signed_headers;
    char *client_signature;
} wg_sigv4_result_t;

/** Returns the session token issued with an access key id, or NULL when it has none. Borrowed. */
typedef const char *(*wg_sigv4_token_lookup_fn)(void *ctx, const char *access_key_id);

/** What a strict verifier refuses on top of a bad signature (see wg_sigv4_verify_policy). */
typedef struct wg_sigv4_policy {
    int require_known_key; /* an unknown key is WG_SIGV4_UNKNOWN_KEY (else accepted unchecked) */
    const char *region; /* non-NULL: a credential scope naming another region is refused */
    /* non-NULL: a known key's request must carry exactly the session token issued with it (none
     * when it has none), else WG_SIGV4_UNKNOWN_KEY */
    wg_sigv4_token_lookup_fn token_lookup;
    /* 1: the payload hash signed is the SHA-256 of the body received, not x-amz-content-sha256's
     * word for it ("UNSIGNED-PAYLOAD" excepted, see sigv4_verify.c) */
    int hash_body;
} wg_sigv4_policy_t;

/**
 * Verifies `req` for `service` (e.g. "execute-api") at `now_ms`.
 * - A well-formed, current signature whose key `lookup` knows is checked against its secret.
 * - A well-formed, current signature from a key `lookup` does not know: accepted when
 *   `require_known_key` is 0 (mode sigv4), WG_SIGV4_UNKNOWN_KEY when 1 (mode strict).
 * `lookup` may be NULL (no known keys). Fills *result (release with wg_sigv4_result_clear) and
 * returns result->status.
 */
wg_sigv4_status_t wg_sigv4_verify(const wg_sigv4_request_t *req, const char *service, uint64_t now_ms,
                                  wg_sigv4_secret_lookup_fn lookup, void *lookup_ctx, int require_known_key,
                                  wg_sigv4_result_t *result);
/** wg_sigv4_verify with a policy (mode strict: every field set). `lookup_ctx` is also passed to
 * policy->token_lookup. Both SignedHeaders forms must list distinct names in ascending order. */
wg_sigv4_status_t wg_sigv4_verify_policy(const wg_sigv4_request_t *req, const char *service, uint64_t now_ms,
                                         wg_sigv4_secret_lookup_fn lookup, void *lookup_ctx,
                                         const wg_sigv4_policy_t *policy, wg_sigv4_result_t *result);
void wg_sigv4_result_clear(wg_sigv4_result_t *result);

typedef struct wg_sigv4_credentials {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL when none */
    const char *region;
    const char *service;
} wg_sigv4_credentials_t;

/** Headers a signer produces; add them to the outgoing request. */
typedef struct wg_sigv4_signature {
    char amz_date[17]; /* X-Amz-Date value */
    char content_sha256[65]; /* x-amz-content-sha256 value (hex SHA-256 of the body) */
    char authorization[1024]; /* Authorization value */
} wg_sigv4_signature_t;

/**
 * Signs `req` as an SDK would, at `now_ms`: signed headers are host, x-amz-content-sha256,
 * x-amz-date (and x-amz-security-token when the credentials have one). `req->headers` must contain
 * Host (other headers are not signed). `req->path` is the wire path. Returns 0, -1 on bad input.
 */
int wg_sigv4_sign(const wg_sigv4_request_t *req, const wg_sigv4_credentials_t *creds, uint64_t now_ms,
                  wg_sigv4_signature_t *out);

/** Wipes the cache of derived signing keys (OPENSSL_cleanse). Called at exit; the cache refills on
 * the next verification. */
void wg_sigv4_forget_keys(void);

/* Building blocks, exposed for the unit tests against AWS's published test vectors. */

/* Values for the `double_encode_path` argument of wg_sigv4_canonical_request (added; 0 and 1 keep
 * their meaning). */
#define WG_SIGV4_PATH_SINGLE 0 /* percent-decode the wire path, encode it once (S3 style) */
#define WG_SIGV4_PATH_DOUBLE 1 /* encode the raw wire path once more (execute-api, lambda) */
#define WG_SIGV4_PATH_NORMALIZE                                      \
    2 /* like SINGLE after removing dot segments and empty segments, \
       * as AWS's generic test suite (normalize-path) expects */

/** The canonical request for `req` with the given signed-header list (";"-separated, lowercase)
 * and payload hash (hex). `double_encode_path` 1 for execute-api/lambda (path encoded once more),
 * 0 for S3 style. Returns a new malloc'd string, NULL on malformed input. */
char *wg_sigv4_canonical_request(const wg_sigv4_request_t *req, const char *signed_headers,
                                 const char *payload_hash_hex, int double_encode_path);
/** "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256(canonical_request)>", malloc'd. */
char *wg_sigv4_string_to_sign(const char *amz_date, const char *scope, const char *canonical_request);
/** The 32-byte signing key for secret/date(yyyymmdd)/region/service. */
void wg_sigv4_signing_key(const char *secret, const char *date, const char *region, const char *service,
                          uint8_t out[32]);
/** Lowercase hex SHA-256 of data. */
void wg_sigv4_sha256_hex(const void *data, size_t len, char out[65]);

#endif
