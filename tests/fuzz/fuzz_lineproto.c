/*
 * fuzz_lineproto: the encoder on arbitrary strings and numbers.
 *
 * Input layout (short inputs are padded with zeros):
 *   [0..8)  a double, the same bytes as an int64 (the timestamp too)
 *   [8]     a capacity selector
 *   [9..)   strings split at '\0': the measurement, then key, value pairs;
 *           the same bytes, 9 at a time (type + 8 value bytes), give fields.
 *
 * Checked:
 *  - lp_escape, every context: the length it returns, the escapes it adds, the
 *    round trip through our own unescaping, truncation to any capacity;
 *  - lp_series_build: fits exactly when the header says it fits, refuses what
 *    lp_representable refuses; what it builds
 *    reads back (lpcheck.h, modelled on InfluxDB 1.x) as the same measurement
 *    and the same tags, sorted by key, empty values dropped;
 *  - lp_format_float: 0 for NaN/Inf, else a float InfluxDB takes that strtod
 *    reads back within 1e-9 relative (5e-10 absolute for small values), with
 *    no trailing zero in fixed notation; lp_format_int: exact round trip;
 *  - lp_encode: a valid line holding every finite field and every string of
 *    at most SAMPLE_STRING_MAX bytes without a newline (taken from the input's
 *    strings, so quotes and backslashes come up), read back unescaped as it
 *    was, and none other.
 *
 * Names and values ending in a backslash must be refused (lp_representable).
 * Inputs the program cannot produce are skipped, not reported: a measurement
 * starting with '#', a tab or a space (procflux's are string literals), and
 * an empty tag key (config rejects it).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lineproto.h"
#include "lpcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_STRINGS (2 * LP_MAX_TAGS + 8)

static int escapable(char c, enum lp_context ctx)
{
    switch (ctx) {
    case LP_MEASUREMENT: return c == ',' || c == ' ';
    case LP_KEY: return c == ',' || c == '=' || c == ' ';
    default: return c == '"' || c == '\\';
    }
}

/* ---- lp_escape -------------------------------------------------------------- */

static void escape_checked(const char *s, enum lp_context ctx, unsigned char capsel)
{
    size_t n = strlen(s), want = n, r, r2, cap;
    char *full, *part, *back;
    size_t j = 0;

    for (size_t i = 0; i < n; i++) want += escapable(s[i], ctx);
    full = malloc(want + 1);
    back = malloc(n + 1);
    FUZZ_CHECK(full && back);
    r = lp_escape(full, want + 1, s, ctx);
    FUZZ_CHECK(r == want);
    FUZZ_CHECK(full[r] == '\0' && strlen(full) == r);

    /* Every escapable byte comes with its backslash; unescape it ourselves. */
    for (size_t i = 0; i < r; i++) {
        if (full[i] == '\\' && i + 1 < r && escapable(full[i + 1], ctx)) i++;
        else FUZZ_CHECK(!escapable(full[i], ctx));
        back[j++] = full[i];
    }
    back[j] = '\0';
    FUZZ_CHECK(j == n && memcmp(back, s, n) == 0);

    /* Truncated: the same length returned, a NUL-terminated prefix written. */
    cap = capsel % (want + 2);
    part = malloc(cap ? cap : 1);
    FUZZ_CHECK(part != NULL);
    r2 = lp_escape(cap ? part : NULL, cap, s, ctx);
    FUZZ_CHECK(r2 == want);
    if (cap) {
        size_t kept = want < cap - 1 ? want : cap - 1;
        FUZZ_CHECK(part[kept] == '\0' && memcmp(part, full, kept) == 0);
    }
    free(part);
    free(full);
    free(back);
}

/* ---- lp_series_build -------------------------------------------------------- */

static int ends_in_backslash(const char *s) { size_t n = strlen(s); return n && s[n - 1] == '\\'; }

/* What InfluxDB cannot carry in a name or tag value: a trailing backslash, a newline. */
static int unwritable(const char *s) { return ends_in_backslash(s) || strchr(s, '\n') != NULL; }

