/*
 * functions.c: the functions subsystem (see functions.h): start-up (runtimes directory,
 * interpreters, the functions' credentials, the Runtime API, the code watches), wg_functions_invoke
 * queueing an event on its function's pool, and shutdown.
 *
 * The life of an event: wg_functions_invoke queues it on its function's pool; the pool
 * (functions_pool.c) hands it to a process waiting in GET /runtime/invocation/next (warm), or
 * starts a process (cold) if the pool is under its cap; the process answers with /response or
 * /error, or exits, or runs past the Timeout (functions_invocation.c; then it is killed: Lambda
 * resets the execution environment after a timeout). Logs: functions_logs.c; hot reload:
 * functions_reload.c.
 *
 * What Lambda does, reproduced here (Lambda developer guide: runtime API, execution environment):
 * a missing function is ResourceNotFoundException; the functions get AWS_ACCESS_KEY_ID/SECRET/
 * SESSION_TOKEN (here: keys the management API accepts).
 */
#include "functions_internal.h"

#include <stdbool.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "clock.h"
#include "limits.h"
#include "log.h"

#ifndef WSGATE_SOURCE_DIR
#define WSGATE_SOURCE_DIR "."
#endif

/* ---- runtimes and interpreters -------------------------------------------------------------- */

static bool has_bootstraps(const char *dir)
{
    char path[PATH_MAX + 128];
    snprintf(path, sizeof(path), "%s/node/bootstrap.cjs", dir);
    return access(path, R_OK) == 0;
}

char *wg_functions_runtimes_dir(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            char cand[PATH_MAX + 64];
            snprintf(cand, sizeof(cand), "%s/../share/wsgate/runtimes", exe); /* installed */
            if (has_bootstraps(cand))
                return realpath(cand, NULL);
            snprintf(cand, sizeof(cand), "%s/runtimes", exe); /* beside the binary (unpacked archive) */
            if (has_bootstraps(cand))
                return realpath(cand, NULL);
        }
    }
    if (has_bootstraps(WSGATE_SOURCE_DIR "/runtimes")) /* a build tree */
        return realpath(WSGATE_SOURCE_DIR "/runtimes", NULL);
    return NULL;
}

/* `name` found in PATH (or itself when it has a '/'), as a new string, or NULL. */
static char *find_in_path(const char *name)
{
    if (strchr(name, '/') != NULL)
        return access(name, X_OK) == 0 ? strdup(name) : NULL;
    const char *path = getenv("PATH");
    if (path == NULL)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t len = strcspn(path, ":");
        char cand[PATH_MAX];
        snprintf(cand, sizeof(cand), "%.*s/%s", (int)len, len ? path : ".", name);
        struct stat st;
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
            return strdup(cand);
        path += len;
        if (*path == ':')
            path++;
    }
    return NULL;
}

/* The interpreter for a runtime: --runtime NAME=PATH, else from PATH (python3.12 → python3.12,
 * then python3). Returns 0, or -1 with the start-up error. */
