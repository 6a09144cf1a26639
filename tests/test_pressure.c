/*
 * Unit tests of pressure: /proc/pressure/{cpu,memory,io} into Telegraf's
 * pressure measurement (kernel plugin, collect = ["psi"]).
 */
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture_file.h"
#include "pressure.h"

static int parse_of(const char *s, struct psi_values *some, struct psi_values *full)
{
    size_t n = strlen(s);
    char *b = malloc(n ? n : 1); /* exact size: ASan catches a read past the end */
    int r;
    memcpy(b, s, n);
    r = pressure_parse(b, n, some, full);
    free(b);
    return r;
}

static void assert_psi(const struct psi_values *v, double a10, double a60, double a300,
                       int64_t total)
{
    ck_assert_double_eq_tol(v->avg10, a10, 1e-12);
    ck_assert_double_eq_tol(v->avg60, a60, 1e-12);
    ck_assert_double_eq_tol(v->avg300, a300, 1e-12);
    ck_assert_int_eq(v->total, total);
}

/* ---- real files --------------------------------------------------------- */

static const struct {
    const char *dir, *file;
    int have;
    double s[3];
    int64_t stotal;
    double f[3];
    int64_t ftotal;
} real[] = {
    /* 5.x (before 5.13): cpu has no full line. */
    {"linux-5.x", "pressure/cpu", PSI_HAVE_SOME, {0.13, 0.68, 0.28}, 1195993, {0}, 0},
    {"linux-5.x", "pressure/io", PSI_HAVE_SOME | PSI_HAVE_FULL, {0.00, 1.11, 0.68}, 2828208,
     {0.00, 0.91, 0.56}, 2334731},
    {"linux-5.x", "pressure/memory", PSI_HAVE_SOME | PSI_HAVE_FULL, {0, 0, 0}, 0, {0, 0, 0}, 0},
    /* 6.18: cpu has a (zero) full line. */
    {"linux-6.x", "pressure/cpu", PSI_HAVE_SOME | PSI_HAVE_FULL, {0.00, 0.16, 0.36}, 1112669464,
     {0, 0, 0}, 0},
    {"linux-6.x", "pressure/io", PSI_HAVE_SOME | PSI_HAVE_FULL, {0, 0, 0}, 25845020, {0, 0, 0},
     11141020},
    {"linux-6.x", "pressure/memory", PSI_HAVE_SOME | PSI_HAVE_FULL, {0, 0, 0}, 0, {0, 0, 0}, 0},
};

START_TEST(parse_fixtures)
{
    for (size_t i = 0; i < sizeof real / sizeof real[0]; i++) {
        size_t len;
        char *b = slurp(fixture_path(real[i].dir, real[i].file), &len);
        struct psi_values some, full;
        memset(&some, 0xa5, sizeof some);
        memset(&full, 0xa5, sizeof full);
        ck_assert_msg(pressure_parse(b, len, &some, &full) == real[i].have, "%s/%s", real[i].dir,
                      real[i].file);
        assert_psi(&some, real[i].s[0], real[i].s[1], real[i].s[2], real[i].stotal);
        if (real[i].have & PSI_HAVE_FULL)
            assert_psi(&full, real[i].f[0], real[i].f[1], real[i].f[2], real[i].ftotal);
        /* full not wanted (the cpu file): only some. */
        ck_assert_int_eq(pressure_parse(b, len, &some, NULL), PSI_HAVE_SOME);
        free(b);
    }
}
END_TEST

