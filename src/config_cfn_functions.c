/*
 * config_cfn_functions.c: a template's functions whose code is on disk, as canonical "functions"
 * entries that wsgate runs itself (config.h wg_function_code_t, run by functions.c).
 *
 * Only the functions the routes and the authorizer name are read: AWS::Serverless::Function (under
 * SAM's Globals.Function) and AWS::Lambda::Function. The code is where SAM CLI and CDK look for it:
 * CDK's aws:asset:path metadata, SAM's CodeUri (default "."), or a CloudFormation Code string (the
 * local path `aws cloudformation package` reads); S3 objects, inline code and images are not on this
 * machine, so those functions stay names to map with --function. Runtime, Handler, FunctionName,
 * Timeout, MemorySize, ReservedConcurrentExecutions and Environment.Variables are evaluated with
 * config_cfn_intrinsics.c.
 */
#include "config_cloudformation_internal.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A function property: the function's own, else (SAM) Globals.Function's. Raw, not evaluated. */
static json_t *function_raw(wg_cfn_t *c, json_t *props, int is_sam, const char *name)
{
    json_t *v = json_object_get(props, name);
    if (v == NULL && is_sam)
        v = json_object_get(json_object_get(json_object_get(c->tmpl, "Globals"), "Function"), name);
    return v;
}

/* Evaluates a raw value: NULL when absent or AWS::NoValue (no error), or on error. */
static json_t *eval_raw(wg_cfn_t *c, json_t *raw)
{
    if (raw == NULL)
        return NULL;
    json_t *e = wg_cfn_eval(c, raw);
    if (e == c->no_value) {
        json_decref(e);
        return NULL;
    }
    return e;
}

/* Whether `code` (relative to the template's directory, or absolute) exists. */
static bool is_on_disk(wg_cfn_t *c, const char *code)
{
    char *full = NULL;
    const char *slash = strrchr(c->cv.path, '/');
    if (code[0] == '/' || slash == NULL)
        full = strdup(code);
    else if (asprintf(&full, "%.*s/%s", (int)(slash - c->cv.path), c->cv.path, code) < 0)
        full = NULL;
    if (full == NULL)
        abort();
    struct stat st;
    int yes = stat(full, &st) == 0;
    free(full);
    return yes;
}

/* Where a function's code is, as the template says it (relative to the template), or NULL: CDK's
 * aws:asset:path metadata, SAM's CodeUri (default "." as SAM CLI's), a CloudFormation Code string
 * (the local-path form `aws cloudformation package` reads). S3 objects, inline code and images
 * are not on this machine. Sets *line to the line that says it. */
static char *function_code_path(wg_cfn_t *c, json_t *resource, json_t *props, int is_sam, int *line)
{
    json_t *meta = json_object_get(resource, "Metadata");
    json_t *asset = json_object_get(meta, "aws:asset:path");
    const char *asset_property = json_string_value(json_object_get(meta, "aws:asset:property"));
    if (json_is_string(asset) &&
        (asset_property == NULL || strcmp(asset_property, "Code") == 0 || strcmp(asset_property, "CodeUri") == 0)) {
        *line = wg_config_convert_key_line(&c->cv, meta, "aws:asset:path");
        return wg_cfn_scalar_text(asset);
    }
    json_t *package_type = eval_raw(c, function_raw(c, props, is_sam, "PackageType"));
    int is_image = json_is_string(package_type) && strcmp(json_string_value(package_type), "Image") == 0;
    json_decref(package_type);
    if (is_image || c->cv.has_error)
        return NULL;
    const char *key = is_sam ? "CodeUri" : "Code";
    json_t *raw = function_raw(c, props, is_sam, key);
    if (is_sam && raw == NULL && function_raw(c, props, is_sam, "InlineCode") != NULL)
        return NULL;
    *line = wg_config_convert_key_line(&c->cv, props, key);
    if (raw == NULL) {
        if (!is_sam)
            return NULL;
        char *dot = strdup(".");
        if (dot == NULL)
            abort();
        return dot;
    }
    json_t *v = eval_raw(c, raw);
    char *path = json_is_string(v) && json_string_length(v) > 0 ? wg_cfn_scalar_text(v) : NULL;
    json_decref(v);
    return path;
}

