/*
 * config_serverless.c: a serverless.yml's WebSocket API as wsgate's canonical document.
 *
 * What the Serverless Framework (v3, provider aws) deploys for `websocket` events:
 * - every function with `- websocket: ROUTE` or `- websocket: {route: ROUTE, ...}` events backs
 *   those routes; the route's "function" is the function's key under `functions` (map it with
 *   --function KEY=TARGET);
 * - `routeResponseSelectionExpression: $default` adds the $default route response: twoWay;
 * - `authorizer: NAME | ARN | {name|arn, identitySource}` on $connect is a REQUEST authorizer
 *   backed by function NAME (or the function an ARN names); identitySource defaults to
 *   route.request.header.Auth, as in the Serverless docs; the route gets authorizationType CUSTOM;
 * - provider.websocketsApiRouteSelectionExpression (default $request.body.action),
 *   provider.stage (default dev) and provider.region.
 * Variables: ${self:a.b}, ${sls:stage}, ${opt:stage} / ${opt:region} (wsgate has no CLI options
 * of serverless, so their fallbacks are used), ${env:NAME} and fallbacks `${x, 'literal'}` are
 * resolved in the values read here. Other sources (${ssm:}, ${cf:}, ${file()}) are errors.
 */
#include "config_convert.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SLS_DEFAULT_STAGE "dev"
/* The Serverless Framework's defaults for a function (its AWS provider docs). */
#define SLS_DEFAULT_TIMEOUT_S 6
#define SLS_DEFAULT_MEMORY_MB 1024
#define SLS_DEFAULT_IDENTITY_SOURCE "route.request.header.Auth"
/* Variables nest (${opt:stage, ${self:custom.stage}}); this bounds self-references. */
#define SLS_MAX_DEPTH 16

typedef struct sls {
    const char *path;
    wg_config_lines_t *lines;
    json_t *root;
    json_t *resources; /* `resources` with variables resolved, for intrinsics in environments (owned) */
    char *err;
    size_t err_size;
    int has_error;
} sls_t;