/* Every prefix of the real files: a line counts once its '\n' is in (or the blank after total). */
START_TEST(parse_fixtures_cut)
{
    for (size_t i = 0; i < sizeof real / sizeof real[0]; i++) {
        size_t len;
        char *b = slurp(fixture_path(real[i].dir, real[i].file), &len);
        const char *nl1 = memchr(b, '\n', len);
        size_t some_done = (size_t)(nl1 - b) + 1, full_done = len;
        for (size_t cut = 0; cut <= len; cut++) {
            struct psi_values some, full;
            int want = (cut >= some_done ? PSI_HAVE_SOME : 0) |
                       ((real[i].have & PSI_HAVE_FULL) && cut >= full_done ? PSI_HAVE_FULL : 0);
            char *c = malloc(cut ? cut : 1);
            memcpy(c, b, cut);
            ck_assert_msg(pressure_parse(c, cut, &some, &full) == want, "%s/%s cut %zu",
                          real[i].dir, real[i].file, cut);
            if (want & PSI_HAVE_SOME) ck_assert_int_eq(some.total, real[i].stotal);
            if (want & PSI_HAVE_FULL) ck_assert_int_eq(full.total, real[i].ftotal);
            free(c);
        }
        free(b);
    }
}
END_TEST

/* ---- hand-made content -------------------------------------------------- */

START_TEST(parse_valid)
{
    struct psi_values s, f;
    ck_assert_int_eq(parse_of("some avg10=70.24 avg60=68.52 avg300=69.91 total=3559632828\n"
                              "full avg10=57.59 avg60=58.06 avg300=60.38 total=3300487258\n",
                              &s, &f),
                     PSI_HAVE_SOME | PSI_HAVE_FULL);
    assert_psi(&s, 70.24, 68.52, 69.91, 3559632828);
    assert_psi(&f, 57.59, 58.06, 60.38, 3300487258);

    /* Either order, tabs, several blanks, integers without fraction, 100 %. */
    ck_assert_int_eq(parse_of("full\tavg10=100.00  avg60=100 avg300=99.99\ttotal=5\n"
                              "some avg10=1 avg60=2 avg300=3 total=9223372036854775807\n",
                              &s, &f),
                     PSI_HAVE_SOME | PSI_HAVE_FULL);
    assert_psi(&f, 100, 100, 99.99, 5);
    assert_psi(&s, 1, 2, 3, INT64_MAX);

    /* Something after total (a future field) is ignored; so are unknown lines. */
    ck_assert_int_eq(parse_of("# comment\nsome avg10=0.50 avg60=0.25 avg300=0.10 total=7 avg900=1\n"
                              "half avg10=1 avg60=1 avg300=1 total=1\n",
                              &s, &f),
                     PSI_HAVE_SOME);
    assert_psi(&s, 0.5, 0.25, 0.1, 7);

    /* Repeated: the last valid line wins; an invalid one leaves the struct alone. */
    ck_assert_int_eq(parse_of("some avg10=1 avg60=1 avg300=1 total=1\n"
                              "some avg10=2 avg60=2 avg300=2 total=2\n"
                              "some avg10=3 avg60=3 avg300=3 total=x\n",
                              &s, NULL),
                     PSI_HAVE_SOME);
    assert_psi(&s, 2, 2, 2, 2);

    /* total cut after a blank is whole. */
    ck_assert_int_eq(parse_of("some avg10=1 avg60=1 avg300=1 total=12 ", &s, NULL), PSI_HAVE_SOME);
    ck_assert_int_eq(s.total, 12);
}
END_TEST

