/*
 * fuzz_kernel: kernel_parse_stat and kernel_parse_entropy on arbitrary
 * content, then the kernel and processes lines lp_encode makes of
 * kernel_fields and processes_fields.
 *
 * Both parsers are compared with a reference written here from the header's
 * grammar, by a different method: the content is split into lines first, each
 * line into its key (up to the first blank) and the rest. A key is one of
 * intr, ctxt, btime, processes, procs_running, procs_blocked; its value is
 * blanks then digits within INT64_MAX. intr wants a blank or '\n' right after
 * its digits; the others optional blanks then the line's '\n'. The last valid
 * line of a key wins. entropy_avail: [blanks] digits [blanks] '\n'.
 * The encoded lines must read back with every field, as non-negative integers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "lineproto.h"
#include "lpcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const ref_keys[KERNEL_NLINES] = {
    [KERNEL_INTR] = "intr",           [KERNEL_CTXT] = "ctxt",
    [KERNEL_BTIME] = "btime",         [KERNEL_PROCESSES] = "processes",
    [KERNEL_RUNNING] = "procs_running", [KERNEL_BLOCKED] = "procs_blocked",
};

static int blank(char c) { return c == ' ' || c == '\t'; }

/* Digits at s[*i..n): the value (saturated past INT64_MAX), 0 when no digit. */
static int ref_digits(const char *s, size_t n, size_t *i, unsigned __int128 *out)
{
    unsigned __int128 v = 0;
    size_t start = *i;
    while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
        if (v <= (unsigned __int128)INT64_MAX) v = v * 10 + (unsigned)(s[*i] - '0');
        (*i)++;
    }
    *out = v;
    return *i > start;
}

/* One line s[0..n), followed by '\n' when @nl. */
static void ref_line(const char *s, size_t n, int nl, struct kernel_values *v)
{
    size_t klen = 0, i;
    unsigned __int128 val;
    int k = -1;

    while (klen < n && !blank(s[klen])) klen++;
    if (klen == n) return; /* no blank after the key */
    for (int j = 0; j < KERNEL_NLINES; j++)
        if (strlen(ref_keys[j]) == klen && memcmp(s, ref_keys[j], klen) == 0) k = j;
    if (k < 0) return;
    i = klen;
    while (i < n && blank(s[i])) i++;
    if (!ref_digits(s, n, &i, &val) || val > (unsigned __int128)INT64_MAX) return;
    if (k == KERNEL_INTR) {
        if (!(i < n ? blank(s[i]) : nl)) return;
    } else {
        while (i < n && blank(s[i])) i++;
        if (i != n || !nl) return;
    }
    v->v[k] = (int64_t)val;
    v->present |= 1u << k;
}

static void ref_stat(const char *s, size_t len, struct kernel_values *v)
{
    size_t start = 0;
    v->present = 0;
    while (start < len) {
        size_t end = start;
        while (end < len && s[end] != '\n') end++;
        ref_line(s + start, end - start, end < len, v);
        start = end + 1;
    }
}

static int ref_entropy(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    unsigned __int128 val;
    while (i < len && blank(s[i])) i++;
    if (!ref_digits(s, len, &i, &val) || val > (unsigned __int128)INT64_MAX) return 0;
    while (i < len && blank(s[i])) i++;
    if (i >= len || s[i] != '\n') return 0;
    *out = (int64_t)val;
    return 1;
}

static void encode_checked(const char *measurement, const struct sample_field *f, int n, int64_t ts)
{
    struct lp_tag tag = {"host", "fuzz"};
    static struct lpc_line back;
    char prefix[64], line[1024];
    size_t plen, len;

    if (n == 0) return;
    plen = lp_series_build(prefix, sizeof prefix, measurement, &tag, 1);
    FUZZ_CHECK(plen > 0);
    FUZZ_CHECK(lp_line_max(plen, n) <= sizeof line);
    len = lp_encode(line, sizeof line, prefix, plen, f, n, ts);
    FUZZ_CHECK(len > 0);
    FUZZ_CHECK(lpc_parse_line(line, len, &back));
    FUZZ_CHECK(strcmp(back.measurement, measurement) == 0 && back.nfields == n && back.ts == ts);
    for (int i = 0; i < n; i++) {
        FUZZ_CHECK(strcmp(back.fields[i].key, f[i].key) == 0);
        FUZZ_CHECK(back.fields[i].is_int && f[i].type == SAMPLE_INT);
        FUZZ_CHECK(back.fields[i].i == f[i].v.i && f[i].v.i >= 0);
    }
}

/* Every key in @f must be in @names. */
static void names_listed(const struct sample_field *f, int n, const char *const *names)
{
    for (int i = 0; i < n; i++) {
        int found = 0;
        for (const char *const *p = names; *p; p++) found |= strcmp(*p, f[i].key) == 0;
        FUZZ_CHECK(found);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1); /* exact copy: ASan catches a read past the end */
    struct kernel_values want;
    struct kernel_collector k;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    int64_t ts = 0, ent = -1, want_ent = -1;
    int ok, n, nk;

    FUZZ_CHECK(buf != NULL);
    memcpy(buf, data, size);
    if (size >= 8) memcpy(&ts, data + size / 2 - 4, 8);

    memset(&k, 0, sizeof k);
    ok = kernel_parse_stat(buf, size, &k.cur);
    ref_stat(buf, size, &want);
    FUZZ_CHECK(ok == (want.present != 0));
    FUZZ_CHECK(k.cur.present == want.present);
    for (int j = 0; j < KERNEL_NLINES; j++)
        if ((want.present >> j) & 1) FUZZ_CHECK(k.cur.v[j] == want.v[j] && want.v[j] >= 0);

    ok = kernel_parse_entropy(buf, size, &ent);
    FUZZ_CHECK(ok == ref_entropy(buf, size, &want_ent));
    if (ok) FUZZ_CHECK(ent == want_ent && ent >= 0);
    k.have_entropy = ok;
    k.entropy_avail = ent;

    /* The content as /proc/stat (and as entropy_avail): two lines. */
    n = kernel_fields(&k, f);
    nk = ok;
    for (int j = 0; j < KERNEL_NLINES; j++)
        nk += j != KERNEL_RUNNING && j != KERNEL_BLOCKED && ((want.present >> j) & 1);
    FUZZ_CHECK(n == nk);
    names_listed(f, n, kernel_field_names);
    encode_checked("kernel", f, n, ts);
    n = processes_fields(&k, f);
    FUZZ_CHECK(n == (int)((want.present >> KERNEL_RUNNING) & 1) +
                        (int)((want.present >> KERNEL_BLOCKED) & 1));
    names_listed(f, n, processes_field_names);
    encode_checked("processes", f, n, ts);

    /* kernel_sample on borrowed content agrees with the parse. */
    {
        struct kernel_collector s;
        memset(&s, 0, sizeof s);
        s.stat.fd = s.entropy.fd = -1;
        FUZZ_CHECK(kernel_sample(&s, buf, size) == (want.present ? 0 : -1));
        FUZZ_CHECK(s.cur.present == want.present && !s.have_entropy);
    }

    free(buf);
    return 0;
}
