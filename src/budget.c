/*
 * budget.c: per-target concurrency budgets and the bounded queues behind them (see budget.h).
 *
 * A waiting call sits in its target's queue for its class, with a timer (timer.h) for its deadline.
 */
#include "budget.h"

#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "limits.h"
#include "timer.h"

typedef struct waiting {
    h2o_linklist_t link; /* in its target's queue */
    wg_timer_t timer; /* fires at the deadline */
    wg_budget_target_t *target;
    int is_priority;
    size_t bytes;
    wg_budget_start_cb start;
    wg_budget_drop_cb drop;
    void *data;
} waiting_t;

struct wg_budget_target {
    wg_budget_t *budget;
    wg_budget_target_t *next;
    char *key;
    size_t running;
    int is_pumping;
    h2o_linklist_t queue[2]; /* [0] normal, [1] priority ($disconnect) */
};

struct wg_budget {
    h2o_loop_t *loop;
    wg_budget_target_t *targets;
    size_t num_targets;
    wg_budget_target_t *overflow;
    struct {
        const void *owner;
        wg_budget_target_t *target;
    } * owners; /* owner -> target, for wg_budget_target_of (a few: the configured routes) */
    size_t num_owners, owners_cap;
    wg_timer_lists_t *timers;
    size_t waiting, waiting_bytes, running;
    size_t waiting_high_water; /* most calls waiting since the heap was last trimmed */
    h2o_timeout_t trim_timeout;
    h2o_timeout_entry_t trim_entry;
};

/* After a burst of waiting calls (thousands of events held for a stuck backend) glibc keeps the
 * freed heap: once the queues are empty and the calls and their connections' buffers (ws.c frees
 * a quiet connection's after a second) had time to go, give it back
 * (WG_LIMIT_BUDGET_TRIM_AFTER_WAITING, WG_LIMIT_BUDGET_TRIM_DELAY_MS). */

static void on_trim(h2o_timeout_entry_t *entry)
{
    wg_budget_t *budget = H2O_STRUCT_FROM_MEMBER(wg_budget_t, trim_entry, entry);
    if (budget->waiting > 0)
        return; /* a new burst: trimmed when it drains */
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    budget->waiting_high_water = 0;
}

static wg_budget_target_t *new_target(wg_budget_t *budget, const char *key)
{
    wg_budget_target_t *t = calloc(1, sizeof(*t));
    if (t == NULL || (t->key = strdup(key)) == NULL)
        abort();
    t->budget = budget;
    h2o_linklist_init_anchor(&t->queue[0]);
    h2o_linklist_init_anchor(&t->queue[1]);
    return t;
}

wg_budget_t *wg_budget_new(h2o_loop_t *loop)
{
    wg_budget_t *budget = calloc(1, sizeof(*budget));
    if (budget == NULL)
        abort();
    budget->loop = loop;
    budget->timers = wg_timer_new_lists(loop);
    budget->overflow = new_target(budget, "(overflow)");
    h2o_timeout_init(loop, &budget->trim_timeout, WG_LIMIT_BUDGET_TRIM_DELAY_MS);
    budget->trim_entry.cb = on_trim;
    return budget;
}

wg_budget_target_t *wg_budget_target(wg_budget_t *budget, const char *key)
{
    for (wg_budget_target_t *t = budget->targets; t != NULL; t = t->next)
        if (strcmp(t->key, key) == 0)
            return t;
    if (budget->num_targets >= WG_LIMIT_BUDGET_TARGETS)
        return budget->overflow;
    wg_budget_target_t *t = new_target(budget, key);
    t->next = budget->targets;
    budget->targets = t;
    budget->num_targets++;
    return t;
}

wg_budget_target_t *wg_budget_target_of(wg_budget_t *budget, const void *owner)
{
    for (size_t i = 0; i < budget->num_owners; i++)
        if (budget->owners[i].owner == owner)
            return budget->owners[i].target;
    return NULL;
}

void wg_budget_remember(wg_budget_t *budget, const void *owner, wg_budget_target_t *target)
{
    if (budget->num_owners >= WG_LIMIT_BUDGET_TARGETS)
        return;
    if (budget->num_owners == budget->owners_cap) {
        size_t cap = budget->owners_cap ? budget->owners_cap * 2 : 16;
        void *owners = realloc(budget->owners, cap * sizeof(*budget->owners));
        if (owners == NULL)
            abort();
        budget->owners = owners;
        budget->owners_cap = cap;
    }
    budget->owners[budget->num_owners].owner = owner;
    budget->owners[budget->num_owners].target = target;
    budget->num_owners++;
}

/* The most calls of this class that may run at once on one target. */
static size_t class_cap(int is_priority)
{
    return is_priority ? WG_LIMIT_TARGET_CONCURRENCY : WG_LIMIT_TARGET_CONCURRENCY - WG_LIMIT_TARGET_PRIORITY_SLOTS;
}

int wg_budget_try_acquire(wg_budget_target_t *target, int is_priority, wg_budget_slot_t *slot)
{
    /* FIFO within a class; priority calls go before normal ones */
    if (target->running >= class_cap(is_priority) || !h2o_linklist_is_empty(&target->queue[1]) ||
        (!is_priority && !h2o_linklist_is_empty(&target->queue[0])))
        return -1;
    target->running++;
    target->budget->running++;
    slot->target = target;
    slot->is_priority = is_priority;
    return 0;
}

