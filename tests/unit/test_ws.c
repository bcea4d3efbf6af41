/*
 * test_ws.c: ws.c's frame-header scanner (wg_ws_scan_frames), the part of the WebSocket layer that
 * runs without a socket: which headers it lets through to wslay, where it stops on the headers
 * wslay would fail without a status code (RFC 6455 5.2, 5.5, 5.5.1), and that any split of the
 * stream gives the same verdict. Then the close-code rules, which ws.c decides inside its wslay
 * callbacks (no pure function to call): on a whole wsgate run inside the test
 * (inproc_server.h), a raw client's binary frame closes with 1003, invalid UTF-8 with 1007, a
 * frame over 32 KB with 1009, a 1-byte close payload with 1002, each with AWS's reason; a ping is
 * answered with a pong carrying its payload; valid UTF-8 (4-byte sequences) passes.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inproc_server.h"
#include "limits.h"
#include "ws.h"

/* Appends a frame header (FIN/opcode byte, then the length in the form asked: 7-bit, 16-bit or
 * 64-bit, masked) and `payload_len` payload bytes of 'x' to buf; returns the new length. */
static size_t put_frame(uint8_t *buf, size_t at, uint8_t b0, int length_form, uint64_t payload_len)
{
    buf[at++] = b0;
    if (length_form == 7) {
        buf[at++] = (uint8_t)(0x80 | payload_len);
    } else if (length_form == 16) {
        buf[at++] = 0x80 | 126;
        buf[at++] = (uint8_t)(payload_len >> 8);
        buf[at++] = (uint8_t)payload_len;
    } else {
        buf[at++] = 0x80 | 127;
        for (int k = 7; k >= 0; k--)
            buf[at++] = (uint8_t)(payload_len >> (8 * k));
    }
    memcpy(buf + at, "\x01\x02\x03\x04", 4); /* mask key */
    at += 4;
    memset(buf + at, 'x', (size_t)payload_len);
    return at + (size_t)payload_len;
}

static size_t scan_all(const uint8_t *p, size_t len, wg_ws_scan_t *scan)
{
    memset(scan, 0, sizeof(*scan));
    return wg_ws_scan_frames(scan, p, len);
}

START_TEST(test_valid_frames_pass_whole)
{
    static uint8_t buf[2 * 65536 + 1024];
    size_t n = 0;
    n = put_frame(buf, n, 0x81, 7, 5); /* text "xxxxx" */
    n = put_frame(buf, n, 0x89, 7, 125); /* ping at the control-frame maximum */
    n = put_frame(buf, n, 0x01, 16, 126); /* first fragment, smallest 16-bit length */
    n = put_frame(buf, n, 0x80, 16, 65535); /* continuation, largest 16-bit length */
    n = put_frame(buf, n, 0x82, 64, 65536); /* binary, smallest 64-bit length */
    n = put_frame(buf, n, 0x88, 7, 2); /* close with a code */
    n = put_frame(buf, n, 0x88, 7, 0); /* close without a code */
    wg_ws_scan_t scan;
    ck_assert_uint_eq(scan_all(buf, n, &scan), n);
    ck_assert_int_eq(scan.is_failed, 0);
    /* the stream ended on a frame boundary: no header half-read, no payload outstanding */
    ck_assert_uint_eq(scan.header_len, 0);
    ck_assert_uint_eq(scan.payload_left, 0);
}
END_TEST

START_TEST(test_tracks_payload_across_calls)
{
    uint8_t buf[64];
    size_t n = put_frame(buf, 0, 0x81, 7, 20);
    wg_ws_scan_t scan;
    memset(&scan, 0, sizeof(scan));
    /* the header and 3 payload bytes, then the rest: the scanner must not read payload as a header */
    ck_assert_uint_eq(wg_ws_scan_frames(&scan, buf, 9), 9);
    ck_assert_uint_eq(scan.payload_left, 17);
    ck_assert_uint_eq(wg_ws_scan_frames(&scan, buf + 9, n - 9), n - 9);
    ck_assert_uint_eq(scan.payload_left, 0);
    ck_assert_int_eq(scan.is_failed, 0);
}
END_TEST

/* A stream whose second frame has a bad header: the scanner gives wslay everything up to (not
 * including) the byte that reveals it, and stays failed. */
static void check_stops_at(const uint8_t *bad, size_t bad_len, size_t revealing_byte)
{
    uint8_t buf[256];
    size_t first = put_frame(buf, 0, 0x81, 7, 3);
    memcpy(buf + first, bad, bad_len);
    wg_ws_scan_t scan;
    size_t passed = scan_all(buf, first + bad_len, &scan);
    ck_assert_int_eq(scan.is_failed, 1);
    ck_assert_uint_eq(passed, first + revealing_byte);
    /* sticky: nothing more is let through, whatever follows */
    ck_assert_uint_eq(wg_ws_scan_frames(&scan, buf, first), 0);
}

