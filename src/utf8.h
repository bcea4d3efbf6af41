/*
 * utf8.h: UTF-8 well-formedness (RFC 3629), one copy for the frame checks, events and logs.
 *
 * Owns: the rule for a well-formed sequence: no overlong forms, no surrogates (U+D800..DFFF),
 * nothing above U+10FFFF. The same rule as jansson's, so text that passes here is accepted by
 * json_stringn, and the rule RFC 6455 §8.1 asks of text frames (a bad one closes with 1007).
 */
#ifndef WG_UTF8_H
#define WG_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/** Length (1..4) of the well-formed sequence at s[0..len), or 0 when the bytes there are not one
 * (len 0 gives 0). */
size_t wg_utf8_sequence_length(const unsigned char *s, size_t len);
/** Whether all of s[0..len) is well-formed UTF-8. */
bool wg_utf8_is_valid(const void *s, size_t len);

#endif
