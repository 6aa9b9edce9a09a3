/* test_stress.c -- 100 000 concurrent tasks, a cancellation storm over every
 * kind of wait, and stack overflows that hit a guard page. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

/* ThreadSanitizer tracks each task as a fiber, allows about 8000 of them at once
 * and spends most of a megabyte on each, so that build runs smaller sizes. */
#if defined(__SANITIZE_THREAD__)
#define NTASKS 2000L
#define STORM 1000
#define MANY_STACKS 2000L
#else
#define NTASKS 100000L
#define STORM 5000
#define MANY_STACKS 20000L                /* past the mprotect budget (max_map_count / 4) */
#endif

static calm_loop *L;
static long finished;

static calm_loop *stress_loop(size_t stack_size)
{
    calm_options opts;

    memset(&opts, 0, sizeof(opts));
    opts.slow_ms = 60000;                 /* spawning thousands in one step is the point */
    opts.stack_size = stack_size;
    return test_loop_opts(&opts);
}

static int idle_task(void *arg)
{
    int rc = calm_sleep((long)arg);

    if (rc == 0)
        finished++;
    return rc;
}

static int hundred_k_main(void *arg)
{
    calm_group *g = calm_group_new(L, NTASKS);
    long i;

    (void)arg;
    for (i = 0; i < NTASKS; i++)
        ASSERT_EQ(calm_group_spawn(g, idle_task, (void *)(200 + i % 50), calm_after(60000)), 0);
    ASSERT_EQ(calm_group_wait(g, calm_after(60000)), 0);
    calm_group_free(g);
    return 0;
}

void test_stress_100k_concurrent_tasks(void)
{
    L = stress_loop(16 * 1024);
    finished = 0;
    spawn_detached(L, hundred_k_main, NULL);
    close_loop_clean(L);
    ASSERT_EQ(finished, NTASKS);
}

/* ---- cancellation storm */

static calm_sem *S;
static calm_queue *Q;
static calm_event *E;
static calm_task *victims[STORM];
static long outcome_cancelled, outcome_ok, outcome_other;

static int storm_victim(void *arg)
{
    long i = (long)arg;
    void *item;
    int rc;

    switch (i % 5) {
    case 0:
        rc = calm_sleep(60000);
        break;
    case 1:
        rc = calm_sem_acquire(S, calm_after(60000));
        if (rc == 0)
            calm_sem_release(S);
        break;
    case 2:
        rc = calm_queue_get(Q, &item, calm_after(60000));
        break;
    case 3:
        rc = calm_event_wait(E, calm_after(60000));
        break;
    default:
        while ((rc = calm_yield()) == 0)
            ;
        break;
    }
    if (rc == CALM_ECANCELED)
        outcome_cancelled++;
    else if (rc == 0)
        outcome_ok++;
    else
        outcome_other++;
    return rc;
}

static int storm_main(void *arg)
{
    long i;
    int rc;

    (void)arg;
    for (i = 0; i < STORM; i++) {
        victims[i] = calm_spawn(L, storm_victim, (void *)i);
        ASSERT_FATAL(victims[i] != NULL);
    }
    ASSERT_EQ(calm_sleep(5), 0);
    /* cancel in a scrambled order, some twice, while others are still arriving */
    srand(7);
    for (i = 0; i < STORM; i++) {
        long j = rand() % STORM;
        calm_cancel(victims[j]);
        calm_cancel(victims[i]);
        if (i % 500 == 0 && (rc = calm_yield()) != 0)
            return rc;
    }
    for (i = 0; i < STORM; i++) {
        int r = 0;
        ASSERT_EQ(calm_await(victims[i], calm_after(10000), &r), 0);
        ASSERT_EQ(r, CALM_ECANCELED);
    }
    return 0;
}

void test_stress_cancellation_storm(void)
{
    L = stress_loop(0);
    S = calm_sem_new(L, 0);
    Q = calm_queue_new(L, 8);
    E = calm_event_new(L);
    outcome_cancelled = outcome_ok = outcome_other = 0;
    spawn_detached(L, storm_main, NULL);
    ASSERT_EQ(calm_loop_run(L), 0);
    ASSERT_EQ(outcome_cancelled, STORM);
    ASSERT_EQ(outcome_other, 0);
    calm_sem_free(S);
    calm_queue_free(Q);
    calm_event_free(E);
    ASSERT_EQ(test_errors, 0);
    if (test_errors)
        fprintf(stderr, "%s", test_error_all);
    close_loop_clean(L);
}

/* ---- a task that overflows its stack dies on the guard page, loudly */

