#include "agent.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "lineproto.h"
#include "log.h"

#define PREFIX_MAX 4096

/* Start-up and exit only: optimised for size, kept out of the hot pages. */
#define SETUP __attribute__((cold))
#define STDOUT_BUF 65536

static int64_t timestamp_now(enum precision p)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    switch (p) {
    case PREC_S: return (int64_t)ts.tv_sec;
    case PREC_MS: return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    case PREC_US: return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    default: return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    }
}

/*
 * Deadlines, back-off and log limits run on the monotonic clock: ev_now is
 * wall-clock time, and a clock stepped back by X would hold pending lines
 * (and retries) back by X. Only the tick schedule itself is wall-clock.
 */
static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- sending ------------------------------------------------------------ */

static void send_slots(struct agent *a, int all, double now)
{
    int n = packer_take(&a->packer, all, now, a->take);
    if (n == 0) return;
    /* Fan-out: every destination gets every datagram, each with its own
       socket, resolution and counters; one failing does not hold the others. */
    for (int d = 0; d < a->nudp; d++) udp_send(&a->udp[d], a->take, n, now);
    packer_release(&a->packer, n);
}

/* Keep the flush timer armed for the oldest pending line's deadline. */
static void arm_flush(struct agent *a)
{
    double due = packer_deadline(&a->packer);
    if (due == a->flush_at) return;
    ev_timer_stop(a->loop, &a->flush);
    a->flush_at = due;
    if (due < 0) return;
    {
        double now = mono_now();
        ev_timer_set(&a->flush, due > now ? due - now : 0, 0);
    }
    ev_timer_start(a->loop, &a->flush);
}

/* Encode @f (@nfields of them, --fields applied with @keep) and hand the line on. */
static void emit(struct agent *a, const char *prefix, size_t plen, const struct match_list *keep,
                 struct sample_field *f, int nfields, int64_t ts, double now)
{
    size_t len;
    if (keep && nfields > 0) nfields = match_fields(keep, f, nfields);
    if (nfields <= 0) return;
    len = lp_encode(a->line, a->line_cap, prefix, plen, f, nfields, ts);
    if (len == 0) return;
    a->n.lines++;
    if (a->cfg->to_stdout) {
        fwrite(a->line, 1, len, stdout);
        return;
    }
    switch (packer_add(&a->packer, a->line, len, now)) {
    case PACKER_ADDED: break;
    case PACKER_TOO_LONG: /* counted in lines_dropped; said at most once per 10 s */
        log_limited(&a->drop_log, now, LOG_WARN, "a %zu-byte line is longer than the %zu-byte "
                    "payload and was dropped; raise --payload or use fewer tags", len,
                    a->packer.payload);
        break;
    case PACKER_NO_SPACE:
        /* Every slot is in use: several full datagrams leave in one sendmmsg. */
        send_slots(a, 1, now);
        packer_add(&a->packer, a->line, len, now);
        break;
    }
}

/* ---- the tick ----------------------------------------------------------- */

static void read_failed(struct agent *a, const char *path)
{
    a->n.read_errors++;
    log_limited(&a->read_log, mono_now(), LOG_WARN, "cannot read %s: %s; skipping it this tick",
                path, strerror(errno));
}

/*
 * The system line (load averages, uptime) at most once a second: the kernel
 * updates the load averages every 5 s and uptime counts seconds, so reading
 * two more files on every tick of a fast interval bought nothing and cost
 * about 8 us a tick at 1 kHz. Due on the first tick of each wall-clock
 * second (or of each tick, for intervals of 1 s and more).
 */
static int system_due(struct agent *a, double now)
{
    double period = a->cfg->interval > 1 ? a->cfg->interval : 1;
    if (!(a->active & COLLECT_SYSTEM)) return 0;
    /* (wall clock, to land on whole seconds; a clock stepped back makes it due at once) */
    if (now < a->sys_due && now > a->sys_due - 2 * period) return 0;
    a->sys_due = ((double)(int64_t)(now / period + 1e-9) + 1) * period - 1e-6;
    return 1;
}

/*
 * Sampling. Without --window every collector is read on every tick. With it,
 * only the collectors with windowed fields (cpu, mem) are read on every tick;
 * the others are sent as read on the window's last tick, so they are read on
 * that tick only.
 */
