#include "kernel.h"

#include <string.h>

#include "procparse.h"

const char *const kernel_field_names[] = {
    "boot_time", "context_switches", "entropy_avail", "interrupts", "processes_forked", NULL,
};

const char *const processes_field_names[] = {"blocked", "running", NULL};

/* The counters --window gives rates of. */
static const char *const kernel_rated_names[] = {"context_switches", "interrupts", "processes_forked", NULL};

static int key_is(const char *p, size_t n, const char *key, size_t klen)
{
    return n > klen && memcmp(p, key, klen) == 0 && (p[klen] == ' ' || p[klen] == '\t');
}

/* Which line p[0..n) is (n excludes the '\n'); *klen receives the key length. */
static int line_key(const char *p, size_t n, size_t *klen)
{
#define KEY(s, k)                                   \
    do {                                            \
        if (key_is(p, n, s, sizeof(s) - 1)) {       \
            *klen = sizeof(s) - 1;                  \
            return k;                               \
        }                                           \
    } while (0)
    switch (p[0]) {
    case 'i': KEY("intr", KERNEL_INTR); break;
    case 'c': KEY("ctxt", KERNEL_CTXT); break;
    case 'b': KEY("btime", KERNEL_BTIME); break;
    case 'p':
        KEY("processes", KERNEL_PROCESSES);
        KEY("procs_running", KERNEL_RUNNING);
        KEY("procs_blocked", KERNEL_BLOCKED);
        break;
    }
#undef KEY
    return -1;
}

int kernel_parse_stat(const char *buf, size_t len, struct kernel_values *v)
{
    const char *p = buf, *end = buf + len;

    v->present = 0;
    while (p < end) {
        /*
         * One memchr a line: the cpu lines (one per CPU) and the intr line
         * (one column per IRQ, many KB on big machines) are passed over at
         * memchr speed; only the few short lines after them are looked at.
         */
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end, *q;
        size_t klen = 0;
        uint64_t u;
        int k = line_key(p, (size_t)(eol - p), &klen);

        if (k >= 0) {
            q = p + klen;
            if (pp_u64(&q, eol, &u) && u <= (uint64_t)INT64_MAX) {
                int ok;
                if (k == KERNEL_INTR) {
                    /* The total is whole once a delimiter follows it. */
                    ok = q < end && (*q == ' ' || *q == '\t' || *q == '\n');
                } else {
                    pp_skip_blanks(&q, eol);
                    ok = nl != NULL && q == nl;
                }
                if (ok) {
                    v->v[k] = (int64_t)u;
                    v->present |= 1u << k;
                }
            }
        }
        if (!nl) break;
        p = nl + 1;
    }
    return v->present != 0;
}

int kernel_parse_entropy(const char *buf, size_t len, int64_t *out)
{
    const char *p = buf, *end = buf + len;
    uint64_t u;
    if (!pp_u64(&p, end, &u) || u > (uint64_t)INT64_MAX) return 0;
    pp_skip_blanks(&p, end);
    if (p >= end || *p != '\n') return 0;
    *out = (int64_t)u;
    return 1;
}

int kernel_open(struct kernel_collector *k, const char *root, int own_stat, char *err,
                size_t errlen)
{
    char ignored[320];

    memset(k, 0, sizeof *k);
    k->stat.fd = k->entropy.fd = -1;
    k->own_stat = own_stat != 0;
    /* Same ceiling as the cpu collector: the intr line grows with NR_IRQS. */
    if (k->own_stat &&
        procfile_open(&k->stat, root, "stat", 16u << 20, err, errlen) != PROCFILE_OK)
        return -1;
    /* Optional: a failure leaves fd -1, and procfile_read then fails (EBADF). */
    (void)procfile_open(&k->entropy, root, "sys/kernel/random/entropy_avail", 4096, ignored,
                        sizeof ignored);
    return 0;
}

