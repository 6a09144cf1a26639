/*
 * Unit tests of diskio: /proc/diskstats into Telegraf's diskio series.
 *
 * Expected values of the fixtures are computed here from the text with
 * sscanf; the slot tests drive a collector over a temporary proc root (and a
 * fake sysfs) rewritten between samples.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector.h"
#include "config.h"
#include "diskio.h"
#include "fixture_file.h"

static const char *const fixtures[] = {
    "linux-2.6.9", "linux-3.2", "linux-4.x", "linux-5.x", "linux-6.x", "armhf-32bit",
};
#define NFIXTURES ((int)(sizeof fixtures / sizeof fixtures[0]))

/* Telegraf's field, and the diskstats column it comes from (4..14), *512 when bytes. */
static const struct {
    const char *key;
    int column, bytes;
} want_order[] = {
    {"reads", 4, 0},       {"writes", 8, 0},           {"read_bytes", 6, 1},
    {"write_bytes", 10, 1}, {"read_time", 7, 0},       {"write_time", 11, 0},
    {"io_time", 13, 0},    {"weighted_io_time", 14, 0}, {"iops_in_progress", 12, 0},
    {"merged_reads", 5, 0}, {"merged_writes", 9, 0},
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

/* Parse @s (one line, no '\n') from an exact-size copy. */
static int parse(const char *s, struct diskio_values *v)
{
    size_t len;
    char *b = exact(s, &len);
    int r = diskio_parse_line(b, len, v);
    if (r) v->name = NULL; /* points into b: gone */
    free(b);
    return r;
}

static const struct sample_field *find(const struct sample_field *f, int n, const char *key)
{
    const struct sample_field *hit = NULL;
    for (int i = 0; i < n; i++)
        if (strcmp(f[i].key, key) == 0) {
            ck_assert_msg(hit == NULL, "field %s appears twice", key);
            hit = &f[i];
        }
    return hit;
}

static int64_t int_field(const struct sample_field *f, int n, const char *key)
{
    const struct sample_field *g = find(f, n, key);
    ck_assert_msg(g != NULL, "field %s missing", key);
    ck_assert_int_eq(g->type, SAMPLE_INT);
    return g->v.i;
}

static int fields_of_line(const char *s, struct sample_field *f)
{
    struct diskio_values v;
    ck_assert_msg(parse(s, &v), "'%s' rejected", s);
    return diskio_fields_of(&v, f);
}

/* ---- a temporary proc root and sysfs ------------------------------------ */

struct tmproot {
    char dir[64];
    char path[128]; /* dir/diskstats */
    char sys[128];  /* dir/sys */
};

static void tmproot_make(struct tmproot *t)
{
    tmp_root_make(t->dir, sizeof t->dir, "diskio");
    snprintf(t->path, sizeof t->path, "%s/diskstats", t->dir);
    snprintf(t->sys, sizeof t->sys, "%s/sys", t->dir);
}

/* Rewrite in place (same inode: the collector keeps its fd). */
static void tmproot_write(const struct tmproot *t, const char *text, size_t len)
{
    tmp_root_put(t->dir, "diskstats", text, len);
}

static void tmproot_puts(const struct tmproot *t, const char *text)
{
    tmproot_write(t, text, strlen(text));
}

static void tmproot_fixture(const struct tmproot *t, const char *dir)
{
    size_t len;
    char *b = slurp(fixture_path(dir, "diskstats"), &len);
    tmproot_write(t, b, len);
    free(b);
}

static void run(const char *cmd)
{
    ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
}

static void tmproot_remove(const struct tmproot *t) { tmp_root_remove(t->dir); }

/* A sysfs entry for maj:min; @partition: with a `partition` file. */
static void sys_dev(const struct tmproot *t, int maj, int min, int partition)
{
    char cmd[512];
    int n = snprintf(cmd, sizeof cmd, "mkdir -p '%s/dev/block/%d:%d'", t->sys, maj, min);
    if (partition)
        snprintf(cmd + n, sizeof cmd - (size_t)n, " && echo 1 > '%s/dev/block/%d:%d/partition'", t->sys,
                 maj, min);
    run(cmd);
}

/* The slot holding @name, or -1. */
static int slot_of(const struct diskio_collector *d, const char *name)
{
    int hit = -1;
    for (int s = 0; s < diskio_slots(d); s++) {
        const char *n = diskio_slot_name(d, s);
        if (n && strcmp(n, name) == 0) {
            ck_assert_msg(hit < 0, "%s in two slots", name);
            hit = s;
        }
    }
    return hit;
}

static int present_count(const struct diskio_collector *d)
{
    int n = 0;
    for (int s = 0; s < diskio_slots(d); s++) n += diskio_slot_name(d, s) != NULL;
    return n;
}

/* The names present, sorted and comma-joined, into @out. */
static const char *present_names(const struct diskio_collector *d, char *out, size_t cap)
{
    const char *names[DISKIO_MAX_SLOTS];
    int n = 0;
    size_t len = 0;
    for (int s = 0; s < diskio_slots(d); s++)
        if (diskio_slot_name(d, s)) names[n++] = diskio_slot_name(d, s);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *x = names[j];
            names[j] = names[j - 1];
            names[j - 1] = x;
        }
    out[0] = '\0';
    for (int i = 0; i < n; i++) len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? "," : "", names[i]);
    return out;
}

static int64_t slot_reads(const struct diskio_collector *d, const char *name)
{
    struct sample_field f[DISKIO_NSTATS];
    int s = slot_of(d, name), n;
    ck_assert_msg(s >= 0, "%s has no slot", name);
    n = diskio_fields(d, s, f);
    return int_field(f, n, "reads");
}

/* ---- fixtures ----------------------------------------------------------- */

START_TEST(fixture_lines)
{
    /* every line against sscanf: validity, columns, values, fields */
    const char *dir = fixtures[_i];
    FILE *fp = fopen(fixture_path(dir, "diskstats"), "r");
    char line[1024];
    int nlines = 0;
    ck_assert_ptr_nonnull(fp);
    while (fgets(line, sizeof line, fp)) {
        unsigned long long c[32];
        char name[64];
        unsigned maj, min;
        int cols = 0, off = 0, used, n;
        size_t len = strlen(line);
        struct diskio_values v;
        struct sample_field f[DISKIO_NSTATS];
        char *b;

        ck_assert(len > 0 && line[len - 1] == '\n');
        line[--len] = '\0';
        ck_assert_int_eq(sscanf(line, "%u %u %63s%n", &maj, &min, name, &off), 3);
        while (sscanf(line + off, "%llu%n", &c[cols], &used) == 1) off += used, cols++;
        b = exact(line, &len);
        n = diskio_parse_line(b, len, &v);
        ck_assert_int_eq(n, cols >= 11);
        nlines++;
        if (n) {
            int nf, want = 0;
            ck_assert_uint_eq(v.major, maj);
            ck_assert_uint_eq(v.minor, min);
            ck_assert_uint_eq(v.name_len, strlen(name));
            ck_assert(memcmp(v.name, name, v.name_len) == 0);
            ck_assert_int_eq(v.columns, 3 + cols);
            ck_assert_uint_eq(v.big, 0);
            for (int k = 0; k < 11; k++) ck_assert_uint_eq(v.v[k], c[k]);
            nf = diskio_fields_of(&v, f);
            for (int k = 0; k < 11; k++) want |= c[k] != 0;
            if (!want) {
                ck_assert_int_eq(nf, 0);
            } else {
                ck_assert_int_eq(nf, 11);
                for (int k = 0; k < 11; k++) {
                    int64_t x = (int64_t)c[want_order[k].column - 4] * (want_order[k].bytes ? 512 : 1);
                    ck_assert_str_eq(f[k].key, want_order[k].key); /* Telegraf's order */
                    ck_assert_int_eq(f[k].type, SAMPLE_INT);
                    ck_assert_int_eq(f[k].v.i, x);
                }
            }
        }
        free(b);
    }
    fclose(fp);
    ck_assert_int_gt(nlines, 0);
}
END_TEST

