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
    unsigned char windowed; /* a usage/rate gauge: --window reports its min, max and mean */
    union {
        double f;
        int64_t i;
        const char *s; /* SAMPLE_STRING: NUL-terminated, owned by the collector */
    } v;
};

/** The most fields any one series carries per tick. */
#define SAMPLE_MAX_FIELDS 64

static inline void sample_float(struct sample_field *f, const char *key, double v)
{
    f->key = key;
    f->suffix = 0;
    f->type = SAMPLE_FLOAT;
    f->windowed = 0;
    f->v.f = v;
}

/** A usage or rate (a gauge that moves tick to tick): --window aggregates it. */
static inline void sample_usage(struct sample_field *f, const char *key, double v)
{
    sample_float(f, key, v);
    f->windowed = 1;
}

static inline void sample_int(struct sample_field *f, const char *key, int64_t v)
{
    f->key = key;
    f->suffix = 0;
    f->type = SAMPLE_INT;
    f->windowed = 0;
    f->v.i = v;
}

/** A string field (never windowed): @v must outlive the line's encoding. */
static inline void sample_string(struct sample_field *f, const char *key, const char *v)
{
    f->key = key;
    f->suffix = 0;
    f->type = SAMPLE_STRING;
    f->windowed = 0;
    f->v.s = v;
}

#endif
