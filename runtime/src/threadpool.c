/* threadpool.c -- calm_to_thread(_detached): a fixed pool of threads started on
 * first use. Jobs go in under a mutex; finished jobs come back on a lock-free
 * stack and the loop's eventfd wakes the loop, which resumes the waiting task
 * or, for work its caller abandoned, calls the completion callback that owns
 * the argument.
 * A round trip of a short job costs no system call while a CPU is free: one
 * idle worker watches for the next job instead of sleeping, and the loop,
 * before it would sleep with jobs in flight, watches for their completion (no
 * eventfd write meanwhile). On a machine without a free CPU both stop
 * watching and sleep, as a plain pool does (calm__spin). */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* a watch budget that adapts to how busy the machine is (see calm__watch_for) */
typedef struct calm__spin {
    unsigned budget_us;                   /* the next watch; 0: sleep at once */
    unsigned skipped;                     /* watches skipped since the budget ran out */
} calm__spin;

/* A sleeping worker, on its own stack: the futex it sleeps on. */
typedef struct calm__idle {
    atomic_uint woken;                    /* set by whoever takes it off the idle stack */
    struct calm__idle *next;
} calm__idle;

typedef struct calm__job {
    calm__list node;                      /* in pending (under the lock) */
    struct calm__job *next_done;          /* in the done stack */
    calm_work_fn fn;
    void *arg;
    int result;                           /* fn's return, written by the worker */
    int started;                          /* a worker took it (under the lock) */
    /* loop side only */
    calm_task *task;                      /* waiting task; NULL once it gave up */
    calm_work_done_fn on_done;            /* detached variant: owns arg once abandoned */
    void *done_arg;
    int ran;                              /* fn ran to its end (not dropped) */
    int completed;                        /* the loop has seen it finish */
} calm__job;

struct calm__threadpool {
    pthread_mutex_t lock;
    struct calm__idle *idle;              /* sleeping workers, the last to sleep first (under the lock) */
    calm__list pending;                   /* not yet started */
    /* finished, not yet seen by the loop: a stack pushed without the lock, so
     * a worker handing back a job never waits for the loop taking the others */
    _Atomic(calm__job *) done;
    atomic_uint queued;                   /* jobs on pending (changed under the lock) */
    atomic_uint ndone;                    /* pushes on done since the loop last took it */
    unsigned inflight;                    /* loop side: jobs submitted, not yet completed */
    atomic_int spinning;                  /* a worker watches for the next job (under the lock) */
    calm__spin worker_spin;               /* the watching worker's budget (under the lock) */
    calm__spin loop_spin;                 /* the loop's, for completions (loop side only) */
    atomic_int stop;                      /* workers exit */
    calm_loop *loop;
    unsigned nthreads;
    pthread_t *threads;
    int watch;                            /* more than one CPU: watching can pay off */
};

/* Any thread: hands a finished (or refused) job back to the loop. */
static void calm__done_push(calm__threadpool *tp, calm__job *job)
{
    calm__job *head = atomic_load_explicit(&tp->done, memory_order_relaxed);

    do
        job->next_done = head;
    while (!atomic_compare_exchange_weak_explicit(&tp->done, &head, job, memory_order_release,
                                                  memory_order_relaxed));
    /* seq_cst: ordered before the wake-up check that follows (calm__loop_wake) */
    atomic_fetch_add(&tp->ndone, 1);
}

/* Loop side: takes every job handed back, oldest first. */
static calm__job *calm__done_take(calm__threadpool *tp)
{
    calm__job *job, *fifo = NULL;

    atomic_store(&tp->ndone, 0);
    job = atomic_exchange_explicit(&tp->done, NULL, memory_order_acquire);
    while (job != NULL) {
        calm__job *next = job->next_done;
        job->next_done = fifo;
        fifo = job;
        job = next;
    }
    return fifo;
}

