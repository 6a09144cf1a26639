/* udp: connected UDP sockets, a resolver thread per --dest name, sendmmsg, and honest counts of what reached nobody. */
#include "udp.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BACKOFF_MIN 1.0
#define BACKOFF_MAX 60.0
/* A send's refusal, if any, is back on the socket well within this (seconds). */
#define CHECK_AFTER 0.05

int (*udp_getaddrinfo)(const char *, const char *, const struct addrinfo *, struct addrinfo **) = getaddrinfo;
void (*udp_freeaddrinfo)(struct addrinfo *) = freeaddrinfo;

/* One look-up's answer: what the resolver thread hands to the loop. */
struct answer {
    int rc;                  /* getaddrinfo's; 0: n addresses */
    int err;                 /* errno with EAI_SYSTEM */
    int n;
    struct sockaddr_storage addrs[UDP_MAX_ADDRS];
    socklen_t lens[UDP_MAX_ADDRS];
};

/*
 * A name's resolver thread. It does nothing but getaddrinfo: it waits for a
 * request, looks the name up without holding the mutex, and leaves the answer
 * in slot. The loop takes the mutex only for a few copies, never while a
 * look-up runs, so it never waits on DNS. Whoever sees the other gone frees
 * the struct: udp_close when the thread is idle (it joins it), the thread
 * itself when udp_close left it in getaddrinfo (detached).
 */
struct udp_resolver {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake;     /* a request, or stop */
    pthread_cond_t done;     /* an answer (udp_init waits on it, bounded) */
    char host[256], port[16];
    int request, busy, stop, detached;
    atomic_int ready;        /* slot holds an answer the loop has not taken */
    struct answer slot;
};

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

/* ---- refusals ----------------------------------------------------------- */

/* Datagrams sent while refusing get their verdict: refused, or taken. */
static void settle(struct udp_sender *u, int refused)
{
    if (refused) {
        u->stats.datagrams_failed += u->unconfirmed_datagrams;
        u->stats.lines_failed += u->unconfirmed_lines;
    } else {
        u->stats.datagrams_sent += u->unconfirmed_datagrams;
        u->stats.bytes_sent += u->unconfirmed_bytes;
        u->stats.lines_sent += u->unconfirmed_lines;
    }
    u->unconfirmed_datagrams = u->unconfirmed_bytes = u->unconfirmed_lines = 0;
}

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

/*
 * Replace the socket with @fd (keeping the fd number) and remember the
 * address. A new address starts with a clean slate: what was sent to the old
 * one while it refused reached nobody.
 */
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
    settle(u, 1);
    u->refusing = 0;
    u->refusals = 0;
}

/* A name's address refused UDP_FAILOVER_REFUSALS times in a row: try its next ones, in turn. */
__attribute__((cold)) static void fail_over(struct udp_sender *u, double now)
{
    char from[96], to[96];
    for (int k = 1; k < u->naddrs; k++) {
        int i = (u->cur + k) % u->naddrs, fd = connect_to((struct sockaddr *)&u->addrs[i], u->addrlens[i]);
        if (fd < 0) continue;
        describe(&u->addr, from, sizeof from);
        adopt(u, fd, (struct sockaddr *)&u->addrs[i], u->addrlens[i]);
        u->cur = i;
        describe(&u->addr, to, sizeof to);
        log_limited(&u->move_log, now, LOG_WARN, "%s: %s refused %d datagrams in a row; trying its next address, %s",
                    u->host, from, UDP_FAILOVER_REFUSALS, to);
        return;
    }
}

/* A refusal (ICMP port unreachable) came back for an earlier datagram. */
static void refused(struct udp_sender *u, double now)
{
    char where[96];
    u->stats.send_errors++;
    settle(u, 1);
    u->refusing = 1;
    u->refusals++;
    describe(&u->addr, where, sizeof where);
    log_limited(&u->refuse_log, now, LOG_WARN,
                "%s (%s) refuses datagrams (ICMP port unreachable: nothing listens there); counting them as "
                "dropped until it takes them again", u->host, where);
    if (u->naddrs > 1 && u->refusals >= UDP_FAILOVER_REFUSALS) fail_over(u, now);
}

/* A send (or check) found no refusal for what was sent while refusing: it was taken. */
static void accepted(struct udp_sender *u)
{
    settle(u, 0);
    u->refusing = 0;
    u->refusals = 0;
}

