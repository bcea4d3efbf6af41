/*
 * ids.h: identifiers in AWS's formats (AWS-ID in docs/aws-behaviour.md); their times are clock.h's.
 *
 * connectionId, messageId, requestId and extendedRequestId are 16-character base64url strings of
 * 11 bytes with the byte layout of AWS-ID-7 (decisecond counter, type tag, per-region cell bytes,
 * type byte, a messageId sharing its connection's tail). apiId is 10 [a-z0-9]. The clock and the
 * random source are injected so that unit tests compare output byte for byte.
 */
#ifndef WG_IDS_H
#define WG_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WG_ID_LEN 16 /* characters in a connection/message/request ID, without the NUL */
#define WG_API_ID_LEN 10 /* characters in an apiId */
#define WG_TRACE_ID_LEN 40 /* "Root=1-" + 8 hex + "-" + 24 hex */
#define WG_UUID_LEN 36

/** Fills `out` with `len` random bytes. The default uses OpenSSL's RAND_bytes. */
typedef void (*wg_random_fn)(void *ctx, uint8_t *out, size_t len);

typedef struct wg_ids wg_ids_t;

/**
 * A new generator for `region` (selects the cell bytes of AWS-ID-8; unknown regions use
 * us-east-1's). `random` NULL means OpenSSL's RAND_bytes. Returns NULL on out of memory.
 */
wg_ids_t *wg_ids_new(const char *region, wg_random_fn random, void *random_ctx);
void wg_ids_free(wg_ids_t *ids);

/** A new connectionId for a connection created at `now_ms` (epoch ms). `out` gets 16 chars + NUL. */
void wg_ids_connection(wg_ids_t *ids, uint64_t now_ms, char out[WG_ID_LEN + 1]);
/** A new requestId (== extendedRequestId) at `now_ms`. */
void wg_ids_request(wg_ids_t *ids, uint64_t now_ms, char out[WG_ID_LEN + 1]);
/** A new messageId at `now_ms` for a message of `connection_id` (shares its tail, AWS-ID-5). */
void wg_ids_message(wg_ids_t *ids, uint64_t now_ms, const char *connection_id, char out[WG_ID_LEN + 1]);
/** True when `s` has the form of an apiId: exactly 10 characters of [a-z0-9]. */
bool wg_ids_is_api_id(const char *s);
/** A random apiId: 10 characters of [a-z0-9]. */
void wg_ids_api_id(wg_ids_t *ids, char out[WG_API_ID_LEN + 1]);
/** An X-Amzn-Trace-Id value "Root=1-<8 hex epoch seconds>-<24 hex random>" at `now_ms`. */
void wg_ids_trace_id(wg_ids_t *ids, uint64_t now_ms, char out[WG_TRACE_ID_LEN + 1]);
/** A lowercase UUID v4 from libuuid (x-amzn-RequestId on management responses). */
void wg_ids_uuid(char out[WG_UUID_LEN + 1]);

/* ---- additions (events/ids engineer): decoding and the layout constants, for tests and tools ---- */

#define WG_ID_BYTES 11 /* bytes behind a 16-character ID */

/**
 * Decodes a 16-character base64url ID ("...=") into its 11 bytes. Returns 0, or -1 when `id` is
 * not exactly 16 characters of the base64url alphabet ending in one '='. Nothing is allocated.
 */
int wg_ids_decode(const char *id, uint8_t out[WG_ID_BYTES]);

/**
 * The cell bytes (byte 6's low 7 bits, byte 7) that `region` uses in IDs (AWS-ID-8). Returns 1 when
 * the region is in src/ids.c's cell table (AWS-ID-8), 0 when it is not (then the outputs get us-east-1's 0x20, 0x03).
 */
int wg_ids_region_cell(const char *region, uint8_t *cell_hi, uint8_t *cell_lo);

/*
 * How many bytes each call draws from the random source, in this order (so a scripted source in a
 * test yields fixed IDs):
 *   wg_ids_new:        2 bytes, big endian: connection counter start 0x1000 + v % 0x1F00
 *   wg_ids_connection: 3 bytes: random14 (big endian, low 14 bits), byte-6 top bit (0x80 of byte 3)
 *   wg_ids_message:    3 bytes: same as connection (bytes 6 low bits..10 come from the connection;
 *                      if `connection_id` does not decode, 2 more bytes as for a request's 9-10)
 *   wg_ids_request:    5 bytes: random14, top bit, then bytes 9-10 verbatim
 *   wg_ids_api_id:     1 byte per character, bytes >= 252 rejected (unbiased % 36)
 *   wg_ids_trace_id:   12 bytes (the 24 hex digits)
 * A generator may be shared by threads (its connection counter is atomic; the default source,
 * RAND_bytes, is thread-safe); an injected source must then be thread-safe itself.
 */

#endif