/* Watching instead of sleeping pays only while the thread watched for runs on
 * another CPU. On a machine with more runnable threads than CPUs it does not:
 * the watcher spends the CPU the other thread needs, and the scheduler then
 * favours the threads that slept. So each watch has a budget that adapts: it
 * is the whole watch again when what was watched for came, halves when it did
 * not, and drops to nothing when the watch itself lost its CPU (a gap in the
 * clock while spinning). With no budget, one watch in CALM__PROBE_EVERY is a
 * whole one, so that watching resumes once the machine is free again (a
 * shorter probe would not: the loop's watch only pays while a worker watches
 * too, and a worker's only while the loop is awake to hand it the next job). */
#define CALM__SPIN_US 50       /* an idle worker, for the next job */
#define CALM__WATCH_US 20      /* the loop, for jobs in flight to complete */
#define CALM__PROBE_EVERY 32   /* watches skipped between probes */
#define CALM__PREEMPTED_US 30  /* a gap this long while spinning: the CPU was lost */

enum { CALM__CAME, CALM__TIMEOUT, CALM__PREEMPTED };

static inline void calm__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* How long the next watch may last, 0 for none. */
static unsigned calm__spin_budget(calm__spin *s, unsigned max_us)
{
    if (s->budget_us > 0)
        return s->budget_us;
    if (++s->skipped < CALM__PROBE_EVERY)
        return 0;
    s->skipped = 0;
    return max_us;
}

static void calm__spin_learn(calm__spin *s, int outcome, unsigned max_us)
{
    if (outcome == CALM__CAME)
        s->budget_us = max_us;
    else if (outcome == CALM__PREEMPTED)
        s->budget_us = 0;
    else
        s->budget_us /= 2;
}

/* Spins until *count > 0 (or *stop, when given), for at most budget_us. */
static int calm__watch_for(atomic_uint *count, atomic_int *stop, unsigned budget_us)
{
    int64_t start = calm__clock_us(), last = start;
    unsigned i = 0;

    for (;;) {
        if (atomic_load_explicit(count, memory_order_acquire) > 0 ||
            (stop != NULL && atomic_load_explicit(stop, memory_order_relaxed)))
            return CALM__CAME;
        calm__cpu_relax();
        if ((++i & 63) == 0) {
            int64_t now = calm__clock_us();
            if (now - last >= CALM__PREEMPTED_US)
                return CALM__PREEMPTED;
            if (now - start >= budget_us)
                return CALM__TIMEOUT;
            last = now;
        }
    }
}

/* Idle workers sleep on a futex each, not on a condition variable: glibc's
 * pthread_cond_wait takes the mutex back marked contended, so the worker's
 * next unlock was a futex wake-up for nobody, one system call a job. The
 * worker that went to sleep last is woken first: it is the one whose cache,
 * and whose place with the scheduler, are the freshest. */
