/*
 * bench/tls_params.h: what a TLS client tool of bench/ reports of the first handshake it completes
 * (hsload.c, wssload.c): "version=V cipher=C group=G leaf=TYPE-CURVE sig=ALG+MD", so that tls.sh can
 * show that wsgate and nginx negotiated the same parameters. Header-only: each tool is one file
 * compiled by the script that runs it.
 */
#ifndef WG_BENCH_TLS_PARAMS_H
#define WG_BENCH_TLS_PARAMS_H

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>

static void tls_params_describe(SSL *ssl, char *out, size_t size)
{
    char group[64] = "none", leaf[64] = "none";
    EVP_PKEY *tmp = NULL;
    if (SSL_get_peer_tmp_key(ssl, &tmp) == 1 && tmp != NULL) {
        size_t n = 0;
        if (EVP_PKEY_get_group_name(tmp, group, sizeof(group), &n) != 1)
            snprintf(group, sizeof(group), "%s", EVP_PKEY_get0_type_name(tmp));
        EVP_PKEY_free(tmp);
    }
    X509 *cert = SSL_get1_peer_certificate(ssl);
    if (cert != NULL) {
        EVP_PKEY *pk = X509_get0_pubkey(cert);
        char name[64] = "";
        size_t n = 0;
        if (pk != NULL && EVP_PKEY_get_group_name(pk, name, sizeof(name), &n) == 1)
            snprintf(leaf, sizeof(leaf), "%s-%s", EVP_PKEY_get0_type_name(pk), name);
        else if (pk != NULL)
            snprintf(leaf, sizeof(leaf), "%s-%d", EVP_PKEY_get0_type_name(pk), EVP_PKEY_get_bits(pk));
        X509_free(cert);
    }
    char sig[64] = "none";
    int sig_type = NID_undef, sig_md = NID_undef;
    if (SSL_get_peer_signature_type_nid(ssl, &sig_type) == 1 && SSL_get_peer_signature_nid(ssl, &sig_md) == 1)
        snprintf(sig, sizeof(sig), "%s+%s", sig_type == EVP_PKEY_EC ? "ECDSA" : OBJ_nid2sn(sig_type),
                 OBJ_nid2sn(sig_md));
    snprintf(out, size, "version=%s cipher=%s group=%s leaf=%s sig=%s", SSL_get_version(ssl),
             SSL_get_cipher_name(ssl), group, leaf, sig);
}

#endif
