/*
 * Unit tests of kernel: the non-cpu lines of /proc/stat and entropy_avail into
 * Telegraf's kernel and processes fields.
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
#include "kernel.h"

static char *exact(const char *s, size_t *len)
{
    size_t n = strlen(s);
    char *b = malloc(n ? n : 1);
    memcpy(b, s, n);
    *len = n;
    return b;
}

/* kernel_parse_stat on an exact-size copy (ASan catches a read past the end). */
static int stat_of(const char *s, struct kernel_values *v)
{
    size_t len;
    char *b = exact(s, &len);
    int r;
    memset(v, 0xa5, sizeof *v);
    r = kernel_parse_stat(b, len, v);
    free(b);
    return r;
}

static int entropy_of(const char *s, int64_t *out)
{
    size_t len;
    char *b = exact(s, &len);
    int r = kernel_parse_entropy(b, len, out);
    free(b);
    return r;
}

#define ALL_LINES ((1u << KERNEL_NLINES) - 1)
#define BIT(k) (1u << (k))

/* ---- real /proc/stat of many kernels ------------------------------------ */

static const struct {
    const char *dir, *file;
    int64_t intr, ctxt, btime, processes, running, blocked;
} real[] = {
    {"linux-2.6.9", "stat", 15239682, 4209609, 1078711415, 21905, 1, 0},
    {"linux-2.6.18", "stat", 2042021368, 2389171520, 1262304000, 4817261, 1, 0},
    {"linux-2.6.32", "stat", 612082674, 447203878, 1389823308, 479488, 8, 0},
    {"linux-3.2", "stat", 834537729, 690869944, 1389884445, 30070, 1, 0},
    {"armhf-32bit", "stat", 416903, 1161689, 1400167199, 2907, 1, 0},
    {"linux-4.x", "stat", 1164323, 5562073, 1569982765, 5959, 3, 0},
    {"linux-5.x", "stat", 49178, 61471, 1699003092, 605, 2, 0},
    {"linux-6.x", "stat", 96421, 203228, 1795608959, 2457, 1, 0},
    {"linux-6.x", "stat.next", 96554, 203388, 1795608959, 2460, 1, 0},
    {"manycore", "stat", 9630486685, 918273645501, 1700000000, 61823377, 9, 0},
    {"manycore", "stat.next", 9630486685, 918274157501, 1700000000, 61823414, 9, 0},
};

static void assert_real(int i, const struct kernel_values *v)
{
    ck_assert_uint_eq(v->present, ALL_LINES);
    ck_assert_int_eq(v->v[KERNEL_INTR], real[i].intr);
    ck_assert_int_eq(v->v[KERNEL_CTXT], real[i].ctxt);
    ck_assert_int_eq(v->v[KERNEL_BTIME], real[i].btime);
    ck_assert_int_eq(v->v[KERNEL_PROCESSES], real[i].processes);
    ck_assert_int_eq(v->v[KERNEL_RUNNING], real[i].running);
    ck_assert_int_eq(v->v[KERNEL_BLOCKED], real[i].blocked);
}

START_TEST(stat_fixtures)
{
    for (size_t i = 0; i < sizeof real / sizeof real[0]; i++) {
        size_t len;
        char *b = slurp(fixture_path(real[i].dir, real[i].file), &len);
        struct kernel_values v;
        memset(&v, 0, sizeof v);
        ck_assert_msg(kernel_parse_stat(b, len, &v) == 1, "%s/%s", real[i].dir, real[i].file);
        assert_real((int)i, &v);
        free(b);
    }
}
END_TEST

/*
 * Every prefix of every real file, as a truncated read would leave it: a line
 * is found exactly when its '\n' is inside the prefix (intr: when a blank or
 * '\n' follows its total), and a found value is never a cut one.
 */
