/*
 * test_budget.c: per-target budgets (budget.h): slots per target and class, FIFO with priority
 * first, deadlines that run while a call waits, the waiting caps, the shutdown drop. A real h2o
 * evloop drives the deadlines.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "limits.h"

typedef struct record {
    int started, dropped, timed_out;
    uint32_t remaining_ms;
    wg_budget_slot_t slot;
    int order; /* when it started, among all records */
} record_t;

static int start_counter;

static void on_start(void *data, wg_budget_slot_t slot, uint32_t remaining_ms)
{
    record_t *r = data;
    r->started = 1;
    r->slot = slot;
    r->remaining_ms = remaining_ms;
    r->order = ++start_counter;
}

static void on_drop(void *data, int is_timeout)
{
    record_t *r = data;
    r->dropped = 1;
    r->timed_out = is_timeout;
}

static h2o_evloop_t *loop;
static wg_budget_t *budget;

static void setup(void)
{
    if (loop == NULL)
        loop = h2o_evloop_create(); /* one per process, kept: h2o 2.2.5 cannot destroy a loop */
    budget = wg_budget_new(loop);
    start_counter = 0;
}

static void teardown(void)
{
    wg_budget_free(budget);
}

/* Fills every normal slot of `t`. */
static wg_budget_slot_t *fill_normal(wg_budget_target_t *t)
{
    size_t n = WG_LIMIT_TARGET_CONCURRENCY - WG_LIMIT_TARGET_PRIORITY_SLOTS;
    wg_budget_slot_t *slots = calloc(n, sizeof(*slots));
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(wg_budget_try_acquire(t, 0, &slots[i]), 0);
    return slots;
}

START_TEST(test_targets_are_separate)
{
    wg_budget_target_t *a = wg_budget_target(budget, "a");
    wg_budget_target_t *b = wg_budget_target(budget, "b");
    ck_assert_ptr_ne(a, b);
    ck_assert_ptr_eq(wg_budget_target(budget, "a"), a);
    wg_budget_slot_t *slots = fill_normal(a);
    wg_budget_slot_t s;
    ck_assert_int_eq(wg_budget_try_acquire(a, 0, &s), -1); /* a is full for messages */
    ck_assert_int_eq(wg_budget_try_acquire(b, 0, &s), 0); /* b is not slowed by a */
    wg_budget_release(s);
    for (size_t i = 0; i < WG_LIMIT_TARGET_CONCURRENCY - WG_LIMIT_TARGET_PRIORITY_SLOTS; i++)
        wg_budget_release(slots[i]);
    ck_assert_uint_eq(wg_budget_count_running(budget), 0);
    free(slots);
}
END_TEST

START_TEST(test_priority_slots_and_order)
{
    wg_budget_target_t *t = wg_budget_target(budget, "t");
    wg_budget_slot_t *slots = fill_normal(t);
    record_t msg = {0}, disc = {0};
    ck_assert_int_eq(wg_budget_wait(t, 0, 10000, 100, on_start, on_drop, &msg), 0);
    ck_assert(!msg.started);
    /* a $disconnect still has its own slots */
    wg_budget_slot_t p[WG_LIMIT_TARGET_PRIORITY_SLOTS];
    for (int i = 0; i < WG_LIMIT_TARGET_PRIORITY_SLOTS; i++)
        ck_assert_int_eq(wg_budget_try_acquire(t, 1, &p[i]), 0);
    wg_budget_slot_t extra;
    ck_assert_int_eq(wg_budget_try_acquire(t, 1, &extra), -1); /* every slot taken */
    ck_assert_int_eq(wg_budget_wait(t, 1, 10000, 100, on_start, on_drop, &disc), 0);
    /* a slot frees: the waiting $disconnect goes first, although the message waited longer */
    wg_budget_release(slots[0]);
    ck_assert(disc.started);
    ck_assert(!msg.started);
    ck_assert_uint_ge(disc.remaining_ms, 9000);
    /* the message needs a normal slot: only once the priority calls are done */
    wg_budget_release(disc.slot);
    for (int i = 0; i < WG_LIMIT_TARGET_PRIORITY_SLOTS - 1; i++)
        wg_budget_release(p[i]);
    ck_assert(!msg.started);
    wg_budget_release(p[WG_LIMIT_TARGET_PRIORITY_SLOTS - 1]);
    ck_assert(msg.started);
    wg_budget_release(msg.slot);
    for (size_t i = 1; i < WG_LIMIT_TARGET_CONCURRENCY - WG_LIMIT_TARGET_PRIORITY_SLOTS; i++)
        wg_budget_release(slots[i]);
    ck_assert_uint_eq(wg_budget_count_running(budget), 0);
    ck_assert_uint_eq(wg_budget_count_waiting(budget), 0);
    free(slots);
}
END_TEST

START_TEST(test_fifo_within_a_class)
{
    wg_budget_target_t *t = wg_budget_target(budget, "t");
    wg_budget_slot_t *slots = fill_normal(t);
    record_t r[3];
    memset(r, 0, sizeof(r));
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(wg_budget_wait(t, 0, 10000, 10, on_start, on_drop, &r[i]), 0);
    /* a newcomer may not jump the queue even when a slot is free at that moment */
    wg_budget_slot_t s;
    wg_budget_release(slots[0]);
    ck_assert(r[0].started);
    ck_assert_int_eq(wg_budget_try_acquire(t, 0, &s), -1);
    wg_budget_release(slots[1]);
    wg_budget_release(slots[2]);
    ck_assert(r[1].started && r[2].started);
    ck_assert_int_lt(r[0].order, r[1].order);
    ck_assert_int_lt(r[1].order, r[2].order);
    for (int i = 0; i < 3; i++)
        wg_budget_release(r[i].slot);
    for (size_t i = 3; i < WG_LIMIT_TARGET_CONCURRENCY - WG_LIMIT_TARGET_PRIORITY_SLOTS; i++)
        wg_budget_release(slots[i]);
    free(slots);
}
END_TEST

