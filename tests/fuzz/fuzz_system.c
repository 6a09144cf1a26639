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
 *
 * The same bytes are also read as utmp (system_utmp_add, in chunks cut at
 * an input-chosen record count: the counts must not depend on the cut, and
 * must agree with a reference that keeps every name) and as cpuinfo
 * (system_parse_cpuinfo_cores: a reference here follows its header), and the
 * uptime_format of the uptime read must be what Telegraf's format makes.
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
    struct sample_field f[16];
    struct lp_tag tag = {"host", "fuzz"};
    static struct lpc_line back;
    char prefix[64], line[2048]; /* lp_line_max: 133 bytes a field since string fields */
    size_t plen, len;
    int n = system_fields(s, n_cpus, f), want = 0;

    want += s->cur.have_load ? 3 : 0;
    if (want || s->cur.have_uptime)
        want += (n_cpus > 0) + (s->have_physical && s->physical >= 0) + (s->cur.have_users ? 1 + (s->cur.unique >= 0) : 0) +
                (s->cur.have_uptime && s->cur.uptime < 9.2e18 ? 1 + (s->uptime_format[0] != 0) : 0);
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
        FUZZ_CHECK(back.fields[i].is_str == (f[i].type == SAMPLE_STRING));
        if (f[i].type == SAMPLE_STRING)
            FUZZ_CHECK(strcmp(back.fields[i].s, f[i].v.s) == 0);
        else if (f[i].type == SAMPLE_INT)
            FUZZ_CHECK(back.fields[i].i == f[i].v.i && f[i].v.i >= 0);
        else
            FUZZ_CHECK(lpc_close(f[i].v.f, back.fields[i].f));
    }
}

/* Reference utmp count: every USER_PROCESS record, distinct names with no table limit. */
static void ref_utmp(const uint8_t *d, size_t size, int64_t *users, int64_t *unique)
{
    size_t nrec = size / SYSTEM_UTMP_RECORD;
    *users = *unique = 0;
    for (size_t i = 0; i < nrec; i++) {
        const uint8_t *r = d + i * SYSTEM_UTMP_RECORD, *name = r + SYSTEM_UTMP_USER;
        size_t len = 0, j;
        short type;
        memcpy(&type, r, sizeof type);
        if (type != SYSTEM_UTMP_USER_PROCESS) continue;
        ++*users;
        while (len < SYSTEM_UTMP_USER_LEN && name[len]) len++;
        for (j = 0; j < i; j++) {
            const uint8_t *q = d + j * SYSTEM_UTMP_RECORD, *qn = q + SYSTEM_UTMP_USER;
            size_t ql = 0;
            short qt;
            memcpy(&qt, q, sizeof qt);
            if (qt != SYSTEM_UTMP_USER_PROCESS) continue;
            while (ql < SYSTEM_UTMP_USER_LEN && qn[ql]) ql++;
            if (ql == len && memcmp(qn, name, len) == 0) break;
        }
        if (j == i) ++*unique;
    }
}

