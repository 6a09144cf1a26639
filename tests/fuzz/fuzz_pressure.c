/*
 * fuzz_pressure: pressure_parse on arbitrary content, then the pressure lines
 * lp_encode makes of pressure_fields for the content read as each of the
 * three files.
 *
 * The result is compared with a reference written here from the header's
 * grammar, by a different method: lines are cut out first, then scanned as
 * "some"|"full", then for each of avg10, avg60, avg300, total: one or more
 * blanks, "key=", a number (avg: digits within UINT64_MAX [. digits], valued by
 * strtod; total: digits within INT64_MAX), and after total a blank or the
 * line's '\n'. The last valid line of each type wins. Floats must be finite
 * and >= 0, and each encoded line must read back with its two tags and four
 * fields.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lineproto.h"
#include "lpcheck.h"
#include "pressure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int blank(char c) { return c == ' ' || c == '\t'; }

/* Blanks (at least one), then "key=" at s[*i]. */
static int ref_key(const char *s, size_t n, size_t *i, const char *key)
{
    size_t k = strlen(key), j = *i;
    if (j >= n || !blank(s[j])) return 0;
    while (j < n && blank(s[j])) j++;
    if (n - j < k || memcmp(s + j, key, k) != 0) return 0;
    *i = j + k;
    return 1;
}

/* Digits at s[*i]; the value saturated just past @max. */
static int ref_uint(const char *s, size_t n, size_t *i, unsigned __int128 max,
                    unsigned __int128 *out)
{
    unsigned __int128 v = 0;
    size_t start = *i;
    for (; *i < n && s[*i] >= '0' && s[*i] <= '9'; (*i)++)
        if (v <= max) v = v * 10 + (unsigned)(s[*i] - '0');
    *out = v;
    return *i > start && v <= max;
}

static int ref_avg(const char *s, size_t n, size_t *i, double *out)
{
    size_t start = *i;
    unsigned __int128 ip;
    char *tmp, *end;
    if (!ref_uint(s, n, i, UINT64_MAX, &ip)) return 0;
    if (*i < n && s[*i] == '.') {
        size_t d = 0;
        for ((*i)++; *i < n && s[*i] >= '0' && s[*i] <= '9'; (*i)++) d++;
        if (d == 0) return 0;
    }
    tmp = malloc(*i - start + 1);
    FUZZ_CHECK(tmp != NULL);
    memcpy(tmp, s + start, *i - start);
    tmp[*i - start] = '\0';
    *out = strtod(tmp, &end);
    FUZZ_CHECK(*end == '\0');
    free(tmp);
    return 1;
}

/* One line s[0..n), followed by '\n' when @nl. @return 1 (some), 2 (full) or 0. */
static int ref_line(const char *s, size_t n, int nl, struct psi_values *v)
{
    static const char *const avg_keys[3] = {"avg10=", "avg60=", "avg300="};
    double avg[3];
    unsigned __int128 total;
    size_t i = 4;
    int type;

    if (n < 4) return 0;
    if (memcmp(s, "some", 4) == 0) type = PSI_HAVE_SOME;
    else if (memcmp(s, "full", 4) == 0) type = PSI_HAVE_FULL;
    else return 0;
    for (int k = 0; k < 3; k++)
        if (!ref_key(s, n, &i, avg_keys[k]) || !ref_avg(s, n, &i, &avg[k])) return 0;
    if (!ref_key(s, n, &i, "total=") || !ref_uint(s, n, &i, INT64_MAX, &total)) return 0;
    if (!(i < n ? blank(s[i]) : nl)) return 0;
    v->avg10 = avg[0];
    v->avg60 = avg[1];
    v->avg300 = avg[2];
    v->total = (int64_t)total;
    return type;
}

static int ref_parse(const char *s, size_t len, struct psi_values *some, struct psi_values *full)
{
    size_t start = 0;
    int found = 0;
    while (start < len) {
        size_t end = start;
        struct psi_values v;
        int t;
        while (end < len && s[end] != '\n') end++;
        t = ref_line(s + start, end - start, end < len, &v);
        if (t == PSI_HAVE_SOME) *some = v;
        if (t == PSI_HAVE_FULL) *full = v;
        found |= t;
        start = end + 1;
    }
    return found;
}

