#ifndef PROCFLUX_TESTS_FIXTURE_FILE_H
#define PROCFLUX_TESTS_FIXTURE_FILE_H

/* Reading the /proc fixtures (tests/fixtures/<kernel>/<file>) in check suites. */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** tests/fixtures/@dir/@file, or under $FIXTURES; a static buffer. */
static inline char *fixture_path(const char *dir, const char *file)
{
    static char path[1024];
    const char *root = getenv("FIXTURES");
    snprintf(path, sizeof path, "%s/%s/%s", root ? root : "tests/fixtures", dir, file);
    return path;
}

/* The whole file in an exact-size malloc'd buffer (no NUL), length in *len. */
static inline char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b;
    long n;
    ck_assert_msg(f != NULL, "cannot open %s (set FIXTURES): %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = malloc(n > 0 ? (size_t)n : 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

#endif
