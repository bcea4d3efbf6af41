/*
 * sigv4_keys.c: SigV4's hashing and keys: SHA-256, the derived signing key (HMAC chain
 * "AWS4"+secret → date → region → service → "aws4_request", AWS-SIG-4) and a small cache of derived
 * keys so a busy key costs one HMAC per signature instead of five.
 *
 * HMAC-SHA256 and SHA-256 come from OpenSSL, fetched once. Derived keys and intermediate values are
 * wiped with OPENSSL_cleanse; the cache finds an entry by the SHA-256 of the secret, never the secret
 * itself, and secrets never leave this file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sigv4_internal.h"

#include "limits.h"
static void hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * len] = '\0';
}

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
typedef struct signing_key_entry {
    uint8_t secret_hash[32];
    char date[9];
    char region[32];
    char service[32];
    uint8_t key[32];
    EVP_MAC_CTX *keyed; /* HMAC-SHA256 keyed with `key`, copied per signature */
} signing_key_entry_t;

static signing_key_entry_t cache[WG_LIMIT_SIGNING_KEY_CACHE];

void wg_sigv4_forget_keys(void)
{
    for (unsigned i = 0; i < WG_LIMIT_SIGNING_KEY_CACHE; i++) {
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
        for (unsigned i = 0; i < WG_LIMIT_SIGNING_KEY_CACHE; i++) {
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
    signing_key_entry_t *e = &cache[next++ % WG_LIMIT_SIGNING_KEY_CACHE];
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

void wg_sigv4_compute_signature(const char *secret, const char *date8, const char *region, const char *service,
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
