/*
 * Unit tests of cgroup: the parsers, the path patterns, the v2 and v1
 * fixture trees (tests/fixtures/cgroup-v{1,2}, values computed by hand in
 * the comments), and cgroups coming and going in a temporary tree.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "collector.h"
#include "config.h"
#include "fixture_file.h"

/* An exact-size copy of @s, so a read past the end is caught by ASan/valgrind. */
static char *exact(const char *s, size_t *len)
{
    size_t n = strlen(s);
    char *b = malloc(n ? n : 1);
    memcpy(b, s, n);
    *len = n;
    return b;
}

START_TEST(parse_keyed)
{
    static const char *const keys[] = {"usage_usec", "user_usec", "nr_throttled"};
    uint64_t v[3] = {0, 0, 0};
    size_t n;
    char *b = exact("usage_usec 10\nuser_usec 7\nsystem_usec 3\nnr_throttled 18446744073709551615\nbad x\n"
                    "user_usec 8\nusage_usec 5", &n);
    /* the last line has no '\n': may be cut, skipped; user_usec twice: the last wins */
    ck_assert_uint_eq(cgroup_parse_keyed(b, n, keys, 3, v), 7);
    ck_assert_uint_eq(v[0], 10);
    ck_assert_uint_eq(v[1], 8);
    ck_assert_uint_eq(v[2], UINT64_MAX);
    free(b);
    b = exact("usage_usec 18446744073709551616\nusage_usec  1\nusage_usec 1 \n", &n);
    ck_assert_uint_eq(cgroup_parse_keyed(b, n, keys, 3, v), 0);
    free(b);
}
END_TEST

START_TEST(parse_value)
{
    uint64_t v;
    ck_assert_int_eq(cgroup_parse_value("max\n", 4, &v), 1);
    ck_assert_uint_eq(v, CGROUP_NO_LIMIT);
    ck_assert_int_eq(cgroup_parse_value("4096\n", 5, &v), 1);
    ck_assert_uint_eq(v, 4096);
    ck_assert_int_eq(cgroup_parse_value("4096", 4, &v), 0);   /* may be cut */
    ck_assert_int_eq(cgroup_parse_value("40 96\n", 6, &v), 0);
    ck_assert_int_eq(cgroup_parse_value("\n", 1, &v), 0);
    ck_assert_int_eq(cgroup_parse_value("maxx\n", 5, &v), 0);
}
END_TEST

START_TEST(parse_io)
{
    struct cgroup_io io;
    uint64_t r, w;
    size_t n;
    char *b = exact("8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n"
                    "8:16 rbytes=5 wbytes=5 rios=3 wios=4\n"
                    "8:32 rbytes=x wbytes=5\n"   /* malformed: skipped */
                    "junk\n"
                    "8:48 rbytes=1000", &n);     /* cut: skipped */
    ck_assert_int_eq(cgroup_parse_io_v2(b, n, &io), 1);
    ck_assert_uint_eq(io.read_bytes, 15);
    ck_assert_uint_eq(io.write_bytes, 25);
    ck_assert_uint_eq(io.reads, 4);
    ck_assert_uint_eq(io.writes, 6);
    free(b);
    b = exact("8:0 rbytes=9223372036854775807\n8:1 rbytes=1\n", &n);
    ck_assert_int_eq(cgroup_parse_io_v2(b, n, &io), 0); /* past INT64_MAX */
    free(b);
    b = exact("8:0 Read 100\n8:0 Write 5\n8:0 Total 105\n8:16 Read 1\n8:16 Write 2\nTotal 108\n", &n);
    ck_assert_int_eq(cgroup_parse_blkio_v1(b, n, &r, &w), 1);
    ck_assert_uint_eq(r, 101);
    ck_assert_uint_eq(w, 7);
    free(b);
    ck_assert_int_eq(cgroup_parse_blkio_v1("Total 0\n", 8, &r, &w), 1);
    ck_assert_uint_eq(r + w, 0);
}
END_TEST

START_TEST(path_patterns)
{
    const char *p = "docker/abc";
    ck_assert_int_eq(cgroup_path_match("docker/*", p, strlen(p), 0), 1);
    ck_assert_int_eq(cgroup_path_match("*", p, strlen(p), 0), 0); /* '*' never crosses '/' */
    ck_assert_int_eq(cgroup_path_match("d*", "docker", 6, 1), 0);
    ck_assert_int_eq(cgroup_path_match("d*/*", "docker", 6, 1), 1);
    ck_assert_int_eq(cgroup_path_match("docker/a?c", p, strlen(p), 0), 1);
    ck_assert_int_eq(cgroup_path_match("docker/*/x", p, strlen(p), 1), 1);
    ck_assert_int_eq(cgroup_path_match("docker/*/x", p, strlen(p), 0), 0);
    ck_assert_int_eq(cgroup_path_match("kubepods*/*/*pod*",
                                       "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice",
                                       strlen("kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice"),
                                       0), 1);
    ck_assert_int_eq(cgroup_pattern_depth("a/b/c"), 3);
    ck_assert_int_eq(cgroup_pattern_depth("/a"), -1);
    ck_assert_int_eq(cgroup_pattern_depth("a//b"), -1);
    ck_assert_int_eq(cgroup_pattern_depth("a/"), -1);
}
END_TEST

