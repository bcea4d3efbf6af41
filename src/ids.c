/*
 * ids.c: connectionId / messageId / requestId, apiId, trace IDs and UUIDs (times: clock.c).
 *
 * The 16-character IDs reproduce the byte layout of AWS-ID-7 (docs/aws-behaviour.md),
 * reverse-engineered from 66 real IDs [I, strongly supported]:
 *
 *   bytes 0-5  48 bits: 0 | 29-bit decisecond counter | 4-bit type tag | 14 random bits
 *              counter = (floor(epoch_ms / 100) + K) mod 2^29, K = 421608452 (the 2024-2025 value)
 *              tag 0111 connection/message, 0001 request
 *   byte 6     random top bit | the cell's high 7 bits
 *   byte 7     the cell's low byte (bytes 6-7 identify the AWS cell, constant per region)
 *   byte 8     0x02 connection/message, 0x05 request
 *   bytes 9-10 connection: a counter-like value in 0x1000-0x2EFF; message: its connection's;
 *              request: random
 *
 * The 11 bytes are base64-encoded by OpenSSL and translated to the url alphabet ('+' -> '-',
 * '/' -> '_'); 11 bytes always give exactly one '=' pad. A messageId copies bytes 6 (low 7 bits)
 * to 10 of its connection, so both end in the same 5 characters, as on AWS.
 *
 * Uniqueness: connection IDs take bytes 9-10 from a counter (7936 values) rather than fresh random
 * bytes, so two connections in the same decisecond can only collide if 7936 connections were made
 * in between AND their 15 random bits match. The registry still checks (inferred: AWS-ID-7).
 */
#include "ids.h"

#include <stdbool.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

/* The offset that maps epoch deciseconds to AWS's 29-bit counter (AWS-ID-7: 421608448 in 2019,
 * drifting to 421608452 by 2025; we use the current value). */
#define ID_COUNTER_OFFSET 421608452ULL
#define ID_COUNTER_MASK ((1ULL << 29) - 1)
#define ID_TAG_CONNECTION 0x7u /* connection and message IDs */
#define ID_TAG_REQUEST 0x1u
#define ID_TYPE_CONNECTION 0x02u
#define ID_TYPE_REQUEST 0x05u
/* bytes 9-10 of connection IDs: AWS's values lie in 0x10xx..0x2Exx */
#define ID_CONN_TAIL_MIN 0x1000u
#define ID_CONN_TAIL_SPAN 0x1F00u /* 0x1000 .. 0x2EFF */

struct wg_ids {
    uint8_t cell_hi; /* byte 6, low 7 bits */
    uint8_t cell_lo; /* byte 7 */
    wg_random_fn random;
    void *random_ctx;
    atomic_uint conn_tail; /* next offset (0 .. SPAN-1) for a connection's bytes 9-10 */
};

/* Cell bytes per region, decoded from the example IDs behind AWS-ID-8 (chars 8-11). */
static const struct {
    const char *region;
    uint8_t hi, lo;
} region_cells[] = {
    {"us-east-1", 0x20, 0x03}, /* IAMC / oAMC, IAMF / oAMF */
    {"us-east-2", 0x09, 0x87}, /* CYcC / iYcC */
    {"us-west-2", 0x3c, 0x77}, /* PHcC / vHcC */
    {"eu-west-1", 0x0e, 0x81}, /* DoEC / joEC (probable region) */
    {"eu-west-2", 0x2c, 0xf1}, /* LPEC / rPEC */
    {"eu-west-3", 0x08, 0x66}, /* CGYC / iGYC */
    {"eu-central-1", 0x16, 0x20}, /* FiAC / liAC */
    {"ap-northeast-1", 0x36, 0x33}, /* NjMC / tjMC */
    {"ap-northeast-2", 0x20, 0x4d}, /* IE0C / oE0C */
    {"ap-southeast-1", 0x49, 0x0d}, /* SQ0C / yQ0C */
    {"ap-southeast-2", 0x4b, 0x03}, /* SwMC / ywMC */
};

int wg_ids_region_cell(const char *region, uint8_t *cell_hi, uint8_t *cell_lo)
{
    for (size_t i = 0; region != NULL && i < sizeof(region_cells) / sizeof(region_cells[0]); i++) {
        if (strcmp(region, region_cells[i].region) == 0) {
            *cell_hi = region_cells[i].hi;
            *cell_lo = region_cells[i].lo;
            return 1;
        }
    }
    *cell_hi = region_cells[0].hi;
    *cell_lo = region_cells[0].lo;
    return 0;
}