static void sample_all(struct agent *a, int force_system)
{
    int stat_ok = 0;
    (void)stat_ok; /* unused when built without kernel */
    if ((a->active & COLLECT_CPU)) {
        if (cpu_sample(&a->cpu) < 0) read_failed(a, a->cpu.pf.path);
        else stat_ok = 1;
        if (a->cpu.beyond && !a->warned_beyond) {
            a->warned_beyond = 1;
            log_msg(LOG_WARN, "%d CPU(s) came online beyond the %d sized at start; they are "
                    "skipped until procflux restarts", a->cpu.beyond, a->cpu.max);
        }
    }
    if ((a->active & COLLECT_MEM) && mem_sample(&a->mem) < 0) read_failed(a, a->mem.pf.path);
    if (!a->closing) {
        a->sys_now = 0;
        return;
    }
    a->sys_now = force_system ? (a->active & COLLECT_SYSTEM) != 0 : system_due(a, ev_now(a->loop));
    if (a->sys_now && system_sample(&a->sys) < 0) read_failed(a, a->sys.loadavg.path);
    if (a->active & (COLLECT_KERNEL | COLLECT_PROCESSES)) {
        /* /proc/stat once a tick: the cpu collector's reading when it has one */
        int rc = a->kern.own_stat ? kernel_sample(&a->kern, NULL, 0)
                                  : kernel_sample(&a->kern, a->cpu.pf.buf, stat_ok ? a->cpu.pf.len : 0);
        if (rc < 0 && a->kern.own_stat) read_failed(a, a->kern.stat.path);
    }
    if ((a->active & COLLECT_PRESSURE) && pressure_sample(&a->psi) < 0) read_failed(a, "the pressure files");
    if ((a->active & COLLECT_NET) && net_sample(&a->net) < 0) read_failed(a, a->net.pf.path);
    if ((a->active & COLLECT_DISKIO) && diskio_sample(&a->disk) < 0) read_failed(a, a->disk.pf.path);
}

/*
 * The prefix of slot @i of a dynamic series, (re)built when the slot's
 * generation changed: "net,host=h,interface=eth0 ". @return its length, 0
 * when the name cannot be written (then the series is left out).
 */
static size_t dyn_prefix(struct agent *a, struct dyn_series *d, int i, const char *measurement,
                         const char *tagkey, const char *name, unsigned gen)
{
    if (!d->built[i] || d->gen[i] != gen) {
        struct lp_tag tags[LP_MAX_TAGS];
        memcpy(tags, a->base_tags, (size_t)a->nbase_tags * sizeof tags[0]);
        tags[a->nbase_tags] = (struct lp_tag){tagkey, name};
        d->plen[i] = name ? lp_series_build(d->prefix + (size_t)i * a->dyn_cap, a->dyn_cap, measurement, tags,
                                            (size_t)a->nbase_tags + 1)
                          : 0;
        d->gen[i] = gen;
        d->built[i] = 1;
    }
    return d->plen[i];
}

/* One slot of a dynamic series: @n fields in a->fields, sent under the slot's prefix. */
static void emit_dyn(struct agent *a, struct dyn_series *d, int i, const char *measurement, const char *tagkey,
                     const char *name, unsigned gen, const struct match_list *keep, int n, int64_t ts, double now)
{
    size_t plen;
    if (n == 0) return;
    plen = dyn_prefix(a, d, i, measurement, tagkey, name, gen);
    if (plen) emit(a, d->prefix + (size_t)i * a->dyn_cap, plen, keep, a->fields, n, ts, now);
}

static void skipped_warning(struct agent *a, const char *what, int n, int slots)
{
    if (n > 0)
        log_limited(&a->skip_log, mono_now(), LOG_WARN, "%d %s skipped: all %d slots sized at start are in "
                    "use by others seen in the last reading; restart procflux to size for more", n, what, slots);
}

/*
 * One series with windowed fields: every tick into its accumulator; on the
 * window's last tick its aggregates (and the tick's other fields) go out.
 */
static void emit_windowed(struct agent *a, int s, struct window_acc *w, const struct match_list *keep,
                          int nfields, int64_t ts, double now)
{
    if (!w) {
        emit(a, a->prefix[s], a->plen[s], keep, a->fields, nfields, ts, now);
        return;
    }
    window_add(w, a->fields, nfields);
    if (!a->closing) return;
    nfields = window_fields(w, a->fields, nfields, a->wfields, SAMPLE_MAX_FIELDS);
    window_reset(w);
    emit(a, a->prefix[s], a->plen[s], keep, a->wfields, nfields, ts, now);
}