static void series_checked(const char **str, int nstr, unsigned char capsel)
{
    const char *measurement = str[0];
    struct lp_tag tags[LP_MAX_TAGS + 4];
    const struct lp_tag *sorted[LP_MAX_TAGS + 4];
    size_t ntags = 0, nsorted = 0, want, cap, len;
    char *dst;
    static struct lpc_line back;
    int bad;

    if (measurement[0] == '#' || measurement[0] == ' ' || measurement[0] == '\t') return;
    for (int i = 1; i + 1 < nstr && ntags < LP_MAX_TAGS + 4; i += 2) {
        if (!str[i][0]) return; /* empty key: config never passes one */
        tags[ntags].key = str[i];
        tags[ntags].value = str[i + 1];
        ntags++;
    }

    /*
     * lp_representable: a measurement, key or value ending in '\' cannot be
     * written (it would escape the delimiter after it); the build refuses it.
     */
    FUZZ_CHECK(lp_representable(measurement, LP_MEASUREMENT) == !unwritable(measurement));
    FUZZ_CHECK(lp_representable(measurement, LP_STRING) == 1);
    bad = unwritable(measurement);


    /* The expected result: stable sort by key, empty values dropped; two
       tags with values and one key make no prefix (InfluxDB: "duplicate tags"). */
    want = lp_escape(NULL, 0, measurement, LP_MEASUREMENT) + 1;
    for (size_t i = 0; i < ntags; i++) {
        size_t j = nsorted;
        FUZZ_CHECK(lp_representable(tags[i].key, LP_KEY) == !unwritable(tags[i].key));
        if (!tags[i].value[0]) continue;
        bad |= unwritable(tags[i].key) || unwritable(tags[i].value);
        for (size_t k = 0; k < i; k++)
            if (tags[k].value[0] && strcmp(tags[k].key, tags[i].key) == 0) bad = 1;
        while (j > 0 && strcmp(sorted[j - 1]->key, tags[i].key) > 0) {
            sorted[j] = sorted[j - 1];
            j--;
        }
        sorted[j] = &tags[i];
        nsorted++;
        want += 2 + lp_escape(NULL, 0, tags[i].key, LP_KEY) + lp_escape(NULL, 0, tags[i].value, LP_KEY);
    }

    cap = capsel & 0x80 ? want + 1 + (capsel & 3) : (size_t)capsel * 4;
    dst = malloc(cap ? cap : 1);
    FUZZ_CHECK(dst != NULL);
    len = lp_series_build(cap ? dst : NULL, cap, measurement, tags, ntags);
    if (!measurement[0] || ntags > LP_MAX_TAGS || bad || cap == 0 || want > cap - 1) {
        FUZZ_CHECK(len == 0);
        free(dst);
        return;
    }
    FUZZ_CHECK(len == want);
    FUZZ_CHECK(dst[len] == '\0' && dst[len - 1] == ' ');

    /* Read back as InfluxDB would. */
    FUZZ_CHECK(lpc_parse_prefix(dst, len, &back));
    FUZZ_CHECK(strcmp(back.measurement, measurement) == 0);
    FUZZ_CHECK(back.ntags == (int)nsorted);
    for (size_t i = 0; i < nsorted; i++) {
        FUZZ_CHECK(strcmp(back.tag_key[i], sorted[i]->key) == 0);
        FUZZ_CHECK(strcmp(back.tag_value[i], sorted[i]->value) == 0);
    }
    free(dst);
}

/* ---- numbers ---------------------------------------------------------------- */

static void float_checked(double v)
{
    char *out = malloc(32); /* "at most 32": ASan guards the 33rd byte */
    char tmp[40];
    struct lpc_field f;
    size_t n;

    FUZZ_CHECK(out != NULL);
    n = lp_format_float(out, v);
    if (!isfinite(v)) {
        FUZZ_CHECK(n == 0);
        free(out);
        return;
    }
    FUZZ_CHECK(n > 0 && n <= 32);
    FUZZ_CHECK(lpc_parse_value(out, n, &f) && !f.is_int);
    FUZZ_CHECK(lpc_close(v, f.f));
    memcpy(tmp, out, n);
    tmp[n] = '\0';
    if (!strchr(tmp, 'e') && strchr(tmp, '.')) FUZZ_CHECK(tmp[n - 1] != '0'); /* shortest */
    free(out);
}

static void int_checked(int64_t v)
{
    char *out = malloc(20);
    char tmp[24];
    struct lpc_field f;
    size_t n;

    FUZZ_CHECK(out != NULL);
    n = lp_format_int(out, v);
    FUZZ_CHECK(n > 0 && n <= 20);
    memcpy(tmp, out, n);
    tmp[n] = 'i';
    FUZZ_CHECK(lpc_parse_value(tmp, n + 1, &f) && f.is_int && f.i == v);
    free(out);
}

/* Field keys of every length 1..64 (sample.h: [a-z0-9_]). */
static char key_store[SAMPLE_MAX_FIELDS][65];

static int string_ok(const char *s)
{
    size_t n = strlen(s);
    return n <= SAMPLE_STRING_MAX && !memchr(s, '\n', n);
}

