#ifndef PROCFLUX_SAMPLE_H
#define PROCFLUX_SAMPLE_H

#include <stdint.h>

/*
 * sample: the contract between collectors and the encoder. A collector turns
 * /proc into an array of named numbers; the encoder turns that array into a
 * line. Keys are static strings made only of [a-z0-9_], so they never need
 * escaping.
 *
 * A string field (SAMPLE_STRING: system's uptime_format) points at text the
 * collector formatted into its own state (nothing is allocated per tick); it
 * stays valid until that collector's next sample. At most SAMPLE_STRING_MAX
 * bytes, so lp_line_max holds; the encoder escapes '"' and '\' and leaves out
 * a longer one, or one holding a newline.
 */

enum sample_type { SAMPLE_FLOAT, SAMPLE_INT, SAMPLE_STRING };

/** The longest string field value, in bytes before escaping. */
#define SAMPLE_STRING_MAX 32

struct sample_field {
    const char *key;
    const char *suffix;     /* written right after key when not NULL ("_max"): set by window.c */
    enum sample_type type;
    unsigned char windowed; /* a usage: --window reports its min, max and mean */
    unsigned char counter;  /* a cumulative counter: --window adds its rate's max and mean per second */
    unsigned char uncapped; /* a ratio that may pass 100 (CPU time over wall time, on several CPUs) */
    union {
        double f;
        int64_t i;
        const char *s; /* SAMPLE_STRING: NUL-terminated, owned by the collector */
    } v;
    /* A usage that is a ratio of counter deltas, v.f = 100 * num / den (den > 0; 0: a gauge read as
       is): --window sums num and den, and takes min and max over runs of ticks whose den reaches den_min. */
    double num, den, den_min;
};

/** The most fields any one series carries per tick. */
#define SAMPLE_MAX_FIELDS 64

/* A plain field of @type under @key: no suffix, not windowed, not a counter, not a ratio. */
static inline void sample_plain(struct sample_field *f, const char *key, enum sample_type type)
{
    f->key = key;
    f->suffix = 0;
    f->type = type;
    f->windowed = 0;
    f->counter = 0;
    f->uncapped = 0;
    f->den = 0;
}

static inline void sample_float(struct sample_field *f, const char *key, double v)
{
    sample_plain(f, key, SAMPLE_FLOAT);
    f->v.f = v;
}

/** A usage read exactly (a gauge that moves tick to tick: mem used_percent): --window aggregates it. */
static inline void sample_usage(struct sample_field *f, const char *key, double v)
{
    sample_float(f, key, v);
    f->windowed = 1;
}

/**
 * A usage over the tick from counter deltas, @pct = 100 * @num / @den
 * (cpu: jiffies): --window reports the usage over the whole window, and min
 * and max over runs of ticks holding at least @den_min.
 */
static inline void sample_ratio(struct sample_field *f, const char *key, double pct, double num, double den,
                                double den_min)
{
    sample_usage(f, key, pct);
    f->num = num;
    f->den = den;
    f->den_min = den_min;
}

/**
 * CPU time over wall time in percent of one CPU (a cgroup's: 250 on two and
 * a half busy CPUs): a ratio as sample_ratio, that --window does not clamp
 * at 100.
 */
static inline void sample_share(struct sample_field *f, const char *key, double pct, double num, double den,
                                double den_min)
{
    sample_ratio(f, key, pct, num, den, den_min);
    f->uncapped = 1;
}

static inline void sample_int(struct sample_field *f, const char *key, int64_t v)
{
    sample_plain(f, key, SAMPLE_INT);
    f->v.i = v;
}

/** A cumulative counter (net bytes, diskio reads): --window adds its rate's max and mean per second. */
static inline void sample_counter(struct sample_field *f, const char *key, int64_t v)
{
    sample_int(f, key, v);
    f->counter = 1;
}

/** A string field (never windowed): @v must outlive the line's encoding. */
static inline void sample_string(struct sample_field *f, const char *key, const char *v)
{
    sample_plain(f, key, SAMPLE_STRING);
    f->v.s = v;
}

#endif
