#ifndef PROCFLUX_CONFIG_H
#define PROCFLUX_CONFIG_H

#include <stddef.h>

#include "lineproto.h"
#include "match.h"

/*
 * config: the config file, the environment (HOST_PROC) and the command line
 * into a struct config. The only module that reads argv or the environment.
 * Every value is validated here, so nothing half-starts: a bad option is one
 * sentence naming the option, the value and what is allowed (and, in the
 * file, the file and line), and exit code EXIT_USAGE.
 */

/* Exit codes (documented in the man page). */
#define EXIT_USAGE 2  /* bad command line */
#define EXIT_SETUP 3  /* could not start: no collector readable, socket failure */

enum precision { PREC_NS, PREC_US, PREC_MS, PREC_S };

/** Measurements collected when --collect is not given. */
extern const char *const config_default_collect[];

/** Destinations (--dest, repeatable) at most. */
#define CONFIG_MAX_DESTS 8

struct config_dest {
    char host[256];
    char port[8];
};

/** --fields for one measurement: the field names (patterns) kept. */
struct config_fieldset {
    const char *measurement; /* the table's name (collector.h) */
    struct match_list keep;
};

/** Measurements --fields may name, at most one --fields each. */
#define CONFIG_MAX_FIELDSETS 16

struct config {
    /* Scalars and strings first: config_parse zeroes them. From tags on, arrays that hold only
       what their counts say (ntags, ndest, n, nfieldsets, strings_used): config_parse sets the
       counts and writes only what an option fills, so most of their pages are never touched. */
    double interval;        /* seconds */
    double flush;           /* seconds */
    double flush_jitter;    /* seconds of --flush this host's sends are spread over; 0: off (default: the interval) */
    double stats_every;     /* seconds; 0: no self-telemetry */
    double resolve_every;   /* seconds; 0: only after errors */
    size_t payload;         /* bytes; 0: from the path MTU */
    double window;          /* seconds; 0: every tick is sent as sampled */
    int ndest;
    int nfieldsets;
    int cgroup_depth;       /* --cgroup-depth, 1..16 (default 3) */
    int ntags;
    enum precision precision;
    unsigned collect;       /* measurements to send: collector_bit() bits */
    int percpu, totalcpu, cpu_time;
    int to_stdout, once, verbose, quiet;
    size_t strings_used;
    char *file_text;        /* the config file, which its tags point into */
    char host[256];         /* value of the host tag */
    char proc_root[200];    /* "" → /proc */
    char cgroup_root[200];  /* "" → /sys/fs/cgroup (env HOST_CGROUP) */
    struct lp_tag tags[LP_MAX_TAGS - 3]; /* --tag, in order given; host and up to two series tags
                                            (cpu; resource, type; ...) are added per series */
    struct config_dest dest[CONFIG_MAX_DESTS]; /* every datagram goes to each */
    struct match_list net_interfaces;  /* n == 0: every interface but lo */
    struct match_list diskio_devices;  /* n == 0: whole disks */
    struct match_list cgroups;         /* n == 0: CGROUP_DEFAULT_PATTERNS (cgroup.h) */
    struct config_fieldset fieldsets[CONFIG_MAX_FIELDSETS];
    char strings[4096];     /* pattern lists live here (split in place) */
};

/** The size of every error buffer: one sentence naming the option, the value and what is allowed. */
#define CONFIG_ERR_MAX 1024

/** Read when no --config is given and it exists. */
#define CONFIG_DEFAULT_FILE "/etc/procflux.conf"

#define CONFIG_OK 0
#define CONFIG_EXIT 1  /* --help or --version printed: exit 0 */
#define CONFIG_ERR -1
#define CONFIG_NOMEM -2 /* out of memory: exit EXIT_SETUP, not EXIT_USAGE */

/**
 * Fill @c from, lowest precedence first: the defaults, the config file
 * (--config FILE, else CONFIG_DEFAULT_FILE when present; "--config ''" reads
 * none), the environment (HOST_PROC as --proc-root, HOST_CGROUP as
 * --cgroup-root) and @argv. Each source
 * is read on its own and every value validated as it is read (errors in the
 * file name the file and the line); then, for every setting, the highest
 * source that set it wins. A list (--dest, --net-interfaces,
 * --diskio-devices) is one setting, replaced whole; each tag key and each
 * measurement's --fields is a setting of its own, so a --tag replaces the
 * file's tag with that key and keeps the others. Within one source a scalar
 * given twice keeps the last value; a tag key, a measurement's --fields or a
 * second pattern list is an error. Tag strings point into @argv and
 * c->file_text. --help and --version print and return CONFIG_EXIT.
 * @return CONFIG_OK, CONFIG_EXIT, or CONFIG_ERR (CONFIG_NOMEM when memory ran
 * out) with one sentence in @err
 * (at most CONFIG_ERR_MAX bytes are ever needed).
 */
int config_parse(struct config *c, int argc, char **argv, char *err, size_t errlen);

/** Free what config_parse took (the config file's text). */
void config_free(struct config *c);

/**
 * Parse a duration with a unit: "250us", "10ms", "1.5s", "2m", "1h".
 * @return 1 and the seconds in @out, or 0 when malformed.
 */
int config_duration(const char *s, double *out);

/** Print the usage text to @f. */
void config_usage(void *f);

#endif
