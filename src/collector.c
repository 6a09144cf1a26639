/* collector: the one table of collectors, and look-ups by measurement name. */
#include "collector.h"

#include <string.h>

#include "cpu.h"
#include "mem.h"
#include "system.h"
#include "telemetry.h"
#ifndef PROCFLUX_NO_KERNEL
#include "kernel.h"
#endif
#ifndef PROCFLUX_NO_PRESSURE
#include "pressure.h"
#endif
#ifndef PROCFLUX_NO_NET
#include "net.h"
#endif
#ifndef PROCFLUX_NO_DISKIO
#include "diskio.h"
#endif
#ifndef PROCFLUX_NO_CGROUP
#include "cgroup.h"
#endif

/*
 * The table. Order matters twice: collectors are sampled in this order (cpu
 * first: it reads /proc/stat for kernel and counts the CPUs system reports),
 * and their lines go out in it. A collector left out of the build
 * (make COLLECTORS=...) has its measurement names in left_out, so that
 * --collect can say "not built" rather than "unknown".
 */
const struct collector *const collector_table[] = {
    &collector_cpu,
    &collector_mem,
    &collector_system,
#ifndef PROCFLUX_NO_KERNEL
    &collector_kernel,
#endif
#ifndef PROCFLUX_NO_PRESSURE
    &collector_pressure,
#endif
#ifndef PROCFLUX_NO_NET
    &collector_net,
#endif
#ifndef PROCFLUX_NO_DISKIO
    &collector_diskio,
#endif
#ifndef PROCFLUX_NO_CGROUP
    &collector_cgroup,
#endif
};
const int collector_count = (int)(sizeof collector_table / sizeof collector_table[0]);

static const char *const left_out[] = {
#ifdef PROCFLUX_NO_KERNEL
    "kernel", "processes",
#endif
#ifdef PROCFLUX_NO_PRESSURE
    "pressure",
#endif
#ifdef PROCFLUX_NO_NET
    "net",
#endif
#ifdef PROCFLUX_NO_DISKIO
    "diskio",
#endif
#ifdef PROCFLUX_NO_CGROUP
    "cgroup",
#endif
    NULL,
};

static int same(const char *name, const char *s, size_t len)
{
    return strlen(name) == len && memcmp(name, s, len) == 0;
}

const struct measurement *collector_measurement(const char *name, size_t len, int *collector, int *meas)
{
    for (int c = 0; c < collector_count; c++)
        for (int m = 0; m < collector_table[c]->nmeasurements; m++)
            if (same(collector_table[c]->measurements[m].name, name, len)) {
                *collector = c;
                *meas = m;
                return &collector_table[c]->measurements[m];
            }
    if (same(telemetry_measurement.name, name, len)) {
        *collector = -1;
        *meas = 0;
        return &telemetry_measurement;
    }
    return NULL;
}

int collector_left_out(const char *name, size_t len)
{
    for (int i = 0; left_out[i]; i++)
        if (same(left_out[i], name, len)) return 1;
    return 0;
}

const char *collector_names(void)
{
    static char list[256];
    size_t n = 0;
    if (list[0]) return list;
    for (int c = 0; c < collector_count; c++)
        for (int m = 0; m < collector_table[c]->nmeasurements; m++) {
            const char *s = collector_table[c]->measurements[m].name;
            size_t l = strlen(s);
            if (n + l + 3 > sizeof list) return list;
            if (n) {
                memcpy(list + n, ", ", 2);
                n += 2;
            }
            memcpy(list + n, s, l + 1);
            n += l;
        }
    return list;
}

unsigned collector_bit(int c, int meas)
{
    int k = 0;
    for (int i = 0; i < c; i++) k += collector_table[i]->nmeasurements;
    return 1u << (k + meas);
}