START_TEST(fixture_columns)
{
    /* the column count of each kernel's first line, and 2.6's 7-column partition */
    static const struct {
        const char *dir;
        int columns;
    } cases[] = {
        {"linux-2.6.9", 14}, {"linux-3.2", 14}, {"armhf-32bit", 14},
        {"linux-4.x", 18},   {"linux-5.x", 20}, {"linux-6.x", 20},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        char *b = slurp(fixture_path(cases[i].dir, "diskstats"), &len);
        const char *nl = memchr(b, '\n', len);
        struct diskio_values v;
        ck_assert_ptr_nonnull(nl);
        ck_assert_int_eq(diskio_parse_line(b, (size_t)(nl - b), &v), 1);
        ck_assert_msg(v.columns == cases[i].columns, "%s: %d columns", cases[i].dir, v.columns);
        if (i == 0) { /* "   3    1   hda1 35486 38030 38030 38030" */
            const char *l2 = nl + 1, *e2 = memchr(l2, '\n', len - (size_t)(l2 - b));
            ck_assert_ptr_nonnull(e2);
            ck_assert_int_eq(diskio_parse_line(l2, (size_t)(e2 - l2), &v), 0);
        }
        free(b);
    }
}
END_TEST

START_TEST(fixture_spot_checks)
{
    /* numbers copied by hand from the fixture files */
    struct sample_field f[DISKIO_NSTATS];
    int n;

    /* 5.10: "8 0 sda 8807 2893 669560 9559 968 2172 26874 1646 0 23720 11402 0 0 0 0 188 196" */
    n = fields_of_line("   8       0 sda 8807 2893 669560 9559 968 2172 26874 1646 0 23720 11402 0 0 0 0 188 196", f);
    ck_assert_int_eq(n, 11);
    ck_assert_int_eq(int_field(f, n, "reads"), 8807);
    ck_assert_int_eq(int_field(f, n, "merged_reads"), 2893);
    ck_assert_int_eq(int_field(f, n, "read_bytes"), 669560LL * 512);
    ck_assert_int_eq(int_field(f, n, "read_time"), 9559);
    ck_assert_int_eq(int_field(f, n, "writes"), 968);
    ck_assert_int_eq(int_field(f, n, "merged_writes"), 2172);
    ck_assert_int_eq(int_field(f, n, "write_bytes"), 26874LL * 512);
    ck_assert_int_eq(int_field(f, n, "write_time"), 1646);
    ck_assert_int_eq(int_field(f, n, "iops_in_progress"), 0);
    ck_assert_int_eq(int_field(f, n, "io_time"), 23720);
    ck_assert_int_eq(int_field(f, n, "weighted_io_time"), 11402);

    /* 6.18 (this machine) */
    n = fields_of_line(" 254       0 vda 237803 19306 8300354 198514 67395 55887 12613480 80133 0 54940 306662 "
                       "37117 70 9165792 13548 11262 14465", f);
    ck_assert_int_eq(int_field(f, n, "read_bytes"), 8300354LL * 512);
    ck_assert_int_eq(int_field(f, n, "write_bytes"), 12613480LL * 512);
    ck_assert_int_eq(int_field(f, n, "weighted_io_time"), 306662);

    /* 2.6 doc example, whole disk (11 counters) */
    n = fields_of_line("   3    0   hda 446216 784926 9550688 4382310 424847 312726 5922052 19310380 0 3376340 23705160", f);
    ck_assert_int_eq(int_field(f, n, "reads"), 446216);
    ck_assert_int_eq(int_field(f, n, "write_time"), 19310380);
    ck_assert_int_eq(int_field(f, n, "read_bytes"), 9550688LL * 512);
}
END_TEST

/* Default selection by the name rule (no sysfs) over each fixture. */
START_TEST(fixture_default_selection)
{
    static const struct {
        const char *dir, *names;
        int nslots;
    } cases[] = {
        {"linux-2.6.9", "hda", 17},
        {"linux-3.2", "sda,sr0", 18},
        {"linux-4.x", "sda,sr0", 18},
        {"linux-5.x", "dm-0,dm-1,sda", 19},
        {"linux-6.x", "vda", 17},
        {"armhf-32bit",
         "dm-0,dm-1,dm-2,dm-3,dm-5,dm-6,dm-7,dm-8,mmcblk0,mmcblk0boot0,mmcblk0boot1,mmcblk1", 28},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tmproot t;
        struct diskio_collector *d = malloc(sizeof *d);
        char err[256], names[1024];
        tmproot_make(&t);
        tmproot_fixture(&t, cases[i].dir);
        ck_assert_int_eq(diskio_open(d, t.dir, NULL, NULL, err, sizeof err), 0);
        ck_assert_int_eq(diskio_slots(d), cases[i].nslots);
        for (int round = 0; round < 3; round++) {
            ck_assert_int_eq(diskio_sample(d), 0);
            ck_assert_str_eq(present_names(d, names, sizeof names), cases[i].names);
            ck_assert_int_eq(d->skipped, 0);
        }
        diskio_close(d);
        free(d);
        tmproot_remove(&t);
    }
}
END_TEST

START_TEST(fixture_values_through_collector)
{
    /* 3.2: sda's values; sr0 holds a slot but, all zero, gets no fields */
    struct tmproot t;
    struct diskio_collector *d = malloc(sizeof *d);
    struct sample_field f[DISKIO_NSTATS];
    char err[256];
    int s, n;
    tmproot_make(&t);
    tmproot_fixture(&t, "linux-3.2");
    ck_assert_int_eq(diskio_open(d, t.dir, NULL, NULL, err, sizeof err), 0);
    ck_assert_int_eq(diskio_sample(d), 0);
    s = slot_of(d, "sda");
    ck_assert_int_ge(s, 0);
    n = diskio_fields(d, s, f);
    ck_assert_int_eq(n, 11);
    ck_assert_int_eq(int_field(f, n, "reads"), 73878);
    ck_assert_int_eq(int_field(f, n, "weighted_io_time"), 3189744);
    ck_assert_int_eq(int_field(f, n, "write_bytes"), 5674976LL * 512);
    s = slot_of(d, "sr0");
    ck_assert_int_ge(s, 0);
    ck_assert_int_eq(diskio_fields(d, s, f), 0);
    ck_assert_int_eq(diskio_fields(d, -1, f), 0);
    ck_assert_int_eq(diskio_fields(d, diskio_slots(d), f), 0);
    ck_assert_ptr_null(diskio_slot_name(d, diskio_slots(d)));
    diskio_close(d);
    free(d);
    tmproot_remove(&t);
}
END_TEST

/* ---- the line parser ---------------------------------------------------- */

