#include "cpu.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "procparse.h"

/* Parse the numbers after "cpu" / "cpuN" up to the end of the line. */
static int parse_counters(const char *p, const char *eol, struct cpu_times *t)
{
    int n = 0;
    uint64_t v;
    for (;;) {
        pp_skip_blanks(&p, eol);
        if (p >= eol || *p == '\n') break;
        if (!pp_u64(&p, eol, &v)) return 0; /* garbage or overflow: reject the line */
        if (p < eol && *p != ' ' && *p != '\t' && *p != '\n') return 0;
        if (n < CPU_NCOUNTERS) t->v[n] = v;
        n++; /* numbers beyond ten (a future kernel) are ignored */
    }
    if (n < 4) return 0; /* user nice system idle are the minimum any kernel printed */
    t->n = (unsigned char)(n > CPU_NCOUNTERS ? CPU_NCOUNTERS : n);
    return 1;
}

int cpu_parse(const char *buf, size_t len, struct cpu_times *total, struct cpu_times *per,
              int max, int *beyond)
{
    const char *p = buf, *end = buf + len, *next;
    int top = 0;

    total->n = 0;
    for (int i = 0; i < max; i++) per[i].n = 0;
    *beyond = 0;

    /* The cpu lines come first; stop at the first line that is not one. */
    for (; p < end && (next = pp_next_line(p, end)) != NULL; p = next) {
        struct cpu_times t;
        const char *q = p + 3;
        uint64_t idx;
        if (next - p < 4 || memcmp(p, "cpu", 3) != 0) break;
        if (*q == ' ' || *q == '\t') {
            if (parse_counters(q, next, &t)) *total = t;
            continue;
        }
        if (!pp_u64(&q, next, &idx) || (*q != ' ' && *q != '\t') || idx >= 1u << 20) continue;
        if (!parse_counters(q, next, &t)) continue;
        if ((int)idx + 1 > top) top = (int)idx + 1;
        if (idx >= (uint64_t)max)
            (*beyond)++;
        else
            per[idx] = t;
    }
    return top;
}

/*
 * Telegraf's usage numerators (guest taken out of user, guest_nice out of
 * nice) and total between two readings: @x[i] and *total in jiffies.
 * @return the counters present in both, or 0 when there is no usable delta.
 */
static int usage_deltas(const struct cpu_times *prev, const struct cpu_times *cur, uint64_t x[CPU_NCOUNTERS],
                        double *total)
{
    uint64_t d[CPU_NCOUNTERS] = {0};
    int n = cur->n;

    *total = 0; /* in double: ten 64-bit deltas can overflow a uint64_t sum */
    if (prev->n == 0 || cur->n == 0 || prev->n != cur->n) return 0;
    for (int i = 0; i < n; i++) d[i] = cur->v[i] > prev->v[i] ? cur->v[i] - prev->v[i] : 0;
    for (int i = 0; i < n && i <= CPU_STEAL; i++) *total += (double)d[i];
    if (*total <= 0) return 0;
    for (int i = 0; i < n; i++) {
        x[i] = d[i];
        if (i == CPU_USER && n > CPU_GUEST) x[i] = x[i] > d[CPU_GUEST] ? x[i] - d[CPU_GUEST] : 0;
        if (i == CPU_NICE && n > CPU_GUEST_NICE) x[i] = x[i] > d[CPU_GUEST_NICE] ? x[i] - d[CPU_GUEST_NICE] : 0;
    }
    return n;
}

/* 100 * x / total, at most 100 (guest beyond total on a confused kernel). window.c computes the same. */
static double pct_of(double x, double total)
{
    double p = 100.0 * x / total;
    return p > 100.0 ? 100.0 : p;
}

int cpu_usage(const struct cpu_times *prev, const struct cpu_times *cur, double pct[CPU_NCOUNTERS])
{
    uint64_t x[CPU_NCOUNTERS];
    double total;
    int n = usage_deltas(prev, cur, x, &total);
    for (int i = 0; i < n; i++) pct[i] = pct_of((double)x[i], total);
    return n;
}

/*
 * The highest CPU number the kernel could bring online, + 1, from
 * /sys/devices/system/cpu/possible ("0-127", "0,2-5"): room for hotplug.
 * Read by hand rather than through sysconf(_SC_NPROCESSORS_CONF), whose
 * directory walk costs more resident memory than all of procflux's buffers.
 * @return the count, or 0 when unknown.
 */
