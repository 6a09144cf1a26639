/*
 * Unit tests of lineproto: escaping, series prefixes, number formatting and
 * line encoding, checked against InfluxDB 1.x's line protocol rules.
 */
#include <check.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lineproto.h"

/* ---- lp_escape ---------------------------------------------------------- */

static void check_escape(const char *in, enum lp_context ctx, const char *want)
{
    char buf[256];
    size_t n;
    memset(buf, 'Z', sizeof buf);
    n = lp_escape(buf, sizeof buf, in, ctx);
    ck_assert_msg(strcmp(buf, want) == 0, "escape(%s, ctx %d) = '%s', want '%s'", in, (int)ctx, buf,
                  want);
    ck_assert_uint_eq(n, strlen(want));
}

START_TEST(escape_measurement)
{
    /* measurement: ',' and ' ' escaped; '=', '"' and '\' are literal */
    check_escape("cpu", LP_MEASUREMENT, "cpu");
    check_escape("a,b", LP_MEASUREMENT, "a\\,b");
    check_escape("a b", LP_MEASUREMENT, "a\\ b");
    check_escape("a=b", LP_MEASUREMENT, "a=b");
    check_escape("a\"b", LP_MEASUREMENT, "a\"b");
    check_escape("a\\b", LP_MEASUREMENT, "a\\b");
    check_escape(",lead", LP_MEASUREMENT, "\\,lead");
    check_escape("trail ", LP_MEASUREMENT, "trail\\ ");
    check_escape("=x", LP_MEASUREMENT, "=x");
    check_escape(", ,", LP_MEASUREMENT, "\\,\\ \\,");
    check_escape("", LP_MEASUREMENT, "");
}
END_TEST

START_TEST(escape_key)
{
    /* tag keys, tag values, field keys: ',', '=' and ' ' escaped */
    check_escape("host", LP_KEY, "host");
    check_escape("a,b", LP_KEY, "a\\,b");
    check_escape("a=b", LP_KEY, "a\\=b");
    check_escape("a b", LP_KEY, "a\\ b");
    check_escape("a\"b", LP_KEY, "a\"b");
    check_escape("a\\b", LP_KEY, "a\\b");
    check_escape("=", LP_KEY, "\\=");
    check_escape(" = , ", LP_KEY, "\\ \\=\\ \\,\\ ");
    check_escape("web 1", LP_KEY, "web\\ 1");
    check_escape("x=y,z w", LP_KEY, "x\\=y\\,z\\ w");
}
END_TEST

START_TEST(escape_string)
{
    /* string field values: '"' and '\' escaped; ',', '=' and ' ' literal */
    check_escape("plain", LP_STRING, "plain");
    check_escape("a\"b", LP_STRING, "a\\\"b");
    check_escape("a\\b", LP_STRING, "a\\\\b");
    check_escape("a,b c=d", LP_STRING, "a,b c=d");
    check_escape("\"", LP_STRING, "\\\"");
    check_escape("\\", LP_STRING, "\\\\");
    check_escape("\\\"", LP_STRING, "\\\\\\\"");
    check_escape("end\\", LP_STRING, "end\\\\");
}
END_TEST

START_TEST(escape_truncates)
{
    char buf[8];
    size_t n;
    memset(buf, 'Z', sizeof buf);
    n = lp_escape(buf, 4, "a,b,c", LP_KEY); /* escaped: a\,b\,c (7) */
    ck_assert_uint_eq(n, 7);
    ck_assert_str_eq(buf, "a\\,");
    ck_assert_int_eq(buf[4], 'Z'); /* nothing beyond cap */
    memset(buf, 'Z', sizeof buf);
    n = lp_escape(buf, 0, "abc", LP_KEY);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(buf[0], 'Z'); /* cap 0: nothing written */
    n = lp_escape(buf, 1, "abc", LP_KEY);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(buf[0], '\0');
    /* exactly fits: length 4 needs cap 5 */
    n = lp_escape(buf, 5, "a b", LP_MEASUREMENT);
    ck_assert_uint_eq(n, 4);
    ck_assert_str_eq(buf, "a\\ b");
}
END_TEST

/* ---- lp_series_build ---------------------------------------------------- */

