/*
 * clock.h: wall-clock time and every time format wsgate reads or writes (one calendar, not two).
 *
 * Owns: the current time in epoch milliseconds; AWS's formats (requestTime, GetConnection's
 * ISO-8601 with milliseconds, SigV4's basic ISO-8601 X-Amz-Date, AWS-SIG-1 and AWS-SIG-11) and
 * the HTTP `Date` header (RFC 7231 IMF-fixdate). All of it is proleptic Gregorian calendar maths
 * on epoch seconds: no libc time zone or locale state (the month names are English whatever
 * LC_TIME says), so the event-loop thread never touches TZ. Parsers take network bytes by length.
 */
#ifndef WG_CLOCK_H
#define WG_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/** Current wall-clock time in epoch milliseconds. */
uint64_t wg_clock_now_ms(void);

/** `requestTime`: "dd/Mon/yyyy:HH:mm:ss +0000" in UTC (e.g. "08/Apr/2022:07:53:39 +0000"); times
 * after 9999-12-31 are clamped to it. */
void wg_clock_format_request_time(uint64_t ms, char out[32]);
/** ISO-8601 with milliseconds and Z (GetConnection timestamps): "2020-04-30T20:10:33.236Z";
 * clamped to year 9999. */
void wg_clock_format_iso8601_ms(uint64_t ms, char out[32]);
/** SigV4 basic ISO-8601 "yyyymmddTHHMMSSZ" of epoch milliseconds; clamped to year 9999. */
void wg_clock_format_amz_date(uint64_t ms, char out[17]);
/** SigV4 basic ISO-8601 "yyyymmddTHHMMSSZ" of epoch seconds `t`, unclamped (the times quoted in
 * SigV4's messages, AWS-SIG-11): years outside 0..9999 widen ("-001..." before year 0), hence
 * 32 bytes. */
void wg_clock_format_basic(int64_t t, char out[32]);

/** Exactly `n` decimal digits, nothing else (n <= 9, so the value fits). Returns 0, or -1. */
int wg_clock_parse_digits(const char *s, size_t n, unsigned *out);
/** SigV4 basic ISO-8601 "yyyymmddTHHMMSSZ", exactly, into epoch seconds (second 60 allowed, as a
 * leap second). Returns 0, or -1 for any other form or an impossible date. */
int wg_clock_parse_basic(const char *s, size_t len, int64_t *out);
/** RFC 7231 IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" (the `Date` header SDKs used to send) into
 * epoch seconds; the weekday is not checked. Returns 0, or -1. */
int wg_clock_parse_http_date(const char *s, size_t len, int64_t *out);

#endif
