#ifndef PROCFLUX_PROCPARSE_H
#define PROCFLUX_PROCPARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * procparse: the few scanning primitives every /proc parser needs, written
 * for untrusted text: every function takes an end pointer, never reads past
 * it, and reports overflow instead of wrapping.
 */

/** Skip spaces and tabs from *p (not newlines). */
void pp_skip_blanks(const char **p, const char *end);

/**
 * Parse an unsigned decimal integer at *p (after optional blanks).
 * @return 1 and advances *p past the digits, or 0 (no digit, or more than
 *         UINT64_MAX) leaving *p unchanged.
 */
int pp_u64(const char **p, const char *end, uint64_t *out);

/**
 * Parse a non-negative decimal with an optional fraction ("0.52", "12345.67")
 * at *p (after optional blanks). @return 1 and advances *p, or 0.
 */
int pp_udecimal(const char **p, const char *end, double *out);

/** Return a pointer just past the next '\n' at or after p, or NULL if none before end. */
const char *pp_next_line(const char *p, const char *end);

#endif
