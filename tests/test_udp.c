/*
 * Unit tests of udp: the sender, against real sockets on loopback only.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "udp.h"

/* A UDP socket of our own bound to loopback on a free port; the port in @port. */
/* A loopback UDP socket bound to @want (0: any free port); its port in @port. */
static int bind_receiver_at(int family, unsigned want, char port[16])
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0), rcvbuf = 8 << 20;
    if (fd < 0) return -1;
    memset(&ss, 0, sizeof ss);
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        a->sin6_port = htons((uint16_t)want);
        len = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a->sin_port = htons((uint16_t)want);
        len = sizeof *a;
    }
    if (bind(fd, (struct sockaddr *)&ss, len) != 0) {
        close(fd);
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    len = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &len);
    snprintf(port, 16, "%u",
             ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                      : ((struct sockaddr_in *)&ss)->sin_port));
    return fd;
}

static int bind_receiver(int family, char port[16]) { return bind_receiver_at(family, 0, port); }

/* Bind again to the port of an earlier receiver (@port as printed). */
static int bind_receiver_on(int family, const char *port)
{
    char again[16];
    return bind_receiver_at(family, (unsigned)atoi(port), again);
}

/* One datagram within @ms milliseconds; its length, or -1. */
static ssize_t recv_one(int fd, char *buf, size_t cap, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, ms) != 1) return -1;
    return recv(fd, buf, cap, 0);
}

struct slots {
    struct packer_slot s[256];
    struct packer_slot *p[256];
    int n;
};

/* Add a slot holding @nlines lines of filler making @len bytes in all. */
static void add_slot(struct slots *sl, size_t len, uint32_t nlines, int seed)
{
    struct packer_slot *s = &sl->s[sl->n];
    size_t per = len / nlines;
    s->buf = malloc(len);
    ck_assert_ptr_nonnull(s->buf);
    for (size_t i = 0; i < len; i++) s->buf[i] = (char)('a' + (int)((i * 7 + (size_t)seed) % 26));
    for (uint32_t l = 1; l <= nlines; l++) s->buf[l == nlines ? len - 1 : l * per - 1] = '\n';
    s->len = len;
    s->lines = nlines;
    s->first = 0;
    sl->p[sl->n] = s;
    sl->n++;
}

static void free_slots(struct slots *sl)
{
    for (int i = 0; i < sl->n; i++) free(sl->s[i].buf);
    sl->n = 0;
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Threads of this process, from /proc/self/status. */
static int threads(void)
{
    char line[256];
    int n = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1) break;
    fclose(f);
    return n;
}

/* Standard error into a temporary file, to read what was logged. */
static int saved_stderr = -1;
static FILE *captured;
static void capture_stderr(void)
{
    fflush(stderr);
    captured = tmpfile();
    ck_assert_ptr_nonnull(captured);
    saved_stderr = dup(2);
    dup2(fileno(captured), 2);
}
/* Stop capturing; @return what was logged (static buffer). */
static const char *captured_text(void)
{
    static char text[8192];
    size_t n;
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    rewind(captured);
    n = fread(text, 1, sizeof text - 1, captured);
    text[n] = '\0';
    fclose(captured);
    return text;
}

/*
 * A scripted getaddrinfo for the resolver thread: each call takes the next
 * step. A step answers addresses (127.0.0.x, port), fails, or blocks until
 * fake_release() (a DNS server that never answers).
 */
