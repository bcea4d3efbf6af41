/*
 * sigv4.c: AWS Signature Version 4, verified the way execute-api verifies it and signed the way the
 * SDKs sign (../shared/spec/aws-websocket-spec.md sections 7.2 and 7.5; toolchain notes section 4).
 *
 * What this reproduces:
 * - The canonical request of execute-api: the raw wire path URI-encoded once more (RFC 3986
 *   unreserved characters and '/' kept), so `/local/@connections/X%3D` is signed as
 *   `/local/%40connections/X%253D` [C]; the query sorted by encoded name, then value; the headers
 *   named by the client's SignedHeaders list (SDKs sign different sets), values trimmed with inner
 *   whitespace runs collapsed and repeats joined with ','.
 * - AWS's 403 messages, byte for byte where captures exist: MissingAuthenticationToken, the
 *   IncompleteSignature "requires 'Credential' parameter" list and the "missing equal-sign" form,
 *   "Signature expired"/"Signature not yet current" (5 minutes either way), and the
 *   InvalidSignature text that quotes the canonical request and the string to sign.
 * Messages marked [I] in the comments below are not backed by a capture (best guess, AWS-like).
 *
 * Every input byte comes from the network: all parsing goes by explicit lengths (never str* on
 * request data), everything is bounded by the input size, and nothing here aborts on bad input.
 * Derived keys are wiped with OPENSSL_cleanse; signatures are compared with CRYPTO_memcmp. Secrets
 * never appear in messages.
 */
#include "sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "limits.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define SKEW_SECONDS 300 /* spec 7.5: 5 minutes either way (WG_LIMIT_SIGV4_SKEW_MS) */
#define MAX_PRESIGN_EXPIRES 604800 /* SigV4 presigned URLs live at most 7 days [D] */

/* ---- a growable byte buffer (out of memory aborts, as the house style allows) ---- */

typedef struct buf {
    char *data;
    size_t len;
    size_t cap;
} buf_t;

static void buf_reserve(buf_t *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (p == NULL)
        abort();
    b->data = p;
    b->cap = cap;
}

static void buf_add(buf_t *b, const void *data, size_t len)
{
    buf_reserve(b, len);
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

static void buf_adds(buf_t *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

static void buf_addc(buf_t *b, char c)
{
    buf_add(b, &c, 1);
}

/* Client text quoted in a message: NUL bytes would cut the C string, so they become '?'. */
static void buf_add_text(buf_t *b, const char *s, size_t len)
{
    buf_reserve(b, len);
    for (size_t i = 0; i < len; i++)
        b->data[b->len++] = s[i] ? s[i] : '?';
    b->data[b->len] = '\0';
}

/* Returns the buffer's string (never NULL) and gives up ownership. */
static char *buf_take(buf_t *b)
{
    buf_reserve(b, 0);
    char *s = b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

static char *dup_n(const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (p == NULL)
        abort();
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

/* ---- small byte helpers ---- */

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~';
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* (s,len) equals the NUL-terminated `lit` ignoring ASCII case. */
static int ieq(const char *s, size_t len, const char *lit)
{
    size_t i = 0;
    for (; i < len; i++) {
        if (lit[i] == '\0' || lower((unsigned char)s[i]) != lower((unsigned char)lit[i]))
            return 0;
    }
    return lit[i] == '\0';
}

/* (s,len) equals `lit` exactly. */
static int eq(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    return len == n && (n == 0 || memcmp(s, lit, n) == 0);
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_space((unsigned char)(*s)[0])) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_space((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

/* RFC 3986 percent-encoding of every byte except unreserved ones (and '/' when keep_slash). */
static void encode_into(buf_t *b, const char *s, size_t len, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    buf_reserve(b, len * 3);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            b->data[b->len++] = (char)c;
        } else {
            b->data[b->len++] = '%';
            b->data[b->len++] = hex[c >> 4];
            b->data[b->len++] = hex[c & 15];
        }
    }
    b->data[b->len] = '\0';
}

/* Percent-decoding without '+' handling; a malformed escape is kept literally. NUL-safe. */
static void decode_into(buf_t *b, const char *s, size_t len)
{
    buf_reserve(b, len);
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < len && (hi = hex_value((unsigned char)s[i + 1])) >= 0 &&
            (lo = hex_value((unsigned char)s[i + 2])) >= 0) {
            b->data[b->len++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            b->data[b->len++] = s[i];
        }
    }
    b->data[b->len] = '\0';
}

static void hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * len] = '\0';
}

/* ---- time: proleptic Gregorian calendar, no libc time zone state ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, unsigned m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

/* "yyyymmddTHHMMSSZ" for epoch seconds `t`; out holds 32 bytes (years beyond 9999 widen). */
static void format_basic(int64_t t, char out[32])
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t secs = t - days * 86400;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, 32, "%04lld%02u%02uT%02u%02u%02uZ", (long long)y, m, d, (unsigned)(secs / 3600),
             (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
}

static int parse_digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

static int make_time(unsigned y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s, int64_t *out)
{
    if (mo < 1 || mo > 12 || d < 1 || (int)d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60)
        return -1;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    return 0;
}

/* SigV4 basic ISO-8601 "yyyymmddTHHMMSSZ", exactly. */
static int parse_basic(const char *s, size_t len, int64_t *out)
{
    unsigned y, mo, d, h, mi, sec;
    if (len != 16 || s[8] != 'T' || s[15] != 'Z' || parse_digits(s, 4, &y) || parse_digits(s + 4, 2, &mo) ||
        parse_digits(s + 6, 2, &d) || parse_digits(s + 9, 2, &h) || parse_digits(s + 11, 2, &mi) ||
        parse_digits(s + 13, 2, &sec))
        return -1;
    return make_time(y, mo, d, h, mi, sec, out);
}

/* RFC 7231 IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" (the `Date` header SDKs used to send). */
static int parse_http_date(const char *s, size_t len, int64_t *out)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    unsigned y, mo = 0, d, h, mi, sec;
    if (len != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
        s[22] != ':' || s[25] != ' ' || memcmp(s + 26, "GMT", 3) != 0)
        return -1;
    for (unsigned i = 0; i < 12; i++)
        if (memcmp(s + 8, months + 3 * i, 3) == 0)
            mo = i + 1;
    if (mo == 0 || parse_digits(s + 5, 2, &d) || parse_digits(s + 12, 4, &y) || parse_digits(s + 17, 2, &h) ||
        parse_digits(s + 20, 2, &mi) || parse_digits(s + 23, 2, &sec))
        return -1;
    return make_time(y, mo, d, h, mi, sec, out);
}