static int deep(int n)
{
    volatile char pad[1024];

    pad[0] = (char)n;
    if (n == 0)
        return pad[0];
    return deep(n - 1) + pad[0];
}

static int overflow_task(void *arg)
{
    (void)arg;
    return deep(1000);                    /* 1 MiB of frames on a 16 KiB stack */
}

void test_stress_stack_overflow_hits_guard_page(void)
{
    pid_t pid = fork();
    int status = 0;

    ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        calm_options opts;
        calm_loop *loop;
        calm_task *t;

        /* the crash report is expected: keep it out of the test log */
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, 2);
        memset(&opts, 0, sizeof(opts));
        opts.stack_size = 16 * 1024;
        loop = calm_loop_new(&opts);
        if (loop == NULL || (t = calm_spawn(loop, overflow_task, NULL)) == NULL)
            _exit(0);
        calm_detach(t);
        calm_loop_run(loop);
        _exit(0);                         /* reaching here means the overflow went unseen */
    }
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    /* killed by SIGSEGV, or a sanitizer's report and a non-zero exit */
    ASSERT_TRUE((WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) ||
                (WIFEXITED(status) && WEXITSTATUS(status) != 0));
    ASSERT_EQ(calm__alloc_live(), 0);
}

/* Past the stacks an mprotect'd guard page can be given (a quarter of
 * max_map_count), a stack still has a guard page where the kernel has guard
 * regions: a small overflow faults at once (SIGSEGV) instead of running over
 * the stack below and being caught by the canary check (abort, SIGABRT). */
/* Fills every frame, so that without a guard page the canary word at the
 * bottom of the stack is surely overwritten. */
static int deep_filled(int n)
{
    volatile char pad[1024];
    size_t i;

    for (i = 0; i < sizeof(pad); i++)
        pad[i] = (char)n;
    if (n == 0)
        return pad[0];
    return deep_filled(n - 1) + pad[1];
}

static int small_overflow_task(void *arg)
{
    (void)arg;
    return deep_filled(20);               /* 20 KiB of frames on a 16 KiB stack */
}

static int parked(void *arg)
{
    return calm_event_wait(arg, calm_after(60000));
}

static int guarded_when_many(void *arg)
{
    calm_event *ev = calm_event_new(calm_loop_current());
    calm_task *t;
    long i;

    (void)arg;
    for (i = 0; ev != NULL && i < MANY_STACKS; i++)
        if ((t = calm_spawn(calm_loop_current(), parked, ev)) != NULL) // NOLINT(unbounded-spawn): a fixed count, the point of the test
            calm_detach(t);
    if (calm_yield() != 0)                /* every parked task takes its stack */
        return 0;
    t = calm_spawn(calm_loop_current(), small_overflow_task, NULL);
    return t == NULL ? 0 : calm_await(t, calm_after(60000), NULL);
}

void test_stress_guard_page_past_mapping_budget(void)
{
    pid_t pid;
    int status = 0;
    char kernel[64] = "";
    int fd = open("/proc/sys/kernel/osrelease", O_RDONLY);
    int major = 0, minor = 0;

    if (fd >= 0) {
        ssize_t n = read(fd, kernel, sizeof(kernel) - 1);
        kernel[n > 0 ? n : 0] = '\0';
        close(fd);
    }
    if (sscanf(kernel, "%d.%d", &major, &minor) != 2 || major * 100 + minor < 613) {
        fprintf(stderr, "kernel %s has no guard regions: the canary guards these stacks\n", kernel);
        return;
    }
    pid = fork();
    ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        calm_options opts;
        calm_loop *loop;
        calm_task *t;
        int devnull = open("/dev/null", O_WRONLY);

        if (devnull >= 0)
            dup2(devnull, 2);
        alarm(10);                        /* an overflow that corrupts and hangs: SIGALRM */
        memset(&opts, 0, sizeof(opts));
        opts.stack_size = 16 * 1024;
        opts.slow_ms = 60000;
        loop = calm_loop_new(&opts);
        if (loop == NULL || (t = calm_spawn(loop, guarded_when_many, NULL)) == NULL)
            _exit(0);
        calm_detach(t);
        calm_loop_run(loop);
        _exit(0);                         /* reaching here means the overflow went unseen */
    }
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    /* SIGSEGV, or a sanitizer's report and a non-zero exit; never the canary's abort */
    ASSERT_TRUE((WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) ||
                (WIFEXITED(status) && WEXITSTATUS(status) != 0));
    if (WIFSIGNALED(status) && WTERMSIG(status) != SIGSEGV)
        fprintf(stderr, "child died of signal %d\n", WTERMSIG(status));
}
