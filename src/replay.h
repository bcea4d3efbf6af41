/*
 * replay.h: `wsgate replay --backend URL [FIXTURE_DIR | --aws-scenarios]` - regression-tests a
 * user's backend without any WebSocket client (docs/replay.md).
 *
 * It replays a recording (`wsgate --record DIR`, see recorder.h) as sessions: every event in
 * order, per connection, with fresh IDs, comparing each answer and each PostToConnection the
 * backend makes with the recorded ones (replay_compare.h, replay_mgmt.h). Events without a
 * recorded answer (AWS captures such as fixtures/, or the scripted --aws-scenarios session built
 * from them by events.c) are judged alone: is the answer a valid Lambda proxy result and what
 * would API Gateway do with it (AWS-INT-8, AWS-INT-11..14). Reports: one line per event with a
 * diff per mismatch, optionally JUnit XML; the exit status says whether everything matched.
 *
 * The pieces: replay.c (the command line, the verdicts), replay_plan.c (fixture files into a
 * session), replay_scenarios.c (--aws-scenarios), replay_run.c (the session against the backend),
 * replay_junit.c (--junit); replay_internal.h is what only they share.
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
wg_proxy_result_kind_t wg_replay_check_proxy_result(const char *body, size_t len, int *status_code, char *why,
                                                    size_t why_len);

/**
 * The verdict for one backend answer: 1 when API Gateway would treat it as success (HTTP 2xx and
 * either a valid proxy result with a 2xx statusCode or no proxy result), else 0. `summary`
 * gets a one-line explanation either way ("Lambda proxy result, statusCode 200", "HTTP 500", ...).
 * `http_status` 0 means no HTTP answer (connection refused, timeout).
 */
int wg_replay_judge(int http_status, const char *body, size_t len, char *summary, size_t summary_len);

/**
 * The `replay` subcommand. Accepts argv starting at "replay" (main passes argc - 1, argv + 1) or
 * the whole command line ("wsgate", "replay", ...). Options (docs/replay.md): --backend URL
 * (required), --aws-scenarios, --ignore PATH, --junit FILE, --port N, --host ADDR, --settle MS,
 * --timeout MS, --stage NAME, --api-id ID, --region NAME, --verbose, --help; positional
 * FIXTURE_DIR (without it: --aws-scenarios). Returns the process exit status: 0 every event
 * matched (or, judged alone, was valid), 1 a difference or invalid answer, 2 usage or a missing,
 * empty or unreadable fixture directory.
 */
int wg_replay_main(int argc, char **argv);

#endif
