/*
 * test_redact.c: one list of credential names (redact.c) for the --verbose log and the inspector.
 */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"

START_TEST(test_secret_names_any_case)
{
    const char *secret[] = {"Authorization",   "COOKIE",           "x-api-key",          "X-Amz-Security-Token",
                            "X-Amz-Signature", "x-amz-credential", "Proxy-Authorization"};
    for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
        ck_assert_msg(wg_redact_is_secret_name(secret[i], strlen(secret[i])), "%s", secret[i]);
    const char *plain[] = {"Host", "User-Agent", "X-Amz-Date", "authorizationx", "cookies", "x-api"};
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        ck_assert_msg(!wg_redact_is_secret_name(plain[i], strlen(plain[i])), "%s", plain[i]);
    /* the length counts: a prefix of a secret name is not one */
    ck_assert(!wg_redact_is_secret_name("Authorization", 4));
}
END_TEST

START_TEST(test_event_maps_redacted_rest_kept)
{
    json_error_t jerr;
    json_t *ev = json_loads("{\"headers\":{\"Authorization\":\"AWS4 secret\",\"Host\":\"h\"},"
                            "\"multiValueHeaders\":{\"Cookie\":[\"a\",\"b\"],\"Host\":[\"h\"]},"
                            "\"queryStringParameters\":{\"X-Amz-Signature\":\"sig\",\"token\":\"t\"},"
                            "\"multiValueQueryStringParameters\":{\"X-Amz-Credential\":[\"c\"]},"
                            "\"body\":\"Authorization stays in a body\"}",
                            0, &jerr);
    ck_assert_ptr_nonnull(ev);
    wg_redact_event(ev);
    char *out = json_dumps(ev, JSON_COMPACT);
    ck_assert_str_eq(out, "{\"headers\":{\"Authorization\":\"(redacted)\",\"Host\":\"h\"},"
                          "\"multiValueHeaders\":{\"Cookie\":[\"(redacted)\",\"(redacted)\"],\"Host\":[\"h\"]},"
                          "\"queryStringParameters\":{\"X-Amz-Signature\":\"(redacted)\",\"token\":\"t\"},"
                          "\"multiValueQueryStringParameters\":{\"X-Amz-Credential\":[\"(redacted)\"]},"
                          "\"body\":\"Authorization stays in a body\"}");
    free(out);
    json_decref(ev);
    wg_redact_event(NULL); /* no event: nothing to do */
}
END_TEST

Suite *wg_test_suite_redact(void)
{
    Suite *s = suite_create("redact");
    TCase *tc = tcase_create("redact");
    tcase_add_test(tc, test_secret_names_any_case);
    tcase_add_test(tc, test_event_maps_redacted_rest_kept);
    suite_add_tcase(s, tc);
    return s;
}
