#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "procparse.h"

const char *const net_field_names[] = {
    "bytes_sent", "bytes_recv", "packets_sent", "packets_recv",
    "err_in",     "err_out",    "drop_in",      "drop_out",     "speed", NULL,
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

/* The 16 counters after the colon, then only blanks and an optional '\r'. */
static int line_counters(const char *p, const char *end, uint64_t c[NET_NCOUNTERS])
{
    for (int k = 0; k < NET_NCOUNTERS; k++) {
        pp_skip_blanks(&p, end);
        if (pp_digits(&p, end, &c[k]) != PP_OK) return 0; /* none, or above UINT64_MAX */
    }
    pp_skip_blanks(&p, end);
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

int64_t net_parse_speed(const char *buf, size_t len)
{
    /* Go: ParseInt(TrimSuffix(s, "\n"), 10, 64): an optional sign, digits, nothing else */
    const char *p = buf, *end = buf + len;
    uint64_t v;
    int neg = 0;
    if (len > 0 && end[-1] == '\n') end--;
    if (p < end && (*p == '+' || *p == '-')) neg = *p++ == '-';
    if (pp_digits(&p, end, &v) != PP_OK || p != end) return -1;
    if (neg) return v <= (uint64_t)INT64_MAX + 1 ? (int64_t)(0 - v) : -1;
    return v <= (uint64_t)INT64_MAX ? (int64_t)v : -1;
}

/* Read @name's speed under n->sys_root: one open, read and close. */
static int64_t read_speed(const struct net_collector *n, const char *name, size_t len)
{
    char path[320], buf[32];
    size_t rl;
    ssize_t got;
    int fd;
    if (!n->sys_root || (rl = strlen(n->sys_root)) + 11 + len + 7 > sizeof path) return -1;
    memcpy(path, n->sys_root, rl);
    memcpy(path + rl, "/class/net/", 11);
    memcpy(path + rl + 11, name, len);
    memcpy(path + rl + 11 + len, "/speed", 7);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) return -1;
    got = read(fd, buf, sizeof buf);
    close(fd);
    return got > 0 && (size_t)got < sizeof buf ? net_parse_speed(buf, (size_t)got) : -1;
}

static int selected(const void *ctx, const char *name, size_t len, uint64_t id)
{
    const struct net_collector *n = ctx;
    (void)id;
    if (!n->only || n->only->n == 0) return !(len == 2 && name[0] == 'l' && name[1] == 'o');
    return match_any(n->only, name, len);
}

int net_update(struct net_collector *n, const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len, *next;
    int line = 0, filled = 0;

    slots_begin(&n->slots);
    for (; p < end && (next = pp_next_line(p, end)) != NULL; p = next, line++) {
        const char *eol = next - 1, *name, *rest;
        size_t nlen = line_name(p, eol, &name, &rest);
        uint64_t v[NET_NCOUNTERS];
        int k, again;

        if (nlen == 0) continue;
        k = slots_place(&n->slots, line, name, nlen, 0, selected, n);
        if (k == SLOTS_UNSELECTED || !line_counters(rest, eol, v)) continue;
        k = slots_claim(&n->slots, line, k, name, nlen, 0, &again);
        if (k < 0 || again) continue; /* no slot; or the name again in one reading: the first line wins */
        for (int f = 0; f < NET_NFIELDS; f++) n->v[k][f] = v[field_column[f]];
        if (n->with_speed && n->speed_gen[k] != slots_gen(&n->slots, k)) {
            /* the slot took this interface since speed was read */
            n->speed[k] = read_speed(n, name, nlen);
            n->speed_gen[k] = slots_gen(&n->slots, k);
        }
        filled++;
    }
    n->skipped = slots_skipped(&n->slots);
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
    if (slots_init(&n->slots, nslots, NET_NAME_MAX, nlines, err, errlen) < 0) return -1;
    n->v = calloc((size_t)nslots, sizeof *n->v);
    n->speed = calloc((size_t)nslots, sizeof *n->speed);
    n->speed_gen = calloc((size_t)nslots, sizeof *n->speed_gen);
    if (!n->v || !n->speed || !n->speed_gen) {
        snprintf(err, errlen, "out of memory for the net interface table");
        net_close(n);
        return -1;
    }
    n->only = only;
    n->nslots = nslots;
    return 0;
}

int net_open(struct net_collector *n, const char *root, const struct match_list *only, char *err,
             size_t errlen)
{
    return net_open_sys(n, root, NULL, only, err, errlen);
}

int net_open_sys(struct net_collector *n, const char *root, const char *sys_root, const struct match_list *only,
                 char *err, size_t errlen)
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
        if (net_parse_line(p, (size_t)(next - 1 - p), &v) && selected(n, v.name, v.len, 0)) sel++;
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
    if (procfile_reserve(&pf, want) != PROCFILE_OK) {
        snprintf(err, errlen, "out of memory for %s", pf.path);
        procfile_close(&pf);
        net_close(n);
        return -1;
    }
    n->pf = pf;
    n->with_speed = 1;
    n->sys_root = sys_root;
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

const char *net_slot_name(const struct net_collector *n, int slot) { return slots_name(&n->slots, slot); }

unsigned net_slot_gen(const struct net_collector *n, int slot) { return slots_gen(&n->slots, slot); }

int net_fields(const struct net_collector *n, int slot, struct sample_field *out)
{
    int k = 0;
    if (!slots_name(&n->slots, slot)) return 0;
    for (int f = 0; f < NET_NFIELDS; f++)
        if (n->v[slot][f] <= (uint64_t)INT64_MAX) sample_counter(&out[k++], net_field_names[f], (int64_t)n->v[slot][f]);
    if (n->with_speed) sample_int(&out[k++], net_field_names[NET_NFIELDS], n->speed[slot]);
    return k;
}

void net_close(struct net_collector *n)
{
    procfile_close(&n->pf);
    slots_free(&n->slots);
    free(n->v);
    free(n->speed);
    free(n->speed_gen);
    n->v = NULL;
    n->speed = NULL;
    n->speed_gen = NULL;
    n->nslots = 0;
}

/* ---- the collector table's entry ------------------------------------------ */

struct net_state {
    struct net_collector n;
    struct log_limit skip_log;
};

static int hook_open(void *st, const struct collector_env *env, char *err, size_t errlen)
{
    struct net_state *s = st;
    log_limit_init(&s->skip_log, 60);
    return net_open_sys(&s->n, env->proc_root, env->sys_root, env->cfg ? &env->cfg->net_interfaces : NULL, err,
                        errlen);
}

static int hook_nseries(const void *st) { return net_slots(&((const struct net_state *)st)->n); }

static const char *hook_slot(const void *st, int i, unsigned *gen)
{
    const struct net_state *s = st;
    *gen = net_slot_gen(&s->n, i);
    return net_slot_name(&s->n, i);
}

static const char *hook_sample(void *st, struct collector_shared *sh)
{
    struct net_state *s = st;
    if (net_sample(&s->n) < 0) return s->n.pf.path;
    slots_say_skipped(&s->skip_log, sh->now, "network interface(s)", s->n.skipped, s->n.nslots);
    return NULL;
}

static int hook_fields(const void *st, int i, const struct collector_shared *sh, struct sample_field *out)
{
    (void)sh;
    return net_fields(&((const struct net_state *)st)->n, i, out);
}

static struct procfile *hook_file(void *st, int i)
{
    return i == 0 ? &((struct net_state *)st)->n.pf : NULL;
}

static void hook_close(void *st) { net_close(&((struct net_state *)st)->n); }

static const char *const net_tag_keys[] = {"interface", NULL};
static const struct measurement net_measurements[] = {
    /* every field a counter, with rates under --window */
    {.name = "net", .tag_keys = net_tag_keys, .fields = net_field_names, .rated = net_field_names},
};

const struct collector collector_net = {
    .name = "net",
    .measurements = net_measurements,
    .nmeasurements = 1,
    .slot_tag = "interface",
    .flags = COLLECTOR_EVERY_TICK,
    .size = sizeof(struct net_state),
    .open = hook_open,
    .nseries = hook_nseries,
    .series = NULL,
    .slot = hook_slot,
    .sample = hook_sample,
    .fields = hook_fields,
    .file = hook_file,
    .close = hook_close,
    .slot_name_max = NET_NAME_MAX,
};