START_TEST(series_sorted_and_escaped)
{
    char buf[256];
    struct lp_tag tags[] = {{"host", "web 1"}, {"cpu", "cpu0"}};
    size_t n = lp_series_build(buf, sizeof buf, "cpu", tags, 2);
    ck_assert_str_eq(buf, "cpu,cpu=cpu0,host=web\\ 1 ");
    ck_assert_uint_eq(n, strlen("cpu,cpu=cpu0,host=web\\ 1 "));
}
END_TEST

START_TEST(series_sort_order)
{
    char buf[256];
    struct lp_tag tags[] = {{"zone", "z"}, {"b", "2"}, {"a", "1"}, {"B", "3"}, {"ab", "4"},
                            {"_x", "5"}};
    lp_series_build(buf, sizeof buf, "m", tags, 6);
    /* byte order of the keys: "B" < "_x" < "a" < "ab" < "b" < "zone" */
    ck_assert_str_eq(buf, "m,B=3,_x=5,a=1,ab=4,b=2,zone=z ");
}
END_TEST

START_TEST(series_tricky_escapes)
{
    char buf[256];
    struct lp_tag tags[] = {
        {"k=1", "v=1"}, {"k 2", "v,2"}, {"k,3", "v 3"}, {"q\"", "b\\s"},
    };
    lp_series_build(buf, sizeof buf, "my meas,x=y", tags, 4);
    /* sorted by the unescaped key: "k 2" (0x20) < "k,3" (0x2c) < "k=1" (0x3d) < "q\"" */
    ck_assert_str_eq(buf, "my\\ meas\\,x=y,k\\ 2=v\\,2,k\\,3=v\\ 3,k\\=1=v\\=1,q\"=b\\s ");
}
END_TEST

START_TEST(series_drops_empty_values)
{
    char buf[256];
    struct lp_tag tags[] = {{"a", ""}, {"b", "x"}, {"c", NULL}, {"d", "y"}};
    size_t n = lp_series_build(buf, sizeof buf, "mem", tags, 4);
    ck_assert_str_eq(buf, "mem,b=x,d=y ");
    ck_assert_uint_eq(n, 12);
    n = lp_series_build(buf, sizeof buf, "mem", tags, 1); /* only the empty one */
    ck_assert_str_eq(buf, "mem ");
    ck_assert_uint_eq(n, 4);
    n = lp_series_build(buf, sizeof buf, "mem", NULL, 0);
    ck_assert_str_eq(buf, "mem ");
    ck_assert_uint_eq(n, 4);
}
END_TEST

START_TEST(series_refuses_a_key_twice)
{
    /* InfluxDB rejects "duplicate tags" and drops the whole datagram with it */
    char buf[256];
    struct lp_tag dup[] = {{"type", "prod"}, {"host", "h"}, {"type", "some"}};
    struct lp_tag first[] = {{"type", "x"}, {"type", "y"}};
    struct lp_tag empty[] = {{"type", ""}, {"host", "h"}, {"type", "some"}}; /* the empty one is dropped */
    ck_assert_uint_eq(lp_series_build(buf, sizeof buf, "pressure", dup, 3), 0);
    ck_assert_uint_eq(lp_series_build(buf, sizeof buf, "pressure", first, 2), 0);
    ck_assert_uint_eq(lp_series_build(buf, sizeof buf, "pressure", empty, 3), strlen("pressure,host=h,type=some "));
    ck_assert_str_eq(buf, "pressure,host=h,type=some ");
}
END_TEST

START_TEST(series_too_long)
{
    struct lp_tag tags[] = {{"host", "a b"}};
    const char *want = "sys,host=a\\ b "; /* 14 bytes */
    size_t len = strlen(want);
    char *buf;
    /* exactly len + 1 bytes (the NUL): fits; malloc'd to catch overruns */
    buf = malloc(len + 1);
    ck_assert_uint_eq(lp_series_build(buf, len + 1, "sys", tags, 1), len);
    ck_assert_str_eq(buf, want);
    free(buf);
    for (size_t cap = 1; cap <= len; cap++) {
        buf = malloc(cap);
        ck_assert_msg(lp_series_build(buf, cap, "sys", tags, 1) == 0, "cap %zu accepted", cap);
        free(buf);
    }
    buf = malloc(1);
    ck_assert_uint_eq(lp_series_build(buf, 0, "sys", tags, 1), 0);
    free(buf);
}
END_TEST