/* Read the refusal, if any, of what was last sent while refusing, without sending. */
__attribute__((cold)) static void check_refusal(struct udp_sender *u, double now)
{
    int e = 0;
    socklen_t len = sizeof e;
    if (getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0) return;
    if (e == ECONNREFUSED) refused(u, now);
    else if (e == 0) accepted(u);
    else u->stats.send_errors++; /* another ICMP error: counted, the verdict waits for the next send */
}

/* ---- addresses ---------------------------------------------------------- */

/*
 * A numeric address needs no getaddrinfo: inet_pton and the port. (Besides
 * being instant, this keeps getaddrinfo's code, some 400 KiB of libc pages,
 * out of the resident set of the common case, and starts no thread.)
 */
__attribute__((cold)) static int connect_numeric(struct udp_sender *u, char *err, size_t errlen)
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

/*
 * Use an answer. The socket is replaced only when the current address is not
 * among the answers, so a steady receiver keeps its socket (and the kernel
 * keeps its pending ICMP errors on the right one), and an address failed over
 * to is kept while the name still has it.
 */
__attribute__((cold)) static int use_answer(struct udp_sender *u, const struct answer *a, char *err, size_t errlen)
{
    int keep = -1, fd = -1, i;
    if (a->rc != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", u->host,
                 a->rc == EAI_SYSTEM ? strerror(a->err) : gai_strerror(a->rc));
        return UDP_ERR;
    }
    for (i = 0; i < a->n; i++) {
        u->addrs[i] = a->addrs[i];
        u->addrlens[i] = a->lens[i];
        if (u->fd >= 0 && keep < 0 && a->lens[i] == u->addrlen && memcmp(&a->addrs[i], &u->addr, u->addrlen) == 0)
            keep = i;
    }
    u->naddrs = a->n;
    if (keep >= 0) {
        u->cur = keep;
        return UDP_OK; /* unchanged */
    }
    for (i = 0; i < a->n; i++)
        if ((fd = connect_to((const struct sockaddr *)&a->addrs[i], a->lens[i])) >= 0) break;
    if (fd < 0) {
        snprintf(err, errlen, "cannot connect a UDP socket to %s port %s: %s", u->host, u->port,
                 strerror(errno));
        return UDP_ERR;
    }
    adopt(u, fd, (const struct sockaddr *)&a->addrs[i], a->lens[i]);
    u->cur = i;
    return UDP_OK;
}

/* ---- the resolver thread ------------------------------------------------ */

/* getaddrinfo into @a (the thread's only work; it allocates inside libc). */
__attribute__((cold)) static void lookup(const char *host, const char *port, struct answer *a)
{
    struct addrinfo hints, *res = NULL, *ai;
    int rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_protocol = IPPROTO_UDP;
    hints.ai_flags = AI_ADDRCONFIG;
    rc = udp_getaddrinfo(host, port, &hints, &res);
    if (rc == EAI_NONAME || rc == EAI_ADDRFAMILY) {
        hints.ai_flags = 0; /* loopback-only hosts: AI_ADDRCONFIG hides ::1 and 127.0.0.1 */
        res = NULL;
        rc = udp_getaddrinfo(host, port, &hints, &res);
    }
    a->rc = rc;
    a->err = rc == EAI_SYSTEM ? errno : 0;
    a->n = 0;
    if (rc != 0) return;
    for (ai = res; ai && a->n < UDP_MAX_ADDRS; ai = ai->ai_next) {
        int dup = 0;
        if (ai->ai_addrlen > sizeof a->addrs[0]) continue;
        for (int k = 0; k < a->n && !dup; k++)
            dup = a->lens[k] == ai->ai_addrlen && memcmp(&a->addrs[k], ai->ai_addr, ai->ai_addrlen) == 0;
        if (dup) continue;
        memset(&a->addrs[a->n], 0, sizeof a->addrs[0]);
        memcpy(&a->addrs[a->n], ai->ai_addr, ai->ai_addrlen);
        a->lens[a->n++] = ai->ai_addrlen;
    }
    udp_freeaddrinfo(res);
    if (a->n == 0) a->rc = EAI_NONAME;
}

__attribute__((cold)) static void resolver_free(struct udp_resolver *r)
{
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->wake);
    pthread_cond_destroy(&r->done);
    free(r);
}

__attribute__((cold)) static void *resolver_main(void *arg)
{
    struct udp_resolver *r = arg;
    struct answer a;
    int detached;

    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->request && !r->stop) pthread_cond_wait(&r->wake, &r->mu);
        if (r->stop) break;
        r->request = 0;
        r->busy = 1;
        pthread_mutex_unlock(&r->mu);
        lookup(r->host, r->port, &a);
        pthread_mutex_lock(&r->mu);
        r->busy = 0;
        if (r->stop) break;
        r->slot = a;
        atomic_store_explicit(&r->ready, 1, memory_order_release);
        pthread_cond_broadcast(&r->done);
    }
    detached = r->detached;
    pthread_mutex_unlock(&r->mu);
    if (detached) resolver_free(r); /* udp_close has gone: the struct is ours */
    return NULL;
}

