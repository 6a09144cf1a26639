#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procparse.h"

const char *const net_field_names[] = {
    "bytes_sent", "bytes_recv", "packets_sent", "packets_recv",
    "err_in",     "err_out",    "drop_in",      "drop_out",     NULL,
};

/* The /proc/net/dev column behind each field, in net_field_names order. */
static const unsigned char field_column[NET_NFIELDS] = {
    NET_TX_BYTES, NET_RX_BYTES, NET_TX_PACKETS, NET_RX_PACKETS,
    NET_RX_ERRS,  NET_TX_ERRS,  NET_RX_DROP,    NET_TX_DROP,
};

/* Buffer room per line the file may grow by, and the buffer's ceiling. */
#define NET_LINE_BYTES 200
#define NET_MAX_BUF (4u << 20)

/*
 * The name of a line: after leading blanks, up to the first ':', looked for
 * only within NET_NAME_MAX + 1 bytes (so the two header lines, which hold no
 * ':', cost at most 16 bytes each). @return the name length with *name and
 * *rest (just past the ':') set, or 0 when the line has no valid name.
 */
static size_t line_name(const char *line, const char *end, const char **name, const char **rest)
{
    const char *p = line, *colon;
    size_t span;

    pp_skip_blanks(&p, end);
    span = (size_t)(end - p);
    if (span > NET_NAME_MAX + 1) span = NET_NAME_MAX + 1;
    colon = memchr(p, ':', span);
    if (!colon || colon == p) return 0;
    for (const char *q = p; q < colon; q++)
        if (*q == ' ' || *q == '\t' || *q == '\0' || *q == '\r' || *q == '\v' || *q == '\f')
            return 0;
    /* InfluxDB 1.x would read "\ " as an escaped space: unwritable. */
    if (colon[-1] == '\\') return 0;
    *name = p;
    *rest = colon + 1;
    return (size_t)(colon - p);
}

/*
 * The 16 counters after the colon, then only blanks and an optional '\r'.
 * This is the per-tick cost (16 numbers a line), so the digits are summed
 * without pp_u64's overflow test per digit: 19 digits always fit in 64 bits,
 * and only a longer run (rare: leading zeros, or garbage) is checked exactly.
 */
static int line_counters(const char *p, const char *end, uint64_t c[NET_NCOUNTERS])
{
    for (int k = 0; k < NET_NCOUNTERS; k++) {
        const char *start;
        uint64_t v = 0;
        while (p < end && (*p == ' ' || *p == '\t')) p++;
        start = p;
        while (p < end && (unsigned)(*p - '0') < 10) v = v * 10 + (unsigned)(*p++ - '0');
        if (p == start) return 0;
        if (p - start > 19) {
            const char *q = start;
            if (!pp_u64(&q, p, &v)) return 0; /* more than UINT64_MAX */
        }
        c[k] = v;
    }
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    if (p < end && *p == '\r') p++;
    return p == end;
}

int net_parse_line(const char *line, size_t len, struct net_iface_values *out)
{
    const char *end = line + len, *name, *rest;
    size_t nlen = line_name(line, end, &name, &rest);

    if (nlen == 0 || !line_counters(rest, end, out->c)) return 0;
    memcpy(out->name, name, nlen);
    out->name[nlen] = '\0';
    out->len = nlen;
    return 1;
}

static int selected(const struct net_collector *n, const char *name, size_t len)
{
    if (!n->only || n->only->n == 0) return !(len == 2 && name[0] == 'l' && name[1] == 'o');
    return match_any(n->only, name, len);
}

/*
 * The slot for a name the line cache could not answer: the slot already
 * holding the name (whether its interface was present last time, came back
 * after an absence, or stands twice in this reading), else a free one, never
 * used ones first so that the names left in stale slots keep a chance to
 * come back to them. Claims nothing. @return the slot or NET_LINE_NOSLOT.
 */
