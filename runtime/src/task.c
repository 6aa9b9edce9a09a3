/* task.c -- stackful tasks: spawn, the switch in and out of a task (with the
 * sanitizer fiber annotations), suspension and wake-up, await, detach,
 * cancellation, sleep/yield, deadline scopes and shields. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "switching.h"

calm_task *calm__current(void)
{
    calm_loop *loop = calm__tls_loop;

    return loop ? loop->current : NULL;
}

calm_task *calm_task_current(void)
{
    return calm__current();
}

/* Task -> next task of the batch, or -> loop. finished: t never runs again,
 * so ASan may drop its fake stack. Returns when t is resumed. */
__attribute__((noinline)) static void calm__switch_out(calm_loop *loop, calm_task *t,
                                                     int finished)
{
    calm_task *next = loop->debug ? NULL : calm__batch_next(loop);

    if (next == t) {                      /* already next in line: keep running */
        t->state = CALM__RUNNING;
        loop->clock_left--;               /* a step all the same: the loop's turn comes */
        return;
    }
    loop->prev = t;
    loop->current = next;
#ifdef CALM__ASAN
    __sanitizer_start_switch_fiber(finished ? NULL : &t->asan_fake,
                                   next ? next->stack : loop->asan_stack_lo,
                                   next ? loop->stacks.size : loop->asan_stack_size);
#else
    (void)finished;
#endif
    if (next != NULL)
        next->state = CALM__RUNNING;
#ifdef CALM__TSAN
    __tsan_switch_to_fiber(next ? next->tsan_fiber : loop->tsan_fiber, 0);
#endif
    /* one switch site for every suspension (noinline): see switch_x86_64.c */
    calm__ctx_switch(&t->ctx, next ? &next->ctx : &loop->ctx);
#ifdef CALM__ASAN
    calm__asan_finish(loop, t->asan_fake, loop->prev == NULL);
#endif
    calm__after_switch(loop);
}

static void calm__task_entry(void *arg)
{
    calm_task *t = arg;

#ifdef CALM__ASAN
    calm__asan_finish(t->loop, NULL, t->loop->prev == NULL);
#endif
    calm__after_switch(t->loop);
    t->result = t->fn(t->arg);
    t->state = CALM__DONE;
    t->loop->live_tasks--;
    calm__switch_out(t->loop, t, 1);
    abort(); /* unreachable: a finished task is never resumed */
}

static void calm__ready_push(calm_loop *loop, calm_task *t)
{
    t->next_ready = NULL;
    if (loop->ready_tail)
        loop->ready_tail->next_ready = t;
    else
        loop->ready_head = t;
    loop->ready_tail = t;
}

#define CALM__TASK_CACHE 1024              /* freed task structs kept, as many as warm stacks */

void calm__task_free(calm_task *t)
{
    calm_loop *loop = t->loop;

    calm__list_remove(&t->all_node);
    calm__list_remove(&t->wait_node);
    calm__heap_remove(loop, &t->deadline);
    calm__release_stack(t);
    if (loop->task_cache_len < CALM__TASK_CACHE) {
        t->next_ready = loop->task_cache;
        loop->task_cache = t;
        loop->task_cache_len++;
        return;
    }
    calm__free(t);
}

static calm_task *calm__task_alloc(calm_loop *loop)
{
    calm_task *t = loop->task_cache;

    if (t == NULL)
        return calm__calloc(1, sizeof(*t));
    loop->task_cache = t->next_ready;
    loop->task_cache_len--;
    memset(t, 0, sizeof(*t));
    return t;
}

/* ---- spawn ----------------------------------------------------------------- */

static void calm__deadline_fire(calm_loop *loop, calm__tnode *node)
{
    calm_task *t = calm__container_of(node, calm_task, deadline);

    (void)loop;
    calm__wake(t, t->timeout_status);
}

static __thread calm__site calm__next_site; /* recorded by the spawn macros */

void calm__spawn_site(const char *fn, const char *file, int line)
{
    calm__next_site.fn = fn;
    calm__next_site.file = file;
    calm__next_site.line = line;
}

