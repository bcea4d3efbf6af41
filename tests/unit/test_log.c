/*
 * test_log.c: log lines escape control bytes (issue 15 item 8): a connection id or path carrying
 * %0A or %1B must not forge a line nor reach a terminal as an escape sequence.
 */
#include "log.h"

#include <check.h>
#include <string.h>

START_TEST(test_escape_control_bytes)
{
    char out[128];
    const char in[] = "id\nFAKE 2026 info forged\r\x1b[31mred\x7f\ttab\\x";
    size_t used = wg_log_escape(in, sizeof(in) - 1, out, sizeof(out));
    ck_assert_uint_eq(used, sizeof(in) - 1);
    ck_assert_str_eq(out, "id\\nFAKE 2026 info forged\\r\\x1b[31mred\\x7f\ttab\\\\x"); /* tab kept */
    for (const char *p = out; *p; p++)
        ck_assert(*p == '\t' || ((unsigned char)*p >= 0x20 && (unsigned char)*p != 0x7f));
}
END_TEST

START_TEST(test_escape_nul_and_utf8)
{
    char out[64];
    const char in[] = {'a', '\0', 'b', (char)0xc3, (char)0xa9};
    ck_assert_uint_eq(wg_log_escape(in, sizeof(in), out, sizeof(out)), sizeof(in));
    ck_assert_str_eq(out, "a\\x00b\xc3\xa9"); /* UTF-8 passes through */
}
END_TEST

/* C1 controls (U+009B is CSI on some terminals) and malformed UTF-8 are escaped byte by byte;
 * well-formed multi-byte characters (U+00A0, U+20AC, U+1F600) pass whole. */
START_TEST(test_escape_c1_and_malformed_utf8)
{
    char out[128];
    const char in[] = "a\xc2\x9b"
                      "31m\xc2\xa0\xe2\x82\xac\xf0\x9f\x98\x80|\xff\xc3|\xe2\x82|\xc0\xaf|\xed\xa0\x80";
    ck_assert_uint_eq(wg_log_escape(in, sizeof(in) - 1, out, sizeof(out)), sizeof(in) - 1);
    ck_assert_str_eq(out, "a\\xc2\\x9b31m\xc2\xa0\xe2\x82\xac\xf0\x9f\x98\x80|\\xff\\xc3|\\xe2\\x82|"
                          "\\xc0\\xaf|\\xed\\xa0\\x80");
    /* a character that does not fit whole is not cut */
    char small[4];
    ck_assert_uint_eq(wg_log_escape("ab\xe2\x82\xac", 5, small, sizeof(small)), 2);
    ck_assert_str_eq(small, "ab");
}
END_TEST

START_TEST(test_escape_stops_before_an_escape_that_does_not_fit)
{
    char out[6];
    ck_assert_uint_eq(wg_log_escape("ab\x01", 3, out, sizeof(out)), 2);
    ck_assert_str_eq(out, "ab");
    ck_assert_uint_eq(wg_log_escape("abcdefgh", 8, out, sizeof(out)), 5);
    ck_assert_str_eq(out, "abcde");
}
END_TEST

Suite *wg_test_suite_log(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("log");
    tcase_add_test(tc, test_escape_control_bytes);
    tcase_add_test(tc, test_escape_nul_and_utf8);
    tcase_add_test(tc, test_escape_stops_before_an_escape_that_does_not_fit);
    tcase_add_test(tc, test_escape_c1_and_malformed_utf8);
    suite_add_tcase(s, tc);
    return s;
}
