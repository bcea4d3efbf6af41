/*
 * tls.c: the SSL_CTX (see tls.h).
 */
#include "tls.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "limits.h"
#include "log.h"
#include "tls_ca.h"
#include "str.h"

/* OpenSSL's reason for the last failure, for a start-up error a user can act on. */
static const char *openssl_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;
    ERR_clear_error();
    return reason != NULL ? reason : "unknown error";
}

static SSL_CTX *new_context(char *err, size_t err_size)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        wg_str_fail(err, err_size, "cannot create a TLS context: %s", openssl_reason());
        return NULL;
    }
    /* AWS: execute-api endpoints accept TLS 1.2 and later only */
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* idle WebSocket connections then hold no TLS record buffers */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    static const unsigned char session_id_context[] = "wsgate";
    SSL_CTX_set_session_id_context(ctx, session_id_context, sizeof(session_id_context) - 1);
    /* No servername callback: whatever name SNI carries, the one certificate is served (a
     * client that checks names sees the mismatch itself, as with any TLS server). No ALPN either:
     * HTTP/1.1 only, as the WebSocket upgrade needs. */
    return ctx;
}

static int use_user_pair(SSL_CTX *ctx, const char *cert, const char *key, char *err, size_t err_size)
{
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
        return wg_str_fail(err, err_size, "--tls-cert %s: cannot load a PEM certificate chain: %s", cert,
                           openssl_reason());
    FILE *f = fopen(key, "r");
    EVP_PKEY *pkey = f != NULL ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f != NULL)
        fclose(f);
    if (pkey == NULL)
        return wg_str_fail(err, err_size, "--tls-key %s: cannot load a PEM private key (unencrypted): %s", key,
                           f == NULL ? strerror(errno) : openssl_reason());
    /* OpenSSL checks the pair here already; the check below covers a key it could not compare */
    int is_used = SSL_CTX_use_PrivateKey(ctx, pkey) == 1;
    EVP_PKEY_free(pkey);
    if (!is_used || SSL_CTX_check_private_key(ctx) != 1)
        return wg_str_fail(err, err_size, "--tls-key %s does not match the certificate in --tls-cert %s: %s", key, cert,
                           openssl_reason());
    return 0;
}

static int use_local_ca(wg_config_t *cfg, SSL_CTX *ctx, char *err, size_t err_size)
{
    char dir[WG_LIMIT_PATH_BYTES];
    size_t num_names = 0;
    char **names = wg_tls_ca_leaf_names(cfg, &num_names);
    wg_tls_ca_files_t files;
    X509 *leaf = NULL;
    EVP_PKEY *key = NULL;
    int rv = -1;
    if (wg_tls_ca_state_dir(cfg, dir, sizeof(dir), err, err_size) != 0 ||
        wg_tls_ca_ensure(dir, names, num_names, &files, &leaf, &key, err, err_size) != 0)
        goto out;
    if (SSL_CTX_use_certificate(ctx, leaf) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        wg_str_fail(err, err_size, "%s: cannot use the local certificate: %s", files.leaf_cert, openssl_reason());
        goto out;
    }
    free(cfg->tls_ca_file);
    free(cfg->tls_ca_bundle_file);
    cfg->tls_ca_file = strdup(files.ca_cert);
    cfg->tls_ca_bundle_file = strdup(files.bundle);
    if (cfg->tls_ca_file == NULL || cfg->tls_ca_bundle_file == NULL)
        abort();
    rv = 0;
out:
    X509_free(leaf);
    EVP_PKEY_free(key);
    wg_tls_ca_free_names(names, num_names);
    return rv;
}

int wg_tls_setup(wg_config_t *cfg, SSL_CTX **out, char *err, size_t err_size)
{
    *out = NULL;
    if (cfg->is_tls_off)
        return 0;
    SSL_CTX *ctx = new_context(err, err_size);
    if (ctx == NULL)
        return -1;
    int rv = cfg->tls_cert_path != NULL ? use_user_pair(ctx, cfg->tls_cert_path, cfg->tls_key_path, err, err_size)
                                        : use_local_ca(cfg, ctx, err, err_size);
    if (rv != 0 && cfg->tls_cert_path == NULL && cfg->state_dir == NULL) {
        /* The default state directory is not usable (a read-only HOME, no HOME): TLS was not asked
         * for explicitly, so plain HTTP still starts, with one line saying how to get TLS. */
        wg_log_warn("TLS is off: %s; give --state-dir DIR for wss:// and https://, or --tls off to silence this", err);
        err[0] = '\0';
        cfg->is_tls_off = 1;
        SSL_CTX_free(ctx);
        return 0;
    }
    if (rv != 0) {
        SSL_CTX_free(ctx);
        return -1;
    }
    *out = ctx;
    return 0;
}