enum step { ANSWER, FAIL, BLOCK };
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    enum step steps[8];
    int nsteps;
    const char *addrs[UDP_MAX_ADDRS]; /* numeric IPv4 addresses of ANSWER */
    int naddrs;
    int calls, released;
} fake = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static int fake_getaddrinfo(const char *host, const char *port, const struct addrinfo *hints,
                            struct addrinfo **res)
{
    enum step st;
    struct addrinfo *head = NULL, **tail = &head;
    (void)host, (void)hints;
    pthread_mutex_lock(&fake.mu);
    st = fake.calls < fake.nsteps ? fake.steps[fake.calls] : fake.steps[fake.nsteps - 1];
    fake.calls++;
    pthread_cond_broadcast(&fake.cv);
    if (st == BLOCK)
        while (!fake.released) pthread_cond_wait(&fake.cv, &fake.mu);
    pthread_mutex_unlock(&fake.mu);
    if (st != ANSWER) return EAI_AGAIN;
    for (int i = 0; i < fake.naddrs; i++) {
        struct {
            struct addrinfo ai;
            struct sockaddr_in sin;
        } *e = calloc(1, sizeof *e);
        e->sin.sin_family = AF_INET;
        e->sin.sin_port = htons((uint16_t)atoi(port));
        inet_pton(AF_INET, fake.addrs[i], &e->sin.sin_addr);
        e->ai.ai_family = AF_INET;
        e->ai.ai_socktype = SOCK_DGRAM;
        e->ai.ai_addr = (struct sockaddr *)&e->sin;
        e->ai.ai_addrlen = sizeof e->sin;
        *tail = &e->ai;
        tail = &e->ai.ai_next;
    }
    *res = head;
    return 0;
}

static void fake_freeaddrinfo(struct addrinfo *res)
{
    while (res) {
        struct addrinfo *next = res->ai_next;
        free(res); /* the addrinfo is the start of its allocation */
        res = next;
    }
}

static void fake_use(void)
{
    udp_getaddrinfo = fake_getaddrinfo;
    udp_freeaddrinfo = fake_freeaddrinfo;
    fake.calls = fake.released = 0;
}

static void fake_release(void)
{
    pthread_mutex_lock(&fake.mu);
    fake.released = 1;
    pthread_cond_broadcast(&fake.cv);
    pthread_mutex_unlock(&fake.mu);
}

/* Wait up to 2 s for the fake to have been called @n times. */
static int fake_wait_calls(int n)
{
    for (int i = 0; i < 400; i++) {
        int c;
        pthread_mutex_lock(&fake.mu);
        c = fake.calls;
        pthread_mutex_unlock(&fake.mu);
        if (c >= n) return c;
        usleep(5000);
    }
    return fake.calls;
}

static size_t lo_mtu(void)
{
    FILE *f = fopen("/sys/class/net/lo/mtu", "r");
    unsigned long mtu = 65536;
    if (f) {
        if (fscanf(f, "%lu", &mtu) != 1) mtu = 65536;
        fclose(f);
    }
    return mtu;
}

static void send_and_receive(int family, const char *host)
{
    char port[16], err[512] = "", *buf = malloc(70000);
    struct udp_sender *u = malloc(sizeof *u);
    struct slots *sl = calloc(1, sizeof *sl);
    uint64_t bytes = 0, lines = 0;
    int rx = bind_receiver(family, port), before = threads(); /* (qemu-user runs a thread of its own) */
    ck_assert_int_ge(rx, 0);

    ck_assert_msg(udp_init(u, host, port, 0, 0, err, sizeof err) == UDP_OK, "udp_init: %s", err);
    ck_assert_int_ge(u->fd, 0);
    ck_assert_int_eq(threads(), before); /* a numeric address starts no resolver thread */
    add_slot(sl, 13, 1, 1);
    add_slot(sl, 1400, 10, 2);
    add_slot(sl, 8000, 40, 3);
    for (int i = 0; i < sl->n; i++) {
        bytes += sl->s[i].len;
        lines += sl->s[i].lines;
    }
    ck_assert_int_eq(udp_send(u, sl->p, 3, 1.0), 3);
    for (int i = 0; i < 3; i++) {
        ssize_t n = recv_one(rx, buf, 70000, 2000);
        ck_assert_msg(n == (ssize_t)sl->s[i].len, "datagram %d: %zd bytes, want %zu", i, n,
                      sl->s[i].len);
        ck_assert_int_eq(memcmp(buf, sl->s[i].buf, (size_t)n), 0);
    }
    ck_assert_int_eq(recv_one(rx, buf, 70000, 50), -1); /* nothing more */
    ck_assert_uint_eq(u->stats.datagrams_sent, 3);
    ck_assert_uint_eq(u->stats.bytes_sent, bytes);
    ck_assert_uint_eq(u->stats.lines_sent, lines);
    ck_assert_uint_eq(u->stats.send_errors, 0);
    ck_assert_uint_eq(u->stats.lines_failed, 0);
    ck_assert_int_eq(udp_send(u, sl->p, 0, 1.0), 0);
    udp_close(u);
    ck_assert_int_eq(u->fd, -1);
    close(rx);
    free_slots(sl);
    free(sl);
    free(u);
    free(buf);
}

