/*
 * Unit tests of match: the glob of the name filters and --fields.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"

static int glob(const char *pat, const char *name) { return match_glob(pat, name, strlen(name)); }

START_TEST(globs)
{
    static const struct {
        const char *pat, *name;
        int want;
    } cases[] = {
        {"eth0", "eth0", 1}, {"eth0", "eth01", 0}, {"eth0", "eth", 0}, {"eth*", "eth", 1},
        {"eth*", "eth12", 1}, {"eth*", "veth1", 0}, {"*eth*", "veth1", 1}, {"?", "a", 1},
        {"?", "", 0}, {"?", "ab", 0}, {"*", "", 1}, {"", "", 1}, {"", "a", 0},
        {"sd?", "sda", 1}, {"sd?", "sda1", 0}, {"sd*[0-9]", "sda1", 0}, /* no classes */
        {"usage_*_max", "usage_user_max", 1}, {"usage_*_max", "usage_user_mean", 0},
        {"*_max", "usage_guest_nice_max", 1}, {"a*b*c", "aXbYc", 1}, {"a*b*c", "abcbcX", 0},
        {"a*b*c", "abbbc", 1}, {"**", "x", 1}, {"*a", "aaaa", 1}, {"a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaa", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(glob(cases[i].pat, cases[i].name) == cases[i].want, "'%s' vs '%s': want %d",
                      cases[i].pat, cases[i].name, cases[i].want);
    /* the name need not be NUL-terminated */
    ck_assert_int_eq(match_glob("eth0", "eth0:rest", 4), 1);
    ck_assert_int_eq(match_glob("eth0*", "eth0:rest", 4), 1);
    ck_assert_int_eq(match_glob("eth0?", "eth0:rest", 4), 0);
}
END_TEST

START_TEST(lists)
{
    struct match_list l;
    char s1[] = "eth*,wlan0", s2[] = "a,,b", s3[] = "", s4[] = "x,", s5[] = " lo ,\teth0\t", s6[] = "a, ,b";
    ck_assert_int_eq(match_split(&l, s1), 0);
    ck_assert_int_eq(l.n, 2);
    ck_assert_int_eq(match_any(&l, "eth3", 4), 1);
    ck_assert_int_eq(match_any(&l, "wlan0", 5), 1);
    ck_assert_int_eq(match_any(&l, "wlan1", 5), 0);
    ck_assert_int_eq(match_split(&l, s5), 0); /* blanks around items are cut */
    ck_assert_int_eq(l.n, 2);
    ck_assert_str_eq(l.pat[0], "lo");
    ck_assert_str_eq(l.pat[1], "eth0");
    ck_assert_int_eq(match_split(&l, s6), -1);
    ck_assert_int_eq(match_split(&l, s2), -1);
    ck_assert_int_eq(match_split(&l, s3), -1);
    ck_assert_int_eq(match_split(&l, s4), -1);
    {
        char many[MATCH_MAX * 3 + 8];
        size_t p = 0;
        for (int i = 0; i <= MATCH_MAX; i++) p += (size_t)snprintf(many + p, sizeof many - p, "%sa", i ? "," : "");
        ck_assert_int_eq(match_split(&l, many), -1); /* MATCH_MAX + 1 patterns */
    }
    l.n = 0;
    ck_assert_int_eq(match_any(&l, "x", 1), 0);
}
END_TEST

START_TEST(fields_kept_in_order)
{
    struct match_list l;
    char pats[] = "usage_user*,usage_idle";
    struct sample_field f[6];
    int n = 0;
    sample_usage(&f[n++], "usage_user", 1);
    sample_usage(&f[n++], "usage_system", 2);
    sample_float(&f[n], "usage_user", 3);
    f[n++].suffix = "_max";
    sample_float(&f[n], "usage_idle", 4);
    f[n++].suffix = "_min";
    sample_usage(&f[n++], "usage_idle", 5);
    ck_assert_int_eq(match_split(&l, pats), 0);
    n = match_fields(&l, f, n);
    ck_assert_int_eq(n, 3);
    ck_assert_double_eq(f[0].v.f, 1);
    ck_assert_double_eq(f[1].v.f, 3); /* usage_user_max: the suffix is part of the name */
    ck_assert_double_eq(f[2].v.f, 5); /* usage_idle, not usage_idle_min */
}
END_TEST

START_TEST(names)
{
    static const char *const all[] = {"usage_user", "usage_idle", "time_user", NULL};
    static const char *const win[] = {"usage_user", "usage_idle", NULL};
    ck_assert_int_eq(match_names("usage_user", all, NULL, 0), 1);
    ck_assert_int_eq(match_names("time_*", all, NULL, 0), 1);
    ck_assert_int_eq(match_names("usage_usr", all, win, 1), 0);
    ck_assert_int_eq(match_names("usage_user_max", all, NULL, 0), 0);
    ck_assert_int_eq(match_names("usage_user_max", all, win, 1), 1);
    ck_assert_int_eq(match_names("*_mean", all, win, 1), 1);
    ck_assert_int_eq(match_names("time_user_max", all, win, 1), 0);
    /* windowed names are field names too, with or without --window's suffixes */
    ck_assert_int_eq(match_names("usage_idle", NULL, win, 0), 1);
    ck_assert_int_eq(match_names("usage_idle_min", NULL, win, 0), 0);
    ck_assert_int_eq(match_names("usage_idle_min", NULL, win, 1), 1);
}
END_TEST

static Suite *match_suite(void)
{
    Suite *s = suite_create("match");
    TCase *tc = tcase_create("match");
    tcase_add_test(tc, globs);
    tcase_add_test(tc, lists);
    tcase_add_test(tc, fields_kept_in_order);
    tcase_add_test(tc, names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(match_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
