/*
 * sink: a UDP receiver on 127.0.0.1 for the benchmark.
 *
 *   sink OUTFILE [PORTFILE]
 *
 * Binds a free loopback port, prints it on standard output (and into PORTFILE
 * when given), and counts what arrives: datagrams, bytes, lines ('\n'),
 * datagram sizes, lines per measurement (cpu, mem, system, procflux), and the
 * last `procflux` self-telemetry line. For collectd's binary protocol it
 * counts value lists and distinct cpu read times (one per collectd interval).
 *
 * SIGUSR1 writes a snapshot of the counts (key=value lines) to OUTFILE.N
 * (N = 1, 2, ...); SIGTERM drains the socket, writes OUTFILE and exits 0.
 * The bench script takes snapshots at the start and the end of the measured
 * window and works out rates from their difference.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MAXDGRAM 65536
#define LASTLINE 4096

static volatile sig_atomic_t stop, snap;

static struct {
    uint64_t datagrams, bytes, lines, min_size, max_size;
    uint64_t m_cpu, m_mem, m_system, m_procflux, m_other;
    uint64_t cd_values, cd_cpu_reads;
    uint64_t partial_lines; /* datagrams not ending in '\n' (line protocol only) */
} c;
static char last_pf[LASTLINE];

static void on_signal(int sig)
{
    if (sig == SIGUSR1) snap = 1;
    else stop = 1;
}

static int starts(const char *p, const char *end, const char *m)
{
    size_t n = strlen(m);
    return (size_t)(end - p) > n && memcmp(p, m, n) == 0 && (p[n] == ',' || p[n] == ' ');
}

static void count_line(const char *p, const char *end)
{
    if (starts(p, end, "cpu")) c.m_cpu++;
    else if (starts(p, end, "mem")) c.m_mem++;
    else if (starts(p, end, "system")) c.m_system++;
    else if (starts(p, end, "procflux")) {
        size_t n = (size_t)(end - p);
        c.m_procflux++;
        if (n >= LASTLINE) n = LASTLINE - 1;
        memcpy(last_pf, p, n);
        last_pf[n] = '\0';
    } else c.m_other++;
}

static uint16_t be16(const unsigned char *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* collectd's binary protocol: parts of type(2) length(2) content; identity
 * parts (plugin, plugin instance, type instance) persist within a packet until
 * changed. One read of the cpu plugin sends cpu/0/percent-user once, so those
 * value lists count collectd's cpu reads (its ticks). */
static void count_collectd(const unsigned char *p, size_t len)
{
    const unsigned char *end = p + len;
    int plugin_cpu = 0, inst0 = 0, user = 0;
    while (end - p >= 4) {
        uint16_t type = be16(p), plen = be16(p + 2);
        const char *str = (const char *)p + 4;
        size_t slen = plen > 4 ? strnlen(str, plen - 4u) : 0;
        if (plen < 4 || plen > end - p) break;
        if (type == 0x0002) plugin_cpu = slen == 3 && memcmp(str, "cpu", 3) == 0;
        else if (type == 0x0003) inst0 = slen == 1 && str[0] == '0';
        else if (type == 0x0005) user = slen == 4 && memcmp(str, "user", 4) == 0;
        else if (type == 0x0006) { /* values: one value list */
            c.cd_values++;
            if (plugin_cpu && inst0 && user) c.cd_cpu_reads++;
        }
        p += plen;
    }
}

static void count(const char *buf, size_t n)
{
    c.datagrams++;
    c.bytes += n;
    if (c.datagrams == 1 || n < c.min_size) c.min_size = n;
    if (n > c.max_size) c.max_size = n;
    if (n >= 4 && buf[0] == 0) { /* collectd: a part header (line protocol never starts with NUL) */
        count_collectd((const unsigned char *)buf, n);
        return;
    }
    const char *p = buf, *end = buf + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            c.partial_lines++;
            break;
        }
        c.lines++;
        count_line(p, nl);
        p = nl + 1;
    }
}