static void emit_all(struct agent *a, double now)
{
    int64_t ts = timestamp_now(a->cfg->precision);
    struct window_acc *w = a->win;
    if (a->active & COLLECT_CPU) {
        if (a->cfg->totalcpu)
            emit_windowed(a, a->s_cpu, w, a->keep_cpu, cpu_fields(&a->cpu, -1, a->fields), ts, now);
        if (a->cfg->percpu)
            for (int i = 0; i < a->cpu.max; i++)
                emit_windowed(a, a->s_cpu + 1 + i, w ? w + 1 + i : NULL, a->keep_cpu,
                              cpu_fields(&a->cpu, i, a->fields), ts, now);
    }
    if (a->active & COLLECT_MEM)
        emit_windowed(a, a->s_mem, w ? w + a->cpu.max + 1 : NULL, a->keep_mem,
                      mem_fields(&a->mem, a->fields), ts, now);
    if (a->sys_now) {
        int ncpu = (a->active & COLLECT_CPU) ? a->cpu.online : a->n_cpus_fallback;
        emit(a, a->prefix[a->s_sys], a->plen[a->s_sys], a->keep_sys, a->fields,
             system_fields(&a->sys, ncpu, a->fields), ts, now);
    }
    if (!a->closing) return;
    if (a->active & COLLECT_KERNEL)
        emit(a, a->prefix[a->s_kernel], a->plen[a->s_kernel], a->keep_kernel, a->fields,
             kernel_fields(&a->kern, a->fields), ts, now);
    if (a->active & COLLECT_PROCESSES)
        emit(a, a->prefix[a->s_processes], a->plen[a->s_processes], a->keep_processes, a->fields,
             processes_fields(&a->kern, a->fields), ts, now);
    if (a->active & COLLECT_PRESSURE)
        for (int i = 0; i < PSI_NSERIES; i++)
            emit(a, a->prefix[a->s_psi + i], a->plen[a->s_psi + i], a->keep_psi, a->fields,
                 pressure_fields(&a->psi, i, a->fields), ts, now);
    if (a->active & COLLECT_NET) {
        for (int i = 0; i < net_slots(&a->net); i++)
            emit_dyn(a, &a->dyn_net, i, "net", "interface", net_slot_name(&a->net, i), net_slot_gen(&a->net, i),
                     a->keep_net, net_fields(&a->net, i, a->fields), ts, now);
        skipped_warning(a, "network interface(s)", a->net.skipped, a->net.nslots);
    }
    if (a->active & COLLECT_DISKIO) {
        for (int i = 0; i < diskio_slots(&a->disk); i++)
            emit_dyn(a, &a->dyn_disk, i, "diskio", "name", diskio_slot_name(&a->disk, i),
                     diskio_slot_gen(&a->disk, i), a->keep_disk, diskio_fields(&a->disk, i, a->fields), ts, now);
        skipped_warning(a, "disk(s)", a->disk.skipped, a->disk.nslots);
    }
}

static void after_emit(struct agent *a)
{
    if (a->cfg->to_stdout) {
        fflush(stdout);
        return;
    }
    arm_flush(a);
}

static void on_tick(struct ev_loop *loop, ev_periodic *w, int revents)
{
    struct agent *a = w->data;
    double now = mono_now();
    (void)loop;
    /* The watcher is already rescheduled: this tick is one interval before its next time. */
    int64_t idx = (int64_t)(ev_periodic_at(w) / a->cfg->interval + 0.5) - 1;
    (void)revents;

    if (a->last_tick_index >= 0 && idx > a->last_tick_index + 1)
        a->n.ticks_missed += (uint64_t)(idx - a->last_tick_index - 1);
    a->last_tick_index = idx;
    a->n.ticks++;
    if (a->window_ticks > 1) {
        /*
         * Windows tile the wall clock like the ticks: the tick at time
         * k * interval carries usage over ((k - 1) * interval, k * interval],
         * so window w, ((w - 1) * W, w * W], holds ticks (w - 1) * n + 1 ..
         * w * n (n ticks a window) and ends on the tick whose index is a
         * multiple of n. When ticks were missed across a boundary (a stall, a
         * clock step), what a window that never ended had gathered is dropped,
         * not sent under a later window's time; the window procflux started
         * in is partial, and is not sent either.
         */
        int64_t n = a->window_ticks, wno = idx > 0 ? (idx + n - 1) / n : idx / n;
        if (wno != a->win_no) {
            for (int i = 0; i < a->cpu.max + 2; i++) window_reset(&a->win[i]);
            a->win_skip = a->win_no < 0 && idx % n != 1;
            a->win_no = wno;
        }
        a->closing = idx % n == 0 && !a->win_skip;
    }
    sample_all(a, 0);
    emit_all(a, now);
    for (int d = 0; d < a->nudp; d++) udp_maintain(&a->udp[d], now, 0);
    after_emit(a);
}

static void on_flush(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct agent *a = w->data;
    (void)revents;
    a->flush_at = -1;
    (void)loop;
    /* A hair of slack: libev's timer and our deadline read the clock apart. */
    send_slots(a, 0, mono_now() + 1e-4);
    arm_flush(a);
}

