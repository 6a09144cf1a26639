/*
 * Unit tests of net: /proc/net/dev into Telegraf's net series, and the slot
 * table that follows interfaces as they come and go.
 *
 * Expected values for the fixtures are computed here from the fixture text
 * with sscanf; the slot tests script readings by hand.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector.h"
#include "config.h"
#include "net.h"
#include "fixture_file.h"

/* ---- helpers ------------------------------------------------------------ */

#define HDR                                                                                     \
    "Inter-|   Receive                                                |  Transmit\n"            \
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs " \
    "drop fifo colls carrier compressed\n"

/* A line the way a 6.x kernel prints it; counters derived from @base. */
static size_t put_line(char *dst, const char *name, unsigned long long base)
{
    return (size_t)sprintf(dst,
                           "%6s: %7llu %7llu %4llu %4llu %4llu %5llu %10llu %9llu %8llu %7llu %4llu "
                           "%4llu %4llu %5llu %7llu %10llu\n",
                           name, base + 1, base + 2, base + 3, base + 4, base + 5, base + 6, base + 7,
                           base + 8, base + 9, base + 10, base + 11, base + 12, base + 13, base + 14,
                           base + 15, base + 16);
}

/* /proc/net/dev text with the space-separated @names, each with base 1000 * (its first byte). */
static char *netdev_of(const char *names, size_t *len)
{
    static char buf[65536];
    char copy[4096], *save = NULL;
    size_t n = sizeof HDR - 1;
    memcpy(buf, HDR, n);
    snprintf(copy, sizeof copy, "%s", names);
    for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
        n += put_line(buf + n, t, 1000ull * (unsigned char)t[0] + strlen(t));
    *len = n;
    return buf;
}

static int update(struct net_collector *n, const char *names)
{
    size_t len;
    char *b = netdev_of(names, &len);
    char *exact = malloc(len); /* exact size: ASan/valgrind catch a read past the end */
    int r;
    ck_assert_ptr_nonnull(exact);
    memcpy(exact, b, len);
    r = net_update(n, exact, len);
    free(exact);
    return r;
}

static int slot_of(const struct net_collector *n, const char *name)
{
    int hit = -1;
    for (int k = 0; k < net_slots(n); k++) {
        const char *s = net_slot_name(n, k);
        if (s && strcmp(s, name) == 0) {
            ck_assert_msg(hit < 0, "%s in two slots", name);
            hit = k;
        }
    }
    return hit;
}

static int present_count(const struct net_collector *n)
{
    int c = 0;
    for (int k = 0; k < net_slots(n); k++) c += net_slot_name(n, k) != NULL;
    return c;
}

static int64_t field(const struct sample_field *f, int nf, const char *key)
{
    for (int i = 0; i < nf; i++)
        if (strcmp(f[i].key, key) == 0) {
            ck_assert_int_eq(f[i].type, SAMPLE_INT);
            return f[i].v.i;
        }
    ck_abort_msg("field %s missing", key);
    return -1;
}

static void init(struct net_collector *n, const struct match_list *only, int nslots, int nlines)
{
    char err[256];
    ck_assert_int_eq(net_init(n, only, nslots, nlines, err, sizeof err), 0);
}

/* ---- parse: fixtures ---------------------------------------------------- */

static const struct {
    const char *dir, *file;
    int ifaces; /* valid interface lines */
} fixtures[] = {
    {"linux-2.6.18", "net/dev", 4},
    {"linux-6.x", "net/dev", 4},
    {"linux-6.x", "net/dev.netns", 5}, /* "back\" is unwritable */
    {"linux-6.x", "net/dev.netns.next", 5},
};
#define NFIXTURES ((int)(sizeof fixtures / sizeof fixtures[0]))

/* The test's own reading of one line with sscanf: name and 16 counters. */
static int sscanf_line(const char *line, char *name, unsigned long long c[16])
{
    const char *colon = strchr(line, ':');
    const char *s = line;
    int used = -1;
    if (!colon) return 0;
    while (*s == ' ') s++;
    if (colon - s < 1 || colon - s > 15 || colon[-1] == '\\') return 0;
    memcpy(name, s, (size_t)(colon - s));
    name[colon - s] = '\0';
    if (sscanf(colon + 1,
               "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu%n",
               &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7], &c[8], &c[9], &c[10], &c[11],
               &c[12], &c[13], &c[14], &c[15], &used) != 16)
        return 0;
    return colon[1 + used] == '\n';
}

START_TEST(fixture_lines)
{
    const char *path = fixture_path(fixtures[_i].dir, fixtures[_i].file);
    FILE *f = fopen(path, "r");
    char line[1024];
    int valid = 0, lineno = 0;
    ck_assert_msg(f != NULL, "cannot open %s", path);
    while (fgets(line, sizeof line, f)) {
        char name[64];
        unsigned long long want[16];
        struct net_iface_values v;
        int ok = sscanf_line(line, name, want);
        int got = net_parse_line(line, strlen(line) - 1, &v);
        lineno++;
        ck_assert_msg(got == ok, "%s:%d: parse %d, want %d", path, lineno, got, ok);
        if (!ok) continue;
        valid++;
        ck_assert_str_eq(v.name, name);
        ck_assert_uint_eq(v.len, strlen(name));
        for (int k = 0; k < 16; k++)
            ck_assert_msg(v.c[k] == want[k], "%s:%d col %d: %llu, want %llu", path, lineno, k,
                          (unsigned long long)v.c[k], want[k]);
    }
    fclose(f);
    ck_assert_int_eq(valid, fixtures[_i].ifaces);
}
END_TEST

