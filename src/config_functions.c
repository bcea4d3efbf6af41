/*
 * config_functions.c: where each function runs: "functions" entries and --function NAME=TARGET
 * (an HTTP handler given the Lambda proxy event, the Lambda Invoke API, or code wsgate runs
 * itself: wg_function_code_t, run by functions.c), and SAM CLI's --env-vars file applied to the
 * functions wsgate runs.
 *
 * Later definitions win (--function over the file); --env-vars follows SAM CLI's order.
 */
#include "config.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_document.h"
#include "config_internal.h"
#include "limits.h"
#include "log.h"
#include "str.h"

wg_function_target_t *wg_config_find_function(const wg_config_t *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->num_functions; i++)
        if (strcmp(cfg->functions[i].name, name) == 0)
            return &cfg->functions[i];
    return NULL;
}

static void free_function_code(wg_function_code_t *code);

static void free_function(wg_function_target_t *f)
{
    free(f->name);
    free(f->uri);
    free(f->function);
    free_function_code(f->code);
    memset(f, 0, sizeof(*f));
}

const wg_function_target_t *wg_config_function_target(const wg_config_t *cfg, const char *name)
{
    return wg_config_find_function(cfg, name);
}

/* Adds or replaces `name` (later definitions win: --function over the file). Takes uri/function. */
static void put_function(wg_config_t *cfg, const char *name, wg_integration_type_t type, char *uri, char *function)
{
    wg_function_target_t *f = wg_config_find_function(cfg, name);
    if (f == NULL) {
        cfg->functions = realloc(cfg->functions, (cfg->num_functions + 1) * sizeof(*cfg->functions));
        if (cfg->functions == NULL)
            abort();
        f = &cfg->functions[cfg->num_functions++];
        memset(f, 0, sizeof(*f));
    } else {
        free_function(f);
    }
    f->name = wg_str_dup(name);
    f->type = type;
    f->uri = uri;
    f->function = function != NULL ? function : (type == WG_INTEGRATION_LAMBDA ? wg_str_dup(name) : NULL);
}

