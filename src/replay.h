/*
 * replay.h: `wsgate replay --backend URL [FIXTURE_DIR]` - checks a user's backend against
 * AWS-format events without any WebSocket client.
 *
 * It reads the fixture directory (the AWS captures in fixtures/, or files written by
 * `wsgate --record DIR`, see recorder.h), then POSTs one realistic session to the backend: a
 * $connect event, one message on every route key found in the fixtures (with that fixture's body)
 * and a $disconnect event, all built by events.c with fresh IDs from ids.c, as API Gateway would
 * send them to a Lambda proxy integration (spec sections 1, 2). For each event it prints the HTTP
 * status and whether the answer is a valid Lambda proxy result (or a plain 2xx answer).
 */
#ifndef WG_REPLAY_H
#define WG_REPLAY_H

#include <stddef.h>

/** What a backend's answer body is, read as a Lambda proxy result. */
typedef enum wg_proxy_result_kind {
    /* Not a proxy result: not JSON, not an object, or an object without "statusCode". The HTTP
     * status then counts (README, "What your backend receives"). */
    WG_PROXY_RESULT_NONE = 0,
    /* A JSON object with an integer "statusCode" (100-599) and, when present, a string (or null)
     * "body", an object "headers" of string values, an object "multiValueHeaders" of arrays of
     * strings and a boolean "isBase64Encoded". Other keys are ignored, as API Gateway does. */
    WG_PROXY_RESULT_VALID,
    /* A JSON object with "statusCode" where a member has the wrong type: API Gateway would treat
     * it as a failed integration ("Internal server error" frame, 502 on $connect). */
    WG_PROXY_RESULT_INVALID,
} wg_proxy_result_kind_t;

/**
 * Classifies `body` (len bytes, need not be NUL-terminated). On VALID, *status_code (may be NULL)
 * gets the statusCode. On INVALID, `why` (may be NULL) gets a one-line reason naming the member.
 */
wg_proxy_result_kind_t wg_replay_check_proxy_result(const char *body, size_t len, int *status_code,
                                                    char *why, size_t why_len);

/**
 * The verdict for one backend answer: 1 when API Gateway would treat it as success (HTTP 2xx and
 * either a valid proxy result with a 2xx statusCode or no proxy result), else 0. `summary`
 * gets a one-line explanation either way ("Lambda proxy result, statusCode 200", "HTTP 500", ...).
 * `http_status` 0 means no HTTP answer (connection refused, timeout).
 */
int wg_replay_judge(int http_status, const char *body, size_t len, char *summary,
                    size_t summary_len);

/**
 * The `replay` subcommand. Accepts argv starting at "replay" (main passes argc - 1, argv + 1) or
 * the whole command line ("wsgate", "replay", ...). Options: --backend URL (required),
 * --stage NAME (local), --region NAME (us-east-1), --api-id ID (random), --timeout MS (29000),
 * --verbose (print every event and answer), --help; positional FIXTURE_DIR (default "fixtures").
 * Returns the process exit status: 0 all events answered successfully, 1 a failure, 2 usage.
 */
int wg_replay_main(int argc, char **argv);

#endif
