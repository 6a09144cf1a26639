/* cgroup: CPU, memory, I/O and pressure per cgroup (v2, or v1 hierarchies), one series per cgroup. */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "procparse.h"

#define COLD __attribute__((cold))

const char *const cgroup_field_names[] = {
    "cpu_usage_percent", "mem_usage_percent", /* the windowed ones first: the rest is the measurement's list */
    "cpu_usage_usec", "cpu_user_usec", "cpu_system_usec", "cpu_throttling_periods",
    "cpu_throttling_throttled_periods", "cpu_throttled_usec",
    "mem_usage", "mem_limit",
    "mem_anon", "mem_file", "mem_shmem", "mem_file_mapped", "mem_file_dirty", "mem_file_writeback",
    "mem_inactive_file", "mem_pgfault", "mem_pgmajfault",
    "io_read_bytes", "io_write_bytes", "io_reads", "io_writes",
    "psi_cpu_some_avg10", "psi_cpu_some_avg60", "psi_cpu_some_avg300", "psi_cpu_some_total",
    "psi_cpu_full_avg10", "psi_cpu_full_avg60", "psi_cpu_full_avg300", "psi_cpu_full_total",
    "psi_memory_some_avg10", "psi_memory_some_avg60", "psi_memory_some_avg300", "psi_memory_some_total",
    "psi_memory_full_avg10", "psi_memory_full_avg60", "psi_memory_full_avg300", "psi_memory_full_total",
    "psi_io_some_avg10", "psi_io_some_avg60", "psi_io_some_avg300", "psi_io_some_total",
    "psi_io_full_avg10", "psi_io_full_avg60", "psi_io_full_avg300", "psi_io_full_total",
    NULL,
};
/* Indexes into cgroup_field_names. */
enum {
    F_CPU_PERCENT, F_MEM_PERCENT, F_CPU_USEC, F_USER_USEC, F_SYSTEM_USEC, F_PERIODS, F_THROTTLED,
    F_THROTTLED_USEC, F_MEM, F_LIMIT, F_MEMSTAT, F_IO = F_MEMSTAT + CG_NMEMSTAT, F_PSI = F_IO + 4
};

/* (the same strings as the first two above: the linker keeps one copy) */
static const char *const windowed_names[] = {"cpu_usage_percent", "mem_usage_percent", NULL};

/* ---- parsers ---------------------------------------------------------------- */


unsigned cgroup_parse_keyed(const char *buf, size_t len, const char *const *keys, int nkeys, uint64_t *out)
{
    const char *p = buf, *end = buf + len, *nl;
    unsigned found = 0;
    if (nkeys > 32) nkeys = 32;
    for (; p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL; p = nl + 1) {
        const char *sp = memchr(p, ' ', (size_t)(nl - p)), *q;
        uint64_t v;
        size_t klen;
        if (!sp) continue;
        klen = (size_t)(sp - p);
        q = sp + 1;
        if (pp_digits(&q, nl, &v) != PP_OK || q != nl) continue;
        for (int k = 0; k < nkeys; k++)
            if (strlen(keys[k]) == klen && memcmp(keys[k], p, klen) == 0) {
                out[k] = v;
                found |= 1u << k;
                break;
            }
    }
    return found;
}

int cgroup_parse_value(const char *buf, size_t len, uint64_t *out)
{
    const char *p = buf, *end = buf + len;
    if (len == 4 && memcmp(buf, "max\n", 4) == 0) {
        *out = CGROUP_NO_LIMIT;
        return 1;
    }
    if (pp_digits(&p, end, out) != PP_OK || p + 1 != end || *p != '\n') return 0;
    return 1;
}

/* "MAJ:MIN" at *p, then one blank. */
static int device(const char **p, const char *end)
{
    const char *q = *p;
    uint64_t v;
    if (pp_digits(&q, end, &v) != PP_OK || q >= end || *q != ':') return 0;
    q++;
    if (pp_digits(&q, end, &v) != PP_OK || q >= end || *q != ' ') return 0;
    *p = q + 1;
    return 1;
}

/* @a += @b, refusing a sum past INT64_MAX (every field is sent as a signed integer). */
static int add(uint64_t *a, uint64_t b)
{
    if (b > (uint64_t)INT64_MAX || *a > (uint64_t)INT64_MAX - b) return 0;
    *a += b;
    return 1;
}

