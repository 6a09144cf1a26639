#ifndef PROCFLUX_CGROUP_H
#define PROCFLUX_CGROUP_H

#include <stddef.h>
#include <stdint.h>

#include "collector.h"
#include "match.h"
#include "pressure.h"
#include "sample.h"
#include "slots.h"

/*
 * cgroup: CPU, memory, I/O and pressure per control group (a container, a
 * systemd service), measurement `cgroup`, one series per cgroup, tagged
 * `path` with its path relative to the cgroup root ("system.slice/ssh.service").
 *
 * Where. --cgroup-root DIR (env HOST_CGROUP; default /sys/fs/cgroup). When
 * DIR/cgroup.controllers exists it is a cgroup v2 (unified) mount and its
 * cpu.stat, memory.current, memory.max, memory.stat, io.stat and
 * {cpu,memory,io}.pressure are read. Otherwise it is a v1 or hybrid host:
 * the v1 hierarchies DIR/cpuacct (or DIR/cpu,cpuacct), DIR/memory and
 * DIR/blkio are walked (a hybrid host's DIR/unified has no controllers that
 * v1 holds) and cpuacct.usage, cpuacct.stat, memory.usage_in_bytes,
 * memory.limit_in_bytes, memory.stat and blkio.throttle.io_service{_bytes,d}
 * (the _recursive ones when present) are read. A path present in several v1
 * hierarchies is one series with the fields of each; v1 has no pressure.
 *
 * Which. Patterns (--cgroups) match whole relative paths segment by segment:
 * '*' and '?' never match '/', so "docker/ *" (without the blank) is the
 * containers and not their children, and a pattern of k segments matches
 * cgroups at depth k only. The walk descends only into directories that are
 * a prefix of some pattern, and never deeper than --cgroup-depth (a pattern
 * deeper than that is refused by config). The root itself is never a series
 * (the host totals are cpu's and mem's). The default, CGROUP_DEFAULT_PATTERNS,
 * is one series per systemd service, user, VM, Docker/LXC container and
 * Kubernetes pod.
 *
 * Coming and going. The tree is walked (getdents64 into buffers sized at
 * open: opendir would malloc) at most once a second; each cgroup found
 * takes a slot of slots.h (identity: its path) and its files are opened
 * then and kept open until it leaves (pread per tick: no open per tick). A
 * cgroup removed between two walks fails its next read (ENODEV): it sends
 * nothing from that tick on and its slot is free after the next walk. The
 * memory limit is read at each walk (it changes rarely), not per tick.
 *
 * Cost and windows. cpu usage_percent is CPU time over wall time
 * (sample_share: --window reports it over the whole window, from the sums of
 * both deltas, and min and max over CGROUP_SUBINTERVAL_NS); mem usage_percent is a gauge
 * (sample_usage). With --window only cpu.stat (cpuacct.usage) and
 * memory.current (memory.usage_in_bytes) are read on every tick; the rest
 * on a window's last tick (collector_shared.closing).
 *
 * File descriptors. At most CGROUP_NFILES per slot. The slot count is
 * max(2 * selected, selected + 16) at open, at most CGROUP_MAX_SLOTS, and
 * then as many as the soft RLIMIT_NOFILE leaves room for with
 * CGROUP_FD_RESERVE to spare (raised toward the hard limit first when that
 * is needed and allowed); fewer slots than wanted is said in a warning.
 */

/** Most slots (cgroups reported at once). */
#define CGROUP_MAX_SLOTS 1024

/**
 * cpu_usage_percent's min and max under --window are over runs of ticks
 * spanning at least this much wall time. The CPU time counters move at the
 * scheduler's tick (1-10 ms, CONFIG_HZ) and at context switches: a cgroup
 * busy on one CPU, read every millisecond at CONFIG_HZ 250, reads 0, 0, 0,
 * 360, 0, ... The same 50 ms as cpu's five USER_HZ units.
 */
#define CGROUP_SUBINTERVAL_NS 50e6
/** Longest relative path reported (longer ones are skipped). */
#define CGROUP_NAME_MAX 255
/** Deepest walk --cgroup-depth allows, and its default. */
#define CGROUP_DEPTH_MAX 16
#define CGROUP_DEPTH_DEFAULT 3
/** Files kept open per slot, at most. */
#define CGROUP_NFILES 7
/** File descriptors left for everything else. */
#define CGROUP_FD_RESERVE 64
/** One read of one file: bigger content is cut and that file's values skipped. */
#define CGROUP_BUF 65536
/** getdents64 buffer per level of the walk. */
#define CGROUP_DENTS 16384

