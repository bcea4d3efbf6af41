/*
 * test_config_cli.c: the command line of config.c (wg_config_load with flags only): defaults,
 * each flag's effect, the emulator's short flags, the environment's credential, and one clear
 * error (WG_CONFIG_ERROR, exit 2 in main) for every malformed value.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "limits.h"

/* Loads argv (NULL-terminated, without the program name) into cfg; returns the outcome. */
static int load_args(wg_config_t *cfg, const char *const *args, char *err, size_t err_size)
{
    char *argv[32] = {"wsgate"};
    int argc = 1;
    for (size_t i = 0; args[i] != NULL; i++)
        argv[argc++] = (char *)args[i];
    argv[argc] = NULL;
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    err[0] = '\0';
    return wg_config_load(cfg, argc, argv, err, err_size);
}

START_TEST(test_defaults)
{
    wg_config_t cfg;
    char err[512];
    const char *args[] = {NULL};
    ck_assert_int_eq(load_args(&cfg, args, err, sizeof(err)), WG_CONFIG_OK);
    ck_assert_str_eq(cfg.host, "127.0.0.1");
    ck_assert_int_eq(cfg.port, 3001);
    ck_assert_str_eq(cfg.stage, "local");
    ck_assert_str_eq(cfg.region, "us-east-1");
    ck_assert_str_eq(cfg.route_selection_expression, "$request.body.action");
    ck_assert_int_eq(cfg.auth, WG_AUTH_SIGV4);
    ck_assert_uint_eq(cfg.idle_timeout_ms, WG_LIMIT_IDLE_TIMEOUT_MS);
    ck_assert_uint_eq(cfg.hard_timeout_ms, WG_LIMIT_HARD_TIMEOUT_MS);
    ck_assert_uint_eq(cfg.integration_timeout_ms, WG_LIMIT_INTEGRATION_TIMEOUT_MS);
    ck_assert_int_eq(cfg.is_custom_domain, 0);
    ck_assert_int_eq(cfg.has_test_control, 0);
    ck_assert_uint_eq(cfg.num_credentials, 0);
    /* No backend and no routes: the built-in demo backend for every route it needs. */
    const wg_route_config_t *def = wg_config_route(&cfg, "$default");
    ck_assert_ptr_nonnull(def);
    ck_assert_int_eq(def->type, WG_INTEGRATION_DEMO);
    wg_config_free(&cfg);
}
END_TEST

START_TEST(test_flags_take_effect)
{
    wg_config_t cfg;
    char err[512];
    const char *args[] = {"--port",
                          "0",
                          "--host",
                          "0.0.0.0",
                          "--stage",
                          "Prod",
                          "--region",
                          "eu-west-1",
                          "--api-id",
                          "abcdefghij",
                          "--custom-domain",
                          "--auth",
                          "strict",
                          "--credentials",
                          "AKIDEXAMPLE:secret",
                          "--idle-timeout",
                          "30",
                          "--hard-timeout",
                          "60",
                          "--integration-timeout",
                          "500",
                          "--connect-rate-limit",
                          "7",
                          "--test-control",
                          "--backend",
                          "http://127.0.0.1:9/events",
                          NULL};
    ck_assert_int_eq(load_args(&cfg, args, err, sizeof(err)), WG_CONFIG_OK);
    ck_assert_int_eq(cfg.port, 0);
    ck_assert_str_eq(cfg.host, "0.0.0.0");
    ck_assert_str_eq(cfg.stage, "Prod");
    ck_assert_str_eq(cfg.region, "eu-west-1");
    ck_assert_str_eq(cfg.api_id, "abcdefghij");
    ck_assert_int_eq(cfg.is_custom_domain, 1);
    ck_assert_int_eq(cfg.auth, WG_AUTH_STRICT);
    ck_assert_str_eq(wg_config_secret_for(&cfg, "AKIDEXAMPLE"), "secret");
    ck_assert_ptr_null(wg_config_secret_for(&cfg, "AKIDOTHER"));
    ck_assert_uint_eq(cfg.idle_timeout_ms, 30000);
    ck_assert_uint_eq(cfg.hard_timeout_ms, 60000);
    ck_assert_uint_eq(cfg.integration_timeout_ms, 500);
    ck_assert_uint_eq(cfg.connect_rate_per_second, 7);
    ck_assert_int_eq(cfg.has_test_control, 1);
    /* --backend alone: one handler for $connect, $disconnect and $default. */
    const char *keys[] = {"$connect", "$disconnect", "$default"};
    for (size_t i = 0; i < 3; i++) {
        const wg_route_config_t *r = wg_config_route(&cfg, keys[i]);
        ck_assert_msg(r != NULL, "no %s route", keys[i]);
        ck_assert_int_eq(r->type, WG_INTEGRATION_HTTP);
        ck_assert_str_eq(r->uri, "http://127.0.0.1:9/events");
    }
    wg_config_free(&cfg);
}
END_TEST

