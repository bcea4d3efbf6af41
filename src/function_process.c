/*
 * function_process.c: spawning a runtime process as Lambda's execution environment would
 * (see function_process.h).
 *
 * Environment (Lambda's "Defined runtime environment variables"): AWS_LAMBDA_FUNCTION_NAME,
 * _VERSION ($LATEST), _MEMORY_SIZE, AWS_LAMBDA_LOG_GROUP_NAME (/aws/lambda/NAME),
 * AWS_LAMBDA_LOG_STREAM_NAME (YYYY/MM/DD/[$LATEST]<32 hex>), AWS_REGION, AWS_DEFAULT_REGION,
 * AWS_EXECUTION_ENV (AWS_Lambda_<runtime>), AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_INITIALIZATION_TYPE,
 * _HANDLER, LAMBDA_TASK_ROOT, LAMBDA_RUNTIME_DIR, TZ=:UTC, LANG and the credentials win over the
 * function's own variables (Lambda reserves those keys; a template cannot set them).
 * PATH, HOME, NODE_PATH and PYTHONPATH come from wsgate's own environment: that is how users
 * provide the AWS SDK that Lambda's runtimes ship (README, "Run your functions").
 */
#include "function_process.h"

#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "limits.h"
#include "log.h"
#include "str.h"

extern char **environ;

/* One output pipe (stdout or stderr) and its partial line. */
typedef struct output_pipe {
    h2o_socket_t *sock;
    char line[WG_LIMIT_FUNCTION_LOG_LINE_BYTES];
    size_t line_len;
    wg_function_process_t *proc;
} output_pipe_t;

struct wg_function_process {
    pid_t pid;
    h2o_socket_t *pid_sock; /* the pidfd: readable once the process has exited */
    output_pipe_t out, err;
    wg_function_process_callbacks_t cb;
    void *data;
    int has_exited;
};

wg_runtime_kind_t wg_runtime_kind(const char *runtime)
{
    if (runtime == NULL)
        return WG_RUNTIME_UNKNOWN;
    if (strncmp(runtime, "nodejs", 6) == 0)
        return WG_RUNTIME_NODE;
    if (strncmp(runtime, "python3", 7) == 0)
        return WG_RUNTIME_PYTHON;
    if (strncmp(runtime, "java", 4) == 0)
        return WG_RUNTIME_JAVA;
    if (strncmp(runtime, "provided", 8) == 0 || strcmp(runtime, "go1.x") == 0)
        return WG_RUNTIME_PROVIDED;
    return WG_RUNTIME_UNKNOWN;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    return s;
}

char *wg_function_code_dir(const wg_function_code_t *code)
{
    struct stat st;
    if (stat(code->code_path, &st) == 0 && S_ISDIR(st.st_mode))
        return wg_str_dup(code->code_path);
    const char *slash = strrchr(code->code_path, '/');
    if (slash == NULL)
        return wg_str_dup(".");
    if (slash == code->code_path)
        return wg_str_dup("/");
    return strndup(code->code_path, (size_t)(slash - code->code_path));
}

/* A growing NULL-terminated array of strings. */
typedef struct strv {
    char **v;
    size_t n, cap;
} strv_t;

static void strv_add(strv_t *s, char *taken)
{
    if (s->n + 2 > s->cap) {
        s->cap = s->cap ? s->cap * 2 : 32;
        s->v = realloc(s->v, s->cap * sizeof(*s->v));
        if (s->v == NULL)
            abort();
    }
    s->v[s->n++] = taken;
    s->v[s->n] = NULL;
}

/* Sets KEY=value, replacing an earlier KEY. */
static void env_set(strv_t *env, const char *key, const char *value)
{
    size_t klen = strlen(key);
    char *entry = xasprintf("%s=%s", key, value);
    for (size_t i = 0; i < env->n; i++) {
        if (strncmp(env->v[i], key, klen) == 0 && env->v[i][klen] == '=') {
            free(env->v[i]);
            env->v[i] = entry;
            return;
        }
    }
    strv_add(env, entry);
}

static void env_inherit(strv_t *env, const char *key)
{
    const char *v = getenv(key);
    if (v != NULL)
        env_set(env, key, v);
}

