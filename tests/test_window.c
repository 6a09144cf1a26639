/*
 * Unit tests of window: --window's min, max and mean per windowed field,
 * against a brute-force computation over the same ticks.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "window.h"

static const char *const keys[] = {"usage_user", "usage_system", "usage_idle", "used_percent"};

/* Find a field by key and suffix; NULL when absent. */
static const struct sample_field *find(const struct sample_field *f, int n, const char *key,
                                       const char *suffix)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(f[i].key, key) && ((!suffix && !f[i].suffix) ||
                                       (suffix && f[i].suffix && !strcmp(f[i].suffix, suffix))))
            return &f[i];
    return NULL;
}

START_TEST(brute_force)
{
    /* Random windows: 1 to 2000 ticks, 4 windowed fields and 2 others, some
       ticks missing a field (a failed read), values anywhere in [0, 100]. */
    srand(7);
    for (int round = 0; round < 200; round++) {
        struct window_acc w;
        int ticks = 1 + rand() % 2000;
        static double vals[2000][4];
        static int present[2000][4];
        struct sample_field f[8], out[SAMPLE_MAX_FIELDS];
        int n = 0, nout;
        memset(&w, 0, sizeof w);
        window_reset(&w);
        for (int t = 0; t < ticks; t++) {
            n = 0;
            sample_int(&f[n++], "total", 1000 + t);
            for (int k = 0; k < 4; k++) {
                present[t][k] = rand() % 10 != 0;
                /* spikes: mostly small values, sometimes 100 */
                vals[t][k] = rand() % 50 == 0 ? 100.0 : (double)rand() / RAND_MAX * 5.0;
                if (present[t][k]) sample_usage(&f[n++], keys[k], vals[t][k]);
            }
            sample_float(&f[n++], "load1", t * 0.5);
            window_add(&w, f, n, 0, 0);
        }
        nout = window_fields(&w, f, n, out, SAMPLE_MAX_FIELDS);
        /* the last tick's other fields, as read */
        ck_assert_ptr_nonnull(find(out, nout, "total", NULL));
        ck_assert_int_eq(find(out, nout, "total", NULL)->v.i, 1000 + ticks - 1);
        ck_assert_double_eq(find(out, nout, "load1", NULL)->v.f, (ticks - 1) * 0.5);
        for (int k = 0; k < 4; k++) {
            double lo = INFINITY, hi = -INFINITY;
            double sum = 0; /* in tick order, as the window sums: exactly its mean */
            int cnt = 0;
            for (int t = 0; t < ticks; t++)
                if (present[t][k]) {
                    lo = fmin(lo, vals[t][k]);
                    hi = fmax(hi, vals[t][k]);
                    sum += vals[t][k];
                    cnt++;
                }
            if (cnt == 0) {
                ck_assert_ptr_null(find(out, nout, keys[k], "_max"));
                continue;
            }
            ck_assert_double_eq(find(out, nout, keys[k], "_min")->v.f, lo); /* exact */
            ck_assert_double_eq(find(out, nout, keys[k], "_max")->v.f, hi); /* exact */
            ck_assert_double_eq(find(out, nout, keys[k], "_mean")->v.f, sum / cnt);
            ck_assert_double_eq(find(out, nout, keys[k], NULL)->v.f, find(out, nout, keys[k], "_mean")->v.f);
            ck_assert_int_eq(find(out, nout, keys[k], "_min")->windowed, 0);
        }
    }
}
END_TEST

