/* test_loop.c -- the loop itself: running dry, call_soon, stop, deadlock
 * detection, timers, fd watchers, fd waits and signals. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

/* The CPU has a counter the loop's clock gate may use: x86's invariant TSC as
 * Linux reports it, or aarch64's generic timer. */
static int cpu_has_nonstop_counter(void)
{
#if defined(__x86_64__)
    char buf[8192];
    ssize_t n;
    int fd = open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC), yes = 0;

    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n > 0) {
        buf[n] = '\0';
        yes = strstr(buf, " constant_tsc") != NULL && strstr(buf, " nonstop_tsc") != NULL;
    }
    return yes;
#elif defined(__aarch64__)
    return 1;
#else
    return 0;
#endif
}

static int order[64];
static int norder;

static void record(calm_loop *loop, void *arg)
{
    (void)loop;
    order[norder++] = (int)(long)arg;
}

void test_loop_empty_run(void)
{
    calm_loop *loop = test_loop();

    close_loop_clean(loop);
}

void test_loop_call_soon_fifo(void)
{
    calm_loop *loop = test_loop();
    long i;

    norder = 0;
    for (i = 0; i < 10; i++)
        ASSERT_EQ(calm_call_soon(loop, record, (void *)i), 0);
    ASSERT_EQ(calm_loop_run(loop), 0);
    ASSERT_EQ(norder, 10);
    for (i = 0; i < 10; i++)
        ASSERT_EQ(order[i], i);
    close_loop_clean(loop);
}

static int ticks;
static void tick_and_stop(calm_loop *loop, void *arg)
{
    (void)arg;
    if (++ticks == 3)
        calm_loop_stop(loop);
}

void test_loop_stop(void)
{
    calm_loop *loop = test_loop();
    calm_timer *t;

    ticks = 0;
    t = calm_timer_start(loop, 1, 1, tick_and_stop, NULL);
    ASSERT_FATAL(t != NULL);
    ASSERT_EQ(calm_loop_run(loop), 0);
    ASSERT_EQ(ticks, 3);
    calm_timer_stop(t);
    close_loop_clean(loop);
}

static void *stop_later(void *arg)
{
    usleep(20000);
    calm_loop_stop(arg);
    return NULL;
}

static void never(calm_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
    CU_FAIL("timer should not fire");
}

void test_loop_stop_from_thread(void)
{
    calm_loop *loop = test_loop();
    calm_timer *t = calm_timer_start(loop, 60000, 0, never, NULL);
    pthread_t th;
    calm_time t0 = calm_now();

    ASSERT_FATAL(t != NULL);
    pthread_create(&th, NULL, stop_later, loop);
    ASSERT_EQ(calm_loop_run(loop), 0);
    pthread_join(th, NULL);
    ASSERT_TRUE(calm_now() - t0 < 5000);
    calm_timer_stop(t);
    close_loop_clean(loop);
}

static int wait_forever(void *arg)
{
    int rc = calm_sem_acquire(arg, CALM_FOREVER); // NOLINT(missing-timeout): the deadlock under test

    if (rc == 0)
        calm_sem_release(arg);
    return rc;
}

void test_loop_deadlock_detected(void)
{
    calm_loop *loop = test_loop();
    calm_sem *sem = calm_sem_new(loop, 0);
    calm_task *t = calm_spawn(loop, wait_forever, sem);

    calm_detach(t);
    ASSERT_EQ(calm_loop_run(loop), CALM_EDEADLK);
    ASSERT_EQ(calm_loop_shutdown(loop, calm_after(1000)), 0);
    calm_sem_free(sem);
    close_loop_clean(loop);
}

