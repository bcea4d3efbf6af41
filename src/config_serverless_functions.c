/*
 * config_serverless_functions.c: the functions of a serverless.yml whose code is on disk, as
 * "functions" entries wsgate runs itself (config.h wg_function_code_t, run by functions.c):
 * runtime, handler, the code's place (package.artifact, or the service directory when the
 * handler's file is there), timeout, memorySize, reservedConcurrency (the function's own setting,
 * else the provider's, else the Serverless Framework's defaults) and the environment
 * (provider.environment, then the function's own; CloudFormation intrinsics evaluated against
 * `resources`). A function whose code is not on disk stays one to map with --function.
 */
#include "config_convert.h"
#include "config_serverless_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The Serverless Framework's defaults for a function (its AWS provider docs). */
#define SLS_DEFAULT_TIMEOUT_S 6
#define SLS_DEFAULT_MEMORY_MB 1024

/* A function setting: the function's own, else the provider's. */
static json_t *setting(sls_t *s, json_t *def, const char *key)
{
    json_t *v = json_object_get(def, key);
    return v != NULL ? v : json_object_get(json_object_get(s->root, "provider"), key);
}

/* `node` with every string's ${...} resolved where it can be (a copy; what cannot be resolved is
 * kept as written: the template evaluator then says what it lacks). */
static json_t *resolve_tree(sls_t *s, json_t *node)
{
    json_t *out = NULL;
    if (json_is_string(node)) {
        char *text = wg_config_serverless_resolve_string(s, node, json_string_value(node), 0);
        s->cv.has_error = false; /* best effort: see above */
        out = text ? json_string(text) : json_incref(node);
        free(text);
    } else if (json_is_object(node)) {
        out = json_object();
        const char *k;
        json_t *v;
        json_object_foreach(node, k, v)
            json_object_set_new(out, k, resolve_tree(s, v));
    } else if (json_is_array(node)) {
        out = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(node, i, v)
            json_array_append_new(out, resolve_tree(s, v));
    } else {
        out = json_incref(node);
    }
    return out;
}

/* An environment value as text: variables resolved; CloudFormation intrinsics (Ref, Fn::GetAtt,
 * Fn::Sub, ...) evaluated against `resources`. New string, or NULL with an error. */
static char *environment_value(sls_t *s, const char *name, json_t *v)
{
    json_t *value = NULL;
    if (json_is_string(v)) {
        char *text = wg_config_serverless_resolve_string(s, v, json_string_value(v), 0);
        if (text == NULL)
            return NULL;
        value = json_string(text);
        free(text);
    } else if (json_is_object(v) || json_is_array(v)) {
        if (s->resources == NULL) {
            json_t *r = json_object_get(s->root, "resources");
            s->resources = json_is_object(r) ? resolve_tree(s, r) : json_object();
            if (json_is_object(r))
                wg_config_lines_copy_tree(s->cv.lines, r, s->resources);
        }
        json_t *copy = resolve_tree(s, v);
        wg_config_lines_copy_tree(s->cv.lines, v, copy);
        value = wg_config_cloudformation_eval(s->cv.path, s->resources, s->cv.lines, copy, s->cv.err, s->cv.err_size);
        json_decref(copy);
        if (value == NULL) {
            s->cv.has_error = true;
            return NULL;
        }
    } else {
        value = json_incref(v);
    }
    char buf[64];
    const char *text = json_string_value(value);
    if (json_is_integer(value))
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(value)), text = buf;
    else if (json_is_real(value))
        snprintf(buf, sizeof(buf), "%g", json_real_value(value)), text = buf;
    else if (json_is_boolean(value))
        text = json_is_true(value) ? "true" : "false";
    char *out = text ? wg_config_serverless_dup(text, strlen(text)) : NULL;
    json_decref(value);
    if (out == NULL)
        wg_config_convert_fail(&s->cv, v, "environment.%s must be a single value", name);
    return out;
}

