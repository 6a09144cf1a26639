#ifndef PROCFLUX_SAMPLE_H
#define PROCFLUX_SAMPLE_H

#include <stdint.h>

/*
 * sample: the contract between collectors and the encoder. A collector turns
 * /proc into an array of named numbers; the encoder turns that array into a
 * line. Keys are static strings made only of [a-z0-9_], so they never need
 * escaping.
 */

enum sample_type { SAMPLE_FLOAT, SAMPLE_INT };

struct sample_field {
    const char *key;
    enum sample_type type;
    union {
        double f;
        int64_t i;
    } v;
};

/** The most fields any one series carries per tick. */
#define SAMPLE_MAX_FIELDS 48

static inline void sample_float(struct sample_field *f, const char *key, double v)
{
    f->key = key;
    f->type = SAMPLE_FLOAT;
    f->v.f = v;
}

static inline void sample_int(struct sample_field *f, const char *key, int64_t v)
{
    f->key = key;
    f->type = SAMPLE_INT;
    f->v.i = v;
}

#endif
