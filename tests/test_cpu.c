/*
 * Unit tests of cpu: /proc/stat cpu lines and Telegraf's usage percentages.
 *
 * Expected values are computed here from the raw fixture numbers (read with
 * sscanf), never by the code under test.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu.h"
#include "window.h"
#include "fixture_file.h"

#define MAXCPU 256

static const struct kernel {
    const char *dir;
    int numbers; /* numbers per cpu line */
    int top;     /* highest cpu index + 1 */
} kernels[] = {
    {"linux-2.6.9", 7, 8}, {"linux-2.6.18", 8, 4}, {"linux-2.6.32", 9, 32},
    {"linux-3.2", 10, 8},  {"linux-4.x", 10, 2},   {"linux-5.x", 10, 2},
    {"linux-6.x", 10, 2},  {"armhf-32bit", 10, 1}, {"manycore", 10, 128},
};
#define NKERNELS ((int)(sizeof kernels / sizeof kernels[0]))

static const char *const usage_keys[CPU_NCOUNTERS] = {
    "usage_user", "usage_nice", "usage_system", "usage_idle", "usage_iowait",
    "usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice",
};
static const char *const time_keys[CPU_NCOUNTERS] = {
    "time_user", "time_nice", "time_system", "time_idle", "time_iowait",
    "time_irq", "time_softirq", "time_steal", "time_guest", "time_guest_nice",
};

/* ---- helpers ------------------------------------------------------------ */


static char *exact(const char *s, size_t *len)
{
    size_t n = strlen(s);
    char *b = malloc(n ? n : 1);
    memcpy(b, s, n);
    *len = n;
    return b;
}

/* The test's own reading of the cpu lines, with sscanf. */
struct ref_stat {
    unsigned long long total[16];
    int total_n;
    unsigned long long per[MAXCPU][16];
    int per_n[MAXCPU];
    int ncpu_lines; /* cpuN lines */
    int top;
};

static void ref_parse(const char *path, struct ref_stat *r)
{
    FILE *f = fopen(path, "r");
    char line[1 << 16];
    memset(r, 0, sizeof *r);
    ck_assert_msg(f != NULL, "cannot open %s", path);
    while (fgets(line, sizeof line, f)) {
        char name[32];
        int off, idx = -1, n = 0;
        unsigned long long *dst;
        unsigned long long v;
        if (strncmp(line, "cpu", 3) != 0) break;
        ck_assert_int_eq(sscanf(line, "%31s%n", name, &off), 1);
        if (strcmp(name, "cpu") == 0) {
            dst = r->total;
        } else {
            ck_assert_int_eq(sscanf(name, "cpu%d", &idx), 1);
            ck_assert_int_lt(idx, MAXCPU);
            dst = r->per[idx];
            r->ncpu_lines++;
            if (idx + 1 > r->top) r->top = idx + 1;
        }
        for (const char *p = line + off; n < 16; n++) {
            int used;
            if (sscanf(p, " %llu%n", &v, &used) != 1) break;
            dst[n] = v;
            p += used;
        }
        if (idx < 0)
            r->total_n = n;
        else
            r->per_n[idx] = n;
    }
    fclose(f);
}

static void to_times(const unsigned long long *v, int n, struct cpu_times *t)
{
    memset(t, 0, sizeof *t);
    for (int i = 0; i < n && i < CPU_NCOUNTERS; i++) t->v[i] = v[i];
    t->n = (unsigned char)(n > CPU_NCOUNTERS ? CPU_NCOUNTERS : n);
}

/* Telegraf's formulas (plugins/inputs/cpu), for counters that only grow. */
static void ref_usage(const unsigned long long *a, const unsigned long long *b, int n,
                      double pct[CPU_NCOUNTERS])
{
    double d[CPU_NCOUNTERS] = {0}, total = 0;
    for (int i = 0; i < n; i++) d[i] = (double)b[i] - (double)a[i];
    for (int i = 0; i < n && i < 8; i++) total += d[i]; /* user..steal */
    for (int i = 0; i < n; i++) pct[i] = 100 * d[i] / total;
    if (n > CPU_GUEST) pct[CPU_USER] = 100 * (d[CPU_USER] - d[CPU_GUEST]) / total;
    if (n > CPU_GUEST_NICE) pct[CPU_NICE] = 100 * (d[CPU_NICE] - d[CPU_GUEST_NICE]) / total;
}

/* ---- cpu_parse on the fixtures ----------------------------------------- */

static void check_parse_fixture(const struct kernel *k, const char *file)
{
    struct ref_stat *r = malloc(sizeof *r);
    struct cpu_times total, *per = calloc(MAXCPU, sizeof *per);
    size_t len;
    char *buf = slurp(fixture_path(k->dir, file), &len);
    int beyond = -1, top;

    ref_parse(fixture_path(k->dir, file), r);
    /* the fixture is what the README says it is */
    ck_assert_int_eq(r->total_n, k->numbers);
    ck_assert_int_eq(r->top, k->top);

    top = cpu_parse(buf, len, &total, per, MAXCPU, &beyond);
    ck_assert_msg(top == k->top, "%s/%s: top %d, want %d", k->dir, file, top, k->top);
    ck_assert_int_eq(beyond, 0);
    ck_assert_msg(total.n == k->numbers, "%s/%s: total.n %d, want %d", k->dir, file, total.n,
                  k->numbers);
    for (int i = 0; i < k->numbers; i++)
        ck_assert_msg(total.v[i] == r->total[i], "%s/%s cpu[%d]: %llu, want %llu", k->dir, file, i,
                      (unsigned long long)total.v[i], r->total[i]);
    for (int c = 0; c < MAXCPU; c++) {
        ck_assert_msg(per[c].n == r->per_n[c], "%s/%s cpu%d: n %d, want %d", k->dir, file, c,
                      per[c].n, r->per_n[c]);
        for (int i = 0; i < r->per_n[c]; i++)
            ck_assert_msg(per[c].v[i] == r->per[c][i], "%s/%s cpu%d[%d]: %llu, want %llu", k->dir,
                          file, c, i, (unsigned long long)per[c].v[i], r->per[c][i]);
    }

    /* sized smaller than the machine: the rest are counted in beyond */
    for (int max = 0; max <= k->top; max += (k->top > 8 ? 7 : 1)) {
        int want_beyond = 0;
        for (int c = max; c < MAXCPU; c++) want_beyond += r->per_n[c] > 0;
        top = cpu_parse(buf, len, &total, max ? per : NULL, max, &beyond);
        ck_assert_int_eq(top, k->top);
        ck_assert_msg(beyond == want_beyond, "%s max %d: beyond %d, want %d", k->dir, max, beyond,
                      want_beyond);
        ck_assert_int_eq(total.n, k->numbers);
        for (int c = 0; c < max; c++) {
            ck_assert_int_eq(per[c].n, r->per_n[c]);
            if (per[c].n) ck_assert(per[c].v[CPU_IDLE] == r->per[c][CPU_IDLE]);
        }
    }
    free(buf);
    free(per);
    free(r);
}

