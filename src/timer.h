/*
 * timer.h: one-shot timers of any delay on the event loop.
 *
 * h2o 2.2.5's timeout lists each have one fixed delay (entries fire in the order they were linked),
 * so a delay known only at run time (an integration deadline that started when the event arrived,
 * a call that waited in its target's queue) has no list of its own. This module keeps a few lists
 * whose delays are powers of four and links a timer into the longest one that does not overshoot;
 * when that fires early it moves the timer to a shorter one, so the timer fires at its exact
 * millisecond. The common case (a call that ends before its first list fires) costs one link and
 * one unlink. Loop thread only.
 */
#ifndef WG_TIMER_H
#define WG_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define H2O_USE_LIBUV 0
#include <h2o.h>

typedef struct wg_timer_lists wg_timer_lists_t;
typedef struct wg_timer wg_timer_t;
typedef void (*wg_timer_cb)(wg_timer_t *timer);

/** A timer; embed it in the object it times, zeroed, and find the object again with
 * H2O_STRUCT_FROM_MEMBER in the callback. */
struct wg_timer {
    h2o_timeout_entry_t entry; /* private */
    wg_timer_lists_t *lists; /* private */
    uint64_t at; /* when it fires (h2o_now's clock) */
    wg_timer_cb cb;
};

wg_timer_lists_t *wg_timer_new_lists(h2o_loop_t *loop);
/** Frees the lists; no timer may still be running on them. */
void wg_timer_free_lists(wg_timer_lists_t *lists);

/** Starts (or restarts) `timer` to call `cb` once, `delay_ms` from now (0: on the loop's next turn). */
void wg_timer_start(wg_timer_lists_t *lists, wg_timer_t *timer, uint64_t delay_ms, wg_timer_cb cb);
/** Stops `timer` if it is running (safe on a zeroed or stopped timer). */
void wg_timer_stop(wg_timer_t *timer);
bool wg_timer_is_running(const wg_timer_t *timer);

#endif
