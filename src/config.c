#include "config.h"

#include <ctype.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "collector.h"
#include "pages.h"
#include "procparse.h"
#include "telemetry.h"
#include "udp.h"

#ifndef PROCFLUX_VERSION
#define PROCFLUX_VERSION "0.1.0"
#endif

enum {
    OPT_INTERVAL = 256, OPT_FLUSH, OPT_PAYLOAD, OPT_DEST, OPT_HOST, OPT_TAG, OPT_PRECISION,
    OPT_NO_PERCPU, OPT_NO_TOTALCPU, OPT_CPU_TIME, OPT_PROC_ROOT, OPT_STDOUT, OPT_ONCE,
    OPT_STATS_EVERY, OPT_RESOLVE_EVERY, OPT_COLLECT, OPT_WINDOW, OPT_FIELDS, OPT_NET_INTERFACES,
    OPT_DISKIO_DEVICES, OPT_FLUSH_JITTER, OPT_CGROUPS, OPT_CGROUP_ROOT, OPT_CGROUP_DEPTH, OPT_CONFIG, OPT_VERBOSE,
    OPT_QUIET, OPT_HELP, OPT_VERSION,
};

/* A long option: its name, whether it takes a value, its OPT_* code. */
struct option {
    const char *name;
    int has_arg;
    int *unused;
    int val;
};
enum { no_argument, required_argument };

static const struct option options[] = {
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"flush", required_argument, NULL, OPT_FLUSH},
    {"flush-jitter", required_argument, NULL, OPT_FLUSH_JITTER},
    {"payload", required_argument, NULL, OPT_PAYLOAD},
    {"dest", required_argument, NULL, OPT_DEST},
    {"host", required_argument, NULL, OPT_HOST},
    {"tag", required_argument, NULL, OPT_TAG},
    {"precision", required_argument, NULL, OPT_PRECISION},
    {"no-percpu", no_argument, NULL, OPT_NO_PERCPU},
    {"no-totalcpu", no_argument, NULL, OPT_NO_TOTALCPU},
    {"cpu-time", no_argument, NULL, OPT_CPU_TIME},
    {"proc-root", required_argument, NULL, OPT_PROC_ROOT},
    {"stdout", no_argument, NULL, OPT_STDOUT},
    {"once", no_argument, NULL, OPT_ONCE},
    {"stats-every", required_argument, NULL, OPT_STATS_EVERY},
    {"resolve-every", required_argument, NULL, OPT_RESOLVE_EVERY},
    {"collect", required_argument, NULL, OPT_COLLECT},
    {"window", required_argument, NULL, OPT_WINDOW},
    {"fields", required_argument, NULL, OPT_FIELDS},
    {"net-interfaces", required_argument, NULL, OPT_NET_INTERFACES},
    {"diskio-devices", required_argument, NULL, OPT_DISKIO_DEVICES},
    {"cgroups", required_argument, NULL, OPT_CGROUPS},
    {"cgroup-root", required_argument, NULL, OPT_CGROUP_ROOT},
    {"cgroup-depth", required_argument, NULL, OPT_CGROUP_DEPTH},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

const char *const config_default_collect[] = {"cpu", "mem", "system", NULL};

void config_free(struct config *c)
{
    free(c->file_text);
    c->file_text = NULL;
}

void config_usage(void *fp)
{
    FILE *f = fp;
    fputs("Usage: procflux [OPTION]...\n"
          "Sample this host's CPU, memory, load, network, disks and more from /proc and send\n"
          "them to InfluxDB as line protocol over UDP, many points per datagram.\n"
          "\n"
          "  --interval DURATION     sampling period, aligned to the wall clock (default 1s, min 1ms)\n"
          "  --flush DURATION        longest a sample waits to be sent (default 1s, or the interval if longer)\n"
          "  --flush-jitter DURATION spread this host's sends over up to this much of --flush, by a\n"
          "                          phase taken from the host name, so a fleet does not send at once\n"
          "                          (default: one interval, at most --flush; 0 = off)\n"
          "  --dest HOST:PORT        receiver (default 127.0.0.1:8089; IPv6 as [::1]:8089); repeat it\n"
          "                          to send every datagram to each (at most 8)\n"
          "  --payload BYTES         datagram payload, 512-65507 (default: the route's MTU less headers)\n"
          "  --host NAME             value of the host tag (default: gethostname)\n"
          "  --tag KEY=VALUE         add a tag to every line (repeatable)\n"
          "  --precision P           timestamp precision: ns, us, ms or s; n, u as InfluxDB spells them (default ns)\n"
          "  --collect LIST          collectors, comma-separated (default cpu,mem,system); this build has:\n"
          "                          ",
          f);
    fputs(collector_names(), f);
    fputs("\n"
          "  --fields MEAS:F1,F2,... keep only these fields of measurement MEAS (* and ? match;\n"
          "                          repeatable, once per measurement)\n"
          "  --window DURATION       sample every tick, send once per window: usage over the window\n"
          "                          with its min and max, counters with their peak and mean rates\n"
          "                          (bytes_recv_rate_max, ...), the rest as last read\n"
          "  --net-interfaces LIST   interfaces for net, comma-separated, * and ? match (default: all but lo)\n"
          "  --diskio-devices LIST   devices for diskio, comma-separated, * and ? match (default: whole disks)\n"
          "  --cgroups LIST          cgroups for cgroup: paths under the root, comma-separated, * and ?\n"
          "                          match within one path segment (default: services, users, VMs,\n"
          "                          containers and pods: system.slice/*,docker/*,kubepods*/*/*pod*,...)\n"
          "  --cgroup-root DIR       the cgroup mount (env HOST_CGROUP; default /sys/fs/cgroup)\n"
          "  --cgroup-depth N        walk no deeper than N levels under the root, 1-16 (default 3)\n"
          "  --no-percpu             no per-core cpu series\n"
          "  --no-totalcpu           no cpu-total series\n"
          "  --cpu-time              add time_* fields (seconds) to cpu\n"
          "  --proc-root DIR         read DIR/stat, DIR/meminfo, ... (env HOST_PROC; default /proc)\n"
          "  --stats-every DURATION  self-telemetry (measurement procflux) period, 0 = off (default 10s)\n"
          "  --resolve-every DURATION  re-resolve the destination name, 0 = only after errors (default 30s)\n"
          "  --stdout                write lines to standard output instead of UDP\n"
          "  --once                  take two readings one interval apart, emit one tick, exit\n"
          "  --config FILE           settings file, one 'option = value' a line (default\n"
          "                          " CONFIG_DEFAULT_FILE " when present); the command line wins\n"
          "  --verbose, --quiet      more or less logging on standard error\n"
          "  --help, --version\n"
          "\n"
          "Durations take a unit: us, ms, s, m or h (250us, 10ms, 1.5s, 2m).\n"
          "Exit status: 0 ok, 2 bad command line or config file, 3 could not start.\n",
          f);
}