/* Reference cpuinfo count, from the header of system_parse_cpuinfo_cores. */
static int64_t ref_cpuinfo(const char *s, size_t len)
{
    static int64_t ids[8192], cores[8192];
    int nids = 0, have_id = 0, have_cores = 0;
    int64_t id = 0, c = 0, sum = 0;
    size_t i = 0;
    while (i < len) {
        size_t e = i, a, b, colon;
        while (e < len && s[e] != '\n') e++;
        a = i, b = e;
        while (a < b && strchr(" \t\r\v\f", s[a]) && s[a]) a++;
        while (b > a && strchr(" \t\r\v\f", s[b - 1]) && s[b - 1]) b--;
        if (a == b) {
            /* (a last line of blanks with no newline is a line too: gopsutil's ReadLines keeps it) */
            if (have_id && have_cores) {
                int k;
                for (k = 0; k < nids && ids[k] != id; k++) {
                }
                if (k == nids) {
                    if (nids == 1024) return -1;
                    ids[nids++] = id;
                }
                cores[k] = c;
            }
            have_id = have_cores = 0;
        } else {
            for (colon = a; colon < b && s[colon] != ':'; colon++) {
            }
            if (colon < b) {
                /* (any length of value: Go's ParseInt takes leading zeros, "000...0" is 0) */
                static char val[16385];
                char key[16];
                size_t kb = colon, va = colon + 1, kl, vl;
                while (kb > a && strchr(" \t\r\v\f", s[kb - 1]) && s[kb - 1]) kb--;
                while (va < b && strchr(" \t\r\v\f", s[va]) && s[va]) va++;
                kl = kb - a, vl = b - va;
                if (kl < sizeof key && vl < sizeof val && vl > 0) {
                    char *end;
                    long long v;
                    for (size_t k = 0; k < kl; k++) key[k] = (char)((s[a + k] >= 'A' && s[a + k] <= 'Z') ? s[a + k] + 32 : s[a + k]);
                    key[kl] = 0;
                    memcpy(val, s + va, vl);
                    val[vl] = 0;
                    v = strtoll(val, &end, 10);
                    /* Go's ParseInt: [+-]digits only, within int32 */
                    int ok = strlen(key) == kl && strlen(val) == vl && *end == 0 && v >= -2147483648LL && v <= 2147483647LL && !strchr(val, ' ') &&
                             !strchr(val, '\t') && (val[0] == '+' || val[0] == '-' ? val[1] >= '0' && val[1] <= '9'
                                                                                   : val[0] >= '0' && val[0] <= '9');
                    if (ok && !strcmp(key, "physical id")) id = v, have_id = 1;
                    else if (ok && !strcmp(key, "cpu cores")) c = v, have_cores = 1;
                }
            }
        }
        i = e + 1;
    }
    for (int k = 0; k < nids; k++) sum += cores[k];
    return sum;
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

    /* utmp: whole, then in chunks of an input-chosen record count */
    {
        int64_t users, unique;
        size_t step = (size ? data[0] % 4 + 1 : 1) * SYSTEM_UTMP_RECORD;
        ref_utmp(data, size, &users, &unique);
        system_utmp_begin(&s.count);
        system_utmp_add(&s.count, data, size);
        FUZZ_CHECK(s.count.users == users);
        FUZZ_CHECK(s.count.overflow ? unique > SYSTEM_UTMP_NAMES : s.count.nnames == unique);
        system_utmp_begin(&s.count);
        for (size_t off = 0; off < size; off += step)
            system_utmp_add(&s.count, data + off, size - off < step ? size - off : step);
        FUZZ_CHECK(s.count.users == users);
        FUZZ_CHECK(s.count.overflow ? unique > SYSTEM_UTMP_NAMES : s.count.nnames == unique);
        s.cur.have_users = 1;
        s.cur.users = users;
        s.cur.unique = s.count.overflow ? -1 : unique;
    }
    /* cpuinfo */
    s.physical = system_parse_cpuinfo_cores(buf, size);
    FUZZ_CHECK(s.physical == ref_cpuinfo(buf, size));
    s.have_physical = 1;
    /* uptime_format: Telegraf's "%d day%s, " and "%2d:%02d" */
    if (s.cur.have_uptime && s.cur.uptime < 9.2e18) {
        uint64_t secs = (uint64_t)system_uptime_seconds(s.cur.uptime), days = secs / 86400;
        char text[64];
        /* rounded up to the next whole second, as sysinfo(2) does (0.000...08 is 1) */
        FUZZ_CHECK((double)secs == ceil(s.cur.uptime));
        if (days)
            snprintf(text, sizeof text, "%llu day%s, %2d:%02d", (unsigned long long)days, days > 1 ? "s" : "",
                     (int)(secs / 3600 % 24), (int)(secs / 60 % 60));
        else
            snprintf(text, sizeof text, "%2d:%02d", (int)(secs / 3600 % 24), (int)(secs / 60 % 60));
        FUZZ_CHECK(system_format_uptime(s.uptime_format, secs) == strlen(text));
        FUZZ_CHECK(strcmp(s.uptime_format, text) == 0 && strlen(text) <= SAMPLE_STRING_MAX);
    }
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