static int find_slot(const struct net_collector *n, const char *name, size_t len)
{
    int empty = -1, stale = -1;
    for (int k = 0; k < n->nslots; k++) {
        const struct net_slot *s = &n->slots[k];
        if (s->len == len && memcmp(s->name, name, len) == 0) return k;
        if (s->seen + 1 >= n->tick) continue; /* present last time, or taken in this reading */
        if (s->len == 0) {
            if (empty < 0) empty = k;
        } else if (stale < 0) {
            stale = k;
        }
    }
    return empty >= 0 ? empty : stale >= 0 ? stale : NET_LINE_NOSLOT;
}

/*
 * The line cache makes a stable file cost one name compare per line: entry i
 * holds the name line i carried in the previous reading and what was decided
 * for it. A slot number found there is still that name's slot, because only
 * slots whose interface was absent from the previous reading are handed out,
 * and this one was present (entries of lines that were malformed or missing
 * last time are cleared, so no entry is older than one reading).
 */
int net_update(struct net_collector *n, const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len, *next;
    int line = 0, filled = 0, skipped = 0;
    uint64_t tick = ++n->tick;

    for (; p < end && (next = pp_next_line(p, end)) != NULL; p = next, line++) {
        const char *eol = next - 1, *name, *rest;
        struct net_line *c = line < n->nlines ? &n->lines[line] : NULL;
        size_t nlen = line_name(p, eol, &name, &rest);
        uint64_t v[NET_NCOUNTERS];
        struct net_slot *s;
        int k;

        if (nlen == 0) {
            if (c) c->len = 0;
            continue;
        }
        if (c && c->len == nlen && memcmp(c->name, name, nlen) == 0 && c->slot != NET_LINE_NOSLOT &&
            (c->slot < 0 || n->slots[c->slot].len == nlen)) {
            k = c->slot;
        } else {
            k = selected(n, name, nlen) ? find_slot(n, name, nlen) : NET_LINE_UNSELECTED;
            if (c) {
                c->len = (unsigned char)nlen;
                memcpy(c->name, name, nlen);
                c->slot = (short)k;
            }
        }
        if (k == NET_LINE_UNSELECTED) continue;
        if (!line_counters(rest, eol, v)) {
            if (c) c->len = 0; /* its slot, if any, may be handed out next time */
            continue;
        }
        if (k == NET_LINE_NOSLOT) {
            skipped++;
            continue;
        }
        s = &n->slots[k];
        if (s->seen == tick) continue; /* the name again in one reading: the first line wins */
        if (s->len != nlen || memcmp(s->name, name, nlen) != 0) {
            memcpy(s->name, name, nlen);
            s->name[nlen] = '\0';
            s->len = (unsigned char)nlen;
            s->gen++;
        }
        s->seen = tick;
        for (int f = 0; f < NET_NFIELDS; f++) s->v[f] = v[field_column[f]];
        filled++;
    }
    if (line > n->nlines) line = n->nlines;
    for (int i = line; i < n->lines_valid; i++) n->lines[i].len = 0;
    n->lines_valid = line;
    n->skipped = skipped;
    return filled;
}

int net_init(struct net_collector *n, const struct match_list *only, int nslots, int nlines,
             char *err, size_t errlen)
{
    memset(n, 0, sizeof *n);
    n->pf.fd = -1;
    if (nslots < 1 || nslots > NET_MAX_SLOTS || nlines < 0 || nlines > NET_MAX_LINE_CACHE) {
        snprintf(err, errlen, "net: %d slots and %d cached lines is out of range", nslots, nlines);
        return -1;
    }
    n->slots = calloc((size_t)nslots, sizeof *n->slots);
    n->lines = nlines ? calloc((size_t)nlines, sizeof *n->lines) : NULL;
    if (!n->slots || (nlines && !n->lines)) {
        snprintf(err, errlen, "out of memory for the net interface table");
        net_close(n);
        return -1;
    }
    n->only = only;
    n->nslots = nslots;
    n->nlines = nlines;
    n->tick = 1; /* a slot's seen == 0 then reads as "long ago" */
    return 0;
}

