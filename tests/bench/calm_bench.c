/* calm_bench: libcalm's figures for tests/bench/runtime-bench.sh, one per run.
 *   calm_bench switch [n]    ns per switch: two tasks calm_yield to each other n times each
 *                            (a task-to-task switch through the loop's ready queue: the
 *                            public API has no bare context switch)
 *   calm_bench spawn [n]     ns per task: spawn 1000 empty tasks, await them all, repeat
 *   calm_bench memory [n]    resident bytes per task: n tasks parked on one event
 *   calm_bench pingpong [n]  one-way 64-byte messages per second over a socketpair
 *   calm_bench timer [n]     ns per firing: a 0 ms timer re-armed from its callback n times
 *   calm_bench offload [n]   us per job: n empty jobs through calm_to_thread, one at a time
 *   calm_bench switch-floor [n]  ns per switch of the floor under calm_yield: two bare
 *                            contexts on libcalm's own switch, each handing over to the
 *                            head of a one-slot FIFO ring and queueing itself (the least
 *                            any FIFO scheduler does); no loop, no checks, no clock
 *   calm_bench switch-bare [n]   the same switch between two fixed partners, no queue
 *   calm_bench pingpong-floor [n]  the ping-pong on a bare epoll loop, no runtime: each
 *                            readable end is read and answered, epoll_wait without a timeout
 * asyncio_bench.py, uv_pingpong.c and uv_work.c do the same work on the peers. */
#define _GNU_SOURCE /* socketpair, clock_gettime under -std=c11 */
#include <calm.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../runtime/src/ctx.h" /* the floor figures use libcalm's switch itself */

enum {
    SPAWN_BATCH = 1000,
    MSG_SIZE = 64,
    READ_BUF_SIZE = 64 * 1024,
    WAIT_MS = 60000, /* deadline of every wait: a stuck benchmark fails instead of hanging */
};

struct bench {
    int (*body)(struct bench *b); /* the benchmark, run in a task */
    long count;          /* the n of the usage line */
    double figure;       /* what the benchmark measured */
    int status;          /* the driver task's outcome */
};