static int possible_cpus(void)
{
    char buf[256];
    const char *p = buf, *end;
    uint64_t v, top = 0;
    int fd = open("/sys/devices/system/cpu/possible", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0) close(fd);
    if (n <= 0) return 0;
    end = buf + n;
    while (p < end && pp_u64(&p, end, &v)) {
        if (v + 1 > top) top = v + 1;
        if (p < end && (*p == ',' || *p == '-')) p++;
    }
    return top > 0 && top <= 1u << 20 ? (int)top : 0;
}

int cpu_open(struct cpu_collector *c, const char *root, int cpu_time, char *err, size_t errlen)
{
    int conf = possible_cpus();
    int beyond, seen;
    struct cpu_times total;

    memset(c, 0, sizeof *c);
    if (procfile_open(&c->pf, root, "stat", 16u << 20, err, errlen) != PROCFILE_OK) return -1;
    if (procfile_read(&c->pf) < 0) {
        snprintf(err, errlen, "cannot read %s", c->pf.path);
        procfile_close(&c->pf);
        return -1;
    }
    /* Size from what the file shows now, or the configured count if larger. */
    seen = cpu_parse(c->pf.buf, c->pf.len, &total, NULL, 0, &beyond);
    if (total.n == 0) {
        snprintf(err, errlen, "%s has no valid aggregate cpu line", c->pf.path);
        procfile_close(&c->pf);
        return -1;
    }
    /*
     * One line "cpu1048575 ..." must not size procflux for a million CPUs: a
     * number is taken as far as twice the lines present and 64 more (sparse
     * numbering, CPUs offline); a CPU numbered beyond is skipped and warned
     * about, like one hot-plugged beyond what was sized.
     */
    if (seen > 2 * beyond + 64) seen = 2 * beyond + 64;
    c->max = seen > conf ? seen : conf;
    if (c->max < 1) c->max = 1;
    c->prev = calloc((size_t)c->max + 1, sizeof *c->prev);
    c->cur = calloc((size_t)c->max + 1, sizeof *c->cur);
    if (!c->prev || !c->cur) {
        snprintf(err, errlen, "out of memory");
        cpu_close(c);
        return -1;
    }
    c->clk_tck = (double)getauxval(AT_CLKTCK); /* what sysconf(_SC_CLK_TCK) reads, without sysconf */
    if (c->clk_tck <= 0) c->clk_tck = 100;
    c->cpu_time = cpu_time;
    return 0;
}

int cpu_sample(struct cpu_collector *c)
{
    struct cpu_times *t = c->prev;
    int top;
    c->prev = c->cur;
    c->cur = t;
    if (procfile_read(&c->pf) < 0) {
        c->cur[0].n = 0;
        for (int i = 1; i <= c->max; i++) c->cur[i].n = 0;
        c->online = 0;
        return -1;
    }
    top = cpu_parse(c->pf.buf, c->pf.len, &c->cur[0], c->cur + 1, c->max, &c->beyond);
    if (top > c->max) top = c->max;
    c->online = c->beyond;
    for (int i = 1; i <= top; i++) c->online += c->cur[i].n != 0;
    return 0;
}

/* Field names by counter (enum cpu_counter order), each list NULL-terminated. */
const char *const cpu_usage_names[CPU_NCOUNTERS + 1] = {
    "usage_user", "usage_nice", "usage_system", "usage_idle", "usage_iowait",
    "usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice", NULL,
};
const char *const cpu_time_names[CPU_NCOUNTERS + 1] = {
    "time_user", "time_nice", "time_system", "time_idle", "time_iowait",
    "time_irq", "time_softirq", "time_steal", "time_guest", "time_guest_nice", NULL,
};

int cpu_fields(const struct cpu_collector *c, int idx, struct sample_field *out)
{
    const struct cpu_times *cur, *prev;
    int n = 0, k;

    if (idx < -1 || idx >= c->max) return 0;
    cur = &c->cur[idx + 1];
    prev = &c->prev[idx + 1];
    if (cur->n == 0) return 0;
    if (c->cpu_time)
        for (int i = 0; i < cur->n; i++)
            sample_float(&out[n++], cpu_time_names[i], (double)cur->v[i] / c->clk_tck);
    {
        /* the deltas go along, so that --window can sum them into the window's exact usage */
        uint64_t x[CPU_NCOUNTERS];
        double total, den_min = CPU_SUBINTERVAL_JIFFIES * (idx < 0 && c->online > 0 ? c->online : 1);
        k = usage_deltas(prev, cur, x, &total);
        for (int i = 0; i < k; i++)
            sample_ratio(&out[n++], cpu_usage_names[i], pct_of((double)x[i], total), (double)x[i], total, den_min);
    }
    return n;
}