/* The collector over each fixture, everything selected: fields per interface. */
START_TEST(fixture_fields)
{
    static const struct match_list all = {{"*"}, 1};
    const char *path = fixture_path(fixtures[_i].dir, fixtures[_i].file);
    size_t len;
    char *buf = slurp(path, &len);
    FILE *f = fopen(path, "r");
    char line[1024];
    struct net_collector n;
    init(&n, &all, 16, 16);
    ck_assert_int_eq(net_update(&n, buf, len), fixtures[_i].ifaces);
    ck_assert_int_eq(n.skipped, 0);
    while (fgets(line, sizeof line, f)) {
        char name[64];
        unsigned long long c[16];
        struct sample_field fl[SAMPLE_MAX_FIELDS];
        int k, nf;
        if (!sscanf_line(line, name, c)) continue;
        k = slot_of(&n, name);
        ck_assert_msg(k >= 0, "%s: %s has no slot", path, name);
        nf = net_fields(&n, k, fl);
        ck_assert_int_eq(nf, 8);
        /* Telegraf's order and gopsutil's columns. */
        ck_assert_str_eq(fl[0].key, "bytes_sent");
        ck_assert_int_eq(fl[0].v.i, (int64_t)c[8]);
        ck_assert_str_eq(fl[1].key, "bytes_recv");
        ck_assert_int_eq(fl[1].v.i, (int64_t)c[0]);
        ck_assert_str_eq(fl[2].key, "packets_sent");
        ck_assert_int_eq(fl[2].v.i, (int64_t)c[9]);
        ck_assert_str_eq(fl[3].key, "packets_recv");
        ck_assert_int_eq(fl[3].v.i, (int64_t)c[1]);
        ck_assert_str_eq(fl[4].key, "err_in");
        ck_assert_int_eq(fl[4].v.i, (int64_t)c[2]);
        ck_assert_str_eq(fl[5].key, "err_out");
        ck_assert_int_eq(fl[5].v.i, (int64_t)c[10]);
        ck_assert_str_eq(fl[6].key, "drop_in");
        ck_assert_int_eq(fl[6].v.i, (int64_t)c[3]);
        ck_assert_str_eq(fl[7].key, "drop_out");
        ck_assert_int_eq(fl[7].v.i, (int64_t)c[11]);
    }
    fclose(f);
    free(buf);
    net_close(&n);
}
END_TEST

START_TEST(fixture_spot_checks)
{
    /* Numbers copied by hand from the fixture files. */
    struct sample_field f[SAMPLE_MAX_FIELDS];
    struct net_collector n;
    size_t len;
    char *b;
    int k, nf;

    /* 2.6.18: "eth0:8144002186412": no blank after the colon; lo left out by default */
    init(&n, NULL, 8, 8);
    b = slurp(fixture_path("linux-2.6.18", "net/dev"), &len);
    ck_assert_int_eq(net_update(&n, b, len), 3);
    free(b);
    ck_assert_int_eq(slot_of(&n, "lo"), -1);
    ck_assert_int_ge(slot_of(&n, "eth1"), 0);
    ck_assert_int_ge(slot_of(&n, "sit0"), 0);
    k = slot_of(&n, "eth0");
    ck_assert_int_ge(k, 0);
    nf = net_fields(&n, k, f);
    ck_assert_int_eq(nf, 8);
    ck_assert_int_eq(field(f, nf, "bytes_recv"), 8144002186412LL);
    ck_assert_int_eq(field(f, nf, "packets_recv"), 10129721832LL);
    ck_assert_int_eq(field(f, nf, "bytes_sent"), 14148537267133LL);
    ck_assert_int_eq(field(f, nf, "packets_sent"), 11634529610LL);
    ck_assert_int_eq(field(f, nf, "err_in") + field(f, nf, "drop_out"), 0);
    net_close(&n);

    /* 6.x host: lo, ifb0, ifb1, eth0 */
    init(&n, NULL, 8, 8);
    b = slurp(fixture_path("linux-6.x", "net/dev"), &len);
    ck_assert_int_eq(net_update(&n, b, len), 3);
    free(b);
    k = slot_of(&n, "eth0");
    nf = net_fields(&n, k, f);
    ck_assert_int_eq(field(f, nf, "bytes_recv"), 363400485);
    ck_assert_int_eq(field(f, nf, "packets_recv"), 11487);
    ck_assert_int_eq(field(f, nf, "bytes_sent"), 505375);
    ck_assert_int_eq(field(f, nf, "packets_sent"), 6813);
    net_close(&n);

    /* 6.x namespace: ',' and '=' kept for the caller to escape; "back\" skipped;
       a 15-byte name whose colon stands where a blank usually does */
    init(&n, NULL, 8, 8);
    b = slurp(fixture_path("linux-6.x", "net/dev.netns"), &len);
    ck_assert_int_eq(net_update(&n, b, len), 4);
    free(b);
    ck_assert_int_ge(slot_of(&n, "br,x=y"), 0);
    ck_assert_int_eq(slot_of(&n, "back\\"), -1);
    ck_assert_int_ge(slot_of(&n, "abcdefghijklmno"), 0);
    k = slot_of(&n, "veth-a");
    nf = net_fields(&n, k, f);
    ck_assert_int_eq(field(f, nf, "bytes_recv"), 90);
    ck_assert_int_eq(field(f, nf, "packets_sent"), 1);
    ck_assert_int_eq(n.skipped, 0);
    net_close(&n);
}
END_TEST

/* The namespace's two real readings: veth-a/veth-b deleted, veth-c/veth-d created. */
START_TEST(fixture_netns_transition)
{
    static const struct match_list all = {{"*"}, 1};
    struct net_collector n;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    size_t len;
    char *b;
    int lo, br, vb, va;
    unsigned gen_lo;

    init(&n, &all, 6, 16);
    b = slurp(fixture_path("linux-6.x", "net/dev.netns"), &len);
    ck_assert_int_eq(net_update(&n, b, len), 5);
    free(b);
    lo = slot_of(&n, "lo");
    br = slot_of(&n, "br,x=y");
    vb = slot_of(&n, "veth-b");
    va = slot_of(&n, "veth-a");
    gen_lo = net_slot_gen(&n, lo);
    ck_assert_int_eq(field(f, net_fields(&n, lo, f), "packets_recv"), 140);

    b = slurp(fixture_path("linux-6.x", "net/dev.netns.next"), &len);
    ck_assert_int_eq(net_update(&n, b, len), 4);
    free(b);
    /* survivors keep their slots; veth-c/d took the never-used 6th slot and... */
    ck_assert_int_eq(slot_of(&n, "lo"), lo);
    ck_assert_int_eq(slot_of(&n, "br,x=y"), br);
    ck_assert_uint_eq(net_slot_gen(&n, lo), gen_lo);
    ck_assert_int_eq(field(f, net_fields(&n, lo, f), "packets_recv"), 200);
    ck_assert_int_eq(field(f, net_fields(&n, lo, f), "bytes_sent"), 9826);
    /* ...nothing else: the veth-a/b slots were present last time, so not yet free */
    ck_assert_int_eq(n.skipped, 1);
    ck_assert_ptr_null(net_slot_name(&n, vb));
    ck_assert_ptr_null(net_slot_name(&n, va));
    ck_assert_int_eq(net_fields(&n, va, f), 0);
    ck_assert_int_ge(slot_of(&n, "veth-d"), 0);
    ck_assert_int_eq(slot_of(&n, "veth-c"), -1);

    /* a reading later the old veth slots are free: veth-c gets one, with a new generation */
    b = slurp(fixture_path("linux-6.x", "net/dev.netns.next"), &len);
    ck_assert_int_eq(net_update(&n, b, len), 5);
    free(b);
    ck_assert_int_eq(n.skipped, 0);
    ck_assert_int_ge(slot_of(&n, "veth-c"), 0);
    net_close(&n);
}
END_TEST

