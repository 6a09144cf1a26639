/*
 * fuzz_mem: mem_parse on arbitrary /proc/meminfo content, with and without
 * the line cache, then mem_fields_of and the mem line lp_encode makes.
 *
 * Checks: the cache never changes a result (same input twice through one
 * cache, and a cache primed by other content), every integer field >= 0,
 * used and available <= total, the percentages finite and in [0, 100], and
 * the encoded line valid line protocol holding every field.
 *
 * The same input is also read as /proc/zoneinfo: mem_parse_zoneinfo_low
 * against a reference written here from its header, and the fields again with
 * those watermarks (and with arbitrary ones), available agreeing with the
 * estimate computed in 128 bits from mem.h's formula.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lineproto.h"
#include "lpcheck.h"
#include "mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PCT_MAX 100.0

static void same_values(const struct mem_values *a, const struct mem_values *b)
{
    FUZZ_CHECK(a->present == b->present);
    for (int k = 0; k < MEM_NKEYS; k++)
        if ((a->present >> k) & 1) FUZZ_CHECK(a->v[k] == b->v[k]);
}

static const struct sample_field *find(const struct sample_field *f, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(f[i].key, key) == 0) return &f[i];
    return NULL;
}

/* Reference for mem_parse_zoneinfo_low, from its header: per line, words split
   at blanks; a first word starting with "low" adds the second when it is all
   digits (an optional '\r' after it) within UINT64_MAX; saturating. */
static uint64_t ref_zoneinfo_low(const char *s, size_t len)
{
    unsigned __int128 sum = 0;
    size_t i = 0;
    while (i < len) {
        size_t e = i, p, w1;
        while (e < len && s[e] != '\n') e++;
        p = i;
        while (p < e && (s[p] == ' ' || s[p] == '\t')) p++;
        w1 = p;
        while (p < e && s[p] != ' ' && s[p] != '\t') p++;
        if (p - w1 >= 3 && memcmp(s + w1, "low", 3) == 0) {
            unsigned __int128 v = 0;
            size_t d = 0;
            while (p < e && (s[p] == ' ' || s[p] == '\t')) p++;
            while (p < e && s[p] >= '0' && s[p] <= '9') {
                if (v <= UINT64_MAX) v = v * 10 + (unsigned)(s[p] - '0');
                p++, d++;
            }
            if (d > 0 && v <= UINT64_MAX && (p == e || s[p] == ' ' || s[p] == '\t' || s[p] == '\r')) sum += v;
            if (sum > UINT64_MAX) sum = UINT64_MAX;
        }
        i = e + 1;
    }
    return (uint64_t)sum;
}

/* The estimate of available, in 128 bits, from mem.h's formula. */
static int64_t ref_available(const struct mem_values *m, int64_t w)
{
#define H(k) ((m->present >> (k)) & 1)
    __int128 a, f, s, cached;
    if (H(MEM_AVAILABLE)) return m->v[MEM_AVAILABLE];
    cached = (H(MEM_CACHED) ? m->v[MEM_CACHED] : 0);
    if (H(MEM_SRECLAIMABLE) && cached + m->v[MEM_SRECLAIMABLE] <= INT64_MAX) cached += m->v[MEM_SRECLAIMABLE];
    a = H(MEM_FREE) ? m->v[MEM_FREE] : 0;
    if (w < 0 || !H(MEM_ACTIVE_FILE) || !H(MEM_INACTIVE_FILE) || !H(MEM_SRECLAIMABLE)) {
        a += cached;
        return a > INT64_MAX ? INT64_MAX : (int64_t)a;
    }
    f = (__int128)m->v[MEM_ACTIVE_FILE] + m->v[MEM_INACTIVE_FILE];
    s = m->v[MEM_SRECLAIMABLE];
    a = a - w + (f - (f / 2 < w ? f / 2 : w)) + (s - (s / 2 < w ? s / 2 : w));
#undef H
    return a < 0 ? 0 : a > INT64_MAX ? INT64_MAX : (int64_t)a;
}

