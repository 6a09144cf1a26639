#include "procparse.h"

#include <string.h>

void pp_skip_blanks(const char **p, const char *end)
{
    const char *s = *p;
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    *p = s;
}

int pp_digits(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p, *start = s;
    uint64_t v = 0;
    while (s < end && (unsigned)(*s - '0') < 10) v = v * 10 + (unsigned)(*s++ - '0');
    if (s == start) return PP_NONE;
    *p = s;
    if (s - start > 19) {
        /* the sum above may have wrapped: redo it with the test per digit */
        v = 0;
        for (const char *q = start; q < s; q++) {
            unsigned d = (unsigned)(*q - '0');
            if (v > (UINT64_MAX - d) / 10) {
                *out = UINT64_MAX;
                return PP_OVER;
            }
            v = v * 10 + d;
        }
    }
    *out = v;
    return PP_OK;
}

int pp_u64(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    uint64_t v;
    pp_skip_blanks(&s, end);
    if (pp_digits(&s, end, &v) != PP_OK) return 0;
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
