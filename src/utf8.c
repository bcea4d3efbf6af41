/*
 * utf8.c: UTF-8 well-formedness (see utf8.h).
 */
#include "utf8.h"

#include <stdint.h>

size_t wg_utf8_sequence_length(const unsigned char *s, size_t len)
{
    if (len == 0)
        return 0;
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
        n = 2;
        cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    if (n > len)
        return 0;
    for (size_t k = 1; k < n; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3Fu);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

bool wg_utf8_is_valid(const void *s, size_t len)
{
    const unsigned char *u = s;
    size_t i = 0;
    while (i < len) {
        if (u[i] < 0x80) { /* the common case: ASCII, one byte at a time without a call */
            i++;
            continue;
        }
        size_t n = wg_utf8_sequence_length(u + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}