void test_loop_strerror(void)
{
    ASSERT_TRUE(strcmp(calm_strerror(CALM_ECANCELED), "cancelled") == 0);
    ASSERT_TRUE(strcmp(calm_strerror(CALM_ETIMEDOUT), "deadline passed") == 0);
    ASSERT_TRUE(strcmp(calm_strerror(0), "ok") == 0);
    ASSERT_TRUE(calm_strerror(-ENOENT) != NULL && strlen(calm_strerror(-ENOENT)) > 0);
    ASSERT_TRUE(calm_strerror(12345) != NULL);
}

/* ---- timers */

void test_timer_order(void)
{
    calm_loop *loop = test_loop();

    norder = 0;
    ASSERT_FATAL(calm_timer_start(loop, 30, 0, record, (void *)3L) != NULL);
    ASSERT_FATAL(calm_timer_start(loop, 10, 0, record, (void *)1L) != NULL);
    ASSERT_FATAL(calm_timer_start(loop, 20, 0, record, (void *)2L) != NULL);
    ASSERT_FATAL(calm_timer_start(loop, 20, 0, record, (void *)22L) != NULL);
    ASSERT_EQ(calm_loop_run(loop), 0);
    ASSERT_EQ(norder, 4);
    ASSERT_EQ(order[0], 1);
    ASSERT_EQ(order[1], 2);
    ASSERT_EQ(order[2], 22);
    ASSERT_EQ(order[3], 3);
    close_loop_clean(loop);
}

static calm_timer *self_stopper;
static void stop_self_after_3(calm_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
    if (++ticks == 3)
        calm_timer_stop(self_stopper);
}

void test_timer_repeat_stop_in_callback(void)
{
    calm_loop *loop = test_loop();

    ticks = 0;
    self_stopper = calm_timer_start(loop, 1, 1, stop_self_after_3, NULL);
    ASSERT_FATAL(self_stopper != NULL);
    ASSERT_EQ(calm_loop_run(loop), 0);
    ASSERT_EQ(ticks, 3);
    close_loop_clean(loop);
}

void test_timer_stop_before_fire(void)
{
    calm_loop *loop = test_loop();
    calm_timer *t = calm_timer_start(loop, 10, 0, never, NULL);

    ASSERT_FATAL(t != NULL);
    calm_timer_stop(t);
    close_loop_clean(loop);
}

static int fired;
static void count_fire(calm_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
    fired++;
}

void test_timer_batch_expiry(void)
{
    calm_loop *loop = test_loop();
    int i;

    fired = 0;
    for (i = 0; i < 5000; i++)
        ASSERT_FATAL(calm_timer_start(loop, 5, 0, count_fire, NULL) != NULL);
    ASSERT_EQ(calm_loop_run(loop), 0);
    ASSERT_EQ(fired, 5000);
    close_loop_clean(loop);
}

/* A 0 ms timer re-armed from its own callback runs in the same pass, without
 * an epoll_wait per firing (counted, not timed), and still lets I/O in. */
enum { REARMS = 100000 };
static long rearms_left;

static void rearm_zero(calm_loop *loop, void *arg)
{
    (void)arg;
    fired++;
    if (--rearms_left > 0)
        ASSERT_FATAL(calm_timer_start(loop, 0, 0, rearm_zero, NULL) != NULL);
}

void test_timer_zero_rearm_same_pass(void)
{
    calm_loop *loop = test_loop();
    uint64_t polls;

    fired = 0;
    rearms_left = REARMS;
    ASSERT_FATAL(calm_timer_start(loop, 0, 0, rearm_zero, NULL) != NULL);
    polls = calm__loop_polls(loop);
    ASSERT_EQ(calm_loop_run(loop), 0);
    polls = calm__loop_polls(loop) - polls;
    ASSERT_EQ(fired, REARMS);
    /* one I/O turn per 1024 firings at most, not one per firing */
    ASSERT_TRUE(polls <= REARMS / 1024 + 2);
    if (polls > REARMS / 1024 + 2)
        fprintf(stderr, "%llu epoll_waits for %d firings\n", (unsigned long long)polls, REARMS);
    close_loop_clean(loop);
}

static int io_fds[2];
static long firings_before_io = -1;