/** The default --cgroups: one series per service, user, VM, container and pod. */
#define CGROUP_DEFAULT_PATTERNS                                                                             \
    "system.slice/*,user.slice/*,machine.slice/*,docker/*,lxc/*,lxc.payload.*,kubepods*/*pod*,"             \
    "kubepods*/*/*pod*"

/** Value of a limit file that says "no limit" ("max", or v1's page-counter maximum). */
#define CGROUP_NO_LIMIT UINT64_MAX

/* ---- parsers: pure, on a buffer that need not be NUL-terminated ------------ */

/**
 * A flat-keyed file ("key value\n" lines: cpu.stat, memory.stat,
 * cpuacct.stat): the value of each of @keys (@nkeys, at most 32) into
 * @out[k]. A line is a key of [a-z0-9_.] bytes, one blank, a decimal within
 * UINT64_MAX and '\n' (a last line without '\n' may be cut and is skipped);
 * other lines are ignored. A key seen twice: the last wins.
 * @return bit k set for each key found.
 */
unsigned cgroup_parse_keyed(const char *buf, size_t len, const char *const *keys, int nkeys, uint64_t *out);

/**
 * A single-value file (memory.current, memory.max, cpuacct.usage,
 * memory.limit_in_bytes): a decimal within UINT64_MAX, or "max"
 * (CGROUP_NO_LIMIT), then '\n'. @return 1 with *out, or 0.
 */
int cgroup_parse_value(const char *buf, size_t len, uint64_t *out);

/** I/O sums over devices: io.stat's rbytes, wbytes, rios, wios (v1: Read and Write). */
struct cgroup_io {
    uint64_t read_bytes, write_bytes, reads, writes;
};

/**
 * cgroup v2 io.stat: lines "MAJ:MIN key=value key=value ...\n"; rbytes,
 * wbytes, rios and wios are summed over the devices (other keys ignored; a
 * line whose device or any pair is malformed is skipped; a cut last line
 * too). A sum past INT64_MAX fails the whole reading.
 * @return 1 with the sums in @out, or 0.
 */
int cgroup_parse_io_v2(const char *buf, size_t len, struct cgroup_io *out);

/**
 * cgroup v1 blkio.throttle.io_service_bytes or io_serviced: lines
 * "MAJ:MIN Op N\n" (Op: Read, Write, Sync, Async, Discard, Total) and a
 * last "Total N"; Read and Write are summed over devices into *read and
 * *write. Same rules as cgroup_parse_io_v2. @return 1 or 0.
 */
int cgroup_parse_blkio_v1(const char *buf, size_t len, uint64_t *read, uint64_t *write);

/**
 * Whether relative path @path (@len bytes) matches @pat segment by segment
 * ('*' and '?' never match '/'). With @prefix: whether @path could be the
 * parent of a match (the pattern has more segments and its first ones match).
 */
int cgroup_path_match(const char *pat, const char *path, size_t len, int prefix);

/** Segments of pattern @pat ("a/b" is 2), or -1 when one is empty ("/a", "a//b", "a/"). */
int cgroup_pattern_depth(const char *pat);

/* ---- the collector --------------------------------------------------------- */

/** Hierarchies: v2 has one (CG_H_UNIFIED), v1 up to three. */
enum { CG_H_UNIFIED = 0, CG_H_CPUACCT = 0, CG_H_MEMORY = 1, CG_H_BLKIO = 2, CG_NH = 3 };

/** memory.stat keys reported (v2 names; v1 reads their total_* counterparts). */
enum {
    CG_MEM_ANON, CG_MEM_FILE, CG_MEM_SHMEM, CG_MEM_FILE_MAPPED, CG_MEM_FILE_DIRTY, CG_MEM_FILE_WRITEBACK,
    CG_MEM_INACTIVE_FILE, CG_MEM_PGFAULT, CG_MEM_PGMAJFAULT, CG_NMEMSTAT
};

/** What one slot read (CG_HAVE_* bits in `have` say which groups are valid). */
#define CG_HAVE_CPU 1u       /* usage */
#define CG_HAVE_CPUSPLIT 2u  /* user, system */
#define CG_HAVE_THROTTLE 4u
#define CG_HAVE_PERCENT 8u
#define CG_HAVE_MEM 16u
#define CG_HAVE_MEMSTAT 32u  /* memstat_have says which keys */
#define CG_HAVE_IO 64u
#define CG_HAVE_PSI_SHIFT 8  /* bit 8 + s: psi[s] (PSI: cpu some, cpu full, memory some/full, io some/full) */
#define CG_NPSI 6