int config_duration(const char *s, double *out)
{
    const char *p = s, *end = s + strlen(s);
    double v, unit;
    /* Digits with an optional fraction, then a unit: no sign, no exponent, no
       white space (pp_udecimal; strtod would also pull its code into RSS). */
    if (!isdigit((unsigned char)s[0]) || !pp_udecimal(&p, end, &v)) return 0;
    if (strcmp(p, "us") == 0) unit = 1e-6;
    else if (strcmp(p, "ms") == 0) unit = 1e-3;
    else if (strcmp(p, "s") == 0) unit = 1;
    else if (strcmp(p, "m") == 0) unit = 60;
    else if (strcmp(p, "h") == 0) unit = 3600;
    else return 0;
    *out = v * unit;
    return 1;
}

/* ---- errors ------------------------------------------------------------- */

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* One sentence into @err. @return CONFIG_ERR, for "return fail(err, errlen, ...)". */
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return CONFIG_ERR;
}

/* ---- layers: what one source set ----------------------------------------- */

/*
 * What one source (the config file, the environment, the command line) set:
 * the values, each validated as it was read, in a struct config of its own,
 * and which options gave them. Pattern lists live in the real config's
 * strings[], tag strings in argv or the real config's file_text, so a layer
 * may be merged and dropped.
 */
struct layer {
    unsigned long set; /* OPT_BIT() of every option this source gave */
    struct config v;   /* their values; members of options not in set mean nothing */
};

#define OPT_BIT(opt) (1ul << ((opt) - OPT_INTERVAL))

/* The sources, lowest precedence first (the defaults are below them all). */
enum { SRC_FILE, SRC_ENV, SRC_ARGV, NSOURCES };

#define MAX_TAGS ((int)(sizeof ((struct config *)0)->tags / sizeof ((struct config *)0)->tags[0]))

/* ---- one value of one option, into a layer ----------------------------- */

static int parse_duration_opt(const char *opt, const char *val, double min, double max, int zero_ok,
                              double *out, char *err, size_t errlen)
{
    double v;
    if (zero_ok && strcmp(val, "0") == 0) { /* "0 = off" needs no unit */
        *out = 0;
        return CONFIG_OK;
    }
    if (!config_duration(val, &v))
        return fail(err, errlen,
                    "--%s: '%s' is not a duration; use a number with a unit: us, ms, s, m or h (e.g. 10ms)",
                    opt, val);
    if (zero_ok && v == 0) {
        *out = 0;
        return CONFIG_OK;
    }
    if (v < min - 1e-12 || v > max)
        return fail(err, errlen, "--%s: '%s' is out of range; allowed %s%g s to %g s", opt, val,
                    zero_ok ? "0, or " : "", min, max);
    *out = v;
    return CONFIG_OK;
}

static int parse_payload(struct config *v, const char *arg, char *err, size_t errlen)
{
    char *end;
    unsigned long n;
    errno = 0;
    n = strtoul(arg, &end, 10);
    if (!isdigit((unsigned char)arg[0]) || *end || errno || n < UDP_MIN_PAYLOAD || n > UDP_MAX_PAYLOAD)
        return fail(err, errlen, "--payload: '%s' is not allowed; use a byte count from %d to %d", arg,
                    UDP_MIN_PAYLOAD, UDP_MAX_PAYLOAD);
    v->payload = n;
    return CONFIG_OK;
}

/* HOST:PORT or [V6]:PORT into @host and @hlen; the port's text in @port. */
static int split_dest(const char *val, const char **host, size_t *hlen, const char **port, char *err,
                      size_t errlen)
{
    const char *colon;
    if (val[0] == '[') {
        const char *close = strchr(val, ']');
        if (!close || close[1] != ':')
            return fail(err, errlen, "--dest: '%s' is not [IPV6]:PORT; write e.g. [::1]:8089", val);
        *host = val + 1;
        *hlen = (size_t)(close - *host);
        *port = close + 2;
        return CONFIG_OK;
    }
    colon = strrchr(val, ':');
    if (!colon)
        return fail(err, errlen, "--dest: '%s' has no port; write HOST:PORT, e.g. 127.0.0.1:8089", val);
    if (strchr(val, ':') != colon)
        return fail(err, errlen, "--dest: '%s' is ambiguous; write an IPv6 address in brackets, e.g. [::1]:8089",
                    val);
    *host = val;
    *hlen = (size_t)(colon - val);
    *port = colon + 1;
    return CONFIG_OK;
}

/* One --dest, added to this source's list; port 1-65535. */
/*
 * Whether two --dest hosts are one: the same text, or numeric addresses
 * equal as addresses (127.0.0.1 and 127.000.000.001, ::1 and 0::1), as the
 * resolver will read them. A name and its address stay two destinations:
 * names are not looked up here (they may change, and start-up does no DNS).
 */
static int same_host(const char *a, const char *b)
{
    struct in_addr a4, b4;
    struct in6_addr a6, b6;
    if (!strcmp(a, b)) return 1;
    if (inet_aton(a, &a4) && inet_aton(b, &b4)) return a4.s_addr == b4.s_addr;
    return inet_pton(AF_INET6, a, &a6) == 1 && inet_pton(AF_INET6, b, &b6) == 1 && !memcmp(&a6, &b6, sizeof a6);
}

