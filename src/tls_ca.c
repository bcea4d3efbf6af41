/*
 * tls_ca.c: the local CA, its leaf certificate and the trust files (see tls_ca.h).
 *
 * Everything cryptographic is OpenSSL's: EVP_EC_gen for P-256 keys, X509v3 extensions through
 * X509V3_EXT_conf_nid, PKCS12 bags for the Java truststore.
 */
#include "tls_ca.h"

#include <stdbool.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "limits.h"
#include "str.h"

int wg_tls_ca_state_dir(const wg_config_t *cfg, char *out, size_t out_size, char *err, size_t err_size)
{
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    int n;
    if (cfg->state_dir != NULL)
        n = snprintf(out, out_size, "%s", cfg->state_dir);
    else if (xdg != NULL && xdg[0] == '/')
        n = snprintf(out, out_size, "%s/wsgate", xdg);
    else if (home != NULL && home[0] != '\0')
        n = snprintf(out, out_size, "%s/.local/share/wsgate", home);
    else
        return wg_str_fail(err, err_size,
                           "no state directory for the local CA: set --state-dir (or HOME), or use --tls off");
    if (n < 0 || (size_t)n >= out_size)
        return wg_str_fail(err, err_size, "state directory path too long");
    return 0;
}

static void add_name(char ***names, size_t *count, const char *name)
{
    if (name == NULL || name[0] == '\0')
        return;
    for (size_t i = 0; i < *count; i++)
        if (strcasecmp((*names)[i], name) == 0)
            return;
    char **grown = realloc(*names, (*count + 1) * sizeof(*grown));
    char *copy = strdup(name);
    if (grown == NULL || copy == NULL)
        abort();
    *names = grown;
    (*names)[(*count)++] = copy;
}

char **wg_tls_ca_leaf_names(const wg_config_t *cfg, size_t *count)
{
    char **names = NULL;
    *count = 0;
    add_name(&names, count, "localhost");
    add_name(&names, count, "127.0.0.1");
    add_name(&names, count, "::1");
    char host[256] = "";
    if (gethostname(host, sizeof(host) - 1) == 0)
        add_name(&names, count, host);
    if (cfg->host != NULL && strcmp(cfg->host, "0.0.0.0") != 0 && strcmp(cfg->host, "::") != 0)
        add_name(&names, count, cfg->host);
    /* --domain-name aws resolves to {apiId}.execute-api.{region}.amazonaws.com: the wildcard covers it */
    if (cfg->domain_name != NULL && strcmp(cfg->domain_name, "aws") != 0)
        add_name(&names, count, cfg->domain_name);
    char wildcard[300];
    snprintf(wildcard, sizeof(wildcard), "*.execute-api.%s.amazonaws.com", cfg->region);
    add_name(&names, count, wildcard);
    return names;
}

void wg_tls_ca_free_names(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

/* mkdir -p: parents we create get 0700 (XDG's rule for data directories), the last one 0755 so that
 * ca.pem can be read by another user (a container, a browser profile); keys stay 0600. */
static int make_dirs(const char *dir, char *err, size_t err_size)
{
    char path[WG_LIMIT_PATH_BYTES];
    snprintf(path, sizeof(path), "%s", dir);
    for (char *p = path + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return wg_str_fail(err, err_size, "cannot create %s: %s", path, strerror(errno));
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return wg_str_fail(err, err_size, "cannot create %s: %s", path, strerror(errno));
    return 0;
}

typedef int (*write_fn)(FILE *f, const void *arg);

/* Writes `path` through a temporary file renamed into place, with `mode`. */
static int write_file(const char *path, mode_t mode, write_fn fn, const void *arg, char *err, size_t err_size)
{
    char tmp[WG_LIMIT_PATH_BYTES + 32];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return wg_str_fail(err, err_size, "cannot write %s: %s", tmp, strerror(errno));
    fchmod(fd, mode); /* the umask may have taken bits away from 0644 */
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        close(fd);
        unlink(tmp);
        return wg_str_fail(err, err_size, "cannot write %s: %s", tmp, strerror(errno));
    }
    int ok = fn(f, arg);
    if (fclose(f) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return wg_str_fail(err, err_size, "cannot write %s", path);
    }
    return 0;
}

static int write_cert(FILE *f, const void *cert)
{
    return PEM_write_X509(f, (X509 *)cert) == 1;
}

static int write_key(FILE *f, const void *key)
{
    return PEM_write_PrivateKey(f, (EVP_PKEY *)key, NULL, NULL, 0, NULL, NULL) == 1;
}

typedef struct bytes {
    const char *data;
    size_t len;
} bytes_t;

static int write_bytes(FILE *f, const void *arg)
{
    const bytes_t *b = arg;
    return fwrite(b->data, 1, b->len, f) == b->len;
}

static int write_p12(FILE *f, const void *p12)
{
    return i2d_PKCS12_fp(f, (PKCS12 *)p12) == 1;
}

static X509 *read_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    return cert;
}

