/*
 * Unit tests of config: the config file, HOST_PROC and the command line into
 * a struct config.
 *
 * config_parse splits --tag values in place and keeps pointers into argv, so
 * every call gets fresh writable copies, kept until the test ends (getopt also
 * keeps a pointer into the last argv between calls).
 */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "collector.h"
#include "config.h"

/* Built with every optional collector (make COLLECTORS= leaves them out). */
#if !defined(PROCFLUX_NO_KERNEL) && !defined(PROCFLUX_NO_PRESSURE) && !defined(PROCFLUX_NO_NET) && \
    !defined(PROCFLUX_NO_DISKIO)
#define FULL_BUILD 1
#endif

/* The collect bit of measurement @name (0 when not built). */
static unsigned bit(const char *name)
{
    int ci, m;
    return collector_measurement(name, strlen(name), &ci, &m) && ci >= 0 ? collector_bit(ci, m) : 0;
}
#define COLLECT_CPU bit("cpu")
#define COLLECT_MEM bit("mem")
#define COLLECT_SYSTEM bit("system")
#define COLLECT_KERNEL bit("kernel")
#define COLLECT_PROCESSES bit("processes")
#define COLLECT_PRESSURE bit("pressure")
#define COLLECT_NET bit("net")
#define COLLECT_DISKIO bit("diskio")

#define MAX_KEEP 4096
static char *kept[MAX_KEEP];
static int nkept;

static void keep_setup(void)
{
    nkept = 0;
    unsetenv("HOST_PROC");
}

static void keep_teardown(void)
{
    for (int i = 0; i < nkept; i++) free(kept[i]);
    nkept = 0;
}

static void *keep(void *s)
{
    ck_assert_int_lt(nkept, MAX_KEEP);
    kept[nkept++] = s;
    return s;
}

/* argv[0] = "procflux", then the NULL-terminated list. */
static char **make_argv(int *argc, va_list ap)
{
    char **argv = keep(calloc(64, sizeof *argv));
    const char *s;
    int n = 0;
    argv[n++] = keep(strdup("procflux"));
    while ((s = va_arg(ap, const char *)) != NULL) {
        ck_assert_int_lt(n, 63);
        argv[n++] = keep(strdup(s));
    }
    argv[n] = NULL;
    *argc = n;
    return argv;
}

static char err[CONFIG_ERR_MAX];

static int parse(struct config *c, ...)
{
    va_list ap;
    char **argv;
    int argc;
    va_start(ap, c);
    argv = make_argv(&argc, ap);
    va_end(ap);
    memset(err, 0, sizeof err);
    return config_parse(c, argc, argv, err, sizeof err);
}

/* ---- defaults and every option ------------------------------------------ */

START_TEST(defaults)
{
    struct config c;
    char host[256] = "";
    ck_assert_int_eq(parse(&c, NULL), CONFIG_OK);
    ck_assert_double_eq_tol(c.interval, 1, 1e-12);
    ck_assert_double_eq_tol(c.flush, 1, 1e-12);
    ck_assert_double_eq_tol(c.flush_jitter, 1, 1e-12); /* one interval */
    ck_assert_str_eq(c.dest[0].host, "127.0.0.1");
    ck_assert_str_eq(c.dest[0].port, "8089");
    ck_assert_int_eq(c.precision, PREC_NS);
    ck_assert_uint_eq(c.payload, 0);
    ck_assert_uint_eq(c.collect, COLLECT_CPU | COLLECT_MEM | COLLECT_SYSTEM);
    ck_assert_int_eq(c.percpu, 1);
    ck_assert_int_eq(c.totalcpu, 1);
    ck_assert_int_eq(c.cpu_time, 0);
    ck_assert_str_eq(c.proc_root, "");
    ck_assert_int_eq(c.ntags, 0);
    ck_assert_int_eq(c.to_stdout, 0);
    ck_assert_int_eq(c.once, 0);
    ck_assert_int_eq(c.verbose, 0);
    ck_assert_int_eq(c.quiet, 0);
    ck_assert_double_eq_tol(c.stats_every, 10, 1e-12);
    ck_assert_double_eq_tol(c.resolve_every, 30, 1e-12);
    gethostname(host, sizeof host - 1);
    ck_assert_str_eq(c.host, host[0] ? host : "localhost");
}
END_TEST

START_TEST(flush_follows_longer_interval)
{
    struct config c;
    ck_assert_int_eq(parse(&c, "--interval", "10s", NULL), CONFIG_OK);
    ck_assert_double_eq_tol(c.interval, 10, 1e-12);
    ck_assert_double_eq_tol(c.flush, 10, 1e-12);
    ck_assert_int_eq(parse(&c, "--interval", "500ms", NULL), CONFIG_OK);
    ck_assert_double_eq_tol(c.interval, 0.5, 1e-12);
    ck_assert_double_eq_tol(c.flush, 1, 1e-12);
    ck_assert_int_eq(parse(&c, "--interval", "10s", "--flush", "2s", NULL), CONFIG_OK);
    ck_assert_double_eq_tol(c.flush, 2, 1e-12);
    ck_assert_int_eq(parse(&c, "--flush", "2s", "--interval", "10s", NULL), CONFIG_OK);
    ck_assert_double_eq_tol(c.flush, 2, 1e-12);
    ck_assert_int_eq(parse(&c, "--interval", "2m", NULL), CONFIG_OK);
    ck_assert_double_eq_tol(c.flush, 120, 1e-12);
}
END_TEST

