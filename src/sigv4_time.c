/*
 * sigv4_time.c: the times SigV4 reads and writes: X-Amz-Date's basic ISO-8601 `yyyymmddTHHMMSSZ`
 * (AWS-SIG-1, AWS-SIG-11: also the form AWS quotes in its "Signature expired" messages) and the HTTP
 * `Date` header an older SDK sends instead.
 *
 * Proleptic Gregorian calendar maths on epoch seconds: no libc time zone or locale state, so the
 * event-loop thread never touches TZ. Every input byte comes from the network and goes by length.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sigv4_internal.h"

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

static int days_in_month(int64_t y, unsigned m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

/* "yyyymmddTHHMMSSZ" for epoch seconds `t`; out holds 32 bytes (years beyond 9999 widen). */
void wg_sigv4_format_basic(int64_t t, char out[32])
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t secs = t - days * 86400;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, 32, "%04lld%02u%02uT%02u%02u%02uZ", (long long)y, m, d, (unsigned)(secs / 3600),
             (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
}

int wg_sigv4_parse_digits(const char *s, size_t n, unsigned *out)
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

/* SigV4 basic ISO-8601 "yyyymmddTHHMMSSZ", exactly. */
int wg_sigv4_parse_basic(const char *s, size_t len, int64_t *out)
{
    unsigned y, mo, d, h, mi, sec;
    if (len != 16 || s[8] != 'T' || s[15] != 'Z' || wg_sigv4_parse_digits(s, 4, &y) ||
        wg_sigv4_parse_digits(s + 4, 2, &mo) || wg_sigv4_parse_digits(s + 6, 2, &d) ||
        wg_sigv4_parse_digits(s + 9, 2, &h) || wg_sigv4_parse_digits(s + 11, 2, &mi) ||
        wg_sigv4_parse_digits(s + 13, 2, &sec))
        return -1;
    return make_time(y, mo, d, h, mi, sec, out);
}

/* RFC 7231 IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" (the `Date` header SDKs used to send). */
int wg_sigv4_parse_http_date(const char *s, size_t len, int64_t *out)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    unsigned y, mo = 0, d, h, mi, sec;
    if (len != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
        s[22] != ':' || s[25] != ' ' || memcmp(s + 26, "GMT", 3) != 0)
        return -1;
    for (unsigned i = 0; i < 12; i++)
        if (memcmp(s + 8, months + 3 * i, 3) == 0)
            mo = i + 1;
    if (mo == 0 || wg_sigv4_parse_digits(s + 5, 2, &d) || wg_sigv4_parse_digits(s + 12, 4, &y) ||
        wg_sigv4_parse_digits(s + 17, 2, &h) || wg_sigv4_parse_digits(s + 20, 2, &mi) ||
        wg_sigv4_parse_digits(s + 23, 2, &sec))
        return -1;
    return make_time(y, mo, d, h, mi, sec, out);
}
