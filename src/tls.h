/*
 * tls.h: the server's TLS context (README "TLS and callback URLs").
 *
 * On AWS every URL is https (TLS 1.2 or later). wsgate serves TLS beside plain HTTP on every port
 * (listener.c tells them apart by the first byte) with one OpenSSL SSL_CTX: TLS 1.2+ only, the
 * local CA's ECDSA P-256 leaf (tls_ca.c) or the user's --tls-cert/--tls-key, and the same
 * certificate whatever name the client sends in SNI.
 */
#ifndef WG_TLS_H
#define WG_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "config.h"

/**
 * Prepares TLS for `cfg`: with --tls off, *out is NULL; with --tls-cert/--tls-key, their pair;
 * else the local CA's leaf (made or renewed as needed), and cfg->tls_ca_file and
 * cfg->tls_ca_bundle_file are filled (new strings, freed by wg_config_free). Returns 0 with a new
 * SSL_CTX in *out, or -1 with a one-line reason in err (a bad or mismatched pair, an unwritable
 * --state-dir): the caller exits 2. When only the default state directory is unusable (no HOME, a
 * read-only one), TLS is turned off with a warning instead (cfg->is_tls_off = 1, *out NULL, 0).
 */
int wg_tls_setup(wg_config_t *cfg, SSL_CTX **out, char *err, size_t err_size);

#endif