/* The field @key of @f (n of them), or NULL. */
static const struct sample_field *field(const struct sample_field *f, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(f[i].key, key)) return &f[i];
    return NULL;
}

static int64_t int_of(const struct sample_field *f, int n, const char *key)
{
    const struct sample_field *x = field(f, n, key);
    ck_assert_msg(x != NULL, "no field %s", key);
    ck_assert_int_eq(x->type, SAMPLE_INT);
    return x->v.i;
}

static int slot_of(const struct cgroup_collector *c, const char *path)
{
    for (int k = 0; k < cgroup_slots(c); k++)
        if (cgroup_slot_name(c, k) && !strcmp(cgroup_slot_name(c, k), path)) return k;
    return -1;
}

static int present(const struct cgroup_collector *c)
{
    int n = 0;
    for (int k = 0; k < cgroup_slots(c); k++) n += cgroup_slot_name(c, k) != NULL;
    return n;
}

static void open_fixture(struct cgroup_collector *c, const char *dir, const char *pats)
{
    static char buf[256];
    static struct match_list only;
    char err[256];
    snprintf(buf, sizeof buf, "%s", pats);
    ck_assert_int_eq(match_split(&only, buf), 0);
    ck_assert_msg(cgroup_open(c, fixture_path(dir, ""), &only, 3, err, sizeof err) == 0, "%s", err);
}

START_TEST(fixture_v2)
{
    struct cgroup_collector c;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    int k, n;
    open_fixture(&c, "cgroup-v2", "system.slice/*");
    ck_assert_int_eq(c.v2, 1);
    ck_assert_int_eq(cgroup_slots(&c), 2 + 16); /* max(2 * 2, 2 + 16) */
    cgroup_sample(&c, 0, 1);
    ck_assert_int_eq(present(&c), 2); /* a.service/child: depth 3; user.slice: not matched */
    k = slot_of(&c, "system.slice/a.service");
    ck_assert_int_ge(k, 0);
    n = cgroup_fields(&c, k, f);
    /* cpu 6 (no percent on the first reading), mem 3, memory.stat 9, io 4, pressure 6 x 4 */
    ck_assert_int_eq(n, 46);
    ck_assert_ptr_null(field(f, n, "cpu_usage_percent"));
    ck_assert_int_eq(int_of(f, n, "cpu_usage_usec"), 1072498845);
    ck_assert_int_eq(int_of(f, n, "cpu_user_usec"), 824319985);
    ck_assert_int_eq(int_of(f, n, "cpu_system_usec"), 248178860);
    ck_assert_int_eq(int_of(f, n, "cpu_throttling_periods"), 1200);
    ck_assert_int_eq(int_of(f, n, "cpu_throttling_throttled_periods"), 34);
    ck_assert_int_eq(int_of(f, n, "cpu_throttled_usec"), 567890);
    ck_assert_int_eq(int_of(f, n, "mem_usage"), 41840640);
    ck_assert_int_eq(int_of(f, n, "mem_limit"), 536870912);
    /* 41840640 / 536870912 * 100 */
    ck_assert_double_eq_tol(field(f, n, "mem_usage_percent")->v.f, 7.793426513671875, 1e-12);
    ck_assert_int_eq(field(f, n, "mem_usage_percent")->windowed, 1);
    ck_assert_int_eq(int_of(f, n, "mem_anon"), 1224704);
    ck_assert_int_eq(int_of(f, n, "mem_file"), 38666240);
    ck_assert_int_eq(int_of(f, n, "mem_file_mapped"), 5234688);
    ck_assert_int_eq(int_of(f, n, "mem_file_dirty"), 270336);
    ck_assert_int_eq(int_of(f, n, "mem_inactive_file"), 4157440);
    ck_assert_int_eq(int_of(f, n, "mem_pgfault"), 1537381);
    ck_assert_int_eq(int_of(f, n, "mem_pgmajfault"), 143);
    /* 1048576 + 8192, 4096 + 0, 256 + 2, 1 + 0 */
    ck_assert_int_eq(int_of(f, n, "io_read_bytes"), 1056768);
    ck_assert_int_eq(int_of(f, n, "io_write_bytes"), 4096);
    ck_assert_int_eq(int_of(f, n, "io_reads"), 258);
    ck_assert_int_eq(int_of(f, n, "io_writes"), 1);
    ck_assert_double_eq_tol(field(f, n, "psi_cpu_some_avg10")->v.f, 7.15, 1e-12);
    ck_assert_int_eq(int_of(f, n, "psi_cpu_some_total"), 183039640);
    ck_assert_int_eq(int_of(f, n, "psi_io_full_total"), 12292928);
    ck_assert_int_eq(int_of(f, n, "psi_memory_full_total"), 0);

    k = slot_of(&c, "system.slice/b.service");
    n = cgroup_fields(&c, k, f);
    ck_assert_int_eq(n, 4); /* cpu 3, mem_usage; no limit (max): no mem_limit, no percent */
    ck_assert_int_eq(int_of(f, n, "cpu_usage_usec"), 52000);
    ck_assert_int_eq(int_of(f, n, "mem_usage"), 8192);
    ck_assert_ptr_null(field(f, n, "mem_limit"));

    /* not closing (--window, mid-window): only the usage files */
    cgroup_sample(&c, 0.5, 0);
    k = slot_of(&c, "system.slice/a.service");
    n = cgroup_fields(&c, k, f);
    ck_assert_ptr_nonnull(field(f, n, "cpu_usage_percent")); /* a second reading: 0 % (fixture unchanged) */
    ck_assert_double_eq(field(f, n, "cpu_usage_percent")->v.f, 0);
    /* a share of CPU time over wall time: --window sums both deltas and does not clamp at 100 */
    ck_assert_int_eq(field(f, n, "cpu_usage_percent")->uncapped, 1);
    ck_assert(field(f, n, "cpu_usage_percent")->den > 0);
    ck_assert_double_eq(field(f, n, "cpu_usage_percent")->den_min, CGROUP_SUBINTERVAL_NS);
    ck_assert_ptr_nonnull(field(f, n, "mem_usage_percent"));
    ck_assert_ptr_null(field(f, n, "io_reads"));
    ck_assert_ptr_null(field(f, n, "mem_anon"));
    cgroup_close(&c);

    /* deeper pattern, and the slot count */
    open_fixture(&c, "cgroup-v2", "system.slice/*/*,user.slice");
    cgroup_sample(&c, 0, 1);
    ck_assert_int_eq(present(&c), 2);
    ck_assert_int_ge(slot_of(&c, "system.slice/a.service/child"), 0);
    ck_assert_int_ge(slot_of(&c, "user.slice"), 0);
    cgroup_close(&c);
}
END_TEST

