/* test_offload.c -- calm_to_thread(_detached) and calm_to_process: results,
 * deadlines and cancellations that wait for the work (or abandon it to its
 * completion callback), dropped queued jobs, and worker processes that die. */
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static calm_loop *L;

static int square(void *arg)
{
    long v = (long)arg;

    usleep(1000);
    return (int)(v * v);
}

static int thread_results(void *arg)
{
    int res = -1;

    ASSERT_EQ(calm_to_thread(square, arg, calm_after(5000), &res), 0);
    ASSERT_EQ(res, (long)arg * (long)arg);
    return 0;
}

void test_thread_results(void)
{
    long i;

    L = test_loop();
    for (i = 0; i < 20; i++)
        spawn_detached(L, thread_results, (void *)i);
    close_loop_clean(L);
    ASSERT_EQ(test_errors, 0);
}

/* Holds the pool's only thread for 300 ms; started says it runs, so that a job
 * queued after it surely waits in the queue (a blocker whose own deadline came
 * before a loaded machine started it would be dropped and let the next run). */
static atomic_int blocker_started;

static int hold_thread(void *arg)
{
    (void)arg;
    atomic_store(&blocker_started, 1);
    usleep(300000);
    return 0;
}

static int blocker(void *arg)
{
    (void)arg;
    return calm_to_thread(hold_thread, NULL, calm_after(5000), NULL);
}

/* Spawns the blocker and returns once its job runs on the pool's thread. */
static calm_task *spawn_blocker(void)
{
    calm_task *t;
    int i;

    atomic_store(&blocker_started, 0);
    t = calm_spawn(L, blocker, NULL);
    for (i = 0; i < 5000 && !atomic_load(&blocker_started); i++)
        ASSERT_EQ(calm_sleep(1), 0);
    ASSERT_TRUE(atomic_load(&blocker_started));
    return t;
}

/* ---- the argument is the caller's again when the call returns */

static int pool_warmer(void *arg)
{
    *(int *)arg = 0;
    return 0;
}

struct owned_arg {
    int input;
    int output;                           /* written by fn at its very end */
};

/* late_writer's handshake with the test: started once it runs, and it writes
 * only once told to go, so the deadline or cancellation surely comes while it
 * runs, however loaded the machine (a job not yet started is dropped instead) */
static atomic_int writer_started, writer_go;

static void writer_reset(int go)
{
    atomic_store(&writer_started, 0);
    atomic_store(&writer_go, go);
}

/* Worker: waits for the go, then writes into its argument: a use after free
 * when the caller was let go before it ended (ASan, TSan). */
static int late_writer(void *arg)
{
    struct owned_arg *a = arg;
    int i;

    atomic_store(&writer_started, 1);
    for (i = 0; i < 5000 && !atomic_load(&writer_go); i++)
        usleep(1000);
    usleep(10000);
    a->output = a->input * 2;
    return a->input + 1;
}

/* Task side of the handshake: waits until late_writer runs. */
static void wait_writer_started(void)
{
    int i;

    for (i = 0; i < 5000 && !atomic_load(&writer_started); i++)
        ASSERT_EQ(calm_sleep(1), 0);
    ASSERT_TRUE(atomic_load(&writer_started));
}

static int warm_pool(void)
{
    int r = -1;

    return calm_to_thread(pool_warmer, &r, calm_after(5000), &r);
}

static int freed_after(void *arg)
{
    int cancel = arg != NULL;
    struct owned_arg *a = malloc(sizeof(*a));
    int res = -1, rc;

    ASSERT_FATAL(a != NULL);
    ASSERT_EQ(warm_pool(), 0);            /* threads up: the job starts long before 300 ms */
    a->input = 21;
    a->output = 0;
    /* cancelled by the test's other task while fn runs, or a 300 ms deadline
     * that passes while fn waits for its go */
    rc = calm_to_thread(late_writer, a, cancel ? calm_after(5000) : calm_after(300), &res);
    ASSERT_EQ(rc, cancel ? CALM_ECANCELED : CALM_ETIMEDOUT);
    ASSERT_EQ(a->output, 42);             /* fn had finished */
    ASSERT_EQ(res, 22);                   /* and its result came back */
    free(a);                              /* the caller's again: nothing touches it now */
    /* the cancellation stays: the next suspension sees it too */
    ASSERT_EQ(calm_sleep(1), cancel ? CALM_ECANCELED : 0);
    return cancel ? rc : 0;
}

