#include "system.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procparse.h"

#define COLD __attribute__((cold))

const char *const system_field_names[] = {"load1",  "load5",          "load15",        "n_cpus", "n_physical_cpus",
                                          "n_users", "n_unique_users", "uptime", "uptime_format", NULL};
enum { F_LOAD1, F_NCPUS = 3, F_NPHYS, F_NUSERS, F_NUNIQUE, F_UPTIME, F_UPTIME_FORMAT };

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

int64_t system_uptime_seconds(double uptime)
{
    int64_t t = (int64_t)uptime; /* callers keep uptime below 9.2e18 */
    return (double)t < uptime ? t + 1 : t;
}

/* Decimal digits of @v at @p. @return the count. */
static size_t put_u64(char *p, uint64_t v)
{
    char tmp[20];
    size_t n = 0, k = 0;
    do tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n) p[k++] = tmp[--n];
    return k;
}

size_t system_format_uptime(char *dst, uint64_t uptime)
{
    uint64_t days = uptime / 86400, hours = uptime / 3600 % 24, minutes = uptime / 60 % 60;
    size_t n = 0;
    /* Telegraf: fmt "%d day%s, " when days != 0 ("s" when more than one), then "%2d:%02d" */
    if (days != 0) {
        n += put_u64(dst + n, days);
        memcpy(dst + n, " day", 4);
        n += 4;
        if (days > 1) dst[n++] = 's';
        dst[n++] = ',';
        dst[n++] = ' ';
    }
    if (hours < 10) dst[n++] = ' ';
    n += put_u64(dst + n, hours);
    dst[n++] = ':';
    dst[n++] = (char)('0' + minutes / 10);
    dst[n++] = (char)('0' + minutes % 10);
    dst[n] = '\0';
    return n; /* at most 15 digits of days (uptime < 9.2e18 s) + 12: 32 */
}

void system_utmp_begin(struct system_utmp_count *c)
{
    c->users = 0;
    c->nnames = 0;
    c->overflow = 0;
}

void system_utmp_add(struct system_utmp_count *c, const unsigned char *buf, size_t len)
{
    for (size_t off = 0; off + SYSTEM_UTMP_RECORD <= len; off += SYSTEM_UTMP_RECORD) {
        const unsigned char *r = buf + off;
        const char *name = (const char *)r + SYSTEM_UTMP_USER;
        size_t nlen;
        short type;
        int k;
        memcpy(&type, r + SYSTEM_UTMP_TYPE, sizeof type);
        if (type != SYSTEM_UTMP_USER_PROCESS) continue;
        c->users++;
        if (c->overflow) continue;
        /* gopsutil's name: the bytes up to the first NUL (all 32 when none) */
        nlen = strnlen(name, SYSTEM_UTMP_USER_LEN);
        for (k = 0; k < c->nnames; k++)
            if (strnlen(c->names[k], SYSTEM_UTMP_USER_LEN) == nlen && memcmp(c->names[k], name, nlen) == 0)
                break;
        if (k < c->nnames) continue;
        if (c->nnames == SYSTEM_UTMP_NAMES) {
            c->overflow = 1;
            continue;
        }
        memset(c->names[k], 0, SYSTEM_UTMP_USER_LEN);
        memcpy(c->names[k], name, nlen);
        c->nnames++;
    }
}

void system_read_utmp(struct system_collector *s)
{
    int fd;
    off_t off = 0;
    s->cur.have_users = 0;
    if (!s->utmp_path[0]) return;
    /* Opened each time (at most once a second): utmp may appear, be replaced
       or vanish while procflux runs, and no fd is held for it. */
    fd = open(s->utmp_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    system_utmp_begin(&s->count);
    for (int records = 0; records < SYSTEM_UTMP_MAX_RECORDS; records += SYSTEM_UTMP_CHUNK) {
        ssize_t n = pread(fd, s->chunk, sizeof s->chunk, off);
        if (n < 0) {
            close(fd);
            return;
        }
        system_utmp_add(&s->count, s->chunk, (size_t)n);
        /* a short read is the end (a partial record at the end is ignored) */
        if ((size_t)n < sizeof s->chunk) break;
        off += n;
    }
    close(fd);
    s->cur.have_users = 1;
    s->cur.users = s->count.users;
    s->cur.unique = s->count.overflow ? -1 : s->count.nnames;
}

/* One trimmed, lower-cased cpuinfo value ("physical id", "cpu cores") as Go's ParseInt(v, 10, 32). */
static int cpuinfo_int(const char *p, const char *end, int64_t *out)
{
    int neg = 0;
    uint64_t v = 0;
    if (p < end && (*p == '+' || *p == '-')) neg = *p++ == '-';
    if (p == end) return 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9') return 0;
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > 2147483648u) return 0;
    }
    if (!neg && v > 2147483647u) return 0;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 1;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

