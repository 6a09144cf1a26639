/*
 * countalloc: an LD_PRELOAD shim that counts heap allocations.
 *
 * It interposes malloc, calloc, realloc, free, posix_memalign, aligned_alloc,
 * memalign, valloc and pvalloc, and mmap/mmap64 of anonymous memory (procflux's
 * pages_alloc; glibc's own mappings call its internal mmap and are not seen),
 * counts each call, and passes it on to the next definition (glibc's) found
 * with dlsym(RTLD_NEXT). dlsym itself may
 * call calloc before the real one is known; those calls are served from a
 * small static buffer, and free/realloc recognise its pointers.
 *
 * The counts are written, as one line of key=value pairs, to the file named
 * by $COUNTALLOC_OUT:
 *  - at exit (a destructor), overwriting the file;
 *  - on SIGUSR2, appended to $COUNTALLOC_OUT.snap (one line per signal), so a
 *    test can compare the counts at two moments in one process.
 * With $COUNTALLOC_TRACE set, every allocation after the first SIGUSR2 also
 * writes its backtrace to standard error (backtrace_symbols_fd: no malloc),
 * which names the culprit when the test fails.
 * With $COUNTALLOC_FAIL_AT=N, the Nth allocation of the process (malloc,
 * calloc, realloc, an aligned one or an anonymous mmap, counted from 1 once the real functions
 * are known) fails with ENOMEM: out of memory, at every point of start-up.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
/* mmap and mmap64 are both defined here: neither may be renamed to the other */
#undef _FILE_OFFSET_BITS
#undef _TIME_BITS
#include <dlfcn.h>
#include <execinfo.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

/* glibc declares valloc/memalign/pvalloc only in <malloc.h>; say them here. */
void *memalign(size_t align, size_t n);
void *valloc(size_t n);
void *pvalloc(size_t n);

enum { C_MALLOC, C_CALLOC, C_REALLOC, C_ALIGNED, C_MMAP, C_FREE, C_N };
static const char *const names[C_N] = {"malloc", "calloc", "realloc", "aligned", "mmap", "free"};
static uint64_t counts[C_N];

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);
static void *(*real_valloc)(size_t);
static void *(*real_pvalloc)(size_t);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static void *(*real_mmap64)(void *, size_t, int, int, int, off64_t);

/* Served while dlsym is still looking the real functions up. */
static _Alignas(max_align_t) char boot[16384];
static size_t boot_used;
static int resolving;

static int from_boot(const void *p) { return (const char *)p >= boot && (const char *)p < boot + sizeof boot; }

static void *boot_alloc(size_t n)
{
    size_t a = (boot_used + 15) & ~(size_t)15;
    if (n > sizeof boot - a) return NULL;
    boot_used = a + n;
    return boot + a;
}

static void resolve(void)
{
    if (real_malloc || resolving) return;
    resolving = 1;
    real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    real_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
    real_memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
    real_valloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "valloc");
    real_pvalloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "pvalloc");
    real_mmap = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
    real_mmap64 = (void *(*)(void *, size_t, int, int, int, off64_t))dlsym(RTLD_NEXT, "mmap64");
    real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc"); /* last: it marks "resolved" */
    resolving = 0;
}

static volatile sig_atomic_t tracing, in_trace;

static void trace(int k)
{
    void *frames[32];
    int n;
    static const char head[] = "countalloc: allocation after the first SIGUSR2: ";
    if (in_trace) return;
    in_trace = 1;
    n = backtrace(frames, 32);
    if (write(2, head, sizeof head - 1) < 0 || write(2, names[k], strlen(names[k])) < 0 ||
        write(2, "\n", 1) < 0) {
    }
    backtrace_symbols_fd(frames, n, 2);
    in_trace = 0;
}

static long fail_at = -1; /* COUNTALLOC_FAIL_AT; 0: not set */
static uint64_t nth;

static void bump(int k)
{
    __atomic_fetch_add(&counts[k], 1, __ATOMIC_RELAXED);
    if (tracing && k != C_FREE) trace(k);
}

/* Whether this allocation is the one to fail (only once the real functions are known). */
static int failing(void)
{
    if (!real_malloc) return 0;
    if (fail_at < 0) {
        const char *e = getenv("COUNTALLOC_FAIL_AT");
        fail_at = e ? atol(e) : 0;
    }
    if (fail_at <= 0 || __atomic_add_fetch(&nth, 1, __ATOMIC_RELAXED) != (uint64_t)fail_at) return 0;
    errno = ENOMEM;
    return 1;
}

void *malloc(size_t n)
{
    bump(C_MALLOC);
    if (!real_malloc) resolve();
    if (failing()) return NULL;
    return real_malloc ? real_malloc(n) : boot_alloc(n);
}

void *calloc(size_t n, size_t size)
{
    bump(C_CALLOC);
    if (!real_malloc) resolve();
    if (failing()) return NULL;
    if (!real_calloc || !real_malloc) { /* boot memory is zero: static, never reused */
        if (size && n > SIZE_MAX / size) return NULL;
        return boot_alloc(n * size);
    }
    return real_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    bump(C_REALLOC);
    if (!real_malloc) resolve();
    if (n && failing()) return NULL;
    if (from_boot(p) || !real_realloc) {
        void *q = real_malloc ? real_malloc(n) : boot_alloc(n);
        size_t room = p ? (size_t)(boot + sizeof boot - (char *)p) : 0;
        if (q && p) memcpy(q, p, n < room ? n : room);
        return q;
    }
    return real_realloc(p, n);
}

