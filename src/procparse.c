#include "procparse.h"

#include <string.h>

void pp_skip_blanks(const char **p, const char *end)
{
    const char *s = *p;
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    *p = s;
}

int pp_u64(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    pp_skip_blanks(&s, end);
    if (s >= end || *s < '0' || *s > '9') return 0;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    *out = v;
    *p = s;
    return 1;
}

int pp_udecimal(const char **p, const char *end, double *out)
{
    const char *s = *p;
    uint64_t ip, frac = 0, scale = 1;
    if (!pp_u64(&s, end, &ip)) return 0;
    if (s < end && *s == '.') {
        s++;
        if (s >= end || *s < '0' || *s > '9') return 0;
        for (; s < end && *s >= '0' && *s <= '9'; s++) {
            if (scale < 1000000000000000000ULL) { /* digits past 18 are noise */
                frac = frac * 10 + (uint64_t)(*s - '0');
                scale *= 10;
            }
        }
    }
    *out = (double)ip + (double)frac / (double)scale;
    *p = s;
    return 1;
}

const char *pp_next_line(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl ? nl + 1 : NULL;
}
