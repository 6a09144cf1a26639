#ifndef PROCFLUX_LINEPROTO_H
#define PROCFLUX_LINEPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "sample.h"

/*
 * lineproto: InfluxDB line protocol, exactly as InfluxDB 1.x parses it.
 *
 * Escaping: measurement ',' and ' '; tag keys, tag values and field keys ',',
 * '=' and ' '; string field values '"' and '\'. Tags are sorted by key and a
 * tag with an empty value is dropped (InfluxDB rejects it). Integers carry the
 * 'i' suffix (stock 1.x rejects 'u'); NaN and ±Inf are never written: such a
 * field is left out, and a line left with no field is not written at all.
 *
 * A series prefix ("cpu,cpu=cpu0,host=web\ 1 ") is built once with
 * lp_series_build; each tick only lp_encode runs, which formats numbers
 * without printf.
 */

enum lp_context {
    LP_MEASUREMENT, /* escapes , and space */
    LP_KEY,         /* tag key, tag value, field key: escapes , = and space */
    LP_STRING,      /* string field value (without the quotes): escapes " and \ */
};

/**
 * Escape @s for @ctx into @dst (at most @cap bytes, always NUL-terminated when
 * @cap > 0). @return the escaped length, which may exceed @cap - 1 (truncated).
 */
size_t lp_escape(char *dst, size_t cap, const char *s, enum lp_context ctx);

/**
 * Whether @s survives escaping for @ctx and InfluxDB's parsing unchanged.
 * InfluxDB 1.x takes any delimiter right after a backslash as escaped, so a
 * measurement, key or value that ends in a backslash cannot be written (it
 * would swallow the ',', '=' or ' ' that follows it); nor can one holding a
 * newline, which ends the line wherever it stands.
 * @return 1 when representable.
 */
int lp_representable(const char *s, enum lp_context ctx);

struct lp_tag {
    const char *key;
    const char *value;
};

/** Tags a series may carry. */
#define LP_MAX_TAGS 64

/**
 * Build "measurement,k1=v1,k2=v2 " (tags sorted by key, empty values dropped,
 * everything escaped) into @dst.
 * @return the length, or 0 when it does not fit in @cap - 1 bytes, there are
 *         more than LP_MAX_TAGS tags, the measurement is empty, a name or
 *         value is not lp_representable, or two tags with values share a key
 *         (InfluxDB rejects the line, and with it the whole datagram).
 */
size_t lp_series_build(char *dst, size_t cap, const char *measurement, const struct lp_tag *tags,
                       size_t ntags);

/**
 * Append one line: prefix, fields, timestamp and '\n'.
 * @arg prefix, plen a series prefix from lp_series_build.
 * @arg fields, n the values; non-finite floats are skipped, and so are
 *      strings longer than SAMPLE_STRING_MAX or holding a newline; a string is
 *      written in double quotes with '"' and '\' escaped.
 * @arg ts the timestamp in the configured precision.
 * @return the line length, or 0 when no field was writable or the line does not
 *         fit in @cap bytes (nothing usable is left in @dst then).
 */
size_t lp_encode(char *dst, size_t cap, const char *prefix, size_t plen,
                 const struct sample_field *fields, int n, int64_t ts);

/** The most bytes lp_encode can need for a prefix of @plen and @n fields. */
size_t lp_line_max(size_t plen, int n);

/** Format a signed integer in decimal (no suffix). @return chars written (at most 20). */
size_t lp_format_int(char *dst, int64_t v);

/**
 * Format a finite double so InfluxDB parses it as a float: fixed notation
 * with 15 significant digits (trailing zeros trimmed) for magnitudes in
 * [1e-4, 1e9), exact "%.17g" otherwise; never "-0".
 * @return chars written (at most 32); 0 for NaN or ±Inf.
 */
size_t lp_format_float(char *dst, double v);

#endif
