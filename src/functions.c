/*
 * functions.c: pools of runtime processes behind the Lambda Runtime API (see functions.h).
 *
 * The life of an event: wg_functions_invoke queues it on its function's pool; dispatch() hands
 * it to a process waiting in GET /runtime/invocation/next (warm), or starts a process (cold) if
 * the pool is under its cap; the process answers with /response or /error, or exits, or runs
 * past the Timeout (then it is killed: Lambda resets the execution environment after a timeout).
 *
 * What Lambda does, reproduced (Lambda developer guide: runtime API, execution environment,
 * concurrency, monitoring/logs):
 * - Timeout: "Task timed out after N.00 seconds", errorType Sandbox.Timedout in the Invoke error.
 * - A runtime that exits during an invocation: Runtime.ExitError, "Runtime exited with error:
 *   exit status N" / "signal: killed".
 * - Response over 6 MB (6291556 bytes): 413 RequestEntityTooLarge to the runtime and
 *   Function.ResponseSizeTooLarge to the caller.
 * - An id other than the current invocation's: 400 InvalidRequestID.
 * - Init: a runtime must call `next` within Lambda's 10 s initialization limit.
 * Choices where Lambda's behaviour is not observable locally [I]: events over the cap wait up to
 * WG_LIMIT_FUNCTION_THROTTLE_WAIT_MS, counted while every process is up, before failing as throttled
 * (Lambda answers 429 at once for synchronous invokes, but its account-wide cap is 1000, not 10:
 * waiting a little keeps bursts, e.g. of $disconnect, from being lost); an init failure fails the
 * oldest waiting event with the init error document.
 */
#include "functions.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "function_process.h"
#include "ids.h"
#include "inspector.h"
#include "integration.h"
#include "limits.h"
#include "log.h"
#include "runtime_api.h"

#ifndef WSGATE_SOURCE_DIR
#define WSGATE_SOURCE_DIR "."
#endif

typedef struct pool pool_t;
typedef struct proc proc_t;

typedef struct invocation {
    h2o_linklist_t link; /* pool->queue while waiting for a process */
    h2o_timeout_entry_t wait_entry;
    h2o_timeout_entry_t timeout_entry;
    h2o_timeout_entry_t deferred_entry;
    pool_t *pool;
    proc_t *proc;
    wg_functions_t *fns;
    char request_id[WG_UUID_LEN + 1];
    char *payload;
    size_t payload_len;
    double started_ms;
    wg_function_done_cb done;
    void *data;
    /* a result delivered on the next loop turn (invoke-time failures) */
    char *deferred_body;
    wg_function_result_t deferred;
} invocation_t;

typedef enum proc_state { PROC_STARTING, PROC_READY, PROC_BUSY, PROC_EXITED } proc_state_t;

/* Lives in the held GET next request's pool; cleared when either side goes away first. */
typedef struct next_watch {
    proc_t *proc;
} next_watch_t;

struct proc {
    h2o_linklist_t link; /* pool->procs */
    pool_t *pool;
    wg_function_process_t *process;
    wg_runtime_endpoint_t *endpoint;
    pid_t pid;
    proc_state_t state;
    h2o_req_t *next_req;
    next_watch_t *next_watch;
    invocation_t *current;
    double spawned_ms;
    double init_ms;
    int has_called_next;
    int has_reported_init;
    int is_retiring;
    int has_failed_init;
    h2o_timeout_entry_t init_entry;
    size_t log_bytes; /* this invocation's (or the init phase's) output so far */
    int is_log_truncated;
};

struct pool {
    wg_functions_t *fns;
    const char *name; /* borrowed from the config */
    const wg_function_code_t *code; /* borrowed */
    char *interpreter;
    char *arn;
    uint32_t cap;
    h2o_linklist_t procs;
    h2o_linklist_t queue;
    h2o_timeout_t invoke_timeout; /* the function's Timeout */
    uint64_t last_ready_ms; /* when a process of the pool last finished its cold start */
    int has_logged_init_error;
};

typedef struct watch {
    int wd;
    pool_t *pool;
} watch_t;

