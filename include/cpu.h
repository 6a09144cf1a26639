#ifndef PROCFLUX_CPU_H
#define PROCFLUX_CPU_H

#include <stddef.h>
#include <stdint.h>

#include "collector.h"
#include "procfile.h"
#include "sample.h"

/*
 * cpu: the cpu lines of /proc/stat, turned into Telegraf's `cpu` fields.
 *
 * Counters, in /proc/stat order. Kernels print 4 to 10 of them (iowait came in
 * 2.5.41, irq/softirq 2.6.0, steal 2.6.11, guest 2.6.24, guest_nice 2.6.33);
 * fields for counters a kernel does not print are omitted, not zeroed.
 */
enum cpu_counter {
    CPU_USER, CPU_NICE, CPU_SYSTEM, CPU_IDLE, CPU_IOWAIT, CPU_IRQ,
    CPU_SOFTIRQ, CPU_STEAL, CPU_GUEST, CPU_GUEST_NICE, CPU_NCOUNTERS
};

struct cpu_times {
    uint64_t v[CPU_NCOUNTERS];
    unsigned char n; /* counters present on the line; 0: no reading */
};

/**
 * Parse the cpu lines at the start of /proc/stat content.
 * @arg buf, len the content (need not be NUL-terminated; a last line without
 *      '\n' is ignored as possibly cut).
 * @arg total receives the aggregate "cpu" line (n = 0 when absent or invalid).
 * @arg per array of @max entries indexed by cpu number; entries not seen get n = 0.
 * @arg beyond receives how many valid cpu lines had a number >= @max (not stored).
 * @return the highest valid cpu number seen + 1, stored or not (0 if none);
 *         invalid lines are skipped. @per may be NULL when @max is 0.
 */
int cpu_parse(const char *buf, size_t len, struct cpu_times *total, struct cpu_times *per,
              int max, int *beyond);

/**
 * Telegraf's usage percentages between two readings of one cpu:
 * total = user+nice+system+idle+iowait+irq+softirq+steal (guest is inside user),
 * usage_user = 100(Δuser−Δguest)/Δtotal, usage_nice = 100(Δnice−Δguest_nice)/Δtotal,
 * the others 100Δx/Δtotal. Deltas of counters that went backwards count as 0,
 * and every result is clamped to [0, 100].
 * @arg pct receives one value per counter present in both readings.
 * @return the number of counters computed, or 0 when there is no usable delta
 *         (a reading missing, counters count differs, or Δtotal is 0).
 */
int cpu_usage(const struct cpu_times *prev, const struct cpu_times *cur, double pct[CPU_NCOUNTERS]);

/**
 * --window takes usage min and max over runs of ticks holding at least this
 * many USER_HZ units per CPU of the series (50 ms of each CPU at USER_HZ 100):
 * enough for the counters, which move in whole units of 10 ms, to resolve a
 * usage to 20 % on one core (where one 1 ms tick says 0 or 100).
 */
#define CPU_SUBINTERVAL_JIFFIES 5

struct cpu_collector {
    struct procfile pf;
    int max;                  /* cpu slots sized at open */
    struct cpu_times *prev;   /* [max + 1]: index 0 is cpu-total, i + 1 is cpu i */
    struct cpu_times *cur;
    int online;               /* cpu lines seen in the last reading */
    int beyond;               /* cpu lines beyond the sized slots, last reading */
    double clk_tck;
    int cpu_time;             /* emit time_* fields */
};

/**
 * Open @root/stat and size the per-cpu state from the larger of the configured
 * CPU count and the cpu lines present now.
 * @return 0, or -1 with a sentence in @err.
 */
int cpu_open(struct cpu_collector *c, const char *root, int cpu_time, char *err, size_t errlen);

/** Read and parse /proc/stat; keeps the previous reading for deltas. @return 0, or -1 (read failed). */
int cpu_sample(struct cpu_collector *c);

/**
 * Fields of one series for the last sample: @idx -1 for cpu-total, else a cpu number.
 * @return the number of fields written to @out (0: nothing to emit this tick).
 */
int cpu_fields(const struct cpu_collector *c, int idx, struct sample_field *out);

/**
 * cpu's field names, by counter, NULL-terminated: the usage_* ones (which
 * --window aggregates) and the time_* ones (--cpu-time).
 */
extern const char *const cpu_usage_names[];
extern const char *const cpu_time_names[];

/** Free what cpu_open took. */
void cpu_close(struct cpu_collector *c);

/** The table entry: measurement cpu, series cpu-total and cpu0.. (--no-totalcpu, --no-percpu). */
extern const struct collector collector_cpu;

#endif