START_TEST(series_empty_measurement_and_too_many_tags)
{
    char buf[4096];
    struct lp_tag tags[LP_MAX_TAGS + 1];
    char keys[LP_MAX_TAGS + 1][8];
    for (int i = 0; i <= LP_MAX_TAGS; i++) {
        snprintf(keys[i], sizeof keys[i], "k%02d", i);
        tags[i].key = keys[i];
        tags[i].value = "v";
    }
    ck_assert_uint_eq(lp_series_build(buf, sizeof buf, "", tags, 1), 0);
    ck_assert_uint_gt(lp_series_build(buf, sizeof buf, "m", tags, LP_MAX_TAGS), 0);
    ck_assert_uint_eq(lp_series_build(buf, sizeof buf, "m", tags, LP_MAX_TAGS + 1), 0);
}
END_TEST

/*
 * InfluxDB 1.x's scanner (models/points.go scanTagsKey/scanTagsValue) treats a
 * delimiter as escaped whenever the byte before it is a backslash. Split a
 * series prefix the way it does: measurement, then key=value pairs, up to the
 * first unescaped space. Returns the number of tags, or -1 on a parse error;
 * *end receives the index of the space that ends the series.
 */
static int influx_split(const char *s, size_t len, size_t *end)
{
    size_t i = 0;
    int tags = 0;
#define UNESC(j) ((j) == 0 || s[(j) - 1] != '\\')
    while (i < len && !((s[i] == ',' || s[i] == ' ') && UNESC(i))) i++;
    while (i < len && s[i] == ',') {
        i++;
        while (i < len && !(s[i] == '=' && UNESC(i))) {
            if ((s[i] == ',' || s[i] == ' ') && UNESC(i)) return -1; /* missing tag value */
            i++;
        }
        if (i >= len) return -1;
        i++;
        if (i >= len || s[i] == ',' || s[i] == ' ') return -1;
        while (i < len && !((s[i] == ',' || s[i] == ' ') && UNESC(i))) {
            if (s[i] == '=' && UNESC(i)) return -1; /* invalid tag format */
            i++;
        }
        tags++;
    }
#undef UNESC
    if (i >= len || s[i] != ' ') return -1;
    *end = i;
    return tags;
}

START_TEST(series_rejects_newlines)
{
    /* Found by fuzz_lineproto: a newline ends the line wherever it stands,
     * and no escape exists for it. */
    char buf[256];
    struct lp_tag ok[] = {{"host", "web1"}}, v[] = {{"host", "web\n1"}}, k[] = {{"ho\nst", "web1"}};
    ck_assert_uint_gt(lp_series_build(buf, sizeof buf, "cpu", ok, 1), 0);
    ck_assert_uint_eq(lp_series_build(buf, sizeof buf, "cpu", v, 1), 0);
    ck_assert_uint_eq(lp_series_build(buf, sizeof buf, "cpu", k, 1), 0);
    ck_assert_uint_eq(lp_series_build(buf, sizeof buf, "c\npu", ok, 1), 0);
    ck_assert_int_eq(lp_representable("a\nb", LP_STRING), 1); /* fine inside a quoted string */
}
END_TEST

START_TEST(encode_fits_in_line_max_with_longest_key)
{
    /* Found by fuzz_lineproto: with a 64-byte key, cap == lp_line_max(plen, 1)
     * was one byte short of what lp_encode keeps free. */
    static const char key[] = "k123456789012345678901234567890123456789012345678901234567890123";
    struct sample_field f;
    char buf[512];
    size_t cap = lp_line_max(2, 1);
    ck_assert_uint_eq(strlen(key), 64);
    ck_assert_uint_le(cap, sizeof buf);
    sample_int(&f, key, INT64_MIN);
    ck_assert_uint_gt(lp_encode(buf, cap, "m ", 2, &f, 1, INT64_MIN), 0);
}
END_TEST