START_TEST(send_three_ipv4)
{
    send_and_receive(AF_INET, "127.0.0.1");
}
END_TEST

START_TEST(send_three_ipv6)
{
    char port[16];
    int probe = bind_receiver(AF_INET6, port);
    if (probe < 0) {
        fprintf(stderr, "test_udp: ::1 is not configured (%s); IPv6 test skipped\n", strerror(errno));
        return;
    }
    close(probe);
    send_and_receive(AF_INET6, "::1");
}
END_TEST

START_TEST(send_more_than_a_batch)
{
    char port[16], err[512] = "", buf[2048];
    struct udp_sender *u = malloc(sizeof *u);
    struct slots *sl = calloc(1, sizeof *sl);
    int rx = bind_receiver(AF_INET, port), n = 2 * UDP_MAX_BATCH + 22;
    ck_assert_int_ge(rx, 0);
    ck_assert_int_eq(udp_init(u, "127.0.0.1", port, 0, 0, err, sizeof err), UDP_OK);
    for (int i = 0; i < n; i++) {
        add_slot(sl, 100 + (size_t)i, 1, i);
        snprintf(sl->s[i].buf, 16, "%05d", i); /* a number to check the order */
    }
    ck_assert_int_eq(udp_send(u, sl->p, n, 0), n);
    for (int i = 0; i < n; i++) {
        ssize_t got = recv_one(rx, buf, sizeof buf, 2000);
        int num = -1;
        ck_assert_int_eq(got, (ssize_t)sl->s[i].len);
        ck_assert_int_eq(sscanf(buf, "%05d", &num), 1);
        ck_assert_int_eq(num, i);
        ck_assert_int_eq(memcmp(buf, sl->s[i].buf, (size_t)got), 0);
    }
    ck_assert_uint_eq(u->stats.datagrams_sent, (uint64_t)n);
    ck_assert_uint_eq(u->stats.lines_sent, (uint64_t)n);
    udp_close(u);
    close(rx);
    free_slots(sl);
    free(sl);
    free(u);
}
END_TEST

START_TEST(path_payload_loopback)
{
    char port[16], err[512];
    struct udp_sender *u = malloc(sizeof *u);
    size_t mtu = lo_mtu(), want = mtu - 28 > UDP_MAX_PAYLOAD ? UDP_MAX_PAYLOAD : mtu - 28;
    int rx = bind_receiver(AF_INET, port), rx6;
    ck_assert_int_ge(rx, 0);
    ck_assert_int_eq(udp_init(u, "127.0.0.1", port, 0, 0, err, sizeof err), UDP_OK);
    {
        /* qemu-user does not implement IP_MTU (ENOPROTOOPT): then the sender
           must fall back to Ethernet's 1472, which is what we check there. */
        int m;
        socklen_t ml = sizeof m;
        if (getsockopt(u->fd, IPPROTO_IP, IP_MTU, &m, &ml) != 0) {
            ck_assert_int_eq(errno, ENOPROTOOPT);
            ck_assert_uint_eq(udp_path_payload(u), 1472);
            udp_close(u);
            close(rx);
            free(u);
            return;
        }
    }
    ck_assert_uint_eq(udp_path_payload(u), want);
    if (mtu == 65536) ck_assert_uint_eq(udp_path_payload(u), 65507);
    udp_close(u);
    close(rx);

    rx6 = bind_receiver(AF_INET6, port);
    if (rx6 >= 0) {
        want = mtu - 48 > UDP_MAX_PAYLOAD ? UDP_MAX_PAYLOAD : mtu - 48;
        ck_assert_int_eq(udp_init(u, "::1", port, 0, 0, err, sizeof err), UDP_OK);
        ck_assert_uint_eq(udp_path_payload(u), want);
        udp_close(u);
        close(rx6);
    } else {
        fprintf(stderr, "test_udp: ::1 is not configured; IPv6 path payload skipped\n");
    }
    free(u);
}
END_TEST

