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
    udp_send(&a->udp, a->take, n, now);
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

static void emit(struct agent *a, const char *prefix, size_t plen, int nfields, int64_t ts, double now)
{
    size_t len;
    if (nfields <= 0) return;
    len = lp_encode(a->line, a->line_cap, prefix, plen, a->fields, nfields, ts);
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

static void sample_all(struct agent *a, int force_system)
{
    if ((a->active & COLLECT_CPU)) {
        if (cpu_sample(&a->cpu) < 0) read_failed(a, a->cpu.pf.path);
        if (a->cpu.beyond && !a->warned_beyond) {
            a->warned_beyond = 1;
            log_msg(LOG_WARN, "%d CPU(s) came online beyond the %d sized at start; they are "
                    "skipped until procflux restarts", a->cpu.beyond, a->cpu.max);
        }
    }
    if ((a->active & COLLECT_MEM) && mem_sample(&a->mem) < 0) read_failed(a, a->mem.pf.path);
    a->sys_now = force_system ? (a->active & COLLECT_SYSTEM) != 0 : system_due(a, ev_now(a->loop));
    if (a->sys_now && system_sample(&a->sys) < 0) read_failed(a, a->sys.loadavg.path);
}

static void emit_all(struct agent *a, double now)
{
    int64_t ts = timestamp_now(a->cfg->precision);
    if (a->active & COLLECT_CPU) {
        if (a->cfg->totalcpu)
            emit(a, a->cpu_prefix[0], a->cpu_plen[0], cpu_fields(&a->cpu, -1, a->fields), ts, now);
        if (a->cfg->percpu)
            for (int i = 0; i < a->cpu.max; i++)
                emit(a, a->cpu_prefix[i + 1], a->cpu_plen[i + 1], cpu_fields(&a->cpu, i, a->fields),
                     ts, now);
    }
    if (a->active & COLLECT_MEM) emit(a, a->mem_prefix, a->mem_plen, mem_fields(&a->mem, a->fields), ts, now);
    if (a->sys_now) {
        int ncpu = (a->active & COLLECT_CPU) ? a->cpu.online : a->n_cpus_fallback;
        emit(a, a->sys_prefix, a->sys_plen, system_fields(&a->sys, ncpu, a->fields), ts, now);
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
    sample_all(a, 0);
    emit_all(a, now);
    if (!a->cfg->to_stdout) udp_maintain(&a->udp, now, 0);
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

/* Self-telemetry: cumulative counters, so loss is lines_sent vs what landed. */
static void emit_stats(struct agent *a, double now)
{
    struct sample_field *f = a->fields;
    const struct udp_stats *u = &a->udp.stats;
    int n = 0;
    sample_int(&f[n++], "ticks", (int64_t)a->n.ticks);
    sample_int(&f[n++], "ticks_missed", (int64_t)a->n.ticks_missed);
    sample_int(&f[n++], "lines_sent", (int64_t)(a->cfg->to_stdout ? a->n.lines : u->lines_sent));
    sample_int(&f[n++], "datagrams_sent", (int64_t)u->datagrams_sent);
    sample_int(&f[n++], "bytes_sent", (int64_t)u->bytes_sent);
    sample_int(&f[n++], "send_errors", (int64_t)u->send_errors);
    sample_int(&f[n++], "lines_dropped", (int64_t)(a->packer.lines_dropped + u->lines_failed));
    sample_int(&f[n++], "read_errors", (int64_t)a->n.read_errors);
    emit(a, a->self_prefix, a->self_plen, n, timestamp_now(a->cfg->precision), now);
}

static void on_stats(struct ev_loop *loop, ev_periodic *w, int revents)
{
    struct agent *a = w->data;
    (void)revents;
    (void)loop;
    emit_stats(a, mono_now());
    after_emit(a);
}

static void on_stop(struct ev_loop *loop, ev_signal *w, int revents)
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

static void on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
    struct agent *a = w->data;
    char err[512];
    (void)revents;
    log_msg(LOG_INFO, "SIGHUP: reopening /proc files and resolving %s again", a->udp.host);
    if ((a->active & COLLECT_CPU) && procfile_reopen(&a->cpu.pf, err, sizeof err) != PROCFILE_OK)
        log_msg(LOG_WARN, "%s", err);
    if ((a->active & COLLECT_MEM) && procfile_reopen(&a->mem.pf, err, sizeof err) != PROCFILE_OK)
        log_msg(LOG_WARN, "%s", err);
    if ((a->active & COLLECT_SYSTEM) &&
        (procfile_reopen(&a->sys.loadavg, err, sizeof err) != PROCFILE_OK ||
         procfile_reopen(&a->sys.uptime, err, sizeof err) != PROCFILE_OK))
        log_msg(LOG_WARN, "%s", err);
    (void)loop;
    if (!a->cfg->to_stdout) udp_maintain(&a->udp, mono_now(), 1);
}

/* ---- set-up ------------------------------------------------------------- */

static void open_collectors(struct agent *a, const char *root)
{
    char err[512];
    const struct config *c = a->cfg;
    if (c->collect & COLLECT_CPU) {
        if (cpu_open(&a->cpu, root, c->cpu_time, err, sizeof err) == 0) a->active |= COLLECT_CPU;
        else log_msg(LOG_WARN, "cpu collector disabled: %s", err);
    }
    if (c->collect & COLLECT_MEM) {
        if (mem_open(&a->mem, root, err, sizeof err) == 0) a->active |= COLLECT_MEM;
        else log_msg(LOG_WARN, "mem collector disabled: %s", err);
    }
    if (c->collect & COLLECT_SYSTEM) {
        if (system_open(&a->sys, root, err, sizeof err) == 0) a->active |= COLLECT_SYSTEM;
        else log_msg(LOG_WARN, "system collector disabled: %s", err);
    }
}

/* Build every series prefix into one allocation. */
static int build_prefixes(struct agent *a, char *err, size_t errlen)
{
    const struct config *c = a->cfg;
    struct lp_tag tags[LP_MAX_TAGS];
    int ntags = 0, ncpu = (a->active & COLLECT_CPU) ? a->cpu.max : 0;
    int nseries = ncpu + 1 + 3, k = 0;
    char tmp[PREFIX_MAX], cpuname[24];
    size_t *lens, total = 0, off = 0;
    char **ptrs;

    for (int i = 0; i < c->ntags; i++) tags[ntags++] = c->tags[i];
    tags[ntags++] = (struct lp_tag){"host", c->host};
    memcpy(cpuname, "cpu", 3);
    tags[ntags] = (struct lp_tag){"cpu", cpuname};

    lens = calloc((size_t)nseries, sizeof *lens);
    ptrs = calloc((size_t)nseries, sizeof *ptrs);
    a->cpu_plen = lens;
    a->cpu_prefix = ptrs;
    if (!lens || !ptrs) goto oom;

    /* Two passes: measure, then write into one block. */
    for (int pass = 0; pass < 2; pass++) {
        for (k = 0; k < nseries; k++) {
            const char *m;
            size_t len;
            int with_cpu = k <= ncpu;
            if (k == 0) memcpy(cpuname, "cpu-total", sizeof "cpu-total");
            else if (k <= ncpu) cpuname[3 + lp_format_int(cpuname + 3, k - 1)] = '\0'; /* "cpuN" */
            m = k <= ncpu ? "cpu" : k == ncpu + 1 ? "mem" : k == ncpu + 2 ? "system" : "procflux";
            len = lp_series_build(tmp, sizeof tmp, m, tags, (size_t)ntags + with_cpu);
            if (len == 0) {
                snprintf(err, errlen, "the tags make a series prefix longer than %d bytes; use "
                         "shorter --tag values", PREFIX_MAX - 1);
                return EXIT_USAGE;
            }
            if (pass == 0) {
                lens[k] = len;
                total += len;
            } else {
                ptrs[k] = a->prefix_store + off;
                memcpy(ptrs[k], tmp, len);
                off += len;
            }
        }
        if (pass == 0 && !(a->prefix_store = malloc(total ? total : 1))) goto oom;
    }
    a->mem_prefix = ptrs[ncpu + 1];
    a->mem_plen = lens[ncpu + 1];
    a->sys_prefix = ptrs[ncpu + 2];
    a->sys_plen = lens[ncpu + 2];
    a->self_prefix = ptrs[ncpu + 3];
    a->self_plen = lens[ncpu + 3];
    {
        size_t longest = 0;
        for (k = 0; k < nseries; k++) longest = lens[k] > longest ? lens[k] : longest;
        a->line_cap = lp_line_max(longest, SAMPLE_MAX_FIELDS);
        if (!(a->line = malloc(a->line_cap))) goto oom;
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory while building series prefixes");
    return EXIT_SETUP;
}

/*
 * libev grows its arrays the first time they need room: the pending list when
 * the tick, the flush timer and the stats watcher first fall due in one loop
 * pass (minutes after start), the timer heap on the first flush. Make them
 * grow now, so that nothing allocates once the loop runs: feed every watcher
 * once and take the events back, and start and stop the flush timer.
 */
static void presize_loop(struct agent *a)
{
    void *ws[] = {&a->tick, &a->flush, &a->stats, &a->sigint, &a->sigterm, &a->sighup};
    ev_timer_set(&a->flush, 3600, 0);
    ev_timer_start(a->loop, &a->flush);
    ev_timer_stop(a->loop, &a->flush);
    for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++) ev_feed_event(a->loop, ws[i], 0);
    for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++) ev_clear_pending(a->loop, ws[i]);
}

int agent_init(struct agent *a, const struct config *cfg, char *err, size_t errlen)
{
    const char *root = cfg->proc_root[0] ? cfg->proc_root : NULL;
    int rc;

    memset(a, 0, sizeof *a);
    a->cfg = cfg;
    a->flush_at = -1;
    a->last_tick_index = -1;
    a->udp.fd = -1;
    {
        /* What Telegraf's runtime.NumCPU reports: the CPUs this process may run on. */
        cpu_set_t set;
        a->n_cpus_fallback = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
    }
    log_limit_init(&a->read_log, 10);
    log_limit_init(&a->drop_log, 10);

    open_collectors(a, root);
    if (!a->active) {
        snprintf(err, errlen, "no collector could start (reading %s); check --proc-root and "
                 "permissions", root ? root : "/proc");
        return EXIT_SETUP;
    }
    if ((rc = build_prefixes(a, err, errlen)) != 0) return rc;

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
        size_t payload;
        int nslots;
        if (udp_init(&a->udp, cfg->dest_host, cfg->dest_port, cfg->resolve_every, mono_now(),
                     uerr, sizeof uerr) != UDP_OK)
            log_msg(LOG_WARN, "%s; starting anyway and retrying with backoff", uerr);
        payload = cfg->payload ? cfg->payload : udp_path_payload(&a->udp);
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

static void sleep_seconds(double s)
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

void agent_free(struct agent *a)
{
    if (a->active & COLLECT_CPU) cpu_close(&a->cpu);
    if (a->active & COLLECT_MEM) mem_close(&a->mem);
    if (a->active & COLLECT_SYSTEM) system_close(&a->sys);
    if (!a->cfg->to_stdout) {
        udp_close(&a->udp);
        packer_free(&a->packer);
    } else {
        fflush(stdout);
    }
    if (a->loop) ev_loop_destroy(a->loop);
    free(a->take);
    free(a->line);
    free(a->prefix_store);
    free(a->cpu_prefix);
    free(a->cpu_plen);
}
