#include "match.h"

#include <string.h>

/*
 * The classic two-pointer glob: on a mismatch after a '*', retry with the
 * star swallowing one more byte. Linear in practice, no recursion.
 */
int match_glob(const char *pat, const char *name, size_t len)
{
    const char *star = NULL;
    size_t i = 0, retry = 0;
    while (i < len) {
        if (*pat == '*') {
            star = ++pat;
            retry = i;
        } else if (*pat && (*pat == '?' || *pat == name[i])) {
            pat++;
            i++;
        } else if (star) {
            pat = star;
            i = ++retry;
        } else {
            return 0;
        }
    }
    while (*pat == '*') pat++;
    return *pat == '\0';
}

int match_any(const struct match_list *l, const char *name, size_t len)
{
    for (int k = 0; k < l->n; k++)
        if (match_glob(l->pat[k], name, len)) return 1;
    return 0;
}

int match_split(struct match_list *l, char *s)
{
    l->n = 0;
    for (;;) {
        char *comma = strchr(s, ',');
        if (comma) *comma = '\0';
        if (*s == '\0' || l->n == MATCH_MAX) return -1;
        l->pat[l->n++] = s;
        if (!comma) return 0;
        s = comma + 1;
    }
}