START_TEST(series_splits_as_influxdb_does)
{
    /* Backslashes and delimiters in every position: InfluxDB must see exactly
     * the measurement, the tags and the end of the series that were meant. */
    /* ok = 0: InfluxDB 1.x takes a delimiter right after a backslash as escaped
     * (checked against influxd 1.6.7: "m,host=trail\\\\ v=1" is a 400), so a name
     * or value ending in a backslash cannot be written; lp_series_build refuses
     * it (returns 0) rather than emit a prefix that parses into other tags. */
    static const struct {
        const char *m, *k1, *v1, *k2, *v2;
        int ok;
    } cases[] = {
        {"cpu", "host", "web 1", "dc", "a,b=c", 1},
        {"a b,c", "k=1", "v=1", "k 2", "v 2", 1},
        {"m", "host", "a\\b", "path", "\\x", 1},     /* backslash inside and leading */
        {"m", "host", "web\\", "dc", "eu", 0},          /* tag value ends in a backslash */
        {"m", "dc", "eu", "host", "web\\", 0},          /* ... as the last tag */
        {"m", "k\\", "v", "dc", "eu", 0},               /* tag key ends in a backslash */
        {"m\\", "host", "h", "dc", "eu", 0},            /* measurement ends in a backslash */
        {"m", "host", "trail\\\\", "dc", "eu", 0},    /* two trailing backslashes */
        {"m", "host", "x\\,", "dc", "eu", 1},           /* backslash before an escaped char */
        {"m", "host", "x", "dc", "\\ ", 1},             /* ... a space */
        {"m", "host", "x\\\\,y", "dc", "\\\\ z", 1},  /* runs before escaped chars */
        {"m\\ x", "host", "h", "dc", "eu", 1},          /* measurement: backslash before space */
        {"m\\=x", "host", "h", "dc", "eu", 1},          /* '=' needs no escape in a measurement */
    };
    char bad[1024] = "";
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[256];
        struct lp_tag tags[] = {{cases[i].k1, cases[i].v1}, {cases[i].k2, cases[i].v2}};
        size_t n = lp_series_build(buf, sizeof buf, cases[i].m, tags, 2), end = 0;
        int got;
        if (!cases[i].ok) {
            ck_assert_msg(n == 0, "case %zu: unrepresentable input built '%s'", i, buf);
            continue;
        }
        ck_assert_uint_gt(n, 0);
        got = influx_split(buf, n, &end);
        if (got != 2 || end != n - 1) {
            size_t l = strlen(bad);
            snprintf(bad + l, sizeof bad - l, " [case %zu: '%s' -> %d tags]", i, buf, got);
        }
    }
    ck_assert_msg(bad[0] == '\0', "InfluxDB would misparse:%s", bad);
}
END_TEST

/* ---- lp_format_int ------------------------------------------------------ */

static void check_int(int64_t v)
{
    char buf[32], want[32];
    size_t n;
    memset(buf, 'Z', sizeof buf);
    n = lp_format_int(buf, v);
    snprintf(want, sizeof want, "%" PRId64, v);
    ck_assert_uint_eq(n, strlen(want));
    ck_assert_uint_le(n, 20);
    ck_assert_msg(memcmp(buf, want, n) == 0, "format_int(%s) = '%.*s'", want, (int)n, buf);
}

START_TEST(format_int)
{
    static const int64_t vals[] = {
        0, -1, 1, 9, 10, 99, 100, 101, 999, 1000, -10, -99, -100, 1234567890,
        INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1, 1000000000000000000LL,
        -1000000000000000000LL, 1700000000000000000LL,
    };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) check_int(vals[i]);
    /* a sweep of every digit length and the pair boundaries */
    for (int64_t p = 1; p < INT64_MAX / 10; p *= 10) {
        check_int(p);
        check_int(p - 1);
        check_int(p + 1);
        check_int(-p);
        check_int(-p + 1);
    }
}
END_TEST

