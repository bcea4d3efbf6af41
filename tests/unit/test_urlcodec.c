/*
 * test_urlcodec.c: percent-encoding by AWS's UriEncode rule (SigV4, AWS-SIG-2), percent-decoding
 * (management-API connectionIds arrive with '=' as %3D, AWS-MGMT-6) and query-string parsing for the $connect event's
 * query maps (AWS-QS-1..7).
 */
#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "urlcodec.h"

/* Decodes `in` and checks the result, its length and the return code. */
static void check_decode(const char *in, size_t len, int plus_is_space, const char *expected, size_t expected_len,
                         int expected_rc)
{
    char *out = malloc(len + 1);
    ck_assert_ptr_nonnull(out);
    memset(out, 'Z', len + 1);
    size_t out_len = 12345;
    int rc = wg_urlcodec_decode(in, len, out, &out_len, plus_is_space);
    ck_assert_int_eq(rc, expected_rc);
    ck_assert_uint_eq(out_len, expected_len);
    ck_assert_int_eq(memcmp(out, expected, expected_len), 0);
    ck_assert_int_eq(out[out_len], '\0');
    free(out);
}

#define DECODE(in, plus, expected) check_decode((in), strlen(in), (plus), (expected), strlen(expected), 0)

START_TEST(test_decode_plain)
{
    DECODE("", 0, "");
    DECODE("abc", 0, "abc");
    DECODE("a-b_c.d~e", 0, "a-b_c.d~e");
}
END_TEST

START_TEST(test_decode_escapes)
{
    DECODE("L0SM9cOFvHcCIhw%3D", 0, "L0SM9cOFvHcCIhw=");
    DECODE("%3d", 0, "=");
    DECODE("ab%2Fc%2Bd%3D", 0, "ab/c+d=");
    DECODE("%40connections", 0, "@connections");
    DECODE("%e2%82%ac", 0, "\xe2\x82\xac");
    DECODE("%C3%A9", 0, "\xc3\xa9");
    DECODE("%25", 0, "%");
    DECODE("%2525", 0, "%25"); /* decoded once only */
}
END_TEST

/* inferred: AWS-QS-5, AWS-QS-6, AWS-QS-7 (wsgate's choice, not a capture of AWS) */
START_TEST(test_decode_plus)
{
    DECODE("a+b", 0, "a+b");
    DECODE("a+b", 1, "a b");
    DECODE("a%2Bb", 1, "a+b");
    DECODE("+++", 1, "   ");
}
END_TEST

START_TEST(test_decode_malformed_kept)
{
    DECODE("%", 0, "%");
    DECODE("%4", 0, "%4");
    DECODE("a%", 0, "a%");
    DECODE("%zz", 0, "%zz");
    DECODE("%4g", 0, "%4g");
    DECODE("%g4", 0, "%g4");
    DECODE("%%41", 0, "%A");
    DECODE("100%", 0, "100%");
    DECODE("%+1", 1, "% 1");
}
END_TEST

START_TEST(test_decode_nul)
{
    check_decode("a%00b", 5, 0, "a\0b", 3, -1);
    check_decode("%00", 3, 0, "\0", 1, -1);
    /* A raw NUL byte inside the input counts too. */
    check_decode("a\0b", 3, 0, "a\0b", 3, -1);
    /* Only `len` bytes are read. */
    check_decode("abc%3D", 3, 0, "abc", 3, 0);
    check_decode("ab%3D", 4, 0, "ab%3", 4, 0);
}
END_TEST

/* ---- query parsing ---- */

static void parse(const char *raw, wg_query_t *q)
{
    ck_assert_int_eq(wg_urlcodec_query_parse(raw, raw ? strlen(raw) : 0, q), 0);
}

static void check_param(const wg_query_t *q, size_t i, const char *name, const char *value)
{
    ck_assert_uint_lt(i, q->count);
    ck_assert_str_eq(q->params[i].name, name);
    ck_assert_str_eq(q->params[i].value, value);
}

START_TEST(test_query_basic)
{
    wg_query_t q;
    parse("a=1&b=two", &q);
    ck_assert_uint_eq(q.count, 2);
    check_param(&q, 0, "a", "1");
    check_param(&q, 1, "b", "two");
    wg_urlcodec_query_free(&q);
    ck_assert_uint_eq(q.count, 0);
    ck_assert_ptr_null(q.params);
}
END_TEST

/* inferred: AWS-QS-5, AWS-QS-6, AWS-QS-7 (wsgate's choice, not a capture of AWS) */
START_TEST(test_query_repeats_kept_in_order)
{
    wg_query_t q;
    parse("x=1&y=2&x=3&x=1", &q);
    ck_assert_uint_eq(q.count, 4);
    check_param(&q, 0, "x", "1");
    check_param(&q, 1, "y", "2");
    check_param(&q, 2, "x", "3");
    check_param(&q, 3, "x", "1");
    wg_urlcodec_query_free(&q);
}
END_TEST