/* Cancels (arg: the task) or lets the deadline pass (arg NULL) while fn runs,
 * then lets fn finish a little later. */
static int interrupt_writer(void *arg)
{
    int r = 0;

    wait_writer_started();
    if (arg != NULL)
        calm_cancel(arg);
    else
        ASSERT_EQ(calm_sleep(350), 0);    /* past the 300 ms deadline */
    ASSERT_EQ(calm_sleep(20), 0);         /* the caller must still be waiting */
    atomic_store(&writer_go, 1);
    if (arg != NULL) {
        ASSERT_EQ(calm_await(arg, calm_after(5000), &r), 0);
        ASSERT_EQ(r, CALM_ECANCELED);
    }
    return 0;
}

void test_thread_cancel_during_work_waits_for_it(void)
{
    calm_task *t;

    writer_reset(0);
    L = test_loop();
    t = calm_spawn(L, freed_after, (void *)1L);
    ASSERT_FATAL(t != NULL);
    spawn_detached(L, interrupt_writer, t);
    close_loop_clean(L);
    ASSERT_EQ(test_errors, 0);
}

void test_thread_deadline_during_work_waits_for_it(void)
{
    writer_reset(0);
    L = test_loop();
    spawn_detached(L, freed_after, NULL);
    spawn_detached(L, interrupt_writer, NULL);
    close_loop_clean(L);
    ASSERT_EQ(test_errors, 0);
}

/* ---- abandoning a running fn: the completion callback owns arg */

static int done_calls, done_status, done_result;

static void free_on_done(calm_loop *loop, int status, int result, void *arg, void *done_arg)
{
    struct owned_arg *a = arg;

    (void)loop;
    done_calls++;
    done_status = status;
    done_result = result;
    ASSERT_TRUE(done_arg == (void *)&done_calls);
    if (status == 0)
        ASSERT_EQ(a->output, 42);
    free(a);
}

/* Abandons fn at a 300 ms deadline while fn waits for its go, then gives it. */
static int abandon(void *arg)
{
    struct owned_arg *a = malloc(sizeof(*a));
    int res = -1, rc;

    (void)arg;
    ASSERT_FATAL(a != NULL);
    ASSERT_EQ(warm_pool(), 0);
    a->input = 21;
    a->output = 0;
    rc = calm_to_thread_detached(late_writer, a, calm_after(300), &res, free_on_done, &done_calls);
    ASSERT_EQ(rc, CALM_ETIMEDOUT);
    ASSERT_TRUE(atomic_load(&writer_started));
    ASSERT_EQ(res, -1);                   /* returned before fn's end: no result */
    ASSERT_EQ(done_calls, 0);             /* on_done runs later, from the loop */
    atomic_store(&writer_go, 1);
    return 0;
}

void test_thread_detached_abandons_to_on_done(void)
{
    writer_reset(0);
    done_calls = 0;
    done_status = done_result = -1;
    L = test_loop();
    spawn_detached(L, abandon, NULL);
    ASSERT_EQ(calm_loop_run(L), 0);       /* runs until on_done has run */
    ASSERT_EQ(done_calls, 1);
    ASSERT_EQ(done_status, 0);
    ASSERT_EQ(done_result, 22);
    close_loop_clean(L);
}

static int detached_ok(void *arg)
{
    struct owned_arg a = {4, 0};
    int res = -1;

    (void)arg;
    ASSERT_EQ(calm_to_thread_detached(late_writer, &a, calm_after(5000), &res, free_on_done, NULL), 0);
    ASSERT_EQ(res, 5);
    ASSERT_EQ(a.output, 8);
    ASSERT_EQ(calm_to_thread_detached(late_writer, &a, calm_after(5000), &res, NULL, NULL), -EINVAL);
    return 0;
}

void test_thread_detached_finished_keeps_arg(void)
{
    writer_reset(1);
    done_calls = 0;
    L = test_loop();
    spawn_detached(L, detached_ok, NULL);
    close_loop_clean(L);
    ASSERT_EQ(done_calls, 0);
}

/* A job still queued when its caller is cancelled never runs; on_done gets arg
 * with CALM_ECANCELED. The blocker holds the only thread meanwhile. */
static int detached_queued(void *arg)
{
    struct owned_arg *a = malloc(sizeof(*a));

    (void)arg;
    ASSERT_FATAL(a != NULL);
    a->input = 1;
    a->output = 0;
    return calm_to_thread_detached(late_writer, a, calm_after(5000), NULL, free_on_done, &done_calls);
}

