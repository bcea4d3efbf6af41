/*
 * test_str.c: the copy that cannot fail and the one-line error message (str.c).
 */
#include "str.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_dup)
{
    ck_assert_ptr_null(wg_str_dup(NULL));
    const char *src = "abc";
    char *d = wg_str_dup(src);
    ck_assert_str_eq(d, "abc");
    ck_assert_ptr_ne(d, src);
    free(d);
}
END_TEST

START_TEST(test_fail_formats_and_cuts)
{
    char err[8];
    ck_assert_int_eq(wg_str_fail(err, sizeof(err), "bad %s at %d", "key", 12), -1);
    ck_assert_str_eq(err, "bad key"); /* cut to the buffer, NUL-terminated */
    char big[64];
    ck_assert_int_eq(wg_str_fail(big, sizeof(big), "line %d: %s", 3, "unknown option"), -1);
    ck_assert_str_eq(big, "line 3: unknown option");
}
END_TEST

Suite *wg_test_suite_str(void)
{
    Suite *s = suite_create("str");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_dup);
    tcase_add_test(tc, test_fail_formats_and_cuts);
    suite_add_tcase(s, tc);
    return s;
}
