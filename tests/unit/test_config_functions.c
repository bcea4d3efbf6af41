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
    ck_assert_str_eq(wg_config_integration_type_name(WG_INTEGRATION_FUNCTION), "function");
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
    write_file(dir, "w.json",
               "{\"routes\": {\"$default\": {\"function\": \"F\"}},"
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
        {"{\"runtime\": \"nodejs20.x\", \"handler\": \"a.h\", \"codeUri\": \".\", \"timeout\": 901}",
         "functions.F.timeout"},
        {"{\"runtime\": \"nodejs20.x\", \"handler\": \"a.h\", \"codeUri\": \".\", \"memorySize\": 64}",
         "functions.F.memorySize"},
        {"{\"runtime\": \"nodejs20.x\", \"handler\": \"a.h\", \"codeUri\": \".\", \"environment\": {\"A\": 1}}",
         "functions.F.environment.A must be a string"},
        {"{\"runtime\": \"nodejs20.x\", \"handler\": \"a.h\", \"codeUri\": \".\", \"uri\": \"http://x\"}",
         "unknown key 'functions.F.uri'"},
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

/* ---- templates: tests/data/config/functions/ ------------------------------------------------- */

static char *fixture(const char *rel)
{
    const char *root = getenv("WG_SOURCE_DIR");
    if (root == NULL)
        root = WG_SOURCE_DIR;
    char *p = NULL;
    ck_assert_int_gt(asprintf(&p, "%s/tests/data/config/functions/%s", root, rel), 0);
    char *real = realpath(p, NULL);
    ck_assert_msg(real != NULL, "%s missing", p);
    free(p);
    return real;
}

static const wg_function_code_t *code_of(const wg_config_t *cfg, const char *name)
{
    const wg_function_target_t *f = wg_config_function_target(cfg, name);
    ck_assert_msg(f != NULL, "no function %s", name);
    ck_assert_int_eq(f->type, WG_INTEGRATION_FUNCTION);
    ck_assert_ptr_nonnull(f->code);
    return f->code;
}

static void assert_route_runs(const wg_config_t *cfg, const char *key, const char *function)
{
    const wg_route_config_t *r = wg_config_route(cfg, key);
    ck_assert_msg(r != NULL, "no route %s", key);
    ck_assert_int_eq(r->type, WG_INTEGRATION_FUNCTION);
    ck_assert_str_eq(r->function, function);
}

/* The SAM fixture's functions, as checked by the SAM tests below (`code_dir` under sam/). */
static void assert_sam(const wg_config_t *cfg, const char *connect_dir, const char *send_dir, const char *stage,
                       const char *log_level)
{
    const wg_function_code_t *c = code_of(cfg, "OnConnectFunction");
    ck_assert_str_eq(c->runtime, "nodejs20.x"); /* from Globals */
    ck_assert_str_eq(c->handler, "app.handler");
    char *dir = fixture(connect_dir);
    ck_assert_str_eq(c->code_path, dir);
    free(dir);
    ck_assert_uint_eq(c->timeout_s, 10);
    ck_assert_uint_eq(c->memory_mb, 256);
    ck_assert_uint_eq(c->reserved_concurrency, 0);
    char table[64], arn[128];
    snprintf(table, sizeof(table), "chat-connections-%s", stage);
    snprintf(arn, sizeof(arn), "arn:aws:dynamodb:us-east-1:123456789012:table/%s", table);
    ck_assert_str_eq(env_of(c, "TABLE_NAME"), table); /* Globals: !Ref of the table -> its TableName */
    ck_assert_str_eq(env_of(c, "LOG_LEVEL"), log_level);
    ck_assert_str_eq(env_of(c, "STAGE"), stage);
    ck_assert_str_eq(env_of(c, "TABLE_ARN"), arn);
    ck_assert_str_eq(env_of(c, "GREETING"), "hello");

    const wg_function_code_t *s = code_of(cfg, "SendFunction");
    ck_assert_str_eq(s->runtime, "python3.12"); /* its own over Globals */
    dir = fixture(send_dir);
    ck_assert_str_eq(s->code_path, dir);
    free(dir);
    ck_assert_uint_eq(s->timeout_s, 30);
    ck_assert_uint_eq(s->memory_mb, 256);
    ck_assert_uint_eq(s->reserved_concurrency, 5);
    ck_assert_str_eq(env_of(s, "QUEUE_URL"), "https://sqs.us-east-1.amazonaws.com/123456789012/OutboxQueue");
    char callback[128];
    snprintf(callback, sizeof(callback), "https://ChatApi.execute-api.us-east-1.amazonaws.com/%s", stage);
    ck_assert_str_eq(env_of(s, "CALLBACK"), callback);
    ck_assert_str_eq(env_of(s, "TABLE_NAME"), table);

    assert_route_runs(cfg, "$connect", "OnConnectFunction");
    assert_route_runs(cfg, "sendmessage", "SendFunction");
}

START_TEST(test_sam_template)
{
    char *tmpl = fixture("sam/template.yaml");
    const char *extra[] = {"--function", "RemoteFunction=http://127.0.0.1:9/remote", NULL};
    wg_config_t cfg;
    char err[1024];
    ck_assert_msg(load(&cfg, tmpl, extra, err, sizeof(err)) == WG_CONFIG_OK, "%s", err);
    assert_sam(&cfg, "sam/src/connect", "sam/src/send", "dev", "info");
    ck_assert_str_eq(env_of(code_of(&cfg, "SendFunction"), "MAX_BYTES"), "4096");
    ck_assert_uint_eq(code_of(&cfg, "OnConnectFunction")->num_env, 5);
    ck_assert_ptr_null(env_of(code_of(&cfg, "OnConnectFunction"), "AWS_ENDPOINT_URL_DYNAMODB"));
    /* code only in S3: mapped by the flag, as before */
    ck_assert_int_eq(wg_config_route(&cfg, "$default")->type, WG_INTEGRATION_HTTP);
    ck_assert_ptr_null(wg_config_function_target(&cfg, "RemoteFunction")->code);
    ck_assert_str_eq(cfg.stage, "dev");
    wg_config_free(&cfg);
    free(tmpl);
}
END_TEST

/* A function whose code is not on disk still needs --function: the unmapped-function error. */
START_TEST(test_sam_code_not_on_disk)
{
    char *tmpl = fixture("sam/template.yaml");
    wg_config_t cfg;
    char err[1024];
    ck_assert_int_eq(load(&cfg, tmpl, NULL, err, sizeof(err)), WG_CONFIG_ERROR);
    ck_assert_msg(strstr(err, "RemoteFunction") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "OnConnectFunction") == NULL && strstr(err, "SendFunction") == NULL, "%s", err);
    wg_config_free(&cfg);
    free(tmpl);
}
END_TEST

