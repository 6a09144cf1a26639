/* replay: N simulated procflux hosts from one captured procflux run, over UDP (make bench-receiver).
 *
 *   replay --capture FILE --dest 127.0.0.1:PORT --hosts N --interval-ms I --seconds S
 *          [--single] [--payload BYTES] [--flush-ms F] [--spread] [--first-host K]
 *
 * FILE is `procflux --stdout --host h000000` output: lines grouped into ticks by
 * their timestamp. Each flush period (F ms, default max(1000, I), aligned to the
 * wall clock like procflux's flush) every host sends the F/I ticks it sampled in
 * that period: template ticks in a cycle, the host tag rewritten to h<K+i>
 * (6 digits, same length) and the timestamp to the tick's time. Packed (the
 * default) the lines of one host go whole into datagrams of up to BYTES
 * (default 1472: what procflux picks on a 1500-byte Ethernet IPv4 route;
 * packer.c's rule, a line never split); --single sends one line per datagram
 * (Telegraf's UDP output). Aligned (the default) every host sends at the
 * period's start, the burst procflux's wall-clock ticks make today; --spread
 * gives host i the offset i*F/N within the period (send jitter).
 *
 * Blocking sendmmsg on a connected socket: any loss is the receiver's. Prints
 * one line of key=value: lines, datagrams, bytes, periods, the schedule
 * (late_max_ms: the worst lag of a host's send behind its moment, and
 * periods_late: periods whose last send ended after the next period began),
 * the sender's own CPU and send errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#define HOSTPAT "host=h000000"
#define HOSTDIG 6
#define TSDIG 19
#define BATCH 1024

struct line { size_t off, len, host, ts; }; /* in the capture buffer; host and ts: offsets of the digits */
struct tick { int first, n; };

static char *cap;
static struct line *lines;
static struct tick *ticks;
static int nlines, nticks;

static void die(const char *m) { fprintf(stderr, "replay: %s\n", m); exit(2); }

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void sleep_until(int64_t ns)
{
    struct timespec t = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
    while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &t, NULL) == EINTR) {}
}

static void load(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) die("cannot open the capture");
    size_t cap_len = 0, cap_size = 1 << 20;
    cap = malloc(cap_size);
    size_t r;
    while ((r = fread(cap + cap_len, 1, cap_size - cap_len, f)) > 0) {
        cap_len += r;
        if (cap_len == cap_size) cap = realloc(cap, cap_size *= 2);
    }
    fclose(f);
    lines = calloc(cap_len / 16 + 1, sizeof *lines);
    ticks = calloc(cap_len / 16 + 1, sizeof *ticks);
    size_t pos = 0;
    while (pos < cap_len) {
        char *nl = memchr(cap + pos, '\n', cap_len - pos);
        if (!nl) break;
        size_t len = (size_t)(nl - (cap + pos)) + 1;
        char *h = memmem(cap + pos, len, HOSTPAT, strlen(HOSTPAT));
        char *sp = memrchr(cap + pos, ' ', len);
        if (h && sp && (size_t)(nl - sp - 1) == TSDIG) {
            struct line *l = &lines[nlines];
            l->off = pos;
            l->len = len;
            l->host = (size_t)(h - cap) + strlen(HOSTPAT) - HOSTDIG;
            l->ts = (size_t)(sp - cap) + 1;
            if (nlines == 0 || memcmp(cap + l->ts, cap + lines[nlines - 1].ts, TSDIG) != 0)
                ticks[nticks++] = (struct tick){.first = nlines, .n = 0};
            ticks[nticks - 1].n++;
            nlines++;
        }
        pos += len;
    }
    if (nticks == 0) die("no lines with host=h000000 and a 19-digit timestamp in the capture");
}

static void put_digits(char *p, int64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) { p[i] = (char)('0' + v % 10); v /= 10; }
}