START_TEST(test_deadline_runs_while_waiting)
{
    wg_budget_target_t *t = wg_budget_target(budget, "t");
    wg_budget_slot_t *slots = fill_normal(t);
    record_t r = {0}, later = {0};
    ck_assert_int_eq(wg_budget_wait(t, 0, 60, 10, on_start, on_drop, &r), 0);
    ck_assert_int_eq(wg_budget_wait(t, 0, 5000, 10, on_start, on_drop, &later), 0);
    uint64_t until = h2o_now(loop) + 2000;
    while (!r.dropped && h2o_now(loop) < until)
        h2o_evloop_run(loop, 20);
    ck_assert(r.dropped);
    ck_assert(r.timed_out);
    ck_assert(!r.started);
    ck_assert(!later.dropped);
    ck_assert_uint_eq(wg_budget_count_waiting(budget), 1);
    /* the other one starts with what is left of its 5 s, not a fresh 5 s */
    until = h2o_now(loop) + 200;
    while (h2o_now(loop) < until)
        h2o_evloop_run(loop, 20);
    wg_budget_release(slots[0]);
    ck_assert(later.started);
    ck_assert_uint_lt(later.remaining_ms, 5000 - 150);
    wg_budget_release(later.slot);
    for (size_t i = 1; i < WG_LIMIT_TARGET_CONCURRENCY - WG_LIMIT_TARGET_PRIORITY_SLOTS; i++)
        wg_budget_release(slots[i]);
    free(slots);
}
END_TEST

START_TEST(test_waiting_caps_refuse_normal_calls_only)
{
    wg_budget_target_t *t = wg_budget_target(budget, "t");
    wg_budget_slot_t *slots = fill_normal(t);
    record_t r = {0}, big = {0}, disc = {0};
    /* bytes: one call holding almost the whole byte cap, then any more is refused */
    ck_assert_int_eq(wg_budget_wait(t, 0, 10000, WG_LIMIT_WAITING_BYTES - 10, on_start, on_drop, &big), 0);
    ck_assert_int_eq(wg_budget_wait(t, 0, 10000, 11, on_start, on_drop, &r), -1);
    ck_assert(!r.started && !r.dropped);
    /* a $disconnect is never refused */
    ck_assert_int_eq(wg_budget_wait(t, 1, 10000, 1000, on_start, on_drop, &disc), 0);
    ck_assert(disc.started); /* and it took a priority slot at once */
    wg_budget_release(disc.slot);
    /* shutdown: waiting normal calls are dropped (not as timeouts) */
    wg_budget_drop_waiting(budget);
    ck_assert(big.dropped);
    ck_assert(!big.timed_out);
    ck_assert_uint_eq(wg_budget_count_waiting(budget), 0);
    for (size_t i = 0; i < WG_LIMIT_TARGET_CONCURRENCY - WG_LIMIT_TARGET_PRIORITY_SLOTS; i++)
        wg_budget_release(slots[i]);
    free(slots);
}
END_TEST

START_TEST(test_waiting_call_count_cap)
{
    wg_budget_target_t *t = wg_budget_target(budget, "t");
    wg_budget_slot_t *slots = fill_normal(t);
    record_t *r = calloc(WG_LIMIT_WAITING_CALLS + 1, sizeof(*r));
    for (size_t i = 0; i < WG_LIMIT_WAITING_CALLS; i++)
        ck_assert_int_eq(wg_budget_wait(t, 0, 10000, 1, on_start, on_drop, &r[i]), 0);
    ck_assert_int_eq(wg_budget_wait(t, 0, 10000, 1, on_start, on_drop, &r[WG_LIMIT_WAITING_CALLS]), -1);
    wg_budget_drop_waiting(budget);
    for (size_t i = 0; i < WG_LIMIT_WAITING_CALLS; i++)
        ck_assert(r[i].dropped);
    for (size_t i = 0; i < WG_LIMIT_TARGET_CONCURRENCY - WG_LIMIT_TARGET_PRIORITY_SLOTS; i++)
        wg_budget_release(slots[i]);
    free(r);
    free(slots);
}
END_TEST

START_TEST(test_owner_cache)
{
    static const int route_a = 1, route_b = 2;
    ck_assert_ptr_null(wg_budget_target_of(budget, &route_a));
    wg_budget_target_t *t = wg_budget_target(budget, "x");
    wg_budget_remember(budget, &route_a, t);
    ck_assert_ptr_eq(wg_budget_target_of(budget, &route_a), t);
    ck_assert_ptr_null(wg_budget_target_of(budget, &route_b));
}
END_TEST

Suite *wg_test_suite_budget(void)
{
    Suite *s = suite_create("budget");
    TCase *tc = tcase_create("budget");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_targets_are_separate);
    tcase_add_test(tc, test_priority_slots_and_order);
    tcase_add_test(tc, test_fifo_within_a_class);
    tcase_add_test(tc, test_deadline_runs_while_waiting);
    tcase_add_test(tc, test_waiting_caps_refuse_normal_calls_only);
    tcase_add_test(tc, test_waiting_call_count_cap);
    tcase_add_test(tc, test_owner_cache);
    suite_add_tcase(s, tc);
    return s;
}