START_TEST(stat_fixtures_cut)
{
    static const char *const keys[KERNEL_NLINES] = {
        [KERNEL_INTR] = "\nintr ", [KERNEL_CTXT] = "\nctxt ", [KERNEL_BTIME] = "\nbtime ",
        [KERNEL_PROCESSES] = "\nprocesses ", [KERNEL_RUNNING] = "\nprocs_running ",
        [KERNEL_BLOCKED] = "\nprocs_blocked ",
    };
    for (size_t i = 0; i < sizeof real / sizeof real[0]; i++) {
        size_t len, first, done[KERNEL_NLINES];
        char *b = slurp(fixture_path(real[i].dir, real[i].file), &len);
        struct kernel_values full;
        memset(&full, 0, sizeof full);
        kernel_parse_stat(b, len, &full);
        for (int k = 0; k < KERNEL_NLINES; k++) {
            const char *s = memmem(b, len, keys[k], strlen(keys[k]));
            const char *d;
            ck_assert_ptr_nonnull(s);
            d = s + strlen(keys[k]);
            while (*d >= '0' && *d <= '9') d++;
            /* intr: complete once one byte past the digits is in; others need the '\n'. */
            if (k != KERNEL_INTR) d = memchr(d, '\n', len - (size_t)(d - b));
            done[k] = (size_t)(d - b) + 1;
        }
        /* The cpu lines hold no key: a few cuts there, then every cut from intr on. */
        first = (size_t)((const char *)memmem(b, len, "\nintr ", 6) - b);
        for (size_t cut = 0; cut <= len; cut = cut < 64 || cut >= first ? cut + 1 : first) {
            char *c = malloc(cut ? cut : 1);
            struct kernel_values v;
            memcpy(c, b, cut);
            memset(&v, 0, sizeof v);
            ck_assert_int_eq(kernel_parse_stat(c, cut, &v), v.present != 0);
            for (int k = 0; k < KERNEL_NLINES; k++) {
                int want = cut >= done[k];
                ck_assert_msg(((v.present >> k) & 1) == (unsigned)want, "%s/%s cut %zu key %d",
                              real[i].dir, real[i].file, cut, k);
                if (want) ck_assert_int_eq(v.v[k], full.v[k]);
            }
            free(c);
        }
        free(b);
    }
}
END_TEST

/* ---- hand-made content -------------------------------------------------- */

START_TEST(stat_minimal_and_order)
{
    struct kernel_values v;
    /* Any order, no cpu lines, tabs, trailing blanks. */
    ck_assert_int_eq(stat_of("procs_blocked 3\nprocs_running 2\nprocesses 1\nbtime\t4 \n"
                             "ctxt  5\t\nintr 6\n",
                             &v),
                     1);
    ck_assert_uint_eq(v.present, ALL_LINES);
    ck_assert_int_eq(v.v[KERNEL_BLOCKED], 3);
    ck_assert_int_eq(v.v[KERNEL_RUNNING], 2);
    ck_assert_int_eq(v.v[KERNEL_PROCESSES], 1);
    ck_assert_int_eq(v.v[KERNEL_BTIME], 4);
    ck_assert_int_eq(v.v[KERNEL_CTXT], 5);
    ck_assert_int_eq(v.v[KERNEL_INTR], 6);

    /* Only some lines (a 2.4-style file: no procs_*, page/swap ignored). */
    ck_assert_int_eq(stat_of("cpu  1 2 3 4\npage 5 6\nswap 7 8\nintr 9 1 2\nctxt 10\n"
                             "btime 11\nprocesses 12\n",
                             &v),
                     1);
    ck_assert_uint_eq(v.present, BIT(KERNEL_INTR) | BIT(KERNEL_CTXT) | BIT(KERNEL_BTIME) |
                                     BIT(KERNEL_PROCESSES));
    ck_assert_int_eq(v.v[KERNEL_INTR], 9);
    ck_assert_int_eq(v.v[KERNEL_PROCESSES], 12);

    /* Duplicates: the last valid line wins. */
    ck_assert_int_eq(stat_of("ctxt 1\nctxt 2\nbtime 3\nbtime x\n", &v), 1);
    ck_assert_int_eq(v.v[KERNEL_CTXT], 2);
    ck_assert_int_eq(v.v[KERNEL_BTIME], 3);
}
END_TEST