void cpu_close(struct cpu_collector *c)
{
    procfile_close(&c->pf);
    free(c->prev);
    free(c->cur);
    c->prev = c->cur = NULL;
}

/* ---- the table entry ---------------------------------------------------- */

struct cpu_entry {
    struct cpu_collector c;
    int total, per;   /* send cpu-total, the per-core series */
    int warned;       /* the CPUs-beyond warning was given */
};

static const char *const *cpu_fields_for(const struct config *cfg)
{
    /* (time_* only with --cpu-time: without it they are never sent) */
    return cfg->cpu_time ? cpu_time_names : NULL;
}

static const char *const cpu_tag_keys[] = {"cpu", NULL};
static const struct measurement cpu_measurements[] = {
    {.name = "cpu", .tag_keys = cpu_tag_keys, .windowed = cpu_usage_names, .fields_for = cpu_fields_for},
};

static int entry_open(void *st, const struct collector_env *env, char *err, size_t errlen)
{
    struct cpu_entry *e = st;
    if (cpu_open(&e->c, env->proc_root, env->cfg->cpu_time, err, errlen) != 0) return -1;
    e->total = env->cfg->totalcpu;
    e->per = env->cfg->percpu;
    if (env->cfg->interval * e->c.clk_tck < 1 && env->cfg->window == 0)
        log_msg(LOG_WARN, "--interval %gs is under /proc/stat's unit of CPU time (1/%g s): a tick sees whole units "
                "or none, so each tick's cpu usage_* is a step (0 or 100 on one core), not a usage; add --window for exact usage per window, "
                "or sample every 10ms or slower (see Resolution in the README)", env->cfg->interval, e->c.clk_tck);
    env->shared->stat = &e->c.pf; /* read every tick: kernel parses the same reading */
    return 0;
}

static int entry_nseries(const void *st)
{
    const struct cpu_entry *e = st;
    return e->total + (e->per ? e->c.max : 0);
}

/* Series @i as cpu_fields' index: -1 for cpu-total, else the cpu number. */
static int entry_index(const struct cpu_entry *e, int i)
{
    return e->total ? i - 1 : i;
}

static int entry_series(const void *st, int i, struct lp_tag *tags, int *ntags, char *buf, size_t cap)
{
    int idx = entry_index(st, i);
    if (idx < 0) snprintf(buf, cap, "cpu-total");
    else snprintf(buf, cap, "cpu%d", idx);
    tags[0] = (struct lp_tag){"cpu", buf};
    *ntags = 1;
    return 0;
}

static const char *entry_sample(void *st, struct collector_shared *sh)
{
    struct cpu_entry *e = st;
    int rc = cpu_sample(&e->c);
    sh->stat_ok = rc == 0;
    sh->cpus = e->c.online;
    if (e->c.beyond && !e->warned) {
        e->warned = 1;
        log_msg(LOG_WARN, "%d CPU(s) came online beyond the %d sized at start; they are skipped until "
                "procflux restarts", e->c.beyond, e->c.max);
    }
    return rc == 0 ? NULL : e->c.pf.path;
}

static int entry_fields(const void *st, int i, const struct collector_shared *sh, struct sample_field *out)
{
    (void)sh;
    return cpu_fields(&((const struct cpu_entry *)st)->c, entry_index(st, i), out);
}

static struct procfile *entry_file(void *st, int i)
{
    return i == 0 ? &((struct cpu_entry *)st)->c.pf : NULL;
}

static void entry_close(void *st) { cpu_close(&((struct cpu_entry *)st)->c); }

const struct collector collector_cpu = {
    .name = "cpu",
    .measurements = cpu_measurements,
    .nmeasurements = 1,
    .flags = COLLECTOR_EVERY_TICK,
    .size = sizeof(struct cpu_entry),
    .open = entry_open,
    .nseries = entry_nseries,
    .series = entry_series,
    .sample = entry_sample,
    .fields = entry_fields,
    .file = entry_file,
    .close = entry_close,
};
