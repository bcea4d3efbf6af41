/*
 * fuzz_sigv4.c: libFuzzer target for SigV4 verification (src/sigv4_verify.c, with the canonical
 * request of src/sigv4_canonical.c), the parser every signed management-API request and IAM
 * $connect handshake goes through. Each input is used three ways:
 *   1. the whole input as the Authorization header value (with a current X-Amz-Date);
 *   2. the whole input as the raw query string, no Authorization (presigned-URL parsing);
 *   3. split at '\n' into Authorization | X-Amz-Date | raw path | raw query | body, so dates,
 *      path encoding and payloads are reached too (missing fields are left out).
 * Every run goes through non-strict mode, strict mode and strict mode with the full policy (region,
 * session token, payload hash from the body) with one known key ("AKID" / "secret") so the HMAC
 * path is exercised. Invariants checked: a result has a message exactly when it is not OK,
 * the message is a proper C string, and the building blocks and the signer never fail on it.
 * The date parsers (src/clock.c) also get the whole input directly: a date they accept formats
 * back to the same instant.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "sigv4.h"

#define FUZZ_NOW_MS 1559582119000ULL /* 20190603T171519Z */

static const char *lookup(void *ctx, const char *akid)
{
    (void)ctx;
    return strcmp(akid, "AKID") == 0 ? "secret" : NULL;
}

static const char *lookup_token(void *ctx, const char *akid)
{
    (void)ctx;
    return strcmp(akid, "AKID") == 0 ? "token" : NULL;
}

/* Modes: 0 sigv4, 1 strict key only, 2 strict with the full policy (region us-east-1, session
 * token "token" for AKID, payload hash from the body) as --auth strict runs it. */
static void check(const wg_sigv4_request_t *req)
{
    for (int strict = 0; strict <= 2; strict++) {
        wg_sigv4_result_t result;
        wg_sigv4_policy_t policy = {strict > 0, strict == 2 ? "us-east-1" : NULL, strict == 2 ? lookup_token : NULL,
                                    strict == 2};
        wg_sigv4_status_t st = wg_sigv4_verify_policy(req, "execute-api", FUZZ_NOW_MS, lookup, NULL, &policy, &result);
        if (st != result.status || st > WG_SIGV4_UNKNOWN_KEY)
            abort();
        if ((st == WG_SIGV4_OK) != (result.message == NULL))
            abort();
        if (result.message != NULL && strlen(result.message) == 0)
            abort();
        if (memchr(result.access_key_id, '\0', sizeof(result.access_key_id)) == NULL ||
            memchr(result.region, '\0', sizeof(result.region)) == NULL)
            abort();
        wg_sigv4_result_clear(&result);
    }
}

/* X-Amz-Date and Date parsing: an accepted date formats back to the same instant (the second 60
 * of a leap second rolls over, so it is compared as the instant, not the text). */
static void check_dates(const char *in, size_t size)
{
    int64_t t = 0, again = 0;
    char text[32];
    if (wg_clock_parse_basic(in, size, &t) == 0) {
        wg_clock_format_basic(t, text);
        if (wg_clock_parse_basic(text, strlen(text), &again) != 0 || again != t)
            abort();
    }
    if (wg_clock_parse_http_date(in, size, &t) == 0) {
        wg_clock_format_basic(t, text);
        if (wg_clock_parse_basic(text, strlen(text), &again) != 0 || again != t)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    check_dates(in, size);
    wg_header_t headers[4] = {
        {"Host", 4, "127.0.0.1:3001", 14},
        {"X-Amz-Date", 10, "20190603T171519Z", 16},
        {"Authorization", 13, in, size},
        {"x-amz-content-sha256", 20, "UNSIGNED-PAYLOAD", 16},
    };
    const char *path = "/local/@connections/abc%3D";

    /* 1. Authorization header */
    wg_sigv4_request_t req = {"POST", 4, path, strlen(path), NULL, 0, headers, 3, "hello", 5};
    check(&req);

    /* 2. presigned query */
    wg_sigv4_request_t qreq = {"GET", 3, "/local", 6, in, size, headers, 1, NULL, 0};
    check(&qreq);

    /* 3. fields split at '\n' */
    const char *field[5] = {NULL, NULL, NULL, NULL, NULL};
    size_t field_len[5] = {0, 0, 0, 0, 0};
    size_t start = 0, n = 0;
    for (size_t i = 0; i <= size && n < 5; i++) {
        if (i == size || (in[i] == '\n' && n < 4)) {
            field[n] = in + start;
            field_len[n] = i - start;
            n++;
            start = i + 1;
        }
    }
    wg_header_t split_headers[4];
    size_t num = 0;
    split_headers[num++] = headers[0];
    if (n > 1)
        split_headers[num++] = (wg_header_t){"X-Amz-Date", 10, field[1], field_len[1]};
    split_headers[num++] = (wg_header_t){"Authorization", 13, field[0], field_len[0]};
    if (size > 0 && (data[0] & 1))
        split_headers[num++] = headers[3];
    wg_sigv4_request_t sreq = {"PUT",
                               3,
                               n > 2 ? field[2] : "/",
                               n > 2 ? field_len[2] : 1,
                               n > 3 ? field[3] : NULL,
                               n > 3 ? field_len[3] : 0,
                               split_headers,
                               num,
                               n > 4 ? field[4] : NULL,
                               n > 4 ? field_len[4] : 0};
    check(&sreq);
    /* without the Authorization header the query decides (presigned or missing) */
    split_headers[num - 1 - (size > 0 && (data[0] & 1))] = headers[0];
    check(&sreq);

    /* building blocks and the signer over the same hostile path and query */
    for (int mode = 0; mode <= 2; mode++) {
        char *creq = wg_sigv4_canonical_request(&sreq, "host;x-amz-date", "UNSIGNED-PAYLOAD", mode);
        if (creq == NULL)
            abort();
        free(creq);
    }
    wg_sigv4_credentials_t creds = {"AKID", "secret", n > 1 ? "token" : NULL, "us-east-1", "execute-api"};
    wg_sigv4_signature_t sig;
    if (wg_sigv4_sign(&sreq, &creds, FUZZ_NOW_MS, &sig) != 0)
        abort();
    return 0;
}
