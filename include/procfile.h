#ifndef PROCFLUX_PROCFILE_H
#define PROCFLUX_PROCFILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * procfile: a /proc file opened once and read whole with pread(2) into a
 * buffer sized at open time. /proc files have no stable size, so the buffer
 * is twice what the file held at open (at least 4 KiB, or 256 bytes for a
 * file whose @max_cap is a page or less; at most @max_cap);
 * content that no longer fits is reported as truncated, never overflowed.
 */

#define PROCFILE_OK 0
#define PROCFILE_ERR -1

struct procfile {
    int fd;
    char path[256];
    char *buf;       /* cap bytes, NUL-terminated after each read */
    size_t cap;
    size_t len;      /* bytes read by the last procfile_read */
    size_t max_cap;  /* the most procfile_grow takes the buffer to */
    int truncated;   /* last read filled the buffer: content may be cut */
    int opened;      /* fd is ours to close (a zeroed struct owns nothing) */
};

/**
 * Open @root/@name (root "/proc" when NULL) and size its buffer.
 * @arg max_cap upper bound of the buffer in bytes.
 * @arg err receives a sentence on failure (@errlen bytes).
 * @return PROCFILE_OK or PROCFILE_ERR.
 */
int procfile_open(struct procfile *pf, const char *root, const char *name, size_t max_cap,
                  char *err, size_t errlen);

/**
 * Read the whole file from offset 0 into pf->buf (NUL-terminated).
 * @return bytes read (>= 0), or -1 with errno set.
 */
ssize_t procfile_read(struct procfile *pf);

/**
 * The file outgrew its buffer (the last read was truncated): double the
 * buffer, up to max_cap. An allocation: call it after a tick's lines are out,
 * never in the middle of one. @return 0 when it grew, -1 at max_cap or out
 * of memory (the buffer is unchanged).
 */
int procfile_grow(struct procfile *pf);

/**
 * Make the buffer at least @cap bytes (at most max_cap), for a file expected
 * to grow past twice its size at open. At start-up. @return 0, or -1 out of
 * memory (the buffer is unchanged).
 */
int procfile_reserve(struct procfile *pf, size_t cap);

/** Reopen the same path (after SIGHUP, or when the file vanished) on the same fd number. @return PROCFILE_OK/ERR. */
int procfile_reopen(struct procfile *pf, char *err, size_t errlen);

/** Close the fd and free the buffer. Safe on a zeroed struct. */
void procfile_close(struct procfile *pf);

#endif