/* Digits past 18 in a fraction are dropped by the parser: compare loosely. */
static int agree(double want, double got) { return fabs(want - got) <= fabs(want) * 1e-12 + 1e-12; }

static void same(const struct psi_values *want, const struct psi_values *got)
{
    FUZZ_CHECK(isfinite(got->avg10) && isfinite(got->avg60) && isfinite(got->avg300));
    FUZZ_CHECK(got->avg10 >= 0 && got->avg60 >= 0 && got->avg300 >= 0 && got->total >= 0);
    FUZZ_CHECK(agree(want->avg10, got->avg10) && agree(want->avg60, got->avg60) &&
               agree(want->avg300, got->avg300));
    FUZZ_CHECK(want->total == got->total);
}

static void encode_checked(const struct pressure_collector *p, int series, int64_t ts)
{
    struct lp_tag tags[3] = {{"host", "fuzz"}, {"resource", pressure_resource(series)},
                             {"type", pressure_type(series)}};
    static struct lpc_line back;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    char prefix[128], line[1024];
    size_t plen, len;
    int n = pressure_fields(p, series, f);

    FUZZ_CHECK(n == (((p->present >> series) & 1) ? 4 : 0));
    if (n == 0) return;
    plen = lp_series_build(prefix, sizeof prefix, "pressure", tags, 3);
    FUZZ_CHECK(plen > 0);
    FUZZ_CHECK(lp_line_max(plen, n) <= sizeof line);
    len = lp_encode(line, sizeof line, prefix, plen, f, n, ts);
    FUZZ_CHECK(len > 0);
    FUZZ_CHECK(lpc_parse_line(line, len, &back));
    FUZZ_CHECK(strcmp(back.measurement, "pressure") == 0 && back.nfields == 4 && back.ts == ts);
    FUZZ_CHECK(back.ntags == 3 && strcmp(back.tag_key[1], "resource") == 0 &&
               strcmp(back.tag_value[1], pressure_resource(series)) == 0 &&
               strcmp(back.tag_key[2], "type") == 0 &&
               strcmp(back.tag_value[2], pressure_type(series)) == 0);
    for (int i = 0; i < n; i++) {
        FUZZ_CHECK(strcmp(back.fields[i].key, f[i].key) == 0);
        FUZZ_CHECK(strcmp(f[i].key, pressure_field_names[i]) == 0);
        FUZZ_CHECK(back.fields[i].is_int == (f[i].type == SAMPLE_INT));
        if (f[i].type == SAMPLE_INT)
            FUZZ_CHECK(back.fields[i].i == f[i].v.i);
        else
            FUZZ_CHECK(lpc_close(f[i].v.f, back.fields[i].f));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1); /* exact copy: ASan catches a read past the end */
    struct psi_values some, full, want_some, want_full;
    struct pressure_collector p;
    int64_t ts = 0;
    int r, want;

    FUZZ_CHECK(buf != NULL);
    memcpy(buf, data, size);
    if (size >= 8) memcpy(&ts, data + size / 2 - 4, 8);

    r = pressure_parse(buf, size, &some, &full);
    want = ref_parse(buf, size, &want_some, &want_full);
    FUZZ_CHECK(r == want);
    if (r & PSI_HAVE_SOME) same(&want_some, &some);
    if (r & PSI_HAVE_FULL) same(&want_full, &full);
    /* full not wanted: only the some bit. */
    FUZZ_CHECK(pressure_parse(buf, size, &some, NULL) == (want & PSI_HAVE_SOME));

    /* The content as each file: cpu (some only), memory, io. */
    memset(&p, 0, sizeof p);
    if (r & PSI_HAVE_SOME) {
        p.v[PSI_CPU_SOME] = p.v[PSI_MEMORY_SOME] = p.v[PSI_IO_SOME] = some;
        p.present |= 1u << PSI_CPU_SOME | 1u << PSI_MEMORY_SOME | 1u << PSI_IO_SOME;
    }
    if (r & PSI_HAVE_FULL) {
        p.v[PSI_MEMORY_FULL] = p.v[PSI_IO_FULL] = full;
        p.present |= 1u << PSI_MEMORY_FULL | 1u << PSI_IO_FULL;
    }
    for (int s = 0; s < PSI_NSERIES; s++) encode_checked(&p, s, ts);

    free(buf);
    return 0;
}
