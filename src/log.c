/* log.c: timestamped log lines on stderr (see log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

static int log_verbose;

void wg_log_set_verbose(int is_verbose)
{
    log_verbose = is_verbose;
}

int wg_log_is_verbose(void)
{
    return log_verbose;
}

size_t wg_log_escape(const char *in, size_t len, char *out, size_t out_size)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, i = 0;
    for (; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        char esc[4];
        size_t n = 0;
        if (c == '\n' || c == '\r' || c == '\t' || c == '\\') {
            esc[n++] = '\\';
            esc[n++] = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : '\\';
        } else if (c < 0x20 || c == 0x7F) {
            esc[n++] = '\\';
            esc[n++] = 'x';
            esc[n++] = hex[c >> 4];
            esc[n++] = hex[c & 15];
        } else {
            esc[n++] = (char)c;
        }
        if (o + n + 1 > out_size)
            break;
        for (size_t k = 0; k < n; k++)
            out[o++] = esc[k];
    }
    if (out_size > 0)
        out[o] = '\0';
    return i;
}

static void log_line(const char *level, const char *fmt, va_list ap)
{
    struct timeval tv;
    struct tm tm;
    char stamp[32];
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    char line[2048], escaped[4 * 2048];
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
    /* vsnprintf's count includes any NUL a %.*s argument carried; escape all `len` bytes */
    wg_log_escape(line, len, escaped, sizeof(escaped));
    fprintf(stderr, "%s.%03dZ %s %s%s\n", stamp, (int)(tv.tv_usec / 1000), level, escaped,
            (size_t)n >= sizeof(line) ? "..." : "");
}

#define WG_LOG_FN(fn, level, cond)                                                                 \
    void fn(const char *fmt, ...)                                                                  \
    {                                                                                              \
        if (!(cond))                                                                               \
            return;                                                                                \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        log_line(level, fmt, ap);                                                                  \
        va_end(ap);                                                                                \
    }

WG_LOG_FN(wg_log_info, "info ", 1)
WG_LOG_FN(wg_log_warn, "WARN ", 1)
WG_LOG_FN(wg_log_error, "ERROR", 1)
WG_LOG_FN(wg_log_debug, "debug", log_verbose)