/* ---- parse: hand-made edge cases ---------------------------------------- */

#define Z16 " 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"

static int parse_str(const char *s, struct net_iface_values *v)
{
    size_t n = strlen(s);
    char *b = malloc(n ? n : 1);
    int r;
    memcpy(b, s, n);
    r = net_parse_line(b, n, v);
    free(b);
    return r;
}

START_TEST(parse_valid)
{
    static const struct {
        const char *s, *name;
        uint64_t c0, c15;
    } cases[] = {
        {"  eth0:" Z16, "eth0", 0, 0},
        {"eth0:1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", "eth0", 1, 16},
        {"  eth0:12345678 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", "eth0", 12345678, 16},
        {"\teth0:\t1\t2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\t", "eth0", 1, 16},
        {"eth0:" Z16 "\r", "eth0", 0, 0},          /* CRLF */
        {"eth0:" Z16 "   ", "eth0", 0, 0},         /* trailing blanks */
        {"abcdefghijklmno:" Z16, "abcdefghijklmno", 0, 0}, /* 15 bytes */
        {"a\\b:" Z16, "a\\b", 0, 0},               /* backslash inside is fine */
        {"a,b=c:" Z16, "a,b=c", 0, 0},
        {"x:18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 0 0 18446744073709551615", "x",
         UINT64_MAX, UINT64_MAX},
        {"x:00000000000000000000000001 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0", "x", 1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct net_iface_values v;
        memset(&v, 0xa5, sizeof v);
        ck_assert_msg(parse_str(cases[i].s, &v) == 1, "'%s' rejected", cases[i].s);
        ck_assert_str_eq(v.name, cases[i].name);
        ck_assert_uint_eq(v.len, strlen(cases[i].name));
        ck_assert_uint_eq(v.c[0], cases[i].c0);
        ck_assert_uint_eq(v.c[15], cases[i].c15);
    }
}
END_TEST

START_TEST(parse_garbage)
{
    static const char *const bad[] = {
        "",
        "Inter-|   Receive                                                |  Transmit",
        " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets",
        ":" Z16,                                  /* empty name */
        "   :" Z16,
        "abcdefghijklmnop:" Z16,                  /* 16 bytes */
        "back\\:" Z16,                            /* unwritable in line protocol */
        "et h0:" Z16,
        "eth0 :" Z16,
        "et\th0:" Z16,
        "eth0:",                                  /* cut right after the colon */
        "eth0: 1 2 3",                            /* cut: too few */
        "eth0: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0",    /* 15 */
        "eth0:" Z16 " 0",                         /* 17 */
        "eth0:" Z16 "x",
        "eth0:" Z16 " x",
        "eth0:" Z16 "\r\r",
        "eth0:" Z16 "\rx",
        "eth0: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 -1",
        "eth0: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1.5",
        "eth0: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0x1",
        "eth0: 18446744073709551616 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0", /* UINT64_MAX + 1 */
        "eth0: 99999999999999999999999 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
        "eth0:0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0",
        "eth0;" Z16,
        "eth0" Z16,
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct net_iface_values v;
        ck_assert_msg(parse_str(bad[i], &v) == 0, "'%s' accepted", bad[i]);
    }
    {
        /* a NUL inside the name */
        static const char nul[] = "et\0h0:" Z16;
        struct net_iface_values v;
        ck_assert_int_eq(net_parse_line(nul, sizeof nul - 1, &v), 0);
    }
}
END_TEST

/* Only complete lines count: a last line without '\n' may be cut. */
START_TEST(update_cut_and_empty)
{
    struct net_collector n;
    const char *text = HDR "  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n  eth1: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16";
    struct sample_field f[SAMPLE_MAX_FIELDS];
    init(&n, NULL, 4, 8);
    ck_assert_int_eq(net_update(&n, text, strlen(text)), 1);
    ck_assert_int_ge(slot_of(&n, "eth0"), 0);
    ck_assert_int_eq(slot_of(&n, "eth1"), -1);
    ck_assert_int_eq(net_fields(&n, slot_of(&n, "eth0"), f), 8);
    ck_assert_int_eq(field(f, 8, "drop_out"), 12);
    ck_assert_int_eq(net_update(&n, "", 0), 0);
    ck_assert_int_eq(present_count(&n), 0);
    ck_assert_int_eq(net_update(&n, "\n\n\n", 3), 0);
    ck_assert_int_eq(net_update(&n, HDR, sizeof HDR - 1), 0);
    net_close(&n);
}
END_TEST

START_TEST(fields_over_int64)
{
    struct net_collector n;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    const char *text = "x: 9223372036854775808 9223372036854775807 0 0 0 0 0 0 "
                       "18446744073709551615 5 0 0 0 0 0 0\n";
    int nf;
    init(&n, NULL, 1, 0);
    ck_assert_int_eq(net_update(&n, text, strlen(text)), 1);
    nf = net_fields(&n, 0, f);
    ck_assert_int_eq(nf, 6); /* bytes_sent and bytes_recv left out */
    ck_assert_str_eq(f[0].key, "packets_sent");
    ck_assert_int_eq(f[0].v.i, 5);
    ck_assert_str_eq(f[1].key, "packets_recv");
    ck_assert_int_eq(f[1].v.i, INT64_MAX);
    ck_assert_int_eq(net_fields(&n, -1, f), 0);
    ck_assert_int_eq(net_fields(&n, 1, f), 0);
    ck_assert_ptr_null(net_slot_name(&n, 5));
    net_close(&n);
}
END_TEST

START_TEST(field_names)
{
    static const char *const want[] = {"bytes_sent", "bytes_recv", "packets_sent", "packets_recv",
                                       "err_in",     "err_out",    "drop_in",      "drop_out",
                                       "speed"}; /* speed: issue 13 (was 8 names) */
    int i = 0;
    for (; net_field_names[i]; i++) {
        ck_assert_int_lt(i, 9);
        ck_assert_str_eq(net_field_names[i], want[i]);
    }
    ck_assert_int_eq(i, 9);
}
END_TEST

/* ---- slots -------------------------------------------------------------- */

START_TEST(slots_appear_vanish_return)
{
    struct net_collector n;
    int e, v;
    unsigned ge, gv;
    init(&n, NULL, 4, _i ? 64 : 0);
    ck_assert_int_eq(update(&n, "lo eth0"), 1);
    e = slot_of(&n, "eth0");
    ge = net_slot_gen(&n, e);
    ck_assert_int_ge(e, 0);
    ck_assert_int_eq(update(&n, "lo eth0 veth1"), 2); /* appears */
    ck_assert_int_eq(slot_of(&n, "eth0"), e);
    ck_assert_uint_eq(net_slot_gen(&n, e), ge);
    v = slot_of(&n, "veth1");
    gv = net_slot_gen(&n, v);
    ck_assert_int_ne(v, e);
    ck_assert_int_eq(update(&n, "lo eth0"), 1); /* vanishes */
    ck_assert_ptr_null(net_slot_name(&n, v));
    ck_assert_int_eq(update(&n, "lo eth0 veth1"), 2); /* comes back to its slot, same prefix */
    ck_assert_int_eq(slot_of(&n, "veth1"), v);
    ck_assert_uint_eq(net_slot_gen(&n, v), gv);
    ck_assert_int_eq(update(&n, "veth1 eth0 lo"), 2); /* reordered */
    ck_assert_int_eq(slot_of(&n, "veth1"), v);
    ck_assert_int_eq(slot_of(&n, "eth0"), e);
    ck_assert_uint_eq(net_slot_gen(&n, v), gv);
    ck_assert_uint_eq(net_slot_gen(&n, e), ge);
    {
        /* values follow the name, not the line */
        struct sample_field f[SAMPLE_MAX_FIELDS];
        int nf = net_fields(&n, v, f);
        ck_assert_int_eq(field(f, nf, "bytes_recv"), 1000 * 'v' + 5 + 1);
        nf = net_fields(&n, e, f);
        ck_assert_int_eq(field(f, nf, "bytes_recv"), 1000 * 'e' + 4 + 1);
        ck_assert_int_eq(field(f, nf, "bytes_sent"), 1000 * 'e' + 4 + 9);
    }
    net_close(&n);
}
END_TEST

START_TEST(slots_overflow_and_reuse)
{
    struct net_collector n;
    int a, b, c;
    unsigned ga;
    init(&n, NULL, 2, _i ? 64 : 0);
    ck_assert_int_eq(update(&n, "a0 b0 c0 d0"), 2);
    ck_assert_int_eq(n.skipped, 2);
    a = slot_of(&n, "a0");
    b = slot_of(&n, "b0");
    ck_assert_int_ge(a, 0);
    ck_assert_int_ge(b, 0);
    ga = net_slot_gen(&n, a);
    ck_assert_int_eq(slot_of(&n, "c0"), -1);
    /* a0 goes: its slot was present last time, so not free yet */
    ck_assert_int_eq(update(&n, "b0 c0 d0"), 1);
    ck_assert_int_eq(n.skipped, 2);
    ck_assert_int_eq(slot_of(&n, "c0"), -1);
    /* now it is: c0 takes it, a new generation */
    ck_assert_int_eq(update(&n, "b0 c0 d0"), 2);
    ck_assert_int_eq(n.skipped, 1);
    c = slot_of(&n, "c0");
    ck_assert_int_eq(c, a);
    ck_assert_uint_ne(net_slot_gen(&n, c), ga);
    ck_assert_int_eq(slot_of(&n, "b0"), b);
    ck_assert_int_eq(slot_of(&n, "d0"), -1);
    /* a0 back: no slot, skipped */
    ck_assert_int_eq(update(&n, "a0 b0 c0 d0"), 2);
    ck_assert_int_eq(n.skipped, 2);
    ck_assert_int_eq(slot_of(&n, "c0"), c);
    /* everything gone at once, then a new set: fills the slots again */
    ck_assert_int_eq(update(&n, ""), 0);
    ck_assert_int_eq(n.skipped, 0);
    ck_assert_int_eq(update(&n, "x0 y0 z0"), 2);
    ck_assert_int_eq(n.skipped, 1);
    net_close(&n);
}
END_TEST

START_TEST(slots_rename)
{
    /* ip link set eth0 name wan0: same line, new name */
    struct net_collector n;
    int e, w;
    unsigned ge;
    init(&n, NULL, 3, _i ? 64 : 0);
    ck_assert_int_eq(update(&n, "lo eth0 eth1"), 2);
    e = slot_of(&n, "eth0");
    ge = net_slot_gen(&n, e);
    ck_assert_int_eq(update(&n, "lo wan0 eth1"), 2);
    w = slot_of(&n, "wan0");
    ck_assert_int_ge(w, 0);
    ck_assert_int_ne(w, e); /* eth0's slot was not free yet */
    ck_assert_ptr_null(net_slot_name(&n, e));
    ck_assert_uint_eq(net_slot_gen(&n, e), ge);
    {
        struct sample_field f[SAMPLE_MAX_FIELDS];
        int nf = net_fields(&n, w, f);
        ck_assert_int_eq(field(f, nf, "packets_recv"), 1000 * 'w' + 4 + 2);
    }
    /* renamed back: eth0 finds its old slot, name and generation */
    ck_assert_int_eq(update(&n, "lo eth0 eth1"), 2);
    ck_assert_int_eq(slot_of(&n, "eth0"), e);
    ck_assert_uint_eq(net_slot_gen(&n, e), ge);
    net_close(&n);
}
END_TEST

START_TEST(slots_prefer_never_used)
{
    /* a free slot never used is taken before a stale one, so a flapping interface keeps its own */
    struct net_collector n;
    int f0;
    unsigned g;
    init(&n, NULL, 3, _i ? 64 : 0);
    ck_assert_int_eq(update(&n, "flap0"), 1);
    f0 = slot_of(&n, "flap0");
    g = net_slot_gen(&n, f0);
    ck_assert_int_eq(update(&n, "new0"), 1);
    ck_assert_int_eq(update(&n, "new0 new1"), 2); /* flap0's slot is stale, the third never used */
    ck_assert_int_ne(slot_of(&n, "new1"), f0);
    ck_assert_int_eq(update(&n, "new0 new1 flap0"), 3);
    ck_assert_int_eq(slot_of(&n, "flap0"), f0);
    ck_assert_uint_eq(net_slot_gen(&n, f0), g);
    /* with no never-used slot left, a stale one is reused: generation changes */
    ck_assert_int_eq(update(&n, "new0 new1"), 2);
    ck_assert_int_eq(update(&n, "new0 new1 other"), 3);
    ck_assert_int_eq(slot_of(&n, "other"), f0);
    ck_assert_uint_ne(net_slot_gen(&n, f0), g);
    ck_assert_str_eq(net_slot_name(&n, f0), "other");
    net_close(&n);
}
END_TEST

START_TEST(slots_duplicates)
{
    struct net_collector n;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    const char *text = "eth0: 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
                       "eth0: 2 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
    init(&n, NULL, 4, _i ? 64 : 0);
    for (int r = 0; r < 3; r++) {
        ck_assert_int_eq(net_update(&n, text, strlen(text)), 1);
        ck_assert_int_eq(present_count(&n), 1);
        ck_assert_int_eq(field(f, net_fields(&n, slot_of(&n, "eth0"), f), "bytes_recv"), 1);
    }
    net_close(&n);
}
END_TEST

/*
 * A line whose name stays but whose counters turn bad makes its interface
 * absent; its slot may go to another name at the next reading. The line
 * cache must not still send the old name there.
 */
START_TEST(slots_malformed_then_reused)
{
    struct net_collector n;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    /* x0 stays on line 1 throughout, so a stale cache entry would be hit */
    const char *r1 = "q0: bad\n"
                     "x0: 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
    const char *r2 = "q0: bad\n"
                     "x0: 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 zz\n";
    const char *r3 = "y0: 7 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
                     "x0: 9 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
    init(&n, NULL, 1, _i ? 64 : 0);
    ck_assert_int_eq(net_update(&n, r1, strlen(r1)), 1);
    ck_assert_int_eq(net_update(&n, r2, strlen(r2)), 0);
    ck_assert_int_eq(n.skipped, 0);
    ck_assert_ptr_null(net_slot_name(&n, 0));
    ck_assert_int_eq(net_update(&n, r3, strlen(r3)), 1);
    ck_assert_str_eq(net_slot_name(&n, 0), "y0");
    ck_assert_int_eq(field(f, net_fields(&n, 0, f), "bytes_recv"), 7);
    ck_assert_int_eq(n.skipped, 1);
    /* x0 alone: slot 0 was y0's last time, so x0 waits one reading */
    ck_assert_int_eq(net_update(&n, r1, strlen(r1)), 0); /* slot 0 was y0's last time */
    ck_assert_int_eq(n.skipped, 1);
    ck_assert_int_eq(net_update(&n, r1, strlen(r1)), 1);
    ck_assert_str_eq(net_slot_name(&n, 0), "x0");
    /* the same through a file that shrinks: line 1 missing for a reading */
    ck_assert_int_eq(net_update(&n, r2, 8), 0); /* "q0: bad\n" only */
    ck_assert_int_eq(net_update(&n, r3, strlen(r3)), 1);
    ck_assert_str_eq(net_slot_name(&n, 0), "y0");
    ck_assert_int_eq(n.skipped, 1);
    net_close(&n);
}
END_TEST

START_TEST(slots_selection)
{
    static const struct match_list only = {{"eth*", "veth?", "lo"}, 3};
    static const struct match_list empty = {{NULL}, 0};
    struct net_collector n;
    init(&n, &only, 8, _i ? 64 : 0);
    ck_assert_int_eq(update(&n, "lo eth0 eth10 veth1 veth12 docker0"), 4);
    ck_assert_int_ge(slot_of(&n, "lo"), 0);
    ck_assert_int_ge(slot_of(&n, "eth10"), 0);
    ck_assert_int_eq(slot_of(&n, "veth12"), -1);
    ck_assert_int_eq(slot_of(&n, "docker0"), -1);
    ck_assert_int_eq(n.skipped, 0);
    net_close(&n);
    init(&n, &empty, 8, _i ? 64 : 0); /* n == 0: the default, all but lo */
    ck_assert_int_eq(update(&n, "lo eth0 lo0 docker0"), 3);
    ck_assert_int_eq(slot_of(&n, "lo"), -1);
    ck_assert_int_ge(slot_of(&n, "lo0"), 0);
    net_close(&n);
}
END_TEST

/* The same script through a collector with the line cache and one without: same state. */
START_TEST(slots_cache_agrees)
{
    static const char *const script[] = {
        "lo eth0 eth1",   "lo eth0 eth1",    "lo eth1 eth0",   "lo eth0",      "eth0 lo eth1",
        "a0 b0 c0 d0 e0", "a0 b0 c0 d0 e0", "b0 a0 d0",       "",             "lo eth0 eth1",
        "eth1",           "eth1 eth2 eth3",  "eth1 eth2 eth3", "eth3 eth2 eth1", "x0 x1 x2 x3 x4 x5",
        "x5 x4 x3",       "lo",              "x5 x4 x3 eth0",  "x5 x4 x3 eth0",
    };
    struct net_collector a, b;
    init(&a, NULL, 4, 0);
    init(&b, NULL, 4, 3); /* a cache shorter than the file, too */
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof script / sizeof script[0]; i++) {
            ck_assert_int_eq(update(&a, script[i]), update(&b, script[i]));
            ck_assert_int_eq(a.skipped, b.skipped);
            for (int k = 0; k < 4; k++) {
                const char *na = net_slot_name(&a, k), *nb = net_slot_name(&b, k);
                struct sample_field fa[SAMPLE_MAX_FIELDS], fb[SAMPLE_MAX_FIELDS];
                int nfa = net_fields(&a, k, fa), nfb = net_fields(&b, k, fb);
                ck_assert_msg((na == NULL) == (nb == NULL), "step %zu slot %d", i, k);
                if (na) ck_assert_str_eq(na, nb);
                ck_assert_uint_eq(net_slot_gen(&a, k), net_slot_gen(&b, k));
                ck_assert_int_eq(nfa, nfb);
                for (int j = 0; j < nfa; j++) ck_assert_int_eq(fa[j].v.i, fb[j].v.i);
            }
        }
    net_close(&a);
    net_close(&b);
}
END_TEST

