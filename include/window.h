#ifndef PROCFLUX_WINDOW_H
#define PROCFLUX_WINDOW_H

#include <stdint.h>

#include "sample.h"

/*
 * window: burst capture. With --window, every tick is sampled but a series
 * is sent once per window, with three kinds of field aggregated:
 *
 *  - Gauges read exactly (sample_usage: mem used_percent): `F` and `F_mean`
 *    are the mean of the window's readings (the plain name keeps existing
 *    dashboards working), `F_min` and `F_max` the least and greatest reading.
 *  - Usages that are ratios of counter deltas (sample_ratio: cpu usage_*,
 *    100 * Δx / Δtotal in jiffies): `F` and `F_mean` are 100 * ΣΔx / ΣΔtotal
 *    over the window's ticks, which is the usage between the reading that
 *    opens the window and the one that closes it: to the last digit what a
 *    sampler with --interval equal to the window reports for the same span.
 *    `F_min` and `F_max` are taken over sub-intervals: consecutive ticks
 *    merged until their Δtotal reaches the field's den_min (for cpu, five
 *    USER_HZ units per CPU of the series: 50 ms of each CPU, a resolution of
 *    20 % on one core), where a single 1 ms tick could only say 0 or 100. A
 *    window without one whole sub-interval reports its own usage as min and
 *    max, and min and max always take in the window's usage (its tail, a
 *    partial sub-interval, counts in the usage only). Ratios clamp at 100.
 *  - Shares (sample_share: a cgroup's cpu_usage_percent, CPU ns over wall
 *    ns): ratios that are not clamped at 100 (several CPUs' worth passes it);
 *    their den_min is wall time (CGROUP_SUBINTERVAL_NS: 50 ms).
 *  - Cumulative counters (sample_counter: net bytes, diskio reads, ...) are
 *    sent as read, and also `F_rate_max`, the highest per-second rate over any
 *    single tick (a 20 ms burst at 1 ms ticks), and `F_rate_mean`, the rate
 *    between the reading that opens the window and the last one.
 *
 * Every other field is sent as read on the window's last tick.
 *
 * One struct window_acc per series, sized at start; window_add and
 * window_fields only write into it: nothing is allocated per tick.
 */

/** Aggregated fields one series may carry (cpu has 10 usages, diskio 5 rated counters). */
#define WINDOW_MAX_FIELDS 16

enum window_kind { WINDOW_GAUGE, WINDOW_RATIO, WINDOW_SHARE /* a ratio past 100 */, WINDOW_COUNTER };

struct window_acc {
    const char *key[WINDOW_MAX_FIELDS];  /* the static key of each aggregated field seen */
    unsigned char kind[WINDOW_MAX_FIELDS];
    /* gauge: min, max and sum of the readings; ratio: min and max over sub-intervals, sum of Δx */
    double min[WINDOW_MAX_FIELDS], max[WINDOW_MAX_FIELDS], sum[WINDOW_MAX_FIELDS];
    double den[WINDOW_MAX_FIELDS];       /* ratio: ΣΔtotal */
    double sub_num[WINDOW_MAX_FIELDS], sub_den[WINDOW_MAX_FIELDS]; /* ratio: the open sub-interval */
    uint32_t count[WINDOW_MAX_FIELDS];   /* gauge: readings; ratio: whole sub-intervals; counter: rates */
    /* counter: the window's opening reading, the last reading, and the highest rate */
    int64_t open[WINDOW_MAX_FIELDS], last[WINDOW_MAX_FIELDS];
    double open_t[WINDOW_MAX_FIELDS], last_t[WINDOW_MAX_FIELDS];
    unsigned char have_open[WINDOW_MAX_FIELDS], have_last[WINDOW_MAX_FIELDS];
    int nkeys;
    uint32_t ticks;                      /* window_add calls since the reset */
};

/**
 * Start the next window, contiguous with the last: a counter's last reading
 * opens it. (A zeroed struct is a restarted one.)
 */
void window_reset(struct window_acc *w);

/** Start over: after missed ticks, or when a slot takes another series. Nothing carries over. */
void window_restart(struct window_acc *w);

/**
 * Take one tick's fields of the series, read at @now (monotonic seconds).
 * Gauges update min, max and sum; ratios their sums and sub-interval;
 * counters their rate since the last reading. With @gap (this tick's deltas
 * span missed ticks) only counters' readings are noted, to open the window.
 * Non-finite values are skipped; keys are matched by pointer (they are
 * static); a field beyond WINDOW_MAX_FIELDS distinct keys is not aggregated.
 */
void window_add(struct window_acc *w, const struct sample_field *f, int n, double now, int gap);

/**
 * The window's fields into @out (room for @cap): the fields of @last (the
 * last tick's, @nlast of them) that are not windowed, as they are (counters
 * among them), then per gauge or ratio key `F`, `F_min`, `F_max`, `F_mean`,
 * per counter key `F_rate_max` and `F_rate_mean` (each when known).
 * @return the number written (fields that do not fit in @cap are left out).
 */
int window_fields(const struct window_acc *w, const struct sample_field *last, int nlast,
                  struct sample_field *out, int cap);

#endif