int wg_function_command_build(const wg_function_launch_t *l, wg_function_command_t *cmd, char *err, size_t err_size)
{
    const wg_function_code_t *code = l->code;
    memset(cmd, 0, sizeof(*cmd));
    strv_t argv = {0}, env = {0};
    cmd->cwd = wg_function_code_dir(code);

    switch (wg_runtime_kind(code->runtime)) {
    case WG_RUNTIME_NODE:
        strv_add(&argv, wg_str_dup(l->interpreter));
        strv_add(&argv, xasprintf("%s/node/bootstrap.cjs", l->runtimes_dir));
        break;
    case WG_RUNTIME_PYTHON:
        strv_add(&argv, wg_str_dup(l->interpreter));
        strv_add(&argv, xasprintf("%s/python/bootstrap.py", l->runtimes_dir));
        break;
    case WG_RUNTIME_JAVA: {
        /* AWS's runtime interface client (runtimes/java/lib, from Maven Central) loads the
         * handler class from the built classes or jar; lib/ beside them holds the dependencies,
         * as in a Lambda deployment package. Lambda starts Java with tiered compilation stopped
         * at C1 for faster cold starts: so do we. */
        struct stat st;
        int is_dir = stat(code->code_path, &st) == 0 && S_ISDIR(st.st_mode);
        strv_add(&argv, wg_str_dup(l->interpreter));
        strv_add(&argv, wg_str_dup("-XX:+TieredCompilation"));
        strv_add(&argv, wg_str_dup("-XX:TieredStopAtLevel=1"));
        strv_add(&argv, wg_str_dup("-cp"));
        strv_add(&argv, is_dir
                            ? xasprintf("%s:%s/lib/*:%s/java/lib/*", code->code_path, code->code_path, l->runtimes_dir)
                            : xasprintf("%s:%s/java/lib/*", code->code_path, l->runtimes_dir));
        strv_add(&argv, wg_str_dup("com.amazonaws.services.lambda.runtime.api.client.AWSLambda"));
        strv_add(&argv, wg_str_dup(code->handler));
        break;
    }
    case WG_RUNTIME_PROVIDED: {
        /* provided.*: the package's `bootstrap`; go1.x: the executable named by the handler. */
        const char *exe = strcmp(code->runtime, "go1.x") == 0 ? code->handler : "bootstrap";
        char *path = exe[0] == '/' ? wg_str_dup(exe) : xasprintf("%s/%s", cmd->cwd, exe);
        if (access(path, X_OK) != 0) {
            snprintf(err, err_size,
                     "function %s (%s): %s is not an executable file (%s); build it first (wsgate builds nothing)",
                     l->name, code->runtime, path, strerror(errno));
            free(path);
            goto Error;
        }
        strv_add(&argv, path);
        break;
    }
    case WG_RUNTIME_UNKNOWN:
        snprintf(err, err_size,
                 "function %s: runtime '%s' is not one wsgate runs (nodejs*, python3.*, java*, provided*, go1.x)",
                 l->name, code->runtime ? code->runtime : "(none)");
        goto Error;
    }

    char stamp[16];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y/%m/%d", &tm);
    unsigned char rnd[16];
    RAND_bytes(rnd, sizeof(rnd));
    char hex[33];
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
    char mem[16];
    snprintf(mem, sizeof(mem), "%u", code->memory_mb);

    env_inherit(&env, "PATH");
    env_inherit(&env, "HOME");
    env_inherit(&env, "NODE_PATH");
    env_inherit(&env, "PYTHONPATH");
    for (size_t i = 0; i < code->num_env; i++)
        env_set(&env, code->env[i].key, code->env[i].value);
    env_set(&env, "LANG", "en_US.UTF-8");
    env_set(&env, "TZ", ":UTC");
    env_set(&env, "AWS_LAMBDA_FUNCTION_NAME", l->name);
    env_set(&env, "AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
    env_set(&env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", mem);
    char *group = xasprintf("/aws/lambda/%s", l->name);
    env_set(&env, "AWS_LAMBDA_LOG_GROUP_NAME", group);
    free(group);
    char *stream = xasprintf("%s/[$LATEST]%s", stamp, hex);
    env_set(&env, "AWS_LAMBDA_LOG_STREAM_NAME", stream);
    free(stream);
    env_set(&env, "AWS_REGION", l->region);
    env_set(&env, "AWS_DEFAULT_REGION", l->region);
    char *exec_env = xasprintf("AWS_Lambda_%s", code->runtime);
    env_set(&env, "AWS_EXECUTION_ENV", exec_env);
    free(exec_env);
    env_set(&env, "AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand");
    env_set(&env, "_HANDLER", code->handler);
    env_set(&env, "LAMBDA_TASK_ROOT", cmd->cwd);
    env_set(&env, "LAMBDA_RUNTIME_DIR", l->runtimes_dir);
    env_set(&env, "AWS_ACCESS_KEY_ID", l->access_key_id);
    env_set(&env, "AWS_SECRET_ACCESS_KEY", l->secret_access_key);
    env_set(&env, "AWS_SESSION_TOKEN", l->session_token);
    if (wg_runtime_kind(code->runtime) == WG_RUNTIME_PYTHON)
        env_set(&env, "PYTHONUNBUFFERED", "1"); /* log lines as they are printed, as on Lambda */
    if (l->ca_file != NULL)
        env_set(&env, "NODE_EXTRA_CA_CERTS", l->ca_file);
    if (l->ca_bundle_file != NULL) {
        env_set(&env, "AWS_CA_BUNDLE", l->ca_bundle_file);
        env_set(&env, "REQUESTS_CA_BUNDLE", l->ca_bundle_file);
        env_set(&env, "SSL_CERT_FILE", l->ca_bundle_file);
    }
    env_set(&env, "AWS_LAMBDA_RUNTIME_API", l->runtime_api);
    OPENSSL_cleanse(hex, sizeof(hex));

    cmd->argv = argv.v;
    cmd->envp = env.v;
    return 0;

Error:
    cmd->argv = argv.v;
    cmd->envp = env.v;
    wg_function_command_free(cmd);
    return -1;
}

void wg_function_command_free(wg_function_command_t *cmd)
{
    for (char **p = cmd->argv; p != NULL && *p != NULL; p++)
        free(*p);
    free(cmd->argv);
    for (char **p = cmd->envp; p != NULL && *p != NULL; p++) {
        /* the credentials are in here */
        OPENSSL_cleanse(*p, strlen(*p));
        free(*p);
    }
    free(cmd->envp);
    free(cmd->cwd);
    memset(cmd, 0, sizeof(*cmd));
}

/* ---- output --------------------------------------------------------------------------------- */

static void flush_line(output_pipe_t *p)
{
    if (p->line_len == 0)
        return;
    p->proc->cb.on_line(p->proc->data, p->line, p->line_len);
    p->line_len = 0;
}

/* Reads what is there; returns 1 at EOF or on an error (the pipe is then closed). */
static int drain_pipe(output_pipe_t *p)
{
    char buf[8192];
    for (;;) {
        ssize_t n = read(h2o_socket_get_fd(p->sock), buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0) {
            flush_line(p);
            return 1;
        }
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                flush_line(p);
                continue;
            }
            if (buf[i] == '\r')
                continue;
            p->line[p->line_len++] = buf[i];
            if (p->line_len == sizeof(p->line))
                flush_line(p); /* a long line is logged in pieces */
        }
    }
}