START_TEST(format_int_exact_strings)
{
    char buf[32];
    size_t n = lp_format_int(buf, INT64_MIN);
    ck_assert_uint_eq(n, 20);
    ck_assert_int_eq(memcmp(buf, "-9223372036854775808", 20), 0);
    n = lp_format_int(buf, INT64_MAX);
    ck_assert_uint_eq(n, 19);
    ck_assert_int_eq(memcmp(buf, "9223372036854775807", 19), 0);
    n = lp_format_int(buf, 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(buf[0], '0');
    n = lp_format_int(buf, -1);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(memcmp(buf, "-1", 2), 0);
}
END_TEST

/* ---- lp_format_float ---------------------------------------------------- */

static const char *ffmt(double v, char *buf)
{
    size_t n = lp_format_float(buf, v);
    ck_assert_uint_le(n, 32);
    buf[n] = '\0';
    return buf;
}

/* A float InfluxDB accepts: digits, optional '-', '.', exponent; no 'i' suffix, no "-0". */
static void check_float_syntax(const char *s, double v)
{
    char *end;
    double back;
    ck_assert_msg(s[0] != '\0', "%.17g formatted as empty", v);
    ck_assert_msg(strspn(s, "-+.0123456789e") == strlen(s), "'%s' has a bad character", s);
    back = strtod(s, &end);
    ck_assert_msg(*end == '\0', "'%s' does not parse whole", s);
    ck_assert_msg(back != 0 || s[0] != '-', "%.17g printed as negative zero '%s'", v, s);
}

START_TEST(format_float_table)
{
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {0.0, "0"},
        {100.0, "100"},
        {0.5, "0.5"},
        {33.333333333, "33.333333333"},
        {-2.5, "-2.5"},
        {-100.0, "-100"},
        {1.0, "1"},
        {10.0, "10"},
        {0.1, "0.1"},
        {0.25, "0.25"},
        {12.125, "12.125"},
        {99.9, "99.9"},
        {0.0001, "0.0001"},
        {100000000.0, "100000000"},
        {0.9999999999, "0.9999999999"},    /* 15 significant digits keep it */
        {0.99999999999999994, "1"},        /* rounds up at the 15th digit */
        {99.999999999999986, "100"},       /* carries into the integer part */
        {99.9999999996, "99.9999999996"},
        {1.0000000001, "1.0000000001"},
        {1.0000000000000002, "1"},         /* trailing zeros trimmed, no "1." */
        {2.00000000049, "2.00000000049"},
        {0.123456789012345678, "0.123456789012346"},
        {-0.99999999999999994, "-1"},
        {-0.9999999999, "-0.9999999999"},
        {-33.333333333, "-33.333333333"},
        {0.000123, "0.000123"},
        {5.000000001, "5.000000001"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        ck_assert_msg(strcmp(ffmt(cases[i].v, buf), cases[i].want) == 0,
                      "format_float(%.17g) = '%s', want '%s'", cases[i].v, buf, cases[i].want);
    }
}
END_TEST

START_TEST(format_float_negative_zero)
{
    char buf[64];
    ck_assert_str_eq(ffmt(-0.0, buf), "0");
    /* tiny negatives that round to zero at 9 decimals must not print "-0" either */
    ck_assert_str_ne(ffmt(-1e-10, buf), "-0");
    ck_assert_str_ne(ffmt(-4e-10, buf), "-0");
    check_float_syntax(ffmt(-4e-10, buf), -4e-10);
}
END_TEST

START_TEST(format_float_rare_magnitudes)
{
    /* outside the fixed-notation range: "%.17g" (exact) */
    static const double vals[] = {1e-9, 1e20, -1e20, 1e9, 5e-5, -5e-5, 1.5e15, DBL_MAX, -DBL_MAX,
                                  DBL_MIN, 4.9406564584124654e-324, 123456789012.5, 1e-300};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        char buf[64], want[64];
        snprintf(want, sizeof want, "%.17g", vals[i]);
        ck_assert_str_eq(ffmt(vals[i], buf), want);
        check_float_syntax(buf, vals[i]);
        ck_assert_msg(strtod(buf, NULL) == vals[i], "'%s' does not round-trip", buf);
    }
}
END_TEST

START_TEST(format_float_non_finite)
{
    char buf[64];
    ck_assert_uint_eq(lp_format_float(buf, NAN), 0);
    ck_assert_uint_eq(lp_format_float(buf, -NAN), 0);
    ck_assert_uint_eq(lp_format_float(buf, INFINITY), 0);
    ck_assert_uint_eq(lp_format_float(buf, -INFINITY), 0);
}
END_TEST

/* The round-trip sweep: mantissas across every decade from 1e-12 to 1e20. */
static int sweep_value(int i, double *v)
{
    static const double mant[] = {1.0, 1.23456789012345, 2.5, 3.14159265358979, 4.99999999999,
                                  6.02214076, 7.7777777777777, 9.87654321098765, 9.99999999999};
    int nm = (int)(sizeof mant / sizeof mant[0]);
    int e = i / (2 * nm) - 12, m = i % nm, neg = (i / nm) % 2;
    if (e > 20) return 0;
    *v = mant[m] * pow(10, e) * (neg ? -1 : 1);
    return 1;
}