static void rearm_until_io(calm_loop *loop, void *arg)
{
    (void)arg;
    fired++;
    if (firings_before_io < 0 && fired < 10 * 1024 * 1024)
        ASSERT_FATAL(calm_timer_start(loop, 0, 0, rearm_until_io, NULL) != NULL);
}

static void on_io_turn(calm_loop *loop, int fd, int revents, void *arg)
{
    char c;

    (void)loop;
    (void)revents;
    ASSERT_EQ(read(fd, &c, 1), 1);
    firings_before_io = fired;
    calm_watch_stop(*(calm_watch **)arg);
}

void test_timer_zero_rearm_leaves_io_a_turn(void)
{
    calm_loop *loop = test_loop();
    static calm_watch *w;

    fired = 0;
    firings_before_io = -1;
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, io_fds), 0);
    ASSERT_EQ(write(io_fds[1], "x", 1), 1);
    w = calm_watch_fd(loop, io_fds[0], CALM_READABLE, on_io_turn, &w);
    ASSERT_FATAL(w != NULL);
    ASSERT_FATAL(calm_timer_start(loop, 0, 0, rearm_until_io, NULL) != NULL);
    ASSERT_EQ(calm_loop_run(loop), 0);
    ASSERT_TRUE(firings_before_io >= 1 && firings_before_io <= 2 * 1025);
    close(io_fds[0]);
    close(io_fds[1]);
    close_loop_clean(loop);
}

/* ---- a timer due while tasks keep the loop busy waits at most a clock check:
 * CALM__CLOCK_STEPS (32) task steps after its millisecond begins, then the
 * loop runs it, whether the clock was read or the CPU's counter answered.
 * Where the millisecond falls among the checks varies, so the test takes the
 * longest wait of several timers. */

enum {
    BOUND_STEPS = 32 + 4,                 /* the check comes at a batch's end: 2 steps here */
    BOUND_ROUNDS = 12,
};

static long bound_steps;                  /* task steps so far */
static long bound_due_step;               /* the first step begun with the timer due, or -1 */
static long bound_worst;                  /* the longest wait, in steps */
static int bound_rounds;                  /* timers fired */
static calm_time bound_when;              /* when the current timer is due */

static void bound_fire(calm_loop *loop, void *arg)
{
    calm_timer *next;
    int gated;

    (void)arg;
    if (bound_due_step < 0)               /* it fell due within the step that just ended */
        bound_due_step = bound_steps;
    if (bound_steps - bound_due_step > bound_worst)
        bound_worst = bound_steps - bound_due_step;
    if (++bound_rounds >= BOUND_ROUNDS)
        return;
    bound_due_step = -1;
    /* the loop's own clock, from which calm_timer_start computes the expiry */
    bound_when = calm__loop_clock_now(loop, &gated) + 2;
    next = calm_timer_start(loop, 2, 0, bound_fire, NULL);
    ASSERT_TRUE(next != NULL);
}

static int bound_busy(void *arg)
{
    int rc = 0;

    (void)arg;
    while (rc == 0 && bound_rounds < BOUND_ROUNDS && bound_steps < 1000000) {
        struct timespec t0, t;
        if (bound_due_step < 0 && calm_now() >= bound_when)
            bound_due_step = bound_steps;
        bound_steps++;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        do                                /* a 20 us step */
            clock_gettime(CLOCK_MONOTONIC, &t);
        while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 20000);
        rc = calm_yield();
    }
    return rc;
}

