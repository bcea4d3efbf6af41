/*
 * recorder.h: `wsgate --record DIR` - writes every event the server sends to a backend, with the
 * backend's answer, as one fixture file per event, in the format `wsgate replay` reads back.
 *
 * File names are NNNN-<route>.json: NNNN is a 4+ digit sequence number (order of the calls to
 * wg_recorder_event), <route> the route key with every character outside [A-Za-z0-9_-] replaced
 * by '_' and a leading '$' dropped ("$connect" -> "connect"). Each file holds one JSON object:
 *
 *   {"routeKey": "chat", "connectionId": "BFaT_fALIAMCKug=", "twoWay": false,
 *    "event": { ...the event exactly as sent, keys in the same order... },
 *    "response": {"status": 200, "body": "..."}}
 *
 * "response.status" is the backend's HTTP status, 0 when there was no HTTP answer (unreachable,
 * timeout). "response.body" is the answer as a string when it is UTF-8; otherwise the key is
 * "bodyBase64". "twoWay" says whether the route sends the answer's body back to the client (so
 * replay compares the body only then). An event that is not valid JSON (never expected) is stored
 * as "eventText".
 *
 * Side effects at the management API (a backend calling PostToConnection while it handles an
 * event) are files of their own, numbered in the same sequence, NNNN-postToConnection.json:
 *
 *   {"postToConnection": {"connectionId": "BFaT_fALIAMCKug=", "data": "..."}}
 *
 * ("dataBase64" when the bytes are not UTF-8). Replay attributes one to the closest event file
 * before it. Full description: docs/replay.md.
 * Writes go to NNNN-<route>.json.tmp and are renamed, so a reader never sees half a file.
 * Thread-safe: one mutex serialises numbering and writing.
 */
#ifndef WG_RECORDER_H
#define WG_RECORDER_H

#include <stddef.h>

typedef struct wg_recorder wg_recorder_t;

/**
 * Opens a recorder writing into `dir` (created with mode 0755 if missing; its parent must exist).
 * Numbering continues after the highest NNNN- file already in `dir`, so recording twice into the
 * same directory keeps both sessions in order. Returns NULL and a one-line message in `err`
 * (at most errlen bytes) when the directory cannot be created or is not writable.
 */
wg_recorder_t *wg_recorder_open(const char *dir, char *err, size_t errlen);

/**
 * Writes one fixture file. All pointers are borrowed. `event_json` (len bytes) is the event as
 * sent; `response_body` may be NULL when `response_len` is 0. Failures (disk full...) are logged
 * once per call with wg_log_warn and otherwise ignored: recording never affects the server.
 */
void wg_recorder_event(wg_recorder_t *rec, const char *route_key, int is_two_way, const char *connection_id,
                       const char *event_json, size_t len, int status, const char *response_body, size_t response_len);

/** Reserves the next file number, so that files are numbered in the order events were sent even
 * when backend answers arrive in another order. */
unsigned wg_recorder_reserve(wg_recorder_t *rec);
/** Like wg_recorder_event, with a number from wg_recorder_reserve. */
void wg_recorder_event_at(wg_recorder_t *rec, unsigned seq, const char *route_key, int is_two_way,
                          const char *connection_id, const char *event_json, size_t len, int status,
                          const char *response_body, size_t response_len);

/**
 * Writes a side-effect file for a successful management call (`operation` "postToConnection")
 * to `connection_id` with `data` (len bytes). NULL `rec` is fine (does nothing). Same failure
 * handling as wg_recorder_event.
 */
void wg_recorder_side_effect(wg_recorder_t *rec, const char *operation, const char *connection_id, const char *data,
                             size_t len);

/** Frees the recorder (NULL is fine). Files already written stay. */
void wg_recorder_close(wg_recorder_t *rec);

/**
 * The file name (not the path) for sequence number `seq` and `route_key`, as described above,
 * into `out` (at least 80 bytes; long route keys are cut to 48 characters). Exposed for tests.
 */
void wg_recorder_file_name(unsigned seq, const char *route_key, char *out, size_t out_size);

#endif