START_TEST(test_sam_build_template)
{
    char *tmpl = fixture("sam/.aws-sam/build/template.yaml");
    const char *extra[] = {"--function", "RemoteFunction=http://127.0.0.1:9/remote", NULL};
    wg_config_t cfg;
    char err[1024];
    ck_assert_msg(load(&cfg, tmpl, extra, err, sizeof(err)) == WG_CONFIG_OK, "%s", err);
    assert_sam(&cfg, "sam/.aws-sam/build/OnConnectFunction", "sam/.aws-sam/build/SendFunction", "dev", "info");
    wg_config_free(&cfg);
    free(tmpl);
}
END_TEST

/* --parameter-overrides in both of SAM CLI's forms, quoted values, repeated flags. */
START_TEST(test_parameter_overrides)
{
    char *tmpl = fixture("sam/template.yaml");
    const char *extra[] = {"--function",
                           "RemoteFunction=http://127.0.0.1:9/remote",
                           "--parameter-overrides",
                           "Stage=prod LogLevel='very verbose'",
                           "--parameter-overrides",
                           "ParameterKey=Stage,ParameterValue=staging",
                           NULL};
    wg_config_t cfg;
    char err[1024];
    ck_assert_msg(load(&cfg, tmpl, extra, err, sizeof(err)) == WG_CONFIG_OK, "%s", err);
    assert_sam(&cfg, "sam/src/connect", "sam/src/send", "staging", "very verbose");
    ck_assert_str_eq(cfg.stage, "staging"); /* the Stage resource reads the same parameter */
    wg_config_free(&cfg);

    const char *bad[] = {"--parameter-overrides", "Stage", NULL};
    ck_assert_int_eq(load(&cfg, tmpl, bad, err, sizeof(err)), WG_CONFIG_ERROR);
    ck_assert_msg(strstr(err, "--parameter-overrides expects KEY=VALUE") != NULL, "%s", err);
    wg_config_free(&cfg);
    const char *unclosed[] = {"--parameter-overrides", "Stage='prod", NULL};
    ck_assert_int_eq(load(&cfg, tmpl, unclosed, err, sizeof(err)), WG_CONFIG_ERROR);
    ck_assert_msg(strstr(err, "quote is not closed") != NULL, "%s", err);
    wg_config_free(&cfg);
    free(tmpl);
}
END_TEST