START_TEST(first_datagram_after_receiver_returns_is_delivered)
{
    /* A refusal pending from the receiver being down must not cost the first
       datagram sent once it is back (found in review). */
    char port[16], err[512], buf[256];
    struct udp_sender *u = malloc(sizeof *u);
    struct slots *sl = calloc(1, sizeof *sl);
    int rx = bind_receiver(AF_INET, port);
    ck_assert_int_ge(rx, 0);
    close(rx);
    ck_assert_int_eq(udp_init(u, "127.0.0.1", port, 0, 0, err, sizeof err), UDP_OK);
    add_slot(sl, 40, 1, 1);
    udp_send(u, sl->p, 1, 0); /* goes out, is refused: the error waits on the socket */
    usleep(20000);
    rx = bind_receiver_on(AF_INET, port); /* the receiver is back on the same port */
    ck_assert_int_ge(rx, 0);
    ck_assert_int_eq(udp_send(u, sl->p, 1, 1), 1);
    ck_assert_int_eq(recv_one(rx, buf, sizeof buf, 1000), 40);
    ck_assert_uint_ge(u->stats.send_errors, 1);   /* the refusal is counted */
    ck_assert_uint_eq(u->stats.datagrams_failed, 0);
    close(rx);
    udp_close(u);
    free_slots(sl);
    free(sl);
    free(u);
}
END_TEST

START_TEST(refused_is_counted)
{
    /* A refusing receiver: logged, and its lines count as reached nobody, not as sent
       (found by a hostile tester: lines_sent=1033, lines_dropped=0, nothing logged). */
    char port[16], err[512];
    struct udp_sender *u = malloc(sizeof *u);
    struct slots *sl = calloc(1, sizeof *sl);
    int rx = bind_receiver(AF_INET, port), attempts = 0;
    uint64_t lines = 0;
    const char *log;
    ck_assert_int_ge(rx, 0);
    close(rx); /* nobody listens on the port now */
    ck_assert_int_eq(udp_init(u, "127.0.0.1", port, 0, 0, err, sizeof err), UDP_OK);
    add_slot(sl, 50, 2, 1);
    add_slot(sl, 60, 3, 2);
    add_slot(sl, 70, 1, 3);
    capture_stderr();
    for (int i = 0; i < 20; i++) {
        int sent = udp_send(u, sl->p, 1, i);
        ck_assert_int_ge(sent, 0);
        ck_assert_int_le(sent, 1);
        attempts += 1;
        lines += 2;
        usleep(5000); /* let the ICMP port unreachable come back */
    }
    for (int i = 0; i < 10; i++) {
        int sent = udp_send(u, sl->p, 3, 20 + i);
        ck_assert_int_ge(sent, 0);
        ck_assert_int_le(sent, 3);
        attempts += 3;
        lines += 6;
        usleep(5000);
    }
    udp_maintain(u, 40, 0); /* the last datagrams' verdict: refused too */
    log = captured_text();
    ck_assert_msg(strstr(log, "refuses datagrams") && strstr(log, port), "refusal not logged: \"%s\"", log);
    ck_assert_msg(strstr(strstr(log, "refuses") + 1, "refuses") == NULL || strstr(log, "suppressed"),
                  "logged more than once per 10 s: \"%s\"", log);
    ck_assert_msg(u->stats.send_errors >= 1, "no refusal counted (sent %llu)",
                  (unsigned long long)u->stats.datagrams_sent);
    /* every datagram is counted once: sent or failed */
    ck_assert_uint_eq(u->stats.datagrams_sent + u->stats.datagrams_failed, (uint64_t)attempts);
    ck_assert_uint_eq(u->stats.lines_sent + u->stats.lines_failed, lines);
    ck_assert_uint_eq(u->unconfirmed_datagrams, 0);
    /* only the first datagram, sent before anything was known, counts as sent */
    ck_assert_msg(u->stats.lines_sent <= 2, "lines_sent=%llu to a refusing receiver",
                  (unsigned long long)u->stats.lines_sent);
    ck_assert_uint_ge(u->stats.lines_failed, lines - 2);
    udp_close(u);
    free_slots(sl);
    free(sl);
    free(u);
}
END_TEST