/* ---- crypto ---- */

/* OpenSSL 3 looks an algorithm up on every one-shot call (EVP_sha256(), HMAC()): that lookup cost
 * more than the hashing itself per request. The algorithms are fetched once; the process uses them
 * from the event-loop thread and single-threaded tools only. */
static const EVP_MD *sha256_md(void)
{
    static EVP_MD *md;
    if (md == NULL && (md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
        abort();
    return md;
}

static EVP_MAC *hmac_mac(void)
{
    static EVP_MAC *mac;
    if (mac == NULL && (mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
        abort();
    return mac;
}

/* A new HMAC-SHA256 context keyed with `key` (free with EVP_MAC_CTX_free). */
static EVP_MAC_CTX *hmac_keyed(const void *key, size_t key_len)
{
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(hmac_mac());
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0), OSSL_PARAM_construct_end()};
    if (ctx == NULL || EVP_MAC_init(ctx, key, key_len, params) != 1)
        abort();
    return ctx;
}

/* HMAC of data with a context already keyed: the keyed template is copied, so it stays reusable. */
static void hmac_with(const EVP_MAC_CTX *keyed, const void *data, size_t len, uint8_t out[32])
{
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(keyed);
    size_t out_len = 0;
    if (ctx == NULL || EVP_MAC_update(ctx, data, len) != 1 || EVP_MAC_final(ctx, out, &out_len, 32) != 1)
        abort();
    EVP_MAC_CTX_free(ctx);
}

static void hmac_sha256(const void *key, size_t key_len, const void *data, size_t len, uint8_t out[32])
{
    unsigned int out_len = 32;
    if (HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &out_len) == NULL)
        abort(); /* only fails on out of memory */
}

void wg_sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
    uint8_t digest[32];
    unsigned int digest_len = 32;
    if (EVP_Digest(len ? data : "", len, digest, &digest_len, sha256_md(), NULL) != 1)
        abort();
    hex_encode(digest, 32, out);
}

void wg_sigv4_signing_key(const char *secret, const char *date, const char *region, const char *service,
                          uint8_t out[32])
{
    size_t secret_len = strlen(secret);
    char *k_secret = malloc(secret_len + 5);
    if (k_secret == NULL)
        abort();
    memcpy(k_secret, "AWS4", 4);
    memcpy(k_secret + 4, secret, secret_len);
    uint8_t k_date[32], k_region[32], k_service[32];
    hmac_sha256(k_secret, secret_len + 4, date, strlen(date), k_date);
    hmac_sha256(k_date, 32, region, strlen(region), k_region);
    hmac_sha256(k_region, 32, service, strlen(service), k_service);
    hmac_sha256(k_service, 32, "aws4_request", 12, out);
    OPENSSL_cleanse(k_secret, secret_len + 4);
    OPENSSL_cleanse(k_date, sizeof(k_date));
    OPENSSL_cleanse(k_region, sizeof(k_region));
    OPENSSL_cleanse(k_service, sizeof(k_service));
    free(k_secret);
}

/* Derived keys are the same all day for one secret, region and service, and deriving one costs four
 * HMACs: a few are kept, with an HMAC context already keyed with each. The cache holds derived values
 * only: an entry is found by the SHA-256 of the secret, never the secret itself. A cached key is as
 * sensitive as a day's signatures; entries are wiped when replaced. */
#define SIGNING_KEY_CACHE 4
typedef struct signing_key_entry {
    uint8_t secret_hash[32];
    char date[9];
    char region[32];
    char service[32];
    uint8_t key[32];
    EVP_MAC_CTX *keyed; /* HMAC-SHA256 keyed with `key`, copied per signature */
} signing_key_entry_t;

static signing_key_entry_t cache[SIGNING_KEY_CACHE];

void wg_sigv4_forget_keys(void)
{
    for (unsigned i = 0; i < SIGNING_KEY_CACHE; i++) {
        EVP_MAC_CTX_free(cache[i].keyed);
        OPENSSL_cleanse(&cache[i], sizeof(cache[i]));
    }
}

/* Returns the cache entry holding the signing key for these inputs (derived on a miss), or NULL when
 * the inputs are too long to cache (then `out` holds the key). Used from one thread only (see
 * sha256_md). */
static signing_key_entry_t *cached_signing_key(const char *secret, const char *date8, const char *region,
                                               const char *service, uint8_t out[32])
{
    static unsigned next;
    int is_cacheable = strlen(date8) < sizeof(cache[0].date) && strlen(region) < sizeof(cache[0].region) &&
                       strlen(service) < sizeof(cache[0].service);
    uint8_t secret_hash[32];
    unsigned int hash_len = 32;
    if (EVP_Digest(secret, strlen(secret), secret_hash, &hash_len, sha256_md(), NULL) != 1)
        abort();
    if (is_cacheable) {
        for (unsigned i = 0; i < SIGNING_KEY_CACHE; i++) {
            signing_key_entry_t *e = &cache[i];
            if (e->date[0] != '\0' && strcmp(e->date, date8) == 0 && strcmp(e->region, region) == 0 &&
                strcmp(e->service, service) == 0 && CRYPTO_memcmp(e->secret_hash, secret_hash, 32) == 0) {
                memcpy(out, e->key, 32);
                OPENSSL_cleanse(secret_hash, sizeof(secret_hash));
                return e;
            }
        }
    }
    wg_sigv4_signing_key(secret, date8, region, service, out);
    if (!is_cacheable) {
        OPENSSL_cleanse(secret_hash, sizeof(secret_hash));
        return NULL;
    }
    signing_key_entry_t *e = &cache[next++ % SIGNING_KEY_CACHE];
    EVP_MAC_CTX_free(e->keyed);
    OPENSSL_cleanse(e, sizeof(*e));
    memcpy(e->secret_hash, secret_hash, 32);
    OPENSSL_cleanse(secret_hash, sizeof(secret_hash));
    strcpy(e->date, date8);
    strcpy(e->region, region);
    strcpy(e->service, service);
    memcpy(e->key, out, 32);
    e->keyed = hmac_keyed(out, 32);
    return e;
}