static int parse_dest(struct config *v, const char *val, char *err, size_t errlen)
{
    const char *host = NULL, *port = NULL;
    size_t hlen = 0;
    char *end;
    long p;
    struct config_dest *d;

    if (split_dest(val, &host, &hlen, &port, err, errlen) != CONFIG_OK) return CONFIG_ERR;
    if (hlen == 0)
        return fail(err, errlen, "--dest: '%s' has an empty host; write HOST:PORT, e.g. 127.0.0.1:8089", val);
    if (hlen >= sizeof v->dest[0].host)
        return fail(err, errlen, "--dest: the host in '%s' is longer than 255 bytes", val);
    errno = 0;
    p = strtol(port, &end, 10);
    if (!isdigit((unsigned char)port[0]) || *end || errno || p < 1 || p > 65535)
        return fail(err, errlen, "--dest: port '%s' in '%s' is not allowed; use 1 to 65535", port, val);
    if (v->ndest == CONFIG_MAX_DESTS)
        return fail(err, errlen, "--dest: '%s' is one too many; at most %d destinations are allowed", val,
                    CONFIG_MAX_DESTS);
    d = &v->dest[v->ndest];
    memcpy(d->host, host, hlen);
    d->host[hlen] = '\0';
    d->port[lp_format_int(d->port, p)] = '\0';
    for (int i = 0; i < v->ndest; i++)
        if (same_host(v->dest[i].host, d->host) && !strcmp(v->dest[i].port, d->port))
            return fail(err, errlen, "--dest: '%s' is given twice; each destination gets every datagram once",
                        val);
    v->ndest++;
    return CONFIG_OK;
}

static int parse_host(struct config *v, const char *arg, char *err, size_t errlen)
{
    if (!arg[0]) return fail(err, errlen, "--host: the name is empty; give a non-empty host name");
    if (strlen(arg) >= sizeof v->host) return fail(err, errlen, "--host: '%.40s...' is longer than 255 bytes", arg);
    if (strpbrk(arg, "\n\r"))
        return fail(err, errlen, "--host: '%s' holds a line break, which InfluxDB's line protocol cannot carry; "
                    "remove it", arg);
    if (!lp_representable(arg, LP_KEY))
        return fail(err, errlen,
                    "--host: '%s' ends in a backslash, which InfluxDB's line protocol cannot carry at the end "
                    "of a tag value; remove it", arg);
    memcpy(v->host, arg, strlen(arg) + 1);
    return CONFIG_OK;
}

/* The KEY of "KEY=VALUE" (@eq at its '='): allowed as a tag key and value? */
static int check_tag(const char *val, const char *eq, char *err, size_t errlen)
{
    size_t klen = (size_t)(eq - val);
    if (klen == 4 && !memcmp(val, "host", 4))
        return fail(err, errlen, "--tag: '%s' sets the host tag; use --host NAME for that", val);
    if (klen == 4 && !memcmp(val, "time", 4))
        return fail(err, errlen,
                    "--tag: '%s' uses the key time, which InfluxDB rejects (it drops every such point)", val);
    return CONFIG_OK;
}

/*
 * One --tag KEY=VALUE, added to this source's tags. @val is split in place
 * ("KEY\0VALUE"): it is argv's own string or a line of the file's text.
 */
static int parse_tag(struct config *v, char *val, char *err, size_t errlen)
{
    char *eq = strchr(val, '=');
    if (!eq || eq == val || !eq[1])
        return fail(err, errlen, "--tag: '%s' is not KEY=VALUE with a non-empty key and value", val);
    if (check_tag(val, eq, err, errlen) != CONFIG_OK) return CONFIG_ERR;
    *eq = '\0';
    if (!lp_representable(val, LP_KEY) || !lp_representable(eq + 1, LP_KEY)) {
        *eq = '=';
        return fail(err, errlen,
                    "--tag: '%s' has a key or value holding a newline or ending in a backslash, which "
                    "InfluxDB's line protocol cannot carry; remove it", val);
    }
    for (int i = 0; i < v->ntags; i++)
        if (strcmp(v->tags[i].key, val) == 0) {
            *eq = '=';
            return fail(err, errlen, "--tag: '%s' repeats the key '%.*s'; each tag key may be given once", val,
                        (int)(eq - val), val);
        }
    if (v->ntags == MAX_TAGS) {
        *eq = '=';
        return fail(err, errlen, "--tag: '%s' is one too many; at most %d tags are allowed", val, MAX_TAGS);
    }
    v->tags[v->ntags].key = val;
    v->tags[v->ntags].value = eq + 1;
    v->ntags++;
    return CONFIG_OK;
}

static int parse_precision(struct config *v, const char *arg, char *err, size_t errlen)
{
    /* procflux's spellings, then InfluxDB's (models/points.go: n, u, ms, s), so the value written in
       influxdb.conf's [[udp]] precision can be given here unchanged. InfluxDB reads "us" (and any
       other spelling it does not know) as nanoseconds: see the README's receiver settings. */
    static const struct {
        const char *name;
        enum precision p;
    } names[] = {{"ns", PREC_NS}, {"us", PREC_US}, {"ms", PREC_MS}, {"s", PREC_S}, {"n", PREC_NS}, {"u", PREC_US}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(arg, names[i].name) == 0) {
            v->precision = names[i].p;
            return CONFIG_OK;
        }
    return fail(err, errlen,
                "--precision: '%s' is not a precision; allowed: ns, us, ms, s (or InfluxDB's n for ns, u for us)",
                arg);
}

/* --collect: measurement names of the collector table; a later --collect replaces an earlier one. */
static int parse_collect(struct config *v, const char *val, char *err, size_t errlen)
{
    const char *p = val;
    v->collect = 0;
    while (*p) {
        size_t n = strcspn(p, ",");
        int ci, m;
        if (!collector_measurement(p, n, &ci, &m) || ci < 0) {
            if (collector_left_out(p, n))
                return fail(err, errlen,
                            "--collect: '%.*s' in '%s' is not built into this procflux (make COLLECTORS=... "
                            "left it out); rebuild with it or drop it", (int)n, p, val);
            return fail(err, errlen, "--collect: '%.*s' in '%s' is not a collector; allowed: %s", (int)n, p, val,
                        collector_names());
        }
        v->collect |= collector_bit(ci, m);
        p += n;
        if (*p == ',') p++;
    }
    if (!v->collect) return fail(err, errlen, "--collect: '%s' names no collector; allowed: %s", val, collector_names());
    return CONFIG_OK;
}

