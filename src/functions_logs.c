/*
 * functions_logs.c: a function's log, as CloudWatch shows it: the process's own output prefixed
 * with the function's name (bounded per invocation), and the END / REPORT lines (Duration, Billed
 * Duration, Memory Size, Max Memory Used, Init Duration on a cold start) Lambda writes after each
 * invocation (Lambda developer guide: monitoring, logs). The START line is in functions_pool.c.
 */
#include "functions_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "inspector.h"
#include "limits.h"
#include "log.h"

/* Monotonic milliseconds with a fraction: REPORT lines show durations to 0.01 ms, as Lambda's do. */
double wg_functions_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* ---- logs ----------------------------------------------------------------------------------- */

void wg_functions_on_proc_line(void *data, const char *line, size_t len)
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
    const invocation_t *inv = p->current;
    wg_inspector_note_function(p->pool->name, inv ? inv->request_id : NULL, inv ? inv->cause_conn : NULL,
                               inv ? inv->cause_request : NULL, "log", line, len, 0);
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

void wg_functions_log_end(invocation_t *inv, const char *status)
{
    proc_t *p = inv->proc;
    double duration = wg_functions_now_ms() - inv->started_ms;
    if (p != NULL && p->state != PROC_EXITED)
        wg_function_process_drain(p->process);
    char init[64] = "";
    if (p != NULL && !p->has_reported_init) {
        p->has_reported_init = 1;
        snprintf(init, sizeof(init), "\tInit Duration: %.2f ms", p->init_ms);
    }
    wg_log_info("[%s] END RequestId: %s", inv->pool->name, inv->request_id);
    wg_inspector_note_function(inv->pool->name, inv->request_id, inv->cause_conn, inv->cause_request, "end", status,
                               status ? strlen(status) : 0, duration);
    wg_log_info("[%s] REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %.0f ms\tMemory Size: %u MB\t"
                "Max Memory Used: %ld MB%s%s%s",
                inv->pool->name, inv->request_id, duration, ceil(duration < 1 ? 1 : duration),
                inv->pool->code->memory_mb, p != NULL ? max_memory_mb(p->pid) : 0L, init, status ? "\tStatus: " : "",
                status ? status : "");
}