/* Hex HMAC of the string to sign under the derived key. */
static void compute_signature(const char *secret, const char *date8, const char *region, const char *service,
                              const char *string_to_sign, char out[65])
{
    uint8_t key[32], sig[32];
    signing_key_entry_t *e = cached_signing_key(secret, date8, region, service, key);
    if (e != NULL)
        hmac_with(e->keyed, string_to_sign, strlen(string_to_sign), sig);
    else
        hmac_sha256(key, 32, string_to_sign, strlen(string_to_sign), sig);
    hex_encode(sig, 32, out);
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(sig, sizeof(sig));
}

/* ---- canonical request ---- */

/* Canonical URI (see WG_SIGV4_PATH_* in sigv4.h). */
static void canonical_uri(buf_t *out, const char *path, size_t len, int mode)
{
    if (len == 0) {
        buf_addc(out, '/');
        return;
    }
    if (mode == WG_SIGV4_PATH_DOUBLE) {
        encode_into(out, path, len, 1);
        return;
    }
    buf_t decoded = {0};
    decode_into(&decoded, path, len);
    if (mode != WG_SIGV4_PATH_NORMALIZE) {
        encode_into(out, decoded.data, decoded.len, 1);
        free(decoded.data);
        return;
    }
    /* botocore's remove_dot_segments: drop empty and "." segments, ".." pops, keep the leading
     * slash and a trailing one (when something is left). */
    size_t n = decoded.len, count = 0;
    const char *d = decoded.data;
    size_t *starts = malloc((n / 2 + 2) * sizeof(size_t)), *lens = malloc((n / 2 + 2) * sizeof(size_t));
    if (starts == NULL || lens == NULL)
        abort();
    for (size_t i = 0; i <= n;) {
        size_t j = i;
        while (j < n && d[j] != '/')
            j++;
        size_t seg = j - i;
        if (seg == 0 || (seg == 1 && d[i] == '.')) {
            /* skipped */
        } else if (seg == 2 && d[i] == '.' && d[i + 1] == '.') {
            if (count > 0)
                count--;
        } else {
            starts[count] = i;
            lens[count] = seg;
            count++;
        }
        i = j + 1;
    }
    if (d[0] == '/')
        buf_addc(out, '/');
    for (size_t k = 0; k < count; k++) {
        if (k > 0)
            buf_addc(out, '/');
        encode_into(out, d + starts[k], lens[k], 1);
    }
    if (d[n - 1] == '/' && count > 0)
        buf_addc(out, '/');
    free(starts);
    free(lens);
    free(decoded.data);
}

typedef struct qparam {
    char *text; /* "encoded-name=encoded-value" */
    size_t name_len;
    size_t len;
} qparam_t;

static int qparam_cmp(const void *a, const void *b)
{
    const qparam_t *x = a, *y = b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->text, y->text, n);
    if (c != 0)
        return c;
    if (x->name_len != y->name_len)
        return x->name_len < y->name_len ? -1 : 1;
    size_t xv = x->len - x->name_len, yv = y->len - y->name_len;
    n = xv < yv ? xv : yv;
    c = memcmp(x->text + x->name_len, y->text + y->name_len, n);
    if (c != 0)
        return c;
    return xv < yv ? -1 : (xv > yv ? 1 : 0);
}

/* Splits a raw query into its non-empty '&' pieces; calls fn(name, name_len, value, value_len, ctx)
 * with the raw (still encoded) name and value. */
typedef void (*query_piece_fn)(const char *name, size_t name_len, const char *value, size_t value_len, void *ctx);

static void query_each(const char *q, size_t len, query_piece_fn fn, void *ctx)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && q[j] != '&')
            j++;
        if (j > i) {
            size_t e = i;
            while (e < j && q[e] != '=')
                e++;
            if (e < j)
                fn(q + i, e - i, q + e + 1, j - e - 1, ctx);
            else
                fn(q + i, j - i, q + j, 0, ctx); /* `flag` is `flag=` */
        }
        i = j + 1;
    }
}

typedef struct qcollect {
    qparam_t *params;
    size_t count;
    size_t cap;
    int exclude_signature;
} qcollect_t;

static void collect_piece(const char *name, size_t name_len, const char *value, size_t value_len, void *ctx)
{
    qcollect_t *c = ctx;
    buf_t dn = {0}, dv = {0}, t = {0};
    decode_into(&dn, name, name_len);
    if (c->exclude_signature && eq(dn.data, dn.len, "X-Amz-Signature")) {
        free(dn.data);
        return;
    }
    decode_into(&dv, value, value_len);
    encode_into(&t, dn.data, dn.len, 0);
    size_t enc_name_len = t.len;
    buf_addc(&t, '=');
    encode_into(&t, dv.data, dv.len, 0);
    free(dn.data);
    free(dv.data);
    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        qparam_t *p = realloc(c->params, cap * sizeof(*p));
        if (p == NULL)
            abort();
        c->params = p;
        c->cap = cap;
    }
    qparam_t *p = &c->params[c->count++];
    p->len = t.len;
    p->name_len = enc_name_len;
    p->text = buf_take(&t);
}

static void canonical_query(buf_t *out, const char *q, size_t len, int exclude_signature)
{
    qcollect_t c = {NULL, 0, 0, exclude_signature};
    query_each(q, len, collect_piece, &c);
    if (c.count > 1)
        qsort(c.params, c.count, sizeof(qparam_t), qparam_cmp);
    for (size_t i = 0; i < c.count; i++) {
        if (i > 0)
            buf_addc(out, '&');
        buf_add(out, c.params[i].text, c.params[i].len);
        free(c.params[i].text);
    }
    free(c.params);
}

/* One header value the canonical way: trimmed, inner whitespace runs collapsed to one space. */
static void canonical_value(buf_t *out, const char *v, size_t len)
{
    trim(&v, &len);
    int in_space = 0;
    buf_reserve(out, len);
    for (size_t i = 0; i < len; i++) {
        if (is_space((unsigned char)v[i])) {
            in_space = 1;
            continue;
        }
        if (in_space)
            out->data[out->len++] = ' ';
        in_space = 0;
        out->data[out->len++] = v[i];
    }
    out->data[out->len] = '\0';
}