/* A copy of @s in c->strings (pattern lists are split in place and must outlive argv edits). */
static char *keep_string(struct config *c, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d;
    if (n > sizeof c->strings - c->strings_used) return NULL;
    d = c->strings + c->strings_used;
    memcpy(d, s, n);
    c->strings_used += n;
    return d;
}

/* A pattern list into @l, its text kept in @c's strings. */
static int parse_patterns(struct config *c, const char *opt, const char *val, struct match_list *l, char *err,
                          size_t errlen)
{
    char *copy = keep_string(c, val);
    if (!copy)
        return fail(err, errlen, "--%s: '%.40s...' does not fit: pattern lists total at most %zu bytes", opt,
                    val, sizeof c->strings);
    if (match_split(l, copy) != 0)
        return fail(err, errlen,
                    "--%s: '%s' is not a list of 1 to %d comma-separated names or patterns (no empty ones)",
                    opt, val, MATCH_MAX);
    return CONFIG_OK;
}

/* --net-interfaces, --diskio-devices or --cgroups: one list per source. */
static int parse_filter(struct config *c, struct layer *l, int opt, const char *val, char *err, size_t errlen)
{
    const char *name = opt == OPT_NET_INTERFACES ? "net-interfaces" : opt == OPT_CGROUPS ? "cgroups" : "diskio-devices";
    struct match_list *list = opt == OPT_NET_INTERFACES ? &l->v.net_interfaces
                              : opt == OPT_CGROUPS      ? &l->v.cgroups
                                                        : &l->v.diskio_devices;
    if (l->set & OPT_BIT(opt))
        return fail(err, errlen, "--%s: '%s' is a second list; give all names in one, comma-separated", name,
                    val);
    return parse_patterns(c, name, val, list, err, errlen);
}

/* MEASUREMENT:F1,F2,...: once per measurement in one source. */
static int parse_fields(struct config *c, struct config *v, const char *val, char *err, size_t errlen)
{
    const char *colon = strchr(val, ':');
    size_t mlen = colon ? (size_t)(colon - val) : 0;
    const struct measurement *m;
    struct config_fieldset *fs;
    int ci, mi;
    if (!colon || !colon[1])
        return fail(err, errlen, "--fields: '%s' is not MEASUREMENT:FIELD,FIELD,...; e.g. cpu:usage_user,usage_system",
                    val);
    m = collector_measurement(val, mlen, &ci, &mi);
    if (!m && collector_left_out(val, mlen))
        return fail(err, errlen,
                    "--fields: measurement %.*s is not built into this procflux (make COLLECTORS=... left it "
                    "out); drop --fields %.*s:...", (int)mlen, val, (int)mlen, val);
    if (!m)
        return fail(err, errlen, "--fields: '%.*s' in '%s' is not a measurement; allowed: %s, procflux", (int)mlen,
                    val, val, collector_names());
    for (int i = 0; i < v->nfieldsets; i++)
        if (v->fieldsets[i].measurement == m->name)
            return fail(err, errlen,
                        "--fields: '%s' names %s a second time; give each measurement's fields in one --fields",
                        val, m->name);
    if (v->nfieldsets == CONFIG_MAX_FIELDSETS)
        return fail(err, errlen, "--fields: '%s' is one too many; at most %d measurements may have --fields", val,
                    CONFIG_MAX_FIELDSETS);
    fs = &v->fieldsets[v->nfieldsets++];
    fs->measurement = m->name;
    return parse_patterns(c, "fields", colon + 1, &fs->keep, err, errlen);
}

/* --proc-root or --cgroup-root (@what) into @dst (200 bytes). */
static int parse_root(char *dst, const char *what, const char *arg, char *err, size_t errlen)
{
    if (!arg[0]) return fail(err, errlen, "%s: the directory is empty; give a directory such as /host/proc", what);
    if (strlen(arg) >= sizeof ((struct config *)0)->proc_root)
        return fail(err, errlen, "%s: '%.40s...' is longer than %zu bytes", what, arg,
                    sizeof ((struct config *)0)->proc_root - 1);
    memcpy(dst, arg, strlen(arg) + 1);
    return CONFIG_OK;
}

static int parse_cgroup_depth(struct config *v, const char *arg, char *err, size_t errlen)
{
    const char *p = arg, *end = arg + strlen(arg);
    uint64_t d;
    if (!pp_u64(&p, end, &d) || p != end || arg[0] == ' ' || d < 1 || d > 16)
        return fail(err, errlen, "--cgroup-depth: '%s' is not a whole number from 1 to 16", arg);
    v->cgroup_depth = (int)d;
    return CONFIG_OK;
}