struct wg_functions {
    wg_server_t *server;
    wg_config_t *cfg;
    h2o_evloop_t *loop;
    wg_runtime_api_t *api;
    pool_t *pools;
    size_t num_pools;
    h2o_timeout_t zero_timeout, wait_timeout, init_timeout;
    size_t in_flight;
    char *runtimes_dir;
    char access_key_id[32], secret_access_key[48], session_token[64];
    int inotify_fd;
    h2o_socket_t *inotify_sock;
    watch_t *watches;
    size_t num_watches;
    int is_stopping;
};

static void dispatch(pool_t *pool);
static void kill_proc(proc_t *p, const char *why);

/* Monotonic milliseconds with a fraction: REPORT lines show durations to 0.01 ms, as Lambda's do. */
static double now_ms_precise(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* ---- runtimes and interpreters -------------------------------------------------------------- */

static int has_bootstraps(const char *dir)
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

/* ---- logs ----------------------------------------------------------------------------------- */

static void on_proc_line(void *data, const char *line, size_t len)
{
    proc_t *p = data;
    if (p->is_log_truncated)
        return;
    p->log_bytes += len + 1;
    if (p->log_bytes > WG_LIMIT_FUNCTION_LOG_BYTES) {
        p->is_log_truncated = 1;
        wg_log_warn("[%s] output over %d KB in this invocation: the rest is dropped", p->pool->name,
                    WG_LIMIT_FUNCTION_LOG_BYTES / 1024);
        return;
    }
    wg_log_info("[%s] %.*s", p->pool->name, (int)len, line);
    wg_inspector_note_function(p->pool->name, p->current ? p->current->request_id : NULL, "log", line, len, 0);
}

static long max_memory_mb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = 0;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            break;
    if (f != NULL)
        fclose(f);
    return (kb + 1023) / 1024;
}

static void log_end(invocation_t *inv, const char *status)
{
    proc_t *p = inv->proc;
    double duration = now_ms_precise() - inv->started_ms;
    if (p != NULL && p->state != PROC_EXITED)
        wg_function_process_drain(p->process);
    char init[64] = "";
    if (p != NULL && !p->has_reported_init) {
        p->has_reported_init = 1;
        snprintf(init, sizeof(init), "\tInit Duration: %.2f ms", p->init_ms);
    }
    wg_log_info("[%s] END RequestId: %s", inv->pool->name, inv->request_id);
    wg_inspector_note_function(inv->pool->name, inv->request_id, "end", status, status ? strlen(status) : 0, duration);
    wg_log_info("[%s] REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %.0f ms\tMemory Size: %u MB\t"
                "Max Memory Used: %ld MB%s%s%s",
                inv->pool->name, inv->request_id, duration, ceil(duration < 1 ? 1 : duration),
                inv->pool->code->memory_mb, p != NULL ? max_memory_mb(p->pid) : 0L, init, status ? "\tStatus: " : "",
                status ? status : "");
}

/* ---- completion ----------------------------------------------------------------------------- */

static void complete(invocation_t *inv, const wg_function_result_t *result)
{
    wg_functions_t *fns = inv->fns;
    if (h2o_linklist_is_linked(&inv->link))
        h2o_linklist_unlink(&inv->link);
    if (h2o_timeout_is_linked(&inv->wait_entry))
        h2o_timeout_unlink(&inv->wait_entry);
    if (h2o_timeout_is_linked(&inv->timeout_entry))
        h2o_timeout_unlink(&inv->timeout_entry);
    if (inv->proc != NULL && inv->proc->current == inv)
        inv->proc->current = NULL;
    fns->in_flight--;
    inv->done(inv->data, result);
    free(inv->payload);
    free(inv->deferred_body);
    free(inv);
}

/* Completes with a function error whose document is {"errorType", "errorMessage"}. */
static void complete_error(invocation_t *inv, const char *type, const char *message, int is_throttled)
{
    json_t *doc = is_throttled
                      ? json_pack("{s:s, s:s, s:s}", "Reason", "ReservedFunctionConcurrentInvocationLimitExceeded",
                                  "Type", "User", "message", "Rate Exceeded.")
                      : json_pack("{s:s, s:s}", "errorType", type, "errorMessage", message);
    char *body = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (body == NULL)
        abort();
    wg_function_result_t r = {1, is_throttled, type, body, strlen(body)};
    complete(inv, &r);
    free(body);
}

static void on_deferred(h2o_timeout_entry_t *entry)
{
    invocation_t *inv = H2O_STRUCT_FROM_MEMBER(invocation_t, deferred_entry, entry);
    wg_function_result_t r = inv->deferred;
    complete(inv, &r);
}

