/* pages: zeroed start-up memory whose unwritten pages stay out of RSS. */
#include "pages.h"

#include <errno.h>
#include <sys/mman.h>

void *pages_alloc(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) return p;
    errno = ENOMEM;
    return NULL;
}

void pages_free(void *p, size_t n)
{
    if (p) munmap(p, n);
}