static void close_pipe(output_pipe_t *p)
{
    if (p->sock == NULL)
        return;
    h2o_socket_read_stop(p->sock);
    h2o_socket_close(p->sock);
    p->sock = NULL;
}

static void on_output(h2o_socket_t *sock, const char *err)
{
    (void)err;
    output_pipe_t *p = sock->data;
    if (drain_pipe(p))
        close_pipe(p);
}

/* ---- exit ----------------------------------------------------------------------------------- */

static void on_pidfd(h2o_socket_t *sock, const char *err)
{
    (void)err;
    wg_function_process_t *proc = sock->data;
    int status = 0;
    pid_t r = waitpid(proc->pid, &status, WNOHANG);
    if (r == 0)
        return; /* not yet (spurious wake-up) */
    h2o_socket_read_stop(proc->pid_sock);
    h2o_socket_close(proc->pid_sock);
    proc->pid_sock = NULL;
    /* What it printed last comes before its exit is reported. Children it left behind may hold
     * the pipes open: the group is killed, and the pipes are closed here. */
    kill(-proc->pid, SIGKILL);
    if (proc->out.sock != NULL)
        drain_pipe(&proc->out);
    if (proc->err.sock != NULL)
        drain_pipe(&proc->err);
    close_pipe(&proc->out);
    close_pipe(&proc->err);
    proc->has_exited = 1;
    proc->cb.on_exit(proc->data, r < 0 ? 0 : status);
}

static int nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

