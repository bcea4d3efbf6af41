/*
 * timer.c: one-shot timers of any delay on h2o's fixed-delay timeout lists (see timer.h).
 */
#include "timer.h"

#include <stdlib.h>

/* Delays of the lists: 0, then 4^0 .. 4^(WG_TIMER_LEVELS - 2) ms (1 ms to about 19 hours). A
 * longer delay waits in the last list and is moved on when it fires. */
#define WG_TIMER_LEVELS 18

struct wg_timer_lists {
    h2o_loop_t *loop;
    h2o_timeout_t lists[WG_TIMER_LEVELS];
    bool is_ready[WG_TIMER_LEVELS]; /* initialised on first use: every list costs the loop a look per turn */
};

static uint64_t level_delay(size_t level)
{
    return level == 0 ? 0 : (uint64_t)1 << (2 * (level - 1));
}

/* The longest list whose delay is at most `left` (left 0: the next-turn list). */
static size_t level_for(uint64_t left)
{
    size_t level = 0;
    while (level + 1 < WG_TIMER_LEVELS && level_delay(level + 1) <= left)
        level++;
    return level;
}

static void on_entry(h2o_timeout_entry_t *entry);

static void link_timer(wg_timer_t *timer, uint64_t now)
{
    wg_timer_lists_t *lists = timer->lists;
    size_t level = level_for(timer->at > now ? timer->at - now : 0);
    if (!lists->is_ready[level]) {
        h2o_timeout_init(lists->loop, &lists->lists[level], level_delay(level));
        lists->is_ready[level] = true;
    }
    timer->entry.cb = on_entry;
    h2o_timeout_link(lists->loop, &lists->lists[level], &timer->entry);
}

static void on_entry(h2o_timeout_entry_t *entry)
{
    wg_timer_t *timer = H2O_STRUCT_FROM_MEMBER(wg_timer_t, entry, entry);
    uint64_t now = h2o_now(timer->lists->loop);
    if (now < timer->at) {
        link_timer(timer, now); /* a list shorter than the time left: move on */
        return;
    }
    timer->cb(timer);
}

wg_timer_lists_t *wg_timer_new_lists(h2o_loop_t *loop)
{
    wg_timer_lists_t *lists = calloc(1, sizeof(*lists));
    if (lists == NULL)
        abort();
    lists->loop = loop;
    return lists;
}

void wg_timer_free_lists(wg_timer_lists_t *lists)
{
    if (lists == NULL)
        return;
    for (size_t i = 0; i < WG_TIMER_LEVELS; i++)
        if (lists->is_ready[i])
            h2o_timeout_dispose(lists->loop, &lists->lists[i]);
    free(lists);
}

void wg_timer_start(wg_timer_lists_t *lists, wg_timer_t *timer, uint64_t delay_ms, wg_timer_cb cb)
{
    wg_timer_stop(timer);
    uint64_t now = h2o_now(lists->loop);
    timer->lists = lists;
    timer->at = delay_ms > UINT64_MAX - now ? UINT64_MAX : now + delay_ms;
    timer->cb = cb;
    link_timer(timer, now);
}

void wg_timer_stop(wg_timer_t *timer)
{
    if (h2o_timeout_is_linked(&timer->entry))
        h2o_timeout_unlink(&timer->entry);
}

bool wg_timer_is_running(const wg_timer_t *timer)
{
    return h2o_timeout_is_linked((h2o_timeout_entry_t *)&timer->entry);
}