START_TEST(format_float_roundtrip_contract)
{
    /* What the header promises: exact (%.17g) outside [1e-4, 1e9), 9 decimals inside,
     * so at most 5e-10 absolute error there (plus the rounding of v * 1e9). */
    double v;
    for (int i = 0; sweep_value(i, &v); i++) {
        char buf[64];
        double back, a = fabs(v), tol;
        ffmt(v, buf);
        check_float_syntax(buf, v);
        back = strtod(buf, NULL);
        tol = (a < 1e-4 || a >= 1e9) ? 0 : 5e-10 + a * 4e-16;
        ck_assert_msg(fabs(back - v) <= tol, "%.17g -> '%s' (error %g > %g)", v, buf,
                      fabs(back - v), tol);
    }
}
END_TEST

START_TEST(format_float_roundtrip_relative)
{
    /* Every value of the sweep reads back within 1e-9 relative error. */
    double v;
    int bad = 0;
    char first[160] = "";
    for (int i = 0; sweep_value(i, &v); i++) {
        char buf[64];
        double back;
        ffmt(v, buf);
        back = strtod(buf, NULL);
        if (fabs(back - v) > 1e-9 * fabs(v)) {
            if (!bad++)
                snprintf(first, sizeof first, "%.17g -> '%s' (relative error %.3g)", v, buf,
                         fabs(back - v) / fabs(v));
        }
    }
    ck_assert_msg(bad == 0, "%d values lose more than 1e-9 relative; first: %s", bad, first);
}
END_TEST

START_TEST(format_float_roundtrip_percent_sweep)
{
    /* Percentages as the collectors produce them: 100 * a / b. */
    for (int b = 1; b <= 997; b += 3)
        for (int a = 0; a <= b; a += 1 + b / 50) {
            double v = 100.0 * a / b;
            char buf[64];
            double back;
            ffmt(v, buf);
            check_float_syntax(buf, v);
            back = strtod(buf, NULL);
            ck_assert_msg(fabs(back - v) <= 1e-9 * (v > 1 ? v : 1), "%.17g -> '%s'", v, buf);
        }
}
END_TEST

/* ---- lp_encode ---------------------------------------------------------- */

static size_t encode(char *buf, size_t cap, const char *prefix, const struct sample_field *f, int n,
                     int64_t ts)
{
    return lp_encode(buf, cap, prefix, strlen(prefix), f, n, ts);
}

START_TEST(encode_int_and_float)
{
    char buf[512];
    struct sample_field f[3];
    const char *want = "mem,host=h total=8192i,used_percent=12.5,zero=0i 1700000000000000000\n";
    size_t n;
    sample_int(&f[0], "total", 8192);
    sample_float(&f[1], "used_percent", 12.5);
    sample_int(&f[2], "zero", 0);
    n = encode(buf, sizeof buf, "mem,host=h ", f, 3, 1700000000000000000LL);
    ck_assert_uint_eq(n, strlen(want));
    ck_assert_int_eq(memcmp(buf, want, n), 0);
}
END_TEST

START_TEST(encode_skips_non_finite)
{
    char buf[512];
    struct sample_field f[5];
    const char *want = "cpu,cpu=cpu0 b=1i,d=-0.25 42\n";
    size_t n;
    sample_float(&f[0], "a", NAN);
    sample_int(&f[1], "b", 1);
    sample_float(&f[2], "c", INFINITY);
    sample_float(&f[3], "d", -0.25);
    sample_float(&f[4], "e", -INFINITY);
    n = encode(buf, sizeof buf, "cpu,cpu=cpu0 ", f, 5, 42);
    ck_assert_uint_eq(n, strlen(want));
    ck_assert_int_eq(memcmp(buf, want, n), 0);
}
END_TEST

START_TEST(encode_all_nan_is_no_line)
{
    char buf[512];
    struct sample_field f[3];
    sample_float(&f[0], "a", NAN);
    sample_float(&f[1], "b", INFINITY);
    sample_float(&f[2], "c", -NAN);
    ck_assert_uint_eq(encode(buf, sizeof buf, "m ", f, 3, 1), 0);
    ck_assert_uint_eq(encode(buf, sizeof buf, "m ", f, 0, 1), 0);
}
END_TEST

