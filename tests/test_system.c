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
    ck_assert_int_eq(f[k].v.i, 12346); /* rounded up, as sysinfo(2) (issue 13, item 1): was 12345 */
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
    ck_assert_int_eq(f[field_index(f, n, "uptime")].v.i, 100); /* 99.9 rounded up (was 99) */
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
    ck_assert_int_eq(n, 6); /* and uptime_format (was 5) */
    ck_assert_double_eq_tol(f[field_index(f, n, "load15")].v.f, 0.59, 1e-12);
    ck_assert_int_eq(f[field_index(f, n, "uptime")].v.i, 350736); /* rounded up (was 350735) */
    /* 350736 s = 4 days (345600) + 1 h 25 min 36 s */
    ck_assert_str_eq(f[field_index(f, n, "uptime_format")].v.s, "4 days,  1:25");

    /* rewritten in place: loadavg garbage, uptime fine */
    put("loadavg", "garbage\n");
    put("uptime", "350736.50 234389.00\n");
    ck_assert_int_eq(system_sample(&s), 0);
    n = system_fields(&s, 2, f);
    ck_assert_int_eq(n, 3); /* and uptime_format (was 2) */
    ck_assert_int_eq(f[field_index(f, n, "uptime")].v.i, 350737); /* 350736.50 rounded up (was 350736) */

    /* both garbage (or empty): -1, no fields */
    put("loadavg", "");
    put("uptime", "x\n");
    ck_assert_int_eq(system_sample(&s), -1);
    ck_assert_int_eq(system_fields(&s, 2, f), 0);

    /* back to normal */
    put("loadavg", "1.00 2.00 3.00 1/2 3\n");
    put("uptime", "10.00 5.00\n");
    ck_assert_int_eq(system_sample(&s), 0);
    ck_assert_int_eq(system_fields(&s, 2, f), 6); /* and uptime_format (was 5) */
    ck_assert_int_eq(f[field_index(f, 6, "uptime")].v.i, 10); /* "10.00": whole, not rounded up */
    ck_assert_str_eq(f[field_index(f, 6, "uptime_format")].v.s, " 0:00");
    system_close(&s);
}
END_TEST

/* ---- issue 13: uptime rounding, uptime_format, users, physical CPUs ---- */

START_TEST(uptime_rounds_up)
{
    /* sysinfo(2): tv_sec + (tv_nsec ? 1 : 0) */
    ck_assert_int_eq(system_uptime_seconds(12345.67), 12346);
    ck_assert_int_eq(system_uptime_seconds(12345.01), 12346);
    ck_assert_int_eq(system_uptime_seconds(12345.00), 12345);
    ck_assert_int_eq(system_uptime_seconds(0.0), 0);
    ck_assert_int_eq(system_uptime_seconds(0.01), 1);
}
END_TEST

START_TEST(uptime_format)
{
    /* Telegraf's formatUptime: "%d day%s, " (days != 0; "s" past one), then "%2d:%02d" */
    static const struct {
        uint64_t up;
        const char *want;
    } cases[] = {
        {0, " 0:00"},
        {59, " 0:00"},
        {60, " 0:01"},
        {12346, " 3:25"},                  /* 3 h 25 min 46 s */
        {36000, "10:00"},
        {86399, "23:59"},
        {86400, "1 day,  0:00"},
        {86400 + 36000, "1 day, 10:00"},
        {350736, "4 days,  1:25"},         /* 4 * 86400 + 5136 */
        {9200000000000000000ULL, "106481481481481 days, 11:33"}, /* 106481481481481 * 86400 = 9199999999999958400; + 41600 s = 11 h 33 min 20 s */
    };
    char buf[SAMPLE_STRING_MAX + 1];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = system_format_uptime(buf, cases[i].up);
        ck_assert_str_eq(buf, cases[i].want);
        ck_assert_uint_eq(n, strlen(cases[i].want));
    }
}
END_TEST

/* One utmp record: type at 0 (native short), ut_user at 44. */
static void utmp_record(unsigned char *r, short type, const char *user)
{
    memset(r, 0, SYSTEM_UTMP_RECORD);
    memcpy(r + SYSTEM_UTMP_TYPE, &type, sizeof type);
    memcpy(r + SYSTEM_UTMP_USER, user, strnlen(user, SYSTEM_UTMP_USER_LEN));
    memcpy(r + 8, "pts/0", 5); /* ut_line, not looked at */
}

