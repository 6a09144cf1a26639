/*
 * fuzz_diskio: diskio_parse_line on every line of arbitrary /proc/diskstats
 * content, then the same content, cut into up to four readings at '\f'
 * bytes, through one collector's slot table; each present series is encoded
 * with lp_encode and read back.
 *
 * The reference below is written from the header's grammar, not from
 * diskio.c: columns split at spaces and tabs; major and minor within 32
 * bits; a name of 1-31 bytes in 0x21-0x7e/0x80-0xff not ending in '\';
 * then only decimal columns, at least 11; a counter above INT64_MAX drops
 * its field. The selection (default rule, name rule only, no sysfs; or a
 * glob list picked by the first byte) is re-implemented too.
 *
 * Slot invariants after each reading: a present slot holds a device the
 * reading selected, with the values of its last line; no identity (name,
 * major, minor) in two present slots; every selected device has a slot
 * unless some were skipped; a slot's generation changes exactly when its
 * device does; the fields encode to valid line protocol tagged with the name.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diskio.h"
#include "lineproto.h"
#include "lpcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ref_line {
    int ok;
    uint64_t major, minor;
    char name[64];
    size_t name_len;
    uint64_t v[11];
    int big[11];
    int columns;
};

static int blank(char c) { return c == ' ' || c == '\t'; }

/* One line s[0..n) (no '\n'), by splitting into columns first. */
static void ref_parse(const char *s, size_t n, struct ref_line *r)
{
    size_t i = 0;
    int col = 0;
    memset(r, 0, sizeof *r);
    for (;;) {
        size_t start;
        while (i < n && blank(s[i])) i++;
        if (i == n) break;
        start = i;
        while (i < n && !blank(s[i])) i++;
        col++;
        if (col == 3) {
            size_t len = i - start;
            if (len < 1 || len > 31 || s[i - 1] == '\\') return;
            for (size_t k = start; k < i; k++) {
                unsigned char c = (unsigned char)s[k];
                if (c < 0x21 || c == 0x7f) return;
            }
            memcpy(r->name, s + start, len);
            r->name_len = len;
        } else {
            unsigned __int128 v = 0;
            int big = 0;
            for (size_t k = start; k < i; k++) {
                if (s[k] < '0' || s[k] > '9') return;
                if (!big) v = v * 10 + (unsigned)(s[k] - '0');
                if (v > UINT64_MAX) big = 1;
            }
            if (col <= 2) {
                if (big || v > UINT32_MAX) return;
                if (col == 1) r->major = (uint64_t)v; else r->minor = (uint64_t)v;
            } else if (col - 4 < 11) {
                r->v[col - 4] = big ? 0 : (uint64_t)v;
                r->big[col - 4] = big || v > INT64_MAX;
            }
        }
    }
    r->columns = col;
    r->ok = col >= 14;
}

static int all_digits_after(const char *s, size_t n, size_t from)
{
    if (from >= n) return 0;
    for (size_t k = from; k < n; k++)
        if (s[k] < '0' || s[k] > '9') return 0;
    return 1;
}

static int ref_partition(const char *s, size_t n)
{
    static const char *const pfx[] = {"sd", "hd", "vd", "xvd"};
    size_t e = n;
    for (int k = 0; k < 4; k++) {
        size_t pl = strlen(pfx[k]), i = pl;
        if (n <= pl || memcmp(s, pfx[k], pl) != 0) continue;
        while (i < n && s[i] >= 'a' && s[i] <= 'z') i++;
        if (i > pl && all_digits_after(s, n, i)) return 1;
    }
    while (e > 0 && s[e - 1] >= '0' && s[e - 1] <= '9') e--;
    return e < n && e >= 2 && s[e - 1] == 'p' && s[e - 2] >= '0' && s[e - 2] <= '9';
}

static int ref_noise(const char *s, size_t n)
{
    return (n > 4 && memcmp(s, "loop", 4) == 0 && all_digits_after(s, n, 4)) ||
           (n > 3 && memcmp(s, "ram", 3) == 0 && all_digits_after(s, n, 3)) ||
           (n > 4 && memcmp(s, "zram", 4) == 0 && all_digits_after(s, n, 4));
}

/* Mode 1: "*"; mode 2: "s*" and "?m*" (match.c's globs, checked here by hand). */
static int ref_selected(int mode, const struct ref_line *r)
{
    if (mode == 1) return 1;
    if (mode == 2)
        return r->name[0] == 's' || (r->name_len >= 2 && r->name[1] == 'm');
    return !ref_noise(r->name, r->name_len) && !ref_partition(r->name, r->name_len);
}

static char proc_root[64];

