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

static void log_line(const char *level, const char *fmt, va_list ap)
{
    struct timeval tv;
    struct tm tm;
    char stamp[32];
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    char line[2048];
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    if (n < 0)
        return;
    fprintf(stderr, "%s.%03dZ %s %s%s\n", stamp, (int)(tv.tv_usec / 1000), level, line,
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
