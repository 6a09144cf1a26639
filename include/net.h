#ifndef PROCFLUX_NET_H
#define PROCFLUX_NET_H

#include <stddef.h>
#include <stdint.h>

#include "collector.h"
#include "match.h"
#include "procfile.h"
#include "sample.h"
#include "slots.h"

/*
 * net: /proc/net/dev as Telegraf's `net` measurement, one series per
 * interface (tag `interface`), with the integer counters bytes_sent,
 * bytes_recv, packets_sent, packets_recv, err_in, err_out, drop_in and
 * drop_out, cumulative as the kernel prints them (Telegraf sends no deltas
 * either). The columns are the ones gopsutil's IOCounters reads since
 * gopsutil PR #285 (2016): receive bytes, packets, errs, drop and transmit
 * bytes, packets, errs, drop.
 *
 * Which interfaces: a list of globs (--net-interfaces), or by default every
 * interface but "lo". Telegraf's default also skips interfaces that are down;
 * /proc/net/dev does not say which are, and asking (SIOCGIFFLAGS or sysfs per
 * interface per tick) costs a syscall each, so procflux reports down
 * interfaces too (their counters simply stand still).
 *
 * Interfaces come and go (containers create and destroy veths), but the
 * per-tick path allocates nothing, so each interface reported holds a slot of
 * a table sized at open (slots.h, whose ageing rule applies: a slot is free
 * from the reading after one its interface was absent from; a new interface
 * takes a never-used slot first, so one that flaps tends to find its old
 * slot, name and series prefix still there). When no slot is free the
 * interface is skipped and counted. Of two lines with one name, the first
 * wins.
 *
 * speed (Telegraf v1.30+): /sys/class/net/IF/speed in Mbit/s, -1 when it
 * cannot be read or parsed (a link that is down, a virtual interface: EINVAL).
 * Read when an interface takes a slot (first seen, or a new one in a slot
 * another had), not every tick: one open + read + close, nothing allocated.
 * A later change of speed (renegotiation, a link that comes up after procflux
 * started) shows when the interface next takes a slot. Without a sysfs root
 * (under --proc-root: that root's sysfs is not there) it is -1. Collectors
 * made by net_init (tests, fuzzers) send no speed.
 *
 * Names are at most 15 bytes (IFNAMSIZ - 1). The kernel allows ',', '=' and
 * '\' in them; the caller escapes the tag value, but a name ending in a
 * backslash cannot be written in InfluxDB 1.x line protocol at all (the
 * backslash would escape the delimiter after it), so such an interface is
 * skipped, as are malformed lines.
 */

/** The most slots a collector has. */
#define NET_MAX_SLOTS 256
/** Longest interface name (IFNAMSIZ - 1). */
#define NET_NAME_MAX 15
/** Lines whose decision (which slot, or not reported) is remembered, at most. */
#define NET_MAX_LINE_CACHE 1024

/** The 16 columns of a /proc/net/dev line, in the kernel's order. */
enum net_counter {
    NET_RX_BYTES, NET_RX_PACKETS, NET_RX_ERRS, NET_RX_DROP, NET_RX_FIFO, NET_RX_FRAME,
    NET_RX_COMPRESSED, NET_RX_MULTICAST, NET_TX_BYTES, NET_TX_PACKETS, NET_TX_ERRS, NET_TX_DROP,
    NET_TX_FIFO, NET_TX_COLLS, NET_TX_CARRIER, NET_TX_COMPRESSED, NET_NCOUNTERS
};

/** The counter fields of one series, in the order net_fields writes them (speed comes after). */
#define NET_NFIELDS 8
/** The most fields net_fields writes: the counters and speed. */
#define NET_NFIELDS_MAX (NET_NFIELDS + 1)

/** Every field name net can emit (NULL-terminated), in net_fields' order. */
extern const char *const net_field_names[];

/** One parsed line. */
struct net_iface_values {
    char name[NET_NAME_MAX + 1]; /* NUL-terminated */
    size_t len;                  /* strlen(name), 1..NET_NAME_MAX */
    uint64_t c[NET_NCOUNTERS];
};