START_TEST(parse_column_variants)
{
    static const struct {
        const char *s;
        int ok, columns;
    } cases[] = {
        {"8 0 sda 1 2 3 4 5 6 7 8 9 10 11", 1, 14},
        {"8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15", 1, 18},
        {"8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", 1, 20},
        {"8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19", 1, 22}, /* a future kernel */
        {"8 0 sda 1 2 3 4 5 6 7 8 9 10", 0, 0},                               /* 13 columns */
        {"8 1 sda1 1 2 3 4", 0, 0},                                           /* 2.6 partition */
        {"8 0 sda", 0, 0},
        {"8 0", 0, 0},
        {"", 0, 0},
        {"   ", 0, 0},
        {"\t8\t0\tsda\t1\t2\t3\t4\t5\t6\t7\t8\t9\t10\t11\t", 1, 14}, /* tabs, trailing blank */
        {"8 0 sda 1 2 3 4 5 6 7 8 9 10 11\r", 0, 0},                  /* CRLF */
        {"8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\r", 0, 0},
        {"8 0 sda 1 2 3 4 5 6 7 8 9 10 x", 0, 0},
        {"8 0 sda 1 2 3 4 5 6 7 8 9 10 11 x", 0, 0},                 /* junk after */
        {"8 0 sda 1 2 3 4 5 6 7 8 9 10 11x", 0, 0},
        {"8 0 sda 1 2 3 -4 5 6 7 8 9 10 11", 0, 0},
        {"8 0 sda 1 2 3 4.5 5 6 7 8 9 10 11", 0, 0},
        {"8 0 sda 1 2 3 +4 5 6 7 8 9 10 11", 0, 0},
        {"x 0 sda 1 2 3 4 5 6 7 8 9 10 11", 0, 0},
        {"8x 0 sda 1 2 3 4 5 6 7 8 9 10 11", 0, 0},
        {"8 0sda 1 2 3 4 5 6 7 8 9 10 11", 0, 0},
        {"8 0 1 2 3 4 5 6 7 8 9 10 11", 0, 0}, /* no name: "1" is the name, 10 counters */
        {"4294967295 4294967295 sda 1 2 3 4 5 6 7 8 9 10 11", 1, 14},
        {"4294967296 0 sda 1 2 3 4 5 6 7 8 9 10 11", 0, 0},
        {"0 99999999999999999999999 sda 1 2 3 4 5 6 7 8 9 10 11", 0, 0},
        {"8 0 cciss/c0d0 1 2 3 4 5 6 7 8 9 10 11", 1, 14},
        {"8 0 a\\b 1 2 3 4 5 6 7 8 9 10 11", 1, 14},     /* backslash inside: fine */
        {"8 0 sda\\ 1 2 3 4 5 6 7 8 9 10 11", 0, 0},     /* ending in one: refused */
        {"8 0 a,b=c 1 2 3 4 5 6 7 8 9 10 11", 1, 14},    /* escaped by the encoder */
        {"8 0 \xc3\xa9t\xc3\xa9 1 2 3 4 5 6 7 8 9 10 11", 1, 14},
        {"8 0 s\x7f" "a 1 2 3 4 5 6 7 8 9 10 11", 0, 0},
        {"8 0 s\x01" "a 1 2 3 4 5 6 7 8 9 10 11", 0, 0},
        {"8 0 abcdefghijklmnopqrstuvwxyz01234 1 2 3 4 5 6 7 8 9 10 11", 1, 14},  /* 31 bytes */
        {"8 0 abcdefghijklmnopqrstuvwxyz012345 1 2 3 4 5 6 7 8 9 10 11", 0, 0},  /* 32 bytes */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct diskio_values v;
        int ok = parse(cases[i].s, &v);
        ck_assert_msg(ok == cases[i].ok, "case %zu '%s': %d", i, cases[i].s, ok);
        if (ok) {
            ck_assert_msg(v.columns == cases[i].columns, "case %zu: %d columns", i, v.columns);
            for (int k = 0; k < 11; k++) ck_assert_uint_eq(v.v[k], (uint64_t)k + 1);
        }
    }
}
END_TEST

START_TEST(parse_nul_in_name)
{
    static const char line[] = "8 0 s\0a 1 2 3 4 5 6 7 8 9 10 11";
    char *b = malloc(sizeof line - 1);
    struct diskio_values v;
    memcpy(b, line, sizeof line - 1);
    ck_assert_int_eq(diskio_parse_line(b, sizeof line - 1, &v), 0);
    /* and a cut of a valid line is only as valid as its columns */
    ck_assert_int_eq(diskio_parse_line("8 0 sda 1 2 3 4 5 6 7 8 9 10 11", 29, &v), 0);
    /* "... 10 1" looks whole: why the collector skips a last line without '\n' */
    ck_assert_int_eq(diskio_parse_line("8 0 sda 1 2 3 4 5 6 7 8 9 10 11", 30, &v), 1);
    ck_assert_uint_eq(v.v[10], 1);
    ck_assert_int_eq(diskio_parse_line("8 0 sda 1 2 3 4 5 6 7 8 9 10 11", 31, &v), 1);
    ck_assert_uint_eq(v.v[10], 11);
    free(b);
}
END_TEST

START_TEST(parse_huge_numbers)
{
    struct sample_field f[DISKIO_NSTATS];
    struct diskio_values v;
    int n;

    /* INT64_MAX is kept; INT64_MAX + 1, UINT64_MAX and beyond only drop their field */
    ck_assert(parse("8 0 sda 9223372036854775807 9223372036854775808 1 2 18446744073709551615 "
                    "18446744073709551616 3 4 99999999999999999999999999999999 5 6", &v));
    ck_assert_uint_eq(v.v[0], 9223372036854775807ULL);
    ck_assert_uint_eq(v.big, (1u << 1) | (1u << 4) | (1u << 5) | (1u << 8));
    n = diskio_fields_of(&v, f);
    ck_assert_int_eq(n, 7);
    ck_assert_int_eq(int_field(f, n, "reads"), INT64_MAX);
    ck_assert_ptr_null(find(f, n, "merged_reads"));
    ck_assert_ptr_null(find(f, n, "writes"));
    ck_assert_ptr_null(find(f, n, "merged_writes"));
    ck_assert_ptr_null(find(f, n, "iops_in_progress"));
    ck_assert_int_eq(int_field(f, n, "read_bytes"), 512);
    ck_assert_int_eq(int_field(f, n, "read_time"), 2);
    ck_assert_int_eq(int_field(f, n, "write_bytes"), 3 * 512);
    ck_assert_int_eq(int_field(f, n, "write_time"), 4);
    ck_assert_int_eq(int_field(f, n, "io_time"), 5);
    ck_assert_int_eq(int_field(f, n, "weighted_io_time"), 6);

    /* bytes: INT64_MAX / 512 sectors fit, one more does not */
    n = fields_of_line("8 0 sda 1 2 18014398509481983 4 5 6 18014398509481984 8 9 10 11", f);
    ck_assert_int_eq(n, 10);
    ck_assert_int_eq(int_field(f, n, "read_bytes"), 18014398509481983LL * 512);
    ck_assert_ptr_null(find(f, n, "write_bytes"));
    n = fields_of_line("8 0 sda 1 2 9223372036854775807 4 5 6 7 8 9 10 11", f);
    ck_assert_ptr_null(find(f, n, "read_bytes"));
    ck_assert_int_eq(int_field(f, n, "write_bytes"), 7 * 512);

    /* the 4.18+ columns may be anything numeric: they are not kept */
    ck_assert(parse("8 0 sda 1 2 3 4 5 6 7 8 9 10 11 99999999999999999999999 0 0 0", &v));
    ck_assert_uint_eq(v.big, 0);

    /* all zero: no fields (gopsutil skips the device) */
    ck_assert_int_eq(fields_of_line("7 0 loop0 0 0 0 0 0 0 0 0 0 0 0 5 5 5 5", f), 0);
    /* one big counter is not "all zero" */
    n = fields_of_line("7 0 loop0 0 0 0 0 0 0 0 0 18446744073709551615 0 0", f);
    ck_assert_int_eq(n, 10);
    ck_assert_ptr_null(find(f, n, "iops_in_progress"));
}
END_TEST

