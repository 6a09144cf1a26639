#include "log.h"

#include <stdio.h>

static enum log_level max_level = LOG_INFO;
static const char *const level_names[] = {"error", "warning", "info", "debug"};

void log_set_level(enum log_level level) { max_level = level; }

__attribute__((format(printf, 3, 0)))
static void log_v(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    fprintf(stderr, "procflux: %s: %s%s\n", level_names[level], line, suffix);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    va_list ap;
    if (level > max_level) return;
    va_start(ap, fmt);
    log_v(level, "", fmt, ap);
    va_end(ap);
}

void log_limit_init(struct log_limit *l, double period)
{
    l->period = period;
    l->last = -1;
    l->suppressed = 0;
}

int log_limited(struct log_limit *l, double now, enum log_level level, const char *fmt, ...)
{
    char suffix[64] = "";
    va_list ap;
    if (l->last >= 0 && now - l->last < l->period) {
        l->suppressed++;
        return 0;
    }
    if (l->suppressed)
        snprintf(suffix, sizeof suffix, " (%lu similar messages suppressed)", l->suppressed);
    l->last = now;
    l->suppressed = 0;
    if (level > max_level) return 1;
    va_start(ap, fmt);
    log_v(level, suffix, fmt, ap);
    va_end(ap);
    return 1;
}
