/*
 * Unit tests for the functions wsgate runs itself (config.c, contract 2: wg_function_code_t): the
 * config file's "functions" entries with "runtime", their resolution into FUNCTION routes and
 * authorizers, and (below) the same from SAM, CloudFormation, CDK and serverless.yml templates
 * with --parameter-overrides and --env-vars.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

/* A fresh temporary directory; returns its path (real, absolute). */
static char *temp_dir(void)
{
    char tmpl[] = "/tmp/wg-fnconfig-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    char *real = realpath(tmpl, NULL);
    ck_assert_ptr_nonnull(real);
    return real;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char *path = NULL;
    ck_assert_int_gt(asprintf(&path, "%s/%s", dir, name), 0);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    fclose(f);
    free(path);
}

static void make_dir(const char *dir, const char *name)
{
    char *path = NULL;
    ck_assert_int_gt(asprintf(&path, "%s/%s", dir, name), 0);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    free(path);
}

static void remove_tree(const char *dir)
{
    char *cmd = NULL;
    ck_assert_int_gt(asprintf(&cmd, "rm -rf '%s'", dir), 0);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
}

/* wg_config_load with `-c config` plus `extra` flags (NULL-terminated, may be NULL). */
static int load(wg_config_t *cfg, const char *config, const char *const *extra, char *err, size_t err_size)
{
    char *argv[32] = {"wsgate", "-c", (char *)config};
    int argc = 3;
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
        argv[argc++] = (char *)extra[i];
    argv[argc] = NULL;
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    err[0] = '\0';
    return wg_config_load(cfg, argc, argv, err, err_size);
}

static const char *env_of(const wg_function_code_t *code, const char *key)
{
    for (size_t i = 0; i < code->num_env; i++)
        if (strcmp(code->env[i].key, key) == 0)
            return code->env[i].value;
    return NULL;
}

static char *join(const char *dir, const char *name)
{
    char *p = NULL;
    ck_assert_int_gt(asprintf(&p, "%s/%s", dir, name), 0);
    return p;
}

START_TEST(test_json_functions_entry)
{
    char *dir = temp_dir();
    make_dir(dir, "src");
    make_dir(dir, "conf");
    write_file(dir, "conf/wsgate.json",
               "{\"routes\": {\"$connect\": {\"function\": \"Connect\"}, \"$default\": {\"function\": \"Hook\"}},"
               " \"authorizer\": {\"function\": \"Auth\", \"identitySource\": \"route.request.querystring.t\"},"
               " \"functions\": {"
               "  \"Connect\": {\"runtime\": \"nodejs20.x\", \"handler\": \"app.handler\", \"codeUri\": \"../src\","
               "              \"timeout\": 10, \"memorySize\": 256, \"reservedConcurrency\": 5,"
               "              \"environment\": {\"TABLE\": \"t1\", \"MODE\": \"x\"}},"
               "  \"Auth\": {\"runtime\": \"provided.al2023\", \"codeUri\": \"../src\"},"
               "  \"Hook\": \"http://127.0.0.1:9/h\"}}");
    char *config = join(dir, "conf/wsgate.json");
    wg_config_t cfg;
    char err[1024];
    ck_assert_msg(load(&cfg, config, NULL, err, sizeof(err)) == WG_CONFIG_OK, "%s", err);

    const wg_function_target_t *f = wg_config_function_target(&cfg, "Connect");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->type, WG_INTEGRATION_FUNCTION);
    ck_assert_ptr_null(f->uri);
    ck_assert_ptr_nonnull(f->code);
    ck_assert_str_eq(f->code->runtime, "nodejs20.x");
    ck_assert_str_eq(f->code->handler, "app.handler");
    char *src = join(dir, "src");
    ck_assert_str_eq(f->code->code_path, src); /* relative to the config file, made absolute */
    ck_assert_uint_eq(f->code->timeout_s, 10);
    ck_assert_uint_eq(f->code->memory_mb, 256);
    ck_assert_uint_eq(f->code->reserved_concurrency, 5);
    ck_assert_uint_eq(f->code->num_env, 2);
    ck_assert_str_eq(env_of(f->code, "TABLE"), "t1");
    ck_assert_str_eq(env_of(f->code, "MODE"), "x");

    const wg_function_target_t *a = wg_config_function_target(&cfg, "Auth");
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(a->code->handler, "bootstrap"); /* provided.*: the handler is optional */
    ck_assert_uint_eq(a->code->timeout_s, 3);
    ck_assert_uint_eq(a->code->memory_mb, 128);
    ck_assert_uint_eq(a->code->reserved_concurrency, 0);
    ck_assert_uint_eq(a->code->num_env, 0);

    const wg_function_target_t *h = wg_config_function_target(&cfg, "Hook");
    ck_assert_int_eq(h->type, WG_INTEGRATION_HTTP);
    ck_assert_ptr_null(h->code);
    ck_assert_ptr_null(wg_config_function_target(&cfg, "Nope"));

    const wg_route_config_t *r = wg_config_route(&cfg, "$connect");
    ck_assert_int_eq(r->type, WG_INTEGRATION_FUNCTION);
    ck_assert_str_eq(r->function, "Connect");
    ck_assert_ptr_null(r->uri);
    ck_assert_int_eq(wg_config_route(&cfg, "$default")->type, WG_INTEGRATION_HTTP);
    ck_assert_int_eq(cfg.authorizer.type, WG_INTEGRATION_FUNCTION);
    ck_assert_str_eq(cfg.authorizer.function, "Auth");
    ck_assert_str_eq(wg_integration_type_name(WG_INTEGRATION_FUNCTION), "function");
    wg_config_free(&cfg);
    free(src);
    free(config);
    remove_tree(dir);
    free(dir);
}
END_TEST