int cgroup_parse_io_v2(const char *buf, size_t len, struct cgroup_io *out)
{
    static const char *const keys[4] = {"rbytes=", "wbytes=", "rios=", "wios="};
    const char *p = buf, *end = buf + len, *nl;
    uint64_t sum[4] = {0, 0, 0, 0};
    for (; p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL; p = nl + 1) {
        const char *q = p;
        uint64_t line[4] = {0, 0, 0, 0};
        int ok = device(&q, nl);
        while (ok && q < nl) {
            const char *eq = memchr(q, '=', (size_t)(nl - q)), *after;
            uint64_t v;
            int k;
            if (!eq) {
                ok = 0;
                break;
            }
            after = eq + 1;
            if (pp_digits(&after, nl, &v) != PP_OK || (after < nl && *after != ' ')) {
                ok = 0;
                break;
            }
            for (k = 0; k < 4; k++)
                if ((size_t)(eq + 1 - q) == strlen(keys[k]) && memcmp(q, keys[k], strlen(keys[k])) == 0) break;
            if (k < 4) line[k] = v;
            q = after < nl ? after + 1 : after;
        }
        if (!ok) continue;
        for (int k = 0; k < 4; k++)
            if (!add(&sum[k], line[k])) return 0;
    }
    out->read_bytes = sum[0];
    out->write_bytes = sum[1];
    out->reads = sum[2];
    out->writes = sum[3];
    return 1;
}

int cgroup_parse_blkio_v1(const char *buf, size_t len, uint64_t *read, uint64_t *write)
{
    const char *p = buf, *end = buf + len, *nl;
    uint64_t r = 0, w = 0;
    for (; p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL; p = nl + 1) {
        const char *q = p, *sp;
        uint64_t v;
        uint64_t *dst;
        if (!device(&q, nl) || !(sp = memchr(q, ' ', (size_t)(nl - q)))) continue;
        if (sp - q == 4 && memcmp(q, "Read", 4) == 0) dst = &r;
        else if (sp - q == 5 && memcmp(q, "Write", 5) == 0) dst = &w;
        else continue;
        q = sp + 1;
        if (pp_digits(&q, nl, &v) != PP_OK || q != nl) continue;
        if (!add(dst, v)) return 0;
    }
    *read = r;
    *write = w;
    return 1;
}

/* One segment: the two-pointer glob of match.c, on lengths. */
static int seg_glob(const char *pat, size_t plen, const char *name, size_t len)
{
    size_t pi = 0, i = 0, star = (size_t)-1, retry = 0;
    while (i < len) {
        if (pi < plen && pat[pi] == '*') {
            star = ++pi;
            retry = i;
        } else if (pi < plen && (pat[pi] == '?' || pat[pi] == name[i])) {
            pi++;
            i++;
        } else if (star != (size_t)-1) {
            pi = star;
            i = ++retry;
        } else {
            return 0;
        }
    }
    while (pi < plen && pat[pi] == '*') pi++;
    return pi == plen;
}

int cgroup_path_match(const char *pat, const char *path, size_t len, int prefix)
{
    const char *pe = pat + strlen(pat), *ne = path + len;
    for (;;) {
        const char *ps = memchr(pat, '/', (size_t)(pe - pat)), *ns = memchr(path, '/', (size_t)(ne - path));
        const char *pend = ps ? ps : pe, *nend = ns ? ns : ne;
        if (!seg_glob(pat, (size_t)(pend - pat), path, (size_t)(nend - path))) return 0;
        if (!ns) return prefix ? ps != NULL : ps == NULL;
        if (!ps) return 0;
        pat = ps + 1;
        path = ns + 1;
    }
}

int cgroup_pattern_depth(const char *pat)
{
    int d = 1;
    size_t n = strlen(pat);
    if (n == 0 || pat[0] == '/' || pat[n - 1] == '/') return -1;
    for (size_t i = 0; i < n; i++)
        if (pat[i] == '/') {
            if (pat[i + 1] == '/') return -1;
            d++;
        }
    return d;
}

/* ---- files of a slot -------------------------------------------------------- */

/* What each file index is, per version: its name and (v1) hierarchy. */
enum { FD_CPU, FD_MEM, FD_MEMSTAT, FD_IO, FD_X4, FD_X5, FD_X6 };
static const char *const v2_files[CGROUP_NFILES] = {"cpu.stat", "memory.current", "memory.stat", "io.stat",
                                                    "cpu.pressure", "memory.pressure", "io.pressure"};
