/*
 * Unit tests of procparse: the scanning primitives every /proc parser uses.
 *
 * Every input is copied into a malloc'd buffer of exactly its length, with no
 * terminating NUL, so a read past the end pointer is caught by ASan/valgrind.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procparse.h"

/* An exact-size, not NUL-terminated copy of @s. */
static char *exact(const char *s, size_t *len)
{
    size_t n = strlen(s);
    char *b = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(b);
    memcpy(b, s, n);
    *len = n;
    return b;
}

/* pp_u64 on @s; returns its result, the value and how many bytes it consumed. */
static int u64_of(const char *s, uint64_t *v, size_t *consumed)
{
    size_t n;
    char *b = exact(s, &n);
    const char *p = b;
    int r;
    *v = 0xdeadbeef;
    r = pp_u64(&p, b + n, v);
    *consumed = (size_t)(p - b);
    free(b);
    return r;
}

START_TEST(u64_basic)
{
    uint64_t v;
    size_t c;
    ck_assert_int_eq(u64_of("0", &v, &c), 1);
    ck_assert_uint_eq(v, 0);
    ck_assert_uint_eq(c, 1);
    ck_assert_int_eq(u64_of("12345", &v, &c), 1);
    ck_assert_uint_eq(v, 12345);
    ck_assert_uint_eq(c, 5);
    /* stops at the first non-digit */
    ck_assert_int_eq(u64_of("42 7", &v, &c), 1);
    ck_assert_uint_eq(v, 42);
    ck_assert_uint_eq(c, 2);
    ck_assert_int_eq(u64_of("17kB", &v, &c), 1);
    ck_assert_uint_eq(v, 17);
    ck_assert_uint_eq(c, 2);
    /* leading zeros are fine */
    ck_assert_int_eq(u64_of("000000000000000000000000000000007", &v, &c), 1);
    ck_assert_uint_eq(v, 7);
    ck_assert_uint_eq(c, 33);
}
END_TEST

START_TEST(u64_skips_blanks_not_newlines)
{
    uint64_t v;
    size_t c;
    ck_assert_int_eq(u64_of(" \t \t99", &v, &c), 1);
    ck_assert_uint_eq(v, 99);
    ck_assert_uint_eq(c, 6);
    ck_assert_int_eq(u64_of("\n5", &v, &c), 0);
    ck_assert_uint_eq(c, 0);
}
END_TEST

START_TEST(u64_max_and_overflow)
{
    uint64_t v;
    size_t c;
    ck_assert_int_eq(u64_of("18446744073709551615", &v, &c), 1);
    ck_assert_uint_eq(v, UINT64_MAX);
    ck_assert_uint_eq(c, 20);
    ck_assert_int_eq(u64_of("18446744073709551614", &v, &c), 1);
    ck_assert_uint_eq(v, UINT64_MAX - 1);

    ck_assert_int_eq(u64_of("18446744073709551616", &v, &c), 0);
    ck_assert_uint_eq(c, 0); /* *p unchanged */
    ck_assert_uint_eq(v, 0xdeadbeef); /* *out untouched */
    ck_assert_int_eq(u64_of("18446744073709551620", &v, &c), 0);
    ck_assert_int_eq(u64_of("18446744073709551700", &v, &c), 0);
    ck_assert_int_eq(u64_of("99999999999999999999", &v, &c), 0);
    ck_assert_int_eq(u64_of("184467440737095516150", &v, &c), 0);
    ck_assert_int_eq(u64_of("  123456789012345678901 ", &v, &c), 0);
    ck_assert_uint_eq(c, 0);
}
END_TEST

START_TEST(u64_rejects)
{
    uint64_t v;
    size_t c;
    ck_assert_int_eq(u64_of("", &v, &c), 0);
    ck_assert_int_eq(u64_of("   ", &v, &c), 0);
    ck_assert_uint_eq(c, 0);
    ck_assert_int_eq(u64_of("abc", &v, &c), 0);
    ck_assert_int_eq(u64_of("-1", &v, &c), 0);
    ck_assert_int_eq(u64_of("+1", &v, &c), 0);
    ck_assert_int_eq(u64_of("x12", &v, &c), 0);
    ck_assert_uint_eq(c, 0);
}
END_TEST

