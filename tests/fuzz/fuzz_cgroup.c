/*
 * fuzz_cgroup: the cgroup parsers on arbitrary content. The first byte picks
 * the parser (keyed, value, io.stat, blkio, path patterns); the rest is the
 * file. Each parser is checked against a reference written from the
 * header's grammar (split into lines, then columns), not from cgroup.c, and
 * every input is read from an exact-size copy (ASan catches a read past it).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "lpcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A decimal of 1+ digits within UINT64_MAX, the whole of s[0..n). */
static int ref_u64(const char *s, size_t n, uint64_t *out)
{
    unsigned __int128 v = 0;
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (unsigned)(s[i] - '0');
        if (v > UINT64_MAX) return 0;
    }
    *out = (uint64_t)v;
    return 1;
}

static void check_keyed(const char *b, size_t n)
{
    static const char *const keys[] = {"usage_usec", "user", "a", "total_rss"};
    uint64_t got[4] = {0}, want[4] = {0};
    unsigned wmask = 0, mask = cgroup_parse_keyed(b, n, keys, 4, got);
    const char *p = b, *end = b + n, *nl;
    for (; (nl = memchr(p, '\n', (size_t)(end - p))) != NULL; p = nl + 1) {
        const char *sp = memchr(p, ' ', (size_t)(nl - p));
        uint64_t v;
        if (!sp || !ref_u64(sp + 1, (size_t)(nl - sp - 1), &v)) continue;
        for (int k = 0; k < 4; k++)
            if (strlen(keys[k]) == (size_t)(sp - p) && !memcmp(keys[k], p, (size_t)(sp - p))) {
                want[k] = v;
                wmask |= 1u << k;
            }
    }
    FUZZ_CHECK(mask == wmask);
    for (int k = 0; k < 4; k++)
        if ((mask >> k) & 1) FUZZ_CHECK(got[k] == want[k]);
}

static void check_value(const char *b, size_t n)
{
    uint64_t v = 0, w;
    int ok = cgroup_parse_value(b, n, &v);
    if (n == 4 && !memcmp(b, "max\n", 4)) {
        FUZZ_CHECK(ok && v == CGROUP_NO_LIMIT);
        return;
    }
    FUZZ_CHECK(ok == (n >= 2 && b[n - 1] == '\n' && ref_u64(b, n - 1, &w)));
    if (ok) FUZZ_CHECK(v == w);
}

/* Sums must stay sendable: every sum the parser reports is <= INT64_MAX. */
static void check_io(const char *b, size_t n)
{
    struct cgroup_io io;
    uint64_t r, w;
    if (cgroup_parse_io_v2(b, n, &io))
        FUZZ_CHECK(io.read_bytes <= INT64_MAX && io.write_bytes <= INT64_MAX && io.reads <= INT64_MAX &&
                   io.writes <= INT64_MAX);
    if (cgroup_parse_blkio_v1(b, n, &r, &w)) FUZZ_CHECK(r <= INT64_MAX && w <= INT64_MAX);
}

/* Patterns: the first line is the pattern (made NUL-terminated), the second the path. */
static void check_path(const char *b, size_t n)
{
    const char *nl = memchr(b, '\n', n);
    char pat[256];
    size_t plen;
    if (!nl || (plen = (size_t)(nl - b)) >= sizeof pat || memchr(b, '\0', plen)) return;
    memcpy(pat, b, plen);
    pat[plen] = '\0';
    {
        const char *path = nl + 1;
        size_t len = n - plen - 1;
        int full = cgroup_path_match(pat, path, len, 0), pre = cgroup_path_match(pat, path, len, 1);
        int d = cgroup_pattern_depth(pat), segs = 1;
        for (size_t i = 0; i < len; i++) segs += path[i] == '/';
        FUZZ_CHECK(!(full && pre));
        /* a full match has as many segments as the pattern; a prefix fewer */
        if (full && d > 0) FUZZ_CHECK(segs == d);
        if (pre && d > 0) FUZZ_CHECK(segs < d);
        if (plen == 1 && pat[0] == '*') FUZZ_CHECK(full == (memchr(path, '/', len) == NULL));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *b;
    size_t n;
    if (size < 1) return 0;
    n = size - 1;
    b = malloc(n ? n : 1);
    FUZZ_CHECK(b != NULL);
    memcpy(b, data + 1, n);
    switch (data[0] % 4) {
    case 0: check_keyed(b, n); break;
    case 1: check_value(b, n); break;
    case 2: check_io(b, n); break;
    default: check_path(b, n); break;
    }
    free(b);
    return 0;
}