static EVP_PKEY *read_key(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    return key;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (ext == NULL)
        return -1;
    int rv = X509_add_ext(cert, ext, -1) == 1 ? 0 : -1;
    X509_EXTENSION_free(ext);
    return rv;
}

/* A new certificate for `key`'s public half with a random positive 128-bit serial, valid from an
 * hour ago (clock skew between containers) for `days`. */
static X509 *new_cert(EVP_PKEY *key, const char *cn, long days)
{
    X509 *cert = X509_new();
    unsigned char serial[16];
    BIGNUM *bn = NULL;
    if (cert == NULL || RAND_bytes(serial, sizeof(serial)) != 1)
        goto fail;
    serial[0] &= 0x7f;
    serial[0] |= 0x40;
    bn = BN_bin2bn(serial, sizeof(serial), NULL);
    if (bn == NULL || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) == NULL)
        goto fail;
    BN_free(bn);
    bn = NULL;
    X509_set_version(cert, 2);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_time_adj_ex(X509_getm_notAfter(cert), (int)days, 0, NULL);
    X509_set_pubkey(cert, key);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"wsgate", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
    return cert;
fail:
    BN_free(bn);
    X509_free(cert);
    return NULL;
}

static int make_ca(const wg_tls_ca_files_t *files, char *err, size_t err_size)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = NULL;
    int rv = -1;
    char cn[200], host[128] = "", tag[9];
    unsigned char rnd[4];
    if (key == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1) {
        wg_str_fail(err, err_size, "cannot make the CA key");
        goto out;
    }
    gethostname(host, sizeof(host) - 1);
    snprintf(tag, sizeof(tag), "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
    /* a tag in the name tells two machines' CAs apart in a trust store */
    snprintf(cn, sizeof(cn), "wsgate local CA %s %s", host, tag);
    cert = new_cert(key, cn, WG_LIMIT_TLS_CA_DAYS);
    if (cert == NULL || X509_set_issuer_name(cert, X509_get_subject_name(cert)) != 1 ||
        add_ext(cert, cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") != 0 ||
        add_ext(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign") != 0 ||
        add_ext(cert, cert, NID_subject_key_identifier, "hash") != 0 || X509_sign(cert, key, EVP_sha256()) == 0) {
        wg_str_fail(err, err_size, "cannot make the CA certificate");
        goto out;
    }
    /* key first: a ca.pem without its key would be unusable */
    if (write_file(files->ca_key, 0600, write_key, key, err, err_size) != 0 ||
        write_file(files->ca_cert, 0644, write_cert, cert, err, err_size) != 0)
        goto out;
    rv = 0;
out:
    X509_free(cert);
    EVP_PKEY_free(key);
    return rv;
}

/* The leaf's names as one comma-separated string, as OpenSSL's subjectAltName syntax wants. */
static char *san_value(char *const *names, size_t num_names)
{
    size_t cap = 1;
    for (size_t i = 0; i < num_names; i++)
        cap += strlen(names[i]) + 8;
    char *san = malloc(cap);
    if (san == NULL)
        abort();
    san[0] = '\0';
    for (size_t i = 0; i < num_names; i++) {
        unsigned char addr[16];
        int is_ip = inet_pton(AF_INET, names[i], addr) == 1 || inet_pton(AF_INET6, names[i], addr) == 1;
        strcat(san, i ? "," : "");
        strcat(san, is_ip ? "IP:" : "DNS:");
        strcat(san, names[i]);
    }
    return san;
}

/* Does `leaf` cover exactly `names`, come from `ca`, and have more than the renewal margin left? */
static bool leaf_is_current(X509 *leaf, EVP_PKEY *leaf_key, X509 *ca, char *const *names, size_t num_names)
{
    if (leaf == NULL || leaf_key == NULL || X509_check_private_key(leaf, leaf_key) != 1)
        return 0;
    EVP_PKEY *ca_pub = X509_get0_pubkey(ca);
    if (ca_pub == NULL || X509_verify(leaf, ca_pub) != 1)
        return 0;
    time_t soon = time(NULL) + (time_t)WG_LIMIT_TLS_LEAF_RENEW_DAYS * 24 * 3600;
    if (X509_cmp_time(X509_get0_notAfter(leaf), &soon) <= 0)
        return 0;
    GENERAL_NAMES *sans = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    if (sans == NULL)
        return 0;
    int same = sk_GENERAL_NAME_num(sans) == (int)num_names;
    for (size_t i = 0; same && i < num_names; i++) {
        GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, (int)i);
        unsigned char addr[16];
        if (inet_pton(AF_INET, names[i], addr) == 1 || inet_pton(AF_INET6, names[i], addr) == 1) {
            size_t len = strchr(names[i], ':') ? 16 : 4;
            same = gn->type == GEN_IPADD && (size_t)ASN1_STRING_length(gn->d.iPAddress) == len &&
                   memcmp(ASN1_STRING_get0_data(gn->d.iPAddress), addr, len) == 0;
        } else {
            same = gn->type == GEN_DNS && (size_t)ASN1_STRING_length(gn->d.dNSName) == strlen(names[i]) &&
                   strncasecmp((const char *)ASN1_STRING_get0_data(gn->d.dNSName), names[i], strlen(names[i])) == 0;
        }
    }
    GENERAL_NAMES_free(sans);
    return same;
}

static int make_leaf(const wg_tls_ca_files_t *files, X509 *ca, EVP_PKEY *ca_key, char *const *names, size_t num_names,
                     char *err, size_t err_size)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = NULL;
    char *san = san_value(names, num_names);
    int rv = -1;
    if (key == NULL) {
        wg_str_fail(err, err_size, "cannot make the leaf key");
        goto out;
    }
    /* [I] the CN is the first name only for old clients; every name is in subjectAltName */
    cert = new_cert(key, names[0], WG_LIMIT_TLS_LEAF_DAYS);
    if (cert == NULL || X509_set_issuer_name(cert, X509_get_subject_name(ca)) != 1 ||
        add_ext(cert, ca, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
        add_ext(cert, ca, NID_key_usage, "critical,digitalSignature") != 0 ||
        add_ext(cert, ca, NID_ext_key_usage, "serverAuth") != 0 ||
        add_ext(cert, ca, NID_subject_key_identifier, "hash") != 0 ||
        add_ext(cert, ca, NID_authority_key_identifier, "keyid:always") != 0 ||
        add_ext(cert, ca, NID_subject_alt_name, san) != 0 || X509_sign(cert, ca_key, EVP_sha256()) == 0) {
        wg_str_fail(err, err_size, "cannot make the leaf certificate (names: %s)", san);
        goto out;
    }
    if (write_file(files->leaf_key, 0600, write_key, key, err, err_size) != 0 ||
        write_file(files->leaf_cert, 0644, write_cert, cert, err, err_size) != 0)
        goto out;
    rv = 0;
out:
    free(san);
    X509_free(cert);
    EVP_PKEY_free(key);
    return rv;
}

/* truststore.p12: the CA as a trusted-certificate entry. Java only treats a PKCS#12 certificate
 * bag as trusted when it carries Oracle's trustedKeyUsage attribute (2.16.840.1.113894.746875.1.1,
 * what `keytool -importcert` and OpenSSL 3.2's `pkcs12 -jdktrust` write); OpenSSL 3.0 has no flag for
 * it, so the bag is built here. */
static int make_truststore(const wg_tls_ca_files_t *files, X509 *ca, char *err, size_t err_size)
{
    STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
    STACK_OF(PKCS7) *safes = NULL;
    PKCS12 *p12 = NULL;
    ASN1_OBJECT *trusted_usage = OBJ_txt2obj("2.16.840.1.113894.746875.1.1", 1);
    ASN1_OBJECT *any_eku = OBJ_nid2obj(NID_anyExtendedKeyUsage);
    int rv = -1;
    PKCS12_SAFEBAG *bag = PKCS12_add_cert(&bags, ca);
    if (bag == NULL || trusted_usage == NULL || PKCS12_add_friendlyname(bag, "wsgate-local-ca", -1) != 1 ||
        PKCS12_add1_attr_by_txt(bag, "2.16.840.1.113894.746875.1.1", V_ASN1_OBJECT, (const unsigned char *)any_eku,
                                -1) != 1 ||
        PKCS12_add_safe(&safes, bags, -1, 0, NULL) != 1 || (p12 = PKCS12_add_safes(safes, 0)) == NULL ||
        PKCS12_set_mac(p12, WG_TLS_CA_TRUSTSTORE_PASSWORD, -1, NULL, 0, 10000, EVP_sha256()) != 1) {
        wg_str_fail(err, err_size, "cannot build the PKCS#12 truststore");
        goto out;
    }
    rv = write_file(files->truststore, 0644, write_p12, p12, err, err_size);
out:
    PKCS12_free(p12);
    sk_PKCS7_pop_free(safes, PKCS7_free);
    sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
    ASN1_OBJECT_free(trusted_usage);
    return rv;
}

/* Appends the whole of `path` to a growing buffer; a missing file adds nothing. */
static int append_file(wg_buf_t *buf, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    char chunk[16384];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && buf->len + n <= WG_LIMIT_TLS_BUNDLE_BYTES)
        wg_buf_append(buf, chunk, n);
    fclose(f);
    return 0;
}

