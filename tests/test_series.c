/* Unit tests of series: fixed prefixes and groups of slots for series that come and go. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "series.h"

static void prefix_is(const struct series_set *s, int i, const char *want)
{
    size_t len;
    const char *p = series_prefix(s, i, &len);
    ck_assert_uint_eq(len, strlen(want));
    ck_assert(memcmp(p, want, len) == 0);
}

START_TEST(fixed_series)
{
    struct series_set s;
    struct lp_tag base[] = {{"zone", "eu west"}, {"a", "1"}};
    struct lp_tag cpu0 = {"cpu", "cpu0"}, psi[] = {{"resource", "io"}, {"type", "full"}};
    char err[256];
    ck_assert_int_eq(series_init(&s, base, 2, "web,1"), 0);
    ck_assert_int_eq(series_add(&s, "cpu", &cpu0, 1, err, sizeof err), 0);
    ck_assert_int_eq(series_add(&s, "mem", NULL, 0, err, sizeof err), 1);
    ck_assert_int_eq(series_add(&s, "pressure", psi, 2, err, sizeof err), 2);
    /* many more: the store grows while the set is built, earlier prefixes stay intact */
    for (int i = 0; i < 300; i++) ck_assert_int_eq(series_add(&s, "mem", NULL, 0, err, sizeof err), 3 + i);
    /* tags sorted by key, escaped */
    prefix_is(&s, 0, "cpu,a=1,cpu=cpu0,host=web\\,1,zone=eu\\ west ");
    prefix_is(&s, 1, "mem,a=1,host=web\\,1,zone=eu\\ west ");
    prefix_is(&s, 2, "pressure,a=1,host=web\\,1,resource=io,type=full,zone=eu\\ west ");
    prefix_is(&s, 302, "mem,a=1,host=web\\,1,zone=eu\\ west ");
    ck_assert_uint_ge(series_line_max(&s, 64), strlen("pressure,a=1,host=web\\,1,resource=io,type=full,zone=eu\\ west "));
    series_free(&s);
}
END_TEST

START_TEST(too_long)
{
    struct series_set s;
    static char big[SERIES_PREFIX_MAX];
    struct lp_tag base[] = {{"k", big}};
    char err[256];
    memset(big, 'x', sizeof big - 1);
    ck_assert_int_eq(series_init(&s, base, 1, "h"), 0);
    ck_assert_int_eq(series_add(&s, "mem", NULL, 0, err, sizeof err), SERIES_TOO_LONG);
    ck_assert_ptr_nonnull(strstr(err, "--tag"));
    {
        struct series_group g;
        ck_assert_int_eq(series_group_init(&s, &g, "net", "interface", 4, 15, err, sizeof err), SERIES_TOO_LONG);
        series_group_free(&g);
    }
    series_free(&s);
}
END_TEST

START_TEST(group_rebuilt_per_generation)
{
    struct series_set s;
    struct series_group g;
    char err[256];
    size_t len;
    const char *p;
    ck_assert_int_eq(series_init(&s, NULL, 0, "h"), 0);
    ck_assert_int_eq(series_group_init(&s, &g, "net", "interface", 3, 15, err, sizeof err), 0);
    ck_assert_uint_ge(series_line_max(&s, 1), g.room);
    p = series_group_prefix(&s, &g, 1, "eth0", 7, &len);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(len, strlen("net,host=h,interface=eth0 "));
    ck_assert(memcmp(p, "net,host=h,interface=eth0 ", len) == 0);
    /* same generation: kept, whatever name is passed (the collector's word that nothing changed) */
    p = series_group_prefix(&s, &g, 1, "eth1", 7, &len);
    ck_assert(memcmp(p, "net,host=h,interface=eth0 ", len) == 0);
    /* a new generation: rebuilt, escaped; the longest name fits */
    p = series_group_prefix(&s, &g, 1, "a,b=c d\\e,fghij", 8, &len);
    ck_assert_ptr_nonnull(p);
    ck_assert(memcmp(p, "net,host=h,interface=a\\,b\\=c\\ d\\e\\,fghij ", len) == 0);
    /* a free slot, and a name InfluxDB cannot take (a trailing backslash) */
    ck_assert_ptr_null(series_group_prefix(&s, &g, 0, NULL, 1, &len));
    ck_assert_ptr_null(series_group_prefix(&s, &g, 2, "bad\\", 1, &len));
    series_group_free(&g);
    series_free(&s);
}
END_TEST

static Suite *series_suite(void)
{
    Suite *s = suite_create("series");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, fixed_series);
    tcase_add_test(tc, too_long);
    tcase_add_test(tc, group_rebuilt_per_generation);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed;
    SRunner *sr = srunner_create(series_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
