#ifndef PROCFLUX_FUZZ_LPCHECK_H
#define PROCFLUX_FUZZ_LPCHECK_H

/*
 * lpcheck: an independent reader of InfluxDB 1.x line protocol, for the
 * fuzzers. It shares no code with src/lineproto.c: it re-implements what
 * influxdb/models/points.go accepts, so an encoder bug cannot hide behind the
 * same bug in the checker.
 *
 * What it models (points.go, 1.x):
 *  - a character is escaped when the byte before it is a backslash
 *    (scanMeasurement, scanTagsKey, scanTagsValue look at buf[i-1] only), so a
 *    token ending in '\' swallows the delimiter after it;
 *  - unescaping replaces "\," "\ " (measurement) and also "\=" (tags, field
 *    keys) by the character, everything else stays as written;
 *  - a line starting with '#' is a comment, leading blanks are skipped, an
 *    unescaped '\n' ends the line;
 *  - tag keys and values must be non-empty, a tag value may not hold an
 *    unescaped '=';
 *  - floats: -?digits[.digits][e[+-]digits], finite (no nan/inf);
 *    integers: -?digits 'i' within int64 ('u' is rejected by stock 1.x);
 *  - strings: '"' ... '"', where a backslash takes the byte after it (so
 *    '\"' does not end the string) and '\"' and '\\' unescape to '"' and
 *    '\' (scanFieldValue, unescapeStringField); held to no newline;
 *  - the timestamp: -?digits within int64.
 * Field keys are also held to sample.h's promise: [a-z0-9_]+.
 *
 * Header-only (static functions) so each fuzzer is one translation unit.
 */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LPC_MAX_TAGS 80
#define LPC_MAX_FIELDS 64
#define LPC_ARENA 16384

struct lpc_field {
    const char *key;
    int is_int;
    int is_str;
    const char *s; /* is_str: the unescaped value, in the arena */
    int64_t i;
    double f;
};

struct lpc_line {
    const char *measurement;
    int ntags;
    const char *tag_key[LPC_MAX_TAGS], *tag_value[LPC_MAX_TAGS];
    int nfields;
    struct lpc_field fields[LPC_MAX_FIELDS];
    int64_t ts;
    char arena[LPC_ARENA]; /* unescaped strings, NUL-terminated */
    size_t used;
};

/* Copy s[0..n) unescaped into the arena; @eq: '=' is escapable too. */
static inline const char *lpc_unescape(struct lpc_line *l, const char *s, size_t n, int eq)
{
    char *out = l->arena + l->used, *o = out;
    if (l->used + n + 1 > sizeof l->arena) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n && (s[i + 1] == ',' || s[i + 1] == ' ' || (eq && s[i + 1] == '=')))
            i++;
        *o++ = s[i];
    }
    *o++ = '\0';
    l->used += (size_t)(o - out);
    return out;
}

static inline int lpc_escaped(const char *s, size_t i) { return i > 0 && s[i - 1] == '\\'; }

/*
 * Parse "measurement[,k=v]... " starting at s[*pos]; stops on the space that
 * ends the series key. @return 1, or 0 when InfluxDB would reject it.
 */
static inline int lpc_parse_series(const char *s, size_t len, size_t *pos, struct lpc_line *l)
{
    size_t i = *pos, start = i;

    if (i >= len || s[i] == ',' || s[i] == '#' || s[i] == ' ' || s[i] == '\t' || s[i] == '\0')
        return 0; /* missing measurement, a comment, or blanks InfluxDB would skip */
    for (i++;; i++) {
        if (i >= len) return 0; /* missing fields */
        if (lpc_escaped(s, i)) continue;
        if (s[i] == ',' || s[i] == ' ') break;
    }
    l->measurement = lpc_unescape(l, s + start, i - start, 0);
    if (!l->measurement) return 0;

    l->ntags = 0;
    while (s[i] == ',') {
        size_t ks = ++i, ke, vs;
        if (i >= len || s[i] == ' ' || s[i] == ',' || s[i] == '=') return 0; /* empty key */
        for (i++;; i++) {
            if (i >= len) return 0;
            if (lpc_escaped(s, i)) continue;
            if (s[i] == ' ' || s[i] == ',') return 0; /* missing tag value */
            if (s[i] == '=') break;
        }
        ke = i;
        vs = ++i;
        if (i >= len || s[i] == ' ' || s[i] == ',' || s[i] == '=') return 0; /* empty value */
        for (i++;; i++) {
            if (i >= len) return 0;
            if (lpc_escaped(s, i)) continue;
            if (s[i] == '=') return 0; /* invalid tag format */
            if (s[i] == ' ' || s[i] == ',') break;
        }
        if (l->ntags >= LPC_MAX_TAGS) return 0;
        l->tag_key[l->ntags] = lpc_unescape(l, s + ks, ke - ks, 1);
        l->tag_value[l->ntags] = lpc_unescape(l, s + vs, i - vs, 1);
        if (!l->tag_key[l->ntags] || !l->tag_value[l->ntags]) return 0;
        l->ntags++;
    }
    *pos = i; /* on the space */
    return s[i] == ' ';
}

/*
 * A '\n' anywhere but the last byte ends the line early. (InfluxDB would keep
 * a backslash-newline pair inside the line, but other readers of the
 * datagram, Telegraf among them, would not: we hold the encoder to "never".)
 */
static inline int lpc_one_line(const char *s, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++)
        if (s[i] == '\n') return 0;
    return 1;
}