START_TEST(refusals_end_when_the_receiver_returns)
{
    /* Once a refusing receiver is back, datagrams count as sent again. */
    char port[16], err[512], buf[256];
    struct udp_sender *u = malloc(sizeof *u);
    struct slots *sl = calloc(1, sizeof *sl);
    int rx = bind_receiver(AF_INET, port), got = 0;
    ck_assert_int_ge(rx, 0);
    close(rx);
    ck_assert_int_eq(udp_init(u, "127.0.0.1", port, 0, 0, err, sizeof err), UDP_OK);
    add_slot(sl, 40, 4, 1);
    capture_stderr();
    for (int i = 0; i < 5; i++) {
        udp_send(u, sl->p, 1, i);
        usleep(5000);
    }
    captured_text();
    ck_assert_int_eq(u->refusing, 1);
    rx = bind_receiver_on(AF_INET, port);
    ck_assert_int_ge(rx, 0);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(udp_send(u, sl->p, 1, 10 + i), 1);
        usleep(5000);
    }
    while (recv_one(rx, buf, sizeof buf, 100) == 40) got++;
    ck_assert_int_eq(got, 5);
    ck_assert_int_eq(u->refusing, 0);
    /* the 5 sent after the receiver came back: all but the last are confirmed sent; the
       first of them met the refusal of its predecessor and was held until the next send */
    ck_assert_uint_eq(u->stats.datagrams_sent, 1 + 5);
    ck_assert_uint_eq(u->stats.datagrams_failed, 4);
    ck_assert_uint_eq(u->stats.lines_sent, 4 * 6);
    close(rx);
    udp_close(u);
    free_slots(sl);
    free(sl);
    free(u);
}
END_TEST

START_TEST(unresolvable_name)
{
    char err[512] = "";
    struct udp_sender *u = malloc(sizeof *u);
    struct slots *sl = calloc(1, sizeof *sl);
    ck_assert_int_eq(udp_init(u, "no-such-host.invalid", "8089", 30, 100.0, err, sizeof err),
                     UDP_ERR);
    ck_assert_msg(strstr(err, "no-such-host.invalid") != NULL, "err: \"%s\"", err);
    ck_assert_int_eq(u->fd, -1);
    ck_assert_uint_eq(udp_path_payload(u), 1452);
    add_slot(sl, 40, 3, 1);
    add_slot(sl, 40, 4, 2);
    ck_assert_int_eq(udp_send(u, sl->p, 2, 100.0), 0);
    ck_assert_uint_eq(u->stats.send_errors, 2);
    ck_assert_uint_eq(u->stats.lines_failed, 7);
    ck_assert_uint_eq(u->stats.datagrams_sent, 0);
    /* later, when a retry is due: still failing, still counted, no crash */
    ck_assert_int_eq(udp_send(u, sl->p, 2, 200.0), 0);
    ck_assert_uint_eq(u->stats.send_errors, 4);
    ck_assert_uint_eq(u->stats.lines_failed, 14);
    ck_assert_uint_ge(u->stats.resolve_errors, 1);
    udp_maintain(u, 300.0, 1);
    ck_assert_int_eq(u->fd, -1);
    udp_close(u);
    free_slots(sl);
    free(sl);
    free(u);
}
END_TEST

START_TEST(maintain_keeps_socket)
{
    char port[16], err[512], buf[256];
    struct udp_sender *u = malloc(sizeof *u);
    struct slots *sl = calloc(1, sizeof *sl);
    int rx = bind_receiver(AF_INET, port), fd;
    ck_assert_int_ge(rx, 0);
    ck_assert_int_eq(udp_init(u, "127.0.0.1", port, 5, 0, err, sizeof err), UDP_OK);
    fd = u->fd;
    udp_maintain(u, 10, 1); /* same address: same socket */
    ck_assert_int_eq(u->fd, fd);
    ck_assert_uint_eq(u->stats.resolve_errors, 0);
    add_slot(sl, 20, 1, 1);
    ck_assert_int_eq(udp_send(u, sl->p, 1, 11), 1);
    ck_assert_int_eq(recv_one(rx, buf, sizeof buf, 2000), 20);
    udp_close(u);
    close(rx);
    free_slots(sl);
    free(sl);
    free(u);
}
END_TEST