static int detached_drop_main(void *arg)
{
    calm_task *blocker, *victim;
    int r = 0;

    (void)arg;
    blocker = spawn_blocker();
    victim = calm_spawn(L, detached_queued, NULL);
    ASSERT_EQ(calm_sleep(5), 0);
    calm_cancel(victim);
    ASSERT_EQ(calm_await(victim, calm_after(5000), &r), 0);
    ASSERT_EQ(r, CALM_ECANCELED);
    ASSERT_EQ(calm_await(blocker, calm_after(5000), &r), 0);
    return 0;
}

void test_thread_detached_dropped_job_goes_to_on_done(void)
{
    calm_options opts;

    memset(&opts, 0, sizeof(opts));
    opts.threads = 1;
    writer_reset(1);
    done_calls = 0;
    done_status = done_result = -1;
    L = test_loop_opts(&opts);
    spawn_detached(L, detached_drop_main, NULL);
    close_loop_clean(L);
    ASSERT_EQ(done_calls, 1);
    ASSERT_EQ(done_status, CALM_ECANCELED);
    ASSERT_EQ(done_result, 0);
}

/* Abandoned work still running at loop free: on_done runs there, after fn ends. */
static int abandon_and_stop(void *arg)
{
    (void)arg;
    ASSERT_EQ(abandon(NULL), 0);
    calm_loop_stop(calm_loop_current());
    return 0;
}

void test_thread_detached_on_done_at_loop_free(void)
{
    writer_reset(0);
    done_calls = 0;
    done_status = -1;
    L = test_loop();
    spawn_detached(L, abandon_and_stop, NULL);
    ASSERT_EQ(calm_loop_run(L), 0);
    ASSERT_EQ(calm_loop_shutdown(L, calm_after(2000)), 0);
    ASSERT_EQ(done_calls, 0);
    calm_loop_free(L);
    ASSERT_EQ(done_calls, 1);
    ASSERT_EQ(done_status, 0);
    ASSERT_EQ(calm__alloc_live(), 0);
}

static volatile int dropped_ran;
static int mark_ran(void *arg)
{
    (void)arg;
    dropped_ran = 1;
    return 0;
}

static int queued_then_cancelled(void *arg)
{
    (void)arg;
    return calm_to_thread(mark_ran, NULL, calm_after(5000), NULL);
}

static int thread_drop_main(void *arg)
{
    calm_task *blocker, *victim;
    int r = 0;

    (void)arg;
    blocker = spawn_blocker();            /* occupies the one thread for 300 ms */
    victim = calm_spawn(L, queued_then_cancelled, NULL);
    ASSERT_EQ(calm_sleep(5), 0);
    calm_cancel(victim);
    ASSERT_EQ(calm_await(victim, calm_after(5000), &r), 0);
    ASSERT_EQ(r, CALM_ECANCELED);
    ASSERT_EQ(calm_await(blocker, calm_after(5000), &r), 0);
    return 0;
}

void test_thread_cancelled_queued_job_never_runs(void)
{
    calm_options opts;

    memset(&opts, 0, sizeof(opts));
    opts.threads = 1;
    L = test_loop_opts(&opts);
    dropped_ran = 0;
    spawn_detached(L, thread_drop_main, NULL);
    ASSERT_EQ(calm_loop_run(L), 0);
    calm_loop_free(L);                    /* joins the thread: the slow job has ended */
    ASSERT_EQ(dropped_ran, 0);
    ASSERT_EQ(calm__alloc_live(), 0);
}

/* ---- process pool */

/* ---- watching instead of sleeping only while it pays */

static int nap_2ms(void *arg)
{
    (void)arg;
    usleep(2000);
    return 0;
}

static int empty_job(void *arg)
{
    (void)arg;
    return 0;
}

/* Jobs far longer than any watch: the loop's watches all end empty, so it
 * stops watching and sleeps at once. */