/* An invoke-time failure, reported on the next loop turn (callers expect `done` later). */
static void fail_later(invocation_t *inv, const char *type, const char *message)
{
    json_t *doc = json_pack("{s:s, s:s}", "errorType", type, "errorMessage", message);
    inv->deferred_body = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (inv->deferred_body == NULL)
        abort();
    inv->deferred = (wg_function_result_t){1, 0, type, inv->deferred_body, strlen(inv->deferred_body)};
    inv->deferred_entry.cb = on_deferred;
    h2o_timeout_link(inv->fns->loop, &inv->fns->zero_timeout, &inv->deferred_entry);
}

/* ---- processes ------------------------------------------------------------------------------ */

static void release_next(proc_t *p)
{
    if (p->next_watch != NULL)
        p->next_watch->proc = NULL;
    p->next_watch = NULL;
    p->next_req = NULL;
}

static void on_next_disposed(void *data)
{
    next_watch_t *w = data;
    if (w->proc != NULL) {
        w->proc->next_req = NULL;
        w->proc->next_watch = NULL;
        if (w->proc->state == PROC_READY)
            w->proc->state = PROC_BUSY; /* its long poll is gone: not ready until it asks again */
    }
}

static invocation_t *queue_head(pool_t *pool)
{
    if (h2o_linklist_is_empty(&pool->queue))
        return NULL;
    return H2O_STRUCT_FROM_MEMBER(invocation_t, link, pool->queue.next);
}

static void kill_proc(proc_t *p, const char *why)
{
    if (p->state == PROC_EXITED)
        return;
    if (why != NULL && wg_log_is_verbose())
        wg_log_debug("[%s] stopping runtime process %d: %s", p->pool->name, (int)p->pid, why);
    wg_function_process_signal(p->process, SIGKILL);
}

static void on_proc_exit(void *data, int status)
{
    proc_t *p = data;
    pool_t *pool = p->pool;
    wg_functions_t *fns = pool->fns;
    char how[64];
    wg_function_exit_text(status, how, sizeof(how));
    p->state = PROC_EXITED;
    if (h2o_timeout_is_linked(&p->init_entry))
        h2o_timeout_unlink(&p->init_entry);
    release_next(p);
    invocation_t *inv = p->current;
    if (inv != NULL) {
        char msg[256];
        snprintf(msg, sizeof(msg), "RequestId: %s Error: Runtime exited with error: %s", inv->request_id, how);
        wg_log_warn("[%s] %s", pool->name, msg);
        log_end(inv, "error\tError Type: Runtime.ExitError");
        p->current = NULL;
        complete_error(inv, "Runtime.ExitError", msg, 0);
    } else if (!p->has_called_next && !p->has_failed_init && !p->is_retiring && !fns->is_stopping) {
        /* died while initializing: the event it was started for fails with the exit */
        invocation_t *head = queue_head(pool);
        char msg[256];
        snprintf(msg, sizeof(msg), "RequestId: %s Error: Runtime exited with error: %s", head ? head->request_id : "-",
                 how);
        wg_log_warn("[%s] runtime process %d exited during initialization (%s)", pool->name, (int)p->pid, how);
        if (head != NULL)
            complete_error(head, "Runtime.ExitError", msg, 0);
    } else if (wg_log_is_verbose()) {
        wg_log_debug("[%s] runtime process %d exited (%s)", pool->name, (int)p->pid, how);
    }
    h2o_linklist_unlink(&p->link);
    wg_runtime_api_close(p->endpoint);
    wg_function_process_free(p->process); /* on_exit is the last thing the process module does */
    free(p);
    if (!fns->is_stopping)
        dispatch(pool);
}

static void on_init_timeout(h2o_timeout_entry_t *entry)
{
    proc_t *p = H2O_STRUCT_FROM_MEMBER(proc_t, init_entry, entry);
    wg_log_warn("[%s] the runtime did not ask for an event (GET /2018-06-01/runtime/invocation/next) within %d s of "
                "starting: stopped",
                p->pool->name, WG_LIMIT_FUNCTION_INIT_TIMEOUT_MS / 1000);
    p->has_failed_init = 1;
    invocation_t *head = queue_head(p->pool);
    if (head != NULL) {
        char msg[200];
        snprintf(msg, sizeof(msg), "RequestId: %s Error: Task timed out after %d.00 seconds during initialization",
                 head->request_id, WG_LIMIT_FUNCTION_INIT_TIMEOUT_MS / 1000);
        complete_error(head, "Sandbox.Timedout", msg, 0);
    }
    kill_proc(p, "init timeout");
}

