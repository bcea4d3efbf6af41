/*
 * test_ids.c: the 16-character IDs (byte layout of AWS-ID-7), apiId, trace IDs and UUIDs (the
 * time formats are test_clock.c's). With a scripted random source the generator reproduces real AWS IDs byte for
 * byte (the random bytes are read back out of the real ID), which pins down the layout, the
 * counter offset, the cell table and the base64url encoding at once.
 */
#include <check.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"

/* ------------------------------------------------------------ random sources ---- */

/* Hands out a fixed list of bytes; running past its end fails the test. */
typedef struct scripted {
    const uint8_t *bytes;
    size_t len, pos;
} scripted_t;

static void scripted_random(void *ctx, uint8_t *out, size_t len)
{
    scripted_t *s = ctx;
    ck_assert_msg(s->pos + len <= s->len, "scripted random source exhausted (%zu + %zu > %zu)", s->pos, len, s->len);
    memcpy(out, s->bytes + s->pos, len);
    s->pos += len;
}

/* A deterministic xorshift64 stream, for bulk property checks. */
static void xorshift_random(void *ctx, uint8_t *out, size_t len)
{
    uint64_t *state = ctx;
    for (size_t i = 0; i < len; i++) {
        uint64_t x = *state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *state = x;
        out[i] = (uint8_t)(x >> 32);
    }
}

/* ------------------------------------------------------------------ helpers ---- */

#define K_OFFSET 421608452ULL

typedef struct decoded {
    uint8_t b[WG_ID_BYTES];
    uint32_t counter; /* bits 46..18 */
    unsigned tag; /* bits 17..14 */
    unsigned random14;
    unsigned top_bit; /* byte 6 bit 7 */
    unsigned cell_hi, cell_lo, type;
    unsigned tail; /* bytes 9-10 */
} decoded_t;

static decoded_t decode_ok(const char *id)
{
    decoded_t d;
    ck_assert_msg(wg_ids_decode(id, d.b) == 0, "cannot decode %s", id);
    uint64_t field = 0;
    for (int i = 0; i < 6; i++)
        field = field << 8 | d.b[i];
    ck_assert_msg((field >> 47) == 0, "bit 47 set in %s", id);
    d.counter = (uint32_t)(field >> 18);
    d.tag = (unsigned)(field >> 14) & 0xF;
    d.random14 = (unsigned)field & 0x3FFF;
    d.top_bit = d.b[6] >> 7;
    d.cell_hi = d.b[6] & 0x7F;
    d.cell_lo = d.b[7];
    d.type = d.b[8];
    d.tail = (unsigned)d.b[9] << 8 | d.b[10];
    return d;
}

static uint32_t expected_counter(uint64_t ms)
{
    return (uint32_t)((ms / 100 + K_OFFSET) & ((1u << 29) - 1));
}

/* An epoch ms (in the 2020s) whose decisecond counter is `counter`. */
static uint64_t ms_for_counter(uint32_t counter)
{
    uint64_t mod = 1ULL << 29;
    uint64_t d = 32 * mod + ((counter + mod - (K_OFFSET % mod)) % mod);
    return d * 100 + 42;
}