static int sls_fail(sls_t *s, const json_t *node, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int sls_fail(sls_t *s, const json_t *node, const char *fmt, ...)
{
    if (s->has_error)
        return -1;
    s->has_error = 1;
    char msg[600], where[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(s->err, s->err_size, "%s: %s", wg_config_lines_where(s->lines, s->path, node, where, sizeof(where)), msg);
    return -1;
}

static int key_line(sls_t *s, const json_t *object, const char *key)
{
    int line = wg_config_lines_key_line(s->lines, object, key);
    return line > 0 ? line : wg_config_lines_line(s->lines, object);
}

static void put(sls_t *s, json_t *out, const char *key, json_t *value, int line)
{
    json_object_set_new(out, key, value);
    wg_config_lines_set_key(s->lines, out, key, line);
    wg_config_lines_set(s->lines, value, line);
}

static char *dup_text(const char *p, size_t n)
{
    char *d = strndup(p, n);
    if (d == NULL)
        abort();
    return d;
}

/* Trims spaces at both ends in place. */
static char *trim(char *p)
{
    while (*p == ' ')
        p++;
    size_t n = strlen(p);
    while (n > 0 && p[n - 1] == ' ')
        p[--n] = '\0';
    return p;
}

static char *resolve_string(sls_t *s, const json_t *at, const char *text, int depth);

/* The value of one variable expression (the text between ${ and }), or NULL when it has none. */
static char *resolve_source(sls_t *s, const json_t *at, char *expr, int depth)
{
    expr = trim(expr);
    size_t n = strlen(expr);
    if (n >= 2 && (expr[0] == '\'' || expr[0] == '"') && expr[n - 1] == expr[0])
        return dup_text(expr + 1, n - 2);
    if (strncmp(expr, "self:", 5) == 0) {
        json_t *node = s->root;
        char *path = dup_text(expr + 5, strlen(expr + 5)), *save = NULL;
        for (char *part = strtok_r(path, ".", &save); part && node; part = strtok_r(NULL, ".", &save))
            node = json_object_get(node, part);
        free(path);
        if (json_is_string(node))
            return resolve_string(s, node, json_string_value(node), depth + 1);
        if (json_is_integer(node)) {
            char buf[32];
            snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(node));
            return dup_text(buf, strlen(buf));
        }
        return NULL;
    }
    if (strcmp(expr, "sls:stage") == 0 || strcmp(expr, "self:provider.stage") == 0) {
        json_t *stage = json_object_get(json_object_get(s->root, "provider"), "stage");
        if (json_is_string(stage))
            return resolve_string(s, stage, json_string_value(stage), depth + 1);
        return dup_text(SLS_DEFAULT_STAGE, strlen(SLS_DEFAULT_STAGE));
    }
    if (strncmp(expr, "opt:", 4) == 0)
        return NULL; /* command-line options of `serverless deploy`: wsgate has none, use the fallback */
    if (strncmp(expr, "env:", 4) == 0) {
        const char *v = getenv(expr + 4);
        return v ? dup_text(v, strlen(v)) : NULL;
    }
    if (strcmp(expr, "aws:region") == 0) {
        json_t *region = json_object_get(json_object_get(s->root, "provider"), "region");
        return json_is_string(region) ? resolve_string(s, region, json_string_value(region), depth + 1)
                                      : dup_text("us-east-1", 9);
    }
    if (strcmp(expr, "aws:accountId") == 0)
        return dup_text("123456789012", 12);
    if (strchr(expr, ':') == NULL && strchr(expr, '(') == NULL && *expr != '\0')
        return dup_text(expr, strlen(expr)); /* a bare fallback such as ${opt:stage, dev} */
    sls_fail(s, at,
             "variable ${%s} is not supported by wsgate (supported: self:, sls:stage, opt:, env:, "
             "aws:region, aws:accountId, and 'literal' fallbacks)",
             expr);
    return NULL;
}

/* Finds the '}' closing the ${ that starts at p (nested ${} allowed). */
static const char *find_close(const char *p)
{
    int level = 0;
    for (; *p; p++) {
        if (p[0] == '$' && p[1] == '{') {
            level++;
            p++;
        } else if (*p == '}' && --level == 0) {
            return p;
        }
    }
    return NULL;
}

/* Splits "a, b, 'c'" at top-level commas (not inside ${} or quotes). */
static size_t split_fallbacks(char *expr, char **parts, size_t max)
{
    size_t count = 0;
    int level = 0;
    char quote = 0;
    parts[count++] = expr;
    for (char *p = expr; *p; p++) {
        if (quote) {
            if (*p == quote)
                quote = 0;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
        } else if (p[0] == '$' && p[1] == '{') {
            level++;
        } else if (*p == '}') {
            level--;
        } else if (*p == ',' && level == 0 && count < max) {
            *p = '\0';
            parts[count++] = p + 1;
        }
    }
    return count;
}

/* `text` with every ${...} replaced; NULL with an error when one cannot be resolved. */
static char *resolve_string(sls_t *s, const json_t *at, const char *text, int depth)
{
    if (depth > SLS_MAX_DEPTH) {
        sls_fail(s, at, "variables nested more than %d levels (a variable that refers to itself?)", SLS_MAX_DEPTH);
        return NULL;
    }
    size_t cap = strlen(text) + 64, len = 0;
    char *out = malloc(cap);
    if (out == NULL)
        abort();
    const char *p = text;
    while (*p) {
        const char *open = strstr(p, "${");
        const char *close = open ? find_close(open) : NULL;
        const char *piece = p;
        size_t piece_len = open && close ? (size_t)(open - p) : strlen(p);
        char *value = NULL;
        if (open && close) {
            char *expr = dup_text(open + 2, (size_t)(close - open - 2));
            char *parts[8];
            size_t n = split_fallbacks(expr, parts, 8);
            for (size_t i = 0; i < n && value == NULL && !s->has_error; i++) {
                char *candidate = trim(parts[i]);
                if (strncmp(candidate, "${", 2) == 0) /* a fallback that is itself a variable */
                    value = resolve_string(s, at, candidate, depth + 1);
                else
                    value = resolve_source(s, at, candidate, depth + 1);
            }
            if (value == NULL && !s->has_error)
                sls_fail(s, at, "cannot resolve ${%.*s} (no value and no fallback)", (int)(close - open - 2), open + 2);
            free(expr);
            if (value == NULL) {
                free(out);
                return NULL;
            }
        }
        size_t need = len + piece_len + (value ? strlen(value) : 0) + 1;
        if (need > cap) {
            cap = need * 2;
            if ((out = realloc(out, cap)) == NULL)
                abort();
        }
        memcpy(out + len, piece, piece_len);
        len += piece_len;
        if (value != NULL) {
            memcpy(out + len, value, strlen(value));
            len += strlen(value);
            free(value);
        }
        p = open && close ? close + 1 : piece + piece_len;
    }
    out[len] = '\0';
    return out;
}

/* A string value with variables resolved (NULL if absent; an error if not a string). */
static char *get_string(sls_t *s, json_t *object, const char *key)
{
    json_t *v = json_object_get(object, key);
    if (v == NULL)
        return NULL;
    if (!json_is_string(v)) {
        sls_fail(s, v, "%s must be a string", key);
        return NULL;
    }
    return resolve_string(s, v, json_string_value(v), 0);
}

/* The function an authorizer names: a function key, or the function of a Lambda ARN. */
static char *authorizer_function(sls_t *s, json_t *functions, const char *ref)
{
    if (strncmp(ref, "arn:", 4) != 0)
        return dup_text(ref, strlen(ref));
    const char *fn = strstr(ref, ":function:");
    if (fn == NULL)
        return NULL;
    fn += strlen(":function:");
    char *name = dup_text(fn, strcspn(fn, ":"));
    /* A function of this service deployed under its `name`: back to its key. */
    const char *key;
    json_t *def;
    json_object_foreach(functions, key, def) {
        char *deployed = get_string(s, def, "name");
        int same = deployed != NULL && strcmp(deployed, name) == 0;
        free(deployed);
        if (same) {
            free(name);
            return dup_text(key, strlen(key));
        }
    }
    return name;
}

static int convert_authorizer(sls_t *s, json_t *functions, json_t *spec, json_t *out)
{
    char *ref = NULL;
    json_t *identity = NULL;
    if (json_is_string(spec)) {
        ref = resolve_string(s, spec, json_string_value(spec), 0);
    } else if (json_is_object(spec)) {
        ref = get_string(s, spec, "name");
        if (ref == NULL && !s->has_error)
            ref = get_string(s, spec, "arn");
        identity = json_object_get(spec, "identitySource");
    } else {
        return sls_fail(s, spec, "authorizer must be a function name, an ARN or {name|arn, identitySource}");
    }
    if (ref == NULL)
        return s->has_error ? -1 : sls_fail(s, spec, "authorizer needs a name or an arn");
    char *function = authorizer_function(s, functions, ref);
    free(ref);
    if (function == NULL)
        return sls_fail(s, spec, "authorizer: the ARN must name a Lambda function");
    json_t *auth = json_object();
    wg_config_lines_set(s->lines, auth, wg_config_lines_line(s->lines, spec));
    put(s, auth, "function", json_string(function), wg_config_lines_line(s->lines, spec));
    free(function);
    json_t *sources = json_array();
    if (identity == NULL) {
        json_array_append_new(sources, json_string(SLS_DEFAULT_IDENTITY_SOURCE));
    } else {
        json_t *list = json_is_array(identity) ? identity : NULL;
        size_t n = list ? json_array_size(list) : 1;
        for (size_t i = 0; i < n; i++) {
            json_t *item = list ? json_array_get(list, i) : identity;
            char *v = json_is_string(item) ? resolve_string(s, item, json_string_value(item), 0) : NULL;
            if (v == NULL) {
                json_decref(sources);
                json_decref(auth);
                return s->has_error ? -1 : sls_fail(s, item, "identitySource entries must be strings");
            }
            json_t *str = json_string(v);
            wg_config_lines_set(s->lines, str, wg_config_lines_line(s->lines, item));
            json_array_append_new(sources, str);
            free(v);
        }
    }
    put(s, auth, "identitySource", sources, key_line(s, spec, "identitySource"));
    put(s, out, "authorizer", auth, wg_config_lines_line(s->lines, spec));
    return 0;
}

/* One `websocket` event of function `name`. */
static int convert_event(sls_t *s, json_t *functions, const char *name, json_t *ws, json_t *out, json_t *routes)
{
    char *route_key = NULL;
    json_t *spec = json_is_object(ws) ? ws : NULL;
    if (json_is_string(ws))
        route_key = resolve_string(s, ws, json_string_value(ws), 0);
    else if (spec != NULL)
        route_key = get_string(s, spec, "route");
    if (route_key == NULL)
        return s->has_error ? -1 : sls_fail(s, ws, "functions.%s: a websocket event needs a route", name);
    int rc = -1;
    int line = wg_config_lines_line(s->lines, ws);
    if (json_object_get(routes, route_key) != NULL) {
        sls_fail(s, ws, "route '%s' is handled by two functions", route_key);
        goto out;
    }
    json_t *route = json_object();
    put(s, routes, route_key, route, line);
    put(s, route, "function", json_string(name), line);
    if (spec != NULL) {
        const char *k;
        json_t *v;
        json_object_foreach(spec, k, v) {
            if (strcmp(k, "route") == 0)
                continue;
            if (strcmp(k, "routeResponseSelectionExpression") == 0) {
                /* Serverless adds the $default route response for any expression given. */
                put(s, route, "twoWay", json_true(), key_line(s, spec, k));
            } else if (strcmp(k, "authorizer") == 0) {
                if (strcmp(route_key, "$connect") != 0) {
                    sls_fail(s, v, "functions.%s: only the $connect route can have an authorizer", name);
                    goto out;
                }
                if (json_object_get(out, "authorizer") != NULL) {
                    sls_fail(s, v, "functions.%s: a second authorizer", name);
                    goto out;
                }
                if (convert_authorizer(s, functions, v, out) != 0)
                    goto out;
                put(s, route, "authorizationType", json_string("CUSTOM"), key_line(s, spec, k));
            } else {
                sls_fail(s, v,
                         "functions.%s: websocket event key '%s' is not supported by wsgate (supported: route, "
                         "routeResponseSelectionExpression, authorizer)",
                         name, k);
                goto out;
            }
        }
    }
    rc = 0;
out:
    free(route_key);
    return rc;
}

/* ---- functions whose code is on disk (config.h wg_function_code_t, run by functions.c) -------- */

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
        char *text = resolve_string(s, node, json_string_value(node), 0);
        s->has_error = 0; /* best effort: see above */
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
        char *text = resolve_string(s, v, json_string_value(v), 0);
        if (text == NULL)
            return NULL;
        value = json_string(text);
        free(text);
    } else if (json_is_object(v) || json_is_array(v)) {
        if (s->resources == NULL) {
            json_t *r = json_object_get(s->root, "resources");
            s->resources = json_is_object(r) ? resolve_tree(s, r) : json_object();
            if (json_is_object(r))
                wg_config_lines_copy_tree(s->lines, r, s->resources);
        }
        json_t *copy = resolve_tree(s, v);
        wg_config_lines_copy_tree(s->lines, v, copy);
        value = wg_config_cloudformation_eval(s->path, s->resources, s->lines, copy, s->err, s->err_size);
        json_decref(copy);
        if (value == NULL) {
            s->has_error = 1;
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
    char *out = text ? dup_text(text, strlen(text)) : NULL;
    json_decref(value);
    if (out == NULL)
        sls_fail(s, v, "environment.%s must be a single value", name);
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
    char *text = json_is_string(v) ? resolve_string(s, v, json_string_value(v), 0) : NULL;
    char *end = NULL;
    if (text != NULL)
        *out = strtoll(text, &end, 10);
    int ok = text != NULL && end != text && *end == '\0';
    free(text);
    if (!ok)
        return s->has_error ? -1 : sls_fail(s, v, "%s must be a whole number", key);
    return 1;
}

/* Whether `rel` exists relative to the serverless.yml's directory. */
static int exists_here(sls_t *s, const char *rel)
{
    char *full = NULL;
    const char *slash = strrchr(s->path, '/');
    if (rel[0] == '/' || slash == NULL)
        full = dup_text(rel, strlen(rel));
    else if (asprintf(&full, "%.*s/%s", (int)(slash - s->path), s->path, rel) < 0)
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
        char *a = resolve_string(s, artifact, json_string_value(artifact), 0);
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
            return dup_text(".", 1);
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
        runtime = resolve_string(s, rt, json_string_value(rt), 0);
    handler = get_string(s, def, "handler");
    if (s->has_error)
        goto out;
    rc = 0;
    if (runtime == NULL || (code = code_path(s, def, runtime, handler)) == NULL)
        goto out; /* not on disk: it stays a function to map with --function */
    rc = -1;
    int line = wg_config_lines_line(s->lines, def);
    entry = json_object();
    wg_config_lines_set(s->lines, entry, line);
    put(s, entry, "runtime", json_string(runtime), wg_config_lines_line(s->lines, rt));
    if (handler != NULL)
        put(s, entry, "handler", json_string(handler), key_line(s, def, "handler"));
    put(s, entry, "codeUri", json_string(code), line);
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
            put(s, entry, numbers[i].key, json_integer(n), where ? wg_config_lines_line(s->lines, where) : line);
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
            sls_fail(s, layers[i], "environment must be a mapping of NAME: value");
            goto out;
        }
        const char *k;
        json_t *v;
        json_object_foreach(layers[i], k, v) {
            char *text = environment_value(s, k, v);
            if (text == NULL) {
                /* Not fatal: config.c logs it, and --env-vars can still give the value. */
                json_object_del(env, k);
                json_t *why = json_string(s->err);
                put(s, unresolved, k, why ? why : json_string("cannot be resolved"), key_line(s, layers[i], k));
                s->has_error = 0;
                continue;
            }
            json_object_del(unresolved, k);
            put(s, env, k, json_string(text), key_line(s, layers[i], k));
            free(text);
        }
    }
    if (json_object_size(env) > 0)
        put(s, entry, "environment", json_incref(env), line);
    if (json_object_size(unresolved) > 0)
        put(s, entry, "unresolvedEnvironment", json_incref(unresolved), line);
    put(s, functions, name, json_incref(entry), line);
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
static int convert_functions(sls_t *s, json_t *functions_def, json_t *out, json_t *routes)
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
        put(s, out, "functions", json_incref(functions), key_line(s, s->root, "functions"));
    json_decref(names);
    json_decref(functions);
    return rc;
}