static double now_ns(void)
{
    struct timespec ts;
    /* CALM_BENCH_CLOCK=cpu: the process's CPU time, for a machine shared with other work */
    static int cpu = -1;
    if (cpu < 0) {
        const char *clock = getenv("CALM_BENCH_CLOCK");
        cpu = clock != NULL && strcmp(clock, "cpu") == 0;
    }
    clock_gettime(cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Resident bytes of this process. procfs answers from memory: a plain read() never waits
 * here, unlike stdio, which calm-lint rightly counts as blocking on the loop. */
static long resident_bytes(void)
{
    char buf[128];
    long pages = -1, resident = -1;
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n > 0) {
        buf[n] = '\0';
        if (sscanf(buf, "%ld %ld", &pages, &resident) != 2)
            resident = -1;
    }
    return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

/* Spawns fn(arg) count times into tasks[], then awaits them all. */
static int spawn_and_await(calm_task **tasks, long count, calm_task_fn fn, void *arg)
{
    int status = 0;
    long spawned = 0;
    for (; spawned < count; spawned++) {
        /* the batch is the benchmark's own fixed count, not input */
        tasks[spawned] = calm_spawn(calm_loop_current(), fn, arg); // NOLINT(unbounded-spawn)
        if (tasks[spawned] == NULL) {
            status = -ENOMEM;
            break;
        }
    }
    for (long i = 0; i < spawned; i++) {
        int result = 0;
        int waited = calm_await(tasks[i], calm_after(WAIT_MS), &result);
        if (status == 0)
            status = waited < 0 ? waited : result;
    }
    return status;
}

/* ---- switch ------------------------------------------------------------------------------ */

static int yielder(void *arg)
{
    long n = *(long *)arg;
    for (long i = 0; i < n; i++) {
        int status = calm_yield();
        if (status < 0)
            return status;
    }
    return 0;
}

static int bench_switch(struct bench *b)
{
    calm_task *tasks[2];
    double start = now_ns();
    int status = spawn_and_await(tasks, 2, yielder, &b->count);
    b->figure = (now_ns() - start) / (2.0 * (double)b->count);
    return status;
}

/* ---- spawn + await ---------------------------------------------------------------------- */

static int noop(void *arg)
{
    (void)arg;
    return 0;
}

static int bench_spawn(struct bench *b)
{
    static calm_task *tasks[SPAWN_BATCH];
    long rounds = b->count / SPAWN_BATCH > 0 ? b->count / SPAWN_BATCH : 1;
    int status = 0;
    double start = now_ns();
    for (long r = 0; r < rounds && status == 0; r++)
        status = spawn_and_await(tasks, SPAWN_BATCH, noop, NULL);
    b->figure = (now_ns() - start) / (double)(rounds * SPAWN_BATCH);
    return status;
}

/* ---- memory per idle task --------------------------------------------------------------- */

static int idle(void *arg)
{
    return calm_event_wait(arg, calm_after(WAIT_MS));
}

static int bench_memory(struct bench *b)
{
    calm_task **tasks = calloc((size_t)b->count, sizeof *tasks);
    calm_event *wake = calm_event_new(calm_loop_current());
    int status = tasks && wake ? 0 : -ENOMEM;
    long before = resident_bytes(), spawned = 0;
    for (; status == 0 && spawned < b->count; spawned++)
        if ((tasks[spawned] = calm_spawn(calm_loop_current(), idle, wake)) == NULL) // NOLINT(unbounded-spawn)
            status = -ENOMEM;
    if (status == 0)
        status = calm_yield(); /* every task runs up to its wait */
    b->figure = (double)(resident_bytes() - before) / (double)b->count;
    if (wake)
        calm_event_set(wake);
    for (long i = 0; i < spawned; i++) {
        int result = 0, waited = calm_await(tasks[i], calm_after(WAIT_MS), &result);
        if (status == 0)
            status = waited < 0 ? waited : result;
    }
    if (wake)
        calm_event_free(wake);
    free(tasks);
    return status;
}

/* ---- socketpair ping-pong --------------------------------------------------------------- */

struct side {
    int fd;
    int first;           /* sends the first message */
    long *remaining;     /* messages still to receive, shared by both sides */
};

/* Receives one whole message; 0, -EPIPE at end of stream, or the wait's status. It waits
 * before it reads, as libuv does: in a ping-pong the reply is never there yet, so trying
 * the read first would only add a failed read per message. */
static int receive_message(int fd, char *buf)
{
    size_t have = 0;
    while (have < MSG_SIZE) {
        int status = calm_wait_fd(fd, CALM_READABLE, calm_after(WAIT_MS));
        if (status < 0)
            return status;
        ssize_t n = read(fd, buf, READ_BUF_SIZE);
        if (n == 0)
            return -EPIPE;
        if (n > 0)
            have += (size_t)n;
        else if (errno != EAGAIN)
            return -errno;
    }
    return 0;
}

static int send_message(int fd, const char *message)
{
    ssize_t n = write(fd, message, MSG_SIZE);
    return n == MSG_SIZE ? 0 : n < 0 ? -errno : -EIO; /* 64 bytes always fit an empty socket */
}

static int bounce(void *arg)
{
    struct side *side = arg;
    static char buf[READ_BUF_SIZE];
    char message[MSG_SIZE];
    memset(message, 'x', sizeof message);
    int status = side->first ? send_message(side->fd, message) : 0;
    while (status == 0) {
        status = receive_message(side->fd, buf);
        if (status == 0 && --*side->remaining <= 0) {
            shutdown(side->fd, SHUT_WR); /* the other side sees the end of the stream */
            return 0;
        }
        if (status == 0)
            status = send_message(side->fd, message);
    }
    return status == -EPIPE ? 0 : status;
}

static int bench_pingpong(struct bench *b)
{
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) < 0)
        return -errno;
    long remaining = b->count;
    struct side sides[2] = {{fds[0], 1, &remaining}, {fds[1], 0, &remaining}};
    calm_task *tasks[2];
    double start = now_ns();
    tasks[0] = calm_spawn(calm_loop_current(), bounce, &sides[0]);
    tasks[1] = tasks[0] ? calm_spawn(calm_loop_current(), bounce, &sides[1]) : NULL;
    int status = tasks[1] ? 0 : -ENOMEM;
    for (int i = 0; i < 2; i++) {
        int result = 0, waited = tasks[i] ? calm_await(tasks[i], calm_after(WAIT_MS), &result) : 0;
        if (status == 0)
            status = waited < 0 ? waited : result;
    }
    b->figure = (double)b->count / ((now_ns() - start) / 1e9);
    calm_close(fds[0]);
    calm_close(fds[1]);
    return status;
}