START_TEST(utmp_counts)
{
    /* BOOT_TIME 2, LOGIN_PROCESS 6, USER_PROCESS 7, DEAD_PROCESS 8 */
    static const struct {
        short type;
        const char *user;
    } recs[] = {
        {2, "reboot"}, {7, "alice"}, {7, "bob"}, {6, "LOGIN"}, {7, "alice"}, {8, "carol"},
        {7, ""},                                   /* an empty name is a name too (gopsutil) */
        {7, "abcdefghijklmnopqrstuvwxyz012345"},   /* 32 bytes, no NUL */
    };
    size_t n = sizeof recs / sizeof recs[0];
    unsigned char *buf = calloc(n + 1, SYSTEM_UTMP_RECORD);
    struct system_utmp_count *c = malloc(sizeof *c);
    for (size_t i = 0; i < n; i++) utmp_record(buf + i * SYSTEM_UTMP_RECORD, recs[i].type, recs[i].user);
    /* USER_PROCESS: alice, bob, alice, "", the 32-byte name: 5; distinct: 4 */
    system_utmp_begin(c);
    system_utmp_add(c, buf, n * SYSTEM_UTMP_RECORD + 100); /* a partial record at the end: ignored */
    ck_assert_int_eq(c->users, 5);
    ck_assert_int_eq(c->nnames, 4);
    ck_assert_int_eq(c->overflow, 0);
    /* chunk by chunk: the same */
    system_utmp_begin(c);
    for (size_t i = 0; i < n; i++) system_utmp_add(c, buf + i * SYSTEM_UTMP_RECORD, SYSTEM_UTMP_RECORD);
    ck_assert_int_eq(c->users, 5);
    ck_assert_int_eq(c->nnames, 4);
    free(buf);

    /* more distinct names than the table: n_unique_users is unknown */
    buf = calloc(SYSTEM_UTMP_NAMES + 1, SYSTEM_UTMP_RECORD);
    for (int i = 0; i <= SYSTEM_UTMP_NAMES; i++) {
        char name[16];
        snprintf(name, sizeof name, "u%d", i);
        utmp_record(buf + (size_t)i * SYSTEM_UTMP_RECORD, 7, name);
    }
    system_utmp_begin(c);
    system_utmp_add(c, buf, (SYSTEM_UTMP_NAMES + 1) * (size_t)SYSTEM_UTMP_RECORD);
    ck_assert_int_eq(c->users, SYSTEM_UTMP_NAMES + 1);
    ck_assert_int_eq(c->overflow, 1);
    free(buf);
    free(c);
}
END_TEST

START_TEST(collector_users)
{
    struct system_collector *s = malloc(sizeof *s);
    struct sample_field f[SAMPLE_MAX_FIELDS];
    unsigned char *buf = calloc(40, SYSTEM_UTMP_RECORD);
    char err[256], utmp[512];
    int n;
    put("loadavg", "0.52 0.58 0.59 1/234 5678\n");
    put("uptime", "12345.67 23456.78\n");
    /* 37 records (more than one 16-record chunk): 20 USER_PROCESS of 3 names, the rest LOGIN_PROCESS */
    for (int i = 0; i < 37; i++)
        utmp_record(buf + (size_t)i * SYSTEM_UTMP_RECORD, i % 2 == 0 || i == 1 ? 7 : 6,
                    i % 3 == 0 ? "root" : i % 3 == 1 ? "alice" : "bob");
    /* i even (19 of 0..36) and i == 1: 20 users; names root (i%3==0), alice (1), bob (2) */
    tmp_root_put(tmpdir, "var/run/utmp", buf, 37 * (size_t)SYSTEM_UTMP_RECORD);
    snprintf(utmp, sizeof utmp, "%s/var/run/utmp", tmpdir);
    ck_assert_int_eq(system_open_with(s, tmpdir, utmp, NULL, err, sizeof err), 0);
    ck_assert_int_eq(system_sample(s), 0);
    n = system_fields(s, 2, f);
    ck_assert_int_eq(f[field_index(f, n, "n_users")].v.i, 20);
    ck_assert_int_eq(f[field_index(f, n, "n_unique_users")].v.i, 3);
    ck_assert_int_eq(f[field_index(f, n, "uptime")].v.i, 12346);
    ck_assert_int_eq(f[field_index(f, n, "uptime")].type, SAMPLE_INT);
    ck_assert_int_eq(f[field_index(f, n, "uptime_format")].type, SAMPLE_STRING);
    ck_assert_str_eq(f[field_index(f, n, "uptime_format")].v.s, " 3:25");
    ck_assert_int_eq(field_index(f, n, "n_physical_cpus"), -1); /* no cpuinfo in this root */

    /* logged out: rewritten with 1 record */
    tmp_root_put(tmpdir, "var/run/utmp", buf, SYSTEM_UTMP_RECORD);
    ck_assert_int_eq(system_sample(s), 0);
    n = system_fields(s, 2, f);
    ck_assert_int_eq(f[field_index(f, n, "n_users")].v.i, 1);
    ck_assert_int_eq(f[field_index(f, n, "n_unique_users")].v.i, 1);

    /* gone: both omitted, the rest still sent */
    ck_assert_int_eq(unlink(utmp), 0);
    ck_assert_int_eq(system_sample(s), 0);
    n = system_fields(s, 2, f);
    ck_assert_int_eq(field_index(f, n, "n_users"), -1);
    ck_assert_int_eq(field_index(f, n, "n_unique_users"), -1);
    ck_assert_int_ge(field_index(f, n, "load1"), 0);
    system_close(s);
    free(buf);
    free(s);
}
END_TEST