/*
 * Self-telemetry: cumulative counters, so loss is lines_sent vs what landed.
 * One line per destination (tag dest), with that destination's counters.
 */
const char *const agent_self_field_names[] = {
    "ticks", "ticks_missed", "lines_sent", "datagrams_sent", "bytes_sent", "send_errors",
    "lines_dropped", "read_errors", "resolve_errors", NULL,
};

static void emit_stats(struct agent *a, double now)
{
    int64_t ts = timestamp_now(a->cfg->precision);
    for (int d = 0; d < (a->cfg->to_stdout ? 1 : a->nudp); d++) {
        struct sample_field *f = a->fields;
        static const struct udp_stats none;
        const struct udp_stats *u = a->cfg->to_stdout ? &none : &a->udp[d].stats;
        int n = 0;
        sample_int(&f[n++], "ticks", (int64_t)a->n.ticks);
        sample_int(&f[n++], "ticks_missed", (int64_t)a->n.ticks_missed);
        sample_int(&f[n++], "lines_sent", (int64_t)(a->cfg->to_stdout ? a->n.lines : u->lines_sent));
        sample_int(&f[n++], "datagrams_sent", (int64_t)u->datagrams_sent);
        sample_int(&f[n++], "bytes_sent", (int64_t)u->bytes_sent);
        sample_int(&f[n++], "send_errors", (int64_t)u->send_errors);
        sample_int(&f[n++], "lines_dropped", (int64_t)(a->packer.lines_dropped + u->lines_failed));
        sample_int(&f[n++], "read_errors", (int64_t)a->n.read_errors);
        sample_int(&f[n++], "resolve_errors", (int64_t)u->resolve_errors);
        emit(a, a->prefix[a->s_self + d], a->plen[a->s_self + d], a->keep_self, f, n, ts, now);
    }
}

static void on_stats(struct ev_loop *loop, ev_periodic *w, int revents)
{
    struct agent *a = w->data;
    (void)revents;
    (void)loop;
    emit_stats(a, mono_now());
    after_emit(a);
}

SETUP static void on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
    struct agent *a = w->data;
    (void)revents;
    log_msg(LOG_INFO, "signal %d: sending what is pending and exiting", w->signum);
    /* Send what is pending, then the final counters (which count it), so a
       run's totals always land: what landed == lines_sent + this line. */
    if (!a->cfg->to_stdout) send_slots(a, 1, mono_now());
    if (a->cfg->stats_every > 0) emit_stats(a, mono_now());
    if (!a->cfg->to_stdout) send_slots(a, 1, mono_now());
    else fflush(stdout);
    ev_break(loop, EVBREAK_ALL);
}

SETUP static void on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
    struct agent *a = w->data;
    char err[512];
    (void)revents;
    log_msg(LOG_INFO, "SIGHUP: reopening /proc files and resolving the destinations again");
    for (int i = 0; i < a->nfiles; i++)
        if (a->files[i]->opened && procfile_reopen(a->files[i], err, sizeof err) != PROCFILE_OK)
            log_msg(LOG_WARN, "%s", err);
    (void)loop;
    for (int d = 0; d < a->nudp; d++) udp_maintain(&a->udp[d], mono_now(), 1);
}

/* ---- set-up ------------------------------------------------------------- */

SETUP static void add_file(struct agent *a, struct procfile *pf)
{
    if (a->nfiles < (int)(sizeof a->files / sizeof a->files[0])) a->files[a->nfiles++] = pf;
}