void calm__site_take(calm__site *site)
{
    *site = calm__next_site;
    calm__next_site.file = NULL;
    calm__next_site.fn = NULL;
}

calm_task *calm__spawn(calm_loop *loop, const char *name, calm_task_fn fn, void *arg,
                       const calm__site *site)
{
    calm_task *t;

    t = calm__task_alloc(loop);
    if (t == NULL)
        goto fail;
    t->stack = calm__stack_get(&loop->stacks, &t->stack_canary);
    if (t->stack == NULL)
        goto fail;
    t->loop = loop;
    t->fn = fn;
    t->arg = arg;
    t->name = name;
    t->fn_text = site->fn;
    t->site_file = site->file;
    t->site_line = site->line;
    t->state = CALM__NEW;
    t->cancelled = loop->shutting_down;
    t->yield_checks = (t->cancelled ? CALM__YIELD_CANCEL : 0) |
                      (t->stack_canary ? CALM__YIELD_CANARY : 0) |
                      (loop->debug ? CALM__YIELD_DEBUG : 0);
    calm__list_init(&t->wait_node);
    calm__list_init(&t->group_node);
    t->deadline.index = CALM__UNARMED;
    t->deadline.fire = calm__deadline_fire;
    calm__ctx_make(&t->ctx, t->stack, loop->stacks.size, calm__task_entry, t);
#ifdef CALM__TSAN
    t->tsan_fiber = __tsan_create_fiber(0);
#endif
    calm__list_push(&loop->tasks, &t->all_node);
    loop->live_tasks++;
    calm__ready_push(loop, t);
    return t;
fail:
    calm__free(t);
    errno = ENOMEM;
    return NULL;
}

/* The names in parentheses: calm.h makes them macros that record the call site. */
calm_task *(calm_spawn)(calm_loop *loop, calm_task_fn fn, void *arg)
{
    calm__site site;

    calm__site_take(&site);
    return calm__spawn(loop, NULL, fn, arg, &site);
}

calm_task *(calm_spawn_named)(calm_loop *loop, const char *name, calm_task_fn fn, void *arg)
{
    calm__site site;

    calm__site_take(&site);
    return calm__spawn(loop, name, fn, arg, &site);
}

/* ---- suspension and wake-up ------------------------------------------------- */

static calm_time calm__scope_deadline(const calm_task *t)
{
    if (t->scope == NULL || (t->shield > 0 && t->scope == t->shield_base))
        return CALM_FOREVER;
    return t->scope->effective;
}

int calm__deadline_passed(calm_loop *loop, calm_time deadline)
{
    (void)loop;
    /* the loop's clock: at most a few steps old, and a deadline found passed
     * a little late still fires from the timer heap at the next turn */
    return deadline != CALM_FOREVER && deadline <= loop->now;
}

int calm__check(calm_task *t)
{
    calm_time scope;

    if (t->cancelled && t->shield == 0) {
        t->cancel_seen = 1;
        return CALM_ECANCELED;
    }
    scope = calm__scope_deadline(t);
    if (scope != CALM_FOREVER && scope <= t->loop->now)
        return CALM_ETIMEDOUT;
    return 0;
}

int calm__enter(calm_task **t)
{
    *t = calm__current();
    if (*t == NULL)
        return CALM_ENOTASK;
    return calm__check(*t);
}

int calm__suspend(calm_task *t, calm_time deadline, int on_deadline)
{
    calm_time scope = calm__scope_deadline(t);

    t->timeout_status = on_deadline;
    if (scope != CALM_FOREVER && (deadline == CALM_FOREVER || scope < deadline)) {
        deadline = scope;
        t->timeout_status = CALM_ETIMEDOUT;
    }
    if (deadline != CALM_FOREVER) {
        t->deadline.when = deadline;
        if (calm__heap_push(t->loop, &t->deadline) < 0) {
            calm__list_remove(&t->wait_node);
            return -ENOMEM;
        }
    }
    t->state = CALM__WAITING;
    calm__switch_out(t->loop, t, 0);
    if (t->wake_status == CALM_ECANCELED)
        t->cancel_seen = 1;
    return t->wake_status;
}

