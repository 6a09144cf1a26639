#include "lineproto.h"

#include <stdio.h>
#include <string.h>

static int needs_escape(char c, enum lp_context ctx)
{
    switch (ctx) {
    case LP_MEASUREMENT: return c == ',' || c == ' ';
    case LP_KEY: return c == ',' || c == '=' || c == ' ';
    default: return c == '"' || c == '\\';
    }
}

size_t lp_escape(char *dst, size_t cap, const char *s, enum lp_context ctx)
{
    size_t n = 0;
    for (; *s; s++) {
        char c = *s;
        if (needs_escape(c, ctx)) {
            if (n + 1 < cap) dst[n] = '\\';
            n++;
        }
        if (n + 1 < cap) dst[n] = c;
        n++;
    }
    if (cap) dst[n < cap ? n : cap - 1] = '\0';
    return n;
}

int lp_representable(const char *s, enum lp_context ctx)
{
    size_t n = strlen(s);
    if (ctx == LP_STRING) return 1;
    /* A newline ends a line whatever precedes it: no escape exists for it. */
    if (memchr(s, '\n', n)) return 0;
    /* InfluxDB 1.x treats a delimiter as escaped whenever the byte before it
       is a backslash, so a name or value ending in one would swallow the
       ',', '=' or ' ' written after it (checked against influxd 1.6.7). */
    return n == 0 || s[n - 1] != '\\';
}

size_t lp_series_build(char *dst, size_t cap, const char *measurement, const struct lp_tag *tags,
                       size_t ntags)
{
    const struct lp_tag *sorted[LP_MAX_TAGS];
    size_t n = 0, len;

    if (!measurement[0] || ntags > LP_MAX_TAGS || cap == 0) return 0;
    if (!lp_representable(measurement, LP_MEASUREMENT)) return 0;
    /* InfluxDB orders tags by the bytes of the unescaped key. */
    for (size_t i = 0; i < ntags; i++) {
        size_t j = n;
        if (!tags[i].value || !tags[i].value[0]) continue; /* empty value: parse error */
        if (!lp_representable(tags[i].key, LP_KEY) || !lp_representable(tags[i].value, LP_KEY))
            return 0;
        while (j > 0 && strcmp(sorted[j - 1]->key, tags[i].key) > 0) {
            sorted[j] = sorted[j - 1];
            j--;
        }
        /* a key twice: InfluxDB rejects the line ("duplicate tags"), and its datagram */
        if (j > 0 && !strcmp(sorted[j - 1]->key, tags[i].key)) return 0;
        sorted[j] = &tags[i];
        n++;
    }
    len = lp_escape(dst, cap, measurement, LP_MEASUREMENT);
    for (size_t i = 0; i < n && len < cap; i++) {
        dst[len++] = ',';
        if (len < cap) len += lp_escape(dst + len, cap - len, sorted[i]->key, LP_KEY);
        if (len < cap) dst[len++] = '=';
        if (len < cap) len += lp_escape(dst + len, cap - len, sorted[i]->value, LP_KEY);
    }
    if (len + 1 >= cap) return 0;
    dst[len++] = ' ';
    dst[len] = '\0';
    return len;
}

static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Write @v in decimal, right-aligned ending at @end; returns the start. */
static char *format_u64_back(char *end, uint64_t v)
{
    char *p = end;
    while (v >= 100) {
        unsigned i = (unsigned)(v % 100) * 2;
        v /= 100;
        *--p = digit_pairs[i + 1];
        *--p = digit_pairs[i];
    }
    if (v >= 10) {
        unsigned i = (unsigned)v * 2;
        *--p = digit_pairs[i + 1];
        *--p = digit_pairs[i];
    } else {
        *--p = (char)('0' + v);
    }
    return p;
}

size_t lp_format_int(char *dst, int64_t v)
{
    char tmp[24], *end = tmp + sizeof tmp, *p;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t n;
    p = format_u64_back(end, u);
    if (v < 0) *--p = '-';
    n = (size_t)(end - p);
    memcpy(dst, p, n);
    return n;
}

static const uint64_t pow10_table[19] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
    1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL,
    100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
    1000000000000000000ULL,
};

/*
 * Fixed notation with 15 significant digits (a double holds 15.95), trailing
 * zeros trimmed, for magnitudes in [1e-4, 1e9): every value a collector makes.
 * The value is scaled to a 64-bit integer (< 1e18) and printed with integer
 * arithmetic; anything else goes through snprintf("%.17g"), which is exact.
 */
