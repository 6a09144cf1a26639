/*
 * floor: what reading the kernel's counters costs on procflux's schedule.
 *
 *   floor INTERVAL_SECONDS [FILE...]
 *
 * A libev ev_periodic aligned to wall-clock multiples of the interval (the
 * same wake-up machinery as procflux), and on each tick one pread of each
 * file (default /proc/stat and /proc/meminfo) into a static buffer. Nothing
 * is parsed, encoded or sent. On SIGTERM or SIGINT it prints
 * `ticks=N ticks_missed=M` on standard error and exits 0.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ev.h>
#include <sys/prctl.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MAXFILES 8

static char buf[65536];
static int fds[MAXFILES], nfds;
static double interval;
static int64_t last_index = -1;
static uint64_t ticks, missed, read_errors;

static void on_tick(struct ev_loop *loop, ev_periodic *w, int revents)
{
    int64_t idx = (int64_t)(ev_periodic_at(w) / interval + 0.5) - 1; /* as agent.c */
    (void)loop;
    (void)revents;
    if (last_index >= 0 && idx > last_index + 1) missed += (uint64_t)(idx - last_index - 1);
    last_index = idx;
    ticks++;
    for (int i = 0; i < nfds; i++)
        if (pread(fds[i], buf, sizeof buf, 0) <= 0) read_errors++;
}

static void on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)w;
    (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

int main(int argc, char **argv)
{
    static const char *def[] = {"/proc/stat", "/proc/meminfo"};
    const char **files = def;
    struct ev_loop *loop;
    ev_periodic tick;
    ev_signal sigterm, sigint;
    int n = 2;

    if (argc < 2 || (interval = atof(argv[1])) <= 0) {
        fprintf(stderr, "usage: floor INTERVAL_SECONDS [FILE...]\n");
        return 2;
    }
    if (argc > 2) {
        files = (const char **)argv + 2;
        n = argc - 2 > MAXFILES ? MAXFILES : argc - 2;
    }
    for (int i = 0; i < n; i++) {
        if ((fds[nfds] = open(files[i], O_RDONLY | O_CLOEXEC)) < 0) {
            perror(files[i]);
            return 1;
        }
        nfds++;
    }
    /* The same wake-up machinery as procflux (agent.c): select, 1 us slack. */
    loop = ev_default_loop(EVBACKEND_SELECT | EVFLAG_AUTO);
    if (!loop) loop = ev_default_loop(EVFLAG_AUTO);
    if (interval < 0.01) prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    ev_periodic_init(&tick, on_tick, 0, interval, NULL);
    ev_signal_init(&sigterm, on_stop, SIGTERM);
    ev_signal_init(&sigint, on_stop, SIGINT);
    ev_periodic_start(loop, &tick);
    ev_signal_start(loop, &sigterm);
    ev_signal_start(loop, &sigint);
    ev_run(loop, 0);
    fprintf(stderr, "ticks=%llu ticks_missed=%llu read_errors=%llu\n", (unsigned long long)ticks,
            (unsigned long long)missed, (unsigned long long)read_errors);
    return 0;
}
