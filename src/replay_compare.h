/*
 * replay_compare.h: how `wsgate replay` reads a backend's answer the way API Gateway does, and
 * compares a replayed answer (or PostToConnection payload) with the recorded one.
 *
 * Pure functions on bytes: no sockets, no clock, so unit tests and the fuzz target call them
 * directly. JSON is compared with jansson, key order ignored; values that legitimately differ
 * between two runs (connection, request and message IDs, timestamps) are matched by format, not
 * value; the recorded session's connection IDs are translated to the replay's before comparing;
 * --ignore paths (JSON Pointers, `*` for any one key or index) are skipped. docs/replay.md.
 */
#ifndef WG_REPLAY_COMPARE_H
#define WG_REPLAY_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "replay.h"

/** A backend answer as API Gateway would read it (README, "How wsgate reads your answer"). */
typedef struct wg_replay_answer {
    int http_status; /* 0: no HTTP answer */
    wg_proxy_result_kind_t kind; /* NONE: a plain HTTP answer */
    int status; /* a valid proxy result's statusCode, else http_status */
    char *body; /* what a two-way route sends back: the proxy "body" or the raw body;
                 * NULL when there is none (owned) */
    size_t body_len;
    char *subprotocol; /* Sec-WebSocket-Protocol in the proxy result's headers, or NULL (owned) */
    char why[160]; /* INVALID: which member is wrong */
} wg_replay_answer_t;

/** Fills `out` from an HTTP status and body (borrowed; len bytes). Free with wg_replay_answer_free. */
void wg_replay_answer_read(int http_status, const char *body, size_t len, wg_replay_answer_t *out);
void wg_replay_answer_free(wg_replay_answer_t *answer);

/** A growing, human-readable list of differences: one line per difference, each ending in '\n'. */
typedef struct wg_replay_diff {
    wg_buf_t text; /* the lines; text.data is NULL while there are none (owned) */
    size_t count; /* number of lines */
} wg_replay_diff_t;

void wg_replay_diff_add(wg_replay_diff_t *diff, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wg_replay_diff_free(wg_replay_diff_t *diff);

/** What to ignore and how to translate IDs (all borrowed). */
typedef struct wg_replay_compare_options {
    const char *const *ignore; /* --ignore JSON Pointers ("/data/serverTime"; a segment "*" matches any) */
    size_t num_ignore;
    const char *const *ids_from; /* recorded connection IDs ... */
    const char *const *ids_to; /* ... and the replay's IDs for the same connections */
    size_t num_ids;
} wg_replay_compare_options_t;

/**
 * Compares a recorded payload (`want`) with a replayed one (`got`). When both are JSON, compares
 * structurally (see the header comment); otherwise byte for byte after translating recorded
 * connection IDs. Each difference becomes a line "<what><path>: ..." in `diff`. Returns 1 when
 * they match, 0 otherwise.
 */
int wg_replay_compare_payload(const char *what, const char *want, size_t want_len, const char *got, size_t got_len,
                              const wg_replay_compare_options_t *opt, wg_replay_diff_t *diff);

/**
 * Compares two answers: the status (a proxy result's statusCode, else the HTTP status), whether
 * each is a valid proxy result, the Sec-WebSocket-Protocol on $connect (`is_connect`), and the
 * body when `compare_body` (a two-way route). Returns 1 when they match.
 */
int wg_replay_compare_answers(const wg_replay_answer_t *want, const wg_replay_answer_t *got, int is_connect,
                              int compare_body, const wg_replay_compare_options_t *opt, wg_replay_diff_t *diff);

/** `s` (len bytes, any bytes) as a quoted, escaped, cut string for a report line: valid UTF-8
 * whatever the input (bytes that are not UTF-8 as \xNN). New string (free). */
char *wg_replay_show_text(const char *s, size_t len);

/** True when `s` (len bytes) is an ID in API Gateway's layout: 15 of [A-Za-z0-9_-] and '='. */
bool wg_replay_is_aws_id(const char *s, size_t len);

/** True when JSON Pointer `path` is covered by `pattern` (equal, or below it; `*` matches one segment). */
bool wg_replay_path_matches(const char *pattern, const char *path);

#endif