void test_timer_bound_behind_busy_tasks(void)
{
    calm_loop *loop = test_loop();

    bound_steps = bound_worst = 0;
    bound_rounds = 0;
    bound_due_step = -1;
    bound_when = calm_now() + 2;          /* what calm_timer_start computes outside a run */
    ASSERT_FATAL(calm_timer_start(loop, 2, 0, bound_fire, NULL) != NULL);
    spawn_detached(loop, bound_busy, NULL);
    spawn_detached(loop, bound_busy, NULL);
    ASSERT_EQ(calm_loop_run(loop), 0);
    ASSERT_EQ(bound_rounds, BOUND_ROUNDS);
    if (bound_worst > BOUND_STEPS)
        fprintf(stderr, "a due timer waited up to %ld task steps\n", bound_worst);
    ASSERT_TRUE(bound_worst <= BOUND_STEPS);
    close_loop_clean(loop);
}

/* ---- the clock gates (the loop's and calm_now's): the counter answers most
 * reads while the millisecond has not moved on, and never answers with a
 * millisecond past */

static calm_time real_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (calm_time)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void test_loop_clock_gate_never_late(void)
{
    calm_loop *loop = test_loop();
    calm_time start = real_ms();
    long reads = 0, gated = 0, late = 0, ahead = 0;

    while (real_ms() - start < 50) {
        calm_time before = real_ms(), got, now, after;
        int g;
        got = calm__loop_clock_now(loop, &g);
        now = calm_now();
        after = real_ms();
        late += (got < before) + (now < before);
        ahead += (got > after) + (now > after);
        if (real_ms() - start >= 10) {    /* the counter's rate is known by then */
            reads++;
            gated += g;
        }
    }
    ASSERT_EQ(late, 0);
    ASSERT_EQ(ahead, 0);
    ASSERT_TRUE(reads > 0);
    if (cpu_has_nonstop_counter())
        ASSERT_TRUE(gated * 2 >= reads);
    close_loop_clean(loop);
}

/* ---- fd watchers and waits */

static int sv[2];
static char got[16];

static void on_readable(calm_loop *loop, int fd, int revents, void *arg)
{
    (void)loop;
    ASSERT_TRUE(revents & CALM_READABLE);
    ASSERT_EQ(read(fd, got, sizeof(got)), 5);
    calm_watch_stop(arg ? *(calm_watch **)arg : NULL);
}

static void send_hello(calm_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
    ASSERT_EQ(write(sv[1], "hello", 5), 5);
}

void test_io_watch_readable(void)
{
    calm_loop *loop = test_loop();
    static calm_watch *w;

    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    memset(got, 0, sizeof(got));
    w = calm_watch_fd(loop, sv[0], CALM_READABLE, on_readable, &w);
    ASSERT_FATAL(w != NULL);
    ASSERT_FATAL(calm_timer_start(loop, 5, 0, send_hello, NULL) != NULL);
    ASSERT_EQ(calm_loop_run(loop), 0);
    ASSERT_TRUE(memcmp(got, "hello", 5) == 0);
    close(sv[0]);
    close(sv[1]);
    close_loop_clean(loop);
}

void test_io_watch_conflicts_with_wait(void)
{
    calm_loop *loop = test_loop();
    calm_watch *w;

    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    w = calm_watch_fd(loop, sv[0], CALM_READABLE, on_readable, NULL);
    ASSERT_FATAL(w != NULL);
    ASSERT_TRUE(calm_watch_fd(loop, sv[0], CALM_READABLE, on_readable, NULL) == NULL);
    ASSERT_EQ(errno, EEXIST);
    calm_watch_stop(w);
    close(sv[0]);
    close(sv[1]);
    close_loop_clean(loop);
}

#define PINGS 2000
static int pinger(void *arg)
{
    int fd = *(int *)arg, i, rc;
    char c = 'x';

    for (i = 0; i < PINGS; i++) {
        while (write(fd, &c, 1) != 1)
            if ((rc = calm_wait_fd(fd, CALM_WRITABLE, calm_after(5000))) != 0)
                return rc;
        while (read(fd, &c, 1) != 1)
            if ((rc = calm_wait_fd(fd, CALM_READABLE, calm_after(5000))) != 0)
                return rc;
    }
    return 0;
}