START_TEST(one_spike_in_a_thousand)
{
    /* a 1 ms spike in a 1 s window: the max shows it, the mean barely */
    struct window_acc w;
    struct sample_field f[1], out[8];
    int n;
    memset(&w, 0, sizeof w);
    for (int t = 0; t < 1000; t++) {
        sample_usage(&f[0], "usage_user", t == 517 ? 100.0 : 1.0);
        window_add(&w, f, 1, 0, 0);
    }
    n = window_fields(&w, f, 1, out, 8);
    ck_assert_int_eq(n, 4);
    ck_assert_double_eq(find(out, n, "usage_user", "_max")->v.f, 100.0);
    ck_assert_double_eq(find(out, n, "usage_user", "_min")->v.f, 1.0);
    ck_assert_double_eq_tol(find(out, n, "usage_user", "_mean")->v.f, 1.099, 1e-12);
    ck_assert_uint_eq(w.ticks, 1000);
}
END_TEST

START_TEST(reset_and_nonfinite)
{
    struct window_acc w;
    struct sample_field f[2], out[8];
    int n;
    memset(&w, 0, sizeof w);
    sample_usage(&f[0], "usage_user", 50);
    window_add(&w, f, 1, 0, 0);
    window_reset(&w);
    /* NaN and Inf never reach a min, max or mean */
    sample_usage(&f[0], "usage_user", NAN);
    sample_usage(&f[1], "usage_idle", INFINITY);
    window_add(&w, f, 2, 0, 0);
    n = window_fields(&w, f, 0, out, 8);
    ck_assert_int_eq(n, 0);
    sample_usage(&f[0], "usage_user", 3);
    window_add(&w, f, 1, 0, 0);
    n = window_fields(&w, f, 0, out, 8);
    ck_assert_int_eq(n, 4);
    ck_assert_double_eq(find(out, n, "usage_user", "_min")->v.f, 3); /* the 50 before the reset is gone */
    /* too little room: whole groups of four only */
    n = window_fields(&w, f, 0, out, 3);
    ck_assert_int_eq(n, 0);
}
END_TEST

START_TEST(more_keys_than_room)
{
    static char names[WINDOW_MAX_FIELDS + 4][16];
    struct sample_field f[WINDOW_MAX_FIELDS + 4], out[SAMPLE_MAX_FIELDS * 2];
    struct window_acc w;
    int n;
    memset(&w, 0, sizeof w);
    for (int k = 0; k < WINDOW_MAX_FIELDS + 4; k++) {
        snprintf(names[k], sizeof names[k], "f%d", k);
        sample_usage(&f[k], names[k], k);
    }
    window_add(&w, f, WINDOW_MAX_FIELDS + 4, 0, 0);
    ck_assert_int_eq(w.nkeys, WINDOW_MAX_FIELDS);
    n = window_fields(&w, f, 0, out, SAMPLE_MAX_FIELDS * 2);
    ck_assert_int_eq(n, 4 * WINDOW_MAX_FIELDS);
}
END_TEST

static double field_value(const struct sample_field *f, int n, const char *key, const char *suffix)
{
    const struct sample_field *x = find(f, n, key, suffix);
    ck_assert_msg(x != NULL, "no %s%s", key, suffix ? suffix : "");
    return x->type == SAMPLE_FLOAT ? x->v.f : (double)x->v.i;
}