/* ---- the collector through a temporary proc root ------------------------ */

static char tmpdir[256];

static void tmp_setup(void) { tmp_root_make(tmpdir, sizeof tmpdir, "net"); }

static void tmp_teardown(void) { tmp_root_remove(tmpdir); }

/* Rewrite net/dev in place (same inode: the collector holds it open). */
static void put_dev(const char *text, size_t len) { tmp_root_put(tmpdir, "net/dev", text, len); }

static void put_names(const char *names)
{
    size_t len;
    char *b = netdev_of(names, &len);
    put_dev(b, len);
}

START_TEST(collector_sample)
{
    struct net_collector n;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    char err[256], names[8192];
    size_t len;
    int e;

    put_names("lo eth0 eth1 eth2");
    ck_assert_int_eq(net_open(&n, tmpdir, NULL, err, sizeof err), 0);
    ck_assert_int_eq(net_slots(&n), 3 + 16); /* max(2 * 3, 3 + 16) */
    ck_assert_int_eq(present_count(&n), 0);  /* nothing until the first sample */
    ck_assert_int_eq(net_sample(&n), 0);
    ck_assert_int_eq(present_count(&n), 3);
    e = slot_of(&n, "eth0");
    ck_assert_int_eq(field(f, net_fields(&n, e, f), "bytes_recv"), 1000 * 'e' + 4 + 1);

    /* containers start: 40 veths, far more than the file held at open (the buffer has room) */
    len = (size_t)sprintf(names, "lo eth0 eth1 eth2");
    for (int i = 0; i < 40; i++) len += (size_t)sprintf(names + len, " veth%02d", i);
    put_names(names);
    ck_assert_int_eq(net_sample(&n), 0);
    ck_assert_int_eq(n.pf.truncated, 0);
    ck_assert_int_eq(present_count(&n), 19);
    ck_assert_int_eq(n.skipped, 43 - 19);
    ck_assert_int_eq(slot_of(&n, "eth0"), e);

    /* they stop */
    put_names("lo eth0 eth1 eth2");
    ck_assert_int_eq(net_sample(&n), 0);
    ck_assert_int_eq(present_count(&n), 3);
    ck_assert_int_eq(n.skipped, 0);

    /* empty file: a good read with nothing in it */
    put_dev("", 0);
    ck_assert_int_eq(net_sample(&n), 0);
    ck_assert_int_eq(present_count(&n), 0);

    /* the file vanishes: the open descriptor still reads the old inode (now empty) */
    put_names("eth0");
    {
        char path[512];
        snprintf(path, sizeof path, "%s/net/dev", tmpdir);
        ck_assert_int_eq(unlink(path), 0);
    }
    ck_assert_int_eq(net_sample(&n), 0);
    ck_assert_int_eq(slot_of(&n, "eth0"), e);

    /* a read that fails: -1 and every slot free */
    close(n.pf.fd);
    n.pf.fd = -1;
    ck_assert_int_eq(net_sample(&n), -1);
    ck_assert_int_eq(present_count(&n), 0);
    ck_assert_int_eq(net_fields(&n, e, f), 0);
    net_close(&n);
    net_close(&n); /* twice is safe */
}
END_TEST

