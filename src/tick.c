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

double tick_phase(const char *name)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) h = (h ^ *p) * 1099511628211ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull; /* (similar names, agent-01 and agent-02, land far apart) */
    h ^= h >> 33;
    return (double)(h >> 11) / 9007199254740992.0; /* 53 bits: [0, 1) */
}

int tick_due(double *due, double now, double period)
{
    if (now < *due && now > *due - 2 * period) return 0;
    *due = ((double)(int64_t)(now / period + 1e-9) + 1) * period - 1e-6;
    return 1;
}