/* A number property (a Number parameter's value may be a string): 1 set, 0 absent, -1 error. */
static int function_number(wg_cfn_t *c, json_t *props, int is_sam, const char *name, json_int_t *out)
{
    json_t *raw = function_raw(c, props, is_sam, name);
    json_t *v = eval_raw(c, raw);
    if (v == NULL)
        return c->cv.has_error ? -1 : 0;
    char *end = NULL;
    if (json_is_integer(v))
        *out = json_integer_value(v);
    else if (json_is_string(v))
        *out = strtoll(json_string_value(v), &end, 10);
    int ok = json_is_integer(v) || (end != NULL && end != json_string_value(v) && *end == '\0');
    json_decref(v);
    if (!ok)
        return wg_config_convert_fail(&c->cv, raw, "%s must be a whole number", name);
    return 1;
}

/* Environment.Variables evaluated (SAM: Globals.Function's, then the function's own over them),
 * every value as text, into `env`. A value that cannot be evaluated here (Fn::ImportValue, a
 * parameter without a value, ...) does not stop wsgate: its message goes into `unresolved`
 * (name -> "file:line: problem") and config.c logs it, since --env-vars can still give the value. */
static int function_environment(wg_cfn_t *c, json_t *props, int is_sam, json_t *env, json_t *unresolved)
{
    json_t *layers[2] = {NULL, json_object_get(json_object_get(props, "Environment"), "Variables")};
    if (is_sam)
        layers[0] = json_object_get(
            json_object_get(json_object_get(json_object_get(c->tmpl, "Globals"), "Function"), "Environment"),
            "Variables");
    for (size_t i = 0; i < 2; i++) {
        if (layers[i] == NULL)
            continue;
        /* Variables written as one intrinsic (!If [...], !FindInMap ...) are evaluated whole. */
        const char *first = json_object_size(layers[i]) == 1 ? json_object_iter_key(json_object_iter(layers[i])) : NULL;
        int is_whole = first != NULL && (strcmp(first, "Ref") == 0 || strncmp(first, "Fn::", 4) == 0);
        json_t *vars = is_whole ? eval_raw(c, layers[i]) : json_incref(layers[i]);
        if (c->cv.has_error)
            return -1;
        if (vars != NULL && !json_is_object(vars)) {
            json_decref(vars);
            return wg_config_convert_fail(&c->cv, layers[i], "Environment.Variables must be a map of NAME: value");
        }
        const char *k;
        json_t *raw;
        json_object_foreach(vars, k, raw) {
            json_t *v = is_whole ? json_incref(raw) : wg_cfn_eval(c, raw);
            if (v == c->no_value) { /* !Ref AWS::NoValue: not set */
                json_decref(v);
                json_object_del(env, k);
                continue;
            }
            char *text = v == NULL || json_is_array(v) || json_is_object(v) ? NULL : wg_cfn_scalar_text(v);
            json_decref(v);
            if (text == NULL && !c->cv.has_error)
                wg_config_convert_fail(&c->cv, raw, "Environment.Variables.%s must be a single value", k);
            if (text == NULL) {
                json_object_del(env, k);
                json_t *why = json_string(c->cv.err);
                wg_config_convert_put(&c->cv, unresolved, k, why ? why : json_string("cannot be evaluated"),
                                      wg_config_convert_key_line(&c->cv, layers[i], k));
                c->cv.has_error = false;
                continue;
            }
            json_object_del(unresolved, k);
            wg_config_convert_put(&c->cv, env, k, json_string(text), wg_config_convert_key_line(&c->cv, layers[i], k));
            free(text);
        }
        json_decref(vars);
    }
    return 0;
}

