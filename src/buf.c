/*
 * buf.c: the growable byte buffer (see buf.h).
 */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void wg_buf_reserve(wg_buf_t *buf, size_t extra)
{
    if (extra > (size_t)-1 / 2 - buf->len - 1)
        abort();
    size_t need = buf->len + extra + 1;
    if (need <= buf->cap)
        return;
    size_t cap = buf->cap ? buf->cap : 64;
    while (cap < need)
        cap *= 2;
    char *data = realloc(buf->data, cap);
    if (data == NULL)
        abort();
    buf->data = data;
    buf->cap = cap;
    buf->data[buf->len] = '\0';
}

void wg_buf_append_str(wg_buf_t *buf, const char *s)
{
    wg_buf_append(buf, s, strlen(s));
}

void wg_buf_append_char(wg_buf_t *buf, char c)
{
    wg_buf_append(buf, &c, 1);
}

void wg_buf_vappendf(wg_buf_t *buf, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    if (n < 0) {
        va_end(again);
        return;
    }
    if ((size_t)n < sizeof(small)) {
        wg_buf_append(buf, small, (size_t)n);
    } else {
        wg_buf_reserve(buf, (size_t)n);
        vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, again);
        buf->len += (size_t)n;
    }
    va_end(again);
}

void wg_buf_appendf(wg_buf_t *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wg_buf_vappendf(buf, fmt, ap);
    va_end(ap);
}

void wg_buf_reset(wg_buf_t *buf)
{
    buf->len = 0;
    if (buf->data != NULL)
        buf->data[0] = '\0';
}

char *wg_buf_take(wg_buf_t *buf, size_t *len_out)
{
    if (buf->data == NULL)
        wg_buf_reserve(buf, 0);
    char *data = buf->data;
    if (len_out != NULL)
        *len_out = buf->len;
    buf->data = NULL;
    buf->len = buf->cap = 0;
    return data;
}

void wg_buf_free(wg_buf_t *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}