static void canonical_headers(buf_t *out, const wg_header_t *headers, size_t num_headers, const char *signed_list,
                              size_t signed_len)
{
    size_t i = 0;
    while (i <= signed_len) {
        size_t j = i;
        while (j < signed_len && signed_list[j] != ';')
            j++;
        const char *name = signed_list + i;
        size_t name_len = j - i;
        if (name_len > 0) { /* an empty name ("a;;b") adds nothing */
            for (size_t k = 0; k < name_len; k++)
                buf_addc(out, (char)lower((unsigned char)name[k]));
            buf_addc(out, ':');
            int first = 1;
            for (size_t h = 0; h < num_headers; h++) {
                const wg_header_t *hd = &headers[h];
                if (hd->name_len != name_len)
                    continue;
                size_t k = 0;
                while (k < name_len && lower((unsigned char)hd->name[k]) == lower((unsigned char)name[k]))
                    k++;
                if (k != name_len)
                    continue;
                if (!first)
                    buf_addc(out, ',');
                first = 0;
                canonical_value(out, hd->value, hd->value_len);
            }
            buf_addc(out, '\n');
        }
        i = j + 1;
    }
}

static void build_canonical(buf_t *out, const char *method, size_t method_len, const char *path, size_t path_len,
                            const char *query, size_t query_len, const wg_header_t *headers, size_t num_headers,
                            const char *signed_list, size_t signed_len, const char *payload_hash,
                            size_t payload_hash_len, int path_mode, int exclude_signature)
{
    buf_add(out, method, method_len);
    buf_addc(out, '\n');
    canonical_uri(out, path, path_len, path_mode);
    buf_addc(out, '\n');
    canonical_query(out, query, query_len, exclude_signature);
    buf_addc(out, '\n');
    canonical_headers(out, headers, num_headers, signed_list, signed_len);
    buf_addc(out, '\n');
    buf_add(out, signed_list, signed_len);
    buf_addc(out, '\n');
    buf_add(out, payload_hash, payload_hash_len);
}

char *wg_sigv4_canonical_request(const wg_sigv4_request_t *req, const char *signed_headers,
                                 const char *payload_hash_hex, int double_encode_path)
{
    if (req == NULL || signed_headers == NULL || payload_hash_hex == NULL || (req->method == NULL && req->method_len) ||
        (req->path == NULL && req->path_len) || (req->query == NULL && req->query_len) ||
        (req->headers == NULL && req->num_headers))
        return NULL;
    buf_t out = {0};
    build_canonical(&out, req->method, req->method_len, req->path, req->path_len, req->query, req->query_len,
                    req->headers, req->num_headers, signed_headers, strlen(signed_headers), payload_hash_hex,
                    strlen(payload_hash_hex), double_encode_path, 0);
    return buf_take(&out);
}

char *wg_sigv4_string_to_sign(const char *amz_date, const char *scope, const char *canonical_request)
{
    if (amz_date == NULL || scope == NULL || canonical_request == NULL)
        return NULL;
    char hash[65];
    wg_sigv4_sha256_hex(canonical_request, strlen(canonical_request), hash);
    buf_t out = {0};
    buf_adds(&out, ALGORITHM "\n");
    buf_adds(&out, amz_date);
    buf_addc(&out, '\n');
    buf_adds(&out, scope);
    buf_addc(&out, '\n');
    buf_adds(&out, hash);
    return buf_take(&out);
}

/* ---- verification ---- */

/* A (pointer, length) slice of request bytes. */
typedef struct slice {
    const char *ptr;
    size_t len;
    int present;
} slice_t;

static const wg_header_t *find_header(const wg_sigv4_request_t *req, const char *name)
{
    for (size_t i = 0; i < req->num_headers; i++)
        if (ieq(req->headers[i].name, req->headers[i].name_len, name))
            return &req->headers[i];
    return NULL;
}

/* What either form (header or query) supplies. Query values are decoded copies (owned). */
typedef struct auth_parts {
    slice_t credential, signed_headers, signature, date, expires;
    char *owned[5];
} auth_parts_t;

static void auth_parts_free(auth_parts_t *p)
{
    for (size_t i = 0; i < 5; i++)
        free(p->owned[i]);
}

static wg_sigv4_status_t fail(wg_sigv4_result_t *result, wg_sigv4_status_t status, buf_t *msg)
{
    result->status = status;
    result->message = buf_take(msg);
    return status;
}

static wg_sigv4_status_t fail_text(wg_sigv4_result_t *result, wg_sigv4_status_t status, const char *text)
{
    buf_t msg = {0};
    buf_adds(&msg, text);
    return fail(result, status, &msg);
}

/*
 * Parses `Authorization: <algorithm> k=v, k=v, ...` the way AWS reports it [C, spec 7.5]: every
 * comma-separated piece after the first space must be key=value, else the "missing equal-sign"
 * message; then each of Credential, Signature, SignedHeaders and a date header must exist, else
 * the "requires" list ending with `Authorization=<value>`.
 */
static wg_sigv4_status_t parse_authorization(const wg_sigv4_request_t *req, const wg_header_t *auth,
                                             auth_parts_t *parts, wg_sigv4_result_t *result)
{
    const char *v = auth->value;
    size_t len = auth->value_len;
    trim(&v, &len); /* HTTP servers drop surrounding whitespace; so do we when h2o did not */
    size_t sp = 0;
    while (sp < len && v[sp] != ' ')
        sp++;
    const char *algorithm = v;
    size_t algorithm_len = sp;
    size_t i = sp < len ? sp + 1 : len;
    while (i < len) {
        size_t j = i;
        while (j < len && v[j] != ',')
            j++;
        const char *piece = v + i;
        size_t piece_len = j - i;
        trim(&piece, &piece_len);
        if (piece_len > 0) {
            const char *eqp = memchr(piece, '=', piece_len);
            if (eqp == NULL) {
                buf_t msg = {0};
                buf_addc(&msg, '\'');
                buf_add_text(&msg, piece, piece_len);
                buf_adds(&msg, "' not a valid key=value pair (missing equal-sign) in "
                               "Authorization header: '");
                buf_add_text(&msg, v, len);
                buf_adds(&msg, "'.");
                return fail(result, WG_SIGV4_INCOMPLETE, &msg);
            }
            const char *key = piece;
            size_t key_len = (size_t)(eqp - piece);
            const char *val = eqp + 1;
            size_t val_len = piece_len - key_len - 1;
            trim(&key, &key_len);
            trim(&val, &val_len);
            slice_t *dst = NULL;
            if (eq(key, key_len, "Credential"))
                dst = &parts->credential;
            else if (eq(key, key_len, "SignedHeaders"))
                dst = &parts->signed_headers;
            else if (eq(key, key_len, "Signature"))
                dst = &parts->signature;
            if (dst != NULL && !dst->present) {
                dst->ptr = val;
                dst->len = val_len;
                dst->present = 1;
            }
        }
        i = j + 1;
    }
    const wg_header_t *date = find_header(req, "X-Amz-Date");
    if (date == NULL)
        date = find_header(req, "Date");
    if (date != NULL) {
        parts->date.ptr = date->value;
        parts->date.len = date->value_len;
        parts->date.present = 1;
    }
    if (!parts->credential.present || !parts->signature.present || !parts->signed_headers.present ||
        !parts->date.present) {
        buf_t msg = {0};
        if (!parts->credential.present)
            buf_adds(&msg, "Authorization header requires 'Credential' parameter. ");
        if (!parts->signature.present)
            buf_adds(&msg, "Authorization header requires 'Signature' parameter. ");
        if (!parts->signed_headers.present)
            buf_adds(&msg, "Authorization header requires 'SignedHeaders' parameter. ");
        if (!parts->date.present)
            buf_adds(&msg, "Authorization header requires existence of either a 'X-Amz-Date' or "
                           "a 'Date' header. ");
        buf_adds(&msg, "Authorization=");
        buf_add_text(&msg, v, len);
        return fail(result, WG_SIGV4_INCOMPLETE, &msg);
    }
    if (!eq(algorithm, algorithm_len, ALGORITHM)) {
        /* [I] AWS's text for a well-formed header with another algorithm is not captured. */
        buf_t msg = {0};
        buf_adds(&msg, "Unsupported AWS 'algorithm': '");
        buf_add_text(&msg, algorithm, algorithm_len);
        buf_adds(&msg, "'.");
        return fail(result, WG_SIGV4_INCOMPLETE, &msg);
    }
    return WG_SIGV4_OK;
}

