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

/** What pp_digits found. */
#define PP_NONE 0 /* no digit at *p */
#define PP_OK 1   /* a number within 64 bits */
#define PP_OVER 2 /* a number above UINT64_MAX */

/**
 * Scan the run of decimal digits at *p (no blanks skipped), all of it, even
 * past UINT64_MAX: for parsers that skip a too-big number rather than refuse
 * the line. Up to 19 digits are summed without a per-digit overflow test
 * (they always fit); only longer runs (leading zeros, garbage) are checked.
 * @return PP_NONE with *p unchanged when *p is not a digit; PP_OK with the
 *         value in *out; or PP_OVER with *out = UINT64_MAX. *p is left past
 *         the digits in both last cases.
 */
int pp_digits(const char **p, const char *end, uint64_t *out);

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