void calm__wake(calm_task *t, int status)
{
    if (t->state != CALM__WAITING)
        return;
    calm__list_remove(&t->wait_node);
    calm__heap_remove(t->loop, &t->deadline);
    t->wake_status = status;
    t->state = CALM__READY;
    calm__ready_push(t->loop, t);
}

void calm__wake_all(calm__list *waiters, int status)
{
    while (!calm__list_empty(waiters))
        calm__wake(calm__container_of(waiters->next, calm_task, wait_node), status);
}

int calm_sleep(int64_t ms)
{
    calm_task *t;
    int rc = calm__enter(&t);

    if (rc != 0)
        return rc;
    if (ms <= 0)
        return calm_yield();
    return calm__suspend(t, calm_now() + ms, 0);
}

/* A yield handed straight from one task to the next, when nothing but the
 * ready queue is involved: t goes to the back, the head runs. Returns 0, with
 * nothing changed, when the loop must decide instead (calm__batch_next's
 * rules, repeated here). t has none of the CALM__YIELD_* reasons to go the
 * general way (a debug loop, a stack with a canary to check). What the resumed
 * task's calm__after_switch would do is done before the switch (the step
 * count), so it finds no previous task to finish. The sanitizer builds, which
 * annotate every switch, go the general way. */
static inline int calm__yield_handoff(calm_loop *loop, calm_task *t)
{
#if defined(CALM__ASAN) || defined(CALM__TSAN)
    (void)loop;
    (void)t;
    return 0;
#else
    calm_task *next = loop->ready_head, *last, *after;

    if (next == NULL)
        return 0;                         /* alone: the loop decides */
    last = loop->batch_last;
    if (last == NULL) {
        /* the batch ended: callbacks, a stop, timers or I/O due go first */
        if (loop->soon_len > 0 || atomic_load_explicit(&loop->stop, memory_order_relaxed) ||
            (loop->clock_left <= 0 && calm__loop_turn_due(loop)))
            return 0;
        loop->batch_last = t;             /* the next batch: those ready now, t last */
    } else if (next == last) {
        loop->batch_last = NULL;
    }
    after = next->next_ready;             /* t's own link is NULL: a running task is unqueued */
    if (after != NULL)
        loop->ready_tail->next_ready = t;
    else
        after = t;
    loop->ready_head = after;
    loop->ready_tail = t;
    next->next_ready = NULL;
    /* states stay as they were: only WAITING and DONE are ever tested, and
     * neither task is either (two stores were 0.2 ns of a yield) */
    loop->current = next;
    loop->clock_left--;
    calm__ctx_switch(&t->ctx, &next->ctx);
    calm__after_switch(loop);
    return 1;
#endif
}

int calm_yield(void)
{
    calm_loop *loop = calm__tls_loop;      /* not t->loop: one load less on the way to the switch */
    calm_task *t;

    if (loop == NULL || (t = loop->current) == NULL)
        return CALM_ENOTASK;
    if (__builtin_expect(t->yield_checks != 0, 0)) {
        if (t->yield_checks & (CALM__YIELD_CANCEL | CALM__YIELD_SCOPE)) {
            int rc = calm__check(t);      /* what calm__enter does, its common case inline */
            if (rc != 0)
                return rc;
        }
    } else if (calm__yield_handoff(loop, t)) {
        return 0;                         /* t was ready, not waiting: nothing set a status */
    }
    t->wake_status = 0;
    /* straight to the back of the ready queue: nothing to unlink, no deadline */
    t->state = CALM__READY;
    calm__ready_push(loop, t);
    calm__switch_out(loop, t, 0);
    return t->wake_status;
}

/* ---- await, detach, cancel ------------------------------------------------ */

