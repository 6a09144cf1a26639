#ifndef PROCFLUX_SYSTEM_H
#define PROCFLUX_SYSTEM_H

#include <stddef.h>
#include <stdint.h>

#include "collector.h"
#include "procfile.h"
#include "sample.h"

/*
 * system: Telegraf's `system` measurement from /proc/loadavg and /proc/uptime:
 * load1, load5, load15 (floats), n_cpus, n_physical_cpus, n_users,
 * n_unique_users and uptime (integers) and uptime_format (a string). These are
 * what Chronograf's host list and canned layouts look for.
 *
 * uptime is /proc/uptime rounded up to whole seconds: gopsutil takes it from
 * sysinfo(2), whose do_sysinfo rounds the boot-time clock up
 * (tv_sec + (tv_nsec ? 1 : 0)); /proc/uptime prints the same clock in
 * hundredths, so "12345.67" is 12346 and "12345.00" 12345.
 *
 * n_users and n_unique_users count the USER_PROCESS records of utmp (and
 * their distinct ut_user names), as gopsutil's host.Users does; read at most
 * once a second by open + pread + close into a buffer in the state (no fd held,
 * nothing allocated). No utmp (none given, or it cannot be opened): both are
 * omitted, as Telegraf omits them.
 *
 * n_physical_cpus is counted once at open, as gopsutil's cpu.Counts(false):
 * the distinct sysfs topology/core_cpus_list (else thread_siblings_list)
 * contents of the cpu[0-9]* directories when a sysfs root is given, else from
 * cpuinfo: the sum over distinct "physical id" of the section's "cpu cores".
 */

struct system_values {
    double load[3];
    double uptime;
    int have_load, have_uptime;
    int have_users;           /* utmp was read this sample */
    int64_t users, unique;    /* USER_PROCESS records, distinct names (unique < 0: too many to tell) */
};

/** utmp's record, as glibc writes it on every Linux architecture (struct utmp is 384 bytes). */
#define SYSTEM_UTMP_RECORD 384
#define SYSTEM_UTMP_TYPE 0        /* short ut_type, native byte order */
#define SYSTEM_UTMP_USER 44       /* char ut_user[32], NUL-padded (not terminated when 32 long) */
#define SYSTEM_UTMP_USER_LEN 32
#define SYSTEM_UTMP_USER_PROCESS 7
/** Distinct user names n_unique_users tells apart; beyond them it is omitted. */
#define SYSTEM_UTMP_NAMES 128
/** Records read per pread. */
#define SYSTEM_UTMP_CHUNK 4 /* 1.5 KB: a bigger chunk, zeroed at open, is RSS the small build cannot spare */
/** utmp records read at most per sample (a file past this is counted up to it). */
#define SYSTEM_UTMP_MAX_RECORDS 65536

/** Counting utmp records, chunk by chunk, with no allocation. */
struct system_utmp_count {
    int64_t users;       /* USER_PROCESS records */
    int nnames;          /* distinct names in names[] */
    int overflow;        /* more than SYSTEM_UTMP_NAMES distinct names */
    char names[SYSTEM_UTMP_NAMES][SYSTEM_UTMP_USER_LEN];
};

/** Start a count. */
void system_utmp_begin(struct system_utmp_count *c);

/**
 * Count the whole records in @buf (@len bytes; a trailing partial record is
 * ignored, as gopsutil does). Call once per chunk, in file order.
 */
void system_utmp_add(struct system_utmp_count *c, const unsigned char *buf, size_t len);

/**
 * gopsutil's physical core count from cpuinfo content: lines are trimmed and
 * lower-cased; in each section (ended by an empty line; a last section with no
 * empty line after it does not count) "physical id" and "cpu cores" (decimal,
 * optional sign, within int32) are noted, and a section with both sets
 * cores[id]; the result is the sum over distinct ids.
 * @return that sum (0 when no section has both, as on ARM), or -1 when more
 *         than 1024 distinct ids (sockets) were seen.
 */
int64_t system_parse_cpuinfo_cores(const char *buf, size_t len);

/**
 * Telegraf's uptime_format of @uptime seconds: "[D day[s], ]%2H:%02M"
 * ("4 days,  1:25", " 3:25", "1 day, 10:00"). Writes at most 32 bytes and a NUL.
 * @return the length.
 */
size_t system_format_uptime(char *dst, uint64_t uptime);

/** The uptime field: @uptime seconds rounded up, as sysinfo(2) does. */
int64_t system_uptime_seconds(double uptime);

/** Parse /proc/loadavg content ("0.52 0.58 0.59 1/234 5678"). @return 1 when valid. */
int system_parse_loadavg(const char *buf, size_t len, double load[3]);

/** Parse /proc/uptime content ("12345.67 23456.78"). @return 1 when valid. */
int system_parse_uptime(const char *buf, size_t len, double *uptime);

struct system_collector {
    struct procfile loadavg, uptime;
    struct system_values cur;
    int have_physical;                /* n_physical_cpus was counted at open */
    int64_t physical;                 /* n_physical_cpus (have_physical; < 0: too many ids to tell) */
    char utmp_path[256];              /* "" : no utmp */
    char uptime_format[SAMPLE_STRING_MAX + 1];
    struct system_utmp_count count;
    unsigned char chunk[SYSTEM_UTMP_CHUNK * SYSTEM_UTMP_RECORD];
};

/**
 * Open @root/loadavg and @root/uptime; count physical CPUs from @root/cpuinfo.
 * No utmp. @return 0, or -1 with a sentence in @err.
 */
int system_open(struct system_collector *s, const char *root, char *err, size_t errlen);

/**
 * system_open, and: @utmp the utmp file to count users in (NULL: none);
 * @sys the sysfs root for physical CPUs (NULL: cpuinfo only).
 */
int system_open_with(struct system_collector *s, const char *root, const char *utmp, const char *sys, char *err,
                     size_t errlen);

/** Count users in the utmp file: sets cur.have_users, cur.users and cur.unique. Allocates nothing. */
void system_read_utmp(struct system_collector *s);

/** Read both files. @return 0, or -1 when neither could be read. */
int system_sample(struct system_collector *s);

/**
 * Fields of the last sample; @n_cpus is the online CPU count (<= 0: omitted).
 * @return the number of fields written to @out.
 */
int system_fields(const struct system_collector *s, int n_cpus, struct sample_field *out);

void system_close(struct system_collector *s);

/** Every field name system can emit (NULL-terminated), in system_fields' order. */
extern const char *const system_field_names[];

/** The table entry: measurement system, one series, sampled at most once a second. */
extern const struct collector collector_system;

#endif
