/*
 * fuzz_system: system_parse_loadavg and system_parse_uptime on arbitrary
 * content, then the system line lp_encode makes of system_fields.
 *
 * Both parsers run on the whole input. Each result is compared with a
 * reference written here from the header's grammar ("0.52 0.58 0.59 1/234
 * 5678", "12345.67 23456.78"): a number is [blanks] digits [. digits] (the
 * integer part within UINT64_MAX); loadavg wants three, each followed by a
 * blank; uptime one, followed by a space or '\n'. Values must agree with
 * strtod, be finite and >= 0, and the encoded line must read back.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lineproto.h"
#include "lpcheck.h"
#include "system.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reference: one number at s[*i]; its value by strtod. */
static int ref_number(const char *s, size_t len, size_t *i, double *out)
{
    size_t p = *i, start, idigits = 0;
    char *tmp, *end;
    unsigned __int128 ip = 0;

    while (p < len && (s[p] == ' ' || s[p] == '\t')) p++;
    start = p;
    while (p < len && s[p] >= '0' && s[p] <= '9') {
        ip = ip * 10 + (unsigned)(s[p] - '0');
        if (ip > UINT64_MAX) return 0;
        p++, idigits++;
    }
    if (idigits == 0) return 0;
    if (p < len && s[p] == '.') {
        size_t fd = 0;
        for (p++; p < len && s[p] >= '0' && s[p] <= '9'; p++) fd++;
        if (fd == 0) return 0;
    }
    tmp = malloc(p - start + 1); /* leading zeros make any length valid */
    FUZZ_CHECK(tmp != NULL);
    memcpy(tmp, s + start, p - start);
    tmp[p - start] = '\0';
    *out = strtod(tmp, &end);
    free(tmp);
    *i = p;
    return 1;
}

/* Digits past 18 in the fraction are dropped by the parser: compare loosely. */
static int agree(double want, double got) { return fabs(want - got) <= fabs(want) * 1e-12 + 1e-12; }

static void encode_checked(const struct system_collector *s, int n_cpus, int64_t ts)
{
    struct sample_field f[8];
    struct lp_tag tag = {"host", "fuzz"};
    static struct lpc_line back;
    char prefix[64], line[1024];
    size_t plen, len;
    int n = system_fields(s, n_cpus, f), want = 0;

    want += s->cur.have_load ? 3 : 0;
    if (want || s->cur.have_uptime) want += (n_cpus > 0) + (s->cur.have_uptime && s->cur.uptime < 9.2e18);
    FUZZ_CHECK(n == want);
    if (n == 0) return;
    plen = lp_series_build(prefix, sizeof prefix, "system", &tag, 1);
    FUZZ_CHECK(plen > 0);
    FUZZ_CHECK(lp_line_max(plen, n) <= sizeof line);
    len = lp_encode(line, sizeof line, prefix, plen, f, n, ts);
    FUZZ_CHECK(len > 0);
    FUZZ_CHECK(lpc_parse_line(line, len, &back));
    FUZZ_CHECK(strcmp(back.measurement, "system") == 0 && back.nfields == n && back.ts == ts);
    for (int i = 0; i < n; i++) {
        FUZZ_CHECK(strcmp(back.fields[i].key, f[i].key) == 0);
        FUZZ_CHECK(back.fields[i].is_int == (f[i].type == SAMPLE_INT));
        if (f[i].type == SAMPLE_INT)
            FUZZ_CHECK(back.fields[i].i == f[i].v.i && f[i].v.i >= 0);
        else
            FUZZ_CHECK(lpc_close(f[i].v.f, back.fields[i].f));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1); /* exact copy: ASan catches a read past the end */
    struct system_collector s;
    double load[3] = {-1, -1, -1}, want[3], up = -1, want_up;
    size_t i = 0;
    int ok, ref_ok = 1, n_cpus = 0;
    int64_t ts = 0;

    FUZZ_CHECK(buf != NULL);
    memcpy(buf, data, size);
    if (size >= 2) n_cpus = (signed char)data[size - 1] * 37 + (signed char)data[size - 2];
    if (size >= 8) memcpy(&ts, data + size / 2 - 4, 8);

    ok = system_parse_loadavg(buf, size, load);
    for (int k = 0; k < 3 && ref_ok; k++)
        ref_ok = ref_number(buf, size, &i, &want[k]) && i < size && (buf[i] == ' ' || buf[i] == '\t');
    FUZZ_CHECK(ok == ref_ok);
    if (ok)
        for (int k = 0; k < 3; k++) FUZZ_CHECK(isfinite(load[k]) && load[k] >= 0 && agree(want[k], load[k]));

    i = 0;
    ref_ok = ref_number(buf, size, &i, &want_up) && i < size && (buf[i] == ' ' || buf[i] == '\n');
    ok = system_parse_uptime(buf, size, &up);
    FUZZ_CHECK(ok == ref_ok);
    if (ok) FUZZ_CHECK(isfinite(up) && up >= 0 && agree(want_up, up));

    memset(&s, 0, sizeof s);
    s.cur.have_load = system_parse_loadavg(buf, size, s.cur.load);
    s.cur.have_uptime = system_parse_uptime(buf, size, &s.cur.uptime);
    encode_checked(&s, n_cpus, ts);
    /* The same content as loadavg only, and as uptime only. */
    s.cur.have_uptime = 0;
    encode_checked(&s, n_cpus, ts);
    s.cur.have_load = 0;
    s.cur.have_uptime = system_parse_uptime(buf, size, &s.cur.uptime);
    encode_checked(&s, n_cpus, ts);

    free(buf);
    return 0;
}
