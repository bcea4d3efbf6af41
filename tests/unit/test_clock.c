/*
 * test_clock.c: the time formats AWS shows (requestTime, GetConnection's ISO-8601, SigV4's basic
 * ISO-8601), SigV4's date parsers (X-Amz-Date and the HTTP `Date` header) and the one calendar
 * behind them, checked against libc's gmtime_r/timegm over centuries of instants.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* timegm */
#endif
#include <check.h>
#include <locale.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

/* ------------------------------------------------------------ formats ---- */

/* Epoch milliseconds of a UTC civil time, from libc's timegm: an oracle independent of clock.c's
 * own calendar maths. */
static uint64_t ms_of(int y, unsigned mo, unsigned d, int h, int mi, int s, int ms)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = (int)mo - 1;
    tm.tm_mday = (int)d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (uint64_t)timegm(&tm) * 1000 + (uint64_t)ms;
}

START_TEST(test_request_time)
{
    char out[32];
    wg_clock_format_request_time(1731324924561ULL, out);
    ck_assert_str_eq(out, "11/Nov/2024:11:35:24 +0000"); /* the connect capture */
    wg_clock_format_request_time(1731333109875ULL, out);
    ck_assert_str_eq(out, "11/Nov/2024:13:51:49 +0000"); /* the disconnect capture */
    wg_clock_format_request_time(1737995987617ULL, out);
    ck_assert_str_eq(out, "27/Jan/2025:16:39:47 +0000"); /* the authorizer capture */
    wg_clock_format_request_time(1649404419000ULL, out);
    ck_assert_str_eq(out, "08/Apr/2022:07:53:39 +0000"); /* day padding, AWS-ID-10 */
    wg_clock_format_request_time(0, out);
    ck_assert_str_eq(out, "01/Jan/1970:00:00:00 +0000");
    wg_clock_format_request_time(ms_of(2024, 2, 29, 23, 59, 59, 999), out);
    ck_assert_str_eq(out, "29/Feb/2024:23:59:59 +0000"); /* ms never round up */

    static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (unsigned m = 1; m <= 12; m++) {
        char expected[32];
        wg_clock_format_request_time(ms_of(2023, m, 5, 4, 3, 2, 1), out);
        snprintf(expected, sizeof(expected), "05/%s/2023:04:03:02 +0000", months[m - 1]);
        ck_assert_str_eq(out, expected);
    }
}
END_TEST

START_TEST(test_request_time_ignores_locale)
{
    /* strftime's %b would follow LC_TIME; ours must stay English. scripts/install-deps.sh --all
     * generates de_DE.UTF-8; at least one of these locales must be there, or the test fails. */
    const char *locales[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "es_ES.UTF-8"};
    int tried = 0;
    for (size_t i = 0; i < sizeof(locales) / sizeof(locales[0]); i++) {
        if (setlocale(LC_ALL, locales[i]) == NULL)
            continue;
        tried++;
        char out[32];
        wg_clock_format_request_time(ms_of(2024, 5, 1, 0, 0, 0, 0), out);
        ck_assert_str_eq(out, "01/May/2024:00:00:00 +0000");
        wg_clock_format_request_time(ms_of(2024, 12, 1, 0, 0, 0, 0), out);
        ck_assert_str_eq(out, "01/Dec/2024:00:00:00 +0000");
    }
    setlocale(LC_ALL, "C");
    ck_assert_msg(tried > 0, "no de_DE/fr_FR/es_ES UTF-8 locale installed: run scripts/install-deps.sh --all");
    char out[32];
    wg_clock_format_request_time(ms_of(2024, 10, 9, 0, 0, 0, 0), out);
    ck_assert_str_eq(out, "09/Oct/2024:00:00:00 +0000");
}
END_TEST

START_TEST(test_iso8601_ms)
{
    char out[32];
    wg_clock_format_iso8601_ms(1588277433236ULL, out);
    ck_assert_str_eq(out, "2020-04-30T20:10:33.236Z"); /* GetConnection example */
    wg_clock_format_iso8601_ms(0, out);
    ck_assert_str_eq(out, "1970-01-01T00:00:00.000Z");
    wg_clock_format_iso8601_ms(ms_of(2024, 1, 2, 3, 4, 5, 7), out);
    ck_assert_str_eq(out, "2024-01-02T03:04:05.007Z");
    wg_clock_format_iso8601_ms(UINT64_MAX, out); /* clamped, never overflows the buffer */
    ck_assert_str_eq(out, "9999-12-31T23:59:59.999Z");
}
END_TEST

