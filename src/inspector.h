/*
 * inspector.h: the inspector's memory (NOT part of AWS): a bounded ring of what happened - frames
 * in and out, events sent to integrations and their answers, management calls (with, for a refused
 * signature, the canonical request and string-to-sign wsgate computed beside what the client
 * signed), authorizer decisions - and the pages watching it (inspector_http.c serves them).
 *
 * Cost when no page is open: every hook is a static inline check of one counter,
 * wg_inspector_watchers, and nothing is recorded. While at least one page is open, each hook
 * serialises one JSON entry into the ring, which keeps at most --inspector-history entries and
 * WG_LIMIT_INSPECTOR_BYTES bytes (oldest dropped first); every string field is cut at
 * WG_LIMIT_INSPECTOR_FIELD_BYTES. Credentials are redacted as in --verbose.
 *
 * Entries are JSON objects {"seq": N, "t": ms since the epoch, "kind": K, "conn": id, ...}; the
 * kinds and their members are listed in docs/inspector.md. Everything runs on the loop thread.
 */
#ifndef WG_INSPECTOR_H
#define WG_INSPECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the ring (pure; unit-tested) ------------------------------------------------------------ */

typedef struct wg_inspector_entry {
    uint64_t seq;
    char *text; /* JSON, NUL-terminated: malloc'd, or in one of the ring's arena blocks */
    size_t len;
    void *block; /* the arena block holding text, or NULL (text malloc'd) */
} wg_inspector_entry_t;

typedef struct wg_inspector_ring wg_inspector_ring_t;

/** A ring keeping at most `capacity` entries (>= 1) and `max_bytes` bytes of text. */
wg_inspector_ring_t *wg_inspector_ring_new(size_t capacity, size_t max_bytes);
void wg_inspector_ring_free(wg_inspector_ring_t *ring);
/** Appends `text` (taken; `len` bytes) as entry number wg_inspector_ring_next_seq() and drops the
 * oldest entries until both bounds hold again (the new entry is always kept). Returns its seq. */
uint64_t wg_inspector_ring_push(wg_inspector_ring_t *ring, char *text, size_t len);
/** The same with a copy of `text` kept in the ring's arena (no allocation per entry). */
uint64_t wg_inspector_ring_push_copy(wg_inspector_ring_t *ring, const char *text, size_t len);
/** The entry numbered `seq`, or NULL when it was dropped or not written yet. Borrowed. */
const wg_inspector_entry_t *wg_inspector_ring_get(const wg_inspector_ring_t *ring, uint64_t seq);
/** The seq of the oldest kept entry (== next_seq when empty), and of the next entry. First is 1. */
uint64_t wg_inspector_ring_oldest_seq(const wg_inspector_ring_t *ring);
uint64_t wg_inspector_ring_next_seq(const wg_inspector_ring_t *ring);
size_t wg_inspector_ring_count(const wg_inspector_ring_t *ring);
size_t wg_inspector_ring_bytes(const wg_inspector_ring_t *ring);
struct wg_buf;
/** Appends to `out` the texts of the kept entries numbered `from` (raised to the oldest kept) up to
 * `to` (exclusive), separated by commas, stopping before an entry that would take the text written
 * past `max_bytes` (the first is always written). Returns the seq after the last one written. */
uint64_t wg_inspector_ring_write_range(const wg_inspector_ring_t *ring, uint64_t from, uint64_t to, size_t max_bytes,
                                       struct wg_buf *out);

/** The live rate cap of one page (inspector_http.c): how many more live entries it may be sent
 * (a token bucket), and when it was last refilled. */
typedef struct wg_inspector_pace {
    uint64_t budget;
    uint64_t at_ms;
} wg_inspector_pace_t;

/** Adds `per_s` entries a second for the time from pace->at_ms to `now_ms`, up to `burst` (time
 * that added no whole entry is kept for the next call; none is banked while the bucket is full). */
void wg_inspector_pace_refill(wg_inspector_pace_t *pace, uint64_t now_ms, uint64_t per_s, uint64_t burst);

