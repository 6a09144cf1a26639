#include "packer.h"

#include <stdlib.h>
#include <string.h>

int packer_init(struct packer *p, size_t payload, int nslots, double flush)
{
    memset(p, 0, sizeof *p);
    if (nslots < 1 || payload == 0 || flush < 0) return -1;
    p->slots = calloc((size_t)nslots, sizeof *p->slots);
    p->mem = malloc(payload * (size_t)nslots);
    if (!p->slots || !p->mem) {
        packer_free(p);
        return -1;
    }
    for (int i = 0; i < nslots; i++) p->slots[i].buf = p->mem + payload * (size_t)i;
    p->payload = payload;
    p->nslots = nslots;
    p->flush = flush;
    p->phase = -1;
    p->half_at = -1;
    return 0;
}

void packer_jitter(struct packer *p, double lead, double phase)
{
    p->lead = lead < 0 ? 0 : lead > p->flush ? p->flush : lead;
    p->phase = phase;
}

/* The ring is half closed: with jitter, its full datagrams are due a phase of a half fill later. */
static int half_closed(const struct packer *p)
{
    return p->closed >= (p->nslots + 1) / 2;
}

static struct packer_slot *slot_at(const struct packer *p, int i)
{
    return &p->slots[(p->head + i) % p->nslots];
}

enum packer_result packer_add(struct packer *p, const char *line, size_t len, double now)
{
    struct packer_slot *s = slot_at(p, p->closed);
    if (len > p->payload) {
        p->lines_dropped++;
        return PACKER_TOO_LONG;
    }
    if (s->len + len > p->payload) {
        if (p->closed + 1 >= p->nslots) return PACKER_NO_SPACE;
        p->closed++;
        s = slot_at(p, p->closed);
        if (p->phase >= 0 && p->half_at < 0 && half_closed(p)) p->half_at = now;
    }
    if (s->len == 0) s->first = now;
    memcpy(s->buf + s->len, line, len);
    s->len += len;
    s->lines++;
    return PACKER_ADDED;
}

int packer_pending(const struct packer *p) { return p->closed + (slot_at(p, p->closed)->len > 0); }

double packer_deadline(const struct packer *p)
{
    const struct packer_slot *s = slot_at(p, 0);
    double due = s->len ? s->first + p->flush - p->lead : -1;
    if (p->half_at >= 0) {
        /* the other half lasts about as long as this one took to fill: leave within 90 % of it */
        double half = p->half_at + p->phase * 0.9 * (p->half_at - s->first);
        if (due < 0 || half < due) due = half;
    }
    return due;
}

int packer_take(struct packer *p, int all, double now, struct packer_slot **out)
{
    const struct packer_slot *open = slot_at(p, p->closed);
    int n = p->closed;
    if (open->len && (all || open->first + p->flush - p->lead <= now)) n++;
    for (int i = 0; i < n; i++) out[i] = slot_at(p, i);
    return n;
}

void packer_release(struct packer *p, int n)
{
    for (int i = 0; i < n; i++) {
        struct packer_slot *s = slot_at(p, i);
        s->len = 0;
        s->lines = 0;
    }
    if (n > p->closed) { /* the open slot went too: start afresh */
        p->head = 0;
        p->closed = 0;
    } else {
        p->head = (p->head + n) % p->nslots;
        p->closed -= n;
    }
    if (!half_closed(p)) p->half_at = -1;
}

void packer_free(struct packer *p)
{
    free(p->slots);
    free(p->mem);
    p->slots = NULL;
    p->mem = NULL;
}
