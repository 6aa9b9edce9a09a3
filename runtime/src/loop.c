/* loop.c -- the event loop: creation, the run function as a list of phases
 * (timers, queued callbacks and ready tasks, I/O poll), stop, shutdown, free. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "internal.h"
#include "switching.h"

__thread calm_loop *calm__tls_loop;

#define CALM__POLL_BATCH 256 /* epoll events taken per wait */
/* While tasks are ready, reading the clock and polling for I/O would cost
 * more than the task steps around them. The clock is read every
 * CALM__CLOCK_STEPS steps, and every few iterations for when steps are long;
 * I/O is polled when the clock has moved on by a millisecond. (Polling by step
 * count as well, every 256 steps, cost 0.7 ns of a 7.5 ns yield: an epoll_wait
 * every 2 us of short steps, far more often than the clock's resolution.) */
#define CALM__CLOCK_ITERS 4  /* iterations between clock reads while busy */
/* A deadline further away than this wakes the loop through a timerfd, so that
 * epoll_wait can be told to wait without a timeout: given one, the kernel reads
 * its clock twice per call, which on these machines is most of what a busy
 * loop's poll costs beyond the I/O itself. The timerfd is armed only when the
 * earliest deadline moves before it (or it has fired): waits that each carry a
 * deadline some seconds ahead re-arm it once per that many seconds, not per wait. */
#define CALM__FAR_MS 100

uint64_t calm__loop_polls(const calm_loop *loop)
{
    return loop->polls;
}

calm_loop *calm_loop_current(void)
{
    return calm__tls_loop;
}

static void calm__default_on_error(calm_loop *loop, int status, const char *message, void *arg)
{
    (void)loop;
    (void)status;
    (void)arg;
    fprintf(stderr, "calm: %s\n", message);
}

/* eventfd written: a stop request or finished thread-pool jobs. The eventfd
 * is edge-triggered, so every write is one event and it is never read: no
 * read per wake-up, and none that fails. Its counter only grows (by one per
 * wake-up, far from its 2^64 - 2 limit). */
static void calm__on_wake(calm_loop *loop, calm__io *io, uint32_t events)
{
    (void)io;
    (void)events;
    /* Re-arm, then look at the work: a wake-up skipped before the re-arm had
     * its work queued before it, so it is seen here. */
    atomic_store(&loop->wake_pending, 0);
    calm__threadpool_complete(loop);
}

void calm__loop_wake(calm_loop *loop)
{
    uint64_t one = 1;

    /* one outstanding write is enough to make epoll_wait return */
    if (atomic_exchange(&loop->wake_pending, 1))
        return;
    if (write(loop->wakefd, &one, sizeof(one)) < 0) {
        /* EAGAIN: the counter is already non-zero, the loop will wake anyway */
    }
}

int calm__epoll_add(calm_loop *loop, int fd, uint32_t events, calm__io *io)
{
    struct epoll_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.events = events;
    ev.data.ptr = io;
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        return -errno;
    return 0;
}

/* The timerfd fired: nothing to do here, the timer phase that follows every
 * poll runs what is due (edge-triggered, never read: re-arming resets it). */
static void calm__on_timerfd(calm_loop *loop, calm__io *io, uint32_t events)
{
    (void)io;
    (void)events;
    loop->timer_armed = CALM_FOREVER;
}