/* Parse a number field value s[0..n). */
static inline int lpc_parse_value(const char *s, size_t n, struct lpc_field *f)
{
    char tmp[64], *end;
    size_t i = 0, digits = 0;

    if (n == 0 || n >= sizeof tmp) return 0;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (tmp[i] == '-') i++;
    while (i < n && tmp[i] >= '0' && tmp[i] <= '9') i++, digits++;
    if (digits == 0) return 0;
    if (i + 1 == n && tmp[i] == 'i') {
        errno = 0;
        tmp[i] = '\0';
        f->is_int = 1;
        f->i = strtoll(tmp, &end, 10);
        return errno == 0 && *end == '\0';
    }
    if (i < n && tmp[i] == '.') {
        size_t d = 0;
        for (i++; i < n && tmp[i] >= '0' && tmp[i] <= '9'; i++) d++;
        if (d == 0) return 0;
    }
    if (i < n && (tmp[i] == 'e' || tmp[i] == 'E')) {
        size_t d = 0;
        i++;
        if (i < n && (tmp[i] == '+' || tmp[i] == '-')) i++;
        for (; i < n && tmp[i] >= '0' && tmp[i] <= '9'; i++) d++;
        if (d == 0) return 0;
    }
    if (i != n) return 0;
    f->is_int = 0;
    f->f = strtod(tmp, &end);
    return *end == '\0' && isfinite(f->f);
}

static inline int lpc_field_key_ok(const char *s, size_t n)
{
    if (n == 0) return 0;
    if (n == 4 && memcmp(s, "time", 4) == 0) return 0; /* InfluxDB refuses a field named time */
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_')) return 0;
    return 1;
}

/*
 * Parse one whole line as lp_encode writes it: series, ' ', fields, ' ',
 * timestamp, '\n' (the last byte, and the only unescaped newline).
 * @return 1 when valid.
 */
static inline int lpc_parse_line(const char *s, size_t len, struct lpc_line *l)
{
    size_t i = 0;

    l->used = 0;
    l->nfields = 0;
    if (len < 2 || s[len - 1] != '\n' || !lpc_one_line(s, len)) return 0;
    len--; /* without the '\n' */
    if (!lpc_parse_series(s, len, &i, l)) return 0;
    i++; /* the space */
    for (;;) {
        size_t ks = i, vs;
        struct lpc_field *f;
        while (i < len && s[i] != '=' && s[i] != ' ' && s[i] != ',') i++;
        if (i >= len || s[i] != '=' || !lpc_field_key_ok(s + ks, i - ks)) return 0;
        if (l->nfields >= LPC_MAX_FIELDS) return 0;
        f = &l->fields[l->nfields];
        f->key = lpc_unescape(l, s + ks, i - ks, 1);
        if (!f->key) return 0;
        vs = ++i;
        f->is_str = 0;
        if (i < len && s[i] == '"') {
            char *out = l->arena + l->used, *o = out;
            for (i++;; i++) {
                if (i >= len) return 0; /* unterminated */
                if (s[i] == '"') break;
                if (s[i] == '\\') {
                    if (i + 1 >= len) return 0;
                    if (s[i + 1] == '"' || s[i + 1] == '\\') i++;
                    else if ((size_t)(o - out) + 1 < sizeof l->arena - l->used) *o++ = s[i++];
                }
                if ((size_t)(o - out) + 1 >= sizeof l->arena - l->used) return 0;
                *o++ = s[i];
            }
            *o++ = '\0';
            l->used += (size_t)(o - out);
            f->is_str = 1;
            f->is_int = 0;
            f->s = out;
            i++; /* past the closing quote */
            if (i < len && s[i] != ',' && s[i] != ' ') return 0;
        } else {
            while (i < len && s[i] != ',' && s[i] != ' ') i++;
            if (!lpc_parse_value(s + vs, i - vs, f)) return 0;
        }
        l->nfields++;
        if (i >= len) return 0; /* no timestamp: procflux always writes one */
        if (s[i] == ' ') break;
        i++; /* the comma */
    }
    i++;
    {
        char tmp[32], *end;
        size_t n = len - i, j = 0;
        if (n == 0 || n >= sizeof tmp) return 0;
        memcpy(tmp, s + i, n);
        tmp[n] = '\0';
        if (tmp[0] == '-') j++;
        if (j >= n) return 0;
        for (; j < n; j++)
            if (tmp[j] < '0' || tmp[j] > '9') return 0;
        errno = 0;
        l->ts = strtoll(tmp, &end, 10);
        if (errno || *end) return 0;
    }
    return 1;
}

/* Parse a series prefix as lp_series_build returns it ("m,k=v " with the space last). */
static inline int lpc_parse_prefix(const char *s, size_t len, struct lpc_line *l)
{
    size_t i = 0;
    l->used = 0;
    for (size_t j = 0; j < len; j++)
        if (s[j] == '\n') return 0;
    return lpc_parse_series(s, len, &i, l) && i + 1 == len;
}

/* Relative agreement for a float written with 9 decimals (or %.17g). */
static inline int lpc_close(double want, double got)
{
    double tol = fabs(want) * 1e-9;
    if (tol < 5.000001e-10) tol = 5.000001e-10;
    return fabs(want - got) <= tol;
}

#define FUZZ_CHECK(cond)                                                           \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                               \
        }                                                                          \
    } while (0)

#endif