/* TARGET of --function / a "functions" string: an http(s) URL, or lambda:http://host:port[/name]. */
int wg_config_parse_function_target(wg_config_t *cfg, const char *name, const char *target, char *why, size_t why_size)
{
    if (wg_config_is_http_url(target)) {
        put_function(cfg, name, WG_INTEGRATION_HTTP, wg_str_dup(target), NULL);
        return 0;
    }
    if (strncmp(target, "lambda:", 7) == 0 && wg_config_is_http_url(target + 7)) {
        /* libcurl reads the URL (PATH_AS_IS: the name is taken as written); one that it cannot
         * read gets the message below, as one without http(s):// does. */
        CURLU *url = curl_url();
        char *path = NULL, *query = NULL, *origin = NULL;
        if (url == NULL)
            abort();
        if (curl_url_set(url, CURLUPART_URL, target + 7, CURLU_PATH_AS_IS) == CURLUE_OK &&
            curl_url_get(url, CURLUPART_PATH, &path, 0) == CURLUE_OK) {
            CURLUcode has_query = curl_url_get(url, CURLUPART_QUERY, &query, 0);
            const char *fn = path[0] == '/' ? path + 1 : path;
            size_t fn_len = strlen(fn);
            while (fn_len > 0 && fn[fn_len - 1] == '/')
                fn_len--;
            if (memchr(fn, '/', fn_len) != NULL || (fn_len > 0 && has_query == CURLUE_OK)) {
                snprintf(why, why_size,
                         "'%s': after lambda:http://host:port only one path segment (the function "
                         "name) may follow",
                         target);
                curl_free(path);
                curl_free(query);
                curl_url_cleanup(url);
                return -1;
            }
            char *function = fn_len > 0 ? strndup(fn, fn_len) : NULL;
            if (fn_len > 0 && function == NULL)
                abort();
            /* the endpoint: scheme://host:port (wg_integration_lambda_prepare adds the Invoke path) */
            if (curl_url_set(url, CURLUPART_PATH, "/", 0) != CURLUE_OK ||
                curl_url_set(url, CURLUPART_QUERY, NULL, 0) != CURLUE_OK ||
                curl_url_set(url, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK ||
                curl_url_get(url, CURLUPART_URL, &origin, 0) != CURLUE_OK)
                abort(); /* only out of memory: the URL was read above */
            size_t origin_len = strlen(origin);
            if (origin_len > 0 && origin[origin_len - 1] == '/')
                origin_len--;
            char *uri = strndup(origin, origin_len);
            if (uri == NULL)
                abort();
            curl_free(origin);
            curl_free(path);
            curl_free(query);
            curl_url_cleanup(url);
            put_function(cfg, name, WG_INTEGRATION_LAMBDA, uri, function);
            return 0;
        }
        curl_free(path);
        curl_url_cleanup(url);
    }
    snprintf(why, why_size,
             "'%s' must be an http(s):// URL (an HTTP handler receiving the Lambda proxy event) or "
             "lambda:http://HOST:PORT[/FUNCTION] (the Lambda Invoke API, e.g. aws-lambda-rie)",
             target);
    return -1;
}

/* ---- functions wsgate runs itself (contract 2: config.h wg_function_code_t) ------------------ */

static void free_function_code(wg_function_code_t *code)
{
    if (code == NULL)
        return;
    free(code->runtime);
    free(code->handler);
    free(code->code_path);
    for (size_t i = 0; i < code->num_env; i++) {
        free(code->env[i].key);
        free(code->env[i].value);
    }
    free(code->env);
    free(code);
}

/* env[key] = value: replaces the value of a key already there, else appends (order kept). */
static void set_function_env(wg_function_code_t *code, const char *key, const char *value)
{
    for (size_t i = 0; i < code->num_env; i++) {
        if (strcmp(code->env[i].key, key) == 0) {
            wg_config_set_string(&code->env[i].value, value);
            return;
        }
    }
    code->env = realloc(code->env, (code->num_env + 1) * sizeof(*code->env));
    if (code->env == NULL)
        abort();
    code->env[code->num_env].key = wg_str_dup(key);
    code->env[code->num_env].value = wg_str_dup(value);
    code->num_env++;
}

/* `path` as an absolute path: a relative one is relative to the directory of `base_file` (the
 * config file, itself maybe relative to the working directory). Symbolic links and ".." are
 * resolved when the path exists, so the runtime watches the real files. New string. */
static char *absolute_path(const char *base_file, const char *path)
{
    char *joined = NULL;
    if (path[0] == '/') {
        joined = wg_str_dup(path);
    } else {
        const char *slash = base_file ? strrchr(base_file, '/') : NULL;
        int dir_len = slash == NULL ? 1 : slash == base_file ? 1 : (int)(slash - base_file);
        const char *dir = slash == NULL ? "." : base_file;
        char cwd[4096] = ".";
        if (dir[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL)
            snprintf(cwd, sizeof(cwd), "."); /* a working directory that is gone: the path stays relative */
        if (asprintf(&joined, "%s%s%.*s/%s", dir[0] == '/' ? "" : cwd, dir[0] == '/' ? "" : "/", dir_len, dir, path) <
            0)
            abort();
    }
    char *real = realpath(joined, NULL);
    if (real == NULL)
        return joined;
    free(joined);
    return real;
}

static bool is_provided_runtime(const char *runtime)
{
    return strncmp(runtime, "provided", 8) == 0;
}

/* A "functions" entry with "runtime": code wsgate runs itself. */
static int load_function_code(wg_config_t *cfg, const wg_config_document_t *doc, const char *name, json_t *spec,
                              char *err, size_t err_size)
{
    char where_buf[512];
    wg_function_code_t *code = calloc(1, sizeof(*code));
    if (code == NULL)
        abort();
    code->timeout_s = WG_LIMIT_FUNCTION_TIMEOUT_S_DEFAULT;
    code->memory_mb = WG_LIMIT_FUNCTION_MEMORY_MB_DEFAULT;
    int rc = WG_CONFIG_ERROR;
    const char *k;
    json_t *v;
    long long n;
    json_object_foreach(spec, k, v) {
        char what[200];
        snprintf(what, sizeof(what), "functions.%s.%s", name, k);
        if (strcmp(k, "runtime") == 0 || strcmp(k, "handler") == 0 || strcmp(k, "codeUri") == 0) {
            if (wg_config_want_string(doc, what, v, err, err_size))
                goto out;
            if (json_string_length(v) == 0) {
                DOC_FAIL(v, "%s must not be empty", what);
                goto out;
            }
            if (strcmp(k, "runtime") == 0)
                wg_config_set_string(&code->runtime, json_string_value(v));
            else if (strcmp(k, "handler") == 0)
                wg_config_set_string(&code->handler, json_string_value(v));
            else {
                free(code->code_path);
                code->code_path = absolute_path(doc->path, json_string_value(v));
            }
        } else if (strcmp(k, "timeout") == 0) {
            if (wg_config_want_int(doc, what, v, 1, WG_LIMIT_FUNCTION_TIMEOUT_S_MAX, &n, err, err_size))
                goto out;
            code->timeout_s = (uint32_t)n;
        } else if (strcmp(k, "memorySize") == 0) {
            if (wg_config_want_int(doc, what, v, WG_LIMIT_FUNCTION_MEMORY_MB_MIN, WG_LIMIT_FUNCTION_MEMORY_MB_MAX, &n,
                                   err, err_size))
                goto out;
            code->memory_mb = (uint32_t)n;
        } else if (strcmp(k, "reservedConcurrency") == 0) {
            if (wg_config_want_int(doc, what, v, 1, WG_LIMIT_FUNCTION_CONCURRENCY_MAX, &n, err, err_size))
                goto out;
            code->reserved_concurrency = (uint32_t)n;
        } else if (strcmp(k, "environment") == 0) {
            if (!json_is_object(v)) {
                DOC_FAIL(v, "%s must be an object of NAME -> string", what);
                goto out;
            }
            const char *ek;
            json_t *ev;
            json_object_foreach(v, ek, ev) {
                if (*ek == '\0' || strchr(ek, '=') != NULL) {
                    DOC_FAIL(ev, "%s: '%s' is not an environment variable name", what, ek);
                    goto out;
                }
                if (!json_is_string(ev)) {
                    DOC_FAIL(ev, "%s.%s must be a string", what, ek);
                    goto out;
                }
                set_function_env(code, ek, json_string_value(ev));
            }
        } else if (strcmp(k, "functionName") == 0) {
            if (wg_config_want_string(doc, what, v, err, err_size))
                goto out;
            cfg->function_names =
                realloc(cfg->function_names, (cfg->num_function_names + 1) * sizeof(*cfg->function_names));
            if (cfg->function_names == NULL)
                abort();
            cfg->function_names[cfg->num_function_names].key = wg_str_dup(json_string_value(v));
            cfg->function_names[cfg->num_function_names].value = wg_str_dup(name);
            cfg->num_function_names++;
        } else if (strcmp(k, "unresolvedEnvironment") == 0 && json_is_object(v)) {
            /* written by the template readers: variables whose value a template could not give */
            const char *ek;
            json_t *why;
            json_object_foreach(v, ek, why) {
                wg_log_warn("function %s: environment variable %s has no value from the template (%s); it is unset "
                            "unless --env-vars gives it",
                            name, ek, json_is_string(why) ? json_string_value(why) : "?");
            }
        } else {
            DOC_FAIL(v,
                     "unknown key '%s' (a function wsgate runs has runtime, handler, codeUri, timeout, memorySize, "
                     "reservedConcurrency, environment, functionName)",
                     what);
            goto out;
        }
    }
    if (code->code_path == NULL) {
        DOC_FAIL(spec, "functions.%s needs \"codeUri\": the directory (or .jar/.zip) of its code", name);
        goto out;
    }
    if (code->handler == NULL && is_provided_runtime(code->runtime))
        code->handler = wg_str_dup("bootstrap"); /* [I] inferred: custom runtimes ignore the handler */
    if (code->handler == NULL) {
        DOC_FAIL(spec, "functions.%s needs \"handler\" (e.g. \"app.handler\")", name);
        goto out;
    }
    struct stat st;
    if (stat(code->code_path, &st) != 0) {
        DOC_FAIL(json_object_get(spec, "codeUri"), "functions.%s.codeUri: %s: %s", name, code->code_path,
                 strerror(errno));
        goto out;
    }
    put_function(cfg, name, WG_INTEGRATION_FUNCTION, NULL, NULL);
    wg_config_find_function(cfg, name)->code = code;
    code = NULL;
    rc = WG_CONFIG_OK;
out:
    free_function_code(code);
    return rc;
}

int wg_config_load_functions(wg_config_t *cfg, const wg_config_document_t *doc, json_t *v, char *err, size_t err_size)
{
    char where_buf[512];
    if (!json_is_object(v))
        return DOC_FAIL(v, "key 'functions' must be an object of function name -> target");
    const char *name;
    json_t *spec;
    json_object_foreach(v, name, spec) {
        if (*name == '\0')
            return DOC_FAIL(spec, "functions: names must not be empty");
        if (json_is_string(spec)) {
            char why[512];
            if (wg_config_parse_function_target(cfg, name, json_string_value(spec), why, sizeof(why)) != 0)
                return DOC_FAIL(spec, "functions.%s: %s", name, why);
            continue;
        }
        if (!json_is_object(spec))
            return DOC_FAIL(spec,
                            "functions.%s must be a URL string, {\"integration\": \"lambda\", \"uri\": ..., "
                            "\"function\": ...} or {\"runtime\": ..., \"handler\": ..., \"codeUri\": ...}",
                            name);
        if (json_object_get(spec, "runtime") != NULL) {
            if (load_function_code(cfg, doc, name, spec, err, err_size))
                return WG_CONFIG_ERROR;
            continue;
        }
        wg_integration_type_t type = WG_INTEGRATION_HTTP;
        const char *uri = NULL, *function = NULL;
        const char *k;
        json_t *fv;
        json_object_foreach(spec, k, fv) {
            char what[200];
            snprintf(what, sizeof(what), "functions.%s.%s", name, k);
            if (strcmp(k, "integration") == 0) {
                if (wg_config_want_string(doc, what, fv, err, err_size))
                    return WG_CONFIG_ERROR;
                if (wg_config_parse_integration_type(json_string_value(fv), &type) != 0 ||
                    (type != WG_INTEGRATION_HTTP && type != WG_INTEGRATION_LAMBDA))
                    return DOC_FAIL(fv, "%s must be http or lambda", what);
            } else if (strcmp(k, "uri") == 0) {
                if (wg_config_want_string(doc, what, fv, err, err_size))
                    return WG_CONFIG_ERROR;
                uri = json_string_value(fv);
            } else if (strcmp(k, "function") == 0) {
                if (wg_config_want_string(doc, what, fv, err, err_size))
                    return WG_CONFIG_ERROR;
                function = json_string_value(fv);
            } else {
                return DOC_FAIL(fv, "unknown key '%s' (expected integration, uri, function)", what);
            }
        }
        if (uri == NULL || !wg_config_is_http_url(uri))
            return DOC_FAIL(spec, "functions.%s needs a \"uri\" starting with http:// or https://", name);
        if (function != NULL && type != WG_INTEGRATION_LAMBDA)
            return DOC_FAIL(spec, "functions.%s.function needs \"integration\": \"lambda\"", name);
        put_function(cfg, name, type, wg_str_dup(uri), function != NULL && *function ? wg_str_dup(function) : NULL);
    }
    return WG_CONFIG_OK;
}

/* Sets every variable of `vars` (an --env-vars object) on `code`; numbers and booleans as text. */
static int apply_env_object(wg_function_code_t *code, const char *path, const char *owner, json_t *vars, char *err,
                            size_t err_size)
{
    const char *k;
    json_t *v;
    json_object_foreach(vars, k, v) {
        char number[64];
        const char *text = json_string_value(v);
        if (json_is_integer(v))
            snprintf(number, sizeof(number), "%" JSON_INTEGER_FORMAT, json_integer_value(v)), text = number;
        else if (json_is_real(v))
            snprintf(number, sizeof(number), "%.17g", json_real_value(v)), text = number;
        else if (json_is_boolean(v))
            text = json_is_true(v) ? "true" : "false";
        if (text == NULL)
            return wg_str_fail(err, err_size, "--env-vars %s: %s.%s must be a string", path, owner, k);
        if (*k == '\0' || strchr(k, '=') != NULL)
            return wg_str_fail(err, err_size, "--env-vars %s: %s: '%s' is not an environment variable name", path,
                               owner, k);
        set_function_env(code, k, text);
    }
    return WG_CONFIG_OK;
}

/* Whether `name` is a FUNCTION target's deployed FunctionName. */
static bool is_function_name(const wg_config_t *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->num_function_names; i++)
        if (strcmp(cfg->function_names[i].key, name) == 0)
            return 1;
    return 0;
}

/*
 * --env-vars FILE, SAM CLI's format: {"Parameters": {...}, "<function>": {...}}. "Parameters" goes
 * to every function wsgate runs, a function's own object over it. Unlike SAM, variables the
 * template does not declare are added (AWS_ENDPOINT_URL_DYNAMODB and the like). A name that is no
 * function wsgate runs is logged and skipped, as SAM skips it.
 */
int wg_config_apply_env_vars(wg_config_t *cfg, const char *path, char *err, size_t err_size)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return wg_str_fail(err, err_size, "--env-vars %s: %s", path, strerror(errno));
    if (st.st_size > WG_LIMIT_CONFIG_BYTES)
        return wg_str_fail(err, err_size, "--env-vars %s: larger than %d bytes", path, WG_LIMIT_CONFIG_BYTES);
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return wg_str_fail(err, err_size, "--env-vars %s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
    int rc = WG_CONFIG_ERROR;
    if (!json_is_object(root)) {
        wg_str_fail(err, err_size, "--env-vars %s: expected {\"Parameters\": {...}, \"FunctionName\": {...}}", path);
        goto out;
    }
    const char *name;
    json_t *vars;
    json_object_foreach(root, name, vars) {
        if (!json_is_object(vars)) {
            wg_str_fail(err, err_size, "--env-vars %s: %s must be an object of NAME: value", path, name);
            goto out;
        }
    }
    json_t *common = json_object_get(root, "Parameters");
    for (size_t i = 0; common != NULL && i < cfg->num_functions; i++)
        if (cfg->functions[i].code != NULL &&
            apply_env_object(cfg->functions[i].code, path, "Parameters", common, err, err_size) != WG_CONFIG_OK)
            goto out;
    /* A function by its FunctionName, then by its logical ID (SAM CLI's order: the ID wins). */
    for (int by_id = 0; by_id <= 1; by_id++) {
        json_object_foreach(root, name, vars) {
            if (strcmp(name, "Parameters") == 0)
                continue;
            const char *target = name;
            for (size_t i = 0; !by_id && i < cfg->num_function_names; i++)
                if (strcmp(cfg->function_names[i].key, name) == 0)
                    target = cfg->function_names[i].value;
            if (!by_id && target == name)
                continue;
            wg_function_target_t *f = wg_config_find_function(cfg, target);
            if (f == NULL || f->code == NULL) {
                if (by_id && !is_function_name(cfg, name))
                    wg_log_warn("--env-vars %s: '%s' is not a function wsgate runs: its variables are not used", path,
                                name);
                continue;
            }
            if (apply_env_object(f->code, path, name, vars, err, err_size) != WG_CONFIG_OK)
                goto out;
        }
    }
    rc = WG_CONFIG_OK;
out:
    json_decref(root);
    return rc;
}

void wg_config_free_functions(wg_config_t *cfg)
{
    for (size_t i = 0; i < cfg->num_functions; i++)
        free_function(&cfg->functions[i]);
    free(cfg->functions);
    cfg->functions = NULL;
    cfg->num_functions = 0;
    for (size_t i = 0; i < cfg->num_function_names; i++) {
        free(cfg->function_names[i].key);
        free(cfg->function_names[i].value);
    }
    free(cfg->function_names);
    cfg->function_names = NULL;
    cfg->num_function_names = 0;
}