START_TEST(parse_fixture_stat)
{
    check_parse_fixture(&kernels[_i], "stat");
}
END_TEST

START_TEST(parse_fixture_stat_next)
{
    check_parse_fixture(&kernels[_i], "stat.next");
}
END_TEST

/* ---- cpu_parse on garbage ---------------------------------------------- */

START_TEST(parse_garbage_lines_skipped)
{
    const char *text =
        "cpu  10 20 30 40 50 60 70 80 90 100\n"
        "cpu0 1 2 3 4\n"                          /* valid: 4 numbers */
        "cpu1 1 2a 3 4\n"                         /* letters inside a number */
        "cpu2 123456789012345678901 2 3 4\n"      /* 21 digits: overflow */
        "cpu3 1 2 3\n"                            /* fewer than 4 numbers */
        "cpuX 1 2 3 4\n"                          /* no index */
        "cpu4294967297 1 2 3 4\n"                 /* huge index */
        "cpu99999999999999999999999 1 2 3 4\n"    /* index overflows */
        "cpu5 1 2 3 4x\n"                         /* trailing letter */
        "cpu6 -1 2 3 4\n"                         /* sign */
        "cpu\n"                                   /* nothing */
        "cpu7\n"                                  /* index only */
        "cpu4\t5 6\t7 8 \n"                       /* valid, tabs and a trailing blank */
        "cpu8 1 2 3 4 5 6 7 8 9 10 11 12\n"       /* more than 10: first 10 kept */
        "cpu9 1 2 3 4";                           /* last line cut: no '\n' */
    size_t len;
    char *buf = exact(text, &len);
    struct cpu_times total, per[16];
    int beyond, top;
    memset(per, 0xff, sizeof per);
    top = cpu_parse(buf, len, &total, per, 16, &beyond);
    ck_assert_int_eq(top, 9);
    ck_assert_int_eq(beyond, 0);
    ck_assert_int_eq(total.n, 10);
    ck_assert(total.v[9] == 100);
    ck_assert_int_eq(per[0].n, 4);
    ck_assert(per[0].v[0] == 1 && per[0].v[3] == 4);
    for (int i = 1; i <= 3; i++) ck_assert_msg(per[i].n == 0, "cpu%d accepted", i);
    ck_assert_int_eq(per[4].n, 4);
    ck_assert(per[4].v[0] == 5 && per[4].v[1] == 6 && per[4].v[2] == 7 && per[4].v[3] == 8);
    ck_assert_int_eq(per[5].n, 0);
    ck_assert_int_eq(per[6].n, 0);
    ck_assert_int_eq(per[7].n, 0);
    ck_assert_int_eq(per[8].n, 10);
    for (int i = 0; i < 10; i++) ck_assert(per[8].v[i] == (uint64_t)i + 1);
    ck_assert_int_eq(per[9].n, 0);
    for (int i = 10; i < 16; i++) ck_assert_int_eq(per[i].n, 0);
    free(buf);
}
END_TEST

START_TEST(parse_garbage_total)
{
    struct cpu_times total, per[4];
    int beyond;
    size_t len;
    char *buf;

    buf = exact("cpu  1 2 3\ncpu0 1 2 3 4\n", &len);
    ck_assert_int_eq(cpu_parse(buf, len, &total, per, 4, &beyond), 1);
    ck_assert_int_eq(total.n, 0);
    free(buf);

    buf = exact("cpu  1 2 3 4", &len); /* cut */
    ck_assert_int_eq(cpu_parse(buf, len, &total, per, 4, &beyond), 0);
    ck_assert_int_eq(total.n, 0);
    free(buf);

    buf = exact("cpu 1 2 x 4\n", &len);
    ck_assert_int_eq(cpu_parse(buf, len, &total, per, 4, &beyond), 0);
    ck_assert_int_eq(total.n, 0);
    free(buf);

    buf = exact("cpu\t1 2 3 4\n", &len);
    ck_assert_int_eq(cpu_parse(buf, len, &total, NULL, 0, &beyond), 0);
    ck_assert_int_eq(total.n, 4);
    free(buf);

    /* empty, and not a stat file at all */
    buf = exact("", &len);
    ck_assert_int_eq(cpu_parse(buf, len, &total, per, 4, &beyond), 0);
    ck_assert_int_eq(total.n, 0);
    ck_assert_int_eq(beyond, 0);
    free(buf);
    buf = exact("intr 1 2 3\ncpu0 1 2 3 4\n", &len);
    cpu_parse(buf, len, &total, per, 4, &beyond);
    ck_assert_int_eq(total.n, 0);
    free(buf);
}
END_TEST

