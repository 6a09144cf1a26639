/*
 * fuzz_net: net_parse_line on every line of arbitrary content, then a
 * sequence of readings through the slot table, and the net lines lp_encode
 * makes of them.
 *
 * The first byte picks the slot count (1..8, so overflow is common) and the
 * selection (default, a glob list, or "*"); the rest is split on '\f' into
 * readings fed one after another to three collectors: no line cache, a tiny
 * one, a large one.
 *
 * Checks, against a reference parser written here from the header's grammar
 * (blanks, a 1..15-byte name without whitespace or NUL and not ending in '\',
 * ':', exactly 16 decimals within UINT64_MAX, blanks, an optional '\r') and
 * fnmatch(3) for the globs:
 *  - net_parse_line agrees with the reference on every line;
 *  - the three collectors agree on everything (the cache changes no result);
 *  - each present slot holds a selected name of the reading with the values
 *    of its first line, no name is in two slots, skipped counts exactly the
 *    selected lines left without a slot, and a line is skipped only when
 *    every slot was either taken now or present in the previous reading;
 *  - an interface present twice in a row keeps its slot; a slot's generation
 *    moves by one exactly when it takes a different name;
 *  - the encoded line reads back with interface=<name> and every field.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lineproto.h"
#include "lpcheck.h"
#include "net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXSLOTS 8
#define MAXLINES 4096

struct ref_line {
    char name[32];
    uint64_t c[16];
};

static int ref_blank(char ch) { return ch == ' ' || ch == '\t'; }

/* Reference grammar of one line (without its '\n'). */
static int ref_parse(const char *s, size_t len, struct ref_line *out)
{
    size_t i = 0, colon, nlen;
    while (i < len && ref_blank(s[i])) i++;
    for (colon = i; colon < len && s[colon] != ':'; colon++) {}
    if (colon >= len) return 0;
    nlen = colon - i;
    if (nlen < 1 || nlen > 15) return 0;
    for (size_t j = i; j < colon; j++)
        if (s[j] == '\0' || isspace((unsigned char)s[j])) return 0;
    if (s[colon - 1] == '\\') return 0;
    memcpy(out->name, s + i, nlen);
    out->name[nlen] = '\0';
    i = colon + 1;
    for (int k = 0; k < 16; k++) {
        unsigned __int128 v = 0;
        size_t digits = 0;
        while (i < len && ref_blank(s[i])) i++;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
            v = v * 10 + (unsigned)(s[i] - '0');
            if (v > UINT64_MAX) return 0;
        }
        if (digits == 0) return 0;
        out->c[k] = (uint64_t)v;
    }
    while (i < len && ref_blank(s[i])) i++;
    if (i < len && s[i] == '\r') i++;
    return i == len;
}

static const struct match_list globs = {{"e*", "?0", "lo", "*,*"}, 4};
static const struct match_list star = {{"*"}, 1};

static int ref_selected(const struct match_list *only, const char *name)
{
    if (!only) return strcmp(name, "lo") != 0;
    for (int k = 0; k < only->n; k++)
        if (fnmatch(only->pat[k], name, 0) == 0) return 1;
    return 0;
}

/* Fields a line should give, in Telegraf's order: [tx bytes, rx bytes, tx pkts, rx pkts, rx errs,
   tx errs, rx drop, tx drop]. */
static const int col[8] = {8, 0, 9, 1, 2, 10, 3, 11};