START_TEST(u64_respects_end)
{
    /* The end pointer cuts a number: only the digits before it count. */
    const char src[] = "123456";
    char *b = malloc(6);
    const char *p = b;
    uint64_t v = 0;
    memcpy(b, src, 6);
    ck_assert_int_eq(pp_u64(&p, b + 3, &v), 1);
    ck_assert_uint_eq(v, 123);
    ck_assert_ptr_eq(p, b + 3);
    /* nothing left before end */
    ck_assert_int_eq(pp_u64(&p, b + 3, &v), 0);
    ck_assert_ptr_eq(p, b + 3);
    /* blanks up to end */
    memcpy(b, "  \t   ", 6);
    p = b;
    ck_assert_int_eq(pp_u64(&p, b + 6, &v), 0);
    ck_assert_ptr_eq(p, b);
    free(b);
}
END_TEST

static int udec_of(const char *s, double *v, size_t *consumed)
{
    size_t n;
    char *b = exact(s, &n);
    const char *p = b;
    int r;
    *v = -12345;
    r = pp_udecimal(&p, b + n, v);
    *consumed = (size_t)(p - b);
    free(b);
    return r;
}

START_TEST(udecimal_valid)
{
    static const struct {
        const char *s;
        size_t consumed;
    } cases[] = {
        {"0.52", 4},        {"12345.67", 8},   {"0", 1},           {"5", 1},
        {"1.5x", 3},        {" \t3.25 8", 6},  {"0.000001", 8},    {"100.0", 5},
        {"987654321.123456", 16}, {"0.58 0.59", 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v, want;
        size_t c;
        ck_assert_msg(udec_of(cases[i].s, &v, &c) == 1, "'%s' rejected", cases[i].s);
        want = strtod(cases[i].s, NULL);
        ck_assert_msg(v == want || fabs(v - want) <= 1e-15 * fabs(want),
                      "'%s' -> %.17g, want %.17g", cases[i].s, v, want);
        ck_assert_uint_eq(c, cases[i].consumed);
    }
}
END_TEST

START_TEST(udecimal_long_fraction)
{
    double v;
    size_t c;
    const char *s = "0.1234567890123456789012345678901234567890";
    ck_assert_int_eq(udec_of(s, &v, &c), 1);
    ck_assert_uint_eq(c, strlen(s));
    ck_assert_double_eq_tol(v, 0.12345678901234567890, 1e-15);
    s = "7.00000000000000000000000000000000000000000000000000001";
    ck_assert_int_eq(udec_of(s, &v, &c), 1);
    ck_assert_uint_eq(c, strlen(s));
    ck_assert_double_eq_tol(v, 7.0, 1e-15);
}
END_TEST

START_TEST(udecimal_rejects)
{
    static const char *const bad[] = {
        "", "  ", ".5", "1.", "1.x", "-1.5", "+1.5", "abc", "x1.5",
        "18446744073709551616.5", /* integer part overflows */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v;
        size_t c;
        ck_assert_msg(udec_of(bad[i], &v, &c) == 0, "'%s' accepted as %g", bad[i], v);
        ck_assert_msg(c == 0, "'%s' moved the pointer by %zu", bad[i], c);
    }
}
END_TEST

START_TEST(udecimal_respects_end)
{
    /* "3.14" cut after "3." : the dot at the end has no digit -> rejected. */
    char *b = malloc(4);
    const char *p = b;
    double v;
    memcpy(b, "3.14", 4);
    ck_assert_int_eq(pp_udecimal(&p, b + 2, &v), 0);
    ck_assert_ptr_eq(p, b);
    /* cut after "3.1" */
    ck_assert_int_eq(pp_udecimal(&p, b + 3, &v), 1);
    ck_assert_double_eq_tol(v, 3.1, 1e-15);
    ck_assert_ptr_eq(p, b + 3);
    free(b);
}
END_TEST

START_TEST(skip_blanks)
{
    size_t n;
    char *b = exact(" \t \tx", &n);
    const char *p = b;
    pp_skip_blanks(&p, b + n);
    ck_assert_ptr_eq(p, b + 4);
    free(b);

    b = exact(" \n ", &n);
    p = b;
    pp_skip_blanks(&p, b + n);
    ck_assert_ptr_eq(p, b + 1); /* a newline is not a blank */
    free(b);

    b = exact("    ", &n);
    p = b;
    pp_skip_blanks(&p, b + n);
    ck_assert_ptr_eq(p, b + n); /* stops at end */
    free(b);

    b = exact("abc", &n);
    p = b;
    pp_skip_blanks(&p, b + n);
    ck_assert_ptr_eq(p, b);
    free(b);
}
END_TEST

START_TEST(next_line)
{
    size_t n;
    char *b = exact("ab\ncd\n\nlast", &n);
    const char *p = b, *q;
    q = pp_next_line(p, b + n);
    ck_assert_ptr_eq(q, b + 3);
    q = pp_next_line(q, b + n);
    ck_assert_ptr_eq(q, b + 6);
    q = pp_next_line(q, b + n); /* the empty line */
    ck_assert_ptr_eq(q, b + 7);
    ck_assert_ptr_null(pp_next_line(q, b + n)); /* last line has no '\n' */
    ck_assert_ptr_null(pp_next_line(b + n, b + n)); /* empty range */
    /* a '\n' beyond end does not count */
    ck_assert_ptr_null(pp_next_line(b, b + 2));
    ck_assert_ptr_eq(pp_next_line(b, b + 3), b + 3);
    free(b);
}
END_TEST

/* pp_digits on @s: its result, the value and how many bytes it consumed. */
static int digits_of(const char *s, uint64_t *v, size_t *consumed)
{
    size_t n;
    char *b = exact(s, &n);
    const char *p = b;
    int r;
    *v = 0xdeadbeef;
    r = pp_digits(&p, b + n, v);
    *consumed = (size_t)(p - b);
    free(b);
    return r;
}

START_TEST(digits_values)
{
    static const struct {
        const char *s;
        int r;
        uint64_t v;
        size_t used;
    } cases[] = {
        {"0", PP_OK, 0, 1},
        {"42 7", PP_OK, 42, 2},
        {"123x", PP_OK, 123, 3},
        {"9223372036854775808", PP_OK, 9223372036854775808ULL, 19},
        {"9999999999999999999", PP_OK, 9999999999999999999ULL, 19}, /* 19 digits: the fast path */
        {"18446744073709551615", PP_OK, UINT64_MAX, 20},
        {"00000000000000000000000001", PP_OK, 1, 26},             /* long but small */
        {"18446744073709551616", PP_OVER, UINT64_MAX, 20},
        {"99999999999999999999999 1", PP_OVER, UINT64_MAX, 23},    /* consumed whole */
        {"184467440737095516150", PP_OVER, UINT64_MAX, 21},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t v;
        size_t used;
        int r = digits_of(cases[i].s, &v, &used);
        ck_assert_msg(r == cases[i].r, "'%s': %d", cases[i].s, r);
        ck_assert_msg(v == cases[i].v, "'%s': %llu", cases[i].s, (unsigned long long)v);
        ck_assert_msg(used == cases[i].used, "'%s': %zu used", cases[i].s, used);
    }
}
END_TEST

START_TEST(digits_none)
{
    /* no blank skipped, no sign, nothing consumed, *out untouched */
    static const char *const bad[] = {"", " 1", "\t1", "-1", "+1", "x1", ".5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t v;
        size_t used;
        ck_assert_int_eq(digits_of(bad[i], &v, &used), PP_NONE);
        ck_assert_uint_eq(used, 0);
        ck_assert_uint_eq(v, 0xdeadbeef);
    }
}
END_TEST

START_TEST(digits_respect_end)
{
    /* the end pointer cuts the run, whatever follows in memory */
    static const char s[] = "12345678901234567890123";
    for (size_t cut = 0; cut < sizeof s - 1; cut++) {
        const char *p = s;
        uint64_t v = 7, want = 0;
        int r = pp_digits(&p, s + cut, &v);
        ck_assert_uint_eq((size_t)(p - s), cut);
        if (cut == 0) {
            ck_assert_int_eq(r, PP_NONE);
            continue;
        }
        for (size_t k = 0; k < cut && k < 20; k++) want = want * 10 + (uint64_t)(s[k] - '0');
        if (cut <= 20) { /* 12345678901234567890 still fits */
            ck_assert_int_eq(r, PP_OK);
            ck_assert_uint_eq(v, want);
        } else {
            ck_assert_int_eq(r, PP_OVER);
            ck_assert_uint_eq(v, UINT64_MAX);
        }
    }
}
END_TEST

static Suite *procparse_suite(void)
{
    Suite *s = suite_create("procparse");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, u64_basic);
    tcase_add_test(tc, digits_values);
    tcase_add_test(tc, digits_none);
    tcase_add_test(tc, digits_respect_end);
    tcase_add_test(tc, u64_skips_blanks_not_newlines);
    tcase_add_test(tc, u64_max_and_overflow);
    tcase_add_test(tc, u64_rejects);
    tcase_add_test(tc, u64_respects_end);
    tcase_add_test(tc, udecimal_valid);
    tcase_add_test(tc, udecimal_long_fraction);
    tcase_add_test(tc, udecimal_rejects);
    tcase_add_test(tc, udecimal_respects_end);
    tcase_add_test(tc, skip_blanks);
    tcase_add_test(tc, next_line);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(procparse_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