/* A value option (not a flag) of one source into @l; @c keeps pattern lists. */
static int set_option(struct config *c, struct layer *l, int opt, char *arg, char *err, size_t errlen)
{
    struct config *v = &l->v;
    int rc;
    switch (opt) {
    case OPT_INTERVAL: rc = parse_duration_opt("interval", arg, 0.001, 86400, 0, &v->interval, err, errlen); break;
    case OPT_FLUSH: rc = parse_duration_opt("flush", arg, 0.001, 3600, 0, &v->flush, err, errlen); break;
    case OPT_FLUSH_JITTER:
        rc = parse_duration_opt("flush-jitter", arg, 0.001, 3600, 1, &v->flush_jitter, err, errlen);
        break;
    case OPT_STATS_EVERY:
        rc = parse_duration_opt("stats-every", arg, 0.001, 86400, 1, &v->stats_every, err, errlen);
        break;
    case OPT_RESOLVE_EVERY:
        rc = parse_duration_opt("resolve-every", arg, 1, 86400, 1, &v->resolve_every, err, errlen);
        break;
    case OPT_WINDOW: rc = parse_duration_opt("window", arg, 0.002, 86400, 1, &v->window, err, errlen); break;
    case OPT_PAYLOAD: rc = parse_payload(v, arg, err, errlen); break;
    case OPT_DEST: rc = parse_dest(v, arg, err, errlen); break;
    case OPT_HOST: rc = parse_host(v, arg, err, errlen); break;
    case OPT_TAG: rc = parse_tag(v, arg, err, errlen); break;
    case OPT_PRECISION: rc = parse_precision(v, arg, err, errlen); break;
    case OPT_COLLECT: rc = parse_collect(v, arg, err, errlen); break;
    case OPT_FIELDS: rc = parse_fields(c, v, arg, err, errlen); break;
    case OPT_NET_INTERFACES:
    case OPT_DISKIO_DEVICES:
    case OPT_CGROUPS: rc = parse_filter(c, l, opt, arg, err, errlen); break;
    case OPT_PROC_ROOT: rc = parse_root(v->proc_root, "--proc-root", arg, err, errlen); break;
    case OPT_CGROUP_ROOT: rc = parse_root(v->cgroup_root, "--cgroup-root", arg, err, errlen); break;
    case OPT_CGROUP_DEPTH: rc = parse_cgroup_depth(v, arg, err, errlen); break;
    default: return fail(err, errlen, "internal: option %d takes no value", opt);
    }
    if (rc != CONFIG_OK) return CONFIG_ERR;
    l->set |= OPT_BIT(opt);
    return CONFIG_OK;
}

/* A flag of one source into @l: on, or (only a file can say so) off. */
static int set_flag(struct layer *l, int opt, int on, char *err, size_t errlen)
{
    struct config *v = &l->v;
    switch (opt) {
    case OPT_NO_PERCPU: v->percpu = !on; break;
    case OPT_NO_TOTALCPU: v->totalcpu = !on; break;
    case OPT_CPU_TIME: v->cpu_time = on; break;
    case OPT_STDOUT: v->to_stdout = on; break;
    case OPT_ONCE: v->once = on; break;
    case OPT_VERBOSE: v->verbose = on; break;
    case OPT_QUIET: v->quiet = on; break;
    default: return fail(err, errlen, "internal: option %d is not a flag", opt);
    }
    l->set |= OPT_BIT(opt);
    return CONFIG_OK;
}

/* ---- the sources ---------------------------------------------------------- */

static const struct option *find_option(const char *name, size_t len)
{
    for (const struct option *o = options; o->name; o++)
        if (strlen(o->name) == len && !memcmp(o->name, name, len)) return o;
    return NULL;
}

/*
 * The option at argv[*i]: --name, --name=value or --name value (names in
 * full, no abbreviations). Moves *i past what it used, even on an error.
 * @return CONFIG_OK with *o and *val (NULL for a flag), or CONFIG_ERR.
 */
static int next_option(int argc, char **argv, int *i, const struct option **o, char **val, char *err,
                       size_t errlen)
{
    char *a = argv[(*i)++], *eq;
    size_t nl;
    *val = NULL;
    if (a[0] != '-' || a[1] != '-' || !a[2]) {
        if (a[0] == '-' && a[1] && a[1] != '-')
            return fail(err, errlen, "'%s' is not an option; procflux has long options only (see --help)", a);
        return fail(err, errlen, "'%s' is not an option; procflux takes no arguments (see --help)", a);
    }
    eq = strchr(a + 2, '=');
    nl = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
    *o = find_option(a + 2, nl);
    if (!*o) return fail(err, errlen, "'%.*s' is not an option; see procflux --help", (int)(nl + 2), a);
    if ((*o)->has_arg == no_argument) {
        if (eq) return fail(err, errlen, "--%s takes no value, but was given '%s'", (*o)->name, eq + 1);
        return CONFIG_OK;
    }
    if (eq) *val = eq + 1;
    else if (*i < argc) *val = argv[(*i)++];
    else return fail(err, errlen, "--%s: a value is required; see procflux --help", (*o)->name);
    return CONFIG_OK;
}

/*
 * Before anything else: --help and --version (printed: CONFIG_EXIT) and
 * --config, the file to read (NULL or "": none). What is not well-formed is
 * skipped here and reported by read_argv.
 */
static int prescan(int argc, char **argv, const char **file)
{
    char ignored[CONFIG_ERR_MAX];
    int explicit_file = 0;
    *file = NULL;
    for (int i = 1; i < argc;) {
        const struct option *o;
        char *val;
        if (next_option(argc, argv, &i, &o, &val, ignored, sizeof ignored) != CONFIG_OK) continue;
        if (o->val == OPT_HELP) {
            config_usage(stdout);
            return CONFIG_EXIT;
        }
        if (o->val == OPT_VERSION) {
            printf("procflux %s\n", PROCFLUX_VERSION);
            return CONFIG_EXIT;
        }
        if (o->val == OPT_CONFIG) {
            *file = val;
            explicit_file = 1;
        }
    }
    if (!explicit_file && access(CONFIG_DEFAULT_FILE, F_OK) == 0) *file = CONFIG_DEFAULT_FILE;
    return CONFIG_OK;
}

/* The command line into @l. */
static int read_argv(struct config *c, struct layer *l, int argc, char **argv, char *err, size_t errlen)
{
    for (int i = 1; i < argc;) {
        const struct option *o;
        char *val;
        int rc = next_option(argc, argv, &i, &o, &val, err, errlen);
        if (rc == CONFIG_OK && o->val == OPT_CONFIG) continue; /* read by prescan */
        if (rc == CONFIG_OK)
            rc = val ? set_option(c, l, o->val, val, err, errlen) : set_flag(l, o->val, 1, err, errlen);
        if (rc != CONFIG_OK) return CONFIG_ERR;
    }
    return CONFIG_OK;
}

/*
 * The environment into @l: HOST_PROC (empty: unset) is --proc-root,
 * HOST_CGROUP --cgroup-root. Not looked at when the command line (@argv)
 * gives the option: it wins anyway.
 */