/* Makes the timerfd fire at `when` (an absolute calm_time); 0 or -errno. */
static int calm__timerfd_arm(calm_loop *loop, calm_time when)
{
    struct itimerspec its;
    int err;

    if (loop->timerfd < 0) {
        loop->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (loop->timerfd < 0)
            return -errno;
        loop->timer_io.on_event = calm__on_timerfd;
        err = calm__epoll_add(loop, loop->timerfd, EPOLLIN | EPOLLET, &loop->timer_io);
        if (err < 0) {
            close(loop->timerfd);
            loop->timerfd = -1;
            return err;
        }
    }
    memset(&its, 0, sizeof(its));
    its.it_value.tv_sec = when / 1000;
    its.it_value.tv_nsec = (long)(when % 1000) * 1000000;
    if (timerfd_settime(loop->timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
        return -errno;
    loop->timer_armed = when;
    return 0;
}

static int calm__env_debug(void)
{
    const char *v = getenv("CALM_DEBUG");

    return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

calm_loop *calm_loop_new(const calm_options *opts)
{
    calm_options defaults;
    calm_loop *loop;
    long ncpu;
    int err;

    memset(&defaults, 0, sizeof(defaults));
    if (opts == NULL)
        opts = &defaults;
    loop = calm__calloc(1, sizeof(*loop));
    if (loop == NULL)
        return NULL;
    loop->epfd = -1;
    loop->wakefd = -1;
    loop->timerfd = -1;
    loop->timer_armed = CALM_FOREVER;
    loop->sigpipe[0] = loop->sigpipe[1] = -1;
    calm__list_init(&loop->tasks);
    loop->debug = opts->debug > 0 || (opts->debug == 0 && calm__env_debug());
    loop->slow_ms = opts->slow_ms > 0 ? opts->slow_ms : 100;
    loop->stacks.size = opts->stack_size ? opts->stack_size : 64 * 1024;
    loop->nthreads = opts->threads ? opts->threads : 4;
    ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    loop->nprocs = opts->processes ? opts->processes : (unsigned)(ncpu > 0 ? ncpu : 1);
    loop->on_error = opts->on_error ? opts->on_error : calm__default_on_error;
    loop->on_error_arg = opts->on_error_arg;
    calm__clock_init(&loop->clock);
    loop->now = calm__clock_read(&loop->clock);

    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0)
        goto fail;
    loop->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (loop->wakefd < 0)
        goto fail;
    loop->wake_io.on_event = calm__on_wake;
    err = calm__epoll_add(loop, loop->wakefd, EPOLLIN | EPOLLET, &loop->wake_io);
    if (err < 0) {
        errno = -err;
        goto fail;
    }
    if (calm__tls_loop == NULL)
        calm__tls_loop = loop;            /* calm_close etc. work before the first run */
    return loop;
fail:
    err = errno;
    if (loop->wakefd >= 0)
        close(loop->wakefd);
    if (loop->epfd >= 0)
        close(loop->epfd);
    calm__free(loop);
    errno = err;
    return NULL;
}

int calm_call_soon(calm_loop *loop, calm_callback cb, void *arg)
{
    size_t tail;

    if (loop->soon_len == loop->soon_cap) {
        size_t cap = loop->soon_cap ? loop->soon_cap * 2 : 64, i;
        calm__soon *v = calm__malloc(cap * sizeof(*v));
        if (v == NULL)
            return -ENOMEM;
        for (i = 0; i < loop->soon_len; i++)
            v[i] = loop->soon[(loop->soon_head + i) % loop->soon_cap];
        calm__free(loop->soon);
        loop->soon = v;
        loop->soon_cap = cap;
        loop->soon_head = 0;
    }
    tail = (loop->soon_head + loop->soon_len) % loop->soon_cap;
    loop->soon[tail].cb = cb;
    loop->soon[tail].arg = arg;
    loop->soon_len++;
    return 0;
}

/* ---- phases -------------------------------------------------------------- */

/* The loop's clock, read only when the counter says it may have moved on. */
static inline void calm__loop_clock(calm_loop *loop)
{
    if (calm__clock_moved(&loop->clock))
        loop->now = calm__clock_read(&loop->clock);
}

/* Test hook, exported: the loop's clock read through its gate; *gated is 1
 * when the counter answered without a clock read. */
calm_time calm__loop_clock_now(calm_loop *loop, int *gated)
{
    *gated = !calm__clock_moved(&loop->clock);
    if (!*gated)
        loop->now = calm__clock_read(&loop->clock);
    return loop->now;
}

static void calm__update_time(calm_loop *loop)
{
    calm__loop_clock(loop);
    loop->clock_left = CALM__CLOCK_STEPS;
    loop->clock_iters = 0;
}

static int calm__clock_due(calm_loop *loop)
{
    return loop->clock_left <= 0 ||
           ++loop->clock_iters >= CALM__CLOCK_ITERS;
}

static int calm__poll_due(calm_loop *loop)
{
    return loop->now > loop->poll_time;
}

int calm__loop_turn_due(calm_loop *loop)
{
    calm__loop_clock(loop);
    if ((loop->heap_len > 0 && loop->heap[0]->when <= loop->now) || calm__poll_due(loop))
        return 1;                         /* clock_left stays: the loop reads the clock again */
    loop->clock_left = CALM__CLOCK_STEPS;
    return 0;
}

/* Runs the callbacks queued before this phase began (those they queue wait
 * for the next turn), then the ready tasks in batches (task.c), which come back
 * here for callbacks, and at least every CALM__CLOCK_STEPS steps for timers. */
static inline __attribute__((always_inline)) void calm__run_ready(calm_loop *loop)
{
    size_t n = loop->soon_len;

    while (n-- > 0 && loop->soon_len > 0) {
        calm__soon s = loop->soon[loop->soon_head];
        int64_t t0 = loop->debug ? calm__clock_us() : 0;

        loop->soon_head = (loop->soon_head + 1) % loop->soon_cap;
        loop->soon_len--;
        s.cb(loop, s.arg);
        if (loop->debug)
            calm__debug_slow(loop, "callback", (const void *)s.cb, NULL,
                             (calm__clock_us() - t0) / 1000);
    }
    calm__run_batch(loop);
}

static int calm__poll_timeout(calm_loop *loop, calm_time until)
{
    calm_time next = CALM_FOREVER;

    if (loop->ready_head != NULL || loop->soon_len > 0 || atomic_load(&loop->stop))
        return 0;
    if (loop->heap_len > 0)
        next = loop->heap[0]->when;
    if (until != CALM_FOREVER && (next == CALM_FOREVER || until < next))
        next = until;
    if (next == CALM_FOREVER)
        return -1;
    if (next <= loop->now)
        return 0;
    if (next - loop->now > CALM__FAR_MS) {
        /* armed no later than next and not yet fired: it wakes the loop in time */
        if (loop->timer_armed != CALM_FOREVER && loop->timer_armed <= next &&
            loop->timer_armed > loop->now)
            return -1;
        if (calm__timerfd_arm(loop, next) == 0)
            return -1;
        /* no timerfd: a timeout does the same at the kernel's extra cost */
    }
    return next - loop->now > 1000000 ? 1000000 : (int)(next - loop->now);
}

/* Waits up to timeout ms for I/O and dispatches it; returns the events seen.
 * The clock is read only after a wait that may have slept: a poll with a zero
 * timeout leaves it to the iteration's own reads (calm__clock_due). */
static int calm__poll_io(calm_loop *loop, int timeout)
{
    struct epoll_event ev[CALM__POLL_BATCH];
    int n, i;

    loop->polls++;
    n = epoll_wait(loop->epfd, ev, CALM__POLL_BATCH, timeout);
    if (n < 0) {
        if (errno != EINTR)
            calm__report(loop, -errno, "epoll_wait failed: %s", strerror(errno));
        return 0;
    }
    if (timeout != 0)
        calm__update_time(loop);
    loop->poll_time = loop->now;
    loop->in_poll = 1;
    for (i = 0; i < n; i++) {
        calm__io *io = ev[i].data.ptr;
        io->on_event(loop, io, ev[i].events);
    }
    loop->in_poll = 0;
    calm__fds_flush(loop);
    return n;
}

/* Before a poll that may sleep: one that does not, in case events are already
 * waiting (in a busy exchange they are: the peer answered while the tasks
 * ran), which then spares the clock read of a wait that could have slept.
 * When the probes find nothing, they back off (1, 2, 4 ... 64 sleeps between
 * probes), so a loop that mostly sleeps pays a probe rarely. Returns 1 when
 * the probe dispatched events. */
static int calm__poll_probe(calm_loop *loop)
{
    if (loop->probe_skip > 0) {
        loop->probe_skip--;
        return 0;
    }
    if (calm__poll_io(loop, 0) > 0) {
        loop->probe_backoff = 0;
        return 1;
    }
    loop->probe_backoff = loop->probe_backoff == 0 ? 1
                          : loop->probe_backoff >= 64 ? 64 : loop->probe_backoff * 2;
    loop->probe_skip = loop->probe_backoff;
    return 0;
}

static int calm__has_work(calm_loop *loop)
{
    return loop->ready_head != NULL || loop->soon_len > 0;
}

/* Tasks remain, yet no timer, fd, offloaded job or signal could ever wake one. */
static int calm__deadlocked(calm_loop *loop)
{
    return loop->live_tasks > 0 && !calm__has_work(loop) && loop->refs == 0 &&
           loop->heap_len == 0 && loop->sighandlers == NULL;
}

enum { CALM__RUN_ALL, CALM__RUN_TASKS };

/* The loop itself. RUN_ALL: until stopped or nothing is left. RUN_TASKS
 * (shutdown): until no task is left or `until` passes. */
static int calm__run(calm_loop *loop, int mode, calm_time until)
{
    calm_loop *outer = calm__tls_loop;
    int rc = 0, timeout;

    if (loop->running)
        return -EBUSY;
    loop->running = 1;
    calm__tls_loop = loop;
    calm__update_time(loop);
    for (;;) {
        if (!calm__has_work(loop) || calm__clock_due(loop))
            calm__update_time(loop);
        calm__run_timers(loop);
        calm__run_ready(loop);

        if (mode == CALM__RUN_ALL) {
            if (atomic_load(&loop->stop))
                break;
            if (!calm__has_work(loop) && loop->refs == 0 && loop->live_tasks == 0)
                break;
        } else {
            if (loop->live_tasks == 0)
                break;
            if (until != CALM_FOREVER && calm_now() >= until) {
                rc = CALM_ETIMEDOUT;
                break;
            }
        }
        if (calm__deadlocked(loop)) {
            rc = CALM_EDEADLK;
            break;
        }
        if (calm__has_work(loop) && !calm__poll_due(loop))
            continue;
        timeout = calm__poll_timeout(loop, mode == CALM__RUN_TASKS ? until : CALM_FOREVER);
        if (timeout != 0 && calm__threadpool_watch(loop))
            continue;                     /* offloaded jobs came back: no sleep, no poll */
        if (atomic_load(&loop->stop))
            timeout = 0;                  /* a stop sent while the loop watched did not write */
        if (timeout != 0 && calm__poll_probe(loop))
            continue;                     /* events were waiting: no sleep, no clock read */
        calm__poll_io(loop, timeout);
    }
    atomic_store(&loop->stop, 0);
    calm__tls_loop = outer;
    loop->running = 0;
    return rc;
}

int calm_loop_run(calm_loop *loop)
{
    return calm__run(loop, CALM__RUN_ALL, CALM_FOREVER);
}

void calm_loop_stop(calm_loop *loop)
{
    atomic_store(&loop->stop, 1);
    calm__loop_wake(loop);
}

int calm_loop_shutdown(calm_loop *loop, calm_time deadline)
{
    calm__list *n;
    int rc;

    if (loop->running)
        return -EBUSY;
    loop->shutting_down = 1;
    for (n = loop->tasks.next; n != &loop->tasks; n = n->next)
        calm_cancel(calm__container_of(n, calm_task, all_node));
    rc = calm__run(loop, CALM__RUN_TASKS, deadline);
    loop->shutting_down = 0;
    if (rc == CALM_EDEADLK)
        rc = CALM_ETIMEDOUT;
    return loop->live_tasks == 0 ? 0 : rc;
}

void calm_loop_free(calm_loop *loop)
{
    if (loop == NULL)
        return;
    /* the pools first: their jobs point at tasks that are about to go */
    calm__procpool_free(loop);
    calm__threadpool_free(loop);
    calm__tasks_free(loop);
    calm__timers_free(loop);
    calm__fds_free(loop);
    calm__signals_free(loop);
    calm__stacks_free(&loop->stacks);
    calm__free(loop->soon);
    close(loop->wakefd);
    if (loop->timerfd >= 0)
        close(loop->timerfd);
    close(loop->epfd);
    if (calm__tls_loop == loop)
        calm__tls_loop = NULL;
    calm__free(loop);
}
