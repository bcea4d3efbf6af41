/*
 * fuzz_function_config.c: libFuzzer target for what config.c reads about the functions wsgate runs
 * itself: --parameter-overrides (SAM CLI's "K=V 'quoted'" / ParameterKey= form), evaluated into a
 * SAM template's function environments, and --env-vars FILE (SAM CLI's JSON), through
 * wg_config_load as the command line calls it.
 *
 * Input: the first line is the --parameter-overrides value (none when the line is empty); the
 * rest is the --env-vars file (none when empty). The template (written once into a temporary
 * directory, with its code there too) has parameters, Globals, a table and two functions.
 * Properties checked (abort() when broken): an error is one non-empty line; a loaded config runs
 * both functions with an absolute code path and every environment value a string.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

static const char template_text[] =
    "Transform: AWS::Serverless-2016-10-31\n"
    "Parameters:\n"
    "  Stage: {Type: String, Default: dev}\n"
    "  Level: {Type: String}\n"
    "  Names: {Type: CommaDelimitedList, Default: 'a,b'}\n"
    "Globals:\n"
    "  Function:\n"
    "    Runtime: nodejs20.x\n"
    "    Environment:\n"
    "      Variables:\n"
    "        TABLE: !Ref Table\n"
    "        LEVEL: !Ref Level\n"
    "Resources:\n"
    "  Api: {Type: AWS::ApiGatewayV2::Api, Properties: {ProtocolType: WEBSOCKET}}\n"
    "  R1: {Type: AWS::ApiGatewayV2::Route, Properties: {ApiId: !Ref Api, RouteKey: $connect, Target: "
    "integrations/I1}}\n"
    "  I1: {Type: AWS::ApiGatewayV2::Integration, Properties: {ApiId: !Ref Api, IntegrationType: AWS_PROXY,\n"
    "      IntegrationUri: !GetAtt One.Arn}}\n"
    "  R2: {Type: AWS::ApiGatewayV2::Route, Properties: {ApiId: !Ref Api, RouteKey: $default, Target: "
    "integrations/I2}}\n"
    "  I2: {Type: AWS::ApiGatewayV2::Integration, Properties: {ApiId: !Ref Api, IntegrationType: AWS_PROXY,\n"
    "      IntegrationUri: !GetAtt Two.Arn}}\n"
    "  Stg: {Type: AWS::ApiGatewayV2::Stage, Properties: {ApiId: !Ref Api, StageName: !Ref Stage}}\n"
    "  Table: {Type: AWS::DynamoDB::Table, Properties: {TableName: !Sub 't-${Stage}'}}\n"
    "  One:\n"
    "    Type: AWS::Serverless::Function\n"
    "    Properties: {CodeUri: code, Handler: app.handler, FunctionName: one-fn,\n"
    "      Environment: {Variables: {S: !Sub '${Stage}-${Level}',\n"
    "      N: !Select [1, !Ref Names], A: !GetAtt Table.Arn}}}\n"
    "  Two:\n"
    "    Type: AWS::Serverless::Function\n"
    "    Properties: {CodeUri: code, Handler: app.other, Runtime: python3.12, Timeout: !Ref Level}\n";

static char dir[64], template_path[128], env_path[128];

static void remove_files(void)
{
    char code[128];
    snprintf(code, sizeof(code), "%s/code", dir);
    unlink(template_path);
    unlink(env_path);
    rmdir(code);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    snprintf(dir, sizeof(dir), "/tmp/wg-fuzz-fn-XXXXXX");
    if (mkdtemp(dir) == NULL)
        abort();
    char code[128];
    snprintf(code, sizeof(code), "%s/code", dir);
    snprintf(template_path, sizeof(template_path), "%s/template.yaml", dir);
    snprintf(env_path, sizeof(env_path), "%s/env.json", dir);
    FILE *f = fopen(template_path, "w");
    if (mkdir(code, 0700) != 0 || f == NULL || fputs(template_text, f) < 0)
        abort();
    fclose(f);
    atexit(remove_files);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (dir[0] == '\0')
        LLVMFuzzerInitialize(NULL, NULL);
    const uint8_t *nl = memchr(data, '\n', size);
    size_t first = nl ? (size_t)(nl - data) : size;
    char *overrides = strndup((const char *)data, first);
    if (overrides == NULL || strlen(overrides) != first) { /* a NUL cannot be in a command-line argument */
        free(overrides);
        return 0;
    }
    const uint8_t *rest = nl ? nl + 1 : data + size;
    size_t rest_len = (size_t)(data + size - rest);
    if (rest_len > 0) {
        FILE *f = fopen(env_path, "wb");
        if (f == NULL || fwrite(rest, 1, rest_len, f) != rest_len)
            abort();
        fclose(f);
    }
    char *argv[10] = {"wsgate", "-c", template_path};
    int argc = 3;
    if (first > 0) {
        argv[argc++] = "--parameter-overrides";
        argv[argc++] = overrides;
    }
    if (rest_len > 0) {
        argv[argc++] = "--env-vars";
        argv[argc++] = env_path;
    }
    argv[argc] = NULL;
    wg_config_t cfg;
    char err[1024] = "";
    int rc = wg_config_load(&cfg, argc, argv, err, sizeof(err));
    if (rc == WG_CONFIG_ERROR && (err[0] == '\0' || strchr(err, '\n') != NULL))
        abort();
    if (rc == WG_CONFIG_OK) {
        const char *names[] = {"One", "Two"};
        for (size_t i = 0; i < 2; i++) {
            const wg_function_target_t *t = wg_config_function_target(&cfg, names[i]);
            if (t == NULL || t->type != WG_INTEGRATION_FUNCTION || t->code == NULL || t->code->code_path[0] != '/')
                abort();
            for (size_t j = 0; j < t->code->num_env; j++)
                if (t->code->env[j].key == NULL || t->code->env[j].value == NULL)
                    abort();
        }
    }
    wg_config_free(&cfg);
    free(overrides);
    return 0;
}
