/*
 * Unit tests of tick: the tick index, missed ticks, window boundaries and
 * once-a-second dues, every case tests/integration/window_fanout.sh meets by
 * timing, here by arithmetic.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "tick.h"

START_TEST(index_of_a_tick)
{
    /* the periodic is rescheduled before the callback: next_at is one interval on */
    ck_assert_int_eq(tick_index(10.0, 1.0), 9);
    ck_assert_int_eq(tick_index(1796200000.005, 0.001), 1796200000004LL);
    /* a few microseconds of jitter either way round to the same tick */
    ck_assert_int_eq(tick_index(0.3 + 4e-6, 0.1), 2);
    ck_assert_int_eq(tick_index(0.3 - 4e-6, 0.1), 2);
    /* 1 ms ticks at today's epoch, where doubles hold ~0.2 us */
    for (int64_t k = 1796200000000LL; k < 1796200000000LL + 5000; k++)
        ck_assert_int_eq(tick_index((double)(k + 1) * 0.001, 0.001), k);
}
END_TEST

START_TEST(missed_ticks)
{
    ck_assert_uint_eq(tick_missed(-1, 100), 0); /* the first tick */
    ck_assert_uint_eq(tick_missed(99, 100), 0);
    ck_assert_uint_eq(tick_missed(97, 100), 2);
    ck_assert_uint_eq(tick_missed(100, 100), 0); /* the same tick twice (clock step) */
    ck_assert_uint_eq(tick_missed(120, 100), 0); /* the clock went back */
}
END_TEST

START_TEST(ticks_per_window)
{
    ck_assert_int_eq(tick_per_window(1, 0.001), 1000);
    ck_assert_int_eq(tick_per_window(0.5, 0.005), 100);
    ck_assert_int_eq(tick_per_window(1, 0.1), 10);
    ck_assert_int_eq(tick_per_window(0.3, 0.1), 3); /* 2.9999999999999996 */
}
END_TEST

/* Feed ticks @from..@to into @w; the indexes of those that close a window go to @closed. */
static int run(struct window_clock *w, int64_t from, int64_t to, int64_t *closed, int *fresh_count)
{
    int n = 0, fresh;
    for (int64_t i = from; i <= to; i++) {
        if (window_clock_tick(w, i, &fresh)) closed[n++] = i;
        if (fresh) (*fresh_count)++;
    }
    return n;
}

START_TEST(no_window_every_tick_closes)
{
    struct window_clock w;
    int fresh;
    window_clock_init(&w, 1);
    for (int64_t i = 5; i < 50; i += 3) {
        ck_assert_int_eq(window_clock_tick(&w, i, &fresh), 1);
        ck_assert_int_eq(fresh, 0);
    }
}
END_TEST

START_TEST(started_mid_window_is_not_sent)
{
    /* 10 ticks a window: window 3 holds ticks 21..30 and ends on 30. Started
       at tick 24: window 3 is partial (not sent); 31..40 is whole. */
    struct window_clock w;
    int64_t closed[8];
    int fresh = 0, n;
    window_clock_init(&w, 10);
    n = run(&w, 24, 50, closed, &fresh);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(closed[0], 40);
    ck_assert_int_eq(closed[1], 50);
    ck_assert_int_eq(fresh, 3); /* windows 3, 4, 5 each started */
}
END_TEST

START_TEST(started_on_a_window_start_is_sent)
{
    /* the first tick is a window's first (index % n == 1): that window is whole */
    struct window_clock w;
    int64_t closed[8];
    int fresh = 0;
    window_clock_init(&w, 10);
    ck_assert_int_eq(run(&w, 21, 30, closed, &fresh), 1);
    ck_assert_int_eq(closed[0], 30);
}
END_TEST

START_TEST(started_on_a_window_end_is_not_sent)
{
    /* the first tick ends a window: that window had one tick of ten */
    struct window_clock w;
    int64_t closed[8];
    int fresh = 0;
    window_clock_init(&w, 10);
    ck_assert_int_eq(run(&w, 30, 40, closed, &fresh), 1);
    ck_assert_int_eq(closed[0], 40);
    ck_assert_int_eq(fresh, 2);
}
END_TEST

START_TEST(missed_closing_tick_drops_the_window)
{
    /* a stall from tick 28 to 33: window 3 (21..30) never got its last tick.
       It is not sent, and its ticks do not leak into window 4, which starts
       fresh at tick 33 (its own ticks 31, 32 were missed: it is still sent,
       as the integration test's windows after a stall are) */
    struct window_clock w;
    int fresh;
    window_clock_init(&w, 10);
    for (int64_t i = 21; i <= 27; i++) ck_assert_int_eq(window_clock_tick(&w, i, &fresh), 0);
    ck_assert_int_eq(window_clock_tick(&w, 33, &fresh), 0);
    ck_assert_int_eq(fresh, 1); /* the accumulators start over */
    for (int64_t i = 34; i <= 39; i++) {
        ck_assert_int_eq(window_clock_tick(&w, i, &fresh), 0);
        ck_assert_int_eq(fresh, 0);
    }
    ck_assert_int_eq(window_clock_tick(&w, 40, &fresh), 1);
}
END_TEST

