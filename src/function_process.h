/*
 * function_process.h: one runtime process of a function wsgate runs itself (functions.c).
 *
 * Owns what Lambda's execution environment gives a runtime: the command for the runtime
 * (interpreter + wsgate's bootstrap, AWS's Java client, or the user's `bootstrap`), the
 * environment variables Lambda sets, its own process group with PR_SET_PDEATHSIG (no orphan even
 * when wsgate is killed), stdout/stderr read line by line on the event loop, and exit detection
 * through a pidfd. It knows nothing of invocations: functions.c does.
 */
#ifndef WG_FUNCTION_PROCESS_H
#define WG_FUNCTION_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define H2O_USE_LIBUV 0
#include <h2o.h>

#include "config.h"

typedef struct wg_function_process wg_function_process_t;

typedef struct wg_function_process_callbacks {
    /** One line of the function's stdout or stderr (without the newline; long lines come split). */
    void (*on_line)(void *data, const char *line, size_t len);
    /** The process exited (`status` as from waitpid). After this the process only waits to be freed. */
    void (*on_exit)(void *data, int status);
} wg_function_process_callbacks_t;

/** What a runtime process is started with. */
typedef struct wg_function_command {
    char **argv; /* NULL-terminated, malloc'd strings */
    char **envp; /* NULL-terminated "K=V", malloc'd strings */
    char *cwd; /* the code directory (LAMBDA_TASK_ROOT) */
} wg_function_command_t;

/** Everything a command is built from (all borrowed). */
typedef struct wg_function_launch {
    const char *name; /* the function's name */
    const wg_function_code_t *code;
    const char *interpreter; /* node / python / java path; NULL for provided and go1.x */
    const char *runtimes_dir; /* wsgate's runtimes/ (bootstraps, the Java client's jars) */
    const char *runtime_api; /* "127.0.0.1:PORT": AWS_LAMBDA_RUNTIME_API */
    const char *region;
    const char *access_key_id, *secret_access_key, *session_token;
    const char *ca_file, *ca_bundle_file; /* contract 1 (TLS); NULL when absent */
} wg_function_launch_t;

/** The language family of a Lambda runtime name; WG_RUNTIME_UNKNOWN for names wsgate cannot run. */
typedef enum wg_runtime_kind {
    WG_RUNTIME_UNKNOWN,
    WG_RUNTIME_NODE, /* nodejs18.x, nodejs20.x, nodejs22.x, ... */
    WG_RUNTIME_PYTHON, /* python3.9 ... python3.13 */
    WG_RUNTIME_JAVA, /* java17, java21, ... (AWS's Java runtime interface client) */
    WG_RUNTIME_PROVIDED, /* provided, provided.al2, provided.al2023, go1.x: the user's executable */
} wg_runtime_kind_t;

wg_runtime_kind_t wg_runtime_kind(const char *runtime);

/** The code directory of `code` (code_path, or the directory of a .jar), malloc'd. */
char *wg_function_code_dir(const wg_function_code_t *code);

/** Builds the command (argv, Lambda's environment, cwd). Returns 0, or -1 with a reason in err. */
int wg_function_command_build(const wg_function_launch_t *launch, wg_function_command_t *cmd, char *err,
                              size_t err_size);
void wg_function_command_free(wg_function_command_t *cmd);

/** Starts the process; callbacks run on the loop thread. Returns NULL with a reason in err. */
wg_function_process_t *wg_function_process_spawn(h2o_evloop_t *loop, const wg_function_command_t *cmd,
                                                 const wg_function_process_callbacks_t *cb, void *data, char *err,
                                                 size_t err_size);

/** Sends `sig` to the process's whole group (the runtime and anything it started). */
void wg_function_process_signal(wg_function_process_t *proc, int sig);

pid_t wg_function_process_pid(const wg_function_process_t *proc);

/** Reads what the process has written so far (on_line for each complete line), without waiting:
 * its output then comes before the END line of the invocation it belongs to. */
void wg_function_process_drain(wg_function_process_t *proc);

/** Whether on_exit has run. */
bool wg_function_process_has_exited(const wg_function_process_t *proc);

/** Frees a process whose on_exit has run, or kills (SIGKILL, group) and reaps one that has not
 * (blocking for the reap: SIGKILL cannot be ignored). No callback runs afterwards. */
void wg_function_process_free(wg_function_process_t *proc);

/** "exit status N" or "signal: killed" style text of a waitpid status, as Lambda words it. */
void wg_function_exit_text(int status, char *out, size_t out_size);

#endif
