/* series: escaped series prefixes, built once (fixed) or per slot generation (dynamic). */
#include "series.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLD __attribute__((cold))

COLD int series_init(struct series_set *s, const struct lp_tag *tags, int ntags, const char *host)
{
    memset(s, 0, sizeof *s);
    /* room for the base tags and two of a series' own */
    if (ntags < 0 || ntags + 3 > LP_MAX_TAGS) return -1;
    if (ntags > 0) memcpy(s->base, tags, (size_t)ntags * sizeof *tags);
    s->base[ntags] = (struct lp_tag){"host", host};
    s->nbase = ntags + 1;
    return 0;
}

/* Build @measurement's prefix with the base tags and @tags into @dst. @return its length, 0 if too long. */
static size_t build(const struct series_set *s, char *dst, size_t cap, const char *measurement,
                    const struct lp_tag *tags, int ntags)
{
    struct lp_tag all[LP_MAX_TAGS];
    if (s->nbase + ntags > LP_MAX_TAGS) return 0;
    memcpy(all, s->base, (size_t)s->nbase * sizeof *all);
    if (ntags > 0) memcpy(all + s->nbase, tags, (size_t)ntags * sizeof *all);
    return lp_series_build(dst, cap, measurement, all, (size_t)(s->nbase + ntags));
}

static int too_long(char *err, size_t errlen)
{
    snprintf(err, errlen, "the tags make a series prefix longer than %d bytes; use shorter --tag values",
             SERIES_PREFIX_MAX - 1);
    return SERIES_TOO_LONG;
}

static int no_memory(char *err, size_t errlen)
{
    snprintf(err, errlen, "out of memory while building series prefixes");
    return SERIES_NO_MEMORY;
}

COLD int series_add(struct series_set *s, const char *measurement, const struct lp_tag *tags, int ntags,
                    char *err, size_t errlen)
{
    char tmp[SERIES_PREFIX_MAX];
    size_t len = build(s, tmp, sizeof tmp, measurement, tags, ntags);
    if (len == 0) return too_long(err, errlen);
    if (s->n == s->max) {
        int max = s->max ? 2 * s->max : 16;
        size_t *off = realloc(s->off, (size_t)max * sizeof *off), *l;
        if (!off) return no_memory(err, errlen);
        s->off = off;
        if (!(l = realloc(s->len, (size_t)max * sizeof *l))) return no_memory(err, errlen);
        s->len = l;
        s->max = max;
    }
    if (s->used + len > s->cap) {
        size_t cap = s->cap ? s->cap : 1024;
        char *store;
        while (cap < s->used + len) cap *= 2;
        if (!(store = realloc(s->store, cap))) return no_memory(err, errlen);
        s->store = store;
        s->cap = cap;
    }
    memcpy(s->store + s->used, tmp, len);
    s->off[s->n] = s->used;
    s->len[s->n] = len;
    s->used += len;
    if (len > s->longest) s->longest = len;
    return s->n++;
}

const char *series_prefix(const struct series_set *s, int i, size_t *len)
{
    *len = s->len[i];
    return s->store + s->off[i];
}

COLD int series_group_init(struct series_set *s, struct series_group *g, const char *measurement,
                           const char *tag_key, int nslots, size_t name_max, char *err, size_t errlen)
{
    char tmp[SERIES_PREFIX_MAX];
    struct lp_tag t = {tag_key, "x"};
    size_t n = nslots > 0 ? (size_t)nslots : 1, base = build(s, tmp, sizeof tmp, measurement, &t, 1);

    memset(g, 0, sizeof *g);
    if (base == 0) return too_long(err, errlen);
    g->measurement = measurement;
    g->tag_key = tag_key;
    /* the base tags and a name escaped to at most twice its length */
    g->room = base + 2 * name_max + 1;
    g->nslots = nslots;
    g->buf = malloc(n * g->room);
    g->len = calloc(n, sizeof *g->len);
    g->gen = calloc(n, sizeof *g->gen);
    g->built = calloc(n, 1);
    if (!g->buf || !g->len || !g->gen || !g->built) return no_memory(err, errlen);
    if (g->room > s->longest) s->longest = g->room;
    return 0;
}

const char *series_group_prefix(const struct series_set *s, struct series_group *g, int i, const char *name,
                                unsigned gen, size_t *len)
{
    if (!name) return NULL;
    if (!g->built[i] || g->gen[i] != gen) {
        struct lp_tag t = {g->tag_key, name};
        g->len[i] = build(s, g->buf + (size_t)i * g->room, g->room, g->measurement, &t, 1);
        g->gen[i] = gen;
        g->built[i] = 1;
    }
    *len = g->len[i];
    return g->len[i] ? g->buf + (size_t)i * g->room : NULL;
}

size_t series_line_max(const struct series_set *s, int nfields)
{
    return lp_line_max(s->longest, nfields);
}

COLD void series_group_free(struct series_group *g)
{
    free(g->buf);
    free(g->len);
    free(g->gen);
    free(g->built);
    memset(g, 0, sizeof *g);
}

COLD void series_free(struct series_set *s)
{
    free(s->store);
    free(s->off);
    free(s->len);
    memset(s, 0, sizeof *s);
}
