#include "diskio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procparse.h"

const char *const diskio_field_names[] = {
    "reads",   "writes",   "read_bytes",       "write_bytes",      "read_time",     "write_time",
    "io_time", "weighted_io_time", "iops_in_progress", "merged_reads", "merged_writes", NULL,
};

/* Telegraf's order, and which counter each field comes from. */
static const struct {
    const char *key;
    unsigned char stat;
    unsigned char sectors; /* a sector count: reported in bytes */
} order[DISKIO_NSTATS] = {
    {"reads", DISKIO_READS, 0},
    {"writes", DISKIO_WRITES, 0},
    {"read_bytes", DISKIO_SECTORS_READ, 1},
    {"write_bytes", DISKIO_SECTORS_WRITTEN, 1},
    {"read_time", DISKIO_READ_TIME, 0},
    {"write_time", DISKIO_WRITE_TIME, 0},
    {"io_time", DISKIO_IO_TIME, 0},
    {"weighted_io_time", DISKIO_WEIGHTED_IO_TIME, 0},
    {"iops_in_progress", DISKIO_IN_PROGRESS, 0},
    {"merged_reads", DISKIO_MERGED_READS, 0},
    {"merged_writes", DISKIO_MERGED_WRITES, 0},
};

static int is_blank(char c) { return c == ' ' || c == '\t'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

/*
 * A run of digits at *p. Unlike pp_u64 it consumes a number too big for 64
 * bits (flagging it in *big) instead of refusing it: the line stays valid and
 * only that field is dropped. @return 0 when there is no digit.
 */
static int counter(const char **p, const char *end, uint64_t *out, int *big)
{
    const char *s = *p, *start = s;
    uint64_t v = 0;
    if (s >= end || !is_digit(*s)) return 0;
    while (s < end && is_digit(*s)) s++;
    if (s - start <= 19) {
        /* 19 digits cannot overflow 64 bits: no check per digit */
        for (const char *q = start; q < s; q++) v = v * 10 + (unsigned)(*q - '0');
        *big = v > (uint64_t)INT64_MAX;
    } else {
        int over = 0;
        for (const char *q = start; q < s; q++) {
            unsigned d = (unsigned)(*q - '0');
            if (over || v > (UINT64_MAX - d) / 10)
                over = 1;
            else
                v = v * 10 + d;
        }
        *big = over || v > (uint64_t)INT64_MAX; /* leading zeros can make it small */
    }
    *out = v;
    *p = s;
    return 1;
}

/* A column ends at a blank or at the end of the line. */
static int column_end(const char *p, const char *end) { return p == end || is_blank(*p); }

static void skip_blanks(const char **p, const char *end)
{
    const char *s = *p;
    while (s < end && is_blank(*s)) s++;
    *p = s;
}

static int dev_number(const char **p, const char *end, uint32_t *out)
{
    uint64_t v;
    int big;
    skip_blanks(p, end);
    if (!counter(p, end, &v, &big) || big || v > UINT32_MAX || !column_end(*p, end)) return 0;
    *out = (uint32_t)v;
    return 1;
}

/* Major, minor and name; *pp is left after the name. */
static int parse_head(const char **pp, const char *end, struct diskio_values *out)
{
    const char *p = *pp, *name;

    if (!dev_number(&p, end, &out->major) || !dev_number(&p, end, &out->minor)) return 0;
    skip_blanks(&p, end);
    name = p;
    for (; p < end && !is_blank(*p); p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7f) return 0; /* control bytes, '\r', '\n', NUL */
    }
    out->name = name;
    out->name_len = (size_t)(p - name);
    if (out->name_len == 0 || out->name_len > DISKIO_NAME_MAX || p[-1] == '\\') return 0;
    *pp = p;
    return 1;
}

/* The counters after the name, to the end of the line. */
static int parse_counters(const char *p, const char *end, struct diskio_values *out)
{
    out->big = 0;
    out->columns = 3;
    for (;;) {
        uint64_t v;
        int big;
        skip_blanks(&p, end);
        if (p == end) break;
        if (!counter(&p, end, &v, &big) || !column_end(p, end)) return 0;
        if (out->columns - 3 < DISKIO_NSTATS) {
            out->v[out->columns - 3] = v;
            out->big |= (unsigned)big << (out->columns - 3);
        }
        out->columns++;
    }
    return out->columns >= 3 + DISKIO_NSTATS;
}

