#include "lineproto.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

size_t lp_escape(char *dst, size_t cap, const char *s, enum lp_context ctx)
{
    size_t n = 0;
    for (; *s; s++) {
        char c = *s;
        int esc;
        switch (ctx) {
        case LP_MEASUREMENT: esc = c == ',' || c == ' '; break;
        case LP_KEY: esc = c == ',' || c == '=' || c == ' '; break;
        default: esc = c == '"' || c == '\\'; break;
        }
        if (esc) {
            if (n + 1 < cap) dst[n] = '\\';
            n++;
        }
        if (n + 1 < cap) dst[n] = c;
        n++;
    }
    if (cap) dst[n < cap ? n : cap - 1] = '\0';
    return n;
}

size_t lp_series_build(char *dst, size_t cap, const char *measurement, const struct lp_tag *tags,
                       size_t ntags)
{
    const struct lp_tag *sorted[LP_MAX_TAGS];
    size_t n = 0, len;

    if (!measurement[0] || ntags > LP_MAX_TAGS || cap == 0) return 0;
    /* InfluxDB orders tags by the bytes of the unescaped key. */
    for (size_t i = 0; i < ntags; i++) {
        size_t j = n;
        if (!tags[i].value || !tags[i].value[0]) continue; /* empty value: parse error */
        while (j > 0 && strcmp(sorted[j - 1]->key, tags[i].key) > 0) {
            sorted[j] = sorted[j - 1];
            j--;
        }
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

size_t lp_format_float(char *dst, double v)
{
    char tmp[40], *end = tmp + sizeof tmp, *p;
    double a;
    uint64_t scaled, ip, frac;
    size_t n;
    int decimals = 9;

    if (!isfinite(v)) return 0;
    a = fabs(v);
    if (a != 0 && (a < 1e-4 || a >= 1e9)) {
        /* Rare magnitudes: exact but slow. */
        int k = snprintf(tmp, sizeof tmp, "%.17g", v);
        memcpy(dst, tmp, (size_t)k);
        return (size_t)k;
    }
    /* a < 1e9, so a * 1e9 < 1e18 fits in 64 bits; round half away from zero. */
    scaled = (uint64_t)(a * 1e9 + 0.5);
    ip = scaled / 1000000000u;
    frac = scaled % 1000000000u;
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

/* Longest key + '=' + value + 'i' + ',' for one field. */
#define FIELD_MAX (64 + 1 + 32 + 2)

size_t lp_line_max(size_t plen, int n) { return plen + (size_t)n * FIELD_MAX + 1 + 21 + 1; }

size_t lp_encode(char *dst, size_t cap, const char *prefix, size_t plen,
                 const struct sample_field *fields, int n, int64_t ts)
{
    char *p, *stop;
    int written = 0;

    if (plen + 24 > cap) return 0;
    memcpy(dst, prefix, plen);
    p = dst + plen;
    stop = dst + cap - 24; /* room for " <timestamp>\n" */
    for (int i = 0; i < n; i++) {
        size_t klen = strlen(fields[i].key), vlen;
        char *start = p;
        if (p + klen + 1 + 34 > stop) return 0;
        if (written) *p++ = ',';
        memcpy(p, fields[i].key, klen);
        p += klen;
        *p++ = '=';
        if (fields[i].type == SAMPLE_INT) {
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