START_TEST(name_rule)
{
    static const char *const partitions[] = {
        "sda1", "sdz99", "sdaa3", "hda1", "hdb12", "vda1", "vdb2", "xvda1", "xvdba7",
        "nvme0n1p1", "nvme12n3p45", "mmcblk0p1", "mmcblk1p12", "md127p1", "loop0p1",
        "nbd0p2", "cciss/c0d0p1",
    };
    static const char *const disks[] = {
        "sda", "sdaa", "hda", "vda", "xvda", "nvme0n1", "nvme10n2", "mmcblk0", "mmcblk0boot0",
        "mmcblk0boot1", "mmcblk0rpmb", "dm-0", "dm-12", "md0", "md127", "sr0", "fd0", "loop0",
        "ram15", "zram0", "cciss/c0d0", "sd", "sd1", "xvd1", "p1", "ap1", "mtdblock3", "nbd0",
        "rbd0", "sda1x",
    };
    for (size_t i = 0; i < sizeof partitions / sizeof partitions[0]; i++)
        ck_assert_msg(diskio_name_is_partition(partitions[i], strlen(partitions[i])),
                      "%s not a partition", partitions[i]);
    for (size_t i = 0; i < sizeof disks / sizeof disks[0]; i++)
        ck_assert_msg(!diskio_name_is_partition(disks[i], strlen(disks[i])), "%s a partition",
                      disks[i]);
}
END_TEST