int net_open(struct net_collector *n, const char *root, const struct match_list *only, char *err,
             size_t errlen)
{
    struct procfile pf;
    const char *p, *end, *next;
    int lines = 0, sel = 0, nslots, nlines;
    size_t want;

    memset(n, 0, sizeof *n);
    n->pf.fd = -1;
    if (procfile_open(&pf, root, "net/dev", NET_MAX_BUF, err, errlen) != PROCFILE_OK) return -1;
    if (procfile_read(&pf) < 0) {
        snprintf(err, errlen, "cannot read %s: %s", pf.path, strerror(errno));
        procfile_close(&pf);
        return -1;
    }
    n->only = only; /* for selected() while counting */
    for (p = pf.buf, end = pf.buf + pf.len; p < end && (next = pp_next_line(p, end)); p = next) {
        struct net_iface_values v;
        lines++;
        if (net_parse_line(p, (size_t)(next - 1 - p), &v) && selected(n, v.name, v.len)) sel++;
    }
    nslots = 2 * sel > sel + 16 ? 2 * sel : sel + 16;
    if (nslots > NET_MAX_SLOTS) nslots = NET_MAX_SLOTS;
    nlines = lines + nslots + 16;
    if (nlines > NET_MAX_LINE_CACHE) nlines = NET_MAX_LINE_CACHE;
    if (net_init(n, only, nslots, nlines, err, errlen) < 0) {
        procfile_close(&pf);
        return -1;
    }
    /* procfile leaves room for the file to double; a host that starts
       containers may go from 3 interfaces to 40, so make room for as many
       more lines as there are slots. */
    want = pf.len + 1 + (size_t)(nslots + 16) * NET_LINE_BYTES;
    if (want > NET_MAX_BUF) want = NET_MAX_BUF;
    if (want > pf.cap) {
        char *bigger = realloc(pf.buf, want);
        if (!bigger) {
            snprintf(err, errlen, "out of memory for %s", pf.path);
            procfile_close(&pf);
            net_close(n);
            return -1;
        }
        pf.buf = bigger;
        pf.cap = want;
    }
    n->pf = pf;
    return 0;
}

int net_sample(struct net_collector *n)
{
    if (procfile_read(&n->pf) < 0) {
        net_update(n, "", 0); /* nothing was seen: every slot is free */
        return -1;
    }
    net_update(n, n->pf.buf, n->pf.len);
    return 0;
}

int net_slots(const struct net_collector *n) { return n->nslots; }

static const struct net_slot *present(const struct net_collector *n, int slot)
{
    if (slot < 0 || slot >= n->nslots || n->slots[slot].seen != n->tick) return NULL;
    return &n->slots[slot];
}

const char *net_slot_name(const struct net_collector *n, int slot)
{
    const struct net_slot *s = present(n, slot);
    return s ? s->name : NULL;
}

unsigned net_slot_gen(const struct net_collector *n, int slot)
{
    return slot >= 0 && slot < n->nslots ? n->slots[slot].gen : 0;
}

int net_fields(const struct net_collector *n, int slot, struct sample_field *out)
{
    const struct net_slot *s = present(n, slot);
    int k = 0;
    if (!s) return 0;
    for (int f = 0; f < NET_NFIELDS; f++)
        if (s->v[f] <= (uint64_t)INT64_MAX) sample_int(&out[k++], net_field_names[f], (int64_t)s->v[f]);
    return k;
}

void net_close(struct net_collector *n)
{
    procfile_close(&n->pf);
    free(n->slots);
    free(n->lines);
    n->slots = NULL;
    n->lines = NULL;
    n->nslots = n->nlines = n->lines_valid = 0;
}