int diskio_parse_line(const char *line, size_t len, struct diskio_values *out)
{
    const char *p = line, *end = line + len;
    return parse_head(&p, end, out) && parse_counters(p, end, out);
}

static int prefix_is(const char *name, size_t len, const char *pfx, size_t plen)
{
    return len > plen && memcmp(name, pfx, plen) == 0;
}

/* @name is @pfx followed by one or more digits only. */
static int prefix_digits(const char *name, size_t len, const char *pfx)
{
    size_t plen = strlen(pfx);
    if (!prefix_is(name, len, pfx, plen)) return 0;
    for (size_t i = plen; i < len; i++)
        if (!is_digit(name[i])) return 0;
    return 1;
}

int diskio_name_is_partition(const char *name, size_t len)
{
    static const char *const classic[] = {"sd", "hd", "vd", "xvd"};
    size_t i;

    /* sda1, hdb2, vdc3, xvda1: a letter-named disk, then the partition number. */
    for (size_t k = 0; k < sizeof classic / sizeof classic[0]; k++) {
        size_t plen = strlen(classic[k]);
        if (!prefix_is(name, len, classic[k], plen)) continue;
        for (i = plen; i < len && name[i] >= 'a' && name[i] <= 'z'; i++) {}
        if (i == plen || i == len) continue;
        for (; i < len && is_digit(name[i]); i++) {}
        if (i == len) return 1;
    }
    /* nvme0n1p2, mmcblk0p1, md127p1, loop0p1: a disk whose name ends in a
       digit gets 'p' before the partition number. */
    i = len;
    while (i > 0 && is_digit(name[i - 1])) i--;
    return i < len && i >= 2 && name[i - 1] == 'p' && is_digit(name[i - 2]);
}

int diskio_fields_of(const struct diskio_values *v, struct sample_field *out)
{
    int n = 0;
    uint64_t any = v->big;

    for (int k = 0; k < DISKIO_NSTATS; k++) any |= v->v[k];
    if (!any) return 0; /* a device never used: gopsutil leaves it out */
    for (int k = 0; k < DISKIO_NSTATS; k++) {
        int s = order[k].stat;
        uint64_t x = v->v[s];
        if ((v->big >> s) & 1) continue;
        if (order[k].sectors) {
            if (x > (uint64_t)INT64_MAX / 512) continue;
            x *= 512;
        }
        sample_int(&out[n++], order[k].key, (int64_t)x);
    }
    return n;
}

/* ---- the collector ------------------------------------------------------ */

static int line_is(const struct diskio_line *l, const struct diskio_values *v)
{
    return l->len == v->name_len && l->major == v->major && l->minor == v->minor &&
           memcmp(l->name, v->name, v->name_len) == 0;
}

static int slot_is(const struct diskio_slot *s, const struct diskio_values *v)
{
    return s->len == v->name_len && s->major == v->major && s->minor == v->minor &&
           memcmp(s->name, v->name, v->name_len) == 0;
}

static char *put_u32(char *p, uint32_t v)
{
    char tmp[10];
    int n = 0;
    do tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n > 0) *p++ = tmp[--n];
    return p;
}

/*
 * Whether a device is reported. Runs only when a device is first seen (or
 * seen again after an absence), never for a device the last reading held:
 * the sysfs look-ups are two access(2) calls.
 */
static int selected(const struct diskio_collector *d, const struct diskio_values *v)
{
    if (d->only.n > 0) return match_any(&d->only, v->name, v->name_len);
    if (prefix_digits(v->name, v->name_len, "loop") || prefix_digits(v->name, v->name_len, "ram") ||
        prefix_digits(v->name, v->name_len, "zram"))
        return 0;
    if (d->sysroot[0]) {
        /* sysroot (< 192) + "/dev/block/" + "4294967295:4294967295" + "/partition" */
        char path[256], *p;
        size_t rl = strlen(d->sysroot);
        memcpy(path, d->sysroot, rl);
        p = path + rl;
        memcpy(p, "/dev/block/", 11);
        p = put_u32(p + 11, v->major);
        *p++ = ':';
        p = put_u32(p, v->minor);
        *p = '\0';
        if (access(path, F_OK) == 0) {
            memcpy(p, "/partition", 11);
            return access(path, F_OK) != 0;
        }
    }
    return !diskio_name_is_partition(v->name, v->name_len);
}

static int find_slot(const struct diskio_collector *d, const struct diskio_values *v)
{
    for (int s = 0; s < d->nslots; s++)
        if (slot_is(&d->slots[s], v)) return s;
    return -1;
}