START_TEST(stall_over_several_windows)
{
    struct window_clock w;
    int fresh;
    window_clock_init(&w, 10);
    for (int64_t i = 11; i <= 25; i++) (void)window_clock_tick(&w, i, &fresh);
    /* stopped until tick 61: windows 3..6 never ended; 61 opens window 7 */
    ck_assert_int_eq(window_clock_tick(&w, 61, &fresh), 0);
    ck_assert_int_eq(fresh, 1);
    ck_assert_int_eq(window_clock_tick(&w, 70, &fresh), 1);
    ck_assert_int_eq(fresh, 0);
}
END_TEST

START_TEST(clock_stepped_back)
{
    /* wall clock stepped back from tick 45 to tick 12: another window, fresh, sent when it ends */
    struct window_clock w;
    int fresh;
    window_clock_init(&w, 10);
    for (int64_t i = 41; i <= 45; i++) (void)window_clock_tick(&w, i, &fresh);
    ck_assert_int_eq(window_clock_tick(&w, 12, &fresh), 0);
    ck_assert_int_eq(fresh, 1);
    for (int64_t i = 13; i <= 19; i++) ck_assert_int_eq(window_clock_tick(&w, i, &fresh), 0);
    ck_assert_int_eq(window_clock_tick(&w, 20, &fresh), 1);
}
END_TEST

START_TEST(brute_force_against_a_reference)
{
    /* random tick sequences with gaps and steps back, against a reference
       that keeps the set of ticks seen per window */
    srand(11);
    for (int round = 0; round < 200; round++) {
        int64_t n = 2 + rand() % 20, idx = 1 + rand() % 1000, cur_no = -1, first = idx;
        int started_whole = 0, fresh;
        struct window_clock w;
        window_clock_init(&w, n);
        for (int t = 0; t < 500; t++) {
            int64_t no = (idx + n - 1) / n;
            int expect;
            if (no != cur_no) {
                /* a window is sent only if procflux saw it begin: it began after the start, or
                   the first tick was that window's first */
                started_whole = cur_no >= 0 || first % n == 1;
                cur_no = no;
            }
            expect = idx % n == 0 && started_whole;
            ck_assert_int_eq(window_clock_tick(&w, idx, &fresh), expect);
            idx += rand() % 10 == 0 ? 1 + rand() % (3 * n) : 1;
            if (rand() % 100 == 0 && idx > 5 * n) idx -= 1 + rand() % (2 * n);
        }
    }
}
END_TEST

START_TEST(once_a_second)
{
    double due = 0;
    /* due at once, then on the first tick of each wall-clock second */
    ck_assert_int_eq(tick_due(&due, 1000.25, 1), 1);
    ck_assert_int_eq(tick_due(&due, 1000.5, 1), 0);
    ck_assert_int_eq(tick_due(&due, 1000.999, 1), 0);
    ck_assert_int_eq(tick_due(&due, 1001.0, 1), 1); /* (ticks land a hair before: due 1 us early) */
    ck_assert_int_eq(tick_due(&due, 1001.1, 1), 0);
    ck_assert_int_eq(tick_due(&due, 1002.0000003, 1), 1); /* (ticks fire a few us late) */
    ck_assert_int_eq(tick_due(&due, 1002.5, 1), 0);
    /* a step back of more than two periods: due at once */
    ck_assert_int_eq(tick_due(&due, 990.0, 1), 1);
    ck_assert_int_eq(tick_due(&due, 990.5, 1), 0);
    /* a small step back within the period: not due twice */
    ck_assert_int_eq(tick_due(&due, 990.2, 1), 0);
    /* 5 s intervals: every tick */
    due = 0;
    for (int k = 1; k < 10; k++) ck_assert_int_eq(tick_due(&due, 2000.0 + 5 * k, 5), 1);
}
END_TEST

START_TEST(phase_is_stable_and_spread)
{
    /* the same name, the same phase; a fleet's names spread over [0, 1) */
    char name[32];
    int bins[10] = {0};
    ck_assert(tick_phase("web-1") == tick_phase("web-1"));
    ck_assert(tick_phase("agent-01") != tick_phase("agent-02"));
    for (int i = 0; i < 1000; i++) {
        double p;
        snprintf(name, sizeof name, "agent-%02d", i);
        p = tick_phase(name);
        ck_assert(p >= 0 && p < 1);
        bins[(int)(p * 10)]++;
    }
    for (int b = 0; b < 10; b++) ck_assert_msg(bins[b] > 60 && bins[b] < 140, "bin %d: %d of 1000", b, bins[b]);
    ck_assert(tick_phase("") >= 0 && tick_phase("") < 1);
}
END_TEST

static Suite *tick_suite(void)
{
    Suite *s = suite_create("tick");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, index_of_a_tick);
    tcase_add_test(tc, missed_ticks);
    tcase_add_test(tc, ticks_per_window);
    tcase_add_test(tc, no_window_every_tick_closes);
    tcase_add_test(tc, started_mid_window_is_not_sent);
    tcase_add_test(tc, started_on_a_window_start_is_sent);
    tcase_add_test(tc, started_on_a_window_end_is_not_sent);
    tcase_add_test(tc, missed_closing_tick_drops_the_window);
    tcase_add_test(tc, stall_over_several_windows);
    tcase_add_test(tc, clock_stepped_back);
    tcase_add_test(tc, brute_force_against_a_reference);
    tcase_add_test(tc, once_a_second);
    tcase_add_test(tc, phase_is_stable_and_spread);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed;
    SRunner *sr = srunner_create(tick_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