static int ponger(void *arg)
{
    int fd = *(int *)arg, i, rc;
    char c;

    for (i = 0; i < PINGS; i++) {
        while (read(fd, &c, 1) != 1)
            if ((rc = calm_wait_fd(fd, CALM_READABLE, calm_after(5000))) != 0)
                return rc;
        while (write(fd, &c, 1) != 1)
            if ((rc = calm_wait_fd(fd, CALM_WRITABLE, calm_after(5000))) != 0)
                return rc;
    }
    return 0;
}

static int ping_main(void *arg)
{
    calm_loop *loop = arg;
    calm_task *a = calm_spawn(loop, pinger, &sv[0]);
    calm_task *b = calm_spawn(loop, ponger, &sv[1]);
    int ra = -1, rb = -1, rc;

    rc = calm_await(a, calm_after(10000), &ra);
    ASSERT_EQ(rc, 0);
    rc = calm_await(b, calm_after(10000), &rb);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(ra, 0);
    ASSERT_EQ(rb, 0);
    return 0;
}

void test_io_wait_fd_ping_pong(void)
{
    calm_loop *loop = test_loop();

    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    spawn_detached(loop, ping_main, loop);
    ASSERT_EQ(calm_loop_run(loop), 0);
    ASSERT_EQ(calm_close(sv[0]), 0);
    ASSERT_EQ(calm_close(sv[1]), 0);
    ASSERT_EQ(test_errors, 0);
    close_loop_clean(loop);
}

static int wait_silent_fd(void *arg)
{
    calm_time t0 = calm_now();
    int rc = calm_wait_fd(*(int *)arg, CALM_READABLE, calm_after(30));

    ASSERT_EQ(rc, CALM_ETIMEDOUT);
    ASSERT_TRUE(calm_now() - t0 >= 29);
    return 0;
}

void test_io_wait_fd_timeout(void)
{
    calm_loop *loop = test_loop();

    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    spawn_detached(loop, wait_silent_fd, &sv[0]);
    ASSERT_EQ(calm_loop_run(loop), 0);
    ASSERT_EQ(calm_close(sv[0]), 0);
    ASSERT_EQ(calm_close(sv[1]), 0);
    close_loop_clean(loop);
}

/* ---- signals */

static int signals_seen;
static void on_usr1(calm_loop *loop, void *arg)
{
    (void)arg;
    signals_seen++;
    calm_loop_stop(loop);
}

static void raise_usr1(calm_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
    kill(getpid(), SIGUSR1);
}

void test_signal_delivered_as_callback(void)
{
    calm_loop *loop = test_loop();
    calm_timer *guard = calm_timer_start(loop, 10000, 0, never, NULL);

    signals_seen = 0;
    ASSERT_EQ(calm_on_signal(loop, SIGUSR1, on_usr1, NULL), 0);
    ASSERT_FATAL(calm_timer_start(loop, 5, 0, raise_usr1, NULL) != NULL);
    ASSERT_EQ(calm_loop_run(loop), 0);
    ASSERT_EQ(signals_seen, 1);
    calm_timer_stop(guard);
    ASSERT_EQ(calm_on_signal(loop, SIGKILL, on_usr1, NULL), -EINVAL);
    close_loop_clean(loop);
}

/* ---- fairness: a task that only yields must not starve timers or I/O */

static int timer_fired, io_seen;
static void set_timer_fired(calm_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
    timer_fired = 1;
}

static void on_io(calm_loop *loop, int fd, int revents, void *arg)
{
    char c;

    (void)loop;
    (void)revents;
    (void)arg;
    if (read(fd, &c, 1) == 1)
        io_seen = 1;
}

static int busy_yielder(void *arg)
{
    calm_time t0 = calm_now();
    int rc;

    (void)arg;
    rc = 0;
    while (rc == 0 && !(timer_fired && io_seen)) {
        rc = calm_yield();
        if (rc == 0 && calm_now() - t0 > 5000)
            rc = -ETIMEDOUT;
    }
    calm_loop_stop(calm_loop_current());
    return rc;
}