START_TEST(field_names_listed)
{
    struct sample_field f[DISKIO_NSTATS];
    int n = fields_of_line("8 0 sda 1 2 3 4 5 6 7 8 9 10 11", f), count = 0;
    for (const char *const *p = diskio_field_names; *p; p++) count++;
    ck_assert_int_eq(n, 11);
    ck_assert_int_eq(count, 11);
    for (int i = 0; i < n; i++) {
        int hit = 0;
        for (const char *const *p = diskio_field_names; *p; p++) hit |= strcmp(*p, f[i].key) == 0;
        ck_assert_msg(hit, "%s not in diskio_field_names", f[i].key);
        for (const char *c = f[i].key; *c; c++)
            ck_assert((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_');
    }
}
END_TEST

/* ---- whole buffers through diskio_update --------------------------------- */

START_TEST(update_truncated_and_garbage)
{
    struct tmproot t;
    struct diskio_collector *d = malloc(sizeof *d);
    char err[256], names[512];
    static const char text[] = "8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n"
                               "\n"
                               "garbage line\n"
                               "8 16 sdb 1 2 3 4 5 6 7 8 9 10 11\r\n"
                               "8 32 sdc 1 2 3 4 5 6 7 8 9 10 11 0 0 0 0\n"
                               "8 48 sdd 1 2 3 4 5 6 7 8 9 10 11"; /* cut: no '\n' */
    size_t len;
    char *b;
    tmproot_make(&t);
    tmproot_puts(&t, "");
    ck_assert_int_eq(diskio_open(d, t.dir, NULL, NULL, err, sizeof err), 0);
    ck_assert_int_eq(diskio_slots(d), 16); /* empty file: 0 selected -> 16 */
    b = exact(text, &len);
    diskio_update(d, b, len);
    ck_assert_str_eq(present_names(d, names, sizeof names), "sda,sdc");
    /* every prefix: only complete valid lines count */
    {
        size_t sda_end = (size_t)(strchr(text, '\n') - text) + 1;
        size_t sdc_end = (size_t)(strchr(strstr(text, "sdc"), '\n') - text) + 1;
        for (size_t cut = 0; cut <= len; cut++) {
            char *c = malloc(cut ? cut : 1);
            memcpy(c, text, cut);
            diskio_update(d, c, cut);
            free(c);
            ck_assert_str_eq(present_names(d, names, sizeof names),
                             cut < sda_end ? "" : cut < sdc_end ? "sda" : "sda,sdc");
        }
    }
    free(b);
    diskio_close(d);
    free(d);
    tmproot_remove(&t);
}
END_TEST

START_TEST(update_every_prefix_of_fixture)
{
    /* each cut of a real file: the devices present are the complete lines' */
    struct tmproot t;
    struct diskio_collector *d = malloc(sizeof *d);
    char err[256];
    size_t len;
    char *full = slurp(fixture_path("armhf-32bit", "diskstats"), &len);
    char *text = malloc(len + 1); /* NUL-terminated, for sscanf */
    memcpy(text, full, len);
    text[len] = '\0';
    tmproot_make(&t);
    tmproot_write(&t, full, len);
    ck_assert_int_eq(diskio_open(d, t.dir, NULL, NULL, err, sizeof err), 0);
    for (size_t cut = 0; cut <= len; cut++) {
        char *b = malloc(cut ? cut : 1);
        int want = 0;
        const char *p = text, *nl;
        memcpy(b, full, cut);
        diskio_update(d, b, cut);
        free(b);
        /* count selected whole lines by hand: dm-*, mmcblk0, mmcblk0boot*, mmcblk1 */
        while ((nl = memchr(p, '\n', (size_t)(text + cut - p))) != NULL) {
            char name[64];
            ck_assert_int_eq(sscanf(p, "%*u %*u %63s", name), 1);
            want += strncmp(name, "dm-", 3) == 0 || strcmp(name, "mmcblk0") == 0 ||
                    strcmp(name, "mmcblk1") == 0 || strncmp(name, "mmcblk0boot", 11) == 0;
            p = nl + 1;
        }
        ck_assert_int_eq(present_count(d), want);
        if (want && slot_of(d, "mmcblk0") >= 0) ck_assert_int_eq(slot_reads(d, "mmcblk0"), 7208);
    }
    free(full);
    free(text);
    diskio_close(d);
    free(d);
    tmproot_remove(&t);
}
END_TEST

/* ---- dynamic slots -------------------------------------------------------- */

/* "8 <min> <name> <reads> 0 0 ..." */
static size_t dev_line(char *out, size_t cap, const char *name, int min, long reads)
{
    return (size_t)snprintf(out, cap, "   8 %7d %s %ld 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n", min, name,
                            reads);
}

/* Write a diskstats of the given names (NULL-terminated), reads = base + index. */
static void write_devs(const struct tmproot *t, const char *const *names, long base)
{
    char buf[16384];
    size_t len = 0;
    for (int i = 0; names[i]; i++) {
        int min = 0;
        for (const char *c = names[i]; *c; c++) min = min * 31 + *c;
        len += dev_line(buf + len, sizeof buf - len, names[i], min & 0xfffff, base + i);
    }
    tmproot_write(t, buf, len);
}

START_TEST(slots_appear_vanish_return)
{
    struct tmproot t;
    struct diskio_collector *d = malloc(sizeof *d);
    char err[256], names[512];
    int sa, sb, sc;
    unsigned ga, gb;
    tmproot_make(&t);
    write_devs(&t, (const char *const[]){"sda", NULL}, 100);
    ck_assert_int_eq(diskio_open(d, t.dir, NULL, NULL, err, sizeof err), 0);
    ck_assert_int_eq(diskio_slots(d), 17); /* max(2, 1 + 16) */
    for (int s = 0; s < diskio_slots(d); s++) {
        ck_assert_ptr_null(diskio_slot_name(d, s));
        ck_assert_uint_eq(diskio_slot_gen(d, s), 0);
    }
    ck_assert_int_eq(diskio_sample(d), 0);
    sa = slot_of(d, "sda");
    ck_assert_int_ge(sa, 0);
    ga = diskio_slot_gen(d, sa);
    ck_assert_uint_ne(ga, 0);
    ck_assert_int_eq(slot_reads(d, "sda"), 100);

    /* appear: sdb before sda */
    write_devs(&t, (const char *const[]){"sdb", "sda", NULL}, 200);
    ck_assert_int_eq(diskio_sample(d), 0);
    ck_assert_int_eq(slot_of(d, "sda"), sa);
    ck_assert_uint_eq(diskio_slot_gen(d, sa), ga);
    sb = slot_of(d, "sdb");
    ck_assert_int_ge(sb, 0);
    ck_assert_int_ne(sb, sa);
    gb = diskio_slot_gen(d, sb);
    ck_assert_uint_ne(gb, 0);
    ck_assert_int_eq(slot_reads(d, "sdb"), 200);
    ck_assert_int_eq(slot_reads(d, "sda"), 201);

    /* vanish: sda's slot is free, no fields; sdb untouched */
    write_devs(&t, (const char *const[]){"sdb", NULL}, 300);
    ck_assert_int_eq(diskio_sample(d), 0);
    ck_assert_str_eq(present_names(d, names, sizeof names), "sdb");
    ck_assert_ptr_null(diskio_slot_name(d, sa));
    {
        struct sample_field f[DISKIO_NSTATS];
        ck_assert_int_eq(diskio_fields(d, sa, f), 0);
    }
    ck_assert_int_eq(slot_of(d, "sdb"), sb);
    ck_assert_uint_eq(diskio_slot_gen(d, sb), gb);

    /* return before reuse: same slot, same generation (the prefix stays valid) */
    write_devs(&t, (const char *const[]){"sda", "sdb", NULL}, 400);
    ck_assert_int_eq(diskio_sample(d), 0);
    ck_assert_int_eq(slot_of(d, "sda"), sa);
    ck_assert_uint_eq(diskio_slot_gen(d, sa), ga);
    ck_assert_int_eq(slot_reads(d, "sda"), 400);
    ck_assert_int_eq(slot_reads(d, "sdb"), 401);

    /* a new device prefers a never-used slot to sda's stale one */
    write_devs(&t, (const char *const[]){"sdb", NULL}, 500);
    ck_assert_int_eq(diskio_sample(d), 0);
    write_devs(&t, (const char *const[]){"sdb", "sdc", NULL}, 600);
    ck_assert_int_eq(diskio_sample(d), 0);
    sc = slot_of(d, "sdc");
    ck_assert_int_ge(sc, 0);
    ck_assert_int_ne(sc, sa);
    ck_assert_int_ne(sc, sb);
    write_devs(&t, (const char *const[]){"sda", "sdb", "sdc", NULL}, 700);
    ck_assert_int_eq(diskio_sample(d), 0);
    ck_assert_int_eq(slot_of(d, "sda"), sa);
    ck_assert_uint_eq(diskio_slot_gen(d, sa), ga);
    ck_assert_int_eq(d->skipped, 0);

    /* same name, new maj:min (a different device): a new identity, a new slot */
    tmproot_puts(&t, "  8 0 sda 9 0 0 0 0 0 0 0 0 0 0\n"
                     "259 0 sda 5 0 0 0 0 0 0 0 0 0 0\n");
    ck_assert_int_eq(diskio_sample(d), 0);
    ck_assert_int_eq(present_count(d), 2);
    diskio_close(d);
    free(d);
    tmproot_remove(&t);
}
END_TEST

START_TEST(slots_reorder)
{
    /* reversed, rotated, shuffled: every device keeps its slot and generation */
    static const char *const base[] = {"sda", "sdb", "sdc", "sdd", "sde", "sdf", "sdg", "sdh", NULL};
    static const char *const orders[][9] = {
        {"sdh", "sdg", "sdf", "sde", "sdd", "sdc", "sdb", "sda", NULL},
        {"sdc", "sdd", "sde", "sdf", "sdg", "sdh", "sda", "sdb", NULL},
        {"sde", "sda", "sdh", "sdb", "sdg", "sdc", "sdf", "sdd", NULL},
        {"sda", "sdb", "sdc", "sdd", "sde", "sdf", "sdg", "sdh", NULL},
    };
    struct tmproot t;
    struct diskio_collector *d = malloc(sizeof *d);
    char err[256];
    int slot[8];
    unsigned gen[8];
    tmproot_make(&t);
    write_devs(&t, base, 1);
    ck_assert_int_eq(diskio_open(d, t.dir, NULL, NULL, err, sizeof err), 0);
    ck_assert_int_eq(diskio_slots(d), 24);
    ck_assert_int_eq(diskio_sample(d), 0);
    for (int i = 0; i < 8; i++) {
        slot[i] = slot_of(d, base[i]);
        gen[i] = diskio_slot_gen(d, slot[i]);
        ck_assert_int_ge(slot[i], 0);
        ck_assert_int_eq(slot_reads(d, base[i]), 1 + i);
    }
    for (int round = 0; round < 3; round++)
        for (size_t o = 0; o < sizeof orders / sizeof orders[0]; o++) {
            write_devs(&t, orders[o], 1000 * (long)(o + 1));
            ck_assert_int_eq(diskio_sample(d), 0);
            ck_assert_int_eq(present_count(d), 8);
            for (int i = 0; orders[o][i]; i++) {
                int k = orders[o][i][2] - 'a';
                ck_assert_int_eq(slot_of(d, orders[o][i]), slot[k]);
                ck_assert_uint_eq(diskio_slot_gen(d, slot[k]), gen[k]);
                ck_assert_int_eq(slot_reads(d, orders[o][i]), 1000 * (long)(o + 1) + i);
            }
        }
    diskio_close(d);
    free(d);
    tmproot_remove(&t);
}
END_TEST

START_TEST(slots_overflow_and_reuse)
{
    /* open on an empty file: 16 slots. 20 devices: 4 skipped. */
    struct tmproot t;
    struct diskio_collector *d = malloc(sizeof *d);
    char err[256], nm[24][16];
    const char *names[25];
    int first_slot;
    unsigned first_gen;
    tmproot_make(&t);
    tmproot_puts(&t, "");
    ck_assert_int_eq(diskio_open(d, t.dir, NULL, NULL, err, sizeof err), 0);
    ck_assert_int_eq(diskio_slots(d), 16);
    for (int i = 0; i < 24; i++) snprintf(nm[i], sizeof nm[i], "dm-%d", i);
    for (int i = 0; i < 20; i++) names[i] = nm[i];
    names[20] = NULL;
    write_devs(&t, names, 10);
    for (int round = 0; round < 2; round++) {
        ck_assert_int_eq(diskio_sample(d), 0);
        ck_assert_int_eq(present_count(d), 16);
        ck_assert_int_eq(d->skipped, 4);
        for (int i = 0; i < 16; i++) ck_assert_int_eq(slot_reads(d, nm[i]), 10 + i); /* first come */
        for (int i = 16; i < 20; i++) ck_assert_int_eq(slot_of(d, nm[i]), -1);
    }
    first_slot = slot_of(d, "dm-0");
    first_gen = diskio_slot_gen(d, first_slot);

    /* dm-0 goes: its slot was held in the last reading, so not free yet */
    names[0] = nm[20];
    write_devs(&t, names, 30);
    ck_assert_int_eq(diskio_sample(d), 0);
    ck_assert_int_eq(present_count(d), 15);
    ck_assert_int_eq(d->skipped, 5);
    ck_assert_ptr_null(diskio_slot_name(d, first_slot));

    /* next reading: the first skipped device (in file order) takes it, generation bumped */
    ck_assert_int_eq(diskio_sample(d), 0);
    ck_assert_int_eq(present_count(d), 16);
    ck_assert_int_eq(d->skipped, 4);
    ck_assert_ptr_nonnull(diskio_slot_name(d, first_slot));
    ck_assert_str_eq(diskio_slot_name(d, first_slot), "dm-20");
    ck_assert_uint_ne(diskio_slot_gen(d, first_slot), first_gen);
    ck_assert_int_eq(slot_reads(d, "dm-20"), 30);

    /* everything vanishes; then 12 old devices return to their own slots, and
       3 new ones take the slots of devices gone longest (generations bumped) */
    {
        unsigned gens[16];
        for (int s = 0; s < 16; s++) gens[s] = diskio_slot_gen(d, s);
        tmproot_puts(&t, "");
        ck_assert_int_eq(diskio_sample(d), 0);
        ck_assert_int_eq(present_count(d), 0);
        for (int i = 0; i < 16; i++) names[i] = i < 4 ? nm[20 + i] : nm[i];
        names[16] = NULL;
        /* 20..23 are new to the slots; 4..15: some held before, same names come back */
        write_devs(&t, names, 50);
        ck_assert_int_eq(diskio_sample(d), 0);
        ck_assert_int_eq(present_count(d), 16);
        ck_assert_int_eq(d->skipped, 0);
        for (int i = 4; i < 16; i++) {
            int s = slot_of(d, nm[i]);
            ck_assert_uint_eq(diskio_slot_gen(d, s), gens[s]); /* returned to their own slot */
        }
        ck_assert_int_eq(slot_of(d, "dm-20"), first_slot); /* back to its own too */
        for (int i = 21; i < 24; i++) {
            int s = slot_of(d, nm[i]);
            ck_assert_int_ge(s, 0);
            ck_assert_uint_ne(diskio_slot_gen(d, s), gens[s]);
        }
    }
    diskio_close(d);
    free(d);
    tmproot_remove(&t);
}
END_TEST

START_TEST(slots_duplicates_and_max)
{
    struct tmproot t;
    struct diskio_collector *d = malloc(sizeof *d);
    char err[256], *buf = malloc(1 << 20);
    size_t len = 0;
    tmproot_make(&t);
    /* the same device twice: one slot, the last line's values */
    tmproot_puts(&t, "8 0 sda 1 0 0 0 0 0 0 0 0 0 0\n8 0 sda 2 0 0 0 0 0 0 0 0 0 0\n");
    ck_assert_int_eq(diskio_open(d, t.dir, NULL, NULL, err, sizeof err), 0);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(diskio_sample(d), 0);
        ck_assert_int_eq(present_count(d), 1);
        ck_assert_int_eq(slot_reads(d, "sda"), 2);
    }
    diskio_close(d);

    /* 300 devices at open: slots capped at DISKIO_MAX_SLOTS */
    for (int i = 0; i < 300; i++) {
        char name[16];
        snprintf(name, sizeof name, "dm-%d", i);
        len += dev_line(buf + len, (1 << 20) - len, name, i, i + 1);
    }
    tmproot_write(&t, buf, len);
    ck_assert_int_eq(diskio_open(d, t.dir, NULL, NULL, err, sizeof err), 0);
    ck_assert_int_eq(diskio_slots(d), DISKIO_MAX_SLOTS);
    ck_assert_int_eq(diskio_sample(d), 0);
    ck_assert_int_eq(present_count(d), DISKIO_MAX_SLOTS);
    ck_assert_int_eq(d->skipped, 300 - DISKIO_MAX_SLOTS);
    ck_assert_int_eq(slot_reads(d, "dm-255"), 256);
    ck_assert_int_eq(slot_of(d, "dm-256"), -1);
    diskio_close(d);
    free(d);
    free(buf);
    tmproot_remove(&t);
}
END_TEST

START_TEST(slots_many_lines_beyond_cache)
{
    /* more lines than the line cache holds (it was sized on a 1-line file) */
    struct tmproot t;
    struct diskio_collector *d = malloc(sizeof *d);
    char err[256], *buf = malloc(1 << 20);
    size_t len = 0;
    tmproot_make(&t);
    tmproot_puts(&t, "8 0 sda 1 0 0 0 0 0 0 0 0 0 0\n");
    ck_assert_int_eq(diskio_open(d, t.dir, NULL, NULL, err, sizeof err), 0);
    ck_assert_int_eq(d->maxlines, 33);
    for (int i = 0; i < 100; i++) {
        char name[16];
        snprintf(name, sizeof name, "sda%d", i + 1); /* partitions: not reported */
        len += dev_line(buf + len, (1 << 20) - len, name, i + 1, 5);
    }
    len += dev_line(buf + len, (1 << 20) - len, "sdb", 200, 77);
    tmproot_write(&t, buf, len);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(diskio_sample(d), 0);
        ck_assert_int_eq(present_count(d), 1);
        ck_assert_int_eq(slot_reads(d, "sdb"), 77);
    }
    diskio_close(d);
    free(d);
    free(buf);
    tmproot_remove(&t);
}
END_TEST