START_TEST(fixture_v1)
{
    struct cgroup_collector c;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    int k, n;
    open_fixture(&c, "cgroup-v1", "svc/*");
    ck_assert_int_eq(c.v2, 0);
    cgroup_sample(&c, 0, 1);
    ck_assert_int_eq(present(&c), 2); /* svc/a in three hierarchies is one series */
    k = slot_of(&c, "svc/a");
    n = cgroup_fields(&c, k, f);
    /* cpu 3 (no throttling on v1), mem 3, memory.stat 9, io 4, no pressure */
    ck_assert_int_eq(n, 19);
    ck_assert_int_eq(int_of(f, n, "cpu_usage_usec"), 1310844009);   /* 1310844009078 ns */
    ck_assert_int_eq(int_of(f, n, "cpu_user_usec"), 1014970000);    /* 101497 ticks */
    ck_assert_int_eq(int_of(f, n, "cpu_system_usec"), 295860000);   /* 29586 ticks */
    ck_assert_int_eq(int_of(f, n, "mem_usage"), 41840640);
    ck_assert_int_eq(int_of(f, n, "mem_limit"), 268435456);
    ck_assert_double_eq_tol(field(f, n, "mem_usage_percent")->v.f, 15.58685302734375, 1e-12);
    ck_assert_int_eq(int_of(f, n, "mem_anon"), 1224704);           /* total_rss */
    ck_assert_int_eq(int_of(f, n, "mem_file"), 38666240);          /* total_cache */
    ck_assert_int_eq(int_of(f, n, "mem_inactive_file"), 4157440);
    ck_assert_int_eq(int_of(f, n, "io_read_bytes"), 1056768);      /* 1048576 + 8192 */
    ck_assert_int_eq(int_of(f, n, "io_write_bytes"), 4096);
    ck_assert_int_eq(int_of(f, n, "io_reads"), 258);
    ck_assert_int_eq(int_of(f, n, "io_writes"), 1);
    k = slot_of(&c, "svc/b");
    n = cgroup_fields(&c, k, f);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(int_of(f, n, "cpu_usage_usec"), 52000);
    ck_assert_int_eq(int_of(f, n, "cpu_user_usec"), 30000);
    ck_assert_int_eq(int_of(f, n, "cpu_system_usec"), 20000);
    cgroup_close(&c);
}
END_TEST