void test_loop_yielding_task_does_not_starve(void)
{
    calm_loop *loop = test_loop();
    calm_watch *w;
    calm_task *t;

    timer_fired = io_seen = 0;
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    w = calm_watch_fd(loop, sv[0], CALM_READABLE, on_io, NULL);
    ASSERT_FATAL(w != NULL);
    ASSERT_FATAL(calm_timer_start(loop, 10, 0, set_timer_fired, NULL) != NULL);
    ASSERT_FATAL(calm_timer_start(loop, 5, 0, send_hello, NULL) != NULL);
    t = calm_spawn(loop, busy_yielder, NULL);
    ASSERT_FATAL(t != NULL);
    calm_detach(t);
    ASSERT_EQ(calm_loop_run(loop), 0);   /* the task stops it: the watcher would keep it */
    calm_watch_stop(w);
    close(sv[0]);
    close(sv[1]);
    ASSERT_EQ(timer_fired, 1);
    ASSERT_EQ(io_seen, 1);
    ASSERT_EQ(test_errors, 0);
    close_loop_clean(loop);
}

static void raise_usr2_cb(calm_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
    kill(getpid(), SIGUSR2);
}

static void stop_cb_loop(calm_loop *loop, void *arg)
{
    (void)arg;
    calm_loop_stop(loop);
}

static void on_usr2(calm_loop *loop, void *arg)
{
    (void)loop;
    (*(int *)arg)++;
}

void test_signal_restored_at_free(void)
{
    struct sigaction old;
    calm_loop *loop = test_loop(), *other;
    int a = 0, b = 0;

    signal(SIGUSR2, SIG_IGN);
    ASSERT_EQ(calm_on_signal(loop, SIGUSR2, on_usr2, &a), 0);
    ASSERT_EQ(calm_on_signal(loop, SIGUSR2, on_usr2, &b), 0); /* both callbacks run */
    other = calm_loop_new(NULL);
    ASSERT_FATAL(other != NULL);
    ASSERT_EQ(calm_on_signal(other, SIGUSR2, on_usr2, &a), -EBUSY); /* one loop owns it */
    calm_loop_free(other);
    ASSERT_FATAL(calm_timer_start(loop, 1, 0, raise_usr2_cb, NULL) != NULL);
    ASSERT_FATAL(calm_timer_start(loop, 30, 0, stop_cb_loop, NULL) != NULL);
    ASSERT_EQ(calm_loop_run(loop), 0);
    ASSERT_EQ(a, 1);
    ASSERT_EQ(b, 1);
    close_loop_clean(loop);
    ASSERT_EQ(sigaction(SIGUSR2, NULL, &old), 0);
    ASSERT_TRUE(old.sa_handler == SIG_IGN);
    signal(SIGUSR2, SIG_DFL);
}

/* an fd closed behind the loop's back: its number comes back as a new fd */
static int reuse_fd_task(void *arg)
{
    int *fds = arg, rc, again[2];
    char c;

    /* register fds[0], then close it without calm_close */
    rc = calm_wait_fd(fds[0], CALM_READABLE, calm_after(5));
    ASSERT_EQ(rc, CALM_ETIMEDOUT);
    close(fds[0]);
    close(fds[1]);
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, again), 0);
    ASSERT_EQ(again[0], fds[0]);          /* the same number, a different socket */
    ASSERT_EQ(write(again[1], "x", 1), 1);
    /* debug mode re-registers before the wait; otherwise the timed-out wait does */
    rc = calm_wait_fd(again[0], CALM_READABLE, calm_after(50));
    if (rc == CALM_ETIMEDOUT)
        rc = calm_wait_fd(again[0], CALM_READABLE, calm_after(5000));
    ASSERT_EQ(rc, 0);
    if (rc != 0)
        return rc;
    ASSERT_EQ(read(again[0], &c, 1), 1);
    ASSERT_EQ(calm_close(again[0]), 0);
    ASSERT_EQ(close(again[1]), 0);
    return 0;
}