static proc_t *spawn(pool_t *pool)
{
    wg_functions_t *fns = pool->fns;
    char err[512] = "";
    proc_t *p = calloc(1, sizeof(*p));
    if (p == NULL)
        abort();
    p->pool = pool;
    int port = 0;
    p->endpoint = wg_runtime_api_listen(fns->api, p, &port, err, sizeof(err));
    if (p->endpoint == NULL)
        goto Error;
    char api[32];
    snprintf(api, sizeof(api), "127.0.0.1:%d", port);
    wg_function_launch_t launch = {
        pool->name,
        pool->code,
        pool->interpreter,
        fns->runtimes_dir,
        api,
        fns->cfg->region,
        fns->access_key_id,
        fns->secret_access_key,
        fns->session_token,
        fns->cfg->tls_ca_file,
        fns->cfg->tls_ca_bundle_file,
    };
    wg_function_command_t cmd;
    if (wg_function_command_build(&launch, &cmd, err, sizeof(err)) != 0)
        goto Error;
    wg_function_process_callbacks_t cb = {on_proc_line, on_proc_exit};
    p->spawned_ms = now_ms_precise();
    p->process = wg_function_process_spawn(fns->loop, &cmd, &cb, p, err, sizeof(err));
    wg_function_command_free(&cmd);
    if (p->process == NULL)
        goto Error;
    p->pid = wg_function_process_pid(p->process);
    p->state = PROC_STARTING;
    p->init_entry.cb = on_init_timeout;
    h2o_timeout_link(fns->loop, &fns->init_timeout, &p->init_entry);
    h2o_linklist_insert(&pool->procs, &p->link);
    if (wg_log_is_verbose())
        wg_log_debug("[%s] started runtime process %d (Runtime API 127.0.0.1:%d)", pool->name, (int)p->pid, port);
    return p;

Error:
    wg_log_error("[%s] cannot start a runtime process: %s", pool->name, err);
    wg_runtime_api_close(p->endpoint);
    free(p);
    return NULL;
}

/* ---- dispatch ------------------------------------------------------------------------------- */