START_TEST(collector_sizing)
{
    static const struct match_list only = {{"veth*"}, 1};
    struct net_collector n;
    char err[256], names[16384];
    size_t len = 0;

    for (int i = 0; i < 120; i++) len += (size_t)sprintf(names + len, "%sveth%03d", i ? " " : "", i);
    put_names(names);
    ck_assert_int_eq(net_open(&n, tmpdir, NULL, err, sizeof err), 0);
    ck_assert_int_eq(net_slots(&n), 240);
    net_close(&n);
    len += (size_t)sprintf(names + len, " veth120 veth121 veth122 veth123 veth124 veth125 veth126 eth0");
    put_names(names);
    ck_assert_int_eq(net_open(&n, tmpdir, NULL, err, sizeof err), 0);
    ck_assert_int_eq(net_slots(&n), NET_MAX_SLOTS);
    net_close(&n);
    ck_assert_int_eq(net_open(&n, tmpdir, &only, err, sizeof err), 0);
    ck_assert_int_eq(net_slots(&n), 254);
    ck_assert_int_eq(net_sample(&n), 0);
    ck_assert_int_eq(present_count(&n), 127);
    ck_assert_int_eq(slot_of(&n, "eth0"), -1);
    net_close(&n);

    put_dev(HDR, sizeof HDR - 1); /* no interface at all: still 16 slots */
    ck_assert_int_eq(net_open(&n, tmpdir, NULL, err, sizeof err), 0);
    ck_assert_int_eq(net_slots(&n), 16);
    net_close(&n);
}
END_TEST

