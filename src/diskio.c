#include "diskio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "procparse.h"

const char *const diskio_field_names[] = {
    "reads",   "writes",   "read_bytes",       "write_bytes",      "read_time",     "write_time",
    "io_time", "weighted_io_time", "iops_in_progress", "merged_reads", "merged_writes", NULL,
};

/* The counters --window gives rates of: operations, bytes, and time busy. */
const char *const diskio_rated_names[] = {"reads", "writes", "read_bytes", "write_bytes", "io_time", NULL};

/* Which counter each field of diskio_field_names (Telegraf's order) comes from. */
static const struct {
    unsigned char stat;
    unsigned char sectors; /* a sector count: reported in bytes */
    unsigned char rated;   /* in diskio_rated_names */
} order[DISKIO_NSTATS] = {
    {DISKIO_READS, 0, 1},       {DISKIO_WRITES, 0, 1},        {DISKIO_SECTORS_READ, 1, 1},
    {DISKIO_SECTORS_WRITTEN, 1, 1}, {DISKIO_READ_TIME, 0, 0}, {DISKIO_WRITE_TIME, 0, 0},
    {DISKIO_IO_TIME, 0, 1},     {DISKIO_WEIGHTED_IO_TIME, 0, 0}, {DISKIO_IN_PROGRESS, 0, 0},
    {DISKIO_MERGED_READS, 0, 0}, {DISKIO_MERGED_WRITES, 0, 0},
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
    int r = pp_digits(p, end, out);
    *big = r == PP_OVER || *out > (uint64_t)INT64_MAX;
    return r != PP_NONE;
}

/* A column ends at a blank or at the end of the line. */
static int column_end(const char *p, const char *end) { return p == end || is_blank(*p); }

static int dev_number(const char **p, const char *end, uint32_t *out)
{
    uint64_t v;
    pp_skip_blanks(p, end);
    if (pp_digits(p, end, &v) != PP_OK || v > UINT32_MAX || !column_end(*p, end)) return 0;
    *out = (uint32_t)v;
    return 1;
}

/* Major, minor and name; *pp is left after the name. */
static int parse_head(const char **pp, const char *end, struct diskio_values *out)
{
    const char *p = *pp, *name;

    if (!dev_number(&p, end, &out->major) || !dev_number(&p, end, &out->minor)) return 0;
    pp_skip_blanks(&p, end);
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
        pp_skip_blanks(&p, end);
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
        if (order[k].rated) sample_counter(&out[n++], diskio_field_names[k], (int64_t)x);
        else sample_int(&out[n++], diskio_field_names[k], (int64_t)x);
    }
    return n;
}

/* ---- the collector ------------------------------------------------------ */