static void put(const char *dir, const char *name, const char *text)
{
    char p[512];
    FILE *f;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    ck_assert_ptr_nonnull(f = fopen(p, "w"));
    fputs(text, f);
    fclose(f);
}

static void make_cg(const char *root, const char *rel, const char *usage)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    put(p, "cpu.stat", usage);
}

static void remove_cg(const char *root, const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s/cpu.stat", root, rel);
    unlink(p);
    snprintf(p, sizeof p, "%s/%s", root, rel);
    ck_assert_int_eq(rmdir(p), 0);
}

START_TEST(come_and_go)
{
    char root[] = "/tmp/procflux-cgroup-XXXXXX", err[256], pat[] = "docker/*";
    struct cgroup_collector c;
    struct match_list only;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    unsigned gen;
    int k;
    ck_assert_ptr_nonnull(mkdtemp(root));
    put(root, "cgroup.controllers", "cpu memory\n");
    make_cg(root, "docker", "usage_usec 0\n");
    make_cg(root, "docker/one", "usage_usec 1000\n");
    ck_assert_int_eq(match_split(&only, pat), 0);
    ck_assert_int_eq(cgroup_open(&c, root, &only, 0, err, sizeof err), 0);
    ck_assert_int_eq(cgroup_slots(&c), 17);
    cgroup_sample(&c, 10, 1);
    ck_assert_int_eq(present(&c), 1);
    k = slot_of(&c, "docker/one");
    gen = cgroup_slot_gen(&c, k);
    /* a new one is seen at the next walk, not before a second has passed */
    make_cg(root, "docker/two", "usage_usec 5\n");
    cgroup_sample(&c, 10.5, 1);
    ck_assert_int_eq(present(&c), 1);
    cgroup_sample(&c, 11, 1);
    ck_assert_int_eq(present(&c), 2);
    ck_assert_int_eq(cgroup_slot_gen(&c, k), gen);
    ck_assert_int_eq(int_of(f, cgroup_fields(&c, slot_of(&c, "docker/two"), f), "cpu_usage_usec"), 5);
    /* one leaves: gone at the next walk, its slot free */
    remove_cg(root, "docker/one");
    cgroup_sample(&c, 12.1, 1);
    ck_assert_int_eq(present(&c), 1);
    ck_assert_int_eq(slot_of(&c, "docker/one"), -1);
    ck_assert_int_eq(cgroup_fields(&c, k, f), 0);
    remove_cg(root, "docker/two");
    remove_cg(root, "docker");
    cgroup_sample(&c, 13.2, 1);
    ck_assert_int_eq(present(&c), 0);
    cgroup_close(&c);
    snprintf(err, sizeof err, "%s/cgroup.controllers", root);
    unlink(err);
    rmdir(root);
}
END_TEST

START_TEST(open_errors)
{
    struct cgroup_collector c;
    char err[256];
    ck_assert_int_eq(cgroup_open(&c, "/nonexistent/cgroup", NULL, 0, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "HOST_CGROUP"));
    cgroup_close(&c);
    ck_assert_int_eq(cgroup_open(&c, fixture_path("linux-6.x", ""), NULL, 0, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "neither"));
    cgroup_close(&c);
}
END_TEST

START_TEST(descriptor)
{
    int ci, mi;
    const struct measurement *m = collector_measurement("cgroup", 6, &ci, &mi);
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_eq(collector_table[ci], &collector_cgroup);
    ck_assert_str_eq(collector_cgroup.slot_tag, "path");
    ck_assert_uint_eq(collector_cgroup.flags & COLLECTOR_EVERY_TICK, COLLECTOR_EVERY_TICK);
    ck_assert_str_eq(m->windowed[0], "cpu_usage_percent");
    ck_assert_str_eq(m->windowed[1], "mem_usage_percent");
    ck_assert_ptr_null(m->windowed[2]);
    ck_assert_str_eq(m->fields[0], "cpu_usage_usec");
    {
        int n = 0;
        while (cgroup_field_names[n]) n++;
        ck_assert_int_eq(n, CGROUP_NFIELDS);
        ck_assert_int_le(CGROUP_NFIELDS, SAMPLE_MAX_FIELDS);
    }
}
END_TEST

static Suite *cgroup_suite(void)
{
    Suite *s = suite_create("cgroup");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, parse_keyed);
    tcase_add_test(tc, parse_value);
    tcase_add_test(tc, parse_io);
    tcase_add_test(tc, path_patterns);
    suite_add_tcase(s, tc);
    tc = tcase_create("trees");
    tcase_add_test(tc, fixture_v2);
    tcase_add_test(tc, fixture_v1);
    tcase_add_test(tc, come_and_go);
    tcase_add_test(tc, open_errors);
    tcase_add_test(tc, descriptor);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cgroup_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
