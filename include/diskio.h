#ifndef PROCFLUX_DISKIO_H
#define PROCFLUX_DISKIO_H

#include <stddef.h>
#include <stdint.h>

#include "collector.h"
#include "match.h"
#include "procfile.h"
#include "sample.h"
#include "slots.h"

/*
 * diskio: /proc/diskstats as Telegraf's `diskio` measurement, one series per
 * block device, tagged `name`. Fields are the kernel's cumulative counters as
 * Telegraf (gopsutil's IOCounters) sends them, no deltas. Columns 1-3 are
 * major, minor and name; then, by column:
 *    4 reads                            9 merged_writes
 *    5 merged_reads                    10 write_bytes (sectors written * 512)
 *    6 read_bytes (sectors read * 512) 11 write_time (ms)
 *    7 read_time (ms)                  12 iops_in_progress
 *    8 writes                          13 io_time (ms), 14 weighted_io_time (ms)
 *
 * Kernels before 4.18 print 14 columns, 4.18 adds four for discards (18),
 * 5.5 two for flushes (20): any line with at least 14 is read and the
 * columns past 14 are ignored. Lines with fewer (the 7-column partition
 * lines of 2.6 before 2.6.25) are skipped. Sectors are always 512 bytes in
 * diskstats, whatever the device's block size. Like gopsutil, a device
 * whose eleven counters are all zero (never used) gets no line.
 *
 * Device selection. With a pattern list (--diskio-devices) every device whose
 * name matches a glob is reported, partitions and loop devices included.
 * Without one (the default) only whole disks are, minus loopN, ramN and zramN
 * (idle noise on most hosts). Whether a device is a whole disk is decided
 * once, the first time it is seen:
 *   - when <sysroot>/dev/block/MAJ:MIN exists, it is a partition iff
 *     <sysroot>/dev/block/MAJ:MIN/partition exists (what the kernel says);
 *   - otherwise (no sysfs, or no entry) by name: sd, hd, vd and xvd followed
 *     by letters and then digits (sda1, xvdb3) are partitions, and so is any
 *     name of the form <...digit>p<digits> (nvme0n1p2, mmcblk0p1, md127p1,
 *     loop0p1, cciss/c0d0p1); everything else (sda, nvme0n1, mmcblk0,
 *     mmcblk0boot0, dm-0, md0, sr0) is a whole disk.
 *
 * Devices come and go (hotplug, loop devices, dm targets), but nothing may be
 * allocated per tick, so series live in a table of slots sized at open
 * (slots.h, whose ageing rule applies). A device is its name and major:minor:
 * it takes a slot the first time it is seen and keeps it while it stays; a
 * slot whose device was absent from a reading is free from the next one on,
 * and a device that returns before its slot was reused gets the same slot
 * back (same generation). When no slot is free the device is skipped. Of two
 * lines with one device, the last one's values win.
 */

/** Most series a collector can hold. */
#define DISKIO_MAX_SLOTS 256
/** Device names longer than this are skipped. */
#define DISKIO_NAME_MAX 31
/** Counters read from a line: diskstats columns 4 to 14. */
#define DISKIO_NSTATS 11
/** Smallest read buffer: about 500 devices, whatever the file held at open. */
#define DISKIO_MIN_BUF 65536
/** Most lines whose device decision is remembered between readings. */
#define DISKIO_MAX_LINES 4096

/** Index of each counter in diskio_values.v, in diskstats order (column - 4). */
enum diskio_stat {
    DISKIO_READS, DISKIO_MERGED_READS, DISKIO_SECTORS_READ, DISKIO_READ_TIME,
    DISKIO_WRITES, DISKIO_MERGED_WRITES, DISKIO_SECTORS_WRITTEN, DISKIO_WRITE_TIME,
    DISKIO_IN_PROGRESS, DISKIO_IO_TIME, DISKIO_WEIGHTED_IO_TIME
};

/** One parsed diskstats line. */
struct diskio_values {
    uint32_t major, minor;
    const char *name; /* points into the parsed line, not NUL-terminated */
    size_t name_len;
    uint64_t v[DISKIO_NSTATS];
    unsigned big;     /* bit k set: v[k] was above INT64_MAX (its field is omitted) */
    int columns;      /* whitespace-separated columns on the line (14, 18, 20...) */
};

