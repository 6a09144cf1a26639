/*
 * Unit tests of mem: /proc/meminfo into Telegraf's mem fields.
 *
 * Expected values are computed here from the fixture text read with sscanf.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "fixture_file.h"

static const char *const fixtures[] = {
    "linux-2.6.9", "linux-2.6.18", "linux-2.6.32", "linux-3.2", "linux-4.x",
    "linux-5.x",   "linux-6.x",    "armhf-32bit",  "manycore",
};
#define NFIXTURES ((int)(sizeof fixtures / sizeof fixtures[0]))

/* The test's own table: meminfo name, Telegraf field, value in kB. */
static const struct {
    const char *name, *field;
    int kb;
} table[] = {
    {"MemTotal", "total", 1},           {"MemFree", "free", 1},
    {"MemAvailable", NULL, 1},          {"Buffers", "buffered", 1},
    {"Cached", NULL, 1},                {"SwapCached", "swap_cached", 1},
    {"Active", "active", 1},            {"Inactive", "inactive", 1},
    {"HighTotal", "high_total", 1},     {"HighFree", "high_free", 1},
    {"LowTotal", "low_total", 1},       {"LowFree", "low_free", 1},
    {"SwapTotal", "swap_total", 1},     {"SwapFree", "swap_free", 1},
    {"Dirty", "dirty", 1},              {"Writeback", "write_back", 1},
    {"WritebackTmp", "write_back_tmp", 1}, {"Mapped", "mapped", 1},
    {"Shmem", "shared", 1},             {"Slab", "slab", 1},
    {"SReclaimable", "sreclaimable", 1}, {"SUnreclaim", "sunreclaim", 1},
    {"PageTables", "page_tables", 1},   {"CommitLimit", "commit_limit", 1},
    {"Committed_AS", "committed_as", 1}, {"VmallocTotal", "vmalloc_total", 1},
    {"VmallocUsed", "vmalloc_used", 1}, {"VmallocChunk", "vmalloc_chunk", 1},
    {"HugePages_Total", "huge_pages_total", 0}, {"HugePages_Free", "huge_pages_free", 0},
    {"Hugepagesize", "huge_page_size", 1},
};
#define NTABLE ((int)(sizeof table / sizeof table[0]))

struct want {
    const char *key;
    int is_float;
    int64_t i;
    double f;
};

struct expect {
    struct want w[64];
    int n;
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

static void add_int(struct expect *e, const char *key, int64_t v)
{
    e->w[e->n].key = key;
    e->w[e->n].is_float = 0;
    e->w[e->n].i = v;
    e->n++;
}

static void add_float(struct expect *e, const char *key, double v)
{
    e->w[e->n].key = key;
    e->w[e->n].is_float = 1;
    e->w[e->n].f = v;
    e->n++;
}

/* Expected fields for the meminfo text in the file at @path. */
static void expect_of_file(const char *path, struct expect *e)
{
    FILE *f = fopen(path, "r");
    char line[512];
    int have[64] = {0};
    int64_t val[64] = {0};
    int64_t total, avail, cached;
    memset(e, 0, sizeof *e);
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof line, f)) {
        char key[64], unit[16];
        unsigned long long v;
        int fields = sscanf(line, "%63[^:]: %llu %15s", key, &v, unit);
        if (fields < 2) continue;
        for (int k = 0; k < NTABLE; k++) {
            if (strcmp(key, table[k].name) != 0) continue;
            if (table[k].kb) {
                if (fields != 3 || strcmp(unit, "kB") != 0) break;
                if (v > (unsigned long long)INT64_MAX / 1024) break; /* would overflow */
                val[k] = (int64_t)v * 1024;
            } else {
                if (fields != 2 || v > (unsigned long long)INT64_MAX) break;
                val[k] = (int64_t)v;
            }
            have[k] = 1;
        }
    }
    fclose(f);
    for (int k = 0; k < NTABLE; k++)
        if (have[k] && table[k].field) add_int(e, table[k].field, val[k]);
    ck_assert(have[0]);
    total = val[0];
    cached = val[4] + val[20]; /* Cached + SReclaimable */
    if (have[4]) add_int(e, "cached", cached);
    avail = have[2] ? val[2] : val[1] + cached; /* MemAvailable, or MemFree + cached */
    add_int(e, "available", avail);
    add_int(e, "used", total - avail);
    add_float(e, "used_percent", 100.0 * (double)(total - avail) / (double)total);
    add_float(e, "available_percent", 100.0 * (double)avail / (double)total);
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