static int write_counts(const char *path)
{
    char tmp[4096];
    FILE *f;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!(f = fopen(tmp, "w"))) return -1;
    fprintf(f, "datagrams=%llu\nbytes=%llu\nlines=%llu\nmin_size=%llu\nmax_size=%llu\n",
            (unsigned long long)c.datagrams, (unsigned long long)c.bytes, (unsigned long long)c.lines,
            (unsigned long long)c.min_size, (unsigned long long)c.max_size);
    fprintf(f, "lines_cpu=%llu\nlines_mem=%llu\nlines_system=%llu\nlines_procflux=%llu\nlines_other=%llu\n",
            (unsigned long long)c.m_cpu, (unsigned long long)c.m_mem, (unsigned long long)c.m_system,
            (unsigned long long)c.m_procflux, (unsigned long long)c.m_other);
    fprintf(f, "unterminated=%llu\ncd_values=%llu\ncd_cpu_reads=%llu\n",
            (unsigned long long)c.partial_lines, (unsigned long long)c.cd_values,
            (unsigned long long)c.cd_cpu_reads);
    /* The last self-telemetry line's fields, as pf_<name>=<value>. */
    if (last_pf[0]) {
        const char *sp = last_pf;
        /* skip the series (measurement and tags, with escaped spaces) */
        while (*sp && !(*sp == ' ' && sp[-1] != '\\')) sp++;
        if (*sp) sp++;
        while (*sp && *sp != ' ') {
            const char *eq = strchr(sp, '='), *stop_at = sp + strcspn(sp, ", ");
            if (!eq || eq > stop_at) break;
            const char *v = eq + 1, *ve = v + strcspn(v, ", ");
            if (ve > v && ve[-1] == 'i') ve--;
            fprintf(f, "pf_%.*s=%.*s\n", (int)(eq - sp), sp, (int)(ve - v), v);
            sp = v + strcspn(v, ", ");
            if (*sp == ',') sp++;
        }
        fprintf(f, "last_procflux_line=%s\n", last_pf);
    }
    if (fclose(f) != 0) return -1;
    return rename(tmp, path);
}

int main(int argc, char **argv)
{
    static char buf[MAXDGRAM];
    struct sockaddr_in sa;
    socklen_t salen = sizeof sa;
    struct sigaction act;
    int fd, rcv = 32 << 20, nsnap = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: sink OUTFILE [PORTFILE]\n");
        return 2;
    }
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("socket");
        return 1;
    }
    /* As root, FORCE goes past net.core.rmem_max; otherwise we get what the cap allows. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    {
        /* Wake now and then, so a SIGUSR1 that lands just before recv is not
           left waiting for the next datagram (a second away at 100 Hz). */
        struct timeval tv = {0, 50000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &salen) != 0) {
        perror("bind");
        return 1;
    }

    memset(&act, 0, sizeof act);
    act.sa_handler = on_signal; /* no SA_RESTART: recv returns EINTR */
    sigaction(SIGTERM, &act, NULL);
    sigaction(SIGINT, &act, NULL);
    sigaction(SIGUSR1, &act, NULL);

    printf("%d\n", ntohs(sa.sin_port));
    fflush(stdout);
    if (argc > 2) {
        FILE *pf = fopen(argv[2], "w");
        if (!pf) {
            perror(argv[2]);
            return 1;
        }
        fprintf(pf, "%d\n", ntohs(sa.sin_port));
        fclose(pf);
    }

    while (!stop) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n >= 0) count(buf, (size_t)n);
        else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
            perror("recv");
            return 1;
        }
        if (snap) {
            char path[4096];
            snap = 0;
            snprintf(path, sizeof path, "%s.%d", argv[1], ++nsnap);
            write_counts(path);
        }
    }
    /* Drain what is already queued. */
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0) break;
        count(buf, (size_t)n);
    }
    if (write_counts(argv[1]) != 0) {
        perror(argv[1]);
        return 1;
    }
    return 0;
}