/* A whole-number setting (variables resolved): 1 set, 0 absent, -1 error. */
static int number_setting(sls_t *s, json_t *def, const char *key, json_int_t *out)
{
    json_t *v = setting(s, def, key);
    if (v == NULL)
        return 0;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 1;
    }
    char *text = json_is_string(v) ? wg_config_serverless_resolve_string(s, v, json_string_value(v), 0) : NULL;
    char *end = NULL;
    if (text != NULL)
        *out = strtoll(text, &end, 10);
    int ok = text != NULL && end != text && *end == '\0';
    free(text);
    if (!ok)
        return s->cv.has_error ? -1 : wg_config_convert_fail(&s->cv, v, "%s must be a whole number", key);
    return 1;
}

/* Whether `rel` exists relative to the serverless.yml's directory. */
static int exists_here(sls_t *s, const char *rel)
{
    char *full = NULL;
    const char *slash = strrchr(s->cv.path, '/');
    if (rel[0] == '/' || slash == NULL)
        full = wg_config_serverless_dup(rel, strlen(rel));
    else if (asprintf(&full, "%.*s/%s", (int)(slash - s->cv.path), s->cv.path, rel) < 0)
        abort();
    struct stat st;
    int yes = stat(full, &st) == 0;
    free(full);
    return yes;
}

/*
 * Where function `def`'s code is (relative to the serverless.yml), or NULL when it is not on disk:
 * its (or the provider's) package.artifact when that exists, else the service directory when the
 * handler's file is there: handler "src/handler.connect" is src/handler.js/.mjs/.cjs (Node) or
 * src/handler.py (Python); a custom runtime's handler names its executable ([I] inferred: what
 * `serverless package` would zip from the service directory).
 */
static char *code_path(sls_t *s, json_t *def, const char *runtime, const char *handler)
{
    json_t *package = json_object_get(def, "package");
    json_t *artifact = json_object_get(package, "artifact");
    if (artifact == NULL)
        artifact = json_object_get(json_object_get(json_object_get(s->root, "provider"), "package"), "artifact");
    if (artifact == NULL)
        artifact = json_object_get(json_object_get(s->root, "package"), "artifact");
    if (json_is_string(artifact)) {
        char *a = wg_config_serverless_resolve_string(s, artifact, json_string_value(artifact), 0);
        if (a != NULL && exists_here(s, a))
            return a;
        free(a);
        return NULL;
    }
    if (handler == NULL)
        return NULL;
    const char *dot = strrchr(handler, '.');
    size_t module_len = dot ? (size_t)(dot - handler) : strlen(handler);
    static const char *const node[] = {".js", ".mjs", ".cjs", NULL}, *const python[] = {".py", NULL},
                             *const none[] = {"", NULL};
    const char *const *exts = strncmp(runtime, "nodejs", 6) == 0                                       ? node
                              : strncmp(runtime, "python", 6) == 0                                     ? python
                              : strncmp(runtime, "provided", 8) == 0 || strncmp(runtime, "go", 2) == 0 ? none
                                                                                                       : NULL;
    if (exts == NULL)
        return NULL; /* Java and the rest need a built artifact */
    for (size_t i = 0; exts[i] != NULL; i++) {
        char *file = NULL;
        if (asprintf(&file, "%.*s%s", (int)(exts[i][0] ? module_len : strlen(handler)), handler, exts[i]) < 0)
            abort();
        int found = exists_here(s, file);
        free(file);
        if (found)
            return wg_config_serverless_dup(".", 1);
    }
    return NULL;
}