START_TEST(test_emulator_short_flags)
{
    /* aws-apigw-ws-emulator's -p and -s keep working, so switching is one command. */
    wg_config_t cfg;
    char err[512];
    const char *args[] = {"-p", "4000", "-s", "dev", "-v", NULL};
    ck_assert_int_eq(load_args(&cfg, args, err, sizeof(err)), WG_CONFIG_OK);
    ck_assert_int_eq(cfg.port, 4000);
    ck_assert_str_eq(cfg.stage, "dev");
    ck_assert_int_eq(cfg.is_verbose, 1);
    wg_config_free(&cfg);
}
END_TEST

START_TEST(test_environment_credential)
{
    wg_config_t cfg;
    char err[512];
    char *argv[] = {"wsgate", NULL};
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    unsetenv("AWS_SESSION_TOKEN");
    setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    ck_assert_int_eq(wg_config_load(&cfg, 1, argv, err, sizeof(err)), WG_CONFIG_OK);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    ck_assert_str_eq(wg_config_secret_for(&cfg, "AKIDFROMENV"), "envsecret");
    wg_config_free(&cfg);
}
END_TEST

START_TEST(test_help_and_version_exit)
{
    wg_config_t cfg;
    char err[512];
    const char *help[] = {"--help", NULL};
    ck_assert_int_eq(load_args(&cfg, help, err, sizeof(err)), WG_CONFIG_EXIT);
    wg_config_free(&cfg);
    const char *version[] = {"--version", NULL};
    ck_assert_int_eq(load_args(&cfg, version, err, sizeof(err)), WG_CONFIG_EXIT);
    wg_config_free(&cfg);
}
END_TEST

/* Each malformed command line: an error whose message names the flag or value at fault. */
static const struct {
    const char *args[4];
    const char *needle;
} bad_lines[] = {
    {{"--port", "70000", NULL}, "--port"},
    {{"--port", "x", NULL}, "--port"},
    {{"--port", NULL}, "--port"},
    {{"--auth", "bogus", NULL}, "bogus"},
    {{"--nope", NULL}, "--nope"},
    {{"--credentials", "nocolon", NULL}, "--credentials"},
    {{"--integration-timeout", "10", NULL}, "--integration-timeout"},
    {{"--idle-timeout", "x", NULL}, "--idle-timeout"},
    {{"--api-id", "ABC", NULL}, "ABC"},
    {{"--backend", "ftp://x", NULL}, "ftp://x"},
    {{"--config", "/nonexistent/wsgate.json", NULL}, "/nonexistent/wsgate.json"},
};

START_TEST(test_bad_command_lines)
{
    wg_config_t cfg;
    char err[512];
    int rc = load_args(&cfg, bad_lines[_i].args, err, sizeof(err));
    ck_assert_msg(rc == WG_CONFIG_ERROR, "case %d (%s): rc %d", _i, bad_lines[_i].args[0], rc);
    ck_assert_msg(strstr(err, bad_lines[_i].needle) != NULL, "case %d: error '%s' does not name '%s'", _i, err,
                  bad_lines[_i].needle);
    ck_assert_ptr_null(strchr(err, '\n')); /* one line */
    wg_config_free(&cfg);
}
END_TEST

Suite *wg_test_suite_config_cli(void)
{
    Suite *s = suite_create("config_cli");
    TCase *tc = tcase_create("flags");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_flags_take_effect);
    tcase_add_test(tc, test_emulator_short_flags);
    tcase_add_test(tc, test_environment_credential);
    tcase_add_test(tc, test_help_and_version_exit);
    tcase_add_loop_test(tc, test_bad_command_lines, 0, (int)(sizeof(bad_lines) / sizeof(bad_lines[0])));
    suite_add_tcase(s, tc);
    return s;
}