static void check_id_shape(const char *id)
{
    ck_assert_uint_eq(strlen(id), WG_ID_LEN);
    ck_assert_int_eq(id[15], '=');
    for (int i = 0; i < 15; i++) {
        char c = id[i];
        ck_assert_msg((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                          c == '_',
                      "bad character '%c' in %s", c, id);
    }
}

/* ---------------------------------------------------------------- decoding ---- */

START_TEST(test_decode_real_ids)
{
    /* AWS-ID-7's worked examples: BFHPhfCWIAMCKlQ= = 04 51 cf 85 f0 96 20 03 02 2a 54 */
    static const uint8_t expected[WG_ID_BYTES] = {0x04, 0x51, 0xcf, 0x85, 0xf0, 0x96, 0x20, 0x03, 0x02, 0x2a, 0x54};
    uint8_t b[WG_ID_BYTES];
    ck_assert_int_eq(wg_ids_decode("BFHPhfCWIAMCKlQ=", b), 0);
    ck_assert_mem_eq(b, expected, WG_ID_BYTES);

    decoded_t c = decode_ok("BFHPhfCWIAMCKlQ="); /* connection, $connect at 1731324924553 */
    ck_assert_uint_eq(c.counter, expected_counter(1731324924553ULL));
    ck_assert_uint_eq(c.tag, 0x7);
    ck_assert_uint_eq(c.type, 0x02);
    decoded_t r = decode_ok("BFHPhFe3IAMF95g="); /* its requestId at 1731324924561 */
    ck_assert_uint_eq(r.counter, expected_counter(1731324924561ULL));
    ck_assert_uint_eq(r.tag, 0x1);
    ck_assert_uint_eq(r.type, 0x05);
    /* '-' and '_' decode */
    decoded_t u = decode_ok("P-S_9e-7liACH9A=");
    ck_assert_uint_eq(u.cell_hi, 0x16);
    ck_assert_uint_eq(u.cell_lo, 0x20);
}
END_TEST

START_TEST(test_decode_rejects)
{
    uint8_t b[WG_ID_BYTES];
    ck_assert_int_eq(wg_ids_decode(NULL, b), -1);
    ck_assert_int_eq(wg_ids_decode("", b), -1);
    ck_assert_int_eq(wg_ids_decode("BFHPhfCWIAMCKlQ", b), -1); /* 15 chars */
    ck_assert_int_eq(wg_ids_decode("BFHPhfCWIAMCKlQ==", b), -1); /* 17 chars */
    ck_assert_int_eq(wg_ids_decode("BFHPhfCWIAMCKlQA", b), -1); /* no pad */
    ck_assert_int_eq(wg_ids_decode("P+S/9e+7liACH9A=", b), -1); /* standard alphabet */
    ck_assert_int_eq(wg_ids_decode("BFHPhfCW AMCKlQ=", b), -1);
    ck_assert_int_eq(wg_ids_decode("BFHPhfCWIAMCKl==", b), -1);
}
END_TEST

/* ------------------------------------------------- reproducing real AWS IDs ---- */

typedef enum { KIND_CONNECTION, KIND_REQUEST } kind_t;

/* Reads the random parts back out of a real ID, scripts them, regenerates at a time with the
 * same decisecond and expects the identical string. */
static void check_reproduces(const char *region, const char *real, kind_t kind, uint64_t ms)
{
    decoded_t d = decode_ok(real);
    if (ms == 0)
        ms = ms_for_counter(d.counter);
    ck_assert_uint_eq(expected_counter(ms), d.counter);
    uint8_t script[8];
    size_t n = 0;
    if (kind == KIND_CONNECTION) {
        unsigned seed = d.tail - 0x1000; /* wg_ids_new: counter start 0x1000 + v % 0x1F00 */
        script[n++] = (uint8_t)(seed >> 8);
        script[n++] = (uint8_t)seed;
    } else {
        script[n++] = 0;
        script[n++] = 0;
    }
    script[n++] = (uint8_t)(d.random14 >> 8);
    script[n++] = (uint8_t)d.random14;
    script[n++] = (uint8_t)(d.top_bit << 7);
    if (kind == KIND_REQUEST) {
        script[n++] = d.b[9];
        script[n++] = d.b[10];
    }
    scripted_t src = {script, n, 0};
    wg_ids_t *ids = wg_ids_new(region, scripted_random, &src);
    ck_assert_ptr_nonnull(ids);
    char out[WG_ID_LEN + 1];
    if (kind == KIND_CONNECTION)
        wg_ids_connection(ids, ms, out);
    else
        wg_ids_request(ids, ms, out);
    ck_assert_str_eq(out, real);
    ck_assert_uint_eq(src.pos, n);
    wg_ids_free(ids);
}

START_TEST(test_reproduce_real_ids)
{
    /* us-east-1 captures with exact timestamps (connectedAt / requestTimeEpoch) */
    check_reproduces("us-east-1", "BFHPhfCWIAMCKlQ=", KIND_CONNECTION, 1731324924553ULL);
    check_reproduces("us-east-1", "BFHPhFe3IAMF95g=", KIND_REQUEST, 1731324924561ULL);
    check_reproduces("us-east-1", "BFaT_fALIAMCKug=", KIND_CONNECTION, 1731332735513ULL);
    check_reproduces("us-east-1", "BFaVtH2HoAMFZEQ=", KIND_REQUEST, 1731332746514ULL);
    check_reproduces("us-east-1", "BFbOeE87IAMF31w=", KIND_REQUEST, 1731333109875ULL);
    check_reproduces("us-east-1", "PbTkjcISoAMCJNQ=", KIND_CONNECTION, 0);
    check_reproduces("us-east-1", "PbTk7ET8IAMFs2g=", KIND_REQUEST, 0);
    /* other regions (AWS-ID-8) */
    check_reproduces("us-west-2", "Dwz4leekPHcCG6Q=", KIND_CONNECTION, 0);
    check_reproduces("us-west-2", "Dwz4lGRyvHcF0KQ=", KIND_REQUEST, 0);
    check_reproduces("us-west-2", "RYG0LEicPHcFo_A=", KIND_REQUEST, 0);
    check_reproduces("us-west-2", "L0SM9cOFvHcCIhw=", KIND_CONNECTION, 0);
    check_reproduces("eu-west-1", "TXzPWdnOjoECGjA=", KIND_CONNECTION, 0);
    check_reproduces("eu-west-1", "TXzPWFkkjoEF92g=", KIND_REQUEST, 0);
    check_reproduces("eu-west-2", "Ga3PGd2wLPECIsg=", KIND_CONNECTION, 0);
    check_reproduces("eu-central-1", "P-S_9e-7liACH9A=", KIND_CONNECTION, 0);
    check_reproduces("ap-northeast-1", "R1kmxc2VNjMCFIA=", KIND_CONNECTION, 0);
    check_reproduces("ap-northeast-1", "Qyi3UG41tjMFlUg=", KIND_REQUEST, 0);
    check_reproduces("ap-northeast-2", "XDmENcnwIE0CFEQ=", KIND_CONNECTION, 0);
    check_reproduces("ap-northeast-2", "XDmGEE2RoE0FRdQ=", KIND_REQUEST, 0);
    check_reproduces("ap-southeast-2", "DBNjmfOmSwMCJiA=", KIND_CONNECTION, 0);
    check_reproduces("ap-southeast-2", "DBNlXFDjSwMF3FA=", KIND_REQUEST, 0);
}
END_TEST

START_TEST(test_reproduce_real_message_ids)
{
    /* A messageId takes its connection's bytes 6 (low 7 bits) to 10; only the head and byte 6's
     * top bit are new. Pairs behind AWS-ID-5: message <- connection. */
    static const struct {
        const char *message, *connection;
        uint64_t ms;
    } pairs[] = {
        {"BFaVtfGSIAMCKug=", "BFaT_fALIAMCKug=", 1731332746514ULL},
        {"RsI83cCDIE0CIqg=", "RsGpzfNaoE0CIqg=", 0},
        {"R1knPc2ntjMCFIA=", "R1kmxc2VNjMCFIA=", 0},
        {"Ga4JueZBLPECIsg=", "Ga3PGd2wLPECIsg=", 0},
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        decoded_t m = decode_ok(pairs[i].message);
        uint64_t ms = pairs[i].ms ? pairs[i].ms : ms_for_counter(m.counter);
        ck_assert_uint_eq(expected_counter(ms), m.counter);
        uint8_t script[] = {0, 0, (uint8_t)(m.random14 >> 8), (uint8_t)m.random14, (uint8_t)(m.top_bit << 7)};
        scripted_t src = {script, sizeof(script), 0};
        /* the generator's own region must not matter: the cell comes from the connection */
        wg_ids_t *ids = wg_ids_new("eu-west-3", scripted_random, &src);
        char out[WG_ID_LEN + 1];
        wg_ids_message(ids, ms, pairs[i].connection, out);
        ck_assert_str_eq(out, pairs[i].message);
        ck_assert_str_eq(out + 11, pairs[i].connection + 11);
        wg_ids_free(ids);
    }
}
END_TEST

/* ------------------------------------------------------------- cell table ---- */

START_TEST(test_region_chars)
{
    /* chars 8-11 for the random top bit 0 and 1, connection (C) and request (F) */
    static const struct {
        const char *region, *c0, *c1, *f0, *f1;
    } table[] = {
        {"us-east-1", "IAMC", "oAMC", "IAMF", "oAMF"},
        {"us-east-2", "CYcC", "iYcC", "CYcF", "iYcF"},
        {"us-west-2", "PHcC", "vHcC", "PHcF", "vHcF"},
        {"eu-west-1", "DoEC", "joEC", "DoEF", "joEF"},
        {"eu-west-2", "LPEC", "rPEC", "LPEF", "rPEF"},
        {"eu-west-3", "CGYC", "iGYC", "CGYF", "iGYF"},
        {"eu-central-1", "FiAC", "liAC", "FiAF", "liAF"},
        {"ap-northeast-1", "NjMC", "tjMC", "NjMF", "tjMF"},
        {"ap-northeast-2", "IE0C", "oE0C", "IE0F", "oE0F"},
        {"ap-southeast-1", "SQ0C", "yQ0C", "SQ0F", "yQ0F"},
        {"ap-southeast-2", "SwMC", "ywMC", "SwMF", "ywMF"},
        {"xx-nowhere-9", "IAMC", "oAMC", "IAMF", "oAMF"}, /* unknown -> us-east-1 */
        {NULL, "IAMC", "oAMC", "IAMF", "oAMF"},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        uint8_t script[] = {0x00, 0x10, /* seed */
                            0x12, 0x34, 0x00, 0x12, 0x34, 0x80, /* two connections */
                            0x12, 0x34, 0x00, 0xAA, 0xBB, /* two requests */
                            0x12, 0x34, 0x80, 0xAA, 0xBB};
        scripted_t src = {script, sizeof(script), 0};
        wg_ids_t *ids = wg_ids_new(table[i].region, scripted_random, &src);
        char c0[WG_ID_LEN + 1], c1[WG_ID_LEN + 1], f0[WG_ID_LEN + 1], f1[WG_ID_LEN + 1];
        wg_ids_connection(ids, 1731324924553ULL, c0);
        wg_ids_connection(ids, 1731324924553ULL, c1);
        wg_ids_request(ids, 1731324924553ULL, f0);
        wg_ids_request(ids, 1731324924553ULL, f1);
        ck_assert_mem_eq(c0 + 8, table[i].c0, 4);
        ck_assert_mem_eq(c1 + 8, table[i].c1, 4);
        ck_assert_mem_eq(f0 + 8, table[i].f0, 4);
        ck_assert_mem_eq(f1 + 8, table[i].f1, 4);
        wg_ids_free(ids);

        uint8_t hi, lo;
        int known = wg_ids_region_cell(table[i].region, &hi, &lo);
        ck_assert_int_eq(known, i < 11);
    }
}
END_TEST

/* ------------------------------------------------- properties of bulk output ---- */

/* inferred: AWS-ID-7 (wsgate's choice, not a capture of AWS) */
START_TEST(test_generated_fields)
{
    uint64_t state = 0x9E3779B97F4A7C15ULL;
    wg_ids_t *ids = wg_ids_new("us-west-2", xorshift_random, &state);
    int seen_dash = 0, seen_underscore = 0, seen_top0 = 0, seen_top1 = 0;
    uint64_t ms = 1553288601354ULL; /* 2019 */
    for (int i = 0; i < 5000; i++) {
        ms += 1 + (uint64_t)i * 7919;
        char conn[WG_ID_LEN + 1], msg[WG_ID_LEN + 1], req[WG_ID_LEN + 1];
        wg_ids_connection(ids, ms, conn);
        wg_ids_message(ids, ms + 250, conn, msg);
        wg_ids_request(ids, ms + 3, req);
        check_id_shape(conn);
        check_id_shape(msg);
        check_id_shape(req);

        decoded_t c = decode_ok(conn), m = decode_ok(msg), r = decode_ok(req);
        ck_assert_uint_eq(c.counter, expected_counter(ms));
        ck_assert_uint_eq(m.counter, expected_counter(ms + 250));
        ck_assert_uint_eq(r.counter, expected_counter(ms + 3));
        ck_assert_uint_eq(c.tag, 0x7);
        ck_assert_uint_eq(m.tag, 0x7);
        ck_assert_uint_eq(r.tag, 0x1);
        ck_assert_uint_eq(c.cell_hi, 0x3c);
        ck_assert_uint_eq(c.cell_lo, 0x77);
        ck_assert_uint_eq(r.cell_hi, 0x3c);
        ck_assert_uint_eq(r.cell_lo, 0x77);
        ck_assert_uint_eq(c.type, 0x02);
        ck_assert_uint_eq(m.type, 0x02);
        ck_assert_uint_eq(r.type, 0x05);
        ck_assert_uint_ge(c.tail, 0x1000);
        ck_assert_uint_le(c.tail, 0x2EFF);
        /* the message copies bytes 6 (low 7 bits) .. 10 of its connection */
        ck_assert_uint_eq(m.cell_hi, c.cell_hi);
        ck_assert_mem_eq(m.b + 7, c.b + 7, 4);
        ck_assert_str_eq(msg + 11, conn + 11);
        seen_top0 |= c.top_bit == 0;
        seen_top1 |= c.top_bit == 1;
        seen_dash |= strchr(conn, '-') || strchr(msg, '-') || strchr(req, '-');
        seen_underscore |= strchr(conn, '_') || strchr(msg, '_') || strchr(req, '_');
    }
    ck_assert(seen_dash && seen_underscore && seen_top0 && seen_top1);
    wg_ids_free(ids);
}
END_TEST

/* inferred: AWS-ID-7 (wsgate's choice, not a capture of AWS) */
START_TEST(test_connection_tail_counter)
{
    /* seed 0x1EFE -> 0x1000 + 0x1EFE = 0x2EFE, then 0x2EFF, then wraps to 0x1000 */
    uint8_t script[] = {0x1E, 0xFE, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    scripted_t src = {script, sizeof(script), 0};
    wg_ids_t *ids = wg_ids_new("us-east-1", scripted_random, &src);
    char a[WG_ID_LEN + 1], b[WG_ID_LEN + 1], c[WG_ID_LEN + 1];
    wg_ids_connection(ids, 1731324924553ULL, a);
    wg_ids_connection(ids, 1731324924553ULL, b);
    wg_ids_connection(ids, 1731324924553ULL, c);
    ck_assert_uint_eq(decode_ok(a).tail, 0x2EFE);
    ck_assert_uint_eq(decode_ok(b).tail, 0x2EFF);
    ck_assert_uint_eq(decode_ok(c).tail, 0x1000);
    /* all-zero random: fully fixed strings */
    ck_assert_str_eq(a, "BFHPhcAAIAMCLv4=");
    ck_assert_str_eq(b, "BFHPhcAAIAMCLv8=");
    ck_assert_str_eq(c, "BFHPhcAAIAMCEAA=");
    wg_ids_free(ids);
}
END_TEST

static int compare_ids(const void *a, const void *b)
{
    return memcmp(a, b, WG_ID_LEN);
}

/* inferred: AWS-ID-7 (wsgate's choice, not a capture of AWS) */
START_TEST(test_unique_within_decisecond)
{
    /* 7936 connections in one decisecond never collide, whatever the random bits: the tail
     * counter differs. With OpenSSL's random source. */
    enum { N = 0x1F00 };
    char(*list)[WG_ID_LEN + 1] = malloc(N * sizeof(*list));
    wg_ids_t *ids = wg_ids_new("us-east-1", NULL, NULL);
    for (int i = 0; i < N; i++) {
        wg_ids_connection(ids, 1731324924553ULL, list[i]);
        check_id_shape(list[i]);
    }
    qsort(list, N, sizeof(*list), compare_ids);
    for (int i = 1; i < N; i++)
        ck_assert_msg(memcmp(list[i - 1], list[i], WG_ID_LEN) != 0, "duplicate %s", list[i]);
    wg_ids_free(ids);
    free(list);
}
END_TEST

START_TEST(test_message_with_foreign_connection_id)
{
    /* not decodable: falls back to the generator's cell and a connection-style tail */
    uint8_t script[] = {0, 0, 0x00, 0x01, 0x80, 0x00, 0x05};
    scripted_t src = {script, sizeof(script), 0};
    wg_ids_t *ids = wg_ids_new("ap-northeast-1", scripted_random, &src);
    char out[WG_ID_LEN + 1];
    wg_ids_message(ids, 1731324924553ULL, "not-an-id", out);
    check_id_shape(out);
    decoded_t m = decode_ok(out);
    ck_assert_uint_eq(m.cell_hi, 0x36);
    ck_assert_uint_eq(m.cell_lo, 0x33);
    ck_assert_uint_eq(m.type, 0x02);
    ck_assert_uint_eq(m.tail, 0x1005);
    ck_assert_uint_eq(m.top_bit, 1);
    ck_assert_uint_eq(m.random14, 1);
    ck_assert_uint_eq(src.pos, sizeof(script));
    wg_ids_free(ids);
}
END_TEST

/* ---------------------------------------------------------- other IDs ---- */

START_TEST(test_api_id)
{
    uint8_t script[] = {0, 0, /* seed */
                        0, 1, 25, 26, 35, 252, 255, 36, 251, 71, 72, 2};
    scripted_t src = {script, sizeof(script), 0};
    wg_ids_t *ids = wg_ids_new("us-east-1", scripted_random, &src);
    char out[WG_API_ID_LEN + 1];
    wg_ids_api_id(ids, out);
    /* 252 and 255 are rejected; 36 -> 'a', 251 = 6*36+35 -> '9', 71 -> '9', 72 -> 'a' */
    ck_assert_str_eq(out, "abz09a99ac");
    ck_assert_uint_eq(src.pos, sizeof(script));
    wg_ids_free(ids);
}
END_TEST

START_TEST(test_api_id_fixed)
{
    uint8_t script[] = {0, 0, 5, 20, 13, 16, 7, 13, 2, 21, 2, 36 + 36 + 36 + 36 + 2};
    scripted_t src = {script, sizeof(script), 0};
    wg_ids_t *ids = wg_ids_new("us-east-1", scripted_random, &src);
    char out[WG_API_ID_LEN + 1];
    wg_ids_api_id(ids, out);
    ck_assert_str_eq(out, "funqhncvcc");
    wg_ids_free(ids);

    uint64_t state = 42;
    ids = wg_ids_new("us-east-1", xorshift_random, &state);
    int counts[36] = {0};
    for (int i = 0; i < 3600; i++) {
        wg_ids_api_id(ids, out);
        ck_assert_uint_eq(strlen(out), WG_API_ID_LEN);
        for (int j = 0; j < WG_API_ID_LEN; j++) {
            char c = out[j];
            ck_assert((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
            counts[c >= 'a' ? c - 'a' : 26 + c - '0']++;
        }
    }
    for (int k = 0; k < 36; k++) /* 1000 expected each; unbiased within noise */
        ck_assert_msg(counts[k] > 850 && counts[k] < 1150, "char %d seen %d times", k, counts[k]);
    wg_ids_free(ids);
}
END_TEST

START_TEST(test_trace_id)
{
    /* reproduces the capture's X-Amzn-Trace-Id at its requestTimeEpoch */
    uint8_t script[] = {0, 0, 0x08, 0xe1, 0xe6, 0x56, 0x42, 0x1d, 0xb7, 0x3c, 0x5d, 0x2e, 0xef, 0x31};
    scripted_t src = {script, sizeof(script), 0};
    wg_ids_t *ids = wg_ids_new("us-east-1", scripted_random, &src);
    char out[WG_TRACE_ID_LEN + 1];
    wg_ids_trace_id(ids, 1731324924561ULL, out);
    ck_assert_str_eq(out, "Root=1-6731ebfc-08e1e656421db73c5d2eef31");
    ck_assert_uint_eq(strlen(out), WG_TRACE_ID_LEN);
    wg_ids_free(ids);

    ids = wg_ids_new("us-east-1", NULL, NULL);
    wg_ids_trace_id(ids, 0, out);
    ck_assert_uint_eq(strlen(out), WG_TRACE_ID_LEN);
    ck_assert_mem_eq(out, "Root=1-00000000-", 16);
    for (int i = 16; i < WG_TRACE_ID_LEN; i++)
        ck_assert(strchr("0123456789abcdef", out[i]) != NULL);
    wg_ids_free(ids);
}
END_TEST

START_TEST(test_uuid)
{
    char a[WG_UUID_LEN + 1], b[WG_UUID_LEN + 1];
    wg_ids_uuid(a);
    wg_ids_uuid(b);
    ck_assert_str_ne(a, b);
    ck_assert_uint_eq(strlen(a), WG_UUID_LEN);
    for (int i = 0; i < WG_UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            ck_assert_int_eq(a[i], '-');
        else
            ck_assert(strchr("0123456789abcdef", a[i]) != NULL);
    }
    ck_assert_int_eq(a[14], '4'); /* version 4 */
    ck_assert(strchr("89ab", a[19]) != NULL); /* RFC 4122 variant */
}
END_TEST

Suite *wg_test_suite_ids(void)
{
    Suite *s = suite_create("ids");
    TCase *tc = tcase_create("ids");
    tcase_add_test(tc, test_decode_real_ids);
    tcase_add_test(tc, test_decode_rejects);
    tcase_add_test(tc, test_reproduce_real_ids);
    tcase_add_test(tc, test_reproduce_real_message_ids);
    tcase_add_test(tc, test_region_chars);
    tcase_add_test(tc, test_generated_fields);
    tcase_add_test(tc, test_connection_tail_counter);
    tcase_add_test(tc, test_unique_within_decisecond);
    tcase_add_test(tc, test_message_with_foreign_connection_id);
    tcase_add_test(tc, test_api_id);
    tcase_add_test(tc, test_api_id_fixed);
    tcase_add_test(tc, test_trace_id);
    tcase_add_test(tc, test_uuid);
    suite_add_tcase(s, tc);
    return s;
}