/* --env-vars: Parameters for every function, a function's own object over it, undeclared names
 * added (SAM would drop them), numbers as text, unknown functions skipped. */
START_TEST(test_env_vars)
{
    char *tmpl = fixture("sam/template.yaml");
    char *env = fixture("sam/env.json");
    const char *extra[] = {"--function", "RemoteFunction=http://127.0.0.1:9/remote", "--env-vars", env, NULL};
    wg_config_t cfg;
    char err[1024];
    ck_assert_msg(load(&cfg, tmpl, extra, err, sizeof(err)) == WG_CONFIG_OK, "%s", err);
    const wg_function_code_t *c = code_of(&cfg, "OnConnectFunction"), *s = code_of(&cfg, "SendFunction");
    ck_assert_str_eq(env_of(c, "LOG_LEVEL"), "debug");
    ck_assert_str_eq(env_of(c, "AWS_ENDPOINT_URL_DYNAMODB"), "http://127.0.0.1:8000");
    ck_assert_str_eq(env_of(c, "GREETING"), "hello"); /* not in the file: the template's */
    ck_assert_uint_eq(c->num_env, 6);
    ck_assert_str_eq(env_of(s, "LOG_LEVEL"), "warn");
    ck_assert_str_eq(env_of(s, "AWS_ENDPOINT_URL_DYNAMODB"), "http://127.0.0.1:8000");
    ck_assert_str_eq(env_of(s, "MAX_BYTES"), "1024");
    ck_assert_str_eq(env_of(s, "BY_NAME"), "yes"); /* its FunctionName's entry, under the logical ID's */
    ck_assert_ptr_null(env_of(c, "BY_NAME"));
    ck_assert_ptr_null(env_of(s, "X"));
    ck_assert_ptr_null(env_of(c, "X"));
    wg_config_free(&cfg);

    /* a function's entry must be an object; the file must exist */
    char *dir = temp_dir();
    write_file(dir, "env.json", "{\"Parameters\": {\"A\": [1]}}");
    char *bad = join(dir, "env.json");
    const char *bad_flags[] = {"--function", "RemoteFunction=http://127.0.0.1:9/remote", "--env-vars", bad, NULL};
    ck_assert_int_eq(load(&cfg, tmpl, bad_flags, err, sizeof(err)), WG_CONFIG_ERROR);
    ck_assert_msg(strstr(err, "Parameters.A must be a string") != NULL, "%s", err);
    wg_config_free(&cfg);
    write_file(dir, "env.json", "[]");
    ck_assert_int_eq(load(&cfg, tmpl, bad_flags, err, sizeof(err)), WG_CONFIG_ERROR);
    ck_assert_msg(strstr(err, "expected {\"Parameters\"") != NULL, "%s", err);
    wg_config_free(&cfg);
    unlink(bad);
    ck_assert_int_eq(load(&cfg, tmpl, bad_flags, err, sizeof(err)), WG_CONFIG_ERROR);
    ck_assert_msg(strstr(err, "No such file") != NULL, "%s", err);
    wg_config_free(&cfg);
    free(bad);
    remove_tree(dir);
    free(dir);
    free(env);
    free(tmpl);
}
END_TEST

START_TEST(test_cdk_asset)
{
    char *tmpl = fixture("cdk.out/ChatStack.template.json");
    wg_config_t cfg;
    char err[1024];
    ck_assert_msg(load(&cfg, tmpl, NULL, err, sizeof(err)) == WG_CONFIG_OK, "%s", err);
    char *asset = fixture("cdk.out/asset.0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0");
    const wg_function_code_t *c = code_of(&cfg, "ConnectHandler2FFD52D8");
    ck_assert_str_eq(c->code_path, asset);
    ck_assert_str_eq(c->runtime, "nodejs20.x");
    ck_assert_str_eq(c->handler, "index.connect");
    ck_assert_uint_eq(c->timeout_s, 15);
    ck_assert_uint_eq(c->memory_mb, 128); /* Lambda's default */
    ck_assert_str_eq(
        env_of(c, "TABLE_NAME"),
        "ConnectionsTable0A1B2C3D"); /* no TableName: the logical ID ([I] inferred: AWS would generate a name) */
    ck_assert_str_eq(env_of(c, "TABLE_ARN"), "arn:aws:dynamodb:us-east-1:123456789012:table/ConnectionsTable0A1B2C3D");
    const wg_function_code_t *m = code_of(&cfg, "MessageHandler0A9F6F5B");
    ck_assert_str_eq(m->code_path, asset);
    ck_assert_str_eq(m->handler, "index.message");
    ck_assert_uint_eq(m->timeout_s, 3);
    assert_route_runs(&cfg, "$connect", "ConnectHandler2FFD52D8");
    assert_route_runs(&cfg, "sendmessage", "MessageHandler0A9F6F5B");
    wg_config_free(&cfg);
    free(asset);
    free(tmpl);
}
END_TEST

