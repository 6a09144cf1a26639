/* telemetry: procflux's own measurement, from what the agent and the senders counted. */
#include "telemetry.h"

static const char *const field_names[] = {
    "ticks", "ticks_missed", "lines_sent", "datagrams_sent", "bytes_sent", "send_errors",
    "lines_dropped", "read_errors", "resolve_errors", "buffers_grown", NULL,
};
static const char *const tag_keys[] = {"dest", NULL};

const struct measurement telemetry_measurement = {.name = "procflux", .tag_keys = tag_keys, .fields = field_names};

int telemetry_fields(const struct telemetry *t, struct sample_field *out)
{
    /* (field_names order) */
    const uint64_t v[] = {t->ticks, t->ticks_missed, t->lines_sent, t->datagrams_sent, t->bytes_sent,
                          t->send_errors, t->lines_dropped, t->read_errors, t->resolve_errors,
                          t->buffers_grown};
    int n = (int)(sizeof v / sizeof v[0]);
    for (int i = 0; i < n; i++) sample_int(&out[i], field_names[i], (int64_t)v[i]);
    return n;
}
