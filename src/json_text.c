/*
 * json_text.c: JSON strings and integers written as jansson writes them (see json_text.h).
 */
#include "json_text.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "utf8.h"

static const char hex_digits[] = "0123456789ABCDEF";

/* Whether byte c can be copied into a JSON string as it is (printable ASCII but '"' and '\'). */
static inline bool is_plain_ascii(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* Whether all 8 bytes of `w` are plain (is_plain_ascii), tested at once: most text is, and a byte
 * at a time was most of the writer's work. No byte >= 0x80, none < 0x20 (the "has a byte less than
 * n" test, exact once no byte has its high bit set), none '"' or '\' ("has a zero byte" after XOR). */
static inline bool word_is_plain(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
    uint64_t special = (w & highs) | ((w - ones * 0x20) & ~w & highs) | ((quote - ones) & ~quote & highs) |
                       ((backslash - ones) & ~backslash & highs);
    return special == 0;
}

/* The escape of control character or '"' / '\' c: its length (2 or 6) in esc. */
static size_t escape(unsigned char c, char esc[6])
{
    esc[0] = '\\';
    switch (c) {
    case '"': esc[1] = '"'; return 2;
    case '\\': esc[1] = '\\'; return 2;
    case '\b': esc[1] = 'b'; return 2;
    case '\f': esc[1] = 'f'; return 2;
    case '\n': esc[1] = 'n'; return 2;
    case '\r': esc[1] = 'r'; return 2;
    case '\t': esc[1] = 't'; return 2;
    default:
        memcpy(esc + 1, "u00", 3);
        esc[4] = hex_digits[c >> 4];
        esc[5] = hex_digits[c & 0xF];
        return 6;
    }
}

/* The string writer; `lossy`: U+FFFD for a byte that is not UTF-8, else stop and undo (-1). */
static int put_string(wg_buf_t *buf, const unsigned char *u, size_t len, bool lossy)
{
    size_t start_len = buf->len;
    wg_buf_reserve(buf, len + 2);
    wg_buf_append(buf, "\"", 1);
    size_t run = 0; /* start of the bytes not yet copied */
    size_t i = 0;
    size_t bytewise_until = 0; /* after a word that was not plain, its bytes one at a time */
    while (i < len) {
        if (i >= bytewise_until && len - i >= 8) {
            uint64_t w;
            memcpy(&w, u + i, 8);
            if (word_is_plain(w)) {
                i += 8;
                continue;
            }
            bytewise_until = i + 8;
        }
        unsigned char c = u[i];
        if (is_plain_ascii(c)) {
            i++;
            continue;
        }
        size_t n = c >= 0x80 ? wg_utf8_sequence_length(u + i, len - i) : 0;
        if (n > 0) {
            i += n;
            continue;
        }
        if (c >= 0x80 && !lossy) {
            buf->len = start_len;
            buf->data[buf->len] = '\0';
            return -1;
        }
        wg_buf_append(buf, (const char *)u + run, i - run);
        if (c >= 0x80) {
            wg_buf_append(buf, "\xEF\xBF\xBD", 3); /* U+FFFD for this one byte, then the next */
        } else {
            char esc[6];
            wg_buf_append(buf, esc, escape(c, esc));
        }
        i++;
        run = i;
    }
    wg_buf_append(buf, (const char *)u + run, i - run);
    wg_buf_append(buf, "\"", 1);
    return 0;
}

void wg_json_text_put_string_lossy(wg_buf_t *buf, const char *s, size_t len)
{
    if (s == NULL) {
        s = "";
        len = 0;
    }
    put_string(buf, (const unsigned char *)s, len, true);
}

int wg_json_text_put_string(wg_buf_t *buf, const void *s, size_t len)
{
    return put_string(buf, s != NULL ? s : "", s != NULL ? len : 0, false);
}

void wg_json_text_put_uint(wg_buf_t *buf, unsigned long long value)
{
    /* two digits per division: the inspector writes several 13-digit numbers per entry */
    static const char pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                   "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                   "8081828384858687888990919293949596979899";
    char digits[24];
    size_t pos = sizeof(digits);
    while (value >= 100) {
        unsigned k = (unsigned)(value % 100) * 2;
        value /= 100;
        digits[--pos] = pairs[k + 1];
        digits[--pos] = pairs[k];
    }
    if (value >= 10) {
        digits[--pos] = pairs[value * 2 + 1];
        digits[--pos] = pairs[value * 2];
    } else {
        digits[--pos] = (char)('0' + value);
    }
    wg_buf_append(buf, digits + pos, sizeof(digits) - pos);
}

void wg_json_text_put_int(wg_buf_t *buf, long long value)
{
    if (value < 0) {
        wg_buf_append(buf, "-", 1);
        wg_json_text_put_uint(buf, 0ULL - (unsigned long long)value);
    } else {
        wg_json_text_put_uint(buf, (unsigned long long)value);
    }
}
