/* timer.c -- the loop's timer heap (a binary min-heap on expiry, FIFO among
 * equal expiries) and the public one-shot and repeating timers built on it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct calm_timer {
    calm__tnode node;
    calm_loop *loop;
    calm_callback cb;
    void *arg;
    int64_t repeat_ms;                    /* 0: one-shot */
    int in_callback;                      /* stop inside cb defers the free */
    int stopped;
};

static int calm__tnode_less(const calm__tnode *a, const calm__tnode *b)
{
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void calm__heap_set(calm_loop *loop, size_t i, calm__tnode *n)
{
    loop->heap[i] = n;
    n->index = i;
}

static void calm__heap_up(calm_loop *loop, size_t i)
{
    calm__tnode *n = loop->heap[i];

    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!calm__tnode_less(n, loop->heap[parent]))
            break;
        calm__heap_set(loop, i, loop->heap[parent]);
        i = parent;
    }
    calm__heap_set(loop, i, n);
}

static void calm__heap_down(calm_loop *loop, size_t i)
{
    calm__tnode *n = loop->heap[i];

    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= loop->heap_len)
            break;
        if (c + 1 < loop->heap_len && calm__tnode_less(loop->heap[c + 1], loop->heap[c]))
            c++;
        if (!calm__tnode_less(loop->heap[c], n))
            break;
        calm__heap_set(loop, i, loop->heap[c]);
        i = c;
    }
    calm__heap_set(loop, i, n);
}

int calm__heap_push(calm_loop *loop, calm__tnode *node)
{
    if (loop->heap_len == loop->heap_cap) {
        size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
        calm__tnode **v = calm__realloc(loop->heap, cap * sizeof(*v));
        if (v == NULL)
            return -ENOMEM;
        loop->heap = v;
        loop->heap_cap = cap;
    }
    node->seq = loop->timer_seq++;
    loop->heap[loop->heap_len++] = node;
    calm__heap_up(loop, loop->heap_len - 1);
    return 0;
}

void calm__heap_remove(calm_loop *loop, calm__tnode *node)
{
    size_t i = node->index;
    calm__tnode *last;

    if (i == CALM__UNARMED)
        return;
    node->index = CALM__UNARMED;
    last = loop->heap[--loop->heap_len];
    if (last == node)
        return;
    calm__heap_set(loop, i, last);
    calm__heap_down(loop, i);
    calm__heap_up(loop, last->index);
}

/* Firings of timers armed during the pass itself (a 0 ms re-arm from a
 * callback) before the pass ends and I/O gets its turn: enough that such a
 * timer costs no poll per firing, few enough that fds are still served. */
#define CALM__TIMER_PASS_EXTRA 1024

/* Batch expiry: every node due at the cached `now` fires in this pass, and so
 * do nodes armed meanwhile for `now` or earlier (they sort after those due
 * before the pass), up to CALM__TIMER_PASS_EXTRA of them. */
void calm__run_timers(calm_loop *loop)
{
    uint64_t limit = loop->timer_seq;     /* nodes armed before the pass */
    unsigned extra = 0;

    while (loop->heap_len > 0) {
        calm__tnode *n = loop->heap[0];
        if (n->when > loop->now)
            break;
        if (n->seq >= limit && extra++ >= CALM__TIMER_PASS_EXTRA)
            break;
        calm__heap_remove(loop, n);
        n->fire(loop, n);
    }
}

/* Freed timers kept for the next calm_timer_start: a timer re-armed from its
 * own callback then costs no allocation. */
#define CALM__TIMER_CACHE 64

static void calm__timer_release(calm_loop *loop, calm_timer *t)
{
    if (loop->timer_cache_len < CALM__TIMER_CACHE) {
        t->arg = loop->timer_cache;       /* the cache's link */
        loop->timer_cache = t;
        loop->timer_cache_len++;
        return;
    }
    calm__free(t);
}

void calm__timers_free(calm_loop *loop)
{
    while (loop->heap_len > 0) {
        calm__tnode *n = loop->heap[0];
        calm__heap_remove(loop, n);
        calm__timer_free_node(n);
    }
    calm__free(loop->heap);
    loop->heap = NULL;
    loop->heap_cap = 0;
    while (loop->timer_cache != NULL) {
        calm_timer *t = loop->timer_cache;
        loop->timer_cache = t->arg;
        calm__free(t);
    }
    loop->timer_cache_len = 0;
}

static void calm__timer_fire(calm_loop *loop, calm__tnode *node)
{
    calm_timer *t = calm__container_of(node, calm_timer, node);
    int64_t t0 = loop->debug ? calm__clock_us() : 0;

    t->in_callback = 1;
    t->cb(loop, t->arg);
    t->in_callback = 0;
    if (loop->debug)
        calm__debug_slow(loop, "timer callback", (const void *)t->cb, NULL,
                         (calm__clock_us() - t0) / 1000);
    if (t->stopped || t->repeat_ms <= 0) {
        loop->refs--;
        calm__timer_release(loop, t);
        return;
    }
    t->node.when = loop->now + t->repeat_ms;
    /* cannot fail: the node was just taken out, so the heap has room */
    (void)calm__heap_push(loop, &t->node);
}

/* Task deadlines live in their task; only public timers are freed here. */
void calm__timer_free_node(calm__tnode *n)
{
    if (n->fire == calm__timer_fire)
        calm__free(calm__container_of(n, calm_timer, node));
}

calm_timer *calm_timer_start(calm_loop *loop, int64_t delay_ms, int64_t repeat_ms,
                             calm_callback cb, void *arg)
{
    calm_timer *t = NULL;

    if (loop == NULL || cb == NULL || delay_ms < 0 || repeat_ms < 0) {
        errno = EINVAL;
        goto fail;
    }
    if (loop->timer_cache != NULL) {
        t = loop->timer_cache;
        loop->timer_cache = t->arg;
        loop->timer_cache_len--;
        memset(t, 0, sizeof(*t));
    } else if ((t = calm__calloc(1, sizeof(*t))) == NULL) {
        goto fail;
    }
    t->loop = loop;
    t->cb = cb;
    t->arg = arg;
    t->repeat_ms = repeat_ms;
    t->node.fire = calm__timer_fire;
    t->node.index = CALM__UNARMED;
    t->node.when = (loop->running ? loop->now : calm_now()) + delay_ms;
    if (calm__heap_push(loop, &t->node) < 0) {
        errno = ENOMEM;
        goto fail;
    }
    loop->refs++;
    return t;
fail:
    calm__free(t);
    return NULL;
}

void calm_timer_stop(calm_timer *t)
{
    if (t == NULL || t->stopped)
        return;
    if (t->in_callback) {
        t->stopped = 1;
        return;
    }
    calm__heap_remove(t->loop, &t->node);
    t->loop->refs--;
    calm__timer_release(t->loop, t);
}