int main(int argc, char **argv)
{
    const char *capture = NULL, *dest = NULL;
    long hosts = 1, interval_ms = 1000, seconds = 10, payload = 1472, flush_ms = 0, first_host = 0;
    int single = 0, spread = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--single")) { single = 1; continue; }
        if (!strcmp(a, "--spread")) { spread = 1; continue; }
        if (!v) die("an option without its value");
        i++;
        if (!strcmp(a, "--capture")) capture = v;
        else if (!strcmp(a, "--dest")) dest = v;
        else if (!strcmp(a, "--hosts")) hosts = atol(v);
        else if (!strcmp(a, "--interval-ms")) interval_ms = atol(v);
        else if (!strcmp(a, "--seconds")) seconds = atol(v);
        else if (!strcmp(a, "--payload")) payload = atol(v);
        else if (!strcmp(a, "--flush-ms")) flush_ms = atol(v);
        else if (!strcmp(a, "--first-host")) first_host = atol(v);
        else die("unknown option");
    }
    if (!capture || !dest || hosts < 1 || first_host + hosts > 999999 || interval_ms < 1 || payload < 512)
        die("usage: replay --capture FILE --dest IP:PORT --hosts N --interval-ms I --seconds S "
            "[--single] [--payload B] [--flush-ms F] [--spread] [--first-host K]");
    if (flush_ms <= 0) flush_ms = interval_ms > 1000 ? interval_ms : 1000;
    load(capture);

    char ip[64];
    const char *colon = strrchr(dest, ':');
    if (!colon || (size_t)(colon - dest) >= sizeof ip) die("--dest IP:PORT");
    memcpy(ip, dest, (size_t)(colon - dest));
    ip[colon - dest] = 0;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) die("--dest: an IPv4 address");
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("socket/connect");
    int sndbuf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

    /* One host's period at a time is built into an arena; datagrams point into it. */
    long per_period = flush_ms / interval_ms;
    size_t maxline = 0, period_bytes = 0;
    for (int i = 0; i < nlines; i++) if (lines[i].len > maxline) maxline = lines[i].len;
    for (long k = 0; k < per_period; k++) {
        const struct tick *t = &ticks[k % nticks];
        for (int j = 0; j < t->n; j++) period_bytes += lines[t->first + j].len;
    }
    size_t arena_size = (size_t)BATCH * (size_t)payload + period_bytes + maxline;
    char *arena = malloc(arena_size);
    struct mmsghdr *msgs = calloc(BATCH + 1, sizeof *msgs);
    struct iovec *iov = calloc(BATCH + 1, sizeof *iov);
    if (!arena || !msgs || !iov) die("out of memory");
    for (int i = 0; i <= BATCH; i++) {
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int nmsg = 0;
    size_t used = 0;
    long long sent_lines = 0, sent_dgrams = 0, sent_bytes = 0, errors = 0;
    long long cycle = 0; /* which template tick comes next, per host alike */

#define FLUSH_BATCH()                                                                           \
    do {                                                                                        \
        int done = 0;                                                                           \
        while (done < nmsg) {                                                                   \
            int r = sendmmsg(fd, msgs + done, (unsigned)(nmsg - done), 0);                      \
            if (r < 0) {                                                                        \
                if (errno == EINTR) continue;                                                   \
                errors++;                                                                       \
                done++; /* counted, skipped: ECONNREFUSED while the listener is away */         \
                continue;                                                                       \
            }                                                                                   \
            for (int q = done; q < done + r; q++) sent_bytes += (long long)iov[q].iov_len;      \
            done += r;                                                                          \
            sent_dgrams += r;                                                                   \
        }                                                                                       \
        nmsg = 0;                                                                               \
        used = 0;                                                                               \
    } while (0)

    int64_t period = (int64_t)flush_ms * 1000000, step = (int64_t)interval_ms * 1000000;
    int64_t start = (now_ns() / period + 1) * period;
    long periods = seconds * 1000 / flush_ms;
    if (periods < 1) periods = 1;
    int64_t late_max = 0, late_sum = 0;
    long periods_late = 0;
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    for (long p = 0; p < periods; p++) {
        int64_t moment = start + p * period;
        for (long h = 0; h < hosts; h++) {
            int64_t when = moment + (spread ? period * h / hosts : 0);
            int64_t n = now_ns();
            if (n < when) {
                if (nmsg) FLUSH_BATCH();
                sleep_until(when);
            } else if (n - when > late_max) {
                late_max = n - when;
            }
            /* this host's lines of the period just ended, packed */
            size_t dgram = used, dlen = 0;
            int dlines = 0;
            for (long k = 0; k < per_period; k++) {
                const struct tick *t = &ticks[(cycle + k) % nticks];
                int64_t ts = moment - period + k * step;
                for (int j = 0; j < t->n; j++) {
                    const struct line *l = &lines[t->first + j];
                    if (dlines && (single || dlen + l->len > (size_t)payload)) {
                        iov[nmsg].iov_base = arena + dgram;
                        iov[nmsg].iov_len = dlen;
                        nmsg++;
                        dgram = used;
                        dlen = 0;
                        dlines = 0;
                        if (nmsg == BATCH) {
                            /* move the open datagram's bytes (none yet) and send */
                            FLUSH_BATCH();
                            dgram = 0;
                        }
                    }
                    char *o = arena + used;
                    memcpy(o, cap + l->off, l->len);
                    put_digits(o + (l->host - l->off), first_host + h, HOSTDIG);
                    put_digits(o + (l->ts - l->off), ts, TSDIG);
                    used += l->len;
                    dlen += l->len;
                    dlines++;
                    sent_lines++;
                }
            }
            if (dlines) {
                iov[nmsg].iov_base = arena + dgram;
                iov[nmsg].iov_len = dlen;
                nmsg++;
            }
            if (nmsg >= BATCH - 64 || used + period_bytes + maxline > arena_size - (size_t)payload) FLUSH_BATCH();
        }
        if (nmsg) FLUSH_BATCH();
        int64_t end = now_ns();
        late_sum += end - (moment + (spread ? period * (hosts - 1) / hosts : 0));
        if (end > moment + period) periods_late++;
        cycle += per_period;
    }
    getrusage(RUSAGE_SELF, &ru1);
    double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                 (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    printf("lines=%lld datagrams=%lld bytes=%lld periods=%ld hosts=%ld template_ticks=%d late_max_ms=%.1f "
           "burst_mean_ms=%.1f periods_late=%ld sender_cpu_s=%.2f send_errors=%lld\n",
           sent_lines, sent_dgrams, sent_bytes, periods, hosts, nticks, (double)late_max / 1e6,
           (double)late_sum / 1e6 / (double)periods, periods_late, cpu, errors);
    return 0;
}
