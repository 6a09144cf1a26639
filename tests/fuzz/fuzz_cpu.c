/*
 * fuzz_cpu: cpu_parse on arbitrary /proc/stat content, cpu_usage between two
 * readings, and the cpu line lp_encode makes of them.
 *
 * The input is split in two halves: the first is the previous reading, the
 * second the current one (the seeds are a fixture's stat and stat.next, which
 * have about the same size). Beyond "no crash", every result is checked
 * against the contract in cpu.h and against a small reference parser written
 * here, and the encoded line is read back by lpcheck.h.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "lineproto.h"
#include "lpcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXCPU 8 /* slots given to cpu_parse: small, so lines beyond it are common */

static const char *const usage_keys[CPU_NCOUNTERS] = {
    "usage_user", "usage_nice", "usage_system", "usage_idle", "usage_iowait",
    "usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice",
};
static const char *const time_keys[CPU_NCOUNTERS] = {
    "time_user", "time_nice", "time_system", "time_idle", "time_iowait",
    "time_irq", "time_softirq", "time_steal", "time_guest", "time_guest_nice",
};

/* ---- reference parser: what cpu.h says, written plainly ---------------- */

static int ref_blank(char c) { return c == ' ' || c == '\t'; }

/* Digits s[0..n) as a u64; 0 when empty, not all digits, or too large. */
static int ref_u64(const char *s, size_t n, uint64_t *out)
{
    unsigned __int128 v = 0;
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (unsigned)(s[i] - '0');
        if (v > UINT64_MAX) return 0;
    }
    *out = (uint64_t)v;
    return 1;
}

/* The counters on s[0..n) (the line after "cpu"/"cpuN", without its '\n'). */
static int ref_counters(const char *s, size_t n, struct cpu_times *t)
{
    size_t i = 0;
    int count = 0;
    while (i < n) {
        size_t start;
        uint64_t v;
        while (i < n && ref_blank(s[i])) i++;
        if (i >= n) break;
        start = i;
        while (i < n && !ref_blank(s[i])) i++;
        if (!ref_u64(s + start, i - start, &v)) return 0;
        if (count < CPU_NCOUNTERS) t->v[count] = v;
        count++;
    }
    if (count < 4) return 0;
    t->n = (unsigned char)(count > CPU_NCOUNTERS ? CPU_NCOUNTERS : count);
    return 1;
}

struct ref_result {
    struct cpu_times total;
    struct cpu_times per[MAXCPU];
    int top, beyond;
};

static void ref_parse(const char *buf, size_t len, struct ref_result *r)
{
    size_t p = 0;
    memset(r, 0, sizeof *r);
    while (p < len) {
        const char *nl = memchr(buf + p, '\n', len - p);
        size_t n, i = 3;
        struct cpu_times t;
        uint64_t idx;
        if (!nl) break; /* a last line without '\n' may be cut */
        n = (size_t)(nl - (buf + p)); /* without '\n' */
        if (n < 3 || memcmp(buf + p, "cpu", 3) != 0) break;
        if (n > 3 && ref_blank(buf[p + 3])) {
            if (ref_counters(buf + p + 3, n - 3, &t)) r->total = t;
        } else {
            while (i < n && buf[p + i] >= '0' && buf[p + i] <= '9') i++;
            if (i < n && ref_blank(buf[p + i]) && ref_u64(buf + p + 3, i - 3, &idx) && idx < (1u << 20) &&
                ref_counters(buf + p + i, n - i, &t)) {
                if ((int)idx + 1 > r->top) r->top = (int)idx + 1;
                if (idx < MAXCPU)
                    r->per[idx] = t;
                else
                    r->beyond++;
            }
        }
        p += n + 1;
    }
}

static int same_times(const struct cpu_times *a, const struct cpu_times *b)
{
    if (a->n != b->n) return 0;
    for (int i = 0; i < a->n; i++)
        if (a->v[i] != b->v[i]) return 0;
    return 1;
}

/* ---- checks --------------------------------------------------------------- */

/* cpu_parse into exactly @MAXCPU heap slots (ASan sees a write past them). */
static void parse_checked(const char *buf, size_t len, struct cpu_times *total, struct cpu_times *per)
{
    struct ref_result ref;
    struct cpu_times total0;
    int beyond = -1, beyond0 = -1, top, top0, stored = 0;

    top = cpu_parse(buf, len, total, per, MAXCPU, &beyond);
    FUZZ_CHECK(top >= 0 && top <= 1 << 20);
    FUZZ_CHECK(beyond >= 0);
    FUZZ_CHECK(total->n == 0 || (total->n >= 4 && total->n <= CPU_NCOUNTERS));
    for (int i = 0; i < MAXCPU; i++) {
        FUZZ_CHECK(per[i].n == 0 || (per[i].n >= 4 && per[i].n <= CPU_NCOUNTERS));
        if (per[i].n) {
            stored++;
            FUZZ_CHECK(i < top);
        }
    }
    FUZZ_CHECK((top > MAXCPU) == (beyond > 0));

    /* Without slots (as cpu_open sizes): same answer, every valid line beyond. */
    top0 = cpu_parse(buf, len, &total0, NULL, 0, &beyond0);
    FUZZ_CHECK(top0 == top);
    FUZZ_CHECK(beyond0 >= beyond + stored);
    FUZZ_CHECK((top0 > 0) == (beyond0 > 0));
    FUZZ_CHECK(same_times(&total0, total));

    /* And what the reference makes of it. */
    ref_parse(buf, len, &ref);
    FUZZ_CHECK(top == ref.top);
    FUZZ_CHECK(beyond == ref.beyond);
    FUZZ_CHECK(same_times(total, &ref.total));
    for (int i = 0; i < MAXCPU; i++) FUZZ_CHECK(same_times(&per[i], &ref.per[i]));
}