static void check_fields(const char *what, const struct sample_field *f, int n,
                         const struct expect *e)
{
    for (int i = 0; i < e->n; i++) {
        const struct sample_field *g = find(f, n, e->w[i].key);
        ck_assert_msg(g != NULL, "%s: field %s missing", what, e->w[i].key);
        if (e->w[i].is_float) {
            ck_assert_msg(g->type == SAMPLE_FLOAT, "%s: %s not a float", what, g->key);
            ck_assert_msg(g->v.f >= e->w[i].f - 1e-9 && g->v.f <= e->w[i].f + 1e-9,
                          "%s: %s = %.12g, want %.12g", what, g->key, g->v.f, e->w[i].f);
        } else {
            ck_assert_msg(g->type == SAMPLE_INT, "%s: %s not an integer", what, g->key);
            ck_assert_msg(g->v.i == e->w[i].i, "%s: %s = %lld, want %lld", what, g->key,
                          (long long)g->v.i, (long long)e->w[i].i);
        }
    }
    ck_assert_msg(n == e->n, "%s: %d fields, want %d", what, n, e->n);
}

static int64_t int_field(const struct sample_field *f, int n, const char *key)
{
    const struct sample_field *g = find(f, n, key);
    ck_assert_msg(g != NULL, "field %s missing", key);
    ck_assert_int_eq(g->type, SAMPLE_INT);
    return g->v.i;
}

static double float_field(const struct sample_field *f, int n, const char *key)
{
    const struct sample_field *x = find(f, n, key);
    ck_assert_msg(x != NULL && x->type == SAMPLE_FLOAT, "no float field %s", key);
    return x->v.f;
}

static int fields_of_text(const char *text, struct sample_field *f)
{
    size_t len;
    char *b = exact(text, &len);
    struct mem_values m;
    int n;
    mem_parse(b, len, &m, NULL);
    n = mem_fields_of(&m, f);
    free(b);
    return n;
}

/* ---- fixtures ----------------------------------------------------------- */

START_TEST(fixture_fields)
{
    const char *dir = fixtures[_i];
    size_t len;
    char *buf = slurp(fixture_path(dir, "meminfo"), &len);
    struct mem_values m;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    struct expect e;
    int n;
    expect_of_file(fixture_path(dir, "meminfo"), &e);
    mem_parse(buf, len, &m, NULL);
    n = mem_fields_of(&m, f);
    ck_assert_int_le(n, SAMPLE_MAX_FIELDS);
    check_fields(dir, f, n, &e);
    /* --fields checks patterns against these lists: every key sent is in one,
       the windowed ones exactly the percentages */
    for (int i = 0; i < n; i++) {
        const char *const *l = f[i].windowed ? mem_windowed_names : mem_field_names;
        while (*l && strcmp(*l, f[i].key) != 0) l++;
        ck_assert_msg(*l != NULL, "%s: field %s is not in mem's name lists", dir, f[i].key);
    }
    free(buf);
}
END_TEST