static const char *const v1_files[CGROUP_NFILES] = {"cpuacct.usage", "memory.usage_in_bytes", "memory.stat",
                                                    "blkio.throttle.io_service_bytes_recursive",
                                                    "cpuacct.stat", "blkio.throttle.io_serviced_recursive",
                                                    NULL};
static const unsigned char v1_hier[CGROUP_NFILES] = {CG_H_CPUACCT, CG_H_MEMORY, CG_H_MEMORY, CG_H_BLKIO,
                                                     CG_H_CPUACCT, CG_H_BLKIO, 0};

static const char *const cpu_keys[6] = {"usage_usec", "user_usec", "system_usec",
                                        "nr_periods", "nr_throttled", "throttled_usec"};
static const char *const v1_cpu_keys[2] = {"user", "system"};
static const char *const mem_keys_v2[CG_NMEMSTAT] = {"anon", "file", "shmem", "file_mapped", "file_dirty",
                                                     "file_writeback", "inactive_file", "pgfault",
                                                     "pgmajfault"};
static const char *const mem_keys_v1[CG_NMEMSTAT] = {"total_rss", "total_cache", "total_shmem",
                                                     "total_mapped_file", "total_dirty", "total_writeback",
                                                     "total_inactive_file", "total_pgfault",
                                                     "total_pgmajfault"};
/* cpuacct.stat counts USER_HZ ticks: 100 a second on every architecture procflux builds for. */
#define V1_USEC_PER_TICK 10000

/* path/name into @buf (@cap bytes). @return 0, or -1 when it does not fit. */
static int join(char *buf, size_t cap, const char *path, const char *name)
{
    size_t pl = strlen(path), nl = strlen(name);
    if (pl + 1 + nl + 1 > cap) return -1;
    memcpy(buf, path, pl);
    buf[pl] = '/';
    memcpy(buf + pl + 1, name, nl + 1);
    return 0;
}

static void close_files(struct cgroup_slot *s)
{
    for (int f = 0; f < CGROUP_NFILES; f++) {
        if (s->fd[f] >= 0) close(s->fd[f]);
        s->fd[f] = -1;
    }
    s->gen = 0;
    s->where = 0;
}

static int open_file(const struct cgroup_collector *c, int h, const char *path, const char *name)
{
    char p[CGROUP_NAME_MAX + 64];
    if (c->hfd[h] < 0 || join(p, sizeof p, path, name) < 0) return -1;
    return openat(c->hfd[h], p, O_RDONLY | O_CLOEXEC);
}

static void open_files(struct cgroup_collector *c, struct cgroup_slot *s, const char *path)
{
    for (int f = 0; f < c->nfiles; f++) {
        if (c->v2) {
            s->fd[f] = open_file(c, CG_H_UNIFIED, path, v2_files[f]);
            continue;
        }
        if (!((s->where >> v1_hier[f]) & 1)) continue;
        s->fd[f] = open_file(c, v1_hier[f], path, v1_files[f]);
        if (s->fd[f] < 0 && (f == FD_IO || f == FD_X5)) /* kernels without the _recursive files */
            s->fd[f] = open_file(c, v1_hier[f], path, f == FD_IO ? "blkio.throttle.io_service_bytes"
                                                                 : "blkio.throttle.io_serviced");
    }
}

/*
 * One read of @fd into c->buf. @return the length, or -1: not open, failed
 * (ENODEV/ENOENT: the cgroup is gone, said in s->gone), or cut.
 */
static ssize_t read_fd(struct cgroup_collector *c, struct cgroup_slot *s, int fd)
{
    ssize_t n;
    if (fd < 0) return -1;
    n = pread(fd, c->buf, CGROUP_BUF, 0);
    if (n < 0) {
        if (errno == ENODEV || errno == ENOENT) s->gone = 1;
        return -1;
    }
    if (n == CGROUP_BUF) {
        c->truncated++;
        return -1;
    }
    return n;
}

