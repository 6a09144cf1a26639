/*
 * Unit tests of system: /proc/loadavg and /proc/uptime into Telegraf's system fields.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture_file.h"
#include "system.h"

static char *exact(const char *s, size_t *len)
{
    size_t n = strlen(s);
    char *b = malloc(n ? n : 1);
    memcpy(b, s, n);
    *len = n;
    return b;
}

static int loadavg_of(const char *s, double load[3])
{
    size_t len;
    char *b = exact(s, &len);
    int r = system_parse_loadavg(b, len, load);
    free(b);
    return r;
}

static int uptime_of(const char *s, double *up)
{
    size_t len;
    char *b = exact(s, &len);
    int r = system_parse_uptime(b, len, up);
    free(b);
    return r;
}

START_TEST(loadavg_valid)
{
    static const struct {
        const char *s;
        double l1, l5, l15;
    } cases[] = {
        {"0.52 0.58 0.59 1/234 5678\n", 0.52, 0.58, 0.59},
        {"0.00 0.00 0.00 1/63 1\n", 0, 0, 0},
        {"12.34 5.67 0.89 3/1024 99999\n", 12.34, 5.67, 0.89},
        {"1234.56 999.99 100.00 512/8192 4194303\n", 1234.56, 999.99, 100},
        {"0.52\t0.58\t0.59\t1/234 5678\n", 0.52, 0.58, 0.59},
        {"3 4 5 1/2 3\n", 3, 4, 5},
        {"0.52 0.58 0.59 1/234 5678", 0.52, 0.58, 0.59}, /* no newline */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double l[3] = {-1, -1, -1};
        ck_assert_msg(loadavg_of(cases[i].s, l) == 1, "'%s' rejected", cases[i].s);
        ck_assert_double_eq_tol(l[0], cases[i].l1, 1e-12);
        ck_assert_double_eq_tol(l[1], cases[i].l5, 1e-12);
        ck_assert_double_eq_tol(l[2], cases[i].l15, 1e-12);
    }
}
END_TEST

START_TEST(loadavg_garbage)
{
    static const char *const bad[] = {
        "",
        "\n",
        "abc def ghi 1/2 3\n",
        "0.52 0.58\n",
        "0.52 0.58 x 1/2 3\n",
        "-1.00 0.50 0.50 1/2 3\n",
        "0.52,0.58,0.59 1/2 3\n",
        "1. 2 3 1/2 3\n",
        ".5 .5 .5 1/2 3\n",
        "0.52 0.58",
        "0.52 0.58 ",
        "99999999999999999999.0 1 1 1/2 3\n", /* integer part overflows */
        "nan 1 1 1/2 3\n",
        "inf inf inf 1/2 3\n",
        "1e3 1 1 1/2 3\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double l[3];
        ck_assert_msg(loadavg_of(bad[i], l) == 0, "'%s' accepted", bad[i]);
    }
}
END_TEST

START_TEST(uptime_valid)
{
    static const struct {
        const char *s;
        double up;
    } cases[] = {
        {"12345.67 23456.78\n", 12345.67},
        {"0.00 0.00\n", 0},
        {"350735.47 234388.90\n", 350735.47},
        {"12345.67\n", 12345.67},
        {"1 2\n", 1},
        {"31536000.99 1.00\n", 31536000.99},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double up = -1;
        ck_assert_msg(uptime_of(cases[i].s, &up) == 1, "'%s' rejected", cases[i].s);
        ck_assert_double_eq_tol(up, cases[i].up, 1e-9);
    }
}
END_TEST

START_TEST(uptime_garbage)
{
    static const char *const bad[] = {
        "", "\n", "abc 123\n", "-5.0 1.0\n", "12x.5 1\n", "1.5x 1\n", ".5 1\n", "5. 1\n",
        "99999999999999999999.5 1\n", "1e5 2\n", "12345.67", /* cut: may be a partial number */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double up;
        ck_assert_msg(uptime_of(bad[i], &up) == 0, "'%s' accepted", bad[i]);
    }
}
END_TEST

/* ---- system_fields ------------------------------------------------------ */

static int field_index(const struct sample_field *f, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(f[i].key, key) == 0) return i;
    return -1;
}