START_TEST(every_option)
{
    struct config c;
    int rc = parse(&c, "--interval", "250ms", "--flush", "750ms", "--payload", "1400", "--dest",
                   "influx.example.org:9999", "--host", "web 1", "--tag", "dc=eu-west",
                   "--tag", "role=db=primary", "--precision", "us", "--no-percpu", "--cpu-time",
                   "--proc-root", "/host/proc", "--stdout", "--once", "--stats-every", "0s",
                   "--resolve-every", "2m", "--collect", "cpu,mem", "--verbose", "--quiet", NULL);
    ck_assert_msg(rc == CONFIG_OK, "rc %d: %s", rc, err);
    ck_assert_double_eq_tol(c.interval, 0.25, 1e-12);
    ck_assert_double_eq_tol(c.flush, 0.75, 1e-12);
    ck_assert_uint_eq(c.payload, 1400);
    ck_assert_str_eq(c.dest[0].host, "influx.example.org");
    ck_assert_str_eq(c.dest[0].port, "9999");
    ck_assert_str_eq(c.host, "web 1");
    ck_assert_int_eq(c.ntags, 2);
    ck_assert_str_eq(c.tags[0].key, "dc");
    ck_assert_str_eq(c.tags[0].value, "eu-west");
    ck_assert_str_eq(c.tags[1].key, "role");
    ck_assert_str_eq(c.tags[1].value, "db=primary");
    ck_assert_int_eq(c.precision, PREC_US);
    ck_assert_int_eq(c.percpu, 0);
    ck_assert_int_eq(c.totalcpu, 1);
    ck_assert_int_eq(c.cpu_time, 1);
    ck_assert_str_eq(c.proc_root, "/host/proc");
    ck_assert_int_eq(c.to_stdout, 1);
    ck_assert_int_eq(c.once, 1);
    ck_assert_double_eq_tol(c.stats_every, 0, 1e-12);
    ck_assert_double_eq_tol(c.resolve_every, 120, 1e-12);
    ck_assert_uint_eq(c.collect, COLLECT_CPU | COLLECT_MEM);
    ck_assert_int_eq(c.verbose, 1);
    ck_assert_int_eq(c.quiet, 1);

    rc = parse(&c, "--no-totalcpu", "--precision", "ms", "--collect", "system", NULL);
    ck_assert_int_eq(rc, CONFIG_OK);
    ck_assert_int_eq(c.totalcpu, 0);
    ck_assert_int_eq(c.percpu, 1);
    ck_assert_int_eq(c.precision, PREC_MS);
    ck_assert_uint_eq(c.collect, COLLECT_SYSTEM);
    ck_assert_int_eq(parse(&c, "--precision", "s", NULL), CONFIG_OK);
    ck_assert_int_eq(c.precision, PREC_S);
    ck_assert_int_eq(parse(&c, "--precision", "ns", NULL), CONFIG_OK);
    ck_assert_int_eq(c.precision, PREC_NS);
    /* InfluxDB's spellings (the [[udp]] listener's precision values) mean the same */
    ck_assert_int_eq(parse(&c, "--precision", "u", NULL), CONFIG_OK);
    ck_assert_int_eq(c.precision, PREC_US);
    ck_assert_int_eq(parse(&c, "--precision", "n", NULL), CONFIG_OK);
    ck_assert_int_eq(c.precision, PREC_NS);
    /* --opt=value form */
    ck_assert_int_eq(parse(&c, "--interval=5s", "--dest=10.0.0.1:1", NULL), CONFIG_OK);
    ck_assert_double_eq_tol(c.interval, 5, 1e-12);
    ck_assert_str_eq(c.dest[0].host, "10.0.0.1");
    ck_assert_str_eq(c.dest[0].port, "1");
}
END_TEST

START_TEST(payload_bounds)
{
    struct config c;
    ck_assert_int_eq(parse(&c, "--payload", "512", NULL), CONFIG_OK);
    ck_assert_uint_eq(c.payload, 512);
    ck_assert_int_eq(parse(&c, "--payload", "65507", NULL), CONFIG_OK);
    ck_assert_uint_eq(c.payload, 65507);
}
END_TEST

START_TEST(dest_forms)
{
    struct config c;
    ck_assert_int_eq(parse(&c, "--dest", "[::1]:8089", NULL), CONFIG_OK);
    ck_assert_str_eq(c.dest[0].host, "::1");
    ck_assert_str_eq(c.dest[0].port, "8089");
    ck_assert_int_eq(parse(&c, "--dest", "[2001:db8::5]:65535", NULL), CONFIG_OK);
    ck_assert_str_eq(c.dest[0].host, "2001:db8::5");
    ck_assert_str_eq(c.dest[0].port, "65535");
    ck_assert_int_eq(parse(&c, "--dest", "localhost:1", NULL), CONFIG_OK);
    ck_assert_str_eq(c.dest[0].host, "localhost");
    ck_assert_str_eq(c.dest[0].port, "1");
}
END_TEST

START_TEST(tags_split_in_place)
{
    struct config c;
    char **argv = keep(calloc(8, sizeof *argv));
    argv[0] = keep(strdup("procflux"));
    argv[1] = keep(strdup("--tag"));
    argv[2] = keep(strdup("rack=r12"));
    argv[3] = keep(strdup("--tag=zone=a b"));
    ck_assert_int_eq(config_parse(&c, 4, argv, err, sizeof err), CONFIG_OK);
    ck_assert_int_eq(c.ntags, 2);
    ck_assert_str_eq(c.tags[0].key, "rack");
    ck_assert_str_eq(c.tags[0].value, "r12");
    ck_assert_str_eq(c.tags[1].key, "zone");
    ck_assert_str_eq(c.tags[1].value, "a b");
    /* pointers into argv, not copies */
    ck_assert(c.tags[0].key >= argv[2] && c.tags[0].key < argv[2] + 8);
}
END_TEST

static char **tag_argv(int ntags, int *argc)
{
    char **argv = keep(calloc((size_t)(2 * ntags + 2), sizeof *argv));
    *argc = 0;
    argv[(*argc)++] = keep(strdup("procflux"));
    for (int i = 0; i < ntags; i++) {
        char t[32];
        snprintf(t, sizeof t, "k%d=v%d", i, i);
        argv[(*argc)++] = keep(strdup("--tag"));
        argv[(*argc)++] = keep(strdup(t));
    }
    return argv;
}