static int resolve_interpreter(wg_functions_t *fns, pool_t *pool, char *err, size_t err_size)
{
    const char *runtime = pool->code->runtime;
    wg_runtime_kind_t kind = wg_runtime_kind(runtime);
    if (kind == WG_RUNTIME_UNKNOWN) {
        snprintf(err, err_size,
                 "function %s: runtime '%s' is not one wsgate runs (nodejs*, python3.*, java*, "
                 "provided*, go1.x)",
                 pool->name, runtime ? runtime : "(none)");
        return -1;
    }
    if (kind == WG_RUNTIME_PROVIDED)
        return 0;
    for (size_t i = 0; i < fns->cfg->num_runtime_overrides; i++) {
        const wg_string_pair_t *o = &fns->cfg->runtime_overrides[i];
        if (strcmp(o->key, runtime) == 0) {
            pool->interpreter = find_in_path(o->value);
            if (pool->interpreter == NULL) {
                snprintf(err, err_size, "function %s (%s): --runtime %s=%s: not an executable", pool->name, runtime,
                         o->key, o->value);
                return -1;
            }
            return 0;
        }
    }
    const char *what = kind == WG_RUNTIME_NODE ? "node" : kind == WG_RUNTIME_JAVA ? "java" : runtime;
    pool->interpreter = find_in_path(what);
    if (pool->interpreter == NULL && kind == WG_RUNTIME_PYTHON)
        pool->interpreter = find_in_path("python3");
    if (pool->interpreter == NULL) {
        snprintf(err, err_size,
                 "function %s (%s): no '%s' on PATH; install it or choose one with --runtime %s=/path/to/%s",
                 pool->name, runtime, what, runtime, kind == WG_RUNTIME_PYTHON ? "python3" : what);
        return -1;
    }
    if (kind == WG_RUNTIME_JAVA) {
        char dir[PATH_MAX + 16];
        snprintf(dir, sizeof(dir), "%s/java/lib", fns->runtimes_dir);
        DIR *d = opendir(dir);
        int has_jar = 0;
        struct dirent *de;
        while (d != NULL && (de = readdir(d)) != NULL)
            if (strstr(de->d_name, "runtime-interface-client") != NULL)
                has_jar = 1;
        if (d != NULL)
            closedir(d);
        if (!has_jar) {
            snprintf(err, err_size,
                     "function %s (%s): AWS's Java runtime interface client is not in %s; fetch it with "
                     "scripts/install-deps.sh --java-ric (mvn, from Maven Central)",
                     pool->name, runtime, dir);
            return -1;
        }
    }
    return 0;
}

/* ---- the subsystem -------------------------------------------------------------------------- */

/* Keys for the functions' AWS_ACCESS_KEY_ID/SECRET/SESSION_TOKEN that the management API accepts in
 * every auth mode: in strict mode an internal credential is added to the configuration. */
static void make_credentials(wg_functions_t *fns)
{
    wg_config_t *cfg = fns->cfg;
    char hex[33];
    wg_functions_random_hex(hex, 16);
    snprintf(fns->session_token, sizeof(fns->session_token), "wsgate-function-session-%s", hex);
    if (cfg->auth != WG_AUTH_STRICT) {
        snprintf(fns->access_key_id, sizeof(fns->access_key_id), "%s", WG_CONFIG_DUMMY_ACCESS_KEY);
        snprintf(fns->secret_access_key, sizeof(fns->secret_access_key), "%s", WG_CONFIG_DUMMY_SECRET_KEY);
        return;
    }
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned char rnd[16];
    RAND_bytes(rnd, sizeof(rnd));
    char id[21] = "ASIAWSGATE";
    for (size_t i = 10; i < 20; i++)
        id[i] = alnum[rnd[i - 10] & 31];
    id[20] = '\0';
    snprintf(fns->access_key_id, sizeof(fns->access_key_id), "%s", id);
    wg_functions_random_hex(hex, 16);
    snprintf(fns->secret_access_key, sizeof(fns->secret_access_key), "wsgate%s", hex);
    OPENSSL_cleanse(hex, sizeof(hex));
    cfg->credentials = realloc(cfg->credentials, (cfg->num_credentials + 1) * sizeof(*cfg->credentials));
    if (cfg->credentials == NULL)
        abort();
    memset(&cfg->credentials[cfg->num_credentials], 0, sizeof(cfg->credentials[0]));
    cfg->credentials[cfg->num_credentials].access_key_id = strdup(fns->access_key_id);
    cfg->credentials[cfg->num_credentials].secret_access_key = strdup(fns->secret_access_key);
    /* strict mode checks that a known key's requests carry the token issued with it */
    cfg->credentials[cfg->num_credentials].session_token = strdup(fns->session_token);
    cfg->num_credentials++;
}

