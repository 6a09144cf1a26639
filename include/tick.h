#ifndef PROCFLUX_TICK_H
#define PROCFLUX_TICK_H

#include <stdint.h>

/*
 * tick: the arithmetic of the schedule, as pure functions: which tick this
 * is, how many were missed, where windows begin and end, when a
 * once-a-second collector is due. No clock is read here; callers pass times.
 */

/**
 * The index of the tick a periodic watcher fires for: it is already
 * rescheduled to @next_at (wall-clock seconds), one @interval after this tick.
 * Tick k is the one at time k * @interval.
 */
int64_t tick_index(double next_at, double interval);

/** Ticks missed between tick @last (-1: none yet) and tick @idx. */
uint64_t tick_missed(int64_t last, int64_t idx);

/** Ticks per window of @window seconds at @interval (config checks it is a whole number >= 2). */
int64_t tick_per_window(double window, double interval);

/*
 * Windows tile the wall clock like the ticks: the tick at time k * interval
 * carries usage over ((k - 1) * interval, k * interval], so window w,
 * ((w - 1) * W, w * W], holds ticks (w - 1) * n + 1 .. w * n (n ticks a
 * window) and ends on the tick whose index is a multiple of n. When ticks
 * were missed across a boundary (a stall, a clock step), what a window that
 * never ended had gathered is dropped, not sent under a later window's time;
 * the window procflux started in is partial, and is not sent either.
 */
struct window_clock {
    int64_t n;       /* ticks per window; <= 1: no windows, every tick closes */
    int64_t no;      /* the window the last tick fell in; -1: none yet */
    int skip;        /* that window began before procflux did: not sent */
};

/** Start a clock of @n ticks per window. */
void window_clock_init(struct window_clock *w, int64_t n);

/**
 * Tick @idx happened. Sets *fresh when it falls in another window than the
 * tick before (the accumulators start over). @return 1 when this tick ends a
 * window that is sent, else 0.
 */
int window_clock_tick(struct window_clock *w, int64_t idx, int *fresh);

/**
 * This host's phase in [0, 1), from @name (the host tag): the same on every
 * start, spread evenly over a fleet's names (FNV-1a, then a multiplicative
 * mix). Send jitter places the host's sends by it.
 */
double tick_phase(const char *name);

/**
 * A collector due at most once every @period seconds (max(interval, 1 s)),
 * on the first tick of each period of the wall clock: whether it is due at
 * wall-clock time @now, advancing *due (0 at first: due at once). A clock
 * stepped back by more than two periods makes it due at once.
 */
int tick_due(double *due, double now, double period);

#endif
