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
        for (int i = 0; i < 3; i++) sample_float(&out[n++], system_field_names[i], s->cur.load[i]);
    }
    if (n == 0 && !s->cur.have_uptime) return 0;
    if (n_cpus > 0) sample_int(&out[n++], system_field_names[3], n_cpus);
    if (s->cur.have_uptime && s->cur.uptime < 9.2e18)
        sample_int(&out[n++], system_field_names[4], (int64_t)s->cur.uptime);
    return n;
}

void system_close(struct system_collector *s)
{
    procfile_close(&s->loadavg);
    procfile_close(&s->uptime);
}

/* ---- the table entry ---------------------------------------------------- */

static const struct measurement system_measurements[] = {{.name = "system", .fields = system_field_names}};

static int entry_open(void *st, const struct collector_env *env, char *err, size_t errlen)
{
    return system_open(st, env->proc_root, err, errlen);
}

static const char *entry_sample(void *st, struct collector_shared *sh)
{
    (void)sh;
    return system_sample(st) == 0 ? NULL : ((struct system_collector *)st)->loadavg.path;
}

static int entry_fields(const void *st, int i, const struct collector_shared *sh, struct sample_field *out)
{
    (void)i;
    return system_fields(st, sh->cpus, out);
}

static struct procfile *entry_file(void *st, int i)
{
    struct system_collector *s = st;
    return i == 0 ? &s->loadavg : i == 1 ? &s->uptime : NULL;
}

static void entry_close(void *st) { system_close(st); }

/*
 * At most once a second: the kernel updates the load averages every 5 s and
 * uptime counts seconds, so reading two more files on every tick of a fast
 * interval bought nothing and cost about 8 us a tick at 1 kHz.
 */
const struct collector collector_system = {
    .name = "system",
    .measurements = system_measurements,
    .nmeasurements = 1,
    .flags = COLLECTOR_ONCE_A_SECOND,
    .size = sizeof(struct system_collector),
    .open = entry_open,
    .sample = entry_sample,
    .fields = entry_fields,
    .file = entry_file,
    .close = entry_close,
};