START_TEST(test_cloudformation_code_path)
{
    char *tmpl = fixture("cloudformation/template.yaml");
    wg_config_t cfg;
    char err[1024];
    ck_assert_msg(load(&cfg, tmpl, NULL, err, sizeof(err)) == WG_CONFIG_OK, "%s", err);
    const wg_function_code_t *c = code_of(&cfg, "Echo");
    char *dir = fixture("cloudformation/handler");
    ck_assert_str_eq(c->code_path, dir);
    ck_assert_str_eq(c->runtime, "nodejs22.x");
    ck_assert_str_eq(c->handler, "index.handler");
    ck_assert_uint_eq(c->memory_mb, 512);
    ck_assert_uint_eq(c->num_env, 0);
    assert_route_runs(&cfg, "$default", "Echo");
    wg_config_free(&cfg);
    free(dir);
    free(tmpl);
}
END_TEST

START_TEST(test_serverless)
{
    char *tmpl = fixture("serverless/serverless.yml");
    char *service = fixture("serverless");
    const char *extra[] = {"--function", "missing=http://127.0.0.1:9/m", NULL};
    wg_config_t cfg;
    char err[1024];
    ck_assert_msg(load(&cfg, tmpl, extra, err, sizeof(err)) == WG_CONFIG_OK, "%s", err);
    const wg_function_code_t *c = code_of(&cfg, "connect");
    ck_assert_str_eq(c->runtime, "nodejs20.x"); /* the provider's */
    ck_assert_str_eq(c->handler, "src/handler.connect");
    ck_assert_str_eq(c->code_path, service);
    ck_assert_uint_eq(c->timeout_s, 12); /* the provider's */
    ck_assert_uint_eq(c->memory_mb, 1024); /* the Serverless Framework's default */
    ck_assert_uint_eq(c->reserved_concurrency, 3);
    ck_assert_str_eq(env_of(c, "CONNECTIONS_TABLE"), "chat-fn-dev-connections");
    ck_assert_str_eq(env_of(c, "TABLE_REF"), "chat-fn-dev-table");
    ck_assert_str_eq(env_of(c, "SHARED"), "function"); /* the function's over the provider's */
    ck_assert_ptr_null(env_of(c, "FROM_SSM")); /* ${ssm:...}: no value here */
    ck_assert_uint_eq(c->num_env, 3);
    const wg_function_code_t *m = code_of(&cfg, "message");
    ck_assert_str_eq(m->runtime, "python3.12");
    ck_assert_str_eq(m->handler, "py/handler.message");
    ck_assert_uint_eq(m->timeout_s, 20);
    ck_assert_uint_eq(m->memory_mb, 512);
    ck_assert_uint_eq(m->reserved_concurrency, 0);
    ck_assert_str_eq(env_of(m, "SHARED"), "provider");
    assert_route_runs(&cfg, "$connect", "connect");
    assert_route_runs(&cfg, "$default", "message");
    ck_assert_int_eq(wg_config_route(&cfg, "gone")->type, WG_INTEGRATION_HTTP);
    wg_config_free(&cfg);

    /* the handler file is not there: unmapped, as before */
    ck_assert_int_eq(load(&cfg, tmpl, NULL, err, sizeof(err)), WG_CONFIG_ERROR);
    ck_assert_msg(strstr(err, "missing (routes.gone)") != NULL, "%s", err);
    wg_config_free(&cfg);
    free(service);
    free(tmpl);
}
END_TEST

/* An authorizer function with code runs the same way; environment values the template cannot give
 * are left out (and logged), other mistakes name their line. */
