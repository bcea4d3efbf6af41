/*
 * functions_reload.c: hot reload. inotify watches each function's code directory (a bounded
 * tree, editor and cache files ignored); a change retires the pool's processes after their
 * current invocation, so the next event starts a fresh process with the new code (--no-reload
 * turns it off). Not AWS behaviour: the local stand-in for deploying a new version.
 */
#include "functions_internal.h"

#include <stdbool.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "limits.h"
#include "log.h"

/* ---- hot reload ----------------------------------------------------------------------------- */

static void retire_all(pool_t *pool)
{
    for (h2o_linklist_t *l = pool->procs.next; l != &pool->procs; l = l->next) {
        proc_t *p = H2O_STRUCT_FROM_MEMBER(proc_t, link, l);
        if (p->state == PROC_EXITED || p->is_retiring)
            continue;
        p->is_retiring = 1;
        if (p->current == NULL)
            wg_functions_kill_proc(p, "code changed");
    }
}

static bool is_ignored_name(const char *name)
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

/* Watches every function's code directory (a bounded tree) for changes. */
void wg_functions_watch_start(wg_functions_t *fns)
{
    fns->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fns->inotify_fd < 0) {
        wg_log_warn("hot reload off: inotify_init1: %s", strerror(errno));
        return;
    }
    for (size_t i = 0; i < fns->num_pools; i++) {
        char *dir = wg_function_code_dir(fns->pools[i].code);
        add_watch(fns, &fns->pools[i], dir, 0);
        free(dir);
    }
    fns->inotify_sock = h2o_evloop_socket_create(fns->loop, fns->inotify_fd, H2O_SOCKET_FLAG_DONT_READ);
    fns->inotify_sock->data = fns;
    h2o_socket_read_start(fns->inotify_sock, on_inotify);
}

void wg_functions_watch_stop(wg_functions_t *fns)
{
    if (fns->inotify_sock != NULL) {
        h2o_socket_read_stop(fns->inotify_sock);
        h2o_socket_close(fns->inotify_sock);
    } else if (fns->inotify_fd >= 0) {
        close(fns->inotify_fd);
    }
    free(fns->watches);
}
