#include "pressure.h"

#include <stdio.h>
#include <string.h>

#include "procparse.h"

const char *const pressure_field_names[] = {"avg10", "avg60", "avg300", "total", NULL};

static const char *const file_names[3] = {"pressure/cpu", "pressure/memory", "pressure/io"};

/* The series each file's some and full lines feed; -1: not reported. */
static const signed char some_series[3] = {PSI_CPU_SOME, PSI_MEMORY_SOME, PSI_IO_SOME};
static const signed char full_series[3] = {-1, PSI_MEMORY_FULL, PSI_IO_FULL};

const char *pressure_resource(int series)
{
    static const char *const r[PSI_NSERIES] = {"cpu", "memory", "memory", "io", "io"};
    return series >= 0 && series < PSI_NSERIES ? r[series] : NULL;
}

const char *pressure_type(int series)
{
    static const char *const t[PSI_NSERIES] = {"some", "some", "full", "some", "full"};
    return series >= 0 && series < PSI_NSERIES ? t[series] : NULL;
}

/* At *q: one or more blanks, then @key ("avg10="), then a digit. Advances past the key. */
static int expect_key(const char **q, const char *eol, const char *key, size_t klen)
{
    const char *s = *q;
    if (s >= eol || (*s != ' ' && *s != '\t')) return 0;
    pp_skip_blanks(&s, eol);
    if ((size_t)(eol - s) <= klen || memcmp(s, key, klen) != 0) return 0;
    s += klen;
    if (*s < '0' || *s > '9') return 0;
    *q = s;
    return 1;
}

/* One line p..eol (eol: its '\n' or the end of the content). */
static int parse_line(const char *p, const char *eol, const char *end, struct psi_values *out)
{
    const char *q = p + 4;
    uint64_t total;
    if (!expect_key(&q, eol, "avg10=", 6) || !pp_udecimal(&q, eol, &out->avg10)) return 0;
    if (!expect_key(&q, eol, "avg60=", 6) || !pp_udecimal(&q, eol, &out->avg60)) return 0;
    if (!expect_key(&q, eol, "avg300=", 7) || !pp_udecimal(&q, eol, &out->avg300)) return 0;
    if (!expect_key(&q, eol, "total=", 6) || !pp_u64(&q, eol, &total)) return 0;
    if (total > (uint64_t)INT64_MAX) return 0;
    /* Digits running into the end of the content may be cut. */
    if (q >= end || (*q != ' ' && *q != '\t' && *q != '\n')) return 0;
    out->total = (int64_t)total;
    return 1;
}

int pressure_parse(const char *buf, size_t len, struct psi_values *some, struct psi_values *full)
{
    const char *p = buf, *end = buf + len;
    int found = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        struct psi_values *dst = NULL;
        int bit = 0;

        if (eol - p > 4) {
            if (some && memcmp(p, "some", 4) == 0) dst = some, bit = PSI_HAVE_SOME;
            else if (full && memcmp(p, "full", 4) == 0) dst = full, bit = PSI_HAVE_FULL;
        }
        if (dst) {
            struct psi_values v;
            if (parse_line(p, eol, end, &v)) {
                *dst = v;
                found |= bit;
            }
        }
        if (!nl) break;
        p = nl + 1;
    }
    return found;
}

int pressure_open(struct pressure_collector *p, const char *root, char *err, size_t errlen)
{
    char first[320] = "", ignored[320];
    int opened = 0;

    memset(p, 0, sizeof *p);
    for (int i = 0; i < 3; i++) {
        /* procfile_open reads the file once to size it: psi=0 fails here (EOPNOTSUPP). */
        if (procfile_open(&p->f[i], root, file_names[i], 4096, i == 0 ? first : ignored,
                          i == 0 ? sizeof first : sizeof ignored) == PROCFILE_OK)
            opened++;
    }
    if (opened == 0) {
        snprintf(err, errlen,
                 "no pressure stall information (%s): it needs Linux 4.20 or later built with "
                 "CONFIG_PSI, booted with psi=1 where PSI is off by default",
                 first);
        return -1;
    }
    return 0;
}

int pressure_sample(struct pressure_collector *p)
{
    int any = 0;

    p->present = 0;
    for (int i = 0; i < 3; i++) {
        struct psi_values *full = full_series[i] >= 0 ? &p->v[full_series[i]] : NULL;
        int r;
        if (p->f[i].fd < 0 || procfile_read(&p->f[i]) < 0) continue;
        any = 1;
        r = pressure_parse(p->f[i].buf, p->f[i].len, &p->v[some_series[i]], full);
        if (r & PSI_HAVE_SOME) p->present |= 1u << some_series[i];
        if ((r & PSI_HAVE_FULL) && full) p->present |= 1u << full_series[i];
    }
    return any ? 0 : -1;
}

int pressure_fields(const struct pressure_collector *p, int series, struct sample_field *out)
{
    const struct psi_values *v;
    if (series < 0 || series >= PSI_NSERIES || !((p->present >> series) & 1u)) return 0;
    v = &p->v[series];
    /* (pressure_field_names order) */
    sample_float(&out[0], pressure_field_names[0], v->avg10);
    sample_float(&out[1], pressure_field_names[1], v->avg60);
    sample_float(&out[2], pressure_field_names[2], v->avg300);
    sample_counter(&out[3], pressure_field_names[3], v->total);
    return 4;
}

void pressure_close(struct pressure_collector *p)
{
    for (int i = 0; i < 3; i++) procfile_close(&p->f[i]);
}

/* ---- the table entry ---------------------------------------------------- */

static const char *const pressure_tag_keys[] = {"resource", "type", NULL};
static const char *const pressure_rated_names[] = {"total", NULL}; /* stall time: µs per second */
static const struct measurement pressure_measurements[] = {
    {.name = "pressure", .tag_keys = pressure_tag_keys, .fields = pressure_field_names,
     .rated = pressure_rated_names},
};

static int entry_open(void *st, const struct collector_env *env, char *err, size_t errlen)
{
    return pressure_open(st, env->proc_root, err, errlen);
}

static int entry_nseries(const void *st)
{
    (void)st;
    return PSI_NSERIES;
}

static int entry_series(const void *st, int i, struct lp_tag *tags, int *ntags, char *buf, size_t cap)
{
    (void)st, (void)buf, (void)cap;
    tags[0] = (struct lp_tag){"resource", pressure_resource(i)};
    tags[1] = (struct lp_tag){"type", pressure_type(i)};
    *ntags = 2;
    return 0;
}

static const char *entry_sample(void *st, struct collector_shared *sh)
{
    (void)sh;
    return pressure_sample(st) == 0 ? NULL : "the pressure files";
}

static int entry_fields(const void *st, int i, const struct collector_shared *sh, struct sample_field *out)
{
    (void)sh;
    return pressure_fields(st, i, out);
}

static struct procfile *entry_file(void *st, int i)
{
    return i >= 0 && i < 3 ? &((struct pressure_collector *)st)->f[i] : NULL;
}

static void entry_close(void *st) { pressure_close(st); }

const struct collector collector_pressure = {
    .name = "pressure",
    .measurements = pressure_measurements,
    .nmeasurements = 1,
    .flags = COLLECTOR_EVERY_TICK,
    .size = sizeof(struct pressure_collector),
    .open = entry_open,
    .nseries = entry_nseries,
    .series = entry_series,
    .sample = entry_sample,
    .fields = entry_fields,
    .file = entry_file,
    .close = entry_close,
};
