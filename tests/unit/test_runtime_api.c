/*
 * test_runtime_api.c: the Lambda Runtime API's paths (runtime_api.c) and the command and
 * environment a runtime process starts with (function_process.c), without sockets or processes.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "function_process.h"
#include "runtime_api.h"

static wg_runtime_api_path_t parse(const char *path, const char **id, size_t *id_len)
{
    return wg_runtime_api_parse_path(path, strlen(path), id, id_len);
}

START_TEST(test_paths)
{
    const char *id;
    size_t id_len;
    ck_assert_int_eq(parse("/2018-06-01/runtime/invocation/next", &id, &id_len), WG_RUNTIME_API_NEXT);
    ck_assert_ptr_null(id);
    ck_assert_int_eq(parse("/2018-06-01/runtime/init/error", &id, &id_len), WG_RUNTIME_API_INIT_ERROR);
    ck_assert_int_eq(parse("/2018-06-01/runtime/invocation/8476a536-e9f4-11e8/response", &id, &id_len),
                     WG_RUNTIME_API_RESPONSE);
    ck_assert_uint_eq(id_len, 18);
    ck_assert_int_eq(memcmp(id, "8476a536-e9f4-11e8", id_len), 0);
    ck_assert_int_eq(parse("/2018-06-01/runtime/invocation/abc/error", &id, &id_len), WG_RUNTIME_API_ERROR);
    ck_assert_int_eq(memcmp(id, "abc", id_len), 0);
    ck_assert_int_eq(parse("/2018-06-01/runtime/invocation//response", &id, &id_len), WG_RUNTIME_API_RESPONSE);
    ck_assert_uint_eq(id_len, 0);
}
END_TEST

START_TEST(test_paths_rejected)
{
    const char *bad[] = {
        "/",
        "/2018-06-01/runtime/",
        "/2018-06-01/runtime/invocation/",
        "/2018-06-01/runtime/invocation/next/",
        "/2018-06-01/runtime/invocation/x/response/",
        "/2018-06-01/runtime/invocation/x/result",
        "/2019-06-01/runtime/invocation/next",
        "/2018-06-01/runtime/init/errors",
        "/2018-06-01/runtime/invocation/x",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *id = (const char *)1;
        size_t id_len = 7;
        ck_assert_msg(parse(bad[i], &id, &id_len) == WG_RUNTIME_API_UNKNOWN, "%s", bad[i]);
        ck_assert_ptr_null(id);
    }
}
END_TEST

START_TEST(test_runtime_kinds)
{
    ck_assert_int_eq(wg_runtime_kind("nodejs20.x"), WG_RUNTIME_NODE);
    ck_assert_int_eq(wg_runtime_kind("nodejs18.x"), WG_RUNTIME_NODE);
    ck_assert_int_eq(wg_runtime_kind("python3.9"), WG_RUNTIME_PYTHON);
    ck_assert_int_eq(wg_runtime_kind("python3.13"), WG_RUNTIME_PYTHON);
    ck_assert_int_eq(wg_runtime_kind("java21"), WG_RUNTIME_JAVA);
    ck_assert_int_eq(wg_runtime_kind("provided.al2023"), WG_RUNTIME_PROVIDED);
    ck_assert_int_eq(wg_runtime_kind("go1.x"), WG_RUNTIME_PROVIDED);
    ck_assert_int_eq(wg_runtime_kind("ruby3.3"), WG_RUNTIME_UNKNOWN);
    ck_assert_int_eq(wg_runtime_kind(NULL), WG_RUNTIME_UNKNOWN);
}
END_TEST

static const char *env_get(char **envp, const char *key)
{
    size_t n = strlen(key);
    const char *found = NULL;
    for (char **p = envp; *p != NULL; p++)
        if (strncmp(*p, key, n) == 0 && (*p)[n] == '=') {
            ck_assert_msg(found == NULL, "%s twice", key);
            found = *p + n + 1;
        }
    return found;
}

START_TEST(test_command_and_environment)
{
    wg_string_pair_t env[] = {
        {"TABLE", "Chat"}, {"AWS_REGION", "local-override"}, {"AWS_LAMBDA_RUNTIME_API", "evil:1"}};
    wg_function_code_t code = {"nodejs20.x", "src/app.handler", "/tmp", 5, 256, 0, env, 3};
    wg_function_launch_t launch = {"Chat",           &code,       "/usr/bin/node", "/opt/wsgate/runtimes",
                                   "127.0.0.1:4242", "eu-west-1", "AKID",          "SECRET",
                                   "TOKEN",          "/ca.pem",   "/bundle.pem"};
    wg_function_command_t cmd;
    char err[256];
    ck_assert_int_eq(wg_function_command_build(&launch, &cmd, err, sizeof(err)), 0);
    ck_assert_str_eq(cmd.argv[0], "/usr/bin/node");
    ck_assert_str_eq(cmd.argv[1], "/opt/wsgate/runtimes/node/bootstrap.cjs");
    ck_assert_ptr_null(cmd.argv[2]);
    ck_assert_str_eq(cmd.cwd, "/tmp");
    ck_assert_str_eq(env_get(cmd.envp, "AWS_LAMBDA_FUNCTION_NAME"), "Chat");
    ck_assert_str_eq(env_get(cmd.envp, "AWS_LAMBDA_FUNCTION_VERSION"), "$LATEST");
    ck_assert_str_eq(env_get(cmd.envp, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), "256");
    ck_assert_str_eq(env_get(cmd.envp, "AWS_LAMBDA_LOG_GROUP_NAME"), "/aws/lambda/Chat");
    ck_assert_uint_eq(strlen(env_get(cmd.envp, "AWS_LAMBDA_LOG_STREAM_NAME")), strlen("2026/12/06/[$LATEST]") + 32);
    ck_assert_str_eq(env_get(cmd.envp, "AWS_REGION"), "eu-west-1"); /* Lambda's reserved keys win */
    ck_assert_str_eq(env_get(cmd.envp, "AWS_DEFAULT_REGION"), "eu-west-1");
    ck_assert_str_eq(env_get(cmd.envp, "AWS_EXECUTION_ENV"), "AWS_Lambda_nodejs20.x");
    ck_assert_str_eq(env_get(cmd.envp, "AWS_LAMBDA_RUNTIME_API"), "127.0.0.1:4242"); /* never the function's */
    ck_assert_str_eq(env_get(cmd.envp, "_HANDLER"), "src/app.handler");
    ck_assert_str_eq(env_get(cmd.envp, "LAMBDA_TASK_ROOT"), "/tmp");
    ck_assert_str_eq(env_get(cmd.envp, "TZ"), ":UTC");
    ck_assert_str_eq(env_get(cmd.envp, "AWS_ACCESS_KEY_ID"), "AKID");
    ck_assert_str_eq(env_get(cmd.envp, "AWS_SECRET_ACCESS_KEY"), "SECRET");
    ck_assert_str_eq(env_get(cmd.envp, "AWS_SESSION_TOKEN"), "TOKEN");
    ck_assert_str_eq(env_get(cmd.envp, "NODE_EXTRA_CA_CERTS"), "/ca.pem");
    ck_assert_str_eq(env_get(cmd.envp, "AWS_CA_BUNDLE"), "/bundle.pem");
    ck_assert_str_eq(env_get(cmd.envp, "REQUESTS_CA_BUNDLE"), "/bundle.pem");
    ck_assert_str_eq(env_get(cmd.envp, "SSL_CERT_FILE"), "/bundle.pem");
    ck_assert_str_eq(env_get(cmd.envp, "TABLE"), "Chat");
    wg_function_command_free(&cmd);
}
END_TEST