static void random_hex(char *out, size_t n_bytes)
{
    unsigned char b[32];
    RAND_bytes(b, (int)n_bytes);
    for (size_t i = 0; i < n_bytes; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void on_invoke_timeout(h2o_timeout_entry_t *entry)
{
    invocation_t *inv = H2O_STRUCT_FROM_MEMBER(invocation_t, timeout_entry, entry);
    proc_t *p = inv->proc;
    char msg[200];
    snprintf(msg, sizeof(msg), "RequestId: %s Error: Task timed out after %u.00 seconds", inv->request_id,
             inv->pool->code->timeout_s);
    wg_log_warn("[%s] %s", inv->pool->name, msg);
    log_end(inv, "timeout");
    if (p != NULL) {
        p->current = NULL;
        p->is_retiring = 1; /* Lambda resets the environment after a timeout */
        kill_proc(p, "timed out");
    }
    complete_error(inv, "Sandbox.Timedout", msg, 0);
}

static void assign(proc_t *p, invocation_t *inv)
{
    pool_t *pool = p->pool;
    h2o_linklist_unlink(&inv->link);
    if (h2o_timeout_is_linked(&inv->wait_entry))
        h2o_timeout_unlink(&inv->wait_entry);
    inv->proc = p;
    p->current = inv;
    p->state = PROC_BUSY;
    p->log_bytes = 0;
    p->is_log_truncated = 0;
    inv->started_ms = now_ms_precise();
    inv->timeout_entry.cb = on_invoke_timeout;
    h2o_timeout_link(pool->fns->loop, &pool->invoke_timeout, &inv->timeout_entry);

    char trace[96], a[9], b[25], c[17];
    snprintf(a, sizeof(a), "%08llx", (unsigned long long)(time(NULL)));
    random_hex(b, 12);
    random_hex(c, 8);
    snprintf(trace, sizeof(trace), "Root=1-%s-%s;Parent=%s;Sampled=0", a, b, c);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t now_epoch = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    wg_runtime_event_t ev = {
        inv->request_id,
        now_epoch + (uint64_t)pool->code->timeout_s * 1000,
        pool->arn,
        trace,
        NULL,
        NULL,
        inv->payload,
        inv->payload_len,
    };
    wg_log_info("[%s] START RequestId: %s Version: $LATEST", pool->name, inv->request_id);
    wg_inspector_note_function(pool->name, inv->request_id, "start", NULL, 0, 0);
    h2o_req_t *req = p->next_req;
    release_next(p);
    wg_runtime_api_send_event(req, &ev);
}

static void on_wait_timeout(h2o_timeout_entry_t *entry)
{
    invocation_t *inv = H2O_STRUCT_FROM_MEMBER(invocation_t, wait_entry, entry);
    /* While processes of the pool are still starting, the pool is growing to its cap rather than
     * full: the event keeps waiting (a burst at start-up is not throttled by our own cold starts). */
    for (h2o_linklist_t *l = inv->pool->procs.next; l != &inv->pool->procs; l = l->next) {
        proc_t *p = H2O_STRUCT_FROM_MEMBER(proc_t, link, l);
        if (p->state == PROC_STARTING && !p->is_retiring) {
            h2o_timeout_link(inv->fns->loop, &inv->fns->wait_timeout, &inv->wait_entry);
            return;
        }
    }
    if (wg_now_ms() - inv->pool->last_ready_ms < WG_LIMIT_FUNCTION_THROTTLE_WAIT_MS) {
        /* the last cold start ended only now: the wait counts from there */
        h2o_timeout_link(inv->fns->loop, &inv->fns->wait_timeout, &inv->wait_entry);
        return;
    }
    wg_log_warn("[%s] throttled: %u invocations already running (the function's concurrency cap) and none finished "
                "within %d ms",
                inv->pool->name, inv->pool->cap, WG_LIMIT_FUNCTION_THROTTLE_WAIT_MS);
    complete_error(inv, "TooManyRequestsException", "Rate Exceeded.", 1);
}

static void dispatch(pool_t *pool)
{
    wg_functions_t *fns = pool->fns;
    h2o_linklist_t *l;
    /* warm processes first */
    for (l = pool->procs.next; l != &pool->procs && !h2o_linklist_is_empty(&pool->queue); l = l->next) {
        proc_t *p = H2O_STRUCT_FROM_MEMBER(proc_t, link, l);
        if (p->state == PROC_READY && p->next_req != NULL && !p->is_retiring)
            assign(p, queue_head(pool));
    }
    if (h2o_linklist_is_empty(&pool->queue) || fns->is_stopping)
        return;
    /* A process that has just answered asks for the next event within a millisecond or so: the
     * queued events wait for those ("finishing") rather than each starting a cold process, which
     * takes hundreds. Should one never ask, the wait below still ends in a throttle. */
    size_t live = 0, starting = 0, finishing = 0, waiting = 0;
    for (l = pool->procs.next; l != &pool->procs; l = l->next) {
        proc_t *p = H2O_STRUCT_FROM_MEMBER(proc_t, link, l);
        if (p->state == PROC_EXITED)
            continue;
        live++;
        if (p->state == PROC_STARTING && !p->is_retiring)
            starting++;
        else if (p->state == PROC_BUSY && p->current == NULL && !p->is_retiring)
            finishing++;
    }
    for (l = pool->queue.next; l != &pool->queue; l = l->next)
        waiting++;
    while (waiting > starting + finishing && live < pool->cap) {
        if (spawn(pool) == NULL) {
            invocation_t *head = queue_head(pool);
            complete_error(head, "Runtime.Unknown", "wsgate could not start a runtime process (see its log)", 0);
            waiting--;
            continue;
        }
        starting++;
        live++;
    }
    /* the events no process is coming for wait, bounded, then fail as throttled */
    size_t i = 0;
    for (l = pool->queue.next; l != &pool->queue; l = l->next, i++) {
        invocation_t *inv = H2O_STRUCT_FROM_MEMBER(invocation_t, link, l);
        if (i >= starting && !h2o_timeout_is_linked(&inv->wait_entry)) {
            inv->wait_entry.cb = on_wait_timeout;
            h2o_timeout_link(fns->loop, &fns->wait_timeout, &inv->wait_entry);
        }
    }
}

/* ---- Runtime API callbacks ------------------------------------------------------------------ */

static void on_next(void *owner, h2o_req_t *req)
{
    proc_t *p = owner;
    pool_t *pool = p->pool;
    if (p->state == PROC_EXITED) {
        wg_runtime_api_send_status(req, 410, "Runtime.Gone", "this execution environment was shut down");
        return;
    }
    if (p->next_req != NULL) {
        /* a second long poll from the same process: the newer one waits */
        h2o_req_t *old = p->next_req;
        release_next(p);
        wg_runtime_api_send_status(old, 400, "InvalidStateTransition", "a newer GET next replaced this one");
    }
    if (p->current != NULL) {
        /* [I] the runtime moved on without answering: its invocation fails */
        invocation_t *inv = p->current;
        log_end(inv, "error");
        p->current = NULL;
        complete_error(inv, "Runtime.NoResponse", "the runtime asked for the next event without answering this one", 0);
    }
    if (!p->has_called_next) {
        p->has_called_next = 1;
        p->init_ms = now_ms_precise() - p->spawned_ms;
        pool->last_ready_ms = wg_now_ms();
        if (h2o_timeout_is_linked(&p->init_entry))
            h2o_timeout_unlink(&p->init_entry);
        wg_log_info("[%s] cold start: runtime ready in %.0f ms (pid %d)", pool->name, p->init_ms, (int)p->pid);
    }
    if (p->is_retiring || pool->fns->is_stopping) {
        wg_runtime_api_send_status(req, 410, "Runtime.Gone", "this execution environment is shutting down");
        kill_proc(p, "retired");
        return;
    }
    p->next_watch = h2o_mem_alloc_shared(&req->pool, sizeof(next_watch_t), on_next_disposed);
    p->next_watch->proc = p;
    p->next_req = req;
    p->state = PROC_READY;
    dispatch(pool);
}

static void on_result(void *owner, h2o_req_t *req, const char *id, size_t id_len, int is_error)
{
    proc_t *p = owner;
    pool_t *pool = p->pool;
    invocation_t *inv = p->current;
    if (inv == NULL || id_len != strlen(inv->request_id) || memcmp(id, inv->request_id, id_len) != 0) {
        wg_log_warn("[%s] the runtime answered for request id '%.*s', which is not its current invocation: 400",
                    pool->name, (int)(id_len > 64 ? 64 : id_len), id);
        wg_runtime_api_send_status(req, 400, "InvalidRequestID", "Invalid request ID");
        return;
    }
    const char *body = req->entity.base ? req->entity.base : "";
    size_t len = req->entity.len;
    if (!is_error && len > WG_LIMIT_FUNCTION_RESPONSE_BYTES) {
        char msg[128];
        snprintf(msg, sizeof(msg), "Exceeded maximum allowed payload size (%d bytes).",
                 WG_LIMIT_FUNCTION_RESPONSE_BYTES);
        wg_runtime_api_send_status(req, 413, "RequestEntityTooLarge", msg);
        snprintf(msg, sizeof(msg), "Response payload size exceeded maximum allowed payload size (%d bytes).",
                 WG_LIMIT_FUNCTION_RESPONSE_BYTES);
        wg_log_warn("[%s] %s", pool->name, msg);
        log_end(inv, "error\tError Type: Function.ResponseSizeTooLarge");
        p->current = NULL;
        p->state = PROC_BUSY; /* until it asks for the next event */
        complete_error(inv, "Function.ResponseSizeTooLarge", msg, 0);
        return;
    }
    wg_runtime_api_send_status(req, 202, NULL, NULL);
    p->current = NULL;
    p->state = PROC_BUSY; /* until it asks for the next event */
    char *doc_text = NULL;
    size_t type_len = 0;
    const char *type = is_error ? wg_runtime_api_error_type(req, &type_len) : NULL;
    char type_buf[128] = "Unhandled";
    if (type != NULL)
        snprintf(type_buf, sizeof(type_buf), "%.*s", (int)type_len, type);
    if (is_error && len == 0) {
        /* Lambda builds the error from the header when no payload is given */
        json_t *doc = json_pack("{s:s, s:s}", "errorType", type_buf, "errorMessage", "");
        doc_text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        body = doc_text;
        len = strlen(doc_text);
    }
    if (is_error) {
        wg_log_info("[%s] function error (%s): %.*s", pool->name, type_buf, (int)(len > 500 ? 500 : len), body);
        if (strncmp(type_buf, "Runtime.", 8) == 0 && !pool->has_logged_init_error) {
            pool->has_logged_init_error = 1;
        }
    }
    log_end(inv, is_error ? "error" : NULL);
    wg_function_result_t r = {is_error, 0, is_error ? type_buf : NULL, body, len};
    complete(inv, &r);
    free(doc_text);
    if (p->is_retiring)
        kill_proc(p, "retired after its invocation (code changed)");
}

static void on_init_error(void *owner, h2o_req_t *req)
{
    proc_t *p = owner;
    pool_t *pool = p->pool;
    size_t type_len = 0;
    const char *type = wg_runtime_api_error_type(req, &type_len);
    char type_buf[128] = "Runtime.Unknown";
    if (type != NULL)
        snprintf(type_buf, sizeof(type_buf), "%.*s", (int)type_len, type);
    wg_runtime_api_send_status(req, 202, NULL, NULL);
    const char *body = req->entity.base ? req->entity.base : "";
    size_t len = req->entity.len;
    /* Logged in full once per function (the bootstraps say how to fix it); briefly afterwards. */
    if (!pool->has_logged_init_error) {
        pool->has_logged_init_error = 1;
        wg_log_error("[%s] init error (%s): %.*s", pool->name, type_buf, (int)(len > 1500 ? 1500 : len), body);
    } else {
        wg_log_warn("[%s] init error (%s) again", pool->name, type_buf);
    }
    p->has_failed_init = 1;
    invocation_t *head = queue_head(pool);
    if (head != NULL) {
        json_t *doc = len > 0 ? json_loadb(body, len, 0, NULL) : NULL;
        if (!json_is_object(doc)) {
            json_decref(doc);
            doc = json_pack("{s:s, s:s}", "errorType", type_buf, "errorMessage", "");
        }
        char *text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        wg_function_result_t r = {1, 0, type_buf, text, strlen(text)};
        complete(head, &r);
        free(text);
    }
    kill_proc(p, "init error");
}

/* ---- hot reload ----------------------------------------------------------------------------- */

static void retire_all(pool_t *pool)
{
    for (h2o_linklist_t *l = pool->procs.next; l != &pool->procs; l = l->next) {
        proc_t *p = H2O_STRUCT_FROM_MEMBER(proc_t, link, l);
        if (p->state == PROC_EXITED || p->is_retiring)
            continue;
        p->is_retiring = 1;
        if (p->current == NULL)
            kill_proc(p, "code changed");
    }
}

static int is_ignored_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] == '.' || strcmp(name, "node_modules") == 0 || strcmp(name, "__pycache__") == 0 ||
           (n > 4 && strcmp(name + n - 4, ".pyc") == 0) || (n > 0 && name[n - 1] == '~');
}

