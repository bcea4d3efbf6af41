/*
 * log.h: one line per event on stderr, with a level and a UTC timestamp.
 *
 * wg_log_debug lines appear only with --verbose; hot paths call it behind wg_log_is_verbose()
 * so that formatting costs nothing when it is off. Secrets (Authorization values, secret keys)
 * are never passed here.
 *
 * Log lines quote client text (connection ids, paths, close reasons, headers), so every control
 * byte (0x00-0x1F, 0x7F), every byte of a C1 control (U+0080-U+009F) or of malformed UTF-8, and
 * every backslash of the formatted line is escaped (\n, \r, \t, \\, \xHH); well-formed UTF-8
 * passes as it is. One event is always one line, and no client can forge a line or send terminal
 * escapes.
 */
#ifndef WG_LOG_H
#define WG_LOG_H

#include <stdbool.h>
#include <stddef.h>

void wg_log_set_verbose(int is_verbose);
bool wg_log_is_verbose(void);
void wg_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wg_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wg_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wg_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Writes `in` (len bytes) into out with control bytes and backslashes escaped as above; stops
 * before an escape that would not fit. Always NUL-terminates (out_size > 0). Returns the number
 * of input bytes consumed (len when all fit). */
size_t wg_log_escape(const char *in, size_t len, char *out, size_t out_size);

#endif