static void cleanup(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/diskstats", proc_root);
    unlink(path);
    rmdir(proc_root);
}

static void make_root(void)
{
    char path[128];
    FILE *f;
    if (proc_root[0]) return;
    strcpy(proc_root, "/tmp/fuzz_diskio-XXXXXX");
    FUZZ_CHECK(mkdtemp(proc_root) != NULL);
    snprintf(path, sizeof path, "%s/diskstats", proc_root);
    f = fopen(path, "w");
    FUZZ_CHECK(f != NULL);
    fclose(f); /* empty at open: 16 slots, a 32-line cache */
    atexit(cleanup);
}

static void check_line(const char *s, size_t n)
{
    struct diskio_values v;
    struct ref_line r;
    int ok = diskio_parse_line(s, n, &v);
    ref_parse(s, n, &r);
    FUZZ_CHECK(ok == r.ok);
    if (!ok) return;
    FUZZ_CHECK(v.major == r.major && v.minor == r.minor && v.columns == r.columns);
    FUZZ_CHECK(v.name_len == r.name_len && memcmp(v.name, r.name, r.name_len) == 0);
    FUZZ_CHECK(diskio_name_is_partition(v.name, v.name_len) == ref_partition(r.name, r.name_len));
    for (int k = 0; k < 11; k++) {
        FUZZ_CHECK(((v.big >> k) & 1) == (unsigned)r.big[k]);
        if (!r.big[k]) FUZZ_CHECK(v.v[k] == r.v[k]);
    }
}

/* Telegraf's order: the stat index of each field, and whether it is bytes. */
static const int field_stat[11] = {0, 4, 2, 6, 3, 7, 9, 10, 8, 1, 5};

static void check_slot_fields(const struct diskio_collector *d, int s, const struct ref_line *r,
                              int64_t ts)
{
    struct sample_field f[DISKIO_NSTATS];
    struct lp_tag tags[2] = {{"host", "fuzz"}, {"name", NULL}};
    static struct lpc_line back;
    char prefix[160], line[4096];
    size_t plen, len;
    int n = diskio_fields(d, s, f), want = 0, any = 0;

    for (int k = 0; k < 11; k++) any |= r->big[k] || r->v[k] != 0;
    for (int k = 0; k < 11 && any; k++) {
        int st = field_stat[k];
        if (r->big[st]) continue;
        if ((k == 2 || k == 3) && r->v[st] > (uint64_t)INT64_MAX / 512) continue;
        FUZZ_CHECK(want < n && strcmp(f[want].key, diskio_field_names[k]) == 0);
        FUZZ_CHECK(f[want].type == SAMPLE_INT);
        FUZZ_CHECK((uint64_t)f[want].v.i == r->v[st] * ((k == 2 || k == 3) ? 512 : 1));
        want++;
    }
    FUZZ_CHECK(n == want);
    tags[1].value = diskio_slot_name(d, s);
    plen = lp_series_build(prefix, sizeof prefix, "diskio", tags, 2);
    FUZZ_CHECK(plen > 0);
    FUZZ_CHECK(lpc_parse_prefix(prefix, plen, &back));
    FUZZ_CHECK(back.ntags == 2 && strcmp(back.tag_key[1], "name") == 0);
    FUZZ_CHECK(strcmp(back.tag_value[1], diskio_slot_name(d, s)) == 0);
    if (n == 0) return;
    FUZZ_CHECK(lp_line_max(plen, n) <= sizeof line);
    len = lp_encode(line, sizeof line, prefix, plen, f, n, ts);
    FUZZ_CHECK(len > 0);
    FUZZ_CHECK(lpc_parse_line(line, len, &back));
    FUZZ_CHECK(back.nfields == n && back.ts == ts);
    for (int i = 0; i < n; i++)
        FUZZ_CHECK(back.fields[i].is_int && back.fields[i].i == f[i].v.i && f[i].v.i >= 0);
}

static struct ref_line refs[8192];
/* What a slot holds, present or not (slots_held), to compare across readings. */
struct held {
    char name[DISKIO_NAME_MAX + 1]; /* "" never used */
    size_t len;
    uint32_t major, minor;
    unsigned gen;
};

static struct held before[DISKIO_MAX_SLOTS];

static void held_of(const struct diskio_collector *d, int s, struct held *h)
{
    uint64_t id = 0;
    const char *name = slots_held(&d->slots, s, &id);
    FUZZ_CHECK(name != NULL);
    snprintf(h->name, sizeof h->name, "%s", name);
    h->len = strlen(h->name);
    h->major = (uint32_t)(id >> 32);
    h->minor = (uint32_t)id;
    h->gen = diskio_slot_gen(d, s);
}