static int long_jobs(void *arg)
{
    unsigned loop_us, worker_us;
    int i, result;

    (void)arg;
    /* it watches while jobs come back within a watch: empty ones, until one has (a
       watch that lost its CPU on a busy machine stops watching, and a probe every
       CALM__PROBE_EVERY jobs starts it again) */
    loop_us = 0;
    for (i = 0; i < 200 && loop_us == 0; i++) {
        ASSERT_EQ(calm_to_thread(empty_job, NULL, calm_after(5000), &result), 0);
        calm__threadpool_budgets(calm_loop_current(), &loop_us, &worker_us);
    }
    ASSERT_TRUE(loop_us > 0);
    for (i = 0; i < 12; i++)
        ASSERT_EQ(calm_to_thread(nap_2ms, NULL, calm_after(5000), &result), 0);
    calm__threadpool_budgets(calm_loop_current(), &loop_us, &worker_us);
    ASSERT_EQ(loop_us, 0);
    return 0;
}

void test_thread_watch_stops_for_long_jobs(void)
{
    calm_loop *loop = test_loop();

    spawn_detached(loop, long_jobs, NULL);
    ASSERT_EQ(calm_loop_run(loop), 0);
    ASSERT_EQ(test_errors, 0);
    close_loop_clean(loop);
}

/* Jobs 2 ms apart: the idle worker's watches for the next one all end empty,
 * so it stops watching and sleeps at once. */
static int sparse_jobs(void *arg)
{
    unsigned loop_us, worker_us;
    int i, result;

    (void)arg;
    for (i = 0; i < 12; i++) {
        ASSERT_EQ(calm_to_thread(empty_job, NULL, calm_after(5000), &result), 0);
        ASSERT_EQ(calm_sleep(2), 0);
    }
    calm__threadpool_budgets(calm_loop_current(), &loop_us, &worker_us);
    ASSERT_EQ(worker_us, 0);
    return 0;
}

void test_thread_worker_watch_stops_for_sparse_jobs(void)
{
    calm_loop *loop = test_loop();

    spawn_detached(loop, sparse_jobs, NULL);
    ASSERT_EQ(calm_loop_run(loop), 0);
    ASSERT_EQ(test_errors, 0);
    close_loop_clean(loop);
}

static int reverse(const void *in, size_t in_len, void **out, size_t *out_len)
{
    const char *s = in;
    char *r = malloc(in_len);
    size_t i;

    if (r == NULL)
        return -ENOMEM;
    for (i = 0; i < in_len; i++)
        r[i] = s[in_len - 1 - i];
    *out = r;
    *out_len = in_len;
    return 3;
}

static int crash(const void *in, size_t in_len, void **out, size_t *out_len)
{
    (void)in;
    (void)in_len;
    (void)out;
    (void)out_len;
    kill(getpid(), SIGKILL);
    return 0;
}

static int hang(const void *in, size_t in_len, void **out, size_t *out_len)
{
    (void)in_len;
    (void)out;
    (void)out_len;
    /* tell the test which process to kill, then hang */
    if (in != NULL) {
        FILE *f = fopen(in, "w");
        if (f) {
            fprintf(f, "%d\n", (int)getpid());
            fclose(f);
        }
    }
    sleep(60);
    return 0;
}

static int proc_roundtrip(void *arg)
{
    void *out = NULL;
    size_t len = 0;

    (void)arg;
    ASSERT_EQ(calm_to_process(reverse, "abcdef", 6, &out, &len, calm_after(5000)), 3);
    ASSERT_EQ(len, 6);
    ASSERT_TRUE(out != NULL && memcmp(out, "fedcba", 6) == 0);
    free(out);
    return 0;
}

void test_proc_roundtrip(void)
{
    int i;

    L = test_loop();
    for (i = 0; i < 8; i++)
        spawn_detached(L, proc_roundtrip, NULL);
    close_loop_clean(L);
    ASSERT_EQ(test_errors, 0);
}

static int proc_large(void *arg)
{
    size_t n = 1 << 20, i, len = 0;
    char *buf = malloc(n);
    void *out = NULL;

    (void)arg;
    ASSERT_FATAL(buf != NULL);
    for (i = 0; i < n; i++)
        buf[i] = (char)(i * 7);
    ASSERT_EQ(calm_to_process(reverse, buf, n, &out, &len, calm_after(10000)), 3);
    ASSERT_EQ(len, n);
    for (i = 0; out != NULL && i < n; i += 4093)
        ASSERT_EQ(((char *)out)[i], buf[n - 1 - i]);
    free(out);
    free(buf);
    return 0;
}

void test_proc_large_message(void)
{
    L = test_loop();
    spawn_detached(L, proc_large, NULL);
    close_loop_clean(L);
}

static int proc_crash(void *arg)
{
    (void)arg;
    ASSERT_EQ(calm_to_process(crash, "x", 1, NULL, NULL, calm_after(5000)), CALM_EWORKER);
    /* only that job failed: the pool carries on with a new worker */
    return proc_roundtrip(NULL);
}

