#ifndef PROCFLUX_MEM_H
#define PROCFLUX_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "collector.h"
#include "procfile.h"
#include "sample.h"

/*
 * mem: /proc/meminfo turned into Telegraf's Linux `mem` fields (bytes as
 * integers). cached includes SReclaimable; used = total - available. Fields
 * this kernel does not print are omitted.
 *
 * available: MemAvailable where the kernel prints it (3.14+). Without it,
 * gopsutil's estimate (calculateAvailVmem, the kernel's own 3.14 formula):
 * with W the sum of the zones' "low" watermarks in /proc/zoneinfo times the
 * page size, F = Active(file) + Inactive(file) and S = SReclaimable,
 *     available = MemFree - W + (F - min(F/2, W)) + (S - min(S/2, W)),
 * at least 0 (gopsutil's unsigned arithmetic wraps there instead). It needs
 * all three meminfo lines (2.6.28+) and a readable zoneinfo; without them,
 * gopsutil's fallback: MemFree + Cached (+ SReclaimable, being in cached).
 * The watermarks are read once at open (they change only with
 * vm.min_free_kbytes, vm.watermark_scale_factor or memory hotplug), and only
 * when meminfo has no MemAvailable. Either way available is capped at total.
 */

/** meminfo keys procflux reads, in the order of the table in mem.c. */
enum mem_key {
    MEM_TOTAL, MEM_FREE, MEM_AVAILABLE, MEM_BUFFERS, MEM_CACHED, MEM_SWAP_CACHED,
    MEM_ACTIVE, MEM_INACTIVE, MEM_HIGH_TOTAL, MEM_HIGH_FREE, MEM_LOW_TOTAL, MEM_LOW_FREE,
    MEM_SWAP_TOTAL, MEM_SWAP_FREE, MEM_DIRTY, MEM_WRITEBACK, MEM_WRITEBACK_TMP, MEM_MAPPED,
    MEM_SHMEM, MEM_SLAB, MEM_SRECLAIMABLE, MEM_SUNRECLAIM, MEM_PAGE_TABLES, MEM_COMMIT_LIMIT,
    MEM_COMMITTED_AS, MEM_VMALLOC_TOTAL, MEM_VMALLOC_USED, MEM_VMALLOC_CHUNK,
    MEM_HUGE_PAGES_TOTAL, MEM_HUGE_PAGES_FREE, MEM_HUGE_PAGE_SIZE,
    /* read for the estimate of available, not sent */
    MEM_ACTIVE_FILE, MEM_INACTIVE_FILE, MEM_NKEYS
};

/** Keys before this one are sent as fields of their own (mem_field_names). */
#define MEM_NFIELDKEYS MEM_ACTIVE_FILE

/** Values of one meminfo reading, in bytes (HugePages_* as counts). */
struct mem_values {
    int64_t v[MEM_NKEYS];
    uint64_t present; /* bit k set: key k was read */
};

/** Which key stood on which line, so a stable file parses with one compare a line. */
#define MEM_LINE_CACHE 128
struct mem_line {
    unsigned char len; /* key length; 0: empty slot */
    signed char key;   /* enum mem_key, or -1 for a key procflux does not read */
    char name[30];
};

/**
 * Parse meminfo content. Lines that are malformed, or whose value would not
 * fit in a signed 64-bit byte count, are skipped (their field omitted).
 * @arg cache MEM_LINE_CACHE entries kept between calls (zeroed at first), or NULL.
 */
void mem_parse(const char *buf, size_t len, struct mem_values *out, struct mem_line *cache);

/**
 * Fields for a reading, with no zoneinfo (available falls back to MemFree +
 * Cached where MemAvailable is missing). @return the number of fields written
 * to @out (at most SAMPLE_MAX_FIELDS); 0 when MemTotal is missing.
 */
int mem_fields_of(const struct mem_values *m, struct sample_field *out);

/** mem_fields_of with @wmark_low bytes of zoneinfo low watermarks (< 0: no zoneinfo). */
int mem_fields_with(const struct mem_values *m, int64_t wmark_low, struct sample_field *out);

/** The available field of a reading (see the top of this file), before the cap at total. */
int64_t mem_available(const struct mem_values *m, int64_t wmark_low);

/**
 * The sum of the "low" watermarks in zoneinfo content, in pages: as gopsutil,
 * every line whose first blank-separated word starts with "low" adds its
 * second word when that is an unsigned decimal (else 0). Saturates at
 * UINT64_MAX.
 */
uint64_t mem_parse_zoneinfo_low(const char *buf, size_t len);

struct mem_collector {
    struct procfile pf;
    struct mem_values cur;
    struct mem_line line_cache[MEM_LINE_CACHE];
    int warned;              /* the no-MemTotal warning was given */
    int64_t wmark_low;       /* zoneinfo's low watermarks in bytes, read at open; -1: not read */
};

/**
 * Open @root/meminfo; when its first reading has no MemAvailable, read
 * @root/zoneinfo's low watermarks once (the page size: this process's).
 * @return 0, or -1 with a sentence in @err.
 */
int mem_open(struct mem_collector *m, const char *root, char *err, size_t errlen);

/** Read and parse. @return 0, or -1 when the read failed (no fields this tick). */
int mem_sample(struct mem_collector *m);

/** Fields of the last sample. @return count written to @out. */
int mem_fields(const struct mem_collector *m, struct sample_field *out);

void mem_close(struct mem_collector *m);

/** mem's integer field names, and its percentages (which --window aggregates); NULL-terminated. */
extern const char *const mem_field_names[];
extern const char *const mem_windowed_names[];

/** The table entry: measurement mem, one series, windowed percentages. */
extern const struct collector collector_mem;

#endif
