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
        char *comma = strchr(s, ','), *end;
        if (comma) *comma = '\0';
        /* "lo, eth0": blanks around an item are not part of it (no name holds one) */
        while (*s == ' ' || *s == '\t') s++;
        end = s + strlen(s);
        while (end > s && (end[-1] == ' ' || end[-1] == '\t')) *--end = '\0';
        if (*s == '\0' || l->n == MATCH_MAX) return -1;
        l->pat[l->n++] = s;
        if (!comma) return 0;
        s = comma + 1;
    }
}

/* key + suffix into @buf (keys are short static names); @return the length. */
static size_t field_name(char *buf, size_t cap, const char *key, const char *suffix)
{
    size_t k = strlen(key), s = suffix ? strlen(suffix) : 0;
    if (k + s >= cap) return 0;
    memcpy(buf, key, k);
    if (s) memcpy(buf + k, suffix, s);
    return k + s;
}

int match_fields(const struct match_list *keep, struct sample_field *f, int n)
{
    int out = 0;
    for (int i = 0; i < n; i++) {
        char name[96];
        size_t len = field_name(name, sizeof name, f[i].key, f[i].suffix);
        if (len && match_any(keep, name, len)) f[out++] = f[i];
    }
    return out;
}

int match_rated(const char *pat, const char *const *rated)
{
    static const char *const suffixes[] = {"_rate_max", "_rate_mean"};
    for (; rated && *rated; rated++)
        for (int s = 0; s < 2; s++) {
            char name[96];
            size_t len = field_name(name, sizeof name, *rated, suffixes[s]);
            if (len && match_glob(pat, name, len)) return 1;
        }
    return 0;
}

int match_names(const char *pat, const char *const *names, const char *const *windowed, int suffixed)
{
    static const char *const suffixes[] = {NULL, "_min", "_max", "_mean"};
    for (; names && *names; names++)
        if (match_glob(pat, *names, strlen(*names))) return 1;
    for (; windowed && *windowed; windowed++)
        for (int s = 0; s < (suffixed ? 4 : 1); s++) {
            char name[96];
            size_t len = field_name(name, sizeof name, *windowed, suffixes[s]);
            if (len && match_glob(pat, name, len)) return 1;
        }
    return 0;
}