/* ca-bundle.pem: the system's CAs (where OpenSSL looks: SSL_CERT_FILE, else its default file) and
 * ours, so a client that replaces its trust store with this file still reaches real AWS. */
static int make_bundle(const wg_tls_ca_files_t *files, char *err, size_t err_size)
{
    wg_buf_t buf = WG_BUF_INIT;
    const char *system = getenv(X509_get_default_cert_file_env());
    /* SSL_CERT_FILE may already point at our bundle (a handler started by wsgate): skip it then */
    if (system == NULL || strcmp(system, files->bundle) == 0)
        system = X509_get_default_cert_file();
    append_file(&buf, system);
    if (buf.len > 0 && buf.data[buf.len - 1] != '\n')
        wg_buf_append_char(&buf, '\n');
    if (append_file(&buf, files->ca_cert) != 0) {
        wg_buf_free(&buf);
        return wg_str_fail(err, err_size, "cannot read %s", files->ca_cert);
    }
    bytes_t b = {buf.data, buf.len};
    int rv = write_file(files->bundle, 0644, write_bytes, &b, err, err_size);
    wg_buf_free(&buf);
    return rv;
}

int wg_tls_ca_ensure(const char *dir, char *const *names, size_t num_names, wg_tls_ca_files_t *files, X509 **leaf_out,
                     EVP_PKEY **key_out, char *err, size_t err_size)
{
    if (leaf_out != NULL)
        *leaf_out = NULL;
    if (key_out != NULL)
        *key_out = NULL;
    memset(files, 0, sizeof(*files));
    if (strlen(dir) > WG_LIMIT_PATH_BYTES - 32)
        return wg_str_fail(err, err_size, "state directory path too long");
    if (dir[0] != '/') {
        char cwd[WG_LIMIT_PATH_BYTES];
        if (getcwd(cwd, sizeof(cwd)) == NULL || strlen(cwd) + strlen(dir) > WG_LIMIT_PATH_BYTES - 32)
            return wg_str_fail(err, err_size, "state directory path too long");
        snprintf(files->dir, sizeof(files->dir), "%.2000s/%.2000s", cwd, dir);
    } else {
        snprintf(files->dir, sizeof(files->dir), "%s", dir);
    }
#define FILL(field, name) \
    snprintf(files->field, sizeof(files->field), "%.*s/" name, WG_LIMIT_PATH_BYTES - 32, files->dir)
    FILL(ca_cert, "ca.pem");
    FILL(ca_key, "ca-key.pem");
    FILL(leaf_cert, "leaf.pem");
    FILL(leaf_key, "leaf-key.pem");
    FILL(bundle, "ca-bundle.pem");
    FILL(truststore, "truststore.p12");
#undef FILL
    if (make_dirs(files->dir, err, err_size) != 0)
        return -1;
    char lock_path[WG_LIMIT_PATH_BYTES + 8];
    snprintf(lock_path, sizeof(lock_path), "%s/.lock", files->dir);
    int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0)
        return wg_str_fail(err, err_size, "cannot write in %s: %s (choose another --state-dir, or --tls off)",
                           files->dir, strerror(errno));
    /* several wsgate processes may start at once on one directory (tests, compose) */
    flock(lock, LOCK_EX);
    int rv = -1;
    X509 *ca = read_cert(files->ca_cert), *leaf = NULL;
    EVP_PKEY *ca_key = read_key(files->ca_key), *leaf_key = NULL;
    int is_new_ca = 0;
    if (ca == NULL || ca_key == NULL || X509_check_private_key(ca, ca_key) != 1) {
        X509_free(ca);
        EVP_PKEY_free(ca_key);
        ca = NULL;
        ca_key = NULL;
        if (make_ca(files, err, err_size) != 0)
            goto out;
        ca = read_cert(files->ca_cert);
        ca_key = read_key(files->ca_key);
        if (ca == NULL || ca_key == NULL) {
            wg_str_fail(err, err_size, "cannot read back %s", files->ca_cert);
            goto out;
        }
        is_new_ca = 1;
    }
    leaf = read_cert(files->leaf_cert);
    leaf_key = read_key(files->leaf_key);
    if (!leaf_is_current(leaf, leaf_key, ca, names, num_names)) {
        if (make_leaf(files, ca, ca_key, names, num_names, err, err_size) != 0)
            goto out;
        X509_free(leaf);
        EVP_PKEY_free(leaf_key);
        leaf = read_cert(files->leaf_cert);
        leaf_key = read_key(files->leaf_key);
        if (leaf == NULL || leaf_key == NULL) {
            wg_str_fail(err, err_size, "cannot read back %s", files->leaf_cert);
            goto out;
        }
    }
    struct stat st;
    if ((is_new_ca || stat(files->truststore, &st) != 0) && make_truststore(files, ca, err, err_size) != 0)
        goto out;
    if (make_bundle(files, err, err_size) != 0)
        goto out;
    /* handed over while still under the lock: another process may renew the pair right after */
    if (leaf_out != NULL) {
        *leaf_out = leaf;
        leaf = NULL;
    }
    if (key_out != NULL) {
        *key_out = leaf_key;
        leaf_key = NULL;
    }
    rv = 0;