START_TEST(parse_every_prefix_of_a_fixture)
{
    /* Every truncation of a real file: never crashes, never reads past the end
     * (exact-size buffers), and a cut last line is never taken. */
    size_t len;
    char *full = slurp(fixture_path("linux-3.2", "stat"), &len);
    struct ref_stat *r = malloc(sizeof *r);
    ref_parse(fixture_path("linux-3.2", "stat"), r);
    for (size_t cut = 0; cut <= len; cut++) {
        char *b = malloc(cut ? cut : 1);
        struct cpu_times total, per[8];
        int beyond;
        memcpy(b, full, cut);
        cpu_parse(b, cut, &total, per, 8, &beyond);
        for (int c = 0; c < 8; c++)
            if (per[c].n) {
                ck_assert_int_eq(per[c].n, 10);
                for (int i = 0; i < 10; i++) ck_assert(per[c].v[i] == r->per[c][i]);
            }
        free(b);
    }
    free(r);
    free(full);
}
END_TEST

START_TEST(parse_beyond_counts_high_cpus)
{
    const char *text = "cpu  1 1 1 1\ncpu0 1 1 1 1\ncpu3 1 1 1 1\ncpu7 1 1 1 1\ncpu1000 1 1 1 1\n";
    size_t len;
    char *buf = exact(text, &len);
    struct cpu_times total, per[4];
    int beyond;
    ck_assert_int_eq(cpu_parse(buf, len, &total, per, 4, &beyond), 1001);
    ck_assert_int_eq(beyond, 2); /* cpu7 and cpu1000 */
    ck_assert_int_eq(per[0].n, 4);
    ck_assert_int_eq(per[1].n, 0);
    ck_assert_int_eq(per[3].n, 4);
    ck_assert_int_eq(cpu_parse(buf, len, &total, per, 3, &beyond), 1001);
    ck_assert_int_eq(beyond, 3);
    free(buf);
}
END_TEST

/* ---- cpu_usage ---------------------------------------------------------- */

static void times(struct cpu_times *t, int n, const uint64_t *v)
{
    memset(t, 0, sizeof *t);
    for (int i = 0; i < n; i++) t->v[i] = v[i];
    t->n = (unsigned char)n;
}

START_TEST(usage_plain)
{
    struct cpu_times a, b;
    double pct[CPU_NCOUNTERS];
    /* deltas: user 30, nice 0, system 10, idle 50, iowait 5, irq 2, softirq 3, steal 0 = 100 */
    times(&a, 8, (const uint64_t[]){100, 10, 50, 1000, 20, 5, 5, 0});
    times(&b, 8, (const uint64_t[]){130, 10, 60, 1050, 25, 7, 8, 0});
    ck_assert_int_eq(cpu_usage(&a, &b, pct), 8);
    ck_assert_double_eq_tol(pct[CPU_USER], 30, 1e-12);
    ck_assert_double_eq_tol(pct[CPU_NICE], 0, 1e-12);
    ck_assert_double_eq_tol(pct[CPU_SYSTEM], 10, 1e-12);
    ck_assert_double_eq_tol(pct[CPU_IDLE], 50, 1e-12);
    ck_assert_double_eq_tol(pct[CPU_IOWAIT], 5, 1e-12);
    ck_assert_double_eq_tol(pct[CPU_IRQ], 2, 1e-12);
    ck_assert_double_eq_tol(pct[CPU_SOFTIRQ], 3, 1e-12);
    ck_assert_double_eq_tol(pct[CPU_STEAL], 0, 1e-12);
}
END_TEST

START_TEST(usage_four_counters)
{
    struct cpu_times a, b;
    double pct[CPU_NCOUNTERS];
    times(&a, 4, (const uint64_t[]){0, 0, 0, 0});
    times(&b, 4, (const uint64_t[]){1, 1, 1, 5});
    ck_assert_int_eq(cpu_usage(&a, &b, pct), 4);
    ck_assert_double_eq_tol(pct[CPU_USER], 12.5, 1e-12);
    ck_assert_double_eq_tol(pct[CPU_IDLE], 62.5, 1e-12);
}
END_TEST

START_TEST(usage_guest_subtracted)
{
    struct cpu_times a, b;
    double pct[CPU_NCOUNTERS];
    /* Δ: user 40 (guest 15 inside), nice 10 (guest_nice 4 inside), system 10, idle 40;
     * total = 40 + 10 + 10 + 40 = 100 (guest not added) */
    times(&a, 10, (const uint64_t[]){1000, 100, 100, 1000, 0, 0, 0, 0, 500, 50});
    times(&b, 10, (const uint64_t[]){1040, 110, 110, 1040, 0, 0, 0, 0, 515, 54});
    ck_assert_int_eq(cpu_usage(&a, &b, pct), 10);
    ck_assert_double_eq_tol(pct[CPU_USER], 25, 1e-12);
    ck_assert_double_eq_tol(pct[CPU_NICE], 6, 1e-12);
    ck_assert_double_eq_tol(pct[CPU_SYSTEM], 10, 1e-12);
    ck_assert_double_eq_tol(pct[CPU_IDLE], 40, 1e-12);
    ck_assert_double_eq_tol(pct[CPU_GUEST], 15, 1e-12);
    ck_assert_double_eq_tol(pct[CPU_GUEST_NICE], 4, 1e-12);

    /* 9 counters (2.6.24-2.6.32): guest subtracted from user, nice untouched */
    times(&a, 9, (const uint64_t[]){1000, 100, 100, 1000, 0, 0, 0, 0, 500});
    times(&b, 9, (const uint64_t[]){1040, 110, 110, 1040, 0, 0, 0, 0, 515});
    ck_assert_int_eq(cpu_usage(&a, &b, pct), 9);
    ck_assert_double_eq_tol(pct[CPU_USER], 25, 1e-12);
    ck_assert_double_eq_tol(pct[CPU_NICE], 10, 1e-12);
    ck_assert_double_eq_tol(pct[CPU_GUEST], 15, 1e-12);
}
END_TEST