static void unqueue(waiting_t *w)
{
    wg_budget_t *budget = w->target->budget;
    h2o_linklist_unlink(&w->link);
    wg_timer_stop(&w->timer);
    budget->waiting--;
    budget->waiting_bytes -= w->bytes;
    if (budget->waiting == 0 && budget->waiting_high_water >= WG_LIMIT_BUDGET_TRIM_AFTER_WAITING &&
        !h2o_timeout_is_linked(&budget->trim_entry))
        h2o_timeout_link(budget->loop, &budget->trim_timeout, &budget->trim_entry);
}

/* Starts waiting calls while `target` has room for them. */
static void pump(wg_budget_target_t *target)
{
    if (target->is_pumping)
        return; /* a start callback released a slot: the loop below goes on */
    target->is_pumping = 1;
    for (;;) {
        int cls;
        if (!h2o_linklist_is_empty(&target->queue[1]) && target->running < class_cap(1))
            cls = 1;
        else if (h2o_linklist_is_empty(&target->queue[1]) && !h2o_linklist_is_empty(&target->queue[0]) &&
                 target->running < class_cap(0))
            cls = 0;
        else
            break;
        waiting_t *w = H2O_STRUCT_FROM_MEMBER(waiting_t, link, target->queue[cls].next);
        unqueue(w);
        uint64_t now = h2o_now(target->budget->loop);
        if (now >= w->timer.at) {
            /* its deadline came in the same loop turn as the free slot */
            w->drop(w->data, 1);
            free(w);
            continue;
        }
        target->running++;
        target->budget->running++;
        wg_budget_slot_t slot = {target, w->is_priority};
        uint64_t left = w->timer.at - now;
        w->start(w->data, slot, (uint32_t)(left > UINT32_MAX ? UINT32_MAX : left));
        free(w);
    }
    target->is_pumping = 0;
}

static void on_deadline(wg_timer_t *timer)
{
    waiting_t *w = H2O_STRUCT_FROM_MEMBER(waiting_t, timer, timer);
    unqueue(w);
    w->drop(w->data, 1);
    free(w);
}

int wg_budget_wait(wg_budget_target_t *target, int is_priority, uint32_t timeout_ms, size_t bytes,
                   wg_budget_start_cb start, wg_budget_drop_cb drop, void *data)
{
    wg_budget_t *budget = target->budget;
    if (!is_priority &&
        (budget->waiting >= WG_LIMIT_WAITING_CALLS || budget->waiting_bytes + bytes > WG_LIMIT_WAITING_BYTES))
        return -1;
    waiting_t *w = calloc(1, sizeof(*w));
    if (w == NULL)
        abort();
    w->target = target;
    w->is_priority = is_priority;
    w->bytes = bytes;
    w->start = start;
    w->drop = drop;
    w->data = data;
    h2o_linklist_insert(&target->queue[is_priority ? 1 : 0], &w->link);
    wg_timer_start(budget->timers, &w->timer, timeout_ms, on_deadline);
    budget->waiting++;
    budget->waiting_bytes += bytes;
    if (budget->waiting > budget->waiting_high_water)
        budget->waiting_high_water = budget->waiting;
    pump(target); /* a slot may be free (only the class order held it back) */
    return 0;
}

void wg_budget_release(wg_budget_slot_t slot)
{
    wg_budget_target_t *target = slot.target;
    target->running--;
    target->budget->running--;
    pump(target);
}

static void drop_queue(h2o_linklist_t *queue)
{
    while (!h2o_linklist_is_empty(queue)) {
        waiting_t *w = H2O_STRUCT_FROM_MEMBER(waiting_t, link, queue->next);
        unqueue(w);
        w->drop(w->data, 0);
        free(w);
    }
}

void wg_budget_drop_waiting(wg_budget_t *budget)
{
    for (wg_budget_target_t *t = budget->targets; t != NULL; t = t->next)
        drop_queue(&t->queue[0]);
    drop_queue(&budget->overflow->queue[0]);
}

size_t wg_budget_count_waiting(const wg_budget_t *budget)
{
    return budget->waiting;
}

size_t wg_budget_count_running(const wg_budget_t *budget)
{
    return budget->running;
}

static void free_target(wg_budget_target_t *t)
{
    drop_queue(&t->queue[1]);
    drop_queue(&t->queue[0]);
    free(t->key);
    free(t);
}

void wg_budget_free(wg_budget_t *budget)
{
    if (budget == NULL)
        return;
    while (budget->targets != NULL) {
        wg_budget_target_t *next = budget->targets->next;
        free_target(budget->targets);
        budget->targets = next;
    }
    free_target(budget->overflow);
    free(budget->owners);
    if (h2o_timeout_is_linked(&budget->trim_entry))
        h2o_timeout_unlink(&budget->trim_entry);
    h2o_timeout_dispose(budget->loop, &budget->trim_timeout);
    wg_timer_free_lists(budget->timers);
    free(budget);
}