START_TEST(many_tags)
{
    struct config c;
    int max = (int)(sizeof c.tags / sizeof c.tags[0]), argc;
    char want[32];
    char **argv = tag_argv(max, &argc);
    ck_assert_msg(config_parse(&c, argc, argv, err, sizeof err) == CONFIG_OK, "%s", err);
    ck_assert_int_eq(c.ntags, max);
    snprintf(want, sizeof want, "v%d", max - 1);
    ck_assert_str_eq(c.tags[max - 1].value, want);
    argv = tag_argv(max + 1, &argc);
    ck_assert_int_eq(config_parse(&c, argc, argv, err, sizeof err), CONFIG_ERR);
    snprintf(want, sizeof want, "k%d=v%d", max, max); /* the one too many, named */
    ck_assert_msg(strstr(err, want) != NULL, "\"%s\" lacks %s", err, want);
}
END_TEST

START_TEST(host_proc_env)
{
    struct config c;
    setenv("HOST_PROC", "/host/proc", 1);
    ck_assert_int_eq(parse(&c, NULL), CONFIG_OK);
    ck_assert_str_eq(c.proc_root, "/host/proc");
    ck_assert_int_eq(parse(&c, "--proc-root", "/other", NULL), CONFIG_OK);
    ck_assert_str_eq(c.proc_root, "/other");
    setenv("HOST_PROC", "", 1);
    ck_assert_int_eq(parse(&c, NULL), CONFIG_OK);
    ck_assert_str_eq(c.proc_root, "");
    unsetenv("HOST_PROC");
    ck_assert_int_eq(parse(&c, NULL), CONFIG_OK);
    ck_assert_str_eq(c.proc_root, "");
}
END_TEST

START_TEST(help_and_version)
{
    struct config c;
    ck_assert_ptr_nonnull(freopen("/dev/null", "w", stdout)); /* the usage text */
    ck_assert_int_eq(parse(&c, "--help", NULL), CONFIG_EXIT);
    ck_assert_int_eq(parse(&c, "--version", NULL), CONFIG_EXIT);
}
END_TEST

START_TEST(duration_units)
{
    static const struct {
        const char *s;
        double v;
    } ok[] = {
        {"250us", 250e-6}, {"10ms", 0.01}, {"1.5s", 1.5}, {"2m", 120}, {"0s", 0}, {"1s", 1},
        {"0.5ms", 0.0005}, {"86400s", 86400}, {"1h", 3600},
    };
    static const char *const bad[] = {
        "10", "-1s", "abc", "", "s", "1 s", " 1s", "1s ", "1sec", "+1s", "1d", "1.5", "nans",
        "infs", "1e999s", "ms",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double v = -1;
        ck_assert_msg(config_duration(ok[i].s, &v) == 1, "'%s' rejected", ok[i].s);
        ck_assert_msg(fabs(v - ok[i].v) <= 1e-12 * (1 + ok[i].v), "'%s' = %g", ok[i].s, v);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v;
        ck_assert_msg(config_duration(bad[i], &v) == 0, "'%s' accepted", bad[i]);
    }
}
END_TEST

/* ---- bad values: CONFIG_ERR and a sentence naming the option and value --- */