START_TEST(fixture_spot_checks)
{
    /* Numbers copied by hand from the fixture files. */
    struct sample_field f[SAMPLE_MAX_FIELDS];
    struct mem_values m;
    size_t len;
    char *b;
    int n;

    /* 2.6.18: no MemAvailable, no SReclaimable, no Shmem */
    b = slurp(fixture_path("linux-2.6.18", "meminfo"), &len);
    mem_parse(b, len, &m, NULL);
    n = mem_fields_of(&m, f);
    free(b);
    ck_assert_ptr_null(find(f, n, "sreclaimable"));
    ck_assert_ptr_null(find(f, n, "shared"));
    ck_assert_ptr_null(find(f, n, "write_back_tmp"));
    ck_assert_int_eq(int_field(f, n, "total"), 8184876LL * 1024);
    ck_assert_int_eq(int_field(f, n, "cached"), 5023952LL * 1024);
    ck_assert_int_eq(int_field(f, n, "available"), (2673288LL + 5023952LL) * 1024);
    ck_assert_int_eq(int_field(f, n, "used"), (8184876LL - 2673288LL - 5023952LL) * 1024);
    ck_assert_int_eq(int_field(f, n, "high_total"), 0);
    ck_assert_int_eq(int_field(f, n, "vmalloc_total"), 34359738367LL * 1024);
    ck_assert_int_eq(int_field(f, n, "huge_pages_total"), 0);
    ck_assert_int_eq(int_field(f, n, "huge_page_size"), 2048LL * 1024);

    /* 2.6.9: no CommitLimit */
    b = slurp(fixture_path("linux-2.6.9", "meminfo"), &len);
    mem_parse(b, len, &m, NULL);
    n = mem_fields_of(&m, f);
    free(b);
    ck_assert_ptr_null(find(f, n, "commit_limit"));
    ck_assert_int_eq(int_field(f, n, "committed_as"), 9544LL * 1024);
    ck_assert_int_eq(int_field(f, n, "available"), (445084LL + 33268LL) * 1024);
    ck_assert_int_eq(int_field(f, n, "huge_page_size"), 4096LL * 1024);

    /* armhf: HighTotal/LowTotal, SReclaimable, no HugePages lines */
    b = slurp(fixture_path("armhf-32bit", "meminfo"), &len);
    mem_parse(b, len, &m, NULL);
    n = mem_fields_of(&m, f);
    free(b);
    ck_assert_int_eq(int_field(f, n, "high_total"), 521216LL * 1024);
    ck_assert_int_eq(int_field(f, n, "high_free"), 69136LL * 1024);
    ck_assert_int_eq(int_field(f, n, "low_total"), 469516LL * 1024);
    ck_assert_int_eq(int_field(f, n, "low_free"), 151996LL * 1024);
    ck_assert_int_eq(int_field(f, n, "cached"), (337052LL + 13924LL) * 1024);
    ck_assert_int_eq(int_field(f, n, "available"), (221132LL + 337052LL + 13924LL) * 1024);
    ck_assert_ptr_null(find(f, n, "huge_pages_total"));
    ck_assert_ptr_null(find(f, n, "huge_page_size"));

    /* manycore: CommitLimit overflows int64 bytes -> omitted; 1 GiB huge pages */
    b = slurp(fixture_path("manycore", "meminfo"), &len);
    mem_parse(b, len, &m, NULL);
    n = mem_fields_of(&m, f);
    free(b);
    ck_assert_ptr_null(find(f, n, "commit_limit"));
    ck_assert_int_eq(int_field(f, n, "committed_as"), 394044LL * 1024);
    ck_assert_int_eq(int_field(f, n, "huge_pages_total"), 32);
    ck_assert_int_eq(int_field(f, n, "huge_pages_free"), 32);
    ck_assert_int_eq(int_field(f, n, "huge_page_size"), 1073741824LL);
    ck_assert_int_eq(int_field(f, n, "vmalloc_chunk"), 34325764204LL * 1024);

    /* 4.x: MemAvailable used as is */
    b = slurp(fixture_path("linux-4.x", "meminfo"), &len);
    mem_parse(b, len, &m, NULL);
    n = mem_fields_of(&m, f);
    free(b);
    ck_assert_ptr_nonnull(find(f, n, "sreclaimable"));
    ck_assert_ptr_null(find(f, n, "high_total"));
}
END_TEST

START_TEST(percentages)
{
    struct sample_field f[SAMPLE_MAX_FIELDS];
    int n = fields_of_text("MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 250 kB\n"
                           "Cached: 300 kB\n", f);
    const struct sample_field *u = find(f, n, "used_percent"), *a = find(f, n, "available_percent");
    ck_assert_ptr_nonnull(u);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(u->type, SAMPLE_FLOAT);
    ck_assert_double_eq_tol(u->v.f, 75, 1e-12);
    ck_assert_double_eq_tol(a->v.f, 25, 1e-12);
    ck_assert_int_eq(int_field(f, n, "used"), 750 * 1024);
    ck_assert_int_eq(int_field(f, n, "available"), 250 * 1024);
    ck_assert_int_eq(int_field(f, n, "cached"), 300 * 1024);
    ck_assert_int_eq(int_field(f, n, "free"), 100 * 1024);
    ck_assert_int_eq(n, 7); /* total free cached available used used_percent available_percent */
}
END_TEST

START_TEST(percentages_never_above_100)
{
    /* Found by fuzz_mem: with used == total above 2^53/100 bytes,
     * 100 * used / total rounded to 100.00000000000001. */
    struct sample_field f[SAMPLE_MAX_FIELDS];
    int n = fields_of_text("MemTotal:       3002399751580330 kB\nMemAvailable:          0 kB\n", f);
    const struct sample_field *u = find(f, n, "used_percent"), *a = find(f, n, "available_percent");
    ck_assert_ptr_nonnull(u);
    ck_assert_ptr_nonnull(a);
    ck_assert_double_le(u->v.f, 100);
    ck_assert_double_ge(u->v.f, 100 - 1e-9);
    ck_assert_double_eq(a->v.f, 0);
}
END_TEST