START_TEST(stat_garbage)
{
    static const char *const none[] = {
        "",
        "\n",
        "\n\n\n",
        "cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 2 3 4\n",
        "cpu ctxt 5\nctxt\n", /* a cpu line holding a key; a key without value */
        "ctxt\n",
        "ctxt \n",
        "ctxt 5x\n",
        "ctxt -5\n",
        "ctxt +5\n",
        "ctxt 5.5\n",
        "ctxt 0x10\n",
        "ctxtx 5\n",
        "xctxt 5\n",
        " ctxt 5\n",
        "CTXT 5\n",
        "ctxt:5\n",
        "ctxt 5\r\n",
        "ctxt 5", /* cut: may be "ctxt 57" */
        "intr 5", /* cut */
        "intr\n",
        "intr x 1 2\n",
        "intr 5x 1\n",
        "intr -5 1\n",
        "process 5\n",
        "processes_x 5\n",
        "procs_runningx 5\n",
        "procs_running\t\n",
        "btime 9223372036854775808\n",       /* INT64_MAX + 1 */
        "ctxt 18446744073709551615\n",       /* UINT64_MAX */
        "ctxt 18446744073709551616\n",       /* UINT64_MAX + 1 */
        "intr 99999999999999999999999 0\n", /* overflows */
        "ctxt 1 2\n",                        /* a second number */
    };
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        struct kernel_values v;
        ck_assert_msg(stat_of(none[i], &v) == 0, "'%s' accepted", none[i]);
        ck_assert_uint_eq(v.present, 0);
    }
}
END_TEST

START_TEST(stat_edges)
{
    struct kernel_values v;
    ck_assert_int_eq(stat_of("ctxt 9223372036854775807\n", &v), 1);
    ck_assert_int_eq(v.v[KERNEL_CTXT], INT64_MAX);
    ck_assert_int_eq(stat_of("ctxt 0\n", &v), 1);
    ck_assert_int_eq(v.v[KERNEL_CTXT], 0);
    ck_assert_int_eq(stat_of("ctxt 000000000000000000000000000042\n", &v), 1);
    ck_assert_int_eq(v.v[KERNEL_CTXT], 42);
    /* intr: complete once a blank follows the total, even if the rest is cut. */
    ck_assert_int_eq(stat_of("intr 5 ", &v), 1);
    ck_assert_int_eq(v.v[KERNEL_INTR], 5);
    ck_assert_int_eq(stat_of("intr 5 1 2 3 garbage here\n", &v), 1);
    ck_assert_int_eq(v.v[KERNEL_INTR], 5);
    ck_assert_int_eq(stat_of("intr\t7\n", &v), 1);
    ck_assert_int_eq(v.v[KERNEL_INTR], 7);
    /* A garbage line between valid ones costs only itself. */
    ck_assert_int_eq(stat_of("ctxt 1\n\x01\x02\xff garbage\nbtime 2\n", &v), 1);
    ck_assert_uint_eq(v.present, BIT(KERNEL_CTXT) | BIT(KERNEL_BTIME));
    /* No newline at all after a complete line is cut content: last line ignored only. */
    ck_assert_int_eq(stat_of("ctxt 1\nbtime 2", &v), 1);
    ck_assert_uint_eq(v.present, BIT(KERNEL_CTXT));
    /* A NUL is no blank. */
    {
        char nul[] = "ctxt 5\0\nbtime 6\n";
        char *c = malloc(sizeof nul - 1);
        memcpy(c, nul, sizeof nul - 1);
        memset(&v, 0, sizeof v);
        ck_assert_int_eq(kernel_parse_stat(c, sizeof nul - 1, &v), 1);
        ck_assert_uint_eq(v.present, BIT(KERNEL_BTIME));
        ck_assert_int_eq(v.v[KERNEL_BTIME], 6);
        free(c);
    }
}
END_TEST

/* The intr line of a big machine: hundreds of KB, skipped with memchr. */
START_TEST(stat_huge_intr)
{
    const size_t cols = 100000;
    size_t cap = 64 + cols * 8, n = 0;
    char *b = malloc(cap);
    struct kernel_values v;
    n += (size_t)snprintf(b + n, cap - n, "cpu  1 2 3 4\nintr 123456789012");
    for (size_t i = 0; i < cols; i++) n += (size_t)snprintf(b + n, cap - n, " %zu", i % 1000);
    n += (size_t)snprintf(b + n, cap - n, "\nctxt 77\nprocs_running 3\n");
    ck_assert_uint_gt(n, 300000);
    b = realloc(b, n); /* exact size */
    ck_assert_int_eq(kernel_parse_stat(b, n, &v), 1);
    ck_assert_uint_eq(v.present, BIT(KERNEL_INTR) | BIT(KERNEL_CTXT) | BIT(KERNEL_RUNNING));
    ck_assert_int_eq(v.v[KERNEL_INTR], 123456789012);
    ck_assert_int_eq(v.v[KERNEL_CTXT], 77);
    ck_assert_int_eq(v.v[KERNEL_RUNNING], 3);
    free(b);
}
END_TEST

