/* agent: the libev loop; ticks, flushes, telemetry and signals wired to the modules that do the work. */
#include "agent.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>

#include <ev.h>

#include "config.h"
#include "log.h"
#include "pages.h"
#include "output.h"
#include "sampler.h"
#include "series.h"
#include "telemetry.h"
#include "tick.h"

/* Start-up and exit only: kept out of the hot pages. */
#define SETUP __attribute__((cold))

struct agent {
    const struct config *cfg;
    struct ev_loop *loop;
    ev_periodic tick;
    ev_timer flush;
    ev_periodic stats;
    ev_signal sigint, sigterm, sighup;
    double flush_at;            /* when the flush timer is armed for; -1: not armed */
    int64_t last_tick;          /* index of the last tick; -1: none yet */
    uint64_t ticks, ticks_missed;
    struct window_clock windows;
    struct series_set series;
    int self_series;            /* the first procflux series: one per destination */
    struct sampler sampler;
    struct output out;
    struct sample_field self[SAMPLE_MAX_FIELDS];
    const struct match_list *keep_self;
    int exit_code;
};

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

/* Keep the flush timer armed for the oldest pending line's deadline. */
static void arm_flush(struct agent *a)
{
    double due = output_deadline(&a->out), now;
    if (due == a->flush_at) return;
    ev_timer_stop(a->loop, &a->flush);
    a->flush_at = due;
    if (due < 0) return;
    now = mono_now();
    ev_timer_set(&a->flush, due > now ? due - now : 0, 0);
    ev_timer_start(a->loop, &a->flush);
}

static void after_emit(struct agent *a)
{
    output_done(&a->out);
    if (!a->cfg->to_stdout) arm_flush(a);
}

static void on_tick(struct ev_loop *loop, ev_periodic *w, int revents)
{
    struct agent *a = w->data;
    double now = mono_now();
    /* The watcher is already rescheduled: this tick is one interval before its next time. */
    int64_t idx = tick_index(ev_periodic_at(w), a->cfg->interval);
    uint64_t missed = tick_missed(a->last_tick, idx);
    int fresh, closing;
    (void)loop, (void)revents;

    a->ticks_missed += missed;
    a->last_tick = idx;
    a->ticks++;
    closing = window_clock_tick(&a->windows, idx, &fresh);
    if (fresh) sampler_window_start(&a->sampler, missed > 0 || a->ticks == 1);
    sampler_sample(&a->sampler, closing, 0, ev_now(a->loop), now);
    /* a delta across missed ticks into a new window holds time from before it: not the window's */
    sampler_emit(&a->sampler, &a->series, &a->out, closing, missed > 0 && fresh, now);
    output_maintain(&a->out, now, 0);
    after_emit(a);
    sampler_grow(&a->sampler);
}

static void on_flush(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct agent *a = w->data;
    (void)loop, (void)revents;
    a->flush_at = -1;
    /* A hair of slack: libev's timer and our deadline read the clock apart. */
    output_send(&a->out, 0, mono_now() + 1e-4);
    arm_flush(a);
}

/* One procflux line per destination, with that destination's counters. */
static void emit_stats(struct agent *a, double now)
{
    int64_t ts = output_timestamp(&a->out);
    for (int d = 0; d < output_ndest(&a->out); d++) {
        struct telemetry t = {.ticks = a->ticks, .ticks_missed = a->ticks_missed,
                              .read_errors = a->sampler.read_errors, .buffers_grown = a->sampler.buffers_grown};
        size_t plen;
        const char *prefix = series_prefix(&a->series, a->self_series + d, &plen);
        output_counts(&a->out, d, &t);
        output_line(&a->out, prefix, plen, a->keep_self, a->self, telemetry_fields(&t, a->self), ts, now);
    }
}

static void on_stats(struct ev_loop *loop, ev_periodic *w, int revents)
{
    struct agent *a = w->data;
    (void)loop, (void)revents;
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
    if (!a->cfg->to_stdout) output_send(&a->out, 1, mono_now());
    if (a->cfg->stats_every > 0) emit_stats(a, mono_now());
    if (!a->cfg->to_stdout) output_send(&a->out, 1, mono_now());
    if (output_done(&a->out) != 0) a->exit_code = EXIT_SETUP;
    ev_break(loop, EVBREAK_ALL);
}

