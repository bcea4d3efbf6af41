/* log.c: timestamped log lines on stderr (see log.h). */
#include "log.h"

#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "utf8.h"

static int log_verbose;

void wg_log_set_verbose(int is_verbose)
{
    log_verbose = is_verbose;
}

bool wg_log_is_verbose(void)
{
    return log_verbose;
}

size_t wg_log_escape(const char *in, size_t len, char *out, size_t out_size)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)in;
    size_t o = 0, i = 0;
    while (i < len) {
        unsigned char c = u[i];
        if (c >= 0x20 && c < 0x7F && c != '\\') { /* the common case: printable ASCII, as it is */
            if (o + 2 > out_size)
                break;
            out[o++] = (char)c;
            i++;
            continue;
        }
        char esc[4];
        size_t n = 0, used = 1;
        size_t seq = c >= 0x80 ? wg_utf8_sequence_length(u + i, len - i) : 1;
        /* C1 controls (U+0080-U+009F, UTF-8 C2 80-C2 9F) act as escapes on some terminals too */
        int is_c1 = seq == 2 && c == 0xC2 && u[i + 1] < 0xA0;
        if (c == '\n' || c == '\r' || c == '\\') {
            esc[n++] = '\\';
            esc[n++] = c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
        } else if (c == '\t') {
            /* a tab can neither end a line nor drive a terminal: kept, so function logs read
             * like CloudWatch's tab-separated lines */
        } else if (c < 0x20 || c == 0x7F || seq == 0 || is_c1) {
            /* a C1 control: this \xc2, then its second byte, alone, is malformed: \x80-\x9f */
            esc[n++] = '\\';
            esc[n++] = 'x';
            esc[n++] = hex[c >> 4];
            esc[n++] = hex[c & 15];
        } else {
            used = seq; /* a whole well-formed character, copied as it is */
        }
        size_t need = n ? n : used;
        if (o + need + 1 > out_size)
            break;
        if (n) {
            for (size_t k = 0; k < n; k++)
                out[o++] = esc[k];
        } else {
            for (size_t k = 0; k < used; k++)
                out[o++] = (char)u[i + k];
        }
        i += used;
    }
    if (out_size > 0)
        out[o] = '\0';
    return i;
}

__attribute__((format(printf, 2, 0))) static void log_line(const char *level, const char *fmt, va_list ap)
{
    char line[2048];
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
    /* the whole line is assembled here and written with one call: stderr is unbuffered, and
     * fprintf's pieces would each be a copy (and, between threads, could interleave) */
    char out[32 + 8 + 4 * sizeof(line) + 8];
    wg_clock_format_iso8601_ms(wg_clock_now_ms(), out);
    size_t o = strlen(out);
    out[o++] = ' ';
    memcpy(out + o, level, 5);
    o += 5;
    out[o++] = ' ';
    /* vsnprintf's count includes any NUL a %.*s argument carried; escape all `len` bytes */
    wg_log_escape(line, len, out + o, sizeof(out) - o - 8);
    o += strlen(out + o);
    if ((size_t)n >= sizeof(line)) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o++] = '\n';
    fwrite(out, 1, o, stderr);
}

#define WG_LOG_FN(fn, level, cond) \
    void fn(const char *fmt, ...)  \
    {                              \
        if (!(cond))               \
            return;                \
        va_list ap;                \
        va_start(ap, fmt);         \
        log_line(level, fmt, ap);  \
        va_end(ap);                \
    }

WG_LOG_FN(wg_log_info, "info ", 1)
WG_LOG_FN(wg_log_warn, "WARN ", 1)
WG_LOG_FN(wg_log_error, "ERROR", 1)
WG_LOG_FN(wg_log_debug, "debug", log_verbose)