START_TEST(test_control_frame_over_125)
{
    const uint8_t ping126[] = {0x89, 0x80 | 126, 0x00, 0x7E};
    check_stops_at(ping126, sizeof(ping126), 1);
}
END_TEST

START_TEST(test_fragmented_control_frame)
{
    const uint8_t ping_no_fin[] = {0x09, 0x80, 1, 2, 3, 4};
    check_stops_at(ping_no_fin, sizeof(ping_no_fin), 1);
}
END_TEST

START_TEST(test_close_with_one_byte_payload)
{
    const uint8_t close1[] = {0x88, 0x81, 1, 2, 3, 4, 'x'};
    check_stops_at(close1, sizeof(close1), 1);
}
END_TEST

START_TEST(test_16_bit_length_not_shortest)
{
    /* 125 fits in 7 bits: the 16-bit form is not the shortest; revealed by the second length byte */
    const uint8_t text125[] = {0x81, 0x80 | 126, 0x00, 0x7D, 1, 2, 3, 4};
    check_stops_at(text125, sizeof(text125), 3);
}
END_TEST

START_TEST(test_64_bit_length_not_shortest)
{
    const uint8_t text65535[] = {0x81, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 1, 2, 3, 4};
    check_stops_at(text65535, sizeof(text65535), 9);
}
END_TEST