/* @a (@n bytes) equals the lower-case @key, ignoring ASCII case. */
static int key_eq(const char *a, size_t n, const char *key)
{
    size_t k = strlen(key);
    if (n != k) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != key[i]) return 0;
    }
    return 1;
}

#define CPUINFO_MAX_IDS 1024

COLD int64_t system_parse_cpuinfo_cores(const char *buf, size_t len)
{
    static struct { int64_t id, cores; } map[CPUINFO_MAX_IDS]; /* (start-up only; untouched pages cost no RSS) */
    const char *p = buf, *end = buf + len;
    int nmap = 0, have_id = 0, have_cores = 0;
    int64_t id = 0, cores = 0, sum = 0;

    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p)), *next, *colon, *k0, *k1, *v0, *v1;
        if (!eol) eol = end;
        next = eol < end ? eol + 1 : end;
        k0 = p;
        v1 = eol;
        while (k0 < v1 && is_space(*k0)) k0++;
        while (v1 > k0 && is_space(v1[-1])) v1--;
        if (k0 == v1) { /* an empty line ends a section */
            if (have_id && have_cores) {
                int k;
                for (k = 0; k < nmap && map[k].id != id; k++) {
                }
                if (k == nmap) {
                    if (nmap == CPUINFO_MAX_IDS) return -1;
                    map[nmap++].id = id;
                }
                map[k].cores = cores;
            }
            have_id = have_cores = 0;
            p = next;
            continue;
        }
        colon = memchr(k0, ':', (size_t)(v1 - k0));
        if (colon) {
            int64_t v;
            k1 = colon;
            while (k1 > k0 && is_space(k1[-1])) k1--;
            v0 = colon + 1;
            while (v0 < v1 && is_space(*v0)) v0++;
            if (key_eq(k0, (size_t)(k1 - k0), "physical id") && cpuinfo_int(v0, v1, &v)) {
                id = v;
                have_id = 1;
            } else if (key_eq(k0, (size_t)(k1 - k0), "cpu cores") && cpuinfo_int(v0, v1, &v)) {
                cores = v;
                have_cores = 1;
            }
        }
        p = next;
    }
    for (int k = 0; k < nmap; k++) sum += map[k].cores;
    return sum;
}

/* gopsutil's sysfs count: distinct contents of cpu[0-9]* dirs' topology/@file. @return it, 0 when
   none, -1 out of memory (errno ENOMEM). */
COLD static int64_t sysfs_cores(const char *sys, const char *file)
{
    char dir[256], path[600], line[256];
    char (*seen)[256] = NULL;
    size_t nseen = 0, capseen = 0;
    struct dirent *e;
    DIR *d;

    /* paths built by hand: printf at start-up pulls its pages into RSS (HACKING.md) */
    size_t sl = strlen(sys), dl, fl = strlen(file);
    if (sl + 20 >= sizeof dir) return 0;
    memcpy(dir, sys, sl);
    memcpy(dir + sl, "/devices/system/cpu", 20);
    dl = sl + 19;
    if (!(d = opendir(dir))) return 0;
    while ((e = readdir(d))) {
        ssize_t n;
        int fd;
        size_t k;
        char *nl;
        if (strncmp(e->d_name, "cpu", 3) != 0 || e->d_name[3] < '0' || e->d_name[3] > '9') continue;
        {
            size_t en = strlen(e->d_name);
            if (dl + 1 + en + 10 + fl + 1 > sizeof path) continue;
            memcpy(path, dir, dl);
            path[dl] = '/';
            memcpy(path + dl + 1, e->d_name, en);
            memcpy(path + dl + 1 + en, "/topology/", 10);
            memcpy(path + dl + 1 + en + 10, file, fl + 1);
        }
        if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) continue;
        n = read(fd, line, sizeof line - 1);
        close(fd);
        if (n <= 0) continue;
        line[n] = '\0';
        /* one line, as gopsutil's ReadLines must find */
        if ((nl = strchr(line, '\n'))) {
            if (nl[1] != '\0') continue;
            *nl = '\0';
        }
        for (k = 0; k < nseen && strcmp(seen[k], line) != 0; k++) {
        }
        if (k < nseen) continue;
        if (nseen == capseen) {
            size_t c = capseen ? 2 * capseen : 64;
            char (*grown)[256] = realloc(seen, c * sizeof *seen);
            if (!grown) {
                closedir(d);
                free(seen);
                errno = ENOMEM;
                return -1;
            }
            seen = grown;
            capseen = c;
        }
        memcpy(seen[nseen++], line, (size_t)n + 1);
    }
    closedir(d);
    free(seen);
    return (int64_t)nseen;
}

