#ifndef PROCFLUX_TESTS_FIXTURE_FILE_H
#define PROCFLUX_TESTS_FIXTURE_FILE_H

/* Reading the /proc fixtures (tests/fixtures/<kernel>/<file>) in check suites, and
   writing temporary proc roots for the collectors. */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/*
 * A temporary --proc-root for the collector suites: files written in place
 * (O_TRUNC keeps the inode, which the collector holds open and preads),
 * removed whole at the end.
 */

/** mkdtemp /tmp/procflux-@tag-XXXXXX into @dir (@cap bytes). */
static inline void tmp_root_make(char *dir, size_t cap, const char *tag)
{
    ck_assert_int_lt(snprintf(dir, cap, "/tmp/procflux-%s-XXXXXX", tag), (int)cap);
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

/** Write @len bytes as @root/@name, making the directories on the way. */
static inline void tmp_root_put(const char *root, const char *name, const void *data, size_t len)
{
    char path[1024];
    int fd;
    ck_assert_int_lt(snprintf(path, sizeof path, "%s/%s", root, name), (int)sizeof path);
    for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", path, strerror(errno));
        *p = '/';
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static inline void tmp_root_puts(const char *root, const char *name, const char *text)
{
    tmp_root_put(root, name, text, strlen(text));
}

static inline int tmp_root_unlink(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/** Remove @root and everything under it. */
static inline void tmp_root_remove(const char *root)
{
    nftw(root, tmp_root_unlink, 16, FTW_DEPTH | FTW_PHYS);
}

/** Make @fd fail its reads from now on (EISDIR), as a vanished /proc entry or psi=0 would. */
static inline void tmp_root_break_fd(const char *root, int fd)
{
    char path[1024];
    int d;
    snprintf(path, sizeof path, "%s/broken-fd-dir", root);
    ck_assert(mkdir(path, 0755) == 0 || errno == EEXIST);
    d = open(path, O_RDONLY | O_DIRECTORY);
    ck_assert_int_ge(d, 0);
    ck_assert_int_eq(dup2(d, fd), fd);
    close(d);
}

/*
 * What the code under test writes to standard error (the log), captured
 * between stderr_capture_begin and stderr_capture_end. Check runs each test
 * in its own process, so redirecting fd 2 touches no other test.
 */
static inline int stderr_capture_begin(void)
{
    char path[] = "/tmp/procflux-stderr-XXXXXX";
    int saved, fd;
    fflush(stderr);
    saved = dup(2);
    fd = mkstemp(path);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    ck_assert_int_eq(dup2(fd, 2), 2);
    close(fd);
    return saved;
}

/** Restore stderr (@saved from stderr_capture_begin); what was written into @buf, NUL-terminated. */
static inline void stderr_capture_end(int saved, char *buf, size_t cap)
{
    off_t n;
    ssize_t got;
    fflush(stderr);
    n = lseek(2, 0, SEEK_CUR);
    if (n < 0 || (size_t)n >= cap) n = (off_t)cap - 1;
    got = pread(2, buf, (size_t)n, 0);
    buf[got > 0 ? got : 0] = '\0';
    ck_assert_int_eq(dup2(saved, 2), 2);
    close(saved);
}

#endif