static void on_inotify(h2o_socket_t *sock, const char *err)
{
    (void)err;
    wg_functions_t *fns = sock->data;
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n;
    while ((n = read(fns->inotify_fd, buf, sizeof(buf))) > 0) {
        for (char *ptr = buf; ptr < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)ptr;
            ptr += sizeof(*ev) + ev->len;
            if (ev->len > 0 && is_ignored_name(ev->name))
                continue;
            for (size_t i = 0; i < fns->num_watches; i++) {
                if (fns->watches[i].wd != ev->wd)
                    continue;
                pool_t *pool = fns->watches[i].pool;
                wg_log_info("[%s] code changed (%s): the next invocation starts a fresh process", pool->name,
                            ev->len ? ev->name : "");
                retire_all(pool);
                pool->has_logged_init_error = 0;
            }
        }
    }
}

static void add_watch(wg_functions_t *fns, pool_t *pool, const char *dir, int depth)
{
    if (fns->num_watches >= WG_LIMIT_FUNCTION_WATCHES)
        return;
    int wd =
        inotify_add_watch(fns->inotify_fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE);
    if (wd < 0)
        return;
    fns->watches = realloc(fns->watches, (fns->num_watches + 1) * sizeof(*fns->watches));
    if (fns->watches == NULL)
        abort();
    fns->watches[fns->num_watches++] = (watch_t){wd, pool};
    if (depth >= WG_LIMIT_FUNCTION_WATCH_DEPTH)
        return;
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL) {
        if (is_ignored_name(de->d_name) || strcmp(de->d_name, "..") == 0)
            continue;
        char sub[PATH_MAX];
        snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            add_watch(fns, pool, sub, depth + 1);
    }
    if (d != NULL)
        closedir(d);
}