START_TEST(no_memtotal_no_fields)
{
    struct sample_field f[SAMPLE_MAX_FIELDS];
    ck_assert_int_eq(fields_of_text("MemFree: 100 kB\nCached: 300 kB\n", f), 0);
    ck_assert_int_eq(fields_of_text("", f), 0);
}
END_TEST

/* ---- garbage ------------------------------------------------------------ */

START_TEST(garbage_overflow)
{
    struct sample_field f[SAMPLE_MAX_FIELDS];
    int n;
    /* INT64_MAX / 1024 = 9007199254740991 (kB): the largest that fits */
    n = fields_of_text("MemTotal: 9007199254740991 kB\n"
                       "MemFree: 9007199254740992 kB\n"      /* 2^63 bytes: omitted */
                       "Buffers: 737869762947802600 kB\n"    /* the manycore value */
                       "Dirty: 18446744073709551615 kB\n"    /* UINT64_MAX */
                       "Mapped: 18446744073709551616 kB\n"   /* overflows u64 */
                       "HugePages_Total: 9223372036854775807\n"
                       "HugePages_Free: 9223372036854775808\n", f);
    ck_assert_int_eq(int_field(f, n, "total"), 9007199254740991LL * 1024);
    ck_assert_ptr_null(find(f, n, "free"));
    ck_assert_ptr_null(find(f, n, "buffered"));
    ck_assert_ptr_null(find(f, n, "dirty"));
    ck_assert_ptr_null(find(f, n, "mapped"));
    ck_assert_int_eq(int_field(f, n, "huge_pages_total"), INT64_MAX);
    ck_assert_ptr_null(find(f, n, "huge_pages_free"));
    for (int i = 0; i < n; i++)
        if (f[i].type == SAMPLE_INT) ck_assert_msg(f[i].v.i >= 0, "%s wrapped negative", f[i].key);
}
END_TEST

START_TEST(garbage_lines_skipped)
{
    struct sample_field f[SAMPLE_MAX_FIELDS];
    int n = fields_of_text("MemTotal:       1000 kB\n"
                           "MemFree:         123\n"        /* missing kB */
                           "Buffers:         5 MB\n"       /* wrong unit */
                           "Cached           7 kB\n"       /* missing colon */
                           ": 9 kB\n"                      /* empty key */
                           "Dirty: 12x3 kB\n"              /* letter in number */
                           "Mapped: -5 kB\n"               /* sign */
                           "Slab: kB\n"                    /* no number */
                           "Shmem: 123456789012345678901 kB\n" /* 21 digits */
                           "SwapTotal: 5 kB extra\n"       /* trailing junk */
                           "HugePages_Total: 3 kB\n"       /* count with a unit */
                           "Active:  10 kB\n"              /* valid */
                           "Inactive:\t20\tkB\n"           /* valid, tabs */
                           "\n"                            /* empty line */
                           "MemTotalX: 5 kB\n"             /* not a key */
                           "Writeback: 3 kB", f);          /* last line cut */
    ck_assert_int_eq(int_field(f, n, "total"), 1000 * 1024);
    ck_assert_int_eq(int_field(f, n, "active"), 10 * 1024);
    ck_assert_int_eq(int_field(f, n, "inactive"), 20 * 1024);
    static const char *const absent[] = {"free",   "buffered",   "cached",     "dirty",
                                         "mapped", "slab",       "shared",     "swap_total",
                                         "huge_pages_total", "write_back"};
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
        ck_assert_msg(find(f, n, absent[i]) == NULL, "%s present", absent[i]);
    /* no MemFree, no Cached: available 0, used = total */
    ck_assert_int_eq(int_field(f, n, "available"), 0);
    ck_assert_int_eq(int_field(f, n, "used"), 1000 * 1024);
}
END_TEST

START_TEST(garbage_truncated_last_line)
{
    struct sample_field f[SAMPLE_MAX_FIELDS];
    int n;
    n = fields_of_text("MemTotal: 1000 kB\nMemFree: 50", f);
    ck_assert_ptr_null(find(f, n, "free"));
    n = fields_of_text("MemTotal: 1000 kB\nMemFree: 500 k", f);
    ck_assert_ptr_null(find(f, n, "free"));
    n = fields_of_text("MemTotal: 1000 kB\nMemFree: 500 kB", f);
    ck_assert_ptr_null(find(f, n, "free"));
    ck_assert_int_eq(fields_of_text("MemTotal: 1000 kB", f), 0);
    ck_assert_int_eq(fields_of_text("MemTotal: 1000 kB\nMemFree: 500 kB\n", f), 6); /* no cached */
}
END_TEST

