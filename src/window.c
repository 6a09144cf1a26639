/* window: per-window aggregates of gauges, usage ratios and counter rates, allocation-free. */
#include "window.h"

#include <math.h>
#include <string.h>

void window_reset(struct window_acc *w)
{
    for (int k = 0; k < w->nkeys; k++) {
        w->count[k] = 0;
        w->sum[k] = w->den[k] = w->sub_num[k] = w->sub_den[k] = 0;
        /* a counter's last reading is the next window's opening one */
        w->have_open[k] = w->have_last[k];
        w->open[k] = w->last[k];
        w->open_t[k] = w->last_t[k];
    }
    w->ticks = 0;
}

void window_restart(struct window_acc *w)
{
    w->nkeys = 0;
    w->ticks = 0;
}

/* The slot of @key (a new one when it is new and there is room), or -1. */
static int slot_of(struct window_acc *w, const char *key, enum window_kind kind, int *hint)
{
    int k;
    /* A series' fields come in the same order every tick: try the next slot first. */
    if (*hint < w->nkeys && w->key[*hint] == key) k = *hint;
    else
        for (k = 0; k < w->nkeys && w->key[k] != key; k++) {
        }
    if (k == w->nkeys) {
        if (k == WINDOW_MAX_FIELDS) return -1;
        w->key[k] = key;
        w->kind[k] = (unsigned char)kind;
        w->count[k] = 0;
        w->sum[k] = w->den[k] = w->sub_num[k] = w->sub_den[k] = 0;
        w->have_open[k] = w->have_last[k] = 0;
        w->nkeys++;
    }
    *hint = k + 1;
    return k;
}

static void add_gauge(struct window_acc *w, int k, double v)
{
    if (w->count[k] == 0) {
        w->min[k] = w->max[k] = w->sum[k] = v;
    } else {
        if (v < w->min[k]) w->min[k] = v;
        if (v > w->max[k]) w->max[k] = v;
        w->sum[k] += v;
    }
    w->count[k]++;
}

static double percent(const struct window_acc *w, int k, double num, double den)
{
    double p = 100.0 * num / den;
    return p > 100.0 && w->kind[k] == WINDOW_RATIO ? 100.0 : p; /* (as cpu_usage clamps; a share may pass it) */
}

static void add_ratio(struct window_acc *w, int k, const struct sample_field *f)
{
    w->sum[k] += f->num;
    w->den[k] += f->den;
    w->sub_num[k] += f->num;
    w->sub_den[k] += f->den;
    if (w->sub_den[k] < f->den_min) return;
    /* a whole sub-interval: long enough for the counters to resolve it */
    {
        double v = percent(w, k, w->sub_num[k], w->sub_den[k]);
        if (w->count[k] == 0 || v < w->min[k]) w->min[k] = v;
        if (w->count[k] == 0 || v > w->max[k]) w->max[k] = v;
        w->count[k]++;
    }
    w->sub_num[k] = w->sub_den[k] = 0;
}

static void add_counter(struct window_acc *w, int k, int64_t v, double now)
{
    if (w->have_last[k] && now > w->last_t[k] && v >= w->last[k]) {
        double rate = (double)(v - w->last[k]) / (now - w->last_t[k]);
        if (w->count[k] == 0 || rate > w->max[k]) w->max[k] = rate;
        w->count[k]++;
    }
    if (!w->have_open[k]) {
        w->open[k] = v;
        w->open_t[k] = now;
        w->have_open[k] = 1;
    }
    w->last[k] = v;
    w->last_t[k] = now;
    w->have_last[k] = 1;
}

void window_add(struct window_acc *w, const struct sample_field *f, int n, double now, int gap)
{
    int hint = 0;
    w->ticks++;
    for (int i = 0, k; i < n; i++) {
        if (f[i].counter && f[i].type == SAMPLE_INT) {
            if ((k = slot_of(w, f[i].key, WINDOW_COUNTER, &hint)) < 0) continue;
            if (gap) w->have_last[k] = 0; /* a rate across the gap is no tick's */
            add_counter(w, k, f[i].v.i, now);
            continue;
        }
        if (!f[i].windowed || f[i].type != SAMPLE_FLOAT || !isfinite(f[i].v.f)) continue;
        if (f[i].den > 0) {
            if (gap || (k = slot_of(w, f[i].key, f[i].uncapped ? WINDOW_SHARE : WINDOW_RATIO, &hint)) < 0) continue;
            add_ratio(w, k, &f[i]);
        } else {
            if ((k = slot_of(w, f[i].key, WINDOW_GAUGE, &hint)) < 0) continue;
            add_gauge(w, k, f[i].v.f);
        }
    }
}

/* @f: @key with @suffix (NULL: plain) and value @v. */
static void put(struct sample_field *f, const char *key, const char *suffix, double v)
{
    sample_float(f, key, v);
    f->suffix = suffix;
}

int window_fields(const struct window_acc *w, const struct sample_field *last, int nlast,
                  struct sample_field *out, int cap)
{
    int n = 0;
    for (int i = 0; i < nlast && n < cap; i++)
        if (!last[i].windowed) out[n++] = last[i];
    for (int k = 0; k < w->nkeys; k++) {
        double mean, lo, hi;
        if (w->kind[k] == WINDOW_COUNTER) {
            if (w->count[k] > 0 && n < cap) put(&out[n++], w->key[k], "_rate_max", w->max[k]);
            if (w->have_open[k] && w->last_t[k] > w->open_t[k] && w->last[k] >= w->open[k] && n < cap)
                put(&out[n++], w->key[k], "_rate_mean",
                    (double)(w->last[k] - w->open[k]) / (w->last_t[k] - w->open_t[k]));
            continue;
        }
        if (n + 4 > cap) break;
        if (w->kind[k] != WINDOW_GAUGE) {
            if (w->den[k] <= 0) continue;
            mean = percent(w, k, w->sum[k], w->den[k]);
            lo = w->count[k] ? w->min[k] : mean;
            hi = w->count[k] ? w->max[k] : mean;
            /* the window's tail (a partial sub-interval) counts in the mean only: keep min <= mean <= max */
            if (mean < lo) lo = mean;
            if (mean > hi) hi = mean;
        } else {
            if (w->count[k] == 0) continue;
            mean = w->sum[k] / w->count[k];
            lo = w->min[k];
            hi = w->max[k];
            /* sums of values in [lo, hi] divided by their count stay in [lo, hi] but for rounding */
            if (mean < lo) mean = lo;
            if (mean > hi) mean = hi;
        }
        put(&out[n++], w->key[k], NULL, mean);
        put(&out[n++], w->key[k], "_min", lo);
        put(&out[n++], w->key[k], "_max", hi);
        put(&out[n++], w->key[k], "_mean", mean);
    }
    return n;
}
