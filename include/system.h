#ifndef PROCFLUX_SYSTEM_H
#define PROCFLUX_SYSTEM_H

#include <stddef.h>

#include "collector.h"
#include "procfile.h"
#include "sample.h"

/*
 * system: Telegraf's `system` measurement from /proc/loadavg and /proc/uptime:
 * load1, load5, load15 (floats), n_cpus and uptime (integer seconds). These
 * are what Chronograf's host list and canned layouts look for.
 */

struct system_values {
    double load[3];
    double uptime;
    int have_load, have_uptime;
};

/** Parse /proc/loadavg content ("0.52 0.58 0.59 1/234 5678"). @return 1 when valid. */
int system_parse_loadavg(const char *buf, size_t len, double load[3]);

/** Parse /proc/uptime content ("12345.67 23456.78"). @return 1 when valid. */
int system_parse_uptime(const char *buf, size_t len, double *uptime);

struct system_collector {
    struct procfile loadavg, uptime;
    struct system_values cur;
};

/** Open @root/loadavg and @root/uptime. @return 0, or -1 with a sentence in @err. */
int system_open(struct system_collector *s, const char *root, char *err, size_t errlen);

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