/**
 * Parse one /proc/net/dev line: [blanks] name ':' [blanks] 16 unsigned
 * decimals separated by blanks [blanks] ['\r'].
 * There may be no blank after the colon: old kernels (2.6.18 and 2.6.32 at
 * least) printed "%6s:%8lu", so a byte count of 8 digits or more touches it
 * ("eth0:12345678"); today's print "%6s: %7llu".
 * The name is what stands between the leading blanks and the first ':'; it
 * must be 1..NET_NAME_MAX bytes without whitespace or NUL, and must not end
 * in a backslash. Counters above UINT64_MAX, fewer or more than 16 of them,
 * or anything else after them make the line malformed.
 * @arg line the line without its '\n' (need not be NUL-terminated).
 * @return 1 with @out filled, or 0 for a header, malformed or unwritable line.
 */
int net_parse_line(const char *line, size_t len, struct net_iface_values *out);

struct net_collector {
    struct procfile pf;
    const struct match_list *only; /* NULL or empty: all but "lo" */
    struct slots slots;          /* interfaces and the line cache (slots.h: the ageing rule) */
    uint64_t (*v)[NET_NFIELDS];  /* per slot, net_field_names order */
    int nslots;                  /* slots_count(&slots) */
    int with_speed;              /* send speed (net_open); net_init: not */
    const char *sys_root;        /* where class/net/IF/speed is read; NULL: speed is -1 */
    int64_t *speed;              /* per slot, read when the slot took its interface */
    unsigned *speed_gen;         /* the slot generation speed[] was read for (0: never) */
    int skipped;                 /* selected interfaces with no slot in the last reading */
};

/**
 * Open @root/net/dev (root "/proc" when NULL) and size everything from a
 * first read: max(2 * selected, selected + 16) slots (at most NET_MAX_SLOTS),
 * and a buffer with room for that many more lines than the file holds now.
 * @arg only the interfaces to report (globs), or NULL / n == 0 for all but
 *      "lo". The collector keeps the pointer: the caller keeps the list alive
 *      and unchanged until net_close.
 * @return 0, or -1 with a sentence in @err when the file cannot be opened or
 *         read, or memory runs out.
 */
int net_open(struct net_collector *n, const char *root, const struct match_list *only, char *err,
             size_t errlen);

/** net_open, with speed read under @sys_root ("/sys"; NULL: speed -1). The string must outlive @n. */
int net_open_sys(struct net_collector *n, const char *root, const char *sys_root, const struct match_list *only,
                 char *err, size_t errlen);

/** Telegraf's speed from the content of a sysfs speed file: "1000\n" is 1000; anything not an int64 is -1. */
int64_t net_parse_speed(const char *buf, size_t len);

/**
 * A collector with @nslots slots (1..NET_MAX_SLOTS) and @nlines line-cache
 * entries (0..NET_MAX_LINE_CACHE; 0 disables the cache) and no file: fed by
 * net_update. For tests and fuzzers; net_open uses it too.
 * @return 0, or -1 with a sentence in @err.
 */
int net_init(struct net_collector *n, const struct match_list *only, int nslots, int nlines,
             char *err, size_t errlen);

/**
 * Take one reading from /proc/net/dev content (@len bytes, need not be
 * NUL-terminated). Only complete lines count: a last line without '\n' may be
 * cut and is ignored. Of two lines with the same name, the first wins.
 * Allocates nothing. @return how many slots the reading filled.
 */
int net_update(struct net_collector *n, const char *buf, size_t len);

/** Read the file and net_update. @return 0, or -1 when the read failed (every slot is then free). */
int net_sample(struct net_collector *n);

/** @return the number of slots (nslots). */
int net_slots(const struct net_collector *n);

/** The interface in @slot, or NULL when the slot is free (absent from the last reading). */
const char *net_slot_name(const struct net_collector *n, int slot);

/**
 * The generation of @slot: it changes whenever the slot takes a different
 * interface, so the caller rebuilds that series' escaped prefix only then.
 */
unsigned net_slot_gen(const struct net_collector *n, int slot);

/**
 * The fields of @slot from the last reading (at most NET_NFIELDS_MAX; a
 * counter above INT64_MAX is left out; speed last, when with_speed).
 * @return the count written to @out; 0 when the slot is free.
 */
int net_fields(const struct net_collector *n, int slot, struct sample_field *out);

/** Close the file and free the tables. Safe on a zeroed struct. */
void net_close(struct net_collector *n);

/*
 * The collector table's entry (collector.h): measurement "net", tag
 * "interface"; interfaces from env->cfg->net_interfaces (NULL cfg or empty
 * list: all but "lo"). Its sample warns (at most once a minute) when
 * interfaces were skipped for lack of a slot.
 */
extern const struct collector collector_net;

#endif
