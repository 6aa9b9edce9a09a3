/* stack.c -- task stacks: mapped in slabs, reused warmest first, with a
 * guard page set once per stack. Where the kernel has guard regions (Linux
 * 6.13, MADV_GUARD_INSTALL) a guard page costs no mapping of its own, so every
 * stack has one. Elsewhere each mprotect'd guard page splits a mapping off and
 * the kernel caps a process at max_map_count mappings, so past a budget of a
 * quarter of that cap new stacks get a canary word instead, checked at every
 * switch (and touching a second page of every such stack). */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#ifdef CALM__ASAN
#include <sanitizer/asan_interface.h>
#endif

#define CALM__SLAB_STACKS 16              /* stacks per mapping */
#define CALM__STACKS_WARM 1024            /* free stacks kept resident; the rest give pages back */
#define CALM__CANARY 0x63616c6d5f737467ULL  /* "calm_stg" */

struct calm__slab {
    calm__slab *next;
    void *base;                           /* the mapping */
    size_t len;
};

static atomic_long calm__guard_budget = -1; /* mprotect'd guard pages left in this process */
static atomic_int calm__guard_regions = 1;  /* MADV_GUARD_INSTALL works (until it fails) */

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102              /* Linux 6.13 uapi value */
#endif

static size_t calm__page(void)
{
    static size_t page;

    if (page == 0)
        page = (size_t)sysconf(_SC_PAGESIZE);
    return page;
}

/* procfs answers from memory: a plain read() never waits here. */
static long calm__initial_budget(void)
{
    char buf[32];
    long max = 65530;
    ssize_t n;
    int fd = open("/proc/sys/vm/max_map_count", O_RDONLY | O_CLOEXEC);

    if (fd >= 0) {
        n = read(fd, buf, sizeof(buf) - 1);
        if (n > 0) {
            buf[n] = '\0';
            max = strtol(buf, NULL, 10);
        }
        close(fd);
    }
    return (max > 0 ? max : 65530) / 4;
}

/* Takes one guard page from the process-wide budget; 0 when it is spent. */
static int calm__take_guard(void)
{
    long b = atomic_load(&calm__guard_budget);

    if (b < 0) {
        long init = calm__initial_budget();
        atomic_compare_exchange_strong(&calm__guard_budget, &b, init);
        b = atomic_load(&calm__guard_budget);
    }
    while (b > 0) {
        if (atomic_compare_exchange_weak(&calm__guard_budget, &b, b - 1))
            return 1;
    }
    return 0;
}

/* Makes the page at guard fault on access. Returns 1 on success. */
static int calm__guard_page(void *guard, size_t page)
{
    if (atomic_load_explicit(&calm__guard_regions, memory_order_relaxed)) {
        if (madvise(guard, page, MADV_GUARD_INSTALL) == 0)
            return 1;
        atomic_store(&calm__guard_regions, 0); /* an older kernel: EINVAL */
    }
    if (!calm__take_guard())
        return 0;
    if (mprotect(guard, page, PROT_NONE) < 0) {
        atomic_fetch_add(&calm__guard_budget, 1);
        return 0;
    }
    return 1;
}

static int calm__slab_new(calm__stacks *s)
{
    size_t page = calm__page(), stride, i;
    calm__slab *slab = NULL;
    char *base = MAP_FAILED;

    s->size = (s->size + page - 1) / page * page;
    if (s->size < 4 * page)
        s->size = 4 * page;
    stride = s->size + page;
    slab = calm__malloc(sizeof(*slab));
    if (slab == NULL)
        goto fail;
    while (s->free_cap < s->mapped + CALM__SLAB_STACKS) {
        size_t cap = s->free_cap ? s->free_cap * 2 : 64;
        uintptr_t *v = calm__realloc(s->free, cap * sizeof(*v));
        if (v == NULL)
            goto fail;
        s->free = v;
        s->free_cap = cap;
    }
    if (calm__alloc_should_fail()) {
        errno = ENOMEM;
        goto fail;
    }
    base = mmap(NULL, stride * CALM__SLAB_STACKS, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED)
        goto fail;
    calm__alloc_note(1);
    slab->base = base;
    slab->len = stride * CALM__SLAB_STACKS;
    slab->next = s->slabs;
    s->slabs = slab;
    s->mapped += CALM__SLAB_STACKS;
    /* Layout per stack: [guard page][stack]; the stack grows down into the guard. */
    for (i = CALM__SLAB_STACKS; i-- > 0;) {
        char *guard = base + i * stride;
        void *lo = guard + page;
        int guarded = calm__guard_page(guard, page);
        if (!guarded)
            *(uint64_t *)lo = CALM__CANARY;
        s->free[s->free_count++] = (uintptr_t)lo | (uintptr_t)!guarded;
    }
    return 0;
fail:
    calm__free(slab);
    return -1;
}

/* Free stacks are kept in an array, not linked through the stacks: taking
 * one touches none of its pages, so a spawn costs no cache or TLB miss on a
 * stack that its task only touches when it first runs. The low bit of an
 * entry (stacks are page-aligned) says the stack has a canary, not a guard.
 * The array has a slot for every stack mapped, so a free never fails. */
void *calm__stack_get(calm__stacks *s, int *canary)
{
    uintptr_t e;

    if (s->free_count == 0 && calm__slab_new(s) < 0)
        return NULL;
    e = s->free[--s->free_count];         /* LIFO: the most recently used stack is the warmest */
    *canary = (int)(e & 1);
    return (void *)(e & ~(uintptr_t)1);
}

void calm__stack_put(calm__stacks *s, void *lo, int canary)
{
#ifdef CALM__ASAN
    /* frames abandoned by the switch leave poisoned redzones behind */
    __asan_unpoison_memory_region(lo, s->size);
#endif
    /* After a burst, return all but the top page of the surplus stacks to the
     * kernel (the top page, which a task touches first, stays): one madvise
     * per stack beyond the warm set, and the mapping (and its guard page)
     * stays for the next burst. */
    if (s->free_count >= CALM__STACKS_WARM) {
        size_t page = calm__page();
        if (madvise(lo, s->size - page, MADV_DONTNEED) == 0 && canary)
            *(uint64_t *)lo = CALM__CANARY;
    }
    assert(s->free_count < s->free_cap);
    s->free[s->free_count++] = (uintptr_t)lo | (uintptr_t)(canary != 0);
}

int calm__stack_check(void *lo, int canary)
{
    return (!canary || *(volatile uint64_t *)lo == CALM__CANARY) ? 0 : -1;
}

void calm__stacks_free(calm__stacks *s)
{
    long guarded = 0;
    size_t i;

    for (i = 0; i < s->free_count; i++)
        guarded += (s->free[i] & 1) == 0;
    atomic_fetch_add(&calm__guard_budget, guarded);
    while (s->slabs != NULL) {
        calm__slab *slab = s->slabs;
        s->slabs = slab->next;
        munmap(slab->base, slab->len);
        calm__alloc_note(-1);
        calm__free(slab);
    }
    calm__free(s->free);
    s->free = NULL;
    s->free_count = s->free_cap = s->mapped = 0;
}
