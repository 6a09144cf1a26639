#include "mem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "procparse.h"

static const struct {
    const char *key;  /* meminfo name */
    unsigned char len;
    unsigned char kb; /* value is in kB */
} keys[MEM_NKEYS] = {
#define K(s, kb) {s, sizeof(s) - 1, kb}
    [MEM_TOTAL] = K("MemTotal", 1),           [MEM_FREE] = K("MemFree", 1),
    [MEM_AVAILABLE] = K("MemAvailable", 1),   [MEM_BUFFERS] = K("Buffers", 1),
    [MEM_CACHED] = K("Cached", 1),            [MEM_SWAP_CACHED] = K("SwapCached", 1),
    [MEM_ACTIVE] = K("Active", 1),            [MEM_INACTIVE] = K("Inactive", 1),
    [MEM_HIGH_TOTAL] = K("HighTotal", 1),     [MEM_HIGH_FREE] = K("HighFree", 1),
    [MEM_LOW_TOTAL] = K("LowTotal", 1),       [MEM_LOW_FREE] = K("LowFree", 1),
    [MEM_SWAP_TOTAL] = K("SwapTotal", 1),     [MEM_SWAP_FREE] = K("SwapFree", 1),
    [MEM_DIRTY] = K("Dirty", 1),              [MEM_WRITEBACK] = K("Writeback", 1),
    [MEM_WRITEBACK_TMP] = K("WritebackTmp", 1), [MEM_MAPPED] = K("Mapped", 1),
    [MEM_SHMEM] = K("Shmem", 1),              [MEM_SLAB] = K("Slab", 1),
    [MEM_SRECLAIMABLE] = K("SReclaimable", 1), [MEM_SUNRECLAIM] = K("SUnreclaim", 1),
    [MEM_PAGE_TABLES] = K("PageTables", 1),   [MEM_COMMIT_LIMIT] = K("CommitLimit", 1),
    [MEM_COMMITTED_AS] = K("Committed_AS", 1), [MEM_VMALLOC_TOTAL] = K("VmallocTotal", 1),
    [MEM_VMALLOC_USED] = K("VmallocUsed", 1), [MEM_VMALLOC_CHUNK] = K("VmallocChunk", 1),
    [MEM_HUGE_PAGES_TOTAL] = K("HugePages_Total", 0),
    [MEM_HUGE_PAGES_FREE] = K("HugePages_Free", 0),
    [MEM_HUGE_PAGE_SIZE] = K("Hugepagesize", 1),
    [MEM_ACTIVE_FILE] = K("Active(file)", 1), [MEM_INACTIVE_FILE] = K("Inactive(file)", 1),
#undef K
};

/*
 * Telegraf's field name for each key that maps one to one, then "used":
 * every integer field mem sends (NULL-terminated).
 */
const char *const mem_field_names[MEM_NFIELDKEYS + 2] = {
    [MEM_TOTAL] = "total", [MEM_FREE] = "free", [MEM_AVAILABLE] = "available",
    [MEM_BUFFERS] = "buffered", [MEM_CACHED] = "cached", [MEM_SWAP_CACHED] = "swap_cached",
    [MEM_ACTIVE] = "active", [MEM_INACTIVE] = "inactive", [MEM_HIGH_TOTAL] = "high_total",
    [MEM_HIGH_FREE] = "high_free", [MEM_LOW_TOTAL] = "low_total", [MEM_LOW_FREE] = "low_free",
    [MEM_SWAP_TOTAL] = "swap_total", [MEM_SWAP_FREE] = "swap_free", [MEM_DIRTY] = "dirty",
    [MEM_WRITEBACK] = "write_back", [MEM_WRITEBACK_TMP] = "write_back_tmp",
    [MEM_MAPPED] = "mapped", [MEM_SHMEM] = "shared", [MEM_SLAB] = "slab",
    [MEM_SRECLAIMABLE] = "sreclaimable", [MEM_SUNRECLAIM] = "sunreclaim",
    [MEM_PAGE_TABLES] = "page_tables", [MEM_COMMIT_LIMIT] = "commit_limit",
    [MEM_COMMITTED_AS] = "committed_as", [MEM_VMALLOC_TOTAL] = "vmalloc_total",
    [MEM_VMALLOC_USED] = "vmalloc_used", [MEM_VMALLOC_CHUNK] = "vmalloc_chunk",
    [MEM_HUGE_PAGES_TOTAL] = "huge_pages_total", [MEM_HUGE_PAGES_FREE] = "huge_pages_free",
    [MEM_HUGE_PAGE_SIZE] = "huge_page_size", [MEM_NFIELDKEYS] = "used",
};

const char *const mem_windowed_names[] = {"used_percent", "available_percent", NULL};

static int key_is(int k, const char *name, size_t len)
{
    return keys[k].len == len && memcmp(keys[k].key, name, len) == 0;
}

static int lookup(const char *name, size_t len)
{
    for (int k = 0; k < MEM_NKEYS; k++)
        if (key_is(k, name, len)) return k;
    return -1;
}