START_TEST(entropy_parse)
{
    static const struct {
        const char *s;
        int ok;
        int64_t v;
    } cases[] = {
        {"256\n", 1, 256},
        {"3012\n", 1, 3012},
        {"0\n", 1, 0},
        {" 17 \n", 1, 17},
        {"9223372036854775807\n", 1, INT64_MAX},
        {"256\nextra\n", 1, 256},
        {"256", 0, 0}, /* cut */
        {"", 0, 0},
        {"\n", 0, 0},
        {"-1\n", 0, 0},
        {"abc\n", 0, 0},
        {"25x\n", 0, 0},
        {"256\r\n", 0, 0},
        {"9223372036854775808\n", 0, 0},
        {"99999999999999999999999\n", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = -7;
        ck_assert_msg(entropy_of(cases[i].s, &v) == cases[i].ok, "'%s'", cases[i].s);
        ck_assert_int_eq(v, cases[i].ok ? cases[i].v : -7);
    }
}
END_TEST

/* ---- fields ------------------------------------------------------------- */

START_TEST(fields_all_and_partial)
{
    struct kernel_collector k;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    static const char *const kname[] = {"boot_time", "context_switches", "entropy_avail",
                                        "interrupts", "processes_forked"};
    int n;

    memset(&k, 0, sizeof k);
    ck_assert_int_eq(kernel_fields(&k, f), 0);
    ck_assert_int_eq(processes_fields(&k, f), 0);

    ck_assert_int_eq(stat_of("intr 6 0\nctxt 5\nbtime 4\nprocesses 1\nprocs_running 2\n"
                             "procs_blocked 3\n",
                             &k.cur),
                     1);
    k.have_entropy = 1;
    k.entropy_avail = 256;
    n = kernel_fields(&k, f);
    ck_assert_int_eq(n, 5);
    for (int i = 0; i < n; i++) {
        ck_assert_str_eq(f[i].key, kname[i]);
        ck_assert_str_eq(f[i].key, kernel_field_names[i]);
        ck_assert_int_eq(f[i].type, SAMPLE_INT);
        ck_assert_ptr_null(f[i].suffix);
    }
    ck_assert_ptr_null(kernel_field_names[5]);
    ck_assert_int_eq(f[0].v.i, 4);
    ck_assert_int_eq(f[1].v.i, 5);
    ck_assert_int_eq(f[2].v.i, 256);
    ck_assert_int_eq(f[3].v.i, 6);
    ck_assert_int_eq(f[4].v.i, 1);
    n = processes_fields(&k, f);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(f[0].key, "blocked");
    ck_assert_int_eq(f[0].v.i, 3);
    ck_assert_str_eq(f[1].key, "running");
    ck_assert_int_eq(f[1].v.i, 2);
    ck_assert_str_eq(processes_field_names[0], "blocked");
    ck_assert_str_eq(processes_field_names[1], "running");
    ck_assert_ptr_null(processes_field_names[2]);

    /* No entropy, no procs_* (2.4-like). */
    k.have_entropy = 0;
    ck_assert_int_eq(stat_of("ctxt 5\nprocesses 1\n", &k.cur), 1);
    n = kernel_fields(&k, f);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(f[0].key, "context_switches");
    ck_assert_str_eq(f[1].key, "processes_forked");
    ck_assert_int_eq(processes_fields(&k, f), 0);
}
END_TEST

/* ---- the collector through a temporary proc root ------------------------ */

static char tmpdir[256];

static void tmp_setup(void) { tmp_root_make(tmpdir, sizeof tmpdir, "kernel"); }

static void tmp_teardown(void) { tmp_root_remove(tmpdir); }

static void put(const char *name, const char *text) { tmp_root_puts(tmpdir, name, text); }

static int64_t field(const struct sample_field *f, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(f[i].key, key) == 0) return f[i].v.i;
    return -1;
}

