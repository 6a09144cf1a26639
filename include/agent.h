#ifndef PROCFLUX_AGENT_H
#define PROCFLUX_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ev.h>

#include "config.h"
#include "cpu.h"
#include "diskio.h"
#include "kernel.h"
#include "mem.h"
#include "net.h"
#include "packer.h"
#include "pressure.h"
#include "system.h"
#include "log.h"
#include "udp.h"
#include "window.h"

/*
 * agent: the loop. It owns the libev watchers and is the only module that
 * knows all the others: on a tick it asks each collector to sample, has the
 * encoder append the lines, hands them to the packer, and has the sender send
 * what the packer says is full or due. Everything is sized in agent_init; the
 * tick path allocates nothing.
 */

struct agent_counters {
    uint64_t ticks, ticks_missed;
    uint64_t lines;          /* lines encoded */
    uint64_t lines_dropped;  /* too long for a datagram, or in a datagram that failed */
    uint64_t read_errors;    /* /proc reads that failed */
};

struct agent {
    const struct config *cfg;
    struct ev_loop *loop;
    ev_periodic tick;
    ev_timer flush;
    ev_periodic stats;
    ev_signal sigint, sigterm, sighup;
    double flush_at;         /* when the flush timer is armed for; -1: not armed */
    int64_t last_tick_index;

    unsigned active;         /* COLLECT_* bits that opened */
    struct cpu_collector cpu;
    struct mem_collector mem;
    struct system_collector sys;
    struct kernel_collector kern;  /* kernel and processes: /proc/stat's other lines */
    struct pressure_collector psi;
    struct net_collector net;
    struct diskio_collector disk;
    struct procfile *files[16];    /* every open /proc file, for SIGHUP */
    int nfiles;

    /*
     * Escaped series prefixes of the fixed series, built once into one
     * allocation: cpu-total, cpu0..cpuN-1, mem, system, kernel, processes,
     * the pressure series, then procflux once per destination. S_* below
     * index them.
     */
    char *prefix_store;
    char **prefix;
    size_t *plen;
    int s_cpu, s_mem, s_sys, s_kernel, s_processes, s_psi, s_self, nseries;

    /*
     * Series that come and go (net interfaces, disks): one prefix buffer of
     * dyn_cap bytes per collector slot, rebuilt only when the slot takes a
     * different name (its generation changes).
     */
    struct lp_tag base_tags[LP_MAX_TAGS]; /* --tag and host */
    int nbase_tags;
    size_t dyn_cap;
    struct dyn_series {
        char *prefix;        /* nslots * dyn_cap bytes */
        size_t *plen;        /* 0: the name cannot be written */
        unsigned *gen;       /* the generation each prefix was built for */
        unsigned char *built;
    } dyn_net, dyn_disk;
    struct log_limit skip_log;
    int n_cpus_fallback;     /* online CPUs at start, for system when cpu is off */

    /* --fields, per measurement (NULL: every field). */
    const struct match_list *keep_cpu, *keep_mem, *keep_sys, *keep_self, *keep_kernel, *keep_processes,
        *keep_psi, *keep_net, *keep_disk;

    /* --window: ticks per window, and one accumulator per windowed series
       (cpu-total, cpu0.., mem). */
    int64_t window_ticks;
    struct window_acc *win;  /* [cpu.max + 2] */
    int closing;             /* this tick ends a window (always 1 without --window) */
    int64_t win_no;          /* the window the last tick fell in; -1: none yet */
    int win_skip;            /* this window began before procflux did: not sent */

    char *line;              /* one encoded line */
    size_t line_cap;
    struct sample_field fields[SAMPLE_MAX_FIELDS];
    struct sample_field wfields[SAMPLE_MAX_FIELDS]; /* a window's fields */

    struct packer packer;
    struct udp_sender *udp;  /* one per --dest, each sent every datagram */
    int nudp;
    struct packer_slot **take; /* room for packer.nslots */

    struct agent_counters n;
    struct log_limit read_log, drop_log;
    int warned_beyond;
    double sys_due;          /* ev_now from which the next system line is due */
    int sys_now;             /* this tick samples and emits system */
    int exit_code;
};

/**
 * Open the collectors, build the series prefixes, size the packer, set up the
 * sender (or stdout) and the watchers.
 * @return 0, or an exit code (EXIT_SETUP) with one sentence in @err.
 */
int agent_init(struct agent *a, const struct config *cfg, char *err, size_t errlen);

/** Run until SIGINT/SIGTERM (or one tick with --once). @return the exit code. */
int agent_run(struct agent *a);

/** Field names of the procflux measurement (NULL-terminated). */
extern const char *const agent_self_field_names[];

/** Release everything agent_init took. */
void agent_free(struct agent *a);

#endif
