/*
 * functions_pool.c: a function's pool of runtime processes and its scheduling: starting a
 * process, its init bound and its exit, handing queued events to warm processes, growing the pool
 * up to its cap, and the bounded wait before an event fails as throttled.
 *
 * What Lambda does, reproduced here (Lambda developer guide: execution environment, concurrency):
 * one invocation per execution environment at a time, warm environments reused, a concurrent
 * event starts another up to ReservedConcurrentExecutions; a runtime that exits during an
 * invocation fails it with Runtime.ExitError ("Runtime exited with error: exit status N" /
 * "signal: killed"); a runtime must call `next` within Lambda's 10 s initialization limit.
 * [I] inferred (Lambda's behaviour is not observable locally): events over the cap wait up to
 * WG_LIMIT_FUNCTION_THROTTLE_WAIT_MS, counted while every process is up, before failing as
 * throttled (Lambda answers 429 at once for synchronous invokes, but its account-wide cap is 1000,
 * not 10: waiting a little keeps bursts, e.g. of $disconnect, from being lost).
 */
#include "functions_internal.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "clock.h"
#include "inspector.h"
#include "limits.h"
#include "log.h"

/* ---- processes ------------------------------------------------------------------------------ */

void wg_functions_release_next(proc_t *p)
{
    if (p->next_watch != NULL)
        p->next_watch->proc = NULL;
    p->next_watch = NULL;
    p->next_req = NULL;
}

void wg_functions_on_next_disposed(void *data)
{
    next_watch_t *w = data;
    if (w->proc != NULL) {
        w->proc->next_req = NULL;
        w->proc->next_watch = NULL;
        if (w->proc->state == PROC_READY)
            w->proc->state = PROC_BUSY; /* its long poll is gone: not ready until it asks again */
    }
}

invocation_t *wg_functions_queue_head(pool_t *pool)
{
    if (h2o_linklist_is_empty(&pool->queue))
        return NULL;
    return H2O_STRUCT_FROM_MEMBER(invocation_t, link, pool->queue.next);
}

void wg_functions_kill_proc(proc_t *p, const char *why)
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
    wg_functions_release_next(p);
    invocation_t *inv = p->current;
    if (inv != NULL) {
        char msg[256];
        snprintf(msg, sizeof(msg), "RequestId: %s Error: Runtime exited with error: %s", inv->request_id, how);
        wg_log_warn("[%s] %s", pool->name, msg);
        wg_functions_log_end(inv, "error\tError Type: Runtime.ExitError");
        p->current = NULL;
        wg_functions_complete_error(inv, "Runtime.ExitError", msg, 0);
    } else if (!p->has_called_next && !p->has_failed_init && !p->is_retiring && !fns->is_stopping) {
        /* died while initializing: the event it was started for fails with the exit */
        invocation_t *head = wg_functions_queue_head(pool);
        char msg[256];
        snprintf(msg, sizeof(msg), "RequestId: %s Error: Runtime exited with error: %s", head ? head->request_id : "-",
                 how);
        wg_log_warn("[%s] runtime process %d exited during initialization (%s)", pool->name, (int)p->pid, how);
        if (head != NULL)
            wg_functions_complete_error(head, "Runtime.ExitError", msg, 0);
    } else if (wg_log_is_verbose()) {
        wg_log_debug("[%s] runtime process %d exited (%s)", pool->name, (int)p->pid, how);
    }
    h2o_linklist_unlink(&p->link);
    wg_runtime_api_close(p->endpoint);
    wg_function_process_free(p->process); /* on_exit is the last thing the process module does */
    free(p);
    if (!fns->is_stopping)
        wg_functions_dispatch(pool);
}

static void on_init_timeout(h2o_timeout_entry_t *entry)
{
    proc_t *p = H2O_STRUCT_FROM_MEMBER(proc_t, init_entry, entry);
    wg_log_warn("[%s] the runtime did not ask for an event (GET /2018-06-01/runtime/invocation/next) within %d s of "
                "starting: stopped",
                p->pool->name, WG_LIMIT_FUNCTION_INIT_TIMEOUT_MS / 1000);
    p->has_failed_init = 1;
    invocation_t *head = wg_functions_queue_head(p->pool);
    if (head != NULL) {
        char msg[200];
        snprintf(msg, sizeof(msg), "RequestId: %s Error: Task timed out after %d.00 seconds during initialization",
                 head->request_id, WG_LIMIT_FUNCTION_INIT_TIMEOUT_MS / 1000);
        wg_functions_complete_error(head, "Sandbox.Timedout", msg, 0);
    }
    wg_functions_kill_proc(p, "init timeout");
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
    wg_function_process_callbacks_t cb = {wg_functions_on_proc_line, on_proc_exit};
    p->spawned_ms = wg_functions_now_ms();
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

void wg_functions_random_hex(char *out, size_t n_bytes)
{
    unsigned char b[32];
    RAND_bytes(b, (int)n_bytes);
    for (size_t i = 0; i < n_bytes; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
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
    inv->started_ms = wg_functions_now_ms();
    inv->timeout_entry.cb = wg_functions_on_invoke_timeout;
    h2o_timeout_link(pool->fns->loop, &pool->invoke_timeout, &inv->timeout_entry);

    char trace[96], a[9], b[25], c[17];
    snprintf(a, sizeof(a), "%08llx", (unsigned long long)(time(NULL)));
    wg_functions_random_hex(b, 12);
    wg_functions_random_hex(c, 8);
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
    wg_inspector_note_function(pool->name, inv->request_id, inv->cause_conn, inv->cause_request, "start", NULL, 0, 0);
    h2o_req_t *req = p->next_req;
    wg_functions_release_next(p);
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
    if (wg_clock_now_ms() - inv->pool->last_ready_ms < WG_LIMIT_FUNCTION_THROTTLE_WAIT_MS) {
        /* the last cold start ended only now: the wait counts from there */
        h2o_timeout_link(inv->fns->loop, &inv->fns->wait_timeout, &inv->wait_entry);
        return;
    }
    wg_log_warn("[%s] throttled: %u invocations already running (the function's concurrency cap) and none finished "
                "within %d ms",
                inv->pool->name, inv->pool->cap, WG_LIMIT_FUNCTION_THROTTLE_WAIT_MS);
    wg_functions_complete_error(inv, "TooManyRequestsException", "Rate Exceeded.", 1);
}

void wg_functions_dispatch(pool_t *pool)
{
    wg_functions_t *fns = pool->fns;
    h2o_linklist_t *l;
    /* warm processes first */
    for (l = pool->procs.next; l != &pool->procs && !h2o_linklist_is_empty(&pool->queue); l = l->next) {
        proc_t *p = H2O_STRUCT_FROM_MEMBER(proc_t, link, l);
        if (p->state == PROC_READY && p->next_req != NULL && !p->is_retiring)
            assign(p, wg_functions_queue_head(pool));
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
            invocation_t *head = wg_functions_queue_head(pool);
            wg_functions_complete_error(head, "Runtime.Unknown",
                                        "wsgate could not start a runtime process (see its log)", 0);
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