START_TEST(test_amz_date)
{
    char out[17];
    wg_clock_format_amz_date(1440938160000ULL, out);
    ck_assert_str_eq(out, "20150830T123600Z"); /* the SigV4 documentation example */
    wg_clock_format_amz_date(ms_of(2024, 11, 11, 13, 51, 49, 875), out);
    ck_assert_str_eq(out, "20241111T135149Z");
    wg_clock_format_amz_date(UINT64_MAX, out);
    ck_assert_str_eq(out, "99991231T235959Z");
}
END_TEST

START_TEST(test_now_ms)
{
    uint64_t before = (uint64_t)time(NULL) * 1000;
    uint64_t now = wg_clock_now_ms();
    uint64_t after = (uint64_t)time(NULL) * 1000 + 1000;
    ck_assert_uint_ge(now, before);
    ck_assert_uint_lt(now, after);
}
END_TEST

START_TEST(test_format_basic)
{
    char out[32];
    wg_clock_format_basic(1440938160, out);
    ck_assert_str_eq(out, "20150830T123600Z"); /* the SigV4 documentation example */
    wg_clock_format_basic(0, out);
    ck_assert_str_eq(out, "19700101T000000Z");
    wg_clock_format_basic(-1, out); /* the second before the epoch */
    ck_assert_str_eq(out, "19691231T235959Z");
    wg_clock_format_basic(253402300799, out);
    ck_assert_str_eq(out, "99991231T235959Z");
    wg_clock_format_basic(253402300800, out); /* unclamped: the year widens */
    ck_assert_str_eq(out, "100000101T000000Z");
    wg_clock_format_basic(-62167219200, out); /* 0000-01-01 */
    ck_assert_str_eq(out, "00000101T000000Z");
    wg_clock_format_basic(-62167219201, out); /* a negative year keeps its sign */
    ck_assert_str_eq(out, "-0011231T235959Z");
    wg_clock_format_basic(INT64_MAX / 1000, out); /* the largest SigV4 ever formats: stays in 32 bytes */
    ck_assert_uint_lt(strlen(out), 32);
}
END_TEST

/* The calendar agrees with libc's gmtime_r on every 7,777,777th second from year 1 to 9999, on
 * every day around the century leap rules, and every format agrees with its fields. */