START_TEST(test_template_authorizer_and_errors)
{
    char *dir = temp_dir();
    make_dir(dir, "auth");
    write_file(dir, "auth/index.py", "def handler(event, context):\n    return {}\n");
    const char *head =
        "Resources:\n"
        "  Api: {Type: AWS::ApiGatewayV2::Api, Properties: {ProtocolType: WEBSOCKET}}\n"
        "  R: {Type: AWS::ApiGatewayV2::Route, Properties: {ApiId: !Ref Api, RouteKey: $connect,\n"
        "      AuthorizationType: CUSTOM, AuthorizerId: !Ref Az, Target: integrations/I}}\n"
        "  I: {Type: AWS::ApiGatewayV2::Integration, Properties: {ApiId: !Ref Api, IntegrationType: MOCK}}\n"
        "  Az: {Type: AWS::ApiGatewayV2::Authorizer, Properties: {ApiId: !Ref Api, AuthorizerType: REQUEST,\n"
        "      AuthorizerUri: !Sub "
        "'arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations',\n"
        "      IdentitySource: [route.request.querystring.token]}}\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: auth\n"
        "      Handler: index.handler\n"
        "      Runtime: python3.13\n";
    char *text = NULL;
    ck_assert_int_gt(asprintf(&text, "%s", head), 0);
    write_file(dir, "t.yaml", text);
    free(text);
    char *tmpl = join(dir, "t.yaml");
    wg_config_t cfg;
    char err[1024];
    ck_assert_msg(load(&cfg, tmpl, NULL, err, sizeof(err)) == WG_CONFIG_OK, "%s", err);
    ck_assert_int_eq(cfg.authorizer.type, WG_INTEGRATION_FUNCTION);
    ck_assert_str_eq(cfg.authorizer.function, "Fn");
    ck_assert_str_eq(code_of(&cfg, "Fn")->runtime, "python3.13");
    wg_config_free(&cfg);

    /* A value the template cannot give here is not fatal (logged): --env-vars can still give it. */
    ck_assert_int_gt(asprintf(&text,
                              "%s      Environment:\n        Variables:\n          A: !ImportValue other\n"
                              "          B: !Ref Missing\n          C: !Ref AWS::NoValue\n          D: ok\n",
                              head),
                     0);
    write_file(dir, "t.yaml", text);
    free(text);
    ck_assert_msg(load(&cfg, tmpl, NULL, err, sizeof(err)) == WG_CONFIG_OK, "%s", err);
    const wg_function_code_t *fn = code_of(&cfg, "Fn");
    ck_assert_uint_eq(fn->num_env, 1);
    ck_assert_str_eq(env_of(fn, "D"), "ok");
    wg_config_free(&cfg);
    write_file(dir, "env.json", "{\"Fn\": {\"A\": \"given\"}}");
    char *env = join(dir, "env.json");
    const char *with_env[] = {"--env-vars", env, NULL};
    ck_assert_msg(load(&cfg, tmpl, with_env, err, sizeof(err)) == WG_CONFIG_OK, "%s", err);
    ck_assert_str_eq(env_of(code_of(&cfg, "Fn"), "A"), "given");
    ck_assert_ptr_null(env_of(code_of(&cfg, "Fn"), "B"));
    wg_config_free(&cfg);
    free(env);

    ck_assert_int_gt(asprintf(&text, "%s      Timeout: 1000\n", head), 0);
    write_file(dir, "t.yaml", text);
    free(text);
    ck_assert_int_eq(load(&cfg, tmpl, NULL, err, sizeof(err)), WG_CONFIG_ERROR);
    ck_assert_msg(strstr(err, "t.yaml:15") != NULL && strstr(err, "functions.Fn.timeout") != NULL, "%s", err);
    wg_config_free(&cfg);

    /* Environment.Variables that is not a map is a template mistake: an error naming its line */
    ck_assert_int_gt(asprintf(&text, "%s      Environment:\n        Variables: [A, B]\n", head), 0);
    write_file(dir, "t.yaml", text);
    free(text);
    ck_assert_int_eq(load(&cfg, tmpl, NULL, err, sizeof(err)), WG_CONFIG_ERROR);
    ck_assert_msg(strstr(err, "t.yaml:16") != NULL && strstr(err, "must be a map") != NULL, "%s", err);
    wg_config_free(&cfg);
    free(tmpl);
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
    tcase_add_test(tc, test_sam_template);
    tcase_add_test(tc, test_sam_code_not_on_disk);
    tcase_add_test(tc, test_sam_build_template);
    tcase_add_test(tc, test_parameter_overrides);
    tcase_add_test(tc, test_env_vars);
    tcase_add_test(tc, test_cdk_asset);
    tcase_add_test(tc, test_cloudformation_code_path);
    tcase_add_test(tc, test_serverless);
    tcase_add_test(tc, test_template_authorizer_and_errors);
    suite_add_tcase(s, tc);
    return s;
}
