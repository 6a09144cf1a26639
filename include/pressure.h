#ifndef PROCFLUX_PRESSURE_H
#define PROCFLUX_PRESSURE_H

#include <stddef.h>
#include <stdint.h>

#include "collector.h"
#include "procfile.h"
#include "sample.h"

/*
 * pressure: pressure stall information (PSI, Linux 4.20+) from
 * /proc/pressure/{cpu,memory,io}, as Telegraf's kernel plugin reports it with
 * collect = ["psi"]: measurement `pressure`, tags resource=cpu|memory|io and
 * type=some|full, fields avg10, avg60, avg300 (floats: percent of wall time
 * stalled, averaged over 10 s, 60 s, 300 s) and total (integer: cumulative
 * stall time in microseconds, a counter).
 *
 * Each file holds a `some` line and, for memory and io, a `full` line:
 *     some avg10=0.13 avg60=0.68 avg300=0.28 total=1195993
 * Since 5.13 cpu has a `full` line too, but at system level it is always zero
 * (it only means something per cgroup): Telegraf omits resource=cpu,type=full
 * and so does procflux, which keeps the series set the same on every kernel.
 *
 * Telegraf emits avg* and total as two metrics (a gauge and a counter) with
 * the same measurement, tags and timestamp; InfluxDB stores them as one point,
 * which is what procflux writes in one line. (Telegraf's separate `psi` input
 * plugin, not this, names the total's measurement `pressureTotal`.)
 */

/** The series procflux reports, in output order. */
enum pressure_series {
    PSI_CPU_SOME, PSI_MEMORY_SOME, PSI_MEMORY_FULL, PSI_IO_SOME, PSI_IO_FULL, PSI_NSERIES
};

/** The resource tag of @series ("cpu", "memory", "io"), or NULL when out of range. */
const char *pressure_resource(int series);

/** The type tag of @series ("some", "full"), or NULL when out of range. */
const char *pressure_type(int series);

/** One line of a pressure file. */
struct psi_values {
    double avg10, avg60, avg300; /* percent, finite and >= 0 */
    int64_t total;               /* microseconds, <= INT64_MAX */
};

/** pressure_parse's result bits. */
#define PSI_HAVE_SOME 1
#define PSI_HAVE_FULL 2

/**
 * Parse one pressure file's content (need not be NUL-terminated). A valid
 * line is "some" or "full", then blank-separated "avg10=D avg60=D avg300=D
 * total=N" in that order, D a decimal [digits][.digits] and N an integer
 * within INT64_MAX, each '=' followed directly by a digit. After total comes
 * a blank or '\n'; anything after that blank up to the line's end is ignored.
 * Content cut right after total's digits is ignored (the number may be cut).
 * Malformed lines (CRLF included) are skipped; when a type repeats, the last
 * valid line wins. A line not chosen leaves its struct untouched.
 * @arg some, full receive the lines (either may be NULL: not wanted).
 * @return PSI_HAVE_SOME | PSI_HAVE_FULL for the lines found (0: none).
 */
int pressure_parse(const char *buf, size_t len, struct psi_values *some, struct psi_values *full);

struct pressure_collector {
    struct procfile f[3];   /* cpu, memory, io; fd -1 when that file is absent */
    struct psi_values v[PSI_NSERIES];
    unsigned present;       /* bit s set: series s was read in the last sample */
};

/**
 * Open whichever of @root/pressure/{cpu,memory,io} exist; each is read once
 * while opening (procfile_open sizes its buffer), so a file that cannot be
 * read (CONFIG_PSI with psi=0: EOPNOTSUPP) counts as absent.
 * @arg root the proc root; NULL means /proc.
 * @return 0 when at least one file opened; -1 with a sentence in @err when
 *         none did (kernel older than 4.20, no CONFIG_PSI, or PSI disabled):
 *         the caller turns the collector off with one warning.
 */
int pressure_open(struct pressure_collector *p, const char *root, char *err, size_t errlen);

/**
 * Read and parse the open files. @return 0, or -1 when no file could be read
 * (no series this tick). A file that reads but holds no valid line only
 * leaves its series absent.
 */
int pressure_sample(struct pressure_collector *p);

/**
 * Fields of @series for the last sample: avg10, avg60, avg300 (floats),
 * total (integer). @return 4, or 0 when the series is absent (or out of range).
 */
int pressure_fields(const struct pressure_collector *p, int series, struct sample_field *out);

/** Close the files and free their buffers. Safe on a zeroed struct. */
void pressure_close(struct pressure_collector *p);

/** Every field name pressure_fields can emit, NULL-terminated. */
extern const char *const pressure_field_names[];

/** The table entry: measurement pressure, five series (resource, type). */
extern const struct collector collector_pressure;

#endif
