/*
 * clock.c: wall-clock time and AWS's time formats, on one calendar.
 *
 * Every format and parser goes through Howard Hinnant's days_from_civil / civil_from_days
 * (proleptic Gregorian, exact for any int64 day count): no gmtime_r/timegm, so no libc time zone
 * state on the event-loop thread, and no strftime, so no locale (requestTime's month names stay
 * English under any LC_TIME, as AWS writes them: AWS-ID-10). Digits are written by hand rather
 * than with snprintf so that the fixed-width outputs need no truncation reasoning.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif
#include "clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* The last millisecond of 9999-12-31: AWS's formats have four-digit years, so later times are
 * clamped (they only arise from a broken clock or a bad test value). */
#define MAX_FORMAT_MS 253402300799999ULL

typedef struct {
    int64_t year;
    unsigned month; /* 1..12 */
    unsigned day; /* 1..31 */
    unsigned hour, minute, second;
} civil_t;

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* The UTC calendar fields of epoch seconds `t` (any sign). */
static civil_t civil_of_seconds(int64_t t)
{
    civil_t c;
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t secs = t - days * 86400;
    civil_from_days(days, &c.year, &c.month, &c.day);
    c.hour = (unsigned)(secs / 3600);
    c.minute = (unsigned)(secs / 60 % 60);
    c.second = (unsigned)(secs % 60);
    return c;
}

/* The calendar fields of `ms`, clamped to the last instant of year 9999. */
static civil_t civil_of_ms(uint64_t ms)
{
    if (ms > MAX_FORMAT_MS)
        ms = MAX_FORMAT_MS;
    return civil_of_seconds((int64_t)(ms / 1000));
}

static int days_in_month(int64_t y, unsigned m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

/* Writes `v` as exactly `width` zero-padded decimal digits; returns the end. */
static char *put_digits(char *p, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

static char *put_text(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

/* "yyyymmddTHHMMSSZ" + NUL; a year outside 0..9999 widens (only wg_clock_format_basic, with its
 * 32-byte buffer, can be given one). */
static void put_basic(char *p, const civil_t *c)
{
    if (c->year >= 0 && c->year <= 9999) {
        p = put_digits(p, (unsigned)c->year, 4);
    } else {
        char year[24];
        int n = snprintf(year, sizeof(year), "%04lld", (long long)c->year);
        memcpy(p, year, (size_t)n);
        p += n;
    }
    p = put_digits(p, c->month, 2);
    p = put_digits(p, c->day, 2);
    *p++ = 'T';
    p = put_digits(p, c->hour, 2);
    p = put_digits(p, c->minute, 2);
    p = put_digits(p, c->second, 2);
    *p++ = 'Z';
    *p = '\0';
}

/* English month abbreviations whatever the locale (strftime's %b would follow LC_TIME). */
static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

uint64_t wg_clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void wg_clock_format_request_time(uint64_t ms, char out[32])
{
    civil_t c = civil_of_ms(ms);
    char *p = out;
    p = put_digits(p, c.day, 2);
    *p++ = '/';
    p = put_text(p, months[(c.month - 1) % 12]);
    *p++ = '/';
    p = put_digits(p, (unsigned)c.year, 4);
    *p++ = ':';
    p = put_digits(p, c.hour, 2);
    *p++ = ':';
    p = put_digits(p, c.minute, 2);
    *p++ = ':';
    p = put_digits(p, c.second, 2);
    p = put_text(p, " +0000");
    *p = '\0';
}

void wg_clock_format_iso8601_ms(uint64_t ms, char out[32])
{
    if (ms > MAX_FORMAT_MS)
        ms = MAX_FORMAT_MS;
    civil_t c = civil_of_ms(ms);
    char *p = out;
    p = put_digits(p, (unsigned)c.year, 4);
    *p++ = '-';
    p = put_digits(p, c.month, 2);
    *p++ = '-';
    p = put_digits(p, c.day, 2);
    *p++ = 'T';
    p = put_digits(p, c.hour, 2);
    *p++ = ':';
    p = put_digits(p, c.minute, 2);
    *p++ = ':';
    p = put_digits(p, c.second, 2);
    *p++ = '.';
    p = put_digits(p, (unsigned)(ms % 1000), 3);
    *p++ = 'Z';
    *p = '\0';
}

void wg_clock_format_amz_date(uint64_t ms, char out[17])
{
    civil_t c = civil_of_ms(ms); /* year <= 9999: exactly 16 characters */
    put_basic(out, &c);
}

void wg_clock_format_basic(int64_t t, char out[32])
{
    civil_t c = civil_of_seconds(t);
    put_basic(out, &c);
}

int wg_clock_parse_digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

static int make_time(unsigned y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s, int64_t *out)
{
    if (mo < 1 || mo > 12 || d < 1 || (int)d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60)
        return -1;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    return 0;
}

int wg_clock_parse_basic(const char *s, size_t len, int64_t *out)
{
    unsigned y, mo, d, h, mi, sec;
    if (len != 16 || s[8] != 'T' || s[15] != 'Z' || wg_clock_parse_digits(s, 4, &y) ||
        wg_clock_parse_digits(s + 4, 2, &mo) || wg_clock_parse_digits(s + 6, 2, &d) ||
        wg_clock_parse_digits(s + 9, 2, &h) || wg_clock_parse_digits(s + 11, 2, &mi) ||
        wg_clock_parse_digits(s + 13, 2, &sec))
        return -1;
    return make_time(y, mo, d, h, mi, sec, out);
}

int wg_clock_parse_http_date(const char *s, size_t len, int64_t *out)
{
    unsigned y, mo = 0, d, h, mi, sec;
    if (len != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
        s[22] != ':' || s[25] != ' ' || memcmp(s + 26, "GMT", 3) != 0)
        return -1;
    for (unsigned i = 0; i < 12; i++)
        if (memcmp(s + 8, months[i], 3) == 0)
            mo = i + 1;
    if (mo == 0 || wg_clock_parse_digits(s + 5, 2, &d) || wg_clock_parse_digits(s + 12, 4, &y) ||
        wg_clock_parse_digits(s + 17, 2, &h) || wg_clock_parse_digits(s + 20, 2, &mi) ||
        wg_clock_parse_digits(s + 23, 2, &sec))
        return -1;
    return make_time(y, mo, d, h, mi, sec, out);
}
