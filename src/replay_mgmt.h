/*
 * replay_mgmt.h: the management API a backend calls while `wsgate replay` runs.
 *
 * A backend under replay still calls PostToConnection (its SDK's endpoint points at wsgate,
 * http://127.0.0.1:3001/{stage}). Replay has no WebSocket clients, so it answers those calls
 * itself on an h2o event loop run by the calling (main) thread, while the session runs in a
 * worker thread (wg_replay_mgmt_run), and keeps each successful
 * PostToConnection so the session can compare it with the recorded one. Like execute-api:
 * POST /{stage}/@connections/{id} -> 200 while the connection is open in the replay (after its
 * $connect succeeded, before its $disconnect), else 410 GoneException; GET -> 200 with the
 * connection's JSON; DELETE -> 204; payloads over 128 KB -> 413. Any stage (and none, as with a
 * custom domain) is accepted, and signatures are not checked: replay compares behaviour, while
 * `wsgate` itself checks signing.
 */
#ifndef WG_REPLAY_MGMT_H
#define WG_REPLAY_MGMT_H

#include <stddef.h>
#include <stdint.h>

typedef struct wg_replay_mgmt wg_replay_mgmt_t;

/** One PostToConnection the backend made (strings owned by the endpoint). */
typedef struct wg_replay_post {
    char *connection_id;
    char *data;
    size_t len;
} wg_replay_post_t;

/**
 * Binds host:port (port 0 picks a free one) and sets up the endpoint. Returns NULL with a
 * one-line reason in `err` when the address cannot be bound.
 */
wg_replay_mgmt_t *wg_replay_mgmt_start(const char *host, int port, char *err, size_t err_size);
/** The bound port. */
int wg_replay_mgmt_port(const wg_replay_mgmt_t *mgmt);
/**
 * Runs `session(arg)` in a worker thread while this thread serves the endpoint; returns what
 * `session` returned, once it has. The loop stays on the calling thread because h2o keeps freed
 * buffers in thread-local free lists: a loop thread that exits would leak them.
 */
int wg_replay_mgmt_run(wg_replay_mgmt_t *mgmt, int (*session)(void *arg), void *arg);
/** Frees everything (NULL is fine); after wg_replay_mgmt_run returned. */
void wg_replay_mgmt_stop(wg_replay_mgmt_t *mgmt);

/** Marks a connection open (PostToConnection answers 200) or closed (410). `connected_at` in ms. */
void wg_replay_mgmt_open(wg_replay_mgmt_t *mgmt, const char *connection_id, uint64_t connected_at);
void wg_replay_mgmt_close(wg_replay_mgmt_t *mgmt, const char *connection_id);

/** The number of PostToConnection calls kept so far. */
size_t wg_replay_mgmt_count(wg_replay_mgmt_t *mgmt);
/** Waits until at least `count` calls were kept or `timeout_ms` passed; returns the count. */
size_t wg_replay_mgmt_wait(wg_replay_mgmt_t *mgmt, size_t count, uint64_t timeout_ms);
/** Moves every call kept so far into a new array, oldest first (*num its length; NULL when 0).
 * Free each with wg_replay_post_free, then the array. */
wg_replay_post_t *wg_replay_mgmt_take(wg_replay_mgmt_t *mgmt, size_t *num);
void wg_replay_post_free(wg_replay_post_t *post);

#endif
