/* sampler: the collectors in use, from the table: opened, sampled when due, their series emitted. */
#include "sampler.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "output.h"
#include "procfile.h"
#include "tick.h"

#define COLD __attribute__((cold))

/* --fields: the pattern list for @measurement, NULL when every field is kept. */
static const struct match_list *keep_for(const struct config *c, const char *measurement)
{
    for (int i = 0; i < c->nfieldsets; i++)
        if (!strcmp(c->fieldsets[i].measurement, measurement)) return &c->fieldsets[i].keep;
    return NULL;
}

/* The measurements of table entry @ci that --collect asks for, as bits by measurement. */
static unsigned wanted(const struct config *c, int ci)
{
    unsigned want = 0;
    for (int m = 0; m < collector_table[ci]->nmeasurements; m++)
        if (c->collect & collector_bit(ci, m)) want |= 1u << m;
    return want;
}

/* Add @r's fixed series to @series (or size its group of dynamic ones). */
COLD static int add_series(struct sampler *s, struct sampler_slot *r, struct series_set *series, char *err,
                           size_t errlen)
{
    const struct collector *c = r->c;
    int n = c->nseries ? c->nseries(r->st) : c->nmeasurements, rc = 0;
    if (c->slot_tag)
        rc = series_group_init(series, &r->group, c->measurements[0].name, c->slot_tag, n,
                               c->slot_name_max, err, errlen);
    else if (n > 0 && !(r->meas = calloc((size_t)n, 1))) rc = SERIES_NO_MEMORY;
    for (int i = 0; rc == 0 && !c->slot_tag && i < n; i++) {
        struct lp_tag tags[COLLECTOR_SERIES_TAGS];
        char buf[64];
        int ntags = 0, m = c->series ? c->series(r->st, i, tags, &ntags, buf, sizeof buf) : i, k;
        r->meas[i] = (unsigned char)m;
        k = series_add(series, c->measurements[m].name, tags, ntags, err, errlen);
        if (k < 0) rc = k;
        else if (i == 0) r->first = k;
    }
    r->n = c->slot_tag ? 0 : n;
    r->nwin = n;
    /* --window: an accumulator per series (per slot of series that come and go) */
    if (rc == 0 && s->cfg->window > 0 && (c->flags & COLLECTOR_EVERY_TICK) && n > 0 &&
        (!(r->win = calloc((size_t)n, sizeof *r->win)) || (c->slot_tag && !(r->wgen = calloc((size_t)n, sizeof *r->wgen)))))
        rc = SERIES_NO_MEMORY;
    if (rc == SERIES_NO_MEMORY) snprintf(err, errlen, "out of memory");
    return rc == 0 ? 0 : rc == SERIES_TOO_LONG ? EXIT_USAGE : EXIT_SETUP;
}

COLD int sampler_open(struct sampler *s, const struct config *cfg, struct series_set *series, char *err,
                      size_t errlen)
{
    const char *root = cfg->proc_root[0] ? cfg->proc_root : NULL;
    struct collector_env env = {cfg, root, root ? NULL : "/sys", &s->shared};
    cpu_set_t set;

    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    s->period = cfg->interval > 1 ? cfg->interval : 1;
    log_limit_init(&s->read_log, 10);
    /* What Telegraf's runtime.NumCPU reports: the CPUs this process may run on (cpu counts its own). */
    s->shared.cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
    if (!(s->run = calloc((size_t)collector_count, sizeof *s->run))) {
        snprintf(err, errlen, "out of memory");
        return EXIT_SETUP;
    }
    for (int ci = 0; ci < collector_count; ci++) {
        const struct collector *c = collector_table[ci];
        struct sampler_slot *r = &s->run[s->nrun];
        char cerr[CONFIG_ERR_MAX];
        int rc;
        if (!(r->want = wanted(cfg, ci))) continue;
        r->c = c;
        if (!(r->st = calloc(1, c->size))) {
            snprintf(err, errlen, "out of memory");
            return EXIT_SETUP;
        }
        errno = 0;
        if (c->open(r->st, &env, cerr, sizeof cerr) != 0) {
            /* Out of memory or fds is no reason to run without it: exit 3, as everywhere at start-up. */
            if (errno == ENOMEM || errno == EMFILE || errno == ENFILE) {
                snprintf(err, errlen, errno == ENOMEM ? "out of memory starting the %s collector (%s)"
                                                      : "too few file descriptors to start the %s collector (%s); "
                                                        "raise ulimit -n",
                         c->name, cerr);
                c->close(r->st);
                free(r->st);
                memset(r, 0, sizeof *r);
                return EXIT_SETUP;
            }
            log_msg(LOG_WARN, "%s collector disabled: %s", c->name, cerr);
            c->close(r->st);
            free(r->st);
            memset(r, 0, sizeof *r);
            continue;
        }
        s->nrun++;
        for (int m = 0; m < c->nmeasurements && m < COLLECTOR_MAX_MEASUREMENTS; m++) r->keep[m] = keep_for(cfg, c->measurements[m].name);
        if ((rc = add_series(s, r, series, err, errlen)) != 0) return rc;
    }
    if (s->nrun == 0) {
        snprintf(err, errlen, "no collector could start (reading %s); check --proc-root and permissions",
                 root ? root : "/proc");
        return EXIT_SETUP;
    }
    return 0;
}