/* The memory limit, at each walk: opened, read and closed (no fd kept). */
static void read_limit(struct cgroup_collector *c, struct cgroup_slot *s, const char *path)
{
    int h = c->v2 ? CG_H_UNIFIED : CG_H_MEMORY;
    int fd;
    ssize_t n;
    uint64_t v;
    s->limit = CGROUP_NO_LIMIT;
    if (!c->v2 && !((s->where >> CG_H_MEMORY) & 1)) return;
    if ((fd = open_file(c, h, path, c->v2 ? "memory.max" : "memory.limit_in_bytes")) < 0) return;
    n = pread(fd, c->buf, CGROUP_BUF, 0);
    close(fd);
    /* v1's "no limit" is the page counter's maximum, rounded down to a page: anything >= 2^62 */
    if (n > 0 && n < CGROUP_BUF && cgroup_parse_value(c->buf, (size_t)n, &v) && v < (1ull << 62)) s->limit = v;
}

/* ---- the walk --------------------------------------------------------------- */

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int all_selected(const void *ctx, const char *name, size_t len, uint64_t id)
{
    (void)ctx, (void)name, (void)len, (void)id;
    return 1;
}

/* Whether a directory name can be part of a tag value: no control bytes, no trailing backslash. */
static int good_name(const char *name, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f) return 0;
    return len > 0 && name[len - 1] != '\\';
}

static int is_dir(int dirfd, const struct linux_dirent64 *e)
{
    struct stat st;
    if (e->d_type == DT_DIR) return 1;
    if (e->d_type != DT_UNKNOWN) return 0;
    return fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* Place the cgroup at @path (@len bytes) of hierarchy @h in a slot. */
static void found(struct cgroup_collector *c, int h, const char *path, size_t len)
{
    int k = slots_place(&c->slots, c->line, path, len, 0, all_selected, NULL);
    k = slots_claim(&c->slots, c->line, k, path, len, 0, NULL);
    c->line++;
    if (k >= 0) c->slot[k].found |= (unsigned char)(1u << h);
}

/* The directory @fd (closed here) at @path (@plen bytes; depth @depth, 0: the root). */
static void walk_dir(struct cgroup_collector *c, int h, int fd, char *path, size_t plen, int depth)
{
    char *buf = c->dents + (size_t)depth * CGROUP_DENTS;
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, CGROUP_DENTS);
        if (n <= 0) {
            if (n < 0) c->walk_errors++;
            break;
        }
        for (long off = 0; off < n;) {
            const struct linux_dirent64 *e = (const void *)(buf + off);
            size_t nl = strlen(e->d_name), len = plen + (plen ? 1 : 0) + nl;
            int sel = 0, deeper = 0;
            off += e->d_reclen;
            if (e->d_name[0] == '.' && (nl == 1 || (nl == 2 && e->d_name[1] == '.'))) continue;
            if (len > CGROUP_NAME_MAX || !good_name(e->d_name, nl)) continue;
            if (plen) path[plen] = '/';
            memcpy(path + plen + (plen ? 1 : 0), e->d_name, nl);
            path[len] = '\0';
            for (int i = 0; i < c->only.n; i++) {
                sel |= cgroup_path_match(c->only.pat[i], path, len, 0);
                deeper |= depth + 1 < c->depth && cgroup_path_match(c->only.pat[i], path, len, 1);
            }
            if ((!sel && !deeper) || !is_dir(fd, e)) continue;
            if (sel) found(c, h, path, len);
            if (deeper) {
                int sub = openat(fd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (sub >= 0) walk_dir(c, h, sub, path, len, depth + 1);
                else c->walk_errors++;
            }
        }
    }
    path[plen] = '\0';
    close(fd);
}