/* inferred: AWS-QS-5, AWS-QS-6, AWS-QS-7 (wsgate's choice, not a capture of AWS) */
START_TEST(test_query_flag_and_empty_values)
{
    wg_query_t q;
    parse("flag&a=&b", &q);
    ck_assert_uint_eq(q.count, 3);
    check_param(&q, 0, "flag", "");
    check_param(&q, 1, "a", "");
    check_param(&q, 2, "b", "");
    wg_urlcodec_query_free(&q);
}
END_TEST

/* inferred: AWS-QS-5, AWS-QS-6, AWS-QS-7 (wsgate's choice, not a capture of AWS) */
START_TEST(test_query_empty_pieces)
{
    wg_query_t q;
    parse("", &q);
    ck_assert_uint_eq(q.count, 0);
    wg_urlcodec_query_free(&q);
    ck_assert_int_eq(wg_urlcodec_query_parse(NULL, 0, &q), 0);
    ck_assert_uint_eq(q.count, 0);
    wg_urlcodec_query_free(&q);
    parse("&&&", &q);
    ck_assert_uint_eq(q.count, 0);
    wg_urlcodec_query_free(&q);
    parse("a=1&&b=2&", &q);
    ck_assert_uint_eq(q.count, 2);
    check_param(&q, 0, "a", "1");
    check_param(&q, 1, "b", "2");
    wg_urlcodec_query_free(&q);
    parse("&a=1", &q);
    ck_assert_uint_eq(q.count, 1);
    check_param(&q, 0, "a", "1");
    wg_urlcodec_query_free(&q);
}
END_TEST

START_TEST(test_query_decoding)
{
    wg_query_t q;
    parse("token=abc%3D%3D&name=J%C3%B6rg+M&a%20b=c+d&eq=x=y", &q);
    ck_assert_uint_eq(q.count, 4);
    check_param(&q, 0, "token", "abc==");
    check_param(&q, 1, "name", "J\xc3\xb6rg M");
    check_param(&q, 2, "a b", "c d");
    check_param(&q, 3, "eq", "x=y"); /* split at the first '=' only */
    wg_urlcodec_query_free(&q);
}
END_TEST

START_TEST(test_query_odd_names)
{
    wg_query_t q;
    parse("=v&%3D=%26&%zz=1%", &q);
    ck_assert_uint_eq(q.count, 3);
    check_param(&q, 0, "", "v");
    check_param(&q, 1, "=", "&");
    check_param(&q, 2, "%zz", "1%");
    wg_urlcodec_query_free(&q);
}
END_TEST

START_TEST(test_query_nul_cut)
{
    /* A decoded NUL leaves a usable C string that ends there. */
    wg_query_t q;
    parse("a%00b=c%00d", &q);
    ck_assert_uint_eq(q.count, 1);
    check_param(&q, 0, "a", "c");
    wg_urlcodec_query_free(&q);
}
END_TEST

START_TEST(test_query_many)
{
    /* Growth past the initial capacity. */
    char raw[1024];
    size_t n = 0;
    for (int i = 0; i < 100; i++) {
        raw[n++] = (char)('a' + i % 26);
        raw[n++] = '=';
        raw[n++] = (char)('0' + i % 10);
        raw[n++] = '&';
    }
    wg_query_t q;
    ck_assert_int_eq(wg_urlcodec_query_parse(raw, n, &q), 0);
    ck_assert_uint_eq(q.count, 100);
    for (size_t i = 0; i < 100; i++) {
        char name[2] = {(char)('a' + i % 26), 0};
        char value[2] = {(char)('0' + i % 10), 0};
        check_param(&q, i, name, value);
    }
    wg_urlcodec_query_free(&q);
}
END_TEST

/* ---- encoding ---- */

static void check_encode(const char *in, size_t len, int keep_slash, const char *expected)
{
    wg_buf_t out = WG_BUF_INIT;
    wg_buf_append_str(&out, "pre:"); /* appends, never overwrites */
    wg_urlcodec_encode(&out, in, len, keep_slash);
    ck_assert_str_eq(out.data, expected);
    ck_assert_uint_eq(out.len, strlen(expected));
    wg_buf_free(&out);
}

