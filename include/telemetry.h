#ifndef PROCFLUX_TELEMETRY_H
#define PROCFLUX_TELEMETRY_H

#include <stdint.h>

#include "collector.h"
#include "sample.h"

/*
 * telemetry: procflux's own measurement, `procflux`, one line per
 * destination (tag dest) every --stats-every. Cumulative counters, so loss is
 * lines_sent against what landed.
 */

/** The `procflux` measurement: its tag key (dest) and field names. */
extern const struct measurement telemetry_measurement;

/** What procflux counted, for one destination. */
struct telemetry {
    uint64_t ticks, ticks_missed;
    uint64_t lines_sent;      /* lines handed to the destination (to standard output: encoded) */
    uint64_t datagrams_sent, bytes_sent, send_errors;
    uint64_t lines_dropped;   /* too long for a datagram, or in a datagram that failed */
    uint64_t read_errors;     /* /proc reads that failed */
    uint64_t resolve_errors;
    uint64_t buffers_grown;   /* /proc files that outgrew their buffer (each an allocation) */
};

/** The fields of one `procflux` line, in telemetry_measurement's order. @return how many (10). */
int telemetry_fields(const struct telemetry *t, struct sample_field *out);

#endif