/* ---- selection: sysfs, globs ---------------------------------------------- */

START_TEST(select_fake_sysfs)
{
    struct tmproot t;
    struct diskio_collector *d = malloc(sizeof *d);
    char err[256], names[512], cmd[512];
    tmproot_make(&t);
    sys_dev(&t, 8, 0, 0);    /* sda: whole */
    sys_dev(&t, 8, 1, 1);    /* sda1: partition */
    sys_dev(&t, 8, 16, 1);   /* "sdb": sysfs says partition, beats the name */
    sys_dev(&t, 65, 0, 0);   /* "sdz9": sysfs says whole, beats the name */
    sys_dev(&t, 7, 0, 0);    /* loop0: whole, still excluded by default */
    sys_dev(&t, 252, 0, 0);  /* dm-0 */
    /* 259:0 nvme0n1 and 259:1 nvme0n1p1 have no entry: the name rule */
    tmproot_puts(&t, "   8 0 sda 1 0 0 0 0 0 0 0 0 0 0\n"
                     "   8 1 sda1 2 0 0 0 0 0 0 0 0 0 0\n"
                     "   8 16 sdb 3 0 0 0 0 0 0 0 0 0 0\n"
                     "  65 0 sdz9 4 0 0 0 0 0 0 0 0 0 0\n"
                     "   7 0 loop0 5 0 0 0 0 0 0 0 0 0 0\n"
                     " 252 0 dm-0 6 0 0 0 0 0 0 0 0 0 0\n"
                     " 259 0 nvme0n1 7 0 0 0 0 0 0 0 0 0 0\n"
                     " 259 1 nvme0n1p1 8 0 0 0 0 0 0 0 0 0 0\n");
    ck_assert_int_eq(diskio_open(d, t.dir, t.sys, NULL, err, sizeof err), 0);
    ck_assert_int_eq(diskio_slots(d), 4 + 16);
    ck_assert_int_eq(diskio_sample(d), 0);
    ck_assert_str_eq(present_names(d, names, sizeof names), "dm-0,nvme0n1,sda,sdz9");

    /* decided once: sysfs changing under present devices changes nothing,
       even when the lines move (found in the last reading, not re-decided) */
    snprintf(cmd, sizeof cmd, "rm -f '%s/dev/block/8:16/partition' && touch '%s/dev/block/8:0/partition'",
             t.sys, t.sys);
    run(cmd);
    ck_assert_int_eq(diskio_sample(d), 0);
    ck_assert_str_eq(present_names(d, names, sizeof names), "dm-0,nvme0n1,sda,sdz9");
    tmproot_puts(&t, " 259 1 nvme0n1p1 8 0 0 0 0 0 0 0 0 0 0\n"
                     "   8 16 sdb 3 0 0 0 0 0 0 0 0 0 0\n"
                     "   8 0 sda 1 0 0 0 0 0 0 0 0 0 0\n"
                     " 252 0 dm-0 6 0 0 0 0 0 0 0 0 0 0\n"
                     "  65 0 sdz9 4 0 0 0 0 0 0 0 0 0 0\n"
                     "   7 0 loop0 5 0 0 0 0 0 0 0 0 0 0\n"
                     " 259 0 nvme0n1 7 0 0 0 0 0 0 0 0 0 0\n"
                     "   8 1 sda1 2 0 0 0 0 0 0 0 0 0 0\n");
    ck_assert_int_eq(diskio_sample(d), 0);
    ck_assert_str_eq(present_names(d, names, sizeof names), "dm-0,nvme0n1,sda,sdz9");

    /* a device seen for the first time is decided now: sdb (8:32, whole in sysfs) */
    sys_dev(&t, 8, 32, 0);
    tmproot_puts(&t, "   8 0 sda 1 0 0 0 0 0 0 0 0 0 0\n"
                     "   8 32 sdc 9 0 0 0 0 0 0 0 0 0 0\n"
                     "   8 33 sdc1 9 0 0 0 0 0 0 0 0 0 0\n");
    ck_assert_int_eq(diskio_sample(d), 0);
    ck_assert_str_eq(present_names(d, names, sizeof names), "sda,sdc");
    diskio_close(d);

    /* the same file with no sysfs: the name rule alone */
    ck_assert_int_eq(diskio_open(d, t.dir, NULL, NULL, err, sizeof err), 0);
    ck_assert_int_eq(diskio_sample(d), 0);
    ck_assert_str_eq(present_names(d, names, sizeof names), "sda,sdc");
    diskio_close(d);
    /* a sysroot that does not exist: the name rule too */
    ck_assert_int_eq(diskio_open(d, t.dir, "/nonexistent-sysfs", NULL, err, sizeof err), 0);
    ck_assert_int_eq(diskio_sample(d), 0);
    ck_assert_str_eq(present_names(d, names, sizeof names), "sda,sdc");
    diskio_close(d);
    free(d);
    tmproot_remove(&t);
}
END_TEST