START_TEST(every_prefix_of_a_fixture)
{
    /* every cut of a real file, in exact-size buffers: only whole lines count */
    size_t len;
    char *full = slurp(fixture_path("linux-6.x", "meminfo"), &len);
    struct mem_values ref;
    mem_parse(full, len, &ref, NULL);
    for (size_t cut = 0; cut <= len; cut++) {
        char *b = malloc(cut ? cut : 1);
        struct mem_values m;
        memcpy(b, full, cut);
        mem_parse(b, cut, &m, NULL);
        ck_assert_uint_eq(m.present & ~ref.present, 0);
        for (int k = 0; k < MEM_NKEYS; k++)
            if ((m.present >> k) & 1) ck_assert(m.v[k] == ref.v[k]);
        free(b);
    }
    free(full);
}
END_TEST

/* ---- the line cache ----------------------------------------------------- */

static void same_values(const struct mem_values *a, const struct mem_values *b, const char *what)
{
    ck_assert_msg(a->present == b->present, "%s: present %llx vs %llx", what,
                  (unsigned long long)a->present, (unsigned long long)b->present);
    for (int k = 0; k < MEM_NKEYS; k++)
        if ((a->present >> k) & 1)
            ck_assert_msg(a->v[k] == b->v[k], "%s: key %d %lld vs %lld", what, k, (long long)a->v[k],
                          (long long)b->v[k]);
}

static void parse_text(const char *text, struct mem_values *m, struct mem_line *cache)
{
    size_t len;
    char *b = exact(text, &len);
    mem_parse(b, len, m, cache);
    free(b);
}

START_TEST(cache_same_content_twice)
{
    struct mem_line *cache = calloc(MEM_LINE_CACHE, sizeof *cache);
    for (int i = 0; i < NFIXTURES; i++) {
        size_t len;
        char *b = slurp(fixture_path(fixtures[i], "meminfo"), &len);
        struct mem_values fresh, c1, c2;
        mem_parse(b, len, &fresh, NULL);
        mem_parse(b, len, &c1, cache);
        mem_parse(b, len, &c2, cache);
        same_values(&fresh, &c1, fixtures[i]);
        same_values(&fresh, &c2, fixtures[i]);
        free(b);
    }
    free(cache);
}
END_TEST

START_TEST(cache_reordered_and_inserted)
{
    struct mem_line *cache = calloc(MEM_LINE_CACHE, sizeof *cache);
    static const char *const texts[] = {
        "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 10 kB\nCached: 300 kB\nSReclaimable: 7 kB\n",
        /* swapped lines of equal key length (MemFree / Buffers are both 7 bytes) */
        "MemTotal: 1000 kB\nBuffers: 11 kB\nMemFree: 101 kB\nCached: 301 kB\nSReclaimable: 8 kB\n",
        /* a line inserted at the top shifts everything */
        "Foo: 1 kB\nMemTotal: 2000 kB\nBuffers: 12 kB\nMemFree: 102 kB\nCached: 302 kB\n",
        /* garbage lines in between */
        "MemTotal: 3000 kB\nno colon here\nMemFree: 103 kB\n: 5 kB\nCached: 303 kB\nShmem: 4 kB\n",
        /* a key that only shares a prefix, and an unknown key where a known one was */
        "MemTotalX: 9 kB\nMemTotal: 4000 kB\nMemFreeish: 9 kB\nCached: 304 kB\n",
        /* a key longer than a cache entry's name */
        "AnExtraordinarilyLongMeminfoKeyName_ForTesting: 5 kB\nMemTotal: 5000 kB\nMemFree: 105 kB\n",
        "MemTotal: 5000 kB\nAnExtraordinarilyLongMeminfoKeyName_ForTesting: 5 kB\nMemFree: 106 kB\n",
        /* back to the first */
        "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 10 kB\nCached: 300 kB\nSReclaimable: 7 kB\n",
    };
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
            struct mem_values fresh, cached;
            char what[64];
            snprintf(what, sizeof what, "round %d text %zu", round, i);
            parse_text(texts[i], &fresh, NULL);
            parse_text(texts[i], &cached, cache);
            same_values(&fresh, &cached, what);
        }
    /* all fixtures one after another through one cache, twice */
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < NFIXTURES; i++) {
            size_t len;
            char *b = slurp(fixture_path(fixtures[i], "meminfo"), &len);
            struct mem_values fresh, cached;
            mem_parse(b, len, &fresh, NULL);
            mem_parse(b, len, &cached, cache);
            same_values(&fresh, &cached, fixtures[i]);
            free(b);
        }
    free(cache);
}
END_TEST

