/*
 * tls_ca.h: wsgate's local certificate authority (README "TLS and callback URLs").
 *
 * On AWS every URL is https, so handler code builds https://{domainName}/{stage} or
 * https://{apiId}.execute-api.{region}.amazonaws.com/{stage}. To let that code run unchanged, wsgate
 * keeps a CA of its own in the state directory, made with OpenSSL on first use, and a short-lived
 * ECDSA P-256 leaf certificate signed by it for the local names (regenerated when the names change
 * or it nears expiry). Beside them it writes what each client needs to trust the CA: a PEM bundle of
 * the system's CAs plus ours (Python, Go) and a PKCS#12 truststore (Java). Files:
 *   ca.pem (0644)  ca-key.pem (0600)  leaf.pem (0644)  leaf-key.pem (0600)
 *   ca-bundle.pem (0644)  truststore.p12 (0644, password "changeit")
 * Several wsgate processes may share one directory: generation happens under an flock, and every
 * file is written to a temporary name and renamed into place.
 */
#ifndef WG_TLS_CA_H
#define WG_TLS_CA_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "config.h"
#include "limits.h"

/* The PKCS#12 truststore's password (Java's own default for its cacerts store). */
#define WG_TLS_CA_TRUSTSTORE_PASSWORD "changeit"

/** The files of the local CA, as absolute paths. */
typedef struct wg_tls_ca_files {
    char dir[WG_LIMIT_PATH_BYTES];
    char ca_cert[WG_LIMIT_PATH_BYTES];
    char ca_key[WG_LIMIT_PATH_BYTES];
    char leaf_cert[WG_LIMIT_PATH_BYTES];
    char leaf_key[WG_LIMIT_PATH_BYTES];
    char bundle[WG_LIMIT_PATH_BYTES];
    char truststore[WG_LIMIT_PATH_BYTES];
} wg_tls_ca_files_t;

/**
 * The state directory: --state-dir, else $XDG_DATA_HOME/wsgate, else ~/.local/share/wsgate.
 * Returns 0, or -1 with a reason in err (no HOME).
 */
int wg_tls_ca_state_dir(const wg_config_t *cfg, char *out, size_t out_size, char *err, size_t err_size);

/**
 * The names the leaf certificate covers for `cfg`: localhost, 127.0.0.1, ::1, the host name, the
 * --host address when it is a specific one, the --domain-name and
 * *.execute-api.{region}.amazonaws.com. Returns a new array of new strings (free with
 * wg_tls_ca_free_names); *count gets its length.
 */
char **wg_tls_ca_leaf_names(const wg_config_t *cfg, size_t *count);
void wg_tls_ca_free_names(char **names, size_t count);

/**
 * Makes sure the CA, the truststore, the bundle and a current leaf for `names` exist in `dir`
 * (created if missing), and fills `files`. When leaf_out/key_out are not NULL they get the leaf and
 * its key as read under the lock (new references, the caller frees them). Returns 0, or -1 with a
 * one-line reason in err.
 */
int wg_tls_ca_ensure(const char *dir, char *const *names, size_t num_names, wg_tls_ca_files_t *files, X509 **leaf_out,
                     EVP_PKEY **key_out, char *err, size_t err_size);

/**
 * The `wsgate ca` subcommand: makes the CA if needed, prints its path and the exact line that makes
 * each client trust it. Returns the exit status.
 */
int wg_tls_ca_main(int argc, char **argv);

#endif