__attribute__((cold)) static int resolver_start(struct udp_sender *u, char *err, size_t errlen)
{
    struct udp_resolver *r = calloc(1, sizeof *r);
    pthread_condattr_t ca;
    sigset_t all, old;
    int rc;

    if (!r) {
        snprintf(err, errlen, "out of memory for the resolver of %s", u->host);
        return -1;
    }
    memcpy(r->host, u->host, sizeof r->host);
    memcpy(r->port, u->port, sizeof r->port);
    atomic_init(&r->ready, 0);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->wake, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->done, &ca);
    pthread_condattr_destroy(&ca);
    /* Signals stay the loop's: the thread starts with all of them blocked. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&r->thread, NULL, resolver_main, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start a resolver thread for %s: %s", u->host, strerror(rc));
        resolver_free(r);
        return -1;
    }
    u->resolver = r;
    return 0;
}

/* Ask the thread for a look-up (none is pending). */
static void request(struct udp_sender *u)
{
    struct udp_resolver *r = u->resolver;
    pthread_mutex_lock(&r->mu);
    r->request = 1;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->mu);
    u->pending = 1;
    u->next_resolve = -1;
}

/*
 * Take the pending look-up's answer if it has come, and use it.
 * @return 1 when none has come yet, else UDP_OK or UDP_ERR (a sentence in @err).
 */
static int take_answer(struct udp_sender *u, char *err, size_t errlen)
{
    struct udp_resolver *r = u->resolver;
    int rc;
    if (!u->pending || !atomic_load_explicit(&r->ready, memory_order_acquire)) return 1;
    /* The slot is the loop's from ready = 1 until it asks again: the thread
       writes it only after a request, which waits for this answer's taking. */
    rc = use_answer(u, &r->slot, err, errlen);
    atomic_store_explicit(&r->ready, 0, memory_order_release);
    u->pending = 0;
    return rc;
}

/* After a look-up's answer (or a numeric connect) at @now: when to look again. */
static void schedule(struct udp_sender *u, int rc, double now)
{
    if (rc != UDP_OK) {
        u->stats.resolve_errors++;
        u->next_resolve = now + u->backoff; /* from the answer, not from the request */
        u->backoff = u->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : u->backoff * 2;
        return;
    }
    u->backoff = BACKOFF_MIN;
    u->errors_since_resolve = 0;
    u->next_resolve = u->resolve_every > 0 ? now + u->resolve_every : -1;
}

/* ---- the contract ------------------------------------------------------- */