/* Open what --collect asks for; a collector that cannot start is off, with one warning. */
SETUP static void open_collectors(struct agent *a, const char *root)
{
    char err[512];
    const struct config *c = a->cfg;
    if (c->collect & COLLECT_CPU) {
        if (cpu_open(&a->cpu, root, c->cpu_time, err, sizeof err) == 0) {
            a->active |= COLLECT_CPU;
            add_file(a, &a->cpu.pf);
        } else log_msg(LOG_WARN, "cpu collector disabled: %s", err);
    }
    if (c->collect & COLLECT_MEM) {
        if (mem_open(&a->mem, root, err, sizeof err) == 0) {
            a->active |= COLLECT_MEM;
            add_file(a, &a->mem.pf);
        } else log_msg(LOG_WARN, "mem collector disabled: %s", err);
    }
    if (c->collect & COLLECT_SYSTEM) {
        if (system_open(&a->sys, root, err, sizeof err) == 0) {
            a->active |= COLLECT_SYSTEM;
            add_file(a, &a->sys.loadavg);
            add_file(a, &a->sys.uptime);
        } else log_msg(LOG_WARN, "system collector disabled: %s", err);
    }
    if (c->collect & (COLLECT_KERNEL | COLLECT_PROCESSES)) {
        /* with cpu on, /proc/stat is read once a tick, by cpu */
        if (kernel_open(&a->kern, root, !(a->active & COLLECT_CPU), err, sizeof err) == 0) {
            a->active |= c->collect & (COLLECT_KERNEL | COLLECT_PROCESSES);
            add_file(a, &a->kern.stat);
            add_file(a, &a->kern.entropy);
        } else log_msg(LOG_WARN, "kernel and processes collectors disabled: %s", err);
    }
    if (c->collect & COLLECT_PRESSURE) {
        if (pressure_open(&a->psi, root, err, sizeof err) == 0) {
            a->active |= COLLECT_PRESSURE;
            for (int i = 0; i < 3; i++) add_file(a, &a->psi.f[i]);
        } else log_msg(LOG_WARN, "pressure collector disabled: %s", err);
    }
    if (c->collect & COLLECT_NET) {
        if (net_open(&a->net, root, &c->net_interfaces, err, sizeof err) == 0) {
            a->active |= COLLECT_NET;
            add_file(a, &a->net.pf);
        } else log_msg(LOG_WARN, "net collector disabled: %s", err);
    }
    if (c->collect & COLLECT_DISKIO) {
        /* sysfs tells whole disks from partitions; not under a --proc-root (fixtures, containers) */
        if (diskio_open(&a->disk, root, root ? NULL : "/sys", &c->diskio_devices, err, sizeof err) == 0) {
            a->active |= COLLECT_DISKIO;
            add_file(a, &a->disk.pf);
        } else log_msg(LOG_WARN, "diskio collector disabled: %s", err);
    }
}

/* Prefix buffers for the slots of one dynamic series. */
SETUP static int dyn_alloc(struct dyn_series *d, int nslots, size_t cap)
{
    size_t n = nslots > 0 ? (size_t)nslots : 1;
    d->prefix = malloc(n * cap);
    d->plen = calloc(n, sizeof *d->plen);
    d->gen = calloc(n, sizeof *d->gen);
    d->built = calloc(n, 1);
    return d->prefix && d->plen && d->gen && d->built ? 0 : -1;
}

SETUP static void dyn_free(struct dyn_series *d)
{
    free(d->prefix);
    free(d->plen);
    free(d->gen);
    free(d->built);
}

/* A fixed series: its measurement and the tag that tells it apart, if any. */
struct series_spec {
    const char *measurement;
    struct lp_tag tag[2];
    int ntag;
};

/*
 * Build the prefix of every fixed series into one allocation (two passes:
 * measure, then write), and size the line buffer for the longest.
 */