void mem_parse(const char *buf, size_t len, struct mem_values *out, struct mem_line *cache)
{
    const char *p = buf, *end = buf + len, *next;
    int line = 0;

    out->present = 0;
    for (; p < end && (next = pp_next_line(p, end)) != NULL; p = next, line++) {
        const char *colon = memchr(p, ':', (size_t)(next - p));
        size_t klen;
        const char *q;
        uint64_t v;
        int k;

        if (!colon || colon == p) continue;
        klen = (size_t)(colon - p);
        /* A stable file has the same key on the same line every time: one compare. */
        if (cache && line < MEM_LINE_CACHE && cache[line].len == klen &&
            klen <= sizeof cache[line].name && memcmp(cache[line].name, p, klen) == 0) {
            k = cache[line].key;
        } else {
            k = lookup(p, klen);
            if (cache && line < MEM_LINE_CACHE && klen <= sizeof cache[line].name) {
                cache[line].len = (unsigned char)klen;
                cache[line].key = (signed char)k;
                memcpy(cache[line].name, p, klen);
            }
        }
        if (k < 0) continue;

        q = colon + 1;
        if (!pp_u64(&q, next, &v)) continue;
        pp_skip_blanks(&q, next);
        if (keys[k].kb) {
            if (next - q < 3 || memcmp(q, "kB\n", 3) != 0) continue;
            if (v > (uint64_t)INT64_MAX / 1024) continue;
            v *= 1024;
        } else {
            if (*q != '\n' || v > (uint64_t)INT64_MAX) continue;
        }
        out->v[k] = (int64_t)v;
        out->present |= 1ull << k;
    }
}

#define HAS(m, k) (((m)->present >> (k)) & 1)

static int64_t cached_of(const struct mem_values *m)
{
    int64_t cached = HAS(m, MEM_CACHED) ? m->v[MEM_CACHED] : 0;
    if (HAS(m, MEM_SRECLAIMABLE) && cached <= INT64_MAX - m->v[MEM_SRECLAIMABLE])
        cached += m->v[MEM_SRECLAIMABLE];
    return cached;
}

static int64_t add_sat(int64_t a, int64_t b) { return b > 0 && a > INT64_MAX - b ? INT64_MAX : a + b; }

/* x - min(x/2, w), for x >= 0 and w >= 0 */
static int64_t reclaimable(int64_t x, int64_t w) { return x - (x / 2 < w ? x / 2 : w); }

int64_t mem_available(const struct mem_values *m, int64_t wmark_low)
{
    int64_t avail, pagecache;
    if (HAS(m, MEM_AVAILABLE)) return m->v[MEM_AVAILABLE];
    if (wmark_low < 0 || !HAS(m, MEM_ACTIVE_FILE) || !HAS(m, MEM_INACTIVE_FILE) || !HAS(m, MEM_SRECLAIMABLE)) {
        /* gopsutil's fallback: before 2.6.28, or no zoneinfo */
        avail = HAS(m, MEM_FREE) ? m->v[MEM_FREE] : 0;
        return add_sat(avail, cached_of(m));
    }
    /* Kernels 2.6.28 to 3.13: gopsutil's calculateAvailVmem (values are
       at most INT64_MAX / 1024 each, so the sums below cannot overflow) */
    pagecache = m->v[MEM_ACTIVE_FILE] + m->v[MEM_INACTIVE_FILE];
    avail = (HAS(m, MEM_FREE) ? m->v[MEM_FREE] : 0) - wmark_low;
    avail = add_sat(avail, reclaimable(pagecache, wmark_low));
    avail = add_sat(avail, reclaimable(m->v[MEM_SRECLAIMABLE], wmark_low));
    return avail < 0 ? 0 : avail;
}

uint64_t mem_parse_zoneinfo_low(const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len;
    uint64_t sum = 0;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p)), *q;
        uint64_t v;
        if (!eol) eol = end;
        q = p;
        pp_skip_blanks(&q, eol);
        if (eol - q >= 3 && memcmp(q, "low", 3) == 0) {
            while (q < eol && *q != ' ' && *q != '\t') q++; /* the rest of the first word */
            pp_skip_blanks(&q, eol);
            /* the second word, whole: digits only, else 0 (Go's ParseUint) */
            if (pp_digits(&q, eol, &v) == PP_OK && (q == eol || *q == ' ' || *q == '\t' || *q == '\r'))
                sum = v > UINT64_MAX - sum ? UINT64_MAX : sum + v;
        }
        p = eol < end ? eol + 1 : end;
    }
    return sum;
}

int mem_fields_of(const struct mem_values *m, struct sample_field *out) { return mem_fields_with(m, -1, out); }