typedef struct qfind {
    const char *names[7];
    char *values[7]; /* decoded, first occurrence */
    size_t lens[7];
    int any_amz;
} qfind_t;

enum { Q_ALGORITHM, Q_CREDENTIAL, Q_SIGNATURE, Q_SIGNED_HEADERS, Q_DATE, Q_EXPIRES, Q_TOKEN };

static void find_piece(const char *name, size_t name_len, const char *value, size_t value_len, void *ctx)
{
    qfind_t *f = ctx;
    buf_t dn = {0};
    decode_into(&dn, name, name_len);
    if (dn.len >= 6 && ieq(dn.data, 6, "X-Amz-"))
        f->any_amz = 1;
    for (size_t i = 0; i < 7; i++) {
        if (f->values[i] == NULL && eq(dn.data, dn.len, f->names[i])) {
            buf_t dv = {0};
            decode_into(&dv, value, value_len);
            f->lens[i] = dv.len;
            f->values[i] = buf_take(&dv);
        }
    }
    free(dn.data);
}

/*
 * Presigned query: all of X-Amz-Algorithm, -Credential, -Signature, -SignedHeaders and -Date must be
 * there. [I] The missing-parameter text is the one AWS front ends use for query auth (not captured
 * on execute-api).
 */
static wg_sigv4_status_t parse_presigned(qfind_t *f, auth_parts_t *parts, wg_sigv4_result_t *result)
{
    static const int required[] = {Q_ALGORITHM, Q_CREDENTIAL, Q_SIGNATURE, Q_SIGNED_HEADERS, Q_DATE};
    buf_t msg = {0};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        if (f->values[required[i]] == NULL) {
            buf_adds(&msg, "AWS query-string parameters must include '");
            buf_adds(&msg, f->names[required[i]]);
            buf_adds(&msg, "'. ");
        }
    }
    if (msg.len > 0) {
        buf_adds(&msg, "Re-examine the query-string parameters.");
        return fail(result, WG_SIGV4_INCOMPLETE, &msg);
    }
    if (!eq(f->values[Q_ALGORITHM], f->lens[Q_ALGORITHM], ALGORITHM))
        return fail_text(result, WG_SIGV4_INCOMPLETE, "X-Amz-Algorithm only supports \"" ALGORITHM "\""); /* [I] */
    slice_t *dst[] = {NULL,         &parts->credential, &parts->signature, &parts->signed_headers,
                      &parts->date, &parts->expires};
    for (size_t i = Q_CREDENTIAL; i <= Q_EXPIRES; i++) {
        if (f->values[i] == NULL)
            continue;
        parts->owned[i - 1] = f->values[i];
        f->values[i] = NULL;
        dst[i]->ptr = parts->owned[i - 1];
        dst[i]->len = f->lens[i];
        dst[i]->present = 1;
    }
    return WG_SIGV4_OK;
}

/* Copies (s,len) into a fixed field when it fits, else leaves it empty. */
static void set_field(char *field, size_t size, const char *s, size_t len)
{
    if (len < size) {
        memcpy(field, s, len);
        field[len] = '\0';
    } else {
        field[0] = '\0';
    }
}

/*
 * SignedHeaders must name each header once, in ascending order of lowercase names, as every SDK
 * signs. A repeated name would copy its header value into the canonical request once per repetition
 * (a 48 KB request could cost hundreds of MB), so such a list is refused before anything is built:
 * then the canonical request is at most about three times the request (percent-encoding).
 * [I] AWS's answer to such a list is not documented nor captured: IncompleteSignatureException
 * with this text. Returns 0 when the list is well-formed.
 */
static int check_signed_headers(const char *list, size_t len)
{
    const char *prev = NULL;
    size_t prev_len = 0, i = 0;
    while (i <= len) {
        size_t j = i;
        while (j < len && list[j] != ';')
            j++;
        const char *name = list + i;
        size_t name_len = j - i;
        if (name_len == 0)
            return -1;
        if (prev != NULL) {
            size_t n = prev_len < name_len ? prev_len : name_len, k = 0;
            while (k < n && lower((unsigned char)prev[k]) == lower((unsigned char)name[k]))
                k++;
            int cmp = k < n ? (int)lower((unsigned char)prev[k]) - (int)lower((unsigned char)name[k])
                            : (prev_len < name_len ? -1 : (prev_len > name_len ? 1 : 0));
            if (cmp >= 0)
                return -1;
        }
        prev = name;
        prev_len = name_len;
        i = j + 1;
    }
    return 0;
}

static int list_has(const char *list, size_t len, const char *name)
{
    size_t i = 0;
    while (i <= len) {
        size_t j = i;
        while (j < len && list[j] != ';')
            j++;
        if (ieq(list + i, j - i, name))
            return 1;
        i = j + 1;
    }
    return 0;
}

