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
 * The functions whose code is on disk become "functions" entries in config_serverless_functions.c.
 */
#include "buf.h"
#include "config_convert.h"
#include "limits.h"
#include "config_serverless_internal.h"

#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLS_DEFAULT_STAGE "dev"
#define SLS_DEFAULT_IDENTITY_SOURCE "route.request.header.Auth"

char *wg_config_serverless_dup(const char *p, size_t n)
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

/* The value of one variable expression (the text between ${ and }), or NULL when it has none. */
static char *resolve_source(sls_t *s, const json_t *at, char *expr, int depth)
{
    expr = trim(expr);
    size_t n = strlen(expr);
    if (n >= 2 && (expr[0] == '\'' || expr[0] == '"') && expr[n - 1] == expr[0])
        return wg_config_serverless_dup(expr + 1, n - 2);
    if (strncmp(expr, "self:", 5) == 0) {
        json_t *node = s->root;
        char *path = wg_config_serverless_dup(expr + 5, strlen(expr + 5)), *save = NULL;
        for (char *part = strtok_r(path, ".", &save); part && node; part = strtok_r(NULL, ".", &save))
            node = json_object_get(node, part);
        free(path);
        if (json_is_string(node))
            return wg_config_serverless_resolve_string(s, node, json_string_value(node), depth + 1);
        if (json_is_integer(node)) {
            char buf[32];
            snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(node));
            return wg_config_serverless_dup(buf, strlen(buf));
        }
        return NULL;
    }
    if (strcmp(expr, "sls:stage") == 0 || strcmp(expr, "self:provider.stage") == 0) {
        json_t *stage = json_object_get(json_object_get(s->root, "provider"), "stage");
        if (json_is_string(stage))
            return wg_config_serverless_resolve_string(s, stage, json_string_value(stage), depth + 1);
        return wg_config_serverless_dup(SLS_DEFAULT_STAGE, strlen(SLS_DEFAULT_STAGE));
    }
    if (strncmp(expr, "opt:", 4) == 0)
        return NULL; /* command-line options of `serverless deploy`: wsgate has none, use the fallback */
    if (strncmp(expr, "env:", 4) == 0) {
        const char *v = getenv(expr + 4);
        return v ? wg_config_serverless_dup(v, strlen(v)) : NULL;
    }
    if (strcmp(expr, "aws:region") == 0) {
        json_t *region = json_object_get(json_object_get(s->root, "provider"), "region");
        return json_is_string(region)
                   ? wg_config_serverless_resolve_string(s, region, json_string_value(region), depth + 1)
                   : wg_config_serverless_dup("us-east-1", 9);
    }
    if (strcmp(expr, "aws:accountId") == 0)
        return wg_config_serverless_dup("123456789012", 12);
    if (strchr(expr, ':') == NULL && strchr(expr, '(') == NULL && *expr != '\0')
        return wg_config_serverless_dup(expr, strlen(expr)); /* a bare fallback such as ${opt:stage, dev} */
    wg_config_convert_fail(&s->cv, at,
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
char *wg_config_serverless_resolve_string(sls_t *s, const json_t *at, const char *text, int depth)
{
    if (depth > WG_LIMIT_SERVERLESS_VARIABLE_DEPTH) {
        wg_config_convert_fail(&s->cv, at, "variables nested more than %d levels (a variable that refers to itself?)",
                               WG_LIMIT_SERVERLESS_VARIABLE_DEPTH);
        return NULL;
    }
    wg_buf_t out = WG_BUF_INIT;
    wg_buf_reserve(&out, strlen(text)); /* "" for an empty text */
    const char *p = text;
    while (*p) {
        const char *open = strstr(p, "${");
        const char *close = open ? find_close(open) : NULL;
        const char *piece = p;
        size_t piece_len = open && close ? (size_t)(open - p) : strlen(p);
        char *value = NULL;
        if (open && close) {
            char *expr = wg_config_serverless_dup(open + 2, (size_t)(close - open - 2));
            char *parts[8];
            size_t n = split_fallbacks(expr, parts, 8);
            for (size_t i = 0; i < n && value == NULL && !s->cv.has_error; i++) {
                char *candidate = trim(parts[i]);
                if (strncmp(candidate, "${", 2) == 0) /* a fallback that is itself a variable */
                    value = wg_config_serverless_resolve_string(s, at, candidate, depth + 1);
                else
                    value = resolve_source(s, at, candidate, depth + 1);
            }
            if (value == NULL && !s->cv.has_error)
                wg_config_convert_fail(&s->cv, at, "cannot resolve ${%.*s} (no value and no fallback)",
                                       (int)(close - open - 2), open + 2);
            free(expr);
            if (value == NULL) {
                wg_buf_free(&out);
                return NULL;
            }
        }
        wg_buf_append(&out, piece, piece_len);
        if (value != NULL) {
            wg_buf_append_str(&out, value);
            free(value);
        }
        p = open && close ? close + 1 : piece + piece_len;
    }
    return wg_buf_take(&out, NULL);
}

/* A string value with variables resolved (NULL if absent; an error if not a string). */
char *wg_config_serverless_get_string(sls_t *s, json_t *object, const char *key)
{
    json_t *v = json_object_get(object, key);
    if (v == NULL)
        return NULL;
    if (!json_is_string(v)) {
        wg_config_convert_fail(&s->cv, v, "%s must be a string", key);
        return NULL;
    }
    return wg_config_serverless_resolve_string(s, v, json_string_value(v), 0);
}

/* The function an authorizer names: a function key, or the function of a Lambda ARN. */
static char *authorizer_function(sls_t *s, json_t *functions, const char *ref)
{
    if (strncmp(ref, "arn:", 4) != 0)
        return wg_config_serverless_dup(ref, strlen(ref));
    const char *fn = strstr(ref, ":function:");
    if (fn == NULL)
        return NULL;
    fn += strlen(":function:");
    char *name = wg_config_serverless_dup(fn, strcspn(fn, ":"));
    /* A function of this service deployed under its `name`: back to its key. */
    const char *key;
    json_t *def;
    json_object_foreach(functions, key, def) {
        char *deployed = wg_config_serverless_get_string(s, def, "name");
        int same = deployed != NULL && strcmp(deployed, name) == 0;
        free(deployed);
        if (same) {
            free(name);
            return wg_config_serverless_dup(key, strlen(key));
        }
    }
    return name;
}

static int convert_authorizer(sls_t *s, json_t *functions, json_t *spec, json_t *out)
{
    char *ref = NULL;
    json_t *identity = NULL;
    if (json_is_string(spec)) {
        ref = wg_config_serverless_resolve_string(s, spec, json_string_value(spec), 0);
    } else if (json_is_object(spec)) {
        ref = wg_config_serverless_get_string(s, spec, "name");
        if (ref == NULL && !s->cv.has_error)
            ref = wg_config_serverless_get_string(s, spec, "arn");
        identity = json_object_get(spec, "identitySource");
    } else {
        return wg_config_convert_fail(&s->cv, spec,
                                      "authorizer must be a function name, an ARN or {name|arn, identitySource}");
    }
    if (ref == NULL)
        return s->cv.has_error ? -1 : wg_config_convert_fail(&s->cv, spec, "authorizer needs a name or an arn");
    char *function = authorizer_function(s, functions, ref);
    free(ref);
    if (function == NULL)
        return wg_config_convert_fail(&s->cv, spec, "authorizer: the ARN must name a Lambda function");
    json_t *auth = json_object();
    wg_config_lines_set(s->cv.lines, auth, wg_config_lines_line(s->cv.lines, spec));
    wg_config_convert_put(&s->cv, auth, "function", json_string(function), wg_config_lines_line(s->cv.lines, spec));
    free(function);
    json_t *sources = json_array();
    if (identity == NULL) {
        json_array_append_new(sources, json_string(SLS_DEFAULT_IDENTITY_SOURCE));
    } else {
        json_t *list = json_is_array(identity) ? identity : NULL;
        size_t n = list ? json_array_size(list) : 1;
        for (size_t i = 0; i < n; i++) {
            json_t *item = list ? json_array_get(list, i) : identity;
            char *v =
                json_is_string(item) ? wg_config_serverless_resolve_string(s, item, json_string_value(item), 0) : NULL;
            if (v == NULL) {
                json_decref(sources);
                json_decref(auth);
                return s->cv.has_error ? -1
                                       : wg_config_convert_fail(&s->cv, item, "identitySource entries must be strings");
            }
            json_t *str = json_string(v);
            wg_config_lines_set(s->cv.lines, str, wg_config_lines_line(s->cv.lines, item));
            json_array_append_new(sources, str);
            free(v);
        }
    }
    wg_config_convert_put(&s->cv, auth, "identitySource", sources,
                          wg_config_convert_key_line(&s->cv, spec, "identitySource"));
    wg_config_convert_put(&s->cv, out, "authorizer", auth, wg_config_lines_line(s->cv.lines, spec));
    return 0;
}

/* One `websocket` event of function `name`. */
static int convert_event(sls_t *s, json_t *functions, const char *name, json_t *ws, json_t *out, json_t *routes)
{
    char *route_key = NULL;
    json_t *spec = json_is_object(ws) ? ws : NULL;
    if (json_is_string(ws))
        route_key = wg_config_serverless_resolve_string(s, ws, json_string_value(ws), 0);
    else if (spec != NULL)
        route_key = wg_config_serverless_get_string(s, spec, "route");
    if (route_key == NULL)
        return s->cv.has_error
                   ? -1
                   : wg_config_convert_fail(&s->cv, ws, "functions.%s: a websocket event needs a route", name);
    int rc = -1;
    int line = wg_config_lines_line(s->cv.lines, ws);
    if (json_object_get(routes, route_key) != NULL) {
        wg_config_convert_fail(&s->cv, ws, "route '%s' is handled by two functions", route_key);
        goto out;
    }
    json_t *route = json_object();
    wg_config_convert_put(&s->cv, routes, route_key, route, line);
    wg_config_convert_put(&s->cv, route, "function", json_string(name), line);
    if (spec != NULL) {
        const char *k;
        json_t *v;
        json_object_foreach(spec, k, v) {
            if (strcmp(k, "route") == 0)
                continue;
            if (strcmp(k, "routeResponseSelectionExpression") == 0) {
                /* Serverless adds the $default route response for any expression given. */
                wg_config_convert_put(&s->cv, route, "twoWay", json_true(),
                                      wg_config_convert_key_line(&s->cv, spec, k));
            } else if (strcmp(k, "authorizer") == 0) {
                if (strcmp(route_key, "$connect") != 0) {
                    wg_config_convert_fail(&s->cv, v, "functions.%s: only the $connect route can have an authorizer",
                                           name);
                    goto out;
                }
                if (json_object_get(out, "authorizer") != NULL) {
                    wg_config_convert_fail(&s->cv, v, "functions.%s: a second authorizer", name);
                    goto out;
                }
                if (convert_authorizer(s, functions, v, out) != 0)
                    goto out;
                wg_config_convert_put(&s->cv, route, "authorizationType", json_string("CUSTOM"),
                                      wg_config_convert_key_line(&s->cv, spec, k));
            } else {
                wg_config_convert_fail(
                    &s->cv, v,
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

bool wg_config_is_serverless(const json_t *root)
{
    return json_is_object(root) && json_object_get(root, "service") != NULL &&
           (json_object_get(root, "provider") != NULL || json_object_get(root, "functions") != NULL);
}

json_t *wg_config_from_serverless(const char *path, json_t *source, wg_config_lines_t *lines, char *err,
                                  size_t err_size)
{
    sls_t s = {.root = source, .cv = {path, lines, err, err_size, false}};
    json_t *out = json_object(), *routes = json_object();
    wg_config_lines_set(lines, out, 1);
    json_t *provider = json_object_get(source, "provider");
    json_t *functions = json_object_get(source, "functions");
    if (provider != NULL && !json_is_object(provider)) {
        wg_config_convert_fail(&s.cv, provider, "provider must be a mapping");
        goto fail;
    }
    if (functions != NULL && !json_is_object(functions)) {
        wg_config_convert_fail(&s.cv, functions, "functions must be a mapping of function name -> definition");
        goto fail;
    }
    char *stage = wg_config_serverless_get_string(&s, provider, "stage");
    wg_config_convert_put(&s.cv, out, "stage", json_string(stage ? stage : SLS_DEFAULT_STAGE),
                          wg_config_convert_key_line(&s.cv, provider, "stage"));
    free(stage);
    char *region = wg_config_serverless_get_string(&s, provider, "region");
    if (region != NULL)
        wg_config_convert_put(&s.cv, out, "region", json_string(region),
                              wg_config_convert_key_line(&s.cv, provider, "region"));
    free(region);
    char *rse = wg_config_serverless_get_string(&s, provider, "websocketsApiRouteSelectionExpression");
    if (rse != NULL)
        wg_config_convert_put(&s.cv, out, "routeSelectionExpression", json_string(rse),
                              wg_config_convert_key_line(&s.cv, provider, "websocketsApiRouteSelectionExpression"));
    free(rse);
    if (s.cv.has_error)
        goto fail;

    const char *name;
    json_t *def;
    json_object_foreach(functions, name, def) {
        json_t *events = json_object_get(def, "events");
        if (!json_is_object(def) || (events != NULL && !json_is_array(events))) {
            wg_config_convert_fail(&s.cv, def, "functions.%s must be a mapping with an events list", name);
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
        wg_config_convert_fail(&s.cv, functions ? functions : source, "no function has a websocket event");
        goto fail;
    }
    wg_config_convert_put(&s.cv, out, "routes", routes, wg_config_convert_key_line(&s.cv, source, "functions"));
    if (wg_config_serverless_functions(&s, functions, out, routes) != 0) {
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