int mem_fields_with(const struct mem_values *m, int64_t wmark_low, struct sample_field *out)
{
    int n = 0;
    int64_t total, avail, cached, used;

    if (!HAS(m, MEM_TOTAL)) return 0;
    total = m->v[MEM_TOTAL];
    cached = cached_of(m);
    avail = mem_available(m, wmark_low);
    /* MemAvailable above MemTotal (never printed by a sane kernel): capped, so
       that used and the percentages stay within 0..total */
    if (avail > total) avail = total;
    used = total - avail;

    for (int k = 0; k < MEM_NFIELDKEYS; k++) {
        if (!HAS(m, k) || k == MEM_AVAILABLE || k == MEM_CACHED) continue;
        sample_int(&out[n++], mem_field_names[k], m->v[k]);
    }
    if (HAS(m, MEM_CACHED)) sample_int(&out[n++], "cached", cached);
    sample_int(&out[n++], "available", avail);
    sample_int(&out[n++], "used", used);
    if (total > 0) {
        /* used <= total, but 100 * used / total can round to 100.00000000000001 */
        double up = 100.0 * (double)used / (double)total, ap = 100.0 * (double)avail / (double)total;
        sample_usage(&out[n++], "used_percent", up > 100 ? 100 : up);
        sample_usage(&out[n++], "available_percent", ap > 100 ? 100 : ap);
    }
    return n;
}

/* zoneinfo's low watermarks in bytes, or -1 when it cannot be read; -2 out of memory. */
static int64_t read_watermarks(const char *root)
{
    struct procfile zi;
    char err[256];
    int64_t w = -1;
    uint64_t pages, page = (uint64_t)getpagesize();
    errno = 0;
    if (procfile_open(&zi, root, "zoneinfo", 64u << 20, err, sizeof err) != PROCFILE_OK)
        return errno == ENOMEM ? -2 : -1;
    if (procfile_read(&zi) >= 0) {
        while (zi.truncated && procfile_grow(&zi) == PROCFILE_OK && procfile_read(&zi) >= 0) {
        }
        pages = mem_parse_zoneinfo_low(zi.buf, zi.len);
        w = pages > (uint64_t)INT64_MAX / page ? INT64_MAX : (int64_t)(pages * page);
    }
    procfile_close(&zi);
    return w;
}

int mem_open(struct mem_collector *m, const char *root, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->wmark_low = -1;
    if (procfile_open(&m->pf, root, "meminfo", 1u << 20, err, errlen) != PROCFILE_OK) return -1;
    /* Only kernels without MemAvailable need the watermarks: read them once here,
       not every tick (zoneinfo is long on NUMA hosts, and they seldom change). */
    if (procfile_read(&m->pf) >= 0) {
        mem_parse(m->pf.buf, m->pf.len, &m->cur, m->line_cache);
        if (!HAS(&m->cur, MEM_AVAILABLE)) m->wmark_low = read_watermarks(root);
        if (m->wmark_low == -2) {
            snprintf(err, errlen, "out of memory reading zoneinfo");
            procfile_close(&m->pf);
            errno = ENOMEM;
            return -1;
        }
    }
    return 0;
}

int mem_sample(struct mem_collector *m)
{
    if (procfile_read(&m->pf) < 0) {
        m->cur.present = 0;
        return -1;
    }
    mem_parse(m->pf.buf, m->pf.len, &m->cur, m->line_cache);
    return 0;
}

int mem_fields(const struct mem_collector *m, struct sample_field *out)
{
    return mem_fields_with(&m->cur, m->wmark_low, out);
}

void mem_close(struct mem_collector *m) { procfile_close(&m->pf); }

/* ---- the table entry ---------------------------------------------------- */

static const struct measurement mem_measurements[] = {
    {.name = "mem", .fields = mem_field_names, .windowed = mem_windowed_names},
};

static int entry_open(void *st, const struct collector_env *env, char *err, size_t errlen)
{
    return mem_open(st, env->proc_root, err, errlen);
}

static const char *entry_sample(void *st, struct collector_shared *sh)
{
    struct mem_collector *m = st;
    (void)sh;
    if (mem_sample(m) != 0) return m->pf.path;
    if (!(m->cur.present & (1ull << MEM_TOTAL)) && !m->warned) {
        /* (every other field is relative to it: without it mem sends nothing) */
        m->warned = 1;
        log_msg(LOG_WARN, "%s has no MemTotal in kB: mem sends nothing until it has", m->pf.path);
    }
    return NULL;
}

static int entry_fields(const void *st, int i, const struct collector_shared *sh, struct sample_field *out)
{
    (void)i, (void)sh;
    return mem_fields(st, out);
}

static struct procfile *entry_file(void *st, int i)
{
    return i == 0 ? &((struct mem_collector *)st)->pf : NULL;
}

static void entry_close(void *st) { mem_close(st); }

const struct collector collector_mem = {
    .name = "mem",
    .measurements = mem_measurements,
    .nmeasurements = 1,
    .flags = COLLECTOR_EVERY_TICK,
    .size = sizeof(struct mem_collector),
    .open = entry_open,
    .sample = entry_sample,
    .fields = entry_fields,
    .file = entry_file,
    .close = entry_close,
};
