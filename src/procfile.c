#include "procfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * The least buffer for a file: a page, but a file capped at a page (loadavg,
 * uptime, pressure: a line or two of fixed form) gets a small one, where each
 * used to take a page of RSS in the small static build.
 */
static size_t least_cap(size_t max_cap) { return max_cap <= 4096 ? 256 : 4096; }

/* Read the file once with a growing buffer to learn how big it is now. */
static ssize_t measure(int fd, size_t max_cap)
{
    size_t cap = least_cap(max_cap);
    for (;;) {
        char *tmp = malloc(cap);
        ssize_t n;
        if (!tmp) return -1;
        n = pread(fd, tmp, cap, 0);
        free(tmp);
        if (n < 0) return -1;
        if ((size_t)n < cap || cap >= max_cap) return n;
        cap *= 2;
    }
}

int procfile_open(struct procfile *pf, const char *root, const char *name, size_t max_cap,
                  char *err, size_t errlen)
{
    ssize_t size;
    size_t cap;

    memset(pf, 0, sizeof *pf);
    pf->fd = -1;
    {
        /* Built by hand: keeping printf out of start-up keeps its code out of RSS. */
        const char *r = root ? root : "/proc";
        size_t rl = strlen(r), nl = strlen(name);
        if (rl + 1 + nl >= sizeof pf->path) {
            snprintf(err, errlen, "path %s/%s is too long", r, name);
            return PROCFILE_ERR;
        }
        memcpy(pf->path, r, rl);
        pf->path[rl] = '/';
        memcpy(pf->path + rl + 1, name, nl + 1);
    }
    pf->fd = open(pf->path, O_RDONLY | O_CLOEXEC);
    if (pf->fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", pf->path, strerror(errno));
        return PROCFILE_ERR;
    }
    pf->opened = 1;
    size = measure(pf->fd, max_cap);
    if (size < 0) {
        snprintf(err, errlen, "cannot read %s: %s", pf->path, strerror(errno));
        procfile_close(pf);
        return PROCFILE_ERR;
    }
    cap = (size_t)size * 2 + 1; /* room to double */
    if (cap < least_cap(max_cap)) cap = least_cap(max_cap);
    if (cap > max_cap) cap = max_cap;
    pf->buf = malloc(cap);
    if (!pf->buf) {
        snprintf(err, errlen, "out of memory for %s", pf->path);
        procfile_close(pf);
        return PROCFILE_ERR;
    }
    pf->cap = cap;
    pf->max_cap = max_cap;
    pf->buf[0] = '\0';
    return PROCFILE_OK;
}

ssize_t procfile_read(struct procfile *pf)
{
    ssize_t n;
    if (pf->fd < 0) {
        errno = EBADF;
        return -1;
    }
    n = pread(pf->fd, pf->buf, pf->cap - 1, 0);
    if (n < 0) {
        pf->len = 0;
        pf->buf[0] = '\0';
        return -1;
    }
    pf->len = (size_t)n;
    pf->buf[n] = '\0';
    pf->truncated = (size_t)n == pf->cap - 1;
    return n;
}

int procfile_reserve(struct procfile *pf, size_t cap)
{
    char *buf;
    if (cap > pf->max_cap) cap = pf->max_cap;
    if (cap <= pf->cap) return PROCFILE_OK;
    if (!(buf = realloc(pf->buf, cap))) return PROCFILE_ERR;
    pf->buf = buf;
    pf->cap = cap;
    return PROCFILE_OK;
}

int procfile_grow(struct procfile *pf)
{
    if (pf->cap >= pf->max_cap) return PROCFILE_ERR;
    return procfile_reserve(pf, pf->cap * 2);
}

int procfile_reopen(struct procfile *pf, char *err, size_t errlen)
{
    int fd = open(pf->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", pf->path, strerror(errno));
        return PROCFILE_ERR;
    }
    /* The same fd number as before: procflux keeps a fixed set of fds. */
    if (pf->fd >= 0 && fd != pf->fd) {
        if (dup3(fd, pf->fd, O_CLOEXEC) < 0) {
            snprintf(err, errlen, "cannot reopen %s: %s", pf->path, strerror(errno));
            close(fd);
            return PROCFILE_ERR;
        }
        close(fd);
        return PROCFILE_OK;
    }
    pf->fd = fd;
    return PROCFILE_OK;
}

void procfile_close(struct procfile *pf)
{
    if (pf->opened && pf->fd >= 0) close(pf->fd);
    pf->opened = 0;
    pf->fd = -1;
    free(pf->buf);
    pf->buf = NULL;
    pf->cap = 0;
}