static const struct bad {
    const char *args[6]; /* NULL-terminated */
    const char *must[2]; /* substrings of the message */
} bads[] = {
    {{"--interval", "10"}, {"interval", "10"}},
    {{"--tag", "time=x"}, {"tag", "time=x"}},
    {{"--precision", "s", "--interval", "100ms"}, {"precision s", "1s"}},
    {{"--interval", "-1s"}, {"interval", "-1s"}},
    {{"--interval", "abc"}, {"interval", "abc"}},
    {{"--interval", "0s"}, {"interval", "0s"}},
    {{"--interval", "0.5ms"}, {"interval", "0.5ms"}},
    {{"--interval", ""}, {"interval", "''"}},
    {{"--flush", "0s"}, {"flush", "0s"}},
    {{"--flush", "1 s"}, {"flush", "1 s"}},
    {{"--stats-every", "abc"}, {"stats-every", "abc"}},
    {{"--resolve-every", "500ms"}, {"resolve-every", "500ms"}},
    {{"--payload", "511"}, {"payload", "511"}},
    {{"--payload", "65508"}, {"payload", "65508"}},
    {{"--payload", "abc"}, {"payload", "abc"}},
    {{"--payload", "-600"}, {"payload", "-600"}},
    {{"--payload", "1400x"}, {"payload", "1400x"}},
    {{"--payload", "99999999999999999999999"}, {"payload", "99999999999999999999999"}},
    {{"--dest", "localhost"}, {"dest", "localhost"}},
    {{"--dest", "127.0.0.1"}, {"dest", "127.0.0.1"}},
    {{"--dest", "127.0.0.1:"}, {"dest", "127.0.0.1:"}},
    {{"--dest", ":8089"}, {"dest", ":8089"}},
    {{"--dest", "h:0"}, {"dest", "h:0"}},
    {{"--dest", "h:65536"}, {"dest", "h:65536"}},
    {{"--dest", "h:abc"}, {"dest", "h:abc"}},
    {{"--dest", "h:-1"}, {"dest", "h:-1"}},
    {{"--dest", "::1:8089"}, {"dest", "::1:8089"}},
    {{"--dest", "[::1]"}, {"dest", "[::1]"}},
    {{"--dest", "[::1]8089"}, {"dest", "[::1]8089"}},
    {{"--dest", "[::1]:0"}, {"dest", "[::1]:0"}},
    {{"--dest", "[::1"}, {"dest", "[::1"}},
    {{"--tag", "novalue"}, {"tag", "novalue"}},
    {{"--tag", "=v"}, {"tag", "=v"}},
    {{"--tag", "k="}, {"tag", "k="}},
    {{"--tag", "host=web"}, {"tag", "host=web"}},
    {{"--tag", "cpu=x"}, {"tag", "cpu=x"}},
    {{"--tag", "a=1", "--tag", "a=2"}, {"tag", "a=2"}},
    {{"--precision", "xs"}, {"precision", "xs"}},
    {{"--precision", ""}, {"precision", "''"}},
    /* InfluxDB knows m and h; procflux does not send them (ticks within a minute would collide) */
    {{"--precision", "m"}, {"'m'", "u for us"}},
    {{"--precision", "µs"}, {"precision", "µs"}},
    {{"--host", ""}, {"host", NULL}},
    {{"--proc-root", ""}, {"proc-root", NULL}},
    {{"--collect", "cpu,foo"}, {"collect", "foo"}},
    {{"--collect", "disk"}, {"collect", "disk"}},
    {{"--collect", ""}, {"collect", NULL}},
    {{"--bogus"}, {"--bogus", NULL}},
    {{"--bogus=1"}, {"--bogus", NULL}},
    {{"-x"}, {"-x", NULL}},
    {{"--interval"}, {"--interval", NULL}},
    {{"--once", "--tag"}, {"--tag", NULL}},
    {{"--once", "stray"}, {"stray", NULL}},
    {{"stray", "--once"}, {"stray", NULL}},
    {{"--no-percpu", "--no-totalcpu", "--collect", "cpu"}, {"no-percpu", "no-totalcpu"}},
    /* leading whitespace is not a number: rejected like a leading space in a duration */
    {{"--interval", "\t1s"}, {"interval", "\t1s"}},
    {{"--payload", " 600"}, {"payload", " 600"}},
    {{"--dest", "h: 80"}, {"dest", "h: 80"}},
    /* optional collectors, fan-out, --window, --fields, filters */
    {{"--collect", "cpu,netx"}, {"collect", "netx"}},
    {{"--dest", "a:1", "--dest", "a:1"}, {"dest", "twice"}},
    {{"--dest", "127.000.000.001:1", "--dest", "127.0.0.1:1"}, {"dest", "twice"}},
    {{"--dest", "[::1]:9", "--dest", "[0:0::1]:9"}, {"dest", "twice"}},
    {{"--window", "1s", "--once"}, {"window", "once"}},
    {{"--precision", "s", "--stats-every", "500ms"}, {"precision s", "stats-every"}},
    {{"--host", "a\nb"}, {"host", "line break"}},
    {{"--window", "10ms", "--interval", "10ms"}, {"window", "multiple"}},
    {{"--window", "25ms", "--interval", "10ms"}, {"window", "multiple"}},
    {{"--window", "1x"}, {"window", "1x"}},
    {{"--fields", "cpu"}, {"fields", "'cpu'"}},
    {{"--fields", "cpu:"}, {"fields", "'cpu:'"}},
    {{"--fields", "disk:reads"}, {"fields", "'disk'"}},
    {{"--fields", "cpu:a,,b"}, {"fields", "a,,b"}},
    {{"--fields", "cpu:a", "--fields", "cpu:b"}, {"fields", "second time"}},
#ifdef FULL_BUILD
    {{"--fields", "net:bytes_recv"}, {"net", "--collect"}},
    {{"--collect", "net", "--net-interfaces", ",eth0"}, {"net-interfaces", ",eth0"}},
    {{"--collect=net", "--net-interfaces", "a", "--net-interfaces", "b"}, {"net-interfaces", "second"}},
    {{"--collect", "pressure", "--tag", "type=prod"}, {"tag", "pressure"}},
    {{"--collect", "net", "--tag", "interface=x"}, {"tag", "net"}},
    {{"--collect", "diskio", "--tag", "name=x"}, {"tag", "diskio"}},
#else
    {{"--collect", "cpu,net"}, {"collect", "not built"}},
    {{"--fields", "net:bytes_recv"}, {"fields", "not built"}},
#endif
    {{"--tag", "dest=x"}, {"tag", "procflux"}},
    {{"--fields", "procflux:ticks", "--stats-every", "0s"}, {"procflux", "stats-every"}},
    {{"--net-interfaces", "eth*"}, {"net-interfaces", "collect"}},
    {{"--diskio-devices", "sd*"}, {"diskio-devices", "collect"}},
};
#define NBADS ((int)(sizeof bads / sizeof bads[0]))

START_TEST(bad_value)
{
    const struct bad *b = &bads[_i];
    struct config c;
    char **argv = keep(calloc(8, sizeof *argv));
    char what[256] = "";
    int argc = 0, rc;
    argv[argc++] = keep(strdup("procflux"));
    for (int i = 0; b->args[i]; i++) {
        argv[argc++] = keep(strdup(b->args[i]));
        strncat(what, b->args[i], sizeof what - strlen(what) - 2);
        strcat(what, " ");
    }
    memset(err, 0, sizeof err);
    rc = config_parse(&c, argc, argv, err, sizeof err);
    ck_assert_msg(rc == CONFIG_ERR, "'%s' accepted (rc %d)", what, rc);
    ck_assert_msg(strlen(err) > 10, "'%s': no sentence in err", what);
    for (int i = 0; i < 2 && b->must[i]; i++)
        ck_assert_msg(strstr(err, b->must[i]) != NULL, "'%s': message \"%s\" lacks \"%s\"", what, err,
                      b->must[i]);
}
END_TEST

START_TEST(bad_short_option_cluster)
{
    /* "-xv": the message must name the bad option, not the program */
    struct config c;
    ck_assert_int_eq(parse(&c, "-xv", NULL), CONFIG_ERR);
    ck_assert_msg(strstr(err, "-x") != NULL, "message \"%s\" does not name -x", err);
}
END_TEST

START_TEST(no_percpu_and_totalcpu_with_other_collectors)
{
    struct config c;
    ck_assert_int_eq(parse(&c, "--no-percpu", "--no-totalcpu", NULL), CONFIG_OK);
    ck_assert_int_eq(c.percpu, 0);
    ck_assert_int_eq(c.totalcpu, 0);
}
END_TEST