wg_function_process_t *wg_function_process_spawn(h2o_evloop_t *loop, const wg_function_command_t *cmd,
                                                 const wg_function_process_callbacks_t *cb, void *data, char *err,
                                                 size_t err_size)
{
    int out[2] = {-1, -1}, errp[2] = {-1, -1}, devnull = -1, pidfd = -1;
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0 ||
        (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
        snprintf(err, err_size, "cannot create pipes: %s", strerror(errno));
        goto Error;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, err_size, "cannot fork: %s", strerror(errno));
        goto Error;
    }
    if (pid == 0) {
        /* The child: only async-signal-safe calls until exec (wsgate has other threads). Its
         * own process group, so that stopping it stops what it started; killed with wsgate. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL); /* wsgate blocks SIGTERM/SIGINT for its signalfd */
        struct sigaction dfl;
        memset(&dfl, 0, sizeof(dfl));
        dfl.sa_handler = SIG_DFL;
        sigaction(SIGPIPE, &dfl, NULL); /* wsgate ignores it; exec keeps "ignored" */
        dup2(devnull, 0);
        dup2(out[1], 1);
        dup2(errp[1], 2);
        if (chdir(cmd->cwd) != 0)
            _exit(126);
        execve(cmd->argv[0], cmd->argv, cmd->envp);
        static const char msg[] = "wsgate: cannot execute the runtime\n";
        ssize_t ignored = write(2, msg, sizeof(msg) - 1);
        (void)ignored;
        _exit(127);
    }
    /* Also in the parent, so that a signal sent before the child ran setpgid reaches it. */
    setpgid(pid, pid);
    close(out[1]);
    close(errp[1]);
    close(devnull);
    out[1] = errp[1] = devnull = -1;

    wg_function_process_t *proc = calloc(1, sizeof(*proc));
    if (proc == NULL)
        abort();
    proc->pid = pid;
    proc->cb = *cb;
    proc->data = data;
    pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) {
        snprintf(err, err_size, "pidfd_open: %s (Linux 5.3 or later is needed)", strerror(errno));
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(out[0]);
        close(errp[0]);
        free(proc);
        return NULL;
    }
    fcntl(pidfd, F_SETFD, FD_CLOEXEC);
    nonblocking(out[0]);
    nonblocking(errp[0]);
    proc->out.proc = proc->err.proc = proc;
    proc->out.sock = h2o_evloop_socket_create(loop, out[0], H2O_SOCKET_FLAG_DONT_READ);
    proc->out.sock->data = &proc->out;
    h2o_socket_read_start(proc->out.sock, on_output);
    proc->err.sock = h2o_evloop_socket_create(loop, errp[0], H2O_SOCKET_FLAG_DONT_READ);
    proc->err.sock->data = &proc->err;
    h2o_socket_read_start(proc->err.sock, on_output);
    proc->pid_sock = h2o_evloop_socket_create(loop, pidfd, H2O_SOCKET_FLAG_DONT_READ);
    proc->pid_sock->data = proc;
    h2o_socket_read_start(proc->pid_sock, on_pidfd);
    return proc;

Error:
    for (int i = 0; i < 2; i++) {
        if (out[i] >= 0)
            close(out[i]);
        if (errp[i] >= 0)
            close(errp[i]);
    }
    if (devnull >= 0)
        close(devnull);
    return NULL;
}

void wg_function_process_signal(wg_function_process_t *proc, int sig)
{
    if (proc->has_exited)
        return;
    kill(-proc->pid, sig);
}

void wg_function_process_drain(wg_function_process_t *proc)
{
    if (proc->out.sock != NULL && drain_pipe(&proc->out))
        close_pipe(&proc->out);
    if (proc->err.sock != NULL && drain_pipe(&proc->err))
        close_pipe(&proc->err);
}

pid_t wg_function_process_pid(const wg_function_process_t *proc)
{
    return proc->pid;
}

bool wg_function_process_has_exited(const wg_function_process_t *proc)
{
    return proc->has_exited;
}

void wg_function_process_free(wg_function_process_t *proc)
{
    if (proc == NULL)
        return;
    if (!proc->has_exited) {
        kill(-proc->pid, SIGKILL);
        kill(proc->pid, SIGKILL);
        waitpid(proc->pid, NULL, 0);
    }
    if (proc->pid_sock != NULL) {
        h2o_socket_read_stop(proc->pid_sock);
        h2o_socket_close(proc->pid_sock);
    }
    close_pipe(&proc->out);
    close_pipe(&proc->err);
    free(proc);
}

void wg_function_exit_text(int status, char *out, size_t out_size)
{
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char *name = sig == SIGKILL   ? "killed"
                           : sig == SIGSEGV ? "segmentation fault"
                           : sig == SIGTERM ? "terminated"
                           : sig == SIGABRT ? "aborted"
                                            : NULL;
        if (name != NULL)
            snprintf(out, out_size, "signal: %s", name);
        else
            snprintf(out, out_size, "signal: %d", sig);
    } else {
        snprintf(out, out_size, "exit status %d", WIFEXITED(status) ? WEXITSTATUS(status) : 0);
    }
}