START_TEST(collector_own_stat)
{
    struct kernel_collector k;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    char err[512];
    int n;

    put("stat", "cpu  1 2 3 4\ncpu0 1 2 3 4\nintr 100 1 2\nctxt 200\nbtime 300\n"
                "processes 400\nprocs_running 5\nprocs_blocked 6\n");
    put("sys/kernel/random/entropy_avail", "256\n");
    ck_assert_int_eq(kernel_open(&k, tmpdir, 1, err, sizeof err), 0);
    ck_assert_int_eq(kernel_sample(&k, NULL, 0), 0);
    n = kernel_fields(&k, f);
    ck_assert_int_eq(n, 5);
    ck_assert_int_eq(field(f, n, "interrupts"), 100);
    ck_assert_int_eq(field(f, n, "context_switches"), 200);
    ck_assert_int_eq(field(f, n, "boot_time"), 300);
    ck_assert_int_eq(field(f, n, "processes_forked"), 400);
    ck_assert_int_eq(field(f, n, "entropy_avail"), 256);
    n = processes_fields(&k, f);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(field(f, n, "running"), 5);
    ck_assert_int_eq(field(f, n, "blocked"), 6);

    /* Rewritten in place: new values; entropy garbage (field omitted). */
    put("stat", "cpu  1 2 3 4\nintr 101 1 2\nctxt 201\nbtime 300\nprocesses 401\n"
                "procs_running 1\nprocs_blocked 0\n");
    put("sys/kernel/random/entropy_avail", "x\n");
    ck_assert_int_eq(kernel_sample(&k, NULL, 0), 0);
    n = kernel_fields(&k, f);
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(field(f, n, "interrupts"), 101);
    ck_assert_int_eq(field(f, n, "context_switches"), 201);
    ck_assert_int_eq(field(f, n, "processes_forked"), 401);
    ck_assert_int_eq(field(f, n, "entropy_avail"), -1);
    ck_assert_int_eq(field(f, processes_fields(&k, f), "running"), 1);

    /* stat empty: -1, only entropy left (once it is valid again). */
    put("stat", "");
    put("sys/kernel/random/entropy_avail", "3012\n");
    ck_assert_int_eq(kernel_sample(&k, NULL, 0), -1);
    n = kernel_fields(&k, f);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(field(f, n, "entropy_avail"), 3012);
    ck_assert_int_eq(processes_fields(&k, f), 0);

    /* Back, then the stat file's reads fail (as a vanished entry's would). */
    put("stat", "ctxt 9\n");
    ck_assert_int_eq(kernel_sample(&k, NULL, 0), 0);
    ck_assert_int_eq(field(f, kernel_fields(&k, f), "context_switches"), 9);
    tmp_root_break_fd(tmpdir, k.stat.fd);
    ck_assert_int_eq(kernel_sample(&k, NULL, 0), -1);
    ck_assert_int_eq(kernel_fields(&k, f), 1); /* entropy only */
    tmp_root_break_fd(tmpdir, k.entropy.fd);
    ck_assert_int_eq(kernel_sample(&k, NULL, 0), -1);
    ck_assert_int_eq(kernel_fields(&k, f), 0);
    ck_assert_int_eq(processes_fields(&k, f), 0);
    kernel_close(&k);
}
END_TEST