START_TEST(counter_rates)
{
    /* values and times by hand: rates per tick, their max, and the mean
       from the window's opening reading to its last */
    struct window_acc w = {0};
    struct sample_field f[1], out[8];
    int n;
    static const struct { int64_t v; double t; } ticks[] = {{1000, 10.000}, {1000, 10.001}, {1500, 10.002},
                                                            {1600, 10.004}};
    for (size_t i = 0; i < sizeof ticks / sizeof ticks[0]; i++) {
        sample_counter(&f[0], "bytes_recv", ticks[i].v);
        window_add(&w, f, 1, ticks[i].t, 0);
    }
    n = window_fields(&w, f, 1, out, 8);
    ck_assert_int_eq(n, 3);
    ck_assert_double_eq(field_value(out, n, "bytes_recv", NULL), 1600); /* as read */
    ck_assert_double_eq_tol(field_value(out, n, "bytes_recv", "_rate_max"), 500 / 0.001, 1e-3);
    ck_assert_double_eq_tol(field_value(out, n, "bytes_recv", "_rate_mean"), 600 / 0.004, 1e-3);

    /* the next window opens with the last reading: one tick later, a rate of 100 per ms */
    window_reset(&w);
    sample_counter(&f[0], "bytes_recv", 1700);
    window_add(&w, f, 1, 10.005, 0);
    n = window_fields(&w, f, 1, out, 8);
    ck_assert_double_eq_tol(field_value(out, n, "bytes_recv", "_rate_max"), 100 / 0.001, 1e-3);
    ck_assert_double_eq_tol(field_value(out, n, "bytes_recv", "_rate_mean"), 100 / 0.001, 1e-3);

    /* after a gap the window starts over: the first reading only opens it */
    window_restart(&w);
    sample_counter(&f[0], "bytes_recv", 90000);
    window_add(&w, f, 1, 20.000, 1);
    n = window_fields(&w, f, 1, out, 8);
    ck_assert_int_eq(n, 1); /* no rate yet */
    sample_counter(&f[0], "bytes_recv", 90010);
    window_add(&w, f, 1, 20.010, 0);
    n = window_fields(&w, f, 1, out, 8);
    ck_assert_double_eq_tol(field_value(out, n, "bytes_recv", "_rate_max"), 1000, 1e-6);
    ck_assert_double_eq_tol(field_value(out, n, "bytes_recv", "_rate_mean"), 1000, 1e-6);

    /* a counter that went back (a reset device) gives that tick no rate, and the window no mean */
    window_reset(&w);
    sample_counter(&f[0], "bytes_recv", 5);
    window_add(&w, f, 1, 20.020, 0);
    n = window_fields(&w, f, 1, out, 8);
    ck_assert_ptr_null(find(out, n, "bytes_recv", "_rate_max"));
    ck_assert_ptr_null(find(out, n, "bytes_recv", "_rate_mean"));
}
END_TEST

START_TEST(ratio_skipped_after_a_gap)
{
    /* a usage whose delta spans missed ticks goes into no window */
    struct window_acc w = {0};
    struct sample_field f[1], out[8];
    int n;
    sample_ratio(&f[0], "usage_user", 100, 800, 800, 5);
    window_add(&w, f, 1, 1.0, 1);
    sample_ratio(&f[0], "usage_user", 0, 0, 5, 5);
    window_add(&w, f, 1, 1.1, 0);
    n = window_fields(&w, NULL, 0, out, 8);
    ck_assert_double_eq(field_value(out, n, "usage_user", NULL), 0);
    ck_assert_double_eq(field_value(out, n, "usage_user", "_max"), 0);
}
END_TEST

/* One tick of a cgroup's CPU time into @w: @dcpu ns of it in @dt ns of wall time. */
static void add_share(struct window_acc *w, double dcpu, double dt, double den_min)
{
    struct sample_field f;
    sample_share(&f, "cpu_usage_percent", 100.0 * dcpu / dt, dcpu, dt, den_min);
    window_add(w, &f, 1, 0, 0);
}

/* @w's cpu_usage_percent with @suffix (NULL: the plain field). */
static double share_of(const struct window_acc *w, const char *suffix)
{
    struct sample_field out[8];
    int n = window_fields(w, NULL, 0, out, 8);
    return field_value(out, n, "cpu_usage_percent", suffix);
}

/* A cgroup's CPU time over wall time: the window's value is the whole window's (ΣΔcpu / ΣΔt, not the
   mean of the ticks' percentages), min and max are over runs of at least den_min of wall time, and
   more than one CPU's worth passes 100. */
