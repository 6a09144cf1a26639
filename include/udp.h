#ifndef PROCFLUX_UDP_H
#define PROCFLUX_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "log.h"
#include "packer.h"

/*
 * udp: the sender. It knows addresses and sockets, nothing about lines.
 *
 * One connected, non-blocking UDP socket (IPv4 or IPv6, names through
 * getaddrinfo). Datagrams go out in one sendmmsg per batch. Send errors
 * (refused, would-block, no buffer, unreachable) are counted and logged at
 * most once per 10 s; they are never fatal. A name that does not resolve is
 * retried with backoff, and re-resolved every resolve_every seconds and after
 * send errors, so a receiver whose address changes is followed.
 */

#define UDP_OK 0
#define UDP_ERR -1

/** The largest UDP payload over IPv4 (65535 - 8 - 20). */
#define UDP_MAX_PAYLOAD 65507
/** The smallest payload procflux packs into. */
#define UDP_MIN_PAYLOAD 512
/** Datagrams handed to one sendmmsg at most. */
#define UDP_MAX_BATCH 64

struct udp_stats {
    uint64_t datagrams_sent, bytes_sent, lines_sent;
    uint64_t send_errors;     /* failed send calls: datagrams not sent, and refusals
                                 (ECONNREFUSED) reported for an earlier datagram */
    uint64_t datagrams_failed; /* datagrams not sent */
    uint64_t lines_failed;    /* lines in datagrams that could not be sent */
    uint64_t resolve_errors;
};

struct udp_sender {
    char host[256];
    char port[16];
    int fd;                          /* -1 while unresolved */
    struct sockaddr_storage addr;    /* the address connected to */
    socklen_t addrlen;
    int numeric;                     /* host is an IP address: never looked up again */
    double resolve_every;            /* seconds; 0: only after errors */
    double next_resolve;             /* monotonic time of the next attempt */
    double backoff;                  /* seconds between failed attempts */
    int errors_since_resolve;
    struct udp_stats stats;
    struct log_limit send_log, resolve_log;
    struct mmsghdr msgs[UDP_MAX_BATCH];
    struct iovec iov[UDP_MAX_BATCH];
};

/**
 * Set up the sender for @host:@port and try to resolve and connect once.
 * @return UDP_OK when connected; UDP_ERR when the name did not resolve now
 *         (a sentence in @err; the sender retries on its own) — only a bad
 *         port is a permanent error, and config rejects those first.
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
 * Re-resolve when it is due (periodic, after errors, or @force) and reconnect
 * if the address changed. Called by the loop; cheap when nothing is due.
 */
void udp_maintain(struct udp_sender *u, double now, int force);

/**
 * Send @n slots as datagrams (in batches of UDP_MAX_BATCH). Datagrams that
 * could not be sent are counted with their lines. @return how many were sent.
 */
int udp_send(struct udp_sender *u, struct packer_slot **slots, int n, double now);

void udp_close(struct udp_sender *u);

#endif