/* ---- a 0 ms timer re-armed from its callback ---------------------------------------------- */

struct rearm {
    long left;           /* firings still to come */
    calm_event *done;    /* set by the last firing */
    int failed;          /* a re-arm could not start */
};

static void on_rearm(calm_loop *loop, void *arg)
{
    struct rearm *r = arg;
    if (--r->left <= 0 || calm_timer_start(loop, 0, 0, on_rearm, r) == NULL) {
        r->failed = r->left > 0;
        calm_event_set(r->done);
    }
}

static int bench_timer(struct bench *b)
{
    struct rearm r = {b->count, calm_event_new(calm_loop_current()), 0};
    if (r.done == NULL)
        return -ENOMEM;
    double start = now_ns();
    int status = calm_timer_start(calm_loop_current(), 0, 0, on_rearm, &r) ? 0 : -ENOMEM;
    if (status == 0)
        status = calm_event_wait(r.done, calm_after(WAIT_MS));
    b->figure = (now_ns() - start) / (double)b->count;
    calm_event_free(r.done);
    return status == 0 && r.failed ? -ENOMEM : status;
}

/* ---- thread offload round trip ------------------------------------------------------------ */

static int empty_work(void *arg)
{
    (void)arg;
    return 0;
}

static int bench_offload(struct bench *b)
{
    int status = 0, result = 0;
    /* the first job starts the pool: not part of the figure */
    status = calm_to_thread(empty_work, NULL, calm_after(WAIT_MS), &result);
    double start = now_ns();
    for (long i = 0; i < b->count && status == 0; i++)
        status = calm_to_thread(empty_work, NULL, calm_after(WAIT_MS), &result);
    b->figure = (now_ns() - start) / 1e3 / (double)b->count;
    return status;
}

/* ---- the switch's floor ------------------------------------------------------------------ */

struct bare {
    calm__ctx ctx;
    struct bare *partner;  /* switch-bare: whom it hands over to */
};

static struct {
    struct bare main, a, b;
    struct bare *current;  /* switch-floor: the running context, in memory as in a loop */
    struct bare *ring[2];  /* switch-floor: the ready queue */
    size_t head, tail;
    long count;
    int fifo;
} floor_state;

__attribute__((noinline)) static void floor_yield(void)
{
    struct bare *self = floor_state.current, *next;
    if (floor_state.fifo) {
        next = floor_state.ring[floor_state.head++ & 1];
        floor_state.ring[floor_state.tail++ & 1] = self;
    } else {
        next = self->partner;
    }
    floor_state.current = next;
    calm__ctx_switch(&self->ctx, &next->ctx);
}

static void floor_body(void *arg)
{
    struct bare *self = arg;
    for (long i = 0; i < floor_state.count; i++)
        floor_yield();
    calm__ctx_switch(&self->ctx, &floor_state.main.ctx); /* the first to finish ends it */
}

/* Not a task: runs on its own two stacks, outside any loop. */
static int run_floor(long count, int fifo, double *figure)
{
    enum { STACK = 64 * 1024 };
    char *stacks = malloc(2 * STACK);
    if (stacks == NULL)
        return -ENOMEM;
    floor_state.count = count;
    floor_state.fifo = fifo;
    floor_state.a.partner = &floor_state.b;
    floor_state.b.partner = &floor_state.a;
    floor_state.ring[0] = &floor_state.b;
    floor_state.head = 0;
    floor_state.tail = 1;
    floor_state.current = &floor_state.a;
    calm__ctx_make(&floor_state.a.ctx, stacks, STACK, floor_body, &floor_state.a);
    calm__ctx_make(&floor_state.b.ctx, stacks + STACK, STACK, floor_body, &floor_state.b);
    double start = now_ns();
    calm__ctx_switch(&floor_state.main.ctx, &floor_state.a.ctx);
    /* a ran count yields, b one fewer */
    *figure = (now_ns() - start) / (2.0 * (double)count - 1.0);
    free(stacks);
    return 0;
}

/* ---- the ping-pong's floor ---------------------------------------------------------------- */