START_TEST(parse_garbage)
{
    static const char *const bad[] = {
        "",
        "\n",
        "some\n",
        "some \n",
        "some avg10=1 avg60=1 avg300=1 total=1", /* cut: may be total=10 */
        "some avg10=1 avg60=1 avg300=1 total=1\r\n",
        "some avg10=1 avg60=1 avg300=1\n",
        "some avg10=1 avg60=1 total=1\n",
        "some avg60=1 avg10=1 avg300=1 total=1\n",
        "someavg10=1 avg60=1 avg300=1 total=1\n",
        "some avg10=1avg60=1 avg300=1 total=1\n",
        "some avg10= 1 avg60=1 avg300=1 total=1\n",
        "some avg10=1 avg60=1 avg300=1 total= 1\n",
        "some avg10=1 avg60=1 avg300=1 total=\n",
        "some avg10=-1 avg60=1 avg300=1 total=1\n",
        "some avg10=1. avg60=1 avg300=1 total=1\n",
        "some avg10=.5 avg60=1 avg300=1 total=1\n",
        "some avg10=nan avg60=1 avg300=1 total=1\n",
        "some avg10=inf avg60=1 avg300=1 total=1\n",
        "some avg10=1e3 avg60=1 avg300=1 total=1\n",
        "some avg10=1,5 avg60=1 avg300=1 total=1\n",
        "some avg10=1 avg60=1 avg300=1 total=-1\n",
        "some avg10=1 avg60=1 avg300=1 total=1.5\n",
        "some avg10=1 avg60=1 avg300=1 total=1x\n",
        "some avg10=1 avg60=1 avg300=1 total=9223372036854775808\n",
        "some avg10=1 avg60=1 avg300=1 total=18446744073709551616\n",
        "some avg10=99999999999999999999.0 avg60=1 avg300=1 total=1\n",
        " some avg10=1 avg60=1 avg300=1 total=1\n",
        "SOME avg10=1 avg60=1 avg300=1 total=1\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct psi_values s = {-1, -1, -1, -1}, f = {-1, -1, -1, -1};
        ck_assert_msg(parse_of(bad[i], &s, &f) == 0, "'%s' accepted", bad[i]);
        assert_psi(&s, -1, -1, -1, -1); /* untouched */
        assert_psi(&f, -1, -1, -1, -1);
    }
    /* A NUL right after total (explicit length). */
    {
        static const char nul[] = "some avg10=1 avg60=1 avg300=1 total=1\0\n";
        struct psi_values s;
        ck_assert_int_eq(pressure_parse(nul, sizeof nul - 1, &s, NULL), 0);
    }
}
END_TEST

START_TEST(series_names)
{
    static const char *const res[] = {"cpu", "memory", "memory", "io", "io"};
    static const char *const typ[] = {"some", "some", "full", "some", "full"};
    ck_assert_int_eq(PSI_NSERIES, 5);
    for (int s = 0; s < PSI_NSERIES; s++) {
        ck_assert_str_eq(pressure_resource(s), res[s]);
        ck_assert_str_eq(pressure_type(s), typ[s]);
    }
    ck_assert_ptr_null(pressure_resource(-1));
    ck_assert_ptr_null(pressure_resource(PSI_NSERIES));
    ck_assert_ptr_null(pressure_type(-1));
    ck_assert_ptr_null(pressure_type(PSI_NSERIES));
    ck_assert_str_eq(pressure_field_names[0], "avg10");
    ck_assert_str_eq(pressure_field_names[1], "avg60");
    ck_assert_str_eq(pressure_field_names[2], "avg300");
    ck_assert_str_eq(pressure_field_names[3], "total");
    ck_assert_ptr_null(pressure_field_names[4]);
}
END_TEST

/* ---- the collector ------------------------------------------------------ */

static char tmpdir[256];

static void tmp_setup(void) { tmp_root_make(tmpdir, sizeof tmpdir, "psi"); }

static void tmp_teardown(void) { tmp_root_remove(tmpdir); }

static void put(const char *name, const char *text) { tmp_root_puts(tmpdir, name, text); }

static void assert_fields(const struct pressure_collector *p, int series, double a10, double a60,
                          double a300, int64_t total)
{
    struct sample_field f[SAMPLE_MAX_FIELDS];
    ck_assert_int_eq(pressure_fields(p, series, f), 4);
    ck_assert_str_eq(f[0].key, "avg10");
    ck_assert_str_eq(f[1].key, "avg60");
    ck_assert_str_eq(f[2].key, "avg300");
    ck_assert_str_eq(f[3].key, "total");
    for (int i = 0; i < 3; i++) ck_assert_int_eq(f[i].type, SAMPLE_FLOAT);
    ck_assert_int_eq(f[3].type, SAMPLE_INT);
    ck_assert_double_eq_tol(f[0].v.f, a10, 1e-12);
    ck_assert_double_eq_tol(f[1].v.f, a60, 1e-12);
    ck_assert_double_eq_tol(f[2].v.f, a300, 1e-12);
    ck_assert_int_eq(f[3].v.i, total);
}

