/*
 * str.h: the two string chores every module has: a copy that cannot fail, and a one-line error
 * message written into the caller's buffer.
 *
 * Owns nothing but these helpers. Out of memory aborts, as everywhere in wsgate; error buffers
 * are the caller's (`char err[256]` and its size), so a message is cut, never overflowed.
 */
#ifndef WG_STR_H
#define WG_STR_H

#include <stddef.h>

/** A new copy of `s` (NULL gives NULL). */
char *wg_str_dup(const char *s);
/** Writes printf-style text into err[0..err_size); returns -1, so that `return wg_str_fail(...)`
 * reports and fails in one line. */
int wg_str_fail(char *err, size_t err_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