static void calm__idle_wait(calm__idle *me)
{
    /* returns at a wake-up, at once when woken is set, or on EINTR */
    while (!atomic_load(&me->woken))
        (void)syscall(SYS_futex, &me->woken, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

/* Any thread, once me is off the idle stack: me's worker outlives the call
 * (workers exit only after the pool is stopped and every sleeper woken). */
static void calm__idle_wake(calm__idle *me)
{
    atomic_store(&me->woken, 1);
    (void)syscall(SYS_futex, &me->woken, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *calm__worker(void *arg)
{
    calm__threadpool *tp = arg;
    int watched = 0;                      /* the last watch ended with nothing: sleep */
    calm__idle me;

    pthread_mutex_lock(&tp->lock);
    for (;;) {
        calm__job *job;
        if (atomic_load(&tp->stop))
            break;
        if (calm__list_empty(&tp->pending)) {
            /* one worker at a time watches instead of sleeping; the others sleep */
            unsigned budget;
            if (tp->watch && !watched && !atomic_load(&tp->spinning) &&
                (budget = calm__spin_budget(&tp->worker_spin, CALM__SPIN_US)) > 0) {
                int outcome;
                atomic_store(&tp->spinning, 1);
                pthread_mutex_unlock(&tp->lock);
                outcome = calm__watch_for(&tp->queued, &tp->stop, budget);
                pthread_mutex_lock(&tp->lock);
                calm__spin_learn(&tp->worker_spin, outcome, CALM__SPIN_US);
                atomic_store(&tp->spinning, 0);
                watched = outcome != CALM__CAME;
                continue;                 /* re-checked under the lock before any sleep */
            }
            /* on the stack under the lock: a job queued after the unlock wakes it */
            atomic_store(&me.woken, 0);
            me.next = tp->idle;
            tp->idle = &me;
            pthread_mutex_unlock(&tp->lock);
            calm__idle_wait(&me);         /* whoever woke it took it off the stack */
            pthread_mutex_lock(&tp->lock);
            watched = 0;
            continue;
        }
        watched = 0;
        job = calm__container_of(tp->pending.next, calm__job, node);
        calm__list_remove(&job->node);
        atomic_fetch_sub_explicit(&tp->queued, 1, memory_order_relaxed);
        job->started = 1;
        pthread_mutex_unlock(&tp->lock);
        job->result = job->fn(job->arg);
        job->ran = 1;
        calm__done_push(tp, job);
        calm__loop_wake(tp->loop);        /* no write while the loop watches (calm__threadpool_watch) */
        pthread_mutex_lock(&tp->lock);
    }
    pthread_mutex_unlock(&tp->lock);
    return NULL;
}

/* Hands an abandoned job to its completion callback and frees it: status 0
 * when fn ran to its end, CALM_ECANCELED when it never started. */
static void calm__job_done(calm_loop *loop, calm__job *job)
{
    calm_work_done_fn on_done = job->on_done;
    void *arg = job->arg, *done_arg = job->done_arg;
    int ran = job->ran, result = job->result;

    calm__free(job);
    on_done(loop, ran ? 0 : CALM_ECANCELED, ran ? result : 0, arg, done_arg);
}

/* Frees the jobs of one list at loop teardown; abandoned ones go to their callback. */
static void calm__jobs_release(calm_loop *loop, calm__list *list)
{
    while (!calm__list_empty(list)) {
        calm__job *job = calm__container_of(list->next, calm__job, node);
        calm__list_remove(&job->node);
        if (job->on_done != NULL)
            calm__job_done(loop, job);
        else
            calm__free(job);
    }
}

/* Frees the pool's memory; its threads have exited or never started. */
static void calm__pool_release(calm__threadpool *tp)
{
    calm__job *job = calm__done_take(tp);

    calm__jobs_release(tp->loop, &tp->pending);
    while (job != NULL) {
        calm__job *next = job->next_done;
        if (job->on_done != NULL)
            calm__job_done(tp->loop, job);
        else
            calm__free(job);
        job = next;
    }
    pthread_mutex_destroy(&tp->lock);
    calm__free(tp->threads);
    calm__free(tp);
}

static int calm__pool_start(calm_loop *loop)
{
    calm__threadpool *tp;
    sigset_t all, old;
    unsigned i;

    if (loop->threads != NULL)
        return 0;
    tp = calm__calloc(1, sizeof(*tp));
    if (tp == NULL)
        return -ENOMEM;
    tp->threads = calm__calloc(loop->nthreads, sizeof(pthread_t));
    if (tp->threads == NULL) {
        calm__free(tp);
        return -ENOMEM;
    }
    {
        /* held for a few list operations only: a short spin beats a futex sleep */
        pthread_mutexattr_t attr;
        pthread_mutexattr_init(&attr);
        pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
        pthread_mutex_init(&tp->lock, &attr);
        pthread_mutexattr_destroy(&attr);
    }
    calm__list_init(&tp->pending);
    atomic_init(&tp->done, NULL);
    tp->loop = loop;
    /* on one CPU a watching thread only keeps the one it waits for off it */
    tp->watch = sysconf(_SC_NPROCESSORS_ONLN) > 1;
    tp->worker_spin.budget_us = CALM__SPIN_US;
    tp->loop_spin.budget_us = CALM__WATCH_US;
    /* workers never take signals: they belong to the loop thread's handlers */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (i = 0; i < loop->nthreads; i++) {
        if (calm__alloc_should_fail() || pthread_create(&tp->threads[i], NULL, calm__worker, tp) != 0)
            break;
        tp->nthreads++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (tp->nthreads == 0) {
        calm__pool_release(tp);
        return -EAGAIN;
    }
    loop->threads = tp;
    return 0;
}

void calm__threadpool_complete(calm_loop *loop)
{
    calm__threadpool *tp = loop->threads;
    calm__job *job;

    if (tp == NULL)
        return;
    job = calm__done_take(tp);
    while (job != NULL) {
        calm__job *next = job->next_done;
        job->completed = 1;
        tp->inflight--;
        if (job->task != NULL) {
            calm__wake(job->task, 0);   /* the task frees the job */
        } else {
            loop->refs--;               /* abandoned: the callback owns arg now */
            calm__job_done(loop, job);
        }
        job = next;
    }
}

/* The loop, with nothing else to do but wait for offloaded jobs, watches for
 * their completion before it sleeps in epoll_wait (within its budget): a
 * short job then comes back without an eventfd write, an epoll_wait and a
 * wake-up. */
int calm__threadpool_watch(calm_loop *loop)
{
    calm__threadpool *tp = loop->threads;
    unsigned budget;
    int came;

    if (tp == NULL || tp->inflight == 0 || !tp->watch)
        return 0;
    if ((budget = calm__spin_budget(&tp->loop_spin, CALM__WATCH_US)) == 0)
        return 0;
    /* workers skip the eventfd write while this is set: the loop is awake */
    if (atomic_exchange(&loop->wake_pending, 1))
        return 0;                         /* a write is on its way: poll for it */
    calm__spin_learn(&tp->loop_spin, calm__watch_for(&tp->ndone, NULL, budget), CALM__WATCH_US);
    /* re-arm first, then look: a job done after the look writes the eventfd */
    atomic_store(&loop->wake_pending, 0);
    came = atomic_load(&tp->ndone) > 0;
    if (came)
        calm__threadpool_complete(loop);
    return came;
}

/* Test hook: the watch budgets now, in microseconds (0 without a pool). */
void calm__threadpool_budgets(const calm_loop *loop, unsigned *loop_us, unsigned *worker_us)
{
    calm__threadpool *tp = loop->threads;

    *loop_us = *worker_us = 0;
    if (tp == NULL)
        return;
    *loop_us = tp->loop_spin.budget_us;
    pthread_mutex_lock(&tp->lock);
    *worker_us = tp->worker_spin.budget_us;
    pthread_mutex_unlock(&tp->lock);
}

/* Waits for a job that a worker has started, seeing neither cancellation nor
 * any deadline: fn still uses arg, so the caller cannot be let go before it ends.
 * The task's cancellation flag stays set for its next suspension. */
static void calm__wait_started(calm_task *t, calm__job *job)
{
    calm_scope *base = t->shield_base;

    if (t->shield++ == 0)
        t->shield_base = t->scope;
    while (!job->completed)
        (void)calm__suspend(t, CALM_FOREVER, 0);
    if (--t->shield == 0)
        t->shield_base = base;
}

/* Both offload calls. on_done NULL: wait for a started fn (the default);
 * otherwise abandon it to on_done. */
static int calm__to_thread(calm_work_fn fn, void *arg, calm_time deadline, int *result,
                           calm_work_done_fn on_done, void *done_arg)
{
    calm_task *t;
    calm__threadpool *tp;
    calm__job *job;
    calm__idle *wake;
    int rc = calm__enter(&t), early, abandon;

    if (rc == CALM_ENOTASK || (rc != 0 && on_done == NULL))
        return rc;
    early = rc;
    if (early == 0 && calm__deadline_passed(t->loop, deadline))
        early = CALM_ETIMEDOUT;
    if (early != 0 && on_done == NULL)
        return early;
    rc = calm__pool_start(t->loop);
    if (rc < 0)
        return rc;
    tp = t->loop->threads;
    job = calm__calloc(1, sizeof(*job));
    if (job == NULL)
        return -ENOMEM;
    job->fn = fn;
    job->arg = arg;
    job->on_done = on_done;
    job->done_arg = done_arg;
    if (early != 0) {
        /* detached and refused at once: the callback still gets arg, from the loop */
        t->loop->refs++;
        tp->inflight++;
        calm__done_push(tp, job);
        calm__loop_wake(t->loop);
        return early;
    }
    job->task = t;
    tp->inflight++;
    pthread_mutex_lock(&tp->lock);
    calm__list_push(&tp->pending, &job->node);
    atomic_fetch_add_explicit(&tp->queued, 1, memory_order_relaxed);
    /* a watching worker takes it without being woken */
    wake = atomic_load(&tp->spinning) ? NULL : tp->idle;
    if (wake != NULL)
        tp->idle = wake->next;
    pthread_mutex_unlock(&tp->lock);
    /* after the unlock: a worker woken under the lock would at once block on it */
    if (wake != NULL)
        calm__idle_wake(wake);

    t->loop->refs++;
    rc = calm__suspend(t, deadline, CALM_ETIMEDOUT);
    /* only a deadline or a cancellation abandons; -ENOMEM (no deadline timer) waits */
    abandon = on_done != NULL && (rc == CALM_ETIMEDOUT || rc == CALM_ECANCELED);
    if (!job->completed) {
        int started;

        pthread_mutex_lock(&tp->lock);
        started = job->started;
        if (!started) {
            calm__list_remove(&job->node);      /* dropped: fn never sees arg */
            atomic_fetch_sub_explicit(&tp->queued, 1, memory_order_relaxed);
        }
        if (abandon)
            job->task = NULL;                   /* its completion calls on_done */
        pthread_mutex_unlock(&tp->lock);
        if (abandon) {
            if (!started) {
                calm__done_push(tp, job);
                calm__loop_wake(t->loop);
            }
            return rc;                          /* the job keeps its loop reference */
        }
        if (!started) {
            t->loop->refs--;
            tp->inflight--;
            calm__free(job);
            return rc;
        }
        calm__wait_started(t, job);
    } else if (abandon) {
        /* finished as the wait ended: the callback owns arg all the same */
        job->task = NULL;
        job->completed = 0;
        tp->inflight++;
        calm__done_push(tp, job);
        calm__loop_wake(t->loop);
        return rc;
    }
    t->loop->refs--;
    if (result != NULL)
        *result = job->result;
    calm__free(job);
    return rc;
}

int calm_to_thread(calm_work_fn fn, void *arg, calm_time deadline, int *result)
{
    return calm__to_thread(fn, arg, deadline, result, NULL, NULL);
}

int calm_to_thread_detached(calm_work_fn fn, void *arg, calm_time deadline, int *result,
                            calm_work_done_fn on_done, void *done_arg)
{
    if (on_done == NULL)
        return -EINVAL;
    return calm__to_thread(fn, arg, deadline, result, on_done, done_arg);
}

/* Loop teardown only (outside calm_loop_run): waits for running jobs to end. */
void calm__threadpool_free(calm_loop *loop)
{
    calm__threadpool *tp = loop->threads;
    unsigned i;

    if (tp == NULL)
        return;
    pthread_mutex_lock(&tp->lock);
    atomic_store(&tp->stop, 1);
    while (tp->idle != NULL) {
        calm__idle *me = tp->idle;
        tp->idle = me->next;
        calm__idle_wake(me);              /* under the lock: it cannot leave before it is woken */
    }
    pthread_mutex_unlock(&tp->lock);
    for (i = 0; i < tp->nthreads; i++)
        pthread_join(tp->threads[i], NULL);
    calm__pool_release(tp);
    loop->threads = NULL;
}