int wg_functions_start(wg_server_t *server, char *err, size_t err_size)
{
    wg_config_t *cfg = server->config;
    server->functions = NULL;
    size_t count = 0;
    for (size_t i = 0; i < cfg->num_functions; i++)
        if (cfg->functions[i].type == WG_INTEGRATION_FUNCTION && cfg->functions[i].code != NULL)
            count++;
    if (count == 0)
        return 0;
    wg_functions_t *fns = calloc(1, sizeof(*fns));
    if (fns == NULL)
        abort();
    fns->server = server;
    fns->cfg = cfg;
    fns->loop = server->loop;
    fns->inotify_fd = -1;
    fns->runtimes_dir = wg_functions_runtimes_dir();
    if (fns->runtimes_dir == NULL) {
        snprintf(err, err_size,
                 "cannot find wsgate's runtimes directory (share/wsgate/runtimes beside the binary, "
                 "or %s/runtimes): reinstall wsgate",
                 WSGATE_SOURCE_DIR);
        free(fns);
        return -1;
    }
    fns->pools = calloc(count, sizeof(*fns->pools));
    if (fns->pools == NULL)
        abort();
    h2o_timeout_init(fns->loop, &fns->zero_timeout, 0);
    h2o_timeout_init(fns->loop, &fns->wait_timeout, WG_LIMIT_FUNCTION_THROTTLE_WAIT_MS);
    h2o_timeout_init(fns->loop, &fns->init_timeout, WG_LIMIT_FUNCTION_INIT_TIMEOUT_MS);
    server->functions = fns;
    for (size_t i = 0; i < cfg->num_functions; i++) {
        const wg_function_target_t *t = &cfg->functions[i];
        if (t->type != WG_INTEGRATION_FUNCTION || t->code == NULL)
            continue;
        pool_t *pool = &fns->pools[fns->num_pools++];
        pool->fns = fns;
        pool->name = t->name;
        pool->code = t->code;
        h2o_linklist_init_anchor(&pool->procs);
        h2o_linklist_init_anchor(&pool->queue);
        pool->cap = t->code->reserved_concurrency
                        ? t->code->reserved_concurrency
                        : (cfg->max_concurrency ? cfg->max_concurrency : WG_LIMIT_FUNCTION_CONCURRENCY_DEFAULT);
        uint32_t timeout_s = t->code->timeout_s ? t->code->timeout_s : 3;
        h2o_timeout_init(fns->loop, &pool->invoke_timeout, (uint64_t)timeout_s * 1000);
        if (asprintf(&pool->arn, "arn:aws:lambda:%s:%s:function:%s", cfg->region, cfg->account_id, t->name) < 0)
            abort();
        if (resolve_interpreter(fns, pool, err, err_size) != 0)
            goto Error;
        size_t path_len = strlen(t->code->code_path);
        if (path_len > 4 && strcmp(t->code->code_path + path_len - 4, ".zip") == 0) {
            snprintf(err, err_size,
                     "function %s (%s): code %s is a .zip: wsgate runs code as it is on disk; unzip it "
                     "and point the function at the directory",
                     t->name, t->code->runtime, t->code->code_path);
            goto Error;
        }
        if (access(t->code->code_path, R_OK) != 0) {
            snprintf(err, err_size, "function %s (%s): code %s: %s", t->name, t->code->runtime, t->code->code_path,
                     strerror(errno));
            goto Error;
        }
    }
    make_credentials(fns);
    wg_runtime_api_callbacks_t cb = {wg_functions_on_next, wg_functions_on_result, wg_functions_on_init_error};
    fns->api = wg_runtime_api_new(fns->loop, &cb);
    if (!cfg->is_reload_disabled)
        wg_functions_watch_start(fns);
    wg_log_info("functions: Lambda Runtime API on 127.0.0.1 (a port per runtime process), bootstraps from %s%s",
                fns->runtimes_dir, cfg->is_reload_disabled ? ", hot reload off" : "");
    for (size_t i = 0; i < fns->num_pools; i++) {
        pool_t *pool = &fns->pools[i];
        wg_log_info("function %s runs with %s: up to %u processes, timeout %u s, memory %u MB", pool->name,
                    pool->interpreter ? pool->interpreter : "its own bootstrap", pool->cap, pool->code->timeout_s,
                    pool->code->memory_mb);
    }
    return 0;

Error:
    wg_functions_free(fns);
    server->functions = NULL;
    return -1;
}

static pool_t *find_pool(wg_functions_t *fns, const char *name)
{
    for (size_t i = 0; i < fns->num_pools; i++)
        if (strcmp(fns->pools[i].name, name) == 0)
            return &fns->pools[i];
    return NULL;
}