out:
    X509_free(leaf);
    EVP_PKEY_free(leaf_key);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    flock(lock, LOCK_UN);
    close(lock);
    return rv;
}

int wg_tls_ca_main(int argc, char **argv)
{
    wg_config_t cfg;
    char err[512] = "", dir[WG_LIMIT_PATH_BYTES];
    int rc = wg_config_load(&cfg, argc, argv, err, sizeof(err));
    if (rc != WG_CONFIG_OK) {
        if (rc != WG_CONFIG_EXIT)
            fprintf(stderr, "wsgate ca: %s\n", err);
        wg_config_free(&cfg);
        return rc == WG_CONFIG_EXIT ? 0 : 2;
    }
    size_t num_names;
    char **names = wg_tls_ca_leaf_names(&cfg, &num_names);
    wg_tls_ca_files_t f;
    int status = 0;
    if (wg_tls_ca_state_dir(&cfg, dir, sizeof(dir), err, sizeof(err)) != 0 ||
        wg_tls_ca_ensure(dir, names, num_names, &f, NULL, NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "wsgate ca: %s\n", err);
        status = 2;
        goto out;
    }
    printf("%s\n", f.ca_cert);
    printf("\n# wsgate's local CA. Trust it once and https:// and wss:// to wsgate work unchanged.\n");
    printf("# Node (ws, AWS SDK v3):\n  export NODE_EXTRA_CA_CERTS=%s\n", f.ca_cert);
    printf("# Python (boto3, requests, ssl, websockets): the system's CAs plus ours\n");
    printf("  export AWS_CA_BUNDLE=%s REQUESTS_CA_BUNDLE=%s SSL_CERT_FILE=%s\n", f.bundle, f.bundle, f.bundle);
    printf("# Go (AWS SDK v2, gorilla/websocket):\n  export SSL_CERT_FILE=%s\n", f.bundle);
    printf("# Java (AWS SDK v2): a PKCS#12 truststore holding the CA\n");
    printf("  export JAVA_TOOL_OPTIONS=\"-Djavax.net.ssl.trustStore=%s -Djavax.net.ssl.trustStoreType=PKCS12 "
           "-Djavax.net.ssl.trustStorePassword=%s\"\n",
           f.truststore, WG_TLS_CA_TRUSTSTORE_PASSWORD);
    printf("# curl:\n  curl --cacert %s https://localhost:%d/health\n", f.ca_cert, cfg.port);
    printf("# the system store (Debian/Ubuntu, as root):\n  cp %s /usr/local/share/ca-certificates/wsgate.crt && "
           "update-ca-certificates\n",
           f.ca_cert);
    printf("# Chromium/Chrome (NSS database, libnss3-tools):\n  certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n wsgate "
           "-i %s\n",
           f.ca_cert);
    printf("# The leaf certificate (%s, renewed automatically) covers:", f.leaf_cert);
    for (size_t i = 0; i < num_names; i++)
        printf(" %s", names[i]);
    printf("\n");
out:
    wg_tls_ca_free_names(names, num_names);
    wg_config_free(&cfg);
    return status;
}
