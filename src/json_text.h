/*
 * json_text.h: JSON strings and integers written straight into a wg_buf_t, byte for byte as
 * jansson writes them (JSON_COMPACT, raw UTF-8, no JSON_ENSURE_ASCII, '/' unescaped, short escapes
 * for '"' '\' \b \f \n \r \t, \u00XX upper-case hex for the other control characters).
 *
 * Owns the one exception to the house rule "JSON -> jansson": the two paths that write JSON for
 * every message, events.c (each event: building a jansson tree and dumping it was about 60 % of a
 * connection's instructions) and inspector.c (the per-message entries while a page watches). Every
 * other JSON text is built and written by jansson. tests/unit/test_events.c, test_inspector.c and
 * fuzz_events / fuzz_inspector compare this writer's output with jansson's on the same input.
 */
#ifndef WG_JSON_TEXT_H
#define WG_JSON_TEXT_H

#include <stddef.h>

#include "buf.h"

/** Appends s[0..len) as a JSON string; NULL is "". A byte that is not part of well-formed UTF-8
 * (utf8.h) becomes U+FFFD, one per byte, as API Gateway's events carry such text. */
void wg_json_text_put_string_lossy(wg_buf_t *buf, const char *s, size_t len);
/** Appends s[0..len) as a JSON string when it is well-formed UTF-8 (returns 0); otherwise appends
 * nothing and returns -1 (jansson would refuse it too: the caller decides). */
int wg_json_text_put_string(wg_buf_t *buf, const void *s, size_t len);
/** Appends `value` as jansson writes a json_int_t ("%lld"). */
void wg_json_text_put_int(wg_buf_t *buf, long long value);
/** An unsigned integer in decimal. */
void wg_json_text_put_uint(wg_buf_t *buf, unsigned long long value);

#endif
