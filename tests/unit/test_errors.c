/*
 * test_errors.c: the AWS error table (errors.c): shapes, statuses and bodies as the SDKs read them
 * (x-amzn-ErrorType picks the typed exception; the body is {"message":"..."} or empty for Gone).
 */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

START_TEST(test_rows_the_sdks_depend_on)
{
    /* The shapes every SDK maps to its typed exception, with AWS's statuses (fixtures/ and the
     * service model: GoneException 410, PayloadTooLargeException 413, LimitExceededException 429,
     * ForbiddenException 403). */
    ck_assert_str_eq(wg_errors_shape(WG_AWS_ERR_GONE), "GoneException");
    ck_assert_int_eq(wg_errors_status(WG_AWS_ERR_GONE), 410);
    ck_assert_str_eq(wg_errors_shape(WG_AWS_ERR_PAYLOAD_TOO_LARGE), "PayloadTooLargeException");
    ck_assert_int_eq(wg_errors_status(WG_AWS_ERR_PAYLOAD_TOO_LARGE), 413);
    ck_assert_str_eq(wg_errors_shape(WG_AWS_ERR_LIMIT_EXCEEDED), "LimitExceededException");
    ck_assert_int_eq(wg_errors_status(WG_AWS_ERR_LIMIT_EXCEEDED), 429);
    ck_assert_str_eq(wg_errors_shape(WG_AWS_ERR_FORBIDDEN), "ForbiddenException");
    ck_assert_int_eq(wg_errors_status(WG_AWS_ERR_FORBIDDEN), 403);
    ck_assert_str_eq(wg_errors_shape(WG_AWS_ERR_INVALID_SIGNATURE), "InvalidSignatureException");
    ck_assert_int_eq(wg_errors_status(WG_AWS_ERR_INVALID_SIGNATURE), 403);
}
END_TEST

START_TEST(test_every_row_is_complete)
{
    for (int e = 0; e < WG_AWS_ERR__COUNT; e++) {
        const char *shape = wg_errors_shape((wg_aws_error_t)e);
        ck_assert_ptr_nonnull(shape);
        ck_assert_msg(strlen(shape) > strlen("Exception") &&
                          strcmp(shape + strlen(shape) - strlen("Exception"), "Exception") == 0,
                      "row %d: shape '%s' does not end in Exception", e, shape);
        int status = wg_errors_status((wg_aws_error_t)e);
        ck_assert_msg(status >= 400 && status <= 599, "row %d: status %d", e, status);
        /* Every status in the table has its own reason phrase, not the generic fallback. */
        const char *reason = wg_errors_http_reason(status);
        ck_assert_str_ne(reason, "Client Error");
        ck_assert_str_ne(reason, "Server Error");
    }
}
END_TEST

START_TEST(test_body_default_message_compact)
{
    size_t len = 0;
    char *body = wg_errors_body(WG_AWS_ERR_FORBIDDEN, NULL, &len);
    ck_assert_str_eq(body, "{\"message\":\"Forbidden\"}"); /* fixtures/mgmt-403-forbidden-missing-stage.json */
    ck_assert_uint_eq(len, strlen(body));
    free(body);
    body = wg_errors_body(WG_AWS_ERR_MISSING_AUTH_TOKEN, NULL, &len);
    ck_assert_str_eq(body, "{\"message\":\"Missing Authentication Token\"}");
    free(body);
}
END_TEST

/* The refused-handshake answers server.c takes from the table: the bytes they had when written by
 * hand (a malformed upgrade, wsgate's own answer; over the connection rate, inferred: AWS-LIM-8). */
