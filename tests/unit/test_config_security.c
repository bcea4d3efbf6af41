/*
 * test_config_security.c: the security-relevant parts of config.c (issue 15 items 7 and 9): which
 * --host values count as loopback for the start-up warning, and session tokens from
 * --credentials AKID:SECRET:TOKEN and a credentials file's aws_session_token.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

START_TEST(test_loopback_hosts)
{
    ck_assert_int_eq(wg_config_is_loopback_host("127.0.0.1"), 1);
    ck_assert_int_eq(wg_config_is_loopback_host("127.1.2.3"), 1);
    ck_assert_int_eq(wg_config_is_loopback_host("127.1"), 1); /* the short form the resolver binds */
    ck_assert_int_eq(wg_config_is_loopback_host("128.1"), 0);
    ck_assert_int_eq(wg_config_is_loopback_host("localhost"), 1);
    ck_assert_int_eq(wg_config_is_loopback_host("::1"), 1);
    ck_assert_int_eq(wg_config_is_loopback_host("::ffff:127.0.0.1"), 1);
    ck_assert_int_eq(wg_config_is_loopback_host("0.0.0.0"), 0);
    ck_assert_int_eq(wg_config_is_loopback_host("::"), 0);
    ck_assert_int_eq(wg_config_is_loopback_host("10.0.0.1"), 0);
    ck_assert_int_eq(wg_config_is_loopback_host("128.0.0.1"), 0);
    ck_assert_int_eq(wg_config_is_loopback_host("example.com"), 0);
    ck_assert_int_eq(wg_config_is_loopback_host(NULL), 0);
}
END_TEST

static int load(wg_config_t *cfg, int argc, char **argv)
{
    char err[512] = "";
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    unsetenv("WSGATE_CREDENTIALS");
    return wg_config_load(cfg, argc, argv, err, sizeof(err));
}

START_TEST(test_session_tokens)
{
    char path[] = "/tmp/wg-creds-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "[default]\naws_access_key_id = ASIAFILE\naws_secret_access_key = file-secret\n"
               "aws_session_token = file-token\n[other]\naws_access_key_id = AKIDPLAIN\n"
               "aws_secret_access_key = plain-secret\n");
    fclose(f);
    char *argv[] = {"wsgate",
                    "--credentials",
                    "ASIAFLAG:flag-secret:flag-token",
                    "--credentials",
                    "AKIDNOTOKEN:s2",
                    "--credentials-file",
                    path,
                    NULL};
    wg_config_t cfg;
    ck_assert_int_eq(load(&cfg, 7, argv), WG_CONFIG_OK);
    ck_assert_str_eq(wg_config_secret_for(&cfg, "ASIAFLAG"), "flag-secret");
    ck_assert_str_eq(wg_config_session_token_for(&cfg, "ASIAFLAG"), "flag-token");
    ck_assert_ptr_null(wg_config_session_token_for(&cfg, "AKIDNOTOKEN"));
    ck_assert_str_eq(wg_config_secret_for(&cfg, "ASIAFILE"), "file-secret");
    ck_assert_str_eq(wg_config_session_token_for(&cfg, "ASIAFILE"), "file-token");
    ck_assert_ptr_null(wg_config_session_token_for(&cfg, "AKIDPLAIN"));
    ck_assert_ptr_null(wg_config_session_token_for(&cfg, "unknown"));
    wg_config_free(&cfg);
    unlink(path);

    char *bad[] = {"wsgate", "--credentials", "AKID:secret:", NULL};
    ck_assert_int_ne(load(&cfg, 3, bad), WG_CONFIG_OK);
    wg_config_free(&cfg);
}
END_TEST

/* WSGATE_CREDENTIALS: secrets from the environment, never from argv (docker/entrypoint.sh). */
START_TEST(test_credentials_from_environment)
{
    char *argv[] = {"wsgate", NULL};
    wg_config_t cfg;
    char err[512] = "";
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    setenv("WSGATE_CREDENTIALS", " AKIDA:sa,AKIDB:sb:tb\tAKIDC:sc ", 1);
    ck_assert_int_eq(wg_config_load(&cfg, 1, argv, err, sizeof(err)), WG_CONFIG_OK);
    ck_assert_uint_eq(cfg.num_credentials, 3);
    ck_assert_str_eq(wg_config_secret_for(&cfg, "AKIDA"), "sa");
    ck_assert_str_eq(wg_config_secret_for(&cfg, "AKIDB"), "sb");
    ck_assert_str_eq(wg_config_session_token_for(&cfg, "AKIDB"), "tb");
    ck_assert_str_eq(wg_config_secret_for(&cfg, "AKIDC"), "sc");
    wg_config_free(&cfg);
    setenv("WSGATE_CREDENTIALS", "no-colon-here", 1);
    ck_assert_int_ne(wg_config_load(&cfg, 1, argv, err, sizeof(err)), WG_CONFIG_OK);
    wg_config_free(&cfg);
    unsetenv("WSGATE_CREDENTIALS");
}
END_TEST

Suite *wg_test_suite_config_security(void)
{
    Suite *s = suite_create("config_security");
    TCase *tc = tcase_create("config_security");
    tcase_add_test(tc, test_loopback_hosts);
    tcase_add_test(tc, test_session_tokens);
    tcase_add_test(tc, test_credentials_from_environment);
    suite_add_tcase(s, tc);
    return s;
}
