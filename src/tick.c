/* tick: tick index, missed ticks, window boundaries and once-a-second dues, as pure arithmetic. */
#include "tick.h"

int64_t tick_index(double next_at, double interval)
{
    return (int64_t)(next_at / interval + 0.5) - 1;
}

uint64_t tick_missed(int64_t last, int64_t idx)
{
    return last >= 0 && idx > last + 1 ? (uint64_t)(idx - last - 1) : 0;
}

int64_t tick_per_window(double window, double interval)
{
    return (int64_t)(window / interval + 0.5);
}

void window_clock_init(struct window_clock *w, int64_t n)
{
    w->n = n;
    w->no = -1;
    w->skip = 0;
}

int window_clock_tick(struct window_clock *w, int64_t idx, int *fresh)
{
    int64_t n = w->n, no;
    *fresh = 0;
    if (n <= 1) return 1;
    no = idx > 0 ? (idx + n - 1) / n : idx / n;
    if (no != w->no) {
        *fresh = 1;
        w->skip = w->no < 0 && idx % n != 1;
        w->no = no;
    }
    return idx % n == 0 && !w->skip;
}

int tick_due(double *due, double now, double period)
{
    if (now < *due && now > *due - 2 * period) return 0;
    *due = ((double)(int64_t)(now / period + 1e-9) + 1) * period - 1e-6;
    return 1;
}