START_TEST(cpuinfo_physical)
{
    /* gopsutil: sum over distinct "physical id" of "cpu cores", per section ended by an empty line */
    static const char two_packages[] =
        "processor\t: 0\nphysical id\t: 0\ncore id\t\t: 0\ncpu cores\t: 4\n\n"
        "processor\t: 1\nphysical id\t: 0\ncore id\t\t: 1\ncpu cores\t: 4\n\n"
        "processor\t: 2\nphysical id\t: 1\ncore id\t\t: 0\ncpu cores\t: 6\n\n"
        "processor\t: 3\nPhysical ID\t: 1\ncore id\t\t: 1\nCPU Cores\t:  6 \n\n";
    static const char arm[] = "processor\t: 0\nBogoMIPS\t: 48.00\nCPU part\t: 0xd08\n\n"
                              "processor\t: 1\nBogoMIPS\t: 48.00\n\nHardware\t: BCM2835\n";
    static const char last_unended[] = "physical id : 0\ncpu cores : 2\n\nphysical id : 1\ncpu cores : 8\n";
    static const char bad_values[] = "physical id : x\ncpu cores : 2\n\nphysical id : 3\ncpu cores : 2.5\n\n"
                                     "physical id : 3\ncpu cores : +3\n\n";
    size_t len;
    char *b;
    ck_assert_int_eq(system_parse_cpuinfo_cores(two_packages, sizeof two_packages - 1), 4 + 6);
    ck_assert_int_eq(system_parse_cpuinfo_cores(arm, sizeof arm - 1), 0);
    ck_assert_int_eq(system_parse_cpuinfo_cores(last_unended, sizeof last_unended - 1), 2);
    ck_assert_int_eq(system_parse_cpuinfo_cores(bad_values, sizeof bad_values - 1), 3);
    ck_assert_int_eq(system_parse_cpuinfo_cores("", 0), 0);
    /* a last line of blanks without a newline still ends the section (gopsutil's ReadLines keeps it) */
    ck_assert_int_eq(system_parse_cpuinfo_cores("physical id : 0\ncpu cores : 2\n ", 31), 2);
    /* this VM (linux-6.x/cpuinfo): two CPUs, physical id 0, cpu cores 2 */
    b = slurp(fixture_path("linux-6.x", "cpuinfo"), &len);
    ck_assert_int_eq(system_parse_cpuinfo_cores(b, len), 2);
    free(b);
}
END_TEST

START_TEST(collector_physical_from_root)
{
    struct system_collector *s = malloc(sizeof *s);
    struct sample_field f[SAMPLE_MAX_FIELDS];
    char err[256], sys[300];
    int n;
    put("loadavg", "0.52 0.58 0.59 1/234 5678\n");
    put("uptime", "10.50 5.00\n");
    put("cpuinfo", "processor : 0\nphysical id : 0\ncpu cores : 3\n\n");
    ck_assert_int_eq(system_open(s, tmpdir, err, sizeof err), 0);
    ck_assert_int_eq(system_sample(s), 0);
    n = system_fields(s, 2, f);
    ck_assert_int_eq(f[field_index(f, n, "n_physical_cpus")].v.i, 3);
    ck_assert_int_eq(field_index(f, n, "n_users"), -1); /* no utmp given */
    system_close(s);

    /* a sysfs root wins when it has topology: distinct core_cpus_list contents */
    snprintf(sys, sizeof sys, "%s/sys", tmpdir);
    put("sys/devices/system/cpu/cpu0/topology/core_cpus_list", "0,2\n");
    put("sys/devices/system/cpu/cpu1/topology/core_cpus_list", "1,3\n");
    put("sys/devices/system/cpu/cpu2/topology/core_cpus_list", "0,2\n");
    put("sys/devices/system/cpu/cpu3/topology/core_cpus_list", "1,3\n");
    put("sys/devices/system/cpu/cpu4/topology/core_cpus_list", "4\n");
    put("sys/devices/system/cpu/cpufreq/x", "not a cpu\n");
    ck_assert_int_eq(system_open_with(s, tmpdir, NULL, sys, err, sizeof err), 0);
    ck_assert_int_eq(system_sample(s), 0);
    n = system_fields(s, 2, f);
    ck_assert_int_eq(f[field_index(f, n, "n_physical_cpus")].v.i, 3);
    system_close(s);
    free(s);
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
    tcase_add_test(tc, uptime_rounds_up);
    tcase_add_test(tc, uptime_format);
    tcase_add_test(tc, utmp_counts);
    tcase_add_test(tc, cpuinfo_physical);
    suite_add_tcase(s, tc);

    tc = tcase_create("fields");
    tcase_add_test(tc, fields_all);
    tcase_add_test(tc, fields_partial);
    suite_add_tcase(s, tc);

    tc = tcase_create("collector");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, collector_sample);
    tcase_add_test(tc, collector_open_errors);
    tcase_add_test(tc, collector_users);
    tcase_add_test(tc, collector_physical_from_root);
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