START_TEST(test_64_bit_length_top_bit)
{
    const uint8_t huge[] = {0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
    check_stops_at(huge, sizeof(huge), 9);
}
END_TEST

START_TEST(test_close_with_code_and_long_payload_ok)
{
    /* a close with a code and a 123-byte reason (125 in all) is valid */
    uint8_t buf[200];
    size_t n = put_frame(buf, 0, 0x88, 7, 125);
    wg_ws_scan_t scan;
    ck_assert_uint_eq(scan_all(buf, n, &scan), n);
    ck_assert_int_eq(scan.is_failed, 0);
}
END_TEST

START_TEST(test_any_split_same_verdict)
{
    /* valid frames, then a fragmented ping: every split point (and byte-at-a-time) stops at the
     * same offset as one call over the whole stream */
    uint8_t buf[512];
    size_t n = 0;
    n = put_frame(buf, n, 0x81, 7, 10);
    n = put_frame(buf, n, 0x01, 16, 200);
    n = put_frame(buf, n, 0x8A, 7, 4);
    size_t bad_at = n;
    buf[n++] = 0x09;
    buf[n++] = 0x80;
    wg_ws_scan_t scan;
    size_t whole = scan_all(buf, n, &scan);
    ck_assert_uint_eq(whole, bad_at + 1); /* the second header byte reveals it */
    for (size_t split = 0; split <= n; split++) {
        memset(&scan, 0, sizeof(scan));
        size_t got = wg_ws_scan_frames(&scan, buf, split);
        if (!scan.is_failed)
            got += wg_ws_scan_frames(&scan, buf + split, n - split);
        ck_assert_msg(got == whole && scan.is_failed, "split at %zu: %zu bytes passed (whole: %zu)", split, got, whole);
    }
    memset(&scan, 0, sizeof(scan));
    size_t got = 0;
    for (size_t i = 0; i < n && !scan.is_failed; i++)
        got += wg_ws_scan_frames(&scan, buf + i, 1);
    ck_assert_uint_eq(got, whole);
}
END_TEST

/* ---- close codes, on an in-process server ----------------------------------------------------- */

/* Sends one client frame (FIN set, masked with a zero key so the payload goes as is). */
static void send_frame(inproc_t *t, int fd, uint8_t b0, const void *payload, size_t len)
{
    uint8_t *frame = malloc(len + 14);
    size_t n = 0;
    frame[n++] = b0;
    if (len < 126) {
        frame[n++] = (uint8_t)(0x80 | len);
    } else {
        ck_assert_uint_le(len, 65535);
        frame[n++] = 0x80 | 126;
        frame[n++] = (uint8_t)(len >> 8);
        frame[n++] = (uint8_t)len;
    }
    memset(frame + n, 0, 4);
    n += 4;
    memcpy(frame + n, payload, len);
    inproc_send_all(t, fd, (const char *)frame, n + len);
    free(frame);
}

/* The server's next frame must be a close with `code` and `reason` (NULL: any reason). */
static void expect_close(inproc_t *t, int fd, inproc_input_t *in, int code, const char *reason)
{
    char payload[128];
    inproc_frame_t f = inproc_read_frame(t, fd, in, payload, sizeof(payload));
    ck_assert_int_eq(f.opcode, 0x8);
    ck_assert_uint_ge(f.len, 2);
    ck_assert_int_eq(((unsigned char)payload[0] << 8) | (unsigned char)payload[1], code);
    if (reason != NULL)
        ck_assert_str_eq(payload + 2, reason);
}

static const char *const echo_args[] = {"--auth", "none", NULL}; /* demo backend: echoes text */

START_TEST(test_binary_frame_closes_1003)
{
    inproc_t *t = inproc_start(echo_args);
    inproc_input_t in;
    int fd = inproc_ws_open(t, "local", NULL, &in);
    send_frame(t, fd, 0x82, "\x01\x02", 2);
    expect_close(t, fd, &in, 1003, "Binary frames are not supported");
    close(fd);
    inproc_stop(t);
}
END_TEST

START_TEST(test_invalid_utf8_closes_1007)
{
    inproc_t *t = inproc_start(echo_args);
    inproc_input_t in;
    int fd = inproc_ws_open(t, "local", NULL, &in);
    /* an overlong encoding of '/' and a lone surrogate: both invalid in RFC 3629. The reason is
     * not checked: wslay's own UTF-8 check fails a single invalid frame first, with no reason
     * (ws.c's "Invalid UTF-8 in text frame" is what its own check would send). */
    send_frame(t, fd, 0x81, "\xC0\xAF", 2);
    expect_close(t, fd, &in, 1007, NULL);
    close(fd);
    int fd2 = inproc_ws_open(t, "local", NULL, &in);
    send_frame(t, fd2, 0x81, "\xED\xA0\x80", 3);
    expect_close(t, fd2, &in, 1007, NULL);
    close(fd2);
    inproc_stop(t);
}
END_TEST

START_TEST(test_frame_over_32k_closes_1009)
{
    inproc_t *t = inproc_start(echo_args);
    inproc_input_t in;
    int fd = inproc_ws_open(t, "local", NULL, &in);
    size_t len = WG_LIMIT_FRAME_BYTES + 1;
    char *big = malloc(len);
    memset(big, 'a', len);
    send_frame(t, fd, 0x81, big, len);
    free(big);
    expect_close(t, fd, &in, 1009, "Frame size exceeds the 32 KB limit");
    close(fd);
    inproc_stop(t);
}
END_TEST

START_TEST(test_one_byte_close_payload_closes_1002)
{
    inproc_t *t = inproc_start(echo_args);
    inproc_input_t in;
    int fd = inproc_ws_open(t, "local", NULL, &in);
    send_frame(t, fd, 0x88, "x", 1);
    expect_close(t, fd, &in, 1002, "");
    close(fd);
    inproc_stop(t);
}
END_TEST

START_TEST(test_ping_pong_and_valid_utf8_pass)
{
    inproc_t *t = inproc_start(echo_args);
    inproc_input_t in;
    int fd = inproc_ws_open(t, "local", NULL, &in);
    send_frame(t, fd, 0x89, "are you there", 13);
    char payload[128];
    inproc_frame_t f = inproc_read_frame(t, fd, &in, payload, sizeof(payload));
    ck_assert_int_eq(f.opcode, 0xA);
    ck_assert_str_eq(payload, "are you there");
    /* U+1F600 (4 bytes) and U+00E9: valid, so the connection stays open and the demo echoes it */
    send_frame(t, fd, 0x81, "\xF0\x9F\x98\x80 \xC3\xA9", 7);
    f = inproc_read_frame(t, fd, &in, payload, sizeof(payload));
    ck_assert_int_eq(f.opcode, 0x1);
    ck_assert_ptr_nonnull(strstr(payload, "\xF0\x9F\x98\x80 \xC3\xA9"));
    close(fd);
    inproc_stop(t);
}
END_TEST

Suite *wg_test_suite_ws(void)
{
    Suite *s = suite_create("ws");
    TCase *tc = tcase_create("scan_frames");
    tcase_add_test(tc, test_valid_frames_pass_whole);
    tcase_add_test(tc, test_tracks_payload_across_calls);
    tcase_add_test(tc, test_control_frame_over_125);
    tcase_add_test(tc, test_fragmented_control_frame);
    tcase_add_test(tc, test_close_with_one_byte_payload);
    tcase_add_test(tc, test_16_bit_length_not_shortest);
    tcase_add_test(tc, test_64_bit_length_not_shortest);
    tcase_add_test(tc, test_64_bit_length_top_bit);
    tcase_add_test(tc, test_close_with_code_and_long_payload_ok);
    tcase_add_test(tc, test_any_split_same_verdict);
    suite_add_tcase(s, tc);
    TCase *codes = tcase_create("close_codes");
    tcase_set_timeout(codes, 30);
    tcase_add_test(codes, test_binary_frame_closes_1003);
    tcase_add_test(codes, test_invalid_utf8_closes_1007);
    tcase_add_test(codes, test_frame_over_32k_closes_1009);
    tcase_add_test(codes, test_one_byte_close_payload_closes_1002);
    tcase_add_test(codes, test_ping_pong_and_valid_utf8_pass);
    suite_add_tcase(s, codes);
    return s;
}