/* The default random source. RAND_bytes only fails when the OS entropy source is broken; there
 * is no sensible ID without it, so that is treated like out of memory. */
static void openssl_random(void *ctx, uint8_t *out, size_t len)
{
    /* One RAND_bytes call costs thousands of instructions whatever its length, and every message
     * draws a few bytes twice (request and message IDs) plus a UUID per management call: bytes come
     * from a per-thread block refilled with one call per 512 bytes; each byte is handed out once
     * and wiped. (wsgate does not fork.) */
    static __thread uint8_t pool[512];
    static __thread size_t avail;
    (void)ctx;
    while (len > 0) {
        if (avail == 0) {
            if (RAND_bytes(pool, (int)sizeof(pool)) != 1) {
                fprintf(stderr, "wsgate: RAND_bytes failed\n");
                abort();
            }
            avail = sizeof(pool);
        }
        size_t n = len < avail ? len : avail;
        uint8_t *from = pool + sizeof(pool) - avail;
        memcpy(out, from, n);
        memset(from, 0, n);
        avail -= n;
        out += n;
        len -= n;
    }
}

static void draw(wg_ids_t *ids, uint8_t *out, size_t len)
{
    ids->random(ids->random_ctx, out, len);
}

wg_ids_t *wg_ids_new(const char *region, wg_random_fn random, void *random_ctx)
{
    wg_ids_t *ids = calloc(1, sizeof(*ids));
    if (ids == NULL)
        return NULL;
    wg_ids_region_cell(region, &ids->cell_hi, &ids->cell_lo);
    ids->random = random != NULL ? random : openssl_random;
    ids->random_ctx = random != NULL ? random_ctx : NULL;
    uint8_t seed[2];
    draw(ids, seed, sizeof(seed));
    atomic_init(&ids->conn_tail, ((unsigned)seed[0] << 8 | seed[1]) % ID_CONN_TAIL_SPAN);
    return ids;
}

void wg_ids_free(wg_ids_t *ids)
{
    free(ids);
}

/* 11 bytes -> 16 characters of base64url with one '=' (OpenSSL encodes, we swap the alphabet). */
static void encode_id(const uint8_t bytes[WG_ID_BYTES], char out[WG_ID_LEN + 1])
{
    unsigned char buf[WG_ID_LEN + 1];
    int n = EVP_EncodeBlock(buf, bytes, WG_ID_BYTES);
    (void)n; /* always 16 for 11 bytes */
    for (int i = 0; i < WG_ID_LEN; i++) {
        char c = (char)buf[i];
        out[i] = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    out[WG_ID_LEN] = '\0';
}

int wg_ids_decode(const char *id, uint8_t out[WG_ID_BYTES])
{
    if (id == NULL || strlen(id) != WG_ID_LEN || id[WG_ID_LEN - 1] != '=')
        return -1;
    unsigned char std[WG_ID_LEN];
    for (int i = 0; i < WG_ID_LEN - 1; i++) {
        char c = id[i];
        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
        else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return -1; /* also rejects '+' and '/': not base64url */
        std[i] = (unsigned char)c;
    }
    std[WG_ID_LEN - 1] = '=';
    unsigned char buf[12]; /* EVP_DecodeBlock writes 3 bytes per 4 chars, pad included */
    if (EVP_DecodeBlock(buf, std, WG_ID_LEN) != 12)
        return -1;
    memcpy(out, buf, WG_ID_BYTES);
    return 0;
}

/* Bytes 0-5 and the random top bit of byte 6, from three random bytes. */
static void fill_head(uint8_t b[WG_ID_BYTES], uint64_t now_ms, unsigned tag, const uint8_t rnd[3], uint8_t cell_hi)
{
    uint64_t counter = (now_ms / 100 + ID_COUNTER_OFFSET) & ID_COUNTER_MASK;
    uint64_t random14 = ((uint64_t)rnd[0] << 8 | rnd[1]) & 0x3FFF;
    uint64_t field = counter << 18 | (uint64_t)(tag & 0xF) << 14 | random14; /* bit 47 stays 0 */
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)(field >> (8 * (5 - i)));
    b[6] = (uint8_t)((rnd[2] & 0x80) | (cell_hi & 0x7F));
}

