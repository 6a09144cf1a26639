#ifndef PROCFLUX_KERNEL_H
#define PROCFLUX_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "collector.h"
#include "procfile.h"
#include "sample.h"

/*
 * kernel: the lines of /proc/stat after the cpu lines, plus
 * /proc/sys/kernel/random/entropy_avail, as two Telegraf measurements.
 *
 *   kernel     boot_time (btime), context_switches (ctxt), entropy_avail,
 *              interrupts (first number of intr), processes_forked (processes)
 *   processes  running (procs_running), blocked (procs_blocked)
 *
 * All integers. A field whose line is missing or malformed is omitted;
 * entropy_avail is omitted when the file is absent or unreadable (it is
 * optional: fixture proc roots and some containers lack it). Since Linux 5.18
 * entropy_avail is always 256 (the pool no longer drains); it is still what
 * Telegraf's kernel plugin reports, so dashboards keep working.
 *
 * Telegraf's kernel plugin also reports disk_pages_in/out from a `page` line;
 * only 2.4 kernels print it (2.6 moved it to /proc/vmstat), so it is not read.
 *
 * `processes` differs from Telegraf's processes plugin in what it counts:
 * Telegraf walks /proc/PID/stat and counts processes by state letter (R, D);
 * procflux takes the kernel's own counters, which need no directory walk.
 * procs_running is nr_running(): runnable *tasks* (threads included) on all
 * run queues at the moment of reading, procflux's own reading thread among
 * them, so it is >= 1. procs_blocked is nr_iowait(): tasks sleeping on block
 * I/O (io_schedule), a subset of Telegraf's D-state count (D also holds tasks
 * waiting on locks, NFS, page faults...). The other fields of Telegraf's
 * processes measurement (zombies, sleeping, total, ...) are not produced.
 */

/** The /proc/stat lines read, as bit numbers of kernel_values.present. */
enum kernel_line {
    KERNEL_INTR,      /* intr: total first, then one column per IRQ (can be many KB) */
    KERNEL_CTXT,      /* ctxt */
    KERNEL_BTIME,     /* btime: boot time, seconds since the epoch */
    KERNEL_PROCESSES, /* processes: forks since boot */
    KERNEL_RUNNING,   /* procs_running (2.5.45+) */
    KERNEL_BLOCKED,   /* procs_blocked (2.5.45+) */
    KERNEL_NLINES
};

/** Values of one /proc/stat reading. */
struct kernel_values {
    int64_t v[KERNEL_NLINES];
    unsigned present; /* bit k set: line k was read and valid */
};

/**
 * Parse /proc/stat content (need not be NUL-terminated). Lines starting with
 * "cpu" are skipped with one memchr each; after the intr line's first number
 * the rest of the line is skipped with memchr too. A key must be followed by
 * a blank, then a decimal value. For every line but intr the value must be
 * followed by optional blanks and '\n': a last line without '\n' may be cut
 * ("processes 24" of "processes 2457") and is ignored. The intr total needs a
 * blank or '\n' after it, so a file cut later in the intr line still yields
 * it. Values above INT64_MAX, malformed lines, CRLF line ends and unknown
 * lines are skipped; when a line repeats, the last valid one wins.
 * @arg v receives the values; v->present says which lines were found.
 * @return 1 when any line was found, 0 otherwise.
 */
int kernel_parse_stat(const char *buf, size_t len, struct kernel_values *v);

/**
 * Parse entropy_avail content ("256\n"): optional blanks, digits, optional
 * blanks, '\n' (required: the content may be cut otherwise).
 * @return 1 and the value in *out, or 0 (malformed, or above INT64_MAX).
 */
int kernel_parse_entropy(const char *buf, size_t len, int64_t *out);

struct kernel_collector {
    struct procfile stat, entropy;
    int own_stat;           /* stat is ours: opened and read by kernel_sample */
    struct kernel_values cur;
    int64_t entropy_avail;
    int have_entropy;
};

/**
 * Open @root/sys/kernel/random/entropy_avail when it exists (its absence is
 * not an error) and, when @own_stat, @root/stat.
 * @arg root the proc root; NULL means /proc.
 * @arg own_stat 0: the caller (the cpu collector) already reads /proc/stat
 *      every tick and passes its content to kernel_sample.
 * @return 0, or -1 with a sentence in @err (only when @own_stat and stat
 *         cannot be opened).
 */
int kernel_open(struct kernel_collector *k, const char *root, int own_stat, char *err,
                size_t errlen);

/**
 * Take one reading. Reads entropy_avail when it was opened.
 * @arg stat, len /proc/stat content read this tick by the caller, or NULL to
 *      read the collector's own stat file (own_stat).
 * @return 0, or -1 when stat could not be read (NULL without own_stat, a read
 *         error, or content holding none of the lines): no stat fields then,
 *         entropy_avail may still be reported.
 */
int kernel_sample(struct kernel_collector *k, const char *stat, size_t len);

/**
 * Fields of the `kernel` measurement for the last sample, in this order when
 * present: boot_time, context_switches, entropy_avail, interrupts,
 * processes_forked. @return the number written to @out (at most 5; 0: none).
 */
int kernel_fields(const struct kernel_collector *k, struct sample_field *out);

/**
 * Fields of the `processes` measurement for the last sample: blocked, running
 * (each when present). @return the number written to @out (at most 2).
 */
int processes_fields(const struct kernel_collector *k, struct sample_field *out);

/** Close the files and free their buffers. Safe on a zeroed struct. */
void kernel_close(struct kernel_collector *k);

/** Every field name kernel_fields can emit, NULL-terminated. */
extern const char *const kernel_field_names[];

/** Every field name processes_fields can emit, NULL-terminated. */
extern const char *const processes_field_names[];

/** The table entry: measurements kernel and processes, from one /proc/stat reading. */
extern const struct collector collector_kernel;

#endif
