#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
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
    OPT_DISKIO_DEVICES, OPT_CONFIG, OPT_VERBOSE, OPT_QUIET, OPT_HELP, OPT_VERSION,
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
          "  --dest HOST:PORT        receiver (default 127.0.0.1:8089; IPv6 as [::1]:8089); repeat it\n"
          "                          to send every datagram to each (at most 8)\n"
          "  --payload BYTES         datagram payload, 512-65507 (default: the route's MTU less headers)\n"
          "  --host NAME             value of the host tag (default: gethostname)\n"
          "  --tag KEY=VALUE         add a tag to every line (repeatable)\n"
          "  --precision P           timestamp precision: ns, us, ms or s (default ns)\n"
          "  --collect LIST          collectors, comma-separated (default cpu,mem,system); this build has:\n"
          "                          ",
          f);
    fputs(collector_names(), f);
    fputs("\n"
          "  --fields MEAS:F1,F2,... keep only these fields of measurement MEAS (* and ? match;\n"
          "                          repeatable, once per measurement)\n"
          "  --window DURATION       sample every tick, send once per window: min, max and mean of\n"
          "                          each usage field (usage_user_min, ...), the rest as last read\n"
          "  --net-interfaces LIST   interfaces for net, comma-separated, * and ? match (default: all but lo)\n"
          "  --diskio-devices LIST   devices for diskio, comma-separated, * and ? match (default: whole disks)\n"
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

#define FAIL(...)                                   \
    do {                                            \
        snprintf(err, errlen, __VA_ARGS__);         \
        return CONFIG_ERR;                          \
    } while (0)

static int parse_duration_opt(const char *opt, const char *val, double min, double max, int zero_ok,
                              double *out, char *err, size_t errlen)
{
    double v;
    if (zero_ok && strcmp(val, "0") == 0) { /* "0 = off" needs no unit */
        *out = 0;
        return CONFIG_OK;
    }
    if (!config_duration(val, &v))
        FAIL("--%s: '%s' is not a duration; use a number with a unit: us, ms, s, m or h (e.g. 10ms)", opt,
             val);
    if (zero_ok && v == 0) {
        *out = 0;
        return CONFIG_OK;
    }
    if (v < min - 1e-12 || v > max)
        FAIL("--%s: '%s' is out of range; allowed %s%g s to %g s", opt, val, zero_ok ? "0, or " : "",
             min, max);
    *out = v;
    return CONFIG_OK;
}

/* HOST:PORT, [V6]:PORT; port 1-65535. */
static int parse_dest(struct config *c, const char *val, int from_file, char *err, size_t errlen)
{
    const char *colon, *host = val, *port;
    size_t hlen;
    char *end;
    long p;
    struct config_dest *d;

    if (val[0] == '[') {
        const char *close = strchr(val, ']');
        if (!close || close[1] != ':')
            FAIL("--dest: '%s' is not [IPV6]:PORT; write e.g. [::1]:8089", val);
        host = val + 1;
        hlen = (size_t)(close - host);
        port = close + 2;
    } else {
        colon = strrchr(val, ':');
        if (!colon) FAIL("--dest: '%s' has no port; write HOST:PORT, e.g. 127.0.0.1:8089", val);
        if (strchr(val, ':') != colon)
            FAIL("--dest: '%s' is ambiguous; write an IPv6 address in brackets, e.g. [::1]:8089", val);
        hlen = (size_t)(colon - val);
        port = colon + 1;
    }
    if (hlen == 0) FAIL("--dest: '%s' has an empty host; write HOST:PORT, e.g. 127.0.0.1:8089", val);
    if (hlen >= sizeof c->dest[0].host) FAIL("--dest: the host in '%s' is longer than 255 bytes", val);
    errno = 0;
    p = strtol(port, &end, 10);
    if (!isdigit((unsigned char)port[0]) || *end || errno || p < 1 || p > 65535)
        FAIL("--dest: port '%s' in '%s' is not allowed; use 1 to 65535", port, val);
    /* The default, or the file's list, gives way to the first --dest of the next source. */
    if (c->dest_from_file != from_file) {
        c->ndest = 0;
        c->dest_from_file = from_file;
    }
    if (c->ndest == CONFIG_MAX_DESTS)
        FAIL("--dest: '%s' is one too many; at most %d destinations are allowed", val, CONFIG_MAX_DESTS);
    d = &c->dest[c->ndest];
    memcpy(d->host, host, hlen);
    d->host[hlen] = '\0';
    d->port[lp_format_int(d->port, p)] = '\0';
    for (int i = 0; i < c->ndest; i++)
        if (!strcmp(c->dest[i].host, d->host) && !strcmp(c->dest[i].port, d->port))
            FAIL("--dest: '%s' is given twice; each destination gets every datagram once", val);
    c->ndest++;
    return CONFIG_OK;
}

static int parse_tag(struct config *c, char *val, int from_file, char *err, size_t errlen)
{
    char *eq = strchr(val, '=');
    if (!eq || eq == val || !eq[1])
        FAIL("--tag: '%s' is not KEY=VALUE with a non-empty key and value", val);
    *eq = '\0';
    if (strcmp(val, "host") == 0) {
        *eq = '=';
        FAIL("--tag: '%s' sets the host tag; use --host NAME for that", val);
    }
    if (strcmp(val, "time") == 0) {
        *eq = '=';
        FAIL("--tag: '%s' uses the key time, which InfluxDB rejects (it drops every such point)", val);
    }
    if (!lp_representable(val, LP_KEY) || !lp_representable(eq + 1, LP_KEY)) {
        *eq = '=';
        FAIL("--tag: '%s' has a key or value holding a newline or ending in a backslash, which "
             "InfluxDB's line protocol cannot carry; remove it", val);
    }
    for (int i = 0; i < c->ntags; i++)
        if (strcmp(c->tags[i].key, val) == 0) {
            if (!from_file && i < c->file_tags) { /* the command line overrides the file */
                /* ... once: the tag moves to the command line's part, where a
                   second --tag with this key is a repeat like any other. */
                struct lp_tag t = {c->tags[i].key, eq + 1};
                c->tags[i] = c->tags[c->file_tags - 1];
                c->tags[--c->file_tags] = t;
                return CONFIG_OK;
            }
            *eq = '=';
            FAIL("--tag: '%s' repeats the key '%.*s'; each tag key may be given once", val,
                 (int)(eq - val), val);
        }
    if (c->ntags >= (int)(sizeof c->tags / sizeof c->tags[0])) {
        *eq = '=';
        FAIL("--tag: '%s' is one too many; at most %d tags are allowed", val,
             (int)(sizeof c->tags / sizeof c->tags[0]));
    }
    /* The key was split in place: argv now holds "KEY\0VALUE". */
    c->tags[c->ntags].key = val;
    c->tags[c->ntags].value = eq + 1;
    c->ntags++;
    return CONFIG_OK;
}

/* --collect: measurement names of the collector table; a later --collect replaces an earlier one. */
static int parse_collect(struct config *c, const char *val, char *err, size_t errlen)
{
    const char *p = val;
    c->collect = 0;
    while (*p) {
        size_t n = strcspn(p, ",");
        int ci, m;
        if (!collector_measurement(p, n, &ci, &m) || ci < 0) {
            if (collector_left_out(p, n))
                FAIL("--collect: '%.*s' in '%s' is not built into this procflux (make COLLECTORS=... left it "
                     "out); rebuild with it or drop it", (int)n, p, val);
            FAIL("--collect: '%.*s' in '%s' is not a collector; allowed: %s", (int)n, p, val, collector_names());
        }
        c->collect |= collector_bit(ci, m);
        p += n;
        if (*p == ',') p++;
    }
    if (!c->collect) FAIL("--collect: '%s' names no collector; allowed: %s", val, collector_names());
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

/*
 * A pattern list into @l. @src (NULL: no such rule) tracks where the list
 * came from: one per source, and the command line's replaces the file's.
 */
static int parse_patterns(struct config *c, const char *opt, const char *val, struct match_list *l,
                          int *src, int from_file, char *err, size_t errlen)
{
    char *copy;
    if (src && *src == from_file)
        FAIL("--%s: '%s' is a second list; give all names in one, comma-separated", opt, val);
    if (src) *src = from_file;
    copy = keep_string(c, val);
    if (!copy) FAIL("--%s: '%.40s...' does not fit: pattern lists total at most %zu bytes", opt, val,
                    sizeof c->strings);
    if (match_split(l, copy) != 0)
        FAIL("--%s: '%s' is not a list of 1 to %d comma-separated names or patterns (no empty ones)",
             opt, val, MATCH_MAX);
    return CONFIG_OK;
}

/* MEASUREMENT:F1,F2,...; a later --fields for the same measurement replaces an earlier one. */
static int parse_fields(struct config *c, const char *val, int from_file, char *err, size_t errlen)
{
    const char *colon = strchr(val, ':');
    size_t mlen = colon ? (size_t)(colon - val) : 0;
    const struct measurement *m;
    struct config_fieldset *fs = NULL;
    int ci, mi;
    if (!colon || !colon[1])
        FAIL("--fields: '%s' is not MEASUREMENT:FIELD,FIELD,...; e.g. cpu:usage_user,usage_system", val);
    m = collector_measurement(val, mlen, &ci, &mi);
    if (!m && collector_left_out(val, mlen))
        FAIL("--fields: measurement %.*s is not built into this procflux (make COLLECTORS=... left it "
             "out); drop --fields %.*s:...", (int)mlen, val, (int)mlen, val);
    if (!m)
        FAIL("--fields: '%.*s' in '%s' is not a measurement; allowed: %s, procflux", (int)mlen, val, val,
             collector_names());
    for (int i = 0; i < c->nfieldsets; i++)
        if (c->fieldsets[i].measurement == m->name) fs = &c->fieldsets[i];
    if (fs && (from_file || fs->from_cli)) /* (the command line replaces the file's) */
        FAIL("--fields: '%s' names %s a second time; give each measurement's fields in one --fields", val,
             m->name);
    if (!fs) {
        if (c->nfieldsets == CONFIG_MAX_FIELDSETS)
            FAIL("--fields: '%s' is one too many; at most %d measurements may have --fields", val,
                 CONFIG_MAX_FIELDSETS);
        fs = &c->fieldsets[c->nfieldsets++];
    }
    if (!from_file) fs->from_cli = 1;
    fs->measurement = m->name;
    return parse_patterns(c, "fields", colon + 1, &fs->keep, NULL, from_file, err, errlen);
}

/*
 * Apply one option (from the command line or a config file line) to @c.
 * Tags from the config file may be overridden by --tag with the same key.
 */
static int apply_option(struct config *c, int opt, char *arg, int from_file, char *err,
                        size_t errlen)
{
    char *end;
    unsigned long v;

    switch (opt) {
    case OPT_INTERVAL:
        if (parse_duration_opt("interval", arg, 0.001, 86400, 0, &c->interval, err, errlen))
            return CONFIG_ERR;
        break;
    case OPT_FLUSH:
        if (parse_duration_opt("flush", arg, 0.001, 3600, 0, &c->flush, err, errlen))
            return CONFIG_ERR;
        c->flush_set = 1;
        break;
    case OPT_STATS_EVERY:
        if (parse_duration_opt("stats-every", arg, 0.001, 86400, 1, &c->stats_every, err, errlen))
            return CONFIG_ERR;
        break;
    case OPT_RESOLVE_EVERY:
        if (parse_duration_opt("resolve-every", arg, 1, 86400, 1, &c->resolve_every, err, errlen))
            return CONFIG_ERR;
        break;
    case OPT_PAYLOAD:
        errno = 0;
        v = strtoul(arg, &end, 10);
        if (!isdigit((unsigned char)arg[0]) || *end || errno || v < UDP_MIN_PAYLOAD || v > UDP_MAX_PAYLOAD)
            FAIL("--payload: '%s' is not allowed; use a byte count from %d to %d", arg,
                 UDP_MIN_PAYLOAD, UDP_MAX_PAYLOAD);
        c->payload = v;
        break;
    case OPT_DEST:
        if (parse_dest(c, arg, from_file, err, errlen)) return CONFIG_ERR;
        break;
    case OPT_HOST:
        if (!arg[0]) FAIL("--host: the name is empty; give a non-empty host name");
        if (strlen(arg) >= sizeof c->host) FAIL("--host: '%.40s...' is longer than 255 bytes", arg);
        if (!lp_representable(arg, LP_KEY))
            FAIL("--host: '%s' ends in a backslash, which InfluxDB's line protocol cannot carry "
                 "at the end of a tag value; remove it", arg);
        memcpy(c->host, arg, strlen(arg) + 1);
        break;
    case OPT_TAG:
        if (parse_tag(c, arg, from_file, err, errlen)) return CONFIG_ERR;
        break;
    case OPT_PRECISION:
        if (strcmp(arg, "ns") == 0) c->precision = PREC_NS;
        else if (strcmp(arg, "us") == 0) c->precision = PREC_US;
        else if (strcmp(arg, "ms") == 0) c->precision = PREC_MS;
        else if (strcmp(arg, "s") == 0) c->precision = PREC_S;
        else FAIL("--precision: '%s' is not a precision; allowed: ns, us, ms, s", arg);
        break;
    case OPT_COLLECT:
        if (parse_collect(c, arg, err, errlen)) return CONFIG_ERR;
        break;
    case OPT_WINDOW:
        if (parse_duration_opt("window", arg, 0.002, 86400, 1, &c->window, err, errlen))
            return CONFIG_ERR;
        break;
    case OPT_FIELDS:
        if (parse_fields(c, arg, from_file, err, errlen)) return CONFIG_ERR;
        break;
    case OPT_NET_INTERFACES:
        if (parse_patterns(c, "net-interfaces", arg, &c->net_interfaces, &c->net_interfaces_src, from_file, err,
                           errlen))
            return CONFIG_ERR;
        break;
    case OPT_DISKIO_DEVICES:
        if (parse_patterns(c, "diskio-devices", arg, &c->diskio_devices, &c->diskio_devices_src, from_file, err,
                           errlen))
            return CONFIG_ERR;
        break;
    case OPT_NO_PERCPU: c->percpu = 0; break;
    case OPT_NO_TOTALCPU: c->totalcpu = 0; break;
    case OPT_CPU_TIME: c->cpu_time = 1; break;
    case OPT_PROC_ROOT:
        if (!arg[0]) FAIL("--proc-root: the directory is empty; give a directory such as /host/proc");
        if (strlen(arg) >= sizeof c->proc_root)
            FAIL("--proc-root: '%.40s...' is longer than %zu bytes", arg, sizeof c->proc_root - 1);
        memcpy(c->proc_root, arg, strlen(arg) + 1);
        break;
    case OPT_STDOUT: c->to_stdout = 1; break;
    case OPT_ONCE: c->once = 1; break;
    case OPT_VERBOSE: c->verbose = 1; break;
    case OPT_QUIET: c->quiet = 1; break;
    case OPT_CONFIG: break; /* handled before everything else */
    default: FAIL("internal: unknown option %d", opt);
    }
    (void)from_file;
    return CONFIG_OK;
}

/* Flag options take no value on the command line; in a file, an optional boolean. */
static int is_flag(int opt)
{
    for (const struct option *o = options; o->name; o++)
        if (o->val == opt) return o->has_arg == no_argument;
    return 0;
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

/*
 * A config file: one "key = value" per line, keys are the long option names
 * (without "--"), '#' starts a comment line, repeatable keys (tag) may repeat,
 * flags take an optional true/false. The file is read whole into c->file_text,
 * which tag strings point into.
 */
static int apply_file(struct config *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    long size;
    char *line, *next;
    int lineno = 0;

    if (!f) FAIL("--config: cannot open '%s': %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || size > (1 << 20) ||
        fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        FAIL("--config: '%s' is not a regular file of at most 1 MiB", path);
    }
    c->file_text = malloc((size_t)size + 1);
    if (!c->file_text) {
        fclose(f);
        FAIL("--config: out of memory reading '%s'", path);
    }
    if (fread(c->file_text, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        FAIL("--config: cannot read '%s'", path);
    }
    fclose(f);
    c->file_text[size] = '\0';

    for (line = c->file_text; line; line = next) {
        char *eq, *key, *val, sub[768];
        const struct option *o;
        int on;

        lineno++;
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        key = trim(line);
        if (!*key || *key == '#') continue;
        eq = strchr(key, '=');
        val = "";
        if (eq) {
            *eq = '\0';
            val = trim(eq + 1);
            key = trim(key);
        }
        for (o = options; o->name; o++)
            if (!strcmp(o->name, key)) break;
        if (!o->name || o->val == OPT_HELP || o->val == OPT_VERSION || o->val == OPT_CONFIG)
            FAIL("%s:%d: '%s' is not a setting; use the long option names of procflux --help", path,
                 lineno, key);
        if (is_flag(o->val)) {
            if (!file_bool(val, &on))
                FAIL("%s:%d: %s = '%s': allowed values are true or false", path, lineno, key, val);
            if (on && apply_option(c, o->val, NULL, 1, sub, sizeof sub) != CONFIG_OK)
                FAIL("%s:%d: %s", path, lineno, sub);
            if (!on) { /* a later "false" undoes an earlier "true" */
                switch (o->val) {
                case OPT_NO_PERCPU: c->percpu = 1; break;
                case OPT_NO_TOTALCPU: c->totalcpu = 1; break;
                case OPT_CPU_TIME: c->cpu_time = 0; break;
                case OPT_STDOUT: c->to_stdout = 0; break;
                case OPT_ONCE: c->once = 0; break;
                case OPT_VERBOSE: c->verbose = 0; break;
                case OPT_QUIET: c->quiet = 0; break;
                default: break;
                }
            }
            continue;
        }
        if (!eq || !*val) FAIL("%s:%d: %s needs a value: %s = VALUE", path, lineno, key, key);
        if (apply_option(c, o->val, val, 1, sub, sizeof sub) != CONFIG_OK)
            FAIL("%s:%d: %s", path, lineno, sub);
    }
    c->file_tags = c->ntags;
    return CONFIG_OK;
}

/* The collect bit of measurement @name; 0 when this build has no such collector. */
static unsigned config_bit(const char *name)
{
    int ci, m;
    return collector_measurement(name, strlen(name), &ci, &m) && ci >= 0 ? collector_bit(ci, m) : 0;
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
        FAIL("--fields: measurement %s is not collected; add %s to --collect or drop --fields %s:...",
             m->name, m->name, m->name);
    if (ci < 0 && c->stats_every == 0)
        FAIL("--fields: measurement procflux is off (--stats-every 0); drop --fields procflux:...");
    for (int p = 0; p < fs->keep.n; p++) {
        if (match_names(fs->keep.pat[p], names, m->windowed, c->window > 0)) continue;
        FAIL("--fields: '%s' matches no field of %s%s; its fields are listed in procflux(1)", fs->keep.pat[p],
             m->name, c->window == 0 && match_names(fs->keep.pat[p], names, m->windowed, 1)
                          ? " without --window (which adds the _min, _max and _mean ones)" : "");
    }
    return CONFIG_OK;
}

int config_parse(struct config *c, int argc, char **argv, char *err, size_t errlen)
{
    const char *env, *file = NULL;
    int explicit_file = 0;

    memset(c, 0, sizeof *c);
    c->interval = 1;
    c->flush = 1;
    c->stats_every = 10;
    c->resolve_every = 30;
    memcpy(c->dest[0].host, "127.0.0.1", sizeof "127.0.0.1");
    memcpy(c->dest[0].port, "8089", sizeof "8089");
    c->ndest = 1;
    c->dest_from_file = -1; /* the default: any --dest replaces it */
    c->net_interfaces_src = c->diskio_devices_src = -1;
    c->precision = PREC_NS;
    {
        int ci, m;
        c->collect = 0;
        for (const char *const *d = config_default_collect; *d; d++)
            if (collector_measurement(*d, strlen(*d), &ci, &m)) c->collect |= collector_bit(ci, m);
    }
    c->percpu = c->totalcpu = 1;
    env = getenv("HOST_PROC");
    if (env && env[0]) {
        if (strlen(env) >= sizeof c->proc_root)
            FAIL("HOST_PROC: '%.40s...' is longer than %zu bytes", env, sizeof c->proc_root - 1);
        memcpy(c->proc_root, env, strlen(env) + 1);
    }

    /* Pass 0 finds --config (and --help, --version); the file is applied
       next; pass 1 applies the command line, which thus overrides the file. */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 1; i < argc; i++) {
            const char *a = argv[i], *eq, *val = NULL;
            const struct option *o;
            size_t nl;
            if (a[0] != '-' || a[1] != '-' || !a[2]) {
                if (pass == 0) continue;
                if (a[0] == '-' && a[1] && a[1] != '-')
                    FAIL("'%s' is not an option; procflux has long options only (see --help)", a);
                FAIL("'%s' is not an option; procflux takes no arguments (see --help)", a);
            }
            /* --name, --name=value or --name value; names in full, no abbreviations */
            eq = strchr(a + 2, '=');
            nl = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
            for (o = options; o->name; o++)
                if (strlen(o->name) == nl && !memcmp(o->name, a + 2, nl)) break;
            if (!o->name) {
                if (pass == 0) continue;
                FAIL("'%.*s' is not an option; see procflux --help", (int)(nl + 2), a);
            }
            if (o->has_arg == required_argument) {
                if (eq) val = eq + 1;
                else if (i + 1 < argc) val = argv[++i];
                else if (pass == 1) FAIL("--%s: a value is required; see procflux --help", o->name);
                else continue;
            } else if (eq) {
                if (pass == 1) FAIL("--%s takes no value, but was given '%s'", o->name, eq + 1);
                continue;
            }
            if (o->val == OPT_HELP) {
                config_usage(stdout);
                return CONFIG_EXIT;
            }
            if (o->val == OPT_VERSION) {
                printf("procflux %s\n", PROCFLUX_VERSION);
                return CONFIG_EXIT;
            }
            if (pass == 0) {
                if (o->val == OPT_CONFIG) {
                    file = val;
                    explicit_file = 1;
                }
                continue;
            }
            /* apply_option may split a --tag value in place: it is argv's own string. */
            if (apply_option(c, o->val, (char *)val, 0, err, errlen) != CONFIG_OK) return CONFIG_ERR;
        }
        if (pass == 0) {
            if (!explicit_file && access(CONFIG_DEFAULT_FILE, F_OK) == 0) file = CONFIG_DEFAULT_FILE;
            if (file && *file && apply_file(c, file, err, errlen) != CONFIG_OK) return CONFIG_ERR;
        }
    }
    /* (with --window, points are a window apart: whole seconds are enough) */
    if (c->precision == PREC_S && c->interval < 1 &&
        !(c->window >= 1 && c->window == (double)(int64_t)c->window))
        FAIL("--precision s with an interval under 1 s gives ticks of the same second one timestamp, "
             "and InfluxDB keeps only the last; use ms, us or ns, or an interval of at least 1s");
    if (c->percpu == 0 && c->totalcpu == 0 && c->collect == config_bit("cpu"))
        FAIL("--no-percpu with --no-totalcpu leaves nothing to collect; drop one of them");
    if (c->window > 0) {
        double ticks = c->window / c->interval;
        if (c->once) FAIL("--window %gs with --once: a window needs a running agent; drop one of them", c->window);
        if (ticks < 2 - 1e-9 || ticks - (double)(int64_t)(ticks + 0.5) > 1e-6 * ticks ||
            (double)(int64_t)(ticks + 0.5) - ticks > 1e-6 * ticks)
            FAIL("--window: %g s is not a whole multiple (2 or more) of the %g s interval; e.g. "
                 "--interval 1ms --window 1s", c->window, c->interval);
    }
    /* Tag keys a measurement sends sets itself: InfluxDB drops a line with a
       key twice ("duplicate tags"), and its whole datagram. */
    for (int i = 0; i < c->ntags; i++) {
        const struct measurement *m = config_tag_owner(c, c->tags[i].key);
        if (m)
            FAIL("--tag: '%s=%s' uses the key %s, which the %s measurement sets itself; use another key",
                 c->tags[i].key, c->tags[i].value, c->tags[i].key, m->name);
    }
    if (c->net_interfaces.n && !(c->collect & config_bit("net")))
        FAIL("--net-interfaces: the net collector is off; add net to --collect");
    if (c->diskio_devices.n && !(c->collect & config_bit("diskio")))
        FAIL("--diskio-devices: the diskio collector is off; add diskio to --collect");
    for (int i = 0; i < c->nfieldsets; i++)
        if (check_fieldset(c, &c->fieldsets[i], err, errlen) != CONFIG_OK) return CONFIG_ERR;
    if (!c->flush_set && c->interval > c->flush) c->flush = c->interval;
    if (!c->host[0]) {
        if (gethostname(c->host, sizeof c->host - 1) != 0 || !c->host[0])
            memcpy(c->host, "localhost", sizeof "localhost");
        if (!lp_representable(c->host, LP_KEY))
            FAIL("the host name '%s' cannot be written as a tag value; set one with --host NAME", c->host);
    }
    return CONFIG_OK;
}