wg_sigv4_status_t wg_sigv4_verify(const wg_sigv4_request_t *req, const char *service, uint64_t now_ms,
                                  wg_sigv4_secret_lookup_fn lookup, void *lookup_ctx, int require_known_key,
                                  wg_sigv4_result_t *result)
{
    wg_sigv4_policy_t policy = {require_known_key, NULL, NULL, 0};
    return wg_sigv4_verify_policy(req, service, now_ms, lookup, lookup_ctx, &policy, result);
}

wg_sigv4_status_t wg_sigv4_verify_policy(const wg_sigv4_request_t *req, const char *service, uint64_t now_ms,
                                         wg_sigv4_secret_lookup_fn lookup, void *lookup_ctx,
                                         const wg_sigv4_policy_t *policy, wg_sigv4_result_t *result)
{
    static const wg_sigv4_policy_t lenient = {0, NULL, NULL, 0};
    if (policy == NULL)
        policy = &lenient;
    int require_known_key = policy->require_known_key;
    memset(result, 0, sizeof(*result));
    if (req == NULL || service == NULL || (req->headers == NULL && req->num_headers) ||
        (req->query == NULL && req->query_len) || (req->path == NULL && req->path_len) ||
        (req->method == NULL && req->method_len) || (req->body == NULL && req->body_len))
        return fail_text(result, WG_SIGV4_MISSING, "Missing Authentication Token");

    auth_parts_t parts;
    memset(&parts, 0, sizeof(parts));
    qfind_t f;
    memset(&f, 0, sizeof(f));
    const char *qnames[7] = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature",     "X-Amz-SignedHeaders",
                             "X-Amz-Date",      "X-Amz-Expires",    "X-Amz-Security-Token"};
    memcpy(f.names, qnames, sizeof(qnames));
    char *akid = NULL, *region = NULL, *date8 = NULL, *creq = NULL, *sts = NULL;
    buf_t scope = {0}, creq_buf = {0};
    wg_sigv4_status_t status;

    /* The Authorization header wins over query parameters ([I] AWS's rule for both is unknown). */
    const wg_header_t *auth = find_header(req, "Authorization");
    if (auth != NULL) {
        status = parse_authorization(req, auth, &parts, result);
    } else {
        query_each(req->query, req->query_len, find_piece, &f);
        if (!f.any_amz) {
            status = fail_text(result, WG_SIGV4_MISSING, "Missing Authentication Token");
        } else {
            result->is_presigned = 1;
            status = parse_presigned(&f, &parts, result);
        }
    }
    if (status != WG_SIGV4_OK)
        goto out;

    /* Date: X-Amz-Date (basic ISO-8601), or an HTTP `Date` header. */
    int64_t date_s;
    char amz_date[32];
    if (parse_basic(parts.date.ptr, parts.date.len, &date_s) != 0 &&
        (result->is_presigned || parse_http_date(parts.date.ptr, parts.date.len, &date_s) != 0)) {
        buf_t msg = {0}; /* [I] AWS front-end wording, not captured on execute-api */
        buf_adds(&msg, "Date must be in ISO-8601 'basic format'. Got '");
        buf_add_text(&msg, parts.date.ptr, parts.date.len);
        buf_adds(&msg, "'. See http://en.wikipedia.org/wiki/ISO_8601");
        status = fail(result, WG_SIGV4_INCOMPLETE, &msg);
        goto out;
    }
    format_basic(date_s, amz_date);

    /* Credential = AKID/yyyymmdd/region/service/aws4_request, read from the right so a short or
     * odd credential still gets a scope message rather than a crash. */
    const char *cred = parts.credential.ptr;
    size_t cred_len = parts.credential.len;
    slice_t comp[4]; /* terminator, service, region, date */
    size_t end = cred_len;
    for (size_t k = 0; k < 4; k++) {
        size_t s = end;
        while (s > 0 && cred[s - 1] != '/')
            s--;
        comp[k].ptr = cred + s;
        comp[k].len = end - s;
        comp[k].present = 1;
        end = s > 0 ? s - 1 : 0;
        if (s == 0) {
            for (size_t r = k + 1; r < 4; r++) {
                comp[r].ptr = cred;
                comp[r].len = 0;
                comp[r].present = 0;
            }
            end = 0;
            cred_len = 0; /* nothing left for the key id */
            break;
        }
    }
    size_t akid_len = cred_len ? end : 0;
    set_field(result->access_key_id, sizeof(result->access_key_id), cred, akid_len);
    set_field(result->region, sizeof(result->region), comp[2].ptr, comp[2].len);
    if (!eq(comp[0].ptr, comp[0].len, "aws4_request")) {
        buf_t msg = {0}; /* [I] AWS front-end wording */
        buf_adds(&msg, "Credential should be scoped with a valid terminator: 'aws4_request', not '");
        buf_add_text(&msg, comp[0].ptr, comp[0].len);
        buf_adds(&msg, "'. ");
        status = fail(result, WG_SIGV4_BAD_SIGNATURE, &msg);
        goto out;
    }
    if (!eq(comp[1].ptr, comp[1].len, service)) {
        buf_t msg = {0}; /* [I] AWS front-end wording (seen on other services) */
        buf_adds(&msg, "Credential should be scoped to correct service: '");
        buf_adds(&msg, service);
        buf_adds(&msg, "'. ");
        status = fail(result, WG_SIGV4_BAD_SIGNATURE, &msg);
        goto out;
    }
    if (comp[2].len == 0) {
        status = fail_text(result, WG_SIGV4_BAD_SIGNATURE,
                           "Credential should be scoped to a valid region, not ''. "); /* [I] */
        goto out;
    }
    if (policy->region != NULL && !eq(comp[2].ptr, comp[2].len, policy->region)) {
        buf_t msg = {0}; /* AWS's wording (issue 15); the exception type is [I] */
        buf_adds(&msg, "Credential should be scoped to a valid region, not '");
        buf_add_text(&msg, comp[2].ptr, comp[2].len);
        buf_adds(&msg, "'. ");
        status = fail(result, WG_SIGV4_BAD_SIGNATURE, &msg);
        goto out;
    }
    if (comp[3].len != 8 || memcmp(comp[3].ptr, amz_date, 8) != 0) {
        status = fail_text(result, WG_SIGV4_BAD_SIGNATURE, /* [I] */
                           "Invalid credential date. Date is not the same as X-Amz-Date.");
        goto out;
    }

    /* Time: 5 minutes either way [C]; a presigned URL lives X-Amz-Expires seconds. */
    int64_t now_s = (int64_t)(now_ms / 1000);
    char a[32], b[32], c[32];
    format_basic(now_s, c);
    if (date_s > now_s + SKEW_SECONDS) {
        buf_t msg = {0};
        format_basic(now_s + SKEW_SECONDS, b);
        buf_adds(&msg, "Signature not yet current: ");
        buf_adds(&msg, amz_date);
        buf_adds(&msg, " is still later than ");
        buf_adds(&msg, b);
        buf_adds(&msg, " (");
        buf_adds(&msg, c);
        buf_adds(&msg, " + 5 min.)");
        status = fail(result, WG_SIGV4_NOT_YET_CURRENT, &msg);
        goto out;
    }
    if (result->is_presigned && parts.expires.present) {
        unsigned expires = 0;
        if (parts.expires.len == 0 || parts.expires.len > 9 ||
            parse_digits(parts.expires.ptr, parts.expires.len, &expires) != 0) {
            status = fail_text(result, WG_SIGV4_INCOMPLETE, "X-Amz-Expires should be a number");
            goto out; /* [I] S3's wording */
        }
        if (expires > MAX_PRESIGN_EXPIRES) {
            status = fail_text(result, WG_SIGV4_INCOMPLETE, /* [I] S3's wording */
                               "X-Amz-Expires must be less than a week (in seconds) that is 604800");
            goto out;
        }
        if (now_s > date_s + (int64_t)expires) {
            /* [I] AWS's text for an expired presigned execute-api URL is not captured; this
             * follows the header form with the URL's own lifetime. */
            buf_t msg = {0};
            char n[24];
            format_basic(now_s - (int64_t)expires, b);
            snprintf(n, sizeof(n), "%u", expires);
            buf_adds(&msg, "Signature expired: ");
            buf_adds(&msg, amz_date);
            buf_adds(&msg, " is now earlier than ");
            buf_adds(&msg, b);
            buf_adds(&msg, " (");
            buf_adds(&msg, c);
            buf_adds(&msg, " - ");
            buf_adds(&msg, n);
            buf_adds(&msg, " sec.)");
            status = fail(result, WG_SIGV4_EXPIRED, &msg);
            goto out;
        }
    } else if (date_s < now_s - SKEW_SECONDS) {
        buf_t msg = {0};
        format_basic(now_s - SKEW_SECONDS, a);
        buf_adds(&msg, "Signature expired: ");
        buf_adds(&msg, amz_date);
        buf_adds(&msg, " is now earlier than ");
        buf_adds(&msg, a);
        buf_adds(&msg, " (");
        buf_adds(&msg, c);
        buf_adds(&msg, " - 5 min.)");
        status = fail(result, WG_SIGV4_EXPIRED, &msg);
        goto out;
    }

    if (check_signed_headers(parts.signed_headers.ptr, parts.signed_headers.len) != 0) {
        status = fail_text(result, WG_SIGV4_INCOMPLETE, /* [I] see check_signed_headers */
                           "SignedHeaders must list each signed header once, in lowercase and in "
                           "alphabetical order, separated by ';'. ");
        goto out;
    }
    if (!list_has(parts.signed_headers.ptr, parts.signed_headers.len, "host") &&
        !list_has(parts.signed_headers.ptr, parts.signed_headers.len, ":authority")) {
        status = fail_text(result, WG_SIGV4_INCOMPLETE, /* [I] AWS front-end wording */
                           "'Host' or ':authority' must be a 'SignedHeader' in the AWS "
                           "Authorization.");
        goto out;
    }

    /* Key. */
    akid = dup_n(cred, akid_len);
    const char *secret = NULL;
    if (akid_len > 0 && memchr(akid, '\0', akid_len) == NULL && lookup != NULL)
        secret = lookup(lookup_ctx, akid);
    if (secret == NULL) {
        if (require_known_key || akid_len == 0)
            status = fail_text(result, WG_SIGV4_UNKNOWN_KEY, "The security token included in the request is invalid.");
        else
            status = WG_SIGV4_OK; /* mode sigv4: any well-formed, current signature */
        result->status = status;
        goto out;
    }

    /* Session token: temporary credentials are only good with the token issued with them, and a
     * token nobody issued is an unknown credential ("The security token included in the request is
     * invalid.", UnrecognizedClientException, as for an unknown key). */
    if (policy->token_lookup != NULL) {
        const char *expected = policy->token_lookup(lookup_ctx, akid);
        const char *token = NULL;
        size_t token_len = 0;
        if (result->is_presigned) {
            token = f.values[Q_TOKEN];
            token_len = f.lens[Q_TOKEN];
        } else {
            const wg_header_t *th = find_header(req, "X-Amz-Security-Token");
            if (th != NULL) {
                token = th->value;
                token_len = th->value_len;
                trim(&token, &token_len);
            }
        }
        int token_ok = expected == NULL ? token == NULL
                                        : token != NULL && token_len == strlen(expected) &&
                                              CRYPTO_memcmp(token, expected, token_len) == 0;
        if (!token_ok) {
            status = fail_text(result, WG_SIGV4_UNKNOWN_KEY, "The security token included in the request is invalid.");
            goto out;
        }
    }

    /* Signature. */
    char payload_hash[65];
    const wg_header_t *content_sha = find_header(req, "x-amz-content-sha256");
    const char *hash_ptr;
    size_t hash_len;
    const char *claimed = content_sha ? content_sha->value : NULL;
    size_t claimed_len = content_sha ? content_sha->value_len : 0;
    trim(&claimed, &claimed_len);
    /* Strict: the payload hash signed is the hash of the body actually received, so a body that
     * differs from x-amz-content-sha256 fails as a signature mismatch quoting the real hash, the
     * way services that hash the payload themselves answer. [I] execute-api's handling of
     * "UNSIGNED-PAYLOAD" is not documented; it is accepted as the literal payload hash (as S3 and
     * the SDK signers allow), so the signature still covers method, path, query and headers. */
    if (policy->hash_body && content_sha != NULL && !eq(claimed, claimed_len, "UNSIGNED-PAYLOAD"))
        content_sha = NULL;
    if (content_sha != NULL) {
        hash_ptr = content_sha->value;
        hash_len = content_sha->value_len;
        trim(&hash_ptr, &hash_len);
    } else {
        wg_sigv4_sha256_hex(req->body, req->body_len, payload_hash);
        hash_ptr = payload_hash;
        hash_len = 64;
    }
    build_canonical(&creq_buf, req->method, req->method_len, req->path, req->path_len, req->query, req->query_len,
                    req->headers, req->num_headers, parts.signed_headers.ptr, parts.signed_headers.len, hash_ptr,
                    hash_len, WG_SIGV4_PATH_DOUBLE, result->is_presigned);
    size_t creq_len = creq_buf.len;
    creq = buf_take(&creq_buf);
    region = dup_n(comp[2].ptr, comp[2].len);
    date8 = dup_n(amz_date, 8);
    buf_add(&scope, comp[3].ptr, comp[3].len);
    buf_addc(&scope, '/');
    buf_add(&scope, comp[2].ptr, comp[2].len);
    buf_addc(&scope, '/');
    buf_adds(&scope, service);
    buf_adds(&scope, "/aws4_request");
    /* The canonical request may hold NULs from header values; hash its real bytes. */
    {
        char creq_hash[65];
        wg_sigv4_sha256_hex(creq, creq_len, creq_hash);
        buf_t s = {0};
        buf_adds(&s, ALGORITHM "\n");
        buf_adds(&s, amz_date);
        buf_addc(&s, '\n');
        buf_add(&s, scope.data, scope.len);
        buf_addc(&s, '\n');
        buf_adds(&s, creq_hash);
        sts = buf_take(&s);
    }
    char expected[65];
    compute_signature(secret, date8, region, service, sts, expected);
    int match = parts.signature.len == 64 && CRYPTO_memcmp(expected, parts.signature.ptr, 64) == 0;
    OPENSSL_cleanse(expected, sizeof(expected));
    if (match) {
        result->status = status = WG_SIGV4_OK;
    } else {
        buf_t msg = {0};
        buf_adds(&msg, "The request signature we calculated does not match the signature you "
                       "provided. Check your AWS Secret Access Key and signing method. Consult "
                       "the service documentation for details.\n\nThe Canonical String for this "
                       "request should have been\n'");
        /* [I] a canonical request over the cap (only a hostile request) is quoted cut, with "..." */
        if (creq_len > WG_LIMIT_SIGV4_QUOTE_BYTES) {
            buf_add_text(&msg, creq, WG_LIMIT_SIGV4_QUOTE_BYTES);
            buf_adds(&msg, "...");
        } else {
            buf_add_text(&msg, creq, creq_len);
        }
        buf_adds(&msg, "'\n\nThe String-to-Sign should have been\n'");
        buf_adds(&msg, sts);
        buf_adds(&msg, "'\n");
        status = fail(result, WG_SIGV4_BAD_SIGNATURE, &msg);
        /* handed over as computed, for the inspector's side-by-side view */
        result->canonical_request = creq;
        result->string_to_sign = sts;
        creq = sts = NULL;
        result->signed_headers = dup_n(parts.signed_headers.ptr, parts.signed_headers.len);
        result->client_signature = dup_n(parts.signature.ptr, parts.signature.len);
    }