/* --function NAME=TARGET still overrides a function that has code. */
START_TEST(test_flag_overrides_code)
{
    char *dir = temp_dir();
    write_file(dir, "w.json", "{\"routes\": {\"$default\": {\"function\": \"F\"}},"
                              " \"functions\": {\"F\": {\"runtime\": \"python3.12\", \"handler\": \"app.h\", \"codeUri\": \".\"}}}");
    char *config = join(dir, "w.json");
    const char *extra[] = {"--function", "F=http://127.0.0.1:9/f", NULL};
    wg_config_t cfg;
    char err[1024];
    ck_assert_msg(load(&cfg, config, extra, err, sizeof(err)) == WG_CONFIG_OK, "%s", err);
    const wg_function_target_t *f = wg_config_function_target(&cfg, "F");
    ck_assert_int_eq(f->type, WG_INTEGRATION_HTTP);
    ck_assert_ptr_null(f->code);
    ck_assert_int_eq(wg_config_route(&cfg, "$default")->type, WG_INTEGRATION_HTTP);
    ck_assert_str_eq(wg_config_route(&cfg, "$default")->uri, "http://127.0.0.1:9/f");
    wg_config_free(&cfg);
    free(config);
    remove_tree(dir);
    free(dir);
}
END_TEST

/* Mistakes in a "functions" entry with "runtime": one line naming the key. */
START_TEST(test_json_functions_errors)
{
    static const struct {
        const char *entry;
        const char *expect;
    } cases[] = {
        {"{\"runtime\": \"nodejs20.x\", \"handler\": \"a.h\"}", "needs \"codeUri\""},
        {"{\"runtime\": \"nodejs20.x\", \"codeUri\": \".\"}", "needs \"handler\""},
        {"{\"runtime\": \"nodejs20.x\", \"handler\": \"a.h\", \"codeUri\": \"missing-dir\"}", "No such file"},
        {"{\"runtime\": \"nodejs20.x\", \"handler\": \"a.h\", \"codeUri\": \".\", \"timeout\": 901}", "functions.F.timeout"},
        {"{\"runtime\": \"nodejs20.x\", \"handler\": \"a.h\", \"codeUri\": \".\", \"memorySize\": 64}", "functions.F.memorySize"},
        {"{\"runtime\": \"nodejs20.x\", \"handler\": \"a.h\", \"codeUri\": \".\", \"environment\": {\"A\": 1}}", "functions.F.environment.A must be a string"},
        {"{\"runtime\": \"nodejs20.x\", \"handler\": \"a.h\", \"codeUri\": \".\", \"uri\": \"http://x\"}", "unknown key 'functions.F.uri'"},
        {"{\"runtime\": \"\", \"handler\": \"a.h\", \"codeUri\": \".\"}", "functions.F.runtime must not be empty"},
    };
    char *dir = temp_dir();
    char *config = join(dir, "w.json");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *text = NULL;
        ck_assert_int_gt(asprintf(&text, "{\"functions\": {\"F\": %s}}", cases[i].entry), 0);
        write_file(dir, "w.json", text);
        wg_config_t cfg;
        char err[1024];
        ck_assert_int_eq(load(&cfg, config, NULL, err, sizeof(err)), WG_CONFIG_ERROR);
        ck_assert_msg(strstr(err, cases[i].expect) != NULL, "case %zu: '%s' lacks '%s'", i, err, cases[i].expect);
        ck_assert_msg(strstr(err, "w.json") != NULL, "case %zu: '%s' names no file", i, err);
        wg_config_free(&cfg);
        free(text);
    }
    free(config);
    remove_tree(dir);
    free(dir);
}
END_TEST

Suite *wg_test_suite_config_functions(void)
{
    Suite *s = suite_create("config_functions");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_json_functions_entry);
    tcase_add_test(tc, test_flag_overrides_code);
    tcase_add_test(tc, test_json_functions_errors);
    suite_add_tcase(s, tc);
    return s;
}