START_TEST(test_commands_per_runtime)
{
    wg_function_code_t code = {"java21", "example.Echo::handleRequest", "/tmp/fn.jar", 3, 128, 0, NULL, 0};
    wg_function_launch_t launch = {"J",  &code, "/usr/bin/java", "/rt", "127.0.0.1:1", "us-east-1", "A", "S", "T",
                                   NULL, NULL};
    wg_function_command_t cmd;
    char err[256];
    ck_assert_int_eq(wg_function_command_build(&launch, &cmd, err, sizeof(err)), 0);
    ck_assert_str_eq(cmd.cwd, "/tmp"); /* a jar's directory */
    int has_cp = 0, has_main = 0;
    for (char **a = cmd.argv; *a != NULL; a++) {
        has_cp |= strcmp(*a, "/tmp/fn.jar:/rt/java/lib/*") == 0;
        has_main |= strcmp(*a, "com.amazonaws.services.lambda.runtime.api.client.AWSLambda") == 0;
    }
    ck_assert(has_cp && has_main);
    ck_assert_ptr_null(env_get(cmd.envp, "NODE_EXTRA_CA_CERTS")); /* no TLS: no CA variables */
    wg_function_command_free(&cmd);

    wg_function_code_t py = {"python3.12", "app.handler", "/tmp", 3, 128, 0, NULL, 0};
    launch.code = &py;
    launch.interpreter = "/usr/bin/python3";
    ck_assert_int_eq(wg_function_command_build(&launch, &cmd, err, sizeof(err)), 0);
    ck_assert_str_eq(cmd.argv[1], "/rt/python/bootstrap.py");
    ck_assert_str_eq(env_get(cmd.envp, "PYTHONUNBUFFERED"), "1");
    wg_function_command_free(&cmd);

    wg_function_code_t go = {"provided.al2023", "bootstrap", "/proc", 3, 128, 0, NULL, 0};
    launch.code = &go;
    launch.interpreter = NULL;
    ck_assert_int_eq(wg_function_command_build(&launch, &cmd, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "function J (provided.al2023): /proc/bootstrap is not an executable file"));

    wg_function_code_t ruby = {"ruby3.3", "app.handler", "/tmp", 3, 128, 0, NULL, 0};
    launch.code = &ruby;
    ck_assert_int_eq(wg_function_command_build(&launch, &cmd, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "runtime 'ruby3.3' is not one wsgate runs"));
}
END_TEST

START_TEST(test_exit_text)
{
    char out[64];
    wg_function_exit_text(3 << 8, out, sizeof(out)); /* as waitpid reports exit(3) */
    ck_assert_str_eq(out, "exit status 3");
    wg_function_exit_text(SIGKILL, out, sizeof(out));
    ck_assert_str_eq(out, "signal: killed");
}
END_TEST

Suite *wg_test_suite_runtime_api(void)
{
    Suite *s = suite_create("runtime_api");
    TCase *tp = tcase_create("paths");
    tcase_add_test(tp, test_paths);
    tcase_add_test(tp, test_paths_rejected);
    suite_add_tcase(s, tp);
    TCase *tc = tcase_create("process");
    tcase_add_test(tc, test_runtime_kinds);
    tcase_add_test(tc, test_command_and_environment);
    tcase_add_test(tc, test_commands_per_runtime);
    tcase_add_test(tc, test_exit_text);
    suite_add_tcase(s, tc);
    return s;
}
