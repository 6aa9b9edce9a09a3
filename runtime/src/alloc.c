/* alloc.c -- the one door every libcalm allocation goes through, with the test
 * hooks that make a chosen allocation fail and count what is still live. */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

static atomic_long calm__fail_countdown = -1; /* -1: never fail */
static atomic_long calm__live;

void calm__alloc_fail_after(long n)
{
    atomic_store(&calm__fail_countdown, n);
}

long calm__alloc_fail_pending(void)
{
    return atomic_load(&calm__fail_countdown);
}

long calm__alloc_live(void)
{
    return atomic_load(&calm__live);
}

int calm__alloc_should_fail(void)
{
    long n = atomic_load_explicit(&calm__fail_countdown, memory_order_relaxed);

    while (n >= 0) {
        if (atomic_compare_exchange_weak(&calm__fail_countdown, &n, n - 1))
            return n == 0;
    }
    return 0;
}

void calm__alloc_note(long delta)
{
    atomic_fetch_add_explicit(&calm__live, delta, memory_order_relaxed);
}

void *calm__malloc(size_t size)
{
    void *p;

    if (calm__alloc_should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    p = malloc(size);
    if (p)
        calm__alloc_note(1);
    return p;
}

void *calm__calloc(size_t n, size_t size)
{
    void *p;

    if (calm__alloc_should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    p = calloc(n, size);
    if (p)
        calm__alloc_note(1);
    return p;
}

/* Growing an existing block: on failure the old block stays valid and live. */
void *calm__realloc(void *old, size_t size)
{
    void *p;

    if (old == NULL)
        return calm__malloc(size);
    if (calm__alloc_should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    p = realloc(old, size);
    return p;
}

void calm__free(void *p)
{
    if (p) {
        free(p);
        calm__alloc_note(-1);
    }
}