void test_io_fd_closed_behind_the_loop(void)
{
    calm_loop *loop = test_loop();

    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    spawn_detached(loop, reuse_fd_task, sv);
    close_loop_clean(loop);
}

/* ---- what the loop registers with the kernel, read back from /proc */

/* Calls fn(fd, target) for every descriptor of this process; target is what
 * /proc/self/fd/N links to. Stops at the first non-zero return and returns it. */
static int each_fd(int (*fn)(int fd, const char *target, void *arg), void *arg)
{
    char path[64], target[128];
    int fd, rc;

    for (fd = 0; fd < 1024; fd++) {
        ssize_t n;
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
            continue;
        target[n] = '\0';
        if ((rc = fn(fd, target, arg)) != 0)
            return rc;
    }
    return 0;
}

struct interest {
    int fd;                               /* the descriptor looked for */
    long events;                          /* its epoll events, -1 while not found */
};

static int find_interest(int fd, const char *target, void *arg)
{
    struct interest *in = arg;
    char path[64], line[256];
    FILE *f;

    if (strcmp(target, "anon_inode:[eventpoll]") != 0)
        return 0;
    snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        int tfd;
        unsigned events;
        if (sscanf(line, "tfd: %d events: %x", &tfd, &events) == 2 && tfd == in->fd)
            in->events = events;
    }
    fclose(f);
    return 0;
}

/* The epoll events registered for fd by any epoll instance, or -1. */
static long epoll_interest(int fd)
{
    struct interest in = {fd, -1};

    each_fd(find_interest, &in);
    return in.events;
}

#define TEST_EPOLLOUT 0x004               /* EPOLLOUT, as /proc prints it */

static int drain_later(void *arg)
{
    static char buf[65536];
    int fd = *(int *)arg;

    if (calm_sleep(20) != 0)
        return -1;
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    return 0;
}

static int read_then_write_waits(void *arg)
{
    int fd = *(int *)arg;

    ASSERT_EQ(calm_wait_fd(fd, CALM_READABLE, calm_after(20)), CALM_ETIMEDOUT);
    /* only reads waited for: the peer's reads must not raise an edge here */
    ASSERT_TRUE(epoll_interest(fd) > 0);
    ASSERT_EQ(epoll_interest(fd) & TEST_EPOLLOUT, 0);
    /* the first wait for room adds it, and room already there is reported */
    ASSERT_EQ(calm_wait_fd(fd, CALM_WRITABLE, calm_after(5000)), 0);
    ASSERT_TRUE(epoll_interest(fd) & TEST_EPOLLOUT);
    /* full, then drained by the peer: the edge of the room it makes wakes us */
    {
        static char block[4096];
        calm_task *d;
        while (write(fd, block, sizeof(block)) > 0)
            ;
        ASSERT_EQ(errno, EAGAIN);
        d = calm_spawn(calm_loop_current(), drain_later, &sv[1]);
        ASSERT_FATAL(d != NULL);
        ASSERT_EQ(calm_wait_fd(fd, CALM_WRITABLE, calm_after(5000)), 0);
        ASSERT_TRUE(write(fd, block, 1) == 1);
        ASSERT_EQ(calm_await(d, calm_after(5000), NULL), 0);
    }
    return 0;
}

void test_io_write_interest_on_first_write_wait(void)
{
    calm_loop *loop = test_loop();

    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    spawn_detached(loop, read_then_write_waits, &sv[0]);
    ASSERT_EQ(calm_loop_run(loop), 0);
    ASSERT_EQ(calm_close(sv[0]), 0);
    ASSERT_EQ(calm_close(sv[1]), 0);
    ASSERT_EQ(test_errors, 0);
    close_loop_clean(loop);
}

static int is_timerfd(int fd, const char *target, void *arg)
{
    (void)fd;
    (void)arg;
    return strcmp(target, "anon_inode:[timerfd]") == 0;
}