START_TEST(usage_backwards_clamped)
{
    struct cpu_times a, b;
    double pct[CPU_NCOUNTERS];
    int n;
    /* user went backwards; guest grew more than user */
    times(&a, 10, (const uint64_t[]){5000, 100, 100, 1000, 10, 0, 0, 0, 100, 100});
    times(&b, 10, (const uint64_t[]){4000, 100, 120, 1080, 10, 0, 0, 0, 900, 50});
    n = cpu_usage(&a, &b, pct);
    ck_assert_int_eq(n, 10);
    for (int i = 0; i < n; i++)
        ck_assert_msg(pct[i] >= 0 && pct[i] <= 100, "%s = %g", usage_keys[i], pct[i]);
    ck_assert_double_eq_tol(pct[CPU_USER], 0, 1e-12);
    ck_assert_double_eq_tol(pct[CPU_SYSTEM], 20, 1e-12); /* Δtotal = 20 + 80 */
    ck_assert_double_eq_tol(pct[CPU_IDLE], 80, 1e-12);
    ck_assert_double_eq_tol(pct[CPU_GUEST], 100, 1e-12); /* 800 / 100 clamped */
    ck_assert_double_eq_tol(pct[CPU_GUEST_NICE], 0, 1e-12);

    /* guest larger than user: usage_user 0, not negative */
    times(&a, 9, (const uint64_t[]){0, 0, 0, 0, 0, 0, 0, 0, 0});
    times(&b, 9, (const uint64_t[]){10, 0, 0, 10, 0, 0, 0, 0, 50});
    ck_assert_int_eq(cpu_usage(&a, &b, pct), 9);
    ck_assert_double_eq_tol(pct[CPU_USER], 0, 1e-12);
    ck_assert_double_eq_tol(pct[CPU_IDLE], 50, 1e-12);
    ck_assert_double_eq_tol(pct[CPU_GUEST], 100, 1e-12);

    /* everything went backwards except one tick of idle */
    times(&a, 8, (const uint64_t[]){UINT64_MAX, UINT64_MAX, UINT64_MAX, 0, UINT64_MAX, 9, 9, 9});
    times(&b, 8, (const uint64_t[]){0, 0, 0, 1, 0, 0, 0, 0});
    ck_assert_int_eq(cpu_usage(&a, &b, pct), 8);
    for (int i = 0; i < 8; i++)
        ck_assert_double_eq_tol(pct[i], i == CPU_IDLE ? 100 : 0, 1e-12);
}
END_TEST