START_TEST(collector_fixture_roots)
{
    struct pressure_collector p;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    char err[512], root[1024];

    /* 5.x: no cpu full line; all five series. */
    snprintf(root, sizeof root, "%s", fixture_path("linux-5.x", ""));
    ck_assert_int_eq(pressure_open(&p, root, err, sizeof err), 0);
    ck_assert_int_eq(pressure_sample(&p), 0);
    ck_assert_uint_eq(p.present, (1u << PSI_NSERIES) - 1);
    assert_fields(&p, PSI_CPU_SOME, 0.13, 0.68, 0.28, 1195993);
    assert_fields(&p, PSI_MEMORY_SOME, 0, 0, 0, 0);
    assert_fields(&p, PSI_MEMORY_FULL, 0, 0, 0, 0);
    assert_fields(&p, PSI_IO_SOME, 0, 1.11, 0.68, 2828208);
    assert_fields(&p, PSI_IO_FULL, 0, 0.91, 0.56, 2334731);
    ck_assert_int_eq(pressure_fields(&p, -1, f), 0);
    ck_assert_int_eq(pressure_fields(&p, PSI_NSERIES, f), 0);
    pressure_close(&p);

    /* 6.18: the cpu full line is there, and still not a series. */
    snprintf(root, sizeof root, "%s", fixture_path("linux-6.x", ""));
    ck_assert_int_eq(pressure_open(&p, root, err, sizeof err), 0);
    ck_assert_int_eq(pressure_sample(&p), 0);
    ck_assert_uint_eq(p.present, (1u << PSI_NSERIES) - 1);
    assert_fields(&p, PSI_CPU_SOME, 0, 0.16, 0.36, 1112669464);
    assert_fields(&p, PSI_IO_SOME, 0, 0, 0, 25845020);
    assert_fields(&p, PSI_IO_FULL, 0, 0, 0, 11141020);
    pressure_close(&p);

    /* 4.18 (RHEL 8 sosreport): no /proc/pressure. */
    snprintf(root, sizeof root, "%s", fixture_path("linux-4.x", ""));
    err[0] = '\0';
    ck_assert_int_eq(pressure_open(&p, root, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "pressure/cpu"));
    ck_assert_ptr_nonnull(strstr(err, "4.20"));
    pressure_close(&p);
}
END_TEST

START_TEST(collector_changes)
{
    struct pressure_collector p;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    char err[512];

    /* Only memory exists: open what exists. */
    put("pressure/memory", "some avg10=1.00 avg60=2.00 avg300=3.00 total=10\n"
                           "full avg10=0.50 avg60=1.00 avg300=1.50 total=5\n");
    ck_assert_int_eq(pressure_open(&p, tmpdir, err, sizeof err), 0);
    ck_assert_int_lt(p.f[0].fd, 0);
    ck_assert_int_ge(p.f[1].fd, 0);
    ck_assert_int_lt(p.f[2].fd, 0);
    ck_assert_int_eq(pressure_sample(&p), 0);
    ck_assert_uint_eq(p.present, (1u << PSI_MEMORY_SOME) | (1u << PSI_MEMORY_FULL));
    ck_assert_int_eq(pressure_fields(&p, PSI_CPU_SOME, f), 0);
    assert_fields(&p, PSI_MEMORY_SOME, 1, 2, 3, 10);
    assert_fields(&p, PSI_MEMORY_FULL, 0.5, 1, 1.5, 5);

    /* Rewritten: new values; the full line goes bad. */
    put("pressure/memory", "some avg10=4.25 avg60=2.50 avg300=3.00 total=20\n"
                           "full avg10=garbage\n");
    ck_assert_int_eq(pressure_sample(&p), 0);
    ck_assert_uint_eq(p.present, 1u << PSI_MEMORY_SOME);
    assert_fields(&p, PSI_MEMORY_SOME, 4.25, 2.5, 3, 20);
    ck_assert_int_eq(pressure_fields(&p, PSI_MEMORY_FULL, f), 0);

    /* Emptied: readable, nothing in it: 0, no series. */
    put("pressure/memory", "");
    ck_assert_int_eq(pressure_sample(&p), 0);
    ck_assert_uint_eq(p.present, 0);

    /* Reads failing: -1. */
    tmp_root_break_fd(tmpdir, p.f[1].fd);
    ck_assert_int_eq(pressure_sample(&p), -1);
    ck_assert_uint_eq(p.present, 0);
    ck_assert_int_eq(pressure_fields(&p, PSI_MEMORY_SOME, f), 0);
    pressure_close(&p);
}
END_TEST