SETUP static int build_prefixes(struct agent *a, char *err, size_t errlen)
{
    const struct config *c = a->cfg;
    struct lp_tag tags[LP_MAX_TAGS];
    int ntags = 0, ncpu = (a->active & COLLECT_CPU) ? a->cpu.max : 0, k = 0;
    int nself = c->to_stdout ? 1 : a->nudp;
    char tmp[PREFIX_MAX], (*cpunames)[24] = NULL, (*destnames)[280] = NULL;
    struct series_spec *spec;
    size_t total = 0, off = 0;

    for (int i = 0; i < c->ntags; i++) tags[ntags++] = c->tags[i];
    tags[ntags++] = (struct lp_tag){"host", c->host};
    memcpy(a->base_tags, tags, (size_t)ntags * sizeof tags[0]);
    a->nbase_tags = ntags;

    a->nseries = ncpu + 1 + 4 + PSI_NSERIES + nself;
    spec = calloc((size_t)a->nseries, sizeof *spec);
    cpunames = calloc((size_t)ncpu + 1, sizeof *cpunames);
    destnames = calloc((size_t)nself, sizeof *destnames);
    a->plen = calloc((size_t)a->nseries, sizeof *a->plen);
    a->prefix = calloc((size_t)a->nseries, sizeof *a->prefix);
    if (!spec || !cpunames || !destnames || !a->plen || !a->prefix) goto oom;

    a->s_cpu = k;
    for (int i = -1; i < ncpu; i++, k++) {
        if (i < 0) memcpy(cpunames[0], "cpu-total", sizeof "cpu-total");
        else {
            memcpy(cpunames[i + 1], "cpu", 3);
            cpunames[i + 1][3 + lp_format_int(cpunames[i + 1] + 3, i)] = '\0'; /* "cpuN" */
        }
        spec[k] = (struct series_spec){"cpu", {{"cpu", cpunames[i + 1]}}, 1};
    }
    a->s_mem = k;
    spec[k++] = (struct series_spec){"mem", {{0, 0}}, 0};
    a->s_sys = k;
    spec[k++] = (struct series_spec){"system", {{0, 0}}, 0};
    a->s_kernel = k;
    spec[k++] = (struct series_spec){"kernel", {{0, 0}}, 0};
    a->s_processes = k;
    spec[k++] = (struct series_spec){"processes", {{0, 0}}, 0};
    a->s_psi = k;
    for (int i = 0; i < PSI_NSERIES; i++)
        spec[k++] = (struct series_spec){"pressure", {{"resource", pressure_resource(i)},
                                                      {"type", pressure_type(i)}}, 2};
    a->s_self = k;
    for (int d = 0; d < nself; d++, k++) {
        if (c->to_stdout) {
            spec[k] = (struct series_spec){"procflux", {{0, 0}}, 0};
            continue;
        }
        /* dest=HOST:PORT, IPv6 in brackets as on the command line */
        snprintf(destnames[d], sizeof destnames[d], strchr(c->dest[d].host, ':') ? "[%s]:%s" : "%s:%s",
                 c->dest[d].host, c->dest[d].port);
        spec[k] = (struct series_spec){"procflux", {{"dest", destnames[d]}}, 1};
    }

    for (int pass = 0; pass < 2; pass++) {
        for (k = 0; k < a->nseries; k++) {
            size_t len;
            for (int t = 0; t < spec[k].ntag; t++) tags[ntags + t] = spec[k].tag[t];
            len = lp_series_build(tmp, sizeof tmp, spec[k].measurement, tags, (size_t)(ntags + spec[k].ntag));
            if (len == 0) {
                snprintf(err, errlen, "the tags make a series prefix longer than %d bytes; use "
                         "shorter --tag values", PREFIX_MAX - 1);
                free(spec);
                free(cpunames);
                free(destnames);
                return EXIT_USAGE;
            }
            if (pass == 0) {
                a->plen[k] = len;
                total += len;
            } else {
                a->prefix[k] = a->prefix_store + off;
                memcpy(a->prefix[k], tmp, len);
                off += len;
            }
        }
        if (pass == 0 && !(a->prefix_store = malloc(total ? total : 1))) goto oom;
    }
    free(spec);
    free(cpunames);
    free(destnames);
    spec = NULL;
    cpunames = NULL;
    destnames = NULL;
    {
        /* Dynamic series: the base tags, the longest measurement and tag key,
           and a name of up to 31 bytes escaped to at most twice that. */
        size_t longest = 0, base;
        struct lp_tag t[LP_MAX_TAGS];
        memcpy(t, a->base_tags, (size_t)ntags * sizeof t[0]);
        t[ntags] = (struct lp_tag){"interface", "x"};
        base = lp_series_build(tmp, sizeof tmp, "diskio", t, (size_t)ntags + 1);
        a->dyn_cap = base + 2 * 32 + 1;
        if (base == 0) {
            snprintf(err, errlen, "the tags make a series prefix longer than %d bytes; use shorter --tag "
                     "values", PREFIX_MAX - 1);
            return EXIT_USAGE;
        }
        if (((a->active & COLLECT_NET) && dyn_alloc(&a->dyn_net, net_slots(&a->net), a->dyn_cap) != 0) ||
            ((a->active & COLLECT_DISKIO) && dyn_alloc(&a->dyn_disk, diskio_slots(&a->disk), a->dyn_cap) != 0))
            goto oom;
        for (k = 0; k < a->nseries; k++) longest = a->plen[k] > longest ? a->plen[k] : longest;
        if (a->dyn_cap > longest) longest = a->dyn_cap;
        a->line_cap = lp_line_max(longest, SAMPLE_MAX_FIELDS);
        if (!(a->line = malloc(a->line_cap))) goto oom;
    }
    return 0;
oom:
    free(spec);
    free(cpunames);
    free(destnames);
    snprintf(err, errlen, "out of memory while building series prefixes");
    return EXIT_SETUP;
}

/* --fields: the pattern list for @measurement, NULL when every field is kept. */
SETUP static const struct match_list *keep_for(const struct config *c, const char *measurement)
{
    for (int i = 0; i < c->nfieldsets; i++)
        if (!strcmp(c->fieldsets[i].measurement, measurement)) return &c->fieldsets[i].keep;
    return NULL;
}

/*
 * Every --fields pattern must match a field the measurement can have: a typo
 * would otherwise silently send nothing. (An EXIT_USAGE error, found here
 * because the collectors, not config, know their fields.)
 */