void wg_functions_invoke(wg_functions_t *fns, const char *name, char *payload, size_t payload_len, const char *conn_id,
                         const char *event_request_id, wg_function_done_cb done, void *data)
{
    invocation_t *inv = calloc(1, sizeof(*inv));
    if (inv == NULL)
        abort();
    snprintf(inv->cause_conn, sizeof(inv->cause_conn), "%s", conn_id ? conn_id : "");
    snprintf(inv->cause_request, sizeof(inv->cause_request), "%s", event_request_id ? event_request_id : "");
    inv->fns = fns;
    inv->payload = payload;
    inv->payload_len = payload_len;
    inv->done = done;
    inv->data = data;
    wg_ids_uuid(inv->request_id);
    fns->in_flight++;
    inv->pool = find_pool(fns, name);
    if (inv->pool == NULL) {
        wg_functions_fail_later(inv, "ResourceNotFoundException", "Function not found");
        return;
    }
    if (fns->is_stopping) {
        wg_functions_fail_later(inv, "ServiceException", "wsgate is shutting down");
        return;
    }
    h2o_linklist_insert(&inv->pool->queue, &inv->link);
    wg_functions_dispatch(inv->pool);
}

size_t wg_functions_in_flight(const wg_functions_t *fns)
{
    return fns ? fns->in_flight : 0;
}

static size_t count_procs(wg_functions_t *fns)
{
    size_t n = 0;
    for (size_t i = 0; i < fns->num_pools; i++)
        for (h2o_linklist_t *l = fns->pools[i].procs.next; l != &fns->pools[i].procs; l = l->next)
            n++;
    return n;
}

void wg_functions_stop(wg_functions_t *fns)
{
    if (fns == NULL)
        return;
    fns->is_stopping = 1;
    for (size_t i = 0; i < fns->num_pools; i++) {
        pool_t *pool = &fns->pools[i];
        invocation_t *inv;
        while ((inv = wg_functions_queue_head(pool)) != NULL)
            wg_functions_complete_error(inv, "ServiceException", "wsgate is shutting down", 0);
        for (h2o_linklist_t *l = pool->procs.next; l != &pool->procs; l = l->next)
            wg_function_process_signal(H2O_STRUCT_FROM_MEMBER(proc_t, link, l)->process, SIGTERM);
    }
    uint64_t deadline = wg_clock_now_ms() + WG_LIMIT_FUNCTION_STOP_GRACE_MS;
    while (count_procs(fns) > 0 && wg_clock_now_ms() < deadline)
        h2o_evloop_run(fns->loop, 50);
    size_t left = count_procs(fns);
    if (left > 0)
        wg_log_warn("functions: %zu runtime processes did not stop within %d ms of SIGTERM: SIGKILL", left,
                    WG_LIMIT_FUNCTION_STOP_GRACE_MS);
    for (size_t i = 0; i < fns->num_pools; i++) {
        pool_t *pool = &fns->pools[i];
        while (!h2o_linklist_is_empty(&pool->procs)) {
            proc_t *p = H2O_STRUCT_FROM_MEMBER(proc_t, link, pool->procs.next);
            h2o_linklist_unlink(&p->link);
            if (p->current != NULL) {
                invocation_t *inv = p->current;
                p->current = NULL;
                wg_functions_complete_error(inv, "ServiceException", "wsgate is shutting down", 0);
            }
            if (h2o_timeout_is_linked(&p->init_entry))
                h2o_timeout_unlink(&p->init_entry);
            wg_functions_release_next(p);
            wg_function_process_free(p->process); /* SIGKILL to the group and reap */
            wg_runtime_api_close(p->endpoint);
            free(p);
        }
    }
}

void wg_functions_free(wg_functions_t *fns)
{
    if (fns == NULL)
        return;
    wg_functions_stop(fns);
    wg_functions_watch_stop(fns);
    wg_runtime_api_free(fns->api);
    for (size_t i = 0; i < fns->num_pools; i++) {
        free(fns->pools[i].interpreter);
        free(fns->pools[i].arn);
    }
    free(fns->pools);
    free(fns->runtimes_dir);
    OPENSSL_cleanse(fns->secret_access_key, sizeof(fns->secret_access_key));
    OPENSSL_cleanse(fns->session_token, sizeof(fns->session_token));
    free(fns);
}