static void check_encoded(const char *name, const struct sample_field *f, int nf, int64_t ts)
{
    static struct lpc_line back;
    struct lp_tag tags[2] = {{"interface", name}, {"host", "fuzz"}};
    char prefix[256], line[2048]; /* lp_line_max: 133 bytes a field since string fields */
    size_t plen, len;

    plen = lp_series_build(prefix, sizeof prefix, "net", tags, 2);
    FUZZ_CHECK(plen > 0); /* every name net reports is writable */
    FUZZ_CHECK(lpc_parse_prefix(prefix, plen, &back));
    if (nf == 0) return;
    FUZZ_CHECK(lp_line_max(plen, nf) <= sizeof line);
    len = lp_encode(line, sizeof line, prefix, plen, f, nf, ts);
    FUZZ_CHECK(len > 0);
    FUZZ_CHECK(lpc_parse_line(line, len, &back));
    FUZZ_CHECK(strcmp(back.measurement, "net") == 0 && back.ntags == 2);
    FUZZ_CHECK(strcmp(back.tag_key[0], "host") == 0 && strcmp(back.tag_value[0], "fuzz") == 0);
    FUZZ_CHECK(strcmp(back.tag_key[1], "interface") == 0 && strcmp(back.tag_value[1], name) == 0);
    FUZZ_CHECK(back.nfields == nf && back.ts == ts);
    for (int i = 0; i < nf; i++) {
        FUZZ_CHECK(strcmp(back.fields[i].key, f[i].key) == 0);
        FUZZ_CHECK(back.fields[i].is_int && back.fields[i].i == f[i].v.i);
    }
}

static void same_state(const struct net_collector *a, const struct net_collector *b)
{
    FUZZ_CHECK(net_slots(a) == net_slots(b) && a->skipped == b->skipped);
    for (int k = 0; k < net_slots(a); k++) {
        const char *na = net_slot_name(a, k), *nb = net_slot_name(b, k);
        struct sample_field fa[NET_NFIELDS], fb[NET_NFIELDS];
        int nfa = net_fields(a, k, fa), nfb = net_fields(b, k, fb);
        FUZZ_CHECK((na == NULL) == (nb == NULL));
        if (na) FUZZ_CHECK(strcmp(na, nb) == 0);
        FUZZ_CHECK(net_slot_gen(a, k) == net_slot_gen(b, k));
        FUZZ_CHECK(nfa == nfb);
        for (int i = 0; i < nfa; i++)
            FUZZ_CHECK(fa[i].key == fb[i].key && fa[i].v.i == fb[i].v.i);
    }
}

/* What the checker remembers of each slot between readings. */
struct seen_slot {
    char name[32];     /* at its last presence; "" never */
    unsigned gen;      /* then */
    int present_prev;  /* present in the previous reading */
};

static struct ref_line lines[MAXLINES];

