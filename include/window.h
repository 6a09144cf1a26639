#ifndef PROCFLUX_WINDOW_H
#define PROCFLUX_WINDOW_H

#include <stdint.h>

#include "sample.h"

/*
 * window: burst capture. With --window, every tick is sampled but a series
 * is sent once per window: each windowed field (sample_usage: cpu usage_*,
 * mem *_percent) becomes four fields, `usage_user` and `usage_user_mean`
 * (the mean of the window's ticks; the plain name keeps existing dashboards
 * working), `usage_user_min` and `usage_user_max`; every other field is sent
 * as read on the window's last tick. A 1 ms sampler thus shows a 1 ms spike
 * in one point a second.
 *
 * One struct window_acc per series, sized at start; window_add and
 * window_fields only write into it: nothing is allocated per tick. Min and
 * max are exact (they are sample values); the mean is the sum of the window's
 * values over their count, summed in tick order.
 */

/** Windowed fields one series may carry (cpu has 10). */
#define WINDOW_MAX_FIELDS 16

struct window_acc {
    const char *key[WINDOW_MAX_FIELDS]; /* the static key of each windowed field seen */
    double min[WINDOW_MAX_FIELDS], max[WINDOW_MAX_FIELDS], sum[WINDOW_MAX_FIELDS];
    uint32_t count[WINDOW_MAX_FIELDS];
    int nkeys;
    uint32_t ticks;                      /* window_add calls since the reset */
};

/** Start a new window (also the initial state: a zeroed struct is a reset one). */
void window_reset(struct window_acc *w);

/**
 * Take one tick's fields of the series: each windowed field with a finite
 * value updates its min, max and sum; others are ignored (the last tick's
 * are passed to window_fields). Keys are matched by pointer (they are static).
 * A windowed field beyond WINDOW_MAX_FIELDS distinct keys is not aggregated.
 */
void window_add(struct window_acc *w, const struct sample_field *f, int n);

/**
 * The window's fields into @out (room for @cap): the non-windowed fields of
 * @last (the last tick's, @nlast of them) as they are, then for each windowed
 * key with at least one value: key (mean), key_min, key_max, key_mean.
 * @return the number written (fields that do not fit in @cap are left out).
 */
int window_fields(const struct window_acc *w, const struct sample_field *last, int nlast,
                  struct sample_field *out, int cap);

#endif
