/* switching.h -- the scheduler's switching core, shared by task.c and the loop's
 * run function (loop.c), which has the batch loop inline (see calm__run_batch).
 * Static inline: each includer gets its own copy of what it uses. */
#ifndef CALM_SWITCHING_H
#define CALM_SWITCHING_H

#include <stdlib.h>

#include "internal.h"

#ifdef CALM__ASAN
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef CALM__TSAN
#include <sanitizer/tsan_interface.h>
#endif

/* ---- switching -----------------------------------------------------------
 * The loop starts a batch (the tasks ready when the phase began) by switching
 * to the first one; each task that suspends hands over straight to the next
 * one in the batch, and the last switches back to the loop. Whoever runs after
 * a switch finishes the previous task's step (calm__after_switch), since a
 * finished task's stack can only be released once nobody runs on it. Debug
 * mode goes through the loop after every step so that each step is timed. */

static inline calm_task *calm__ready_pop(calm_loop *loop)
{
    calm_task *t = loop->ready_head;

    if (t == NULL)
        return NULL;
    loop->ready_head = t->next_ready;
    if (loop->ready_head == NULL)
        loop->ready_tail = NULL;
    t->next_ready = NULL;
    return t;
}

/* The next task of the open batch, or NULL when the loop must run. A batch
 * that ends while only tasks are waiting to run is followed at once by the
 * next, without a round trip through the loop, unless the clock (read here
 * every CALM__CLOCK_STEPS steps) says timers or I/O are due. */
static inline calm_task *calm__batch_next(calm_loop *loop)
{
    calm_task *t;

    if (loop->batch_last == NULL) {
        if (loop->debug || loop->ready_head == NULL || loop->soon_len > 0 ||
            atomic_load_explicit(&loop->stop, memory_order_relaxed) ||
            (loop->clock_left <= 0 && calm__loop_turn_due(loop)))
            return NULL;
        loop->batch_last = loop->ready_tail;
    }
    t = calm__ready_pop(loop);
    if (t == NULL || t == loop->batch_last)
        loop->batch_last = NULL;
    return t;
}

static void calm__task_retire(calm_loop *loop, calm_task *t);

/* The rare ends of a step: a canary to check, a finished task to retire. */
static __attribute__((noinline, unused)) void calm__after_switch_slow(calm_loop *loop, calm_task *p)
{
    if (calm__stack_check(p->stack, p->stack_canary) < 0) {
        char name[256];
        /* memory is already corrupt: continuing would only spread it */
        calm__report(loop, -EFAULT, "task %s overflowed its stack; raise stack_size",
                     calm__task_desc(p, name, sizeof(name)));
        abort();
    }
    if (p->state == CALM__DONE)
        calm__task_retire(loop, p);
}

/* Ends the step of the task that just switched away. Inline: it runs at every
 * switch, and a guarded stack that is still running has nothing to check. */
static inline void calm__after_switch(calm_loop *loop)
{
    calm_task *p = loop->prev;

    if (p == NULL)
        return;
    loop->prev = NULL;
    loop->clock_left--;
    if (p->stack_canary || p->state == CALM__DONE)
        calm__after_switch_slow(loop, p);
}

#ifdef CALM__ASAN
/* Records the loop thread's stack each time a switch came from the loop. */
static inline void calm__asan_finish(calm_loop *loop, void *fake, int from_loop)
{
    const void *lo;
    size_t size;

    __sanitizer_finish_switch_fiber(fake, &lo, &size);
    if (from_loop) {
        loop->asan_stack_lo = lo;
        loop->asan_stack_size = size;
    }
}
#endif

/* Loop -> task; returns when the batch's last task switches back. */
static inline __attribute__((always_inline)) void calm__switch_from_loop(calm_loop *loop,
                                                                        calm_task *t)
{
#ifdef CALM__ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, t->stack, loop->stacks.size);
#endif
#ifdef CALM__TSAN
    loop->tsan_fiber = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(t->tsan_fiber, 0);
#endif
    loop->prev = NULL;
    calm__ctx_switch(&loop->ctx, &t->ctx);
#ifdef CALM__ASAN
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
    calm__after_switch(loop);
}

static inline void calm__release_stack(calm_task *t)
{
    if (t->stack == NULL)
        return;
    calm__stack_put(&t->loop->stacks, t->stack, t->stack_canary);
    t->stack = NULL;
#ifdef CALM__TSAN
    __tsan_destroy_fiber(t->tsan_fiber);
    t->tsan_fiber = NULL;
#endif
}

/* A task has just finished: hand its status to whoever owns the handle. */
static __attribute__((noinline, unused)) void calm__task_retire(calm_loop *loop, calm_task *t)
{
    char name[256];

    calm__release_stack(t);
    if (loop->debug && t->cancel_seen && t->result == 0)
        calm__report(loop, 0, "task %s was cancelled but finished with status 0: "
                     "the cancellation was swallowed", calm__task_desc(t, name, sizeof(name)));
    if (t->awaiter != NULL) {
        calm__wake(t->awaiter, 0);
        return;
    }
    if (t->group != NULL) {
        calm__group_member_done(t->group, t);
        return;
    }
    if (t->detached) {
        if (t->result < 0 && t->result != CALM_ECANCELED)
            calm__report(loop, t->result, "detached task %s failed: %s",
                         calm__task_desc(t, name, sizeof(name)), calm_strerror(t->result));
        calm__task_free(t);
    }
}

/* Runs the tasks that are ready now, as one batch. Inline in the loop's run
 * function, so that no return follows the switch back to the loop: a return
 * there would be predicted from the return stack the task's calls left, and
 * miss (as would the task's own returns once resumed, since the loop's had
 * taken its entries). With the loop never returning past its switch, a task
 * resumed finds on the return stack the entries of the last task to suspend,
 * which, suspended through the same calls, are its own. */
static inline __attribute__((always_inline)) void calm__run_batch(calm_loop *loop)
{
    calm_task *t;

    loop->batch_last = loop->ready_tail;
    while ((t = calm__batch_next(loop)) != NULL) {
        /* named before the switch: a finished task is freed on the way back */
        char desc[256];
        int64_t t0 = 0;

        if (loop->debug) {
            calm__task_desc(t, desc, sizeof(desc));
            t0 = calm__clock_us();
        }
        loop->current = t;
        t->state = CALM__RUNNING;
        calm__switch_from_loop(loop, t);
        loop->current = NULL;
        if (loop->debug)
            calm__debug_slow(loop, "task step", NULL, desc, (calm__clock_us() - t0) / 1000);
    }
    loop->batch_last = NULL;
}

#endif /* CALM_SWITCHING_H */