int wg_config_is_serverless(const json_t *root)
{
    return json_is_object(root) && json_object_get(root, "service") != NULL &&
           (json_object_get(root, "provider") != NULL || json_object_get(root, "functions") != NULL);
}

json_t *wg_config_from_serverless(const char *path, json_t *source, wg_config_lines_t *lines, char *err,
                                  size_t err_size)
{
    sls_t s = {.path = path, .lines = lines, .root = source, .err = err, .err_size = err_size};
    json_t *out = json_object(), *routes = json_object();
    wg_config_lines_set(lines, out, 1);
    json_t *provider = json_object_get(source, "provider");
    json_t *functions = json_object_get(source, "functions");
    if (provider != NULL && !json_is_object(provider)) {
        sls_fail(&s, provider, "provider must be a mapping");
        goto fail;
    }
    if (functions != NULL && !json_is_object(functions)) {
        sls_fail(&s, functions, "functions must be a mapping of function name -> definition");
        goto fail;
    }
    char *stage = get_string(&s, provider, "stage");
    put(&s, out, "stage", json_string(stage ? stage : SLS_DEFAULT_STAGE), key_line(&s, provider, "stage"));
    free(stage);
    char *region = get_string(&s, provider, "region");
    if (region != NULL)
        put(&s, out, "region", json_string(region), key_line(&s, provider, "region"));
    free(region);
    char *rse = get_string(&s, provider, "websocketsApiRouteSelectionExpression");
    if (rse != NULL)
        put(&s, out, "routeSelectionExpression", json_string(rse),
            key_line(&s, provider, "websocketsApiRouteSelectionExpression"));
    free(rse);
    if (s.has_error)
        goto fail;

    const char *name;
    json_t *def;
    json_object_foreach(functions, name, def) {
        json_t *events = json_object_get(def, "events");
        if (!json_is_object(def) || (events != NULL && !json_is_array(events))) {
            sls_fail(&s, def, "functions.%s must be a mapping with an events list", name);
            goto fail;
        }
        size_t i;
        json_t *event;
        json_array_foreach(events, i, event) {
            json_t *ws = json_object_get(event, "websocket");
            if (ws != NULL && convert_event(&s, functions, name, ws, out, routes) != 0)
                goto fail;
        }
    }
    if (json_object_size(routes) == 0) {
        sls_fail(&s, functions ? functions : source, "no function has a websocket event");
        goto fail;
    }
    put(&s, out, "routes", routes, key_line(&s, source, "functions"));
    if (convert_functions(&s, functions, out, routes) != 0) {
        json_decref(s.resources);
        json_decref(out);
        return NULL;
    }
    json_decref(s.resources);
    return out;
fail:
    json_decref(s.resources);
    json_decref(routes);
    json_decref(out);
    return NULL;
}