#ifdef FULL_BUILD
START_TEST(collectors_and_filters)
{
    struct config c;
    ck_assert_int_eq(parse(&c, "--collect", "kernel,processes,pressure,net,diskio,cpu", "--net-interfaces",
                           "eth*,wlan?", "--diskio-devices", "sda,nvme0n1", NULL), CONFIG_OK);
    ck_assert_uint_eq(c.collect, COLLECT_KERNEL | COLLECT_PROCESSES | COLLECT_PRESSURE | COLLECT_NET |
                                     COLLECT_DISKIO | COLLECT_CPU);
    ck_assert_int_eq(c.net_interfaces.n, 2);
    ck_assert_str_eq(c.net_interfaces.pat[0], "eth*");
    ck_assert_str_eq(c.net_interfaces.pat[1], "wlan?");
    ck_assert_int_eq(c.diskio_devices.n, 2);
    ck_assert_str_eq(c.diskio_devices.pat[1], "nvme0n1");
    {
        /* every measurement has a bit of its own */
        const char *all[] = {"cpu", "mem", "system", "kernel", "processes", "pressure", "net", "diskio"};
        unsigned seen = 0;
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
            ck_assert_uint_ne(bit(all[i]), 0);
            ck_assert_uint_eq(seen & bit(all[i]), 0);
            seen |= bit(all[i]);
        }
        ck_assert_uint_eq(bit("procflux"), 0);
        ck_assert_uint_eq(bit("disk"), 0);
    }
}
END_TEST
#endif

START_TEST(destinations_repeat)
{
    struct config c;
    ck_assert_int_eq(parse(&c, NULL), CONFIG_OK);
    ck_assert_int_eq(c.ndest, 1);
    ck_assert_int_eq(parse(&c, "--dest", "10.0.0.1:8089", "--dest", "[::1]:9", "--dest", "b:8089", NULL),
                     CONFIG_OK);
    ck_assert_int_eq(c.ndest, 3); /* the default gave way to the first --dest */
    ck_assert_str_eq(c.dest[0].host, "10.0.0.1");
    ck_assert_str_eq(c.dest[1].host, "::1");
    ck_assert_str_eq(c.dest[1].port, "9");
    ck_assert_str_eq(c.dest[2].host, "b");
    ck_assert_int_eq(parse(&c, "--dest", "a:1", "--dest", "a:2", "--dest", "a:3", "--dest", "a:4", "--dest",
                           "a:5", "--dest", "a:6", "--dest", "a:7", "--dest", "a:8", NULL), CONFIG_OK);
    ck_assert_int_eq(c.ndest, CONFIG_MAX_DESTS);
    ck_assert_int_eq(parse(&c, "--dest", "a:1", "--dest", "a:2", "--dest", "a:3", "--dest", "a:4", "--dest",
                           "a:5", "--dest", "a:6", "--dest", "a:7", "--dest", "a:8", "--dest", "a:9", NULL),
                     CONFIG_ERR);
    ck_assert_ptr_nonnull(strstr(err, "'a:9' is one too many"));
    /* port 01 is port 1: the same destination twice */
    ck_assert_int_eq(parse(&c, "--dest", "a:1", "--dest", "a:01", NULL), CONFIG_ERR);
}
END_TEST

START_TEST(zero_blanks_and_precision)
{
    struct config c;
    ck_assert_int_eq(parse(&c, "--stats-every", "0", "--resolve-every", "0", "--window", "0", NULL), CONFIG_OK);
    ck_assert_double_eq(c.stats_every, 0);
    ck_assert_double_eq(c.resolve_every, 0);
    ck_assert_int_eq(parse(&c, "--interval", "0", NULL), CONFIG_ERR); /* no "0 = off" there */
    /* one point per whole-second window: second precision is enough */
    ck_assert_int_eq(parse(&c, "--precision", "s", "--interval", "10ms", "--window", "2s", NULL), CONFIG_OK);
    ck_assert_int_eq(parse(&c, "--precision", "s", "--interval", "10ms", "--window", "500ms", NULL), CONFIG_ERR);
#ifdef FULL_BUILD
    ck_assert_int_eq(parse(&c, "--collect", "net", "--net-interfaces", " lo , eth0\t", NULL), CONFIG_OK);
    ck_assert_int_eq(c.net_interfaces.n, 2);
    ck_assert_str_eq(c.net_interfaces.pat[0], "lo");
    ck_assert_str_eq(c.net_interfaces.pat[1], "eth0");
    ck_assert_int_eq(parse(&c, "--collect", "net", "--net-interfaces", "lo, ,eth0", NULL), CONFIG_ERR);
#endif
}
END_TEST

START_TEST(window_and_fields)
{
    struct config c;
    ck_assert_int_eq(parse(&c, "--interval", "1ms", "--window", "1s", "--fields",
                           "cpu:usage_user*,usage_system_max", "--fields", "mem:used_percent", NULL),
                     CONFIG_OK);
    ck_assert_double_eq_tol(c.window, 1, 1e-12);
    ck_assert_int_eq(c.nfieldsets, 2);
    ck_assert_str_eq(c.fieldsets[0].measurement, "cpu");
    ck_assert_int_eq(c.fieldsets[0].keep.n, 2);
    ck_assert_str_eq(c.fieldsets[0].keep.pat[0], "usage_user*");
    ck_assert_str_eq(c.fieldsets[0].keep.pat[1], "usage_system_max");
    ck_assert_str_eq(c.fieldsets[1].measurement, "mem");
    ck_assert_int_eq(parse(&c, "--interval", "100ms", "--window", "300ms", NULL), CONFIG_OK);
    ck_assert_int_eq(parse(&c, "--interval", "3ms", "--window", "1s", NULL), CONFIG_ERR);
    ck_assert_ptr_nonnull(strstr(err, "whole multiple"));
    ck_assert_int_eq(parse(&c, "--window", "0s", NULL), CONFIG_OK);
    ck_assert_double_eq(c.window, 0);
}
END_TEST

/* ---- the config file ---------------------------------------------------- */

static char conf_path[64];