/* n_physical_cpus, or -1 when unknown; -2 out of memory (start-up exits 3 for it, as everywhere). */
COLD static int64_t count_physical(const char *root, const char *sys)
{
    struct procfile pf;
    char err[256];
    int64_t n = 0;
    if (sys && (n = sysfs_cores(sys, "core_cpus_list")) == 0) n = sysfs_cores(sys, "thread_siblings_list");
    if (n > 0) return n;
    if (n < 0) return -2;
    errno = 0;
    if (procfile_open(&pf, root, "cpuinfo", 16u << 20, err, sizeof err) != PROCFILE_OK)
        return errno == ENOMEM ? -2 : -1;
    n = -1;
    if (procfile_read(&pf) >= 0) {
        /* (a cpuinfo larger than its buffer is cut: it grows until it fits) */
        while (pf.truncated && procfile_grow(&pf) == PROCFILE_OK && procfile_read(&pf) >= 0) {
        }
        if (!pf.truncated) n = system_parse_cpuinfo_cores(pf.buf, pf.len);
    }
    procfile_close(&pf);
    return n;
}

int system_open_with(struct system_collector *s, const char *root, const char *utmp, const char *sys, char *err,
                     size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->loadavg.fd = s->uptime.fd = -1;
    if (procfile_open(&s->loadavg, root, "loadavg", 4096, err, errlen) != PROCFILE_OK) return -1;
    if (procfile_open(&s->uptime, root, "uptime", 4096, err, errlen) != PROCFILE_OK) {
        procfile_close(&s->loadavg);
        return -1;
    }
    if (utmp && strlen(utmp) < sizeof s->utmp_path) strcpy(s->utmp_path, utmp);
    s->physical = count_physical(root, sys);
    if (s->physical == -2) {
        snprintf(err, errlen, "out of memory counting physical CPUs");
        system_close(s);
        errno = ENOMEM;
        return -1;
    }
    s->have_physical = s->physical >= 0;
    return 0;
}

int system_open(struct system_collector *s, const char *root, char *err, size_t errlen)
{
    return system_open_with(s, root, NULL, NULL, err, errlen);
}

int system_sample(struct system_collector *s)
{
    s->cur.have_load = procfile_read(&s->loadavg) > 0 &&
                       system_parse_loadavg(s->loadavg.buf, s->loadavg.len, s->cur.load);
    s->cur.have_uptime = procfile_read(&s->uptime) > 0 &&
                         system_parse_uptime(s->uptime.buf, s->uptime.len, &s->cur.uptime);
    system_read_utmp(s);
    if (s->cur.have_uptime && s->cur.uptime < 9.2e18)
        system_format_uptime(s->uptime_format, (uint64_t)system_uptime_seconds(s->cur.uptime));
    return s->cur.have_load || s->cur.have_uptime ? 0 : -1;
}

int system_fields(const struct system_collector *s, int n_cpus, struct sample_field *out)
{
    int n = 0;
    if (s->cur.have_load) {
        for (int i = 0; i < 3; i++) sample_float(&out[n++], system_field_names[F_LOAD1 + i], s->cur.load[i]);
    }
    if (n == 0 && !s->cur.have_uptime) return 0;
    if (n_cpus > 0) sample_int(&out[n++], system_field_names[F_NCPUS], n_cpus);
    if (s->have_physical && s->physical >= 0) sample_int(&out[n++], system_field_names[F_NPHYS], s->physical);
    if (s->cur.have_users) {
        sample_int(&out[n++], system_field_names[F_NUSERS], s->cur.users);
        if (s->cur.unique >= 0) sample_int(&out[n++], system_field_names[F_NUNIQUE], s->cur.unique);
    }
    if (s->cur.have_uptime && s->cur.uptime < 9.2e18) {
        int64_t up = system_uptime_seconds(s->cur.uptime);
        sample_int(&out[n++], system_field_names[F_UPTIME], up);
        /* formatted by system_sample; a test filling cur by hand gets it here */
        if (s->uptime_format[0]) sample_string(&out[n++], system_field_names[F_UPTIME_FORMAT], s->uptime_format);
    }
    return n;
}

void system_close(struct system_collector *s)
{
    procfile_close(&s->loadavg);
    procfile_close(&s->uptime);
}

/* ---- the table entry ---------------------------------------------------- */

static const struct measurement system_measurements[] = {{.name = "system", .fields = system_field_names}};

/*
 * utmp: /var/run/utmp (gopsutil's HOST_VAR default), but not under
 * --proc-root: that root is another machine's or the container host's /proc,
 * and this filesystem's logins are not its logins (n_users is then omitted).
 */
static int entry_open(void *st, const struct collector_env *env, char *err, size_t errlen)
{
    return system_open_with(st, env->proc_root, env->proc_root ? NULL : "/var/run/utmp", env->sys_root, err,
                            errlen);
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
