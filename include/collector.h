#ifndef PROCFLUX_COLLECTOR_H
#define PROCFLUX_COLLECTOR_H

#include <stddef.h>

#include "lineproto.h"
#include "sample.h"

/*
 * collector: what a collector is to the rest of procflux, and the one table
 * of them (src/collector.c). The agent loops over the table and never names a
 * collector; config validates --collect, --fields and --tag against it;
 * --help lists from it.
 *
 * A collector is a module src/x.c + include/x.h that knows one part of /proc
 * and arithmetic, and exports one `const struct collector x_collector`
 * describing itself: the measurements it sends (each with its tag keys and
 * field names: the same lists serve emission and --fields), and hooks the
 * agent calls:
 *
 *   open     once at start-up: open files, size everything (may allocate)
 *   sample   every tick it is due: read and parse (allocates nothing)
 *   fields   per series, after sample: the values as sample_fields
 *   close    at exit: free what open took
 *
 * Series are either fixed (known at open: cpu-total, cpu0.., mem, the five
 * pressure series; described by the `series` hook) or dynamic (`slot_tag`
 * set: net interfaces, disks, which come and go; each occupies one of
 * `nseries` slots and is named by the `slot` hook).
 */

struct config;
struct procfile;

/** One measurement a collector sends. */
struct measurement {
    const char *name;             /* its --collect and --fields name too */
    const char *const *tag_keys;  /* tag keys its series set itself (refused for --tag); NULL-terminated */
    const char *const *fields;    /* field names sent as read, NULL-terminated (NULL: none) */
    const char *const *windowed;  /* usage fields --window aggregates (NULL: none) */
    const char *const *rated;     /* counters --window adds rates of: F_rate_max, F_rate_mean (NULL: none) */
    /* When set, the fields sent as read under @c, in place of `fields`
       (cpu's time_* come only with --cpu-time). */
    const char *const *(*fields_for)(const struct config *c);
};

/*
 * Facts collectors share, filled in table order: an earlier collector
 * provides them, a later one may use them. The agent sets the defaults.
 */
struct collector_shared {
    struct procfile *stat;  /* /proc/stat as read this tick by a collector before (NULL: none reads it) */
    int stat_ok;            /* that read succeeded this tick */
    int cpus;               /* CPUs online: cpu lines of the last /proc/stat reading, else the CPUs
                               this process may run on (what Telegraf's runtime.NumCPU says) */
    double now;             /* monotonic seconds, for rate-limited warnings */
    int closing;            /* this sample's lines go out now (a window's last tick, or every tick without
                               --window): a windowed collector may read what is not windowed only then */
};

/** What a collector's open hook gets. */
struct collector_env {
    const struct config *cfg;
    const char *proc_root;        /* NULL: /proc */
    const char *sys_root;         /* NULL: no sysfs look-ups (under --proc-root) */
    struct collector_shared *shared;
};

/** Flags of a collector. */
#define COLLECTOR_EVERY_TICK 1u     /* windowed: sampled every tick under --window, its series'
                                       usages and counters aggregated; others are read on a
                                       window's last tick */
#define COLLECTOR_ONCE_A_SECOND 2u  /* sampled at most once a second (on the first tick of each
                                       wall-clock second, or every tick for intervals >= 1 s) */

/** Tags a fixed series adds to the base ones (--tag, host). */
#define COLLECTOR_SERIES_TAGS 2

struct collector {
    const char *name;                       /* in messages: "cpu collector disabled: ..." */
    const struct measurement *measurements; /* what it sends: 1 to COLLECTOR_MAX_MEASUREMENTS */
    int nmeasurements;
    const char *slot_tag;                   /* dynamic series: the tag naming each (NULL: fixed) */
    unsigned flags;                         /* COLLECTOR_* */
    size_t size;                            /* its state: allocated zeroed, passed to every hook */

    /**
     * Open files and size the state; may allocate. @return 0, or -1 with one
     * sentence in @err (the collector is then off, with a warning).
     */
    int (*open)(void *st, const struct collector_env *env, char *err, size_t errlen);

    /**
     * Fixed series: how many; dynamic: how many slots (fixed after open).
     * NULL, with series NULL too: one untagged series per measurement (mem,
     * system; kernel and processes).
     */
    int (*nseries)(const void *st);

    /**
     * Fixed series @i: its measurement (index into measurements) and up to
     * COLLECTOR_SERIES_TAGS tags into @tags (values may point into @buf, @cap
     * bytes of scratch valid until the next call). @return the measurement
     * index, with the tag count in *ntags. NULL for dynamic collectors, and
     * for one untagged series per measurement.
     */
    int (*series)(const void *st, int i, struct lp_tag *tags, int *ntags, char *buf, size_t cap);

    /**
     * Dynamic slot @i: the name of its series (NULL: the slot is free this
     * tick), and in *gen a number that changes whenever the slot takes a
     * different name. NULL for fixed collectors. Measurement index 0.
     */
    const char *(*slot)(const void *st, int i, unsigned *gen);

    /**
     * Read and parse. Allocates nothing. @return NULL, or what could not be
     * read (a path) for the agent's rate-limited warning.
     */
    const char *(*sample)(void *st, struct collector_shared *sh);

    /** Series (or slot) @i's fields from the last sample. @return how many (0: none this tick). */
    int (*fields)(const void *st, int i, const struct collector_shared *sh, struct sample_field *out);

    /** Its @i-th /proc file (0, 1, ...), for SIGHUP's reopen; NULL past the last. */
    struct procfile *(*file)(void *st, int i);

    /** Free what open took. Safe after a failed open. */
    void (*close)(void *st);

    size_t slot_name_max;                   /* dynamic: the longest name a slot takes, in bytes */
};

/** Measurements one collector sends at most. */
#define COLLECTOR_MAX_MEASUREMENTS 4

/** The collectors built into this procflux, in the order they are sampled. */
extern const struct collector *const collector_table[];
extern const int collector_count;

/**
 * The measurement named @name (@len bytes): sets *collector to its index in
 * collector_table (and *meas to its index there); procflux's own telemetry
 * measurement is found too, with *collector -1. @return it, or NULL when
 * nothing this build sends has that name.
 */
const struct measurement *collector_measurement(const char *name, size_t len, int *collector, int *meas);

/** Whether @name (@len bytes) is a measurement of a collector this build left out (make COLLECTORS=). */
int collector_left_out(const char *name, size_t len);

/**
 * The measurements built in, in table order, as "cpu, mem, system, ..."
 * (for --help and error messages). A static string.
 */
const char *collector_names(void);

/** The bit of measurement @meas of collector @c in config's `collect` mask. */
unsigned collector_bit(int c, int meas);

#endif