SETUP static int check_fields(struct agent *a, char *err, size_t errlen)
{
    const struct config *c = a->cfg;
    const struct {
        const char *m;
        const char *const *names, *const *windowed;
    } known[] = {
        /* (time_* only with --cpu-time: without it they are never sent) */
        {"cpu", c->cpu_time ? cpu_time_names : NULL, cpu_usage_names},
        {"mem", mem_field_names, mem_windowed_names},
        {"system", system_field_names, NULL},
        {"kernel", kernel_field_names, NULL},
        {"processes", processes_field_names, NULL},
        {"pressure", pressure_field_names, NULL},
        {"net", net_field_names, NULL},
        {"diskio", diskio_field_names, NULL},
        {"procflux", agent_self_field_names, NULL},
    };
    for (int i = 0; i < c->nfieldsets; i++)
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
            const struct config_fieldset *fs = &c->fieldsets[i];
            if (strcmp(known[k].m, fs->measurement) != 0) continue;
            for (int p = 0; p < fs->keep.n; p++) {
                if (match_names(fs->keep.pat[p], known[k].names, known[k].windowed, c->window > 0))
                    continue;
                snprintf(err, errlen, "--fields: '%s' matches no field of %s%s; its fields are listed "
                         "in procflux(1)", fs->keep.pat[p], fs->measurement,
                         c->window == 0 && match_names(fs->keep.pat[p], known[k].names, known[k].windowed, 1)
                             ? " without --window (which adds the _min, _max and _mean ones)" : "");
                return EXIT_USAGE;
            }
        }
    a->keep_cpu = keep_for(c, "cpu");
    a->keep_mem = keep_for(c, "mem");
    a->keep_sys = keep_for(c, "system");
    a->keep_self = keep_for(c, "procflux");
    a->keep_kernel = keep_for(c, "kernel");
    a->keep_processes = keep_for(c, "processes");
    a->keep_psi = keep_for(c, "pressure");
    a->keep_net = keep_for(c, "net");
    a->keep_disk = keep_for(c, "diskio");
    return 0;
}

/*
 * libev grows its arrays the first time they need room: the pending list when
 * the tick, the flush timer and the stats watcher first fall due in one loop
 * pass (minutes after start), the timer heap on the first flush. Make them
 * grow now, so that nothing allocates once the loop runs: feed every watcher
 * once and take the events back, and start and stop the flush timer.
 */
SETUP static void presize_loop(struct agent *a)
{
    void *ws[] = {&a->tick, &a->flush, &a->stats, &a->sigint, &a->sigterm, &a->sighup};
    ev_timer_set(&a->flush, 3600, 0);
    ev_timer_start(a->loop, &a->flush);
    ev_timer_stop(a->loop, &a->flush);
    for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++) ev_feed_event(a->loop, ws[i], 0);
    for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++) ev_clear_pending(a->loop, ws[i]);
}