/*
 * A slot for a device that holds none: a never-used one first, else the one
 * whose device has been gone longest (so a device that flaps keeps its slot
 * and its generation as long as possible). @return -1 when all are taken.
 */
static int take_slot(struct diskio_collector *d, const struct diskio_values *v)
{
    int best = -1;
    struct diskio_slot *s;
    for (int i = 0; i < d->nslots; i++) {
        s = &d->slots[i];
        if (s->present || s->seen) continue;
        if (s->len == 0) {
            best = i;
            break;
        }
        if (best < 0 || s->last_seen < d->slots[best].last_seen) best = i;
    }
    if (best < 0) return -1;
    s = &d->slots[best];
    memcpy(s->name, v->name, v->name_len);
    s->name[v->name_len] = '\0';
    s->len = (unsigned char)v->name_len;
    s->major = v->major;
    s->minor = v->minor;
    if (++s->gen == 0) s->gen = 1;
    return best;
}

/*
 * Where the device on line @i goes. The common case, the same devices in the
 * same order as last time, costs one compare: line i held the same device.
 * After an insertion or removal, the offset of the last match is tried next,
 * so a shifted file stays linear; only then the whole last reading, the
 * slots, and finally the filter.
 */
static int place(struct diskio_collector *d, const struct diskio_values *v, int i, int *shift)
{
    int j = i + *shift, s;

    if (i < d->nprev && line_is(&d->prev[i], v)) return d->prev[i].slot;
    if (j >= 0 && j < d->nprev && line_is(&d->prev[j], v)) return d->prev[j].slot;
    for (j = 0; j < d->nprev; j++)
        if (line_is(&d->prev[j], v)) {
            *shift = j - i;
            return d->prev[j].slot;
        }
    if ((s = find_slot(d, v)) >= 0) return s;
    return selected(d, v) ? DISKIO_NOSLOT : DISKIO_UNSELECTED;
}

/* What line cache entry @l remembers of the device on its line. */
static void remember_line(struct diskio_line *l, const struct diskio_values *v, short slot)
{
    memcpy(l->name, v->name, v->name_len);
    l->name[v->name_len] = '\0';
    l->len = (unsigned char)v->name_len;
    l->major = v->major;
    l->minor = v->minor;
    l->slot = slot;
}

void diskio_update(struct diskio_collector *d, const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len, *next;
    int i = 0, shift = 0, ncur;
    struct diskio_line *tmp;

    d->reading++;
    d->skipped = 0;
    for (; p < end && (next = pp_next_line(p, end)) != NULL; p = next, i++) {
        struct diskio_values v;
        const char *q = p, *eol = next - 1;
        int s;
        /* The device first: the counters of one not reported (partitions,
           loop devices: most lines on many hosts) are never parsed. */
        if (!parse_head(&q, eol, &v) ||
            ((s = place(d, &v, i, &shift)) != DISKIO_UNSELECTED && !parse_counters(q, eol, &v))) {
            if (i < d->maxlines) d->cur[i].len = 0;
            continue;
        }
        if (s == DISKIO_NOSLOT) {
            /* reported but slotless last time: it may hold one by now (a
               duplicate line), or one may have been freed */
            if ((s = find_slot(d, &v)) < 0 && (s = take_slot(d, &v)) < 0) {
                d->skipped++;
                s = DISKIO_NOSLOT;
            }
        }
        if (s >= 0) {
            struct diskio_slot *sl = &d->slots[s];
            memcpy(sl->v, v.v, sizeof sl->v);
            sl->big = v.big;
            sl->seen = 1;
        }
        if (i < d->maxlines) remember_line(&d->cur[i], &v, (short)s);
    }
    ncur = i < d->maxlines ? i : d->maxlines;
    for (int s = 0; s < d->nslots; s++) {
        struct diskio_slot *sl = &d->slots[s];
        sl->present = sl->seen;
        sl->seen = 0;
        if (sl->present) sl->last_seen = d->reading;
    }
    tmp = d->prev;
    d->prev = d->cur;
    d->cur = tmp;
    d->nprev = ncur;
}