void free(void *p)
{
    if (!p) return;
    bump(C_FREE);
    if (from_boot(p)) return;
    if (!real_free) resolve();
    if (real_free) real_free(p);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    bump(C_ALIGNED);
    if (!real_malloc) resolve();
    if (failing()) return ENOMEM;
    return real_posix_memalign ? real_posix_memalign(out, align, n) : ENOMEM;
}

void *aligned_alloc(size_t align, size_t n)
{
    bump(C_ALIGNED);
    if (!real_malloc) resolve();
    if (failing()) return NULL;
    return real_aligned_alloc ? real_aligned_alloc(align, n) : NULL;
}

void *memalign(size_t align, size_t n)
{
    bump(C_ALIGNED);
    if (!real_malloc) resolve();
    if (failing()) return NULL;
    return real_memalign ? real_memalign(align, n) : NULL;
}

void *valloc(size_t n)
{
    bump(C_ALIGNED);
    if (!real_malloc) resolve();
    if (failing()) return NULL;
    return real_valloc ? real_valloc(n) : NULL;
}

void *pvalloc(size_t n)
{
    bump(C_ALIGNED);
    if (!real_malloc) resolve();
    if (failing()) return NULL;
    return real_pvalloc ? real_pvalloc(n) : NULL;
}

/* Anonymous memory is an allocation (counted, may fail); a file mapping is not. @return 1: fail it. */
static int map_fails(int flags, int have_real)
{
    if (flags & MAP_ANONYMOUS) {
        bump(C_MMAP);
        if (failing()) return 1;
    }
    if (have_real) return 0;
    errno = ENOMEM;
    return 1;
}

void *mmap(void *addr, size_t n, int prot, int flags, int fd, off_t off)
{
    if (!real_malloc) resolve();
    if (map_fails(flags, real_mmap != NULL)) return MAP_FAILED;
    return real_mmap(addr, n, prot, flags, fd, off);
}

/* (what a -D_FILE_OFFSET_BITS=64 build calls on 32-bit: its offset stays 64-bit) */
void *mmap64(void *addr, size_t n, int prot, int flags, int fd, off64_t off)
{
    if (!real_malloc) resolve();
    if (map_fails(flags, real_mmap64 != NULL)) return MAP_FAILED;
    return real_mmap64(addr, n, prot, flags, fd, off);
}

/* ---- reporting: async-signal-safe (no stdio, no allocation) ---------------- */

static size_t put(char *b, size_t at, size_t cap, const char *s)
{
    while (*s && at < cap) b[at++] = *s++;
    return at;
}

static size_t put_u64(char *b, size_t at, size_t cap, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do tmp[n++] = (char)('0' + v % 10); while ((v /= 10) && n < 24);
    while (n && at < cap) b[at++] = tmp[--n];
    return at;
}

static void report(const char *suffix, int flags)
{
    const char *out = getenv("COUNTALLOC_OUT");
    char path[4096], line[256];
    size_t n = 0, at = 0;
    uint64_t allocs;
    int fd, saved = errno;
    if (!out || !*out) return;
    at = put(path, at, sizeof path - 1, out);
    at = put(path, at, sizeof path - 1, suffix);
    path[at] = '\0';
    allocs = __atomic_load_n(&counts[C_MALLOC], __ATOMIC_RELAXED) +
             __atomic_load_n(&counts[C_CALLOC], __ATOMIC_RELAXED) +
             __atomic_load_n(&counts[C_REALLOC], __ATOMIC_RELAXED) +
             __atomic_load_n(&counts[C_ALIGNED], __ATOMIC_RELAXED) +
             __atomic_load_n(&counts[C_MMAP], __ATOMIC_RELAXED);
    n = put(line, n, sizeof line, "allocs=");
    n = put_u64(line, n, sizeof line, allocs);
    for (int k = 0; k < C_N; k++) {
        n = put(line, n, sizeof line, " ");
        n = put(line, n, sizeof line, names[k]);
        n = put(line, n, sizeof line, "=");
        n = put_u64(line, n, sizeof line, __atomic_load_n(&counts[k], __ATOMIC_RELAXED));
    }
    n = put(line, n, sizeof line, "\n");
    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
    if (fd >= 0) {
        ssize_t w = write(fd, line, n);
        (void)w;
        close(fd);
    }
    errno = saved;
}

static void on_usr2(int sig)
{
    (void)sig;
    report(".snap", O_APPEND);
    if (getenv("COUNTALLOC_TRACE")) tracing = 1;
}

__attribute__((constructor)) static void countalloc_init(void)
{
    struct sigaction act;
    if (getenv("COUNTALLOC_TRACE")) { /* load libgcc's unwinder now, not inside malloc */
        void *f[2];
        backtrace(f, 2);
    }
    memset(&act, 0, sizeof act);
    act.sa_handler = on_usr2;
    act.sa_flags = SA_RESTART;
    sigaction(SIGUSR2, &act, NULL);
}

__attribute__((destructor)) static void countalloc_fini(void) { report("", O_TRUNC); }