static void check_reading(const struct diskio_collector *d, const char *buf, size_t len, int mode,
                          int64_t ts)
{
    const char *p = buf, *end = buf + len;
    int nref = 0, missing = 0, present = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) break; /* a cut last line: skipped */
        check_line(p, (size_t)(nl - p));
        if (nref < (int)(sizeof refs / sizeof refs[0])) {
            ref_parse(p, (size_t)(nl - p), &refs[nref]);
            if (refs[nref].ok && ref_selected(mode, &refs[nref])) nref++;
        }
        p = nl + 1;
    }
    for (int s = 0; s < d->nslots; s++) {
        struct held cur, *sl = &cur;
        int changed;
        held_of(d, s, &cur);
        changed = strcmp(sl->name, before[s].name) != 0 || sl->major != before[s].major ||
                      sl->minor != before[s].minor;
        const char *name = diskio_slot_name(d, s);
        FUZZ_CHECK(changed == (diskio_slot_gen(d, s) != before[s].gen));
        if (!name) {
            struct sample_field f[DISKIO_NSTATS];
            FUZZ_CHECK(diskio_fields(d, s, f) == 0);
            continue;
        }
        present++;
        /* its values are those of the last line of this identity */
        {
            int hit = -1;
            for (int i = 0; i < nref; i++)
                if (refs[i].name_len == sl->len && memcmp(refs[i].name, name, sl->len) == 0 &&
                    refs[i].major == sl->major && refs[i].minor == sl->minor)
                    hit = i;
            FUZZ_CHECK(hit >= 0);
            check_slot_fields(d, s, &refs[hit], ts);
        }
        for (int t = s + 1; t < d->nslots; t++)
            if (diskio_slot_name(d, t)) {
                struct held other;
                held_of(d, t, &other);
                FUZZ_CHECK(!(strcmp(other.name, name) == 0 && other.major == sl->major &&
                             other.minor == sl->minor));
            }
    }
    for (int i = 0; i < nref; i++) {
        int found = 0;
        for (int s = 0; s < d->nslots && !found; s++)
            if (diskio_slot_name(d, s)) {
                struct held h;
                held_of(d, s, &h);
                found = h.len == refs[i].name_len && memcmp(h.name, refs[i].name, refs[i].name_len) == 0 &&
                        h.major == refs[i].major && h.minor == refs[i].minor;
            }
        missing += !found;
    }
    FUZZ_CHECK(missing <= d->skipped);
    FUZZ_CHECK(missing == 0 || d->skipped > 0);
    FUZZ_CHECK(present <= d->nslots && d->nslots == 16);
    for (int s = 0; s < d->nslots; s++) held_of(d, s, &before[s]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct diskio_collector d;
    struct match_list only;
    char pat1[] = "*", pat2[] = "s*", pat3[] = "?m*";
    char err[256];
    int mode = size ? data[0] % 3 : 0;
    size_t start = 0;
    int64_t ts = 0;

    make_root();
    if (size >= 8) memcpy(&ts, data + size / 2 - 4, 8);
    only.n = 0;
    if (mode == 1) {
        only.pat[0] = pat1;
        only.n = 1;
    } else if (mode == 2) {
        only.pat[0] = pat2;
        only.pat[1] = pat3;
        only.n = 2;
    }
    FUZZ_CHECK(diskio_open(&d, proc_root, NULL, &only, err, sizeof err) == 0);
    memset(before, 0, sizeof before);
    for (int reading = 0; reading < 4 && start <= size; reading++) {
        const uint8_t *ff = size > start ? memchr(data + start, '\f', size - start) : NULL;
        size_t n = ff ? (size_t)(ff - data) - start : size - start;
        char *buf = malloc(n ? n : 1); /* exact copy: ASan catches a read past the end */
        FUZZ_CHECK(buf != NULL);
        memcpy(buf, data + start, n);
        diskio_update(&d, buf, n);
        check_reading(&d, buf, n, mode, ts);
        /* the same reading again: when no device was left out, nothing moves */
        {
            unsigned gens[DISKIO_MAX_SLOTS];
            int skipped = d.skipped;
            for (int s = 0; s < d.nslots; s++) gens[s] = diskio_slot_gen(&d, s);
            diskio_update(&d, buf, n);
            check_reading(&d, buf, n, mode, ts);
            if (skipped == 0)
                for (int s = 0; s < d.nslots; s++) FUZZ_CHECK(gens[s] == diskio_slot_gen(&d, s));
        }
        free(buf);
        start += n + 1;
    }
    diskio_close(&d);
    return 0;
}