void sampler_sample(struct sampler *s, int closing, int force, double wall, double now)
{
    s->shared.now = now;
    s->shared.closing = closing;
    for (int i = 0; i < s->nrun; i++) {
        struct sampler_slot *r = &s->run[i];
        const char *failed;
        unsigned flags = r->c->flags;
        r->sampled = (flags & COLLECTOR_EVERY_TICK) || closing;
        if (r->sampled && (flags & COLLECTOR_ONCE_A_SECOND) && !force)
            r->sampled = tick_due(&r->due, wall, s->period);
        if (!r->sampled || !(failed = r->c->sample(r->st, &s->shared))) continue;
        s->read_errors++;
        log_limited(&s->read_log, now, LOG_WARN, "cannot read %s: %s; skipping it this tick", failed,
                    strerror(errno));
    }
}

void sampler_window_start(struct sampler *s, int restart)
{
    for (int i = 0; i < s->nrun; i++)
        for (int k = 0; s->run[i].win && k < s->run[i].nwin; k++)
            if (restart) window_restart(&s->run[i].win[k]);
            else window_reset(&s->run[i].win[k]);
}

/*
 * @n fields of series @k of @r, in s->fields: out as read, or into its
 * window, whose fields go out when @closing. @return how many fields to
 * send from @f (0: none this tick).
 */
static int windowed(struct sampler *s, struct sampler_slot *r, int k, int n, int closing, int after_gap,
                    double now, struct sample_field **f)
{
    *f = s->fields;
    if (!r->win) return n;
    window_add(&r->win[k], s->fields, n, now, after_gap);
    if (!closing) return 0;
    n = window_fields(&r->win[k], s->fields, n, s->wfields, SAMPLE_MAX_FIELDS);
    window_reset(&r->win[k]);
    *f = s->wfields;
    return n;
}

/* Fixed series @k of @r. */
static void emit_fixed(struct sampler *s, struct sampler_slot *r, int k, const struct series_set *series,
                       struct output *out, int closing, int after_gap, int64_t ts, double now)
{
    int m = r->meas[k], n;
    size_t plen;
    const char *prefix;
    struct sample_field *f;
    if (!((r->want >> m) & 1u)) return;
    n = windowed(s, r, k, r->c->fields(r->st, k, &s->shared, s->fields), closing, after_gap, now, &f);
    prefix = series_prefix(series, r->first + k, &plen);
    output_line(out, prefix, plen, r->keep[m], f, n, ts, now);
}

/* Slot @k of @r's series that come and go: into its window (out when @closing), or out as read. */
static void emit_slot(struct sampler *s, struct sampler_slot *r, int k, const struct series_set *series,
                      struct output *out, int closing, int after_gap, int64_t ts, double now)
{
    unsigned gen = 0;
    size_t plen;
    const char *prefix, *name;
    struct sample_field *f;
    int n = r->c->fields(r->st, k, &s->shared, s->fields);
    if (n == 0) return;
    name = r->c->slot(r->st, k, &gen);
    if (r->win && gen != r->wgen[k]) { /* another interface or disk in this slot: its window starts over */
        window_restart(&r->win[k]);
        r->wgen[k] = gen;
    }
    if (!(n = windowed(s, r, k, n, closing, after_gap, now, &f))) return;
    prefix = series_group_prefix(series, &r->group, k, name, gen, &plen);
    if (prefix) output_line(out, prefix, plen, r->keep[0], f, n, ts, now);
}

void sampler_emit(struct sampler *s, const struct series_set *series, struct output *out, int closing,
                  int after_gap, double now)
{
    int64_t ts = output_timestamp(out);
    for (int i = 0; i < s->nrun; i++) {
        struct sampler_slot *r = &s->run[i];
        if (!r->sampled) continue;
        if (r->c->slot_tag)
            for (int k = 0; k < r->group.nslots; k++) emit_slot(s, r, k, series, out, closing, after_gap, ts, now);
        else
            for (int k = 0; k < r->n; k++) emit_fixed(s, r, k, series, out, closing, after_gap, ts, now);
    }
}

void sampler_grow(struct sampler *s)
{
    for (int i = 0; i < s->nrun; i++) {
        struct procfile *f;
        for (int k = 0; (f = s->run[i].c->file(s->run[i].st, k)); k++) {
            size_t was = f->cap;
            if (!f->truncated) continue;
            /* doubled until a reading fits (or the ceiling: then it stays cut) */
            while (f->truncated && procfile_grow(f) == PROCFILE_OK && procfile_read(f) >= 0) {
            }
            f->truncated = 0;
            if (f->cap == was) continue;
            s->buffers_grown++;
            log_msg(LOG_WARN, "%s outgrew its buffer: now %zu bytes (one allocation; what the last reading "
                    "missed is back from the next)", f->path, f->cap);
        }
    }
}

COLD void sampler_reopen(struct sampler *s)
{
    char err[CONFIG_ERR_MAX];
    for (int i = 0; i < s->nrun; i++) {
        struct procfile *f;
        for (int k = 0; (f = s->run[i].c->file(s->run[i].st, k)); k++)
            if (f->opened && procfile_reopen(f, err, sizeof err) != PROCFILE_OK) log_msg(LOG_WARN, "%s", err);
    }
}

COLD void sampler_close(struct sampler *s)
{
    for (int i = 0; i < s->nrun; i++) {
        struct sampler_slot *r = &s->run[i];
        r->c->close(r->st);
        free(r->st);
        free(r->meas);
        free(r->win);
        free(r->wgen);
        series_group_free(&r->group);
    }
    free(s->run);
    memset(s, 0, sizeof *s);
}
