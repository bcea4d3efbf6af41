/*
 * buf.h: the growable byte buffer every module appends to (one copy instead of five).
 *
 * Owns: wg_buf_t, a heap buffer that doubles as it grows and is always NUL-terminated after
 * `len` bytes (so text built in it can be handed on as a C string). Out of memory aborts, as
 * everywhere in wsgate (style: "out of memory may abort; bad input never does"); callers bound
 * what they append with the caps of limits.h, so a buffer never grows without bound.
 */
#ifndef WG_BUF_H
#define WG_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

typedef struct wg_buf {
    char *data; /* owned; NULL until the first append; data[len] == '\0' once non-NULL */
    size_t len;
    size_t cap;
} wg_buf_t;

#define WG_BUF_INIT \
    {               \
        NULL, 0, 0  \
    }

/** Makes room for `extra` more bytes (plus the terminating NUL) without changing `len`. */
void wg_buf_reserve(wg_buf_t *buf, size_t extra);
/** Appends `n` bytes of `data`. Inline: events and inspector entries are written in many short
 * pieces, and the common case (room left) is a copy. */
static inline void wg_buf_append(wg_buf_t *buf, const void *data, size_t n)
{
    if (buf->data == NULL || buf->cap - buf->len <= n)
        wg_buf_reserve(buf, n);
    if (n > 0)
        memcpy(buf->data + buf->len, data, n);
    buf->len += n;
    buf->data[buf->len] = '\0';
}
/** Appends the C string `s`. */
void wg_buf_append_str(wg_buf_t *buf, const char *s);
/** Appends one byte. */
void wg_buf_append_char(wg_buf_t *buf, char c);
/** Appends printf-style text. */
void wg_buf_appendf(wg_buf_t *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wg_buf_vappendf(wg_buf_t *buf, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/** Empties the buffer, keeping its memory for reuse. */
void wg_buf_reset(wg_buf_t *buf);
/** Hands the bytes to the caller (new; never NULL: an empty buffer gives ""), leaving the buffer
 * empty; `len_out` (may be NULL) gets their length. */
char *wg_buf_take(wg_buf_t *buf, size_t *len_out);
/** Frees the memory; the buffer is empty and reusable afterwards. */
void wg_buf_free(wg_buf_t *buf);

#endif