int kernel_sample(struct kernel_collector *k, const char *stat, size_t len)
{
    k->have_entropy = procfile_read(&k->entropy) > 0 &&
                      kernel_parse_entropy(k->entropy.buf, k->entropy.len, &k->entropy_avail);
    if (!stat) {
        if (!k->own_stat || procfile_read(&k->stat) < 0) {
            k->cur.present = 0;
            return -1;
        }
        stat = k->stat.buf;
        len = k->stat.len;
    }
    return kernel_parse_stat(stat, len, &k->cur) ? 0 : -1;
}

#define HAS(k, line) (((k)->cur.present >> (line)) & 1u)

int kernel_fields(const struct kernel_collector *k, struct sample_field *out)
{
    int n = 0;
    /* (kernel_field_names order) */
    if (HAS(k, KERNEL_BTIME)) sample_int(&out[n++], kernel_field_names[0], k->cur.v[KERNEL_BTIME]);
    if (HAS(k, KERNEL_CTXT)) sample_counter(&out[n++], kernel_field_names[1], k->cur.v[KERNEL_CTXT]);
    if (k->have_entropy) sample_int(&out[n++], kernel_field_names[2], k->entropy_avail);
    if (HAS(k, KERNEL_INTR)) sample_counter(&out[n++], kernel_field_names[3], k->cur.v[KERNEL_INTR]);
    if (HAS(k, KERNEL_PROCESSES))
        sample_counter(&out[n++], kernel_field_names[4], k->cur.v[KERNEL_PROCESSES]);
    return n;
}

int processes_fields(const struct kernel_collector *k, struct sample_field *out)
{
    int n = 0;
    if (HAS(k, KERNEL_BLOCKED)) sample_int(&out[n++], processes_field_names[0], k->cur.v[KERNEL_BLOCKED]);
    if (HAS(k, KERNEL_RUNNING)) sample_int(&out[n++], processes_field_names[1], k->cur.v[KERNEL_RUNNING]);
    return n;
}

void kernel_close(struct kernel_collector *k)
{
    procfile_close(&k->stat);
    procfile_close(&k->entropy);
}

/* ---- the table entry ---------------------------------------------------- */

/* Two measurements from one reading: series 0 is kernel, series 1 processes. */
static const struct measurement kernel_measurements[] = {
    {.name = "kernel", .fields = kernel_field_names, .rated = kernel_rated_names},
    {.name = "processes", .fields = processes_field_names},
};

static int entry_open(void *st, const struct collector_env *env, char *err, size_t errlen)
{
    /* With cpu on, /proc/stat is read once a tick, by cpu: its reading is parsed here. */
    return kernel_open(st, env->proc_root, env->shared->stat == NULL, err, errlen);
}

static const char *entry_sample(void *st, struct collector_shared *sh)
{
    struct kernel_collector *k = st;
    if (k->own_stat) return kernel_sample(k, NULL, 0) == 0 ? NULL : k->stat.path;
    (void)kernel_sample(k, sh->stat->buf, sh->stat_ok ? sh->stat->len : 0);
    return NULL; /* (the cpu collector reported its own failed read) */
}

static int entry_fields(const void *st, int i, const struct collector_shared *sh, struct sample_field *out)
{
    (void)sh;
    return i == 0 ? kernel_fields(st, out) : processes_fields(st, out);
}

static struct procfile *entry_file(void *st, int i)
{
    struct kernel_collector *k = st;
    return i == 0 ? &k->stat : i == 1 ? &k->entropy : NULL;
}

static void entry_close(void *st) { kernel_close(st); }

const struct collector collector_kernel = {
    .name = "kernel",
    .measurements = kernel_measurements,
    .nmeasurements = 2,
    .flags = COLLECTOR_EVERY_TICK,
    .size = sizeof(struct kernel_collector),
    .open = entry_open,
    .sample = entry_sample,
    .fields = entry_fields,
    .file = entry_file,
    .close = entry_close,
};