/* out.functions[logical] = {runtime, handler, codeUri, ...} when the function's code is on disk. */
static int convert_function(wg_cfn_t *c, const char *logical, json_t *resource, json_t *functions)
{
    json_t *props = wg_cfn_resource_properties(resource);
    int is_sam = wg_cfn_is_type(resource, "AWS::Serverless::Function");
    int code_line = wg_config_convert_key_line(&c->cv, c->resources, logical);
    char *code = function_code_path(c, resource, props, is_sam, &code_line);
    json_t *runtime = code ? eval_raw(c, function_raw(c, props, is_sam, "Runtime")) : NULL;
    json_t *handler = NULL, *entry = NULL, *env = NULL, *unresolved = NULL;
    int rc = c->cv.has_error ? -1 : 0;
    /* Not on disk, or no runtime (an image): it stays a function to map with --function. */
    if (rc != 0 || code == NULL || !json_is_string(runtime) || !is_on_disk(c, code))
        goto out;
    handler = eval_raw(c, function_raw(c, props, is_sam, "Handler"));
    if (c->cv.has_error || (handler != NULL && !json_is_string(handler))) {
        rc = wg_config_convert_fail(&c->cv, function_raw(c, props, is_sam, "Handler"),
                                    "function %s: Handler must be a string", logical);
        goto out;
    }
    entry = json_object();
    int line = wg_config_convert_key_line(&c->cv, c->resources, logical);
    wg_config_lines_set(c->cv.lines, entry, line);
    wg_config_convert_put(&c->cv, entry, "runtime", json_incref(runtime),
                          wg_config_convert_key_line(&c->cv, props, "Runtime"));
    if (handler != NULL)
        wg_config_convert_put(&c->cv, entry, "handler", json_incref(handler),
                              wg_config_convert_key_line(&c->cv, props, "Handler"));
    wg_config_convert_put(&c->cv, entry, "codeUri", json_string(code), code_line);
    /* its FunctionName: SAM CLI's --env-vars also finds a function by that name */
    json_t *fname = eval_raw(c, json_object_get(props, "FunctionName"));
    if (json_is_string(fname) && json_string_length(fname) > 0)
        wg_config_convert_put(&c->cv, entry, "functionName", json_incref(fname),
                              wg_config_convert_key_line(&c->cv, props, "FunctionName"));
    json_decref(fname);
    if (c->cv.has_error) {
        rc = -1;
        goto out;
    }
    static const struct {
        const char *property, *key;
    } numbers[] = {
        {"Timeout", "timeout"}, {"MemorySize", "memorySize"}, {"ReservedConcurrentExecutions", "reservedConcurrency"}};
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        json_int_t n = 0;
        int got = function_number(c, props, is_sam, numbers[i].property, &n);
        if (got < 0) {
            rc = -1;
            goto out;
        }
        if (got > 0)
            wg_config_convert_put(&c->cv, entry, numbers[i].key, json_integer(n),
                                  wg_config_convert_key_line(&c->cv, props, numbers[i].property));
    }
    env = json_object();
    unresolved = json_object();
    if (function_environment(c, props, is_sam, env, unresolved) != 0) {
        rc = -1;
        goto out;
    }
    if (json_object_size(env) > 0)
        wg_config_convert_put(&c->cv, entry, "environment", json_incref(env),
                              wg_config_convert_key_line(&c->cv, props, "Environment"));
    if (json_object_size(unresolved) > 0)
        wg_config_convert_put(&c->cv, entry, "unresolvedEnvironment", json_incref(unresolved),
                              wg_config_convert_key_line(&c->cv, props, "Environment"));
    wg_config_convert_put(&c->cv, functions, logical, json_incref(entry), line);
out:
    free(code);
    json_decref(runtime);
    json_decref(handler);
    json_decref(entry);
    json_decref(env);
    json_decref(unresolved);
    return rc;
}

/* The functions the routes and the authorizer name, when they are this template's and their code is
 * on disk, as "functions" entries wsgate runs itself. */
int wg_cfn_convert_functions(wg_cfn_t *c, json_t *out, json_t *routes)
{
    json_t *functions = json_object();
    json_t *names = json_array();
    const char *key;
    json_t *route;
    json_object_foreach(routes, key, route) {
        json_t *f = json_object_get(route, "function");
        if (json_is_string(f))
            json_array_append(names, f);
    }
    json_t *af = json_object_get(json_object_get(out, "authorizer"), "function");
    if (json_is_string(af))
        json_array_append(names, af);
    size_t i;
    json_t *name;
    int rc = 0;
    json_array_foreach(names, i, name) {
        const char *logical = json_string_value(name);
        json_t *resource = json_object_get(c->resources, logical);
        if (json_object_get(functions, logical) != NULL || !wg_cfn_is_function_type(wg_cfn_resource_type(resource)) ||
            !wg_cfn_is_included(c, resource))
            continue;
        if ((rc = convert_function(c, logical, resource, functions)) != 0)
            break;
    }
    if (rc == 0 && json_object_size(functions) > 0)
        wg_config_convert_put(&c->cv, out, "functions", json_incref(functions),
                              wg_config_convert_key_line(&c->cv, c->tmpl, "Resources"));
    json_decref(names);
    json_decref(functions);
    return rc;
}
