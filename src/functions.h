/*
 * functions.h: the Lambda service for the functions wsgate runs itself (WG_INTEGRATION_FUNCTION).
 *
 * One pool of runtime processes per function, as Lambda keeps execution environments: one
 * invocation per process at a time; a concurrent event starts another process, up to the
 * function's ReservedConcurrentExecutions or --max-concurrency (default 10); idle processes are
 * reused warm; over the cap an event waits (bounded) and then fails as a throttled invocation.
 * Each invocation has the function's Timeout from when a process takes it; a crash fails the
 * event with Runtime.ExitError and the next event gets a new process. Editing the code makes
 * processes retire after their current invocation (--no-reload turns it off). Logs are
 * CloudWatch's START/END/REPORT lines around the function's own output, prefixed with its name.
 */
#ifndef WG_FUNCTIONS_H
#define WG_FUNCTIONS_H

#include <stddef.h>

#include "server_state.h"

typedef struct wg_functions wg_functions_t;

/** How an invocation ended, as Lambda's Invoke reports it. */
typedef struct wg_function_result {
    int is_error; /* a function error (X-Amz-Function-Error): `body` is the error document */
    int is_throttled; /* TooManyRequestsException: over the concurrency cap for too long */
    const char *error_type; /* "Unhandled", "Runtime.ExitError", "Sandbox.Timedout"... (logs); NULL if OK */
    const char *body; /* the response, or the error document; valid during the callback */
    size_t body_len;
} wg_function_result_t;

typedef void (*wg_function_done_cb)(void *data, const wg_function_result_t *result);

/**
 * Prepares a pool for every FUNCTION target of the config: checks runtimes and interpreters
 * (a missing one is an error naming the function and runtime), finds wsgate's runtimes/ directory,
 * opens the Runtime API and the code watches. Sets server->functions (NULL when the config has
 * no FUNCTION target). Processes start on the first event, as on Lambda. Returns 0, or -1 with a
 * one-line reason in err.
 */
int wg_functions_start(wg_server_t *server, char *err, size_t err_size);

/** Invokes function `name` with `payload` (taken); `done` runs later on the loop thread, exactly once. */
void wg_functions_invoke(wg_functions_t *fns, const char *name, char *payload, size_t payload_len,
                         wg_function_done_cb done, void *data);

/** Invocations not yet completed. */
size_t wg_functions_in_flight(const wg_functions_t *fns);

/** Stops every runtime process: SIGTERM to each process group, SIGKILL after a bound (runs the
 * event loop meanwhile). Events still queued fail. */
void wg_functions_stop(wg_functions_t *fns);
void wg_functions_free(wg_functions_t *fns);

/** The directory wsgate's runtimes (bootstraps) are read from: next to the executable when
 * installed (<prefix>/share/wsgate/runtimes), else the source tree's runtimes/. New string or NULL. */
char *wg_functions_runtimes_dir(void);

#endif