START_TEST(cache_long_file)
{
    /* more lines than the cache holds: keys beyond it are still found */
    struct mem_line *cache = calloc(MEM_LINE_CACHE, sizeof *cache);
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    struct mem_values fresh, c1, c2;
    for (int i = 0; i < MEM_LINE_CACHE + 40; i++)
        len += (size_t)snprintf(text + len, cap - len, "Filler%d: %d kB\n", i, i);
    len += (size_t)snprintf(text + len, cap - len, "MemTotal: 4096 kB\nHugePages_Total: 3\n");
    mem_parse(text, len, &fresh, NULL);
    mem_parse(text, len, &c1, cache);
    mem_parse(text, len, &c2, cache);
    same_values(&fresh, &c1, "long 1");
    same_values(&fresh, &c2, "long 2");
    ck_assert(fresh.present & (1ull << MEM_TOTAL));
    ck_assert(fresh.v[MEM_TOTAL] == 4096 * 1024);
    ck_assert(fresh.v[MEM_HUGE_PAGES_TOTAL] == 3);
    free(text);
    free(cache);
}
END_TEST

/* ---- the collector ------------------------------------------------------ */

START_TEST(collector_reads_rewritten_file)
{
    char dir[64], err[256];
    struct mem_collector *m = malloc(sizeof *m);
    struct sample_field f[SAMPLE_MAX_FIELDS];
    tmp_root_make(dir, sizeof dir, "mem");
    ck_assert_int_eq(mem_open(m, dir, err, sizeof err), -1); /* not there yet */
    ck_assert_ptr_nonnull(strstr(err, "meminfo"));
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < NFIXTURES; i++) {
            size_t len;
            char *b = slurp(fixture_path(fixtures[i], "meminfo"), &len);
            struct expect e;
            tmp_root_put(dir, "meminfo", b, len); /* in place: mem keeps its fd */
            free(b);
            if (round == 0 && i == 0) ck_assert_int_eq(mem_open(m, dir, err, sizeof err), 0);
            ck_assert_int_eq(mem_sample(m), 0);
            expect_of_file(fixture_path(fixtures[i], "meminfo"), &e);
            check_fields(fixtures[i], f, mem_fields(m, f), &e);
        }
    mem_close(m);
    free(m);
    tmp_root_remove(dir);
}
END_TEST

/* ---- issue 13: available without MemAvailable, from zoneinfo's low watermarks ---- */

START_TEST(zoneinfo_low_watermarks)
{
    static const struct {
        const char *dir;
        uint64_t pages;
    } cases[] = {
        {"armhf-32bit", 870 + 311},                /* Normal, HighMem (real) */
        {"linux-3.2", 40 + 8536 + 12541},          /* DMA, DMA32, Normal (real) */
        {"linux-2.6.32", 20 + 1155 + 69},          /* reconstructed */
        {"manycore", 2 + 913 + 6196},              /* reconstructed */
    };
    static const char odd[] = "  low 7\r\n"      /* 7 */
                              "\tlow\t3 4\n"       /* 3 */
                              "lowmem 5\n"         /* 5: the first word starts with "low" (gopsutil's HasPrefix) */
                              "low 1x\n"           /* not a number: 0 */
                              "low\n"              /* no second word: 0 */
                              "high 9\nlo 4\n"     /* other lines */
                              "low 18446744073709551615\n"; /* saturates */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        char *b = slurp(fixture_path(cases[i].dir, "zoneinfo"), &len);
        ck_assert_uint_eq(mem_parse_zoneinfo_low(b, len), cases[i].pages);
        free(b);
    }
    ck_assert_uint_eq(mem_parse_zoneinfo_low(odd, sizeof odd - 1 - 25), 7 + 3 + 5);
    ck_assert_uint_eq(mem_parse_zoneinfo_low(odd, sizeof odd - 1), UINT64_MAX);
    ck_assert_uint_eq(mem_parse_zoneinfo_low("", 0), 0);
}
END_TEST