static void encode_checked(const uint8_t *p, size_t n, int64_t ts, unsigned char capsel, const char *const *str,
                           int nstr)
{
    struct sample_field f[SAMPLE_MAX_FIELDS];
    struct lp_tag tag = {"host", "fuzz"};
    static struct lpc_line back;
    char prefix[64], *line;
    size_t plen, max, cap, len;
    int nf = 0, finite = 0;

    for (size_t i = 0; i + 9 <= n && nf < SAMPLE_MAX_FIELDS; i += 9, nf++) {
        int64_t iv;
        double dv;
        memcpy(&iv, p + i + 1, 8);
        memcpy(&dv, p + i + 1, 8);
        if (p[i] & 1) {
            sample_int(&f[nf], key_store[(p[i] >> 1) % SAMPLE_MAX_FIELDS], iv);
            finite++;
        } else if ((p[i] & 2) && nstr > 0) {
            const char *sv = str[(uint64_t)iv % (uint64_t)nstr];
            sample_string(&f[nf], key_store[(p[i] >> 2) % SAMPLE_MAX_FIELDS], sv);
            finite += string_ok(sv);
        } else {
            sample_float(&f[nf], key_store[(p[i] >> 1) % SAMPLE_MAX_FIELDS], dv);
            finite += isfinite(dv) != 0;
        }
    }
    plen = lp_series_build(prefix, sizeof prefix, "fuzz", &tag, 1);
    FUZZ_CHECK(plen > 0);
    max = lp_line_max(plen, nf);
    cap = capsel & 0x80 ? max : (size_t)capsel * 8;
    line = malloc(cap ? cap : 1);
    FUZZ_CHECK(line != NULL);
    len = lp_encode(line, cap, prefix, plen, f, nf, ts);
    if (cap >= max) FUZZ_CHECK((len > 0) == (finite > 0));
    if (len == 0) {
        free(line);
        return;
    }
    FUZZ_CHECK(len <= cap);
    FUZZ_CHECK(lpc_parse_line(line, len, &back));
    FUZZ_CHECK(strcmp(back.measurement, "fuzz") == 0 && back.ts == ts);
    FUZZ_CHECK(back.nfields == finite);
    for (int i = 0, j = 0; i < nf; i++) {
        if (f[i].type == SAMPLE_FLOAT && !isfinite(f[i].v.f)) continue;
        if (f[i].type == SAMPLE_STRING && !string_ok(f[i].v.s)) continue;
        FUZZ_CHECK(strcmp(back.fields[j].key, f[i].key) == 0);
        FUZZ_CHECK(back.fields[j].is_int == (f[i].type == SAMPLE_INT));
        FUZZ_CHECK(back.fields[j].is_str == (f[i].type == SAMPLE_STRING));
        if (f[i].type == SAMPLE_STRING)
            FUZZ_CHECK(strcmp(back.fields[j].s, f[i].v.s) == 0);
        else if (f[i].type == SAMPLE_INT)
            FUZZ_CHECK(back.fields[j].i == f[i].v.i);
        else
            FUZZ_CHECK(lpc_close(f[i].v.f, back.fields[j].f));
        j++;
    }
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int keys_made;
    size_t n = size < 9 ? 9 : size;
    char *buf = calloc(n + 1, 1); /* the strings, NUL-terminated at the end */
    const char *str[MAX_STRINGS];
    int nstr = 0;
    double v;
    int64_t iv;

    if (!keys_made) {
        for (int i = 0; i < SAMPLE_MAX_FIELDS; i++) {
            int len = 1 + (i * 7) % 64;
            for (int c = 0; c < len; c++) key_store[i][c] = "abcdefghijklmnopqrstuvwxyz0123456789_"[(i + c) % 37];
            key_store[i][len] = '\0';
        }
        keys_made = 1;
    }
    FUZZ_CHECK(buf != NULL);
    memcpy(buf, data, size);
    memcpy(&v, buf, 8);
    memcpy(&iv, buf, 8);

    float_checked(v);
    int_checked(iv);

    for (size_t i = 9; i < n + 1 && nstr < MAX_STRINGS;) {
        str[nstr++] = buf + i;
        i += strlen(buf + i) + 1;
    }
    for (int i = 0; i < nstr; i++) {
        escape_checked(str[i], LP_MEASUREMENT, (unsigned char)buf[8]);
        escape_checked(str[i], LP_KEY, (unsigned char)buf[8]);
        escape_checked(str[i], LP_STRING, (unsigned char)buf[8]);
    }
    series_checked(str, nstr, (unsigned char)buf[8]);
    encode_checked((const uint8_t *)buf + 9, n - 9, iv, (unsigned char)buf[8], str, nstr);

    free(buf);
    return 0;
}