SETUP int agent_init(struct agent *a, const struct config *cfg, char *err, size_t errlen)
{
    const char *root = cfg->proc_root[0] ? cfg->proc_root : NULL;
    int rc;

    memset(a, 0, sizeof *a);
    a->cfg = cfg;
    a->flush_at = -1;
    a->last_tick_index = -1;
    a->closing = 1;
    a->win_no = -1;
    {
        /* What Telegraf's runtime.NumCPU reports: the CPUs this process may run on. */
        cpu_set_t set;
        a->n_cpus_fallback = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
    }
    log_limit_init(&a->read_log, 10);
    log_limit_init(&a->drop_log, 10);
    log_limit_init(&a->skip_log, 60);

    open_collectors(a, root);
    if (!a->active) {
        snprintf(err, errlen, "no collector could start (reading %s); check --proc-root and "
                 "permissions", root ? root : "/proc");
        return EXIT_SETUP;
    }
    a->nudp = cfg->to_stdout ? 0 : cfg->ndest;
    if (a->nudp && !(a->udp = calloc((size_t)a->nudp, sizeof *a->udp))) {
        snprintf(err, errlen, "out of memory");
        return EXIT_SETUP;
    }
    for (int d = 0; d < a->nudp; d++) a->udp[d].fd = -1;
    if ((rc = build_prefixes(a, err, errlen)) != 0) return rc;
    if ((rc = check_fields(a, err, errlen)) != 0) return rc;
    if (cfg->window > 0) {
        a->window_ticks = (int64_t)(cfg->window / cfg->interval + 0.5);
        /* cpu-total, each cpu, mem: the series with windowed fields */
        if (!(a->win = calloc((size_t)a->cpu.max + 2, sizeof *a->win))) {
            snprintf(err, errlen, "out of memory");
            return EXIT_SETUP;
        }
    }

    /*
     * select, not epoll: procflux watches at most one fd (libev's signal
     * pipe), and select sleeps with microsecond timeouts where epoll_wait
     * rounds up to whole milliseconds, which at 1 kHz makes every wake-up late
     * until the periodic skips a tick. LIBEV_FLAGS still overrides. A 1 us
     * timer slack (default 50 us) keeps sub-10ms intervals on time.
     */
    a->loop = ev_default_loop(EVBACKEND_SELECT | EVFLAG_AUTO);
    if (!a->loop) a->loop = ev_default_loop(EVFLAG_AUTO);
    if (!a->loop) {
        snprintf(err, errlen, "cannot start the libev loop");
        return EXIT_SETUP;
    }
    if (cfg->interval < 0.01) prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);

    if (cfg->to_stdout) {
        /* static: stdio keeps pointing at it until exit, whatever setvbuf later says */
        static char outbuf[STDOUT_BUF];
        setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    } else {
        char uerr[512];
        size_t payload = 0;
        int nslots;
        for (int d = 0; d < a->nudp; d++) {
            size_t p;
            if (udp_init(&a->udp[d], cfg->dest[d].host, cfg->dest[d].port, cfg->resolve_every, mono_now(),
                         uerr, sizeof uerr) != UDP_OK)
                log_msg(LOG_WARN, "%s; starting anyway and retrying with backoff", uerr);
            /* One datagram size for all: the smallest path's. */
            p = udp_path_payload(&a->udp[d]);
            if (d == 0 || p < payload) payload = p;
        }
        if (cfg->payload) payload = cfg->payload;
        /* Up to 128 KiB of datagrams wait for one sendmmsg: few syscalls, a
           burst a default 208 KiB receive buffer still takes. */
        nslots = (int)(131072 / payload);
        if (nslots < 2) nslots = 2;
        if (nslots > 16) nslots = 16;
        if (packer_init(&a->packer, payload, nslots, cfg->flush) != 0) {
            snprintf(err, errlen, "out of memory for %d datagrams of %zu bytes", nslots, payload);
            return EXIT_SETUP;
        }
        a->take = calloc((size_t)nslots, sizeof *a->take);
        if (!a->take) {
            snprintf(err, errlen, "out of memory");
            return EXIT_SETUP;
        }
        log_msg(LOG_DEBUG, "payload %zu bytes, %d slots, flush %.3f s", payload, nslots, cfg->flush);
    }

    ev_periodic_init(&a->tick, on_tick, 0, cfg->interval, NULL);
    ev_timer_init(&a->flush, on_flush, 0, 0);
    ev_periodic_init(&a->stats, on_stats, 0, cfg->stats_every, NULL);
    ev_signal_init(&a->sigint, on_stop, SIGINT);
    ev_signal_init(&a->sigterm, on_stop, SIGTERM);
    ev_signal_init(&a->sighup, on_hup, SIGHUP);
    a->tick.data = a->flush.data = a->stats.data = a;
    a->sigint.data = a->sigterm.data = a->sighup.data = a;
    presize_loop(a);
    return 0;
}

SETUP static void sleep_seconds(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int agent_run(struct agent *a)
{
    if (a->cfg->once) {
        sample_all(a, 1);
        sleep_seconds(a->cfg->interval);
        ev_now_update(a->loop);
        sample_all(a, 1);
        a->n.ticks = 1;
        emit_all(a, mono_now());
        if (a->cfg->to_stdout) fflush(stdout);
        else send_slots(a, 1, mono_now());
        return 0;
    }
    ev_periodic_start(a->loop, &a->tick);
    if (a->cfg->stats_every > 0) ev_periodic_start(a->loop, &a->stats);
    ev_signal_start(a->loop, &a->sigint);
    ev_signal_start(a->loop, &a->sigterm);
    ev_signal_start(a->loop, &a->sighup);
    ev_run(a->loop, 0);
    return a->exit_code;
}

SETUP void agent_free(struct agent *a)
{
    if (a->active & COLLECT_CPU) cpu_close(&a->cpu);
    if (a->active & COLLECT_MEM) mem_close(&a->mem);
    if (a->active & COLLECT_SYSTEM) system_close(&a->sys);
    if (a->active & (COLLECT_KERNEL | COLLECT_PROCESSES)) kernel_close(&a->kern);
    if (a->active & COLLECT_PRESSURE) pressure_close(&a->psi);
    if (a->active & COLLECT_NET) net_close(&a->net);
    if (a->active & COLLECT_DISKIO) diskio_close(&a->disk);
    dyn_free(&a->dyn_net);
    dyn_free(&a->dyn_disk);
    if (!a->cfg->to_stdout) {
        for (int d = 0; d < a->nudp; d++) udp_close(&a->udp[d]);
        packer_free(&a->packer);
    } else {
        fflush(stdout);
    }
    if (a->loop) ev_loop_destroy(a->loop);
    free(a->take);
    free(a->line);
    free(a->prefix_store);
    free(a->prefix);
    free(a->plen);
    free(a->udp);
    free(a->win);
}
