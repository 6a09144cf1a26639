#ifndef PROCFLUX_LOG_H
#define PROCFLUX_LOG_H

#include <stdarg.h>

/*
 * log: one line per message on standard error, prefixed with "procflux: "
 * and the level. Run-time problems that can repeat at tick rate go through a
 * struct log_limit so that at most one line per period reaches the log, with
 * the number of suppressed repeats.
 */

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/** Messages above this level are discarded (default LOG_INFO). */
void log_set_level(enum log_level level);

/** Print one line: "procflux: <level>: <message>\n". */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct log_limit {
    double period;     /* seconds between two printed lines */
    double last;       /* time of the last printed line, -1 before the first */
    unsigned long suppressed; /* messages not printed since then */
};

/** Initialise a limiter that prints at most one line per @period seconds. */
void log_limit_init(struct log_limit *l, double period);

/**
 * Print through the limiter. @now is a monotonic time in seconds. When lines
 * were suppressed since the last one printed, their count is appended.
 * @return 1 when the line was printed, 0 when it was suppressed.
 */
int log_limited(struct log_limit *l, double now, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