static int read_env(struct layer *l, const struct layer *argv, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        int opt;
        size_t off;
    } vars[] = {{"HOST_PROC", OPT_PROC_ROOT, offsetof(struct config, proc_root)},
                {"HOST_CGROUP", OPT_CGROUP_ROOT, offsetof(struct config, cgroup_root)}};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *env = getenv(vars[i].name);
        char *dst = (char *)&l->v + vars[i].off;
        if (!env || !env[0] || (argv->set & OPT_BIT(vars[i].opt))) continue;
        if (strlen(env) >= sizeof l->v.proc_root)
            return fail(err, errlen, "%s: '%.40s...' is longer than %zu bytes", vars[i].name, env,
                        sizeof l->v.proc_root - 1);
        memcpy(dst, env, strlen(env) + 1);
        l->set |= OPT_BIT(vars[i].opt);
    }
    return CONFIG_OK;
}

static int file_bool(const char *v, int *out)
{
    if (!*v || !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1")) *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0")) *out = 0;
    else return 0;
    return 1;
}

static char *trim(char *s)
{
    char *e;
    while (isspace((unsigned char)*s)) s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

/* The file at @path, whole, into c->file_text (which file tags point into). */
static int load_file(struct config *c, const char *path, char *err, size_t errlen)
{
    /* O_NONBLOCK: a FIFO must not hang start-up; anything but a regular file is refused */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), rc = CONFIG_OK;
    struct stat st;
    size_t got = 0;
    char *nul;

    if (fd < 0) return fail(err, errlen, "--config: cannot open '%s': %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20))
        rc = fail(err, errlen, "--config: '%s' is not a regular file of at most 1 MiB", path);
    else if (!(c->file_text = malloc((size_t)st.st_size + 1)))
        rc = (fail(err, errlen, "--config: out of memory reading '%s'", path), CONFIG_NOMEM);
    while (rc == CONFIG_OK && got < (size_t)st.st_size) {
        ssize_t n = read(fd, c->file_text + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) rc = fail(err, errlen, "--config: cannot read '%s'", path);
        else got += (size_t)n;
    }
    close(fd);
    if (rc != CONFIG_OK) return rc;
    c->file_text[got] = '\0';
    /* a NUL would end the text early: what follows it would silently not count */
    if ((nul = memchr(c->file_text, '\0', got))) {
        int line = 1;
        for (const char *p = c->file_text; p < nul; p++) line += *p == '\n';
        return fail(err, errlen, "%s:%d: holds a NUL byte; a config file is text", path, line);
    }
    return CONFIG_OK;
}

/*
 * One line of the file (NUL-terminated, modified in place) into @l. Errors
 * name FILE:LINE.
 */
static int read_line(struct config *c, struct layer *l, const char *path, int lineno, char *line, char *err,
                     size_t errlen)
{
    char *key = trim(line), *eq, *val = "", sub[CONFIG_ERR_MAX];
    const struct option *o;
    int on, rc;

    if (!*key || *key == '#') return CONFIG_OK;
    eq = strchr(key, '=');
    if (eq) {
        *eq = '\0';
        val = trim(eq + 1);
        key = trim(key);
    }
    o = find_option(key, strlen(key));
    if (!o || o->val == OPT_HELP || o->val == OPT_VERSION || o->val == OPT_CONFIG)
        return fail(err, errlen, "%s:%d: '%s' is not a setting; use the long option names of procflux --help",
                    path, lineno, key);
    if (o->has_arg == no_argument) {
        if (!file_bool(val, &on))
            return fail(err, errlen, "%s:%d: %s = '%s': allowed values are true or false", path, lineno, key,
                        val);
        rc = set_flag(l, o->val, on, sub, sizeof sub);
    } else {
        if (!eq || !*val) return fail(err, errlen, "%s:%d: %s needs a value: %s = VALUE", path, lineno, key, key);
        rc = set_option(c, l, o->val, val, sub, sizeof sub);
    }
    if (rc != CONFIG_OK) return fail(err, errlen, "%s:%d: %s", path, lineno, sub);
    return CONFIG_OK;
}

/*
 * A config file into @l: one "key = value" per line, keys are the long
 * option names (without "--"), '#' starts a comment line, repeatable keys
 * (tag, dest, fields) may repeat, flags take an optional true/false, any
 * other key given twice keeps the last value.
 */
static int read_file(struct config *c, struct layer *l, const char *path, char *err, size_t errlen)
{
    char *line, *next;
    int lineno = 0, rc = load_file(c, path, err, errlen);
    if (rc != CONFIG_OK) return rc; /* CONFIG_ERR or CONFIG_NOMEM */
    for (line = c->file_text; line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (read_line(c, l, path, ++lineno, line, err, errlen) != CONFIG_OK) return CONFIG_ERR;
    }
    return CONFIG_OK;
}

/* ---- the merge: for every setting, the highest source that set it wins ---- */

/* Each option that is one setting, and the members of struct config it sets. */
#define MEMBER(opt, m) {opt, offsetof(struct config, m), sizeof ((struct config *)0)->m}
static const struct member {
    int opt;
    size_t off, size;
} members[] = {
    MEMBER(OPT_INTERVAL, interval), MEMBER(OPT_FLUSH, flush), MEMBER(OPT_FLUSH_JITTER, flush_jitter), MEMBER(OPT_STATS_EVERY, stats_every),
    MEMBER(OPT_RESOLVE_EVERY, resolve_every), MEMBER(OPT_PAYLOAD, payload), MEMBER(OPT_WINDOW, window),
    MEMBER(OPT_DEST, dest), MEMBER(OPT_DEST, ndest), /* the list, whole */
    MEMBER(OPT_NET_INTERFACES, net_interfaces), MEMBER(OPT_DISKIO_DEVICES, diskio_devices),
    MEMBER(OPT_CGROUPS, cgroups), MEMBER(OPT_CGROUP_ROOT, cgroup_root), MEMBER(OPT_CGROUP_DEPTH, cgroup_depth),
    MEMBER(OPT_HOST, host), MEMBER(OPT_PRECISION, precision), MEMBER(OPT_COLLECT, collect),
    MEMBER(OPT_PROC_ROOT, proc_root), MEMBER(OPT_NO_PERCPU, percpu), MEMBER(OPT_NO_TOTALCPU, totalcpu),
    MEMBER(OPT_CPU_TIME, cpu_time), MEMBER(OPT_STDOUT, to_stdout), MEMBER(OPT_ONCE, once),
    MEMBER(OPT_VERBOSE, verbose), MEMBER(OPT_QUIET, quiet),
};
#undef MEMBER

/* A tag key is a setting of its own: the layer's value replaces a lower one in place, or is added. */
static int merge_tags(struct config *c, const struct config *v, char *err, size_t errlen)
{
    for (int i = 0; i < v->ntags; i++) {
        int k = 0;
        while (k < c->ntags && strcmp(c->tags[k].key, v->tags[i].key) != 0) k++;
        if (k == MAX_TAGS)
            return fail(err, errlen, "--tag: '%s=%s' is one too many; at most %d tags are allowed",
                        v->tags[i].key, v->tags[i].value, MAX_TAGS);
        c->tags[k] = v->tags[i];
        if (k == c->ntags) c->ntags++;
    }
    return CONFIG_OK;
}

/* So is each measurement's --fields. */
static int merge_fieldsets(struct config *c, const struct config *v, char *err, size_t errlen)
{
    for (int i = 0; i < v->nfieldsets; i++) {
        int k = 0;
        while (k < c->nfieldsets && c->fieldsets[k].measurement != v->fieldsets[i].measurement) k++;
        if (k == CONFIG_MAX_FIELDSETS)
            return fail(err, errlen, "--fields: %s is one too many; at most %d measurements may have --fields",
                        v->fieldsets[i].measurement, CONFIG_MAX_FIELDSETS);
        c->fieldsets[k] = v->fieldsets[i];
        if (k == c->nfieldsets) c->nfieldsets++;
    }
    return CONFIG_OK;
}

/* @l over @c: every setting @l set replaces @c's, lists whole. */
static int merge_layer(struct config *c, const struct layer *l, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++)
        if (l->set & OPT_BIT(members[i].opt))
            memcpy((char *)c + members[i].off, (const char *)&l->v + members[i].off, members[i].size);
    if (merge_tags(c, &l->v, err, errlen) != CONFIG_OK) return CONFIG_ERR;
    return merge_fieldsets(c, &l->v, err, errlen);
}