void cgroup_walk(struct cgroup_collector *c)
{
    char path[CGROUP_NAME_MAX + 1] = "";
    slots_begin(&c->slots);
    c->line = 0;
    c->walk_errors = 0;
    for (int k = 0; k < c->nslots; k++) c->slot[k].found = 0;
    for (int h = 0; h < CG_NH; h++) {
        int fd;
        if (c->hfd[h] < 0) continue;
        /* a fresh fd: getdents reads a directory fd from where it stopped */
        if ((fd = openat(c->hfd[h], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
            c->walk_errors++;
            continue;
        }
        walk_dir(c, h, fd, path, 0, 0);
    }
    c->skipped = slots_skipped(&c->slots);
    c->selected = 0;
    for (int k = 0; k < c->nslots; k++) {
        struct cgroup_slot *s = &c->slot[k];
        const char *name = slots_name(&c->slots, k);
        unsigned gen = slots_gen(&c->slots, k);
        if (!name) {
            if (s->gen) close_files(s);
            continue;
        }
        c->selected++;
        if (s->gen != gen || s->where != s->found) {
            close_files(s);
            s->gen = gen;
            s->where = s->found;
            s->prev_at = 0;
            open_files(c, s, name);
        }
        s->gone = 0;
        read_limit(c, s, name);
    }
}

/* ---- sampling ----------------------------------------------------------------- */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sample_cpu(struct cgroup_collector *c, struct cgroup_slot *s)
{
    int64_t at = mono_ns();
    ssize_t n = read_fd(c, s, s->fd[FD_CPU]);
    uint64_t v[6];
    if (n < 0) return;
    if (c->v2) {
        unsigned got = cgroup_parse_keyed(c->buf, (size_t)n, cpu_keys, 6, v);
        if (!(got & 1)) return;
        s->cpu_ns = v[0] * 1000;
        s->have |= CG_HAVE_CPU;
        if ((got & 6) == 6) {
            s->user_us = v[1];
            s->system_us = v[2];
            s->have |= CG_HAVE_CPUSPLIT;
        }
        if ((got & 56) == 56) {
            s->periods = v[3];
            s->throttled = v[4];
            s->throttled_us = v[5];
            s->have |= CG_HAVE_THROTTLE;
        }
    } else {
        if (!cgroup_parse_value(c->buf, (size_t)n, &v[0]) || v[0] == CGROUP_NO_LIMIT) return;
        s->cpu_ns = v[0];
        s->have |= CG_HAVE_CPU;
    }
    if (s->prev_at && at > s->prev_at && s->cpu_ns >= s->prev_cpu_ns) {
        s->d_cpu_ns = (double)(s->cpu_ns - s->prev_cpu_ns);
        s->d_at = (double)(at - s->prev_at);
        s->have |= CG_HAVE_PERCENT;
    }
    s->prev_cpu_ns = s->cpu_ns;
    s->prev_at = at;
}

static void sample_rest(struct cgroup_collector *c, struct cgroup_slot *s)
{
    ssize_t n;
    uint64_t v[2];
    if ((n = read_fd(c, s, s->fd[FD_MEMSTAT])) >= 0 &&
        (s->memstat_have = cgroup_parse_keyed(c->buf, (size_t)n, c->v2 ? mem_keys_v2 : mem_keys_v1,
                                              CG_NMEMSTAT, s->memstat)) != 0)
        s->have |= CG_HAVE_MEMSTAT;
    if (c->v2) {
        if ((n = read_fd(c, s, s->fd[FD_IO])) >= 0 && cgroup_parse_io_v2(c->buf, (size_t)n, &s->io))
            s->have |= CG_HAVE_IO;
        for (int r = 0; r < 3; r++) {
            int got;
            if ((n = read_fd(c, s, s->fd[FD_X4 + r])) < 0) continue;
            got = pressure_parse(c->buf, (size_t)n, &s->psi[2 * r], &s->psi[2 * r + 1]);
            s->have |= (unsigned)(got & PSI_HAVE_SOME ? 1 : 0) << (CG_HAVE_PSI_SHIFT + 2 * r);
            s->have |= (unsigned)(got & PSI_HAVE_FULL ? 1 : 0) << (CG_HAVE_PSI_SHIFT + 2 * r + 1);
        }
        return;
    }
    if ((n = read_fd(c, s, s->fd[FD_X4])) >= 0 &&
        (cgroup_parse_keyed(c->buf, (size_t)n, v1_cpu_keys, 2, v) & 3) == 3 &&
        v[0] <= (uint64_t)INT64_MAX / V1_USEC_PER_TICK && v[1] <= (uint64_t)INT64_MAX / V1_USEC_PER_TICK) {
        s->user_us = v[0] * V1_USEC_PER_TICK;
        s->system_us = v[1] * V1_USEC_PER_TICK;
        s->have |= CG_HAVE_CPUSPLIT;
    }
    if ((n = read_fd(c, s, s->fd[FD_IO])) >= 0 &&
        cgroup_parse_blkio_v1(c->buf, (size_t)n, &s->io.read_bytes, &s->io.write_bytes) &&
        (n = read_fd(c, s, s->fd[FD_X5])) >= 0 &&
        cgroup_parse_blkio_v1(c->buf, (size_t)n, &s->io.reads, &s->io.writes))
        s->have |= CG_HAVE_IO;
}

int cgroup_sample(struct cgroup_collector *c, double now, int closing)
{
    if (c->last_walk < 0 || now - c->last_walk >= 1.0) {
        cgroup_walk(c);
        c->last_walk = now;
    }
    c->truncated = 0;
    for (int k = 0; k < c->nslots; k++) {
        struct cgroup_slot *s = &c->slot[k];
        ssize_t n;
        s->have = 0;
        if (!s->gen || s->gone || !slots_name(&c->slots, k)) continue;
        sample_cpu(c, s);
        if ((n = read_fd(c, s, s->fd[FD_MEM])) >= 0 && cgroup_parse_value(c->buf, (size_t)n, &s->mem) &&
            s->mem != CGROUP_NO_LIMIT)
            s->have |= CG_HAVE_MEM;
        if (closing) sample_rest(c, s);
    }
    return 0;
}

/* ---- fields ------------------------------------------------------------------- */

static void put_int(struct sample_field *out, int *n, int key, uint64_t v)
{
    if (v <= (uint64_t)INT64_MAX) sample_int(&out[(*n)++], cgroup_field_names[key], (int64_t)v);
}

int cgroup_fields(const struct cgroup_collector *c, int slot, struct sample_field *out)
{
    const struct cgroup_slot *s;
    int n = 0;
    if (slot < 0 || slot >= c->nslots || !slots_name(&c->slots, slot)) return 0;
    s = &c->slot[slot];
    if (s->gone) return 0;
    if (s->have & CG_HAVE_PERCENT)
        sample_share(&out[n++], cgroup_field_names[F_CPU_PERCENT], s->d_cpu_ns * 100.0 / s->d_at, s->d_cpu_ns,
                     s->d_at, CGROUP_SUBINTERVAL_NS);
    if (s->have & CG_HAVE_CPU) put_int(out, &n, F_CPU_USEC, s->cpu_ns / 1000);
    if (s->have & CG_HAVE_CPUSPLIT) {
        put_int(out, &n, F_USER_USEC, s->user_us);
        put_int(out, &n, F_SYSTEM_USEC, s->system_us);
    }
    if (s->have & CG_HAVE_THROTTLE) {
        put_int(out, &n, F_PERIODS, s->periods);
        put_int(out, &n, F_THROTTLED, s->throttled);
        put_int(out, &n, F_THROTTLED_USEC, s->throttled_us);
    }
    if (s->have & CG_HAVE_MEM) {
        put_int(out, &n, F_MEM, s->mem);
        if (s->limit != CGROUP_NO_LIMIT) {
            put_int(out, &n, F_LIMIT, s->limit);
            if (s->limit > 0)
                sample_usage(&out[n++], cgroup_field_names[F_MEM_PERCENT], (double)s->mem * 100.0 / (double)s->limit);
        }
    }
    if (s->have & CG_HAVE_MEMSTAT)
        for (int k = 0; k < CG_NMEMSTAT; k++)
            if ((s->memstat_have >> k) & 1) put_int(out, &n, F_MEMSTAT + k, s->memstat[k]);
    if (s->have & CG_HAVE_IO) {
        put_int(out, &n, F_IO, s->io.read_bytes);
        put_int(out, &n, F_IO + 1, s->io.write_bytes);
        put_int(out, &n, F_IO + 2, s->io.reads);
        put_int(out, &n, F_IO + 3, s->io.writes);
    }
    for (int p = 0; p < CG_NPSI; p++) {
        const struct psi_values *v = &s->psi[p];
        const char *const *key = &cgroup_field_names[F_PSI + 4 * p];
        if (!((s->have >> (CG_HAVE_PSI_SHIFT + p)) & 1)) continue;
        sample_float(&out[n++], key[0], v->avg10);
        sample_float(&out[n++], key[1], v->avg60);
        sample_float(&out[n++], key[2], v->avg300);
        sample_int(&out[n++], key[3], v->total);
    }
    return n;
}

/* ---- open and close ----------------------------------------------------------- */

static int exists(int dirfd, const char *name) { return faccessat(dirfd, name, F_OK, 0) == 0; }

/* The slot count the fd limit allows for @want slots; raises the soft limit toward the hard one. */
COLD static int fit_fds(int want, int nfiles)
{
    struct rlimit rl;
    long open_now = 0, need, room;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return want;
    for (long fd = 0; fd < (long)rl.rlim_cur && fd < 65536; fd++) open_now += fcntl((int)fd, F_GETFD) != -1;
    need = open_now + CGROUP_FD_RESERVE + (long)want * nfiles;
    if ((rlim_t)need > rl.rlim_cur && (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > rl.rlim_cur)) {
        struct rlimit up = rl;
        up.rlim_cur = rl.rlim_max == RLIM_INFINITY || (rlim_t)need < rl.rlim_max ? (rlim_t)need : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &up) == 0) rl = up;
    }
    room = ((long)rl.rlim_cur - open_now - CGROUP_FD_RESERVE) / nfiles;
    return room < want ? (int)(room > 0 ? room : 0) : want;
}