size_t lp_format_float(char *dst, double v)
{
    char tmp[40], *end = tmp + sizeof tmp, *p;
    double a;
    uint64_t scaled, ip, frac, scale;
    size_t n;
    int decimals, e;

    if (!(v - v == 0)) return 0; /* NaN or ±Inf, without libm */
    a = v < 0 ? -v : v;
    if (a != 0 && (a < 1e-4 || a >= 1e9)) {
        int k = snprintf(tmp, sizeof tmp, "%.17g", v);
        memcpy(dst, tmp, (size_t)k);
        return (size_t)k;
    }
    /* e = floor(log10(a)) for a in [1e-4, 1e9); 0 for a == 0. */
    e = 0;
    if (a >= 1) {
        while (e < 8 && a >= (double)pow10_table[e + 1]) e++;
    } else if (a > 0) {
        e = -1;
        while (e > -4 && a * (double)pow10_table[-e] < 1) e--;
    }
    decimals = 14 - e; /* 15 significant digits */
    if (decimals > 18) decimals = 18;
    scale = pow10_table[decimals];
    scaled = (uint64_t)(a * (double)scale + 0.5);
    ip = scaled / scale;
    frac = scaled % scale;
    while (decimals > 0 && frac % 10 == 0) {
        frac /= 10;
        decimals--;
    }
    p = end;
    if (decimals > 0) {
        char *stop = end - decimals;
        p = format_u64_back(end, frac);
        while (p > stop) *--p = '0'; /* leading zeros of the fraction */
        *--p = '.';
    }
    p = format_u64_back(p, ip);
    if (v < 0 && scaled != 0) *--p = '-';
    n = (size_t)(end - p);
    memcpy(dst, p, n);
    return n;
}

/* Longest key + '=' + value + 'i' + ',' for one field; a string value is at
   most SAMPLE_STRING_MAX bytes, each escaped to two, within two quotes. */
#define VALUE_MAX (2 * SAMPLE_STRING_MAX + 2 > 32 ? 2 * SAMPLE_STRING_MAX + 2 : 32)
#define FIELD_MAX (64 + 1 + VALUE_MAX + 2)

/* " <timestamp>\n": a space, up to 20 characters, a newline, and slack: 24,
   exactly what lp_encode keeps free while it writes the fields. */
#define TS_ROOM 24

size_t lp_line_max(size_t plen, int n) { return plen + (size_t)n * FIELD_MAX + TS_ROOM; }

size_t lp_encode(char *dst, size_t cap, const char *prefix, size_t plen,
                 const struct sample_field *fields, int n, int64_t ts)
{
    char *p, *stop;
    int written = 0;

    if (plen + TS_ROOM > cap) return 0;
    memcpy(dst, prefix, plen);
    p = dst + plen;
    stop = dst + cap - TS_ROOM; /* room for " <timestamp>\n" */
    for (int i = 0; i < n; i++) {
        size_t klen = strlen(fields[i].key), slen = fields[i].suffix ? strlen(fields[i].suffix) : 0, vlen;
        char *start = p;
        if (p + klen + slen + 1 + 34 > stop) return 0;
        if (written) *p++ = ',';
        memcpy(p, fields[i].key, klen);
        p += klen;
        if (slen) {
            memcpy(p, fields[i].suffix, slen);
            p += slen;
        }
        *p++ = '=';
        if (fields[i].type == SAMPLE_STRING) {
            const char *v = fields[i].v.s;
            size_t vn = v ? strnlen(v, SAMPLE_STRING_MAX + 1) : SAMPLE_STRING_MAX + 1;
            /* A newline would end the line for every reader but InfluxDB; longer
               than promised would break lp_line_max: leave the field out. */
            if (vn > SAMPLE_STRING_MAX || memchr(v, '\n', vn)) {
                p = start;
                continue;
            }
            if (p + 2 * vn + 2 > stop) return 0;
            *p++ = '"';
            for (size_t j = 0; j < vn; j++) {
                if (v[j] == '"' || v[j] == '\\') *p++ = '\\';
                *p++ = v[j];
            }
            *p++ = '"';
        } else if (fields[i].type == SAMPLE_INT) {
            vlen = lp_format_int(p, fields[i].v.i);
            p += vlen;
            *p++ = 'i';
        } else {
            vlen = lp_format_float(p, fields[i].v.f);
            if (vlen == 0) { /* NaN/Inf: leave the field out */
                p = start;
                continue;
            }
            p += vlen;
        }
        written++;
    }
    if (!written) return 0;
    *p++ = ' ';
    p += lp_format_int(p, ts);
    *p++ = '\n';
    return (size_t)(p - dst);
}
