#include "system.h"

#include <string.h>

#include "procparse.h"

const char *const system_field_names[] = {"load1", "load5", "load15", "n_cpus", "uptime", NULL};

int system_parse_loadavg(const char *buf, size_t len, double load[3])
{
    const char *p = buf, *end = buf + len;
    for (int i = 0; i < 3; i++) {
        if (!pp_udecimal(&p, end, &load[i])) return 0;
        if (p >= end || (*p != ' ' && *p != '\t')) return 0;
    }
    return 1;
}

int system_parse_uptime(const char *buf, size_t len, double *uptime)
{
    const char *p = buf, *end = buf + len;
    if (!pp_udecimal(&p, end, uptime)) return 0;
    return p < end && (*p == ' ' || *p == '\n');
}

int system_open(struct system_collector *s, const char *root, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->loadavg.fd = s->uptime.fd = -1;
    if (procfile_open(&s->loadavg, root, "loadavg", 4096, err, errlen) != PROCFILE_OK) return -1;
    if (procfile_open(&s->uptime, root, "uptime", 4096, err, errlen) != PROCFILE_OK) {
        procfile_close(&s->loadavg);
        return -1;
    }
    return 0;
}

int system_sample(struct system_collector *s)
{
    s->cur.have_load = procfile_read(&s->loadavg) > 0 &&
                       system_parse_loadavg(s->loadavg.buf, s->loadavg.len, s->cur.load);
    s->cur.have_uptime = procfile_read(&s->uptime) > 0 &&
                         system_parse_uptime(s->uptime.buf, s->uptime.len, &s->cur.uptime);
    return s->cur.have_load || s->cur.have_uptime ? 0 : -1;
}

int system_fields(const struct system_collector *s, int n_cpus, struct sample_field *out)
{
    int n = 0;
    if (s->cur.have_load) {
        sample_float(&out[n++], "load1", s->cur.load[0]);
        sample_float(&out[n++], "load5", s->cur.load[1]);
        sample_float(&out[n++], "load15", s->cur.load[2]);
    }
    if (n == 0 && !s->cur.have_uptime) return 0;
    if (n_cpus > 0) sample_int(&out[n++], "n_cpus", n_cpus);
    if (s->cur.have_uptime && s->cur.uptime < 9.2e18)
        sample_int(&out[n++], "uptime", (int64_t)s->cur.uptime);
    return n;
}

void system_close(struct system_collector *s)
{
    procfile_close(&s->loadavg);
    procfile_close(&s->uptime);
}
