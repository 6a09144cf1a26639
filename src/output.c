/* output: lines encoded, packed into datagrams and sent to every destination (or standard output). */
#include "output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "lineproto.h"
#include "tick.h"
#include "udp.h"

#define COLD __attribute__((cold))
#define STDOUT_BUF 65536

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

COLD int output_init(struct output *o, const struct config *cfg, size_t line_max, char *err, size_t errlen)
{
    char uerr[CONFIG_ERR_MAX];
    size_t payload = 0;
    int nslots;

    memset(o, 0, sizeof *o);
    o->to_stdout = cfg->to_stdout;
    o->precision = cfg->precision;
    log_limit_init(&o->drop_log, 10);
    log_limit_init(&o->write_log, 10);
    o->line_cap = line_max;
    if (!(o->line = malloc(o->line_cap))) goto oom;
    if (cfg->to_stdout) {
        /* static: stdio keeps pointing at it until exit, whatever setvbuf later says */
        static char outbuf[STDOUT_BUF];
        setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
        return 0;
    }
    if (!(o->udp = calloc((size_t)cfg->ndest, sizeof *o->udp))) goto oom;
    for (int d = 0; d < cfg->ndest; d++) o->udp[d].fd = -1;
    o->nudp = cfg->ndest;
    for (int d = 0; d < o->nudp; d++) {
        size_t p;
        if (udp_init(&o->udp[d], cfg->dest[d].host, cfg->dest[d].port, cfg->resolve_every, mono_now(), uerr,
                     sizeof uerr) != UDP_OK)
            log_msg(LOG_WARN, "%s; starting anyway and retrying with backoff", uerr);
        /* One datagram size for all: the smallest path's. */
        p = udp_path_payload(&o->udp[d]);
        if (d == 0 || p < payload) payload = p;
    }
    if (cfg->payload) payload = cfg->payload;
    /* Up to 128 KiB of datagrams wait for one sendmmsg: few syscalls, a
       burst a default 208 KiB receive buffer still takes. */
    nslots = (int)(131072 / payload);
    if (nslots < 2) nslots = 2;
    if (nslots > 16) nslots = 16;
    if (packer_init(&o->packer, payload, nslots, cfg->flush) != 0) {
        snprintf(err, errlen, "out of memory for %d datagrams of %zu bytes", nslots, payload);
        return EXIT_SETUP;
    }
    if (!(o->take = calloc((size_t)nslots, sizeof *o->take))) goto oom;
    if (cfg->flush_jitter > 0) {
        /* this host's place in the fleet: partial datagrams leave up to the jitter before their
           deadline, a half-full ring up to the time the other half takes to fill */
        double phase = tick_phase(cfg->host), j = cfg->flush_jitter;
        packer_jitter(&o->packer, j * (1 - phase), phase);
    }
    log_msg(LOG_DEBUG, "payload %zu bytes, %d slots, flush %.3f s, jitter %.3f s", payload, nslots, cfg->flush,
            cfg->flush_jitter);
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return EXIT_SETUP;
}

int64_t output_timestamp(const struct output *o)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    switch (o->precision) {
    case PREC_S: return (int64_t)ts.tv_sec;
    case PREC_MS: return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    case PREC_US: return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    default: return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    }
}

void output_send(struct output *o, int all, double now)
{
    int n = packer_take(&o->packer, all, now, o->take);
    if (n == 0) return;
    /* Fan-out: every destination gets every datagram, each with its own
       socket, resolution and counters; one failing does not hold the others. */
    for (int d = 0; d < o->nudp; d++) udp_send(&o->udp[d], o->take, n, now);
    packer_release(&o->packer, n);
}

void output_line(struct output *o, const char *prefix, size_t plen, const struct match_list *keep,
                 struct sample_field *f, int n, int64_t ts, double now)
{
    size_t len;
    if (keep && n > 0) n = match_fields(keep, f, n);
    if (n <= 0) return;
    len = lp_encode(o->line, o->line_cap, prefix, plen, f, n, ts);
    if (len == 0) return;
    o->lines++;
    if (o->to_stdout) {
        fwrite(o->line, 1, len, stdout);
        return;
    }
    switch (packer_add(&o->packer, o->line, len, now)) {
    case PACKER_ADDED: break;
    case PACKER_TOO_LONG: /* counted in lines_dropped; said at most once per 10 s */
        log_limited(&o->drop_log, now, LOG_WARN, "a %zu-byte line is longer than the %zu-byte payload and was "
                    "dropped; raise --payload or use fewer tags", len, o->packer.payload);
        break;
    case PACKER_NO_SPACE:
        /* Every slot is in use: several full datagrams leave in one sendmmsg. */
        output_send(o, 1, now);
        packer_add(&o->packer, o->line, len, now);
        break;
    }
}

double output_deadline(const struct output *o)
{
    return o->to_stdout ? -1 : packer_deadline(&o->packer);
}

void output_maintain(struct output *o, double now, int force)
{
    for (int d = 0; d < o->nudp; d++) udp_maintain(&o->udp[d], now, force);
}

int output_done(struct output *o)
{
    if (!o->to_stdout) return 0;
    if (fflush(stdout) == 0 && !ferror(stdout)) return 0;
    /* (a full disk, a closed pipe: the lines are lost; said at most once per 10 s) */
    log_limited(&o->write_log, mono_now(), LOG_ERROR, "cannot write to standard output: %s", strerror(errno));
    clearerr(stdout);
    return -1;
}

int output_ndest(const struct output *o)
{
    return o->to_stdout ? 1 : o->nudp;
}

void output_counts(const struct output *o, int d, struct telemetry *t)
{
    static const struct udp_stats none;
    const struct udp_stats *u = o->to_stdout ? &none : &o->udp[d].stats;
    t->lines_sent = o->to_stdout ? o->lines : u->lines_sent;
    t->datagrams_sent = u->datagrams_sent;
    t->bytes_sent = u->bytes_sent;
    t->send_errors = u->send_errors;
    t->lines_dropped = o->packer.lines_dropped + u->lines_failed;
    t->resolve_errors = u->resolve_errors;
}

COLD void output_free(struct output *o)
{
    if (o->to_stdout) fflush(stdout);
    for (int d = 0; d < o->nudp; d++) udp_close(&o->udp[d]);
    packer_free(&o->packer);
    free(o->udp);
    free(o->take);
    free(o->line);
    memset(o, 0, sizeof *o);
}
