/* threadpool.c -- calm_to_thread: a fixed pool of threads started on first use.
 * Jobs go in under a mutex; finished jobs come back on a list and the loop's
 * eventfd wakes the loop, which resumes the waiting task. */
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
        pthread_mutex_lock(&tp->lock);
        calm__list_push(&tp->done, &job->node);
        pthread_mutex_unlock(&tp->lock);
        calm__loop_wake(tp->loop);
        pthread_mutex_lock(&tp->lock);
    }
    pthread_mutex_unlock(&tp->lock);
    return NULL;
}

/* Frees the pool's memory; its threads have exited or never started. */
static void calm__pool_release(calm__threadpool *tp)
{
    while (!calm__list_empty(&tp->pending)) {
        calm__job *job = calm__container_of(tp->pending.next, calm__job, node);
        calm__list_remove(&job->node);
        calm__free(job);
    }
    while (!calm__list_empty(&tp->done)) {
        calm__job *job = calm__container_of(tp->done.next, calm__job, node);
        calm__list_remove(&job->node);
        calm__free(job);
    }
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
        if (job->task != NULL)
            calm__wake(job->task, 0);   /* the task frees the job */
        else
            calm__free(job);            /* abandoned by a cancelled or timed-out caller */
    }
}

int calm_to_thread(calm_work_fn fn, void *arg, calm_time deadline, int *result)
{
    calm_task *t;
    calm__threadpool *tp;
    calm__job *job;
    int rc = calm__enter(&t);

    if (rc != 0)
        return rc;
    if (calm__deadline_passed(t->loop, deadline))
        return CALM_ETIMEDOUT;
    rc = calm__pool_start(t->loop);
    if (rc < 0)
        return rc;
    tp = t->loop->threads;
    job = calm__calloc(1, sizeof(*job));
    if (job == NULL)
        return -ENOMEM;
    job->fn = fn;
    job->arg = arg;
    job->task = t;
    pthread_mutex_lock(&tp->lock);
    calm__list_push(&tp->pending, &job->node);
    pthread_cond_signal(&tp->cond);
    pthread_mutex_unlock(&tp->lock);

    t->loop->refs++;
    rc = calm__suspend(t, deadline, CALM_ETIMEDOUT);
    t->loop->refs--;
    if (job->completed) {
        if (rc == 0 && result != NULL)
            *result = job->result;
        calm__free(job);
        return rc;
    }
    /* gave up early: drop a job not yet started, else leave it to finish */
    pthread_mutex_lock(&tp->lock);
    if (!job->started) {
        calm__list_remove(&job->node);
        calm__free(job);
    } else {
        job->task = NULL;
    }
    pthread_mutex_unlock(&tp->lock);
    return rc;
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
