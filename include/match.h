#ifndef PROCFLUX_MATCH_H
#define PROCFLUX_MATCH_H

#include <stddef.h>

#include "sample.h"

/*
 * match: shell-style name patterns for the filters (--net-interfaces,
 * --diskio-devices, --fields). '*' matches any run of bytes, '?' any one
 * byte, anything else itself; no classes, no escapes. Allocation-free and
 * non-recursive, so it may run on every tick.
 */

/** Patterns a list holds at most. */
#define MATCH_MAX 32

struct match_list {
    const char *pat[MATCH_MAX]; /* NUL-terminated; the owner of the list keeps them alive */
    int n;                      /* 0: an empty list, which matches nothing */
};

/** Whether @name (@len bytes, need not be NUL-terminated) matches @pat. @return 1 or 0. */
int match_glob(const char *pat, const char *name, size_t len);

/** Whether @name matches any pattern of @l. @return 1 or 0. */
int match_any(const struct match_list *l, const char *name, size_t len);

/**
 * Split @s (modified in place: commas become NULs, blanks around an item
 * are cut) into @l.
 * @return 0, or -1 when it holds more than MATCH_MAX patterns or an empty one.
 */
int match_split(struct match_list *l, char *s);

/**
 * --fields: keep only the fields whose name (key and suffix) matches @keep,
 * in order, compacting @f in place. @return how many are left.
 */
int match_fields(const struct match_list *keep, struct sample_field *f, int n);

/**
 * Whether @pat matches at least one of @names or @windowed (either may be
 * NULL; both NULL-terminated), or, when @suffixed, one of @windowed with the
 * suffix _min, _max or _mean (what --window sends).
 */
int match_names(const char *pat, const char *const *names, const char *const *windowed, int suffixed);

/** Whether @pat matches one of @rated (may be NULL) with the suffix _rate_max or _rate_mean (--window's). */
int match_rated(const char *pat, const char *const *rated);

#endif