START_TEST(collector_borrowed_stat)
{
    struct kernel_collector k;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    char err[512];
    size_t len;
    char *b;
    int n;

    /* No stat and no entropy file under the root: own_stat 0 still opens. */
    ck_assert_int_eq(kernel_open(&k, tmpdir, 0, err, sizeof err), 0);
    ck_assert_int_lt(k.stat.fd, 0);
    ck_assert_int_lt(k.entropy.fd, 0);
    ck_assert_int_eq(kernel_sample(&k, NULL, 0), -1); /* nothing to read */

    b = slurp(fixture_path("linux-4.x", "stat"), &len);
    ck_assert_int_eq(kernel_sample(&k, b, len), 0);
    n = kernel_fields(&k, f);
    ck_assert_int_eq(n, 4); /* no entropy_avail */
    ck_assert_int_eq(field(f, n, "interrupts"), 1164323);
    ck_assert_int_eq(field(f, n, "context_switches"), 5562073);
    ck_assert_int_eq(field(f, n, "boot_time"), 1569982765);
    ck_assert_int_eq(field(f, n, "processes_forked"), 5959);
    n = processes_fields(&k, f);
    ck_assert_int_eq(field(f, n, "running"), 3);
    ck_assert_int_eq(field(f, n, "blocked"), 0);
    ck_assert_int_eq(kernel_sample(&k, "garbage\n", 8), -1);
    ck_assert_int_eq(kernel_fields(&k, f), 0);
    free(b);
    kernel_close(&k);
    kernel_close(&k); /* twice is harmless */
}
END_TEST

START_TEST(collector_open_errors)
{
    struct kernel_collector k;
    char err[512] = "";
    ck_assert_int_eq(kernel_open(&k, tmpdir, 1, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "stat"));
    kernel_close(&k);
}
END_TEST

/* The fixture directories as proc roots: entropy_avail only where captured. */
START_TEST(collector_fixture_roots)
{
    struct kernel_collector k;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    char err[512], root[1024];
    int n;

    snprintf(root, sizeof root, "%s", fixture_path("linux-6.x", ""));
    ck_assert_int_eq(kernel_open(&k, root, 1, err, sizeof err), 0);
    ck_assert_int_eq(kernel_sample(&k, NULL, 0), 0);
    n = kernel_fields(&k, f);
    ck_assert_int_eq(n, 5);
    ck_assert_int_eq(field(f, n, "entropy_avail"), 256);
    ck_assert_int_eq(field(f, n, "context_switches"), 203228);
    kernel_close(&k);

    snprintf(root, sizeof root, "%s", fixture_path("linux-2.6.9", ""));
    ck_assert_int_eq(kernel_open(&k, root, 1, err, sizeof err), 0);
    ck_assert_int_eq(kernel_sample(&k, NULL, 0), 0);
    n = kernel_fields(&k, f);
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(field(f, n, "interrupts"), 15239682);
    ck_assert_int_eq(field(f, processes_fields(&k, f), "running"), 1);
    kernel_close(&k);
}
END_TEST

/* This machine's /proc: the lines exist and make sense. */
START_TEST(collector_live)
{
    struct kernel_collector k;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    char err[512];
    int n;
    ck_assert_int_eq(kernel_open(&k, NULL, 1, err, sizeof err), 0);
    ck_assert_int_eq(kernel_sample(&k, NULL, 0), 0);
    ck_assert_uint_eq(k.cur.present, ALL_LINES);
    n = kernel_fields(&k, f);
    ck_assert_int_gt(field(f, n, "boot_time"), 1000000000);
    ck_assert_int_gt(field(f, n, "context_switches"), 0);
    ck_assert_int_gt(field(f, n, "processes_forked"), 0);
    n = processes_fields(&k, f);
    ck_assert_int_ge(field(f, n, "running"), 1); /* this thread */
    ck_assert_int_ge(field(f, n, "blocked"), 0);
    kernel_close(&k);
}
END_TEST

static Suite *kernel_suite(void)
{
    Suite *s = suite_create("kernel");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, stat_fixtures);
    tcase_add_test(tc, stat_fixtures_cut);
    tcase_add_test(tc, stat_minimal_and_order);
    tcase_add_test(tc, stat_garbage);
    tcase_add_test(tc, stat_edges);
    tcase_add_test(tc, stat_huge_intr);
    tcase_add_test(tc, entropy_parse);
    suite_add_tcase(s, tc);

    tc = tcase_create("fields");
    tcase_add_test(tc, fields_all_and_partial);
    suite_add_tcase(s, tc);

    tc = tcase_create("collector");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, collector_own_stat);
    tcase_add_test(tc, collector_borrowed_stat);
    tcase_add_test(tc, collector_open_errors);
    tcase_add_test(tc, collector_fixture_roots);
    tcase_add_test(tc, collector_live);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(kernel_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