/** A page is sent entry `cursor` next, the ring keeps entries `oldest` to `ring_next` - 1, entries
 * before `live_from` are the history it was sent on opening (never thinned) and it may be sent
 * `budget` more. Returns how many of the oldest unsent entries to skip so that it gets the newest
 * `budget` (and none the ring has dropped already): 0 while it is within its budget or still
 * reading its history. */
uint64_t wg_inspector_thin_skip(uint64_t cursor, uint64_t oldest, uint64_t ring_next, uint64_t live_from,
                                uint64_t budget);

/* ---- the process's inspector ----------------------------------------------------------------- */

struct wg_server;
struct st_h2o_req_t;
struct wg_ws_close_info;
struct wg_route_config;
struct wg_integration_result;
struct wg_auth_decision;
struct wg_sigv4_request;
struct wg_sigv4_result;

/** Pages watching (open event streams). 0: every hook returns at once. */
extern unsigned wg_inspector_watchers;
/** Set by inspector_http.c while it acts on a page's behalf: frames it causes are marked
 * "byInspector" (and left out of exported sessions, which hold what the backend did). */
extern int wg_inspector_is_acting;

/** Sets up the inspector for `server` (enabled or not per its config). Call once, after the
 * server's loop exists. */
void wg_inspector_init(struct wg_server *server);
void wg_inspector_dispose(void);
/** True when /_wsgate/ is served (loopback bind, or --inspector; never with --no-inspector). */
bool wg_inspector_is_enabled(void);
/** The ring (NULL before init). */
wg_inspector_ring_t *wg_inspector_ring(void);
/** Adds `entry` (taken; must be a JSON object) to the ring, stamped with seq and t, and wakes the
 * watchers. Exposed for the HTTP side (action results) and for tests. */
struct json_t;
void wg_inspector_add(struct json_t *entry);
/** Sets what wg_inspector_add calls when a new entry should go to the watchers: inspector_http.c
 * registers its wake-up when the first page opens (a callback, so the ring never calls up into
 * the HTTP side that reads it). */
void wg_inspector_set_wake(void (*wake)(void));

/* Out-of-line halves of the hooks below (only called while a page watches). */
void wg_inspector_record_open(const char *conn_id, struct st_h2o_req_t *req, const char *source_ip,
                              const char *user_agent);
void wg_inspector_record_rejected(const char *conn_id, int status, const char *why);
void wg_inspector_record_auth(const char *conn_id, const struct wg_auth_decision *decision);
void wg_inspector_record_frame(const char *conn_id, const char *dir, const char *source, const void *data, size_t len);
void wg_inspector_record_control(const char *conn_id, const char *dir, const char *control, const void *payload,
                                 size_t len);
void wg_inspector_record_server_close(const char *conn_id, int code, const char *reason);
void wg_inspector_record_closed(const char *conn_id, const struct wg_ws_close_info *info, int code, const char *reason);
void wg_inspector_record_call(const char *conn_id, const char *request_id, const struct wg_route_config *route,
                              const char *event, size_t event_len);
void wg_inspector_record_answer(const char *conn_id, const char *request_id, const struct wg_route_config *route,
                                const struct wg_integration_result *result);
void wg_inspector_record_signature(struct st_h2o_req_t *req, const struct wg_sigv4_result *result);
void wg_inspector_record_mgmt(struct st_h2o_req_t *req, const char *raw_id, size_t raw_id_len);
void wg_inspector_record_function(const char *function, const char *request_id, const char *conn_id,
                                  const char *event_request_id, const char *what, const char *text, size_t len,
                                  double duration_ms);

/* ---- hooks: one line at each place where something happens ----------------------------------- */