/* Fields of fixture @dir's meminfo with @pages of 4 KiB low watermarks. */
static int fixture_with_watermarks(const char *dir, int64_t pages, struct sample_field *f)
{
    size_t len;
    char *b = slurp(fixture_path(dir, "meminfo"), &len);
    struct mem_values m;
    int n;
    mem_parse(b, len, &m, NULL);
    free(b);
    n = mem_fields_with(&m, pages < 0 ? -1 : pages * 4096, f);
    ck_assert_int_eq(mem_available(&m, pages < 0 ? -1 : pages * 4096), int_field(f, n, "available"));
    return n;
}

START_TEST(available_estimated)
{
    struct sample_field f[SAMPLE_MAX_FIELDS];
    int n;

    /*
     * armhf (3.4.5, real meminfo and zoneinfo). W = 1181 pages * 4096 = 4837376.
     * MemFree 221132 kB = 226439168; F = (80372 + 281004) kB = 370049024, F/2 > W: F - W = 365211648;
     * S = 13924 kB = 14258176, S/2 = 7129088 > W: S - W = 9420800.
     * available = 226439168 - 4837376 + 365211648 + 9420800 = 596234240 (Telegraf's; the
     * fallback MemFree + Cached + SReclaimable was 585838592).
     */
    n = fixture_with_watermarks("armhf-32bit", 1181, f);
    ck_assert_int_eq(int_field(f, n, "available"), 596234240LL);
    ck_assert_int_eq(int_field(f, n, "used"), 990732LL * 1024 - 596234240LL); /* 418275328 */
    ck_assert_double_eq_tol(float_field(f, n, "available_percent"), 100.0 * 596234240 / 1014509568, 1e-9);
    ck_assert_double_eq_tol(float_field(f, n, "used_percent"), 100.0 * 418275328 / 1014509568, 1e-9);
    ck_assert_int_eq(int_field(f, n, "free"), 221132LL * 1024); /* the others unchanged */
    ck_assert_int_eq(int_field(f, n, "cached"), (337052LL + 13924LL) * 1024);

    /*
     * linux-3.2 (real). W = 21117 * 4096 = 86495232. MemFree 5740368 kB = 5878136832;
     * F = (819088 + 1014768) kB = 1877868544, F - W = 1791373312; S = 219532 kB = 224800768,
     * S - W = 138305536. available = 5878136832 - 86495232 + 1791373312 + 138305536 = 7721320448.
     */
    n = fixture_with_watermarks("linux-3.2", 21117, f);
    ck_assert_int_eq(int_field(f, n, "available"), 7721320448LL);
    ck_assert_int_eq(int_field(f, n, "used"), 8133452LL * 1024 - 7721320448LL);

    /*
     * linux-2.6.32 (zoneinfo reconstructed). W = 1244 * 4096 = 5095424. MemFree 123884 kB =
     * 126857216; F = (115620 + 387440) kB = 515133440, F - W = 510038016; S = 32400 kB = 33177600,
     * S - W = 28082176. available = 659881984.
     */
    n = fixture_with_watermarks("linux-2.6.32", 1244, f);
    ck_assert_int_eq(int_field(f, n, "available"), 659881984LL);

    /*
     * manycore (zoneinfo reconstructed). W = 7111 * 4096 = 29126656. MemFree 32029276 kB =
     * 32797978624; F = (24116 + 73880) kB = 100347904, F/2 > W: F - W = 71221248; S = 17148 kB =
     * 17559552, S/2 = 8779776 < W: S - S/2 = 8779776. available = 32848852992.
     */
    n = fixture_with_watermarks("manycore", 7111, f);
    ck_assert_int_eq(int_field(f, n, "available"), 32848852992LL);

    /* no zoneinfo: gopsutil's fallback, MemFree + Cached (+ SReclaimable) */
    n = fixture_with_watermarks("armhf-32bit", -1, f);
    ck_assert_int_eq(int_field(f, n, "available"), 585838592LL); /* (221132 + 337052 + 13924) * 1024 */

    /* 2.6.18: no Active(file) (before 2.6.28): the fallback, watermarks or not */
    n = fixture_with_watermarks("linux-2.6.18", 1000, f);
    ck_assert_int_eq(int_field(f, n, "available"), int_field(f, n, "free") + int_field(f, n, "cached"));

    /* 4.x: MemAvailable wins over any watermark */
    n = fixture_with_watermarks("linux-4.x", 1000, f);
    ck_assert_int_eq(int_field(f, n, "available"), 1950080LL * 1024);
}
END_TEST