/* cpu_usage against exact arithmetic (128-bit sums, long double ratios). */
static int usage_checked(const struct cpu_times *prev, const struct cpu_times *cur, double pct[CPU_NCOUNTERS])
{
    unsigned __int128 total = 0;
    uint64_t d[CPU_NCOUNTERS] = {0};
    int k, n = cur->n;

    for (int i = 0; i < CPU_NCOUNTERS; i++) pct[i] = -1;
    k = cpu_usage(prev, cur, pct);
    if (prev->n == 0 || cur->n == 0 || prev->n != cur->n) {
        FUZZ_CHECK(k == 0);
        return 0;
    }
    for (int i = 0; i < n; i++) d[i] = cur->v[i] > prev->v[i] ? cur->v[i] - prev->v[i] : 0;
    for (int i = 0; i < n && i <= CPU_STEAL; i++) total += d[i];
    if (total == 0) {
        FUZZ_CHECK(k == 0);
        return 0;
    }
    FUZZ_CHECK(k == n);
    for (int i = 0; i < k; i++) {
        unsigned __int128 x = d[i];
        long double want;
        if (i == CPU_USER && n > CPU_GUEST) x = x > d[CPU_GUEST] ? x - d[CPU_GUEST] : 0;
        if (i == CPU_NICE && n > CPU_GUEST_NICE) x = x > d[CPU_GUEST_NICE] ? x - d[CPU_GUEST_NICE] : 0;
        want = 100.0L * (long double)x / (long double)total;
        if (want > 100) want = 100;
        FUZZ_CHECK(!isnan(pct[i]));
        FUZZ_CHECK(pct[i] >= 0.0 && pct[i] <= 100.0);
        FUZZ_CHECK(fabsl((long double)pct[i] - want) <= 1e-9L);
    }
    return k;
}

/* Encode one cpu series as cpu_fields would (with --cpu-time) and read it back. */
static void encode_checked(const char *cpu_tag, const struct cpu_times *cur, const double *pct, int k,
                           int64_t ts)
{
    struct lp_tag tags[2] = {{"host", "fuzz"}, {"cpu", cpu_tag}};
    struct sample_field fields[2 * CPU_NCOUNTERS];
    static struct lpc_line back;
    char prefix[128], *line;
    size_t plen, cap, len;
    int n = 0;

    plen = lp_series_build(prefix, sizeof prefix, "cpu", tags, 2);
    FUZZ_CHECK(plen > 0);
    for (int i = 0; i < cur->n; i++) sample_float(&fields[n++], time_keys[i], (double)cur->v[i] / 100.0);
    for (int i = 0; i < k; i++) sample_float(&fields[n++], usage_keys[i], pct[i]);
    if (n == 0) return;

    cap = lp_line_max(plen, n);
    line = malloc(cap);
    FUZZ_CHECK(line != NULL);
    len = lp_encode(line, cap, prefix, plen, fields, n, ts);
    FUZZ_CHECK(len > 0 && len <= cap); /* every value is finite: nothing may be dropped */
    FUZZ_CHECK(lpc_parse_line(line, len, &back));
    FUZZ_CHECK(strcmp(back.measurement, "cpu") == 0);
    FUZZ_CHECK(back.ntags == 2);
    FUZZ_CHECK(strcmp(back.tag_key[0], "cpu") == 0 && strcmp(back.tag_value[0], cpu_tag) == 0);
    FUZZ_CHECK(strcmp(back.tag_key[1], "host") == 0 && strcmp(back.tag_value[1], "fuzz") == 0);
    FUZZ_CHECK(back.nfields == n);
    for (int i = 0; i < n; i++) {
        FUZZ_CHECK(strcmp(back.fields[i].key, fields[i].key) == 0);
        FUZZ_CHECK(!back.fields[i].is_int);
        FUZZ_CHECK(lpc_close(fields[i].v.f, back.fields[i].f));
    }
    FUZZ_CHECK(back.ts == ts);
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t half = size / 2;
    /* Heap copies of exactly the input, so ASan catches reads past the end. */
    char *a = malloc(half ? half : 1), *b = malloc(size - half ? size - half : 1);
    struct cpu_times *pa = malloc(MAXCPU * sizeof *pa), *pb = malloc(MAXCPU * sizeof *pb);
    struct cpu_times ta, tb;
    double pct[CPU_NCOUNTERS];
    int64_t ts = 0;
    int k;

    FUZZ_CHECK(a && b && pa && pb);
    memcpy(a, data, half);
    memcpy(b, data + half, size - half);
    if (size >= 8) memcpy(&ts, data, 8);

    /* The whole input as one reading too (a fixture on its own). */
    {
        char *all = malloc(size ? size : 1);
        FUZZ_CHECK(all != NULL);
        memcpy(all, data, size);
        parse_checked(all, size, &ta, pa);
        free(all);
    }
    parse_checked(a, half, &ta, pa);
    parse_checked(b, size - half, &tb, pb);

    k = usage_checked(&ta, &tb, pct);
    if (tb.n) encode_checked("cpu-total", &tb, pct, k, ts);
    for (int i = 0; i < MAXCPU; i++) {
        char tag[16];
        k = usage_checked(&pa[i], &pb[i], pct);
        snprintf(tag, sizeof tag, "cpu%d", i);
        if (pb[i].n) encode_checked(tag, &pb[i], pct, k, ts);
    }

    free(a);
    free(b);
    free(pa);
    free(pb);
    return 0;
}