START_TEST(encode_timestamps)
{
    static const int64_t ts[] = {0, 1, 1700000000, 1700000000123, 1700000000123456789LL, INT64_MAX,
                                 -1, INT64_MIN};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        char buf[256], want[256];
        struct sample_field f;
        size_t n;
        sample_int(&f, "v", -7);
        snprintf(want, sizeof want, "m v=-7i %" PRId64 "\n", ts[i]);
        n = encode(buf, sizeof buf, "m ", &f, 1, ts[i]);
        ck_assert_uint_eq(n, strlen(want));
        ck_assert_int_eq(memcmp(buf, want, n), 0);
    }
}
END_TEST

START_TEST(encode_extreme_values_within_line_max)
{
    /* The widest values of every kind, SAMPLE_MAX_FIELDS of them, with a buffer
     * of exactly lp_line_max bytes (malloc'd: an overrun is caught). */
    struct sample_field f[SAMPLE_MAX_FIELDS];
    static char keys[SAMPLE_MAX_FIELDS][64];
    const char *prefix = "cpu,cpu=cpu-total,host=a\\ very\\ long\\ host\\ name ";
    size_t plen = strlen(prefix), cap = lp_line_max(plen, SAMPLE_MAX_FIELDS), n;
    char *buf = malloc(cap);
    for (int i = 0; i < SAMPLE_MAX_FIELDS; i++) {
        snprintf(keys[i], sizeof keys[i], "a_rather_long_field_key_of_forty_chars_%02d", i);
        if (i % 3 == 0)
            sample_int(&f[i], keys[i], INT64_MIN);
        else if (i % 3 == 1)
            sample_float(&f[i], keys[i], -2.2250738585072014e-308);
        else
            sample_float(&f[i], keys[i], -123456789.123456789);
    }
    n = lp_encode(buf, cap, prefix, plen, f, SAMPLE_MAX_FIELDS, INT64_MIN);
    ck_assert_uint_gt(n, 0);
    ck_assert_uint_le(n, cap);
    ck_assert_int_eq(buf[n - 1], '\n');
    ck_assert_int_eq(memcmp(buf, prefix, plen), 0);
    free(buf);
}
END_TEST

START_TEST(encode_too_small)
{
    char buf[64];
    struct sample_field f;
    sample_float(&f, "usage_idle", 99.5);
    /* Far too small for prefix + field + timestamp */
    ck_assert_uint_eq(encode(buf, 10, "cpu,cpu=cpu0 ", &f, 1, 1700000000000000000LL), 0);
    ck_assert_uint_eq(encode(buf, 0, "cpu,cpu=cpu0 ", &f, 1, 1), 0);
}
END_TEST

START_TEST(encode_parses_back)
{
    /* Each field reads back: key=value pairs separated by ',', floats by strtod. */
    char buf[1024];
    struct sample_field f[4];
    char *p, *sp;
    size_t n;
    sample_float(&f[0], "usage_user", 100.0 * 7 / 13);
    sample_float(&f[1], "usage_system", 1e-7);
    sample_int(&f[2], "total", 8388608000LL);
    sample_float(&f[3], "big", 3.5e12);
    n = encode(buf, sizeof buf - 1, "cpu ", f, 4, 99);
    ck_assert_uint_gt(n, 0);
    buf[n] = '\0';
    p = buf + 4;
    sp = strchr(p, ' ');
    ck_assert_ptr_nonnull(sp);
    *sp = '\0';
    ck_assert_str_eq(sp + 1, "99\n");
    for (int i = 0; i < 4; i++) {
        char *comma = strchr(p, ','), *eq = strchr(p, '=');
        if (comma) *comma = '\0';
        ck_assert_ptr_nonnull(eq);
        *eq = '\0';
        ck_assert_str_eq(p, f[i].key);
        if (f[i].type == SAMPLE_INT) {
            char *end;
            ck_assert_int_eq(strtoll(eq + 1, &end, 10), f[i].v.i);
            ck_assert_str_eq(end, "i");
        } else {
            char *end;
            double back = strtod(eq + 1, &end);
            ck_assert_str_eq(end, "");
            ck_assert_double_eq_tol(back, f[i].v.f, 1e-9 * fabs(f[i].v.f));
        }
        p = comma ? comma + 1 : NULL;
        ck_assert(p != NULL || i == 3);
    }
}
END_TEST