/** A handshake accepted (the 101 is on its way); `req` is the handshake (query read from it). */
static inline void wg_inspector_note_open(const char *conn_id, struct st_h2o_req_t *req, const char *source_ip,
                                          const char *user_agent)
{
    if (wg_inspector_watchers)
        wg_inspector_record_open(conn_id, req, source_ip, user_agent);
}
/** A handshake refused with `status`. */
static inline void wg_inspector_note_rejected(const char *conn_id, int status, const char *why)
{
    if (wg_inspector_watchers)
        wg_inspector_record_rejected(conn_id, status, why);
}
/** The authorizer's decision on a handshake. */
static inline void wg_inspector_note_auth(const char *conn_id, const struct wg_auth_decision *decision)
{
    if (wg_inspector_watchers)
        wg_inspector_record_auth(conn_id, decision);
}
/** A text message: dir "in" (from the client) or "out" (source: "postToConnection",
 * "routeResponse", "errorFrame"). */
static inline void wg_inspector_note_frame(const char *conn_id, const char *dir, const char *source, const void *data,
                                           size_t len)
{
    if (wg_inspector_watchers)
        wg_inspector_record_frame(conn_id, dir, source, data, len);
}
/** A control frame: dir "in" (a client's "ping" or "pong") or "out" (the "pong" wslay answers a
 * ping with; same payload). The payload is shown as text when it is printable UTF-8, else in hex. */
static inline void wg_inspector_note_control(const char *conn_id, const char *dir, const char *control,
                                             const void *payload, size_t len)
{
    if (wg_inspector_watchers)
        wg_inspector_record_control(conn_id, dir, control, payload, len);
}
/** wsgate sends a close frame (DeleteConnection, timeout, test control, shutdown). */
static inline void wg_inspector_note_server_close(const char *conn_id, int code, const char *reason)
{
    if (wg_inspector_watchers)
        wg_inspector_record_server_close(conn_id, code, reason);
}
/** The connection is over; `code`/`reason` are what $disconnect reports. */
static inline void wg_inspector_note_closed(const char *conn_id, const struct wg_ws_close_info *info, int code,
                                            const char *reason)
{
    if (wg_inspector_watchers)
        wg_inspector_record_closed(conn_id, info, code, reason);
}
/** An event goes to the route's integration. */
static inline void wg_inspector_note_call(const char *conn_id, const char *request_id,
                                          const struct wg_route_config *route, const char *event, size_t event_len)
{
    if (wg_inspector_watchers)
        wg_inspector_record_call(conn_id, request_id, route, event, event_len);
}
/** The integration answered (or failed) the call with this request id. */
static inline void wg_inspector_note_answer(const char *conn_id, const char *request_id,
                                            const struct wg_route_config *route,
                                            const struct wg_integration_result *result)
{
    if (wg_inspector_watchers)
        wg_inspector_record_answer(conn_id, request_id, route, result);
}
/** A management request's signature was refused: kept for the wg_inspector_note_mgmt that follows. */
static inline void wg_inspector_note_signature(struct st_h2o_req_t *req, const struct wg_sigv4_result *result)
{
    if (wg_inspector_watchers)
        wg_inspector_record_signature(req, result);
}
/** A management call has been answered (status and error type read from req->res). */
static inline void wg_inspector_note_mgmt(struct st_h2o_req_t *req, const char *raw_id, size_t raw_id_len)
{
    if (wg_inspector_watchers)
        wg_inspector_record_mgmt(req, raw_id, raw_id_len);
}

/** A function wsgate runs (functions.c): `what` "start" (an invocation begins), "log" (one line
 * of its output, `text`), "end" (`duration_ms`; `text` a status such as "timeout", or NULL).
 * `request_id` is the Lambda request id; `conn_id` and `event_request_id` (NULL or "" when unknown)
 * the connection and API Gateway request of the event that caused it. */
static inline void wg_inspector_note_function(const char *function, const char *request_id, const char *conn_id,
                                              const char *event_request_id, const char *what, const char *text,
                                              size_t len, double duration_ms)
{
    if (wg_inspector_watchers)
        wg_inspector_record_function(function, request_id, conn_id, event_request_id, what, text, len, duration_ms);
}

#endif