static void check_reading(const struct net_collector *n, const char *buf, size_t len, int filled,
                          const struct match_list *only, struct seen_slot *seen, int64_t ts)
{
    int nl = 0, present = 0, skipped = 0, free_left = 0;
    const char *p = buf, *end = buf + len;

    /* the reference reading: complete lines only */
    while (p < end) {
        const char *nlp = memchr(p, '\n', (size_t)(end - p));
        if (!nlp) break;
        FUZZ_CHECK(nl < MAXLINES);
        if (ref_parse(p, (size_t)(nlp - p), &lines[nl]) && ref_selected(only, lines[nl].name)) nl++;
        p = nlp + 1;
    }

    for (int k = 0; k < net_slots(n); k++) {
        const char *name = net_slot_name(n, k);
        struct sample_field f[NET_NFIELDS];
        int nf = net_fields(n, k, f), first = -1;
        if (!name) {
            FUZZ_CHECK(nf == 0);
            if (!seen[k].present_prev) free_left = 1;
            continue;
        }
        present++;
        for (int j = 0; j < net_slots(n); j++)
            if (j != k && net_slot_name(n, j)) FUZZ_CHECK(strcmp(net_slot_name(n, j), name) != 0);
        for (int i = 0; i < nl && first < 0; i++)
            if (strcmp(lines[i].name, name) == 0) first = i;
        FUZZ_CHECK(first >= 0); /* a selected name of this reading */
        {
            int w = 0;
            for (int c = 0; c < 8; c++) {
                uint64_t v = lines[first].c[col[c]];
                if (v > (uint64_t)INT64_MAX) continue;
                FUZZ_CHECK(w < nf && f[w].type == SAMPLE_INT && f[w].v.i == (int64_t)v);
                FUZZ_CHECK(strcmp(f[w].key, net_field_names[c]) == 0);
                w++;
            }
            FUZZ_CHECK(w == nf);
        }
        /* generation: +1 exactly when the slot changed hands */
        if (seen[k].name[0] == '\0' || strcmp(seen[k].name, name) != 0)
            FUZZ_CHECK(net_slot_gen(n, k) == seen[k].gen + 1);
        else
            FUZZ_CHECK(net_slot_gen(n, k) == seen[k].gen);
        check_encoded(name, f, nf, ts);
    }
    FUZZ_CHECK(present == filled);

    /* stability: present last time and now means the same slot */
    for (int k = 0; k < net_slots(n); k++)
        if (seen[k].present_prev)
            for (int i = 0; i < nl; i++)
                if (strcmp(lines[i].name, seen[k].name) == 0) {
                    FUZZ_CHECK(net_slot_name(n, k) && strcmp(net_slot_name(n, k), seen[k].name) == 0);
                    break;
                }

    /* skipped: selected lines whose name has no slot */
    for (int i = 0; i < nl; i++) {
        int has = 0;
        for (int k = 0; k < net_slots(n) && !has; k++)
            has = net_slot_name(n, k) && strcmp(net_slot_name(n, k), lines[i].name) == 0;
        skipped += !has;
    }
    FUZZ_CHECK(n->skipped == skipped);
    if (skipped) FUZZ_CHECK(!free_left);

    for (int k = 0; k < net_slots(n); k++) {
        const char *name = net_slot_name(n, k);
        seen[k].present_prev = name != NULL;
        if (name) {
            snprintf(seen[k].name, sizeof seen[k].name, "%s", name);
            seen[k].gen = net_slot_gen(n, k);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct net_collector c0, c1, c2;
    struct seen_slot seen[MAXSLOTS];
    const struct match_list *only, *ref_only;
    char err[128];
    const char *s, *end;
    int nslots, mode;
    int64_t ts = 1700000000;

    if (size == 0) return 0;
    nslots = 1 + data[0] % MAXSLOTS;
    mode = (data[0] / MAXSLOTS) % 3;
    only = mode == 0 ? NULL : mode == 1 ? &globs : &star;
    ref_only = only;
    s = (const char *)data + 1;
    end = (const char *)data + size;

    /* every line of the whole input, and the input as one line */
    {
        const char *p = s;
        for (;;) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
            char *copy = malloc(len ? len : 1); /* exact: ASan catches a read past the end */
            struct net_iface_values v;
            struct ref_line r;
            int got, want;
            FUZZ_CHECK(copy != NULL);
            memcpy(copy, p, len);
            memset(&v, 0x5a, sizeof v);
            got = net_parse_line(copy, len, &v);
            want = ref_parse(copy, len, &r);
            FUZZ_CHECK(got == want);
            if (got) {
                FUZZ_CHECK(strcmp(v.name, r.name) == 0 && v.len == strlen(r.name));
                FUZZ_CHECK(memcmp(v.c, r.c, sizeof r.c) == 0);
            }
            free(copy);
            if (!nl) break;
            p = nl + 1;
        }
    }

    FUZZ_CHECK(net_init(&c0, only, nslots, 0, err, sizeof err) == 0);
    FUZZ_CHECK(net_init(&c1, only, nslots, 2, err, sizeof err) == 0);
    FUZZ_CHECK(net_init(&c2, only, nslots, 64, err, sizeof err) == 0);
    memset(seen, 0, sizeof seen);
    while (s <= end) {
        const char *ff = memchr(s, '\f', (size_t)(end - s));
        size_t len = ff ? (size_t)(ff - s) : (size_t)(end - s);
        char *reading = malloc(len ? len : 1);
        int f0, f1, f2;
        FUZZ_CHECK(reading != NULL);
        memcpy(reading, s, len);
        f0 = net_update(&c0, reading, len);
        f1 = net_update(&c1, reading, len);
        f2 = net_update(&c2, reading, len);
        FUZZ_CHECK(f0 == f1 && f1 == f2);
        same_state(&c0, &c1);
        same_state(&c0, &c2);
        check_reading(&c2, reading, len, f2, ref_only, seen, ts++);
        free(reading);
        if (!ff) break;
        s = ff + 1;
    }
    net_close(&c0);
    net_close(&c1);
    net_close(&c2);
    return 0;
}