__attribute__((cold)) int udp_init(struct udp_sender *u, const char *host, const char *port, double resolve_every,
                                   double now, char *err, size_t errlen)
{
    int rc;
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
        /* A numeric address never changes: no look-ups, no thread for it. */
        unsigned char tmp[sizeof(struct in6_addr)];
        u->numeric = inet_pton(AF_INET, host, tmp) == 1 || inet_pton(AF_INET6, host, tmp) == 1;
    }
    u->resolve_every = u->numeric ? 0 : resolve_every;
    u->backoff = BACKOFF_MIN;
    log_limit_init(&u->send_log, 10);
    log_limit_init(&u->resolve_log, 10);
    log_limit_init(&u->refuse_log, 10);
    log_limit_init(&u->move_log, 10);
    for (int i = 0; i < UDP_MAX_BATCH; i++) {
        u->msgs[i].msg_hdr.msg_iov = &u->iov[i];
        u->msgs[i].msg_hdr.msg_iovlen = 1;
    }
    if (u->numeric) {
        rc = connect_numeric(u, err, errlen);
        if (rc != UDP_OK) u->next_resolve = now + u->backoff;
        return rc;
    }
    if (resolver_start(u, err, errlen) != 0) {
        u->next_resolve = -1; /* no thread, no look-ups: the destination stays unresolved */
        return UDP_ERR;
    }
    request(u);
    {
        /* The common case starts connected; a DNS server that does not answer costs UDP_INIT_WAIT once. */
        struct udp_resolver *r = u->resolver;
        struct timespec t0, dl;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        dl = t0;
        dl.tv_sec += UDP_INIT_WAIT;
        pthread_mutex_lock(&r->mu);
        while (!atomic_load_explicit(&r->ready, memory_order_acquire))
            if (pthread_cond_timedwait(&r->done, &r->mu, &dl) == ETIMEDOUT) break;
        pthread_mutex_unlock(&r->mu);
        clock_gettime(CLOCK_MONOTONIC, &dl);
        now += (double)(dl.tv_sec - t0.tv_sec) + (double)(dl.tv_nsec - t0.tv_nsec) * 1e-9;
    }
    rc = take_answer(u, err, errlen);
    if (rc == 1) {
        snprintf(err, errlen, "cannot resolve %s yet: no answer within %d s; sending to it once one comes",
                 u->host, UDP_INIT_WAIT);
        return UDP_ERR;
    }
    schedule(u, rc, now);
    return rc;
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
    int was_connected = u->fd >= 0, rc;
    struct sockaddr_storage before = u->addr;

    if (u->refusing && u->unconfirmed_datagrams > 0 && now - u->last_send >= CHECK_AFTER) check_refusal(u, now);
    if (u->numeric) {
        if (u->fd >= 0) return;
        if (!force && (u->next_resolve < 0 || now < u->next_resolve)) return;
        rc = connect_numeric(u, err, sizeof err);
    } else {
        if (!u->resolver) return;
        rc = take_answer(u, err, sizeof err);
        if (rc == 1) {
            /* Nothing came back. A look-up already pending is not doubled: a
               forced one (SIGHUP) is asked for once it answers. */
            if (u->pending) {
                if (force) u->again = 1;
                return;
            }
            if (!force && !u->again && (u->next_resolve < 0 || now < u->next_resolve)) return;
            u->again = 0;
            request(u);
            return;
        }
    }
    schedule(u, rc, now);
    if (rc != UDP_OK) {
        log_limited(&u->resolve_log, now, LOG_WARN, "%s; %s, retrying in %.0f s", err,
                    u->fd >= 0 ? "still sending to the last address" : "nothing is sent", u->next_resolve - now);
        return;
    }
    if (!was_connected || memcmp(&before, &u->addr, sizeof before) != 0) {
        describe(&u->addr, where, sizeof where);
        log_msg(LOG_INFO, "%s resolved: sending to %s", u->host, where);
    }
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
    int first = 1;    /* no sendmmsg of this call has run yet */
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
            first = 0;
            /*
             * ECONNREFUSED is the ICMP answer to an *earlier* datagram, reported
             * on this send, which the kernel did not make: count the refusal
             * (the earlier datagrams held as unconfirmed reached nobody) and try
             * this one once more, so the first datagram after a receiver comes
             * back is not thrown away for its predecessor's refusal.
             */
            if (e == ECONNREFUSED && retried != i) {
                retried = i;
                refused(u, now);
                continue;
            }
            count_failed(u, slots[i], e, now);
            i++;
            continue;
        }
        /* No refusal came back for what was sent while refusing: it was taken. */
        if (first && u->refusing && u->unconfirmed_datagrams > 0) accepted(u);
        first = 0;
        for (int k = 0; k < r; k++) {
            if (u->refusing) { /* its fate is known at the next send or check */
                u->unconfirmed_datagrams++;
                u->unconfirmed_bytes += slots[i + k]->len;
                u->unconfirmed_lines += slots[i + k]->lines;
            } else {
                u->stats.datagrams_sent++;
                u->stats.bytes_sent += slots[i + k]->len;
                u->stats.lines_sent += slots[i + k]->lines;
            }
        }
        if (u->refusing) u->last_send = now;
        sent += r;
        i += r;
    }
    /* Errors may mean the receiver moved: look the name up again soon. */
    if (!u->numeric && u->errors_since_resolve >= 3 && !u->pending &&
        (u->next_resolve < 0 || u->next_resolve > now + u->backoff)) {
        u->next_resolve = now + u->backoff;
        u->errors_since_resolve = 0;
    }
    return sent;
}

__attribute__((cold)) void udp_close(struct udp_sender *u)
{
    struct udp_resolver *r = u->resolver;
    if (r) {
        /* Never wait on DNS: a thread still in getaddrinfo is detached and frees r itself. */
        pthread_t t;
        int busy;
        pthread_mutex_lock(&r->mu);
        r->stop = 1;
        busy = r->busy;
        r->detached = busy;
        t = r->thread;
        pthread_cond_signal(&r->wake);
        pthread_mutex_unlock(&r->mu);
        if (busy) {
            pthread_detach(t);
        } else {
            pthread_join(t, NULL);
            resolver_free(r);
        }
        u->resolver = NULL;
        u->pending = 0;
    }
    if (u->fd >= 0) close(u->fd);
    u->fd = -1;
}