START_TEST(select_globs)
{
    struct tmproot t;
    struct diskio_collector *d = malloc(sizeof *d);
    char err[256], names[1024], pats[] = "sda*,loop?,dm-1";
    struct match_list only, empty = {{0}, 0};
    tmproot_make(&t);
    tmproot_fixture(&t, "linux-3.2");
    ck_assert_int_eq(match_split(&only, pats), 0);
    ck_assert_int_eq(diskio_open(d, t.dir, NULL, &only, err, sizeof err), 0);
    ck_assert_int_eq(diskio_slots(d), 27); /* 11 selected (3 sda*, 8 loop?): 11 + 16 */
    ck_assert_int_eq(diskio_sample(d), 0);
    ck_assert_str_eq(present_names(d, names, sizeof names),
                     "loop0,loop1,loop2,loop3,loop4,loop5,loop6,loop7,sda,sda1,sda2");
    diskio_close(d);
    /* n == 0 is the default */
    ck_assert_int_eq(diskio_open(d, t.dir, NULL, &empty, err, sizeof err), 0);
    ck_assert_int_eq(diskio_sample(d), 0);
    ck_assert_str_eq(present_names(d, names, sizeof names), "sda,sr0");
    diskio_close(d);
    free(d);
    tmproot_remove(&t);
}
END_TEST

/* ---- the collector's files ------------------------------------------------ */

START_TEST(collector_errors_and_vanishing)
{
    struct tmproot t;
    struct diskio_collector *d = malloc(sizeof *d);
    char err[256], names[256];
    char longroot[300];
    tmproot_make(&t);
    ck_assert_int_eq(diskio_open(d, t.dir, NULL, NULL, err, sizeof err), -1); /* not there */
    ck_assert_ptr_nonnull(strstr(err, "diskstats"));
    diskio_close(d); /* safe after a failed open */
    memset(longroot, 'x', sizeof longroot - 1);
    longroot[sizeof longroot - 1] = '\0';
    ck_assert_int_eq(diskio_open(d, t.dir, longroot, NULL, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "too long"));

    write_devs(&t, (const char *const[]){"sda", "sdb", NULL}, 1);
    ck_assert_int_eq(diskio_open(d, t.dir, NULL, NULL, err, sizeof err), 0);
    ck_assert_int_eq(diskio_sample(d), 0);
    ck_assert_str_eq(present_names(d, names, sizeof names), "sda,sdb");

    /* a failed read: nothing present, and the next good read starts over */
    {
        int fd = d->pf.fd;
        d->pf.fd = -1;
        ck_assert_int_eq(diskio_sample(d), -1);
        ck_assert_int_eq(present_count(d), 0);
        d->pf.fd = fd;
    }
    write_devs(&t, (const char *const[]){"sdb", "sdc", NULL}, 5);
    ck_assert_int_eq(diskio_sample(d), 0);
    ck_assert_str_eq(present_names(d, names, sizeof names), "sdb,sdc");
    ck_assert_int_eq(slot_reads(d, "sdc"), 6);

    /* the file unlinked: the open fd still reads its last content */
    ck_assert_int_eq(unlink(t.path), 0);
    ck_assert_int_eq(diskio_sample(d), 0);
    ck_assert_str_eq(present_names(d, names, sizeof names), "sdb,sdc");
    ck_assert_int_eq(procfile_reopen(&d->pf, err, sizeof err), PROCFILE_ERR);
    /* a new file under the name, reopened */
    write_devs(&t, (const char *const[]){"sdd", NULL}, 9);
    ck_assert_int_eq(procfile_reopen(&d->pf, err, sizeof err), PROCFILE_OK);
    ck_assert_int_eq(diskio_sample(d), 0);
    ck_assert_str_eq(present_names(d, names, sizeof names), "sdd");
    /* emptied */
    tmproot_puts(&t, "");
    ck_assert_int_eq(diskio_sample(d), 0);
    ck_assert_int_eq(present_count(d), 0);
    diskio_close(d);
    diskio_close(d); /* twice is safe */
    free(d);
    tmproot_remove(&t);
}
END_TEST

/* ---- the collector table's entry ------------------------------------------ */

/* The names present through the descriptor's slot hook, sorted, comma-joined. */
static const char *hook_names(const struct collector *c, const void *st, char *out, size_t cap)
{
    const char *names[DISKIO_MAX_SLOTS];
    int n = 0;
    size_t len = 0;
    for (int i = 0; i < c->nseries(st); i++) {
        unsigned g;
        const char *s = c->slot(st, i, &g);
        if (s) names[n++] = s;
    }
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *x = names[j];
            names[j] = names[j - 1];
            names[j - 1] = x;
        }
    out[0] = '\0';
    for (int i = 0; i < n; i++) len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? "," : "", names[i]);
    return out;
}

START_TEST(descriptor)
{
    const struct collector *c = &collector_diskio;
    const struct measurement *m = c->measurements;
    ck_assert_str_eq(c->name, "diskio");
    ck_assert_int_eq(c->nmeasurements, 1);
    ck_assert_str_eq(m->name, "diskio");
    ck_assert_str_eq(m->tag_keys[0], "name");
    ck_assert_ptr_null(m->tag_keys[1]);
    ck_assert_ptr_eq(m->fields, diskio_field_names);
    ck_assert_ptr_null(m->windowed);
    ck_assert_str_eq(c->slot_tag, "name");
    ck_assert_uint_eq(c->flags, COLLECTOR_EVERY_TICK);
    ck_assert_uint_ge(c->size, sizeof(struct diskio_collector));
    ck_assert_ptr_null(c->series);
    ck_assert(c->open && c->nseries && c->slot && c->sample && c->fields && c->file && c->close);
}
END_TEST