/* speed (issue 13, item 3): read from SYS/class/net/IF/speed when the interface takes a slot */
START_TEST(collector_speed)
{
    struct net_collector n;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    char err[256], sys[300];
    int e, w;

    snprintf(sys, sizeof sys, "%s/sys", tmpdir);
    tmp_root_puts(tmpdir, "sys/class/net/eth0/speed", "1000\n");
    tmp_root_puts(tmpdir, "sys/class/net/wlan0/speed", "garbage\n"); /* (a real one gives EINVAL) */
    put_names("lo eth0 wlan0 veth0");                                  /* veth0: no speed file */
    ck_assert_int_eq(net_open_sys(&n, tmpdir, sys, NULL, err, sizeof err), 0);
    ck_assert_int_eq(net_sample(&n), 0);
    e = slot_of(&n, "eth0");
    ck_assert_int_eq(field(f, net_fields(&n, e, f), "speed"), 1000);
    ck_assert_int_eq(field(f, net_fields(&n, slot_of(&n, "wlan0"), f), "speed"), -1);
    ck_assert_int_eq(field(f, net_fields(&n, slot_of(&n, "veth0"), f), "speed"), -1);
    ck_assert_int_eq(net_fields(&n, e, f), 9);

    /* renegotiated to 100 Mbit/s: not read again while eth0 keeps its slot */
    tmp_root_puts(tmpdir, "sys/class/net/eth0/speed", "100\n");
    tmp_root_puts(tmpdir, "sys/class/net/veth1/speed", "10000\n");
    put_names("lo eth0 wlan0 veth1");
    ck_assert_int_eq(net_sample(&n), 0);
    ck_assert_int_eq(field(f, net_fields(&n, e, f), "speed"), 1000);
    /* a new interface in a new slot: read */
    w = slot_of(&n, "veth1");
    ck_assert_int_ge(w, 0);
    ck_assert_int_eq(field(f, net_fields(&n, w, f), "speed"), 10000);
    net_close(&n);

    /* no sysfs root (--proc-root): -1 */
    ck_assert_int_eq(net_open(&n, tmpdir, NULL, err, sizeof err), 0);
    ck_assert_int_eq(net_sample(&n), 0);
    ck_assert_int_eq(field(f, net_fields(&n, slot_of(&n, "eth0"), f), "speed"), -1);
    net_close(&n);
}
END_TEST