/* ---- the subsystem -------------------------------------------------------------------------- */

/* Keys for the functions' AWS_ACCESS_KEY_ID/SECRET/SESSION_TOKEN that the management API accepts in
 * every auth mode: in strict mode an internal credential is added to the configuration. */
static void make_credentials(wg_functions_t *fns)
{
    wg_config_t *cfg = fns->cfg;
    char hex[33];
    random_hex(hex, 16);
    snprintf(fns->session_token, sizeof(fns->session_token), "wsgate-function-session-%s", hex);
    if (cfg->auth != WG_AUTH_STRICT) {
        snprintf(fns->access_key_id, sizeof(fns->access_key_id), "%s", WG_LAMBDA_DUMMY_ACCESS_KEY);
        snprintf(fns->secret_access_key, sizeof(fns->secret_access_key), "%s", WG_LAMBDA_DUMMY_SECRET_KEY);
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
    random_hex(hex, 16);
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
    wg_runtime_api_callbacks_t cb = {on_next, on_result, on_init_error};
    fns->api = wg_runtime_api_new(fns->loop, &cb);
    if (!cfg->is_reload_disabled) {
        fns->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fns->inotify_fd >= 0) {
            for (size_t i = 0; i < fns->num_pools; i++) {
                char *dir = wg_function_code_dir(fns->pools[i].code);
                add_watch(fns, &fns->pools[i], dir, 0);
                free(dir);
            }
            fns->inotify_sock = h2o_evloop_socket_create(fns->loop, fns->inotify_fd, H2O_SOCKET_FLAG_DONT_READ);
            fns->inotify_sock->data = fns;
            h2o_socket_read_start(fns->inotify_sock, on_inotify);
        } else {
            wg_log_warn("hot reload off: inotify_init1: %s", strerror(errno));
        }
    }
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

void wg_functions_invoke(wg_functions_t *fns, const char *name, char *payload, size_t payload_len,
                         wg_function_done_cb done, void *data)
{
    invocation_t *inv = calloc(1, sizeof(*inv));
    if (inv == NULL)
        abort();
    inv->fns = fns;
    inv->payload = payload;
    inv->payload_len = payload_len;
    inv->done = done;
    inv->data = data;
    wg_ids_uuid(inv->request_id);
    fns->in_flight++;
    inv->pool = find_pool(fns, name);
    if (inv->pool == NULL) {
        fail_later(inv, "ResourceNotFoundException", "Function not found");
        return;
    }
    if (fns->is_stopping) {
        fail_later(inv, "ServiceException", "wsgate is shutting down");
        return;
    }
    h2o_linklist_insert(&inv->pool->queue, &inv->link);
    dispatch(inv->pool);
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
        while ((inv = queue_head(pool)) != NULL)
            complete_error(inv, "ServiceException", "wsgate is shutting down", 0);
        for (h2o_linklist_t *l = pool->procs.next; l != &pool->procs; l = l->next)
            wg_function_process_signal(H2O_STRUCT_FROM_MEMBER(proc_t, link, l)->process, SIGTERM);
    }
    uint64_t deadline = wg_now_ms() + WG_LIMIT_FUNCTION_STOP_GRACE_MS;
    while (count_procs(fns) > 0 && wg_now_ms() < deadline)
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
                complete_error(inv, "ServiceException", "wsgate is shutting down", 0);
            }
            if (h2o_timeout_is_linked(&p->init_entry))
                h2o_timeout_unlink(&p->init_entry);
            release_next(p);
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
    if (fns->inotify_sock != NULL) {
        h2o_socket_read_stop(fns->inotify_sock);
        h2o_socket_close(fns->inotify_sock);
    } else if (fns->inotify_fd >= 0) {
        close(fns->inotify_fd);
    }
    free(fns->watches);
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