START_TEST(collector_all_three)
{
    struct pressure_collector p;
    char err[512];

    put("pressure/cpu", "some avg10=2.13 avg60=0.69 avg300=0.50 total=1112531288\n"
                        "full avg10=9.00 avg60=9.00 avg300=9.00 total=999\n");
    put("pressure/memory", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                           "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
    put("pressure/io", "some avg10=0.00 avg60=0.00 avg300=0.01 total=25815855\n"
                       "full avg10=0.00 avg60=0.00 avg300=0.00 total=11115287\n");
    ck_assert_int_eq(pressure_open(&p, tmpdir, err, sizeof err), 0);
    ck_assert_int_eq(pressure_sample(&p), 0);
    ck_assert_uint_eq(p.present, (1u << PSI_NSERIES) - 1);
    assert_fields(&p, PSI_CPU_SOME, 2.13, 0.69, 0.5, 1112531288);
    assert_fields(&p, PSI_IO_SOME, 0, 0, 0.01, 25815855);
    assert_fields(&p, PSI_IO_FULL, 0, 0, 0, 11115287);

    /* cpu's reads fail: the others go on. */
    tmp_root_break_fd(tmpdir, p.f[0].fd);
    ck_assert_int_eq(pressure_sample(&p), 0);
    ck_assert_uint_eq(p.present, (1u << PSI_NSERIES) - 1 - (1u << PSI_CPU_SOME));
    pressure_close(&p);
    pressure_close(&p); /* twice is harmless */
}
END_TEST

START_TEST(collector_open_errors)
{
    struct pressure_collector p;
    char err[512] = "", path[512];

    /* An empty pressure directory. */
    snprintf(path, sizeof path, "%s/pressure", tmpdir);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    ck_assert_int_eq(pressure_open(&p, tmpdir, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "pressure/cpu"));
    ck_assert_ptr_nonnull(strstr(err, "CONFIG_PSI"));
    pressure_close(&p);

    /* Entries that open but cannot be read (psi=0 gives EOPNOTSUPP; a directory EISDIR). */
    for (int i = 0; i < 3; i++) {
        static const char *const res[] = {"cpu", "memory", "io"};
        snprintf(path, sizeof path, "%s/pressure/%s", tmpdir, res[i]);
        ck_assert_int_eq(mkdir(path, 0755), 0);
    }
    err[0] = '\0';
    ck_assert_int_eq(pressure_open(&p, tmpdir, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "cannot read"));
    pressure_close(&p);
}
END_TEST

/* This machine (6.18, PSI on): five series. Skipped where /proc/pressure is absent. */
START_TEST(collector_live)
{
    struct pressure_collector p;
    char err[512];
    if (access("/proc/pressure/cpu", R_OK) != 0) return;
    ck_assert_int_eq(pressure_open(&p, NULL, err, sizeof err), 0);
    ck_assert_int_eq(pressure_sample(&p), 0);
    ck_assert_uint_eq(p.present, (1u << PSI_NSERIES) - 1);
    ck_assert_int_gt(p.v[PSI_CPU_SOME].total, 0);
    pressure_close(&p);
}
END_TEST

static Suite *pressure_suite(void)
{
    Suite *s = suite_create("pressure");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, parse_fixtures);
    tcase_add_test(tc, parse_fixtures_cut);
    tcase_add_test(tc, parse_valid);
    tcase_add_test(tc, parse_garbage);
    tcase_add_test(tc, series_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("collector");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, collector_fixture_roots);
    tcase_add_test(tc, collector_changes);
    tcase_add_test(tc, collector_all_three);
    tcase_add_test(tc, collector_open_errors);
    tcase_add_test(tc, collector_live);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pressure_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
