#ifndef PROCFLUX_PAGES_H
#define PROCFLUX_PAGES_H

#include <stddef.h>

/*
 * pages: zero-filled memory straight from the kernel (an anonymous mapping),
 * for the few big start-up structs that are mostly never written (the agent
 * with its field arrays, the option layers). The pages nothing writes never
 * become resident; calloc may clear, and so touch, every one, and the small
 * static build's peak RSS (target 256 KiB at 10 Hz) counts each. Whole pages
 * each time: not for small or many allocations.
 */

/** @n zeroed bytes, or NULL (errno ENOMEM) when memory ran out. */
void *pages_alloc(size_t n);

/** Give back what pages_alloc(@n) returned (@p NULL: nothing). */
void pages_free(void *p, size_t n);

#endif