START_TEST(speed_parse)
{
    /* Telegraf: ParseInt(TrimSuffix(s, "\n"), 10, 64), else -1 */
    ck_assert_int_eq(net_parse_speed("1000\n", 5), 1000);
    ck_assert_int_eq(net_parse_speed("25000", 5), 25000);
    ck_assert_int_eq(net_parse_speed("-1\n", 3), -1);
    ck_assert_int_eq(net_parse_speed("+10\n", 4), 10);
    ck_assert_int_eq(net_parse_speed("4294967295\n", 11), 4294967295LL); /* SPEED_UNKNOWN as u32 on old kernels */
    ck_assert_int_eq(net_parse_speed("9223372036854775807\n", 20), INT64_MAX);
    ck_assert_int_eq(net_parse_speed("9223372036854775808\n", 20), -1);
    ck_assert_int_eq(net_parse_speed("-9223372036854775808", 20), INT64_MIN);
    ck_assert_int_eq(net_parse_speed("", 0), -1);
    ck_assert_int_eq(net_parse_speed("\n", 1), -1);
    ck_assert_int_eq(net_parse_speed("10 \n", 4), -1);
    ck_assert_int_eq(net_parse_speed("10\n\n", 4), -1);
}
END_TEST

/*
 * An interface whose name ends in a backslash (issue 13, item 5): skipped,
 * not trimmed as Telegraf's serializer does (back\ would become "back" and
 * share a series with an interface really named back). README documents it.
 */
START_TEST(collector_backslash_name_skipped)
{
    struct net_collector n;
    struct sample_field f[SAMPLE_MAX_FIELDS];
    char err[256];
    static const char dev[] =
        "Inter-|   Receive                                                |  Transmit\n"
        " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
        " back\\:     100       1    0    0    0     0          0         0      200       2    0    0    0     0       0          0\n"
        "  back:     300       3    0    0    0     0          0         0      400       4    0    0    0     0       0          0\n";
    put_dev(dev, sizeof dev - 1);
    ck_assert_int_eq(net_open(&n, tmpdir, NULL, err, sizeof err), 0);
    ck_assert_int_eq(net_sample(&n), 0);
    ck_assert_int_eq(present_count(&n), 1);
    ck_assert_int_eq(slot_of(&n, "back\\"), -1);
    ck_assert_int_eq(field(f, net_fields(&n, slot_of(&n, "back"), f), "bytes_recv"), 300);
    ck_assert_int_eq(field(f, net_fields(&n, slot_of(&n, "back"), f), "bytes_sent"), 400);
    net_close(&n);
}
END_TEST

START_TEST(collector_open_errors)
{
    struct net_collector n;
    char err[512] = "";
    ck_assert_int_eq(net_open(&n, tmpdir, NULL, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "net/dev"));
    net_close(&n); /* safe after a failed open */
    err[0] = '\0';
    ck_assert_int_eq(net_init(&n, NULL, 0, 0, err, sizeof err), -1);
    ck_assert_str_ne(err, "");
    ck_assert_int_eq(net_init(&n, NULL, NET_MAX_SLOTS + 1, 0, err, sizeof err), -1);
    ck_assert_int_eq(net_init(&n, NULL, 1, NET_MAX_LINE_CACHE + 1, err, sizeof err), -1);
    net_close(&n);
}
END_TEST

/* ---- the collector table's entry ------------------------------------------ */

/* The slot of @name through the descriptor's slot hook, or -1. */
static int hook_slot_of(const struct collector *c, const void *st, const char *name, unsigned *gen)
{
    int hit = -1;
    for (int i = 0; i < c->nseries(st); i++) {
        unsigned g;
        const char *s = c->slot(st, i, &g);
        if (s && strcmp(s, name) == 0) {
            ck_assert_msg(hit < 0, "%s in two slots", name);
            hit = i;
            if (gen) *gen = g;
        }
    }
    return hit;
}

static int hook_present(const struct collector *c, const void *st)
{
    int n = 0;
    for (int i = 0; i < c->nseries(st); i++) {
        unsigned g;
        n += c->slot(st, i, &g) != NULL;
    }
    return n;
}

START_TEST(descriptor)
{
    const struct collector *c = &collector_net;
    const struct measurement *m = c->measurements;
    ck_assert_str_eq(c->name, "net");
    ck_assert_int_eq(c->nmeasurements, 1);
    ck_assert_str_eq(m->name, "net");
    ck_assert_str_eq(m->tag_keys[0], "interface");
    ck_assert_ptr_null(m->tag_keys[1]);
    ck_assert_ptr_eq(m->fields, net_field_names);
    ck_assert_ptr_null(m->windowed);
    ck_assert_str_eq(c->slot_tag, "interface");
    ck_assert_uint_eq(c->flags, COLLECTOR_EVERY_TICK);
    ck_assert_uint_ge(c->size, sizeof(struct net_collector));
    ck_assert_ptr_null(c->series);
    ck_assert(c->open && c->nseries && c->slot && c->sample && c->fields && c->file && c->close);
}
END_TEST