int diskio_open(struct diskio_collector *d, const char *root, const char *sysroot,
                const struct match_list *only, char *err, size_t errlen)
{
    const char *p, *end, *next;
    int lines = 0, sel = 0, i = 0;

    memset(d, 0, sizeof *d);
    d->pf.fd = -1;
    if (sysroot) {
        if (strlen(sysroot) >= sizeof d->sysroot) {
            snprintf(err, errlen, "sysfs path too long (%zu bytes, at most %zu)", strlen(sysroot),
                     sizeof d->sysroot - 1);
            return -1;
        }
        strcpy(d->sysroot, sysroot);
    }
    if (only) d->only = *only;
    if (procfile_open(&d->pf, root, "diskstats", 1u << 20, err, errlen) != PROCFILE_OK) return -1;
    if (d->pf.cap < DISKIO_MIN_BUF) {
        /* Hotplug can grow the file far past twice its size at open (a
           host that starts containers or mounts snaps adds loop and dm
           devices by the dozen). Pages never read into cost no RSS. */
        char *b = realloc(d->pf.buf, DISKIO_MIN_BUF);
        if (!b) goto oom;
        d->pf.buf = b;
        d->pf.cap = DISKIO_MIN_BUF;
    }
    if (procfile_read(&d->pf) < 0) {
        snprintf(err, errlen, "cannot read %s: %s", d->pf.path, strerror(errno));
        procfile_close(&d->pf);
        return -1;
    }
    end = d->pf.buf + d->pf.len;
    for (p = d->pf.buf; p < end && (next = pp_next_line(p, end)) != NULL; p = next) lines++;
    d->maxlines = lines * 2 > lines + 32 ? lines * 2 : lines + 32;
    if (d->maxlines > DISKIO_MAX_LINES) d->maxlines = DISKIO_MAX_LINES;
    d->prev = calloc((size_t)d->maxlines, sizeof *d->prev);
    d->cur = calloc((size_t)d->maxlines, sizeof *d->cur);
    if (!d->prev || !d->cur) goto oom;

    /* Classify every device now: the first samples then find each decision
       in the line cache and take a slot without looking at sysfs again. */
    for (p = d->pf.buf; p < end && (next = pp_next_line(p, end)) != NULL; p = next, i++) {
        struct diskio_values v;
        int keep;
        if (!diskio_parse_line(p, (size_t)(next - p - 1), &v)) continue;
        keep = selected(d, &v);
        sel += keep;
        if (i < d->maxlines) remember_line(&d->prev[i], &v, keep ? DISKIO_NOSLOT : DISKIO_UNSELECTED);
    }
    d->nprev = i < d->maxlines ? i : d->maxlines;
    d->nslots = sel * 2 > sel + 16 ? sel * 2 : sel + 16;
    if (d->nslots > DISKIO_MAX_SLOTS) d->nslots = DISKIO_MAX_SLOTS;
    d->slots = calloc((size_t)d->nslots, sizeof *d->slots);
    if (!d->slots) goto oom;
    return 0;
oom:
    snprintf(err, errlen, "out of memory for %s", d->pf.path);
    diskio_close(d);
    return -1;
}

int diskio_sample(struct diskio_collector *d)
{
    if (procfile_read(&d->pf) < 0) {
        /* Every device absent: their slots free up, and the line cache no
           longer describes the last reading. */
        for (int s = 0; s < d->nslots; s++) d->slots[s].present = 0;
        d->nprev = 0;
        d->skipped = 0;
        return -1;
    }
    diskio_update(d, d->pf.buf, d->pf.len);
    return 0;
}

int diskio_slots(const struct diskio_collector *d) { return d->nslots; }

const char *diskio_slot_name(const struct diskio_collector *d, int slot)
{
    if (slot < 0 || slot >= d->nslots || !d->slots[slot].present) return NULL;
    return d->slots[slot].name;
}

unsigned diskio_slot_gen(const struct diskio_collector *d, int slot)
{
    return slot < 0 || slot >= d->nslots ? 0 : d->slots[slot].gen;
}

int diskio_fields(const struct diskio_collector *d, int slot, struct sample_field *out)
{
    struct diskio_values v;
    const struct diskio_slot *s;
    if (slot < 0 || slot >= d->nslots || !d->slots[slot].present) return 0;
    s = &d->slots[slot];
    memcpy(v.v, s->v, sizeof v.v);
    v.big = s->big;
    return diskio_fields_of(&v, out);
}

void diskio_close(struct diskio_collector *d)
{
    procfile_close(&d->pf);
    free(d->slots);
    free(d->prev);
    free(d->cur);
    d->slots = NULL;
    d->prev = d->cur = NULL;
    d->nslots = d->nprev = d->maxlines = 0;
}
