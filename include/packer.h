#ifndef PROCFLUX_PACKER_H
#define PROCFLUX_PACKER_H

#include <stddef.h>
#include <stdint.h>

/*
 * packer: whole lines into datagram-sized slots. It knows boundaries and
 * deadlines, nothing about what a line means or how it is sent.
 *
 * Slots form a ring. A line goes into the current slot if it fits; otherwise
 * that slot is closed (it is full: the next line did not fit) and the next
 * slot opened. A line is never split; a line longer than the payload is
 * counted and dropped.
 *
 * Two things make the caller send:
 *  - PACKER_NO_SPACE: every slot is in use. Take them all, send, release, add
 *    the line again. Several full datagrams then leave in one sendmmsg.
 *  - the deadline: packer_deadline() is when the oldest pending line turns
 *    --flush old. Then take the closed slots, and the open one if its own
 *    first line is due too. Full datagrams go out full; a partial datagram
 *    goes out only when its own oldest line is due, which keeps the mean fill
 *    high whenever a flush window spans enough lines to fill one.
 *
 * Send jitter (packer_jitter): a fleet whose ticks are aligned to the wall
 * clock would fill and send at the same instants. With jitter, a partial
 * datagram leaves @lead before its --flush deadline, and once half the ring
 * is closed its full datagrams leave phase x (90 % of the time that half
 * took to fill) after that moment, instead of when the ring is full: the
 * other half holds what comes meanwhile. Each host has its own phase, so the
 * fleet's sends spread over the whole time a half ring takes to fill, while
 * no line waits longer than --flush.
 */

enum packer_result {
    PACKER_ADDED,    /* stored */
    PACKER_NO_SPACE, /* not stored: take all pending slots, send, release, add again */
    PACKER_TOO_LONG, /* not stored, never will be: counted in lines_dropped */
};

struct packer_slot {
    char *buf;
    size_t len;
    uint32_t lines;
    double first; /* arrival time of its first line */
};

struct packer {
    size_t payload;            /* bytes per datagram */
    double lead;               /* jitter: partial datagrams leave this much before --flush */
    double phase;              /* jitter: this host's phase in [0, 1); -1: off */
    double half_at;            /* when the ring got half full; -1: it is not */
    double flush;              /* seconds a line may wait */
    int nslots;
    struct packer_slot *slots; /* ring of nslots */
    char *mem;                 /* their buffers, one allocation */
    int head;                  /* oldest slot in use */
    int closed;                /* full slots from head on; head + closed is the open one */
    uint64_t lines_dropped;    /* too long for any datagram */
};

/**
 * Allocate @nslots slots of @payload bytes; lines may wait @flush seconds.
 * @return 0, or -1 (bad arguments or out of memory).
 */
int packer_init(struct packer *p, size_t payload, int nslots, double flush);

/** Add one whole line (ending in '\n') that arrived at @now (seconds, any monotonic base). */
enum packer_result packer_add(struct packer *p, const char *line, size_t len, double now);

/** Number of slots holding data. */
int packer_pending(const struct packer *p);

/**
 * Jitter the sends: partial datagrams leave @lead seconds before their
 * deadline (0 <= lead <= flush), full ones @phase (in [0, 1)) of the way
 * through the time a half ring takes to fill, after half the ring is closed
 * (@phase < 0: only when the ring is full, the default).
 */
void packer_jitter(struct packer *p, double lead, double phase);

/** When the oldest pending line is due, or -1 when nothing is pending. */
double packer_deadline(const struct packer *p);

/**
 * Hand out, oldest first, the slots to send now into @out (room for nslots):
 * with @all every slot holding data; otherwise the closed slots, plus the open
 * slot when its first line is due at @now.
 * @return how many; pass the same count to packer_release once sent.
 */
int packer_take(struct packer *p, int all, double now, struct packer_slot **out);

/** Empty the @n oldest slots handed out by packer_take. */
void packer_release(struct packer *p, int n);

void packer_free(struct packer *p);

#endif