/**
 * Parse one complete line of /proc/diskstats, @len bytes without its '\n'
 * (need not be NUL-terminated). The grammar: blanks, major and minor (decimal,
 * within 32 bits), a name of 1 to DISKIO_NAME_MAX bytes in 0x21-0x7e or
 * 0x80-0xff not ending in a backslash (InfluxDB 1.x cannot take a tag value
 * ending in one), then at least 11 decimal counters; every column after the
 * name must be decimal (those past the 11th are counted, not kept), and
 * columns are separated by spaces or tabs only (so CRLF is refused). A counter above
 * INT64_MAX (or UINT64_MAX) keeps the line valid and is flagged in @out->big.
 * @return 1 when the line is valid, 0 to skip it (@out is then undefined).
 */
int diskio_parse_line(const char *line, size_t len, struct diskio_values *out);

/**
 * Whether a device name looks like a partition by the name rule above (used
 * when sysfs has no entry for it). @return 1 or 0.
 */
int diskio_name_is_partition(const char *name, size_t len);

/**
 * Fields of one reading, in Telegraf's order: reads, writes, read_bytes,
 * write_bytes, read_time, write_time, io_time, weighted_io_time,
 * iops_in_progress, merged_reads, merged_writes. A counter above INT64_MAX,
 * or a byte count that would be, is omitted.
 * @return fields written to @out (at most DISKIO_NSTATS); 0 when all eleven
 *         counters are zero.
 */
int diskio_fields_of(const struct diskio_values *v, struct sample_field *out);

/** The counters of the device in one slot, from the last reading. */
struct diskio_stats {
    uint64_t v[DISKIO_NSTATS];
    unsigned big;
};

struct diskio_collector {
    struct procfile pf;
    struct match_list only;      /* n == 0: whole disks, minus loop/ram/zram */
    char sysroot[192];           /* "" when sysfs is not consulted */
    struct slots slots;          /* devices (name, id major << 32 | minor) and the line cache */
    struct diskio_stats *stats;  /* nslots */
    int nslots;                  /* slots_count(&slots) */
    int skipped;                 /* reported devices left without a slot in the last reading */
    int maxlines;                /* lines the line cache remembers */
};

/**
 * Open @root/diskstats (root "/proc" when NULL) with a read buffer of at
 * least DISKIO_MIN_BUF, read it once, decide for each device whether it is
 * reported, and size the slot table: max(2 * selected, selected + 16) slots, at most
 * DISKIO_MAX_SLOTS, where selected is the number of devices the filter keeps
 * in that first reading.
 * @arg sysroot where sysfs is mounted ("/sys"), or NULL to use the name rule only.
 * @arg only device name globs (copied; the strings must outlive @d), or NULL
 *      or n == 0 for the default selection.
 * @return 0, or -1 with a sentence in @err when the file cannot be opened or read.
 */
int diskio_open(struct diskio_collector *d, const char *root, const char *sysroot,
                const struct match_list *only, char *err, size_t errlen);

/** Read and parse. @return 0, or -1 when the read failed (no device is present then). */
int diskio_sample(struct diskio_collector *d);

/**
 * Parse @buf (@len bytes) as one reading: what diskio_sample does after the
 * read. A last line without '\n' may be cut and is skipped. The counters of
 * a device that is not reported are not even parsed. For tests and the fuzzer.
 */
void diskio_update(struct diskio_collector *d, const char *buf, size_t len);

/** Number of slots (fixed at open). */
int diskio_slots(const struct diskio_collector *d);

/** Device name in @slot, or NULL when the slot is free (its device absent from the last reading). */
const char *diskio_slot_name(const struct diskio_collector *d, int slot);

/**
 * Generation of @slot: changes whenever the slot takes a different device,
 * so the caller rebuilds that series' escaped prefix only then. 0 for a
 * slot never used.
 */
unsigned diskio_slot_gen(const struct diskio_collector *d, int slot);

/**
 * Fields of @slot's device from the last reading (see diskio_fields_of).
 * @return count written to @out (at most DISKIO_NSTATS); 0 when the slot is
 *         free or out of range.
 */
int diskio_fields(const struct diskio_collector *d, int slot, struct sample_field *out);

/** Close the file and free the tables. Safe on a zeroed struct. */
void diskio_close(struct diskio_collector *d);

/** Every field name diskio can emit, NULL-terminated. */
extern const char *const diskio_field_names[];

/** The counters --window adds per-second rates of (reads, writes, read_bytes, write_bytes, io_time). */
extern const char *const diskio_rated_names[];

/*
 * The collector table's entry (collector.h): measurement "diskio", tag
 * "name"; devices from env->cfg->diskio_devices (NULL cfg or empty list: the
 * default selection), sysfs at env->sys_root (NULL: the name rule only). Its
 * sample warns (at most once a minute) when disks were skipped for lack of
 * a slot.
 */
extern const struct collector collector_diskio;

#endif
