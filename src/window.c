#include "window.h"

#include <math.h>
#include <string.h>

void window_reset(struct window_acc *w)
{
    w->nkeys = 0;
    w->ticks = 0;
}

void window_add(struct window_acc *w, const struct sample_field *f, int n)
{
    int hint = 0;
    w->ticks++;
    for (int i = 0, k; i < n; i++) {
        double v;
        if (!f[i].windowed || f[i].type != SAMPLE_FLOAT) continue;
        v = f[i].v.f;
        if (!isfinite(v)) continue;
        /* A series' fields come in the same order every tick: try the next slot first. */
        if (hint < w->nkeys && w->key[hint] == f[i].key) k = hint;
        else
            for (k = 0; k < w->nkeys && w->key[k] != f[i].key; k++) {
            }
        if (k == w->nkeys) {
            if (k == WINDOW_MAX_FIELDS) continue;
            w->key[k] = f[i].key;
            w->count[k] = 0;
            w->nkeys++;
        }
        if (w->count[k] == 0) {
            w->min[k] = w->max[k] = w->sum[k] = v;
        } else {
            if (v < w->min[k]) w->min[k] = v;
            if (v > w->max[k]) w->max[k] = v;
            w->sum[k] += v;
        }
        w->count[k]++;
        hint = k + 1;
    }
}

int window_fields(const struct window_acc *w, const struct sample_field *last, int nlast,
                  struct sample_field *out, int cap)
{
    int n = 0;
    for (int i = 0; i < nlast && n < cap; i++)
        if (!last[i].windowed) out[n++] = last[i];
    for (int k = 0; k < w->nkeys && n + 4 <= cap; k++) {
        double mean;
        if (w->count[k] == 0) continue;
        mean = w->sum[k] / w->count[k];
        /* sums of values in [lo, hi] divided by their count stay in [lo, hi] but for rounding */
        if (mean < w->min[k]) mean = w->min[k];
        if (mean > w->max[k]) mean = w->max[k];
        sample_float(&out[n++], w->key[k], mean);
        sample_float(&out[n], w->key[k], w->min[k]);
        out[n++].suffix = "_min";
        sample_float(&out[n], w->key[k], w->max[k]);
        out[n++].suffix = "_max";
        sample_float(&out[n], w->key[k], mean);
        out[n++].suffix = "_mean";
    }
    return n;
}