int cgroup_open(struct cgroup_collector *c, const char *root, const struct match_list *only, int depth,
                char *err, size_t errlen)
{
    static char defaults[] = CGROUP_DEFAULT_PATTERNS;
    static struct match_list default_list;
    int rootfd, sel;

    memset(c, 0, sizeof *c);
    for (int h = 0; h < CG_NH; h++) c->hfd[h] = -1;
    c->last_walk = -1;
    c->depth = depth > 0 && depth <= CGROUP_DEPTH_MAX ? depth : CGROUP_DEPTH_DEFAULT;
    if (!root) root = "/sys/fs/cgroup";
    snprintf(c->root, sizeof c->root, "%s", root);
    if (only && only->n > 0) {
        c->only = *only;
    } else {
        if (default_list.n == 0 && match_split(&default_list, defaults) != 0) default_list.n = 0;
        c->only = default_list;
    }
    if ((rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot open the cgroup root %s: %s (set --cgroup-root or HOST_CGROUP)", root,
                 strerror(e));
        errno = e;
        return -1;
    }
    if (exists(rootfd, "cgroup.controllers")) {
        c->v2 = 1;
        c->hfd[CG_H_UNIFIED] = rootfd;
        c->nfiles = 7;
    } else {
        static const char *const dirs[CG_NH] = {"cpuacct", "memory", "blkio"};
        for (int h = 0; h < CG_NH; h++) {
            c->hfd[h] = openat(rootfd, dirs[h], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (c->hfd[h] < 0 && h == CG_H_CPUACCT)
                c->hfd[h] = openat(rootfd, "cpu,cpuacct", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
        close(rootfd);
        c->nfiles = 6;
        if (c->hfd[0] < 0 && c->hfd[1] < 0 && c->hfd[2] < 0) {
            snprintf(err, errlen,
                     "%s is neither a cgroup v2 mount (no cgroup.controllers) nor holds the v1 hierarchies "
                     "cpuacct, memory or blkio", root);
            errno = ENOENT;
            cgroup_close(c);
            return -1;
        }
    }
    errno = 0;
    if (!(c->buf = malloc(CGROUP_BUF + 1)) || !(c->dents = malloc((size_t)c->depth * CGROUP_DENTS))) goto oom;

    /* A first walk into a table as big as slots.h allows, only to count what matches (one path in
       several v1 hierarchies counts once); freed before the real one is sized. */
    {
        char path[CGROUP_NAME_MAX + 1] = "";
        sel = 0;
        if (slots_init(&c->slots, SLOTS_MAX, CGROUP_NAME_MAX, 0, err, errlen) < 0) goto oom;
        if (!(c->slot = calloc(SLOTS_MAX, sizeof *c->slot))) goto oom;
        c->nslots = SLOTS_MAX;
        slots_begin(&c->slots);
        for (int h = 0; h < CG_NH; h++) {
            int fd;
            if (c->hfd[h] < 0 || (fd = openat(c->hfd[h], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) continue;
            walk_dir(c, h, fd, path, 0, 0);
        }
        for (int k = 0; k < SLOTS_MAX; k++) sel += slots_name(&c->slots, k) != NULL;
        slots_free(&c->slots);
        free(c->slot);
        c->slot = NULL;
        c->nslots = 0;
    }
    c->wanted_slots = sel * 2 > sel + 16 ? sel * 2 : sel + 16;
    if (c->wanted_slots > CGROUP_MAX_SLOTS) c->wanted_slots = CGROUP_MAX_SLOTS;
    c->nslots = fit_fds(c->wanted_slots, c->nfiles);
    if (c->nslots < 1) {
        snprintf(err, errlen, "no file descriptors left for cgroup files (ulimit -n)");
        cgroup_close(c);
        errno = EMFILE;
        return -1;
    }
    if (slots_init(&c->slots, c->nslots, CGROUP_NAME_MAX, 0, err, errlen) < 0) goto oom;
    if (!(c->slot = calloc((size_t)c->nslots, sizeof *c->slot))) {
        c->nslots = 0;
        goto oom;
    }
    for (int k = 0; k < c->nslots; k++)
        for (int f = 0; f < CGROUP_NFILES; f++) c->slot[k].fd[f] = -1; /* (calloc's 0 is stdin) */
    return 0;
oom:
    snprintf(err, errlen, "out of memory for the cgroup tables");
    cgroup_close(c);
    errno = ENOMEM;
    return -1;
}

int cgroup_slots(const struct cgroup_collector *c) { return c->nslots; }

const char *cgroup_slot_name(const struct cgroup_collector *c, int slot)
{
    return slot >= 0 && slot < c->nslots && c->slot[slot].gen && !c->slot[slot].gone ? slots_name(&c->slots, slot)
                                                                                     : NULL;
}

unsigned cgroup_slot_gen(const struct cgroup_collector *c, int slot) { return slots_gen(&c->slots, slot); }

void cgroup_close(struct cgroup_collector *c)
{
    for (int k = 0; c->slot && k < c->nslots; k++) close_files(&c->slot[k]);
    for (int h = 0; h < CG_NH; h++) {
        if (c->hfd[h] >= 0) close(c->hfd[h]);
        c->hfd[h] = -1;
    }
    slots_free(&c->slots);
    free(c->slot);
    free(c->buf);
    free(c->dents);
    c->slot = NULL;
    c->buf = c->dents = NULL;
    c->nslots = 0;
}

/* ---- the table entry ---------------------------------------------------------- */

struct cgroup_state {
    struct cgroup_collector c;
    struct log_limit skip_log;
};

static int entry_open(void *st, const struct collector_env *env, char *err, size_t errlen)
{
    struct cgroup_state *s = st;
    const struct config *cfg = env->cfg;
    log_limit_init(&s->skip_log, 60);
    if (cgroup_open(&s->c, cfg && cfg->cgroup_root[0] ? cfg->cgroup_root : NULL, cfg ? &cfg->cgroups : NULL,
                    cfg ? cfg->cgroup_depth : 0, err, errlen) < 0)
        return -1;
    if (s->c.nslots < s->c.wanted_slots)
        log_msg(LOG_WARN, "cgroup: %d slots, not %d: the file descriptor limit (ulimit -n) leaves room for %d "
                "files per cgroup in no more; raise it to report more cgroups at once",
                s->c.nslots, s->c.wanted_slots, s->c.nfiles);
    return 0;
}

static int entry_nseries(const void *st) { return cgroup_slots(&((const struct cgroup_state *)st)->c); }

static const char *entry_slot(const void *st, int i, unsigned *gen)
{
    const struct cgroup_state *s = st;
    *gen = cgroup_slot_gen(&s->c, i);
    return cgroup_slot_name(&s->c, i);
}

static const char *entry_sample(void *st, struct collector_shared *sh)
{
    struct cgroup_state *s = st;
    cgroup_sample(&s->c, sh->now, sh->closing);
    slots_say_skipped(&s->skip_log, sh->now, "cgroup(s)", s->c.skipped, s->c.nslots);
    return NULL;
}

static int entry_fields(const void *st, int i, const struct collector_shared *sh, struct sample_field *out)
{
    (void)sh;
    return cgroup_fields(&((const struct cgroup_state *)st)->c, i, out);
}

static struct procfile *entry_file(void *st, int i)
{
    (void)st, (void)i;
    return NULL; /* no procfile: its files are reopened at each walk when their cgroup changes */
}

static void entry_close(void *st) { cgroup_close(&((struct cgroup_state *)st)->c); }

static const char *const cgroup_tag_keys[] = {"path", NULL};
static const struct measurement cgroup_measurements[] = {
    {.name = "cgroup", .tag_keys = cgroup_tag_keys, .fields = cgroup_field_names + 2, .windowed = windowed_names},
};

const struct collector collector_cgroup = {
    .name = "cgroup",
    .measurements = cgroup_measurements,
    .nmeasurements = 1,
    .slot_tag = "path",
    .flags = COLLECTOR_EVERY_TICK,
    .size = sizeof(struct cgroup_state),
    .open = entry_open,
    .nseries = entry_nseries,
    .slot = entry_slot,
    .sample = entry_sample,
    .fields = entry_fields,
    .file = entry_file,
    .close = entry_close,
    .slot_name_max = CGROUP_NAME_MAX,
};
