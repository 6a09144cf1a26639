#include "udp.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BACKOFF_MIN 1.0
#define BACKOFF_MAX 60.0

static void describe(const struct sockaddr_storage *ss, char *buf, size_t len)
{
    char h[NI_MAXHOST], s[NI_MAXSERV];
    if (getnameinfo((const struct sockaddr *)ss, sizeof *ss, h, sizeof h, s, sizeof s,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        snprintf(buf, len, "?");
    else if (ss->ss_family == AF_INET6)
        snprintf(buf, len, "[%s]:%s", h, s);
    else
        snprintf(buf, len, "%s:%s", h, s);
}

/*
 * Resolve and connect. The socket is replaced only when the address changed,
 * so a steady receiver keeps its socket (and the kernel keeps its pending
 * ICMP errors on the right one).
 */
/* Connect a new socket to @sa; @return the fd or -1. */
static int connect_to(const struct sockaddr *sa, socklen_t len)
{
    int fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
    if (fd >= 0 && connect(fd, sa, len) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Replace the socket with @fd (keeping the fd number) and remember the address. */
static void adopt(struct udp_sender *u, int fd, const struct sockaddr *sa, socklen_t len)
{
    if (u->fd >= 0) {
        /* Keep the fd number stable: the set of open fds stays fixed. */
        dup3(fd, u->fd, O_CLOEXEC);
        close(fd);
    } else {
        u->fd = fd;
    }
    memcpy(&u->addr, sa, len);
    u->addrlen = len;
}

/*
 * A numeric address needs no getaddrinfo: inet_pton and the port. (Besides
 * being instant, this keeps getaddrinfo's code, some 400 KiB of libc pages,
 * out of the resident set of the common case.)
 */
static int connect_numeric(struct udp_sender *u, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd, port = atoi(u->port);

    memset(&ss, 0, sizeof ss);
    if (inet_pton(AF_INET, u->host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
        ((struct sockaddr_in *)&ss)->sin_family = AF_INET;
        ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
        len = sizeof(struct sockaddr_in);
    } else if (inet_pton(AF_INET6, u->host, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
        ((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
        len = sizeof(struct sockaddr_in6);
    } else {
        snprintf(err, errlen, "%s is not a numeric address", u->host);
        return UDP_ERR;
    }
    if (u->fd >= 0 && len == u->addrlen && memcmp(&ss, &u->addr, len) == 0) return UDP_OK;
    fd = connect_to((struct sockaddr *)&ss, len);
    if (fd < 0) {
        snprintf(err, errlen, "cannot connect a UDP socket to %s port %s: %s", u->host, u->port,
                 strerror(errno));
        return UDP_ERR;
    }
    adopt(u, fd, (struct sockaddr *)&ss, len);
    return UDP_OK;
}

static int resolve(struct udp_sender *u, char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL, *ai;
    int rc, fd = -1;

    if (u->numeric) return connect_numeric(u, err, errlen);
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_protocol = IPPROTO_UDP;
    hints.ai_flags = AI_ADDRCONFIG;
    rc = getaddrinfo(u->host, u->port, &hints, &res);
    if (rc == EAI_NONAME || rc == EAI_ADDRFAMILY) {
        hints.ai_flags = 0; /* loopback-only hosts: AI_ADDRCONFIG hides ::1 and 127.0.0.1 */
        rc = getaddrinfo(u->host, u->port, &hints, &res);
    }
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", u->host,
                 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return UDP_ERR;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        if (u->fd >= 0 && ai->ai_addrlen == u->addrlen && memcmp(ai->ai_addr, &u->addr, u->addrlen) == 0) {
            freeaddrinfo(res);
            return UDP_OK; /* unchanged */
        }
    }
    for (ai = res; ai; ai = ai->ai_next)
        if ((fd = connect_to(ai->ai_addr, ai->ai_addrlen)) >= 0) break;
    if (fd < 0) {
        snprintf(err, errlen, "cannot connect a UDP socket to %s port %s: %s", u->host, u->port,
                 strerror(errno));
        freeaddrinfo(res);
        return UDP_ERR;
    }
    adopt(u, fd, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(res);
    return UDP_OK;
}

int udp_init(struct udp_sender *u, const char *host, const char *port, double resolve_every,
             double now, char *err, size_t errlen)
{
    memset(u, 0, sizeof *u);
    u->fd = -1;
    /* Copied by hand, like everything on the start-up path: see procfile.c. */
    {
        size_t hl = strlen(host), pl = strlen(port);
        if (hl >= sizeof u->host) hl = sizeof u->host - 1;
        if (pl >= sizeof u->port) pl = sizeof u->port - 1;
        memcpy(u->host, host, hl);
        u->host[hl] = '\0';
        memcpy(u->port, port, pl);
        u->port[pl] = '\0';
    }
    {
        /* A numeric address never changes: no periodic look-ups for it. */
        unsigned char tmp[sizeof(struct in6_addr)];
        u->numeric = inet_pton(AF_INET, host, tmp) == 1 || inet_pton(AF_INET6, host, tmp) == 1;
    }
    u->resolve_every = u->numeric ? 0 : resolve_every;
    u->backoff = BACKOFF_MIN;
    log_limit_init(&u->send_log, 10);
    log_limit_init(&u->resolve_log, 10);
    for (int i = 0; i < UDP_MAX_BATCH; i++) {
        u->msgs[i].msg_hdr.msg_iov = &u->iov[i];
        u->msgs[i].msg_hdr.msg_iovlen = 1;
    }
    if (resolve(u, err, errlen) != UDP_OK) {
        u->next_resolve = now + u->backoff;
        return UDP_ERR;
    }
    u->next_resolve = resolve_every > 0 ? now + resolve_every : -1;
    return UDP_OK;
}

size_t udp_path_payload(const struct udp_sender *u)
{
    int mtu = 0;
    socklen_t len = sizeof mtu;
    size_t payload;
    if (u->fd < 0) return 1452;
    if (u->addr.ss_family == AF_INET6) {
        if (getsockopt(u->fd, IPPROTO_IPV6, IPV6_MTU, &mtu, &len) != 0 || mtu <= 48) return 1452;
        payload = (size_t)mtu - 48;
    } else {
        if (getsockopt(u->fd, IPPROTO_IP, IP_MTU, &mtu, &len) != 0 || mtu <= 28) return 1472;
        payload = (size_t)mtu - 28;
    }
    if (payload > UDP_MAX_PAYLOAD) payload = UDP_MAX_PAYLOAD;
    if (payload < UDP_MIN_PAYLOAD) payload = UDP_MIN_PAYLOAD;
    return payload;
}

void udp_maintain(struct udp_sender *u, double now, int force)
{
    char err[512], where[96];
    int was_connected = u->fd >= 0;
    if (u->numeric && u->fd >= 0) return;
    if (!force && (u->next_resolve < 0 || now < u->next_resolve)) return;
    if (resolve(u, err, sizeof err) != UDP_OK) {
        u->stats.resolve_errors++;
        log_limited(&u->resolve_log, now, LOG_WARN, "%s; retrying in %.0f s", err, u->backoff);
        u->next_resolve = now + u->backoff;
        u->backoff = u->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : u->backoff * 2;
        return;
    }
    if (!was_connected) {
        describe(&u->addr, where, sizeof where);
        log_msg(LOG_INFO, "%s resolved: sending to %s", u->host, where);
    }
    u->backoff = BACKOFF_MIN;
    u->errors_since_resolve = 0;
    u->next_resolve = u->resolve_every > 0 ? now + u->resolve_every : -1;
}

static void count_failed(struct udp_sender *u, struct packer_slot *s, int err, double now)
{
    char where[NI_MAXHOST + NI_MAXSERV + 8];
    u->stats.send_errors++;
    u->stats.datagrams_failed++;
    u->stats.lines_failed += s->lines;
    describe(&u->addr, where, sizeof where);
    log_limited(&u->send_log, now, LOG_WARN, "send to %s (%s) failed: %s; counting and going on",
                u->host, where, strerror(err));
}

int udp_send(struct udp_sender *u, struct packer_slot **slots, int n, double now)
{
    int sent = 0, i = 0;

    if (u->fd < 0) {
        udp_maintain(u, now, 0);
        if (u->fd < 0) {
            for (; i < n; i++) {
                u->stats.send_errors++;
                u->stats.datagrams_failed++;
                u->stats.lines_failed += slots[i]->lines;
            }
            log_limited(&u->send_log, now, LOG_WARN, "%s is not resolved yet: %d datagram(s) dropped",
                        u->host, n);
            return 0;
        }
    }
    int retried = -1; /* index of the datagram already given its second chance */
    while (i < n) {
        int batch = n - i > UDP_MAX_BATCH ? UDP_MAX_BATCH : n - i, r;
        for (int k = 0; k < batch; k++) {
            u->iov[k].iov_base = slots[i + k]->buf;
            u->iov[k].iov_len = slots[i + k]->len;
        }
        r = sendmmsg(u->fd, u->msgs, (unsigned)batch, 0);
        if (r < 0) {
            int e = errno;
            if (e == EINTR) continue;
            u->errors_since_resolve++;
            /*
             * ECONNREFUSED is the ICMP answer to an *earlier* datagram, reported
             * on this send, which the kernel did not make: try this one once
             * more, so the first datagram after a receiver comes back is not
             * thrown away for its predecessor's refusal.
             */
            if (e == ECONNREFUSED && retried != i) {
                retried = i;
                u->stats.send_errors++;
                continue;
            }
            count_failed(u, slots[i], e, now);
            i++;
            continue;
        }
        for (int k = 0; k < r; k++) {
            u->stats.datagrams_sent++;
            u->stats.bytes_sent += slots[i + k]->len;
            u->stats.lines_sent += slots[i + k]->lines;
        }
        sent += r;
        i += r;
    }
    /* Errors may mean the receiver moved: look the name up again soon. */
    if (!u->numeric && u->errors_since_resolve >= 3 && (u->next_resolve < 0 || u->next_resolve > now + u->backoff)) {
        u->next_resolve = now + u->backoff;
        u->errors_since_resolve = 0;
    }
    return sent;
}

void udp_close(struct udp_sender *u)
{
    if (u->fd >= 0) close(u->fd);
    u->fd = -1;
}