/* ---- defaults, cross-option checks, derived values ---------------------- */

/* The collect bit of measurement @name; 0 when this build has no such collector. */
static unsigned config_bit(const char *name)
{
    int ci, m;
    return collector_measurement(name, strlen(name), &ci, &m) && ci >= 0 ? collector_bit(ci, m) : 0;
}

static void set_defaults(struct config *c)
{
    /* The head only: the arrays from tags on hold just what their counts say (ntags, ndest, n,
       nfieldsets, strings_used), so of a 12 KB struct only the pages an option fills are written. */
    memset(c, 0, offsetof(struct config, tags));
    c->net_interfaces.n = c->diskio_devices.n = c->cgroups.n = 0;
    c->interval = 1;
    c->flush = 1;
    c->flush_jitter = -1; /* one interval, at most --flush */
    c->stats_every = 10;
    c->resolve_every = 30;
    memcpy(c->dest[0].host, "127.0.0.1", sizeof "127.0.0.1");
    memcpy(c->dest[0].port, "8089", sizeof "8089");
    c->ndest = 1;
    c->precision = PREC_NS;
    for (const char *const *d = config_default_collect; *d; d++) c->collect |= config_bit(*d);
    c->percpu = c->totalcpu = 1;
    c->cgroup_depth = 3;
}

/* The measurement sent under @c whose series set tag @key itself, or NULL. */
static const struct measurement *config_tag_owner(const struct config *c, const char *key)
{
    for (int ci = -1; ci < collector_count; ci++) {
        int nm = ci < 0 ? 1 : collector_table[ci]->nmeasurements;
        for (int mi = 0; mi < nm; mi++) {
            const struct measurement *m = ci < 0 ? &telemetry_measurement : &collector_table[ci]->measurements[mi];
            if (ci >= 0 && !(c->collect & collector_bit(ci, mi))) continue;
            for (const char *const *k = m->tag_keys; k && *k; k++)
                if (!strcmp(*k, key)) return m;
        }
    }
    return NULL;
}

/*
 * One --fields: its measurement is sent, and every pattern matches a field it
 * can have (a typo would otherwise silently send nothing).
 */
static int check_fieldset(const struct config *c, const struct config_fieldset *fs, char *err, size_t errlen)
{
    int ci, mi;
    const struct measurement *m = collector_measurement(fs->measurement, strlen(fs->measurement), &ci, &mi);
    const char *const *names = m->fields_for ? m->fields_for(c) : m->fields;
    if (ci >= 0 && !(c->collect & collector_bit(ci, mi)))
        return fail(err, errlen, "--fields: measurement %s is not collected; add %s to --collect or drop --fields %s:...",
                    m->name, m->name, m->name);
    if (ci < 0 && c->stats_every == 0)
        return fail(err, errlen, "--fields: measurement procflux is off (--stats-every 0); drop --fields procflux:...");
    for (int p = 0; p < fs->keep.n; p++) {
        const char *pat = fs->keep.pat[p];
        if (match_names(pat, names, m->windowed, c->window > 0) || (c->window > 0 && match_rated(pat, m->rated)))
            continue;
        return fail(err, errlen, "--fields: '%s' matches no field of %s%s; its fields are listed in procflux(1)",
                    pat, m->name,
                    c->window == 0 && (match_names(pat, names, m->windowed, 1) || match_rated(pat, m->rated))
                        ? " without --window (which adds the _min, _max and _mean ones, and _rate_max and "
                          "_rate_mean of counters)" : "");
    }
    return CONFIG_OK;
}

