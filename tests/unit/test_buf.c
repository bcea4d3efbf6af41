/*
 * test_buf.c: the growable buffer (buf.c) and UTF-8 well-formedness (utf8.c), the helper layer
 * every module builds text and checks frames with (issue 16 item 4).
 */
#include "buf.h"
#include "utf8.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_buf_grows_and_terminates)
{
    wg_buf_t b = WG_BUF_INIT;
    for (int i = 0; i < 1000; i++)
        wg_buf_append(&b, "abc", 3);
    ck_assert_uint_eq(b.len, 3000);
    ck_assert_uint_ge(b.cap, 3001);
    ck_assert_int_eq(b.data[3000], '\0');
    ck_assert_int_eq(memcmp(b.data + 2997, "abc", 3), 0);
    wg_buf_reset(&b);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_str_eq(b.data, "");
    wg_buf_append_char(&b, 'x');
    wg_buf_append_str(&b, "yz");
    ck_assert_str_eq(b.data, "xyz");
    wg_buf_free(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.cap, 0);
}
END_TEST

START_TEST(test_buf_appendf_long_and_short)
{
    wg_buf_t b = WG_BUF_INIT;
    wg_buf_appendf(&b, "%d-%s", 42, "x");
    char big[1000];
    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    wg_buf_appendf(&b, "[%s]", big); /* longer than the 256-byte fast path */
    ck_assert_uint_eq(b.len, 4 + 1001);
    ck_assert_int_eq(strncmp(b.data, "42-x[qqq", 8), 0);
    ck_assert_int_eq(b.data[b.len - 1], ']');
    ck_assert_int_eq(b.data[b.len], '\0');
    size_t n = 0;
    char *s = wg_buf_take(&b, &n);
    ck_assert_uint_eq(n, 1005);
    ck_assert_uint_eq(strlen(s), 1005);
    ck_assert_ptr_null(b.data);
    free(s);
    s = wg_buf_take(&b, &n); /* an empty buffer gives "" */
    ck_assert_str_eq(s, "");
    ck_assert_uint_eq(n, 0);
    free(s);
}
END_TEST

START_TEST(test_utf8_rules)
{
    const unsigned char ok2[] = {0xc3, 0xa9}, ok3[] = {0xe2, 0x82, 0xac}, ok4[] = {0xf0, 0x9f, 0x98, 0x80};
    ck_assert_uint_eq(wg_utf8_sequence_length((const unsigned char *)"a", 1), 1);
    ck_assert_uint_eq(wg_utf8_sequence_length(ok2, 2), 2);
    ck_assert_uint_eq(wg_utf8_sequence_length(ok3, 3), 3);
    ck_assert_uint_eq(wg_utf8_sequence_length(ok4, 4), 4);
    ck_assert_uint_eq(wg_utf8_sequence_length(ok4, 3), 0); /* truncated */
    ck_assert_uint_eq(wg_utf8_sequence_length(ok2, 0), 0);
    const unsigned char overlong[] = {0xc0, 0xaf}, surrogate[] = {0xed, 0xa0, 0x80};
    const unsigned char too_big[] = {0xf4, 0x90, 0x80, 0x80}, lone_cont[] = {0x80};
    ck_assert_uint_eq(wg_utf8_sequence_length(overlong, 2), 0);
    ck_assert_uint_eq(wg_utf8_sequence_length(surrogate, 3), 0);
    ck_assert_uint_eq(wg_utf8_sequence_length(too_big, 4), 0);
    ck_assert_uint_eq(wg_utf8_sequence_length(lone_cont, 1), 0);
    ck_assert(wg_utf8_is_valid("h\xc3\xa9llo \xf0\x9f\x98\x80", 11));
    ck_assert(wg_utf8_is_valid("", 0));
    ck_assert(!wg_utf8_is_valid("ab\xed\xa0\x80", 5));
    ck_assert(!wg_utf8_is_valid("ab\xc3", 3));
}
END_TEST

Suite *wg_test_suite_buf(void)
{
    Suite *s = suite_create("buf");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_buf_grows_and_terminates);
    tcase_add_test(tc, test_buf_appendf_long_and_short);
    tcase_add_test(tc, test_utf8_rules);
    suite_add_tcase(s, tc);
    return s;
}