START_TEST(dns_that_never_answers_blocks_nothing)
{
    /* A DNS server that never answers (found by a hostile tester: getaddrinfo
       on the loop stopped sampling for 20 s, and exit took 21 s). */
    char err[512] = "";
    struct udp_sender *u = malloc(sizeof *u);
    struct slots *sl = calloc(1, sizeof *sl);
    double t0;
    int before = threads(); /* (qemu-user runs a thread of its own) */
    fake_use();
    fake.steps[0] = BLOCK;
    fake.nsteps = 1;
    t0 = mono();
    ck_assert_int_eq(udp_init(u, "recv.example", "8089", 5, 100.0, err, sizeof err), UDP_ERR);
    ck_assert_msg(mono() - t0 < UDP_INIT_WAIT + 0.5, "udp_init took %.2f s", mono() - t0);
    ck_assert_msg(strstr(err, "recv.example") && strstr(err, "no answer"), "err: \"%s\"", err);
    ck_assert_int_eq(threads(), before + 1); /* a name: one resolver thread */
    add_slot(sl, 40, 3, 1);
    t0 = mono();
    for (int i = 0; i < 100; i++) {
        udp_maintain(u, 100.0 + i, i % 10 == 0);
        capture_stderr();
        ck_assert_int_eq(udp_send(u, sl->p, 1, 100.0 + i), 0);
        captured_text();
    }
    ck_assert_msg(mono() - t0 < 0.2, "100 ticks took %.2f s with DNS pending", mono() - t0);
    ck_assert_int_eq(fake.calls, 1); /* one look-up pending, not one per tick */
    ck_assert_uint_eq(u->stats.lines_failed, 300);
    t0 = mono();
    udp_close(u); /* the look-up still hangs */
    ck_assert_msg(mono() - t0 < 0.1, "udp_close took %.2f s", mono() - t0);
    fake_release(); /* the detached thread finishes and frees its slot */
    usleep(50000);
    free_slots(sl);
    free(sl);
    free(u);
}
END_TEST

START_TEST(last_good_address_kept_while_pending)
{
    char port[16], err[512], buf[256];
    struct udp_sender *u = malloc(sizeof *u);
    struct slots *sl = calloc(1, sizeof *sl);
    int rx = bind_receiver(AF_INET, port);
    double t0;
    ck_assert_int_ge(rx, 0);
    fake_use();
    fake.steps[0] = ANSWER;
    fake.steps[1] = BLOCK;
    fake.nsteps = 2;
    fake.addrs[0] = "127.0.0.1";
    fake.naddrs = 1;
    ck_assert_msg(udp_init(u, "recv.example", port, 5, 0, err, sizeof err) == UDP_OK, "%s", err);
    add_slot(sl, 30, 1, 1);
    udp_maintain(u, 6.0, 0); /* due: the second look-up hangs */
    ck_assert_int_eq(fake_wait_calls(2), 2);
    ck_assert_int_eq(u->pending, 1);
    t0 = mono();
    for (int i = 0; i < 10; i++) {
        udp_maintain(u, 7.0 + i, i == 5);
        ck_assert_int_eq(udp_send(u, sl->p, 1, 7.0 + i), 1);
    }
    ck_assert_msg(mono() - t0 < 0.1, "sending waited on DNS: %.2f s", mono() - t0);
    for (int i = 0; i < 10; i++) ck_assert_int_eq(recv_one(rx, buf, sizeof buf, 1000), 30);
    ck_assert_uint_eq(u->stats.lines_sent, 10);
    t0 = mono();
    udp_close(u);
    ck_assert_msg(mono() - t0 < 0.1, "udp_close waited on DNS: %.2f s", mono() - t0);
    fake_release();
    usleep(50000);
    close(rx);
    free_slots(sl);
    free(sl);
    free(u);
}
END_TEST

