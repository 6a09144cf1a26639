/* slots: the table of series that come and go. The contract is in slots.h. */
#include "slots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int slots_init(struct slots *t, int nslots, int name_max, int nlines, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    if (nslots < 1 || nslots > SLOTS_MAX || name_max < 1 || name_max > SLOTS_NAME_MAX || nlines < 0 ||
        nlines > SLOTS_MAX_LINES) {
        snprintf(err, errlen, "%d slots for names of %d bytes and %d cached lines is out of range", nslots,
                 name_max, nlines);
        return -1;
    }
    t->slot = calloc((size_t)nslots, sizeof *t->slot);
    t->names = calloc((size_t)nslots, (size_t)name_max + 1);
    if (nlines) {
        t->prev = calloc((size_t)nlines, sizeof *t->prev);
        t->cur = calloc((size_t)nlines, sizeof *t->cur);
        t->prev_names = calloc((size_t)nlines, (size_t)name_max);
        t->cur_names = calloc((size_t)nlines, (size_t)name_max);
    }
    if (!t->slot || !t->names ||
        (nlines && (!t->prev || !t->cur || !t->prev_names || !t->cur_names))) {
        snprintf(err, errlen, "out of memory for a table of %d slots", nslots);
        slots_free(t);
        return -1;
    }
    t->nslots = nslots;
    t->name_max = name_max;
    t->nlines = nlines;
    return 0;
}

void slots_free(struct slots *t)
{
    free(t->slot);
    free(t->names);
    free(t->prev);
    free(t->cur);
    free(t->prev_names);
    free(t->cur_names);
    memset(t, 0, sizeof *t);
}

void slots_begin(struct slots *t)
{
    struct slots_line *l = t->prev;
    char *n = t->prev_names;
    t->prev = t->cur;
    t->prev_names = t->cur_names;
    t->cur = l;
    t->cur_names = n;
    t->nprev = t->ncur;
    t->ncur = 0;
    t->shift = 0;
    t->skipped = 0;
    t->reading++;
}

static char *slot_name(const struct slots *t, int k) { return t->names + (size_t)k * ((size_t)t->name_max + 1); }

static int slot_is(const struct slots *t, int k, const char *name, size_t len, uint64_t id)
{
    const struct slots_slot *s = &t->slot[k];
    return s->len == len && s->id == id && memcmp(slot_name(t, k), name, len) == 0;
}

static int line_is(const struct slots *t, int j, const char *name, size_t len, uint64_t id)
{
    const struct slots_line *l = &t->prev[j];
    return l->len == len && l->id == id && memcmp(t->prev_names + (size_t)j * (size_t)t->name_max, name, len) == 0;
}

/* The decision line @i's identity had in the last reading, or UNKNOWN. */
#define UNKNOWN (SLOTS_NOSLOT - 1)
static int line_lookup(struct slots *t, int i, const char *name, size_t len, uint64_t id)
{
    int j = i + t->shift;
    if (i < t->nprev && line_is(t, i, name, len, id)) return t->prev[i].decision;
    if (j >= 0 && j < t->nprev && line_is(t, j, name, len, id)) return t->prev[j].decision;
    for (j = 0; j < t->nprev; j++)
        if (line_is(t, j, name, len, id)) {
            t->shift = j - i;
            return t->prev[j].decision;
        }
    return UNKNOWN;
}

/*
 * Remember line @i of this reading. Lines are put in increasing order; the
 * ones between the last put and @i (no name, malformed) are forgotten, and
 * so is everything past the last put when the next reading begins.
 */
static void line_put(struct slots *t, int i, const char *name, size_t len, uint64_t id, int decision)
{
    struct slots_line *l;
    if (i >= t->nlines) return;
    while (t->ncur < i) t->cur[t->ncur++].len = 0;
    l = &t->cur[i];
    l->id = id;
    l->decision = decision;
    l->len = (unsigned short)len;
    memcpy(t->cur_names + (size_t)i * (size_t)t->name_max, name, len);
    if (t->ncur == i) t->ncur = i + 1;
}

static int find(const struct slots *t, const char *name, size_t len, uint64_t id)
{
    for (int k = 0; k < t->nslots; k++)
        if (slot_is(t, k, name, len, id)) return k;
    return -1;
}

/* A free slot for a new identity (the ageing rule), now holding it. @return -1 when none is free. */
static int take(struct slots *t, const char *name, size_t len, uint64_t id)
{
    int best = -1;
    struct slots_slot *s;
    char *n;
    for (int k = 0; k < t->nslots; k++) {
        s = &t->slot[k];
        if (s->len == 0) {
            best = k;
            break;
        }
        if (s->seen + 1 >= t->reading) continue; /* claimed now, or present last time */
        if (best < 0 || s->seen < t->slot[best].seen) best = k;
    }
    if (best < 0) return -1;
    s = &t->slot[best];
    n = slot_name(t, best);
    memcpy(n, name, len);
    n[len] = '\0';
    s->len = (unsigned short)len;
    s->id = id;
    if (++s->gen == 0) s->gen = 1;
    return best;
}

int slots_place(struct slots *t, int line, const char *name, size_t len, uint64_t id,
                slots_select_fn *selected, const void *ctx)
{
    int k;
    if (len == 0 || len > (size_t)t->name_max) return SLOTS_UNSELECTED;
    if ((k = line_lookup(t, line, name, len, id)) == UNKNOWN && (k = find(t, name, len, id)) < 0)
        k = selected(ctx, name, len, id) ? SLOTS_NOSLOT : SLOTS_UNSELECTED;
    /* a slot is remembered when claimed (a line that turns out malformed is not) */
    if (k < 0) line_put(t, line, name, len, id, k);
    return k;
}

int slots_claim(struct slots *t, int line, int place, const char *name, size_t len, uint64_t id,
                int *again)
{
    int k = place;
    if (again) *again = 0;
    if (k >= t->nslots) return SLOTS_NOSLOT;
    if (k < 0) {
        if (k != SLOTS_NOSLOT || len == 0 || len > (size_t)t->name_max) return SLOTS_NOSLOT;
        if ((k = find(t, name, len, id)) < 0 && (k = take(t, name, len, id)) < 0) {
            t->skipped++;
            line_put(t, line, name, len, id, SLOTS_NOSLOT);
            return SLOTS_NOSLOT;
        }
    }
    if (again) *again = t->slot[k].seen == t->reading;
    t->slot[k].seen = t->reading;
    line_put(t, line, name, len, id, k);
    return k;
}

int slots_count(const struct slots *t) { return t->nslots; }

const char *slots_name(const struct slots *t, int k)
{
    if (k < 0 || k >= t->nslots || t->slot[k].seen != t->reading || t->slot[k].len == 0) return NULL;
    return slot_name(t, k);
}

unsigned slots_gen(const struct slots *t, int k) { return k >= 0 && k < t->nslots ? t->slot[k].gen : 0; }

const char *slots_held(const struct slots *t, int k, uint64_t *id)
{
    if (k < 0 || k >= t->nslots) return NULL;
    if (id) *id = t->slot[k].id;
    return slot_name(t, k);
}

int slots_skipped(const struct slots *t) { return t->skipped; }

void slots_say_skipped(struct log_limit *limit, double now, const char *what, int skipped, int nslots)
{
    if (skipped > 0)
        log_limited(limit, now, LOG_WARN, "%d %s skipped: all %d slots sized at start are in use by others seen in "
                    "the last reading; restart procflux to size for more", skipped, what, nslots);
}