static const char *write_conf(const char *text)
{
    int fd;
    snprintf(conf_path, sizeof conf_path, "/tmp/procflux-test-conf.XXXXXX");
    fd = mkstemp(conf_path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return conf_path;
}

START_TEST(config_file_sets_and_command_line_overrides)
{
    struct config c;
    const char *path = write_conf("# a comment\n\n  interval = 250ms \nflush=2s\ntag = dc=ams 1\n"
                                  "tag = role=db\ncpu-time\nno-percpu = true\nno-totalcpu = false\n"
                                  "dest = [::1]:9000\n");
    ck_assert_int_eq(parse(&c, "--config", path, "--interval", "100ms", "--tag", "role=web",
                           "--tag", "zone=b", NULL), CONFIG_OK);
    unlink(path);
    ck_assert_double_eq_tol(c.interval, 0.1, 1e-12); /* command line wins */
    ck_assert_double_eq_tol(c.flush, 2, 1e-12);      /* from the file */
    ck_assert_int_eq(c.cpu_time, 1);
    ck_assert_int_eq(c.percpu, 0);
    ck_assert_int_eq(c.totalcpu, 1);
    ck_assert_str_eq(c.dest[0].host, "::1");
    ck_assert_str_eq(c.dest[0].port, "9000");
    ck_assert_int_eq(c.ntags, 3);
    ck_assert_str_eq(c.tags[0].key, "dc");
    ck_assert_str_eq(c.tags[0].value, "ams 1");
    ck_assert_str_eq(c.tags[1].key, "role");
    ck_assert_str_eq(c.tags[1].value, "web"); /* --tag overrides the file's tag */
    ck_assert_str_eq(c.tags[2].key, "zone");
    config_free(&c);
}
END_TEST

START_TEST(config_file_flags_and_tag_overrides)
{
    struct config c;
    const char *path = write_conf("cpu-time = true\ncpu-time = false\nstdout\nstdout = no\n"
                                  "tag = a=0\n");
    /* a later "false" undoes an earlier "true" */
    ck_assert_int_eq(parse(&c, "--config", path, NULL), CONFIG_OK);
    ck_assert_int_eq(c.cpu_time, 0);
    ck_assert_int_eq(c.to_stdout, 0);
    config_free(&c);
    /* --tag replaces the file's tag once; a second --tag with the key is a repeat */
    ck_assert_int_eq(parse(&c, "--config", path, "--tag", "a=1", NULL), CONFIG_OK);
    ck_assert_int_eq(c.ntags, 1);
    ck_assert_str_eq(c.tags[0].value, "1");
    config_free(&c);
    ck_assert_int_eq(parse(&c, "--config", path, "--tag", "a=1", "--tag", "a=2", NULL), CONFIG_ERR);
    ck_assert_ptr_nonnull(strstr(err, "repeats"));
    config_free(&c);
    unlink(path);
}
END_TEST

#ifdef FULL_BUILD
START_TEST(config_file_dests_and_fields_give_way)
{
    struct config c;
    const char *path = write_conf("dest = a:1\ndest = b:2\nfields = cpu:usage_idle\n"
                                  "fields = mem:used\ncollect = cpu,mem,net\nnet-interfaces = eth0\n");
    ck_assert_int_eq(parse(&c, "--config", path, NULL), CONFIG_OK);
    ck_assert_int_eq(c.ndest, 2);
    ck_assert_str_eq(c.dest[1].host, "b");
    ck_assert_int_eq(c.nfieldsets, 2);
    ck_assert_str_eq(c.net_interfaces.pat[0], "eth0");
    config_free(&c);
    /* the command line's --dest list replaces the file's; its --fields cpu replaces the file's once */
    ck_assert_int_eq(parse(&c, "--config", path, "--dest", "c:3", "--fields", "cpu:usage_user", NULL),
                     CONFIG_OK);
    ck_assert_int_eq(c.ndest, 1);
    ck_assert_str_eq(c.dest[0].host, "c");
    ck_assert_int_eq(c.nfieldsets, 2);
    ck_assert_str_eq(c.fieldsets[0].keep.pat[0], "usage_user");
    config_free(&c);
    ck_assert_int_eq(parse(&c, "--config", path, "--fields", "cpu:a", "--fields", "cpu:b", NULL),
                     CONFIG_ERR);
    config_free(&c);
    unlink(path);
}
END_TEST
#endif

START_TEST(config_file_errors_name_file_and_line)
{
    static const struct {
        const char *text, *must;
    } cases[] = {
        {"interval = 1s\ninterval = 10\n", ":2: --interval: '10'"},
        {"\n\nbogus = 1\n", ":3: 'bogus' is not a setting"},
        {"cpu-time = maybe\n", ":1: cpu-time = 'maybe'"},
        {"dest\n", ":1: dest needs a value"},
        {"tag = a=1\ntag = a=2\n", ":2: --tag: 'a=2' repeats"},
        {"help\n", ":1: 'help' is not a setting"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct config c;
        const char *path = write_conf(cases[i].text);
        ck_assert_int_eq(parse(&c, "--config", path, NULL), CONFIG_ERR);
        unlink(path);
        ck_assert_msg(strstr(err, path) && strstr(err, cases[i].must), "case %zu: '%s' lacks '%s'", i,
                      err, cases[i].must);
        config_free(&c);
    }
    {
        struct config c;
        ck_assert_int_eq(parse(&c, "--config", "/nonexistent/procflux.conf", NULL), CONFIG_ERR);
        ck_assert_ptr_nonnull(strstr(err, "/nonexistent/procflux.conf"));
        config_free(&c);
    }
    {
        /* a NUL byte: what follows it must not silently not count */
        struct config c;
        int fd;
        static const char text[] = "interval = 1s\n\0\ninterval = banana\n";
        snprintf(conf_path, sizeof conf_path, "/tmp/procflux-test-conf.XXXXXX");
        fd = mkstemp(conf_path);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
        close(fd);
        ck_assert_int_eq(parse(&c, "--config", conf_path, NULL), CONFIG_ERR);
        unlink(conf_path);
        ck_assert_msg(strstr(err, ":2: holds a NUL byte"), "%s", err);
        config_free(&c);
    }
    {
        /* a FIFO (nobody writing): refused at once, not a hang */
        struct config c;
        char fifo[] = "/tmp/procflux-test-fifo.XXXXXX";
        int fd = mkstemp(fifo);
        ck_assert_int_ge(fd, 0);
        close(fd);
        unlink(fifo);
        ck_assert_int_eq(mkfifo(fifo, 0600), 0);
        ck_assert_int_eq(parse(&c, "--config", fifo, NULL), CONFIG_ERR);
        unlink(fifo);
        ck_assert_msg(strstr(err, "not a regular file"), "%s", err);
        config_free(&c);
    }
}
END_TEST

START_TEST(flush_jitter)
{
    struct config c;
    ck_assert_int_eq(parse(&c, "--interval", "5s", NULL), CONFIG_OK); /* one interval, the flush stretched to it */
    ck_assert_double_eq_tol(c.flush_jitter, 5, 1e-12);
    ck_assert_int_eq(parse(&c, "--interval", "10ms", NULL), CONFIG_OK); /* one interval of the 1 s flush */
    ck_assert_double_eq_tol(c.flush_jitter, 0.01, 1e-12);
    ck_assert_int_eq(parse(&c, "--flush-jitter", "0", NULL), CONFIG_OK);
    ck_assert_double_eq(c.flush_jitter, 0);
    ck_assert_int_eq(parse(&c, "--flush", "2s", "--flush-jitter", "300ms", NULL), CONFIG_OK);
    ck_assert_double_eq_tol(c.flush_jitter, 0.3, 1e-12);
    ck_assert_int_eq(parse(&c, "--flush", "200ms", "--flush-jitter", "5s", NULL), CONFIG_OK);
    ck_assert_double_eq_tol(c.flush_jitter, 0.2, 1e-12); /* at most all of --flush */
    ck_assert_int_eq(parse(&c, "--flush-jitter", "soon", NULL), CONFIG_ERR);
    ck_assert_ptr_nonnull(strstr(err, "--flush-jitter: 'soon'"));
}
END_TEST

START_TEST(proc_root_option_beats_a_bad_host_proc)
{
    /* --proc-root wins over HOST_PROC, so a HOST_PROC too long to use is no error then */
    struct config c;
    char longer[400];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    setenv("HOST_PROC", longer, 1);
    ck_assert_int_eq(parse(&c, "--proc-root", "/host/proc", NULL), CONFIG_OK);
    ck_assert_str_eq(c.proc_root, "/host/proc");
    config_free(&c);
    ck_assert_int_eq(parse(&c, NULL), CONFIG_ERR);
    ck_assert_ptr_nonnull(strstr(err, "HOST_PROC"));
    config_free(&c);
    unsetenv("HOST_PROC");
}
END_TEST

/* ---- precedence: defaults < file < environment (HOST_PROC) < command line */

START_TEST(precedence_scalar)
{
    struct config c;
    const char *path = write_conf("interval = 2s\ncpu-time\n");
    ck_assert_int_eq(parse(&c, "--config", "", NULL), CONFIG_OK);
    ck_assert_double_eq_tol(c.interval, 1, 1e-12); /* the default */
    ck_assert_int_eq(parse(&c, "--config", path, NULL), CONFIG_OK);
    ck_assert_double_eq_tol(c.interval, 2, 1e-12); /* the file over the default */
    ck_assert_double_eq_tol(c.flush, 2, 1e-12);    /* (flush follows it, not given anywhere) */
    ck_assert_int_eq(c.cpu_time, 1);
    config_free(&c);
    ck_assert_int_eq(parse(&c, "--interval", "3s", "--config", path, NULL), CONFIG_OK);
    ck_assert_double_eq_tol(c.interval, 3, 1e-12); /* the command line over the file, wherever --config is */
    ck_assert_int_eq(c.cpu_time, 1);               /* what the command line did not set stays the file's */
    config_free(&c);
    /* the last of one source wins */
    ck_assert_int_eq(parse(&c, "--config", path, "--interval", "3s", "--interval", "4s", NULL), CONFIG_OK);
    ck_assert_double_eq_tol(c.interval, 4, 1e-12);
    config_free(&c);
    unlink(path);
}
END_TEST

START_TEST(precedence_dest_list)
{
    struct config c;
    const char *path = write_conf("dest = a:1\ndest = b:2\n");
    ck_assert_int_eq(parse(&c, "--config", path, NULL), CONFIG_OK);
    ck_assert_int_eq(c.ndest, 2); /* the file's list replaces the default */
    ck_assert_str_eq(c.dest[0].host, "a");
    ck_assert_str_eq(c.dest[1].host, "b");
    config_free(&c);
    /* the command line's list replaces the file's whole, so a:1 again is no repeat */
    ck_assert_int_eq(parse(&c, "--config", path, "--dest", "c:3", "--dest", "a:1", NULL), CONFIG_OK);
    ck_assert_int_eq(c.ndest, 2);
    ck_assert_str_eq(c.dest[0].host, "c");
    ck_assert_str_eq(c.dest[1].host, "a");
    config_free(&c);
    unlink(path);
}
END_TEST

START_TEST(precedence_tags)
{
    struct config c;
    int max = (int)(sizeof c.tags / sizeof c.tags[0]);
    const char *path = write_conf("tag = a=file\ntag = b=file\n");
    ck_assert_int_eq(parse(&c, "--config", path, "--tag", "b=cli", "--tag", "c=cli", NULL), CONFIG_OK);
    ck_assert_int_eq(c.ntags, 3); /* per key: the file's a, the command line's b and c */
    ck_assert_str_eq(c.tags[0].key, "a");
    ck_assert_str_eq(c.tags[0].value, "file");
    ck_assert_str_eq(c.tags[1].key, "b");
    ck_assert_str_eq(c.tags[1].value, "cli");
    ck_assert_str_eq(c.tags[2].key, "c");
    ck_assert_str_eq(c.tags[2].value, "cli");
    config_free(&c);
    unlink(path);
    {
        /* the limit is on the merged tags: a file full of tags takes overrides, not one more */
        char text[4096] = "";
        for (int i = 0; i < max; i++)
            snprintf(text + strlen(text), sizeof text - strlen(text), "tag = k%d=v%d\n", i, i);
        path = write_conf(text);
        ck_assert_msg(parse(&c, "--config", path, "--tag", "k0=new", NULL) == CONFIG_OK, "%s", err);
        ck_assert_int_eq(c.ntags, max);
        for (int i = 0; i < c.ntags; i++)
            if (!strcmp(c.tags[i].key, "k0")) ck_assert_str_eq(c.tags[i].value, "new");
        config_free(&c);
        ck_assert_int_eq(parse(&c, "--config", path, "--tag", "extra=1", NULL), CONFIG_ERR);
        ck_assert_msg(strstr(err, "'extra=1' is one too many") != NULL, "%s", err);
        config_free(&c);
        unlink(path);
    }
}
END_TEST

START_TEST(precedence_fields)
{
    struct config c;
    const char *path = write_conf("fields = cpu:usage_idle\nfields = mem:used\n");
    ck_assert_int_eq(parse(&c, "--config", path, "--fields", "cpu:usage_user,usage_system", NULL), CONFIG_OK);
    ck_assert_int_eq(c.nfieldsets, 2); /* per measurement: the command line's cpu, the file's mem */
    ck_assert_str_eq(c.fieldsets[0].measurement, "cpu");
    ck_assert_int_eq(c.fieldsets[0].keep.n, 2);
    ck_assert_str_eq(c.fieldsets[0].keep.pat[0], "usage_user");
    ck_assert_str_eq(c.fieldsets[1].measurement, "mem");
    ck_assert_str_eq(c.fieldsets[1].keep.pat[0], "used");
    config_free(&c);
    /* once per measurement within a source, also in the file */
    unlink(path);
    path = write_conf("fields = cpu:usage_idle\nfields = cpu:usage_user\n");
    ck_assert_int_eq(parse(&c, "--config", path, NULL), CONFIG_ERR);
    ck_assert_msg(strstr(err, ":2: --fields") && strstr(err, "second time"), "%s", err);
    config_free(&c);
    unlink(path);
}
END_TEST

START_TEST(precedence_proc_root)
{
    struct config c;
    const char *path = write_conf("proc-root = /from/file\n");
    ck_assert_int_eq(parse(&c, "--config", path, NULL), CONFIG_OK);
    ck_assert_str_eq(c.proc_root, "/from/file"); /* the file over the default */
    config_free(&c);
    setenv("HOST_PROC", "/from/env", 1);
    ck_assert_int_eq(parse(&c, "--config", path, NULL), CONFIG_OK);
    ck_assert_str_eq(c.proc_root, "/from/env"); /* the environment over the file */
    config_free(&c);
    ck_assert_int_eq(parse(&c, "--config", path, "--proc-root", "/from/cli", NULL), CONFIG_OK);
    ck_assert_str_eq(c.proc_root, "/from/cli"); /* the command line over both */
    config_free(&c);
    setenv("HOST_PROC", "", 1); /* empty: not set */
    ck_assert_int_eq(parse(&c, "--config", path, NULL), CONFIG_OK);
    ck_assert_str_eq(c.proc_root, "/from/file");
    config_free(&c);
    unsetenv("HOST_PROC");
    unlink(path);
}
END_TEST

#ifdef FULL_BUILD
START_TEST(precedence_pattern_lists)
{
    struct config c;
    const char *path = write_conf("collect = net,diskio\nnet-interfaces = eth0,eth1\ndiskio-devices = sda\n");
    ck_assert_int_eq(parse(&c, "--config", path, "--net-interfaces", "wlan0", NULL), CONFIG_OK);
    ck_assert_int_eq(c.net_interfaces.n, 1); /* replaced whole */
    ck_assert_str_eq(c.net_interfaces.pat[0], "wlan0");
    ck_assert_int_eq(c.diskio_devices.n, 1); /* the file's */
    ck_assert_str_eq(c.diskio_devices.pat[0], "sda");
    config_free(&c);
    unlink(path);
}
END_TEST
#endif

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("good");
    tcase_add_checked_fixture(tc, keep_setup, keep_teardown);
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, flush_follows_longer_interval);
    tcase_add_test(tc, every_option);
    tcase_add_test(tc, payload_bounds);
    tcase_add_test(tc, dest_forms);
    tcase_add_test(tc, tags_split_in_place);
    tcase_add_test(tc, many_tags);
    tcase_add_test(tc, host_proc_env);
    tcase_add_test(tc, help_and_version);
    tcase_add_test(tc, duration_units);
    tcase_add_test(tc, no_percpu_and_totalcpu_with_other_collectors);
#ifdef FULL_BUILD
    tcase_add_test(tc, collectors_and_filters);
#endif
    tcase_add_test(tc, destinations_repeat);
    tcase_add_test(tc, window_and_fields);
    tcase_add_test(tc, zero_blanks_and_precision);
    suite_add_tcase(s, tc);

    tc = tcase_create("file");
    tcase_add_checked_fixture(tc, keep_setup, keep_teardown);
    tcase_add_test(tc, config_file_sets_and_command_line_overrides);
    tcase_add_test(tc, config_file_errors_name_file_and_line);
    tcase_add_test(tc, proc_root_option_beats_a_bad_host_proc);
    tcase_add_test(tc, flush_jitter);
    tcase_add_test(tc, config_file_flags_and_tag_overrides);
#ifdef FULL_BUILD
    tcase_add_test(tc, config_file_dests_and_fields_give_way);
#endif
    suite_add_tcase(s, tc);

    tc = tcase_create("precedence");
    tcase_add_checked_fixture(tc, keep_setup, keep_teardown);
    tcase_add_test(tc, precedence_scalar);
    tcase_add_test(tc, precedence_dest_list);
    tcase_add_test(tc, precedence_tags);
    tcase_add_test(tc, precedence_fields);
    tcase_add_test(tc, precedence_proc_root);
#ifdef FULL_BUILD
    tcase_add_test(tc, precedence_pattern_lists);
#endif
    suite_add_tcase(s, tc);

    tc = tcase_create("bad");
    tcase_add_checked_fixture(tc, keep_setup, keep_teardown);
    tcase_add_loop_test(tc, bad_value, 0, NBADS);
    tcase_add_test(tc, bad_short_option_cluster);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(config_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