START_TEST(backoff_counts_from_the_answer)
{
    /* After a failed look-up the next one is backoff seconds after the answer
       came, not after it was asked for: no look-ups back to back. */
    char err[512];
    struct udp_sender *u = malloc(sizeof *u);
    fake_use();
    fake.steps[0] = FAIL;
    fake.nsteps = 1;
    ck_assert_int_eq(udp_init(u, "recv.example", "8089", 30, 100.0, err, sizeof err), UDP_ERR);
    ck_assert_msg(strstr(err, "cannot resolve recv.example"), "err: \"%s\"", err);
    ck_assert_msg(u->next_resolve >= 101.0 && u->next_resolve < 102.0, "next %.3f", u->next_resolve);
    capture_stderr();
    udp_maintain(u, 101.5, 0); /* due: asked for */
    ck_assert_int_eq(fake_wait_calls(2), 2);
    usleep(20000);
    udp_maintain(u, 130.0, 0); /* the answer (a failure) is taken now, 28.5 s later */
    captured_text();
    ck_assert_int_eq(u->pending, 0);
    ck_assert_msg(u->next_resolve == 132.0, "next look-up at %.3f, want 130 + 2", u->next_resolve);
    udp_maintain(u, 131.0, 0);
    usleep(20000);
    ck_assert_int_eq(fake.calls, 2);
    ck_assert_uint_eq(u->stats.resolve_errors, 2);
    udp_close(u);
    free(u);
}
END_TEST

START_TEST(refusing_address_fails_over)
{
    /* A name whose first address refuses moves on to its next one (found by a
       hostile tester: 127.0.0.2 and 127.0.0.1, receiver on one, 0 of 60 landed). */
    char port[16], err[512], buf[256];
    struct udp_sender *u = malloc(sizeof *u);
    struct slots *sl = calloc(1, sizeof *sl);
    int rx = bind_receiver(AF_INET, port), got = 0; /* on 127.0.0.1 only */
    ck_assert_int_ge(rx, 0);
    fake_use();
    fake.steps[0] = ANSWER;
    fake.nsteps = 1;
    fake.addrs[0] = "127.0.0.2"; /* nobody there: refuses */
    fake.addrs[1] = "127.0.0.1";
    fake.naddrs = 2;
    ck_assert_msg(udp_init(u, "two.test", port, 30, 0, err, sizeof err) == UDP_OK, "%s", err);
    ck_assert_int_eq(u->naddrs, 2);
    ck_assert_int_eq(u->cur, 0);
    add_slot(sl, 30, 1, 1);
    capture_stderr();
    for (int i = 0; i < 10; i++) {
        udp_send(u, sl->p, 1, i * 0.1);
        usleep(5000);
    }
    {
        const char *log = captured_text();
        ck_assert_msg(strstr(log, "trying its next address, 127.0.0.1"), "log: \"%s\"", log);
    }
    ck_assert_int_eq(u->cur, 1);
    while (recv_one(rx, buf, sizeof buf, 100) == 30) got++;
    ck_assert_msg(got >= 10 - UDP_FAILOVER_REFUSALS - 1, "only %d of 10 landed", got);
    /* a later answer with both addresses keeps the one that works */
    udp_maintain(u, 100, 1);
    ck_assert_int_eq(fake_wait_calls(2), 2);
    usleep(20000);
    udp_maintain(u, 100.1, 0);
    ck_assert_int_eq(u->cur, 1);
    udp_close(u);
    close(rx);
    free_slots(sl);
    free(sl);
    free(u);
}
END_TEST

static Suite *udp_suite(void)
{
    Suite *s = suite_create("udp");
    TCase *tc = tcase_create("loopback");
    tcase_add_test(tc, send_three_ipv4);
    tcase_add_test(tc, send_three_ipv6);
    tcase_add_test(tc, send_more_than_a_batch);
    tcase_add_test(tc, path_payload_loopback);
    tcase_add_test(tc, refused_is_counted);
    tcase_add_test(tc, first_datagram_after_receiver_returns_is_delivered);
    tcase_add_test(tc, unresolvable_name);
    tcase_add_test(tc, maintain_keeps_socket);
    tcase_add_test(tc, refusals_end_when_the_receiver_returns);
    tcase_add_test(tc, dns_that_never_answers_blocks_nothing);
    tcase_add_test(tc, last_good_address_kept_while_pending);
    tcase_add_test(tc, backoff_counts_from_the_answer);
    tcase_add_test(tc, refusing_address_fails_over);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(udp_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