START_TEST(descriptor_hooks)
{
    const struct collector *c = &collector_net;
    struct config *cfg = calloc(1, sizeof *cfg);
    struct collector_shared sh = {.now = 1000};
    struct collector_env env = {cfg, tmpdir, NULL, &sh};
    struct sample_field f[SAMPLE_MAX_FIELDS];
    struct procfile *files[2];
    char err[256], names[2048], log[2048], pats[] = "lo,veth*";
    void *st = calloc(1, c->size);
    unsigned gen, gen2;
    int e, nf, saved;
    size_t len;

    /* no file: off with a sentence; close is safe after it */
    ck_assert_int_eq(c->open(st, &env, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "net/dev"));
    c->close(st);

    /* the default selection (empty list): all but lo */
    put_names("lo eth0 eth1");
    memset(st, 0, c->size);
    ck_assert_int_eq(c->open(st, &env, err, sizeof err), 0);
    ck_assert_int_eq(c->nseries(st), 2 + 16);
    files[0] = c->file(st, 0);
    ck_assert_ptr_nonnull(files[0]);
    ck_assert_ptr_nonnull(strstr(files[0]->path, "net/dev"));
    ck_assert_ptr_null(c->file(st, 1));
    ck_assert_int_eq(hook_present(c, st), 0);
    ck_assert_ptr_null(c->sample(st, &sh));
    ck_assert_int_eq(hook_present(c, st), 2);
    ck_assert_int_eq(hook_slot_of(c, st, "lo", NULL), -1);
    e = hook_slot_of(c, st, "eth0", &gen);
    ck_assert_int_ge(e, 0);
    ck_assert_uint_ne(gen, 0);
    nf = c->fields(st, e, &sh, f);
    ck_assert_int_eq(nf, 9); /* the 8 counters and speed (was 8) */
    ck_assert_int_eq(field(f, nf, "speed"), -1); /* under a proc root: no sysfs */
    ck_assert_int_eq(field(f, nf, "bytes_recv"), 1000 * 'e' + 4 + 1);
    ck_assert_int_eq(field(f, nf, "bytes_sent"), 1000 * 'e' + 4 + 9);
    ck_assert_int_eq(c->fields(st, -1, &sh, f), 0);

    /* more interfaces than slots: skipped, and said once a minute with today's text */
    len = (size_t)sprintf(names, "lo eth0 eth1");
    for (int i = 0; i < 30; i++) len += (size_t)sprintf(names + len, " veth%02d", i);
    put_names(names);
    saved = stderr_capture_begin();
    ck_assert_ptr_null(c->sample(st, &sh));
    sh.now = 1030;
    ck_assert_ptr_null(c->sample(st, &sh)); /* within the minute: suppressed */
    sh.now = 1061;
    ck_assert_ptr_null(c->sample(st, &sh));
    stderr_capture_end(saved, log, sizeof log);
    ck_assert_int_eq(hook_present(c, st), 18);
    ck_assert_int_eq(hook_slot_of(c, st, "eth0", &gen2), e);
    ck_assert_uint_eq(gen2, gen);
    ck_assert_str_eq(log,
                     "procflux: warning: 14 network interface(s) skipped: all 18 slots sized at start are in "
                     "use by others seen in the last reading; restart procflux to size for more\n"
                     "procflux: warning: 14 network interface(s) skipped: all 18 slots sized at start are in "
                     "use by others seen in the last reading; restart procflux to size for more "
                     "(1 similar messages suppressed)\n");

    /* nothing skipped: nothing said */
    put_names("lo eth0");
    sh.now = 2000;
    saved = stderr_capture_begin();
    ck_assert_ptr_null(c->sample(st, &sh));
    stderr_capture_end(saved, log, sizeof log);
    ck_assert_str_eq(log, "");

    /* a read that fails: the path, for the agent's warning; every slot free */
    tmp_root_break_fd(tmpdir, files[0]->fd);
    ck_assert_ptr_eq(c->sample(st, &sh), files[0]->path);
    ck_assert_int_eq(hook_present(c, st), 0);
    c->close(st);
    c->close(st); /* twice is safe */

    /* the list from the config */
    ck_assert_int_eq(match_split(&cfg->net_interfaces, pats), 0);
    put_names("lo eth0 veth1 veth2");
    memset(st, 0, c->size);
    ck_assert_int_eq(c->open(st, &env, err, sizeof err), 0);
    ck_assert_int_eq(c->nseries(st), 3 + 16);
    ck_assert_ptr_null(c->sample(st, &sh));
    ck_assert_int_ge(hook_slot_of(c, st, "lo", NULL), 0);
    ck_assert_int_ge(hook_slot_of(c, st, "veth2", NULL), 0);
    ck_assert_int_eq(hook_slot_of(c, st, "eth0", NULL), -1);
    c->close(st);

    /* no config at all: the default */
    env.cfg = NULL;
    memset(st, 0, c->size);
    ck_assert_int_eq(c->open(st, &env, err, sizeof err), 0);
    ck_assert_ptr_null(c->sample(st, &sh));
    ck_assert_int_eq(hook_present(c, st), 3);
    ck_assert_int_eq(hook_slot_of(c, st, "lo", NULL), -1);
    c->close(st);
    free(st);
    free(cfg);
}
END_TEST

static Suite *net_suite(void)
{
    Suite *s = suite_create("net");
    TCase *tc = tcase_create("fixtures");
    tcase_add_loop_test(tc, fixture_lines, 0, NFIXTURES);
    tcase_add_loop_test(tc, fixture_fields, 0, NFIXTURES);
    tcase_add_test(tc, fixture_spot_checks);
    tcase_add_test(tc, fixture_netns_transition);
    suite_add_tcase(s, tc);

    tc = tcase_create("parse");
    tcase_add_test(tc, parse_valid);
    tcase_add_test(tc, parse_garbage);
    tcase_add_test(tc, update_cut_and_empty);
    tcase_add_test(tc, fields_over_int64);
    tcase_add_test(tc, field_names);
    suite_add_tcase(s, tc);

    /* each slot test twice: without (0) and with (1) the line cache */
    tc = tcase_create("slots");
    tcase_add_loop_test(tc, slots_appear_vanish_return, 0, 2);
    tcase_add_loop_test(tc, slots_overflow_and_reuse, 0, 2);
    tcase_add_loop_test(tc, slots_rename, 0, 2);
    tcase_add_loop_test(tc, slots_prefer_never_used, 0, 2);
    tcase_add_loop_test(tc, slots_duplicates, 0, 2);
    tcase_add_loop_test(tc, slots_malformed_then_reused, 0, 2);
    tcase_add_loop_test(tc, slots_selection, 0, 2);
    tcase_add_test(tc, slots_cache_agrees);
    suite_add_tcase(s, tc);

    tc = tcase_create("collector");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, collector_sample);
    tcase_add_test(tc, collector_speed);
    tcase_add_test(tc, speed_parse);
    tcase_add_test(tc, collector_backslash_name_skipped);
    tcase_add_test(tc, collector_sizing);
    tcase_add_test(tc, collector_open_errors);
    tcase_add_test(tc, descriptor);
    tcase_add_test(tc, descriptor_hooks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(net_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