START_TEST(test_encode_aws_rule)
{
    check_encode("", 0, 0, "pre:");
    check_encode("AZaz09-._~", 10, 0, "pre:AZaz09-._~");
    check_encode("a b+c*d=e&f/g", 13, 0, "pre:a%20b%2Bc%2Ad%3De%26f%2Fg");
    check_encode("a b+c*d=e&f/g", 13, 1, "pre:a%20b%2Bc%2Ad%3De%26f/g");
    check_encode("\xc3\xa9\xff", 3, 0, "pre:%C3%A9%FF"); /* uppercase hex */
    check_encode("a\0b", 3, 0, "pre:a%00b"); /* by length, NULs included */
    check_encode("//a//", 5, 1, "pre://a//"); /* empty segments stay empty */
    check_encode("//", 2, 0, "pre:%2F%2F");
    /* AWS-SIG-2: the wire path is encoded once more, so an escape's '%' becomes %25 */
    check_encode("/local/@connections/X%3D", 24, 1, "pre:/local/%40connections/X%253D");
    check_encode("arn:aws:lambda:us-east-1:1:function:f", 37, 0,
                 "pre:arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af");
}
END_TEST

/* Every byte value, against the rule written out (unreserved kept, '/' kept only when asked) and
 * against libcurl's curl_easy_escape, which implements the same rule (urlcodec.c says why it is
 * not called on the hot path). */
START_TEST(test_encode_every_byte)
{
    for (int keep_slash = 0; keep_slash <= 1; keep_slash++) {
        for (int c = 0; c < 256; c++) {
            char in = (char)c, expected[8];
            int kept = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                       c == '.' || c == '_' || c == '~' || (keep_slash && c == '/');
            if (kept)
                snprintf(expected, sizeof(expected), "pre:%c", c);
            else
                snprintf(expected, sizeof(expected), "pre:%%%02X", c);
            check_encode(&in, 1, keep_slash, expected);
        }
    }
    char all[256];
    for (int c = 0; c < 256; c++)
        all[c] = (char)(255 - c);
    char *by_curl = curl_easy_escape(NULL, all, (int)sizeof(all));
    ck_assert_ptr_nonnull(by_curl);
    wg_buf_t out = WG_BUF_INIT;
    wg_urlcodec_encode(&out, all, sizeof(all), 0);
    ck_assert_str_eq(out.data, by_curl);
    curl_free(by_curl);
    wg_buf_free(&out);
}
END_TEST

START_TEST(test_decode_append)
{
    wg_buf_t out = WG_BUF_INIT;
    wg_urlcodec_decode_append(&out, "a%00b%2", 7, 0); /* a NUL is kept, a cut escape literal */
    ck_assert_uint_eq(out.len, 5);
    ck_assert_int_eq(memcmp(out.data, "a\0b%2", 6), 0);
    wg_urlcodec_decode_append(&out, "+%2B", 4, 0); /* appends; '+' stays without plus_is_space */
    ck_assert_uint_eq(out.len, 7);
    ck_assert_int_eq(memcmp(out.data + 5, "++", 3), 0);
    wg_urlcodec_decode_append(&out, "+%2B", 4, 1);
    ck_assert_uint_eq(out.len, 9);
    ck_assert_int_eq(memcmp(out.data + 7, " +", 3), 0);
    wg_buf_free(&out);
    wg_urlcodec_decode_append(&out, "", 0, 0); /* empty input still leaves a string */
    ck_assert_ptr_nonnull(out.data);
    ck_assert_str_eq(out.data, "");
    wg_buf_free(&out);
    /* encoding then decoding gives the bytes back */
    const char raw[] = "k\xc3\xa9y /=\0&~";
    wg_buf_t enc = WG_BUF_INIT, dec = WG_BUF_INIT;
    wg_urlcodec_encode(&enc, raw, sizeof(raw) - 1, 0);
    wg_urlcodec_decode_append(&dec, enc.data, enc.len, 1);
    ck_assert_uint_eq(dec.len, sizeof(raw) - 1);
    ck_assert_int_eq(memcmp(dec.data, raw, sizeof(raw) - 1), 0);
    wg_buf_free(&enc);
    wg_buf_free(&dec);
}
END_TEST

Suite *wg_test_suite_urlcodec(void)
{
    Suite *s = suite_create("urlcodec");
    TCase *td = tcase_create("decode");
    tcase_add_test(td, test_decode_plain);
    tcase_add_test(td, test_decode_escapes);
    tcase_add_test(td, test_decode_plus);
    tcase_add_test(td, test_decode_malformed_kept);
    tcase_add_test(td, test_decode_nul);
    tcase_add_test(td, test_decode_append);
    tcase_add_test(td, test_encode_aws_rule);
    tcase_add_test(td, test_encode_every_byte);
    suite_add_tcase(s, td);
    TCase *tq = tcase_create("query");
    tcase_add_test(tq, test_query_basic);
    tcase_add_test(tq, test_query_repeats_kept_in_order);
    tcase_add_test(tq, test_query_flag_and_empty_values);
    tcase_add_test(tq, test_query_empty_pieces);
    tcase_add_test(tq, test_query_decoding);
    tcase_add_test(tq, test_query_odd_names);
    tcase_add_test(tq, test_query_nul_cut);
    tcase_add_test(tq, test_query_many);
    suite_add_tcase(s, tq);
    return s;
}