START_TEST(available_estimate_floor_and_cap)
{
    struct sample_field f[SAMPLE_MAX_FIELDS];
    struct mem_values m;
    static const char t[] = "MemTotal: 1000 kB\nMemFree: 10 kB\nCached: 50 kB\nActive(file): 20 kB\n"
                            "Inactive(file): 20 kB\nSReclaimable: 8 kB\n";
    int n;
    mem_parse(t, sizeof t - 1, &m, NULL);
    /* W = 100 kB: 10240 - 102400 + (40960 - 20480) + (8192 - 4096) < 0: 0, not a wrapped uint64 */
    n = mem_fields_with(&m, 102400, f);
    ck_assert_int_eq(int_field(f, n, "available"), 0);
    ck_assert_int_eq(int_field(f, n, "used"), 1024000);
    /* W = 1 kB: 10240 - 1024 + (40960 - 1024) + (8192 - 1024) = 56320 */
    n = mem_fields_with(&m, 1024, f);
    ck_assert_int_eq(int_field(f, n, "available"), 56320);
    /* MemAvailable above MemTotal: capped at total (used 0, available_percent 100) */
    n = fields_of_text("MemTotal: 1000 kB\nMemAvailable: 1500 kB\n", f);
    ck_assert_int_eq(int_field(f, n, "available"), 1024000);
    ck_assert_int_eq(int_field(f, n, "used"), 0);
    ck_assert_double_eq(float_field(f, n, "available_percent"), 100.0);
}
END_TEST

/* The collector on a fixture directory as --proc-root reads zoneinfo there. */
START_TEST(collector_reads_zoneinfo)
{
    struct mem_collector *m = malloc(sizeof *m);
    struct sample_field f[SAMPLE_MAX_FIELDS];
    char err[256], dir[1024];
    int n;
    if (getpagesize() != 4096) {
        free(m);
        return; /* the hand-computed values are for 4 KiB pages */
    }
    snprintf(dir, sizeof dir, "%s", fixture_path("armhf-32bit", ""));
    ck_assert_int_eq(mem_open(m, dir, err, sizeof err), 0);
    ck_assert_int_eq(m->wmark_low, 1181 * 4096);
    ck_assert_int_eq(mem_sample(m), 0);
    n = mem_fields(m, f);
    ck_assert_int_eq(int_field(f, n, "available"), 596234240LL);
    mem_close(m);
    /* a kernel with MemAvailable: zoneinfo is not read */
    snprintf(dir, sizeof dir, "%s", fixture_path("linux-6.x", ""));
    ck_assert_int_eq(mem_open(m, dir, err, sizeof err), 0);
    ck_assert_int_eq(m->wmark_low, -1);
    mem_close(m);
    /* no zoneinfo there (2.6.9): the fallback */
    snprintf(dir, sizeof dir, "%s", fixture_path("linux-2.6.9", ""));
    ck_assert_int_eq(mem_open(m, dir, err, sizeof err), 0);
    ck_assert_int_eq(m->wmark_low, -1);
    mem_close(m);
    free(m);
}
END_TEST

static Suite *mem_suite(void)
{
    Suite *s = suite_create("mem");
    TCase *tc = tcase_create("fixtures");
    tcase_add_loop_test(tc, fixture_fields, 0, NFIXTURES);
    tcase_add_test(tc, fixture_spot_checks);
    tcase_add_test(tc, percentages);
    tcase_add_test(tc, no_memtotal_no_fields);
    tcase_add_test(tc, percentages_never_above_100);
    tcase_add_test(tc, zoneinfo_low_watermarks);
    tcase_add_test(tc, available_estimated);
    tcase_add_test(tc, available_estimate_floor_and_cap);
    tcase_add_test(tc, collector_reads_zoneinfo);
    suite_add_tcase(s, tc);

    tc = tcase_create("garbage");
    tcase_add_test(tc, garbage_overflow);
    tcase_add_test(tc, garbage_lines_skipped);
    tcase_add_test(tc, garbage_truncated_last_line);
    tcase_add_test(tc, every_prefix_of_a_fixture);
    suite_add_tcase(s, tc);

    tc = tcase_create("cache");
    tcase_add_test(tc, cache_same_content_twice);
    tcase_add_test(tc, cache_reordered_and_inserted);
    tcase_add_test(tc, cache_long_file);
    suite_add_tcase(s, tc);

    tc = tcase_create("collector");
    tcase_add_test(tc, collector_reads_rewritten_file);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(mem_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
