#ifndef PROCFLUX_UDP_H
#define PROCFLUX_UDP_H

#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "log.h"
#include "packer.h"

/*
 * udp: the sender. It knows addresses and sockets, nothing about lines.
 *
 * One connected, non-blocking UDP socket (IPv4 or IPv6). Datagrams go out in
 * one sendmmsg per batch. Send errors (refused, would-block, no buffer,
 * unreachable) are counted and logged at most once per 10 s; they are never
 * fatal.
 *
 * Names: a numeric address is parsed with inet_pton and never looked up, and
 * starts no thread. A name gets one resolver thread of its own, which does
 * nothing but getaddrinfo when the loop asks and leaves the answer (up to
 * UDP_MAX_ADDRS addresses) in a slot the loop polls on each udp_maintain; the
 * loop never waits on DNS, and keeps sending to the last good address while a
 * look-up is pending. A name that does not resolve is retried with backoff
 * (counted from when the failed answer came), and re-resolved every
 * resolve_every seconds and after send errors, so a receiver whose address
 * changes is followed. udp_close never waits for a pending look-up.
 *
 * Refusals: ECONNREFUSED on a connected UDP socket is the ICMP port
 * unreachable of an *earlier* datagram, reported on a later send (or read
 * with SO_ERROR). The datagram that meets it is sent once more (it may be the
 * first the receiver takes again). From the first refusal on, the destination
 * is "refusing": datagrams sent to it count as failed (lines_failed) as soon
 * as a later refusal says so, and as sent once a send (or a check on a later
 * udp_maintain) finds no refusal; until then they are held in "unconfirmed".
 * The datagrams sent before the first refusal of an outage were counted as
 * sent (counters never go back): at most one flush's worth per outage. A
 * refusal is logged at most once per 10 s. After UDP_FAILOVER_REFUSALS refusals
 * in a row, a name moves on to its next address (in getaddrinfo's order,
 * wrapping around).
 */

#define UDP_OK 0
#define UDP_ERR -1

/** The largest UDP payload over IPv4 (65535 - 8 - 20). */
#define UDP_MAX_PAYLOAD 65507
/** The smallest payload procflux packs into. */
#define UDP_MIN_PAYLOAD 512
/** Datagrams handed to one sendmmsg at most. */
#define UDP_MAX_BATCH 64
/** Addresses of a name kept (and failed over between) at most. */
#define UDP_MAX_ADDRS 8
/** Refusals in a row after which a name moves on to its next address. */
#define UDP_FAILOVER_REFUSALS 3
/** How long udp_init waits for a name's first answer before going on without it (whole seconds). */
#define UDP_INIT_WAIT 1

struct udp_stats {
    /* datagrams handed to the kernel and not known refused */
    uint64_t datagrams_sent, bytes_sent, lines_sent;
    uint64_t send_errors;     /* failed send calls (datagrams not sent), and each
                                 refusal (ECONNREFUSED) reported for an earlier datagram */
    uint64_t datagrams_failed; /* datagrams that reached nobody: not sent, or refused */
    uint64_t lines_failed;    /* lines in those datagrams */
    uint64_t resolve_errors;  /* look-ups that failed */
};

struct udp_resolver; /* a name's resolver thread and its result slot (udp.c) */

struct udp_sender {
    char host[256];
    char port[16];
    int fd;                          /* -1 while unresolved */
    struct sockaddr_storage addr;    /* the address connected to */
    socklen_t addrlen;
    int numeric;                     /* host is an IP address: never looked up */
    double resolve_every;            /* seconds; 0: only after errors */
    double next_resolve;             /* monotonic time of the next attempt; -1: none due */
    double backoff;                  /* seconds between failed attempts */
    int errors_since_resolve;
    /* a name's addresses, from its last good answer; cur: the one connected */
    struct sockaddr_storage addrs[UDP_MAX_ADDRS];
    socklen_t addrlens[UDP_MAX_ADDRS];
    int naddrs, cur;
    struct udp_resolver *resolver;   /* names only; NULL for a numeric host */
    int pending;                     /* a look-up was asked for and has not answered */
    int again;                       /* a forced look-up came while one was pending */
    /* refusals: see the top of this file */
    int refusing;                    /* the last send or check met a refusal */
    int refusals;                    /* refusals in a row at this address */
    double last_send;                /* when datagrams last went out while refusing */
    uint64_t unconfirmed_datagrams, unconfirmed_bytes, unconfirmed_lines;
    struct udp_stats stats;
    struct log_limit send_log, resolve_log, refuse_log, move_log;
    struct mmsghdr msgs[UDP_MAX_BATCH];
    struct iovec iov[UDP_MAX_BATCH];
};

/**
 * Set up the sender for @host:@port and connect. A numeric host connects at
 * once; a name starts its resolver thread and waits up to UDP_INIT_WAIT for
 * the first answer (so the common case starts connected, with the path's MTU
 * known), then goes on without it.
 * @return UDP_OK when connected; UDP_ERR when the name did not resolve, or
 *         did not answer in time (a sentence in @err; the sender retries, or
 *         takes the answer when it comes, on its own) — only a bad port is a
 *         permanent error, and config rejects those first.
 */
int udp_init(struct udp_sender *u, const char *host, const char *port, double resolve_every,
             double now, char *err, size_t errlen);

/**
 * The payload the path allows: the connected route's MTU less IP and UDP
 * headers (IP_MTU / IPV6_MTU), within [UDP_MIN_PAYLOAD, UDP_MAX_PAYLOAD];
 * 1452 when not connected (1500 less IPv6 headers).
 */
size_t udp_path_payload(const struct udp_sender *u);

/**
 * Take a finished look-up's answer (reconnecting if the address changed),
 * ask the resolver thread for a new look-up when one is due (periodic, after
 * errors, or @force), and settle datagrams sent while refusing. Never waits
 * on DNS. Called by the loop every tick; cheap when nothing is due.
 */
void udp_maintain(struct udp_sender *u, double now, int force);

/**
 * Send @n slots as datagrams (in batches of UDP_MAX_BATCH). Datagrams that
 * could not be sent, or that a refusing destination refused, are counted with
 * their lines (see the top of this file). @return how many the kernel took.
 */
int udp_send(struct udp_sender *u, struct packer_slot **slots, int n, double now);

/**
 * Close the socket and end the resolver thread. Never waits for a pending
 * look-up: a thread still in getaddrinfo is left to finish (and free its
 * slot) on its own, or to end with the process.
 */
void udp_close(struct udp_sender *u);

/**
 * The look-up the resolver thread runs: getaddrinfo and freeaddrinfo, which
 * tests replace (a DNS server that never answers, two addresses of a name).
 */
extern int (*udp_getaddrinfo)(const char *host, const char *port, const struct addrinfo *hints,
                              struct addrinfo **res);
extern void (*udp_freeaddrinfo)(struct addrinfo *res);

#endif