/* A device's slot identity: its major:minor next to its name. */
static uint64_t dev_id(const struct diskio_values *v) { return (uint64_t)v->major << 32 | v->minor; }

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
static int selected(const void *ctx, const char *name, size_t len, uint64_t id)
{
    const struct diskio_collector *d = ctx;
    const struct diskio_values dv = {.major = (uint32_t)(id >> 32), .minor = (uint32_t)id, .name = name,
                                     .name_len = len};
    const struct diskio_values *v = &dv;
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

void diskio_update(struct diskio_collector *d, const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len, *next;
    int i = 0;

    slots_begin(&d->slots);
    for (; p < end && (next = pp_next_line(p, end)) != NULL; p = next, i++) {
        struct diskio_values v;
        const char *q = p, *eol = next - 1;
        int s;
        /* The device first: the counters of one not reported (partitions,
           loop devices: most lines on many hosts) are never parsed. */
        if (!parse_head(&q, eol, &v)) continue;
        s = slots_place(&d->slots, i, v.name, v.name_len, dev_id(&v), selected, d);
        if (s == SLOTS_UNSELECTED || !parse_counters(q, eol, &v)) continue;
        /* the same device twice: the last line's values win */
        if ((s = slots_claim(&d->slots, i, s, v.name, v.name_len, dev_id(&v), NULL)) < 0) continue;
        memcpy(d->stats[s].v, v.v, sizeof d->stats[s].v);
        d->stats[s].big = v.big;
    }
    d->skipped = slots_skipped(&d->slots);
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
    /* Hotplug can grow the file far past twice its size at open (a host
       that starts containers or mounts snaps adds loop and dm devices by the
       dozen). Pages never read into cost no RSS. */
    if (procfile_reserve(&d->pf, DISKIO_MIN_BUF) != PROCFILE_OK) goto oom;
    if (procfile_read(&d->pf) < 0) {
        snprintf(err, errlen, "cannot read %s: %s", d->pf.path, strerror(errno));
        procfile_close(&d->pf);
        return -1;
    }
    end = d->pf.buf + d->pf.len;
    for (p = d->pf.buf; p < end && (next = pp_next_line(p, end)) != NULL; p = next) {
        struct diskio_values v;
        lines++;
        if (diskio_parse_line(p, (size_t)(next - p - 1), &v)) sel += selected(d, v.name, v.name_len, dev_id(&v));
    }
    d->maxlines = lines * 2 > lines + 32 ? lines * 2 : lines + 32;
    if (d->maxlines > DISKIO_MAX_LINES) d->maxlines = DISKIO_MAX_LINES;
    d->nslots = sel * 2 > sel + 16 ? sel * 2 : sel + 16;
    if (d->nslots > DISKIO_MAX_SLOTS) d->nslots = DISKIO_MAX_SLOTS;
    if (slots_init(&d->slots, d->nslots, DISKIO_NAME_MAX, d->maxlines, err, errlen) < 0) {
        diskio_close(d);
        return -1;
    }
    d->stats = calloc((size_t)d->nslots, sizeof *d->stats);
    if (!d->stats) goto oom;

    /* Decide for every device now, into the line cache: the first samples
       then find each decision there and take a slot without looking at
       sysfs again. */
    slots_begin(&d->slots);
    for (p = d->pf.buf; p < end && (next = pp_next_line(p, end)) != NULL; p = next, i++) {
        struct diskio_values v;
        if (diskio_parse_line(p, (size_t)(next - p - 1), &v))
            slots_place(&d->slots, i, v.name, v.name_len, dev_id(&v), selected, d);
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory for %s", d->pf.path);
    diskio_close(d);
    return -1;
}

int diskio_sample(struct diskio_collector *d)
{
    if (procfile_read(&d->pf) < 0) {
        /* A reading with nothing in it: every device absent (their slots
           free up), and the line cache forgets. */
        slots_begin(&d->slots);
        d->skipped = 0;
        return -1;
    }
    diskio_update(d, d->pf.buf, d->pf.len);
    return 0;
}

int diskio_slots(const struct diskio_collector *d) { return d->nslots; }

const char *diskio_slot_name(const struct diskio_collector *d, int slot) { return slots_name(&d->slots, slot); }

unsigned diskio_slot_gen(const struct diskio_collector *d, int slot) { return slots_gen(&d->slots, slot); }

int diskio_fields(const struct diskio_collector *d, int slot, struct sample_field *out)
{
    struct diskio_values v;
    if (!slots_name(&d->slots, slot)) return 0;
    memcpy(v.v, d->stats[slot].v, sizeof v.v);
    v.big = d->stats[slot].big;
    return diskio_fields_of(&v, out);
}

void diskio_close(struct diskio_collector *d)
{
    procfile_close(&d->pf);
    slots_free(&d->slots);
    free(d->stats);
    d->stats = NULL;
    d->nslots = d->maxlines = 0;
}

/* ---- the collector table's entry ------------------------------------------ */

struct diskio_state {
    struct diskio_collector d;
    struct log_limit skip_log;
};

static int hook_open(void *st, const struct collector_env *env, char *err, size_t errlen)
{
    struct diskio_state *s = st;
    log_limit_init(&s->skip_log, 60);
    return diskio_open(&s->d, env->proc_root, env->sys_root, env->cfg ? &env->cfg->diskio_devices : NULL,
                       err, errlen);
}

static int hook_nseries(const void *st) { return diskio_slots(&((const struct diskio_state *)st)->d); }

static const char *hook_slot(const void *st, int i, unsigned *gen)
{
    const struct diskio_state *s = st;
    *gen = diskio_slot_gen(&s->d, i);
    return diskio_slot_name(&s->d, i);
}

static const char *hook_sample(void *st, struct collector_shared *sh)
{
    struct diskio_state *s = st;
    if (diskio_sample(&s->d) < 0) return s->d.pf.path;
    slots_say_skipped(&s->skip_log, sh->now, "disk(s)", s->d.skipped, s->d.nslots);
    return NULL;
}

static int hook_fields(const void *st, int i, const struct collector_shared *sh, struct sample_field *out)
{
    (void)sh;
    return diskio_fields(&((const struct diskio_state *)st)->d, i, out);
}

static struct procfile *hook_file(void *st, int i)
{
    return i == 0 ? &((struct diskio_state *)st)->d.pf : NULL;
}

static void hook_close(void *st) { diskio_close(&((struct diskio_state *)st)->d); }

static const char *const diskio_tag_keys[] = {"name", NULL};
static const struct measurement diskio_measurements[] = {
    {.name = "diskio", .tag_keys = diskio_tag_keys, .fields = diskio_field_names, .rated = diskio_rated_names},
};

const struct collector collector_diskio = {
    .name = "diskio",
    .measurements = diskio_measurements,
    .nmeasurements = 1,
    .slot_tag = "name",
    .flags = COLLECTOR_EVERY_TICK,
    .size = sizeof(struct diskio_state),
    .open = hook_open,
    .nseries = hook_nseries,
    .series = NULL,
    .slot = hook_slot,
    .sample = hook_sample,
    .fields = hook_fields,
    .file = hook_file,
    .close = hook_close,
    .slot_name_max = DISKIO_NAME_MAX,
};