START_TEST(share_exact_over_the_window)
{
    srand(11);
    for (int round = 0; round < 50; round++) {
        struct window_acc w = {0};
        int ticks = 1 + rand() % 300;
        double cpu = 0, t = 0, lo = INFINITY, hi = -INFINITY, exact;
        for (int i = 0; i < ticks; i++) {
            double dt = 1e6 * (0.5 + rand() % 1000 / 100.0);          /* unequal ticks: 0.5 to 10.5 ms */
            double dcpu = dt * (rand() % 400) / 100.0 * (i % 7 != 0); /* 0 to 4 CPUs busy */
            add_share(&w, dcpu, dt, 0);                                /* (den_min 0: each tick a run) */
            cpu += dcpu;
            t += dt;
            lo = fmin(lo, 100.0 * dcpu / dt);
            hi = fmax(hi, 100.0 * dcpu / dt);
        }
        exact = 100.0 * cpu / t;
        ck_assert_double_eq_tol(share_of(&w, NULL), exact, 1e-9);
        ck_assert_double_eq_tol(share_of(&w, "_mean"), exact, 1e-9);
        ck_assert_double_eq_tol(share_of(&w, "_min"), fmin(lo, exact), 1e-9);
        ck_assert_double_eq_tol(share_of(&w, "_max"), fmax(hi, exact), 1e-9);
    }
    {
        /* a cgroup busy on one CPU read every 1 ms: its counter moves 4 ms at a time (0, 0, 0, 400 %);
           min and max over 50 ms runs say 96 to 104, where per tick they would say 0 and 400 */
        struct window_acc w = {0};
        for (int i = 0; i < 1000; i++) add_share(&w, i % 4 == 3 ? 4e6 : 0, 1e6, 50e6);
        ck_assert_double_eq_tol(share_of(&w, NULL), 100, 1e-9);
        ck_assert_double_ge(share_of(&w, "_min"), 96 - 1e-9);
        ck_assert_double_le(share_of(&w, "_max"), 104 + 1e-9);
    }
    {
        /* two ticks, 1 ms at 350 % and 9 ms at 0 %: 35 %, where the mean of the ticks says 175 */
        struct window_acc w = {0};
        add_share(&w, 3.5e6, 1e6, 0);
        add_share(&w, 0, 9e6, 0);
        ck_assert_double_eq_tol(share_of(&w, NULL), 35, 1e-12);
        ck_assert_double_eq_tol(share_of(&w, "_max"), 350, 1e-12);
        ck_assert_double_eq(share_of(&w, "_min"), 0);
    }
}
END_TEST

/* A string field (system's uptime_format) is never aggregated: it passes through as last read. */
START_TEST(string_field_passes_through)
{
    struct window_acc w;
    struct sample_field f[3], out[16];
    int n;
    memset(&w, 0, sizeof w);
    sample_usage(&f[0], "used_percent", 10);
    sample_string(&f[1], "uptime_format", " 0:01");
    window_add(&w, f, 2, 0, 0);
    sample_usage(&f[0], "used_percent", 30);
    sample_string(&f[1], "uptime_format", " 0:02");
    window_add(&w, f, 2, 0, 0);
    n = window_fields(&w, f, 2, out, 16);
    ck_assert_int_eq(n, 5);
    ck_assert_int_eq(out[0].type, SAMPLE_STRING);
    ck_assert_str_eq(out[0].key, "uptime_format");
    ck_assert_str_eq(out[0].v.s, " 0:02");
    ck_assert_ptr_null(out[0].suffix);
    ck_assert_double_eq(out[1].v.f, 20); /* used_percent: the mean */
    ck_assert_int_eq(w.nkeys, 1);        /* the string took no accumulator */
}
END_TEST

static Suite *window_suite(void)
{
    Suite *s = suite_create("window");
    TCase *tc = tcase_create("window");
    tcase_add_test(tc, brute_force);
    tcase_add_test(tc, one_spike_in_a_thousand);
    tcase_add_test(tc, reset_and_nonfinite);
    tcase_add_test(tc, more_keys_than_room);
    tcase_add_test(tc, counter_rates);
    tcase_add_test(tc, ratio_skipped_after_a_gap);
    tcase_add_test(tc, string_field_passes_through);
    tcase_add_test(tc, share_exact_over_the_window);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(window_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