START_TEST(usage_no_delta)
{
    struct cpu_times a, b;
    double pct[CPU_NCOUNTERS];
    times(&a, 10, (const uint64_t[]){1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
    ck_assert_int_eq(cpu_usage(&a, &a, pct), 0); /* Δtotal = 0 */
    /* only guest moved: still Δtotal = 0 */
    times(&b, 10, (const uint64_t[]){1, 2, 3, 4, 5, 6, 7, 8, 19, 20});
    ck_assert_int_eq(cpu_usage(&a, &b, pct), 0);
    /* all went backwards */
    times(&b, 10, (const uint64_t[]){0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    ck_assert_int_eq(cpu_usage(&a, &b, pct), 0);
    /* differing counts */
    times(&b, 9, (const uint64_t[]){10, 20, 30, 40, 50, 60, 70, 80, 90});
    ck_assert_int_eq(cpu_usage(&a, &b, pct), 0);
    ck_assert_int_eq(cpu_usage(&b, &a, pct), 0);
    /* a reading missing */
    memset(&b, 0, sizeof b);
    ck_assert_int_eq(cpu_usage(&b, &a, pct), 0);
    ck_assert_int_eq(cpu_usage(&a, &b, pct), 0);
}
END_TEST

START_TEST(usage_huge_deltas_do_not_wrap)
{
    /* Found by fuzz_cpu: deltas of 2^63 in user and system and 1 in idle
     * summed to 1 in 64 bits, and every usage came out 100. */
    struct cpu_times a, b;
    double pct[CPU_NCOUNTERS];
    times(&a, 4, (const uint64_t[]){0, 0, 0, 0});
    times(&b, 4, (const uint64_t[]){1ULL << 63, 0, 1ULL << 63, 1});
    ck_assert_int_eq(cpu_usage(&a, &b, pct), 4);
    ck_assert_double_eq_tol(pct[CPU_USER], 50, 1e-9);
    ck_assert_double_eq_tol(pct[CPU_SYSTEM], 50, 1e-9);
    ck_assert_double_lt(pct[CPU_IDLE], 1e-15);
    ck_assert_double_le(pct[CPU_USER] + pct[CPU_SYSTEM] + pct[CPU_IDLE], 100 + 1e-9);
}
END_TEST

START_TEST(usage_fixture_deltas)
{
    const struct kernel *k = &kernels[_i];
    struct ref_stat *r0 = malloc(sizeof *r0), *r1 = malloc(sizeof *r1);
    char p0[1024];
    snprintf(p0, sizeof p0, "%s", fixture_path(k->dir, "stat"));
    ref_parse(p0, r0);
    ref_parse(fixture_path(k->dir, "stat.next"), r1);
    for (int c = -1; c < k->top; c++) {
        const unsigned long long *a = c < 0 ? r0->total : r0->per[c];
        const unsigned long long *b = c < 0 ? r1->total : r1->per[c];
        int n = c < 0 ? r0->total_n : r0->per_n[c];
        struct cpu_times ta, tb;
        double want[CPU_NCOUNTERS], got[CPU_NCOUNTERS];
        double sum = 0;
        if (n == 0) continue;
        to_times(a, n, &ta);
        to_times(b, n, &tb);
        ref_usage(a, b, n, want);
        ck_assert_int_eq(cpu_usage(&ta, &tb, got), n);
        for (int i = 0; i < n; i++) {
            ck_assert_msg(got[i] >= want[i] - 1e-9 && got[i] <= want[i] + 1e-9,
                          "%s cpu%d %s = %.12g, want %.12g", k->dir, c, usage_keys[i], got[i],
                          want[i]);
            if (i < CPU_GUEST) sum += got[i];
        }
        /* without guest time the first eight add up to 100 */
        if (n <= CPU_GUEST || (b[CPU_GUEST] == a[CPU_GUEST] && (n <= CPU_GUEST_NICE ||
                                                                 b[CPU_GUEST_NICE] == a[CPU_GUEST_NICE])))
            ck_assert_double_eq_tol(sum, 100, 1e-9);
    }
    free(r0);
    free(r1);
}
END_TEST

/* ---- the collector through a temporary proc root ------------------------ */

static char tmpdir[256];

static void tmp_setup(void) { tmp_root_make(tmpdir, sizeof tmpdir, "cpu"); }

static void tmp_teardown(void) { tmp_root_remove(tmpdir); }

/* Write @len bytes as tmpdir/stat, in place (O_TRUNC keeps the inode the collector holds). */
static void put_stat(const char *data, size_t len) { tmp_root_put(tmpdir, "stat", data, len); }

static void put_stat_str(const char *s) { put_stat(s, strlen(s)); }

static void put_fixture(const char *dir, const char *file)
{
    size_t len;
    char *b = slurp(fixture_path(dir, file), &len);
    put_stat(b, len);
    free(b);
}

static int field_index(const struct sample_field *f, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(f[i].key, key) == 0) return i;
    return -1;
}

static void check_collector_fixture(const struct kernel *k, int cpu_time)
{
    struct cpu_collector c;
    struct ref_stat *r0 = malloc(sizeof *r0), *r1 = malloc(sizeof *r1);
    struct sample_field f[SAMPLE_MAX_FIELDS];
    char err[512] = "", p0[1024];
    double tck = (double)sysconf(_SC_CLK_TCK);
    long conf = sysconf(_SC_NPROCESSORS_CONF);

    snprintf(p0, sizeof p0, "%s", fixture_path(k->dir, "stat"));
    ref_parse(p0, r0);
    ref_parse(fixture_path(k->dir, "stat.next"), r1);

    put_fixture(k->dir, "stat");
    ck_assert_msg(cpu_open(&c, tmpdir, cpu_time, err, sizeof err) == 0, "cpu_open: %s", err);
    ck_assert_int_ge(c.max, k->top);
    ck_assert_int_ge(c.max, conf);
    ck_assert_int_eq(cpu_sample(&c), 0);
    ck_assert_int_eq(c.online, r0->ncpu_lines);
    ck_assert_int_eq(c.beyond, 0);

    /* first sample: no usage yet; time_* only with cpu_time */
    for (int idx = -1; idx < k->top; idx++) {
        const unsigned long long *v = idx < 0 ? r0->total : r0->per[idx];
        int n = idx < 0 ? r0->total_n : r0->per_n[idx];
        int got = cpu_fields(&c, idx, f);
        ck_assert_int_eq(got, cpu_time ? n : 0);
        for (int i = 0; i < got; i++) {
            ck_assert_str_eq(f[i].key, time_keys[i]);
            ck_assert_int_eq(f[i].type, SAMPLE_FLOAT);
            ck_assert_double_eq_tol(f[i].v.f, (double)v[i] / tck, 1e-9 * (1 + (double)v[i] / tck));
        }
    }

    put_fixture(k->dir, "stat.next");
    ck_assert_int_eq(cpu_sample(&c), 0);
    ck_assert_int_eq(c.online, r1->ncpu_lines);
    for (int idx = -1; idx < k->top; idx++) {
        const unsigned long long *a = idx < 0 ? r0->total : r0->per[idx];
        const unsigned long long *b = idx < 0 ? r1->total : r1->per[idx];
        int n = idx < 0 ? r1->total_n : r1->per_n[idx];
        double want[CPU_NCOUNTERS];
        int got = cpu_fields(&c, idx, f), off = cpu_time ? n : 0;
        if (n == 0) {
            ck_assert_int_eq(got, 0);
            continue;
        }
        ref_usage(a, b, n, want);
        ck_assert_msg(got == off + n, "%s idx %d: %d fields, want %d", k->dir, idx, got, off + n);
        for (int i = 0; i < n; i++) {
            if (cpu_time) {
                ck_assert_str_eq(f[i].key, time_keys[i]);
                ck_assert_double_eq_tol(f[i].v.f, (double)b[i] / tck, 1e-9 * (1 + (double)b[i] / tck));
            }
            ck_assert_str_eq(f[off + i].key, usage_keys[i]);
            ck_assert_int_eq(f[off + i].type, SAMPLE_FLOAT);
            ck_assert_msg(f[off + i].v.f >= want[i] - 1e-9 && f[off + i].v.f <= want[i] + 1e-9,
                          "%s idx %d %s = %.12g, want %.12g", k->dir, idx, usage_keys[i],
                          f[off + i].v.f, want[i]);
        }
    }
    /* outside the sized range */
    ck_assert_int_eq(cpu_fields(&c, -2, f), 0);
    ck_assert_int_eq(cpu_fields(&c, c.max, f), 0);
    cpu_close(&c);
    free(r0);
    free(r1);
}

START_TEST(collector_fixture_usage)
{
    check_collector_fixture(&kernels[_i], 0);
}
END_TEST

START_TEST(collector_fixture_cpu_time)
{
    check_collector_fixture(&kernels[_i], 1);
}
END_TEST

START_TEST(collector_hotplug)
{
    struct cpu_collector c;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    char err[256];
    int n;
    /* cpu1 offline at first */
    put_stat_str("cpu  200 0 100 1000 0 0 0 0 0 0\n"
                 "cpu0 100 0 50 500 0 0 0 0 0 0\n"
                 "cpu2 100 0 50 500 0 0 0 0 0 0\n"
                 "intr 0\n");
    ck_assert_int_eq(cpu_open(&c, tmpdir, 1, err, sizeof err), 0);
    ck_assert_int_ge(c.max, 3);
    ck_assert_int_eq(cpu_sample(&c), 0);
    ck_assert_int_eq(c.online, 2);
    ck_assert_int_eq(cpu_fields(&c, 1, f), 0);

    /* cpu1 comes online */
    put_stat_str("cpu  300 0 200 1200 0 0 0 0 0 0\n"
                 "cpu0 150 0 100 550 0 0 0 0 0 0\n"
                 "cpu1 10 0 10 80 0 0 0 0 0 0\n"
                 "cpu2 140 0 90 570 0 0 0 0 0 0\n"
                 "intr 0\n");
    ck_assert_int_eq(cpu_sample(&c), 0);
    ck_assert_int_eq(c.online, 3);
    n = cpu_fields(&c, 1, f);
    ck_assert_int_eq(n, 10); /* time_* only, no usage this tick */
    ck_assert_int_eq(field_index(f, n, "usage_idle"), -1);
    ck_assert_int_eq(field_index(f, n, "usage_user"), -1);
    ck_assert_double_eq_tol(f[field_index(f, n, "time_idle")].v.f,
                            80.0 / (double)sysconf(_SC_CLK_TCK), 1e-12);
    n = cpu_fields(&c, 0, f);
    ck_assert_int_eq(n, 20);
    /* cpu0: Δuser 50, Δsystem 50, Δidle 50 */
    ck_assert_double_eq_tol(f[field_index(f, n, "usage_user")].v.f, 100.0 / 3, 1e-9);
    n = cpu_fields(&c, 2, f);
    ck_assert_int_eq(n, 20);
    /* cpu2: Δuser 40, Δsystem 40, Δidle 70 */
    ck_assert_double_eq_tol(f[field_index(f, n, "usage_idle")].v.f, 100.0 * 70 / 150, 1e-9);

    /* next tick: cpu1 has a previous reading now; cpu2 goes offline */
    put_stat_str("cpu  400 0 300 1400 0 0 0 0 0 0\n"
                 "cpu0 200 0 150 600 0 0 0 0 0 0\n"
                 "cpu1 30 0 10 100 0 0 0 0 0 0\n"
                 "intr 0\n");
    ck_assert_int_eq(cpu_sample(&c), 0);
    ck_assert_int_eq(c.online, 2);
    n = cpu_fields(&c, 1, f);
    ck_assert_int_eq(n, 20);
    ck_assert_double_eq_tol(f[field_index(f, n, "usage_user")].v.f, 50, 1e-9);
    ck_assert_double_eq_tol(f[field_index(f, n, "usage_idle")].v.f, 50, 1e-9);
    ck_assert_int_eq(cpu_fields(&c, 2, f), 0);
    cpu_close(&c);
}
END_TEST

START_TEST(collector_first_sample_no_usage)
{
    struct cpu_collector c;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    char err[256];
    put_stat_str("cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 2 3 4 5 6 7 8 9 10\n");
    ck_assert_int_eq(cpu_open(&c, tmpdir, 0, err, sizeof err), 0);
    ck_assert_int_eq(cpu_sample(&c), 0);
    ck_assert_int_eq(cpu_fields(&c, -1, f), 0);
    ck_assert_int_eq(cpu_fields(&c, 0, f), 0);
    /* unchanged counters: Δtotal 0, still nothing */
    ck_assert_int_eq(cpu_sample(&c), 0);
    ck_assert_int_eq(cpu_fields(&c, -1, f), 0);
    cpu_close(&c);
}
END_TEST

START_TEST(collector_more_cpus_than_sized)
{
    struct cpu_collector c;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    char err[256], *text;
    size_t cap = 1 << 16, len;
    int max;
    put_stat_str("cpu  10 0 10 80\ncpu0 10 0 10 80\n");
    ck_assert_int_eq(cpu_open(&c, tmpdir, 0, err, sizeof err), 0);
    max = c.max;
    ck_assert_int_ge(max, 1);
    ck_assert_int_eq(cpu_sample(&c), 0);
    /* three more cpus than were sized */
    text = malloc(cap);
    len = (size_t)snprintf(text, cap, "cpu  20 0 20 160\n");
    for (int i = 0; i < max + 3; i++)
        len += (size_t)snprintf(text + len, cap - len, "cpu%d 20 0 20 160\n", i);
    len += (size_t)snprintf(text + len, cap - len, "intr 0\n");
    put_stat(text, len);
    free(text);
    ck_assert_int_eq(cpu_sample(&c), 0);
    ck_assert_int_eq(c.beyond, 3);
    ck_assert_int_eq(c.online, max + 3);
    ck_assert_int_eq(cpu_fields(&c, -1, f), 4);
    ck_assert_int_eq(cpu_fields(&c, 0, f), 4);
    ck_assert_int_eq(cpu_fields(&c, max, f), 0);
    ck_assert_int_eq(cpu_fields(&c, max + 2, f), 0);
    cpu_close(&c);
}
END_TEST

START_TEST(collector_one_line_does_not_size_a_million_cpus)
{
    /* one "cpu1048575" line: sized for the lines present (and some), not for
       a million CPUs; the far one is beyond, counted, and its fields skipped */
    struct cpu_collector c;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    char err[256];
    const char *text = "cpu  20 0 20 160\ncpu0 10 0 10 80\ncpu1048575 10 0 10 80\nintr 0\n";
    put_stat_str(text);
    ck_assert_int_eq(cpu_open(&c, tmpdir, 0, err, sizeof err), 0);
    ck_assert_int_le(c.max, 8192); /* this host's possible CPUs, or 2 * 2 + 64 */
    ck_assert_int_ge(c.max, 1);
    ck_assert_int_eq(cpu_sample(&c), 0);
    ck_assert_int_eq(c.beyond, 1);
    put_stat_str("cpu  40 0 40 320\ncpu0 20 0 20 160\ncpu1048575 20 0 20 160\nintr 0\n");
    ck_assert_int_eq(cpu_sample(&c), 0);
    ck_assert_int_eq(cpu_fields(&c, -1, f), 4);
    ck_assert_int_eq(cpu_fields(&c, 0, f), 4);
    cpu_close(&c);
}
END_TEST

/* A field of @f by key and suffix (NULL: plain); its value, or NAN. */
static double value_of(const struct sample_field *f, int n, const char *key, const char *suffix)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(f[i].key, key) && ((!suffix && !f[i].suffix) || (suffix && f[i].suffix && !strcmp(f[i].suffix, suffix))))
            return f[i].type == SAMPLE_FLOAT ? f[i].v.f : (double)f[i].v.i;
    return NAN;
}

START_TEST(window_usage_is_exact_over_the_window)
{
    /* --window: usage_* over a window is the usage between the reading that
       opens it and the one that closes it, to the last digit what one reading
       a window apart (--interval = the window) gives: ticks with unequal
       jiffy deltas, ticks where nothing moved, and a steal and guest share */
    struct cpu_collector c;
    struct cpu_times first[3], last[3];
    struct window_acc w[3];
    char err[256], text[512];
    srand(3);
    for (int round = 0; round < 50; round++) {
        uint64_t v[3][10] = {{0}};
        int ticks = 2 + rand() % 300;
        memset(w, 0, sizeof w);
        for (int t = 0; t <= ticks; t++) {
            int len = 0;
            for (int cpu = 1; cpu < 3; cpu++)
                for (int k = 0; k < 10; k++)
                    if (t > 0 && rand() % 3 == 0) {
                        uint64_t d = (uint64_t)(rand() % (k == 3 ? 40 : 7));
                        v[cpu][k] += d;
                        /* guest time is user time too, guest_nice nice, as the kernel counts them */
                        if (k >= 8) v[cpu][k - 8] += d;
                    }
            for (int k = 0; k < 10; k++) v[0][k] = v[1][k] + v[2][k]; /* "cpu" is the sum of cpu0, cpu1 */
            for (int cpu = 0; cpu < 3; cpu++) {
                len += snprintf(text + len, sizeof text - (size_t)len, cpu ? "cpu%d" : "cpu ", cpu - 1);
                for (int k = 0; k < 10; k++) len += snprintf(text + len, sizeof text - (size_t)len, " %llu",
                                                              (unsigned long long)v[cpu][k]);
                len += snprintf(text + len, sizeof text - (size_t)len, "\n");
            }
            put_stat_str(text);
            if (t == 0) ck_assert_int_eq(cpu_open(&c, tmpdir, 0, err, sizeof err), 0);
            ck_assert_int_eq(cpu_sample(&c), 0);
            if (t == 0) {
                memcpy(first, c.cur, sizeof first);
                continue;
            }
            for (int i = -1; i < 2; i++) {
                struct sample_field f[SAMPLE_MAX_FIELDS];
                int n = cpu_fields(&c, i, f);
                window_add(&w[i + 1], f, n, t * 0.001, 0);
            }
        }
        memcpy(last, c.cur, sizeof last);
        for (int i = 0; i < 3; i++) {
            struct sample_field out[SAMPLE_MAX_FIELDS];
            double pct[CPU_NCOUNTERS];
            int n = window_fields(&w[i], NULL, 0, out, SAMPLE_MAX_FIELDS);
            int k = cpu_usage(&first[i], &last[i], pct); /* the brute force: one delta over the window */
            for (int x = 0; x < k; x++) {
                double got = value_of(out, n, cpu_usage_names[x], NULL);
                ck_assert_msg(got == pct[x], "round %d series %d %s: window %.17g, one delta %.17g", round, i,
                              cpu_usage_names[x], got, pct[x]);
                ck_assert(value_of(out, n, cpu_usage_names[x], "_mean") == pct[x]);
                ck_assert(value_of(out, n, cpu_usage_names[x], "_min") <= pct[x]);
                ck_assert(value_of(out, n, cpu_usage_names[x], "_max") >= pct[x]);
            }
        }
        cpu_close(&c);
    }
}
END_TEST

START_TEST(window_min_max_over_resolvable_runs)
{
    /* one core at 1 ms ticks over 1 s: a jiffy every 10 ticks. Idle but for
       one user jiffy in a hundred: per tick that jiffy says usage_user 100;
       over runs of CPU_SUBINTERVAL_JIFFIES it says 1/5 at most. Then 300 ms
       busy: max 100 over those runs. */
    struct cpu_collector c;
    struct window_acc idle = {0}, busy = {0};
    char err[256], text[128];
    uint64_t user = 0, idl = 0;
    for (int pass = 0; pass < 2; pass++) {
        struct window_acc *w = pass ? &busy : &idle;
        for (int t = 0; t <= 1000; t++) {
            if (t > 0 && t % 10 == 0) {
                int j = t / 10;
                int busy_now = pass == 0 ? j % 100 == 50 : j >= 30 && j < 60;
                if (busy_now) user++;
                else idl++;
            }
            snprintf(text, sizeof text, "cpu  %llu 0 0 %llu 0 0 0 0 0 0\ncpu0 %llu 0 0 %llu 0 0 0 0 0 0\n",
                     (unsigned long long)user, (unsigned long long)idl, (unsigned long long)user,
                     (unsigned long long)idl);
            put_stat_str(text);
            if (pass == 0 && t == 0) ck_assert_int_eq(cpu_open(&c, tmpdir, 0, err, sizeof err), 0);
            ck_assert_int_eq(cpu_sample(&c), 0);
            if (t > 0) {
                struct sample_field f[SAMPLE_MAX_FIELDS];
                int n = cpu_fields(&c, 0, f);
                if (n > 0 && pass == 0 && f[0].v.f == 100) ck_assert_int_eq(t, 500); /* the tick alone: 100 */
                window_add(w, f, n, t * 0.001, 0);
            }
        }
    }
    {
        struct sample_field out[SAMPLE_MAX_FIELDS];
        int n = window_fields(&idle, NULL, 0, out, SAMPLE_MAX_FIELDS);
        ck_assert_double_eq_tol(value_of(out, n, "usage_user", NULL), 100.0 / 100, 1e-12);
        ck_assert_double_eq_tol(value_of(out, n, "usage_user", "_max"), 100.0 / CPU_SUBINTERVAL_JIFFIES, 1e-12);
        ck_assert_double_eq(value_of(out, n, "usage_user", "_min"), 0);
        n = window_fields(&busy, NULL, 0, out, SAMPLE_MAX_FIELDS);
        ck_assert_double_eq(value_of(out, n, "usage_user", "_max"), 100);
        ck_assert_double_eq(value_of(out, n, "usage_user", "_min"), 0);
        ck_assert_double_eq_tol(value_of(out, n, "usage_user", NULL), 30, 1e-12);
    }
    cpu_close(&c);
}
END_TEST

START_TEST(collector_open_errors)
{
    struct cpu_collector c;
    char err[512] = "";
    char missing[300];
    snprintf(missing, sizeof missing, "%s/nope", tmpdir);
    ck_assert_int_eq(cpu_open(&c, missing, 0, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "nope"));
    cpu_close(&c);

    put_stat_str("intr 1 2 3\nctxt 4\n"); /* no aggregate line */
    err[0] = '\0';
    ck_assert_int_eq(cpu_open(&c, tmpdir, 0, err, sizeof err), -1);
    ck_assert_uint_gt(strlen(err), 0);
    cpu_close(&c);
}
END_TEST

/* procfile has no suite of its own; cpu is its first user. */
START_TEST(procfile_reopen_keeps_the_fd_number)
{
    /* SIGHUP reopens every file: the fd numbers stay (a fixed set of fds), and
       the new fd reads the file now under the name */
    struct procfile pf;
    char err[256];
    int fd, spare;
    put_stat_str("cpu  1 2 3 4\n");
    ck_assert_int_eq(procfile_open(&pf, tmpdir, "stat", 4096, err, sizeof err), PROCFILE_OK);
    fd = pf.fd;
    spare = open("/dev/null", O_RDONLY); /* the lowest free number is not fd's */
    ck_assert_int_ge(spare, 0);
    {
        char path[512];
        snprintf(path, sizeof path, "%s/stat", tmpdir);
        ck_assert_int_eq(unlink(path), 0);
    }
    put_stat_str("cpu  5 6 7 8\n");
    ck_assert_int_eq(procfile_reopen(&pf, err, sizeof err), PROCFILE_OK);
    ck_assert_int_eq(pf.fd, fd);
    ck_assert_int_ne(fcntl(pf.fd, F_GETFD) & FD_CLOEXEC, 0);
    ck_assert_int_gt(procfile_read(&pf), 0);
    ck_assert_str_eq(pf.buf, "cpu  5 6 7 8\n");
    close(spare);
    procfile_close(&pf);
}
END_TEST

START_TEST(procfile_close_zeroed_is_safe)
{
    /* procfile.h: procfile_close is "Safe on a zeroed struct". A zeroed struct
     * has fd 0; closing it would close standard input. */
    struct procfile pf;
    int fd = open("/dev/null", O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(dup2(fd, 0), 0);
    close(fd);
    memset(&pf, 0, sizeof pf);
    procfile_close(&pf);
    ck_assert_msg(fcntl(0, F_GETFD) != -1, "procfile_close on a zeroed struct closed fd 0");
}
END_TEST

START_TEST(procfile_grows_no_further_than_cap)
{
    /* A file that grows past the buffer is cut and flagged, never overflowed. */
    struct procfile pf;
    char err[256], *big = malloc(20000);
    memset(big, 'x', 20000);
    put_stat("small\n", 6);
    ck_assert_int_eq(procfile_open(&pf, tmpdir, "stat", 1 << 20, err, sizeof err), PROCFILE_OK);
    ck_assert_uint_eq(pf.cap, 4096);
    ck_assert_int_eq(procfile_read(&pf), 6);
    ck_assert_int_eq(pf.truncated, 0);
    ck_assert_str_eq(pf.buf, "small\n");
    put_stat(big, 20000);
    ck_assert_int_eq(procfile_read(&pf), 4095);
    ck_assert_int_eq(pf.truncated, 1);
    ck_assert_int_eq(pf.buf[4095], '\0');
    procfile_close(&pf);
    free(big);
}
END_TEST

static Suite *cpu_suite(void)
{
    Suite *s = suite_create("cpu");
    TCase *tc = tcase_create("parse");
    tcase_add_loop_test(tc, parse_fixture_stat, 0, NKERNELS);
    tcase_add_loop_test(tc, parse_fixture_stat_next, 0, NKERNELS);
    tcase_add_test(tc, parse_garbage_lines_skipped);
    tcase_add_test(tc, parse_garbage_total);
    tcase_add_test(tc, parse_every_prefix_of_a_fixture);
    tcase_add_test(tc, parse_beyond_counts_high_cpus);
    suite_add_tcase(s, tc);

    tc = tcase_create("usage");
    tcase_add_test(tc, usage_plain);
    tcase_add_test(tc, usage_four_counters);
    tcase_add_test(tc, usage_guest_subtracted);
    tcase_add_test(tc, usage_backwards_clamped);
    tcase_add_test(tc, usage_no_delta);
    tcase_add_test(tc, usage_huge_deltas_do_not_wrap);
    tcase_add_loop_test(tc, usage_fixture_deltas, 0, NKERNELS);
    suite_add_tcase(s, tc);

    tc = tcase_create("collector");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_loop_test(tc, collector_fixture_usage, 0, NKERNELS);
    tcase_add_loop_test(tc, collector_fixture_cpu_time, 0, NKERNELS);
    tcase_add_test(tc, collector_hotplug);
    tcase_add_test(tc, collector_first_sample_no_usage);
    tcase_add_test(tc, collector_more_cpus_than_sized);
    tcase_add_test(tc, collector_one_line_does_not_size_a_million_cpus);
    tcase_add_test(tc, window_usage_is_exact_over_the_window);
    tcase_add_test(tc, window_min_max_over_resolvable_runs);
    tcase_add_test(tc, collector_open_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("procfile");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, procfile_close_zeroed_is_safe);
    tcase_add_test(tc, procfile_reopen_keeps_the_fd_number);
    tcase_add_test(tc, procfile_grows_no_further_than_cap);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cpu_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