struct cgroup_slot {
    int fd[CGROUP_NFILES];   /* -1: not open */
    unsigned gen;            /* slot generation the files were opened for (0: none) */
    unsigned char where;     /* hierarchies holding the path (bit h), as opened */
    unsigned char found;     /* hierarchies holding it in the walk under way */
    unsigned char gone;      /* a read said the cgroup is gone: nothing until the next walk */
    unsigned have;           /* CG_HAVE_* of the last sample */
    uint64_t cpu_ns, user_us, system_us, periods, throttled, throttled_us;
    uint64_t prev_cpu_ns;
    int64_t prev_at;         /* CLOCK_MONOTONIC ns of prev_cpu_ns; 0: none yet */
    double d_cpu_ns, d_at;   /* the tick's deltas (CG_HAVE_PERCENT): 100 * d_cpu_ns / d_at is its percent of
                                one CPU; --window sums them (exact over the window) */
    uint64_t mem, limit;     /* limit CGROUP_NO_LIMIT: none */
    uint64_t memstat[CG_NMEMSTAT];
    unsigned memstat_have;
    struct cgroup_io io;
    struct psi_values psi[CG_NPSI];
};

struct cgroup_collector {
    int v2;                          /* 1: unified mount; 0: v1 hierarchies */
    int hfd[CG_NH];                  /* directory fds of the hierarchies (-1: absent) */
    char root[200];
    struct match_list only;          /* the patterns */
    int depth;                       /* --cgroup-depth */
    struct slots slots;
    struct cgroup_slot *slot;        /* nslots */
    int nslots, wanted_slots;
    int nfiles;                      /* files per slot this version keeps open */
    char *buf;                       /* CGROUP_BUF + 1 */
    char *dents;                     /* depth * CGROUP_DENTS */
    double last_walk;                /* monotonic seconds; < 0: never */
    int skipped, truncated;          /* of the last walk / sample */
    int walk_errors;                 /* directories that could not be read in the last walk */
    int line;                        /* entries placed in the walk under way */
    int selected;                    /* cgroups the last walk matched */
};

/**
 * Find the version under @root (NULL: /sys/fs/cgroup), walk once, size the
 * slots (see "File descriptors" above) and take the cgroups found.
 * @arg only patterns (NULL or n == 0: CGROUP_DEFAULT_PATTERNS; the strings
 *      must outlive @c); @arg depth 1..CGROUP_DEPTH_MAX (0: the default).
 * @return 0, or -1 with a sentence in @err (errno ENOMEM or EMFILE when that
 *         is why).
 */
int cgroup_open(struct cgroup_collector *c, const char *root, const struct match_list *only, int depth,
                char *err, size_t errlen);

/**
 * One tick: walk again when @now (monotonic seconds) is a second or more
 * past the last walk, then read every present cgroup's per-tick files, and
 * the others too when @closing. Allocates nothing. @return 0.
 */
int cgroup_sample(struct cgroup_collector *c, double now, int closing);

/** Walk the tree now (what cgroup_sample does once a second). */
void cgroup_walk(struct cgroup_collector *c);

/** Number of slots (fixed at open). */
int cgroup_slots(const struct cgroup_collector *c);

/** The path in @slot, or NULL when it is free. */
const char *cgroup_slot_name(const struct cgroup_collector *c, int slot);

/** Generation of @slot (changes when it takes another cgroup; 0 never used). */
unsigned cgroup_slot_gen(const struct cgroup_collector *c, int slot);

/**
 * Fields of @slot from the last sample (cgroup_field_names, the usage ones
 * first), those not read left out (only cpu and memory usage when the sample was not
 * @closing). @return how many (at most CGROUP_NFIELDS); 0 when free or gone.
 */
int cgroup_fields(const struct cgroup_collector *c, int slot, struct sample_field *out);

/** Close every file and free the tables. Safe on a zeroed struct. */
void cgroup_close(struct cgroup_collector *c);

/** Fields a series can carry. */
#define CGROUP_NFIELDS 47

/** Every field name cgroup_fields can emit, NULL-terminated. */
extern const char *const cgroup_field_names[];

/**
 * The table entry: measurement "cgroup", tag "path", slots; patterns from
 * env->cfg->cgroups, root from env->cfg->cgroup_root, depth from
 * env->cfg->cgroup_depth. COLLECTOR_EVERY_TICK: its usage fields are windowed.
 */
extern const struct collector collector_cgroup;

#endif