/* out.functions[name] = {runtime, handler, codeUri, ...} when function `name`'s code is on disk. */
static int convert_function(sls_t *s, const char *name, json_t *def, json_t *functions)
{
    char *runtime = NULL, *handler = NULL, *code = NULL;
    json_t *entry = NULL, *env = NULL, *unresolved = NULL;
    int rc = -1;
    json_t *rt = setting(s, def, "runtime");
    if (json_is_string(rt))
        runtime = wg_config_serverless_resolve_string(s, rt, json_string_value(rt), 0);
    handler = wg_config_serverless_get_string(s, def, "handler");
    if (s->cv.has_error)
        goto out;
    rc = 0;
    if (runtime == NULL || (code = code_path(s, def, runtime, handler)) == NULL)
        goto out; /* not on disk: it stays a function to map with --function */
    rc = -1;
    int line = wg_config_lines_line(s->cv.lines, def);
    entry = json_object();
    wg_config_lines_set(s->cv.lines, entry, line);
    wg_config_convert_put(&s->cv, entry, "runtime", json_string(runtime), wg_config_lines_line(s->cv.lines, rt));
    if (handler != NULL)
        wg_config_convert_put(&s->cv, entry, "handler", json_string(handler),
                              wg_config_convert_key_line(&s->cv, def, "handler"));
    wg_config_convert_put(&s->cv, entry, "codeUri", json_string(code), line);
    static const struct {
        const char *setting, *key;
        json_int_t fallback;
    } numbers[] = {{"timeout", "timeout", SLS_DEFAULT_TIMEOUT_S},
                   {"memorySize", "memorySize", SLS_DEFAULT_MEMORY_MB},
                   {"reservedConcurrency", "reservedConcurrency", 0}};
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        json_int_t n = numbers[i].fallback;
        int got =
            strcmp(numbers[i].setting, "reservedConcurrency") == 0
                ? (json_object_get(def, "reservedConcurrency") ? number_setting(s, def, numbers[i].setting, &n) : 0)
                : number_setting(s, def, numbers[i].setting, &n);
        if (got < 0)
            goto out;
        json_t *where = setting(s, def, numbers[i].setting);
        if (got > 0 || n > 0)
            wg_config_convert_put(&s->cv, entry, numbers[i].key, json_integer(n),
                                  where ? wg_config_lines_line(s->cv.lines, where) : line);
    }
    /* provider.environment, then the function's own over it */
    env = json_object();
    unresolved = json_object();
    json_t *layers[2] = {json_object_get(json_object_get(s->root, "provider"), "environment"),
                         json_object_get(def, "environment")};
    for (size_t i = 0; i < 2; i++) {
        if (layers[i] == NULL)
            continue;
        if (!json_is_object(layers[i])) {
            wg_config_convert_fail(&s->cv, layers[i], "environment must be a mapping of NAME: value");
            goto out;
        }
        const char *k;
        json_t *v;
        json_object_foreach(layers[i], k, v) {
            char *text = environment_value(s, k, v);
            if (text == NULL) {
                /* Not fatal: config_functions.c logs it, and --env-vars can still give the value. */
                json_object_del(env, k);
                json_t *why = json_string(s->cv.err);
                wg_config_convert_put(&s->cv, unresolved, k, why ? why : json_string("cannot be resolved"),
                                      wg_config_convert_key_line(&s->cv, layers[i], k));
                s->cv.has_error = false;
                continue;
            }
            json_object_del(unresolved, k);
            wg_config_convert_put(&s->cv, env, k, json_string(text), wg_config_convert_key_line(&s->cv, layers[i], k));
            free(text);
        }
    }
    if (json_object_size(env) > 0)
        wg_config_convert_put(&s->cv, entry, "environment", json_incref(env), line);
    if (json_object_size(unresolved) > 0)
        wg_config_convert_put(&s->cv, entry, "unresolvedEnvironment", json_incref(unresolved), line);
    wg_config_convert_put(&s->cv, functions, name, json_incref(entry), line);
    rc = 0;
out:
    free(runtime);
    free(handler);
    free(code);
    json_decref(entry);
    json_decref(env);
    json_decref(unresolved);
    return rc;
}

/* The functions the routes and the authorizer name, when their code is on disk. */
int wg_config_serverless_functions(sls_t *s, json_t *functions_def, json_t *out, json_t *routes)
{
    json_t *functions = json_object();
    const char *key;
    json_t *route;
    int rc = 0;
    json_t *names = json_array();
    json_object_foreach(routes, key, route)
        json_array_append(names, json_object_get(route, "function"));
    json_t *af = json_object_get(json_object_get(out, "authorizer"), "function");
    if (af != NULL)
        json_array_append(names, af);
    size_t i;
    json_t *name;
    json_array_foreach(names, i, name) {
        const char *fn = json_string_value(name);
        json_t *def = fn ? json_object_get(functions_def, fn) : NULL;
        if (!json_is_object(def) || json_object_get(functions, fn) != NULL)
            continue;
        if ((rc = convert_function(s, fn, def, functions)) != 0)
            break;
    }
    if (rc == 0 && json_object_size(functions) > 0)
        wg_config_convert_put(&s->cv, out, "functions", json_incref(functions),
                              wg_config_convert_key_line(&s->cv, s->root, "functions"));
    json_decref(names);
    json_decref(functions);
    return rc;
}