SETUP static void on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
    struct agent *a = w->data;
    (void)loop, (void)revents;
    log_msg(LOG_INFO, "SIGHUP: reopening /proc files and resolving the destinations again");
    sampler_reopen(&a->sampler);
    output_maintain(&a->out, mono_now(), 1);
}

/* ---- set-up ------------------------------------------------------------- */

/* procflux's own series: one per destination (tag dest=HOST:PORT), one without --stdout's. */
SETUP static int add_self_series(struct agent *a, char *err, size_t errlen)
{
    const struct config *c = a->cfg;
    int n = c->to_stdout ? 1 : c->ndest;
    for (int d = 0; d < n; d++) {
        char dest[280];
        struct lp_tag tag = {"dest", dest};
        int k;
        /* IPv6 in brackets as on the command line */
        if (!c->to_stdout)
            snprintf(dest, sizeof dest, strchr(c->dest[d].host, ':') ? "[%s]:%s" : "%s:%s", c->dest[d].host,
                     c->dest[d].port);
        k = series_add(&a->series, telemetry_measurement.name, &tag, c->to_stdout ? 0 : 1, err, errlen);
        if (k < 0) return k == SERIES_TOO_LONG ? EXIT_USAGE : EXIT_SETUP;
        if (d == 0) a->self_series = k;
    }
    for (int i = 0; i < c->nfieldsets; i++)
        if (!strcmp(c->fieldsets[i].measurement, telemetry_measurement.name)) a->keep_self = &c->fieldsets[i].keep;
    return 0;
}

/*
 * libev grows its arrays the first time they need room: the pending list when
 * the tick, the flush timer and the stats watcher first fall due in one loop
 * pass (minutes after start), the timer heap on the first flush. Make them
 * grow now, so that nothing allocates once the loop runs: feed every watcher
 * (and one at the top priority) once and take the events back, and start and
 * stop the flush timer.
 */
SETUP static void presize_loop(struct agent *a)
{
    /* libev's signal pipe watcher runs at EV_MAXPRI, which has a pending
       array of its own: the first signal would grow it. */
    ev_idle top;
    void *ws[] = {&a->tick, &a->flush, &a->stats, &a->sigint, &a->sigterm, &a->sighup, &top};
    ev_idle_init(&top, NULL);
    ev_set_priority(&top, EV_MAXPRI);
    ev_timer_set(&a->flush, 3600, 0);
    ev_timer_start(a->loop, &a->flush);
    ev_timer_stop(a->loop, &a->flush);
    for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++) ev_feed_event(a->loop, ws[i], 0);
    for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++) ev_clear_pending(a->loop, ws[i]);
}

/*
 * The fds the run needs beyond those open now (the collectors' files): a
 * socket per destination and libev's signal pipe (an eventfd, or a pipe's
 * two). Counted up front, where a too low ulimit -n would otherwise abort
 * inside libev or leave a destination without a socket, retrying forever.
 */
SETUP static int check_fds(const struct config *cfg, char *err, size_t errlen)
{
    struct rlimit rl;
    int open_now = 0, need = (cfg->to_stdout ? 0 : cfg->ndest) + 2;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 4096) return 0;
    for (int fd = 0; fd < (int)rl.rlim_cur; fd++) open_now += fcntl(fd, F_GETFD) != -1;
    if (open_now + need <= (int)rl.rlim_cur) return 0;
    snprintf(err, errlen, "too few file descriptors: procflux needs %d (%d open, %d more for its sockets and "
             "signal pipe) and ulimit -n allows %d; raise it", open_now + need, open_now, need, (int)rl.rlim_cur);
    return EXIT_SETUP;
}

/*
 * libev aborts when an allocation fails or a system call it needs does (the
 * signal pipe without fds): say it in a sentence and exit 3 instead. Both
 * can only happen at start-up: the loop's arrays are sized there.
 */
SETUP static void *loop_alloc(void *p, long size)
{
    void *q;
    if (size == 0) {
        free(p);
        return NULL;
    }
    if ((q = realloc(p, (size_t)size))) return q;
    log_msg(LOG_ERROR, "out of memory starting the event loop");
    exit(EXIT_SETUP);
}