/* The same messages as bench_pingpong with no runtime at all: what a loop that cost nothing
 * would reach. Not a task: a plain loop around epoll_wait. */
static int run_pingpong_floor(long count, double *figure)
{
    static char buf[READ_BUF_SIZE];
    char message[MSG_SIZE];
    int fds[2], ep, status = 0;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) < 0)
        return -errno;
    if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        status = -errno;
        goto done;
    }
    for (int i = 0; i < 2 && status == 0; i++) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = fds[i]};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0)
            status = -errno;
    }
    memset(message, 'x', sizeof message);
    double start = now_ns();
    long left = count;
    if (status == 0)
        status = send_message(fds[0], message);
    while (status == 0 && left > 0) {
        struct epoll_event ev[8];
        int n = epoll_wait(ep, ev, 8, -1); // NOLINT(missing-timeout): the floor, no runtime
        if (n < 0)
            status = -errno;
        for (int i = 0; i < n && status == 0 && left > 0; i++) {
            ssize_t got = read(ev[i].data.fd, buf, sizeof buf);
            if (got < MSG_SIZE)
                continue;                 /* one whole message per event in a ping-pong */
            if (--left > 0)
                status = send_message(ev[i].data.fd, message);
        }
    }
    *figure = (double)count / ((now_ns() - start) / 1e9);
    close(ep);
done:
    close(fds[0]);
    close(fds[1]);
    return status;
}

/* ---- main ------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    int (*body)(struct bench *b);
    long default_count;
    const char *format;
} benches[] = {
    {"switch", bench_switch, 2000000, "%.2f\n"},
    {"spawn", bench_spawn, 1000000, "%.1f\n"},
    {"memory", bench_memory, 100000, "%.0f\n"},
    {"pingpong", bench_pingpong, 200000, "%.0f\n"},
    {"timer", bench_timer, 1000000, "%.1f\n"},
    {"offload", bench_offload, 20000, "%.2f\n"},
};

/* Task: runs one benchmark body and keeps its status. */
static int drive(void *arg)
{
    struct bench *b = arg;
    b->status = b->body(b);
    return b->status;
}

static int run_bench(struct bench *b)
{
    calm_loop *loop = calm_loop_new(NULL);
    if (loop == NULL)
        return -errno;
    calm_task *driver = calm_spawn(loop, drive, b);
    int status = driver ? 0 : -ENOMEM;
    if (driver) {
        calm_detach(driver); /* its outcome lands in b->status */
        status = calm_loop_run(loop);
    }
    calm_loop_free(loop);
    return status < 0 ? status : b->status;
}

int main(int argc, char **argv)
{
    int floor_fifo = argc >= 2 ? strcmp(argv[1], "switch-floor") == 0 : 0;
    if (argc >= 2 && argc <= 3 && (floor_fifo || strcmp(argv[1], "switch-bare") == 0)) {
        long count = argc == 3 ? atol(argv[2]) : 20000000;
        double figure = 0;
        if (count <= 0 || run_floor(count, floor_fifo, &figure) < 0)
            return 1;
        printf("%.2f\n", figure);
        return 0;
    }
    if (argc >= 2 && argc <= 3 && strcmp(argv[1], "pingpong-floor") == 0) {
        long count = argc == 3 ? atol(argv[2]) : 200000;
        double figure = 0;
        if (count <= 0 || run_pingpong_floor(count, &figure) < 0)
            return 1;
        printf("%.0f\n", figure);
        return 0;
    }
    for (size_t i = 0; argc >= 2 && argc <= 3 && i < sizeof benches / sizeof *benches; i++) {
        if (strcmp(argv[1], benches[i].name) != 0)
            continue;
        struct bench b = {.body = benches[i].body, .status = -EINPROGRESS,
                          .count = argc == 3 ? atol(argv[2]) : benches[i].default_count};
        if (b.count <= 0)
            break;
        int status = run_bench(&b);
        if (status < 0) {
            fprintf(stderr, "calm_bench %s: %s\n", argv[1], calm_strerror(status));
            return 1;
        }
        printf(benches[i].format, b.figure);
        return 0;
    }
    fprintf(stderr, "usage: calm_bench switch|spawn|memory|pingpong|timer|offload|"
                    "switch-floor|switch-bare|pingpong-floor [count]\n");
    return 2;
}