START_TEST(test_handshake_rows)
{
    size_t len = 0;
    char *body = wg_errors_body(WG_AWS_ERR_BAD_REQUEST, NULL, &len);
    ck_assert_int_eq(wg_errors_status(WG_AWS_ERR_BAD_REQUEST), 400);
    ck_assert_str_eq(body, "{\"message\":\"Bad Request\"}");
    ck_assert_uint_eq(len, strlen(body));
    free(body);
    body = wg_errors_body(WG_AWS_ERR_LIMIT_EXCEEDED, NULL, &len);
    ck_assert_int_eq(wg_errors_status(WG_AWS_ERR_LIMIT_EXCEEDED), 429);
    ck_assert_str_eq(body, "{\"message\":\"Too Many Requests\"}");
    ck_assert_uint_eq(len, strlen(body));
    free(body);
}
END_TEST

/* The refusals of a handshake keep the statuses conns_handshake.c, the authorizer and server.c sent
 * when they wrote them by hand, each with its own reason phrase (not the generic fallback). */
START_TEST(test_refusal_statuses)
{
    static const struct {
        int value, status;
    } rows[] = {
        {WG_REFUSAL_UNAUTHORIZED, 401},      {WG_REFUSAL_FORBIDDEN, 403},
        {WG_REFUSAL_URL_TOO_LONG, 414},      {WG_REFUSAL_THROTTLED, 429},
        {WG_REFUSAL_AUTHORIZER_FAILED, 500}, {WG_REFUSAL_INTEGRATION_FAILED, 502},
        {WG_REFUSAL_SHUTTING_DOWN, 503},     {WG_REFUSAL_INTEGRATION_TIMED_OUT, 504},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        ck_assert_int_eq(rows[i].value, rows[i].status);
        const char *reason = wg_errors_http_reason(rows[i].value);
        ck_assert_str_ne(reason, "Client Error");
        ck_assert_str_ne(reason, "Server Error");
    }
    ck_assert_str_eq(wg_errors_http_reason(WG_REFUSAL_URL_TOO_LONG), "URI Too Long");
}
END_TEST

START_TEST(test_body_gone_is_empty)
{
    size_t len = 99;
    char *body = wg_errors_body(WG_AWS_ERR_GONE, NULL, &len);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(body, "");
    free(body);
}
END_TEST

START_TEST(test_body_message_escaped)
{
    /* Caller-supplied messages carry request text (SigV4 canonical requests): quotes, newlines and
     * control bytes must come out as valid JSON that decodes back to the same text. */
    const char *msg = "line1\nline2 \"quoted\" \\ back\x01tab\t";
    size_t len = 0;
    char *body = wg_errors_body(WG_AWS_ERR_INVALID_SIGNATURE, msg, &len);
    json_error_t jerr;
    json_t *doc = json_loadb(body, len, 0, &jerr);
    ck_assert_msg(doc != NULL, "body is not JSON: %s (%s)", body, jerr.text);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "message")), msg);
    ck_assert_uint_eq(json_object_size(doc), 1);
    ck_assert_ptr_null(strchr(body, '\n'));
    json_decref(doc);
    free(body);
}
END_TEST

START_TEST(test_reasons)
{
    ck_assert_str_eq(wg_errors_http_reason(410), "Gone");
    ck_assert_str_eq(wg_errors_http_reason(413), "Payload Too Large");
    ck_assert_str_eq(wg_errors_http_reason(504), "Gateway Timeout");
    ck_assert_str_eq(wg_errors_http_reason(299), "OK");
    ck_assert_str_eq(wg_errors_http_reason(499), "Client Error");
    ck_assert_str_eq(wg_errors_http_reason(599), "Server Error");
}
END_TEST

Suite *wg_test_suite_errors(void)
{
    Suite *s = suite_create("errors");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, test_rows_the_sdks_depend_on);
    tcase_add_test(tc, test_every_row_is_complete);
    tcase_add_test(tc, test_body_default_message_compact);
    tcase_add_test(tc, test_handshake_rows);
    tcase_add_test(tc, test_refusal_statuses);
    tcase_add_test(tc, test_body_gone_is_empty);
    tcase_add_test(tc, test_body_message_escaped);
    tcase_add_test(tc, test_reasons);
    suite_add_tcase(s, tc);
    return s;
}
