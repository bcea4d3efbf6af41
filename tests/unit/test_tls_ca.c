/*
 * test_tls_ca.c: the local CA's names, state directory and files (tls_ca.c): the leaf covers the
 * configured names, is signed by the CA, is kept while the names stay and renewed when they change,
 * and the CA itself survives a leaf renewal but is remade when its key is gone.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "tls_ca.h"

static int has_name(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

static void config_with(wg_config_t *cfg, const char *host, const char *domain, const char *region)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->host = strdup(host);
    cfg->domain_name = domain ? strdup(domain) : NULL;
    cfg->region = strdup(region);
}

START_TEST(test_leaf_names)
{
    wg_config_t cfg;
    config_with(&cfg, "127.0.0.1", "ws.example.test", "eu-west-1");
    size_t n;
    char **names = wg_tls_ca_leaf_names(&cfg, &n);
    ck_assert(has_name(names, n, "localhost") && has_name(names, n, "127.0.0.1") && has_name(names, n, "::1"));
    ck_assert(has_name(names, n, "ws.example.test"));
    ck_assert(has_name(names, n, "*.execute-api.eu-west-1.amazonaws.com"));
    size_t loopback = 0;
    for (size_t i = 0; i < n; i++)
        loopback += strcmp(names[i], "127.0.0.1") == 0;
    ck_assert_uint_eq(loopback, 1); /* --host 127.0.0.1 is not listed twice */
    wg_tls_ca_free_names(names, n);
    wg_config_free(&cfg);

    config_with(&cfg, "0.0.0.0", "aws", "us-east-1");
    names = wg_tls_ca_leaf_names(&cfg, &n);
    ck_assert(!has_name(names, n, "0.0.0.0") && !has_name(names, n, "aws"));
    ck_assert(has_name(names, n, "*.execute-api.us-east-1.amazonaws.com"));
    wg_tls_ca_free_names(names, n);
    wg_config_free(&cfg);

    config_with(&cfg, "192.0.2.7", NULL, "us-east-1");
    names = wg_tls_ca_leaf_names(&cfg, &n);
    ck_assert(has_name(names, n, "192.0.2.7"));
    wg_tls_ca_free_names(names, n);
    wg_config_free(&cfg);
}
END_TEST

START_TEST(test_state_dir)
{
    wg_config_t cfg;
    config_with(&cfg, "127.0.0.1", NULL, "us-east-1");
    char dir[WG_LIMIT_PATH_BYTES], err[256];
    char *old_xdg = getenv("XDG_DATA_HOME") ? strdup(getenv("XDG_DATA_HOME")) : NULL;
    char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    setenv("XDG_DATA_HOME", "/xdg", 1);
    ck_assert_int_eq(wg_tls_ca_state_dir(&cfg, dir, sizeof(dir), err, sizeof(err)), 0);
    ck_assert_str_eq(dir, "/xdg/wsgate");
    unsetenv("XDG_DATA_HOME");
    setenv("HOME", "/home/u", 1);
    ck_assert_int_eq(wg_tls_ca_state_dir(&cfg, dir, sizeof(dir), err, sizeof(err)), 0);
    ck_assert_str_eq(dir, "/home/u/.local/share/wsgate");
    cfg.state_dir = strdup("/var/lib/wsgate");
    ck_assert_int_eq(wg_tls_ca_state_dir(&cfg, dir, sizeof(dir), err, sizeof(err)), 0);
    ck_assert_str_eq(dir, "/var/lib/wsgate");
    if (old_xdg)
        setenv("XDG_DATA_HOME", old_xdg, 1);
    if (old_home)
        setenv("HOME", old_home, 1);
    else
        unsetenv("HOME");
    free(old_xdg);
    free(old_home);
    wg_config_free(&cfg);
}
END_TEST

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *buf = calloc(1, 1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static X509 *read_pem(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert(f != NULL);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert(x != NULL);
    return x;
}

START_TEST(test_ensure_keeps_and_renews)
{
    char dir[] = "/tmp/wg-tls-ca-XXXXXX";
    ck_assert(mkdtemp(dir) != NULL);
    char state[256], err[256];
    snprintf(state, sizeof(state), "%s/state", dir);
    char *names1[] = {"localhost", "127.0.0.1", "::1"};
    char *names2[] = {"localhost", "127.0.0.1", "::1", "other.example"};
    wg_tls_ca_files_t f;
    X509 *leaf = NULL;
    EVP_PKEY *key = NULL;
    ck_assert_msg(wg_tls_ca_ensure(state, names1, 3, &f, &leaf, &key, err, sizeof(err)) == 0, "%s", err);
    ck_assert(leaf != NULL && key != NULL && X509_check_private_key(leaf, key) == 1);
    ck_assert_int_eq(X509_check_host(leaf, "localhost", 0, 0, NULL), 1);
    ck_assert_int_eq(X509_check_ip_asc(leaf, "::1", 0), 1);
    X509 *ca = read_pem(f.ca_cert);
    ck_assert_int_eq(X509_verify(leaf, X509_get0_pubkey(ca)), 1);
    X509_free(leaf);
    EVP_PKEY_free(key);
    struct stat st;
    ck_assert_int_eq(stat(f.ca_key, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(stat(f.ca_cert, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0644);

    char *ca_pem = slurp(f.ca_cert), *leaf_pem = slurp(f.leaf_cert);
    /* same names: nothing changes */
    ck_assert(wg_tls_ca_ensure(state, names1, 3, &f, NULL, NULL, err, sizeof(err)) == 0);
    char *ca2 = slurp(f.ca_cert), *leaf2 = slurp(f.leaf_cert);
    ck_assert_str_eq(ca2, ca_pem);
    ck_assert_str_eq(leaf2, leaf_pem);
    free(ca2);
    free(leaf2);
    /* another name: a new leaf from the same CA */
    ck_assert(wg_tls_ca_ensure(state, names2, 4, &f, &leaf, &key, err, sizeof(err)) == 0);
    ca2 = slurp(f.ca_cert);
    leaf2 = slurp(f.leaf_cert);
    ck_assert_str_eq(ca2, ca_pem);
    ck_assert_str_ne(leaf2, leaf_pem);
    ck_assert_int_eq(X509_check_host(leaf, "other.example", 0, 0, NULL), 1);
    ck_assert_int_eq(X509_verify(leaf, X509_get0_pubkey(ca)), 1);
    X509_free(leaf);
    EVP_PKEY_free(key);
    free(ca2);
    free(leaf2);
    /* the CA key gone: a new CA, and a leaf signed by it */
    unlink(f.ca_key);
    ck_assert(wg_tls_ca_ensure(state, names2, 4, &f, &leaf, &key, err, sizeof(err)) == 0);
    ca2 = slurp(f.ca_cert);
    ck_assert_str_ne(ca2, ca_pem);
    X509 *new_ca = read_pem(f.ca_cert);
    ck_assert_int_eq(X509_verify(leaf, X509_get0_pubkey(new_ca)), 1);
    X509_free(new_ca);
    X509_free(leaf);
    EVP_PKEY_free(key);
    free(ca2);
    X509_free(ca);
    free(ca_pem);
    free(leaf_pem);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *wg_test_suite_tls_ca(void)
{
    Suite *s = suite_create("tls_ca");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_leaf_names);
    tcase_add_test(tc, test_state_dir);
    tcase_add_test(tc, test_ensure_keeps_and_renews);
    suite_add_tcase(s, tc);
    return s;
}
