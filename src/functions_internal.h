/*
 * functions_internal.h: what only the functions*.c files share: a function's pool, its runtime
 * processes, an invocation in flight, and the helpers one part calls in another. Other modules
 * use functions.h.
 */
#ifndef WG_FUNCTIONS_INTERNAL_H
#define WG_FUNCTIONS_INTERNAL_H

#include "functions.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "function_process.h"
#include "ids.h"
#include "runtime_api.h"

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
    /* what caused it, for the inspector ("" when unknown) */
    char cause_conn[WG_ID_LEN + 1];
    char cause_request[WG_ID_LEN + 1];
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

/* ---- functions_logs.c: CloudWatch's lines ---------------------------------------------------- */

/** Monotonic milliseconds with a fraction: REPORT lines show durations to 0.01 ms, as Lambda's do. */
double wg_functions_now_ms(void);
/** A line of a runtime process's output (bounded per invocation). */
void wg_functions_on_proc_line(void *data, const char *line, size_t len);
/** END and REPORT lines for `inv`; `status` is NULL on success. */
void wg_functions_log_end(invocation_t *inv, const char *status);

/* ---- functions_invocation.c: an invocation's end, its Timeout, the Runtime API ------------- */

void wg_functions_complete(invocation_t *inv, const wg_function_result_t *result);
/** Completes with a function error whose document is {"errorType", "errorMessage"} (or Lambda's
 * throttle document when is_throttled). */
void wg_functions_complete_error(invocation_t *inv, const char *type, const char *message, int is_throttled);
/** An invoke-time failure, reported on the next loop turn (callers expect `done` later). */
void wg_functions_fail_later(invocation_t *inv, const char *type, const char *message);
void wg_functions_on_invoke_timeout(h2o_timeout_entry_t *entry);
/* The Runtime API's callbacks (runtime_api.h): GET next, POST response/error, POST init/error. */
void wg_functions_on_next(void *owner, h2o_req_t *req);
void wg_functions_on_result(void *owner, h2o_req_t *req, const char *id, size_t id_len, int is_error);
void wg_functions_on_init_error(void *owner, h2o_req_t *req);

/* ---- functions_pool.c: processes and scheduling --------------------------------------------- */

/** Hands queued events to warm processes, starts processes up to the cap, arms the throttle wait. */
void wg_functions_dispatch(pool_t *pool);
void wg_functions_kill_proc(proc_t *p, const char *why);
/** Forgets the process's held GET next request. */
void wg_functions_release_next(proc_t *p);
/** h2o's dispose callback of the held GET next request's next_watch_t. */
void wg_functions_on_next_disposed(void *data);
/** The oldest waiting invocation, or NULL. */
invocation_t *wg_functions_queue_head(pool_t *pool);
/** 2 * n_bytes random hex digits and a NUL into `out`. */
void wg_functions_random_hex(char *out, size_t n_bytes);

/* ---- functions_reload.c: hot reload --------------------------------------------------------- */

/** Watches every function's code directory; a change retires its pool's processes. */
void wg_functions_watch_start(wg_functions_t *fns);
void wg_functions_watch_stop(wg_functions_t *fns);

#endif
