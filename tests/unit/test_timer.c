/*
 * test_timer.c: one-shot timers of any delay (timer.h) on a real h2o evloop: each fires once, not
 * before its delay (a delay between two lists', one moved down the lists, and 0 on the next
 * turn); a stopped timer never fires; a restarted one fires at its new time only; a callback may
 * start another timer. Every wait is bounded (LOOP_LIMIT_MS).
 */
#include <check.h>
#include <stdlib.h>
#include <time.h>

#include "timer.h"

#define LOOP_LIMIT_MS 5000

typedef struct probe {
    wg_timer_t timer;
    int fired;
    uint64_t fired_at;
} probe_t;

static h2o_evloop_t *loop;
static wg_timer_lists_t *lists;

static void setup(void)
{
    loop = h2o_evloop_create();
    lists = wg_timer_new_lists(loop);
}

static void teardown(void)
{
    wg_timer_free_lists(lists);
    h2o_evloop_destroy(loop);
}

static void on_fire(wg_timer_t *timer)
{
    probe_t *p = H2O_STRUCT_FROM_MEMBER(probe_t, timer, timer);
    p->fired++;
    p->fired_at = h2o_now(loop);
}

/* Runs the loop until every probe fired or LOOP_LIMIT_MS passed. */
static void run_until_fired(probe_t *probes, size_t n)
{
    uint64_t start = h2o_now(loop);
    for (;;) {
        size_t done = 0;
        for (size_t i = 0; i < n; i++)
            done += probes[i].fired > 0;
        if (done == n || h2o_now(loop) - start > LOOP_LIMIT_MS)
            return;
        h2o_evloop_run(loop, 10);
    }
}

START_TEST(test_each_fires_once_not_early)
{
    static const uint64_t delays[] = {0, 1, 3, 17, 70, 300, 1100};
    enum { N = sizeof(delays) / sizeof(delays[0]) };
    probe_t probes[N] = {0};
    uint64_t start = h2o_now(loop);
    for (size_t i = 0; i < N; i++)
        wg_timer_start(lists, &probes[i].timer, delays[i], on_fire);
    for (size_t i = 0; i < N; i++)
        ck_assert(wg_timer_is_running(&probes[i].timer));
    run_until_fired(probes, N);
    /* a little longer: nothing fires twice */
    uint64_t settle = h2o_now(loop);
    while (h2o_now(loop) - settle < 50)
        h2o_evloop_run(loop, 10);
    for (size_t i = 0; i < N; i++) {
        ck_assert_msg(probes[i].fired == 1, "delay %llu fired %d times", (unsigned long long)delays[i],
                      probes[i].fired);
        ck_assert_msg(probes[i].fired_at >= start + delays[i], "delay %llu fired after %llu ms",
                      (unsigned long long)delays[i], (unsigned long long)(probes[i].fired_at - start));
        ck_assert(!wg_timer_is_running(&probes[i].timer));
    }
}
END_TEST

START_TEST(test_stop_and_restart)
{
    probe_t stopped = {0}, restarted = {0}, zeroed = {0};
    wg_timer_start(lists, &stopped.timer, 20, on_fire);
    wg_timer_stop(&stopped.timer);
    wg_timer_stop(&zeroed.timer); /* a zeroed timer: stopping it is harmless */
    ck_assert(!wg_timer_is_running(&stopped.timer));
    uint64_t start = h2o_now(loop);
    wg_timer_start(lists, &restarted.timer, 10, on_fire);
    wg_timer_start(lists, &restarted.timer, 120, on_fire); /* restarted: only the later time counts */
    run_until_fired(&restarted, 1);
    ck_assert_int_eq(restarted.fired, 1);
    ck_assert_uint_ge(restarted.fired_at, start + 120);
    ck_assert_int_eq(stopped.fired, 0);
    ck_assert_int_eq(zeroed.fired, 0);
}
END_TEST

static probe_t chained;

static void on_fire_then_chain(wg_timer_t *timer)
{
    on_fire(timer);
    wg_timer_start(lists, &chained.timer, 5, on_fire);
}

START_TEST(test_callback_starts_another)
{
    probe_t first = {0};
    chained = (probe_t){0};
    wg_timer_start(lists, &first.timer, 5, on_fire_then_chain);
    run_until_fired(&first, 1);
    run_until_fired(&chained, 1);
    ck_assert_int_eq(first.fired, 1);
    ck_assert_int_eq(chained.fired, 1);
    ck_assert_uint_ge(chained.fired_at, first.fired_at + 5);
}
END_TEST

Suite *wg_test_suite_timer(void)
{
    Suite *s = suite_create("timer");
    TCase *tc = tcase_create("loop");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_each_fires_once_not_early);
    tcase_add_test(tc, test_stop_and_restart);
    tcase_add_test(tc, test_callback_starts_another);
    suite_add_tcase(s, tc);
    return s;
}