/* A far deadline wakes the loop through a timerfd, on time, and again after it fired. */
static int far_deadline_waits(void *arg)
{
    int fd = *(int *)arg, i;

    for (i = 0; i < 2; i++) {
        calm_time t0 = calm_now();
        ASSERT_EQ(calm_wait_fd(fd, CALM_READABLE, calm_after(150)), CALM_ETIMEDOUT);
        ASSERT_TRUE(calm_now() - t0 >= 149);
        ASSERT_TRUE(calm_now() - t0 < 2000);
        ASSERT_TRUE(each_fd(is_timerfd, NULL));
    }
    return 0;
}

void test_timer_far_deadline_by_timerfd(void)
{
    calm_loop *loop = test_loop();

    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    ASSERT_TRUE(!each_fd(is_timerfd, NULL));
    spawn_detached(loop, far_deadline_waits, &sv[0]);
    ASSERT_EQ(calm_loop_run(loop), 0);
    ASSERT_EQ(calm_close(sv[0]), 0);
    ASSERT_EQ(calm_close(sv[1]), 0);
    close_loop_clean(loop);
}

static int long_wait(void *arg)
{
    return calm_wait_fd(*(int *)arg, CALM_READABLE, calm_after(20000));
}

static int nap(void *arg)
{
    (void)arg;
    usleep(150 * 1000);
    return 0;
}

/* The timerfd is armed for a deadline 20 s away; a nearer one must re-arm it. */
static int nearer_deadline_waits(void *arg)
{
    calm_task *far = calm_spawn(calm_loop_current(), long_wait, arg);
    calm_time t0;
    int result = 0;

    ASSERT_FATAL(far != NULL);
    /* meanwhile no deadline nearer than the far task's: the timerfd is armed for it */
    ASSERT_EQ(calm_to_thread(nap, NULL, calm_after(30000), &result), 0);
    t0 = calm_now();
    ASSERT_EQ(calm_wait_fd(*(int *)arg, CALM_READABLE, calm_after(300)), CALM_ETIMEDOUT);
    ASSERT_TRUE(calm_now() - t0 >= 299);
    ASSERT_TRUE(calm_now() - t0 < 5000);
    calm_cancel(far);
    ASSERT_EQ(calm_await(far, calm_after(5000), &result), 0);
    ASSERT_EQ(result, CALM_ECANCELED);
    return 0;
}

void test_timer_nearer_far_deadline_rearms(void)
{
    calm_loop *loop = test_loop();

    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    spawn_detached(loop, nearer_deadline_waits, &sv[0]);
    ASSERT_EQ(calm_loop_run(loop), 0);
    ASSERT_EQ(calm_close(sv[0]), 0);
    ASSERT_EQ(calm_close(sv[1]), 0);
    close_loop_clean(loop);
}

/* A loop that sleeps between short timers probes for waiting events before
 * only a few of those sleeps: the probes find nothing and back off. */
static int sleep_often(void *arg)
{
    int i;

    (void)arg;
    for (i = 0; i < 60; i++)
        ASSERT_EQ(calm_sleep(1), 0);
    return 0;
}

void test_loop_idle_probes_back_off(void)
{
    calm_loop *loop = test_loop();
    uint64_t polls;

    spawn_detached(loop, sleep_often, NULL);
    polls = calm__loop_polls(loop);
    ASSERT_EQ(calm_loop_run(loop), 0);
    polls = calm__loop_polls(loop) - polls;
    /* one sleeping poll per sleep (a few more if one wakes early), plus the probes */
    ASSERT_TRUE(polls >= 60);
    ASSERT_TRUE(polls <= 60 + 60 / 4);
    if (polls > 60 + 60 / 4)
        fprintf(stderr, "%llu epoll_waits for 60 sleeps\n", (unsigned long long)polls);
    close_loop_clean(loop);
}
