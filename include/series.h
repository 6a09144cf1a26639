#ifndef PROCFLUX_SERIES_H
#define PROCFLUX_SERIES_H

#include <stddef.h>

#include "lineproto.h"

/*
 * series: the escaped prefix of every series procflux sends
 * ("cpu,cpu=cpu0,host=web\ 1 "), built once and reused on every line.
 *
 * Fixed series (known at start-up) are added one by one while the set is
 * built, then live in one allocation. Series that come and go (net
 * interfaces, disks) belong to a group of slots, each with room for one
 * prefix, rebuilt only when the slot takes a different name (its generation
 * changes). Nothing here allocates after series_group_init.
 */

/** Longest series prefix, in bytes (with --tag values and host). */
#define SERIES_PREFIX_MAX 4096

/** Errors of series_add and series_group_init (each with a sentence). */
#define SERIES_TOO_LONG (-1)  /* a prefix is longer than SERIES_PREFIX_MAX - 1: the --tag values */
#define SERIES_NO_MEMORY (-2)

struct series_set {
    struct lp_tag base[LP_MAX_TAGS]; /* --tag, then host: on every series */
    int nbase;
    char *store;            /* the fixed prefixes, one after another */
    size_t used, cap;
    size_t *off, *len;      /* per fixed series */
    int n, max;
    size_t longest;         /* longest prefix, fixed or a slot's room */
};

/** One group of slots for series that come and go. */
struct series_group {
    const char *measurement, *tag_key;
    char *buf;              /* nslots * room bytes */
    size_t room;
    size_t *len;            /* 0: the name cannot be written */
    unsigned *gen;
    unsigned char *built;
    int nslots;
};

/**
 * Start a set: @tags (@ntags of them, --tag) then host=@host go on every
 * series. @return 0, or -1 (too many tags for LP_MAX_TAGS).
 */
int series_init(struct series_set *s, const struct lp_tag *tags, int ntags, const char *host);

/**
 * Add a fixed series of @measurement with @ntags more tags (they sort with
 * the base ones). @return its index, or SERIES_TOO_LONG / SERIES_NO_MEMORY with
 * a sentence in @err.
 */
int series_add(struct series_set *s, const char *measurement, const struct lp_tag *tags, int ntags,
               char *err, size_t errlen);

/** Fixed series @i's prefix; its length in *len. */
const char *series_prefix(const struct series_set *s, int i, size_t *len);

/**
 * Size @g: @nslots slots of @measurement, each named by tag @tag_key with a
 * name of at most @name_max bytes. @return 0, or SERIES_TOO_LONG /
 * SERIES_NO_MEMORY with a sentence in @err.
 */
int series_group_init(struct series_set *s, struct series_group *g, const char *measurement, const char *tag_key,
                      int nslots, size_t name_max, char *err, size_t errlen);

/**
 * Slot @i's prefix for @name with generation @gen, rebuilt only when @gen
 * differs from the last call's. @return it with its length in *len, or NULL
 * when @name is NULL or cannot be written.
 */
const char *series_group_prefix(const struct series_set *s, struct series_group *g, int i, const char *name,
                                unsigned gen, size_t *len);

/** The most bytes a line of any series here can need for @nfields fields. */
size_t series_line_max(const struct series_set *s, int nfields);

void series_group_free(struct series_group *g);
void series_free(struct series_set *s);

#endif