out:
    for (size_t i = 0; i < 7; i++)
        free(f.values[i]);
    auth_parts_free(&parts);
    free(akid);
    free(region);
    free(date8);
    free(creq);
    free(sts);
    free(scope.data);
    free(creq_buf.data);
    return status;
}

void wg_sigv4_result_clear(wg_sigv4_result_t *result)
{
    if (result == NULL)
        return;
    free(result->message);
    free(result->canonical_request);
    free(result->string_to_sign);
    free(result->signed_headers);
    free(result->client_signature);
    memset(result, 0, sizeof(*result));
}

/* ---- signing ---- */

int wg_sigv4_sign(const wg_sigv4_request_t *req, const wg_sigv4_credentials_t *creds, uint64_t now_ms,
                  wg_sigv4_signature_t *out)
{
    if (req == NULL || creds == NULL || out == NULL || creds->access_key_id == NULL ||
        creds->secret_access_key == NULL || creds->region == NULL || creds->service == NULL ||
        (req->headers == NULL && req->num_headers) || (req->query == NULL && req->query_len) ||
        (req->path == NULL && req->path_len) || req->method == NULL || (req->body == NULL && req->body_len))
        return -1;
    memset(out, 0, sizeof(*out));
    const wg_header_t *host = find_header(req, "Host");
    if (host == NULL)
        return -1;
    char date[32];
    format_basic((int64_t)(now_ms / 1000), date);
    if (strlen(date) != 16)
        return -1;
    memcpy(out->amz_date, date, 17);
    wg_sigv4_sha256_hex(req->body, req->body_len, out->content_sha256);

    wg_header_t headers[4] = {
        {"host", 4, host->value, host->value_len},
        {"x-amz-content-sha256", 20, out->content_sha256, 64},
        {"x-amz-date", 10, out->amz_date, 16},
        {"x-amz-security-token", 20, creds->session_token, creds->session_token ? strlen(creds->session_token) : 0},
    };
    const char *signed_list = creds->session_token ? "host;x-amz-content-sha256;x-amz-date;x-amz-security-token"
                                                   : "host;x-amz-content-sha256;x-amz-date";
    size_t num_headers = creds->session_token ? 4 : 3;
    buf_t creq = {0}, scope = {0};
    build_canonical(&creq, req->method, req->method_len, req->path, req->path_len, req->query, req->query_len, headers,
                    num_headers, signed_list, strlen(signed_list), out->content_sha256, 64, WG_SIGV4_PATH_DOUBLE, 0);
    buf_add(&scope, date, 8);
    buf_addc(&scope, '/');
    buf_adds(&scope, creds->region);
    buf_addc(&scope, '/');
    buf_adds(&scope, creds->service);
    buf_adds(&scope, "/aws4_request");
    char *sts = wg_sigv4_string_to_sign(out->amz_date, scope.data, creq.data);
    char date8[9];
    memcpy(date8, date, 8);
    date8[8] = '\0';
    char signature[65];
    compute_signature(creds->secret_access_key, date8, creds->region, creds->service, sts, signature);
    int n = snprintf(out->authorization, sizeof(out->authorization),
                     ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s", creds->access_key_id, scope.data,
                     signed_list, signature);
    free(sts);
    free(creq.data);
    free(scope.data);
    if (n < 0 || (size_t)n >= sizeof(out->authorization)) {
        memset(out, 0, sizeof(*out));
        return -1;
    }
    return 0;
}
