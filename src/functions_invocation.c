/*
 * functions_invocation.c: an invocation from a process's GET next to its end: the Runtime API's
 * callbacks (next, response, error, init error), the function's Timeout, and completion (the
 * caller's `done`, exactly once).
 *
 * What Lambda does, reproduced here (Lambda developer guide: runtime API):
 * - Timeout: "Task timed out after N.00 seconds", errorType Sandbox.Timedout in the Invoke error.
 * - Response over 6 MB (6291556 bytes): 413 RequestEntityTooLarge to the runtime and
 *   Function.ResponseSizeTooLarge to the caller.
 * - An id other than the current invocation's: 400 InvalidRequestID.
 * - An error without a payload: the document is built from Lambda-Runtime-Function-Error-Type.
 * [I] inferred: an init failure fails the oldest waiting event with the init error document; a
 * runtime that asks for the next event without answering fails its invocation.
 */
#include "functions_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "limits.h"
#include "log.h"

/* ---- completion ----------------------------------------------------------------------------- */

void wg_functions_complete(invocation_t *inv, const wg_function_result_t *result)
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
void wg_functions_complete_error(invocation_t *inv, const char *type, const char *message, int is_throttled)
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
    wg_functions_complete(inv, &r);
    free(body);
}

static void on_deferred(h2o_timeout_entry_t *entry)
{
    invocation_t *inv = H2O_STRUCT_FROM_MEMBER(invocation_t, deferred_entry, entry);
    wg_function_result_t r = inv->deferred;
    wg_functions_complete(inv, &r);
}

/* An invoke-time failure, reported on the next loop turn (callers expect `done` later). */
void wg_functions_fail_later(invocation_t *inv, const char *type, const char *message)
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

void wg_functions_on_invoke_timeout(h2o_timeout_entry_t *entry)
{
    invocation_t *inv = H2O_STRUCT_FROM_MEMBER(invocation_t, timeout_entry, entry);
    proc_t *p = inv->proc;
    char msg[200];
    snprintf(msg, sizeof(msg), "RequestId: %s Error: Task timed out after %u.00 seconds", inv->request_id,
             inv->pool->code->timeout_s);
    wg_log_warn("[%s] %s", inv->pool->name, msg);
    wg_functions_log_end(inv, "timeout");
    if (p != NULL) {
        p->current = NULL;
        p->is_retiring = 1; /* Lambda resets the environment after a timeout */
        wg_functions_kill_proc(p, "timed out");
    }
    wg_functions_complete_error(inv, "Sandbox.Timedout", msg, 0);
}

/* ---- Runtime API callbacks ------------------------------------------------------------------ */

void wg_functions_on_next(void *owner, h2o_req_t *req)
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
        wg_functions_release_next(p);
        wg_runtime_api_send_status(old, 400, "InvalidStateTransition", "a newer GET next replaced this one");
    }
    if (p->current != NULL) {
        /* [I] the runtime moved on without answering: its invocation fails */
        invocation_t *inv = p->current;
        wg_functions_log_end(inv, "error");
        p->current = NULL;
        wg_functions_complete_error(inv, "Runtime.NoResponse",
                                    "the runtime asked for the next event without answering this one", 0);
    }
    if (!p->has_called_next) {
        p->has_called_next = 1;
        p->init_ms = wg_functions_now_ms() - p->spawned_ms;
        pool->last_ready_ms = wg_clock_now_ms();
        if (h2o_timeout_is_linked(&p->init_entry))
            h2o_timeout_unlink(&p->init_entry);
        wg_log_info("[%s] cold start: runtime ready in %.0f ms (pid %d)", pool->name, p->init_ms, (int)p->pid);
    }
    if (p->is_retiring || pool->fns->is_stopping) {
        wg_runtime_api_send_status(req, 410, "Runtime.Gone", "this execution environment is shutting down");
        wg_functions_kill_proc(p, "retired");
        return;
    }
    p->next_watch = h2o_mem_alloc_shared(&req->pool, sizeof(next_watch_t), wg_functions_on_next_disposed);
    p->next_watch->proc = p;
    p->next_req = req;
    p->state = PROC_READY;
    wg_functions_dispatch(pool);
}

void wg_functions_on_result(void *owner, h2o_req_t *req, const char *id, size_t id_len, int is_error)
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
        wg_functions_log_end(inv, "error\tError Type: Function.ResponseSizeTooLarge");
        p->current = NULL;
        p->state = PROC_BUSY; /* until it asks for the next event */
        wg_functions_complete_error(inv, "Function.ResponseSizeTooLarge", msg, 0);
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
    wg_functions_log_end(inv, is_error ? "error" : NULL);
    wg_function_result_t r = {is_error, 0, is_error ? type_buf : NULL, body, len};
    wg_functions_complete(inv, &r);
    free(doc_text);
    if (p->is_retiring)
        wg_functions_kill_proc(p, "retired after its invocation (code changed)");
}

void wg_functions_on_init_error(void *owner, h2o_req_t *req)
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
    invocation_t *head = wg_functions_queue_head(pool);
    if (head != NULL) {
        json_t *doc = len > 0 ? json_loadb(body, len, 0, NULL) : NULL;
        if (!json_is_object(doc)) {
            json_decref(doc);
            doc = json_pack("{s:s, s:s}", "errorType", type_buf, "errorMessage", "");
        }
        char *text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        wg_function_result_t r = {1, 0, type_buf, text, strlen(text)};
        wg_functions_complete(head, &r);
        free(text);
    }
    wg_functions_kill_proc(p, "init error");
}
