/*
 * Unit tests for config_document.c and the readers behind it (config_yaml.c,
 * config_cloudformation.c, config_serverless.c, config_emulator.c): every format of
 * tests/data/config/ gives the same canonical document as its hand-written wsgate twin, and
 * errors name the right file:line.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_document.h"
#include "config_lines.h"
#include "config_yaml.h"

static char *data_path(const char *name)
{
    const char *root = getenv("WG_SOURCE_DIR");
    if (root == NULL)
        root = WG_SOURCE_DIR;
    char *p = NULL;
    ck_assert_int_gt(asprintf(&p, "%s/tests/data/config/%s", root, name), 0);
    return p;
}

/* The 1-based line of the first line of `path` containing `needle` (after `after` lines). */
static int line_of(const char *path, const char *needle, int after)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char buf[4096];
    int line = 0, found = 0;
    while (fgets(buf, sizeof(buf), f) != NULL) {
        line++;
        if (line > after && strstr(buf, needle) != NULL) {
            found = line;
            break;
        }
    }
    fclose(f);
    ck_assert_msg(found > 0, "'%s' not in %s", needle, path);
    return found;
}

/* Writes `text` to a fresh temporary file whose name ends in `suffix`; returns its path. */
static char *temp_file(const char *suffix, const char *text)
{
    char *path = NULL;
    ck_assert_int_gt(asprintf(&path, "/tmp/wg-config-test-XXXXXX%s", suffix), 0);
    int fd = mkstemps(path, (int)strlen(suffix));
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void load_ok(const char *path, wg_config_document_t *doc)
{
    char err[1024] = "";
    int rc = wg_config_document_load(path, doc, err, sizeof(err));
    ck_assert_msg(rc == 0, "loading %s failed: %s", path, err);
}

/* Loads `path` expecting an error; returns the message (static). */
static const char *load_error(const char *path)
{
    static char err[1024];
    wg_config_document_t doc;
    err[0] = '\0';
    ck_assert_int_eq(wg_config_document_load(path, &doc, err, sizeof(err)), -1);
    wg_config_document_free(&doc);
    return err;
}

static void assert_same_document(const char *name, const char *twin, wg_config_format_t format)
{
    char *a = data_path(name), *b = data_path(twin);
    wg_config_document_t da, db;
    load_ok(a, &da);
    load_ok(b, &db);
    ck_assert_int_eq(da.format, format);
    ck_assert_int_eq(db.format, WG_CONFIG_FORMAT_WSGATE);
    char *ja = json_dumps(da.root, JSON_SORT_KEYS | JSON_INDENT(1)),
         *jb = json_dumps(db.root, JSON_SORT_KEYS | JSON_INDENT(1));
    ck_assert_msg(json_equal(da.root, db.root), "%s:\n%s\n!= %s:\n%s", name, ja, twin, jb);
    free(ja);
    free(jb);
    wg_config_document_free(&da);
    wg_config_document_free(&db);
    free(a);
    free(b);
}

/* ---- each format equals its hand-written twin ------------------------------------------------ */

START_TEST(cdk_template_json)
{
    assert_same_document("cdk-chat.template.json", "cdk-chat.wsgate.json", WG_CONFIG_FORMAT_CLOUDFORMATION);
}
END_TEST

START_TEST(sam_template_yaml)
{
    assert_same_document("sam-chat.template.yaml", "sam-chat.wsgate.yaml", WG_CONFIG_FORMAT_CLOUDFORMATION);
}
END_TEST

START_TEST(serverless_yml)
{
    assert_same_document("serverless.yml", "serverless.wsgate.json", WG_CONFIG_FORMAT_SERVERLESS);
}
END_TEST

START_TEST(emulator_gateway_config)
{
    assert_same_document("gateway.config.yaml", "emulator-gateway.wsgate.json", WG_CONFIG_FORMAT_EMULATOR);
}
END_TEST

START_TEST(emulator_shipped_file)
{
    /* The file as aws-apigw-ws-emulator ships it (integrationMode: lambda_proxy, apiId: local). */
    assert_same_document("aws-apigw-ws-emulator/gateway.config.yaml", "emulator-shipped.wsgate.json",
                         WG_CONFIG_FORMAT_EMULATOR);
}
END_TEST

START_TEST(yaml_under_a_json_name)
{
    /* `cdk synth > chat.template.json` writes YAML: the content decides, and errors say so. */
    char *p = temp_file(".json", "Resources:\n  Api:\n    Type: AWS::ApiGatewayV2::Api\n    Properties:\n"
                                 "      ProtocolType: WEBSOCKET\n      RouteSelectionExpression: $request.body.kind\n");
    wg_config_document_t doc;
    load_ok(p, &doc);
    ck_assert_int_eq(doc.is_yaml, 1);
    ck_assert_int_eq(doc.format, WG_CONFIG_FORMAT_CLOUDFORMATION);
    ck_assert_str_eq(json_string_value(json_object_get(doc.root, "routeSelectionExpression")), "$request.body.kind");
    wg_config_document_free(&doc);
    unlink(p);
    free(p);
    p = temp_file(".json", "stage: a\nroutes: [unclosed\n");
    ck_assert_msg(strstr(load_error(p), "(read as YAML: the content does not start with '{' or '[')") != NULL, "%s",
                  load_error(p));
    unlink(p);
    free(p);
    p = temp_file(".yaml", "{\"stage\": \"a\",}\n");
    ck_assert_msg(strstr(load_error(p), "(read as JSON: the content starts with '{' or '[')") != NULL, "%s",
                  load_error(p));
    unlink(p);
    free(p);
}
END_TEST

/* ---- line numbers ------------------------------------------------------------------------------ */

START_TEST(yaml_lines_of_wsgate_keys)
{
    char *path = data_path("sam-chat.wsgate.yaml");
    wg_config_document_t doc;
    load_ok(path, &doc);
    char where[512], want[600];
    json_t *routes = json_object_get(doc.root, "routes");
    json_t *send = json_object_get(routes, "sendmessage");
    /* a string node */
    snprintf(want, sizeof(want), "%s:%d", path, line_of(path, "function: SendMessageFunction", 0));
    ck_assert_str_eq(wg_config_document_where(&doc, json_object_get(send, "function"), where, sizeof(where)), want);
    /* a key whose value is a shared singleton (true) */
    snprintf(want, sizeof(want), "%s:%d", path, line_of(path, "twoWay: true", 0));
    ck_assert_str_eq(wg_config_document_where_key(&doc, send, "twoWay", where, sizeof(where)), want);
    /* the only true in the file: unambiguous, so where() knows it too */
    ck_assert_str_eq(wg_config_document_where(&doc, json_object_get(send, "twoWay"), where, sizeof(where)), want);
    /* an object, a number */
    snprintf(want, sizeof(want), "%s:%d", path, line_of(path, "function: SendMessageFunction", 0));
    ck_assert_str_eq(wg_config_document_where(&doc, send, where, sizeof(where)), want);
    snprintf(want, sizeof(want), "%s:%d", path, line_of(path, "timeout: 10000", 0));
    ck_assert_str_eq(wg_config_document_where(&doc, json_object_get(send, "timeout"), where, sizeof(where)), want);
    wg_config_document_free(&doc);
    free(path);
}
END_TEST

START_TEST(json_lines)
{
    char *path = data_path("serverless.wsgate.json");
    wg_config_document_t doc;
    load_ok(path, &doc);
    char where[512], want[600];
    snprintf(want, sizeof(want), "%s:%d", path, line_of(path, "\"region\"", 0));
    ck_assert_str_eq(wg_config_document_where(&doc, json_object_get(doc.root, "region"), where, sizeof(where)), want);
    json_t *routes = json_object_get(doc.root, "routes");
    snprintf(want, sizeof(want), "%s:%d", path, line_of(path, "\"sendmessage\"", 0));
    ck_assert_str_eq(wg_config_document_where_key(&doc, routes, "sendmessage", where, sizeof(where)), want);
    ck_assert_str_eq(wg_config_document_where(&doc, json_object_get(routes, "sendmessage"), where, sizeof(where)),
                     want);
    wg_config_document_free(&doc);
    free(path);
}
END_TEST

START_TEST(template_lines_point_into_the_template)
{
    char *path = data_path("sam-chat.template.yaml");
    wg_config_document_t doc;
    load_ok(path, &doc);
    char where[512], want[600];
    json_t *routes = json_object_get(doc.root, "routes");
    json_t *send = json_object_get(routes, "sendmessage");
    snprintf(want, sizeof(want), "%s:%d", path, line_of(path, "  SendRoute:", 0));
    ck_assert_str_eq(wg_config_document_where(&doc, send, where, sizeof(where)), want);
    ck_assert_str_eq(wg_config_document_where_key(&doc, routes, "sendmessage", where, sizeof(where)), want);
    snprintf(want, sizeof(want), "%s:%d", path, line_of(path, "TimeoutInMillis: 10000", 0));
    ck_assert_str_eq(wg_config_document_where_key(&doc, send, "timeout", where, sizeof(where)), want);
    ck_assert_str_eq(wg_config_document_where(&doc, json_object_get(send, "timeout"), where, sizeof(where)), want);
    snprintf(want, sizeof(want), "%s:%d", path, line_of(path, "  SendRouteResponse:", 0));
    ck_assert_str_eq(wg_config_document_where_key(&doc, send, "twoWay", where, sizeof(where)), want);
    snprintf(want, sizeof(want), "%s:%d", path, line_of(path, "StageName: !Ref StageName", 0));
    ck_assert_str_eq(wg_config_document_where(&doc, json_object_get(doc.root, "stage"), where, sizeof(where)), want);
    wg_config_document_free(&doc);
    free(path);

    path = data_path("cdk-chat.template.json");
    load_ok(path, &doc);
    routes = json_object_get(doc.root, "routes");
    snprintf(want, sizeof(want), "%s:%d", path, line_of(path, "\"ChatApiconnectRoute846149DD\": {", 0));
    ck_assert_str_eq(wg_config_document_where(&doc, json_object_get(routes, "$connect"), where, sizeof(where)), want);
    wg_config_document_free(&doc);
    free(path);

    path = data_path("serverless.yml");
    load_ok(path, &doc);
    routes = json_object_get(doc.root, "routes");
    snprintf(want, sizeof(want), "%s:%d", path, line_of(path, "routeResponseSelectionExpression", 0));
    ck_assert_str_eq(
        wg_config_document_where_key(&doc, json_object_get(routes, "sendmessage"), "twoWay", where, sizeof(where)),
        want);
    snprintf(want, sizeof(want), "%s:%d", path, line_of(path, "stage: ${opt:stage", 0));
    ck_assert_str_eq(wg_config_document_where(&doc, json_object_get(doc.root, "stage"), where, sizeof(where)), want);
    wg_config_document_free(&doc);
    free(path);
}
END_TEST

START_TEST(emulator_lines_survive_the_copy)
{
    char *path = data_path("gateway.config.yaml");
    wg_config_document_t doc;
    load_ok(path, &doc);
    char where[512], want[600];
    snprintf(want, sizeof(want), "%s:%d", path, line_of(path, "hardTimeout: 7200", 0));
    ck_assert_str_eq(wg_config_document_where_key(&doc, doc.root, "hardTimeout", where, sizeof(where)), want);
    ck_assert_str_eq(wg_config_document_where(&doc, json_object_get(doc.root, "hardTimeout"), where, sizeof(where)),
                     want);
    ck_assert_ptr_null(json_object_get(doc.root, "apiId")); /* "local" is no AWS apiId */
    wg_config_document_free(&doc);
    free(path);
}
END_TEST

/* ---- YAML scalars, tags, anchors, errors ------------------------------------------------------- */

static json_t *yaml(const char *text)
{
    char err[512] = "";
    json_t *v = wg_config_yaml_parse("t.yaml", text, strlen(text), NULL, err, sizeof(err));
    ck_assert_msg(v != NULL, "%s", err);
    return v;
}

static const char *yaml_error(const char *text)
{
    static char err[512];
    err[0] = '\0';
    json_t *v = wg_config_yaml_parse("t.yaml", text, strlen(text), NULL, err, sizeof(err));
    ck_assert_ptr_null(v);
    return err;
}

static void assert_yaml(const char *text, const char *expected_json)
{
    json_t *got = yaml(text);
    json_t *want = json_loads(expected_json, JSON_DECODE_ANY, NULL);
    ck_assert_ptr_nonnull(want);
    char *g = json_dumps(got, JSON_ENCODE_ANY | JSON_SORT_KEYS);
    ck_assert_msg(json_equal(got, want), "%s -> %s, expected %s", text, g, expected_json);
    free(g);
    json_decref(got);
    json_decref(want);
}

START_TEST(yaml_scalars_follow_the_core_schema)
{
    assert_yaml("a: 3001\nb: -7\nc: 0x1F\nd: 0o17\ne: 1.5\nf: 2e3\n",
                "{\"a\":3001,\"b\":-7,\"c\":31,\"d\":15,\"e\":1.5,\"f\":2000.0}");
    assert_yaml("a: true\nb: False\nc: TRUE\nd: yes\ne: off\nf: ~\ng: null\nh:\n",
                "{\"a\":true,\"b\":false,\"c\":true,\"d\":\"yes\",\"e\":\"off\",\"f\":null,\"g\":null,\"h\":null}");
    assert_yaml(
        "a: '3001'\nb: \"true\"\nc: !!str 42\nd: !!int '8'\ne: 1.2.3\nf: $default\ng: 12abc\n",
        "{\"a\":\"3001\",\"b\":\"true\",\"c\":\"42\",\"d\":8,\"e\":\"1.2.3\",\"f\":\"$default\",\"g\":\"12abc\"}");
    assert_yaml("a: |\n  line1\n  line2\nb: >\n  folded\n  text\n",
                "{\"a\":\"line1\\nline2\\n\",\"b\":\"folded text\\n\"}");
    assert_yaml("[1, two, {three: 3}]", "[1,\"two\",{\"three\":3}]");
}
END_TEST

START_TEST(yaml_anchors_and_merge_keys)
{
    assert_yaml(
        "base: &b {uri: 'http://x/', twoWay: true}\n"
        "routes:\n  a: *b\n  c:\n    <<: *b\n    twoWay: false\n",
        "{\"base\":{\"uri\":\"http://x/\",\"twoWay\":true},\"routes\":{\"a\":{\"uri\":\"http://x/\",\"twoWay\":true},"
        "\"c\":{\"uri\":\"http://x/\",\"twoWay\":false}}}");
    ck_assert_ptr_nonnull(strstr(yaml_error("a: *nope\n"), "t.yaml:1:4: unknown anchor '*nope'"));
    ck_assert_ptr_nonnull(strstr(yaml_error("a: &x [1, *x]\n"), "unknown anchor"));
}
END_TEST

START_TEST(yaml_cloudformation_short_tags)
{
    assert_yaml(
        "a: !Ref Api\nb: !GetAtt Fn.Arn\nc: !Sub '${AWS::Region}'\nd: !Join ['/', [x, !Ref Y]]\n"
        "e: !GetAtt [R, Outputs.Name]\nf: !If [C, 1, 2]\ng: !Condition IsProd\n",
        "{\"a\":{\"Ref\":\"Api\"},\"b\":{\"Fn::GetAtt\":[\"Fn\",\"Arn\"]},\"c\":{\"Fn::Sub\":\"${AWS::Region}\"},"
        "\"d\":{\"Fn::Join\":[\"/\",[\"x\",{\"Ref\":\"Y\"}]]},\"e\":{\"Fn::GetAtt\":[\"R\",\"Outputs.Name\"]},"
        "\"f\":{\"Fn::If\":[\"C\",1,2]},\"g\":{\"Condition\":\"IsProd\"}}");
    ck_assert_str_eq(
        yaml_error("a: 1\nb: !Reff X\n"),
        "t.yaml:2:4: unknown tag '!Reff' (only CloudFormation's short tags such as !Ref, !GetAtt, !Sub are "
        "understood)");
    ck_assert_ptr_nonnull(strstr(yaml_error("a: !GetAtt NoDot\n"), "t.yaml:1:4: !GetAtt expects Resource.Attribute"));
}
END_TEST

START_TEST(yaml_syntax_errors_name_file_line_column)
{
    ck_assert_str_eq(yaml_error("routes:\n  a: 1\n b: 2\n"),
                     "t.yaml:3:2: did not find expected key (while parsing a block mapping at line 1)");
    ck_assert_str_eq(yaml_error("a: 1\na: 2\n"), "t.yaml:2:1: duplicate key 'a'");
    ck_assert_str_eq(yaml_error("a: [1, 2\n"),
                     "t.yaml:2:1: did not find expected ',' or ']' (while parsing a flow sequence at line 1)");
    ck_assert_str_eq(yaml_error("a: 1\n---\nb: 2\n"),
                     "t.yaml:2:1: only one YAML document per config file (found a second '---')");
    ck_assert_str_eq(yaml_error("a: !!int x\n"), "t.yaml:1:4: 'x' is not a valid !!int");
    ck_assert_str_eq(yaml_error("? [a]\n: 1\n"),
                     "t.yaml:1:3: keys must be plain strings (not lists, mappings or aliases)");
    ck_assert_str_eq(yaml_error(""), "t.yaml: the file is empty");
}
END_TEST

START_TEST(yaml_deep_nesting_is_refused)
{
    char text[400];
    memset(text, '[', 200);
    text[200] = '\0';
    ck_assert_ptr_nonnull(strstr(yaml_error(text), "nested more than 64 levels deep"));
}
END_TEST

/* ---- detection and conversion errors ----------------------------------------------------------- */

START_TEST(format_by_content_when_the_extension_says_nothing)
{
    char *json = temp_file(".conf", "  {\"stage\": \"a\"}\n");
    char *yml = temp_file(".conf", "stage: b\n");
    wg_config_document_t doc;
    load_ok(json, &doc);
    ck_assert_int_eq(doc.is_yaml, 0);
    ck_assert_str_eq(json_string_value(json_object_get(doc.root, "stage")), "a");
    wg_config_document_free(&doc);
    load_ok(yml, &doc);
    ck_assert_int_eq(doc.is_yaml, 1);
    ck_assert_str_eq(json_string_value(json_object_get(doc.root, "stage")), "b");
    wg_config_document_free(&doc);
    unlink(json);
    unlink(yml);
    free(json);
    free(yml);
}
END_TEST

START_TEST(json_errors_keep_jansson_positions)
{
    char *p = temp_file(".json", "{\"a\": 1,\n \"a\": 2}\n");
    char want[600];
    snprintf(want, sizeof(want), "%s:2:", p);
    ck_assert_ptr_nonnull(strstr(load_error(p), want));
    ck_assert_ptr_nonnull(strstr(load_error(p), "duplicate object key"));
    unlink(p);
    free(p);
    ck_assert_ptr_nonnull(strstr(load_error("/nonexistent/wsgate.yaml"), "/nonexistent/wsgate.yaml: No such file"));
}
END_TEST

START_TEST(template_errors_name_the_line)
{
    const char *tmpl = "AWSTemplateFormatVersion: '2010-09-09'\n"
                       "Resources:\n"
                       "  Api:\n"
                       "    Type: AWS::ApiGatewayV2::Api\n"
                       "    Properties: {ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}\n"
                       "  Route:\n"
                       "    Type: AWS::ApiGatewayV2::Route\n"
                       "    Properties:\n"
                       "      ApiId: !Ref Api\n"
                       "      RouteKey: $default\n"
                       "      Target: !Sub integrations/${Missing}\n";
    char *p = temp_file(".yaml", tmpl);
    char want[600];
    snprintf(want, sizeof(want),
             "%s:11: Ref to 'Missing', which is neither a parameter nor a resource of this template", p);
    ck_assert_str_eq(load_error(p), want);
    unlink(p);
    free(p);

    p = temp_file(".json", "{\"Resources\": {\"Fn\": {\"Type\": \"AWS::Lambda::Function\"}}}");
    snprintf(want, sizeof(want), "%s:1: no AWS::ApiGatewayV2::Api with ProtocolType WEBSOCKET in this template", p);
    ck_assert_str_eq(load_error(p), want);
    unlink(p);
    free(p);

    const char *sqs = "Resources:\n"
                      "  Api: {Type: AWS::ApiGatewayV2::Api, Properties: {ProtocolType: WEBSOCKET}}\n"
                      "  Integ:\n"
                      "    Type: AWS::ApiGatewayV2::Integration\n"
                      "    Properties:\n"
                      "      ApiId: !Ref Api\n"
                      "      IntegrationType: AWS\n"
                      "      IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:sqs:path/123/queue\n"
                      "  Route:\n"
                      "    Type: AWS::ApiGatewayV2::Route\n"
                      "    Properties: {ApiId: !Ref Api, RouteKey: $default, Target: integrations/Integ}\n";
    p = temp_file(".yaml", sqs);
    snprintf(want, sizeof(want), "%s:8: integration Integ: only Lambda functions are supported as AWS integrations", p);
    ck_assert_msg(strncmp(load_error(p), want, strlen(want)) == 0, "%s", load_error(p));
    unlink(p);
    free(p);
}
END_TEST

START_TEST(template_features)
{
    /* HTTP_PROXY with parameters, MOCK, Fn::If on a parameter, ApiKey values, ANY method dropped */
    const char *tmpl =
        "Parameters:\n"
        "  Backend: {Type: String, Default: 'http://127.0.0.1:9000'}\n"
        "  Env: {Type: String, Default: prod}\n"
        "Conditions:\n"
        "  IsProd: !Equals [!Ref Env, prod]\n"
        "Resources:\n"
        "  Api: {Type: AWS::ApiGatewayV2::Api, Properties: {ProtocolType: WEBSOCKET}}\n"
        "  Http:\n"
        "    Type: AWS::ApiGatewayV2::Integration\n"
        "    Properties:\n"
        "      ApiId: !Ref Api\n"
        "      IntegrationType: HTTP_PROXY\n"
        "      IntegrationMethod: !If [IsProd, PUT, GET]\n"
        "      IntegrationUri: !Sub ${Backend}/messages\n"
        "      RequestParameters:\n"
        "        integration.request.header.connectionId: context.connectionId\n"
        "  Mock: {Type: AWS::ApiGatewayV2::Integration, Properties: {ApiId: !Ref Api, IntegrationType: MOCK}}\n"
        "  R1: {Type: AWS::ApiGatewayV2::Route, Properties: {ApiId: !Ref Api, RouteKey: $default,\n"
        "       Target: !Join [/, [integrations, !Ref Http]]}}\n"
        "  R2: {Type: AWS::ApiGatewayV2::Route, Properties: {ApiId: !Ref Api, RouteKey: $connect,\n"
        "       ApiKeyRequired: true, Target: !Join [/, [integrations, !Ref Mock]]}}\n"
        "  Key: {Type: AWS::ApiGateway::ApiKey, Properties: {Enabled: true, Value: abcdefghijklmnopqrst}}\n"
        "  Other: {Type: AWS::ApiGatewayV2::Api, Properties: {ProtocolType: HTTP}}\n"
        "  OtherRoute: {Type: AWS::ApiGatewayV2::Route, Properties: {ApiId: !Ref Other, RouteKey: GET /}}\n";
    char *p = temp_file(".yaml", tmpl);
    wg_config_document_t doc;
    load_ok(p, &doc);
    json_t *want =
        json_loads("{\"routes\": {"
                   "\"$default\": {\"integration\": \"http_proxy\", \"uri\": \"http://127.0.0.1:9000/messages\","
                   "  \"method\": \"PUT\", \"requestParameters\": {\"integration.request.header.connectionId\":"
                   "  \"context.connectionId\"}},"
                   "\"$connect\": {\"integration\": \"mock\", \"apiKeyRequired\": true}},"
                   "\"apiKeys\": [\"abcdefghijklmnopqrst\"]}",
                   0, NULL);
    char *got = json_dumps(doc.root, JSON_SORT_KEYS);
    ck_assert_msg(json_equal(doc.root, want), "%s", got);
    free(got);
    json_decref(want);
    wg_config_document_free(&doc);
    unlink(p);
    free(p);
}
END_TEST

START_TEST(serverless_errors_and_defaults)
{
    const char *sls = "service: s\n"
                      "provider: {name: aws}\n"
                      "functions:\n"
                      "  a:\n"
                      "    handler: h.a\n"
                      "    events:\n"
                      "      - websocket:\n"
                      "          route: $connect\n"
                      "          authorizer: arn:aws:lambda:us-east-1:123456789012:function:external-auth\n";
    char *p = temp_file(".yml", sls);
    wg_config_document_t doc;
    load_ok(p, &doc);
    json_t *want =
        json_loads("{\"stage\": \"dev\", \"authorizer\": {\"function\": \"external-auth\", \"identitySource\":"
                   " [\"route.request.header.Auth\"]}, \"routes\": {\"$connect\": {\"function\": \"a\","
                   " \"authorizationType\": \"CUSTOM\"}}}",
                   0, NULL);
    char *got = json_dumps(doc.root, JSON_SORT_KEYS);
    ck_assert_msg(json_equal(doc.root, want), "%s", got);
    free(got);
    json_decref(want);
    wg_config_document_free(&doc);
    unlink(p);
    free(p);

    const char *bad = "service: s\n"
                      "provider:\n"
                      "  name: aws\n"
                      "  stage: ${ssm:/stage}\n"
                      "functions: {a: {handler: h.a, events: [{websocket: $default}]}}\n";
    p = temp_file(".yml", bad);
    char want_err[600];
    snprintf(want_err, sizeof(want_err), "%s:4: variable ${ssm:/stage} is not supported", p);
    ck_assert_msg(strncmp(load_error(p), want_err, strlen(want_err)) == 0, "%s", load_error(p));
    unlink(p);
    free(p);
}
END_TEST

START_TEST(emulator_http_mode)
{
    char *p = temp_file(".yaml", "apiId: local\ndomainName: localhost:3001\nintegrationMode: http\n"
                                 "routes:\n  $default:\n    uri: http://localhost:8080/ws/default\n");
    wg_config_document_t doc;
    load_ok(p, &doc);
    ck_assert_int_eq(doc.format, WG_CONFIG_FORMAT_EMULATOR);
    json_t *want =
        json_loads("{\"customDomain\": true, \"routes\": {\"$default\": {\"uri\": \"http://localhost:8080/ws/default\","
                   " \"integration\": \"http_proxy\", \"requestParameters\":"
                   " {\"integration.request.header.connectionId\": \"context.connectionId\","
                   " \"integration.request.header.X-Amzn-Apigateway-Api-Id\": \"context.apiId\","
                   " \"integration.request.header.X-Amzn-Apigateway-Stage\": \"context.stage\","
                   " \"integration.request.header.X-Event-Type\": \"context.eventType\","
                   " \"integration.request.header.X-Route-Key\": \"context.routeKey\"}}}}",
                   0, NULL);
    char *got = json_dumps(doc.root, JSON_SORT_KEYS);
    ck_assert_msg(json_equal(doc.root, want), "%s", got);
    free(got);
    json_decref(want);
    wg_config_document_free(&doc);
    unlink(p);
    free(p);
}
END_TEST

Suite *wg_test_suite_config_document(void)
{
    Suite *s = suite_create("config_document");
    TCase *formats = tcase_create("formats");
    tcase_add_test(formats, cdk_template_json);
    tcase_add_test(formats, sam_template_yaml);
    tcase_add_test(formats, serverless_yml);
    tcase_add_test(formats, emulator_gateway_config);
    tcase_add_test(formats, format_by_content_when_the_extension_says_nothing);
    tcase_add_test(formats, template_features);
    tcase_add_test(formats, serverless_errors_and_defaults);
    tcase_add_test(formats, emulator_http_mode);
    tcase_add_test(formats, emulator_shipped_file);
    tcase_add_test(formats, yaml_under_a_json_name);
    suite_add_tcase(s, formats);
    TCase *lines = tcase_create("lines");
    tcase_add_test(lines, yaml_lines_of_wsgate_keys);
    tcase_add_test(lines, json_lines);
    tcase_add_test(lines, template_lines_point_into_the_template);
    tcase_add_test(lines, emulator_lines_survive_the_copy);
    tcase_add_test(lines, json_errors_keep_jansson_positions);
    tcase_add_test(lines, template_errors_name_the_line);
    suite_add_tcase(s, lines);
    TCase *yaml_case = tcase_create("yaml");
    tcase_add_test(yaml_case, yaml_scalars_follow_the_core_schema);
    tcase_add_test(yaml_case, yaml_anchors_and_merge_keys);
    tcase_add_test(yaml_case, yaml_cloudformation_short_tags);
    tcase_add_test(yaml_case, yaml_syntax_errors_name_file_line_column);
    tcase_add_test(yaml_case, yaml_deep_nesting_is_refused);
    suite_add_tcase(s, yaml_case);
    return s;
}
