/* threadpool.c -- calm_to_thread(_detached): a fixed pool of threads started on
 * first use. Jobs go in under a mutex; finished jobs come back on a list and the
 * loop's eventfd wakes the loop, which resumes the waiting task or, for work its
 * caller abandoned, calls the completion callback that owns the argument. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "internal.h"

typedef struct calm__job {
    calm__list node;                      /* in pending or done (under the lock) */
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
    pthread_cond_t cond;
    calm__list pending;                   /* not yet started */
    calm__list done;                      /* finished, not yet seen by the loop */
    int stop;                             /* workers exit */
    calm_loop *loop;
    unsigned nthreads;
    pthread_t *threads;
};

static void *calm__worker(void *arg)
{
    calm__threadpool *tp = arg;

    pthread_mutex_lock(&tp->lock);
    for (;;) {
        calm__job *job;
        if (tp->stop)
            break;
        if (calm__list_empty(&tp->pending)) {
            pthread_cond_wait(&tp->cond, &tp->lock);
            continue;
        }
        job = calm__container_of(tp->pending.next, calm__job, node);
        calm__list_remove(&job->node);
        job->started = 1;
        pthread_mutex_unlock(&tp->lock);
        job->result = job->fn(job->arg);
        job->ran = 1;
        pthread_mutex_lock(&tp->lock);
        calm__list_push(&tp->done, &job->node);
        pthread_mutex_unlock(&tp->lock);
        calm__loop_wake(tp->loop);
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
    calm__jobs_release(tp->loop, &tp->pending);
    calm__jobs_release(tp->loop, &tp->done);
    pthread_cond_destroy(&tp->cond);
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
    pthread_mutex_init(&tp->lock, NULL);
    pthread_cond_init(&tp->cond, NULL);
    calm__list_init(&tp->pending);
    calm__list_init(&tp->done);
    tp->loop = loop;
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
    calm__list done;

    if (tp == NULL)
        return;
    calm__list_init(&done);
    pthread_mutex_lock(&tp->lock);
    if (!calm__list_empty(&tp->done)) {
        done.next = tp->done.next;
        done.prev = tp->done.prev;
        done.next->prev = &done;
        done.prev->next = &done;
        calm__list_init(&tp->done);
    }
    pthread_mutex_unlock(&tp->lock);
    while (!calm__list_empty(&done)) {
        calm__job *job = calm__container_of(done.next, calm__job, node);
        calm__list_remove(&job->node);
        job->completed = 1;
        if (job->task != NULL) {
            calm__wake(job->task, 0);   /* the task frees the job */
        } else {
            loop->refs--;               /* abandoned: the callback owns arg now */
            calm__job_done(loop, job);
        }
    }
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
        pthread_mutex_lock(&tp->lock);
        calm__list_push(&tp->done, &job->node);
        pthread_mutex_unlock(&tp->lock);
        calm__loop_wake(t->loop);
        return early;
    }
    job->task = t;
    pthread_mutex_lock(&tp->lock);
    calm__list_push(&tp->pending, &job->node);
    pthread_cond_signal(&tp->cond);
    pthread_mutex_unlock(&tp->lock);

    t->loop->refs++;
    rc = calm__suspend(t, deadline, CALM_ETIMEDOUT);
    /* only a deadline or a cancellation abandons; -ENOMEM (no deadline timer) waits */
    abandon = on_done != NULL && (rc == CALM_ETIMEDOUT || rc == CALM_ECANCELED);
    if (!job->completed) {
        int started;

        pthread_mutex_lock(&tp->lock);
        started = job->started;
        if (!started)
            calm__list_remove(&job->node);      /* dropped: fn never sees arg */
        if (abandon && !started)
            calm__list_push(&tp->done, &job->node);
        if (abandon)
            job->task = NULL;                   /* its completion calls on_done */
        pthread_mutex_unlock(&tp->lock);
        if (abandon) {
            if (!started)
                calm__loop_wake(t->loop);
            return rc;                          /* the job keeps its loop reference */
        }
        if (!started) {
            t->loop->refs--;
            calm__free(job);
            return rc;
        }
        calm__wait_started(t, job);
    } else if (abandon) {
        /* finished as the wait ended: the callback owns arg all the same */
        job->task = NULL;
        job->completed = 0;
        pthread_mutex_lock(&tp->lock);
        calm__list_push(&tp->done, &job->node);
        pthread_mutex_unlock(&tp->lock);
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
    tp->stop = 1;
    pthread_cond_broadcast(&tp->cond);
    pthread_mutex_unlock(&tp->lock);
    for (i = 0; i < tp->nthreads; i++)
        pthread_join(tp->threads[i], NULL);
    calm__pool_release(tp);
    loop->threads = NULL;
}