void test_proc_crashed_worker_fails_only_its_job(void)
{
    calm_options opts;

    memset(&opts, 0, sizeof(opts));
    opts.processes = 1;
    L = test_loop_opts(&opts);
    spawn_detached(L, proc_crash, NULL);
    close_loop_clean(L);
}

static char pidfile[64];
static int proc_hang(void *arg)
{
    (void)arg;
    return calm_to_process(hang, pidfile, strlen(pidfile) + 1, NULL, NULL, calm_after(10000));
}

/* worker thread: the file read stays off the loop */
static int read_pidfile(void *arg)
{
    FILE *f = fopen(pidfile, "r");
    int pid = 0;

    (void)arg;
    if (f != NULL) {
        if (fscanf(f, "%d", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    return pid;
}

static int proc_kill_main(void *arg)
{
    calm_task *t = calm_spawn(L, proc_hang, NULL);
    int r = 0, pid = 0, i;

    (void)arg;
    for (i = 0; i < 500 && pid <= 0; i++) {
        ASSERT_EQ(calm_sleep(10), 0);
        ASSERT_EQ(calm_to_thread(read_pidfile, NULL, calm_after(5000), &pid), 0);
    }
    ASSERT_FATAL(pid > 0);
    kill(pid, SIGKILL);
    ASSERT_EQ(calm_await(t, calm_after(5000), &r), 0);
    ASSERT_EQ(r, CALM_EWORKER);
    return proc_roundtrip(NULL);
}

void test_proc_killed_worker_is_replaced(void)
{
    calm_options opts;

    memset(&opts, 0, sizeof(opts));
    opts.processes = 1;
    snprintf(pidfile, sizeof(pidfile), "/tmp/calm-test-worker.%d", (int)getpid());
    unlink(pidfile);
    L = test_loop_opts(&opts);
    spawn_detached(L, proc_kill_main, NULL);
    close_loop_clean(L);
    unlink(pidfile);
}

static int proc_timeout(void *arg)
{
    calm_time t0 = calm_now();

    (void)arg;
    ASSERT_EQ(calm_to_process(hang, NULL, 0, NULL, NULL, calm_after(30)), CALM_ETIMEDOUT);
    ASSERT_TRUE(calm_now() - t0 < 1000);
    /* the hung worker was killed and replaced: the single slot works again */
    return proc_roundtrip(NULL);
}

void test_proc_timeout_kills_and_replaces_worker(void)
{
    calm_options opts;

    memset(&opts, 0, sizeof(opts));
    opts.processes = 1;
    L = test_loop_opts(&opts);
    spawn_detached(L, proc_timeout, NULL);
    close_loop_clean(L);
}

/* Cancelled while the worker runs: the call returns at once (the worker is
 * killed) and in, freed right after, is read by nobody any more. A large input
 * is still being written to the worker when the cancellation comes. */
static int proc_cancelled(void *arg)
{
    size_t n = 8 << 20;
    char *in = malloc(n);
    void *out = (void *)1;
    size_t out_len = 1;
    int rc;

    (void)arg;
    ASSERT_FATAL(in != NULL);
    memset(in, 0, n);
    rc = calm_to_process(hang, in, n, &out, &out_len, calm_after(5000));
    free(in);
    ASSERT_EQ(rc, CALM_ECANCELED);
    ASSERT_TRUE(out == NULL);
    ASSERT_EQ(out_len, 0);
    return rc;
}

static int proc_cancel_main(void *arg)
{
    calm_task *t = calm_spawn(L, proc_cancelled, NULL);
    calm_time t0;
    int r = 0;

    (void)arg;
    ASSERT_EQ(calm_sleep(20), 0);
    t0 = calm_now();
    calm_cancel(t);
    ASSERT_EQ(calm_await(t, calm_after(5000), &r), 0);
    ASSERT_EQ(r, CALM_ECANCELED);
    ASSERT_TRUE(calm_now() - t0 < 1000);
    return proc_roundtrip(NULL);
}

void test_proc_cancel_kills_worker_and_returns_in(void)
{
    calm_options opts;

    memset(&opts, 0, sizeof(opts));
    opts.processes = 1;
    L = test_loop_opts(&opts);
    spawn_detached(L, proc_cancel_main, NULL);
    close_loop_clean(L);
}
