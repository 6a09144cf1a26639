#ifndef PROCFLUX_OUTPUT_H
#define PROCFLUX_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "match.h"
#include "packer.h"
#include "sample.h"
#include "telemetry.h"

struct config;
struct udp_sender;

/*
 * output: where lines go. Encodes one series' fields into a line (with
 * --fields applied) and hands it to the packer, whose full or due datagrams
 * go to every destination (fan-out: each its own socket and counters); or,
 * with --stdout, writes the line to standard output. The flush policy lives
 * here: when datagrams leave, and the deadline of the oldest pending line.
 */

struct output {
    int to_stdout;
    int precision;               /* enum precision (config.h) */
    char *line;                  /* one encoded line */
    size_t line_cap;
    struct packer packer;
    struct udp_sender *udp;      /* one per --dest, each sent every datagram */
    int nudp;
    struct packer_slot **take;   /* room for packer.nslots */
    uint64_t lines;              /* lines encoded */
    struct log_limit drop_log, write_log;
};

/**
 * Set up the senders (or standard output) for @cfg, and a line buffer of
 * @line_max bytes. Allocates everything the run needs.
 * @return 0, or an exit code (EXIT_SETUP) with one sentence in @err.
 */
int output_init(struct output *o, const struct config *cfg, size_t line_max, char *err, size_t errlen);

/** The timestamp of a line encoded now, in the configured precision. */
int64_t output_timestamp(const struct output *o);

/**
 * Encode @f (@n fields, --fields applied with @keep, which may reorder @f)
 * under @prefix and send or write the line. @now: monotonic seconds.
 */
void output_line(struct output *o, const char *prefix, size_t plen, const struct match_list *keep,
                 struct sample_field *f, int n, int64_t ts, double now);

/** Send the full datagrams, or with @all every pending one. */
void output_send(struct output *o, int all, double now);

/** When the oldest pending line is due (monotonic seconds), or -1 when none is. */
double output_deadline(const struct output *o);

/** Let each destination re-resolve when due (or now, with @force). */
void output_maintain(struct output *o, double now, int force);

/**
 * After a burst of lines: standard output is flushed. @return 0, or -1 when
 * standard output could not take them (said, at most once per 10 s).
 */
int output_done(struct output *o);

/** Destinations with their own telemetry line: one per --dest, one for standard output. */
int output_ndest(const struct output *o);

/** Fill destination @d's part of @t: what it sent, its errors and drops. */
void output_counts(const struct output *o, int d, struct telemetry *t);

void output_free(struct output *o);

#endif