static void fields_checked(const struct mem_values *m, int64_t wmark, int64_t ts)
{
    struct sample_field *f = malloc(SAMPLE_MAX_FIELDS * sizeof *f); /* exact: ASan guards the end */
    const struct sample_field *total, *used, *avail, *up, *ap;
    static struct lpc_line back;
    struct lp_tag tag = {"host", "fuzz"};
    char prefix[64], *line;
    size_t plen, cap, len;
    int n;

    FUZZ_CHECK(f != NULL);
    n = wmark < 0 ? mem_fields_of(m, f) : mem_fields_with(m, wmark, f);
    FUZZ_CHECK(n >= 0 && n <= SAMPLE_MAX_FIELDS);
    FUZZ_CHECK(mem_available(m, wmark) == ref_available(m, wmark));
    if (!(m->present & (1ull << MEM_TOTAL))) {
        FUZZ_CHECK(n == 0);
        free(f);
        return;
    }
    FUZZ_CHECK(n > 0);
    for (int i = 0; i < n; i++) {
        FUZZ_CHECK(f[i].key != NULL);
        for (int j = 0; j < i; j++) FUZZ_CHECK(strcmp(f[i].key, f[j].key) != 0); /* no key twice */
        if (f[i].type == SAMPLE_INT)
            FUZZ_CHECK(f[i].v.i >= 0); /* from unsigned text: never negative */
        else
            FUZZ_CHECK(f[i].type == SAMPLE_FLOAT && isfinite(f[i].v.f) && f[i].v.f >= 0 &&
                       f[i].v.f <= PCT_MAX);
    }
    total = find(f, n, "total");
    used = find(f, n, "used");
    avail = find(f, n, "available");
    FUZZ_CHECK(total && used && avail);
    FUZZ_CHECK(total->type == SAMPLE_INT && total->v.i == m->v[MEM_TOTAL]);
    FUZZ_CHECK(used->v.i <= total->v.i);
    FUZZ_CHECK(avail->v.i <= total->v.i);
    FUZZ_CHECK(used->v.i + avail->v.i == total->v.i);
    up = find(f, n, "used_percent");
    ap = find(f, n, "available_percent");
    FUZZ_CHECK((up != NULL) == (total->v.i > 0) && (ap != NULL) == (total->v.i > 0));
    if (up) FUZZ_CHECK(fabs(up->v.f + ap->v.f - 100.0) <= 1e-6);
    if (m->present & (1ull << MEM_AVAILABLE)) {
        int64_t want = m->v[MEM_AVAILABLE] < m->v[MEM_TOTAL] ? m->v[MEM_AVAILABLE] : m->v[MEM_TOTAL];
        FUZZ_CHECK(avail->v.i == want);
    }
    {
        int64_t want = ref_available(m, wmark);
        FUZZ_CHECK(avail->v.i == (want < m->v[MEM_TOTAL] ? want : m->v[MEM_TOTAL]));
    }

    plen = lp_series_build(prefix, sizeof prefix, "mem", &tag, 1);
    FUZZ_CHECK(plen > 0);
    cap = lp_line_max(plen, n);
    line = malloc(cap);
    FUZZ_CHECK(line != NULL);
    len = lp_encode(line, cap, prefix, plen, f, n, ts);
    FUZZ_CHECK(len > 0 && len <= cap);
    FUZZ_CHECK(lpc_parse_line(line, len, &back));
    FUZZ_CHECK(strcmp(back.measurement, "mem") == 0 && back.ntags == 1);
    FUZZ_CHECK(back.nfields == n);
    for (int i = 0; i < n; i++) {
        FUZZ_CHECK(strcmp(back.fields[i].key, f[i].key) == 0);
        FUZZ_CHECK(back.fields[i].is_int == (f[i].type == SAMPLE_INT));
        if (f[i].type == SAMPLE_INT)
            FUZZ_CHECK(back.fields[i].i == f[i].v.i);
        else
            FUZZ_CHECK(lpc_close(f[i].v.f, back.fields[i].f));
    }
    FUZZ_CHECK(back.ts == ts);
    free(line);
    free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t half = size / 2;
    char *buf = malloc(size ? size : 1), *other = malloc(size - half ? size - half : 1);
    struct mem_line *cache = calloc(MEM_LINE_CACHE, sizeof *cache);
    struct mem_values plain, cached1, cached2, primed, first;
    int64_t ts = 0;

    FUZZ_CHECK(buf && other && cache);
    memcpy(buf, data, size);
    memcpy(other, data + half, size - half);
    if (size >= 8) memcpy(&ts, data + size - 8, 8);
    memset(&plain, 0xa5, sizeof plain);
    memset(&cached1, 0x5a, sizeof cached1);
    memset(&cached2, 0x3c, sizeof cached2);
    memset(&primed, 0xc3, sizeof primed);
    memset(&first, 0x77, sizeof first);

    mem_parse(buf, size, &plain, NULL);
    FUZZ_CHECK((plain.present >> MEM_NKEYS) == 0);
    for (int k = 0; k < MEM_NKEYS; k++)
        if ((plain.present >> k) & 1) FUZZ_CHECK(plain.v[k] >= 0);

    /* The same content twice through one cache: filled, then used. */
    mem_parse(buf, size, &cached1, cache);
    mem_parse(buf, size, &cached2, cache);
    same_values(&plain, &cached1);
    same_values(&plain, &cached2);

    /* A cache filled by other content (the second half) must not mislead. */
    memset(cache, 0, MEM_LINE_CACHE * sizeof *cache);
    mem_parse(other, size - half, &primed, cache);
    mem_parse(buf, half, &first, cache);
    mem_parse(buf, half, &primed, NULL);
    same_values(&primed, &first);

    fields_checked(&plain, -1, ts);
    /* The same content as zoneinfo: its low watermarks, in 4 KiB pages. */
    {
        uint64_t low = mem_parse_zoneinfo_low(buf, size);
        FUZZ_CHECK(low == ref_zoneinfo_low(buf, size));
        fields_checked(&plain, low > (uint64_t)INT64_MAX / 4096 ? INT64_MAX : (int64_t)(low * 4096), ts);
        fields_checked(&plain, (int64_t)(low & 0xffffff), ts);
    }

    free(buf);
    free(other);
    free(cache);
    return 0;
}
