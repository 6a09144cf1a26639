#ifndef PROCFLUX_SAMPLER_H
#define PROCFLUX_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

#include "collector.h"
#include "log.h"
#include "sample.h"
#include "series.h"
#include "window.h"

struct config;
struct output;

/*
 * sampler: the collectors in use. Opens the ones --collect asks for from
 * the table (collector.h), adds their series to the series set, and on each
 * tick samples the collectors that are due and hands each series' fields,
 * aggregated over the window where --window asks for it, to the output. It
 * names no collector: what differs between them is in their table entries.
 */

/** One collector that opened. */
struct sampler_slot {
    const struct collector *c;
    void *st;                    /* its state (c->size bytes) */
    unsigned want;               /* bit m: its measurement m is sent */
    int first, n;                /* fixed series: the first in the set, and how many */
    unsigned char *meas;         /* fixed series: each one's measurement */
    struct series_group group;   /* dynamic series: their prefixes */
    const struct match_list *keep[COLLECTOR_MAX_MEASUREMENTS]; /* --fields per measurement (NULL: every field) */
    struct window_acc *win;      /* --window, windowed collectors: one per fixed series or slot */
    unsigned *wgen;              /* slots: the generation each window belongs to */
    double due;                  /* COLLECTOR_ONCE_A_SECOND: next due (wall clock) */
    int sampled;                 /* sampled this tick: its lines go out */
};

struct sampler {
    const struct config *cfg;
    struct sampler_slot *run;
    int nrun;
    struct collector_shared shared;
    double period;               /* of once-a-second collectors: max(interval, 1 s) */
    uint64_t read_errors;        /* /proc reads that failed */
    uint64_t buffers_grown;      /* /proc files that outgrew their buffer */
    struct log_limit read_log;
    struct sample_field fields[SAMPLE_MAX_FIELDS];
    struct sample_field wfields[SAMPLE_MAX_FIELDS]; /* a window's fields */
};

/**
 * Open the collectors @cfg->collect asks for (one that cannot start is off,
 * with a warning) and add their fixed series to @series.
 * @return 0, or an exit code with one sentence in @err: EXIT_SETUP when no
 *         collector could start or memory ran out, EXIT_USAGE when the --tag
 *         values make a prefix too long.
 */
int sampler_open(struct sampler *s, const struct config *cfg, struct series_set *series, char *err,
                 size_t errlen);

/**
 * Sample the collectors due this tick: windowed ones every tick, the others
 * when @closing (this tick ends a window, or there are none), once-a-second
 * ones when a second began (or always, with @force). @wall: wall-clock
 * seconds; @now: monotonic.
 */
void sampler_sample(struct sampler *s, int closing, int force, double wall, double now);

/** Start new windows: what the accumulators gathered is dropped. */
void sampler_window_reset(struct sampler *s);

/**
 * Hand the lines of what was sampled to @out: windowed series into their
 * window (sent when @closing), the others as read. @after_gap: this tick
 * opens a window after missed ticks (a stall, a suspended process), so its
 * usage spans time before the window began: it goes into no window.
 */
void sampler_emit(struct sampler *s, const struct series_set *series, struct output *out, int closing,
                  int after_gap, double now);

/**
 * A /proc file that filled its buffer on this tick's read (its content was
 * cut: /proc/stat's intr line gains digits and columns) gets a buffer twice
 * the size, up to its ceiling, said in a warning and counted. The one
 * allocation after start-up: call it after a tick's lines are out.
 */
void sampler_grow(struct sampler *s);

/** Reopen every /proc file (SIGHUP). */
void sampler_reopen(struct sampler *s);

/** Close the collectors and free what sampler_open took. */
void sampler_close(struct sampler *s);

#endif