SETUP static void loop_syserr(const char *msg)
{
    log_msg(LOG_ERROR, "cannot start the event loop: %s: %s (too few file descriptors? see ulimit -n)", msg,
            strerror(errno));
    exit(EXIT_SETUP);
}

SETUP static int init(struct agent *a, const struct config *cfg, char *err, size_t errlen)
{
    int rc;
    a->cfg = cfg;
    a->flush_at = -1;
    a->last_tick = -1;
    window_clock_init(&a->windows, cfg->window > 0 ? tick_per_window(cfg->window, cfg->interval) : 1);
    if (series_init(&a->series, cfg->tags, cfg->ntags, cfg->host) != 0) {
        snprintf(err, errlen, "too many tags");
        return EXIT_USAGE;
    }
    if ((rc = sampler_open(&a->sampler, cfg, &a->series, err, errlen)) != 0) return rc;
    if ((rc = add_self_series(a, err, errlen)) != 0) return rc;
    if ((rc = check_fds(cfg, err, errlen)) != 0) return rc;

    /*
     * select, not epoll: procflux watches at most one fd (libev's signal
     * pipe), and select sleeps with microsecond timeouts where epoll_wait
     * rounds up to whole milliseconds, which at 1 kHz makes every wake-up late
     * until the periodic skips a tick. LIBEV_FLAGS still overrides. A 1 us
     * timer slack (default 50 us) keeps sub-10ms intervals on time.
     */
    ev_set_allocator(loop_alloc);
    ev_set_syserr_cb(loop_syserr);
    a->loop = ev_default_loop(EVBACKEND_SELECT | EVFLAG_AUTO);
    if (!a->loop) a->loop = ev_default_loop(EVFLAG_AUTO);
    if (!a->loop) {
        snprintf(err, errlen, "cannot start the libev loop");
        return EXIT_SETUP;
    }
    if (cfg->interval < 0.01) prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    if ((rc = output_init(&a->out, cfg, series_line_max(&a->series, SAMPLE_MAX_FIELDS), err, errlen)) != 0)
        return rc;

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

SETUP struct agent *agent_new(const struct config *cfg, int *rc, char *err, size_t errlen)
{
    struct agent *a = pages_alloc(sizeof *a); /* its field arrays are mostly never written */
    if (!a) {
        snprintf(err, errlen, "out of memory");
        *rc = EXIT_SETUP;
        return NULL;
    }
    if ((*rc = init(a, cfg, err, errlen)) != 0) {
        agent_free(a);
        return NULL;
    }
    return a;
}

static volatile sig_atomic_t once_stopped;

SETUP static void once_stop(int sig)
{
    (void)sig;
    once_stopped = 1;
}

/* Sleep @s seconds, or until SIGINT or SIGTERM. @return 0, or -1 when stopped. */
SETUP static int sleep_seconds(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (!once_stopped && nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
    return once_stopped ? -1 : 0;
}

/*
 * --once: two readings one interval apart, every collector, one tick's
 * lines. SIGINT or SIGTERM in between ends it at once with status 0, as
 * they end a running procflux (there is no tick to send yet).
 */
SETUP static int run_once(struct agent *a)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = once_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sampler_sample(&a->sampler, 1, 1, ev_now(a->loop), mono_now());
    if (sleep_seconds(a->cfg->interval) != 0) {
        log_msg(LOG_INFO, "signal: exiting before the second reading");
        return 0;
    }
    ev_now_update(a->loop);
    sampler_sample(&a->sampler, 1, 1, ev_now(a->loop), mono_now());
    a->ticks = 1;
    sampler_emit(&a->sampler, &a->series, &a->out, 1, 0, mono_now());
    if (!a->cfg->to_stdout) output_send(&a->out, 1, mono_now());
    return output_done(&a->out) == 0 ? 0 : EXIT_SETUP;
}

int agent_run(struct agent *a)
{
    if (a->cfg->once) return run_once(a);
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
    if (!a) return;
    sampler_close(&a->sampler);
    output_free(&a->out);
    series_free(&a->series);
    if (a->loop) ev_loop_destroy(a->loop);
    pages_free(a, sizeof *a);
}
