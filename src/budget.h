/*
 * budget.h: a concurrency budget per integration target, and caps on the work waiting for one.
 *
 * On AWS a slow function does not slow another integration, and each call's integration timeout
 * runs from the moment the event is received (AWS-LIM-6). Here every target (an HTTP origin, a Lambda
 * function, the authorizer, a function wsgate runs itself) gets its own budget of calls in flight
 * (WG_LIMIT_TARGET_CONCURRENCY); a call over it waits in that target's own queue, never behind
 * another target's calls. A waiting call keeps the deadline it got on receipt: it fails with a
 * timeout at that deadline even if it never started, and when it starts it gets only the time left.
 *
 * Two classes: priority ($disconnect) calls are served before normal ones and may use the last
 * WG_LIMIT_TARGET_PRIORITY_SLOTS of a target's budget that normal calls may not, so a $disconnect
 * never waits behind message traffic; they are never refused (one per connection, so bounded by
 * the connections). Normal calls are refused (the caller answers "throttled") once the waiting
 * work of every target together reaches WG_LIMIT_WAITING_CALLS or WG_LIMIT_WAITING_BYTES.
 *
 * Loop thread only. Targets are named by a string key (integration.c builds them); their number
 * is bounded by the configuration (WG_LIMIT_BUDGET_TARGETS; beyond it, keys share one overflow
 * budget).
 */
#ifndef WG_BUDGET_H
#define WG_BUDGET_H

#include <stddef.h>
#include <stdint.h>

#define H2O_USE_LIBUV 0
#include <h2o.h>

typedef struct wg_budget wg_budget_t;
typedef struct wg_budget_target wg_budget_target_t;

/** A slot held by a running call: give it back with wg_budget_release. */
typedef struct wg_budget_slot {
    wg_budget_target_t *target;
    int is_priority;
} wg_budget_slot_t;

/**
 * A waiting call's callbacks. `start` runs when a slot frees (with the slot, which the call must
 * release when it completes, and the milliseconds left before its deadline, at least 1). `drop`
 * runs instead when the call leaves the queue without starting: `is_timeout` 1 when its deadline
 * passed, 0 when wg_budget_drop_waiting removed it (shutdown). Exactly one of them runs.
 */
typedef void (*wg_budget_start_cb)(void *data, wg_budget_slot_t slot, uint32_t remaining_ms);
typedef void (*wg_budget_drop_cb)(void *data, int is_timeout);

wg_budget_t *wg_budget_new(h2o_loop_t *loop);
/** Frees the budget; waiting calls are dropped first (drop with is_timeout 0). */
void wg_budget_free(wg_budget_t *budget);

/** The target for `key` (created on first use; borrowed, lives as long as the budget). */
wg_budget_target_t *wg_budget_target(wg_budget_t *budget, const char *key);

/** The target remembered for `owner` (a route: its address), or NULL. */
wg_budget_target_t *wg_budget_target_of(wg_budget_t *budget, const void *owner);
/** Remembers `target` for `owner` (which must live as long as the budget); the first
 * WG_LIMIT_BUDGET_TARGETS owners only, later ones are looked up by key each time. */
void wg_budget_remember(wg_budget_t *budget, const void *owner, wg_budget_target_t *target);

/** Takes a slot of `target` now when one is free and nothing of the same or a higher class waits.
 * Returns 0 and fills *slot, or -1 (then the call must wait or be refused). */
int wg_budget_try_acquire(wg_budget_target_t *target, int is_priority, wg_budget_slot_t *slot);

/**
 * Queues a call for `target`: it starts (start) when a slot frees, or is dropped (drop) at its
 * deadline, `timeout_ms` from now. `bytes` is what the waiting call holds (its event), for the
 * total cap. Returns 0, or -1 when a normal call is over the waiting caps (nothing queued, no
 * callback will run: the caller answers "throttled"). Priority calls are always queued.
 */
int wg_budget_wait(wg_budget_target_t *target, int is_priority, uint32_t timeout_ms, size_t bytes,
                   wg_budget_start_cb start, wg_budget_drop_cb drop, void *data);

/** Gives a slot back (its call completed) and starts the next waiting call of that target. */
void wg_budget_release(wg_budget_slot_t slot);

/** Shutdown: drops every waiting normal call (drop with is_timeout 0) so that the $disconnect
 * calls behind them start; priority calls stay queued. */
void wg_budget_drop_waiting(wg_budget_t *budget);

/** Calls waiting, and in flight, over all targets (for /health and tests). */
size_t wg_budget_count_waiting(const wg_budget_t *budget);
size_t wg_budget_count_running(const wg_budget_t *budget);

#endif