START_TEST(fields_all)
{
    struct system_collector s;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    int n, k;
    memset(&s, 0, sizeof s);
    s.cur.load[0] = 0.52;
    s.cur.load[1] = 0.58;
    s.cur.load[2] = 0.59;
    s.cur.uptime = 12345.67;
    s.cur.have_load = s.cur.have_uptime = 1;
    n = system_fields(&s, 8, f);
    ck_assert_int_eq(n, 5);
    k = field_index(f, n, "load1");
    ck_assert_int_ge(k, 0);
    ck_assert_int_eq(f[k].type, SAMPLE_FLOAT);
    ck_assert_double_eq_tol(f[k].v.f, 0.52, 1e-12);
    k = field_index(f, n, "load5");
    ck_assert_int_ge(k, 0);
    ck_assert_double_eq_tol(f[k].v.f, 0.58, 1e-12);
    k = field_index(f, n, "load15");
    ck_assert_int_ge(k, 0);
    ck_assert_double_eq_tol(f[k].v.f, 0.59, 1e-12);
    k = field_index(f, n, "n_cpus");
    ck_assert_int_ge(k, 0);
    ck_assert_int_eq(f[k].type, SAMPLE_INT);
    ck_assert_int_eq(f[k].v.i, 8);
    k = field_index(f, n, "uptime");
    ck_assert_int_ge(k, 0);
    ck_assert_int_eq(f[k].type, SAMPLE_INT);
    ck_assert_int_eq(f[k].v.i, 12345);
}
END_TEST

START_TEST(fields_partial)
{
    struct system_collector s;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    int n;
    memset(&s, 0, sizeof s);
    s.cur.load[0] = 1;
    s.cur.load[1] = 2;
    s.cur.load[2] = 3;
    s.cur.uptime = 99.9;

    s.cur.have_load = 1;
    n = system_fields(&s, 4, f);
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(field_index(f, n, "uptime"), -1);
    ck_assert_int_ge(field_index(f, n, "n_cpus"), 0);

    n = system_fields(&s, 0, f); /* n_cpus <= 0: omitted */
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(field_index(f, n, "n_cpus"), -1);
    n = system_fields(&s, -1, f);
    ck_assert_int_eq(n, 3);

    s.cur.have_load = 0;
    s.cur.have_uptime = 1;
    n = system_fields(&s, 4, f);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(field_index(f, n, "load1"), -1);
    ck_assert_int_eq(f[field_index(f, n, "uptime")].v.i, 99);
    ck_assert_int_eq(f[field_index(f, n, "n_cpus")].v.i, 4);

    s.cur.have_uptime = 0;
    ck_assert_int_eq(system_fields(&s, 4, f), 0);
}
END_TEST

/* ---- the collector through a temporary proc root ------------------------ */

static char tmpdir[256];

static void tmp_setup(void) { tmp_root_make(tmpdir, sizeof tmpdir, "sys"); }

static void tmp_teardown(void) { tmp_root_remove(tmpdir); }

static void put(const char *name, const char *text) { tmp_root_puts(tmpdir, name, text); }

START_TEST(collector_sample)
{
    struct system_collector s;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    char err[256];
    int n;
    put("loadavg", "0.52 0.58 0.59 1/234 5678\n");
    put("uptime", "350735.47 234388.90\n");
    ck_assert_int_eq(system_open(&s, tmpdir, err, sizeof err), 0);
    ck_assert_int_eq(system_sample(&s), 0);
    n = system_fields(&s, 2, f);
    ck_assert_int_eq(n, 5);
    ck_assert_double_eq_tol(f[field_index(f, n, "load15")].v.f, 0.59, 1e-12);
    ck_assert_int_eq(f[field_index(f, n, "uptime")].v.i, 350735);

    /* rewritten in place: loadavg garbage, uptime fine */
    put("loadavg", "garbage\n");
    put("uptime", "350736.50 234389.00\n");
    ck_assert_int_eq(system_sample(&s), 0);
    n = system_fields(&s, 2, f);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(f[field_index(f, n, "uptime")].v.i, 350736);

    /* both garbage (or empty): -1, no fields */
    put("loadavg", "");
    put("uptime", "x\n");
    ck_assert_int_eq(system_sample(&s), -1);
    ck_assert_int_eq(system_fields(&s, 2, f), 0);

    /* back to normal */
    put("loadavg", "1.00 2.00 3.00 1/2 3\n");
    put("uptime", "10.00 5.00\n");
    ck_assert_int_eq(system_sample(&s), 0);
    ck_assert_int_eq(system_fields(&s, 2, f), 5);
    system_close(&s);
}
END_TEST

START_TEST(collector_open_errors)
{
    struct system_collector s;
    char err[512] = "";
    ck_assert_int_eq(system_open(&s, tmpdir, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "loadavg"));
    put("loadavg", "0.52 0.58 0.59 1/234 5678\n");
    err[0] = '\0';
    ck_assert_int_eq(system_open(&s, tmpdir, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "uptime"));
}
END_TEST

static Suite *system_suite(void)
{
    Suite *s = suite_create("system");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, loadavg_valid);
    tcase_add_test(tc, loadavg_garbage);
    tcase_add_test(tc, uptime_valid);
    tcase_add_test(tc, uptime_garbage);
    suite_add_tcase(s, tc);

    tc = tcase_create("fields");
    tcase_add_test(tc, fields_all);
    tcase_add_test(tc, fields_partial);
    suite_add_tcase(s, tc);

    tc = tcase_create("collector");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, collector_sample);
    tcase_add_test(tc, collector_open_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(system_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