START_TEST(descriptor_hooks)
{
    const struct collector *c = &collector_diskio;
    struct config *cfg = calloc(1, sizeof *cfg);
    struct collector_shared sh = {.now = 50};
    struct tmproot t;
    struct collector_env env;
    struct sample_field f[DISKIO_NSTATS];
    struct procfile *files[1];
    char err[256], names[1024], log[2048], pats[] = "sd*";
    const char *devs[40];
    char nm[40][16];
    void *st = calloc(1, c->size);
    unsigned gen;
    int s, n, saved;

    tmproot_make(&t);
    env = (struct collector_env){cfg, t.dir, t.sys, &sh};
    /* no file: off with a sentence; close is safe after it */
    ck_assert_int_eq(c->open(st, &env, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "diskstats"));
    c->close(st);

    /* sysfs at sys_root says 8:16 is a partition, whatever its name */
    sys_dev(&t, 8, 0, 0);
    sys_dev(&t, 8, 16, 1);
    tmproot_puts(&t, "   8 0 sda 5 0 0 0 0 0 0 0 0 0 0\n"
                     "   8 1 sda1 2 0 0 0 0 0 0 0 0 0 0\n"
                     "   8 16 sdb 3 0 0 0 0 0 0 0 0 0 0\n"
                     "   7 0 loop0 5 0 0 0 0 0 0 0 0 0 0\n");
    memset(st, 0, c->size);
    ck_assert_int_eq(c->open(st, &env, err, sizeof err), 0);
    ck_assert_int_eq(c->nseries(st), 1 + 16);
    files[0] = c->file(st, 0);
    ck_assert_ptr_nonnull(files[0]);
    ck_assert_ptr_null(c->file(st, 1));
    ck_assert_str_eq(files[0]->path, t.path);
    ck_assert_ptr_null(c->sample(st, &sh));
    ck_assert_str_eq(hook_names(c, st, names, sizeof names), "sda");
    for (s = 0; s < c->nseries(st) && !c->slot(st, s, &gen); s++) {}
    ck_assert_uint_ne(gen, 0);
    n = c->fields(st, s, &sh, f);
    ck_assert_int_eq(n, 11);
    ck_assert_str_eq(f[0].key, "reads");
    ck_assert_int_eq(f[0].v.i, 5);
    ck_assert_int_eq(c->fields(st, c->nseries(st), &sh, f), 0);

    /* more disks than slots: skipped, and said once a minute with today's text */
    for (int i = 0; i < 20; i++) {
        snprintf(nm[i], sizeof nm[i], "dm-%d", i);
        devs[i] = nm[i];
    }
    devs[20] = NULL;
    write_devs(&t, devs, 1);
    saved = stderr_capture_begin();
    ck_assert_ptr_null(c->sample(st, &sh));
    sh.now = 100;
    ck_assert_ptr_null(c->sample(st, &sh)); /* within the minute: suppressed */
    sh.now = 111;
    ck_assert_ptr_null(c->sample(st, &sh));
    stderr_capture_end(saved, log, sizeof log);
    /* 4 first: sda's slot is free only from the reading after the one it left */
    ck_assert_str_eq(log,
                     "procflux: warning: 4 disk(s) skipped: all 17 slots sized at start are in use by "
                     "others seen in the last reading; restart procflux to size for more\n"
                     "procflux: warning: 3 disk(s) skipped: all 17 slots sized at start are in use by "
                     "others seen in the last reading; restart procflux to size for more "
                     "(1 similar messages suppressed)\n");

    /* a read that fails: the path, for the agent's warning; nothing present */
    tmp_root_break_fd(t.dir, files[0]->fd);
    saved = stderr_capture_begin();
    ck_assert_ptr_eq(c->sample(st, &sh), files[0]->path);
    stderr_capture_end(saved, log, sizeof log);
    ck_assert_str_eq(log, "");
    ck_assert_str_eq(hook_names(c, st, names, sizeof names), "");
    c->close(st);
    c->close(st); /* twice is safe */

    /* no sysfs (under --proc-root): the name rule, so sdb is a whole disk */
    tmproot_puts(&t, "   8 0 sda 5 0 0 0 0 0 0 0 0 0 0\n"
                     "   8 1 sda1 2 0 0 0 0 0 0 0 0 0 0\n"
                     "   8 16 sdb 3 0 0 0 0 0 0 0 0 0 0\n"
                     "   7 0 loop0 5 0 0 0 0 0 0 0 0 0 0\n");
    env.sys_root = NULL;
    memset(st, 0, c->size);
    ck_assert_int_eq(c->open(st, &env, err, sizeof err), 0);
    ck_assert_ptr_null(c->sample(st, &sh));
    ck_assert_str_eq(hook_names(c, st, names, sizeof names), "sda,sdb");
    c->close(st);

    /* the list from the config */
    ck_assert_int_eq(match_split(&cfg->diskio_devices, pats), 0);
    memset(st, 0, c->size);
    ck_assert_int_eq(c->open(st, &env, err, sizeof err), 0);
    ck_assert_ptr_null(c->sample(st, &sh));
    ck_assert_str_eq(hook_names(c, st, names, sizeof names), "sda,sda1,sdb");
    c->close(st);

    /* no config at all: the default */
    env.cfg = NULL;
    memset(st, 0, c->size);
    ck_assert_int_eq(c->open(st, &env, err, sizeof err), 0);
    ck_assert_ptr_null(c->sample(st, &sh));
    ck_assert_str_eq(hook_names(c, st, names, sizeof names), "sda,sdb");
    c->close(st);
    free(st);
    free(cfg);
    tmproot_remove(&t);
}
END_TEST

static Suite *diskio_suite(void)
{
    Suite *s = suite_create("diskio");
    TCase *tc = tcase_create("fixtures");
    tcase_add_loop_test(tc, fixture_lines, 0, NFIXTURES);
    tcase_add_test(tc, fixture_columns);
    tcase_add_test(tc, fixture_spot_checks);
    tcase_add_test(tc, fixture_default_selection);
    tcase_add_test(tc, fixture_values_through_collector);
    suite_add_tcase(s, tc);

    tc = tcase_create("parse");
    tcase_add_test(tc, parse_column_variants);
    tcase_add_test(tc, parse_nul_in_name);
    tcase_add_test(tc, parse_huge_numbers);
    tcase_add_test(tc, name_rule);
    tcase_add_test(tc, field_names_listed);
    tcase_add_test(tc, update_truncated_and_garbage);
    tcase_add_test(tc, update_every_prefix_of_fixture);
    suite_add_tcase(s, tc);

    tc = tcase_create("slots");
    tcase_add_test(tc, slots_appear_vanish_return);
    tcase_add_test(tc, slots_reorder);
    tcase_add_test(tc, slots_overflow_and_reuse);
    tcase_add_test(tc, slots_duplicates_and_max);
    tcase_add_test(tc, slots_many_lines_beyond_cache);
    suite_add_tcase(s, tc);

    tc = tcase_create("selection");
    tcase_add_test(tc, select_fake_sysfs);
    tcase_add_test(tc, select_globs);
    tcase_add_test(tc, collector_errors_and_vanishing);
    suite_add_tcase(s, tc);

    tc = tcase_create("descriptor");
    tcase_add_test(tc, descriptor);
    tcase_add_test(tc, descriptor_hooks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(diskio_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