/* The timing options together: precision, interval, window, once. */
static int check_timing(const struct config *c, char *err, size_t errlen)
{
    double ticks;
    /* (with --window, points are a window apart: whole seconds are enough) */
    if (c->precision == PREC_S && c->interval < 1 && !(c->window >= 1 && c->window == (double)(int64_t)c->window))
        return fail(err, errlen,
                    "--precision s with an interval under 1 s gives ticks of the same second one timestamp, "
                    "and InfluxDB keeps only the last; use ms, us or ns, or an interval of at least 1s");
    if (c->precision == PREC_S && c->stats_every > 0 && c->stats_every < 1)
        return fail(err, errlen,
                    "--precision s with --stats-every under 1 s gives telemetry lines of the same second one "
                    "timestamp, and InfluxDB keeps only the last; use a --stats-every of at least 1s");
    if (c->window == 0) return CONFIG_OK;
    if (c->once)
        return fail(err, errlen, "--window %gs with --once: a window needs a running agent; drop one of them",
                    c->window);
    ticks = c->window / c->interval;
    if (ticks < 2 - 1e-9 || ticks - (double)(int64_t)(ticks + 0.5) > 1e-6 * ticks ||
        (double)(int64_t)(ticks + 0.5) - ticks > 1e-6 * ticks)
        return fail(err, errlen,
                    "--window: %g s is not a whole multiple (2 or more) of the %g s interval; e.g. "
                    "--interval 1ms --window 1s", c->window, c->interval);
    return CONFIG_OK;
}

/* What is collected against what is asked of it: cpu series, tags, filters, --fields. */
static int check_collected(const struct config *c, char *err, size_t errlen)
{
    if (c->percpu == 0 && c->totalcpu == 0 && c->collect == config_bit("cpu"))
        return fail(err, errlen, "--no-percpu with --no-totalcpu leaves nothing to collect; drop one of them");
    /* Tag keys a measurement sends sets itself: InfluxDB drops a line with a
       key twice ("duplicate tags"), and its whole datagram. */
    for (int i = 0; i < c->ntags; i++) {
        const struct measurement *m = config_tag_owner(c, c->tags[i].key);
        if (m)
            return fail(err, errlen,
                        "--tag: '%s=%s' uses the key %s, which the %s measurement sets itself; use another key",
                        c->tags[i].key, c->tags[i].value, c->tags[i].key, m->name);
    }
    if (c->net_interfaces.n && !(c->collect & config_bit("net")))
        return fail(err, errlen, "--net-interfaces: the net collector is off; add net to --collect");
    if (c->diskio_devices.n && !(c->collect & config_bit("diskio")))
        return fail(err, errlen, "--diskio-devices: the diskio collector is off; add diskio to --collect");
    if (c->cgroups.n && !(c->collect & config_bit("cgroup")))
        return fail(err, errlen, "--cgroups: the cgroup collector is off; add cgroup to --collect");
    for (int i = 0; i < c->cgroups.n; i++) {
        const char *p = c->cgroups.pat[i];
        int d = 1;
        if (p[0] == '/' || p[strlen(p) - 1] == '/' || strstr(p, "//"))
            return fail(err, errlen, "--cgroups: '%s' is not a path relative to the cgroup root (no leading, "
                        "trailing or double '/'); e.g. system.slice/*", p);
        for (; *p; p++) d += *p == '/';
        if (d > c->cgroup_depth)
            return fail(err, errlen, "--cgroups: '%s' is %d levels deep, past --cgroup-depth %d; raise it or "
                        "shorten the pattern", c->cgroups.pat[i], d, c->cgroup_depth);
    }
    for (int i = 0; i < c->nfieldsets; i++)
        if (check_fieldset(c, &c->fieldsets[i], err, errlen) != CONFIG_OK) return CONFIG_ERR;
    return CONFIG_OK;
}

/* Values that follow from others: flush stretches to the interval unless given; host from gethostname. */
static int derive(struct config *c, int flush_given, char *err, size_t errlen)
{
    if (!flush_given && c->interval > c->flush) c->flush = c->interval;
    /* by default one interval: full datagrams leave as soon as ever, partial ones at most an interval
       early (their fill stays); never more than all of --flush */
    if (c->flush_jitter < 0) c->flush_jitter = c->interval;
    if (c->flush_jitter > c->flush) c->flush_jitter = c->flush;
    if (c->host[0]) return CONFIG_OK;
    if (gethostname(c->host, sizeof c->host - 1) != 0 || !c->host[0])
        memcpy(c->host, "localhost", sizeof "localhost");
    if (!lp_representable(c->host, LP_KEY))
        return fail(err, errlen, "the host name '%s' cannot be written as a tag value; set one with --host NAME",
                    c->host);
    return CONFIG_OK;
}

/* ---- config_parse: the phases in order ----------------------------------- */

int config_parse(struct config *c, int argc, char **argv, char *err, size_t errlen)
{
    /* ~40 KB of scratch, mostly never written (a layer's strings[], its unused dests): pages that
       stay out of RSS where nothing writes them, all given back before sampling starts. On the stack
       it stayed in the small build's peak RSS for good. */
    struct layer *layers = pages_alloc(NSOURCES * sizeof *layers);
    const char *file;
    unsigned long given = 0;
    int rc;

    set_defaults(c);
    rc = prescan(argc, argv, &file);
    if (rc == CONFIG_OK && !layers) rc = (fail(err, errlen, "out of memory reading the options"), CONFIG_NOMEM);
    if (rc != CONFIG_OK) {
        pages_free(layers, NSOURCES * sizeof *layers);
        return rc;
    }
    if (file && *file) rc = read_file(c, &layers[SRC_FILE], file, err, errlen);
    if (rc == CONFIG_OK) rc = read_argv(c, &layers[SRC_ARGV], argc, argv, err, errlen);
    if (rc == CONFIG_OK) rc = read_env(&layers[SRC_ENV], &layers[SRC_ARGV], err, errlen);
    for (int s = 0; s < NSOURCES && rc == CONFIG_OK; s++) {
        rc = merge_layer(c, &layers[s], err, errlen);
        given |= layers[s].set;
    }
    pages_free(layers, NSOURCES * sizeof *layers);
    if (rc == CONFIG_OK) rc = check_timing(c, err, errlen);
    if (rc == CONFIG_OK) rc = check_collected(c, err, errlen);
    if (rc == CONFIG_OK) rc = derive(c, (given & OPT_BIT(OPT_FLUSH)) != 0, err, errlen);
    return rc;
}