START_TEST(test_calendar_matches_gmtime)
{
    for (int64_t t = -62135596800 /* 0001-01-01 */; t <= 253402300799 /* 9999-12-31 */; t += 7777777) {
        time_t tt = (time_t)t;
        struct tm tm;
        ck_assert_ptr_nonnull(gmtime_r(&tt, &tm));
        char want[64], got[32];
        snprintf(want, sizeof(want), "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec);
        wg_clock_format_basic(t, got);
        ck_assert_str_eq(got, want);
        int64_t back = 0;
        ck_assert_int_eq(wg_clock_parse_basic(got, strlen(got), &back), 0);
        ck_assert_int_eq(back, t);
        if (t >= 0) {
            char iso[32], amz[17];
            wg_clock_format_iso8601_ms((uint64_t)t * 1000 + 42, iso);
            snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.042Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
            ck_assert_str_eq(iso, want);
            wg_clock_format_amz_date((uint64_t)t * 1000 + 999, amz);
            ck_assert_str_eq(amz, got);
        }
    }
    /* Day by day across 1899-2101 (1900 and 2100 are not leap years, 2000 is). */
    for (int64_t t = ms_of(1899, 12, 1, 0, 0, 0, 0) / 1000; t < (int64_t)(ms_of(2101, 3, 1, 0, 0, 0, 0) / 1000);
         t += 86400 + 3661) {
        time_t tt = (time_t)t;
        struct tm tm;
        gmtime_r(&tt, &tm);
        char want[64], got[32];
        snprintf(want, sizeof(want), "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec);
        wg_clock_format_basic(t, got);
        ck_assert_str_eq(got, want);
    }
}
END_TEST

START_TEST(test_parse_digits)
{
    unsigned v = 7;
    ck_assert_int_eq(wg_clock_parse_digits("0042", 4, &v), 0);
    ck_assert_uint_eq(v, 42);
    ck_assert_int_eq(wg_clock_parse_digits("604800", 6, &v), 0);
    ck_assert_uint_eq(v, 604800);
    ck_assert_int_eq(wg_clock_parse_digits("999999999", 9, &v), 0);
    ck_assert_uint_eq(v, 999999999);
    ck_assert_int_eq(wg_clock_parse_digits("12x4", 4, &v), -1);
    ck_assert_int_eq(wg_clock_parse_digits("-1", 2, &v), -1);
    ck_assert_int_eq(wg_clock_parse_digits("+1", 2, &v), -1);
    ck_assert_int_eq(wg_clock_parse_digits(" 1", 2, &v), -1);
    ck_assert_int_eq(wg_clock_parse_digits("12", 0, &v), 0); /* no digits: 0 (callers check lengths) */
    ck_assert_uint_eq(v, 0);
}
END_TEST

START_TEST(test_parse_basic)
{
    int64_t t = 0;
    ck_assert_int_eq(wg_clock_parse_basic("20150830T123600Z", 16, &t), 0);
    ck_assert_int_eq(t, 1440938160);
    ck_assert_int_eq(wg_clock_parse_basic("19700101T000000Z", 16, &t), 0);
    ck_assert_int_eq(t, 0);
    ck_assert_int_eq(wg_clock_parse_basic("20240229T235960Z", 16, &t), 0); /* leap second accepted */
    ck_assert_int_eq(t, (int64_t)(ms_of(2024, 3, 1, 0, 0, 0, 0) / 1000));
    ck_assert_int_eq(wg_clock_parse_basic("00000101T000000Z", 16, &t), 0);
    ck_assert_int_eq(t, -62167219200);
    /* by length: the bytes after `len` are never read */
    ck_assert_int_eq(wg_clock_parse_basic("20150830T123600Zjunk", 16, &t), 0);
    ck_assert_int_eq(t, 1440938160);

    static const char *bad[] = {
        "20150830T123600",
        "20150830T123600ZZ",
        "20150830t123600Z",
        "20150830T123600z",
        "2015-08-30T12:36",
        "20150830 123600Z",
        "2015083OT123600Z",
        "20230229T000000Z",
        "21000229T000000Z",
        "20150031T000000Z",
        "20151301T000000Z",
        "20150001T000000Z",
        "20150100T000000Z",
        "20150430T240000Z",
        "20150430T236000Z",
        "20150430T235961Z",
        "+0150830T123600Z",
        "20150830T12360 Z",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(wg_clock_parse_basic(bad[i], strlen(bad[i]), &t) == -1, "accepted '%s'", bad[i]);
    ck_assert_int_eq(wg_clock_parse_basic("20000229T000000Z", 16, &t), 0); /* 2000 is a leap year */
    ck_assert_int_eq(wg_clock_parse_basic("19000229T000000Z", 16, &t), -1); /* 1900 is not */
    char with_nul[] = "20150830T123600Z";
    with_nul[10] = '\0'; /* NUL-safe: a NUL is just a bad digit */
    ck_assert_int_eq(wg_clock_parse_basic(with_nul, 16, &t), -1);
}
END_TEST

START_TEST(test_parse_http_date)
{
    int64_t t = 0;
    ck_assert_int_eq(wg_clock_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", 29, &t), 0);
    ck_assert_int_eq(t, 784111777); /* RFC 7231's example */
    ck_assert_int_eq(wg_clock_parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT", 29, &t), 0);
    ck_assert_int_eq(t, 1440938160);
    ck_assert_int_eq(wg_clock_parse_http_date("Xyz, 30 Aug 2015 12:36:00 GMT", 29, &t), 0); /* weekday unchecked */
    ck_assert_int_eq(t, 1440938160);
    static const char *names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (unsigned m = 1; m <= 12; m++) {
        char s[40];
        snprintf(s, sizeof(s), "Mon, 05 %s 2023 04:03:02 GMT", names[m - 1]);
        ck_assert_int_eq(wg_clock_parse_http_date(s, strlen(s), &t), 0);
        ck_assert_int_eq(t, (int64_t)(ms_of(2023, m, 5, 4, 3, 2, 0) / 1000));
    }
    static const char *bad[] = {
        "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 nov 1994 08:49:37 GMT",  "Sun, 06 Nov 1994 08:49:37 GMT ",
        "Sun 06 Nov 1994 08:49:37 GMT",  "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
        "Sun, 31 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:49:37 GMT",  "Sun, 06 Nov 1994 08:49:61 GMT",
        "Sun, 6 Nov 1994 08:49:37 GMT ", "Sun, 06 Nov 1994 08-49-37 GMT",  "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(wg_clock_parse_http_date(bad[i], strlen(bad[i]), &t) == -1, "accepted '%s'", bad[i]);
}
END_TEST

Suite *wg_test_suite_clock(void)
{
    Suite *s = suite_create("clock");
    TCase *tt = tcase_create("formats");
    tcase_add_test(tt, test_request_time);
    tcase_add_test(tt, test_request_time_ignores_locale);
    tcase_add_test(tt, test_iso8601_ms);
    tcase_add_test(tt, test_amz_date);
    tcase_add_test(tt, test_format_basic);
    tcase_add_test(tt, test_calendar_matches_gmtime);
    tcase_add_test(tt, test_now_ms);
    suite_add_tcase(s, tt);
    TCase *tp = tcase_create("parsers");
    tcase_add_test(tp, test_parse_digits);
    tcase_add_test(tp, test_parse_basic);
    tcase_add_test(tp, test_parse_http_date);
    suite_add_tcase(s, tp);
    return s;
}
