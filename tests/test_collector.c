/*
 * Unit tests of the collector table: every entry keeps the contract of
 * collector.h, and every field a collector sends is in the name lists
 * --fields validates against (the same lists serve both).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "config.h"
#include "fixture_file.h"
#include "procfile.h"

static int in_list(const char *const *names, const char *key)
{
    for (; names && *names; names++)
        if (!strcmp(*names, key)) return 1;
    return 0;
}

START_TEST(entries_are_complete)
{
    ck_assert_int_ge(collector_count, 3);
    ck_assert_int_le(collector_count, 32);
    for (int c = 0; c < collector_count; c++) {
        const struct collector *e = collector_table[c];
        ck_assert_ptr_nonnull(e->name);
        ck_assert_int_ge(e->nmeasurements, 1);
        ck_assert_int_le(e->nmeasurements, COLLECTOR_MAX_MEASUREMENTS);
        ck_assert(e->open && e->sample && e->fields && e->file && e->close);
        /* fixed series are described (or one untagged per measurement), series that come and go are named */
        if (e->slot_tag)
            ck_assert(e->nseries && e->slot && !e->series && e->slot_name_max > 0 && e->nmeasurements == 1);
        else ck_assert(!e->slot && (e->series ? e->nseries != NULL : e->nseries == NULL));
        ck_assert_uint_gt(e->size, 0);
    }
}
END_TEST

START_TEST(measurement_names_are_unique_and_found)
{
    int seen = 0;
    for (int c = 0; c < collector_count; c++)
        for (int m = 0; m < collector_table[c]->nmeasurements; m++) {
            const char *name = collector_table[c]->measurements[m].name;
            int ci, mi;
            ck_assert_ptr_eq(collector_measurement(name, strlen(name), &ci, &mi),
                             &collector_table[c]->measurements[m]);
            ck_assert_int_eq(ci, c);
            ck_assert_int_eq(mi, m);
            ck_assert(!collector_left_out(name, strlen(name)));
            ck_assert_ptr_nonnull(strstr(collector_names(), name));
            /* bits are distinct */
            ck_assert_int_eq(seen & (int)collector_bit(c, m), 0);
            seen |= (int)collector_bit(c, m);
        }
    {
        int ci, mi;
        ck_assert_ptr_nonnull(collector_measurement("procflux", 8, &ci, &mi));
        ck_assert_int_eq(ci, -1);
        ck_assert_ptr_null(collector_measurement("cpux", 4, &ci, &mi));
        ck_assert_ptr_null(collector_measurement("cp", 2, &ci, &mi));
    }
    ck_assert_str_eq(strstr(collector_names(), "cpu, mem, system") ? "yes" : "no", "yes");
}
END_TEST

/* A proc root with one of each file every collector reads. */
static void make_root(char *root, size_t cap)
{
    static const char *const files[][2] = {
        {"linux-6.x", "stat"}, {"linux-6.x", "meminfo"}, {"linux-6.x", "diskstats"}, {"linux-6.x", "net/dev"},
        {"linux-6.x", "pressure/cpu"}, {"linux-6.x", "pressure/memory"}, {"linux-6.x", "pressure/io"},
    };
    tmp_root_make(root, cap, "collector");
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        char *data = slurp(fixture_path(files[i][0], files[i][1]), &len);
        tmp_root_put(root, files[i][1], data, len);
        free(data);
    }
    tmp_root_puts(root, "loadavg", "0.52 0.58 0.59 1/234 5678\n");
    tmp_root_puts(root, "uptime", "12345.67 23456.78\n");
    tmp_root_puts(root, "sys/kernel/random/entropy_avail", "256\n");
}

START_TEST(every_field_sent_is_listed)
{
    char root[256];
    struct config cfg;
    struct collector_shared sh = {0};
    struct collector_env env = {&cfg, root, NULL, &sh};
    void *states[32] = {0};
    memset(&cfg, 0, sizeof cfg);
    cfg.percpu = cfg.totalcpu = cfg.cpu_time = 1;
    cfg.interval = 1;
    /* cgroup reads a cgroup tree, not the proc root (its default patterns match system.slice/ there) */
    snprintf(cfg.cgroup_root, sizeof cfg.cgroup_root, "%.199s", fixture_path("cgroup-v2", ""));
    make_root(root, sizeof root);
    sh.cpus = 2;
    sh.closing = 1;
    for (int c = 0; c < collector_count; c++) {
        const struct collector *e = collector_table[c];
        void *st = states[c] = calloc(1, e->size);
        char err[CONFIG_ERR_MAX];
        int sent = 0;
        ck_assert_msg(e->open(st, &env, err, sizeof err) == 0, "%s: %s", e->name, err);
        for (int k = 0; e->file(st, k); k++) ck_assert_int_lt(k, 64);
        for (int pass = 0; pass < 2; pass++) {
            /* the cpu collector sets stat for kernel, as in the agent */
            ck_assert_msg(e->sample(st, &sh) == NULL, "%s sample", e->name);
            if (pass == 0) continue;
            for (int i = 0; i < (e->nseries ? e->nseries(st) : e->nmeasurements); i++) {
                struct sample_field f[SAMPLE_MAX_FIELDS];
                const struct measurement *m = &e->measurements[0];
                int n;
                if (e->slot_tag) {
                    unsigned gen;
                    if (!e->slot(st, i, &gen)) continue;
                } else {
                    struct lp_tag tags[COLLECTOR_SERIES_TAGS];
                    char buf[64];
                    int ntags = 0, mi = e->series ? e->series(st, i, tags, &ntags, buf, sizeof buf) : i;
                    ck_assert(mi >= 0 && mi < e->nmeasurements);
                    ck_assert(ntags >= 0 && ntags <= COLLECTOR_SERIES_TAGS);
                    m = &e->measurements[mi];
                    /* the tags a series sets are the measurement's reserved keys */
                    for (int t = 0; t < ntags; t++) ck_assert(in_list(m->tag_keys, tags[t].key));
                }
                n = e->fields(st, i, &sh, f);
                for (int k = 0; k < n; k++) {
                    const char *const *plain = m->fields_for ? m->fields_for(&cfg) : m->fields;
                    ck_assert_msg(in_list(f[k].windowed ? m->windowed : plain, f[k].key), "%s: field %s not listed",
                                  m->name, f[k].key);
                }
                sent += n;
            }
        }
        ck_assert_msg(sent > 0, "%s sent nothing from the fixture", e->name);
    }
    /* (closed at the end: kernel parses the reading of cpu's /proc/stat) */
    for (int c = 0; c < collector_count; c++) {
        collector_table[c]->close(states[c]);
        free(states[c]);
    }
    tmp_root_remove(root);
}
END_TEST

static Suite *collector_suite(void)
{
    Suite *s = suite_create("collector");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, entries_are_complete);
    tcase_add_test(tc, measurement_names_are_unique_and_found);
    tcase_add_test(tc, every_field_sent_is_listed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed;
    SRunner *sr = srunner_create(collector_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