static uint16_t next_conn_tail(wg_ids_t *ids)
{
    unsigned offset = atomic_fetch_add(&ids->conn_tail, 1u) % ID_CONN_TAIL_SPAN;
    return (uint16_t)(ID_CONN_TAIL_MIN + offset);
}

void wg_ids_connection(wg_ids_t *ids, uint64_t now_ms, char out[WG_ID_LEN + 1])
{
    uint8_t rnd[3], b[WG_ID_BYTES];
    draw(ids, rnd, sizeof(rnd));
    fill_head(b, now_ms, ID_TAG_CONNECTION, rnd, ids->cell_hi);
    b[7] = ids->cell_lo;
    b[8] = ID_TYPE_CONNECTION;
    uint16_t tail = next_conn_tail(ids);
    b[9] = (uint8_t)(tail >> 8);
    b[10] = (uint8_t)tail;
    encode_id(b, out);
}

void wg_ids_request(wg_ids_t *ids, uint64_t now_ms, char out[WG_ID_LEN + 1])
{
    uint8_t rnd[5], b[WG_ID_BYTES];
    draw(ids, rnd, sizeof(rnd));
    fill_head(b, now_ms, ID_TAG_REQUEST, rnd, ids->cell_hi);
    b[7] = ids->cell_lo;
    b[8] = ID_TYPE_REQUEST;
    b[9] = rnd[3];
    b[10] = rnd[4];
    encode_id(b, out);
}

void wg_ids_message(wg_ids_t *ids, uint64_t now_ms, const char *connection_id, char out[WG_ID_LEN + 1])
{
    uint8_t rnd[3], b[WG_ID_BYTES], conn[WG_ID_BYTES];
    draw(ids, rnd, sizeof(rnd));
    if (wg_ids_decode(connection_id, conn) != 0) {
        /* Not one of our IDs (cannot happen for registry connections): use this generator's
         * cell and a fresh connection-style tail rather than failing. */
        uint8_t tail[2];
        draw(ids, tail, sizeof(tail));
        conn[6] = ids->cell_hi;
        conn[7] = ids->cell_lo;
        conn[8] = ID_TYPE_CONNECTION;
        unsigned v = ID_CONN_TAIL_MIN + ((unsigned)tail[0] << 8 | tail[1]) % ID_CONN_TAIL_SPAN;
        conn[9] = (uint8_t)(v >> 8);
        conn[10] = (uint8_t)v;
    }
    fill_head(b, now_ms, ID_TAG_CONNECTION, rnd, conn[6]);
    memcpy(b + 7, conn + 7, 4);
    encode_id(b, out);
}

bool wg_ids_is_api_id(const char *s)
{
    if (strlen(s) != WG_API_ID_LEN)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

void wg_ids_api_id(wg_ids_t *ids, char out[WG_API_ID_LEN + 1])
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    int n = 0;
    while (n < WG_API_ID_LEN) {
        uint8_t r;
        draw(ids, &r, 1);
        if (r >= 252) /* 252 = 7 * 36: reject so that every character is equally likely */
            continue;
        out[n++] = alphabet[r % 36];
    }
    out[WG_API_ID_LEN] = '\0';
}

void wg_ids_trace_id(wg_ids_t *ids, uint64_t now_ms, char out[WG_TRACE_ID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t rnd[12];
    draw(ids, rnd, sizeof(rnd));
    uint32_t seconds = (uint32_t)(now_ms / 1000);
    char *p = out;
    memcpy(p, "Root=1-", 7);
    p += 7;
    for (int shift = 28; shift >= 0; shift -= 4)
        *p++ = hex[(seconds >> shift) & 0xF];
    *p++ = '-';
    for (size_t i = 0; i < sizeof(rnd); i++) {
        *p++ = hex[rnd[i] >> 4];
        *p++ = hex[rnd[i] & 0xF];
    }
    *p = '\0';
}

void wg_ids_uuid(char out[WG_UUID_LEN + 1])
{
    /* A version 4 UUID as uuid_generate_random makes it, from the pooled random bytes (libuuid's
     * own call reseeds random(3) every time: a third of the cost of a PostToConnection answer). */
    uuid_t uuid;
    openssl_random(NULL, uuid, sizeof(uuid));
    uuid[6] = (uint8_t)((uuid[6] & 0x0F) | 0x40);
    uuid[8] = (uint8_t)((uuid[8] & 0x3F) | 0x80);
    uuid_unparse_lower(uuid, out);
}
