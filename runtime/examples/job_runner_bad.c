/* job_runner_bad: the job runner written with the mistakes the asyncio guide warns about,
 * kept so that calm-lint has a real program to show. It compiles, and on a good day it
 * even runs, but each line marked MISTAKE(<rule>) is a bug that calm-lint rule reports
 * there (a "leaks here" comment marks the path of a leak reported at its acquisition).
 * runtime/examples/job_runner.c is the same program done right: never copy this one. */
#define _GNU_SOURCE /* snprintf and the pthread types under -std=c11 */
#include <calm.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static calm_loop *loop;
static sqlite3 *db;              /* one connection, used straight from the loop thread */
static calm_sem *cpu_slots;      /* meant to bound the CPU work */
static calm_event *jobs_ready;   /* set when new jobs may be pending */
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t jobs_done;

/* The guide's "synchronous DB call on the loop", one call away from the task. */
static int mark_job(int64_t id, const char *state)
{
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE jobs SET state = '%s' WHERE id = %" PRId64, state, id);
    return sqlite3_exec(db, sql, NULL, NULL, NULL); // MISTAKE(blocking-in-loop): reached from the run_job task through mark_job
}

/* Worker function (thread pool): the CPU-heavy part, on a thread instead of a process. */
static int crunch(void *arg)
{
    uint64_t x = (uint64_t)(uintptr_t)arg;
    for (int i = 0; i < 20000000; i++)
        x = x * 6364136223846793005u + 1442695040888963407u;
    calm_event_set(jobs_ready); // MISTAKE(loop-call-off-loop): calm_event_set is a loop API, called here on a pool thread
    return (int)(x & 1);
}

/* Task: one job. */
static int run_job(void *arg)
{
    int64_t id = (int64_t)(intptr_t)arg;
    int status = calm_sem_acquire(cpu_slots, calm_after(1000)); // MISTAKE(unreleased-semaphore): not released when the offload fails
    if (status < 0)
        return status;
    int odd = 0;
    status = calm_to_thread(crunch, arg, calm_after(5000), &odd);
    if (status < 0)
        return status; // leaks here: the permit taken above is never given back
    calm_sem_release(cpu_slots);

    mark_job(id, odd ? "failed" : "done");

    pthread_mutex_lock(&stats_lock);
    jobs_done++;
    status = calm_sleep(10); // MISTAKE(lock-across-await): the mutex stays held while the task is suspended
    pthread_mutex_unlock(&stats_lock);
    return status;
}

/* Loop callback (timer): a heartbeat row, written synchronously from the loop. */
static void on_heartbeat(calm_loop *l, void *arg)
{
    (void)l;
    (void)arg;
    sqlite3_exec(db, "UPDATE runner SET beat = strftime('%s', 'now')", NULL, NULL, NULL); // MISTAKE(blocking-in-loop): a database write in a timer callback
}

/* Task: prints progress now and then. */
static int report_progress(void *arg)
{
    (void)arg;
    for (;;) {
        int status = calm_sleep(1000);
        if (status == CALM_ECANCELED) // MISTAKE(swallowed-cancel): the cancellation is noticed, then the loop goes on
            continue;
        printf("job_runner_bad: %" PRId64 " jobs done\n", jobs_done);
    }
    return 0;
}

/* Task: the poller. */
static int poll_jobs(void *arg)
{
    (void)arg;
    calm_task **running = NULL;
    size_t count = 0;
    sqlite3_stmt *pending = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id FROM jobs WHERE state = 'pending'", -1, &pending, NULL) != SQLITE_OK) // MISTAKE(blocking-in-loop): preparing waits for the schema lock
        return -EIO;
    while (sqlite3_step(pending) == SQLITE_ROW) { // MISTAKE(blocking-in-loop): sqlite3_step in a task body
        int64_t id = sqlite3_column_int64(pending, 0);
        calm_task **grown = realloc(running, (count + 1) * sizeof *running);
        if (grown == NULL)
            break;
        running = grown;
        mark_job(id, "running");
        running[count++] = calm_spawn(loop, run_job, (void *)(intptr_t)id); // MISTAKE(unbounded-spawn): one task per pending row, however many rows there are
    }
    sqlite3_finalize(pending);
    for (size_t i = 0; i < count; i++)
        calm_await(running[i], calm_after(60000), NULL); // MISTAKE(swallowed-cancel): the status of the await is ignored
    free(running);
    return calm_event_wait(jobs_ready, CALM_FOREVER); // MISTAKE(missing-timeout): waits forever if no job ever comes
}

/* Task: the runner. */
static int run_runner(void *arg)
{
    const char *path = arg;
    calm_task *progress = calm_spawn(loop, report_progress, NULL); // MISTAKE(unawaited-task): leaks when the open fails
    if (sqlite3_open(path, &db) != SQLITE_OK) // MISTAKE(blocking-in-loop): sqlite3_open in a task body
        return -EIO; // leaks here: nobody awaits, cancels or detaches the progress task
    calm_timer_start(loop, 1000, 1000, on_heartbeat, NULL);
    calm_spawn(loop, poll_jobs, NULL); // MISTAKE(unawaited-task): the poller's handle is dropped, so its failure is never seen
    int status = calm_sleep(5000);
    calm_cancel(progress);
    int stopped = calm_await(progress, calm_after(1000), NULL);
    sqlite3_close(db); // MISTAKE(blocking-in-loop): closing checkpoints the write-ahead log on the loop
    return status < 0 ? status : stopped;
}

int main(int argc, char **argv)
{
    loop = calm_loop_new(NULL);
    if (loop == NULL)
        return 1;
    cpu_slots = calm_sem_new(loop, 4);
    jobs_ready = calm_event_new(loop);
    calm_detach(calm_spawn(loop, run_runner, argc > 1 ? argv[1] : "jobs.db"));
    int status = calm_loop_run(loop);
    calm_loop_free(loop);
    return status == 0 ? 0 : 1;
}