/* String fields (system's uptime_format): quoted, '"' and '\\' escaped, never longer than promised. */
START_TEST(encode_string_fields)
{
    struct sample_field f[4];
    char line[512];
    size_t n;
    sample_int(&f[0], "uptime", 12346);
    sample_string(&f[1], "uptime_format", " 3:25");
    n = lp_encode(line, sizeof line, "system,host=h ", 14, f, 2, 7);
    ck_assert_uint_eq(n, strlen("system,host=h uptime=12346i,uptime_format=\" 3:25\" 7\n"));
    ck_assert(memcmp(line, "system,host=h uptime=12346i,uptime_format=\" 3:25\" 7\n", n) == 0);

    sample_string(&f[0], "s", "4 days,  1:25");
    sample_string(&f[1], "q", "a\"b\\c=d e,f");
    n = lp_encode(line, sizeof line, "m ", 2, f, 2, 1);
    ck_assert(memcmp(line, "m s=\"4 days,  1:25\",q=\"a\\\"b\\\\c=d e,f\" 1\n", n) == 0);

    /* empty: "" */
    sample_string(&f[0], "s", "");
    n = lp_encode(line, sizeof line, "m ", 2, f, 1, 1);
    ck_assert(memcmp(line, "m s=\"\" 1\n", n) == 0);

    /* longer than SAMPLE_STRING_MAX, or with a newline: left out */
    sample_string(&f[0], "long", "0123456789012345678901234567890123"); /* 34 */
    sample_string(&f[1], "nl", "a\nb");
    sample_int(&f[2], "i", 1);
    n = lp_encode(line, sizeof line, "m ", 2, f, 3, 1);
    ck_assert(memcmp(line, "m i=1i 1\n", n) == 0);
    ck_assert_uint_eq(lp_encode(line, sizeof line, "m ", 2, f, 2, 1), 0);

    /* every byte escaped, at the limit: lp_line_max still holds */
    {
        static char all[SAMPLE_STRING_MAX + 1];
        char *tight;
        size_t cap = lp_line_max(2, 1);
        memset(all, '"', SAMPLE_STRING_MAX);
        sample_string(&f[0], "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl", all); /* 64-byte key */
        tight = malloc(cap);
        n = lp_encode(tight, cap, "m ", 2, f, 1, INT64_MIN);
        ck_assert_uint_gt(n, 0);
        ck_assert_uint_le(n, cap);
        free(tight);
    }
}
END_TEST

static Suite *lineproto_suite(void)
{
    Suite *s = suite_create("lineproto");
    TCase *tc = tcase_create("escape");
    tcase_add_test(tc, escape_measurement);
    tcase_add_test(tc, escape_key);
    tcase_add_test(tc, escape_string);
    tcase_add_test(tc, escape_truncates);
    tcase_add_test(tc, encode_string_fields);
    suite_add_tcase(s, tc);

    tc = tcase_create("series");
    tcase_add_test(tc, series_sorted_and_escaped);
    tcase_add_test(tc, series_sort_order);
    tcase_add_test(tc, series_tricky_escapes);
    tcase_add_test(tc, series_drops_empty_values);
    tcase_add_test(tc, series_refuses_a_key_twice);
    tcase_add_test(tc, series_too_long);
    tcase_add_test(tc, series_empty_measurement_and_too_many_tags);
    tcase_add_test(tc, series_splits_as_influxdb_does);
    tcase_add_test(tc, series_rejects_newlines);
    tcase_add_test(tc, encode_fits_in_line_max_with_longest_key);
    suite_add_tcase(s, tc);

    tc = tcase_create("numbers");
    tcase_add_test(tc, format_int);
    tcase_add_test(tc, format_int_exact_strings);
    tcase_add_test(tc, format_float_table);
    tcase_add_test(tc, format_float_negative_zero);
    tcase_add_test(tc, format_float_rare_magnitudes);
    tcase_add_test(tc, format_float_non_finite);
    tcase_add_test(tc, format_float_roundtrip_contract);
    tcase_add_test(tc, format_float_roundtrip_relative);
    tcase_add_test(tc, format_float_roundtrip_percent_sweep);
    suite_add_tcase(s, tc);

    tc = tcase_create("encode");
    tcase_add_test(tc, encode_int_and_float);
    tcase_add_test(tc, encode_skips_non_finite);
    tcase_add_test(tc, encode_all_nan_is_no_line);
    tcase_add_test(tc, encode_timestamps);
    tcase_add_test(tc, encode_extreme_values_within_line_max);
    tcase_add_test(tc, encode_too_small);
    tcase_add_test(tc, encode_parses_back);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(lineproto_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