int calm_await(calm_task *task, calm_time deadline, int *result)
{
    calm_task *self = calm__current();
    int rc;

    if (self == NULL)
        return CALM_ENOTASK;
    if (task == self)
        return -EDEADLK;
    task->owned = 1;
    rc = calm__check(self);
    if (rc == 0 && task->state != CALM__DONE) {
        if (calm__deadline_passed(self->loop, deadline)) {
            rc = CALM_ETIMEDOUT;
        } else {
            task->awaiter = self;
            rc = calm__suspend(self, deadline, CALM_ETIMEDOUT);
            task->awaiter = NULL;
        }
    }
    if (rc == 0) {
        if (result != NULL)
            *result = task->result;
        calm__task_free(task);
        return 0;
    }
    /* the caller stops waiting: the task must not outlive its purpose unseen */
    calm_cancel(task);
    calm_detach(task);
    return rc;
}

void calm_detach(calm_task *task)
{
    char name[256];

    if (task == NULL)
        return;
    task->owned = 1;
    task->detached = 1;
    if (task->state != CALM__DONE || task->stack != NULL)
        return;
    if (task->result < 0 && task->result != CALM_ECANCELED)
        calm__report(task->loop, task->result, "detached task %s failed: %s",
                     calm__task_desc(task, name, sizeof(name)), calm_strerror(task->result));
    calm__task_free(task);
}

void calm_cancel(calm_task *task)
{
    if (task == NULL || task->state == CALM__DONE)
        return;
    task->cancelled = 1;
    task->yield_checks |= CALM__YIELD_CANCEL;
    if (task->state == CALM__WAITING && task->shield == 0)
        calm__wake(task, CALM_ECANCELED);
}

/* ---- scopes and shields ------------------------------------------------------ */

void calm_scope_enter(calm_scope *scope, calm_time deadline)
{
    calm_task *t = calm__current();
    calm_time outer;

    scope->deadline = deadline;
    scope->effective = deadline;
    scope->task = t;
    scope->outer = NULL;
    if (t == NULL)
        return;
    scope->outer = t->scope;
    outer = calm__scope_deadline(t);
    if (outer != CALM_FOREVER && (deadline == CALM_FOREVER || outer < deadline))
        scope->effective = outer;
    t->scope = scope;
    t->yield_checks |= CALM__YIELD_SCOPE;
}

void calm_scope_exit(calm_scope *scope)
{
    calm_task *t = scope->task;

    if (t != NULL && t->scope == scope) {
        t->scope = scope->outer;
        if (t->scope == NULL)
            t->yield_checks &= ~CALM__YIELD_SCOPE;
    }
}

void calm_shield_enter(void)
{
    calm_task *t = calm__current();

    if (t != NULL && t->shield++ == 0)
        t->shield_base = t->scope;
}

void calm_shield_exit(void)
{
    calm_task *t = calm__current();

    if (t != NULL && t->shield > 0 && --t->shield == 0)
        t->shield_base = NULL;
}

/* ---- loop teardown ---------------------------------------------------------- */

/* Destroys every task without running it: first cut every link between tasks
 * and the primitives they wait on, then free, so no free touches freed memory. */
void calm__tasks_free(calm_loop *loop)
{
    calm__list *n;
    char name[256];

    for (n = loop->tasks.next; n != &loop->tasks; n = n->next) {
        calm_task *t = calm__container_of(n, calm_task, all_node);
        calm__list_remove(&t->wait_node);
        calm__heap_remove(loop, &t->deadline);
        t->awaiter = NULL;
        if (loop->debug && !t->owned)
            calm__report(loop, 0, "task %s was never awaited, grouped or detached",
                         calm__task_desc(t, name, sizeof(name)));
        else if (loop->debug && t->state != CALM__DONE)
            calm__report(loop, 0, "task %s was still alive at loop free; "
                         "call calm_loop_shutdown first", calm__task_desc(t, name, sizeof(name)));
    }
    while (!calm__list_empty(&loop->tasks)) {
        calm_task *t = calm__container_of(loop->tasks.next, calm_task, all_node);
        if (t->state != CALM__DONE)
            loop->live_tasks--;
        if (t->group != NULL)
            calm__group_member_drop(t->group, t);
        calm__task_free(t);
    }
    loop->ready_head = loop->ready_tail = NULL;
    while (loop->task_cache != NULL) {
        calm_task *t = loop->task_cache;
        loop->task_cache = t->next_ready;
        calm__free(t);
    }
    loop->task_cache_len = 0;
}
